/* Price transforms: AVGPRICE, TYPPRICE, WCLPRICE, MEDPRICE.
 * Typed batch and lookback functions; conventions in cquant/ta.h. Included by it. */
#ifndef CQUANT_TA_PRICE_H
#define CQUANT_TA_PRICE_H

#include <stddef.h>

#include "cquant/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Average price (open + high + low + close) / 4; lookback 0. */
int cq_ta_avgprice_lookback(void);
int cq_ta_avgprice(const double *open, const double *high, const double *low, const double *close,
                   size_t n, double *out, cq_error *err);

/* Typical price (high + low + close) / 3; lookback 0. */
int cq_ta_typprice_lookback(void);
int cq_ta_typprice(const double *high, const double *low, const double *close, size_t n,
                   double *out, cq_error *err);

/* Weighted close price (high + low + 2 close) / 4; lookback 0. */
int cq_ta_wclprice_lookback(void);
int cq_ta_wclprice(const double *high, const double *low, const double *close, size_t n,
                   double *out, cq_error *err);

/* Median price (high + low) / 2; lookback 0. */
int cq_ta_medprice_lookback(void);
int cq_ta_medprice(const double *high, const double *low, size_t n, double *out, cq_error *err);

#ifdef __cplusplus
}
#endif

#endif
