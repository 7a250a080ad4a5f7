/* The Bybit adapter against a scripted local venue: the requests it builds (paths, queries,
 * the X-BAPI signature headers, recomputed here), kline pages (window, oldest first, closed
 * by the venue's clock), orders by orderLinkId (realtime, then history), and its handling of
 * answers: 10006 waits and resends, 10002 resyncs the clock once, HTTP 403 stops every
 * request for the ban's length, an unanswered placement is found by orderLinkId and never
 * sent twice, error codes map onto cquant's classes. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bybit.h"
#include "cquant/venue.h"
#include "fake_venue.h"

#define H CQ_NS_PER_HOUR
#define MS CQ_NS_PER_MS
/* the venue's clock: 2024-01-01T10:30Z */
#define NOW_MS INT64_C(1704105000000)
#define T10 (INT64_C(1704103200000) * MS) /* 10:00 */

static const char TIME_BODY[] =
    "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"timeSecond\":\"1704105000\","
    "\"timeNano\":\"1704105000000000000\"},\"time\":1704105000000}";

static const char *const HDRS[] = {"X-BAPI-API-KEY", "X-BAPI-SIGN", "X-BAPI-TIMESTAMP",
                                   "X-BAPI-RECV-WINDOW", "Content-Type"};

typedef struct fixture {
  fv f;
  cq_venue *v;
  char candles[4096];
} fixture;

static int setup(void **state) {
  fixture *x = calloc(1, sizeof *x);
  if (!x) return -1;
  fv_start(&x->f);
  for (size_t i = 0; i < sizeof HDRS / sizeof HDRS[0]; i++) x->f.hdr_names[i] = HDRS[i];
  fv_add(&x->f, "GET", "/v5/market/time", 0, TIME_BODY, -1);
  cq_venue_config cfg;
  cq_venue_config_default(&cfg);
  cfg.rest_url = x->f.url;
  cfg.api_key = "key-1";
  cfg.api_secret = "secret-1";
  cfg.http.max_retries = 0;
  cq_verror ve;
  if (cq_venue_bybit_ops.open(&cfg, &x->v, &ve) < 0) {
    fprintf(stderr, "%s\n", ve.e.msg);
    return -1;
  }
  *state = x;
  return 0;
}

static int teardown(void **state) {
  fixture *x = *state;
  cq_venue_bybit_ops.close(x->v);
  fv_stop(&x->f);
  free(x);
  return 0;
}

/* Rows of 1h klines from first (ns) for n bars, newest first as Bybit sends them. */
static const char *kline_rows(fixture *x, cq_time first, int n) {
  size_t o = (size_t)snprintf(x->candles, sizeof x->candles,
                              "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"category\":"
                              "\"spot\",\"symbol\":\"BTCUSDT\",\"list\":[");
  for (int i = n - 1; i >= 0; i--) {
    cq_time t = first + i * H;
    o += (size_t)snprintf(x->candles + o, sizeof x->candles - o,
                          "%s[\"%" PRId64 "\",\"100\",\"110\",\"90\",\"105\",\"2\",\"210\"]",
                          i == n - 1 ? "" : ",", t / MS);
  }
  snprintf(x->candles + o, sizeof x->candles - o, "]}}");
  return x->candles;
}

static void test_instruments(void **state) {
  fixture *x = *state;
  char *body = fv_slurp(CQ_TEST_DATA "/exchange/bybit/http_get_instruments_spot.json");
  assert_non_null(body);
  fv_add(&x->f, "GET", "/v5/market/instruments-info", 0, body, -1);
  cq_instrument *ins = NULL;
  size_t n = 0;
  cq_verror ve;
  assert_int_equal(cq_venue_bybit_ops.instruments(x->v, &ins, &n, &ve), 0);
  assert_true(n > 0);
  assert_string_equal(ins[0].venue, "bybit");
  assert_string_equal(ins[0].symbol, "BTC/USDT");
  fv_seen s;
  assert_true(fv_last(&x->f, "/v5/market/instruments-info", &s));
  assert_string_equal(s.query, "category=spot");
  assert_string_equal(s.hdr[0], "");
  free(ins);
  free(body);
}

static void test_klines_page(void **state) {
  fixture *x = *state;
  cq_time from = T10 - 3 * H;
  fv_add(&x->f, "GET", "/v5/market/kline", 0, kline_rows(x, from, 4), -1);
  cq_candles out;
  cq_candles_init(&out, 0);
  cq_verror ve;
  cq_timeframe tf = {1, CQ_TF_HOUR};
  assert_int_equal(cq_venue_bybit_ops.candles(x->v, "BTC/USDT", tf, from, 0, &out, &ve), 0);
  assert_int_equal(out.len, 4);
  for (size_t i = 0; i < 4; i++) assert_int_equal(out.open_time[i], from + (int64_t)i * H);
  assert_true(out.closed[0] && out.closed[1] && out.closed[2]);
  assert_false(out.closed[3]);
  fv_seen s;
  assert_true(fv_last(&x->f, "/v5/market/kline", &s));
  assert_non_null(strstr(s.query, "symbol=BTCUSDT"));
  assert_non_null(strstr(s.query, "interval=60"));
  char want[64];
  snprintf(want, sizeof want, "start=%" PRId64, from / MS);
  assert_non_null(strstr(s.query, want));
  /* to cuts the window; end is inclusive on the wire */
  cq_candles_clear(&out);
  assert_int_equal(
      cq_venue_bybit_ops.candles(x->v, "BTC/USDT", tf, from + H, from + 3 * H, &out, &ve), 0);
  assert_int_equal(out.len, 2);
  assert_true(fv_last(&x->f, "/v5/market/kline", &s));
  snprintf(want, sizeof want, "end=%" PRId64, (from + 3 * H) / MS - 1);
  assert_non_null(strstr(s.query, want));
  cq_candles_release(&out);
}

static void test_klines_skip_empty_windows(void **state) {
  fixture *x = *state;
  /* nothing in the first window (before the listing): the adapter looks further */
  cq_time from = T10 - 1500 * H;
  static const char EMPTY[] =
      "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"category\":\"spot\",\"symbol\":"
      "\"BTCUSDT\",\"list\":[]}}";
  fv_add(&x->f, "GET", "/v5/market/kline", 0, EMPTY, 1);
  fv_add(&x->f, "GET", "/v5/market/kline", 0, kline_rows(x, from + 1000 * H, 2), -1);
  cq_candles out;
  cq_candles_init(&out, 0);
  cq_verror ve;
  cq_timeframe tf = {1, CQ_TF_HOUR};
  assert_int_equal(cq_venue_bybit_ops.candles(x->v, "BTC/USDT", tf, from, 0, &out, &ve), 0);
  assert_int_equal(out.len, 2);
  assert_int_equal(out.open_time[0], from + 1000 * H);
  assert_int_equal(fv_count(&x->f, "GET", "/v5/market/kline"), 2);
  cq_candles_release(&out);
}

static const char ORDER_LIVE[] =
    "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"category\":\"spot\",\"list\":[{\"orderId\":"
    "\"42\",\"orderLinkId\":\"c1\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\",\"orderType\":"
    "\"Limit\",\"price\":\"100\",\"qty\":\"0.5\",\"timeInForce\":\"GTC\",\"orderStatus\":"
    "\"PartiallyFilled\",\"cumExecQty\":\"0.2\",\"cumExecValue\":\"20\",\"createdTime\":"
    "\"1704105000000\",\"updatedTime\":\"1704105000000\",\"stopOrderType\":\"\","
    "\"triggerPrice\":\"0\"}]}}";
static const char ORDER_CANCELLED[] =
    "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"category\":\"spot\",\"list\":[{\"orderId\":"
    "\"42\",\"orderLinkId\":\"c1\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\",\"orderType\":"
    "\"Limit\",\"price\":\"100\",\"qty\":\"0.5\",\"timeInForce\":\"GTC\",\"orderStatus\":"
    "\"PartiallyFilledCanceled\",\"cumExecQty\":\"0.2\",\"cumExecValue\":\"20\","
    "\"createdTime\":\"1704105000000\",\"updatedTime\":\"1704105001000\",\"stopOrderType\":"
    "\"\",\"triggerPrice\":\"0\"}]}}";
static const char NO_ORDERS[] =
    "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"category\":\"spot\",\"list\":[]}}";
static const char ACK[] =
    "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"orderId\":\"42\",\"orderLinkId\":\"c1\"}}";

static cq_venue_order_req limit_buy(void) {
  cq_venue_order_req r;
  memset(&r, 0, sizeof r);
  snprintf(r.symbol, sizeof r.symbol, "BTC/USDT");
  snprintf(r.client_id, sizeof r.client_id, "c1");
  r.side = CQ_SIDE_BUY;
  r.type = CQ_ORDER_LIMIT;
  r.tif = CQ_TIF_GTC;
  cq_error e;
  assert_int_equal(cq_dec_parse_cstr("0.5", &r.qty, &e), 0);
  assert_int_equal(cq_dec_parse_cstr("100", &r.price, &e), 0);
  return r;
}

static void check_signed(const fv_seen *s) {
  assert_string_equal(s->hdr[0], "key-1");
  assert_string_equal(s->hdr[3], "5000");
  int64_t ts = strtoll(s->hdr[2], NULL, 10);
  /* by the venue's clock */
  assert_true(ts >= NOW_MS && ts < NOW_MS + 60000);
  char sig[65];
  cq_error e;
  const char *payload = strcmp(s->method, "POST") == 0 ? s->body : s->query;
  assert_int_equal(cq_bybit_sign("secret-1", ts, "key-1", 5000, payload, sig, &e), 0);
  assert_string_equal(s->hdr[1], sig);
}

static void test_order_lifecycle(void **state) {
  fixture *x = *state;
  fv_add(&x->f, "POST", "/v5/order/create", 0, ACK, -1);
  fv_add(&x->f, "POST", "/v5/order/cancel", 0, ACK, -1);
  fv_add(&x->f, "GET", "/v5/order/realtime", 0, ORDER_LIVE, 2);
  fv_add(&x->f, "GET", "/v5/order/realtime", 0, NO_ORDERS, -1);
  fv_add(&x->f, "GET", "/v5/order/history", 0, ORDER_CANCELLED, -1);
  cq_venue_order_req req = limit_buy();
  cq_venue_order o;
  cq_verror ve;
  assert_int_equal(cq_venue_bybit_ops.place(x->v, &req, &o, &ve), 0);
  assert_string_equal(o.symbol, "BTC/USDT");
  assert_string_equal(o.client_id, "c1");
  assert_string_equal(o.venue_id, "42");
  assert_int_equal(o.state, CQ_OS_PARTIAL);
  fv_seen s;
  assert_true(fv_last(&x->f, "/v5/order/realtime", &s));
  assert_non_null(strstr(s.query, "orderLinkId=c1"));
  check_signed(&s);
  assert_true(fv_last(&x->f, "/v5/order/create", &s));
  assert_int_equal(fv_count(&x->f, "POST", "/v5/order/create"), 1);
  assert_non_null(strstr(s.body, "\"orderLinkId\":\"c1\""));
  assert_non_null(strstr(s.body, "\"category\":\"spot\""));
  assert_string_equal(s.hdr[4], "application/json");
  check_signed(&s);
  assert_int_equal(cq_venue_bybit_ops.query(x->v, "BTC/USDT", "c1", &o, &ve), 0);
  assert_int_equal(o.state, CQ_OS_PARTIAL);
  /* cancelled: gone from realtime, found in history */
  assert_int_equal(cq_venue_bybit_ops.cancel(x->v, "BTC/USDT", "c1", &o, &ve), 0);
  assert_int_equal(o.state, CQ_OS_CANCELLED);
  assert_true(fv_last(&x->f, "/v5/order/cancel", &s));
  check_signed(&s);
}

static void test_unknown_outcome_recovered(void **state) {
  fixture *x = *state;
  fv_add_drop(&x->f, "POST", "/v5/order/create", -1);
  fv_add(&x->f, "GET", "/v5/order/realtime", 0, NO_ORDERS, 1);
  fv_add(&x->f, "GET", "/v5/order/history", 0, NO_ORDERS, 1);
  fv_add(&x->f, "GET", "/v5/order/realtime", 0, ORDER_LIVE, -1);
  cq_venue_order_req req = limit_buy();
  cq_venue_order o;
  cq_verror ve;
  assert_int_equal(cq_venue_bybit_ops.place(x->v, &req, &o, &ve), 0);
  assert_string_equal(o.venue_id, "42");
  assert_int_equal(fv_count(&x->f, "POST", "/v5/order/create"), 1);
}

static void test_unknown_outcome_never_placed(void **state) {
  fixture *x = *state;
  fv_add(&x->f, "POST", "/v5/order/create", 502, "", -1);
  fv_add(&x->f, "GET", "/v5/order/realtime", 0, NO_ORDERS, -1);
  fv_add(&x->f, "GET", "/v5/order/history", 0, NO_ORDERS, -1);
  cq_venue_order_req req = limit_buy();
  cq_venue_order o;
  cq_verror ve;
  assert_int_equal(cq_venue_bybit_ops.place(x->v, &req, &o, &ve), CQ_ENOTFOUND);
  assert_int_equal(ve.cls, CQ_VERR_NOT_FOUND);
  assert_non_null(strstr(ve.e.msg, "never placed"));
  assert_int_equal(fv_count(&x->f, "POST", "/v5/order/create"), 1);
}

static void test_rejections(void **state) {
  fixture *x = *state;
  fv_add(&x->f, "POST", "/v5/order/create", 0,
         "{\"retCode\":170131,\"retMsg\":\"Insufficient balance.\",\"result\":{}}", -1);
  fv_add(&x->f, "GET", "/v5/order/realtime", 0, NO_ORDERS, -1);
  fv_add(&x->f, "GET", "/v5/order/history", 0, NO_ORDERS, -1);
  cq_venue_order_req req = limit_buy();
  cq_venue_order o;
  cq_verror ve;
  assert_true(cq_venue_bybit_ops.place(x->v, &req, &o, &ve) < 0);
  assert_int_equal(ve.cls, CQ_VERR_INSUFFICIENT);
  assert_int_equal(ve.venue_code, 170131);
  assert_int_equal(cq_venue_bybit_ops.query(x->v, "BTC/USDT", "zz", &o, &ve), CQ_ENOTFOUND);
  assert_int_equal(ve.cls, CQ_VERR_NOT_FOUND);
}

static void test_rate_limit_waits(void **state) {
  fixture *x = *state;
  char *body = fv_slurp(CQ_TEST_DATA "/exchange/bybit/http_get_wallet_balance.json");
  assert_non_null(body);
  fv_add(&x->f, "GET", "/v5/account/wallet-balance", 0,
         "{\"retCode\":10006,\"retMsg\":\"Too many visits!\",\"result\":{}}", 1);
  fv_add(&x->f, "GET", "/v5/account/wallet-balance", 0, body, -1);
  cq_balance *b = NULL;
  size_t n = 0;
  cq_verror ve;
  assert_int_equal(cq_venue_bybit_ops.balances(x->v, &b, &n, &ve), 0);
  assert_true(n > 0);
  assert_int_equal(fv_count(&x->f, "GET", "/v5/account/wallet-balance"), 2);
  fv_seen s;
  assert_true(fv_last(&x->f, "/v5/account/wallet-balance", &s));
  check_signed(&s);
  free(b);
  free(body);
}

static void test_timestamp_resync(void **state) {
  fixture *x = *state;
  char *body = fv_slurp(CQ_TEST_DATA "/exchange/bybit/http_get_wallet_balance.json");
  assert_non_null(body);
  fv_add(&x->f, "GET", "/v5/account/wallet-balance", 0,
         "{\"retCode\":10002,\"retMsg\":\"invalid request, please check your server timestamp "
         "or recv_window param\",\"result\":{}}",
         1);
  fv_add(&x->f, "GET", "/v5/account/wallet-balance", 0, body, -1);
  cq_verror ve;
  cq_time now = 0;
  assert_int_equal(cq_venue_bybit_ops.server_time(x->v, &now, &ve), 0);
  assert_true(now / MS >= NOW_MS && now / MS < NOW_MS + 60000);
  size_t t0 = fv_count(&x->f, "GET", "/v5/market/time");
  cq_balance *b = NULL;
  size_t n = 0;
  assert_int_equal(cq_venue_bybit_ops.balances(x->v, &b, &n, &ve), 0);
  assert_int_equal(fv_count(&x->f, "GET", "/v5/market/time"), t0 + 1);
  free(b);
  free(body);
}

static void test_403_bans(void **state) {
  fixture *x = *state;
  fv_add(&x->f, "GET", "/v5/market/orderbook", 403, "", -1);
  cq_l2book *b = NULL;
  cq_error e;
  assert_int_equal(cq_l2book_new(1000, &b, &e), 0);
  cq_verror ve;
  assert_int_equal(cq_venue_bybit_ops.depth(x->v, "BTC/USDT", 50, b, &ve), CQ_ELIMIT);
  assert_int_equal(ve.cls, CQ_VERR_BANNED);
  assert_true(ve.retry_after_ms >= 60000);
  assert_int_equal(fv_count(&x->f, "GET", "/v5/market/orderbook"), 1);
  /* nothing is sent during the ban */
  size_t seen = x->f.nseen;
  assert_int_equal(cq_venue_bybit_ops.depth(x->v, "BTC/USDT", 50, b, &ve), CQ_ELIMIT);
  assert_int_equal(ve.cls, CQ_VERR_BANNED);
  pthread_mutex_lock(&x->f.mu);
  assert_int_equal(x->f.nseen, seen);
  pthread_mutex_unlock(&x->f.mu);
  cq_l2book_free(b);
}

static void test_trades_and_book(void **state) {
  fixture *x = *state;
  char *trades = fv_slurp(CQ_TEST_DATA "/exchange/bybit/http_get_trades_recent.json");
  char *book = fv_slurp(CQ_TEST_DATA "/exchange/bybit/http_get_orderbook.json");
  assert_non_null(trades);
  assert_non_null(book);
  fv_add(&x->f, "GET", "/v5/market/recent-trade", 0, trades, -1);
  fv_add(&x->f, "GET", "/v5/market/orderbook", 0, book, -1);
  cq_trades t;
  cq_trades_init(&t, 0);
  cq_verror ve;
  assert_int_equal(cq_venue_bybit_ops.trades(x->v, "BTC/USDT", -1, 50, &t, &ve), 0);
  assert_true(t.len > 0);
  assert_int_equal(cq_venue_bybit_ops.trades(x->v, "BTC/USDT", 5, 50, &t, &ve), CQ_EUNSUPPORTED);
  cq_trades_release(&t);
  cq_l2book *b = NULL;
  cq_error e;
  assert_int_equal(cq_l2book_new(1000, &b, &e), 0);
  assert_int_equal(cq_venue_bybit_ops.depth(x->v, "BTC/USDT", 20, b, &ve), 0);
  assert_true(cq_l2book_depth(b, CQ_SIDE_SELL) > 0);
  fv_seen s;
  assert_true(fv_last(&x->f, "/v5/market/orderbook", &s));
  assert_non_null(strstr(s.query, "limit=20"));
  cq_l2book_free(b);
  free(trades);
  free(book);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_instruments, setup, teardown),
      cmocka_unit_test_setup_teardown(test_klines_page, setup, teardown),
      cmocka_unit_test_setup_teardown(test_klines_skip_empty_windows, setup, teardown),
      cmocka_unit_test_setup_teardown(test_order_lifecycle, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_outcome_recovered, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_outcome_never_placed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rejections, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rate_limit_waits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timestamp_resync, setup, teardown),
      cmocka_unit_test_setup_teardown(test_403_bans, setup, teardown),
      cmocka_unit_test_setup_teardown(test_trades_and_book, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
