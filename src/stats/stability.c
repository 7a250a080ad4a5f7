/* How much the objective falls from the best point to its neighbours: a best point on a
 * plateau survives small changes of its parameters; a spike does not. */
#include <math.h>

#include "stats_internal.h"

static int64_t best_point(const double *value, size_t n) {
  int64_t best = -1;
  for (size_t i = 0; i < n; i++) {
    if (isnan(value[i])) continue;
    if (best < 0 || value[i] > value[best]) best = (int64_t)i;
  }
  return best;
}

/* Max-norm distance within radius; a NaN coordinate is never near. */
static bool near(const double *a, const double *b, int dims, double radius) {
  for (int d = 0; d < dims; d++)
    if (!(fabs(a[d] - b[d]) <= radius)) return false;
  return true;
}

cq_stability cq_param_stability(const double *x, const double *value, size_t n, int dims,
                                double radius) {
  cq_stability s = {.fall = NAN, .neighbours = 0, .best = -1};
  if (!x || !value || n == 0 || dims < 1) {
    s.stability = cq__stat_fail("needs at least one point with at least one parameter");
    return s;
  }
  if (!(radius >= 0.0)) {
    s.stability = cq__stat_fail("radius must be >= 0 (got %g)", radius);
    return s;
  }
  s.best = best_point(value, n);
  if (s.best < 0) {
    s.stability = cq__stat_fail("no feasible point");
    return s;
  }
  size_t b = (size_t)s.best, d = (size_t)dims;
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (i == b || isnan(value[i]) || !near(&x[i * d], &x[b * d], dims, radius)) continue;
    sum += value[i];
    s.neighbours++;
  }
  if (s.neighbours == 0) {
    s.stability = cq__stat_fail("no feasible point within radius %g of the best", radius);
    return s;
  }
  double best = value[b], mean = sum / (double)s.neighbours;
  s.fall = best - mean;
  if (!(best > 0.0))
    s.stability = cq__stat_fail("the best objective is not positive (%g); no ratio", best);
  else
    s.stability = cq__stat_value(mean / best);
  return s;
}
