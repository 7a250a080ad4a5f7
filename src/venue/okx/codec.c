/* OKX v5 REST answers -> cquant types, error envelopes -> cq_verror, symbols, bar names,
 * the product check, the order body and candle query encoders, and signing. */
#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "okx.h"
#include "okx_json.h"

/* ---- symbols ---------------------------------------------------------------------------- */

int cq_okx_to_native(const char *unified, char out[CQ_SYMBOL_MAX], cq_error *err) {
  char base[CQ_ASSET_MAX], quote[CQ_ASSET_MAX];
  if (!unified || cq_symbol_parse(unified, base, quote, NULL) < 0)
    return cq_error_set(err, CQ_EINVAL, "okx: \"%.40s\" is not a BASE/QUOTE symbol",
                        unified ? unified : "(null)");
  snprintf(out, CQ_SYMBOL_MAX, "%s-%s", base, quote);
  return 0;
}

int cq_okx_to_unified(const char *inst_id, char out[CQ_SYMBOL_MAX], cq_error *err) {
  if (!inst_id) return cq_error_set(err, CQ_EINVAL, "okx: instId is NULL");
  const char *d1 = strchr(inst_id, '-');
  if (!d1 || d1 == inst_id || !d1[1])
    return cq_error_set(err, CQ_EINVAL, "okx: instId \"%.40s\" is not BASE-QUOTE", inst_id);
  if (strchr(d1 + 1, '-'))
    return cq_error_set(err, CQ_EUNSUPPORTED,
                        "okx: instId \"%.40s\" is a derivative (spot only: BASE-QUOTE)", inst_id);
  size_t bl = (size_t)(d1 - inst_id), ql = strlen(d1 + 1);
  if (bl >= CQ_ASSET_MAX || ql >= CQ_ASSET_MAX)
    return cq_error_set(err, CQ_EINVAL, "okx: instId \"%.40s\": asset name too long", inst_id);
  snprintf(out, CQ_SYMBOL_MAX, "%.*s/%s", (int)bl, inst_id, d1 + 1);
  return 0;
}

/* ---- bars ------------------------------------------------------------------------------- */

typedef struct okx_bar {
  const char *name;
  uint32_t n;
  cq_tf_unit unit;
  bool utc;
} okx_bar;

/* The names cq_okx_bar_name gives come first for each tf. */
static const okx_bar bars[] = {
    {"1s", 1, CQ_TF_SECOND, true},    {"1m", 1, CQ_TF_MINUTE, true},
    {"3m", 3, CQ_TF_MINUTE, true},    {"5m", 5, CQ_TF_MINUTE, true},
    {"15m", 15, CQ_TF_MINUTE, true},  {"30m", 30, CQ_TF_MINUTE, true},
    {"1H", 1, CQ_TF_HOUR, true},      {"2H", 2, CQ_TF_HOUR, true},
    {"4H", 4, CQ_TF_HOUR, true},      {"6Hutc", 6, CQ_TF_HOUR, true},
    {"12Hutc", 12, CQ_TF_HOUR, true}, {"1Dutc", 1, CQ_TF_DAY, true},
    {"2Dutc", 2, CQ_TF_DAY, true},    {"3Dutc", 3, CQ_TF_DAY, true},
    {"1Wutc", 1, CQ_TF_WEEK, true},   {"1Mutc", 1, CQ_TF_MONTH, true},
    {"3Mutc", 3, CQ_TF_MONTH, true},  {"6H", 6, CQ_TF_HOUR, false},
    {"12H", 12, CQ_TF_HOUR, false},   {"1D", 1, CQ_TF_DAY, false},
    {"2D", 2, CQ_TF_DAY, false},      {"3D", 3, CQ_TF_DAY, false},
    {"1W", 1, CQ_TF_WEEK, false},     {"1M", 1, CQ_TF_MONTH, false},
    {"3M", 3, CQ_TF_MONTH, false},
};

const char *cq_okx_bar_name(cq_timeframe tf) {
  for (size_t i = 0; i < sizeof bars / sizeof bars[0]; i++)
    if (bars[i].n == tf.n && bars[i].unit == tf.unit) return bars[i].name;
  return NULL;
}

int cq_okx_bar_parse(const char *s, cq_timeframe *out, bool *utc, cq_error *err) {
  if (!s || !out) return cq_error_set(err, CQ_EINVAL, "okx: bar: NULL argument");
  for (size_t i = 0; i < sizeof bars / sizeof bars[0]; i++)
    if (strcmp(bars[i].name, s) == 0) {
      out->n = bars[i].n;
      out->unit = bars[i].unit;
      if (utc) *utc = bars[i].utc;
      return 0;
    }
  return cq_error_set(err, CQ_EUNSUPPORTED,
                      "okx: no bar \"%.20s\" (1s, 1m..30m, 1H..12H, 1D.."
                      "3D, 1W, 1M, 3M, and their utc forms)",
                      s);
}

/* ---- errors ----------------------------------------------------------------------------- */

cq_verr cq_okx_error_class(int code) {
  switch (code) {
    case 0:
      return CQ_VERR_NONE;
    case 50011: /* too many requests */
    case 50040: /* too frequent operations */
    case 50061: /* order rate limit of the sub-account */
      return CQ_VERR_RATE_LIMITED;
    case 50102: /* timestamp request expired */
    case 50112: /* invalid OK-ACCESS-TIMESTAMP */
      return CQ_VERR_TIMESTAMP;
    case 50100: /* API frozen */
    case 50101: /* APIKey does not match the environment */
    case 50103: /* OK-ACCESS-KEY header required */
    case 50104: /* OK-ACCESS-PASSPHRASE header required */
    case 50105: /* wrong passphrase */
    case 50106: /* OK-ACCESS-SIGN header required */
    case 50107: /* OK-ACCESS-TIMESTAMP header required */
    case 50110: /* IP not allowed */
    case 50111: /* invalid OK-ACCESS-KEY */
    case 50113: /* invalid sign */
    case 50114: /* invalid authorization */
    case 50120:
    case 50121:
    case 50122:
      return CQ_VERR_AUTH;
    case 51008: /* insufficient balance */
    case 51119: /* insufficient balance */
    case 51127:
    case 51131:
      return CQ_VERR_INSUFFICIENT;
    case 51603: /* order does not exist */
      return CQ_VERR_NOT_FOUND;
    case 50001: /* service temporarily unavailable */
    case 50004: /* endpoint request timeout: the order may have been placed */
    case 50013: /* systems are busy */
    case 50026: /* system error */
    case 51149: /* order timed out */
      return CQ_VERR_UNKNOWN_OUTCOME;
    case 50000: /* body cannot be empty */
    case 50002: /* JSON syntax error */
    case 50006: /* invalid Content-Type */
    case 50014: /* parameter cannot be empty */
    case 51000: /* parameter error */
    case 51001: /* instrument ID does not exist */
      return CQ_VERR_BAD_REQUEST;
    default:
      break;
  }
  if (code >= 50100 && code <= 50199) return CQ_VERR_AUTH;
  if (code >= 50000 && code <= 50099) return CQ_VERR_BAD_REQUEST;
  return CQ_VERR_REJECTED; /* any other code (the 51xxx trade, 54xxx codes): a final refusal */
}

static cq_verr status_class(int status) {
  if (status == 429) return CQ_VERR_RATE_LIMITED;
  if (status == 401 || status == 403) return CQ_VERR_AUTH;
  if (status >= 500) return CQ_VERR_UNKNOWN_OUTCOME;
  return CQ_VERR_PROTOCOL;
}

/* An OKX code: a string of digits ("50011") or an integer. -1 when it is neither. */
static int code_of(json_t *v) {
  if (json_is_integer(v)) return (int)json_integer_value(v);
  if (!json_is_string(v)) return -1;
  const char *s = json_string_value(v);
  if (!*s || strlen(s) > 9) return -1;
  int x = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    x = x * 10 + (*s - '0');
  }
  return x;
}

int cq_okx_decode_error(int http_status, const char *body, size_t len, cq_verror *ve) {
  cq_verror local;
  if (!ve) ve = &local;
  memset(ve, 0, sizeof *ve);
  ve->http_status = http_status;
  json_t *j = NULL;
  json_error_t je;
  if (body && len) j = json_loadb(body, len, 0, &je);
  int code = j ? code_of(json_object_get(j, "code")) : -1;
  json_t *msg = j ? json_object_get(j, "msg") : NULL;
  const char *m = json_is_string(msg) ? json_string_value(msg) : "";
  /* The order endpoints answer code 1 (the operation failed) or 2 (some failed) with each
   * item's own sCode: that one says why. */
  if (code == 1 || code == 2) {
    json_t *d0 = json_array_get(json_object_get(j, "data"), 0);
    int sc = code_of(json_object_get(d0, "sCode"));
    json_t *sm = json_object_get(d0, "sMsg");
    if (sc > 0) {
      code = sc;
      if (json_is_string(sm)) m = json_string_value(sm);
    }
  }
  if (code > 0) {
    ve->venue_code = code;
    ve->cls = cq_okx_error_class(code);
    if (http_status == 429) ve->cls = CQ_VERR_RATE_LIMITED;
    cq_error_set(&ve->e, cq_verr_code(ve->cls), "okx: %d %.200s (HTTP %d, %s)", code, m,
                 http_status, cq_verr_name(ve->cls));
  } else {
    ve->cls = status_class(http_status);
    cq_error_set(&ve->e, cq_verr_code(ve->cls), "okx: HTTP %d without an error body (%s)",
                 http_status, cq_verr_name(ve->cls));
  }
  json_decref(j);
  return ve->e.code;
}

/* ---- the envelope and the product check -------------------------------------------------- */

int cq__okx_items(const char *s, size_t n, json_t **doc, json_t **items, const char **path,
                  cq_error *err) {
  json_t *j;
  int rc = cq__vj_load(OKX, s, n, &j, err);
  if (rc < 0) return rc;
  json_t *arr = NULL;
  const char *p = "";
  if (json_is_object(j) && json_object_get(j, "code")) {
    int code = code_of(json_object_get(j, "code"));
    if (code != 0) {
      json_t *m = json_object_get(j, "msg");
      rc = cq_error_set(err, CQ_EREJECTED, "okx: the answer is an error (code %d: %.100s)", code,
                        json_is_string(m) ? json_string_value(m) : "");
      cq_error_field(err, "code");
      json_decref(j);
      return rc;
    }
    arr = json_object_get(j, "data");
    p = "data";
    rc = cq__vj_arr(OKX, arr, p, err);
    if (rc < 0) {
      json_decref(j);
      return rc;
    }
    json_incref(arr);
  } else if (json_is_array(j)) {
    arr = j;
    json_incref(arr);
  } else if (json_is_object(j)) {
    /* One bare item, as the documentation shows some of them. */
    arr = json_array();
    if (!arr || json_array_append(arr, j) < 0) {
      json_decref(arr);
      json_decref(j);
      return cq_error_set(err, CQ_ENOMEM, "okx: out of memory");
    }
    p = BARE;
  } else {
    json_decref(j);
    return cq__vj_perr(OKX, err, "", "expected an object or an array");
  }
  if (json_array_size(arr) > CQ_V_MAX_ROWS) {
    rc = cq__vj_perr(OKX, err, p, "%zu rows is over %d", json_array_size(arr), CQ_V_MAX_ROWS);
    json_decref(arr);
    json_decref(j);
    return rc;
  }
  *doc = j;
  *items = arr;
  *path = p;
  return 0;
}

void cq__okx_ipath(char *out, const char *base, size_t i) {
  if (strcmp(base, BARE) == 0)
    out[0] = '\0'; /* a bare item: its fields are named alone */
  else
    cq__vj_pathi(out, base, i);
}

int cq__okx_spot_only(json_t *item, const char *path, cq_error *err) {
  json_t *t = json_object_get(item, "instType");
  /* "ANY" is a subscription's wildcard: its items say their own type. */
  if (!t || !json_is_string(t) || strcmp(json_string_value(t), "SPOT") == 0 ||
      strcmp(json_string_value(t), "ANY") == 0)
    return 0;
  char p[CQ__VJ_PATH_MAX];
  cq__vj_path(p, path, "instType");
  cq_error_set(err, CQ_EUNSUPPORTED, "okx: %s: %.20s is not supported (spot only)", p,
               json_string_value(t));
  cq_error_field(err, p);
  return CQ_EUNSUPPORTED;
}

static bool nonempty(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  return v && !json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0);
}

/* What makes a payload another product's, looked for in each item. */
static const char *item_product(json_t *o) {
  if (!json_is_object(o)) return NULL;
  json_t *t = json_object_get(o, "instType");
  if (json_is_string(t) && strcmp(json_string_value(t), "SPOT") != 0 &&
      strcmp(json_string_value(t), "ANY") != 0 && json_string_length(t) > 0)
    return json_string_value(t);
  if (json_object_get(o, "delta")) return "option greeks";
  json_t *id = json_object_get(o, "instId");
  if (json_is_string(id)) {
    const char *d1 = strchr(json_string_value(id), '-');
    if (d1 && strchr(d1 + 1, '-')) return "derivatives (instId)";
  }
  if (nonempty(o, "algoId") || (json_object_get(o, "algoId") && !json_object_get(o, "ordId")))
    return "algo orders";
  if (json_object_get(o, "maxLever") || json_object_get(o, "tier")) return "position tiers";
  if (nonempty(o, "sprdId")) return "spread trading";
  if (nonempty(o, "posId")) return "positions";
  if (json_object_get(o, "fundingRate")) return "funding";
  if (json_object_get(o, "idxPx")) return "index prices";
  if (json_object_get(o, "markPx")) return "mark prices";
  if (json_object_get(o, "posMode")) return "position mode";
  return NULL;
}

static const char *const other_channels[] = {
    "funding-rate",  "opt-summary", "orders-algo",          "algo-advance",       "sprd-orders",
    "sprd-trades",   "positions",   "balance_and_position", "liquidation-orders", "mark-price",
    "index-tickers", "price-limit", "estimated-price",      "open-interest",
};

int cq_okx_check_product(const char *s, size_t n, cq_error *err) {
  json_t *j;
  int rc = cq__vj_load(OKX, s, n, &j, err);
  if (rc < 0) return rc;
  const char *what = NULL;
  json_t *arg = json_is_object(j) ? json_object_get(j, "arg") : NULL;
  json_t *ch = json_object_get(arg, "channel");
  if (json_is_string(ch)) {
    const char *c = json_string_value(ch);
    for (size_t i = 0; !what && i < sizeof other_channels / sizeof other_channels[0]; i++)
      if (strcmp(c, other_channels[i]) == 0) what = c;
    if (!what && strncmp(c, "sprd-", 5) == 0) what = c;
  }
  if (!what) what = item_product(arg);
  json_t *items = json_is_array(j) ? j : json_is_object(j) ? json_object_get(j, "data") : NULL;
  if (!what && json_is_array(items)) {
    size_t i;
    json_t *o;
    json_array_foreach(items, i, o) {
      if ((what = item_product(o)) != NULL) break;
    }
  }
  if (!what && json_is_object(j) && !json_object_get(j, "data")) what = item_product(j);
  if (what) rc = cq_error_set(err, CQ_EUNSUPPORTED, "okx: %s: not supported (spot only)", what);
  json_decref(j);
  return rc;
}

/* ---- REST decoders ---------------------------------------------------------------------- */

static int parse_instrument(json_t *o, const char *p, cq_instrument *in, cq_error *err) {
  memset(in, 0, sizeof *in);
  int rc = cq__vj_obj(OKX, o, p, err);
  if (rc == 0) rc = cq__okx_spot_only(o, p, err);
  char state[24] = "";
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "instId", in->native, sizeof in->native, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "baseCcy", in->base, sizeof in->base, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "quoteCcy", in->quote, sizeof in->quote, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "tickSz", &in->tick, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "lotSz", &in->lot, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "minSz", &in->min_qty, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "state", state, sizeof state, err);
  if (rc < 0) return rc;
  cq_strlcpy(in->venue, "okx", sizeof in->venue);
  snprintf(in->symbol, sizeof in->symbol, "%s/%s", in->base, in->quote);
  in->status = strcmp(state, "live") == 0      ? CQ_INSTRUMENT_TRADING
               : strcmp(state, "expired") == 0 ? CQ_INSTRUMENT_DELISTED
                                               : CQ_INSTRUMENT_HALTED;
  return 0;
}

/* Runs fn over each item into a malloc'd array of elem bytes. */
typedef int (*item_fn)(json_t *o, const char *path, void *out, cq_error *err);

static int each_item(const char *s, size_t n, size_t elem, item_fn fn, void **out, size_t *count,
                     cq_error *err) {
  json_t *doc, *items;
  const char *base;
  int rc = cq__okx_items(s, n, &doc, &items, &base, err);
  if (rc < 0) return rc;
  size_t cnt = json_array_size(items);
  char *arr = calloc(cnt ? cnt : 1, elem);
  if (!arr) rc = cq_error_set(err, CQ_ENOMEM, "okx: out of memory");
  for (size_t i = 0; rc == 0 && i < cnt; i++) {
    char p[CQ__VJ_PATH_MAX];
    cq__okx_ipath(p, base, i);
    rc = fn(json_array_get(items, i), p, arr + i * elem, err);
  }
  json_decref(items);
  json_decref(doc);
  if (rc < 0) {
    free(arr);
    return rc;
  }
  *out = arr;
  *count = cnt;
  return 0;
}

static int ins_fn(json_t *o, const char *p, void *out, cq_error *err) {
  return parse_instrument(o, p, out, err);
}

int cq_okx_parse_instruments(const char *s, size_t n, cq_instrument **out, size_t *count,
                             cq_error *err) {
  return each_item(s, n, sizeof(cq_instrument), ins_fn, (void **)out, count, err);
}

static int row_dec(json_t *row, const char *p, size_t i, double *out, cq_error *err) {
  char q[CQ__VJ_PATH_MAX];
  cq__vj_pathi(q, p, i);
  cq_dec d;
  int rc = cq__vj_dec_v(OKX, json_array_get(row, i), q, &d, err);
  if (rc == 0) *out = cq_dec_to_double(d);
  return rc;
}

int cq__okx_candle_row(json_t *row, const char *p, cq_candle *k, cq_error *err) {
  int rc = cq__vj_arr(OKX, row, p, err);
  if (rc < 0) return rc;
  size_t cols = json_array_size(row);
  if (cols < 6)
    return cq__vj_perr(OKX, err, p, "a candle row has %zu columns, expected 6 to 9", cols);
  memset(k, 0, sizeof *k);
  k->trades = -1;
  k->quote_volume = NAN;
  char q[CQ__VJ_PATH_MAX];
  int64_t ms = 0;
  cq__vj_pathi(q, p, 0);
  rc = cq__vj_i64s_v(OKX, json_array_get(row, 0), q, &ms, err);
  if (rc == 0) rc = cq__vj_ms_to_time(OKX, ms, q, &k->open_time, err);
  if (rc == 0) rc = row_dec(row, p, 1, &k->open, err);
  if (rc == 0) rc = row_dec(row, p, 2, &k->high, err);
  if (rc == 0) rc = row_dec(row, p, 3, &k->low, err);
  if (rc == 0) rc = row_dec(row, p, 4, &k->close, err);
  if (rc == 0) rc = row_dec(row, p, 5, &k->volume, err);
  if (rc == 0 && cols >= 8) rc = row_dec(row, p, 7, &k->quote_volume, err);
  k->closed = true;
  if (rc == 0 && cols >= 9) {
    json_t *c = json_array_get(row, 8);
    cq__vj_pathi(q, p, 8);
    if (!json_is_string(c) ||
        (strcmp(json_string_value(c), "0") != 0 && strcmp(json_string_value(c), "1") != 0))
      return cq__vj_perr(OKX, err, q, "confirm must be \"0\" or \"1\"");
    k->closed = json_string_value(c)[0] == '1';
  }
  return rc;
}

int cq_okx_parse_candles(const char *s, size_t n, cq_candles *out, cq_error *err) {
  json_t *doc, *items;
  const char *base;
  int rc = cq__okx_items(s, n, &doc, &items, &base, err);
  if (rc < 0) return rc;
  size_t cnt = json_array_size(items);
  size_t start = out->len;
  rc = cq_candles_reserve(out, out->len + cnt);
  if (rc < 0) rc = cq_error_set(err, rc, "okx: candles: %zu rows do not fit", cnt);
  /* Newest first on the wire (some documentation examples are oldest first): read in the
   * direction that makes the rows go in oldest first, and insist on it. */
  bool newest_first = true;
  if (cnt >= 2) {
    int64_t t0 = 0, t1 = 0;
    json_t *r0 = json_array_get(items, 0), *r1 = json_array_get(items, cnt - 1);
    if (json_is_array(r0) && json_is_array(r1) &&
        cq__vj_i64s_v(OKX, json_array_get(r0, 0), "", &t0, NULL) == 0 &&
        cq__vj_i64s_v(OKX, json_array_get(r1, 0), "", &t1, NULL) == 0)
      newest_first = t0 > t1;
  }
  for (size_t x = 0; rc == 0 && x < cnt; x++) {
    size_t i = newest_first ? cnt - 1 - x : x;
    char p[CQ__VJ_PATH_MAX];
    cq__okx_ipath(p, base, i);
    cq_candle k;
    rc = cq__okx_candle_row(json_array_get(items, i), p, &k, err);
    if (rc == 0 && out->len > start && k.open_time <= out->open_time[out->len - 1])
      rc = cq__vj_perr(OKX, err, p, "rows are not in time order");
    if (rc == 0) rc = cq_candles_push(out, &k);
  }
  if (rc < 0) out->len = start;
  json_decref(items);
  json_decref(doc);
  return rc;
}

int cq__okx_trade(json_t *o, const char *p, cq_trade *t, char inst_id[CQ_SYMBOL_MAX],
                  cq_error *err) {
  memset(t, 0, sizeof *t);
  char side[8] = "";
  int rc = cq__vj_obj(OKX, o, p, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "instId", inst_id, CQ_SYMBOL_MAX, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "tradeId", t->id, sizeof t->id, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "px", &t->price, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "sz", &t->qty, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "side", side, sizeof side, err);
  if (rc == 0) rc = cq__vj_times(OKX, o, p, "ts", &t->time, err);
  if (rc == 0) rc = cq__okx_side(side, p, &t->taker_side, err);
  return rc;
}

int cq__okx_side(const char *s, const char *p, cq_side *out, cq_error *err) {
  if (strcmp(s, "buy") == 0)
    *out = CQ_SIDE_BUY;
  else if (strcmp(s, "sell") == 0)
    *out = CQ_SIDE_SELL;
  else {
    char q[CQ__VJ_PATH_MAX];
    cq__vj_path(q, p, "side");
    return cq__vj_perr(OKX, err, q, "side \"%.10s\" is neither buy nor sell", s);
  }
  return 0;
}

int cq_okx_parse_trades(const char *s, size_t n, cq_trades *out, cq_error *err) {
  json_t *doc, *items;
  const char *base;
  int rc = cq__okx_items(s, n, &doc, &items, &base, err);
  if (rc < 0) return rc;
  size_t cnt = json_array_size(items), start = out->len;
  rc = cq_trades_reserve(out, out->len + cnt);
  if (rc < 0) rc = cq_error_set(err, rc, "okx: trades: %zu rows do not fit", cnt);
  for (size_t i = cnt; rc == 0 && i-- > 0;) {
    char p[CQ__VJ_PATH_MAX], inst[CQ_SYMBOL_MAX];
    cq__okx_ipath(p, base, i);
    cq_trade t;
    rc = cq__okx_trade(json_array_get(items, i), p, &t, inst, err);
    if (rc == 0) rc = cq_trades_push(out, &t);
  }
  if (rc < 0) out->len = start;
  json_decref(items);
  json_decref(doc);
  return rc;
}

/* Levels [px, sz, "0", orders] of one side into m. */
int cq__okx_levels(json_t *o, const char *p, const char *key, cq_side side, cq_vbook_msg *m,
                   cq_error *err) {
  char q[CQ__VJ_PATH_MAX];
  cq__vj_path(q, p, key);
  json_t *arr = json_object_get(o, key);
  int rc = cq__vj_arr(OKX, arr, q, err);
  if (rc < 0) return rc;
  size_t i;
  json_t *lv;
  json_array_foreach(arr, i, lv) {
    char r[CQ__VJ_PATH_MAX], c[CQ__VJ_PATH_MAX];
    cq__vj_pathi(r, q, i);
    rc = cq__vj_arr(OKX, lv, r, err);
    if (rc == 0 && json_array_size(lv) < 2)
      rc = cq__vj_perr(OKX, err, r, "a level needs a price and a size");
    cq_dec px = CQ_DEC(0, 0), sz = CQ_DEC(0, 0);
    cq__vj_pathi(c, r, 0);
    if (rc == 0) rc = cq__vj_dec_v(OKX, json_array_get(lv, 0), c, &px, err);
    cq__vj_pathi(c, r, 1);
    if (rc == 0) rc = cq__vj_dec_v(OKX, json_array_get(lv, 1), c, &sz, err);
    if (rc == 0 && (px.m <= 0 || sz.m < 0))
      rc = cq__vj_perr(OKX, err, r, "price must be > 0 and size >= 0");
    if (rc == 0) rc = cq_vbook_msg_push(m, side, px, sz, err);
    if (rc < 0) return rc;
  }
  return 0;
}

/* A book item {asks, bids, ts, [checksum, prevSeqId, seqId]} into m (header included). */
int cq__okx_book_item(json_t *o, const char *p, cq_vbook_msg *m, cq_error *err) {
  int rc = cq__vj_obj(OKX, o, p, err);
  if (rc == 0) rc = cq__okx_levels(o, p, "bids", CQ_SIDE_BUY, m, err);
  if (rc == 0) rc = cq__okx_levels(o, p, "asks", CQ_SIDE_SELL, m, err);
  if (rc == 0) rc = cq__vj_times(OKX, o, p, "ts", &m->time, err);
  m->prev_seq = -1;
  if (rc == 0) rc = cq__vj_i64s_opt(OKX, o, p, "seqId", &m->seq, err);
  if (rc == 0) rc = cq__vj_i64s_opt(OKX, o, p, "prevSeqId", &m->prev_seq, err);
  if (rc == 0 && json_object_get(o, "checksum")) {
    int64_t c = 0;
    rc = cq__vj_i64s(OKX, o, p, "checksum", &c, err);
    if (rc == 0 && (c < INT32_MIN || c > INT32_MAX))
      rc = cq__vj_perr(OKX, err, p, "checksum %lld is not a 32-bit integer", (long long)c);
    m->has_checksum = true;
    m->checksum = (int32_t)c;
  }
  return rc;
}

int cq_okx_parse_book(const char *s, size_t n, cq_l2book *book, cq_error *err) {
  json_t *doc, *items;
  const char *base;
  int rc = cq__okx_items(s, n, &doc, &items, &base, err);
  if (rc < 0) return rc;
  cq_vbook_msg m;
  cq_vbook_msg_init(&m);
  char p[CQ__VJ_PATH_MAX];
  cq__okx_ipath(p, base, 0);
  if (json_array_size(items) != 1)
    rc = cq__vj_perr(OKX, err, base, "a book answer has one item, found %zu",
                     json_array_size(items));
  if (rc == 0) rc = cq__okx_book_item(json_array_get(items, 0), p, &m, err);
  if (rc == 0) {
    m.snapshot = true;
    if (m.seq < 0) m.seq = 0;
    rc = cq_vbook_msg_apply(&m, book, err);
    if (rc < 0) cq_l2book_clear(book);
  }
  if (rc == 0) cq_l2book_set_valid(book, !cq_l2book_crossed(book));
  cq_vbook_msg_release(&m);
  json_decref(items);
  json_decref(doc);
  return rc;
}

int cq__okx_ticker(json_t *o, const char *p, char native[CQ_SYMBOL_MAX], cq_ticker *t,
                   cq_error *err) {
  memset(t, 0, sizeof *t);
  t->trades = -1;
  int rc = cq__vj_obj(OKX, o, p, err);
  if (rc == 0) rc = cq__okx_spot_only(o, p, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "instId", native, CQ_SYMBOL_MAX, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "last", &t->last, err);
  if (rc == 0) rc = cq__vj_dec_oe(OKX, o, p, "lastSz", &t->last_qty, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "open24h", &t->open, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "high24h", &t->high, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "low24h", &t->low, err);
  /* Spot: vol24h is in base, volCcy24h in quote. */
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "vol24h", &t->volume, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "volCcy24h", &t->quote_volume, err);
  if (rc == 0) rc = cq__vj_dec_oe(OKX, o, p, "bidPx", &t->bid, err);
  if (rc == 0) rc = cq__vj_dec_oe(OKX, o, p, "bidSz", &t->bid_qty, err);
  if (rc == 0) rc = cq__vj_dec_oe(OKX, o, p, "askPx", &t->ask, err);
  if (rc == 0) rc = cq__vj_dec_oe(OKX, o, p, "askSz", &t->ask_qty, err);
  if (rc == 0) rc = cq__vj_times(OKX, o, p, "ts", &t->close_time, err);
  /* OKX gives no change figures: they stay 0, as for any field a venue does not give. */
  if (rc == 0) t->open_time = t->close_time - CQ_NS_PER_DAY;
  return rc;
}

int cq_okx_parse_ticker(const char *s, size_t n, char native[CQ_SYMBOL_MAX], cq_ticker *out,
                        cq_error *err) {
  json_t *doc, *items;
  const char *base;
  int rc = cq__okx_items(s, n, &doc, &items, &base, err);
  if (rc < 0) return rc;
  char p[CQ__VJ_PATH_MAX], sym[CQ_SYMBOL_MAX];
  cq__okx_ipath(p, base, 0);
  cq_ticker t;
  if (json_array_size(items) == 0) rc = cq__vj_perr(OKX, err, base, "no ticker");
  if (rc == 0) rc = cq__okx_ticker(json_array_get(items, 0), p, sym, &t, err);
  if (rc == 0) {
    *out = t;
    if (native) memcpy(native, sym, sizeof sym);
  }
  json_decref(items);
  json_decref(doc);
  return rc;
}

/* One currency of a balance's details. */
int cq__okx_balance(json_t *o, const char *p, cq_balance *b, cq_error *err) {
  memset(b, 0, sizeof *b);
  int rc = cq__vj_obj(OKX, o, p, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "ccy", b->asset, sizeof b->asset, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "availBal", &b->free, err);
  if (rc == 0) rc = cq__vj_dec_oe(OKX, o, p, "frozenBal", &b->locked, err);
  return rc;
}

int cq__okx_balances_of(json_t *items, const char *base, cq_balance **out, size_t *count,
                        cq_error *err) {
  size_t total = 0, i;
  json_t *o;
  json_array_foreach(items, i, o) {
    json_t *d = json_object_get(o, "details");
    total += json_is_array(d) ? json_array_size(d) : 1;
  }
  if (total > CQ_V_MAX_ROWS) return cq__vj_perr(OKX, err, base, "over %d balances", CQ_V_MAX_ROWS);
  cq_balance *arr = calloc(total ? total : 1, sizeof *arr);
  if (!arr) return cq_error_set(err, CQ_ENOMEM, "okx: out of memory");
  size_t k = 0;
  int rc = 0;
  json_array_foreach(items, i, o) {
    char p[CQ__VJ_PATH_MAX];
    cq__okx_ipath(p, base, i);
    rc = cq__vj_obj(OKX, o, p, err);
    if (rc < 0) break;
    json_t *d = json_object_get(o, "details");
    if (json_is_array(d)) {
      char q[CQ__VJ_PATH_MAX];
      cq__vj_path(q, p, "details");
      size_t j;
      json_t *c;
      json_array_foreach(d, j, c) {
        char r[CQ__VJ_PATH_MAX];
        cq__vj_pathi(r, q, j);
        rc = cq__okx_balance(c, r, &arr[k++], err);
        if (rc < 0) break;
      }
    } else if (d) {
      char q[CQ__VJ_PATH_MAX];
      cq__vj_path(q, p, "details");
      rc = cq__vj_arr(OKX, d, q, err);
    } else {
      rc = cq__okx_balance(o, p, &arr[k++], err); /* a bare detail */
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

int cq_okx_parse_balances(const char *s, size_t n, cq_balance **out, size_t *count, cq_error *err) {
  json_t *doc, *items;
  const char *base;
  int rc = cq__okx_items(s, n, &doc, &items, &base, err);
  if (rc < 0) return rc;
  rc = cq__okx_balances_of(items, base, out, count, err);
  json_decref(items);
  json_decref(doc);
  return rc;
}

/* ---- orders and fills ---------------------------------------------------------------------- */

int cq__okx_ord_type(const char *s, const char *p, cq_order_type *type, cq_tif *tif,
                     cq_error *err) {
  static const struct {
    const char *name;
    cq_order_type type;
    cq_tif tif;
  } t[] = {
      {"market", CQ_ORDER_MARKET, CQ_TIF_GTC},
      {"limit", CQ_ORDER_LIMIT, CQ_TIF_GTC},
      {"post_only", CQ_ORDER_LIMIT, CQ_TIF_POST_ONLY},
      {"fok", CQ_ORDER_LIMIT, CQ_TIF_FOK},
      {"ioc", CQ_ORDER_LIMIT, CQ_TIF_IOC},
      {"optimal_limit_ioc", CQ_ORDER_MARKET, CQ_TIF_IOC},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (strcmp(t[i].name, s) == 0) {
      *type = t[i].type;
      *tif = t[i].tif;
      return 0;
    }
  char q[CQ__VJ_PATH_MAX];
  cq__vj_path(q, p, "ordType");
  cq_error_set(err, CQ_EUNSUPPORTED, "okx: %s: order type \"%.24s\" is not supported", q, s);
  cq_error_field(err, q);
  return CQ_EUNSUPPORTED;
}

int cq__okx_state(const char *s, const char *p, cq_tif tif, bool part_unfilled, cq_order_state *out,
                  cq_error *err) {
  if (strcmp(s, "live") == 0)
    *out = CQ_OS_ACCEPTED;
  else if (strcmp(s, "partially_filled") == 0)
    *out = CQ_OS_PARTIAL;
  else if (strcmp(s, "filled") == 0)
    *out = CQ_OS_FILLED;
  else if (strcmp(s, "canceled") == 0 || strcmp(s, "mmp_canceled") == 0)
    /* An ioc / fok remainder is cancelled by the venue: expired to cquant. */
    *out =
        (tif == CQ_TIF_IOC || tif == CQ_TIF_FOK) && part_unfilled ? CQ_OS_EXPIRED : CQ_OS_CANCELLED;
  else {
    char q[CQ__VJ_PATH_MAX];
    cq__vj_path(q, p, "state");
    cq_error_set(err, CQ_EUNSUPPORTED, "okx: %s: order state \"%.24s\" is not known", q, s);
    cq_error_field(err, q);
    return CQ_EUNSUPPORTED;
  }
  return 0;
}

int cq__okx_order(json_t *o, const char *p, cq_venue_order *ord, cq_error *err) {
  memset(ord, 0, sizeof *ord);
  char inst[CQ_SYMBOL_MAX], side[8], type[24], state[24];
  cq_dec avg = {0, 0};
  int rc = cq__vj_obj(OKX, o, p, err);
  if (rc == 0) rc = cq__okx_spot_only(o, p, err);
  if (rc == 0 && nonempty(o, "algoId") && !nonempty(o, "ordId")) {
    cq_error_set(err, CQ_EUNSUPPORTED, "okx: %s: algo orders are not supported", p);
    rc = CQ_EUNSUPPORTED;
  }
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "instId", inst, sizeof inst, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "ordId", ord->venue_id, sizeof ord->venue_id, err);
  if (rc == 0) rc = cq__vj_str_oe(OKX, o, p, "clOrdId", ord->client_id, sizeof ord->client_id, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "side", side, sizeof side, err);
  if (rc == 0) rc = cq__okx_side(side, p, &ord->side, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "ordType", type, sizeof type, err);
  if (rc == 0) rc = cq__okx_ord_type(type, p, &ord->type, &ord->tif, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "sz", &ord->qty, err);
  if (rc == 0) rc = cq__vj_dec_oe(OKX, o, p, "px", &ord->price, err);
  if (rc == 0) rc = cq__vj_dec_oe(OKX, o, p, "accFillSz", &ord->filled, err);
  if (rc == 0) rc = cq__vj_dec_oe(OKX, o, p, "avgPx", &avg, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "state", state, sizeof state, err);
  if (rc == 0)
    rc = cq__okx_state(state, p, ord->tif, cq_dec_cmp(ord->filled, ord->qty) < 0, &ord->state, err);
  if (rc == 0) rc = cq__vj_times_opt(OKX, o, p, "cTime", &ord->created, err);
  if (rc == 0) rc = cq__vj_times_opt(OKX, o, p, "uTime", &ord->updated, err);
  if (rc < 0) return rc;
  if (cq_okx_to_unified(inst, ord->symbol, NULL) < 0) cq_strlcpy(ord->symbol, inst, CQ_SYMBOL_MAX);
  cq__v_notional(ord->filled, avg, &ord->filled_quote);
  char cs[64] = "";
  (void)cq__vj_str_oe(OKX, o, p, "cancelSourceReason", cs, sizeof cs, NULL);
  if (cs[0]) cq_strlcpy(ord->reason, cs, sizeof ord->reason);
  return 0;
}

static int order_fn(json_t *o, const char *p, void *out, cq_error *err) {
  return cq__okx_order(o, p, out, err);
}

int cq_okx_parse_orders(const char *s, size_t n, cq_venue_order **out, size_t *count,
                        cq_error *err) {
  return each_item(s, n, sizeof(cq_venue_order), order_fn, (void **)out, count, err);
}

/* Fee as we see it: what we paid is positive (OKX writes it negative). */
int cq__okx_fee(json_t *o, const char *p, const char *key, cq_dec *fee, cq_error *err) {
  cq_dec f = {0, 0};
  int rc = cq__vj_dec_oe(OKX, o, p, key, &f, err);
  if (rc == 0) rc = cq_dec_neg(f, fee, err);
  return rc;
}

int cq__okx_fill(json_t *o, const char *p, cq_venue_fill *f, cq_error *err) {
  memset(f, 0, sizeof *f);
  char inst[CQ_SYMBOL_MAX], side[8], exec[8] = "";
  int rc = cq__vj_obj(OKX, o, p, err);
  if (rc == 0) rc = cq__okx_spot_only(o, p, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "instId", inst, sizeof inst, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "tradeId", f->trade_id, sizeof f->trade_id, err);
  if (rc == 0)
    rc = cq__vj_str(OKX, o, p, "ordId", f->venue_order_id, sizeof f->venue_order_id, err);
  if (rc == 0) rc = cq__vj_str_oe(OKX, o, p, "clOrdId", f->client_id, sizeof f->client_id, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "fillPx", &f->price, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "fillSz", &f->qty, err);
  if (rc == 0) rc = cq__vj_str(OKX, o, p, "side", side, sizeof side, err);
  if (rc == 0) rc = cq__okx_side(side, p, &f->side, err);
  if (rc == 0) rc = cq__okx_fee(o, p, "fee", &f->fee, err);
  if (rc == 0) rc = cq__vj_str_oe(OKX, o, p, "feeCcy", f->fee_asset, sizeof f->fee_asset, err);
  if (rc == 0) rc = cq__vj_str_oe(OKX, o, p, "execType", exec, sizeof exec, err);
  if (rc == 0) rc = cq__vj_times(OKX, o, p, "ts", &f->time, err);
  if (rc < 0) return rc;
  f->liquidity = exec[0] == 'M' ? CQ_LIQ_MAKER : CQ_LIQ_TAKER;
  if (cq_okx_to_unified(inst, f->symbol, NULL) < 0) cq_strlcpy(f->symbol, inst, CQ_SYMBOL_MAX);
  return 0;
}

static int fill_fn(json_t *o, const char *p, void *out, cq_error *err) {
  return cq__okx_fill(o, p, out, err);
}

int cq_okx_parse_fills(const char *s, size_t n, cq_venue_fill **out, size_t *count, cq_error *err) {
  return each_item(s, n, sizeof(cq_venue_fill), fill_fn, (void **)out, count, err);
}

int cq_okx_parse_fee_rates(const char *s, size_t n, cq_dec *maker, cq_dec *taker, cq_error *err) {
  json_t *doc, *items;
  const char *base;
  int rc = cq__okx_items(s, n, &doc, &items, &base, err);
  if (rc < 0) return rc;
  char p[CQ__VJ_PATH_MAX];
  cq__okx_ipath(p, base, 0);
  json_t *o = json_array_get(items, 0);
  cq_dec mk, tk;
  if (!o) rc = cq__vj_perr(OKX, err, base, "no fee rates");
  if (rc == 0) rc = cq__okx_spot_only(o, p, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "maker", &mk, err);
  if (rc == 0) rc = cq__vj_dec(OKX, o, p, "taker", &tk, err);
  if (rc == 0) *maker = mk, *taker = tk;
  json_decref(items);
  json_decref(doc);
  return rc;
}

int cq_okx_parse_ack(const char *s, size_t n, cq_okx_ack *out, cq_verror *ve) {
  cq_verror local;
  if (!ve) ve = &local;
  memset(ve, 0, sizeof *ve);
  memset(out, 0, sizeof *out);
  json_t *doc, *items;
  const char *base;
  cq_error *err = &ve->e;
  int rc = cq__okx_items(s, n, &doc, &items, &base, err);
  if (rc == CQ_EREJECTED) /* an envelope error: its item's sCode says why */
    return cq_okx_decode_error(200, s, n, ve);
  if (rc < 0) {
    ve->cls = CQ_VERR_PROTOCOL;
    return rc;
  }
  char p[CQ__VJ_PATH_MAX];
  cq__okx_ipath(p, base, 0);
  json_t *o = json_array_get(items, 0);
  int64_t sc = 0;
  if (!o) rc = cq__vj_perr(OKX, err, base, "no item");
  if (rc == 0) rc = cq__vj_obj(OKX, o, p, err);
  if (rc == 0 && nonempty(o, "algoId") && !json_object_get(o, "ordId")) {
    rc = cq_error_set(err, CQ_EUNSUPPORTED, "okx: %s: algo orders are not supported", p);
    ve->cls = CQ_VERR_UNSUPPORTED;
  }
  if (rc == 0) rc = cq__vj_str_oe(OKX, o, p, "ordId", out->venue_id, sizeof out->venue_id, err);
  if (rc == 0) rc = cq__vj_str_oe(OKX, o, p, "clOrdId", out->client_id, sizeof out->client_id, err);
  if (rc == 0) rc = cq__vj_i64s(OKX, o, p, "sCode", &sc, err);
  if (rc == 0) rc = cq__vj_str_oe(OKX, o, p, "sMsg", out->s_msg, sizeof out->s_msg, err);
  json_decref(items);
  json_decref(doc);
  if (rc < 0) {
    if (ve->cls == CQ_VERR_NONE) ve->cls = CQ_VERR_PROTOCOL;
    return rc;
  }
  out->s_code = (int)sc;
  if (sc != 0) {
    ve->venue_code = (int)sc;
    ve->cls = cq_okx_error_class((int)sc);
    return cq_error_set(err, cq_verr_code(ve->cls), "okx: %d %.120s (%s)", (int)sc, out->s_msg,
                        cq_verr_name(ve->cls));
  }
  return 0;
}

/* ---- encoders ---------------------------------------------------------------------------- */

static bool client_id_ok(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 32) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

int cq_okx_encode_order(const cq_venue_order_req *req, const char *inst_id, char *buf, size_t n,
                        cq_error *err) {
  if (!req || !inst_id || !buf) return cq_error_set(err, CQ_EINVAL, "okx: order: NULL argument");
  if (!client_id_ok(req->client_id))
    return cq_error_set(err, CQ_EINVAL,
                        "okx: order: clOrdId \"%.40s\" must be 1-32 letters and digits",
                        req->client_id);
  if (req->qty.m <= 0) return cq_error_set(err, CQ_EINVAL, "okx: order: qty must be > 0");
  const char *ot = NULL;
  bool px = false;
  if (req->type == CQ_ORDER_MARKET) {
    if (req->tif != CQ_TIF_GTC && req->tif != CQ_TIF_IOC)
      return cq_error_set(err, CQ_EINVAL, "okx: order: a market order takes no %s",
                          req->tif == CQ_TIF_FOK ? "FOK" : "post-only");
    ot = "market";
  } else if (req->type == CQ_ORDER_LIMIT) {
    static const char *const by_tif[] = {"limit", "ioc", "fok", "post_only"};
    if ((unsigned)req->tif >= CQ_TIF_COUNT)
      return cq_error_set(err, CQ_EINVAL, "okx: order: bad time in force");
    ot = by_tif[req->tif];
    px = true;
    if (req->price.m <= 0) return cq_error_set(err, CQ_EINVAL, "okx: order: a limit needs a price");
  } else {
    return cq_error_set(err, CQ_EUNSUPPORTED,
                        "okx: order: stop orders are algo orders on OKX (not supported)");
  }
  if (req->side != CQ_SIDE_BUY && req->side != CQ_SIDE_SELL)
    return cq_error_set(err, CQ_EINVAL, "okx: order: side must be buy or sell");
  char sz[CQ_DEC_STRMAX], pr[CQ_DEC_STRMAX];
  cq_dec_format(req->qty, sz, sizeof sz);
  cq_dec_format(req->price, pr, sizeof pr);
  for (const char *c = inst_id; *c; c++)
    if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
      return cq_error_set(err, CQ_EINVAL, "okx: order: bad instId");
  int len;
  /* The market order's sz is in base units only with tgtCcy base_ccy (a market buy's is in
   * quote otherwise). */
  if (px)
    len = snprintf(buf, n,
                   "{\"instId\":\"%s\",\"tdMode\":\"cash\",\"clOrdId\":\"%s\",\"side\":\"%s\","
                   "\"ordType\":\"%s\",\"sz\":\"%s\",\"px\":\"%s\"}",
                   inst_id, req->client_id, req->side == CQ_SIDE_BUY ? "buy" : "sell", ot, sz, pr);
  else
    len = snprintf(buf, n,
                   "{\"instId\":\"%s\",\"tdMode\":\"cash\",\"clOrdId\":\"%s\",\"side\":\"%s\","
                   "\"ordType\":\"%s\",\"sz\":\"%s\",\"tgtCcy\":\"base_ccy\"}",
                   inst_id, req->client_id, req->side == CQ_SIDE_BUY ? "buy" : "sell", ot, sz);
  if (len < 0 || (size_t)len >= n) {
    if (n) buf[0] = '\0';
    return cq_error_set(err, CQ_ELIMIT, "okx: order: body does not fit in %zu bytes", n);
  }
  return len;
}

int cq_okx_candles_query(const char *inst_id, cq_timeframe tf, int64_t after_ms, int64_t before_ms,
                         int limit, char *buf, size_t n, cq_error *err) {
  const char *bar = cq_okx_bar_name(tf);
  if (!bar) {
    char t[CQ_TF_STRMAX];
    cq_timeframe_format(tf, t, sizeof t);
    return cq_error_set(err, CQ_EUNSUPPORTED, "okx: no bar for timeframe %s", t);
  }
  if (!inst_id || !buf) return cq_error_set(err, CQ_EINVAL, "okx: candles: NULL argument");
  int len = snprintf(buf, n, "instId=%s&bar=%s", inst_id, bar);
  if (len >= 0 && after_ms > 0 && (size_t)len < n)
    len += snprintf(buf + len, n - (size_t)len, "&after=%lld", (long long)after_ms);
  if (len >= 0 && before_ms > 0 && (size_t)len < n)
    len += snprintf(buf + len, n - (size_t)len, "&before=%lld", (long long)before_ms);
  if (len >= 0 && limit > 0 && (size_t)len < n)
    len += snprintf(buf + len, n - (size_t)len, "&limit=%d", limit);
  if (len < 0 || (size_t)len >= n) {
    if (n) buf[0] = '\0';
    return cq_error_set(err, CQ_ELIMIT, "okx: candles: query does not fit in %zu bytes", n);
  }
  return len;
}

/* ---- signing ----------------------------------------------------------------------------- */

void cq_okx_timestamp(cq_time t, char out[32]) {
  cq_time_format_iso(t, 3, out, 32);
}

int cq_okx_sign(const char *secret, const char *timestamp, const char *method,
                const char *request_path, const char *body, char out[45], cq_error *err) {
  if (!secret || !timestamp || !method || !request_path || !out)
    return cq_error_set(err, CQ_EINVAL, "okx: sign: NULL argument");
  size_t klen = strlen(secret);
  if (klen > 4096) return cq_error_set(err, CQ_EINVAL, "okx: sign: secret over 4096 bytes");
  size_t lt = strlen(timestamp), lm = strlen(method), lp = strlen(request_path),
         lb = body ? strlen(body) : 0;
  if (lt + lm + lp + lb > (1u << 20))
    return cq_error_set(err, CQ_ELIMIT, "okx: sign: message over 1 MiB");
  char *msg = malloc(lt + lm + lp + lb + 1);
  if (!msg) return cq_error_set(err, CQ_ENOMEM, "okx: sign: out of memory");
  memcpy(msg, timestamp, lt);
  memcpy(msg + lt, method, lm);
  memcpy(msg + lt + lm, request_path, lp);
  if (lb) memcpy(msg + lt + lm + lp, body, lb);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int maclen = 0;
  bool ok = HMAC(EVP_sha256(), secret, (int)klen, (const unsigned char *)msg, lt + lm + lp + lb,
                 mac, &maclen) != NULL &&
            maclen == 32;
  free(msg);
  if (!ok) return cq_error_set(err, CQ_EINTERNAL, "okx: sign: HMAC-SHA256 failed");
  EVP_EncodeBlock((unsigned char *)out, mac, 32); /* 44 characters and a NUL */
  return 0;
}
