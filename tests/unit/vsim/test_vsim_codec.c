/* The simulator and the Binance adapter's codec agree: every answer and message the
 * simulator makes is decoded by the codec (src/venue/binance) into the values the
 * simulator holds, and every error into the class the adapter acts on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "binance.h"
#include "cquant/vsim.h"
#include "internal.h"

#define KEY "codec"
#define SECRET "codec-secret"
#define T0 INT64_C(1735732800000) /* 2025-01-01T12:00:00Z */

typedef struct reply {
  int status;
  char *body;
  char headers[512];
} reply;

static cq_vsim *make(void) {
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  static const cq_vsim_account acc[] = {{KEY, SECRET, "USDT=50000,BTC=1"}};
  o.accounts = acc;
  o.naccounts = 1;
  o.weight_limit = 100;
  cq_vsim *s;
  cq_error err;
  if (cq_vsim_new(&o, &s, &err)) fail_msg("%s", err.msg);
  cq_vsim_set_clock(s, T0 + 30000);
  return s;
}

static reply call(cq_vsim *s, const char *method, const char *path, const char *params, bool sign) {
  char q[1024];
  if (sign) {
    char sig[65];
    snprintf(q, sizeof q, "%s%stimestamp=%lld", params, *params ? "&" : "",
             (long long)cq_vsim_now_ms(s));
    assert_int_equal(cq_bn_sign(SECRET, q, strlen(q), sig, NULL), CQ_OK);
    size_t n = strlen(q);
    snprintf(q + n, sizeof q - n, "&signature=%s", sig);
  } else {
    snprintf(q, sizeof q, "%s", params);
  }
  cq_srv_response r;
  cq_vsim_handle(s, method, path, q, "", KEY, &r);
  reply a = {.status = r.status, .body = r.body};
  snprintf(a.headers, sizeof a.headers, "%s", r.headers ? r.headers : "");
  free(r.headers);
  return a;
}

static cq_bn_symbols *symbols_of(cq_vsim *s) {
  reply a = call(s, "GET", "/api/v3/exchangeInfo", "", false);
  cq_bn_exchange_info xi;
  cq_error err;
  if (cq_bn_parse_exchange_info(a.body, strlen(a.body), &xi, &err)) fail_msg("%s", err.msg);
  free(a.body);
  cq_bn_symbols *syms;
  assert_int_equal(cq_bn_symbols_new(xi.instruments, xi.ninstruments, &syms, NULL), CQ_OK);
  cq_bn_exchange_info_release(&xi);
  return syms;
}

static void test_market_data(void **state) {
  (void)state;
  cq_vsim *s = make();
  cq_error err;
  reply a = call(s, "GET", "/api/v3/time", "", false);
  cq_time t;
  assert_int_equal(cq_bn_parse_server_time(a.body, strlen(a.body), &t, &err), CQ_OK);
  assert_int_equal(t, (T0 + 30000) * CQ_NS_PER_MS);
  free(a.body);
  a = call(s, "GET", "/api/v3/exchangeInfo", "", false);
  cq_bn_exchange_info xi;
  if (cq_bn_parse_exchange_info(a.body, strlen(a.body), &xi, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(xi.ninstruments, 2);
  assert_string_equal(xi.instruments[0].symbol, "BTC/USDT");
  assert_true(cq_dec_eq(xi.instruments[0].tick, CQ_DEC(1, 2)));
  assert_true(cq_dec_eq(xi.instruments[0].lot, CQ_DEC(1, 5)));
  assert_true(cq_dec_eq(xi.instruments[0].min_notional, CQ_DEC(5, 0)));
  assert_true(xi.nlimits >= 2);
  cq_bn_exchange_info_release(&xi);
  /* klines: the last one forming */
  a = call(s, "GET", "/api/v3/klines", "symbol=BTCUSDT&interval=1m&limit=3", false);
  cq_candles c;
  cq_candles_init(&c, 0);
  if (cq_bn_parse_klines(a.body, strlen(a.body), (T0 + 30000) * CQ_NS_PER_MS, &c, &err))
    fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(c.len, 3);
  assert_int_equal(c.open_time[2], T0 * CQ_NS_PER_MS);
  assert_false(c.closed[2]);
  assert_true(c.closed[1]);
  cq_candles_release(&c);
  /* depth: a valid book at the step */
  a = call(s, "GET", "/api/v3/depth", "symbol=ETHUSDT&limit=20", false);
  cq_l2book *b;
  assert_int_equal(cq_l2book_new(1000, &b, NULL), CQ_OK);
  if (cq_bn_parse_depth(a.body, strlen(a.body), b, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_true(cq_l2book_valid(b));
  assert_int_equal(cq_l2book_seq(b), (T0 + 30000) / 100);
  assert_int_equal(cq_l2book_depth(b, CQ_SIDE_BUY), 20);
  cq_l2book_free(b);
  /* trades */
  cq_trades tr;
  cq_trades_init(&tr, 0);
  a = call(s, "GET", "/api/v3/trades", "symbol=BTCUSDT&limit=7", false);
  assert_int_equal(cq_bn_parse_trades(a.body, strlen(a.body), &tr, &err), CQ_OK);
  free(a.body);
  assert_int_equal(tr.len, 7);
  a = call(s, "GET", "/api/v3/aggTrades", "symbol=BTCUSDT&limit=5", false);
  assert_int_equal(cq_bn_parse_agg_trades(a.body, strlen(a.body), &tr, &err), CQ_OK);
  free(a.body);
  assert_int_equal(tr.len, 12);
  cq_trades_release(&tr);
  /* tickers */
  char native[CQ_SYMBOL_MAX];
  cq_quote q;
  a = call(s, "GET", "/api/v3/ticker/bookTicker", "symbol=BTCUSDT", false);
  assert_int_equal(cq_bn_parse_book_ticker(a.body, strlen(a.body), native, &q, &err), CQ_OK);
  free(a.body);
  assert_string_equal(native, "BTCUSDT");
  assert_true(cq_dec_cmp(q.ask, q.bid) > 0);
  cq_ticker tk;
  a = call(s, "GET", "/api/v3/ticker/24hr", "symbol=BTCUSDT", false);
  if (cq_bn_parse_ticker_24h(a.body, strlen(a.body), native, &tk, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_true(cq_dec_sign(tk.last) > 0);
  cq_dec px;
  a = call(s, "GET", "/api/v3/avgPrice", "symbol=BTCUSDT", false);
  assert_int_equal(cq_bn_parse_avg_price(a.body, strlen(a.body), &px, NULL, &err), CQ_OK);
  free(a.body);
  assert_true(cq_dec_sign(px) > 0);
  a = call(s, "GET", "/api/v3/ticker/price", "symbol=BTCUSDT", false);
  assert_int_equal(cq_bn_parse_price(a.body, strlen(a.body), native, &px, &err), CQ_OK);
  free(a.body);
  cq_vsim_free(s);
}

static void test_orders(void **state) {
  (void)state;
  cq_vsim *s = make();
  cq_bn_symbols *syms = symbols_of(s);
  cq_error err;
  /* the adapter's own encoding of an order */
  cq_venue_order_req rq = {.symbol = "BTC/USDT",
                           .client_id = "cx-1",
                           .side = CQ_SIDE_BUY,
                           .type = CQ_ORDER_MARKET,
                           .qty = CQ_DEC(2000, 5)};
  char enc[512];
  assert_true(cq_bn_encode_order(&rq, "BTCUSDT", enc, sizeof enc, &err) > 0);
  reply a = call(s, "POST", "/api/v3/order", enc, true);
  if (a.status != 200) fail_msg("%d %s", a.status, a.body);
  cq_venue_order o;
  cq_venue_fill *fills = NULL;
  size_t nf = 0;
  if (cq_bn_parse_order(a.body, strlen(a.body), syms, &o, &fills, &nf, &err))
    fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(o.state, CQ_OS_FILLED);
  assert_string_equal(o.client_id, "cx-1");
  assert_true(cq_dec_eq(o.filled, CQ_DEC(2000, 5)));
  assert_true(nf >= 1);
  cq_dec sum = CQ_DEC(0, 0);
  for (size_t i = 0; i < nf; i++) assert_int_equal(cq_dec_add(sum, fills[i].qty, &sum, NULL), 0);
  assert_true(cq_dec_eq(sum, o.filled));
  free(fills);
  /* a resting post-only, queried, listed, cancelled */
  a = call(s, "GET", "/api/v3/ticker/bookTicker", "symbol=BTCUSDT", false);
  cq_quote q;
  assert_int_equal(cq_bn_parse_book_ticker(a.body, strlen(a.body), NULL, &q, &err), CQ_OK);
  free(a.body);
  rq = (cq_venue_order_req){.symbol = "BTC/USDT",
                            .client_id = "cx-2",
                            .side = CQ_SIDE_BUY,
                            .type = CQ_ORDER_LIMIT,
                            .tif = CQ_TIF_POST_ONLY,
                            .qty = CQ_DEC(1000, 5)};
  assert_int_equal(cq_dec_sub(q.bid, CQ_DEC(100, 0), &rq.price, NULL), 0);
  assert_true(cq_bn_encode_order(&rq, "BTCUSDT", enc, sizeof enc, &err) > 0);
  a = call(s, "POST", "/api/v3/order", enc, true);
  if (a.status != 200) fail_msg("%d %s", a.status, a.body);
  assert_int_equal(cq_bn_parse_order(a.body, strlen(a.body), syms, &o, NULL, NULL, &err), 0);
  free(a.body);
  assert_int_equal(o.state, CQ_OS_ACCEPTED);
  assert_int_equal(o.tif, CQ_TIF_POST_ONLY);
  a = call(s, "GET", "/api/v3/openOrders", "symbol=BTCUSDT", true);
  cq_venue_order *list;
  size_t n;
  assert_int_equal(cq_bn_parse_orders(a.body, strlen(a.body), syms, &list, &n, &err), CQ_OK);
  free(a.body);
  assert_int_equal(n, 1);
  assert_string_equal(list[0].client_id, "cx-2");
  free(list);
  a = call(s, "DELETE", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=cx-2", true);
  assert_int_equal(cq_bn_parse_order(a.body, strlen(a.body), syms, &o, NULL, NULL, &err), 0);
  free(a.body);
  assert_int_equal(o.state, CQ_OS_CANCELLED);
  assert_string_equal(o.client_id, "cx-2");
  a = call(s, "GET", "/api/v3/allOrders", "symbol=BTCUSDT", true);
  assert_int_equal(cq_bn_parse_orders(a.body, strlen(a.body), syms, &list, &n, &err), CQ_OK);
  free(a.body);
  assert_int_equal(n, 2);
  free(list);
  a = call(s, "GET", "/api/v3/account", "", true);
  cq_balance *bal;
  assert_int_equal(cq_bn_parse_account(a.body, strlen(a.body), &bal, &n, &err), CQ_OK);
  free(a.body);
  assert_int_equal(n, 2);
  free(bal);
  a = call(s, "GET", "/api/v3/myTrades", "symbol=BTCUSDT", true);
  cq_venue_fill *mt;
  assert_int_equal(cq_bn_parse_my_trades(a.body, strlen(a.body), syms, &mt, &n, &err), CQ_OK);
  free(a.body);
  assert_true(n >= 1);
  assert_string_equal(mt[0].symbol, "BTC/USDT");
  free(mt);
  cq_bn_symbols_free(syms);
  cq_vsim_free(s);
}

/* The error answers, decoded into what the adapter does next. */
static void expect_class(cq_vsim *s, const char *method, const char *path, const char *params,
                         bool sign, cq_verr cls, int code) {
  reply a = call(s, method, path, params, sign);
  cq_verror ve;
  cq_verror_clear(&ve);
  cq_bn_decode_error(a.status, a.body, strlen(a.body), &ve);
  if (ve.cls != cls || (code && ve.venue_code != code))
    fail_msg("%s %s: %d %s decoded as %s %d", method, path, a.status, a.body, cq_verr_name(ve.cls),
             ve.venue_code);
  free(a.body);
}

static void test_errors(void **state) {
  (void)state;
  cq_vsim *s = make();
  expect_class(s, "POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=10", true,
               CQ_VERR_INSUFFICIENT, -2010);
  expect_class(s, "GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=none", true,
               CQ_VERR_NOT_FOUND, -2013);
  expect_class(s, "GET", "/api/v3/klines", "symbol=NOPE&interval=1m", false, CQ_VERR_BAD_REQUEST,
               -1121);
  expect_class(s, "GET", "/api/v3/account", "timestamp=1&signature=00", false, CQ_VERR_AUTH, -1022);
  char q[128];
  snprintf(q, sizeof q, "timestamp=%lld", (long long)(T0 + 30000 + 5000));
  char sig[65], full[256];
  assert_int_equal(cq_bn_sign(SECRET, q, strlen(q), sig, NULL), CQ_OK);
  snprintf(full, sizeof full, "%s&signature=%s", q, sig);
  expect_class(s, "GET", "/api/v3/account", full, false, CQ_VERR_TIMESTAMP, -1021);
  cq_vsim_fault_spec f;
  assert_int_equal(cq_vsim_fault_parse("5xx:1:/api/v3/order", &f, NULL), CQ_OK);
  assert_int_equal(cq_vsim_fault(s, &f, NULL), CQ_OK);
  expect_class(s, "POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001",
               true, CQ_VERR_UNKNOWN_OUTCOME, 0);
  /* over the weight limit (100): 429, then 418 */
  for (int i = 0; i < 4; i++) {
    reply a = call(s, "GET", "/api/v3/exchangeInfo", "", false);
    free(a.body);
  }
  expect_class(s, "GET", "/api/v3/ping", "", false, CQ_VERR_BANNED, -1003);
  cq_vsim_free(s);
  s = make();
  for (int i = 0; i < 5; i++) { /* 5 x 20: at the limit */
    reply a = call(s, "GET", "/api/v3/exchangeInfo", "", false);
    free(a.body);
  }
  expect_class(s, "GET", "/api/v3/exchangeInfo", "", false, CQ_VERR_RATE_LIMITED, -1003);
  cq_vsim_free(s);
}

static void test_stream_messages(void **state) {
  (void)state;
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  static const cq_vsim_account acc[] = {{KEY, SECRET, "USDT=50000"}};
  o.accounts = acc;
  o.naccounts = 1;
  vm_market m;
  assert_int_equal(vm_init(&m, &o, NULL), CQ_OK);
  vx_exchange *x;
  assert_int_equal(vx_new(&m, &o, &x, NULL), CQ_OK);
  cq_bn_symbols *syms;
  cq_instrument ins[2] = {m.syms[0].ins, m.syms[1].ins};
  assert_int_equal(cq_bn_symbols_new(ins, 2, &syms, NULL), CQ_OK);
  cq_bn_msg msg;
  cq_bn_msg_init(&msg);
  cq_error err;
  vx_new_order r = {.account = 0,
                    .sym = 0,
                    .client_id = "sm-1",
                    .side = CQ_SIDE_BUY,
                    .type = CQ_ORDER_MARKET,
                    .qty = CQ_DEC(1000, 5)};
  vx_order ord;
  vx_fill fl[8];
  size_t nf;
  vx_result res;
  assert_int_equal(vx_place(x, &r, T0, &ord, fl, 8, &nf, &res), CQ_OK);
  vx_event ev[32];
  size_t n = vx_events_take(x, ev, 32);
  vd_binance b;
  memset(&b, 0, sizeof b);
  b.mkt = &m;
  int orders = 0, fills = 0, accounts = 0;
  for (size_t i = 0; i < n; i++) {
    char *txt = vd_binance_user_msg(&b, &ev[i]);
    if (cq_bn_parse_stream(txt, strlen(txt), syms, 0, &msg, &err)) fail_msg("%s: %s", txt, err.msg);
    free(txt);
    if (msg.kind == CQ_BN_MSG_EXECUTION) {
      orders++;
      assert_string_equal(msg.ev.u.order.order.client_id, "sm-1");
      if (msg.ev.u.order.has_fill) fills++;
    } else if (msg.kind == CQ_BN_MSG_ACCOUNT) {
      accounts++;
      assert_int_equal(msg.nbalances, 2);
    }
  }
  assert_true(orders >= 2 && fills >= 1 && accounts == 1);
  /* market messages */
  vm_trade t[16];
  size_t nt = vm_trades_range(&m, 1, T0, T0 + 5000, t, 16);
  assert_true(nt > 0);
  char *txt = vd_binance_trade_msg(&m, 1, &t[0], T0 + 5000, false);
  assert_int_equal(cq_bn_parse_stream(txt, strlen(txt), syms, 0, &msg, &err), CQ_OK);
  free(txt);
  assert_int_equal(msg.kind, CQ_BN_MSG_TRADE);
  assert_string_equal(msg.ev.symbol, "ETH/USDT");
  txt = vd_binance_kline_msg(&m, 0, "1h", 3600000, T0, T0 + 60000);
  assert_int_equal(cq_bn_parse_stream(txt, strlen(txt), syms, 0, &msg, &err), CQ_OK);
  free(txt);
  assert_int_equal(msg.kind, CQ_BN_MSG_KLINE);
  assert_false(msg.ev.u.kline.candle.closed);
  vm_level bids[3], asks[3];
  vm_book(&m, 0, T0 / 100, bids, asks, 3);
  txt = vd_binance_book_ticker_msg(&m, 0, T0 / 100, &bids[0], &asks[0]);
  assert_int_equal(cq_bn_parse_stream(txt, strlen(txt), syms, 0, &msg, &err), CQ_OK);
  free(txt);
  assert_int_equal(msg.kind, CQ_BN_MSG_BOOK_TICKER);
  txt = vd_binance_depth_msg(&m, 0, 10, 12, T0, bids, 3, asks, 3);
  cq_bn_depth_diff d;
  cq_bn_depth_diff_init(&d);
  assert_int_equal(cq_bn_parse_depth_update(txt, strlen(txt), &d, &err), CQ_OK);
  free(txt);
  assert_int_equal(d.first_id, 10);
  assert_int_equal(d.final_id, 12);
  assert_int_equal(d.nbids, 3);
  cq_bn_depth_diff_release(&d);
  cq_bn_msg_release(&msg);
  cq_bn_symbols_free(syms);
  vx_free(x);
  vm_release(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_market_data),
      cmocka_unit_test(test_orders),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_stream_messages),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
