/* Binance spot REST answers -> cquant types, error bodies -> cq_verror, and the order
 * request encoder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bn_json.h"

/* ---- errors ------------------------------------------------------------------------------ */

cq_verr cq_bn_error_class(int code, const char *msg) {
  switch (code) {
    case -1003: /* too many requests */
    case -1015: /* too many orders */
      return CQ_VERR_RATE_LIMITED;
    case -1021:
      return CQ_VERR_TIMESTAMP;
    case -1002:
    case -1022:
    case -2014:
    case -2015:
      return CQ_VERR_AUTH;
    case -2010:
      return msg && cq_strcasestr(msg, "insufficient") ? CQ_VERR_INSUFFICIENT : CQ_VERR_REJECTED;
    case -2011:
    case -2013:
      return CQ_VERR_NOT_FOUND;
    case -1013:
      return CQ_VERR_REJECTED; /* a filter failure */
    case -1000:                /* an unknown error while processing */
    case -1001:                /* internal error, disconnected */
    case -1006:                /* unexpected response: status unknown */
    case -1007:                /* timeout waiting for the backend: status unknown */
      return CQ_VERR_UNKNOWN_OUTCOME;
    default:
      break;
  }
  if (code <= -1100 && code >= -1199) return CQ_VERR_BAD_REQUEST;
  if (code <= -2000 && code >= -2999) return CQ_VERR_REJECTED;
  if (code <= -1000 && code >= -1099) return CQ_VERR_BAD_REQUEST;
  return CQ_VERR_REJECTED;
}

static cq_verr status_class(int status) {
  if (status == 429) return CQ_VERR_RATE_LIMITED;
  if (status == 418) return CQ_VERR_BANNED;
  if (status == 401 || status == 403) return CQ_VERR_AUTH;
  if (status >= 500) return CQ_VERR_UNKNOWN_OUTCOME;
  return CQ_VERR_PROTOCOL;
}

int cq_bn_decode_error(int http_status, const char *body, size_t len, cq_verror *ve) {
  cq_verror local;
  if (!ve) ve = &local;
  memset(ve, 0, sizeof *ve);
  ve->http_status = http_status;
  json_t *j = NULL;
  json_error_t je;
  if (body && len) j = json_loadb(body, len, 0, &je);
  json_t *code = j ? json_object_get(j, "code") : NULL;
  json_t *msg = j ? json_object_get(j, "msg") : NULL;
  if (json_is_integer(code)) {
    ve->venue_code = (int)json_integer_value(code);
    const char *m = json_is_string(msg) ? json_string_value(msg) : "";
    ve->cls = cq_bn_error_class(ve->venue_code, m);
    /* The status outranks the body for the limiter's two states. */
    if (http_status == 418) ve->cls = CQ_VERR_BANNED;
    if (http_status == 429) ve->cls = CQ_VERR_RATE_LIMITED;
    cq_error_set(&ve->e, cq_verr_code(ve->cls), "binance: %d %.200s (HTTP %d, %s)", ve->venue_code, m,
                 http_status, cq_verr_name(ve->cls));
  } else {
    ve->cls = status_class(http_status);
    cq_error_set(&ve->e, cq_verr_code(ve->cls), "binance: HTTP %d without an error body (%s)",
                 http_status, cq_verr_name(ve->cls));
  }
  json_decref(j);
  return ve->e.code;
}

/* ---- small answers ---------------------------------------------------------------------- */

/* Loads s and checks the top-level type; the caller json_decref's *out. */
static int load_obj(const char *s, size_t n, json_t **out, cq_error *err) {
  int rc = cq__bn_load(s, n, out, err);
  if (rc < 0) return rc;
  rc = cq__bn_obj(*out, "", err);
  if (rc < 0) {
    json_decref(*out);
    *out = NULL;
  }
  return rc;
}

static int load_arr(const char *s, size_t n, json_t **out, cq_error *err) {
  int rc = cq__bn_load(s, n, out, err);
  if (rc < 0) return rc;
  rc = cq__bn_arr(*out, "", err);
  if (rc == 0 && json_array_size(*out) > CQ_BN_MAX_ROWS)
    rc = cq__bn_perr(err, "", "%zu rows is over %d", json_array_size(*out), CQ_BN_MAX_ROWS);
  if (rc < 0) {
    json_decref(*out);
    *out = NULL;
  }
  return rc;
}

int cq_bn_parse_server_time(const char *s, size_t n, cq_time *out, cq_error *err) {
  json_t *j;
  int rc = load_obj(s, n, &j, err);
  if (rc < 0) return rc;
  rc = cq__bn_time(j, "", "serverTime", out, err);
  json_decref(j);
  return rc;
}

int cq_bn_parse_avg_price(const char *s, size_t n, cq_dec *price, cq_time *close_time,
                          cq_error *err) {
  json_t *j;
  int rc = load_obj(s, n, &j, err);
  if (rc < 0) return rc;
  cq_dec p;
  int64_t ct = 0;
  rc = cq__bn_dec(j, "", "price", &p, err);
  if (rc == 0) rc = cq__bn_i64_opt(j, "", "closeTime", &ct, err);
  cq_time t = 0;
  if (rc == 0) rc = cq__bn_ms_to_time(ct, "closeTime", &t, err);
  if (rc == 0) {
    *price = p;
    if (close_time) *close_time = t;
  }
  json_decref(j);
  return rc;
}

int cq_bn_parse_price(const char *s, size_t n, char native[CQ_SYMBOL_MAX], cq_dec *price,
                      cq_error *err) {
  json_t *j;
  int rc = load_obj(s, n, &j, err);
  if (rc < 0) return rc;
  char sym[CQ_SYMBOL_MAX];
  cq_dec p;
  rc = cq__bn_str(j, "", "symbol", sym, sizeof sym, err);
  if (rc == 0) rc = cq__bn_dec(j, "", "price", &p, err);
  if (rc == 0) {
    *price = p;
    if (native) memcpy(native, sym, sizeof sym);
  }
  json_decref(j);
  return rc;
}

int cq_bn_parse_book_ticker(const char *s, size_t n, char native[CQ_SYMBOL_MAX], cq_quote *out,
                            cq_error *err) {
  json_t *j;
  int rc = load_obj(s, n, &j, err);
  if (rc < 0) return rc;
  char sym[CQ_SYMBOL_MAX];
  cq_quote q;
  memset(&q, 0, sizeof q);
  int64_t u = 0;
  rc = cq__bn_str(j, "", "symbol", sym, sizeof sym, err);
  if (rc == 0) rc = cq__bn_dec(j, "", "bidPrice", &q.bid, err);
  if (rc == 0) rc = cq__bn_dec(j, "", "bidQty", &q.bid_qty, err);
  if (rc == 0) rc = cq__bn_dec(j, "", "askPrice", &q.ask, err);
  if (rc == 0) rc = cq__bn_dec(j, "", "askQty", &q.ask_qty, err);
  if (rc == 0) rc = cq__bn_i64_opt(j, "", "lastUpdateId", &u, err);
  if (rc == 0) {
    q.update_id = (uint64_t)u;
    *out = q;
    if (native) memcpy(native, sym, sizeof sym);
  }
  json_decref(j);
  return rc;
}

int cq_bn_parse_ticker_24h(const char *s, size_t n, char native[CQ_SYMBOL_MAX], cq_ticker *out,
                           cq_error *err) {
  json_t *j;
  int rc = load_obj(s, n, &j, err);
  if (rc < 0) return rc;
  char sym[CQ_SYMBOL_MAX];
  cq_ticker t;
  memset(&t, 0, sizeof t);
  t.trades = -1;
  static const struct {
    const char *key;
    size_t off;
    bool required;
  } f[] = {
      {"lastPrice", offsetof(cq_ticker, last), true},
      {"lastQty", offsetof(cq_ticker, last_qty), false},
      {"openPrice", offsetof(cq_ticker, open), true},
      {"highPrice", offsetof(cq_ticker, high), true},
      {"lowPrice", offsetof(cq_ticker, low), true},
      {"volume", offsetof(cq_ticker, volume), true},
      {"quoteVolume", offsetof(cq_ticker, quote_volume), true},
      {"priceChange", offsetof(cq_ticker, change), false},
      {"priceChangePercent", offsetof(cq_ticker, change_pct), false},
      {"weightedAvgPrice", offsetof(cq_ticker, vwap), false},
      {"bidPrice", offsetof(cq_ticker, bid), false},
      {"bidQty", offsetof(cq_ticker, bid_qty), false},
      {"askPrice", offsetof(cq_ticker, ask), false},
      {"askQty", offsetof(cq_ticker, ask_qty), false},
  };
  rc = cq__bn_str(j, "", "symbol", sym, sizeof sym, err);
  for (size_t i = 0; rc == 0 && i < sizeof f / sizeof f[0]; i++) {
    cq_dec *d = (cq_dec *)((char *)&t + f[i].off);
    rc = f[i].required ? cq__bn_dec(j, "", f[i].key, d, err)
                       : cq__bn_dec_opt(j, "", f[i].key, d, err);
  }
  if (rc == 0) rc = cq__bn_time(j, "", "openTime", &t.open_time, err);
  if (rc == 0) rc = cq__bn_time(j, "", "closeTime", &t.close_time, err);
  if (rc == 0) rc = cq__bn_i64_opt(j, "", "count", &t.trades, err);
  if (rc == 0) {
    *out = t;
    if (native) memcpy(native, sym, sizeof sym);
  }
  json_decref(j);
  return rc;
}

/* ---- exchange info ---------------------------------------------------------------------- */

static int rate_limit(json_t *o, const char *p, cq_bn_exchange_info *x, cq_error *err) {
  char type[32], interval[16];
  int64_t num = 0, limit = 0;
  int rc = cq__bn_obj(o, p, err);
  if (rc == 0) rc = cq__bn_str(o, p, "rateLimitType", type, sizeof type, err);
  if (rc == 0) rc = cq__bn_str(o, p, "interval", interval, sizeof interval, err);
  if (rc == 0) rc = cq__bn_i64(o, p, "intervalNum", &num, err);
  if (rc == 0) rc = cq__bn_i64(o, p, "limit", &limit, err);
  if (rc < 0) return rc;
  cq_rl_kind kind;
  if (strcmp(type, "REQUEST_WEIGHT") == 0)
    kind = CQ_RL_WEIGHT;
  else if (strcmp(type, "ORDERS") == 0)
    kind = CQ_RL_ORDERS;
  else
    return 0; /* RAW_REQUESTS: the weight windows are stricter in practice */
  int64_t unit;
  if (strcmp(interval, "SECOND") == 0)
    unit = CQ_NS_PER_SEC;
  else if (strcmp(interval, "MINUTE") == 0)
    unit = CQ_NS_PER_MIN;
  else if (strcmp(interval, "HOUR") == 0)
    unit = CQ_NS_PER_HOUR;
  else if (strcmp(interval, "DAY") == 0)
    unit = CQ_NS_PER_DAY;
  else {
    char q[CQ__BN_PATH_MAX];
    cq__bn_path(q, p, "interval");
    return cq__bn_perr(err, q, "unknown interval \"%s\"", interval);
  }
  if (num <= 0 || num > 1000 || limit <= 0) {
    return cq__bn_perr(err, p, "intervalNum %lld / limit %lld out of range", (long long)num,
                       (long long)limit);
  }
  if (x->nlimits == CQ_RL_MAX_WINDOWS) return 0;
  x->limits[x->nlimits].kind = kind;
  x->limits[x->nlimits].interval_ns = unit * num;
  x->limits[x->nlimits].limit = limit;
  x->nlimits++;
  return 0;
}

static int instrument(json_t *o, const char *p, cq_instrument *in, cq_error *err) {
  char status[32];
  memset(in, 0, sizeof *in);
  cq_strlcpy(in->venue, "binance", sizeof in->venue);
  int rc = cq__bn_obj(o, p, err);
  if (rc == 0) rc = cq__bn_str(o, p, "symbol", in->native, sizeof in->native, err);
  if (rc == 0) rc = cq__bn_str(o, p, "status", status, sizeof status, err);
  if (rc == 0) rc = cq__bn_str(o, p, "baseAsset", in->base, sizeof in->base, err);
  if (rc == 0) rc = cq__bn_str(o, p, "quoteAsset", in->quote, sizeof in->quote, err);
  if (rc < 0) return rc;
  if (!*in->base || !*in->quote) return cq__bn_perr(err, p, "empty baseAsset or quoteAsset");
  if (strlen(in->base) + strlen(in->quote) + 2 > sizeof in->symbol)
    return cq__bn_perr(err, p, "symbol %s/%s is too long", in->base, in->quote);
  snprintf(in->symbol, sizeof in->symbol, "%s/%s", in->base, in->quote);
  if (strcmp(status, "TRADING") == 0)
    in->status = CQ_INSTRUMENT_TRADING;
  else if (strcmp(status, "END_TRADING") == 0 || strcmp(status, "DELISTED") == 0)
    in->status = CQ_INSTRUMENT_DELISTED;
  else
    in->status = CQ_INSTRUMENT_HALTED; /* BREAK, HALT, PRE_TRADING, POST_TRADING, AUCTION */
  char fp[CQ__BN_PATH_MAX];
  cq__bn_path(fp, p, "filters");
  json_t *filters = json_object_get(o, "filters");
  if (!filters) return 0;
  rc = cq__bn_arr(filters, fp, err);
  if (rc < 0) return rc;
  size_t i;
  json_t *f;
  json_array_foreach(filters, i, f) {
    char q[CQ__BN_PATH_MAX], type[40];
    cq__bn_pathi(q, fp, i);
    rc = cq__bn_obj(f, q, err);
    if (rc == 0) rc = cq__bn_str(f, q, "filterType", type, sizeof type, err);
    if (rc < 0) return rc;
    if (strcmp(type, "PRICE_FILTER") == 0) {
      rc = cq__bn_dec(f, q, "tickSize", &in->tick, err);
    } else if (strcmp(type, "LOT_SIZE") == 0) {
      rc = cq__bn_dec(f, q, "stepSize", &in->lot, err);
      if (rc == 0) rc = cq__bn_dec(f, q, "minQty", &in->min_qty, err);
    } else if (strcmp(type, "MIN_NOTIONAL") == 0 || strcmp(type, "NOTIONAL") == 0) {
      rc = cq__bn_dec(f, q, "minNotional", &in->min_notional, err);
    }
    if (rc < 0) return rc;
  }
  return 0;
}

int cq_bn_parse_exchange_info(const char *s, size_t n, cq_bn_exchange_info *out, cq_error *err) {
  if (!out) return cq_error_set(err, CQ_EINVAL, "binance: exchange info: out is NULL");
  memset(out, 0, sizeof *out);
  json_t *j;
  int rc = load_obj(s, n, &j, err);
  if (rc < 0) return rc;
  cq_bn_exchange_info x;
  memset(&x, 0, sizeof x);
  int64_t st = 0;
  rc = cq__bn_i64_opt(j, "", "serverTime", &st, err);
  if (rc == 0) rc = cq__bn_ms_to_time(st, "serverTime", &x.server_time, err);
  json_t *rl = json_object_get(j, "rateLimits");
  if (rc == 0 && rl) rc = cq__bn_arr(rl, "rateLimits", err);
  if (rc == 0 && rl) {
    size_t i;
    json_t *o;
    json_array_foreach(rl, i, o) {
      char p[CQ__BN_PATH_MAX];
      cq__bn_pathi(p, "rateLimits", i);
      if ((rc = rate_limit(o, p, &x, err)) < 0) break;
    }
  }
  json_t *syms = json_object_get(j, "symbols");
  if (rc == 0) rc = cq__bn_arr(syms, "symbols", err);
  if (rc == 0 && json_array_size(syms) > CQ_BN_MAX_SYMBOLS)
    rc = cq__bn_perr(err, "symbols", "%zu symbols is over %d", json_array_size(syms),
                     CQ_BN_MAX_SYMBOLS);
  if (rc == 0) {
    size_t cnt = json_array_size(syms);
    x.instruments = calloc(cnt ? cnt : 1, sizeof *x.instruments);
    if (!x.instruments) rc = cq_error_set(err, CQ_ENOMEM, "binance: exchange info: out of memory");
    size_t i;
    json_t *o;
    if (rc == 0 && x.instruments) json_array_foreach(syms, i, o) {
        char p[CQ__BN_PATH_MAX];
        cq__bn_pathi(p, "symbols", i);
        if ((rc = instrument(o, p, &x.instruments[i], err)) < 0) break;
        x.ninstruments++;
      }
  }
  json_decref(j);
  if (rc < 0) {
    free(x.instruments);
    return rc;
  }
  *out = x;
  return 0;
}

void cq_bn_exchange_info_release(cq_bn_exchange_info *x) {
  if (!x) return;
  free(x->instruments);
  x->instruments = NULL;
  x->ninstruments = 0;
}

/* ---- klines, depth, trades -------------------------------------------------------------- */

static int dbl_at(json_t *row, size_t k, const char *p, double *out, cq_error *err) {
  char q[CQ__BN_PATH_MAX];
  cq_dec d;
  cq__bn_pathi(q, p, k);
  int rc = cq__bn_dec_v(json_array_get(row, k), q, &d, err);
  if (rc == 0) *out = cq_dec_to_double(d);
  return rc;
}

static int i64_at(json_t *row, size_t k, const char *p, int64_t *out, cq_error *err) {
  char q[CQ__BN_PATH_MAX];
  cq__bn_pathi(q, p, k);
  return cq__bn_i64_v(json_array_get(row, k), q, out, err);
}

int cq_bn_parse_klines(const char *s, size_t n, cq_time now, cq_candles *out, cq_error *err) {
  if (!out) return cq_error_set(err, CQ_EINVAL, "binance: klines: out is NULL");
  json_t *j;
  int rc = load_arr(s, n, &j, err);
  if (rc < 0) return rc;
  size_t start = out->len;
  rc = cq_candles_reserve(out, out->len + json_array_size(j));
  if (rc < 0) {
    cq_error_set(err, rc, "binance: klines: %zu more rows: %s", json_array_size(j),
                 cq_strerror(rc));
    json_decref(j);
    return rc;
  }
  size_t i;
  json_t *row;
  json_array_foreach(j, i, row) {
    char p[CQ__BN_PATH_MAX];
    cq__bn_pathi(p, "", i);
    rc = cq__bn_arr(row, p, err);
    if (rc == 0 && json_array_size(row) < 9)
      rc = cq__bn_perr(err, p, "a kline row has %zu fields, expected at least 9",
                       json_array_size(row));
    cq_candle k;
    int64_t ot = 0, ct = 0;
    if (rc == 0) rc = i64_at(row, 0, p, &ot, err);
    if (rc == 0) rc = dbl_at(row, 1, p, &k.open, err);
    if (rc == 0) rc = dbl_at(row, 2, p, &k.high, err);
    if (rc == 0) rc = dbl_at(row, 3, p, &k.low, err);
    if (rc == 0) rc = dbl_at(row, 4, p, &k.close, err);
    if (rc == 0) rc = dbl_at(row, 5, p, &k.volume, err);
    if (rc == 0) rc = i64_at(row, 6, p, &ct, err);
    if (rc == 0) rc = dbl_at(row, 7, p, &k.quote_volume, err);
    if (rc == 0) rc = i64_at(row, 8, p, &k.trades, err);
    cq_time cts = 0;
    if (rc == 0) rc = cq__bn_ms_to_time(ot, p, &k.open_time, err);
    if (rc == 0) rc = cq__bn_ms_to_time(ct, p, &cts, err);
    if (rc < 0) break;
    k.closed = cts < now;
    rc = cq_candles_push(out, &k);
    if (rc < 0) {
      cq_error_set(err, rc, "binance: klines: %s", cq_strerror(rc));
      break;
    }
  }
  json_decref(j);
  if (rc < 0) out->len = start; /* nothing half-written */
  return rc;
}

static int levels(json_t *a, const char *p, cq_l2book *book, cq_side side, cq_error *err) {
  int rc = cq__bn_arr(a, p, err);
  if (rc < 0) return rc;
  if (json_array_size(a) > CQ_BN_MAX_LEVELS)
    return cq__bn_perr(err, p, "%zu levels is over %d", json_array_size(a), CQ_BN_MAX_LEVELS);
  size_t i;
  json_t *lv;
  json_array_foreach(a, i, lv) {
    char q[CQ__BN_PATH_MAX], r[CQ__BN_PATH_MAX];
    cq__bn_pathi(q, p, i);
    rc = cq__bn_arr(lv, q, err);
    if (rc == 0 && json_array_size(lv) < 2) rc = cq__bn_perr(err, q, "a level needs [price, qty]");
    cq_dec px = CQ_DEC(0, 0), qty = CQ_DEC(0, 0);
    cq__bn_pathi(r, q, 0);
    if (rc == 0) rc = cq__bn_dec_v(json_array_get(lv, 0), r, &px, err);
    cq__bn_pathi(r, q, 1);
    if (rc == 0) rc = cq__bn_dec_v(json_array_get(lv, 1), r, &qty, err);
    if (rc == 0 && (px.m <= 0 || qty.m < 0))
      rc = cq__bn_perr(err, q, "price must be > 0 and qty >= 0");
    if (rc == 0) {
      rc = cq_l2book_set(book, side, px, qty, err);
      if (rc < 0) cq_error_field(err, q);
    }
    if (rc < 0) return rc;
  }
  return 0;
}

int cq_bn_parse_depth(const char *s, size_t n, cq_l2book *book, cq_error *err) {
  if (!book) return cq_error_set(err, CQ_EINVAL, "binance: depth: book is NULL");
  json_t *j;
  int rc = load_obj(s, n, &j, err);
  if (rc < 0) return rc;
  int64_t lid = 0;
  cq_l2book_clear(book);
  rc = cq__bn_i64(j, "", "lastUpdateId", &lid, err);
  if (rc == 0 && lid < 0) rc = cq__bn_perr(err, "lastUpdateId", "negative");
  if (rc == 0) rc = levels(json_object_get(j, "bids"), "bids", book, CQ_SIDE_BUY, err);
  if (rc == 0) rc = levels(json_object_get(j, "asks"), "asks", book, CQ_SIDE_SELL, err);
  json_decref(j);
  if (rc < 0) {
    cq_l2book_clear(book);
    return rc;
  }
  cq_l2book_set_seq(book, (uint64_t)lid);
  cq_l2book_set_valid(book, !cq_l2book_crossed(book));
  return 0;
}

static int trades_common(const char *s, size_t n, bool agg, cq_trades *out, cq_error *err) {
  if (!out) return cq_error_set(err, CQ_EINVAL, "binance: trades: out is NULL");
  json_t *j;
  int rc = load_arr(s, n, &j, err);
  if (rc < 0) return rc;
  size_t start = out->len;
  rc = cq_trades_reserve(out, out->len + json_array_size(j));
  if (rc < 0) cq_error_set(err, rc, "binance: trades: %s", cq_strerror(rc));
  size_t i;
  json_t *o;
  if (rc == 0) json_array_foreach(j, i, o) {
      char p[CQ__BN_PATH_MAX];
      cq__bn_pathi(p, "", i);
      cq_trade t;
      memset(&t, 0, sizeof t);
      bool buyer_maker = false;
      rc = cq__bn_obj(o, p, err);
      if (rc == 0) rc = cq__bn_id(o, p, agg ? "a" : "id", t.id, sizeof t.id, err);
      if (rc == 0) rc = cq__bn_dec(o, p, agg ? "p" : "price", &t.price, err);
      if (rc == 0) rc = cq__bn_dec(o, p, agg ? "q" : "qty", &t.qty, err);
      if (rc == 0) rc = cq__bn_time(o, p, agg ? "T" : "time", &t.time, err);
      if (rc == 0) rc = cq__bn_bool(o, p, agg ? "m" : "isBuyerMaker", &buyer_maker, err);
      if (rc < 0) break;
      /* The buyer was the resting order: the seller took. */
      t.taker_side = buyer_maker ? CQ_SIDE_SELL : CQ_SIDE_BUY;
      rc = cq_trades_push(out, &t);
      if (rc < 0) {
        cq_error_set(err, rc, "binance: trades: %s", cq_strerror(rc));
        break;
      }
    }
  json_decref(j);
  if (rc < 0) out->len = start;
  return rc;
}

int cq_bn_parse_trades(const char *s, size_t n, cq_trades *out, cq_error *err) {
  return trades_common(s, n, false, out, err);
}

int cq_bn_parse_agg_trades(const char *s, size_t n, cq_trades *out, cq_error *err) {
  return trades_common(s, n, true, out, err);
}

/* ---- account ----------------------------------------------------------------------------- */

int cq_bn_parse_account(const char *s, size_t n, cq_balance **out, size_t *count, cq_error *err) {
  if (!out || !count) return cq_error_set(err, CQ_EINVAL, "binance: account: out is NULL");
  json_t *j;
  int rc = load_obj(s, n, &j, err);
  if (rc < 0) return rc;
  json_t *b = json_object_get(j, "balances");
  rc = cq__bn_arr(b, "balances", err);
  if (rc == 0 && json_array_size(b) > CQ_BN_MAX_BALANCES)
    rc = cq__bn_perr(err, "balances", "%zu balances is over %d", json_array_size(b),
                     CQ_BN_MAX_BALANCES);
  cq_balance *v = NULL;
  if (rc == 0) {
    v = calloc(json_array_size(b) ? json_array_size(b) : 1, sizeof *v);
    if (!v) rc = cq_error_set(err, CQ_ENOMEM, "binance: account: out of memory");
  }
  size_t i;
  json_t *o;
  if (rc == 0) json_array_foreach(b, i, o) {
      char p[CQ__BN_PATH_MAX];
      cq__bn_pathi(p, "balances", i);
      rc = cq__bn_obj(o, p, err);
      if (rc == 0) rc = cq__bn_str(o, p, "asset", v[i].asset, sizeof v[i].asset, err);
      if (rc == 0) rc = cq__bn_dec(o, p, "free", &v[i].free, err);
      if (rc == 0) rc = cq__bn_dec(o, p, "locked", &v[i].locked, err);
      if (rc < 0) break;
    }
  size_t cnt = json_array_size(b);
  json_decref(j);
  if (rc < 0) {
    free(v);
    return rc;
  }
  *out = v;
  *count = cnt;
  return 0;
}

int cq_bn_parse_my_trades(const char *s, size_t n, const cq_bn_symbols *syms, cq_venue_fill **out,
                          size_t *count, cq_error *err) {
  if (!out || !count) return cq_error_set(err, CQ_EINVAL, "binance: myTrades: out is NULL");
  json_t *j;
  int rc = load_arr(s, n, &j, err);
  if (rc < 0) return rc;
  size_t cnt = json_array_size(j);
  cq_venue_fill *v = calloc(cnt ? cnt : 1, sizeof *v);
  if (!v) rc = cq_error_set(err, CQ_ENOMEM, "binance: myTrades: out of memory");
  size_t i;
  json_t *o;
  if (rc == 0 && v) json_array_foreach(j, i, o) {
      char p[CQ__BN_PATH_MAX], native[CQ_SYMBOL_MAX];
      cq__bn_pathi(p, "", i);
      cq_venue_fill *f = &v[i];
      bool buyer = false, maker = false;
      rc = cq__bn_obj(o, p, err);
      if (rc == 0) rc = cq__bn_str(o, p, "symbol", native, sizeof native, err);
      if (rc == 0) rc = cq__bn_id(o, p, "id", f->trade_id, sizeof f->trade_id, err);
      if (rc == 0)
        rc = cq__bn_id(o, p, "orderId", f->venue_order_id, sizeof f->venue_order_id, err);
      if (rc == 0) rc = cq__bn_dec(o, p, "price", &f->price, err);
      if (rc == 0) rc = cq__bn_dec(o, p, "qty", &f->qty, err);
      if (rc == 0) rc = cq__bn_dec(o, p, "commission", &f->fee, err);
      if (rc == 0) rc = cq__bn_str(o, p, "commissionAsset", f->fee_asset, sizeof f->fee_asset, err);
      if (rc == 0) rc = cq__bn_time(o, p, "time", &f->time, err);
      if (rc == 0) rc = cq__bn_bool(o, p, "isBuyer", &buyer, err);
      if (rc == 0) rc = cq__bn_bool(o, p, "isMaker", &maker, err);
      if (rc < 0) break;
      cq__bn_unify(syms, native, f->symbol);
      f->side = buyer ? CQ_SIDE_BUY : CQ_SIDE_SELL;
      f->liquidity = maker ? CQ_LIQ_MAKER : CQ_LIQ_TAKER;
    }
  json_decref(j);
  if (rc < 0) {
    free(v);
    return rc;
  }
  *out = v;
  *count = cnt;
  return 0;
}

/* ---- orders ------------------------------------------------------------------------------ */

int cq_bn_order_status(const char *s, cq_order_state *out, cq_error *err) {
  static const struct {
    const char *name;
    cq_order_state st;
  } t[] = {
      {"NEW", CQ_OS_ACCEPTED},
      {"PENDING_NEW", CQ_OS_SUBMITTED},
      {"PARTIALLY_FILLED", CQ_OS_PARTIAL},
      {"FILLED", CQ_OS_FILLED},
      {"CANCELED", CQ_OS_CANCELLED},
      {"PENDING_CANCEL", CQ_OS_ACCEPTED}, /* still working until the cancel lands */
      {"REJECTED", CQ_OS_REJECTED},
      {"EXPIRED", CQ_OS_EXPIRED},
      {"EXPIRED_IN_MATCH", CQ_OS_EXPIRED}, /* self-trade prevention */
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (strcmp(s, t[i].name) == 0) {
      *out = t[i].st;
      return 0;
    }
  return cq_error_set(err, CQ_EUNSUPPORTED, "binance: order status \"%.30s\" is unknown", s);
}

int cq_bn_order_type(const char *s, cq_order_type *out, cq_tif *tif, cq_error *err) {
  cq_order_type t;
  bool post_only = false;
  if (strcmp(s, "MARKET") == 0)
    t = CQ_ORDER_MARKET;
  else if (strcmp(s, "LIMIT") == 0)
    t = CQ_ORDER_LIMIT;
  else if (strcmp(s, "LIMIT_MAKER") == 0) {
    t = CQ_ORDER_LIMIT;
    post_only = true;
  } else if (strcmp(s, "STOP_LOSS") == 0 || strcmp(s, "TAKE_PROFIT") == 0)
    t = CQ_ORDER_STOP; /* both trigger a market order at the stop price */
  else if (strcmp(s, "STOP_LOSS_LIMIT") == 0 || strcmp(s, "TAKE_PROFIT_LIMIT") == 0)
    t = CQ_ORDER_STOP_LIMIT;
  else
    return cq_error_set(err, CQ_EUNSUPPORTED, "binance: order type \"%.30s\" is unknown", s);
  *out = t;
  if (tif && post_only) *tif = CQ_TIF_POST_ONLY;
  return 0;
}

static int side_parse(const char *s, const char *p, cq_side *out, cq_error *err) {
  if (strcmp(s, "BUY") == 0)
    *out = CQ_SIDE_BUY;
  else if (strcmp(s, "SELL") == 0)
    *out = CQ_SIDE_SELL;
  else
    return cq__bn_perr(err, p, "side \"%.20s\" is neither BUY nor SELL", s);
  return 0;
}

static int tif_parse(const char *s, const char *p, cq_tif *out, cq_error *err) {
  if (strcmp(s, "GTC") == 0)
    *out = CQ_TIF_GTC;
  else if (strcmp(s, "IOC") == 0)
    *out = CQ_TIF_IOC;
  else if (strcmp(s, "FOK") == 0)
    *out = CQ_TIF_FOK;
  else
    return cq__bn_perr(err, p, "timeInForce \"%.20s\" is not GTC, IOC or FOK", s);
  return 0;
}

/* The fields of an order answer; missing ones stay as they are (ACK answers say little). */
int cq__bn_order_obj(json_t *o, const char *path, const cq_bn_symbols *syms, cq_venue_order *out,
                     cq_error *err) {
  cq_venue_order v;
  memset(&v, 0, sizeof v);
  v.state = CQ_OS_ACCEPTED;
  char native[CQ_SYMBOL_MAX], buf[32], q[CQ__BN_PATH_MAX];
  int rc = cq__bn_obj(o, path, err);
  if (rc == 0) rc = cq__bn_str(o, path, "symbol", native, sizeof native, err);
  if (rc == 0) rc = cq__bn_id(o, path, "orderId", v.venue_id, sizeof v.venue_id, err);
  /* A cancel answers with the cancel's own id in clientOrderId; the order's is origClient. */
  if (rc == 0 && json_object_get(o, "origClientOrderId"))
    rc = cq__bn_str(o, path, "origClientOrderId", v.client_id, sizeof v.client_id, err);
  else if (rc == 0)
    rc = cq__bn_str(o, path, "clientOrderId", v.client_id, sizeof v.client_id, err);
  if (rc < 0) return rc;
  cq__bn_unify(syms, native, v.symbol);
  buf[0] = '\0';
  rc = cq__bn_str_opt(o, path, "status", buf, sizeof buf, err);
  if (rc == 0 && buf[0] && cq_bn_order_status(buf, &v.state, NULL) < 0) {
    cq__bn_path(q, path, "status");
    rc = cq__bn_perr(err, q, "unknown order status \"%s\"", buf);
  }
  buf[0] = '\0';
  if (rc == 0) rc = cq__bn_str_opt(o, path, "side", buf, sizeof buf, err);
  if (rc == 0 && buf[0]) {
    cq__bn_path(q, path, "side");
    rc = side_parse(buf, q, &v.side, err);
  }
  buf[0] = '\0';
  if (rc == 0) rc = cq__bn_str_opt(o, path, "timeInForce", buf, sizeof buf, err);
  if (rc == 0 && buf[0]) {
    cq__bn_path(q, path, "timeInForce");
    rc = tif_parse(buf, q, &v.tif, err);
  }
  buf[0] = '\0';
  if (rc == 0) rc = cq__bn_str_opt(o, path, "type", buf, sizeof buf, err);
  if (rc == 0 && buf[0] && cq_bn_order_type(buf, &v.type, &v.tif, NULL) < 0) {
    cq__bn_path(q, path, "type");
    rc = cq__bn_perr(err, q, "unknown order type \"%s\"", buf);
  }
  if (rc == 0) rc = cq__bn_dec_opt(o, path, "origQty", &v.qty, err);
  if (rc == 0) rc = cq__bn_dec_opt(o, path, "price", &v.price, err);
  if (rc == 0) rc = cq__bn_dec_opt(o, path, "stopPrice", &v.stop, err);
  if (rc == 0) rc = cq__bn_dec_opt(o, path, "executedQty", &v.filled, err);
  if (rc == 0) rc = cq__bn_dec_opt(o, path, "cummulativeQuoteQty", &v.filled_quote, err);
  int64_t created = 0, updated = 0;
  if (rc == 0) rc = cq__bn_i64_opt(o, path, "transactTime", &created, err);
  if (rc == 0 && !created) rc = cq__bn_i64_opt(o, path, "time", &created, err);
  if (rc == 0) rc = cq__bn_i64_opt(o, path, "updateTime", &updated, err);
  if (rc == 0 && !updated) updated = created;
  if (rc == 0) rc = cq__bn_ms_to_time(created, path, &v.created, err);
  if (rc == 0) rc = cq__bn_ms_to_time(updated, path, &v.updated, err);
  if (rc < 0) return rc;
  *out = v;
  return 0;
}

int cq_bn_parse_order(const char *s, size_t n, const cq_bn_symbols *syms, cq_venue_order *out,
                      cq_venue_fill **fills, size_t *nfills, cq_error *err) {
  if (!out) return cq_error_set(err, CQ_EINVAL, "binance: order: out is NULL");
  if (fills) *fills = NULL;
  if (nfills) *nfills = 0;
  json_t *j;
  int rc = load_obj(s, n, &j, err);
  if (rc < 0) return rc;
  cq_venue_order o;
  rc = cq__bn_order_obj(j, "", syms, &o, err);
  json_t *fa = json_object_get(j, "fills");
  cq_venue_fill *v = NULL;
  size_t cnt = 0;
  if (rc == 0 && fa && fills) {
    rc = cq__bn_arr(fa, "fills", err);
    if (rc == 0 && json_array_size(fa) > CQ_BN_MAX_ROWS)
      rc = cq__bn_perr(err, "fills", "%zu fills is over %d", json_array_size(fa), CQ_BN_MAX_ROWS);
    cnt = rc == 0 ? json_array_size(fa) : 0;
    if (rc == 0 && cnt) {
      v = calloc(cnt, sizeof *v);
      if (!v) rc = cq_error_set(err, CQ_ENOMEM, "binance: order fills: out of memory");
    }
    size_t i;
    json_t *f;
    if (rc == 0 && v) json_array_foreach(fa, i, f) {
        char p[CQ__BN_PATH_MAX];
        cq__bn_pathi(p, "fills", i);
        cq_venue_fill *x = &v[i];
        rc = cq__bn_obj(f, p, err);
        if (rc == 0) rc = cq__bn_dec(f, p, "price", &x->price, err);
        if (rc == 0) rc = cq__bn_dec(f, p, "qty", &x->qty, err);
        if (rc == 0) rc = cq__bn_dec(f, p, "commission", &x->fee, err);
        if (rc == 0)
          rc = cq__bn_str(f, p, "commissionAsset", x->fee_asset, sizeof x->fee_asset, err);
        if (rc == 0) rc = cq__bn_id(f, p, "tradeId", x->trade_id, sizeof x->trade_id, err);
        if (rc < 0) break;
        memcpy(x->symbol, o.symbol, sizeof x->symbol);
        memcpy(x->client_id, o.client_id, sizeof x->client_id);
        memcpy(x->venue_order_id, o.venue_id, sizeof x->venue_order_id);
        x->side = o.side;
        x->liquidity = CQ_LIQ_TAKER;
        x->time = o.created;
      }
  }
  json_decref(j);
  if (rc < 0) {
    free(v);
    return rc;
  }
  *out = o;
  if (fills) *fills = v;
  if (nfills) *nfills = cnt;
  return 0;
}

int cq_bn_parse_orders(const char *s, size_t n, const cq_bn_symbols *syms, cq_venue_order **out,
                       size_t *count, cq_error *err) {
  if (!out || !count) return cq_error_set(err, CQ_EINVAL, "binance: orders: out is NULL");
  json_t *j;
  int rc = load_arr(s, n, &j, err);
  if (rc < 0) return rc;
  /* Order lists (OCO) contribute their orderReports: count first. */
  size_t total = 0, i;
  json_t *o;
  json_array_foreach(j, i, o) {
    json_t *rep = json_object_get(o, "orderReports");
    if (json_is_array(rep))
      total += json_array_size(rep);
    else
      total++;
  }
  if (total > CQ_BN_MAX_ROWS)
    rc = cq__bn_perr(err, "", "%zu orders is over %d", total, CQ_BN_MAX_ROWS);
  cq_venue_order *v = NULL;
  if (rc == 0) {
    v = calloc(total ? total : 1, sizeof *v);
    if (!v) rc = cq_error_set(err, CQ_ENOMEM, "binance: orders: out of memory");
  }
  size_t k = 0;
  if (rc == 0) json_array_foreach(j, i, o) {
      char p[CQ__BN_PATH_MAX];
      cq__bn_pathi(p, "", i);
      json_t *rep = json_object_get(o, "orderReports");
      if (json_is_array(rep)) {
        size_t r;
        json_t *x;
        json_array_foreach(rep, r, x) {
          char q[CQ__BN_PATH_MAX], pr[CQ__BN_PATH_MAX];
          cq__bn_path(pr, p, "orderReports");
          cq__bn_pathi(q, pr, r);
          if ((rc = cq__bn_order_obj(x, q, syms, &v[k], err)) < 0) break;
          k++;
        }
      } else {
        rc = cq__bn_order_obj(o, p, syms, &v[k], err);
        if (rc == 0) k++;
      }
      if (rc < 0) break;
    }
  json_decref(j);
  if (rc < 0) {
    free(v);
    return rc;
  }
  *out = v;
  *count = k;
  return 0;
}

/* ---- the order encoder -------------------------------------------------------------------- */

typedef struct qbuf {
  char *p;
  size_t n, len;
  bool over;
} qbuf;

static void q_add(qbuf *q, const char *key, const char *val) {
  char enc[256];
  int el = cq_url_encode(val, enc, sizeof enc);
  if (el < 0) {
    q->over = true;
    return;
  }
  int w = snprintf(q->p + q->len, q->n - q->len, "%s%s=%s", q->len ? "&" : "", key, enc);
  if (w < 0 || (size_t)w >= q->n - q->len)
    q->over = true;
  else
    q->len += (size_t)w;
}

static void q_dec(qbuf *q, const char *key, cq_dec d) {
  char b[CQ_DEC_STRMAX];
  cq_dec_format(d, b, sizeof b);
  q_add(q, key, b);
}

int cq_bn_encode_order(const cq_venue_order_req *req, const char *native, char *buf, size_t n,
                       cq_error *err) {
  if (!req || !native || !buf || n == 0)
    return cq_error_set(err, CQ_EINVAL, "binance: order encode: NULL argument");
  buf[0] = '\0';
  if (!*native) return cq_error_set(err, CQ_EINVAL, "binance: order: empty symbol");
  if (!req->client_id[0])
    return cq_error_set(err, CQ_EINVAL, "binance: order: a client order id is required");
  if (req->side != CQ_SIDE_BUY && req->side != CQ_SIDE_SELL)
    return cq_error_set(err, CQ_EINVAL, "binance: order %s: side must be buy or sell",
                        req->client_id);
  if (!cq_dec_valid(req->qty) || req->qty.m <= 0)
    return cq_error_set(err, CQ_EINVAL, "binance: order %s: quantity must be > 0", req->client_id);
  bool limit = req->type == CQ_ORDER_LIMIT || req->type == CQ_ORDER_STOP_LIMIT;
  bool stop = req->type == CQ_ORDER_STOP || req->type == CQ_ORDER_STOP_LIMIT;
  if (limit && (!cq_dec_valid(req->price) || req->price.m <= 0))
    return cq_error_set(err, CQ_EINVAL, "binance: order %s: a %s order needs a price > 0",
                        req->client_id, cq_order_type_name(req->type));
  if (stop && (!cq_dec_valid(req->stop) || req->stop.m <= 0))
    return cq_error_set(err, CQ_EINVAL, "binance: order %s: a %s order needs a stop price > 0",
                        req->client_id, cq_order_type_name(req->type));
  const char *type, *tif = NULL;
  switch (req->type) {
    case CQ_ORDER_MARKET:
      type = "MARKET";
      break;
    case CQ_ORDER_LIMIT:
      type = req->tif == CQ_TIF_POST_ONLY ? "LIMIT_MAKER" : "LIMIT";
      break;
    case CQ_ORDER_STOP:
      type = "STOP_LOSS";
      break;
    case CQ_ORDER_STOP_LIMIT:
      type = "STOP_LOSS_LIMIT";
      break;
    default:
      return cq_error_set(err, CQ_EINVAL, "binance: order %s: unknown type %d", req->client_id,
                          (int)req->type);
  }
  if (limit) {
    switch (req->tif) {
      case CQ_TIF_GTC:
        tif = "GTC";
        break;
      case CQ_TIF_IOC:
        tif = "IOC";
        break;
      case CQ_TIF_FOK:
        tif = "FOK";
        break;
      case CQ_TIF_POST_ONLY:
        if (req->type == CQ_ORDER_LIMIT) break; /* LIMIT_MAKER takes no timeInForce */
        return cq_error_set(err, CQ_EINVAL,
                            "binance: order %s: post-only stop-limit orders do "
                            "not exist on Binance spot",
                            req->client_id);
      default:
        return cq_error_set(err, CQ_EINVAL, "binance: order %s: unknown time in force %d",
                            req->client_id, (int)req->tif);
    }
  } else if (req->tif != CQ_TIF_GTC) {
    /* Market and stop-market orders take no time in force on Binance spot. */
    return cq_error_set(err, CQ_EINVAL,
                        "binance: order %s: a %s order takes no time in force "
                        "(%s given)",
                        req->client_id, cq_order_type_name(req->type), cq_tif_name(req->tif));
  }
  qbuf q = {buf, n, 0, false};
  q_add(&q, "symbol", native);
  q_add(&q, "side", req->side == CQ_SIDE_BUY ? "BUY" : "SELL");
  q_add(&q, "type", type);
  if (tif) q_add(&q, "timeInForce", tif);
  q_dec(&q, "quantity", req->qty);
  if (limit) q_dec(&q, "price", req->price);
  if (stop) q_dec(&q, "stopPrice", req->stop);
  q_add(&q, "newClientOrderId", req->client_id);
  q_add(&q, "newOrderRespType", "FULL");
  if (q.over) {
    buf[0] = '\0';
    return cq_error_set(err, CQ_ELIMIT, "binance: order %s: query string over %zu bytes",
                        req->client_id, n - 1);
  }
  return (int)q.len;
}
