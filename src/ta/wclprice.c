/* Weighted Close Price: (high + low + close * 2) / 4; lookback 0. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_wclprice;

static inline double wclprice_of(double h, double l, double c) {
  return (h + l + (c * 2.0)) / 4.0;
}

static int wclprice_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)p;
  (void)err;
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = wclprice_of(h[i], l[i], c[i]);
  return CQ_OK;
}
static int wclprice_init(void *st, const double *p, cq_error *err) {
  (void)st;
  (void)p;
  (void)err;
  return CQ_OK;
}
static void wclprice_update(void *st, cq_time t, const double *in, double *out) {
  (void)st;
  (void)t;
  out[0] = wclprice_of(in[0], in[1], in[2]);
}
static int wclprice_lookback(const double *p) {
  (void)p;
  return 0;
}

const cq_ta_def ta_def_wclprice = {
    .name = "wclprice",
    .title = "Weighted Close Price",
    .group = "price",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = wclprice_lookback,
    .batch = wclprice_batch,
    .init = wclprice_init,
    .update = wclprice_update,
};

int cq_ta_wclprice_lookback(void) {
  return 0;
}
int cq_ta_wclprice(const double *high, const double *low, const double *close, size_t n,
                   double *out, cq_error *err) {
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  return cq_ta_run(&ta_def_wclprice, NULL, &x, &out, err);
}
