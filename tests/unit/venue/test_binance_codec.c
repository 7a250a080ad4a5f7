/* The Binance codec against every recorded payload: each file decodes (futures-only events
 * give the unsupported error) and the decoded values equal the JSON's, read here on their
 * own with jansson. Runs over the shared data folder when present and always over the
 * copies in tests/data. Then malformed variants, error bodies, the order encoder, symbols
 * and intervals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>

#include "binance.h"

static char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)len + 1);
  assert_non_null(b);
  assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
  b[len] = '\0';
  fclose(f);
  *n = (size_t)len;
  return b;
}

static json_t *jload(const char *s, size_t n) {
  json_error_t je;
  json_t *j = json_loadb(s, n, JSON_DECODE_ANY, &je);
  assert_non_null(j);
  return j;
}

/* d equals the decimal string v (by value). */
static void dec_is(cq_dec d, json_t *v) {
  assert_true(json_is_string(v));
  cq_dec e;
  assert_int_equal(cq_dec_parse_cstr(json_string_value(v), &e, NULL), 0);
  if (!cq_dec_eq(d, e)) {
    char b[CQ_DEC_STRMAX];
    cq_dec_format(d, b, sizeof b);
    fail_msg("decimal %s != %s", b, json_string_value(v));
  }
}
#define DEC(d, obj, key) dec_is((d), json_object_get((obj), (key)))

static void dbl_is(double d, json_t *v) {
  assert_true(json_is_string(v));
  assert_true(d == strtod(json_string_value(v), NULL));
}

static int64_t ji(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  assert_true(json_is_integer(v));
  return (int64_t)json_integer_value(v);
}

static const char *js(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  assert_true(json_is_string(v));
  return json_string_value(v);
}

static void id_is(const char *id, json_t *o, const char *k) {
  char b[32];
  snprintf(b, sizeof b, "%lld", (long long)ji(o, k));
  assert_string_equal(id, b);
}

#define MS(x) ((cq_time)(x)*CQ_NS_PER_MS)

/* ---- checkers, one per payload -------------------------------------------------------- */

typedef void (*checker)(const char *s, size_t n, json_t *j);

static void c_server_time(const char *s, size_t n, json_t *j) {
  cq_time t;
  assert_int_equal(cq_bn_parse_server_time(s, n, &t, NULL), 0);
  assert_true(t == MS(ji(j, "serverTime")));
}

static void c_ping(const char *s, size_t n, json_t *j) {
  (void)j;
  /* {} is the whole answer: it is JSON and an object. */
  cq_time t;
  cq_error e;
  assert_int_equal(cq_bn_parse_server_time(s, n, &t, &e), CQ_EPARSE);
  assert_string_equal(e.field, "serverTime");
}

static void c_exchange_info(const char *s, size_t n, json_t *j) {
  cq_bn_exchange_info x;
  cq_error e;
  int rc = cq_bn_parse_exchange_info(s, n, &x, &e);
  if (rc) fail_msg("%s", e.msg);
  json_t *syms = json_object_get(j, "symbols");
  assert_int_equal(x.ninstruments, json_array_size(syms));
  assert_true(x.server_time == MS(ji(j, "serverTime")));
  for (size_t i = 0; i < x.ninstruments; i++) {
    json_t *o = json_array_get(syms, i);
    const cq_instrument *in = &x.instruments[i];
    assert_string_equal(in->native, js(o, "symbol"));
    assert_string_equal(in->base, js(o, "baseAsset"));
    assert_string_equal(in->quote, js(o, "quoteAsset"));
    assert_string_equal(in->venue, "binance");
    char u[64];
    snprintf(u, sizeof u, "%s/%s", js(o, "baseAsset"), js(o, "quoteAsset"));
    assert_string_equal(in->symbol, u);
    const char *st = js(o, "status");
    assert_int_equal(in->status, strcmp(st, "TRADING") == 0       ? CQ_INSTRUMENT_TRADING
                                 : strcmp(st, "END_TRADING") == 0 ? CQ_INSTRUMENT_DELISTED
                                                                  : CQ_INSTRUMENT_HALTED);
    size_t k;
    json_t *f;
    bool tick = false, lot = false, notional = false;
    json_array_foreach(json_object_get(o, "filters"), k, f) {
      const char *t = js(f, "filterType");
      if (strcmp(t, "PRICE_FILTER") == 0) DEC(in->tick, f, "tickSize"), tick = true;
      if (strcmp(t, "LOT_SIZE") == 0) {
        DEC(in->lot, f, "stepSize");
        DEC(in->min_qty, f, "minQty");
        lot = true;
      }
      if (strcmp(t, "NOTIONAL") == 0 || strcmp(t, "MIN_NOTIONAL") == 0)
        DEC(in->min_notional, f, "minNotional"), notional = true;
    }
    if (!tick) assert_true(cq_dec_is_zero(in->tick));
    if (!lot) assert_true(cq_dec_is_zero(in->lot));
    if (!notional) assert_true(cq_dec_is_zero(in->min_notional));
  }
  /* RAW_REQUESTS windows are left out. */
  size_t k, want = 0;
  json_t *r;
  json_array_foreach(json_object_get(j, "rateLimits"), k, r) {
    const char *t = js(r, "rateLimitType");
    if (strcmp(t, "RAW_REQUESTS") == 0) continue;
    assert_int_equal(x.limits[want].limit, ji(r, "limit"));
    assert_int_equal(x.limits[want].kind, strcmp(t, "ORDERS") == 0 ? CQ_RL_ORDERS : CQ_RL_WEIGHT);
    want++;
  }
  assert_int_equal(x.nlimits, want);
  cq_bn_exchange_info_release(&x);
}

static void c_klines(const char *s, size_t n, json_t *j) {
  cq_candles c;
  cq_candles_init(&c, 0);
  /* now between the rows' close times and after: the first closes, then all. */
  json_t *row0 = json_array_get(j, 0);
  cq_time close0 = MS(json_integer_value(json_array_get(row0, 6)));
  assert_int_equal(cq_bn_parse_klines(s, n, close0, &c, NULL), 0);
  assert_int_equal(c.len, json_array_size(j));
  for (size_t i = 0; i < c.len; i++) {
    json_t *row = json_array_get(j, i);
    cq_candle k;
    cq_candles_get(&c, i, &k);
    assert_true(k.open_time == MS(json_integer_value(json_array_get(row, 0))));
    dbl_is(k.open, json_array_get(row, 1));
    dbl_is(k.high, json_array_get(row, 2));
    dbl_is(k.low, json_array_get(row, 3));
    dbl_is(k.close, json_array_get(row, 4));
    dbl_is(k.volume, json_array_get(row, 5));
    dbl_is(k.quote_volume, json_array_get(row, 7));
    assert_int_equal(k.trades, json_integer_value(json_array_get(row, 8)));
    assert_false(k.closed); /* close time == now: not yet before it */
  }
  cq_candles_clear(&c);
  assert_int_equal(cq_bn_parse_klines(s, n, close0 + 1, &c, NULL), 0);
  cq_candle k;
  cq_candles_get(&c, 0, &k);
  assert_true(k.closed);
  cq_candles_release(&c);
}

static void c_depth(const char *s, size_t n, json_t *j) {
  cq_l2book *b;
  assert_int_equal(cq_l2book_new(1000, &b, NULL), 0);
  assert_int_equal(cq_bn_parse_depth(s, n, b, NULL), 0);
  assert_true(cq_l2book_valid(b));
  assert_int_equal(cq_l2book_seq(b), ji(j, "lastUpdateId"));
  const char *sides[2] = {"bids", "asks"};
  for (int si = 0; si < 2; si++) {
    json_t *a = json_object_get(j, sides[si]);
    cq_side side = si ? CQ_SIDE_SELL : CQ_SIDE_BUY;
    assert_int_equal(cq_l2book_depth(b, side), json_array_size(a));
    for (size_t i = 0; i < json_array_size(a); i++) {
      cq_dec p, q;
      assert_true(cq_l2book_level(b, side, i, &p, &q));
      dec_is(p, json_array_get(json_array_get(a, i), 0));
      dec_is(q, json_array_get(json_array_get(a, i), 1));
    }
  }
  cq_l2book_free(b);
}

static void c_trades(const char *s, size_t n, json_t *j) {
  cq_trades t;
  cq_trades_init(&t, 0);
  assert_int_equal(cq_bn_parse_trades(s, n, &t, NULL), 0);
  assert_int_equal(t.len, json_array_size(j));
  for (size_t i = 0; i < t.len; i++) {
    json_t *o = json_array_get(j, i);
    cq_trade x;
    cq_trades_get(&t, i, &x);
    id_is(x.id, o, "id");
    DEC(x.price, o, "price");
    DEC(x.qty, o, "qty");
    assert_true(x.time == MS(ji(o, "time")));
    assert_int_equal(x.taker_side,
                     json_is_true(json_object_get(o, "isBuyerMaker")) ? CQ_SIDE_SELL : CQ_SIDE_BUY);
  }
  cq_trades_release(&t);
}

static void c_agg_trades(const char *s, size_t n, json_t *j) {
  cq_trades t;
  cq_trades_init(&t, 0);
  assert_int_equal(cq_bn_parse_agg_trades(s, n, &t, NULL), 0);
  assert_int_equal(t.len, json_array_size(j));
  for (size_t i = 0; i < t.len; i++) {
    json_t *o = json_array_get(j, i);
    cq_trade x;
    cq_trades_get(&t, i, &x);
    id_is(x.id, o, "a");
    DEC(x.price, o, "p");
    DEC(x.qty, o, "q");
    assert_true(x.time == MS(ji(o, "T")));
    assert_int_equal(x.taker_side,
                     json_is_true(json_object_get(o, "m")) ? CQ_SIDE_SELL : CQ_SIDE_BUY);
  }
  cq_trades_release(&t);
}

static void c_book_ticker(const char *s, size_t n, json_t *j) {
  cq_quote q;
  char sym[CQ_SYMBOL_MAX];
  assert_int_equal(cq_bn_parse_book_ticker(s, n, sym, &q, NULL), 0);
  assert_string_equal(sym, js(j, "symbol"));
  DEC(q.bid, j, "bidPrice");
  DEC(q.bid_qty, j, "bidQty");
  DEC(q.ask, j, "askPrice");
  DEC(q.ask_qty, j, "askQty");
}

static void c_ticker_24h(const char *s, size_t n, json_t *j) {
  cq_ticker t;
  char sym[CQ_SYMBOL_MAX];
  assert_int_equal(cq_bn_parse_ticker_24h(s, n, sym, &t, NULL), 0);
  assert_string_equal(sym, js(j, "symbol"));
  DEC(t.last, j, "lastPrice");
  DEC(t.last_qty, j, "lastQty");
  DEC(t.open, j, "openPrice");
  DEC(t.high, j, "highPrice");
  DEC(t.low, j, "lowPrice");
  DEC(t.volume, j, "volume");
  DEC(t.quote_volume, j, "quoteVolume");
  DEC(t.change, j, "priceChange");
  DEC(t.change_pct, j, "priceChangePercent");
  DEC(t.vwap, j, "weightedAvgPrice");
  DEC(t.bid, j, "bidPrice");
  DEC(t.ask_qty, j, "askQty");
  assert_true(t.open_time == MS(ji(j, "openTime")));
  assert_true(t.close_time == MS(ji(j, "closeTime")));
  assert_int_equal(t.trades, ji(j, "count"));
}

static void c_avg_price(const char *s, size_t n, json_t *j) {
  cq_dec p;
  cq_time t;
  assert_int_equal(cq_bn_parse_avg_price(s, n, &p, &t, NULL), 0);
  DEC(p, j, "price");
  assert_true(t == MS(ji(j, "closeTime")));
}

static void c_price(const char *s, size_t n, json_t *j) {
  cq_dec p;
  char sym[CQ_SYMBOL_MAX];
  assert_int_equal(cq_bn_parse_price(s, n, sym, &p, NULL), 0);
  assert_string_equal(sym, js(j, "symbol"));
  DEC(p, j, "price");
}

static void c_account(const char *s, size_t n, json_t *j) {
  cq_balance *b;
  size_t cnt;
  assert_int_equal(cq_bn_parse_account(s, n, &b, &cnt, NULL), 0);
  json_t *a = json_object_get(j, "balances");
  assert_int_equal(cnt, json_array_size(a));
  for (size_t i = 0; i < cnt; i++) {
    json_t *o = json_array_get(a, i);
    assert_string_equal(b[i].asset, js(o, "asset"));
    DEC(b[i].free, o, "free");
    DEC(b[i].locked, o, "locked");
  }
  free(b);
}

/* A map with BTC/USDT, ETH/BTC, BNB/BTC, LTC/BTC, ETH/USDT. */
static cq_bn_symbols *test_syms(void) {
  static const char *const pairs[][2] = {
      {"BTC", "USDT"}, {"ETH", "BTC"}, {"BNB", "BTC"}, {"LTC", "BTC"}, {"ETH", "USDT"}};
  cq_instrument in[5];
  memset(in, 0, sizeof in);
  for (int i = 0; i < 5; i++) {
    snprintf(in[i].symbol, sizeof in[i].symbol, "%s/%s", pairs[i][0], pairs[i][1]);
    snprintf(in[i].native, sizeof in[i].native, "%s%s", pairs[i][0], pairs[i][1]);
  }
  cq_bn_symbols *s;
  assert_int_equal(cq_bn_symbols_new(in, 5, &s, NULL), 0);
  return s;
}

static void unified_is(const char *got, const char *native) {
  cq_bn_symbols *s = test_syms();
  const char *u = cq_bn_to_unified(s, native);
  assert_non_null(u);
  assert_string_equal(got, u);
  cq_bn_symbols_free(s);
}

static void c_my_trades(const char *s, size_t n, json_t *j) {
  cq_bn_symbols *syms = test_syms();
  cq_venue_fill *f;
  size_t cnt;
  assert_int_equal(cq_bn_parse_my_trades(s, n, syms, &f, &cnt, NULL), 0);
  assert_int_equal(cnt, json_array_size(j));
  for (size_t i = 0; i < cnt; i++) {
    json_t *o = json_array_get(j, i);
    unified_is(f[i].symbol, js(o, "symbol"));
    id_is(f[i].trade_id, o, "id");
    id_is(f[i].venue_order_id, o, "orderId");
    DEC(f[i].price, o, "price");
    DEC(f[i].qty, o, "qty");
    DEC(f[i].fee, o, "commission");
    assert_string_equal(f[i].fee_asset, js(o, "commissionAsset"));
    assert_true(f[i].time == MS(ji(o, "time")));
    assert_int_equal(f[i].side,
                     json_is_true(json_object_get(o, "isBuyer")) ? CQ_SIDE_BUY : CQ_SIDE_SELL);
    assert_int_equal(f[i].liquidity,
                     json_is_true(json_object_get(o, "isMaker")) ? CQ_LIQ_MAKER : CQ_LIQ_TAKER);
  }
  free(f);
  cq_bn_symbols_free(syms);
}

static cq_order_state state_of(const char *s) {
  cq_order_state st;
  assert_int_equal(cq_bn_order_status(s, &st, NULL), 0);
  return st;
}

/* One REST order object against its JSON. */
static void order_is(const cq_venue_order *o, json_t *j) {
  unified_is(o->symbol, js(j, "symbol"));
  id_is(o->venue_id, j, "orderId");
  json_t *orig = json_object_get(j, "origClientOrderId");
  assert_string_equal(o->client_id, orig ? json_string_value(orig) : js(j, "clientOrderId"));
  if (json_object_get(j, "status")) {
    assert_int_equal(o->state, state_of(js(j, "status")));
    DEC(o->qty, j, "origQty");
    DEC(o->price, j, "price");
    DEC(o->filled, j, "executedQty");
    DEC(o->filled_quote, j, "cummulativeQuoteQty");
    assert_int_equal(o->side, strcmp(js(j, "side"), "BUY") == 0 ? CQ_SIDE_BUY : CQ_SIDE_SELL);
    if (json_object_get(j, "stopPrice")) DEC(o->stop, j, "stopPrice");
    const char *t = js(j, "type");
    if (strcmp(t, "LIMIT_MAKER") == 0) assert_int_equal(o->tif, CQ_TIF_POST_ONLY);
    if (strcmp(t, "LIMIT") == 0) {
      assert_int_equal(o->type, CQ_ORDER_LIMIT);
      assert_int_equal(o->tif, strcmp(js(j, "timeInForce"), "GTC") == 0   ? CQ_TIF_GTC
                               : strcmp(js(j, "timeInForce"), "IOC") == 0 ? CQ_TIF_IOC
                                                                          : CQ_TIF_FOK);
    }
    if (strcmp(t, "MARKET") == 0) assert_int_equal(o->type, CQ_ORDER_MARKET);
    if (strcmp(t, "STOP_LOSS_LIMIT") == 0) assert_int_equal(o->type, CQ_ORDER_STOP_LIMIT);
  } else {
    assert_int_equal(o->state, CQ_OS_ACCEPTED); /* ACK */
  }
  json_t *tt = json_object_get(j, "transactTime");
  if (!tt) tt = json_object_get(j, "time");
  assert_true(o->created == MS(json_integer_value(tt)));
}

static void c_order(const char *s, size_t n, json_t *j) {
  cq_bn_symbols *syms = test_syms();
  cq_venue_order o;
  cq_venue_fill *f;
  size_t nf;
  cq_error e;
  int rc = cq_bn_parse_order(s, n, syms, &o, &f, &nf, &e);
  if (rc) fail_msg("%s", e.msg);
  order_is(&o, j);
  json_t *fa = json_object_get(j, "fills");
  assert_int_equal(nf, fa ? json_array_size(fa) : 0);
  for (size_t i = 0; i < nf; i++) {
    json_t *x = json_array_get(fa, i);
    DEC(f[i].price, x, "price");
    DEC(f[i].qty, x, "qty");
    DEC(f[i].fee, x, "commission");
    assert_string_equal(f[i].fee_asset, js(x, "commissionAsset"));
    id_is(f[i].trade_id, x, "tradeId");
    assert_string_equal(f[i].client_id, o.client_id);
    assert_int_equal(f[i].side, o.side);
  }
  free(f);
  cq_bn_symbols_free(syms);
}

static void c_orders(const char *s, size_t n, json_t *j) {
  cq_bn_symbols *syms = test_syms();
  cq_venue_order *o;
  size_t cnt;
  cq_error e;
  int rc = cq_bn_parse_orders(s, n, syms, &o, &cnt, &e);
  if (rc) fail_msg("%s", e.msg);
  size_t k = 0, i;
  json_t *x;
  json_array_foreach(j, i, x) {
    json_t *rep = json_object_get(x, "orderReports");
    if (rep) {
      size_t r;
      json_t *y;
      json_array_foreach(rep, r, y) {
        order_is(&o[k++], y);
      }
    } else {
      order_is(&o[k++], x);
    }
  }
  assert_int_equal(cnt, k);
  free(o);
  cq_bn_symbols_free(syms);
}

/* ---- stream checkers ---- */

static json_t *inner(json_t *j) {
  json_t *d = json_object_get(j, "data");
  if (!d) d = json_object_get(j, "event");
  return d ? d : j;
}

static void parse_msg(const char *s, size_t n, cq_bn_msg *m) {
  cq_bn_symbols *syms = test_syms();
  cq_error e;
  cq_bn_msg_init(m);
  int rc = cq_bn_parse_stream(s, n, syms, 42, m, &e);
  if (rc) fail_msg("%s", e.msg);
  cq_bn_symbols_free(syms);
}

static void c_execution(const char *s, size_t n, json_t *j) {
  cq_bn_msg m;
  parse_msg(s, n, &m);
  json_t *d = inner(j);
  assert_int_equal(m.kind, CQ_BN_MSG_EXECUTION);
  assert_true(m.has_event);
  assert_int_equal(m.ev.kind, CQ_VEV_ORDER);
  assert_true(m.ev.recv_time == 42);
  assert_true(m.ev.event_time == MS(ji(d, "E")));
  const cq_venue_order *o = &m.ev.u.order.order;
  unified_is(o->symbol, js(d, "s"));
  assert_string_equal(m.ev.symbol, o->symbol);
  assert_string_equal(o->client_id, js(d, "c"));
  id_is(o->venue_id, d, "i");
  assert_int_equal(o->state, state_of(js(d, "X")));
  DEC(o->qty, d, "q");
  DEC(o->price, d, "p");
  DEC(o->stop, d, "P");
  DEC(o->filled, d, "z");
  DEC(o->filled_quote, d, "Z");
  assert_true(o->created == MS(ji(d, "O")));
  assert_true(o->updated == MS(ji(d, "T")));
  assert_int_equal(o->side, strcmp(js(d, "S"), "BUY") == 0 ? CQ_SIDE_BUY : CQ_SIDE_SELL);
  if (strcmp(js(d, "o"), "STOP_LOSS_LIMIT") == 0) assert_int_equal(o->type, CQ_ORDER_STOP_LIMIT);
  if (json_object_get(d, "eR")) assert_string_equal(o->reason, js(d, "eR"));
  bool trade = strcmp(js(d, "x"), "TRADE") == 0;
  assert_int_equal(m.ev.u.order.has_fill, trade);
  if (trade) {
    const cq_venue_fill *f = &m.ev.u.order.fill;
    id_is(f->trade_id, d, "t");
    DEC(f->price, d, "L");
    DEC(f->qty, d, "l");
    DEC(f->fee, d, "n");
    assert_string_equal(f->fee_asset, js(d, "N"));
    assert_int_equal(f->liquidity,
                     json_is_true(json_object_get(d, "m")) ? CQ_LIQ_MAKER : CQ_LIQ_TAKER);
    assert_string_equal(f->client_id, o->client_id);
  }
  cq_bn_msg_release(&m);
}

static void c_account_position(const char *s, size_t n, json_t *j) {
  cq_bn_msg m;
  parse_msg(s, n, &m);
  json_t *d = inner(j), *b = json_object_get(d, "B");
  assert_int_equal(m.kind, CQ_BN_MSG_ACCOUNT);
  assert_int_equal(m.nbalances, json_array_size(b));
  for (size_t i = 0; i < m.nbalances; i++) {
    json_t *o = json_array_get(b, i);
    assert_string_equal(m.balances[i].asset, js(o, "a"));
    DEC(m.balances[i].free, o, "f");
    DEC(m.balances[i].locked, o, "l");
  }
  assert_true(m.has_event);
  assert_int_equal(m.ev.kind, CQ_VEV_BALANCE);
  cq_bn_msg_release(&m);
}

static void c_balance_update(const char *s, size_t n, json_t *j) {
  cq_bn_msg m;
  parse_msg(s, n, &m);
  json_t *d = inner(j);
  assert_int_equal(m.kind, CQ_BN_MSG_BALANCE_UPDATE);
  assert_false(m.has_event);
  assert_string_equal(m.balance_update.asset, js(d, "a"));
  DEC(m.balance_update.delta, d, "d");
  assert_true(m.balance_update.time == MS(ji(d, "T")));
  cq_bn_msg_release(&m);
}

static void c_list_status(const char *s, size_t n, json_t *j) {
  cq_bn_msg m;
  parse_msg(s, n, &m);
  json_t *d = inner(j);
  assert_int_equal(m.kind, CQ_BN_MSG_LIST_STATUS);
  assert_false(m.has_event);
  unified_is(m.list.symbol, js(d, "s"));
  assert_int_equal(m.list.list_id, ji(d, "g"));
  assert_string_equal(m.list.contingency, js(d, "c"));
  assert_string_equal(m.list.status, js(d, "l"));
  assert_string_equal(m.list.order_status, js(d, "L"));
  assert_string_equal(m.list.client_id, js(d, "C"));
  assert_int_equal(m.list.norders, json_array_size(json_object_get(d, "O")));
  cq_bn_msg_release(&m);
}

static void c_trade_stream(const char *s, size_t n, json_t *j) {
  cq_bn_msg m;
  parse_msg(s, n, &m);
  json_t *d = inner(j);
  bool agg = strcmp(js(d, "e"), "aggTrade") == 0;
  assert_int_equal(m.kind, agg ? CQ_BN_MSG_AGG_TRADE : CQ_BN_MSG_TRADE);
  assert_int_equal(m.ev.kind, CQ_VEV_TRADE);
  unified_is(m.ev.symbol, js(d, "s"));
  id_is(m.ev.u.trade.id, d, agg ? "a" : "t");
  DEC(m.ev.u.trade.price, d, "p");
  DEC(m.ev.u.trade.qty, d, "q");
  assert_true(m.ev.u.trade.time == MS(ji(d, "T")));
  assert_true(m.ev.event_time == MS(ji(d, "E")));
  assert_int_equal(m.ev.u.trade.taker_side,
                   json_is_true(json_object_get(d, "m")) ? CQ_SIDE_SELL : CQ_SIDE_BUY);
  cq_bn_msg_release(&m);
}

static void c_book_ticker_stream(const char *s, size_t n, json_t *j) {
  cq_bn_msg m;
  parse_msg(s, n, &m);
  json_t *d = inner(j);
  assert_int_equal(m.kind, CQ_BN_MSG_BOOK_TICKER);
  assert_int_equal(m.ev.kind, CQ_VEV_QUOTE);
  assert_string_equal(m.ev.symbol, js(d, "s")); /* BNBUSDT is not in the map: kept native */
  DEC(m.ev.u.quote.bid, d, "b");
  DEC(m.ev.u.quote.bid_qty, d, "B");
  DEC(m.ev.u.quote.ask, d, "a");
  DEC(m.ev.u.quote.ask_qty, d, "A");
  assert_int_equal(m.ev.u.quote.update_id, ji(d, "u"));
  cq_bn_msg_release(&m);
}

static void c_kline_stream(const char *s, size_t n, json_t *j) {
  cq_bn_msg m;
  parse_msg(s, n, &m);
  json_t *k = json_object_get(inner(j), "k");
  assert_int_equal(m.kind, CQ_BN_MSG_KLINE);
  const cq_candle *c = &m.ev.u.kline.candle;
  assert_true(c->open_time == MS(ji(k, "t")));
  assert_string_equal(cq_bn_interval_name(m.ev.u.kline.tf), js(k, "i"));
  dbl_is(c->open, json_object_get(k, "o"));
  dbl_is(c->high, json_object_get(k, "h"));
  dbl_is(c->low, json_object_get(k, "l"));
  dbl_is(c->close, json_object_get(k, "c"));
  dbl_is(c->volume, json_object_get(k, "v"));
  dbl_is(c->quote_volume, json_object_get(k, "q"));
  assert_int_equal(c->trades, ji(k, "n"));
  assert_int_equal(c->closed, json_is_true(json_object_get(k, "x")));
  cq_bn_msg_release(&m);
}

static void diff_is(const cq_bn_depth_diff *dd, json_t *d) {
  assert_string_equal(dd->symbol, js(d, "s"));
  assert_int_equal(dd->first_id, ji(d, "U"));
  assert_int_equal(dd->final_id, ji(d, "u"));
  assert_true(dd->event_time == MS(ji(d, "E")));
  json_t *pu = json_object_get(d, "pu");
  assert_int_equal(dd->has_prev, pu != NULL);
  if (pu) assert_int_equal(dd->prev_id, json_integer_value(pu));
  json_t *b = json_object_get(d, "b"), *a = json_object_get(d, "a");
  assert_int_equal(dd->nbids, json_array_size(b));
  assert_int_equal(dd->nasks, json_array_size(a));
  for (size_t i = 0; i < dd->nbids; i++) {
    dec_is(dd->bids[i].price, json_array_get(json_array_get(b, i), 0));
    dec_is(dd->bids[i].qty, json_array_get(json_array_get(b, i), 1));
  }
  for (size_t i = 0; i < dd->nasks; i++) {
    dec_is(dd->asks[i].price, json_array_get(json_array_get(a, i), 0));
    dec_is(dd->asks[i].qty, json_array_get(json_array_get(a, i), 1));
  }
}

static void c_depth_stream(const char *s, size_t n, json_t *j) {
  cq_bn_msg m;
  parse_msg(s, n, &m);
  assert_int_equal(m.kind, CQ_BN_MSG_DEPTH);
  diff_is(&m.depth, inner(j));
  if (json_object_get(j, "stream")) assert_string_equal(m.stream, js(j, "stream"));
  cq_bn_msg_release(&m);
  /* The in-place parser reads the same. */
  cq_bn_depth_diff dd;
  cq_bn_depth_diff_init(&dd);
  cq_error e;
  int rc = cq_bn_parse_depth_update(s, n, &dd, &e);
  if (rc) fail_msg("%s", e.msg);
  diff_is(&dd, inner(j));
  cq_bn_depth_diff_release(&dd);
}

static void c_ticker_stream(const char *s, size_t n, json_t *j) {
  cq_bn_msg m;
  parse_msg(s, n, &m);
  json_t *d = inner(j);
  assert_int_equal(m.kind, CQ_BN_MSG_TICKER);
  assert_int_equal(m.ev.kind, CQ_VEV_TICKER);
  const cq_ticker *t = &m.ev.u.ticker;
  DEC(t->change, d, "p");
  DEC(t->change_pct, d, "P");
  DEC(t->vwap, d, "w");
  DEC(t->last, d, "c");
  DEC(t->last_qty, d, "Q");
  DEC(t->open, d, "o");
  DEC(t->high, d, "h");
  DEC(t->low, d, "l");
  DEC(t->volume, d, "v");
  DEC(t->quote_volume, d, "q");
  assert_true(t->open_time == MS(ji(d, "O")));
  assert_true(t->close_time == MS(ji(d, "C")));
  assert_int_equal(t->trades, ji(d, "n"));
  cq_bn_msg_release(&m);
}

static void c_futures_only(const char *s, size_t n, json_t *j) {
  cq_bn_msg m;
  cq_error e;
  cq_bn_msg_init(&m);
  assert_int_equal(cq_bn_parse_stream(s, n, NULL, 0, &m, &e), CQ_EUNSUPPORTED);
  char want[128];
  snprintf(want, sizeof want, "binance: event '%s' is futures-only; cquant supports spot",
           js(inner(j), "e"));
  assert_string_equal(e.msg, want);
  assert_false(m.has_event);
  cq_bn_msg_release(&m);
}

static void c_error_body(const char *s, size_t n, json_t *j) {
  cq_verror ve;
  assert_int_equal(cq_bn_decode_error(400, s, n, &ve), CQ_EREJECTED);
  assert_int_equal(ve.venue_code, ji(j, "code"));
  assert_int_equal(ve.cls, CQ_VERR_INSUFFICIENT);
  assert_int_equal(ve.http_status, 400);
  assert_non_null(strstr(ve.e.msg, js(j, "msg")));
}

typedef struct entry {
  const char *file;
  checker fn;
} entry;

static const entry table[] = {
    {"rest/account_response.json", c_account},
    {"rest/account_trades_response.json", c_my_trades},
    {"rest/all_orders_response.json", c_orders},
    {"rest/avg_price_response.json", c_avg_price},
    {"rest/book_ticker_response.json", c_book_ticker},
    {"rest/cancel_open_orders_response.json", c_orders},
    {"rest/cancel_order_response.json", c_order},
    {"rest/depth_response.json", c_depth},
    {"rest/exchange_info_response.json", c_exchange_info},
    {"rest/klines_response.json", c_klines},
    {"rest/new_order_full_response.json", c_order},
    {"rest/open_orders_response.json", c_orders},
    {"rest/order_response.json", c_order},
    {"rest/ping_response.json", c_ping},
    {"rest/server_time_response.json", c_server_time},
    {"rest/ticker_24hr_response.json", c_ticker_24h},
    {"rest/ticker_price_response.json", c_price},
    {"rest/trades_response.json", c_trades},
    {"ws-user/account_position.json", c_account_position},
    {"ws-user/account_position_wrapped.json", c_account_position},
    {"ws-user/balance_update.json", c_balance_update},
    {"ws-user/balance_update_wrapped.json", c_balance_update},
    {"ws-user/execution_report_canceled.json", c_execution},
    {"ws-user/execution_report_expired.json", c_execution},
    {"ws-user/execution_report_new.json", c_execution},
    {"ws-user/execution_report_stop_loss.json", c_execution},
    {"ws-user/execution_report_trade.json", c_execution},
    {"ws-user/execution_report_wrapped.json", c_execution},
    {"ws-user/list_status_wrapped.json", c_list_status},
    {"ws-market-futures/agg_trade_stream.json", c_trade_stream},
    {"ws-market-futures/book_ticker_stream.json", c_book_ticker_stream},
    {"ws-market-futures/depth_update_stream.json", c_depth_stream},
    {"ws-market-futures/kline_stream_closed.json", c_kline_stream},
    {"ws-market-futures/kline_stream_open.json", c_kline_stream},
    {"ws-market-futures/liquidation_stream.json", c_futures_only},
    {"ws-market-futures/mark_price_stream.json", c_futures_only},
    {"ws-market-futures/ticker_stream.json", c_ticker_stream},
    {"ws-market-futures/trade_stream.json", c_trade_stream},
    {"extra/exchange_info_filters.json", c_exchange_info},
    {"extra/agg_trades_response.json", c_agg_trades},
    {"extra/book_ticker_stream_spot.json", c_book_ticker_stream},
    {"extra/depth_update_stream_spot.json", c_depth_stream},
    {"extra/new_order_ack_response.json", c_order},
    {"extra/error_insufficient.json", c_error_body},
};

static checker find_checker(const char *sub, const char *name) {
  char rel[256];
  snprintf(rel, sizeof rel, "%s/%s", sub, name);
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp(table[i].file, rel) == 0) return table[i].fn;
  return NULL;
}

/* Every .json file of root/sub has a checker, and passes it. Returns the count. */
static int run_dir(const char *root, const char *sub) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/%s", root, sub);
  DIR *d = opendir(dir);
  if (!d) return -1;
  int count = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t l = strlen(de->d_name);
    if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0) continue;
    checker fn = find_checker(sub, de->d_name);
    if (!fn) {
      fail_msg("no checker for %s/%s: every payload must be decoded", sub, de->d_name);
      continue; /* not reached: fail_msg ends the test */
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    size_t n = 0;
    char *s = slurp(path, &n);
    assert_non_null(s);
    json_t *j = jload(s, n);
    fn(s, n, j);
    json_decref(j);
    free(s);
    count++;
  }
  closedir(d);
  return count;
}

static void test_local_payloads(void **state) {
  (void)state;
  const char *root = CQ_TEST_DATA "/exchange/binance";
  assert_int_equal(run_dir(root, "rest"), 18);
  assert_int_equal(run_dir(root, "ws-user"), 11);
  assert_int_equal(run_dir(root, "ws-market-futures"), 9);
  assert_int_equal(run_dir(root, "extra"), 6);
}

static void test_shared_payloads(void **state) {
  (void)state;
  const char *root = CQ_SHARED_DATA "/exchange/binance";
  int n = run_dir(root, "rest");
  if (n < 0) {
    print_message("skipped: no shared data (%s)\n", root);
    skip();
  }
  assert_true(n >= 18);
  assert_true(run_dir(root, "ws-user") >= 11);
  assert_true(run_dir(root, "ws-market-futures") >= 9);
}

/* ---- malformed input ---------------------------------------------------------------------- */

static void parse_fails(int (*fn)(const char *, size_t, cq_error *), const char *s, int code,
                        const char *field) {
  cq_error e;
  cq_error_clear(&e);
  int rc = fn(s, strlen(s), &e);
  if (rc != code) fail_msg("\"%s\": got %d (%s), want %d", s, rc, e.msg, code);
  if (field) assert_string_equal(e.field, field);
  assert_non_null(strstr(e.msg, "binance"));
}

static int p_time(const char *s, size_t n, cq_error *e) {
  cq_time t;
  return cq_bn_parse_server_time(s, n, &t, e);
}

static int p_klines(const char *s, size_t n, cq_error *e) {
  cq_candles c;
  cq_candles_init(&c, 0);
  int rc = cq_bn_parse_klines(s, n, 0, &c, e);
  assert_int_equal(c.len, 0); /* nothing half-written */
  cq_candles_release(&c);
  return rc;
}

static int p_xinfo(const char *s, size_t n, cq_error *e) {
  cq_bn_exchange_info x;
  int rc = cq_bn_parse_exchange_info(s, n, &x, e);
  if (rc == 0) cq_bn_exchange_info_release(&x);
  return rc;
}

static int p_depth(const char *s, size_t n, cq_error *e) {
  cq_l2book *b;
  assert_int_equal(cq_l2book_new(100, &b, NULL), 0);
  int rc = cq_bn_parse_depth(s, n, b, e);
  if (rc) {
    assert_false(cq_l2book_valid(b));
    assert_int_equal(cq_l2book_depth(b, CQ_SIDE_BUY), 0);
  }
  cq_l2book_free(b);
  return rc;
}

static int p_stream(const char *s, size_t n, cq_error *e) {
  cq_bn_msg m;
  cq_bn_msg_init(&m);
  int rc = cq_bn_parse_stream(s, n, NULL, 0, &m, e);
  cq_bn_msg_release(&m);
  return rc;
}

static int p_fast(const char *s, size_t n, cq_error *e) {
  cq_bn_depth_diff d;
  cq_bn_depth_diff_init(&d);
  int rc = cq_bn_parse_depth_update(s, n, &d, e);
  cq_bn_depth_diff_release(&d);
  return rc;
}

static int p_order(const char *s, size_t n, cq_error *e) {
  cq_venue_order o;
  return cq_bn_parse_order(s, n, NULL, &o, NULL, NULL, e);
}

static void test_malformed(void **state) {
  (void)state;
  parse_fails(p_time, "", CQ_EPARSE, NULL);
  parse_fails(p_time, "{\"serverTime\":", CQ_EPARSE, NULL);
  parse_fails(p_time, "[]", CQ_EPARSE, "(document)");
  parse_fails(p_time, "{\"serverTime\":\"1\"}", CQ_EPARSE, "serverTime");
  parse_fails(p_klines, "[[1,\"1\",\"2\",\"0.5\",\"1\",\"x\",2,\"1\",3]]", CQ_EPARSE, "[0][5]");
  parse_fails(p_klines, "[[1,\"1\",\"2\",\"0.5\",\"1\",\"1\",2,\"1\",3],[1,\"1\"]]", CQ_EPARSE,
              "[1]");
  parse_fails(p_klines, "[[1,1.5,\"2\",\"0.5\",\"1\",\"1\",2,\"1\",3]]", CQ_EPARSE, "[0][1]");
  parse_fails(p_xinfo,
              "{\"symbols\":[{\"symbol\":\"A\",\"status\":\"TRADING\",\"baseAsset\":\"A\","
              "\"quoteAsset\":\"B\",\"filters\":[{\"filterType\":\"PRICE_FILTER\","
              "\"tickSize\":\"0.0.1\"}]}]}",
              CQ_EPARSE, "symbols[0].filters[0].tickSize");
  parse_fails(p_xinfo, "{\"symbols\":[{\"symbol\":\"A\",\"status\":\"TRADING\"}]}", CQ_EPARSE,
              "symbols[0].baseAsset");
  parse_fails(p_xinfo, "{\"rateLimits\":[{\"rateLimitType\":\"ORDERS\"}],\"symbols\":[]}",
              CQ_EPARSE, "rateLimits[0].interval");
  parse_fails(p_depth, "{\"lastUpdateId\":5,\"bids\":[[\"1\",\"2\"]],\"asks\":[[\"1e\",\"2\"]]}",
              CQ_EPARSE, "asks[0][0]");
  parse_fails(p_depth, "{\"lastUpdateId\":5,\"bids\":[[\"1\",\"2\"]]}", CQ_EPARSE, "asks");
  parse_fails(p_depth, "{\"lastUpdateId\":5,\"bids\":[[\"-1\",\"2\"]],\"asks\":[]}", CQ_EPARSE,
              "bids[0]");
  parse_fails(p_order, "{\"symbol\":\"BTCUSDT\",\"orderId\":1}", CQ_EPARSE, "clientOrderId");
  parse_fails(p_order,
              "{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"clientOrderId\":\"x\","
              "\"status\":\"WEIRD\"}",
              CQ_EPARSE, "status");
  parse_fails(p_stream, "{\"e\":\"trade\",\"E\":1,\"s\":\"X\",\"t\":1,\"p\":\"1\",\"T\":1}",
              CQ_EPARSE, "q");
  parse_fails(p_stream,
              "{\"stream\":\"x\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"X\",\"t\":1,"
              "\"p\":\"1\",\"q\":\"1\",\"T\":1,\"m\":\"yes\"}}",
              CQ_EPARSE, "data.m");
  parse_fails(p_stream, "{\"e\":\"kline\",\"E\":1,\"s\":\"X\",\"k\":{\"t\":1,\"i\":\"7m\"}}",
              CQ_EPARSE, "k.i");
  parse_fails(p_stream, "{\"E\":1,\"s\":\"X\"}", CQ_EPARSE, "e");
  parse_fails(p_stream, "{\"e\":\"fancyNewEvent\",\"E\":1}", CQ_EUNSUPPORTED, NULL);
  parse_fails(p_stream,
              "{\"subscriptionId\":0,\"event\":{\"e\":\"executionReport\",\"E\":1,\"s\":\"X\","
              "\"c\":\"a\",\"i\":1,\"S\":\"BUY\",\"f\":\"GTC\",\"o\":\"LIMIT\",\"X\":\"NEW\","
              "\"x\":\"NEW\",\"q\":\"1..0\"}}",
              CQ_EPARSE, "event.q");
  const char *bad_depth[][2] = {
      {"{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"X\",\"U\":1,\"u\":2,\"b\":[[\"1\",\"x\"]],"
       "\"a\":[]}",
       "b[0][1]"},
      {"{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"X\",\"U\":1,\"b\":[],\"a\":[]}", "u"},
      {"{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"X\",\"U\":1,\"u\":\"2\",\"b\":[],\"a\":[]}", "u"},
      {"{\"stream\":\"s\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"X\",\"U\":1,\"u\":2,"
       "\"b\":[],\"a\":[[\"1\"]]}}",
       "data.a[0]"},
      {"{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"X\",\"U\":3,\"u\":2,\"b\":[],\"a\":[]}", NULL},
  };
  for (size_t i = 0; i < sizeof bad_depth / sizeof bad_depth[0]; i++) {
    parse_fails(p_stream, bad_depth[i][0], CQ_EPARSE, bad_depth[i][1]);
    parse_fails(p_fast, bad_depth[i][0], CQ_EPARSE, bad_depth[i][1]);
  }
  parse_fails(p_fast, "{\"e\":\"trade\",\"E\":1}", CQ_EUNSUPPORTED, NULL);
  parse_fails(p_fast,
              "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"X\",\"U\":1,\"u\":2,\"b\":[],"
              "\"a\":[]} x",
              CQ_EPARSE, NULL);
}

/* ---- errors, encoder, symbols, intervals ------------------------------------------------- */

static void error_is(int status, const char *body, int code, cq_verr cls) {
  cq_verror ve;
  int rc = cq_bn_decode_error(status, body, body ? strlen(body) : 0, &ve);
  if (rc != code || ve.cls != cls)
    fail_msg("%d %s: got %d %s, want %d %s", status, body ? body : "", rc, cq_verr_name(ve.cls),
             code, cq_verr_name(cls));
  assert_int_equal(ve.e.code, code);
  assert_int_equal(ve.http_status, status);
}

static void test_errors(void **state) {
  (void)state;
  error_is(429, "{\"code\":-1003,\"msg\":\"Too many requests\"}", CQ_ELIMIT, CQ_VERR_RATE_LIMITED);
  error_is(418, "{\"code\":-1003,\"msg\":\"Way too many requests; IP banned\"}", CQ_ELIMIT,
           CQ_VERR_BANNED);
  error_is(400, "{\"code\":-1021,\"msg\":\"Timestamp outside recvWindow\"}", CQ_EINVAL,
           CQ_VERR_TIMESTAMP);
  error_is(400, "{\"code\":-1022,\"msg\":\"Signature not valid\"}", CQ_EPERM, CQ_VERR_AUTH);
  error_is(401, "{\"code\":-2014,\"msg\":\"API-key format invalid.\"}", CQ_EPERM, CQ_VERR_AUTH);
  error_is(401, "{\"code\":-2015,\"msg\":\"Invalid API-key\"}", CQ_EPERM, CQ_VERR_AUTH);
  error_is(400, "{\"code\":-2010,\"msg\":\"Account has insufficient balance\"}", CQ_EREJECTED,
           CQ_VERR_INSUFFICIENT);
  error_is(400, "{\"code\":-2010,\"msg\":\"Order would immediately match and take.\"}",
           CQ_EREJECTED, CQ_VERR_REJECTED);
  error_is(400, "{\"code\":-2011,\"msg\":\"Unknown order sent.\"}", CQ_ENOTFOUND,
           CQ_VERR_NOT_FOUND);
  error_is(400, "{\"code\":-2013,\"msg\":\"Order does not exist.\"}", CQ_ENOTFOUND,
           CQ_VERR_NOT_FOUND);
  error_is(400, "{\"code\":-1013,\"msg\":\"Filter failure: LOT_SIZE\"}", CQ_EREJECTED,
           CQ_VERR_REJECTED);
  error_is(400, "{\"code\":-1100,\"msg\":\"Illegal characters\"}", CQ_EINVAL, CQ_VERR_BAD_REQUEST);
  error_is(400, "{\"code\":-1130,\"msg\":\"Invalid data sent\"}", CQ_EINVAL, CQ_VERR_BAD_REQUEST);
  error_is(500, "{\"code\":-1006,\"msg\":\"Unexpected response\"}", CQ_ENET,
           CQ_VERR_UNKNOWN_OUTCOME);
  error_is(408, "{\"code\":-1007,\"msg\":\"Timeout waiting for response\"}", CQ_ENET,
           CQ_VERR_UNKNOWN_OUTCOME);
  error_is(503, "<html>Service Unavailable</html>", CQ_ENET, CQ_VERR_UNKNOWN_OUTCOME);
  error_is(429, NULL, CQ_ELIMIT, CQ_VERR_RATE_LIMITED);
  error_is(418, "", CQ_ELIMIT, CQ_VERR_BANNED);
  error_is(403, "", CQ_EPERM, CQ_VERR_AUTH);
  error_is(404, "nope", CQ_EPARSE, CQ_VERR_PROTOCOL);
}

static cq_venue_order_req req_of(cq_order_type t, cq_tif tif) {
  cq_venue_order_req r;
  memset(&r, 0, sizeof r);
  strcpy(r.symbol, "LTC/BTC");
  strcpy(r.client_id, "my-id_1");
  r.side = CQ_SIDE_BUY;
  r.type = t;
  r.tif = tif;
  r.qty = CQ_DEC(1, 0);
  r.price = CQ_DEC(1, 1);
  r.stop = CQ_DEC(9, 2);
  return r;
}

static void encodes(cq_venue_order_req r, const char *want) {
  char buf[CQ_BN_QUERY_MAX];
  cq_error e;
  int n = cq_bn_encode_order(&r, "LTCBTC", buf, sizeof buf, &e);
  if (n < 0) fail_msg("%s", e.msg);
  assert_string_equal(buf, want);
  assert_int_equal(n, (int)strlen(want));
}

static void test_encode(void **state) {
  (void)state;
  encodes(req_of(CQ_ORDER_LIMIT, CQ_TIF_GTC),
          "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&"
          "newClientOrderId=my-id_1&newOrderRespType=FULL");
  encodes(req_of(CQ_ORDER_LIMIT, CQ_TIF_POST_ONLY),
          "symbol=LTCBTC&side=BUY&type=LIMIT_MAKER&quantity=1&price=0.1&newClientOrderId=my-id_1&"
          "newOrderRespType=FULL");
  cq_venue_order_req m = req_of(CQ_ORDER_MARKET, CQ_TIF_GTC);
  m.side = CQ_SIDE_SELL;
  m.qty = CQ_DEC(1500, 8);
  encodes(m,
          "symbol=LTCBTC&side=SELL&type=MARKET&quantity=0.000015&newClientOrderId=my-id_1&"
          "newOrderRespType=FULL");
  encodes(req_of(CQ_ORDER_STOP, CQ_TIF_GTC),
          "symbol=LTCBTC&side=BUY&type=STOP_LOSS&quantity=1&stopPrice=0.09&"
          "newClientOrderId=my-id_1&newOrderRespType=FULL");
  encodes(req_of(CQ_ORDER_STOP_LIMIT, CQ_TIF_IOC),
          "symbol=LTCBTC&side=BUY&type=STOP_LOSS_LIMIT&timeInForce=IOC&quantity=1&price=0.1&"
          "stopPrice=0.09&newClientOrderId=my-id_1&newOrderRespType=FULL");
  cq_venue_order_req sp = req_of(CQ_ORDER_LIMIT, CQ_TIF_FOK);
  strcpy(sp.client_id, "a b&c");
  encodes(sp,
          "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=FOK&quantity=1&price=0.1&"
          "newClientOrderId=a%20b%26c&newOrderRespType=FULL");
  char buf[64];
  cq_venue_order_req bad = req_of(CQ_ORDER_LIMIT, CQ_TIF_GTC);
  bad.price = CQ_DEC(0, 0);
  assert_int_equal(cq_bn_encode_order(&bad, "LTCBTC", buf, sizeof buf, NULL), CQ_EINVAL);
  bad = req_of(CQ_ORDER_MARKET, CQ_TIF_IOC);
  assert_int_equal(cq_bn_encode_order(&bad, "LTCBTC", buf, sizeof buf, NULL), CQ_EINVAL);
  bad = req_of(CQ_ORDER_LIMIT, CQ_TIF_GTC);
  bad.client_id[0] = '\0';
  assert_int_equal(cq_bn_encode_order(&bad, "LTCBTC", buf, sizeof buf, NULL), CQ_EINVAL);
  bad = req_of(CQ_ORDER_LIMIT, CQ_TIF_GTC);
  assert_int_equal(cq_bn_encode_order(&bad, "LTCBTC", buf, 20, NULL), CQ_ELIMIT);
  assert_string_equal(buf, "");
}

static void test_symbols(void **state) {
  (void)state;
  cq_bn_symbols *s = test_syms();
  assert_int_equal(cq_bn_symbols_count(s), 5);
  assert_string_equal(cq_bn_to_native(s, "BTC/USDT"), "BTCUSDT");
  assert_string_equal(cq_bn_to_unified(s, "ETHBTC"), "ETH/BTC");
  assert_string_equal(cq_bn_to_unified(s, "ETHUSDT"), "ETH/USDT");
  assert_null(cq_bn_to_unified(s, "XRPUSDT"));
  assert_null(cq_bn_to_native(s, "BTCUSDT"));
  assert_string_equal(cq_bn_instrument(s, "LTCBTC")->symbol, "LTC/BTC");
  assert_string_equal(cq_bn_instrument(s, "LTC/BTC")->native, "LTCBTC");
  cq_bn_symbols_free(s);
  /* From exchange info, both ways for every instrument. */
  size_t n = 0;
  char *txt = slurp(CQ_TEST_DATA "/exchange/binance/extra/exchange_info_filters.json", &n);
  assert_non_null(txt);
  cq_bn_exchange_info x;
  assert_int_equal(cq_bn_parse_exchange_info(txt, n, &x, NULL), 0);
  assert_int_equal(cq_bn_symbols_new(x.instruments, x.ninstruments, &s, NULL), 0);
  for (size_t i = 0; i < x.ninstruments; i++) {
    assert_string_equal(cq_bn_to_native(s, x.instruments[i].symbol), x.instruments[i].native);
    assert_string_equal(cq_bn_to_unified(s, x.instruments[i].native), x.instruments[i].symbol);
  }
  assert_string_equal(cq_bn_to_unified(s, "BTCUSDT"), "BTC/USDT");
  cq_bn_symbols_free(s);
  /* Duplicates are refused. */
  cq_instrument two[2];
  two[0] = two[1] = x.instruments[0];
  cq_error e;
  assert_int_equal(cq_bn_symbols_new(two, 2, &s, &e), CQ_EEXIST);
  cq_bn_exchange_info_release(&x);
  free(txt);
}

static void test_intervals(void **state) {
  (void)state;
  static const char *const names[] = {"1s", "1m", "3m", "5m",  "15m", "30m", "1h", "2h",
                                      "4h", "6h", "8h", "12h", "1d",  "3d",  "1w", "1M"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    cq_timeframe tf, core;
    assert_int_equal(cq_bn_interval_parse(names[i], &tf, NULL), 0);
    assert_int_equal(cq_timeframe_parse(names[i], &core, NULL), 0);
    assert_int_equal(tf.n, core.n);
    assert_int_equal(tf.unit, core.unit);
    assert_string_equal(cq_bn_interval_name(tf), names[i]);
  }
  cq_timeframe tf = {7, CQ_TF_MINUTE};
  assert_null(cq_bn_interval_name(tf));
  assert_int_equal(cq_bn_interval_parse("7m", &tf, NULL), CQ_EUNSUPPORTED);
}

static void test_weights(void **state) {
  (void)state;
  int w, o;
  assert_true(cq_bn_endpoint_weight("GET", "/api/v3/depth", 100, true, &w, &o));
  assert_int_equal(w, 5);
  assert_true(cq_bn_endpoint_weight("GET", "/api/v3/depth", 5000, true, &w, &o));
  assert_int_equal(w, 250);
  assert_true(cq_bn_endpoint_weight("GET", "/api/v3/depth", 0, true, &w, &o));
  assert_int_equal(w, 5);
  assert_true(cq_bn_endpoint_weight("GET", "/api/v3/exchangeInfo", 0, false, &w, &o));
  assert_int_equal(w, 20);
  assert_true(cq_bn_endpoint_weight("POST", "/api/v3/order", 0, true, &w, &o));
  assert_int_equal(w, 1);
  assert_int_equal(o, 1);
  assert_true(cq_bn_endpoint_weight("GET", "/api/v3/account", 0, false, &w, &o));
  assert_int_equal(w, 20);
  assert_true(cq_bn_endpoint_weight("GET", "/api/v3/openOrders", 0, false, &w, &o));
  assert_int_equal(w, 80);
  assert_false(cq_bn_endpoint_weight("GET", "/api/v3/nothing", 0, false, &w, &o));
  assert_int_equal(w, 1);
}

static void test_stream_misc(void **state) {
  (void)state;
  cq_bn_msg m;
  cq_bn_msg_init(&m);
  const char *ack = "{\"result\":null,\"id\":3}";
  assert_int_equal(cq_bn_parse_stream(ack, strlen(ack), NULL, 0, &m, NULL), 0);
  assert_int_equal(m.kind, CQ_BN_MSG_RESULT);
  assert_int_equal(m.request_id, 3);
  assert_false(m.has_event);
  const char *end = "{\"e\":\"listenKeyExpired\",\"E\":1576653824250,\"listenKey\":\"x\"}";
  assert_int_equal(cq_bn_parse_stream(end, strlen(end), NULL, 0, &m, NULL), 0);
  assert_int_equal(m.kind, CQ_BN_MSG_STREAM_END);
  assert_string_equal(m.event, "listenKeyExpired");
  /* A canceled order reports under the cancel's id; the order's own id is C. */
  const char *cx =
      "{\"e\":\"executionReport\",\"E\":1,\"s\":\"BTCUSDT\",\"c\":\"cancel-1\","
      "\"C\":\"order-1\",\"S\":\"SELL\",\"o\":\"LIMIT_MAKER\",\"f\":\"GTC\","
      "\"q\":\"1\",\"p\":\"2\",\"P\":\"0\",\"x\":\"CANCELED\",\"X\":\"CANCELED\","
      "\"r\":\"NONE\",\"i\":9,\"z\":\"0\",\"Z\":\"0\",\"T\":2,\"O\":1}";
  cq_bn_symbols *syms = test_syms();
  assert_int_equal(cq_bn_parse_stream(cx, strlen(cx), syms, 0, &m, NULL), 0);
  assert_string_equal(m.ev.u.order.order.client_id, "order-1");
  assert_string_equal(m.ev.u.order.order.symbol, "BTC/USDT");
  assert_int_equal(m.ev.u.order.order.tif, CQ_TIF_POST_ONLY);
  assert_int_equal(m.ev.u.order.order.state, CQ_OS_CANCELLED);
  assert_false(m.ev.u.order.has_fill);
  /* EXPIRED_IN_MATCH (self-trade prevention) is an expiry. */
  cq_order_state st;
  assert_int_equal(cq_bn_order_status("EXPIRED_IN_MATCH", &st, NULL), 0);
  assert_int_equal(st, CQ_OS_EXPIRED);
  assert_int_equal(cq_bn_order_status("PARTIALLY_FILLED", &st, NULL), 0);
  assert_int_equal(st, CQ_OS_PARTIAL);
  assert_int_equal(cq_bn_order_status("NOPE", &st, NULL), CQ_EUNSUPPORTED);
  /* A message reused after an error holds no stale event. */
  const char *bad = "{\"e\":\"trade\",\"E\":1}";
  assert_int_equal(cq_bn_parse_stream(bad, strlen(bad), NULL, 0, &m, NULL), CQ_EPARSE);
  assert_false(m.has_event);
  cq_bn_symbols_free(syms);
  cq_bn_msg_release(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_local_payloads), cmocka_unit_test(test_shared_payloads),
      cmocka_unit_test(test_malformed),      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_encode),         cmocka_unit_test(test_symbols),
      cmocka_unit_test(test_intervals),      cmocka_unit_test(test_weights),
      cmocka_unit_test(test_stream_misc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
