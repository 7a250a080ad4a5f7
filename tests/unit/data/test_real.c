/* Quality checks and resampling on the real candle files of the shared data folder
 * (CQ_SHARED_DATA/market, described in its README.md). Without the folder every test prints
 * "skipped: no shared data" and skips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cquant/data.h"
#include "data_test_util.h"

#define BTC_5M CQ_SHARED_DATA "/market/binance_BTC_USDT-5m.csv"
#define ALT_1M CQ_SHARED_DATA "/market/binance_ALT_BTC-1m.csv"

static bool have(const char *path) {
  if (access(path, R_OK) == 0) return true;
  printf("skipped: no shared data\n");
  return false;
}

static void no_structural_issues(const cq_check_report *rep) {
  assert_int_equal(rep->counts[CQ_ISSUE_DUPLICATE], 0);
  assert_int_equal(rep->counts[CQ_ISSUE_UNORDERED], 0);
  assert_int_equal(rep->counts[CQ_ISSUE_MISALIGNED], 0);
  assert_int_equal(rep->counts[CQ_ISSUE_OHLC], 0);
  assert_int_equal(rep->counts[CQ_ISSUE_NONPOSITIVE], 0);
  assert_int_equal(rep->counts[CQ_ISSUE_NEGATIVE_VOLUME], 0);
}

static void test_btc_5m_check(void **state) {
  (void)state;
  if (!have(BTC_5M)) skip();
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_timeframe tf = read_market_file(BTC_5M, &c);
  assert_int_equal(c.len, 10999);
  assert_int_equal(c.open_time[0], iso("2023-01-02T16:45Z"));
  assert_int_equal(c.open_time[c.len - 1], iso("2023-02-09T21:15Z"));
  cq_check_opts o = {.tf = tf, .max_issues = 100000};
  cq_check_report rep;
  cq_error e;
  assert_int_equal(cq_check_candles(&c, &o, &rep, &e), 0);
  assert_int_equal(rep.rows, 10999);
  assert_int_equal(rep.counts[CQ_ISSUE_GAP], 0);
  assert_int_equal(rep.missing, 0);
  no_structural_issues(&rep);
  assert_int_equal(rep.counts[CQ_ISSUE_ZERO_VOLUME_RUN], 0);
  /* Outliers at the default z > 12, recomputed with Python (math.log of float closes,
   * statistics.median): 10998 returns, median 8.674e-06, MAD 0.00052734; 28 outliers, the
   * first at row 2673 (2023-01-11 23:30, z 25.548) */
  assert_int_equal(rep.counts[CQ_ISSUE_OUTLIER], 28);
  for (size_t i = 0; i < rep.nissues; i++) {
    if (rep.issues[i].kind != CQ_ISSUE_OUTLIER) continue;
    assert_int_equal(rep.issues[i].index, 2673);
    assert_true(fabs(rep.issues[i].value - 25.548434710626) < 1e-6);
    break;
  }
  cq_check_report_release(&rep);
  cq_candles_release(&c);
}

static void test_alt_1m_check(void **state) {
  (void)state;
  if (!have(ALT_1M)) skip();
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_timeframe tf = read_market_file(ALT_1M, &c);
  assert_int_equal(c.len, 13681);
  assert_int_equal(c.open_time[0], iso("2017-11-04T23:02Z"));
  assert_int_equal(c.open_time[c.len - 1], iso("2017-11-14T22:59Z"));
  cq_check_opts o = {.tf = tf, .max_issues = 100000};
  cq_check_report rep;
  cq_error e;
  assert_int_equal(cq_check_candles(&c, &o, &rep, &e), 0);
  assert_false(rep.truncated);
  assert_int_equal(rep.counts[CQ_ISSUE_GAP], 538);
  assert_int_equal(rep.missing, 717);
  no_structural_issues(&rep);
  /* the largest gap, and the only one of 7 bars: 03:12 is followed by 03:20 */
  const cq_issue *largest = NULL;
  size_t of_largest = 0;
  uint64_t missing = 0;
  for (size_t i = 0; i < rep.nissues; i++) {
    const cq_issue *is = &rep.issues[i];
    if (is->kind != CQ_ISSUE_GAP) continue;
    missing += is->count;
    if (largest && is->count == largest->count) of_largest++;
    if (!largest || is->count > largest->count) {
      largest = is;
      of_largest = 1;
    }
  }
  assert_int_equal(missing, 717);
  /* outliers recomputed with Python as for BTC: 13142 returns of adjacent bars, median 0,
   * MAD 0.00137117; 12 outliers, the first at row 5762 (z 14.4486) */
  assert_int_equal(rep.counts[CQ_ISSUE_OUTLIER], 12);
  for (size_t i = 0; i < rep.nissues; i++) {
    if (rep.issues[i].kind != CQ_ISSUE_OUTLIER) continue;
    assert_int_equal(rep.issues[i].index, 5762);
    assert_true(fabs(rep.issues[i].value - 14.448600136671) < 1e-6);
    break;
  }
  if (!largest) {
    fail_msg("no gaps listed");
    return;
  }
  assert_int_equal(of_largest, 1);
  assert_int_equal(largest->count, 7);
  assert_int_equal(largest->time, iso("2017-11-05T03:13Z"));
  assert_int_equal(largest->time2, iso("2017-11-05T03:19Z"));
  assert_int_equal(c.open_time[largest->index - 1], iso("2017-11-05T03:12Z"));
  assert_int_equal(c.open_time[largest->index], iso("2017-11-05T03:20Z"));
  cq_check_report_release(&rep);
  cq_candles_release(&c);
}

/* Neumaier sum of a column, to compare totals before and after resampling. */
static double total(const double *v, size_t n) {
  double s = 0, comp = 0;
  for (size_t i = 0; i < n; i++) {
    double t = s + v[i];
    comp += fabs(s) >= fabs(v[i]) ? (s - t) + v[i] : (v[i] - t) + s;
    s = t;
  }
  return s + comp;
}

static void test_btc_5m_resample(void **state) {
  (void)state;
  if (!have(BTC_5M)) skip();
  cq_candles c, h, d;
  cq_candles_init(&c, 0);
  cq_candles_init(&h, 0);
  cq_candles_init(&d, 0);
  cq_timeframe tf = read_market_file(BTC_5M, &c);
  cq_resample_report rep;
  cq_error e;

  /* hours: 16:45-16:55 on Jan 2 and 21:00-21:15 on Feb 9 are partial; the 916 between are
   * whole (3 + 916 * 12 + 4 = 10999 rows) */
  assert_int_equal(cq_resample(&c, tf, tf_of("1h"), false, &h, &rep, &e), 0);
  assert_int_equal(rep.buckets, 916);
  assert_int_equal(rep.incomplete, 2);
  assert_int_equal(rep.first_incomplete, iso("2023-01-02T16:00Z"));
  assert_int_equal(rep.last_incomplete, iso("2023-02-09T21:00Z"));
  /* Expected values: awk over the CSV, e.g. for the hour from 1672678800000
   *   awk -F, -v s=1672678800000 'NR>1 && $1>=s && $1<s+3600000 {...first open, max high,
   *   min low, last close...}' binance_BTC_USDT-5m.csv
   * and the volumes summed exactly with Python's decimal. */
  assert_int_equal(h.open_time[0], iso("2023-01-02T17:00Z"));
  assert_true(h.open[0] == 16704.1 && h.high[0] == 16716.5 && h.low[0] == 16702.6 &&
              h.close[0] == 16710.1);
  assert_true(near_ulps(h.volume[0], 4115.314, 1));
  assert_int_equal(h.open_time[915], iso("2023-02-09T20:00Z"));
  assert_true(h.open[915] == 22027.3 && h.high[915] == 22074.5 && h.low[915] == 21817.5 &&
              h.close[915] == 21989.5);
  assert_true(near_ulps(h.volume[915], 55980.087, 1));
  for (size_t i = 1; i < h.len; i++)
    assert_int_equal(h.open_time[i] - h.open_time[i - 1], CQ_NS_PER_HOUR);

  /* days: Jan 3 .. Feb 8 whole (37), Jan 2 (87 bars) and Feb 9 (256 bars) partial */
  assert_int_equal(cq_resample(&c, tf, tf_of("1d"), false, &d, &rep, &e), 0);
  assert_int_equal(rep.buckets, 37);
  assert_int_equal(rep.incomplete, 2);
  assert_int_equal(rep.first_incomplete, iso("2023-01-02"));
  assert_int_equal(rep.last_incomplete, iso("2023-02-09"));
  assert_int_equal(d.open_time[0], iso("2023-01-03"));
  assert_true(d.open[0] == 16665.9 && d.high[0] == 16774.0 && d.low[0] == 16600.3 &&
              d.close[0] == 16667.2);
  assert_true(near_ulps(d.volume[0], 203070.205, 1));
  assert_int_equal(d.open_time[29], iso("2023-02-01"));
  assert_true(d.open[29] == 23119.5 && d.high[29] == 23852.4 && d.low[29] == 22747.0 &&
              d.close[29] == 23730.0);
  assert_true(near_ulps(d.volume[29], 571429.711, 1));

  /* nothing lost: with the partial buckets kept, the total volume is the same (to within
   * the rounding of the per-bucket sums), and the file's exact total is 18553427.971 */
  double before = total(c.volume, c.len);
  assert_true(near_ulps(before, 18553427.971, 1));
  const char *into[] = {"15m", "1h", "4h", "1d", "1w", "1M"};
  for (size_t k = 0; k < sizeof into / sizeof into[0]; k++) {
    cq_candles r;
    cq_candles_init(&r, 0);
    assert_int_equal(cq_resample(&c, tf, tf_of(into[k]), true, &r, &rep, &e), 0);
    assert_true(near_ulps(total(r.volume, r.len), before, 2));
    double hi = 0, lo = INFINITY;
    for (size_t i = 0; i < r.len; i++) {
      hi = fmax(hi, r.high[i]);
      lo = fmin(lo, r.low[i]);
    }
    double hi0 = 0, lo0 = INFINITY;
    for (size_t i = 0; i < c.len; i++) {
      hi0 = fmax(hi0, c.high[i]);
      lo0 = fmin(lo0, c.low[i]);
    }
    assert_true(hi == hi0 && lo == lo0);
    assert_true(r.open[0] == c.open[0] && r.close[r.len - 1] == c.close[c.len - 1]);
    cq_candles_release(&r);
  }
  cq_candles_release(&c);
  cq_candles_release(&h);
  cq_candles_release(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_btc_5m_check),
      cmocka_unit_test(test_alt_1m_check),
      cmocka_unit_test(test_btc_5m_resample),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
