/* Binance REST calls: the HTTP client pool, request weight, bans and 429 pauses, signing,
 * the server-time offset, and the mapping of Binance errors onto cq_verr classes.
 *
 * Every request goes through cq__bn_call, so no path can skip the limiter or send during a
 * ban. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter.h"
#include "binance.h"

enum {
  BN_RETRY_429 = 3, /* waits on Retry-After before a safe request gives up */
  BN_RETRY_5XX = 2, /* resends of a safe request answered 5xx */
};

void cq__bn_sleep_ms(int64_t ms) {
  if (ms <= 0) return;
  struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

int64_t cq__bn_now_ms(bn_venue *v) {
  return cq_clock_now(&v->clock) / CQ_NS_PER_MS;
}

int64_t cq__bn_server_now_ms(bn_venue *v) {
  pthread_mutex_lock(&v->mu);
  int64_t off = v->offset_ms;
  pthread_mutex_unlock(&v->mu);
  return cq__bn_now_ms(v) + off;
}

int cq__bn_fail(cq_verror *ve, cq_verr cls, int venue_code, int http_status, const char *fmt, ...) {
  int code = cq_verr_code(cls);
  if (!ve) return code;
  char msg[CQ_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  int64_t retry = ve->retry_after_ms;
  cq_verror_clear(ve);
  ve->cls = cls;
  ve->venue_code = venue_code;
  ve->http_status = http_status;
  ve->retry_after_ms = (cls == CQ_VERR_RATE_LIMITED || cls == CQ_VERR_BANNED) ? retry : 0;
  cq_error_set(&ve->e, code, "binance: %s", msg);
  return code;
}

/* ---- the HTTP client pool ------------------------------------------------------------ */

/* A client for this call: an idle one from the pool, or a new one. A client is used by one
 * thread at a time, so concurrent calls from several threads each get their own. */
static int client_take(bn_venue *v, cq_http_client **out, cq_verror *ve) {
  pthread_mutex_lock(&v->mu);
  cq_http_client *c = v->npool ? v->pool[--v->npool] : NULL;
  pthread_mutex_unlock(&v->mu);
  if (!c) {
    cq_error e;
    cq_error_clear(&e);
    if (cq_http_client_new(&v->http, &c, &e) < 0)
      return cq__bn_fail(ve, CQ_VERR_UNAVAILABLE, 0, 0, "HTTP client: %s", e.msg);
  }
  *out = c;
  return 0;
}

static void client_give(bn_venue *v, cq_http_client *c) {
  pthread_mutex_lock(&v->mu);
  if (v->npool < BN_POOL_MAX) {
    v->pool[v->npool++] = c;
    c = NULL;
  }
  pthread_mutex_unlock(&v->mu);
  cq_http_client_free(c);
}

/* ---- weight, pauses and bans ----------------------------------------------------------- */

/* Retry-After in seconds; 0 when absent or unreadable (the limiter then uses its floor). */
static int64_t retry_after_s(const cq_http_response *resp) {
  char buf[32];
  if (!cq_http_header(resp, "Retry-After", buf, sizeof buf)) return 0;
  char *end;
  long long s = strtoll(buf, &end, 10);
  if (end == buf || s < 0 || s > 3LL * 86400) return 0;
  return s;
}

/* A ban in force: CQ_VERR_BANNED with the time left and what the venue said. */
static int ban_error(bn_venue *v, int64_t left_ms, cq_verror *ve) {
  char why[CQ_REASON_MAX];
  pthread_mutex_lock(&v->mu);
  snprintf(why, sizeof why, "%s", v->ban_reason);
  pthread_mutex_unlock(&v->mu);
  if (ve) ve->retry_after_ms = left_ms;
  return cq__bn_fail(ve, CQ_VERR_BANNED, -1003, 418,
                     "the venue has banned us for %" PRId64
                     " s more; nothing is sent until then%s%s",
                     (left_ms + 999) / 1000, *why ? ": " : "", why);
}

/* ---- signing and time ------------------------------------------------------------------ */

/* GET /api/v3/time: the offset from the midpoint of the round trip. */
static int time_sync(bn_venue *v, cq_verror *ve);

/* ---- errors ---------------------------------------------------------------------------- */

/* A refusal into ve (class, venue code, message). A 5xx or -1006/-1007 on an order
 * placement leaves its outcome unknown whatever the body says; on anything else it only
 * means the venue could not answer now: unavailable. Any other 4xx is a plain refusal. */
static cq_verr decode_refusal(const bn_req *r, const cq_http_response *resp, cq_verror *ve) {
  cq_bn_decode_error(resp->status, resp->body ? resp->body : "", resp->body_len, ve);
  bool transient = resp->status >= 500 || ve->venue_code == -1006 || ve->venue_code == -1007;
  cq_verr cls = ve->cls;
  if (transient && cls != CQ_VERR_RATE_LIMITED && cls != CQ_VERR_BANNED)
    cls = r->order ? CQ_VERR_UNKNOWN_OUTCOME : CQ_VERR_UNAVAILABLE;
  else if (cls == CQ_VERR_UNKNOWN_OUTCOME)
    cls = CQ_VERR_BAD_REQUEST;
  if (cls != ve->cls) {
    ve->cls = cls;
    ve->e.code = cls == CQ_VERR_BAD_REQUEST ? CQ_EINVAL : CQ_ENET;
  }
  return cls;
}

/* ---- one call ------------------------------------------------------------------------ */

static int build_url(bn_venue *v, const bn_req *r, char *url, size_t n, cq_verror *ve) {
  const char *q = r->query ? r->query : "";
  int len;
  if (!r->sign) {
    len = snprintf(url, n, "%s%s%s%s", v->rest_url, r->path, *q ? "?" : "", q);
  } else {
    char signed_q[BN_QUERY_MAX];
    int ql = snprintf(signed_q, sizeof signed_q, "%s%srecvWindow=%d&timestamp=%" PRId64, q,
                      *q ? "&" : "", v->recv_window_ms, cq__bn_server_now_ms(v));
    if (ql < 0 || (size_t)ql >= sizeof signed_q)
      return cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0, "%s: query too long", r->path);
    char sig[65];
    if (cq_bn_sign(v->api_secret, signed_q, (size_t)ql, sig, NULL) < 0)
      return cq__bn_fail(ve, CQ_VERR_AUTH, 0, 0, "%s: signing failed", r->path);
    len = snprintf(url, n, "%s%s?%s&signature=%s", v->rest_url, r->path, signed_q, sig);
  }
  if (len < 0 || (size_t)len >= n)
    return cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0, "%s: URL too long", r->path);
  return 0;
}

/* One send through the limiter; 0 when any response arrived. */
static int send_once(bn_venue *v, const bn_req *r, cq_http_response *resp, cq_verror *ve) {
  /* Cleared first so no path, failing or not, leaves the caller an unset response. */
  memset(resp, 0, sizeof *resp);
  if ((r->key || r->sign) && !v->has_keys)
    return cq__bn_fail(ve, CQ_VERR_AUTH, 0, 0, "%s needs an API key and secret", r->path);
  int weight = 1, orders = 0;
  cq_bn_endpoint_weight(r->method, r->path, r->limit, r->has_symbol, &weight, &orders);
  cq_verror rv;
  cq_verror_clear(&rv);
  int rc = cq_rl_acquire(v->rl, weight, orders, &rv);
  if (rc < 0) {
    if (rv.cls == CQ_VERR_BANNED) return ban_error(v, rv.retry_after_ms, ve);
    if (ve) *ve = rv;
    return rc;
  }
  char url[BN_URL_MAX + BN_QUERY_MAX + 128];
  if ((rc = build_url(v, r, url, sizeof url, ve)) < 0) return rc;
  char keyhdr[BN_KEY_MAX + 32];
  snprintf(keyhdr, sizeof keyhdr, "X-MBX-APIKEY: %s", v->api_key);
  const char *hdrs[] = {keyhdr, NULL};
  cq_http_request req = {
      .method = r->method,
      .url = url,
      .headers = (r->key || r->sign) ? hdrs : NULL,
      .idempotent = r->safe,
  };
  cq_http_client *c = NULL;
  if ((rc = client_take(v, &c, ve)) < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_http_do(c, &req, resp, &e);
  client_give(v, c);
  if (rc == CQ_ELIMIT) {
    cq_http_response_release(resp);
    return cq__bn_fail(ve, CQ_VERR_PROTOCOL, 0, 0, "%s %s: %s", r->method, r->path, e.msg);
  }
  if (rc < 0) {
    int attempts = resp->attempts;
    cq_http_response_release(resp);
    if (r->order)
      return cq__bn_fail(ve, CQ_VERR_UNKNOWN_OUTCOME, 0, 0,
                         "%s %s: no answer (%s): the order may or may not exist", r->method,
                         r->path, e.msg);
    return cq__bn_fail(ve, CQ_VERR_UNAVAILABLE, 0, 0, "%s %s: no answer after %d attempt%s (%s)",
                       r->method, r->path, attempts, attempts == 1 ? "" : "s", e.msg);
  }
  if (resp->headers) cq_rl_observe_headers(v->rl, resp->headers, resp->headers_len);
  return 0;
}

int cq__bn_call(bn_venue *v, const bn_req *r, cq_http_response *resp, cq_verror *ve) {
  int n429 = 0, n5xx = 0;
  bool resynced = false;
  cq_verror scratch;
  if (!ve) ve = &scratch;
  for (;;) {
    int rc = send_once(v, r, resp, ve);
    if (rc < 0) return rc;
    int st = resp->status;
    if (st >= 200 && st < 300) return 0;
    int64_t ra = retry_after_s(resp);
    cq_verr cls = decode_refusal(r, resp, ve);
    cq_http_response_release(resp);
    if (st == 418) {
      cq_rl_on_418(v->rl, ra);
      pthread_mutex_lock(&v->mu);
      snprintf(v->ban_reason, sizeof v->ban_reason, "%.*s", (int)sizeof v->ban_reason - 1,
               ve->e.msg);
      pthread_mutex_unlock(&v->mu);
      if (v->log)
        CQ_LOG(v->log, CQ_LOG_ERROR, "binance: banned", CQ_F_I64("retry_after_s", ra),
               CQ_F_STR("msg", ve->e.msg));
      int64_t left = 0;
      cq_rl_banned(v->rl, &left);
      return ban_error(v, left / CQ_NS_PER_MS, ve);
    }
    if (st == 429 || cls == CQ_VERR_RATE_LIMITED) {
      cq_rl_on_429(v->rl, ra);
      if (v->log)
        CQ_LOG(v->log, CQ_LOG_WARN, "binance: rate limited", CQ_F_STR("path", r->path),
               CQ_F_I64("retry_after_s", ra));
      /* a 429 is a refusal, so even an order could be sent again; but only a safe request
       * is resent here: the caller of a placement decides */
      if (r->safe && n429++ < BN_RETRY_429) continue; /* cq_rl_acquire waits out the pause */
      ve->cls = CQ_VERR_RATE_LIMITED;
      ve->retry_after_ms = (ra > 0 ? ra : 1) * 1000;
      return ve->e.code;
    }
    if (cls == CQ_VERR_TIMESTAMP && r->sign && !resynced) {
      /* the request was refused, so sending it again with a fresh offset is safe */
      resynced = true;
      if (v->log)
        cq_logf(v->log, CQ_LOG_WARN, "binance: %s refused for its timestamp; resyncing the clock",
                r->path);
      if ((rc = time_sync(v, ve)) < 0) return rc;
      continue;
    }
    if (cls == CQ_VERR_UNAVAILABLE && r->safe && n5xx++ < BN_RETRY_5XX) {
      cq__bn_sleep_ms(100LL << n5xx);
      continue;
    }
    if (cls == CQ_VERR_UNKNOWN_OUTCOME)
      cq_error_prefix(&ve->e, "%s %s: the order may or may not exist: ", r->method, r->path);
    else
      cq_error_prefix(&ve->e, "%s %s: ", r->method, r->path);
    return ve->e.code;
  }
}

static int time_sync(bn_venue *v, cq_verror *ve) {
  bn_req r = {.method = "GET", .path = "/api/v3/time", .safe = true};
  cq_http_response resp;
  int64_t t0 = cq__bn_now_ms(v);
  int rc = cq__bn_call(v, &r, &resp, ve);
  if (rc < 0) return rc;
  int64_t t1 = cq__bn_now_ms(v);
  cq_time server;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_bn_parse_server_time(resp.body, resp.body_len, &server, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return cq__bn_fail(ve, CQ_VERR_PROTOCOL, 0, 200, "GET /api/v3/time: %s", e.msg);
  pthread_mutex_lock(&v->mu);
  v->offset_ms = server / CQ_NS_PER_MS - (t0 + t1) / 2;
  v->offset_known = true;
  pthread_mutex_unlock(&v->mu);
  return 0;
}

int cq__bn_time_sync(bn_venue *v, cq_verror *ve) {
  return time_sync(v, ve);
}
