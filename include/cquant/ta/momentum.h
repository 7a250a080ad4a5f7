/* Momentum: RSI, MACD, STOCH, STOCHF, STOCHRSI, ADX, ADXR, PLUS_DI, MINUS_DI, DX, CCI, MFI, MOM,
 * ROC, ROCP, WILLR, AROON, AROONOSC, APO, PPO, CMO, TRIX, ULTOSC, BOP. Typed batch and lookback
 * functions; conventions in cquant/ta.h. Included by it. */
#ifndef CQUANT_TA_MOMENTUM_H
#define CQUANT_TA_MOMENTUM_H

#include <stddef.h>

#include "cquant/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif
