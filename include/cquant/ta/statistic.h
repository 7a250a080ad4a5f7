/* Statistics: STDDEV, VAR, LINEARREG, LINEARREG_SLOPE, LINEARREG_INTERCEPT, LINEARREG_ANGLE, TSF,
 * CORREL, BETA. Typed batch and lookback functions; conventions in cquant/ta.h. Included by it. */
#ifndef CQUANT_TA_STATISTIC_H
#define CQUANT_TA_STATISTIC_H

#include <stddef.h>

#include "cquant/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Population standard deviation over the period times nbdev; period 2..100000 (default 5),
 * nbdev -1e6..1e6 (default 1). */
int cq_ta_stddev_lookback(int period, double nbdev);
int cq_ta_stddev(const double *in, size_t n, int period, double nbdev, double *out, cq_error *err);

/* Population variance over the period; period 1..100000 (default 5); nbdev (default 1) is
 * accepted and, as in TA-Lib, not applied. */
int cq_ta_var_lookback(int period, double nbdev);
int cq_ta_var(const double *in, size_t n, int period, double nbdev, double *out, cq_error *err);

/* The least-squares line over the last period values (period 2..100000, default 14):
 * its value at the newest bar, */
int cq_ta_linearreg_lookback(int period);
int cq_ta_linearreg(const double *in, size_t n, int period, double *out, cq_error *err);
/* its slope per bar, */
int cq_ta_linearreg_slope_lookback(int period);
int cq_ta_linearreg_slope(const double *in, size_t n, int period, double *out, cq_error *err);
/* its value at the oldest bar, */
int cq_ta_linearreg_intercept_lookback(int period);
int cq_ta_linearreg_intercept(const double *in, size_t n, int period, double *out, cq_error *err);
/* its angle atan(slope) in degrees, */
int cq_ta_linearreg_angle_lookback(int period);
int cq_ta_linearreg_angle(const double *in, size_t n, int period, double *out, cq_error *err);
/* and its value one bar past the newest (time series forecast). */
int cq_ta_tsf_lookback(int period);
int cq_ta_tsf(const double *in, size_t n, int period, double *out, cq_error *err);

/* Pearson's correlation of x and y over the period; period 1..100000 (default 30). */
int cq_ta_correl_lookback(int period);
int cq_ta_correl(const double *x, const double *y, size_t n, int period, double *out,
                 cq_error *err);

/* Beta of x against y on 1-bar returns over the period; period 1..100000 (default 5);
 * lookback period. */
int cq_ta_beta_lookback(int period);
int cq_ta_beta(const double *x, const double *y, size_t n, int period, double *out, cq_error *err);

/* Rolling z-score (beyond TA-Lib): (x - mean) / stddev over the last period values, population
 * stddev; 0 for a flat window; lookback period - 1; period 2..100000, default 20. */
int cq_ta_zscore_lookback(int period);
int cq_ta_zscore(const double *in, size_t n, int period, double *out, cq_error *err);

#ifdef __cplusplus
}
#endif

#endif
