/* cq_resample: calendar edges (month ends in a leap year, Monday weeks), partial and
 * missing buckets, compensated sums, unknown fields, errors, and a property test against a
 * naive reference that counts a bucket's bars by stepping the grid. All times UTC. */
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

static void resample(const cq_candles *in, const char *from, const char *into, bool keep,
                     cq_candles *out, cq_resample_report *rep) {
  cq_error e;
  int rc = cq_resample(in, tf_of(from), tf_of(into), keep, out, rep, &e);
  if (rc) fail_msg("resample %s -> %s: %s", from, into, e.msg);
}

/* Bars of tf from `start` up to (not including) `end`; bar i has open 100+i, high
 * open+2, low open-1, close open+1, volume i+1, quote volume 10*(i+1), trades i. */
static void series(cq_candles *c, const char *tf, cq_time start, cq_time end) {
  cq_timeframe t = tf_of(tf);
  int64_t i = 0;
  for (cq_time x = start; x < end; x = cq_timeframe_next(t, x), i++) {
    double o = 100 + (double)i;
    cq_candle k = bar(x, o, o + 2, o - 1, o + 1, (double)(i + 1));
    k.quote_volume = 10 * (double)(i + 1);
    k.trades = i;
    push(c, k);
  }
}

/* Sum 1..n, the volumes `series` gives to n bars. */
static double tri(int64_t n) {
  return (double)(n * (n + 1)) / 2;
}

static void test_minutes_to_4h(void **state) {
  (void)state;
  cq_candles in, out;
  cq_candles_init(&in, 0);
  cq_candles_init(&out, 0);
  series(&in, "1m", iso("2024-01-01T00:00Z"), iso("2024-01-01T08:00Z"));
  assert_int_equal(in.len, 480);
  cq_resample_report rep;
  resample(&in, "1m", "4h", false, &out, &rep);
  assert_int_equal(rep.buckets, 2);
  assert_int_equal(rep.incomplete, 0);
  assert_int_equal(out.len, 2);
  cq_candle k;
  cq_candles_get(&out, 0, &k);
  assert_int_equal(k.open_time, iso("2024-01-01T00:00Z"));
  assert_true(k.open == 100 && k.high == 100 + 239 + 2 && k.low == 99 && k.close == 100 + 239 + 1);
  assert_true(k.volume == tri(240));
  assert_true(k.quote_volume == 10 * tri(240));
  assert_int_equal(k.trades, 239 * 240 / 2);
  assert_true(k.closed);
  cq_candles_get(&out, 1, &k);
  assert_int_equal(k.open_time, iso("2024-01-01T04:00Z"));
  assert_true(k.open == 340 && k.close == 580 && k.high == 581 && k.low == 339);
  assert_true(k.volume == tri(480) - tri(240));
  cq_candles_release(&in);
  cq_candles_release(&out);
}

static void test_days_to_months_leap_year(void **state) {
  (void)state;
  cq_candles in, out;
  cq_candles_init(&in, 0);
  cq_candles_init(&out, 0);
  /* Jan and Feb 2024 (leap: 29 days), then Feb 2023 (28 days) */
  series(&in, "1d", iso("2023-02-01"), iso("2023-03-01"));
  series(&in, "1d", iso("2024-01-01"), iso("2024-03-01"));
  assert_int_equal(in.len, 28 + 31 + 29);
  cq_resample_report rep;
  resample(&in, "1d", "1M", false, &out, &rep);
  assert_int_equal(rep.buckets, 3);
  assert_int_equal(rep.incomplete, 0);
  cq_candle k;
  cq_candles_get(&out, 0, &k);
  assert_int_equal(k.open_time, iso("2023-02-01"));
  assert_true(k.volume == tri(28) && k.close == 100 + 27 + 1);
  cq_candles_get(&out, 1, &k);
  assert_int_equal(k.open_time, iso("2024-01-01"));
  assert_true(k.open == 100 && k.close == 131 && k.volume == tri(31));
  cq_candles_get(&out, 2, &k);
  assert_int_equal(k.open_time, iso("2024-02-01"));
  assert_true(k.open == 131 && k.close == 160 && k.volume == tri(60) - tri(31));
  assert_true(k.closed);

  /* without Feb 29, February 2024 is short of a day: incomplete */
  cq_candles_clear(&in);
  cq_candles_clear(&out);
  series(&in, "1d", iso("2024-01-01"), iso("2024-02-29"));
  resample(&in, "1d", "1M", false, &out, &rep);
  assert_int_equal(rep.buckets, 1);
  assert_int_equal(rep.incomplete, 1);
  assert_int_equal(rep.first_incomplete, iso("2024-02-01"));
  assert_int_equal(rep.last_incomplete, iso("2024-02-01"));
  cq_candles_clear(&out);
  resample(&in, "1d", "1M", true, &out, &rep);
  assert_int_equal(rep.buckets, 2);
  assert_int_equal(rep.incomplete, 1);
  assert_false(out.closed[1]);
  assert_true(out.closed[0]);

  /* hours into months and months into quarters */
  cq_candles_clear(&in);
  cq_candles_clear(&out);
  series(&in, "1h", iso("2024-02-01"), iso("2024-03-01"));
  resample(&in, "1h", "1M", false, &out, &rep);
  assert_int_equal(rep.buckets, 1);
  assert_true(out.volume[0] == tri(INT64_C(29) * 24));
  cq_candles c3;
  cq_candles_init(&c3, 0);
  cq_candles_clear(&in);
  series(&in, "1M", iso("2023-11-01"), iso("2024-07-01"));
  resample(&in, "1M", "3M", false, &c3, &rep);
  assert_int_equal(rep.buckets, 2); /* Jan-Mar and Apr-Jun 2024; Oct-Dec 2023 lacks Oct */
  assert_int_equal(rep.incomplete, 1);
  assert_int_equal(rep.first_incomplete, iso("2023-10-01"));
  assert_int_equal(c3.open_time[0], iso("2024-01-01"));
  assert_int_equal(c3.open_time[1], iso("2024-04-01"));
  assert_true(c3.volume[1] == 6 + 7 + 8);
  cq_candles_release(&c3);
  cq_candles_release(&in);
  cq_candles_release(&out);
}

static void test_hours_to_weeks(void **state) {
  (void)state;
  cq_candles in, out;
  cq_candles_init(&in, 0);
  cq_candles_init(&out, 0);
  /* from Sunday 2023-12-31 to Monday 2024-01-15: the week of Mon 2023-12-25 has only its
   * Sunday; the weeks of Jan 1 and Jan 8 (Mondays) are whole. */
  series(&in, "1h", iso("2023-12-31"), iso("2024-01-15"));
  cq_resample_report rep;
  resample(&in, "1h", "1w", false, &out, &rep);
  assert_int_equal(rep.buckets, 2);
  assert_int_equal(rep.incomplete, 1);
  assert_int_equal(rep.first_incomplete, iso("2023-12-25"));
  assert_int_equal(out.open_time[0], iso("2024-01-01"));
  assert_int_equal(out.open_time[1], iso("2024-01-08"));
  assert_true(out.open[0] == 124 && out.volume[0] == tri(24 + 168) - tri(24));
  /* 1d into 1w too */
  cq_candles days;
  cq_candles_init(&days, 0);
  cq_candles_clear(&in);
  series(&in, "1d", iso("2024-01-01"), iso("2024-01-15"));
  resample(&in, "1d", "1w", false, &days, &rep);
  assert_int_equal(rep.buckets, 2);
  assert_int_equal(days.open_time[1], iso("2024-01-08"));
  cq_candles_release(&days);
  cq_candles_release(&in);
  cq_candles_release(&out);
}

static void test_partial_and_missing(void **state) {
  (void)state;
  cq_candles in, out;
  cq_candles_init(&in, 0);
  cq_candles_init(&out, 0);
  /* 00:30 to 02:14: the first and last hours are partial */
  series(&in, "1m", iso("2024-05-01T00:30Z"), iso("2024-05-01T02:15Z"));
  cq_resample_report rep;
  resample(&in, "1m", "1h", false, &out, &rep);
  assert_int_equal(rep.buckets, 1);
  assert_int_equal(rep.incomplete, 2);
  assert_int_equal(rep.first_incomplete, iso("2024-05-01T00:00Z"));
  assert_int_equal(rep.last_incomplete, iso("2024-05-01T02:00Z"));
  assert_int_equal(out.open_time[0], iso("2024-05-01T01:00Z"));
  assert_true(out.open[0] == 130 && out.close[0] == 190);
  cq_candles_clear(&out);
  resample(&in, "1m", "1h", true, &out, &rep);
  assert_int_equal(rep.buckets, 3);
  assert_int_equal(rep.incomplete, 2);
  assert_int_equal(out.open_time[0], iso("2024-05-01T00:00Z")); /* the bucket's start */
  assert_true(out.open[0] == 100 && out.close[0] == 130 && out.volume[0] == tri(30));
  assert_false(out.closed[0]);
  assert_true(out.closed[1]);
  assert_false(out.closed[2]);
  assert_true(out.volume[2] == tri(105) - tri(90));

  /* one bar missing inside an hour; a gap of whole hours invents nothing */
  cq_candles_clear(&in);
  cq_candles_clear(&out);
  series(&in, "5m", iso("2024-05-01T00:00Z"), iso("2024-05-01T01:00Z"));
  series(&in, "5m", iso("2024-05-01T04:00Z"), iso("2024-05-01T06:00Z"));
  cq_candles hole;
  cq_candles_init(&hole, 0);
  for (size_t i = 0; i < in.len; i++) {
    if (i == 30) continue; /* 05:30 */
    cq_candle k;
    cq_candles_get(&in, i, &k);
    push(&hole, k);
  }
  resample(&hole, "5m", "1h", false, &out, &rep);
  assert_int_equal(rep.buckets, 2);
  assert_int_equal(rep.incomplete, 1);
  assert_int_equal(rep.first_incomplete, iso("2024-05-01T05:00Z"));
  assert_int_equal(out.open_time[0], iso("2024-05-01T00:00Z"));
  assert_int_equal(out.open_time[1], iso("2024-05-01T04:00Z"));
  cq_candles_clear(&out);
  resample(&hole, "5m", "1h", true, &out, &rep);
  assert_int_equal(out.len, 3);
  assert_int_equal(out.open_time[2], iso("2024-05-01T05:00Z"));
  assert_false(out.closed[2]);
  cq_candles_release(&hole);
  cq_candles_release(&in);
  cq_candles_release(&out);
}

static void test_sums_and_unknowns(void **state) {
  (void)state;
  cq_candles in, out;
  cq_candles_init(&in, 0);
  cq_candles_init(&out, 0);
  cq_time t0 = iso("2024-01-01T00:00Z");
  /* 0.1 + 0.2 + 0.3: a naive sum gives 0.6000000000000001, the correctly rounded one 0.6 */
  double v[] = {0.1, 0.2, 0.3, 1e16, 1, 1};
  for (int i = 0; i < 6; i++) {
    cq_candle k = bar(t0 + i * CQ_NS_PER_MIN, 1, 1, 1, 1, v[i]);
    k.quote_volume = v[i] * 2;
    k.trades = 1;
    push(&in, k);
  }
  cq_resample_report rep;
  resample(&in, "1m", "3m", false, &out, &rep);
  assert_int_equal(out.len, 2);
  assert_true(out.volume[0] == 0.6);
  assert_true(out.quote_volume[0] == 1.2);
  /* 1e16 + 1 + 1: each 1 alone rounds away (the spacing there is 2); together they count */
  assert_true(out.volume[1] == 1e16 + 2);
  assert_int_equal(out.trades[0], 3);

  /* one bar without quote volume or trade count makes its bucket's unknown */
  in.quote_volume[1] = NAN;
  in.trades[4] = -1;
  cq_candles_clear(&out);
  resample(&in, "1m", "3m", false, &out, &rep);
  assert_true(isnan(out.quote_volume[0]));
  assert_int_equal(out.trades[0], 3);
  assert_true(out.quote_volume[1] == 2e16 + 4);
  assert_int_equal(out.trades[1], -1);

  /* a complete bucket whose last bar is still forming is not closed */
  in.closed[5] = 0;
  cq_candles_clear(&out);
  resample(&in, "1m", "3m", false, &out, &rep);
  assert_int_equal(rep.incomplete, 0);
  assert_true(out.closed[0]);
  assert_false(out.closed[1]);

  /* into the same timeframe: the same candles */
  cq_candles_clear(&out);
  resample(&in, "1m", "1m", false, &out, &rep);
  assert_int_equal(out.len, in.len);
  for (size_t i = 0; i < in.len; i++) {
    assert_true(out.volume[i] == in.volume[i]);
    assert_int_equal(out.open_time[i], in.open_time[i]);
    assert_int_equal(out.closed[i], in.closed[i]);
  }
  cq_candles_release(&in);
  cq_candles_release(&out);
}

static void test_errors(void **state) {
  (void)state;
  cq_candles in, out;
  cq_candles_init(&in, 0);
  cq_candles_init(&out, 0);
  series(&in, "1d", iso("2024-01-01"), iso("2024-01-10"));
  push(&out, bar(0, 1, 1, 1, 1, 1)); /* something already there stays */
  cq_resample_report rep;
  cq_error e;
  assert_int_equal(cq_resample(&in, tf_of("1w"), tf_of("1M"), false, &out, &rep, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "1w does not divide 1M"));
  assert_int_equal(cq_resample(&in, tf_of("1d"), tf_of("1h"), false, &out, &rep, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "1d does not divide 1h"));
  assert_int_equal(cq_resample(&in, tf_of("7m"), tf_of("1h"), false, &out, &rep, &e), CQ_EINVAL);
  assert_int_equal(cq_resample(&in, tf_of("1h"), tf_of("1w"), false, &in, &rep, &e), CQ_EINVAL);
  cq_timeframe bad = {0, CQ_TF_DAY};
  assert_int_equal(cq_resample(&in, bad, tf_of("1w"), false, &out, &rep, &e), CQ_EINVAL);

  in.open_time[3] = in.open_time[2]; /* repeated */
  assert_int_equal(cq_resample(&in, tf_of("1d"), tf_of("1w"), false, &out, &rep, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "row 3"));
  in.open_time[3] = in.open_time[1]; /* out of order */
  assert_int_equal(cq_resample(&in, tf_of("1d"), tf_of("1w"), false, &out, &rep, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "row 3"));
  assert_non_null(strstr(e.msg, "sorted"));
  in.open_time[3] = iso("2024-01-04T12:00Z"); /* off the grid */
  assert_int_equal(cq_resample(&in, tf_of("1d"), tf_of("1w"), false, &out, &rep, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "row 3"));
  assert_non_null(strstr(e.msg, "1d grid"));
  assert_int_equal(out.len, 1);

  /* an output at its cap: nothing half-written */
  in.open_time[3] = iso("2024-01-04");
  cq_candles capped;
  cq_candles_init(&capped, 2);
  series(&in, "1d", iso("2024-01-10"), iso("2024-02-01"));
  assert_int_equal(cq_resample(&in, tf_of("1d"), tf_of("1w"), false, &capped, &rep, &e), CQ_ELIMIT);
  assert_int_equal(capped.len, 0);
  cq_candles_release(&capped);
  cq_candles_release(&in);
  cq_candles_release(&out);
}

/* ---- property: against a naive reference ---------------------------------------------- */

static void test_property_reference(void **state) {
  (void)state;
  rng r = {2024};
  const char *pairs[][2] = {{"1m", "5m"}, {"1m", "15m"}, {"5m", "1h"},  {"1m", "4h"},
                            {"1h", "1d"}, {"1h", "1w"},  {"1d", "1w"},  {"1d", "1M"},
                            {"4h", "1M"}, {"1M", "3M"},  {"15s", "1m"}, {"1h", "1h"}};
  cq_candles in, out;
  cq_candles_init(&in, 0);
  cq_candles_init(&out, 0);
  for (int iter = 0; iter < 400; iter++) {
    const char *f = pairs[iter % 12][0], *t = pairs[iter % 12][1];
    cq_timeframe from = tf_of(f), into = tf_of(t);
    cq_candles_clear(&in);
    cq_time x =
        cq_timeframe_floor(from, iso("2023-12-01") + (int64_t)rng_below(&r, 200) * CQ_NS_PER_HOUR);
    size_t n = 1 + rng_below(&r, 1500);
    uint64_t drop = rng_below(&r, 4) == 0 ? 0 : rng_below(&r, 30); /* per mille */
    for (size_t i = 0; i < n; i++, x = cq_timeframe_next(from, x)) {
      if (rng_below(&r, 1000) < drop) continue;
      if (rng_below(&r, 500) == 0) /* a run of missing bars */
        for (int k = 0; k < 50; k++) x = cq_timeframe_next(from, x);
      double o = 1 + rng_unit(&r), c = 1 + rng_unit(&r);
      cq_candle k = bar(x, o, fmax(o, c) + rng_unit(&r), fmin(o, c) - rng_unit(&r) / 2, c,
                        (double)rng_below(&r, 1000000) / 1000);
      k.quote_volume = rng_below(&r, 300) ? k.volume * 3 : NAN;
      k.trades = rng_below(&r, 300) ? (int64_t)rng_below(&r, 100) : -1;
      k.closed = rng_below(&r, 400) != 0;
      push(&in, k);
    }
    bool keep = iter & 1;
    cq_resample_report rep;
    cq_candles_clear(&out);
    resample(&in, f, t, keep, &out, &rep);

    /* reference: walk the buckets, counting each bucket's span by stepping the grid */
    size_t i = 0, o = 0;
    uint64_t incomplete = 0;
    while (i < in.len) {
      cq_time b = cq_timeframe_floor(into, in.open_time[i]), e = cq_timeframe_next(into, b);
      uint64_t span = 0;
      for (cq_time y = b; y < e; y = cq_timeframe_next(from, y)) span++;
      size_t j = i;
      double hi = in.high[i], lo = in.low[i], vol = 0;
      long double vol_ref = 0, qv_ref = 0;
      bool qv = true, tr = true, closed = true;
      int64_t trades = 0;
      for (; j < in.len && in.open_time[j] < e; j++) {
        hi = fmax(hi, in.high[j]);
        lo = fmin(lo, in.low[j]);
        vol_ref += in.volume[j];
        if (isnan(in.quote_volume[j]))
          qv = false;
        else
          qv_ref += in.quote_volume[j];
        if (in.trades[j] < 0)
          tr = false;
        else
          trades += in.trades[j];
        closed = closed && in.closed[j];
      }
      vol = (double)vol_ref;
      bool complete = (uint64_t)(j - i) == span;
      if (!complete) incomplete++;
      if (complete || keep) {
        assert_true(o < out.len);
        assert_int_equal(out.open_time[o], b);
        assert_true(out.open[o] == in.open[i]);
        assert_true(out.close[o] == in.close[j - 1]);
        assert_true(out.high[o] == hi);
        assert_true(out.low[o] == lo);
        assert_true(near_ulps(out.volume[o], vol, 2));
        if (qv)
          assert_true(near_ulps(out.quote_volume[o], (double)qv_ref, 2));
        else
          assert_true(isnan(out.quote_volume[o]));
        assert_int_equal(out.trades[o], tr ? trades : -1);
        assert_int_equal(out.closed[o], complete && closed);
        o++;
      }
      i = j;
    }
    assert_int_equal(o, out.len);
    assert_int_equal(rep.buckets, out.len);
    assert_int_equal(rep.incomplete, incomplete);
  }
  cq_candles_release(&in);
  cq_candles_release(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_minutes_to_4h),      cmocka_unit_test(test_days_to_months_leap_year),
      cmocka_unit_test(test_hours_to_weeks),     cmocka_unit_test(test_partial_and_missing),
      cmocka_unit_test(test_sums_and_unknowns),  cmocka_unit_test(test_errors),
      cmocka_unit_test(test_property_reference),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
