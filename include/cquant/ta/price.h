/* Price transforms: AVGPRICE, TYPPRICE, WCLPRICE, MEDPRICE.
 * Typed batch and lookback functions; conventions in cquant/ta.h. Included by it. */
#ifndef CQUANT_TA_PRICE_H
#define CQUANT_TA_PRICE_H

#include <stddef.h>

#include "cquant/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif
