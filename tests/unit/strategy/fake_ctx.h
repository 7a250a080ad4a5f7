/* A stand-in for the kernel's context, enough to drive a built-in strategy's event form over
 * one symbol's candles in a test, without the kernel:
 *   - an order placed at the close of bar s works from bar s + 1 (no latency);
 *   - at each bar, in id order: market buys fill at the open for one unit (or the notional
 *     over the price), market sells sell the position (or expire when flat); then sell stops
 *     fill when the low reaches them, sell limits when the high goes above, buy limits when
 *     the low goes below; a filled order's OCO partner is cancelled;
 *   - cancels take effect at once; then the indicators are fed and on_candle runs.
 * Every order placed is logged with its bar, so a test can compare the bars the event form
 * acts on with the ones the vector form's signals give. */
#ifndef FAKE_CTX_H
#define FAKE_CTX_H

#include "cquant/engine.h"
#include "cquant/ta.h"

enum { FAKE_MAX_ORDERS = 512, FAKE_MAX_IND = 8 };

struct cq_indicator {
  cq_ta_stream *s;
  int symbol;
};

struct cq_ctx {
  const cq_candles *c;
  size_t bar; /* the bar being processed */
  double params[CQ_MAX_PARAMS];
  cq_instrument ins;
  cq_dec pos;
  double equity;
  size_t n_orders;
  cq_order orders[FAKE_MAX_ORDERS];
  size_t placed_bar[FAKE_MAX_ORDERS]; /* the bar at whose close each order was placed */
  int n_ind;
  struct cq_indicator ind[FAKE_MAX_IND];
  int warnings; /* cq_ctx_log calls at WARN or above */
};

/* Runs def over c with params; ctx holds the orders afterwards (release with fake_release).
 * Returns on_start's result. */
int fake_run(cq_ctx *ctx, const cq_strategy_def *def, const double *params, const cq_candles *c,
             cq_error *err);
void fake_release(cq_ctx *ctx);

#endif
