/* LINEARREG, the least-squares line over the period at its newest bar; and the fit shared by
 * the LINEARREG family (slope, intercept, angle, TSF), recomputed over the window at each bar
 * as TA-Lib does. */
#include "ta_internal.h"

static double sum_x_of(int period) {
  return (double)period * (double)(period - 1) * 0.5;
}
static double divisor_of(int period) {
  double sum_x = sum_x_of(period);
  /* sum of k^2 for k < period: the product is always divisible by 6 */
  const int64_t sum_x2_exact = (int64_t)period * (period - 1) * (2 * (int64_t)period - 1) / 6;
  double sum_x2 = (double)sum_x2_exact;
  return sum_x * sum_x - (double)period * sum_x2;
}

static inline double linreg_pick(ta_linreg_kind kind, ta_linreg f, int period) {
  switch (kind) {
    case TA_LR_VALUE:
      return f.b + f.m * (double)(period - 1);
    case TA_LR_SLOPE:
      return f.m;
    case TA_LR_INTERCEPT:
      return f.b;
    case TA_LR_ANGLE:
      return atan(f.m) * (180.0 / 3.14159265358979323846);
    case TA_LR_TSF:
    default:
      return f.b + f.m * (double)period;
  }
}

static inline double linreg_out(ta_linreg_kind kind, const double *w, int period, double sum_x,
                                double divisor) {
  return linreg_pick(kind, ta_linreg_fit(w, period, sum_x, divisor), period);
}

/* Four windows at once (those ending at w[period - 1 .. period + 2]): the same sums in the
 * same order as ta_linreg_fit for each, so the same values, but four independent chains of
 * additions keep the processor busy. */
static inline void linreg_out4(ta_linreg_kind kind, const double *w, int period, double sum_x,
                               double divisor, double *out) {
  double y0 = 0.0, y1 = 0.0, y2 = 0.0, y3 = 0.0, xy0 = 0.0, xy1 = 0.0, xy2 = 0.0, xy3 = 0.0;
  for (int i = period; i-- != 0;) {
    const double *q = w + (period - 1 - i), xi = (double)i;
    y0 += q[0];
    xy0 += xi * q[0];
    y1 += q[1];
    xy1 += xi * q[1];
    y2 += q[2];
    xy2 += xi * q[2];
    y3 += q[3];
    xy3 += xi * q[3];
  }
  const double sy[4] = {y0, y1, y2, y3}, sxy[4] = {xy0, xy1, xy2, xy3}, dp = (double)period;
  for (int k = 0; k < 4; k++) {
    double m = (dp * sxy[k] - sum_x * sy[k]) / divisor;
    double b = (sy[k] - m * sum_x) / dp;
    out[k] = linreg_pick(kind, (ta_linreg){m, b}, period);
  }
}

static inline void linreg_run(ta_linreg_kind kind, const double *x, size_t n, int period,
                              double *o) {
  double sum_x = sum_x_of(period), divisor = divisor_of(period);
  size_t lb = (size_t)period - 1, i = lb;
  ta_nan(o, 0, lb < n ? lb : n);
  for (; i + 3 < n; i += 4) linreg_out4(kind, x + i - lb, period, sum_x, divisor, o + i);
  for (; i < n; i++) o[i] = linreg_out(kind, x + i - lb, period, sum_x, divisor);
}

int ta_linreg_batch(ta_linreg_kind kind, const cq_ta_in *in, const double *p, double *const *out,
                    cq_error *err) {
  (void)err;
  const double *x = in->v[0];
  size_t n = in->n;
  int period = (int)p[0];
  switch (kind) { /* one loop per kind, so the switch stays out of the loop */
    case TA_LR_VALUE:
      linreg_run(TA_LR_VALUE, x, n, period, out[0]);
      break;
    case TA_LR_SLOPE:
      linreg_run(TA_LR_SLOPE, x, n, period, out[0]);
      break;
    case TA_LR_INTERCEPT:
      linreg_run(TA_LR_INTERCEPT, x, n, period, out[0]);
      break;
    case TA_LR_ANGLE:
      linreg_run(TA_LR_ANGLE, x, n, period, out[0]);
      break;
    case TA_LR_TSF:
      linreg_run(TA_LR_TSF, x, n, period, out[0]);
      break;
  }
  return CQ_OK;
}

int ta_linreg_st_init(ta_linreg_st *s, ta_linreg_kind kind, int period, cq_error *err) {
  *s = (ta_linreg_st){
      .sum_x = sum_x_of(period), .divisor = divisor_of(period), .period = period, .kind = kind};
  return ta_span_init(&s->w, period, err);
}

void ta_linreg_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  ta_linreg_st *s = st;
  const double *w = ta_span_push(&s->w, in[0]);
  out[0] = w ? linreg_out(s->kind, w, s->period, s->sum_x, s->divisor) : NAN;
}

void ta_linreg_release(void *st) {
  ta_linreg_st *s = st;
  ta_span_release(&s->w);
}

/* --- LINEARREG ------------------------------------------------------------------------ */

static int linearreg_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  return ta_linreg_batch(TA_LR_VALUE, in, p, out, err);
}
static int linearreg_init(void *st, const double *p, cq_error *err) {
  return ta_linreg_st_init(st, TA_LR_VALUE, (int)p[0], err);
}

const cq_ta_def ta_def_linearreg = {
    .name = "linearreg",
    .title = "Linear Regression",
    .group = "statistic",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = linearreg_batch,
    .state_size = sizeof(ta_linreg_st),
    .init = linearreg_init,
    .update = ta_linreg_update,
    .release = ta_linreg_release,
};

int cq_ta_linearreg_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_linearreg, p);
}
int cq_ta_linearreg(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_linearreg, p, in, n, out, err);
}
