/* STOCHRSI: the fast stochastic (stoch.c) of RSI (rsi.c), the RSI as high, low and close. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_stochrsi;

typedef struct stochrsi_st {
  ta_gl_st rsi;
  ta_stoch_st k;
} stochrsi_st;

static int stochrsi_check(const double *p, cq_error *err) {
  return ta_check_matype("stochrsi", "fastd_matype", p[3], err);
}
static int stochrsi_lookback(const double *p) {
  int lb = ta_stoch_lookback((int)p[1], (int)p[2], (int)p[3], 0, 0);
  return lb < 0 ? -1 : (int)p[0] + lb;
}
static int stochrsi_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  /* the RSI in fastd, whose values the core reads (into fastk, its raw %K) before it writes
   * fastd (the MA of fastk): no scratch array */
  const size_t n = in->n, a = (size_t)p[0];
  double *rsi = out[1];
  ta_rsi_kernel(in->v[0], n, (int)p[0], rsi);
  if (a < n) {
    int rc = ta_stoch_batch(rsi + a, rsi + a, rsi + a, n - a, (int)p[1], (int)p[2], (int)p[3], 0, 0,
                            out[0] + a, out[1] + a, err);
    if (rc) return rc;
  }
  ta_nan(out[0], 0, a < n ? a : n);
  ta_nan(out[1], 0, a < n ? a : n);
  return CQ_OK;
}
static int stochrsi_init(void *st, const double *p, cq_error *err) {
  stochrsi_st *s = st;
  ta_gl_init(&s->rsi, (int)p[0]);
  return ta_stoch_init(&s->k, (int)p[1], (int)p[2], (int)p[3], 0, 0, err);
}
static void stochrsi_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  stochrsi_st *s = st;
  if (!ta_gl_update(&s->rsi, in[0])) {
    out[0] = out[1] = NAN;
    return;
  }
  double r = ta_rsi_value(s->rsi.gain, s->rsi.loss);
  ta_stoch_update(&s->k, r, r, r, &out[0], &out[1]);
}
static void stochrsi_release(void *st) {
  stochrsi_st *s = st;
  ta_stoch_release(&s->k);
}

const cq_ta_def ta_def_stochrsi = {
    .name = "stochrsi",
    .title = "Stochastic Relative Strength Index",
    .group = "momentum",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 4,
    .params = {TA_PERIOD(14), TA_STOCH_P("fastk_period", 5, "bars in the %K window"),
               TA_STOCH_P("fastd_period", 3, "bars in the %D MA"), TA_MATYPE("fastd_matype")},
    .n_outputs = 2,
    .outputs = {"fastk", "fastd"},
    .check = stochrsi_check,
    .lookback = stochrsi_lookback,
    .batch = stochrsi_batch,
    .state_size = sizeof(stochrsi_st),
    .init = stochrsi_init,
    .update = stochrsi_update,
    .release = stochrsi_release,
};

int cq_ta_stochrsi_lookback(int period, int fastk_period, int fastd_period, int fastd_matype) {
  const double p[] = {period, fastk_period, fastd_period, fastd_matype};
  return ta_lookback_or_neg(&ta_def_stochrsi, p);
}
int cq_ta_stochrsi(const double *in, size_t n, int period, int fastk_period, int fastd_period,
                   int fastd_matype, double *fastk, double *fastd, cq_error *err) {
  const double p[] = {period, fastk_period, fastd_period, fastd_matype};
  cq_ta_in x = {.v = {in}, .n = n};
  double *o[] = {fastk, fastd};
  return cq_ta_run(&ta_def_stochrsi, p, &x, o, err);
}
