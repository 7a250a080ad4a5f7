/* HTTP + WebSocket servers on the loop: one lws vhost per server. Requests and WebSocket
 * messages reach the user on the network thread; WebSocket output is queued from any
 * thread into a bounded queue per connection and written from WRITEABLE callbacks. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_internal.h"

enum {
  SRV_DEFAULT_MAX_BODY = 1024 * 1024,
  SRV_DEFAULT_MAX_MESSAGE = 64 * 1024,
  SRV_DEFAULT_QUEUE = 65536,
  SRV_WRITE_BURST = 64, /* messages per WRITEABLE callback, so one connection cannot starve
                           the others */
  SRV_HEAD_ROOM = 1024, /* status line and common headers */
  SRV_QUERY_MAX = 8192,
};

typedef struct srv_conn {
  uint64_t id;
  struct lws *wsi;
  struct srv_conn *next;
  /* Under the server's mutex. */
  net_msgq q;
  bool end_req, overflow;
  cq_ws_end end_how;
  int end_code;
  /* Network thread only. */
  bool stalled, dropped, closing;
  char *rx;
  size_t rx_len, rx_cap;
} srv_conn;

struct cq_server {
  cq_net_loop *l;
  cq_server_options o;
  char *host;
  cq_srv_callbacks cb;
  struct lws_vhost *vh;
  lws_retry_bo_t retry;
  int port;
  char name[32];
  pthread_mutex_t mu; /* the connection list's membership and every connection's queue */
  srv_conn *conns;
  /* Network thread only. */
  cq_server *next;
  srv_conn *pending; /* accepted by on_ws_open, not yet established */
  net_cmd *stop_cmd;
  bool stopping, stop_done;
  bool self_free; /* stopped from the network thread: frees itself once stopped */
  int listen_fd;
  struct lws *listen_wsi;
  struct lws **wsis; /* every accepted connection still alive */
  size_t nwsi, cap_wsi;
  uint64_t next_id;
};

/* Per-connection state; lws allocates and zeroes it and keeps it across the keep-alive
 * requests of one connection. */
typedef struct srv_pss {
  cq_server *s;
  struct lws *wsi;
  srv_conn *conn; /* WebSocket */
  /* The HTTP request being read. */
  char method[8];
  char *path, *query, *body;
  size_t body_len, body_cap, body_seen;
  bool body_over, in_request;
  /* The response waiting to be written. */
  unsigned char *out;
  size_t out_len;
  bool out_ready;
  lws_sorted_usec_list_t sul;
} srv_pss;

static int listen_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len);
static void wsi_gone(cq_server *s, struct lws *wsi);
static void maybe_finish_stop(cq_server *s);

static void pss_reset(srv_pss *p) {
  free(p->path);
  free(p->query);
  free(p->body);
  free(p->out);
  p->path = p->query = p->body = NULL;
  p->out = NULL;
  p->body_len = p->body_cap = p->body_seen = p->out_len = 0;
  p->body_over = p->in_request = p->out_ready = false;
  p->method[0] = '\0';
}

static cq_server *srv_of(struct lws *wsi) {
  struct lws_vhost *vh = lws_get_vhost(wsi);
  return vh ? lws_get_vhost_user(vh) : NULL;
}

/* ---- request headers --------------------------------------------------------------- */

static const char *copy_token(struct lws *wsi, int tok, char *buf, size_t n) {
  int len = lws_hdr_total_length(wsi, (enum lws_token_indexes)tok);
  if (len <= 0) return NULL;
  char *tmp = malloc((size_t)len + 1);
  if (!tmp) return NULL;
  int got = lws_hdr_copy(wsi, tmp, len + 1, (enum lws_token_indexes)tok);
  const char *r = NULL;
  if (got >= 0) {
    size_t g = (size_t)got < n - 1 ? (size_t)got : n - 1;
    memcpy(buf, tmp, g);
    buf[g] = '\0';
    r = buf;
  }
  free(tmp);
  return r;
}

static const char *copy_custom(struct lws *wsi, const char *key, char *buf, size_t n) {
  int kl = (int)strlen(key);
  int len = lws_hdr_custom_length(wsi, key, kl);
  if (len < 0) return NULL;
  char *tmp = malloc((size_t)len + 1);
  if (!tmp) return NULL;
  int got = lws_hdr_custom_copy(wsi, tmp, len + 1, key, kl);
  const char *r = NULL;
  if (got >= 0) {
    size_t g = (size_t)got < n - 1 ? (size_t)got : n - 1;
    memcpy(buf, tmp, g);
    buf[g] = '\0';
    r = buf;
  }
  free(tmp);
  return r;
}

const char *cq_srv_header(const cq_srv_request *r, const char *name, char *buf, size_t n) {
  if (!r || !r->impl || !name || !buf || n == 0) return NULL;
  struct lws *wsi = r->impl;
  size_t nl = strlen(name);
  if (nl == 0 || nl > 120) return NULL;
  /* Headers lws knows are parsed into its token table ("host:", "content-type:"...). */
  for (int t = 0; t < WSI_TOKEN_COUNT; t++) {
    const unsigned char *ts = lws_token_to_string((enum lws_token_indexes)t);
    if (!ts) continue;
    size_t tl = strlen((const char *)ts);
    if (tl == nl + 1 && ts[nl] == ':' && strncasecmp((const char *)ts, name, nl) == 0)
      return copy_token(wsi, t, buf, n);
  }
  /* Any other header is kept by name as it arrived; lws lower-cases header names while
   * parsing, but try the name as given too. */
  char key[128];
  for (size_t i = 0; i < nl; i++) key[i] = (char)tolower((unsigned char)name[i]);
  key[nl] = ':';
  key[nl + 1] = '\0';
  const char *v = copy_custom(wsi, key, buf, n);
  if (v) return v;
  memcpy(key, name, nl);
  return copy_custom(wsi, key, buf, n);
}

/* Appends s percent-encoded (cq_url_encode) to q at *o; false when it does not fit. */
static bool append_enc(char *q, size_t *o, const char *s) {
  int n = cq_url_encode(s, q + *o, SRV_QUERY_MAX - *o);
  if (n < 0) return false;
  *o += (size_t)n;
  return true;
}

/* The query. lws hands it over split at '&' and already percent-decoded ('+' read as a
 * space), so the original bytes are gone; each key and value is encoded again with
 * cq_url_encode. A client that encodes with cq_url_encode (as ours do, for signatures
 * over the query) gets back exactly what it sent. Past SRV_QUERY_MAX, the rest is cut. */
static char *read_query(struct lws *wsi) {
  char *q = calloc(1, SRV_QUERY_MAX);
  char *frag = malloc(SRV_QUERY_MAX);
  if (!q || !frag) {
    free(q);
    free(frag);
    return NULL;
  }
  size_t o = 0;
  for (int i = 0;; i++) {
    int n = lws_hdr_copy_fragment(wsi, frag, SRV_QUERY_MAX, WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n < 0) break;
    size_t mark = o;
    if (o && o + 1 < SRV_QUERY_MAX) q[o++] = '&';
    char *eq = strchr(frag, '=');
    if (eq) *eq = '\0';
    bool ok = append_enc(q, &o, frag);
    if (ok && eq) {
      ok = o + 1 < SRV_QUERY_MAX;
      if (ok) q[o++] = '=';
      ok = ok && append_enc(q, &o, eq + 1);
    }
    if (!ok) {
      o = mark;
      break;
    }
  }
  q[o] = '\0';
  free(frag);
  return q;
}

static const struct {
  int tok;
  const char *name;
} methods[] = {
    {WSI_TOKEN_GET_URI, "GET"},     {WSI_TOKEN_POST_URI, "POST"},
    {WSI_TOKEN_PUT_URI, "PUT"},     {WSI_TOKEN_DELETE_URI, "DELETE"},
    {WSI_TOKEN_PATCH_URI, "PATCH"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
    {WSI_TOKEN_HEAD_URI, "HEAD"},
};

/* ---- HTTP responses ---------------------------------------------------------------- */

/* Builds status line, headers and body into one buffer (LWS_PRE first). */
static int build_response(struct lws *wsi, srv_pss *p, cq_srv_response *r) {
  size_t hl = r->headers ? strlen(r->headers) : 0;
  size_t cap = LWS_PRE + SRV_HEAD_ROOM + 2 * hl + r->body_len;
  unsigned char *out = malloc(cap);
  if (!out) return -1;
  unsigned char *start = out + LWS_PRE, *q = start, *end = out + cap;
  int status = r->status ? r->status : 200;
  if (lws_add_http_common_headers(wsi, (unsigned int)status,
                                  r->content_type ? r->content_type : "application/json",
                                  (lws_filepos_t)r->body_len, &q, end))
    goto fail;
  for (const char *h = r->headers; h && *h;) {
    const char *eol = strchr(h, '\n');
    const char *le = eol ? eol : h + strlen(h);
    const char *colon = memchr(h, ':', (size_t)(le - h));
    if (colon && colon > h && (size_t)(colon - h) < 120) {
      char name[128];
      size_t nl = (size_t)(colon - h);
      memcpy(name, h, nl);
      name[nl] = ':';
      name[nl + 1] = '\0';
      const char *v = colon + 1;
      while (v < le && (*v == ' ' || *v == '\t')) v++;
      const char *ve = le;
      while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ')) ve--;
      if (lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)v,
                                      (int)(ve - v), &q, end))
        goto fail;
    }
    if (!eol) break;
    h = eol + 1;
  }
  if (lws_finalize_http_header(wsi, &q, end)) goto fail;
  if ((size_t)(end - q) < r->body_len) goto fail;
  if (r->body_len) memcpy(q, r->body, r->body_len);
  q += r->body_len;
  free(p->out);
  p->out = out;
  p->out_len = (size_t)(q - start);
  return 0;
fail:
  free(out);
  return -1;
}

static void delayed_write(lws_sorted_usec_list_t *sul) {
  srv_pss *p = lws_container_of(sul, srv_pss, sul);
  p->out_ready = true;
  lws_callback_on_writable(p->wsi);
}

static int respond(struct lws *wsi, srv_pss *p, cq_srv_response *r) {
  int rc = build_response(wsi, p, r);
  int delay = r->delay_ms;
  free(r->headers);
  free(r->body);
  if (rc) return -1;
  p->in_request = false;
  if (delay > 0) {
    lws_sul_schedule(lws_get_context(wsi), 0, &p->sul, delayed_write,
                     (lws_usec_t)delay * LWS_US_PER_MS);
    return 0;
  }
  p->out_ready = true;
  lws_callback_on_writable(wsi);
  return 0;
}

static int respond_simple(struct lws *wsi, srv_pss *p, int status, const char *msg) {
  cq_srv_response r = {.status = status};
  char body[160];
  int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}", msg);
  r.body = malloc((size_t)n + 1);
  if (!r.body) return -1;
  memcpy(r.body, body, (size_t)n + 1);
  r.body_len = (size_t)n;
  return respond(wsi, p, &r);
}

static int dispatch(struct lws *wsi, srv_pss *p) {
  cq_server *s = p->s;
  if (p->body_over) {
    char msg[96];
    snprintf(msg, sizeof msg, "request body over %zu bytes", s->o.max_body);
    return respond_simple(wsi, p, 413, msg);
  }
  if (!s->cb.on_http) return respond_simple(wsi, p, 404, "not found");
  char remote[64] = "";
  lws_get_peer_simple(wsi, remote, sizeof remote);
  cq_srv_request req = {
      .method = p->method,
      .path = p->path ? p->path : "/",
      .query = p->query ? p->query : "",
      .body = p->body ? p->body : "",
      .body_len = p->body_len,
      .remote = remote,
      .impl = wsi,
  };
  cq_srv_response r = {0};
  if (!s->l->destroying) s->cb.on_http(s->cb.ctx, &req, &r);
  if (r.drop) {
    free(r.headers);
    free(r.body);
    return -1;
  }
  return respond(wsi, p, &r);
}

static int on_http(struct lws *wsi, srv_pss *p, const char *uri, size_t len) {
  pss_reset(p);
  p->in_request = true;
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
    if (lws_hdr_total_length(wsi, (enum lws_token_indexes)methods[i].tok) > 0) {
      snprintf(p->method, sizeof p->method, "%s", methods[i].name);
      break;
    }
  }
  if (!p->method[0]) return respond_simple(wsi, p, 405, "method not allowed");
  p->path = malloc(len + 1);
  p->query = read_query(wsi);
  if (!p->path || !p->query) return -1;
  memcpy(p->path, uri, len);
  p->path[len] = '\0';
  char cl[32];
  bool chunked = false;
  char te[32];
  if (copy_token(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING, te, sizeof te))
    chunked = strstr(te, "chunked") != NULL;
  const char *c = copy_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof cl);
  if ((c && strtoull(c, NULL, 10) > 0) || chunked) return 0; /* the body follows */
  return dispatch(wsi, p);
}

static int on_body(srv_pss *p, const char *in, size_t len) {
  cq_server *s = p->s;
  p->body_seen += len;
  /* Past the cap the rest is read and thrown away so the 413 reaches the client on an
     orderly connection; far past it the connection is cut. */
  if (p->body_seen > 8 * s->o.max_body + 65536) return -1;
  if (p->body_over) return 0;
  if (len > s->o.max_body - p->body_len) {
    p->body_over = true;
    free(p->body);
    p->body = NULL;
    p->body_len = p->body_cap = 0;
    return 0;
  }
  if (p->body_len + len + 1 > p->body_cap) {
    size_t nc = p->body_cap ? p->body_cap : 1024;
    while (nc < p->body_len + len + 1) nc *= 2;
    char *b = realloc(p->body, nc);
    if (!b) return -1;
    p->body = b;
    p->body_cap = nc;
  }
  memcpy(p->body + p->body_len, in, len);
  p->body_len += len;
  p->body[p->body_len] = '\0';
  return 0;
}

static int http_writeable(struct lws *wsi, srv_pss *p) {
  if (!p->out_ready || !p->out) return 0;
  int n = lws_write(wsi, p->out + LWS_PRE, p->out_len, LWS_WRITE_HTTP_HEADERS);
  free(p->out);
  p->out = NULL;
  p->out_ready = false;
  if (n < 0) return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- WebSocket --------------------------------------------------------------------- */

static srv_conn *find_conn(cq_server *s, uint64_t id) {
  for (srv_conn *c = s->conns; c; c = c->next)
    if (c->id == id) return c;
  return NULL;
}

static void conn_free(srv_conn *c) {
  if (!c) return;
  cq__net_msgq_clear(&c->q);
  free(c->rx);
  free(c);
}

/* Unlinks c, tells the user, frees it (network thread). */
static void conn_remove(cq_server *s, srv_conn *c) {
  pthread_mutex_lock(&s->mu);
  for (srv_conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  }
  pthread_mutex_unlock(&s->mu);
  if (s->pending == c) s->pending = NULL;
  if (!s->l->destroying && s->cb.on_ws_close) s->cb.on_ws_close(s->cb.ctx, c->id);
  conn_free(c);
}

/* The upgrade request: the connection is registered before on_ws_open runs, so that
 * messages can be queued to it from there on; they go out once it is established. */
static int ws_filter(struct lws *wsi, cq_server *s, srv_pss *p) {
  if (s->stopping) return 1;
  if (s->pending && !s->pending->wsi) conn_remove(s, s->pending); /* an upgrade that failed */
  char path[1024] = "/";
  copy_token(wsi, WSI_TOKEN_GET_URI, path, sizeof path);
  char *query = read_query(wsi);
  srv_conn *c = calloc(1, sizeof *c);
  if (!query || !c) {
    free(query);
    free(c);
    return 1;
  }
  c->id = ++s->next_id;
  pthread_mutex_lock(&s->mu);
  c->next = s->conns;
  s->conns = c;
  pthread_mutex_unlock(&s->mu);
  int refuse = s->cb.on_ws_open ? s->cb.on_ws_open(s->cb.ctx, c->id, path, query) : 404;
  free(query);
  if (refuse) {
    pthread_mutex_lock(&s->mu);
    for (srv_conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
      if (*pp == c) {
        *pp = c->next;
        break;
      }
    }
    pthread_mutex_unlock(&s->mu);
    conn_free(c);
    lws_return_http_status(wsi, (unsigned int)refuse, NULL);
    return 1;
  }
  s->pending = c;
  if (p) p->conn = c;
  return 0;
}

static void ws_established(struct lws *wsi, cq_server *s, srv_pss *p) {
  srv_conn *c = p->conn ? p->conn : s->pending;
  s->pending = NULL;
  if (!c) {
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    return;
  }
  c->wsi = wsi;
  p->conn = c;
  lws_callback_on_writable(wsi);
}

static void ws_closed(cq_server *s, srv_pss *p) {
  srv_conn *c = p->conn;
  if (!c) return;
  p->conn = NULL;
  conn_remove(s, c);
}

static int ws_receive(struct lws *wsi, cq_server *s, srv_conn *c, const char *in, size_t len) {
  if (!c || c->closing || c->stalled) return 0;
  if (len > s->o.max_message - c->rx_len) {
    /* lws 4.1 may ignore a -1 while an extension drains a frame: schedule the close too. */
    c->closing = true;
    lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    return -1;
  }
  if (c->rx_len + len + 1 > c->rx_cap) {
    size_t nc = c->rx_cap ? c->rx_cap : 4096;
    while (nc < c->rx_len + len + 1) nc *= 2;
    char *b = realloc(c->rx, nc);
    if (!b) return -1;
    c->rx = b;
    c->rx_cap = nc;
  }
  if (len) memcpy(c->rx + c->rx_len, in, len);
  c->rx_len += len;
  c->rx[c->rx_len] = '\0';
  if (!lws_is_final_fragment(wsi)) return 0;
  size_t n = c->rx_len;
  c->rx_len = 0;
  if (!s->l->destroying && s->cb.on_ws_message) s->cb.on_ws_message(s->cb.ctx, c->id, c->rx, n);
  return 0;
}

/* The socket is shut down under lws so no close frame can go out: the peer sees the
 * connection end abnormally. */
static void hard_drop(struct lws *wsi) {
  int fd = (int)lws_get_socket_fd(wsi);
  if (fd >= 0) shutdown(fd, SHUT_RDWR);
  lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static int ws_writeable(struct lws *wsi, cq_server *s, srv_conn *c) {
  if (!c || c->stalled || c->dropped) return 0;
  for (int i = 0; i < SRV_WRITE_BURST; i++) {
    pthread_mutex_lock(&s->mu);
    net_msg *m = cq__net_msgq_pop(&c->q);
    pthread_mutex_unlock(&s->mu);
    if (!m) break;
    int n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
    free(m);
    if (n < 0) return -1;
    if (lws_partial_buffered(wsi) || lws_send_pipe_choked(wsi)) break;
  }
  pthread_mutex_lock(&s->mu);
  bool more = c->q.n > 0;
  bool close_now = !more && c->end_req && c->end_how == CQ_WS_END_CLOSE;
  int code = c->end_code;
  pthread_mutex_unlock(&s->mu);
  if (close_now) {
    c->closing = true;
    lws_close_reason(wsi, (enum lws_close_status)(code ? code : LWS_CLOSE_STATUS_NORMAL), NULL, 0);
    return -1;
  }
  if (more) lws_callback_on_writable(wsi);
  return 0;
}

static void srv_service(cq_server *s) {
  for (srv_conn *c = s->conns; c; c = c->next) {
    if (!c->wsi || c->dropped || c->closing) continue;
    pthread_mutex_lock(&s->mu);
    bool has = c->q.n > 0;
    bool end = c->end_req, over = c->overflow;
    cq_ws_end how = c->end_how;
    if (over || (end && how != CQ_WS_END_CLOSE)) cq__net_msgq_clear(&c->q);
    pthread_mutex_unlock(&s->mu);
    if (over || (end && how == CQ_WS_END_DROP)) {
      c->dropped = true;
      hard_drop(c->wsi);
    } else if (end && how == CQ_WS_END_STALL) {
      if (!c->stalled) {
        /* Reading nothing more also means answering no ping. */
        c->stalled = true;
        lws_rx_flow_control(c->wsi, 0);
      }
    } else if (has || end) {
      lws_callback_on_writable(c->wsi);
    }
  }
}

void cq__srv_service_all(cq_net_loop *l) {
  for (cq_server *s = l->servers; s; s = s->next) srv_service(s);
}

/* ---- the protocol ------------------------------------------------------------------ */

static int srv_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len) {
  srv_pss *p = user;
  cq_server *s;
  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      cq__net_drain(lws_context_user(lws_get_context(wsi)));
      return 0;
    case LWS_CALLBACK_HTTP_BIND_PROTOCOL:
      if (p) {
        p->s = srv_of(wsi);
        p->wsi = wsi;
      }
      return 0;
    case LWS_CALLBACK_HTTP:
      if (!p || !p->s) return -1;
      return on_http(wsi, p, in ? (const char *)in : "/", in ? len : 1);
    case LWS_CALLBACK_HTTP_BODY:
      if (!p || !p->in_request) return 0;
      return on_body(p, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (!p || !p->in_request) return 0;
      return dispatch(wsi, p);
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return p ? http_writeable(wsi, p) : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      if (p) {
        lws_sul_cancel(&p->sul);
        pss_reset(p);
      }
      break;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      s = srv_of(wsi);
      return s ? ws_filter(wsi, s, p) : 1;
    case LWS_CALLBACK_ESTABLISHED:
      s = srv_of(wsi);
      if (!s || !p) return -1;
      p->s = s;
      p->wsi = wsi;
      ws_established(wsi, s, p);
      return 0;
    case LWS_CALLBACK_RECEIVE:
      return p && p->s ? ws_receive(wsi, p->s, p->conn, in, len) : 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return p && p->s ? ws_writeable(wsi, p->s, p->conn) : 0;
    case LWS_CALLBACK_CLOSED:
      if (p && p->s) ws_closed(p->s, p);
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      s = srv_of(wsi);
      if (p) {
        lws_sul_cancel(&p->sul);
        pss_reset(p);
        if (s && p->conn) ws_closed(s, p);
      }
      if (s) wsi_gone(s, wsi);
      return 0;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const struct lws_protocols cq__srv_protocols[] = {
    {"cq-server", srv_cb, sizeof(srv_pss), 16384, 0, NULL, 0},
    {"cq-listen", listen_cb, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- start and stop ---------------------------------------------------------------- */

/* The listening socket is ours, not lws's: lws 4.1 finishes destroying a vhost that owns a
 * listener only from checks it no longer runs, so a server could never be stopped cleanly.
 * lws watches our listener as a plain file descriptor and is handed each accepted
 * connection; the server keeps the list of those, closes them all on stop, and destroys
 * its vhost once none is left (which lws then does at once). */

static void srv_free(cq_server *s);

static void maybe_finish_stop(cq_server *s) {
  if (!s->stopping || s->nwsi || s->listen_wsi || s->stop_done) return;
  s->stop_done = true;
  if (s->vh) {
    struct lws_vhost *vh = s->vh;
    s->vh = NULL;
    lws_vhost_destroy(vh);
  }
  cq_net_loop *l = s->l;
  for (cq_server **pp = &l->servers; *pp; pp = &(*pp)->next) {
    if (*pp == s) {
      *pp = s->next;
      break;
    }
  }
  net_cmd *cmd = s->stop_cmd;
  s->stop_cmd = NULL;
  /* Once the command completes, its poster frees s: nothing of s is read after. */
  if (s->self_free)
    srv_free(s);
  else if (cmd)
    cq__net_complete(l, cmd, 0);
}

static int track(cq_server *s, struct lws *wsi) {
  if (s->nwsi == s->cap_wsi) {
    size_t nc = s->cap_wsi ? 2 * s->cap_wsi : 16;
    struct lws **w = realloc(s->wsis, nc * sizeof(struct lws *));
    if (!w) return -1;
    s->wsis = w;
    s->cap_wsi = nc;
  }
  s->wsis[s->nwsi++] = wsi;
  return 0;
}

/* lws is done with wsi (its last callback): the listener or a connection. lws may hand
 * the listener's last callback to either protocol, so both come here. */
static void wsi_gone(cq_server *s, struct lws *wsi) {
  if (wsi == s->listen_wsi) {
    s->listen_wsi = NULL;
  } else {
    for (size_t i = 0; i < s->nwsi; i++) {
      if (s->wsis[i] == wsi) {
        s->wsis[i] = s->wsis[--s->nwsi];
        break;
      }
    }
  }
  maybe_finish_stop(s);
}

static void accept_all(cq_server *s) {
  for (;;) {
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0) return; /* EAGAIN, or an error the next readiness will show again */
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (s->stopping || !s->vh) {
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* lws closes fd itself when adoption fails. */
    struct lws *wsi = lws_adopt_socket_vhost(s->vh, fd);
    if (wsi && track(s, wsi) < 0) hard_drop(wsi);
  }
}

static int listen_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len) {
  (void)user;
  (void)in;
  (void)len;
  cq_server *s;
  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      cq__net_drain(lws_context_user(lws_get_context(wsi)));
      return 0;
    case LWS_CALLBACK_RAW_RX_FILE:
      s = srv_of(wsi);
      if (s) accept_all(s);
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      s = srv_of(wsi);
      if (s) wsi_gone(s, wsi);
      return 0;
    default:
      return 0;
  }
}

static int make_listener(cq_server *s, cq_error *err) {
  char port[16];
  snprintf(port, sizeof port, "%d", s->o.port);
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  int g = getaddrinfo(s->host, port, &hints, &res);
  if (g != 0) return cq_error_set(err, CQ_ENET, "server: address %s: %s", s->host, gai_strerror(g));
  int fd = -1, e = 0;
  for (struct addrinfo *a = res; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) {
      e = errno;
      continue;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 256) == 0) break;
    e = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0)
    return cq_error_set(err, CQ_ENET, "server: cannot listen on %s:%d: %s", s->host, s->o.port,
                        strerror(e));
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
    close(fd);
    return cq_error_set(err, CQ_ENET, "server: getsockname: %s", strerror(errno));
  }
  s->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                     : ntohs(((struct sockaddr_in *)&ss)->sin_port);
  s->listen_fd = fd;
  return 0;
}

static int srv_start(cq_net_loop *l, cq_server *s, cq_error *err) {
  int rc = make_listener(s, err);
  if (rc < 0) return rc;
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  snprintf(s->name, sizeof s->name, "cq-srv-%llu", (unsigned long long)++l->seq);
  info.vhost_name = s->name;
  info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
  info.protocols = cq__srv_protocols;
  info.user = s;
  info.keepalive_timeout = 30;
  info.timeout_secs = 30;
  if (s->o.ping_interval_ms > 0) {
    int secs = (s->o.ping_interval_ms + 999) / 1000;
    s->retry.secs_since_valid_ping = (uint16_t)(secs > 0xfff ? 0xfff : secs);
    s->retry.secs_since_valid_hangup = (uint16_t)(3 * s->retry.secs_since_valid_ping);
  } else {
    s->retry.secs_since_valid_ping = 0xffff;
    s->retry.secs_since_valid_hangup = 0xffff;
  }
  info.retry_and_idle_policy = &s->retry;
  s->vh = lws_create_vhost(l->ctx, &info);
  if (!s->vh) {
    close(s->listen_fd);
    s->listen_fd = -1;
    return cq_error_set(err, CQ_ENET, "server: lws_create_vhost failed for %s:%d", s->host,
                        s->port);
  }
  lws_sock_file_fd_type fd = {.filefd = s->listen_fd};
  s->listen_wsi = lws_adopt_descriptor_vhost(s->vh, LWS_ADOPT_RAW_FILE_DESC, fd, "cq-listen", NULL);
  if (!s->listen_wsi) {
    /* lws closed the descriptor when it refused it. */
    s->listen_fd = -1;
    lws_vhost_destroy(s->vh);
    s->vh = NULL;
    return cq_error_set(err, CQ_ENET, "server: cannot watch the listener on port %d", s->port);
  }
  s->next = l->servers;
  l->servers = s;
  return 0;
}

static void begin_stop(cq_server *s, net_cmd *cmd);

void cq__srv_cmd(cq_net_loop *l, net_cmd *cmd) {
  cq_server *s = cmd->obj;
  if (cmd->kind == NET_CMD_SERVER_START) {
    cq__net_complete(l, cmd, srv_start(l, s, cmd->err));
    return;
  }
  if (!s->vh) {
    cq__net_complete(l, cmd, 0);
    return;
  }
  begin_stop(s, cmd);
}

static void begin_stop(cq_server *s, net_cmd *cmd) {
  s->stopping = true;
  s->stop_cmd = cmd;
  if (s->listen_wsi) lws_set_timeout(s->listen_wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  for (size_t i = 0; i < s->nwsi; i++) hard_drop(s->wsis[i]);
  maybe_finish_stop(s);
}

static void srv_free(cq_server *s) {
  if (!s) return;
  while (s->conns) {
    srv_conn *c = s->conns;
    s->conns = c->next;
    conn_free(c);
  }
  conn_free(s->pending);
  free(s->wsis);
  pthread_mutex_destroy(&s->mu);
  free(s->host);
  free(s);
}

void cq__srv_free_all(cq_net_loop *l) {
  while (l->servers) {
    cq_server *s = l->servers;
    l->servers = s->next;
    srv_free(s);
  }
}

int cq_server_start(cq_net_loop *l, const cq_server_options *o, const cq_srv_callbacks *cb,
                    cq_server **out, cq_error *err) {
  *out = NULL;
  if (!l || !o || !cb) return cq_error_set(err, CQ_EINVAL, "server: no loop, options or callbacks");
  if (o->port < 0 || o->port > 65535)
    return cq_error_set(err, CQ_EINVAL, "server: port %d out of range", o->port);
  cq_server *s = calloc(1, sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "server");
  s->l = l;
  s->listen_fd = -1;
  s->o = *o;
  s->cb = *cb;
  if (!s->o.max_body) s->o.max_body = SRV_DEFAULT_MAX_BODY;
  if (!s->o.max_message) s->o.max_message = SRV_DEFAULT_MAX_MESSAGE;
  if (!s->o.conn_queue_max) s->o.conn_queue_max = SRV_DEFAULT_QUEUE;
  s->host = strdup(o->host ? o->host : "127.0.0.1");
  if (!s->host || pthread_mutex_init(&s->mu, NULL) != 0) {
    free(s->host);
    free(s);
    return cq_error_set(err, CQ_ENOMEM, "server");
  }
  s->o.host = s->host;
  net_cmd cmd = {.kind = NET_CMD_SERVER_START, .obj = s, .err = err};
  int rc = cq__net_exec(l, &cmd);
  if (rc < 0) {
    srv_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

int cq_server_port(const cq_server *s) {
  return s ? s->port : 0;
}

void cq_server_stop(cq_server *s) {
  if (!s) return;
  if (cq__net_on_thread(s->l)) {
    /* From a callback: the server frees itself once its connections are gone; no
       callback of it runs after this returns. */
    s->self_free = true;
    memset(&s->cb, 0, sizeof s->cb);
    if (!s->vh)
      srv_free(s);
    else if (!s->stopping)
      begin_stop(s, NULL);
    return;
  }
  net_cmd cmd = {.kind = NET_CMD_SERVER_STOP, .obj = s};
  /* On a loop whose thread failed, s stays listed and goes with cq_net_loop_free. */
  if (cq__net_exec(s->l, &cmd) == 0) srv_free(s);
}

int cq_server_ws_send(cq_server *s, uint64_t conn, const char *data, size_t len, cq_error *err) {
  if (!s || (!data && len)) return cq_error_set(err, CQ_EINVAL, "server send: no server or data");
  net_msg *m = cq__net_msg_new(data, len);
  if (!m) return cq_error_set(err, CQ_ENOMEM, "server send: %zu bytes", len);
  int rc = 0;
  pthread_mutex_lock(&s->mu);
  srv_conn *c = find_conn(s, conn);
  if (!c || c->overflow || (c->end_req && c->end_how == CQ_WS_END_DROP)) {
    rc = CQ_ENOTFOUND;
  } else if (c->end_req && c->end_how == CQ_WS_END_STALL) {
    rc = 0; /* a stalled connection swallows what it is given */
  } else if (c->end_req) {
    rc = CQ_ESTATE;
  } else if (c->q.n >= s->o.conn_queue_max) {
    /* A reader this slow is dropped: its queue never grows past the cap. */
    c->overflow = true;
    rc = CQ_ELIMIT;
  } else {
    cq__net_msgq_push(&c->q, m);
    m = NULL;
  }
  pthread_mutex_unlock(&s->mu);
  free(m);
  if (rc != CQ_ENOTFOUND) cq__net_wake(s->l);
  if (rc == CQ_ENOTFOUND)
    return cq_error_set(err, rc, "server send: connection %llu is gone", (unsigned long long)conn);
  if (rc == CQ_ESTATE)
    return cq_error_set(err, rc, "server send: connection %llu is closing",
                        (unsigned long long)conn);
  if (rc == CQ_ELIMIT)
    return cq_error_set(err, rc, "server send: connection %llu over its queue of %zu, dropped",
                        (unsigned long long)conn, s->o.conn_queue_max);
  return 0;
}

int cq_server_ws_end(cq_server *s, uint64_t conn, cq_ws_end how, int code, cq_error *err) {
  if (!s || how < CQ_WS_END_CLOSE || how > CQ_WS_END_STALL)
    return cq_error_set(err, CQ_EINVAL, "server end: no server or bad mode");
  if (how == CQ_WS_END_CLOSE && code && (code < 1000 || code > 4999))
    return cq_error_set(err, CQ_EINVAL, "server end: close code %d out of range", code);
  pthread_mutex_lock(&s->mu);
  srv_conn *c = find_conn(s, conn);
  if (c && !c->end_req) {
    c->end_req = true;
    c->end_how = how;
    c->end_code = code;
  }
  pthread_mutex_unlock(&s->mu);
  if (!c)
    return cq_error_set(err, CQ_ENOTFOUND, "server end: connection %llu is gone",
                        (unsigned long long)conn);
  cq__net_wake(s->l);
  return 0;
}
