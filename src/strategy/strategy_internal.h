/* What the built-in strategies share.
 *
 * Each signal strategy is two files: <name>_signals.c holds its parameter table, its cross
 * rule and its vector form (no kernel calls: it builds and is tested on its own), and
 * <name>.c its event form over the kernel's context plus its cq_strategy_def. The event
 * forms share one set of position rules (sig_event.c), the vector forms one set of batch
 * helpers (signals_util.c), so both forms decide the same bars. */
#ifndef CQ_STRATEGY_INTERNAL_H
#define CQ_STRATEGY_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/engine.h"
#include "cquant/ta.h"

/* Symbols a built-in strategy keeps state for (a backtest carries at most 16). */
enum { CQ__ST_MAX_SYMBOLS = 16 };

/* ---- the vector forms' helpers (signals_util.c) ---------------------------------------- */

/* Runs registry indicator name with given parameters (the first n_params, in the indicator's
 * order; defaults for the rest) over candles c; out[k] (k < n_out, which must be the
 * indicator's output count) receives c->len values, allocated here (release with
 * cq__ind_free). Nothing allocated on failure. */
CQ_NODISCARD int cq__ind_run(const char *strategy, const char *name, const double *params,
                             int n_params, const cq_candles *c, double **out, int n_out,
                             cq_error *err);
void cq__ind_free(double **out, int n);

/* out can hold c->len bars; names the strategy otherwise. */
CQ_NODISCARD int cq__signals_check(const char *strategy, const cq_candles *c, const cq_signals *out,
                                   cq_error *err);

/* a crosses above b at i: a[i-1] <= b[i-1] and a[i] > b[i], all four defined (not NaN). */
static inline bool cq__cross_up(double a0, double b0, double a1, double b1) {
  return !isnan(a0) && !isnan(b0) && !isnan(a1) && !isnan(b1) && a0 <= b0 && a1 > b1;
}
/* a crosses below b: a[i-1] >= b[i-1] and a[i] < b[i], all four defined. */
static inline bool cq__cross_down(double a0, double b0, double a1, double b1) {
  return !isnan(a0) && !isnan(b0) && !isnan(a1) && !isnan(b1) && a0 >= b0 && a1 < b1;
}

/* The two-moving-average rule of sma_cross, ema_cross and macd: p[0] (fast) < p[1] (slow). */
int cq__check_fast_slow(const char *strategy, const double *p, cq_error *err);
/* The vector form of sma_cross / ema_cross: indicator ind ("sma", "ema") with period p[0]
 * crossing the one with period p[1]. */
CQ_NODISCARD int cq__ma_cross_signals(const char *strategy, const char *ind, const double *p,
                                      const cq_candles *c, cq_signals *out, cq_error *err);

/* ---- parameters, cross rules and vector forms (the <name>_signals.c files) ------------- */

extern const cq_param_def cq__sma_cross_params[];
enum { CQ__SMA_CROSS_NPARAMS = 2 };
int cq__sma_cross_check(const double *p, cq_error *err);
int cq__sma_cross_signals(const double *p, const cq_candles *c, cq_signals *out, cq_error *err);

extern const cq_param_def cq__ema_cross_params[];
enum { CQ__EMA_CROSS_NPARAMS = 2 };
int cq__ema_cross_check(const double *p, cq_error *err);
int cq__ema_cross_signals(const double *p, const cq_candles *c, cq_signals *out, cq_error *err);

extern const cq_param_def cq__rsi_reversion_params[];
enum { CQ__RSI_REVERSION_NPARAMS = 3 };
int cq__rsi_reversion_signals(const double *p, const cq_candles *c, cq_signals *out, cq_error *err);

extern const cq_param_def cq__bbands_breakout_params[];
enum { CQ__BBANDS_BREAKOUT_NPARAMS = 2 };
int cq__bbands_breakout_signals(const double *p, const cq_candles *c, cq_signals *out,
                                cq_error *err);

extern const cq_param_def cq__macd_params[];
enum { CQ__MACD_NPARAMS = 3 };
int cq__macd_check(const double *p, cq_error *err);
int cq__macd_signals(const double *p, const cq_candles *c, cq_signals *out, cq_error *err);

extern const cq_param_def cq__donchian_params[];
enum { CQ__DONCHIAN_NPARAMS = 4 };
int cq__donchian_signals(const double *p, const cq_candles *c, cq_signals *out, cq_error *err);
/* The stop of an entry at close with atr: close - mult * atr, NaN when it is not a positive
 * price (or atr is not defined). Both forms call it, so both place the same stop. */
double cq__donchian_stop(double close, double atr, double mult);

/* ---- the event forms' shared position rules (sig_event.c) ------------------------------ */

/* One symbol's position book-keeping for a signal strategy. */
typedef struct cq__sig_leg {
  uint64_t entry, exit, stop, take; /* order ids, 0: none */
  double stop_level, take_level;    /* of the pending entry's signal bar; NaN: none */
} cq__sig_leg;

typedef struct cq__sig_state {
  cq__sig_leg leg[CQ__ST_MAX_SYMBOLS];
} cq__sig_state;

/* Resets the legs; refuses more symbols than CQ__ST_MAX_SYMBOLS. */
CQ_NODISCARD int cq__sig_start(cq_ctx *ctx, cq__sig_state *s, const char *strategy, cq_error *err);
/* The signal rules at a bar's close: flat and no pending entry: entry -> a market buy of
 * the run's size (stop / take remembered for its fill); long and no pending exit: exit ->
 * cancel stop and take, market sell of the whole position. Errors of the calls are logged
 * (a strategy callback cannot fail). */
void cq__sig_bar(cq_ctx *ctx, cq__sig_state *s, int symbol, bool entry, bool exit, double stop,
                 double take);
/* on_order: an entry filled completely places its stop and take (OCO); a leg of the pair
 * that fills cancels the other when the kernel has not already. */
void cq__sig_on_order(cq_ctx *ctx, cq__sig_state *s, const cq_order *o);

/* A streaming indicator of the kernel for symbol, parameters given by name (names[k] =
 * v[k]); the error names the strategy. */
CQ_NODISCARD int cq__ind_open(cq_ctx *ctx, const char *strategy, const char *name,
                              const char *const *names, const double *v, int count, int symbol,
                              cq_indicator **out, cq_error *err);

/* Two streamed lines (output ka of a, kb of b) and their values at the previous bar, for the
 * crossing rule bar by bar. */
typedef struct cq__cross {
  cq_indicator *a, *b;
  int ka, kb;
  double pa, pb; /* NaN before the first bar */
} cq__cross;

/* At a bar's close (the indicators fed): whether a crossed above / below b; then this bar's
 * values become the previous ones. */
void cq__cross_step(cq__cross *x, bool *up, bool *down);

/* The state of the crossing strategies (sma_cross, ema_cross, macd). */
typedef struct cq__cross_state {
  cq__sig_state sig;
  cq__cross x[CQ__ST_MAX_SYMBOLS];
} cq__cross_state;

/* on_start of sma_cross / ema_cross: indicator ind with period p[0] against period p[1]. */
CQ_NODISCARD int cq__ma_cross_start(cq_ctx *ctx, cq__cross_state *s, const char *strategy,
                                    const char *ind, cq_error *err);
/* on_candle of a crossing strategy: entry on a cross above, exit on a cross below. */
void cq__cross_candle(cq_ctx *ctx, cq__cross_state *s, int symbol);

/* Formats an indicator parameter text ("period=14") into buf; a value is written with
 * enough digits to parse back to the same double. */
void cq__fmt_params(char *buf, size_t n, const char *const *names, const double *v, int count);

/* ---- the definitions (<name>.c) ------------------------------------------------------- */

extern const cq_strategy_def cq__def_sma_cross;
extern const cq_strategy_def cq__def_ema_cross;
extern const cq_strategy_def cq__def_rsi_reversion;
extern const cq_strategy_def cq__def_bbands_breakout;
extern const cq_strategy_def cq__def_macd;
extern const cq_strategy_def cq__def_donchian;
extern const cq_strategy_def cq__def_grid;

#endif
