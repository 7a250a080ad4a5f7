/* The account the kernel trades: cash per venue and asset, positions per instrument in
 * exact decimals, each strategy's share of them (position, cost, realized PnL, fees), and
 * the account's totals. Spot, long only. The same ledger serves backtests, paper and live.
 *
 * Doubles are kept beside the decimals only for marking (equity, exposure) without
 * decimal arithmetic on every bar; every amount that moves is a cq_dec. */
#ifndef CQUANT_PORTFOLIO_H
#define CQUANT_PORTFOLIO_H

#include <stdbool.h>
#include <stddef.h>

#include "cquant/core.h"
#include "cquant/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A position on one instrument: the account's, or one strategy's share of it. */
typedef struct cq_pf_position {
  cq_dec qty;      /* base held */
  cq_dec cost;     /* quote paid for what is held, fees not included */
  cq_dec realized; /* closed PnL before fees: proceeds - cost of what was sold */
  cq_dec fees;     /* quote fees paid on this instrument */
  double qty_d;    /* qty as a double, for marking */
  double cost_d;
} cq_pf_position;

/* A balance of one asset at one venue. */
typedef struct cq_pf_balance {
  char venue[CQ_VENUE_MAX];
  char asset[CQ_ASSET_MAX];
  cq_dec total; /* held */
  cq_dec fees;  /* fees paid in this asset */
  double total_d;
} cq_pf_balance;

typedef struct cq_portfolio cq_portfolio;

/* A ledger for n_ins instruments (copied) and n_strategies strategies, all balances zero.
 * Caller frees with cq_portfolio_free (NULL is fine). */
CQ_NODISCARD int cq_portfolio_new(const cq_instrument *ins, int n_ins, int n_strategies,
                                  cq_portfolio **out, cq_error *err);
void cq_portfolio_free(cq_portfolio *pf);

/* Adds amount (may be negative, not below zero) to the balance of asset at venue. */
CQ_NODISCARD int cq_portfolio_deposit(cq_portfolio *pf, const char *venue, const char *asset,
                                      cq_dec amount, cq_error *err);

/* Books a fill: base and quote balances, the strategy's position and the account's, cost,
 * realized PnL and fees. Nothing changes on failure (CQ_EINVAL for a sell beyond the
 * strategy's position or a buy beyond the quote cash; CQ_EOVERFLOW). */
CQ_NODISCARD int cq_portfolio_apply(cq_portfolio *pf, const cq_fill *f, cq_error *err);

/* The latest price of instrument i (for equity, exposure and unrealized PnL). */
void cq_portfolio_mark(cq_portfolio *pf, int i, double price);
double cq_portfolio_mark_of(const cq_portfolio *pf, int i);

/* strategy -1: the account's position; NULL for an index out of range. */
const cq_pf_position *cq_portfolio_position(const cq_portfolio *pf, int strategy, int i);
/* cost / qty (0 when flat). */
double cq_pf_avg_price(const cq_pf_position *p);
/* qty x mark - cost, in the quote asset. */
double cq_portfolio_unrealized(const cq_portfolio *pf, int strategy, int i);

/* The balance of asset at venue (zero when never touched). */
cq_dec cq_portfolio_balance(const cq_portfolio *pf, const char *venue, const char *asset);
double cq_portfolio_balance_d(const cq_portfolio *pf, const char *venue, const char *asset);
size_t cq_portfolio_balances(const cq_portfolio *pf, const cq_pf_balance **out);
/* The balance record of asset at venue, or NULL; valid until a deposit of an asset the
 * ledger did not hold before (fills never add one). For reading on every bar. */
const cq_pf_balance *cq_portfolio_balance_ref(const cq_portfolio *pf, const char *venue,
                                              const char *asset);
/* Fees paid in asset, at every venue. */
cq_dec cq_portfolio_fees(const cq_portfolio *pf, const char *asset);

/* Quote cash of `quote` at all venues plus every position on an instrument quoted in it,
 * marked; and the value of those positions alone. */
double cq_portfolio_equity(const cq_portfolio *pf, const char *quote);
double cq_portfolio_positions_value(const cq_portfolio *pf, const char *quote);
/* positions value / equity (0 when equity <= 0). */
double cq_portfolio_exposure(const cq_portfolio *pf, const char *quote);

int cq_portfolio_instruments(const cq_portfolio *pf);
int cq_portfolio_strategies(const cq_portfolio *pf);

#ifdef __cplusplus
}
#endif
#endif
