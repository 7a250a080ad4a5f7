/* The OKX and Bybit streams (and Binance's ticker) against a scripted local venue: subscriptions
 * sent on connect, the private login / auth before the user subscriptions, trades and quotes and
 * order events in cquant's words, a book synchronized from a snapshot and its updates, a sequence
 * break that makes the book invalid and resubscribes (the venue then sends a new snapshot),
 * and the text keep-alive when idle.
 *
 * Waits have deadlines but nothing asserts a duration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cquant/venue.h"
#include "fake_venue.h"

enum { WAIT_MS = 15000 };

static void sleep_ms(int64_t ms) {
  struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- what the handler saw ---------------------------------------------------------------- */

typedef struct seen {
  pthread_mutex_t mu;
  const char *venue;
  int kinds[8];
  int synced, invalid, connected;
  int books;
  double best_bid, best_ask;
  char trade_symbol[CQ_SYMBOL_MAX];
  char order_client[CQ_CLIENT_ID_MAX];
  cq_order_state order_state;
  char order_symbol[CQ_SYMBOL_MAX];
  cq_dec quote_bid;
  cq_venue_event ticker; /* the last ticker event */
  char bad[160];
} seen;

static void on_event(void *ctx, const cq_venue_event *ev) {
  seen *s = ctx;
  pthread_mutex_lock(&s->mu);
  if ((unsigned)ev->kind < 8) s->kinds[ev->kind]++;
  if (strcmp(ev->venue, s->venue) != 0 && !*s->bad)
    snprintf(s->bad, sizeof s->bad, "venue \"%s\"", ev->venue);
  switch (ev->kind) {
    case CQ_VEV_TRADE:
      snprintf(s->trade_symbol, sizeof s->trade_symbol, "%s", ev->symbol);
      break;
    case CQ_VEV_QUOTE:
      s->quote_bid = ev->u.quote.bid;
      break;
    case CQ_VEV_TICKER:
      s->ticker = *ev;
      break;
    case CQ_VEV_BOOK: {
      s->books++;
      cq_book_snapshot top;
      memset(&top, 0, sizeof top);
      cq_dec p, q;
      if (cq_l2book_level(ev->u.book, CQ_SIDE_BUY, 0, &p, &q)) s->best_bid = cq_dec_to_double(p);
      if (cq_l2book_level(ev->u.book, CQ_SIDE_SELL, 0, &p, &q)) s->best_ask = cq_dec_to_double(p);
      if (strcmp(ev->symbol, "BTC/USDT") != 0 && !*s->bad)
        snprintf(s->bad, sizeof s->bad, "book of \"%s\"", ev->symbol);
      break;
    }
    case CQ_VEV_ORDER:
      snprintf(s->order_client, sizeof s->order_client, "%s", ev->u.order.order.client_id);
      snprintf(s->order_symbol, sizeof s->order_symbol, "%s", ev->u.order.order.symbol);
      s->order_state = ev->u.order.order.state;
      break;
    case CQ_VEV_STATUS:
      if (ev->u.status.status == CQ_VST_BOOK_SYNCED) s->synced++;
      if (ev->u.status.status == CQ_VST_BOOK_INVALID) s->invalid++;
      if (ev->u.status.status == CQ_VST_CONNECTED) s->connected++;
      break;
    default:
      break;
  }
  pthread_mutex_unlock(&s->mu);
}

#define WAIT_UNTIL(s, cond)                                              \
  do {                                                                   \
    int64_t end_ = mono_ms() + WAIT_MS;                                  \
    for (;;) {                                                           \
      pthread_mutex_lock(&(s)->mu);                                      \
      bool ok_ = (cond);                                                 \
      pthread_mutex_unlock(&(s)->mu);                                    \
      if (ok_) break;                                                    \
      if (mono_ms() > end_) fail_msg("timed out waiting for %s", #cond); \
      sleep_ms(10);                                                      \
    }                                                                    \
  } while (0)

/* ---- the scripted venues ----------------------------------------------------------------- */

typedef struct script {
  int subscribes, unsubscribes, logins, pings;
} script;

static const char OKX_SNAP[] =
    "{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},\"action\":\"snapshot\",\"data\":[{"
    "\"asks\":[[\"101\",\"1\",\"0\",\"1\"]],\"bids\":[[\"99\",\"2\",\"0\",\"1\"]],\"ts\":"
    "\"1704105000000\",\"seqId\":10,\"prevSeqId\":-1}]}";
static const char OKX_UPD[] =
    "{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},\"action\":\"update\",\"data\":[{"
    "\"asks\":[[\"100.5\",\"3\",\"0\",\"1\"]],\"bids\":[],\"ts\":\"1704105000100\",\"seqId\":11,"
    "\"prevSeqId\":10}]}";
static const char OKX_GAP[] =
    "{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},\"action\":\"update\",\"data\":[{"
    "\"asks\":[[\"100\",\"3\",\"0\",\"1\"]],\"bids\":[],\"ts\":\"1704105000200\",\"seqId\":51,"
    "\"prevSeqId\":50}]}";
static const char OKX_TRADES[] =
    "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":[{\"instId\":\"BTC-USDT\","
    "\"tradeId\":\"7\",\"px\":\"100\",\"sz\":\"0.5\",\"side\":\"buy\",\"ts\":\"1704105000000\"}]}";
static const char OKX_ORDERS[] =
    "{\"arg\":{\"channel\":\"orders\",\"instType\":\"SPOT\"},\"data\":[{\"instType\":\"SPOT\","
    "\"instId\":\"BTC-USDT\",\"ordId\":\"42\",\"clOrdId\":\"c1\",\"side\":\"buy\",\"ordType\":"
    "\"limit\",\"sz\":\"0.5\",\"px\":\"100\",\"accFillSz\":\"0.2\",\"avgPx\":\"100\",\"fillPx\":"
    "\"100\",\"fillSz\":\"0.2\",\"tradeId\":\"9\",\"fillTime\":\"1704105000000\",\"fee\":"
    "\"-0.0002\",\"feeCcy\":\"BTC\",\"execType\":\"M\",\"state\":\"partially_filled\",\"cTime\":"
    "\"1704105000000\",\"uTime\":\"1704105000000\"}]}";

static void okx_ws(fv *f, uint64_t conn, const char *path, const char *data, size_t len) {
  script *sc = f->user;
  (void)len;
  if (strcmp(data, "ping") == 0) {
    pthread_mutex_lock(&f->mu);
    sc->pings++;
    pthread_mutex_unlock(&f->mu);
    fv_send(f, conn, "pong");
    return;
  }
  pthread_mutex_lock(&f->mu);
  bool sub = strstr(data, "\"op\":\"subscribe\"") != NULL;
  if (sub) sc->subscribes++;
  if (strstr(data, "\"op\":\"unsubscribe\"")) sc->unsubscribes++;
  bool login = strstr(data, "\"op\":\"login\"") != NULL;
  if (login) sc->logins++;
  pthread_mutex_unlock(&f->mu);
  if (login) fv_send(f, conn, "{\"event\":\"login\",\"code\":\"0\",\"msg\":\"\",\"connId\":\"a\"}");
  if (sub && strcmp(path, "/ws/v5/public") == 0 && strstr(data, "books")) {
    fv_send(f, conn, OKX_SNAP);
    fv_send(f, conn, OKX_UPD);
  }
  if (sub && strcmp(path, "/ws/v5/public") == 0 && strstr(data, "trades"))
    fv_send(f, conn, OKX_TRADES);
  if (sub && strcmp(path, "/ws/v5/private") == 0) fv_send(f, conn, OKX_ORDERS);
}

static const char BY_SNAP[] =
    "{\"topic\":\"orderbook.200.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1704105000000,\"data\":{"
    "\"s\":\"BTCUSDT\",\"b\":[[\"99\",\"2\"]],\"a\":[[\"101\",\"1\"]],\"u\":5,\"seq\":100}}";
static const char BY_DELTA[] =
    "{\"topic\":\"orderbook.200.BTCUSDT\",\"type\":\"delta\",\"ts\":1704105000100,\"data\":{"
    "\"s\":\"BTCUSDT\",\"b\":[],\"a\":[[\"100.5\",\"3\"]],\"u\":6,\"seq\":101}}";
static const char BY_GAP[] =
    "{\"topic\":\"orderbook.200.BTCUSDT\",\"type\":\"delta\",\"ts\":1704105000200,\"data\":{"
    "\"s\":\"BTCUSDT\",\"b\":[],\"a\":[[\"100\",\"3\"]],\"u\":9,\"seq\":104}}";
static const char BY_TOP[] =
    "{\"topic\":\"orderbook.1.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1704105000000,\"data\":{"
    "\"s\":\"BTCUSDT\",\"b\":[[\"99\",\"2\"]],\"a\":[[\"101\",\"1\"]],\"u\":1,\"seq\":100}}";
static const char BY_TRADE[] =
    "{\"topic\":\"publicTrade.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1704105000000,\"data\":[{"
    "\"T\":1704105000000,\"s\":\"BTCUSDT\",\"S\":\"Buy\",\"v\":\"0.5\",\"p\":\"100\",\"i\":\"7\","
    "\"BT\":false}]}";
static const char BY_ORDER[] =
    "{\"topic\":\"order\",\"id\":\"x\",\"creationTime\":1704105000000,\"data\":[{\"category\":"
    "\"spot\",\"symbol\":\"BTCUSDT\",\"orderId\":\"42\",\"orderLinkId\":\"c1\",\"side\":\"Buy\","
    "\"orderType\":\"Limit\",\"price\":\"100\",\"qty\":\"0.5\",\"timeInForce\":\"GTC\","
    "\"orderStatus\":\"PartiallyFilled\",\"cumExecQty\":\"0.2\",\"cumExecValue\":\"20\","
    "\"createdTime\":\"1704105000000\",\"updatedTime\":\"1704105000000\",\"stopOrderType\":\"\","
    "\"triggerPrice\":\"0\"}]}";

static void bybit_ws(fv *f, uint64_t conn, const char *path, const char *data, size_t len) {
  script *sc = f->user;
  (void)len;
  pthread_mutex_lock(&f->mu);
  bool ping = strstr(data, "\"op\":\"ping\"") != NULL;
  if (ping) sc->pings++;
  bool sub = strstr(data, "\"op\":\"subscribe\"") != NULL;
  if (sub) sc->subscribes++;
  if (strstr(data, "\"op\":\"unsubscribe\"")) sc->unsubscribes++;
  bool auth = strstr(data, "\"op\":\"auth\"") != NULL;
  if (auth) sc->logins++;
  pthread_mutex_unlock(&f->mu);
  if (ping) fv_send(f, conn, "{\"op\":\"pong\",\"success\":true,\"ret_msg\":\"pong\"}");
  if (auth)
    fv_send(f, conn, "{\"op\":\"auth\",\"success\":true,\"ret_msg\":\"\",\"conn_id\":\"a\"}");
  if (sub && strcmp(path, "/v5/public/spot") == 0 && strstr(data, "orderbook.200")) {
    fv_send(f, conn, BY_SNAP);
    fv_send(f, conn, BY_DELTA);
  }
  if (sub && strcmp(path, "/v5/public/spot") == 0 && strstr(data, "orderbook.1.")) {
    fv_send(f, conn, BY_TOP);
  }
  if (sub && strcmp(path, "/v5/public/spot") == 0 && strstr(data, "publicTrade"))
    fv_send(f, conn, BY_TRADE);
  if (sub && strcmp(path, "/v5/private") == 0) fv_send(f, conn, BY_ORDER);
}

/* ---- one run per venue --------------------------------------------------------------------- */

static void run(const cq_venue_ops *ops, fv_ws_fn on_ws, const char *public_path, const char *gap,
                bool quotes) {
  fv f;
  fv_start(&f);
  script sc;
  memset(&sc, 0, sizeof sc);
  f.user = &sc;
  f.on_ws = on_ws;
  /* REST the adapters read before streaming: the time, and Bybit's instruments */
  fv_add(&f, "GET", "/api/v5/public/time", 0,
         "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"ts\":\"1704105000000\"}]}", -1);
  fv_add(&f, "GET", "/v5/market/time", 0,
         "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"timeNano\":\"1704105000000000000\"},"
         "\"time\":1704105000000}",
         -1);
  char *ins = fv_slurp(CQ_TEST_DATA "/exchange/bybit/http_get_instruments_spot.json");
  assert_non_null(ins);
  fv_add(&f, "GET", "/v5/market/instruments-info", 0, ins, -1);

  seen s;
  memset(&s, 0, sizeof s);
  pthread_mutex_init(&s.mu, NULL);
  s.venue = ops->name;
  cq_venue_config c;
  cq_venue_config_default(&c);
  char ws[80];
  snprintf(ws, sizeof ws, "ws://127.0.0.1:%d", cq_server_port(f.srv));
  c.rest_url = f.url;
  c.ws_url = ws;
  c.api_key = "key-1";
  c.api_secret = "secret-1";
  c.passphrase = "pass-1";
  c.loop = f.loop;
  c.ws.ping_interval_ms = 200; /* idle soon: the text keep-alive goes out */
  c.ws.idle_timeout_ms = 10000;
  c.ws.reconnect_min_ms = 50;
  cq_venue *v = NULL;
  cq_verror ve;
  if (ops->open(&c, &v, &ve) != 0) fail_msg("open: %s", ve.e.msg);
  assert_true(ops->caps & CQ_VCAP_BOOK);
  assert_true(ops->caps & CQ_VCAP_USER_STREAM);

  cq_venue_sub subs[4];
  memset(subs, 0, sizeof subs);
  subs[0].channel = CQ_VCH_BOOK;
  subs[1].channel = CQ_VCH_TRADES;
  subs[2].channel = CQ_VCH_USER;
  subs[3].channel = CQ_VCH_QUOTES;
  for (int i = 0; i < 4; i++) snprintf(subs[i].symbol, sizeof subs[i].symbol, "BTC/USDT");
  cq_venue_handler h = {.ctx = &s, .on_event = on_event};
  cq_venue_stream *st = NULL;
  if (ops->subscribe(v, subs, quotes ? 4 : 3, &h, &st, &ve) != 0)
    fail_msg("subscribe: %s", ve.e.msg);

  /* the book from its snapshot and update */
  WAIT_UNTIL(&s, s.synced >= 1 && s.books >= 2);
  pthread_mutex_lock(&s.mu);
  assert_true(s.best_bid == 99.0);
  assert_true(s.best_ask == 100.5);
  pthread_mutex_unlock(&s.mu);
  /* trades and orders in cquant's words; the user stream after the login */
  WAIT_UNTIL(&s, s.kinds[CQ_VEV_TRADE] >= 1 && s.kinds[CQ_VEV_ORDER] >= 1);
  pthread_mutex_lock(&s.mu);
  assert_string_equal(s.trade_symbol, "BTC/USDT");
  assert_string_equal(s.order_client, "c1");
  assert_string_equal(s.order_symbol, "BTC/USDT");
  assert_int_equal(s.order_state, CQ_OS_PARTIAL);
  assert_string_equal(s.bad, "");
  pthread_mutex_unlock(&s.mu);
  pthread_mutex_lock(&f.mu);
  assert_int_equal(sc.logins, 1);
  pthread_mutex_unlock(&f.mu);
  if (quotes) {
    WAIT_UNTIL(&s, s.kinds[CQ_VEV_QUOTE] >= 1);
    pthread_mutex_lock(&s.mu);
    assert_true(cq_dec_to_double(s.quote_bid) == 99.0);
    pthread_mutex_unlock(&s.mu);
  }

  /* a sequence break: invalid, resubscribed, and synced again from the new snapshot */
  uint64_t pub = fv_conn(&f, public_path);
  assert_true(pub != 0);
  fv_send(&f, pub, gap);
  WAIT_UNTIL(&s, s.invalid >= 1);
  WAIT_UNTIL(&s, s.synced >= 2);
  pthread_mutex_lock(&f.mu);
  assert_true(sc.unsubscribes >= 1);
  pthread_mutex_unlock(&f.mu);

  /* idle: the venue's text keep-alive */
  int64_t end = mono_ms() + WAIT_MS;
  for (;;) {
    pthread_mutex_lock(&f.mu);
    int pings = sc.pings;
    pthread_mutex_unlock(&f.mu);
    if (pings > 0) break;
    if (mono_ms() > end) fail_msg("no keep-alive sent");
    sleep_ms(20);
  }

  ops->unsubscribe(st);
  ops->close(v);
  fv_stop(&f);
  free(ins);
  pthread_mutex_destroy(&s.mu);
}

static void test_okx_streams(void **state) {
  (void)state;
  run(&cq_venue_okx_ops, okx_ws, "/ws/v5/public", OKX_GAP, false);
}

static void test_bybit_streams(void **state) {
  (void)state;
  run(&cq_venue_bybit_ops, bybit_ws, "/v5/public/spot", BY_GAP, true);
}

/* Binance's ticker channel: <sym>@ticker named in the combined-stream URL, and a real
 * 24hrTicker payload in cquant's words, timed by the venue's E. */
static void test_binance_ticker(void **state) {
  (void)state;
  char *payload = fv_slurp(CQ_TEST_DATA "/exchange/binance/ws-market-futures/ticker_stream.json");
  assert_non_null(payload);
  size_t cap = strlen(payload) + 64;
  char *msg = malloc(cap);
  assert_non_null(msg);
  snprintf(msg, cap, "{\"stream\":\"btcusdt@ticker\",\"data\":%s}", payload);
  fv f;
  fv_start(&f);
  seen s;
  memset(&s, 0, sizeof s);
  pthread_mutex_init(&s.mu, NULL);
  s.venue = "binance";
  cq_venue_config c;
  cq_venue_config_default(&c);
  char ws[80];
  snprintf(ws, sizeof ws, "ws://127.0.0.1:%d", cq_server_port(f.srv));
  c.rest_url = f.url;
  c.ws_url = ws;
  c.loop = f.loop;
  c.ws.reconnect_min_ms = 50;
  cq_venue *v = NULL;
  cq_verror ve;
  if (cq_venue_binance_ops.open(&c, &v, &ve) != 0) fail_msg("open: %s", ve.e.msg);
  cq_venue_sub subs[2];
  memset(subs, 0, sizeof subs);
  subs[0].channel = CQ_VCH_TICKER;
  subs[1].channel = CQ_VCH_TRADES;
  for (int i = 0; i < 2; i++) snprintf(subs[i].symbol, sizeof subs[i].symbol, "BTC/USDT");
  cq_venue_handler h = {.ctx = &s, .on_event = on_event};
  cq_venue_stream *st = NULL;
  if (cq_venue_binance_ops.subscribe(v, subs, 2, &h, &st, &ve) != 0)
    fail_msg("subscribe: %s", ve.e.msg);
  WAIT_UNTIL(&s, s.connected >= 1);
  char query[FV_TEXT], streams[FV_TEXT];
  assert_true(fv_conn_query(&f, "/stream", query, sizeof query));
  assert_non_null(cq_query_get(query, "streams", streams, sizeof streams));
  assert_string_equal(streams, "btcusdt@ticker/btcusdt@trade");
  fv_send(&f, fv_conn(&f, "/stream"), msg);
  WAIT_UNTIL(&s, s.kinds[CQ_VEV_TICKER] >= 1);
  cq_venue_binance_ops.unsubscribe(st);
  pthread_mutex_lock(&s.mu);
  const cq_venue_event *ev = &s.ticker;
  const cq_ticker *t = &ev->u.ticker;
  assert_string_equal(ev->venue, "binance");
  assert_string_equal(ev->symbol, "BTC/USDT");
  assert_true(ev->event_time == 1672515782136LL * CQ_NS_PER_MS); /* E */
  assert_true(ev->recv_time > 0);
  cq_dec d;
  assert_int_equal(cq_dec_parse_cstr("16584.60000000", &d, NULL), 0);
  assert_true(cq_dec_eq(t->last, d));
  assert_int_equal(cq_dec_parse_cstr("16764.89", &d, NULL), 0);
  assert_true(cq_dec_eq(t->high, d));
  assert_int_equal(cq_dec_parse_cstr("16456.51", &d, NULL), 0);
  assert_true(cq_dec_eq(t->low, d));
  assert_int_equal(cq_dec_parse_cstr("122474.816", &d, NULL), 0);
  assert_true(cq_dec_eq(t->volume, d));
  assert_true(t->open_time == 1672429382136LL * CQ_NS_PER_MS);
  assert_true(t->close_time == 1672515782136LL * CQ_NS_PER_MS);
  assert_int_equal(t->trades, 142853);
  assert_string_equal(s.bad, "");
  pthread_mutex_unlock(&s.mu);
  cq_venue_binance_ops.close(v);
  fv_stop(&f);
  free(msg);
  free(payload);
  pthread_mutex_destroy(&s.mu);
}

static void test_refusals(void **state) {
  (void)state;
  cq_venue_config c;
  cq_venue_config_default(&c);
  cq_venue_sub sub;
  memset(&sub, 0, sizeof sub);
  sub.channel = CQ_VCH_TRADES;
  snprintf(sub.symbol, sizeof sub.symbol, "BTC/USDT");
  cq_venue_handler h = {.ctx = NULL, .on_event = on_event};
  const cq_venue_ops *ops[] = {&cq_venue_okx_ops, &cq_venue_bybit_ops};
  for (int i = 0; i < 2; i++) {
    cq_venue *v = NULL;
    cq_verror ve;
    c.rest_url = "http://127.0.0.1:1";
    c.http.max_retries = 0;
    assert_int_equal(ops[i]->open(&c, &v, &ve), 0);
    cq_venue_stream *st = NULL;
    /* no network loop: streams are unavailable, said at once */
    if (i == 0) {
      assert_int_not_equal(ops[i]->subscribe(v, &sub, 1, &h, &st, &ve), 0);
      assert_null(st);
    }
    /* aggregated trades: no such stream */
    cq_venue_sub agg = sub;
    agg.channel = CQ_VCH_AGG_TRADES;
    assert_int_not_equal(ops[i]->subscribe(v, &agg, 1, &h, &st, &ve), 0);
    ops[i]->close(v);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_okx_streams),
      cmocka_unit_test(test_bybit_streams),
      cmocka_unit_test(test_binance_ticker),
      cmocka_unit_test(test_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
