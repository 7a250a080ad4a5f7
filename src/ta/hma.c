/* HMA, Hull's moving average: WMA(2 * WMA(x, n/2) - WMA(x, n), floor(sqrt(n))), with n/2
 * rounded down (periods 2 and 3 use a WMA of 1, which is the series itself). */
#include "ta_internal.h"

typedef struct hma_st {
  ta_wma_st half, full, out;
} hma_st;

static int sqrt_period(int n) {
  int s = (int)sqrt((double)n);
  while (s * s > n) s--;
  while ((s + 1) * (s + 1) <= n) s++;
  return s;
}

static void hma_st_release(hma_st *s) {
  ta_wma_st_release(&s->half);
  ta_wma_st_release(&s->full);
  ta_wma_st_release(&s->out);
}

static int hma_st_init(hma_st *s, int n, cq_error *err) {
  *s = (hma_st){0};
  int rc = ta_wma_st_init(&s->half, n / 2, err);
  if (!rc) rc = ta_wma_st_init(&s->full, n, err);
  if (!rc) rc = ta_wma_st_init(&s->out, sqrt_period(n), err);
  if (rc) hma_st_release(s);
  return rc;
}

static inline double hma_step(hma_st *s, double x) {
  double h = ta_wma_st_update(&s->half, x);
  bool warm = s->full.count < s->full.period - 1;
  double f = ta_wma_st_update(&s->full, x);
  if (warm) return NAN;
  return ta_wma_st_update(&s->out, (2.0 * h) - f);
}

static int hma_lookback(const double *p) {
  int n = (int)p[0];
  return (n - 1) + (sqrt_period(n) - 1);
}
/* Batch through the WMA kernel: the same operations as the steps above, array by array. */
static int hma_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  int n = (int)p[0];
  const double *x = in->v[0];
  double *o = out[0];
  size_t len = in->n, lb = (size_t)n - 1;
  double *tmp = malloc((len ? len : 1) * sizeof(double));
  if (!tmp) return cq_error_set(err, CQ_ENOMEM, "hma: %zu values: out of memory", len);
  ta_wma_kernel(x, len, n / 2, o);
  ta_wma_kernel(x, len, n, tmp);
  for (size_t i = lb; i < len; i++) tmp[i] = (2.0 * o[i]) - tmp[i];
  ta_nan(o, 0, lb < len ? lb : len);
  if (len > lb) ta_wma_kernel(tmp + lb, len - lb, sqrt_period(n), o + lb);
  free(tmp);
  return CQ_OK;
}
static int hma_init(void *st, const double *p, cq_error *err) {
  return hma_st_init(st, (int)p[0], err);
}
static void hma_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = hma_step(st, in[0]);
}
static void hma_release(void *st) {
  hma_st_release(st);
}

const cq_ta_def ta_def_hma = {
    .name = "hma",
    .title = "Hull Moving Average",
    .group = "crypto",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(9)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = hma_lookback,
    .batch = hma_batch,
    .state_size = sizeof(hma_st),
    .init = hma_init,
    .update = hma_update,
    .release = hma_release,
};

int cq_ta_hma_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_hma, p);
}
int cq_ta_hma(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_hma, p, in, n, out, err);
}
