/* Statistics: STDDEV, VAR, LINEARREG, LINEARREG_SLOPE, LINEARREG_INTERCEPT, LINEARREG_ANGLE, TSF,
 * CORREL, BETA. Typed batch and lookback functions; conventions in cquant/ta.h. Included by it. */
#ifndef CQUANT_TA_STATISTIC_H
#define CQUANT_TA_STATISTIC_H

#include <stddef.h>

#include "cquant/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rolling z-score (beyond TA-Lib): (x - mean) / stddev over the last period values, population
 * stddev; 0 for a flat window; lookback period - 1; period 2..100000, default 20. */
int cq_ta_zscore_lookback(int period);
int cq_ta_zscore(const double *in, size_t n, int period, double *out, cq_error *err);

#ifdef __cplusplus
}
#endif

#endif
