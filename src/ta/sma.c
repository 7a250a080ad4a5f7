/* SMA, the simple moving average. */
#include "ta_internal.h"

static int sma_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  ta_sma_kernel(in->v[0], in->n, (int)p[0], out[0]);
  return CQ_OK;
}
static int sma_init(void *st, const double *p, cq_error *err) {
  return ta_sma_st_init(st, (int)p[0], err);
}
static void sma_release(void *st) {
  ta_sma_st_release(st);
}
static void sma_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = ta_sma_st_update(st, in[0]);
}

const cq_ta_def ta_def_sma = {
    .name = "sma",
    .title = "Simple Moving Average",
    .group = "overlap",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(30)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = sma_batch,
    .state_size = sizeof(ta_sma_st),
    .init = sma_init,
    .update = sma_update,
    .release = sma_release,
};

int cq_ta_sma_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_sma, p);
}
int cq_ta_sma(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_sma, p, in, n, out, err);
}
