/* KAMA, Kaufman's adaptive moving average: an EMA whose factor follows the efficiency ratio
 * |x - x[period back]| / sum of |1-bar changes|, between 2/31 and 2/3, squared. */
#include "ta_internal.h"

typedef struct kama_st {
  ta_ring win; /* the last period values before x */
  double sum, prev, trail, kama;
  int period, count;
} kama_st;

static int kama_st_init(kama_st *s, int period, cq_error *err) {
  *s = (kama_st){.period = period};
  return ta_ring_init(&s->win, period, err);
}

static void kama_st_release(kama_st *s) {
  ta_ring_release(&s->win);
}

static inline double kama_factor(double sum, double roc) {
  const double fast = 2.0 / (2.0 + 1.0), slow = 2.0 / (30.0 + 1.0), diff = fast - slow;
  double er = sum <= roc || TA_IS_ZERO(sum) ? 1.0 : fabs(roc / sum);
  double sc = er * diff + slow;
  return sc * sc;
}

static inline double kama_step(kama_st *s, double x) {
  int c = s->count;
  if (c < s->period) {
    if (c > 0) s->sum += fabs(s->prev - x);
    s->prev = x;
    s->count++;
    ta_ring_push(&s->win, x);
    return NAN;
  }
  double old = ta_ring_push(&s->win, x); /* x period bars back */
  double roc = x - old;
  if (c == s->period) {
    s->sum += fabs(s->prev - x);
    s->kama = s->prev;
    s->count++;
  } else {
    s->sum -= fabs(s->trail - old);
    s->sum += fabs(x - s->prev);
  }
  s->trail = old;
  double sc = kama_factor(s->sum, roc);
  s->kama = (x - s->kama) * sc + s->kama;
  s->prev = x;
  return s->kama;
}

int ta_kama_kernel(const double *in, size_t n, int period, double *out, cq_error *err) {
  kama_st s;
  int rc = kama_st_init(&s, period, err);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) out[i] = kama_step(&s, in[i]);
  kama_st_release(&s);
  return CQ_OK;
}

static double kama_upd(void *st, double x) {
  return kama_step(st, x);
}
static void kama_rel(void *st) {
  kama_st_release(st);
}

int ta_kama_ma_init(ta_ma *m, int period, cq_error *err) {
  kama_st *s = malloc(sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "kama: out of memory");
  int rc = kama_st_init(s, period, err);
  if (rc) {
    free(s);
    return rc;
  }
  *m = (ta_ma){.update = kama_upd, .release = kama_rel, .st = s};
  return CQ_OK;
}

static int kama_lookback(const double *p) {
  return (int)p[0];
}
static int kama_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  return ta_kama_kernel(in->v[0], in->n, (int)p[0], out[0], err);
}
static int kama_init(void *st, const double *p, cq_error *err) {
  return kama_st_init(st, (int)p[0], err);
}
static void kama_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = kama_step(st, in[0]);
}
static void kama_release(void *st) {
  kama_st_release(st);
}

const cq_ta_def ta_def_kama = {
    .name = "kama",
    .title = "Kaufman Adaptive Moving Average",
    .group = "overlap",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 1,
    .params = {TA_PERIOD(30)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = kama_lookback,
    .batch = kama_batch,
    .state_size = sizeof(kama_st),
    .init = kama_init,
    .update = kama_update,
    .release = kama_release,
};

int cq_ta_kama_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_kama, p);
}
int cq_ta_kama(const double *in, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  return ta_call1(&ta_def_kama, p, in, n, out, err);
}
