/* The OKX and Bybit dialects' streams against a recording server (this file provides the
 * server functions of net.h the simulator calls): every message the market thread sends
 * decodes with the venue's codec, the books go through the codec's synchronizers (OKX's
 * seqId chain and CRC32 checksum, Bybit's u) without a break, a dropped update is seen as a
 * gap, and the private streams carry an order placed over REST. The clock is pinned. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "bybit.h"
#include "cquant/net.h"
#include "cquant/vsim.h"
#include "okx.h"
#include "vsim_impl.h"

#define KEY "sk"
#define SECRET "ss"
#define PASS "pp"
#define T0 INT64_C(1735732800000) /* 2025-01-01T12:00:00Z, on a minute */
#define MAX_MSGS 20000

#include "recording_server.h"

/* ---- helpers -------------------------------------------------------------------------------- */

typedef struct env {
  cq_vsim *sim;
  cq_server *srv;
  int64_t now;
} env;

static env *make_rate(const char *dialect, int trade_rate) {
  env *e = calloc(1, sizeof *e);
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  o.trade_rate = trade_rate;
  static const cq_vsim_account acc[] = {{KEY, SECRET, "USDT=100000,BTC=2"}};
  o.dialect = dialect;
  o.accounts = acc;
  o.naccounts = 1;
  o.passphrase = PASS;
  o.stream_interval_ms = 2;
  cq_error err;
  if (cq_vsim_new(&o, &e->sim, &err)) fail_msg("%s", err.msg);
  e->now = T0;
  cq_vsim_set_clock(e->sim, e->now);
  if (cq_vsim_start(e->sim, NULL, NULL, 0, &err)) fail_msg("%s", err.msg);
  e->srv = e->sim->srv;
  return e;
}

static env *make(const char *dialect) {
  return make_rate(dialect, 0);
}

static void unmake(env *e) {
  cq_vsim_free(e->sim);
  free(e);
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void advance(env *e, int64_t dt) {
  e->now += dt;
  cq_vsim_set_clock(e->sim, e->now);
  sleep_ms(15);
}

static int count(cq_server *s, uint64_t conn, const char *needle) {
  int k = 0;
  pthread_mutex_lock(&s->mu);
  for (int i = 0; i < s->n; i++)
    if (s->msgs[i].conn == conn && (!needle || strstr(s->msgs[i].text, needle))) k++;
  pthread_mutex_unlock(&s->mu);
  return k;
}

static bool wait_count(env *e, uint64_t conn, const char *needle, int min, int64_t step) {
  for (int i = 0; i < 2000; i++) {
    if (count(e->srv, conn, needle) >= min) return true;
    advance(e, step);
  }
  return count(e->srv, conn, needle) >= min;
}

static void say(env *e, uint64_t conn, const char *text) {
  e->srv->cb.on_ws_message(e->srv->cb.ctx, conn, text, strlen(text));
}

/* The messages of conn so far, copied (the market thread keeps adding). */
static int snapshot_msgs(cq_server *s, uint64_t conn, char ***out) {
  pthread_mutex_lock(&s->mu);
  char **v = calloc((size_t)s->n + 1, sizeof *v);
  int k = 0;
  for (int i = 0; v && i < s->n; i++)
    if (s->msgs[i].conn == conn) v[k++] = strdup(s->msgs[i].text);
  pthread_mutex_unlock(&s->mu);
  *out = v;
  return k;
}

static void free_msgs(char **v, int n) {
  for (int i = 0; i < n; i++) free(v[i]);
  free(v);
}

static cq_srv_response rest(env *e, const char *method, const char *path, const char *query,
                            const char *body, const char *headers) {
  cq_srv_response r;
  cq_vsim_handle_headers(e->sim, method, path, query, body, headers, &r);
  free(r.headers);
  return r;
}

/* ---- OKX ------------------------------------------------------------------------------------ */

typedef struct okx_tally {
  int trades, candles, books, tickers, orders, gaps, checksums, applied, events;
} okx_tally;

static okx_tally okx_read(env *e, uint64_t conn) {
  okx_tally t;
  memset(&t, 0, sizeof t);
  char **v;
  int n = snapshot_msgs(e->srv, conn, &v);
  cq_okx_msg m;
  cq_okx_msg_init(&m);
  cq_okx_book_sync *bs;
  assert_int_equal(cq_okx_book_sync_new(400, &bs, NULL), CQ_OK);
  for (int i = 0; i < n; i++) {
    cq_error err;
    int rc = cq_okx_parse_ws(v[i], strlen(v[i]), 0, &m, &err);
    if (rc) fail_msg("%s: %s", v[i], err.msg);
    if (m.kind == CQ_OKX_MSG_EVENT) {
      t.events++;
      continue;
    }
    if (m.kind == CQ_OKX_MSG_BOOK) {
      cq_vsync_result r;
      assert_int_equal(cq_okx_book_sync_apply(bs, &m.book, &r, &err), CQ_OK);
      t.books++;
      if (r == CQ_VSYNC_GAP) t.gaps++;
      if (r == CQ_VSYNC_CHECKSUM) t.checksums++;
      if (r == CQ_VSYNC_APPLIED) t.applied++;
      continue;
    }
    if (!strcmp(m.channel, "trades")) t.trades += (int)m.events.n;
    if (!strncmp(m.channel, "candle", 6)) t.candles += (int)m.events.n;
    if (!strcmp(m.channel, "tickers")) t.tickers += (int)m.events.n;
    if (!strcmp(m.channel, "orders")) t.orders += (int)m.events.n;
  }
  cq_okx_book_sync_free(bs);
  cq_okx_msg_release(&m);
  free_msgs(v, n);
  return t;
}

static void okx_headers(env *e, const char *method, const char *rp, const char *body, char *h,
                        size_t n) {
  char ts[32], sign[45];
  cq_okx_timestamp(e->now * CQ_NS_PER_MS, ts);
  assert_int_equal(cq_okx_sign(SECRET, ts, method, rp, body, sign, NULL), CQ_OK);
  snprintf(h, n,
           "OK-ACCESS-KEY: %s\r\nOK-ACCESS-SIGN: %s\r\nOK-ACCESS-TIMESTAMP: %s\r\n"
           "OK-ACCESS-PASSPHRASE: %s\r\n",
           KEY, sign, ts, PASS);
}

static void test_okx(void **state) {
  (void)state;
  env *e = make("okx");
  cq_server *s = e->srv;
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 1, "/ws/v5/elsewhere", ""), 404);
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 1, "/ws/v5/public", ""), 0);
  say(e, 1, "ping");
  assert_int_equal(count(s, 1, "pong"), 1);
  say(e, 1,
      "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},"
      "{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},{\"channel\":\"tickers\",\"instId\":"
      "\"ETH-USDT\"},{\"channel\":\"bbo-tbt\",\"instId\":\"ETH-USDT\"}]}");
  assert_int_equal(count(s, 1, "\"event\":\"subscribe\""), 4);
  say(e, 1, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"books\",\"instId\":\"NO-PE\"}]}");
  assert_int_equal(count(s, 1, "\"code\":\"60018\""), 1);
  /* candles live on the business URL */
  say(e, 1, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"candle1m\",\"instId\":\"BTC-USDT\"}]}");
  assert_int_equal(count(s, 1, "\"code\":\"60018\""), 2);
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 2, "/ws/v5/business", ""), 0);
  say(e, 2, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"candle1m\",\"instId\":\"BTC-USDT\"}]}");
  assert_true(wait_count(e, 1, "\"action\":\"update\"", 30, 100));
  assert_true(wait_count(e, 1, "\"channel\":\"trades\"", 3, 100));
  assert_true(wait_count(e, 2, "\"confirm\"", 0, 100));
  assert_true(wait_count(e, 2, "\"1\"]]}", 1, 1000)); /* a candle closed */
  okx_tally t = okx_read(e, 1);
  assert_int_equal(t.gaps, 0);
  assert_int_equal(t.checksums, 0);
  assert_true(t.applied >= 30);
  assert_true(t.trades >= 3);
  assert_true(t.tickers >= 1);
  okx_tally t2 = okx_read(e, 2);
  assert_true(t2.candles >= 2);
  /* a dropped update is a gap to the synchronizer */
  cq_vsim_fault_spec f;
  assert_int_equal(cq_vsim_fault_parse("depth_drop:1", &f, NULL), CQ_OK);
  assert_int_equal(cq_vsim_fault(e->sim, &f, NULL), CQ_OK);
  int before = count(s, 1, "\"action\":\"update\"");
  assert_true(wait_count(e, 1, "\"action\":\"update\"", before + 5, 100));
  t = okx_read(e, 1);
  assert_true(t.gaps >= 1);
  assert_int_equal(t.checksums, 0);
  s->cb.on_ws_close(s->cb.ctx, 1);
  s->cb.on_ws_close(s->cb.ctx, 2);
  /* private: login first, then orders; a REST order shows on it */
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 3, "/ws/v5/private", ""), 0);
  say(e, 3, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"orders\",\"instType\":\"SPOT\"}]}");
  assert_int_equal(count(s, 3, "\"code\":\"60011\""), 1);
  char login[512];
  assert_true(cq_okx_login_msg(KEY, PASS, "nope", e->now / 1000, login, sizeof login, NULL) > 0);
  say(e, 3, login);
  assert_int_equal(count(s, 3, "\"code\":\"60007\""), 1);
  assert_true(cq_okx_login_msg(KEY, PASS, SECRET, e->now / 1000, login, sizeof login, NULL) > 0);
  say(e, 3, login);
  assert_int_equal(count(s, 3, "\"event\":\"login\""), 1);
  say(e, 3,
      "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"orders\",\"instType\":\"SPOT\"},"
      "{\"channel\":\"account\"}]}");
  assert_int_equal(count(s, 3, "\"event\":\"subscribe\""), 2);
  const char *body =
      "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"clOrdId\":\"w1\","
      "\"side\":\"buy\",\"ordType\":\"market\",\"sz\":\"0.01\","
      "\"tgtCcy\":\"base_ccy\"}";
  char h[512];
  okx_headers(e, "POST", "/api/v5/trade/order", body, h, sizeof h);
  cq_srv_response r = rest(e, "POST", "/api/v5/trade/order", "", body, h);
  assert_int_equal(r.status, 200);
  free(r.body);
  assert_true(wait_count(e, 3, "\"state\":\"filled\"", 1, 10));
  assert_true(wait_count(e, 3, "\"channel\":\"account\"", 1, 10));
  t = okx_read(e, 3);
  assert_true(t.orders >= 1);
  s->cb.on_ws_close(s->cb.ctx, 3);
  unmake(e);
}

/* ---- Bybit ----------------------------------------------------------------------------------- */

typedef struct by_tally {
  int trades, candles, books, tickers, orders, fills, gaps, applied, acks, balances;
} by_tally;

static by_tally by_read(env *e, uint64_t conn, int depth) {
  by_tally t;
  memset(&t, 0, sizeof t);
  char **v;
  int n = snapshot_msgs(e->srv, conn, &v);
  cq_bybit_msg m;
  cq_bybit_msg_init(&m);
  cq_bybit_book_sync *bs;
  assert_int_equal(cq_bybit_book_sync_new(400, &bs, NULL), CQ_OK);
  char want[32];
  snprintf(want, sizeof want, "orderbook.%d.", depth);
  for (int i = 0; i < n; i++) {
    cq_error err;
    int rc = cq_bybit_parse_ws(v[i], strlen(v[i]), NULL, 0, &m, &err);
    if (rc) fail_msg("%s: %s", v[i], err.msg);
    if (m.kind == CQ_BYBIT_MSG_ACK) {
      t.acks++;
      continue;
    }
    if (m.kind == CQ_BYBIT_MSG_BOOK) {
      if (strncmp(m.topic, want, strlen(want)) != 0) continue;
      cq_vsync_result r;
      assert_int_equal(cq_bybit_book_sync_apply(bs, &m.book, &r, &err), CQ_OK);
      t.books++;
      if (r == CQ_VSYNC_GAP) t.gaps++;
      if (r == CQ_VSYNC_APPLIED) t.applied++;
      continue;
    }
    if (m.kind == CQ_BYBIT_MSG_FILLS) {
      t.fills += (int)m.nfills;
      continue;
    }
    if (!strncmp(m.topic, "publicTrade", 11)) t.trades += (int)m.events.n;
    if (!strncmp(m.topic, "kline", 5)) t.candles += (int)m.events.n;
    if (!strncmp(m.topic, "tickers", 7)) t.tickers += (int)m.events.n;
    if (!strcmp(m.topic, "order")) t.orders += (int)m.events.n;
    if (!strcmp(m.topic, "wallet")) t.balances += (int)m.events.n;
  }
  cq_bybit_book_sync_free(bs);
  cq_bybit_msg_release(&m);
  free_msgs(v, n);
  return t;
}

static void test_bybit(void **state) {
  (void)state;
  env *e = make("bybit");
  cq_server *s = e->srv;
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 1, "/v5/public/linear", ""), 404);
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 1, "/v5/public/spot", ""), 0);
  say(e, 1, "{\"op\":\"ping\",\"req_id\":\"p1\"}");
  assert_int_equal(count(s, 1, "\"ret_msg\":\"pong\""), 1);
  say(e, 1,
      "{\"op\":\"subscribe\",\"req_id\":\"s1\",\"args\":[\"publicTrade.BTCUSDT\","
      "\"orderbook.50.BTCUSDT\",\"kline.1.ETHUSDT\",\"tickers.ETHUSDT\"]}");
  assert_int_equal(count(s, 1, "\"success\":true"), 2);
  say(e, 1, "{\"op\":\"subscribe\",\"req_id\":\"s2\",\"args\":[\"orderbook.7.BTCUSDT\"]}");
  assert_int_equal(count(s, 1, "\"success\":false"), 1);
  assert_true(wait_count(e, 1, "\"type\":\"delta\"", 30, 100));
  assert_true(wait_count(e, 1, "\"confirm\":true", 1, 1000));
  by_tally t = by_read(e, 1, 50);
  assert_int_equal(t.gaps, 0);
  assert_true(t.applied >= 30);
  assert_true(t.trades >= 1);
  assert_true(t.candles >= 2);
  assert_true(t.tickers >= 1);
  cq_vsim_fault_spec f;
  assert_int_equal(cq_vsim_fault_parse("depth_drop:1", &f, NULL), CQ_OK);
  assert_int_equal(cq_vsim_fault(e->sim, &f, NULL), CQ_OK);
  int before = count(s, 1, "\"type\":\"delta\"");
  assert_true(wait_count(e, 1, "\"type\":\"delta\"", before + 5, 100));
  t = by_read(e, 1, 50);
  assert_true(t.gaps >= 1);
  s->cb.on_ws_close(s->cb.ctx, 1);
  /* private: auth, then order, execution and wallet */
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 2, "/v5/private", ""), 0);
  say(e, 2, "{\"op\":\"subscribe\",\"args\":[\"order\"]}");
  assert_int_equal(count(s, 2, "\"success\":false"), 1);
  char auth[512];
  assert_true(cq_bybit_auth_msg(KEY, "nope", e->now + 10000, auth, sizeof auth, NULL) > 0);
  say(e, 2, auth);
  assert_int_equal(count(s, 2, "\"retCode\":10004"), 1);
  assert_true(cq_bybit_auth_msg(KEY, SECRET, e->now + 10000, auth, sizeof auth, NULL) > 0);
  say(e, 2, auth);
  assert_int_equal(count(s, 2, "\"retCode\":0"), 1);
  say(e, 2, "{\"op\":\"subscribe\",\"args\":[\"order\",\"execution\",\"wallet\"]}");
  assert_int_equal(count(s, 2, "\"success\":true"), 2);
  say(e, 2, "{\"op\":\"ping\",\"req_id\":\"p2\"}");
  assert_int_equal(count(s, 2, "\"op\":\"pong\""), 1);
  const char *body =
      "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
      "\"orderType\":\"Market\",\"qty\":\"0.01\",\"marketUnit\":\"baseCoin\","
      "\"orderLinkId\":\"w1\"}";
  char sign[65], h[512];
  assert_int_equal(cq_bybit_sign(SECRET, e->now, KEY, 5000, body, sign, NULL), CQ_OK);
  snprintf(h, sizeof h,
           "X-BAPI-API-KEY: %s\r\nX-BAPI-TIMESTAMP: %lld\r\nX-BAPI-RECV-WINDOW: 5000\r\n"
           "X-BAPI-SIGN: %s\r\n",
           KEY, (long long)e->now, sign);
  cq_srv_response r = rest(e, "POST", "/v5/order/create", "", body, h);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"retCode\":0"));
  free(r.body);
  assert_true(wait_count(e, 2, "\"orderStatus\":\"Filled\"", 1, 10));
  assert_true(wait_count(e, 2, "\"topic\":\"execution\"", 1, 10));
  assert_true(wait_count(e, 2, "\"topic\":\"wallet\"", 1, 10));
  t = by_read(e, 2, 50);
  assert_true(t.orders >= 1);
  assert_true(t.fills >= 1);
  assert_true(t.balances >= 1);
  s->cb.on_ws_close(s->cb.ctx, 2);
  unmake(e);
}

/* At 1000 trades a second, a step 3 s late and a clock stepping back: every trade streams
 * once, in id order, the market's trades of the span (OKX one message a trade, Bybit in
 * batches). */
static void trades_complete(const char *dialect, const char *path, const char *sub) {
  env *e = make_rate(dialect, 1000);
  cq_server *s = e->srv;
  bool okx = !strcmp(dialect, "okx");
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 1, path, ""), 0);
  say(e, 1, sub);
  const char *needle = okx ? "\"channel\":\"trades\"" : "publicTrade.";
  assert_true(wait_count(e, 1, needle, 2, 10));
  advance(e, 3000); /* late */
  for (int i = 0; i < 5; i++) advance(e, 50);
  advance(e, -1000); /* the clock steps back */
  advance(e, 500);
  char **v;
  int nm = snapshot_msgs(s, 1, &v);
  s->cb.on_ws_close(s->cb.ctx, 1);
  enum { MAXT = 16384 };
  int64_t *ids = malloc(MAXT * sizeof *ids), *times = malloc(MAXT * sizeof *times);
  assert_true(ids && times);
  size_t n = 0;
  for (int i = 0; i < nm; i++) {
    if (!strstr(v[i], needle) || strstr(v[i], "\"event\"") || strstr(v[i], "\"op\"")) continue;
    json_t *j = json_loads(v[i], 0, NULL);
    json_t *d = json_object_get(j, "data");
    for (size_t k = 0; k < json_array_size(d); k++) {
      json_t *o = json_array_get(d, k);
      const char *id = json_string_value(json_object_get(o, okx ? "tradeId" : "i"));
      json_t *ts = json_object_get(o, okx ? "ts" : "T");
      assert_non_null(id);
      assert_true(n < MAXT);
      ids[n] = strtoll(id, NULL, 10);
      times[n++] = json_is_string(ts) ? strtoll(json_string_value(ts), NULL, 10)
                                      : (int64_t)json_integer_value(ts);
    }
    json_decref(j);
  }
  free_msgs(v, nm);
  if (n <= 500) fail_msg("%zu trades in %d messages", n, nm);
  for (size_t i = 1; i < n; i++) assert_true(ids[i] > ids[i - 1]);
  vm_trade *t = malloc(MAXT * sizeof *t);
  assert_non_null(t);
  size_t m = vm_trades_range(&e->sim->mkt, 0, times[0], times[n - 1] + 1, t, MAXT);
  assert_int_equal(m, n);
  for (size_t i = 0; i < n; i++) assert_int_equal(t[i].id, ids[i]);
  free(t);
  free(ids);
  free(times);
  unmake(e);
}

static void test_okx_trades_complete(void **state) {
  (void)state;
  trades_complete("okx", "/ws/v5/public",
                  "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"trades\",\"instId\":"
                  "\"BTC-USDT\"}]}");
}

static void test_bybit_trades_complete(void **state) {
  (void)state;
  trades_complete("bybit", "/v5/public/spot",
                  "{\"op\":\"subscribe\",\"req_id\":\"s1\",\"args\":[\"publicTrade.BTCUSDT\"]}");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_okx),
      cmocka_unit_test(test_bybit),
      cmocka_unit_test(test_okx_trades_complete),
      cmocka_unit_test(test_bybit_trades_complete),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
