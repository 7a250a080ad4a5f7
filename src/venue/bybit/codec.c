/* Bybit v5 REST answers -> cquant types, error envelopes -> cq_verror, symbols, interval
 * names, the product check, the order body and kline query encoders, and signing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "by_json.h"

/* ---- symbols and intervals ---------------------------------------------------------------- */

int cq_bybit_to_native(const char *unified, char out[CQ_SYMBOL_MAX], cq_error *err) {
  char base[CQ_ASSET_MAX], quote[CQ_ASSET_MAX];
  if (!unified || cq_symbol_parse(unified, base, quote, NULL) < 0)
    return cq_error_set(err, CQ_EINVAL, "bybit: \"%.40s\" is not a BASE/QUOTE symbol",
                        unified ? unified : "(null)");
  snprintf(out, CQ_SYMBOL_MAX, "%s%s", base, quote);
  return 0;
}

void cq__by_unify(const cq_bn_symbols *syms, const char *native, char out[CQ_SYMBOL_MAX]) {
  const char *u = cq_bn_to_unified(syms, native);
  cq_strlcpy(out, u ? u : native, CQ_SYMBOL_MAX);
}

typedef struct by_interval {
  const char *name;
  uint32_t n;
  cq_tf_unit unit;
} by_interval;

static const by_interval intervals[] = {
    {"1", 1, CQ_TF_MINUTE},   {"3", 3, CQ_TF_MINUTE},   {"5", 5, CQ_TF_MINUTE},
    {"15", 15, CQ_TF_MINUTE}, {"30", 30, CQ_TF_MINUTE}, {"60", 1, CQ_TF_HOUR},
    {"120", 2, CQ_TF_HOUR},   {"240", 4, CQ_TF_HOUR},   {"360", 6, CQ_TF_HOUR},
    {"720", 12, CQ_TF_HOUR},  {"D", 1, CQ_TF_DAY},      {"W", 1, CQ_TF_WEEK},
    {"M", 1, CQ_TF_MONTH},
};

const char *cq_bybit_interval_name(cq_timeframe tf) {
  for (size_t i = 0; i < sizeof intervals / sizeof intervals[0]; i++)
    if (intervals[i].n == tf.n && intervals[i].unit == tf.unit) return intervals[i].name;
  return NULL;
}

int cq_bybit_interval_parse(const char *s, cq_timeframe *out, cq_error *err) {
  if (!s || !out) return cq_error_set(err, CQ_EINVAL, "bybit: interval: NULL argument");
  for (size_t i = 0; i < sizeof intervals / sizeof intervals[0]; i++)
    if (strcmp(intervals[i].name, s) == 0) {
      out->n = intervals[i].n;
      out->unit = intervals[i].unit;
      return 0;
    }
  return cq_error_set(err, CQ_EUNSUPPORTED,
                      "bybit: no interval \"%.20s\" (1, 3, 5, 15, 30, 60, 120, 240, 360, 720, D, "
                      "W, M)",
                      s);
}

/* ---- errors ------------------------------------------------------------------------------- */

cq_verr cq_bybit_error_class(int code) {
  switch (code) {
    case 0:
      return CQ_VERR_NONE;
    case 10006:  /* too many visits */
    case 10018:  /* over the IP rate limit */
    case 10429:  /* the stream's system-level frequency protection */
    case 20003:  /* too frequent requests on one stream session */
    case 170005: /* too many new orders */
      return CQ_VERR_RATE_LIMITED;
    case 10009: /* IP banned */
      return CQ_VERR_BANNED;
    case 10002: /* request time outside recv_window */
      return CQ_VERR_TIMESTAMP;
    case 10003: /* invalid API key */
    case 10004: /* signature error */
    case 10005: /* permission denied */
    case 10007: /* user authentication failed */
    case 10008: /* common banned: the account mode */
    case 10010: /* request IP not allowed for the key */
    case 33004: /* API key expired */
      return CQ_VERR_AUTH;
    case 110004: /* wallet balance insufficient */
    case 110007: /* available balance insufficient */
    case 110012:
    case 170131: /* spot: insufficient balance */
      return CQ_VERR_INSUFFICIENT;
    case 110001: /* order does not exist */
    case 170213: /* spot: order does not exist */
      return CQ_VERR_NOT_FOUND;
    case 10000:  /* server timeout */
    case 10016:  /* server error, or the service restarting */
    case 10019:  /* the stream's trade service restarting */
    case 170001: /* spot: internal error */
      return CQ_VERR_UNKNOWN_OUTCOME;
    case 10001: /* parameter error */
    case 10017: /* route not found */
      return CQ_VERR_BAD_REQUEST;
    default:
      break;
  }
  if (code >= 10000 && code <= 10099) return CQ_VERR_BAD_REQUEST;
  return CQ_VERR_REJECTED; /* any other code (the 110xxx, 170xxx order codes): a final refusal */
}

static cq_verr status_class(int status) {
  if (status == 403) return CQ_VERR_BANNED; /* Bybit's answer to an IP over its rate limit */
  if (status == 429) return CQ_VERR_RATE_LIMITED;
  if (status == 401) return CQ_VERR_AUTH;
  if (status >= 500) return CQ_VERR_UNKNOWN_OUTCOME;
  return CQ_VERR_PROTOCOL;
}

int cq_bybit_decode_error(int http_status, const char *body, size_t len, cq_verror *ve) {
  cq_verror local;
  if (!ve) ve = &local;
  memset(ve, 0, sizeof *ve);
  ve->http_status = http_status;
  json_t *j = NULL;
  json_error_t je;
  if (body && len) j = json_loadb(body, len, 0, &je);
  json_t *code = j ? json_object_get(j, "retCode") : NULL;
  if (!code && j) code = json_object_get(j, "ret_code");
  json_t *msg = j ? json_object_get(j, "retMsg") : NULL;
  if (!msg && j) msg = json_object_get(j, "ret_msg");
  if (json_is_integer(code) && json_integer_value(code) != 0) {
    ve->venue_code = (int)json_integer_value(code);
    const char *m = json_is_string(msg) ? json_string_value(msg) : "";
    ve->cls = cq_bybit_error_class(ve->venue_code);
    if (http_status == 403) ve->cls = CQ_VERR_BANNED;
    cq_error_set(&ve->e, cq_verr_code(ve->cls), "bybit: %d %.200s (HTTP %d, %s)", ve->venue_code, m,
                 http_status, cq_verr_name(ve->cls));
  } else {
    ve->cls = status_class(http_status);
    cq_error_set(&ve->e, cq_verr_code(ve->cls), "bybit: HTTP %d without an error body (%s)",
                 http_status, cq_verr_name(ve->cls));
  }
  /* Bybit's 403 is its IP limit, lifted after at least 10 minutes; no header says when. */
  if (ve->cls == CQ_VERR_BANNED) ve->retry_after_ms = CQ_BYBIT_BAN_MS;
  json_decref(j);
  return ve->e.code;
}

/* ---- the envelope and the product check --------------------------------------------------- */

/* result of the envelope (a borrowed reference into *doc). */
static int load_result(const char *s, size_t n, json_t **doc, json_t **result, cq_error *err) {
  json_t *j;
  int rc = cq__vj_load(BYBIT, s, n, &j, err);
  if (rc < 0) return rc;
  rc = cq__vj_obj(BYBIT, j, "", err);
  int64_t code = 0;
  if (rc == 0) rc = cq__vj_i64(BYBIT, j, "", "retCode", &code, err);
  if (rc == 0 && code != 0) {
    json_t *m = json_object_get(j, "retMsg");
    rc = cq_error_set(err, CQ_EREJECTED, "bybit: the answer is an error (retCode %lld: %.100s)",
                      (long long)code, json_is_string(m) ? json_string_value(m) : "");
    cq_error_field(err, "retCode");
  }
  if (rc == 0) rc = cq__vj_obj(BYBIT, json_object_get(j, "result"), "result", err);
  if (rc < 0) {
    json_decref(j);
    return rc;
  }
  *doc = j;
  *result = json_object_get(j, "result");
  return 0;
}

/* result.list, checked and capped. */
static int load_list(const char *s, size_t n, json_t **doc, json_t **result, json_t **list,
                     cq_error *err) {
  int rc = load_result(s, n, doc, result, err);
  if (rc < 0) return rc;
  *list = json_object_get(*result, "list");
  rc = cq__vj_arr(BYBIT, *list, "result.list", err);
  if (rc == 0 && json_array_size(*list) > CQ_V_MAX_ROWS)
    rc = cq__vj_perr(BYBIT, err, "result.list", "%zu rows is over %d", json_array_size(*list),
                     CQ_V_MAX_ROWS);
  if (rc == 0) rc = cq__by_category(*result, "result", err);
  if (rc < 0) json_decref(*doc);
  return rc;
}

int cq__by_category(json_t *o, const char *path, cq_error *err) {
  json_t *c = json_object_get(o, "category");
  if (!json_is_string(c)) return 0;
  const char *v = json_string_value(c);
  if (strcmp(v, "spot") == 0 || strcmp(v, "linear") == 0 || !*v) return 0;
  char p[CQ__VJ_PATH_MAX];
  cq__vj_path(p, path, "category");
  cq_error_set(err, CQ_EUNSUPPORTED, "bybit: %s: %.20s is not supported (spot only)", p, v);
  cq_error_field(err, p);
  return CQ_EUNSUPPORTED;
}

static const char *obj_product(json_t *o) {
  if (!json_is_object(o)) return NULL;
  json_t *c = json_object_get(o, "category");
  if (json_is_string(c) &&
      (strcmp(json_string_value(c), "inverse") == 0 || strcmp(json_string_value(c), "option") == 0))
    return json_string_value(c);
  if (json_object_get(o, "contractType")) return "contracts";
  if (json_object_get(o, "optionsType") || json_object_get(o, "delta")) return "options";
  if (json_object_get(o, "positionValue") ||
      (json_object_get(o, "positionIdx") && json_object_get(o, "size") &&
       !json_object_get(o, "orderId")))
    return "positions";
  if (json_object_get(o, "fundingRate") && !json_object_get(o, "lastPrice")) return "funding";
  if (json_object_get(o, "subMembers") || json_object_get(o, "memberType")) return "sub-accounts";
  if (json_object_get(o, "apiKey") || json_object_get(o, "permissions")) return "API keys";
  if (json_object_get(o, "unifiedMarginStatus")) return "account settings";
  json_t *x = json_object_get(o, "execType");
  if (json_is_string(x) && strcmp(json_string_value(x), "Trade") != 0)
    return "derivatives executions";
  return NULL;
}

int cq_bybit_check_product(const char *s, size_t n, cq_error *err) {
  json_t *j;
  int rc = cq__vj_load(BYBIT, s, n, &j, err);
  if (rc < 0) return rc;
  const char *what = NULL;
  json_t *topic = json_object_get(j, "topic");
  if (json_is_string(topic) && strncmp(json_string_value(topic), "position", 8) == 0)
    what = "positions";
  json_t *top = json_object_get(j, "result");
  if (!top) top = json_object_get(j, "data");
  if (!top) top = j; /* a bare item */
  if (!what) what = obj_product(top);
  json_t *list = json_is_array(top) ? top : json_object_get(top, "list");
  if (!list) list = json_object_get(top, "subMembers");
  if (!list) list = json_object_get(top, "result");
  if (!what && json_is_array(list)) {
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o) {
      if ((what = obj_product(o)) != NULL) break;
    }
  }
  if (what) rc = cq_error_set(err, CQ_EUNSUPPORTED, "bybit: %s: not supported (spot only)", what);
  json_decref(j);
  return rc;
}

/* ---- REST decoders ------------------------------------------------------------------------ */

static int parse_instrument(json_t *o, const char *p, cq_instrument *in, cq_error *err) {
  memset(in, 0, sizeof *in);
  int rc = cq__vj_obj(BYBIT, o, p, err);
  if (rc == 0 && (json_object_get(o, "contractType") || json_object_get(o, "optionsType"))) {
    cq_error_set(err, CQ_EUNSUPPORTED, "bybit: %s: %s instruments are not supported (spot only)", p,
                 json_object_get(o, "contractType") ? "contract" : "option");
    rc = CQ_EUNSUPPORTED;
  }
  char status[24] = "";
  json_t *lot = json_object_get(o, "lotSizeFilter"), *pf = json_object_get(o, "priceFilter");
  char lp[CQ__VJ_PATH_MAX], pp[CQ__VJ_PATH_MAX];
  cq__vj_path(lp, p, "lotSizeFilter");
  cq__vj_path(pp, p, "priceFilter");
  if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "symbol", in->native, sizeof in->native, err);
  if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "baseCoin", in->base, sizeof in->base, err);
  if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "quoteCoin", in->quote, sizeof in->quote, err);
  if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "status", status, sizeof status, err);
  if (rc == 0) rc = cq__vj_obj(BYBIT, lot, lp, err);
  if (rc == 0) rc = cq__vj_obj(BYBIT, pf, pp, err);
  if (rc == 0) rc = cq__vj_dec(BYBIT, pf, pp, "tickSize", &in->tick, err);
  if (rc == 0) rc = cq__vj_dec(BYBIT, lot, lp, "basePrecision", &in->lot, err);
  if (rc == 0) rc = cq__vj_dec(BYBIT, lot, lp, "minOrderQty", &in->min_qty, err);
  if (rc == 0) rc = cq__vj_dec_oe(BYBIT, lot, lp, "minOrderAmt", &in->min_notional, err);
  if (rc < 0) return rc;
  cq_strlcpy(in->venue, "bybit", sizeof in->venue);
  snprintf(in->symbol, sizeof in->symbol, "%s/%s", in->base, in->quote);
  in->status = strcmp(status, "Trading") == 0 ? CQ_INSTRUMENT_TRADING
               : (strcmp(status, "Closed") == 0 || strcmp(status, "Delivering") == 0)
                   ? CQ_INSTRUMENT_DELISTED
                   : CQ_INSTRUMENT_HALTED;
  return 0;
}

int cq_bybit_parse_instruments(const char *s, size_t n, cq_instrument **out, size_t *count,
                               cq_error *err) {
  json_t *doc, *result, *list;
  int rc = load_list(s, n, &doc, &result, &list, err);
  if (rc < 0) return rc;
  json_t *c = json_object_get(result, "category");
  if (json_is_string(c) && strcmp(json_string_value(c), "spot") != 0) {
    rc = cq_error_set(err, CQ_EUNSUPPORTED,
                      "bybit: result.category: %.20s instruments are not supported (spot only)",
                      json_string_value(c));
    cq_error_field(err, "result.category");
  }
  size_t cnt = json_array_size(list);
  cq_instrument *arr = NULL;
  if (rc == 0) {
    arr = calloc(cnt ? cnt : 1, sizeof *arr);
    if (!arr) rc = cq_error_set(err, CQ_ENOMEM, "bybit: out of memory");
  }
  for (size_t i = 0; rc == 0 && arr && i < cnt; i++) {
    char p[CQ__VJ_PATH_MAX];
    cq__vj_pathi(p, "result.list", i);
    rc = parse_instrument(json_array_get(list, i), p, &arr[i], err);
  }
  json_decref(doc);
  if (rc < 0) {
    free(arr);
    return rc;
  }
  *out = arr;
  *count = cnt;
  return 0;
}

static int row_dec(json_t *row, const char *p, size_t i, double *out, cq_error *err) {
  char q[CQ__VJ_PATH_MAX];
  cq__vj_pathi(q, p, i);
  cq_dec d;
  int rc = cq__vj_dec_v(BYBIT, json_array_get(row, i), q, &d, err);
  if (rc == 0) *out = cq_dec_to_double(d);
  return rc;
}

int cq_bybit_parse_klines(const char *s, size_t n, cq_timeframe tf, cq_time now, cq_candles *out,
                          cq_error *err) {
  json_t *doc, *result, *list;
  int rc = load_list(s, n, &doc, &result, &list, err);
  if (rc < 0) return rc;
  size_t cnt = json_array_size(list), start = out->len;
  rc = cq_candles_reserve(out, out->len + cnt);
  if (rc < 0) rc = cq_error_set(err, rc, "bybit: klines: %zu rows do not fit", cnt);
  for (size_t i = cnt; rc == 0 && i-- > 0;) {
    char p[CQ__VJ_PATH_MAX], q[CQ__VJ_PATH_MAX];
    cq__vj_pathi(p, "result.list", i);
    json_t *row = json_array_get(list, i);
    rc = cq__vj_arr(BYBIT, row, p, err);
    if (rc == 0 && json_array_size(row) < 7)
      rc = cq__vj_perr(BYBIT, err, p, "a kline row has %zu columns, expected 7",
                       json_array_size(row));
    cq_candle k;
    memset(&k, 0, sizeof k);
    k.trades = -1;
    int64_t ms = 0;
    cq__vj_pathi(q, p, 0);
    if (rc == 0) rc = cq__vj_i64s_v(BYBIT, json_array_get(row, 0), q, &ms, err);
    if (rc == 0) rc = cq__vj_ms_to_time(BYBIT, ms, q, &k.open_time, err);
    if (rc == 0) rc = row_dec(row, p, 1, &k.open, err);
    if (rc == 0) rc = row_dec(row, p, 2, &k.high, err);
    if (rc == 0) rc = row_dec(row, p, 3, &k.low, err);
    if (rc == 0) rc = row_dec(row, p, 4, &k.close, err);
    if (rc == 0) rc = row_dec(row, p, 5, &k.volume, err);
    if (rc == 0) rc = row_dec(row, p, 6, &k.quote_volume, err);
    if (rc == 0 && out->len > start && k.open_time <= out->open_time[out->len - 1])
      rc = cq__vj_perr(BYBIT, err, p, "rows are not in time order (newest first)");
    /* Months have no fixed length: the next month boundary ends them. */
    cq_time end = tf.unit == CQ_TF_MONTH ? cq_timeframe_next(tf, k.open_time)
                                         : k.open_time + cq_timeframe_ns(tf);
    k.closed = end <= now;
    if (rc == 0) rc = cq_candles_push(out, &k);
  }
  if (rc < 0) out->len = start;
  json_decref(doc);
  return rc;
}

int cq__by_side(json_t *o, const char *p, const char *key, cq_side *out, cq_error *err) {
  char s[8];
  int rc = cq__vj_str(BYBIT, o, p, key, s, sizeof s, err);
  if (rc < 0) return rc;
  if (strcmp(s, "Buy") == 0)
    *out = CQ_SIDE_BUY;
  else if (strcmp(s, "Sell") == 0)
    *out = CQ_SIDE_SELL;
  else {
    char q[CQ__VJ_PATH_MAX];
    cq__vj_path(q, p, key);
    return cq__vj_perr(BYBIT, err, q, "side \"%s\" is neither Buy nor Sell", s);
  }
  return 0;
}

int cq_bybit_parse_trades(const char *s, size_t n, cq_trades *out, cq_error *err) {
  json_t *doc, *result, *list;
  int rc = load_list(s, n, &doc, &result, &list, err);
  if (rc < 0) return rc;
  size_t cnt = json_array_size(list), start = out->len;
  rc = cq_trades_reserve(out, out->len + cnt);
  if (rc < 0) rc = cq_error_set(err, rc, "bybit: trades: %zu rows do not fit", cnt);
  for (size_t i = cnt; rc == 0 && i-- > 0;) {
    char p[CQ__VJ_PATH_MAX];
    cq__vj_pathi(p, "result.list", i);
    json_t *o = json_array_get(list, i);
    cq_trade t;
    memset(&t, 0, sizeof t);
    rc = cq__vj_obj(BYBIT, o, p, err);
    if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "execId", t.id, sizeof t.id, err);
    if (rc == 0) rc = cq__vj_dec(BYBIT, o, p, "price", &t.price, err);
    if (rc == 0) rc = cq__vj_dec(BYBIT, o, p, "size", &t.qty, err);
    if (rc == 0) rc = cq__by_side(o, p, "side", &t.taker_side, err);
    if (rc == 0) rc = cq__vj_times(BYBIT, o, p, "time", &t.time, err);
    if (rc == 0) rc = cq_trades_push(out, &t);
  }
  if (rc < 0) out->len = start;
  json_decref(doc);
  return rc;
}

int cq__by_levels(json_t *o, const char *p, const char *key, cq_side side, cq_vbook_msg *m,
                  cq_error *err) {
  char q[CQ__VJ_PATH_MAX];
  cq__vj_path(q, p, key);
  json_t *arr = json_object_get(o, key);
  int rc = cq__vj_arr(BYBIT, arr, q, err);
  if (rc < 0) return rc;
  size_t i;
  json_t *lv;
  json_array_foreach(arr, i, lv) {
    char r[CQ__VJ_PATH_MAX], c[CQ__VJ_PATH_MAX];
    cq__vj_pathi(r, q, i);
    rc = cq__vj_arr(BYBIT, lv, r, err);
    if (rc == 0 && json_array_size(lv) != 2)
      rc = cq__vj_perr(BYBIT, err, r, "a level is [price, size]");
    cq_dec px = CQ_DEC(0, 0), sz = CQ_DEC(0, 0);
    cq__vj_pathi(c, r, 0);
    if (rc == 0) rc = cq__vj_dec_v(BYBIT, json_array_get(lv, 0), c, &px, err);
    cq__vj_pathi(c, r, 1);
    if (rc == 0) rc = cq__vj_dec_v(BYBIT, json_array_get(lv, 1), c, &sz, err);
    if (rc == 0 && (px.m <= 0 || sz.m < 0))
      rc = cq__vj_perr(BYBIT, err, r, "price must be > 0 and size >= 0");
    if (rc == 0) rc = cq_vbook_msg_push(m, side, px, sz, err);
    if (rc < 0) return rc;
  }
  return 0;
}

int cq_bybit_parse_book(const char *s, size_t n, cq_l2book *book, cq_error *err) {
  json_t *doc, *r;
  int rc = load_result(s, n, &doc, &r, err);
  if (rc < 0) return rc;
  cq_vbook_msg m;
  cq_vbook_msg_init(&m);
  m.snapshot = true;
  rc = cq__vj_str(BYBIT, r, "result", "s", m.native, sizeof m.native, err);
  if (rc == 0) rc = cq__by_levels(r, "result", "b", CQ_SIDE_BUY, &m, err);
  if (rc == 0) rc = cq__by_levels(r, "result", "a", CQ_SIDE_SELL, &m, err);
  if (rc == 0) rc = cq__vj_times(BYBIT, r, "result", "ts", &m.time, err);
  if (rc == 0) rc = cq__vj_i64(BYBIT, r, "result", "u", &m.seq, err);
  if (rc == 0) rc = cq__vj_i64_opt(BYBIT, r, "result", "seq", &m.cross_seq, err);
  if (rc == 0) {
    rc = cq_vbook_msg_apply(&m, book, err);
    if (rc < 0) cq_l2book_clear(book);
  }
  if (rc == 0) cq_l2book_set_valid(book, !cq_l2book_crossed(book));
  cq_vbook_msg_release(&m);
  json_decref(doc);
  return rc;
}

int cq__by_ticker(json_t *o, const char *p, char native[CQ_SYMBOL_MAX], cq_ticker *t,
                  cq_error *err) {
  memset(t, 0, sizeof *t);
  t->trades = -1;
  cq_dec pcnt = {0, 0};
  int rc = cq__vj_obj(BYBIT, o, p, err);
  if (rc == 0 && json_object_get(o, "delta")) {
    cq_error_set(err, CQ_EUNSUPPORTED, "bybit: %s: option tickers are not supported", p);
    rc = CQ_EUNSUPPORTED;
  }
  if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "symbol", native, CQ_SYMBOL_MAX, err);
  if (rc == 0) rc = cq__vj_dec(BYBIT, o, p, "lastPrice", &t->last, err);
  if (rc == 0) rc = cq__vj_dec(BYBIT, o, p, "prevPrice24h", &t->open, err);
  if (rc == 0) rc = cq__vj_dec(BYBIT, o, p, "highPrice24h", &t->high, err);
  if (rc == 0) rc = cq__vj_dec(BYBIT, o, p, "lowPrice24h", &t->low, err);
  if (rc == 0) rc = cq__vj_dec(BYBIT, o, p, "volume24h", &t->volume, err);
  if (rc == 0) rc = cq__vj_dec(BYBIT, o, p, "turnover24h", &t->quote_volume, err);
  if (rc == 0) rc = cq__vj_dec_oe(BYBIT, o, p, "price24hPcnt", &pcnt, err);
  if (rc == 0) rc = cq__vj_dec_oe(BYBIT, o, p, "bid1Price", &t->bid, err);
  if (rc == 0) rc = cq__vj_dec_oe(BYBIT, o, p, "bid1Size", &t->bid_qty, err);
  if (rc == 0) rc = cq__vj_dec_oe(BYBIT, o, p, "ask1Price", &t->ask, err);
  if (rc == 0) rc = cq__vj_dec_oe(BYBIT, o, p, "ask1Size", &t->ask_qty, err);
  if (rc < 0) return rc;
  /* price24hPcnt is a fraction (0.017103): x 100 is a shift of the decimal point. */
  if (pcnt.scale >= 2)
    t->change_pct = (cq_dec){pcnt.m, (uint8_t)(pcnt.scale - 2)};
  else if (cq_dec_mul(pcnt, (cq_dec){100, 0}, 0, CQ_ROUND_UNNECESSARY, &t->change_pct, NULL) < 0)
    t->change_pct = (cq_dec){0, 0};
  if (cq_dec_sub(t->last, t->open, &t->change, NULL) < 0) t->change = (cq_dec){0, 0};
  return 0;
}

int cq_bybit_parse_ticker(const char *s, size_t n, char native[CQ_SYMBOL_MAX], cq_ticker *out,
                          cq_error *err) {
  json_t *doc, *result, *list;
  int rc = load_list(s, n, &doc, &result, &list, err);
  if (rc < 0) return rc;
  char sym[CQ_SYMBOL_MAX];
  cq_ticker t;
  if (json_array_size(list) == 0) rc = cq__vj_perr(BYBIT, err, "result.list", "no ticker");
  if (rc == 0) rc = cq__by_ticker(json_array_get(list, 0), "result.list[0]", sym, &t, err);
  if (rc == 0) {
    *out = t;
    if (native) memcpy(native, sym, sizeof sym);
  }
  json_decref(doc);
  return rc;
}

int cq__by_coins(json_t *list, const char *base, cq_balance **out, size_t *count, cq_error *err) {
  size_t total = 0, i;
  json_t *acct;
  int rc = cq__vj_arr(BYBIT, list, base, err);
  if (rc < 0) return rc;
  json_array_foreach(list, i, acct) {
    json_t *c = json_object_get(acct, "coin");
    total += json_is_array(c) ? json_array_size(c) : 0;
  }
  if (total > CQ_V_MAX_ROWS) return cq__vj_perr(BYBIT, err, base, "over %d coins", CQ_V_MAX_ROWS);
  cq_balance *arr = calloc(total ? total : 1, sizeof *arr);
  if (!arr) return cq_error_set(err, CQ_ENOMEM, "bybit: out of memory");
  size_t k = 0;
  json_array_foreach(list, i, acct) {
    char p[CQ__VJ_PATH_MAX], q[CQ__VJ_PATH_MAX];
    cq__vj_pathi(p, base, i);
    cq__vj_path(q, p, "coin");
    rc = cq__vj_obj(BYBIT, acct, p, err);
    json_t *coins = json_object_get(acct, "coin");
    if (rc == 0) rc = cq__vj_arr(BYBIT, coins, q, err);
    size_t j;
    json_t *c;
    if (rc == 0) json_array_foreach(coins, j, c) {
        char r[CQ__VJ_PATH_MAX];
        cq__vj_pathi(r, q, j);
        cq_balance *b = &arr[k++];
        cq_dec wallet = CQ_DEC(0, 0);
        rc = cq__vj_obj(BYBIT, c, r, err);
        if (rc == 0) rc = cq__vj_str(BYBIT, c, r, "coin", b->asset, sizeof b->asset, err);
        if (rc == 0) rc = cq__vj_dec(BYBIT, c, r, "walletBalance", &wallet, err);
        if (rc == 0) rc = cq__vj_dec_oe(BYBIT, c, r, "locked", &b->locked, err);
        if (rc == 0 && (cq_dec_cmp(b->locked, wallet) > 0 ||
                        cq_dec_sub(wallet, b->locked, &b->free, NULL) < 0))
          b->free = (cq_dec){0, 0};
        if (rc < 0) break;
      }
    if (rc < 0) break;
  }
  if (rc < 0) {
    free(arr);
    return rc;
  }
  *out = arr;
  *count = k;
  return 0;
}

int cq_bybit_parse_balances(const char *s, size_t n, cq_balance **out, size_t *count,
                            cq_error *err) {
  json_t *doc, *result, *list;
  int rc = load_list(s, n, &doc, &result, &list, err);
  if (rc < 0) return rc;
  rc = cq__by_coins(list, "result.list", out, count, err);
  json_decref(doc);
  return rc;
}

/* ---- orders and fills ----------------------------------------------------------------------- */

static int status_of(const char *s, const char *p, cq_tif tif, cq_order_state *out, cq_error *err) {
  static const struct {
    const char *name;
    cq_order_state st;
  } t[] = {
      {"New", CQ_OS_ACCEPTED},
      {"Created", CQ_OS_ACCEPTED},
      {"Untriggered", CQ_OS_ACCEPTED},
      {"Triggered", CQ_OS_ACCEPTED},
      {"PartiallyFilled", CQ_OS_PARTIAL},
      {"Filled", CQ_OS_FILLED},
      {"Cancelled", CQ_OS_CANCELLED},
      {"PartiallyFilledCanceled", CQ_OS_CANCELLED},
      {"Deactivated", CQ_OS_CANCELLED},
      {"Rejected", CQ_OS_REJECTED},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (strcmp(t[i].name, s) == 0) {
      *out = t[i].st;
      /* The venue cancels an IOC / FOK remainder: expired to cquant. */
      if (*out == CQ_OS_CANCELLED && (tif == CQ_TIF_IOC || tif == CQ_TIF_FOK) &&
          strcmp(s, "Deactivated") != 0)
        *out = CQ_OS_EXPIRED;
      return 0;
    }
  char q[CQ__VJ_PATH_MAX];
  cq__vj_path(q, p, "orderStatus");
  cq_error_set(err, CQ_EUNSUPPORTED, "bybit: %s: order status \"%.24s\" is not known", q, s);
  cq_error_field(err, q);
  return CQ_EUNSUPPORTED;
}

static int tif_of(const char *s, const char *p, cq_tif *out, cq_error *err) {
  if (strcmp(s, "GTC") == 0)
    *out = CQ_TIF_GTC;
  else if (strcmp(s, "IOC") == 0)
    *out = CQ_TIF_IOC;
  else if (strcmp(s, "FOK") == 0)
    *out = CQ_TIF_FOK;
  else if (strcmp(s, "PostOnly") == 0)
    *out = CQ_TIF_POST_ONLY;
  else {
    char q[CQ__VJ_PATH_MAX];
    cq__vj_path(q, p, "timeInForce");
    cq_error_set(err, CQ_EUNSUPPORTED, "bybit: %s: time in force \"%.20s\" is not supported", q, s);
    cq_error_field(err, q);
    return CQ_EUNSUPPORTED;
  }
  return 0;
}

int cq__by_order(json_t *o, const char *p, const cq_bn_symbols *syms, cq_venue_order *ord,
                 cq_error *err) {
  memset(ord, 0, sizeof *ord);
  char sym[CQ_SYMBOL_MAX], type[16], tif[16], status[32], stop_type[32] = "", reason[64] = "";
  int rc = cq__vj_obj(BYBIT, o, p, err);
  if (rc == 0) rc = cq__by_category(o, p, err);
  if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "symbol", sym, sizeof sym, err);
  if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "orderId", ord->venue_id, sizeof ord->venue_id, err);
  if (rc == 0)
    rc = cq__vj_str_oe(BYBIT, o, p, "orderLinkId", ord->client_id, sizeof ord->client_id, err);
  if (rc == 0) rc = cq__by_side(o, p, "side", &ord->side, err);
  if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "orderType", type, sizeof type, err);
  if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "timeInForce", tif, sizeof tif, err);
  if (rc == 0) rc = tif_of(tif, p, &ord->tif, err);
  if (rc == 0) rc = cq__vj_str_oe(BYBIT, o, p, "stopOrderType", stop_type, sizeof stop_type, err);
  if (rc == 0) rc = cq__vj_dec(BYBIT, o, p, "qty", &ord->qty, err);
  if (rc == 0) rc = cq__vj_dec_oe(BYBIT, o, p, "price", &ord->price, err);
  if (rc == 0) rc = cq__vj_dec_oe(BYBIT, o, p, "triggerPrice", &ord->stop, err);
  if (rc == 0) rc = cq__vj_dec_oe(BYBIT, o, p, "cumExecQty", &ord->filled, err);
  if (rc == 0) rc = cq__vj_dec_oe(BYBIT, o, p, "cumExecValue", &ord->filled_quote, err);
  if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "orderStatus", status, sizeof status, err);
  if (rc == 0) rc = status_of(status, p, ord->tif, &ord->state, err);
  if (rc == 0) rc = cq__vj_times_opt(BYBIT, o, p, "createdTime", &ord->created, err);
  if (rc == 0) rc = cq__vj_times_opt(BYBIT, o, p, "updatedTime", &ord->updated, err);
  if (rc == 0) rc = cq__vj_str_oe(BYBIT, o, p, "rejectReason", reason, sizeof reason, err);
  if (rc < 0) return rc;
  bool stop = stop_type[0] && strcmp(stop_type, "UNKNOWN") != 0 && ord->stop.m > 0;
  if (strcmp(type, "Market") == 0)
    ord->type = stop ? CQ_ORDER_STOP : CQ_ORDER_MARKET;
  else if (strcmp(type, "Limit") == 0)
    ord->type = stop ? CQ_ORDER_STOP_LIMIT : CQ_ORDER_LIMIT;
  else {
    char q[CQ__VJ_PATH_MAX];
    cq__vj_path(q, p, "orderType");
    return cq__vj_perr(BYBIT, err, q, "order type \"%s\" is neither Market nor Limit", type);
  }
  if (!stop) ord->stop = (cq_dec){0, 0};
  if (ord->type == CQ_ORDER_MARKET || ord->type == CQ_ORDER_STOP) ord->price = (cq_dec){0, 0};
  if (reason[0] && strcmp(reason, "EC_NoError") != 0)
    cq_strlcpy(ord->reason, reason, sizeof ord->reason);
  cq__by_unify(syms, sym, ord->symbol);
  return 0;
}

int cq_bybit_parse_orders(const char *s, size_t n, const cq_bn_symbols *syms, cq_venue_order **out,
                          size_t *count, cq_error *err) {
  json_t *doc, *result, *list;
  int rc = load_list(s, n, &doc, &result, &list, err);
  if (rc < 0) return rc;
  size_t cnt = json_array_size(list);
  cq_venue_order *arr = calloc(cnt ? cnt : 1, sizeof *arr);
  if (!arr) rc = cq_error_set(err, CQ_ENOMEM, "bybit: out of memory");
  for (size_t i = 0; rc == 0 && arr && i < cnt; i++) {
    char p[CQ__VJ_PATH_MAX];
    cq__vj_pathi(p, "result.list", i);
    rc = cq__by_order(json_array_get(list, i), p, syms, &arr[i], err);
  }
  json_decref(doc);
  if (rc < 0) {
    free(arr);
    return rc;
  }
  *out = arr;
  *count = cnt;
  return 0;
}

int cq__by_fill(json_t *o, const char *p, const cq_bn_symbols *syms, cq_venue_fill *f,
                cq_error *err) {
  memset(f, 0, sizeof *f);
  char sym[CQ_SYMBOL_MAX], exec[24] = "";
  bool maker = false;
  int rc = cq__vj_obj(BYBIT, o, p, err);
  if (rc == 0) rc = cq__by_category(o, p, err);
  if (rc == 0) rc = cq__vj_str_oe(BYBIT, o, p, "execType", exec, sizeof exec, err);
  if (rc == 0 && exec[0] && strcmp(exec, "Trade") != 0) {
    char q[CQ__VJ_PATH_MAX];
    cq__vj_path(q, p, "execType");
    cq_error_set(err, CQ_EUNSUPPORTED, "bybit: %s: %.20s executions are derivatives events", q,
                 exec);
    cq_error_field(err, q);
    rc = CQ_EUNSUPPORTED;
  }
  if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "symbol", sym, sizeof sym, err);
  if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "execId", f->trade_id, sizeof f->trade_id, err);
  if (rc == 0)
    rc = cq__vj_str(BYBIT, o, p, "orderId", f->venue_order_id, sizeof f->venue_order_id, err);
  if (rc == 0)
    rc = cq__vj_str_oe(BYBIT, o, p, "orderLinkId", f->client_id, sizeof f->client_id, err);
  if (rc == 0) rc = cq__by_side(o, p, "side", &f->side, err);
  if (rc == 0) rc = cq__vj_dec(BYBIT, o, p, "execPrice", &f->price, err);
  if (rc == 0) rc = cq__vj_dec(BYBIT, o, p, "execQty", &f->qty, err);
  if (rc == 0) rc = cq__vj_dec_oe(BYBIT, o, p, "execFee", &f->fee, err);
  if (rc == 0)
    rc = cq__vj_str_oe(BYBIT, o, p, "feeCurrency", f->fee_asset, sizeof f->fee_asset, err);
  if (rc == 0) rc = cq__vj_bool(BYBIT, o, p, "isMaker", &maker, err);
  if (rc == 0) rc = cq__vj_times(BYBIT, o, p, "execTime", &f->time, err);
  if (rc < 0) return rc;
  f->liquidity = maker ? CQ_LIQ_MAKER : CQ_LIQ_TAKER;
  cq__by_unify(syms, sym, f->symbol);
  return 0;
}

int cq_bybit_parse_fills(const char *s, size_t n, const cq_bn_symbols *syms, cq_venue_fill **out,
                         size_t *count, cq_error *err) {
  json_t *doc, *result, *list;
  int rc = load_list(s, n, &doc, &result, &list, err);
  if (rc < 0) return rc;
  size_t cnt = json_array_size(list);
  cq_venue_fill *arr = calloc(cnt ? cnt : 1, sizeof *arr);
  if (!arr) rc = cq_error_set(err, CQ_ENOMEM, "bybit: out of memory");
  for (size_t i = 0; rc == 0 && arr && i < cnt; i++) {
    char p[CQ__VJ_PATH_MAX];
    cq__vj_pathi(p, "result.list", i);
    rc = cq__by_fill(json_array_get(list, i), p, syms, &arr[i], err);
  }
  json_decref(doc);
  if (rc < 0) {
    free(arr);
    return rc;
  }
  *out = arr;
  *count = cnt;
  return 0;
}

int cq_bybit_parse_fee_rates(const char *s, size_t n, const char *native, cq_dec *maker,
                             cq_dec *taker, cq_error *err) {
  json_t *doc, *result, *list;
  int rc = load_list(s, n, &doc, &result, &list, err);
  if (rc < 0) return rc;
  size_t i;
  json_t *o;
  bool found = false;
  json_array_foreach(list, i, o) {
    char p[CQ__VJ_PATH_MAX], sym[CQ_SYMBOL_MAX] = "";
    cq__vj_pathi(p, "result.list", i);
    rc = cq__vj_str_oe(BYBIT, o, p, "symbol", sym, sizeof sym, err);
    if (rc < 0) break;
    if (native && strcmp(sym, native) != 0) continue;
    cq_dec mk, tk;
    rc = cq__vj_dec(BYBIT, o, p, "makerFeeRate", &mk, err);
    if (rc == 0) rc = cq__vj_dec(BYBIT, o, p, "takerFeeRate", &tk, err);
    if (rc == 0) *maker = mk, *taker = tk, found = true;
    break;
  }
  if (rc == 0 && !found)
    rc = cq_error_set(err, CQ_ENOTFOUND, "bybit: no fee rates for %.40s",
                      native ? native : "any symbol");
  json_decref(doc);
  return rc;
}

int cq_bybit_parse_ack(const char *s, size_t n, cq_bybit_ack *out, cq_verror *ve) {
  cq_verror local;
  if (!ve) ve = &local;
  memset(ve, 0, sizeof *ve);
  memset(out, 0, sizeof *out);
  json_t *j;
  int rc = cq__vj_load(BYBIT, s, n, &j, &ve->e);
  if (rc < 0) {
    ve->cls = CQ_VERR_PROTOCOL;
    return rc;
  }
  json_t *code = json_object_get(j, "retCode");
  if (json_is_integer(code) && json_integer_value(code) != 0) {
    json_decref(j);
    return cq_bybit_decode_error(200, s, n, ve);
  }
  /* REST answers put the ids in result, the stream's order.* replies in data. */
  json_t *r = json_object_get(j, "result");
  const char *p = "result";
  if (!r) r = json_object_get(j, "data"), p = "data";
  rc = cq__vj_obj(BYBIT, r, p, &ve->e);
  if (rc == 0) rc = cq__vj_str(BYBIT, r, p, "orderId", out->venue_id, sizeof out->venue_id, &ve->e);
  if (rc == 0)
    rc = cq__vj_str_oe(BYBIT, r, p, "orderLinkId", out->client_id, sizeof out->client_id, &ve->e);
  if (rc < 0) ve->cls = CQ_VERR_PROTOCOL;
  json_decref(j);
  return rc;
}

/* ---- encoders ----------------------------------------------------------------------------- */

static bool link_id_ok(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 36) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
          c == '_'))
      return false;
  }
  return true;
}

int cq_bybit_encode_order(const cq_venue_order_req *req, const char *native, char *buf, size_t n,
                          cq_error *err) {
  if (!req || !native || !buf) return cq_error_set(err, CQ_EINVAL, "bybit: order: NULL argument");
  if (!link_id_ok(req->client_id))
    return cq_error_set(err, CQ_EINVAL,
                        "bybit: order: orderLinkId \"%.40s\" must be 1-36 of A-Z a-z 0-9 - _",
                        req->client_id);
  if (req->qty.m <= 0) return cq_error_set(err, CQ_EINVAL, "bybit: order: qty must be > 0");
  if (req->side != CQ_SIDE_BUY && req->side != CQ_SIDE_SELL)
    return cq_error_set(err, CQ_EINVAL, "bybit: order: side must be buy or sell");
  for (const char *c = native; *c; c++)
    if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
      return cq_error_set(err, CQ_EINVAL, "bybit: order: bad symbol");
  static const char *const tifs[] = {"GTC", "IOC", "FOK", "PostOnly"};
  if ((unsigned)req->tif >= CQ_TIF_COUNT)
    return cq_error_set(err, CQ_EINVAL, "bybit: order: bad time in force");
  bool limit = req->type == CQ_ORDER_LIMIT || req->type == CQ_ORDER_STOP_LIMIT;
  bool stop = req->type == CQ_ORDER_STOP || req->type == CQ_ORDER_STOP_LIMIT;
  if ((unsigned)req->type >= CQ_ORDER_TYPE_COUNT)
    return cq_error_set(err, CQ_EINVAL, "bybit: order: bad order type");
  if (limit && req->price.m <= 0)
    return cq_error_set(err, CQ_EINVAL, "bybit: order: a limit needs a price");
  if (stop && req->stop.m <= 0)
    return cq_error_set(err, CQ_EINVAL, "bybit: order: a stop needs a stop price");
  if (!limit && req->tif != CQ_TIF_GTC && req->tif != CQ_TIF_IOC)
    return cq_error_set(err, CQ_EINVAL, "bybit: order: a market order takes no %s", tifs[req->tif]);
  char q[CQ_DEC_STRMAX], pr[CQ_DEC_STRMAX], st[CQ_DEC_STRMAX];
  cq_dec_format(req->qty, q, sizeof q);
  cq_dec_format(req->price, pr, sizeof pr);
  cq_dec_format(req->stop, st, sizeof st);
  int len =
      snprintf(buf, n,
               "{\"category\":\"spot\",\"symbol\":\"%s\",\"side\":\"%s\",\"orderType\":\"%s\","
               "\"qty\":\"%s\"",
               native, req->side == CQ_SIDE_BUY ? "Buy" : "Sell", limit ? "Limit" : "Market", q);
  size_t used = len < 0 ? n : (size_t)len;
  if (used < n && limit) used += (size_t)snprintf(buf + used, n - used, ",\"price\":\"%s\"", pr);
  if (used < n && !limit)
    used += (size_t)snprintf(buf + used, n - used, ",\"marketUnit\":\"baseCoin\"");
  if (used < n && stop)
    used += (size_t)snprintf(buf + used, n - used,
                             ",\"triggerPrice\":\"%s\",\"orderFilter\":\"StopOrder\"", st);
  if (used < n)
    used +=
        (size_t)snprintf(buf + used, n - used, ",\"timeInForce\":\"%s\",\"orderLinkId\":\"%s\"}",
                         tifs[req->tif], req->client_id);
  if (used >= n) {
    if (n) buf[0] = '\0';
    return cq_error_set(err, CQ_ELIMIT, "bybit: order: body does not fit in %zu bytes", n);
  }
  return (int)used;
}

int cq_bybit_kline_query(const char *native, cq_timeframe tf, int64_t start_ms, int64_t end_ms,
                         int limit, char *buf, size_t n, cq_error *err) {
  const char *iv = cq_bybit_interval_name(tf);
  if (!iv) {
    char t[CQ_TF_STRMAX];
    cq_timeframe_format(tf, t, sizeof t);
    return cq_error_set(err, CQ_EUNSUPPORTED, "bybit: no interval for timeframe %s", t);
  }
  if (!native || !buf) return cq_error_set(err, CQ_EINVAL, "bybit: kline: NULL argument");
  int len = snprintf(buf, n, "category=spot&symbol=%s&interval=%s", native, iv);
  if (len >= 0 && start_ms > 0 && (size_t)len < n)
    len += snprintf(buf + len, n - (size_t)len, "&start=%lld", (long long)start_ms);
  if (len >= 0 && end_ms > 0 && (size_t)len < n)
    len += snprintf(buf + len, n - (size_t)len, "&end=%lld", (long long)end_ms);
  if (len >= 0 && limit > 0 && (size_t)len < n)
    len += snprintf(buf + len, n - (size_t)len, "&limit=%d", limit);
  if (len < 0 || (size_t)len >= n) {
    if (n) buf[0] = '\0';
    return cq_error_set(err, CQ_ELIMIT, "bybit: kline: query does not fit in %zu bytes", n);
  }
  return len;
}

/* ---- signing ------------------------------------------------------------------------------ */

int cq_bybit_sign(const char *secret, int64_t timestamp_ms, const char *api_key, int recv_window_ms,
                  const char *payload, char hex[65], cq_error *err) {
  if (!secret || !api_key || !hex)
    return cq_error_set(err, CQ_EINVAL, "bybit: sign: NULL argument");
  size_t lk = strlen(api_key), lp = payload ? strlen(payload) : 0;
  if (lk > 256 || lp > (1u << 20))
    return cq_error_set(err, CQ_ELIMIT, "bybit: sign: key or payload too long");
  size_t cap = 48 + lk + lp;
  char *msg = malloc(cap);
  if (!msg) return cq_error_set(err, CQ_ENOMEM, "bybit: sign: out of memory");
  int len = snprintf(msg, cap, "%lld%s%d%s", (long long)timestamp_ms, api_key, recv_window_ms,
                     payload ? payload : "");
  int rc = len < 0 || (size_t)len >= cap
               ? cq_error_set(err, CQ_EINTERNAL, "bybit: sign: message does not fit")
               : cq_bn_sign(secret, msg, (size_t)len, hex, err);
  free(msg);
  return rc;
}

int cq_bybit_sign_ws(const char *secret, int64_t expires_ms, char hex[65], cq_error *err) {
  char msg[48];
  int len = snprintf(msg, sizeof msg, "GET/realtime%lld", (long long)expires_ms);
  return cq_bn_sign(secret, msg, (size_t)len, hex, err);
}
