/* The venue simulator on loopback: REST through the HTTP client of net.h, streams through
 * its WebSocket client (raw, combined, SUBSCRIBE, depth chaining, the user-data stream),
 * and faults seen from the client side (a lost order answer, a dropped connection). */
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

#include "cquant/net.h"
#include "cquant/vsim.h"
#include "internal.h"

#define KEY "loop-key"
#define SECRET "loop-secret"
#define WAIT_MS 15000

typedef struct env {
  cq_net_loop *loop;
  cq_vsim *sim;
  cq_http_client *http;
} env;

static int setup(void **state) {
  env *e = calloc(1, sizeof *e);
  cq_error err;
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  static const cq_vsim_account acc[] = {{KEY, SECRET, "USDT=100000,BTC=2"}};
  o.accounts = acc;
  o.naccounts = 1;
  o.ws_ping_ms = 1000;
  if (cq_net_loop_new(NULL, &e->loop, &err)) fail_msg("%s", err.msg);
  if (cq_vsim_new(&o, &e->sim, &err)) fail_msg("%s", err.msg);
  if (cq_vsim_start(e->sim, e->loop, NULL, 0, &err)) fail_msg("%s", err.msg);
  cq_http_options ho;
  cq_http_options_default(&ho);
  ho.max_retries = 0;
  ho.timeout_ms = 5000;
  if (cq_http_client_new(&ho, &e->http, &err)) fail_msg("%s", err.msg);
  *state = e;
  return 0;
}

static int teardown(void **state) {
  env *e = *state;
  cq_http_client_free(e->http);
  cq_vsim_stop(e->sim);
  cq_net_loop_free(e->loop);
  cq_vsim_free(e->sim);
  free(e);
  return 0;
}

static int request(env *e, const char *method, const char *path, const char *params, bool sign,
                   cq_http_response *resp) {
  char q[1024] = "", url[1400];
  if (sign) {
    char sig[65];
    snprintf(q, sizeof q, "%s%stimestamp=%lld", params, *params ? "&" : "",
             (long long)cq_vsim_now_ms(e->sim));
    vd_hmac_hex(SECRET, q, strlen(q), sig);
    size_t n = strlen(q);
    snprintf(q + n, sizeof q - n, "&signature=%s", sig);
  } else {
    snprintf(q, sizeof q, "%s", params);
  }
  bool body = !strcmp(method, "POST") && sign;
  snprintf(url, sizeof url, "%s%s%s%s", cq_vsim_rest_url(e->sim), path, !body && *q ? "?" : "",
           body ? "" : q);
  const char *hdrs[] = {"X-MBX-APIKEY: " KEY, "Content-Type: application/x-www-form-urlencoded",
                        NULL};
  cq_http_request rq = {.method = method,
                        .url = url,
                        .headers = hdrs,
                        .body = body ? q : NULL,
                        .body_len = body ? strlen(q) : 0};
  memset(resp, 0, sizeof *resp);
  cq_error err;
  return cq_http_do(e->http, &rq, resp, &err);
}

static void test_rest(void **state) {
  env *e = *state;
  cq_http_response r;
  assert_int_equal(request(e, "GET", "/api/v3/time", "", false, &r), CQ_OK);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "serverTime"));
  char buf[32];
  assert_non_null(cq_http_header(&r, "X-MBX-USED-WEIGHT-1M", buf, sizeof buf));
  cq_http_response_release(&r);
  assert_int_equal(
      request(e, "POST", "/api/v3/order",
              "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01000&newClientOrderId=l-1", true,
              &r),
      CQ_OK);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"status\":\"FILLED\""));
  cq_http_response_release(&r);
  /* the answer of an accepted order lost: the client hears nothing, the order exists once.
   * Sent on a connection of its own: on a kept-alive connection that dies before any answer
   * libcurl sends the request again by itself, which this test is not about. */
  cq_vsim_fault_spec f;
  assert_int_equal(cq_vsim_fault_parse("lose_order:1", &f, NULL), CQ_OK);
  assert_int_equal(cq_vsim_fault(e->sim, &f, NULL), CQ_OK);
  cq_http_client *kept = e->http;
  cq_http_options ho;
  cq_http_options_default(&ho);
  ho.max_retries = 0;
  ho.timeout_ms = 5000;
  assert_int_equal(cq_http_client_new(&ho, &e->http, NULL), CQ_OK);
  int rc = request(e, "POST", "/api/v3/order",
                   "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01000&newClientOrderId=l-2",
                   true, &r);
  cq_http_client_free(e->http);
  e->http = kept;
  if (rc == CQ_OK)
    fail_msg("an answer arrived after %d attempts, orders with the id: %llu: %d %s", r.attempts,
             (unsigned long long)cq_vsim_orders_with_client_id(e->sim, "l-2"), r.status, r.body);
  assert_true(rc == CQ_ENET || rc == CQ_ETIMEOUT);
  cq_http_response_release(&r);
  assert_int_equal(
      request(e, "GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=l-2", true, &r), CQ_OK);
  assert_int_equal(r.status, 200);
  cq_http_response_release(&r);
  assert_int_equal(cq_vsim_orders_with_client_id(e->sim, "l-2"), 1);
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

static bool count_at_least(collector *c, void *arg) {
  return c->n >= *(int *)arg;
}
static bool closed(collector *c, void *arg) {
  (void)arg;
  return c->closes > 0;
}
static bool has_text(collector *c, void *arg) {
  for (int i = 0; i < c->n; i++)
    if (strstr(c->msgs[i], (const char *)arg)) return true;
  return false;
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

static void test_depth_chain(void **state) {
  env *e = *state;
  collector c;
  cq_ws_client *ws = open_ws(e, "/ws/btcusdt@depth@100ms", &c);
  int want = 5;
  assert_true(wait_for(&c, count_at_least, &want));
  pthread_mutex_lock(&c.mu);
  long long prev_u = -1;
  for (int i = 0; i < c.n; i++) {
    json_t *j = json_loads(c.msgs[i], 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "e")), "depthUpdate");
    long long U = json_integer_value(json_object_get(j, "U"));
    long long u = json_integer_value(json_object_get(j, "u"));
    assert_true(U <= u);
    if (prev_u >= 0) assert_int_equal(U, prev_u + 1);
    prev_u = u;
    json_decref(j);
  }
  pthread_mutex_unlock(&c.mu);
  close_ws(e, ws, &c);
}

static void test_combined_and_subscribe(void **state) {
  env *e = *state;
  collector c;
  cq_ws_client *ws = open_ws(e, "/stream?streams=btcusdt@bookTicker/ethusdt@kline_1m", &c);
  assert_true(wait_for(&c, has_text, "\"stream\":\"ethusdt@kline_1m\""));
  assert_true(wait_for(&c, has_text, "\"stream\":\"btcusdt@bookTicker\""));
  const char *sub = "{\"method\":\"SUBSCRIBE\",\"params\":[\"ethusdt@aggTrade\"],\"id\":7}";
  cq_error err;
  assert_int_equal(cq_ws_send(ws, sub, strlen(sub), &err), CQ_OK);
  assert_true(wait_for(&c, has_text, "{\"result\":null,\"id\":7}"));
  assert_true(wait_for(&c, has_text, "\"e\":\"aggTrade\""));
  close_ws(e, ws, &c);
}

static void test_user_stream(void **state) {
  env *e = *state;
  cq_http_response r;
  assert_int_equal(request(e, "POST", "/api/v3/userDataStream", "", false, &r), CQ_OK);
  assert_int_equal(r.status, 200);
  json_t *j = json_loads(r.body, 0, NULL);
  char path[128];
  snprintf(path, sizeof path, "/ws/%s", json_string_value(json_object_get(j, "listenKey")));
  json_decref(j);
  cq_http_response_release(&r);
  collector c;
  cq_ws_client *ws = open_ws(e, path, &c);
  /* an order: NEW then TRADE reports, and the balances */
  for (int tries = 0; tries < 50; tries++) {
    cq_ws_stats st;
    cq_ws_client_stats(ws, &st);
    if (st.connected) break;
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
  }
  assert_int_equal(
      request(e, "POST", "/api/v3/order",
              "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.01000&newClientOrderId=u-1", true,
              &r),
      CQ_OK);
  assert_int_equal(r.status, 200);
  cq_http_response_release(&r);
  assert_true(wait_for(&c, has_text, "\"x\":\"TRADE\""));
  assert_true(wait_for(&c, has_text, "\"e\":\"outboundAccountPosition\""));
  assert_true(wait_for(&c, has_text, "\"c\":\"u-1\""));
  close_ws(e, ws, &c);
}

static void test_ws_drop(void **state) {
  env *e = *state;
  collector c;
  cq_ws_client *ws = open_ws(e, "/ws/btcusdt@trade/btcusdt@bookTicker", &c);
  int want = 1;
  assert_true(wait_for(&c, count_at_least, &want));
  cq_vsim_fault_spec f;
  assert_int_equal(cq_vsim_fault_parse("ws_drop:2", &f, NULL), CQ_OK);
  assert_int_equal(cq_vsim_fault(e->sim, &f, NULL), CQ_OK);
  assert_true(wait_for(&c, closed, NULL));
  close_ws(e, ws, &c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_rest, setup, teardown),
      cmocka_unit_test_setup_teardown(test_depth_chain, setup, teardown),
      cmocka_unit_test_setup_teardown(test_combined_and_subscribe, setup, teardown),
      cmocka_unit_test_setup_teardown(test_user_stream, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ws_drop, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
