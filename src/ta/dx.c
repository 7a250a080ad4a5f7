/* DX, the directional movement index: 100 * |-DI - +DI| / (-DI + +DI) on Wilder's smoothed
 * DM and TR (ta_dm_st); when TR or the DI sum is zero, 0 at the first value and the previous
 * value afterwards, as TA-Lib. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_dx;

typedef struct dx_st {
  ta_dm_st dm;
  double last;
  int started;
} dx_st;

static int dx_init(void *st, const double *p, cq_error *err) {
  (void)err;
  dx_st *s = st;
  *s = (dx_st){0};
  ta_dm_init(&s->dm, (int)p[0]);
  return CQ_OK;
}
static inline double dx_step(dx_st *s, double h, double l, double c) {
  if (!ta_dm_update(&s->dm, h, l, c)) return NAN;
  double dx;
  if (ta_dx_value(&s->dm, &dx))
    s->last = dx;
  else if (!s->started)
    s->last = 0.0;
  s->started = 1;
  return s->last;
}
static void dx_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = dx_step(st, in[0], in[1], in[2]);
}
static int dx_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  dx_st s;
  dx_init(&s, p, err);
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = dx_step(&s, h[i], l[i], c[i]);
  return CQ_OK;
}
static int dx_lookback(const double *p) {
  return (int)p[0];
}

const cq_ta_def ta_def_dx = {
    .name = "dx",
    .title = "Directional Movement Index",
    .group = "momentum",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = dx_lookback,
    .batch = dx_batch,
    .state_size = sizeof(dx_st),
    .init = dx_init,
    .update = dx_update,
};

int cq_ta_dx_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_dx, p);
}
int cq_ta_dx(const double *high, const double *low, const double *close, size_t n, int period,
             double *out, cq_error *err) {
  const double p[] = {period};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  return cq_ta_run(&ta_def_dx, p, &x, &out, err);
}
