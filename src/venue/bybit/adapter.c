/* The Bybit spot adapter (API v5): REST over vrest.h with Bybit's X-BAPI signature headers,
 * its IP limit (600 requests per 5 s; over it, HTTP 403 and a 10-minute ban) and its error
 * codes, and the operations table cq_venue_bybit_ops.
 *
 * Candles: market/kline pages newest first between `start` and `end` (both inclusive, ms).
 * A page here is the window [from, from + 1000 bars) cut at `to`, so its rows are exactly
 * that window's; returned oldest first, closed once open + tf <= the venue's now.
 *
 * Orders: order/create and order/cancel answer ids only, so the state comes from a query by
 * orderLinkId (order/realtime, then order/history for an order already done). A placement
 * is never sent twice: when its outcome is unknown the order is looked up by orderLinkId
 * until Bybit says it exists or never did.
 *
 * Symbols: "BTCUSDT" does not say where the base ends; answers that name a symbol the
 * caller did not give (open orders of every symbol, fills) are unified through the map the
 * instruments give, read once. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bybit.h"
#include "bybit_adapter.h"
#include "vrest.h"

static const char BYBIT_REST_DEFAULT[] = "https://api.bybit.com";
static const char BYBIT_WS_DEFAULT[] = "wss://stream.bybit.com";

enum {
  BYBIT_KLINES_LIMIT = 1000,
  BYBIT_EMPTY_WINDOWS = 64,
};

/* ---- the dialect ------------------------------------------------------------------------- */

/* Per-UID limits of the order endpoints (spot: requests per second). */
static const vr_limit bybit_limits[] = {
    {"/v5/order/create", 1000, 20},   {"/v5/order/cancel", 1000, 20},
    {"/v5/order/realtime", 1000, 50}, {"/v5/order/history", 1000, 50},
    {"/v5/execution/list", 1000, 50}, {"/v5/account/wallet-balance", 1000, 50},
};

static int bybit_sign_headers(const vr_core *c, const vr_req *r, int64_t now_ms,
                              char hdr[VR_HDR_MAX][VR_HDR_LEN], size_t *n, cq_error *err) {
  const char *payload = r->body ? r->body : (r->query ? r->query : "");
  char sig[65];
  int rc = cq_bybit_sign(c->api_secret, now_ms, c->api_key, c->recv_window_ms, payload, sig, err);
  if (rc < 0) return rc;
  snprintf(hdr[0], VR_HDR_LEN, "X-BAPI-API-KEY: %s", c->api_key);
  snprintf(hdr[1], VR_HDR_LEN, "X-BAPI-TIMESTAMP: %" PRId64, now_ms);
  snprintf(hdr[2], VR_HDR_LEN, "X-BAPI-RECV-WINDOW: %d", c->recv_window_ms);
  snprintf(hdr[3], VR_HDR_LEN, "X-BAPI-SIGN: %s", sig);
  *n = 4;
  return 0;
}

/* Success is HTTP 2xx with retCode 0. */
static int bybit_judge(int status, const char *body, size_t len, cq_verror *ve) {
  if (status >= 200 && status < 300) {
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    json_t *code = json_is_object(j) ? json_object_get(j, "retCode") : NULL;
    bool ok = j && (!code || (json_is_integer(code) && json_integer_value(code) == 0));
    json_decref(j);
    if (ok) return 0;
  }
  return cq_bybit_decode_error(status, body, len, ve);
}

static int bybit_parse_time(const char *body, size_t len, int64_t *ms, cq_error *err) {
  json_error_t je;
  json_t *j = json_loadb(body, len, 0, &je);
  json_t *res = json_object_get(j, "result");
  json_t *nano = json_object_get(res, "timeNano");
  json_t *sec = json_object_get(res, "timeSecond");
  json_t *top = json_object_get(j, "time");
  int64_t v = 0;
  if (json_is_string(nano))
    v = strtoll(json_string_value(nano), NULL, 10) / 1000000;
  else if (json_is_integer(top))
    v = json_integer_value(top);
  else if (json_is_string(sec))
    v = strtoll(json_string_value(sec), NULL, 10) * 1000;
  json_decref(j);
  if (v <= 0) return cq_error_set(err, CQ_EPARSE, "no result.timeNano in the time answer");
  *ms = v;
  return 0;
}

static const vr_dialect bybit_dialect = {
    .name = "bybit",
    .sign = bybit_sign_headers,
    .judge = bybit_judge,
    .time_path = "/v5/market/time",
    .parse_time = bybit_parse_time,
    .ip_interval_ms = 5000,
    .ip_limit = 600,
    .order_interval_ms = 1000,
    .order_limit = 20,
    .limits = bybit_limits,
    .nlimits = sizeof bybit_limits / sizeof bybit_limits[0],
};

/* ---- helpers ----------------------------------------------------------------------------- */

#define V(base) ((bybit_venue *)(base))

static int protocol_fail(bybit_venue *v, cq_verror *ve, const char *what, const cq_error *e) {
  return cq__vr_fail(&v->core, ve, CQ_VERR_PROTOCOL, 0, 200, "%s: %s%s%s", what, e->field,
                     *e->field ? ": " : "", e->msg);
}

static int native_of(bybit_venue *v, const char *unified, char native[CQ_SYMBOL_MAX],
                     cq_verror *ve) {
  cq_error e;
  cq_error_clear(&e);
  if (!unified || cq_bybit_to_native(unified, native, &e) < 0)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "symbol \"%s\": %s",
                       unified ? unified : "(null)", e.msg);
  return 0;
}

static const cq_bn_symbols *syms_of(bybit_venue *v) {
  pthread_mutex_lock(&v->mu);
  const cq_bn_symbols *s = v->syms;
  pthread_mutex_unlock(&v->mu);
  return s;
}

/* ---- open, close, time ------------------------------------------------------------------- */

static int bybit_open(const cq_venue_config *cfg, cq_venue **out, cq_verror *ve) {
  cq_verror_clear(ve);
  if (!out) return CQ_EINVAL;
  bybit_venue *v = calloc(1, sizeof *v);
  if (!v) {
    if (ve) {
      ve->cls = CQ_VERR_UNAVAILABLE;
      cq_error_set(&ve->e, CQ_ENOMEM, "bybit: open: out of memory");
    }
    return CQ_ENOMEM;
  }
  v->base.ops = &cq_venue_bybit_ops;
  int rc = cq__vr_init(&v->core, &bybit_dialect, cfg, BYBIT_REST_DEFAULT, false, ve);
  if (rc < 0) {
    free(v);
    return rc;
  }
  const char *ws = cfg->ws_url ? cfg->ws_url : BYBIT_WS_DEFAULT;
  size_t wl = strlen(ws);
  while (wl > 0 && ws[wl - 1] == '/') wl--;
  if (wl == 0 || wl >= sizeof v->ws_url) {
    cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "open: ws_url is empty or too long");
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
  if (pthread_mutex_init(&v->mu, NULL) != 0) {
    cq__vr_release(&v->core);
    pthread_mutex_destroy(&v->core.mu);
    free(v);
    if (ve) cq_error_set(&ve->e, CQ_ENOMEM, "bybit: open: no mutex");
    return CQ_ENOMEM;
  }
  *out = &v->base;
  return 0;
}

static void bybit_close(cq_venue *base) {
  if (!base) return;
  bybit_venue *v = V(base);
  cq__vr_release(&v->core);
  pthread_mutex_destroy(&v->core.mu);
  pthread_mutex_destroy(&v->mu);
  cq_bn_symbols_free(v->syms);
  free(v);
}

static int bybit_server_time(cq_venue *base, cq_time *out, cq_verror *ve) {
  bybit_venue *v = V(base);
  cq_verror_clear(ve);
  int rc = cq__vr_time_sync(&v->core, ve);
  if (rc < 0) return rc;
  *out = cq__vr_server_now_ms(&v->core) * CQ_NS_PER_MS;
  return 0;
}

/* ---- public REST ------------------------------------------------------------------------- */

static int bybit_instruments(cq_venue *base, cq_instrument **out, size_t *n, cq_verror *ve) {
  bybit_venue *v = V(base);
  cq_verror_clear(ve);
  *out = NULL;
  *n = 0;
  vr_req r = {.method = "GET",
              .path = "/v5/market/instruments-info",
              .query = "category=spot",
              .safe = true};
  cq_http_response resp;
  int rc = cq__vr_call(&v->core, &r, &resp, ve);
  if (rc < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_bybit_parse_instruments(resp.body, resp.body_len, out, n, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return protocol_fail(v, ve, "GET /v5/market/instruments-info", &e);
  if (!syms_of(v)) {
    cq_bn_symbols *m = NULL;
    if (cq_bn_symbols_new(*out, *n, &m, &e) == 0) {
      pthread_mutex_lock(&v->mu);
      if (!v->syms) {
        v->syms = m;
        m = NULL;
      }
      pthread_mutex_unlock(&v->mu);
      cq_bn_symbols_free(m);
    } else if (v->core.log) {
      cq_logf(v->core.log, CQ_LOG_WARN, "bybit: symbol map not kept: %s", e.msg);
    }
  }
  return 0;
}

const cq_bn_symbols *cq__bybit_syms(bybit_venue *v) {
  return syms_of(v);
}

/* The symbol map, read from the instruments once. */
int cq__bybit_load_symbols(bybit_venue *v, cq_verror *ve) {
  if (syms_of(v)) return 0;
  cq_instrument *ins = NULL;
  size_t n = 0;
  int rc = bybit_instruments(&v->base, &ins, &n, ve);
  free(ins);
  return rc;
}

static int candles_window(bybit_venue *v, const char *native, cq_timeframe tf, cq_time from,
                          cq_time end, cq_time now, cq_candles *out, cq_verror *ve) {
  char q[256];
  cq_error e;
  cq_error_clear(&e);
  /* both bounds are inclusive on the wire; our end is exclusive */
  int64_t start_ms = (from + CQ_NS_PER_MS - 1) / CQ_NS_PER_MS;
  int64_t end_ms = (end + CQ_NS_PER_MS - 1) / CQ_NS_PER_MS - 1;
  if (cq_bybit_kline_query(native, tf, start_ms, end_ms, BYBIT_KLINES_LIMIT, q, sizeof q, &e) < 0)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "kline: %s", e.msg);
  vr_req r = {.method = "GET", .path = "/v5/market/kline", .query = q, .safe = true};
  cq_http_response resp;
  int rc = cq__vr_call(&v->core, &r, &resp, ve);
  if (rc < 0) return rc;
  size_t before = out->len;
  rc = cq_bybit_parse_klines(resp.body, resp.body_len, tf, now, out, &e);
  cq_http_response_release(&resp);
  if (rc < 0) {
    out->len = before;
    return protocol_fail(v, ve, r.path, &e);
  }
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

static int bybit_candles(cq_venue *base, const char *symbol, cq_timeframe tf, cq_time from,
                         cq_time to, cq_candles *out, cq_verror *ve) {
  bybit_venue *v = V(base);
  cq_verror_clear(ve);
  char native[CQ_SYMBOL_MAX];
  int rc = native_of(v, symbol, native, ve);
  if (rc < 0) return rc;
  if (!cq_bybit_interval_name(tf)) {
    char tfs[CQ_TF_STRMAX];
    cq_timeframe_format(tf, tfs, sizeof tfs);
    return cq__vr_fail(&v->core, ve, CQ_VERR_UNSUPPORTED, 0, 0, "kline: Bybit has no %s interval",
                       tfs);
  }
  if (to > 0 && to <= from)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0,
                       "kline: the end is not after the start");
  if ((rc = cq__vr_ensure_time(&v->core, ve)) < 0) return rc;
  cq_time now = cq__vr_server_now_ms(&v->core) * CQ_NS_PER_MS;
  int64_t bar = cq_timeframe_ns(tf);
  if (bar <= 0) bar = 28 * CQ_NS_PER_DAY;
  size_t start = out->len;
  if (from <= 0) {
    cq_time end = to > 0 ? to : now + bar;
    cq_time wfrom = end - bar * BYBIT_KLINES_LIMIT;
    rc = candles_window(v, native, tf, wfrom > 0 ? wfrom : 0, end, now, out, ve);
  } else {
    cq_time cursor = cq_timeframe_floor(tf, from);
    if (cursor < from) cursor = cq_timeframe_next(tf, cursor);
    for (int k = 0; k < BYBIT_EMPTY_WINDOWS; k++) {
      cq_time end = cq__vr_window_end(tf, cursor, to, BYBIT_KLINES_LIMIT);
      rc = candles_window(v, native, tf, cursor, end, now, out, ve);
      if (rc < 0 || out->len > start) break;
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

static int bybit_trades(cq_venue *base, const char *symbol, int64_t from_id, size_t limit,
                        cq_trades *out, cq_verror *ve) {
  bybit_venue *v = V(base);
  cq_verror_clear(ve);
  char native[CQ_SYMBOL_MAX];
  int rc = native_of(v, symbol, native, ve);
  if (rc < 0) return rc;
  if (from_id >= 0)
    return cq__vr_fail(&v->core, ve, CQ_VERR_UNSUPPORTED, 0, 0,
                       "trades: Bybit spot has recent trades only, none by id");
  if (limit == 0 || limit > 60) limit = 60;
  char q[192];
  cq_error e;
  cq_error_clear(&e);
  if (cq_bybit_trades_query(native, (int)limit, q, sizeof q, &e) < 0)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "trades: %s", e.msg);
  vr_req r = {.method = "GET", .path = "/v5/market/recent-trade", .query = q, .safe = true};
  cq_http_response resp;
  if ((rc = cq__vr_call(&v->core, &r, &resp, ve)) < 0) return rc;
  size_t before = out->len;
  rc = cq_bybit_parse_trades(resp.body, resp.body_len, out, &e);
  cq_http_response_release(&resp);
  if (rc < 0) {
    out->len = before;
    return protocol_fail(v, ve, r.path, &e);
  }
  return 0;
}

static int bybit_depth(cq_venue *base, const char *symbol, int limit, cq_l2book *out,
                       cq_verror *ve) {
  bybit_venue *v = V(base);
  cq_verror_clear(ve);
  char native[CQ_SYMBOL_MAX];
  int rc = native_of(v, symbol, native, ve);
  if (rc < 0) return rc;
  if (limit <= 0) limit = 50;
  if (limit > 200) limit = 200;
  char q[128];
  cq_error e;
  cq_error_clear(&e);
  if (cq_bybit_book_query(native, limit, q, sizeof q, &e) < 0)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "orderbook: %s", e.msg);
  vr_req r = {.method = "GET", .path = "/v5/market/orderbook", .query = q, .safe = true};
  cq_http_response resp;
  if ((rc = cq__vr_call(&v->core, &r, &resp, ve)) < 0) return rc;
  rc = cq_bybit_parse_book(resp.body, resp.body_len, out, &e);
  cq_http_response_release(&resp);
  if (rc < 0) {
    cq_l2book_clear(out);
    return protocol_fail(v, ve, r.path, &e);
  }
  return 0;
}

/* ---- orders ------------------------------------------------------------------------------ */

/* GET path (order/realtime or order/history) by orderLinkId; 0 with *found. */
static int query_at(bybit_venue *v, const char *path, const char *q, cq_venue_order *out,
                    bool *found, cq_verror *ve) {
  vr_req r = {.method = "GET", .path = path, .query = q, .sign = true, .safe = true};
  cq_http_response resp;
  int rc = cq__vr_call(&v->core, &r, &resp, ve);
  if (rc < 0) return rc;
  cq_venue_order *os = NULL;
  size_t n = 0;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_bybit_parse_orders(resp.body, resp.body_len, syms_of(v), &os, &n, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return protocol_fail(v, ve, path, &e);
  *found = n > 0;
  if (n > 0 && out) *out = os[0];
  free(os);
  return 0;
}

static int query_order(bybit_venue *v, const char *unified, const char *native,
                       const char *client_id, cq_venue_order *out, cq_verror *ve) {
  char q[256];
  cq_error e;
  cq_error_clear(&e);
  if (cq_bybit_order_query(native, client_id, q, sizeof q, &e) < 0)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "query: %s", e.msg);
  cq_venue_order o;
  bool found = false;
  int rc = query_at(v, "/v5/order/realtime", q, &o, &found, ve);
  if (rc == 0 && !found) {
    /* a finished order may have left realtime: history knows it (where it is served) */
    cq_verror he;
    cq_verror_clear(&he);
    rc = query_at(v, "/v5/order/history", q, &o, &found, &he);
    if (rc < 0 && (he.cls == CQ_VERR_BAD_REQUEST || he.cls == CQ_VERR_NOT_FOUND ||
                   he.cls == CQ_VERR_UNSUPPORTED))
      rc = 0;
    else if (rc < 0 && ve)
      *ve = he;
  }
  if (rc < 0) return rc;
  if (!found)
    return cq__vr_fail(&v->core, ve, CQ_VERR_NOT_FOUND, 110001, 200, "order %s does not exist",
                       client_id);
  snprintf(o.symbol, sizeof o.symbol, "%s", unified);
  if (out) *out = o;
  return 0;
}

/* query_order as the shared recovery calls it. */
static int query_cb(void *venue, const char *unified, const char *native, const char *client_id,
                    cq_venue_order *out, cq_verror *ve) {
  return query_order(venue, unified, native, client_id, out, ve);
}

static int bybit_place(cq_venue *base, const cq_venue_order_req *req, cq_venue_order *out,
                       cq_verror *ve) {
  bybit_venue *v = V(base);
  cq_verror_clear(ve);
  if (!req) return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "place: no order");
  char native[CQ_SYMBOL_MAX];
  int rc = native_of(v, req->symbol, native, ve);
  if (rc < 0) return rc;
  char body[CQ_BYBIT_BODY_MAX];
  cq_error e;
  cq_error_clear(&e);
  if ((rc = cq_bybit_encode_order(req, native, body, sizeof body, &e)) < 0)
    return cq__vr_fail(&v->core, ve,
                       rc == CQ_EUNSUPPORTED ? CQ_VERR_UNSUPPORTED : CQ_VERR_BAD_REQUEST, 0, 0,
                       "order %s: %s", req->client_id, e.msg);
  vr_req r = {
      .method = "POST", .path = "/v5/order/create", .body = body, .sign = true, .order = true};
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
  cq_bybit_ack ack;
  memset(&ack, 0, sizeof ack);
  cq_verror_clear(&pe);
  rc = cq_bybit_parse_ack(resp.body, resp.body_len, &ack, &pe);
  cq_http_response_release(&resp);
  if (rc < 0) {
    if (pe.cls == CQ_VERR_PROTOCOL || pe.cls == CQ_VERR_NONE)
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

static int cancel_once(bybit_venue *v, const char *symbol, const char *client_id,
                       cq_venue_order *out, char native[CQ_SYMBOL_MAX], cq_verror *ve) {
  native[0] = '\0';
  int rc = native_of(v, symbol, native, ve);
  if (rc < 0) {
    native[0] = '\0';
    return rc;
  }
  char body[CQ_BYBIT_BODY_MAX];
  cq_error e;
  cq_error_clear(&e);
  if (!client_id || cq_bybit_encode_cancel(native, client_id, body, sizeof body, &e) < 0)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "cancel: %s",
                       client_id ? e.msg : "no client id");
  vr_req r = {
      .method = "POST", .path = "/v5/order/cancel", .body = body, .sign = true, .safe = true};
  cq_http_response resp;
  if ((rc = cq__vr_call(&v->core, &r, &resp, ve)) < 0) return rc;
  cq_bybit_ack ack;
  memset(&ack, 0, sizeof ack);
  rc = cq_bybit_parse_ack(resp.body, resp.body_len, &ack, ve);
  cq_http_response_release(&resp);
  if (rc < 0) return rc;
  return query_order(v, symbol, native, client_id, out, ve);
}

/* A cancel refused because the order is already done answers with the order, as a
 * cancel of a live one does: the caller learns its final state either way. */
static int cancel_or_final(bybit_venue *v, const char *symbol, const char *client_id,
                           cq_venue_order *out, cq_verror *ve) {
  cq_verror ce;
  cq_verror_clear(&ce);
  char native[CQ_SYMBOL_MAX]; /* cancel_once's; empty when the symbol is unknown */
  int rc = cancel_once(v, symbol, client_id, out, native, &ce);
  return cq__vr_cancel_settle(query_cb, v, symbol, native[0] ? native : NULL, client_id, rc, &ce,
                              out, ve);
}

static int bybit_cancel(cq_venue *base, const char *symbol, const char *client_id,
                        cq_venue_order *out, cq_verror *ve) {
  cq_verror_clear(ve);
  return cancel_or_final(V(base), symbol, client_id, out, ve);
}

static int bybit_query(cq_venue *base, const char *symbol, const char *client_id,
                       cq_venue_order *out, cq_verror *ve) {
  bybit_venue *v = V(base);
  cq_verror_clear(ve);
  char native[CQ_SYMBOL_MAX];
  int rc = native_of(v, symbol, native, ve);
  if (rc < 0) return rc;
  if (!client_id || !*client_id)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "query: no client id");
  return query_order(v, symbol, native, client_id, out, ve);
}

static int bybit_open_orders(cq_venue *base, const char *symbol, cq_venue_order **out, size_t *n,
                             cq_verror *ve) {
  bybit_venue *v = V(base);
  cq_verror_clear(ve);
  *out = NULL;
  *n = 0;
  char q[160] = "category=spot";
  char native[CQ_SYMBOL_MAX];
  int rc;
  if (symbol) {
    if ((rc = native_of(v, symbol, native, ve)) < 0) return rc;
    snprintf(q, sizeof q, "category=spot&symbol=%s", native);
  } else if ((rc = cq__bybit_load_symbols(v, ve)) < 0) {
    return rc;
  }
  vr_req r = {
      .method = "GET", .path = "/v5/order/realtime", .query = q, .sign = true, .safe = true};
  cq_http_response resp;
  if ((rc = cq__vr_call(&v->core, &r, &resp, ve)) < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_bybit_parse_orders(resp.body, resp.body_len, syms_of(v), out, n, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return protocol_fail(v, ve, r.path, &e);
  if (symbol)
    for (size_t i = 0; i < *n; i++) snprintf((*out)[i].symbol, CQ_SYMBOL_MAX, "%s", symbol);
  return 0;
}

static int bybit_balances(cq_venue *base, cq_balance **out, size_t *n, cq_verror *ve) {
  bybit_venue *v = V(base);
  cq_verror_clear(ve);
  *out = NULL;
  *n = 0;
  vr_req r = {.method = "GET",
              .path = "/v5/account/wallet-balance",
              .query = "accountType=UNIFIED",
              .sign = true,
              .safe = true};
  cq_http_response resp;
  int rc = cq__vr_call(&v->core, &r, &resp, ve);
  if (rc < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_bybit_parse_balances(resp.body, resp.body_len, out, n, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return protocol_fail(v, ve, r.path, &e);
  return 0;
}

static int bybit_my_trades(cq_venue *base, const char *symbol, cq_time from, cq_venue_fill **out,
                           size_t *n, cq_verror *ve) {
  bybit_venue *v = V(base);
  cq_verror_clear(ve);
  *out = NULL;
  *n = 0;
  char native[CQ_SYMBOL_MAX];
  int rc = native_of(v, symbol, native, ve);
  if (rc < 0) return rc;
  char q[192];
  int len = snprintf(q, sizeof q, "category=spot&symbol=%s&limit=100", native);
  if (from > 0)
    snprintf(q + len, sizeof q - (size_t)len, "&startTime=%" PRId64, from / CQ_NS_PER_MS);
  vr_req r = {
      .method = "GET", .path = "/v5/execution/list", .query = q, .sign = true, .safe = true};
  cq_http_response resp;
  if ((rc = cq__vr_call(&v->core, &r, &resp, ve)) < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_bybit_parse_fills(resp.body, resp.body_len, syms_of(v), out, n, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return protocol_fail(v, ve, r.path, &e);
  for (size_t i = 0; i < *n; i++) snprintf((*out)[i].symbol, CQ_SYMBOL_MAX, "%s", symbol);
  return 0;
}

const cq_venue_ops cq_venue_bybit_ops = {
    .name = "bybit",
    .caps = CQ_VCAP_KLINES | CQ_VCAP_BOOK | CQ_VCAP_USER_STREAM | CQ_VCAP_POST_ONLY |
            CQ_VCAP_STOP_ORDERS,
    .max_klines = BYBIT_KLINES_LIMIT,
    .open = bybit_open,
    .close = bybit_close,
    .server_time = bybit_server_time,
    .instruments = bybit_instruments,
    .candles = bybit_candles,
    .trades = bybit_trades,
    .depth = bybit_depth,
    .place = bybit_place,
    .cancel = bybit_cancel,
    .query = bybit_query,
    .open_orders = bybit_open_orders,
    .balances = bybit_balances,
    .my_trades = bybit_my_trades,
    .subscribe = cq__bybit_subscribe,
    .unsubscribe = cq__bybit_unsubscribe,
};
