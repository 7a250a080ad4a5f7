/* The Bybit codec against every recorded payload: each spot or product-neutral file decodes
 * and its values equal the JSON's (read here on their own with jansson); every other
 * product's file gives the unsupported error naming it. Runs over the shared data folder
 * when present and always over the copies in tests/data. Then malformed input, error
 * bodies, the encoders, symbols, intervals, signing and the book synchronizer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bybit.h"
#include "payload_check.h"

/* A symbol map of the pairs the payloads name (ICPUSDT is left out: kept native). */
static cq_bn_symbols *test_syms(void) {
  static const char *const pairs[][2] = {
      {"BTC", "USDT"}, {"ETH", "USDT"}, {"SOL", "USDT"}, {"XRP", "USDT"}};
  cq_instrument in[4];
  memset(in, 0, sizeof in);
  for (size_t i = 0; i < 4; i++) {
    snprintf(in[i].symbol, sizeof in[i].symbol, "%s/%s", pairs[i][0], pairs[i][1]);
    snprintf(in[i].native, sizeof in[i].native, "%s%s", pairs[i][0], pairs[i][1]);
    strcpy(in[i].base, pairs[i][0]);
    strcpy(in[i].quote, pairs[i][1]);
  }
  cq_bn_symbols *s;
  assert_int_equal(cq_bn_symbols_new(in, 4, &s, NULL), 0);
  return s;
}

/* The unified name of native as the map above gives it. */
static void unified_is(const char *got, const char *native) {
  cq_bn_symbols *s = test_syms();
  const char *u = cq_bn_to_unified(s, native);
  assert_string_equal(got, u ? u : native);
  cq_bn_symbols_free(s);
}

static json_t *list_of(json_t *j) {
  return json_object_get(json_object_get(j, "result"), "list");
}

static cq_side side_of(const char *s) {
  return strcmp(s, "Buy") == 0 ? CQ_SIDE_BUY : CQ_SIDE_SELL;
}

/* ---- REST ---------------------------------------------------------------------------------- */

static void c_instruments(const char *s, size_t n, json_t *j) {
  cq_instrument *in = NULL;
  size_t cnt = 0;
  cq_error e;
  if (cq_bybit_parse_instruments(s, n, &in, &cnt, &e)) fail_msg("%s", e.msg);
  json_t *l = list_of(j);
  assert_int_equal(cnt, json_array_size(l));
  for (size_t i = 0; i < cnt; i++) {
    json_t *o = json_array_get(l, i);
    json_t *lot = json_object_get(o, "lotSizeFilter"), *pf = json_object_get(o, "priceFilter");
    assert_string_equal(in[i].venue, "bybit");
    assert_string_equal(in[i].native, pc_str(o, "symbol"));
    char u[64];
    snprintf(u, sizeof u, "%s/%s", pc_str(o, "baseCoin"), pc_str(o, "quoteCoin"));
    assert_string_equal(in[i].symbol, u);
    DEC(in[i].tick, pf, "tickSize");
    DEC(in[i].lot, lot, "basePrecision");
    DEC(in[i].min_qty, lot, "minOrderQty");
    DEC(in[i].min_notional, lot, "minOrderAmt");
    assert_int_equal(in[i].status, strcmp(pc_str(o, "status"), "Trading") == 0
                                       ? CQ_INSTRUMENT_TRADING
                                       : CQ_INSTRUMENT_HALTED);
  }
  free(in);
}

static void c_instruments_other(const char *s, size_t n, json_t *j) {
  (void)j;
  cq_instrument *in = NULL;
  size_t cnt = 0;
  cq_error e;
  assert_int_equal(cq_bybit_parse_instruments(s, n, &in, &cnt, &e), CQ_EUNSUPPORTED);
  assert_non_null(strstr(e.msg, "not supported"));
  assert_null(in);
}

static void c_klines(const char *s, size_t n, json_t *j) {
  cq_candles c;
  cq_candles_init(&c, 1000);
  cq_error e;
  cq_timeframe tf = {.n = 1, .unit = CQ_TF_MINUTE};
  json_t *l = list_of(j);
  size_t rows = json_array_size(l);
  /* "now" one minute after the newest row opened: the newest is closed just then. */
  cq_time newest = pc_ms(json_array_get(json_array_get(l, 0), 0));
  if (cq_bybit_parse_klines(s, n, tf, newest + 60 * CQ_NS_PER_SEC, &c, &e)) fail_msg("%s", e.msg);
  assert_int_equal(c.len, rows);
  for (size_t i = 0; i < rows; i++) {
    json_t *r = json_array_get(l, i);
    cq_candle k;
    cq_candles_get(&c, rows - 1 - i, &k);
    assert_true(k.open_time == pc_ms(json_array_get(r, 0)));
    pc_dbl_is(k.open, json_array_get(r, 1));
    pc_dbl_is(k.high, json_array_get(r, 2));
    pc_dbl_is(k.low, json_array_get(r, 3));
    pc_dbl_is(k.close, json_array_get(r, 4));
    pc_dbl_is(k.volume, json_array_get(r, 5));
    pc_dbl_is(k.quote_volume, json_array_get(r, 6));
    assert_true(k.closed);
  }
  cq_candles_clear(&c);
  /* A millisecond earlier, the newest is still forming. */
  assert_int_equal(
      cq_bybit_parse_klines(s, n, tf, newest + 60 * CQ_NS_PER_SEC - CQ_NS_PER_MS, &c, &e), 0);
  cq_candle k;
  cq_candles_get(&c, c.len - 1, &k);
  assert_false(k.closed);
  cq_candles_release(&c);
}

static void c_trades(const char *s, size_t n, json_t *j) {
  cq_trades t;
  cq_trades_init(&t, 1000);
  cq_error e;
  if (cq_bybit_parse_trades(s, n, &t, &e)) fail_msg("%s", e.msg);
  json_t *l = list_of(j);
  size_t rows = json_array_size(l);
  assert_int_equal(t.len, rows);
  for (size_t i = 0; i < rows; i++) {
    json_t *o = json_array_get(l, i);
    cq_trade tr;
    cq_trades_get(&t, rows - 1 - i, &tr);
    assert_string_equal(tr.id, pc_str(o, "execId"));
    DEC(tr.price, o, "price");
    DEC(tr.qty, o, "size");
    assert_int_equal(tr.taker_side, side_of(pc_str(o, "side")));
    assert_true(tr.time == MSOF(o, "time"));
  }
  cq_trades_release(&t);
}

static void c_book(const char *s, size_t n, json_t *j) {
  cq_l2book *b;
  assert_int_equal(cq_l2book_new(100, &b, NULL), 0);
  cq_error e;
  if (cq_bybit_parse_book(s, n, b, &e)) fail_msg("%s", e.msg);
  json_t *r = json_object_get(j, "result");
  assert_true(cq_l2book_valid(b));
  assert_true(cq_l2book_seq(b) == (uint64_t)json_integer_value(json_object_get(r, "u")));
  assert_true(cq_l2book_time(b) == MSOF(r, "ts"));
  json_t *bids = json_object_get(r, "b"), *asks = json_object_get(r, "a");
  assert_int_equal(cq_l2book_depth(b, CQ_SIDE_BUY), json_array_size(bids));
  assert_int_equal(cq_l2book_depth(b, CQ_SIDE_SELL), json_array_size(asks));
  for (size_t i = 0; i < json_array_size(bids); i++) {
    cq_dec p, q;
    assert_true(cq_l2book_level(b, CQ_SIDE_BUY, i, &p, &q));
    pc_dec_is(p, json_array_get(json_array_get(bids, i), 0), false);
    pc_dec_is(q, json_array_get(json_array_get(bids, i), 1), false);
  }
  for (size_t i = 0; i < json_array_size(asks); i++) {
    cq_dec p, q;
    assert_true(cq_l2book_level(b, CQ_SIDE_SELL, i, &p, &q));
    pc_dec_is(p, json_array_get(json_array_get(asks, i), 0), false);
    pc_dec_is(q, json_array_get(json_array_get(asks, i), 1), false);
  }
  cq_l2book_free(b);
}

/* Coins of every account: locked `locked` (0 absent), free walletBalance - locked. */
static void balances_are(const cq_balance *b, size_t cnt, json_t *accounts) {
  size_t k = 0, i;
  json_t *a;
  json_array_foreach(accounts, i, a) {
    size_t x;
    json_t *c;
    json_array_foreach(json_object_get(a, "coin"), x, c) {
      assert_true(k < cnt);
      assert_string_equal(b[k].asset, pc_str(c, "coin"));
      DEC0(b[k].locked, c, "locked");
      double wallet = strtod(pc_str(c, "walletBalance"), NULL);
      json_t *lv = json_object_get(c, "locked");
      double locked = json_is_string(lv) ? strtod(json_string_value(lv), NULL) : 0;
      double want = wallet > locked ? wallet - locked : 0;
      double got = cq_dec_to_double(b[k].free);
      assert_true(got - want < 1e-9 && want - got < 1e-9);
      k++;
    }
  }
  assert_int_equal(k, cnt);
}

static void c_balances(const char *s, size_t n, json_t *j) {
  cq_balance *b = NULL;
  size_t cnt = 0;
  cq_error e;
  if (cq_bybit_parse_balances(s, n, &b, &cnt, &e)) fail_msg("%s", e.msg);
  balances_are(b, cnt, list_of(j));
  free(b);
}

static cq_order_state state_of(const char *st, const char *tif) {
  bool ioc = strcmp(tif, "IOC") == 0 || strcmp(tif, "FOK") == 0;
  if (!strcmp(st, "New") || !strcmp(st, "Untriggered") || !strcmp(st, "Triggered") ||
      !strcmp(st, "Created"))
    return CQ_OS_ACCEPTED;
  if (!strcmp(st, "PartiallyFilled")) return CQ_OS_PARTIAL;
  if (!strcmp(st, "Filled")) return CQ_OS_FILLED;
  if (!strcmp(st, "Rejected")) return CQ_OS_REJECTED;
  if (!strcmp(st, "Deactivated")) return CQ_OS_CANCELLED;
  assert_true(!strcmp(st, "Cancelled") || !strcmp(st, "PartiallyFilledCanceled"));
  return ioc ? CQ_OS_EXPIRED : CQ_OS_CANCELLED;
}

static void order_is(const cq_venue_order *o, json_t *d) {
  unified_is(o->symbol, pc_str(d, "symbol"));
  assert_string_equal(o->venue_id, pc_str(d, "orderId"));
  assert_string_equal(o->client_id, pc_str(d, "orderLinkId"));
  assert_int_equal(o->side, side_of(pc_str(d, "side")));
  DEC(o->qty, d, "qty");
  DEC0(o->filled, d, "cumExecQty");
  DEC0(o->filled_quote, d, "cumExecValue");
  const char *tif = pc_str(d, "timeInForce");
  assert_int_equal(o->state, state_of(pc_str(d, "orderStatus"), tif));
  assert_int_equal(o->tif, !strcmp(tif, "GTC")   ? CQ_TIF_GTC
                           : !strcmp(tif, "IOC") ? CQ_TIF_IOC
                           : !strcmp(tif, "FOK") ? CQ_TIF_FOK
                                                 : CQ_TIF_POST_ONLY);
  const char *st = pc_str(d, "stopOrderType");
  bool market = strcmp(pc_str(d, "orderType"), "Market") == 0;
  bool stop = st[0] && strcmp(st, "UNKNOWN") != 0 && strtod(pc_str(d, "triggerPrice"), NULL) > 0;
  assert_int_equal(o->type, stop ? (market ? CQ_ORDER_STOP : CQ_ORDER_STOP_LIMIT)
                                 : (market ? CQ_ORDER_MARKET : CQ_ORDER_LIMIT));
  if (stop)
    DEC(o->stop, d, "triggerPrice");
  else
    assert_true(cq_dec_is_zero(o->stop));
  if (market)
    assert_true(cq_dec_is_zero(o->price));
  else
    DEC(o->price, d, "price");
  assert_true(o->created == MSOF(d, "createdTime"));
  assert_true(o->updated == MSOF(d, "updatedTime"));
  const char *rr = pc_str(d, "rejectReason");
  if (rr[0] && strcmp(rr, "EC_NoError") != 0)
    assert_string_equal(o->reason, rr);
  else
    assert_string_equal(o->reason, "");
}

static void c_orders(const char *s, size_t n, json_t *j) {
  cq_bn_symbols *syms = test_syms();
  cq_venue_order *o = NULL;
  size_t cnt = 0;
  cq_error e;
  if (cq_bybit_parse_orders(s, n, syms, &o, &cnt, &e)) fail_msg("%s", e.msg);
  json_t *l = list_of(j);
  assert_int_equal(cnt, json_array_size(l));
  for (size_t i = 0; i < cnt; i++) order_is(&o[i], json_array_get(l, i));
  free(o);
  cq_bn_symbols_free(syms);
}

static void fill_is(const cq_venue_fill *f, json_t *d) {
  unified_is(f->symbol, pc_str(d, "symbol"));
  assert_string_equal(f->trade_id, pc_str(d, "execId"));
  assert_string_equal(f->venue_order_id, pc_str(d, "orderId"));
  assert_string_equal(f->client_id, pc_str(d, "orderLinkId"));
  assert_int_equal(f->side, side_of(pc_str(d, "side")));
  DEC(f->price, d, "execPrice");
  DEC(f->qty, d, "execQty");
  DEC0(f->fee, d, "execFee");
  json_t *fc = json_object_get(d, "feeCurrency");
  assert_string_equal(f->fee_asset, json_is_string(fc) ? json_string_value(fc) : "");
  assert_int_equal(f->liquidity,
                   json_is_true(json_object_get(d, "isMaker")) ? CQ_LIQ_MAKER : CQ_LIQ_TAKER);
  assert_true(f->time == MSOF(d, "execTime"));
}

static void c_fills(const char *s, size_t n, json_t *j) {
  cq_bn_symbols *syms = test_syms();
  cq_venue_fill *f = NULL;
  size_t cnt = 0;
  cq_error e;
  if (cq_bybit_parse_fills(s, n, syms, &f, &cnt, &e)) fail_msg("%s", e.msg);
  json_t *l = list_of(j);
  assert_int_equal(cnt, json_array_size(l));
  for (size_t i = 0; i < cnt; i++) fill_is(&f[i], json_array_get(l, i));
  free(f);
  cq_bn_symbols_free(syms);
}

static void c_fee(const char *s, size_t n, json_t *j) {
  json_t *l = list_of(j);
  for (size_t i = 0; i < json_array_size(l); i++) {
    json_t *o = json_array_get(l, i);
    cq_dec mk, tk;
    cq_error e;
    if (cq_bybit_parse_fee_rates(s, n, pc_str(o, "symbol"), &mk, &tk, &e)) fail_msg("%s", e.msg);
    DEC(mk, o, "makerFeeRate");
    DEC(tk, o, "takerFeeRate");
  }
  cq_dec mk, tk;
  cq_error e;
  assert_int_equal(cq_bybit_parse_fee_rates(s, n, "NOPEUSDT", &mk, &tk, &e), CQ_ENOTFOUND);
}

static void c_unsupported(const char *s, size_t n, json_t *j) {
  cq_error e;
  assert_int_equal(cq_bybit_check_product(s, n, &e), CQ_EUNSUPPORTED);
  assert_non_null(strstr(e.msg, "not supported"));
  if (json_object_get(j, "topic")) {
    cq_bybit_msg m;
    cq_bybit_msg_init(&m);
    assert_int_equal(cq_bybit_parse_ws(s, n, NULL, 1, &m, &e), CQ_EUNSUPPORTED);
    assert_int_equal(m.events.n, 0);
    assert_int_equal(m.nfills, 0);
    cq_bybit_msg_release(&m);
  }
}

/* ---- stream ------------------------------------------------------------------------------ */

static void ws(const char *s, size_t n, cq_bybit_msg *m) {
  cq_bn_symbols *syms = test_syms();
  cq_error e;
  cq_bybit_msg_init(m);
  if (cq_bybit_parse_ws(s, n, syms, 42, m, &e)) fail_msg("%s", e.msg);
  cq_bn_symbols_free(syms);
}

static void c_ws_trades(const char *s, size_t n, json_t *j) {
  cq_bybit_msg m;
  ws(s, n, &m);
  json_t *d = json_object_get(j, "data");
  assert_int_equal(m.kind, CQ_BYBIT_MSG_EVENTS);
  assert_int_equal(m.events.n, json_array_size(d));
  for (size_t i = 0; i < m.events.n; i++) {
    const cq_venue_event *ev = &m.events.ev[i];
    json_t *o = json_array_get(d, i);
    assert_int_equal(ev->kind, CQ_VEV_TRADE);
    assert_string_equal(ev->venue, "bybit");
    assert_true(ev->recv_time == 42);
    unified_is(ev->symbol, pc_str(o, "s"));
    assert_string_equal(ev->u.trade.id, pc_str(o, "i"));
    DEC(ev->u.trade.price, o, "p");
    DEC(ev->u.trade.qty, o, "v");
    assert_int_equal(ev->u.trade.taker_side, side_of(pc_str(o, "S")));
    assert_true(ev->event_time == MSOF(o, "T"));
  }
  cq_bybit_msg_release(&m);
}

static void c_ws_book(const char *s, size_t n, json_t *j) {
  cq_bybit_msg m;
  ws(s, n, &m);
  json_t *d = json_object_get(j, "data");
  assert_int_equal(m.kind, CQ_BYBIT_MSG_BOOK);
  assert_int_equal(m.book.snapshot, strcmp(pc_str(j, "type"), "snapshot") == 0);
  assert_string_equal(m.book.native, pc_str(d, "s"));
  assert_true(m.book.seq == json_integer_value(json_object_get(d, "u")));
  assert_true(m.book.cross_seq == json_integer_value(json_object_get(d, "seq")));
  assert_true(m.book.time == MSOF(j, "ts"));
  json_t *bids = json_object_get(d, "b"), *asks = json_object_get(d, "a");
  assert_int_equal(m.book.nbids, json_array_size(bids));
  assert_int_equal(m.book.nasks, json_array_size(asks));
  for (size_t i = 0; i < m.book.nbids; i++) {
    pc_dec_is(m.book.bids[i].price, json_array_get(json_array_get(bids, i), 0), false);
    pc_dec_is(m.book.bids[i].qty, json_array_get(json_array_get(bids, i), 1), false);
  }
  for (size_t i = 0; i < m.book.nasks; i++) {
    pc_dec_is(m.book.asks[i].price, json_array_get(json_array_get(asks, i), 0), false);
    pc_dec_is(m.book.asks[i].qty, json_array_get(json_array_get(asks, i), 1), false);
  }
  cq_bybit_msg_release(&m);
}

static void c_ws_kline(const char *s, size_t n, json_t *j) {
  cq_bybit_msg m;
  ws(s, n, &m);
  json_t *d = json_object_get(j, "data");
  assert_int_equal(m.events.n, json_array_size(d));
  for (size_t i = 0; i < m.events.n; i++) {
    json_t *o = json_array_get(d, i);
    const cq_venue_event *ev = &m.events.ev[i];
    assert_int_equal(ev->kind, CQ_VEV_KLINE);
    assert_string_equal(ev->symbol, "BTC/USDT");
    cq_timeframe tf;
    assert_int_equal(cq_bybit_interval_parse(pc_str(o, "interval"), &tf, NULL), 0);
    assert_int_equal(ev->u.kline.tf.n, tf.n);
    assert_int_equal(ev->u.kline.tf.unit, tf.unit);
    const cq_candle *k = &ev->u.kline.candle;
    assert_true(k->open_time == MSOF(o, "start"));
    pc_dbl_is(k->open, json_object_get(o, "open"));
    pc_dbl_is(k->high, json_object_get(o, "high"));
    pc_dbl_is(k->low, json_object_get(o, "low"));
    pc_dbl_is(k->close, json_object_get(o, "close"));
    pc_dbl_is(k->volume, json_object_get(o, "volume"));
    pc_dbl_is(k->quote_volume, json_object_get(o, "turnover"));
    assert_int_equal(k->closed, json_is_true(json_object_get(o, "confirm")));
    assert_true(ev->event_time == MSOF(o, "timestamp"));
  }
  cq_bybit_msg_release(&m);
}

static void c_ws_ticker(const char *s, size_t n, json_t *j) {
  cq_bybit_msg m;
  ws(s, n, &m);
  json_t *o = json_object_get(j, "data");
  assert_int_equal(m.events.n, 1);
  const cq_venue_event *ev = &m.events.ev[0];
  assert_int_equal(ev->kind, CQ_VEV_TICKER);
  unified_is(ev->symbol, pc_str(o, "symbol"));
  const cq_ticker *t = &ev->u.ticker;
  DEC(t->last, o, "lastPrice");
  DEC(t->open, o, "prevPrice24h");
  DEC(t->high, o, "highPrice24h");
  DEC(t->low, o, "lowPrice24h");
  DEC(t->volume, o, "volume24h");
  DEC(t->quote_volume, o, "turnover24h");
  DEC(t->bid, o, "bid1Price");
  DEC(t->bid_qty, o, "bid1Size");
  DEC(t->ask, o, "ask1Price");
  DEC(t->ask_qty, o, "ask1Size");
  /* price24hPcnt is a fraction: the percentage is 100 times it. */
  double pct = strtod(pc_str(o, "price24hPcnt"), NULL) * 100;
  double got = cq_dec_to_double(t->change_pct);
  assert_true(got - pct < 1e-9 && pct - got < 1e-9);
  assert_true(t->close_time == MSOF(j, "ts"));
  cq_bybit_msg_release(&m);
}

static void c_ws_orders(const char *s, size_t n, json_t *j) {
  cq_bybit_msg m;
  ws(s, n, &m);
  json_t *d = json_object_get(j, "data");
  assert_int_equal(m.kind, CQ_BYBIT_MSG_EVENTS);
  assert_int_equal(m.events.n, json_array_size(d));
  for (size_t i = 0; i < m.events.n; i++) {
    assert_int_equal(m.events.ev[i].kind, CQ_VEV_ORDER);
    assert_false(m.events.ev[i].u.order.has_fill);
    order_is(&m.events.ev[i].u.order.order, json_array_get(d, i));
    assert_true(m.events.ev[i].event_time == MSOF(json_array_get(d, i), "updatedTime"));
  }
  cq_bybit_msg_release(&m);
}

static void c_ws_fills(const char *s, size_t n, json_t *j) {
  cq_bybit_msg m;
  ws(s, n, &m);
  json_t *d = json_object_get(j, "data");
  assert_int_equal(m.kind, CQ_BYBIT_MSG_FILLS);
  assert_int_equal(m.nfills, json_array_size(d));
  for (size_t i = 0; i < m.nfills; i++) fill_is(&m.fills[i], json_array_get(d, i));
  cq_bybit_msg_release(&m);
}

static void c_ws_adl(const char *s, size_t n, json_t *j) {
  c_unsupported(s, n, j);
  cq_bybit_msg m;
  cq_error e;
  cq_bybit_msg_init(&m);
  assert_int_equal(cq_bybit_parse_ws(s, n, NULL, 1, &m, &e), CQ_EUNSUPPORTED);
  assert_non_null(strstr(e.msg, "AdlTrade"));
  assert_string_equal(e.field, "data[0].execType");
  cq_bybit_msg_release(&m);
}

static void c_ws_wallet(const char *s, size_t n, json_t *j) {
  cq_bybit_msg m;
  ws(s, n, &m);
  json_t *d = json_object_get(j, "data");
  size_t want = 0, i;
  json_t *a;
  json_array_foreach(d, i, a) want += json_array_size(json_object_get(a, "coin"));
  assert_int_equal(m.events.n, want);
  cq_balance *b = malloc((want ? want : 1) * sizeof *b);
  for (size_t k = 0; k < want; k++) {
    assert_int_equal(m.events.ev[k].kind, CQ_VEV_BALANCE);
    assert_true(m.events.ev[k].event_time == MSOF(j, "creationTime"));
    b[k] = m.events.ev[k].u.balance;
  }
  balances_are(b, want, d);
  free(b);
  cq_bybit_msg_release(&m);
}

static void c_ws_ack(const char *s, size_t n, json_t *j) {
  cq_bybit_msg m;
  ws(s, n, &m);
  assert_int_equal(m.kind, CQ_BYBIT_MSG_ACK);
  assert_string_equal(m.op, pc_str(j, "op"));
  json_t *ok = json_object_get(j, "success");
  json_t *code = json_object_get(j, "retCode");
  if (ok)
    assert_int_equal(m.success, json_is_true(ok));
  else
    assert_int_equal(m.success, json_integer_value(code) == 0);
  assert_int_equal(m.ret_code, code ? (int)json_integer_value(code) : 0);
  json_t *msg = json_object_get(j, "ret_msg");
  if (!msg) msg = json_object_get(j, "retMsg");
  assert_string_equal(m.ret_msg, json_string_value(msg));
  json_t *rid = json_object_get(j, "req_id");
  if (!rid) rid = json_object_get(j, "reqId");
  assert_string_equal(m.req_id, rid ? json_string_value(rid) : "");
  json_t *d = json_object_get(j, "data");
  if (d) {
    assert_string_equal(m.ack.venue_id, pc_str(d, "orderId"));
    assert_string_equal(m.ack.client_id, pc_str(d, "orderLinkId"));
    cq_bybit_ack a;
    cq_verror ve;
    assert_int_equal(cq_bybit_parse_ack(s, n, &a, &ve), 0);
    assert_string_equal(a.venue_id, pc_str(d, "orderId"));
  }
  cq_bybit_msg_release(&m);
}

static const pc_entry table[] = {
    {"http_get_account_info.json", c_unsupported, true},
    {"http_get_executions.json", c_fills, false},
    {"http_get_fee_rate.json", c_fee, false},
    {"http_get_funding_history.json", c_unsupported, true},
    {"http_get_instruments_inverse.json", c_instruments_other, true},
    {"http_get_instruments_inverse_symbol_type.json", c_instruments_other, true},
    {"http_get_instruments_linear.json", c_instruments_other, true},
    {"http_get_instruments_linear_symbol_type.json", c_instruments_other, true},
    {"http_get_instruments_option.json", c_instruments_other, true},
    {"http_get_instruments_option_symbol_id.json", c_instruments_other, true},
    {"http_get_instruments_spot.json", c_instruments, false},
    {"http_get_instruments_spot_xstocks.json", c_instruments, false},
    {"http_get_klines_linear.json", c_klines, false},
    {"http_get_order_partially_filled_rejected.json", c_orders, false},
    {"http_get_orderbook.json", c_book, false},
    {"http_get_orders_history.json", c_orders, false},
    {"http_get_orders_history_with_duplicate.json", c_orders, false},
    {"http_get_orders_realtime.json", c_orders, false},
    {"http_get_orders_realtime_tp_sl.json", c_orders, false},
    {"http_get_positions.json", c_unsupported, true},
    {"http_get_positions_with_open_time.json", c_unsupported, true},
    {"http_get_trades_recent.json", c_trades, false},
    {"http_get_user_escrow_sub_members.json", c_unsupported, true},
    {"http_get_user_query_api.json", c_unsupported, true},
    {"http_get_user_sub_apikeys.json", c_unsupported, true},
    {"http_get_user_sub_members.json", c_unsupported, true},
    {"http_get_user_sub_members_paged.json", c_unsupported, true},
    {"http_get_wallet_balance.json", c_balances, false},
    {"http_get_wallet_balance_spot_short.json", c_balances, false},
    {"http_get_wallet_balance_with_spot_borrow.json", c_balances, false},
    {"http_post_user_update_master_api.json", c_unsupported, true},
    {"http_post_user_update_sub_api.json", c_unsupported, true},
    {"ws_account_execution.json", c_ws_fills, false},
    {"ws_account_execution_adl.json", c_ws_adl, true},
    {"ws_account_execution_fast.json", c_ws_fills, false},
    {"ws_account_execution_fast_envelope_id.json", c_ws_fills, false},
    {"ws_account_order.json", c_ws_orders, false},
    {"ws_account_order_buy_stop_market.json", c_ws_orders, false},
    {"ws_account_order_filled.json", c_ws_orders, false},
    {"ws_account_order_limit_if_touched.json", c_ws_orders, false},
    {"ws_account_order_market_if_touched.json", c_ws_orders, false},
    {"ws_account_order_partially_filled_rejected.json", c_ws_orders, false},
    {"ws_account_order_sell_market_if_touched.json", c_ws_orders, false},
    {"ws_account_order_stop_limit.json", c_ws_orders, false},
    {"ws_account_order_stop_loss.json", c_ws_orders, false},
    {"ws_account_order_stop_market.json", c_ws_orders, false},
    {"ws_account_order_take_profit.json", c_ws_orders, false},
    {"ws_account_position.json", c_unsupported, true},
    {"ws_account_position_short.json", c_unsupported, true},
    {"ws_account_position_with_open_time.json", c_unsupported, true},
    {"ws_account_wallet.json", c_ws_wallet, false},
    {"ws_account_wallet_locked_exceeds_total.json", c_ws_wallet, false},
    {"ws_account_wallet_small_order.json", c_ws_wallet, false},
    {"ws_auth_failure.json", c_ws_ack, false},
    {"ws_auth_success.json", c_ws_ack, false},
    {"ws_kline.json", c_ws_kline, false},
    {"ws_order_response.json", c_ws_ack, false},
    {"ws_orderbook_delta.json", c_ws_book, false},
    {"ws_orderbook_snapshot.json", c_ws_book, false},
    {"ws_public_trade.json", c_ws_trades, false},
    {"ws_subscription_ack.json", c_ws_ack, false},
    {"ws_subscription_failure.json", c_ws_ack, false},
    {"ws_ticker_linear.json", c_ws_ticker, false},
    {"ws_ticker_option.json", c_unsupported, true},
};

static void test_local_payloads(void **state) {
  (void)state;
  int n = pc_run_dir(CQ_TEST_DATA "/exchange/bybit", table, sizeof table / sizeof table[0],
                     cq_bybit_check_product);
  assert_int_equal(n, 64);
}

static void test_shared_payloads(void **state) {
  (void)state;
  const char *dir = CQ_SHARED_DATA "/exchange/bybit";
  int n = pc_run_dir(dir, table, sizeof table / sizeof table[0], cq_bybit_check_product);
  if (n < 0) {
    print_message("skipped: no shared data (%s)\n", dir);
    skip();
  }
  assert_true(n >= 64);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_local_payloads),
      cmocka_unit_test(test_shared_payloads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
