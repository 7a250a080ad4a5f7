/* WILLR, Williams' %R: (highest high - close) / ((highest - lowest) / -100) over the last
 * period bars, 0 for a flat window (as TA-Lib). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_willr;

static inline double willr_step(ta_hilo *m, double h, double l, double c) {
  double hh, ll;
  ta_hilo_push(m, h, l, &hh, &ll);
  if (isnan(hh)) return NAN;
  double diff = (hh - ll) / -100.0;
  return diff != 0.0 ? (hh - c) / diff : 0.0;
}

static int willr_init(void *st, const double *p, cq_error *err) {
  return ta_hilo_init(st, (int)p[0], err);
}
static void willr_release(void *st) {
  ta_hilo_release(st);
}
static void willr_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = willr_step(st, in[0], in[1], in[2]);
}
static int willr_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  ta_hilo m;
  int rc = ta_hilo_init(&m, (int)p[0], err);
  if (rc) return rc;
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = willr_step(&m, h[i], l[i], c[i]);
  ta_hilo_release(&m);
  return CQ_OK;
}

const cq_ta_def ta_def_willr = {
    .name = "willr",
    .title = "Williams' %R",
    .group = "momentum",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = willr_batch,
    .state_size = sizeof(ta_hilo),
    .init = willr_init,
    .update = willr_update,
    .release = willr_release,
};

int cq_ta_willr_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_willr, p);
}
int cq_ta_willr(const double *high, const double *low, const double *close, size_t n, int period,
                double *out, cq_error *err) {
  const double p[] = {period};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  return cq_ta_run(&ta_def_willr, p, &x, &out, err);
}
