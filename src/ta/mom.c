/* Momentum, and the machinery MOM, ROC and ROCP share (ta_lag_*). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_mom;

/* The three formulas, as TA-Lib: ROC and ROCP give 0 where the old value is 0. */
static inline double mom_value(double x, double old) {
  return x - old;
}
static inline double roc_value(double x, double old) {
  return old != 0.0 ? ((x / old) - 1.0) * 100.0 : 0.0;
}
static inline double rocp_value(double x, double old) {
  return old != 0.0 ? (x - old) / old : 0.0;
}
static inline double lag_value(ta_lag_kind kind, double x, double old) {
  switch (kind) {
    case TA_LAG_ROC:
      return roc_value(x, old);
    case TA_LAG_ROCP:
      return rocp_value(x, old);
    default:
      return mom_value(x, old);
  }
}

int ta_lag_batch(ta_lag_kind kind, const cq_ta_in *in, const double *p, double *const *out) {
  const double *x = in->v[0];
  double *o = out[0];
  size_t lb = (size_t)p[0], n = in->n;
  if (lb > n) lb = n;
  ta_nan(o, 0, lb);
  switch (kind) { /* one loop per formula: no choice inside the loop */
    case TA_LAG_ROC:
      for (size_t i = lb; i < n; i++) o[i] = roc_value(x[i], x[i - lb]);
      break;
    case TA_LAG_ROCP:
      for (size_t i = lb; i < n; i++) o[i] = rocp_value(x[i], x[i - lb]);
      break;
    default:
      for (size_t i = lb; i < n; i++) o[i] = mom_value(x[i], x[i - lb]);
  }
  return CQ_OK;
}
int ta_lag_init(ta_lag_st *s, ta_lag_kind kind, const double *p, cq_error *err) {
  s->kind = kind;
  return ta_ring_init(&s->r, (int)p[0], err);
}
void ta_lag_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  ta_lag_st *s = st;
  double old;
  out[0] = ta_lag_push(&s->r, in[0], &old) ? lag_value(s->kind, in[0], old) : NAN;
}
void ta_lag_release(void *st) {
  ta_ring_release(&((ta_lag_st *)st)->r);
}
int ta_lag_lookback(const double *p) {
  return (int)p[0];
}

static int mom_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  return ta_lag_batch(TA_LAG_MOM, in, p, out);
}
static int mom_init(void *st, const double *p, cq_error *err) {
  return ta_lag_init(st, TA_LAG_MOM, p, err);
}

const cq_ta_def ta_def_mom = {
    .name = "mom",
    .title = "Momentum",
    .group = "momentum",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {{.name = "period",
                .help = "bars back",
                .def = 10,
                .min = 1,
                .max = 100000,
                .integer = true}},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lag_lookback,
    .batch = mom_batch,
    .state_size = sizeof(ta_lag_st),
    .init = mom_init,
    .update = ta_lag_update,
    .release = ta_lag_release,
};

int cq_ta_mom_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_mom, p);
}
int cq_ta_mom(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_mom, p, in, n, out, err);
}
