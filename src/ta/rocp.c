/* Rate of Change Percentage. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_rocp;

static int rocp_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  return ta_lag_batch(TA_LAG_ROCP, in, p, out);
}
static int rocp_init(void *st, const double *p, cq_error *err) {
  return ta_lag_init(st, TA_LAG_ROCP, p, err);
}

const cq_ta_def ta_def_rocp = {
    .name = "rocp",
    .title = "Rate of Change Percentage",
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
    .batch = rocp_batch,
    .state_size = sizeof(ta_lag_st),
    .init = rocp_init,
    .update = ta_lag_update,
    .release = ta_lag_release,
};

int cq_ta_rocp_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_rocp, p);
}
int cq_ta_rocp(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_rocp, p, in, n, out, err);
}
