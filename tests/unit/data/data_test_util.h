/* Small helpers shared by the data tests. Header-only: every test is its own executable. */
#ifndef CQ_DATA_TEST_UTIL_H
#define CQ_DATA_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cquant/data.h"

static inline cq_time iso(const char *s) {
  cq_time t = 0;
  cq_error e;
  if (cq_time_parse_iso(s, &t, &e)) fail_msg("bad time %s: %s", s, e.msg);
  return t;
}

static inline cq_timeframe tf_of(const char *s) {
  cq_timeframe tf = {0, CQ_TF_SECOND};
  cq_error e;
  if (cq_timeframe_parse(s, &tf, &e)) fail_msg("bad timeframe %s: %s", s, e.msg);
  return tf;
}

static inline cq_candle bar(cq_time t, double o, double h, double l, double c, double v) {
  return (cq_candle){.open_time = t,
                     .open = o,
                     .high = h,
                     .low = l,
                     .close = c,
                     .volume = v,
                     .quote_volume = NAN,
                     .trades = -1,
                     .closed = true};
}

static inline void push(cq_candles *c, cq_candle k) {
  assert_int_equal(cq_candles_push(c, &k), 0);
}

/* a and b within k units in the last place of b. */
static inline int near_ulps(double a, double b, double k) {
  double ulp = nextafter(fabs(b), INFINITY) - fabs(b);
  return fabs(a - b) <= k * ulp;
}

/* The timeframe a market file names after its last '-': "binance_BTC_USDT-5m.csv" is 5m,
 * "binance_ALT_BTC-1m.head300.csv" 1m. */
static inline cq_timeframe tf_of_file(const char *path) {
  const char *dash = strrchr(path, '-');
  char buf[CQ_TF_STRMAX];
  size_t n = dash ? strcspn(dash + 1, ".") : sizeof buf;
  if (n >= sizeof buf) {
    fail_msg("no timeframe in %s", path);
    return (cq_timeframe){0, CQ_TF_SECOND};
  }
  memcpy(buf, dash + 1, n);
  buf[n] = '\0';
  return tf_of(buf);
}

/* Reads a candle file on its own timeframe; fails the test on any error. */
static inline cq_timeframe read_market_file(const char *path, cq_candles *out) {
  cq_read_opts o = {.format = CQ_FMT_AUTO, .tf = tf_of_file(path)};
  cq_read_report rep;
  cq_error e;
  int rc = cq_read_candles_file(path, &o, out, &rep, &e);
  if (rc) {
    char msg[600];
    cq_error_format(&e, msg, sizeof msg);
    fail_msg("reading %s: %s", path, msg);
  }
  cq_read_report_release(&rep);
  return o.tf;
}

/* splitmix64: a seeded local PRNG, so every run checks the same values. */
typedef struct rng {
  uint64_t s;
} rng;

static inline uint64_t rng_next(rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline uint64_t rng_below(rng *r, uint64_t n) {
  return rng_next(r) % n;
}

/* uniform in [0, 1) */
static inline double rng_unit(rng *r) {
  return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

#endif
