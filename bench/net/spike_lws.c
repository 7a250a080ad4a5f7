/* The spike on libwebsockets 4.1: one lws_context per server, serviced by one thread
 * (lws's own poll loop, or a libuv loop we own and lws joins as a "foreign" loop); the
 * client has its own context serviced by the calling thread. Everything runs from
 * callbacks; WebSocket writes happen only in WRITEABLE callbacks, so a slow reader stops
 * the pusher instead of growing a queue. */
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "spike.h"

/* Pushes written per WRITEABLE callback before going back to the loop, so that one busy
 * connection cannot starve the others. */
enum { LWS_PUSH_BURST = 64 };

struct spike_server {
  struct lws_context *ctx;
  int port;
  int deflate;
  int libuv;
  pthread_t thread;
  int thread_started;
  atomic_int stop; /* poll loop: asked to stop; read by the service thread */
  uv_loop_t loop;  /* libuv loop: owned here, run by the service thread */
  uv_async_t stop_async;
  int loop_inited;
};

/* Per-connection state; lws allocates and zeroes it. One struct serves both the HTTP
 * connections and the WebSocket ones since both are bound to protocols[0]. */
typedef struct srv_pss {
  size_t rx_len; /* WS: bytes of the message being assembled */
  int refused;   /* WS: over the cap, being closed; ignore what still comes */
  int echo_pending;
  int echo_binary;
  size_t echo_len;
  uint64_t push_next, push_total;
  char rx[SPIKE_MAX_MSG];
  unsigned char echo[LWS_PRE + SPIKE_MAX_MSG];
  unsigned char tx[LWS_PRE + SPIKE_MAX_MSG];
} srv_pss;

static const struct lws_extension spike_exts[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate,
     "permessage-deflate; client_no_context_takeover; client_max_window_bits"},
    {NULL, NULL, NULL},
};

static void quiet_logs(void) {
  /* lws logs to stderr through a process-wide level; keep only warnings and errors. */
  lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
}

static int srv_http(struct lws *wsi, srv_pss *pss, const char *uri, size_t len) {
  if (len != 9 || memcmp(uri, "/api/ping", 9) != 0 ||
      lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0) {
    if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL)) return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
  }
  /* Headers and body in one write, as the civetweb side does: one send() per response.
   * The usual lws pattern (headers now, body from HTTP_WRITEABLE) costs a second send()
   * and a loop turn; LWS_WRITE_HTTP_HEADERS carrying the body is valid on HTTP/1.1 only,
   * which is all this listener speaks (no TLS, so no ALPN h2). */
  char body[64];
  size_t n = spike_ping_body(body, sizeof body, spike_wall_ms());
  unsigned char *start = pss->tx + LWS_PRE, *p = start, *end = start + SPIKE_MAX_MSG - 1;
  if (!n || lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "application/json", n, &p, end) ||
      lws_finalize_http_header(wsi, &p, end) || (size_t)(end - p) < n)
    return -1;
  memcpy(p, body, n);
  p += n;
  if (lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS) != (int)(p - start))
    return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int srv_ws_receive(struct lws *wsi, srv_pss *pss, const void *in, size_t len) {
  if (pss->refused) return -1;
  if (len > SPIKE_MAX_MSG - pss->rx_len) {
    /* The cap on inbound messages: lws hands us the frame in rx_buffer_size pieces (after
     * inflating, with permessage-deflate), the assembly buffer is ours, so the limit is
     * ours too. lws 4.1 ignores the -1 below while the inflater is still draining a
     * frame, so the close is also scheduled explicitly. */
    lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    pss->refused = 1;
    return -1;
  }
  memcpy(pss->rx + pss->rx_len, in, len);
  pss->rx_len += len;
  if (!lws_is_final_fragment(wsi)) return 0;
  uint64_t n;
  if (spike_parse_push(pss->rx, pss->rx_len, &n)) {
    if (pss->push_next < pss->push_total) {
      lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, NULL, 0);
      return -1; /* one push at a time */
    }
    pss->push_next = 0;
    pss->push_total = n;
  } else {
    if (pss->echo_pending) return -1; /* cannot happen while rx is flow-controlled off */
    memcpy(pss->echo + LWS_PRE, pss->rx, pss->rx_len);
    pss->echo_len = pss->rx_len;
    pss->echo_binary = lws_frame_is_binary(wsi);
    pss->echo_pending = 1;
    lws_rx_flow_control(wsi, 0); /* read nothing more until the echo is out */
  }
  pss->rx_len = 0;
  lws_callback_on_writable(wsi);
  return 0;
}

static int srv_ws_writeable(struct lws *wsi, srv_pss *pss, int deflate) {
  if (pss->echo_pending) {
    if (lws_write(wsi, pss->echo + LWS_PRE, pss->echo_len,
                  pss->echo_binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < 0)
      return -1;
    pss->echo_pending = 0;
    lws_rx_flow_control(wsi, 1);
  } else {
    for (int i = 0; i < LWS_PUSH_BURST && pss->push_next < pss->push_total; i++) {
      size_t l = spike_push_msg((char *)pss->tx + LWS_PRE, pss->push_next);
      if (lws_write(wsi, pss->tx + LWS_PRE, l, LWS_WRITE_TEXT) < 0) return -1;
      pss->push_next++;
      /* Several writes per callback are allowed only while nothing got buffered; with an
       * extension the compressor may also still be draining. */
      if (lws_partial_buffered(wsi) || (deflate && lws_send_pipe_choked(wsi))) break;
    }
  }
  if (pss->push_next < pss->push_total) lws_callback_on_writable(wsi);
  return 0;
}

static int srv_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len) {
  srv_pss *pss = user;
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      return srv_http(wsi, pss, in, len);
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
      char uri[16];
      int n = lws_hdr_copy(wsi, uri, (int)sizeof uri, WSI_TOKEN_GET_URI);
      return (n == 3 && memcmp(uri, "/ws", 3) == 0) ? 0 : 1;
    }
    case LWS_CALLBACK_ESTABLISHED:
      pss->rx_len = 0;
      pss->echo_pending = 0;
      pss->push_next = pss->push_total = 0;
      return 0;
    case LWS_CALLBACK_RECEIVE:
      return srv_ws_receive(wsi, pss, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      const spike_server *s = lws_context_user(lws_get_context(wsi));
      return srv_ws_writeable(wsi, pss, s->deflate);
    }
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

static const struct lws_protocols srv_protocols[] = {
    {"cq-spike", srv_cb, sizeof(srv_pss), SPIKE_MAX_MSG, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void *srv_poll_main(void *arg) {
  spike_server *s = arg;
  while (!atomic_load(&s->stop))
    if (lws_service(s->ctx, 0) < 0) break;
  return NULL;
}

static void srv_uv_stop(uv_async_t *a) {
  spike_server *s = a->data;
  /* Starts lws's teardown; it closes its handles on this loop and, once they are all
   * closed, finishes and sets s->ctx to NULL (info.pcontext). */
  lws_context_destroy(s->ctx);
  uv_close((uv_handle_t *)a, NULL);
}

static void *srv_uv_main(void *arg) {
  spike_server *s = arg;
  uv_run(&s->loop, UV_RUN_DEFAULT);
  return NULL;
}

static void lws_server_stop(spike_server *s) {
  if (!s) return;
  if (s->thread_started) {
    if (s->libuv) {
      uv_async_send(&s->stop_async);
    } else {
      atomic_store(&s->stop, 1);
      lws_cancel_service(s->ctx);
    }
    pthread_join(s->thread, NULL);
  }
  if (s->ctx) lws_context_destroy(s->ctx);
  if (s->loop_inited) {
    if (!s->thread_started) uv_close((uv_handle_t *)&s->stop_async, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT); /* let any remaining close callbacks run */
    uv_loop_close(&s->loop);
  }
  free(s);
}

static int lws_server_start(spike_server **out, const spike_opts *opts, cq_error *err) {
  *out = NULL;
  quiet_logs();
  spike_server *s = calloc(1, sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "lws server");
  s->deflate = opts && opts->deflate;
  s->libuv = opts && opts->libuv;
  atomic_init(&s->stop, 0);

  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = 0; /* the kernel picks; read back below */
  info.iface = "127.0.0.1";
  info.protocols = srv_protocols;
  info.extensions = s->deflate ? spike_exts : NULL;
  info.user = s;
  info.pcontext = &s->ctx;
  info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  void *loops[1] = {&s->loop};
  if (s->libuv) {
    if (uv_loop_init(&s->loop) != 0) {
      free(s);
      return cq_error_set(err, CQ_EINTERNAL, "uv_loop_init failed");
    }
    s->loop_inited = 1;
    if (uv_async_init(&s->loop, &s->stop_async, srv_uv_stop) != 0) {
      uv_loop_close(&s->loop);
      free(s);
      return cq_error_set(err, CQ_EINTERNAL, "uv_async_init failed");
    }
    s->stop_async.data = s;
    info.options |= LWS_SERVER_OPTION_LIBUV;
    info.foreign_loops = loops;
  }
  s->ctx = lws_create_context(&info);
  if (!s->ctx) {
    lws_server_stop(s);
    return cq_error_set(err, CQ_ENET, "lws_create_context failed (server%s)",
                        opts && opts->libuv ? ", libuv" : "");
  }
  s->port = lws_get_vhost_listen_port(lws_get_vhost_by_name(s->ctx, "default"));
  if (s->port <= 0) {
    lws_server_stop(s);
    return cq_error_set(err, CQ_ENET, "lws: no listening port");
  }
  if (pthread_create(&s->thread, NULL, s->libuv ? srv_uv_main : srv_poll_main, s) != 0) {
    lws_server_stop(s);
    return cq_error_set(err, CQ_EINTERNAL, "pthread_create failed");
  }
  s->thread_started = 1;
  *out = s;
  return 0;
}

static int lws_server_port(const spike_server *s) {
  return s->port;
}

/* ---- client --------------------------------------------------------------------- */

typedef enum cli_phase {
  CLI_ECHO,
  CLI_PUSH_SEND,
  CLI_PUSH_RECV,
  CLI_OVERSIZE_SEND,
  CLI_OVERSIZE_WAIT,
  CLI_CLOSE,
  CLI_DONE,
} cli_phase;

typedef struct cli_state {
  const spike_client_plan *plan;
  spike_client_result *res;
  cq_error *err;
  int rc; /* first failure, 0 if none */
  int finished;
  cli_phase phase;
  size_t echo_i;
  size_t echo_len;
  uint64_t t0;
  size_t rx_len;
  char rx[SPIKE_MAX_MSG];
  char want[SPIKE_MAX_MSG];
  unsigned char tx[LWS_PRE + SPIKE_MAX_MSG + 1];
} cli_state;

static int cli_fail(cli_state *c, int code, const char *what) {
  if (!c->rc) c->rc = cq_error_set(c->err, code, "lws client: %s", what);
  return -1;
}

static cli_phase cli_after_echo(const spike_client_plan *plan) {
  return plan->push_n ? CLI_PUSH_SEND : CLI_CLOSE;
}

static int cli_message(struct lws *wsi, cli_state *c) {
  const spike_client_plan *plan = c->plan;
  if (c->phase == CLI_ECHO) {
    if (c->rx_len != c->echo_len || memcmp(c->rx, c->want, c->echo_len) != 0)
      return cli_fail(c, CQ_EPARSE, "echo differs from what was sent");
    uint64_t dt = spike_now_ns() - c->t0;
    if (plan->echo_rtt_ns)
      plan->echo_rtt_ns[c->echo_i] = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
    c->res->echo_ok++;
    if (++c->echo_i == plan->echo_n) c->phase = cli_after_echo(plan);
  } else if (c->phase == CLI_PUSH_RECV) {
    if (spike_push_check(c->rx, c->rx_len, c->res->push_received, plan->verify_full) != 0)
      return cli_fail(c, CQ_EPARSE, "push missing, out of order or damaged");
    c->res->push_received++;
    c->res->push_bytes += c->rx_len;
    if (c->res->push_received < plan->push_n) return 0;
    c->res->push_ns = spike_now_ns() - c->t0;
    c->phase = CLI_CLOSE;
  } else {
    return cli_fail(c, CQ_EPARSE, "unexpected message");
  }
  lws_callback_on_writable(wsi);
  return 0;
}

static int cli_writeable(struct lws *wsi, cli_state *c) {
  const spike_client_plan *plan = c->plan;
  unsigned char *p = c->tx + LWS_PRE;
  size_t n;
  switch (c->phase) {
    case CLI_ECHO:
      /* lws masks the payload in place, so keep the reference copy apart */
      c->echo_len = spike_echo_msg(c->want, c->echo_i);
      memcpy(p, c->want, c->echo_len);
      c->t0 = spike_now_ns();
      return lws_write(wsi, p, c->echo_len, LWS_WRITE_TEXT) < 0 ? -1 : 0;
    case CLI_PUSH_SEND: {
      int w = snprintf((char *)p, 32, "push %zu", plan->push_n);
      c->phase = CLI_PUSH_RECV;
      c->t0 = spike_now_ns();
      return lws_write(wsi, p, (size_t)w, LWS_WRITE_TEXT) < 0 ? -1 : 0;
    }
    case CLI_OVERSIZE_SEND:
      n = SPIKE_MAX_MSG + 1;
      memset(p, 'z', n);
      c->phase = CLI_OVERSIZE_WAIT;
      return lws_write(wsi, p, n, LWS_WRITE_TEXT) < 0 ? -1 : 0;
    case CLI_CLOSE:
      c->phase = CLI_DONE;
      lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
      return -1;
    default:
      return 0;
  }
}

static int cli_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len) {
  (void)user;
  cli_state *c = lws_context_user(lws_get_context(wsi));
  switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      cli_fail(c, CQ_ENET, in ? (const char *)in : "connection error");
      c->finished = 1;
      return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      lws_set_timer_usecs(wsi, (lws_usec_t)c->plan->timeout_ms * 1000);
      c->phase = c->plan->oversize ? CLI_OVERSIZE_SEND
                 : c->plan->echo_n ? CLI_ECHO
                                   : cli_after_echo(c->plan);
      lws_callback_on_writable(wsi);
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
      int r = 0;
      if (c->rc) {
        r = -1;
      } else if (len > SPIKE_MAX_MSG - c->rx_len) {
        r = cli_fail(c, CQ_ELIMIT, "message over the cap");
      } else {
        memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
        if (!lws_is_final_fragment(wsi)) return 0;
        r = cli_message(wsi, c);
        c->rx_len = 0;
      }
      /* as on the server: a -1 may be ignored while an extension drains */
      if (r < 0) lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
      return r;
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      return cli_writeable(wsi, c);
    case LWS_CALLBACK_TIMER:
      return cli_fail(c, CQ_ETIMEOUT, "timed out");
    case LWS_CALLBACK_CLIENT_CLOSED:
      if (c->phase == CLI_OVERSIZE_WAIT) {
        c->res->closed_by_server = 1;
        c->phase = CLI_DONE;
      }
      if (c->phase != CLI_DONE) cli_fail(c, CQ_ENET, "connection closed early");
      c->finished = 1;
      return 0;
    default:
      return 0;
  }
}

static const struct lws_protocols cli_protocols[] = {
    {"cq-spike-client", cli_cb, 0, SPIKE_MAX_MSG, 0, NULL, (size_t)2 * SPIKE_MAX_MSG},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static int lws_client_run(int port, const spike_opts *opts, const spike_client_plan *plan,
                          spike_client_result *res, cq_error *err) {
  memset(res, 0, sizeof *res);
  quiet_logs();
  cli_state *c = calloc(1, sizeof *c);
  if (!c) return cq_error_set(err, CQ_ENOMEM, "lws client");
  c->plan = plan;
  c->res = res;
  c->err = err;

  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = cli_protocols;
  info.extensions = (opts && opts->deflate) ? spike_exts : NULL;
  info.user = c;
  info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  info.connect_timeout_secs = (unsigned)(plan->timeout_ms / 1000 + 1);
  struct lws_context *ctx = lws_create_context(&info);
  if (!ctx) {
    free(c);
    return cq_error_set(err, CQ_ENET, "lws_create_context failed (client)");
  }
  struct lws_client_connect_info ci;
  memset(&ci, 0, sizeof ci);
  ci.context = ctx;
  ci.address = "127.0.0.1";
  ci.port = port;
  ci.path = "/ws";
  ci.host = "127.0.0.1";
  ci.origin = "127.0.0.1";
  ci.local_protocol_name = cli_protocols[0].name;
  if (!lws_client_connect_via_info(&ci)) {
    cli_fail(c, CQ_ENET, "lws_client_connect_via_info failed");
    c->finished = 1;
  }
  while (!c->finished)
    if (lws_service(ctx, 0) < 0) break;
  lws_context_destroy(ctx);

  int rc = c->rc;
  if (!rc && !c->finished) rc = cq_error_set(err, CQ_ENET, "lws client: service loop failed");
  if (!rc && !plan->oversize &&
      (res->echo_ok != plan->echo_n || res->push_received != plan->push_n))
    rc = cq_error_set(err, CQ_ENET, "lws client: %zu/%zu echoes, %zu/%zu pushes", res->echo_ok,
                      plan->echo_n, res->push_received, plan->push_n);
  if (!rc && plan->oversize && !res->closed_by_server)
    rc = cq_error_set(err, CQ_ELIMIT, "lws client: oversize message was not refused");
  free(c);
  return rc;
}

const spike_ops spike_lws_ops = {
    .name = "libwebsockets",
    .version = LWS_LIBRARY_VERSION,
    .caps = SPIKE_CAP_DEFLATE | SPIKE_CAP_LIBUV,
    .server_start = lws_server_start,
    .server_port = lws_server_port,
    .server_stop = lws_server_stop,
    .client_run = lws_client_run,
};
