/* MIDPRICE, the middle of the highest high and lowest low over the period. */
#include "ta_internal.h"

static inline double midprice_of(const double *h, const double *l, int period) {
  double lo = l[0], hi = h[0];
  for (int i = 1; i < period; i++) {
    lo = l[i] < lo ? l[i] : lo;
    hi = h[i] > hi ? h[i] : hi;
  }
  return (hi + lo) / 2.0;
}

static int midprice_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  const double *h = in->v[0], *l = in->v[1];
  double *o = out[0];
  size_t n = in->n, lb = (size_t)p[0] - 1;
  int period = (int)p[0];
  ta_nan(o, 0, lb < n ? lb : n);
  for (size_t i = lb; i < n; i++) o[i] = midprice_of(h + i - lb, l + i - lb, period);
  return CQ_OK;
}

typedef struct midprice_st {
  ta_span h, l;
} midprice_st;

static int midprice_init(void *st, const double *p, cq_error *err) {
  midprice_st *s = st;
  int rc = ta_span_init(&s->h, (int)p[0], err);
  if (!rc && (rc = ta_span_init(&s->l, (int)p[0], err))) ta_span_release(&s->h);
  return rc;
}
static void midprice_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  midprice_st *s = st;
  const double *h = ta_span_push(&s->h, in[0]), *l = ta_span_push(&s->l, in[1]);
  out[0] = h ? midprice_of(h, l, s->h.cap) : NAN;
}
static void midprice_release(void *st) {
  midprice_st *s = st;
  ta_span_release(&s->h);
  ta_span_release(&s->l);
}

const cq_ta_def ta_def_midprice = {
    .name = "midprice",
    .title = "Midpoint Price over period",
    .group = "overlap",
    .n_inputs = 2,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW},
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = midprice_batch,
    .state_size = sizeof(midprice_st),
    .init = midprice_init,
    .update = midprice_update,
    .release = midprice_release,
};

int cq_ta_midprice_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_midprice, p);
}
int cq_ta_midprice(const double *high, const double *low, size_t n, int period, double *out,
                   cq_error *err) {
  const double p[] = {period};
  cq_ta_in x = {.v = {high, low}, .n = n};
  return cq_ta_run(&ta_def_midprice, p, &x, &out, err);
}
