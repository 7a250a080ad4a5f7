/* ADXR, the ADX rating: (ADX + the ADX period - 1 bars earlier) / 2 (ta_adx_st), as TA-Lib. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_adxr;

typedef struct adxr_st {
  ta_adx_st adx;
  ta_ring past; /* the last period - 1 ADX values */
} adxr_st;

static int adxr_init(void *st, const double *p, cq_error *err) {
  adxr_st *s = st;
  ta_adx_init(&s->adx, (int)p[0]);
  return ta_ring_init(&s->past, (int)p[0] - 1, err);
}
static void adxr_release(void *st) {
  adxr_st *s = st;
  ta_ring_release(&s->past);
}
static inline double adxr_step(adxr_st *s, double h, double l, double c) {
  double a = ta_adx_update(&s->adx, h, l, c), old;
  if (s->adx.n < s->adx.dm.period) return NAN; /* no ADX yet */
  return ta_lag_push(&s->past, a, &old) ? (a + old) / 2.0 : NAN;
}
static void adxr_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = adxr_step(st, in[0], in[1], in[2]);
}
static int adxr_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  adxr_st s;
  int rc = adxr_init(&s, p, err);
  if (rc) return rc;
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = adxr_step(&s, h[i], l[i], c[i]);
  adxr_release(&s);
  return CQ_OK;
}
static int adxr_lookback(const double *p) {
  return 3 * (int)p[0] - 2;
}

const cq_ta_def ta_def_adxr = {
    .name = "adxr",
    .title = "Average Directional Movement Index Rating",
    .group = "momentum",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = adxr_lookback,
    .batch = adxr_batch,
    .state_size = sizeof(adxr_st),
    .init = adxr_init,
    .update = adxr_update,
    .release = adxr_release,
};

int cq_ta_adxr_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_adxr, p);
}
int cq_ta_adxr(const double *high, const double *low, const double *close, size_t n, int period,
               double *out, cq_error *err) {
  const double p[] = {period};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  return cq_ta_run(&ta_def_adxr, p, &x, &out, err);
}
