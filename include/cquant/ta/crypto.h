/* Beyond TA-Lib: HMA, Donchian channels, Keltner channels, SuperTrend, Ichimoku.
 * Typed batch and lookback functions; conventions in cquant/ta.h. Included by it. */
#ifndef CQUANT_TA_CRYPTO_H
#define CQUANT_TA_CRYPTO_H

#include <stddef.h>

#include "cquant/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hull moving average, WMA(2 WMA(x, n/2) - WMA(x, n), floor(sqrt(n))) with n/2 rounded
 * down; period 2..100000 (default 9); lookback n - 1 + floor(sqrt(n)) - 1. */
int cq_ta_hma_lookback(int period);
int cq_ta_hma(const double *in, size_t n, int period, double *out, cq_error *err);

#ifdef __cplusplus
}
#endif

#endif
