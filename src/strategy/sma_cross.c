/* sma_cross, event form: the SMA lines streamed by the kernel, crossing checked at each
 * bar's close; positions by the shared signal rules (sig_event.c). */
#include "strategy_internal.h"

static int sma_start(cq_ctx *ctx, void *st, cq_error *err) {
  return cq__ma_cross_start(ctx, st, "sma_cross", "sma", err);
}

static void sma_candle(cq_ctx *ctx, void *st, int symbol, const cq_candle *bar) {
  (void)bar;
  cq__cross_candle(ctx, st, symbol);
}

static void sma_order(cq_ctx *ctx, void *st, const cq_order *o) {
  cq__sig_on_order(ctx, &((cq__cross_state *)st)->sig, o);
}

const cq_strategy_def cq__def_sma_cross = {
    .name = "sma_cross",
    .summary = "Buys when the fast SMA crosses above the slow one, sells when it crosses below",
    .n_params = CQ__SMA_CROSS_NPARAMS,
    .params = cq__sma_cross_params,
    .check = cq__sma_cross_check,
    .state_size = sizeof(cq__cross_state),
    .on_start = sma_start,
    .on_candle = sma_candle,
    .on_order = sma_order,
    .signals = cq__sma_cross_signals,
};
