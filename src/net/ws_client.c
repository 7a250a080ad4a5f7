/* WebSocket clients on the loop: connect, reconnect with backoff, ping, idle timeout,
 * planned rotation, and a bounded outbound queue fed from any thread.
 *
 * A client owns a list of connections (lws wsi, each with its own state): normally one;
 * two during a rotation (the new one opens while the old one still delivers). A
 * connection's state is freed when lws destroys its wsi. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cquant/core/rng.h"
#include "net_internal.h"

enum {
  WS_DEFAULT_MAX_MESSAGE = 1024 * 1024,
  WS_DEFAULT_PING_MS = 20000,
  WS_DEFAULT_IDLE_MS = 60000,
  WS_DEFAULT_RECONNECT_MIN_MS = 250,
  WS_DEFAULT_RECONNECT_MAX_MS = 30000,
  WS_DEFAULT_QUEUE = 1024,
  WS_WRITE_BURST = 64,
  WS_RETIRE_GRACE_MS = 5000, /* the old connection of a rotation, at most this long */
  WS_CLOSE_GRACE_MS = 1000,  /* a peer that does not answer a close is cut after this */
};

typedef struct ws_conn {
  cq_ws_client *c;
  struct lws *wsi;
  struct ws_conn *next;
  uint64_t id;
  bool established, ended, rotation, retiring, close_req, killed, got_message;
  bool ping_due, text_ping_due, rx_over;
  int close_code, peer_code;
  const char *why; /* our reason for ending it, if it was ours */
  int64_t opened_ns, last_rx_ns;
  char *rx;
  size_t rx_len, rx_cap;
} ws_conn;

struct cq_ws_client {
  cq_net_loop *l;
  cq_ws_options o;
  cq_ws_callbacks cb;
  char *url, *host, *path, *text_ping;
  int port;
  bool tls;
  pthread_mutex_t mu; /* queue and stats */
  net_msgq q;
  cq_ws_stats st;
  /* Network thread only. */
  cq_ws_client *next;
  ws_conn *conns;
  ws_conn *cur;  /* the connection in use (established) */
  ws_conn *dial; /* a connection being opened (first, reconnect or rotation) */
  ws_conn *old;  /* the connection a rotation replaces, closing */
  uint64_t conn_seq;
  int fails;
  int64_t reconnect_at, last_ping_ns, last_text_ping_ns;
  bool closing, close_done;
  bool given_up;  /* reconnect is off and the connection ended */
  bool self_free; /* closed from the network thread: frees itself once closed */
  net_cmd *close_cmd;
  lws_sorted_usec_list_t tick;
  int64_t tick_us;
  cq_rng rng;
};

void cq_ws_options_default(cq_ws_options *o) {
  memset(o, 0, sizeof *o);
  o->max_message = WS_DEFAULT_MAX_MESSAGE;
  o->ping_interval_ms = WS_DEFAULT_PING_MS;
  o->idle_timeout_ms = WS_DEFAULT_IDLE_MS;
  o->reconnect = true;
  o->reconnect_min_ms = WS_DEFAULT_RECONNECT_MIN_MS;
  o->reconnect_max_ms = WS_DEFAULT_RECONNECT_MAX_MS;
  o->send_queue_max = WS_DEFAULT_QUEUE;
}

/* ws://host[:port][/path?query] or wss://..., into host, port, path (with its '/'). */
static int parse_url(cq_ws_client *c, const char *url, cq_error *err) {
  const char *p;
  if (strncmp(url, "ws://", 5) == 0) {
    p = url + 5;
    c->port = 80;
  } else if (strncmp(url, "wss://", 6) == 0) {
    p = url + 6;
    c->port = 443;
    c->tls = true;
  } else {
    return cq_error_set(err, CQ_EINVAL, "websocket url \"%s\": not ws:// or wss://", url);
  }
  const char *hs = p, *he;
  if (*p == '[') {
    he = strchr(p, ']');
    if (!he) return cq_error_set(err, CQ_EINVAL, "websocket url \"%s\": bad IPv6 host", url);
    hs = p + 1;
    p = he + 1;
  } else {
    while (*p && *p != ':' && *p != '/' && *p != '?') p++;
    he = p;
  }
  if (he == hs) return cq_error_set(err, CQ_EINVAL, "websocket url \"%s\": no host", url);
  if (*p == ':') {
    char *end;
    long port = strtol(p + 1, &end, 10);
    if (end == p + 1 || port <= 0 || port > 65535)
      return cq_error_set(err, CQ_EINVAL, "websocket url \"%s\": bad port", url);
    c->port = (int)port;
    p = end;
  }
  if (*p && *p != '/' && *p != '?')
    return cq_error_set(err, CQ_EINVAL, "websocket url \"%s\": bad host or port", url);
  c->host = strndup(hs, (size_t)(he - hs));
  size_t pl = strlen(p);
  c->path = malloc(pl + 2);
  if (!c->host || !c->path) return cq_error_set(err, CQ_ENOMEM, "websocket url");
  if (*p == '/')
    memcpy(c->path, p, pl + 1);
  else {
    c->path[0] = '/';
    memcpy(c->path + 1, p, pl + 1);
  }
  return 0;
}

static void set_connected(cq_ws_client *c, bool on) {
  pthread_mutex_lock(&c->mu);
  c->st.connected = on;
  if (!on) cq__net_msgq_clear(&c->q);
  pthread_mutex_unlock(&c->mu);
}

static int backoff_ms(cq_ws_client *c) {
  int64_t w = c->o.reconnect_min_ms;
  for (int i = 1; i < c->fails && w < c->o.reconnect_max_ms; i++) w *= 2;
  if (w > c->o.reconnect_max_ms) w = c->o.reconnect_max_ms;
  return (int)((double)w * (0.5 + 0.5 * cq_rng_uniform(&c->rng)));
}

/* ---- connections ------------------------------------------------------------------- */

static void conn_unlink_free(cq_ws_client *c, ws_conn *k) {
  for (ws_conn **pp = &c->conns; *pp; pp = &(*pp)->next) {
    if (*pp == k) {
      *pp = k->next;
      break;
    }
  }
  free(k->rx);
  free(k);
}

static void maybe_finish_close(cq_ws_client *c);

/* A connection ended (failed to open, closed, or killed): once per connection. */
static void conn_ended(cq_ws_client *c, ws_conn *k, int code, const char *why) {
  if (k->ended) return;
  k->ended = true;
  bool was_cur = k == c->cur;
  if (k == c->dial) c->dial = NULL;
  if (k == c->old) c->old = NULL;
  if (was_cur) {
    c->cur = NULL;
    set_connected(c, false);
  }
  bool reconnecting = false;
  if (was_cur && !c->closing && c->o.reconnect) {
    c->fails = 1;
    c->reconnect_at = cq__net_now_ns(c->l) + (int64_t)backoff_ms(c) * CQ_NS_PER_MS;
    reconnecting = true;
  } else if (!k->established && k->rotation) {
    c->reconnect_at = cq__net_now_ns(c->l) + (int64_t)backoff_ms(c) * CQ_NS_PER_MS;
  } else if (!k->established && !c->cur && !c->closing && c->o.reconnect) {
    c->fails++;
    c->reconnect_at = cq__net_now_ns(c->l) + (int64_t)backoff_ms(c) * CQ_NS_PER_MS;
    reconnecting = true;
  }
  if (!reconnecting && !c->cur && !c->dial && !k->rotation) c->given_up = true;
  if (k->established && !k->retiring && !c->l->destroying && c->cb.on_close)
    c->cb.on_close(c->cb.ctx, c, code, why, reconnecting);
  if (c->l->log && !k->retiring && !c->closing)
    cq_logf(c->l->log, k->established ? CQ_LOG_INFO : CQ_LOG_WARN, "websocket %s: %s (%d)%s",
            c->url, why, code, reconnecting ? ", reconnecting" : "");
}

static void conn_start(cq_ws_client *c, bool rotation) {
  ws_conn *k = calloc(1, sizeof *k);
  if (!k) {
    c->reconnect_at = cq__net_now_ns(c->l) + (int64_t)c->o.reconnect_min_ms * CQ_NS_PER_MS;
    return;
  }
  k->c = c;
  k->id = ++c->conn_seq;
  k->rotation = rotation;
  k->next = c->conns;
  c->conns = k;
  c->dial = k;
  struct lws_client_connect_info ci;
  memset(&ci, 0, sizeof ci);
  ci.context = c->l->ctx;
  ci.vhost = cq__net_client_vhost(c->l, c->tls);
  ci.address = c->host;
  ci.port = c->port;
  ci.path = c->path;
  ci.host = c->host;
  ci.origin = c->host;
  ci.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
  /* A WebSocket upgrade is an HTTP/1.1 request: never let TLS negotiate h2 for it. */
  ci.alpn = "http/1.1";
  ci.local_protocol_name = cq__ws_protocols[0].name;
  ci.userdata = k;
  ci.pwsi = &k->wsi;
  uint64_t id = k->id;
  /* without its vhost (no TLS context could be made) the dial fails like a refused connect */
  if (ci.vhost && lws_client_connect_via_info(&ci)) return;
  /* Failed at once: lws may already have reported and destroyed the connection. */
  for (ws_conn *x = c->conns; x; x = x->next) {
    if (x->id == id) {
      k->wsi = NULL;
      conn_ended(c, k, 1006, "connect failed");
      conn_unlink_free(c, k);
      break;
    }
  }
  maybe_finish_close(c);
}

/* Ends a connection at once with no close handshake (idle peer, client closing while
 * connecting): the socket is shut down under lws. */
static void conn_kill(ws_conn *k) {
  if (!k->wsi || k->killed) return;
  k->killed = true;
  int fd = (int)lws_get_socket_fd(k->wsi);
  if (fd >= 0) shutdown(fd, SHUT_RDWR);
  lws_set_timeout(k->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Ends a connection with a close frame. */
static void conn_close(ws_conn *k, int code) {
  if (!k->wsi || k->close_req || k->killed) return;
  if (!k->established) {
    conn_kill(k);
    return;
  }
  k->close_req = true;
  k->close_code = code;
  /* A peer that never answers the close is not waited for long. */
  lws_set_timeout(k->wsi, PENDING_TIMEOUT_USER_OK, 3);
  lws_callback_on_writable(k->wsi);
}

static void client_free(cq_ws_client *c);

static void maybe_finish_close(cq_ws_client *c) {
  if (!c->closing || c->conns || c->close_done) return;
  c->close_done = true;
  lws_sul_cancel(&c->tick);
  net_cmd *cmd = c->close_cmd;
  c->close_cmd = NULL;
  for (cq_ws_client **pp = &c->l->clients; *pp; pp = &(*pp)->next) {
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  }
  /* Once the command completes, its poster frees c: nothing of c is read after. */
  if (c->self_free)
    client_free(c);
  else if (cmd)
    cq__net_complete(c->l, cmd, 0);
}

/* ---- the timer --------------------------------------------------------------------- */

static void tick(lws_sorted_usec_list_t *sul) {
  cq_ws_client *c = lws_container_of(sul, cq_ws_client, tick);
  if (c->closing) {
    for (ws_conn *k = c->conns; k; k = k->next) conn_kill(k);
    return;
  }
  int64_t now = cq__net_now_ns(c->l);
  ws_conn *k = c->cur;
  if (!k && !c->dial && !c->given_up && now >= c->reconnect_at) conn_start(c, false);
  k = c->cur;
  if (k && !k->close_req && !k->killed) {
    int64_t idle = now - k->last_rx_ns;
    if (idle >= (int64_t)c->o.idle_timeout_ms * CQ_NS_PER_MS) {
      pthread_mutex_lock(&c->mu);
      c->st.connected = false;
      pthread_mutex_unlock(&c->mu);
      k->peer_code = 1006;
      k->why = "idle timeout";
      conn_kill(k);
    } else {
      int64_t ping = (int64_t)c->o.ping_interval_ms * CQ_NS_PER_MS;
      if (now - c->last_ping_ns >= ping) {
        c->last_ping_ns = now;
        k->ping_due = true;
        lws_callback_on_writable(k->wsi);
      }
      if (c->text_ping && idle >= ping && now - c->last_text_ping_ns >= ping) {
        c->last_text_ping_ns = now;
        k->text_ping_due = true;
        lws_callback_on_writable(k->wsi);
      }
      int64_t life = c->o.max_lifetime_ms * CQ_NS_PER_MS;
      int64_t margin = life / 10 < 60 * CQ_NS_PER_SEC ? life / 10 : 60 * CQ_NS_PER_SEC;
      if (life > 0 && !c->dial && !c->old && now >= c->reconnect_at &&
          now - k->opened_ns >= life - margin)
        conn_start(c, true);
    }
  }
  /* The old connection of a rotation goes once the new one delivers, or after a grace. */
  if (c->old && c->cur &&
      (c->cur->got_message || now - c->cur->opened_ns >= WS_RETIRE_GRACE_MS * CQ_NS_PER_MS))
    conn_close(c->old, LWS_CLOSE_STATUS_NORMAL);
  lws_sul_schedule(c->l->ctx, 0, &c->tick, tick, c->tick_us);
}

/* ---- the protocol ------------------------------------------------------------------ */

static void on_established(cq_ws_client *c, ws_conn *k) {
  int64_t now = cq__net_now_ns(c->l);
  k->established = true;
  k->opened_ns = k->last_rx_ns = now;
  if (k == c->dial) c->dial = NULL;
  bool reconnect;
  pthread_mutex_lock(&c->mu);
  c->st.connects++;
  if (k->rotation && c->cur) {
    c->st.rotations++;
    reconnect = true;
  } else {
    reconnect = c->st.connects > 1;
    if (reconnect) c->st.reconnects++;
  }
  c->st.connected = true;
  pthread_mutex_unlock(&c->mu);
  if (k->rotation && c->cur) {
    c->old = c->cur;
    c->old->retiring = true;
  }
  c->cur = k;
  c->fails = 0;
  c->last_ping_ns = c->last_text_ping_ns = now;
  if (!c->l->destroying && c->cb.on_open) c->cb.on_open(c->cb.ctx, c, reconnect);
  lws_callback_on_writable(k->wsi);
}

static int on_receive(struct lws *wsi, cq_ws_client *c, ws_conn *k, const char *in, size_t len) {
  k->last_rx_ns = cq__net_now_ns(c->l);
  /* A connection closing after a rotation still delivers what was in flight on it, so
     the switch leaves no gap. */
  if (k->rx_over) return -1;
  if (k->killed || k->ended) return 0;
  if (len > c->o.max_message - k->rx_len) {
    pthread_mutex_lock(&c->mu);
    c->st.oversize++;
    pthread_mutex_unlock(&c->mu);
    k->peer_code = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
    k->why = "message over the cap";
    k->rx_over = true;
    k->close_req = true;
    lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
    /* lws 4.1 may ignore the -1 while an extension drains a frame. */
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    return -1;
  }
  if (k->rx_len + len + 1 > k->rx_cap) {
    size_t nc = k->rx_cap ? k->rx_cap : 4096;
    while (nc < k->rx_len + len + 1) nc *= 2;
    char *b = realloc(k->rx, nc);
    if (!b) return -1;
    k->rx = b;
    k->rx_cap = nc;
  }
  if (len) memcpy(k->rx + k->rx_len, in, len);
  k->rx_len += len;
  k->rx[k->rx_len] = '\0';
  if (!lws_is_final_fragment(wsi)) return 0;
  size_t n = k->rx_len;
  k->rx_len = 0;
  if (c->o.fault) {
    cq_ws_fault f = {0};
    c->o.fault(c->o.fault_ctx, k->rx, n, &f);
    if (f.cut) { /* as the idle timeout does: no close frame */
      pthread_mutex_lock(&c->mu);
      c->st.connected = false;
      pthread_mutex_unlock(&c->mu);
      k->peer_code = 1006;
      k->why = "cut by a fault";
      conn_kill(k);
      return 0;
    }
    if (f.drop) return 0;
  }
  pthread_mutex_lock(&c->mu);
  c->st.messages++;
  c->st.bytes += n;
  pthread_mutex_unlock(&c->mu);
  if (k == c->cur && !k->got_message) {
    k->got_message = true;
    if (c->old) conn_close(c->old, LWS_CLOSE_STATUS_NORMAL);
  }
  if (!c->l->destroying && c->cb.on_message)
    c->cb.on_message(c->cb.ctx, c, k->rx, n, lws_frame_is_binary(wsi) != 0);
  return 0;
}

static int on_writeable(struct lws *wsi, cq_ws_client *c, ws_conn *k) {
  if (k->close_req && !k->killed) {
    lws_close_reason(wsi, (enum lws_close_status)k->close_code, NULL, 0);
    return -1;
  }
  if (k->killed || k->ended) return 0;
  if (k->ping_due) {
    unsigned char buf[LWS_PRE + 4];
    k->ping_due = false;
    if (lws_write(wsi, buf + LWS_PRE, 0, LWS_WRITE_PING) < 0) return -1;
    pthread_mutex_lock(&c->mu);
    c->st.pings_sent++;
    pthread_mutex_unlock(&c->mu);
    lws_callback_on_writable(wsi);
    return 0;
  }
  if (k->text_ping_due) {
    k->text_ping_due = false;
    net_msg *m = cq__net_msg_new(c->text_ping, strlen(c->text_ping));
    if (!m) return -1;
    int n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
    free(m);
    if (n < 0) return -1;
    lws_callback_on_writable(wsi);
    return 0;
  }
  if (k != c->cur) return 0;
  for (int i = 0; i < WS_WRITE_BURST; i++) {
    pthread_mutex_lock(&c->mu);
    net_msg *m = cq__net_msgq_pop(&c->q);
    pthread_mutex_unlock(&c->mu);
    if (!m) break;
    int n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
    free(m);
    if (n < 0) return -1;
    if (lws_partial_buffered(wsi) || lws_send_pipe_choked(wsi)) break;
  }
  pthread_mutex_lock(&c->mu);
  bool more = c->q.n > 0;
  pthread_mutex_unlock(&c->mu);
  if (more) lws_callback_on_writable(wsi);
  return 0;
}

static int ws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                 size_t len) {
  ws_conn *k = user;
  cq_ws_client *c = k ? k->c : NULL;
  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      cq__net_drain(lws_context_user(lws_get_context(wsi)));
      return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      if (!c) return -1;
      if (c->closing) {
        k->established = true;
        conn_close(k, LWS_CLOSE_STATUS_NORMAL);
        return 0;
      }
      on_established(c, k);
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
      return c ? on_receive(wsi, c, k, in, len) : 0;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
      if (k) k->last_rx_ns = cq__net_now_ns(c->l);
      return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      return c ? on_writeable(wsi, c, k) : 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (k && in && len >= 2) {
        const unsigned char *b = in;
        k->peer_code = (b[0] << 8) | b[1];
      }
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      if (c) {
        char why[160];
        snprintf(why, sizeof why, "connect failed: %s", in ? (const char *)in : "unknown");
        conn_ended(c, k, 1006, why);
      }
      return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
      if (c) {
        int code = k->peer_code ? k->peer_code : 1006;
        conn_ended(c, k, code, k->why ? k->why : k->peer_code ? "closed by the peer" : "dropped");
      }
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      if (c) {
        conn_ended(c, k, 1006, "gone");
        k->wsi = NULL;
        conn_unlink_free(c, k);
        maybe_finish_close(c);
      }
      return 0;
    default:
      return 0;
  }
}

const struct lws_protocols cq__ws_protocols[] = {
    {"cq-ws-client", ws_cb, 0, 16384, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- commands ---------------------------------------------------------------------- */

static void ws_service(cq_ws_client *c) {
  if (!c->cur || !c->cur->wsi || c->closing) return;
  pthread_mutex_lock(&c->mu);
  bool has = c->q.n > 0;
  pthread_mutex_unlock(&c->mu);
  if (has) lws_callback_on_writable(c->cur->wsi);
}

void cq__ws_service_all(cq_net_loop *l) {
  for (cq_ws_client *c = l->clients; c; c = c->next) ws_service(c);
}

static void begin_close(cq_net_loop *l, cq_ws_client *c, net_cmd *cmd);

void cq__ws_cmd(cq_net_loop *l, net_cmd *cmd) {
  cq_ws_client *c = cmd->obj;
  if (cmd->kind == NET_CMD_WS_OPEN) {
    c->next = l->clients;
    l->clients = c;
    conn_start(c, false);
    lws_sul_schedule(l->ctx, 0, &c->tick, tick, c->tick_us);
    cq__net_complete(l, cmd, 0);
    return;
  }
  begin_close(l, c, cmd);
}

static void begin_close(cq_net_loop *l, cq_ws_client *c, net_cmd *cmd) {
  c->closing = true;
  c->close_cmd = cmd;
  /* The timer now only cuts, after a second, connections whose peer does not answer the
     close. */
  lws_sul_schedule(l->ctx, 0, &c->tick, tick, WS_CLOSE_GRACE_MS * LWS_US_PER_MS);
  set_connected(c, false);
  for (ws_conn *k = c->conns; k; k = k->next) {
    if (!k->ended && k->established && c->cb.on_close && !l->destroying)
      c->cb.on_close(c->cb.ctx, c, 1000, "closed", false);
    k->ended = true;
    k->retiring = true;
    conn_close(k, LWS_CLOSE_STATUS_NORMAL);
  }
  c->cur = c->dial = c->old = NULL;
  maybe_finish_close(c);
}

static void client_free(cq_ws_client *c) {
  if (!c) return;
  while (c->conns) conn_unlink_free(c, c->conns);
  cq__net_msgq_clear(&c->q);
  pthread_mutex_destroy(&c->mu);
  free(c->url);
  free(c->host);
  free(c->path);
  free(c->text_ping);
  free(c);
}

void cq__ws_free_all(cq_net_loop *l) {
  while (l->clients) {
    cq_ws_client *c = l->clients;
    l->clients = c->next;
    client_free(c);
  }
}

int cq_ws_client_open(cq_net_loop *l, const cq_ws_options *o, const cq_ws_callbacks *cb,
                      cq_ws_client **out, cq_error *err) {
  *out = NULL;
  if (!l || !o || !o->url) return cq_error_set(err, CQ_EINVAL, "websocket: no loop or url");
  if (o->max_lifetime_ms < 0 || o->ping_interval_ms < 0 || o->idle_timeout_ms < 0 ||
      o->reconnect_min_ms < 0 || o->reconnect_max_ms < 0)
    return cq_error_set(err, CQ_EINVAL, "websocket %s: negative interval", o->url);
  cq_ws_client *c = calloc(1, sizeof *c);
  if (!c) return cq_error_set(err, CQ_ENOMEM, "websocket client");
  if (pthread_mutex_init(&c->mu, NULL) != 0) {
    free(c);
    return cq_error_set(err, CQ_EINTERNAL, "websocket client: mutex");
  }
  c->l = l;
  c->o = *o;
  if (cb) c->cb = *cb;
  if (!c->o.max_message) c->o.max_message = WS_DEFAULT_MAX_MESSAGE;
  if (!c->o.ping_interval_ms) c->o.ping_interval_ms = WS_DEFAULT_PING_MS;
  if (!c->o.idle_timeout_ms) c->o.idle_timeout_ms = WS_DEFAULT_IDLE_MS;
  if (!c->o.reconnect_min_ms) c->o.reconnect_min_ms = WS_DEFAULT_RECONNECT_MIN_MS;
  if (!c->o.reconnect_max_ms) c->o.reconnect_max_ms = WS_DEFAULT_RECONNECT_MAX_MS;
  if (c->o.reconnect_max_ms < c->o.reconnect_min_ms) c->o.reconnect_max_ms = c->o.reconnect_min_ms;
  if (!c->o.send_queue_max) c->o.send_queue_max = WS_DEFAULT_QUEUE;
  c->url = strdup(o->url);
  if (o->text_ping) c->text_ping = strdup(o->text_ping);
  if (!c->url || (o->text_ping && !c->text_ping)) {
    client_free(c);
    return cq_error_set(err, CQ_ENOMEM, "websocket client");
  }
  c->o.url = c->url;
  c->o.text_ping = c->text_ping;
  int rc = parse_url(c, c->url, err);
  if (rc < 0) {
    client_free(c);
    return rc;
  }
  /* One timer per client checks pings, idleness, reconnects and rotation, often enough
   * for the shortest of them. */
  int64_t m = c->o.ping_interval_ms;
  if (c->o.idle_timeout_ms < m) m = c->o.idle_timeout_ms;
  if (c->o.reconnect_min_ms < m) m = c->o.reconnect_min_ms;
  if (c->o.max_lifetime_ms > 0 && c->o.max_lifetime_ms / 10 < m) m = c->o.max_lifetime_ms / 10;
  m /= 4;
  if (m < 5) m = 5;
  if (m > 500) m = 500;
  c->tick_us = m * 1000;
  cq_rng_seed(&c->rng, cq_rng_derive((uint64_t)(uintptr_t)c, (uint64_t)cq__net_now_ns(l)));
  net_cmd cmd = {.kind = NET_CMD_WS_OPEN, .obj = c, .err = err};
  rc = cq__net_exec(l, &cmd);
  if (rc < 0) {
    client_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

int cq_ws_send(cq_ws_client *ws, const char *data, size_t len, cq_error *err) {
  if (!ws || (!data && len)) return cq_error_set(err, CQ_EINVAL, "websocket send: no client");
  net_msg *m = cq__net_msg_new(data, len);
  if (!m) return cq_error_set(err, CQ_ENOMEM, "websocket send: %zu bytes", len);
  int rc = 0;
  pthread_mutex_lock(&ws->mu);
  if (!ws->st.connected)
    rc = CQ_ESTATE;
  else if (ws->q.n >= ws->o.send_queue_max)
    rc = CQ_ELIMIT;
  else {
    cq__net_msgq_push(&ws->q, m);
    m = NULL;
  }
  pthread_mutex_unlock(&ws->mu);
  free(m);
  if (rc == CQ_ESTATE) return cq_error_set(err, rc, "websocket %s: not connected", ws->url);
  if (rc == CQ_ELIMIT)
    return cq_error_set(err, rc, "websocket %s: send queue full (%zu)", ws->url,
                        ws->o.send_queue_max);
  cq__net_wake(ws->l);
  return 0;
}

void cq_ws_client_close(cq_ws_client *ws) {
  if (!ws) return;
  if (cq__net_on_thread(ws->l)) {
    /* From a callback: nothing can be waited for here, so the client frees itself once
       its connections are gone; no callback of it runs after this returns. */
    ws->self_free = true;
    ws->cb.on_open = NULL;
    ws->cb.on_message = NULL;
    ws->cb.on_close = NULL;
    if (!ws->closing) begin_close(ws->l, ws, NULL);
    return;
  }
  net_cmd cmd = {.kind = NET_CMD_WS_CLOSE, .obj = ws};
  /* On a loop whose thread failed, ws stays listed and goes with cq_net_loop_free. */
  if (cq__net_exec(ws->l, &cmd) == 0) client_free(ws);
}

void cq_ws_client_stats(const cq_ws_client *ws, cq_ws_stats *out) {
  memset(out, 0, sizeof *out);
  if (!ws) return;
  cq_ws_client *c = (cq_ws_client *)ws;
  pthread_mutex_lock(&c->mu);
  *out = c->st;
  pthread_mutex_unlock(&c->mu);
}
