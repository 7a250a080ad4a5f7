/* Volume: OBV, AD, ADOSC, VWAP (session-anchored).
 * Typed batch and lookback functions; conventions in cquant/ta.h. Included by it. */
#ifndef CQUANT_TA_VOLUME_H
#define CQUANT_TA_VOLUME_H

#include <stddef.h>

#include "cquant/core/error.h"
#include "cquant/core/time.h"

#ifdef __cplusplus
extern "C" {
#endif

/* On-balance volume of close and volume, starting at the first bar's volume; lookback 0. */
int cq_ta_obv_lookback(void);
int cq_ta_obv(const double *close, const double *volume, size_t n, double *out, cq_error *err);

/* Chaikin accumulation/distribution line; lookback 0. */
int cq_ta_ad_lookback(void);
int cq_ta_ad(const double *high, const double *low, const double *close, const double *volume,
             size_t n, double *out, cq_error *err);

/* Chaikin A/D oscillator: EMA(fastperiod) - EMA(slowperiod) of the A/D line, both EMAs
 * seeded with the first A/D value (TA-Lib); fastperiod 2..100000 (3), slowperiod
 * 2..100000 (10); lookback max(fast, slow) - 1. */
int cq_ta_adosc_lookback(int fastperiod, int slowperiod);
int cq_ta_adosc(const double *high, const double *low, const double *close, const double *volume,
                size_t n, int fastperiod, int slowperiod, double *out, cq_error *err);

/* VWAP sessions (the "anchor" parameter). */
typedef enum cq_ta_anchor {
  CQ_TA_ANCHOR_DAY = 0,   /* from 00:00 UTC */
  CQ_TA_ANCHOR_WEEK = 1,  /* from Monday 00:00 UTC */
  CQ_TA_ANCHOR_MONTH = 2, /* from the 1st of the calendar month, 00:00 UTC */
  CQ_TA_ANCHOR_NONE = 3   /* one session over all bars */
} cq_ta_anchor;

/* Session-anchored VWAP of the typical price (high + low + close) / 3, reset when a bar's
 * open time (time, ns UTC) falls in a new session; while the session's volume is 0 the value
 * is the typical price. anchor: cq_ta_anchor (default day); lookback 0. Beyond TA-Lib. */
int cq_ta_vwap_lookback(int anchor);
int cq_ta_vwap(const cq_time *time, const double *high, const double *low, const double *close,
               const double *volume, size_t n, int anchor, double *out, cq_error *err);

#ifdef __cplusplus
}
#endif

#endif
