/* The simulator's Bybit dialect without sockets: every answer decodes with the Bybit codec
 * (written against the venue's recorded payloads), kline paging by start / end (newest
 * first), signing and its retCodes, the order lifecycle by orderLinkId, and the faults in
 * Bybit's words (10006, 403). The clock is pinned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bybit.h"
#include "cquant/vsim.h"

#define KEY "bybitkey"
#define SECRET "bybitsecret"
#define T0 INT64_C(1735732800000) /* 2025-01-01T12:00:00Z */
#define MIN_MS INT64_C(60000)
#define HOUR_MS INT64_C(3600000)

typedef struct answer {
  int status;
  char *body;
  size_t len;
  bool drop;
} answer;

static cq_vsim *make_lim(int weight_limit) {
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  static const cq_vsim_account acc[] = {{KEY, SECRET, "USDT=10000,BTC=1"}};
  o.dialect = "bybit";
  o.accounts = acc;
  o.naccounts = 1;
  o.market = "synthetic:7";
  o.gaps[0].from_ms = T0 - 6 * HOUR_MS;
  o.gaps[0].to_ms = T0 - 4 * HOUR_MS;
  o.ngaps = 1;
  o.weight_limit = weight_limit;
  o.ban_ms = 60000;
  cq_vsim *s = NULL;
  cq_error err;
  if (cq_vsim_new(&o, &s, &err)) fail_msg("%s", err.msg);
  cq_vsim_set_clock(s, T0 + 30000);
  return s;
}

static cq_vsim *make(void) {
  return make_lim(0);
}

static answer call_h(cq_vsim *s, const char *method, const char *path, const char *query,
                     const char *body, const char *headers) {
  cq_srv_response r;
  cq_vsim_handle_headers(s, method, path, query, body, headers, &r);
  answer a = {.status = r.status, .body = r.body, .len = r.body_len, .drop = r.drop};
  free(r.headers);
  if (!a.body) a.body = strdup("");
  return a;
}

static answer get(cq_vsim *s, const char *path, const char *query) {
  return call_h(s, "GET", path, query, "", NULL);
}

static answer signed_at(cq_vsim *s, const char *method, const char *path, const char *query,
                        const char *body, int64_t ts_ms, const char *secret) {
  char sign[65], h[1024];
  cq_error err;
  if (cq_bybit_sign(secret, ts_ms, KEY, 5000, !strcmp(method, "GET") ? query : body, sign, &err))
    fail_msg("%s", err.msg);
  snprintf(h, sizeof h,
           "X-BAPI-API-KEY: %s\r\nX-BAPI-TIMESTAMP: %lld\r\nX-BAPI-RECV-WINDOW: 5000\r\n"
           "X-BAPI-SIGN: %s\r\n",
           KEY, (long long)ts_ms, sign);
  return call_h(s, method, path, query, body, h);
}

static answer sgn(cq_vsim *s, const char *method, const char *path, const char *query,
                  const char *body) {
  return signed_at(s, method, path, query, body, cq_vsim_now_ms(s), SECRET);
}

static cq_verr err_class(const answer *a, int *code) {
  cq_verror ve;
  cq_verror_clear(&ve);
  (void)cq_bybit_decode_error(a->status, a->body, a->len, &ve);
  if (code) *code = ve.venue_code;
  return ve.cls;
}

static void t_public(void **state) {
  (void)state;
  cq_vsim *s = make();
  cq_error err;
  answer a = get(s, "/v5/market/time", "");
  assert_int_equal(a.status, 200);
  assert_non_null(strstr(a.body, "\"timeSecond\":\"1735732830\""));
  free(a.body);
  a = get(s, "/v5/market/instruments-info", "category=spot");
  cq_instrument *ins = NULL;
  size_t n = 0;
  if (cq_bybit_parse_instruments(a.body, a.len, &ins, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(n, 2);
  assert_string_equal(ins[0].symbol, "BTC/USDT");
  assert_string_equal(ins[0].native, "BTCUSDT");
  assert_true(cq_dec_eq(ins[0].tick, CQ_DEC(1, 2)));
  assert_true(cq_dec_eq(ins[0].min_notional, CQ_DEC(5, 0)));
  free(ins);
  cq_timeframe m1, h1;
  assert_int_equal(cq_timeframe_parse("1m", &m1, &err), CQ_OK);
  assert_int_equal(cq_timeframe_parse("1h", &h1, &err), CQ_OK);
  cq_time now = (T0 + 30000) * CQ_NS_PER_MS;
  a = get(s, "/v5/market/kline", "category=spot&symbol=BTCUSDT&interval=1&limit=3");
  cq_candles c;
  cq_candles_init(&c, 0);
  if (cq_bybit_parse_klines(a.body, a.len, m1, now, &c, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(c.len, 3);
  assert_int_equal(c.open_time[2], T0 * CQ_NS_PER_MS);
  assert_false(c.closed[2]);
  assert_true(c.closed[1]);
  cq_candles_clear(&c);
  /* paging back with end = the oldest start - 1 */
  char q[256];
  snprintf(q, sizeof q, "category=spot&symbol=BTCUSDT&interval=60&end=%lld&limit=100",
           (long long)(T0 - 1));
  a = get(s, "/v5/market/kline", q);
  if (cq_bybit_parse_klines(a.body, a.len, h1, now, &c, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(c.len, 100);
  assert_int_equal(c.open_time[c.len - 1], (T0 - HOUR_MS) * CQ_NS_PER_MS);
  cq_candles_clear(&c);
  /* start and end: exactly the candles opening between them, the gap left out */
  snprintf(q, sizeof q, "category=spot&symbol=BTCUSDT&interval=60&start=%lld&end=%lld",
           (long long)(T0 - 10 * HOUR_MS), (long long)(T0 - HOUR_MS));
  a = get(s, "/v5/market/kline", q);
  if (cq_bybit_parse_klines(a.body, a.len, h1, now, &c, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(c.len, 8);
  cq_candles_release(&c);
  a = get(s, "/v5/market/kline", "category=spot&symbol=BTCUSDT&interval=7");
  int code = 0;
  assert_int_equal(err_class(&a, &code), CQ_VERR_BAD_REQUEST);
  assert_int_equal(code, 10001);
  free(a.body);
  a = get(s, "/v5/market/recent-trade", "category=spot&symbol=BTCUSDT&limit=7");
  cq_trades tr;
  cq_trades_init(&tr, 0);
  if (cq_bybit_parse_trades(a.body, a.len, &tr, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(tr.len, 7);
  assert_true(tr.time[0] <= tr.time[6]);
  cq_trades_release(&tr);
  a = get(s, "/v5/market/orderbook", "category=spot&symbol=ETHUSDT&limit=50");
  cq_l2book *b;
  assert_int_equal(cq_l2book_new(400, &b, NULL), CQ_OK);
  if (cq_bybit_parse_book(a.body, a.len, b, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_true(cq_l2book_valid(b));
  assert_int_equal(cq_l2book_depth(b, CQ_SIDE_BUY), 50);
  cq_l2book_free(b);
  a = get(s, "/v5/market/tickers", "category=spot&symbol=BTCUSDT");
  cq_ticker tk;
  char native[CQ_SYMBOL_MAX];
  if (cq_bybit_parse_ticker(a.body, a.len, native, &tk, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_string_equal(native, "BTCUSDT");
  assert_true(cq_dec_cmp(tk.ask, tk.bid) > 0);
  cq_vsim_free(s);
}

static void t_auth(void **state) {
  (void)state;
  cq_vsim *s = make();
  cq_error err;
  int code = 0;
  answer a = sgn(s, "GET", "/v5/account/wallet-balance", "accountType=UNIFIED", "");
  cq_balance *bal = NULL;
  size_t n = 0;
  if (cq_bybit_parse_balances(a.body, a.len, &bal, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(n, 2);
  free(bal);
  a = signed_at(s, "GET", "/v5/account/wallet-balance", "accountType=UNIFIED", "",
                cq_vsim_now_ms(s), "nope");
  assert_int_equal(err_class(&a, &code), CQ_VERR_AUTH);
  assert_int_equal(code, 10004);
  free(a.body);
  a = signed_at(s, "GET", "/v5/account/wallet-balance", "accountType=UNIFIED", "",
                cq_vsim_now_ms(s) - MIN_MS, SECRET);
  assert_int_equal(err_class(&a, &code), CQ_VERR_TIMESTAMP);
  assert_int_equal(code, 10002);
  free(a.body);
  a = get(s, "/v5/account/wallet-balance", "accountType=UNIFIED");
  assert_int_equal(err_class(&a, &code), CQ_VERR_AUTH);
  assert_int_equal(code, 10003);
  free(a.body);
  cq_vsim_free(s);
}

static void t_orders(void **state) {
  (void)state;
  cq_vsim *s = make();
  cq_error err;
  cq_verror ve;
  char body[1024], q[256];
  answer a = get(s, "/v5/market/tickers", "category=spot&symbol=BTCUSDT");
  cq_ticker tk;
  if (cq_bybit_parse_ticker(a.body, a.len, NULL, &tk, &err)) fail_msg("%s", err.msg);
  free(a.body);
  cq_venue_order_req rq;
  memset(&rq, 0, sizeof rq);
  snprintf(rq.symbol, sizeof rq.symbol, "BTC/USDT");
  snprintf(rq.client_id, sizeof rq.client_id, "abc-123");
  rq.side = CQ_SIDE_BUY;
  rq.type = CQ_ORDER_LIMIT;
  rq.tif = CQ_TIF_GTC;
  rq.qty = CQ_DEC(1, 3);
  double px = cq_dec_to_double(tk.bid) * 0.9;
  rq.price = CQ_DEC((int64_t)(px * 100), 2);
  if (cq_bybit_encode_order(&rq, "BTCUSDT", body, sizeof body, &err) < 0) fail_msg("%s", err.msg);
  a = sgn(s, "POST", "/v5/order/create", "", body);
  cq_bybit_ack ack;
  cq_verror_clear(&ve);
  if (cq_bybit_parse_ack(a.body, a.len, &ack, &ve)) fail_msg("%s", ve.e.msg);
  free(a.body);
  assert_string_equal(ack.client_id, "abc-123");
  assert_true(ack.venue_id[0] != 0);
  if (cq_bybit_order_query("BTCUSDT", "abc-123", q, sizeof q, &err) < 0) fail_msg("%s", err.msg);
  a = sgn(s, "GET", "/v5/order/realtime", q, "");
  cq_venue_order *ord = NULL;
  size_t n = 0;
  if (cq_bybit_parse_orders(a.body, a.len, NULL, &ord, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(n, 1);
  assert_int_equal(ord[0].state, CQ_OS_ACCEPTED);
  assert_true(cq_dec_eq(ord[0].qty, CQ_DEC(1, 3)));
  free(ord);
  /* open orders of the symbol */
  if (cq_bybit_order_query("BTCUSDT", NULL, q, sizeof q, &err) < 0) fail_msg("%s", err.msg);
  a = sgn(s, "GET", "/v5/order/realtime", q, "");
  if (cq_bybit_parse_orders(a.body, a.len, NULL, &ord, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(n, 1);
  free(ord);
  if (cq_bybit_encode_cancel("BTCUSDT", "abc-123", body, sizeof body, &err) < 0)
    fail_msg("%s", err.msg);
  a = sgn(s, "POST", "/v5/order/cancel", "", body);
  cq_verror_clear(&ve);
  if (cq_bybit_parse_ack(a.body, a.len, &ack, &ve)) fail_msg("%s", ve.e.msg);
  free(a.body);
  if (cq_bybit_order_query("BTCUSDT", "abc-123", q, sizeof q, &err) < 0) fail_msg("%s", err.msg);
  a = sgn(s, "GET", "/v5/order/realtime", q, "");
  if (cq_bybit_parse_orders(a.body, a.len, NULL, &ord, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(n, 1);
  assert_int_equal(ord[0].state, CQ_OS_CANCELLED);
  free(ord);
  /* cancelling again: not found */
  a = sgn(s, "POST", "/v5/order/cancel", "", body);
  cq_verror_clear(&ve);
  assert_true(cq_bybit_parse_ack(a.body, a.len, &ack, &ve) < 0);
  assert_int_equal(ve.cls, CQ_VERR_NOT_FOUND);
  free(a.body);
  /* a market buy in base units fills */
  memset(&rq, 0, sizeof rq);
  snprintf(rq.symbol, sizeof rq.symbol, "BTC/USDT");
  snprintf(rq.client_id, sizeof rq.client_id, "mkt1");
  rq.side = CQ_SIDE_BUY;
  rq.type = CQ_ORDER_MARKET;
  rq.qty = CQ_DEC(2, 3);
  if (cq_bybit_encode_order(&rq, "BTCUSDT", body, sizeof body, &err) < 0) fail_msg("%s", err.msg);
  a = sgn(s, "POST", "/v5/order/create", "", body);
  cq_verror_clear(&ve);
  if (cq_bybit_parse_ack(a.body, a.len, &ack, &ve)) fail_msg("%s", ve.e.msg);
  free(a.body);
  if (cq_bybit_order_query("BTCUSDT", "mkt1", q, sizeof q, &err) < 0) fail_msg("%s", err.msg);
  a = sgn(s, "GET", "/v5/order/realtime", q, "");
  if (cq_bybit_parse_orders(a.body, a.len, NULL, &ord, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(ord[0].state, CQ_OS_FILLED);
  assert_true(cq_dec_eq(ord[0].filled, CQ_DEC(2, 3)));
  free(ord);
  /* insufficient */
  snprintf(rq.client_id, sizeof rq.client_id, "big1");
  rq.side = CQ_SIDE_SELL;
  rq.qty = CQ_DEC(50, 0);
  if (cq_bybit_encode_order(&rq, "BTCUSDT", body, sizeof body, &err) < 0) fail_msg("%s", err.msg);
  a = sgn(s, "POST", "/v5/order/create", "", body);
  cq_verror_clear(&ve);
  assert_true(cq_bybit_parse_ack(a.body, a.len, &ack, &ve) < 0);
  assert_int_equal(ve.cls, CQ_VERR_INSUFFICIENT);
  free(a.body);
  /* the market buy's executions, and the order history */
  a = sgn(s, "GET", "/v5/execution/list", "category=spot&orderLinkId=mkt1", "");
  cq_venue_fill *fl = NULL;
  if (cq_bybit_parse_fills(a.body, a.len, NULL, &fl, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_true(n >= 1);
  assert_string_equal(fl[0].client_id, "mkt1");
  cq_dec sum = CQ_DEC(0, 0);
  for (size_t i = 0; i < n; i++) assert_int_equal(cq_dec_add(sum, fl[i].qty, &sum, NULL), CQ_OK);
  assert_true(cq_dec_eq(sum, CQ_DEC(2, 3)));
  free(fl);
  a = sgn(s, "GET", "/v5/order/history", "category=spot&symbol=BTCUSDT", "");
  if (cq_bybit_parse_orders(a.body, a.len, NULL, &ord, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(n, 2);
  assert_string_equal(ord[0].client_id, "mkt1");
  assert_int_equal(ord[1].state, CQ_OS_CANCELLED);
  free(ord);
  cq_vsim_free(s);
}

static void t_faults(void **state) {
  (void)state;
  cq_vsim *s = make();
  cq_error err;
  cq_vsim_fault_spec f;
  assert_int_equal(cq_vsim_fault_parse("429:1", &f, &err), CQ_OK);
  assert_int_equal(cq_vsim_fault(s, &f, &err), CQ_OK);
  answer a = get(s, "/v5/market/time", "");
  int code = 0;
  assert_int_equal(err_class(&a, &code), CQ_VERR_RATE_LIMITED);
  assert_int_equal(code, 10006);
  free(a.body);
  assert_int_equal(cq_vsim_fault_parse("ban:5000", &f, &err), CQ_OK);
  assert_int_equal(cq_vsim_fault(s, &f, &err), CQ_OK);
  a = get(s, "/v5/market/time", "");
  assert_int_equal(a.status, 403);
  assert_int_equal(err_class(&a, NULL), CQ_VERR_BANNED);
  free(a.body);
  cq_vsim_set_clock(s, T0 + 60000);
  a = get(s, "/v5/market/time", "");
  assert_int_equal(a.status, 200);
  free(a.body);
  assert_int_equal(cq_vsim_fault_parse("lose_order:1", &f, &err), CQ_OK);
  assert_int_equal(cq_vsim_fault(s, &f, &err), CQ_OK);
  a = sgn(s, "POST", "/v5/order/create", "",
          "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\",\"orderType\":\"Limit\","
          "\"qty\":\"0.001\",\"price\":\"30000\",\"orderLinkId\":\"lost1\"}");
  assert_true(a.drop);
  free(a.body);
  assert_int_equal(cq_vsim_orders_with_client_id(s, "lost1"), 1);
  /* the server's clock a minute ahead: a request signed by ours is out of its window */
  assert_int_equal(cq_vsim_fault_parse("time_offset:60000", &f, &err), CQ_OK);
  assert_int_equal(cq_vsim_fault(s, &f, &err), CQ_OK);
  a = signed_at(s, "GET", "/v5/account/wallet-balance", "accountType=UNIFIED", "", T0 + 30000,
                SECRET);
  int tcode = 0;
  assert_int_equal(err_class(&a, &tcode), CQ_VERR_TIMESTAMP);
  assert_int_equal(tcode, 10002);
  free(a.body);
  cq_vsim_counters k;
  cq_vsim_counters_get(s, &k);
  assert_int_equal(k.rate_limited, 1);
  assert_int_equal(k.banned, 1);
  assert_int_equal(k.responses_dropped, 1);
  cq_vsim_free(s);
}

/* Past the limit: 10006; sending on regardless: 403 until the ban ends. */
static void t_limits(void **state) {
  (void)state;
  cq_vsim *s = make_lim(3);
  for (int i = 0; i < 3; i++) {
    answer a = get(s, "/v5/market/time", "");
    assert_non_null(strstr(a.body, "\"retCode\":0,"));
    free(a.body);
  }
  int code = 0;
  answer a = get(s, "/v5/market/time", "");
  assert_int_equal(a.status, 200);
  assert_int_equal(err_class(&a, &code), CQ_VERR_RATE_LIMITED);
  assert_int_equal(code, 10006);
  free(a.body);
  a = get(s, "/v5/market/time", "");
  assert_int_equal(a.status, 403);
  assert_int_equal(err_class(&a, NULL), CQ_VERR_BANNED);
  free(a.body);
  cq_vsim_set_clock(s, T0 + 30000 + 59000); /* a new minute, still banned */
  a = get(s, "/v5/market/time", "");
  assert_int_equal(a.status, 403);
  free(a.body);
  cq_vsim_set_clock(s, T0 + 30000 + 61000);
  a = get(s, "/v5/market/time", "");
  assert_int_equal(a.status, 200);
  free(a.body);
  cq_vsim_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(t_public), cmocka_unit_test(t_auth),   cmocka_unit_test(t_orders),
      cmocka_unit_test(t_faults), cmocka_unit_test(t_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
