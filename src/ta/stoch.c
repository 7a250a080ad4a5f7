/* STOCH, the slow stochastic, and the stochastic core shared with STOCHF and STOCHRSI (see
 * ta_stoch_st in ta_internal.h). As TA-Lib: the raw %K from bar fk - 1 on, each MA seeded on
 * the first values of its input. The window's highest high and lowest low are exact
 * selections, so any method gives the same values: streaming keeps them with ta_hilo
 * (monotonic queues), a batch run with van Herk / Gil-Werman block maxima (branch-free, about
 * four comparisons a bar whatever the window), both NaN while a NaN is in the window. */
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
  int rc = ta_hilo_init(&s->hl, fk, err);
  if (rc) return rc;
  if ((rc = ta_ma_init(&s->m1, t1, p1, err))) goto fail_hl;
  if (s->two && (rc = ta_ma_init(&s->m2, t2, p2, err))) goto fail_m1;
  s->lb1 = fk - 1 + ta_ma_lookback(t1, p1);
  s->lb = s->lb1 + (s->two ? ta_ma_lookback(t2, p2) : 0);
  return CQ_OK;
fail_m1:
  ta_ma_release(&s->m1);
fail_hl:
  ta_hilo_release(&s->hl);
  return rc;
}

void ta_stoch_release(ta_stoch_st *s) {
  ta_hilo_release(&s->hl);
  ta_ma_release(&s->m1);
  if (s->two) ta_ma_release(&s->m2);
}

static inline double raw_k(double hh, double ll, double c) {
  double diff = (hh - ll) / 100.0;
  return diff != 0.0 ? (c - ll) / diff : 0.0;
}

void ta_stoch_update(ta_stoch_st *s, double h, double l, double c, double *o1, double *o2) {
  double hh, ll;
  ta_hilo_push(&s->hl, h, l, &hh, &ll);
  int64_t i = s->bar++;
  *o1 = *o2 = NAN;
  if (i < s->fk - 1) return;
  double k = raw_k(hh, ll, c);
  double a = ta_ma_update(&s->m1, k);
  if (!s->two) {
    if (i >= s->lb) *o1 = k, *o2 = a;
    return;
  }
  if (i < s->lb1) return;
  double b = ta_ma_update(&s->m2, a);
  if (i >= s->lb) *o1 = a, *o2 = b;
}

/* raw %K over [0, n) into out, NaN before bar fk - 1. Blocks of fk bars: the window ending at
 * bar i is a suffix of the previous block (suffix maxima kept in sh / sl) and a prefix of the
 * current one (running maxima). */
static int raw_batch(const double *h, const double *l, const double *c, size_t n, int fk,
                     double *out, cq_error *err) {
  const size_t w = (size_t)fk, lb = w - 1;
  ta_nan(out, 0, lb < n ? lb : n);
  if (n <= lb) return CQ_OK;
  double *sh = malloc(2 * w * sizeof(double));
  if (!sh) return cq_error_set(err, CQ_ENOMEM, "stochastic: window of %d bars: out of memory", fk);
  double *sl = sh + w;
  int64_t last_nan = -(int64_t)w - 1;
  for (size_t bs = 0; bs < n; bs += w) {
    const size_t be = bs + w < n ? bs + w : n;
    double ph = h[bs], pl = l[bs];
    for (size_t i = bs; i < be; i++) {
      const double vh = h[i], vl = l[i];
      if (isnan(vh) || isnan(vl)) last_nan = (int64_t)i;
      ph = vh > ph ? vh : ph;
      pl = vl < pl ? vl : pl;
      if (i < lb) continue;
      const size_t j = i - bs + 1; /* where the window starts in the previous block */
      double hh = ph, ll = pl;
      if (j < w) {
        const double a = sh[j], b = sl[j];
        hh = a > hh ? a : hh;
        ll = b < ll ? b : ll;
      }
      if ((int64_t)i - last_nan < (int64_t)w) hh = ll = NAN;
      out[i] = raw_k(hh, ll, c[i]);
    }
    double mh = h[be - 1], ml = l[be - 1];
    for (size_t i = be; i-- > bs;) {
      const double vh = h[i], vl = l[i];
      mh = vh > mh ? vh : mh;
      ml = vl < ml ? vl : ml;
      sh[i - bs] = mh;
      sl[i - bs] = ml;
    }
  }
  free(sh);
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
    /* raw %K into o1, its MA into o2 */
    if ((rc = raw_batch(h, l, c, n, fk, o1, err))) return rc;
    if (a < n && (rc = ta_ma_batch(t1, o1 + a, n - a, p1, o2 + a, err))) return rc;
    ta_nan(o1, 0, end);
    ta_nan(o2, 0, end);
    return CQ_OK;
  }
  /* raw %K into o2 as scratch, its MA into o1, the MA of that into o2 (no temporary: a
   * fresh buffer of n values costs more in page faults than the arithmetic) */
  if ((rc = raw_batch(h, l, c, n, fk, o2, err))) return rc;
  if (a < n && (rc = ta_ma_batch(t1, o2 + a, n - a, p1, o1 + a, err))) return rc;
  size_t b = a + (size_t)ta_ma_lookback(t1, p1);
  if (b < n && (rc = ta_ma_batch(t2, o1 + b, n - b, p2, o2 + b, err))) return rc;
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
