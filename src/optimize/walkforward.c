/* Walk-forward analysis: optimize in sample, run the best parameters on the out-of-sample
 * window that follows (the strategy warmed up on the bars before it, trading only inside
 * it), and stitch the out-of-sample runs into one equity curve, each window starting from
 * the equity the previous one ended with. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt_internal.h"

enum { MAX_WINDOWS = 10000 };

void cq_wf_result_init(cq_wf_result *r) {
  memset(r, 0, sizeof *r);
  cq_bt_result_init(&r->oos);
}

void cq_wf_result_release(cq_wf_result *r) {
  free(r->windows);
  cq_bt_result_release(&r->oos);
  memset(r, 0, sizeof *r);
}

/* Read-only views of the candles with from <= open_time < to (no copy). */
typedef struct slice {
  cq_candles view[CQ_BT_MAX_SYMBOLS];
  cq_bt_data data;
} slice;

static int slice_of(const cq_bt_data *d, cq_time from, cq_time to, slice *s, cq_error *err) {
  memset(s, 0, sizeof *s);
  s->data.n_symbols = d->n_symbols;
  for (int k = 0; k < d->n_symbols; k++) {
    const cq_candles *c = d->candles[k];
    size_t a = cq_candles_lower_bound(c, from), b = cq_candles_lower_bound(c, to);
    if (a >= b)
      return cq_error_set(err, CQ_EINVAL, "walk-forward: symbol %d has no candles in a window", k);
    cq_candles *v = &s->view[k];
    *v = cq_candles_view(c, a, b);
    s->data.candles[k] = v;
  }
  return CQ_OK;
}

/* Appends bars [first, n) of src to dst (which has room), scaling money by the equity dst
 * has reached over src's equity before `first` (the same for the benchmark), so each
 * window continues from where the one before it ended. Fills and trades follow. */
static int stitch(cq_bt_result *dst, size_t *used, const cq_bt_result *src, size_t first,
                  cq_error *err) {
  double cash0 = cq_dec_to_double(src->config.initial_cash);
  double e_prev = *used ? dst->equity[*used - 1] : cash0;
  double b_prev = *used ? dst->benchmark[*used - 1] : cash0;
  double e_base = first ? src->equity[first - 1] : cash0;
  double b_base = first ? src->benchmark[first - 1] : cash0;
  double k = e_base != 0 ? e_prev / e_base : 1, kb = b_base != 0 ? b_prev / b_base : 1;
  size_t at = *used;
  for (size_t i = first; i < src->n_bars; i++, at++) {
    dst->time[at] = src->time[i];
    dst->equity[at] = src->equity[i] * k;
    dst->cash[at] = src->cash[i] * k;
    dst->exposure[at] = src->exposure[i];
    dst->benchmark[at] = src->benchmark[i] * kb;
  }
  cq_time from = first < src->n_bars ? src->time[first] : INT64_MAX;
  int rc = CQ_OK;
  for (size_t i = 0; i < src->n_fills && !rc; i++) {
    cq_bt_fill f = src->fills[i];
    if (f.time < from) continue;
    f.qty *= k;
    f.fee *= k;
    rc = cq_bt_result_add_fill(dst, &f, err);
  }
  for (size_t i = 0; i < src->n_trades && !rc; i++) {
    cq_bt_trade t = src->trades[i];
    if (t.entry_bar < first) continue;
    t.entry_bar = t.entry_bar - first + *used;
    t.exit_bar = t.exit_bar - first + *used;
    t.qty *= k;
    t.fees *= k;
    t.pnl *= k;
    rc = cq_bt_result_add_trade(dst, &t, err);
  }
  *used = at;
  return rc;
}

/* The windows over [t0, tend). */
static size_t windows_of(const cq_wf_config *wf, cq_time t0, cq_time tend, cq_wf_window *w) {
  int64_t step = wf->step_ns > 0 ? wf->step_ns : wf->oos_ns;
  size_t n = 0;
  for (int64_t k = 0; n < MAX_WINDOWS; k++) {
    cq_time is_from = wf->anchored ? t0 : t0 + k * step;
    cq_time is_to = (wf->anchored ? t0 + k * step : is_from) + wf->is_ns;
    if (is_to >= tend) break;
    cq_time oos_to = is_to + wf->oos_ns < tend ? is_to + wf->oos_ns : tend;
    if (w)
      w[n] =
          (cq_wf_window){.is_from = is_from, .is_to = is_to, .oos_from = is_to, .oos_to = oos_to};
    n++;
  }
  return n;
}

static void span_of(const cq_bt_data *d, int64_t tf, cq_time *t0, cq_time *tend) {
  *t0 = INT64_MAX;
  *tend = INT64_MIN;
  for (int k = 0; k < d->n_symbols; k++) {
    const cq_candles *c = d->candles[k];
    if (!c->len) continue;
    if (c->open_time[0] < *t0) *t0 = c->open_time[0];
    if (c->open_time[c->len - 1] + tf > *tend) *tend = c->open_time[c->len - 1] + tf;
  }
}

/* The in-sample study of window w: the prototype with its own seed. */
static int optimize_window(const cq_opt_study *proto, const cq_bt_data *data, size_t k,
                           cq_wf_window *w, cq_opt_progress_fn cb, void *user, cq_error *err) {
  slice is;
  int rc = slice_of(data, w->is_from, w->is_to, &is, err);
  if (rc) return rc;
  cq_opt_study st = *proto;
  st.trials = NULL;
  st.n_trials = st.cap_trials = 0;
  st.store_id = 0;
  st.config.seed = cq_rng_derive(proto->config.seed, k);
  st.bt.from = w->is_from;
  st.bt.to = w->is_to;
  st.bt.trade_from = INT64_MIN;
  rc = cq_opt_run(&st, &is.data, cb, user, err);
  if (!rc) {
    w->trials = (int64_t)st.n_trials;
    w->ok = st.best >= 0;
    if (w->ok) {
      memcpy(w->params, st.trials[st.best].params, sizeof w->params);
      w->is_value = st.trials[st.best].value;
      w->is_metrics = st.trials[st.best].metrics;
    } else {
      memcpy(w->params, st.space.base.v, sizeof w->params);
      w->is_value = NAN;
    }
  }
  cq_opt_study_release(&st);
  return rc;
}

/* The out-of-sample run of window w: warm-up, then trading from oos_from (never when the
 * window found nothing feasible in sample: it stays flat). */
static int run_oos(const cq_opt_study *proto, const cq_wf_config *wf, const cq_bt_data *data,
                   cq_wf_window *w, cq_bt_result *r, size_t *first, cq_error *err) {
  int64_t tf = cq_timeframe_ns(proto->bt.tf);
  cq_time warm = wf->warmup_bars < 0 ? w->is_from : w->oos_from - wf->warmup_bars * tf;
  slice oos;
  int rc = slice_of(data, warm, w->oos_to, &oos, err);
  if (rc) return rc;
  cq_bt_config cfg = proto->bt;
  cfg.from = warm;
  cfg.to = w->oos_to;
  cfg.trade_from = w->ok ? w->oos_from : INT64_MAX;
  cfg.params.n = proto->space.def->n_params;
  memcpy(cfg.params.v, w->params, sizeof cfg.params.v);
  rc = cq_bt_run_def(proto->space.def, &cfg, &oos.data, NULL, r, err);
  if (rc) return rc;
  *first = 0;
  while (*first < r->n_bars && r->time[*first] < w->oos_from) (*first)++;
  return CQ_OK;
}

/* The window's own out-of-sample metrics: its part of the run, alone. */
static int window_metrics(const cq_bt_result *r, size_t first, cq_wf_window *w, cq_error *err) {
  cq_bt_result cut;
  cq_bt_result_init(&cut);
  cut.config = r->config;
  size_t used = 0;
  int rc = cq_bt_result_bars(&cut, r->n_bars - first, err);
  if (!rc) rc = stitch(&cut, &used, r, first, err);
  if (!rc) rc = cq_bt_metrics_compute(&cut, err);
  if (!rc) w->oos_metrics = cut.metrics;
  cq_bt_result_release(&cut);
  return rc;
}

static void summarize(const cq_opt_study *proto, cq_wf_result *out) {
  double sum = 0;
  int n = 0;
  for (size_t i = 0; i < out->n_windows; i++)
    if (out->windows[i].ok && isfinite(out->windows[i].is_metrics.cagr)) {
      sum += out->windows[i].is_metrics.cagr;
      n++;
    }
  double is_mean = n ? sum / n : NAN, oos = out->oos.metrics.cagr;
  out->efficiency = (cq_stat){.ok = n > 0 && is_mean > 0 && isfinite(oos),
                              .value = is_mean > 0 ? oos / is_mean : NAN};
  if (!out->efficiency.ok)
    snprintf(out->efficiency.why, sizeof out->efficiency.why, "%s",
             n == 0 ? "no window found feasible parameters in sample"
                    : "the mean in-sample annualized return is not positive");
  out->searched = proto->space.n_dims;
  for (int d = 0; d < proto->space.n_dims; d++) {
    const cq_opt_dim *dim = &proto->space.dims[d];
    double s1 = 0, s2 = 0, m = 0;
    for (size_t i = 0; i < out->n_windows; i++) {
      if (!out->windows[i].ok) continue;
      double v = out->windows[i].params[dim->param];
      s1 += v;
      s2 += v * v;
      m++;
    }
    double lo = dim->lo, hi = dim->hi;
    for (int c = 0; c < dim->n_choices; c++) {
      if (c == 0 || dim->choices[c] < lo) lo = dim->choices[c];
      if (c == 0 || dim->choices[c] > hi) hi = dim->choices[c];
    }
    double var = m > 0 ? s2 / m - (s1 / m) * (s1 / m) : 0;
    out->drift[d] = hi > lo && var > 0 ? sqrt(var) / (hi - lo) : 0;
  }
}

int cq_walkforward(const cq_opt_study *proto, const cq_wf_config *wf, const cq_bt_data *data,
                   cq_opt_progress_fn cb, void *user, cq_wf_result *out, cq_error *err) {
  cq_wf_result_init(out);
  if (!(wf->is_ns > 0) || !(wf->oos_ns > 0) || wf->step_ns < 0)
    return cq_error_set(err, CQ_EINVAL,
                        "walk-forward: the in-sample and out-of-sample lengths must be positive");
  int64_t tf = cq_timeframe_ns(proto->bt.tf);
  if (tf <= 0)
    return cq_error_set(err, CQ_EUNSUPPORTED, "walk-forward: needs a fixed-length timeframe");
  cq_time t0, tend;
  span_of(data, tf, &t0, &tend);
  size_t n = t0 < tend ? windows_of(wf, t0, tend, NULL) : 0;
  if (n == 0)
    return cq_error_set(err, CQ_EINVAL,
                        "walk-forward: the data (%lld bars) is shorter than one in-sample window "
                        "plus an out-of-sample bar",
                        t0 < tend ? (long long)((tend - t0) / tf) : 0LL);
  out->windows = calloc(n, sizeof *out->windows);
  if (!out->windows) return cq_error_set(err, CQ_ENOMEM, "walk-forward: no memory");
  out->n_windows = windows_of(wf, t0, tend, out->windows);
  /* the stitched run: room for every bar of the data, trimmed at the end */
  cq_bt_result *oos = &out->oos;
  oos->config = proto->bt;
  oos->config.from = out->windows[0].oos_from;
  oos->config.to = out->windows[n - 1].oos_to;
  int rc = cq_bt_result_bars(oos, (size_t)((tend - t0) / tf) + 1, err);
  size_t used = 0;
  for (size_t k = 0; k < n && !rc; k++) {
    cq_wf_window *w = &out->windows[k];
    rc = optimize_window(proto, data, k, w, cb, user, err);
    cq_bt_result r;
    cq_bt_result_init(&r);
    size_t first = 0;
    if (!rc) rc = run_oos(proto, wf, data, w, &r, &first, err);
    if (!rc) rc = window_metrics(&r, first, w, err);
    if (!rc && used + (r.n_bars - first) > oos->n_bars)
      rc = cq_error_set(err, CQ_EINTERNAL, "walk-forward: windows overlap");
    if (!rc) rc = stitch(oos, &used, &r, first, err);
    cq_bt_result_release(&r);
    if (rc) cq_error_prefix(err, "walk-forward window %zu: ", k + 1);
  }
  if (!rc) {
    oos->n_bars = used;
    rc = cq_bt_metrics_compute(oos, err);
  }
  if (rc) {
    cq_wf_result_release(out);
    return rc;
  }
  summarize(proto, out);
  return CQ_OK;
}
