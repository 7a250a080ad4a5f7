/* The simulator's server half against a recording server: this file provides the server
 * functions of net.h the simulator calls, so the WebSocket routing (raw, combined,
 * SUBSCRIBE), the stream messages of the market thread (depth chaining, klines closing,
 * book tickers, trades), the user-data stream and the stream faults are checked without a
 * socket, on a pinned clock. */
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

#include "binance.h"
#include "cquant/net.h"
#include "cquant/vsim.h"
#include "vsim_impl.h"

static double num(const char *s) {
  return strtod(s, NULL);
}

#define KEY "sk"
#define SECRET "ss"
#define T0 INT64_C(1735732800000) /* 2025-01-01T12:00:00Z, on a minute */
#define MAX_MSGS 20000

#include "recording_server.h"

/* ---- helpers -------------------------------------------------------------------------------- */

typedef struct env {
  cq_vsim *sim;
  cq_server *srv;
  int64_t now;
} env;

static int setup(void **state) {
  env *e = calloc(1, sizeof *e);
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  static const cq_vsim_account acc[] = {{KEY, SECRET, "USDT=100000,BTC=2"}};
  o.accounts = acc;
  o.naccounts = 1;
  o.stream_interval_ms = 2;
  cq_error err;
  if (cq_vsim_new(&o, &e->sim, &err)) fail_msg("%s", err.msg);
  e->now = T0;
  cq_vsim_set_clock(e->sim, e->now);
  if (cq_vsim_start(e->sim, NULL, NULL, 0, &err)) fail_msg("%s", err.msg);
  *state = e;
  return 0;
}

static int teardown(void **state) {
  env *e = *state;
  cq_vsim_free(e->sim);
  free(e);
  return 0;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Moves the pinned clock by dt ms and lets the market thread see it. */
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

/* Advances the clock by step ms at a time until conn has at least min messages holding
 * needle (the market thread runs when it gets a core: no bound on when is assumed but a
 * generous one). */
static bool wait_count(env *e, cq_server *s, uint64_t conn, const char *needle, int min,
                       int64_t step) {
  for (int i = 0; i < 2000; i++) {
    if (count(s, conn, needle) >= min) return true;
    advance(e, step);
  }
  return count(s, conn, needle) >= min;
}

static int ends_of(cq_server *s) {
  pthread_mutex_lock(&s->mu);
  int n = s->ends;
  pthread_mutex_unlock(&s->mu);
  return n;
}

/* A signed REST call through the simulator. */
static int rest(env *e, const char *method, const char *path, const char *params, char **body) {
  char q[512], sig[65];
  snprintf(q, sizeof q, "%s%stimestamp=%lld", params, *params ? "&" : "", (long long)e->now);
  vd_hmac_hex(SECRET, q, strlen(q), sig);
  size_t n = strlen(q);
  snprintf(q + n, sizeof q - n, "&signature=%s", sig);
  cq_srv_response r;
  cq_vsim_handle(e->sim, method, path, q, "", KEY, &r);
  free(r.headers);
  if (body)
    *body = r.body;
  else
    free(r.body);
  return r.status;
}

/* ---- tests ---------------------------------------------------------------------------------- */

/* The server the simulator started. */
static cq_server *grab(env *e) {
  return e->sim->srv;
}

static void test_routing(void **state) {
  env *e = *state;
  cq_server *s = grab(e);
  assert_non_null(s);
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 1, "/ws/btcusdt@nothing", ""), 400);
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 1, "/elsewhere", ""), 404);
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 1, "/ws", ""), 0);
  const char *sub =
      "{\"method\":\"SUBSCRIBE\",\"params\":[\"ethusdt@aggTrade\",\"btcusdt@bookTicker\"],\"id\":"
      "7}";
  s->cb.on_ws_message(s->cb.ctx, 1, sub, strlen(sub));
  assert_int_equal(count(s, 1, "{\"result\":null,\"id\":7}"), 1);
  const char *list = "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":8}";
  s->cb.on_ws_message(s->cb.ctx, 1, list, strlen(list));
  assert_int_equal(count(s, 1, "\"result\":[\"ethusdt@aggTrade\",\"btcusdt@bookTicker\"]"), 1);
  const char *bad = "{\"method\":\"SUBSCRIBE\",\"params\":[\"nope@trade\"],\"id\":9}";
  s->cb.on_ws_message(s->cb.ctx, 1, bad, strlen(bad));
  assert_int_equal(count(s, 1, "\"id\":9"), 1);
  assert_int_equal(count(s, 1, "\"error\""), 1);
  assert_true(wait_count(e, s, 1, "\"e\":\"aggTrade\"", 1, 500));
  assert_true(wait_count(e, s, 1, "\"s\":\"BTCUSDT\",\"b\":", 1, 500)); /* bookTicker, raw */
  const char *unsub = "{\"method\":\"UNSUBSCRIBE\",\"params\":[\"ethusdt@aggTrade\"],\"id\":10}";
  s->cb.on_ws_message(s->cb.ctx, 1, unsub, strlen(unsub));
  assert_int_equal(count(s, 1, "{\"result\":null,\"id\":10}"), 1);
  int before = count(s, 1, "\"e\":\"aggTrade\"");
  for (int i = 0; i < 20; i++) advance(e, 500);
  assert_int_equal(count(s, 1, "\"e\":\"aggTrade\""), before);
  s->cb.on_ws_close(s->cb.ctx, 1);
  /* combined streams are wrapped */
  assert_int_equal(
      s->cb.on_ws_open(s->cb.ctx, 2, "/stream", "streams=btcusdt@trade/ethusdt@kline_1m"), 0);
  assert_true(
      wait_count(e, s, 2, "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\"", 1, 1000));
  assert_true(
      wait_count(e, s, 2, "{\"stream\":\"ethusdt@kline_1m\",\"data\":{\"e\":\"kline\"", 1, 1000));
  /* a minute passes: the closed candle is sent with x true */
  assert_true(wait_count(e, s, 2, "\"x\":true", 1, 1000));
  s->cb.on_ws_close(s->cb.ctx, 2);
  /* REST through the server callback, the API key from the header */
  cq_srv_request rq = {.method = "POST",
                       .path = "/api/v3/userDataStream",
                       .query = "",
                       .body = "",
                       .remote = "127.0.0.1",
                       .impl = (void *)KEY};
  cq_srv_response resp;
  memset(&resp, 0, sizeof resp);
  s->cb.on_http(s->cb.ctx, &rq, &resp);
  assert_int_equal(resp.status, 200);
  assert_non_null(strstr(resp.body, "listenKey"));
  free(resp.body);
  free(resp.headers);
}

static bool depth_chain_ok(cq_server *s, uint64_t conn, int *msgs, int *breaks) {
  long long prev = -1;
  *msgs = *breaks = 0;
  pthread_mutex_lock(&s->mu);
  for (int i = 0; i < s->n; i++) {
    if (s->msgs[i].conn != conn) continue;
    json_t *j = json_loads(s->msgs[i].text, 0, NULL);
    if (!j) continue;
    long long U = json_integer_value(json_object_get(j, "U"));
    long long u = json_integer_value(json_object_get(j, "u"));
    if (prev >= 0 && U != prev + 1) (*breaks)++;
    prev = u;
    (*msgs)++;
    json_decref(j);
  }
  pthread_mutex_unlock(&s->mu);
  return *breaks == 0;
}

static void test_depth(void **state) {
  env *e = *state;
  cq_server *s = grab(e);
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 3, "/ws/btcusdt@depth@100ms", ""), 0);
  assert_true(wait_count(e, s, 3, "depthUpdate", 10, 100));
  int n, br;
  assert_true(depth_chain_ok(s, 3, &n, &br));
  assert_true(n >= 10);
  /* a dropped update breaks the chain once */
  cq_vsim_fault_spec f;
  assert_int_equal(cq_vsim_fault_parse("depth_drop:1", &f, NULL), CQ_OK);
  assert_int_equal(cq_vsim_fault(e->sim, &f, NULL), CQ_OK);
  assert_true(wait_count(e, s, 3, "depthUpdate", n + 4, 100));
  depth_chain_ok(s, 3, &n, &br);
  assert_int_equal(br, 1);
  /* a duplicated one: the same U/u twice (a break in the U = u + 1 rule) */
  assert_int_equal(cq_vsim_fault_parse("depth_dup:1", &f, NULL), CQ_OK);
  assert_int_equal(cq_vsim_fault(e->sim, &f, NULL), CQ_OK);
  assert_true(wait_count(e, s, 3, "depthUpdate", n + 4, 100));
  depth_chain_ok(s, 3, &n, &br);
  assert_int_equal(br, 2);
  /* a reordered pair: two breaks more */
  assert_int_equal(cq_vsim_fault_parse("depth_reorder:1", &f, NULL), CQ_OK);
  assert_int_equal(cq_vsim_fault(e->sim, &f, NULL), CQ_OK);
  assert_true(wait_count(e, s, 3, "depthUpdate", n + 4, 100));
  depth_chain_ok(s, 3, &n, &br);
  assert_true(br >= 4);
  s->cb.on_ws_close(s->cb.ctx, 3);
}

/* ---- a local book kept as Binance documents it ------------------------------------------ */

typedef struct lbook {
  double px[2][4096], q[2][4096];
  int n[2];
} lbook;

static void lb_set(lbook *b, int side, double px, double q) {
  for (int i = 0; i < b->n[side]; i++)
    if (b->px[side][i] == px) {
      if (q == 0) {
        b->px[side][i] = b->px[side][b->n[side] - 1];
        b->q[side][i] = b->q[side][--b->n[side]];
      } else {
        b->q[side][i] = q;
      }
      return;
    }
  if (q != 0 && b->n[side] < 4096) {
    b->px[side][b->n[side]] = px;
    b->q[side][b->n[side]++] = q;
  }
}

static void lb_apply(lbook *b, json_t *bids, json_t *asks) {
  json_t *sides[2] = {bids, asks};
  for (int k = 0; k < 2; k++)
    for (size_t i = 0; i < json_array_size(sides[k]); i++) {
      json_t *l = json_array_get(sides[k], i);
      lb_set(b, k, num(json_string_value(json_array_get(l, 0))),
             num(json_string_value(json_array_get(l, 1))));
    }
}

static json_t *snapshot(env *e) {
  cq_srv_response r;
  cq_vsim_handle(e->sim, "GET", "/api/v3/depth", "symbol=ETHUSDT&limit=200", "", NULL, &r);
  json_t *j = json_loads(r.body, 0, NULL);
  free(r.body);
  free(r.headers);
  return j;
}

/* snapshot + the diffs after it == the snapshot at the last diff, level for level, for the
 * one-second stream whose diffs aggregate ten steps */
static void test_depth_sync(void **state) {
  env *e = *state;
  cq_server *s = grab(e);
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 6, "/ws/ethusdt@depth", ""), 0);
  assert_true(wait_count(e, s, 6, "depthUpdate", 2, 100));
  advance(e, 350);
  json_t *snap = snapshot(e);
  long long L = json_integer_value(json_object_get(snap, "lastUpdateId"));
  lbook *b = calloc(1, sizeof *b);
  lb_apply(b, json_object_get(snap, "bids"), json_object_get(snap, "asks"));
  json_decref(snap);
  int have = count(s, 6, "depthUpdate");
  assert_true(wait_count(e, s, 6, "depthUpdate", have + 6, 100));
  long long last_u = -1;
  bool first = true;
  pthread_mutex_lock(&s->mu);
  for (int i = 0; i < s->n; i++) {
    if (s->msgs[i].conn != 6) continue;
    json_t *j = json_loads(s->msgs[i].text, 0, NULL);
    long long U = json_integer_value(json_object_get(j, "U"));
    long long u = json_integer_value(json_object_get(j, "u"));
    if (u <= L) {
      json_decref(j);
      continue;
    }
    if (first)
      assert_true(U <= L + 1 && L + 1 <= u);
    else
      assert_int_equal(U, last_u + 1);
    first = false;
    lb_apply(b, json_object_get(j, "b"), json_object_get(j, "a"));
    last_u = u;
    json_decref(j);
  }
  pthread_mutex_unlock(&s->mu);
  assert_false(first);
  /* the book at step last_u, from REST */
  cq_vsim_set_clock(e->sim, last_u * VM_BOOK_STEP_MS);
  lbook *want = calloc(1, sizeof *want);
  snap = snapshot(e);
  assert_int_equal(json_integer_value(json_object_get(snap, "lastUpdateId")), last_u);
  lb_apply(want, json_object_get(snap, "bids"), json_object_get(snap, "asks"));
  json_decref(snap);
  for (int k = 0; k < 2; k++) {
    assert_int_equal(b->n[k], want->n[k]);
    for (int i = 0; i < want->n[k]; i++) {
      bool found = false;
      for (int j = 0; j < b->n[k]; j++)
        if (b->px[k][j] == want->px[k][i]) {
          found = true;
          assert_true(b->q[k][j] == want->q[k][i]);
        }
      assert_true(found);
    }
  }
  free(b);
  free(want);
}

/* Feeds the synchronizer the diffs of conn recorded since the last call. */
static void feed(cq_server *s, uint64_t conn, int *fed, cq_bn_book_sync *bs, cq_bn_depth_diff *d,
                 int *gaps, cq_bn_sync_result *last) {
  cq_error err;
  pthread_mutex_lock(&s->mu);
  int seen = 0;
  for (int i = 0; i < s->n; i++) {
    if (s->msgs[i].conn != conn) continue;
    if (seen++ < *fed) continue;
    assert_int_equal(cq_bn_parse_depth_update(s->msgs[i].text, strlen(s->msgs[i].text), d, &err),
                     CQ_OK);
    cq_bn_sync_result r;
    assert_int_equal(cq_bn_book_sync_diff(bs, d, &r, &err), CQ_OK);
    *last = r;
    if (r == CQ_BN_SYNC_GAP) (*gaps)++;
  }
  *fed = seen;
  pthread_mutex_unlock(&s->mu);
}

/* The adapter's synchronizer over the simulator's diff stream and snapshots: it syncs, the
 * book equals the simulator's at the last diff, and a dropped diff is caught as a gap. */
static void test_adapter_book_sync(void **state) {
  env *e = *state;
  cq_server *s = grab(e);
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 8, "/stream", "streams=btcusdt@depth@100ms"), 0);
  assert_true(wait_count(e, s, 8, "depthUpdate", 3, 100));
  cq_bn_book_sync *bs;
  assert_int_equal(cq_bn_book_sync_new(5000, 1000, false, &bs, NULL), CQ_OK);
  cq_bn_depth_diff d;
  cq_bn_depth_diff_init(&d);
  cq_error err;
  int fed = 0;
  cq_bn_sync_result last_res = CQ_BN_SYNC_BUFFERED;
  int gaps = 0;
  feed(s, 8, &fed, bs, &d, &gaps, &last_res);
  assert_true(cq_bn_book_sync_needs_snapshot(bs));
  cq_srv_response r;
  cq_vsim_handle(e->sim, "GET", "/api/v3/depth", "symbol=BTCUSDT&limit=1000", "", NULL, &r);
  cq_l2book *snap;
  assert_int_equal(cq_l2book_new(5000, &snap, NULL), CQ_OK);
  assert_int_equal(cq_bn_parse_depth(r.body, strlen(r.body), snap, &err), CQ_OK);
  free(r.body);
  free(r.headers);
  cq_bn_sync_result res;
  assert_int_equal(cq_bn_book_sync_snapshot(bs, snap, &res, &err), CQ_OK);
  assert_int_equal(res, CQ_BN_SYNC_APPLIED);
  int have = count(s, 8, NULL);
  assert_true(wait_count(e, s, 8, NULL, have + 5, 100));
  feed(s, 8, &fed, bs, &d, &gaps, &last_res);
  assert_int_equal(gaps, 0);
  assert_int_equal(last_res, CQ_BN_SYNC_APPLIED);
  const cq_l2book *mine = cq_bn_book_sync_book(bs);
  assert_true(cq_l2book_valid(mine));
  /* the simulator's book at the last diff */
  uint64_t seq = cq_l2book_seq(mine);
  int64_t keep = e->now;
  cq_vsim_set_clock(e->sim, (int64_t)seq * VM_BOOK_STEP_MS);
  cq_vsim_handle(e->sim, "GET", "/api/v3/depth", "symbol=BTCUSDT&limit=1000", "", NULL, &r);
  cq_vsim_set_clock(e->sim, keep);
  cq_l2book *want;
  assert_int_equal(cq_l2book_new(5000, &want, NULL), CQ_OK);
  assert_int_equal(cq_bn_parse_depth(r.body, strlen(r.body), want, &err), CQ_OK);
  free(r.body);
  free(r.headers);
  for (int side = 1; side <= 2; side++) {
    size_t n = cq_l2book_depth(want, (cq_side)side);
    assert_int_equal(cq_l2book_depth(mine, (cq_side)side), n);
    for (size_t i = 0; i < n; i++) {
      cq_dec p1, q1, p2, q2;
      assert_true(cq_l2book_level(mine, (cq_side)side, i, &p1, &q1));
      assert_true(cq_l2book_level(want, (cq_side)side, i, &p2, &q2));
      assert_true(cq_dec_eq(p1, p2) && cq_dec_eq(q1, q2));
    }
  }
  /* a lost diff: the synchronizer sees the gap and asks for a snapshot */
  cq_vsim_fault_spec f;
  assert_int_equal(cq_vsim_fault_parse("depth_drop:1", &f, NULL), CQ_OK);
  assert_int_equal(cq_vsim_fault(e->sim, &f, NULL), CQ_OK);
  have = count(s, 8, NULL);
  assert_true(wait_count(e, s, 8, NULL, have + 3, 100));
  feed(s, 8, &fed, bs, &d, &gaps, &last_res);
  assert_true(gaps >= 1);
  assert_true(cq_bn_book_sync_needs_snapshot(bs));
  cq_l2book_free(snap);
  cq_l2book_free(want);
  cq_bn_depth_diff_release(&d);
  cq_bn_book_sync_free(bs);
}

static void test_user_and_drop(void **state) {
  env *e = *state;
  cq_server *s = grab(e);
  char *body = NULL;
  cq_srv_response r;
  cq_vsim_handle(e->sim, "POST", "/api/v3/userDataStream", "", "", KEY, &r);
  assert_int_equal(r.status, 200);
  json_t *j = json_loads(r.body, 0, NULL);
  char path[128];
  snprintf(path, sizeof path, "/ws/%s", json_string_value(json_object_get(j, "listenKey")));
  json_decref(j);
  free(r.body);
  free(r.headers);
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 4, path, ""), 0);
  assert_int_equal(
      rest(e, "POST", "/api/v3/order",
           "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01000&newClientOrderId=ws-1", &body),
      200);
  free(body);
  assert_true(wait_count(e, s, 4, "\"e\":\"outboundAccountPosition\"", 1, 100));
  assert_int_equal(count(s, 4, "\"x\":\"NEW\""), 1);
  assert_true(count(s, 4, "\"x\":\"TRADE\"") >= 1);
  assert_true(count(s, 4, "\"c\":\"ws-1\"") >= 2);
  /* a drop after 2 more messages */
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 5, "/ws/btcusdt@depth@100ms", ""), 0);
  assert_true(wait_count(e, s, 5, NULL, 1, 100));
  cq_vsim_fault_spec f;
  assert_int_equal(cq_vsim_fault_parse("ws_drop:2", &f, NULL), CQ_OK);
  assert_int_equal(cq_vsim_fault(e->sim, &f, NULL), CQ_OK);
  int before = count(s, 5, NULL);
  for (int i = 0; i < 2000 && ends_of(s) == 0; i++) advance(e, 100);
  assert_int_equal(count(s, 5, NULL), before + 2);
  pthread_mutex_lock(&s->mu);
  assert_true(s->ends >= 1);
  assert_int_equal(s->ended_how, CQ_WS_END_DROP);
  pthread_mutex_unlock(&s->mu);
  /* a stall after 1 more message, on a connection of its own */
  s->cb.on_ws_close(s->cb.ctx, 5);
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 7, "/ws/ethusdt@depth@100ms", ""), 0);
  assert_true(wait_count(e, s, 7, NULL, 1, 100));
  assert_int_equal(cq_vsim_fault_parse("ws_stall:1", &f, NULL), CQ_OK);
  assert_int_equal(cq_vsim_fault(e->sim, &f, NULL), CQ_OK);
  int ends = ends_of(s);
  before = count(s, 7, NULL);
  for (int i = 0; i < 2000 && ends_of(s) == ends; i++) advance(e, 100);
  assert_int_equal(count(s, 7, NULL), before + 1);
  pthread_mutex_lock(&s->mu);
  assert_int_equal(s->ended_conn, 7);
  assert_int_equal(s->ended_how, CQ_WS_END_STALL);
  pthread_mutex_unlock(&s->mu);
  cq_vsim_counters k;
  cq_vsim_counters_get(e->sim, &k);
  assert_true(k.ws_messages > 0);
  assert_int_equal(k.ws_connections, 3);
  assert_int_equal(k.ws_open, 2); /* the user stream and the stalled one */
}

/* A connection is closed at 24 h; a user stream whose listen key is gone says so. */
/* Every trade goes out once, in id order, however the market thread's steps fall: a step
 * that comes 20 s late sends the 20 s of trades, a clock that steps back sends nothing twice;
 * they are the market's trades of the span. The 24 h ticker streams once a second. */
static void test_trades_complete(void **state) {
  env *e = *state;
  cq_server *s = grab(e);
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 7, "/ws/btcusdt@trade/btcusdt@ticker", ""), 0);
  assert_true(wait_count(e, s, 7, "\"e\":\"trade\"", 1, 100));
  advance(e, 20000); /* late */
  for (int i = 0; i < 10; i++) advance(e, 100);
  advance(e, -3000); /* the clock steps back */
  advance(e, 10000);
  assert_true(wait_count(e, s, 7, "\"e\":\"24hrTicker\"", 2, 1000));
  int64_t ids[4096] = {0}, times[4096] = {0};
  size_t n = 0;
  pthread_mutex_lock(&s->mu);
  for (int i = 0; i < s->n; i++) {
    if (s->msgs[i].conn != 7 || !strstr(s->msgs[i].text, "\"e\":\"trade\"")) continue;
    json_t *j = json_loads(s->msgs[i].text, 0, NULL);
    assert_non_null(j);
    assert_true(n < 4096);
    ids[n] = (int64_t)json_integer_value(json_object_get(j, "t"));
    times[n++] = (int64_t)json_integer_value(json_object_get(j, "T"));
    json_decref(j);
  }
  pthread_mutex_unlock(&s->mu);
  s->cb.on_ws_close(s->cb.ctx, 7);
  assert_true(n > 20);
  for (size_t i = 1; i < n; i++) assert_true(ids[i] > ids[i - 1]);
  vm_trade *t = malloc(4096 * sizeof *t);
  assert_non_null(t);
  size_t m = vm_trades_range(&e->sim->mkt, 0, times[0], times[n - 1] + 1, t, 4096);
  assert_int_equal(m, n);
  for (size_t i = 0; i < n; i++) assert_int_equal(t[i].id, ids[i]);
  free(t);
}

static void test_lifetime_and_listen_key(void **state) {
  env *e = *state;
  cq_server *s = grab(e);
  cq_srv_response r;
  cq_vsim_handle(e->sim, "POST", "/api/v3/userDataStream", "", "", KEY, &r);
  json_t *j = json_loads(r.body, 0, NULL);
  char key[96], path[128], q[128];
  snprintf(key, sizeof key, "%s", json_string_value(json_object_get(j, "listenKey")));
  json_decref(j);
  free(r.body);
  free(r.headers);
  snprintf(path, sizeof path, "/ws/%s", key);
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 10, path, ""), 0);
  snprintf(q, sizeof q, "listenKey=%s", key);
  cq_vsim_handle(e->sim, "DELETE", "/api/v3/userDataStream", q, "", KEY, &r);
  assert_int_equal(r.status, 200);
  free(r.body);
  free(r.headers);
  assert_true(wait_count(e, s, 10, "\"e\":\"listenKeyExpired\"", 1, 100));
  assert_int_equal(s->cb.on_ws_open(s->cb.ctx, 11, "/ws/btcusdt@trade", ""), 0);
  advance(e, 100);
  int ends = ends_of(s);
  advance(e, INT64_C(86400000));
  for (int i = 0; i < 2000 && ends_of(s) < ends + 2; i++) advance(e, 100);
  pthread_mutex_lock(&s->mu);
  assert_true(s->ends >= ends + 2); /* both connections */
  assert_int_equal(s->ended_how, CQ_WS_END_CLOSE);
  pthread_mutex_unlock(&s->mu);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_routing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_depth, setup, teardown),
      cmocka_unit_test_setup_teardown(test_depth_sync, setup, teardown),
      cmocka_unit_test_setup_teardown(test_adapter_book_sync, setup, teardown),
      cmocka_unit_test_setup_teardown(test_user_and_drop, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lifetime_and_listen_key, setup, teardown),
      cmocka_unit_test_setup_teardown(test_trades_complete, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
