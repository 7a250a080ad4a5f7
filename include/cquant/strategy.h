/* The built-in strategies (src/strategy): sma_cross, ema_cross, rsi_reversion,
 * bbands_breakout, macd, donchian, grid. docs/strategies/<name>.md describes each. */
#ifndef CQUANT_STRATEGY_H
#define CQUANT_STRATEGY_H

#include <stddef.h>

#include "cquant/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* By name (case-insensitive), or NULL. */
const cq_strategy_def *cq_strategy_find(const char *name);
/* Same; CQ_ENOTFOUND naming the closest built-in otherwise. */
CQ_NODISCARD int cq_strategy_lookup(const char *name, const cq_strategy_def **out, cq_error *err);
/* Every built-in, in order: i from 0 while not NULL. */
const cq_strategy_def *cq_strategy_at(size_t i);
size_t cq_strategy_count(void);

#ifdef __cplusplus
}
#endif
#endif
