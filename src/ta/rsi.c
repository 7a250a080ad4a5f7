/* RSI, the Relative Strength Index: Wilder's average gain and loss (ta_gl_st) seeded as TA-Lib. */
#include <stddef.h>

#include "ta_internal.h"

extern const cq_ta_def ta_def_rsi;

static inline double rsi_value(double gain, double loss) {
  return ta_rsi_value(gain, loss);
}

static inline double gl_value(int cmo, double gain, double loss) {
  return cmo ? ta_cmo_value(gain, loss) : ta_rsi_value(gain, loss);
}

enum { GL_BLOCK = 256 }; /* bars a block (even: pairs never straddle blocks) */

/* The values of a block from the averages (in g and l), into out. A loop without a carried
 * dependency bound by its divisions, so on x86-64 it also comes in an AVX version picked at
 * load time (4 divisions an instruction instead of 2); every operation is correctly rounded in
 * either (AVX, not FMA), so the values are the same bits as the scalar streaming step's. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__)
__attribute__((target_clones("avx", "default")))
#endif
static void gl_values(int cmo, const double *g, const double *l, double *out, size_t n) {
  if (cmo)
    for (size_t j = 0; j < n; j++) out[j] = ta_cmo_value(g[j], l[j]);
  else
    for (size_t j = 0; j < n; j++) out[j] = ta_rsi_value(g[j], l[j]);
}

/* The arithmetic is explained at ta_gl_st (ta_internal.h): the seed through ta_gl_update,
 * then its pair steps over blocks of bars: the gains and losses of the block's changes (a
 * vectorised loop), the two chains over them, then the values (gl_values). */
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
  double cg = s.cg, cl = s.cl;
  double bg[GL_BLOCK], bl[GL_BLOCK];
  for (size_t i0 = i; i0 < n; i0 += GL_BLOCK) {
    const size_t len = n - i0 > GL_BLOCK ? GL_BLOCK : n - i0;
    const double *x = in + i0;
    for (size_t j = 0; j < len; j++) { /* ta_gl_up, ta_gl_dn as selects, vectorised */
      const double d = x[j] - x[(ptrdiff_t)j - 1];
      bg[j] = d < 0 ? 0.0 : d;
      bl[j] = d < 0 ? -d : 0.0;
    }
    size_t j = 0;
    for (; j + 1 < len; j += 2) {
      const double ga = bg[j], la = bl[j], gb = bg[j + 1], lb = bl[j + 1];
      bg[j] = cg * keep + ga * add;
      bl[j] = cl * keep + la * add;
      cg = cg * keep2 + (ga * kk + gb * add);
      cl = cl * keep2 + (la * kk + lb * add);
      bg[j + 1] = cg;
      bl[j + 1] = cl;
    }
    if (j < len) { /* the last bar, alone */
      bg[j] = cg * keep + bg[j] * add;
      bl[j] = cl * keep + bl[j] * add;
    }
    gl_values(cmo, bg, bl, out + i0, len);
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
