/* Backfill against an in-memory venue (a cq_venue_ops over a known series with venue gaps
 * and a forming candle): what it stores, the gaps it records, resuming after a stop at any
 * page, failures, and what a rerun asks for. The same flow runs against the venue simulator
 * over loopback in tests/cli/t0012-backfill.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/ingest.h"

enum { PAGE = 100, BARS = 1500 };
#define H CQ_NS_PER_HOUR

/* The venue's history: BARS hourly bars from T0, missing [GAP_A, GAP_A + 30) and
 * [GAP_B, GAP_B + 250) (longer than a page), the last one still forming. */
static const cq_time T0 = INT64_C(1704067200) * CQ_NS_PER_SEC; /* 2024-01-01 */
static const int64_t GAP_A = 400, GAP_B = 900;

typedef struct fake_venue {
  cq_venue base;
  int pages;        /* candle requests answered */
  int cancel_after; /* set *cancel after this many pages (0: never) */
  _Atomic int *cancel;
  int fail_at;         /* this request fails (1-based; 0: never) */
  cq_time first_asked; /* from of the first request */
} fake_venue;

static bool in_gap(int64_t i) {
  return (i >= GAP_A && i < GAP_A + 30) || (i >= GAP_B && i < GAP_B + 250);
}

static void bar(int64_t i, cq_candle *k) {
  double p = 100 + (double)(i % 97) * 0.5;
  *k = (cq_candle){.open_time = T0 + i * H,
                   .open = p,
                   .high = p + 2,
                   .low = p - 1,
                   .close = p + 1,
                   .volume = 10 + (double)i,
                   .quote_volume = (10 + (double)i) * p,
                   .trades = i,
                   .closed = i < BARS - 1};
}

static int fake_candles(cq_venue *v, const char *symbol, cq_timeframe tf, cq_time from, cq_time to,
                        cq_candles *out, cq_verror *ve) {
  (void)symbol;
  (void)tf;
  fake_venue *f = (fake_venue *)v;
  f->pages++;
  if (f->pages == 1) f->first_asked = from;
  if (f->fail_at && f->pages == f->fail_at) {
    ve->cls = CQ_VERR_UNAVAILABLE;
    return cq_error_set(&ve->e, CQ_ENET, "connection reset (injected)");
  }
  if (f->cancel_after && f->pages >= f->cancel_after) atomic_store(f->cancel, 1);
  int64_t i = (from - T0 + H - 1) / H;
  if (i < 0) i = 0;
  int n = 0;
  for (; i < BARS && T0 + i * H < to && n < PAGE; i++) {
    if (in_gap(i)) continue;
    cq_candle k;
    bar(i, &k);
    if (cq_candles_push(out, &k)) return cq_error_set(&ve->e, CQ_ENOMEM, "oom");
    n++;
  }
  return CQ_OK;
}

static const cq_venue_ops fake_ops = {.name = "fake", .max_klines = PAGE, .candles = fake_candles};

typedef struct fixture {
  char dir[64];
  char uri[128];
  cq_store *store;
  cq_clock clock;
} fixture;

static int setup(void **state) {
  fixture *fx = calloc(1, sizeof *fx);
  if (!fx) return -1;
  snprintf(fx->dir, sizeof fx->dir, "/tmp/cq-backfill-XXXXXX");
  cq_error e;
  bool made = mkdtemp(fx->dir) != NULL;
  snprintf(fx->uri, sizeof fx->uri, "sqlite:%s/s.db", fx->dir);
  if (!made || cq_store_open(fx->uri, &fx->store, &e)) {
    free(fx);
    return -1;
  }
  /* "now" is inside the last (forming) bar */
  cq_clock_sim_init(&fx->clock, T0 + (BARS - 1) * H + 20 * CQ_NS_PER_MIN);
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  cq_store_close(fx->store);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
  if (system(cmd)) return -1;
  free(fx);
  return 0;
}

static cq_backfill_job job_of(cq_time since, cq_time until) {
  cq_backfill_job j;
  memset(&j, 0, sizeof j);
  snprintf(j.symbol, sizeof j.symbol, "BTC/USDT");
  cq_error e;
  assert_int_equal(cq_timeframe_parse("1h", &j.tf, &e), 0);
  j.since = since;
  j.until = until;
  return j;
}

static int run(fixture *fx, fake_venue *v, cq_backfill_job *j, _Atomic int *cancel, cq_error *e) {
  cq_backfill_opts o = {.venue = &v->base,
                        .venue_name = "fake",
                        .store = fx->store,
                        .threads = 1,
                        .clock = &fx->clock,
                        .cancel = cancel,
                        .progress_ms = 1};
  return cq_backfill_run(&o, j, 1, e);
}

/* The store holds exactly the venue's closed bars in [from, to), nothing else. */
static void check_store(fixture *fx, int64_t from, int64_t to) {
  cq_series_key k;
  cq_error e;
  assert_int_equal(cq_series_key_set(&k, "fake", "BTC/USDT", "1h", &e), 0);
  cq_candles c;
  cq_candles_init(&c, 0);
  assert_int_equal(cq_store_get_candles(fx->store, &k, T0 - 1000 * H, T0 + 10000 * H, &c, &e), 0);
  size_t at = 0;
  for (int64_t i = from; i < to && i < BARS - 1; i++) {
    if (in_gap(i)) continue;
    cq_candle want, got;
    bar(i, &want);
    assert_true(at < c.len);
    cq_candles_get(&c, at++, &got);
    assert_true(got.open_time == want.open_time);
    assert_true(got.close == want.close && got.volume == want.volume);
  }
  assert_int_equal(at, c.len);
  cq_candles_release(&c);
}

static void test_full_run_and_gaps(void **state) {
  fixture *fx = *state;
  fake_venue v = {.base.ops = &fake_ops};
  cq_backfill_job j = job_of(T0, T0 + BARS * H);
  cq_error e;
  assert_int_equal(run(fx, &v, &j, NULL, &e), 0);
  assert_int_equal(atomic_load(&j.state), CQ_BF_DONE);
  check_store(fx, 0, BARS);
  assert_int_equal(atomic_load(&j.candles), BARS - 1 - 280);
  assert_int_equal(atomic_load(&j.inserted), BARS - 1 - 280);
  assert_int_equal(atomic_load(&j.gap_bars), 280);
  cq_series_key k;
  assert_int_equal(cq_series_key_set(&k, "fake", "BTC/USDT", "1h", &e), 0);
  cq_gap *g = NULL;
  size_t ng = 0;
  assert_int_equal(cq_store_get_gaps(fx->store, &k, T0, T0 + BARS * H, &g, &ng, &e), 0);
  assert_int_equal(ng, 2);
  assert_true(g[0].from == T0 + GAP_A * H && g[0].to == T0 + (GAP_A + 30) * H);
  assert_true(g[1].from == T0 + GAP_B * H && g[1].to == T0 + (GAP_B + 250) * H);
  free(g);

  /* a rerun asks only for the present: one request starting at the forming bar */
  fake_venue v2 = {.base.ops = &fake_ops};
  cq_backfill_job j2 = job_of(T0, T0 + BARS * H);
  assert_int_equal(run(fx, &v2, &j2, NULL, &e), 0);
  assert_int_equal(v2.pages, 1);
  assert_true(v2.first_asked == T0 + (BARS - 1) * H);
  assert_int_equal(atomic_load(&j2.inserted), 0);
  assert_int_equal(atomic_load(&j2.expected), 1);
}

/* Stopped after page k (k = 1..20), then resumed: the store equals a full run's, and every
 * candle was inserted exactly once over all the runs. */
static void test_resume_after_stop(void **state) {
  fixture *fx = *state;
  cq_error e;
  uint64_t inserted = 0;
  for (int k = 1; k <= 20; k++) {
    _Atomic int cancel = 0;
    fake_venue v = {.base.ops = &fake_ops, .cancel_after = k, .cancel = &cancel};
    cq_backfill_job j = job_of(T0, T0 + BARS * H);
    int rc = run(fx, &v, &j, &cancel, &e);
    inserted += atomic_load(&j.inserted);
    if (rc == 0) break; /* finished before page k */
    assert_int_equal(rc, CQ_ESTATE);
    assert_int_equal(atomic_load(&j.state), CQ_BF_CANCELLED);
  }
  fake_venue v = {.base.ops = &fake_ops};
  cq_backfill_job j = job_of(T0, T0 + BARS * H);
  assert_int_equal(run(fx, &v, &j, NULL, &e), 0);
  inserted += atomic_load(&j.inserted);
  assert_int_equal(inserted, BARS - 1 - 280);
  check_store(fx, 0, BARS);
}

static void test_failure_keeps_pages(void **state) {
  fixture *fx = *state;
  cq_error e;
  fake_venue v = {.base.ops = &fake_ops, .fail_at = 4};
  cq_backfill_job j = job_of(T0, T0 + BARS * H);
  assert_int_equal(run(fx, &v, &j, NULL, &e), CQ_ENET);
  assert_int_equal(atomic_load(&j.state), CQ_BF_FAILED);
  assert_non_null(strstr(e.msg, "connection reset"));
  assert_non_null(strstr(e.msg, "BTC/USDT"));
  assert_int_equal(atomic_load(&j.candles), 3 * PAGE);
  fake_venue v2 = {.base.ops = &fake_ops};
  cq_backfill_job j2 = job_of(T0, T0 + BARS * H);
  assert_int_equal(run(fx, &v2, &j2, NULL, &e), 0);
  assert_true(v2.first_asked == T0 + (int64_t)3 * PAGE * H);
  check_store(fx, 0, BARS);
}

/* A later run with an earlier start fills the head (and the hole a stopped head run left),
 * not the part already stored. */
static void test_earlier_since_fills_head(void **state) {
  fixture *fx = *state;
  cq_error e;
  fake_venue v = {.base.ops = &fake_ops};
  cq_backfill_job j = job_of(T0 + 1000 * H, T0 + BARS * H);
  assert_int_equal(run(fx, &v, &j, NULL, &e), 0);
  check_store(fx, 1000, BARS);
  _Atomic int cancel = 0;
  fake_venue v2 = {.base.ops = &fake_ops, .cancel_after = 2, .cancel = &cancel};
  cq_backfill_job j2 = job_of(T0, T0 + BARS * H);
  assert_int_equal(run(fx, &v2, &j2, &cancel, &e), CQ_ESTATE);
  fake_venue v3 = {.base.ops = &fake_ops};
  cq_backfill_job j3 = job_of(T0, T0 + BARS * H);
  assert_int_equal(run(fx, &v3, &j3, NULL, &e), 0);
  assert_true(v3.first_asked == T0 + (int64_t)2 * PAGE * H);
  check_store(fx, 0, BARS);
  cq_series_key k;
  assert_int_equal(cq_series_key_set(&k, "fake", "BTC/USDT", "1h", &e), 0);
  cq_time_range *r = NULL;
  size_t nr = 0;
  uint64_t bars = 0;
  assert_int_equal(cq_backfill_missing(fx->store, &k, T0, T0 + BARS * H, &r, &nr, &bars, &e), 0);
  assert_int_equal(nr, 1); /* only the forming bar is left */
  assert_int_equal(bars, 1);
  free(r);
}

/* Before the venue's first candle: an empty stretch in the past is a gap, recorded once. */
static void test_listing_gap(void **state) {
  fixture *fx = *state;
  cq_error e;
  fake_venue v = {.base.ops = &fake_ops};
  cq_backfill_job j = job_of(T0 - 500 * H, T0 + 50 * H);
  assert_int_equal(run(fx, &v, &j, NULL, &e), 0);
  assert_int_equal(atomic_load(&j.gap_bars), 500); /* the page starts later: a gap */
  fake_venue v2 = {.base.ops = &fake_ops};
  cq_backfill_job j2 = job_of(T0 - 500 * H, T0 + 50 * H);
  assert_int_equal(run(fx, &v2, &j2, NULL, &e), 0);
  assert_int_equal(v2.pages, 0); /* nothing left to ask */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_full_run_and_gaps, setup, teardown),
      cmocka_unit_test_setup_teardown(test_resume_after_stop, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failure_keeps_pages, setup, teardown),
      cmocka_unit_test_setup_teardown(test_earlier_since_fills_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_listing_gap, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
