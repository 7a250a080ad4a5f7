/* VWAP, the volume-weighted average of the typical price (high + low + close) / 3 since the
 * start of the current session: cumulative typical price x volume over cumulative volume,
 * both reset when a bar opens in a new session. The anchor chooses the session: 0 the UTC
 * day, 1 the week from Monday 00:00 UTC, 2 the calendar month, 3 never reset. While the
 * session's cumulative volume is 0 the value is the bar's typical price. Bars are placed by
 * their open time; a bar whose time goes back before the current session starts one. A NaN
 * price or volume carries on to the end of its session (the sums hold it). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_vwap;

typedef struct vwap_st {
  cq_timeframe tf;
  bool anchored, started;
  cq_time start, next; /* the current session is [start, next) */
  double pv, vol;
} vwap_st;

static void vwap_setup(vwap_st *s, const double *p) {
  static const cq_tf_unit units[] = {CQ_TF_DAY, CQ_TF_WEEK, CQ_TF_MONTH};
  int anchor = (int)p[0];
  *s = (vwap_st){.anchored = anchor < CQ_TA_ANCHOR_NONE};
  if (s->anchored) s->tf = (cq_timeframe){.n = 1, .unit = units[anchor]};
}

static inline double vwap_step(vwap_st *s, cq_time t, double h, double l, double c, double v) {
  if (!s->started || (s->anchored && (t >= s->next || t < s->start))) {
    s->started = true;
    s->pv = s->vol = 0.0;
    if (s->anchored) {
      s->start = cq_timeframe_floor(s->tf, t);
      s->next = cq_timeframe_next(s->tf, t);
    }
  }
  double tp = (h + l + c) / 3.0;
  s->pv += tp * v;
  s->vol += v;
  return s->vol != 0.0 ? s->pv / s->vol : tp;
}

static int vwap_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  vwap_st s;
  vwap_setup(&s, p);
  const cq_time *t = in->time;
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2], *v = in->v[3];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = vwap_step(&s, t[i], h[i], l[i], c[i], v[i]);
  return CQ_OK;
}
static int vwap_init(void *st, const double *p, cq_error *err) {
  (void)err;
  vwap_setup(st, p);
  return CQ_OK;
}
static void vwap_update(void *st, cq_time t, const double *in, double *out) {
  out[0] = vwap_step(st, t, in[0], in[1], in[2], in[3]);
}
static int vwap_lookback(const double *p) {
  (void)p;
  return 0;
}

const cq_ta_def ta_def_vwap = {
    .name = "vwap",
    .title = "Volume Weighted Average Price (session-anchored)",
    .group = "volume",
    .n_inputs = 4,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE, CQ_TA_VOLUME},
    .needs_time = true,
    .n_params = 1,
    .params = {{.name = "anchor",
                .help = "session: 0 UTC day, 1 week (Monday), 2 calendar month, 3 never reset",
                .def = CQ_TA_ANCHOR_DAY,
                .min = CQ_TA_ANCHOR_DAY,
                .max = CQ_TA_ANCHOR_NONE,
                .integer = true}},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = vwap_lookback,
    .batch = vwap_batch,
    .state_size = sizeof(vwap_st),
    .init = vwap_init,
    .update = vwap_update,
};

int cq_ta_vwap_lookback(int anchor) {
  const double p[] = {anchor};
  return ta_lookback_or_neg(&ta_def_vwap, p);
}
int cq_ta_vwap(const cq_time *time, const double *high, const double *low, const double *close,
               const double *volume, size_t n, int anchor, double *out, cq_error *err) {
  const double p[] = {anchor};
  cq_ta_in x = {.time = time, .v = {high, low, close, volume}, .n = n};
  return cq_ta_run(&ta_def_vwap, p, &x, &out, err);
}
