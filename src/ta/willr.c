/* WILLR, Williams' %R: (highest high - close) / ((highest - lowest) / -100) over the last
 * period bars, 0 for a flat window (as TA-Lib). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_willr;

/* TA-Lib's value from the window's extremes: 0 for a flat window. */
static inline double willr_value(double hh, double ll, double c) {
  const double diff = (hh - ll) / -100.0;
  const double q = (hh - c) / ta_div_or_1(diff);
  return diff != 0.0 ? q : 0.0;
}
/* willr_value over a chunk, in two loops that vectorise: the quotients (diff kept in hh), then
 * the zeros of flat windows */
static void willr_chunk(double *restrict hh, const double *restrict ll, const double *restrict c,
                        double *restrict out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const double diff = (hh[i] - ll[i]) / -100.0;
    out[i] = (hh[i] - c[i]) / ta_div_or_1(diff);
    hh[i] = diff;
  }
  for (size_t i = 0; i < n; i++) out[i] = hh[i] != 0.0 ? out[i] : 0.0;
}

static int willr_init(void *st, const double *p, cq_error *err) {
  return ta_extrema_init(st, (int)p[0], err);
}
static void willr_release(void *st) {
  ta_extrema_release(st);
}
static void willr_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  double hh, ll;
  ta_extrema_push(st, in[0], in[1], &hh, &ll);
  out[0] = willr_value(hh, ll, in[2]);
}
static int willr_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  enum { CHUNK = 512 };
  ta_extrema m;
  int rc = ta_extrema_init(&m, (int)p[0], err);
  if (rc) return rc;
  double hh[CHUNK], ll[CHUNK];
  for (size_t at = 0; at < in->n; at += CHUNK) {
    const size_t len = in->n - at < CHUNK ? in->n - at : CHUNK;
    ta_extrema_run(&m, in->v[0] + at, in->v[1] + at, len, hh, ll);
    willr_chunk(hh, ll, in->v[2] + at, out[0] + at, len);
  }
  ta_extrema_release(&m);
  return CQ_OK;
}

const cq_ta_def ta_def_willr = {
    .name = "willr",
    .title = "Williams' %R",
    .group = "momentum",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = willr_batch,
    .state_size = sizeof(ta_extrema),
    .init = willr_init,
    .update = willr_update,
    .release = willr_release,
};

int cq_ta_willr_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_willr, p);
}
int cq_ta_willr(const double *high, const double *low, const double *close, size_t n, int period,
                double *out, cq_error *err) {
  const double p[] = {period};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  return cq_ta_run(&ta_def_willr, p, &x, &out, err);
}
