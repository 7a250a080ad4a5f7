/* Statistics: STDDEV, VAR, LINEARREG, LINEARREG_SLOPE, LINEARREG_INTERCEPT, LINEARREG_ANGLE, TSF,
 * CORREL, BETA. Typed batch and lookback functions; conventions in cquant/ta.h. Included by it. */
#ifndef CQUANT_TA_STATISTIC_H
#define CQUANT_TA_STATISTIC_H

#include <stddef.h>

#include "cquant/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif
