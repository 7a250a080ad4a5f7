/* The vector forms of the signal strategies on small series worked by hand: the bars of
 * their entries and exits (and donchian's stops), the crossing rule's ties, warm-up bars,
 * bad output arrays, and the parameter tables (defaults inside their ranges, the fast < slow
 * rule). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "strategy_internal.h"

enum { MAXN = 40 };

/* Candles from closes (open = previous close, high/low = max/min of open and close) or
 * from explicit highs and lows. */
typedef struct series {
  cq_candles c;
  cq_time t[MAXN];
  double o[MAXN], h[MAXN], l[MAXN], x[MAXN], v[MAXN], qv[MAXN];
} series;

static void series_set(series *s, const double *close, const double *high, const double *low,
                       size_t n) {
  assert_true(n <= MAXN);
  memset(s, 0, sizeof *s);
  for (size_t i = 0; i < n; i++) {
    s->t[i] = (cq_time)i * 3600 * (cq_time)1000000000;
    s->x[i] = close[i];
    s->o[i] = i ? close[i - 1] : close[i];
    s->h[i] = high ? high[i] : fmax(s->o[i], close[i]);
    s->l[i] = low ? low[i] : fmin(s->o[i], close[i]);
    s->v[i] = 1;
    s->qv[i] = NAN;
  }
  s->c.len = s->c.cap = n;
  s->c.open_time = s->t;
  s->c.open = s->o;
  s->c.high = s->h;
  s->c.low = s->l;
  s->c.close = s->x;
  s->c.volume = s->v;
  s->c.quote_volume = s->qv;
}

typedef struct sigbuf {
  cq_signals s;
  uint8_t entry[MAXN], exit[MAXN];
  double stop[MAXN], take[MAXN];
} sigbuf;

/* Zeroed arrays, stop/take NaN-filled, as the vector engine hands them over. */
static void sigbuf_init(sigbuf *b, size_t n) {
  memset(b, 0, sizeof *b);
  for (size_t i = 0; i < MAXN; i++) b->stop[i] = b->take[i] = NAN;
  b->s = (cq_signals){.n = n, .entry = b->entry, .exit = b->exit, .stop = b->stop, .take = b->take};
}

/* The bars set in a flag array are exactly want[0..nw). */
static void expect_bars(const uint8_t *got, size_t n, const size_t *want, size_t nw,
                        const char *what) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    bool expected = k < nw && want[k] == i;
    if (expected) k++;
    if ((got[i] != 0) != expected)
      fail_msg("%s: bar %zu is %s, expected %s", what, i, got[i] ? "set" : "clear",
               expected ? "set" : "clear");
  }
}

static void test_sma_cross(void **state) {
  (void)state;
  /* fast 2, slow 4:
   *  i      0  1  2  3  4  5  6  7  8  9 10 11
   *  close 10 10 10 10 14 14 10  6  6 10 14 14
   *  sma2   -  10 10 10 12 14 12  8  6  8 12 14
   *  sma4   -  -  -  10 11 12 12 11  9  8  9 11
   * i4: 10 <= 10 then 12 > 11: entry (a tie before counts). i6: 12 vs 12 is neither.
   * i7: 12 >= 12 then 8 < 11: exit. i10: 8 <= 8 then 12 > 9: entry. i3 has no sma4 at i2. */
  const double x[] = {10, 10, 10, 10, 14, 14, 10, 6, 6, 10, 14, 14};
  series s;
  series_set(&s, x, NULL, NULL, 12);
  sigbuf b;
  sigbuf_init(&b, 12);
  const double p[] = {2, 4};
  assert_int_equal(cq__sma_cross_signals(p, &s.c, &b.s, NULL), 0);
  expect_bars(b.entry, 12, (const size_t[]){4, 10}, 2, "sma_cross entry");
  expect_bars(b.exit, 12, (const size_t[]){7}, 1, "sma_cross exit");
  for (size_t i = 0; i < 12; i++) assert_true(isnan(b.stop[i]) && isnan(b.take[i]));
}

static void test_ema_cross(void **state) {
  (void)state;
  /* fast 2 (k = 2/3, seeded with the SMA of bars 0..1), slow 3 (k = 1/2, SMA of 0..2):
   *  i      0  1  2  3  4       5        6       7
   *  close 10 10 10 10 16      16        4       4
   *  ema2   -  10 10 10 14      15.333   7.778   5.259
   *  ema3   -  -  10 10 13      14.5     9.25    6.625
   * i4: 10 <= 10 then 14 > 13: entry. i6: 15.33 >= 14.5 then 7.78 < 9.25: exit. */
  const double x[] = {10, 10, 10, 10, 16, 16, 4, 4};
  series s;
  series_set(&s, x, NULL, NULL, 8);
  sigbuf b;
  sigbuf_init(&b, 8);
  const double p[] = {2, 3};
  assert_int_equal(cq__ema_cross_signals(p, &s.c, &b.s, NULL), 0);
  expect_bars(b.entry, 8, (const size_t[]){4}, 1, "ema_cross entry");
  expect_bars(b.exit, 8, (const size_t[]){6}, 1, "ema_cross exit");
}

static void test_rsi_reversion(void **state) {
  (void)state;
  /* period 2, lower 30, upper 70. Changes from bar 1: +1 +1 -1 -1 -1 +1 +2 +1.
   * Bar 2: gains (1+1)/2 = 1, losses 0: RSI 100 (exit). Then Wilder, g = (g + up) / 2:
   *  i3: g .5   l .5    RSI 50
   *  i4: g .25  l .75   RSI 25 (entry)
   *  i5: g .125 l .875  RSI 12.5 (entry)
   *  i6: g .5625 l .4375 RSI 56.25
   *  i7: g 1.28125 l .21875 RSI 85.4 (exit)
   *  i8: g 1.140625 l .109375 RSI 91.25 (exit) */
  const double x[] = {10, 11, 12, 11, 10, 9, 10, 12, 13};
  series s;
  series_set(&s, x, NULL, NULL, 9);
  sigbuf b;
  sigbuf_init(&b, 9);
  const double p[] = {2, 30, 70};
  assert_int_equal(cq__rsi_reversion_signals(p, &s.c, &b.s, NULL), 0);
  expect_bars(b.entry, 9, (const size_t[]){4, 5}, 2, "rsi entry");
  expect_bars(b.exit, 9, (const size_t[]){2, 7, 8}, 3, "rsi exit");
  /* thresholds 20 / 90: only 12.5 is below, only 91.25 above */
  const double q[] = {2, 20, 90};
  sigbuf_init(&b, 9);
  assert_int_equal(cq__rsi_reversion_signals(q, &s.c, &b.s, NULL), 0);
  expect_bars(b.entry, 9, (const size_t[]){5}, 1, "rsi entry 20");
  expect_bars(b.exit, 9, (const size_t[]){2, 8}, 2, "rsi exit 90");
}

static void test_bbands_breakout(void **state) {
  (void)state;
  /* period 4, k 1 (population deviation):
   *  i3 [10 10 10 10]  mid 10   sd 0     upper 10     close 10: neither
   *  i4 [10 10 10 14]  mid 11   sd 1.732 upper 12.73  close 14: entry
   *  i5 [10 10 14 14]  mid 12   sd 2     upper 14     close 14: not above (a touch)
   *  i6 [10 14 14 14]  mid 13   sd 1.732 upper 14.73
   *  i7 [14 14 14 14]  mid 14   sd 0     upper 14     close 14: neither
   *  i8 [14 14 14 8]   mid 12.5                       close 8: exit */
  const double x[] = {10, 10, 10, 10, 14, 14, 14, 14, 8};
  series s;
  series_set(&s, x, NULL, NULL, 9);
  sigbuf b;
  sigbuf_init(&b, 9);
  const double p[] = {4, 1};
  assert_int_equal(cq__bbands_breakout_signals(p, &s.c, &b.s, NULL), 0);
  expect_bars(b.entry, 9, (const size_t[]){4}, 1, "bbands entry");
  expect_bars(b.exit, 9, (const size_t[]){8}, 1, "bbands exit");
}

static void test_macd(void **state) {
  (void)state;
  /* fast 2, slow 3, signal 2. From bar 2 the EMAs are seeded with SMAs (both 10):
   *  i      2   3   4      5       6       7
   *  close 10  10  16     16      16       4
   *  ema2  10  10  14     15.333  15.778   7.926
   *  ema3  10  10  13     14.5    15.25    9.625
   *  macd   0   0   1      .8333   .5278  -1.699
   *  sig    -   0   .6667  .7778   .6111  -.9290   (seeded with the mean of bars 2..3)
   * i4: 0 <= 0 then 1 > .667: entry. i6: .833 >= .778 then .528 < .611: exit. */
  const double x[] = {10, 10, 10, 10, 16, 16, 16, 4};
  series s;
  series_set(&s, x, NULL, NULL, 8);
  sigbuf b;
  sigbuf_init(&b, 8);
  const double p[] = {2, 3, 2};
  assert_int_equal(cq__macd_signals(p, &s.c, &b.s, NULL), 0);
  expect_bars(b.entry, 8, (const size_t[]){4}, 1, "macd entry");
  expect_bars(b.exit, 8, (const size_t[]){6}, 1, "macd exit");
}

static void test_donchian(void **state) {
  (void)state;
  /* entry 3, exit 2, atr 2, mult 1.
   *  i     0   1   2   3     4     5     6
   *  high 11  11  11  13    14    14    12.5
   *  low   9   9   9  10    12    12     9.5
   *  close 10 10  10  12.5  13.5  12.5   9.8
   * TR from bar 1: 2 2 3 2 ...; ATR(2) at 2 = (2 + 2) / 2 = 2, at 3 = (2 + 3) / 2 = 2.5,
   * at 4 = (2.5 + 2) / 2 = 2.25 (TR at 4: 14 - 12 = 2).
   * i3: 12.5 > max(high 0..2) = 11: entry, stop 12.5 - 2.5 = 10.
   * i4: 13.5 > max(high 1..3) = 13: entry, stop 13.5 - 2.25 = 11.25.
   * i5: 12.5 not above 14; not below min(low 3..4) = 10.
   * i6: 9.8 < min(low 4..5) = 12: exit. Bars 1, 2 have no channel of 3 bars before them. */
  const double h[] = {11, 11, 11, 13, 14, 14, 12.5};
  const double l[] = {9, 9, 9, 10, 12, 12, 9.5};
  const double x[] = {10, 10, 10, 12.5, 13.5, 12.5, 9.8};
  series s;
  series_set(&s, x, h, l, 7);
  sigbuf b;
  sigbuf_init(&b, 7);
  const double p[] = {3, 2, 2, 1};
  assert_int_equal(cq__donchian_signals(p, &s.c, &b.s, NULL), 0);
  expect_bars(b.entry, 7, (const size_t[]){3, 4}, 2, "donchian entry");
  expect_bars(b.exit, 7, (const size_t[]){6}, 1, "donchian exit");
  assert_true(b.stop[3] == 10.0);
  assert_true(b.stop[4] == 11.25);
  for (size_t i = 0; i < 7; i++) {
    if (i != 3 && i != 4) assert_true(isnan(b.stop[i]));
    assert_true(isnan(b.take[i]));
  }
  /* ATR(5) is first defined at bar 5: no entry while it is not */
  const double q[] = {3, 2, 5, 1};
  sigbuf_init(&b, 7);
  assert_int_equal(cq__donchian_signals(q, &s.c, &b.s, NULL), 0);
  expect_bars(b.entry, 7, NULL, 0, "donchian entry, ATR 5");
  expect_bars(b.exit, 7, (const size_t[]){6}, 1, "donchian exit, ATR 5");
  /* mult 10 puts the stop below zero: no stop */
  const double m[] = {3, 2, 2, 10};
  sigbuf_init(&b, 7);
  assert_int_equal(cq__donchian_signals(m, &s.c, &b.s, NULL), 0);
  expect_bars(b.entry, 7, (const size_t[]){3, 4}, 2, "donchian entry, mult 10");
  assert_true(isnan(b.stop[3]) && isnan(b.stop[4]));
}

static void test_short_series_and_bad_arrays(void **state) {
  (void)state;
  const double x[] = {10, 11, 12};
  series s;
  series_set(&s, x, NULL, NULL, 3);
  sigbuf b;
  /* fewer bars than the warm-up: nothing, and no error */
  sigbuf_init(&b, 3);
  const double p[] = {10, 30};
  assert_int_equal(cq__sma_cross_signals(p, &s.c, &b.s, NULL), 0);
  expect_bars(b.entry, 3, NULL, 0, "short entry");
  expect_bars(b.exit, 3, NULL, 0, "short exit");
  /* arrays shorter than the candles */
  sigbuf_init(&b, 2);
  cq_error e = {0};
  assert_int_equal(cq__macd_signals((const double[]){12, 26, 9}, &s.c, &b.s, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "macd"));
  assert_non_null(strstr(e.msg, "2 bars"));
  /* no exit array */
  sigbuf_init(&b, 3);
  b.s.exit = NULL;
  assert_int_equal(cq__rsi_reversion_signals((const double[]){14, 30, 70}, &s.c, &b.s, &e),
                   CQ_EINVAL);
}

/* Every declared parameter: default and range sane, step positive, whole numbers for INT. */
static void check_table(const char *who, const cq_param_def *p, int n) {
  for (int i = 0; i < n; i++) {
    if (!(p[i].min <= p[i].def && p[i].def <= p[i].max) || !(p[i].step > 0) || !p[i].help ||
        !p[i].name)
      fail_msg("%s: parameter %d (%s) is not sane", who, i, p[i].name ? p[i].name : "?");
    if (p[i].type == CQ_PARAM_INT &&
        (p[i].def != floor(p[i].def) || p[i].min != floor(p[i].min) || p[i].step != 1))
      fail_msg("%s: %s is INT but not whole", who, p[i].name);
    for (int j = 0; j < i; j++)
      if (strcmp(p[i].name, p[j].name) == 0) fail_msg("%s: %s declared twice", who, p[i].name);
  }
}

static void defaults_of(const cq_param_def *p, int n, double *v) {
  for (int i = 0; i < n; i++) v[i] = p[i].def;
}

static void test_param_tables(void **state) {
  (void)state;
  check_table("sma_cross", cq__sma_cross_params, CQ__SMA_CROSS_NPARAMS);
  check_table("ema_cross", cq__ema_cross_params, CQ__EMA_CROSS_NPARAMS);
  check_table("rsi_reversion", cq__rsi_reversion_params, CQ__RSI_REVERSION_NPARAMS);
  check_table("bbands_breakout", cq__bbands_breakout_params, CQ__BBANDS_BREAKOUT_NPARAMS);
  check_table("macd", cq__macd_params, CQ__MACD_NPARAMS);
  check_table("donchian", cq__donchian_params, CQ__DONCHIAN_NPARAMS);
  /* the defaults the task fixes */
  assert_true(cq__sma_cross_params[0].def == 10 && cq__sma_cross_params[1].def == 30);
  assert_true(cq__ema_cross_params[0].def == 12 && cq__ema_cross_params[1].def == 26);
  assert_true(cq__macd_params[2].def == 9);
  assert_true(cq__donchian_params[3].def == 2.0);
  double v[CQ_MAX_PARAMS];
  defaults_of(cq__sma_cross_params, CQ__SMA_CROSS_NPARAMS, v);
  assert_int_equal(cq__sma_cross_check(v, NULL), 0);
  defaults_of(cq__ema_cross_params, CQ__EMA_CROSS_NPARAMS, v);
  assert_int_equal(cq__ema_cross_check(v, NULL), 0);
  defaults_of(cq__macd_params, CQ__MACD_NPARAMS, v);
  assert_int_equal(cq__macd_check(v, NULL), 0);
}

static void test_fast_slow_rule(void **state) {
  (void)state;
  cq_error e = {0};
  assert_int_equal(cq__sma_cross_check((const double[]){30, 30}, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "sma_cross"));
  assert_non_null(strstr(e.msg, "fast (30) must be less than slow (30)"));
  assert_string_equal(e.field, "fast");
  assert_int_equal(cq__ema_cross_check((const double[]){40, 20}, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "ema_cross"));
  assert_int_equal(cq__macd_check((const double[]){26, 12, 9}, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "macd"));
  assert_int_equal(cq__sma_cross_check((const double[]){29, 30}, NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sma_cross),
      cmocka_unit_test(test_ema_cross),
      cmocka_unit_test(test_rsi_reversion),
      cmocka_unit_test(test_bbands_breakout),
      cmocka_unit_test(test_macd),
      cmocka_unit_test(test_donchian),
      cmocka_unit_test(test_short_series_and_bad_arrays),
      cmocka_unit_test(test_param_tables),
      cmocka_unit_test(test_fast_slow_rule),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
