/* Median Price: (high + low) / 2; lookback 0. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_medprice;

static inline double medprice_of(double h, double l) {
  return (h + l) / 2.0;
}

static int medprice_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)p;
  (void)err;
  const double *h = in->v[0], *l = in->v[1];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = medprice_of(h[i], l[i]);
  return CQ_OK;
}
static int medprice_init(void *st, const double *p, cq_error *err) {
  (void)st;
  (void)p;
  (void)err;
  return CQ_OK;
}
static void medprice_update(void *st, cq_time t, const double *in, double *out) {
  (void)st;
  (void)t;
  out[0] = medprice_of(in[0], in[1]);
}
static int medprice_lookback(const double *p) {
  (void)p;
  return 0;
}

const cq_ta_def ta_def_medprice = {
    .name = "medprice",
    .title = "Median Price",
    .group = "price",
    .n_inputs = 2,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = medprice_lookback,
    .batch = medprice_batch,
    .init = medprice_init,
    .update = medprice_update,
};

int cq_ta_medprice_lookback(void) {
  return 0;
}
int cq_ta_medprice(const double *high, const double *low, size_t n, double *out, cq_error *err) {
  cq_ta_in x = {.v = {high, low}, .n = n};
  return cq_ta_run(&ta_def_medprice, NULL, &x, &out, err);
}
