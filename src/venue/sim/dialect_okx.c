/* The OKX (API v5, spot) dialect: REST requests in OKX's paths, parameters, envelopes
 * ({"code":"0","msg":"","data":[...]}, per-item sCode / sMsg for orders), signing
 * (OK-ACCESS-KEY / -SIGN / -TIMESTAMP / -PASSPHRASE) and error codes, answered from the
 * exchange core and the market. The streams' messages are in dialect_okx_ws.c. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cquant/net.h"
#include "internal.h"

#define CANDLES_MAX 300
#define HISTORY_MAX 100
#define RECENT_CANDLES 1440 /* market/candles serves the latest 1440 bars only */
#define TRADES_MAX 500
#define EXPIRE_MS 30000 /* a signed request's timestamp may be this far from the server's */

/* ---- envelopes ------------------------------------------------------------------------- */

static void ok_data(vd_response *r, json_t *data) {
  json_t *j = json_object();
  if (!j || !data) {
    json_decref(j);
    json_decref(data);
    vd_respond(r, 500, NULL);
    return;
  }
  json_object_set_new(j, "code", json_string("0"));
  json_object_set_new(j, "msg", json_string(""));
  json_object_set_new(j, "data", data);
  vd_respond(r, 200, j);
}

static void ok_err(vd_response *r, int status, int code, const char *msg) {
  json_t *j = json_object();
  if (j) {
    char c[16];
    snprintf(c, sizeof c, "%d", code);
    json_object_set_new(j, "code", json_string(c));
    json_object_set_new(j, "msg", json_string(msg));
    json_object_set_new(j, "data", json_array());
  }
  vd_respond(r, status, j);
}

/* ---- time ------------------------------------------------------------------------------ */

/* "2020-12-08T09:08:57.715Z" -> epoch ms; -1 when it is not that. */
/* n digits at s as a number; -1 when one is not a digit. */
static int digits(const char *s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

int64_t vd_okx_parse_iso(const char *s) {
  /* 0123456789012345678901234 */
  /* YYYY-MM-DDTHH:MM:SS.mmmZ  */
  if (strlen(s) != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != '.' || s[23] != 'Z')
    return -1;
  int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = digits(s + 11, 2),
      mi = digits(s + 14, 2), sec = digits(s + 17, 2), ms = digits(s + 20, 3);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
      sec < 0 || sec > 60 || ms < 0)
    return -1;
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return (int64_t)timegm(&tm) * 1000 + ms;
}

/* ---- instruments and bars -------------------------------------------------------------- */

/* "BTC-USDT" -> the symbol; -1 when none. */
int vd_okx_sym(const vm_market *m, const char *inst) {
  if (!inst) return -1;
  for (size_t i = 0; i < m->nsyms; i++) {
    const cq_instrument *x = &m->syms[i].ins;
    size_t bl = strlen(x->base);
    if (!strncmp(inst, x->base, bl) && inst[bl] == '-' && !strcmp(inst + bl + 1, x->quote))
      return (int)i;
  }
  return -1;
}

void vd_okx_inst_id(const vm_market *m, int s, char out[CQ_SYMBOL_MAX]) {
  snprintf(out, CQ_SYMBOL_MAX, "%s-%s", m->syms[s].ins.base, m->syms[s].ins.quote);
}

#define HK_OFF (-INT64_C(8) * 3600000) /* OKX's plain day bars open at 16:00 UTC */

bool vd_okx_bar(const char *s, int64_t *len, int64_t *off) {
  static const struct {
    const char *name;
    int64_t ms;
    bool hk;
  } t[] = {{"1s", 1000, false},         {"1m", 60000, false},        {"3m", 180000, false},
           {"5m", 300000, false},       {"15m", 900000, false},      {"30m", 1800000, false},
           {"1H", 3600000, false},      {"2H", 7200000, false},      {"4H", 14400000, false},
           {"6H", 21600000, true},      {"12H", 43200000, true},     {"1D", 86400000, true},
           {"2D", 172800000, true},     {"3D", 259200000, true},     {"1W", 604800000, true},
           {"6Hutc", 21600000, false},  {"12Hutc", 43200000, false}, {"1Dutc", 86400000, false},
           {"2Dutc", 172800000, false}, {"3Dutc", 259200000, false}, {"1Wutc", 604800000, false}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (!strcmp(s, t[i].name)) {
      *len = t[i].ms;
      /* weeks open on Monday (the epoch was a Thursday) */
      int64_t w = t[i].ms == 604800000 ? 4 * INT64_C(86400000) : 0;
      *off = w + (t[i].hk ? HK_OFF : 0);
      return true;
    }
  return false;
}

/* ---- requests ----------------------------------------------------------------------------- */

typedef struct req_ctx {
  vd_binance *b;
  const vd_request *req;
  vd_response *resp;
  int64_t now;
  int account;
  json_t *body; /* POST: the JSON body */
} req_ctx;

/* A parameter of the query (GET) or the JSON body (POST); NULL when absent or empty. */
static const char *param(const req_ctx *c, const char *key, char *buf, size_t n) {
  if (c->body) {
    json_t *v = json_object_get(c->body, key);
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) >= n) return NULL;
    snprintf(buf, n, "%s", s);
    return buf;
  }
  const char *v = cq_query_get(c->req->query, key, buf, n);
  return v && *v ? v : NULL;
}

static int bad_param(req_ctx *c, const char *key) {
  char m[96];
  snprintf(m, sizeof m, "Parameter %s error", key);
  ok_err(c->resp, 400, 51000, m);
  return -1;
}

static int missing(req_ctx *c, const char *key) {
  char m[96];
  snprintf(m, sizeof m, "Parameter %s can not be empty.", key);
  ok_err(c->resp, 400, 50014, m);
  return -1;
}

/* 0 absent (*out = dflt), 1 present, -1 answered. */
static int int_param(req_ctx *c, const char *key, int64_t dflt, int64_t *out) {
  char buf[32];
  *out = dflt;
  if (!param(c, key, buf, sizeof buf)) return 0;
  char *end = NULL;
  long long v = strtoll(buf, &end, 10);
  if (*end || v < 0) return bad_param(c, key);
  *out = v;
  return 1;
}

static int inst_param(req_ctx *c, bool required, int *sym) {
  char buf[48];
  *sym = -1;
  if (!param(c, "instId", buf, sizeof buf)) return required ? missing(c, "instId") : 0;
  *sym = vd_okx_sym(c->b->mkt, buf);
  if (*sym < 0) {
    ok_err(c->resp, 400, 51001, "Instrument ID does not exist");
    return -1;
  }
  return 1;
}

/* ---- authentication ------------------------------------------------------------------------ */

static int authenticate(req_ctx *c) {
  char key[128], sign[96], ts[48], pass[128];
  const vd_request *q = c->req;
  if (!vd_header(q, "OK-ACCESS-KEY", key, sizeof key) || !key[0]) {
    ok_err(c->resp, 401, 50103, "Request header OK-ACCESS-KEY can not be empty.");
    return -1;
  }
  if (!vd_header(q, "OK-ACCESS-PASSPHRASE", pass, sizeof pass) || !pass[0]) {
    ok_err(c->resp, 401, 50104, "Request header OK-ACCESS-PASSPHRASE can not be empty.");
    return -1;
  }
  if (!vd_header(q, "OK-ACCESS-SIGN", sign, sizeof sign) || !sign[0]) {
    ok_err(c->resp, 401, 50106, "Request header OK-ACCESS-SIGN can not be empty.");
    return -1;
  }
  if (!vd_header(q, "OK-ACCESS-TIMESTAMP", ts, sizeof ts) || !ts[0]) {
    ok_err(c->resp, 401, 50107, "Request header OK-ACCESS-TIMESTAMP can not be empty.");
    return -1;
  }
  int64_t t = vd_okx_parse_iso(ts);
  if (t < 0) {
    ok_err(c->resp, 401, 50112, "Invalid OK-ACCESS-TIMESTAMP");
    return -1;
  }
  int acc = vx_account_by_key(c->b->ex, key);
  if (acc < 0) {
    ok_err(c->resp, 401, 50111, "Invalid OK-ACCESS-KEY");
    return -1;
  }
  const char *want_pass = c->b->passphrase;
  if (want_pass && *want_pass && strcmp(want_pass, pass) != 0) {
    ok_err(c->resp, 401, 50105, "Request header OK-ACCESS-PASSPHRASE incorrect.");
    return -1;
  }
  if (t < c->now - EXPIRE_MS || t > c->now + EXPIRE_MS) {
    ok_err(c->resp, 401, 50102, "Timestamp request expired");
    return -1;
  }
  /* timestamp + method + path (+ "?" + query) + body */
  size_t need =
      strlen(ts) + strlen(q->method) + strlen(q->path) + strlen(q->query) + strlen(q->body) + 4;
  char *text = malloc(need);
  if (!text) {
    ok_err(c->resp, 500, 50026, "System error");
    return -1;
  }
  snprintf(text, need, "%s%s%s%s%s%s", ts, q->method, q->path, q->query[0] ? "?" : "", q->query,
           q->body);
  char want[48];
  vd_hmac_b64(c->b->ex->acc[acc].secret, text, strlen(text), want);
  free(text);
  unsigned diff = strlen(sign) != strlen(want);
  for (size_t i = 0; sign[i] && want[i]; i++) diff |= (unsigned)(sign[i] ^ want[i]);
  if (diff) {
    ok_err(c->resp, 401, 50113, "Invalid Sign");
    return -1;
  }
  c->account = acc;
  return 0;
}

/* ---- public -----------------------------------------------------------------------------------
 */

static void h_time(req_ctx *c) {
  json_t *d = json_array(), *o = json_object();
  char t[32];
  snprintf(t, sizeof t, "%" PRId64, c->now);
  if (o) json_object_set_new(o, "ts", json_string(t));
  if (d && o)
    json_array_append_new(d, o);
  else
    json_decref(o);
  ok_data(c->resp, d);
}

static json_t *instrument(const vm_market *m, int s) {
  const cq_instrument *i = &m->syms[s].ins;
  json_t *o = json_object();
  if (!o) return NULL;
  char id[CQ_SYMBOL_MAX];
  vd_okx_inst_id(m, s, id);
  json_object_set_new(o, "alias", json_string(""));
  json_object_set_new(o, "baseCcy", json_string(i->base));
  json_object_set_new(o, "category", json_string("1"));
  json_object_set_new(o, "ctMult", json_string(""));
  json_object_set_new(o, "ctType", json_string(""));
  json_object_set_new(o, "ctVal", json_string(""));
  json_object_set_new(o, "ctValCcy", json_string(""));
  json_object_set_new(o, "expTime", json_string(""));
  json_object_set_new(o, "instFamily", json_string(""));
  json_object_set_new(o, "instId", json_string(id));
  json_object_set_new(o, "instType", json_string("SPOT"));
  json_object_set_new(o, "lever", json_string(""));
  char lt[32];
  snprintf(lt, sizeof lt, "%" PRId64, (int64_t)VM_EPOCH_MS);
  json_object_set_new(o, "listTime", json_string(lt));
  json_object_set_new(o, "lotSz", vd_jdec(i->lot));
  json_object_set_new(o, "maxLmtAmt", json_string("20000000"));
  json_object_set_new(o, "maxLmtSz", json_string("9999999999"));
  json_object_set_new(o, "maxMktAmt", json_string("1000000"));
  json_object_set_new(o, "maxMktSz", json_string("1000000"));
  json_object_set_new(o, "minSz", vd_jdec(i->min_qty));
  json_object_set_new(o, "optType", json_string(""));
  json_object_set_new(o, "quoteCcy", json_string(i->quote));
  json_object_set_new(o, "ruleType", json_string("normal"));
  json_object_set_new(o, "settleCcy", json_string(""));
  json_object_set_new(o, "state", json_string("live"));
  json_object_set_new(o, "stk", json_string(""));
  json_object_set_new(o, "tickSz", vd_jdec(i->tick));
  json_object_set_new(o, "uly", json_string(""));
  return o;
}

static void h_instruments(req_ctx *c) {
  char type[16];
  if (!param(c, "instType", type, sizeof type)) {
    missing(c, "instType");
    return;
  }
  if (strcmp(type, "SPOT") != 0) { /* the simulator lists spot pairs only */
    ok_data(c->resp, json_array());
    return;
  }
  int only;
  if (inst_param(c, false, &only) < 0) return;
  json_t *d = json_array();
  for (size_t i = 0; d && i < c->b->mkt->nsyms; i++)
    if (only < 0 || (int)i == only) json_array_append_new(d, instrument(c->b->mkt, (int)i));
  ok_data(c->resp, d);
}

json_t *vd_okx_candle_row(const vm_market *m, int s, const cq_candle *k, const vm_kx *kx) {
  const vm_symbol *y = &m->syms[s];
  json_t *r = json_array();
  if (!r) return NULL;
  char t[32];
  snprintf(t, sizeof t, "%" PRId64, k->open_time / CQ_NS_PER_MS);
  json_array_append_new(r, json_string(t));
  vd_kline_row(r, y, k, kx); /* volCcy, then volCcyQuote: the same for spot */
  json_array_append(r, json_array_get(r, 6));
  json_array_append_new(r, json_string(k->closed ? "1" : "0"));
  return r;
}

/* Rows newest first: before < ts < after (each bound when given), at most limit. */
static void candles(req_ctx *c, bool history) {
  int s;
  if (inst_param(c, true, &s) < 0) return;
  char bar[16];
  int64_t len = 60000, off = 0;
  if (param(c, "bar", bar, sizeof bar) && !vd_okx_bar(bar, &len, &off)) {
    bad_param(c, "bar");
    return;
  }
  int64_t after, before, limit;
  if (int_param(c, "after", 0, &after) < 0 || int_param(c, "before", 0, &before) < 0 ||
      int_param(c, "limit", 100, &limit) < 0)
    return;
  int64_t max = history ? HISTORY_MAX : CANDLES_MAX;
  if (limit <= 0 || limit > max) limit = max;
  int64_t top = vd_floor_off(c->now, len, off); /* the forming bar */
  if (after > 0) {
    int64_t a = vd_floor_off(after - 1, len, off);
    if (a < top) top = a;
  }
  int64_t floor_open = vd_floor_off(VM_EPOCH_MS, len, off); /* the first bar of the listing */
  if (floor_open < VM_EPOCH_MS) floor_open += len;
  int64_t recent = vd_floor_off(c->now, len, off) - (RECENT_CANDLES - 1) * len;
  if (!history && recent > floor_open) floor_open = recent;
  json_t *d = json_array();
  int64_t n = 0;
  for (int64_t t = top; d && t >= floor_open && t > before && n < limit; t -= len) {
    cq_candle k;
    vm_kx kx;
    if (!vm_candle_x(c->b->mkt, s, t, len, c->now, &k, &kx)) continue; /* the venue's gap */
    json_array_append_new(d, vd_okx_candle_row(c->b->mkt, s, &k, &kx));
    n++;
  }
  ok_data(c->resp, d);
}

static void h_candles(req_ctx *c) {
  candles(c, false);
}
static void h_history_candles(req_ctx *c) {
  candles(c, true);
}

json_t *vd_okx_trade_obj(const vm_market *m, int s, const vm_trade *t) {
  const vm_symbol *y = &m->syms[s];
  json_t *o = json_object();
  if (!o) return NULL;
  char id[CQ_SYMBOL_MAX], buf[32];
  vd_okx_inst_id(m, s, id);
  json_object_set_new(o, "instId", json_string(id));
  json_object_set_new(o, "side", json_string(t->buyer_maker ? "sell" : "buy"));
  json_object_set_new(o, "sz", vd_jtrade(y, t, VD_TRADE_QTY, false));
  json_object_set_new(o, "px", vd_jtrade(y, t, VD_TRADE_PRICE, false));
  snprintf(buf, sizeof buf, "%" PRId64, t->id);
  json_object_set_new(o, "tradeId", json_string(buf));
  snprintf(buf, sizeof buf, "%" PRId64, t->time_ms);
  json_object_set_new(o, "ts", json_string(buf));
  return o;
}

static void h_trades(req_ctx *c) {
  int s;
  if (inst_param(c, true, &s) < 0) return;
  int64_t limit;
  if (int_param(c, "limit", 100, &limit) < 0) return;
  if (limit <= 0 || limit > TRADES_MAX) limit = TRADES_MAX;
  vm_trade *t = malloc((size_t)limit * sizeof *t);
  if (!t) {
    ok_err(c->resp, 500, 50026, "System error");
    return;
  }
  size_t n = vm_trades_recent(c->b->mkt, s, c->now, t, (size_t)limit);
  json_t *d = json_array();
  for (size_t i = n; d && i-- > 0;) /* newest first */
    json_array_append_new(d, vd_okx_trade_obj(c->b->mkt, s, &t[i]));
  free(t);
  ok_data(c->resp, d);
}

/* market/history-trades: older trades page by page, newest first. type 1 (the default)
 * pages by trade id, type 2 by time (ms): after = older than, before = newer than. */
static void h_history_trades(req_ctx *c) {
  int s;
  if (inst_param(c, true, &s) < 0) return;
  int64_t type, after, before, limit;
  if (int_param(c, "type", 1, &type) < 0 || int_param(c, "after", 0, &after) < 0 ||
      int_param(c, "before", 0, &before) < 0 || int_param(c, "limit", 100, &limit) < 0)
    return;
  if (type != 1 && type != 2) {
    bad_param(c, "type");
    return;
  }
  if (limit <= 0 || limit > 100) limit = 100;
  const vm_market *m = c->b->mkt;
  vm_trade *t = NULL;
  size_t n = 0, first = 0;
  if (type == 1 && after > 0) {
    t = malloc((size_t)limit * sizeof *t);
    if (t) n = vm_trades_before_id(m, s, after, c->now, t, (size_t)limit);
  } else {
    int64_t end = type == 2 && after > 0 && after < c->now ? after : c->now;
    t = malloc((size_t)limit * sizeof *t);
    if (t) n = vm_trades_recent(m, s, end, t, (size_t)limit);
  }
  if (!t) {
    ok_err(c->resp, 500, 50026, "System error");
    return;
  }
  json_t *d = json_array();
  for (size_t i = n; d && i-- > first;) { /* newest first */
    if (before > 0 && (type == 1 ? t[i].id <= before : t[i].time_ms <= before)) continue;
    json_t *o = vd_okx_trade_obj(m, s, &t[i]);
    if (o) json_object_set_new(o, "source", json_string("0"));
    json_array_append_new(d, o);
  }
  free(t);
  ok_data(c->resp, d);
}

/* The book a client sees: synthetic liquidity plus the users' resting orders. */
static void full_book(vd_binance *b, int s, int64_t step, vm_level *bids, vm_level *asks,
                      size_t n) {
  vm_book(b->mkt, s, step, bids, asks, n);
  vx_add_resting(b->ex, s, bids, asks, n);
}

json_t *vd_okx_levels(const vm_symbol *y, const vm_level *lv, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < n; i++) {
    json_t *row = json_array();
    if (!row) break;
    json_array_append_new(row, vd_jstep(lv[i].price, y->ins.tick));
    json_array_append_new(row, vd_jstep(lv[i].qty, y->ins.lot));
    json_array_append_new(row, json_string("0"));
    json_array_append_new(row, json_string(lv[i].qty > 0 ? "1" : "0"));
    json_array_append_new(a, row);
  }
  return a;
}

static void h_books(req_ctx *c) {
  int s;
  if (inst_param(c, true, &s) < 0) return;
  int64_t sz;
  if (int_param(c, "sz", 1, &sz) < 0) return;
  if (sz <= 0 || sz > 400) {
    bad_param(c, "sz");
    return;
  }
  size_t n = sz > VM_BOOK_LEVELS ? VM_BOOK_LEVELS : (size_t)sz;
  vm_level bids[VM_BOOK_LEVELS], asks[VM_BOOK_LEVELS];
  full_book(c->b, s, c->now / VM_BOOK_STEP_MS, bids, asks, n);
  const vm_symbol *y = &c->b->mkt->syms[s];
  json_t *d = json_array(), *o = json_object();
  if (o) {
    json_object_set_new(o, "asks", vd_okx_levels(y, asks, n));
    json_object_set_new(o, "bids", vd_okx_levels(y, bids, n));
    char t[32];
    snprintf(t, sizeof t, "%" PRId64, c->now);
    json_object_set_new(o, "ts", json_string(t));
  }
  if (d && o)
    json_array_append_new(d, o);
  else
    json_decref(o);
  ok_data(c->resp, d);
}

json_t *vd_okx_ticker_obj(vd_binance *b, int s, int64_t now) {
  const vm_market *m = b->mkt;
  const vm_symbol *y = &m->syms[s];
  cq_candle k;
  if (!vm_candle(m, s, now - 86400000, 86400000, now, &k)) memset(&k, 0, sizeof k);
  vm_level bid, ask;
  full_book(b, s, now / VM_BOOK_STEP_MS, &bid, &ask, 1);
  vm_trade last[1];
  size_t nl = vm_trades_recent(m, s, now, last, 1);
  double lp = nl ? last[0].price : vm_price(m, s, now);
  json_t *o = json_object();
  if (!o) return NULL;
  char id[CQ_SYMBOL_MAX], t[32];
  vd_okx_inst_id(m, s, id);
  json_object_set_new(o, "instType", json_string("SPOT"));
  json_object_set_new(o, "instId", json_string(id));
  json_object_set_new(o, "last", vd_jstep(lp, y->ins.tick));
  json_object_set_new(o, "lastSz", vd_jstep(nl ? last[0].qty : 0, y->ins.lot));
  json_object_set_new(o, "askPx", vd_jstep(ask.price, y->ins.tick));
  json_object_set_new(o, "askSz", vd_jstep(ask.qty, y->ins.lot));
  json_object_set_new(o, "bidPx", vd_jstep(bid.price, y->ins.tick));
  json_object_set_new(o, "bidSz", vd_jstep(bid.qty, y->ins.lot));
  json_object_set_new(o, "open24h", vd_jstep(k.open, y->ins.tick));
  json_object_set_new(o, "high24h", vd_jstep(k.high, y->ins.tick));
  json_object_set_new(o, "low24h", vd_jstep(k.low, y->ins.tick));
  json_object_set_new(o, "volCcy24h", vd_jnum(k.quote_volume));
  json_object_set_new(o, "vol24h", vd_jstep(k.volume, y->ins.lot));
  json_object_set_new(o, "sodUtc0", vd_jstep(k.open, y->ins.tick));
  json_object_set_new(o, "sodUtc8", vd_jstep(k.open, y->ins.tick));
  snprintf(t, sizeof t, "%" PRId64, now);
  json_object_set_new(o, "ts", json_string(t));
  return o;
}

static void h_ticker(req_ctx *c) {
  int s;
  if (inst_param(c, true, &s) < 0) return;
  json_t *d = json_array();
  if (d) json_array_append_new(d, vd_okx_ticker_obj(c->b, s, c->now));
  ok_data(c->resp, d);
}

/* ---- orders --------------------------------------------------------------------------------- */

static const char *ord_type(const vx_order *o) {
  if (o->type == CQ_ORDER_MARKET) return "market";
  switch (o->tif) {
    case CQ_TIF_POST_ONLY:
      return "post_only";
    case CQ_TIF_IOC:
      return "ioc";
    case CQ_TIF_FOK:
      return "fok";
    default:
      return "limit";
  }
}

static const char *state_name(cq_order_state s) {
  switch (s) {
    case CQ_OS_PARTIAL:
      return "partially_filled";
    case CQ_OS_FILLED:
      return "filled";
    case CQ_OS_CANCELLED:
    case CQ_OS_EXPIRED:
    case CQ_OS_REJECTED:
      return "canceled";
    default:
      return "live";
  }
}

static json_t *str_i64(int64_t v) {
  char t[32];
  snprintf(t, sizeof t, "%" PRId64, v);
  return json_string(t);
}

/* An order as trade/order and the orders channel show it; f: the fill that changed it. */
json_t *vd_okx_order_obj(const vm_market *m, const vx_order *o, const vx_fill *f) {
  json_t *j = json_object();
  if (!j) return NULL;
  char id[CQ_SYMBOL_MAX];
  vd_okx_inst_id(m, o->sym, id);
  const cq_instrument *ins = &m->syms[o->sym].ins;
  double filled = cq_dec_to_double(o->filled);
  double avg = filled > 0 ? cq_dec_to_double(o->quote) / filled : 0;
  json_object_set_new(j, "accFillSz", vd_jdec(o->filled));
  json_object_set_new(j, "avgPx", filled > 0 ? vd_jnum(avg) : json_string("0"));
  json_object_set_new(j, "cTime", str_i64(o->time_ms));
  json_object_set_new(j, "category", json_string("normal"));
  json_object_set_new(j, "ccy", json_string(""));
  json_object_set_new(j, "clOrdId", json_string(o->client_id));
  json_object_set_new(j, "fee", f ? vd_jdec(CQ_DEC(-f->fee.m, f->fee.scale)) : json_string("0"));
  json_object_set_new(j, "feeCcy", json_string(f ? f->fee_asset : ins->quote));
  json_object_set_new(j, "fillPx", f ? vd_jdec(f->price) : json_string(""));
  json_object_set_new(j, "fillSz", f ? vd_jdec(f->qty) : json_string("0"));
  json_object_set_new(j, "fillTime", f ? str_i64(f->time_ms) : json_string(""));
  json_object_set_new(j, "instId", json_string(id));
  json_object_set_new(j, "instType", json_string("SPOT"));
  json_object_set_new(j, "lever", json_string(""));
  json_object_set_new(j, "ordId", str_i64(o->id));
  json_object_set_new(j, "ordType", json_string(ord_type(o)));
  json_object_set_new(j, "pnl", json_string("0"));
  json_object_set_new(j, "posSide", json_string(""));
  json_object_set_new(j, "px", o->type == CQ_ORDER_MARKET ? json_string("") : vd_jdec(o->price));
  json_object_set_new(j, "rebate", json_string("0"));
  json_object_set_new(j, "rebateCcy", json_string(ins->quote));
  json_object_set_new(j, "reduceOnly", json_string("false"));
  json_object_set_new(j, "side", json_string(o->side == CQ_SIDE_SELL ? "sell" : "buy"));
  json_object_set_new(j, "source", json_string(""));
  json_object_set_new(j, "state", json_string(state_name(o->state)));
  json_object_set_new(j, "sz", vd_jdec(o->qty));
  json_object_set_new(j, "tag", json_string(""));
  json_object_set_new(j, "tdMode", json_string("cash"));
  json_object_set_new(j, "tgtCcy", json_string(o->type == CQ_ORDER_MARKET ? "base_ccy" : ""));
  json_object_set_new(j, "tradeId", f ? str_i64(f->trade_id) : json_string(""));
  json_object_set_new(j, "uTime", str_i64(o->update_ms));
  return j;
}

/* The sCode and sMsg of a refused order. */
static void reject_code(const vx_result *r, int *code, const char **msg) {
  switch (r->why) {
    case VX_BAD_SYMBOL:
      *code = 51001, *msg = "Instrument ID does not exist";
      break;
    case VX_FILTER:
      *code = !strcmp(r->filter, "LOT_SIZE")   ? 51121
              : !strcmp(r->filter, "NOTIONAL") ? 51020
                                               : 51006;
      *msg = r->msg;
      break;
    case VX_INSUFFICIENT:
      *code = 51008, *msg = "Order failed. Insufficient balance.";
      break;
    case VX_DUPLICATE:
      *code = 51016, *msg = "Duplicated clOrdId";
      break;
    case VX_NO_ORDER:
      *code = 51603, *msg = "Order does not exist";
      break;
    case VX_WOULD_TAKE:
      *code = 51019, *msg = "Order failed. The post_only order would take liquidity.";
      break;
    default:
      *code = 51000, *msg = r->msg;
      break;
  }
}

/* {"code":"0"|"1","msg":..,"data":[{clOrdId, ordId, tag, ts, sCode, sMsg}]} */
static void order_ack(req_ctx *c, const char *ord_id, const char *cid, int scode,
                      const char *smsg) {
  json_t *j = json_object(), *d = json_array(), *o = json_object();
  if (!j || !d || !o) {
    json_decref(j);
    json_decref(d);
    json_decref(o);
    vd_respond(c->resp, 500, NULL);
    return;
  }
  char sc[16];
  snprintf(sc, sizeof sc, "%d", scode);
  json_object_set_new(o, "clOrdId", json_string(cid));
  json_object_set_new(o, "ordId", json_string(ord_id));
  json_object_set_new(o, "tag", json_string(""));
  json_object_set_new(o, "ts", str_i64(c->now));
  json_object_set_new(o, "sCode", json_string(sc));
  json_object_set_new(o, "sMsg", json_string(smsg));
  json_array_append_new(d, o);
  json_object_set_new(j, "code", json_string(scode ? "1" : "0"));
  json_object_set_new(j, "msg", json_string(scode ? "All operations failed" : ""));
  json_object_set_new(j, "data", d);
  char t[32];
  snprintf(t, sizeof t, "%" PRId64, c->now * 1000);
  json_object_set_new(j, "inTime", json_string(t));
  json_object_set_new(j, "outTime", json_string(t));
  vd_respond(c->resp, 200, j);
}

static bool valid_cid(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 32) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
      return false;
  return true;
}

static int dec_param(req_ctx *c, const char *key, cq_dec *out) {
  char buf[64];
  *out = CQ_DEC(0, 0);
  if (!param(c, key, buf, sizeof buf)) return 0;
  for (const char *p = buf; *p; p++)
    if (!((*p >= '0' && *p <= '9') || *p == '.')) return bad_param(c, key);
  if (cq_dec_parse_cstr(buf, out, NULL)) return bad_param(c, key);
  return 1;
}

static void h_order(req_ctx *c) {
  vx_new_order r;
  memset(&r, 0, sizeof r);
  r.account = c->account;
  if (inst_param(c, true, &r.sym) < 0) return;
  char td[16], side[8], type[24], cid[48], tgt[16];
  if (!param(c, "tdMode", td, sizeof td)) {
    missing(c, "tdMode");
    return;
  }
  if (strcmp(td, "cash") != 0) { /* spot without margin */
    bad_param(c, "tdMode");
    return;
  }
  if (!param(c, "side", side, sizeof side)) {
    missing(c, "side");
    return;
  }
  if (!strcmp(side, "buy"))
    r.side = CQ_SIDE_BUY;
  else if (!strcmp(side, "sell"))
    r.side = CQ_SIDE_SELL;
  else {
    bad_param(c, "side");
    return;
  }
  if (!param(c, "ordType", type, sizeof type)) {
    missing(c, "ordType");
    return;
  }
  bool need_px = true;
  r.type = CQ_ORDER_LIMIT;
  if (!strcmp(type, "market")) {
    r.type = CQ_ORDER_MARKET;
    need_px = false;
  } else if (!strcmp(type, "limit"))
    r.tif = CQ_TIF_GTC;
  else if (!strcmp(type, "post_only"))
    r.tif = CQ_TIF_POST_ONLY;
  else if (!strcmp(type, "ioc"))
    r.tif = CQ_TIF_IOC;
  else if (!strcmp(type, "fok"))
    r.tif = CQ_TIF_FOK;
  else {
    bad_param(c, "ordType");
    return;
  }
  cq_dec sz;
  int hs = dec_param(c, "sz", &sz);
  if (hs < 0) return;
  if (!hs) {
    missing(c, "sz");
    return;
  }
  if (need_px) {
    int hp = dec_param(c, "px", &r.price);
    if (hp < 0) return;
    if (!hp) {
      missing(c, "px");
      return;
    }
  }
  /* a spot market buy's sz is quote currency unless tgtCcy says base_ccy */
  bool quote = r.type == CQ_ORDER_MARKET && r.side == CQ_SIDE_BUY;
  if (param(c, "tgtCcy", tgt, sizeof tgt)) {
    if (!strcmp(tgt, "base_ccy"))
      quote = false;
    else if (!strcmp(tgt, "quote_ccy"))
      quote = r.type == CQ_ORDER_MARKET;
    else {
      bad_param(c, "tgtCcy");
      return;
    }
  }
  if (quote)
    r.quote_qty = sz;
  else
    r.qty = sz;
  cid[0] = 0;
  if (param(c, "clOrdId", cid, sizeof cid) && !valid_cid(cid)) {
    bad_param(c, "clOrdId");
    return;
  }
  r.client_id = cid;
  vx_order o;
  vx_fill fills[64];
  size_t nf = 0;
  vx_result res;
  if (vx_place(c->b->ex, &r, c->now, &o, fills, 64, &nf, &res)) {
    if (c->b->counters) c->b->counters->orders_rejected++;
    int code;
    const char *msg;
    reject_code(&res, &code, &msg);
    order_ack(c, "", cid, code, msg);
    return;
  }
  if (c->b->counters) c->b->counters->orders_created++;
  char oid[32];
  snprintf(oid, sizeof oid, "%" PRId64, o.id);
  order_ack(c, oid, o.client_id, 0, "Order placed");
}

/* ordId or clOrdId: 0, or -1 answered. */
static int order_ref(req_ctx *c, int64_t *id, char *cid, size_t n) {
  char buf[48];
  *id = 0;
  cid[0] = 0;
  if (param(c, "ordId", buf, sizeof buf)) {
    char *end = NULL;
    long long v = strtoll(buf, &end, 10);
    if (*end || v <= 0) return bad_param(c, "ordId");
    *id = v;
  }
  if (param(c, "clOrdId", cid, n) && !valid_cid(cid)) return bad_param(c, "clOrdId");
  if (!*id && !cid[0]) return missing(c, "ordId or clOrdId");
  return 0;
}

static void h_cancel(req_ctx *c) {
  int s;
  if (inst_param(c, true, &s) < 0) return;
  int64_t id;
  char cid[48];
  if (order_ref(c, &id, cid, sizeof cid) < 0) return;
  vx_order o;
  vx_result res;
  if (vx_cancel(c->b->ex, c->account, s, id, id ? NULL : cid, c->now, &o, &res)) {
    /* an order that exists but is done answers "already filled or canceled" */
    vx_order q;
    vx_result r2;
    bool done = !vx_query(c->b->ex, c->account, s, id, id ? NULL : cid, &q, &r2);
    char oid[32] = "";
    if (done) snprintf(oid, sizeof oid, "%" PRId64, q.id);
    order_ack(c, oid, cid, done ? 51400 : 51603,
              done ? "Cancellation failed as the order has been filled, canceled or does not exist"
                   : "Order does not exist");
    return;
  }
  char oid[32];
  snprintf(oid, sizeof oid, "%" PRId64, o.id);
  order_ack(c, oid, o.client_id, 0, "");
}

static void h_get_order(req_ctx *c) {
  int s;
  if (inst_param(c, true, &s) < 0) return;
  int64_t id;
  char cid[48];
  if (order_ref(c, &id, cid, sizeof cid) < 0) return;
  vx_order o;
  vx_result res;
  if (vx_query(c->b->ex, c->account, s, id, id ? NULL : cid, &o, &res)) {
    ok_err(c->resp, 200, 51603, "Order does not exist");
    return;
  }
  json_t *d = json_array();
  if (d) json_array_append_new(d, vd_okx_order_obj(c->b->mkt, &o, NULL));
  ok_data(c->resp, d);
}

static void h_pending(req_ctx *c) {
  int s = -1;
  char type[16];
  if (param(c, "instType", type, sizeof type) && strcmp(type, "SPOT") != 0) {
    ok_data(c->resp, json_array());
    return;
  }
  if (inst_param(c, false, &s) < 0) return;
  vx_order *v = NULL;
  size_t n = 0;
  if (vx_open_orders(c->b->ex, c->account, s, &v, &n, NULL)) {
    ok_err(c->resp, 500, 50026, "System error");
    return;
  }
  json_t *d = json_array();
  for (size_t i = n; d && i-- > 0;) /* newest first */
    json_array_append_new(d, vd_okx_order_obj(c->b->mkt, &v[i], NULL));
  free(v);
  ok_data(c->resp, d);
}

json_t *vd_okx_balance_detail(const vx_balance *b, int64_t upd) {
  json_t *x = json_object();
  if (!x) return NULL;
  cq_dec total = CQ_DEC(0, 0);
  if (cq_dec_add(b->free, b->locked, &total, NULL)) total = b->free;
  json_object_set_new(x, "availBal", vd_jdec(b->free));
  json_object_set_new(x, "availEq", vd_jdec(b->free));
  json_object_set_new(x, "cashBal", vd_jdec(total));
  json_object_set_new(x, "ccy", json_string(b->asset));
  json_object_set_new(x, "eq", vd_jdec(total));
  json_object_set_new(x, "frozenBal", vd_jdec(b->locked));
  json_object_set_new(x, "ordFrozen", vd_jdec(b->locked));
  json_object_set_new(x, "uTime", str_i64(upd));
  return x;
}

static void h_balance(req_ctx *c) {
  vx_balance *v = NULL;
  size_t n = 0;
  int64_t upd = 0;
  if (vx_balances(c->b->ex, c->account, &v, &n, &upd, NULL)) {
    ok_err(c->resp, 500, 50026, "System error");
    return;
  }
  char want[256] = "";
  param(c, "ccy", want, sizeof want);
  json_t *d = json_array(), *a = json_object(), *det = json_array();
  if (!d || !a || !det) {
    json_decref(d);
    json_decref(a);
    json_decref(det);
    free(v);
    ok_err(c->resp, 500, 50026, "System error");
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (want[0]) { /* "BTC,USDT" */
      bool hit = false;
      char tmp[256];
      snprintf(tmp, sizeof tmp, "%s", want);
      char *save = NULL;
      for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (!strcmp(t, v[i].asset)) hit = true;
      if (!hit) continue;
    }
    json_array_append_new(det, vd_okx_balance_detail(&v[i], upd));
  }
  free(v);
  json_object_set_new(a, "details", det);
  json_object_set_new(a, "totalEq", json_string(""));
  json_object_set_new(a, "uTime", str_i64(upd ? upd : c->now));
  json_array_append_new(d, a);
  ok_data(c->resp, d);
}

/* The symbols a request names (instId) or all of them: sel[i]; -1 answered. */
static int inst_sel(req_ctx *c, bool *sel) {
  int s;
  if (inst_param(c, false, &s) < 0) return -1;
  for (size_t i = 0; i < c->b->mkt->nsyms; i++) sel[i] = s < 0 || (int)i == s;
  return 0;
}

static int cmp_trade_desc(const void *a, const void *b) {
  const vx_mytrade *x = a, *y = b;
  return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

/* trade/fills: the account's fills of the last days, newest first; ordId narrows them. */
static void h_fills(req_ctx *c) {
  char type[16];
  if (param(c, "instType", type, sizeof type) && strcmp(type, "SPOT") != 0) {
    ok_data(c->resp, json_array());
    return;
  }
  bool sel[VSIM_MAX_SYMBOLS];
  if (inst_sel(c, sel) < 0) return;
  int64_t limit, ord_id;
  if (int_param(c, "limit", 100, &limit) < 0 || int_param(c, "ordId", 0, &ord_id) < 0) return;
  if (limit <= 0 || limit > 100) limit = 100;
  vx_mytrade *all = NULL;
  size_t nall = 0;
  for (size_t i = 0; i < c->b->mkt->nsyms; i++) {
    if (!sel[i]) continue;
    vx_mytrade *v = NULL;
    size_t n = 0;
    if (vx_my_trades(c->b->ex, c->account, (int)i, ord_id, -1, 0, 0, (size_t)limit, &v, &n, NULL)) {
      free(all);
      ok_err(c->resp, 500, 50026, "System error");
      return;
    }
    vx_mytrade *w = realloc(all, (nall + n + 1) * sizeof *w);
    if (!w) {
      free(v);
      free(all);
      ok_err(c->resp, 500, 50026, "System error");
      return;
    }
    all = w;
    if (n) memcpy(all + nall, v, n * sizeof *v);
    nall += n;
    free(v);
  }
  if (nall) qsort(all, nall, sizeof *all, cmp_trade_desc);
  json_t *d = json_array();
  for (size_t i = 0; d && i < nall && i < (size_t)limit; i++) {
    const vx_mytrade *t = &all[i];
    vx_order o;
    vx_result res;
    bool have = !vx_query(c->b->ex, c->account, t->sym, t->order_id, NULL, &o, &res);
    json_t *x = json_object();
    if (!x) break;
    char id[CQ_SYMBOL_MAX];
    vd_okx_inst_id(c->b->mkt, t->sym, id);
    json_object_set_new(x, "instType", json_string("SPOT"));
    json_object_set_new(x, "instId", json_string(id));
    json_object_set_new(x, "tradeId", str_i64(t->f.trade_id));
    json_object_set_new(x, "ordId", str_i64(t->order_id));
    json_object_set_new(x, "clOrdId", json_string(have ? o.client_id : ""));
    json_object_set_new(x, "billId", str_i64(t->id));
    json_object_set_new(x, "subType", json_string(t->side == CQ_SIDE_SELL ? "2" : "1"));
    json_object_set_new(x, "tag", json_string(""));
    json_object_set_new(x, "fillPx", vd_jdec(t->f.price));
    json_object_set_new(x, "fillSz", vd_jdec(t->f.qty));
    json_object_set_new(x, "side", json_string(t->side == CQ_SIDE_SELL ? "sell" : "buy"));
    json_object_set_new(x, "posSide", json_string("net"));
    json_object_set_new(x, "execType", json_string(t->f.maker ? "M" : "T"));
    json_object_set_new(x, "feeCcy", json_string(t->f.fee_asset));
    json_object_set_new(x, "fee", vd_jdec(CQ_DEC(-t->f.fee.m, t->f.fee.scale)));
    json_object_set_new(x, "ts", str_i64(t->f.time_ms));
    json_object_set_new(x, "fillTime", str_i64(t->f.time_ms));
    json_array_append_new(d, x);
  }
  free(all);
  ok_data(c->resp, d);
}

static int cmp_order_desc(const void *a, const void *b) {
  const vx_order *x = a, *y = b;
  return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

/* trade/orders-history: finished orders (filled, canceled), newest first. */
static void h_orders_history(req_ctx *c) {
  char type[16];
  if (!param(c, "instType", type, sizeof type)) {
    missing(c, "instType");
    return;
  }
  if (strcmp(type, "SPOT") != 0) {
    ok_data(c->resp, json_array());
    return;
  }
  bool sel[VSIM_MAX_SYMBOLS];
  if (inst_sel(c, sel) < 0) return;
  int64_t limit;
  if (int_param(c, "limit", 100, &limit) < 0) return;
  if (limit <= 0 || limit > 100) limit = 100;
  vx_order *all = NULL;
  size_t nall = 0;
  for (size_t i = 0; i < c->b->mkt->nsyms; i++) {
    if (!sel[i]) continue;
    vx_order *v = NULL;
    size_t n = 0;
    if (vx_all_orders(c->b->ex, c->account, (int)i, 0, 0, 0, 1000, &v, &n, NULL)) {
      free(all);
      ok_err(c->resp, 500, 50026, "System error");
      return;
    }
    vx_order *w = realloc(all, (nall + n + 1) * sizeof *w);
    if (!w) {
      free(v);
      free(all);
      ok_err(c->resp, 500, 50026, "System error");
      return;
    }
    all = w;
    for (size_t k = 0; k < n; k++)
      if (cq_order_state_terminal(v[k].state)) all[nall++] = v[k];
    free(v);
  }
  if (nall) qsort(all, nall, sizeof *all, cmp_order_desc);
  json_t *d = json_array();
  for (size_t i = 0; d && i < nall && i < (size_t)limit; i++)
    json_array_append_new(d, vd_okx_order_obj(c->b->mkt, &all[i], NULL));
  free(all);
  ok_data(c->resp, d);
}

/* ---- routing ------------------------------------------------------------------------------- */

typedef struct route {
  const char *method, *path;
  bool auth, order;
  void (*fn)(req_ctx *c);
} route;

static const route routes[] = {
    {"GET", "/api/v5/public/time", false, false, h_time},
    {"GET", "/api/v5/public/instruments", false, false, h_instruments},
    {"GET", "/api/v5/market/candles", false, false, h_candles},
    {"GET", "/api/v5/market/history-candles", false, false, h_history_candles},
    {"GET", "/api/v5/market/trades", false, false, h_trades},
    {"GET", "/api/v5/market/history-trades", false, false, h_history_trades},
    {"GET", "/api/v5/market/books", false, false, h_books},
    {"GET", "/api/v5/market/ticker", false, false, h_ticker},
    {"POST", "/api/v5/trade/order", true, true, h_order},
    {"POST", "/api/v5/trade/cancel-order", true, false, h_cancel},
    {"GET", "/api/v5/trade/order", true, false, h_get_order},
    {"GET", "/api/v5/trade/orders-pending", true, false, h_pending},
    {"GET", "/api/v5/trade/fills", true, false, h_fills},
    {"GET", "/api/v5/trade/orders-history", true, false, h_orders_history},
    {"GET", "/api/v5/account/balance", true, false, h_balance},
};

void vd_okx_http(vd_binance *b, const vd_request *req, int64_t now, vd_response *resp) {
  memset(resp, 0, sizeof *resp);
  vd_request fixed = *req;
  if (!fixed.query) fixed.query = "";
  if (!fixed.body) fixed.body = "";
  req_ctx c = {.b = b, .req = &fixed, .resp = resp, .now = now, .account = -1};
  vd_count_path(b->counters, req->method, req->path);
  vf_verdict v;
  vf_on_request(b->faults, req->path, now, &v);
  resp->delay_ms = v.delay_ms;
  if (v.status == 429 || v.status == 418) { /* OKX answers both with 50011 */
    vd_add_header(resp, "Retry-After: %" PRId64, (v.retry_after_ms + 999) / 1000);
    ok_err(resp, 429, 50011, "Too Many Requests");
    if (b->counters) {
      if (v.status == 418)
        b->counters->banned++;
      else
        b->counters->rate_limited++;
    }
    return;
  }
  if (v.status >= 500) {
    ok_err(resp, v.status, 50001, "Service temporarily unavailable. Please try again later.");
    return;
  }
  const route *r = NULL;
  bool known = false;
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
    if (!strcmp(routes[i].path, req->path)) {
      known = true;
      if (!strcmp(routes[i].method, req->method)) r = &routes[i];
    }
  if (!r) {
    ok_err(resp, known ? 405 : 404, 50000, known ? "Method Not Allowed" : "Not Found");
    return;
  }
  int64_t wait = 0;
  int lim = vd_limit_take(&b->lim, now, r->order, &wait);
  if (lim != VD_LIMIT_OK) { /* OKX has no ban code: a longer Retry-After */
    vd_add_header(resp, "Retry-After: %" PRId64, (wait + 999) / 1000);
    ok_err(resp, 429, 50011, "Too Many Requests");
    if (b->counters) {
      if (lim == VD_LIMIT_BANNED)
        b->counters->banned++;
      else
        b->counters->rate_limited++;
    }
    return;
  }
  if (r->auth && authenticate(&c) < 0) return;
  if (!strcmp(req->method, "POST")) {
    json_error_t je;
    c.body = fixed.body[0] ? json_loads(fixed.body, 0, &je) : NULL;
    if (!json_is_object(c.body)) {
      json_decref(c.body);
      ok_err(resp, 400, fixed.body[0] ? 50002 : 50000,
             fixed.body[0] ? "Json data format error" : "Body can not be empty");
      return;
    }
  }
  r->fn(&c);
  json_decref(c.body);
  if (r->order && resp->status == 200 && v.drop_if_order && strstr(resp->body, "\"sCode\":\"0\"")) {
    resp->drop = true;
    vf_order_lost(b->faults);
    if (b->counters) b->counters->responses_dropped++;
  }
}
