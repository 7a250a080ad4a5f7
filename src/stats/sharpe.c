/* The Probabilistic Sharpe Ratio (Bailey & López de Prado, 2012) and the Deflated Sharpe
 * Ratio (Bailey & López de Prado, 2014). */
#include <math.h>

#include "stats_internal.h"

static const double EULER_GAMMA = 0.57721566490153286061;

cq_stat cq_psr(double sr, double sr0, int64_t n, double skew, double kurt) {
  if (n < 3) return cq__stat_fail("needs at least 3 observations (got %lld)", (long long)n);
  if (!isfinite(sr) || !isfinite(sr0)) return cq__stat_fail("the Sharpe ratios must be finite");
  if (!isfinite(skew) || !isfinite(kurt))
    return cq__stat_fail("skewness and kurtosis must be finite");
  double den = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr;
  if (!(den > 0.0))
    return cq__stat_fail("denominator 1 - skew*SR + (kurt - 1)/4*SR^2 is not positive (%g)", den);
  double z = (sr - sr0) * sqrt((double)(n - 1)) / sqrt(den);
  return cq__stat_value(cq_norm_cdf(z));
}

cq_stat cq_expected_max_sharpe(double var_sr, int64_t n_trials) {
  if (n_trials < 2) return cq__stat_fail("needs at least 2 trials (got %lld)", (long long)n_trials);
  if (!isfinite(var_sr) || var_sr < 0.0)
    return cq__stat_fail("variance of the trials' Sharpe ratios must be >= 0 and finite (got %g)",
                         var_sr);
  if (var_sr == 0.0) return cq__stat_fail("variance of the trials' Sharpe ratios is 0");
  /* Z^-1(1 - q) = -Z^-1(q): the small q keeps its digits, 1 - q would not. */
  double n = (double)n_trials;
  double z1 = -cq_norm_ppf(1.0 / n), z2 = -cq_norm_ppf(1.0 / (n * M_E));
  return cq__stat_value(sqrt(var_sr) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2));
}

cq_dsr cq_deflated_sharpe(double sr, int64_t n_obs, double skew, double kurt, int64_t n_trials,
                          double var_sr) {
  cq_dsr d = {.sr0 = NAN, .n_trials = n_trials, .var_sr = var_sr};
  cq_stat emax = cq_expected_max_sharpe(var_sr, n_trials);
  if (!emax.ok) {
    d.dsr = emax;
    return d;
  }
  d.sr0 = emax.value;
  d.dsr = cq_psr(sr, d.sr0, n_obs, skew, kurt);
  return d;
}
