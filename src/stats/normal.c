/* The standard normal distribution: the CDF through erfc (accurate in both tails), the
 * quantile by Acklam's rational approximation (relative error below 1.2e-9) refined by one
 * Halley step on the CDF, which brings it to full double precision. */
#include <math.h>

#include "cquant/stats.h"

static const double SQRT_2PI = 2.50662827463100050242;

/* 1/sqrt(2) - M_SQRT1_2: the part of 1/sqrt(2) a double does not hold. */
static const double SQRT1_2_LO = -4.8336466567264565e-17;

/* Phi(x) = erfc(t) / 2 with t = -x / sqrt(2). Rounding t costs a relative error of about
 * 2 t^2 ulps in the tails (300 ulps at x = -10); the rounding error d of t is recovered
 * exactly (fma) and corrected to first order, erfc(t + d) = erfc(t) - d 2/sqrt(pi) e^(-t^2). */
double cq_norm_cdf(double x) {
  if (isinf(x)) return x > 0 ? 1.0 : 0.0;
  double t = -x * M_SQRT1_2;
  double d = fma(-x, M_SQRT1_2, -t) - x * SQRT1_2_LO;
  return 0.5 * (erfc(t) - d * M_2_SQRTPI * exp(-t * t));
}

/* Acklam's coefficients: central region |p - 0.5| <= 0.5 - P_LOW, and the lower tail. */
static const double A[6] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                            1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
static const double B[5] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                            6.680131188771972e+01, -1.328068155288572e+01};
static const double C[6] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                            -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
static const double D[4] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                            3.754408661907416e+00};
static const double P_LOW = 0.02425;

static double acklam_lower(double p) {
  if (p < P_LOW) {
    double q = sqrt(-2.0 * log(p));
    return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
           ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0);
  }
  double q = p - 0.5, r = q * q;
  return (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q /
         (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0);
}

/* The quantile for p in (0, 0.5]: there Phi(x) - p is computed without cancellation. */
static double ppf_lower(double p) {
  double x = acklam_lower(p);
  double e = cq_norm_cdf(x) - p;
  double u = e * SQRT_2PI * exp(0.5 * x * x); /* e / density */
  if (isfinite(u)) x -= u / (1.0 + 0.5 * x * u);
  return x;
}

double cq_norm_ppf(double p) {
  if (isnan(p) || p < 0.0 || p > 1.0) return NAN;
  if (p == 0.0) return -INFINITY;
  if (p == 1.0) return INFINITY;
  /* 1 - p is exact for p >= 0.5 (Sterbenz), so the upper half mirrors the lower. */
  return p <= 0.5 ? ppf_lower(p) : -ppf_lower(1.0 - p);
}
