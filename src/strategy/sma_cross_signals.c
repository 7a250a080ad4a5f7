/* sma_cross, vector form: the fast SMA crossing the slow one. */
#include "strategy_internal.h"

const cq_param_def cq__sma_cross_params[CQ__SMA_CROSS_NPARAMS] = {
    {"fast", CQ_PARAM_INT, 10, 2, 500, 1, "bars in the fast SMA"},
    {"slow", CQ_PARAM_INT, 30, 3, 2000, 1, "bars in the slow SMA (more than fast)"},
};

int cq__sma_cross_check(const double *p, cq_error *err) {
  return cq__check_fast_slow("sma_cross", p, err);
}

/* entry[i]: SMA(fast) crosses above SMA(slow) at i; exit[i]: crosses below. */
int cq__sma_cross_signals(const double *p, const cq_candles *c, cq_signals *out, cq_error *err) {
  return cq__ma_cross_signals("sma_cross", "sma", p, c, out, err);
}
