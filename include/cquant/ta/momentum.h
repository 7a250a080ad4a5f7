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

/* Relative strength index (Wilder): average gain / loss seeded with the mean of the first
 * period changes, as TA-Lib; lookback period; period 2..100000, default 14. */
int cq_ta_rsi_lookback(int period);
int cq_ta_rsi(const double *in, size_t n, int period, double *out, cq_error *err);

/* MACD: EMA(fast) - EMA(slow) (the fast EMA seeded late to line up with the slow one, as
 * TA-Lib), its EMA(signal) and the difference; fast 2..100000 (12) < slow 2..100000 (26),
 * signal 1..100000 (9); lookback slow + signal - 2. */
int cq_ta_macd_lookback(int fastperiod, int slowperiod, int signalperiod);
int cq_ta_macd(const double *in, size_t n, int fastperiod, int slowperiod, int signalperiod,
               double *macd, double *signal, double *hist, cq_error *err);

/* Slow stochastic: fast %K over fastk_period 1..100000 (5), smoothed by an MA of
 * slowk_period 1..100000 (3) and slowk_matype (0), then slowd by slowd_period (3) and
 * slowd_matype (0). */
int cq_ta_stoch_lookback(int fastk_period, int slowk_period, int slowk_matype, int slowd_period,
                         int slowd_matype);
int cq_ta_stoch(const double *high, const double *low, const double *close, size_t n,
                int fastk_period, int slowk_period, int slowk_matype, int slowd_period,
                int slowd_matype, double *slowk, double *slowd, cq_error *err);

/* Fast stochastic: %K over fastk_period 1..100000 (5), %D its MA of fastd_period
 * 1..100000 (3) and fastd_matype (0). */
int cq_ta_stochf_lookback(int fastk_period, int fastd_period, int fastd_matype);
int cq_ta_stochf(const double *high, const double *low, const double *close, size_t n,
                 int fastk_period, int fastd_period, int fastd_matype, double *fastk, double *fastd,
                 cq_error *err);

/* Stochastic RSI: the fast stochastic of RSI(period 2..100000, 14), fastk_period (5),
 * fastd_period (3), fastd_matype (0). */
int cq_ta_stochrsi_lookback(int period, int fastk_period, int fastd_period, int fastd_matype);
int cq_ta_stochrsi(const double *in, size_t n, int period, int fastk_period, int fastd_period,
                   int fastd_matype, double *fastk, double *fastd, cq_error *err);

/* Average directional index (Wilder); lookback 2 * period - 1; period 2..100000, default 14. */
int cq_ta_adx_lookback(int period);
int cq_ta_adx(const double *high, const double *low, const double *close, size_t n, int period,
              double *out, cq_error *err);

/* ADX rating: (ADX + ADX period - 1 bars ago) / 2; lookback 3 * period - 2; period
 * 2..100000, default 14. */
int cq_ta_adxr_lookback(int period);
int cq_ta_adxr(const double *high, const double *low, const double *close, size_t n, int period,
               double *out, cq_error *err);

/* Plus directional indicator; lookback period (1 for period 1: +DM1 / TR1, unsmoothed, as
 * TA-Lib); period 1..100000, default 14. */
int cq_ta_plus_di_lookback(int period);
int cq_ta_plus_di(const double *high, const double *low, const double *close, size_t n, int period,
                  double *out, cq_error *err);

/* Minus directional indicator; as PLUS_DI. */
int cq_ta_minus_di_lookback(int period);
int cq_ta_minus_di(const double *high, const double *low, const double *close, size_t n, int period,
                   double *out, cq_error *err);

/* Directional movement index; lookback period; period 2..100000, default 14. */
int cq_ta_dx_lookback(int period);
int cq_ta_dx(const double *high, const double *low, const double *close, size_t n, int period,
             double *out, cq_error *err);

/* Commodity channel index on the typical price; lookback period - 1; period 2..100000,
 * default 14. */
int cq_ta_cci_lookback(int period);
int cq_ta_cci(const double *high, const double *low, const double *close, size_t n, int period,
              double *out, cq_error *err);

/* Money flow index; lookback period; period 2..100000, default 14. */
int cq_ta_mfi_lookback(int period);
int cq_ta_mfi(const double *high, const double *low, const double *close, const double *volume,
              size_t n, int period, double *out, cq_error *err);

/* Momentum: x - x[period bars ago]; period 1..100000, default 10. */
int cq_ta_mom_lookback(int period);
int cq_ta_mom(const double *in, size_t n, int period, double *out, cq_error *err);

/* Rate of change: (x / x[period ago] - 1) * 100 (0 when the old value is 0); period
 * 1..100000, default 10. */
int cq_ta_roc_lookback(int period);
int cq_ta_roc(const double *in, size_t n, int period, double *out, cq_error *err);

/* Rate of change percentage: (x - old) / old (0 when old is 0); period 1..100000, default 10. */
int cq_ta_rocp_lookback(int period);
int cq_ta_rocp(const double *in, size_t n, int period, double *out, cq_error *err);

/* Williams' %R; lookback period - 1; period 2..100000, default 14. */
int cq_ta_willr_lookback(int period);
int cq_ta_willr(const double *high, const double *low, const double *close, size_t n, int period,
                double *out, cq_error *err);

/* Aroon down and up over period + 1 bars (latest extreme wins ties, as TA-Lib); lookback
 * period; period 2..100000, default 14. */
int cq_ta_aroon_lookback(int period);
int cq_ta_aroon(const double *high, const double *low, size_t n, int period, double *down,
                double *up, cq_error *err);

/* Aroon oscillator: up - down as TA-Lib computes it; period 2..100000, default 14. */
int cq_ta_aroonosc_lookback(int period);
int cq_ta_aroonosc(const double *high, const double *low, size_t n, int period, double *out,
                   cq_error *err);

/* Absolute price oscillator: MA(fast) - MA(slow), both of matype; fastperiod 2..100000 (12)
 * < slowperiod 2..100000 (26), matype (0). */
int cq_ta_apo_lookback(int fastperiod, int slowperiod, int matype);
int cq_ta_apo(const double *in, size_t n, int fastperiod, int slowperiod, int matype, double *out,
              cq_error *err);

/* Percentage price oscillator: (MA(fast) - MA(slow)) / MA(slow) * 100 (0 for a zero slow
 * MA); parameters as APO. */
int cq_ta_ppo_lookback(int fastperiod, int slowperiod, int matype);
int cq_ta_ppo(const double *in, size_t n, int fastperiod, int slowperiod, int matype, double *out,
              cq_error *err);

/* Chande momentum oscillator (Wilder-smoothed gains and losses, as TA-Lib); lookback period;
 * period 2..100000, default 14. */
int cq_ta_cmo_lookback(int period);
int cq_ta_cmo(const double *in, size_t n, int period, double *out, cq_error *err);

/* TRIX: 1-bar rate of change of a triple EMA; lookback 3 * (period - 1) + 1; period
 * 1..100000, default 30. */
int cq_ta_trix_lookback(int period);
int cq_ta_trix(const double *in, size_t n, int period, double *out, cq_error *err);

/* Ultimate oscillator over three periods (1..100000 each; 7, 14, 28), weighted 4:2:1 from
 * the shortest; lookback the longest period. */
int cq_ta_ultosc_lookback(int timeperiod1, int timeperiod2, int timeperiod3);
int cq_ta_ultosc(const double *high, const double *low, const double *close, size_t n,
                 int timeperiod1, int timeperiod2, int timeperiod3, double *out, cq_error *err);

/* Balance of power: (close - open) / (high - low), 0 for a range <= 0; lookback 0. */
int cq_ta_bop_lookback(void);
int cq_ta_bop(const double *open, const double *high, const double *low, const double *close,
              size_t n, double *out, cq_error *err);

#ifdef __cplusplus
}
#endif

#endif
