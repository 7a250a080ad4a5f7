/* Average Price: (open + high + low + close) / 4, summed high, low, close, open as TA-Lib; lookback
 * 0. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_avgprice;

static inline double avgprice_of(double o, double h, double l, double c) {
  return (h + l + c + o) / 4;
}

static int avgprice_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)p;
  (void)err;
  const double *o0 = in->v[0], *h = in->v[1], *l = in->v[2], *c = in->v[3];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = avgprice_of(o0[i], h[i], l[i], c[i]);
  return CQ_OK;
}
static int avgprice_init(void *st, const double *p, cq_error *err) {
  (void)st;
  (void)p;
  (void)err;
  return CQ_OK;
}
static void avgprice_update(void *st, cq_time t, const double *in, double *out) {
  (void)st;
  (void)t;
  out[0] = avgprice_of(in[0], in[1], in[2], in[3]);
}
static int avgprice_lookback(const double *p) {
  (void)p;
  return 0;
}

const cq_ta_def ta_def_avgprice = {
    .name = "avgprice",
    .title = "Average Price",
    .group = "price",
    .n_inputs = 4,
    .inputs = {CQ_TA_OPEN, CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = avgprice_lookback,
    .batch = avgprice_batch,
    .init = avgprice_init,
    .update = avgprice_update,
};

int cq_ta_avgprice_lookback(void) {
  return 0;
}
int cq_ta_avgprice(const double *open, const double *high, const double *low, const double *close,
                   size_t n, double *out, cq_error *err) {
  cq_ta_in x = {.v = {open, high, low, close}, .n = n};
  return cq_ta_run(&ta_def_avgprice, NULL, &x, &out, err);
}
