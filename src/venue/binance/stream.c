/* Binance stream messages (market streams and the user-data stream) -> cq_bn_msg. */
#include <stdlib.h>
#include <string.h>

#include "bn_json.h"

void cq_bn_depth_diff_init(cq_bn_depth_diff *d) {
  memset(d, 0, sizeof *d);
}

void cq_bn_depth_diff_release(cq_bn_depth_diff *d) {
  if (!d) return;
  free(d->bids);
  free(d->asks);
  cq_bn_depth_diff_init(d);
}

int cq_bn_depth_diff_push(cq_bn_depth_diff *d, cq_side side, cq_dec price, cq_dec qty,
                          cq_error *err) {
  bool bid = side == CQ_SIDE_BUY;
  cq_bn_level **lv = bid ? &d->bids : &d->asks;
  size_t *n = bid ? &d->nbids : &d->nasks, *cap = bid ? &d->cap_bids : &d->cap_asks;
  if (*n == *cap) {
    if (*cap >= CQ_BN_MAX_LEVELS)
      return cq_error_set(err, CQ_ELIMIT, "binance: depth update: over %d levels a side",
                          CQ_BN_MAX_LEVELS);
    size_t nc = *cap ? *cap * 2 : 16;
    if (nc > CQ_BN_MAX_LEVELS) nc = CQ_BN_MAX_LEVELS;
    cq_bn_level *p = realloc(*lv, nc * sizeof *p);
    if (!p) return cq_error_set(err, CQ_ENOMEM, "binance: depth update: out of memory");
    *lv = p;
    *cap = nc;
  }
  (*lv)[*n].price = price;
  (*lv)[*n].qty = qty;
  (*n)++;
  return 0;
}

void cq_bn_msg_init(cq_bn_msg *m) {
  memset(m, 0, sizeof *m);
  cq_bn_depth_diff_init(&m->depth);
}

void cq_bn_msg_release(cq_bn_msg *m) {
  if (!m) return;
  cq_bn_depth_diff_release(&m->depth);
  free(m->balances);
  cq_bn_msg_init(m);
}

/* Events of Binance's futures and options streams: named as such, not as unknown. */
static const char *const futures_events[] = {
    "markPriceUpdate",
    "forceOrder",
    "ACCOUNT_UPDATE",
    "ORDER_TRADE_UPDATE",
    "MARGIN_CALL",
    "continuous_kline",
    "indexPriceUpdate",
    "compositeIndex",
    "contractInfo",
    "assetIndexUpdate",
    "ACCOUNT_CONFIG_UPDATE",
    "TRADE_LITE",
    "STRATEGY_UPDATE",
    "GRID_UPDATE",
    "CONDITIONAL_ORDER_TRIGGER_REJECT",
};

static int unsupported(const char *event, cq_error *err) {
  for (size_t i = 0; i < sizeof futures_events / sizeof futures_events[0]; i++)
    if (strcmp(event, futures_events[i]) == 0)
      return cq_error_set(err, CQ_EUNSUPPORTED,
                          "binance: event '%s' is futures-only; cquant supports spot", event);
  return cq_error_set(err, CQ_EUNSUPPORTED, "binance: event '%.40s' is unknown to the spot codec",
                      event);
}

static int side_of(const char *s, const char *p, cq_side *out, cq_error *err) {
  if (strcmp(s, "BUY") == 0)
    *out = CQ_SIDE_BUY;
  else if (strcmp(s, "SELL") == 0)
    *out = CQ_SIDE_SELL;
  else
    return cq__bn_perr(err, p, "side \"%.20s\" is neither BUY nor SELL", s);
  return 0;
}

static int trade(json_t *d, const char *b, bool agg, const cq_bn_symbols *syms, cq_bn_msg *m,
                 cq_error *err) {
  char native[CQ_SYMBOL_MAX];
  cq_trade *t = &m->ev.u.trade;
  bool buyer_maker = false;
  int rc = cq__bn_str(d, b, "s", native, sizeof native, err);
  if (rc == 0) rc = cq__bn_id(d, b, agg ? "a" : "t", t->id, sizeof t->id, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "p", &t->price, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "q", &t->qty, err);
  if (rc == 0) rc = cq__bn_time(d, b, "T", &t->time, err);
  if (rc == 0) rc = cq__bn_bool(d, b, "m", &buyer_maker, err);
  if (rc < 0) return rc;
  t->taker_side = buyer_maker ? CQ_SIDE_SELL : CQ_SIDE_BUY;
  cq__bn_unify(syms, native, m->ev.symbol);
  m->kind = agg ? CQ_BN_MSG_AGG_TRADE : CQ_BN_MSG_TRADE;
  m->ev.kind = CQ_VEV_TRADE;
  m->has_event = true;
  return 0;
}

static int book_ticker(json_t *d, const char *b, const cq_bn_symbols *syms, cq_bn_msg *m,
                       cq_error *err) {
  char native[CQ_SYMBOL_MAX];
  cq_quote *q = &m->ev.u.quote;
  int64_t u = 0;
  int rc = cq__bn_str(d, b, "s", native, sizeof native, err);
  if (rc == 0) rc = cq__bn_i64(d, b, "u", &u, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "b", &q->bid, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "B", &q->bid_qty, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "a", &q->ask, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "A", &q->ask_qty, err);
  if (rc < 0) return rc;
  q->update_id = (uint64_t)u;
  cq__bn_unify(syms, native, m->ev.symbol);
  m->kind = CQ_BN_MSG_BOOK_TICKER;
  m->ev.kind = CQ_VEV_QUOTE;
  m->has_event = true;
  return 0;
}

static int kline(json_t *d, const char *b, const cq_bn_symbols *syms, cq_bn_msg *m, cq_error *err) {
  char native[CQ_SYMBOL_MAX], kp[CQ__BN_PATH_MAX], iv[8];
  cq_candle *c = &m->ev.u.kline.candle;
  cq_dec o = CQ_DEC(0, 0), h = o, l = o, cl = o, v = o, q = o; /* set below; zero if not */
  cq__bn_path(kp, b, "k");
  json_t *k = json_object_get(d, "k");
  int rc = cq__bn_str(d, b, "s", native, sizeof native, err);
  if (rc == 0) rc = cq__bn_obj(k, kp, err);
  if (rc == 0) rc = cq__bn_time(k, kp, "t", &c->open_time, err);
  if (rc == 0) rc = cq__bn_str(k, kp, "i", iv, sizeof iv, err);
  if (rc == 0 && cq_bn_interval_parse(iv, &m->ev.u.kline.tf, NULL) < 0) {
    char ip[CQ__BN_PATH_MAX];
    cq__bn_path(ip, kp, "i");
    rc = cq__bn_perr(err, ip, "unknown interval \"%s\"", iv);
  }
  if (rc == 0) rc = cq__bn_dec(k, kp, "o", &o, err);
  if (rc == 0) rc = cq__bn_dec(k, kp, "h", &h, err);
  if (rc == 0) rc = cq__bn_dec(k, kp, "l", &l, err);
  if (rc == 0) rc = cq__bn_dec(k, kp, "c", &cl, err);
  if (rc == 0) rc = cq__bn_dec(k, kp, "v", &v, err);
  if (rc == 0) rc = cq__bn_dec(k, kp, "q", &q, err);
  if (rc == 0) rc = cq__bn_i64(k, kp, "n", &c->trades, err);
  if (rc == 0) rc = cq__bn_bool(k, kp, "x", &c->closed, err);
  if (rc < 0) return rc;
  c->open = cq_dec_to_double(o);
  c->high = cq_dec_to_double(h);
  c->low = cq_dec_to_double(l);
  c->close = cq_dec_to_double(cl);
  c->volume = cq_dec_to_double(v);
  c->quote_volume = cq_dec_to_double(q);
  cq__bn_unify(syms, native, m->ev.symbol);
  m->kind = CQ_BN_MSG_KLINE;
  m->ev.kind = CQ_VEV_KLINE;
  m->has_event = true;
  return 0;
}

static int depth_side(json_t *a, const char *p, cq_side side, cq_bn_depth_diff *dd, cq_error *err) {
  int rc = cq__bn_arr(a, p, err);
  if (rc < 0) return rc;
  size_t i;
  json_t *lv;
  json_array_foreach(a, i, lv) {
    char q[CQ__BN_PATH_MAX], r[CQ__BN_PATH_MAX];
    cq_dec px = CQ_DEC(0, 0), qty = CQ_DEC(0, 0);
    cq__bn_pathi(q, p, i);
    rc = cq__bn_arr(lv, q, err);
    if (rc == 0 && json_array_size(lv) < 2) rc = cq__bn_perr(err, q, "a level needs [price, qty]");
    cq__bn_pathi(r, q, 0);
    if (rc == 0) rc = cq__bn_dec_v(json_array_get(lv, 0), r, &px, err);
    cq__bn_pathi(r, q, 1);
    if (rc == 0) rc = cq__bn_dec_v(json_array_get(lv, 1), r, &qty, err);
    if (rc == 0 && (px.m <= 0 || qty.m < 0))
      rc = cq__bn_perr(err, q, "price must be > 0 and qty >= 0");
    if (rc == 0) rc = cq_bn_depth_diff_push(dd, side, px, qty, err);
    if (rc < 0) return rc;
  }
  return 0;
}

static int depth(json_t *d, const char *b, const cq_bn_symbols *syms, cq_bn_msg *m, cq_error *err) {
  cq_bn_depth_diff *dd = &m->depth;
  int64_t U = 0, u = 0, pu = 0;
  char bp[CQ__BN_PATH_MAX], ap[CQ__BN_PATH_MAX];
  dd->nbids = dd->nasks = 0;
  int rc = cq__bn_str(d, b, "s", dd->symbol, sizeof dd->symbol, err);
  if (rc == 0) rc = cq__bn_time(d, b, "E", &dd->event_time, err);
  if (rc == 0) rc = cq__bn_i64(d, b, "U", &U, err);
  if (rc == 0) rc = cq__bn_i64(d, b, "u", &u, err);
  if (rc == 0) rc = cq__bn_i64_opt(d, b, "pu", &pu, err);
  if (rc == 0 && (U < 0 || u < U))
    rc = cq__bn_perr(err, b, "update ids U %lld > u %lld", (long long)U, (long long)u);
  cq__bn_path(bp, b, "b");
  cq__bn_path(ap, b, "a");
  if (rc == 0) rc = depth_side(json_object_get(d, "b"), bp, CQ_SIDE_BUY, dd, err);
  if (rc == 0) rc = depth_side(json_object_get(d, "a"), ap, CQ_SIDE_SELL, dd, err);
  if (rc < 0) return rc;
  dd->first_id = (uint64_t)U;
  dd->final_id = (uint64_t)u;
  dd->has_prev = json_object_get(d, "pu") != NULL;
  dd->prev_id = pu < 0 ? 0 : (uint64_t)pu;
  cq__bn_unify(syms, dd->symbol, m->ev.symbol);
  m->kind = CQ_BN_MSG_DEPTH;
  return 0;
}

static int ticker(json_t *d, const char *b, const cq_bn_symbols *syms, cq_bn_msg *m,
                  cq_error *err) {
  char native[CQ_SYMBOL_MAX];
  cq_ticker *t = &m->ev.u.ticker;
  t->trades = -1;
  int rc = cq__bn_str(d, b, "s", native, sizeof native, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "c", &t->last, err);
  if (rc == 0) rc = cq__bn_dec_opt(d, b, "Q", &t->last_qty, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "o", &t->open, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "h", &t->high, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "l", &t->low, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "v", &t->volume, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "q", &t->quote_volume, err);
  if (rc == 0) rc = cq__bn_dec_opt(d, b, "p", &t->change, err);
  if (rc == 0) rc = cq__bn_dec_opt(d, b, "P", &t->change_pct, err);
  if (rc == 0) rc = cq__bn_dec_opt(d, b, "w", &t->vwap, err);
  /* Spot adds the best bid / ask; futures leaves them out. */
  if (rc == 0) rc = cq__bn_dec_opt(d, b, "b", &t->bid, err);
  if (rc == 0) rc = cq__bn_dec_opt(d, b, "B", &t->bid_qty, err);
  if (rc == 0) rc = cq__bn_dec_opt(d, b, "a", &t->ask, err);
  if (rc == 0) rc = cq__bn_dec_opt(d, b, "A", &t->ask_qty, err);
  if (rc == 0) rc = cq__bn_time(d, b, "O", &t->open_time, err);
  if (rc == 0) rc = cq__bn_time(d, b, "C", &t->close_time, err);
  if (rc == 0) rc = cq__bn_i64_opt(d, b, "n", &t->trades, err);
  if (rc < 0) return rc;
  cq__bn_unify(syms, native, m->ev.symbol);
  m->kind = CQ_BN_MSG_TICKER;
  m->ev.kind = CQ_VEV_TICKER;
  m->has_event = true;
  return 0;
}

static int execution(json_t *d, const char *b, const cq_bn_symbols *syms, cq_bn_msg *m,
                     cq_error *err) {
  char native[CQ_SYMBOL_MAX], buf[32], exec[32], p[CQ__BN_PATH_MAX], orig[CQ_CLIENT_ID_MAX];
  cq_venue_order *o = &m->ev.u.order.order;
  cq_venue_fill *f = &m->ev.u.order.fill;
  int rc = cq__bn_str(d, b, "s", native, sizeof native, err);
  if (rc == 0) rc = cq__bn_str(d, b, "c", o->client_id, sizeof o->client_id, err);
  orig[0] = '\0';
  if (rc == 0) rc = cq__bn_str_opt(d, b, "C", orig, sizeof orig, err);
  if (rc == 0) rc = cq__bn_id(d, b, "i", o->venue_id, sizeof o->venue_id, err);
  if (rc == 0) rc = cq__bn_str(d, b, "S", buf, sizeof buf, err);
  if (rc == 0) {
    cq__bn_path(p, b, "S");
    rc = side_of(buf, p, &o->side, err);
  }
  if (rc == 0) rc = cq__bn_str(d, b, "f", buf, sizeof buf, err);
  if (rc == 0) {
    cq__bn_path(p, b, "f");
    if (strcmp(buf, "GTC") == 0)
      o->tif = CQ_TIF_GTC;
    else if (strcmp(buf, "IOC") == 0)
      o->tif = CQ_TIF_IOC;
    else if (strcmp(buf, "FOK") == 0)
      o->tif = CQ_TIF_FOK;
    else
      rc = cq__bn_perr(err, p, "timeInForce \"%s\" is not GTC, IOC or FOK", buf);
  }
  if (rc == 0) rc = cq__bn_str(d, b, "o", buf, sizeof buf, err);
  if (rc == 0 && cq_bn_order_type(buf, &o->type, &o->tif, NULL) < 0) {
    cq__bn_path(p, b, "o");
    rc = cq__bn_perr(err, p, "unknown order type \"%s\"", buf);
  }
  if (rc == 0) rc = cq__bn_str(d, b, "X", buf, sizeof buf, err);
  if (rc == 0 && cq_bn_order_status(buf, &o->state, NULL) < 0) {
    cq__bn_path(p, b, "X");
    rc = cq__bn_perr(err, p, "unknown order status \"%s\"", buf);
  }
  if (rc == 0) rc = cq__bn_str(d, b, "x", exec, sizeof exec, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "q", &o->qty, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "p", &o->price, err);
  if (rc == 0) rc = cq__bn_dec_opt(d, b, "P", &o->stop, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "z", &o->filled, err);
  if (rc == 0) rc = cq__bn_dec_opt(d, b, "Z", &o->filled_quote, err);
  if (rc == 0) rc = cq__bn_time(d, b, "O", &o->created, err);
  if (rc == 0) rc = cq__bn_time(d, b, "T", &o->updated, err);
  /* Why it ended: the reject reason, else the expiry reason. */
  if (rc == 0) rc = cq__bn_str_opt(d, b, "r", o->reason, sizeof o->reason, err);
  if (rc == 0 && strcmp(o->reason, "NONE") == 0) o->reason[0] = '\0';
  if (rc == 0 && !o->reason[0]) rc = cq__bn_str_opt(d, b, "eR", o->reason, sizeof o->reason, err);
  if (rc < 0) return rc;
  /* A cancel reports under the cancel request's id; the order's own is in C. */
  if (o->state == CQ_OS_CANCELLED && orig[0]) memcpy(o->client_id, orig, sizeof orig);
  cq__bn_unify(syms, native, o->symbol);
  memcpy(m->ev.symbol, o->symbol, sizeof o->symbol);
  m->ev.u.order.has_fill = strcmp(exec, "TRADE") == 0;
  if (m->ev.u.order.has_fill) {
    bool maker = false;
    rc = cq__bn_id(d, b, "t", f->trade_id, sizeof f->trade_id, err);
    if (rc == 0) rc = cq__bn_dec(d, b, "L", &f->price, err);
    if (rc == 0) rc = cq__bn_dec(d, b, "l", &f->qty, err);
    if (rc == 0) rc = cq__bn_dec(d, b, "n", &f->fee, err);
    if (rc == 0) rc = cq__bn_str_opt(d, b, "N", f->fee_asset, sizeof f->fee_asset, err);
    if (rc == 0) rc = cq__bn_bool(d, b, "m", &maker, err);
    if (rc < 0) return rc;
    memcpy(f->symbol, o->symbol, sizeof f->symbol);
    memcpy(f->client_id, o->client_id, sizeof f->client_id);
    memcpy(f->venue_order_id, o->venue_id, sizeof f->venue_order_id);
    f->side = o->side;
    f->liquidity = maker ? CQ_LIQ_MAKER : CQ_LIQ_TAKER;
    f->time = o->updated;
  }
  m->kind = CQ_BN_MSG_EXECUTION;
  m->ev.kind = CQ_VEV_ORDER;
  m->has_event = true;
  return 0;
}

static int account(json_t *d, const char *b, cq_bn_msg *m, cq_error *err) {
  char p[CQ__BN_PATH_MAX];
  cq__bn_path(p, b, "B");
  json_t *a = json_object_get(d, "B");
  int rc = cq__bn_arr(a, p, err);
  if (rc < 0) return rc;
  size_t n = json_array_size(a);
  if (n > CQ_BN_MAX_BALANCES)
    return cq__bn_perr(err, p, "%zu balances is over %d", n, CQ_BN_MAX_BALANCES);
  if (n > m->cap_balances) {
    cq_balance *nb = realloc(m->balances, n * sizeof *nb);
    if (!nb) return cq_error_set(err, CQ_ENOMEM, "binance: account position: out of memory");
    m->balances = nb;
    m->cap_balances = n;
  }
  m->nbalances = 0;
  size_t i;
  json_t *o;
  json_array_foreach(a, i, o) {
    char q[CQ__BN_PATH_MAX];
    cq__bn_pathi(q, p, i);
    cq_balance *x = &m->balances[i];
    memset(x, 0, sizeof *x);
    rc = cq__bn_obj(o, q, err);
    if (rc == 0) rc = cq__bn_str(o, q, "a", x->asset, sizeof x->asset, err);
    if (rc == 0) rc = cq__bn_dec(o, q, "f", &x->free, err);
    if (rc == 0) rc = cq__bn_dec(o, q, "l", &x->locked, err);
    if (rc < 0) return rc;
  }
  m->nbalances = n;
  m->kind = CQ_BN_MSG_ACCOUNT;
  /* One balance event per asset is the adapter's to emit: ev holds the first. */
  if (n) {
    m->ev.kind = CQ_VEV_BALANCE;
    m->ev.u.balance = m->balances[0];
    m->has_event = true;
  }
  return 0;
}

static int balance_update(json_t *d, const char *b, cq_bn_msg *m, cq_error *err) {
  int rc = cq__bn_str(d, b, "a", m->balance_update.asset, sizeof m->balance_update.asset, err);
  if (rc == 0) rc = cq__bn_dec(d, b, "d", &m->balance_update.delta, err);
  if (rc == 0) rc = cq__bn_time(d, b, "T", &m->balance_update.time, err);
  if (rc < 0) return rc;
  /* A delta (deposit, withdrawal, transfer) is not a balance: no event. The position
   * event that follows it carries the new balance. */
  m->kind = CQ_BN_MSG_BALANCE_UPDATE;
  return 0;
}

static int list_status(json_t *d, const char *b, const cq_bn_symbols *syms, cq_bn_msg *m,
                       cq_error *err) {
  char native[CQ_SYMBOL_MAX], p[CQ__BN_PATH_MAX];
  int rc = cq__bn_str(d, b, "s", native, sizeof native, err);
  if (rc == 0) rc = cq__bn_i64(d, b, "g", &m->list.list_id, err);
  if (rc == 0) rc = cq__bn_str(d, b, "c", m->list.contingency, sizeof m->list.contingency, err);
  if (rc == 0) rc = cq__bn_str(d, b, "l", m->list.status, sizeof m->list.status, err);
  if (rc == 0) rc = cq__bn_str(d, b, "L", m->list.order_status, sizeof m->list.order_status, err);
  if (rc == 0) rc = cq__bn_str(d, b, "C", m->list.client_id, sizeof m->list.client_id, err);
  if (rc == 0) rc = cq__bn_time(d, b, "T", &m->list.time, err);
  cq__bn_path(p, b, "O");
  json_t *os = json_object_get(d, "O");
  if (rc == 0) rc = cq__bn_arr(os, p, err);
  if (rc < 0) return rc;
  cq__bn_unify(syms, native, m->list.symbol);
  memcpy(m->ev.symbol, m->list.symbol, sizeof m->list.symbol);
  m->list.norders = json_array_size(os);
  /* The list's orders each send their own executionReport: the list adds no event. */
  m->kind = CQ_BN_MSG_LIST_STATUS;
  return 0;
}

static int dispatch(json_t *d, const char *b, const cq_bn_symbols *syms, cq_bn_msg *m,
                    cq_error *err) {
  int rc = cq__bn_obj(d, b, err);
  if (rc < 0) return rc;
  json_t *e = json_object_get(d, "e");
  if (!e) {
    /* Two spot messages carry no event name: a reply to a request, and the bookTicker. */
    if (json_object_get(d, "result") && json_object_get(d, "id")) {
      m->kind = CQ_BN_MSG_RESULT;
      return cq__bn_i64(d, b, "id", &m->request_id, err);
    }
    if (json_object_get(d, "u") && json_object_get(d, "b") && json_object_get(d, "A")) {
      cq_strlcpy(m->event, "bookTicker", sizeof m->event);
      return book_ticker(d, b, syms, m, err);
    }
    if (json_object_get(d, "code") && json_object_get(d, "msg")) {
      json_t *c = json_object_get(d, "code"), *ms = json_object_get(d, "msg");
      return cq_error_set(err, CQ_EREJECTED, "binance: stream error %lld: %.200s",
                          json_is_integer(c) ? (long long)json_integer_value(c) : 0LL,
                          json_is_string(ms) ? json_string_value(ms) : "");
    }
    char p[CQ__BN_PATH_MAX];
    cq__bn_path(p, b, "e");
    return cq__bn_perr(err, p, "missing (expected the event name)");
  }
  rc = cq__bn_str(d, b, "e", m->event, sizeof m->event, err);
  if (rc < 0) return rc;
  int64_t et = 0;
  rc = cq__bn_i64_opt(d, b, "E", &et, err);
  if (rc == 0) rc = cq__bn_ms_to_time(et, b, &m->ev.event_time, err);
  if (rc < 0) return rc;
  const char *ev = m->event;
  if (strcmp(ev, "trade") == 0) return trade(d, b, false, syms, m, err);
  if (strcmp(ev, "aggTrade") == 0) return trade(d, b, true, syms, m, err);
  if (strcmp(ev, "bookTicker") == 0) return book_ticker(d, b, syms, m, err);
  if (strcmp(ev, "kline") == 0) return kline(d, b, syms, m, err);
  if (strcmp(ev, "depthUpdate") == 0) return depth(d, b, syms, m, err);
  if (strcmp(ev, "24hrTicker") == 0) return ticker(d, b, syms, m, err);
  if (strcmp(ev, "executionReport") == 0) return execution(d, b, syms, m, err);
  if (strcmp(ev, "outboundAccountPosition") == 0) return account(d, b, m, err);
  if (strcmp(ev, "balanceUpdate") == 0) return balance_update(d, b, m, err);
  if (strcmp(ev, "listStatus") == 0) return list_status(d, b, syms, m, err);
  if (strcmp(ev, "listenKeyExpired") == 0 || strcmp(ev, "eventStreamTerminated") == 0 ||
      strcmp(ev, "serverShutdown") == 0) {
    m->kind = CQ_BN_MSG_STREAM_END;
    return 0;
  }
  return unsupported(ev, err);
}

int cq_bn_parse_stream(const char *s, size_t n, const cq_bn_symbols *syms, cq_time recv_time,
                       cq_bn_msg *out, cq_error *err) {
  if (!out) return cq_error_set(err, CQ_EINVAL, "binance: stream: out is NULL");
  json_t *j;
  int rc = cq__bn_load(s, n, &j, err);
  if (rc < 0) return rc;
  out->stream[0] = out->event[0] = '\0';
  out->has_event = false;
  memset(&out->ev, 0, sizeof out->ev);
  out->nbalances = 0;
  out->depth.nbids = out->depth.nasks = 0;
  cq_strlcpy(out->ev.venue, "binance", sizeof out->ev.venue);
  out->ev.recv_time = recv_time;
  rc = cq__bn_obj(j, "", err);
  json_t *d = j;
  const char *base = "";
  if (rc == 0 && json_object_get(j, "data") && json_object_get(j, "stream")) {
    rc = cq__bn_str(j, "", "stream", out->stream, sizeof out->stream, err);
    d = json_object_get(j, "data");
    base = "data";
  } else if (rc == 0 && json_object_get(j, "event") && json_object_get(j, "subscriptionId")) {
    d = json_object_get(j, "event");
    base = "event";
  }
  if (rc == 0) rc = dispatch(d, base, syms, out, err);
  json_decref(j);
  if (rc < 0) out->has_event = false;
  return rc;
}
