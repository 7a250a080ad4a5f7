/* The REST machinery the OKX and Bybit adapters share: a pool of HTTP clients, an IP-wide
 * limiter and per-endpoint limiters (ratelimit.h), signing through the venue's callback,
 * the server-time offset, and one retry policy:
 *
 * - a rate-limit refusal (OKX 50011, Bybit 10006, HTTP 429) pauses the endpoint's limiter;
 *   a safe request then waits and is sent again, an order is not;
 * - a ban (Bybit's HTTP 403) stops every request until it ends;
 * - a timestamp refusal resyncs the clock and sends the request once more;
 * - a 5xx or no answer is UNAVAILABLE for a safe request (resent twice) and UNKNOWN_OUTCOME
 *   for an order placement, which is never resent here.
 *
 * Both venues answer errors with HTTP 200 and an envelope code, so the venue's `judge`
 * reads every answer, not only the 4xx ones. */
#ifndef CQ_VENUE_VREST_H
#define CQ_VENUE_VREST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cquant/venue.h"
#include "ratelimit.h"

enum {
  VR_URL_MAX = 256,
  VR_QUERY_MAX = 2048,
  VR_POOL_MAX = 16,
  VR_MAX_ENDPOINTS = 24,
  VR_HDR_MAX = 6,  /* header lines a signature adds */
  VR_HDR_LEN = 320 /* one header line */
};

/* One endpoint's own limit: `limit` requests per `interval_ms` (OKX counts per endpoint). */
typedef struct vr_limit {
  const char *path; /* "/api/v5/market/candles" */
  int64_t interval_ms;
  int64_t limit;
} vr_limit;

/* One REST call. */
typedef struct vr_req {
  const char *method; /* "GET", "POST" */
  const char *path;
  const char *query; /* without '?'; NULL or "" for none */
  const char *body;  /* JSON for POST; NULL for none */
  bool sign;         /* a private endpoint: the venue's signature headers */
  bool safe;         /* may be sent again (reads, cancels by client id) */
  bool order;        /* an order placement: no answer means the outcome is unknown */
} vr_req;

typedef struct vr_core vr_core;

/* What differs between venues. */
typedef struct vr_dialect {
  const char *name; /* "okx": error messages and logs */
  /* Header lines of a signed request at the venue's time now_ms into hdr[0..*n). */
  int (*sign)(const vr_core *c, const vr_req *r, int64_t now_ms, char hdr[VR_HDR_MAX][VR_HDR_LEN],
              size_t *n, cq_error *err);
  /* 0 when the answer is a success; otherwise ve filled (class, venue code, message) and its
   * negative code. */
  int (*judge)(int http_status, const char *body, size_t len, cq_verror *ve);
  const char *time_path;
  /* The server time of a time_path answer, in ms. */
  int (*parse_time)(const char *body, size_t len, int64_t *ms, cq_error *err);
  int64_t ip_interval_ms, ip_limit;       /* the IP-wide window */
  int64_t order_interval_ms, order_limit; /* placements (0: none) */
  const vr_limit *limits;                 /* per endpoint; may be NULL */
  size_t nlimits;
} vr_dialect;

struct vr_core {
  const vr_dialect *d;
  char rest_url[VR_URL_MAX];
  char api_key[128];
  char api_secret[128];
  char passphrase[128];
  bool has_keys;
  int recv_window_ms;
  cq_http_options http;
  cq_log *log;
  cq_clock clock;
  pthread_mutex_t mu; /* guards the pool and the offset */
  cq_http_client *pool[VR_POOL_MAX];
  size_t npool;
  int64_t offset_ms;
  bool offset_known;
  cq_ratelimit *ip;                   /* every request; bans live here */
  cq_ratelimit *ep[VR_MAX_ENDPOINTS]; /* d->limits[i] */
};

/* Opens c from cfg (URLs, keys, limits). default_rest is the venue's public URL. The
 * passphrase is required when need_passphrase (OKX). */
CQ_NODISCARD int cq__vr_init(vr_core *c, const vr_dialect *d, const cq_venue_config *cfg,
                             const char *default_rest, bool need_passphrase, cq_verror *ve);
void cq__vr_release(vr_core *c);

/* Sends r under the policy above: 0 with resp holding the venue's success (caller releases
 * it); otherwise a negative code with ve filled and resp released. */
CQ_NODISCARD int cq__vr_call(vr_core *c, const vr_req *r, cq_http_response *resp, cq_verror *ve);

/* Fills ve and returns the cquant code of the class; the message is prefixed "<venue>: ". */
int cq__vr_fail(const vr_core *c, cq_verror *ve, cq_verr cls, int venue_code, int http_status,
                const char *fmt, ...) CQ_PRINTF(6, 7);

int64_t cq__vr_now_ms(vr_core *c);
int64_t cq__vr_server_now_ms(vr_core *c);
/* Reads the venue's time and sets the offset. */
CQ_NODISCARD int cq__vr_time_sync(vr_core *c, cq_verror *ve);
/* The offset, read once. */
CQ_NODISCARD int cq__vr_ensure_time(vr_core *c, cq_verror *ve);
void cq__vr_sleep_ms(int64_t ms);

/* Looks up an order of the venue by client id (venue: the adapter's handle). */
typedef int (*vr_query_fn)(void *venue, const char *unified, const char *native,
                           const char *client_id, cq_venue_order *out, cq_verror *ve);

/* A placement whose outcome is unknown (first says why): never sent again, the order is
 * looked up by client id up to VR_RECOVER_TRIES times, waiting VR_RECOVER_BASE_MS doubled
 * each time. Found: 0 and its state in out. Still not found on the last try: NOT_FOUND (it was
 * never placed; the caller may send it again with the same client id). Otherwise (a ban, an
 * auth error, no answer): UNKNOWN_OUTCOME, saying to query before anything else. */
enum { VR_RECOVER_TRIES = 4, VR_RECOVER_BASE_MS = 100 };
CQ_NODISCARD int cq__vr_recover(vr_core *c, vr_query_fn query, void *venue,
                                const cq_venue_order_req *req, const char *native,
                                const cq_verror *first, cq_venue_order *out, cq_verror *ve);
/* A cancel that came back as rc with ce: a refusal as REJECTED or NOT_FOUND may only mean the
 * order is already done, so it is queried; when it is finished, that order goes to out and
 * the cancel succeeds (the caller learns its final state either way). Otherwise the cancel's
 * own answer stands. */
CQ_NODISCARD int cq__vr_cancel_settle(vr_query_fn query, void *venue, const char *unified,
                                      const char *native, const char *client_id, int rc,
                                      const cq_verror *ce, cq_venue_order *out, cq_verror *ve);
/* The order a request describes, ACCEPTED with the venue's id. */
void cq__vr_order_from_req(const cq_venue_order_req *req, const char *venue_id, cq_venue_order *o);

/* Candle pages of venues that page newest first: the window [from, end) that holds at most
 * `limit` bars of tf, cut at to (0: none). */
cq_time cq__vr_window_end(cq_timeframe tf, cq_time from, cq_time to, int limit);
/* Marks closed exactly the candles of out[from_row..] whose open + tf <= now. */
void cq__vr_mark_closed(cq_candles *out, size_t from_row, cq_timeframe tf, cq_time now);

#endif
