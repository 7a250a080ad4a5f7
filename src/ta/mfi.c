/* MFI, the Money Flow Index: positive and negative money flow (typical price * volume, by the
 * sign of the typical price's change) summed over the last period bars;
 * 100 * pos / (pos + neg), 0 when the sum is below 1 (as TA-Lib). */
#include <assert.h>

#include "ta_internal.h"

extern const cq_ta_def ta_def_mfi;

typedef struct mfi_st {
  double *pos, *neg; /* the flows of the last period bars, slot by slot */
  double prev, psum, nsum;
  int period, idx, seen; /* seen: bars so far, capped at period + 1 */
} mfi_st;

static int mfi_init(void *st, const double *p, cq_error *err) {
  mfi_st *s = st;
  *s = (mfi_st){.period = (int)p[0]};
  double *w = calloc((size_t)s->period * 2, sizeof(double));
  if (!w || s->period < 1) {
    free(w);
    return cq_error_set(err, CQ_ENOMEM, "mfi: window of %d values: out of memory", s->period);
  }
  s->pos = w;
  s->neg = w + s->period;
  return CQ_OK;
}
static void mfi_release(void *st) {
  mfi_st *s = st;
  free(s->pos);
  s->pos = s->neg = NULL;
}
static inline double mfi_step(mfi_st *s, double h, double l, double c, double v) {
  assert(s->pos && s->neg); /* mfi_init allocated them */
  double tp = (h + l + c) / 3.0;
  if (s->seen == 0) {
    s->prev = tp;
    s->seen = 1;
    return NAN;
  }
  const int ready = s->seen > s->period;
  if (ready) {
    s->psum -= s->pos[s->idx];
    s->nsum -= s->neg[s->idx];
  }
  double d = tp - s->prev;
  s->prev = tp;
  double mf = tp * v;
  if (d < 0) {
    s->neg[s->idx] = mf;
    s->nsum += mf;
    s->pos[s->idx] = 0.0;
  } else if (d > 0) {
    s->pos[s->idx] = mf;
    s->psum += mf;
    s->neg[s->idx] = 0.0;
  } else {
    s->pos[s->idx] = 0.0;
    s->neg[s->idx] = 0.0;
  }
  if (++s->idx == s->period) s->idx = 0;
  if (!ready && s->seen++ < s->period) return NAN;
  double t = s->psum + s->nsum;
  return t < 1.0 ? 0.0 : 100.0 * (s->psum / t);
}
static void mfi_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = mfi_step(st, in[0], in[1], in[2], in[3]);
}
static int mfi_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  mfi_st s;
  int rc = mfi_init(&s, p, err);
  if (rc) return rc;
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2], *v = in->v[3];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = mfi_step(&s, h[i], l[i], c[i], v[i]);
  mfi_release(&s);
  return CQ_OK;
}
static int mfi_lookback(const double *p) {
  return (int)p[0];
}

const cq_ta_def ta_def_mfi = {
    .name = "mfi",
    .title = "Money Flow Index",
    .group = "momentum",
    .n_inputs = 4,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE, CQ_TA_VOLUME},
    .n_params = 1,
    .params = {TA_PERIOD(14)},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = mfi_lookback,
    .batch = mfi_batch,
    .state_size = sizeof(mfi_st),
    .init = mfi_init,
    .update = mfi_update,
    .release = mfi_release,
};

int cq_ta_mfi_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_mfi, p);
}
int cq_ta_mfi(const double *high, const double *low, const double *close, const double *volume,
              size_t n, int period, double *out, cq_error *err) {
  const double p[] = {period};
  cq_ta_in x = {.v = {high, low, close, volume}, .n = n};
  return cq_ta_run(&ta_def_mfi, p, &x, &out, err);
}
