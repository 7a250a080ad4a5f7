/* PPO, the percentage price oscillator: (MA(fast) - MA(slow)) / MA(slow) * 100, 0 for a slow
 * MA below 1e-8 in size (TA-Lib's INT_PO); shares APO's kernel (apo.c). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_ppo;

static int ppo_check(const double *p, cq_error *err) {
  return ta_po_check("ppo", p, err);
}
static int ppo_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  return ta_po_batch(in, p, out, 1, err);
}
static int ppo_init(void *st, const double *p, cq_error *err) {
  return ta_po_init(st, p, 1, err);
}

const cq_ta_def ta_def_ppo = {
    .name = "ppo",
    .title = "Percentage Price Oscillator",
    .group = "momentum",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 3,
    .params = TA_PO_PARAMS,
    .n_outputs = 1,
    .outputs = {"value"},
    .check = ppo_check,
    .lookback = ta_po_lookback,
    .batch = ppo_batch,
    .state_size = sizeof(ta_po_st),
    .init = ppo_init,
    .update = ta_po_update,
    .release = ta_po_release,
};

int cq_ta_ppo_lookback(int fastperiod, int slowperiod, int matype) {
  const double p[] = {fastperiod, slowperiod, matype};
  return ta_lookback_or_neg(&ta_def_ppo, p);
}
int cq_ta_ppo(const double *in, size_t n, int fastperiod, int slowperiod, int matype, double *out,
              cq_error *err) {
  const double p[] = {fastperiod, slowperiod, matype};
  return ta_call1(&ta_def_ppo, p, in, n, out, err);
}
