/* TSF, time series forecast: the least-squares line over the period one bar past the newest (the
 * LINEARREG family's fit, linearreg.c). */
#include "ta_internal.h"

static int tsf_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  return ta_linreg_batch(TA_LR_TSF, in, p, out, err);
}
static int tsf_init(void *st, const double *p, cq_error *err) {
  return ta_linreg_st_init(st, TA_LR_TSF, (int)p[0], err);
}

const cq_ta_def ta_def_tsf = {
    .name = "tsf",
    .title = "Time Series Forecast",
    .group = "statistic",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = tsf_batch,
    .state_size = sizeof(ta_linreg_st),
    .init = tsf_init,
    .update = ta_linreg_update,
    .release = ta_linreg_release,
};

int cq_ta_tsf_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_tsf, p);
}
int cq_ta_tsf(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_tsf, p, in, n, out, err);
}
