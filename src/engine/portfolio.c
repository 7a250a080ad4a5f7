/* The ledger: balances per venue and asset, positions per instrument for the account and
 * for each strategy. Every booking is computed into temporaries first and committed only
 * when all of it worked, so a failed fill leaves the ledger as it was. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/core/strutil.h"
#include "cquant/match.h"
#include "cquant/portfolio.h"

struct cq_portfolio {
  int n_ins, n_strat;
  cq_instrument *ins;
  double *mark;
  cq_pf_position *acct; /* [n_ins] */
  cq_pf_position *pos;  /* [n_strat][n_ins] */
  cq_pf_balance *bal;
  size_t n_bal, cap_bal;
  int *quote_bal, *base_bal; /* [n_ins]: index of the instrument's balances */
};

static int find_balance(const cq_portfolio *pf, const char *venue, const char *asset) {
  for (size_t i = 0; i < pf->n_bal; i++)
    if (!strcmp(pf->bal[i].venue, venue) && !strcmp(pf->bal[i].asset, asset)) return (int)i;
  return -1;
}

static int balance_slot(cq_portfolio *pf, const char *venue, const char *asset, int *index,
                        cq_error *err) {
  int i = find_balance(pf, venue, asset);
  if (i >= 0) {
    *index = i;
    return CQ_OK;
  }
  if (pf->n_bal == pf->cap_bal) {
    size_t cap = pf->cap_bal ? pf->cap_bal * 2 : 8;
    cq_pf_balance *b = realloc(pf->bal, cap * sizeof *b);
    if (!b) return cq_error_set(err, CQ_ENOMEM, "portfolio: no memory for balance %s", asset);
    pf->bal = b;
    pf->cap_bal = cap;
  }
  cq_pf_balance *b = &pf->bal[pf->n_bal];
  memset(b, 0, sizeof *b);
  cq_strlcpy(b->venue, venue, sizeof b->venue);
  cq_strlcpy(b->asset, asset, sizeof b->asset);
  *index = (int)pf->n_bal++;
  return CQ_OK;
}

void cq_portfolio_free(cq_portfolio *pf) {
  if (!pf) return;
  free(pf->ins);
  free(pf->mark);
  free(pf->acct);
  free(pf->pos);
  free(pf->bal);
  free(pf->quote_bal);
  free(pf->base_bal);
  free(pf);
}

int cq_portfolio_new(const cq_instrument *ins, int n_ins, int n_strategies, cq_portfolio **out,
                     cq_error *err) {
  if (n_ins < 1 || n_strategies < 1 || !ins)
    return cq_error_set(err, CQ_EINVAL, "portfolio: needs instruments (%d) and strategies (%d)",
                        n_ins, n_strategies);
  cq_portfolio *pf = calloc(1, sizeof *pf);
  if (!pf) return cq_error_set(err, CQ_ENOMEM, "portfolio: no memory");
  size_t ni = (size_t)n_ins, ns = (size_t)n_strategies;
  pf->n_ins = n_ins;
  pf->n_strat = n_strategies;
  pf->ins = malloc(ni * sizeof *pf->ins);
  pf->mark = calloc(ni, sizeof *pf->mark);
  pf->acct = calloc(ni, sizeof *pf->acct);
  pf->pos = calloc(ni * ns, sizeof *pf->pos);
  pf->quote_bal = calloc(ni, sizeof *pf->quote_bal);
  pf->base_bal = calloc(ni, sizeof *pf->base_bal);
  if (!pf->ins || !pf->mark || !pf->acct || !pf->pos || !pf->quote_bal || !pf->base_bal) {
    cq_portfolio_free(pf);
    return cq_error_set(err, CQ_ENOMEM, "portfolio: no memory for %d instruments", n_ins);
  }
  memcpy(pf->ins, ins, ni * sizeof *pf->ins);
  /* every balance a fill can touch exists up front: booking a fill never allocates */
  for (int i = 0; i < n_ins; i++) {
    int rc = balance_slot(pf, ins[i].venue, ins[i].quote, &pf->quote_bal[i], err);
    if (!rc) rc = balance_slot(pf, ins[i].venue, ins[i].base, &pf->base_bal[i], err);
    if (rc) {
      cq_portfolio_free(pf);
      return rc;
    }
  }
  *out = pf;
  return CQ_OK;
}

int cq_portfolio_deposit(cq_portfolio *pf, const char *venue, const char *asset, cq_dec amount,
                         cq_error *err) {
  int i = -1;
  int rc = balance_slot(pf, venue, asset, &i, err);
  if (rc) return rc;
  cq_dec next;
  rc = cq_dec_add(pf->bal[i].total, amount, &next, err);
  if (rc) return rc;
  if (next.m < 0)
    return cq_error_set(err, CQ_EINVAL, "portfolio: %s at %s would go below zero", asset, venue);
  pf->bal[i].total = next;
  pf->bal[i].total_d = cq_dec_to_double(next);
  return CQ_OK;
}

/* The new state of a position after a fill, and what it realized. */
typedef struct booking {
  cq_pf_position pos;
  cq_dec d_qty, d_cost, d_realized;
} booking;

static int book_buy(const cq_pf_position *p, const cq_fill *f, cq_dec notional, booking *b,
                    cq_error *err) {
  b->pos = *p;
  b->d_qty = f->qty;
  b->d_cost = notional;
  b->d_realized = CQ_DEC(0, 0);
  int rc = cq_dec_add(p->qty, f->qty, &b->pos.qty, err);
  if (!rc) rc = cq_dec_add(p->cost, notional, &b->pos.cost, err);
  return rc;
}

/* Selling q of Q held releases cost x q / Q (all of it when q == Q, so no dust remains). */
static int book_sell(const cq_pf_position *p, const cq_fill *f, cq_dec notional, booking *b,
                     cq_error *err) {
  cq_dec part = p->cost, prod;
  int rc = CQ_OK;
  if (cq_dec_cmp(f->qty, p->qty) < 0) {
    unsigned sc = (unsigned)p->cost.scale + f->qty.scale;
    if (sc > CQ_DEC_MAX_SCALE) sc = CQ_DEC_MAX_SCALE;
    rc = cq_dec_mul(p->cost, f->qty, sc, CQ_ROUND_HALF_EVEN, &prod, err);
    if (!rc) rc = cq_dec_div(prod, p->qty, CQ_MONEY_SCALE, CQ_ROUND_HALF_EVEN, &part, err);
    if (rc) return rc;
  }
  b->pos = *p;
  rc = cq_dec_sub(p->qty, f->qty, &b->pos.qty, err);
  if (!rc) rc = cq_dec_sub(p->cost, part, &b->pos.cost, err);
  if (!rc) rc = cq_dec_sub(notional, part, &b->d_realized, err);
  if (!rc) rc = cq_dec_add(p->realized, b->d_realized, &b->pos.realized, err);
  if (!rc) rc = cq_dec_neg(f->qty, &b->d_qty, err);
  if (!rc) rc = cq_dec_neg(part, &b->d_cost, err);
  return rc;
}

/* The account's position moves by the strategy's deltas: its totals are the sums. */
static int book_account(const cq_pf_position *a, const booking *b, cq_dec fee, cq_pf_position *out,
                        cq_error *err) {
  *out = *a;
  int rc = cq_dec_add(a->qty, b->d_qty, &out->qty, err);
  if (!rc) rc = cq_dec_add(a->cost, b->d_cost, &out->cost, err);
  if (!rc) rc = cq_dec_add(a->realized, b->d_realized, &out->realized, err);
  if (!rc) rc = cq_dec_add(a->fees, fee, &out->fees, err);
  return rc;
}

static void set_doubles(cq_pf_position *p) {
  p->qty_d = cq_dec_to_double(p->qty);
  p->cost_d = cq_dec_to_double(p->cost);
}

static int check_fill(const cq_portfolio *pf, const cq_fill *f, cq_error *err) {
  if (f->instrument < 0 || f->instrument >= pf->n_ins || f->strategy < 0 ||
      f->strategy >= pf->n_strat)
    return cq_error_set(err, CQ_EINVAL, "portfolio: fill %s: instrument %d or strategy %d unknown",
                        f->client_id, f->instrument, f->strategy);
  if (f->qty.m <= 0 || f->price.m <= 0 || f->fee.m < 0)
    return cq_error_set(err, CQ_EINVAL, "portfolio: fill %s: price and quantity must be positive",
                        f->client_id);
  if (f->side != CQ_SIDE_BUY && f->side != CQ_SIDE_SELL)
    return cq_error_set(err, CQ_EINVAL, "portfolio: fill %s: no side", f->client_id);
  return CQ_OK;
}

int cq_portfolio_apply(cq_portfolio *pf, const cq_fill *f, cq_error *err) {
  int rc = check_fill(pf, f, err);
  if (rc) return rc;
  int i = f->instrument;
  cq_pf_position *sp = &pf->pos[(size_t)f->strategy * (size_t)pf->n_ins + (size_t)i];
  cq_pf_balance *qb = &pf->bal[pf->quote_bal[i]], *bb = &pf->bal[pf->base_bal[i]];
  bool buy = f->side == CQ_SIDE_BUY;
  if (!buy && cq_dec_cmp(f->qty, sp->qty) > 0)
    return cq_error_set(err, CQ_EINVAL, "portfolio: fill %s sells more %s than strategy %d holds",
                        f->client_id, pf->ins[i].base, f->strategy);
  cq_dec notional = {0}, quote_delta = {0}, quote_next, base_next, fees_next;
  booking b;
  cq_pf_position acct;
  rc = cq_fill_notional(f->price, f->qty, &notional, err);
  if (!rc) rc = buy ? book_buy(sp, f, notional, &b, err) : book_sell(sp, f, notional, &b, err);
  if (!rc) rc = cq_dec_add(b.pos.fees, f->fee, &b.pos.fees, err);
  if (!rc) rc = book_account(&pf->acct[i], &b, f->fee, &acct, err);
  if (!rc && buy) {
    rc = cq_dec_add(notional, f->fee, &quote_delta, err);
    if (!rc) rc = cq_dec_neg(quote_delta, &quote_delta, err);
  } else if (!rc) {
    rc = cq_dec_sub(notional, f->fee, &quote_delta, err);
  }
  if (!rc) rc = cq_dec_add(qb->total, quote_delta, &quote_next, err);
  if (!rc)
    rc = buy ? cq_dec_add(bb->total, f->qty, &base_next, err)
             : cq_dec_sub(bb->total, f->qty, &base_next, err);
  if (!rc) rc = cq_dec_add(qb->fees, f->fee, &fees_next, err);
  if (rc) return rc;
  if (quote_next.m < 0)
    return cq_error_set(err, CQ_EINVAL, "portfolio: fill %s costs more %s than the account holds",
                        f->client_id, pf->ins[i].quote);
  /* commit */
  *sp = b.pos;
  pf->acct[i] = acct;
  set_doubles(sp);
  set_doubles(&pf->acct[i]);
  qb->total = quote_next;
  qb->total_d = cq_dec_to_double(quote_next);
  qb->fees = fees_next;
  bb->total = base_next;
  bb->total_d = cq_dec_to_double(base_next);
  pf->mark[i] = pf->mark[i] > 0 ? pf->mark[i] : cq_dec_to_double(f->price);
  return CQ_OK;
}

void cq_portfolio_mark(cq_portfolio *pf, int i, double price) {
  if (i >= 0 && i < pf->n_ins) pf->mark[i] = price;
}

double cq_portfolio_mark_of(const cq_portfolio *pf, int i) {
  return i >= 0 && i < pf->n_ins ? pf->mark[i] : NAN;
}

const cq_pf_position *cq_portfolio_position(const cq_portfolio *pf, int strategy, int i) {
  if (i < 0 || i >= pf->n_ins || strategy < -1 || strategy >= pf->n_strat) return NULL;
  if (strategy < 0) return &pf->acct[i];
  return &pf->pos[(size_t)strategy * (size_t)pf->n_ins + (size_t)i];
}

double cq_pf_avg_price(const cq_pf_position *p) {
  return p && p->qty.m > 0 ? p->cost_d / p->qty_d : 0;
}

double cq_portfolio_unrealized(const cq_portfolio *pf, int strategy, int i) {
  const cq_pf_position *p = cq_portfolio_position(pf, strategy, i);
  return p ? p->qty_d * pf->mark[i] - p->cost_d : 0;
}

cq_dec cq_portfolio_balance(const cq_portfolio *pf, const char *venue, const char *asset) {
  int i = find_balance(pf, venue, asset);
  return i >= 0 ? pf->bal[i].total : CQ_DEC(0, 0);
}

double cq_portfolio_balance_d(const cq_portfolio *pf, const char *venue, const char *asset) {
  int i = find_balance(pf, venue, asset);
  return i >= 0 ? pf->bal[i].total_d : 0;
}

const cq_pf_balance *cq_portfolio_balance_ref(const cq_portfolio *pf, const char *venue,
                                              const char *asset) {
  int i = find_balance(pf, venue, asset);
  return i >= 0 ? &pf->bal[i] : NULL;
}

size_t cq_portfolio_balances(const cq_portfolio *pf, const cq_pf_balance **out) {
  *out = pf->bal;
  return pf->n_bal;
}

cq_dec cq_portfolio_fees(const cq_portfolio *pf, const char *asset) {
  cq_dec sum = CQ_DEC(0, 0);
  for (size_t i = 0; i < pf->n_bal; i++) {
    if (strcmp(pf->bal[i].asset, asset)) continue;
    /* a sum of fees that overflows int64 is not a ledger we keep: saturate visibly */
    if (cq_dec_add(sum, pf->bal[i].fees, &sum, NULL)) return CQ_DEC(INT64_MAX, 0);
  }
  return sum;
}

double cq_portfolio_positions_value(const cq_portfolio *pf, const char *quote) {
  double v = 0;
  for (int i = 0; i < pf->n_ins; i++)
    if (!strcmp(pf->ins[i].quote, quote)) v += pf->acct[i].qty_d * pf->mark[i];
  return v;
}

double cq_portfolio_equity(const cq_portfolio *pf, const char *quote) {
  double cash = 0;
  for (size_t i = 0; i < pf->n_bal; i++)
    if (!strcmp(pf->bal[i].asset, quote)) cash += pf->bal[i].total_d;
  return cash + cq_portfolio_positions_value(pf, quote);
}

double cq_portfolio_exposure(const cq_portfolio *pf, const char *quote) {
  double eq = cq_portfolio_equity(pf, quote);
  return eq > 0 ? cq_portfolio_positions_value(pf, quote) / eq : 0;
}

int cq_portfolio_instruments(const cq_portfolio *pf) {
  return pf->n_ins;
}

int cq_portfolio_strategies(const cq_portfolio *pf) {
  return pf->n_strat;
}
