/* RSI, the Relative Strength Index: Wilder's average gain and loss (ta_gl_st) seeded as TA-Lib. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_rsi;

static inline double rsi_value(double gain, double loss) {
  return ta_rsi_value(gain, loss);
}

static inline double gl_value(int cmo, double gain, double loss) {
  return cmo ? ta_cmo_value(gain, loss) : ta_rsi_value(gain, loss);
}

/* The arithmetic is explained at ta_gl_st (ta_internal.h): the seed through ta_gl_update,
 * then its pair steps over the arrays. */
static inline void gl_kernel(const double *in, size_t n, int period, const int cmo, double *out) {
  ta_gl_st s;
  ta_gl_init(&s, period);
  size_t i = 0;
  for (; i < n && i < (size_t)period; i++) {
    ta_gl_update(&s, in[i]);
    out[i] = NAN;
  }
  if (i >= n) return;
  ta_gl_update(&s, in[i]);
  out[i] = gl_value(cmo, s.gain, s.loss);
  i++;
  const double keep = s.keep, add = s.add, keep2 = s.keep2, kk = s.kk;
  double cg = s.cg, cl = s.cl, prev = s.prev;
  for (; i + 1 < n; i += 2) {
    const double a = in[i], b = in[i + 1];
    const double da = a - prev, db = b - a;
    prev = b;
    const double ga = ta_gl_up(da), la = ta_gl_dn(da), gb = ta_gl_up(db), lb = ta_gl_dn(db);
    const double g1 = cg * keep + ga * add, l1 = cl * keep + la * add;
    cg = cg * keep2 + (ga * kk + gb * add);
    cl = cl * keep2 + (la * kk + lb * add);
    out[i] = gl_value(cmo, g1, l1);
    out[i + 1] = gl_value(cmo, cg, cl);
  }
  if (i < n) {
    const double d = in[i] - prev;
    out[i] = gl_value(cmo, cg * keep + ta_gl_up(d) * add, cl * keep + ta_gl_dn(d) * add);
  }
}

void ta_gl_kernel(const double *in, size_t n, int period, int cmo, double *out) {
  if (cmo)
    gl_kernel(in, n, period, 1, out);
  else
    gl_kernel(in, n, period, 0, out);
}

void ta_rsi_kernel(const double *in, size_t n, int period, double *out) {
  gl_kernel(in, n, period, 0, out);
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
