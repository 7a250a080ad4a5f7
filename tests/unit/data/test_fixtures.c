/* Quality checks and resampling on small slices of real data kept in tests/data (see
 * tests/data/SOURCES.md), so they run everywhere, shared data or not. Expected figures were
 * counted over the CSV text with awk and Python's decimal, independently of cquant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "cquant/data.h"
#include "data_test_util.h"

#define BTC_5M CQ_TEST_DATA "/binance_BTC_USDT-5m.head300.csv"
#define ALT_1M CQ_TEST_DATA "/binance_ALT_BTC-1m.head300.csv"

static void no_structural_issues(const cq_check_report *rep) {
  assert_int_equal(rep->counts[CQ_ISSUE_DUPLICATE], 0);
  assert_int_equal(rep->counts[CQ_ISSUE_UNORDERED], 0);
  assert_int_equal(rep->counts[CQ_ISSUE_MISALIGNED], 0);
  assert_int_equal(rep->counts[CQ_ISSUE_OHLC], 0);
  assert_int_equal(rep->counts[CQ_ISSUE_NONPOSITIVE], 0);
  assert_int_equal(rep->counts[CQ_ISSUE_NEGATIVE_VOLUME], 0);
}

static void test_btc_slice_check(void **state) {
  (void)state;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_timeframe tf = read_market_file(BTC_5M, &c);
  assert_int_equal(c.len, 300);
  assert_int_equal(c.open_time[0], iso("2023-01-02T16:45Z"));
  assert_int_equal(c.open_time[299], iso("2023-01-03T17:40Z"));
  cq_check_opts o = {.tf = tf, .max_issues = 10000};
  cq_check_report rep;
  assert_int_equal(cq_check_candles(&c, &o, &rep, NULL), 0);
  assert_int_equal(rep.rows, 300);
  assert_int_equal(rep.counts[CQ_ISSUE_GAP], 0);
  assert_int_equal(rep.missing, 0);
  no_structural_issues(&rep);
  cq_check_report_release(&rep);
  cq_candles_release(&c);
}

static void test_alt_slice_check(void **state) {
  (void)state;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_timeframe tf = read_market_file(ALT_1M, &c);
  assert_int_equal(c.len, 300);
  cq_check_opts o = {.tf = tf, .max_issues = 10000};
  cq_check_report rep;
  assert_int_equal(cq_check_candles(&c, &o, &rep, NULL), 0);
  assert_int_equal(rep.counts[CQ_ISSUE_GAP], 110);
  assert_int_equal(rep.missing, 197);
  no_structural_issues(&rep);
  const cq_issue *first = NULL, *largest = NULL;
  for (size_t i = 0; i < rep.nissues; i++) {
    const cq_issue *is = &rep.issues[i];
    if (is->kind != CQ_ISSUE_GAP) continue;
    if (!first) first = is;
    if (!largest || is->count > largest->count) largest = is;
  }
  if (!first || !largest) {
    fail_msg("no gaps listed");
    return;
  }
  assert_int_equal(first->index, 6);
  assert_int_equal(first->time, iso("2017-11-04T23:08Z"));
  assert_int_equal(first->time2, iso("2017-11-04T23:13Z"));
  assert_int_equal(first->count, 6);
  assert_int_equal(largest->index, 158);
  assert_int_equal(largest->time, iso("2017-11-05T03:13Z"));
  assert_int_equal(largest->time2, iso("2017-11-05T03:19Z"));
  assert_int_equal(largest->count, 7);
  cq_check_report_release(&rep);
  cq_candles_release(&c);
}

static void test_btc_slice_resample(void **state) {
  (void)state;
  cq_candles c, h;
  cq_candles_init(&c, 0);
  cq_candles_init(&h, 0);
  cq_timeframe tf = read_market_file(BTC_5M, &c);
  cq_resample_report rep;
  cq_error e;
  assert_int_equal(cq_resample(&c, tf, tf_of("1h"), false, &h, &rep, &e), 0);
  /* 16:45-16:55 (3 bars) and 17:00-17:40 (9 bars) are partial hours */
  assert_int_equal(rep.buckets, 24);
  assert_int_equal(rep.incomplete, 2);
  assert_int_equal(rep.first_incomplete, iso("2023-01-02T16:00Z"));
  assert_int_equal(rep.last_incomplete, iso("2023-01-03T17:00Z"));
  /* awk over the CSV: the 12 rows from 1672678800000 (17:00) and from 1672761600000
   * (2023-01-03 16:00); volumes summed with Python's decimal */
  assert_int_equal(h.open_time[0], iso("2023-01-02T17:00Z"));
  assert_true(h.open[0] == 16704.1 && h.high[0] == 16716.5 && h.low[0] == 16702.6 &&
              h.close[0] == 16710.1);
  assert_true(near_ulps(h.volume[0], 4115.314, 1));
  assert_int_equal(h.open_time[23], iso("2023-01-03T16:00Z"));
  assert_true(h.open[23] == 16670.9 && h.high[23] == 16680.1 && h.low[23] == 16606.0 &&
              h.close[23] == 16617.3);
  assert_true(near_ulps(h.volume[23], 14840.489, 1));
  for (size_t i = 0; i < h.len; i++) {
    assert_true(h.closed[i]);
    assert_true(isnan(h.quote_volume[i])); /* our CSV has no quote volume */
    assert_int_equal(h.trades[i], -1);
  }
  /* whole days: both partial; kept, the volumes add up to the file's 215912.665 */
  cq_candles d;
  cq_candles_init(&d, 0);
  assert_int_equal(cq_resample(&c, tf, tf_of("1d"), false, &d, &rep, &e), 0);
  assert_int_equal(rep.buckets, 0);
  assert_int_equal(rep.incomplete, 2);
  assert_int_equal(cq_resample(&c, tf, tf_of("1d"), true, &d, &rep, &e), 0);
  assert_int_equal(d.len, 2);
  assert_true(near_ulps(d.volume[0], 47782.785, 1));
  assert_true(near_ulps(d.volume[1], 168129.880, 1));
  assert_true(near_ulps(d.volume[0] + d.volume[1], 215912.665, 1));
  assert_false(d.closed[0] || d.closed[1]);
  cq_candles_release(&d);
  cq_candles_release(&c);
  cq_candles_release(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_btc_slice_check),
      cmocka_unit_test(test_alt_slice_check),
      cmocka_unit_test(test_btc_slice_resample),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
