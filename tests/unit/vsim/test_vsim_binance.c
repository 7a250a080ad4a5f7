/* The venue simulator's Binance dialect without sockets: signatures, error codes, kline
 * paging and determinism, the order lifecycle with partial fills, balances, rate limits
 * and faults. The clock is pinned, so every answer is a pure function of the requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cquant/vsim.h"
#include "internal.h"

static double num(const char *s) {
  return strtod(s, NULL);
}

#define KEY "testkey"
#define SECRET "testsecret"
#define T0 INT64_C(1735732800000) /* 2025-01-01T12:00:00Z */
#define HOUR_MS INT64_C(3600000)
#define MIN_MS INT64_C(60000)

typedef struct answer {
  int status;
  json_t *j;
  char headers[1024];
  bool drop;
} answer;

static cq_vsim *make(int weight_limit) {
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  static const cq_vsim_account acc[] = {{KEY, SECRET, "USDT=10000,BTC=1"}};
  o.accounts = acc;
  o.naccounts = 1;
  o.market = "synthetic:7";
  o.weight_limit = weight_limit;
  o.gaps[0].from_ms = T0 - 6 * HOUR_MS;
  o.gaps[0].to_ms = T0 - 4 * HOUR_MS;
  o.ngaps = 1;
  cq_vsim *s = NULL;
  cq_error err;
  int rc = cq_vsim_new(&o, &s, &err);
  if (rc) fail_msg("%s", err.msg);
  cq_vsim_set_clock(s, T0);
  return s;
}

static void ans_free(answer *a) {
  json_decref(a->j);
}

static answer call(cq_vsim *s, const char *method, const char *path, const char *query,
                   const char *key) {
  cq_srv_response r;
  cq_vsim_handle(s, method, path, query, "", key, &r);
  answer a = {.status = r.status, .drop = r.drop};
  json_error_t je;
  a.j = r.body ? json_loads(r.body, 0, &je) : NULL;
  snprintf(a.headers, sizeof a.headers, "%s", r.headers ? r.headers : "");
  free(r.body);
  free(r.headers);
  return a;
}

/* A signed call: timestamp added, the query signed. */
static answer signed_call(cq_vsim *s, const char *method, const char *path, const char *params) {
  char q[1024], sig[65];
  snprintf(q, sizeof q, "%s%stimestamp=%lld", params, *params ? "&" : "",
           (long long)cq_vsim_now_ms(s));
  vd_hmac_hex(SECRET, q, strlen(q), sig);
  char full[1200];
  snprintf(full, sizeof full, "%s&signature=%s", q, sig);
  return call(s, method, path, full, KEY);
}

static int code_of(const answer *a) {
  return (int)json_integer_value(json_object_get(a->j, "code"));
}

static const char *str_of(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static void test_hmac_doc_vector(void **state) {
  (void)state;
  const char *q =
      "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow="
      "5000&timestamp=1499827319559";
  char out[65];
  vd_hmac_hex("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j", q, strlen(q),
              out);
  assert_string_equal(out, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}

static void test_public(void **state) {
  (void)state;
  cq_vsim *s = make(0);
  answer a = call(s, "GET", "/api/v3/ping", "", NULL);
  assert_int_equal(a.status, 200);
  assert_true(json_is_object(a.j) && json_object_size(a.j) == 0);
  assert_non_null(strstr(a.headers, "X-MBX-USED-WEIGHT-1M: 1\r\n"));
  ans_free(&a);
  a = call(s, "GET", "/api/v3/time", "", NULL);
  assert_int_equal(json_integer_value(json_object_get(a.j, "serverTime")), T0);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/exchangeInfo", "", NULL);
  assert_int_equal(a.status, 200);
  json_t *syms = json_object_get(a.j, "symbols");
  assert_int_equal(json_array_size(syms), 2);
  json_t *b = json_array_get(syms, 0);
  assert_string_equal(str_of(b, "symbol"), "BTCUSDT");
  assert_string_equal(str_of(b, "baseAsset"), "BTC");
  json_t *f = json_array_get(json_object_get(b, "filters"), 0);
  assert_string_equal(str_of(f, "filterType"), "PRICE_FILTER");
  assert_string_equal(str_of(f, "tickSize"), "0.01000000");
  assert_non_null(strstr(a.headers, "X-MBX-USED-WEIGHT-1M: 22\r\n"));
  ans_free(&a);
  a = call(s, "GET", "/api/v3/exchangeInfo", "symbols=%5B%22ETHUSDT%22%5D", NULL);
  assert_int_equal(json_array_size(json_object_get(a.j, "symbols")), 1);
  assert_string_equal(str_of(json_array_get(json_object_get(a.j, "symbols"), 0), "symbol"),
                      "ETHUSDT");
  ans_free(&a);
  a = call(s, "GET", "/api/v3/ticker/bookTicker", "symbols=%5B%22NOPE%22%5D", NULL);
  assert_int_equal(code_of(&a), -1121);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/depth", "symbol=BTCUSDT&limit=5", NULL);
  assert_int_equal(json_array_size(json_object_get(a.j, "bids")), 5);
  assert_int_equal(json_integer_value(json_object_get(a.j, "lastUpdateId")), T0 / 100);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/trades", "symbol=ETHUSDT&limit=20", NULL);
  assert_int_equal(json_array_size(a.j), 20);
  int64_t prev = 0;
  for (size_t i = 0; i < 20; i++) {
    int64_t id = json_integer_value(json_object_get(json_array_get(a.j, i), "id"));
    assert_true(id > prev);
    prev = id;
  }
  ans_free(&a);
  a = call(s, "GET", "/api/v3/historicalTrades", "symbol=ETHUSDT&fromId=100", NULL);
  assert_int_equal(a.status, 401);
  assert_int_equal(code_of(&a), -2014);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/historicalTrades", "symbol=ETHUSDT&fromId=1000000&limit=3", KEY);
  assert_int_equal(a.status, 200);
  assert_int_equal(json_array_size(a.j), 3);
  assert_true(json_integer_value(json_object_get(json_array_get(a.j, 0), "id")) >= 1000000);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/ticker/bookTicker", "symbol=BTCUSDT", NULL);
  assert_string_equal(str_of(a.j, "symbol"), "BTCUSDT");
  ans_free(&a);
  a = call(s, "GET", "/api/v3/ticker/24hr", "", NULL);
  assert_int_equal(json_array_size(a.j), 2);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/klines", "symbol=NOPE&interval=1m", NULL);
  assert_int_equal(a.status, 400);
  assert_int_equal(code_of(&a), -1121);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/klines", "symbol=BTCUSDT", NULL);
  assert_int_equal(code_of(&a), -1102);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/klines", "symbol=BTCUSDT&interval=7m", NULL);
  assert_int_equal(code_of(&a), -1120);
  ans_free(&a);
  cq_vsim_free(s);
}

static void test_klines(void **state) {
  (void)state;
  cq_vsim *s = make(0);
  /* default: the last 500, the last one forming */
  answer a = call(s, "GET", "/api/v3/klines", "symbol=BTCUSDT&interval=1m", NULL);
  assert_int_equal(json_array_size(a.j), 500);
  json_t *last = json_array_get(a.j, 499);
  assert_int_equal(json_integer_value(json_array_get(last, 0)), T0);
  assert_int_equal(json_integer_value(json_array_get(last, 6)), T0 + 59999);
  assert_int_equal(json_array_size(last), 12);
  ans_free(&a);
  /* two years of 1h in pages of 1000, by start time: the same twice, gaps skipped */
  int64_t start = T0 - INT64_C(2) * 365 * 86400000, t = start, rows = 0;
  char *first_text = NULL;
  for (int page = 0; page < 20; page++) {
    char q[128];
    snprintf(q, sizeof q, "symbol=ETHUSDT&interval=1h&startTime=%lld&limit=1000", (long long)t);
    a = call(s, "GET", "/api/v3/klines", q, NULL);
    assert_int_equal(a.status, 200);
    size_t n = json_array_size(a.j);
    if (page == 0) first_text = json_dumps(a.j, JSON_COMPACT);
    if (n == 0) {
      ans_free(&a);
      break;
    }
    for (size_t i = 0; i < n; i++) {
      int64_t open = json_integer_value(json_array_get(json_array_get(a.j, i), 0));
      assert_true(open >= t);
      assert_false(open >= T0 - 6 * HOUR_MS && open < T0 - 4 * HOUR_MS); /* the venue's gap */
    }
    t = json_integer_value(json_array_get(json_array_get(a.j, n - 1), 0)) + 1;
    rows += (int64_t)n;
    ans_free(&a);
  }
  assert_int_equal(rows, 2 * 365 * 24 + 1 - 2); /* + the forming candle - the 2 h gap */
  char q[128];
  snprintf(q, sizeof q, "symbol=ETHUSDT&interval=1h&startTime=%lld&limit=1000", (long long)start);
  a = call(s, "GET", "/api/v3/klines", q, NULL);
  char *again = json_dumps(a.j, JSON_COMPACT);
  assert_string_equal(first_text, again);
  free(again);
  free(first_text);
  ans_free(&a);
  /* a fresh simulator with the same seed serves the same history */
  cq_vsim *s2 = make(0);
  answer b = call(s2, "GET", "/api/v3/klines", q, NULL);
  a = call(s, "GET", "/api/v3/klines", q, NULL);
  assert_true(json_equal(a.j, b.j));
  ans_free(&a);
  ans_free(&b);
  cq_vsim_free(s2);
  /* endTime only: the last `limit` up to it */
  snprintf(q, sizeof q, "symbol=BTCUSDT&interval=1d&endTime=%lld&limit=3",
           (long long)(T0 - 86400000));
  a = call(s, "GET", "/api/v3/klines", q, NULL);
  assert_int_equal(json_array_size(a.j), 3);
  ans_free(&a);
  cq_vsim_free(s);
}

static void test_auth(void **state) {
  (void)state;
  cq_vsim *s = make(0);
  answer a = call(s, "GET", "/api/v3/account", "timestamp=1", NULL);
  assert_int_equal(code_of(&a), -2014);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/account", "timestamp=1", "other");
  assert_int_equal(a.status, 401);
  assert_int_equal(code_of(&a), -2015);
  ans_free(&a);
  char q[256];
  snprintf(q, sizeof q, "timestamp=%lld&signature=00", (long long)T0);
  a = call(s, "GET", "/api/v3/account", q, KEY);
  assert_int_equal(code_of(&a), -1022);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/account", "recvWindow=5000", KEY);
  assert_int_equal(code_of(&a), -1102);
  ans_free(&a);
  /* ahead by more than 1000 ms, and older than the window */
  char sig[65], full[400];
  snprintf(q, sizeof q, "timestamp=%lld", (long long)(T0 + 1500));
  vd_hmac_hex(SECRET, q, strlen(q), sig);
  snprintf(full, sizeof full, "%s&signature=%s", q, sig);
  a = call(s, "GET", "/api/v3/account", full, KEY);
  assert_int_equal(code_of(&a), -1021);
  ans_free(&a);
  snprintf(q, sizeof q, "recvWindow=2000&timestamp=%lld", (long long)(T0 - 2500));
  vd_hmac_hex(SECRET, q, strlen(q), sig);
  snprintf(full, sizeof full, "%s&signature=%s", q, sig);
  a = call(s, "GET", "/api/v3/account", full, KEY);
  assert_int_equal(code_of(&a), -1021);
  ans_free(&a);
  a = signed_call(s, "GET", "/api/v3/account", "");
  assert_int_equal(a.status, 200);
  json_t *bal = json_object_get(a.j, "balances");
  assert_int_equal(json_array_size(bal), 2);
  assert_string_equal(str_of(json_array_get(bal, 0), "asset"), "USDT");
  assert_string_equal(str_of(json_array_get(bal, 0), "free"), "10000.00000000");
  ans_free(&a);
  cq_vsim_free(s);
}

static const char *balance(cq_vsim *s, const char *asset, const char *which, char *buf) {
  answer a = signed_call(s, "GET", "/api/v3/account", "");
  json_t *bal = json_object_get(a.j, "balances");
  buf[0] = 0;
  for (size_t i = 0; i < json_array_size(bal); i++)
    if (!strcmp(str_of(json_array_get(bal, i), "asset"), asset))
      snprintf(buf, 64, "%s", str_of(json_array_get(bal, i), which));
  ans_free(&a);
  return buf;
}

static void test_orders(void **state) {
  (void)state;
  cq_vsim *s = make(0);
  char buf[64];
  answer a = call(s, "GET", "/api/v3/ticker/bookTicker", "symbol=BTCUSDT", NULL);
  double bid = num(str_of(a.j, "bidPrice")), ask = num(str_of(a.j, "askPrice"));
  ans_free(&a);
  assert_true(bid > 0 && ask > bid);
  char p[256];
  /* a limit buy well below the market rests, holding its quote */
  snprintf(p, sizeof p,
           "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=%.2f&"
           "newClientOrderId=rest-1",
           bid * 0.9);
  a = signed_call(s, "POST", "/api/v3/order", p);
  assert_int_equal(a.status, 200);
  assert_string_equal(str_of(a.j, "status"), "NEW");
  assert_string_equal(str_of(a.j, "clientOrderId"), "rest-1");
  assert_non_null(json_object_get(a.j, "fills"));
  assert_non_null(strstr(a.headers, "X-MBX-ORDER-COUNT-10S: 1\r\n"));
  int64_t id = json_integer_value(json_object_get(a.j, "orderId"));
  ans_free(&a);
  assert_true(num(balance(s, "USDT", "locked", buf)) > 0);
  /* the same client id while it is open: duplicate */
  a = signed_call(s, "POST", "/api/v3/order", p);
  assert_int_equal(code_of(&a), -2010);
  assert_string_equal(str_of(a.j, "msg"), "Duplicate order sent.");
  ans_free(&a);
  a = signed_call(s, "GET", "/api/v3/openOrders", "symbol=BTCUSDT");
  assert_int_equal(json_array_size(a.j), 1);
  ans_free(&a);
  a = signed_call(s, "GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=rest-1");
  assert_int_equal(json_integer_value(json_object_get(a.j, "orderId")), id);
  assert_true(json_is_true(json_object_get(a.j, "isWorking")));
  ans_free(&a);
  a = signed_call(s, "DELETE", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=rest-1");
  assert_int_equal(a.status, 200);
  assert_string_equal(str_of(a.j, "status"), "CANCELED");
  assert_string_equal(str_of(a.j, "origClientOrderId"), "rest-1");
  ans_free(&a);
  assert_string_equal(balance(s, "USDT", "locked", buf), "0.00000000");
  assert_string_equal(balance(s, "USDT", "free", buf), "10000.00000000");
  a = signed_call(s, "DELETE", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=rest-1");
  assert_int_equal(code_of(&a), -2011);
  ans_free(&a);
  a = signed_call(s, "GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=never");
  assert_int_equal(code_of(&a), -2013);
  ans_free(&a);
  /* post-only that would take */
  snprintf(p, sizeof p, "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.01000&price=%.2f",
           ask);
  a = signed_call(s, "POST", "/api/v3/order", p);
  assert_int_equal(code_of(&a), -2010);
  assert_string_equal(str_of(a.j, "msg"), "Order would immediately match and take.");
  ans_free(&a);
  /* filters */
  a = signed_call(s, "POST", "/api/v3/order",
                  "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=1.001");
  assert_int_equal(code_of(&a), -1013);
  ans_free(&a);
  a = signed_call(s, "POST", "/api/v3/order",
                  "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.000001&price=100");
  assert_int_equal(code_of(&a), -1013);
  ans_free(&a);
  a = signed_call(s, "POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=5");
  assert_int_equal(code_of(&a), -2010);
  assert_string_equal(str_of(a.j, "msg"), "Account has insufficient balance for requested action.");
  ans_free(&a);
  a = signed_call(s, "POST", "/api/v3/order", "symbol=BTCUSDT&side=UP&type=MARKET&quantity=1");
  assert_int_equal(code_of(&a), -1117);
  ans_free(&a);
  a = signed_call(s, "POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1x");
  assert_int_equal(code_of(&a), -1100);
  ans_free(&a);
  /* a FOK beyond the liquidity up to its price: accepted, expired, nothing filled */
  a = call(s, "GET", "/api/v3/depth", "symbol=BTCUSDT&limit=1", NULL);
  double lvl =
      num(json_string_value(json_array_get(json_array_get(json_object_get(a.j, "asks"), 0), 1)));
  ans_free(&a);
  snprintf(p, sizeof p,
           "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=FOK&quantity=%.5f&price=%.2f",
           lvl + 0.001, ask);
  a = signed_call(s, "POST", "/api/v3/order", p);
  assert_int_equal(a.status, 200);
  assert_string_equal(str_of(a.j, "status"), "EXPIRED");
  assert_string_equal(str_of(a.j, "executedQty"), "0.00000000");
  ans_free(&a);
  assert_string_equal(balance(s, "USDT", "free", buf), "10000.00000000");
  /* a market buy walks the book: FULL with its fills, fee in base */
  a = signed_call(s, "POST", "/api/v3/order",
                  "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.10000&newClientOrderId=mkt-1");
  assert_int_equal(a.status, 200);
  assert_string_equal(str_of(a.j, "status"), "FILLED");
  json_t *fills = json_object_get(a.j, "fills");
  assert_true(json_array_size(fills) >= 1);
  assert_string_equal(str_of(json_array_get(fills, 0), "commissionAsset"), "BTC");
  assert_string_equal(str_of(a.j, "executedQty"), "0.10000000");
  ans_free(&a);
  /* an IOC larger than the liquidity up to its price: partly filled, the rest expires */
  snprintf(p, sizeof p,
           "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=IOC&quantity=1.00000&price=%.2f&"
           "newOrderRespType=RESULT",
           bid);
  a = signed_call(s, "POST", "/api/v3/order", p);
  assert_int_equal(a.status, 200);
  assert_string_equal(str_of(a.j, "status"), "EXPIRED");
  assert_null(json_object_get(a.j, "fills"));
  double got = num(str_of(a.j, "executedQty"));
  assert_true(got > 0 && got < 1.0);
  ans_free(&a);
  /* a GTC sell at the bid larger than its level: partly filled, the rest rests */
  snprintf(p, sizeof p,
           "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.50000&price=%.2f&"
           "newClientOrderId=part-1",
           bid);
  a = signed_call(s, "POST", "/api/v3/order", p);
  assert_string_equal(str_of(a.j, "status"), "PARTIALLY_FILLED");
  ans_free(&a);
  a = signed_call(s, "GET", "/api/v3/myTrades", "symbol=BTCUSDT");
  assert_true(json_array_size(a.j) >= 3);
  ans_free(&a);
  /* the user events: NEW, TRADE... as executionReport; balances as outboundAccountPosition */
  cq_vsim_counters k;
  cq_vsim_counters_get(s, &k);
  assert_true(k.orders_created >= 4);
  assert_int_equal(cq_vsim_orders_with_client_id(s, "part-1"), 1);
  a = signed_call(s, "DELETE", "/api/v3/openOrders", "symbol=BTCUSDT");
  assert_int_equal(a.status, 200);
  assert_int_equal(json_array_size(a.j), 1);
  ans_free(&a);
  a = signed_call(s, "DELETE", "/api/v3/openOrders", "symbol=BTCUSDT");
  assert_int_equal(code_of(&a), -2011);
  ans_free(&a);
  cq_vsim_free(s);
}

static double level_qty(cq_vsim *s, int i, double *price) {
  answer a = call(s, "GET", "/api/v3/depth", "symbol=BTCUSDT&limit=10", NULL);
  json_t *lv = json_array_get(json_object_get(a.j, "bids"), (size_t)i);
  *price = num(json_string_value(json_array_get(lv, 0)));
  double q = num(json_string_value(json_array_get(lv, 1)));
  ans_free(&a);
  return q;
}

/* the users' resting orders are in the book the depth endpoint shows */
static void test_depth_has_orders(void **state) {
  (void)state;
  cq_vsim *s = make(0);
  double px;
  double before = level_qty(s, 3, &px);
  char p[200];
  snprintf(p, sizeof p,
           "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.12345&price=%.2f", px);
  answer a = signed_call(s, "POST", "/api/v3/order", p);
  assert_string_equal(str_of(a.j, "status"), "NEW");
  ans_free(&a);
  double px2, after = level_qty(s, 3, &px2);
  assert_true(px2 == px);
  assert_true(after > before + 0.1234 && after < before + 0.1235);
  cq_vsim_free(s);
}

static void test_more_endpoints(void **state) {
  (void)state;
  cq_vsim *s = make(0);
  answer a =
      signed_call(s, "POST", "/api/v3/order/test",
                  "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01000&newClientOrderId=t-1");
  assert_int_equal(a.status, 200);
  assert_int_equal(json_object_size(a.j), 0);
  ans_free(&a);
  assert_int_equal(cq_vsim_orders_with_client_id(s, "t-1"), 0);
  a = signed_call(s, "POST", "/api/v3/order/test",
                  "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.000001");
  assert_int_equal(code_of(&a), -1013);
  ans_free(&a);
  for (int i = 0; i < 3; i++) {
    char p[160];
    snprintf(p, sizeof p,
             "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01000&newClientOrderId=all-%d", i);
    a = signed_call(s, "POST", "/api/v3/order", p);
    assert_int_equal(a.status, 200);
    ans_free(&a);
  }
  a = signed_call(s, "GET", "/api/v3/allOrders", "symbol=BTCUSDT&limit=2");
  assert_int_equal(json_array_size(a.j), 2);
  assert_string_equal(str_of(json_array_get(a.j, 1), "clientOrderId"), "all-2");
  ans_free(&a);
  a = signed_call(s, "GET", "/api/v3/allOrders", "symbol=BTCUSDT&orderId=1");
  assert_int_equal(json_array_size(a.j), 3);
  long long id1 = json_integer_value(json_object_get(json_array_get(a.j, 1), "orderId"));
  ans_free(&a);
  char q[64];
  snprintf(q, sizeof q, "symbol=BTCUSDT&orderId=%lld", id1);
  a = signed_call(s, "GET", "/api/v3/myTrades", q);
  assert_true(json_array_size(a.j) >= 1);
  for (size_t i = 0; i < json_array_size(a.j); i++)
    assert_int_equal(json_integer_value(json_object_get(json_array_get(a.j, i), "orderId")), id1);
  ans_free(&a);
  a = signed_call(s, "GET", "/api/v3/rateLimit/order", "");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(a.j, 0), "count")), 3);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/ticker/price", "symbol=ETHUSDT", NULL);
  assert_true(num(str_of(a.j, "price")) > 0);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/avgPrice", "symbol=ETHUSDT", NULL);
  assert_int_equal(json_integer_value(json_object_get(a.j, "mins")), 5);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/uiKlines", "symbol=ETHUSDT&interval=1h&limit=2", NULL);
  assert_int_equal(json_array_size(a.j), 2);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/nothing", "", NULL);
  assert_int_equal(a.status, 404);
  ans_free(&a);
  a = call(s, "PUT", "/api/v3/klines", "", NULL);
  assert_int_equal(a.status, 405);
  ans_free(&a);
  cq_vsim_free(s);
}

static void test_listen_key(void **state) {
  (void)state;
  cq_vsim *s = make(0);
  answer a = call(s, "POST", "/api/v3/userDataStream", "", KEY);
  assert_int_equal(a.status, 200);
  char key[80];
  snprintf(key, sizeof key, "%s", str_of(a.j, "listenKey"));
  ans_free(&a);
  assert_true(strlen(key) > 20);
  char q[128];
  snprintf(q, sizeof q, "listenKey=%s", key);
  a = call(s, "PUT", "/api/v3/userDataStream", q, KEY);
  assert_int_equal(a.status, 200);
  ans_free(&a);
  a = call(s, "PUT", "/api/v3/userDataStream", "listenKey=nope", KEY);
  assert_int_equal(code_of(&a), -1125);
  ans_free(&a);
  a = call(s, "DELETE", "/api/v3/userDataStream", q, KEY);
  assert_int_equal(a.status, 200);
  ans_free(&a);
  a = call(s, "PUT", "/api/v3/userDataStream", q, KEY);
  assert_int_equal(code_of(&a), -1125);
  ans_free(&a);
  cq_vsim_free(s);
}

static void test_rate_limits(void **state) {
  (void)state;
  cq_vsim *s = make(30);
  answer a = call(s, "GET", "/api/v3/exchangeInfo", "", NULL); /* 20 */
  assert_int_equal(a.status, 200);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/klines", "symbol=BTCUSDT&interval=1m&limit=1", NULL); /* 22 */
  assert_int_equal(a.status, 200);
  ans_free(&a);
  a = call(s, "GET", "/api/v3/exchangeInfo", "", NULL); /* 42 > 30 */
  assert_int_equal(a.status, 429);
  assert_int_equal(code_of(&a), -1003);
  assert_non_null(strstr(a.headers, "Retry-After: 60\r\n")); /* T0 is on a minute */
  ans_free(&a);
  a = call(s, "GET", "/api/v3/ping", "", NULL); /* still sending: banned */
  assert_int_equal(a.status, 418);
  assert_non_null(strstr(a.headers, "Retry-After: 120\r\n"));
  ans_free(&a);
  cq_vsim_set_clock(s, T0 + 61000); /* a new minute, but the ban holds */
  a = call(s, "GET", "/api/v3/ping", "", NULL);
  assert_int_equal(a.status, 418);
  ans_free(&a);
  cq_vsim_set_clock(s, T0 + 121000);
  a = call(s, "GET", "/api/v3/ping", "", NULL);
  assert_int_equal(a.status, 200);
  ans_free(&a);
  cq_vsim_counters k;
  cq_vsim_counters_get(s, &k);
  assert_int_equal(k.rate_limited, 1);
  assert_int_equal(k.banned, 2);
  cq_vsim_free(s);
}

static void test_faults(void **state) {
  (void)state;
  cq_vsim *s = make(0);
  cq_vsim_fault_spec f;
  cq_error err;
  assert_int_equal(cq_vsim_fault_parse("5xx:2:/api/v3/time", &f, &err), CQ_OK);
  assert_int_equal(cq_vsim_fault(s, &f, &err), CQ_OK);
  answer a = call(s, "GET", "/api/v3/ping", "", NULL);
  assert_int_equal(a.status, 200);
  ans_free(&a);
  for (int i = 0; i < 2; i++) {
    a = call(s, "GET", "/api/v3/time", "", NULL);
    assert_int_equal(a.status, 503);
    ans_free(&a);
  }
  a = call(s, "GET", "/api/v3/time", "", NULL);
  assert_int_equal(a.status, 200);
  ans_free(&a);
  /* a lost answer: the order is placed all the same, once */
  assert_int_equal(cq_vsim_fault_parse("lose_order:1", &f, &err), CQ_OK);
  assert_int_equal(cq_vsim_fault(s, &f, &err), CQ_OK);
  a = signed_call(s, "POST", "/api/v3/order",
                  "symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.10000&newClientOrderId=lost-1");
  assert_true(a.drop);
  ans_free(&a);
  a = signed_call(s, "GET", "/api/v3/order", "symbol=ETHUSDT&origClientOrderId=lost-1");
  assert_int_equal(a.status, 200);
  assert_false(a.drop);
  assert_string_equal(str_of(a.j, "status"), "FILLED");
  ans_free(&a);
  assert_int_equal(cq_vsim_orders_with_client_id(s, "lost-1"), 1);
  /* 429 burst, ban, time offset */
  assert_int_equal(cq_vsim_fault_parse("429:2", &f, &err), CQ_OK);
  assert_int_equal(cq_vsim_fault(s, &f, &err), CQ_OK);
  for (int i = 0; i < 2; i++) {
    a = call(s, "GET", "/api/v3/ping", "", NULL);
    assert_int_equal(a.status, 429);
    assert_non_null(strstr(a.headers, "Retry-After:"));
    ans_free(&a);
  }
  assert_int_equal(cq_vsim_fault_parse("ban:5000", &f, &err), CQ_OK);
  assert_int_equal(cq_vsim_fault(s, &f, &err), CQ_OK);
  a = call(s, "GET", "/api/v3/ping", "", NULL);
  assert_int_equal(a.status, 418);
  assert_non_null(strstr(a.headers, "Retry-After: 5\r\n"));
  ans_free(&a);
  cq_vsim_set_clock(s, T0 + 9000);
  assert_int_equal(cq_vsim_fault_parse("time_offset:-2500", &f, &err), CQ_OK);
  assert_int_equal(cq_vsim_fault(s, &f, &err), CQ_OK);
  a = call(s, "GET", "/api/v3/time", "", NULL);
  assert_int_equal(json_integer_value(json_object_get(a.j, "serverTime")), T0 + 6500);
  ans_free(&a);
  assert_int_equal(cq_vsim_fault_parse("bogus:1", &f, &err), CQ_EINVAL);
  assert_int_equal(cq_vsim_fault_parse("latency", &f, &err), CQ_EINVAL);
  assert_int_equal(cq_vsim_requests_on(s, "/api/v3/time"), 4);
  cq_vsim_free(s);
}

static void test_stream_messages(void **state) {
  (void)state;
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  static const cq_vsim_account acc[] = {{KEY, SECRET, "USDT=10000"}};
  o.accounts = acc;
  o.naccounts = 1;
  vm_market m;
  assert_int_equal(vm_init(&m, &o, NULL), CQ_OK);
  vx_exchange *x = NULL;
  assert_int_equal(vx_new(&m, &o, &x, NULL), CQ_OK);
  vx_new_order r = {.account = 0,
                    .sym = 0,
                    .client_id = "ev-1",
                    .side = CQ_SIDE_BUY,
                    .type = CQ_ORDER_MARKET,
                    .qty = CQ_DEC(1000, 5)};
  vx_order ord;
  vx_fill fills[8];
  size_t nf;
  vx_result res;
  assert_int_equal(vx_place(x, &r, T0, &ord, fills, 8, &nf, &res), CQ_OK);
  assert_int_equal(ord.state, CQ_OS_FILLED);
  vx_event ev[16];
  size_t n = vx_events_take(x, ev, 16);
  assert_true(n >= 3); /* NEW, TRADE..., the balances */
  vd_binance b;
  memset(&b, 0, sizeof b);
  b.mkt = &m;
  char *msg = vd_binance_user_msg(&b, &ev[0]);
  json_t *j = json_loads(msg, 0, NULL);
  assert_string_equal(str_of(j, "e"), "executionReport");
  assert_string_equal(str_of(j, "x"), "NEW");
  assert_string_equal(str_of(j, "c"), "ev-1");
  assert_string_equal(str_of(j, "s"), "BTCUSDT");
  json_decref(j);
  free(msg);
  msg = vd_binance_user_msg(&b, &ev[1]);
  j = json_loads(msg, 0, NULL);
  assert_string_equal(str_of(j, "x"), "TRADE");
  assert_string_equal(str_of(j, "N"), "BTC");
  json_decref(j);
  free(msg);
  msg = vd_binance_user_msg(&b, &ev[n - 1]);
  j = json_loads(msg, 0, NULL);
  assert_string_equal(str_of(j, "e"), "outboundAccountPosition");
  assert_int_equal(json_array_size(json_object_get(j, "B")), 2);
  json_decref(j);
  free(msg);
  /* market streams */
  vm_trade t[(size_t)VM_TRADES_PER_SEC * 10];
  size_t nt = vm_trades_range(&m, 0, T0, T0 + 10000, t, (size_t)VM_TRADES_PER_SEC * 10);
  assert_true(nt > 0);
  msg = vd_binance_trade_msg(&m, 0, &t[0], T0 + 10000, false);
  j = json_loads(msg, 0, NULL);
  assert_string_equal(str_of(j, "e"), "trade");
  assert_int_equal(json_integer_value(json_object_get(j, "t")), t[0].id);
  json_decref(j);
  free(msg);
  msg = vd_binance_kline_msg(&m, 1, "1m", 60000, T0, T0 + 30000);
  j = json_loads(msg, 0, NULL);
  assert_string_equal(str_of(j, "e"), "kline");
  assert_true(json_is_false(json_object_get(json_object_get(j, "k"), "x")));
  json_decref(j);
  free(msg);
  vm_level bids[3], asks[3];
  vm_book(&m, 0, T0 / 100, bids, asks, 3);
  assert_true(asks[0].price > bids[0].price);
  msg = vd_binance_depth_msg(&m, 0, 11, 20, T0, bids, 3, asks, 3);
  j = json_loads(msg, 0, NULL);
  assert_string_equal(str_of(j, "e"), "depthUpdate");
  assert_int_equal(json_integer_value(json_object_get(j, "U")), 11);
  assert_int_equal(json_integer_value(json_object_get(j, "u")), 20);
  json_decref(j);
  free(msg);
  /* the market is pure: the same trades twice */
  vm_trade t2[(size_t)VM_TRADES_PER_SEC * 10];
  assert_int_equal(vm_trades_range(&m, 0, T0, T0 + 10000, t2, (size_t)VM_TRADES_PER_SEC * 10), nt);
  for (size_t i = 0; i < nt; i++) {
    assert_int_equal(t[i].id, t2[i].id);
    assert_int_equal(t[i].time_ms, t2[i].time_ms);
    assert_true(t[i].price == t2[i].price && t[i].qty == t2[i].qty);
  }
  vx_free(x);
  vm_release(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hmac_doc_vector),  cmocka_unit_test(test_public),
      cmocka_unit_test(test_klines),           cmocka_unit_test(test_auth),
      cmocka_unit_test(test_orders),           cmocka_unit_test(test_listen_key),
      cmocka_unit_test(test_depth_has_orders), cmocka_unit_test(test_more_endpoints),
      cmocka_unit_test(test_rate_limits),      cmocka_unit_test(test_faults),
      cmocka_unit_test(test_stream_messages),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
