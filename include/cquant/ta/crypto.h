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

/* Donchian channels: upper = highest high, lower = lowest low over the last period bars
 * (the current one included), middle = (upper + lower) / 2; period 2..100000 (20);
 * lookback period - 1. */
int cq_ta_donchian_lookback(int period);
int cq_ta_donchian(const double *high, const double *low, size_t n, int period, double *upper,
                   double *middle, double *lower, cq_error *err);

/* Keltner channels: middle = moving average of the typical price (matype, cq_ta_matype;
 * EMA by default, seeded with the mean as cq_ta_ema), upper / lower = middle +- multiplier x
 * ATR(atr_period) (as cq_ta_atr); period 2..100000 (20), atr_period 1..100000 (10),
 * multiplier 0..1000 (2), matype (1, EMA); lookback max(the average's, atr_period). */
int cq_ta_keltner_lookback(int period, int atr_period, double multiplier, int matype);
int cq_ta_keltner(const double *high, const double *low, const double *close, size_t n, int period,
                  int atr_period, double multiplier, int matype, double *upper, double *middle,
                  double *lower, cq_error *err);

/* SuperTrend: final bands on (high + low) / 2 +- multiplier x ATR(period) (as cq_ta_atr);
 * value is the lower band in an up trend (direction +1), the upper band in a down trend
 * (direction -1); the first value (at the lookback, period) starts down. period 1..100000
 * (10), multiplier 0..1000 (3). */
int cq_ta_supertrend_lookback(int period, double multiplier);
int cq_ta_supertrend(const double *high, const double *low, const double *close, size_t n,
                     int period, double multiplier, double *value, double *direction,
                     cq_error *err);

/* Ichimoku as known at each bar: tenkan and kijun are (highest high + lowest low) / 2 over
 * their windows; senkou_a[i] = (tenkan[i - d] + kijun[i - d]) / 2 and senkou_b[i] is the
 * midpoint of the senkou_b window ending at bar i - d (d = displacement): the cloud plotted
 * at bar i. No chikou span: it is the close shifted d bars back and would look ahead.
 * tenkan 1..100000 (9), kijun (26), senkou_b (52), displacement 1..100000 (26). Each output
 * starts at its own first value; the lookback is the earliest (tenkan - 1 by default). */
int cq_ta_ichimoku_lookback(int tenkan, int kijun, int senkou_b, int displacement);
int cq_ta_ichimoku(const double *high, const double *low, size_t n, int tenkan, int kijun,
                   int senkou_b, int displacement, double *tenkan_out, double *kijun_out,
                   double *senkou_a_out, double *senkou_b_out, cq_error *err);

#ifdef __cplusplus
}
#endif

#endif
