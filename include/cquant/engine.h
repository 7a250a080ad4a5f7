/* The trading kernel's strategy API: what a strategy declares (parameters, callbacks, an
 * optional vectorized form) and what it may do through its context (subscribe, streaming
 * indicators, orders, positions, balances, equity, timers, logging).
 *
 * A strategy never knows whether it runs in a backtest, on paper or live: time comes from
 * the kernel's clock and fills from its execution client. All callbacks run on the kernel's
 * one thread; a strategy keeps its state in the zeroed block of state_size bytes the kernel
 * gives it (no globals). */
#ifndef CQUANT_ENGINE_H
#define CQUANT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core.h"
#include "cquant/model.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CQ_MAX_PARAMS = 12 };

/* ---- parameters ---------------------------------------------------------------------- */

typedef enum cq_param_type { CQ_PARAM_INT = 0, CQ_PARAM_FLOAT, CQ_PARAM_BOOL } cq_param_type;

/* A declared parameter: the optimizer searches [min, max] by step; the CLI sets it by name. */
typedef struct cq_param_def {
  const char *name;
  cq_param_type type;
  double def, min, max, step;
  const char *help;
} cq_param_def;

/* Values of a strategy's parameters, in declaration order. */
typedef struct cq_param_values {
  int n;
  double v[CQ_MAX_PARAMS];
} cq_param_values;

/* ---- the vectorized form --------------------------------------------------------------- */

/* Signal arrays for one symbol, n bars each, decided at each bar's close. Long only:
 * entry buys (the run's size) when flat; exit sells the whole position. stop / take (NULL
 * when unused; NaN at bars with none) give the stop-loss / take-profit price of the
 * position an entry at that bar opens: a stop-market sell and a limit sell, one cancelling
 * the other, placed when the entry fills and working from the next bar. */
typedef struct cq_signals {
  size_t n;
  uint8_t *entry, *exit;
  double *stop, *take;
} cq_signals;

/* ---- the context ------------------------------------------------------------------------ */

typedef struct cq_ctx cq_ctx;
typedef struct cq_indicator cq_indicator;

typedef struct cq_strategy_def {
  const char *name;    /* "sma_cross" */
  const char *summary; /* one line */
  int n_params;
  const cq_param_def *params;
  /* cross-parameter rules (fast < slow); NULL when none */
  int (*check)(const double *p, cq_error *err);
  size_t state_size;
  /* Every callback is optional (NULL). on_start may fail (bad parameters, unknown
   * indicator): the run stops with that error. */
  int (*on_start)(cq_ctx *ctx, void *st, cq_error *err);
  void (*on_candle)(cq_ctx *ctx, void *st, int symbol, const cq_candle *bar);
  void (*on_trade)(cq_ctx *ctx, void *st, int symbol, const cq_trade *t);
  void (*on_order)(cq_ctx *ctx, void *st, const cq_order *o); /* any state change */
  void (*on_fill)(cq_ctx *ctx, void *st, const cq_fill *f);
  void (*on_timer)(cq_ctx *ctx, void *st, uint64_t timer, cq_time now);
  void (*on_stop)(cq_ctx *ctx, void *st);
  /* The same rules as arrays (NULL: event-driven only). out arrays are allocated by the
   * caller for c->len bars and zeroed (stop/take NaN-filled when given). */
  int (*signals)(const double *p, const cq_candles *c, cq_signals *out, cq_error *err);
} cq_strategy_def;

/* Resolves "name=value" assignments against the declared parameters: defaults for the
 * rest, types (whole numbers for INT, 0/1/true/false for BOOL), ranges and the check
 * rule. Errors name the strategy, the parameter (with the closest declared name when
 * unknown), the value and the valid range. */
CQ_NODISCARD int cq_params_resolve(const cq_strategy_def *d, const char *const *assign, int n,
                                   cq_param_values *out, cq_error *err);
/* Index of a declared parameter, or -1. */
int cq_param_index(const cq_strategy_def *d, const char *name);

/* ---- what a strategy can do ------------------------------------------------------------ */

cq_time cq_ctx_now(const cq_ctx *ctx);
/* True while the run is warming up (cq_bt_config.trade_from): orders are refused, so a
 * strategy only updates its state. */
bool cq_ctx_warming_up(const cq_ctx *ctx);
const double *cq_ctx_params(const cq_ctx *ctx);
int cq_ctx_symbols(const cq_ctx *ctx); /* instruments in the run: 0 .. n-1 */
const cq_instrument *cq_ctx_instrument(const cq_ctx *ctx, int symbol);
/* The symbol index of a unified symbol the run carries; CQ_ENOTFOUND otherwise. */
CQ_NODISCARD int cq_ctx_subscribe(cq_ctx *ctx, const char *symbol, int *index, cq_error *err);

/* A streaming indicator from the registry ("sma", "period=10") over symbol's closed bars.
 * The kernel feeds it each bar before on_candle; owned by the kernel. */
CQ_NODISCARD int cq_ctx_indicator(cq_ctx *ctx, const char *name, const char *params, int symbol,
                                  cq_indicator **out, cq_error *err);
double cq_ind_value(const cq_indicator *ind, int output); /* NaN until warmed up */
bool cq_ind_ready(const cq_indicator *ind);

typedef struct cq_order_req {
  int symbol;
  cq_side side;
  cq_order_type type;
  cq_tif tif;
  cq_size size;
  double price; /* LIMIT, STOP_LIMIT: rounded to the tick (buys down, sells up) */
  double stop;  /* STOP, STOP_LIMIT: rounded to the nearest tick */
  uint64_t oco; /* an open order to cancel when this one fills (0: none) */
} cq_order_req;

/* Places an order; writes its id. Inconsistent requests (a stop order without a stop
 * price, a limit without a price, a size <= 0) are CQ_EINVAL with the reason. Venue rules
 * and balances are checked as a venue would: a breaking order is REJECTED (on_order sees it
 * with the reason), not an error of the call. */
CQ_NODISCARD int cq_ctx_submit(cq_ctx *ctx, const cq_order_req *req, uint64_t *id, cq_error *err);
/* Market buy of size / market sell of this strategy's whole position (0 when flat). */
CQ_NODISCARD int cq_ctx_buy(cq_ctx *ctx, int symbol, cq_size size, uint64_t *id, cq_error *err);
CQ_NODISCARD int cq_ctx_close(cq_ctx *ctx, int symbol, uint64_t *id, cq_error *err);
/* Cancels an open order (CQ_ENOTFOUND for an unknown or finished one). */
CQ_NODISCARD int cq_ctx_cancel(cq_ctx *ctx, uint64_t id, cq_error *err);
void cq_ctx_cancel_all(cq_ctx *ctx, int symbol);
const cq_order *cq_ctx_order(const cq_ctx *ctx, uint64_t id);
/* This strategy's open orders on symbol (-1: all): writes up to max, returns the count. */
size_t cq_ctx_open_orders(const cq_ctx *ctx, int symbol, const cq_order **out, size_t max);

cq_dec cq_ctx_position(const cq_ctx *ctx, int symbol);       /* this strategy's base quantity */
double cq_ctx_position_value(const cq_ctx *ctx, int symbol); /* marked at the last price */
cq_dec cq_ctx_cash(const cq_ctx *ctx);                       /* the account's free quote cash */
double cq_ctx_equity(const cq_ctx *ctx);                     /* account cash + positions marked */
cq_size cq_ctx_default_size(const cq_ctx *ctx);              /* the run's entry size */
double cq_ctx_last_price(const cq_ctx *ctx, int symbol);

/* on_timer(timer) at time at (>= now). */
CQ_NODISCARD int cq_ctx_timer(cq_ctx *ctx, cq_time at, uint64_t timer, cq_error *err);
void cq_ctx_log(cq_ctx *ctx, cq_log_level level, const char *fmt, ...) CQ_PRINTF(3, 4);

#ifdef __cplusplus
}
#endif
#endif
