/* macd, event form: the kernel's streaming MACD, its line crossing its signal line at each
 * bar's close; positions by the shared signal rules (sig_event.c). */
#include "strategy_internal.h"

static int macd_start(cq_ctx *ctx, void *st, cq_error *err) {
  cq__cross_state *s = st;
  int rc = cq__sig_start(ctx, &s->sig, "macd", err);
  if (rc) return rc;
  static const char *const names[] = {"fastperiod", "slowperiod", "signalperiod"};
  const double *p = cq_ctx_params(ctx);
  for (int i = 0; i < cq_ctx_symbols(ctx); i++) {
    cq__cross *x = &s->x[i];
    if ((rc = cq__ind_open(ctx, "macd", "macd", names, p, 3, i, &x->a, err))) return rc;
    x->b = x->a;
    x->ka = 0; /* the MACD line */
    x->kb = 1; /* its signal line */
    x->pa = x->pb = NAN;
  }
  return CQ_OK;
}

static void macd_candle(cq_ctx *ctx, void *st, int symbol, const cq_candle *bar) {
  (void)bar;
  cq__cross_candle(ctx, st, symbol);
}

static void macd_order(cq_ctx *ctx, void *st, const cq_order *o) {
  cq__sig_on_order(ctx, &((cq__cross_state *)st)->sig, o);
}

const cq_strategy_def cq__def_macd = {
    .name = "macd",
    .summary =
        "Buys when the MACD line crosses above its signal line, sells when it crosses "
        "below",
    .n_params = CQ__MACD_NPARAMS,
    .params = cq__macd_params,
    .check = cq__macd_check,
    .state_size = sizeof(cq__cross_state),
    .on_start = macd_start,
    .on_candle = macd_candle,
    .on_order = macd_order,
    .signals = cq__macd_signals,
};
