/* cquant core: errors, logging, time and clocks, decimals, memory, config, progress.
 * Layer 0: depends on nothing else in cquant. */
#ifndef CQUANT_CORE_H
#define CQUANT_CORE_H

#include "cquant/core/config.h"
#include "cquant/core/decimal.h"
#include "cquant/core/error.h"
#include "cquant/core/log.h"
#include "cquant/core/mem.h"
#include "cquant/core/progress.h"
#include "cquant/core/strutil.h"
#include "cquant/core/time.h"

#endif
