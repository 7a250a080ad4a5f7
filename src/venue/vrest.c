/* The REST machinery of the OKX and Bybit adapters (vrest.h). */
#include "vrest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
  VR_RETRY_LIMIT = 3, /* waits on a rate-limit refusal before a safe request gives up */
  VR_RETRY_5XX = 2    /* resends of a safe request answered 5xx */
};

void cq__vr_sleep_ms(int64_t ms) {
  if (ms <= 0) return;
  struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

int cq__vr_fail(const vr_core *c, cq_verror *ve, cq_verr cls, int venue_code, int http_status,
                const char *fmt, ...) {
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
  cq_error_set(&ve->e, code, "%s: %s", c->d->name, msg);
  return code;
}

/* ---- open and close ---------------------------------------------------------------------- */

static bool copy_url(char *dst, size_t n, const char *src) {
  size_t len = strlen(src);
  while (len > 0 && src[len - 1] == '/') len--;
  if (len == 0 || len >= n) return false;
  memcpy(dst, src, len);
  dst[len] = '\0';
  return true;
}

static bool key_ok(const char *s, size_t cap) {
  return s && *s && strlen(s) < cap;
}

static int init_fail(const vr_core *c, cq_verror *ve, int code, const char *what) {
  cq__vr_fail(c, ve, code == CQ_ENOMEM ? CQ_VERR_UNAVAILABLE : CQ_VERR_BAD_REQUEST, 0, 0,
              "open: %s", what);
  if (ve) ve->e.code = code;
  return code;
}

int cq__vr_init(vr_core *c, const vr_dialect *d, const cq_venue_config *cfg,
                const char *default_rest, bool need_passphrase, cq_verror *ve) {
  memset(c, 0, sizeof *c);
  c->d = d;
  if (!cfg) return init_fail(c, ve, CQ_EINVAL, "no configuration");
  if (!copy_url(c->rest_url, sizeof c->rest_url, cfg->rest_url ? cfg->rest_url : default_rest))
    return init_fail(c, ve, CQ_ECONFIG, "rest_url is empty or too long");
  if (cfg->api_key || cfg->api_secret || (need_passphrase && cfg->passphrase)) {
    if (!key_ok(cfg->api_key, sizeof c->api_key) ||
        !key_ok(cfg->api_secret, sizeof c->api_secret) ||
        (need_passphrase && !key_ok(cfg->passphrase, sizeof c->passphrase)))
      return init_fail(c, ve, CQ_ECONFIG,
                       need_passphrase
                           ? "api_key, api_secret and passphrase go together, each 1 to 127 "
                             "characters"
                           : "api_key and api_secret go together, each 1 to 127 characters");
    snprintf(c->api_key, sizeof c->api_key, "%s", cfg->api_key);
    snprintf(c->api_secret, sizeof c->api_secret, "%s", cfg->api_secret);
    if (need_passphrase) snprintf(c->passphrase, sizeof c->passphrase, "%s", cfg->passphrase);
    c->has_keys = true;
  }
  c->recv_window_ms = cfg->recv_window_ms > 0 ? cfg->recv_window_ms : 5000;
  if (c->recv_window_ms > 60000) c->recv_window_ms = 60000;
  double share = cfg->weight_share > 0 && cfg->weight_share <= 1 ? cfg->weight_share : 0.8;
  c->http = cfg->http;
  c->log = cfg->log;
  cq_clock_wall_init(&c->clock);
  cq_error e;
  cq_error_clear(&e);
  cq_rl_window w[2];
  size_t nw = 0;
  w[nw++] = (cq_rl_window){CQ_RL_WEIGHT, d->ip_interval_ms * CQ_NS_PER_MS, d->ip_limit};
  if (d->order_limit > 0)
    w[nw++] = (cq_rl_window){CQ_RL_ORDERS, d->order_interval_ms * CQ_NS_PER_MS, d->order_limit};
  if (cq_rl_new(w, nw, share, NULL, &c->ip, &e) < 0) return init_fail(c, ve, e.code, e.msg);
  for (size_t i = 0; i < d->nlimits && i < VR_MAX_ENDPOINTS; i++) {
    cq_rl_window ew = {CQ_RL_WEIGHT, d->limits[i].interval_ms * CQ_NS_PER_MS, d->limits[i].limit};
    if (cq_rl_new(&ew, 1, share, NULL, &c->ep[i], &e) < 0) {
      cq__vr_release(c);
      return init_fail(c, ve, e.code, e.msg);
    }
  }
  if (pthread_mutex_init(&c->mu, NULL) != 0) {
    for (size_t i = 0; i < VR_MAX_ENDPOINTS; i++) cq_rl_free(c->ep[i]);
    cq_rl_free(c->ip);
    return init_fail(c, ve, CQ_ENOMEM, "no mutex");
  }
  return 0;
}

void cq__vr_release(vr_core *c) {
  for (size_t i = 0; i < c->npool; i++) cq_http_client_free(c->pool[i]);
  c->npool = 0;
  for (size_t i = 0; i < VR_MAX_ENDPOINTS; i++) {
    cq_rl_free(c->ep[i]);
    c->ep[i] = NULL;
  }
  cq_rl_free(c->ip);
  c->ip = NULL;
  /* the secrets do not outlive the handle in freed memory */
  memset(c->api_secret, 0, sizeof c->api_secret);
  memset(c->passphrase, 0, sizeof c->passphrase);
}

/* ---- time -------------------------------------------------------------------------------- */

int64_t cq__vr_now_ms(vr_core *c) {
  return cq_clock_now(&c->clock) / CQ_NS_PER_MS;
}

int64_t cq__vr_server_now_ms(vr_core *c) {
  pthread_mutex_lock(&c->mu);
  int64_t off = c->offset_ms;
  pthread_mutex_unlock(&c->mu);
  return cq__vr_now_ms(c) + off;
}

int cq__vr_time_sync(vr_core *c, cq_verror *ve) {
  vr_req r = {.method = "GET", .path = c->d->time_path, .safe = true};
  cq_http_response resp;
  int64_t t0 = cq__vr_now_ms(c);
  int rc = cq__vr_call(c, &r, &resp, ve);
  if (rc < 0) return rc;
  int64_t t1 = cq__vr_now_ms(c);
  int64_t server = 0;
  cq_error e;
  cq_error_clear(&e);
  rc = c->d->parse_time(resp.body, resp.body_len, &server, &e);
  cq_http_response_release(&resp);
  if (rc < 0)
    return cq__vr_fail(c, ve, CQ_VERR_PROTOCOL, 0, 200, "GET %s: %s", c->d->time_path, e.msg);
  pthread_mutex_lock(&c->mu);
  c->offset_ms = server - (t0 + t1) / 2;
  c->offset_known = true;
  pthread_mutex_unlock(&c->mu);
  return 0;
}

int cq__vr_ensure_time(vr_core *c, cq_verror *ve) {
  pthread_mutex_lock(&c->mu);
  bool known = c->offset_known;
  pthread_mutex_unlock(&c->mu);
  return known ? 0 : cq__vr_time_sync(c, ve);
}

/* ---- one call ---------------------------------------------------------------------------- */

static int client_take(vr_core *c, cq_http_client **out, cq_verror *ve) {
  pthread_mutex_lock(&c->mu);
  cq_http_client *h = c->npool ? c->pool[--c->npool] : NULL;
  pthread_mutex_unlock(&c->mu);
  if (!h) {
    cq_error e;
    cq_error_clear(&e);
    if (cq_http_client_new(&c->http, &h, &e) < 0)
      return cq__vr_fail(c, ve, CQ_VERR_UNAVAILABLE, 0, 0, "HTTP client: %s", e.msg);
  }
  *out = h;
  return 0;
}

static void client_give(vr_core *c, cq_http_client *h) {
  pthread_mutex_lock(&c->mu);
  if (c->npool < VR_POOL_MAX) {
    c->pool[c->npool++] = h;
    h = NULL;
  }
  pthread_mutex_unlock(&c->mu);
  cq_http_client_free(h);
}

/* The endpoint's own limiter, NULL when it has none. */
static cq_ratelimit *endpoint_rl(const vr_core *c, const char *path) {
  for (size_t i = 0; i < c->d->nlimits && i < VR_MAX_ENDPOINTS; i++)
    if (strcmp(c->d->limits[i].path, path) == 0) return c->ep[i];
  return NULL;
}

static int limiter_fail(const vr_core *c, const cq_verror *rv, cq_verror *ve) {
  if (rv->cls == CQ_VERR_BANNED) {
    if (ve) ve->retry_after_ms = rv->retry_after_ms;
    return cq__vr_fail(c, ve, CQ_VERR_BANNED, rv->venue_code, 403,
                       "the venue stopped us for %" PRId64 " s more; nothing is sent until then",
                       (rv->retry_after_ms + 999) / 1000);
  }
  if (ve) *ve = *rv;
  return rv->e.code ? rv->e.code : CQ_ELIMIT;
}

static int send_once(vr_core *c, const vr_req *r, cq_http_response *resp, cq_verror *ve) {
  memset(resp, 0, sizeof *resp);
  if (r->sign && !c->has_keys)
    return cq__vr_fail(c, ve, CQ_VERR_AUTH, 0, 0, "%s needs API keys", r->path);
  cq_verror rv;
  cq_verror_clear(&rv);
  int rc = cq_rl_acquire(c->ip, 1, r->order ? 1 : 0, &rv);
  if (rc < 0) return limiter_fail(c, &rv, ve);
  cq_ratelimit *ep = endpoint_rl(c, r->path);
  if (ep && cq_rl_acquire(ep, 1, 0, &rv) < 0) return limiter_fail(c, &rv, ve);
  const char *q = r->query ? r->query : "";
  char url[VR_URL_MAX + VR_QUERY_MAX + 8];
  int len = snprintf(url, sizeof url, "%s%s%s%s", c->rest_url, r->path, *q ? "?" : "", q);
  if (len < 0 || (size_t)len >= sizeof url)
    return cq__vr_fail(c, ve, CQ_VERR_BAD_REQUEST, 0, 0, "%s: URL too long", r->path);
  char hdr[VR_HDR_MAX + 1][VR_HDR_LEN];
  const char *lines[VR_HDR_MAX + 2];
  size_t nh = 0;
  if (r->sign) {
    cq_error e;
    cq_error_clear(&e);
    if (c->d->sign(c, r, cq__vr_server_now_ms(c), hdr, &nh, &e) < 0)
      return cq__vr_fail(c, ve, CQ_VERR_AUTH, 0, 0, "%s: signing failed: %s", r->path, e.msg);
  }
  size_t nl = 0;
  for (size_t i = 0; i < nh && i < VR_HDR_MAX; i++) lines[nl++] = hdr[i];
  if (r->body) lines[nl++] = "Content-Type: application/json";
  lines[nl] = NULL;
  cq_http_request req = {
      .method = r->method,
      .url = url,
      .headers = nl ? lines : NULL,
      .body = r->body,
      .body_len = r->body ? strlen(r->body) : 0,
      .idempotent = r->safe,
  };
  cq_http_client *h = NULL;
  if ((rc = client_take(c, &h, ve)) < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_http_do(h, &req, resp, &e);
  client_give(c, h);
  if (rc == CQ_ELIMIT) {
    cq_http_response_release(resp);
    return cq__vr_fail(c, ve, CQ_VERR_PROTOCOL, 0, 0, "%s %s: %s", r->method, r->path, e.msg);
  }
  if (rc < 0) {
    int attempts = resp->attempts;
    cq_http_response_release(resp);
    if (r->order)
      return cq__vr_fail(c, ve, CQ_VERR_UNKNOWN_OUTCOME, 0, 0,
                         "%s %s: no answer (%s): the order may or may not exist", r->method,
                         r->path, e.msg);
    return cq__vr_fail(c, ve, CQ_VERR_UNAVAILABLE, 0, 0, "%s %s: no answer after %d attempt%s (%s)",
                       r->method, r->path, attempts, attempts == 1 ? "" : "s", e.msg);
  }
  return 0;
}

/* Retry-After in seconds; 0 when absent or unreadable (the limiter then uses its floor). */
static int64_t retry_after_s(const cq_http_response *resp) {
  char buf[32];
  if (!cq_http_header(resp, "Retry-After", buf, sizeof buf)) return 0;
  char *end;
  long long v = strtoll(buf, &end, 10);
  if (end == buf || v < 0 || v > 3600) return 0;
  return v;
}

/* The class of a refusal for this request: a 5xx or a "busy, maybe done" code leaves an
 * order's outcome unknown but only means "not now" for anything else. */
static cq_verr refine(const vr_req *r, int status, cq_verr cls) {
  if (cls == CQ_VERR_RATE_LIMITED || cls == CQ_VERR_BANNED) return cls;
  if (status >= 500 || cls == CQ_VERR_UNKNOWN_OUTCOME)
    return r->order ? CQ_VERR_UNKNOWN_OUTCOME : CQ_VERR_UNAVAILABLE;
  return cls;
}

int cq__vr_call(vr_core *c, const vr_req *r, cq_http_response *resp, cq_verror *ve) {
  int nlimit = 0, n5xx = 0;
  bool resynced = false;
  cq_verror scratch;
  if (!ve) ve = &scratch;
  /* a signature carries the venue's time: know the offset before the first one */
  if (r->sign && c->has_keys) {
    int rc = cq__vr_ensure_time(c, ve);
    if (rc < 0) return rc;
  }
  for (;;) {
    int rc = send_once(c, r, resp, ve);
    if (rc < 0) return rc;
    int st = resp->status;
    int64_t ra = retry_after_s(resp);
    cq_verror_clear(ve);
    rc = c->d->judge(st, resp->body ? resp->body : "", resp->body_len, ve);
    if (rc == 0 && st >= 200 && st < 300) return 0;
    cq_http_response_release(resp);
    if (rc == 0) /* an error status the judge let through: read as the status says */
      cq__vr_fail(c, ve, st >= 500 ? CQ_VERR_UNAVAILABLE : CQ_VERR_BAD_REQUEST, 0, st, "HTTP %d",
                  st);
    cq_verr cls = refine(r, st, ve->cls);
    if (cls != ve->cls) {
      ve->cls = cls;
      ve->e.code = cq_verr_code(cls);
    }
    if (cls == CQ_VERR_BANNED) {
      int64_t ms = ve->retry_after_ms > 0 ? ve->retry_after_ms : 600000;
      cq_rl_on_418(c->ip, (ms + 999) / 1000);
      if (c->log)
        CQ_LOG(c->log, CQ_LOG_ERROR, "venue: banned", CQ_F_STR("venue", c->d->name),
               CQ_F_I64("retry_after_s", (ms + 999) / 1000), CQ_F_STR("msg", ve->e.msg));
      ve->retry_after_ms = ms;
      cq_error_prefix(&ve->e, "%s %s: ", r->method, r->path);
      return ve->e.code;
    }
    if (cls == CQ_VERR_RATE_LIMITED) {
      /* the venue counts per endpoint (OKX) or per IP (Bybit): pause where it counts */
      cq_ratelimit *ep = endpoint_rl(c, r->path);
      cq_rl_on_429(ep ? ep : c->ip, ra > 0 ? ra : 1);
      if (c->log)
        CQ_LOG(c->log, CQ_LOG_WARN, "venue: rate limited", CQ_F_STR("venue", c->d->name),
               CQ_F_STR("path", r->path));
      if (r->safe && nlimit++ < VR_RETRY_LIMIT) continue; /* acquire waits out the pause */
      ve->retry_after_ms = (ra > 0 ? ra : 1) * 1000;
      cq_error_prefix(&ve->e, "%s %s: ", r->method, r->path);
      return ve->e.code;
    }
    if (cls == CQ_VERR_TIMESTAMP && r->sign && !resynced) {
      /* refused for its time, so sending it again with a fresh offset is safe */
      resynced = true;
      if (c->log)
        cq_logf(c->log, CQ_LOG_WARN, "%s: %s refused for its timestamp; resyncing the clock",
                c->d->name, r->path);
      if ((rc = cq__vr_time_sync(c, ve)) < 0) return rc;
      continue;
    }
    if (cls == CQ_VERR_UNAVAILABLE && r->safe && n5xx++ < VR_RETRY_5XX) {
      cq__vr_sleep_ms(100LL << n5xx);
      continue;
    }
    if (cls == CQ_VERR_UNKNOWN_OUTCOME)
      cq_error_prefix(&ve->e, "%s %s: the order may or may not exist: ", r->method, r->path);
    else
      cq_error_prefix(&ve->e, "%s %s: ", r->method, r->path);
    return ve->e.code;
  }
}

/* ---- candle pages ------------------------------------------------------------------------ */

cq_time cq__vr_window_end(cq_timeframe tf, cq_time from, cq_time to, int limit) {
  int64_t bar = cq_timeframe_ns(tf);
  if (bar <= 0) bar = 28 * CQ_NS_PER_DAY; /* months: the shortest keeps a window <= limit */
  cq_time end = from + bar * (int64_t)limit;
  if (to > 0 && to < end) end = to;
  return end;
}

void cq__vr_mark_closed(cq_candles *out, size_t from_row, cq_timeframe tf, cq_time now) {
  for (size_t i = from_row; i < out->len; i++)
    out->closed[i] = cq_timeframe_next(tf, out->open_time[i]) <= now;
}

int cq__vr_recover(vr_core *c, vr_query_fn query, void *venue, const cq_venue_order_req *req,
                   const char *native, const cq_verror *first, cq_venue_order *out, cq_verror *ve) {
  if (c->log) {
    char msg[64];
    snprintf(msg, sizeof msg, "%s: order outcome unknown, querying", c->d->name);
    CQ_LOG(c->log, CQ_LOG_WARN, msg, CQ_F_STR("client_id", req->client_id),
           CQ_F_STR("why", first->e.msg));
  }
  cq_verror qe;
  cq_verror_clear(&qe);
  for (int k = 0; k < VR_RECOVER_TRIES; k++) {
    cq__vr_sleep_ms((int64_t)VR_RECOVER_BASE_MS << k);
    cq_verror_clear(&qe);
    if (query(venue, req->symbol, native, req->client_id, out, &qe) == 0) {
      cq_verror_clear(ve);
      return 0;
    }
    if (qe.cls == CQ_VERR_BANNED || qe.cls == CQ_VERR_AUTH) break;
    /* not found on the last try only: an order in flight may not show at once */
    if (qe.cls == CQ_VERR_NOT_FOUND && k == VR_RECOVER_TRIES - 1)
      return cq__vr_fail(c, ve, CQ_VERR_NOT_FOUND, qe.venue_code, qe.http_status,
                         "order %s was never placed (%s); it may be sent again with the same "
                         "client id",
                         req->client_id, first->e.msg);
  }
  return cq__vr_fail(c, ve, CQ_VERR_UNKNOWN_OUTCOME, first->venue_code, first->http_status,
                     "order %s: outcome still unknown (%s; lookup: %s): query it before anything "
                     "else",
                     req->client_id, first->e.msg, qe.e.msg);
}

int cq__vr_cancel_settle(vr_query_fn query, void *venue, const char *unified, const char *native,
                         const char *client_id, int rc, const cq_verror *ce, cq_venue_order *out,
                         cq_verror *ve) {
  if (rc == 0 || (ce->cls != CQ_VERR_REJECTED && ce->cls != CQ_VERR_NOT_FOUND)) {
    if (ve) *ve = *ce;
    return rc;
  }
  cq_venue_order o;
  memset(&o, 0, sizeof o);
  cq_verror qe;
  cq_verror_clear(&qe);
  if (native && query(venue, unified, native, client_id, &o, &qe) == 0 &&
      cq_order_state_terminal(o.state)) {
    if (out) *out = o;
    cq_verror_clear(ve);
    return 0;
  }
  if (ve) *ve = *ce;
  return rc;
}

void cq__vr_order_from_req(const cq_venue_order_req *req, const char *venue_id, cq_venue_order *o) {
  memset(o, 0, sizeof *o);
  snprintf(o->symbol, sizeof o->symbol, "%s", req->symbol);
  snprintf(o->client_id, sizeof o->client_id, "%s", req->client_id);
  snprintf(o->venue_id, sizeof o->venue_id, "%s", venue_id);
  o->side = req->side;
  o->type = req->type;
  o->tif = req->tif;
  o->state = CQ_OS_ACCEPTED;
  o->qty = req->qty;
  o->price = req->price;
  o->stop = req->stop;
}
