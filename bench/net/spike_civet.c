/* The spike on civetweb 1.15: a thread per connection. The server's handlers run on the
 * connection's worker thread and write with blocking calls, so the push waits for the
 * socket (backpressure by blocking). The WebSocket client is a reader thread that
 * civetweb starts; our data callback runs there and sends the next message itself, while
 * the calling thread waits on a condition variable. */
#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "spike.h"

enum { CIVET_THREADS = 4 };

struct spike_server {
  struct mg_context *ctx;
  int port;
  int lib_inited;
};

static int civet_ping(struct mg_connection *conn, void *cbdata) {
  (void)cbdata;
  const struct mg_request_info *ri = mg_get_request_info(conn);
  if (!ri || strcmp(ri->request_method, "GET") != 0) {
    mg_send_http_error(conn, 405, "%s", "GET only");
    return 405;
  }
  /* One write for the whole response. civetweb's own helper (mg_send_http_ok, then
   * mg_write for the body) issues a send() per header line, ten per response with
   * TCP_NODELAY on, which more than doubled the round trip here (150 us against 62 us). */
  char body[64], resp[256];
  size_t n = spike_ping_body(body, sizeof body, spike_wall_ms());
  int w = snprintf(resp, sizeof resp,
                   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\nConnection: keep-alive\r\n\r\n%s",
                   n, body);
  if (w <= 0 || (size_t)w >= sizeof resp) return 500;
  mg_write(conn, resp, (size_t)w);
  return 200;
}

static int civet_ws_connect(const struct mg_connection *conn, void *cbdata) {
  (void)conn;
  (void)cbdata;
  return 0; /* accept */
}

static int civet_ws_data(struct mg_connection *conn, int bits, char *data, size_t len,
                         void *cbdata) {
  (void)cbdata;
  int opcode = bits & 0xf;
  if (opcode == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE) return 0;
  if (opcode == MG_WEBSOCKET_OPCODE_PING || opcode == MG_WEBSOCKET_OPCODE_PONG) return 1;
  /* civetweb hands over whole frames (it has already allocated all of len, up to ~2 GB,
   * before we see it) and leaves fragments to us; this spike takes single frames only. */
  if (!(bits & 0x80) || opcode == MG_WEBSOCKET_OPCODE_CONTINUATION) return 0;
  if (len > SPIKE_MAX_MSG) return 0;
  uint64_t n;
  if (!spike_parse_push(data, len, &n)) return mg_websocket_write(conn, opcode, data, len) > 0;
  char msg[SPIKE_MAX_MSG];
  for (uint64_t i = 0; i < n; i++) {
    size_t l = spike_push_msg(msg, i);
    if (mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_TEXT, msg, l) <= 0) return 0;
  }
  return 1;
}

static void civet_server_stop(spike_server *s) {
  if (!s) return;
  if (s->ctx) mg_stop(s->ctx); /* joins every civetweb thread */
  if (s->lib_inited) mg_exit_library();
  free(s);
}

static int civet_server_start(spike_server **out, const spike_opts *opts, cq_error *err) {
  *out = NULL;
  if (opts && (opts->deflate || opts->libuv))
    return cq_error_set(err, CQ_EUNSUPPORTED, "civetweb: no permessage-deflate, no libuv");
  if (!mg_check_feature(MG_FEATURES_WEBSOCKET))
    return cq_error_set(err, CQ_EUNSUPPORTED, "civetweb built without WebSocket");
  spike_server *s = calloc(1, sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "civetweb server");
  mg_init_library(0);
  s->lib_inited = 1;
  char threads[8];
  snprintf(threads, sizeof threads, "%d", CIVET_THREADS);
  /* clang-format off */
  const char *options[] = {
      "listening_ports", "127.0.0.1:0",  /* the kernel picks; read back below */
      "num_threads", threads,            /* one per open connection, REST and WS alike */
      "enable_keep_alive", "yes",
      "keep_alive_timeout_ms", "5000",
      "tcp_nodelay", "1",                /* lws and libcurl set it; else writes wait 40 ms */
      "max_request_size", "16384",       /* request head cap */
      NULL,
  };
  /* clang-format on */
  struct mg_callbacks cb;
  memset(&cb, 0, sizeof cb);
  s->ctx = mg_start(&cb, s, options);
  if (!s->ctx) {
    civet_server_stop(s);
    return cq_error_set(err, CQ_ENET, "civetweb: mg_start failed");
  }
  struct mg_server_port ports[2];
  if (mg_get_server_ports(s->ctx, 2, ports) < 1 || ports[0].port <= 0) {
    civet_server_stop(s);
    return cq_error_set(err, CQ_ENET, "civetweb: no listening port");
  }
  s->port = ports[0].port;
  mg_set_request_handler(s->ctx, "/api/ping", civet_ping, NULL);
  mg_set_websocket_handler(s->ctx, "/ws", civet_ws_connect, NULL, civet_ws_data, NULL, NULL);
  *out = s;
  return 0;
}

static int civet_server_port(const spike_server *s) {
  return s->port;
}

/* ---- client --------------------------------------------------------------------- */

typedef enum civ_phase {
  CIV_ECHO,
  CIV_PUSH_RECV,
  CIV_OVERSIZE_WAIT,
  CIV_CLOSING,
  CIV_DONE,
} civ_phase;

typedef struct civ_client {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct mg_connection *conn;
  const spike_client_plan *plan;
  spike_client_result *res;
  cq_error *err;
  int rc;
  int closed; /* the reader thread has ended */
  civ_phase phase;
  size_t echo_i;
  size_t echo_len;
  uint64_t t0;
  char want[SPIKE_MAX_MSG];
  char tx[SPIKE_MAX_MSG + 1];
} civ_client;

static void civ_fail(civ_client *c, int code, const char *what) {
  if (!c->rc) c->rc = cq_error_set(c->err, code, "civetweb client: %s", what);
}

/* Caller holds c->mu. */
static int civ_send_echo(civ_client *c) {
  c->echo_len = spike_echo_msg(c->want, c->echo_i);
  c->t0 = spike_now_ns();
  return mg_websocket_client_write(c->conn, MG_WEBSOCKET_OPCODE_TEXT, c->want, c->echo_len) > 0;
}

static int civ_send_push(civ_client *c) {
  int w = snprintf(c->tx, sizeof c->tx, "push %zu", c->plan->push_n);
  c->phase = CIV_PUSH_RECV;
  c->t0 = spike_now_ns();
  return mg_websocket_client_write(c->conn, MG_WEBSOCKET_OPCODE_TEXT, c->tx, (size_t)w) > 0;
}

static int civ_send_close(civ_client *c) {
  static const char normal[2] = {0x03, (char)0xe8}; /* 1000 */
  c->phase = CIV_CLOSING;
  return mg_websocket_client_write(c->conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, normal, 2) > 0;
}

/* Caller holds c->mu; returns 1 to keep reading, 0 to close. */
static int civ_message(civ_client *c, const char *data, size_t len) {
  const spike_client_plan *plan = c->plan;
  if (c->phase == CIV_ECHO) {
    if (len != c->echo_len || memcmp(data, c->want, len) != 0) {
      civ_fail(c, CQ_EPARSE, "echo differs from what was sent");
      return 0;
    }
    uint64_t dt = spike_now_ns() - c->t0;
    if (plan->echo_rtt_ns)
      plan->echo_rtt_ns[c->echo_i] = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
    c->res->echo_ok++;
    if (++c->echo_i < plan->echo_n) return civ_send_echo(c);
    return plan->push_n ? civ_send_push(c) : civ_send_close(c);
  }
  if (c->phase == CIV_PUSH_RECV) {
    if (spike_push_check(data, len, c->res->push_received, plan->verify_full) != 0) {
      civ_fail(c, CQ_EPARSE, "push missing, out of order or damaged");
      return 0;
    }
    c->res->push_received++;
    c->res->push_bytes += len;
    if (c->res->push_received < plan->push_n) return 1;
    c->res->push_ns = spike_now_ns() - c->t0;
    return civ_send_close(c);
  }
  civ_fail(c, CQ_EPARSE, "unexpected message");
  return 0;
}

static int civ_data(struct mg_connection *conn, int bits, char *data, size_t len, void *ud) {
  (void)conn;
  civ_client *c = ud;
  int opcode = bits & 0xf, keep = 1;
  pthread_mutex_lock(&c->mu);
  if (opcode == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE) {
    keep = 0;
  } else if (opcode == MG_WEBSOCKET_OPCODE_PING || opcode == MG_WEBSOCKET_OPCODE_PONG) {
    keep = 1;
  } else if (!(bits & 0x80) || opcode == MG_WEBSOCKET_OPCODE_CONTINUATION) {
    civ_fail(c, CQ_EUNSUPPORTED, "fragmented message");
    keep = 0;
  } else if (len > SPIKE_MAX_MSG) {
    civ_fail(c, CQ_ELIMIT, "message over the cap");
    keep = 0;
  } else {
    keep = civ_message(c, data, len);
  }
  pthread_mutex_unlock(&c->mu);
  return keep;
}

static void civ_close(const struct mg_connection *conn, void *ud) {
  (void)conn;
  civ_client *c = ud;
  pthread_mutex_lock(&c->mu);
  if (c->phase == CIV_OVERSIZE_WAIT) {
    c->res->closed_by_server = 1;
    c->phase = CIV_DONE;
  } else if (c->phase == CIV_CLOSING) {
    c->phase = CIV_DONE;
  } else {
    civ_fail(c, CQ_ENET, "connection closed early");
  }
  c->closed = 1;
  pthread_cond_signal(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

static int civ_first_send(civ_client *c) {
  const spike_client_plan *plan = c->plan;
  if (plan->oversize) {
    memset(c->tx, 'z', SPIKE_MAX_MSG + 1);
    c->phase = CIV_OVERSIZE_WAIT;
    return mg_websocket_client_write(c->conn, MG_WEBSOCKET_OPCODE_TEXT, c->tx, SPIKE_MAX_MSG + 1) >
           0;
  }
  if (plan->echo_n) {
    c->phase = CIV_ECHO;
    return civ_send_echo(c);
  }
  return plan->push_n ? civ_send_push(c) : civ_send_close(c);
}

/* civetweb's client writes a frame as two send() calls (header, then payload) and leaves
 * Nagle on, with no option and no accessor for the socket; the payload then waits for the
 * peer's delayed ACK, about 40 ms per message (measured: 68 echoes in 3 s). The only way
 * around it is to find the socket by its peer address and set TCP_NODELAY ourselves. */
static void civ_nodelay(int port) {
  for (int fd = 0; fd < 1024; fd++) {
    struct sockaddr_in peer;
    socklen_t l = sizeof peer;
    if (getpeername(fd, (struct sockaddr *)&peer, &l) != 0 || peer.sin_family != AF_INET ||
        peer.sin_port != htons((uint16_t)port) || peer.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
      continue;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
}

static int civet_client_run(int port, const spike_opts *opts, const spike_client_plan *plan,
                            spike_client_result *res, cq_error *err) {
  memset(res, 0, sizeof *res);
  if (opts && (opts->deflate || opts->libuv))
    return cq_error_set(err, CQ_EUNSUPPORTED, "civetweb: no permessage-deflate, no libuv");
  civ_client *c = calloc(1, sizeof *c);
  if (!c) return cq_error_set(err, CQ_ENOMEM, "civetweb client");
  c->plan = plan;
  c->res = res;
  c->err = err;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  if (pthread_mutex_init(&c->mu, NULL) != 0 || pthread_cond_init(&c->cv, &ca) != 0) {
    pthread_condattr_destroy(&ca);
    free(c);
    return cq_error_set(err, CQ_EINTERNAL, "pthread init");
  }
  pthread_condattr_destroy(&ca);
  mg_init_library(0);

  char ebuf[256] = "";
  /* The lock is taken before connecting so that the reader thread, which may deliver the
   * first reply at once, sees the state the first send sets. */
  pthread_mutex_lock(&c->mu);
  c->conn = mg_connect_websocket_client("127.0.0.1", port, 0, ebuf, sizeof ebuf, "/ws", NULL,
                                        civ_data, civ_close, c);
  if (c->conn) civ_nodelay(port);
  if (!c->conn) {
    civ_fail(c, CQ_ENET, ebuf[0] ? ebuf : "connect failed");
  } else if (!civ_first_send(c)) {
    civ_fail(c, CQ_ENET, "first write failed");
  } else {
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += plan->timeout_ms / 1000;
    dl.tv_nsec += (long)(plan->timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
      dl.tv_sec++;
      dl.tv_nsec -= 1000000000L;
    }
    while (!c->closed)
      if (pthread_cond_timedwait(&c->cv, &c->mu, &dl) != 0) {
        civ_fail(c, CQ_ETIMEOUT, "timed out");
        break;
      }
  }
  pthread_mutex_unlock(&c->mu);
  /* Joins the reader thread; it has already returned unless we timed out. */
  if (c->conn) mg_close_connection(c->conn);
  mg_exit_library();

  int rc = c->rc;
  if (!rc && !plan->oversize &&
      (res->echo_ok != plan->echo_n || res->push_received != plan->push_n))
    rc = cq_error_set(err, CQ_ENET, "civetweb client: %zu/%zu echoes, %zu/%zu pushes", res->echo_ok,
                      plan->echo_n, res->push_received, plan->push_n);
  if (!rc && plan->oversize && !res->closed_by_server)
    rc = cq_error_set(err, CQ_ELIMIT, "civetweb client: oversize message was not refused");
  pthread_cond_destroy(&c->cv);
  pthread_mutex_destroy(&c->mu);
  free(c);
  return rc;
}

const spike_ops spike_civet_ops = {
    .name = "civetweb",
    .version = CIVETWEB_VERSION,
    .caps = 0,
    .server_start = civet_server_start,
    .server_port = civet_server_port,
    .server_stop = civet_server_stop,
    .client_run = civet_client_run,
};
