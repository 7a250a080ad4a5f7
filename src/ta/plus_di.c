/* Plus Directional Indicator (Wilder), seeded as TA-Lib: +DM, -DM and TR of bars 1..period-1
 * summed, then smoothed as x - x / period + today's value from bar period on (ta_di_update in
 * ta_internal.h). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_plus_di;

static int plus_di_init(void *st, const double *p, cq_error *err) {
  (void)err;
  ta_dm_init(st, (int)p[0]);
  return CQ_OK;
}
static void plus_di_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = ta_di_update(st, in[0], in[1], in[2], 1);
}
static int plus_di_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  ta_dm_st s;
  ta_dm_init(&s, (int)p[0]);
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = ta_di_update(&s, h[i], l[i], c[i], 1);
  return CQ_OK;
}
static int plus_di_lookback(const double *p) {
  return (int)p[0];
}

const cq_ta_def ta_def_plus_di = {
    .name = "plus_di",
    .title = "Plus Directional Indicator",
    .group = "momentum",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 1,
    .params = {{.name = "period",
                .help = "bars in the Wilder smoothing",
                .def = 14,
                .min = 1,
                .max = 100000,
                .integer = true}},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = plus_di_lookback,
    .batch = plus_di_batch,
    .state_size = sizeof(ta_dm_st),
    .init = plus_di_init,
    .update = plus_di_update,
};

int cq_ta_plus_di_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_plus_di, p);
}
int cq_ta_plus_di(const double *high, const double *low, const double *close, size_t n, int period,
                  double *out, cq_error *err) {
  const double p[] = {period};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  return cq_ta_run(&ta_def_plus_di, p, &x, &out, err);
}
