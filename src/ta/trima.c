/* TRIMA, the triangular moving average: the SMA of an SMA, periods (p+1)/2 and (p+1)/2 for
 * odd p, p/2 and p/2 + 1 for even p (TA-Lib's triangular weights). */
#include "ta_internal.h"

typedef struct trima_st {
  ta_sma_st a, b;
} trima_st;

static int trima_st_init(trima_st *s, int period, cq_error *err) {
  int pa = period % 2 ? (period + 1) / 2 : period / 2;
  int pb = period % 2 ? pa : pa + 1;
  *s = (trima_st){0};
  int rc = ta_sma_st_init(&s->a, pa, err);
  if (!rc && (rc = ta_sma_st_init(&s->b, pb, err))) ta_sma_st_release(&s->a);
  return rc;
}

static void trima_st_release(trima_st *s) {
  ta_sma_st_release(&s->a);
  ta_sma_st_release(&s->b);
}

static inline double trima_step(trima_st *s, double x) {
  int warm = s->a.count < s->a.period - 1;
  double a = ta_sma_st_update(&s->a, x);
  if (warm) return NAN;
  return ta_sma_st_update(&s->b, a);
}

int ta_trima_kernel(const double *in, size_t n, int period, double *out, cq_error *err) {
  trima_st s;
  int rc = trima_st_init(&s, period, err);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) out[i] = trima_step(&s, in[i]);
  trima_st_release(&s);
  return CQ_OK;
}

static double trima_upd(void *st, double x) {
  return trima_step(st, x);
}
static void trima_rel(void *st) {
  trima_st_release(st);
}

int ta_trima_ma_init(ta_ma *m, int period, cq_error *err) {
  trima_st *s = malloc(sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "trima: out of memory");
  int rc = trima_st_init(s, period, err);
  if (rc) {
    free(s);
    return rc;
  }
  *m = (ta_ma){.update = trima_upd, .release = trima_rel, .st = s};
  return CQ_OK;
}

static int trima_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  return ta_trima_kernel(in->v[0], in->n, (int)p[0], out[0], err);
}
static int trima_init(void *st, const double *p, cq_error *err) {
  return trima_st_init(st, (int)p[0], err);
}
static void trima_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = trima_step(st, in[0]);
}
static void trima_release(void *st) {
  trima_st_release(st);
}

const cq_ta_def ta_def_trima = {
    .name = "trima",
    .title = "Triangular Moving Average",
    .group = "overlap",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(30)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = trima_batch,
    .state_size = sizeof(trima_st),
    .init = trima_init,
    .update = trima_update,
    .release = trima_release,
};

int cq_ta_trima_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_trima, p);
}
int cq_ta_trima(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_trima, p, in, n, out, err);
}
