/* Overfitting statistics and confidence intervals: the Probabilistic and Deflated Sharpe
 * Ratios (Bailey & López de Prado, 2012, 2014), the Probability of Backtest Overfitting by
 * combinatorially symmetric cross-validation (Bailey, Borwein, López de Prado & Zhu, 2015),
 * parameter stability around a best point, and bootstrap confidence intervals.
 * docs/overfitting.md gives the formulas, assumptions and references.
 *
 * Every statistic says whether it could be computed: `ok` false with `why` filled ("needs at
 * least 2 trials", ...) instead of a NaN that a report would print silently. */
#ifndef CQUANT_STATS_H
#define CQUANT_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core.h"
#include "cquant/core/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CQ_STAT_WHY_MAX = 96 };

/* Moments of a return series (per period, not annualized). */
typedef struct cq_moments {
  int64_t n;
  double mean, sd; /* sd with n - 1 */
  double skew;     /* sample skewness (biased, m3 / m2^1.5) */
  double kurt;     /* kurtosis, not excess (3 for a normal distribution) */
} cq_moments;

/* Moments of x[0..n), skipping NaN: n counts the values kept. mean is NaN when n = 0, sd when
 * n < 2, skew and kurt when the values do not vary (m2 = 0). */
cq_moments cq_moments_of(const double *x, size_t n);

/* Standard normal CDF and its inverse (quantile function): cq_norm_ppf(0) is -inf,
 * cq_norm_ppf(1) is +inf, NaN outside [0, 1]. Both to within a few ulps. */
double cq_norm_cdf(double x);
double cq_norm_ppf(double p);

/* Probabilistic Sharpe Ratio: P(true SR > sr0) given an observed per-period Sharpe sr over n
 * observations with skewness skew and kurtosis kurt (not excess).
 *   PSR = Phi( (sr - sr0) * sqrt(n - 1) / sqrt(1 - skew*sr + (kurt - 1)/4 * sr^2) )
 * Not ok with fewer than 3 observations, a non-finite input, or a denominator that is not
 * positive. */
typedef struct cq_stat {
  bool ok;
  double value;
  char why[CQ_STAT_WHY_MAX]; /* when !ok */
} cq_stat;

cq_stat cq_psr(double sr, double sr0, int64_t n, double skew, double kurt);

/* Expected maximum of n_trials Sharpe ratios drawn with variance var_sr around 0:
 *   E[max] = sqrt(var_sr) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e))), g = Euler's
 * constant. Not ok with fewer than 2 trials or a variance that is not > 0 and finite. */
cq_stat cq_expected_max_sharpe(double var_sr, int64_t n_trials);

/* Deflated Sharpe Ratio: PSR with sr0 = the expected maximum above. sr, var_sr per period. */
typedef struct cq_dsr {
  cq_stat dsr; /* the probability that the best trial's Sharpe beats luck */
  double sr0;  /* the expected maximum Sharpe under no skill (per period); NaN when it could not
                  be computed (dsr.why says why) */
  int64_t n_trials;
  double var_sr;
} cq_dsr;

cq_dsr cq_deflated_sharpe(double sr, int64_t n_obs, double skew, double kurt, int64_t n_trials,
                          double var_sr);

/* ---- Probability of Backtest Overfitting (CSCV) --------------------------------------- */

/* The trial matrix in compact form: each trial's returns cut into n_blocks consecutive
 * blocks of (nearly) equal length, each block kept as count, sum and sum of squares. Any
 * union of blocks then has an exact mean and standard deviation, hence a Sharpe ratio.
 * block[(trial * n_blocks) + b]. */
typedef struct cq_block_stat {
  double n, sum, sumsq;
} cq_block_stat;

/* Fills blocks[0..n_blocks) from a return series r[0..n) (NaN skipped). Block b covers the
 * positions [b * n / n_blocks, (b + 1) * n / n_blocks) (integer division), so the blocks of
 * trials of the same length cover the same periods; a NaN only lowers its block's count.
 * Does nothing when n_blocks < 1. */
void cq_block_stats_of(const double *r, size_t n, int n_blocks, cq_block_stat *blocks);

typedef struct cq_pbo {
  cq_stat pbo;      /* share of splits whose in-sample best ranks at or below the OOS median
                       (logit <= 0) */
  int64_t n_splits; /* C(S, S/2) */
  cq_stat slope;    /* least squares OOS Sharpe = intercept + slope * IS Sharpe of the chosen
                       trial over the splits (degradation); not ok when the chosen trial's IS
                       Sharpe is the same in every split */
  double intercept; /* NaN when !slope.ok */
  double prob_loss; /* share of splits where the chosen trial's OOS Sharpe is < 0 */
  double *logits;   /* n_splits lambdas, split order (malloc'd; cq_pbo_release) */
} cq_pbo;

/* CSCV over n_trials trials x n_blocks blocks (n_blocks even, 2..24; every block with n >= 2).
 * Each split takes n_blocks / 2 blocks in sample (IS), the rest out of sample (OOS); the
 * performance of a trial is the Sharpe ratio (mean / sd, sd with n - 1) of the union of its
 * blocks, 0 for a union of zeros. The chosen trial is the IS best (ties: lowest index); its
 * OOS rank is 1 + (trials below it) + (other trials equal to it) / 2, omega = rank / (N + 1)
 * and lambda = ln(omega / (1 - omega)). Needs at least 2 trials. On success *out owns logits;
 * on failure *out holds nothing to release. CQ_EINVAL for bad input, CQ_ENOMEM. */
CQ_NODISCARD int cq_pbo_cscv(const cq_block_stat *blocks, int n_trials, int n_blocks, cq_pbo *out,
                             cq_error *err);
void cq_pbo_release(cq_pbo *p); /* frees logits; NULL-safe, idempotent */

/* ---- parameter stability --------------------------------------------------------------- */

/* Points in a normalized parameter space: x[i * dims + d] in [0, 1]; value[i] the objective
 * (larger is better; NaN: infeasible). The neighbourhood of the best point is every other
 * point within `radius` (max-norm). stability = mean objective of the neighbours / best
 * objective when the best is positive (1: a plateau, 0 or below: a spike); `fall` = best -
 * mean of neighbours. Infeasible points are neither the best nor neighbours. Not ok with
 * fewer than 1 neighbour or a best that is not positive (fall is still given then; best is -1
 * and fall NaN when no point is feasible). */
typedef struct cq_stability {
  cq_stat stability;
  double fall;
  int64_t neighbours;
  int64_t best; /* index of the best point */
} cq_stability;

cq_stability cq_param_stability(const double *x, const double *value, size_t n, int dims,
                                double radius);

/* ---- bootstrap ------------------------------------------------------------------------- */

typedef struct cq_interval {
  cq_stat point;     /* the statistic on the data itself */
  double lo, hi;     /* percentile interval; NaN when !point.ok */
  double level;      /* 0.95 */
  int64_t resamples; /* resamples whose statistic was not NaN (the others are left out) */
} cq_interval;

/* The statistic a bootstrap resamples: f(x, n, user) on a resampled series. */
typedef double (*cq_stat_fn)(const double *x, size_t n, void *user);

/* Percentile bootstrap of f over x[0..n): resamples of n values, drawn in blocks of
 * block_len consecutive values (1: the i.i.d. bootstrap, for trades; more for bar returns,
 * a circular block bootstrap keeping short-range dependence). Seeded: resample k draws from
 * cq_rng_derive(seed, k), so the same seed gives the same interval. lo and hi are the
 * (1 - level) / 2 and (1 + level) / 2 quantiles of the resampled statistics, linear
 * interpolation between order statistics (Hyndman & Fan type 7, as R and numpy by default).
 * x must hold no NaN (drop missing values first). Returns 0 with point.ok false when there
 * are fewer than 10 values, when f is not finite on x itself, or when every resample gave
 * NaN; CQ_EINVAL for bad arguments (NULL x or f, resamples outside 1..10,000,000, block_len
 * outside 1..n, level outside (0, 1), a NaN in x), CQ_ENOMEM. */
CQ_NODISCARD int cq_bootstrap(const double *x, size_t n, cq_stat_fn f, void *user, int resamples,
                              size_t block_len, double level, uint64_t seed, cq_interval *out,
                              cq_error *err);

/* Statistics to pass to cq_bootstrap: the mean; the per-period Sharpe (mean / sd); the
 * compounded total return of simple returns; the maximum drawdown of compounded returns (a
 * positive fraction, from a start of 1); the share of values > 0; the profit factor (sum of
 * gains / -(sum of losses), zeros count as neither). NaN when undefined: n = 0; for the
 * Sharpe n < 2 or sd = 0; for the profit factor no loss. user is not used. */
double cq_stat_mean(const double *x, size_t n, void *user);
double cq_stat_sharpe(const double *x, size_t n, void *user);
double cq_stat_total_return(const double *x, size_t n, void *user);
double cq_stat_max_drawdown(const double *x, size_t n, void *user);
double cq_stat_win_rate(const double *x, size_t n, void *user);
double cq_stat_profit_factor(const double *x, size_t n, void *user);

#ifdef __cplusplus
}
#endif
#endif
