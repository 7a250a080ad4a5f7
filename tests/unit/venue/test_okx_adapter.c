/* The OKX adapter against a scripted local venue: the requests it builds (paths, queries,
 * the signature headers, recomputed here), candle pages (window, oldest first, closed by
 * the venue's clock, history-candles for old bars), and its handling of answers: 50011 waits
 * and resends, 50102 resyncs the clock once, an unanswered placement is found by clOrdId
 * and never sent twice, error codes map onto cquant's classes. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/venue.h"
#include "fake_venue.h"
#include "okx.h"

#define H CQ_NS_PER_HOUR
#define MS CQ_NS_PER_MS
/* the venue's clock: 2024-01-01T10:30Z */
#define NOW_MS INT64_C(1704105000000)
#define T10 (INT64_C(1704103200000) * MS) /* 10:00 */

static const char TIME_BODY[] =
    "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"ts\":\"1704105000000\"}]}";

static const char *const HDRS[] = {"OK-ACCESS-KEY", "OK-ACCESS-SIGN", "OK-ACCESS-TIMESTAMP",
                                   "OK-ACCESS-PASSPHRASE", "Content-Type"};

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
  fv_add(&x->f, "GET", "/api/v5/public/time", 0, TIME_BODY, -1);
  cq_venue_config cfg;
  cq_venue_config_default(&cfg);
  cfg.rest_url = x->f.url;
  cfg.api_key = "key-1";
  cfg.api_secret = "secret-1";
  cfg.passphrase = "pass-1";
  cfg.http.max_retries = 0;
  cq_verror ve;
  if (cq_venue_okx_ops.open(&cfg, &x->v, &ve) < 0) {
    fprintf(stderr, "%s\n", ve.e.msg);
    return -1;
  }
  *state = x;
  return 0;
}

static int teardown(void **state) {
  fixture *x = *state;
  cq_venue_okx_ops.close(x->v);
  fv_stop(&x->f);
  free(x);
  return 0;
}

/* Rows of 1h candles from first (ns) for n bars, newest first as OKX sends them; confirm 1
 * except for the bar holding the venue's now. */
static const char *candle_rows(fixture *x, cq_time first, int n) {
  size_t o =
      (size_t)snprintf(x->candles, sizeof x->candles, "{\"code\":\"0\",\"msg\":\"\",\"data\":[");
  for (int i = n - 1; i >= 0; i--) {
    cq_time t = first + i * H;
    o += (size_t)snprintf(x->candles + o, sizeof x->candles - o,
                          "%s[\"%" PRId64
                          "\",\"100\",\"110\",\"90\",\"105\",\"2\",\"210\",\"210\",\"%s\"]",
                          i == n - 1 ? "" : ",", t / MS, t + H <= NOW_MS * MS ? "1" : "0");
  }
  snprintf(x->candles + o, sizeof x->candles - o, "]}");
  return x->candles;
}

static void test_registry(void **state) {
  (void)state;
  const cq_venue_ops *ops = NULL;
  cq_error e;
  assert_int_equal(cq_venue_find("okx", &ops, &e), 0);
  assert_ptr_equal(ops, &cq_venue_okx_ops);
  assert_int_equal(cq_venue_find("bybit", &ops, &e), 0);
  assert_ptr_equal(ops, &cq_venue_bybit_ops);
  const char *const *names = cq_venue_names();
  assert_string_equal(names[0], "binance");
  assert_string_equal(names[1], "okx");
  assert_string_equal(names[2], "bybit");
  assert_null(names[3]);
}

static void test_open_refuses_half_keys(void **state) {
  (void)state;
  cq_venue_config cfg;
  cq_venue_config_default(&cfg);
  cfg.api_key = "k";
  cfg.api_secret = "s"; /* no passphrase */
  cq_venue *v = NULL;
  cq_verror ve;
  assert_int_equal(cq_venue_okx_ops.open(&cfg, &v, &ve), CQ_ECONFIG);
  assert_null(v);
  assert_non_null(strstr(ve.e.msg, "passphrase"));
}

static void test_instruments(void **state) {
  fixture *x = *state;
  char *body = fv_slurp(CQ_TEST_DATA "/exchange/okx/http_get_instruments_spot.json");
  assert_non_null(body);
  fv_add(&x->f, "GET", "/api/v5/public/instruments", 0, body, -1);
  cq_instrument *ins = NULL;
  size_t n = 0;
  cq_verror ve;
  assert_int_equal(cq_venue_okx_ops.instruments(x->v, &ins, &n, &ve), 0);
  assert_true(n > 0);
  assert_string_equal(ins[0].venue, "okx");
  assert_non_null(strchr(ins[0].symbol, '/'));
  fv_seen s;
  assert_true(fv_last(&x->f, "/api/v5/public/instruments", &s));
  assert_string_equal(s.query, "instType=SPOT");
  assert_string_equal(s.hdr[0], ""); /* a public call is not signed */
  free(ins);
  free(body);
}

static void test_candles_page(void **state) {
  fixture *x = *state;
  cq_time from = T10 - 3 * H; /* 07:00 */
  fv_add(&x->f, "GET", "/api/v5/market/candles", 0, candle_rows(x, from, 4), -1);
  cq_candles out;
  cq_candles_init(&out, 0);
  cq_verror ve;
  cq_timeframe tf = {1, CQ_TF_HOUR};
  assert_int_equal(cq_venue_okx_ops.candles(x->v, "BTC/USDT", tf, from, 0, &out, &ve), 0);
  assert_int_equal(out.len, 4);
  for (size_t i = 0; i < 4; i++) assert_int_equal(out.open_time[i], from + (int64_t)i * H);
  assert_true(out.closed[0] && out.closed[1] && out.closed[2]);
  assert_false(out.closed[3]); /* 10:00 + 1h is after the venue's 10:30 */
  fv_seen s;
  assert_true(fv_last(&x->f, "/api/v5/market/candles", &s));
  assert_non_null(strstr(s.query, "instId=BTC-USDT"));
  assert_non_null(strstr(s.query, "bar=1H"));
  char want[64];
  snprintf(want, sizeof want, "before=%" PRId64, from / MS - 1);
  assert_non_null(strstr(s.query, want));
  /* to cuts the window: 08:00 and 09:00 only */
  cq_candles_clear(&out);
  assert_int_equal(
      cq_venue_okx_ops.candles(x->v, "BTC/USDT", tf, from + H, from + 3 * H, &out, &ve), 0);
  assert_int_equal(out.len, 2);
  assert_int_equal(out.open_time[0], from + H);
  assert_true(fv_last(&x->f, "/api/v5/market/candles", &s));
  snprintf(want, sizeof want, "after=%" PRId64, (from + 3 * H) / MS);
  assert_non_null(strstr(s.query, want));
  cq_candles_release(&out);
}

static void test_candles_history(void **state) {
  fixture *x = *state;
  cq_time from = T10 - 5000 * H; /* long past the 1440 bars market/candles serves */
  fv_add(&x->f, "GET", "/api/v5/market/history-candles", 0, candle_rows(x, from, 3), -1);
  cq_candles out;
  cq_candles_init(&out, 0);
  cq_verror ve;
  cq_timeframe tf = {1, CQ_TF_HOUR};
  assert_int_equal(cq_venue_okx_ops.candles(x->v, "BTC/USDT", tf, from, 0, &out, &ve), 0);
  assert_int_equal(out.len, 3);
  assert_true(out.closed[2]);
  assert_int_equal(fv_count(&x->f, "GET", "/api/v5/market/candles"), 0);
  fv_seen s;
  assert_true(fv_last(&x->f, "/api/v5/market/history-candles", &s));
  assert_non_null(strstr(s.query, "limit=100"));
  /* a timeframe OKX has no bar for */
  cq_timeframe odd = {7, CQ_TF_MINUTE};
  assert_int_equal(cq_venue_okx_ops.candles(x->v, "BTC/USDT", odd, from, 0, &out, &ve),
                   CQ_EUNSUPPORTED);
  assert_int_equal(ve.cls, CQ_VERR_UNSUPPORTED);
  cq_candles_release(&out);
}

static const char ORDER_LIVE[] =
    "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"instType\":\"SPOT\",\"instId\":\"BTC-USDT\","
    "\"ordId\":\"42\",\"clOrdId\":\"c1\",\"side\":\"buy\",\"ordType\":\"limit\",\"sz\":\"0.5\","
    "\"px\":\"100\",\"accFillSz\":\"0.2\",\"avgPx\":\"100\",\"state\":\"partially_filled\","
    "\"cTime\":\"1704105000000\",\"uTime\":\"1704105000000\"}]}";
static const char ORDER_CANCELLED[] =
    "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"instType\":\"SPOT\",\"instId\":\"BTC-USDT\","
    "\"ordId\":\"42\",\"clOrdId\":\"c1\",\"side\":\"buy\",\"ordType\":\"limit\",\"sz\":\"0.5\","
    "\"px\":\"100\",\"accFillSz\":\"0.2\",\"avgPx\":\"100\",\"state\":\"canceled\","
    "\"cTime\":\"1704105000000\",\"uTime\":\"1704105001000\"}]}";
static const char ACK[] =
    "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"ordId\":\"42\",\"clOrdId\":"
    "\"c1\",\"tag\":\"\",\"sCode\":\"0\",\"sMsg\":\"\"}]}";
static const char NO_ORDER[] = "{\"code\":\"51603\",\"msg\":\"Order does not exist\",\"data\":[]}";

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

/* The signature headers of a request, recomputed from what arrived. */
static void check_signed(const fv_seen *s, const char *path) {
  assert_string_equal(s->hdr[0], "key-1");
  assert_string_equal(s->hdr[3], "pass-1");
  char full[FV_TEXT + 160];
  snprintf(full, sizeof full, "%s%s%s", path, *s->query ? "?" : "", s->query);
  char sig[45];
  cq_error e;
  assert_int_equal(
      cq_okx_sign("secret-1", s->hdr[2], s->method, full, *s->body ? s->body : NULL, sig, &e), 0);
  assert_string_equal(s->hdr[1], sig);
  /* ISO-8601 with milliseconds, by the venue's clock */
  assert_int_equal(strlen(s->hdr[2]), 24);
  assert_memory_equal(s->hdr[2], "2024-01-01T10:3", 15);
}

static void test_order_lifecycle(void **state) {
  fixture *x = *state;
  fv_add(&x->f, "POST", "/api/v5/trade/order", 0, ACK, -1);
  fv_add(&x->f, "POST", "/api/v5/trade/cancel-order", 0, ACK, -1);
  fv_add(&x->f, "GET", "/api/v5/trade/order", 0, ORDER_LIVE, 2);
  fv_add(&x->f, "GET", "/api/v5/trade/order", 0, ORDER_CANCELLED, -1);
  cq_venue_order_req req = limit_buy();
  cq_venue_order o;
  cq_verror ve;
  assert_int_equal(cq_venue_okx_ops.place(x->v, &req, &o, &ve), 0);
  assert_string_equal(o.symbol, "BTC/USDT");
  assert_string_equal(o.client_id, "c1");
  assert_string_equal(o.venue_id, "42");
  assert_int_equal(o.state, CQ_OS_PARTIAL);
  fv_seen s;
  assert_true(fv_last(&x->f, "/api/v5/trade/order", &s));
  assert_string_equal(s.method, "GET");
  assert_non_null(strstr(s.query, "clOrdId=c1"));
  check_signed(&s, "/api/v5/trade/order");
  /* the POST: its JSON body signed, and sent once */
  assert_int_equal(fv_count(&x->f, "POST", "/api/v5/trade/order"), 1);
  pthread_mutex_lock(&x->f.mu);
  fv_seen post;
  memset(&post, 0, sizeof post);
  for (size_t i = 0; i < x->f.nseen; i++)
    if (strcmp(x->f.seen[i].method, "POST") == 0) post = x->f.seen[i];
  pthread_mutex_unlock(&x->f.mu);
  assert_non_null(strstr(post.body, "\"clOrdId\":\"c1\""));
  assert_non_null(strstr(post.body, "\"tdMode\":\"cash\""));
  assert_string_equal(post.hdr[4], "application/json");
  check_signed(&post, "/api/v5/trade/order");
  /* query by client id */
  assert_int_equal(cq_venue_okx_ops.query(x->v, "BTC/USDT", "c1", &o, &ve), 0);
  assert_int_equal(o.state, CQ_OS_PARTIAL);
  /* cancel: the final state comes from a query */
  assert_int_equal(cq_venue_okx_ops.cancel(x->v, "BTC/USDT", "c1", &o, &ve), 0);
  assert_int_equal(o.state, CQ_OS_CANCELLED);
}

static void test_unknown_outcome_recovered(void **state) {
  fixture *x = *state;
  fv_add_drop(&x->f, "POST", "/api/v5/trade/order", -1);
  fv_add(&x->f, "GET", "/api/v5/trade/order", 0, NO_ORDER, 1); /* not visible at once */
  fv_add(&x->f, "GET", "/api/v5/trade/order", 0, ORDER_LIVE, -1);
  cq_venue_order_req req = limit_buy();
  cq_venue_order o;
  cq_verror ve;
  assert_int_equal(cq_venue_okx_ops.place(x->v, &req, &o, &ve), 0);
  assert_string_equal(o.venue_id, "42");
  assert_int_equal(fv_count(&x->f, "POST", "/api/v5/trade/order"), 1); /* never resent */
  assert_true(fv_count(&x->f, "GET", "/api/v5/trade/order") >= 2);
}

static void test_unknown_outcome_never_placed(void **state) {
  fixture *x = *state;
  fv_add(&x->f, "POST", "/api/v5/trade/order", 503, "", -1);
  fv_add(&x->f, "GET", "/api/v5/trade/order", 0, NO_ORDER, -1);
  cq_venue_order_req req = limit_buy();
  cq_venue_order o;
  cq_verror ve;
  assert_int_equal(cq_venue_okx_ops.place(x->v, &req, &o, &ve), CQ_ENOTFOUND);
  assert_int_equal(ve.cls, CQ_VERR_NOT_FOUND);
  assert_non_null(strstr(ve.e.msg, "never placed"));
  assert_int_equal(fv_count(&x->f, "POST", "/api/v5/trade/order"), 1);
}

static void test_rejections(void **state) {
  fixture *x = *state;
  fv_add(&x->f, "POST", "/api/v5/trade/order", 0,
         "{\"code\":\"1\",\"msg\":\"All operations failed\",\"data\":[{\"ordId\":\"\","
         "\"clOrdId\":\"c1\",\"sCode\":\"51008\",\"sMsg\":\"Insufficient balance\"}]}",
         -1);
  fv_add(&x->f, "GET", "/api/v5/trade/order", 0, NO_ORDER, -1);
  cq_venue_order_req req = limit_buy();
  cq_venue_order o;
  cq_verror ve;
  assert_true(cq_venue_okx_ops.place(x->v, &req, &o, &ve) < 0);
  assert_int_equal(ve.cls, CQ_VERR_INSUFFICIENT);
  assert_int_equal(ve.venue_code, 51008);
  assert_int_equal(cq_venue_okx_ops.query(x->v, "BTC/USDT", "zz", &o, &ve), CQ_ENOTFOUND);
  assert_int_equal(ve.cls, CQ_VERR_NOT_FOUND);
  /* a request without keys */
  cq_venue_config cfg;
  cq_venue_config_default(&cfg);
  cfg.rest_url = x->f.url;
  cq_venue *pub = NULL;
  assert_int_equal(cq_venue_okx_ops.open(&cfg, &pub, &ve), 0);
  assert_int_equal(cq_venue_okx_ops.query(pub, "BTC/USDT", "c1", &o, &ve), CQ_EPERM);
  assert_int_equal(ve.cls, CQ_VERR_AUTH);
  cq_venue_okx_ops.close(pub);
}

static void test_rate_limit_waits(void **state) {
  fixture *x = *state;
  char *body = fv_slurp(CQ_TEST_DATA "/exchange/okx/http_get_account_balance.json");
  assert_non_null(body);
  fv_add(&x->f, "GET", "/api/v5/account/balance", 429,
         "{\"code\":\"50011\",\"msg\":\"Too Many Requests\",\"data\":[]}", 1);
  fv_add(&x->f, "GET", "/api/v5/account/balance", 0, body, -1);
  cq_balance *b = NULL;
  size_t n = 0;
  cq_verror ve;
  assert_int_equal(cq_venue_okx_ops.balances(x->v, &b, &n, &ve), 0);
  assert_true(n > 0);
  assert_int_equal(fv_count(&x->f, "GET", "/api/v5/account/balance"), 2);
  free(b);
  free(body);
}

static void test_timestamp_resync(void **state) {
  fixture *x = *state;
  char *body = fv_slurp(CQ_TEST_DATA "/exchange/okx/http_get_account_balance.json");
  assert_non_null(body);
  fv_add(&x->f, "GET", "/api/v5/account/balance", 0,
         "{\"code\":\"50102\",\"msg\":\"Timestamp request expired\",\"data\":[]}", 1);
  fv_add(&x->f, "GET", "/api/v5/account/balance", 0, body, -1);
  cq_balance *b = NULL;
  size_t n = 0;
  cq_verror ve;
  cq_time now = 0;
  assert_int_equal(cq_venue_okx_ops.server_time(x->v, &now, &ve), 0);
  assert_true(now / MS >= NOW_MS && now / MS < NOW_MS + 60000);
  size_t t0 = fv_count(&x->f, "GET", "/api/v5/public/time");
  assert_int_equal(cq_venue_okx_ops.balances(x->v, &b, &n, &ve), 0);
  assert_int_equal(fv_count(&x->f, "GET", "/api/v5/public/time"), t0 + 1);
  free(b);
  free(body);
}

static void test_timestamp_twice(void **state) {
  fixture *x = *state;
  fv_add(&x->f, "GET", "/api/v5/account/balance", 0,
         "{\"code\":\"50112\",\"msg\":\"Invalid OK-ACCESS-TIMESTAMP\",\"data\":[]}", -1);
  cq_balance *b = NULL;
  size_t n = 0;
  cq_verror ve;
  assert_true(cq_venue_okx_ops.balances(x->v, &b, &n, &ve) < 0);
  assert_int_equal(ve.cls, CQ_VERR_TIMESTAMP);
  assert_int_equal(ve.venue_code, 50112);
  assert_int_equal(fv_count(&x->f, "GET", "/api/v5/account/balance"), 2);
}

static void test_trades_and_book(void **state) {
  fixture *x = *state;
  char *trades = fv_slurp(CQ_TEST_DATA "/exchange/okx/http_get_trades.json");
  char *book = fv_slurp(CQ_TEST_DATA "/exchange/okx/http_get_order_book.json");
  assert_non_null(trades);
  assert_non_null(book);
  fv_add(&x->f, "GET", "/api/v5/market/trades", 0, trades, -1);
  fv_add(&x->f, "GET", "/api/v5/market/books", 0, book, -1);
  cq_trades t;
  cq_trades_init(&t, 0);
  cq_verror ve;
  assert_int_equal(cq_venue_okx_ops.trades(x->v, "BTC/USDT", -1, 50, &t, &ve), 0);
  assert_true(t.len > 0);
  assert_int_equal(cq_venue_okx_ops.trades(x->v, "BTC/USDT", 5, 50, &t, &ve), CQ_EUNSUPPORTED);
  assert_false(cq_venue_okx_ops.caps & CQ_VCAP_TRADES_HISTORY);
  cq_trades_release(&t);
  cq_l2book *b = NULL;
  cq_error e;
  assert_int_equal(cq_l2book_new(1000, &b, &e), 0);
  assert_int_equal(cq_venue_okx_ops.depth(x->v, "BTC/USDT", 20, b, &ve), 0);
  assert_true(cq_l2book_depth(b, CQ_SIDE_BUY) > 0);
  fv_seen s;
  assert_true(fv_last(&x->f, "/api/v5/market/books", &s));
  assert_non_null(strstr(s.query, "sz=20"));
  cq_l2book_free(b);
  free(trades);
  free(book);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry),
      cmocka_unit_test(test_open_refuses_half_keys),
      cmocka_unit_test_setup_teardown(test_instruments, setup, teardown),
      cmocka_unit_test_setup_teardown(test_candles_page, setup, teardown),
      cmocka_unit_test_setup_teardown(test_candles_history, setup, teardown),
      cmocka_unit_test_setup_teardown(test_order_lifecycle, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_outcome_recovered, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_outcome_never_placed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rejections, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rate_limit_waits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timestamp_resync, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timestamp_twice, setup, teardown),
      cmocka_unit_test_setup_teardown(test_trades_and_book, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
