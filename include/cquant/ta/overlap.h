/* Overlap studies: SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA, T3, MIDPOINT, MIDPRICE, SAR,
 * BBANDS, and MA (any moving-average type by number).
 * Typed batch and lookback functions; conventions in cquant/ta.h. Included by it. */
#ifndef CQUANT_TA_OVERLAP_H
#define CQUANT_TA_OVERLAP_H

#include <stddef.h>

#include "cquant/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Simple moving average; period 2..100000. */
int cq_ta_sma_lookback(int period);
int cq_ta_sma(const double *in, size_t n, int period, double *out, cq_error *err);

/* Exponential moving average, k = 2 / (period + 1), seeded with the SMA of the first
 * period values (TA-Lib's default); period 2..100000. */
int cq_ta_ema_lookback(int period);
int cq_ta_ema(const double *in, size_t n, int period, double *out, cq_error *err);

/* Moving average of type matype (cq_ta_matype); period 1..100000 (1 copies the input). */
int cq_ta_ma_lookback(int period, int matype);
int cq_ta_ma(const double *in, size_t n, int period, int matype, double *out, cq_error *err);

#ifdef __cplusplus
}
#endif

#endif
