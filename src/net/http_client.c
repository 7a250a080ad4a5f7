/* The HTTP client: one libcurl easy handle per client, kept alive across requests, with
 * timeouts, retries for idempotent requests only, a body cap and a fault hook. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cquant/core/rng.h"
#include "cquant/net.h"

enum {
  HTTP_HEADERS_MAX = 64 * 1024, /* response header block cap */
  HTTP_DEFAULT_CONNECT_MS = 5000,
  HTTP_DEFAULT_TIMEOUT_MS = 10000,
  HTTP_DEFAULT_BACKOFF_BASE_MS = 100,
  HTTP_DEFAULT_BACKOFF_MAX_MS = 10000,
};
#define HTTP_DEFAULT_MAX_BODY ((size_t)64 * 1024 * 1024)

struct cq_http_client {
  CURL *h;
  cq_http_options o;
  char *proxy;
  char *user_agent;
  cq_rng rng;
  cq_clock clock;
  uint64_t requests, attempts, connects;
  char errbuf[CURL_ERROR_SIZE];
};

/* Growing buffer with a hard cap; `over` records that the cap was hit. */
typedef struct http_buf {
  char *data;
  size_t len, cap, max;
  bool over, nomem;
} http_buf;

static int buf_append(http_buf *b, const char *p, size_t n) {
  if (n > b->max - b->len) {
    b->over = true;
    return -1;
  }
  if (b->len + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap : 1024;
    while (nc < b->len + n + 1) nc *= 2;
    if (nc > b->max + 1) nc = b->max + 1;
    char *d = realloc(b->data, nc);
    if (!d) {
      b->nomem = true;
      return -1;
    }
    b->data = d;
    b->cap = nc;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud) {
  size_t n = size * nmemb;
  return buf_append(ud, p, n) ? 0 : n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud) {
  http_buf *b = ud;
  size_t n = size * nmemb;
  /* A new status line starts a new response (after a 100 Continue or a redirect): keep
   * only the last response's headers. */
  if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
    b->len = 0;
    if (b->data) b->data[0] = '\0';
    return n;
  }
  if (n == 2 && p[0] == '\r' && p[1] == '\n') return n;
  return buf_append(b, p, n) ? 0 : n;
}

static void curl_init_once(void) {
  /* The result is checked by curl_easy_init failing afterwards. */
  (void)curl_global_init(CURL_GLOBAL_DEFAULT);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

void cq_http_options_default(cq_http_options *o) {
  memset(o, 0, sizeof *o);
  o->connect_timeout_ms = HTTP_DEFAULT_CONNECT_MS;
  o->timeout_ms = HTTP_DEFAULT_TIMEOUT_MS;
  o->max_retries = 3;
  o->backoff_base_ms = 200;
  o->backoff_max_ms = 5000;
  o->max_body = HTTP_DEFAULT_MAX_BODY;
  o->seed = 0x6371756e74ULL;
}

static char *dup_or_null(const char *s, bool *fail) {
  if (!s) return NULL;
  char *d = strdup(s);
  if (!d) *fail = true;
  return d;
}

int cq_http_client_new(const cq_http_options *o, cq_http_client **out, cq_error *err) {
  *out = NULL;
  cq_http_options def;
  if (!o) {
    cq_http_options_default(&def);
    o = &def;
  }
  if (o->max_retries < 0 || o->connect_timeout_ms < 0 || o->timeout_ms < 0 ||
      o->backoff_base_ms < 0 || o->backoff_max_ms < 0)
    return cq_error_set(err, CQ_EINVAL, "http client: negative timeout, retry or backoff");
  if (pthread_once(&curl_once, curl_init_once) != 0)
    return cq_error_set(err, CQ_EINTERNAL, "http client: curl_global_init once failed");
  cq_http_client *c = calloc(1, sizeof *c);
  if (!c) return cq_error_set(err, CQ_ENOMEM, "http client");
  c->o = *o;
  if (!c->o.connect_timeout_ms) c->o.connect_timeout_ms = HTTP_DEFAULT_CONNECT_MS;
  if (!c->o.timeout_ms) c->o.timeout_ms = HTTP_DEFAULT_TIMEOUT_MS;
  if (!c->o.backoff_base_ms) c->o.backoff_base_ms = HTTP_DEFAULT_BACKOFF_BASE_MS;
  if (!c->o.backoff_max_ms) c->o.backoff_max_ms = HTTP_DEFAULT_BACKOFF_MAX_MS;
  if (!c->o.max_body) c->o.max_body = HTTP_DEFAULT_MAX_BODY;
  bool fail = false;
  c->proxy = dup_or_null(o->proxy, &fail);
  c->user_agent = dup_or_null(o->user_agent ? o->user_agent : "cquant/" CQ_NET_VERSION, &fail);
  c->o.proxy = c->proxy;
  c->o.user_agent = c->user_agent;
  cq_rng_seed(&c->rng, o->seed);
  cq_clock_wall_init(&c->clock);
  c->h = fail ? NULL : curl_easy_init();
  if (!c->h) {
    cq_http_client_free(c);
    return cq_error_set(err, fail ? CQ_ENOMEM : CQ_EINTERNAL, "http client: curl_easy_init");
  }
  *out = c;
  return 0;
}

void cq_http_client_free(cq_http_client *c) {
  if (!c) return;
  if (c->h) curl_easy_cleanup(c->h);
  free(c->proxy);
  free(c->user_agent);
  free(c);
}

void cq_http_client_stats(const cq_http_client *c, cq_http_stats *out) {
  memset(out, 0, sizeof *out);
  if (!c) return;
  out->requests = c->requests;
  out->attempts = c->attempts;
  out->connects = c->connects;
}

void cq_http_response_release(cq_http_response *r) {
  if (!r) return;
  free(r->body);
  free(r->headers);
  r->body = r->headers = NULL;
  r->body_len = r->headers_len = 0;
}

const char *cq_http_header(const cq_http_response *r, const char *name, char *buf, size_t n) {
  if (!r || !r->headers || !name || !buf || n == 0) return NULL;
  size_t nl = strlen(name);
  const char *p = r->headers, *end = r->headers + r->headers_len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *le = eol ? eol : end;
    if ((size_t)(le - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
      const char *v = p + nl + 1;
      while (v < le && (*v == ' ' || *v == '\t')) v++;
      const char *ve = le;
      while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
      size_t vl = (size_t)(ve - v);
      if (vl >= n) vl = n - 1;
      memcpy(buf, v, vl);
      buf[vl] = '\0';
      return buf;
    }
    if (!eol) break;
    p = eol + 1;
  }
  return NULL;
}

static void sleep_ms(int ms) {
  if (ms <= 0) return;
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

/* Retry k (0-based) waits base * 2^k, capped, times a jitter in [0.5, 1). */
static int backoff_ms(cq_http_client *c, int k) {
  int64_t w = c->o.backoff_base_ms;
  for (int i = 0; i < k && w < c->o.backoff_max_ms; i++) w *= 2;
  if (w > c->o.backoff_max_ms) w = c->o.backoff_max_ms;
  double j = 0.5 + 0.5 * cq_rng_uniform(&c->rng);
  return (int)((double)w * j);
}

static int url_shown(const char *url) {
  size_t n = strcspn(url, "?");
  return n > 512 ? 512 : (int)n;
}

static bool method_is(const char *m, const char *want) {
  return strcasecmp(m, want) == 0;
}

/* One attempt on the network. Returns 0 with status filled, or a CQ_E code. */
static int attempt(cq_http_client *c, const cq_http_request *req, http_buf *body, http_buf *hdr,
                   int *status, cq_error *err) {
  CURL *h = c->h;
  /* curl_easy_reset keeps live connections, so keep-alive survives it. */
  curl_easy_reset(h);
  struct curl_slist *list = NULL, *t;
  if (req->headers) {
    for (const char *const *p = req->headers; *p; p++) {
      t = curl_slist_append(list, *p);
      if (!t) goto nomem;
      list = t;
    }
  }
  /* No 100-continue round trip for request bodies. */
  t = curl_slist_append(list, "Expect:");
  if (!t) goto nomem;
  list = t;

  const char *m = req->method ? req->method : "GET";
  /* Messages name the URL without its query, which may carry signatures. */
  int ul = url_shown(req->url);
  int timeout = req->timeout_ms > 0 ? req->timeout_ms : c->o.timeout_ms;
  CURLcode rc = CURLE_OK;
#define SET(opt, val) \
  if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val)
  SET(CURLOPT_URL, req->url);
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_HTTPHEADER, list);
  SET(CURLOPT_CONNECTTIMEOUT_MS, (long)c->o.connect_timeout_ms);
  SET(CURLOPT_TIMEOUT_MS, (long)timeout);
  SET(CURLOPT_WRITEFUNCTION, on_body);
  SET(CURLOPT_WRITEDATA, body);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, hdr);
  SET(CURLOPT_USERAGENT, c->user_agent);
  SET(CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
  SET(CURLOPT_ERRORBUFFER, c->errbuf);
  SET(CURLOPT_TCP_NODELAY, 1L);
  /* libcurl sends a request again by itself when a reused connection closes before any
   * answer; for a request that must not be sent twice (an order placement: not idempotent,
   * and not a GET or HEAD) only a fresh connection rules that out. */
  bool once = !req->idempotent && !method_is(m, "GET") && !method_is(m, "HEAD");
  SET(CURLOPT_FRESH_CONNECT, once ? 1L : 0L);
  SET(CURLOPT_ACCEPT_ENCODING, "");
  if (c->proxy) SET(CURLOPT_PROXY, c->proxy);
  if (method_is(m, "GET") && !req->body) {
    SET(CURLOPT_HTTPGET, 1L);
  } else {
    if (!method_is(m, "POST")) SET(CURLOPT_CUSTOMREQUEST, m);
    if (method_is(m, "HEAD")) {
      SET(CURLOPT_NOBODY, 1L);
    } else if (req->body || !method_is(m, "GET")) {
      SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
      SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
    }
  }
#undef SET
  if (rc != CURLE_OK) {
    curl_slist_free_all(list);
    curl_easy_reset(h);
    return cq_error_set(err, CQ_EINVAL, "http %s %.*s: %s", m, ul, req->url,
                        curl_easy_strerror(rc));
  }
  c->errbuf[0] = '\0';
  rc = curl_easy_perform(h);
  long code = 0, nconn = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nconn);
  c->connects += (uint64_t)(nconn > 0 ? nconn : 0);
  /* The header list and the caller's body: nothing may point at them once this returns. */
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
  curl_slist_free_all(list);
  *status = (int)code;
  if (rc == CURLE_OK) return 0;
  const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
  if (body->nomem || hdr->nomem)
    return cq_error_set(err, CQ_ENOMEM, "http %s %.*s", m, ul, req->url);
  if (body->over)
    return cq_error_set(err, CQ_ELIMIT, "http %s %.*s: response body over %zu bytes", m, ul,
                        req->url, body->max);
  if (hdr->over)
    return cq_error_set(err, CQ_ELIMIT, "http %s %.*s: response headers over %d bytes", m, ul,
                        req->url, HTTP_HEADERS_MAX);
  *status = 0;
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return cq_error_set(err, CQ_ETIMEOUT, "http %s %.*s: %s", m, ul, req->url, why);
  if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
    return cq_error_set(err, CQ_EINVAL, "http %s %.*s: %s", m, ul, req->url, why);
  return cq_error_set(err, CQ_ENET, "http %s %.*s: %s", m, ul, req->url, why);
nomem:
  curl_slist_free_all(list);
  return cq_error_set(err, CQ_ENOMEM, "http request headers");
}

static bool retryable_status(int s) {
  return s == 502 || s == 503 || s == 504;
}

int cq_http_do(cq_http_client *c, const cq_http_request *req, cq_http_response *resp,
               cq_error *err) {
  memset(resp, 0, sizeof *resp);
  if (!c || !req || !req->url)
    return cq_error_set(err, CQ_EINVAL, "http request: no client, request or URL");
  const char *m = req->method ? req->method : "GET";
  int64_t t0 = cq_clock_steady(&c->clock);
  int max_attempts = req->idempotent ? 1 + c->o.max_retries : 1;
  int rc = 0;
  c->requests++;
  http_buf body = {0}, hdr = {0};
  int hint_ms = 0; /* the server's Retry-After on a retried answer */
  for (int a = 0; a < max_attempts; a++) {
    if (a > 0) {
      int w = backoff_ms(c, a - 1);
      sleep_ms(w > hint_ms ? w : hint_ms);
      hint_ms = 0;
    }
    free(body.data);
    free(hdr.data);
    memset(&body, 0, sizeof body);
    memset(&hdr, 0, sizeof hdr);
    body.max = c->o.max_body;
    hdr.max = HTTP_HEADERS_MAX;
    resp->attempts = a + 1;
    c->attempts++;
    cq_http_fault f = {0};
    if (c->o.fault) c->o.fault(c->o.fault_ctx, req, a, &f);
    sleep_ms(f.delay_ms);
    int status = 0;
    if (f.timeout) {
      rc = cq_error_set(err, CQ_ETIMEOUT, "http %s %.*s: timed out (injected fault)", m,
                        url_shown(req->url), req->url);
    } else if (f.fail) {
      rc = cq_error_set(err, CQ_ENET, "http %s %.*s: connection reset (injected fault)", m,
                        url_shown(req->url), req->url);
    } else {
      rc = attempt(c, req, &body, &hdr, &status, err);
    }
    resp->status = status;
    if (rc == CQ_ETIMEOUT || rc == CQ_ENET) continue;
    if (rc < 0) break;
    if (retryable_status(status) && a + 1 < max_attempts) {
      /* Retry-After in seconds is honoured up to the longest backoff. */
      cq_http_response tmp = {.headers = hdr.data, .headers_len = hdr.len};
      char ra[32];
      if (cq_http_header(&tmp, "Retry-After", ra, sizeof ra)) {
        long secs = strtol(ra, NULL, 10);
        if (secs > 0) {
          int64_t ms = (int64_t)secs * 1000;
          hint_ms = (int)(ms < c->o.backoff_max_ms ? ms : c->o.backoff_max_ms);
        }
      }
      continue;
    }
    break;
  }
  resp->elapsed_ns = cq_clock_steady(&c->clock) - t0;
  if (rc < 0) {
    free(body.data);
    free(hdr.data);
    return rc;
  }
  if (!body.data) {
    body.data = calloc(1, 1);
    if (!body.data) {
      free(hdr.data);
      return cq_error_set(err, CQ_ENOMEM, "http response body");
    }
  }
  if (!hdr.data) {
    hdr.data = calloc(1, 1);
    if (!hdr.data) {
      free(body.data);
      return cq_error_set(err, CQ_ENOMEM, "http response headers");
    }
  }
  resp->body = body.data;
  resp->body_len = body.len;
  resp->headers = hdr.data;
  resp->headers_len = hdr.len;
  return 0;
}
