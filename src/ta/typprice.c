/* Typical Price: (high + low + close) / 3; lookback 0. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_typprice;

static inline double typprice_of(double h, double l, double c) {
  return (h + l + c) / 3.0;
}

static int typprice_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)p;
  (void)err;
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = typprice_of(h[i], l[i], c[i]);
  return CQ_OK;
}
static int typprice_init(void *st, const double *p, cq_error *err) {
  (void)st;
  (void)p;
  (void)err;
  return CQ_OK;
}
static void typprice_update(void *st, cq_time t, const double *in, double *out) {
  (void)st;
  (void)t;
  out[0] = typprice_of(in[0], in[1], in[2]);
}
static int typprice_lookback(const double *p) {
  (void)p;
  return 0;
}

const cq_ta_def ta_def_typprice = {
    .name = "typprice",
    .title = "Typical Price",
    .group = "price",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = typprice_lookback,
    .batch = typprice_batch,
    .init = typprice_init,
    .update = typprice_update,
};

int cq_ta_typprice_lookback(void) {
  return 0;
}
int cq_ta_typprice(const double *high, const double *low, const double *close, size_t n,
                   double *out, cq_error *err) {
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  return cq_ta_run(&ta_def_typprice, NULL, &x, &out, err);
}
