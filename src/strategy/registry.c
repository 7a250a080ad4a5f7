/* The registry of built-in strategies: lookup by name with the closest-name suggestion. */
#include <ctype.h>
#include <strings.h>

#include "cquant/core/strutil.h"
#include "cquant/strategy.h"
#include "strategy_internal.h"

static const cq_strategy_def *const builtins[] = {
    &cq__def_sma_cross, &cq__def_ema_cross, &cq__def_rsi_reversion, &cq__def_bbands_breakout,
    &cq__def_macd,      &cq__def_donchian,  &cq__def_grid,
};
enum { N_BUILTINS = sizeof builtins / sizeof builtins[0] };

const cq_strategy_def *cq_strategy_at(size_t i) {
  return i < N_BUILTINS ? builtins[i] : NULL;
}

size_t cq_strategy_count(void) {
  return N_BUILTINS;
}

const cq_strategy_def *cq_strategy_find(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < N_BUILTINS; i++)
    if (strcasecmp(builtins[i]->name, name) == 0) return builtins[i];
  return NULL;
}

int cq_strategy_lookup(const char *name, const cq_strategy_def **out, cq_error *err) {
  *out = cq_strategy_find(name);
  if (*out) return CQ_OK;
  const char *names[N_BUILTINS];
  for (size_t i = 0; i < N_BUILTINS; i++) names[i] = builtins[i]->name;
  const char *near = cq_closest(name ? name : "", names, N_BUILTINS, 4);
  if (near)
    return cq_error_set(err, CQ_ENOTFOUND, "unknown strategy '%s'; did you mean '%s'?",
                        name ? name : "", near);
  return cq_error_set(err, CQ_ENOTFOUND,
                      "unknown strategy '%s'; built-in: sma_cross, ema_cross, rsi_reversion, "
                      "bbands_breakout, macd, donchian, grid",
                      name ? name : "");
}
