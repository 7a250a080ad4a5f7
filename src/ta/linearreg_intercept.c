/* LINEARREG_INTERCEPT, the least-squares line over the period at its oldest bar (the LINEARREG
 * family's fit, linearreg.c). */
#include "ta_internal.h"

static int linearreg_intercept_batch(const cq_ta_in *in, const double *p, double *const *out,
                                     cq_error *err) {
  return ta_linreg_batch(TA_LR_INTERCEPT, in, p, out, err);
}
static int linearreg_intercept_init(void *st, const double *p, cq_error *err) {
  return ta_linreg_st_init(st, TA_LR_INTERCEPT, (int)p[0], err);
}

const cq_ta_def ta_def_linearreg_intercept = {
    .name = "linearreg_intercept",
    .title = "Linear Regression Intercept",
    .group = "statistic",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = linearreg_intercept_batch,
    .state_size = sizeof(ta_linreg_st),
    .init = linearreg_intercept_init,
    .update = ta_linreg_update,
    .release = ta_linreg_release,
};

int cq_ta_linearreg_intercept_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_linearreg_intercept, p);
}
int cq_ta_linearreg_intercept(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_linearreg_intercept, p, in, n, out, err);
}
