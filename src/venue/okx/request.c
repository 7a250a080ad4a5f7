/* OKX requests beyond the order body: cancel and query by client id, stream subscriptions
 * and the stream login. */
#include <stdio.h>
#include <string.h>

#include "okx_json.h"

static int done(cq_vbuf *b, const char *what, cq_error *err) {
  if (b->overflow)
    return cq_error_set(err, CQ_ELIMIT, "okx: %s does not fit in %zu bytes", what, b->cap);
  return (int)b->len;
}

static int check_ids(const char *inst_id, const char *client_id, const char *what, cq_error *err) {
  if (!cq_v_plain(inst_id, CQ_SYMBOL_MAX - 1))
    return cq_error_set(err, CQ_EINVAL, "okx: %s: bad instId", what);
  if (!cq_v_plain(client_id, 32)) return cq_error_set(err, CQ_EINVAL, "okx: %s: bad clOrdId", what);
  return 0;
}

int cq_okx_trades_query(const char *inst_id, int64_t after_id, int limit, char *buf, size_t n,
                        cq_error *err) {
  if (!cq_v_plain(inst_id, CQ_SYMBOL_MAX - 1))
    return cq_error_set(err, CQ_EINVAL, "okx: trades query: bad instId");
  if (limit < 0 || limit > 500)
    return cq_error_set(err, CQ_EINVAL, "okx: trades query: limit %d is not 0..500", limit);
  cq_vbuf b;
  cq_vbuf_init(&b, buf, n);
  cq_vbuf_add(&b, "instId=%s", inst_id);
  if (after_id >= 0) cq_vbuf_add(&b, "&type=1&after=%lld", (long long)after_id);
  if (limit > 0) cq_vbuf_add(&b, "&limit=%d", limit);
  return done(&b, "trades query", err);
}

int cq_okx_books_query(const char *inst_id, int depth, char *buf, size_t n, cq_error *err) {
  if (!cq_v_plain(inst_id, CQ_SYMBOL_MAX - 1))
    return cq_error_set(err, CQ_EINVAL, "okx: books query: bad instId");
  if (depth < 0 || depth > 400)
    return cq_error_set(err, CQ_EINVAL, "okx: books query: depth %d is not 0..400", depth);
  cq_vbuf b;
  cq_vbuf_init(&b, buf, n);
  cq_vbuf_add(&b, "instId=%s", inst_id);
  if (depth > 0) cq_vbuf_add(&b, "&sz=%d", depth);
  return done(&b, "books query", err);
}

int cq_okx_encode_cancel(const char *inst_id, const char *client_id, char *buf, size_t n,
                         cq_error *err) {
  int rc = check_ids(inst_id, client_id, "cancel", err);
  if (rc < 0) return rc;
  cq_vbuf b;
  cq_vbuf_init(&b, buf, n);
  cq_vbuf_add(&b, "{\"instId\":\"%s\",\"clOrdId\":\"%s\"}", inst_id, client_id);
  return done(&b, "cancel body", err);
}

int cq_okx_order_query(const char *inst_id, const char *client_id, char *buf, size_t n,
                       cq_error *err) {
  int rc = check_ids(inst_id, client_id, "order query", err);
  if (rc < 0) return rc;
  cq_vbuf b;
  cq_vbuf_init(&b, buf, n);
  cq_vbuf_add(&b, "instId=%s&clOrdId=%s", inst_id, client_id);
  return done(&b, "order query", err);
}

int cq_okx_subscribe_msg(const char *op, const cq_venue_sub *subs, const char *const *natives,
                         size_t nsubs, char *buf, size_t n, cq_error *err) {
  if (!op || (strcmp(op, "subscribe") != 0 && strcmp(op, "unsubscribe") != 0))
    return cq_error_set(err, CQ_EINVAL, "okx: stream op must be subscribe or unsubscribe");
  if (!subs || nsubs == 0) return cq_error_set(err, CQ_EINVAL, "okx: no subscription");
  cq_vbuf b;
  cq_vbuf_init(&b, buf, n);
  cq_vbuf_add(&b, "{\"op\":\"%s\",\"args\":[", op);
  for (size_t i = 0; i < nsubs; i++) {
    const cq_venue_sub *s = &subs[i];
    const char *sep = i ? "," : "";
    if (s->channel == CQ_VCH_USER) {
      cq_vbuf_add(&b, "%s{\"channel\":\"orders\",\"instType\":\"SPOT\"},{\"channel\":\"account\"}",
                  sep);
      continue;
    }
    const char *inst = natives ? natives[i] : NULL;
    if (!cq_v_plain(inst, CQ_SYMBOL_MAX - 1))
      return cq_error_set(err, CQ_EINVAL, "okx: subscription %zu: bad instId", i);
    switch (s->channel) {
      case CQ_VCH_TRADES:
        cq_vbuf_add(&b, "%s{\"channel\":\"trades\",\"instId\":\"%s\"}", sep, inst);
        break;
      case CQ_VCH_QUOTES:
        cq_vbuf_add(&b, "%s{\"channel\":\"bbo-tbt\",\"instId\":\"%s\"}", sep, inst);
        break;
      case CQ_VCH_BOOK:
        cq_vbuf_add(&b, "%s{\"channel\":\"books\",\"instId\":\"%s\"}", sep, inst);
        break;
      case CQ_VCH_TICKER:
        cq_vbuf_add(&b, "%s{\"channel\":\"tickers\",\"instId\":\"%s\"}", sep, inst);
        break;
      case CQ_VCH_KLINES: {
        const char *bar = cq_okx_bar_name(s->tf);
        if (!bar) {
          char t[CQ_TF_STRMAX];
          cq_timeframe_format(s->tf, t, sizeof t);
          return cq_error_set(err, CQ_EUNSUPPORTED, "okx: no candle channel for %s", t);
        }
        cq_vbuf_add(&b, "%s{\"channel\":\"candle%s\",\"instId\":\"%s\"}", sep, bar, inst);
        break;
      }
      case CQ_VCH_AGG_TRADES:
        return cq_error_set(err, CQ_EUNSUPPORTED, "okx: no aggregate trades stream");
      case CQ_VCH_USER:
        break;
      default:
        return cq_error_set(err, CQ_EINVAL, "okx: subscription %zu: bad channel", i);
    }
  }
  cq_vbuf_add(&b, "]}");
  return done(&b, "stream request", err);
}

int cq_okx_login_msg(const char *api_key, const char *passphrase, const char *secret,
                     int64_t unix_s, char *buf, size_t n, cq_error *err) {
  if (!cq_v_plain(api_key, 128) || !cq_v_plain(passphrase, 128))
    return cq_error_set(err, CQ_EINVAL, "okx: login: bad key or passphrase");
  char ts[24], sig[45];
  snprintf(ts, sizeof ts, "%lld", (long long)unix_s);
  int rc = cq_okx_sign(secret, ts, "GET", "/users/self/verify", NULL, sig, err);
  if (rc < 0) return rc;
  cq_vbuf b;
  cq_vbuf_init(&b, buf, n);
  cq_vbuf_add(&b,
              "{\"op\":\"login\",\"args\":[{\"apiKey\":\"%s\",\"passphrase\":\"%s\","
              "\"timestamp\":\"%s\",\"sign\":\"%s\"}]}",
              api_key, passphrase, ts, sig);
  return done(&b, "login", err);
}
