/* cq_check_candles: one hand-made case per kind of issue with exact counts and times, the
 * capped list, bad options, and properties against naive references written here (gaps by
 * stepping the grid, duplicates by counting, outliers with medians from a full sort). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/data.h"
#include "data_test_util.h"

#define MIN_ CQ_NS_PER_MIN

static cq_check_opts opts_of(const char *tf) {
  return (cq_check_opts){.tf = tf_of(tf), .max_issues = 100000};
}

static void run(const cq_candles *c, const cq_check_opts *o, cq_check_report *rep) {
  cq_error e;
  int rc = cq_check_candles(c, o, rep, &e);
  if (rc) fail_msg("check failed: %s", e.msg);
}

/* The issues of one kind, in list order, into out (at most n); returns how many. */
static size_t of_kind(const cq_check_report *rep, cq_issue_kind k, cq_issue *out, size_t n) {
  size_t m = 0;
  for (size_t i = 0; i < rep->nissues; i++)
    if (rep->issues[i].kind == k && m < n) out[m++] = rep->issues[i];
  return m;
}

static void test_names(void **state) {
  (void)state;
  assert_string_equal(cq_issue_kind_name(CQ_ISSUE_GAP), "gap");
  assert_string_equal(cq_issue_kind_name(CQ_ISSUE_NEGATIVE_VOLUME), "negative_volume");
  assert_string_equal(cq_issue_kind_name(CQ_ISSUE_ZERO_VOLUME_RUN), "zero_volume_run");
  assert_string_equal(cq_issue_kind_name(CQ_ISSUE_OUTLIER), "outlier");
  assert_string_equal(cq_issue_kind_name(CQ_ISSUE_KIND_COUNT_), "unknown");
  assert_string_equal(cq_issue_kind_name((cq_issue_kind)-1), "unknown");
}

static void test_clean_and_empty(void **state) {
  (void)state;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_check_opts o = opts_of("1m");
  cq_check_report rep;
  run(&c, &o, &rep);
  assert_int_equal(rep.rows, 0);
  assert_int_equal(cq_check_report_total(&rep), 0);
  cq_check_report_release(&rep);

  /* a random walk with small steps: nothing to report */
  rng r = {42};
  double p = 100;
  cq_time t0 = iso("2024-03-01T00:00Z");
  for (size_t i = 0; i < 5000; i++) {
    double q = p * (1 + (rng_unit(&r) - 0.5) * 0.002);
    double hi = fmax(p, q) * 1.0005, lo = fmin(p, q) * 0.9995;
    push(&c, bar(t0 + (int64_t)i * MIN_, p, hi, lo, q, 1 + rng_unit(&r)));
    p = q;
  }
  run(&c, &o, &rep);
  assert_int_equal(rep.rows, 5000);
  assert_int_equal(cq_check_report_total(&rep), 0);
  assert_int_equal(rep.missing, 0);
  assert_int_equal(rep.nissues, 0);
  assert_false(rep.truncated);
  assert_null(rep.issues);
  cq_check_report_release(&rep);
  cq_candles_release(&c);
}

static void test_gaps(void **state) {
  (void)state;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_time t0 = iso("2024-01-01T00:00Z");
  int at[] = {0, 1, 5, 6, 10, 11};
  for (size_t i = 0; i < 6; i++) push(&c, bar(t0 + at[i] * MIN_, 1, 1, 1, 1, 1));
  cq_check_opts o = opts_of("1m");
  cq_check_report rep;
  run(&c, &o, &rep);
  assert_int_equal(rep.counts[CQ_ISSUE_GAP], 2);
  assert_int_equal(rep.missing, 6);
  assert_int_equal(cq_check_report_total(&rep), 2);
  assert_int_equal(rep.nissues, 2);
  cq_issue *g = rep.issues;
  assert_int_equal(g[0].kind, CQ_ISSUE_GAP);
  assert_int_equal(g[0].index, 2);
  assert_int_equal(g[0].time, iso("2024-01-01T00:02Z"));
  assert_int_equal(g[0].time2, iso("2024-01-01T00:04Z"));
  assert_int_equal(g[0].count, 3);
  assert_int_equal(g[1].index, 4);
  assert_int_equal(g[1].time, iso("2024-01-01T00:07Z"));
  assert_int_equal(g[1].time2, iso("2024-01-01T00:09Z"));
  assert_int_equal(g[1].count, 3);
  cq_check_report_release(&rep);

  /* calendar months: Jan, Feb, May 2024 miss March and April */
  cq_candles_clear(&c);
  push(&c, bar(iso("2024-01-01"), 1, 1, 1, 1, 1));
  push(&c, bar(iso("2024-02-01"), 1, 1, 1, 1, 1));
  push(&c, bar(iso("2024-05-01"), 1, 1, 1, 1, 1));
  push(&c, bar(iso("2025-03-01"), 1, 1, 1, 1, 1));
  o = opts_of("1M");
  run(&c, &o, &rep);
  assert_int_equal(rep.counts[CQ_ISSUE_GAP], 2);
  assert_int_equal(rep.missing, 2 + 9);
  assert_int_equal(rep.issues[0].time, iso("2024-03-01"));
  assert_int_equal(rep.issues[0].time2, iso("2024-04-01"));
  assert_int_equal(rep.issues[0].count, 2);
  assert_int_equal(rep.issues[1].time, iso("2024-06-01"));
  assert_int_equal(rep.issues[1].time2, iso("2025-02-01"));
  assert_int_equal(rep.issues[1].count, 9);
  assert_int_equal(cq_check_report_total(&rep), 2);
  cq_check_report_release(&rep);

  /* 3-month buckets: Jan 2024 then Oct 2024 miss Apr and Jul */
  cq_candles_clear(&c);
  push(&c, bar(iso("2024-01-01"), 1, 1, 1, 1, 1));
  push(&c, bar(iso("2024-10-01"), 1, 1, 1, 1, 1));
  o = opts_of("3M");
  run(&c, &o, &rep);
  assert_int_equal(rep.counts[CQ_ISSUE_GAP], 1);
  assert_int_equal(rep.issues[0].count, 2);
  assert_int_equal(rep.issues[0].time, iso("2024-04-01"));
  assert_int_equal(rep.issues[0].time2, iso("2024-07-01"));
  cq_check_report_release(&rep);

  /* weeks start on Monday: 2024-01-01 and 2024-01-22 miss the 8th and the 15th */
  cq_candles_clear(&c);
  push(&c, bar(iso("2024-01-01"), 1, 1, 1, 1, 1));
  push(&c, bar(iso("2024-01-22"), 1, 1, 1, 1, 1));
  o = opts_of("1w");
  run(&c, &o, &rep);
  assert_int_equal(rep.counts[CQ_ISSUE_GAP], 1);
  assert_int_equal(rep.counts[CQ_ISSUE_MISALIGNED], 0);
  assert_int_equal(rep.issues[0].count, 2);
  assert_int_equal(rep.issues[0].time, iso("2024-01-08"));
  assert_int_equal(rep.issues[0].time2, iso("2024-01-15"));
  cq_check_report_release(&rep);
  cq_candles_release(&c);
}

static void test_duplicates_and_order(void **state) {
  (void)state;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_time t0 = iso("2024-01-01T00:00Z");
  /* sorted, one time three times */
  int sorted_at[] = {0, 1, 1, 1, 2};
  for (size_t i = 0; i < 5; i++) push(&c, bar(t0 + sorted_at[i] * MIN_, 1, 1, 1, 1, 1));
  cq_check_opts o = opts_of("1m");
  cq_check_report rep;
  run(&c, &o, &rep);
  assert_int_equal(cq_check_report_total(&rep), 1);
  assert_int_equal(rep.counts[CQ_ISSUE_DUPLICATE], 1);
  assert_int_equal(rep.issues[0].index, 2);
  assert_int_equal(rep.issues[0].time, t0 + MIN_);
  assert_int_equal(rep.issues[0].count, 3);
  cq_check_report_release(&rep);

  /* unsorted: minutes 5,1,3,1,5,1. In time order 1 1 1 3 5 5: gaps at 2 (before the row
   * holding 3, row 2) and 4 (before the first row holding 5, row 0); 1 is held by rows 1,
   * 3, 5 and 5 by rows 0, 4; rows 1, 3 and 5 are earlier than the row before. */
  cq_candles_clear(&c);
  int at[] = {5, 1, 3, 1, 5, 1};
  for (size_t i = 0; i < 6; i++) push(&c, bar(t0 + at[i] * MIN_, 1, 1, 1, 1, 1));
  run(&c, &o, &rep);
  assert_int_equal(rep.counts[CQ_ISSUE_GAP], 2);
  assert_int_equal(rep.missing, 2);
  assert_int_equal(rep.counts[CQ_ISSUE_DUPLICATE], 2);
  assert_int_equal(rep.counts[CQ_ISSUE_UNORDERED], 3);
  assert_int_equal(cq_check_report_total(&rep), 7);
  assert_int_equal(rep.nissues, 7);
  const struct {
    size_t index;
    uint64_t count;
    cq_issue_kind kind;
    int minute;
  } want[] = {/* row, count, kind, minute */
              {0, 1, CQ_ISSUE_GAP, 4},       {1, 1, CQ_ISSUE_UNORDERED, 1},
              {2, 1, CQ_ISSUE_GAP, 2},       {3, 3, CQ_ISSUE_DUPLICATE, 1},
              {3, 1, CQ_ISSUE_UNORDERED, 1}, {4, 2, CQ_ISSUE_DUPLICATE, 5},
              {5, 1, CQ_ISSUE_UNORDERED, 1}};
  for (size_t i = 0; i < 7; i++) {
    assert_int_equal(rep.issues[i].kind, want[i].kind);
    assert_int_equal(rep.issues[i].index, want[i].index);
    assert_int_equal(rep.issues[i].time, t0 + want[i].minute * MIN_);
    assert_int_equal(rep.issues[i].count, want[i].count);
  }
  cq_check_report_release(&rep);
  cq_candles_release(&c);
}

static void test_misaligned(void **state) {
  (void)state;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_time t0 = iso("2024-01-01T00:00Z");
  push(&c, bar(t0, 1, 1, 1, 1, 1));
  push(&c, bar(t0 + MIN_, 1, 1, 1, 1, 1));
  push(&c, bar(t0 + 2 * MIN_ + 30 * CQ_NS_PER_SEC, 1, 1, 1, 1, 1)); /* inside 00:02 */
  push(&c, bar(t0 + 3 * MIN_, 1, 1, 1, 1, 1));
  push(&c, bar(t0 + 5 * MIN_ + 1, 1, 1, 1, 1, 1)); /* 1 ns past 00:05: 00:04 is missing */
  cq_check_opts o = opts_of("1m");
  cq_check_report rep;
  run(&c, &o, &rep);
  assert_int_equal(rep.counts[CQ_ISSUE_MISALIGNED], 2);
  assert_int_equal(rep.counts[CQ_ISSUE_GAP], 1);
  assert_int_equal(rep.missing, 1);
  assert_int_equal(cq_check_report_total(&rep), 3);
  assert_int_equal(rep.issues[0].kind, CQ_ISSUE_MISALIGNED);
  assert_int_equal(rep.issues[0].index, 2);
  assert_int_equal(rep.issues[0].time, t0 + 2 * MIN_ + 30 * CQ_NS_PER_SEC);
  assert_int_equal(rep.issues[1].kind, CQ_ISSUE_GAP);
  assert_int_equal(rep.issues[1].index, 4);
  assert_int_equal(rep.issues[1].time, t0 + 4 * MIN_);
  assert_int_equal(rep.issues[2].kind, CQ_ISSUE_MISALIGNED);
  assert_int_equal(rep.issues[2].index, 4);
  cq_check_report_release(&rep);

  /* months: the 2nd of a month is off the grid */
  cq_candles_clear(&c);
  push(&c, bar(iso("2024-01-01"), 1, 1, 1, 1, 1));
  push(&c, bar(iso("2024-02-02"), 1, 1, 1, 1, 1));
  o = opts_of("1M");
  run(&c, &o, &rep);
  assert_int_equal(rep.counts[CQ_ISSUE_MISALIGNED], 1);
  assert_int_equal(rep.counts[CQ_ISSUE_GAP], 0);
  assert_int_equal(rep.issues[0].index, 1);
  cq_check_report_release(&rep);
  cq_candles_release(&c);
}

static void test_prices_and_volumes(void **state) {
  (void)state;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_time t0 = iso("2024-01-01T00:00Z");
  cq_candle rows[] = {
      bar(0, 10, 11, 9, 10, 1),        /* 0 fine */
      bar(0, 10, 10.5, 9, 11, 1),      /* 1 high < close */
      bar(0, 10, 12, 10.5, 11, 1),     /* 2 low > open */
      bar(0, 10, 9, 11, 10, 1),        /* 3 high < low (and high < open, low > close) */
      bar(0, 0, 11, 0, 10, 1),         /* 4 open and low 0: nonpositive only */
      bar(0, -2, -1, -3, -2, 1),       /* 5 negative but consistent: nonpositive only */
      bar(0, 10, NAN, 9, 10, 1),       /* 6 NaN high: nonpositive, no OHLC */
      bar(0, 10, INFINITY, 9, 10, 1),  /* 7 infinite high: nonpositive */
      bar(0, 10, 11, 9, 10, -1),       /* 8 negative volume */
      bar(0, 10, 11, 9, 10, NAN),      /* 9 NaN volume */
      bar(0, 10, 11, 9, 10, INFINITY), /* 10 infinite volume */
      bar(0, 10, 9, 11, -10, -5),      /* 11 all three */
      bar(0, 10, 10, 10, 10, 0),       /* 12 fine: flat bar, zero volume */
  };
  size_t n = sizeof rows / sizeof rows[0];
  for (size_t i = 0; i < n; i++) {
    rows[i].open_time = t0 + (int64_t)i * MIN_;
    push(&c, rows[i]);
  }
  cq_check_opts o = opts_of("1m");
  o.outlier_z = -1; /* prices jump about on purpose */
  cq_check_report rep;
  run(&c, &o, &rep);
  assert_int_equal(rep.counts[CQ_ISSUE_OHLC], 4);
  assert_int_equal(rep.counts[CQ_ISSUE_NONPOSITIVE], 5);
  assert_int_equal(rep.counts[CQ_ISSUE_NEGATIVE_VOLUME], 4);
  assert_int_equal(rep.counts[CQ_ISSUE_OUTLIER], 0);
  assert_int_equal(cq_check_report_total(&rep), 13);
  cq_issue is[8];
  assert_int_equal(of_kind(&rep, CQ_ISSUE_OHLC, is, 8), 4);
  assert_int_equal(is[0].index, 1);
  assert_int_equal(is[1].index, 2);
  assert_int_equal(is[2].index, 3);
  assert_int_equal(is[3].index, 11);
  assert_int_equal(is[3].time, t0 + 11 * MIN_);
  assert_int_equal(of_kind(&rep, CQ_ISSUE_NONPOSITIVE, is, 8), 5);
  assert_int_equal(is[0].index, 4);
  assert_int_equal(is[1].index, 5);
  assert_int_equal(is[2].index, 6);
  assert_int_equal(is[3].index, 7);
  assert_int_equal(is[4].index, 11);
  assert_int_equal(of_kind(&rep, CQ_ISSUE_NEGATIVE_VOLUME, is, 8), 4);
  assert_int_equal(is[0].index, 8);
  assert_int_equal(is[1].index, 9);
  assert_int_equal(is[2].index, 10);
  assert_int_equal(is[3].index, 11);
  /* within a row, kinds in enum order */
  size_t last = rep.nissues - 1;
  assert_int_equal(rep.issues[last - 2].kind, CQ_ISSUE_OHLC);
  assert_int_equal(rep.issues[last - 1].kind, CQ_ISSUE_NONPOSITIVE);
  assert_int_equal(rep.issues[last].kind, CQ_ISSUE_NEGATIVE_VOLUME);
  cq_check_report_release(&rep);
  cq_candles_release(&c);
}

static void test_zero_volume_runs(void **state) {
  (void)state;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_time t0 = iso("2024-01-01T00:00Z");
  double vol[] = {1, 0, 0, 1, 0, 0, 0, 0, 1, -0.0, 0, 0};
  for (size_t i = 0; i < 12; i++) push(&c, bar(t0 + (int64_t)i * MIN_, 1, 1, 1, 1, vol[i]));
  cq_check_opts o = opts_of("1m");
  o.min_zero_run = 3;
  cq_check_report rep;
  run(&c, &o, &rep);
  assert_int_equal(cq_check_report_total(&rep), 2);
  assert_int_equal(rep.counts[CQ_ISSUE_ZERO_VOLUME_RUN], 2);
  assert_int_equal(rep.issues[0].index, 4);
  assert_int_equal(rep.issues[0].count, 4);
  assert_int_equal(rep.issues[0].time, t0 + 4 * MIN_);
  assert_int_equal(rep.issues[0].time2, t0 + 7 * MIN_);
  assert_int_equal(rep.issues[1].index, 9); /* a run that reaches the end; -0 is zero */
  assert_int_equal(rep.issues[1].count, 3);
  assert_int_equal(rep.issues[1].time2, t0 + 11 * MIN_);
  cq_check_report_release(&rep);

  /* the default is 10: 9 zeros pass, 10 do not */
  cq_candles_clear(&c);
  for (size_t i = 0; i < 30; i++) {
    double v = (i >= 1 && i < 10) || (i >= 15 && i < 25) ? 0 : 1;
    push(&c, bar(t0 + (int64_t)i * MIN_, 1, 1, 1, 1, v));
  }
  o.min_zero_run = 0;
  run(&c, &o, &rep);
  assert_int_equal(cq_check_report_total(&rep), 1);
  assert_int_equal(rep.issues[0].index, 15);
  assert_int_equal(rep.issues[0].count, 10);
  cq_check_report_release(&rep);
  cq_candles_release(&c);
}

static void test_outliers(void **state) {
  (void)state;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_time t0 = iso("2024-01-01T00:00Z");
  /* returns cycle through +1, -1, 0, +2, -2 per mille of log price (8 of each) and one jump
   * of +0.05 at row 41. Sorted, the 41 returns put 0 in the middle: median 0. The absolute
   * deviations are 0 x8, 0.001 x16, 0.002 x16, 0.05: MAD (the 21st) is 0.001. So the jump
   * has z = 0.6745 * 0.05 / 0.001 = 33.725, the +-0.002 returns 1.349 and the rest less. */
  double lp = log(100.0);
  static const double cyc[] = {0.001, -0.001, 0, 0.002, -0.002};
  double closes[42];
  closes[0] = 100;
  for (size_t i = 1; i <= 41; i++) {
    lp += i == 41 ? 0.05 : cyc[(i - 1) % 5];
    closes[i] = exp(lp);
  }
  for (size_t i = 0; i <= 41; i++) {
    double p = closes[i];
    push(&c, bar(t0 + (int64_t)i * MIN_, p, p, p, p, 1));
  }
  cq_check_opts o = opts_of("1m");
  cq_check_report rep;
  run(&c, &o, &rep);
  assert_int_equal(cq_check_report_total(&rep), 1);
  assert_int_equal(rep.counts[CQ_ISSUE_OUTLIER], 1);
  assert_int_equal(rep.issues[0].index, 41);
  assert_int_equal(rep.issues[0].time, t0 + 41 * MIN_);
  assert_int_equal(rep.issues[0].count, 1);
  assert_true(fabs(rep.issues[0].value - 33.725) < 1e-6);
  cq_check_report_release(&rep);
  /* a lower limit catches the +-0.002 returns too */
  o.outlier_z = 1.0;
  run(&c, &o, &rep);
  assert_int_equal(rep.counts[CQ_ISSUE_OUTLIER], 17);
  cq_check_report_release(&rep);
  o.outlier_z = -1;
  run(&c, &o, &rep);
  assert_int_equal(cq_check_report_total(&rep), 0);
  cq_check_report_release(&rep);

  /* the jump across a gap is no return: nothing to flag (the gap is reported) */
  c.open_time[41] += MIN_;
  o.outlier_z = 0;
  run(&c, &o, &rep);
  assert_int_equal(rep.counts[CQ_ISSUE_OUTLIER], 0);
  assert_int_equal(rep.counts[CQ_ISSUE_GAP], 1);
  cq_check_report_release(&rep);
  cq_candles_release(&c);
}

static void test_outliers_mad_zero(void **state) {
  (void)state;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_time t0 = iso("2024-01-01T00:00Z");
  /* 21 bars, flat but for one step up at row 10: 20 returns, 19 of them 0. MAD is 0, so
   * z = |r| / (1.2533 * mean|r|) = |r| / (1.2533 * |r| / 20) = 20 / 1.2533. */
  for (size_t i = 0; i <= 20; i++) {
    double p = i < 10 ? 0.0016 : 0.00162;
    push(&c, bar(t0 + (int64_t)i * MIN_, p, p, p, p, 5));
  }
  cq_check_opts o = opts_of("1m");
  cq_check_report rep;
  run(&c, &o, &rep);
  assert_int_equal(cq_check_report_total(&rep), 1);
  assert_int_equal(rep.issues[0].kind, CQ_ISSUE_OUTLIER);
  assert_int_equal(rep.issues[0].index, 10);
  assert_true(fabs(rep.issues[0].value - 20 / 1.2533141373155003) < 1e-9);
  cq_check_report_release(&rep);

  /* every return the same: no outliers (MAD and mean deviation both 0) */
  cq_candles_clear(&c);
  for (size_t i = 0; i <= 20; i++) {
    double p = 7.5;
    push(&c, bar(t0 + (int64_t)i * MIN_, p, p, p, p, 5));
  }
  run(&c, &o, &rep);
  assert_int_equal(cq_check_report_total(&rep), 0);
  cq_check_report_release(&rep);
  cq_candles_release(&c);
}

static void test_capped_list(void **state) {
  (void)state;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_time t0 = iso("2024-01-01T00:00Z");
  /* every other bar missing and every third misaligned by a second */
  for (size_t i = 0; i < 300; i++) {
    cq_time t = t0 + (int64_t)(2 * i) * MIN_ + (i % 3 == 2 ? CQ_NS_PER_SEC : 0);
    push(&c, bar(t, 1, 1, 1, 1, 1));
  }
  cq_check_opts o = opts_of("1m");
  cq_check_report full, capped;
  run(&c, &o, &full);
  assert_int_equal(full.counts[CQ_ISSUE_GAP], 299);
  assert_int_equal(full.missing, 299);
  assert_int_equal(full.counts[CQ_ISSUE_MISALIGNED], 100);
  assert_int_equal(full.nissues, 399);
  assert_false(full.truncated);
  size_t caps[] = {1, 2, 5, 398, 399, 400};
  for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
    o.max_issues = caps[k];
    run(&c, &o, &capped);
    assert_memory_equal(capped.counts, full.counts, sizeof full.counts);
    assert_int_equal(capped.missing, full.missing);
    assert_int_equal(capped.nissues, caps[k] < 399 ? caps[k] : 399);
    assert_int_equal(capped.truncated, caps[k] < 399);
    for (size_t i = 0; i < capped.nissues; i++) {
      assert_int_equal(capped.issues[i].kind, full.issues[i].kind);
      assert_int_equal(capped.issues[i].index, full.issues[i].index);
      assert_int_equal(capped.issues[i].time, full.issues[i].time);
    }
    cq_check_report_release(&capped);
  }
  /* the default cap is 1000 */
  cq_candles_clear(&c);
  for (size_t i = 0; i < 1500; i++) push(&c, bar(t0 + (int64_t)i * MIN_ + 1, 1, 1, 1, 1, 1));
  o.max_issues = 0;
  run(&c, &o, &capped);
  assert_int_equal(capped.counts[CQ_ISSUE_MISALIGNED], 1500);
  assert_int_equal(capped.nissues, 1000);
  assert_true(capped.truncated);
  assert_int_equal(capped.issues[999].index, 999);
  cq_check_report_release(&capped);
  cq_check_report_release(&full);
  cq_candles_release(&c);
}

static void test_bad_options(void **state) {
  (void)state;
  cq_candles c;
  cq_candles_init(&c, 0);
  push(&c, bar(0, 1, 1, 1, 1, 1));
  cq_check_report rep;
  cq_error e;
  cq_check_opts o = {.tf = {0, CQ_TF_MINUTE}};
  assert_int_equal(cq_check_candles(&c, &o, &rep, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "timeframe"));
  assert_int_equal(rep.nissues, 0);
  o = (cq_check_opts){.tf = {13, CQ_TF_MONTH}};
  assert_int_equal(cq_check_candles(&c, &o, &rep, &e), CQ_EINVAL);
  o = (cq_check_opts){.tf = {1, (cq_tf_unit)9}};
  assert_int_equal(cq_check_candles(&c, &o, &rep, &e), CQ_EINVAL);
  o = (cq_check_opts){.tf = {1, CQ_TF_MINUTE}, .outlier_z = NAN};
  assert_int_equal(cq_check_candles(&c, &o, &rep, &e), CQ_EINVAL);
  assert_int_equal(cq_check_candles(&c, NULL, &rep, NULL), CQ_EINVAL);
  assert_int_equal(cq_check_candles(NULL, &o, &rep, NULL), CQ_EINVAL);
  cq_check_report_release(&rep);
  cq_candles_release(&c);
}

/* ---- properties ------------------------------------------------------------------------ */

static int cmp_time(const void *a, const void *b) {
  cq_time x = *(const cq_time *)a, y = *(const cq_time *)b;
  return (x > y) - (x < y);
}

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double ref_median(const double *v, size_t n) {
  double *s = malloc(n * sizeof *s);
  assert_non_null(s);
  memcpy(s, v, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp_dbl);
  double m = n % 2 ? s[n / 2] : s[n / 2 - 1] + (s[n / 2] - s[n / 2 - 1]) / 2;
  free(s);
  return m;
}

/* The whole report, recomputed naively, against the library's. */
static void check_against_reference(const cq_candles *c, cq_timeframe tf, double zmax) {
  size_t n = c->len;
  cq_check_opts o = {.tf = tf, .max_issues = 1000000, .outlier_z = zmax};
  cq_check_report rep;
  run(c, &o, &rep);
  assert_int_equal(rep.rows, n);

  /* gaps: distinct buckets in time order, stepping the grid between them */
  cq_time *ts = malloc((n + 1) * sizeof *ts);
  assert_non_null(ts);
  memcpy(ts, c->open_time, n * sizeof *ts);
  qsort(ts, n, sizeof *ts, cmp_time);
  uint64_t runs = 0, missing = 0, dups = 0, unordered = 0, misaligned = 0;
  for (size_t i = 1; i < n; i++) {
    cq_time a = cq_timeframe_floor(tf, ts[i - 1]), b = cq_timeframe_floor(tf, ts[i]);
    uint64_t m = 0;
    for (cq_time x = cq_timeframe_next(tf, a); x < b; x = cq_timeframe_next(tf, x)) m++;
    if (b > a && m) {
      runs++;
      missing += m;
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (i && ts[i] == ts[i - 1] && (i < 2 || ts[i - 2] != ts[i])) dups++;
    if (i && c->open_time[i] < c->open_time[i - 1]) unordered++;
    if (cq_timeframe_floor(tf, c->open_time[i]) != c->open_time[i]) misaligned++;
  }
  free(ts);
  assert_int_equal(rep.counts[CQ_ISSUE_GAP], runs);
  assert_int_equal(rep.missing, missing);
  assert_int_equal(rep.counts[CQ_ISSUE_DUPLICATE], dups);
  assert_int_equal(rep.counts[CQ_ISSUE_UNORDERED], unordered);
  assert_int_equal(rep.counts[CQ_ISSUE_MISALIGNED], misaligned);
  /* each duplicate issue names the second row holding its time, and how many do */
  for (size_t i = 0; i < rep.nissues; i++) {
    const cq_issue *is = &rep.issues[i];
    if (is->kind != CQ_ISSUE_DUPLICATE) continue;
    size_t seen = 0, second = SIZE_MAX;
    for (size_t j = 0; j < n; j++)
      if (c->open_time[j] == is->time && ++seen == 2) second = j;
    assert_int_equal(seen, is->count);
    assert_int_equal(second, is->index);
  }
  /* the list is in (row, kind) order */
  for (size_t i = 1; i < rep.nissues; i++) {
    const cq_issue *a = &rep.issues[i - 1], *b = &rep.issues[i];
    assert_true(a->index < b->index || (a->index == b->index && a->kind < b->kind));
  }

  /* outliers from a full sort */
  double *r = malloc(n * sizeof *r), *w = malloc(n * sizeof *w);
  assert_true(r && w);
  size_t m = 0;
  for (size_t i = 1; i < n; i++) {
    r[i] = NAN;
    double a = c->close[i - 1], b = c->close[i];
    if (a > 0 && b > 0 && c->open_time[i] > c->open_time[i - 1] &&
        cq_timeframe_next(tf, c->open_time[i - 1]) == c->open_time[i])
      w[m++] = r[i] = log(b / a);
  }
  uint64_t outliers = 0;
  if (m) {
    double med = ref_median(w, m);
    for (size_t j = 0; j < m; j++) w[j] = fabs(w[j] - med);
    double mad = ref_median(w, m), mean = 0;
    for (size_t j = 0; j < m; j++) mean += w[j];
    mean /= (double)m;
    size_t listed = 0;
    for (size_t i = 1; i < n && (mad > 0 || mean > 0); i++) {
      if (isnan(r[i])) continue;
      double d = fabs(r[i] - med);
      double z = mad > 0 ? 0.6745 * d / mad : d / (1.2533141373155003 * mean);
      if (z <= zmax) continue;
      outliers++;
      while (listed < rep.nissues &&
             (rep.issues[listed].kind != CQ_ISSUE_OUTLIER || rep.issues[listed].index < i))
        listed++;
      assert_true(listed < rep.nissues);
      assert_int_equal(rep.issues[listed].index, i);
      assert_true(fabs(rep.issues[listed].value - z) <= 1e-9 * z);
    }
  }
  assert_int_equal(rep.counts[CQ_ISSUE_OUTLIER], outliers);
  free(r);
  free(w);
  cq_check_report_release(&rep);
}

/* Messy series: gaps, repeated rows, misaligned and swapped rows, prices on a coarse tick so
 * that many returns repeat (MAD is sometimes 0). */
static void test_property_reference(void **state) {
  (void)state;
  rng r = {7};
  const char *tfs[] = {"1m", "5m", "1h", "1d", "1w", "1M"};
  cq_candles c;
  cq_candles_init(&c, 0);
  for (int iter = 0; iter < 600; iter++) {
    cq_timeframe tf = tf_of(tfs[iter % 6]);
    size_t n = 1 + rng_below(&r, iter % 10 == 0 ? 3000 : 200);
    cq_candles_clear(&c);
    cq_time t =
        cq_timeframe_floor(tf, iso("2019-12-30") + (int64_t)rng_below(&r, 400) * CQ_NS_PER_DAY);
    double tick = rng_below(&r, 2) ? 0.01 : 1e-8, p = 100 * tick * (1 + (double)rng_below(&r, 50));
    for (size_t i = 0; i < n; i++) {
      uint64_t what = rng_below(&r, 100);
      if (what < 8) t = cq_timeframe_next(tf, t); /* a gap */
      if (what < 3) t = cq_timeframe_next(tf, t);
      double step = (double)((int)rng_below(&r, 5) - 2) * tick;
      if (rng_below(&r, 200) == 0) step = p * 0.3; /* a jump */
      if (p + step > tick) p = p + step;
      cq_time at = t + (what == 50 ? CQ_NS_PER_SEC : 0);
      push(&c, bar(at, p, p, p, p, (double)rng_below(&r, 3)));
      if (what >= 90 && what < 94 && i + 1 < n) { /* the same row again */
        push(&c, bar(at, p, p, p, p, 1));
        i++;
      }
      t = cq_timeframe_next(tf, t);
    }
    for (size_t k = rng_below(&r, 4); k > 0 && c.len > 1; k--) { /* swap two rows */
      size_t a = rng_below(&r, c.len), b = rng_below(&r, c.len);
      cq_candle x, y;
      cq_candles_get(&c, a, &x);
      cq_candles_get(&c, b, &y);
      cq_candles_set(&c, a, &y);
      cq_candles_set(&c, b, &x);
    }
    check_against_reference(&c, tf, iter % 3 == 0 ? 3.0 : 12.0);
  }
  cq_candles_release(&c);
}

/* A long series exercises the selection on large arrays: random, then sorted and
 * reversed returns (the classic bad orders for simple pivots), then mostly equal ones. */
static void test_property_selection(void **state) {
  (void)state;
  rng r = {99};
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_timeframe tf = tf_of("1m");
  for (int shape = 0; shape < 4; shape++) {
    cq_candles_clear(&c);
    size_t n = 100001;
    double lp = 0;
    for (size_t i = 0; i < n; i++) {
      double ret;
      if (shape == 0)
        ret = (rng_unit(&r) - 0.5) * 0.01;
      else if (shape == 1)
        ret = -0.001 + 0.002 * (double)i / (double)n;
      else if (shape == 2)
        ret = 0.001 - 0.002 * (double)i / (double)n;
      else
        ret = rng_below(&r, 10) < 7 ? 0 : (rng_unit(&r) - 0.5) * 0.01;
      if (rng_below(&r, 20000) == 0) ret = 0.5;
      lp += ret;
      double p = exp(lp);
      push(&c, bar((int64_t)i * MIN_, p, p, p, p, 1));
    }
    check_against_reference(&c, tf, 6.0);
  }
  cq_candles_release(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_clean_and_empty),
      cmocka_unit_test(test_gaps),
      cmocka_unit_test(test_duplicates_and_order),
      cmocka_unit_test(test_misaligned),
      cmocka_unit_test(test_prices_and_volumes),
      cmocka_unit_test(test_zero_volume_runs),
      cmocka_unit_test(test_outliers),
      cmocka_unit_test(test_outliers_mad_zero),
      cmocka_unit_test(test_capped_list),
      cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_property_reference),
      cmocka_unit_test(test_property_selection),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
