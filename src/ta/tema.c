/* TEMA, the triple exponential moving average: 3 * EMA - 3 * EMA(EMA) + EMA(EMA(EMA)). */
#include "ta_internal.h"

static int tema_lookback(const double *p) {
  return 3 * ((int)p[0] - 1);
}
static int tema_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  ta_xema_kernel(3, in->v[0], in->n, (int)p[0], out[0]);
  return CQ_OK;
}
static int tema_init(void *st, const double *p, cq_error *err) {
  (void)err;
  ta_xema_init(st, 3, (int)p[0]);
  return CQ_OK;
}

const cq_ta_def ta_def_tema = {
    .name = "tema",
    .title = "Triple Exponential Moving Average",
    .group = "overlap",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(30)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = tema_lookback,
    .batch = tema_batch,
    .state_size = sizeof(ta_xema_st),
    .init = tema_init,
    .update = ta_xema_update,
};

int cq_ta_tema_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_tema, p);
}
int cq_ta_tema(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_tema, p, in, n, out, err);
}
