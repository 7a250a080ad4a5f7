/* The simulated exchange core: accounts and balances, orders and their matching, my trades
 * and the user events, for any dialect.
 *
 * Matching is our own book walk, not the backtest's cq_matcher: an order that takes
 * liquidity walks the synthetic book of the market (vm_book) level by level at the level
 * prices, as a venue does, which the candle or trade matcher cannot express; a resting limit
 * fills as a maker at its own price when the market's synthetic liquidity on the other side
 * crosses it (vx_market_step), at most the quantity that crossed per step, so partial fills
 * happen as on a venue. The fill arithmetic is match.h's: cq_fill_notional for quote
 * amounts, cq_fill_fee for fees, and the venue rules of the instrument as cq_fill_check
 * words them. Fees follow Binance spot: a buy pays its fee in the base asset, a sell in the
 * quote asset. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/match.h"
#include "internal.h"

#define EV_CAP 8192
/* My trades kept (the newest; older ones are forgotten in halves). */
#define MAX_MY_TRADES (1u << 20)
#define WALK_LEVELS VM_BOOK_LEVELS

static cq_dec dec_of(double v, cq_dec step) {
  /* v is a multiple of step (from the market): its exact decimal at step's scale */
  double k = round(v / cq_dec_to_double(step));
  return CQ_DEC((int64_t)k * step.m, step.scale);
}

static int res_set(vx_result *r, vx_reject why, const char *filter, const char *fmt, ...)
    CQ_PRINTF(4, 5);
static int res_set(vx_result *r, vx_reject why, const char *filter, const char *fmt, ...) {
  if (r) {
    r->why = why;
    snprintf(r->filter, sizeof r->filter, "%s", filter ? filter : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
  }
  return CQ_EREJECTED;
}

/* ---- accounts ------------------------------------------------------------------------------- */

static vx_balance *bal_get(vx_account *a, const char *asset, bool create) {
  for (size_t i = 0; i < a->nbal; i++)
    if (!strcmp(a->bal[i].asset, asset)) return &a->bal[i];
  if (!create) return NULL;
  if (a->nbal == a->capbal) {
    size_t cap = a->capbal ? a->capbal * 2 : 8;
    vx_balance *p = realloc(a->bal, cap * sizeof *p);
    if (!p) return NULL;
    a->bal = p;
    a->capbal = cap;
  }
  vx_balance *b = &a->bal[a->nbal++];
  memset(b, 0, sizeof *b);
  snprintf(b->asset, sizeof b->asset, "%s", asset);
  b->free = CQ_DEC(0, 8);
  b->locked = CQ_DEC(0, 8);
  return b;
}

/* "USDT=10000,BTC=1.5" */
static int parse_balances(vx_account *a, const char *s, cq_error *err) {
  while (s && *s) {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    char item[96];
    if (len == 0 || len >= sizeof item)
      return cq_error_set(err, CQ_EINVAL, "account %s: balance '%.*s': expected ASSET=AMOUNT",
                          a->key, (int)len, s);
    memcpy(item, s, len);
    item[len] = 0;
    char *eq = strchr(item, '=');
    if (!eq || eq == item || eq - item >= CQ_ASSET_MAX)
      return cq_error_set(err, CQ_EINVAL, "account %s: balance '%s': expected ASSET=AMOUNT", a->key,
                          item);
    *eq = 0;
    cq_dec v;
    if (cq_dec_parse_cstr(eq + 1, &v, NULL) || cq_dec_sign(v) < 0)
      return cq_error_set(err, CQ_EINVAL, "account %s: balance of %s: '%s' is not an amount >= 0",
                          a->key, item, eq + 1);
    for (char *c = item; *c; c++)
      if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
    vx_balance *b = bal_get(a, item, true);
    if (!b) return cq_error_set(err, CQ_ENOMEM, "accounts: out of memory");
    if (cq_dec_add(b->free, v, &b->free, err)) return CQ_EOVERFLOW;
    s = comma ? comma + 1 : NULL;
  }
  return CQ_OK;
}

int vx_new(vm_market *mkt, const cq_vsim_options *o, vx_exchange **out, cq_error *err) {
  vx_exchange *x = calloc(1, sizeof *x);
  if (!x) return cq_error_set(err, CQ_ENOMEM, "exchange: out of memory");
  if (pthread_mutex_init(&x->mu, NULL)) {
    free(x);
    return cq_error_set(err, CQ_EINTERNAL, "exchange: no mutex");
  }
  x->mkt = mkt;
  x->maker_fee = CQ_DEC(1, 3);
  x->taker_fee = CQ_DEC(1, 3);
  if (o->maker_fee > 0) x->maker_fee = CQ_DEC((int64_t)llround(o->maker_fee * 1e8), 8);
  if (o->taker_fee > 0) x->taker_fee = CQ_DEC((int64_t)llround(o->taker_fee * 1e8), 8);
  x->max_orders = o->max_orders ? o->max_orders : 100000;
  x->next_order_id = 1;
  x->next_trade_id = 1;
  x->ev = calloc(EV_CAP, sizeof *x->ev);
  x->acc = calloc(VSIM_MAX_ACCOUNTS, sizeof *x->acc);
  if (!x->ev || !x->acc) {
    vx_free(x);
    return cq_error_set(err, CQ_ENOMEM, "exchange: out of memory");
  }
  x->evcap = EV_CAP;
  for (size_t i = 0; i < o->naccounts; i++) {
    const cq_vsim_account *a = &o->accounts[i];
    if (x->nacc == VSIM_MAX_ACCOUNTS) {
      vx_free(x);
      return cq_error_set(err, CQ_EINVAL, "at most %d accounts", VSIM_MAX_ACCOUNTS);
    }
    if (!a->api_key || !*a->api_key || strlen(a->api_key) >= sizeof x->acc[0].key ||
        !a->api_secret || !*a->api_secret || strlen(a->api_secret) >= sizeof x->acc[0].secret) {
      vx_free(x);
      return cq_error_set(err, CQ_EINVAL,
                          "account %zu: an api key (1..95 characters) and a secret (1..127)",
                          i + 1);
    }
    if (vx_account_by_key(x, a->api_key) >= 0) {
      vx_free(x);
      return cq_error_set(err, CQ_EINVAL, "account %zu: api key given twice", i + 1);
    }
    vx_account *acc = &x->acc[x->nacc++];
    snprintf(acc->key, sizeof acc->key, "%s", a->api_key);
    snprintf(acc->secret, sizeof acc->secret, "%s", a->api_secret);
    int rc = parse_balances(acc, a->balances, err);
    if (rc) {
      vx_free(x);
      return rc;
    }
  }
  *out = x;
  return CQ_OK;
}

void vx_free(vx_exchange *x) {
  if (!x) return;
  if (x->acc)
    for (size_t i = 0; i < x->nacc; i++) free(x->acc[i].bal);
  free(x->acc);
  free(x->ord);
  free(x->tr);
  free(x->ev);
  pthread_mutex_destroy(&x->mu);
  free(x);
}

int vx_account_by_key(vx_exchange *x, const char *key) {
  if (!key) return -1;
  for (size_t i = 0; i < x->nacc; i++)
    if (!strcmp(x->acc[i].key, key)) return (int)i;
  return -1;
}

/* ---- events ------------------------------------------------------------------------------ */

static vx_event *ev_push(vx_exchange *x) {
  if (x->evlen == x->evcap) { /* the oldest goes: a reader that never reads grows nothing */
    x->evhead = (x->evhead + 1) % x->evcap;
    x->evlen--;
    x->ev_dropped++;
  }
  vx_event *e = &x->ev[(x->evhead + x->evlen) % x->evcap];
  x->evlen++;
  memset(e, 0, sizeof *e);
  return e;
}

static void ev_order(vx_exchange *x, const vx_order *o, const char *exec, const vx_fill *f,
                     int64_t now) {
  vx_event *e = ev_push(x);
  e->kind = VX_EV_ORDER;
  e->account = o->account;
  e->time_ms = now;
  e->order = *o;
  snprintf(e->exec_type, sizeof e->exec_type, "%s", exec);
  if (f) {
    e->has_fill = true;
    e->fill = *f;
  }
}

static void ev_balance(vx_exchange *x, int account, const vm_symbol *y, int64_t now) {
  vx_account *a = &x->acc[account];
  a->update_ms = now;
  vx_event *e = ev_push(x);
  e->kind = VX_EV_BALANCE;
  e->account = account;
  e->time_ms = now;
  const char *assets[2] = {y->ins.base, y->ins.quote};
  for (int i = 0; i < 2; i++) {
    vx_balance *b = bal_get(a, assets[i], false);
    if (b) e->bal[e->nbal++] = *b;
  }
}

size_t vx_events_take(vx_exchange *x, vx_event *out, size_t max) {
  pthread_mutex_lock(&x->mu);
  size_t k = 0;
  while (k < max && x->evlen) {
    out[k++] = x->ev[x->evhead];
    x->evhead = (x->evhead + 1) % x->evcap;
    x->evlen--;
  }
  pthread_mutex_unlock(&x->mu);
  return k;
}

/* ---- orders ------------------------------------------------------------------------------- */

static bool is_open(const vx_order *o) {
  return o->state == CQ_OS_ACCEPTED || o->state == CQ_OS_PARTIAL;
}

static vx_order *find_order(vx_exchange *x, int account, int sym, int64_t id, const char *cid) {
  if (id > 0) {
    /* ids are dense from 1, in array order */
    if (id > (int64_t)x->nord) return NULL;
    vx_order *o = &x->ord[id - 1];
    return o->account == account && o->sym == sym ? o : NULL;
  }
  if (!cid || !*cid) return NULL;
  vx_order *found = NULL; /* the newest order with the id: an open one first */
  for (size_t i = x->nord; i-- > 0;) {
    vx_order *o = &x->ord[i];
    if (o->account != account || o->sym != sym || strcmp(o->client_id, cid)) continue;
    if (is_open(o)) return o;
    if (!found) found = o;
  }
  return found;
}

static int add_fee(cq_dec a, cq_dec b, cq_dec *out) {
  return cq_dec_add(a, b, out, NULL);
}

/* Books one fill of o at price for qty; the order, balances, my trades, events. */
static int book_fill(vx_exchange *x, vx_order *o, cq_dec price, cq_dec qty, bool maker, int64_t now,
                     vx_fill *fout) {
  const vm_symbol *y = &x->mkt->syms[o->sym];
  vx_account *a = &x->acc[o->account];
  cq_dec rate = maker ? x->maker_fee : x->taker_fee;
  cq_dec quote, fee;
  if (cq_fill_notional(price, qty, &quote, NULL)) return CQ_EOVERFLOW;
  /* both made first: making one may move the other (the array grows) */
  if (!bal_get(a, y->ins.base, true) || !bal_get(a, y->ins.quote, true)) return CQ_ENOMEM;
  vx_balance *bb = bal_get(a, y->ins.base, false), *qb = bal_get(a, y->ins.quote, false);
  if (!bb || !qb) return CQ_ENOMEM;
  vx_fill f = {.trade_id = x->next_trade_id++,
               .price = price,
               .qty = qty,
               .quote = quote,
               .maker = maker,
               .time_ms = now};
  if (o->side == CQ_SIDE_BUY) {
    /* the fee in base: qty * rate, rounded up at 8 digits */
    if (cq_dec_mul(qty, rate, CQ_MONEY_SCALE, CQ_ROUND_CEIL, &fee, NULL)) return CQ_EOVERFLOW;
    snprintf(f.fee_asset, sizeof f.fee_asset, "%s", y->ins.base);
    cq_dec got, from_lock = quote, extra = CQ_DEC(0, 8);
    /* fills rounded one by one may pass the amount locked by a rounding unit: the rest
     * comes from free */
    if (cq_dec_cmp(quote, o->locked) > 0) {
      from_lock = o->locked;
      if (cq_dec_sub(quote, o->locked, &extra, NULL)) return CQ_EOVERFLOW;
    }
    if (cq_dec_sub(o->locked, from_lock, &o->locked, NULL) ||
        cq_dec_sub(qb->locked, from_lock, &qb->locked, NULL) ||
        cq_dec_sub(qb->free, extra, &qb->free, NULL) || cq_dec_sub(qty, fee, &got, NULL) ||
        cq_dec_add(bb->free, got, &bb->free, NULL))
      return CQ_EOVERFLOW;
  } else {
    if (cq_fill_fee(price, qty, rate, &fee, NULL)) return CQ_EOVERFLOW;
    snprintf(f.fee_asset, sizeof f.fee_asset, "%s", y->ins.quote);
    cq_dec got;
    if (cq_dec_sub(o->locked, qty, &o->locked, NULL) ||
        cq_dec_sub(bb->locked, qty, &bb->locked, NULL) || cq_dec_sub(quote, fee, &got, NULL) ||
        cq_dec_add(qb->free, got, &qb->free, NULL))
      return CQ_EOVERFLOW;
  }
  f.fee = fee;
  if (cq_dec_add(o->filled, qty, &o->filled, NULL) || add_fee(o->quote, quote, &o->quote))
    return CQ_EOVERFLOW;
  o->update_ms = now;
  o->state = cq_dec_cmp(o->filled, o->qty) >= 0 ? CQ_OS_FILLED : CQ_OS_PARTIAL;
  if (x->ntr == MAX_MY_TRADES) { /* the oldest half goes: memory stays bounded */
    memmove(x->tr, x->tr + MAX_MY_TRADES / 2, (x->ntr - MAX_MY_TRADES / 2) * sizeof *x->tr);
    x->ntr -= MAX_MY_TRADES / 2;
  }
  if (x->ntr == x->captr) {
    size_t cap = x->captr ? x->captr * 2 : 256;
    vx_mytrade *p = realloc(x->tr, cap * sizeof *p);
    if (!p) return CQ_ENOMEM;
    x->tr = p;
    x->captr = cap;
  }
  x->tr[x->ntr++] = (vx_mytrade){.id = f.trade_id,
                                 .order_id = o->id,
                                 .account = o->account,
                                 .sym = o->sym,
                                 .side = o->side,
                                 .f = f};
  ev_order(x, o, "TRADE", &f, now);
  *fout = f;
  return CQ_OK;
}

/* The order is done: what it still holds goes back to free. */
static void release_lock(vx_exchange *x, vx_order *o) {
  const vm_symbol *y = &x->mkt->syms[o->sym];
  vx_account *a = &x->acc[o->account];
  vx_balance *b = bal_get(a, o->side == CQ_SIDE_BUY ? y->ins.quote : y->ins.base, false);
  if (b && cq_dec_sign(o->locked) > 0) {
    cq_dec l, f;
    if (!cq_dec_sub(b->locked, o->locked, &l, NULL) && !cq_dec_add(b->free, o->locked, &f, NULL)) {
      b->locked = l;
      b->free = f;
    }
  }
  o->locked = CQ_DEC(0, 8);
  o->working = false;
}

static void finish(vx_exchange *x, vx_order *o, cq_order_state st, const char *exec, int64_t now) {
  o->state = st;
  o->update_ms = now;
  release_lock(x, o);
  ev_order(x, o, exec, NULL, now);
}

/* Takes liquidity for o from the synthetic book at now, up to o's price when limit_px; the
 * fills appended. */
static int take(vx_exchange *x, vx_order *o, bool limit_px, int64_t now, vx_fill *fills,
                size_t max_fills, size_t *nfills) {
  const vm_symbol *y = &x->mkt->syms[o->sym];
  vm_level bids[WALK_LEVELS], asks[WALK_LEVELS];
  vm_book(x->mkt, o->sym, now / VM_BOOK_STEP_MS, bids, asks, WALK_LEVELS);
  const vm_level *lv = o->side == CQ_SIDE_BUY ? asks : bids;
  for (size_t i = 0; i < WALK_LEVELS && cq_dec_cmp(o->filled, o->qty) < 0; i++) {
    if (lv[i].qty <= 0) break;
    cq_dec px = dec_of(lv[i].price, y->ins.tick), avail = dec_of(lv[i].qty, y->ins.lot);
    if (limit_px) {
      int c = cq_dec_cmp(px, o->price);
      if (o->side == CQ_SIDE_BUY ? c > 0 : c < 0) break;
    }
    cq_dec rem;
    if (cq_dec_sub(o->qty, o->filled, &rem, NULL)) return CQ_EOVERFLOW;
    cq_dec q = cq_dec_cmp(avail, rem) < 0 ? avail : rem;
    if (o->side == CQ_SIDE_BUY) { /* never past what the order locked */
      cq_dec cost;
      if (cq_fill_notional(px, q, &cost, NULL)) return CQ_EOVERFLOW;
      if (cq_dec_cmp(cost, o->locked) > 0) {
        cq_dec most;
        if (cq_dec_div(o->locked, px, y->ins.lot.scale, CQ_ROUND_FLOOR, &most, NULL) ||
            cq_dec_round_step(most, y->ins.lot, CQ_ROUND_FLOOR, &q, NULL))
          return CQ_EOVERFLOW;
        if (cq_dec_sign(q) <= 0) break;
      }
    }
    vx_fill f;
    int rc = book_fill(x, o, px, q, false, now, &f);
    if (rc) return rc;
    if (*nfills < max_fills) fills[*nfills] = f;
    (*nfills)++;
  }
  return CQ_OK;
}

static cq_dec avail_to(vx_exchange *x, int sym, cq_side side, const cq_dec *limit, int64_t now) {
  const vm_symbol *y = &x->mkt->syms[sym];
  vm_level bids[WALK_LEVELS], asks[WALK_LEVELS];
  vm_book(x->mkt, sym, now / VM_BOOK_STEP_MS, bids, asks, WALK_LEVELS);
  const vm_level *lv = side == CQ_SIDE_BUY ? asks : bids;
  cq_dec sum = CQ_DEC(0, y->ins.lot.scale);
  for (size_t i = 0; i < WALK_LEVELS && lv[i].qty > 0; i++) {
    cq_dec px = dec_of(lv[i].price, y->ins.tick);
    if (limit) {
      int c = cq_dec_cmp(px, *limit);
      if (side == CQ_SIDE_BUY ? c > 0 : c < 0) break;
    }
    if (cq_dec_add(sum, dec_of(lv[i].qty, y->ins.lot), &sum, NULL)) break;
  }
  return sum;
}

/* The quote a buy of qty would cost walking the book (up to limit when given). */
static int walk_cost(vx_exchange *x, int sym, cq_dec qty, int64_t now, cq_dec *cost) {
  const vm_symbol *y = &x->mkt->syms[sym];
  vm_level bids[WALK_LEVELS], asks[WALK_LEVELS];
  vm_book(x->mkt, sym, now / VM_BOOK_STEP_MS, bids, asks, WALK_LEVELS);
  cq_dec sum = CQ_DEC(0, 8), rem = qty;
  for (size_t i = 0; i < WALK_LEVELS && cq_dec_sign(rem) > 0; i++) {
    cq_dec px = dec_of(asks[i].price, y->ins.tick), av = dec_of(asks[i].qty, y->ins.lot);
    cq_dec q = cq_dec_cmp(av, rem) < 0 ? av : rem, n;
    if (cq_fill_notional(px, q, &n, NULL) || cq_dec_add(sum, n, &sum, NULL) ||
        cq_dec_sub(rem, q, &rem, NULL))
      return CQ_EOVERFLOW;
  }
  *cost = sum;
  return CQ_OK;
}

static int check_rules(const vm_symbol *y, const vx_new_order *r, cq_dec ref_price,
                       vx_result *res) {
  const cq_instrument *ins = &y->ins;
  char a[CQ_DEC_STRMAX], b[CQ_DEC_STRMAX];
  cq_dec g;
  bool priced = r->type == CQ_ORDER_LIMIT || r->type == CQ_ORDER_STOP_LIMIT;
  if (priced) {
    if (cq_dec_sign(r->price) <= 0) return res_set(res, VX_BAD_PARAM, NULL, "Invalid price.");
    if (cq_dec_round_step(r->price, ins->tick, CQ_ROUND_FLOOR, &g, NULL) || !cq_dec_eq(g, r->price))
      return res_set(res, VX_FILTER, "PRICE_FILTER", "Filter failure: PRICE_FILTER");
  }
  if (r->type == CQ_ORDER_STOP || r->type == CQ_ORDER_STOP_LIMIT) {
    if (cq_dec_sign(r->stop) <= 0) return res_set(res, VX_BAD_PARAM, NULL, "Invalid stopPrice.");
    if (cq_dec_round_step(r->stop, ins->tick, CQ_ROUND_FLOOR, &g, NULL) || !cq_dec_eq(g, r->stop))
      return res_set(res, VX_FILTER, "PRICE_FILTER", "Filter failure: PRICE_FILTER");
  }
  if (cq_dec_sign(r->quote_qty) > 0) return CQ_OK; /* market by quote: sized later */
  if (cq_dec_sign(r->qty) <= 0) return res_set(res, VX_BAD_PARAM, NULL, "Invalid quantity.");
  if (cq_dec_round_step(r->qty, ins->lot, CQ_ROUND_FLOOR, &g, NULL) || !cq_dec_eq(g, r->qty) ||
      cq_dec_cmp(r->qty, ins->min_qty) < 0)
    return res_set(res, VX_FILTER, "LOT_SIZE", "Filter failure: LOT_SIZE");
  cq_dec notional;
  if (cq_fill_notional(ref_price, r->qty, &notional, NULL) ||
      cq_dec_cmp(notional, ins->min_notional) < 0) {
    cq_dec_format(notional, a, sizeof a);
    cq_dec_format(ins->min_notional, b, sizeof b);
    return res_set(res, VX_FILTER, "NOTIONAL", "Filter failure: NOTIONAL");
  }
  return CQ_OK;
}

static vx_order *new_record(vx_exchange *x) {
  if (x->nord == x->capord) {
    if (x->nord >= x->max_orders) return NULL;
    size_t cap = x->capord ? x->capord * 2 : 256;
    if (cap > x->max_orders) cap = x->max_orders;
    vx_order *p = realloc(x->ord, cap * sizeof *p);
    if (!p) return NULL;
    x->ord = p;
    x->capord = cap;
  }
  vx_order *o = &x->ord[x->nord++];
  memset(o, 0, sizeof *o);
  o->id = x->next_order_id++;
  return o;
}

/* After a stop triggered or a limit arrived: take what crosses, then rest, expire or fill. */
static int work(vx_exchange *x, vx_order *o, int64_t now, vx_fill *fills, size_t max_fills,
                size_t *nfills) {
  bool market = o->type == CQ_ORDER_MARKET || o->type == CQ_ORDER_STOP;
  int rc = take(x, o, !market, now, fills, max_fills, nfills);
  if (rc) return rc;
  if (o->state == CQ_OS_FILLED) {
    release_lock(x, o);
    return CQ_OK;
  }
  if (market || o->tif == CQ_TIF_IOC || o->tif == CQ_TIF_FOK) {
    finish(x, o, CQ_OS_EXPIRED, "EXPIRED", now);
    return CQ_OK;
  }
  o->working = true;
  o->working_ms = now;
  return CQ_OK;
}

int vx_place(vx_exchange *x, const vx_new_order *r, int64_t now, vx_order *out, vx_fill *fills,
             size_t max_fills, size_t *nfills, vx_result *res) {
  *nfills = 0;
  if (res) memset(res, 0, sizeof *res);
  pthread_mutex_lock(&x->mu);
  int rc = CQ_OK;
  if (r->sym < 0 || (size_t)r->sym >= x->mkt->nsyms) {
    rc = res_set(res, VX_BAD_SYMBOL, NULL, "Invalid symbol.");
    goto done;
  }
  if (r->account < 0 || (size_t)r->account >= x->nacc) {
    rc = res_set(res, VX_BAD_PARAM, NULL, "Unknown account.");
    goto done;
  }
  const vm_symbol *y = &x->mkt->syms[r->sym];
  vx_account *a = &x->acc[r->account];
  if (vm_in_gap(x->mkt, now)) {
    rc = res_set(res, VX_BAD_PARAM, NULL, "Market is closed.");
    goto done;
  }
  /* duplicate client id among open orders, as Binance */
  if (r->client_id && *r->client_id)
    for (size_t i = 0; i < x->nord; i++)
      if (x->ord[i].account == r->account && is_open(&x->ord[i]) &&
          !strcmp(x->ord[i].client_id, r->client_id)) {
        rc = res_set(res, VX_DUPLICATE, NULL, "Duplicate order sent.");
        goto done;
      }
  vm_level bid, ask;
  vm_book(x->mkt, r->sym, now / VM_BOOK_STEP_MS, &bid, &ask, 1);
  cq_dec best_bid = dec_of(bid.price, y->ins.tick), best_ask = dec_of(ask.price, y->ins.tick);
  cq_dec last = dec_of(vm_price(x->mkt, r->sym, now), y->ins.tick);
  cq_dec ref = r->type == CQ_ORDER_LIMIT || r->type == CQ_ORDER_STOP_LIMIT ? r->price
               : r->type == CQ_ORDER_STOP                                  ? r->stop
               : r->side == CQ_SIDE_BUY                                    ? best_ask
                                                                           : best_bid;
  vx_new_order q = *r;
  if (cq_dec_sign(r->quote_qty) > 0) { /* a market order for a quote amount */
    cq_dec n;
    if (cq_dec_div(r->quote_qty, ref, y->ins.lot.scale + 2, CQ_ROUND_FLOOR, &n, NULL) ||
        cq_dec_round_step(n, y->ins.lot, CQ_ROUND_FLOOR, &q.qty, NULL)) {
      rc = res_set(res, VX_BAD_PARAM, NULL, "Invalid quoteOrderQty.");
      goto done;
    }
    q.quote_qty = CQ_DEC(0, 0);
  }
  rc = check_rules(y, &q, ref, res);
  if (rc) goto done;
  if (q.tif == CQ_TIF_POST_ONLY && q.type == CQ_ORDER_LIMIT) {
    int c = q.side == CQ_SIDE_BUY ? cq_dec_cmp(q.price, best_ask) : cq_dec_cmp(best_bid, q.price);
    if (c >= 0) {
      rc = res_set(res, VX_WOULD_TAKE, NULL, "Order would immediately match and take.");
      goto done;
    }
  }
  if (q.type == CQ_ORDER_STOP || q.type == CQ_ORDER_STOP_LIMIT) {
    int c = cq_dec_cmp(last, q.stop);
    if (q.side == CQ_SIDE_BUY ? c >= 0 : c <= 0) {
      rc = res_set(res, VX_BAD_PARAM, NULL, "Stop price would trigger immediately.");
      goto done;
    }
  }
  if (q.type == CQ_ORDER_MARKET || q.type == CQ_ORDER_LIMIT) {
    if (q.tif == CQ_TIF_FOK || q.type == CQ_ORDER_MARKET) {
      cq_dec av = avail_to(x, q.sym, q.side, q.type == CQ_ORDER_LIMIT ? &q.price : NULL, now);
      if (q.tif == CQ_TIF_FOK && cq_dec_cmp(av, q.qty) < 0) {
        /* Binance accepts a FOK and expires it */
      } else if (q.type == CQ_ORDER_MARKET && cq_dec_sign(av) <= 0) {
        rc = res_set(res, VX_NO_LIQUIDITY, NULL, "Market is closed.");
        goto done;
      }
    }
  }
  /* what the order must hold */
  cq_dec need;
  const char *hold_asset = q.side == CQ_SIDE_BUY ? y->ins.quote : y->ins.base;
  if (q.side == CQ_SIDE_SELL) {
    need = q.qty;
  } else if (q.type == CQ_ORDER_MARKET) {
    if (walk_cost(x, q.sym, q.qty, now, &need)) {
      rc = res_set(res, VX_BAD_PARAM, NULL, "Invalid quantity.");
      goto done;
    }
  } else {
    if (cq_fill_notional(q.type == CQ_ORDER_STOP ? q.stop : q.price, q.qty, &need, NULL)) {
      rc = res_set(res, VX_BAD_PARAM, NULL, "Invalid quantity.");
      goto done;
    }
    if (q.type == CQ_ORDER_STOP) { /* room for the market to move past the stop: 5 % */
      cq_dec m;
      if (!cq_dec_mul(need, CQ_DEC(105, 2), 8, CQ_ROUND_CEIL, &m, NULL)) need = m;
    }
  }
  vx_balance *hb = bal_get(a, hold_asset, false);
  if (!hb || cq_dec_cmp(hb->free, need) < 0) {
    rc = res_set(res, VX_INSUFFICIENT, NULL,
                 "Account has insufficient balance for requested action.");
    goto done;
  }
  if (q.dry) goto done; /* valid: nothing more for a test order */
  vx_order *o = new_record(x);
  if (!o) {
    rc = res_set(res, VX_BAD_PARAM, NULL, "Too many orders in the simulator.");
    goto done;
  }
  o->account = q.account;
  o->sym = q.sym;
  if (q.client_id && *q.client_id)
    snprintf(o->client_id, sizeof o->client_id, "%s", q.client_id);
  else
    snprintf(o->client_id, sizeof o->client_id, "sim-%016llx%06lld",
             (unsigned long long)(x->mkt->seed ^ (uint64_t)now), (long long)o->id);
  o->side = q.side;
  o->type = q.type;
  o->tif = q.tif;
  o->qty = q.qty;
  o->price = q.type == CQ_ORDER_LIMIT || q.type == CQ_ORDER_STOP_LIMIT ? q.price : CQ_DEC(0, 8);
  o->stop = q.type == CQ_ORDER_STOP || q.type == CQ_ORDER_STOP_LIMIT ? q.stop : CQ_DEC(0, 8);
  o->filled = CQ_DEC(0, y->ins.lot.scale);
  o->quote = CQ_DEC(0, 8);
  o->state = CQ_OS_ACCEPTED;
  o->time_ms = o->update_ms = now;
  o->locked = need;
  if (cq_dec_sub(hb->free, need, &hb->free, NULL) ||
      cq_dec_add(hb->locked, need, &hb->locked, NULL)) {
    rc = res_set(res, VX_BAD_PARAM, NULL, "Invalid quantity.");
    goto done;
  }
  ev_order(x, o, "NEW", NULL, now);
  if (q.type == CQ_ORDER_MARKET || q.type == CQ_ORDER_LIMIT) {
    if (q.tif == CQ_TIF_FOK) {
      cq_dec av = avail_to(x, q.sym, q.side, q.type == CQ_ORDER_LIMIT ? &q.price : NULL, now);
      if (cq_dec_cmp(av, q.qty) < 0) {
        finish(x, o, CQ_OS_EXPIRED, "EXPIRED", now);
        goto placed;
      }
    }
    rc = work(x, o, now, fills, max_fills, nfills);
    if (rc) {
      rc = res_set(res, VX_BAD_PARAM, NULL, "Internal error while matching.");
      goto done;
    }
  } else {
    o->working = false; /* a stop waits for its price */
  }
placed:
  ev_balance(x, o->account, y, now);
  *out = *o;
  if (*nfills > max_fills) *nfills = max_fills;
done:
  pthread_mutex_unlock(&x->mu);
  return rc;
}

int vx_cancel(vx_exchange *x, int account, int sym, int64_t id, const char *cid, int64_t now,
              vx_order *out, vx_result *res) {
  if (res) memset(res, 0, sizeof *res);
  pthread_mutex_lock(&x->mu);
  int rc = CQ_OK;
  vx_order *o = find_order(x, account, sym, id, cid);
  if (!o || !is_open(o)) {
    rc = res_set(res, VX_NO_ORDER, NULL, "Unknown order sent.");
  } else {
    finish(x, o, CQ_OS_CANCELLED, "CANCELED", now);
    ev_balance(x, account, &x->mkt->syms[sym], now);
    *out = *o;
  }
  pthread_mutex_unlock(&x->mu);
  return rc;
}

int vx_query(vx_exchange *x, int account, int sym, int64_t id, const char *cid, vx_order *out,
             vx_result *res) {
  if (res) memset(res, 0, sizeof *res);
  pthread_mutex_lock(&x->mu);
  int rc = CQ_OK;
  vx_order *o = find_order(x, account, sym, id, cid);
  if (!o)
    rc = res_set(res, VX_NO_ORDER, NULL, "Order does not exist.");
  else
    *out = *o;
  pthread_mutex_unlock(&x->mu);
  return rc;
}

int vx_all_orders(vx_exchange *x, int account, int sym, int64_t from_id, int64_t from_ms,
                  int64_t to_ms, size_t limit, vx_order **out, size_t *n, cq_error *err) {
  if (limit == 0) limit = 1;
  vx_order *v = malloc(limit * sizeof *v);
  if (!v) return cq_error_set(err, CQ_ENOMEM, "all orders: out of memory");
  pthread_mutex_lock(&x->mu);
  size_t k = 0;
  bool newest = from_id <= 0 && from_ms <= 0; /* no start: the newest `limit` */
  size_t skip = 0;
  for (int pass = newest ? 0 : 1; pass < 2; pass++) {
    size_t seen = 0;
    for (size_t i = 0; i < x->nord && k < limit; i++) {
      const vx_order *o = &x->ord[i];
      if (o->account != account || o->sym != sym) continue;
      if (from_id > 0 && o->id < from_id) continue;
      if (from_id <= 0 && from_ms > 0 && o->time_ms < from_ms) continue;
      if (from_id <= 0 && to_ms > 0 && o->time_ms > to_ms) continue;
      if (pass == 0) {
        seen++;
      } else if (skip) {
        skip--;
      } else {
        v[k++] = *o;
      }
    }
    if (pass == 0) skip = seen > limit ? seen - limit : 0;
  }
  pthread_mutex_unlock(&x->mu);
  *out = v;
  *n = k;
  return CQ_OK;
}

int vx_open_orders(vx_exchange *x, int account, int sym, vx_order **out, size_t *n, cq_error *err) {
  pthread_mutex_lock(&x->mu);
  size_t k = 0;
  for (size_t i = 0; i < x->nord; i++)
    if (x->ord[i].account == account && (sym < 0 || x->ord[i].sym == sym) && is_open(&x->ord[i]))
      k++;
  vx_order *v = malloc((k ? k : 1) * sizeof *v);
  if (!v) {
    pthread_mutex_unlock(&x->mu);
    return cq_error_set(err, CQ_ENOMEM, "open orders: out of memory");
  }
  k = 0;
  for (size_t i = 0; i < x->nord; i++)
    if (x->ord[i].account == account && (sym < 0 || x->ord[i].sym == sym) && is_open(&x->ord[i]))
      v[k++] = x->ord[i];
  pthread_mutex_unlock(&x->mu);
  *out = v;
  *n = k;
  return CQ_OK;
}

int vx_balances(vx_exchange *x, int account, vx_balance **out, size_t *n, int64_t *update_ms,
                cq_error *err) {
  pthread_mutex_lock(&x->mu);
  vx_account *a = &x->acc[account];
  vx_balance *v = malloc((a->nbal ? a->nbal : 1) * sizeof *v);
  if (!v) {
    pthread_mutex_unlock(&x->mu);
    return cq_error_set(err, CQ_ENOMEM, "balances: out of memory");
  }
  if (a->nbal) memcpy(v, a->bal, a->nbal * sizeof *v);
  *n = a->nbal;
  *update_ms = a->update_ms;
  pthread_mutex_unlock(&x->mu);
  *out = v;
  return CQ_OK;
}

int vx_my_trades(vx_exchange *x, int account, int sym, int64_t order_id, int64_t from_id,
                 int64_t from_ms, int64_t to_ms, size_t limit, vx_mytrade **out, size_t *n,
                 cq_error *err) {
  if (limit == 0) limit = 1;
  vx_mytrade *v = malloc(limit * sizeof *v);
  if (!v) return cq_error_set(err, CQ_ENOMEM, "my trades: out of memory");
  pthread_mutex_lock(&x->mu);
  size_t k = 0, skip = 0;
  /* no start: the newest `limit` (a first pass counts them), oldest first */
  bool newest = from_id < 0 && from_ms <= 0;
  for (int pass = newest ? 0 : 1; pass < 2; pass++) {
    size_t seen = 0;
    for (size_t i = 0; i < x->ntr && k < limit; i++) {
      const vx_mytrade *t = &x->tr[i];
      if (t->account != account || t->sym != sym) continue;
      if (order_id > 0 && t->order_id != order_id) continue;
      if (from_id >= 0 && t->id < from_id) continue;
      if (from_ms > 0 && t->f.time_ms < from_ms) continue;
      if (to_ms > 0 && t->f.time_ms > to_ms) continue;
      if (pass == 0)
        seen++;
      else if (skip)
        skip--;
      else
        v[k++] = *t;
    }
    if (pass == 0) skip = seen > limit ? seen - limit : 0;
  }
  pthread_mutex_unlock(&x->mu);
  *out = v;
  *n = k;
  return CQ_OK;
}

int vx_market_step(vx_exchange *x, int64_t now, cq_error *err) {
  pthread_mutex_lock(&x->mu);
  int rc = CQ_OK;
  int64_t step = now / VM_BOOK_STEP_MS;
  if (step <= x->last_step) goto done;
  x->last_step = step;
  if (vm_in_gap(x->mkt, now)) goto done;
  /* the best levels of each symbol, drawn once: most resting orders are not crossed */
  vm_level best_bid[VSIM_MAX_SYMBOLS], best_ask[VSIM_MAX_SYMBOLS];
  bool have_best[VSIM_MAX_SYMBOLS] = {false};
  for (size_t i = 0; i < x->nord; i++) {
    vx_order *o = &x->ord[i];
    if (!is_open(o)) continue;
    const vm_symbol *y = &x->mkt->syms[o->sym];
    bool touched = false;
    if (o->working) {
      if (!have_best[o->sym]) {
        vm_book(x->mkt, o->sym, step, &best_bid[o->sym], &best_ask[o->sym], 1);
        have_best[o->sym] = true;
      }
      double px = cq_dec_to_double(o->price), half = 0.5 * y->tick;
      if (o->side == CQ_SIDE_BUY ? best_ask[o->sym].price > px + half
                                 : best_bid[o->sym].price < px - half)
        continue;
    }
    if (!o->working) { /* a stop: has its price traded? */
      cq_dec last = dec_of(vm_price(x->mkt, o->sym, now), y->ins.tick);
      int c = cq_dec_cmp(last, o->stop);
      if (o->side == CQ_SIDE_BUY ? c < 0 : c > 0) continue;
      o->triggered = true;
      vx_fill fills[1];
      size_t nf = 0;
      rc = work(x, o, now, fills, 0, &nf);
      if (rc) break;
      touched = true;
    } else {
      /* the opposite synthetic liquidity that crossed the order's price fills it */
      cq_dec av =
          avail_to(x, o->sym, o->side == CQ_SIDE_BUY ? CQ_SIDE_BUY : CQ_SIDE_SELL, &o->price, now);
      if (cq_dec_sign(av) <= 0) continue;
      cq_dec rem;
      if (cq_dec_sub(o->qty, o->filled, &rem, NULL)) continue;
      cq_dec q = cq_dec_cmp(av, rem) < 0 ? av : rem;
      vx_fill f;
      rc = book_fill(x, o, o->price, q, true, now, &f);
      if (rc) break;
      if (o->state == CQ_OS_FILLED) release_lock(x, o);
      touched = true;
    }
    if (touched) ev_balance(x, o->account, y, now);
  }
done:
  pthread_mutex_unlock(&x->mu);
  if (rc) return cq_error_set(err, rc, "exchange: matching failed (%s)", cq_strerror(rc));
  return CQ_OK;
}

void vx_add_resting(vx_exchange *x, int sym, vm_level *bids, vm_level *asks, size_t n) {
  if (n == 0) return;
  double tick = x->mkt->syms[sym].tick;
  pthread_mutex_lock(&x->mu);
  for (size_t i = 0; i < x->nord; i++) {
    const vx_order *o = &x->ord[i];
    if (o->sym != sym || !o->working || !is_open(o)) continue;
    vm_level *lv = o->side == CQ_SIDE_BUY ? bids : asks;
    double px = cq_dec_to_double(o->price);
    /* levels are one tick apart from the best: the order's level by its distance */
    double d = o->side == CQ_SIDE_BUY ? lv[0].price - px : px - lv[0].price;
    double k = round(d / tick);
    if (k < 0 || k >= (double)n) continue;
    vm_level *l = &lv[(size_t)k];
    if (fabs(l->price - px) > 0.5 * tick) continue;
    l->qty += cq_dec_to_double(o->qty) - cq_dec_to_double(o->filled);
  }
  pthread_mutex_unlock(&x->mu);
}
