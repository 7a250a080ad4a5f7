/* BOP, the balance of power: (close - open) / (high - low), 0 for a range below 1e-8 (TA-Lib's
 * TA_IS_ZERO_OR_NEG). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_bop;

static inline double bop_value(double o, double h, double l, double c) {
  double range = h - l;
  return range < 0.00000001 ? 0.0 : (c - o) / range;
}

static int bop_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)p;
  (void)err;
  const double *o = in->v[0], *h = in->v[1], *l = in->v[2], *c = in->v[3];
  double *r = out[0];
  for (size_t i = 0; i < in->n; i++) r[i] = bop_value(o[i], h[i], l[i], c[i]);
  return CQ_OK;
}
static int bop_init(void *st, const double *p, cq_error *err) {
  (void)st;
  (void)p;
  (void)err;
  return CQ_OK;
}
static void bop_update(void *st, cq_time t, const double *in, double *out) {
  (void)st;
  (void)t;
  out[0] = bop_value(in[0], in[1], in[2], in[3]);
}
static int bop_lookback(const double *p) {
  (void)p;
  return 0;
}

const cq_ta_def ta_def_bop = {
    .name = "bop",
    .title = "Balance Of Power",
    .group = "momentum",
    .n_inputs = 4,
    .inputs = {CQ_TA_OPEN, CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 0,
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = bop_lookback,
    .batch = bop_batch,
    .state_size = 0,
    .init = bop_init,
    .update = bop_update,
};

int cq_ta_bop_lookback(void) {
  return 0;
}
int cq_ta_bop(const double *open, const double *high, const double *low, const double *close,
              size_t n, double *out, cq_error *err) {
  cq_ta_in x = {.v = {open, high, low, close}, .n = n};
  return cq_ta_run(&ta_def_bop, NULL, &x, &out, err);
}
