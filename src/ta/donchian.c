/* Donchian channels: the highest high and the lowest low of the last period bars, the
 * current bar included, and their midpoint. A NaN high or low inside the window makes the
 * three outputs NaN while it is in the window. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_donchian;

typedef ta_hilo donchian_st;

static int donchian_init(void *st, const double *p, cq_error *err) {
  return ta_hilo_init(st, (int)p[0], err);
}
static void donchian_release(void *st) {
  ta_hilo_release(st);
}
static inline void donchian_step(donchian_st *s, double h, double l, double *up, double *mid,
                                 double *dn) {
  double hh, ll;
  ta_hilo_push(s, h, l, &hh, &ll);
  *up = hh;
  *dn = ll;
  *mid = (hh + ll) / 2.0;
}
static void donchian_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  donchian_step(st, in[0], in[1], &out[0], &out[1], &out[2]);
}
static int donchian_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  donchian_st s;
  int rc = donchian_init(&s, p, err);
  if (rc) return rc;
  const double *h = in->v[0], *l = in->v[1];
  double *up = out[0], *mid = out[1], *dn = out[2];
  for (size_t i = 0; i < in->n; i++) donchian_step(&s, h[i], l[i], &up[i], &mid[i], &dn[i]);
  donchian_release(&s);
  return CQ_OK;
}

const cq_ta_def ta_def_donchian = {
    .name = "donchian",
    .title = "Donchian Channels",
    .group = "crypto",
    .n_inputs = 2,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW},
    .n_params = 1,
    .params = {TA_PERIOD(20)},
    .n_outputs = 3,
    .outputs = {"upper", "middle", "lower"},
    .lookback = ta_lookback_period_minus_1,
    .batch = donchian_batch,
    .state_size = sizeof(donchian_st),
    .init = donchian_init,
    .update = donchian_update,
    .release = donchian_release,
};

int cq_ta_donchian_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_donchian, p);
}
int cq_ta_donchian(const double *high, const double *low, size_t n, int period, double *upper,
                   double *middle, double *lower, cq_error *err) {
  const double p[] = {period};
  cq_ta_in x = {.v = {high, low}, .n = n};
  double *o[] = {upper, middle, lower};
  return cq_ta_run(&ta_def_donchian, p, &x, o, err);
}
