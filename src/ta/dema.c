/* DEMA, the double exponential moving average: 2 * EMA - EMA(EMA); and the stacked EMAs it
 * shares with TEMA (ta_xema_*). */
#include "ta_internal.h"

/* The stacked EMAs DEMA and TEMA share. TEMA's combination keeps TA-Lib's order. */
void ta_xema_init(ta_xema_st *s, int depth, int period) {
  s->depth = depth;
  for (int j = 0; j < 3; j++) ta_ema_st_init(&s->e[j], period, ta_ema_k(period));
}

static inline double xema_step(ta_xema_st *s, double x) {
  double v[3] = {x, x, x};
  for (int j = 0; j < s->depth; j++) {
    v[j] = ta_ema_st_update(&s->e[j], j ? v[j - 1] : x);
    if (s->e[j].count < s->e[j].period) return NAN;
  }
  return s->depth == 2 ? (2.0 * v[0]) - v[1] : v[2] + ((3.0 * v[0]) - (3.0 * v[1]));
}

void ta_xema_kernel(int depth, const double *in, size_t n, int period, double *out) {
  ta_xema_st s;
  ta_xema_init(&s, depth, period);
  for (size_t i = 0; i < n; i++) out[i] = xema_step(&s, in[i]);
}

void ta_xema_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = xema_step(st, in[0]);
}

static double xema_upd(void *st, double x) {
  return xema_step(st, x);
}

int ta_xema_ma_init(ta_ma *m, int depth, int period, cq_error *err) {
  ta_xema_st *s = malloc(sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "%s: out of memory", depth == 2 ? "dema" : "tema");
  ta_xema_init(s, depth, period);
  *m = (ta_ma){.update = xema_upd, .st = s};
  return CQ_OK;
}

static int dema_lookback(const double *p) {
  return 2 * ((int)p[0] - 1);
}
static int dema_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  ta_xema_kernel(2, in->v[0], in->n, (int)p[0], out[0]);
  return CQ_OK;
}
static int dema_init(void *st, const double *p, cq_error *err) {
  (void)err;
  ta_xema_init(st, 2, (int)p[0]);
  return CQ_OK;
}

const cq_ta_def ta_def_dema = {
    .name = "dema",
    .title = "Double Exponential Moving Average",
    .group = "overlap",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(30)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = dema_lookback,
    .batch = dema_batch,
    .state_size = sizeof(ta_xema_st),
    .init = dema_init,
    .update = ta_xema_update,
};

int cq_ta_dema_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_dema, p);
}
int cq_ta_dema(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_dema, p, in, n, out, err);
}
