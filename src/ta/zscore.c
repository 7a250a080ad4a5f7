/* ZSCORE, the rolling z-score: how many standard deviations the newest value is from the mean
 * of the last `period` values, (x - mean) / stddev, with the population standard deviation
 * (divided by period). Lookback period - 1. A flat window (a spread below 1e-12 of the mean)
 * gives 0, as TA-Lib does where it would divide by zero.
 *
 * The worked example of docs/indicators.md ("Adding a custom indicator"): one file and one
 * line in the group's table (src/ta/statistic.c). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_zscore;

/* The z-score of the window w[0..period), oldest first. Batch and streaming both call it on
 * the same values in the same order, so their results are equal bit for bit. Two passes
 * (mean, then squared deviations) rather than running sums: exact enough for a window of
 * prices near 1e5 whose spread is 1e-3, and a NaN leaves the window after period bars. */
static double zscore_window(const double *w, int period) {
  double sum = 0.0;
  for (int k = 0; k < period; k++) sum += w[k];
  const double mean = sum / period;
  double ss = 0.0;
  for (int k = 0; k < period; k++) {
    double d = w[k] - mean;
    ss += d * d;
  }
  const double sd = sqrt(ss / period);
  if (sd <= 1e-12 * fabs(mean)) return 0.0; /* false for NaN: a NaN goes through */
  return (w[period - 1] - mean) / sd;
}

static int zscore_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  const int period = (int)p[0];
  const size_t lb = (size_t)period - 1;
  const double *x = in->v[0];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = i < lb ? NAN : zscore_window(x + i - lb, period);
  return CQ_OK;
}

/* Streaming: the window is kept twice over in 2 * period values (each value written at pos
 * and pos + period), so the last period values are always contiguous, oldest first, at
 * win + pos: zscore_window reads them as the batch kernel reads the input. */
typedef struct zscore_st {
  double *win;
  int period, pos, count;
} zscore_st;

static int zscore_init(void *st, const double *p, cq_error *err) {
  zscore_st *s = st;
  *s = (zscore_st){.period = (int)p[0]};
  if (!(s->win = malloc(2 * (size_t)s->period * sizeof(double))))
    return cq_error_set(err, CQ_ENOMEM, "zscore: window of %d values: out of memory", s->period);
  return CQ_OK;
}
static void zscore_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  zscore_st *s = st;
  s->win[s->pos] = s->win[s->pos + s->period] = in[0];
  if (++s->pos == s->period) s->pos = 0;
  if (s->count < s->period) s->count++;
  out[0] = s->count < s->period ? NAN : zscore_window(s->win + s->pos, s->period);
}
static void zscore_release(void *st) {
  zscore_st *s = st;
  free(s->win);
  s->win = NULL;
}

const cq_ta_def ta_def_zscore = {
    .name = "zscore",
    .title = "Rolling Z-Score",
    .group = "statistic",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(20)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = zscore_batch,
    .state_size = sizeof(zscore_st),
    .init = zscore_init,
    .update = zscore_update,
    .release = zscore_release,
};

int cq_ta_zscore_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_zscore, p);
}
int cq_ta_zscore(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_zscore, p, in, n, out, err);
}
