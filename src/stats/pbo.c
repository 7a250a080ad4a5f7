/* The Probability of Backtest Overfitting by combinatorially symmetric cross-validation
 * (Bailey, Borwein, López de Prado & Zhu, 2015). Splits are bit masks of the blocks taken in
 * sample, enumerated in increasing order with n_blocks / 2 bits set. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "stats_internal.h"

enum { PBO_MAX_BLOCKS = 24 };

void cq_block_stats_of(const double *r, size_t n, int n_blocks, cq_block_stat *blocks) {
  if (n_blocks < 1 || !blocks) return;
  size_t s = (size_t)n_blocks;
  for (size_t b = 0; b < s; b++) {
    cq_block_stat st = {0, 0, 0};
    size_t lo = b * n / s, hi = (b + 1) * n / s;
    for (size_t i = lo; r && i < hi; i++) {
      if (isnan(r[i])) continue;
      st.n += 1.0;
      st.sum += r[i];
      st.sumsq += r[i] * r[i];
    }
    blocks[b] = st;
  }
}

void cq_pbo_release(cq_pbo *p) {
  if (!p) return;
  free(p->logits);
  p->logits = NULL;
}

static int check_block(const cq_block_stat *b, int trial, int block, cq_error *err) {
  if (!isfinite(b->n) || b->n != floor(b->n) || b->n < 2.0)
    return cq_error_set(err, CQ_EINVAL,
                        "pbo: trial %d, block %d has %g values; every block needs at least 2 "
                        "(use fewer blocks or a longer series)",
                        trial, block, b->n);
  if (!isfinite(b->sum) || !isfinite(b->sumsq) || b->sumsq < 0.0)
    return cq_error_set(err, CQ_EINVAL,
                        "pbo: trial %d, block %d: sum %g and sum of squares %g must be finite "
                        "(and the sum of squares >= 0)",
                        trial, block, b->sum, b->sumsq);
  return CQ_OK;
}

static int check_input(const cq_block_stat *blocks, int n_trials, int n_blocks, cq_error *err) {
  if (!blocks) return cq_error_set(err, CQ_EINVAL, "pbo: no blocks");
  if (n_trials < 2)
    return cq_error_set(err, CQ_EINVAL, "pbo: needs at least 2 trials (got %d)", n_trials);
  if (n_blocks < 2 || n_blocks > PBO_MAX_BLOCKS || n_blocks % 2)
    return cq_error_set(err, CQ_EINVAL, "pbo: the number of blocks must be even, 2..%d (got %d)",
                        PBO_MAX_BLOCKS, n_blocks);
  for (int t = 0; t < n_trials; t++) {
    for (int b = 0; b < n_blocks; b++) {
      int rc = check_block(&blocks[(size_t)t * (size_t)n_blocks + (size_t)b], t, b, err);
      if (rc) return rc;
    }
  }
  return CQ_OK;
}

static int64_t choose_half(int s) {
  int64_t c = 1;
  for (int i = 1; i <= s / 2; i++) c = c * (s / 2 + i) / i; /* exact at every step */
  return c;
}

/* The next larger integer with as many bits set (Gosper's hack). */
static uint32_t next_combination(uint32_t m) {
  uint32_t low = m & -m, r = m + low;
  return (((r ^ m) >> 2) / low) | r;
}

/* Sharpe ratio of a union of blocks. A union that does not vary has Sharpe 0 when it is all
 * zeros (a trial that never traded) and none otherwise. Variance below rounding counts as
 * none: sumsq - sum * mean loses about eps * sumsq to cancellation. */
static int union_sharpe(cq_block_stat u, int trial, double *out, cq_error *err) {
  double mean = u.sum / u.n, ss = u.sumsq - u.sum * mean;
  if (ss > 64.0 * DBL_EPSILON * u.sumsq) {
    *out = mean / sqrt(ss / (u.n - 1.0));
    return CQ_OK;
  }
  if (u.sumsq == 0.0) {
    *out = 0.0;
    return CQ_OK;
  }
  return cq_error_set(err, CQ_EINVAL,
                      "pbo: trial %d has constant non-zero returns over half of its blocks; "
                      "its Sharpe ratio is undefined",
                      trial);
}

static void add_block(cq_block_stat *u, const cq_block_stat *b) {
  u->n += b->n;
  u->sum += b->sum;
  u->sumsq += b->sumsq;
}

/* In-sample and out-of-sample Sharpe of every trial for the split `mask`. */
static int split_perf(const cq_block_stat *blocks, int n_trials, int n_blocks, uint32_t mask,
                      double *is, double *oos, cq_error *err) {
  for (int t = 0; t < n_trials; t++) {
    const cq_block_stat *row = blocks + (size_t)t * (size_t)n_blocks;
    cq_block_stat in = {0, 0, 0}, out = {0, 0, 0};
    for (int b = 0; b < n_blocks; b++) add_block((mask >> b) & 1u ? &in : &out, &row[b]);
    int rc = union_sharpe(in, t, &is[t], err);
    if (!rc) rc = union_sharpe(out, t, &oos[t], err);
    if (rc) return rc;
  }
  return CQ_OK;
}

static int argmax_first(const double *v, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (v[i] > v[best]) best = i;
  return best;
}

/* 1-based rank of oos[k] among all trials: 1 + those below + half of the others equal. */
static double oos_rank(const double *oos, int n, int k) {
  double rank = 1.0;
  for (int i = 0; i < n; i++) {
    if (i == k) continue;
    if (oos[i] < oos[k])
      rank += 1.0;
    else if (oos[i] == oos[k])
      rank += 0.5;
  }
  return rank;
}

/* Running least squares of y on x (Welford's updates: no second pass, no cancellation). */
typedef struct fit_acc {
  int64_t k;
  double mx, my, sxx, sxy;
} fit_acc;

static void fit_add(fit_acc *a, double x, double y) {
  a->k++;
  double dx = x - a->mx;
  a->mx += dx / (double)a->k;
  a->my += (y - a->my) / (double)a->k;
  a->sxy += dx * (y - a->my);
  a->sxx += dx * (x - a->mx);
}

static void fit_finish(const fit_acc *a, cq_pbo *out) {
  double tiny = 1e-12 * fabs(a->mx);
  if (!(a->sxx > (double)a->k * tiny * tiny)) {
    out->slope = cq__stat_fail("the chosen trial's in-sample Sharpe is the same in every split");
    out->intercept = NAN;
    return;
  }
  out->slope = cq__stat_value(a->sxy / a->sxx);
  out->intercept = a->my - out->slope.value * a->mx;
}

typedef struct pbo_work {
  double *is, *oos;
  fit_acc fit;
  int64_t overfit, loss;
} pbo_work;

static int run_splits(const cq_block_stat *blocks, int n_trials, int n_blocks, pbo_work *w,
                      cq_pbo *out, cq_error *err) {
  uint32_t end = UINT32_C(1) << n_blocks, mask = (UINT32_C(1) << (n_blocks / 2)) - 1u;
  for (int64_t c = 0; mask < end; c++, mask = next_combination(mask)) {
    int rc = split_perf(blocks, n_trials, n_blocks, mask, w->is, w->oos, err);
    if (rc) return rc;
    int best = argmax_first(w->is, n_trials);
    double rank = oos_rank(w->oos, n_trials, best);
    /* omega / (1 - omega) = rank / (N + 1 - rank): exactly 1, lambda exactly 0, at the median */
    out->logits[c] = log(rank / ((double)n_trials + 1.0 - rank));
    w->overfit += 2.0 * rank <= (double)n_trials + 1.0;
    w->loss += w->oos[best] < 0.0;
    fit_add(&w->fit, w->is[best], w->oos[best]);
  }
  return CQ_OK;
}

int cq_pbo_cscv(const cq_block_stat *blocks, int n_trials, int n_blocks, cq_pbo *out,
                cq_error *err) {
  if (!out) return cq_error_set(err, CQ_EINVAL, "pbo: no result to fill");
  *out = (cq_pbo){.pbo = cq__stat_fail("not computed"), .slope = cq__stat_fail("not computed")};
  out->intercept = out->prob_loss = NAN;
  int rc = check_input(blocks, n_trials, n_blocks, err);
  if (rc) return rc;
  out->n_splits = choose_half(n_blocks);
  pbo_work w = {0};
  out->logits = malloc((size_t)out->n_splits * sizeof *out->logits);
  w.is = calloc(2 * (size_t)n_trials, sizeof *w.is);
  if (!out->logits || !w.is) {
    rc = cq_error_set(err, CQ_ENOMEM, "pbo: out of memory for %lld splits x %d trials",
                      (long long)out->n_splits, n_trials);
  } else {
    w.oos = w.is + n_trials;
    rc = run_splits(blocks, n_trials, n_blocks, &w, out, err);
  }
  free(w.is);
  if (rc) {
    cq_pbo_release(out);
    return rc;
  }
  double splits = (double)out->n_splits;
  out->pbo = cq__stat_value((double)w.overfit / splits);
  out->prob_loss = (double)w.loss / splits;
  fit_finish(&w.fit, out);
  return CQ_OK;
}
