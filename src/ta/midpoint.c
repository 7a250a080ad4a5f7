/* MIDPOINT, the middle of the highest and lowest value over the period; and the window scan
 * (ta_span) shared by the indicators that scan their window. */
#include "ta_internal.h"

int ta_span_init(ta_span *s, int cap, cq_error *err) {
  *s = (ta_span){.cap = cap};
  if (!(s->v = malloc(2 * (size_t)cap * sizeof(double))))
    return cq_error_set(err, CQ_ENOMEM, "indicator window of %d values: out of memory", cap);
  return CQ_OK;
}

void ta_span_release(ta_span *s) {
  free(s->v);
  s->v = NULL;
}

/* TA-Lib's scan: start from the oldest, then each later value is a new low or else maybe a
 * new high. */
static inline double midpoint_of(const double *w, int period) {
  double lo = w[0], hi = lo;
  for (int i = 1; i < period; i++) {
    double x = w[i];
    bool lower = x < lo; /* written without branches: the comparisons are unpredictable */
    hi = !lower && x > hi ? x : hi;
    lo = lower ? x : lo;
  }
  return (hi + lo) / 2.0;
}

static int midpoint_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  const double *x = in->v[0];
  double *o = out[0];
  size_t n = in->n, lb = (size_t)p[0] - 1;
  int period = (int)p[0];
  ta_nan(o, 0, lb < n ? lb : n);
  for (size_t i = lb; i < n; i++) o[i] = midpoint_of(x + i - lb, period);
  return CQ_OK;
}

static int midpoint_init(void *st, const double *p, cq_error *err) {
  return ta_span_init(st, (int)p[0], err);
}
static void midpoint_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  ta_span *s = st;
  const double *w = ta_span_push(s, in[0]);
  out[0] = w ? midpoint_of(w, s->cap) : NAN;
}
static void midpoint_release(void *st) {
  ta_span_release(st);
}

const cq_ta_def ta_def_midpoint = {
    .name = "midpoint",
    .title = "MidPoint over period",
    .group = "overlap",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = midpoint_batch,
    .state_size = sizeof(ta_span),
    .init = midpoint_init,
    .update = midpoint_update,
    .release = midpoint_release,
};

int cq_ta_midpoint_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_midpoint, p);
}
int cq_ta_midpoint(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_midpoint, p, in, n, out, err);
}
