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

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "adapter.h"

enum {
  BN_WEIGHT_LIMIT = 6000,     /* published request weight per minute (REQUEST_WEIGHT) */
  BN_RETRY_429 = 3,           /* waits on Retry-After before a safe request gives up */
  BN_RETRY_5XX = 2,           /* resends of a safe request answered 5xx */
  BN_BAN_DEFAULT_MS = 120000, /* a 418 that does not say how long */
  BN_PAUSE_DEFAULT_MS = 1000, /* a 429 that does not say how long */
};

void cq__bn_sleep_ms(int64_t ms) {
  if (ms <= 0)
    return;
  struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

int64_t cq__bn_now_ms(bn_venue *v) { return cq_clock_now(&v->clock) / CQ_NS_PER_MS; }

int64_t cq__bn_server_now_ms(bn_venue *v) {
  pthread_mutex_lock(&v->mu);
  int64_t off = v->offset_ms;
  pthread_mutex_unlock(&v->mu);
  return cq__bn_now_ms(v) + off;
}

static int verr_code(cq_verr cls) {
  switch (cls) {
  case CQ_VERR_NONE: return 0;
  case CQ_VERR_RATE_LIMITED: return CQ_ELIMIT;
  case CQ_VERR_BANNED: return CQ_EPERM;
  case CQ_VERR_TIMESTAMP: return CQ_ESTATE;
  case CQ_VERR_AUTH: return CQ_EPERM;
  case CQ_VERR_INSUFFICIENT: return CQ_EREJECTED;
  case CQ_VERR_REJECTED: return CQ_EREJECTED;
  case CQ_VERR_NOT_FOUND: return CQ_ENOTFOUND;
  case CQ_VERR_BAD_REQUEST: return CQ_EINVAL;
  case CQ_VERR_UNKNOWN_OUTCOME: return CQ_ETIMEOUT;
  case CQ_VERR_UNAVAILABLE: return CQ_ENET;
  case CQ_VERR_PROTOCOL: return CQ_EPARSE;
  case CQ_VERR_UNSUPPORTED: return CQ_EUNSUPPORTED;
  }
  return CQ_EINTERNAL;
}

int cq__bn_fail(cq_verror *ve, cq_verr cls, int venue_code, int http_status, const char *fmt, ...) {
  int code = verr_code(cls);
  if (!ve)
    return code;
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

static int ban_error(bn_venue *v, int64_t left, cq_verror *ve) {
  if (ve)
    ve->retry_after_ms = left;
  return cq__bn_fail(ve, CQ_VERR_BANNED, -1003, 418,
                     "the venue has banned us for %" PRId64 " s more; nothing is sent until then (%s)",
                     (left + 999) / 1000, v->ban_reason);
}

/* Waits until weight w may be spent in the current minute without passing our share of the
 * limit, and spends it. Fails at once during a ban. */
static int weight_acquire(bn_venue *v, int w, cq_verror *ve) {
  for (;;) {
    int64_t now = cq__bn_now_ms(v);
    int64_t wait = 0;
    pthread_mutex_lock(&v->mu);
    if (v->banned_until_ms > now) {
      int64_t left = v->banned_until_ms - now;
      pthread_mutex_unlock(&v->mu);
      return ban_error(v, left, ve);
    }
    /* the venue counts weight per calendar minute of its own clock */
    int64_t snow = now + v->offset_ms;
    int64_t minute = snow / 60000;
    if (minute != v->weight_minute) {
      v->weight_minute = minute;
      v->weight_used = 0;
    }
    if (v->paused_until_ms > now) {
      wait = v->paused_until_ms - now;
    } else if (v->weight_used + w > v->weight_limit && v->weight_used > 0) {
      wait = (minute + 1) * 60000 - snow + 1;
    } else {
      v->weight_used += w;
    }
    pthread_mutex_unlock(&v->mu);
    if (wait == 0)
      return 0;
    cq__bn_sleep_ms(wait);
  }
}

/* What the venue says we used this minute: the larger of that and our own count wins (other
 * processes on the same IP count too). */
static void weight_observe(bn_venue *v, const cq_http_response *resp) {
  char buf[32];
  if (!cq_http_header(resp, "X-MBX-USED-WEIGHT-1M", buf, sizeof buf))
    return;
  char *end;
  long long used = strtoll(buf, &end, 10);
  if (end == buf || used < 0)
    return;
  pthread_mutex_lock(&v->mu);
  if (used > v->weight_used)
    v->weight_used = used;
  pthread_mutex_unlock(&v->mu);
}

/* Retry-After in ms (seconds on the wire), or def when absent or unreadable. */
static int64_t retry_after_ms(const cq_http_response *resp, int64_t def) {
  char buf[32];
  if (!cq_http_header(resp, "Retry-After", buf, sizeof buf))
    return def;
  char *end;
  long long s = strtoll(buf, &end, 10);
  if (end == buf || s < 0 || s > 3 * 86400)
    return def;
  return s * 1000;
}

/* ---- signing and time ------------------------------------------------------------------ */

static int sign_hex(const char *secret, const char *msg, char out[65]) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, strlen(msg),
            mac, &len) ||
      len != 32)
    return CQ_EINTERNAL;
  static const char hex[] = "0123456789abcdef";
  for (unsigned i = 0; i < len; i++) {
    out[2 * i] = hex[mac[i] >> 4];
    out[2 * i + 1] = hex[mac[i] & 15];
  }
  out[64] = '\0';
  return 0;
}

/* GET /api/v3/time: the offset from the midpoint of the round trip. */
static int time_sync(bn_venue *v, cq_verror *ve);

/* ---- errors ---------------------------------------------------------------------------- */

/* The venue's {"code": -2010, "msg": "..."}; code 0 when the body has none. */
static void venue_error(const cq_http_response *resp, int *code, char *msg, size_t n) {
  *code = 0;
  snprintf(msg, n, "HTTP %d", resp->status);
  json_error_t je;
  json_t *root = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, &je);
  if (!root)
    return;
  json_t *c = json_object_get(root, "code"), *m = json_object_get(root, "msg");
  if (json_is_integer(c))
    *code = (int)json_integer_value(c);
  if (json_is_string(m))
    snprintf(msg, n, "%s", json_string_value(m));
  json_decref(root);
}

/* The class of a refusal (a 4xx with a Binance code). */
static cq_verr classify(int code, int status, const char *msg, bool order) {
  switch (code) {
  case -1003:
  case -1015: return CQ_VERR_RATE_LIMITED;
  case -1021: return CQ_VERR_TIMESTAMP;
  case -1002:
  case -1022:
  case -2014:
  case -2015: return CQ_VERR_AUTH;
  case -2013: return CQ_VERR_NOT_FOUND;
  case -2010:
    return strstr(msg, "insufficient balance") ? CQ_VERR_INSUFFICIENT : CQ_VERR_REJECTED;
  case -2011: return strstr(msg, "Unknown order") ? CQ_VERR_NOT_FOUND : CQ_VERR_REJECTED;
  case -1013:
  case -2026: return CQ_VERR_REJECTED;
  case -1000:
  case -1001:
  case -1006:
  case -1007:
  case -1008: return order ? CQ_VERR_UNKNOWN_OUTCOME : CQ_VERR_UNAVAILABLE;
  case -1121: return CQ_VERR_BAD_REQUEST;
  default: break;
  }
  if (status == 401 || status == 403)
    return CQ_VERR_AUTH;
  if (status == 429)
    return CQ_VERR_RATE_LIMITED;
  if (status >= 500)
    return order ? CQ_VERR_UNKNOWN_OUTCOME : CQ_VERR_UNAVAILABLE;
  return CQ_VERR_BAD_REQUEST;
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
    if (sign_hex(v->api_secret, signed_q, sig) < 0)
      return cq__bn_fail(ve, CQ_VERR_AUTH, 0, 0, "%s: signing failed", r->path);
    len = snprintf(url, n, "%s%s?%s&signature=%s", v->rest_url, r->path, signed_q, sig);
  }
  if (len < 0 || (size_t)len >= n)
    return cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0, "%s: URL too long", r->path);
  return 0;
}

/* One send through the limiter; 0 when any response arrived. */
static int send_once(bn_venue *v, const bn_req *r, cq_http_response *resp, cq_verror *ve) {
  if ((r->key || r->sign) && !v->has_keys)
    return cq__bn_fail(ve, CQ_VERR_AUTH, 0, 0, "%s needs an API key and secret", r->path);
  int rc = weight_acquire(v, r->weight, ve);
  if (rc < 0)
    return rc;
  char url[BN_URL_MAX + BN_QUERY_MAX + 128];
  if ((rc = build_url(v, r, url, sizeof url, ve)) < 0)
    return rc;
  char keyhdr[BN_KEY_MAX + 32];
  snprintf(keyhdr, sizeof keyhdr, "X-MBX-APIKEY: %s", v->api_key);
  const char *hdrs[] = {keyhdr, NULL};
  cq_http_request req = {
      .method = r->method,
      .url = url,
      .headers = (r->key || r->sign) ? hdrs : NULL,
      .idempotent = r->safe,
  };
  cq_http_client *c;
  if ((rc = client_take(v, &c, ve)) < 0)
    return rc;
  cq_error e;
  cq_error_clear(&e);
  memset(resp, 0, sizeof *resp);
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
  weight_observe(v, resp);
  return 0;
}

int cq__bn_call(bn_venue *v, const bn_req *r, cq_http_response *resp, cq_verror *ve) {
  int n429 = 0, n5xx = 0;
  bool resynced = false;
  for (;;) {
    int rc = send_once(v, r, resp, ve);
    if (rc < 0)
      return rc;
    int st = resp->status;
    if (st >= 200 && st < 300)
      return 0;
    int code;
    char msg[200];
    venue_error(resp, &code, msg, sizeof msg);
    if (st == 418) {
      int64_t ms = retry_after_ms(resp, BN_BAN_DEFAULT_MS);
      cq_http_response_release(resp);
      int64_t now = cq__bn_now_ms(v);
      pthread_mutex_lock(&v->mu);
      if (now + ms > v->banned_until_ms)
        v->banned_until_ms = now + ms;
      snprintf(v->ban_reason, sizeof v->ban_reason, "%s", msg);
      pthread_mutex_unlock(&v->mu);
      if (v->log)
        CQ_LOG(v->log, CQ_LOG_ERROR, "binance: banned", CQ_F_I64("retry_after_ms", ms),
               CQ_F_STR("msg", msg));
      return ban_error(v, ms, ve);
    }
    if (st == 429 || code == -1003) {
      int64_t ms = retry_after_ms(resp, BN_PAUSE_DEFAULT_MS);
      cq_http_response_release(resp);
      int64_t now = cq__bn_now_ms(v);
      pthread_mutex_lock(&v->mu);
      if (now + ms > v->paused_until_ms)
        v->paused_until_ms = now + ms;
      pthread_mutex_unlock(&v->mu);
      if (v->log)
        CQ_LOG(v->log, CQ_LOG_WARN, "binance: rate limited", CQ_F_STR("path", r->path),
               CQ_F_I64("retry_after_ms", ms));
      /* a 429 is a refusal, so even an order may be sent again; but only a safe request is
       * resent here: the caller of a placement decides */
      if (r->safe && n429++ < BN_RETRY_429)
        continue; /* weight_acquire waits out the pause */
      if (ve)
        ve->retry_after_ms = ms;
      return cq__bn_fail(ve, CQ_VERR_RATE_LIMITED, code, st, "%s %s: %s (retry after %" PRId64 " ms)",
                         r->method, r->path, msg, ms);
    }
    cq_verr cls = classify(code, st, msg, r->order);
    cq_http_response_release(resp);
    if (cls == CQ_VERR_TIMESTAMP && r->sign && !resynced) {
      /* the request was refused, so sending it again with a fresh offset is safe */
      resynced = true;
      if ((rc = time_sync(v, ve)) < 0)
        return rc;
      continue;
    }
    if (cls == CQ_VERR_UNAVAILABLE && r->safe && n5xx++ < BN_RETRY_5XX) {
      cq__bn_sleep_ms(100LL << n5xx);
      continue;
    }
    return cq__bn_fail(ve, cls, code, st, "%s %s: HTTP %d, code %d: %s%s", r->method, r->path,
                       st, code, msg,
                       cls == CQ_VERR_UNKNOWN_OUTCOME ? ": the order may or may not exist" : "");
  }
}

static int time_sync(bn_venue *v, cq_verror *ve) {
  bn_req r = {.method = "GET", .path = "/api/v3/time", .weight = 1, .safe = true};
  cq_http_response resp;
  int64_t t0 = cq__bn_now_ms(v);
  int rc = cq__bn_call(v, &r, &resp, ve);
  if (rc < 0)
    return rc;
  int64_t t1 = cq__bn_now_ms(v);
  json_error_t je;
  json_t *root = json_loadb(resp.body, resp.body_len, 0, &je);
  json_t *st = root ? json_object_get(root, "serverTime") : NULL;
  if (!json_is_integer(st)) {
    json_decref(root);
    cq_http_response_release(&resp);
    return cq__bn_fail(ve, CQ_VERR_PROTOCOL, 0, 200, "GET /api/v3/time: no serverTime in the answer");
  }
  int64_t server = (int64_t)json_integer_value(st);
  json_decref(root);
  cq_http_response_release(&resp);
  pthread_mutex_lock(&v->mu);
  v->offset_ms = server - (t0 + t1) / 2;
  v->offset_known = true;
  pthread_mutex_unlock(&v->mu);
  return 0;
}

int cq__bn_time_sync(bn_venue *v, cq_verror *ve) { return time_sync(v, ve); }
