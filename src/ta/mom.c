/* Momentum. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_mom;

static inline double mom_value(double x, double old) {
  return x - old;
}

static int mom_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  const double *x = in->v[0];
  double *o = out[0];
  size_t lb = (size_t)p[0], n = in->n;
  if (lb > n) lb = n;
  ta_nan(o, 0, lb);
  for (size_t i = lb; i < n; i++) o[i] = mom_value(x[i], x[i - lb]);
  return CQ_OK;
}
static int mom_init(void *st, const double *p, cq_error *err) {
  return ta_ring_init(st, (int)p[0], err);
}
static void mom_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  double old;
  out[0] = ta_lag_push(st, in[0], &old) ? mom_value(in[0], old) : NAN;
}
static void mom_release(void *st) {
  ta_ring_release(st);
}
static int mom_lookback(const double *p) {
  return (int)p[0];
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
    .lookback = mom_lookback,
    .batch = mom_batch,
    .state_size = sizeof(ta_ring),
    .init = mom_init,
    .update = mom_update,
    .release = mom_release,
};

int cq_ta_mom_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_mom, p);
}
int cq_ta_mom(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_mom, p, in, n, out, err);
}
