/* Sample moments in two passes (the mean first), which keeps the central sums accurate when
 * the mean is large against the spread. */
#include <math.h>

#include "cquant/stats.h"

static double mean_of(const double *x, size_t n, int64_t *count) {
  double sum = 0.0;
  int64_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(x[i])) continue;
    sum += x[i];
    k++;
  }
  *count = k;
  return k ? sum / (double)k : NAN;
}

cq_moments cq_moments_of(const double *x, size_t n) {
  cq_moments m = {.n = 0, .mean = NAN, .sd = NAN, .skew = NAN, .kurt = NAN};
  if (!x) return m;
  m.mean = mean_of(x, n, &m.n);
  if (m.n == 0) return m;
  double s2 = 0.0, s3 = 0.0, s4 = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(x[i])) continue;
    double d = x[i] - m.mean, d2 = d * d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
  }
  double k = (double)m.n;
  if (m.n >= 2) m.sd = sqrt(s2 / (k - 1.0));
  double m2 = s2 / k;
  if (m2 > 0.0) {
    m.skew = (s3 / k) / (m2 * sqrt(m2));
    m.kurt = (s4 / k) / (m2 * m2);
  }
  return m;
}
