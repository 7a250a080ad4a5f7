/* The trading kernel: one thread, one event loop over a time-ordered stream (candles,
 * trades, timers, order events), a clock (simulated in backtests), the strategies and their
 * contexts (engine.h), streaming indicators, the order book of the run (OMS), the matching
 * engine (match.h) and the account (portfolio.h).
 *
 * A driver creates the kernel, adds strategies, starts it, feeds it (cq_kernel_bar for a
 * slice of candles at one open time, cq_kernel_trade for ticks), stops it and reads the
 * ledger. The order of one bar is the fill model's: cancels and activations, market orders
 * at the open, stops and limits along the path; then fill and order notifications (after
 * the fill latency), indicators, on_candle; then close fills (CQ_FILL_THIS_CLOSE). */
#ifndef CQUANT_KERNEL_H
#define CQUANT_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core.h"
#include "cquant/engine.h"
#include "cquant/match.h"
#include "cquant/model.h"
#include "cquant/portfolio.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CQ_KERNEL_MAX_STRATEGIES = 32 };

typedef struct cq_kernel_config {
  cq_timeframe tf; /* bar length: latencies in bars, the close time */
  int n_instruments;
  const cq_instrument *instruments; /* copied; all quoted in `quote` at one venue */
  char quote[CQ_ASSET_MAX];         /* the account's currency: "USDT" */
  cq_dec initial_cash;
  cq_size size; /* the default entry size strategies ask for */
  cq_match_config match;
  cq_time start;      /* the clock's start */
  cq_time trade_from; /* orders up to this time are refused (warm-up); 0 or INT64_MIN: none */
  cq_log *log;        /* refused transitions, strategy logs; NULL: none */
} cq_kernel_config;

typedef struct cq_kernel cq_kernel;

CQ_NODISCARD int cq_kernel_new(const cq_kernel_config *cfg, cq_kernel **out, cq_error *err);
void cq_kernel_free(cq_kernel *k);

/* Adds a strategy (before start) with resolved params (NULL: the defaults); writes its
 * index (the order's and fill's strategy). */
CQ_NODISCARD int cq_kernel_add_strategy(cq_kernel *k, const cq_strategy_def *def,
                                        const cq_param_values *params, int *index, cq_error *err);

/* Hears every fill as it is booked (a backtest records them). A failure stops the run. */
typedef int (*cq_kernel_fill_fn)(void *ud, const cq_fill *f, cq_error *err);
void cq_kernel_on_fill(cq_kernel *k, cq_kernel_fill_fn fn, void *ud);

/* The account, the orders: on_start of every strategy; errors stop the run. */
CQ_NODISCARD int cq_kernel_start(cq_kernel *k, cq_error *err);

/* The candles of open time t: bars[i] for instrument i, NULL when it has none at t.
 * Times must increase. */
CQ_NODISCARD int cq_kernel_bar(cq_kernel *k, cq_time t, const cq_candle *const *bars,
                               cq_error *err);
/* Tick data: the candles of open time t aggregated from trades already fed with
 * cq_kernel_trade (which matched the orders): marks, indicators and on_candle, no matching.
 * Call it once the first trade at or after the bar's end has been seen (or at the end). */
CQ_NODISCARD int cq_kernel_bar_of_trades(cq_kernel *k, cq_time t, const cq_candle *const *bars,
                                         cq_error *err);
/* One trade of instrument ins (tick data): matching, then on_trade. */
CQ_NODISCARD int cq_kernel_trade(cq_kernel *k, int ins, const cq_trade *t, cq_error *err);
/* Timers due up to t, and the clock to t. */
CQ_NODISCARD int cq_kernel_advance(cq_kernel *k, cq_time t, cq_error *err);

/* Open orders EXPIRE ("end of run"), pending notifications are delivered, on_stop. */
CQ_NODISCARD int cq_kernel_stop(cq_kernel *k, cq_error *err);

const cq_portfolio *cq_kernel_portfolio(const cq_kernel *k);
/* Order by id (1..cq_kernel_order_count), or NULL. */
const cq_order *cq_kernel_order(const cq_kernel *k, uint64_t id);
uint64_t cq_kernel_order_count(const cq_kernel *k);
int64_t cq_kernel_rejected(const cq_kernel *k);
cq_time cq_kernel_now(const cq_kernel *k);
/* The state block of strategy i (NULL for a strategy without state), for inspection. */
void *cq_kernel_strategy_state(cq_kernel *k, int i);
/* Quote cash, equity (cash + positions at their last prices), positions value. */
double cq_kernel_cash(const cq_kernel *k);
double cq_kernel_equity(const cq_kernel *k);
double cq_kernel_positions_value(const cq_kernel *k);

/* Moves o by ev through the state table (cq_order_transition). A refused pair is returned
 * (CQ_EBADTRANSITION) and logged at error level with the order's client id, type and state;
 * o is left as it was. log may be NULL. */
CQ_NODISCARD int cq_order_apply(cq_order *o, cq_order_event ev, cq_log *log, cq_error *err);

#ifdef __cplusplus
}
#endif
#endif
