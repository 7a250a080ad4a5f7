/* Timeframes (bar lengths) and bucket alignment. */
#include <stdio.h>
#include <string.h>

#include "cquant/core/time.h"
#include "time_internal.h"

static const char tf_unit_char[] = {'s', 'm', 'h', 'd', 'w', 'M'};
static const int64_t tf_unit_ns[] = {CQ_NS_PER_SEC, CQ_NS_PER_MIN, CQ_NS_PER_HOUR,
                                     CQ_NS_PER_DAY, CQ_NS_PER_WEEK, 0};

/* 1970-01-05 was the first Monday after the epoch. */
#define CQ_FIRST_MONDAY_NS (4 * CQ_NS_PER_DAY)

int cq_timeframe_parse(const char *s, cq_timeframe *out, cq_error *err) {
  size_t i = 0;
  uint32_t n = 0;
  if (!s || !s[0])
    return cq_error_set(err, CQ_EPARSE, "empty timeframe: expected e.g. 1m, 5m, 1h, 4h, 1d, 1w, 1M");
  while (s[i] >= '0' && s[i] <= '9') {
    if (n > CQ_TF_MAX_N) break;
    n = n * 10u + (uint32_t)(s[i] - '0');
    i++;
  }
  if (i == 0 || n == 0 || n > CQ_TF_MAX_N) {
    cq_error_set(err, CQ_EPARSE, "timeframe \"%s\": expected a count 1..%d then a unit (s, m, h, d, w, M)", s,
                 CQ_TF_MAX_N);
    cq_error_at(err, NULL, 0, 1);
    return CQ_EPARSE;
  }
  const char *u = memchr(tf_unit_char, s[i], sizeof tf_unit_char);
  if (!u || s[i] == '\0' || s[i + 1] != '\0') {
    cq_error_set(err, CQ_EPARSE,
                 "timeframe \"%s\": expected one unit after the count: s (seconds), m (minutes), "
                 "h (hours), d (days), w (weeks) or M (months)",
                 s);
    cq_error_at(err, NULL, 0, (int)i + 1);
    return CQ_EPARSE;
  }
  cq_tf_unit unit = (cq_tf_unit)(u - tf_unit_char);
  if (unit == CQ_TF_MONTH && n > 12) {
    cq_error_set(err, CQ_EPARSE, "timeframe \"%s\": months go up to 12M", s);
    cq_error_at(err, NULL, 0, 1);
    return CQ_EPARSE;
  }
  out->n = n;
  out->unit = unit;
  return CQ_OK;
}

size_t cq_timeframe_format(cq_timeframe tf, char *buf, size_t n) {
  int r = snprintf(buf, n, "%u%c", tf.n, tf_unit_char[tf.unit]);
  return r < 0 ? 0 : (size_t)r;
}

int64_t cq_timeframe_ns(cq_timeframe tf) {
  return tf_unit_ns[tf.unit] * (int64_t)tf.n;
}

static int64_t month_index(cq_time t) {
  cq_civil c;
  cq_time_to_civil(t, &c);
  return (int64_t)c.year * 12 + (c.month - 1);
}

static cq_time month_start(int64_t idx) {
  int64_t y = cq__floordiv(idx, 12);
  unsigned m = (unsigned)(idx - y * 12 + 1);
  return cq_days_from_civil(y, m, 1) * CQ_NS_PER_DAY;
}

cq_time cq_timeframe_floor(cq_timeframe tf, cq_time t) {
  if (tf.unit == CQ_TF_MONTH) {
    int64_t idx = month_index(t);
    return month_start(cq__floordiv(idx, tf.n) * tf.n);
  }
  int64_t len = cq_timeframe_ns(tf);
  int64_t origin = tf.unit == CQ_TF_WEEK ? CQ_FIRST_MONDAY_NS : 0;
  return cq__floordiv(t - origin, len) * len + origin;
}

cq_time cq_timeframe_next(cq_timeframe tf, cq_time t) {
  cq_time start = cq_timeframe_floor(tf, t);
  if (tf.unit == CQ_TF_MONTH) return month_start(month_index(start) + tf.n);
  return start + cq_timeframe_ns(tf);
}

bool cq_timeframe_is_aligned(cq_timeframe tf, cq_time t) {
  return cq_timeframe_floor(tf, t) == t;
}

bool cq_timeframe_divides(cq_timeframe a, cq_timeframe b) {
  if (b.unit == CQ_TF_MONTH) {
    if (a.unit == CQ_TF_MONTH) return b.n % a.n == 0;
    /* every month starts at 00:00 UTC, so any timeframe that divides a day divides a month */
    if (a.unit == CQ_TF_WEEK) return false;
    return CQ_NS_PER_DAY % cq_timeframe_ns(a) == 0;
  }
  if (a.unit == CQ_TF_MONTH) return false;
  int64_t la = cq_timeframe_ns(a), lb = cq_timeframe_ns(b);
  if (lb % la != 0) return false;
  /* week buckets start on Mondays, not at the epoch: a must also align there */
  if (b.unit == CQ_TF_WEEK && a.unit != CQ_TF_WEEK) return CQ_FIRST_MONDAY_NS % la == 0;
  if (a.unit == CQ_TF_WEEK && b.unit != CQ_TF_WEEK) return false;
  return true;
}
