/* STDDEV, the population standard deviation over the period times nbdev (TA-Lib: the square
 * root of VAR, 0 where the variance is below 1e-14). */
#include "ta_internal.h"

static inline double stddev_of(double var, double nbdev) {
  return !TA_IS_ZERO_OR_NEG(var) ? sqrt(var) * nbdev : 0.0;
}

static int stddev_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  double *o = out[0], k = p[1];
  ta_var_kernel(in->v[0], in->n, (int)p[0], o);
  for (size_t i = (size_t)p[0] - 1; i < in->n; i++) o[i] = stddev_of(o[i], k);
  return CQ_OK;
}

typedef struct stddev_st {
  ta_var_st var;
  double nbdev;
} stddev_st;

static int stddev_init(void *st, const double *p, cq_error *err) {
  stddev_st *s = st;
  s->nbdev = p[1];
  return ta_var_st_init(&s->var, (int)p[0], err);
}
static void stddev_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  stddev_st *s = st;
  bool warm = s->var.count < s->var.period - 1;
  double v = ta_var_st_update(&s->var, in[0]);
  out[0] = warm ? NAN : stddev_of(v, s->nbdev);
}
static void stddev_release(void *st) {
  stddev_st *s = st;
  ta_var_st_release(&s->var);
}

const cq_ta_def ta_def_stddev = {
    .name = "stddev",
    .title = "Standard Deviation",
    .group = "statistic",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 2,
    .params =
        {TA_PERIOD(5),
         {.name = "nbdev", .help = "number of deviations", .def = 1, .min = -1e6, .max = 1e6}},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = stddev_batch,
    .state_size = sizeof(stddev_st),
    .init = stddev_init,
    .update = stddev_update,
    .release = stddev_release,
};

int cq_ta_stddev_lookback(int period, double nbdev) {
  const double p[] = {period, nbdev};
  return ta_lookback_or_neg(&ta_def_stddev, p);
}
int cq_ta_stddev(const double *in, size_t n, int period, double nbdev, double *out, cq_error *err) {
  const double p[] = {period, nbdev};
  return ta_call1(&ta_def_stddev, p, in, n, out, err);
}
