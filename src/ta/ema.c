/* EMA, the exponential moving average. */
#include "ta_internal.h"

static int ema_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  ta_ema_kernel(in->v[0], in->n, (int)p[0], ta_ema_k((int)p[0]), out[0]);
  return CQ_OK;
}
static int ema_init(void *st, const double *p, cq_error *err) {
  (void)err;
  return ta_ema_st_init(st, (int)p[0], ta_ema_k((int)p[0]));
}
static void ema_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = ta_ema_st_update(st, in[0]);
}

const cq_ta_def ta_def_ema = {
    .name = "ema",
    .title = "Exponential Moving Average",
    .group = "overlap",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(30)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = ema_batch,
    .state_size = sizeof(ta_ema_st),
    .init = ema_init,
    .update = ema_update,
};

int cq_ta_ema_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_ema, p);
}
int cq_ta_ema(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_ema, p, in, n, out, err);
}
