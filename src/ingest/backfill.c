/* Backfill: page through a venue's candle history into the store, resumably.
 *
 * A job first works out what is missing (cq_backfill_missing: bars neither stored nor in a
 * recorded venue gap), then asks the venue for each missing stretch page by page, oldest
 * first. Every page is written together with the gaps it revealed in one transaction, so a
 * run stopped at any point (even kill -9) leaves the store holding whole pages only, and the
 * next run asks for exactly what is still missing.
 *
 * What counts as a venue gap: the venue answered (an empty page, or a page starting later
 * than asked, or two candles further apart than one bar) and had no candles there. Errors
 * are not gaps: a failed request fails the job, after the adapter's own retries.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cquant/ingest.h"

const char *cq_backfill_state_name(cq_backfill_state s) {
  switch (s) {
    case CQ_BF_PENDING:
      return "pending";
    case CQ_BF_RUNNING:
      return "running";
    case CQ_BF_DONE:
      return "done";
    case CQ_BF_FAILED:
      return "failed";
    case CQ_BF_CANCELLED:
      return "cancelled";
  }
  return "unknown";
}

/* ---- what is missing ------------------------------------------------------------------- */

typedef struct range_list {
  cq_time_range *v;
  size_t n, cap;
  uint64_t bars;
} range_list;

/* Bars of tf in [from, to), from <= to, both on the grid. */
static uint64_t bars_between(cq_timeframe tf, cq_time from, cq_time to) {
  int64_t len = cq_timeframe_ns(tf);
  if (len > 0) return (uint64_t)((to - from) / len);
  uint64_t k = 0; /* months: count them */
  for (cq_time t = from; t < to; t = cq_timeframe_next(tf, t)) k++;
  return k;
}

/* Adds [from, to) less the recorded gaps (sorted by start) that overlap it. */
static int add_range(range_list *l, cq_timeframe tf, cq_time from, cq_time to, const cq_gap *gaps,
                     size_t ngaps, cq_error *err) {
  for (size_t i = 0; i < ngaps && from < to; i++) {
    if (gaps[i].to <= from || gaps[i].from >= to) continue;
    if (gaps[i].from > from) {
      int rc = add_range(l, tf, from, gaps[i].from, NULL, 0, err);
      if (rc) return rc;
    }
    from = gaps[i].to;
  }
  if (from >= to) return CQ_OK;
  if (l->n && l->v[l->n - 1].to == from) { /* continues the last range */
    l->v[l->n - 1].to = to;
    l->bars += bars_between(tf, from, to);
    return CQ_OK;
  }
  if (l->n == l->cap) {
    size_t nc = l->cap ? l->cap * 2 : 8;
    cq_time_range *nv = realloc(l->v, nc * sizeof *nv);
    if (!nv) return cq_error_set(err, CQ_ENOMEM, "backfill: out of memory");
    l->v = nv;
    l->cap = nc;
  }
  l->v[l->n++] = (cq_time_range){from, to};
  l->bars += bars_between(tf, from, to);
  return CQ_OK;
}

int cq_backfill_missing(cq_store *s, const cq_series_key *key, cq_time since, cq_time until,
                        cq_time_range **ranges, size_t *n, uint64_t *bars, cq_error *err) {
  enum { WINDOW_BARS = 50000 };
  *ranges = NULL;
  *n = 0;
  *bars = 0;
  since = cq_timeframe_floor(key->tf, since);
  if (!cq_timeframe_is_aligned(key->tf, until)) until = cq_timeframe_next(key->tf, until);
  if (since >= until) return CQ_OK;
  range_list l = {0};
  cq_gap *gaps = NULL;
  size_t ngaps = 0;
  int rc = cq_store_get_gaps(s, key, since, until, &gaps, &ngaps, err);
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_time first, last;
  int b = rc ? rc : cq_store_series_bounds(s, key, since, until, &first, &last, err);
  if (b == CQ_ENOTFOUND) {
    rc = add_range(&l, key->tf, since, until, gaps, ngaps, err); /* nothing stored yet */
  } else if (b) {
    rc = b;
  } else {
    /* walk the stored open times window by window; every hole is a range */
    cq_time expect = since;
    int64_t len = cq_timeframe_ns(key->tf);
    while (!rc && expect < until) {
      cq_time wend = until;
      if (len > 0 && (until - expect) / len > WINDOW_BARS) wend = expect + WINDOW_BARS * len;
      cq_candles_clear(&c);
      if ((rc = cq_store_get_candles(s, key, expect, wend, &c, err))) break;
      for (size_t i = 0; i < c.len && !rc; i++) {
        if (c.open_time[i] > expect)
          rc = add_range(&l, key->tf, expect, c.open_time[i], gaps, ngaps, err);
        expect = cq_timeframe_next(key->tf, c.open_time[i]);
      }
      if (!rc && expect < wend) {
        rc = add_range(&l, key->tf, expect, wend, gaps, ngaps, err);
        expect = wend;
      }
    }
  }
  cq_candles_release(&c);
  free(gaps);
  if (rc) {
    free(l.v);
    return rc;
  }
  *ranges = l.v;
  *n = l.n;
  *bars = l.bars;
  return CQ_OK;
}

/* ---- one job --------------------------------------------------------------------------- */

typedef struct run_shared {
  const cq_backfill_opts *o;
  cq_backfill_job *jobs;
  size_t n;
  pthread_mutex_t store_mu; /* the store is used by one job at a time */
  pthread_mutex_t queue_mu;
  size_t next; /* next job to start */
  _Atomic int running;
} run_shared;

static bool cancelled(const cq_backfill_opts *o) {
  return o->cancel && atomic_load(o->cancel) != 0;
}

/* Writes one page: candles [first, first + n) of page and the gaps found, atomically. */
static int write_page(run_shared *sh, const cq_series_key *key, const cq_candles *page,
                      size_t first, size_t n, const cq_gap *gaps, size_t ngaps,
                      cq_write_report *rep, cq_error *err) {
  cq_store *s = sh->o->store;
  pthread_mutex_lock(&sh->store_mu);
  int rc = cq_store_begin(s, err);
  if (!rc && n) rc = cq_store_put_candles(s, key, page, first, n, rep, err);
  if (!rc && ngaps) rc = cq_store_put_gaps(s, key, gaps, ngaps, err);
  if (!rc) rc = cq_store_commit(s, err);
  if (rc) (void)cq_store_rollback(s, NULL);
  pthread_mutex_unlock(&sh->store_mu);
  return rc;
}

/* Records the gap [from, to) of job on its own (a page without candles). */
static int record_gap(run_shared *sh, cq_backfill_job *job, const cq_series_key *key, cq_time from,
                      cq_time to, cq_time now, cq_error *err) {
  cq_gap g = {from, to, now};
  int rc = write_page(sh, key, NULL, 0, 0, &g, 1, NULL, err);
  if (rc) return rc;
  uint64_t b = bars_between(job->tf, from, to);
  atomic_fetch_add(&job->gap_bars, b);
  atomic_fetch_add(&job->covered, b);
  return CQ_OK;
}

/* Fills [from, to) of job page by page, oldest first. Stops early, successfully, where the
 * venue's next candle is still forming: the range runs into the present. */
static int fill_range(run_shared *sh, cq_backfill_job *job, const cq_series_key *key, cq_time from,
                      cq_time to, cq_candles *page, cq_error *err) {
  const cq_backfill_opts *o = sh->o;
  enum { MAX_PAGE_GAPS = 64 };
  cq_gap gaps[MAX_PAGE_GAPS];
  cq_time cursor = from;
  while (cursor < to) {
    if (cancelled(o)) return CQ_ESTATE;
    cq_candles_clear(page);
    cq_verror ve;
    cq_verror_clear(&ve);
    int rc = o->venue->ops->candles(o->venue, job->symbol, job->tf, cursor, to, page, &ve);
    atomic_fetch_add(&job->pages, 1);
    if (rc) {
      *err = ve.e;
      if (!err->code) cq_error_set(err, rc, "%s", cq_strerror(rc));
      cq_error_prefix(err, "%s %s: candles from page %llu: ", o->venue_name, job->symbol,
                      (unsigned long long)atomic_load(&job->pages));
      return rc;
    }
    cq_time now = cq_clock_now(o->clock);
    /* the usable part: closed candles inside [cursor, to), in order */
    size_t lo = 0, hi = 0;
    while (lo < page->len && page->open_time[lo] < cursor) lo++;
    hi = lo;
    while (hi < page->len && page->open_time[hi] < to && page->closed[hi]) {
      if (hi > lo && page->open_time[hi] <= page->open_time[hi - 1])
        return cq_error_set(err, CQ_EPARSE,
                            "%s %s: the venue's candles are not in time order at row %zu",
                            o->venue_name, job->symbol, hi);
      if (!cq_timeframe_is_aligned(job->tf, page->open_time[hi]))
        return cq_error_set(err, CQ_EPARSE,
                            "%s %s: the venue's candle at row %zu is off the timeframe's grid",
                            o->venue_name, job->symbol, hi);
      hi++;
    }
    bool forming = hi < page->len && page->open_time[hi] < to && !page->closed[hi];
    size_t ng = 0;
    if (hi == lo) {
      /* Nothing closed in [cursor, to). The venue's next candle, still forming or past the
       * range, ends the stretch: all before it is a gap. An empty answer means no candles
       * at all from cursor on: a gap for the part already over (a bar is over once closed). */
      cq_time over = cq_timeframe_floor(job->tf, now);
      cq_time gto = page->len > lo ? page->open_time[lo] : over;
      if (gto > to) gto = to;
      return gto > cursor ? record_gap(sh, job, key, cursor, gto, now, err) : CQ_OK;
    }
    /* gaps before and inside the page */
    cq_time expect = cursor;
    uint64_t gap_bars = 0;
    for (size_t i = lo; i < hi; i++) {
      if (page->open_time[i] > expect) {
        if (ng == MAX_PAGE_GAPS) { /* write what we have so far; the rest next page */
          hi = i;
          forming = false;
          break;
        }
        gaps[ng++] = (cq_gap){expect, page->open_time[i], now};
        gap_bars += bars_between(job->tf, expect, page->open_time[i]);
      }
      expect = cq_timeframe_next(job->tf, page->open_time[i]);
    }
    cq_time end = expect; /* the page covers [cursor, end) */
    cq_write_report rep = {0};
    if ((rc = write_page(sh, key, page, lo, hi - lo, gaps, ng, &rep, err))) return rc;
    atomic_fetch_add(&job->candles, hi - lo);
    atomic_fetch_add(&job->inserted, rep.inserted);
    atomic_fetch_add(&job->gap_bars, gap_bars);
    atomic_fetch_add(&job->covered, (uint64_t)(hi - lo) + gap_bars);
    if (forming) return CQ_OK; /* reached the present */
    cursor = end;
  }
  return CQ_OK;
}

static void run_job(run_shared *sh, cq_backfill_job *job) {
  const cq_backfill_opts *o = sh->o;
  atomic_store(&job->started, cq_clock_now(o->clock));
  atomic_store(&job->state, CQ_BF_RUNNING);
  cq_series_key key;
  memset(&key, 0, sizeof key);
  snprintf(key.venue, sizeof key.venue, "%s", o->venue_name);
  snprintf(key.symbol, sizeof key.symbol, "%s", job->symbol);
  key.tf = job->tf;
  cq_time_range *ranges = NULL;
  size_t nr = 0;
  uint64_t bars = 0;
  pthread_mutex_lock(&sh->store_mu);
  int rc =
      cq_backfill_missing(o->store, &key, job->since, job->until, &ranges, &nr, &bars, &job->error);
  pthread_mutex_unlock(&sh->store_mu);
  if (!rc) atomic_store(&job->expected, bars);
  cq_candles page;
  cq_candles_init(&page, 0);
  for (size_t i = 0; i < nr && !rc; i++)
    rc = fill_range(sh, job, &key, ranges[i].from, ranges[i].to, &page, &job->error);
  cq_candles_release(&page);
  free(ranges);
  atomic_store(&job->finished, cq_clock_now(o->clock));
  if (!rc) {
    atomic_store(&job->state, CQ_BF_DONE);
  } else if (rc == CQ_ESTATE && cancelled(o)) {
    cq_error_set(&job->error, CQ_ESTATE, "%s %s: cancelled", o->venue_name, job->symbol);
    atomic_store(&job->state, CQ_BF_CANCELLED);
  } else {
    if (!job->error.code) cq_error_set(&job->error, rc, "%s", cq_strerror(rc));
    atomic_store(&job->state, CQ_BF_FAILED);
  }
  if (o->log) {
    char tf[CQ_TF_STRMAX];
    cq_timeframe_format(job->tf, tf, sizeof tf);
    cq_logf(o->log, rc ? CQ_LOG_WARN : CQ_LOG_DEBUG,
            "backfill %s %s %s: %s, %llu candles (%llu new), %llu gap bars, %llu pages%s%s",
            o->venue_name, job->symbol, tf, cq_backfill_state_name(atomic_load(&job->state)),
            (unsigned long long)atomic_load(&job->candles),
            (unsigned long long)atomic_load(&job->inserted),
            (unsigned long long)atomic_load(&job->gap_bars),
            (unsigned long long)atomic_load(&job->pages), rc ? ": " : "", rc ? job->error.msg : "");
  }
}

static void *worker(void *arg) {
  run_shared *sh = arg;
  for (;;) {
    pthread_mutex_lock(&sh->queue_mu);
    size_t i = sh->next < sh->n && !cancelled(sh->o) ? sh->next++ : sh->n;
    pthread_mutex_unlock(&sh->queue_mu);
    if (i >= sh->n) break;
    run_job(sh, &sh->jobs[i]);
  }
  atomic_fetch_sub(&sh->running, 1);
  return NULL;
}

int cq_backfill_run(const cq_backfill_opts *o, cq_backfill_job *jobs, size_t n, cq_error *err) {
  if (!o->venue || !o->store || !o->clock || !o->venue_name)
    return cq_error_set(err, CQ_EINVAL, "backfill: venue, store and clock are required");
  for (size_t i = 0; i < n; i++) {
    atomic_store(&jobs[i].state, CQ_BF_PENDING);
    atomic_store(&jobs[i].expected, 0);
    atomic_store(&jobs[i].covered, 0);
    atomic_store(&jobs[i].candles, 0);
    atomic_store(&jobs[i].inserted, 0);
    atomic_store(&jobs[i].gap_bars, 0);
    atomic_store(&jobs[i].pages, 0);
    atomic_store(&jobs[i].started, 0);
    atomic_store(&jobs[i].finished, 0);
    cq_error_clear(&jobs[i].error);
  }
  run_shared sh = {.o = o, .jobs = jobs, .n = n};
  pthread_mutex_init(&sh.store_mu, NULL);
  pthread_mutex_init(&sh.queue_mu, NULL);
  size_t threads = o->threads > 0 ? (size_t)o->threads : 4;
  if (threads > n) threads = n;
  pthread_t *tid = calloc(threads ? threads : 1, sizeof *tid);
  if (!tid) {
    pthread_mutex_destroy(&sh.store_mu);
    pthread_mutex_destroy(&sh.queue_mu);
    return cq_error_set(err, CQ_ENOMEM, "backfill: out of memory");
  }
  size_t started = 0;
  for (; started < threads; started++) {
    atomic_fetch_add(&sh.running, 1);
    if (pthread_create(&tid[started], NULL, worker, &sh)) {
      atomic_fetch_sub(&sh.running, 1);
      break;
    }
  }
  if (!started) worker(&sh); /* no thread could start: run here */
  int ms = o->progress_ms > 0 ? o->progress_ms : 100;
  while (atomic_load(&sh.running) > 0) {
    if (o->progress) o->progress(o->progress_ctx, jobs, n);
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  for (size_t i = 0; i < started; i++) pthread_join(tid[i], NULL);
  free(tid);
  pthread_mutex_destroy(&sh.store_mu);
  pthread_mutex_destroy(&sh.queue_mu);
  /* jobs never started (cancelled before their turn) */
  for (size_t i = 0; i < n; i++)
    if (atomic_load(&jobs[i].state) == CQ_BF_PENDING) {
      cq_error_set(&jobs[i].error, CQ_ESTATE, "%s %s: cancelled before it started", o->venue_name,
                   jobs[i].symbol);
      atomic_store(&jobs[i].state, CQ_BF_CANCELLED);
    }
  if (o->progress) o->progress(o->progress_ctx, jobs, n);
  int rc = CQ_OK;
  for (size_t i = 0; i < n && !rc; i++)
    if (atomic_load(&jobs[i].state) == CQ_BF_FAILED) {
      *err = jobs[i].error;
      if (!err->code) err->code = CQ_EIO;
      rc = err->code;
    }
  if (!rc)
    for (size_t i = 0; i < n && !rc; i++)
      if (atomic_load(&jobs[i].state) == CQ_BF_CANCELLED)
        rc = cq_error_set(err, CQ_ESTATE, "backfill: cancelled; run it again to resume");
  return rc;
}
