/* Stream capture: venue streams into the bus, and the bus into the store.
 *
 * A capture subscribes every venue to trades, books and tickers of the symbols asked for,
 * normalizes what arrives into bus events and publishes them, one topic per (venue, symbol,
 * channel), each event with an id that increases along its topic (the idempotency key). It
 * builds live candles from the trades (cq_live_candles) and publishes each update and each
 * close, and keeps the health of every feed (cq_health), raising its alerts as STATUS events
 * on the venue's status topic and in the log.
 *
 * A bar is published closed only when the capture saw every trade of it: the bars the capture
 * started in, and every bar touched by a hole in the stream (a reconnect, a stall), are
 * "tainted". After the hole a repair worker asks the venue over REST for the trades it
 * missed (published late, in order, on the trades topic) and, once each tainted bar has
 * closed at the venue, for the venue's own candles of those bars, which it publishes closed
 * in their place. So the closed candles on the bus, and those a recorder stores, have no
 * hole and no bar built from part of its trades.
 *
 * A recorder is a bus consumer (group "recorder" by default) of the trades and candle topics:
 * it writes trades and closed candles to the store in batches, one transaction per batch,
 * with the last event id it applied per topic in the same transaction (store offsets), and
 * acknowledges the batch only after its commit. After a crash the events not acknowledged
 * come back and those already committed are recognized by their ids: nothing is lost and
 * nothing is applied twice. One recorder per group: the offsets assume one consumer applies
 * a topic's events in order.
 */
#ifndef CQUANT_CAPTURE_H
#define CQUANT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cquant/bus.h"
#include "cquant/core.h"
#include "cquant/ingest.h"
#include "cquant/store.h"
#include "cquant/venue.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
  CQ_CAP_TRADES = 1u << 0,  /* every trade */
  CQ_CAP_BOOK = 1u << 1,    /* the synchronized book, its top levels */
  CQ_CAP_TICKER = 1u << 2,  /* rolling 24 h statistics */
  CQ_CAP_CANDLES = 1u << 3, /* live candles from the trades (subscribes trades) */
  CQ_CAP_ALL = 0xF
};

enum { CQ_CAPTURE_VENUES_MAX = 8, CQ_CAPTURE_SYMBOLS_MAX = 64 };

/* "trades,book,ticker,candles" (any subset, any order) into CQ_CAP_ bits. CQ_EINVAL naming
 * the unknown word. */
CQ_NODISCARD int cq_capture_channels_parse(const char *list, unsigned *out, cq_error *err);

/* The topics a capture publishes for (venues, symbols, channels, tfs), in a fixed order:
 * per venue, per symbol: trades, book, ticker, candles.<tf>...; then per venue its status
 * topic "md.<venue>.status". With stored_only, only those a recorder stores (trades and
 * candles). *out is malloc'd (caller frees). */
typedef char cq_topic_name[CQ_BUS_TOPIC_MAX];
CQ_NODISCARD int cq_capture_topics(const char *const *venues, size_t nvenues,
                                   const char *const *symbols, size_t nsymbols, unsigned channels,
                                   const cq_timeframe *tfs, size_t ntfs, bool stored_only,
                                   cq_topic_name **out, size_t *n, cq_error *err);

/* ---- capture --------------------------------------------------------------------------- */

typedef struct cq_capture_venue {
  cq_venue *venue;  /* opened with a network loop (streams); thread-safe for REST */
  const char *name; /* the venue name published and stored ("binance", "binance-sim") */
} cq_capture_venue;

typedef struct cq_capture_opts {
  const cq_capture_venue *venues;
  size_t nvenues;             /* 1..CQ_CAPTURE_VENUES_MAX */
  const char *const *symbols; /* unified, 1..CQ_CAPTURE_SYMBOLS_MAX */
  size_t nsymbols;
  unsigned channels;       /* CQ_CAP_ bits; 0: all */
  const cq_timeframe *tfs; /* live candle timeframes; NULL: 1m, 5m, 15m */
  size_t ntfs;
  cq_bus *bus;           /* where events go (thread-safe publish) */
  cq_health_opts health; /* zeroed: defaults; its alert_fn is called after the capture's */
  int book_interval_ms;  /* at most one book event per symbol per interval; 0: 100 */
  int repair_delay_ms;   /* after a tainted bar ends, wait this long before asking the
                            venue for its candle (the venue closes it); 0: 2000 */
  int tick_ms;           /* housekeeping period (bar closes, health checks); 0: 250 */
  const cq_clock *clock; /* NULL: the wall clock */
  cq_log *log;           /* may be NULL */
} cq_capture_opts;

typedef struct cq_capture cq_capture;

/* Per-topic figures. */
typedef struct cq_capture_topic_stats {
  cq_topic_name topic;
  uint64_t published; /* events published (ids handed out) */
  uint64_t last_id;
} cq_capture_topic_stats;

/* One repaired hole. */
typedef struct cq_capture_repair {
  char venue[CQ_VENUE_MAX];
  char symbol[CQ_SYMBOL_MAX];
  cq_time from, to;     /* the hole: last trade before, first trade after */
  uint64_t trades;      /* trades recovered over REST and published */
  bool trades_complete; /* every trade of the hole was recovered */
  uint64_t candles;     /* venue candles published closed in place of tainted bars */
  bool done;            /* false: still waiting for its bars to close */
} cq_capture_repair;

typedef struct cq_capture_stats {
  uint64_t events;    /* venue events received */
  uint64_t published; /* bus events published */
  uint64_t publish_errors;
  uint64_t trades, books, tickers;
  uint64_t candle_updates, candle_closes; /* live candles published */
  uint64_t tainted; /* closed live bars withheld (repaired from the venue instead) */
  uint64_t late;    /* trades refused by the live candles as late */
  uint64_t reconnects, holes, repairs_done, repaired_trades, repaired_candles;
  uint64_t alerts; /* alert edges raised or cleared */
} cq_capture_stats;

/* Checks the options, registers feeds and topics; nothing is subscribed yet. CQ_EINVAL
 * naming the bad option. */
CQ_NODISCARD int cq_capture_open(const cq_capture_opts *o, cq_capture **out, cq_error *err);
/* Subscribes every venue and starts the housekeeping and repair threads. On an error
 * nothing stays subscribed. */
CQ_NODISCARD int cq_capture_start(cq_capture *c, cq_error *err);
/* Finishes the repairs first (waiting at most wait_ms, with the streams still running, for
 * the bars of their holes to close at the venue; those left are logged as not repaired),
 * then unsubscribes and stops the threads. Idempotent. */
void cq_capture_stop(cq_capture *c, int64_t wait_ms);
void cq_capture_close(cq_capture *c);

void cq_capture_stats_get(cq_capture *c, cq_capture_stats *out);
const cq_health *cq_capture_health(const cq_capture *c);
/* The topics with their counters (malloc'd, caller frees). */
CQ_NODISCARD int cq_capture_topic_stats_get(cq_capture *c, cq_capture_topic_stats **out, size_t *n,
                                            cq_error *err);
/* The holes seen so far (malloc'd, caller frees). */
CQ_NODISCARD int cq_capture_repairs_get(cq_capture *c, cq_capture_repair **out, size_t *n,
                                        cq_error *err);
/* A JSON object of the capture's state at now: health of every feed, topics, repairs,
 * counters (the status file `cquant stream status` reads). */
CQ_NODISCARD int cq_capture_status_json(cq_capture *c, cq_time now, char **out, cq_error *err);

/* ---- recorder -------------------------------------------------------------------------- */

typedef struct cq_recorder_opts {
  cq_bus *bus;
  cq_store *store;
  const cq_topic_name *topics; /* trades and candles topics (others are refused) */
  size_t ntopics;
  const char *group;    /* NULL: "recorder" */
  const char *consumer; /* NULL: "recorder-1" (a restart must reuse it) */
  size_t batch_max;     /* events per transaction at most; 0: 5000 */
  int batch_ms;         /* an applied event waits at most this long for its commit; 0: 200 */
  cq_log *log;          /* may be NULL */
} cq_recorder_opts;

typedef struct cq_recorder cq_recorder;

typedef struct cq_recorder_stats {
  uint64_t polled;          /* events received from the bus */
  uint64_t applied;         /* events applied (each id once) */
  uint64_t duplicates;      /* redelivered events already applied: acknowledged, not applied */
  uint64_t batches;         /* transactions committed */
  uint64_t trades, candles; /* rows written */
  cq_time last_commit;
} cq_recorder_stats;

/* Subscribes to every topic and reads the offsets the store holds for the consumer. */
CQ_NODISCARD int cq_recorder_open(const cq_recorder_opts *o, cq_recorder **out, cq_error *err);
/* Polls every topic once, waits up to timeout_ms when none had an event, and commits the
 * batch when it is full or old enough. *got (may be NULL): events received. On a store
 * error the batch is rolled back and nothing is acknowledged. */
CQ_NODISCARD int cq_recorder_step(cq_recorder *r, int timeout_ms, size_t *got, cq_error *err);
/* Commits what is pending. */
CQ_NODISCARD int cq_recorder_flush(cq_recorder *r, cq_error *err);
void cq_recorder_stats_get(const cq_recorder *r, cq_recorder_stats *out);
/* Without a flush: what was not committed comes back to the next consumer of that name. */
void cq_recorder_close(cq_recorder *r);

#ifdef __cplusplus
}
#endif
#endif
