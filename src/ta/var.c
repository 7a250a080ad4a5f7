/* VAR, the population variance over the period (TA-Lib's running sums; nbdev is accepted
 * and, as in TA-Lib, not applied). */
#include "ta_internal.h"

void ta_var_kernel(const double *in, size_t n, int period, double *out) {
  size_t lb = (size_t)period - 1;
  double s1 = 0.0, s2 = 0.0;
  const double p = (double)period;
  size_t i = 0;
  for (; i < lb && i < n; i++) {
    s1 += in[i];
    s2 += in[i] * in[i];
    out[i] = NAN;
  }
  for (; i < n; i++) {
    double x = in[i];
    s1 += x;
    s2 += x * x;
    double m1 = s1 / p, m2 = s2 / p, old = in[i - lb];
    s1 -= old;
    s2 -= old * old;
    out[i] = m2 - m1 * m1;
  }
}

int ta_var_st_init(ta_var_st *s, int period, cq_error *err) {
  *s = (ta_var_st){.period = period};
  if (period > 1 && !(s->win = malloc((size_t)(period - 1) * sizeof(double))))
    return cq_error_set(err, CQ_ENOMEM, "variance: window of %d values: out of memory", period);
  return CQ_OK;
}

void ta_var_st_release(ta_var_st *s) {
  free(s->win);
  s->win = NULL;
}

static int var_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  ta_var_kernel(in->v[0], in->n, (int)p[0], out[0]);
  return CQ_OK;
}
static int var_init(void *st, const double *p, cq_error *err) {
  return ta_var_st_init(st, (int)p[0], err);
}
static void var_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = ta_var_st_update(st, in[0]);
}
static void var_release(void *st) {
  ta_var_st_release(st);
}

const cq_ta_def ta_def_var = {
    .name = "var",
    .title = "Variance",
    .group = "statistic",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 2,
    .params = {{.name = "period",
                .help = "bars in the window",
                .def = 5,
                .min = 1,
                .max = 100000,
                .integer = true},
               {.name = "nbdev",
                .help = "number of deviations (not applied, as in TA-Lib)",
                .def = 1,
                .min = -1e6,
                .max = 1e6}},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = var_batch,
    .state_size = sizeof(ta_var_st),
    .init = var_init,
    .update = var_update,
    .release = var_release,
};

int cq_ta_var_lookback(int period, double nbdev) {
  const double p[] = {period, nbdev};
  return ta_lookback_or_neg(&ta_def_var, p);
}
int cq_ta_var(const double *in, size_t n, int period, double nbdev, double *out, cq_error *err) {
  const double p[] = {period, nbdev};
  return ta_call1(&ta_def_var, p, in, n, out, err);
}
