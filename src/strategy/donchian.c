/* donchian, event form: two streamed Donchian channels (entry and exit periods) read one
 * bar late, so that they span the bars before the current one, and a streamed ATR for the
 * stop; positions by the shared signal rules (sig_event.c). */
#include "strategy_internal.h"

typedef struct dc_sym {
  cq_indicator *hi, *lo, *atr;
  double prev_hi, prev_lo; /* the channels after the previous bar; NaN before it */
} dc_sym;

typedef struct dc_state {
  cq__sig_state sig;
  dc_sym sym[CQ__ST_MAX_SYMBOLS];
} dc_state;

static int dc_start(cq_ctx *ctx, void *st, cq_error *err) {
  dc_state *s = st;
  int rc = cq__sig_start(ctx, &s->sig, "donchian", err);
  if (rc) return rc;
  static const char *const period[] = {"period"};
  const double *p = cq_ctx_params(ctx);
  for (int i = 0; i < cq_ctx_symbols(ctx); i++) {
    dc_sym *y = &s->sym[i];
    if ((rc = cq__ind_open(ctx, "donchian", "donchian", period, &p[0], 1, i, &y->hi, err)) ||
        (rc = cq__ind_open(ctx, "donchian", "donchian", period, &p[1], 1, i, &y->lo, err)) ||
        (rc = cq__ind_open(ctx, "donchian", "atr", period, &p[2], 1, i, &y->atr, err)))
      return rc;
    y->prev_hi = y->prev_lo = NAN;
  }
  return CQ_OK;
}

static void dc_candle(cq_ctx *ctx, void *st, int symbol, const cq_candle *bar) {
  dc_state *s = st;
  if (symbol < 0 || symbol >= CQ__ST_MAX_SYMBOLS) return;
  dc_sym *y = &s->sym[symbol];
  const double *p = cq_ctx_params(ctx);
  const double x = bar->close, a = cq_ind_value(y->atr, 0);
  bool entry = !isnan(a) && x > y->prev_hi; /* false while the channel is NaN */
  bool exit = x < y->prev_lo;
  double stop = entry ? cq__donchian_stop(x, a, p[3]) : NAN;
  y->prev_hi = cq_ind_value(y->hi, 0); /* upper channel */
  y->prev_lo = cq_ind_value(y->lo, 2); /* lower channel */
  cq__sig_bar(ctx, &s->sig, symbol, entry, exit, stop, NAN);
}

static void dc_order(cq_ctx *ctx, void *st, const cq_order *o) {
  cq__sig_on_order(ctx, &((dc_state *)st)->sig, o);
}

const cq_strategy_def cq__def_donchian = {
    .name = "donchian",
    .summary =
        "Turtle-style breakout: buys a close above the entry channel, stop at ATRs "
        "below, sells below the exit channel",
    .n_params = CQ__DONCHIAN_NPARAMS,
    .params = cq__donchian_params,
    .state_size = sizeof(dc_state),
    .on_start = dc_start,
    .on_candle = dc_candle,
    .on_order = dc_order,
    .signals = cq__donchian_signals,
};
