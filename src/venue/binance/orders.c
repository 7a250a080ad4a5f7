/* Binance spot signed REST: orders by client id, open orders, balances, my trades.
 *
 * An order placement is never sent twice. When its outcome is unknown (5xx, -1006/-1007,
 * no answer), the order is looked up by its client id until the venue says: it exists (its
 * state is returned), or it was never placed (CQ_VERR_NOT_FOUND: the caller may send it
 * again with the same client id). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "binance.h"

enum {
  BN_RECOVER_TRIES = 4,      /* lookups of an order whose placement went unanswered */
  BN_RECOVER_BASE_MS = 100,  /* first wait; doubled each time */
  BN_MY_TRADES_LIMIT = 1000, /* one page */
};

static int protocol_fail(cq_verror *ve, const char *what, const cq_error *e) {
  return cq__bn_fail(ve, CQ_VERR_PROTOCOL, 0, 200, "%s: %s%s%s", what, e->field,
                     *e->field ? ": " : "", e->msg);
}

/* Decodes one order answer into out, its symbol unified as the caller named it. */
static int decode_order(const cq_http_response *resp, const char *unified, const char *what,
                        cq_venue_order *out, cq_verror *ve) {
  cq_error e;
  cq_error_clear(&e);
  cq_venue_order o;
  memset(&o, 0, sizeof o);
  if (cq_bn_parse_order(resp->body, resp->body_len, NULL, &o, NULL, NULL, &e) < 0)
    return protocol_fail(ve, what, &e);
  snprintf(o.symbol, sizeof o.symbol, "%s", unified);
  if (out) *out = o;
  return 0;
}

/* GET /api/v3/order by client id. */
static int query_order(bn_venue *v, const char *unified, const char *native, const char *client_id,
                       cq_venue_order *out, cq_verror *ve) {
  char enc[3 * CQ_CLIENT_ID_MAX + 1];
  if (cq_url_encode(client_id, enc, sizeof enc) < 0)
    return cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0, "client id \"%s\" too long", client_id);
  char q[256];
  snprintf(q, sizeof q, "symbol=%s&origClientOrderId=%s", native, enc);
  bn_req r = {.method = "GET",
              .path = "/api/v3/order",
              .query = q,
              .has_symbol = true,
              .sign = true,
              .safe = true};
  cq_http_response resp;
  int rc = cq__bn_call(v, &r, &resp, ve);
  if (rc < 0) return rc;
  rc = decode_order(&resp, unified, "GET /api/v3/order", out, ve);
  cq_http_response_release(&resp);
  return rc;
}

static int check_client_id(const char *id, cq_verror *ve) {
  if (!id || !*id) return cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0, "an order needs a client id");
  /* Binance takes 1 to 36 characters of [.A-Z:/a-z0-9_-] */
  size_t n = strlen(id);
  if (n > 36 ||
      strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:/-") != n)
    return cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0,
                       "client id \"%s\": Binance takes 1 to 36 of A-Z a-z 0-9 . _ : / -", id);
  return 0;
}

/* The placement went unanswered: ask the venue whether the order exists. */
static int recover(bn_venue *v, const cq_venue_order_req *req, const char *native,
                   const cq_verror *first, cq_venue_order *out, cq_verror *ve) {
  if (v->log)
    CQ_LOG(v->log, CQ_LOG_WARN, "binance: order outcome unknown, querying",
           CQ_F_STR("client_id", req->client_id), CQ_F_STR("why", first->e.msg));
  cq_verror qe;
  for (int k = 0; k < BN_RECOVER_TRIES; k++) {
    cq__bn_sleep_ms((int64_t)BN_RECOVER_BASE_MS << k);
    cq_verror_clear(&qe);
    int rc = query_order(v, req->symbol, native, req->client_id, out, &qe);
    if (rc == 0) {
      cq_verror_clear(ve);
      return 0;
    }
    if (qe.cls == CQ_VERR_BANNED || qe.cls == CQ_VERR_AUTH) break;
    /* -2013 on the last try only: an order in flight may not show at once */
    if (qe.cls == CQ_VERR_NOT_FOUND && k == BN_RECOVER_TRIES - 1) {
      cq__bn_fail(ve, CQ_VERR_NOT_FOUND, qe.venue_code, qe.http_status,
                  "order %s was never placed (%s); it may be sent again with the same client id",
                  req->client_id, first->e.msg);
      return ve ? ve->e.code : CQ_ENOTFOUND;
    }
  }
  int rc = cq__bn_fail(ve, CQ_VERR_UNKNOWN_OUTCOME, first->venue_code, first->http_status,
                       "order %s: outcome still unknown (%s; lookup: %s): query it before anything "
                       "else",
                       req->client_id, first->e.msg, qe.e.msg);
  return rc;
}

int cq__bn_place(cq_venue *base, const cq_venue_order_req *req, cq_venue_order *out,
                 cq_verror *ve) {
  bn_venue *v = (bn_venue *)base;
  cq_verror_clear(ve);
  if (!req) return cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0, "place: no order");
  int rc = check_client_id(req->client_id, ve);
  if (rc < 0) return rc;
  char native[CQ_SYMBOL_MAX];
  if ((rc = cq__bn_native(v, req->symbol, native, ve)) < 0) return rc;
  char q[CQ_BN_QUERY_MAX];
  cq_error e;
  cq_error_clear(&e);
  if (cq_bn_encode_order(req, native, q, sizeof q, &e) < 0)
    return cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0, "order %s: %s", req->client_id, e.msg);
  bn_req r = {.method = "POST",
              .path = "/api/v3/order",
              .query = q,
              .has_symbol = true,
              .sign = true,
              .order = true};
  cq_http_response resp;
  cq_verror pe;
  cq_verror_clear(&pe);
  rc = cq__bn_call(v, &r, &resp, &pe);
  if (rc < 0) {
    if (pe.cls == CQ_VERR_UNKNOWN_OUTCOME) return recover(v, req, native, &pe, out, ve);
    if (ve) *ve = pe;
    return rc;
  }
  rc = decode_order(&resp, req->symbol, "POST /api/v3/order", out, ve);
  cq_http_response_release(&resp);
  if (rc < 0) {
    /* accepted (2xx) but unreadable: what exists is for a query to say */
    if (ve) ve->cls = CQ_VERR_UNKNOWN_OUTCOME;
    return rc;
  }
  return 0;
}

int cq__bn_query(cq_venue *base, const char *symbol, const char *client_id, cq_venue_order *out,
                 cq_verror *ve) {
  bn_venue *v = (bn_venue *)base;
  cq_verror_clear(ve);
  char native[CQ_SYMBOL_MAX];
  int rc = cq__bn_native(v, symbol, native, ve);
  if (rc < 0 || (rc = check_client_id(client_id, ve)) < 0) return rc;
  return query_order(v, symbol, native, client_id, out, ve);
}

int cq__bn_cancel(cq_venue *base, const char *symbol, const char *client_id, cq_venue_order *out,
                  cq_verror *ve) {
  bn_venue *v = (bn_venue *)base;
  cq_verror_clear(ve);
  char native[CQ_SYMBOL_MAX];
  int rc = cq__bn_native(v, symbol, native, ve);
  if (rc < 0 || (rc = check_client_id(client_id, ve)) < 0) return rc;
  char enc[3 * CQ_CLIENT_ID_MAX + 1];
  if (cq_url_encode(client_id, enc, sizeof enc) < 0)
    return cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0, "client id too long");
  char q[256];
  snprintf(q, sizeof q, "symbol=%s&origClientOrderId=%s", native, enc);
  /* a cancel by client id may be sent again: a second one is refused, never doubled */
  bn_req r = {.method = "DELETE",
              .path = "/api/v3/order",
              .query = q,
              .has_symbol = true,
              .sign = true,
              .safe = true};
  cq_http_response resp;
  cq_verror ce;
  cq_verror_clear(&ce);
  rc = cq__bn_call(v, &r, &resp, &ce);
  if (rc == 0) {
    rc = decode_order(&resp, symbol, "DELETE /api/v3/order", out, ve);
    cq_http_response_release(&resp);
    return rc;
  }
  if (ce.venue_code != -2011) {
    if (ve) *ve = ce;
    return rc;
  }
  /* -2011: the order may be gone already (filled, cancelled by an earlier attempt whose
   * answer was lost) or never existed; the venue's state decides */
  cq_venue_order o = {0};
  cq_verror qe;
  cq_verror_clear(&qe);
  if (query_order(v, symbol, native, client_id, &o, &qe) < 0) {
    if (ve) *ve = qe.cls == CQ_VERR_NOT_FOUND ? qe : ce;
    return qe.cls == CQ_VERR_NOT_FOUND ? qe.e.code : rc;
  }
  if (out) *out = o;
  /* finished (cancelled, filled, expired): the cancel settles on that final state, as the
   * other adapters' do; the caller reads which from the order */
  if (cq_order_state_terminal(o.state)) return 0;
  /* it exists, is not finished, and still cannot be cancelled: a refusal */
  return cq__bn_fail(ve, CQ_VERR_REJECTED, ce.venue_code, ce.http_status,
                     "cancel of %s refused: the order is %s", client_id,
                     cq_order_state_name(o.state));
}

int cq__bn_open_orders(cq_venue *base, const char *symbol, cq_venue_order **out, size_t *n,
                       cq_verror *ve) {
  bn_venue *v = (bn_venue *)base;
  cq_verror_clear(ve);
  *out = NULL;
  *n = 0;
  char q[128] = "";
  char native[CQ_SYMBOL_MAX];
  if (symbol && *symbol) {
    int rc = cq__bn_native(v, symbol, native, ve);
    if (rc < 0) return rc;
    snprintf(q, sizeof q, "symbol=%s", native);
  }
  bn_req r = {.method = "GET",
              .path = "/api/v3/openOrders",
              .query = q,
              .has_symbol = *q != '\0',
              .sign = true,
              .safe = true};
  cq_http_response resp;
  int rc = cq__bn_call(v, &r, &resp, ve);
  if (rc < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_bn_parse_orders(resp.body, resp.body_len, cq__bn_syms(v), out, n, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return protocol_fail(ve, "GET /api/v3/openOrders", &e);
  for (size_t i = 0; i < *n; i++) {
    char uni[CQ_SYMBOL_MAX];
    if (cq__bn_unified(v, (*out)[i].symbol, uni))
      snprintf((*out)[i].symbol, sizeof(*out)[i].symbol, "%s", uni);
  }
  return 0;
}

int cq__bn_balances(cq_venue *base, cq_balance **out, size_t *n, cq_verror *ve) {
  bn_venue *v = (bn_venue *)base;
  cq_verror_clear(ve);
  *out = NULL;
  *n = 0;
  bn_req r = {.method = "GET", .path = "/api/v3/account", .query = "", .sign = true, .safe = true};
  cq_http_response resp;
  int rc = cq__bn_call(v, &r, &resp, ve);
  if (rc < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_bn_parse_account(resp.body, resp.body_len, out, n, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return protocol_fail(ve, "GET /api/v3/account", &e);
  return 0;
}

int cq__bn_my_trades(cq_venue *base, const char *symbol, cq_time from, cq_venue_fill **out,
                     size_t *n, cq_verror *ve) {
  bn_venue *v = (bn_venue *)base;
  cq_verror_clear(ve);
  *out = NULL;
  *n = 0;
  char native[CQ_SYMBOL_MAX];
  int rc = cq__bn_native(v, symbol, native, ve);
  if (rc < 0) return rc;
  char q[192];
  int len = snprintf(q, sizeof q, "symbol=%s&limit=%d", native, BN_MY_TRADES_LIMIT);
  if (from > 0)
    snprintf(q + len, sizeof q - (size_t)len, "&startTime=%" PRId64, from / CQ_NS_PER_MS);
  bn_req r = {.method = "GET",
              .path = "/api/v3/myTrades",
              .query = q,
              .limit = BN_MY_TRADES_LIMIT,
              .has_symbol = true,
              .sign = true,
              .safe = true};
  cq_http_response resp;
  if ((rc = cq__bn_call(v, &r, &resp, ve)) < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_bn_parse_my_trades(resp.body, resp.body_len, cq__bn_syms(v), out, n, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return protocol_fail(ve, "GET /api/v3/myTrades", &e);
  for (size_t i = 0; i < *n; i++) snprintf((*out)[i].symbol, sizeof(*out)[i].symbol, "%s", symbol);
  return 0;
}
