/* The rolling window helper ta_extrema (src/ta/window.c) against a brute-force scan of each
 * window: random prices with many ties, NaN entering and leaving, periods 1 to 100 (shorter,
 * equal to and longer than the series), and the same bars pushed one at a time, through
 * ta_extrema_run in chunks of every size, or mixed: all bit for bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ta_internal.h"
#include "ta_test_util.h"

enum { N = 700 };

static uint64_t rnd(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* A random walk rounded to a coarse tick (so equal highs and lows are common), with NaN highs
 * or lows here and there when nan_every > 0. */
static void make(double *high, double *low, uint64_t seed, int nan_every) {
  uint64_t s = seed;
  double c = 100.0;
  for (int i = 0; i < N; i++) {
    c += (double)((int)(rnd(&s) % 5) - 2);
    high[i] = c + (double)(rnd(&s) % 3);
    low[i] = c - (double)(rnd(&s) % 3);
    if (nan_every && rnd(&s) % (uint64_t)nan_every == 0) {
      if (rnd(&s) & 1)
        high[i] = NAN;
      else
        low[i] = NAN;
    }
  }
}

/* The window's extremes by scanning it: NaN before period bars or with a NaN in it. */
static void brute(const double *high, const double *low, int period, double *hh, double *ll) {
  for (int t = 0; t < N; t++) {
    hh[t] = ll[t] = NAN;
    if (t < period - 1) continue;
    double h = -INFINITY, l = INFINITY;
    bool nan = false;
    for (int k = t - period + 1; k <= t; k++) {
      nan |= isnan(high[k]) || isnan(low[k]);
      if (high[k] > h) h = high[k];
      if (low[k] < l) l = low[k];
    }
    if (!nan) hh[t] = h, ll[t] = l;
  }
}

static void expect(const double *got, const double *want, const char *what, int period,
                   size_t chunk) {
  for (int t = 0; t < N; t++)
    if (!same(got[t], want[t]))
      fail_msg("%s, period %d, chunks of %zu: bar %d: got %.17g, want %.17g", what, period, chunk,
               t, got[t], want[t]);
}

static void check(uint64_t seed, int nan_every) {
  static const int periods[] = {1, 2, 3, 4, 5, 7, 13, 14, 31, 32, 33, 100, N, N + 5};
  double high[N], low[N], wh[N], wl[N], gh[N], gl[N];
  make(high, low, seed, nan_every);
  for (size_t p = 0; p < sizeof periods / sizeof periods[0]; p++) {
    const int period = periods[p];
    brute(high, low, period, wh, wl);
    static const size_t chunks[] = {1, 2, 3, 5, 13, 14, 64, N};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
      /* ta_extrema_run over chunks */
      ta_extrema m;
      assert_int_equal(ta_extrema_init(&m, period, NULL), 0);
      for (size_t at = 0; at < N; at += chunks[c]) {
        size_t len = N - at < chunks[c] ? N - at : chunks[c];
        ta_extrema_run(&m, high + at, low + at, len, gh + at, gl + at);
      }
      ta_extrema_release(&m);
      expect(gh, wh, "run: high", period, chunks[c]);
      expect(gl, wl, "run: low", period, chunks[c]);
      /* the same chunks, pushing one bar between them */
      assert_int_equal(ta_extrema_init(&m, period, NULL), 0);
      for (size_t at = 0; at < N;) {
        ta_extrema_push(&m, high[at], low[at], &gh[at], &gl[at]);
        at++;
        size_t len = N - at < chunks[c] ? N - at : chunks[c];
        ta_extrema_run(&m, high + at, low + at, len, gh + at, gl + at);
        at += len;
      }
      ta_extrema_release(&m);
      expect(gh, wh, "push and run: high", period, chunks[c]);
      expect(gl, wl, "push and run: low", period, chunks[c]);
    }
    /* one bar at a time */
    ta_extrema m;
    assert_int_equal(ta_extrema_init(&m, period, NULL), 0);
    for (int t = 0; t < N; t++) ta_extrema_push(&m, high[t], low[t], &gh[t], &gl[t]);
    ta_extrema_release(&m);
    expect(gh, wh, "push: high", period, 1);
    expect(gl, wl, "push: low", period, 1);
  }
}

static void test_extrema_ties(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 5; seed++) check(seed, 0);
}

static void test_extrema_nan(void **state) {
  (void)state;
  for (uint64_t seed = 11; seed <= 15; seed++) check(seed, 40);
  check(21, 3); /* NaN in most windows */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_extrema_ties),
      cmocka_unit_test(test_extrema_nan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
