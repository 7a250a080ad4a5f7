/* ULTOSC, the ultimate oscillator: buying pressure (close - min(low, previous close)) over the
 * true range, summed over three periods (sorted, the shortest weighted 4, the middle 2, the
 * longest 1); 100 * weighted sum / 7. As TA-Lib, each period's sums start at bar
 * longest - period + 1 and a sum whose range total is zero (|x| < 1e-8) adds nothing. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_ultosc;

typedef struct ultosc_st {
  double *a, *b; /* the terms of the last maxp bars, slot bar % maxp */
  double sa[3], sb[3], prev_close;
  int64_t bar;
  int p[3], maxp; /* p: shortest first */
} ultosc_st;

static int ultosc_lookback(const double *p) {
  double m = p[0] > p[1] ? p[0] : p[1];
  return (int)(m > p[2] ? m : p[2]);
}
static int ultosc_init(void *st, const double *p, cq_error *err) {
  ultosc_st *s = st;
  *s = (ultosc_st){.maxp = ultosc_lookback(p)};
  int q[3] = {(int)p[0], (int)p[1], (int)p[2]};
  /* sort ascending */
  for (int i = 0; i < 3; i++)
    for (int j = i + 1; j < 3; j++)
      if (q[j] < q[i]) {
        int t = q[i];
        q[i] = q[j];
        q[j] = t;
      }
  for (int i = 0; i < 3; i++) s->p[i] = q[i];
  s->a = malloc((size_t)s->maxp * 2 * sizeof(double));
  if (!s->a)
    return cq_error_set(err, CQ_ENOMEM, "ultosc: window of %d bars: out of memory", s->maxp);
  s->b = s->a + s->maxp;
  return CQ_OK;
}
static void ultosc_release(void *st) {
  ultosc_st *s = st;
  free(s->a);
  s->a = s->b = NULL;
}
static inline double ultosc_step(ultosc_st *s, double h, double l, double c) {
  const int64_t t = s->bar++, m = s->maxp;
  if (t == 0) {
    s->prev_close = c;
    return NAN;
  }
  double yc = s->prev_close;
  s->prev_close = c;
  double true_low = l < yc ? l : yc;
  double a = c - true_low, b = ta_true_range(h, l, yc);
  s->a[t % m] = a;
  s->b[t % m] = b;
  for (int k = 0; k < 3; k++)
    if (t >= m - s->p[k] + 1) {
      s->sa[k] += a;
      s->sb[k] += b;
    }
  if (t < m) return NAN;
  double out = 0.0;
  if (!ta_is_zero(s->sb[0])) out += 4.0 * (s->sa[0] / s->sb[0]);
  if (!ta_is_zero(s->sb[1])) out += 2.0 * (s->sa[1] / s->sb[1]);
  if (!ta_is_zero(s->sb[2])) out += s->sa[2] / s->sb[2];
  for (int k = 0; k < 3; k++) {
    int64_t old = (t - s->p[k] + 1) % m;
    s->sa[k] -= s->a[old];
    s->sb[k] -= s->b[old];
  }
  return 100.0 * (out / 7.0);
}
static void ultosc_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = ultosc_step(st, in[0], in[1], in[2]);
}
static int ultosc_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  ultosc_st s;
  int rc = ultosc_init(&s, p, err);
  if (rc) return rc;
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = ultosc_step(&s, h[i], l[i], c[i]);
  ultosc_release(&s);
  return CQ_OK;
}

#define ULTOSC_P(nm, dflt)                                                                         \
  {                                                                                                \
    .name = (nm), .help = "bars in one of the three sums", .def = (dflt), .min = 1, .max = 100000, \
    .integer = true                                                                                \
  }

const cq_ta_def ta_def_ultosc = {
    .name = "ultosc",
    .title = "Ultimate Oscillator",
    .group = "momentum",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 3,
    .params = {ULTOSC_P("timeperiod1", 7), ULTOSC_P("timeperiod2", 14),
               ULTOSC_P("timeperiod3", 28)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ultosc_lookback,
    .batch = ultosc_batch,
    .state_size = sizeof(ultosc_st),
    .init = ultosc_init,
    .update = ultosc_update,
    .release = ultosc_release,
};

int cq_ta_ultosc_lookback(int timeperiod1, int timeperiod2, int timeperiod3) {
  const double p[] = {timeperiod1, timeperiod2, timeperiod3};
  return ta_lookback_or_neg(&ta_def_ultosc, p);
}
int cq_ta_ultosc(const double *high, const double *low, const double *close, size_t n,
                 int timeperiod1, int timeperiod2, int timeperiod3, double *out, cq_error *err) {
  const double p[] = {timeperiod1, timeperiod2, timeperiod3};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  return cq_ta_run(&ta_def_ultosc, p, &x, &out, err);
}
