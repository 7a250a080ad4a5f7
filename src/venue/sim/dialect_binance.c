/* The Binance spot dialect: REST requests in Binance's paths, parameters, JSON shapes,
 * error codes and headers, answered from the exchange core and the market; and the stream
 * messages (trade, aggTrade, bookTicker, kline, depthUpdate, executionReport,
 * outboundAccountPosition) in Binance's shapes. Nothing here touches a socket: the server
 * wiring (vsim_server.c) hands requests in and sends what comes out. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/net.h"
#include "internal.h"

#define KLINE_MAX 1000
#define TRADES_MAX 1000
#define RECV_WINDOW_MAX 60000
#define LISTEN_TTL_MS INT64_C(3600000)

void vd_response_release(vd_response *r) {
  free(r->body);
  free(r->headers);
  r->body = r->headers = NULL;
}

void vd_hmac_hex(const char *key, const char *data, size_t len, char out[65]) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)data, len, mac, &n)) n = 0;
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n && i < 32; i++) {
    out[2 * i] = hex[mac[i] >> 4];
    out[2 * i + 1] = hex[mac[i] & 15];
  }
  out[(size_t)2 * (n < 32 ? n : 32)] = 0;
}

int64_t vd_interval_ms(const char *s) {
  static const struct {
    const char *name;
    int64_t ms;
  } t[] = {{"1s", 1000},     {"1m", 60000},     {"3m", 180000},   {"5m", 300000},
           {"15m", 900000},  {"30m", 1800000},  {"1h", 3600000},  {"2h", 7200000},
           {"4h", 14400000}, {"6h", 21600000},  {"8h", 28800000}, {"12h", 43200000},
           {"1d", 86400000}, {"3d", 259200000}, {"1w", 604800000}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (!strcmp(s, t[i].name)) return t[i].ms;
  return 0;
}

/* Binance weeks open on Monday; the epoch was a Thursday. */
int64_t vd_interval_floor(int64_t t, int64_t len) {
  int64_t off = len == 604800000 ? 4 * INT64_C(86400000) : 0;
  int64_t k = (t - off) / len;
  if ((t - off) % len < 0) k--;
  return k * len + off;
}

/* ---- JSON helpers ----------------------------------------------------------------------- */

static json_t *jfix(cq_dec d) {
  char buf[CQ_DEC_STRMAX];
  if (cq_dec_format_fixed(d, 8, buf, sizeof buf, NULL) < 0) snprintf(buf, sizeof buf, "0.00000000");
  return json_string(buf);
}

/* A market double that lies on step (a price on the tick, a quantity on the lot). */
static json_t *jstep(double v, cq_dec step) {
  double k = round(v / cq_dec_to_double(step));
  return jfix(CQ_DEC((int64_t)k * step.m, step.scale));
}

static json_t *jmoney(double v) { /* a derived amount (quote volume): 8 digits */
  char buf[64];
  snprintf(buf, sizeof buf, "%.8f", v);
  return json_string(buf);
}

static void jset(json_t *o, const char *k, json_t *v) {
  json_object_set_new(o, k, v);
}

static void respond_json(vd_response *r, int status, json_t *j) {
  r->status = status;
  if (!j) {
    r->status = 500;
    r->body = strdup(
        "{\"code\":-1000,\"msg\":\"An unknown error occured while processing the request.\"}");
  } else {
    r->body = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
  }
  r->body_len = r->body ? strlen(r->body) : 0;
}

static void respond_err(vd_response *r, int status, int code, const char *fmt, ...) CQ_PRINTF(4, 5);
static void respond_err(vd_response *r, int status, int code, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *j = json_object();
  if (j) {
    jset(j, "code", json_integer(code));
    jset(j, "msg", json_string(msg));
  }
  free(r->body);
  r->body = NULL;
  respond_json(r, status, j);
}

static void add_header(vd_response *r, const char *fmt, ...) CQ_PRINTF(2, 3);
static void add_header(vd_response *r, const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof line - 2) return;
  size_t old = r->headers ? strlen(r->headers) : 0;
  char *p = realloc(r->headers, old + (size_t)n + 3);
  if (!p) return;
  memcpy(p + old, line, (size_t)n);
  memcpy(p + old + n, "\r\n", 3);
  r->headers = p;
}

/* ---- parameters ------------------------------------------------------------------------- */

typedef struct req_ctx {
  vd_binance *b;
  const vd_request *req;
  vd_response *resp;
  int64_t now;
  int account;
} req_ctx;

static const char *param(const req_ctx *c, const char *key, char *buf, size_t n) {
  const char *v = cq_query_get(c->req->query, key, buf, n);
  if (!v && c->req->body) v = cq_query_get(c->req->body, key, buf, n);
  return v && *v ? v : NULL;
}

static int missing(req_ctx *c, const char *key) {
  respond_err(c->resp, 400, -1102,
              "Mandatory parameter '%s' was not sent, was empty/null, or malformed.", key);
  return -1;
}

static int illegal(req_ctx *c, const char *key) {
  respond_err(c->resp, 400, -1100,
              "Illegal characters found in parameter '%s'; legal range is '%s'.", key,
              "^[0-9]{1,20}$");
  return -1;
}

/* An integer parameter: 0 absent (*out = dflt), 1 present, -1 answered with an error. */
static int int_param(req_ctx *c, const char *key, int64_t dflt, int64_t *out) {
  char buf[64];
  *out = dflt;
  if (!param(c, key, buf, sizeof buf)) return 0;
  char *end = NULL;
  long long v = strtoll(buf, &end, 10);
  if (*end || buf[0] == '+' || (buf[0] == '-' && strcmp(key, "fromId") != 0))
    return illegal(c, key);
  *out = v;
  return 1;
}

static int dec_param(req_ctx *c, const char *key, cq_dec *out, bool required) {
  char buf[64];
  *out = CQ_DEC(0, 0);
  if (!param(c, key, buf, sizeof buf)) return required ? missing(c, key) : 0;
  for (const char *p = buf; *p; p++)
    if (!((*p >= '0' && *p <= '9') || *p == '.')) {
      respond_err(c->resp, 400, -1100,
                  "Illegal characters found in parameter '%s'; legal range is "
                  "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
                  key);
      return -1;
    }
  if (cq_dec_parse_cstr(buf, out, NULL)) {
    respond_err(c->resp, 400, -1100,
                "Illegal characters found in parameter '%s'; legal range is "
                "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
                key);
    return -1;
  }
  return 1;
}

static int symbol_param(req_ctx *c, bool required, int *sym) {
  char buf[64];
  *sym = -1;
  if (!param(c, "symbol", buf, sizeof buf)) return required ? missing(c, "symbol") : 0;
  for (const char *p = buf; *p; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
          *p == '.')) {
      respond_err(c->resp, 400, -1100,
                  "Illegal characters found in parameter 'symbol'; legal range is "
                  "'^[A-Z0-9-_.]{1,20}$'.");
      return -1;
    }
  int s = -1;
  for (size_t i = 0; i < c->b->mkt->nsyms; i++)
    if (!strcmp(c->b->mkt->syms[i].ins.native, buf)) s = (int)i;
  if (s < 0) {
    respond_err(c->resp, 400, -1121, "Invalid symbol.");
    return -1;
  }
  *sym = s;
  return 1;
}

/* symbols=["BTCUSDT","ETHUSDT"]: 0 absent, 1 the symbols marked in sel, -1 answered. */
static int symbols_param(req_ctx *c, bool sel[VSIM_MAX_SYMBOLS]) {
  char buf[1024];
  memset(sel, 0, VSIM_MAX_SYMBOLS * sizeof sel[0]);
  if (!param(c, "symbols", buf, sizeof buf)) return 0;
  json_error_t je;
  json_t *a = json_loads(buf, 0, &je);
  int rc = 1;
  if (!json_is_array(a) || json_array_size(a) == 0) {
    respond_err(c->resp, 400, -1100,
                "Illegal characters found in parameter 'symbols'; legal range is "
                "'^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.");
    rc = -1;
  }
  size_t i;
  json_t *v;
  json_array_foreach(rc > 0 ? a : NULL, i, v) {
    const char *name = json_string_value(v);
    int k = -1;
    for (size_t j = 0; name && j < c->b->mkt->nsyms; j++)
      if (!strcmp(c->b->mkt->syms[j].ins.native, name)) k = (int)j;
    if (k < 0) {
      respond_err(c->resp, 400, -1121, "Invalid symbol.");
      rc = -1;
      break;
    }
    sel[k] = true;
  }
  json_decref(a);
  return rc;
}

/* ---- rate limits ------------------------------------------------------------------------- */

int vd_binance_init(vd_binance *b, vm_market *mkt, vx_exchange *ex, vf_state *faults,
                    const cq_vsim_options *o, cq_vsim_counters *counters, cq_error *err) {
  memset(b, 0, sizeof *b);
  b->mkt = mkt;
  b->ex = ex;
  b->faults = faults;
  b->counters = counters;
  b->lim.weight_limit = o->weight_limit > 0 ? o->weight_limit : 6000;
  b->lim.orders_10s = o->orders_10s > 0 ? o->orders_10s : 100;
  b->lim.orders_day = o->orders_day > 0 ? o->orders_day : 200000;
  b->lim.ban_ms = o->ban_ms > 0 ? o->ban_ms : 120000;
  if (pthread_mutex_init(&b->lim.mu, NULL))
    return cq_error_set(err, CQ_EINTERNAL, "binance dialect: no mutex");
  if (pthread_mutex_init(&b->lk_mu, NULL)) {
    pthread_mutex_destroy(&b->lim.mu);
    return cq_error_set(err, CQ_EINTERNAL, "binance dialect: no mutex");
  }
  return CQ_OK;
}

void vd_binance_release(vd_binance *b) {
  pthread_mutex_destroy(&b->lim.mu);
  pthread_mutex_destroy(&b->lk_mu);
}

/* Counts weight (and an order); false when the request is refused (answered). */
static bool limits_pass(req_ctx *c, int weight, bool order) {
  vd_limits *l = &c->b->lim;
  bool ok = true;
  pthread_mutex_lock(&l->mu);
  int64_t minute = c->now / 60000;
  if (minute != l->minute) {
    l->minute = minute;
    l->used = 0;
    l->limited = false;
  }
  if (l->ban_until_ms > c->now) {
    int64_t wait = l->ban_until_ms - c->now;
    add_header(c->resp, "Retry-After: %" PRId64, (wait + 999) / 1000);
    respond_err(c->resp, 418, -1003,
                "Way too much request weight used; IP banned until %" PRId64
                ". Please use WebSocket Streams for live updates to avoid bans.",
                l->ban_until_ms);
    if (c->b->counters) c->b->counters->banned++;
    ok = false;
    goto done;
  }
  l->used += weight;
  if (l->used > l->weight_limit) {
    if (l->limited) { /* still sending after a 429 */
      l->ban_until_ms = c->now + l->ban_ms;
      add_header(c->resp, "Retry-After: %d", (l->ban_ms + 999) / 1000);
      respond_err(c->resp, 418, -1003,
                  "Way too much request weight used; IP banned until %" PRId64
                  ". Please use WebSocket Streams for live updates to avoid bans.",
                  l->ban_until_ms);
      if (c->b->counters) c->b->counters->banned++;
    } else {
      l->limited = true;
      int64_t wait = (minute + 1) * 60000 - c->now;
      add_header(c->resp, "Retry-After: %" PRId64, (wait + 999) / 1000);
      respond_err(c->resp, 429, -1003,
                  "Too much request weight used; current limit is %d request weight per 1 "
                  "MINUTE. Please use WebSocket Streams for live updates to avoid polling the "
                  "API.",
                  l->weight_limit);
      if (c->b->counters) c->b->counters->rate_limited++;
    }
    ok = false;
    goto done;
  }
  if (order) {
    if (c->now / 10000 != l->sec10) {
      l->sec10 = c->now / 10000;
      l->orders_used_10s = 0;
    }
    if (c->now / 86400000 != l->day) {
      l->day = c->now / 86400000;
      l->orders_used_day = 0;
    }
    l->orders_used_10s++;
    l->orders_used_day++;
    if (l->orders_used_10s > l->orders_10s || l->orders_used_day > l->orders_day) {
      bool ten = l->orders_used_10s > l->orders_10s;
      int64_t wait = ten ? (l->sec10 + 1) * 10000 - c->now : (l->day + 1) * 86400000 - c->now;
      add_header(c->resp, "Retry-After: %" PRId64, (wait + 999) / 1000);
      respond_err(c->resp, 429, -1015, "Too many new orders; current limit is %d orders per %s.",
                  ten ? l->orders_10s : l->orders_day, ten ? "10 SECOND" : "DAY");
      if (c->b->counters) c->b->counters->rate_limited++;
      ok = false;
    }
    add_header(c->resp, "X-MBX-ORDER-COUNT-10S: %d", l->orders_used_10s);
    add_header(c->resp, "X-MBX-ORDER-COUNT-1D: %d", l->orders_used_day);
  }
done:
  add_header(c->resp, "X-MBX-USED-WEIGHT-1M: %d", l->used);
  pthread_mutex_unlock(&l->mu);
  return ok;
}

/* ---- authentication ---------------------------------------------------------------------- */

/* The signed text: query then body, each without its signature parameter. */
static size_t strip_sig(const char *s, char *out, size_t n, char *sig, size_t sn) {
  size_t o = 0;
  const char *p = s;
  bool first = true;
  while (p && *p) {
    const char *amp = strchr(p, '&');
    size_t len = amp ? (size_t)(amp - p) : strlen(p);
    if (len >= 10 && !strncmp(p, "signature=", 10)) {
      size_t k = len - 10 < sn - 1 ? len - 10 : sn - 1;
      memcpy(sig, p + 10, k);
      sig[k] = 0;
    } else {
      if (!first && o + 1 < n) out[o++] = '&';
      size_t k = o + len < n ? len : (n > o ? n - o - 1 : 0);
      memcpy(out + o, p, k);
      o += k;
      first = false;
    }
    p = amp ? amp + 1 : NULL;
  }
  if (n) out[o < n ? o : n - 1] = 0;
  return o;
}

/* 0 (account set) or -1 answered. level 1: API key; 2: signed. */
static int authenticate(req_ctx *c, int level) {
  const char *key = c->req->api_key;
  if (!key || !*key) {
    respond_err(c->resp, 401, -2014, "API-key format invalid.");
    return -1;
  }
  int acc = vx_account_by_key(c->b->ex, key);
  if (acc < 0) {
    respond_err(c->resp, 401, -2015, "Invalid API-key, IP, or permissions for action.");
    return -1;
  }
  c->account = acc;
  if (level < 2) return 0;
  int64_t ts, rw;
  int r = int_param(c, "timestamp", 0, &ts);
  if (r < 0) return -1;
  if (r == 0) return missing(c, "timestamp");
  if (int_param(c, "recvWindow", 5000, &rw) < 0) return -1;
  if (rw <= 0 || rw > RECV_WINDOW_MAX) {
    respond_err(c->resp, 400, -1131, "recvWindow must be less than %d.", RECV_WINDOW_MAX);
    return -1;
  }
  /* the signature over query + body */
  size_t ql = strlen(c->req->query ? c->req->query : ""),
         bl = strlen(c->req->body ? c->req->body : "");
  char *text = malloc(ql + bl + 2);
  if (!text) {
    respond_err(c->resp, 500, -1000, "An unknown error occured while processing the request.");
    return -1;
  }
  char sig[80] = "";
  size_t o = strip_sig(c->req->query, text, ql + 1, sig, sizeof sig);
  o += strip_sig(c->req->body, text + o, bl + 1, sig, sizeof sig);
  text[o] = 0;
  if (!sig[0]) {
    free(text);
    return missing(c, "signature");
  }
  char want[65];
  vd_hmac_hex(c->b->ex->acc[acc].secret, text, o, want);
  free(text);
  for (char *p = sig; *p; p++)
    if (*p >= 'A' && *p <= 'F') *p = (char)(*p - 'A' + 'a');
  /* compared in time independent of where they differ, as a venue does */
  unsigned diff = strlen(sig) != strlen(want);
  for (size_t i = 0; sig[i] && want[i]; i++) diff |= (unsigned)(sig[i] ^ want[i]);
  if (diff) {
    respond_err(c->resp, 400, -1022, "Signature for this request is not valid.");
    return -1;
  }
  if (ts > c->now + 1000) {
    respond_err(c->resp, 400, -1021,
                "Timestamp for this request was 1000ms ahead of the server's time.");
    return -1;
  }
  if (c->now - ts > rw) {
    respond_err(c->resp, 400, -1021, "Timestamp for this request is outside of the recvWindow.");
    return -1;
  }
  return 0;
}

/* ---- market data -------------------------------------------------------------------------- */

static void h_ping(req_ctx *c) {
  respond_json(c->resp, 200, json_object());
}

static void h_time(req_ctx *c) {
  json_t *j = json_object();
  if (j) jset(j, "serverTime", json_integer(c->now));
  respond_json(c->resp, 200, j);
}

static json_t *filter(const char *type) {
  json_t *f = json_object();
  if (f) jset(f, "filterType", json_string(type));
  return f;
}

static json_t *symbol_info(const vm_symbol *y) {
  const cq_instrument *i = &y->ins;
  json_t *s = json_object(), *types = json_array(), *filters = json_array(), *perm = json_array();
  if (!s || !types || !filters || !perm) {
    json_decref(s);
    json_decref(types);
    json_decref(filters);
    json_decref(perm);
    return NULL;
  }
  jset(s, "symbol", json_string(i->native));
  jset(s, "status", json_string("TRADING"));
  jset(s, "baseAsset", json_string(i->base));
  jset(s, "baseAssetPrecision", json_integer(8));
  jset(s, "quoteAsset", json_string(i->quote));
  jset(s, "quotePrecision", json_integer(8));
  jset(s, "quoteAssetPrecision", json_integer(8));
  jset(s, "baseCommissionPrecision", json_integer(8));
  jset(s, "quoteCommissionPrecision", json_integer(8));
  static const char *const ot[] = {"LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS",
                                   "STOP_LOSS_LIMIT"};
  for (size_t k = 0; k < sizeof ot / sizeof ot[0]; k++)
    json_array_append_new(types, json_string(ot[k]));
  jset(s, "orderTypes", types);
  jset(s, "icebergAllowed", json_false());
  jset(s, "ocoAllowed", json_false());
  jset(s, "otoAllowed", json_false());
  jset(s, "quoteOrderQtyMarketAllowed", json_true());
  jset(s, "allowTrailingStop", json_false());
  jset(s, "cancelReplaceAllowed", json_false());
  jset(s, "amendAllowed", json_false());
  jset(s, "isSpotTradingAllowed", json_true());
  jset(s, "isMarginTradingAllowed", json_false());
  json_t *f = filter("PRICE_FILTER");
  if (f) {
    jset(f, "minPrice", jfix(i->tick));
    jset(f, "maxPrice", jfix(CQ_DEC(1000000, 0)));
    jset(f, "tickSize", jfix(i->tick));
    json_array_append_new(filters, f);
  }
  f = filter("LOT_SIZE");
  if (f) {
    jset(f, "minQty", jfix(i->min_qty));
    jset(f, "maxQty", jfix(CQ_DEC(9000, 0)));
    jset(f, "stepSize", jfix(i->lot));
    json_array_append_new(filters, f);
  }
  f = filter("NOTIONAL");
  if (f) {
    jset(f, "minNotional", jfix(i->min_notional));
    jset(f, "applyMinToMarket", json_true());
    jset(f, "maxNotional", jfix(CQ_DEC(9000000, 0)));
    jset(f, "applyMaxToMarket", json_false());
    jset(f, "avgPriceMins", json_integer(5));
    json_array_append_new(filters, f);
  }
  f = filter("MARKET_LOT_SIZE");
  if (f) {
    jset(f, "minQty", jfix(CQ_DEC(0, 8)));
    jset(f, "maxQty", jfix(CQ_DEC(100, 0)));
    jset(f, "stepSize", jfix(CQ_DEC(0, 8)));
    json_array_append_new(filters, f);
  }
  jset(s, "filters", filters);
  json_array_append_new(perm, json_string("SPOT"));
  jset(s, "permissions", json_array());
  json_t *sets = json_array();
  if (sets)
    json_array_append_new(sets, perm);
  else
    json_decref(perm);
  jset(s, "permissionSets", sets);
  jset(s, "defaultSelfTradePreventionMode", json_string("NONE"));
  json_t *stp = json_array();
  if (stp) json_array_append_new(stp, json_string("NONE"));
  jset(s, "allowedSelfTradePreventionModes", stp);
  return s;
}

static json_t *rate_limit(const char *type, const char *interval, int num, int limit) {
  json_t *r = json_object();
  if (!r) return NULL;
  jset(r, "rateLimitType", json_string(type));
  jset(r, "interval", json_string(interval));
  jset(r, "intervalNum", json_integer(num));
  jset(r, "limit", json_integer(limit));
  return r;
}

static void h_exchange_info(req_ctx *c) {
  int only;
  bool sel[VSIM_MAX_SYMBOLS];
  if (symbol_param(c, false, &only) < 0) return;
  int hs = symbols_param(c, sel);
  if (hs < 0) return;
  json_t *j = json_object(), *lims = json_array(), *syms = json_array();
  if (!j || !lims || !syms) {
    json_decref(lims);
    json_decref(syms);
    json_decref(j);
    respond_json(c->resp, 500, NULL);
    return;
  }
  jset(j, "timezone", json_string("UTC"));
  jset(j, "serverTime", json_integer(c->now));
  json_array_append_new(lims, rate_limit("REQUEST_WEIGHT", "MINUTE", 1, c->b->lim.weight_limit));
  json_array_append_new(lims, rate_limit("ORDERS", "SECOND", 10, c->b->lim.orders_10s));
  json_array_append_new(lims, rate_limit("ORDERS", "DAY", 1, c->b->lim.orders_day));
  json_array_append_new(lims, rate_limit("RAW_REQUESTS", "MINUTE", 5, 61000));
  jset(j, "rateLimits", lims);
  jset(j, "exchangeFilters", json_array());
  for (size_t i = 0; i < c->b->mkt->nsyms; i++)
    if ((hs ? sel[i] : only < 0) || (int)i == only)
      json_array_append_new(syms, symbol_info(&c->b->mkt->syms[i]));
  jset(j, "symbols", syms);
  respond_json(c->resp, 200, j);
}

static json_t *kline_row(const vm_symbol *y, const cq_candle *k, const vm_kx *x, int64_t len) {
  json_t *r = json_array();
  if (!r) return NULL;
  vd_ktext t;
  vd_kline_text(y, k, x, true, &t);
  int64_t open = k->open_time / CQ_NS_PER_MS;
  json_array_append_new(r, json_integer(open));
  json_array_append_new(r, json_string(t.open));
  json_array_append_new(r, json_string(t.high));
  json_array_append_new(r, json_string(t.low));
  json_array_append_new(r, json_string(t.close));
  json_array_append_new(r, json_string(t.vol));
  json_array_append_new(r, json_integer(open + len - 1));
  json_array_append_new(r, json_string(t.quote));
  json_array_append_new(r, json_integer(k->trades));
  json_array_append_new(r, json_string(t.buy_vol));
  json_array_append_new(r, json_string(t.buy_quote));
  json_array_append_new(r, json_string("0"));
  return r;
}

static void h_klines(req_ctx *c) {
  int s;
  if (symbol_param(c, true, &s) < 0) return;
  char iv[16];
  if (!param(c, "interval", iv, sizeof iv)) {
    missing(c, "interval");
    return;
  }
  int64_t len = vd_interval_ms(iv);
  if (!len) {
    respond_err(c->resp, 400, -1120, "Invalid interval.");
    return;
  }
  int64_t start, end, limit;
  int hs = int_param(c, "startTime", 0, &start);
  if (hs < 0) return;
  int he = int_param(c, "endTime", 0, &end);
  if (he < 0) return;
  if (int_param(c, "limit", 500, &limit) < 0) return;
  if (limit <= 0) limit = 500;
  if (limit > KLINE_MAX) limit = KLINE_MAX;
  if (he && hs && end < start) {
    respond_err(c->resp, 400, -1023, "Start time is greater than end time.");
    return;
  }
  int64_t last_open = vd_interval_floor(c->now, len); /* the forming candle */
  if (he && end < c->now) last_open = vd_interval_floor(end, len);
  int64_t floor_open = vd_interval_floor(VM_EPOCH_MS, len); /* the symbol's listing */
  const vm_symbol *y = &c->b->mkt->syms[s];
  json_t *arr = json_array();
  if (!arr) {
    respond_json(c->resp, 500, NULL);
    return;
  }
  cq_candle *k = malloc((size_t)limit * sizeof *k);
  vm_kx *x = malloc((size_t)limit * sizeof *x);
  if (!k || !x) {
    free(k);
    free(x);
    json_decref(arr);
    respond_json(c->resp, 500, NULL);
    return;
  }
  int64_t n = 0;
  if (hs) { /* forward from the start */
    int64_t first = vd_interval_floor(start, len);
    if (first < start) first += len;
    if (first < floor_open) first = floor_open;
    for (int64_t t = first; t <= last_open && n < limit; t += len)
      if (vm_candle_x(c->b->mkt, s, t, len, c->now, &k[n], &x[n])) n++; /* else: a gap */
  } else { /* the last `limit` up to the end, whatever gaps lie between */
    for (int64_t t = last_open; t >= floor_open && n < limit; t -= len)
      if (vm_candle_x(c->b->mkt, s, t, len, c->now, &k[n], &x[n])) n++;
    for (int64_t i = 0; i < n / 2; i++) {
      cq_candle tmp = k[i];
      k[i] = k[n - 1 - i];
      k[n - 1 - i] = tmp;
      vm_kx tx = x[i];
      x[i] = x[n - 1 - i];
      x[n - 1 - i] = tx;
    }
  }
  for (int64_t i = 0; i < n; i++) json_array_append_new(arr, kline_row(y, &k[i], &x[i], len));
  free(k);
  free(x);
  respond_json(c->resp, 200, arr);
}

static json_t *trade_obj(const vm_symbol *y, const vm_trade *t, bool agg) {
  json_t *o = json_object();
  if (!o) return NULL;
  if (agg) {
    jset(o, "a", json_integer(t->id));
    jset(o, "p", vd_jtrade(y, t, VD_TRADE_PRICE, true));
    jset(o, "q", vd_jtrade(y, t, VD_TRADE_QTY, true));
    jset(o, "f", json_integer(t->id));
    jset(o, "l", json_integer(t->id));
    jset(o, "T", json_integer(t->time_ms));
    jset(o, "m", json_boolean(t->buyer_maker));
    jset(o, "M", json_true());
  } else {
    jset(o, "id", json_integer(t->id));
    jset(o, "price", vd_jtrade(y, t, VD_TRADE_PRICE, true));
    jset(o, "qty", vd_jtrade(y, t, VD_TRADE_QTY, true));
    jset(o, "quoteQty", vd_jtrade(y, t, VD_TRADE_QUOTE, true));
    jset(o, "time", json_integer(t->time_ms));
    jset(o, "isBuyerMaker", json_boolean(t->buyer_maker));
    jset(o, "isBestMatch", json_true());
  }
  return o;
}

static void trades_answer(req_ctx *c, int s, const vm_trade *t, size_t n, bool agg) {
  json_t *arr = json_array();
  if (arr)
    for (size_t i = 0; i < n; i++)
      json_array_append_new(arr, trade_obj(&c->b->mkt->syms[s], &t[i], agg));
  respond_json(c->resp, 200, arr);
}

static void h_trades_common(req_ctx *c, bool historical, bool agg) {
  int s;
  if (symbol_param(c, true, &s) < 0) return;
  int64_t limit, from_id, start, end;
  if (int_param(c, "limit", 500, &limit) < 0) return;
  if (limit <= 0) limit = 500;
  if (limit > TRADES_MAX) limit = TRADES_MAX;
  int hf = int_param(c, "fromId", -1, &from_id);
  if (hf < 0) return;
  int hs = 0, he = 0;
  if (agg) {
    if ((hs = int_param(c, "startTime", 0, &start)) < 0) return;
    if ((he = int_param(c, "endTime", 0, &end)) < 0) return;
  }
  vm_trade *t = malloc((size_t)limit * sizeof *t);
  if (!t) {
    respond_json(c->resp, 500, NULL);
    return;
  }
  size_t n;
  if (agg && (hs || he)) {
    if (!hs) start = end - 3600000;
    if (!he) end = start + 3600000;
    if (end - start > 3600000 || end < start) {
      free(t);
      respond_err(c->resp, 400, -1127, "More than 1 hours between startTime and endTime.");
      return;
    }
    if (end > c->now) end = c->now;
    n = vm_trades_range(c->b->mkt, s, start, end + 1, t, (size_t)limit);
  } else if ((historical || agg) && hf) {
    n = vm_trades_from_id(c->b->mkt, s, from_id, c->now, t, (size_t)limit);
  } else {
    n = vm_trades_recent(c->b->mkt, s, c->now, t, (size_t)limit);
  }
  trades_answer(c, s, t, n, agg);
  free(t);
}

static void h_trades(req_ctx *c) {
  h_trades_common(c, false, false);
}
static void h_hist_trades(req_ctx *c) {
  h_trades_common(c, true, false);
}
static void h_agg_trades(req_ctx *c) {
  h_trades_common(c, false, true);
}

static json_t *levels(const vm_symbol *y, const vm_level *lv, size_t n) {
  json_t *a = json_array();
  if (!a) return NULL;
  for (size_t i = 0; i < n; i++) {
    json_t *row = json_array();
    if (!row) break;
    json_array_append_new(row, jstep(lv[i].price, y->ins.tick));
    json_array_append_new(row, jstep(lv[i].qty, y->ins.lot));
    json_array_append_new(a, row);
  }
  return a;
}

/* The book a client sees: synthetic liquidity plus the users' resting orders. */
static void full_book(vd_binance *b, int s, int64_t step, vm_level *bids, vm_level *asks,
                      size_t n) {
  vm_book(b->mkt, s, step, bids, asks, n);
  vx_add_resting(b->ex, s, bids, asks, n);
}

static int depth_limit(int64_t limit) {
  return limit > VM_BOOK_LEVELS ? VM_BOOK_LEVELS : (int)limit;
}

static void h_depth(req_ctx *c) {
  int s;
  if (symbol_param(c, true, &s) < 0) return;
  int64_t limit;
  if (int_param(c, "limit", 100, &limit) < 0) return;
  if (limit <= 0 || limit > 5000) {
    respond_err(c->resp, 400, -1100,
                "Illegal characters found in parameter 'limit'; legal range is '1..5000'.");
    return;
  }
  int n = depth_limit(limit);
  vm_level bids[VM_BOOK_LEVELS], asks[VM_BOOK_LEVELS];
  int64_t step = c->now / VM_BOOK_STEP_MS;
  full_book(c->b, s, step, bids, asks, (size_t)n);
  const vm_symbol *y = &c->b->mkt->syms[s];
  json_t *j = json_object();
  if (j) {
    jset(j, "lastUpdateId", json_integer(step));
    jset(j, "bids", levels(y, bids, (size_t)n));
    jset(j, "asks", levels(y, asks, (size_t)n));
  }
  respond_json(c->resp, 200, j);
}

static json_t *book_ticker(vd_binance *b, int s, int64_t now) {
  vm_level bid, ask;
  full_book(b, s, now / VM_BOOK_STEP_MS, &bid, &ask, 1);
  const vm_symbol *y = &b->mkt->syms[s];
  json_t *j = json_object();
  if (!j) return NULL;
  jset(j, "symbol", json_string(y->ins.native));
  jset(j, "bidPrice", jstep(bid.price, y->ins.tick));
  jset(j, "bidQty", jstep(bid.qty, y->ins.lot));
  jset(j, "askPrice", jstep(ask.price, y->ins.tick));
  jset(j, "askQty", jstep(ask.qty, y->ins.lot));
  return j;
}

/* An endpoint answering for one symbol (an object) or for several or all (an array), as
 * Binance's ticker endpoints do: `symbol`, `symbols` or neither. */
static void per_symbol(req_ctx *c, json_t *(*one)(vd_binance *b, int s, int64_t now)) {
  int s;
  bool sel[VSIM_MAX_SYMBOLS];
  int r = symbol_param(c, false, &s);
  if (r < 0) return;
  int hs = symbols_param(c, sel);
  if (hs < 0) return;
  if (r == 1) {
    respond_json(c->resp, 200, one(c->b, s, c->now));
    return;
  }
  json_t *a = json_array();
  if (a)
    for (size_t i = 0; i < c->b->mkt->nsyms; i++)
      if (!hs || sel[i]) json_array_append_new(a, one(c->b, (int)i, c->now));
  respond_json(c->resp, 200, a);
}

static void h_book_ticker(req_ctx *c) {
  per_symbol(c, book_ticker);
}

static json_t *ticker24(vd_binance *b, int s, int64_t now) {
  const vm_symbol *y = &b->mkt->syms[s];
  int64_t from = now - 86400000;
  cq_candle k;
  if (!vm_candle(b->mkt, s, from, 86400000, now, &k)) memset(&k, 0, sizeof k);
  vm_level bid, ask;
  full_book(b, s, now / VM_BOOK_STEP_MS, &bid, &ask, 1);
  vm_trade last[1], first[1];
  size_t nl = vm_trades_recent(b->mkt, s, now, last, 1);
  size_t nf = vm_trades_after(b->mkt, s, from, now, -1, first, 1);
  int64_t first_id = nf ? first[0].id : -1, last_id = nl && nf ? last[0].id : -1;
  json_t *j = json_object();
  if (!j) return NULL;
  char pct[32];
  snprintf(pct, sizeof pct, "%.3f", k.open > 0 ? (k.close - k.open) / k.open * 100.0 : 0.0);
  jset(j, "symbol", json_string(y->ins.native));
  jset(j, "priceChange", jstep(k.close - k.open, y->ins.tick));
  jset(j, "priceChangePercent", json_string(pct));
  jset(j, "weightedAvgPrice", jmoney(k.volume > 0 ? k.quote_volume / k.volume : 0));
  jset(j, "prevClosePrice", jstep(k.open, y->ins.tick));
  jset(j, "lastPrice", jstep(nl ? last[0].price : k.close, y->ins.tick));
  jset(j, "lastQty", jstep(nl ? last[0].qty : 0, y->ins.lot));
  jset(j, "bidPrice", jstep(bid.price, y->ins.tick));
  jset(j, "bidQty", jstep(bid.qty, y->ins.lot));
  jset(j, "askPrice", jstep(ask.price, y->ins.tick));
  jset(j, "askQty", jstep(ask.qty, y->ins.lot));
  jset(j, "openPrice", jstep(k.open, y->ins.tick));
  jset(j, "highPrice", jstep(k.high, y->ins.tick));
  jset(j, "lowPrice", jstep(k.low, y->ins.tick));
  jset(j, "volume", jstep(k.volume, y->ins.lot));
  jset(j, "quoteVolume", jmoney(k.quote_volume));
  jset(j, "openTime", json_integer(from));
  jset(j, "closeTime", json_integer(now));
  jset(j, "firstId", json_integer(first_id));
  jset(j, "lastId", json_integer(last_id));
  jset(j, "count", json_integer(nf ? k.trades : 0)); /* ids are not contiguous here */
  return j;
}

static char *dump(json_t *j);

/* The 24hrTicker stream event: the REST ticker's fields under the stream's names. */
char *vd_binance_ticker_msg(vd_binance *b, int s, int64_t now) {
  static const char *const names[][2] = {{"priceChange", "p"},      {"priceChangePercent", "P"},
                                         {"weightedAvgPrice", "w"}, {"prevClosePrice", "x"},
                                         {"lastPrice", "c"},        {"lastQty", "Q"},
                                         {"bidPrice", "b"},         {"bidQty", "B"},
                                         {"askPrice", "a"},         {"askQty", "A"},
                                         {"openPrice", "o"},        {"highPrice", "h"},
                                         {"lowPrice", "l"},         {"volume", "v"},
                                         {"quoteVolume", "q"},      {"openTime", "O"},
                                         {"closeTime", "C"},        {"firstId", "F"},
                                         {"lastId", "L"},           {"count", "n"}};
  json_t *t = ticker24(b, s, now), *j = json_object();
  if (!t || !j) {
    json_decref(t);
    json_decref(j);
    return NULL;
  }
  jset(j, "e", json_string("24hrTicker"));
  jset(j, "E", json_integer(now));
  jset(j, "s", json_incref(json_object_get(t, "symbol")));
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    jset(j, names[i][1], json_incref(json_object_get(t, names[i][0])));
  json_decref(t);
  return dump(j);
}

static void h_ticker24(req_ctx *c) {
  per_symbol(c, ticker24);
}

static json_t *ticker_price(vd_binance *b, int s, int64_t now) {
  const vm_symbol *y = &b->mkt->syms[s];
  vm_trade last[1];
  size_t n = vm_trades_recent(b->mkt, s, now, last, 1);
  json_t *j = json_object();
  if (!j) return NULL;
  jset(j, "symbol", json_string(y->ins.native));
  jset(j, "price", jstep(n ? last[0].price : vm_price(b->mkt, s, now), y->ins.tick));
  return j;
}

static void h_ticker_price(req_ctx *c) {
  per_symbol(c, ticker_price);
}

/* The mean price of the last five minutes: the mean close of their 1m candles. */
static void h_avg_price(req_ctx *c) {
  int s;
  if (symbol_param(c, true, &s) < 0) return;
  double sum = 0;
  int n = 0;
  int64_t last = vd_interval_floor(c->now, 60000);
  for (int64_t t = last - INT64_C(240000); t <= last; t += 60000) {
    cq_candle k;
    if (vm_candle(c->b->mkt, s, t, 60000, c->now, &k)) {
      sum += k.close;
      n++;
    }
  }
  json_t *j = json_object();
  if (j) {
    jset(j, "mins", json_integer(5));
    jset(j, "price", jmoney(n ? sum / n : 0.0));
    jset(j, "closeTime", json_integer(c->now));
  }
  respond_json(c->resp, 200, j);
}

/* ---- orders -------------------------------------------------------------------------------- */

static const char *type_name(const vx_order *o) {
  switch (o->type) {
    case CQ_ORDER_MARKET:
      return "MARKET";
    case CQ_ORDER_LIMIT:
      return o->tif == CQ_TIF_POST_ONLY ? "LIMIT_MAKER" : "LIMIT";
    case CQ_ORDER_STOP:
      return "STOP_LOSS";
    case CQ_ORDER_STOP_LIMIT:
      return "STOP_LOSS_LIMIT";
    default:
      return "LIMIT";
  }
}

static const char *tif_name(cq_tif t) {
  return t == CQ_TIF_IOC ? "IOC" : t == CQ_TIF_FOK ? "FOK" : "GTC";
}

static const char *status_name(cq_order_state s) {
  switch (s) {
    case CQ_OS_PARTIAL:
      return "PARTIALLY_FILLED";
    case CQ_OS_FILLED:
      return "FILLED";
    case CQ_OS_CANCELLED:
      return "CANCELED";
    case CQ_OS_REJECTED:
      return "REJECTED";
    case CQ_OS_EXPIRED:
      return "EXPIRED";
    default:
      return "NEW";
  }
}

static const char *side_name(cq_side s) {
  return s == CQ_SIDE_SELL ? "SELL" : "BUY";
}

/* The order's common fields; what = 0 query shape, 1 new-order RESULT, 2 cancel. */
static json_t *order_obj(vd_binance *b, const vx_order *o, int what, const char *new_cid,
                         int64_t now) {
  json_t *j = json_object();
  if (!j) return NULL;
  jset(j, "symbol", json_string(b->mkt->syms[o->sym].ins.native));
  if (what == 2) jset(j, "origClientOrderId", json_string(o->client_id));
  jset(j, "orderId", json_integer(o->id));
  jset(j, "orderListId", json_integer(-1));
  jset(j, "clientOrderId", json_string(what == 2 ? new_cid : o->client_id));
  if (what != 0) jset(j, "transactTime", json_integer(what == 2 ? now : o->time_ms));
  jset(j, "price", jfix(o->price));
  jset(j, "origQty", jfix(o->qty));
  jset(j, "executedQty", jfix(o->filled));
  if (what != 0) jset(j, "origQuoteOrderQty", jfix(CQ_DEC(0, 8)));
  jset(j, "cummulativeQuoteQty", jfix(o->quote));
  jset(j, "status", json_string(status_name(o->state)));
  jset(j, "timeInForce", json_string(tif_name(o->tif)));
  jset(j, "type", json_string(type_name(o)));
  jset(j, "side", json_string(side_name(o->side)));
  if (what == 0) {
    jset(j, "stopPrice", jfix(o->stop));
    jset(j, "icebergQty", jfix(CQ_DEC(0, 8)));
    jset(j, "time", json_integer(o->time_ms));
    jset(j, "updateTime", json_integer(o->update_ms));
    jset(j, "isWorking", json_boolean(o->working || o->state == CQ_OS_FILLED));
    jset(j, "workingTime", json_integer(o->working_ms ? o->working_ms : -1));
    jset(j, "origQuoteOrderQty", jfix(CQ_DEC(0, 8)));
  } else if (what == 1) {
    if (o->type == CQ_ORDER_STOP || o->type == CQ_ORDER_STOP_LIMIT)
      jset(j, "stopPrice", jfix(o->stop));
    jset(j, "workingTime", json_integer(o->working_ms ? o->working_ms : -1));
  }
  jset(j, "selfTradePreventionMode", json_string("NONE"));
  return j;
}

static bool valid_cid(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 36) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '-' || *s == '_'))
      return false;
  return true;
}

static int cid_param(req_ctx *c, const char *key, char *buf, size_t n) {
  if (!param(c, key, buf, n)) {
    buf[0] = 0;
    return 0;
  }
  if (!valid_cid(buf)) {
    respond_err(c->resp, 400, -1100,
                "Illegal characters found in parameter '%s'; legal range is "
                "'^[a-zA-Z0-9-_]{1,36}$'.",
                key);
    return -1;
  }
  return 1;
}

static void reject(req_ctx *c, const vx_result *r) {
  switch (r->why) {
    case VX_BAD_SYMBOL:
      respond_err(c->resp, 400, -1121, "Invalid symbol.");
      break;
    case VX_FILTER:
      respond_err(c->resp, 400, -1013, "%s", r->msg);
      break;
    case VX_NO_ORDER:
      respond_err(c->resp, 400, -2013, "Order does not exist.");
      break;
    default: /* insufficient balance, would take, duplicate, stop would trigger */
      respond_err(c->resp, 400, -2010, "%s", r->msg);
      break;
  }
}

static void new_order(req_ctx *c, bool dry) {
  vx_new_order r;
  memset(&r, 0, sizeof r);
  r.dry = dry;
  r.account = c->account;
  if (symbol_param(c, true, &r.sym) < 0) return;
  char side[16], type[24], tif[8], cid[64], rt[16];
  if (!param(c, "side", side, sizeof side)) {
    missing(c, "side");
    return;
  }
  if (!strcmp(side, "BUY"))
    r.side = CQ_SIDE_BUY;
  else if (!strcmp(side, "SELL"))
    r.side = CQ_SIDE_SELL;
  else {
    respond_err(c->resp, 400, -1117, "Invalid side.");
    return;
  }
  if (!param(c, "type", type, sizeof type)) {
    missing(c, "type");
    return;
  }
  bool need_tif = false, need_price = false, need_stop = false;
  if (!strcmp(type, "MARKET"))
    r.type = CQ_ORDER_MARKET;
  else if (!strcmp(type, "LIMIT")) {
    r.type = CQ_ORDER_LIMIT;
    need_tif = need_price = true;
  } else if (!strcmp(type, "LIMIT_MAKER")) {
    r.type = CQ_ORDER_LIMIT;
    r.tif = CQ_TIF_POST_ONLY;
    need_price = true;
  } else if (!strcmp(type, "STOP_LOSS")) {
    r.type = CQ_ORDER_STOP;
    need_stop = true;
  } else if (!strcmp(type, "STOP_LOSS_LIMIT")) {
    r.type = CQ_ORDER_STOP_LIMIT;
    need_tif = need_price = need_stop = true;
  } else {
    respond_err(c->resp, 400, -1116, "Invalid orderType.");
    return;
  }
  if (need_tif) {
    if (!param(c, "timeInForce", tif, sizeof tif)) {
      missing(c, "timeInForce");
      return;
    }
    if (!strcmp(tif, "GTC"))
      r.tif = CQ_TIF_GTC;
    else if (!strcmp(tif, "IOC"))
      r.tif = CQ_TIF_IOC;
    else if (!strcmp(tif, "FOK"))
      r.tif = CQ_TIF_FOK;
    else {
      respond_err(c->resp, 400, -1115, "Invalid timeInForce.");
      return;
    }
  }
  int hq = dec_param(c, "quantity", &r.qty, false);
  if (hq < 0) return;
  int hqq = r.type == CQ_ORDER_MARKET ? dec_param(c, "quoteOrderQty", &r.quote_qty, false) : 0;
  if (hqq < 0) return;
  if (!hq && !hqq) {
    missing(c, "quantity");
    return;
  }
  if (need_price && dec_param(c, "price", &r.price, true) <= 0) return;
  if (need_stop && dec_param(c, "stopPrice", &r.stop, true) <= 0) return;
  if (cid_param(c, "newClientOrderId", cid, sizeof cid) < 0) return;
  r.client_id = cid;
  int resp_type = r.type == CQ_ORDER_MARKET || r.type == CQ_ORDER_LIMIT ? 2 : 0;
  if (param(c, "newOrderRespType", rt, sizeof rt)) {
    if (!strcmp(rt, "ACK"))
      resp_type = 0;
    else if (!strcmp(rt, "RESULT"))
      resp_type = 1;
    else if (!strcmp(rt, "FULL"))
      resp_type = 2;
    else {
      respond_err(c->resp, 400, -1100,
                  "Illegal characters found in parameter 'newOrderRespType'; legal range is "
                  "'ACK, RESULT, FULL'.");
      return;
    }
  }
  vx_order o;
  vx_fill fills[64];
  size_t nf = 0;
  vx_result res;
  if (vx_place(c->b->ex, &r, c->now, &o, fills, 64, &nf, &res)) {
    if (c->b->counters && !dry) c->b->counters->orders_rejected++;
    reject(c, &res);
    return;
  }
  if (dry) {
    respond_json(c->resp, 200, json_object());
    return;
  }
  if (c->b->counters) c->b->counters->orders_created++;
  json_t *j;
  if (resp_type == 0) {
    j = json_object();
    if (j) {
      jset(j, "symbol", json_string(c->b->mkt->syms[o.sym].ins.native));
      jset(j, "orderId", json_integer(o.id));
      jset(j, "orderListId", json_integer(-1));
      jset(j, "clientOrderId", json_string(o.client_id));
      jset(j, "transactTime", json_integer(o.time_ms));
    }
  } else {
    j = order_obj(c->b, &o, 1, NULL, c->now);
    if (j && resp_type == 2) {
      json_t *fa = json_array();
      if (fa)
        for (size_t i = 0; i < nf; i++) {
          json_t *f = json_object();
          if (!f) break;
          jset(f, "price", jfix(fills[i].price));
          jset(f, "qty", jfix(fills[i].qty));
          jset(f, "commission", jfix(fills[i].fee));
          jset(f, "commissionAsset", json_string(fills[i].fee_asset));
          jset(f, "tradeId", json_integer(fills[i].trade_id));
          json_array_append_new(fa, f);
        }
      jset(j, "fills", fa);
    }
  }
  respond_json(c->resp, 200, j);
}

static void h_new_order(req_ctx *c) {
  new_order(c, false);
}
static void h_test_order(req_ctx *c) {
  new_order(c, true);
}

static void h_all_orders(req_ctx *c) {
  int s;
  if (symbol_param(c, true, &s) < 0) return;
  int64_t limit, from_id, start, end;
  if (int_param(c, "limit", 500, &limit) < 0) return;
  if (limit <= 0) limit = 500;
  if (limit > 1000) limit = 1000;
  if (int_param(c, "orderId", 0, &from_id) < 0) return;
  if (int_param(c, "startTime", 0, &start) < 0) return;
  if (int_param(c, "endTime", 0, &end) < 0) return;
  vx_order *v = NULL;
  size_t n = 0;
  if (vx_all_orders(c->b->ex, c->account, s, from_id, start, end, (size_t)limit, &v, &n, NULL)) {
    respond_json(c->resp, 500, NULL);
    return;
  }
  json_t *a = json_array();
  for (size_t i = 0; i < n && a; i++)
    json_array_append_new(a, order_obj(c->b, &v[i], 0, NULL, c->now));
  free(v);
  respond_json(c->resp, 200, a);
}

static json_t *order_limit(const char *interval, int num, int limit, int count) {
  json_t *r = rate_limit("ORDERS", interval, num, limit);
  if (r) json_object_set_new(r, "count", json_integer(count));
  return r;
}

static void h_rate_limit_order(req_ctx *c) {
  vd_limits *l = &c->b->lim;
  pthread_mutex_lock(&l->mu);
  int n10 = l->sec10 == c->now / 10000 ? l->orders_used_10s : 0;
  int nday = l->day == c->now / 86400000 ? l->orders_used_day : 0;
  pthread_mutex_unlock(&l->mu);
  json_t *a = json_array();
  if (a) {
    json_array_append_new(a, order_limit("SECOND", 10, l->orders_10s, n10));
    json_array_append_new(a, order_limit("DAY", 1, l->orders_day, nday));
  }
  respond_json(c->resp, 200, a);
}

/* orderId or origClientOrderId: 0 ok, -1 answered. */
static int order_ref(req_ctx *c, int64_t *id, char *cid, size_t n) {
  int hi = int_param(c, "orderId", 0, id);
  if (hi < 0) return -1;
  int hc = cid_param(c, "origClientOrderId", cid, n);
  if (hc < 0) return -1;
  if (!hi && !hc) {
    respond_err(c->resp, 400, -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
    return -1;
  }
  return 0;
}

static void h_query_order(req_ctx *c) {
  int s;
  if (symbol_param(c, true, &s) < 0) return;
  int64_t id;
  char cid[64];
  if (order_ref(c, &id, cid, sizeof cid) < 0) return;
  vx_order o;
  vx_result res;
  if (vx_query(c->b->ex, c->account, s, id, cid, &o, &res)) {
    respond_err(c->resp, 400, -2013, "Order does not exist.");
    return;
  }
  respond_json(c->resp, 200, order_obj(c->b, &o, 0, NULL, c->now));
}

static void cancel_cid(vd_binance *b, char *out, size_t n, int64_t now) {
  snprintf(out, n, "cancel-%016llx",
           (unsigned long long)(b->mkt->seed * 1000003ULL ^ (uint64_t)now));
}

static void h_cancel_order(req_ctx *c) {
  int s;
  if (symbol_param(c, true, &s) < 0) return;
  int64_t id;
  char cid[64], ncid[64];
  if (order_ref(c, &id, cid, sizeof cid) < 0) return;
  if (cid_param(c, "newClientOrderId", ncid, sizeof ncid) < 0) return;
  if (!ncid[0]) cancel_cid(c->b, ncid, sizeof ncid, c->now);
  vx_order o;
  vx_result res;
  if (vx_cancel(c->b->ex, c->account, s, id, cid, c->now, &o, &res)) {
    respond_err(c->resp, 400, -2011, "Unknown order sent.");
    return;
  }
  respond_json(c->resp, 200, order_obj(c->b, &o, 2, ncid, c->now));
}

static void h_open_orders(req_ctx *c) {
  int s;
  if (symbol_param(c, false, &s) < 0) return;
  vx_order *v = NULL;
  size_t n = 0;
  if (vx_open_orders(c->b->ex, c->account, s, &v, &n, NULL)) {
    respond_json(c->resp, 500, NULL);
    return;
  }
  json_t *a = json_array();
  if (a)
    for (size_t i = 0; i < n; i++)
      json_array_append_new(a, order_obj(c->b, &v[i], 0, NULL, c->now));
  free(v);
  respond_json(c->resp, 200, a);
}

static void h_cancel_open(req_ctx *c) {
  int s;
  if (symbol_param(c, true, &s) < 0) return;
  vx_order *v = NULL;
  size_t n = 0;
  if (vx_open_orders(c->b->ex, c->account, s, &v, &n, NULL)) {
    respond_json(c->resp, 500, NULL);
    return;
  }
  if (n == 0) {
    free(v);
    respond_err(c->resp, 400, -2011, "Unknown order sent.");
    return;
  }
  json_t *a = json_array();
  char ncid[64];
  cancel_cid(c->b, ncid, sizeof ncid, c->now);
  for (size_t i = 0; i < n && a; i++) {
    vx_order o;
    vx_result res;
    if (vx_cancel(c->b->ex, c->account, s, v[i].id, NULL, c->now, &o, &res)) continue;
    json_array_append_new(a, order_obj(c->b, &o, 2, ncid, c->now));
  }
  free(v);
  respond_json(c->resp, 200, a);
}

static void h_account(req_ctx *c) {
  vx_balance *v = NULL;
  size_t n = 0;
  int64_t upd = 0;
  if (vx_balances(c->b->ex, c->account, &v, &n, &upd, NULL)) {
    respond_json(c->resp, 500, NULL);
    return;
  }
  json_t *j = json_object(), *rates = json_object(), *bal = json_array(), *perm = json_array();
  if (!j || !rates || !bal || !perm) {
    json_decref(j);
    json_decref(rates);
    json_decref(bal);
    json_decref(perm);
    free(v);
    respond_json(c->resp, 500, NULL);
    return;
  }
  vx_exchange *x = c->b->ex;
  jset(j, "makerCommission",
       json_integer((json_int_t)llround(cq_dec_to_double(x->maker_fee) * 1e4)));
  jset(j, "takerCommission",
       json_integer((json_int_t)llround(cq_dec_to_double(x->taker_fee) * 1e4)));
  jset(j, "buyerCommission", json_integer(0));
  jset(j, "sellerCommission", json_integer(0));
  jset(rates, "maker", jfix(x->maker_fee));
  jset(rates, "taker", jfix(x->taker_fee));
  jset(rates, "buyer", jfix(CQ_DEC(0, 8)));
  jset(rates, "seller", jfix(CQ_DEC(0, 8)));
  jset(j, "commissionRates", rates);
  jset(j, "canTrade", json_true());
  jset(j, "canWithdraw", json_false());
  jset(j, "canDeposit", json_false());
  jset(j, "brokered", json_false());
  jset(j, "requireSelfTradePrevention", json_false());
  jset(j, "preventSor", json_false());
  jset(j, "updateTime", json_integer(upd));
  jset(j, "accountType", json_string("SPOT"));
  for (size_t i = 0; i < n; i++) {
    json_t *b = json_object();
    if (!b) break;
    jset(b, "asset", json_string(v[i].asset));
    jset(b, "free", jfix(v[i].free));
    jset(b, "locked", jfix(v[i].locked));
    json_array_append_new(bal, b);
  }
  free(v);
  jset(j, "balances", bal);
  json_array_append_new(perm, json_string("SPOT"));
  jset(j, "permissions", perm);
  jset(j, "uid", json_integer(100000 + c->account));
  respond_json(c->resp, 200, j);
}

static void h_my_trades(req_ctx *c) {
  int s;
  if (symbol_param(c, true, &s) < 0) return;
  int64_t limit, from_id, start, end, order_id;
  if (int_param(c, "limit", 500, &limit) < 0) return;
  if (limit <= 0) limit = 500;
  if (limit > 1000) limit = 1000;
  if (int_param(c, "fromId", -1, &from_id) < 0) return;
  if (int_param(c, "startTime", 0, &start) < 0) return;
  if (int_param(c, "endTime", 0, &end) < 0) return;
  if (int_param(c, "orderId", 0, &order_id) < 0) return;
  vx_mytrade *v = NULL;
  size_t n = 0;
  if (vx_my_trades(c->b->ex, c->account, s, order_id, from_id, start, end, (size_t)limit, &v, &n,
                   NULL)) {
    respond_json(c->resp, 500, NULL);
    return;
  }
  json_t *a = json_array();
  const vm_symbol *y = &c->b->mkt->syms[s];
  size_t k = 0;
  for (size_t i = 0; i < n && a && k < (size_t)limit; i++) {
    json_t *t = json_object();
    if (!t) break;
    jset(t, "symbol", json_string(y->ins.native));
    jset(t, "id", json_integer(v[i].id));
    jset(t, "orderId", json_integer(v[i].order_id));
    jset(t, "orderListId", json_integer(-1));
    jset(t, "price", jfix(v[i].f.price));
    jset(t, "qty", jfix(v[i].f.qty));
    jset(t, "quoteQty", jfix(v[i].f.quote));
    jset(t, "commission", jfix(v[i].f.fee));
    jset(t, "commissionAsset", json_string(v[i].f.fee_asset));
    jset(t, "time", json_integer(v[i].f.time_ms));
    jset(t, "isBuyer", json_boolean(v[i].side == CQ_SIDE_BUY));
    jset(t, "isMaker", json_boolean(v[i].f.maker));
    jset(t, "isBestMatch", json_true());
    json_array_append_new(a, t);
    k++;
  }
  free(v);
  respond_json(c->resp, 200, a);
}

/* ---- user-data stream ---------------------------------------------------------------------- */

static void h_listen_new(req_ctx *c) {
  vd_binance *b = c->b;
  pthread_mutex_lock(&b->lk_mu);
  /* one live key per account, as Binance: a second POST returns the same key */
  vd_listen *l = NULL;
  for (size_t i = 0; i < b->nlisten; i++)
    if (b->listen[i].account == c->account && b->listen[i].expires_ms > c->now) l = &b->listen[i];
  if (!l) {
    for (size_t i = 0; i < b->nlisten && !l; i++)
      if (b->listen[i].expires_ms <= c->now) l = &b->listen[i];
    if (!l && b->nlisten < VSIM_MAX_LISTEN) l = &b->listen[b->nlisten++];
    if (l) {
      b->listen_seq++;
      uint64_t h = b->listen_seq * 0x9e3779b97f4a7c15ULL ^ b->mkt->seed ^ (uint64_t)c->now;
      snprintf(l->key, sizeof l->key, "%016llx%016llx%016llx%08x", (unsigned long long)h,
               (unsigned long long)(h * 31 + 7), (unsigned long long)b->listen_seq,
               (unsigned)c->account);
      l->account = c->account;
    }
  }
  if (l) l->expires_ms = c->now + LISTEN_TTL_MS;
  char key[72];
  if (l) snprintf(key, sizeof key, "%s", l->key);
  pthread_mutex_unlock(&b->lk_mu);
  if (!l) {
    respond_err(c->resp, 400, -1000, "Too many listen keys.");
    return;
  }
  json_t *j = json_object();
  if (j) jset(j, "listenKey", json_string(key));
  respond_json(c->resp, 200, j);
}

static void h_listen_keep(req_ctx *c, bool remove) {
  char key[80];
  if (!param(c, "listenKey", key, sizeof key)) {
    missing(c, "listenKey");
    return;
  }
  vd_binance *b = c->b;
  bool found = false;
  pthread_mutex_lock(&b->lk_mu);
  for (size_t i = 0; i < b->nlisten; i++)
    if (!strcmp(b->listen[i].key, key) && b->listen[i].account == c->account &&
        b->listen[i].expires_ms > c->now) {
      b->listen[i].expires_ms = remove ? 0 : c->now + LISTEN_TTL_MS;
      found = true;
    }
  pthread_mutex_unlock(&b->lk_mu);
  if (!found) {
    respond_err(c->resp, 400, -1125, "This listenKey does not exist.");
    return;
  }
  respond_json(c->resp, 200, json_object());
}

static void h_listen_put(req_ctx *c) {
  h_listen_keep(c, false);
}
static void h_listen_del(req_ctx *c) {
  h_listen_keep(c, true);
}

int vd_binance_listen_account(vd_binance *b, const char *key, int64_t now) {
  int acc = -1;
  pthread_mutex_lock(&b->lk_mu);
  for (size_t i = 0; i < b->nlisten; i++)
    if (!strcmp(b->listen[i].key, key) && b->listen[i].expires_ms > now) acc = b->listen[i].account;
  pthread_mutex_unlock(&b->lk_mu);
  return acc;
}

/* ---- routing -------------------------------------------------------------------------------- */

enum { AUTH_NONE = 0, AUTH_KEY = 1, AUTH_SIGNED = 2 };

typedef struct route {
  const char *method, *path;
  int weight;     /* the weight without a symbol when weight_all is set */
  int weight_all; /* weight when no symbol is given (0: same) */
  int auth;
  bool order;
  void (*fn)(req_ctx *c);
} route;

static const route routes[] = {
    {"GET", "/api/v3/ping", 1, 0, AUTH_NONE, false, h_ping},
    {"GET", "/api/v3/time", 1, 0, AUTH_NONE, false, h_time},
    {"GET", "/api/v3/exchangeInfo", 20, 0, AUTH_NONE, false, h_exchange_info},
    {"GET", "/api/v3/klines", 2, 0, AUTH_NONE, false, h_klines},
    {"GET", "/api/v3/uiKlines", 2, 0, AUTH_NONE, false, h_klines},
    {"GET", "/api/v3/avgPrice", 2, 0, AUTH_NONE, false, h_avg_price},
    {"GET", "/api/v3/ticker/price", 2, 4, AUTH_NONE, false, h_ticker_price},
    {"GET", "/api/v3/trades", 25, 0, AUTH_NONE, false, h_trades},
    {"GET", "/api/v3/historicalTrades", 25, 0, AUTH_KEY, false, h_hist_trades},
    {"GET", "/api/v3/aggTrades", 2, 0, AUTH_NONE, false, h_agg_trades},
    {"GET", "/api/v3/depth", 5, 0, AUTH_NONE, false, h_depth},
    {"GET", "/api/v3/ticker/bookTicker", 2, 4, AUTH_NONE, false, h_book_ticker},
    {"GET", "/api/v3/ticker/24hr", 2, 80, AUTH_NONE, false, h_ticker24},
    {"POST", "/api/v3/order", 1, 0, AUTH_SIGNED, true, h_new_order},
    {"POST", "/api/v3/order/test", 1, 0, AUTH_SIGNED, false, h_test_order},
    {"GET", "/api/v3/order", 4, 0, AUTH_SIGNED, false, h_query_order},
    {"DELETE", "/api/v3/order", 1, 0, AUTH_SIGNED, false, h_cancel_order},
    {"GET", "/api/v3/openOrders", 6, 80, AUTH_SIGNED, false, h_open_orders},
    {"DELETE", "/api/v3/openOrders", 1, 0, AUTH_SIGNED, false, h_cancel_open},
    {"GET", "/api/v3/allOrders", 20, 0, AUTH_SIGNED, false, h_all_orders},
    {"GET", "/api/v3/account", 20, 0, AUTH_SIGNED, false, h_account},
    {"GET", "/api/v3/rateLimit/order", 40, 0, AUTH_SIGNED, false, h_rate_limit_order},
    {"GET", "/api/v3/myTrades", 20, 0, AUTH_SIGNED, false, h_my_trades},
    {"POST", "/api/v3/userDataStream", 2, 0, AUTH_KEY, false, h_listen_new},
    {"PUT", "/api/v3/userDataStream", 2, 0, AUTH_KEY, false, h_listen_put},
    {"DELETE", "/api/v3/userDataStream", 2, 0, AUTH_KEY, false, h_listen_del},
};

static int route_weight(const req_ctx *c, const route *r) {
  char buf[32];
  if (r->fn == h_depth) {
    int64_t limit = 100;
    if (cq_query_get(c->req->query, "limit", buf, sizeof buf)) limit = strtoll(buf, NULL, 10);
    return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
  }
  if (r->weight_all && !param(c, "symbol", buf, sizeof buf)) return r->weight_all;
  return r->weight;
}

static void count_path(cq_vsim_counters *k, const char *method, const char *path) {
  if (!k) return;
  k->requests++;
  char key[64];
  snprintf(key, sizeof key, "%s %s", method, path);
  for (size_t i = 0; i < k->npaths; i++)
    if (!strcmp(k->by_path[i].path, key)) {
      k->by_path[i].n++;
      return;
    }
  if (k->npaths < VSIM_MAX_PATHS) {
    snprintf(k->by_path[k->npaths].path, sizeof k->by_path[0].path, "%s", key);
    k->by_path[k->npaths++].n = 1;
  }
}

/* The weight used in the current minute, for answers that count nothing (faults). */
static void weight_header(vd_binance *b, vd_response *resp, int64_t now) {
  pthread_mutex_lock(&b->lim.mu);
  int used = b->lim.minute == now / 60000 ? b->lim.used : 0;
  pthread_mutex_unlock(&b->lim.mu);
  add_header(resp, "X-MBX-USED-WEIGHT-1M: %d", used);
}

void vd_binance_http(vd_binance *b, const vd_request *req, int64_t now, vd_response *resp) {
  memset(resp, 0, sizeof *resp);
  req_ctx c = {.b = b, .req = req, .resp = resp, .now = now, .account = -1};
  vd_request fixed = *req;
  if (!fixed.query) fixed.query = "";
  if (!fixed.body) fixed.body = "";
  c.req = &fixed;
  count_path(b->counters, req->method, req->path);
  vf_verdict v;
  vf_on_request(b->faults, req->path, now, &v);
  resp->delay_ms = v.delay_ms;
  if (v.status) weight_header(b, resp, now);
  if (v.status == 418) {
    add_header(resp, "Retry-After: %" PRId64, (v.retry_after_ms + 999) / 1000);
    respond_err(resp, 418, -1003,
                "Way too much request weight used; IP banned until %" PRId64
                ". Please use WebSocket Streams for live updates to avoid bans.",
                now + v.retry_after_ms);
    if (b->counters) b->counters->banned++;
    return;
  }
  if (v.status == 429) {
    add_header(resp, "Retry-After: %" PRId64, (v.retry_after_ms + 999) / 1000);
    respond_err(resp, 429, -1003,
                "Too much request weight used; current limit is %d request weight per 1 MINUTE. "
                "Please use WebSocket Streams for live updates to avoid polling the API.",
                b->lim.weight_limit);
    if (b->counters) b->counters->rate_limited++;
    return;
  }
  if (v.status >= 500) {
    respond_err(resp, v.status, -1001,
                "Internal error; unable to process your request. Please try again.");
    return;
  }
  const route *r = NULL;
  bool path_known = false;
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
    if (!strcmp(routes[i].path, req->path)) {
      path_known = true;
      if (!strcmp(routes[i].method, req->method)) r = &routes[i];
    }
  if (!r) {
    if (path_known)
      respond_err(resp, 405, -1000, "Method not allowed on %s.", req->path);
    else
      respond_err(resp, 404, -1000, "Unknown path %s.", req->path);
    return;
  }
  if (!limits_pass(&c, route_weight(&c, r), r->order)) return;
  if (r->auth != AUTH_NONE && authenticate(&c, r->auth) < 0) return;
  r->fn(&c);
  if (r->order && resp->status == 200 && v.drop_if_order) {
    resp->drop = true;
    vf_order_lost(b->faults);
    if (b->counters) b->counters->responses_dropped++;
  }
}

/* ---- stream messages ------------------------------------------------------------------------ */

static char *dump(json_t *j) {
  if (!j) return NULL;
  char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(j);
  return s;
}

char *vd_binance_trade_msg(const vm_market *m, int s, const vm_trade *t, int64_t event_ms,
                           bool agg) {
  const vm_symbol *y = &m->syms[s];
  json_t *j = json_object();
  if (!j) return NULL;
  jset(j, "e", json_string(agg ? "aggTrade" : "trade"));
  jset(j, "E", json_integer(event_ms));
  jset(j, "s", json_string(y->ins.native));
  if (agg) {
    jset(j, "a", json_integer(t->id));
    jset(j, "p", vd_jtrade(y, t, VD_TRADE_PRICE, true));
    jset(j, "q", vd_jtrade(y, t, VD_TRADE_QTY, true));
    jset(j, "f", json_integer(t->id));
    jset(j, "l", json_integer(t->id));
  } else {
    jset(j, "t", json_integer(t->id));
    jset(j, "p", vd_jtrade(y, t, VD_TRADE_PRICE, true));
    jset(j, "q", vd_jtrade(y, t, VD_TRADE_QTY, true));
  }
  jset(j, "T", json_integer(t->time_ms));
  jset(j, "m", json_boolean(t->buyer_maker));
  jset(j, "M", json_true());
  return dump(j);
}

char *vd_binance_book_ticker_msg(const vm_market *m, int s, int64_t step, const vm_level *bid,
                                 const vm_level *ask) {
  const vm_symbol *y = &m->syms[s];
  json_t *j = json_object();
  if (!j) return NULL;
  jset(j, "u", json_integer(step));
  jset(j, "s", json_string(y->ins.native));
  jset(j, "b", jstep(bid->price, y->ins.tick));
  jset(j, "B", jstep(bid->qty, y->ins.lot));
  jset(j, "a", jstep(ask->price, y->ins.tick));
  jset(j, "A", jstep(ask->qty, y->ins.lot));
  return dump(j);
}

char *vd_binance_kline_msg(const vm_market *m, int s, const char *interval, int64_t len,
                           int64_t open, int64_t now) {
  const vm_symbol *y = &m->syms[s];
  cq_candle k;
  vm_kx x;
  if (!vm_candle_x(m, s, open, len, now, &k, &x)) return NULL;
  json_t *j = json_object(), *o = json_object();
  if (!j || !o) {
    json_decref(j);
    json_decref(o);
    return NULL;
  }
  vd_ktext t;
  vd_kline_text(y, &k, &x, true, &t);
  int64_t end = now < open + len ? now : open + len;
  vm_trade ft, lt; /* the candle's first and last trades (-1 when it has none) */
  int64_t first = -1, last = -1;
  if (k.trades > 0 && vm_trades_after(m, s, open, end, -1, &ft, 1) == 1 &&
      vm_trades_before_id(m, s, INT64_MAX, end, &lt, 1) == 1) {
    first = ft.id;
    last = lt.id;
  }
  jset(j, "e", json_string("kline"));
  jset(j, "E", json_integer(now));
  jset(j, "s", json_string(y->ins.native));
  jset(o, "t", json_integer(open));
  jset(o, "T", json_integer(open + len - 1));
  jset(o, "s", json_string(y->ins.native));
  jset(o, "i", json_string(interval));
  jset(o, "f", json_integer(first));
  jset(o, "L", json_integer(last));
  jset(o, "o", json_string(t.open));
  jset(o, "c", json_string(t.close));
  jset(o, "h", json_string(t.high));
  jset(o, "l", json_string(t.low));
  jset(o, "v", json_string(t.vol));
  jset(o, "n", json_integer(k.trades));
  jset(o, "x", json_boolean(k.closed));
  jset(o, "q", json_string(t.quote));
  jset(o, "V", json_string(t.buy_vol));
  jset(o, "Q", json_string(t.buy_quote));
  jset(o, "B", json_string("0"));
  jset(j, "k", o);
  return dump(j);
}

char *vd_binance_depth_msg(const vm_market *m, int s, int64_t first_id, int64_t last_id,
                           int64_t event_ms, const vm_level *bids, size_t nb, const vm_level *asks,
                           size_t na) {
  const vm_symbol *y = &m->syms[s];
  json_t *j = json_object();
  if (!j) return NULL;
  jset(j, "e", json_string("depthUpdate"));
  jset(j, "E", json_integer(event_ms));
  jset(j, "s", json_string(y->ins.native));
  jset(j, "U", json_integer(first_id));
  jset(j, "u", json_integer(last_id));
  jset(j, "b", levels(y, bids, nb));
  jset(j, "a", levels(y, asks, na));
  return dump(j);
}

char *vd_binance_user_msg(const vd_binance *b, const vx_event *ev) {
  json_t *j = json_object();
  if (!j) return NULL;
  if (ev->kind == VX_EV_BALANCE) {
    jset(j, "e", json_string("outboundAccountPosition"));
    jset(j, "E", json_integer(ev->time_ms));
    jset(j, "u", json_integer(ev->time_ms));
    json_t *a = json_array();
    for (int i = 0; i < ev->nbal && a; i++) {
      json_t *x = json_object();
      if (!x) break;
      jset(x, "a", json_string(ev->bal[i].asset));
      jset(x, "f", jfix(ev->bal[i].free));
      jset(x, "l", jfix(ev->bal[i].locked));
      json_array_append_new(a, x);
    }
    jset(j, "B", a);
    return dump(j);
  }
  const vx_order *o = &ev->order;
  const vx_fill *f = ev->has_fill ? &ev->fill : NULL;
  jset(j, "e", json_string("executionReport"));
  jset(j, "E", json_integer(ev->time_ms));
  jset(j, "s", json_string(b->mkt->syms[o->sym].ins.native));
  jset(j, "c", json_string(o->client_id));
  jset(j, "S", json_string(side_name(o->side)));
  jset(j, "o", json_string(type_name(o)));
  jset(j, "f", json_string(tif_name(o->tif)));
  jset(j, "q", jfix(o->qty));
  jset(j, "p", jfix(o->price));
  jset(j, "P", jfix(o->stop));
  jset(j, "F", jfix(CQ_DEC(0, 8)));
  jset(j, "g", json_integer(-1));
  jset(j, "C", json_string(!strcmp(ev->exec_type, "CANCELED") ? o->client_id : ""));
  jset(j, "x", json_string(ev->exec_type));
  jset(j, "X", json_string(status_name(o->state)));
  jset(j, "r", json_string("NONE"));
  jset(j, "i", json_integer(o->id));
  jset(j, "l", jfix(f ? f->qty : CQ_DEC(0, 8)));
  jset(j, "z", jfix(o->filled));
  jset(j, "L", jfix(f ? f->price : CQ_DEC(0, 8)));
  jset(j, "n", jfix(f ? f->fee : CQ_DEC(0, 8)));
  jset(j, "N", f ? json_string(f->fee_asset) : json_null());
  jset(j, "T", json_integer(f ? f->time_ms : ev->time_ms));
  jset(j, "t", json_integer(f ? f->trade_id : -1));
  jset(j, "I", json_integer(0));
  jset(j, "w",
       json_boolean(o->working && (o->state == CQ_OS_ACCEPTED || o->state == CQ_OS_PARTIAL)));
  jset(j, "m", json_boolean(f ? f->maker : false));
  jset(j, "M", json_false());
  jset(j, "O", json_integer(o->time_ms));
  jset(j, "Z", jfix(o->quote));
  jset(j, "Y", jfix(f ? f->quote : CQ_DEC(0, 8)));
  jset(j, "Q", jfix(CQ_DEC(0, 8)));
  jset(j, "W", json_integer(o->working_ms ? o->working_ms : ev->time_ms));
  jset(j, "V", json_string("NONE"));
  return dump(j);
}
