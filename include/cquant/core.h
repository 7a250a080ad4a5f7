/* cquant core: errors, logging, time and clocks, decimals, memory, config, progress.
 * Layer 0: depends on nothing else in cquant. */
#ifndef CQUANT_CORE_H
#define CQUANT_CORE_H

#include "cquant/core/error.h"
#include "cquant/core/decimal.h"

#endif
