/* CCI, the Commodity Channel Index: (tp - mean) / (0.015 * mean deviation) over the last
 * period typical prices (h + l + c) / 3, 0 when either is zero. The sums run over the window
 * in TA-Lib's circular-buffer order (slot = bar % period), so the values are TA-Lib's. */
#include <string.h>

#include "ta_internal.h"

extern const cq_ta_def ta_def_cci;

typedef struct cci_st {
  double *buf;
  int64_t bar;
  int period;
} cci_st;

static int cci_init(void *st, const double *p, cq_error *err) {
  cci_st *s = st;
  *s = (cci_st){.period = (int)p[0]};
  if (!(s->buf = calloc((size_t)s->period, sizeof(double))))
    return cq_error_set(err, CQ_ENOMEM, "cci: window of %d values: out of memory", s->period);
  return CQ_OK;
}
static void cci_release(void *st) {
  cci_st *s = st;
  free(s->buf);
  s->buf = NULL;
}
static inline double cci_step(cci_st *s, double h, double l, double c) {
  const int p = s->period;
  double tp = (h + l + c) / 3.0;
  s->buf[s->bar % p] = tp;
  if (++s->bar < p) return NAN;
  double avg = 0.0;
  for (int i = 0; i < p; i++) avg += s->buf[i];
  avg /= p;
  double dev = 0.0;
  for (int i = 0; i < p; i++) dev += fabs(s->buf[i] - avg);
  double t = tp - avg;
  return t != 0.0 && dev != 0.0 ? t / (0.015 * (dev / p)) : 0.0;
}
static void cci_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = cci_step(st, in[0], in[1], in[2]);
}
static int cci_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  cci_st s;
  int rc = cci_init(&s, p, err);
  if (rc) return rc;
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = cci_step(&s, h[i], l[i], c[i]);
  cci_release(&s);
  return CQ_OK;
}

const cq_ta_def ta_def_cci = {
    .name = "cci",
    .title = "Commodity Channel Index",
    .group = "momentum",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = cci_batch,
    .state_size = sizeof(cci_st),
    .init = cci_init,
    .update = cci_update,
    .release = cci_release,
};

int cq_ta_cci_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_cci, p);
}
int cq_ta_cci(const double *high, const double *low, const double *close, size_t n, int period,
              double *out, cq_error *err) {
  const double p[] = {period};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  return cq_ta_run(&ta_def_cci, p, &x, &out, err);
}
