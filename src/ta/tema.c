/* TEMA, the triple exponential moving average: 3 * EMA - 3 * EMA(EMA) + EMA(EMA(EMA)). */
#include "ta_internal.h"

typedef struct tema_st {
  ta_ema_st e1, e2, e3;
} tema_st;

static void tema_st_init(tema_st *s, int period) {
  ta_ema_st_init(&s->e1, period, ta_ema_k(period));
  ta_ema_st_init(&s->e2, period, ta_ema_k(period));
  ta_ema_st_init(&s->e3, period, ta_ema_k(period));
}

static inline double tema_step(tema_st *s, double x) {
  double a = ta_ema_st_update(&s->e1, x);
  if (s->e1.count < s->e1.period) return NAN;
  double b = ta_ema_st_update(&s->e2, a);
  if (s->e2.count < s->e2.period) return NAN;
  double c = ta_ema_st_update(&s->e3, b);
  if (s->e3.count < s->e3.period) return NAN;
  return c + ((3.0 * a) - (3.0 * b));
}

void ta_tema_kernel(const double *in, size_t n, int period, double *out) {
  tema_st s;
  tema_st_init(&s, period);
  for (size_t i = 0; i < n; i++) out[i] = tema_step(&s, in[i]);
}

static double tema_upd(void *st, double x) {
  return tema_step(st, x);
}

int ta_tema_ma_init(ta_ma *m, int period, cq_error *err) {
  tema_st *s = malloc(sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "tema: out of memory");
  tema_st_init(s, period);
  *m = (ta_ma){.update = tema_upd, .st = s};
  return CQ_OK;
}

static int tema_lookback(const double *p) {
  return 3 * ((int)p[0] - 1);
}
static int tema_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  ta_tema_kernel(in->v[0], in->n, (int)p[0], out[0]);
  return CQ_OK;
}
static int tema_init(void *st, const double *p, cq_error *err) {
  (void)err;
  tema_st_init(st, (int)p[0]);
  return CQ_OK;
}
static void tema_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = tema_step(st, in[0]);
}

const cq_ta_def ta_def_tema = {
    .name = "tema",
    .title = "Triple Exponential Moving Average",
    .group = "overlap",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(30)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = tema_lookback,
    .batch = tema_batch,
    .state_size = sizeof(tema_st),
    .init = tema_init,
    .update = tema_update,
};

int cq_ta_tema_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_tema, p);
}
int cq_ta_tema(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_tema, p, in, n, out, err);
}
