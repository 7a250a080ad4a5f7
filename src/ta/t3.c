/* T3, Tillson's moving average: six EMAs in a chain, each seeded with the mean of its
 * first period inputs (TA-Lib's seeding), combined with weights from the volume factor. */
#include "ta_internal.h"

typedef struct t3_st {
  double e[6], sum, k, one_minus_k, c1, c2, c3, c4;
  int period, stage, count; /* stage: the EMA being seeded (6 when all are running) */
} t3_st;

static void t3_st_init(t3_st *s, int period, double v) {
  double v2 = v * v;
  *s = (t3_st){.period = period};
  s->k = 2.0 / ((double)period + 1.0);
  s->one_minus_k = 1.0 - s->k;
  s->c1 = -v2 * v;
  s->c2 = 3.0 * (v2 - s->c1);
  s->c3 = -6.0 * v2 - 3.0 * (v - s->c1);
  s->c4 = 1.0 + 3.0 * v - s->c1 + 3.0 * v2;
}

static inline double t3_step(t3_st *s, double x) {
  const double k = s->k, mk = s->one_minus_k;
  int st = s->stage;
  if (st == 0) {
    s->sum += x;
    if (++s->count < s->period) return NAN;
    s->e[0] = s->sum / (double)s->period;
    s->sum = s->e[0];
    s->stage = 1;
    s->count = 0;
    return NAN;
  }
  /* the running EMAs: e[0] from x, each next from the one before */
  s->e[0] = (k * x) + (mk * s->e[0]);
  for (int j = 1; j < st; j++) s->e[j] = (k * s->e[j - 1]) + (mk * s->e[j]);
  if (st < 6) {
    s->sum += s->e[st - 1];
    if (++s->count < s->period - 1) return NAN;
    s->e[st] = s->sum / (double)s->period;
    s->sum = s->e[st];
    s->count = 0;
    if (++s->stage < 6) return NAN;
  }
  return s->c1 * s->e[5] + s->c2 * s->e[4] + s->c3 * s->e[3] + s->c4 * s->e[2];
}

void ta_t3_kernel(const double *in, size_t n, int period, double vfactor, double *out) {
  t3_st s;
  t3_st_init(&s, period, vfactor);
  for (size_t i = 0; i < n; i++) out[i] = t3_step(&s, in[i]);
}

static double t3_upd(void *st, double x) {
  return t3_step(st, x);
}

int ta_t3_ma_init(ta_ma *m, int period, double vfactor, cq_error *err) {
  t3_st *s = malloc(sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "t3: out of memory");
  t3_st_init(s, period, vfactor);
  *m = (ta_ma){.update = t3_upd, .st = s};
  return CQ_OK;
}

static int t3_lookback(const double *p) {
  return 6 * ((int)p[0] - 1);
}
static int t3_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  ta_t3_kernel(in->v[0], in->n, (int)p[0], p[1], out[0]);
  return CQ_OK;
}
static int t3_init(void *st, const double *p, cq_error *err) {
  (void)err;
  t3_st_init(st, (int)p[0], p[1]);
  return CQ_OK;
}
static void t3_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = t3_step(st, in[0]);
}

const cq_ta_def ta_def_t3 = {
    .name = "t3",
    .title = "Triple Exponential Moving Average (T3)",
    .group = "overlap",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 2,
    .params = {TA_PERIOD(5),
               {.name = "vfactor", .help = "volume factor", .def = 0.7, .min = 0, .max = 1}},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = t3_lookback,
    .batch = t3_batch,
    .state_size = sizeof(t3_st),
    .init = t3_init,
    .update = t3_update,
};

int cq_ta_t3_lookback(int period, double vfactor) {
  const double p[] = {period, vfactor};
  return ta_lookback_or_neg(&ta_def_t3, p);
}
int cq_ta_t3(const double *in, size_t n, int period, double vfactor, double *out, cq_error *err) {
  const double p[] = {period, vfactor};
  return ta_call1(&ta_def_t3, p, in, n, out, err);
}
