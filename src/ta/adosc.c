/* ADOSC, the Chaikin A/D oscillator: EMA(fast) - EMA(slow) of the A/D line. As TA-Lib, both
 * EMAs start at the first A/D value (not at a mean) and run through the lookback
 * max(fast, slow) - 1 before the first output; k = 2 / (period + 1). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_adosc;

typedef struct adosc_st {
  double ad, fast, slow, fk, fk1, sk, sk1;
  int lookback, seen; /* seen: bars so far, capped at lookback + 1 */
} adosc_st;

static void adosc_setup(adosc_st *s, const double *p) {
  int fast = (int)p[0], slow = (int)p[1];
  *s = (adosc_st){.lookback = (fast > slow ? fast : slow) - 1};
  s->fk = 2.0 / ((double)fast + 1.0);
  s->fk1 = 1.0 - s->fk;
  s->sk = 2.0 / ((double)slow + 1.0);
  s->sk1 = 1.0 - s->sk;
}

static inline double adosc_step(adosc_st *s, double h, double l, double c, double v) {
  s->ad = ta_ad_step(s->ad, h, l, c, v);
  if (s->seen == 0) {
    s->fast = s->slow = s->ad;
  } else {
    s->fast = s->fk * s->ad + s->fk1 * s->fast;
    s->slow = s->sk * s->ad + s->sk1 * s->slow;
  }
  if (s->seen < s->lookback) {
    s->seen++;
    return NAN;
  }
  s->seen = s->lookback + 1;
  return s->fast - s->slow;
}

static int adosc_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  adosc_st s;
  adosc_setup(&s, p);
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2], *v = in->v[3];
  double *o = out[0];
  for (size_t i = 0; i < in->n; i++) o[i] = adosc_step(&s, h[i], l[i], c[i], v[i]);
  return CQ_OK;
}
static int adosc_init(void *st, const double *p, cq_error *err) {
  (void)err;
  adosc_setup(st, p);
  return CQ_OK;
}
static void adosc_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = adosc_step(st, in[0], in[1], in[2], in[3]);
}
static int adosc_lookback(const double *p) {
  int fast = (int)p[0], slow = (int)p[1];
  return (fast > slow ? fast : slow) - 1;
}

const cq_ta_def ta_def_adosc = {
    .name = "adosc",
    .title = "Chaikin A/D Oscillator",
    .group = "volume",
    .n_inputs = 4,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE, CQ_TA_VOLUME},
    .n_params = 2,
    .params = {{.name = "fastperiod",
                .help = "bars in the fast EMA",
                .def = 3,
                .min = 2,
                .max = 100000,
                .integer = true},
               {.name = "slowperiod",
                .help = "bars in the slow EMA",
                .def = 10,
                .min = 2,
                .max = 100000,
                .integer = true}},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = adosc_lookback,
    .batch = adosc_batch,
    .state_size = sizeof(adosc_st),
    .init = adosc_init,
    .update = adosc_update,
};

int cq_ta_adosc_lookback(int fastperiod, int slowperiod) {
  const double p[] = {fastperiod, slowperiod};
  return ta_lookback_or_neg(&ta_def_adosc, p);
}
int cq_ta_adosc(const double *high, const double *low, const double *close, const double *volume,
                size_t n, int fastperiod, int slowperiod, double *out, cq_error *err) {
  const double p[] = {fastperiod, slowperiod};
  cq_ta_in x = {.v = {high, low, close, volume}, .n = n};
  return cq_ta_run(&ta_def_adosc, p, &x, &out, err);
}
