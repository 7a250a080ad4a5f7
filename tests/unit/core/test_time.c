#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cquant/core/time.h"

static cq_time iso(const char *s) {
  cq_time t = 0;
  cq_error e;
  int rc = cq_time_parse_iso(s, &t, &e);
  if (rc) fail_msg("parse %s: %s", s, e.msg);
  return t;
}

static const char *fmt(cq_time t, int digits) {
  static _Thread_local char buf[CQ_TIME_STRMAX];
  cq_time_format_iso(t, digits, buf, sizeof buf);
  return buf;
}

static void test_civil_days_roundtrip_matches_libc(void **state) {
  (void)state;
  for (int64_t d = -200000; d <= 200000; d += 7) {
    int64_t y;
    unsigned m, dd;
    cq_civil_from_days(d, &y, &m, &dd);
    assert_int_equal(cq_days_from_civil(y, m, dd), d);
    /* compare with the C library's own UTC conversion */
    time_t secs = (time_t)(d * 86400);
    struct tm tm;
    assert_non_null(gmtime_r(&secs, &tm));
    assert_int_equal(y, tm.tm_year + 1900);
    assert_int_equal(m, (unsigned)tm.tm_mon + 1);
    assert_int_equal(dd, (unsigned)tm.tm_mday);
  }
  assert_true(cq_is_leap_year(2000));
  assert_false(cq_is_leap_year(1900));
  assert_true(cq_is_leap_year(2024));
  assert_int_equal(cq_days_in_month(2024, 2), 29);
  assert_int_equal(cq_days_in_month(2023, 2), 28);
  assert_int_equal(cq_days_in_month(2023, 13), 0);
}

static void test_iso_parse_forms(void **state) {
  (void)state;
  assert_int_equal(iso("1970-01-01"), 0);
  assert_int_equal(iso("2024-01-01T00:00:00Z"), INT64_C(1704067200) * CQ_NS_PER_SEC);
  assert_int_equal(iso("2024-01-01 00:00:00"), INT64_C(1704067200) * CQ_NS_PER_SEC);
  assert_int_equal(iso("2024-01-01T00:00"), INT64_C(1704067200) * CQ_NS_PER_SEC);
  assert_int_equal(iso("2024-01-01T02:00:00+02:00"), INT64_C(1704067200) * CQ_NS_PER_SEC);
  assert_int_equal(iso("2023-12-31T19:00:00-0500"), INT64_C(1704067200) * CQ_NS_PER_SEC);
  assert_int_equal(iso("2023-12-31T19:00:00-05"), INT64_C(1704067200) * CQ_NS_PER_SEC);
  assert_int_equal(iso("2024-01-01T00:00:00.5Z"), INT64_C(1704067200) * CQ_NS_PER_SEC + 500000000);
  assert_int_equal(iso("2024-01-01T00:00:00.000000001Z"),
                   INT64_C(1704067200) * CQ_NS_PER_SEC + 1);
  assert_int_equal(iso("1969-12-31T23:59:59Z"), -CQ_NS_PER_SEC);
  assert_int_equal(iso("2024-02-29"), iso("2024-03-01") - CQ_NS_PER_DAY);
}

static void expect_parse_error(const char *s, int code, int column) {
  cq_time t = 12345;
  cq_error e;
  int rc = cq_time_parse_iso(s, &t, &e);
  if (rc != code) fail_msg("%s: rc %d, want %d (%s)", s, rc, code, rc ? e.msg : "ok");
  assert_int_equal(t, 12345); /* untouched on error */
  if (column) {
    if (e.column != column) fail_msg("%s: column %d, want %d (%s)", s, e.column, column, e.msg);
  }
  assert_non_null(strstr(e.msg, s));
}

static void test_iso_parse_errors(void **state) {
  (void)state;
  expect_parse_error("", CQ_EPARSE, 1);
  expect_parse_error("2024", CQ_EPARSE, 5);
  expect_parse_error("2024-1-01", CQ_EPARSE, 7);
  expect_parse_error("2024-01-01T", CQ_EPARSE, 12);
  expect_parse_error("2024-01-01T12", CQ_EPARSE, 14);
  expect_parse_error("2024-01-01T12:00:00.", CQ_EPARSE, 21);
  expect_parse_error("2024-01-01T12:00:00.1234567890", CQ_EPARSE, 30);
  expect_parse_error("2024-01-01T12:00:00Zjunk", CQ_EPARSE, 21);
  expect_parse_error("2024-01-01T12:00:00+25:00", CQ_EPARSE, 0);
  expect_parse_error("2023-02-29", CQ_EINVAL, 0);
  expect_parse_error("2024-13-01", CQ_EINVAL, 0);
  expect_parse_error("2024-01-01T24:00:00", CQ_EINVAL, 0);
  expect_parse_error("2024-01-01T23:60:00", CQ_EINVAL, 0);
  expect_parse_error("2300-01-01", CQ_EOVERFLOW, 0);
}

static void test_iso_format(void **state) {
  (void)state;
  cq_time t = iso("2024-03-05T07:08:09.123456789Z");
  assert_string_equal(fmt(t, 0), "2024-03-05T07:08:09Z");
  assert_string_equal(fmt(t, 3), "2024-03-05T07:08:09.123Z");
  assert_string_equal(fmt(t, 6), "2024-03-05T07:08:09.123456Z");
  assert_string_equal(fmt(t, 9), "2024-03-05T07:08:09.123456789Z");
  assert_string_equal(fmt(-1, 9), "1969-12-31T23:59:59.999999999Z");
  /* format → parse round trip over a spread of instants */
  for (cq_time x = -INT64_C(5000000000000000000); x < INT64_C(5000000000000000000);
       x += INT64_C(123456789012345677)) {
    assert_int_equal(iso(fmt(x, 9)), x);
  }
  char small[8];
  size_t want = cq_time_format_iso(0, 0, small, sizeof small);
  assert_int_equal(want, 20);
  assert_string_equal(small, "1970-01");
}

static void test_epoch_ms(void **state) {
  (void)state;
  cq_time t;
  cq_error e;
  assert_int_equal(cq_time_parse_epoch_ms("1704067200000", &t, &e), 0);
  assert_int_equal(t, iso("2024-01-01"));
  assert_int_equal(cq_time_parse_epoch_ms("-1", &t, &e), 0);
  assert_int_equal(t, -CQ_NS_PER_MS);
  assert_int_equal(cq_time_parse_epoch_ms("17040672000x0", &t, &e), CQ_EPARSE);
  assert_int_equal(e.column, 12);
  assert_int_equal(cq_time_parse_epoch_ms("99999999999999999", &t, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_time_parse_epoch_ms("", &t, &e), CQ_EPARSE);
}

static void test_durations(void **state) {
  (void)state;
  int64_t ns;
  cq_error e;
  assert_int_equal(cq_duration_parse("500ms", &ns, &e), 0);
  assert_int_equal(ns, 500 * CQ_NS_PER_MS);
  assert_int_equal(cq_duration_parse("1h30m", &ns, &e), 0);
  assert_int_equal(ns, 90 * CQ_NS_PER_MIN);
  assert_int_equal(cq_duration_parse("2w", &ns, &e), 0);
  assert_int_equal(ns, 14 * CQ_NS_PER_DAY);
  assert_int_equal(cq_duration_parse("250ns", &ns, &e), 0);
  assert_int_equal(ns, 250);
  assert_int_equal(cq_duration_parse("10us", &ns, &e), 0);
  assert_int_equal(ns, 10000);
  assert_int_equal(cq_duration_parse("5", &ns, &e), CQ_EPARSE);
  assert_int_equal(e.column, 2);
  assert_int_equal(cq_duration_parse("5x", &ns, &e), CQ_EPARSE);
  assert_int_equal(cq_duration_parse("", &ns, &e), CQ_EPARSE);
  assert_int_equal(cq_duration_parse("1M", &ns, &e), CQ_EPARSE);
  assert_non_null(strstr(e.msg, "fixed-length"));
  assert_int_equal(cq_duration_parse("999999999999d", &ns, &e), CQ_EOVERFLOW);

  char buf[64];
  cq_duration_format(90 * CQ_NS_PER_MIN, buf, sizeof buf);
  assert_string_equal(buf, "1h30m");
  cq_duration_format(0, buf, sizeof buf);
  assert_string_equal(buf, "0s");
  cq_duration_format(-1500 * CQ_NS_PER_MS, buf, sizeof buf);
  assert_string_equal(buf, "-1s500ms");
  cq_duration_format(INT64_MIN, buf, sizeof buf);
  assert_true(buf[0] == '-');
  /* format → parse round trip */
  for (int64_t x = 1; x < INT64_C(4000000000000000000); x = x * 3 + 7) {
    cq_duration_format(x, buf, sizeof buf);
    assert_int_equal(cq_duration_parse(buf, &ns, &e), 0);
    assert_int_equal(ns, x);
  }
}

static void test_parse_point(void **state) {
  (void)state;
  cq_time now = iso("2024-02-29T12:00:00Z"), t;
  cq_error e;
  assert_int_equal(cq_time_parse_point("now", now, &t, &e), 0);
  assert_int_equal(t, now);
  assert_int_equal(cq_time_parse_point("2y", now, &t, &e), 0);
  assert_string_equal(fmt(t, 0), "2022-02-28T12:00:00Z");
  assert_int_equal(cq_time_parse_point("1M", now, &t, &e), 0);
  assert_string_equal(fmt(t, 0), "2024-01-29T12:00:00Z");
  assert_int_equal(cq_time_parse_point("180d", now, &t, &e), 0);
  assert_int_equal(t, now - 180 * CQ_NS_PER_DAY);
  assert_int_equal(cq_time_parse_point("12h", now, &t, &e), 0);
  assert_int_equal(t, now - 12 * CQ_NS_PER_HOUR);
  assert_int_equal(cq_time_parse_point("1704067200000", now, &t, &e), 0);
  assert_int_equal(t, iso("2024-01-01"));
  assert_int_equal(cq_time_parse_point("2024-01-01", now, &t, &e), 0);
  assert_int_equal(t, iso("2024-01-01"));
  assert_int_equal(cq_time_parse_point("yesterday", now, &t, &e), CQ_EPARSE);
  assert_non_null(strstr(e.msg, "yesterday"));
  assert_int_equal(cq_time_parse_point("3q", now, &t, &e), CQ_EPARSE);
  assert_non_null(strstr(e.msg, "duration back"));

  cq_time out;
  assert_int_equal(cq_time_add_months(iso("2024-01-31"), 1, &out, &e), 0);
  assert_string_equal(fmt(out, 0), "2024-02-29T00:00:00Z");
  assert_int_equal(cq_time_add_months(iso("2024-01-31"), -2, &out, &e), 0);
  assert_string_equal(fmt(out, 0), "2023-11-30T00:00:00Z");
  assert_int_equal(cq_time_add_months(iso("2024-05-15T10:00:00Z"), 24, &out, &e), 0);
  assert_string_equal(fmt(out, 0), "2026-05-15T10:00:00Z");
}

static cq_timeframe tf(const char *s) {
  cq_timeframe t;
  cq_error e;
  if (cq_timeframe_parse(s, &t, &e)) fail_msg("tf %s: %s", s, e.msg);
  return t;
}

static void test_timeframe_parse_format(void **state) {
  (void)state;
  const char *ok[] = {"1s", "15s", "1m", "5m", "15m", "1h", "4h", "12h", "1d", "3d", "1w", "1M", "3M", "12M"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    char buf[CQ_TF_STRMAX];
    cq_timeframe_format(tf(ok[i]), buf, sizeof buf);
    assert_string_equal(buf, ok[i]);
  }
  assert_int_equal(cq_timeframe_ns(tf("4h")), 4 * CQ_NS_PER_HOUR);
  assert_int_equal(cq_timeframe_ns(tf("1M")), 0);
  const char *bad[] = {"", "m", "0m", "5x", "1mm", "13M", "1001s", "-1m", "1 m", "99999999999m"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cq_timeframe t;
    cq_error e;
    if (cq_timeframe_parse(bad[i], &t, &e) != CQ_EPARSE) fail_msg("accepted %s", bad[i]);
  }
}

static void test_timeframe_buckets(void **state) {
  (void)state;
  cq_time t = iso("2024-03-15T13:47:12.5Z");
  assert_string_equal(fmt(cq_timeframe_floor(tf("1m"), t), 0), "2024-03-15T13:47:00Z");
  assert_string_equal(fmt(cq_timeframe_floor(tf("15m"), t), 0), "2024-03-15T13:45:00Z");
  assert_string_equal(fmt(cq_timeframe_floor(tf("4h"), t), 0), "2024-03-15T12:00:00Z");
  assert_string_equal(fmt(cq_timeframe_floor(tf("1d"), t), 0), "2024-03-15T00:00:00Z");
  /* weeks start on Monday: 2024-03-11 was a Monday */
  assert_string_equal(fmt(cq_timeframe_floor(tf("1w"), t), 0), "2024-03-11T00:00:00Z");
  assert_string_equal(fmt(cq_timeframe_floor(tf("1w"), iso("2024-03-11")), 0),
                      "2024-03-11T00:00:00Z");
  assert_string_equal(fmt(cq_timeframe_floor(tf("1w"), iso("2024-03-10T23:59:59Z")), 0),
                      "2024-03-04T00:00:00Z");
  assert_string_equal(fmt(cq_timeframe_floor(tf("1w"), iso("1970-01-01")), 0),
                      "1969-12-29T00:00:00Z");
  /* calendar months and quarters */
  assert_string_equal(fmt(cq_timeframe_floor(tf("1M"), t), 0), "2024-03-01T00:00:00Z");
  assert_string_equal(fmt(cq_timeframe_floor(tf("3M"), t), 0), "2024-01-01T00:00:00Z");
  assert_string_equal(fmt(cq_timeframe_next(tf("1M"), iso("2024-01-31T23:00:00Z")), 0),
                      "2024-02-01T00:00:00Z");
  assert_string_equal(fmt(cq_timeframe_next(tf("1M"), iso("2024-12-05")), 0),
                      "2025-01-01T00:00:00Z");
  assert_string_equal(fmt(cq_timeframe_next(tf("3M"), t), 0), "2024-04-01T00:00:00Z");
  assert_string_equal(fmt(cq_timeframe_floor(tf("1M"), iso("1969-07-20T20:17:00Z")), 0),
                      "1969-07-01T00:00:00Z");
  /* before the epoch, fixed buckets floor downwards */
  assert_string_equal(fmt(cq_timeframe_floor(tf("1h"), -1), 0), "1969-12-31T23:00:00Z");
  assert_true(cq_timeframe_is_aligned(tf("4h"), iso("2024-03-15T16:00:00Z")));
  assert_false(cq_timeframe_is_aligned(tf("4h"), iso("2024-03-15T17:00:00Z")));
  /* every instant lies in [floor, next) and next is aligned */
  const char *all[] = {"1s", "7s", "1m", "5m", "1h", "4h", "1d", "3d", "1w", "2w", "1M", "3M", "12M"};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    cq_timeframe x = tf(all[i]);
    for (cq_time u = -INT64_C(3000000000000000000); u < INT64_C(3000000000000000000);
         u += INT64_C(98765432109876543)) {
      cq_time lo = cq_timeframe_floor(x, u), hi = cq_timeframe_next(x, u);
      assert_true(lo <= u && u < hi);
      assert_true(cq_timeframe_is_aligned(x, lo) && cq_timeframe_is_aligned(x, hi));
      assert_int_equal(cq_timeframe_floor(x, hi - 1), lo);
    }
  }
}

static void test_timeframe_divides(void **state) {
  (void)state;
  assert_true(cq_timeframe_divides(tf("1m"), tf("4h")));
  assert_true(cq_timeframe_divides(tf("1h"), tf("1d")));
  assert_true(cq_timeframe_divides(tf("1d"), tf("1w")));
  assert_true(cq_timeframe_divides(tf("1d"), tf("1M")));
  assert_true(cq_timeframe_divides(tf("1M"), tf("3M")));
  assert_true(cq_timeframe_divides(tf("4h"), tf("1w")));
  assert_false(cq_timeframe_divides(tf("1w"), tf("1M")));
  assert_false(cq_timeframe_divides(tf("3d"), tf("1w")));
  assert_false(cq_timeframe_divides(tf("7m"), tf("1h")));
  assert_false(cq_timeframe_divides(tf("2M"), tf("3M")));
  assert_false(cq_timeframe_divides(tf("1M"), tf("1d")));
}

static void test_clocks(void **state) {
  (void)state;
  cq_clock wall, sim;
  cq_error e;
  cq_clock_wall_init(&wall);
  assert_true(cq_clock_now(&wall) > iso("2020-01-01"));
  cq_time a = cq_clock_steady(&wall), b = cq_clock_steady(&wall);
  assert_true(b >= a);
  assert_int_equal(cq_clock_sim_set(&wall, 0, &e), CQ_ESTATE);

  cq_clock_sim_init(&sim, 1000);
  assert_int_equal(cq_clock_now(&sim), 1000);
  assert_int_equal(cq_clock_sim_advance(&sim, 500, &e), 0);
  assert_int_equal(cq_clock_now(&sim), 1500);
  assert_int_equal(cq_clock_now_cb(&sim), 1500);
  assert_int_equal(cq_clock_sim_set(&sim, 1499, &e), CQ_EINVAL);
  assert_int_equal(cq_clock_now(&sim), 1500);
  assert_int_equal(cq_clock_sim_advance(&sim, -1, &e), CQ_EINVAL);
  assert_int_equal(cq_clock_sim_set(&sim, INT64_MAX, &e), 0);
  assert_int_equal(cq_clock_sim_advance(&sim, 1, &e), CQ_EOVERFLOW);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_civil_days_roundtrip_matches_libc),
      cmocka_unit_test(test_iso_parse_forms),
      cmocka_unit_test(test_iso_parse_errors),
      cmocka_unit_test(test_iso_format),
      cmocka_unit_test(test_epoch_ms),
      cmocka_unit_test(test_durations),
      cmocka_unit_test(test_parse_point),
      cmocka_unit_test(test_timeframe_parse_format),
      cmocka_unit_test(test_timeframe_buckets),
      cmocka_unit_test(test_timeframe_divides),
      cmocka_unit_test(test_clocks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
