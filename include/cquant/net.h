/* The network layer (docs/decisions/0001-network-stack.md): an HTTP client (libcurl) for
 * REST calls, and one event loop (libwebsockets) that carries WebSocket clients (venue
 * streams) and HTTP + WebSocket servers (the venue simulator, later the API server).
 *
 * Threads:
 * - A cq_http_client is blocking and belongs to one thread at a time (one per venue job).
 * - A cq_net_loop owns one lws context and one network thread; every callback given to a
 *   server or a WebSocket client runs on that thread and must not block. Functions below
 *   marked "any thread" may be called from other threads (they queue work for the loop and
 *   wake it).
 * - Every buffer grown by input from outside has a cap (message, body, header, queue).
 *
 * Faults: the HTTP client, the WebSocket client and the server each take a fault hook so
 * tests (and the venue simulator) can inject latency, drops, stalls and errors.
 */
#ifndef CQUANT_NET_H
#define CQUANT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- HTTP client -------------------------------------------------------------------- */

typedef struct cq_http_request {
  const char *method;          /* "GET", "POST", "PUT", "DELETE" */
  const char *url;             /* whole URL, query included */
  const char *const *headers;  /* "Name: value" lines, NULL-terminated; NULL for none */
  const char *body;            /* NULL for none */
  size_t body_len;
  bool idempotent;             /* safe to send again: retried on transport errors and on
                                  502/503/504; never set for an order placement */
  int timeout_ms;              /* whole request; 0: the client's default */
} cq_http_request;

typedef struct cq_http_response {
  int status;         /* HTTP status of the last attempt; 0 when none arrived */
  char *body;         /* NUL-terminated (malloc'd; may be "" but never NULL after success) */
  size_t body_len;
  char *headers;      /* the last response's header lines, "Name: value\r\n" each */
  size_t headers_len;
  int attempts;       /* sends made (1 + retries) */
  int64_t elapsed_ns; /* from first send to the last byte, retries and waits included */
} cq_http_response;

/* Value of header name (case-insensitive) in r, copied to buf (cut to n - 1); NULL when
 * absent. */
const char *cq_http_header(const cq_http_response *r, const char *name, char *buf, size_t n);
void cq_http_response_release(cq_http_response *r);

/* A fault for one attempt, decided before it is sent. */
typedef struct cq_http_fault {
  int delay_ms;        /* wait before sending */
  bool fail;           /* the attempt fails as a transport error (connection reset) */
  bool timeout;        /* the attempt fails as a timeout */
} cq_http_fault;

typedef struct cq_http_options {
  int connect_timeout_ms; /* 0: 5000 */
  int timeout_ms;         /* 0: 10000 */
  int max_retries;        /* idempotent requests only; 0: none; default from _default: 3 */
  int backoff_base_ms;    /* retry k waits base * 2^k, capped, times a jitter in [0.5, 1) */
  int backoff_max_ms;
  const char *proxy;      /* NULL: libcurl's environment rules (https_proxy...); "" none;
                             else the proxy URL. Loopback is never proxied. */
  size_t max_body;        /* cap on a response body (CQ_ELIMIT past it); 0: 64 MiB */
  uint64_t seed;          /* for the jitter */
  const char *user_agent; /* NULL: "cquant/<version>" */
  /* Called before each attempt (attempt 0 first); may fill *f. NULL: no faults. */
  void (*fault)(void *ctx, const cq_http_request *req, int attempt, cq_http_fault *f);
  void *fault_ctx;
} cq_http_options;

void cq_http_options_default(cq_http_options *o);

typedef struct cq_http_client cq_http_client;

CQ_NODISCARD int cq_http_client_new(const cq_http_options *o, cq_http_client **out,
                                    cq_error *err);
void cq_http_client_free(cq_http_client *c);

/* Sends req on a kept-alive connection. 0 when a response arrived (any status: the caller
 * judges 4xx/5xx), resp filled; CQ_ETIMEOUT or CQ_ENET when none did after the retries
 * allowed (for a request that is not idempotent this means the outcome is unknown), with
 * resp->attempts set; CQ_ELIMIT for a body over the cap. resp is released by the caller in
 * every case. */
CQ_NODISCARD int cq_http_do(cq_http_client *c, const cq_http_request *req, cq_http_response *resp,
                            cq_error *err);

/* Counters of one client: requests made, attempts sent (retries included) and new
 * connections opened (a kept-alive connection is opened once). */
typedef struct cq_http_stats {
  uint64_t requests, attempts, connects;
} cq_http_stats;
void cq_http_client_stats(const cq_http_client *c, cq_http_stats *out);

/* ---- the event loop ------------------------------------------------------------------ */

typedef struct cq_net_loop cq_net_loop;

/* Starts the network thread. log may be NULL (lws's own messages are routed into it). */
CQ_NODISCARD int cq_net_loop_new(cq_log *log, cq_net_loop **out, cq_error *err);
/* Closes every server and client on the loop, joins the thread, frees. NULL-safe. */
void cq_net_loop_free(cq_net_loop *l);

/* ---- WebSocket client ------------------------------------------------------------------ */

typedef struct cq_ws_client cq_ws_client;

typedef struct cq_ws_callbacks {
  void *ctx;
  /* After every (re)connection, before any message: send subscriptions here. A planned
   * rotation calls it for the new connection (reconnect = true) and calls no on_close for
   * the old one, which keeps delivering until the new one does. */
  void (*on_open)(void *ctx, cq_ws_client *ws, bool reconnect);
  /* One whole message (assembled from its frames, at most max_message bytes). */
  void (*on_message)(void *ctx, cq_ws_client *ws, const char *data, size_t len, bool binary);
  /* The connection ended: code (1000.. or 1006 for an abnormal end), why, and whether the
   * client will reconnect (false after cq_ws_client_close or when reconnect is off). */
  void (*on_close)(void *ctx, cq_ws_client *ws, int code, const char *why, bool reconnecting);
} cq_ws_callbacks;

/* A fault for one inbound message, decided before it is delivered. */
typedef struct cq_ws_fault {
  bool drop; /* the message is lost: on_message is not called */
  bool cut;  /* the connection is cut at once, no close frame (as a lost network): 1006,
                then the usual reconnect; the message is not delivered */
} cq_ws_fault;

typedef struct cq_ws_options {
  const char *url;          /* ws://host:port/path?query or wss://... */
  size_t max_message;       /* 0: 1 MiB; larger closes with 1009 and reconnects */
  int ping_interval_ms;     /* protocol pings; 0: 20000 */
  int idle_timeout_ms;      /* nothing received this long: reconnect; 0: 60000 */
  const char *text_ping;    /* sent as a text message when idle for ping_interval_ms
                               (OKX "ping", Bybit {"op":"ping"}); NULL: none */
  int64_t max_lifetime_ms;  /* planned rotation: a new connection is opened and the old one
                               closed before this age; 0: never */
  bool reconnect;           /* reconnect after an unplanned close (default true) */
  int reconnect_min_ms;     /* backoff 0: 250 */
  int reconnect_max_ms;     /* 0: 30000 */
  size_t send_queue_max;    /* queued outbound messages; 0: 1024 */
  /* Called for each whole inbound message before on_message (network thread); may fill *f.
   * NULL: no faults. */
  void (*fault)(void *ctx, const char *data, size_t len, cq_ws_fault *f);
  void *fault_ctx;
} cq_ws_options;

void cq_ws_options_default(cq_ws_options *o);

/* Opens a client on the loop (any thread); it connects, and reconnects, on its own. */
CQ_NODISCARD int cq_ws_client_open(cq_net_loop *l, const cq_ws_options *o,
                                   const cq_ws_callbacks *cb, cq_ws_client **out, cq_error *err);
/* Queues a text message (any thread). CQ_ESTATE when not connected, CQ_ELIMIT when the
 * queue is full. */
CQ_NODISCARD int cq_ws_send(cq_ws_client *ws, const char *data, size_t len, cq_error *err);
/* Closes and waits until no callback of ws runs any more; frees ws. NULL-safe. From one
 * of ws's own callbacks (the network thread) it cannot wait: it returns at once, no
 * callback of ws runs after, and ws frees itself once its sockets are gone. */
void cq_ws_client_close(cq_ws_client *ws);

typedef struct cq_ws_stats {
  uint64_t connects, reconnects, rotations, messages, bytes, oversize, pings_sent;
  bool connected;
} cq_ws_stats;
void cq_ws_client_stats(const cq_ws_client *ws, cq_ws_stats *out); /* any thread */

/* ---- HTTP + WebSocket server ---------------------------------------------------------- */

typedef struct cq_server cq_server;

typedef struct cq_srv_request {
  const char *method;  /* "GET"... */
  const char *path;    /* "/api/v3/klines" (no query) */
  const char *query;   /* "symbol=BTCUSDT&limit=5" (without '?'); "" when none. Each key
                          and value percent-encoded as cq_url_encode does (the transport
                          decodes what arrives), so a query built with cq_url_encode arrives
                          byte for byte; a '+' sent for a space arrives as "%20" */
  const char *body;    /* "" when none; NUL-terminated */
  size_t body_len;
  const char *remote;  /* peer address */
  void *impl;          /* for cq_srv_header */
} cq_srv_request;

/* A request header by name (case-insensitive), copied to buf; NULL when absent. */
const char *cq_srv_header(const cq_srv_request *r, const char *name, char *buf, size_t n);

typedef struct cq_srv_response {
  int status;               /* 0: 200 */
  const char *content_type; /* NULL: "application/json" */
  char *headers;            /* extra "Name: value\r\n" lines (malloc'd or NULL; freed by the
                               server) */
  char *body;               /* malloc'd or NULL; freed by the server */
  size_t body_len;
  int delay_ms;             /* fault: send the response this much later */
  bool drop;                /* fault: close the connection without answering */
} cq_srv_response;

typedef struct cq_srv_callbacks {
  void *ctx;
  /* One HTTP request (network thread): fill resp. */
  void (*on_http)(void *ctx, const cq_srv_request *req, cq_srv_response *resp);
  /* A WebSocket upgrade on path?query: return 0 to accept (conn is its id), or an HTTP
   * status to refuse it. */
  int (*on_ws_open)(void *ctx, uint64_t conn, const char *path, const char *query);
  void (*on_ws_message)(void *ctx, uint64_t conn, const char *data, size_t len);
  void (*on_ws_close)(void *ctx, uint64_t conn);
} cq_srv_callbacks;

typedef struct cq_server_options {
  const char *host;      /* NULL: "127.0.0.1" */
  int port;              /* 0: the kernel picks (read it back with cq_server_port) */
  size_t max_body;       /* request body cap; 0: 1 MiB (413 past it) */
  size_t max_message;    /* inbound WebSocket message cap; 0: 64 KiB (close 1009) */
  size_t conn_queue_max; /* outbound messages queued per WebSocket; 0: 65536; past it the
                            connection is dropped (a slow reader never grows memory) */
  int ping_interval_ms;  /* server pings to WebSocket clients; 0: none */
} cq_server_options;

CQ_NODISCARD int cq_server_start(cq_net_loop *l, const cq_server_options *o,
                                 const cq_srv_callbacks *cb, cq_server **out, cq_error *err);
int cq_server_port(const cq_server *s);
/* Closes every connection and the listener, waits until no callback of s runs any more,
 * frees s. NULL-safe. From a callback (the network thread) it returns at once and s frees
 * itself once its sockets are gone. */
void cq_server_stop(cq_server *s);

/* Queues a text message to WebSocket conn (any thread). CQ_ENOTFOUND when conn is gone;
 * CQ_ELIMIT when its queue is full, and the connection is then dropped; to a stalled
 * connection (CQ_WS_END_STALL), 0 and the message is discarded. A conn may be sent to from
 * on_ws_open on: messages wait until the upgrade completes. */
CQ_NODISCARD int cq_server_ws_send(cq_server *s, uint64_t conn, const char *data, size_t len,
                                   cq_error *err);
/* How a WebSocket connection ends (any thread). */
typedef enum cq_ws_end {
  CQ_WS_END_CLOSE = 0, /* a close frame with code, then the socket */
  CQ_WS_END_DROP,      /* fault: the socket closes with no close frame */
  CQ_WS_END_STALL      /* fault: keep the socket open but send nothing more, answer no ping */
} cq_ws_end;
CQ_NODISCARD int cq_server_ws_end(cq_server *s, uint64_t conn, cq_ws_end how, int code,
                                  cq_error *err);

/* ---- URLs ---------------------------------------------------------------------------- */

/* Percent-encodes s for a query value (RFC 3986 unreserved kept) into buf; the length, or
 * CQ_ELIMIT as a negative value when it does not fit. */
int cq_url_encode(const char *s, char *buf, size_t n);
/* The value of key in a raw query string (percent-decoded into buf); NULL when absent. */
const char *cq_query_get(const char *query, const char *key, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
