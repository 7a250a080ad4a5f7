/* CMO, the Chande Momentum Oscillator: Wilder's average gain and loss (ta_gl_st) seeded as TA-Lib.
 */
#include "ta_internal.h"

extern const cq_ta_def ta_def_cmo;

static inline double cmo_value(double gain, double loss) {
  return ta_cmo_value(gain, loss);
}

static void ta_cmo_kernel(const double *in, size_t n, int period, double *out) {
  ta_gl_kernel(in, n, period, 1, out);
}

static int cmo_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  ta_cmo_kernel(in->v[0], in->n, (int)p[0], out[0]);
  return CQ_OK;
}
static int cmo_init(void *st, const double *p, cq_error *err) {
  (void)err;
  ta_gl_init(st, (int)p[0]);
  return CQ_OK;
}
static void cmo_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  ta_gl_st *s = st;
  out[0] = ta_gl_update(s, in[0]) ? cmo_value(s->gain, s->loss) : NAN;
}
static int cmo_lookback(const double *p) {
  return (int)p[0];
}

const cq_ta_def ta_def_cmo = {
    .name = "cmo",
    .title = "CMO, the Chande Momentum Oscillator",
    .group = "momentum",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = cmo_lookback,
    .batch = cmo_batch,
    .state_size = sizeof(ta_gl_st),
    .init = cmo_init,
    .update = cmo_update,
};

int cq_ta_cmo_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_cmo, p);
}
int cq_ta_cmo(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_cmo, p, in, n, out, err);
}
