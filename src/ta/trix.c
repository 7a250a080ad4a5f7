/* TRIX: the 1-bar rate of change, ((e / e_prev) - 1) * 100 (0 when e_prev is 0), of a triple
 * EMA, each EMA seeded with the mean of the first period values of its input (TA-Lib). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_trix;

typedef struct trix_st {
  ta_ema_st e1, e2, e3;
  double prev;
  int has_prev;
} trix_st;

static int trix_init(void *st, const double *p, cq_error *err) {
  (void)err;
  trix_st *s = st;
  int period = (int)p[0];
  double k = ta_ema_k(period);
  *s = (trix_st){0};
  ta_ema_st_init(&s->e1, period, k);
  ta_ema_st_init(&s->e2, period, k);
  ta_ema_st_init(&s->e3, period, k);
  return CQ_OK;
}
static inline int ema_ready(const ta_ema_st *e) {
  return e->count >= e->period;
}
static inline double trix_step(trix_st *s, double x) {
  double v = ta_ema_st_update(&s->e1, x);
  if (!ema_ready(&s->e1)) return NAN;
  v = ta_ema_st_update(&s->e2, v);
  if (!ema_ready(&s->e2)) return NAN;
  v = ta_ema_st_update(&s->e3, v);
  if (!ema_ready(&s->e3)) return NAN;
  double old = s->prev;
  s->prev = v;
  if (!s->has_prev) {
    s->has_prev = 1;
    return NAN;
  }
  return old != 0.0 ? ((v / old) - 1.0) * 100.0 : 0.0;
}
static void trix_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = trix_step(st, in[0]);
}
static int trix_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  trix_st s;
  trix_init(&s, p, err);
  const double *x = in->v[0];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = trix_step(&s, x[i]);
  return CQ_OK;
}
static int trix_lookback(const double *p) {
  return 3 * ((int)p[0] - 1) + 1;
}

const cq_ta_def ta_def_trix = {
    .name = "trix",
    .title = "1-day Rate-Of-Change of a Triple Smooth EMA",
    .group = "momentum",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {{.name = "period",
                .help = "bars in each EMA",
                .def = 30,
                .min = 1,
                .max = 100000,
                .integer = true}},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = trix_lookback,
    .batch = trix_batch,
    .state_size = sizeof(trix_st),
    .init = trix_init,
    .update = trix_update,
};

int cq_ta_trix_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_trix, p);
}
int cq_ta_trix(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_trix, p, in, n, out, err);
}
