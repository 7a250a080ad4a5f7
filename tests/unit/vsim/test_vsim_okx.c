/* The simulator's OKX dialect without sockets: every answer decodes with the OKX codec (which
 * was written against the venue's recorded payloads), candle paging by after / before
 * (newest first), signing and its error codes, the order lifecycle by clOrdId, and the
 * faults in OKX's words. The clock is pinned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/vsim.h"
#include "okx.h"

#define KEY "okxkey"
#define SECRET "okxsecret"
#define PASS "okxpass"
#define T0 INT64_C(1735732800000) /* 2025-01-01T12:00:00Z */
#define MIN_MS INT64_C(60000)
#define HOUR_MS INT64_C(3600000)

typedef struct answer {
  int status;
  char *body;
  size_t len;
  bool drop;
} answer;

static cq_vsim *make(void) {
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  static const cq_vsim_account acc[] = {{KEY, SECRET, "USDT=10000,BTC=1"}};
  o.dialect = "okx";
  o.accounts = acc;
  o.naccounts = 1;
  o.market = "synthetic:7";
  o.passphrase = PASS;
  o.gaps[0].from_ms = T0 - 6 * HOUR_MS;
  o.gaps[0].to_ms = T0 - 4 * HOUR_MS;
  o.ngaps = 1;
  cq_vsim *s = NULL;
  cq_error err;
  if (cq_vsim_new(&o, &s, &err)) fail_msg("%s", err.msg);
  cq_vsim_set_clock(s, T0 + 30000);
  return s;
}

static answer call_h(cq_vsim *s, const char *method, const char *path, const char *query,
                     const char *body, const char *headers) {
  cq_srv_response r;
  cq_vsim_handle_headers(s, method, path, query, body, headers, &r);
  answer a = {.status = r.status, .body = r.body, .len = r.body_len, .drop = r.drop};
  free(r.headers);
  if (!a.body) a.body = strdup("");
  return a;
}

static answer get(cq_vsim *s, const char *path, const char *query) {
  return call_h(s, "GET", path, query, "", NULL);
}

/* A signed request at ts_ms with the given secret. */
static answer signed_at(cq_vsim *s, const char *method, const char *path, const char *query,
                        const char *body, int64_t ts_ms, const char *secret) {
  char ts[32], sign[45], rp[512], h[1024];
  cq_okx_timestamp(ts_ms * CQ_NS_PER_MS, ts);
  snprintf(rp, sizeof rp, "%s%s%s", path, query[0] ? "?" : "", query);
  cq_error err;
  if (cq_okx_sign(secret, ts, method, rp, body, sign, &err)) fail_msg("%s", err.msg);
  snprintf(h, sizeof h,
           "OK-ACCESS-KEY: %s\r\nOK-ACCESS-SIGN: %s\r\nOK-ACCESS-TIMESTAMP: %s\r\n"
           "OK-ACCESS-PASSPHRASE: %s\r\n",
           KEY, sign, ts, PASS);
  return call_h(s, method, path, query, body, h);
}

static answer sgn(cq_vsim *s, const char *method, const char *path, const char *query,
                  const char *body) {
  return signed_at(s, method, path, query, body, cq_vsim_now_ms(s), SECRET);
}

/* The error an answer carries, as the codec reads it. */
static cq_verr err_class(const answer *a, int *code) {
  cq_verror ve;
  cq_verror_clear(&ve);
  (void)cq_okx_decode_error(a->status, a->body, a->len, &ve);
  if (code) *code = ve.venue_code;
  return ve.cls;
}

static void t_public(void **state) {
  (void)state;
  cq_vsim *s = make();
  cq_error err;
  answer a = get(s, "/api/v5/public/time", "");
  assert_int_equal(a.status, 200);
  assert_non_null(strstr(a.body, "\"ts\":\"1735732830000\""));
  free(a.body);
  a = get(s, "/api/v5/public/instruments", "instType=SPOT");
  cq_instrument *ins = NULL;
  size_t n = 0;
  if (cq_okx_parse_instruments(a.body, a.len, &ins, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(n, 2);
  assert_string_equal(ins[0].symbol, "BTC/USDT");
  assert_string_equal(ins[0].native, "BTC-USDT");
  assert_true(cq_dec_eq(ins[0].tick, CQ_DEC(1, 2)));
  assert_true(cq_dec_eq(ins[0].lot, CQ_DEC(1, 5)));
  free(ins);
  /* candles: newest first, the forming one on top */
  a = get(s, "/api/v5/market/candles", "instId=BTC-USDT&bar=1m&limit=3");
  cq_candles c;
  cq_candles_init(&c, 0);
  if (cq_okx_parse_candles(a.body, a.len, &c, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(c.len, 3);
  assert_int_equal(c.open_time[2], T0 * CQ_NS_PER_MS);
  assert_false(c.closed[2]);
  assert_true(c.closed[1]);
  assert_true(c.volume[0] > 0);
  cq_candles_clear(&c);
  /* history-candles paging back with after: rows older than it, adjacent pages */
  char q[256];
  snprintf(q, sizeof q, "instId=BTC-USDT&bar=1H&after=%lld&limit=100", (long long)T0);
  a = get(s, "/api/v5/market/history-candles", q);
  if (cq_okx_parse_candles(a.body, a.len, &c, &err)) fail_msg("%s", err.msg);
  free(a.body);
  /* 100 rows: the two hours of the maintenance gap are passed over, not counted */
  assert_int_equal(c.len, 100);
  assert_int_equal(c.open_time[c.len - 1], (T0 - HOUR_MS) * CQ_NS_PER_MS);
  int64_t oldest = c.open_time[0] / CQ_NS_PER_MS;
  cq_candles_clear(&c);
  snprintf(q, sizeof q, "instId=BTC-USDT&bar=1H&after=%lld&limit=5", (long long)oldest);
  a = get(s, "/api/v5/market/history-candles", q);
  if (cq_okx_parse_candles(a.body, a.len, &c, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(c.len, 5);
  assert_int_equal(c.open_time[4] / CQ_NS_PER_MS, oldest - HOUR_MS);
  cq_candles_clear(&c);
  /* market/candles keeps the latest 1440 bars; history-candles goes back to the listing
   * (2017-01-01) and no further */
  snprintf(q, sizeof q, "instId=BTC-USDT&bar=1m&after=%lld", (long long)(T0 - 2000 * MIN_MS));
  a = get(s, "/api/v5/market/candles", q);
  if (cq_okx_parse_candles(a.body, a.len, &c, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(c.len, 0);
  a = get(s, "/api/v5/market/history-candles", q);
  if (cq_okx_parse_candles(a.body, a.len, &c, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(c.len, 100);
  cq_candles_clear(&c);
  a = get(s, "/api/v5/market/history-candles",
          "instId=BTC-USDT&bar=1H&after=1483239600000"); /* listing + 3 h */
  if (cq_okx_parse_candles(a.body, a.len, &c, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(c.len, 3);
  assert_int_equal(c.open_time[0], INT64_C(1483228800000) * CQ_NS_PER_MS);
  cq_candles_clear(&c);
  /* before: only rows newer than it */
  snprintf(q, sizeof q, "instId=BTC-USDT&bar=1m&before=%lld", (long long)(T0 - 3 * MIN_MS));
  a = get(s, "/api/v5/market/candles", q);
  if (cq_okx_parse_candles(a.body, a.len, &c, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(c.len, 3);
  cq_candles_release(&c);
  /* a bar OKX does not have */
  a = get(s, "/api/v5/market/candles", "instId=BTC-USDT&bar=7m");
  int code = 0;
  assert_int_equal(err_class(&a, &code), CQ_VERR_BAD_REQUEST);
  assert_int_equal(code, 51000);
  free(a.body);
  /* trades, books, ticker */
  a = get(s, "/api/v5/market/trades", "instId=BTC-USDT&limit=7");
  cq_trades tr;
  cq_trades_init(&tr, 0);
  if (cq_okx_parse_trades(a.body, a.len, &tr, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(tr.len, 7);
  assert_true(tr.time[0] <= tr.time[6]);
  cq_trades_release(&tr);
  /* history-trades paging back by trade id: adjacent pages, no trade twice */
  char tq[256];
  assert_true(cq_okx_trades_query("BTC-USDT", -1, 100, tq, sizeof tq, &err) > 0);
  a = get(s, "/api/v5/market/history-trades", tq);
  cq_trades_init(&tr, 0);
  if (cq_okx_parse_trades(a.body, a.len, &tr, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(tr.len, 100);
  long long oldest_id = strtoll(tr.id[0], NULL, 10), newest_id = strtoll(tr.id[99], NULL, 10);
  assert_true(oldest_id < newest_id);
  cq_trades_clear(&tr);
  assert_true(cq_okx_trades_query("BTC-USDT", oldest_id, 100, tq, sizeof tq, &err) > 0);
  a = get(s, "/api/v5/market/history-trades", tq);
  if (cq_okx_parse_trades(a.body, a.len, &tr, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(tr.len, 100);
  assert_true(strtoll(tr.id[99], NULL, 10) < oldest_id);
  cq_trades_release(&tr);
  a = get(s, "/api/v5/market/books", "instId=ETH-USDT&sz=20");
  cq_l2book *b;
  assert_int_equal(cq_l2book_new(400, &b, NULL), CQ_OK);
  if (cq_okx_parse_book(a.body, a.len, b, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_true(cq_l2book_valid(b));
  assert_int_equal(cq_l2book_depth(b, CQ_SIDE_SELL), 20);
  cq_l2book_free(b);
  a = get(s, "/api/v5/market/ticker", "instId=BTC-USDT");
  cq_ticker tk;
  char native[CQ_SYMBOL_MAX];
  if (cq_okx_parse_ticker(a.body, a.len, native, &tk, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_string_equal(native, "BTC-USDT");
  assert_true(cq_dec_cmp(tk.ask, tk.bid) > 0);
  a = get(s, "/api/v5/market/ticker", "instId=DOGE-USDT");
  assert_int_equal(err_class(&a, &code), CQ_VERR_BAD_REQUEST);
  assert_int_equal(code, 51001);
  free(a.body);
  cq_vsim_free(s);
}

static void t_auth(void **state) {
  (void)state;
  cq_vsim *s = make();
  int code = 0;
  answer a = sgn(s, "GET", "/api/v5/account/balance", "", "");
  assert_int_equal(a.status, 200);
  cq_balance *bal = NULL;
  size_t n = 0;
  cq_error err;
  if (cq_okx_parse_balances(a.body, a.len, &bal, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(n, 2);
  bool usdt = false;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(bal[i].asset, "USDT")) usdt = cq_dec_eq(bal[i].free, CQ_DEC(10000, 0));
  assert_true(usdt);
  free(bal);
  /* a wrong secret */
  a = signed_at(s, "GET", "/api/v5/account/balance", "", "", cq_vsim_now_ms(s), "nope");
  assert_int_equal(a.status, 401);
  assert_int_equal(err_class(&a, &code), CQ_VERR_AUTH);
  assert_int_equal(code, 50113);
  free(a.body);
  /* a timestamp a minute old */
  a = signed_at(s, "GET", "/api/v5/account/balance", "", "", cq_vsim_now_ms(s) - MIN_MS, SECRET);
  assert_int_equal(err_class(&a, &code), CQ_VERR_TIMESTAMP);
  assert_int_equal(code, 50102);
  free(a.body);
  /* a timestamp that is not ISO 8601 */
  a = call_h(s, "GET", "/api/v5/account/balance", "", "",
             "OK-ACCESS-KEY: okxkey\r\nOK-ACCESS-SIGN: x\r\nOK-ACCESS-TIMESTAMP: 12345\r\n"
             "OK-ACCESS-PASSPHRASE: okxpass\r\n");
  assert_int_equal(err_class(&a, &code), CQ_VERR_TIMESTAMP);
  assert_int_equal(code, 50112);
  free(a.body);
  /* no key */
  a = get(s, "/api/v5/account/balance", "");
  assert_int_equal(err_class(&a, &code), CQ_VERR_AUTH);
  assert_int_equal(code, 50103);
  free(a.body);
  cq_vsim_free(s);
}

static void t_orders(void **state) {
  (void)state;
  cq_vsim *s = make();
  cq_error err;
  cq_verror ve;
  /* a resting buy well under the market, encoded by the codec */
  char inst[] = "BTC-USDT", body[1024];
  answer a = get(s, "/api/v5/market/ticker", "instId=BTC-USDT");
  cq_ticker tk;
  if (cq_okx_parse_ticker(a.body, a.len, NULL, &tk, &err)) fail_msg("%s", err.msg);
  free(a.body);
  cq_venue_order_req rq;
  memset(&rq, 0, sizeof rq);
  snprintf(rq.symbol, sizeof rq.symbol, "BTC/USDT");
  snprintf(rq.client_id, sizeof rq.client_id, "abc123");
  rq.side = CQ_SIDE_BUY;
  rq.type = CQ_ORDER_LIMIT;
  rq.tif = CQ_TIF_GTC;
  rq.qty = CQ_DEC(1, 3);
  double px = cq_dec_to_double(tk.bid) * 0.9;
  rq.price = CQ_DEC((int64_t)(px * 100), 2);
  if (cq_okx_encode_order(&rq, inst, body, sizeof body, &err) < 0) fail_msg("%s", err.msg);
  a = sgn(s, "POST", "/api/v5/trade/order", "", body);
  cq_okx_ack ack;
  cq_verror_clear(&ve);
  if (cq_okx_parse_ack(a.body, a.len, &ack, &ve)) fail_msg("%s", ve.e.msg);
  free(a.body);
  assert_string_equal(ack.client_id, "abc123");
  assert_true(ack.venue_id[0] != 0);
  assert_int_equal(cq_vsim_orders_with_client_id(s, "abc123"), 1);
  /* the same client id again while it is open */
  a = sgn(s, "POST", "/api/v5/trade/order", "", body);
  cq_verror_clear(&ve);
  assert_true(cq_okx_parse_ack(a.body, a.len, &ack, &ve) < 0);
  assert_int_equal(ve.venue_code, 51016);
  free(a.body);
  /* query by client id */
  char q[256];
  if (cq_okx_order_query(inst, "abc123", q, sizeof q, &err) < 0) fail_msg("%s", err.msg);
  a = sgn(s, "GET", "/api/v5/trade/order", q, "");
  cq_venue_order *ord = NULL;
  size_t n = 0;
  if (cq_okx_parse_orders(a.body, a.len, &ord, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(n, 1);
  assert_int_equal(ord[0].state, CQ_OS_ACCEPTED);
  assert_string_equal(ord[0].symbol, "BTC/USDT");
  assert_true(cq_dec_eq(ord[0].qty, CQ_DEC(1, 3)));
  free(ord);
  /* pending */
  a = sgn(s, "GET", "/api/v5/trade/orders-pending", "instType=SPOT", "");
  if (cq_okx_parse_orders(a.body, a.len, &ord, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(n, 1);
  free(ord);
  /* the balance holds the locked quote */
  a = sgn(s, "GET", "/api/v5/account/balance", "ccy=USDT", "");
  cq_balance *bal = NULL;
  if (cq_okx_parse_balances(a.body, a.len, &bal, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(n, 1);
  assert_true(cq_dec_sign(bal[0].locked) > 0);
  free(bal);
  /* cancel by client id, then the query says canceled */
  if (cq_okx_encode_cancel(inst, "abc123", body, sizeof body, &err) < 0) fail_msg("%s", err.msg);
  a = sgn(s, "POST", "/api/v5/trade/cancel-order", "", body);
  cq_verror_clear(&ve);
  if (cq_okx_parse_ack(a.body, a.len, &ack, &ve)) fail_msg("%s", ve.e.msg);
  free(a.body);
  a = sgn(s, "GET", "/api/v5/trade/order", q, "");
  if (cq_okx_parse_orders(a.body, a.len, &ord, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(ord[0].state, CQ_OS_CANCELLED);
  free(ord);
  /* an unknown client id: not found */
  if (cq_okx_order_query(inst, "nosuch", q, sizeof q, &err) < 0) fail_msg("%s", err.msg);
  a = sgn(s, "GET", "/api/v5/trade/order", q, "");
  int code = 0;
  assert_int_equal(err_class(&a, &code), CQ_VERR_NOT_FOUND);
  assert_int_equal(code, 51603);
  free(a.body);
  /* a market buy that fills at once */
  memset(&rq, 0, sizeof rq);
  snprintf(rq.symbol, sizeof rq.symbol, "BTC/USDT");
  snprintf(rq.client_id, sizeof rq.client_id, "mkt1");
  rq.side = CQ_SIDE_BUY;
  rq.type = CQ_ORDER_MARKET;
  rq.qty = CQ_DEC(2, 3);
  if (cq_okx_encode_order(&rq, inst, body, sizeof body, &err) < 0) fail_msg("%s", err.msg);
  a = sgn(s, "POST", "/api/v5/trade/order", "", body);
  cq_verror_clear(&ve);
  if (cq_okx_parse_ack(a.body, a.len, &ack, &ve)) fail_msg("%s", ve.e.msg);
  free(a.body);
  if (cq_okx_order_query(inst, "mkt1", q, sizeof q, &err) < 0) fail_msg("%s", err.msg);
  a = sgn(s, "GET", "/api/v5/trade/order", q, "");
  if (cq_okx_parse_orders(a.body, a.len, &ord, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(ord[0].state, CQ_OS_FILLED);
  assert_true(cq_dec_eq(ord[0].filled, CQ_DEC(2, 3)));
  assert_true(cq_dec_sign(ord[0].filled_quote) > 0);
  free(ord);
  /* too much: insufficient */
  memset(&rq, 0, sizeof rq);
  snprintf(rq.symbol, sizeof rq.symbol, "BTC/USDT");
  snprintf(rq.client_id, sizeof rq.client_id, "big1");
  rq.side = CQ_SIDE_SELL;
  rq.type = CQ_ORDER_MARKET;
  rq.qty = CQ_DEC(50, 0);
  if (cq_okx_encode_order(&rq, inst, body, sizeof body, &err) < 0) fail_msg("%s", err.msg);
  a = sgn(s, "POST", "/api/v5/trade/order", "", body);
  cq_verror_clear(&ve);
  assert_true(cq_okx_parse_ack(a.body, a.len, &ack, &ve) < 0);
  assert_int_equal(ve.cls, CQ_VERR_INSUFFICIENT);
  free(a.body);
  /* the market buy's fills, and the finished orders */
  a = sgn(s, "GET", "/api/v5/trade/fills", "instType=SPOT&instId=BTC-USDT", "");
  cq_venue_fill *fl = NULL;
  if (cq_okx_parse_fills(a.body, a.len, &fl, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_true(n >= 1);
  assert_string_equal(fl[0].client_id, "mkt1");
  assert_true(cq_dec_sign(fl[0].fee) > 0);
  cq_dec sum = CQ_DEC(0, 0);
  for (size_t i = 0; i < n; i++) assert_int_equal(cq_dec_add(sum, fl[i].qty, &sum, NULL), CQ_OK);
  assert_true(cq_dec_eq(sum, CQ_DEC(2, 3)));
  free(fl);
  a = sgn(s, "GET", "/api/v5/trade/orders-history", "instType=SPOT", "");
  if (cq_okx_parse_orders(a.body, a.len, &ord, &n, &err)) fail_msg("%s", err.msg);
  free(a.body);
  assert_int_equal(n, 2); /* the market buy, the cancelled limit */
  assert_string_equal(ord[0].client_id, "mkt1");
  free(ord);
  cq_vsim_free(s);
}

static void t_faults(void **state) {
  (void)state;
  cq_vsim *s = make();
  cq_error err;
  cq_vsim_fault_spec f;
  assert_int_equal(cq_vsim_fault_parse("429:1", &f, &err), CQ_OK);
  assert_int_equal(cq_vsim_fault(s, &f, &err), CQ_OK);
  answer a = get(s, "/api/v5/public/time", "");
  int code = 0;
  assert_int_equal(a.status, 429);
  assert_int_equal(err_class(&a, &code), CQ_VERR_RATE_LIMITED);
  assert_int_equal(code, 50011);
  free(a.body);
  a = get(s, "/api/v5/public/time", "");
  assert_int_equal(a.status, 200);
  free(a.body);
  assert_int_equal(cq_vsim_fault_parse("5xx:1", &f, &err), CQ_OK);
  assert_int_equal(cq_vsim_fault(s, &f, &err), CQ_OK);
  a = get(s, "/api/v5/public/time", "");
  assert_int_equal(a.status, 503);
  assert_int_equal(err_class(&a, NULL), CQ_VERR_UNKNOWN_OUTCOME);
  free(a.body);
  /* a lost order answer: the order is there */
  assert_int_equal(cq_vsim_fault_parse("lose_order:1", &f, &err), CQ_OK);
  assert_int_equal(cq_vsim_fault(s, &f, &err), CQ_OK);
  a = sgn(s, "POST", "/api/v5/trade/order", "",
          "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"clOrdId\":\"lost1\",\"side\":\"buy\","
          "\"ordType\":\"limit\",\"sz\":\"0.001\",\"px\":\"30000\"}");
  assert_true(a.drop);
  free(a.body);
  assert_int_equal(cq_vsim_orders_with_client_id(s, "lost1"), 1);
  /* the server's clock a minute ahead: a request signed by ours is out of its window */
  assert_int_equal(cq_vsim_fault_parse("time_offset:60000", &f, &err), CQ_OK);
  assert_int_equal(cq_vsim_fault(s, &f, &err), CQ_OK);
  a = signed_at(s, "GET", "/api/v5/account/balance", "", "", T0 + 30000, SECRET);
  int tcode = 0;
  assert_int_equal(err_class(&a, &tcode), CQ_VERR_TIMESTAMP);
  assert_int_equal(tcode, 50102);
  free(a.body);
  cq_vsim_counters k;
  cq_vsim_counters_get(s, &k);
  assert_int_equal(k.rate_limited, 1);
  assert_int_equal(k.responses_dropped, 1);
  assert_int_equal(cq_vsim_requests_on(s, "/api/v5/public/time"), 3);
  cq_vsim_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(t_public),
      cmocka_unit_test(t_auth),
      cmocka_unit_test(t_orders),
      cmocka_unit_test(t_faults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
