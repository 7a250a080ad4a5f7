/* RSI, the Relative Strength Index: Wilder's average gain and loss (ta_gl_st) seeded as TA-Lib. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_rsi;

static inline double rsi_value(double gain, double loss) {
  return ta_rsi_value(gain, loss);
}

void ta_rsi_kernel(const double *in, size_t n, int period, double *out) {
  ta_gl_st s;
  ta_gl_init(&s, period);
  size_t i = 0;
  for (; i < n && i < (size_t)period; i++) {
    ta_gl_update(&s, in[i]);
    out[i] = NAN;
  }
  if (i >= n) return;
  ta_gl_update(&s, in[i]);
  out[i++] = rsi_value(s.gain, s.loss);
  /* the same arithmetic as ta_gl_update past the seed, in registers */
  double prev = s.prev, gain = s.gain, loss = s.loss;
  const double pm1 = s.pm1, p = s.p;
  for (; i < n; i++) {
    double x = in[i], up, dn;
    ta_gl_split(x - prev, &up, &dn);
    prev = x;
    loss = (loss * pm1 - dn) / p;
    gain = (gain * pm1 + up) / p;
    out[i] = rsi_value(gain, loss);
  }
}

static int rsi_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  ta_rsi_kernel(in->v[0], in->n, (int)p[0], out[0]);
  return CQ_OK;
}
static int rsi_init(void *st, const double *p, cq_error *err) {
  (void)err;
  ta_gl_init(st, (int)p[0]);
  return CQ_OK;
}
static void rsi_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  ta_gl_st *s = st;
  out[0] = ta_gl_update(s, in[0]) ? rsi_value(s->gain, s->loss) : NAN;
}
static int rsi_lookback(const double *p) {
  return (int)p[0];
}

const cq_ta_def ta_def_rsi = {
    .name = "rsi",
    .title = "RSI, the Relative Strength Index",
    .group = "momentum",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = rsi_lookback,
    .batch = rsi_batch,
    .state_size = sizeof(ta_gl_st),
    .init = rsi_init,
    .update = rsi_update,
};

int cq_ta_rsi_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_rsi, p);
}
int cq_ta_rsi(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_rsi, p, in, n, out, err);
}
