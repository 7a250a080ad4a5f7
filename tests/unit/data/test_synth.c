/* cq_data_synth: determinism, OHLC consistency, and the stylized facts the model promises,
 * measured on 100,000 one-minute bars: fat tails, volatility clustering, the intraday
 * volume pattern, the asked volatility and rare gaps. The bounds come from the model, not
 * from a run of it:
 *   - a Gaussian has kurtosis 3; Student-t(4) innovations have infinite kurtosis, GARCH adds
 *     more, so the sample value is well above 3;
 *   - |r| of independent returns has lag-1 autocorrelation 0 with a standard error of
 *     1/sqrt(n) = 0.003 at n = 1e5; GARCH with a + b = 0.98 makes it clearly positive;
 *   - the volume factor is 0.6 + 1.6 (2u - 1)^2 over the UTC day: about 2.0 in the hour
 *     before midnight, 0.6 around noon;
 *   - 0.6 annual volatility over 525,600 bars a year;
 *   - 1e5 bars x gap rate 0.0005 = 50 gaps expected (Poisson sd 7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/data.h"

enum { BIG = 100000 };

static void make(cq_candles *c, const cq_synth_opts *o) {
  cq_error e;
  cq_candles_init(c, 0);
  if (cq_data_synth(o, c, &e)) fail_msg("synth: %s", e.msg);
  assert_int_equal(c->len, o->bars);
}

static cq_synth_opts opts_big(uint64_t seed) {
  cq_synth_opts o;
  cq_synth_defaults(&o);
  o.bars = BIG;
  o.seed = seed;
  return o;
}

static bool same_columns(const cq_candles *a, const cq_candles *b) {
  size_t n = a->len;
  return a->len == b->len && !memcmp(a->open_time, b->open_time, n * sizeof(cq_time)) &&
         !memcmp(a->open, b->open, n * 8) && !memcmp(a->high, b->high, n * 8) &&
         !memcmp(a->low, b->low, n * 8) && !memcmp(a->close, b->close, n * 8) &&
         !memcmp(a->volume, b->volume, n * 8) && !memcmp(a->quote_volume, b->quote_volume, n * 8) &&
         !memcmp(a->trades, b->trades, n * 8);
}

static void test_deterministic(void **state) {
  (void)state;
  cq_synth_opts o;
  cq_synth_defaults(&o);
  o.bars = 5000;
  o.seed = 42;
  cq_candles a, b, c;
  make(&a, &o);
  make(&b, &o);
  assert_true(same_columns(&a, &b));
  o.seed = 43;
  make(&c, &o);
  assert_false(same_columns(&a, &c));
  /* not merely shifted: the closes differ on most bars */
  size_t differ = 0;
  for (size_t i = 0; i < c.len; i++) differ += a.close[i] != c.close[i];
  assert_true(differ > c.len / 2);
  cq_candles_release(&a);
  cq_candles_release(&b);
  cq_candles_release(&c);
}

/* p is a whole number of ticks of 10^-places */
static bool on_tick(double p, double scale) {
  double t = p * scale;
  return fabs(t - round(t)) < 1e-6 * fmax(1.0, t) && t >= 1.0;
}

static void test_ohlc_consistent(void **state) {
  (void)state;
  cq_synth_opts o = opts_big(7);
  cq_candles c;
  make(&c, &o);
  for (size_t i = 0; i < c.len; i++) {
    if (!(c.high[i] >= fmax(c.open[i], c.close[i]) && c.low[i] <= fmin(c.open[i], c.close[i]) &&
          c.low[i] > 0 && c.volume[i] > 0 && c.trades[i] >= 1 && c.closed[i]))
      fail_msg("bar %zu: o %g h %g l %g c %g v %g", i, c.open[i], c.high[i], c.low[i], c.close[i],
               c.volume[i]);
    if (!on_tick(c.open[i], 100) || !on_tick(c.high[i], 100) || !on_tick(c.low[i], 100) ||
        !on_tick(c.close[i], 100))
      fail_msg("bar %zu is off the 0.01 tick", i);
    /* quote volume is volume at a price inside the bar */
    double px = c.quote_volume[i] / c.volume[i];
    assert_true(px >= c.low[i] * (1 - 1e-12) && px <= c.high[i] * (1 + 1e-12));
    assert_int_equal(c.open_time[i], o.start + (int64_t)i * CQ_NS_PER_MIN);
  }
  assert_true(c.open[0] == 100.0);
  cq_candles_release(&c);
}

/* Log close-to-close returns, n - 1 of them. */
static double *returns(const cq_candles *c) {
  assert_true(c->len > 1);
  double *r = malloc((c->len > 1 ? c->len - 1 : 1) * sizeof *r);
  assert_non_null(r);
  for (size_t i = 1; i < c->len; i++) r[i - 1] = log(c->close[i] / c->close[i - 1]);
  return r;
}

static double mean(const double *x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += x[i];
  return s / (double)n;
}

static void test_fat_tails_and_clustering(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 3; seed++) {
    cq_synth_opts o = opts_big(seed);
    cq_candles c;
    make(&c, &o);
    size_t n = c.len - 1;
    double *r = returns(&c);
    double m = mean(r, n), m2 = 0, m4 = 0;
    for (size_t i = 0; i < n; i++) {
      double d = r[i] - m;
      m2 += d * d;
      m4 += d * d * d * d;
    }
    m2 /= (double)n;
    m4 /= (double)n;
    double kurt = m4 / (m2 * m2);
    if (!(kurt > 4.0)) fail_msg("seed %llu: kurtosis %g", (unsigned long long)seed, kurt);
    /* autocorrelation of |r| at lag 1 */
    for (size_t i = 0; i < n; i++) r[i] = fabs(r[i]);
    double a = mean(r, n), num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
      den += (r[i] - a) * (r[i] - a);
      if (i) num += (r[i] - a) * (r[i - 1] - a);
    }
    double acf = num / den;
    if (!(acf > 0.05)) fail_msg("seed %llu: lag-1 acf of |r| %g", (unsigned long long)seed, acf);
    /* annualized volatility: sd of 1m returns x sqrt(525600) */
    double vol = sqrt(m2 * 525600.0);
    if (!(vol > 0.4 && vol < 0.8))
      fail_msg("seed %llu: annualized vol %g, asked 0.6", (unsigned long long)seed, vol);
    free(r);
    cq_candles_release(&c);
  }
}

static void test_intraday_volume(void **state) {
  (void)state;
  cq_synth_opts o = opts_big(11);
  cq_candles c;
  make(&c, &o);
  double sum[24] = {0};
  size_t cnt[24] = {0};
  for (size_t i = 0; i < c.len; i++) {
    int h = (int)((c.open_time[i] % CQ_NS_PER_DAY) / CQ_NS_PER_HOUR);
    sum[h] += c.volume[i];
    cnt[h]++;
  }
  int busy = 0, quiet = 0;
  double avg[24];
  for (int h = 0; h < 24; h++) {
    assert_true(cnt[h] > 0);
    avg[h] = sum[h] / (double)cnt[h];
    if (avg[h] > avg[busy]) busy = h;
    if (avg[h] < avg[quiet]) quiet = h;
  }
  /* the factor is about 2.0 at the day's edges, 0.6 at noon: a ratio near 3 */
  assert_true(avg[busy] > 2.0 * avg[quiet]);
  assert_true(busy == 0 || busy == 23);
  assert_true(quiet == 11 || quiet == 12);
  cq_candles_release(&c);
}

/* Bars whose open is not the previous close. */
static size_t gaps(const cq_candles *c) {
  size_t g = 0;
  for (size_t i = 1; i < c->len; i++) g += c->open[i] != c->close[i - 1];
  return g;
}

static void test_gaps(void **state) {
  (void)state;
  cq_synth_opts o = opts_big(5);
  cq_candles c;
  make(&c, &o);
  size_t g = gaps(&c);
  if (!(g >= 20 && g <= 100)) fail_msg("%zu gaps in %d bars, expected about 50", g, BIG);
  cq_candles_release(&c);
  o.gap_rate = 0;
  o.bars = 20000;
  make(&c, &o);
  assert_int_equal(gaps(&c), 0);
  cq_candles_release(&c);
}

static void test_other_timeframes_and_prices(void **state) {
  (void)state;
  cq_error e;
  cq_synth_opts o;
  cq_synth_defaults(&o);
  assert_int_equal(cq_timeframe_parse("1d", &o.tf, &e), 0);
  o.bars = 3650;
  o.price = 0.5; /* tick 0.000001 */
  cq_candles c;
  make(&c, &o);
  for (size_t i = 0; i < c.len; i++) {
    assert_true(on_tick(c.close[i], 1e6));
    assert_true(c.high[i] >= fmax(c.open[i], c.close[i]));
    assert_true(c.low[i] <= fmin(c.open[i], c.close[i]));
  }
  /* daily returns: 0.6 / sqrt(365) a day */
  double *r = returns(&c);
  size_t n = c.len - 1;
  double m = mean(r, n), v = 0;
  for (size_t i = 0; i < n; i++) v += (r[i] - m) * (r[i] - m);
  double vol = sqrt(v / (double)n * 365.0);
  if (!(vol > 0.4 && vol < 0.8)) fail_msg("daily: annualized vol %g, asked 0.6", vol);
  free(r);
  cq_candles_release(&c);
  /* no volatility: a flat market at the start price */
  cq_synth_defaults(&o);
  o.annual_vol = 0;
  make(&c, &o);
  for (size_t i = 0; i < c.len; i++)
    assert_true(c.open[i] == 100 && c.high[i] == 100 && c.low[i] == 100 && c.close[i] == 100);
  cq_candles_release(&c);
}

static void test_bad_options(void **state) {
  (void)state;
  cq_error e;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_synth_opts o;
  cq_synth_defaults(&o);
  o.bars = 10;
  assert_int_equal(cq_data_synth(&o, &c, &e), 0);
  cq_synth_opts bad = o;
  bad.bars = 0;
  assert_int_equal(cq_data_synth(&bad, &c, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "bars must be"));
  bad = o;
  assert_int_equal(cq_timeframe_parse("1M", &bad.tf, &e), 0);
  assert_int_equal(cq_data_synth(&bad, &c, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "1M"));
  bad = o;
  bad.start += CQ_NS_PER_SEC;
  assert_int_equal(cq_data_synth(&bad, &c, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "grid"));
  bad = o;
  bad.price = -1;
  assert_int_equal(cq_data_synth(&bad, &c, &e), CQ_EINVAL);
  bad = o;
  bad.annual_vol = NAN;
  assert_int_equal(cq_data_synth(&bad, &c, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "volatility"));
  /* a row cap: nothing appended */
  cq_candles capped;
  cq_candles_init(&capped, 5);
  assert_int_not_equal(cq_data_synth(&o, &capped, &e), 0);
  assert_int_equal(capped.len, 0);
  cq_candles_release(&capped);
  assert_int_equal(c.len, 10); /* the failures above appended nothing */
  cq_candles_release(&c);
}

static void test_instrument(void **state) {
  (void)state;
  cq_error e;
  cq_synth_opts o;
  cq_synth_defaults(&o);
  cq_instrument x;
  assert_int_equal(cq_synth_instrument(&o, "synth", "syn/usdt", &x, &e), 0);
  assert_string_equal(x.venue, "synth");
  assert_string_equal(x.symbol, "SYN/USDT");
  assert_string_equal(x.native, "SYNUSDT");
  assert_true(cq_dec_eq(x.tick, CQ_DEC(1, 2)));
  assert_true(cq_dec_eq(x.lot, CQ_DEC(1, 5)));
  assert_true(cq_dec_eq(x.min_notional, CQ_DEC(5, 0)));
  o.price = 42000;
  assert_int_equal(cq_synth_instrument(&o, "synth", "BTC/USDT", &x, &e), 0);
  assert_true(cq_dec_eq(x.tick, CQ_DEC(1, 2)));
  o.price = 5;
  assert_int_equal(cq_synth_instrument(&o, "synth", "ABC/USDT", &x, &e), 0);
  assert_true(cq_dec_eq(x.tick, CQ_DEC(1, 4)));
  assert_true(cq_dec_eq(cq_synth_tick(0.05), CQ_DEC(1, 6)));
  assert_true(cq_dec_eq(cq_synth_tick(0.001), CQ_DEC(1, 8)));
  assert_int_equal(cq_synth_instrument(&o, "synth", "SYNUSDT", &x, &e), CQ_EPARSE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_ohlc_consistent),
      cmocka_unit_test(test_fat_tails_and_clustering),
      cmocka_unit_test(test_intraday_volume),
      cmocka_unit_test(test_gaps),
      cmocka_unit_test(test_other_timeframes_and_prices),
      cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_instrument),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
