/* Rate of Change. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_roc;

static int roc_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  return ta_lag_batch(TA_LAG_ROC, in, p, out);
}
static int roc_init(void *st, const double *p, cq_error *err) {
  return ta_lag_init(st, TA_LAG_ROC, p, err);
}

const cq_ta_def ta_def_roc = {
    .name = "roc",
    .title = "Rate of Change",
    .group = "momentum",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {{.name = "period",
                .help = "bars back",
                .def = 10,
                .min = 1,
                .max = 100000,
                .integer = true}},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lag_lookback,
    .batch = roc_batch,
    .state_size = sizeof(ta_lag_st),
    .init = roc_init,
    .update = ta_lag_update,
    .release = ta_lag_release,
};

int cq_ta_roc_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_roc, p);
}
int cq_ta_roc(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_roc, p, in, n, out, err);
}
