/* OBV, on-balance volume: starts at the first bar's volume, then adds the volume of a bar
 * that closes higher than the one before and subtracts that of one closing lower. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_obv;

typedef struct obv_st {
  double obv, prev;
  bool started;
} obv_st;

static inline double obv_step(obv_st *s, double x, double vol) {
  if (!s->started) { /* TA-Lib: the running total starts at the first volume */
    s->started = true;
    s->obv = vol;
    s->prev = x;
  }
  if (x > s->prev)
    s->obv += vol;
  else if (x < s->prev)
    s->obv -= vol;
  s->prev = x;
  return s->obv;
}

static int obv_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)p;
  (void)err;
  obv_st s = {0};
  const double *x = in->v[0], *v = in->v[1];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = obv_step(&s, x[i], v[i]);
  return CQ_OK;
}
static int obv_init(void *st, const double *p, cq_error *err) {
  (void)p;
  (void)err;
  *(obv_st *)st = (obv_st){0};
  return CQ_OK;
}
static void obv_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = obv_step(st, in[0], in[1]);
}
static int obv_lookback(const double *p) {
  (void)p;
  return 0;
}

const cq_ta_def ta_def_obv = {
    .name = "obv",
    .title = "On Balance Volume",
    .group = "volume",
    .n_inputs = 2,
    .inputs = {CQ_TA_CLOSE, CQ_TA_VOLUME},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = obv_lookback,
    .batch = obv_batch,
    .state_size = sizeof(obv_st),
    .init = obv_init,
    .update = obv_update,
};

int cq_ta_obv_lookback(void) {
  return 0;
}
int cq_ta_obv(const double *close, const double *volume, size_t n, double *out, cq_error *err) {
  cq_ta_in x = {.v = {close, volume}, .n = n};
  return cq_ta_run(&ta_def_obv, NULL, &x, &out, err);
}
