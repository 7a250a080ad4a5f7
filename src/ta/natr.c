/* NATR, the normalised ATR: ATR / close * 100 (0 when the close is within 1e-8 of zero, as
 * TA-Lib). As TA-Lib, period 1 gives the true range itself, not normalised. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_natr;

static inline double natr_of(double atr, double close) {
  return ta_is_zero(close) ? 0.0 : atr / close * 100.0;
}

static int natr_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  const double *c = in->v[2];
  double *o = out[0];
  size_t lb = (size_t)p[0];
  ta_atr_kernel(in->v[0], in->v[1], c, in->n, (int)p[0], o);
  if (lb == 1) return CQ_OK; /* TA-Lib: NATR(1) is TRANGE */
  for (size_t i = lb; i < in->n; i++) o[i] = natr_of(o[i], c[i]);
  return CQ_OK;
}
typedef struct natr_st {
  ta_atr_st atr;
  int seen; /* bars so far, capped at the lookback */
} natr_st;

static int natr_init(void *st, const double *p, cq_error *err) {
  (void)err;
  natr_st *s = st;
  *s = (natr_st){0};
  ta_atr_st_init(&s->atr, (int)p[0]);
  return CQ_OK;
}
static void natr_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  natr_st *s = st;
  double atr = ta_atr_st_update(&s->atr, in[0], in[1], in[2]);
  if (s->seen < s->atr.period) {
    s->seen++;
    out[0] = NAN;
    return;
  }
  out[0] = s->atr.period == 1 ? atr : natr_of(atr, in[2]);
}
static int natr_lookback(const double *p) {
  return (int)p[0];
}

const cq_ta_def ta_def_natr = {
    .name = "natr",
    .title = "Normalized Average True Range",
    .group = "volatility",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 1,
    .params = {{.name = "period",
                .help = "bars in the Wilder average",
                .def = 14,
                .min = 1,
                .max = 100000,
                .integer = true}},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = natr_lookback,
    .batch = natr_batch,
    .state_size = sizeof(natr_st),
    .init = natr_init,
    .update = natr_update,
};

int cq_ta_natr_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_natr, p);
}
int cq_ta_natr(const double *high, const double *low, const double *close, size_t n, int period,
               double *out, cq_error *err) {
  const double p[] = {period};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  return cq_ta_run(&ta_def_natr, p, &x, &out, err);
}
