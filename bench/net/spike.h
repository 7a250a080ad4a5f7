/* Network-stack spike: the same tiny server and client written against each candidate
 * library, so the benchmark (bench_netstack) and the integration test (test_netstack)
 * drive identical code. See docs/decisions/0001-network-stack.md.
 *
 * The server, on 127.0.0.1 and a port the kernel picks:
 *   GET /api/ping   -> 200 application/json {"ok":true,"ts":<epoch ms>}
 *   WebSocket /ws   -> a text message "push N" makes the server send N trade events of
 *                      SPIKE_PUSH_LEN bytes, sequence 0..N-1, as fast as the socket takes
 *                      them (writes wait for the transport; nothing queues without bound);
 *                      any other message is echoed back unchanged. A message longer than
 *                      SPIKE_MAX_MSG closes the connection (status 1009).
 * The client connects to /ws, does plan->echo_n echo round trips (one in flight), then asks
 * for plan->push_n pushes and checks every one arrives, in order, with the right bytes.
 *
 * Ownership: the caller owns plans and results; a server is owned by whoever started it
 * and is released (threads joined, port closed) by server_stop.
 */
#ifndef CQ_BENCH_NET_SPIKE_H
#define CQ_BENCH_NET_SPIKE_H

#include <stddef.h>
#include <stdint.h>

#include "cquant/core/error.h"

enum {
  SPIKE_PUSH_LEN = 150, /* bytes of one pushed trade event */
  SPIKE_ECHO_LEN = 64,  /* bytes of one echo message */
  SPIKE_MAX_MSG = 4096, /* cap on one WebSocket message or HTTP body we accept */
};

/* What a backend can do beyond the baseline. */
enum {
  SPIKE_CAP_DEFLATE = 1 << 0, /* permessage-deflate (RFC 7692) on both ends */
  SPIKE_CAP_LIBUV = 1 << 1,   /* server runs on a caller-style libuv loop */
};

typedef struct spike_opts {
  int deflate; /* negotiate permessage-deflate */
  int libuv;   /* server: run on a libuv loop instead of the library's own poll loop */
} spike_opts;

typedef struct spike_client_plan {
  size_t echo_n;         /* echo round trips, one in flight at a time */
  uint32_t *echo_rtt_ns; /* echo_n entries to fill, or NULL */
  size_t push_n;         /* messages to ask the server to push */
  int verify_full;       /* compare every byte of every push (else length + sequence) */
  int oversize;          /* only send one SPIKE_MAX_MSG + 1 byte message; expect a close */
  int timeout_ms;        /* for the whole run */
} spike_client_plan;

typedef struct spike_client_result {
  size_t echo_ok;       /* echoes that came back equal to what was sent */
  size_t push_received; /* pushes received in order and intact */
  uint64_t push_bytes;  /* their payload bytes */
  uint64_t push_ns;     /* from sending "push N" to receiving the last one */
  int closed_by_server; /* oversize plan: the server closed without echoing */
} spike_client_result;

typedef struct spike_server spike_server;

/* One candidate library. Every function that can fail returns 0 or a negative CQ_E code
 * and fills err (optional). */
typedef struct spike_ops {
  const char *name;    /* "libwebsockets" */
  const char *version; /* of the library actually loaded */
  unsigned caps;       /* SPIKE_CAP_... */
  int (*server_start)(spike_server **out, const spike_opts *opts, cq_error *err);
  int (*server_port)(const spike_server *s);
  /* Stops accepting, closes every connection, joins every thread, frees s. NULL-safe. */
  void (*server_stop)(spike_server *s);
  /* One connection to ws://127.0.0.1:port/ws running plan; res is filled even on failure,
   * which is any shortfall: a missing or wrong echo, a missing or out-of-order push. */
  int (*client_run)(int port, const spike_opts *opts, const spike_client_plan *plan,
                    spike_client_result *res, cq_error *err);
} spike_ops;

extern const spike_ops spike_lws_ops;
extern const spike_ops spike_civet_ops;

/* REST client (libcurl, one easy handle reused, keep-alive): n GETs of /api/ping, each
 * body checked. rtt_ns (n entries) may be NULL. curl_global_init must have been called. */
typedef struct spike_rest_result {
  size_t ok;     /* responses that were 200, application/json and a well-formed body */
  long connects; /* TCP connections libcurl opened (1 when keep-alive works) */
} spike_rest_result;
int spike_rest_run(int port, size_t n, uint32_t *rtt_ns, int timeout_ms, spike_rest_result *res,
                   cq_error *err);

/* One GET of path; *status gets the HTTP status (the body is discarded, up to the cap). */
int spike_http_status(int port, const char *path, long *status, cq_error *err);

/* Message formats shared by both ends. buf holds at least SPIKE_MAX_MSG bytes. */
size_t spike_push_msg(char *buf, uint64_t seq);
/* 0 when msg is push number seq: always length and sequence, every byte when full. */
int spike_push_check(const char *msg, size_t len, uint64_t seq, int full);
size_t spike_echo_msg(char *buf, uint64_t seq);
/* The /api/ping body for time ms; returns its length. */
size_t spike_ping_body(char *buf, size_t n, int64_t ms);
/* 0 when body is a well-formed /api/ping body. */
int spike_ping_check(const char *body, size_t len);
/* Parses "push N"; returns 1 and sets *n when msg is a push command. */
int spike_parse_push(const char *msg, size_t len, uint64_t *n);

/* Monotonic nanoseconds, for measuring only. */
uint64_t spike_now_ns(void);
/* Wall-clock milliseconds, for the ping body only. */
int64_t spike_wall_ms(void);

#endif
