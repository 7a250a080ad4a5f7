/* The OKX spot adapter (API v5): REST over vrest.h with OKX's signature headers, its
 * per-endpoint limits and its error codes, and the operations table cq_venue_okx_ops.
 *
 * Candles: OKX pages newest first (`after`: rows older than, `before`: rows newer than), and
 * serves only the latest 1440 bars on market/candles; older ones come from
 * market/history-candles. A page here is the window [from, from + limit bars) cut at `to`,
 * asked with both bounds so its rows are exactly that window's, returned oldest first and
 * closed only once open + tf <= the venue's now (OKX's own `confirm` is not enough: a
 * simulator or a late row could say 1 early).
 *
 * Orders: OKX acknowledges a placement or a cancel with ids only, so the order's state comes
 * from a query by clOrdId right after. A placement is never sent twice: when its outcome is
 * unknown the order is looked up by clOrdId until OKX says it exists or never did. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "okx.h"
#include "okx_adapter.h"
#include "vrest.h"

static const char OKX_REST_DEFAULT[] = "https://www.okx.com";
static const char OKX_WS_DEFAULT[] = "wss://ws.okx.com:8443";

enum {
  OKX_CANDLES_LIMIT = 300, /* market/candles page */
  OKX_HISTORY_LIMIT = 100, /* market/history-candles page */
  OKX_RECENT_BARS = 1440,  /* bars market/candles still serves */
  OKX_EMPTY_WINDOWS = 64,  /* empty windows skipped in one candles call */
};

/* ---- the dialect ------------------------------------------------------------------------- */

/* OKX's published limits (requests per 2 s, per endpoint; the order endpoints count per
 * instrument, which one count per endpoint bounds from above). */
static const vr_limit okx_limits[] = {
    {"/api/v5/public/time", 2000, 10},          {"/api/v5/public/instruments", 2000, 20},
    {"/api/v5/market/candles", 2000, 40},       {"/api/v5/market/history-candles", 2000, 20},
    {"/api/v5/market/trades", 2000, 100},       {"/api/v5/market/books", 2000, 40},
    {"/api/v5/trade/order", 2000, 60},          {"/api/v5/trade/cancel-order", 2000, 60},
    {"/api/v5/trade/orders-pending", 2000, 60}, {"/api/v5/trade/fills", 2000, 60},
    {"/api/v5/account/balance", 2000, 10},
};

static int okx_sign_headers(const vr_core *c, const vr_req *r, int64_t now_ms,
                            char hdr[VR_HDR_MAX][VR_HDR_LEN], size_t *n, cq_error *err) {
  char ts[32];
  cq_okx_timestamp(now_ms * CQ_NS_PER_MS, ts);
  /* the signed path carries the query, as OKX receives it */
  char path[VR_URL_MAX + VR_QUERY_MAX];
  const char *q = r->query ? r->query : "";
  snprintf(path, sizeof path, "%s%s%s", r->path, *q ? "?" : "", q);
  char sig[45];
  int rc = cq_okx_sign(c->api_secret, ts, r->method, path, r->body, sig, err);
  if (rc < 0) return rc;
  snprintf(hdr[0], VR_HDR_LEN, "OK-ACCESS-KEY: %s", c->api_key);
  snprintf(hdr[1], VR_HDR_LEN, "OK-ACCESS-SIGN: %s", sig);
  snprintf(hdr[2], VR_HDR_LEN, "OK-ACCESS-TIMESTAMP: %s", ts);
  snprintf(hdr[3], VR_HDR_LEN, "OK-ACCESS-PASSPHRASE: %s", c->passphrase);
  *n = 4;
  return 0;
}

/* Success is HTTP 2xx with the envelope's code "0" (or a body without an envelope). */
static int okx_judge(int status, const char *body, size_t len, cq_verror *ve) {
  if (status >= 200 && status < 300) {
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    json_t *code = json_is_object(j) ? json_object_get(j, "code") : NULL;
    bool ok = j && (!code || (json_is_string(code) && strcmp(json_string_value(code), "0") == 0) ||
                    (json_is_integer(code) && json_integer_value(code) == 0));
    json_decref(j);
    if (ok) return 0;
  }
  return cq_okx_decode_error(status, body, len, ve);
}

static int okx_parse_time(const char *body, size_t len, int64_t *ms, cq_error *err) {
  json_error_t je;
  json_t *j = json_loadb(body, len, 0, &je);
  json_t *ts = json_object_get(json_array_get(json_object_get(j, "data"), 0), "ts");
  const char *s = json_is_string(ts) ? json_string_value(ts) : NULL;
  char *end = NULL;
  long long v = s ? strtoll(s, &end, 10) : 0;
  bool ok = s && end != s && *end == '\0' && v > 0;
  json_decref(j);
  if (!ok) return cq_error_set(err, CQ_EPARSE, "no data[0].ts in the time answer");
  *ms = v;
  return 0;
}

static const vr_dialect okx_dialect = {
    .name = "okx",
    .sign = okx_sign_headers,
    .judge = okx_judge,
    .time_path = "/api/v5/public/time",
    .parse_time = okx_parse_time,
    .ip_interval_ms = 2000,
    .ip_limit = 600, /* no published IP-wide limit: a ceiling well above the endpoints' */
    .order_interval_ms = 2000,
    .order_limit = 60,
    .limits = okx_limits,
    .nlimits = sizeof okx_limits / sizeof okx_limits[0],
};

/* ---- helpers ----------------------------------------------------------------------------- */

#define V(base) ((okx_venue *)(base))

static int protocol_fail(okx_venue *v, cq_verror *ve, const char *what, const cq_error *e) {
  return cq__vr_fail(&v->core, ve, CQ_VERR_PROTOCOL, 0, 200, "%s: %s%s%s", what, e->field,
                     *e->field ? ": " : "", e->msg);
}

static int native_of(okx_venue *v, const char *unified, char native[CQ_SYMBOL_MAX], cq_verror *ve) {
  cq_error e;
  cq_error_clear(&e);
  if (!unified || cq_okx_to_native(unified, native, &e) < 0)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "symbol \"%s\": %s",
                       unified ? unified : "(null)", e.msg);
  return 0;
}

/* ---- open, close, time ------------------------------------------------------------------- */

static int okx_open(const cq_venue_config *cfg, cq_venue **out, cq_verror *ve) {
  cq_verror_clear(ve);
  if (!out) return CQ_EINVAL;
  okx_venue *v = calloc(1, sizeof *v);
  if (!v) {
    if (ve) {
      ve->cls = CQ_VERR_UNAVAILABLE;
      cq_error_set(&ve->e, CQ_ENOMEM, "okx: open: out of memory");
    }
    return CQ_ENOMEM;
  }
  v->base.ops = &cq_venue_okx_ops;
  int rc = cq__vr_init(&v->core, &okx_dialect, cfg, OKX_REST_DEFAULT, true, ve);
  if (rc < 0) {
    free(v);
    return rc;
  }
  const char *ws = cfg->ws_url ? cfg->ws_url : OKX_WS_DEFAULT;
  size_t wl = strlen(ws);
  while (wl > 0 && ws[wl - 1] == '/') wl--;
  if (wl == 0 || wl >= sizeof v->ws_url) {
    (void)cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "open: ws_url is empty or too long");
    if (ve) ve->e.code = CQ_ECONFIG;
    cq__vr_release(&v->core);
    pthread_mutex_destroy(&v->core.mu);
    free(v);
    return CQ_ECONFIG;
  }
  memcpy(v->ws_url, ws, wl);
  v->ws = cfg->ws;
  v->ws.url = NULL;
  v->loop = cfg->loop;
  *out = &v->base;
  return 0;
}

static void okx_close(cq_venue *base) {
  if (!base) return;
  okx_venue *v = V(base);
  cq__vr_release(&v->core);
  pthread_mutex_destroy(&v->core.mu);
  free(v);
}

static int okx_server_time(cq_venue *base, cq_time *out, cq_verror *ve) {
  okx_venue *v = V(base);
  cq_verror_clear(ve);
  int rc = cq__vr_time_sync(&v->core, ve);
  if (rc < 0) return rc;
  *out = cq__vr_server_now_ms(&v->core) * CQ_NS_PER_MS;
  return 0;
}

/* ---- public REST ------------------------------------------------------------------------- */

static int okx_instruments(cq_venue *base, cq_instrument **out, size_t *n, cq_verror *ve) {
  okx_venue *v = V(base);
  cq_verror_clear(ve);
  *out = NULL;
  *n = 0;
  vr_req r = {.method = "GET",
              .path = "/api/v5/public/instruments",
              .query = "instType=SPOT",
              .safe = true};
  cq_http_response resp;
  int rc = cq__vr_call(&v->core, &r, &resp, ve);
  if (rc < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_okx_parse_instruments(resp.body, resp.body_len, out, n, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return protocol_fail(v, ve, "GET /api/v5/public/instruments", &e);
  return 0;
}

/* One window [from, end) of candles appended to out. */
static int candles_window(okx_venue *v, const char *native, cq_timeframe tf, cq_time from,
                          cq_time end, bool history, int limit, cq_candles *out, cq_verror *ve) {
  char q[256];
  cq_error e;
  cq_error_clear(&e);
  /* after: rows older than end; before: rows newer than from - 1 ms, i.e. from on */
  int64_t after_ms = (end + CQ_NS_PER_MS - 1) / CQ_NS_PER_MS;
  int64_t before_ms = from / CQ_NS_PER_MS - 1;
  if (before_ms < 0) before_ms = 0;
  if (cq_okx_candles_query(native, tf, after_ms, before_ms, limit, q, sizeof q, &e) < 0)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "candles: %s", e.msg);
  vr_req r = {.method = "GET",
              .path = history ? "/api/v5/market/history-candles" : "/api/v5/market/candles",
              .query = q,
              .safe = true};
  cq_http_response resp;
  int rc = cq__vr_call(&v->core, &r, &resp, ve);
  if (rc < 0) return rc;
  size_t before = out->len;
  rc = cq_okx_parse_candles(resp.body, resp.body_len, out, &e);
  cq_http_response_release(&resp);
  if (rc < 0) {
    out->len = before;
    return protocol_fail(v, ve, r.path, &e);
  }
  /* keep only the window (a venue may send more than asked) */
  size_t w = before;
  for (size_t i = before; i < out->len; i++) {
    if (out->open_time[i] < from || out->open_time[i] >= end) continue;
    if (w != i) {
      cq_candle k;
      cq_candles_get(out, i, &k);
      cq_candles_set(out, w, &k);
    }
    w++;
  }
  out->len = w;
  return 0;
}

static int okx_candles(cq_venue *base, const char *symbol, cq_timeframe tf, cq_time from,
                       cq_time to, cq_candles *out, cq_verror *ve) {
  okx_venue *v = V(base);
  cq_verror_clear(ve);
  char native[CQ_SYMBOL_MAX];
  int rc = native_of(v, symbol, native, ve);
  if (rc < 0) return rc;
  if (!cq_okx_bar_name(tf)) {
    char tfs[CQ_TF_STRMAX];
    cq_timeframe_format(tf, tfs, sizeof tfs);
    return cq__vr_fail(&v->core, ve, CQ_VERR_UNSUPPORTED, 0, 0, "candles: OKX has no %s bar", tfs);
  }
  if (to > 0 && to <= from)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0,
                       "candles: the end is not after the start");
  if ((rc = cq__vr_ensure_time(&v->core, ve)) < 0) return rc;
  cq_time now = cq__vr_server_now_ms(&v->core) * CQ_NS_PER_MS;
  int64_t bar = cq_timeframe_ns(tf);
  if (bar <= 0) bar = 28 * CQ_NS_PER_DAY;
  size_t start = out->len;
  if (from <= 0) {
    /* no start: the latest page before to */
    cq_time end = to > 0 ? to : now + bar;
    cq_time wfrom = end - bar * OKX_CANDLES_LIMIT;
    rc = candles_window(v, native, tf, wfrom > 0 ? wfrom : 0, end, false, OKX_CANDLES_LIMIT, out,
                        ve);
  } else {
    cq_time cursor = cq_timeframe_floor(tf, from);
    if (cursor < from) cursor = cq_timeframe_next(tf, cursor);
    for (int k = 0; k < OKX_EMPTY_WINDOWS; k++) {
      bool history = cursor < now - bar * (OKX_RECENT_BARS - OKX_CANDLES_LIMIT);
      int limit = history ? OKX_HISTORY_LIMIT : OKX_CANDLES_LIMIT;
      cq_time end = cq__vr_window_end(tf, cursor, to, limit);
      rc = candles_window(v, native, tf, cursor, end, history, limit, out, ve);
      if (rc < 0 || out->len > start) break;
      /* an empty window (before the listing, a long maintenance): the next one, until the
       * range or the present is reached */
      if ((to > 0 && end >= to) || end > now) break;
      cursor = end;
    }
  }
  if (rc < 0) {
    out->len = start;
    return rc;
  }
  cq__vr_mark_closed(out, start, tf, now);
  return 0;
}

static int okx_trades(cq_venue *base, const char *symbol, int64_t from_id, size_t limit,
                      cq_trades *out, cq_verror *ve) {
  okx_venue *v = V(base);
  cq_verror_clear(ve);
  char native[CQ_SYMBOL_MAX];
  int rc = native_of(v, symbol, native, ve);
  if (rc < 0) return rc;
  if (from_id >= 0)
    return cq__vr_fail(&v->core, ve, CQ_VERR_UNSUPPORTED, 0, 0,
                       "trades: OKX pages trades only backwards from an id; no trades from an id "
                       "on");
  if (limit == 0 || limit > 500) limit = limit ? 500 : 100;
  char q[192];
  cq_error e;
  cq_error_clear(&e);
  if (cq_okx_trades_query(native, -1, (int)limit, q, sizeof q, &e) < 0)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "trades: %s", e.msg);
  vr_req r = {.method = "GET", .path = "/api/v5/market/trades", .query = q, .safe = true};
  cq_http_response resp;
  if ((rc = cq__vr_call(&v->core, &r, &resp, ve)) < 0) return rc;
  size_t before = out->len;
  rc = cq_okx_parse_trades(resp.body, resp.body_len, out, &e);
  cq_http_response_release(&resp);
  if (rc < 0) {
    out->len = before;
    return protocol_fail(v, ve, r.path, &e);
  }
  return 0;
}

static int okx_depth(cq_venue *base, const char *symbol, int limit, cq_l2book *out, cq_verror *ve) {
  okx_venue *v = V(base);
  cq_verror_clear(ve);
  char native[CQ_SYMBOL_MAX];
  int rc = native_of(v, symbol, native, ve);
  if (rc < 0) return rc;
  if (limit <= 0) limit = 100;
  if (limit > 400) limit = 400;
  char q[128];
  cq_error e;
  cq_error_clear(&e);
  if (cq_okx_books_query(native, limit, q, sizeof q, &e) < 0)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "books: %s", e.msg);
  vr_req r = {.method = "GET", .path = "/api/v5/market/books", .query = q, .safe = true};
  cq_http_response resp;
  if ((rc = cq__vr_call(&v->core, &r, &resp, ve)) < 0) return rc;
  rc = cq_okx_parse_book(resp.body, resp.body_len, out, &e);
  cq_http_response_release(&resp);
  if (rc < 0) {
    cq_l2book_clear(out);
    return protocol_fail(v, ve, r.path, &e);
  }
  return 0;
}

/* ---- orders ------------------------------------------------------------------------------ */

/* GET trade/order by clOrdId into out (the symbol as the caller named it). */
static int query_order(okx_venue *v, const char *unified, const char *native, const char *client_id,
                       cq_venue_order *out, cq_verror *ve) {
  char q[256];
  cq_error e;
  cq_error_clear(&e);
  if (cq_okx_order_query(native, client_id, q, sizeof q, &e) < 0)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "query: %s", e.msg);
  vr_req r = {
      .method = "GET", .path = "/api/v5/trade/order", .query = q, .sign = true, .safe = true};
  cq_http_response resp;
  int rc = cq__vr_call(&v->core, &r, &resp, ve);
  if (rc < 0) return rc;
  cq_venue_order *os = NULL;
  size_t n = 0;
  rc = cq_okx_parse_orders(resp.body, resp.body_len, &os, &n, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return protocol_fail(v, ve, "GET /api/v5/trade/order", &e);
  if (n == 0) {
    free(os);
    return cq__vr_fail(&v->core, ve, CQ_VERR_NOT_FOUND, 51603, 200, "order %s does not exist",
                       client_id);
  }
  if (out) {
    *out = os[0];
    snprintf(out->symbol, sizeof out->symbol, "%s", unified);
  }
  free(os);
  return 0;
}

/* query_order as the shared recovery calls it. */
static int query_cb(void *venue, const char *unified, const char *native, const char *client_id,
                    cq_venue_order *out, cq_verror *ve) {
  return query_order(venue, unified, native, client_id, out, ve);
}

static int okx_place(cq_venue *base, const cq_venue_order_req *req, cq_venue_order *out,
                     cq_verror *ve) {
  okx_venue *v = V(base);
  cq_verror_clear(ve);
  if (!req) return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "place: no order");
  char native[CQ_SYMBOL_MAX];
  int rc = native_of(v, req->symbol, native, ve);
  if (rc < 0) return rc;
  char body[CQ_OKX_BODY_MAX];
  cq_error e;
  cq_error_clear(&e);
  if ((rc = cq_okx_encode_order(req, native, body, sizeof body, &e)) < 0)
    return cq__vr_fail(&v->core, ve,
                       rc == CQ_EUNSUPPORTED ? CQ_VERR_UNSUPPORTED : CQ_VERR_BAD_REQUEST, 0, 0,
                       "order %s: %s", req->client_id, e.msg);
  vr_req r = {
      .method = "POST", .path = "/api/v5/trade/order", .body = body, .sign = true, .order = true};
  cq_http_response resp;
  cq_verror pe;
  cq_verror_clear(&pe);
  rc = cq__vr_call(&v->core, &r, &resp, &pe);
  if (rc < 0) {
    if (pe.cls == CQ_VERR_UNKNOWN_OUTCOME)
      return cq__vr_recover(&v->core, query_cb, v, req, native, &pe, out, ve);
    if (ve) *ve = pe;
    return rc;
  }
  cq_okx_ack ack;
  memset(&ack, 0, sizeof ack);
  cq_verror_clear(&pe);
  rc = cq_okx_parse_ack(resp.body, resp.body_len, &ack, &pe);
  cq_http_response_release(&resp);
  if (rc < 0) {
    if (pe.cls == CQ_VERR_PROTOCOL || pe.cls == CQ_VERR_NONE) /* accepted but unreadable */
      return cq__vr_recover(&v->core, query_cb, v, req, native, &pe, out, ve);
    if (ve) *ve = pe;
    return rc;
  }
  cq_venue_order o;
  cq_verror qe;
  cq_verror_clear(&qe);
  if (query_order(v, req->symbol, native, req->client_id, &o, &qe) < 0)
    cq__vr_order_from_req(req, ack.venue_id, &o);
  if (out) *out = o;
  return 0;
}

static int cancel_once(okx_venue *v, const char *symbol, const char *client_id, cq_venue_order *out,
                       char native[CQ_SYMBOL_MAX], cq_verror *ve) {
  native[0] = '\0';
  int rc = native_of(v, symbol, native, ve);
  if (rc < 0) {
    native[0] = '\0';
    return rc;
  }
  char body[CQ_OKX_BODY_MAX];
  cq_error e;
  cq_error_clear(&e);
  if (!client_id || cq_okx_encode_cancel(native, client_id, body, sizeof body, &e) < 0)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "cancel: %s",
                       client_id ? e.msg : "no client id");
  vr_req r = {.method = "POST",
              .path = "/api/v5/trade/cancel-order",
              .body = body,
              .sign = true,
              .safe = true};
  cq_http_response resp;
  if ((rc = cq__vr_call(&v->core, &r, &resp, ve)) < 0) return rc;
  cq_okx_ack ack;
  memset(&ack, 0, sizeof ack);
  rc = cq_okx_parse_ack(resp.body, resp.body_len, &ack, ve);
  cq_http_response_release(&resp);
  if (rc < 0) return rc;
  return query_order(v, symbol, native, client_id, out, ve);
}

/* A cancel refused because the order is already done (51400, 51401...) answers with the
 * order, as a cancel of a live one does: the caller learns its final state either way. */
static int okx_cancel(cq_venue *base, const char *symbol, const char *client_id,
                      cq_venue_order *out, cq_verror *ve) {
  okx_venue *v = V(base);
  cq_verror_clear(ve);
  cq_verror ce;
  cq_verror_clear(&ce);
  char native[CQ_SYMBOL_MAX]; /* cancel_once's; empty when the symbol is unknown */
  int rc = cancel_once(v, symbol, client_id, out, native, &ce);
  return cq__vr_cancel_settle(query_cb, v, symbol, native[0] ? native : NULL, client_id, rc, &ce,
                              out, ve);
}

static int okx_query(cq_venue *base, const char *symbol, const char *client_id, cq_venue_order *out,
                     cq_verror *ve) {
  okx_venue *v = V(base);
  cq_verror_clear(ve);
  char native[CQ_SYMBOL_MAX];
  int rc = native_of(v, symbol, native, ve);
  if (rc < 0) return rc;
  if (!client_id || !*client_id)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "query: no client id");
  return query_order(v, symbol, native, client_id, out, ve);
}

static int okx_open_orders(cq_venue *base, const char *symbol, cq_venue_order **out, size_t *n,
                           cq_verror *ve) {
  okx_venue *v = V(base);
  cq_verror_clear(ve);
  *out = NULL;
  *n = 0;
  char q[128] = "instType=SPOT";
  if (symbol) {
    char native[CQ_SYMBOL_MAX];
    int rc = native_of(v, symbol, native, ve);
    if (rc < 0) return rc;
    snprintf(q, sizeof q, "instType=SPOT&instId=%s", native);
  }
  vr_req r = {.method = "GET",
              .path = "/api/v5/trade/orders-pending",
              .query = q,
              .sign = true,
              .safe = true};
  cq_http_response resp;
  int rc = cq__vr_call(&v->core, &r, &resp, ve);
  if (rc < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_okx_parse_orders(resp.body, resp.body_len, out, n, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return protocol_fail(v, ve, r.path, &e);
  return 0;
}

static int okx_balances(cq_venue *base, cq_balance **out, size_t *n, cq_verror *ve) {
  okx_venue *v = V(base);
  cq_verror_clear(ve);
  *out = NULL;
  *n = 0;
  vr_req r = {.method = "GET", .path = "/api/v5/account/balance", .sign = true, .safe = true};
  cq_http_response resp;
  int rc = cq__vr_call(&v->core, &r, &resp, ve);
  if (rc < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_okx_parse_balances(resp.body, resp.body_len, out, n, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return protocol_fail(v, ve, r.path, &e);
  return 0;
}

static int okx_my_trades(cq_venue *base, const char *symbol, cq_time from, cq_venue_fill **out,
                         size_t *n, cq_verror *ve) {
  okx_venue *v = V(base);
  cq_verror_clear(ve);
  *out = NULL;
  *n = 0;
  char native[CQ_SYMBOL_MAX];
  int rc = native_of(v, symbol, native, ve);
  if (rc < 0) return rc;
  char q[192];
  int len = snprintf(q, sizeof q, "instType=SPOT&instId=%s&limit=100", native);
  if (from > 0) snprintf(q + len, sizeof q - (size_t)len, "&begin=%" PRId64, from / CQ_NS_PER_MS);
  vr_req r = {
      .method = "GET", .path = "/api/v5/trade/fills", .query = q, .sign = true, .safe = true};
  cq_http_response resp;
  if ((rc = cq__vr_call(&v->core, &r, &resp, ve)) < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_okx_parse_fills(resp.body, resp.body_len, out, n, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return protocol_fail(v, ve, r.path, &e);
  for (size_t i = 0; i < *n; i++) snprintf((*out)[i].symbol, CQ_SYMBOL_MAX, "%s", symbol);
  return 0;
}

const cq_venue_ops cq_venue_okx_ops = {
    .name = "okx",
    .caps = CQ_VCAP_KLINES | CQ_VCAP_BOOK | CQ_VCAP_USER_STREAM | CQ_VCAP_POST_ONLY,
    .max_klines = OKX_CANDLES_LIMIT,
    .open = okx_open,
    .close = okx_close,
    .server_time = okx_server_time,
    .instruments = okx_instruments,
    .candles = okx_candles,
    .trades = okx_trades,
    .depth = okx_depth,
    .place = okx_place,
    .cancel = okx_cancel,
    .query = okx_query,
    .open_orders = okx_open_orders,
    .balances = okx_balances,
    .my_trades = okx_my_trades,
    .subscribe = cq__okx_subscribe,
    .unsubscribe = cq__okx_unsubscribe,
};
