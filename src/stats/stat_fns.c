/* Statistics of a return series, in the shape cq_bootstrap takes. */
#include <math.h>

#include "cquant/stats.h"

double cq_stat_mean(const double *x, size_t n, void *user) {
  (void)user;
  if (n == 0) return NAN;
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) sum += x[i];
  return sum / (double)n;
}

double cq_stat_sharpe(const double *x, size_t n, void *user) {
  if (n < 2) return NAN;
  double mean = cq_stat_mean(x, n, user), ss = 0.0;
  for (size_t i = 0; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
  if (ss == 0.0) return NAN;
  return mean / sqrt(ss / (double)(n - 1));
}

double cq_stat_total_return(const double *x, size_t n, void *user) {
  (void)user;
  if (n == 0) return NAN;
  double eq = 1.0;
  for (size_t i = 0; i < n; i++) eq *= 1.0 + x[i];
  return eq - 1.0;
}

double cq_stat_max_drawdown(const double *x, size_t n, void *user) {
  (void)user;
  if (n == 0) return NAN;
  double eq = 1.0, peak = 1.0, dd = 0.0;
  for (size_t i = 0; i < n; i++) {
    eq *= 1.0 + x[i];
    if (eq > peak) peak = eq;
    double d = 1.0 - eq / peak;
    if (d > dd) dd = d;
  }
  return dd;
}

double cq_stat_win_rate(const double *x, size_t n, void *user) {
  (void)user;
  if (n == 0) return NAN;
  size_t wins = 0;
  for (size_t i = 0; i < n; i++) wins += x[i] > 0.0;
  return (double)wins / (double)n;
}

double cq_stat_profit_factor(const double *x, size_t n, void *user) {
  (void)user;
  double gains = 0.0, losses = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (x[i] > 0.0) gains += x[i];
    if (x[i] < 0.0) losses -= x[i];
  }
  return losses > 0.0 ? gains / losses : NAN;
}
