/* The OKX and Bybit dialects on loopback: signed REST through the HTTP client of net.h
 * (headers, JSON bodies, query strings as the transport delivers them), and a book stream
 * through its WebSocket client, read with each venue's codec and synchronizer. */
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

#include "bybit.h"
#include "cquant/net.h"
#include "cquant/vsim.h"
#include "okx.h"

#define KEY "loop-key"
#define SECRET "loop-secret"
#define PASS "loop-pass"
#define WAIT_MS 15000

typedef struct env {
  cq_net_loop *loop;
  cq_vsim *sim;
  cq_http_client *http;
} env;

static env *make(const char *dialect) {
  env *e = calloc(1, sizeof *e);
  cq_error err;
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  static const cq_vsim_account acc[] = {{KEY, SECRET, "USDT=100000,BTC=2"}};
  o.dialect = dialect;
  o.accounts = acc;
  o.naccounts = 1;
  o.passphrase = PASS;
  o.ws_ping_ms = 1000;
  if (cq_net_loop_new(NULL, &e->loop, &err)) fail_msg("%s", err.msg);
  if (cq_vsim_new(&o, &e->sim, &err)) fail_msg("%s", err.msg);
  if (cq_vsim_start(e->sim, e->loop, NULL, 0, &err)) fail_msg("%s", err.msg);
  cq_http_options ho;
  cq_http_options_default(&ho);
  ho.max_retries = 0;
  ho.timeout_ms = 5000;
  if (cq_http_client_new(&ho, &e->http, &err)) fail_msg("%s", err.msg);
  return e;
}

static void unmake(env *e) {
  cq_http_client_free(e->http);
  cq_vsim_stop(e->sim);
  cq_net_loop_free(e->loop);
  cq_vsim_free(e->sim);
  free(e);
}

static int request(env *e, const char *method, const char *path, const char *query,
                   const char *body, const char **hdrs, cq_http_response *resp) {
  char url[1400];
  snprintf(url, sizeof url, "%s%s%s%s", cq_vsim_rest_url(e->sim), path, *query ? "?" : "", query);
  cq_http_request rq = {.method = method,
                        .url = url,
                        .headers = hdrs,
                        .body = *body ? body : NULL,
                        .body_len = strlen(body)};
  memset(resp, 0, sizeof *resp);
  cq_error err;
  return cq_http_do(e->http, &rq, resp, &err);
}

/* ---- streams ------------------------------------------------------------------------------ */

typedef struct collector {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  char *msgs[256];
  int n;
  int closes;
} collector;

static void on_open(void *ctx, cq_ws_client *ws, bool reconnect) {
  (void)ctx;
  (void)ws;
  (void)reconnect;
}

static void on_message(void *ctx, cq_ws_client *ws, const char *data, size_t len, bool binary) {
  (void)ws;
  (void)binary;
  collector *c = ctx;
  pthread_mutex_lock(&c->mu);
  if (c->n < 256) c->msgs[c->n++] = strndup(data, len);
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

static void on_close(void *ctx, cq_ws_client *ws, int code, const char *why, bool reconnecting) {
  (void)ws;
  (void)code;
  (void)why;
  (void)reconnecting;
  collector *c = ctx;
  pthread_mutex_lock(&c->mu);
  c->closes++;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

/* Waits until pred holds (or WAIT_MS passes); the result of pred. */
static bool wait_for(collector *c, bool (*pred)(collector *c, void *arg), void *arg) {
  struct timespec end;
  clock_gettime(CLOCK_REALTIME, &end);
  end.tv_sec += WAIT_MS / 1000;
  pthread_mutex_lock(&c->mu);
  bool ok;
  while (!(ok = pred(c, arg)))
    if (pthread_cond_timedwait(&c->cv, &c->mu, &end)) break;
  pthread_mutex_unlock(&c->mu);
  return ok;
}

static cq_ws_client *open_ws(env *e, const char *path, collector *c) {
  memset(c, 0, sizeof *c);
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  char url[256];
  snprintf(url, sizeof url, "%s%s", cq_vsim_ws_url(e->sim), path);
  cq_ws_options o;
  cq_ws_options_default(&o);
  o.url = url;
  o.reconnect = false;
  cq_ws_callbacks cb = {
      .ctx = c, .on_open = on_open, .on_message = on_message, .on_close = on_close};
  cq_ws_client *ws = NULL;
  cq_error err;
  if (cq_ws_client_open(e->loop, &o, &cb, &ws, &err)) fail_msg("%s", err.msg);
  return ws;
}

/* Closes the client and waits until the simulator saw the connection end. */
static void close_ws(env *e, cq_ws_client *ws, collector *c) {
  cq_ws_client_close(ws);
  for (int i = 0; i < 500; i++) {
    cq_vsim_counters k;
    cq_vsim_counters_get(e->sim, &k);
    if (k.ws_open == 0) break;
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
  for (int i = 0; i < c->n; i++) free(c->msgs[i]);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cv);
}

static bool okx_book_ok(collector *c, void *arg) {
  int *applied = arg;
  cq_okx_msg m;
  cq_okx_msg_init(&m);
  cq_okx_book_sync *bs = NULL;
  if (cq_okx_book_sync_new(400, &bs, NULL)) return false;
  int ok = 0;
  bool bad = false;
  for (int i = 0; i < c->n && !bad; i++) {
    if (cq_okx_parse_ws(c->msgs[i], strlen(c->msgs[i]), 0, &m, NULL)) continue;
    if (m.kind != CQ_OKX_MSG_BOOK) continue;
    cq_vsync_result r;
    if (cq_okx_book_sync_apply(bs, &m.book, &r, NULL)) bad = true;
    if (r == CQ_VSYNC_APPLIED) ok++;
    if (r == CQ_VSYNC_GAP || r == CQ_VSYNC_CHECKSUM) bad = true;
  }
  cq_okx_book_sync_free(bs);
  cq_okx_msg_release(&m);
  if (bad) *applied = -1;
  return bad || ok >= *applied;
}

static void test_okx(void **state) {
  (void)state;
  env *e = make("okx");
  cq_http_response r;
  const char *body =
      "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"clOrdId\":\"loop1\","
      "\"side\":\"buy\",\"ordType\":\"market\",\"sz\":\"0.01\","
      "\"tgtCcy\":\"base_ccy\"}";
  char ts[32], sign[45], h1[128], h2[128], h3[128], h4[128];
  cq_okx_timestamp(cq_vsim_now_ms(e->sim) * CQ_NS_PER_MS, ts);
  assert_int_equal(cq_okx_sign(SECRET, ts, "POST", "/api/v5/trade/order", body, sign, NULL), CQ_OK);
  snprintf(h1, sizeof h1, "OK-ACCESS-KEY: %s", KEY);
  snprintf(h2, sizeof h2, "OK-ACCESS-SIGN: %s", sign);
  snprintf(h3, sizeof h3, "OK-ACCESS-TIMESTAMP: %s", ts);
  snprintf(h4, sizeof h4, "OK-ACCESS-PASSPHRASE: %s", PASS);
  const char *hdrs[] = {h1, h2, h3, h4, "Content-Type: application/json", NULL};
  assert_int_equal(request(e, "POST", "/api/v5/trade/order", "", body, hdrs, &r), CQ_OK);
  assert_int_equal(r.status, 200);
  cq_okx_ack ack;
  cq_verror ve;
  cq_verror_clear(&ve);
  if (cq_okx_parse_ack(r.body, r.body_len, &ack, &ve)) fail_msg("%s", ve.e.msg);
  cq_http_response_release(&r);
  /* a signed GET with a query: the path signed with it */
  char q[256], rp[300];
  assert_true(cq_okx_order_query("BTC-USDT", "loop1", q, sizeof q, NULL) > 0);
  snprintf(rp, sizeof rp, "/api/v5/trade/order?%s", q);
  cq_okx_timestamp(cq_vsim_now_ms(e->sim) * CQ_NS_PER_MS, ts);
  assert_int_equal(cq_okx_sign(SECRET, ts, "GET", rp, NULL, sign, NULL), CQ_OK);
  snprintf(h2, sizeof h2, "OK-ACCESS-SIGN: %s", sign);
  snprintf(h3, sizeof h3, "OK-ACCESS-TIMESTAMP: %s", ts);
  assert_int_equal(request(e, "GET", "/api/v5/trade/order", q, "", hdrs, &r), CQ_OK);
  assert_int_equal(r.status, 200);
  cq_venue_order *o = NULL;
  size_t n = 0;
  cq_error err;
  if (cq_okx_parse_orders(r.body, r.body_len, &o, &n, &err)) fail_msg("%s", err.msg);
  assert_int_equal(o[0].state, CQ_OS_FILLED);
  free(o);
  cq_http_response_release(&r);
  /* books through the WebSocket client */
  collector c;
  cq_ws_client *ws = open_ws(e, "/ws/v5/public", &c);
  const char *sub =
      "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"books\",\"instId\":\"BTC-USDT\"}]}";
  for (int i = 0; i < 1000 && cq_ws_send(ws, sub, strlen(sub), NULL) != CQ_OK; i++) {
    struct timespec t = {0, 10000000};
    nanosleep(&t, NULL);
  }
  int want = 5;
  assert_true(wait_for(&c, okx_book_ok, &want));
  assert_true(want > 0);
  close_ws(e, ws, &c);
  unmake(e);
}

static bool bybit_book_ok(collector *c, void *arg) {
  int *applied = arg;
  cq_bybit_msg m;
  cq_bybit_msg_init(&m);
  cq_bybit_book_sync *bs = NULL;
  if (cq_bybit_book_sync_new(400, &bs, NULL)) return false;
  int ok = 0;
  bool bad = false;
  for (int i = 0; i < c->n && !bad; i++) {
    if (cq_bybit_parse_ws(c->msgs[i], strlen(c->msgs[i]), NULL, 0, &m, NULL)) continue;
    if (m.kind != CQ_BYBIT_MSG_BOOK) continue;
    cq_vsync_result r;
    if (cq_bybit_book_sync_apply(bs, &m.book, &r, NULL)) bad = true;
    if (r == CQ_VSYNC_APPLIED) ok++;
    if (r == CQ_VSYNC_GAP) bad = true;
  }
  cq_bybit_book_sync_free(bs);
  cq_bybit_msg_release(&m);
  if (bad) *applied = -1;
  return bad || ok >= *applied;
}

static void test_bybit(void **state) {
  (void)state;
  env *e = make("bybit");
  cq_http_response r;
  char q[256], sign[65], h1[128], h2[128], h3[128];
  assert_true(cq_bybit_order_query("BTCUSDT", NULL, q, sizeof q, NULL) > 0);
  int64_t ts = cq_vsim_now_ms(e->sim);
  assert_int_equal(cq_bybit_sign(SECRET, ts, KEY, 5000, q, sign, NULL), CQ_OK);
  snprintf(h1, sizeof h1, "X-BAPI-API-KEY: %s", KEY);
  snprintf(h2, sizeof h2, "X-BAPI-TIMESTAMP: %lld", (long long)ts);
  snprintf(h3, sizeof h3, "X-BAPI-SIGN: %s", sign);
  const char *hdrs[] = {h1,  h2, h3, "X-BAPI-RECV-WINDOW: 5000", "Content-Type: application/json",
                        NULL};
  assert_int_equal(request(e, "GET", "/v5/order/realtime", q, "", hdrs, &r), CQ_OK);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"retCode\":0"));
  cq_http_response_release(&r);
  const char *body =
      "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
      "\"orderType\":\"Limit\",\"qty\":\"0.01\",\"price\":\"30000\","
      "\"orderLinkId\":\"loop1\"}";
  ts = cq_vsim_now_ms(e->sim);
  assert_int_equal(cq_bybit_sign(SECRET, ts, KEY, 5000, body, sign, NULL), CQ_OK);
  snprintf(h2, sizeof h2, "X-BAPI-TIMESTAMP: %lld", (long long)ts);
  snprintf(h3, sizeof h3, "X-BAPI-SIGN: %s", sign);
  assert_int_equal(request(e, "POST", "/v5/order/create", "", body, hdrs, &r), CQ_OK);
  assert_int_equal(r.status, 200);
  cq_bybit_ack ack;
  cq_verror ve;
  cq_verror_clear(&ve);
  if (cq_bybit_parse_ack(r.body, r.body_len, &ack, &ve)) fail_msg("%s", ve.e.msg);
  assert_string_equal(ack.client_id, "loop1");
  cq_http_response_release(&r);
  collector c;
  cq_ws_client *ws = open_ws(e, "/v5/public/spot", &c);
  const char *sub = "{\"op\":\"subscribe\",\"args\":[\"orderbook.50.BTCUSDT\"]}";
  for (int i = 0; i < 1000 && cq_ws_send(ws, sub, strlen(sub), NULL) != CQ_OK; i++) {
    struct timespec t = {0, 10000000};
    nanosleep(&t, NULL);
  }
  int want = 5;
  assert_true(wait_for(&c, bybit_book_ok, &want));
  assert_true(want > 0);
  close_ws(e, ws, &c);
  unmake(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_okx),
      cmocka_unit_test(test_bybit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
