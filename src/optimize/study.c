/* Running a study: batches of CQ_OPT_BATCH trials proposed from the trials of earlier
 * batches, run by worker threads on the shared read-only candles, then taken in number
 * order (best, patience, the caller's progress). Each worker holds one backtest at a time,
 * so memory is one copy of the data plus a run per thread, whatever the number of trials. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/core/strutil.h"
#include "cquant/strategy.h"
#include "opt_internal.h"

const char *cq_sampler_name(cq_sampler s) {
  switch (s) {
    case CQ_SAMPLER_GRID:
      return "grid";
    case CQ_SAMPLER_RANDOM:
      return "random";
    case CQ_SAMPLER_TPE:
      return "tpe";
  }
  return "?";
}

int cq_sampler_parse(const char *text, cq_sampler *out, cq_error *err) {
  for (int s = CQ_SAMPLER_GRID; s <= CQ_SAMPLER_TPE; s++)
    if (text && !strcmp(text, cq_sampler_name((cq_sampler)s))) {
      *out = (cq_sampler)s;
      return CQ_OK;
    }
  return cq_error_set(err, CQ_EPARSE, "unknown sampler \"%s\" (grid, random or tpe)",
                      text ? text : "");
}

void cq_opt_config_default(cq_opt_config *c) {
  memset(c, 0, sizeof *c);
  c->sampler = CQ_SAMPLER_TPE;
  c->trials = 100;
  c->seed = 42;
  c->objective2 = -1;
  c->tpe_startup = 10;
  c->tpe_candidates = 24;
  int sharpe = 0;
  if (cq_metric_find("sharpe", &sharpe, NULL) == CQ_OK) c->objective = sharpe;
}

void cq_opt_study_init(cq_opt_study *st) {
  memset(st, 0, sizeof *st);
  cq_opt_config_default(&st->config);
  cq_bt_config_default(&st->bt);
  st->best = -1;
}

void cq_opt_study_release(cq_opt_study *st) {
  free(st->trials);
  st->trials = NULL;
  st->n_trials = st->cap_trials = 0;
  st->best = -1;
}

bool cq_opt_better(const cq_opt_study *st, double a, double b) {
  if (isnan(a)) return false;
  if (isnan(b)) return true;
  const cq_metric_info *m = cq_metric_at(st->config.objective);
  return m && !m->higher_better ? a < b : a > b;
}

/* ---- one trial ---------------------------------------------------------------------------- */

/* Moments and return blocks of the run's bar returns (the equity starts at the initial
 * cash, so bar i's return is against the bar before, the first against the cash). */
static void return_stats(const cq_bt_result *r, cq_opt_trial *t) {
  size_t n = r->n_bars;
  double prev = cq_dec_to_double(r->config.initial_cash);
  double sum = 0;
  memset(t->blocks, 0, sizeof t->blocks);
  for (size_t i = 0; i < n; i++) {
    double e = r->equity[i], x = prev != 0 ? e / prev - 1 : 0;
    prev = e;
    cq_block_stat *b = &t->blocks[i * CQ_OPT_BLOCKS / (n ? n : 1)];
    b->n += 1;
    b->sum += x;
    b->sumsq += x * x;
    sum += x;
  }
  /* skewness and kurtosis need the mean first: a second pass */
  double mean = n ? sum / (double)n : 0, m2 = 0, m3 = 0, m4 = 0;
  prev = cq_dec_to_double(r->config.initial_cash);
  for (size_t i = 0; i < n; i++) {
    double e = r->equity[i], x = (prev != 0 ? e / prev - 1 : 0) - mean;
    prev = e;
    double x2 = x * x;
    m2 += x2;
    m3 += x2 * x;
    m4 += x2 * x2;
  }
  cq_moments mo = {.n = (int64_t)n, .mean = mean};
  if (n > 1) {
    mo.sd = sqrt(m2 / (double)(n - 1));
    m2 /= (double)n;
    m3 /= (double)n;
    m4 /= (double)n;
    mo.skew = m2 > 0 ? m3 / pow(m2, 1.5) : 0;
    mo.kurt = m2 > 0 ? m4 / (m2 * m2) : 3;
  }
  t->moments = mo;
}

int cq_opt_run_trial(const cq_opt_study *st, const cq_bt_data *data, const double *params,
                     cq_bt_result *out, cq_error *err) {
  cq_bt_config cfg = st->bt;
  cfg.params.n = st->space.def->n_params;
  memcpy(cfg.params.v, params, sizeof cfg.params.v);
  return cq_bt_run_def(st->space.def, &cfg, data, NULL, out, err);
}

static int run_trial(const cq_opt_study *st, const cq_bt_data *data, cq_opt_trial *t,
                     cq_error *err) {
  cq_bt_result r;
  int rc = cq_opt_run_trial(st, data, t->params, &r, err);
  if (rc) return rc;
  t->metrics = r.metrics;
  return_stats(&r, t);
  cq_bt_result_release(&r);
  t->value = cq_metric_value(&t->metrics, st->config.objective);
  t->value2 =
      st->config.objective2 >= 0 ? cq_metric_value(&t->metrics, st->config.objective2) : NAN;
  t->state = CQ_TRIAL_COMPLETE;
  if (t->metrics.n_trades < st->config.min_trades ||
      (st->config.max_drawdown > 0 && t->metrics.max_drawdown > st->config.max_drawdown))
    t->state = CQ_TRIAL_INFEASIBLE;
  if (t->state != CQ_TRIAL_COMPLETE) t->value = t->value2 = NAN;
  return CQ_OK;
}

/* ---- a batch ------------------------------------------------------------------------------- */

typedef struct batch {
  const cq_opt_study *st;
  const cq_bt_data *data;
  cq_opt_trial *trials; /* the batch's slots */
  int *copy_of;         /* >= 0: the same point as that earlier slot or trial (see dedupe) */
  size_t n;
} batch;

static int run_slot(size_t i, void *user, cq_error *err) {
  batch *b = user;
  return b->copy_of[i] >= 0 ? CQ_OK : run_trial(b->st, b->data, &b->trials[i], err);
}

/* ---- the study ---------------------------------------------------------------------------- */

static bool same_point(const double *a, const double *b) {
  for (int i = 0; i < CQ_MAX_PARAMS; i++)
    if (a[i] != b[i]) return false;
  return true;
}

/* A point already run (earlier, or earlier in this batch) is not run again: same parameters,
 * same numbers. */
static void dedupe(const cq_opt_study *st, batch *b) {
  for (size_t i = 0; i < b->n; i++) {
    b->copy_of[i] = -1;
    for (size_t k = 0; k < i && b->copy_of[i] < 0; k++)
      if (b->copy_of[k] < 0 && same_point(b->trials[k].params, b->trials[i].params))
        b->copy_of[i] = (int)k;
    for (size_t k = 0; k < st->n_trials && b->copy_of[i] < 0; k++)
      if (same_point(st->trials[k].params, b->trials[i].params))
        b->copy_of[i] = (int)(b->n + k); /* beyond the batch: an earlier trial */
  }
}

static void fill_copies(const cq_opt_study *st, batch *b) {
  for (size_t i = 0; i < b->n; i++) {
    int c = b->copy_of[i];
    if (c < 0) continue;
    int64_t number = b->trials[i].number;
    b->trials[i] = (size_t)c < b->n ? b->trials[c] : st->trials[(size_t)c - b->n];
    b->trials[i].number = number;
  }
}

static int grow(cq_opt_study *st, size_t n, cq_error *err) {
  if (n <= st->cap_trials) return CQ_OK;
  size_t cap = st->cap_trials ? st->cap_trials : 64;
  while (cap < n) cap *= 2;
  cq_opt_trial *t = realloc(st->trials, cap * sizeof *t);
  if (!t) return cq_error_set(err, CQ_ENOMEM, "optimize: no memory for %zu trials", n);
  st->trials = t;
  st->cap_trials = cap;
  return CQ_OK;
}

/* The best trial and whether patience has run out, over trials [0, n). Returns the number
 * of trials to keep: all of them, or up to the trial where patience ran out. */
static size_t take(cq_opt_study *st, size_t from, size_t n) {
  for (size_t i = from; i < n; i++) {
    const cq_opt_trial *t = &st->trials[i];
    if (t->state == CQ_TRIAL_COMPLETE &&
        (st->best < 0 || cq_opt_better(st, t->value, st->trials[st->best].value)))
      st->best = (int64_t)i;
    int64_t since = (int64_t)i - (st->best < 0 ? -1 : st->best);
    if (st->config.patience > 0 && since >= st->config.patience) {
      st->stopped_early = true;
      return i + 1;
    }
  }
  return n;
}

static size_t target_of(const cq_opt_study *st, const cq__sampler *sm) {
  int64_t n = st->config.trials;
  if (st->config.sampler == CQ_SAMPLER_GRID && (n <= 0 || n > sm->n_grid)) n = sm->n_grid;
  return n > 0 ? (size_t)n : 0;
}

/* Trials are proposed in fixed batches by number ([0, 16), [16, 32), ...): trial k sees the
 * trials before its batch, whatever the thread count and wherever a run was interrupted. */
static int propose_batch(cq_opt_study *st, const cq__sampler *sm, batch *b, size_t want,
                         cq_error *err) {
  size_t first = st->n_trials, history = first / CQ_OPT_BATCH * CQ_OPT_BATCH;
  b->n = 0;
  for (size_t i = 0; i < want; i++) {
    cq_opt_trial *t = &b->trials[b->n];
    memset(t, 0, sizeof *t);
    t->number = (int64_t)(first + i);
    double x[CQ_MAX_PARAMS] = {0};
    bool done = false;
    int rc = cq__sampler_propose(sm, st, history, t->number, x, &done, err);
    if (rc) return rc;
    if (done) break;
    cq_opt_space_params(&st->space, x, t->params);
    t->value = t->value2 = NAN;
    b->n++;
  }
  return CQ_OK;
}

int cq_opt_run(cq_opt_study *st, const cq_bt_data *data, cq_opt_progress_fn cb, void *user,
               cq_error *err) {
  if (!st->space.def) return cq_error_set(err, CQ_EINVAL, "optimize: no strategy");
  if (st->bt.engine == CQ_BT_VECTOR && !st->space.def->signals)
    return cq_error_set(err, CQ_EUNSUPPORTED,
                        "optimize: strategy %s has no vector form; use --engine event",
                        st->space.def->name);
  cq__sampler sm;
  int rc = cq__sampler_init(&sm, st, err);
  if (rc) return rc;
  size_t target = target_of(st, &sm);
  st->best = -1;
  st->stopped_early = false;
  size_t kept = take(st, 0, st->n_trials);
  st->n_trials = kept;
  batch *b = calloc(1, sizeof *b);
  cq_opt_trial *slots = calloc(CQ_OPT_BATCH, sizeof *slots);
  int *copy_of = calloc(CQ_OPT_BATCH, sizeof *copy_of);
  if (!b || !slots || !copy_of) {
    free(b);
    free(slots);
    free(copy_of);
    cq__sampler_release(&sm);
    return cq_error_set(err, CQ_ENOMEM, "optimize: no memory");
  }
  b->trials = slots;
  b->copy_of = copy_of;
  int threads = cq__threads(st->config.threads);
  while (!rc && !st->stopped_early && st->n_trials < target) {
    size_t want = target - st->n_trials, room = CQ_OPT_BATCH - st->n_trials % CQ_OPT_BATCH;
    if (want > room) want = room;
    rc = propose_batch(st, &sm, b, want, err);
    if (rc || b->n == 0) break;
    b->st = st;
    b->data = data;
    dedupe(st, b);
    size_t failed = 0;
    rc = cq__parallel_for(b->n, threads, run_slot, b, &failed, err);
    if (rc) {
      cq_error_prefix(err, "optimize: trial %lld: ", (long long)b->trials[failed].number);
      break;
    }
    fill_copies(st, b);
    size_t from = st->n_trials;
    if ((rc = grow(st, from + b->n, err))) break;
    memcpy(&st->trials[from], b->trials, b->n * sizeof *b->trials);
    st->n_trials = take(st, from, from + b->n);
    if (cb && !cb(st, user)) break;
  }
  free(slots);
  free(copy_of);
  free(b);
  cq__sampler_release(&sm);
  return rc;
}

/* ---- Pareto front ------------------------------------------------------------------------- */

static double oriented(int metric, double v) {
  const cq_metric_info *m = cq_metric_at(metric);
  return m && !m->higher_better ? -v : v;
}

int cq_opt_pareto(const cq_opt_study *st, size_t **out, size_t *n, cq_error *err) {
  *out = NULL;
  *n = 0;
  if (st->config.objective2 < 0)
    return cq_error_set(err, CQ_EINVAL, "optimize: a Pareto front needs a second objective");
  size_t *front = malloc((st->n_trials ? st->n_trials : 1) * sizeof *front);
  if (!front) return cq_error_set(err, CQ_ENOMEM, "optimize: no memory for the Pareto front");
  size_t m = 0;
  for (size_t i = 0; i < st->n_trials; i++) {
    const cq_opt_trial *a = &st->trials[i];
    if (a->state != CQ_TRIAL_COMPLETE || isnan(a->value) || isnan(a->value2)) continue;
    double a1 = oriented(st->config.objective, a->value),
           a2 = oriented(st->config.objective2, a->value2);
    bool dominated = false;
    for (size_t k = 0; k < st->n_trials && !dominated; k++) {
      const cq_opt_trial *b = &st->trials[k];
      if (k == i || b->state != CQ_TRIAL_COMPLETE || isnan(b->value) || isnan(b->value2)) continue;
      double b1 = oriented(st->config.objective, b->value),
             b2 = oriented(st->config.objective2, b->value2);
      /* b dominates a: no worse in both, better in one; of equal points the first stays */
      dominated = b1 >= a1 && b2 >= a2 && (b1 > a1 || b2 > a2 || k < i);
    }
    if (!dominated) front[m++] = i;
  }
  /* by the first objective, best first */
  for (size_t i = 1; i < m; i++)
    for (size_t k = i; k > 0; k--) {
      double x = oriented(st->config.objective, st->trials[front[k - 1]].value);
      double y = oriented(st->config.objective, st->trials[front[k]].value);
      if (x >= y) break;
      size_t t = front[k];
      front[k] = front[k - 1];
      front[k - 1] = t;
    }
  *out = front;
  *n = m;
  return CQ_OK;
}

/* ---- overfitting statistics ---------------------------------------------------------------- */

int cq_opt_stats_compute(const cq_opt_study *st, cq_opt_stats *out, cq_error *err) {
  memset(out, 0, sizeof *out);
  size_t n = 0;
  for (size_t i = 0; i < st->n_trials; i++) n += st->trials[i].state == CQ_TRIAL_COMPLETE;
  /* per-period Sharpe ratios of the complete trials: their variance deflates the best */
  double sum = 0, sumsq = 0;
  for (size_t i = 0; i < st->n_trials; i++) {
    const cq_opt_trial *t = &st->trials[i];
    if (t->state != CQ_TRIAL_COMPLETE) continue;
    double sr = t->moments.sd > 0 ? t->moments.mean / t->moments.sd : 0;
    sum += sr;
    sumsq += sr * sr;
  }
  double var = n > 1 ? (sumsq - sum * sum / (double)n) / (double)(n - 1) : 0;
  if (var < 0) var = 0;
  if (st->best >= 0) {
    const cq_opt_trial *b = &st->trials[st->best];
    double sr = b->moments.sd > 0 ? b->moments.mean / b->moments.sd : 0;
    out->dsr =
        cq_deflated_sharpe(sr, b->moments.n, b->moments.skew, b->moments.kurt, (int64_t)n, var);
  } else {
    out->dsr = cq_deflated_sharpe(0, 0, 0, 3, 0, 0);
  }
  /* PBO over the complete trials' return blocks */
  cq_block_stat *blocks = malloc((n ? n : 1) * CQ_OPT_BLOCKS * sizeof *blocks);
  double *x = malloc((n ? n : 1) * (size_t)(st->space.n_dims ? st->space.n_dims : 1) * sizeof *x);
  double *val = malloc((n ? n : 1) * sizeof *val);
  if (!blocks || !x || !val) {
    free(blocks);
    free(x);
    free(val);
    return cq_error_set(err, CQ_ENOMEM, "optimize: no memory for the statistics");
  }
  size_t k = 0;
  int dims = st->space.n_dims;
  for (size_t i = 0; i < st->n_trials; i++) {
    const cq_opt_trial *t = &st->trials[i];
    if (t->state != CQ_TRIAL_COMPLETE) continue;
    memcpy(&blocks[k * CQ_OPT_BLOCKS], t->blocks, sizeof t->blocks);
    for (int d = 0; d < dims; d++) {
      const cq_opt_dim *dim = &st->space.dims[d];
      double v = t->params[dim->param], lo = dim->lo, hi = dim->hi;
      if (dim->n_choices) {
        lo = 0;
        hi = dim->n_choices - 1;
        for (int c = 0; c < dim->n_choices; c++)
          if (dim->choices[c] == v) v = c;
      }
      x[k * (size_t)dims + (size_t)d] = hi > lo ? (v - lo) / (hi - lo) : 0;
    }
    val[k] = cq__opt_score(st, t);
    k++;
  }
  cq_error e = {0};
  if (n < 2) {
    snprintf(out->pbo.pbo.why, sizeof out->pbo.pbo.why, "needs at least 2 complete trials");
  } else if (cq_pbo_cscv(blocks, (int)n, CQ_OPT_BLOCKS, &out->pbo, &e)) {
    /* too little data for the blocks: not enough data, said as such */
    memset(&out->pbo, 0, sizeof out->pbo);
    cq_strlcpy(out->pbo.pbo.why, e.msg, sizeof out->pbo.pbo.why);
  }
  /* neighbourhood: one step of the coarsest dimension */
  double radius = 0;
  for (int d = 0; d < dims; d++) {
    int64_t l = cq_opt_dim_levels(&st->space.dims[d]);
    double r = l > 1 ? 1.0 / (double)(l - 1) : 0.1;
    if (r > radius) radius = r;
  }
  out->stability = cq_param_stability(x, val, n, dims, radius * 1.000001);
  free(blocks);
  free(x);
  free(val);
  return CQ_OK;
}

void cq_opt_stats_release(cq_opt_stats *s) {
  cq_pbo_release(&s->pbo);
}
