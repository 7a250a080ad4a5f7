/* STOCHF, the fast stochastic: raw %K and its MA %D (the stochastic core in stoch.c). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_stochf;

static int stochf_check(const double *p, cq_error *err) {
  return ta_check_matype("stochf", "fastd_matype", p[2], err);
}
static int stochf_lookback(const double *p) {
  return ta_stoch_lookback((int)p[0], (int)p[1], (int)p[2], 0, 0);
}
static int stochf_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  return ta_stoch_batch(in->v[0], in->v[1], in->v[2], in->n, (int)p[0], (int)p[1], (int)p[2], 0, 0,
                        out[0], out[1], err);
}
static int stochf_init(void *st, const double *p, cq_error *err) {
  return ta_stoch_init(st, (int)p[0], (int)p[1], (int)p[2], 0, 0, err);
}
static void stochf_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  ta_stoch_update(st, in[0], in[1], in[2], &out[0], &out[1]);
}
static void stochf_release(void *st) {
  ta_stoch_release(st);
}

const cq_ta_def ta_def_stochf = {
    .name = "stochf",
    .title = "Stochastic Fast",
    .group = "momentum",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 3,
    .params = {TA_STOCH_P("fastk_period", 5, "bars in the %K window"),
               TA_STOCH_P("fastd_period", 3, "bars in the %D MA"), TA_MATYPE("fastd_matype")},
    .n_outputs = 2,
    .outputs = {"fastk", "fastd"},
    .check = stochf_check,
    .lookback = stochf_lookback,
    .batch = stochf_batch,
    .state_size = sizeof(ta_stoch_st),
    .init = stochf_init,
    .update = stochf_update,
    .release = stochf_release,
};

int cq_ta_stochf_lookback(int fastk_period, int fastd_period, int fastd_matype) {
  const double p[] = {fastk_period, fastd_period, fastd_matype};
  return ta_lookback_or_neg(&ta_def_stochf, p);
}
int cq_ta_stochf(const double *high, const double *low, const double *close, size_t n,
                 int fastk_period, int fastd_period, int fastd_matype, double *fastk, double *fastd,
                 cq_error *err) {
  const double p[] = {fastk_period, fastd_period, fastd_matype};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  double *o[] = {fastk, fastd};
  return cq_ta_run(&ta_def_stochf, p, &x, o, err);
}
