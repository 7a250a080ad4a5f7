/* WMA, the weighted moving average: weights 1..period, the newest weighing most. */
#include "ta_internal.h"

void ta_wma_kernel(const double *in, size_t n, int period, double *out) {
  size_t lb = (size_t)period - 1;
  if (lb == 0) {
    for (size_t i = 0; i < n; i++) out[i] = in[i];
    return;
  }
  double sum = 0.0, sub = 0.0, trail = 0.0;
  const int64_t weights = (int64_t)period * (period + 1) / 2; /* always a whole number */
  const double p = (double)period, divider = (double)weights;
  size_t i = 0;
  for (; i < lb && i < n; i++) {
    sub += in[i];
    sum += in[i] * (double)(i + 1);
    out[i] = NAN;
  }
  for (; i < n; i++) {
    double x = in[i];
    sub += x;
    sub -= trail;
    sum += x * p;
    trail = in[i - lb];
    out[i] = sum / divider;
    sum -= sub;
  }
}

int ta_wma_st_init(ta_wma_st *s, int period, cq_error *err) {
  const int64_t weights = (int64_t)period * (period + 1) / 2; /* always a whole number */
  *s = (ta_wma_st){.period = period, .divider = (double)weights};
  if (period > 1 && !(s->win = malloc((size_t)(period - 1) * sizeof(double))))
    return cq_error_set(err, CQ_ENOMEM, "wma: window of %d values: out of memory", period);
  return CQ_OK;
}

void ta_wma_st_release(ta_wma_st *s) {
  free(s->win);
  s->win = NULL;
}

static double wma_upd(void *st, double x) {
  return ta_wma_st_update(st, x);
}
static void wma_rel(void *st) {
  ta_wma_st_release(st);
}

int ta_wma_ma_init(ta_ma *m, int period, cq_error *err) {
  ta_wma_st *s = malloc(sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "wma: out of memory");
  int rc = ta_wma_st_init(s, period, err);
  if (rc) {
    free(s);
    return rc;
  }
  *m = (ta_ma){.update = wma_upd, .release = wma_rel, .st = s};
  return CQ_OK;
}

/* --- the indicator -------------------------------------------------------------------- */

static int wma_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  ta_wma_kernel(in->v[0], in->n, (int)p[0], out[0]);
  return CQ_OK;
}
static int wma_init(void *st, const double *p, cq_error *err) {
  return ta_wma_st_init(st, (int)p[0], err);
}
static void wma_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = ta_wma_st_update(st, in[0]);
}
static void wma_release(void *st) {
  ta_wma_st_release(st);
}

const cq_ta_def ta_def_wma = {
    .name = "wma",
    .title = "Weighted Moving Average",
    .group = "overlap",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(30)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = wma_batch,
    .state_size = sizeof(ta_wma_st),
    .init = wma_init,
    .update = wma_update,
    .release = wma_release,
};

int cq_ta_wma_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_wma, p);
}
int cq_ta_wma(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_wma, p, in, n, out, err);
}
