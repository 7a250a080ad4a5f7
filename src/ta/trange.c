/* TRANGE, the true range: the greatest of high - low and the distances from the previous
 * close to the high and to the low. Lookback 1. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_trange;

static int trange_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)p;
  (void)err;
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2];
  double *o = out[0];
  o[0] = NAN;
  for (size_t i = 1; i < in->n; i++) o[i] = ta_true_range(h[i], l[i], c[i - 1]);
  return CQ_OK;
}

typedef struct trange_st {
  double prev_close;
  bool started;
} trange_st;

static int trange_init(void *st, const double *p, cq_error *err) {
  (void)p;
  (void)err;
  *(trange_st *)st = (trange_st){0};
  return CQ_OK;
}
static void trange_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  trange_st *s = st;
  out[0] = s->started ? ta_true_range(in[0], in[1], s->prev_close) : NAN;
  s->prev_close = in[2];
  s->started = true;
}
static int trange_lookback(const double *p) {
  (void)p;
  return 1;
}

const cq_ta_def ta_def_trange = {
    .name = "trange",
    .title = "True Range",
    .group = "volatility",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = trange_lookback,
    .batch = trange_batch,
    .state_size = sizeof(trange_st),
    .init = trange_init,
    .update = trange_update,
};

int cq_ta_trange_lookback(void) {
  return 1;
}
int cq_ta_trange(const double *high, const double *low, const double *close, size_t n, double *out,
                 cq_error *err) {
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  return cq_ta_run(&ta_def_trange, NULL, &x, &out, err);
}
