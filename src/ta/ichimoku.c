/* Ichimoku Kinko Hyo, as known at each bar (nothing looks ahead):
 *   tenkan[i]   = (highest high + lowest low) / 2 over the last `tenkan` bars
 *   kijun[i]    = the same over the last `kijun` bars
 *   senkou_a[i] = (tenkan[i - d] + kijun[i - d]) / 2     d = displacement
 *   senkou_b[i] = (highest high + lowest low) / 2 over the `senkou_b` bars ending at i - d
 * i.e. the cloud plotted at bar i, computed d bars earlier. There is no chikou span: it is
 * the close plotted d bars back, so at bar i it would need the close of bar i + d. Each
 * output starts at its own first value (tenkan - 1, kijun - 1, max(tenkan, kijun) - 1 + d,
 * senkou_b - 1 + d); the lookback is the earliest of them. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_ichimoku;

typedef struct ichimoku_st {
  ta_hilo tenkan, kijun, senkou;
  ta_ring span_a, span_b; /* the last d raw spans */
} ichimoku_st;

static void ichimoku_release(void *st) {
  ichimoku_st *s = st;
  ta_hilo_release(&s->tenkan);
  ta_hilo_release(&s->kijun);
  ta_hilo_release(&s->senkou);
  ta_ring_release(&s->span_a);
  ta_ring_release(&s->span_b);
}

static int ichimoku_init(void *st, const double *p, cq_error *err) {
  ichimoku_st *s = st;
  *s = (ichimoku_st){0};
  int rc;
  if ((rc = ta_hilo_init(&s->tenkan, (int)p[0], err)) ||
      (rc = ta_hilo_init(&s->kijun, (int)p[1], err)) ||
      (rc = ta_hilo_init(&s->senkou, (int)p[2], err)) ||
      (rc = ta_ring_init(&s->span_a, (int)p[3], err)) ||
      (rc = ta_ring_init(&s->span_b, (int)p[3], err)))
    ichimoku_release(s);
  return rc;
}

static inline void ichimoku_step(ichimoku_st *s, double h, double l, double *tenkan, double *kijun,
                                 double *span_a, double *span_b) {
  double hh, ll;
  ta_hilo_push(&s->tenkan, h, l, &hh, &ll);
  double t = (hh + ll) / 2.0;
  ta_hilo_push(&s->kijun, h, l, &hh, &ll);
  double k = (hh + ll) / 2.0;
  ta_hilo_push(&s->senkou, h, l, &hh, &ll);
  *tenkan = t;
  *kijun = k;
  *span_a = ta_ring_push(&s->span_a, (t + k) / 2.0);
  *span_b = ta_ring_push(&s->span_b, (hh + ll) / 2.0);
}
static void ichimoku_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  ichimoku_step(st, in[0], in[1], &out[0], &out[1], &out[2], &out[3]);
}
static int ichimoku_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  ichimoku_st s;
  int rc = ichimoku_init(&s, p, err);
  if (rc) return rc;
  const double *h = in->v[0], *l = in->v[1];
  for (size_t i = 0; i < in->n; i++)
    ichimoku_step(&s, h[i], l[i], &out[0][i], &out[1][i], &out[2][i], &out[3][i]);
  ichimoku_release(&s);
  return CQ_OK;
}
static int ichimoku_lookback(const double *p) {
  int t = (int)p[0] - 1, k = (int)p[1] - 1, b = (int)p[2] - 1, d = (int)p[3];
  int a = (t > k ? t : k) + d;
  int lb = t < k ? t : k;
  if (a < lb) lb = a;
  if (b + d < lb) lb = b + d;
  return lb;
}

#define ICHIMOKU_PERIOD(nm, dflt, hlp) \
  { .name = nm, .help = hlp, .def = (dflt), .min = 1, .max = 100000, .integer = true }

const cq_ta_def ta_def_ichimoku = {
    .name = "ichimoku",
    .title = "Ichimoku Kinko Hyo (no chikou span)",
    .group = "crypto",
    .n_inputs = 2,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW},
    .n_params = 4,
    .params = {ICHIMOKU_PERIOD("tenkan", 9, "bars in the conversion line"),
               ICHIMOKU_PERIOD("kijun", 26, "bars in the base line"),
               ICHIMOKU_PERIOD("senkou_b", 52, "bars in leading span B"),
               ICHIMOKU_PERIOD("displacement", 26, "bars the leading spans are shifted forward")},
    .n_outputs = 4,
    .outputs = {"tenkan", "kijun", "senkou_a", "senkou_b"},
    .lookback = ichimoku_lookback,
    .batch = ichimoku_batch,
    .state_size = sizeof(ichimoku_st),
    .init = ichimoku_init,
    .update = ichimoku_update,
    .release = ichimoku_release,
};

int cq_ta_ichimoku_lookback(int tenkan, int kijun, int senkou_b, int displacement) {
  const double p[] = {tenkan, kijun, senkou_b, displacement};
  return ta_lookback_or_neg(&ta_def_ichimoku, p);
}
int cq_ta_ichimoku(const double *high, const double *low, size_t n, int tenkan, int kijun,
                   int senkou_b, int displacement, double *tenkan_out, double *kijun_out,
                   double *senkou_a_out, double *senkou_b_out, cq_error *err) {
  const double p[] = {tenkan, kijun, senkou_b, displacement};
  cq_ta_in x = {.v = {high, low}, .n = n};
  double *o[] = {tenkan_out, kijun_out, senkou_a_out, senkou_b_out};
  return cq_ta_run(&ta_def_ichimoku, p, &x, o, err);
}
