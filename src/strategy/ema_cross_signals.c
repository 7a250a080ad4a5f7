/* ema_cross, vector form: the fast EMA crossing the slow one. */
#include "strategy_internal.h"

const cq_param_def cq__ema_cross_params[CQ__EMA_CROSS_NPARAMS] = {
    {"fast", CQ_PARAM_INT, 12, 2, 500, 1, "bars in the fast EMA"},
    {"slow", CQ_PARAM_INT, 26, 3, 2000, 1, "bars in the slow EMA (more than fast)"},
};

int cq__ema_cross_check(const double *p, cq_error *err) {
  return cq__check_fast_slow("ema_cross", p, err);
}

/* entry[i]: EMA(fast) crosses above EMA(slow) at i; exit[i]: crosses below. */
int cq__ema_cross_signals(const double *p, const cq_candles *c, cq_signals *out, cq_error *err) {
  return cq__ma_cross_signals("ema_cross", "ema", p, c, out, err);
}
