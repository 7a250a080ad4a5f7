/* Binance spot public REST: server time, exchange info, klines, trades, depth. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "binance.h"

enum { BN_KLINES_MAX = 1000, BN_TRADES_MAX = 1000, BN_TRADES_DEFAULT = 500, BN_DEPTH_MAX = 5000 };

/* A decoder's failure on a 2xx answer: the venue said something we cannot read. */
static int protocol_fail(cq_verror *ve, const char *what, const cq_error *e) {
  int rc = cq__bn_fail(ve, CQ_VERR_PROTOCOL, 0, 200, "%s: %s%s%s", what, e->field,
                       *e->field ? ": " : "", e->msg);
  return rc;
}

int cq__bn_server_time(cq_venue *base, cq_time *out, cq_verror *ve) {
  bn_venue *v = (bn_venue *)base;
  cq_verror_clear(ve);
  int rc = cq__bn_time_sync(v, ve);
  if (rc < 0) return rc;
  *out = cq__bn_server_now_ms(v) * CQ_NS_PER_MS;
  return 0;
}

/* The server-time offset, fetched once: a candle is closed by the venue's clock. */
static int ensure_time(bn_venue *v, cq_verror *ve) {
  pthread_mutex_lock(&v->mu);
  bool known = v->offset_known;
  pthread_mutex_unlock(&v->mu);
  return known ? 0 : cq__bn_time_sync(v, ve);
}

int cq__bn_instruments(cq_venue *base, cq_instrument **out, size_t *n, cq_verror *ve) {
  bn_venue *v = (bn_venue *)base;
  cq_verror_clear(ve);
  *out = NULL;
  *n = 0;
  bn_req r = {.method = "GET", .path = "/api/v3/exchangeInfo", .safe = true};
  cq_http_response resp;
  int rc = cq__bn_call(v, &r, &resp, ve);
  if (rc < 0) return rc;
  cq_bn_exchange_info x;
  memset(&x, 0, sizeof x);
  cq_error e;
  cq_error_clear(&e);
  rc = cq_bn_parse_exchange_info(resp.body, resp.body_len, &x, &e);
  cq_http_response_release(&resp);
  if (rc < 0) return protocol_fail(ve, "GET /api/v3/exchangeInfo", &e);
  if (x.nlimits > 0 && cq_rl_set_windows(v->rl, x.limits, x.nlimits, &e) < 0 && v->log)
    cq_logf(v->log, CQ_LOG_WARN, "binance: rate limits of exchange info not used: %s", e.msg);
  /* the first map stays for the handle's life: decoders on other threads read it unlocked */
  pthread_mutex_lock(&v->mu);
  bool need_map = v->syms == NULL;
  pthread_mutex_unlock(&v->mu);
  if (need_map) {
    cq_bn_symbols *m = NULL;
    if (cq_bn_symbols_new(x.instruments, x.ninstruments, &m, &e) < 0) {
      cq_bn_exchange_info_release(&x);
      return cq__bn_fail(ve, CQ_VERR_PROTOCOL, 0, 200, "exchange info symbols: %s", e.msg);
    }
    pthread_mutex_lock(&v->mu);
    if (!v->syms) {
      v->syms = m;
      m = NULL;
    }
    pthread_mutex_unlock(&v->mu);
    cq_bn_symbols_free(m);
  }
  *out = x.instruments;
  *n = x.ninstruments;
  x.instruments = NULL;
  x.ninstruments = 0;
  cq_bn_exchange_info_release(&x);
  return 0;
}

int cq__bn_candles(cq_venue *base, const char *symbol, cq_timeframe tf, cq_time from, cq_time to,
                   cq_candles *out, cq_verror *ve) {
  bn_venue *v = (bn_venue *)base;
  cq_verror_clear(ve);
  char native[CQ_SYMBOL_MAX];
  int rc = cq__bn_native(v, symbol, native, ve);
  if (rc < 0) return rc;
  const char *iv = cq_bn_interval_name(tf);
  if (!iv) {
    char tfs[CQ_TF_STRMAX];
    cq_timeframe_format(tf, tfs, sizeof tfs);
    return cq__bn_fail(ve, CQ_VERR_UNSUPPORTED, 0, 0, "klines: Binance has no %s interval", tfs);
  }
  if (to > 0 && to <= from)
    return cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0, "klines: the end is not after the start");
  if ((rc = ensure_time(v, ve)) < 0) return rc;
  char q[256];
  int len = snprintf(q, sizeof q, "symbol=%s&interval=%s&limit=%d", native, iv, BN_KLINES_MAX);
  if (from > 0)
    len += snprintf(q + len, sizeof q - (size_t)len, "&startTime=%" PRId64,
                    (from + CQ_NS_PER_MS - 1) / CQ_NS_PER_MS);
  /* endTime is inclusive on the wire; ours is exclusive */
  if (to > 0)
    snprintf(q + len, sizeof q - (size_t)len, "&endTime=%" PRId64,
             (to + CQ_NS_PER_MS - 1) / CQ_NS_PER_MS - 1);
  bn_req r = {.method = "GET",
              .path = "/api/v3/klines",
              .query = q,
              .limit = BN_KLINES_MAX,
              .has_symbol = true,
              .safe = true};
  cq_http_response resp;
  if ((rc = cq__bn_call(v, &r, &resp, ve)) < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  size_t before = out->len;
  rc =
      cq_bn_parse_klines(resp.body, resp.body_len, cq__bn_server_now_ms(v) * CQ_NS_PER_MS, out, &e);
  cq_http_response_release(&resp);
  if (rc < 0) {
    out->len = before;
    return protocol_fail(ve, "GET /api/v3/klines", &e);
  }
  return 0;
}

int cq__bn_trades(cq_venue *base, const char *symbol, int64_t from_id, size_t limit, cq_trades *out,
                  cq_verror *ve) {
  bn_venue *v = (bn_venue *)base;
  cq_verror_clear(ve);
  char native[CQ_SYMBOL_MAX];
  int rc = cq__bn_native(v, symbol, native, ve);
  if (rc < 0) return rc;
  if (limit == 0) limit = BN_TRADES_DEFAULT;
  if (limit > BN_TRADES_MAX) limit = BN_TRADES_MAX;
  char q[192];
  bool hist = from_id >= 0;
  if (hist)
    snprintf(q, sizeof q, "symbol=%s&limit=%zu&fromId=%" PRId64, native, limit, from_id);
  else
    snprintf(q, sizeof q, "symbol=%s&limit=%zu", native, limit);
  bn_req r = {.method = "GET",
              .path = hist ? "/api/v3/historicalTrades" : "/api/v3/trades",
              .query = q,
              .limit = (int)limit,
              .has_symbol = true,
              .key = hist, /* historical trades need the API key (not a signature) */
              .safe = true};
  cq_http_response resp;
  if ((rc = cq__bn_call(v, &r, &resp, ve)) < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  size_t before = out->len;
  rc = cq_bn_parse_trades(resp.body, resp.body_len, out, &e);
  cq_http_response_release(&resp);
  if (rc < 0) {
    out->len = before;
    return protocol_fail(ve, r.path, &e);
  }
  return 0;
}

int cq__bn_depth(cq_venue *base, const char *symbol, int limit, cq_l2book *out, cq_verror *ve) {
  bn_venue *v = (bn_venue *)base;
  cq_verror_clear(ve);
  char native[CQ_SYMBOL_MAX];
  int rc = cq__bn_native(v, symbol, native, ve);
  if (rc < 0) return rc;
  if (limit <= 0) limit = 100;
  if (limit > BN_DEPTH_MAX) limit = BN_DEPTH_MAX;
  char q[128];
  snprintf(q, sizeof q, "symbol=%s&limit=%d", native, limit);
  bn_req r = {.method = "GET",
              .path = "/api/v3/depth",
              .query = q,
              .limit = limit,
              .has_symbol = true,
              .safe = true};
  cq_http_response resp;
  if ((rc = cq__bn_call(v, &r, &resp, ve)) < 0) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_bn_parse_depth(resp.body, resp.body_len, out, &e);
  cq_http_response_release(&resp);
  if (rc < 0) {
    cq_l2book_clear(out);
    return protocol_fail(ve, "GET /api/v3/depth", &e);
  }
  return 0;
}
