/* CORREL, Pearson's correlation coefficient of two series over the period (TA-Lib's running
 * sums: drop the oldest bar, then add the new one; 0 where a variance is below 1e-14). */
#include "ta_internal.h"

typedef struct correl_sums {
  double x, y, xy, x2, y2;
} correl_sums;

static inline void sums_add(correl_sums *s, double x, double y) {
  s->x += x;
  s->x2 += x * x;
  s->xy += x * y;
  s->y += y;
  s->y2 += y * y;
}
static inline void sums_drop(correl_sums *s, double x, double y) {
  s->x -= x;
  s->x2 -= x * x;
  s->xy -= x * y;
  s->y -= y;
  s->y2 -= y * y;
}
static inline double correl_of(const correl_sums *s, double p) {
  double d = (s->x2 - ((s->x * s->x) / p)) * (s->y2 - ((s->y * s->y) / p));
  return !TA_IS_ZERO_OR_NEG(d) ? (s->xy - ((s->x * s->y) / p)) / sqrt(d) : 0.0;
}

static int correl_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  const double *x = in->v[0], *y = in->v[1];
  double *o = out[0];
  size_t n = in->n, period = (size_t)p[0], lb = period - 1;
  double dp = p[0];
  correl_sums s = {0};
  size_t i = 0;
  for (; i < lb && i < n; i++) {
    sums_add(&s, x[i], y[i]);
    o[i] = NAN;
  }
  if (i >= n) return CQ_OK;
  sums_add(&s, x[i], y[i]);
  o[i] = correl_of(&s, dp);
  for (i++; i < n; i++) {
    sums_drop(&s, x[i - period], y[i - period]);
    sums_add(&s, x[i], y[i]);
    o[i] = correl_of(&s, dp);
  }
  return CQ_OK;
}

typedef struct correl_st {
  ta_ring x, y; /* the last period values */
  correl_sums s;
  double period;
} correl_st;

static void correl_release(void *st) {
  correl_st *s = st;
  ta_ring_release(&s->x);
  ta_ring_release(&s->y);
}
static int correl_init(void *st, const double *p, cq_error *err) {
  correl_st *s = st;
  *s = (correl_st){.period = p[0]};
  int rc = ta_ring_init(&s->x, (int)p[0], err);
  if (!rc && (rc = ta_ring_init(&s->y, (int)p[0], err))) correl_release(s);
  return rc;
}
static void correl_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  correl_st *s = st;
  if (s->x.len == s->x.cap)
    sums_drop(&s->s, ta_ring_back(&s->x, s->x.len - 1), ta_ring_back(&s->y, s->y.len - 1));
  bool ready = s->x.len >= s->x.cap - 1;
  ta_ring_push(&s->x, in[0]);
  ta_ring_push(&s->y, in[1]);
  sums_add(&s->s, in[0], in[1]);
  out[0] = ready ? correl_of(&s->s, s->period) : NAN;
}

const cq_ta_def ta_def_correl = {
    .name = "correl",
    .title = "Pearson's Correlation Coefficient (r)",
    .group = "statistic",
    .n_inputs = 2,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW},
    .any_series = true,
    .n_params = 1,
    .params = {{.name = "period",
                .help = "bars in the window",
                .def = 30,
                .min = 1,
                .max = 100000,
                .integer = true}},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ta_lookback_period_minus_1,
    .batch = correl_batch,
    .state_size = sizeof(correl_st),
    .init = correl_init,
    .update = correl_update,
    .release = correl_release,
};

int cq_ta_correl_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_correl, p);
}
int cq_ta_correl(const double *x, const double *y, size_t n, int period, double *out,
                 cq_error *err) {
  const double p[] = {period};
  cq_ta_in in = {.v = {x, y}, .n = n};
  return cq_ta_run(&ta_def_correl, p, &in, &out, err);
}
