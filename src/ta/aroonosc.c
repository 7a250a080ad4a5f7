/* AROONOSC, the Aroon oscillator: 100 / period * (bar of the highest high - bar of the lowest
 * low), TA-Lib's arithmetic (the Aroon core in aroon.c). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_aroonosc;

static inline double aroonosc_step(ta_aroon_st *s, double h, double l) {
  if (!ta_aroon_push(s, h, l)) return NAN;
  const double factor = 100.0 / s->period;
  return factor * (double)(s->hi_idx - s->lo_idx);
}

static int aroonosc_init(void *st, const double *p, cq_error *err) {
  return ta_aroon_init(st, (int)p[0], err);
}
static void aroonosc_release(void *st) {
  ta_aroon_release(st);
}
static void aroonosc_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = aroonosc_step(st, in[0], in[1]);
}
static int aroonosc_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  ta_aroon_st s;
  int rc = ta_aroon_init(&s, (int)p[0], err);
  if (rc) return rc;
  const double *h = in->v[0], *l = in->v[1];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = aroonosc_step(&s, h[i], l[i]);
  ta_aroon_release(&s);
  return CQ_OK;
}
static int aroonosc_lookback(const double *p) {
  return (int)p[0];
}

const cq_ta_def ta_def_aroonosc = {
    .name = "aroonosc",
    .title = "Aroon Oscillator",
    .group = "momentum",
    .n_inputs = 2,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW},
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = aroonosc_lookback,
    .batch = aroonosc_batch,
    .state_size = sizeof(ta_aroon_st),
    .init = aroonosc_init,
    .update = aroonosc_update,
    .release = aroonosc_release,
};

int cq_ta_aroonosc_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_aroonosc, p);
}
int cq_ta_aroonosc(const double *high, const double *low, size_t n, int period, double *out,
                   cq_error *err) {
  const double p[] = {period};
  cq_ta_in x = {.v = {high, low}, .n = n};
  return cq_ta_run(&ta_def_aroonosc, p, &x, &out, err);
}
