/* Bybit requests beyond the order body: cancel and query by client id, stream
 * subscriptions and the stream auth. */
#include <stdio.h>
#include <string.h>

#include "by_json.h"

static int done(cq_vbuf *b, const char *what, cq_error *err) {
  if (b->overflow)
    return cq_error_set(err, CQ_ELIMIT, "bybit: %s does not fit in %zu bytes", what, b->cap);
  return (int)b->len;
}

static int symbol_query(const char *what, const char *native, int limit, int max, char *buf,
                        size_t n, cq_error *err) {
  if (!cq_v_plain(native, CQ_SYMBOL_MAX - 1))
    return cq_error_set(err, CQ_EINVAL, "bybit: %s: bad symbol", what);
  if (limit < 0 || limit > max)
    return cq_error_set(err, CQ_EINVAL, "bybit: %s: limit %d is not 0..%d", what, limit, max);
  cq_vbuf b;
  cq_vbuf_init(&b, buf, n);
  cq_vbuf_add(&b, "category=spot&symbol=%s", native);
  if (limit > 0) cq_vbuf_add(&b, "&limit=%d", limit);
  return done(&b, what, err);
}

int cq_bybit_trades_query(const char *native, int limit, char *buf, size_t n, cq_error *err) {
  return symbol_query("trades query", native, limit, 60, buf, n, err);
}

int cq_bybit_book_query(const char *native, int limit, char *buf, size_t n, cq_error *err) {
  return symbol_query("book query", native, limit, 200, buf, n, err);
}

int cq_bybit_encode_cancel(const char *native, const char *client_id, char *buf, size_t n,
                           cq_error *err) {
  if (!cq_v_plain(native, CQ_SYMBOL_MAX - 1) || !cq_v_plain(client_id, 36))
    return cq_error_set(err, CQ_EINVAL, "bybit: cancel: bad symbol or orderLinkId");
  cq_vbuf b;
  cq_vbuf_init(&b, buf, n);
  cq_vbuf_add(&b, "{\"category\":\"spot\",\"symbol\":\"%s\",\"orderLinkId\":\"%s\"}", native,
              client_id);
  return done(&b, "cancel body", err);
}

int cq_bybit_order_query(const char *native, const char *client_id, char *buf, size_t n,
                         cq_error *err) {
  if (!cq_v_plain(native, CQ_SYMBOL_MAX - 1) || (client_id && !cq_v_plain(client_id, 36)))
    return cq_error_set(err, CQ_EINVAL, "bybit: order query: bad symbol or orderLinkId");
  cq_vbuf b;
  cq_vbuf_init(&b, buf, n);
  cq_vbuf_add(&b, "category=spot&symbol=%s", native);
  if (client_id) cq_vbuf_add(&b, "&orderLinkId=%s", client_id);
  return done(&b, "order query", err);
}

int cq_bybit_subscribe_msg(const char *op, const cq_venue_sub *subs, const char *const *natives,
                           size_t nsubs, int book_depth, char *buf, size_t n, cq_error *err) {
  if (!op || (strcmp(op, "subscribe") != 0 && strcmp(op, "unsubscribe") != 0))
    return cq_error_set(err, CQ_EINVAL, "bybit: stream op must be subscribe or unsubscribe");
  if (!subs || nsubs == 0) return cq_error_set(err, CQ_EINVAL, "bybit: no subscription");
  if (book_depth == 0) book_depth = 200;
  if (book_depth != 1 && book_depth != 50 && book_depth != 200)
    return cq_error_set(err, CQ_EINVAL, "bybit: spot book depth is 1, 50 or 200, not %d",
                        book_depth);
  cq_vbuf b;
  cq_vbuf_init(&b, buf, n);
  cq_vbuf_add(&b, "{\"op\":\"%s\",\"args\":[", op);
  for (size_t i = 0; i < nsubs; i++) {
    const cq_venue_sub *s = &subs[i];
    const char *sep = i ? "," : "";
    if (s->channel == CQ_VCH_USER) {
      cq_vbuf_add(&b, "%s\"order\",\"execution\",\"wallet\"", sep);
      continue;
    }
    const char *sym = natives ? natives[i] : NULL;
    if (!cq_v_plain(sym, CQ_SYMBOL_MAX - 1))
      return cq_error_set(err, CQ_EINVAL, "bybit: subscription %zu: bad symbol", i);
    switch (s->channel) {
      case CQ_VCH_TRADES:
        cq_vbuf_add(&b, "%s\"publicTrade.%s\"", sep, sym);
        break;
      case CQ_VCH_QUOTES:
        cq_vbuf_add(&b, "%s\"orderbook.1.%s\"", sep, sym);
        break;
      case CQ_VCH_BOOK:
        cq_vbuf_add(&b, "%s\"orderbook.%d.%s\"", sep, book_depth, sym);
        break;
      case CQ_VCH_TICKER:
        cq_vbuf_add(&b, "%s\"tickers.%s\"", sep, sym);
        break;
      case CQ_VCH_KLINES: {
        const char *iv = cq_bybit_interval_name(s->tf);
        if (!iv) {
          char t[CQ_TF_STRMAX];
          cq_timeframe_format(s->tf, t, sizeof t);
          return cq_error_set(err, CQ_EUNSUPPORTED, "bybit: no kline topic for %s", t);
        }
        cq_vbuf_add(&b, "%s\"kline.%s.%s\"", sep, iv, sym);
        break;
      }
      case CQ_VCH_AGG_TRADES:
        return cq_error_set(err, CQ_EUNSUPPORTED, "bybit: no aggregate trades stream");
      case CQ_VCH_USER:
        break;
      default:
        return cq_error_set(err, CQ_EINVAL, "bybit: subscription %zu: bad channel", i);
    }
  }
  cq_vbuf_add(&b, "]}");
  return done(&b, "stream request", err);
}

int cq_bybit_auth_msg(const char *api_key, const char *secret, int64_t expires_ms, char *buf,
                      size_t n, cq_error *err) {
  if (!cq_v_plain(api_key, 128)) return cq_error_set(err, CQ_EINVAL, "bybit: auth: bad key");
  char sig[65];
  int rc = cq_bybit_sign_ws(secret, expires_ms, sig, err);
  if (rc < 0) return rc;
  cq_vbuf b;
  cq_vbuf_init(&b, buf, n);
  cq_vbuf_add(&b, "{\"op\":\"auth\",\"args\":[\"%s\",%lld,\"%s\"]}", api_key, (long long)expires_ms,
              sig);
  return done(&b, "auth", err);
}
