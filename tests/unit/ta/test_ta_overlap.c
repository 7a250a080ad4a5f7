/* Hand-computed cases for the overlap studies beyond TA-Lib's reference file: HMA, and MA of
 * every type through cq_ta_ma agreeing with that type's own indicator (batch and stream). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ta_test_util.h"

/* cmocka's assert_float_equal compares floats; these are doubles. */
#define assert_near(a, b, tol)                                         \
  do {                                                                 \
    double a_ = (a), b_ = (b);                                         \
    if (!(fabs(a_ - b_) <= (tol))) fail_msg("%.17g != %.17g", a_, b_); \
  } while (0)

/* HMA(4) of 2, 4, 8, 6, 10, 4: n/2 = 2, floor(sqrt(4)) = 2, lookback 3 + 1 = 4.
 *   WMA2_t = (x[t-1] + 2 x[t]) / 3:  t3 20/3, t4 26/3, t5 18/3
 *   WMA4_t = (x[t-3] + 2 x[t-2] + 3 x[t-1] + 4 x[t]) / 10:
 *            t3 (2 + 8 + 24 + 24) / 10 = 5.8, t4 (4 + 16 + 18 + 40) / 10 = 7.8,
 *            t5 (8 + 12 + 30 + 16) / 10 = 6.6
 *   d_t = 2 WMA2 - WMA4:  t3 40/3 - 5.8 = 113/15, t4 52/3 - 7.8 = 143/15, t5 12 - 6.6 = 81/15
 *   HMA_t = WMA2(d) = (d[t-1] + 2 d[t]) / 3:  t4 (113 + 286) / 45 = 399/45,
 *                                             t5 (143 + 162) / 45 = 305/45 */
static void test_hma_by_hand(void **state) {
  (void)state;
  const double x[] = {2, 4, 8, 6, 10, 4};
  double out[6];
  cq_error e;
  cq_error_clear(&e);
  assert_int_equal(cq_ta_hma_lookback(4), 4);
  assert_int_equal(cq_ta_hma(x, 6, 4, out, &e), 0);
  for (int i = 0; i < 4; i++) assert_true(isnan(out[i]));
  assert_near(out[4], 399.0 / 45.0, 1e-12);
  assert_near(out[5], 305.0 / 45.0, 1e-12);
  /* lookbacks: n - 1 + floor(sqrt(n)) - 1 */
  assert_int_equal(cq_ta_hma_lookback(9), 8 + 2);
  assert_int_equal(cq_ta_hma_lookback(16), 15 + 3);
  assert_int_equal(cq_ta_hma_lookback(2), 1);
  assert_int_equal(cq_ta_hma_lookback(1), -1);
  /* HMA(2) is 2 x - WMA(x, 2) (both inner WMAs of 1 are the series itself) */
  assert_int_equal(cq_ta_hma(x, 6, 2, out, &e), 0);
  assert_true(isnan(out[0]));
  for (int i = 1; i < 6; i++) assert_near(out[i], 2 * x[i] - (x[i - 1] + 2 * x[i]) / 3, 1e-12);
}

/* WMA(3) of 1, 2, 3, 4: (1 + 4 + 9) / 6, (2 + 6 + 12) / 6. */
static void test_wma_by_hand(void **state) {
  (void)state;
  const double x[] = {1, 2, 3, 4};
  double out[4];
  assert_int_equal(cq_ta_wma(x, 4, 3, out, NULL), 0);
  assert_true(isnan(out[0]) && isnan(out[1]));
  assert_near(out[2], 14.0 / 6.0, 1e-12);
  assert_near(out[3], 20.0 / 6.0, 1e-12);
}

static void series(double *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    x[i] = 100.0 + 10.0 * sin((double)i * 0.21) + 3.0 * cos((double)i * 1.7) + (double)(i % 7);
}

/* The type's own indicator (T3 with TA-Lib's default vfactor 0.7). */
static int own(int type, const double *x, size_t n, int period, double *out) {
  switch (type) {
    case CQ_TA_MA_SMA:
      return cq_ta_sma(x, n, period, out, NULL);
    case CQ_TA_MA_EMA:
      return cq_ta_ema(x, n, period, out, NULL);
    case CQ_TA_MA_WMA:
      return cq_ta_wma(x, n, period, out, NULL);
    case CQ_TA_MA_DEMA:
      return cq_ta_dema(x, n, period, out, NULL);
    case CQ_TA_MA_TEMA:
      return cq_ta_tema(x, n, period, out, NULL);
    case CQ_TA_MA_TRIMA:
      return cq_ta_trima(x, n, period, out, NULL);
    case CQ_TA_MA_KAMA:
      return cq_ta_kama(x, n, period, out, NULL);
    case CQ_TA_MA_T3:
      return cq_ta_t3(x, n, period, 0.7, out, NULL);
    default:
      return -1;
  }
}

static void stream_all(const cq_ta_def *d, const double *p, const double *x, size_t n,
                       double *const *out) {
  cq_ta_stream *s;
  assert_int_equal(cq_ta_stream_new(d, p, &s, NULL), 0);
  cq_ta_in in = {.v = {x}, .n = n};
  cq_ta_stream_update_many(s, &in, out);
  cq_ta_stream_free(s);
}

static void test_ma_every_type(void **state) {
  (void)state;
  enum { N = 400 };
  static const int types[] = {0, 1, 2, 3, 4, 5, 6, 8};
  static const int periods[] = {2, 3, 10, 11};
  double x[N], a[N], b[N], c[N] = {0};
  series(x, N);
  const cq_ta_def *ma = cq_ta_find("ma");
  assert_non_null(ma);
  for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
    for (size_t k = 0; k < sizeof periods / sizeof periods[0]; k++) {
      int type = types[t], period = periods[k];
      cq_error e;
      cq_error_clear(&e);
      if (cq_ta_ma(x, N, period, type, a, &e)) fail_msg("ma type %d: %s", type, e.msg);
      assert_int_equal(own(type, x, N, period, b), 0);
      int lb = cq_ta_ma_lookback(period, type);
      assert_true(lb >= 0 && lb < N);
      assert_true(isnan(a[lb > 0 ? lb - 1 : 0]) || lb == 0);
      assert_false(isnan(a[lb]));
      double p[] = {period, type};
      double *o[] = {c};
      stream_all(ma, p, x, N, o);
      for (size_t i = 0; i < N; i++) {
        if (!same(a[i], b[i]))
          fail_msg("ma type %d period %d bar %zu: %.17g, own %.17g", type, period, i, a[i], b[i]);
        if (!same(a[i], c[i]))
          fail_msg("ma type %d period %d bar %zu: stream %.17g", type, period, i, c[i]);
      }
    }
  }
}

/* BBANDS over every MA type: streaming equals batch, middle is the MA of that type, and the
 * bands are symmetric around it. */
static void test_bbands_every_type(void **state) {
  (void)state;
  enum { N = 300 };
  static const int types[] = {0, 1, 2, 3, 4, 5, 6, 8};
  double x[N], up[N], mid[N], lo[N], su[N] = {0}, sm[N] = {0}, sl[N] = {0}, m[N];
  series(x, N);
  const cq_ta_def *d = cq_ta_find("bbands");
  assert_non_null(d);
  for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
    int type = types[t];
    assert_int_equal(cq_ta_bbands(x, N, 7, 2, 2, type, up, mid, lo, NULL), 0);
    assert_int_equal(cq_ta_ma(x, N, 7, type, m, NULL), 0);
    double p[] = {7, 2, 2, type};
    double *o[] = {su, sm, sl};
    stream_all(d, p, x, N, o);
    for (size_t i = 0; i < N; i++) {
      assert_true(same(mid[i], m[i]));
      assert_true(same(up[i], su[i]) && same(mid[i], sm[i]) && same(lo[i], sl[i]));
      if (!isnan(mid[i])) assert_near(up[i] - mid[i], mid[i] - lo[i], 1e-9);
    }
  }
  assert_int_equal(cq_ta_bbands(x, N, 7, 2, 2, 7, up, mid, lo, NULL), CQ_EUNSUPPORTED);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hma_by_hand),
      cmocka_unit_test(test_wma_by_hand),
      cmocka_unit_test(test_ma_every_type),
      cmocka_unit_test(test_bbands_every_type),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
