/* The event bus: venue events (trades, quotes, candles, book tops, orders, balances, feed
 * status) published on topics and consumed by groups, behind one interface with two
 * backends: in-process (lock-free rings, the embedded default) and, later, Redis Streams.
 *
 * An event is a fixed header (kind, venue, symbol, an id unique per stream, the venue's
 * event time, our receive and publish times) plus the payload of its kind. It has a compact
 * binary encoding (versioned, little-endian, fixed widths, decimals as mantissa and scale)
 * for backends that move bytes, and a JSON form for debugging.
 *
 * Delivery is at least once: a consumer may see an event again (a redelivery after a crash,
 * a claimed pending entry). The event id is the idempotency key; cq_bus_dedup remembers
 * which ids were applied so a consumer applies each one once.
 */
#ifndef CQUANT_BUS_H
#define CQUANT_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core.h"
#include "cquant/model.h"
#include "cquant/venue.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
  CQ_BUS_VERSION = 1,       /* the version byte of the binary encoding */
  CQ_BUS_BOOK_LEVELS = 20,  /* book levels a book event carries per side */
  CQ_BUS_TOPIC_MAX = 128,   /* "md.binance.BTC/USDT.trades", NUL included */
  CQ_BUS_NAME_MAX = 64,     /* group and consumer names, NUL included */
  CQ_BUS_ENCODED_MAX = 2048 /* the longest binary encoding of any event */
};

/* The top levels of a book, exact. */
typedef struct cq_bus_book {
  uint64_t seq; /* the venue's last update id applied, 0 when none */
  uint32_t nbids, nasks;
  cq_dec bid_px[CQ_BUS_BOOK_LEVELS], bid_qty[CQ_BUS_BOOK_LEVELS]; /* best (highest) first */
  cq_dec ask_px[CQ_BUS_BOOK_LEVELS], ask_qty[CQ_BUS_BOOK_LEVELS]; /* best (lowest) first */
} cq_bus_book;

/* One bus event. The kinds are those of the venue stream (cq_vev_kind); a book event carries
 * a copy of the top levels instead of the venue's book pointer. */
typedef struct cq_bus_event {
  cq_vev_kind kind;
  char venue[CQ_VENUE_MAX];
  char symbol[CQ_SYMBOL_MAX]; /* empty for account events */
  uint64_t id;                /* unique per stream, > 0: the idempotency key */
  cq_time event_time;         /* the venue's time (0 when it gives none) */
  cq_time recv_time;          /* when we received it */
  cq_time publish_time;       /* when it was published (set by publish when 0) */
  union {
    cq_trade trade;
    cq_quote quote;
    struct {
      cq_timeframe tf;
      cq_candle candle;
    } kline;
    cq_bus_book book;
    struct {
      cq_venue_order order;
      bool has_fill;
      cq_venue_fill fill;
    } order;
    cq_balance balance;
    struct {
      cq_vstatus status;
      char detail[CQ_REASON_MAX];
    } status;
    cq_ticker ticker;
  } u;
} cq_bus_event;

/* "trade", "quote", "kline", "book", "order", "balance", "status", "ticker"; "?" otherwise. */
const char *cq_bus_kind_name(cq_vev_kind k);

/* The bytes of *ev worth copying: the header and the payload of its kind (the rest of the
 * union is unused). */
size_t cq_bus_event_size(const cq_bus_event *ev);

/* The bus event of a venue stream event, with id (unique per stream, > 0) as its key: the
 * header and payload copied, and for a book event the top CQ_BUS_BOOK_LEVELS levels per side
 * of the live book (so call it inside the stream callback, while the book is valid).
 * CQ_EINVAL for an unknown kind, id 0, or a book event without its book. */
CQ_NODISCARD int cq_bus_event_from_venue(const cq_venue_event *ve, uint64_t id, cq_bus_event *out,
                                         cq_error *err);

/* ---- encoding -------------------------------------------------------------------------- */

/* Binary form into buf (at most cap bytes; CQ_BUS_ENCODED_MAX is always enough): *len is the
 * length written. CQ_EINVAL for an event that cannot be encoded (unknown kind, a string
 * without its NUL, a decimal scale over 18), CQ_ELIMIT when cap is too small. */
CQ_NODISCARD int cq_bus_encode(const cq_bus_event *ev, uint8_t *buf, size_t cap, size_t *len,
                               cq_error *err);
/* Reads one event from buf[0..len). CQ_EPARSE naming the field for a short buffer, an
 * unknown version or kind, a bad enum, a decimal scale over 18, a string too long, or bytes
 * left over. *out is written only on success. */
CQ_NODISCARD int cq_bus_decode(const uint8_t *buf, size_t len, cq_bus_event *out, cq_error *err);
/* The JSON form (one object, newline-terminated); *out is the caller's to free. */
CQ_NODISCARD int cq_bus_event_json(const cq_bus_event *ev, char **out, size_t *len, cq_error *err);

/* ---- the bus interface ----------------------------------------------------------------- */

typedef struct cq_bus cq_bus;
typedef struct cq_bus_consumer cq_bus_consumer;

/* What a consumer acknowledges: the backend's delivery tag of a polled event (the Redis
 * entry id as ms and seq; the ring position in process). */
typedef struct cq_bus_tag {
  uint64_t ms, seq;
} cq_bus_tag;

/* When a subscription's ring is full (in-process). */
typedef enum cq_bus_full {
  CQ_BUS_FULL_DROP = 0, /* the event is dropped for that subscription and counted */
  CQ_BUS_FULL_BLOCK     /* publish waits until the consumer makes room (back-pressure) */
} cq_bus_full;

typedef struct cq_bus_options {
  size_t ring_size;      /* events per subscription ring, rounded up to a power of 2; 0: 4096 */
  size_t max_subs;       /* subscriptions a bus holds; 0: 64 */
  cq_bus_full on_full;   /* CQ_BUS_FULL_DROP by default */
  const cq_clock *clock; /* stamps publish_time; NULL: the wall clock */
  /* In process: how long (ns) a poll that may wait keeps looking at an empty ring before it
   * sleeps on the futex, at most. Adaptive: the consumer spins the full time while events
   * come within it, and halves the spin each time the wait turned out longer (down to
   * none), so an idle or sparse subscription costs no CPU; one quick arrival restores it.
   * 0: a short fixed look (128 pause instructions), as before; capped at 10 ms. */
  int64_t spin_ns;
} cq_bus_options;

void cq_bus_options_default(cq_bus_options *o);

typedef struct cq_bus_stats {
  uint64_t published; /* events handed to subscriptions (Redis: entries added) */
  uint64_t delivered; /* events returned by poll */
  uint64_t dropped;   /* events dropped on a full ring (Redis: entries that did not decode) */
} cq_bus_stats;

typedef struct cq_bus_ops {
  const char *name;         /* "inproc", "redis" */
  void (*close)(cq_bus *b); /* after its consumers are closed */
  /* Copies ev to every live subscription of topic (none: a no-op). Safe from several threads
   * at once. publish_time is stamped when ev's is 0. */
  int (*publish)(cq_bus *b, const char *topic, const cq_bus_event *ev, cq_error *err);
  /* A consumer of topic in group. Every group sees every event of the topic; the consumers
   * of one group share its events (Redis; in process a group has one consumer). */
  int (*subscribe)(cq_bus *b, const char *topic, const char *group, const char *consumer,
                   cq_bus_consumer **out, cq_error *err);
  /* Up to max events into evs (and their tags into tags, which may be NULL), waiting up to
   * timeout_ms for the first (0: do not wait; < 0: wait until one comes). *n 0 on timeout.
   * One thread per consumer. */
  int (*poll)(cq_bus_consumer *c, cq_bus_event *evs, cq_bus_tag *tags, size_t max, size_t *n,
              int64_t timeout_ms, cq_error *err);
  /* Marks events as processed: they are not redelivered. */
  int (*ack)(cq_bus_consumer *c, const cq_bus_tag *tags, size_t n, cq_error *err);
  void (*consumer_close)(cq_bus_consumer *c);
  void (*stats)(cq_bus *b, cq_bus_stats *out);
  /* n events on one topic in one go (Redis: pipelined); NULL: publish one by one. On an
   * error the events before the failing one may have been published. */
  int (*publish_batch)(cq_bus *b, const char *topic, const cq_bus_event *evs, size_t n,
                       cq_error *err);
} cq_bus_ops;

/* Every backend's handle starts with this. */
struct cq_bus {
  const cq_bus_ops *ops;
};
struct cq_bus_consumer {
  cq_bus *bus;
};

/* The in-process backend. Each subscription has its own bounded ring (multi-producer,
 * single-consumer, fixed-size slots: no allocation per event); a consumer sleeping in poll
 * is woken by the publisher through a futex, only when it sleeps. One consumer per group
 * and topic (CQ_EEXIST for a second). */
CQ_NODISCARD int cq_bus_inproc_open(const cq_bus_options *o, cq_bus **out, cq_error *err);

/* The Redis Streams backend. A topic is a stream; publish is XADD with MAXLEN ~ maxlen and
 * the binary encoding in field "e"; a group is a consumer group (created at the end of the
 * stream, "$", with MKSTREAM, when missing); poll first hands back the consumer's own
 * pending entries (a restart under the same name), then entries left unacked for
 * claim_min_idle_ms by any consumer of the group (XAUTOCLAIM), then new entries (XREADGROUP ...
 * BLOCK). An entry stays pending until acked. Publishing is serialized on one connection; each
 * consumer has its own. An entry that does not decode is acknowledged and counted as dropped. */
typedef struct cq_bus_redis_options {
  const char *host;          /* NULL: 127.0.0.1 */
  int port;                  /* 0: 6379 */
  int connect_timeout_ms;    /* 0: 2000 */
  int64_t maxlen;            /* approximate cap of every stream; 0: 1,000,000 */
  int64_t claim_min_idle_ms; /* claim entries pending this long elsewhere; 0: 30000; < 0:
                                never claim */
} cq_bus_redis_options;

void cq_bus_redis_options_default(cq_bus_redis_options *o);
/* CQ_ENET when the server does not answer; CQ_EUNSUPPORTED in a build without hiredis. */
CQ_NODISCARD int cq_bus_redis_open(const cq_bus_redis_options *o, cq_bus **out, cq_error *err);

/* Dispatch helpers. */
CQ_NODISCARD int cq_bus_publish_batch(cq_bus *b, const char *topic, const cq_bus_event *evs,
                                      size_t n, cq_error *err);
CQ_NODISCARD int cq_bus_publish(cq_bus *b, const char *topic, const cq_bus_event *ev,
                                cq_error *err);
CQ_NODISCARD int cq_bus_subscribe(cq_bus *b, const char *topic, const char *group,
                                  const char *consumer, cq_bus_consumer **out, cq_error *err);
CQ_NODISCARD int cq_bus_poll(cq_bus_consumer *c, cq_bus_event *evs, cq_bus_tag *tags, size_t max,
                             size_t *n, int64_t timeout_ms, cq_error *err);
CQ_NODISCARD int cq_bus_ack(cq_bus_consumer *c, const cq_bus_tag *tags, size_t n, cq_error *err);
void cq_bus_consumer_close(cq_bus_consumer *c);
void cq_bus_close(cq_bus *b);
void cq_bus_stats_get(cq_bus *b, cq_bus_stats *out);

/* "md.<venue>.<symbol>.<channel>" ("md.binance.BTC/USDT.trades") into buf; CQ_ELIMIT when it
 * does not fit. */
CQ_NODISCARD int cq_bus_topic(char *buf, size_t n, const char *venue, const char *symbol,
                              const char *channel, cq_error *err);

/* ---- idempotent consumers -------------------------------------------------------------- */

/* The ids applied from one stream: every id <= watermark, plus a bitmap of the window of
 * ids just above it (out-of-order arrivals). An id more than `window` above the watermark
 * moves the window up: the ids it passes over count as applied (and are counted in
 * `skipped`), so the window must cover the largest reordering the stream can show. */
typedef struct cq_bus_dedup {
  uint64_t watermark; /* every id <= watermark was applied (0: none) */
  uint64_t *bits;     /* bit (id % window) for ids in (watermark, watermark + window] */
  size_t window;      /* a multiple of 64 */
  uint64_t skipped;   /* ids passed over by a forced move of the window */
} cq_bus_dedup;

/* window ids of room for out-of-order arrival (rounded up to a multiple of 64; 0: 4096). */
CQ_NODISCARD int cq_bus_dedup_init(cq_bus_dedup *d, size_t window, cq_error *err);
void cq_bus_dedup_free(cq_bus_dedup *d);
/* True when id was applied (or passed over, or is 0). */
bool cq_bus_dedup_seen(const cq_bus_dedup *d, uint64_t id);
/* Records id as applied; false when it already was (then nothing changes). */
bool cq_bus_dedup_mark(cq_bus_dedup *d, uint64_t id);

#ifdef __cplusplus
}
#endif
#endif
