/* APO, the absolute price oscillator: MA(fast) - MA(slow), both of one matype, each seeded
 * on its own from the first bar (TA-Lib's INT_PO). The kernel and streaming state are shared
 * with PPO (ppo.c), which outputs the difference as a percentage of the slow MA. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_apo;

int ta_po_check(const char *ind, const double *p, cq_error *err) {
  if (p[0] >= p[1]) {
    if (err) {
      cq_error_set(err, CQ_EINVAL,
                   "%s: fastperiod = %.10g is not below slowperiod = %.10g; valid: fastperiod "
                   "< slowperiod",
                   ind, p[0], p[1]);
      cq_error_field(err, "fastperiod");
    }
    return CQ_EINVAL;
  }
  return ta_check_matype(ind, "matype", p[2], err);
}

int ta_po_lookback(const double *p) {
  int a = ta_ma_lookback((int)p[2], (int)p[0]), b = ta_ma_lookback((int)p[2], (int)p[1]);
  return a > b ? a : b;
}

static inline double po_value(double fast, double slow, int pct) {
  if (!pct) return fast - slow;
  return ta_is_zero(slow) ? 0.0 : ((fast - slow) / slow) * 100.0;
}

int ta_po_batch(const cq_ta_in *in, const double *p, double *const *out, int pct, cq_error *err) {
  const size_t n = in->n;
  double *slow = malloc(n * sizeof(double));
  if (!slow) return cq_error_set(err, CQ_ENOMEM, "%s: out of memory", pct ? "ppo" : "apo");
  double *o = out[0];
  int rc = ta_ma_batch((int)p[2], in->v[0], n, (int)p[0], o, err);
  if (!rc) rc = ta_ma_batch((int)p[2], in->v[0], n, (int)p[1], slow, err);
  if (!rc) {
    size_t lb = (size_t)ta_po_lookback(p);
    if (lb > n) lb = n;
    ta_nan(o, 0, lb);
    if (pct)
      for (size_t i = lb; i < n; i++) o[i] = po_value(o[i], slow[i], 1);
    else
      for (size_t i = lb; i < n; i++) o[i] = po_value(o[i], slow[i], 0);
  }
  free(slow);
  return rc;
}

int ta_po_init(ta_po_st *s, const double *p, int pct, cq_error *err) {
  *s = (ta_po_st){.lb = ta_po_lookback(p), .pct = pct};
  int rc = ta_ma_init(&s->fast, (int)p[2], (int)p[0], err);
  if (rc) return rc;
  if ((rc = ta_ma_init(&s->slow, (int)p[2], (int)p[1], err))) ta_ma_release(&s->fast);
  return rc;
}
void ta_po_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  ta_po_st *s = st;
  double f = ta_ma_update(&s->fast, in[0]), sl = ta_ma_update(&s->slow, in[0]);
  out[0] = s->bar++ < s->lb ? NAN : po_value(f, sl, s->pct);
}
void ta_po_release(void *st) {
  ta_po_st *s = st;
  ta_ma_release(&s->fast);
  ta_ma_release(&s->slow);
}

static int apo_check(const double *p, cq_error *err) {
  return ta_po_check("apo", p, err);
}
static int apo_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  return ta_po_batch(in, p, out, 0, err);
}
static int apo_init(void *st, const double *p, cq_error *err) {
  return ta_po_init(st, p, 0, err);
}

const cq_ta_def ta_def_apo = {
    .name = "apo",
    .title = "Absolute Price Oscillator",
    .group = "momentum",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 3,
    .params = TA_PO_PARAMS,
    .n_outputs = 1,
    .outputs = {"value"},
    .check = apo_check,
    .lookback = ta_po_lookback,
    .batch = apo_batch,
    .state_size = sizeof(ta_po_st),
    .init = apo_init,
    .update = ta_po_update,
    .release = ta_po_release,
};

int cq_ta_apo_lookback(int fastperiod, int slowperiod, int matype) {
  const double p[] = {fastperiod, slowperiod, matype};
  return ta_lookback_or_neg(&ta_def_apo, p);
}
int cq_ta_apo(const double *in, size_t n, int fastperiod, int slowperiod, int matype, double *out,
              cq_error *err) {
  const double p[] = {fastperiod, slowperiod, matype};
  return ta_call1(&ta_def_apo, p, in, n, out, err);
}
