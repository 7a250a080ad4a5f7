/* Overfitting statistics and bootstrap intervals against values worked out independently:
 * normal quantiles from mpmath at 40 digits, PSR and DSR from scipy and the numerical example
 * of Bailey & López de Prado (2014), PBO on matrices whose answer is known by construction or
 * by hand, and a brute-force CSCV on raw series. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/stats.h"

static void close_to(double got, double want, double rel, const char *what) {
  double tol = rel * fabs(want);
  if (!(fabs(got - want) <= tol))
    fail_msg("%s: got %.17g, want %.17g (rel tol %g)", what, got, want, rel);
}

static void abs_close(double got, double want, double tol, const char *what) {
  if (!(fabs(got - want) <= tol))
    fail_msg("%s: got %.17g, want %.17g (tol %g)", what, got, want, tol);
}

static void why_has(const cq_stat *s, const char *part) {
  assert_false(s->ok);
  assert_true(isnan(s->value));
  if (!strstr(s->why, part)) fail_msg("why \"%s\" lacks \"%s\"", s->why, part);
}

static void msg_has(const cq_error *e, const char *part) {
  if (!strstr(e->msg, part)) fail_msg("error \"%s\" lacks \"%s\"", e->msg, part);
}

/* ---- moments and the normal distribution --------------------------------------------- */

/* Reference: scipy.stats (skew biased, kurtosis(fisher=False)), numpy std(ddof=1). */
static void test_moments(void **state) {
  (void)state;
  const double x[] = {0.01, -0.02, 0.015, 0.003, NAN, -0.007, 0.02, -0.011, 0.004, 0.05, -0.03};
  cq_moments m = cq_moments_of(x, sizeof x / sizeof x[0]);
  assert_int_equal(m.n, 10);
  close_to(m.mean, 0.0034000000000000002, 1e-14, "mean");
  close_to(m.sd, 0.022618576436195095, 1e-14, "sd");
  close_to(m.skew, 0.5408275024451923, 1e-13, "skew");
  close_to(m.kurt, 3.023798111140341, 1e-13, "kurt");

  const double one[] = {NAN, 2.0};
  m = cq_moments_of(one, 2);
  assert_int_equal(m.n, 1);
  assert_true(m.mean == 2.0);
  assert_true(isnan(m.sd) && isnan(m.skew) && isnan(m.kurt));
  const double flat[] = {1.0, 1.0, 1.0};
  m = cq_moments_of(flat, 3);
  assert_true(m.sd == 0.0 && isnan(m.skew) && isnan(m.kurt));
  m = cq_moments_of(flat, 0);
  assert_int_equal(m.n, 0);
  assert_true(isnan(m.mean));
}

/* Reference: mpmath ncdf at 40 digits. */
static void test_norm_cdf(void **state) {
  (void)state;
  close_to(cq_norm_cdf(1.96), 0.9750021048517795, 2e-16, "Phi(1.96)");
  close_to(cq_norm_cdf(-1.0), 0.15865525393145705, 4e-16, "Phi(-1)");
  close_to(cq_norm_cdf(0.5), 0.6914624612740131, 2e-16, "Phi(0.5)");
  close_to(cq_norm_cdf(3.0), 0.99865010196836991, 2e-16, "Phi(3)");
  close_to(cq_norm_cdf(-5.0), 2.8665157187919391e-7, 1e-15, "Phi(-5)");
  close_to(cq_norm_cdf(-10.0), 7.6198530241605261e-24, 1e-15, "Phi(-10)");
  close_to(cq_norm_cdf(-37.0), 5.7255712225245768e-300, 1e-14, "Phi(-37)");
  assert_true(cq_norm_cdf(0.0) == 0.5);
  assert_true(cq_norm_cdf(-INFINITY) == 0.0 && cq_norm_cdf(INFINITY) == 1.0);
}

/* Reference: mpmath, the root of ncdf(x) = p for the double p, at 40 digits. */
static void test_norm_ppf(void **state) {
  (void)state;
  close_to(cq_norm_ppf(0.975), 1.9599639845400539, 4e-16, "ppf(0.975)");
  close_to(cq_norm_ppf(0.025), -1.9599639845400542, 4e-16, "ppf(0.025)");
  close_to(cq_norm_ppf(1e-10), -6.3613409024040562, 4e-16, "ppf(1e-10)");
  close_to(cq_norm_ppf(0.3), -0.52440051270804082, 4e-16, "ppf(0.3)");
  close_to(cq_norm_ppf(1e-300), -37.047096299361199, 4e-16, "ppf(1e-300)");
  close_to(cq_norm_ppf(0.999), 3.0902323061678133, 4e-16, "ppf(0.999)");
  close_to(cq_norm_ppf(0.9999999), 5.1993375822906611, 1e-15, "ppf(0.9999999)");
  assert_true(cq_norm_ppf(0.5) == 0.0);
  assert_true(cq_norm_ppf(0.0) == -INFINITY && cq_norm_ppf(1.0) == INFINITY);
  assert_true(isnan(cq_norm_ppf(-0.1)) && isnan(cq_norm_ppf(1.5)) && isnan(cq_norm_ppf(NAN)));
  /* both sides of Acklam's region boundary (0.02425), where the rational forms switch */
  for (int i = 0; i < 40; i++) {
    double p = 1e-6 * pow(1.37, i); /* 1e-6 .. 0.2 */
    close_to(cq_norm_cdf(cq_norm_ppf(p)), p, 1e-14, "cdf(ppf(p))");
  }
}

/* ---- PSR, expected maximum, DSR ------------------------------------------------------- */

/* Reference: scipy, norm.cdf((sr - sr0) sqrt(n - 1) / sqrt(1 - skew sr + (kurt - 1) / 4 sr^2)). */
static void test_psr(void **state) {
  (void)state;
  cq_stat s = cq_psr(0.1, 0.0, 100, -0.5, 4.0);
  assert_true(s.ok);
  close_to(s.value, 0.8333676424821833, 1e-14, "psr 1");
  close_to(cq_psr(0.05, 0.02, 500, 0.3, 6.0).value, 0.7498964857673378, 1e-14, "psr 2");
  close_to(cq_psr(-0.02, 0.0, 60, 0.0, 3.0).value, 0.4389595898201137, 1e-14, "psr 3");
  assert_true(cq_psr(0.07, 0.07, 30, 1.0, 9.0).value == 0.5);

  s = cq_psr(0.1, 0.0, 2, 0.0, 3.0);
  why_has(&s, "needs at least 3 observations");
  s = cq_psr(1.0, 0.0, 100, 2.0, 1.0); /* 1 - 2 + 0 = -1 */
  why_has(&s, "denominator");
  why_has(&s, "not positive");
  s = cq_psr(NAN, 0.0, 100, 0.0, 3.0);
  why_has(&s, "finite");
  s = cq_psr(0.1, 0.0, 100, 0.0, INFINITY);
  why_has(&s, "finite");
}

/* Reference: scipy, sqrt(V) ((1 - g) norm.ppf(1 - 1/N) + g norm.ppf(1 - 1/(N e))). */
static void test_expected_max(void **state) {
  (void)state;
  close_to(cq_expected_max_sharpe(1.0, 2).value, 0.5197553442805939, 1e-14, "N=2");
  close_to(cq_expected_max_sharpe(1.0, 10).value, 1.57459830134575, 1e-14, "N=10");
  close_to(cq_expected_max_sharpe(1.0, 100).value, 2.5306028932016846, 1e-14, "N=100");
  close_to(cq_expected_max_sharpe(0.25, 1000).value, 1.6275607568263615, 1e-14, "N=1000");
  cq_stat s = cq_expected_max_sharpe(1.0, 1);
  why_has(&s, "needs at least 2 trials");
  s = cq_expected_max_sharpe(0.0, 10);
  why_has(&s, "variance of the trials' Sharpe ratios is 0");
  s = cq_expected_max_sharpe(-1.0, 10);
  why_has(&s, "variance");
  s = cq_expected_max_sharpe(NAN, 10);
  why_has(&s, "variance");
}

/* The numerical example of Bailey & López de Prado (2014): an annualized Sharpe of 2.5 over 5
 * years of daily returns (T = 1250, 250 a year), skewness -3, kurtosis 10, the best of
 * N = 100 trials whose annualized Sharpe ratios have variance 1/2. The paper finds
 * SR0 = 0.1132 (per day) and DSR = 0.9004; scipy on the same formulas gives the digits
 * below. */
static void test_dsr_paper_example(void **state) {
  (void)state;
  double sr = 2.5 / sqrt(250.0), var = 0.5 / 250.0;
  cq_dsr d = cq_deflated_sharpe(sr, 1250, -3.0, 10.0, 100, var);
  assert_true(d.dsr.ok);
  close_to(d.sr0, 0.11317200186513214, 1e-13, "sr0");
  close_to(d.dsr.value, 0.9003968344493903, 1e-13, "dsr");
  abs_close(d.sr0, 0.1132, 5e-5, "paper sr0");
  abs_close(d.dsr.value, 0.9004, 5e-5, "paper dsr");
  assert_int_equal(d.n_trials, 100);
  assert_true(d.var_sr == var);

  d = cq_deflated_sharpe(sr, 1250, -3.0, 10.0, 1, var);
  why_has(&d.dsr, "needs at least 2 trials");
  assert_true(isnan(d.sr0));
  d = cq_deflated_sharpe(sr, 1250, -3.0, 10.0, 100, 0.0);
  why_has(&d.dsr, "variance of the trials' Sharpe ratios is 0");
  d = cq_deflated_sharpe(sr, 2, -3.0, 10.0, 100, var);
  why_has(&d.dsr, "needs at least 3 observations");
  assert_false(isnan(d.sr0));
}

/* ---- PBO ------------------------------------------------------------------------------ */

enum { MAX_T = 1024, MAX_N = 64, MAX_S = 24 };

/* A trial whose block b holds the 2 * half values mean[b] - 1, mean[b] + 1, ... */
static void trial_blocks(const double *mean, int n_blocks, int half, cq_block_stat *out) {
  double r[MAX_T];
  size_t n = 0;
  for (int b = 0; b < n_blocks; b++)
    for (int j = 0; j < 2 * half; j++) r[n++] = mean[b] + (j % 2 ? 1.0 : -1.0);
  cq_block_stats_of(r, n, n_blocks, out);
}

static cq_pbo run_pbo(const cq_block_stat *blocks, int n_trials, int n_blocks) {
  cq_pbo p;
  cq_error err = {0};
  int rc = cq_pbo_cscv(blocks, n_trials, n_blocks, &p, &err);
  if (rc) fail_msg("cq_pbo_cscv: %s", err.msg);
  return p;
}

/* Trial k is the same series shifted up by 0.1 k: every union has the same sd for every trial,
 * so trial N - 1 is best in and out of sample in every split, lambda = ln(N / 1) > 0. */
static void test_pbo_zero(void **state) {
  (void)state;
  enum { N = 5, S = 6 };
  cq_block_stat blocks[N * S];
  for (int k = 0; k < N; k++) {
    double mean[S] = {0.05, -0.02, 0.03, 0.01, -0.04, 0.02};
    for (int b = 0; b < S; b++) mean[b] += 0.1 * k;
    trial_blocks(mean, S, 3, &blocks[(size_t)k * S]);
  }
  cq_pbo p = run_pbo(blocks, N, S);
  assert_int_equal(p.n_splits, 20);
  assert_true(p.pbo.ok);
  assert_true(p.pbo.value == 0.0);
  assert_true(p.prob_loss == 0.0);
  for (int c = 0; c < p.n_splits; c++) close_to(p.logits[c], log(5.0), 1e-15, "logit");
  cq_pbo_release(&p);
  assert_null(p.logits);
  cq_pbo_release(&p); /* twice is fine */
}

/* One trial per way of picking S/2 blocks: good (+0.3) on those, bad (-0.3) on the others.
 * In the split whose IS blocks are trial J's, J is the only trial good on all of them (the
 * IS best) and the only one bad on all OOS blocks (the OOS worst): rank 1, lambda = ln(1/N),
 * PBO 1, and every chosen trial loses OOS. */
static void test_pbo_one(void **state) {
  (void)state;
  enum { S = 6, N = 20 };
  cq_block_stat blocks[N * S];
  int k = 0;
  for (uint32_t m = 0; m < (1u << S); m++) {
    if (__builtin_popcount(m) != S / 2) continue;
    double mean[S];
    for (int b = 0; b < S; b++) mean[b] = (m >> b) & 1u ? 0.3 : -0.3;
    trial_blocks(mean, S, 2, &blocks[(size_t)k++ * S]);
  }
  assert_int_equal(k, N);
  cq_pbo p = run_pbo(blocks, N, S);
  assert_int_equal(p.n_splits, N);
  assert_true(p.pbo.value == 1.0);
  assert_true(p.prob_loss == 1.0);
  for (int c = 0; c < p.n_splits; c++) close_to(p.logits[c], log(1.0 / N), 1e-15, "logit");
  /* every chosen trial has the same IS Sharpe: no regression line */
  assert_false(p.slope.ok);
  assert_non_null(strstr(p.slope.why, "same in every split"));
  assert_true(isnan(p.intercept));
  cq_pbo_release(&p);
}

/* S = 4, N = 3 by hand. Each block holds two values, mean - 1 and mean + 1; block means
 *         b0    b1    b2    b3
 *   A   +0.3  +0.3  -0.3  -0.3   good early, bad late
 *   B   +0.1  +0.1  +0.1  +0.1   steady
 *   C   -0.3  -0.3  +0.3  +0.3   bad early, good late
 * A union of two blocks with means a, b has mean (a + b) / 2 and variance (4 + (a - b)^2) / 3
 * (n - 1 = 3), so with u = 0.3 / sqrt(4/3) = 0.2598:
 *   split (IS | OOS)  IS Sharpe A, B, C      n*  OOS Sharpe A, B, C     rank  lambda
 *   {0,1} | {2,3}     +u, u/3, -u             A   -u, u/3, +u            1    ln(1/3)
 *   {0,2} | {1,3}      0, u/3,  0             B    0, u/3,  0            3    ln 3
 *   {0,3} | {1,2}      0, u/3,  0             B    0, u/3,  0            3    ln 3
 *   {1,2} | {0,3}      0, u/3,  0             B    0, u/3,  0            3    ln 3
 *   {1,3} | {0,2}      0, u/3,  0             B    0, u/3,  0            3    ln 3
 *   {2,3} | {0,1}     -u, u/3, +u             C   +u, u/3, -u            1    ln(1/3)
 * (the mixed unions have mean 0 and Sharpe 0 whatever their variance). In mask order
 * (IS blocks as bits: 0011, 0101, 0110, 1001, 1010, 1100) the splits are the rows above.
 * PBO = 2/6; the chosen trial loses OOS in 2 of 6 splits. Regression of OOS on IS of the chosen
 * trial: points (u, -u) twice and (u/3, u/3) four times: mean x = 5u/9, mean y = -u/9,
 * Sxx = 48u^2/81, Sxy = -96u^2/81, so slope = -2 and intercept = -u/9 + 2 (5u/9) = u. */
static void test_pbo_by_hand(void **state) {
  (void)state;
  const double means[3][4] = {{0.3, 0.3, -0.3, -0.3}, {0.1, 0.1, 0.1, 0.1}, {-0.3, -0.3, 0.3, 0.3}};
  cq_block_stat blocks[3 * 4];
  for (int k = 0; k < 3; k++) trial_blocks(means[k], 4, 1, &blocks[(size_t)k * 4]);
  cq_pbo p = run_pbo(blocks, 3, 4);
  assert_int_equal(p.n_splits, 6);
  close_to(p.pbo.value, 2.0 / 6.0, 1e-15, "pbo");
  close_to(p.prob_loss, 2.0 / 6.0, 1e-15, "prob_loss");
  const double want[6] = {log(1.0 / 3), log(3.0), log(3.0), log(3.0), log(3.0), log(1.0 / 3)};
  for (int c = 0; c < 6; c++) close_to(p.logits[c], want[c], 1e-15, "logit");
  assert_true(p.slope.ok);
  close_to(p.slope.value, -2.0, 1e-12, "slope");
  close_to(p.intercept, 0.3 / sqrt(4.0 / 3.0), 1e-12, "intercept");
  cq_pbo_release(&p);
}

/* Two identical trials: trial 0 is the IS best (ties go to the lowest index) and ties with
 * trial 1 OOS: rank 1 + 1/2, omega = 1.5 / 3 = 1/2, lambda exactly 0, which counts as
 * overfit (PBO is the mass at lambda <= 0). */
static void test_pbo_ties(void **state) {
  (void)state;
  const double mean[4] = {0.2, -0.1, 0.05, 0.3};
  cq_block_stat blocks[2 * 4];
  trial_blocks(mean, 4, 2, &blocks[0]);
  trial_blocks(mean, 4, 2, &blocks[4]);
  cq_pbo p = run_pbo(blocks, 2, 4);
  for (int c = 0; c < p.n_splits; c++) assert_true(p.logits[c] == 0.0);
  assert_true(p.pbo.value == 1.0);
  cq_pbo_release(&p);

  /* an IS tie goes to the lowest index: trials 0 and 1 are the same on blocks 0 and 1, so in
   * the first split (IS {0, 1}) trial 0 is chosen, and it is the OOS worst (block means -0.2
   * against 0.3 and 0.1): rank 1, lambda = ln(1/3); trial 1 would have given ln 3 */
  const double tie[3][4] = {{0.2, 0.1, -0.2, -0.2}, {0.2, 0.1, 0.3, 0.3}, {0.0, 0.0, 0.1, 0.1}};
  cq_block_stat tb[3 * 4];
  for (int k = 0; k < 3; k++) trial_blocks(tie[k], 4, 2, &tb[(size_t)k * 4]);
  p = run_pbo(tb, 3, 4);
  close_to(p.logits[0], log(1.0 / 3.0), 1e-15, "IS tie");
  cq_pbo_release(&p);

  /* a trial of zeros (one that never trades) has Sharpe 0, not an error */
  cq_block_stat zero[2 * 4];
  trial_blocks(mean, 4, 2, &zero[0]);
  for (int b = 0; b < 4; b++) zero[4 + b] = (cq_block_stat){4, 0, 0};
  p = run_pbo(zero, 2, 4);
  assert_true(p.pbo.ok);
  cq_pbo_release(&p);
}

/* ---- PBO against a brute force on raw series ------------------------------------------ */

typedef struct raw_case {
  int t, n, s;
  double r[MAX_N][MAX_T];
} raw_case;

static uint64_t lcg(uint64_t *x) {
  *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
  return *x >> 11;
}

static void fill_raw(raw_case *rc, uint64_t seed) {
  for (int k = 0; k < rc->n; k++) {
    double drift = 0.0005 * (double)(k % 7) - 0.0015;
    for (int i = 0; i < rc->t; i++) {
      double u = (double)lcg(&seed) * 0x1.0p-53 - 0.5; /* uniform(-0.5, 0.5) */
      rc->r[k][i] = drift + 0.02 * u + 0.01 * sin(0.05 * i * (k + 1));
    }
    rc->r[k][(k * 13) % rc->t] = NAN; /* a gap, skipped */
  }
}

/* Sharpe of trial k over the positions whose block is in mask, straight from the values. */
static double raw_sharpe(const raw_case *rc, int k, uint32_t mask) {
  double sum = 0, ss = 0;
  int cnt = 0;
  for (int pass = 0; pass < 2; pass++) {
    double mean = cnt ? sum / cnt : 0.0;
    for (int b = 0; b < rc->s; b++) {
      if (!((mask >> b) & 1u)) continue;
      for (int i = b * rc->t / rc->s; i < (b + 1) * rc->t / rc->s; i++) {
        double v = rc->r[k][i];
        if (isnan(v)) continue;
        if (pass == 0)
          sum += v, cnt++;
        else
          ss += (v - mean) * (v - mean);
      }
    }
  }
  return (sum / cnt) / sqrt(ss / (cnt - 1));
}

typedef struct brute {
  double logits[1 << 12], pbo, loss, slope, intercept;
  int splits;
} brute;

static void brute_force(const raw_case *rc, brute *out) {
  double xs[1 << 12], ys[1 << 12];
  int c = 0, over = 0, loss = 0;
  uint32_t all = (1u << rc->s) - 1u;
  for (uint32_t m = 0; m <= all; m++) {
    if (__builtin_popcount(m) != rc->s / 2) continue;
    double is[MAX_N] = {0}, oos[MAX_N] = {0};
    int best = 0;
    for (int k = 0; k < rc->n; k++) {
      is[k] = raw_sharpe(rc, k, m);
      oos[k] = raw_sharpe(rc, k, all & ~m);
      if (is[k] > is[best]) best = k;
    }
    double below = 0, equal = 0;
    for (int k = 0; k < rc->n; k++) {
      if (oos[k] < oos[best]) below++;
      if (k != best && oos[k] == oos[best]) equal++;
    }
    double omega = (below + equal / 2 + 1) / (rc->n + 1);
    out->logits[c] = log(omega / (1 - omega));
    over += out->logits[c] <= 0;
    loss += oos[best] < 0;
    xs[c] = is[best], ys[c] = oos[best];
    c++;
  }
  double mx = 0, my = 0, sxx = 0, sxy = 0;
  for (int i = 0; i < c; i++) mx += xs[i] / c, my += ys[i] / c;
  for (int i = 0; i < c; i++)
    sxx += (xs[i] - mx) * (xs[i] - mx), sxy += (xs[i] - mx) * (ys[i] - my);
  out->splits = c;
  out->pbo = (double)over / c;
  out->loss = (double)loss / c;
  out->slope = sxy / sxx;
  out->intercept = my - out->slope * mx;
}

static void check_against_brute(int t, int n, int s, uint64_t seed, bool mixed) {
  raw_case *rc = calloc(1, sizeof *rc);
  brute *bf = calloc(1, sizeof *bf);
  cq_block_stat *blocks = calloc((size_t)n * (size_t)s, sizeof *blocks);
  assert_non_null(rc);
  assert_non_null(bf);
  assert_non_null(blocks);
  rc->t = t, rc->n = n, rc->s = s;
  fill_raw(rc, seed);
  for (int k = 0; k < n; k++) cq_block_stats_of(rc->r[k], (size_t)t, s, &blocks[(size_t)k * s]);
  brute_force(rc, bf);
  cq_pbo p = run_pbo(blocks, n, s);
  assert_int_equal(p.n_splits, bf->splits);
  for (int c = 0; c < bf->splits; c++) close_to(p.logits[c], bf->logits[c], 1e-9, "logit");
  assert_true(p.pbo.value == bf->pbo);
  assert_true(p.prob_loss == bf->loss);
  assert_true(p.slope.ok);
  close_to(p.slope.value, bf->slope, 1e-9, "slope");
  close_to(p.intercept, bf->intercept, 1e-9, "intercept");
  if (mixed && !(bf->pbo > 0.0 && bf->pbo < 1.0)) /* both sides of the median */
    fail_msg("brute-force PBO %g: the case does not exercise both sides", bf->pbo);
  cq_pbo_release(&p);
  free(blocks);
  free(bf);
  free(rc);
}

/* Uneven blocks (63 / 6 and 250 / 10 do not divide), NaN gaps, S = 6 and S = 10. */
static void test_pbo_brute_force(void **state) {
  (void)state;
  check_against_brute(63, 9, 6, 1, true);
  check_against_brute(250, 16, 10, 7, true);
  check_against_brute(100, 3, 2, 11, false);
}

static void test_block_stats(void **state) {
  (void)state;
  const double r[7] = {1, 2, NAN, 4, 5, 6, 7};
  cq_block_stat b[3];
  cq_block_stats_of(r, 7, 3, b); /* positions [0,2) [2,4) [4,7) */
  assert_true(b[0].n == 2 && b[0].sum == 3 && b[0].sumsq == 5);
  assert_true(b[1].n == 1 && b[1].sum == 4 && b[1].sumsq == 16);
  assert_true(b[2].n == 3 && b[2].sum == 18 && b[2].sumsq == 110);
}

static void expect_pbo_error(const cq_block_stat *b, int n_trials, int n_blocks, const char *part) {
  cq_pbo p;
  cq_error err = {0};
  assert_int_equal(cq_pbo_cscv(b, n_trials, n_blocks, &p, &err), CQ_EINVAL);
  assert_int_equal(err.code, CQ_EINVAL);
  msg_has(&err, part);
  assert_null(p.logits);
  cq_pbo_release(&p);
}

static void test_pbo_errors(void **state) {
  (void)state;
  cq_block_stat b[26 * 3];
  for (int i = 0; i < 26 * 3; i++) b[i] = (cq_block_stat){10, 0.1 * (i % 5), 1.0 + i};
  expect_pbo_error(b, 1, 4, "needs at least 2 trials");
  expect_pbo_error(b, 2, 5, "even");
  expect_pbo_error(b, 2, 0, "even");
  expect_pbo_error(b, 2, 26, "2..24");
  expect_pbo_error(NULL, 2, 4, "no blocks");
  b[5].n = 1;
  expect_pbo_error(b, 2, 4, "trial 1, block 1 has 1 values; every block needs at least 2");
  b[5].n = 10;
  b[2].sum = NAN;
  expect_pbo_error(b, 2, 4, "trial 0, block 2");
  b[2].sum = 0.1;
  /* a trial that is constant and non-zero over an IS half */
  cq_block_stat c[2 * 2] = {{2, 0.2, 0.02}, {2, 0.2, 0.02}, {2, 0.1, 1}, {2, -0.1, 1}};
  expect_pbo_error(c, 2, 2, "constant non-zero returns");
  cq_error err = {0};
  assert_int_equal(cq_pbo_cscv(b, 2, 4, NULL, &err), CQ_EINVAL);
}

/* ---- parameter stability --------------------------------------------------------------- */

static void test_stability(void **state) {
  (void)state;
  /* 1-D grid 0, 0.1, .., 1; best 2.0 at 0.5; within 0.15: 0.4 (1.8) and 0.6 (1.6); 0.7 is
   * NaN (infeasible, left out) */
  const double x[11] = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  double v[11] = {0.1, 0.2, 0.5, 1.0, 1.8, 2.0, 1.6, NAN, 0.3, 0.2, 0.1};
  cq_stability s = cq_param_stability(x, v, 11, 1, 0.15);
  assert_int_equal(s.best, 5);
  assert_int_equal(s.neighbours, 2);
  assert_true(s.stability.ok);
  close_to(s.stability.value, 1.7 / 2.0, 1e-15, "stability");
  close_to(s.fall, 0.3, 1e-14, "fall");
  /* radius 0.25 also takes 0.3 (1.0); 0.7 stays out */
  s = cq_param_stability(x, v, 11, 1, 0.25);
  assert_int_equal(s.neighbours, 3);
  close_to(s.stability.value, (1.0 + 1.8 + 1.6) / 3.0 / 2.0, 1e-15, "stability r=.25");

  /* 2-D, max-norm: (0.5, 0.5) best; (0.6, 0.4) is near, (0.6, 0.8) is not */
  const double x2[6] = {0.5, 0.5, 0.6, 0.4, 0.6, 0.8};
  const double v2[3] = {3.0, 1.5, 2.9};
  s = cq_param_stability(x2, v2, 3, 2, 0.2);
  assert_int_equal(s.neighbours, 1);
  close_to(s.stability.value, 0.5, 1e-15, "2-D");

  /* a spike with nothing around it */
  s = cq_param_stability(x, v, 11, 1, 0.05);
  why_has(&s.stability, "no feasible point within radius");
  /* a best that is not positive: no ratio, but the fall */
  const double neg[3] = {-1.0, -0.5, -2.0};
  s = cq_param_stability(x, neg, 3, 1, 0.15);
  why_has(&s.stability, "not positive");
  close_to(s.fall, -0.5 - (-1.0 - 2.0) / 2.0, 1e-15, "fall of negatives"); /* 1.0 */
  const double none[2] = {NAN, NAN};
  s = cq_param_stability(x, none, 2, 1, 0.5);
  why_has(&s.stability, "no feasible point");
  assert_int_equal(s.best, -1);
  s = cq_param_stability(x, v, 11, 1, -1.0);
  why_has(&s.stability, "radius");
}

/* ---- bootstrap ----------------------------------------------------------------------- */

/* Reference: numpy on the same series (cumprod for equity, the peak starting at 1). */
static void test_stat_fns(void **state) {
  (void)state;
  const double y[7] = {0.10, -0.05, 0.02, -0.08, 0.0, 0.03, 0.01};
  close_to(cq_stat_mean(y, 7, NULL), 0.004285714285714287, 1e-14, "mean");
  close_to(cq_stat_sharpe(y, 7, NULL), 0.07391464774833487, 1e-13, "sharpe");
  close_to(cq_stat_total_return(y, 7, NULL), 0.02014730840000012, 1e-13, "total");
  close_to(cq_stat_max_drawdown(y, 7, NULL), 0.10852000000000017, 1e-13, "mdd");
  close_to(cq_stat_win_rate(y, 7, NULL), 4.0 / 7.0, 1e-15, "win");
  close_to(cq_stat_profit_factor(y, 7, NULL), 0.16 / 0.13, 1e-14, "pf");
  const double z[4] = {-0.1, 0.05, -0.2, 0.5}; /* under water from the start */
  close_to(cq_stat_max_drawdown(z, 4, NULL), 0.244, 1e-14, "mdd from start");
  const double up[3] = {0.01, 0.02, 0.0};
  assert_true(isnan(cq_stat_profit_factor(up, 3, NULL)));
  assert_true(cq_stat_max_drawdown(up, 3, NULL) == 0.0);
  assert_true(isnan(cq_stat_sharpe(up, 1, NULL)));
  assert_true(isnan(cq_stat_mean(up, 0, NULL)));
  const double flat[3] = {0.01, 0.01, 0.01};
  assert_true(isnan(cq_stat_sharpe(flat, 3, NULL)));
}

static void normal_sample(double *x, size_t n, double mu, double sd, uint64_t seed) {
  cq_rng r;
  cq_rng_seed(&r, seed);
  for (size_t i = 0; i < n; i++) x[i] = mu + sd * cq_rng_normal(&r);
}

static cq_interval boot(const double *x, size_t n, cq_stat_fn f, int resamples, size_t block,
                        double level, uint64_t seed) {
  cq_interval iv;
  cq_error err = {0};
  int rc = cq_bootstrap(x, n, f, NULL, resamples, block, level, seed, &iv, &err);
  if (rc) fail_msg("cq_bootstrap: %s", err.msg);
  return iv;
}

static void test_bootstrap_determinism(void **state) {
  (void)state;
  double x[250];
  normal_sample(x, 250, 0.001, 0.01, 3);
  for (size_t block = 1; block <= 10; block += 9) {
    cq_interval a = boot(x, 250, cq_stat_sharpe, 500, block, 0.95, 42);
    cq_interval b = boot(x, 250, cq_stat_sharpe, 500, block, 0.95, 42);
    cq_interval c = boot(x, 250, cq_stat_sharpe, 500, block, 0.95, 43);
    assert_true(a.point.ok);
    assert_memory_equal(&a.lo, &b.lo, sizeof a.lo);
    assert_memory_equal(&a.hi, &b.hi, sizeof a.hi);
    assert_true(a.lo != c.lo || a.hi != c.hi);
    assert_int_equal(a.resamples, 500);
    assert_true(a.level == 0.95);
    /* a well-behaved series: the interval holds the point and is not degenerate */
    assert_true(a.lo < a.point.value && a.point.value < a.hi);
    close_to(a.point.value, cq_stat_sharpe(x, 250, NULL), 0, "point");
  }
}

/* Resample k is drawn by its own generator, cq_rng_derive(seed, k): n values in blocks of
 * block_len from starts cq_rng_below(n), wrapping round. Rebuilt here from that description;
 * with 2 resamples the type 7 quantiles are min + p (max - min). */
static double rebuilt_mean(const double *x, size_t n, size_t block, uint64_t seed) {
  cq_rng r;
  cq_rng_seed(&r, seed);
  double sum = 0;
  size_t got = 0;
  while (got < n) {
    size_t start = (size_t)cq_rng_below(&r, n);
    for (size_t j = 0; j < block && got < n; j++, got++) sum += x[(start + j) % n];
  }
  return sum / (double)n;
}

static void test_bootstrap_scheme(void **state) {
  (void)state;
  double x[37];
  normal_sample(x, 37, 0.0, 1.0, 9);
  double m0 = rebuilt_mean(x, 37, 5, cq_rng_derive(77, 0));
  double m1 = rebuilt_mean(x, 37, 5, cq_rng_derive(77, 1));
  cq_interval one = boot(x, 37, cq_stat_mean, 1, 5, 0.9, 77);
  close_to(one.lo, m0, 1e-15, "lo of 1");
  close_to(one.hi, m0, 1e-15, "hi of 1");
  cq_interval two = boot(x, 37, cq_stat_mean, 2, 5, 0.9, 77);
  double lo = fmin(m0, m1), hi = fmax(m0, m1);
  close_to(two.lo, lo + 0.05 * (hi - lo), 1e-14, "lo of 2");
  close_to(two.hi, lo + 0.95 * (hi - lo), 1e-14, "hi of 2");
}

/* Coverage of the 95 % interval for the mean of N(0.5, 1) samples of 50: the percentile
 * bootstrap covers about 93-95 % at this size. 300 experiments give a standard error of
 * 1.3 points, so [0.89, 0.99] fails for a wrong level, a wrong quantile or resamples that do
 * not vary; at level 0.5 coverage must be near 0.5. */
static double coverage(double level) {
  int hits = 0, runs = 300;
  for (int e = 0; e < runs; e++) {
    double x[50];
    normal_sample(x, 50, 0.5, 1.0, 1000 + (uint64_t)e);
    cq_interval iv = boot(x, 50, cq_stat_mean, 400, 1, level, (uint64_t)e);
    hits += iv.lo <= 0.5 && 0.5 <= iv.hi;
  }
  return (double)hits / runs;
}

static void test_bootstrap_coverage(void **state) {
  (void)state;
  double c95 = coverage(0.95), c50 = coverage(0.5);
  if (!(c95 >= 0.89 && c95 <= 0.99)) fail_msg("95%% coverage %.3f", c95);
  if (!(c50 >= 0.40 && c50 <= 0.60)) fail_msg("50%% coverage %.3f", c50);
}

static void test_bootstrap_errors(void **state) {
  (void)state;
  double x[20];
  normal_sample(x, 20, 0.0, 1.0, 5);
  cq_interval iv;
  cq_error err = {0};
  assert_int_equal(cq_bootstrap(x, 20, NULL, NULL, 100, 1, 0.95, 1, &iv, &err), CQ_EINVAL);
  msg_has(&err, "no statistic");
  assert_int_equal(cq_bootstrap(x, 20, cq_stat_mean, NULL, 0, 1, 0.95, 1, &iv, &err), CQ_EINVAL);
  msg_has(&err, "resamples must be");
  assert_int_equal(cq_bootstrap(x, 20, cq_stat_mean, NULL, 100, 1, 1.0, 1, &iv, &err), CQ_EINVAL);
  msg_has(&err, "level");
  assert_int_equal(cq_bootstrap(x, 20, cq_stat_mean, NULL, 100, 0, 0.95, 1, &iv, &err), CQ_EINVAL);
  msg_has(&err, "block length");
  assert_int_equal(cq_bootstrap(x, 20, cq_stat_mean, NULL, 100, 21, 0.95, 1, &iv, &err), CQ_EINVAL);
  x[3] = NAN;
  assert_int_equal(cq_bootstrap(x, 20, cq_stat_mean, NULL, 100, 1, 0.95, 1, &iv, &err), CQ_EINVAL);
  msg_has(&err, "x[3] is NaN");
  x[3] = 0.0;
  /* not enough data, or a statistic undefined on the data: ok false, not an error */
  assert_int_equal(cq_bootstrap(x, 9, cq_stat_mean, NULL, 100, 1, 0.95, 1, &iv, &err), CQ_OK);
  why_has(&iv.point, "needs at least 10 values");
  assert_true(isnan(iv.lo) && isnan(iv.hi));
  const double up[12] = {0.01, 0.02, 0.01, 0.03, 0.01, 0.02, 0.01, 0.02, 0.01, 0.02, 0.01, 0.04};
  assert_int_equal(cq_bootstrap(up, 12, cq_stat_profit_factor, NULL, 100, 1, 0.95, 1, &iv, &err),
                   CQ_OK);
  why_has(&iv.point, "not finite on the data");
  /* resamples where the statistic is NaN are left out and counted */
  double mixed[12] = {0.01, 0.02, 0.01, 0.03, 0.01, 0.02, 0.01, 0.02, 0.01, 0.02, 0.01, -0.04};
  assert_int_equal(
      cq_bootstrap(mixed, 12, cq_stat_profit_factor, NULL, 1000, 1, 0.95, 1, &iv, &err), CQ_OK);
  assert_true(iv.point.ok);
  assert_true(iv.resamples > 500 && iv.resamples < 1000); /* P(no loss drawn) = (11/12)^12 */
  assert_true(iv.lo <= iv.hi);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_moments),          cmocka_unit_test(test_norm_cdf),
      cmocka_unit_test(test_norm_ppf),         cmocka_unit_test(test_psr),
      cmocka_unit_test(test_expected_max),     cmocka_unit_test(test_dsr_paper_example),
      cmocka_unit_test(test_block_stats),      cmocka_unit_test(test_pbo_zero),
      cmocka_unit_test(test_pbo_one),          cmocka_unit_test(test_pbo_by_hand),
      cmocka_unit_test(test_pbo_ties),         cmocka_unit_test(test_pbo_brute_force),
      cmocka_unit_test(test_pbo_errors),       cmocka_unit_test(test_stability),
      cmocka_unit_test(test_stat_fns),         cmocka_unit_test(test_bootstrap_determinism),
      cmocka_unit_test(test_bootstrap_scheme), cmocka_unit_test(test_bootstrap_coverage),
      cmocka_unit_test(test_bootstrap_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
