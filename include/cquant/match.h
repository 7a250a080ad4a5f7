/* Matching: how simulated orders fill. The configuration of the fill model, and the pure
 * fill arithmetic both backtest engines share (so the event-driven kernel and the
 * vectorized engine produce the same trades to the last digit), and the matching engine the
 * kernel drives against candles or trades.
 *
 * The fill model (docs/backtesting.md has the long form):
 * - Market orders fill at the open of the first bar that starts at or after they reach the
 *   book (CQ_FILL_NEXT_OPEN), or at the close of the bar the decision was made on
 *   (CQ_FILL_THIS_CLOSE, zero latency only).
 * - Inside a bar, price is assumed to move open -> nearer extreme -> farther extreme ->
 *   close (a tie goes to the low first, the pessimistic path for a long book). Stops and
 *   limits trigger along that path; a bar that opens beyond a stop fills it at the open (gap).
 * - A limit order fills only when the price trades through it (strictly beyond), or on a
 *   touch with touch_fill. A limit that is marketable on arrival fills at the arrival price
 *   as a taker (post-only is rejected instead).
 * - Taker fills pay the taker fee and slippage; maker fills pay the maker fee, no slippage.
 * - A fill takes at most max_volume_share of the bar's volume; the rest keeps working.
 */
#ifndef CQUANT_MATCH_H
#define CQUANT_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core.h"
#include "cquant/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Cash, notional and fees are kept at 8 fraction digits, as venues report quote amounts. */
#define CQ_MONEY_SCALE 8

typedef enum cq_slip_kind {
  CQ_SLIP_NONE = 0,
  CQ_SLIP_BPS,    /* value: basis points against the taker: price * (1 +- value / 1e4) */
  CQ_SLIP_SPREAD, /* value: the spread as a fraction of the bar's high-low range; a taker
                     pays half of it: price +- value * (high - low) / 2 */
  CQ_SLIP_SQRT    /* value: Y of the square-root law: price * (1 +- Y * sigma * sqrt(q / V)),
                     sigma = (high - low) / open of the bar, q the order quantity, V the
                     bar's volume (q / V capped at 1) */
} cq_slip_kind;

typedef struct cq_slippage {
  cq_slip_kind kind;
  double value;
} cq_slippage;

/* "none", "bps:2", "spread:0.1", "sqrt:0.5". */
CQ_NODISCARD int cq_slippage_parse(const char *s, cq_slippage *out, cq_error *err);
size_t cq_slippage_format(cq_slippage s, char *buf, size_t n);

/* A delay: in bars, or in nanoseconds (exactly one of them non-zero, or both zero). */
typedef struct cq_latency {
  int64_t bars;
  int64_t ns;
} cq_latency;

/* "0", "1bar", "3bars", "250ms", "2s", "500us". */
CQ_NODISCARD int cq_latency_parse(const char *s, cq_latency *out, cq_error *err);
size_t cq_latency_format(cq_latency l, char *buf, size_t n);
/* The latency in whole bars of tf: bars as given; a time rounded up to whole bars (an order
 * that arrives during a bar waits for the next bar's open on candle data). */
int64_t cq_latency_bars(cq_latency l, cq_timeframe tf);

typedef enum cq_fill_timing { CQ_FILL_NEXT_OPEN = 0, CQ_FILL_THIS_CLOSE = 1 } cq_fill_timing;

typedef struct cq_match_config {
  cq_fill_timing market_fill;
  bool touch_fill;         /* limits fill on a touch, not only when traded through */
  double max_volume_share; /* 0: no cap; else a fill takes at most this share of a bar */
  cq_slippage slippage;
  cq_dec maker_fee, taker_fee; /* rates: 0.001 is 0.1 % */
  cq_latency order_latency;    /* decision -> the order reaches the book */
  cq_latency fill_latency;     /* fill -> the strategy hears of it */
} cq_match_config;

/* Defaults: next-open, trade-through limits, no volume cap, no slippage, 0.1 % both fees,
 * no latency. */
void cq_match_config_default(cq_match_config *c);

/* ---- the shared fill arithmetic ------------------------------------------------------ */

/* The decimal a double stands for: the value of its shortest round-trip text ("43251.17",
 * "0.00001"), exactly (more than 18 fraction digits: rounded at 18). Candle prices,
 * quantities and sizes arrive as doubles; money needs their decimals. CQ_EINVAL when not
 * finite. */
CQ_NODISCARD int cq_dec_of_price(double v, cq_dec *out, cq_error *err);

/* A double price (from a candle) on the tick grid, exactly: the double's shortest text is
 * parsed as a decimal and rounded to a multiple of tick with mode. Buys that slip round up
 * (CEIL), sells down (FLOOR); stop and limit levels computed by strategies round to
 * nearest (HALF_EVEN). CQ_EINVAL for a non-finite or non-positive price. */
CQ_NODISCARD int cq_price_on_tick(double v, cq_dec tick, cq_round mode, cq_dec *out, cq_error *err);

/* Reference price after slippage for a taker fill of qty (base) on side in bar (bar may be
 * NULL on trade data: then SPREAD and SQRT give no slippage). Never below zero. */
double cq_slip_price(const cq_slippage *s, cq_side side, double ref, const cq_candle *bar,
                     double qty);

/* Fee of a fill: price * qty * rate rounded up to CQ_MONEY_SCALE. */
CQ_NODISCARD int cq_fill_fee(cq_dec price, cq_dec qty, cq_dec rate, cq_dec *fee, cq_error *err);

/* price * qty rounded half-even to CQ_MONEY_SCALE (the quote amount of a fill). */
CQ_NODISCARD int cq_fill_notional(cq_dec price, cq_dec qty, cq_dec *out, cq_error *err);

/* The account as a size is resolved against it. */
typedef struct cq_size_basis {
  cq_dec cash;     /* free quote cash */
  double equity;   /* cash plus positions marked at the fill price */
  cq_dec position; /* base held (for sells) */
} cq_size_basis;

/* The base quantity of an order of size on side at fill price, on the instrument's lot grid
 * (rounded down), with fee_rate the rate it will pay:
 *   buy  QTY       value
 *        NOTIONAL  value / price
 *        PERCENT   (value * equity) / (price * (1 + fee_rate)), at most what cash affords
 *        ALL_IN    the most cash affords with the fee: price * q + fee(q) <= cash
 *   sell QTY       value;  NOTIONAL value / price;  PERCENT value * position;
 *        ALL_IN    the whole position
 * Writes 0 when the size comes to less than one lot. Does not check balances or venue
 * rules (see cq_fill_check). */
CQ_NODISCARD int cq_fill_qty(cq_size size, cq_side side, cq_dec price, cq_dec fee_rate,
                             const cq_instrument *ins, const cq_size_basis *basis, cq_dec *qty,
                             cq_error *err);

/* Venue rules and balances for a fill of qty at price: quantity positive and on the lot
 * grid, at least min_qty, price on the tick grid, notional at least min_notional, a buy's
 * cost plus fee within cash, a sell within the position. CQ_EREJECTED with the reason as a
 * venue would word it ("min notional: 3.2 USDT < 5", "insufficient balance: ..."). */
CQ_NODISCARD int cq_fill_check(cq_side side, cq_dec price, cq_dec qty, cq_dec fee_rate,
                               const cq_instrument *ins, const cq_size_basis *basis, cq_error *err);

/* The price levels an intrabar path visits in order: open, nearer extreme, farther extreme,
 * close (ties: low first). out[4]. */
void cq_bar_path(const cq_candle *bar, double out[4]);

/* ---- the matching engine ------------------------------------------------------------ */

/* What the matching engine asks of its owner (the kernel, or a test). */
typedef struct cq_match_hooks {
  void *ctx;
  /* The account a size resolves against for o filling at price: free quote cash, equity
   * with o's instrument marked at price (others at their last price), and the position of
   * o's strategy. Required. */
  void (*basis)(void *ctx, const cq_order *o, double price, cq_size_basis *out);
  /* Books a fill; o is already updated (filled, filled_quote, fees). A failure stops the
   * matching and is returned to the caller. Required. */
  int (*fill)(void *ctx, cq_order *o, const cq_fill *f, cq_error *err);
  /* Moves o by ev through cq_order_transition (o->reason and o->updated are set first);
   * NULL: the matcher calls cq_order_transition itself. */
  int (*event)(void *ctx, cq_order *o, cq_order_event ev, cq_error *err);
} cq_match_hooks;

/* Resting simulated orders per instrument, matched against candles (steps 1-5 of the fill
 * model in docs/backtesting.md) or trades (a resting limit fills when a trade prints
 * through its price, or at it with touch_fill; every fill is limited by the traded
 * quantity; queue position is ignored). Orders stay owned by the caller, at a fixed
 * address, while they work here; the matcher drops them once terminal. */
typedef struct cq_matcher cq_matcher;

/* instruments ins[0..n_ins) and the config are copied. Free with cq_matcher_free. */
CQ_NODISCARD int cq_matcher_new(const cq_match_config *cfg, const cq_instrument *ins, int n_ins,
                                const cq_match_hooks *hooks, cq_matcher **out, cq_error *err);
void cq_matcher_free(cq_matcher *m);

/* Takes an order in state SUBMITTED, with qty (or a percent/all-in size), prices on the
 * tick grid and active_at set: it becomes active at the first bar opening (or trade
 * printing) at or after active_at. CQ_EINVAL for an order that cannot work. */
CQ_NODISCARD int cq_matcher_add(cq_matcher *m, cq_order *o, cq_error *err);

/* Cancels order id at time at: before the matching of the first bar opening (or trade) at
 * or after at. at <= the last time matched: now. CQ_ENOTFOUND when id is not working. */
CQ_NODISCARD int cq_matcher_cancel(cq_matcher *m, uint64_t id, cq_time at, const char *reason,
                                   cq_error *err);

/* One bar of instrument ins: cancels and activations due, market orders at the open, then
 * stops and limits along the intrabar path. Fills are stamped with the bar's open time. */
CQ_NODISCARD int cq_matcher_bar(cq_matcher *m, int ins, const cq_candle *bar, cq_error *err);

/* CQ_FILL_THIS_CLOSE: market orders active by close_time fill at the bar's close (fills
 * stamped with the bar's open time, like every fill of that bar). */
CQ_NODISCARD int cq_matcher_close(cq_matcher *m, int ins, const cq_candle *bar, cq_time close_time,
                                  cq_error *err);

/* One trade of instrument ins (tick data). */
CQ_NODISCARD int cq_matcher_trade(cq_matcher *m, int ins, const cq_trade *t, cq_error *err);

/* Every working order EXPIRES with reason ("end of run"). */
CQ_NODISCARD int cq_matcher_expire_all(cq_matcher *m, cq_time at, const char *reason,
                                       cq_error *err);

/* Orders working on instrument ins (-1: all). */
size_t cq_matcher_open(const cq_matcher *m, int ins);

#ifdef __cplusplus
}
#endif
#endif
