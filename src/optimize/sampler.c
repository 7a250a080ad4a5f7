/* Samplers: grid (every feasible point, in order), random (uniform, seeded per trial) and
 * TPE, the tree-structured Parzen estimator (Bergstra et al., 2011) as Optuna runs it by
 * default: independent per-dimension Parzen estimators of the good and the other trials,
 * candidates drawn from the good one, the candidate with the largest l(x) / g(x) kept.
 * docs/optimization.md describes the choices made here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "opt_internal.h"

enum { MAX_DRAWS = 10000, TPE_MAX_BELOW = 25 };

/* ---- uniform points ------------------------------------------------------------------------ */

void cq__opt_sample_uniform(const cq_opt_space *s, cq_rng *r, double *x) {
  for (int i = 0; i < s->n_dims; i++) {
    const cq_opt_dim *d = &s->dims[i];
    int64_t l = cq_opt_dim_levels(d);
    x[i] = l > 0 ? cq_opt_dim_value(d, (int64_t)cq_rng_below(r, (uint64_t)l))
                 : d->lo + cq_rng_uniform(r) * (d->hi - d->lo);
  }
}

static bool feasible_x(const cq_opt_space *s, const double *x) {
  double p[CQ_MAX_PARAMS];
  cq_opt_space_params(s, x, p);
  return cq_opt_space_feasible(s, p);
}

static int random_point(const cq_opt_space *s, cq_rng *r, double *x, cq_error *err) {
  for (int k = 0; k < MAX_DRAWS; k++) {
    cq__opt_sample_uniform(s, r, x);
    if (feasible_x(s, x)) return CQ_OK;
  }
  return cq_error_set(err, CQ_EINVAL,
                      "optimize: %d random points in a row broke the constraints; they leave "
                      "too small a part of the space for random sampling (use --sampler grid)",
                      MAX_DRAWS);
}

/* ---- set-up -------------------------------------------------------------------------------- */

int cq__sampler_init(cq__sampler *sm, const cq_opt_study *st, cq_error *err) {
  memset(sm, 0, sizeof *sm);
  const cq_opt_space *s = &st->space;
  int rc = cq_opt_space_check(s, err);
  if (rc || st->config.sampler != CQ_SAMPLER_GRID) return rc;
  int64_t size = cq_opt_space_size(s);
  for (int i = 0; i < s->n_dims; i++)
    if (cq_opt_dim_levels(&s->dims[i]) <= 0)
      return cq_error_set(err, CQ_EINVAL,
                          "optimize: grid search needs a step for %s (name=lo:hi:step), or use "
                          "--sampler random or tpe",
                          s->def->params[s->dims[i].param].name);
  if (size > CQ_OPT_GRID_MAX)
    return cq_error_set(err, CQ_ELIMIT,
                        "optimize: the grid has %lld points (at most %d); narrow the ranges, "
                        "widen the steps, or use --sampler random or tpe",
                        (long long)size, CQ_OPT_GRID_MAX);
  sm->grid = malloc((size_t)size * sizeof *sm->grid);
  if (!sm->grid) return cq_error_set(err, CQ_ENOMEM, "optimize: no memory for the grid");
  double x[CQ_MAX_PARAMS];
  for (int64_t i = 0; i < size; i++) {
    cq__opt_grid_point(s, i, x);
    if (feasible_x(s, x)) sm->grid[sm->n_grid++] = i;
  }
  return CQ_OK;
}

void cq__sampler_release(cq__sampler *sm) {
  free(sm->grid);
  memset(sm, 0, sizeof *sm);
}

double cq__opt_score(const cq_opt_study *st, const cq_opt_trial *t) {
  if (t->state != CQ_TRIAL_COMPLETE || isnan(t->value)) return -INFINITY;
  const cq_metric_info *m = cq_metric_at(st->config.objective);
  return m && !m->higher_better ? -t->value : t->value;
}

/* ---- TPE ----------------------------------------------------------------------------------- */

/* A one-dimensional Parzen estimator: truncated normals on [low, high] (numeric), or
 * category weights (choices). */
typedef struct parzen {
  int n;
  double w[TPE_MAX_BELOW * 40 + 1], mu[TPE_MAX_BELOW * 40 + 1], sigma[TPE_MAX_BELOW * 40 + 1];
  double low, high;
  bool categorical;
  int n_cat;
  double cat[CQ_OPT_MAX_CHOICES];
} parzen;

/* The search interval of a numeric dimension: a discrete one widened by half a step each
 * side, so its end levels are as likely as the middle ones. */
static void bounds(const cq_opt_dim *d, double *low, double *high) {
  double half = d->step > 0 ? d->step / 2 : 0;
  *low = d->lo - half;
  *high = d->hi + half;
}

static int choice_index(const cq_opt_dim *d, double v) {
  for (int k = 0; k < d->n_choices; k++)
    if (d->choices[k] == v) return k;
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Builds the estimator of dimension d from m observed values (prior weight 1). */
static void parzen_fit(parzen *pz, const cq_opt_dim *d, const double *obs, int m) {
  memset(pz, 0, sizeof *pz);
  if (d->n_choices > 0) {
    pz->categorical = true;
    pz->n_cat = d->n_choices;
    for (int k = 0; k < d->n_choices; k++) pz->cat[k] = 1.0 / d->n_choices; /* the prior */
    for (int i = 0; i < m; i++) pz->cat[choice_index(d, obs[i])] += 1.0;
    double sum = 0;
    for (int k = 0; k < pz->n_cat; k++) sum += pz->cat[k];
    for (int k = 0; k < pz->n_cat; k++) pz->cat[k] /= sum;
    return;
  }
  bounds(d, &pz->low, &pz->high);
  double range = pz->high - pz->low;
  /* components: the observations and the prior at the centre, sorted */
  double mu[TPE_MAX_BELOW * 40 + 1];
  int n = 0;
  for (int i = 0; i < m && n < (int)(sizeof mu / sizeof mu[0]) - 1; i++) mu[n++] = obs[i];
  mu[n++] = 0.5 * (pz->low + pz->high);
  qsort(mu, (size_t)n, sizeof mu[0], cmp_double);
  double min_sigma = range / (n < 100 ? 1.0 + n : 100.0);
  for (int i = 0; i < n; i++) {
    double left = mu[i] - (i > 0 ? mu[i - 1] : pz->low);
    double right = (i + 1 < n ? mu[i + 1] : pz->high) - mu[i];
    double s = left > right ? left : right;
    if (s < min_sigma) s = min_sigma;
    if (s > range) s = range;
    pz->mu[i] = mu[i];
    pz->sigma[i] = s;
    pz->w[i] = 1.0 / n;
  }
  /* the prior component is wide: the whole interval */
  for (int i = 0; i < n; i++)
    if (pz->mu[i] == 0.5 * (pz->low + pz->high)) {
      pz->sigma[i] = range;
      break;
    }
  pz->n = n;
}

static double parzen_sample(const parzen *pz, cq_rng *r) {
  double u = cq_rng_uniform(r);
  if (pz->categorical) {
    int k = 0;
    for (double acc = pz->cat[0]; k + 1 < pz->n_cat && u >= acc; acc += pz->cat[++k]) {
    }
    return k;
  }
  int i = 0;
  for (double acc = pz->w[0]; i + 1 < pz->n && u >= acc; acc += pz->w[++i]) {
  }
  for (int tries = 0; tries < 64; tries++) {
    double x = pz->mu[i] + pz->sigma[i] * cq_rng_normal(r);
    if (x >= pz->low && x <= pz->high) return x;
  }
  return pz->mu[i] < pz->low ? pz->low : pz->mu[i] > pz->high ? pz->high : pz->mu[i];
}

static double parzen_logpdf(const parzen *pz, double x) {
  if (pz->categorical) return log(pz->cat[(int)x]);
  double p = 0;
  for (int i = 0; i < pz->n; i++) {
    double s = pz->sigma[i], z = (x - pz->mu[i]) / s;
    double mass = cq_norm_cdf((pz->high - pz->mu[i]) / s) - cq_norm_cdf((pz->low - pz->mu[i]) / s);
    if (mass <= 0) continue;
    p += pz->w[i] * exp(-0.5 * z * z) / (s * sqrt(2 * M_PI) * mass);
  }
  return p > 0 ? log(p) : -1e300;
}

/* A numeric draw snapped to the dimension's grid; a categorical draw to its value. */
static double snap(const cq_opt_dim *d, double v) {
  if (d->n_choices > 0) return d->choices[(int)v];
  if (d->step > 0) {
    int64_t l = (int64_t)floor((v - d->lo) / d->step + 0.5), n = cq_opt_dim_levels(d);
    if (l < 0) l = 0;
    if (l >= n) l = n - 1;
    return cq_opt_dim_value(d, l);
  }
  return v < d->lo ? d->lo : v > d->hi ? d->hi : v;
}

/* The values of dimension i over trials, good (the best n_below) or the others. */
typedef struct ranked {
  int64_t idx;
  double score;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if (x->score != y->score) return x->score < y->score ? 1 : -1; /* best first */
  return (x->idx > y->idx) - (x->idx < y->idx);
}

static int tpe_point(const cq_opt_study *st, size_t history, cq_rng *r, double *x, bool *ok,
                     cq_error *err) {
  const cq_opt_space *s = &st->space;
  ranked *rk = malloc((history ? history : 1) * sizeof *rk);
  double *vals = malloc((history ? history : 1) * sizeof *vals);
  parzen *pz = malloc(2 * sizeof *pz);
  if (!rk || !vals || !pz) {
    free(rk);
    free(vals);
    free(pz);
    return cq_error_set(err, CQ_ENOMEM, "optimize: no memory for the TPE model");
  }
  for (size_t i = 0; i < history; i++)
    rk[i] = (ranked){(int64_t)i, cq__opt_score(st, &st->trials[i])};
  qsort(rk, history, sizeof *rk, cmp_ranked);
  /* gamma(n) = min(ceil(0.1 n), 25), as Optuna */
  int below = (int)ceil(0.1 * (double)history);
  if (below > TPE_MAX_BELOW) below = TPE_MAX_BELOW;
  if (below < 1) below = 1;
  int ncand = st->config.tpe_candidates > 0 ? st->config.tpe_candidates : 24;
  double best = -INFINITY, cand[CQ_MAX_PARAMS], lg[CQ_MAX_PARAMS];
  *ok = false;
  /* candidates: each dimension drawn from its good estimator; scored by sum log l - log g */
  double draws[CQ_MAX_PARAMS][64];
  double score[64] = {0};
  if (ncand > 64) ncand = 64;
  for (int d = 0; d < s->n_dims; d++) {
    const cq_opt_dim *dim = &s->dims[d];
    for (int pass = 0; pass < 2; pass++) {
      int from = pass ? below : 0, to = pass ? (int)history : below, m = 0;
      for (int i = from; i < to; i++) {
        vals[m++] = st->trials[rk[i].idx].params[dim->param];
      }
      parzen_fit(&pz[pass], dim, vals, m);
    }
    for (int c = 0; c < ncand; c++) {
      double v = parzen_sample(&pz[0], r);
      draws[d][c] = v;
      double at = dim->n_choices ? v : snap(dim, v);
      score[c] += parzen_logpdf(&pz[0], at) - parzen_logpdf(&pz[1], at);
    }
  }
  for (int c = 0; c < ncand; c++) {
    for (int d = 0; d < s->n_dims; d++) cand[d] = snap(&s->dims[d], draws[d][c]);
    if (score[c] > best && feasible_x(s, cand)) {
      best = score[c];
      memcpy(lg, cand, sizeof cand);
      *ok = true;
    }
  }
  if (*ok) memcpy(x, lg, (size_t)s->n_dims * sizeof *x);
  free(rk);
  free(vals);
  free(pz);
  return CQ_OK;
}

/* ---- proposals ----------------------------------------------------------------------------- */

int cq__sampler_propose(const cq__sampler *sm, const cq_opt_study *st, size_t history,
                        int64_t number, double *x, bool *done, cq_error *err) {
  const cq_opt_space *s = &st->space;
  *done = false;
  if (st->config.sampler == CQ_SAMPLER_GRID) {
    if (number >= sm->n_grid) {
      *done = true;
      return CQ_OK;
    }
    cq__opt_grid_point(s, sm->grid[number], x);
    return CQ_OK;
  }
  cq_rng r;
  cq_rng_seed(&r, cq_rng_derive(st->config.seed, (uint64_t)number));
  int startup = st->config.tpe_startup > 0 ? st->config.tpe_startup : 10;
  size_t complete = 0;
  for (size_t i = 0; i < history; i++) complete += st->trials[i].state == CQ_TRIAL_COMPLETE;
  if (st->config.sampler == CQ_SAMPLER_TPE && complete >= (size_t)startup && history >= 2) {
    bool ok = false;
    int rc = tpe_point(st, history, &r, x, &ok, err);
    if (rc || ok) return rc;
  }
  return random_point(s, &r, x, err);
}
