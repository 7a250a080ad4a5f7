/* rsi_reversion, event form: the kernel's streaming RSI against the two thresholds at each
 * bar's close; positions by the shared signal rules (sig_event.c). */
#include "strategy_internal.h"

typedef struct rsi_state {
  cq__sig_state sig;
  cq_indicator *rsi[CQ__ST_MAX_SYMBOLS];
} rsi_state;

static int rsi_start(cq_ctx *ctx, void *st, cq_error *err) {
  rsi_state *s = st;
  int rc = cq__sig_start(ctx, &s->sig, "rsi_reversion", err);
  if (rc) return rc;
  static const char *const period[] = {"period"};
  const double *p = cq_ctx_params(ctx);
  for (int i = 0; i < cq_ctx_symbols(ctx); i++)
    if ((rc = cq__ind_open(ctx, "rsi_reversion", "rsi", period, p, 1, i, &s->rsi[i], err)))
      return rc;
  return CQ_OK;
}

static void rsi_candle(cq_ctx *ctx, void *st, int symbol, const cq_candle *bar) {
  (void)bar;
  rsi_state *s = st;
  if (symbol < 0 || symbol >= CQ__ST_MAX_SYMBOLS) return;
  const double *p = cq_ctx_params(ctx);
  double r = cq_ind_value(s->rsi[symbol], 0);
  cq__sig_bar(ctx, &s->sig, symbol, r<p[1], r> p[2], NAN, NAN); /* NaN: neither */
}

static void rsi_order(cq_ctx *ctx, void *st, const cq_order *o) {
  cq__sig_on_order(ctx, &((rsi_state *)st)->sig, o);
}

const cq_strategy_def cq__def_rsi_reversion = {
    .name = "rsi_reversion",
    .summary = "Mean reversion: buys when the RSI closes below lower, sells above upper",
    .n_params = CQ__RSI_REVERSION_NPARAMS,
    .params = cq__rsi_reversion_params,
    .state_size = sizeof(rsi_state),
    .on_start = rsi_start,
    .on_candle = rsi_candle,
    .on_order = rsi_order,
    .signals = cq__rsi_reversion_signals,
};
