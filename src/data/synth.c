/* Synthetic markets: seeded candles with volatility clustering, fat tails, gaps and an
 * intraday volume pattern (the model is described in cquant/data.h and docs/cli/data.md).
 *
 * Determinism: everything random comes from our own xoshiro256** stream, drawn in a fixed
 * order per bar, and the samplers use only + - * / sqrt log exp floor ceil round (no trig,
 * no pow, no rand()), so a seed gives the same candles on every platform. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cquant/core/rng.h"
#include "cquant/data.h"

/* GARCH(1,1) weights: persistence a + b = 0.98, a shock's effect on variance halves in
 * about 35 bars. */
#define GARCH_A 0.06
#define GARCH_B 0.92
/* Student-t degrees of freedom (4: fat tails, finite variance) and the factor that scales a
 * t variate to unit variance, sqrt((nu - 2) / nu) = sqrt(1/2). */
#define T_SCALE 0.70710678118654752440
/* Quote volume per minute of bar, on average, before the intraday and |return| factors. */
#define QUOTE_PER_MINUTE 30000.0
#define QUOTE_PER_TRADE 150.0
#define LOT_SCALE 1e5 /* volumes on 0.00001 */
#define DAYS_PER_YEAR 365.0

/* ---- random numbers --------------------------------------------------------------------- */

/* Student-t with 4 degrees of freedom at unit variance: N / sqrt(chi2_4 / 4), chi2_4 being
 * twice the sum of two standard exponentials. */
static double rng_t4(cq_rng *r) {
  double n = cq_rng_normal(r);
  double chi2 = -2.0 * (log(cq_rng_open01(r)) + log(cq_rng_open01(r)));
  return n / sqrt(chi2 / 4.0) * T_SCALE;
}

/* ---- options and venue rules ------------------------------------------------------------- */

void cq_synth_defaults(cq_synth_opts *o) {
  *o = (cq_synth_opts){.start = INT64_C(1704067200) * CQ_NS_PER_SEC, /* 2024-01-01 */
                       .tf = {.n = 1, .unit = CQ_TF_MINUTE},
                       .bars = 1440,
                       .price = 100.0,
                       .annual_vol = 0.6,
                       .drift = 0.0,
                       .gap_rate = 0.0005,
                       .seed = 1};
}

/* Decimal places of the tick for a start price. */
static unsigned tick_places(double price) {
  return price >= 100.0 ? 2 : price >= 1.0 ? 4 : price >= 0.01 ? 6 : 8;
}

cq_dec cq_synth_tick(double price) {
  unsigned k = tick_places(price);
  return CQ_DEC(1, k);
}

static int check_opts(const cq_synth_opts *o, cq_error *err) {
  const char *what = "synthetic market";
  if (o->bars < 1 || o->bars > CQ_SYNTH_MAX_BARS)
    return cq_error_set(err, CQ_EINVAL, "%s: bars must be 1..%d, not %zu", what, CQ_SYNTH_MAX_BARS,
                        o->bars);
  int64_t len = cq_timeframe_ns(o->tf);
  char tf[CQ_TF_STRMAX];
  cq_timeframe_format(o->tf, tf, sizeof tf);
  if (len <= 0 || len > CQ_NS_PER_WEEK)
    return cq_error_set(err, CQ_EINVAL, "%s: timeframe %s has no fixed length (use 1s..1w)", what,
                        tf);
  if (!cq_timeframe_is_aligned(o->tf, o->start))
    return cq_error_set(err, CQ_EINVAL, "%s: the start is not on the %s grid", what, tf);
  if (o->start > INT64_MAX - (int64_t)o->bars * len)
    return cq_error_set(err, CQ_EINVAL, "%s: %zu bars of %s run past the year 2262", what, o->bars,
                        tf);
  if (!(o->price >= 1e-6 && o->price <= 1e9))
    return cq_error_set(err, CQ_EINVAL, "%s: price must be 0.000001..1e9, not %g", what, o->price);
  if (!(o->annual_vol >= 0.0 && o->annual_vol <= 10.0))
    return cq_error_set(err, CQ_EINVAL, "%s: volatility must be 0..10 (0.6 = 60%%), not %g", what,
                        o->annual_vol);
  if (!(o->drift >= -10.0 && o->drift <= 10.0))
    return cq_error_set(err, CQ_EINVAL, "%s: drift must be -10..10, not %g", what, o->drift);
  if (!(o->gap_rate >= 0.0 && o->gap_rate <= 0.5))
    return cq_error_set(err, CQ_EINVAL, "%s: gap rate must be 0..0.5, not %g", what, o->gap_rate);
  return CQ_OK;
}

int cq_synth_instrument(const cq_synth_opts *o, const char *venue, const char *symbol,
                        cq_instrument *out, cq_error *err) {
  cq_instrument x;
  memset(&x, 0, sizeof x);
  int rc = cq_symbol_parse(symbol, x.base, x.quote, err);
  if (rc) return rc;
  if (!venue || !*venue || strlen(venue) >= sizeof x.venue)
    return cq_error_set(err, CQ_EINVAL, "synthetic instrument: a venue name of 1..%d characters",
                        (int)sizeof x.venue - 1);
  snprintf(x.venue, sizeof x.venue, "%s", venue);
  snprintf(x.symbol, sizeof x.symbol, "%s/%s", x.base, x.quote);
  snprintf(x.native, sizeof x.native, "%s%s", x.base, x.quote);
  x.tick = cq_synth_tick(o->price);
  x.lot = CQ_DEC(1, 5);
  x.min_qty = CQ_DEC(1, 5);
  x.min_notional = CQ_DEC(5, 0);
  x.status = CQ_INSTRUMENT_TRADING;
  *out = x;
  return CQ_OK;
}

/* ---- the generator ------------------------------------------------------------------------ */

typedef struct synth {
  cq_rng r;
  double scale;  /* 10^tick places: a price is round(p * scale) / scale */
  double v_long; /* long-run variance of one bar's log return */
  double omega;
  double mu;      /* drift per bar */
  double var;     /* this bar's GARCH variance */
  double x;       /* log of the last close, unrounded */
  double close;   /* last close, on the tick */
  double minutes; /* bar length */
  int64_t len;
  bool intraday;
} synth;

/* A price on the tick, rounded by `mode` (round, floor or ceil); never below one tick. A
 * value within a millionth of a tick of a tick is that tick, so that exp(log(p)) landing an
 * ulp off p does not make ceil or floor move a whole tick. */
static double on_tick(const synth *g, double p, double (*mode)(double)) {
  double t = p * g->scale, near = round(t);
  double ticks = fabs(t - near) < 1e-6 ? near : mode(t);
  return (ticks < 1.0 ? 1.0 : ticks) / g->scale;
}

/* Intraday volume factor: a parabola over the UTC day, 2.2 at midnight, 0.6 at noon. */
static double day_factor(const synth *g, cq_time open) {
  if (!g->intraday) return 1.0;
  int64_t in_day = open % CQ_NS_PER_DAY;
  if (in_day < 0) in_day += CQ_NS_PER_DAY;
  double u = ((double)in_day + 0.5 * (double)g->len) / (double)CQ_NS_PER_DAY;
  double w = 2.0 * u - 1.0;
  return 0.6 + 1.6 * w * w;
}

/* The excursion of a Brownian bridge from 0 to d with variance s2 above max(0, d), drawn
 * by inverting P(max >= m) = exp(-2 m (m - d) / s2). */
static double bridge_max(cq_rng *r, double d, double s2) {
  return 0.5 * (d + sqrt(d * d - 2.0 * s2 * log(cq_rng_open01(r))));
}

static void synth_init(synth *g, const cq_synth_opts *o) {
  cq_rng_seed(&g->r, o->seed);
  g->scale = 1.0;
  for (unsigned k = tick_places(o->price); k > 0; k--) g->scale *= 10.0;
  g->len = cq_timeframe_ns(o->tf);
  g->minutes = (double)g->len / (double)CQ_NS_PER_MIN;
  double years = (double)g->len / ((double)CQ_NS_PER_DAY * DAYS_PER_YEAR);
  g->v_long = o->annual_vol * o->annual_vol * years;
  g->omega = g->v_long * (1.0 - GARCH_A - GARCH_B);
  g->mu = o->drift * years;
  g->var = g->v_long;
  g->close = on_tick(g, o->price, round);
  g->x = log(g->close);
  g->intraday = g->len < CQ_NS_PER_DAY;
}

/* One bar: draws in a fixed order (gap, return, high, low, volume noise). */
static void synth_bar(synth *g, const cq_synth_opts *o, cq_time open_time, cq_candle *k) {
  double sd = sqrt(g->var);
  double x_open = g->x, open = g->close;
  if (cq_rng_open01(&g->r) < o->gap_rate) {
    double sign = cq_rng_open01(&g->r) < 0.5 ? -1.0 : 1.0;
    x_open += sign * sd * (4.0 + 8.0 * cq_rng_open01(&g->r));
    open = on_tick(g, exp(x_open), round);
  }
  double eps = sd * rng_t4(&g->r);
  double d = g->mu + eps;
  double x_close = x_open + d;
  double up = bridge_max(&g->r, d, g->var);
  double down = bridge_max(&g->r, -d, g->var);
  double close = on_tick(g, exp(x_close), round);
  double high = on_tick(g, exp(x_open + up), ceil);
  double low = on_tick(g, exp(x_open - down), floor);
  /* rounding can pull an extreme inside open or close by a tick at most: put it back */
  high = fmax(high, fmax(open, close));
  low = fmin(low, fmin(open, close));
  double shock = g->v_long > 0.0 ? fabs(eps) / sqrt(g->v_long) : 1.0;
  double noise = exp(0.3 * cq_rng_normal(&g->r) - 0.045); /* mean 1 */
  double mid = 0.25 * (open + high + low + close);
  double quote =
      QUOTE_PER_MINUTE * g->minutes * day_factor(g, open_time) * (0.4 + 0.6 * shock) * noise;
  double volume = round(quote / mid * LOT_SCALE) / LOT_SCALE;
  if (volume <= 0.0) volume = 1.0 / LOT_SCALE;
  *k = (cq_candle){.open_time = open_time,
                   .open = open,
                   .high = high,
                   .low = low,
                   .close = close,
                   .volume = volume,
                   .quote_volume = volume * mid,
                   .trades = 1 + (int64_t)(volume * mid / QUOTE_PER_TRADE),
                   .closed = true};
  /* the next bar: GARCH update on this bar's shock, state at the close */
  g->var = g->omega + GARCH_A * eps * eps + GARCH_B * g->var;
  g->x = x_close;
  g->close = close;
}

int cq_data_synth(const cq_synth_opts *o, cq_candles *out, cq_error *err) {
  int rc = check_opts(o, err);
  if (rc) return rc;
  size_t before = out->len;
  if ((rc = cq_candles_reserve(out, before + o->bars)))
    return cq_error_set(err, rc, "synthetic market of %zu bars: %s", o->bars, cq_strerror(rc));
  synth g;
  synth_init(&g, o);
  for (size_t i = 0; i < o->bars; i++) {
    cq_candle k;
    synth_bar(&g, o, o->start + (int64_t)i * g.len, &k);
    if ((rc = cq_candles_push(out, &k))) {
      out->len = before;
      return cq_error_set(err, rc, "synthetic market, bar %zu: %s", i, cq_strerror(rc));
    }
  }
  return CQ_OK;
}
