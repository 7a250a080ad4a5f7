/* bbands_breakout, event form: the kernel's streaming Bollinger Bands (SMA, k deviations
 * each side) against the close at each bar's close; positions by the shared signal rules
 * (sig_event.c). */
#include "strategy_internal.h"

typedef struct bb_state {
  cq__sig_state sig;
  cq_indicator *bb[CQ__ST_MAX_SYMBOLS];
} bb_state;

static int bb_start(cq_ctx *ctx, void *st, cq_error *err) {
  bb_state *s = st;
  int rc = cq__sig_start(ctx, &s->sig, "bbands_breakout", err);
  if (rc) return rc;
  static const char *const names[] = {"period", "nbdevup", "nbdevdn", "matype"};
  const double *p = cq_ctx_params(ctx);
  const double v[4] = {p[0], p[1], p[1], CQ_TA_MA_SMA};
  for (int i = 0; i < cq_ctx_symbols(ctx); i++)
    if ((rc = cq__ind_open(ctx, "bbands_breakout", "bbands", names, v, 4, i, &s->bb[i], err)))
      return rc;
  return CQ_OK;
}

static void bb_candle(cq_ctx *ctx, void *st, int symbol, const cq_candle *bar) {
  bb_state *s = st;
  if (symbol < 0 || symbol >= CQ__ST_MAX_SYMBOLS) return;
  double upper = cq_ind_value(s->bb[symbol], 0), middle = cq_ind_value(s->bb[symbol], 1);
  cq__sig_bar(ctx, &s->sig, symbol, bar->close > upper, bar->close < middle, NAN, NAN);
}

static void bb_order(cq_ctx *ctx, void *st, const cq_order *o) {
  cq__sig_on_order(ctx, &((bb_state *)st)->sig, o);
}

const cq_strategy_def cq__def_bbands_breakout = {
    .name = "bbands_breakout",
    .summary =
        "Breakout: buys a close above the upper Bollinger band, sells one below the "
        "middle",
    .n_params = CQ__BBANDS_BREAKOUT_NPARAMS,
    .params = cq__bbands_breakout_params,
    .state_size = sizeof(bb_state),
    .on_start = bb_start,
    .on_candle = bb_candle,
    .on_order = bb_order,
    .signals = cq__bbands_breakout_signals,
};
