/* AROON down and up: 100 / period * (period - bars since the lowest low / highest high) over
 * the last period + 1 bars, and the core shared with AROONOSC. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_aroon;

int ta_aroon_init(ta_aroon_st *s, int period, cq_error *err) {
  *s = (ta_aroon_st){.period = period, .hi_idx = -1, .lo_idx = -1};
  s->hi = malloc((size_t)(period + 1) * 2 * sizeof(double));
  if (!s->hi)
    return cq_error_set(err, CQ_ENOMEM, "aroon: window of %d bars: out of memory", period + 1);
  s->lo = s->hi + period + 1;
  return CQ_OK;
}

void ta_aroon_release(ta_aroon_st *s) {
  free(s->hi);
  s->hi = s->lo = NULL;
}

int ta_aroon_push(ta_aroon_st *s, double high, double low) {
  const int64_t cap = s->period + 1, t = s->bar++;
  s->hi[t % cap] = high;
  s->lo[t % cap] = low;
  if (t < s->period) return 0;
  const int64_t trailing = t - s->period;
  if (s->lo_idx < trailing) {
    s->lo_idx = trailing;
    s->lowest = s->lo[trailing % cap];
    for (int64_t i = trailing + 1; i <= t; i++) {
      double v = s->lo[i % cap];
      if (v <= s->lowest) s->lo_idx = i, s->lowest = v;
    }
  } else if (low <= s->lowest) {
    s->lo_idx = t, s->lowest = low;
  }
  if (s->hi_idx < trailing) {
    s->hi_idx = trailing;
    s->highest = s->hi[trailing % cap];
    for (int64_t i = trailing + 1; i <= t; i++) {
      double v = s->hi[i % cap];
      if (v >= s->highest) s->hi_idx = i, s->highest = v;
    }
  } else if (high >= s->highest) {
    s->hi_idx = t, s->highest = high;
  }
  return 1;
}

static inline void aroon_step(ta_aroon_st *s, double h, double l, double *down, double *up) {
  if (!ta_aroon_push(s, h, l)) {
    *down = *up = NAN;
    return;
  }
  const double factor = 100.0 / s->period;
  const int64_t t = s->bar - 1;
  *up = factor * (double)(s->period - (t - s->hi_idx));
  *down = factor * (double)(s->period - (t - s->lo_idx));
}

static int aroon_init(void *st, const double *p, cq_error *err) {
  return ta_aroon_init(st, (int)p[0], err);
}
static void aroon_release(void *st) {
  ta_aroon_release(st);
}
static void aroon_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  aroon_step(st, in[0], in[1], &out[0], &out[1]);
}
static int aroon_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  ta_aroon_st s;
  int rc = ta_aroon_init(&s, (int)p[0], err);
  if (rc) return rc;
  const double *h = in->v[0], *l = in->v[1];
  double *dn = out[0], *up = out[1];
  for (size_t i = 0; i < in->n; i++) aroon_step(&s, h[i], l[i], &dn[i], &up[i]);
  ta_aroon_release(&s);
  return CQ_OK;
}
static int aroon_lookback(const double *p) {
  return (int)p[0];
}

const cq_ta_def ta_def_aroon = {
    .name = "aroon",
    .title = "Aroon",
    .group = "momentum",
    .n_inputs = 2,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW},
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 2,
    .outputs = {"down", "up"},
    .lookback = aroon_lookback,
    .batch = aroon_batch,
    .state_size = sizeof(ta_aroon_st),
    .init = aroon_init,
    .update = aroon_update,
    .release = aroon_release,
};

int cq_ta_aroon_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_aroon, p);
}
int cq_ta_aroon(const double *high, const double *low, size_t n, int period, double *down,
                double *up, cq_error *err) {
  const double p[] = {period};
  cq_ta_in x = {.v = {high, low}, .n = n};
  double *o[] = {down, up};
  return cq_ta_run(&ta_def_aroon, p, &x, o, err);
}
