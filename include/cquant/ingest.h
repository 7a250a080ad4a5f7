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

#include "cquant/core.h"
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

#ifdef __cplusplus
}
#endif
#endif
