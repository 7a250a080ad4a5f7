/* DEMA, the double exponential moving average: 2 * EMA - EMA(EMA). */
#include "ta_internal.h"

typedef struct dema_st {
  ta_ema_st e1, e2;
} dema_st;

static void dema_st_init(dema_st *s, int period) {
  ta_ema_st_init(&s->e1, period, ta_ema_k(period));
  ta_ema_st_init(&s->e2, period, ta_ema_k(period));
}

static inline double dema_step(dema_st *s, double x) {
  double a = ta_ema_st_update(&s->e1, x);
  if (s->e1.count < s->e1.period) return NAN;
  double b = ta_ema_st_update(&s->e2, a);
  if (s->e2.count < s->e2.period) return NAN;
  return (2.0 * a) - b;
}

void ta_dema_kernel(const double *in, size_t n, int period, double *out) {
  dema_st s;
  dema_st_init(&s, period);
  for (size_t i = 0; i < n; i++) out[i] = dema_step(&s, in[i]);
}

static double dema_upd(void *st, double x) {
  return dema_step(st, x);
}

int ta_dema_ma_init(ta_ma *m, int period, cq_error *err) {
  dema_st *s = malloc(sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "dema: out of memory");
  dema_st_init(s, period);
  *m = (ta_ma){.update = dema_upd, .st = s};
  return CQ_OK;
}

static int dema_lookback(const double *p) {
  return 2 * ((int)p[0] - 1);
}
static int dema_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  ta_dema_kernel(in->v[0], in->n, (int)p[0], out[0]);
  return CQ_OK;
}
static int dema_init(void *st, const double *p, cq_error *err) {
  (void)err;
  dema_st_init(st, (int)p[0]);
  return CQ_OK;
}
static void dema_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = dema_step(st, in[0]);
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
    .state_size = sizeof(dema_st),
    .init = dema_init,
    .update = dema_update,
};

int cq_ta_dema_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_dema, p);
}
int cq_ta_dema(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_dema, p, in, n, out, err);
}
