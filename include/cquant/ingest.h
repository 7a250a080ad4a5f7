/* Ingest: moving market data from venues into the store.
 *
 * Backfill pages through a venue's candle history for (symbol, timeframe) jobs, several
 * jobs at once, within the venue's rate limits (the adapter keeps them). It is resumable by
 * construction: each page is written with the gaps it revealed in one transaction, and a
 * run starts from what the store already holds, so an interrupted run (Ctrl-C, kill -9, a
 * network loss) loses nothing stored and a rerun duplicates nothing. Stretches the venue
 * itself has no candles for are recorded as gaps (cq_store_put_gaps) and not asked for
 * again. Only closed candles are stored.
 */
#ifndef CQUANT_INGEST_H
#define CQUANT_INGEST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cquant/bus.h"
#include "cquant/core.h"
#include "cquant/data.h"
#include "cquant/store.h"
#include "cquant/venue.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cq_backfill_state {
  CQ_BF_PENDING = 0,
  CQ_BF_RUNNING,
  CQ_BF_DONE,
  CQ_BF_FAILED,
  CQ_BF_CANCELLED
} cq_backfill_state;

const char *cq_backfill_state_name(cq_backfill_state s);

/* One series to fill. The caller sets the first four fields; the run fills the rest, which
 * another thread may read while it runs (the counters are atomic). */
typedef struct cq_backfill_job {
  char symbol[CQ_SYMBOL_MAX]; /* unified, known to the venue */
  cq_timeframe tf;
  cq_time since, until; /* open times since <= t < until (until: usually now) */

  _Atomic int state;                 /* cq_backfill_state */
  _Atomic uint64_t expected;         /* bars missing from the store when the job started */
  _Atomic uint64_t covered;          /* of those, bars now stored or recorded as venue gaps */
  _Atomic uint64_t candles;          /* candles received and stored */
  _Atomic uint64_t inserted;         /* of those, new rows (the rest were already there) */
  _Atomic uint64_t gap_bars;         /* bars in venue gaps recorded */
  _Atomic uint64_t pages;            /* venue requests made */
  _Atomic cq_time started, finished; /* wall clock; set by the job's thread */
  cq_error error;                    /* when FAILED */
} cq_backfill_job;

typedef struct cq_backfill_opts {
  cq_venue *venue; /* thread-safe adapter */
  const char *venue_name;
  cq_store *store; /* used under the run's own mutex, by one job at a time */
  int threads;     /* jobs run at once; 0: min(jobs, 4) */
  const cq_clock *clock;
  const _Atomic int *cancel; /* when it becomes non-zero, jobs stop after the page at hand */
  /* Called about every progress_ms from the calling thread while jobs run, and once at the
   * end. NULL: none. */
  void (*progress)(void *ctx, const cq_backfill_job *jobs, size_t n);
  void *progress_ctx;
  int progress_ms; /* 0: 100 */
  cq_log *log;     /* may be NULL */
} cq_backfill_opts;

/* Runs every job; returns when all are done, failed or cancelled. 0 when every job is DONE;
 * CQ_ESTATE when cancelled; otherwise the first failed job's code, err naming it (each job's
 * own error stays in job->error). */
CQ_NODISCARD int cq_backfill_run(const cq_backfill_opts *o, cq_backfill_job *jobs, size_t n,
                                 cq_error *err);

/* The stretches of [since, until) a backfill of key still has to ask the venue for: bars
 * not stored and not inside a recorded gap, as half-open ranges appended to *ranges
 * (malloc'd; caller frees), with *bars their total length in bars. Read in windows, so
 * memory stays bounded for long histories. */
typedef struct cq_time_range {
  cq_time from, to;
} cq_time_range;
CQ_NODISCARD int cq_backfill_missing(cq_store *s, const cq_series_key *key, cq_time since,
                                     cq_time until, cq_time_range **ranges, size_t *n,
                                     uint64_t *bars, cq_error *err);

/* ---- live candles ----------------------------------------------------------------------
 * Bars of one (venue, symbol) for a list of timeframes, built from trades as they arrive
 * with cq_bar_builder, so volumes are exact decimal sums and a replay gives the same candles
 * as cq_aggregate_trades over the same trades, candle for candle.
 *
 * Each accepted trade reports the forming bar of every timeframe (closed = false); a bar is
 * reported closed (closed = true) once, when a trade arrives in a later bucket or when
 * cq_live_candles_tick(now) passes its end, so a quiet market still closes its bars. A
 * bucket without trades produces no bar. The watermark is the latest tick: a trade before it
 * or before the trade accepted last is late; it is counted, reported through late_fn and
 * merged into no bar (a bar already closed is never changed). Not thread-safe: one feeding
 * thread. */
enum { CQ_LIVE_TF_MAX = 16 };

typedef struct cq_live_candles cq_live_candles;

/* One candle report: tf's bar, forming (c->closed false) or closed. */
typedef void (*cq_live_candle_fn)(void *ctx, cq_timeframe tf, const cq_candle *c);
/* A late trade, not merged anywhere. */
typedef void (*cq_live_late_fn)(void *ctx, const cq_trade *t);

typedef struct cq_live_candles_stats {
  uint64_t trades;  /* accepted */
  uint64_t late;    /* refused as late */
  uint64_t updates; /* forming-bar reports */
  uint64_t closed;  /* closed-bar reports */
} cq_live_candles_stats;

/* n timeframes (1..CQ_LIVE_TF_MAX, fixed-length, no duplicates); fn may be NULL, late_fn
 * may be NULL. CQ_EINVAL naming the bad timeframe, CQ_ENOMEM. */
CQ_NODISCARD int cq_live_candles_open(const char *venue, const char *symbol,
                                      const cq_timeframe *tfs, size_t n, cq_live_candle_fn fn,
                                      cq_live_late_fn late_fn, void *ctx, cq_live_candles **out,
                                      cq_error *err);
void cq_live_candles_close(cq_live_candles *lc);

/* Adds a trade: closed bars are reported first (in the order of the timeframes given), then the
 * forming ones. *late (may be NULL) says it was refused as late, which is not an error. Errors
 * (CQ_EINVAL for a price or quantity <= 0, CQ_EOVERFLOW for a sum out of range) leave every
 * bar as it was. */
CQ_NODISCARD int cq_live_candles_add(cq_live_candles *lc, const cq_trade *t, bool *late,
                                     cq_error *err);
/* Declares every trade before now known: bars ending at or before now are reported closed.
 * The watermark only moves forward. */
void cq_live_candles_tick(cq_live_candles *lc, cq_time now);
void cq_live_candles_stats_get(const cq_live_candles *lc, cq_live_candles_stats *out);

/* The KLINE bus event of a reported candle: venue and symbol of lc, id (> 0, the caller's
 * idempotency key), event_time the bar's open time, recv_time given. CQ_EINVAL for id 0. */
CQ_NODISCARD int cq_live_candles_event(const cq_live_candles *lc, cq_timeframe tf,
                                       const cq_candle *c, uint64_t id, cq_time recv_time,
                                       cq_bus_event *out, cq_error *err);

/* ---- feed health -----------------------------------------------------------------------
 * Counters and state per (venue, stream), fed by the network thread and read by others
 * (every call takes the monitor's mutex, so a reader never sees a torn record). Times are
 * the caller's (a simulated clock in tests): ns since the epoch.
 *
 *   rate     messages per second over the last window_s seconds of receive time (per-second
 *            buckets; the second in progress counts in full);
 *   latency  recv_time - event_time of messages with an event time, in a log-linear
 *            histogram (16 sub-buckets per power of two of microseconds; a percentile is
 *            the middle of its bucket, within 1/32 relative of a sample in that bucket, to
 *            1 us below 16 us), over the current and previous window_s periods; negative
 *            latencies (clock skew) count as 0;
 *   alerts   stale (no message for stale_s seconds, counted from the feed's registration
 *            check when it never had one), latency (p99 above p99_max_ms with at least
 *            min_samples samples), gap (on_gap until on_resync), book (on_book_invalid until
 *            on_book_valid). check(now) raises each once when its condition starts and
 *            clears it once when it ends (edge-triggered), through alert_fn. */
enum { CQ_HEALTH_STREAM_MAX = 32, CQ_HEALTH_FEEDS_MAX = 256, CQ_HEALTH_WINDOW_MAX = 120 };

typedef enum cq_health_alert_kind {
  CQ_HA_STALE = 0,
  CQ_HA_LATENCY,
  CQ_HA_GAP,
  CQ_HA_BOOK,
  CQ_HA_COUNT
} cq_health_alert_kind;
/* "stale", "latency", "gap", "book"; "?" otherwise. */
const char *cq_health_alert_name(cq_health_alert_kind k);

typedef struct cq_health_alert {
  char venue[CQ_VENUE_MAX];
  char stream[CQ_HEALTH_STREAM_MAX];
  cq_health_alert_kind kind;
  bool raised; /* false: cleared */
  cq_time time;
  char detail[CQ_REASON_MAX];
} cq_health_alert;

typedef void (*cq_health_alert_fn)(void *ctx, const cq_health_alert *a);

typedef struct cq_health_opts {
  int window_s;                /* rate and latency window, 1..CQ_HEALTH_WINDOW_MAX; 0: 10 */
  double stale_s;              /* 0: 30 */
  double p99_max_ms;           /* 0: 1000 */
  uint64_t min_samples;        /* 0: 20 */
  cq_health_alert_fn alert_fn; /* may be NULL; called from check, under no lock */
  void *ctx;
} cq_health_opts;

typedef struct cq_health cq_health;

/* A copy of one feed's figures at `now`. */
typedef struct cq_health_stats {
  char venue[CQ_VENUE_MAX];
  char stream[CQ_HEALTH_STREAM_MAX];
  uint64_t messages, reconnects, gaps, resyncs, out_of_order;
  double rate;           /* messages/s */
  double p50_ms, p99_ms; /* NaN without samples */
  uint64_t samples;      /* latency samples in the window */
  double since_last_s;   /* NaN when no message yet */
  bool book_invalid, gap_open;
  bool alert[CQ_HA_COUNT]; /* as last raised by check */
} cq_health_stats;

CQ_NODISCARD int cq_health_open(const cq_health_opts *o, cq_health **out, cq_error *err);
void cq_health_close(cq_health *h);
/* The feed id of (venue, stream), registering it the first time. CQ_EINVAL for an empty or
 * too long name, CQ_ELIMIT past CQ_HEALTH_FEEDS_MAX feeds. */
CQ_NODISCARD int cq_health_feed(cq_health *h, const char *venue, const char *stream, int *id,
                                cq_error *err);
/* event_time 0: the venue gives none (no latency sample). Unknown ids are ignored. */
void cq_health_on_message(cq_health *h, int id, cq_time event_time, cq_time recv_time);
void cq_health_on_reconnect(cq_health *h, int id);
void cq_health_on_gap(cq_health *h, int id);
void cq_health_on_resync(cq_health *h, int id);
void cq_health_on_out_of_order(cq_health *h, int id);
void cq_health_on_book_invalid(cq_health *h, int id);
void cq_health_on_book_valid(cq_health *h, int id);
/* Evaluates every alert condition at now; returns the number of edges reported. */
int cq_health_check(cq_health *h, cq_time now);
size_t cq_health_count(const cq_health *h);
/* CQ_EINVAL for an unknown id. */
CQ_NODISCARD int cq_health_get(const cq_health *h, int id, cq_time now, cq_health_stats *out,
                               cq_error *err);
/* The table: venue, stream, rate, p50, p99, last, reconnects, gaps, resyncs, state. */
CQ_NODISCARD int cq_health_format(const cq_health *h, cq_time now, FILE *f, cq_error *err);
/* The STATUS bus event of an alert: status BOOK_INVALID for a raised book alert,
 * BOOK_SYNCED for its clearing, CONNECTED / DISCONNECTED for the others cleared / raised;
 * detail "<kind> raised|cleared: <detail>". CQ_EINVAL for id 0. */
CQ_NODISCARD int cq_health_alert_event(const cq_health_alert *a, uint64_t id, cq_bus_event *out,
                                       cq_error *err);

#ifdef __cplusplus
}
#endif
#endif
