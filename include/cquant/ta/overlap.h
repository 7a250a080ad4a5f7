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

/* Weighted moving average, weights 1..period; period 2..100000 (default 30). */
int cq_ta_wma_lookback(int period);
int cq_ta_wma(const double *in, size_t n, int period, double *out, cq_error *err);

/* Double EMA, 2 EMA - EMA(EMA); period 2..100000 (default 30); lookback 2 (period - 1). */
int cq_ta_dema_lookback(int period);
int cq_ta_dema(const double *in, size_t n, int period, double *out, cq_error *err);

/* Triple EMA, 3 EMA - 3 EMA(EMA) + EMA(EMA(EMA)); period 2..100000 (default 30). */
int cq_ta_tema_lookback(int period);
int cq_ta_tema(const double *in, size_t n, int period, double *out, cq_error *err);

/* Triangular moving average (an SMA of an SMA); period 2..100000 (default 30). */
int cq_ta_trima_lookback(int period);
int cq_ta_trima(const double *in, size_t n, int period, double *out, cq_error *err);

/* Kaufman adaptive moving average; period 2..100000 (default 30); lookback period. */
int cq_ta_kama_lookback(int period);
int cq_ta_kama(const double *in, size_t n, int period, double *out, cq_error *err);

/* Tillson's T3; period 2..100000 (default 5), vfactor 0..1 (default 0.7); lookback
 * 6 (period - 1). */
int cq_ta_t3_lookback(int period, double vfactor);
int cq_ta_t3(const double *in, size_t n, int period, double vfactor, double *out, cq_error *err);

/* (highest + lowest) / 2 of in over the period; period 2..100000 (default 14). */
int cq_ta_midpoint_lookback(int period);
int cq_ta_midpoint(const double *in, size_t n, int period, double *out, cq_error *err);

/* (highest high + lowest low) / 2 over the period; period 2..100000 (default 14). */
int cq_ta_midprice_lookback(int period);
int cq_ta_midprice(const double *high, const double *low, size_t n, int period, double *out,
                   cq_error *err);

/* Parabolic SAR; acceleration 0..1e6 (default 0.02), maximum 0..1e6 (default 0.2);
 * lookback 1. */
int cq_ta_sar_lookback(double acceleration, double maximum);
int cq_ta_sar(const double *high, const double *low, size_t n, double acceleration, double maximum,
              double *out, cq_error *err);

/* Bollinger bands: MA of type matype (default 0 SMA) +/- nbdevup / nbdevdn (default 2, range
 * -1e6..1e6) population standard deviations; period 2..100000 (default 5). */
int cq_ta_bbands_lookback(int period, double nbdevup, double nbdevdn, int matype);
int cq_ta_bbands(const double *in, size_t n, int period, double nbdevup, double nbdevdn, int matype,
                 double *upper, double *middle, double *lower, cq_error *err);

/* Moving average of type matype (cq_ta_matype); period 1..100000 (1 copies the input). */
int cq_ta_ma_lookback(int period, int matype);
int cq_ta_ma(const double *in, size_t n, int period, int matype, double *out, cq_error *err);

#ifdef __cplusplus
}
#endif

#endif
