/* Indicators beyond TA-Lib, on small series worked by hand (the arithmetic in comments):
 * VWAP across day / week / month boundaries, Donchian, Keltner, SuperTrend, Ichimoku; and
 * the rolling highest / lowest window against a brute-force scan. Values are chosen so the
 * arithmetic is exact in binary floating point unless a comment says otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ta_test_util.h"

/* Same value (or both NaN) within 1e-12. */
static void near(const double *got, const double *want, size_t n, const char *what) {
  for (size_t i = 0; i < n; i++) {
    if (isnan(want[i]) && isnan(got[i])) continue;
    if (isnan(want[i]) || isnan(got[i]) || fabs(got[i] - want[i]) > 1e-12)
      fail_msg("%s: bar %zu: got %.17g, want %.17g", what, i, got[i], want[i]);
  }
}

static cq_time at(const char *iso) {
  cq_time t;
  assert_int_equal(cq_time_parse_iso(iso, &t, NULL), 0);
  return t;
}

/* --- VWAP ----------------------------------------------------------------------------- */

/* Each bar's high / low / close is tp + 1, tp - 1, tp, so the typical price is tp exactly. */
static void vwap_bars(size_t n, const double *tp, double *h, double *l, double *c) {
  for (size_t i = 0; i < n; i++) h[i] = tp[i] + 1, l[i] = tp[i] - 1, c[i] = tp[i];
}

static void test_vwap_anchors(void **state) {
  (void)state;
  enum { N = 7 };
  /* 2024-03-29 is a Friday; 2024-04-01 a Monday (new day, week and month at once);
   * 2024-04-08 the next Monday (new week, same month). */
  const cq_time t[N] = {
      at("2024-03-29T12:00Z"), /* Fri */
      at("2024-03-30T12:00Z"), /* Sat: new day */
      at("2024-03-31T23:00Z"), /* Sun: new day, volume 0 */
      at("2024-04-01T00:00Z"), /* Mon: new day, week, month */
      at("2024-04-01T06:00Z"), /* same day */
      at("2024-04-02T00:00Z"), /* Tue: new day */
      at("2024-04-08T00:00Z"), /* Mon: new day and week, same month */
  };
  const double tp[N] = {10, 20, 30, 40, 50, 60, 70};
  const double v[N] = {1, 3, 0, 2, 2, 1, 1};
  double h[N], l[N], c[N], out[N];
  vwap_bars(N, tp, h, l, c);

  /* day: every bar but bar 4 opens a new day.
   *   b0 10; b1 20; b2 volume 0 so far this day -> its typical price 30; b3 40;
   *   b4 (40*2 + 50*2) / 4 = 45; b5 60; b6 70 */
  const double day[N] = {10, 20, 30, 40, 45, 60, 70};
  /* week (from Monday): b0..b2 one week, b3..b5 the next, b6 the next.
   *   b1 (10 + 20*3) / 4 = 17.5; b2 adds 30*0: (70 + 0) / 4 = 17.5;
   *   b3 40; b4 45; b5 (80 + 100 + 60) / 5 = 48; b6 70 */
  const double week[N] = {10, 17.5, 17.5, 40, 45, 48, 70};
  /* month: March b0..b2, April b3..b6: b6 (80 + 100 + 60 + 70) / 6 = 310 / 6 */
  const double month[N] = {10, 17.5, 17.5, 40, 45, 48, 310.0 / 6.0};
  /* never: pv 10, 70, 70, 150, 250, 310, 380 over volume 1, 4, 4, 6, 8, 9, 10 */
  const double never[N] = {10, 17.5, 17.5, 150.0 / 6.0, 31.25, 310.0 / 9.0, 38};
  const double *want[] = {day, week, month, never};
  for (int a = CQ_TA_ANCHOR_DAY; a <= CQ_TA_ANCHOR_NONE; a++) {
    assert_int_equal(cq_ta_vwap(t, h, l, c, v, N, a, out, NULL), 0);
    char what[32];
    snprintf(what, sizeof what, "vwap anchor %d", a);
    near(out, want[a], N, what);
  }
  assert_int_equal(cq_ta_vwap_lookback(CQ_TA_ANCHOR_DAY), 0);
  assert_int_equal(cq_ta_vwap_lookback(4), -1);
}

static void test_vwap_month_midweek(void **state) {
  (void)state;
  enum { N = 3 };
  /* 2024-05-01 is a Wednesday: a new month (and day) inside a week */
  const cq_time t[N] = {at("2024-04-30T12:00Z"), at("2024-05-01T00:00Z"), at("2024-05-01T12:00Z")};
  const double tp[N] = {10, 20, 30}, v[N] = {1, 1, 2};
  double h[N], l[N], c[N], out[N];
  vwap_bars(N, tp, h, l, c);
  /* month and day: 10; 20; (20 + 30*2) / 3 = 80 / 3 */
  const double month[N] = {10, 20, 80.0 / 3.0};
  /* week: 10; (10 + 20) / 2 = 15; (10 + 20 + 60) / 4 = 22.5 */
  const double week[N] = {10, 15, 22.5};
  assert_int_equal(cq_ta_vwap(t, h, l, c, v, N, CQ_TA_ANCHOR_MONTH, out, NULL), 0);
  near(out, month, N, "vwap month");
  assert_int_equal(cq_ta_vwap(t, h, l, c, v, N, CQ_TA_ANCHOR_DAY, out, NULL), 0);
  near(out, month, N, "vwap day");
  assert_int_equal(cq_ta_vwap(t, h, l, c, v, N, CQ_TA_ANCHOR_WEEK, out, NULL), 0);
  near(out, week, N, "vwap week");
  /* no times: refused */
  cq_error e;
  cq_error_clear(&e);
  assert_int_equal(cq_ta_vwap(NULL, h, l, c, v, N, 0, out, &e), CQ_EINVAL);
}

/* --- Donchian ------------------------------------------------------------------------- */

static void test_donchian(void **state) {
  (void)state;
  enum { N = 5 };
  const double h[N] = {5, 7, 6, 4, 8}, l[N] = {1, 3, 2, 0, 5};
  double up[N], mid[N], dn[N];
  assert_int_equal(cq_ta_donchian(h, l, N, 3, up, mid, dn, NULL), 0);
  /* b2: max(5,7,6) = 7, min(1,3,2) = 1, mid 4
   * b3: max(7,6,4) = 7, min(3,2,0) = 0, mid 3.5
   * b4: max(6,4,8) = 8, min(2,0,5) = 0, mid 4 */
  const double wu[N] = {NAN, NAN, 7, 7, 8}, wm[N] = {NAN, NAN, 4, 3.5, 4},
               wd[N] = {NAN, NAN, 1, 0, 0};
  near(up, wu, N, "donchian upper");
  near(mid, wm, N, "donchian middle");
  near(dn, wd, N, "donchian lower");
  assert_int_equal(cq_ta_donchian_lookback(3), 2);

  /* a NaN high at bar 1 is in the windows of bars 1..3 */
  const double hn[N] = {5, NAN, 6, 4, 8};
  assert_int_equal(cq_ta_donchian(hn, l, N, 3, up, mid, dn, NULL), 0);
  const double nu[N] = {NAN, NAN, NAN, NAN, 8}, nd[N] = {NAN, NAN, NAN, NAN, 0};
  near(up, nu, N, "donchian upper, NaN");
  near(dn, nd, N, "donchian lower, NaN");
}

/* The monotonic-queue window against a brute-force scan, NaNs included. */
static void test_donchian_brute_force(void **state) {
  (void)state;
  enum { N = 2000 };
  double *h = malloc(N * sizeof(double)), *l = malloc(N * sizeof(double));
  double *up = malloc(N * sizeof(double)), *mid = malloc(N * sizeof(double));
  double *dn = malloc(N * sizeof(double));
  assert_true(h && l && up && mid && dn);
  uint64_t x = 88172645463325252u; /* xorshift: a repeatable series with many ties */
  for (size_t i = 0; i < N; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    double a = (double)(x % 50), b = (double)((x >> 20) % 50);
    h[i] = a > b ? a : b;
    l[i] = a > b ? b : a;
    if (x % 97 == 0) h[i] = NAN;
  }
  const int periods[] = {2, 3, 5, 17, 64};
  for (size_t k = 0; k < sizeof periods / sizeof periods[0]; k++) {
    int p = periods[k];
    assert_int_equal(cq_ta_donchian(h, l, N, p, up, mid, dn, NULL), 0);
    for (size_t i = 0; i < N; i++) {
      double hh = NAN, ll = NAN;
      if (i + 1 >= (size_t)p) {
        hh = -INFINITY, ll = INFINITY;
        for (size_t j = i + 1 - (size_t)p; j <= i; j++) {
          if (isnan(h[j]) || isnan(l[j])) {
            hh = ll = NAN;
            break;
          }
          if (h[j] > hh) hh = h[j];
          if (l[j] < ll) ll = l[j];
        }
      }
      if (!same(up[i], hh) || !same(dn[i], ll))
        fail_msg("donchian(%d) bar %zu: %g/%g, brute force %g/%g", p, i, up[i], dn[i], hh, ll);
    }
  }
  free(h), free(l), free(up), free(mid), free(dn);
}

/* --- Keltner -------------------------------------------------------------------------- */

static void test_keltner(void **state) {
  (void)state;
  enum { N = 5 };
  /* typical prices 10, 11, 12, 14, 10 */
  const double h[N] = {11, 12, 14, 15, 13}, l[N] = {9, 10, 10, 12, 8}, c[N] = {10, 11, 12, 15, 9};
  double up[N], mid[N], dn[N];
  /* EMA(3), k = 2 / 4 = 0.5: seed at b2 (10 + 11 + 12) / 3 = 11;
   *   b3 (14 - 11) * 0.5 + 11 = 12.5; b4 (10 - 12.5) * 0.5 + 12.5 = 11.25
   * true ranges: b1 max(12-10, |10-12|, |10-10|) = 2; b2 max(4, |11-14|, |11-10|) = 4;
   *   b3 max(3, |12-15|, |12-12|) = 3; b4 max(5, |15-13|, |15-8|) = 7
   * ATR(2): b2 (2 + 4) / 2 = 3; b3 (3*1 + 3) / 2 = 3; b4 (3*1 + 7) / 2 = 5
   * lookback max(3 - 1, 2) = 2; bands mid +- 2 ATR */
  assert_int_equal(cq_ta_keltner(h, l, c, N, 3, 2, 2.0, CQ_TA_MA_EMA, up, mid, dn, NULL), 0);
  const double wu[N] = {NAN, NAN, 17, 18.5, 21.25}, wm[N] = {NAN, NAN, 11, 12.5, 11.25},
               wd[N] = {NAN, NAN, 5, 6.5, 1.25};
  near(up, wu, N, "keltner upper");
  near(mid, wm, N, "keltner middle");
  near(dn, wd, N, "keltner lower");
  assert_int_equal(cq_ta_keltner_lookback(3, 2, 2.0, CQ_TA_MA_EMA), 2);
  assert_int_equal(cq_ta_keltner_lookback(20, 10, 2.0, CQ_TA_MA_EMA), 19);

  cq_error e;
  cq_error_clear(&e);
  assert_int_equal(cq_ta_keltner(h, l, c, N, 3, 2, NAN, CQ_TA_MA_EMA, up, mid, dn, &e), CQ_EINVAL);
  assert_string_equal(e.field, "multiplier");
  assert_int_equal(cq_ta_keltner_lookback(20, 10, NAN, CQ_TA_MA_EMA), -1);
  assert_int_equal(cq_ta_keltner(h, l, c, N, 3, 2, 2.0, CQ_TA_MA_MAMA, up, mid, dn, &e),
                   CQ_EUNSUPPORTED);
  assert_string_equal(e.field, "matype");

  /* SMA(3) middle: b2 (10 + 11 + 12) / 3 = 11; b3 (11 + 12 + 14) / 3 = 37 / 3 (inexact);
   * b4 (12 + 14 + 10) / 3 = 12 */
  assert_int_equal(cq_ta_keltner(h, l, c, N, 3, 2, 2.0, CQ_TA_MA_SMA, up, mid, dn, NULL), 0);
  const double sm[N] = {NAN, NAN, 11, 37.0 / 3.0, 12}, su[N] = {NAN, NAN, 17, 37.0 / 3.0 + 6, 22};
  near(mid, sm, N, "keltner sma middle");
  near(up, su, N, "keltner sma upper");
}

/* --- SuperTrend ----------------------------------------------------------------------- */

static void test_supertrend(void **state) {
  (void)state;
  enum { N = 7 };
  const double h[N] = {11, 12, 13, 16, 15, 12, 11}, l[N] = {9, 10, 11, 14, 13, 8, 9},
               c[N] = {10, 11, 12, 15, 14, 9, 10};
  double v[N], d[N];
  /* period 2, multiplier 1.
   * TR: b1 2; b2 max(2, |11-13|, 0) = 2; b3 max(2, |12-16|, |12-14|) = 4;
   *     b4 max(2, |15-15|, |15-13|) = 2; b5 max(4, |14-12|, |14-8|) = 6; b6 max(2, 2, 0) = 2
   * ATR(2): b2 (2+2)/2 = 2; b3 (2+4)/2 = 3; b4 (3+2)/2 = 2.5; b5 (2.5+6)/2 = 4.25;
   *         b6 (4.25+2)/2 = 3.125
   * b2: hl2 12, bands 14 / 10 (first: final = basic), trend down -> value 14, dir -1
   * b3: hl2 15, basic 18 / 12; upper: 18 < 14 no, prev close 12 > 14 no -> 14;
   *     lower: 12 > 10 -> 12; close 15 > upper 14 -> up: value 12, dir +1
   * b4: hl2 14, basic 16.5 / 11.5; upper: prev close 15 > 14 -> 16.5; lower: 11.5 > 12 no,
   *     15 < 12 no -> 12; close 14 < 12 no -> stays up: value 12
   * b5: hl2 10, basic 14.25 / 5.75; upper: 14.25 < 16.5 -> 14.25; lower stays 12;
   *     close 9 < 12 -> down: value 14.25, dir -1
   * b6: hl2 10, basic 13.125 / 6.875; upper: 13.125 < 14.25 -> 13.125; lower: prev close
   *     9 < 12 -> 6.875; close 10 > 13.125 no -> stays down: value 13.125 */
  assert_int_equal(cq_ta_supertrend(h, l, c, N, 2, 1.0, v, d, NULL), 0);
  const double wv[N] = {NAN, NAN, 14, 12, 12, 14.25, 13.125};
  const double wd[N] = {NAN, NAN, -1, 1, 1, -1, -1};
  near(v, wv, N, "supertrend value");
  near(d, wd, N, "supertrend direction");
  assert_int_equal(cq_ta_supertrend_lookback(10, 3.0), 10);

  cq_error e;
  cq_error_clear(&e);
  assert_int_equal(cq_ta_supertrend(h, l, c, N, 2, NAN, v, d, &e), CQ_EINVAL);
  assert_string_equal(e.field, "multiplier");
}

/* --- Ichimoku ------------------------------------------------------------------------- */

static void test_ichimoku(void **state) {
  (void)state;
  enum { N = 7 };
  const double h[N] = {10, 12, 11, 15, 13, 14, 16}, l[N] = {8, 9, 7, 10, 11, 12, 13};
  double tk[N], kj[N], sa[N], sb[N];
  /* tenkan 2, kijun 3, senkou_b 4, displacement 2
   * tenkan (2 bars): b1 (12+8)/2 = 10; b2 (12+7)/2 = 9.5; b3 (15+7)/2 = 11;
   *   b4 (15+10)/2 = 12.5; b5 (14+11)/2 = 12.5; b6 (16+12)/2 = 14
   * kijun (3 bars): b2 (12+7)/2 = 9.5; b3 (15+7)/2 = 11; b4 (15+7)/2 = 11;
   *   b5 (15+10)/2 = 12.5; b6 (16+11)/2 = 13.5
   * (tenkan + kijun) / 2: b2 9.5; b3 11; b4 11.75; b5 12.5; b6 13.75
   * senkou_a[i] = that at i - 2: b4 9.5; b5 11; b6 11.75
   * 4-bar midpoint: b3 (15+7)/2 = 11; b4 (15+7)/2 = 11; b5 (15+7)/2 = 11; b6 (16+10)/2 = 13
   * senkou_b[i] = that at i - 2: b5 11; b6 11 */
  assert_int_equal(cq_ta_ichimoku(h, l, N, 2, 3, 4, 2, tk, kj, sa, sb, NULL), 0);
  const double wt[N] = {NAN, 10, 9.5, 11, 12.5, 12.5, 14};
  const double wk[N] = {NAN, NAN, 9.5, 11, 11, 12.5, 13.5};
  const double wa[N] = {NAN, NAN, NAN, NAN, 9.5, 11, 11.75};
  const double wb[N] = {NAN, NAN, NAN, NAN, NAN, 11, 11};
  near(tk, wt, N, "ichimoku tenkan");
  near(kj, wk, N, "ichimoku kijun");
  near(sa, wa, N, "ichimoku senkou_a");
  near(sb, wb, N, "ichimoku senkou_b");
  assert_int_equal(cq_ta_ichimoku_lookback(2, 3, 4, 2), 1);
  assert_int_equal(cq_ta_ichimoku_lookback(9, 26, 52, 26), 8);
  assert_int_equal(cq_ta_ichimoku_lookback(9, 26, 52, 0), -1);
}

/* --- edges of the TA-Lib volatility indicators the reference file does not reach ------ */

static void test_atr_edges(void **state) {
  (void)state;
  enum { N = 5 };
  const double h[N] = {11, 12, 14, 15, 13}, l[N] = {9, 10, 10, 12, 8}, c[N] = {10, 11, 0, 15, 9};
  double tr[N], atr[N], natr[N];
  /* true ranges: b1 max(2, |10-12|, 0) = 2; b2 max(4, |11-14|, |11-10|) = 4;
   * b3 max(3, |0-15|, |0-12|) = 15; b4 max(5, |15-13|, |15-8|) = 7 */
  const double want_tr[N] = {NAN, 2, 4, 15, 7};
  assert_int_equal(cq_ta_trange(h, l, c, N, tr, NULL), 0);
  near(tr, want_tr, N, "trange");
  /* period 1: the true range itself, for ATR and (as TA-Lib) for NATR */
  assert_int_equal(cq_ta_atr(h, l, c, N, 1, atr, NULL), 0);
  near(atr, want_tr, N, "atr(1)");
  assert_int_equal(cq_ta_natr(h, l, c, N, 1, natr, NULL), 0);
  near(natr, want_tr, N, "natr(1)");
  /* ATR(2): b2 (2 + 4) / 2 = 3; b3 3 * 0.5 + 15 * 0.5 = 9; b4 9 * 0.5 + 7 * 0.5 = 8
   * NATR(2): b2 close 0 -> 0; b3 9 / 15 * 100 = 60; b4 8 / 9 * 100 */
  assert_int_equal(cq_ta_atr(h, l, c, N, 2, atr, NULL), 0);
  const double want_atr[N] = {NAN, NAN, 3, 9, 8};
  near(atr, want_atr, N, "atr(2)");
  assert_int_equal(cq_ta_natr(h, l, c, N, 2, natr, NULL), 0);
  const double want_natr[N] = {NAN, NAN, 0, 60, 8.0 / 9.0 * 100.0};
  near(natr, want_natr, N, "natr(2)");
  assert_int_equal(cq_ta_atr_lookback(14), 14);
  assert_int_equal(cq_ta_atr_lookback(0), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vwap_anchors), cmocka_unit_test(test_vwap_month_midweek),
      cmocka_unit_test(test_donchian),     cmocka_unit_test(test_donchian_brute_force),
      cmocka_unit_test(test_keltner),      cmocka_unit_test(test_supertrend),
      cmocka_unit_test(test_ichimoku),     cmocka_unit_test(test_atr_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
