/* BETA, the beta of the first series against the second over the period, as TA-Lib: on the
 * 1-bar returns (x - prev) / prev of each series (0 where prev is within 1e-14 of 0), the
 * least-squares slope (n Sxy - Sx Sy) / (n Sxx - Sx^2), 0 where the denominator is near 0. */
#include "ta_internal.h"

static inline double ret_of(double x, double prev) {
  return !TA_IS_ZERO(prev) ? (x - prev) / prev : 0.0;
}

typedef struct beta_sums {
  double xx, x, xy, y;
} beta_sums;

static inline void beta_add(beta_sums *s, double x, double y) {
  s->xx += x * x;
  s->x += x;
  s->xy += x * y;
  s->y += y;
}
static inline void beta_drop(beta_sums *s, double x, double y) {
  s->xx -= x * x;
  s->x -= x;
  s->xy -= x * y;
  s->y -= y;
}
static inline double beta_of(const beta_sums *s, double n) {
  double d = (n * s->xx) - (s->x * s->x);
  return !TA_IS_ZERO(d) ? ((n * s->xy) - (s->x * s->y)) / d : 0.0;
}

static int beta_lookback(const double *p) {
  return (int)p[0];
}

static int beta_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  const double *px = in->v[0], *py = in->v[1];
  double *o = out[0];
  size_t n = in->n, period = (size_t)p[0];
  double dn = p[0];
  beta_sums s = {0};
  ta_nan(o, 0, period < n ? period : n);
  if (n <= period) return CQ_OK;
  for (size_t i = 1; i < period; i++)
    beta_add(&s, ret_of(px[i], px[i - 1]), ret_of(py[i], py[i - 1]));
  for (size_t i = period; i < n; i++) {
    beta_add(&s, ret_of(px[i], px[i - 1]), ret_of(py[i], py[i - 1]));
    size_t t = i - period + 1; /* the oldest return in the window */
    double tx = ret_of(px[t], px[t - 1]), ty = ret_of(py[t], py[t - 1]);
    o[i] = beta_of(&s, dn);
    beta_drop(&s, tx, ty);
  }
  return CQ_OK;
}

typedef struct beta_st {
  ta_ring rx, ry; /* the last period returns */
  beta_sums s;
  double px, py, n;
  int count;
} beta_st;

static void beta_release(void *st) {
  beta_st *s = st;
  ta_ring_release(&s->rx);
  ta_ring_release(&s->ry);
}
static int beta_init(void *st, const double *p, cq_error *err) {
  beta_st *s = st;
  *s = (beta_st){.n = p[0]};
  int rc = ta_ring_init(&s->rx, (int)p[0], err);
  if (!rc && (rc = ta_ring_init(&s->ry, (int)p[0], err))) beta_release(s);
  return rc;
}
static void beta_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  beta_st *s = st;
  out[0] = NAN;
  if (s->count++ == 0) {
    s->px = in[0];
    s->py = in[1];
    return;
  }
  double x = ret_of(in[0], s->px), y = ret_of(in[1], s->py);
  s->px = in[0];
  s->py = in[1];
  beta_add(&s->s, x, y);
  ta_ring_push(&s->rx, x);
  ta_ring_push(&s->ry, y);
  if (s->rx.len < s->rx.cap) return;
  out[0] = beta_of(&s->s, s->n);
  /* the oldest return leaves the window */
  beta_drop(&s->s, ta_ring_back(&s->rx, s->rx.len - 1), ta_ring_back(&s->ry, s->ry.len - 1));
}

const cq_ta_def ta_def_beta = {
    .name = "beta",
    .title = "Beta",
    .group = "statistic",
    .n_inputs = 2,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW},
    .any_series = true,
    .n_params = 1,
    .params = {{.name = "period",
                .help = "returns in the window",
                .def = 5,
                .min = 1,
                .max = 100000,
                .integer = true}},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = beta_lookback,
    .batch = beta_batch,
    .state_size = sizeof(beta_st),
    .init = beta_init,
    .update = beta_update,
    .release = beta_release,
};

int cq_ta_beta_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_beta, p);
}
int cq_ta_beta(const double *x, const double *y, size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  cq_ta_in in = {.v = {x, y}, .n = n};
  return cq_ta_run(&ta_def_beta, p, &in, &out, err);
}
