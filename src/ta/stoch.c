/* STOCH, the slow stochastic, and the stochastic core shared with STOCHF and STOCHRSI (see
 * ta_stoch_st in ta_internal.h). As TA-Lib: the raw %K from bar fk - 1 on, each MA seeded on
 * the first values of its input. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_stoch;

int ta_stoch_lookback(int fk, int p1, int t1, int p2, int t2) {
  int a = ta_ma_lookback(t1, p1);
  int b = p2 ? ta_ma_lookback(t2, p2) : 0;
  if (a < 0 || b < 0) return -1;
  return fk - 1 + a + b;
}

int ta_stoch_init(ta_stoch_st *s, int fk, int p1, int t1, int p2, int t2, cq_error *err) {
  *s = (ta_stoch_st){.fk = fk, .two = p2 != 0};
  int rc = ta_extrema_init(&s->hl, fk, err);
  if (rc) return rc;
  if ((rc = ta_ma_fast_init(&s->m1, t1, p1, err))) goto fail_hl;
  if (s->two && (rc = ta_ma_fast_init(&s->m2, t2, p2, err))) goto fail_m1;
  s->lb1 = fk - 1 + ta_ma_lookback(t1, p1);
  s->lb = s->lb1 + (s->two ? ta_ma_lookback(t2, p2) : 0);
  return CQ_OK;
fail_m1:
  ta_ma_fast_release(&s->m1);
fail_hl:
  ta_extrema_release(&s->hl);
  return rc;
}

void ta_stoch_release(ta_stoch_st *s) {
  ta_extrema_release(&s->hl);
  ta_ma_fast_release(&s->m1);
  if (s->two) ta_ma_fast_release(&s->m2);
}

void ta_stoch_update(ta_stoch_st *s, double h, double l, double c, double *o1, double *o2) {
  double hh, ll;
  ta_extrema_push(&s->hl, h, l, &hh, &ll);
  int64_t i = s->bar++;
  *o1 = *o2 = NAN;
  if (i < s->fk - 1) return;
  double k = ta_stoch_raw(hh, ll, c);
  double a = ta_ma_fast_update(&s->m1, k);
  if (!s->two) {
    if (i >= s->lb) *o1 = k, *o2 = a;
    return;
  }
  if (i < s->lb1) return;
  double b = ta_ma_fast_update(&s->m2, a);
  if (i >= s->lb) *o1 = a, *o2 = b;
}

/* ta_stoch_raw over a chunk, in two loops that vectorise: the quotients (diff kept in hh),
 * then the zeros of flat windows */
static void raw_chunk(double *restrict hh, const double *restrict ll, const double *restrict c,
                      double *restrict out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const double diff = (hh[i] - ll[i]) / 100.0;
    out[i] = (c[i] - ll[i]) / ta_div_or_1(diff);
    hh[i] = diff;
  }
  for (size_t i = 0; i < n; i++) out[i] = hh[i] != 0.0 ? out[i] : 0.0;
}

/* raw %K over [0, n) into out (NaN before bar fk - 1): the window a chunk at a time into
 * buffers that stay in cache */
static int raw_batch(const double *h, const double *l, const double *c, size_t n, int fk,
                     double *out, cq_error *err) {
  enum { CHUNK = 512 };
  ta_extrema m;
  int rc = ta_extrema_init(&m, fk, err);
  if (rc) return rc;
  double hh[CHUNK], ll[CHUNK];
  for (size_t at = 0; at < n; at += CHUNK) {
    const size_t len = n - at < CHUNK ? n - at : CHUNK;
    ta_extrema_run(&m, h + at, l + at, len, hh, ll);
    raw_chunk(hh, ll, c + at, out + at, len);
  }
  ta_extrema_release(&m);
  return CQ_OK;
}

int ta_stoch_batch(const double *h, const double *l, const double *c, size_t n, int fk, int p1,
                   int t1, int p2, int t2, double *o1, double *o2, cq_error *err) {
  int lb = ta_stoch_lookback(fk, p1, t1, p2, t2);
  if (lb < 0)
    return cq_error_set(err, CQ_EUNSUPPORTED, "stochastic: matype %d is not provided",
                        ta_ma_lookback(t1, p1) < 0 ? t1 : t2);
  size_t a = (size_t)fk - 1, end = (size_t)lb < n ? (size_t)lb : n;
  int rc;
  if (!p2) {
    /* raw %K into o1, its MA into o2 (h, l and c read before o2 is written) */
    if ((rc = raw_batch(h, l, c, n, fk, o1, err))) return rc;
    if (a < n && (rc = ta_ma_batch(t1, o1 + a, n - a, p1, o2 + a, err))) return rc;
  } else {
    /* raw %K into o2, its MA into o1, the MA of that into o2 */
    if ((rc = raw_batch(h, l, c, n, fk, o2, err))) return rc;
    if (a < n && (rc = ta_ma_batch(t1, o2 + a, n - a, p1, o1 + a, err))) return rc;
    size_t b = a + (size_t)ta_ma_lookback(t1, p1);
    if (b < n && (rc = ta_ma_batch(t2, o1 + b, n - b, p2, o2 + b, err))) return rc;
  }
  ta_nan(o1, 0, end);
  ta_nan(o2, 0, end);
  return CQ_OK;
}

/* --- STOCH ---------------------------------------------------------------------------- */

static int stoch_check(const double *p, cq_error *err) {
  int rc = ta_check_matype("stoch", "slowk_matype", p[2], err);
  return rc ? rc : ta_check_matype("stoch", "slowd_matype", p[4], err);
}
static int stoch_lookback(const double *p) {
  return ta_stoch_lookback((int)p[0], (int)p[1], (int)p[2], (int)p[3], (int)p[4]);
}
static int stoch_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  return ta_stoch_batch(in->v[0], in->v[1], in->v[2], in->n, (int)p[0], (int)p[1], (int)p[2],
                        (int)p[3], (int)p[4], out[0], out[1], err);
}
static int stoch_init(void *st, const double *p, cq_error *err) {
  return ta_stoch_init(st, (int)p[0], (int)p[1], (int)p[2], (int)p[3], (int)p[4], err);
}
static void stoch_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  ta_stoch_update(st, in[0], in[1], in[2], &out[0], &out[1]);
}
static void stoch_release(void *st) {
  ta_stoch_release(st);
}

const cq_ta_def ta_def_stoch = {
    .name = "stoch",
    .title = "Stochastic",
    .group = "momentum",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 5,
    .params = {TA_STOCH_P("fastk_period", 5, "bars in the raw %K window"),
               TA_STOCH_P("slowk_period", 3, "bars in the slow %K MA"), TA_MATYPE("slowk_matype"),
               TA_STOCH_P("slowd_period", 3, "bars in the slow %D MA"), TA_MATYPE("slowd_matype")},
    .n_outputs = 2,
    .outputs = {"slowk", "slowd"},
    .check = stoch_check,
    .lookback = stoch_lookback,
    .batch = stoch_batch,
    .state_size = sizeof(ta_stoch_st),
    .init = stoch_init,
    .update = stoch_update,
    .release = stoch_release,
};

int cq_ta_stoch_lookback(int fastk_period, int slowk_period, int slowk_matype, int slowd_period,
                         int slowd_matype) {
  const double p[] = {fastk_period, slowk_period, slowk_matype, slowd_period, slowd_matype};
  return ta_lookback_or_neg(&ta_def_stoch, p);
}
int cq_ta_stoch(const double *high, const double *low, const double *close, size_t n,
                int fastk_period, int slowk_period, int slowk_matype, int slowd_period,
                int slowd_matype, double *slowk, double *slowd, cq_error *err) {
  const double p[] = {fastk_period, slowk_period, slowk_matype, slowd_period, slowd_matype};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  double *o[] = {slowk, slowd};
  return cq_ta_run(&ta_def_stoch, p, &x, o, err);
}
