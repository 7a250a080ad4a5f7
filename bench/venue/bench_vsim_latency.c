/* End-to-end latency over loopback: the venue simulator serving, the HTTP client placing
 * an order, the WebSocket client receiving the executionReport and the Binance codec
 * decoding it. Two figures per order: the REST round trip (request sent -> answer read) and
 * order -> report (request sent -> the report decoded), p50 / p99 / max. Prints figures;
 * asserts nothing about time. Exits non-zero only if something fails.
 *
 *   bench_vsim_latency [--quick]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "binance.h"
#include "cquant/net.h"
#include "cquant/vsim.h"

#define KEY "bench"
#define SECRET "bench-secret"

typedef struct waiter {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  cq_bn_msg msg;
  char want[CQ_CLIENT_ID_MAX];
  double got_at; /* when the report of `want` was decoded; 0 until then */
  bool open;
} waiter;

static void on_open(void *ctx, cq_ws_client *ws, bool reconnect) {
  (void)ws;
  (void)reconnect;
  waiter *w = ctx;
  pthread_mutex_lock(&w->mu);
  w->open = true;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

static void on_message(void *ctx, cq_ws_client *ws, const char *data, size_t len, bool binary) {
  (void)ws;
  (void)binary;
  waiter *w = ctx;
  double t = now_s();
  pthread_mutex_lock(&w->mu);
  if (cq_bn_parse_stream(data, len, NULL, 0, &w->msg, NULL) == CQ_OK &&
      w->msg.kind == CQ_BN_MSG_EXECUTION && !strcmp(w->msg.ev.u.order.order.client_id, w->want) &&
      w->got_at == 0) {
    w->got_at = t;
    pthread_cond_broadcast(&w->cv);
  }
  pthread_mutex_unlock(&w->mu);
}

static void on_close(void *ctx, cq_ws_client *ws, int code, const char *why, bool again) {
  (void)ctx;
  (void)ws;
  (void)code;
  (void)why;
  (void)again;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  printf("%-22s p50 %8.1f us   p99 %8.1f us   max %8.1f us   (%d orders)\n", what, v[n / 2] * 1e6,
         v[(int)(n * 0.99)] * 1e6, v[n - 1] * 1e6, n);
}

static int fail(const char *what, const cq_error *e) {
  fprintf(stderr, "bench_vsim_latency: %s: %s\n", what, e ? e->msg : "failed");
  return 1;
}

int main(int argc, char **argv) {
  int n = argc > 1 && !strcmp(argv[1], "--quick") ? 50 : 1000;
  cq_error err;
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  static const cq_vsim_account acc[] = {{KEY, SECRET, "USDT=100000000,BTC=1000"}};
  o.accounts = acc;
  o.naccounts = 1;
  o.orders_10s = 1000000;
  o.orders_day = 100000000;
  o.weight_limit = 1000000;
  cq_net_loop *loop = NULL;
  cq_vsim *sim = NULL;
  cq_http_client *http = NULL;
  if (cq_net_loop_new(NULL, &loop, &err)) return fail("loop", &err);
  if (cq_vsim_new(&o, &sim, &err) || cq_vsim_start(sim, loop, NULL, 0, &err))
    return fail("simulator", &err);
  cq_http_options ho;
  cq_http_options_default(&ho);
  ho.max_retries = 0;
  if (cq_http_client_new(&ho, &http, &err)) return fail("http client", &err);
  const char *hdrs[] = {"X-MBX-APIKEY: " KEY, NULL};
  char url[512];
  snprintf(url, sizeof url, "%s/api/v3/userDataStream", cq_vsim_rest_url(sim));
  cq_http_request rq = {.method = "POST", .url = url, .headers = hdrs};
  cq_http_response resp;
  memset(&resp, 0, sizeof resp);
  if (cq_http_do(http, &rq, &resp, &err) || resp.status != 200) return fail("listen key", &err);
  char key[128] = "";
  const char *k = strstr(resp.body, "\"listenKey\":\"");
  if (k) sscanf(k + 13, "%127[^\"]", key);
  cq_http_response_release(&resp);
  waiter w;
  memset(&w, 0, sizeof w);
  pthread_mutex_init(&w.mu, NULL);
  pthread_cond_init(&w.cv, NULL);
  cq_bn_msg_init(&w.msg);
  char wsurl[512];
  snprintf(wsurl, sizeof wsurl, "%s/ws/%s", cq_vsim_ws_url(sim), key);
  cq_ws_options wo;
  cq_ws_options_default(&wo);
  wo.url = wsurl;
  cq_ws_callbacks cb = {
      .ctx = &w, .on_open = on_open, .on_message = on_message, .on_close = on_close};
  cq_ws_client *ws = NULL;
  if (cq_ws_client_open(loop, &wo, &cb, &ws, &err)) return fail("websocket", &err);
  pthread_mutex_lock(&w.mu);
  while (!w.open) pthread_cond_wait(&w.cv, &w.mu);
  pthread_mutex_unlock(&w.mu);
  double *rest = malloc((size_t)n * sizeof *rest), *e2e = malloc((size_t)n * sizeof *e2e);
  if (!rest || !e2e) {
    free(rest);
    free(e2e);
    return fail("memory", NULL);
  }
  snprintf(url, sizeof url, "%s/api/v3/order", cq_vsim_rest_url(sim));
  const char *ohdrs[] = {"X-MBX-APIKEY: " KEY, "Content-Type: application/x-www-form-urlencoded",
                         NULL};
  for (int i = 0; i < n; i++) {
    char body[512], sig[65];
    pthread_mutex_lock(&w.mu);
    snprintf(w.want, sizeof w.want, "lat-%d", i);
    w.got_at = 0;
    pthread_mutex_unlock(&w.mu);
    int len = snprintf(body, sizeof body,
                       "symbol=BTCUSDT&side=%s&type=MARKET&quantity=0.00100&newClientOrderId=lat-%d"
                       "&newOrderRespType=ACK&timestamp=%lld",
                       i % 2 ? "SELL" : "BUY", i, (long long)cq_vsim_now_ms(sim));
    if (cq_bn_sign(SECRET, body, (size_t)len, sig, &err)) {
      free(rest);
      free(e2e);
      return fail("sign", &err);
    }
    snprintf(body + len, sizeof body - (size_t)len, "&signature=%s", sig);
    cq_http_request orq = {
        .method = "POST", .url = url, .headers = ohdrs, .body = body, .body_len = strlen(body)};
    double t0 = now_s();
    if (cq_http_do(http, &orq, &resp, &err) || resp.status != 200) {
      fprintf(stderr, "%s\n", resp.body ? resp.body : "");
      free(rest);
      free(e2e);
      return fail("order", &err);
    }
    rest[i] = now_s() - t0;
    cq_http_response_release(&resp);
    pthread_mutex_lock(&w.mu);
    while (w.got_at == 0) pthread_cond_wait(&w.cv, &w.mu);
    e2e[i] = w.got_at - t0;
    pthread_mutex_unlock(&w.mu);
  }
  printf("venue simulator over loopback, %d market orders, reports on the user-data stream\n", n);
  report("REST round trip", rest, n);
  report("order -> report", e2e, n);
  free(rest);
  free(e2e);
  cq_ws_client_close(ws);
  cq_bn_msg_release(&w.msg);
  cq_http_client_free(http);
  cq_vsim_stop(sim);
  cq_net_loop_free(loop);
  cq_vsim_free(sim);
  return 0;
}
