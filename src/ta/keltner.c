/* Keltner channels: the middle line is the EMA (period, seeded with the mean of the first
 * period values as TA-Lib's EMA) of the typical price (high + low + close) / 3; the bands
 * are middle +- multiplier x ATR(atr_period) (TA-Lib's ATR). Lookback
 * max(period - 1, atr_period). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_keltner;

typedef struct keltner_st {
  ta_ema_st ema;
  ta_atr_st atr;
  double mult;
  int lookback, seen; /* seen: bars so far, capped at the lookback */
} keltner_st;

static int keltner_lookback(const double *p) {
  int a = (int)p[0] - 1, b = (int)p[1];
  return a > b ? a : b;
}

static int keltner_init(void *st, const double *p, cq_error *err) {
  (void)err;
  keltner_st *s = st;
  *s = (keltner_st){.mult = p[2], .lookback = keltner_lookback(p)};
  ta_ema_st_init(&s->ema, (int)p[0], ta_ema_k((int)p[0]));
  ta_atr_st_init(&s->atr, (int)p[1]);
  return CQ_OK;
}

static inline void keltner_step(keltner_st *s, double h, double l, double c, double *up,
                                double *mid, double *dn) {
  double m = ta_ema_st_update(&s->ema, (h + l + c) / 3.0);
  double atr = ta_atr_st_update(&s->atr, h, l, c);
  if (s->seen < s->lookback) {
    s->seen++;
    *up = *mid = *dn = NAN;
    return;
  }
  double w = s->mult * atr;
  *up = m + w;
  *mid = m;
  *dn = m - w;
}
static void keltner_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  keltner_step(st, in[0], in[1], in[2], &out[0], &out[1], &out[2]);
}
static int keltner_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  keltner_st s;
  keltner_init(&s, p, err);
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2];
  double *up = out[0], *mid = out[1], *dn = out[2];
  for (size_t i = 0; i < in->n; i++) keltner_step(&s, h[i], l[i], c[i], &up[i], &mid[i], &dn[i]);
  return CQ_OK;
}

const cq_ta_def ta_def_keltner = {
    .name = "keltner",
    .title = "Keltner Channels",
    .group = "crypto",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 3,
    .params =
        {{.name = "period",
          .help = "bars in the EMA of the typical price (middle line)",
          .def = 20,
          .min = 2,
          .max = 100000,
          .integer = true},
         {.name = "atr_period",
          .help = "bars in the ATR",
          .def = 10,
          .min = 1,
          .max = 100000,
          .integer = true},
         {.name = "multiplier", .help = "band distance in ATRs", .def = 2, .min = 0, .max = 1000}},
    .n_outputs = 3,
    .outputs = {"upper", "middle", "lower"},
    .lookback = keltner_lookback,
    .batch = keltner_batch,
    .state_size = sizeof(keltner_st),
    .init = keltner_init,
    .update = keltner_update,
};

int cq_ta_keltner_lookback(int period, int atr_period, double multiplier) {
  const double p[] = {period, atr_period, multiplier};
  return ta_lookback_or_neg(&ta_def_keltner, p);
}
int cq_ta_keltner(const double *high, const double *low, const double *close, size_t n, int period,
                  int atr_period, double multiplier, double *upper, double *middle, double *lower,
                  cq_error *err) {
  const double p[] = {period, atr_period, multiplier};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  double *o[] = {upper, middle, lower};
  return cq_ta_run(&ta_def_keltner, p, &x, o, err);
}
