/* End-to-end venue latency over loopback, in one process:
 *
 * - stream: a loopback server pushes Binance trade messages to the Binance adapter's
 *   combined stream; each message carries its send time (monotonic ns) as its trade id, so
 *   the parsed event tells how long server -> WebSocket -> decode -> handler took;
 * - baseline: the same messages to a raw cq_ws_client that reads the send time and nothing
 *   else (no JSON, no adapter);
 * - REST: GET /api/v3/time round trips through the adapter against the venue simulator.
 *
 * Prints p50/p99 of each, the ratio of the adapter's p99 to the 1 ms target and to the
 * baseline's p99. Asserts nothing about time; exits non-zero only when a call fails. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "cquant/venue.h"
#include "cquant/vsim.h"

enum { N_MSG = 5000, N_WARM = 200, N_REST = 1000, GAP_US = 200 };

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_us(int64_t us) {
  struct timespec ts = {.tv_sec = (time_t)(us / 1000000), .tv_nsec = (long)(us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static double pct_us(int64_t *v, size_t n, double p) {
  if (n == 0) return 0;
  qsort(v, n, sizeof *v, cmp_i64);
  size_t i = (size_t)(p * (double)(n - 1));
  return (double)v[i] / 1e3;
}

/* ---- the push server ------------------------------------------------------------------- */

typedef struct pusher {
  cq_server *srv;
  atomic_uint_fast64_t conn; /* the one subscriber; 0 until it connects */
} pusher;

static int on_ws_open(void *ctx, uint64_t conn, const char *path, const char *query) {
  (void)path;
  (void)query;
  pusher *p = ctx;
  atomic_store(&p->conn, conn);
  return 0;
}

static void on_ws_close(void *ctx, uint64_t conn) {
  pusher *p = ctx;
  uint_fast64_t c = conn;
  atomic_compare_exchange_strong(&p->conn, &c, 0);
}

static void on_http(void *ctx, const cq_srv_request *req, cq_srv_response *resp) {
  (void)ctx;
  (void)req;
  resp->status = 404;
}

/* Sends n trade messages, one every GAP_US, each with its send time as the trade id. */
static int push(pusher *p, int n) {
  int64_t end = mono_ns() + 10 * INT64_C(1000000000);
  while (atomic_load(&p->conn) == 0) {
    if (mono_ns() > end) return -1;
    sleep_us(1000);
  }
  uint64_t conn = atomic_load(&p->conn);
  for (int i = 0; i < n; i++) {
    char msg[512];
    int64_t t = mono_ns();
    int len =
        snprintf(msg, sizeof msg,
                 "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1700000000000,"
                 "\"s\":\"BTCUSDT\",\"t\":%" PRId64
                 ",\"p\":\"43251.17000000\","
                 "\"q\":\"0.00120000\",\"T\":1700000000000,\"m\":true,\"M\":true}}",
                 t);
    if (cq_server_ws_send(p->srv, conn, msg, (size_t)len, NULL) != 0) return -1;
    sleep_us(GAP_US);
  }
  return 0;
}

/* ---- receivers ------------------------------------------------------------------------- */

typedef struct lat {
  int64_t *v;
  atomic_size_t n;
  size_t cap;
} lat;

static void lat_add(lat *l, int64_t d) {
  size_t i = atomic_fetch_add(&l->n, 1);
  if (i < l->cap) l->v[i] = d;
}

static void on_event(void *ctx, const cq_venue_event *ev) {
  if (ev->kind != CQ_VEV_TRADE) return;
  int64_t now = mono_ns();
  lat_add(ctx, now - strtoll(ev->u.trade.id, NULL, 10));
}

static void raw_message(void *ctx, cq_ws_client *ws, const char *data, size_t len, bool binary) {
  (void)ws;
  (void)binary;
  int64_t now = mono_ns();
  /* the send time sits after "t": in the fixed message above */
  const char *t = NULL;
  for (size_t i = 0; i + 4 < len; i++)
    if (data[i] == '"' && data[i + 1] == 't' && data[i + 2] == '"' && data[i + 3] == ':') {
      t = data + i + 4;
      break;
    }
  if (t) lat_add(ctx, now - strtoll(t, NULL, 10));
}

static void raw_open(void *ctx, cq_ws_client *ws, bool reconnect) {
  (void)ctx;
  (void)ws;
  (void)reconnect;
}

static void raw_close(void *ctx, cq_ws_client *ws, int code, const char *why, bool reconnecting) {
  (void)ctx;
  (void)ws;
  (void)code;
  (void)why;
  (void)reconnecting;
}

static int wait_n(lat *l, size_t n) {
  int64_t end = mono_ns() + 10 * INT64_C(1000000000);
  while (atomic_load(&l->n) < n) {
    if (mono_ns() > end) return -1;
    sleep_us(1000);
  }
  return 0;
}

static int die(const char *what, const char *msg) {
  fprintf(stderr, "bench_venue_e2e: %s: %s\n", what, msg);
  return 1;
}

/* The three measurements into buffers main owns, so that every way out of here frees them. */
static int measure(lat *base, lat *adap, int64_t *rest) {
  cq_error e;
  cq_error_clear(&e);
  cq_net_loop *loop;
  if (cq_net_loop_new(NULL, &loop, &e)) return die("loop", e.msg);
  pusher p = {0};
  cq_server_options so = {0};
  cq_srv_callbacks cb = {
      .ctx = &p, .on_http = on_http, .on_ws_open = on_ws_open, .on_ws_close = on_ws_close};
  if (cq_server_start(loop, &so, &cb, &p.srv, &e)) return die("server", e.msg);
  char ws_url[64];
  snprintf(ws_url, sizeof ws_url, "ws://127.0.0.1:%d", cq_server_port(p.srv));

  /* baseline: a raw client */
  cq_ws_options wo;
  cq_ws_options_default(&wo);
  char raw_url[96];
  snprintf(raw_url, sizeof raw_url, "%s/raw", ws_url);
  wo.url = raw_url;
  cq_ws_callbacks wcb = {
      .ctx = base, .on_open = raw_open, .on_message = raw_message, .on_close = raw_close};
  cq_ws_client *raw;
  if (cq_ws_client_open(loop, &wo, &wcb, &raw, &e)) return die("raw client", e.msg);
  if (push(&p, N_WARM + N_MSG) || wait_n(base, N_WARM + N_MSG))
    return die("baseline", "messages did not arrive");
  cq_ws_client_close(raw);
  atomic_store(&p.conn, 0);

  /* the adapter */
  cq_venue_config c;
  cq_venue_config_default(&c);
  c.ws_url = ws_url;
  c.rest_url = "http://127.0.0.1:1"; /* streams only here */
  c.loop = loop;
  cq_venue *v;
  cq_verror ve;
  if (cq_venue_binance_ops.open(&c, &v, &ve)) return die("open", ve.e.msg);
  cq_venue_sub sub = {.channel = CQ_VCH_TRADES};
  snprintf(sub.symbol, sizeof sub.symbol, "BTC/USDT");
  cq_venue_handler h = {.ctx = adap, .on_event = on_event};
  cq_venue_stream *st;
  if (cq_venue_binance_ops.subscribe(v, &sub, 1, &h, &st, &ve)) return die("subscribe", ve.e.msg);
  if (push(&p, N_WARM + N_MSG) || wait_n(adap, N_WARM + N_MSG))
    return die("adapter", "events did not arrive");
  cq_venue_binance_ops.unsubscribe(st);
  cq_venue_binance_ops.close(v);

  cq_server_stop(p.srv);
  cq_net_loop_free(loop);

  /* REST round trips against the simulator (on a loop of its own: one server per loop) */
  if (cq_net_loop_new(NULL, &loop, &e)) return die("loop", e.msg);
  cq_vsim_options vo;
  cq_vsim_options_default(&vo);
  cq_vsim *sim;
  if (cq_vsim_new(&vo, &sim, &e) || cq_vsim_start(sim, loop, NULL, 0, &e))
    return die("simulator", e.msg);
  cq_venue_config_default(&c);
  c.rest_url = cq_vsim_rest_url(sim);
  c.ws_url = cq_vsim_ws_url(sim);
  if (cq_venue_binance_ops.open(&c, &v, &ve)) return die("open", ve.e.msg);
  for (int i = 0; i < N_REST + 50; i++) {
    cq_time t;
    int64_t a = mono_ns();
    if (cq_venue_binance_ops.server_time(v, &t, &ve)) return die("server_time", ve.e.msg);
    if (i >= 50) rest[i - 50] = mono_ns() - a;
  }
  cq_venue_binance_ops.close(v);
  cq_vsim_stop(sim);

  /* the warm-up messages are left out */
  int64_t *bv = base->v + N_WARM, *av = adap->v + N_WARM;
  size_t bn = N_MSG, an = N_MSG;
  double b50 = pct_us(bv, bn, 0.5), b99 = pct_us(bv, bn, 0.99);
  double a50 = pct_us(av, an, 0.5), a99 = pct_us(av, an, 0.99);
  double r50 = pct_us(rest, N_REST, 0.5), r99 = pct_us(rest, N_REST, 0.99);
  printf("stream event latency (server -> ws -> parsed event), %d messages:\n", N_MSG);
  printf("  adapter   p50 %8.1f us  p99 %8.1f us\n", a50, a99);
  printf("  raw ws    p50 %8.1f us  p99 %8.1f us  (baseline: no parsing)\n", b50, b99);
  printf("  p99 / target 1 ms: %.3f   p99 / baseline p99: %.2f\n", a99 / 1000.0,
         b99 > 0 ? a99 / b99 : 0.0);
  printf("REST round trip (GET /api/v3/time via the adapter), %d calls:\n", N_REST);
  printf("  p50 %8.1f us  p99 %8.1f us\n", r50, r99);

  cq_net_loop_free(loop);
  cq_vsim_free(sim);
  return 0;
}

int main(void) {
  lat base = {.v = calloc(N_WARM + N_MSG, sizeof(int64_t)), .cap = N_WARM + N_MSG};
  lat adap = {.v = calloc(N_WARM + N_MSG, sizeof(int64_t)), .cap = N_WARM + N_MSG};
  int64_t *rest = calloc(N_REST, sizeof(int64_t));
  int rc =
      (!base.v || !adap.v || !rest) ? die("memory", "out of memory") : measure(&base, &adap, rest);
  free(base.v);
  free(adap.v);
  free(rest);
  return rc;
}
