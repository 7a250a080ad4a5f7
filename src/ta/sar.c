/* SAR, Wilder's parabolic stop and reverse, as TA-Lib: the first bar only gives the initial
 * SAR (its low when long, its high when short); the direction comes from the -DM of the
 * second bar (short when positive). */
#include "ta_internal.h"

typedef struct sar_st {
  double accel, max, af, ep, sar, hi, lo; /* hi, lo: the previous bar */
  int count;
  bool is_long;
} sar_st;

static void sar_st_init(sar_st *s, double accel, double max) {
  if (accel > max) accel = max;
  *s = (sar_st){.accel = accel, .max = max, .af = accel};
}

static inline double sar_step(sar_st *s, double h, double l) {
  if (s->count == 0) {
    s->count = 1;
    s->hi = h;
    s->lo = l;
    return NAN;
  }
  if (s->count == 1) {
    s->count = 2;
    double up = h - s->hi, down = s->lo - l;
    double minus_dm = down > 0 && up < down ? down : 0.0;
    s->is_long = !(minus_dm > 0);
    if (s->is_long) {
      s->ep = h;
      s->sar = s->lo;
    } else {
      s->ep = l;
      s->sar = s->hi;
    }
    s->hi = h; /* the first step sees this bar as the previous one too */
    s->lo = l;
  }
  double ph = s->hi, pl = s->lo, sar = s->sar, out;
  s->hi = h;
  s->lo = l;
  if (s->is_long) {
    if (l <= sar) {
      s->is_long = false;
      sar = s->ep;
      if (sar < ph) sar = ph;
      if (sar < h) sar = h;
      out = sar;
      s->af = s->accel;
      s->ep = l;
      sar = sar + s->af * (s->ep - sar);
      if (sar < ph) sar = ph;
      if (sar < h) sar = h;
    } else {
      out = sar;
      if (h > s->ep) {
        s->ep = h;
        s->af += s->accel;
        if (s->af > s->max) s->af = s->max;
      }
      sar = sar + s->af * (s->ep - sar);
      if (sar > pl) sar = pl;
      if (sar > l) sar = l;
    }
  } else if (h >= sar) {
    s->is_long = true;
    sar = s->ep;
    if (sar > pl) sar = pl;
    if (sar > l) sar = l;
    out = sar;
    s->af = s->accel;
    s->ep = h;
    sar = sar + s->af * (s->ep - sar);
    if (sar > pl) sar = pl;
    if (sar > l) sar = l;
  } else {
    out = sar;
    if (l < s->ep) {
      s->ep = l;
      s->af += s->accel;
      if (s->af > s->max) s->af = s->max;
    }
    sar = sar + s->af * (s->ep - sar);
    if (sar < ph) sar = ph;
    if (sar < h) sar = h;
  }
  s->sar = sar;
  return out;
}

static int sar_lookback(const double *p) {
  (void)p;
  return 1;
}
static int sar_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  sar_st s;
  sar_st_init(&s, p[0], p[1]);
  const double *h = in->v[0], *l = in->v[1];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = sar_step(&s, h[i], l[i]);
  return CQ_OK;
}
static int sar_init(void *st, const double *p, cq_error *err) {
  (void)err;
  sar_st_init(st, p[0], p[1]);
  return CQ_OK;
}
static void sar_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = sar_step(st, in[0], in[1]);
}

const cq_ta_def ta_def_sar = {
    .name = "sar",
    .title = "Parabolic SAR",
    .group = "overlap",
    .n_inputs = 2,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW},
    .n_params = 2,
    .params = {{.name = "acceleration",
                .help = "acceleration factor step",
                .def = 0.02,
                .min = 0,
                .max = 1e6},
               {.name = "maximum",
                .help = "acceleration factor maximum",
                .def = 0.2,
                .min = 0,
                .max = 1e6}},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = sar_lookback,
    .batch = sar_batch,
    .state_size = sizeof(sar_st),
    .init = sar_init,
    .update = sar_update,
};

int cq_ta_sar_lookback(double acceleration, double maximum) {
  const double p[] = {acceleration, maximum};
  return ta_lookback_or_neg(&ta_def_sar, p);
}
int cq_ta_sar(const double *high, const double *low, size_t n, double acceleration, double maximum,
              double *out, cq_error *err) {
  const double p[] = {acceleration, maximum};
  cq_ta_in x = {.v = {high, low}, .n = n};
  return cq_ta_run(&ta_def_sar, p, &x, &out, err);
}
