/* Volatility: ATR, NATR, TRANGE.
 * Typed batch and lookback functions; conventions in cquant/ta.h. Included by it. */
#ifndef CQUANT_TA_VOLATILITY_H
#define CQUANT_TA_VOLATILITY_H

#include <stddef.h>

#include "cquant/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Average true range, Wilder-smoothed, seeded with the mean of the first period true ranges
 * (bars 1..period) as TA-Lib; lookback period; period 1..100000, default 14. Within a few
 * ulps of TA-Lib (the smoothing multiplies by precomputed factors where TA-Lib divides). */
int cq_ta_atr_lookback(int period);
int cq_ta_atr(const double *high, const double *low, const double *close, size_t n, int period,
              double *out, cq_error *err);

/* Normalised ATR: ATR / close * 100 (0 for a zero close, as TA-Lib); period 1..100000,
 * default 14. Period 1 gives the true range, not normalised, as TA-Lib does. */
int cq_ta_natr_lookback(int period);
int cq_ta_natr(const double *high, const double *low, const double *close, size_t n, int period,
               double *out, cq_error *err);

/* True range: max(high - low, |prev close - high|, |prev close - low|); lookback 1. */
int cq_ta_trange_lookback(void);
int cq_ta_trange(const double *high, const double *low, const double *close, size_t n, double *out,
                 cq_error *err);

#ifdef __cplusplus
}
#endif

#endif
