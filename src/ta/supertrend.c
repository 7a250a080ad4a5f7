/* SuperTrend: bands hl2 +- multiplier x ATR(period) (TA-Lib's ATR), made final by the usual
 * recurrence, and a trend that flips when the close crosses the band it is following:
 *   upper = basic_upper < upper[-1] || close[-1] > upper[-1] ? basic_upper : upper[-1]
 *   lower = basic_lower > lower[-1] || close[-1] < lower[-1] ? basic_lower : lower[-1]
 *   down trend: turns up when close > upper; up trend: turns down when close < lower
 * value is lower in an up trend (direction +1) and upper in a down trend (direction -1).
 * At the first bar (the lookback, period) the final bands are the basic bands and the trend
 * is down, as TradingView's ta.supertrend starts. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_supertrend;

typedef struct supertrend_st {
  ta_atr_st atr;
  double mult, upper, lower, prev_close;
  int lookback, seen; /* seen: bars so far, capped at lookback + 1 */
  int dir;
} supertrend_st;

static int supertrend_init(void *st, const double *p, cq_error *err) {
  (void)err;
  supertrend_st *s = st;
  *s = (supertrend_st){.mult = p[1], .lookback = (int)p[0], .dir = -1};
  ta_atr_st_init(&s->atr, (int)p[0]);
  return CQ_OK;
}

static inline void supertrend_step(supertrend_st *s, double h, double l, double c, double *value,
                                   double *direction) {
  double atr = ta_atr_st_update(&s->atr, h, l, c);
  if (s->seen < s->lookback) {
    s->seen++;
    s->prev_close = c;
    *value = *direction = NAN;
    return;
  }
  double mid = (h + l) / 2.0;
  double w = s->mult * atr;
  double bu = mid + w, bl = mid - w;
  if (s->seen == s->lookback) {
    s->seen++;
    s->upper = bu;
    s->lower = bl;
    s->dir = -1;
  } else {
    double pu = s->upper, pl = s->lower, pc = s->prev_close;
    s->upper = bu < pu || pc > pu ? bu : pu;
    s->lower = bl > pl || pc < pl ? bl : pl;
    if (s->dir < 0)
      s->dir = c > s->upper ? 1 : -1;
    else
      s->dir = c < s->lower ? -1 : 1;
  }
  s->prev_close = c;
  *value = s->dir > 0 ? s->lower : s->upper;
  *direction = s->dir;
}
static void supertrend_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  supertrend_step(st, in[0], in[1], in[2], &out[0], &out[1]);
}
static int supertrend_batch(const cq_ta_in *in, const double *p, double *const *out,
                            cq_error *err) {
  supertrend_st s;
  supertrend_init(&s, p, err);
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2];
  double *v = out[0], *d = out[1];
  for (size_t i = 0; i < in->n; i++) supertrend_step(&s, h[i], l[i], c[i], &v[i], &d[i]);
  return CQ_OK;
}
static int supertrend_lookback(const double *p) {
  return (int)p[0];
}

const cq_ta_def ta_def_supertrend = {
    .name = "supertrend",
    .title = "SuperTrend",
    .group = "crypto",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 2,
    .params =
        {{.name = "period",
          .help = "bars in the ATR",
          .def = 10,
          .min = 1,
          .max = 100000,
          .integer = true},
         {.name = "multiplier", .help = "band distance in ATRs", .def = 3, .min = 0, .max = 1000}},
    .n_outputs = 2,
    .outputs = {"value", "direction"},
    .lookback = supertrend_lookback,
    .batch = supertrend_batch,
    .state_size = sizeof(supertrend_st),
    .init = supertrend_init,
    .update = supertrend_update,
};

int cq_ta_supertrend_lookback(int period, double multiplier) {
  const double p[] = {period, multiplier};
  return ta_lookback_or_neg(&ta_def_supertrend, p);
}
int cq_ta_supertrend(const double *high, const double *low, const double *close, size_t n,
                     int period, double multiplier, double *value, double *direction,
                     cq_error *err) {
  const double p[] = {period, multiplier};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  double *o[] = {value, direction};
  return cq_ta_run(&ta_def_supertrend, p, &x, o, err);
}
