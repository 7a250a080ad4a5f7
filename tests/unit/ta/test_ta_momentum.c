/* Momentum indicators beyond the TA-Lib reference columns: parameter rules, lookbacks, small
 * series worked by hand (the arithmetic in comments), TA-Lib's edge cases (division by zero,
 * period 1, ties) and the indicators built from others checked against their parts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ta_test_util.h"

/* Same value (or both NaN) within tol. */
static void near(const double *got, const double *want, size_t n, double tol, const char *what) {
  for (size_t i = 0; i < n; i++) {
    if (isnan(want[i]) && isnan(got[i])) continue;
    if (isnan(want[i]) || isnan(got[i]) || fabs(got[i] - want[i]) > tol)
      fail_msg("%s: bar %zu: got %.17g, want %.17g", what, i, got[i], want[i]);
  }
}

enum { N = 400 };

/* A deterministic walk with highs and lows around it. */
static void series(double *h, double *l, double *c) {
  uint32_t s = 12345;
  double x = 100.0;
  for (size_t i = 0; i < N; i++) {
    s = s * 1103515245u + 12345u;
    x += (double)((s >> 16) % 1000) / 500.0 - 1.0;
    c[i] = x;
    h[i] = x + (double)((s >> 8) % 7) / 4.0;
    l[i] = x - (double)((s >> 4) % 5) / 4.0;
  }
}

static void test_params(void **state) {
  (void)state;
  cq_error e;
  double p[CQ_TA_MAX_PARAMS];
  const cq_ta_def *macd = cq_ta_find("macd");
  assert_non_null(macd);
  cq_error_clear(&e);
  assert_int_equal(cq_ta_params_parse(macd, "26,12,9", p, &e), CQ_EINVAL);
  assert_string_equal(e.field, "fastperiod");
  assert_non_null(strstr(e.msg, "fastperiod"));
  assert_int_equal(cq_ta_params_parse(macd, "12,12,9", p, &e), CQ_EINVAL);
  assert_int_equal(cq_ta_macd_lookback(26, 12, 9), -1);
  const char *po[] = {"apo", "ppo"};
  for (int i = 0; i < 2; i++) {
    const cq_ta_def *d = cq_ta_find(po[i]);
    assert_non_null(d);
    cq_error_clear(&e);
    assert_int_equal(cq_ta_params_parse(d, "slowperiod=10,fastperiod=10", p, &e), CQ_EINVAL);
    assert_string_equal(e.field, "fastperiod");
    assert_int_equal(cq_ta_params_parse(d, "12,26,7", p, &e), CQ_EUNSUPPORTED);
    assert_string_equal(e.field, "matype");
  }
  const cq_ta_def *stoch = cq_ta_find("stoch");
  cq_error_clear(&e);
  assert_int_equal(cq_ta_params_parse(stoch, "slowd_matype=7", p, &e), CQ_EUNSUPPORTED);
  assert_string_equal(e.field, "slowd_matype");
  assert_int_equal(cq_ta_params_parse(cq_ta_find("stochf"), "5,3,7", p, &e), CQ_EUNSUPPORTED);
  assert_int_equal(cq_ta_params_parse(cq_ta_find("stochrsi"), "14,5,3,7", p, &e), CQ_EUNSUPPORTED);

  /* TA-Lib's lookbacks */
  assert_int_equal(cq_ta_rsi_lookback(14), 14);
  assert_int_equal(cq_ta_cmo_lookback(14), 14);
  assert_int_equal(cq_ta_macd_lookback(12, 26, 9), 33);
  assert_int_equal(cq_ta_stoch_lookback(5, 3, 0, 3, 0), 8);
  assert_int_equal(cq_ta_stochf_lookback(5, 3, 0), 6);
  assert_int_equal(cq_ta_stochrsi_lookback(14, 5, 3, 0), 20);
  assert_int_equal(cq_ta_adx_lookback(14), 27);
  assert_int_equal(cq_ta_adxr_lookback(14), 40);
  assert_int_equal(cq_ta_dx_lookback(14), 14);
  assert_int_equal(cq_ta_plus_di_lookback(14), 14);
  assert_int_equal(cq_ta_minus_di_lookback(1), 1);
  assert_int_equal(cq_ta_cci_lookback(14), 13);
  assert_int_equal(cq_ta_mfi_lookback(14), 14);
  assert_int_equal(cq_ta_mom_lookback(10), 10);
  assert_int_equal(cq_ta_roc_lookback(10), 10);
  assert_int_equal(cq_ta_rocp_lookback(10), 10);
  assert_int_equal(cq_ta_willr_lookback(14), 13);
  assert_int_equal(cq_ta_aroon_lookback(14), 14);
  assert_int_equal(cq_ta_aroonosc_lookback(14), 14);
  assert_int_equal(cq_ta_apo_lookback(12, 26, 0), 25);
  assert_int_equal(cq_ta_ppo_lookback(12, 26, 1), 25);
  assert_int_equal(cq_ta_trix_lookback(30), 88);
  assert_int_equal(cq_ta_ultosc_lookback(7, 14, 28), 28);
  assert_int_equal(cq_ta_bop_lookback(), 0);
  assert_int_equal(cq_ta_rsi_lookback(1), -1);
}

static void test_mom_roc_bop(void **state) {
  (void)state;
  const double x[] = {1, 2, 4, 0, 5};
  double o[5];
  cq_error e;
  assert_int_equal(cq_ta_mom(x, 5, 1, o, &e), 0);
  near(o, (double[]){NAN, 1, 2, -4, 5}, 5, 0, "mom");
  /* ROC from a zero is 0, as TA-Lib */
  assert_int_equal(cq_ta_roc(x, 5, 1, o, &e), 0);
  near(o, (double[]){NAN, 100, 100, -100, 0}, 5, 0, "roc");
  assert_int_equal(cq_ta_rocp(x, 5, 1, o, &e), 0);
  near(o, (double[]){NAN, 1, 1, -1, 0}, 5, 0, "rocp");
  /* (2 - 1) / (3 - 1); a flat bar gives 0 */
  const double op[] = {1, 2}, hi[] = {3, 2}, lo[] = {1, 2}, cl[] = {2, 3};
  assert_int_equal(cq_ta_bop(op, hi, lo, cl, 2, o, &e), 0);
  near(o, (double[]){0.5, 0}, 2, 0, "bop");
}

static void test_rsi_cmo_by_hand(void **state) {
  (void)state;
  /* period 2, changes +1 +2 -1 0:
   * bar 2: gain (1 + 2) / 2 = 1.5, loss 0           -> RSI 100, CMO 100
   * bar 3: gain 1.5 * 1 / 2 = 0.75, loss 1 / 2 = 0.5 -> RSI 60,  CMO 20
   * bar 4: gain 0.375, loss 0.25                     -> RSI 60,  CMO 20 */
  const double x[] = {1, 2, 4, 3, 3};
  double o[5];
  cq_error e;
  assert_int_equal(cq_ta_rsi(x, 5, 2, o, &e), 0);
  near(o, (double[]){NAN, NAN, 100, 60, 60}, 5, 1e-12, "rsi");
  assert_int_equal(cq_ta_cmo(x, 5, 2, o, &e), 0);
  near(o, (double[]){NAN, NAN, 100, 20, 20}, 5, 1e-12, "cmo");
  /* a flat series: gain + loss = 0 gives 0 */
  const double flat[] = {3, 3, 3, 3};
  assert_int_equal(cq_ta_rsi(flat, 4, 2, o, &e), 0);
  near(o, (double[]){NAN, NAN, 0, 0}, 4, 0, "rsi flat");
}

static void test_di_period_1(void **state) {
  (void)state;
  /* bar 1: +DM 12 - 10 = 2 (-DM 9 - 10 < 0), TR max(2, |9.5 - 12|, |9.5 - 10|) = 2.5 -> 0.8
   * bar 2: -DM 10 - 8 = 2 (+DM 11 - 12 < 0), TR max(3, 0, 3) = 3 -> 2 / 3 */
  const double h[] = {10, 12, 11}, l[] = {9, 10, 8}, c[] = {9.5, 11, 9};
  double o[3];
  cq_error e;
  assert_int_equal(cq_ta_plus_di(h, l, c, 3, 1, o, &e), 0);
  near(o, (double[]){NAN, 0.8, 0}, 3, 1e-15, "plus_di(1)");
  assert_int_equal(cq_ta_minus_di(h, l, c, 3, 1, o, &e), 0);
  near(o, (double[]){NAN, 0, 2.0 / 3.0}, 3, 1e-15, "minus_di(1)");
}

static void test_aroon_ties(void **state) {
  (void)state;
  /* period 2, windows of 3 bars; the latest of equal extremes counts (TA-Lib):
   * bar 2: highs 1 3 3 -> bar 2, up 100; lows 5 4 4 -> bar 2, down 100
   * bar 3: highs 3 3 2 -> bar 2, up 50;  lows 4 4 6 -> bar 2, down 50
   * bar 4: highs 3 2 4 -> bar 4, up 100; lows 4 6 1 -> bar 4, down 100 */
  const double h[] = {1, 3, 3, 2, 4}, l[] = {5, 4, 4, 6, 1};
  double dn[5], up[5], osc[5];
  cq_error e;
  assert_int_equal(cq_ta_aroon(h, l, 5, 2, dn, up, &e), 0);
  near(up, (double[]){NAN, NAN, 100, 50, 100}, 5, 0, "aroon up");
  near(dn, (double[]){NAN, NAN, 100, 50, 100}, 5, 0, "aroon down");
  assert_int_equal(cq_ta_aroonosc(h, l, 5, 2, osc, &e), 0);
  near(osc, (double[]){NAN, NAN, 0, 0, 0}, 5, 0, "aroonosc");
}

/* The indicators made of others equal their parts, bit for bit where the arithmetic is the
 * same. */
static void test_composites(void **state) {
  (void)state;
  static double h[N], l[N], c[N], a[N], b[N], d[N], f[N], g[N];
  series(h, l, c);
  cq_error e;

  /* MACD: slow EMA(26) from bar 0, fast EMA(12) seeded from bar 14; signal EMA(9) of the
   * MACD line from bar 25 */
  assert_int_equal(cq_ta_macd(c, N, 12, 26, 9, a, b, d, &e), 0);
  assert_int_equal(cq_ta_ema(c, N, 26, f, &e), 0);
  assert_int_equal(cq_ta_ema(c + 14, N - 14, 12, g, &e), 0);
  static double line[N], sig[N];
  for (size_t i = 25; i < N; i++) line[i] = g[i - 14] - f[i];
  assert_int_equal(cq_ta_ema(line + 25, N - 25, 9, sig, &e), 0);
  for (size_t i = 33; i < N; i++) {
    assert_true(a[i] == line[i]);
    assert_true(b[i] == sig[i - 25]);
    assert_true(d[i] == line[i] - sig[i - 25]);
  }

  /* ADXR from ADX */
  assert_int_equal(cq_ta_adx(h, l, c, N, 14, a, &e), 0);
  assert_int_equal(cq_ta_adxr(h, l, c, N, 14, b, &e), 0);
  for (size_t i = 40; i < N; i++) assert_true(b[i] == (a[i] + a[i - 13]) / 2.0);

  /* STOCHRSI is STOCHF of the RSI */
  assert_int_equal(cq_ta_rsi(c, N, 14, a, &e), 0);
  assert_int_equal(cq_ta_stochf(a + 14, a + 14, a + 14, N - 14, 5, 3, 1, f, g, &e), 0);
  assert_int_equal(cq_ta_stochrsi(c, N, 14, 5, 3, 1, b, d, &e), 0);
  for (size_t i = 14; i < N; i++) {
    assert_true((isnan(b[i]) && isnan(f[i - 14])) || b[i] == f[i - 14]);
    assert_true((isnan(d[i]) && isnan(g[i - 14])) || d[i] == g[i - 14]);
  }

  /* AROONOSC is up - down */
  assert_int_equal(cq_ta_aroon(h, l, N, 14, a, b, &e), 0);
  assert_int_equal(cq_ta_aroonosc(h, l, N, 14, d, &e), 0);
  for (size_t i = 0; i < N; i++) f[i] = b[i] - a[i];
  near(d, f, N, 1e-12, "aroonosc");

  /* ULTOSC sorts its periods: any order gives the same values */
  assert_int_equal(cq_ta_ultosc(h, l, c, N, 7, 14, 28, a, &e), 0);
  assert_int_equal(cq_ta_ultosc(h, l, c, N, 28, 7, 14, b, &e), 0);
  near(a, b, N, 0, "ultosc order");

  /* APO is EMA(fast) - EMA(slow), each seeded on its own (unlike MACD) */
  assert_int_equal(cq_ta_apo(c, N, 5, 9, 1, a, &e), 0);
  assert_int_equal(cq_ta_ema(c, N, 5, f, &e), 0);
  assert_int_equal(cq_ta_ema(c, N, 9, g, &e), 0);
  for (size_t i = 8; i < N; i++) assert_true(a[i] == f[i] - g[i]);

  /* STOCH's %K window against a brute-force scan */
  assert_int_equal(cq_ta_stochf(h, l, c, N, 9, 1, 0, a, b, &e), 0);
  for (size_t i = 8; i < N; i++) {
    double hh = h[i], ll = l[i];
    for (size_t j = i - 8; j < i; j++) hh = h[j] > hh ? h[j] : hh, ll = l[j] < ll ? l[j] : ll;
    double diff = (hh - ll) / 100.0;
    assert_true(a[i] == (diff != 0.0 ? (c[i] - ll) / diff : 0.0));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_params),          cmocka_unit_test(test_mom_roc_bop),
      cmocka_unit_test(test_rsi_cmo_by_hand), cmocka_unit_test(test_di_period_1),
      cmocka_unit_test(test_aroon_ties),      cmocka_unit_test(test_composites),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
