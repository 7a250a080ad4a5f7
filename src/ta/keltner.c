/* Keltner channels: the middle line is a moving average (EMA by default, seeded with the
 * mean of the first period values as TA-Lib's EMA; any cq_ta_matype) of the typical price
 * (high + low + close) / 3; the bands are middle +- multiplier x ATR(atr_period) (as ATR).
 * Lookback max(lookback of the average, atr_period). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_keltner;

typedef struct keltner_st {
  ta_ma ma;
  ta_atr_st atr;
  double mult;
  int lookback, seen; /* seen: bars so far, capped at the lookback */
} keltner_st;

static int keltner_lookback(const double *p) {
  int a = ta_ma_lookback((int)p[3], (int)p[0]), b = (int)p[1];
  return a > b ? a : b;
}

static int keltner_check(const double *p, cq_error *err) {
  int type = (int)p[3];
  if (ta_ma_lookback(type, (int)p[0]) >= 0) return CQ_OK;
  int rc = type == CQ_TA_MA_MAMA ? CQ_EUNSUPPORTED : CQ_EINVAL;
  cq_error_set(err, rc,
               "keltner: matype = %d is not available; valid: 0 SMA, 1 EMA, 2 WMA, 3 DEMA,"
               " 4 TEMA, 5 TRIMA, 6 KAMA, 8 T3",
               type);
  cq_error_field(err, "matype");
  return rc;
}

static void keltner_release(void *st) {
  ta_ma_release(&((keltner_st *)st)->ma);
}

static int keltner_init(void *st, const double *p, cq_error *err) {
  keltner_st *s = st;
  *s = (keltner_st){.mult = p[2], .lookback = keltner_lookback(p)};
  ta_atr_st_init(&s->atr, (int)p[1]);
  return ta_ma_init(&s->ma, (int)p[3], (int)p[0], err);
}

/* The bands around a middle value m at a bar whose ATR is atr. */
static inline void keltner_bands(double m, double atr, double mult, double *up, double *mid,
                                 double *dn) {
  double w = mult * atr;
  *up = m + w;
  *mid = m;
  *dn = m - w;
}

static void keltner_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  keltner_st *s = st;
  double m = ta_ma_update(&s->ma, (in[0] + in[1] + in[2]) / 3.0);
  double atr = ta_atr_st_update(&s->atr, in[0], in[1], in[2]);
  if (s->seen < s->lookback) {
    s->seen++;
    out[0] = out[1] = out[2] = NAN;
    return;
  }
  keltner_bands(m, atr, s->mult, &out[0], &out[1], &out[2]);
}

/* Batch: the average of the typical price into the middle output, the ATR into the lower
 * one, then the bands in place. */
static int keltner_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2];
  double *up = out[0], *mid = out[1], *dn = out[2];
  size_t n = in->n;
  for (size_t i = 0; i < n; i++) up[i] = (h[i] + l[i] + c[i]) / 3.0;
  int rc = ta_ma_batch((int)p[3], up, n, (int)p[0], mid, err);
  if (rc) return rc;
  ta_atr_kernel(h, l, c, n, (int)p[1], dn);
  size_t lb = (size_t)keltner_lookback(p);
  if (lb > n) lb = n;
  ta_nan(up, 0, lb);
  ta_nan(mid, 0, lb);
  ta_nan(dn, 0, lb);
  const double mult = p[2];
  for (size_t i = lb; i < n; i++) keltner_bands(mid[i], dn[i], mult, &up[i], &mid[i], &dn[i]);
  return CQ_OK;
}

const cq_ta_def ta_def_keltner = {
    .name = "keltner",
    .title = "Keltner Channels",
    .group = "crypto",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 4,
    .params =
        {{.name = "period",
          .help = "bars in the average of the typical price (middle line)",
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
         {.name = "multiplier", .help = "band distance in ATRs", .def = 2, .min = 0, .max = 1000},
         {.name = "matype",
          .help = "middle line: 0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA, 6 KAMA, 8 T3",
          .def = CQ_TA_MA_EMA,
          .min = 0,
          .max = 8,
          .integer = true}},
    .n_outputs = 3,
    .outputs = {"upper", "middle", "lower"},
    .check = keltner_check,
    .lookback = keltner_lookback,
    .batch = keltner_batch,
    .state_size = sizeof(keltner_st),
    .init = keltner_init,
    .update = keltner_update,
    .release = keltner_release,
};

int cq_ta_keltner_lookback(int period, int atr_period, double multiplier, int matype) {
  const double p[] = {period, atr_period, multiplier, matype};
  return ta_lookback_or_neg(&ta_def_keltner, p);
}
int cq_ta_keltner(const double *high, const double *low, const double *close, size_t n, int period,
                  int atr_period, double multiplier, int matype, double *upper, double *middle,
                  double *lower, cq_error *err) {
  const double p[] = {period, atr_period, multiplier, matype};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  double *o[] = {upper, middle, lower};
  return cq_ta_run(&ta_def_keltner, p, &x, o, err);
}
