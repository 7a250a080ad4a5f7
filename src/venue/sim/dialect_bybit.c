/* The Bybit (API v5, spot) dialect: REST requests in Bybit's paths, parameters, envelopes
 * ({"retCode":0,"retMsg":"OK","result":{..},"retExtInfo":{},"time":..}), signing
 * (X-BAPI-API-KEY / -TIMESTAMP / -RECV-WINDOW / -SIGN) and error codes, answered from the
 * exchange core and the market. Bybit answers most errors with HTTP 200 and a retCode;
 * only an IP over its limit gets HTTP 403. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/net.h"
#include "internal.h"

#define KLINE_MAX 1000
#define TRADES_MAX 60
#define BOOK_MAX 200
#define RECV_WINDOW_DEFAULT 5000

/* ---- envelopes ------------------------------------------------------------------------- */

static void by_answer(vd_response *r, int status, int code, const char *msg, json_t *result,
                      int64_t now) {
  json_t *j = json_object();
  if (!j || !result) {
    json_decref(j);
    json_decref(result);
    vd_respond(r, 500, NULL);
    return;
  }
  json_object_set_new(j, "retCode", json_integer(code));
  json_object_set_new(j, "retMsg", json_string(msg));
  json_object_set_new(j, "result", result);
  json_object_set_new(j, "retExtInfo", json_object());
  json_object_set_new(j, "time", json_integer(now));
  vd_respond(r, status, j);
}

static void by_ok(vd_response *r, json_t *result, int64_t now) {
  by_answer(r, 200, 0, "OK", result, now);
}

static void by_err(vd_response *r, int code, const char *msg, int64_t now) {
  by_answer(r, 200, code, msg, json_object(), now);
}

/* ---- symbols and intervals ------------------------------------------------------------- */

int vd_bybit_sym(const vm_market *m, const char *native) {
  if (!native) return -1;
  for (size_t i = 0; i < m->nsyms; i++)
    if (!strcmp(m->syms[i].ins.native, native)) return (int)i;
  return -1;
}

bool vd_bybit_interval(const char *s, int64_t *len, int64_t *off) {
  static const struct {
    const char *name;
    int64_t ms;
  } t[] = {{"1", 60000},      {"3", 180000},     {"5", 300000},    {"15", 900000},
           {"30", 1800000},   {"60", 3600000},   {"120", 7200000}, {"240", 14400000},
           {"360", 21600000}, {"720", 43200000}, {"D", 86400000},  {"W", 604800000}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (!strcmp(s, t[i].name)) {
      *len = t[i].ms;
      *off = t[i].ms == 604800000 ? 4 * INT64_C(86400000) : 0; /* weeks open on Monday */
      return true;
    }
  return false;
}

/* ---- requests ---------------------------------------------------------------------------- */

typedef struct req_ctx {
  vd_binance *b;
  const vd_request *req;
  vd_response *resp;
  int64_t now;
  int account;
  json_t *body;
} req_ctx;

static const char *param(const req_ctx *c, const char *key, char *buf, size_t n) {
  if (c->body) {
    json_t *v = json_object_get(c->body, key);
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) >= n) return NULL;
    snprintf(buf, n, "%s", s);
    return buf;
  }
  const char *v = cq_query_get(c->req->query, key, buf, n);
  return v && *v ? v : NULL;
}

static int bad_param(req_ctx *c, const char *key) {
  char m[96];
  snprintf(m, sizeof m, "params error: %s invalid", key);
  by_err(c->resp, 10001, m, c->now);
  return -1;
}

static int missing(req_ctx *c, const char *key) {
  char m[96];
  snprintf(m, sizeof m, "params error: %s is required", key);
  by_err(c->resp, 10001, m, c->now);
  return -1;
}

static int int_param(req_ctx *c, const char *key, int64_t dflt, int64_t *out) {
  char buf[32];
  *out = dflt;
  if (!param(c, key, buf, sizeof buf)) return 0;
  char *end = NULL;
  long long v = strtoll(buf, &end, 10);
  if (*end || v < 0) return bad_param(c, key);
  *out = v;
  return 1;
}

static int category(req_ctx *c) {
  char buf[16];
  if (!param(c, "category", buf, sizeof buf)) return missing(c, "category");
  if (strcmp(buf, "spot") != 0) { /* the simulator trades spot only */
    by_err(c->resp, 10001, "params error: category only support spot", c->now);
    return -1;
  }
  return 0;
}

static int symbol_param(req_ctx *c, bool required, int *sym) {
  char buf[48];
  *sym = -1;
  if (!param(c, "symbol", buf, sizeof buf)) return required ? missing(c, "symbol") : 0;
  *sym = vd_bybit_sym(c->b->mkt, buf);
  if (*sym < 0) {
    by_err(c->resp, 10001, "params error: Symbol Invalid", c->now);
    return -1;
  }
  return 1;
}

/* ---- authentication ----------------------------------------------------------------------- */

static int authenticate(req_ctx *c) {
  char key[128], sign[96], ts[32], rw[32];
  const vd_request *q = c->req;
  if (!vd_header(q, "X-BAPI-API-KEY", key, sizeof key) || !key[0]) {
    by_err(c->resp, 10003, "API key is invalid.", c->now);
    return -1;
  }
  if (!vd_header(q, "X-BAPI-TIMESTAMP", ts, sizeof ts) || !ts[0]) {
    by_err(c->resp, 10002, "invalid request, please check your timestamp", c->now);
    return -1;
  }
  if (!vd_header(q, "X-BAPI-SIGN", sign, sizeof sign) || !sign[0]) {
    by_err(c->resp, 10004, "error sign! missing X-BAPI-SIGN", c->now);
    return -1;
  }
  if (!vd_header(q, "X-BAPI-RECV-WINDOW", rw, sizeof rw)) snprintf(rw, sizeof rw, "%d", 5000);
  char *end = NULL;
  long long t = strtoll(ts, &end, 10);
  long long w = strtoll(rw, NULL, 10);
  if (*end || t <= 0) {
    by_err(c->resp, 10002, "invalid request, please check your timestamp", c->now);
    return -1;
  }
  if (w <= 0) w = RECV_WINDOW_DEFAULT;
  int acc = vx_account_by_key(c->b->ex, key);
  if (acc < 0) {
    by_err(c->resp, 10003, "API key is invalid.", c->now);
    return -1;
  }
  if (t > c->now + 1000 || c->now - t > w) {
    char m[200];
    snprintf(m, sizeof m,
             "invalid request, please check your server timestamp or recv_window param. "
             "req_timestamp[%lld],server_timestamp[%" PRId64 "],recv_window[%lld]",
             t, c->now, w);
    by_err(c->resp, 10002, m, c->now);
    return -1;
  }
  /* timestamp + key + recv window + (query of a GET | body of a POST) */
  const char *payload = !strcmp(q->method, "GET") ? q->query : q->body;
  size_t need = strlen(ts) + strlen(key) + strlen(rw) + strlen(payload) + 1;
  char *text = malloc(need);
  if (!text) {
    by_err(c->resp, 10016, "Internal server error.", c->now);
    return -1;
  }
  snprintf(text, need, "%s%s%s%s", ts, key, rw, payload);
  char want[65];
  vd_hmac_hex(c->b->ex->acc[acc].secret, text, strlen(text), want);
  free(text);
  for (char *p = sign; *p; p++)
    if (*p >= 'A' && *p <= 'F') *p = (char)(*p - 'A' + 'a');
  unsigned diff = strlen(sign) != strlen(want);
  for (size_t i = 0; sign[i] && want[i]; i++) diff |= (unsigned)(sign[i] ^ want[i]);
  if (diff) {
    by_err(c->resp, 10004, "error sign! please check your signature generation algorithm.", c->now);
    return -1;
  }
  c->account = acc;
  return 0;
}

/* ---- public --------------------------------------------------------------------------------- */

static json_t *str_i64(int64_t v) {
  char t[32];
  snprintf(t, sizeof t, "%" PRId64, v);
  return json_string(t);
}

static void h_time(req_ctx *c) {
  json_t *r = json_object();
  if (r) {
    json_object_set_new(r, "timeSecond", str_i64(c->now / 1000));
    char n[40];
    snprintf(n, sizeof n, "%" PRId64 "000000", c->now);
    json_object_set_new(r, "timeNano", json_string(n));
  }
  by_ok(c->resp, r, c->now);
}

static json_t *instrument(const vm_symbol *y) {
  const cq_instrument *i = &y->ins;
  json_t *o = json_object(), *lot = json_object(), *pf = json_object();
  if (!o || !lot || !pf) {
    json_decref(o);
    json_decref(lot);
    json_decref(pf);
    return NULL;
  }
  json_object_set_new(o, "symbol", json_string(i->native));
  json_object_set_new(o, "baseCoin", json_string(i->base));
  json_object_set_new(o, "quoteCoin", json_string(i->quote));
  json_object_set_new(o, "innovation", json_string("0"));
  json_object_set_new(o, "status", json_string("Trading"));
  json_object_set_new(o, "marginTrading", json_string("none"));
  json_object_set_new(lot, "basePrecision", vd_jdec(i->lot));
  json_object_set_new(lot, "quotePrecision", json_string("0.00000001"));
  json_object_set_new(lot, "minOrderQty", vd_jdec(i->min_qty));
  json_object_set_new(lot, "maxOrderQty", json_string("9000"));
  json_object_set_new(lot, "minOrderAmt", vd_jdec(i->min_notional));
  json_object_set_new(lot, "maxOrderAmt", json_string("9000000"));
  json_object_set_new(o, "lotSizeFilter", lot);
  json_object_set_new(pf, "tickSize", vd_jdec(i->tick));
  json_object_set_new(o, "priceFilter", pf);
  return o;
}

static void h_instruments(req_ctx *c) {
  if (category(c) < 0) return;
  int only;
  if (symbol_param(c, false, &only) < 0) return;
  json_t *r = json_object(), *l = json_array();
  for (size_t i = 0; l && i < c->b->mkt->nsyms; i++)
    if (only < 0 || (int)i == only) json_array_append_new(l, instrument(&c->b->mkt->syms[i]));
  if (r && l) {
    json_object_set_new(r, "category", json_string("spot"));
    json_object_set_new(r, "list", l);
    json_object_set_new(r, "nextPageCursor", json_string(""));
  } else {
    json_decref(l);
    json_decref(r);
    r = NULL;
  }
  by_ok(c->resp, r, c->now);
}

/* Rows [start,o,h,l,c,volume,turnover], newest first: start <= open <= end, at most limit. */
static void h_kline(req_ctx *c) {
  if (category(c) < 0) return;
  int s;
  if (symbol_param(c, true, &s) < 0) return;
  char iv[16];
  int64_t len, off;
  if (!param(c, "interval", iv, sizeof iv)) {
    missing(c, "interval");
    return;
  }
  if (!vd_bybit_interval(iv, &len, &off)) {
    bad_param(c, "interval");
    return;
  }
  int64_t start, end, limit;
  if (int_param(c, "start", 0, &start) < 0 || int_param(c, "end", 0, &end) < 0 ||
      int_param(c, "limit", 200, &limit) < 0)
    return;
  if (limit <= 0 || limit > KLINE_MAX) limit = limit <= 0 ? 200 : KLINE_MAX;
  if (start && end && end < start) {
    bad_param(c, "end");
    return;
  }
  int64_t top = vd_floor_off(c->now, len, off);
  if (end > 0 && vd_floor_off(end, len, off) < top) top = vd_floor_off(end, len, off);
  int64_t bottom = vd_floor_off(VM_EPOCH_MS, len, off); /* the first bar of the listing */
  if (bottom < VM_EPOCH_MS) bottom += len;
  if (start > bottom) bottom = start;
  const vm_symbol *y = &c->b->mkt->syms[s];
  json_t *l = json_array();
  int64_t n = 0;
  for (int64_t t = top; l && t >= bottom && n < limit; t -= len) {
    cq_candle k;
    vm_kx kx;
    if (!vm_candle_x(c->b->mkt, s, t, len, c->now, &k, &kx)) continue; /* the venue's gap */
    json_t *row = json_array();
    if (!row) break;
    json_array_append_new(row, str_i64(t));
    vd_kline_row(row, y, &k, &kx);
    json_array_append_new(l, row);
    n++;
  }
  json_t *r = json_object();
  if (r && l) {
    json_object_set_new(r, "category", json_string("spot"));
    json_object_set_new(r, "symbol", json_string(y->ins.native));
    json_object_set_new(r, "list", l);
  } else {
    json_decref(l);
    json_decref(r);
    r = NULL;
  }
  by_ok(c->resp, r, c->now);
}

static void h_trades(req_ctx *c) {
  if (category(c) < 0) return;
  int s;
  if (symbol_param(c, true, &s) < 0) return;
  int64_t limit;
  if (int_param(c, "limit", TRADES_MAX, &limit) < 0) return;
  if (limit <= 0 || limit > TRADES_MAX) limit = TRADES_MAX;
  vm_trade t[TRADES_MAX];
  size_t n = vm_trades_recent(c->b->mkt, s, c->now, t, (size_t)limit);
  const vm_symbol *y = &c->b->mkt->syms[s];
  json_t *l = json_array();
  for (size_t i = n; l && i-- > 0;) { /* newest first */
    json_t *o = json_object();
    if (!o) break;
    json_object_set_new(o, "execId", str_i64(t[i].id));
    json_object_set_new(o, "symbol", json_string(y->ins.native));
    json_object_set_new(o, "price", vd_jtrade(y, &t[i], VD_TRADE_PRICE, false));
    json_object_set_new(o, "size", vd_jtrade(y, &t[i], VD_TRADE_QTY, false));
    json_object_set_new(o, "side", json_string(t[i].buyer_maker ? "Sell" : "Buy"));
    json_object_set_new(o, "time", str_i64(t[i].time_ms));
    json_object_set_new(o, "isBlockTrade", json_false());
    json_array_append_new(l, o);
  }
  json_t *r = json_object();
  if (r && l) {
    json_object_set_new(r, "category", json_string("spot"));
    json_object_set_new(r, "list", l);
  } else {
    json_decref(l);
    json_decref(r);
    r = NULL;
  }
  by_ok(c->resp, r, c->now);
}

json_t *vd_bybit_levels(const vm_symbol *y, const vm_level *lv, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < n; i++) {
    json_t *row = json_array();
    if (!row) break;
    json_array_append_new(row, vd_jstep(lv[i].price, y->ins.tick));
    json_array_append_new(row, vd_jstep(lv[i].qty, y->ins.lot));
    json_array_append_new(a, row);
  }
  return a;
}

static void h_orderbook(req_ctx *c) {
  if (category(c) < 0) return;
  int s;
  if (symbol_param(c, true, &s) < 0) return;
  int64_t limit;
  if (int_param(c, "limit", 1, &limit) < 0) return;
  if (limit <= 0 || limit > BOOK_MAX) {
    bad_param(c, "limit");
    return;
  }
  size_t n = (size_t)limit;
  vm_level bids[VM_BOOK_LEVELS], asks[VM_BOOK_LEVELS];
  int64_t step = c->now / VM_BOOK_STEP_MS;
  vm_book(c->b->mkt, s, step, bids, asks, n);
  vx_add_resting(c->b->ex, s, bids, asks, n);
  const vm_symbol *y = &c->b->mkt->syms[s];
  json_t *r = json_object();
  if (r) {
    json_object_set_new(r, "s", json_string(y->ins.native));
    json_object_set_new(r, "b", vd_bybit_levels(y, bids, n));
    json_object_set_new(r, "a", vd_bybit_levels(y, asks, n));
    json_object_set_new(r, "ts", json_integer(c->now));
    json_object_set_new(r, "u", json_integer(step));
    json_object_set_new(r, "seq", json_integer(step));
    json_object_set_new(r, "cts", json_integer(c->now));
  }
  by_ok(c->resp, r, c->now);
}

static json_t *ticker(vd_binance *b, int s, int64_t now) {
  const vm_market *m = b->mkt;
  const vm_symbol *y = &m->syms[s];
  cq_candle k;
  if (!vm_candle(m, s, now - 86400000, 86400000, now, &k)) memset(&k, 0, sizeof k);
  vm_level bid, ask;
  vm_book(m, s, now / VM_BOOK_STEP_MS, &bid, &ask, 1);
  vx_add_resting(b->ex, s, &bid, &ask, 1);
  vm_trade last[1];
  size_t nl = vm_trades_recent(m, s, now, last, 1);
  double lp = nl ? last[0].price : vm_price(m, s, now);
  json_t *o = json_object();
  if (!o) return NULL;
  char pct[32];
  snprintf(pct, sizeof pct, "%.4f", k.open > 0 ? (lp - k.open) / k.open : 0.0);
  json_object_set_new(o, "symbol", json_string(y->ins.native));
  json_object_set_new(o, "bid1Price", vd_jstep(bid.price, y->ins.tick));
  json_object_set_new(o, "bid1Size", vd_jstep(bid.qty, y->ins.lot));
  json_object_set_new(o, "ask1Price", vd_jstep(ask.price, y->ins.tick));
  json_object_set_new(o, "ask1Size", vd_jstep(ask.qty, y->ins.lot));
  json_object_set_new(o, "lastPrice", vd_jstep(lp, y->ins.tick));
  json_object_set_new(o, "prevPrice24h", vd_jstep(k.open, y->ins.tick));
  json_object_set_new(o, "price24hPcnt", json_string(pct));
  json_object_set_new(o, "highPrice24h", vd_jstep(k.high, y->ins.tick));
  json_object_set_new(o, "lowPrice24h", vd_jstep(k.low, y->ins.tick));
  json_object_set_new(o, "turnover24h", vd_jnum(k.quote_volume));
  json_object_set_new(o, "volume24h", vd_jstep(k.volume, y->ins.lot));
  json_object_set_new(o, "usdIndexPrice", json_string(""));
  return o;
}

static void h_tickers(req_ctx *c) {
  if (category(c) < 0) return;
  int s;
  if (symbol_param(c, false, &s) < 0) return;
  json_t *r = json_object(), *l = json_array();
  for (size_t i = 0; l && i < c->b->mkt->nsyms; i++)
    if (s < 0 || (int)i == s) json_array_append_new(l, ticker(c->b, (int)i, c->now));
  if (r && l) {
    json_object_set_new(r, "category", json_string("spot"));
    json_object_set_new(r, "list", l);
  } else {
    json_decref(l);
    json_decref(r);
    r = NULL;
  }
  by_ok(c->resp, r, c->now);
}

/* ---- orders ---------------------------------------------------------------------------------- */

static const char *status_name(const vx_order *o) {
  switch (o->state) {
    case CQ_OS_PARTIAL:
      return "PartiallyFilled";
    case CQ_OS_FILLED:
      return "Filled";
    case CQ_OS_CANCELLED:
    case CQ_OS_EXPIRED:
      return cq_dec_is_zero(o->filled) ? "Cancelled" : "PartiallyFilledCanceled";
    case CQ_OS_REJECTED:
      return "Rejected";
    default:
      return (o->type == CQ_ORDER_STOP || o->type == CQ_ORDER_STOP_LIMIT) && !o->triggered
                 ? "Untriggered"
                 : "New";
  }
}

static const char *tif_name(cq_tif t) {
  return t == CQ_TIF_IOC         ? "IOC"
         : t == CQ_TIF_FOK       ? "FOK"
         : t == CQ_TIF_POST_ONLY ? "PostOnly"
                                 : "GTC";
}

json_t *vd_bybit_order_obj(const vm_market *m, const vx_order *o) {
  json_t *j = json_object();
  if (!j) return NULL;
  bool stop = o->type == CQ_ORDER_STOP || o->type == CQ_ORDER_STOP_LIMIT;
  bool market = o->type == CQ_ORDER_MARKET || o->type == CQ_ORDER_STOP;
  double filled = cq_dec_to_double(o->filled);
  cq_dec leaves = CQ_DEC(0, 0);
  bool open = o->state == CQ_OS_ACCEPTED || o->state == CQ_OS_PARTIAL || o->state == CQ_OS_NEW ||
              o->state == CQ_OS_SUBMITTED;
  if (open && cq_dec_add(o->qty, CQ_DEC(-o->filled.m, o->filled.scale), &leaves, NULL))
    leaves = CQ_DEC(0, 0);
  json_object_set_new(j, "orderId", str_i64(o->id));
  json_object_set_new(j, "orderLinkId", json_string(o->client_id));
  json_object_set_new(j, "blockTradeId", json_string(""));
  json_object_set_new(j, "symbol", json_string(m->syms[o->sym].ins.native));
  json_object_set_new(j, "price", market ? json_string("0") : vd_jdec(o->price));
  json_object_set_new(j, "qty", vd_jdec(o->qty));
  json_object_set_new(j, "side", json_string(o->side == CQ_SIDE_SELL ? "Sell" : "Buy"));
  json_object_set_new(j, "isLeverage", json_string("0"));
  json_object_set_new(j, "positionIdx", json_integer(0));
  json_object_set_new(j, "orderStatus", json_string(status_name(o)));
  json_object_set_new(j, "cancelType", json_string(""));
  json_object_set_new(j, "rejectReason", json_string("EC_NoError"));
  json_object_set_new(j, "avgPrice",
                      filled > 0 ? vd_jnum(cq_dec_to_double(o->quote) / filled) : json_string(""));
  json_object_set_new(j, "leavesQty", vd_jdec(leaves));
  json_object_set_new(j, "leavesValue", json_string("0"));
  json_object_set_new(j, "cumExecQty", vd_jdec(o->filled));
  json_object_set_new(j, "cumExecValue", vd_jdec(o->quote));
  json_object_set_new(j, "cumExecFee", json_string("0"));
  json_object_set_new(j, "timeInForce", json_string(tif_name(o->tif)));
  json_object_set_new(j, "orderType", json_string(market ? "Market" : "Limit"));
  json_object_set_new(j, "stopOrderType", json_string(stop ? "StopOrder" : ""));
  json_object_set_new(j, "triggerPrice", stop ? vd_jdec(o->stop) : json_string("0"));
  json_object_set_new(j, "reduceOnly", json_false());
  json_object_set_new(j, "closeOnTrigger", json_false());
  json_object_set_new(j, "smpType", json_string("None"));
  json_object_set_new(j, "placeType", json_string(""));
  json_object_set_new(j, "createdTime", str_i64(o->time_ms));
  json_object_set_new(j, "updatedTime", str_i64(o->update_ms));
  return j;
}

static int reject_code(const vx_result *r) {
  switch (r->why) {
    case VX_BAD_SYMBOL:
      return 170121; /* invalid symbol */
    case VX_FILTER:
      return !strcmp(r->filter, "LOT_SIZE")   ? 170137  /* too many decimals */
             : !strcmp(r->filter, "NOTIONAL") ? 170140  /* order value below the minimum */
                                              : 170134; /* price decimals */
    case VX_INSUFFICIENT:
      return 170131;
    case VX_DUPLICATE:
      return 170141; /* duplicate clientOrderId */
    case VX_NO_ORDER:
      return 170213;
    case VX_WOULD_TAKE:
      return 170218; /* the post-only order would take */
    default:
      return 10001;
  }
}

static bool valid_cid(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 36) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '-' || *s == '_'))
      return false;
  return true;
}

static int dec_param(req_ctx *c, const char *key, cq_dec *out) {
  char buf[64];
  *out = CQ_DEC(0, 0);
  if (!param(c, key, buf, sizeof buf)) return 0;
  for (const char *p = buf; *p; p++)
    if (!((*p >= '0' && *p <= '9') || *p == '.')) return bad_param(c, key);
  if (cq_dec_parse_cstr(buf, out, NULL)) return bad_param(c, key);
  return 1;
}

static json_t *ack_result(const vx_order *o) {
  json_t *r = json_object();
  if (r) {
    json_object_set_new(r, "orderId", str_i64(o->id));
    json_object_set_new(r, "orderLinkId", json_string(o->client_id));
  }
  return r;
}

static void h_create(req_ctx *c) {
  if (category(c) < 0) return;
  vx_new_order r;
  memset(&r, 0, sizeof r);
  r.account = c->account;
  if (symbol_param(c, true, &r.sym) < 0) return;
  char side[8], type[16], tif[16], cid[48], unit[16], filt[16];
  if (!param(c, "side", side, sizeof side)) {
    missing(c, "side");
    return;
  }
  if (!strcmp(side, "Buy"))
    r.side = CQ_SIDE_BUY;
  else if (!strcmp(side, "Sell"))
    r.side = CQ_SIDE_SELL;
  else {
    bad_param(c, "side");
    return;
  }
  if (!param(c, "orderType", type, sizeof type)) {
    missing(c, "orderType");
    return;
  }
  bool market = !strcmp(type, "Market");
  if (!market && strcmp(type, "Limit") != 0) {
    bad_param(c, "orderType");
    return;
  }
  cq_dec trig;
  int ht = dec_param(c, "triggerPrice", &trig);
  if (ht < 0) return;
  bool stop = ht && param(c, "orderFilter", filt, sizeof filt) && !strcmp(filt, "StopOrder");
  r.type = market ? (stop ? CQ_ORDER_STOP : CQ_ORDER_MARKET)
                  : (stop ? CQ_ORDER_STOP_LIMIT : CQ_ORDER_LIMIT);
  if (stop) r.stop = trig;
  r.tif = market ? CQ_TIF_IOC : CQ_TIF_GTC;
  if (param(c, "timeInForce", tif, sizeof tif)) {
    if (!strcmp(tif, "GTC"))
      r.tif = CQ_TIF_GTC;
    else if (!strcmp(tif, "IOC"))
      r.tif = CQ_TIF_IOC;
    else if (!strcmp(tif, "FOK"))
      r.tif = CQ_TIF_FOK;
    else if (!strcmp(tif, "PostOnly"))
      r.tif = CQ_TIF_POST_ONLY;
    else {
      bad_param(c, "timeInForce");
      return;
    }
  }
  if (market) r.tif = CQ_TIF_GTC; /* the core's market orders take what there is */
  cq_dec qty;
  int hq = dec_param(c, "qty", &qty);
  if (hq < 0) return;
  if (!hq) {
    missing(c, "qty");
    return;
  }
  if (!market) {
    int hp = dec_param(c, "price", &r.price);
    if (hp < 0) return;
    if (!hp) {
      missing(c, "price");
      return;
    }
  }
  /* a spot market buy's qty is quote coin unless marketUnit says baseCoin */
  bool quote = market && r.side == CQ_SIDE_BUY;
  if (param(c, "marketUnit", unit, sizeof unit)) {
    if (!strcmp(unit, "baseCoin"))
      quote = false;
    else if (!strcmp(unit, "quoteCoin"))
      quote = market;
    else {
      bad_param(c, "marketUnit");
      return;
    }
  }
  if (quote && r.type == CQ_ORDER_MARKET)
    r.quote_qty = qty;
  else
    r.qty = qty;
  cid[0] = 0;
  if (param(c, "orderLinkId", cid, sizeof cid) && !valid_cid(cid)) {
    bad_param(c, "orderLinkId");
    return;
  }
  r.client_id = cid;
  vx_order o;
  vx_fill fills[64];
  size_t nf = 0;
  vx_result res;
  if (vx_place(c->b->ex, &r, c->now, &o, fills, 64, &nf, &res)) {
    if (c->b->counters) c->b->counters->orders_rejected++;
    by_err(c->resp, reject_code(&res), res.msg[0] ? res.msg : "Order rejected", c->now);
    return;
  }
  if (c->b->counters) c->b->counters->orders_created++;
  by_ok(c->resp, ack_result(&o), c->now);
}

static int order_ref(req_ctx *c, int64_t *id, char *cid, size_t n) {
  char buf[48];
  *id = 0;
  cid[0] = 0;
  if (param(c, "orderId", buf, sizeof buf)) {
    char *end = NULL;
    long long v = strtoll(buf, &end, 10);
    if (*end || v <= 0) { /* an id the simulator never gave: no such order */
      *id = -1;
      return 0;
    }
    *id = v;
  }
  if (param(c, "orderLinkId", cid, n) && !valid_cid(cid)) return bad_param(c, "orderLinkId");
  return 0;
}

static void h_cancel(req_ctx *c) {
  if (category(c) < 0) return;
  int s;
  if (symbol_param(c, true, &s) < 0) return;
  int64_t id;
  char cid[48];
  if (order_ref(c, &id, cid, sizeof cid) < 0) return;
  if (!id && !cid[0]) {
    missing(c, "orderId or orderLinkId");
    return;
  }
  vx_order o;
  vx_result res;
  if (id < 0 || vx_cancel(c->b->ex, c->account, s, id, id ? NULL : cid, c->now, &o, &res)) {
    by_err(c->resp, 170213, "Order does not exist.", c->now);
    return;
  }
  by_ok(c->resp, ack_result(&o), c->now);
}

static void h_realtime(req_ctx *c) {
  if (category(c) < 0) return;
  int s;
  if (symbol_param(c, false, &s) < 0) return;
  int64_t id;
  char cid[48];
  if (order_ref(c, &id, cid, sizeof cid) < 0) return;
  json_t *l = json_array();
  if (id || cid[0]) { /* one order, whatever its state */
    vx_order o;
    vx_result res;
    bool found = false;
    for (size_t k = 0; !found && id >= 0 && k < c->b->mkt->nsyms; k++) {
      if (s >= 0 && (int)k != s) continue;
      found = !vx_query(c->b->ex, c->account, (int)k, id, id ? NULL : cid, &o, &res);
    }
    if (found && l) json_array_append_new(l, vd_bybit_order_obj(c->b->mkt, &o));
  } else {
    vx_order *v = NULL;
    size_t n = 0;
    if (vx_open_orders(c->b->ex, c->account, s, &v, &n, NULL)) {
      json_decref(l);
      by_err(c->resp, 10016, "Internal server error.", c->now);
      return;
    }
    for (size_t i = n; l && i-- > 0;) /* newest first */
      json_array_append_new(l, vd_bybit_order_obj(c->b->mkt, &v[i]));
    free(v);
  }
  json_t *r = json_object();
  if (r && l) {
    json_object_set_new(r, "list", l);
    json_object_set_new(r, "nextPageCursor", json_string(""));
    json_object_set_new(r, "category", json_string("spot"));
  } else {
    json_decref(l);
    json_decref(r);
    r = NULL;
  }
  by_ok(c->resp, r, c->now);
}

json_t *vd_bybit_coin(const vx_balance *b) {
  json_t *x = json_object();
  if (!x) return NULL;
  cq_dec total;
  if (cq_dec_add(b->free, b->locked, &total, NULL)) total = b->free;
  json_object_set_new(x, "coin", json_string(b->asset));
  json_object_set_new(x, "equity", vd_jdec(total));
  json_object_set_new(x, "walletBalance", vd_jdec(total));
  json_object_set_new(x, "locked", vd_jdec(b->locked));
  json_object_set_new(x, "free", vd_jdec(b->free));
  json_object_set_new(x, "availableToWithdraw", vd_jdec(b->free));
  json_object_set_new(x, "borrowAmount", json_string("0"));
  json_object_set_new(x, "usdValue", json_string(""));
  json_object_set_new(x, "unrealisedPnl", json_string("0"));
  json_object_set_new(x, "cumRealisedPnl", json_string("0"));
  return x;
}

static void h_wallet(req_ctx *c) {
  char type[24];
  if (!param(c, "accountType", type, sizeof type)) {
    missing(c, "accountType");
    return;
  }
  if (strcmp(type, "UNIFIED") != 0 && strcmp(type, "SPOT") != 0) {
    bad_param(c, "accountType");
    return;
  }
  vx_balance *v = NULL;
  size_t n = 0;
  int64_t upd = 0;
  if (vx_balances(c->b->ex, c->account, &v, &n, &upd, NULL)) {
    by_err(c->resp, 10016, "Internal server error.", c->now);
    return;
  }
  char want[256] = "";
  param(c, "coin", want, sizeof want);
  json_t *r = json_object(), *l = json_array(), *a = json_object(), *coins = json_array();
  if (!r || !l || !a || !coins) {
    json_decref(r);
    json_decref(l);
    json_decref(a);
    json_decref(coins);
    free(v);
    by_err(c->resp, 10016, "Internal server error.", c->now);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (want[0]) {
      bool hit = false;
      char tmp[256];
      snprintf(tmp, sizeof tmp, "%s", want);
      char *save = NULL;
      for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (!strcmp(t, v[i].asset)) hit = true;
      if (!hit) continue;
    }
    json_array_append_new(coins, vd_bybit_coin(&v[i]));
  }
  free(v);
  json_object_set_new(a, "accountType", json_string(type));
  json_object_set_new(a, "totalEquity", json_string(""));
  json_object_set_new(a, "coin", coins);
  json_array_append_new(l, a);
  json_object_set_new(r, "list", l);
  by_ok(c->resp, r, c->now);
}

static int cmp_order_desc(const void *a, const void *b) {
  const vx_order *x = a, *y = b;
  return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

/* Every order of the account on the symbols sel, newest first (malloc'd); -1 answered. */
static int orders_of(req_ctx *c, const bool *sel, vx_order **out, size_t *nout) {
  vx_order *all = NULL;
  size_t nall = 0;
  for (size_t i = 0; i < c->b->mkt->nsyms; i++) {
    if (!sel[i]) continue;
    vx_order *v = NULL;
    size_t n = 0;
    vx_order *w = NULL;
    if (vx_all_orders(c->b->ex, c->account, (int)i, 0, 0, 0, 1000, &v, &n, NULL) ||
        !(w = realloc(all, (nall + n + 1) * sizeof *w))) {
      free(v);
      free(all);
      by_err(c->resp, 10016, "Internal server error.", c->now);
      return -1;
    }
    all = w;
    if (n) memcpy(all + nall, v, n * sizeof *v);
    nall += n;
    free(v);
  }
  if (nall) qsort(all, nall, sizeof *all, cmp_order_desc);
  *out = all;
  *nout = nall;
  return 0;
}

static json_t *list_result(json_t *l) {
  json_t *r = json_object();
  if (r && l) {
    json_object_set_new(r, "list", l);
    json_object_set_new(r, "nextPageCursor", json_string(""));
    json_object_set_new(r, "category", json_string("spot"));
    return r;
  }
  json_decref(l);
  json_decref(r);
  return NULL;
}

/* order/history: the account's orders, any state, newest first; orderId / orderLinkId
 * narrow them. */
static void h_history(req_ctx *c) {
  if (category(c) < 0) return;
  int s;
  if (symbol_param(c, false, &s) < 0) return;
  int64_t id, limit;
  char cid[48];
  if (order_ref(c, &id, cid, sizeof cid) < 0) return;
  if (int_param(c, "limit", 20, &limit) < 0) return;
  if (limit <= 0 || limit > 50) limit = limit <= 0 ? 20 : 50;
  bool sel[VSIM_MAX_SYMBOLS];
  for (size_t i = 0; i < c->b->mkt->nsyms; i++) sel[i] = s < 0 || (int)i == s;
  vx_order *v = NULL;
  size_t n = 0;
  if (orders_of(c, sel, &v, &n) < 0) return;
  json_t *l = json_array();
  int64_t k = 0;
  for (size_t i = 0; l && i < n && k < limit; i++) {
    if (id && v[i].id != id) continue;
    if (cid[0] && strcmp(v[i].client_id, cid) != 0) continue;
    json_array_append_new(l, vd_bybit_order_obj(c->b->mkt, &v[i]));
    k++;
  }
  free(v);
  by_ok(c->resp, list_result(l), c->now);
}

static int cmp_trade_desc(const void *a, const void *b) {
  const vx_mytrade *x = a, *y = b;
  return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

/* execution/list: the account's fills, newest first; orderId / orderLinkId narrow them. */
static void h_executions(req_ctx *c) {
  if (category(c) < 0) return;
  int s;
  if (symbol_param(c, false, &s) < 0) return;
  int64_t id, limit, start, end;
  char cid[48];
  if (order_ref(c, &id, cid, sizeof cid) < 0) return;
  if (int_param(c, "limit", 50, &limit) < 0 || int_param(c, "startTime", 0, &start) < 0 ||
      int_param(c, "endTime", 0, &end) < 0)
    return;
  if (limit <= 0 || limit > 100) limit = limit <= 0 ? 50 : 100;
  vx_mytrade *all = NULL;
  size_t nall = 0;
  for (size_t i = 0; i < c->b->mkt->nsyms; i++) {
    if (s >= 0 && (int)i != s) continue;
    int64_t oid = id;
    if (!oid && cid[0]) { /* the order of that link id on this symbol */
      vx_order o;
      vx_result res;
      if (vx_query(c->b->ex, c->account, (int)i, 0, cid, &o, &res)) continue;
      oid = o.id;
    }
    vx_mytrade *v = NULL, *w = NULL;
    size_t n = 0;
    if (vx_my_trades(c->b->ex, c->account, (int)i, oid, -1, start, end, 1000, &v, &n, NULL) ||
        !(w = realloc(all, (nall + n + 1) * sizeof *w))) {
      free(v);
      free(all);
      by_err(c->resp, 10016, "Internal server error.", c->now);
      return;
    }
    all = w;
    if (n) memcpy(all + nall, v, n * sizeof *v);
    nall += n;
    free(v);
  }
  if (nall) qsort(all, nall, sizeof *all, cmp_trade_desc);
  json_t *l = json_array();
  for (size_t i = 0; l && i < nall && i < (size_t)limit; i++) {
    const vx_mytrade *t = &all[i];
    vx_order o;
    vx_result res;
    bool have = !vx_query(c->b->ex, c->account, t->sym, t->order_id, NULL, &o, &res);
    json_t *x = json_object();
    if (!x) break;
    cq_dec leaves = CQ_DEC(0, 0);
    bool market = have && (o.type == CQ_ORDER_MARKET || o.type == CQ_ORDER_STOP);
    if (have && cq_dec_add(o.qty, CQ_DEC(-o.filled.m, o.filled.scale), &leaves, NULL))
      leaves = CQ_DEC(0, 0);
    json_object_set_new(x, "symbol", json_string(c->b->mkt->syms[t->sym].ins.native));
    json_object_set_new(x, "orderId", str_i64(t->order_id));
    json_object_set_new(x, "orderLinkId", json_string(have ? o.client_id : ""));
    json_object_set_new(x, "side", json_string(t->side == CQ_SIDE_SELL ? "Sell" : "Buy"));
    json_object_set_new(x, "orderPrice", have && !market ? vd_jdec(o.price) : json_string("0"));
    json_object_set_new(x, "orderQty", have ? vd_jdec(o.qty) : json_string("0"));
    json_object_set_new(x, "leavesQty", vd_jdec(leaves));
    json_object_set_new(x, "orderType", json_string(market ? "Market" : "Limit"));
    json_object_set_new(x, "stopOrderType", json_string(""));
    json_object_set_new(x, "execFee", vd_jdec(t->f.fee));
    json_object_set_new(x, "feeCurrency", json_string(t->f.fee_asset));
    json_object_set_new(x, "execId", str_i64(t->f.trade_id));
    json_object_set_new(x, "execPrice", vd_jdec(t->f.price));
    json_object_set_new(x, "execQty", vd_jdec(t->f.qty));
    json_object_set_new(x, "execType", json_string("Trade"));
    json_object_set_new(x, "execValue", vd_jdec(t->f.quote));
    json_object_set_new(x, "execTime", str_i64(t->f.time_ms));
    json_object_set_new(x, "isMaker", json_boolean(t->f.maker));
    json_object_set_new(x, "feeRate", json_string(""));
    json_array_append_new(l, x);
  }
  free(all);
  by_ok(c->resp, list_result(l), c->now);
}

/* ---- routing ------------------------------------------------------------------------------- */

typedef struct route {
  const char *method, *path;
  bool auth, order;
  void (*fn)(req_ctx *c);
} route;

static const route routes[] = {
    {"GET", "/v5/market/time", false, false, h_time},
    {"GET", "/v5/market/instruments-info", false, false, h_instruments},
    {"GET", "/v5/market/kline", false, false, h_kline},
    {"GET", "/v5/market/recent-trade", false, false, h_trades},
    {"GET", "/v5/market/orderbook", false, false, h_orderbook},
    {"GET", "/v5/market/tickers", false, false, h_tickers},
    {"POST", "/v5/order/create", true, true, h_create},
    {"POST", "/v5/order/cancel", true, false, h_cancel},
    {"GET", "/v5/order/realtime", true, false, h_realtime},
    {"GET", "/v5/order/history", true, false, h_history},
    {"GET", "/v5/execution/list", true, false, h_executions},
    {"GET", "/v5/account/wallet-balance", true, false, h_wallet},
};

void vd_bybit_http(vd_binance *b, const vd_request *req, int64_t now, vd_response *resp) {
  memset(resp, 0, sizeof *resp);
  vd_request fixed = *req;
  if (!fixed.query) fixed.query = "";
  if (!fixed.body) fixed.body = "";
  req_ctx c = {.b = b, .req = &fixed, .resp = resp, .now = now, .account = -1};
  vd_count_path(b->counters, req->method, req->path);
  vf_verdict v;
  vf_on_request(b->faults, req->path, now, &v);
  resp->delay_ms = v.delay_ms;
  if (v.status == 418) { /* an IP over the limit: 403 and no body to speak of */
    resp->status = 403;
    resp->body = strdup("");
    resp->body_len = 0;
    if (b->counters) b->counters->banned++;
    return;
  }
  if (v.status == 429) {
    vd_add_header(resp, "X-Bapi-Limit-Status: 0");
    vd_add_header(resp, "X-Bapi-Limit-Reset-Timestamp: %" PRId64, now + v.retry_after_ms);
    by_err(resp, 10006, "Too many visits!", now);
    if (b->counters) b->counters->rate_limited++;
    return;
  }
  if (v.status >= 500) {
    by_answer(resp, v.status, 10016, "Internal server error.", json_object(), now);
    return;
  }
  const route *r = NULL;
  bool known = false;
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
    if (!strcmp(routes[i].path, req->path)) {
      known = true;
      if (!strcmp(routes[i].method, req->method)) r = &routes[i];
    }
  if (!r) {
    by_answer(resp, known ? 405 : 404, 10017,
              known ? "Request method not allowed." : "route not found", json_object(), now);
    return;
  }
  int64_t wait = 0;
  int lim = vd_limit_take(&b->lim, now, r->order, &wait);
  if (lim == VD_LIMIT_BANNED) { /* the IP limit: 403 until the ban ends */
    resp->status = 403;
    free(resp->body);
    resp->body = strdup("");
    resp->body_len = 0;
    if (b->counters) b->counters->banned++;
    return;
  }
  if (lim == VD_LIMIT_LIMITED) {
    vd_add_header(resp, "X-Bapi-Limit-Status: 0");
    vd_add_header(resp, "X-Bapi-Limit-Reset-Timestamp: %" PRId64, now + wait);
    by_err(resp, 10006, "Too many visits!", now);
    if (b->counters) b->counters->rate_limited++;
    return;
  }
  if (r->auth && authenticate(&c) < 0) return;
  if (!strcmp(req->method, "POST")) {
    json_error_t je;
    c.body = fixed.body[0] ? json_loads(fixed.body, 0, &je) : NULL;
    if (!json_is_object(c.body)) {
      json_decref(c.body);
      by_err(resp, 10001, "params error: the body must be a JSON object", now);
      return;
    }
  }
  r->fn(&c);
  json_decref(c.body);
  if (r->order && resp->status == 200 && v.drop_if_order && strstr(resp->body, "\"retCode\":0,")) {
    resp->drop = true;
    vf_order_lost(b->faults);
    if (b->counters) b->counters->responses_dropped++;
  }
}
