/* ema_cross, event form: the EMA lines streamed by the kernel, crossing checked at each
 * bar's close; positions by the shared signal rules (sig_event.c). */
#include "strategy_internal.h"

static int ema_start(cq_ctx *ctx, void *st, cq_error *err) {
  return cq__ma_cross_start(ctx, st, "ema_cross", "ema", err);
}

static void ema_candle(cq_ctx *ctx, void *st, int symbol, const cq_candle *bar) {
  (void)bar;
  cq__cross_candle(ctx, st, symbol);
}

static void ema_order(cq_ctx *ctx, void *st, const cq_order *o) {
  cq__sig_on_order(ctx, &((cq__cross_state *)st)->sig, o);
}

const cq_strategy_def cq__def_ema_cross = {
    .name = "ema_cross",
    .summary = "Buys when the fast EMA crosses above the slow one, sells when it crosses below",
    .n_params = CQ__EMA_CROSS_NPARAMS,
    .params = cq__ema_cross_params,
    .check = cq__ema_cross_check,
    .state_size = sizeof(cq__cross_state),
    .on_start = ema_start,
    .on_candle = ema_candle,
    .on_order = ema_order,
    .signals = cq__ema_cross_signals,
};
