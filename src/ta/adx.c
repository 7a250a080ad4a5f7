/* ADX, the average directional index (ta_adx_st in ta_internal.h): the mean of the first
 * period DX, then Wilder's smoothing, as TA-Lib. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_adx;

static int adx_init(void *st, const double *p, cq_error *err) {
  (void)err;
  ta_adx_init(st, (int)p[0]);
  return CQ_OK;
}
static void adx_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = ta_adx_update(st, in[0], in[1], in[2]);
}
static int adx_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  ta_adx_st s;
  ta_adx_init(&s, (int)p[0]);
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = ta_adx_update(&s, h[i], l[i], c[i]);
  return CQ_OK;
}
static int adx_lookback(const double *p) {
  return 2 * (int)p[0] - 1;
}

const cq_ta_def ta_def_adx = {
    .name = "adx",
    .title = "Average Directional Movement Index",
    .group = "momentum",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = adx_lookback,
    .batch = adx_batch,
    .state_size = sizeof(ta_adx_st),
    .init = adx_init,
    .update = adx_update,
};

int cq_ta_adx_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_adx, p);
}
int cq_ta_adx(const double *high, const double *low, const double *close, size_t n, int period,
              double *out, cq_error *err) {
  const double p[] = {period};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  return cq_ta_run(&ta_def_adx, p, &x, &out, err);
}
