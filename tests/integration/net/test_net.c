/* The network layer against itself over loopback: the HTTP client against our server
 * (bodies, headers, keep-alive, retries, timeouts, drops, caps) and the WebSocket client
 * against our server (echo, ordered pushes, caps, drops, stalls, rotation, text pings,
 * slow readers), then clean starts and stops. Waits are bounded; no timing is asserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the four above, which it needs */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cquant/net.h"

enum { WAIT_MS = 15000, PUSH_N = 10000 };

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Polls until *v >= want or the (generous) deadline passes; returns the last value. */
static long wait_at_least(atomic_long *v, long want) {
  for (int i = 0; i < WAIT_MS; i++) {
    long x = atomic_load(v);
    if (x >= want) return x;
    sleep_ms(1);
  }
  return atomic_load(v);
}

static int thread_count(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  int n = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "Threads:", 8) == 0) n = (int)strtol(line + 8, NULL, 10);
  fclose(f);
  return n;
}

static int fd_count(void) {
  int n = 0;
  for (int fd = 0; fd < 1024; fd++)
    if (fcntl(fd, F_GETFD) != -1) n++;
  return n;
}

static int port_closed(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int r = connect(fd, (struct sockaddr *)&a, sizeof a);
  int e = errno;
  close(fd);
  return r != 0 && e == ECONNREFUSED;
}

/* ---- the server under test ----------------------------------------------------------- */

#define MAX_CONNS 64

typedef struct srv_state {
  cq_server *srv;
  atomic_long flaky;  /* 503 answers still to give on /flaky */
  atomic_long http_n; /* requests seen */
  atomic_long opens, closes, subs, text_pings, ws_msgs;
  atomic_long last_conn;
  pthread_mutex_t mu;
  uint64_t subscribed[MAX_CONNS]; /* conns that sent "sub" */
  int nsub;
  char last_query[256];
} srv_state;

static char *dupn(const char *s, size_t n) {
  char *d = malloc(n + 1);
  assert_non_null(d);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

static void on_http(void *ctx, const cq_srv_request *req, cq_srv_response *resp) {
  srv_state *st = ctx;
  atomic_fetch_add(&st->http_n, 1);
  pthread_mutex_lock(&st->mu);
  snprintf(st->last_query, sizeof st->last_query, "%s", req->query);
  pthread_mutex_unlock(&st->mu);
  if (strcmp(req->path, "/flaky") == 0 && atomic_fetch_sub(&st->flaky, 1) > 0) {
    resp->status = 503;
    return;
  }
  if (strcmp(req->path, "/slow") == 0) resp->delay_ms = 3000;
  if (strcmp(req->path, "/later") == 0) resp->delay_ms = 30;
  if (strcmp(req->path, "/drop") == 0) {
    resp->drop = true;
    return;
  }
  if (strcmp(req->path, "/big") == 0) {
    resp->body = malloc(5000);
    assert_non_null(resp->body);
    memset(resp->body, 'x', 5000);
    resp->body_len = 5000;
    return;
  }
  char key[128] = "", ct[64] = "";
  cq_srv_header(req, "X-MBX-APIKEY", key, sizeof key);
  cq_srv_header(req, "Content-Type", ct, sizeof ct);
  size_t cap = req->body_len + strlen(req->path) + strlen(req->query) + 512;
  char *b = malloc(cap);
  assert_non_null(b);
  int n = snprintf(b, cap, "%s %s ?%s key=%s ct=%s body=%s", req->method, req->path, req->query,
                   key, ct, req->body);
  resp->body = b;
  resp->body_len = (size_t)n;
  resp->content_type = "text/plain";
  resp->headers = dupn("X-MBX-USED-WEIGHT-1M: 7\r\nRetry-After: 3\r\n", 41);
}

static int on_ws_open(void *ctx, uint64_t conn, const char *path, const char *query) {
  srv_state *st = ctx;
  (void)query;
  if (strcmp(path, "/refuse") == 0) return 403;
  atomic_fetch_add(&st->opens, 1);
  atomic_store(&st->last_conn, (long)conn);
  return 0;
}

static void on_ws_message(void *ctx, uint64_t conn, const char *data, size_t len) {
  srv_state *st = ctx;
  atomic_fetch_add(&st->ws_msgs, 1);
  if (len == 3 && memcmp(data, "sub", 3) == 0) {
    pthread_mutex_lock(&st->mu);
    if (st->nsub < MAX_CONNS) st->subscribed[st->nsub++] = conn;
    pthread_mutex_unlock(&st->mu);
    atomic_fetch_add(&st->subs, 1);
    return;
  }
  if (len == 4 && memcmp(data, "ping", 4) == 0) {
    atomic_fetch_add(&st->text_pings, 1);
    return;
  }
  if (len >= 5 && memcmp(data, "echo ", 5) == 0) {
    assert_int_equal(cq_server_ws_send(st->srv, conn, data, len, NULL), 0);
    return;
  }
  if (len == 3 && memcmp(data, "big", 3) == 0) {
    char *b = malloc(5000);
    assert_non_null(b);
    memset(b, 'y', 5000);
    assert_int_equal(cq_server_ws_send(st->srv, conn, b, 5000, NULL), 0);
    free(b);
  }
}

static void on_ws_close(void *ctx, uint64_t conn) {
  srv_state *st = ctx;
  pthread_mutex_lock(&st->mu);
  for (int i = 0; i < st->nsub; i++) {
    if (st->subscribed[i] == conn) {
      st->subscribed[i] = st->subscribed[--st->nsub];
      break;
    }
  }
  pthread_mutex_unlock(&st->mu);
  atomic_fetch_add(&st->closes, 1);
}

typedef struct fixture {
  cq_net_loop *loop;
  srv_state st;
  char base[64];
  char wsbase[64];
} fixture;

static fixture *fx_new(const cq_server_options *so) {
  fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  pthread_mutex_init(&f->st.mu, NULL);
  cq_error err = {0};
  assert_int_equal(cq_net_loop_new(NULL, &f->loop, &err), 0);
  cq_server_options o = {0};
  if (so) o = *so;
  cq_srv_callbacks cb = {.ctx = &f->st,
                         .on_http = on_http,
                         .on_ws_open = on_ws_open,
                         .on_ws_message = on_ws_message,
                         .on_ws_close = on_ws_close};
  int rc = cq_server_start(f->loop, &o, &cb, &f->st.srv, &err);
  if (rc) fail_msg("server: %s", err.msg);
  int port = cq_server_port(f->st.srv);
  assert_true(port > 0);
  snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d", port);
  snprintf(f->wsbase, sizeof f->wsbase, "ws://127.0.0.1:%d", port);
  return f;
}

static void fx_free(fixture *f) {
  cq_server_stop(f->st.srv);
  cq_net_loop_free(f->loop);
  pthread_mutex_destroy(&f->st.mu);
  free(f);
}

/* ---- HTTP ------------------------------------------------------------------------------ */

typedef struct fault_plan {
  int fail_first; /* attempts to fail */
  int timeout_first;
  int calls;
} fault_plan;

static void fault_hook(void *ctx, const cq_http_request *req, int attempt, cq_http_fault *f) {
  fault_plan *p = ctx;
  (void)req;
  p->calls++;
  if (attempt < p->fail_first) f->fail = true;
  if (attempt < p->timeout_first) f->timeout = true;
}

static cq_http_client *client(fault_plan *fp, size_t max_body, int timeout_ms) {
  cq_http_options o;
  cq_http_options_default(&o);
  o.backoff_base_ms = 1;
  o.backoff_max_ms = 5;
  o.proxy = "";
  o.seed = 7;
  if (max_body) o.max_body = max_body;
  if (timeout_ms) o.timeout_ms = timeout_ms;
  if (fp) {
    o.fault = fault_hook;
    o.fault_ctx = fp;
  }
  cq_http_client *c = NULL;
  cq_error err = {0};
  assert_int_equal(cq_http_client_new(&o, &c, &err), 0);
  return c;
}

static void test_http_basic(void **state) {
  (void)state;
  fixture *f = fx_new(NULL);
  cq_http_client *c = client(NULL, 0, 0);
  char url[256];
  cq_http_response r;
  cq_error err = {0};

  snprintf(url, sizeof url, "%s/api/v3/time?symbol=BTCUSDT&limit=5", f->base);
  const char *hdrs[] = {"X-MBX-APIKEY: abc123", NULL};
  cq_http_request req = {.method = "GET", .url = url, .headers = hdrs, .idempotent = true};
  assert_int_equal(cq_http_do(c, &req, &r, &err), 0);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.attempts, 1);
  assert_string_equal(r.body, "GET /api/v3/time ?symbol=BTCUSDT&limit=5 key=abc123 ct= body=");
  char v[32];
  assert_non_null(cq_http_header(&r, "x-mbx-used-weight-1m", v, sizeof v));
  assert_string_equal(v, "7");
  assert_non_null(cq_http_header(&r, "Retry-After", v, sizeof v));
  assert_string_equal(v, "3");
  assert_null(cq_http_header(&r, "X-Absent", v, sizeof v));
  cq_http_response_release(&r);

  const char *hdrs2[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
  snprintf(url, sizeof url, "%s/api/v3/order", f->base);
  const char *body = "symbol=BTCUSDT&side=BUY&quantity=0.01";
  for (int i = 0; i < 3; i++) {
    static const char *const ms[] = {"POST", "PUT", "DELETE"};
    cq_http_request p = {
        .method = ms[i], .url = url, .headers = hdrs2, .body = body, .body_len = strlen(body)};
    assert_int_equal(cq_http_do(c, &p, &r, &err), 0);
    assert_int_equal(r.status, 200);
    char want[256];
    snprintf(want, sizeof want,
             "%s /api/v3/order ? key= ct=application/x-www-form-urlencoded body=%s", ms[i], body);
    assert_string_equal(r.body, want);
    cq_http_response_release(&r);
  }

  /* Keep-alive: many requests, one connection. */
  cq_http_stats s0, s1;
  cq_http_client_stats(c, &s0);
  snprintf(url, sizeof url, "%s/ping", f->base);
  for (int i = 0; i < 50; i++) {
    cq_http_request g = {.method = "GET", .url = url};
    assert_int_equal(cq_http_do(c, &g, &r, &err), 0);
    assert_int_equal(r.status, 200);
    cq_http_response_release(&r);
  }
  cq_http_client_stats(c, &s1);
  assert_int_equal(s1.requests - s0.requests, 50);
  /* (the requests above that are not idempotent each had a fresh connection) */
  assert_int_equal(s1.connects - s0.connects, 0);

  /* The query, with a '+' for a space that arrives as %20. */
  snprintf(url, sizeof url, "%s/q?a=%%22x%%22&b=1%%2C2&c=&p=1+2&e=%%2B%%26%%3D&f", f->base);
  cq_http_request q = {.method = "GET", .url = url};
  assert_int_equal(cq_http_do(c, &q, &r, &err), 0);
  cq_http_response_release(&r);
  pthread_mutex_lock(&f->st.mu);
  char got[256];
  snprintf(got, sizeof got, "%s", f->st.last_query);
  pthread_mutex_unlock(&f->st.mu);
  /* Sent encoded as cq_url_encode would: it arrives byte for byte. */
  assert_string_equal(got, "a=%22x%22&b=1%2C2&c=&p=1%202&e=%2B%26%3D&f");
  char dec[64];
  assert_non_null(cq_query_get(got, "e", dec, sizeof dec));
  assert_string_equal(dec, "+&=");
  assert_non_null(cq_query_get(got, "a", dec, sizeof dec));
  assert_string_equal(dec, "\"x\"");
  assert_non_null(cq_query_get(got, "b", dec, sizeof dec));
  assert_string_equal(dec, "1,2");

  cq_http_client_free(c);

  /* Loopback never goes through a proxy (this one does not exist). */
  cq_http_options po;
  cq_http_options_default(&po);
  po.proxy = "http://127.0.0.1:9";
  assert_int_equal(cq_http_client_new(&po, &c, &err), 0);
  snprintf(url, sizeof url, "%s/ping", f->base);
  cq_http_request pg = {.method = "GET", .url = url};
  assert_int_equal(cq_http_do(c, &pg, &r, &err), 0);
  assert_int_equal(r.status, 200);
  cq_http_response_release(&r);
  cq_http_client_free(c);
  fx_free(f);
}

static void test_http_retries(void **state) {
  (void)state;
  fixture *f = fx_new(NULL);
  char url[256];
  cq_http_response r;
  cq_error err = {0};
  snprintf(url, sizeof url, "%s/ping", f->base);

  /* Injected transport errors: retried when idempotent... */
  fault_plan fp = {.fail_first = 2};
  cq_http_client *c = client(&fp, 0, 0);
  cq_http_request g = {.method = "GET", .url = url, .idempotent = true};
  assert_int_equal(cq_http_do(c, &g, &r, &err), 0);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.attempts, 3);
  cq_http_response_release(&r);
  /* ...past the retries allowed: the error. */
  fp = (fault_plan){.timeout_first = 10};
  assert_int_equal(cq_http_do(c, &g, &r, &err), CQ_ETIMEOUT);
  assert_int_equal(r.attempts, 4);
  cq_http_response_release(&r);
  /* ...never for a request that is not idempotent. */
  fp = (fault_plan){.fail_first = 1};
  cq_http_request p = {.method = "POST", .url = url, .body = "x", .body_len = 1};
  assert_int_equal(cq_http_do(c, &p, &r, &err), CQ_ENET);
  assert_int_equal(r.attempts, 1);
  assert_int_equal(r.status, 0);
  cq_http_response_release(&r);
  cq_http_client_free(c);

  /* 503 answers: retried for idempotent requests, returned as they are otherwise. */
  c = client(NULL, 0, 0);
  snprintf(url, sizeof url, "%s/flaky", f->base);
  atomic_store(&f->st.flaky, 2);
  cq_http_request fl = {.method = "GET", .url = url, .idempotent = true};
  assert_int_equal(cq_http_do(c, &fl, &r, &err), 0);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.attempts, 3);
  cq_http_response_release(&r);
  atomic_store(&f->st.flaky, 1);
  long before = atomic_load(&f->st.http_n);
  cq_http_request flp = {.method = "POST", .url = url, .body = "a=1", .body_len = 3};
  assert_int_equal(cq_http_do(c, &flp, &r, &err), 0);
  assert_int_equal(r.status, 503);
  assert_int_equal(r.attempts, 1);
  assert_int_equal(atomic_load(&f->st.http_n) - before, 1);
  cq_http_response_release(&r);
  atomic_store(&f->st.flaky, 0);

  /* Nobody listening: a transport error, retried, then CQ_ENET. */
  int port = cq_server_port(f->st.srv);
  cq_server_stop(f->st.srv);
  f->st.srv = NULL;
  snprintf(url, sizeof url, "http://127.0.0.1:%d/ping?signature=abc", port);
  cq_http_request gone = {.method = "GET", .url = url, .idempotent = true};
  assert_int_equal(cq_http_do(c, &gone, &r, &err), CQ_ENET);
  assert_null(strstr(err.msg, "signature")); /* messages leave the query out */
  assert_non_null(strstr(err.msg, "/ping"));
  assert_int_equal(r.attempts, 4);
  assert_int_equal(r.status, 0);
  cq_http_response_release(&r);
  /* A URL curl cannot use. */
  cq_http_request bad = {.method = "GET", .url = "nope://x"};
  assert_int_equal(cq_http_do(c, &bad, &r, &err), CQ_EINVAL);
  cq_http_response_release(&r);
  cq_http_client_free(c);
  fx_free(f);
}

static void test_http_faults(void **state) {
  (void)state;
  cq_server_options so = {.max_body = 1000};
  fixture *f = fx_new(&so);
  char url[256];
  cq_http_response r;
  cq_error err = {0};

  /* A server slower than the client's timeout. */
  cq_http_client *c = client(NULL, 0, 300);
  snprintf(url, sizeof url, "%s/slow", f->base);
  cq_http_request s = {.method = "GET", .url = url};
  assert_int_equal(cq_http_do(c, &s, &r, &err), CQ_ETIMEOUT);
  assert_int_equal(r.attempts, 1);
  cq_http_response_release(&r);

  /* A delayed answer within the timeout arrives. */
  snprintf(url, sizeof url, "%s/later", f->base);
  cq_http_request lt = {.method = "GET", .url = url};
  assert_int_equal(cq_http_do(c, &lt, &r, &err), 0);
  assert_int_equal(r.status, 200);
  cq_http_response_release(&r);

  /* A connection closed with no answer. */
  snprintf(url, sizeof url, "%s/drop", f->base);
  cq_http_request d = {.method = "GET", .url = url};
  assert_int_equal(cq_http_do(c, &d, &r, &err), CQ_ENET);
  cq_http_response_release(&r);
  cq_http_client_free(c);

  /* A response body over the client's cap. */
  c = client(NULL, 1000, 0);
  snprintf(url, sizeof url, "%s/big", f->base);
  cq_http_request b = {.method = "GET", .url = url, .idempotent = true};
  assert_int_equal(cq_http_do(c, &b, &r, &err), CQ_ELIMIT);
  assert_int_equal(r.attempts, 1);
  cq_http_response_release(&r);

  /* A request body over the server's cap: 413, and the connection still serves. */
  char *big = malloc(5000);
  assert_non_null(big);
  memset(big, 'z', 5000);
  snprintf(url, sizeof url, "%s/upload", f->base);
  cq_http_request up = {.method = "POST", .url = url, .body = big, .body_len = 5000};
  assert_int_equal(cq_http_do(c, &up, &r, &err), 0);
  assert_int_equal(r.status, 413);
  cq_http_response_release(&r);
  free(big);
  snprintf(url, sizeof url, "%s/ping", f->base);
  cq_http_request g = {.method = "GET", .url = url};
  assert_int_equal(cq_http_do(c, &g, &r, &err), 0);
  assert_int_equal(r.status, 200);
  cq_http_response_release(&r);
  cq_http_client_free(c);
  fx_free(f);
}

/* ---- WebSocket ------------------------------------------------------------------------- */

typedef struct ws_state {
  atomic_long opens, reopens, closes, msgs, oversize_closes, abnormal_closes, bad_order;
  atomic_long last_close_code;
  atomic_long echo_ok;
  atomic_long next_seq; /* pushes: the next sequence number expected */
  atomic_long max_seq;  /* rotation: the highest seen */
  atomic_long gaps;
  atomic_long closed_self;
  bool subscribe;
} ws_state;

static void ws_on_open(void *ctx, cq_ws_client *ws, bool reconnect) {
  ws_state *w = ctx;
  atomic_fetch_add(&w->opens, 1);
  if (reconnect) atomic_fetch_add(&w->reopens, 1);
  if (w->subscribe) assert_int_equal(cq_ws_send(ws, "sub", 3, NULL), 0);
}

static void ws_on_message(void *ctx, cq_ws_client *ws, const char *data, size_t len, bool bin) {
  ws_state *w = ctx;
  (void)bin;
  atomic_fetch_add(&w->msgs, 1);
  if (len == 8 && memcmp(data, "close-me", 8) == 0) {
    cq_ws_client_close(ws); /* from the network thread: it frees itself */
    atomic_store(&w->closed_self, 1);
  } else if (len > 5 && memcmp(data, "echo ", 5) == 0) {
    atomic_fetch_add(&w->echo_ok, 1);
  } else if (len > 4 && memcmp(data, "seq ", 4) == 0) {
    long n = strtol(data + 4, NULL, 10);
    if (n != atomic_load(&w->next_seq)) atomic_fetch_add(&w->bad_order, 1);
    atomic_store(&w->next_seq, n + 1);
  } else if (len > 4 && memcmp(data, "rot ", 4) == 0) {
    long n = strtol(data + 4, NULL, 10);
    long m = atomic_load(&w->max_seq);
    if (n > m + 1 && m >= 0) atomic_fetch_add(&w->gaps, 1);
    if (n > m) atomic_store(&w->max_seq, n);
  }
}

static void ws_on_close(void *ctx, cq_ws_client *ws, int code, const char *why, bool again) {
  ws_state *w = ctx;
  (void)ws;
  (void)why;
  (void)again;
  atomic_fetch_add(&w->closes, 1);
  atomic_store(&w->last_close_code, code);
  if (code == 1009) atomic_fetch_add(&w->oversize_closes, 1);
  if (code == 1006) atomic_fetch_add(&w->abnormal_closes, 1);
}

static cq_ws_client *ws_open(fixture *f, ws_state *w, const char *path, cq_ws_options *extra) {
  cq_ws_options o;
  cq_ws_options_default(&o);
  if (extra) o = *extra;
  char url[128];
  snprintf(url, sizeof url, "%s%s", f->wsbase, path);
  o.url = url;
  o.reconnect_min_ms = o.reconnect_min_ms ? o.reconnect_min_ms : 10;
  o.reconnect_max_ms = o.reconnect_max_ms ? o.reconnect_max_ms : 50;
  cq_ws_callbacks cb = {
      .ctx = w, .on_open = ws_on_open, .on_message = ws_on_message, .on_close = ws_on_close};
  cq_ws_client *ws = NULL;
  cq_error err = {0};
  int rc = cq_ws_client_open(f->loop, &o, &cb, &ws, &err);
  if (rc) fail_msg("ws open: %s", err.msg);
  return ws;
}

static void test_ws_echo_and_push(void **state) {
  (void)state;
  fixture *f = fx_new(NULL);
  ws_state w = {.subscribe = true};
  atomic_store(&w.max_seq, -1);
  cq_ws_client *ws = ws_open(f, &w, "/ws?streams=a", NULL);
  assert_true(wait_at_least(&f->st.subs, 1) >= 1);
  for (int i = 0; i < 100; i++) {
    char m[32];
    int n = snprintf(m, sizeof m, "echo %d", i);
    int rc;
    while ((rc = cq_ws_send(ws, m, (size_t)n, NULL)) == CQ_ELIMIT) sleep_ms(1);
    assert_int_equal(rc, 0);
  }
  assert_int_equal(wait_at_least(&w.echo_ok, 100), 100);

  /* 10,000 pushes from this thread arrive in order. */
  uint64_t conn = (uint64_t)atomic_load(&f->st.last_conn);
  for (int i = 0; i < PUSH_N; i++) {
    char m[32];
    int n = snprintf(m, sizeof m, "seq %d", i);
    assert_int_equal(cq_server_ws_send(f->st.srv, conn, m, (size_t)n, NULL), 0);
  }
  assert_int_equal(wait_at_least(&w.next_seq, PUSH_N), PUSH_N);
  assert_int_equal(atomic_load(&w.bad_order), 0);
  cq_ws_stats st;
  cq_ws_client_stats(ws, &st);
  assert_true(st.connected);
  assert_int_equal(st.connects, 1);
  assert_true(st.messages >= PUSH_N + 100);

  /* A refused upgrade: the client keeps trying and never opens. */
  ws_state w2 = {0};
  cq_ws_client *ws2 = ws_open(f, &w2, "/refuse", NULL);
  sleep_ms(100);
  assert_int_equal(atomic_load(&w2.opens), 0);
  cq_ws_client_close(ws2);

  /* wss:// against a plain server: the TLS handshake fails, the client keeps trying, and
     closes cleanly. */
  ws_state w4 = {0};
  cq_ws_options o4;
  cq_ws_options_default(&o4);
  char wss[128];
  snprintf(wss, sizeof wss, "wss://127.0.0.1:%d/ws", cq_server_port(f->st.srv));
  o4.url = wss;
  o4.reconnect_min_ms = 10;
  o4.reconnect_max_ms = 20;
  cq_ws_callbacks cb4 = {.ctx = &w4, .on_open = ws_on_open};
  cq_ws_client *ws4 = NULL;
  assert_int_equal(cq_ws_client_open(f->loop, &o4, &cb4, &ws4, NULL), 0);
  sleep_ms(100);
  assert_int_equal(atomic_load(&w4.opens), 0);
  cq_ws_client_close(ws4);

  /* URLs that are not WebSocket URLs. */
  cq_error e5 = {0};
  cq_ws_client *ws5 = NULL;
  o4.url = "http://127.0.0.1/ws";
  assert_int_equal(cq_ws_client_open(f->loop, &o4, &cb4, &ws5, &e5), CQ_EINVAL);
  o4.url = "ws://:80/x";
  assert_int_equal(cq_ws_client_open(f->loop, &o4, &cb4, &ws5, &e5), CQ_EINVAL);
  o4.url = "ws://h:99999/x";
  assert_int_equal(cq_ws_client_open(f->loop, &o4, &cb4, &ws5, &e5), CQ_EINVAL);
  assert_null(ws5);

  cq_ws_client_close(ws);
  assert_int_equal(wait_at_least(&f->st.closes, 1), 1);

  /* A client closed from its own callback. */
  ws_state w3 = {0};
  long opens = atomic_load(&f->st.opens);
  (void)ws_open(f, &w3, "/ws", NULL);
  assert_true(wait_at_least(&f->st.opens, opens + 1) >= opens + 1);
  uint64_t c3 = (uint64_t)atomic_load(&f->st.last_conn);
  long closes = atomic_load(&f->st.closes);
  assert_int_equal(cq_server_ws_send(f->st.srv, c3, "close-me", 8, NULL), 0);
  assert_int_equal(wait_at_least(&w3.closed_self, 1), 1);
  assert_true(wait_at_least(&f->st.closes, closes + 1) >= closes + 1);
  fx_free(f);
}

static void test_ws_oversize(void **state) {
  (void)state;
  cq_server_options so = {.max_message = 2000};
  fixture *f = fx_new(&so);
  ws_state w = {0};
  cq_ws_options o;
  cq_ws_options_default(&o);
  o.max_message = 1000;
  cq_ws_client *ws = ws_open(f, &w, "/ws", &o);
  assert_true(wait_at_least(&w.opens, 1) >= 1);
  /* Inbound over the client's cap: 1009 and a new connection. */
  assert_int_equal(cq_ws_send(ws, "big", 3, NULL), 0);
  assert_true(wait_at_least(&w.reopens, 1) >= 1);
  cq_ws_stats st;
  cq_ws_client_stats(ws, &st);
  assert_int_equal(st.oversize, 1);
  assert_int_equal(atomic_load(&w.oversize_closes), 1);
  /* Outbound over the server's cap: the server closes with 1009. */
  char *m = malloc(3000);
  assert_non_null(m);
  memset(m, 'q', 3000);
  while (cq_ws_send(ws, m, 3000, NULL) == CQ_ESTATE) sleep_ms(1);
  free(m);
  assert_true(wait_at_least(&w.oversize_closes, 2) >= 2);
  assert_true(wait_at_least(&w.reopens, 2) >= 2);
  cq_ws_client_close(ws);
  fx_free(f);
}

static void test_ws_drop_and_stall(void **state) {
  (void)state;
  fixture *f = fx_new(NULL);
  ws_state w = {.subscribe = true};
  cq_ws_options o;
  cq_ws_options_default(&o);
  o.ping_interval_ms = 50;
  o.idle_timeout_ms = 400;
  cq_ws_client *ws = ws_open(f, &w, "/ws", &o);
  assert_true(wait_at_least(&f->st.subs, 1) >= 1);

  /* Dropped with no close frame: 1006, reconnect, resubscribed. */
  uint64_t conn = (uint64_t)atomic_load(&f->st.last_conn);
  assert_int_equal(cq_server_ws_end(f->st.srv, conn, CQ_WS_END_DROP, 0, NULL), 0);
  assert_true(wait_at_least(&f->st.subs, 2) >= 2);
  assert_true(atomic_load(&w.reopens) >= 1);
  assert_true(atomic_load(&w.abnormal_closes) >= 1);

  /* Stalled: nothing more, no pongs; the client's idle timeout reconnects. */
  conn = (uint64_t)atomic_load(&f->st.last_conn);
  long subs = atomic_load(&f->st.subs);
  assert_int_equal(cq_server_ws_end(f->st.srv, conn, CQ_WS_END_STALL, 0, NULL), 0);
  assert_int_equal(cq_server_ws_send(f->st.srv, conn, "lost", 4, NULL), 0);
  assert_true(wait_at_least(&f->st.subs, subs + 1) >= subs + 1);
  cq_ws_stats st;
  cq_ws_client_stats(ws, &st);
  assert_true(st.reconnects >= 2);
  assert_true(st.pings_sent >= 1);

  uint64_t main_conn = (uint64_t)atomic_load(&f->st.last_conn);

  /* With reconnect off, a drop ends the client's connection for good. */
  ws_state w2 = {0};
  cq_ws_options o2;
  cq_ws_options_default(&o2);
  o2.reconnect = false;
  long opens = atomic_load(&f->st.opens);
  cq_ws_client *ws2 = ws_open(f, &w2, "/ws", &o2);
  assert_true(wait_at_least(&f->st.opens, opens + 1) >= opens + 1);
  assert_true(wait_at_least(&w2.opens, 1) >= 1);
  uint64_t c2 = (uint64_t)atomic_load(&f->st.last_conn);
  assert_int_equal(cq_server_ws_end(f->st.srv, c2, CQ_WS_END_DROP, 0, NULL), 0);
  assert_int_equal(wait_at_least(&w2.closes, 1), 1);
  sleep_ms(100);
  assert_int_equal(atomic_load(&w2.opens), 1);
  cq_ws_stats st2;
  cq_ws_client_stats(ws2, &st2);
  assert_false(st2.connected);
  assert_int_equal(cq_ws_send(ws2, "x", 1, NULL), CQ_ESTATE);
  cq_ws_client_close(ws2);

  /* Closing a client whose server stalls: the unanswered close is cut short. */
  ws_state w3 = {0};
  opens = atomic_load(&f->st.opens);
  cq_ws_client *ws3 = ws_open(f, &w3, "/ws", NULL);
  assert_true(wait_at_least(&f->st.opens, opens + 1) >= opens + 1);
  assert_true(wait_at_least(&w3.opens, 1) >= 1);
  uint64_t c3 = (uint64_t)atomic_load(&f->st.last_conn);
  assert_int_equal(cq_server_ws_end(f->st.srv, c3, CQ_WS_END_STALL, 0, NULL), 0);
  sleep_ms(20);
  cq_ws_client_close(ws3);

  /* A close frame with a code. */
  conn = main_conn;
  long closes = atomic_load(&w.closes);
  assert_int_equal(cq_server_ws_end(f->st.srv, conn, CQ_WS_END_CLOSE, 4001, NULL), 0);
  assert_true(wait_at_least(&w.closes, closes + 1) >= closes + 1);
  assert_int_equal(atomic_load(&w.last_close_code), 4001);
  cq_ws_client_close(ws);
  fx_free(f);
}

/* The client's own fault hook: a message dropped before delivery, and a cut connection
 * that reconnects and resubscribes. */
static void drop_or_cut(void *ctx, const char *data, size_t len, cq_ws_fault *f) {
  (void)ctx;
  if (len >= 9 && memcmp(data, "echo drop", 9) == 0) f->drop = true;
  if (len >= 8 && memcmp(data, "echo cut", 8) == 0) f->cut = true;
}

static void test_ws_client_faults(void **state) {
  (void)state;
  fixture *f = fx_new(NULL);
  ws_state w = {.subscribe = true};
  cq_ws_options o;
  cq_ws_options_default(&o);
  o.fault = drop_or_cut;
  cq_ws_client *ws = ws_open(f, &w, "/ws", &o);
  assert_true(wait_at_least(&f->st.subs, 1) >= 1);
  const char *seq[] = {"echo 1", "echo drop", "echo 2"};
  for (int i = 0; i < 3; i++) assert_int_equal(cq_ws_send(ws, seq[i], strlen(seq[i]), NULL), 0);
  assert_int_equal(wait_at_least(&w.echo_ok, 2), 2);
  sleep_ms(50);
  assert_int_equal(atomic_load(&w.echo_ok), 2); /* the dropped one never arrived */
  assert_int_equal(cq_ws_send(ws, "echo cut", 8, NULL), 0);
  assert_true(wait_at_least(&f->st.subs, 2) >= 2); /* reconnected and resubscribed */
  assert_true(atomic_load(&w.reopens) >= 1);
  assert_true(atomic_load(&w.abnormal_closes) >= 1);
  assert_int_equal(atomic_load(&w.echo_ok), 2);
  cq_ws_client_close(ws);
  fx_free(f);
}

typedef struct pusher {
  fixture *f;
  atomic_bool stop;
  long sent;
} pusher;

static void *push_main(void *arg) {
  pusher *p = arg;
  srv_state *st = &p->f->st;
  while (!atomic_load(&p->stop)) {
    char m[32];
    int n = snprintf(m, sizeof m, "rot %ld", p->sent++);
    pthread_mutex_lock(&st->mu);
    for (int i = 0; i < st->nsub; i++)
      if (cq_server_ws_send(st->srv, st->subscribed[i], m, (size_t)n, NULL)) continue;
    pthread_mutex_unlock(&st->mu);
    sleep_ms(1);
  }
  return NULL;
}

static void test_ws_rotation_and_text_ping(void **state) {
  (void)state;
  fixture *f = fx_new(NULL);
  ws_state w = {.subscribe = true};
  atomic_store(&w.max_seq, -1);
  cq_ws_options o;
  cq_ws_options_default(&o);
  o.max_lifetime_ms = 300;
  cq_ws_client *ws = ws_open(f, &w, "/ws", &o);
  assert_true(wait_at_least(&f->st.subs, 1) >= 1);
  pusher p = {.f = f};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, push_main, &p), 0);
  assert_true(wait_at_least(&f->st.subs, 4) >= 4);
  atomic_store(&p.stop, true);
  pthread_join(th, NULL);
  cq_ws_stats st;
  cq_ws_client_stats(ws, &st);
  assert_true(st.rotations >= 3);
  assert_int_equal(st.reconnects, 0);
  assert_int_equal(atomic_load(&w.gaps), 0);
  assert_true(atomic_load(&w.max_seq) > 0);
  cq_ws_client_close(ws);

  /* A text ping when idle. */
  ws_state w2 = {0};
  cq_ws_options_default(&o);
  o.ping_interval_ms = 30;
  o.text_ping = "ping";
  cq_ws_client *ws2 = ws_open(f, &w2, "/ws", &o);
  assert_true(wait_at_least(&f->st.text_pings, 2) >= 2);
  cq_ws_client_close(ws2);
  fx_free(f);
}

/* A raw socket that asks for a WebSocket upgrade on path; the server's answer head is
 * copied to head. */
static int raw_ws_connect(int port, const char *path, char *head, size_t n) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  char req[512];
  int k = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n",
                   path);
  assert_int_equal(write(fd, req, (size_t)k), k);
  ssize_t got = read(fd, head, n - 1);
  assert_true(got > 12);
  head[got] = '\0';
  return fd;
}

static void test_ws_slow_reader(void **state) {
  (void)state;
  cq_server_options so = {.conn_queue_max = 200};
  fixture *f = fx_new(&so);
  char head[1024];
  /* A refused upgrade is answered with the status on_ws_open gave. */
  int fd = raw_ws_connect(cq_server_port(f->st.srv), "/refuse", head, sizeof head);
  assert_non_null(strstr(head, " 403"));
  close(fd);
  /* A reader that never reads: it upgrades and then sits. */
  fd = raw_ws_connect(cq_server_port(f->st.srv), "/slow", head, sizeof head);
  assert_non_null(strstr(head, " 101 "));
  assert_true(wait_at_least(&f->st.opens, 1) >= 1);
  uint64_t conn = (uint64_t)atomic_load(&f->st.last_conn);
  char *m = malloc(1024);
  assert_non_null(m);
  memset(m, 'p', 1024);
  int rc = 0;
  for (int i = 0; i < 1000000 && rc == 0; i++) {
    rc = cq_server_ws_send(f->st.srv, conn, m, 1024, NULL);
    if (i % 256 == 0) sleep_ms(1);
  }
  free(m);
  assert_int_equal(rc, CQ_ELIMIT);
  assert_true(wait_at_least(&f->st.closes, 1) >= 1);
  assert_int_equal(cq_server_ws_send(f->st.srv, conn, "x", 1, NULL), CQ_ENOTFOUND);
  close(fd);
  fx_free(f);
}

static void test_start_stop(void **state) {
  (void)state;
  int threads = thread_count();
  /* A first loop and client set up what stays for the process (curl's and OpenSSL's
     one-time state) before descriptors are counted. */
  fixture *f0 = fx_new(NULL);
  fx_free(f0);
  int fds = fd_count();
  for (int round = 0; round < 10; round++) {
    fixture *f = fx_new(NULL);
    int port = cq_server_port(f->st.srv);
    ws_state w = {.subscribe = true};
    cq_ws_client *ws = ws_open(f, &w, "/ws", NULL);
    assert_true(wait_at_least(&f->st.subs, 1) >= 1);
    cq_http_client *c = client(NULL, 0, 0);
    char url[128];
    snprintf(url, sizeof url, "%s/ping", f->base);
    cq_http_request g = {.method = "GET", .url = url};
    cq_http_response r;
    assert_int_equal(cq_http_do(c, &g, &r, NULL), 0);
    cq_http_response_release(&r);
    cq_http_client_free(c);
    if (round % 2) cq_ws_client_close(ws); /* else the loop closes it */
    if (round % 3) {
      cq_server_stop(f->st.srv);
      assert_true(port_closed(port));
    } else {
      /* Left to the loop: freeing it closes the server. */
      cq_net_loop_free(f->loop);
      f->loop = NULL;
      assert_true(port_closed(port));
      srv_state *st = &f->st;
      pthread_mutex_destroy(&st->mu);
      free(f);
      continue;
    }
    f->st.srv = NULL;
    fx_free(f);
  }
  assert_int_equal(thread_count(), threads);
  assert_int_equal(fd_count(), fds);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_http_basic),       cmocka_unit_test(test_http_retries),
      cmocka_unit_test(test_http_faults),      cmocka_unit_test(test_ws_echo_and_push),
      cmocka_unit_test(test_ws_oversize),      cmocka_unit_test(test_ws_drop_and_stall),
      cmocka_unit_test(test_ws_client_faults), cmocka_unit_test(test_ws_rotation_and_text_ping),
      cmocka_unit_test(test_ws_slow_reader),   cmocka_unit_test(test_start_stop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
