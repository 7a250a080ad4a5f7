/* The Binance spot adapter against the venue simulator, in-process on loopback: every
 * endpoint and stream, every fault the simulator injects, and an order's whole life.
 *
 * Waits have deadlines (a stream event may take a while under a sanitizer) but nothing
 * asserts a duration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the four above, which it needs */

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "book.h"
#include "cquant/venue.h"
#include "cquant/vsim.h"

#define KEY "testkey0123456789"
#define SECRET "testsecret0123456789abcdef"
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

/* ---- what the stream handler saw ------------------------------------------------------- */

typedef struct seen {
  pthread_mutex_t mu;
  uint64_t kinds[8];
  uint64_t status[8];
  uint64_t books;
  cq_l2book *book; /* a copy of the last book event */
  bool book_valid;
  char last_order_client[CQ_CLIENT_ID_MAX];
  cq_order_state last_order_state;
  uint64_t fills;
  uint64_t balances;
  char last_invalid[CQ_REASON_MAX]; /* detail of the last BOOK_INVALID */
  char bad[160];                    /* the first wrong event, for the assertion message */
} seen;

static void seen_init(seen *s) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->mu, NULL);
  assert_int_equal(cq_l2book_new(5000, &s->book, NULL), 0);
}

static void seen_release(seen *s) {
  cq_l2book_free(s->book);
  pthread_mutex_destroy(&s->mu);
}

static void on_event(void *ctx, const cq_venue_event *ev) {
  seen *s = ctx;
  pthread_mutex_lock(&s->mu);
  if ((unsigned)ev->kind < 8) s->kinds[ev->kind]++;
  if (strcmp(ev->venue, "binance") != 0 && !*s->bad)
    snprintf(s->bad, sizeof s->bad, "venue \"%s\"", ev->venue);
  switch (ev->kind) {
    case CQ_VEV_TRADE:
    case CQ_VEV_QUOTE:
    case CQ_VEV_KLINE:
      if (strcmp(ev->symbol, "BTC/USDT") != 0 && !*s->bad)
        snprintf(s->bad, sizeof s->bad, "market event for \"%s\"", ev->symbol);
      break;
    case CQ_VEV_BOOK:
      s->books++;
      if (cq_l2book_copy(s->book, ev->u.book, NULL) != 0 && !*s->bad)
        snprintf(s->bad, sizeof s->bad, "book copy failed");
      s->book_valid = cq_l2book_valid(ev->u.book);
      break;
    case CQ_VEV_ORDER:
      snprintf(s->last_order_client, sizeof s->last_order_client, "%s",
               ev->u.order.order.client_id);
      s->last_order_state = ev->u.order.order.state;
      if (ev->u.order.has_fill) s->fills++;
      if (strcmp(ev->u.order.order.symbol, "BTC/USDT") != 0 && !*s->bad)
        snprintf(s->bad, sizeof s->bad, "order event for \"%s\"", ev->u.order.order.symbol);
      break;
    case CQ_VEV_BALANCE:
      s->balances++;
      break;
    case CQ_VEV_STATUS:
      if ((unsigned)ev->u.status.status < 8) s->status[ev->u.status.status]++;
      if (ev->u.status.status == CQ_VST_BOOK_INVALID) {
        s->book_valid = false;
        snprintf(s->last_invalid, sizeof s->last_invalid, "%s", ev->u.status.detail);
      }
      break;
    default:
      break;
  }
  pthread_mutex_unlock(&s->mu);
}

typedef bool (*seen_pred)(const seen *s, const void *arg);

/* Waits until pred holds (true) or the deadline passes (false). */
static bool wait_for(seen *s, seen_pred pred, const void *arg) {
  int64_t end = mono_ms() + WAIT_MS;
  for (;;) {
    pthread_mutex_lock(&s->mu);
    bool ok = pred(s, arg);
    pthread_mutex_unlock(&s->mu);
    if (ok) return true;
    if (mono_ms() > end) return false;
    sleep_ms(20);
  }
}

/* ---- the fixture: a loop, a simulator, an adapter ---------------------------------------- */

typedef struct fx {
  cq_net_loop *loop;
  cq_vsim *sim;
  cq_venue *v;
  const cq_venue_ops *ops;
} fx;

static int fx_setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  assert_non_null(f);
  cq_error e;
  cq_error_clear(&e);
  assert_int_equal(cq_net_loop_new(NULL, &f->loop, &e), 0);
  cq_vsim_options so;
  cq_vsim_options_default(&so);
  so.dialect = "binance";
  so.market = "synthetic:7";
  static const cq_vsim_account acc[] = {
      {.api_key = KEY, .api_secret = SECRET, .balances = "USDT=1000000,BTC=10,ETH=100"}};
  so.accounts = acc;
  so.naccounts = 1;
  int rc = cq_vsim_new(&so, &f->sim, &e);
  if (rc != 0) fail_msg("vsim: %s", e.msg);
  if (cq_vsim_start(f->sim, f->loop, NULL, 0, &e) != 0) fail_msg("vsim start: %s", e.msg);
  assert_int_equal(cq_venue_find("binance", &f->ops, &e), 0);
  cq_venue_config c;
  cq_venue_config_default(&c);
  c.rest_url = cq_vsim_rest_url(f->sim);
  c.ws_url = cq_vsim_ws_url(f->sim);
  c.api_key = KEY;
  c.api_secret = SECRET;
  c.loop = f->loop;
  c.ws.idle_timeout_ms = 1500;
  c.ws.ping_interval_ms = 500;
  c.ws.reconnect_min_ms = 50;
  c.ws.reconnect_max_ms = 500;
  c.keepalive_ms = 300;
  c.http.backoff_base_ms = 10;
  c.http.backoff_max_ms = 50;
  cq_verror ve;
  if (f->ops->open(&c, &f->v, &ve) != 0) fail_msg("open: %s", ve.e.msg);
  *state = f;
  return 0;
}

static int fx_teardown(void **state) {
  fx *f = *state;
  if (f->v) f->ops->close(f->v);
  cq_vsim_stop(f->sim);
  cq_net_loop_free(f->loop);
  cq_vsim_free(f->sim);
  free(f);
  return 0;
}

/* A venue call that must succeed; its cq_verror is the caller's `ve`. */
#define VOK(call)                                                                    \
  do {                                                                               \
    cq_verror_clear(&ve);                                                            \
    if ((call) != 0) fail_msg("%s: %s (%s)", #call, ve.e.msg, cq_verr_name(ve.cls)); \
  } while (0)

/* ---- public REST ----------------------------------------------------------------------- */

static void test_registry(void **state) {
  (void)state;
  const cq_venue_ops *ops;
  cq_error e;
  cq_error_clear(&e);
  assert_int_equal(cq_venue_find("binance", &ops, &e), 0);
  assert_ptr_equal(ops, &cq_venue_binance_ops);
  assert_int_equal(ops->max_klines, 1000);
  assert_int_equal(cq_venue_find("nosuch", &ops, &e), CQ_ENOTFOUND);
  assert_non_null(strstr(e.msg, "binance"));
  assert_string_equal(cq_venue_names()[0], "binance");
  assert_string_equal(cq_venue_names()[1], "okx");
  assert_string_equal(cq_venue_names()[2], "bybit");
  assert_null(cq_venue_names()[3]);
  /* a bad configuration is refused, saying what */
  cq_venue_config c;
  cq_venue_config_default(&c);
  c.api_key = "k";
  cq_venue *v = NULL;
  cq_verror ve;
  assert_int_equal(cq_venue_binance_ops.open(&c, &v, &ve), CQ_ECONFIG);
  assert_non_null(strstr(ve.e.msg, "api_secret"));
  assert_null(v);
}

static void test_public_rest(void **state) {
  fx *f = *state;
  cq_verror ve;
  cq_time t;
  VOK(f->ops->server_time(f->v, &t, &ve));
  int64_t sim_now = cq_vsim_now_ms(f->sim);
  assert_true(llabs(t / CQ_NS_PER_MS - sim_now) < 5000);

  cq_instrument *ins = NULL;
  size_t n = 0;
  VOK(f->ops->instruments(f->v, &ins, &n, &ve));
  bool found = false;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(ins[i].symbol, "BTC/USDT") == 0) {
      found = true;
      assert_string_equal(ins[i].native, "BTCUSDT");
      assert_true(cq_dec_sign(ins[i].tick) > 0);
      assert_true(cq_dec_sign(ins[i].lot) > 0);
    }
  }
  free(ins);
  assert_true(found);

  /* two hours of 1m candles: one page, oldest first, closed by the venue's clock */
  cq_timeframe tf;
  assert_int_equal(cq_timeframe_parse("1m", &tf, NULL), 0);
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_time to = t + CQ_NS_PER_MIN, from = cq_timeframe_floor(tf, t) - 120 * CQ_NS_PER_MIN;
  VOK(f->ops->candles(f->v, "BTC/USDT", tf, from, to, &c, &ve));
  assert_true(c.len >= 120 && c.len <= 122);
  assert_int_equal(c.open_time[0], from);
  cq_time t2 = cq_vsim_now_ms(f->sim) * CQ_NS_PER_MS;
  for (size_t i = 0; i < c.len; i++) {
    if (i) assert_int_equal(c.open_time[i], c.open_time[i - 1] + CQ_NS_PER_MIN);
    assert_true(c.open_time[i] < to);
    /* closed by the venue's clock: surely when it ended before t, never after t2 */
    if (c.open_time[i] + CQ_NS_PER_MIN <= t) assert_true(c.closed[i]);
    if (c.open_time[i] + CQ_NS_PER_MIN > t2) assert_false(c.closed[i]);
  }
  /* the end is exclusive: a page ending at a candle's open does not hold it */
  cq_candles_clear(&c);
  VOK(f->ops->candles(f->v, "BTC/USDT", tf, from, from + 10 * CQ_NS_PER_MIN, &c, &ve));
  assert_int_equal(c.len, 10);
  cq_candles_release(&c);

  /* recent trades, then the same again by id */
  cq_trades tr;
  cq_trades_init(&tr, 0);
  VOK(f->ops->trades(f->v, "BTC/USDT", -1, 20, &tr, &ve));
  assert_int_equal(tr.len, 20);
  int64_t first = strtoll(tr.id[0], NULL, 10);
  cq_trades h;
  cq_trades_init(&h, 0);
  VOK(f->ops->trades(f->v, "BTC/USDT", first, 5, &h, &ve));
  assert_int_equal(h.len, 5);
  assert_string_equal(h.id[0], tr.id[0]);
  assert_true(cq_dec_eq(h.price[0], tr.price[0]));
  cq_trades_release(&tr);
  cq_trades_release(&h);

  cq_l2book *b;
  assert_int_equal(cq_l2book_new(1000, &b, NULL), 0);
  VOK(f->ops->depth(f->v, "BTC/USDT", 50, b, &ve));
  assert_true(cq_l2book_valid(b));
  assert_int_equal(cq_l2book_depth(b, CQ_SIDE_BUY), 50);
  cq_dec bid, ask, q;
  assert_true(cq_l2book_level(b, CQ_SIDE_BUY, 0, &bid, &q));
  assert_true(cq_l2book_level(b, CQ_SIDE_SELL, 0, &ask, &q));
  assert_true(cq_dec_cmp(bid, ask) < 0);
  cq_l2book_free(b);

  /* a symbol that is not a unified one is refused before anything is sent */
  cq_candles_init(&c, 0);
  assert_int_not_equal(f->ops->candles(f->v, "BTCUSDT", tf, from, to, &c, &ve), 0);
  assert_int_equal(ve.cls, CQ_VERR_BAD_REQUEST);
  cq_candles_release(&c);
}

/* Pages of 1000 through a few thousand minutes join without a gap or a repeat. */
static void test_candle_pages(void **state) {
  fx *f = *state;
  cq_verror ve;
  cq_timeframe tf;
  assert_int_equal(cq_timeframe_parse("1m", &tf, NULL), 0);
  cq_time now;
  VOK(f->ops->server_time(f->v, &now, &ve));
  cq_time from = cq_timeframe_floor(tf, now) - 2500 * CQ_NS_PER_MIN;
  cq_time expect = from;
  size_t total = 0;
  for (int page = 0; page < 4; page++) {
    cq_candles c;
    cq_candles_init(&c, 0);
    VOK(f->ops->candles(f->v, "ETH/USDT", tf, expect, 0, &c, &ve));
    for (size_t i = 0; i < c.len; i++) {
      assert_int_equal(c.open_time[i], expect);
      expect += CQ_NS_PER_MIN;
    }
    total += c.len;
    bool last = c.len < 1000;
    cq_candles_release(&c);
    if (last) break;
  }
  assert_true(total >= 2500);
}

/* Several threads on one handle: each call gets an HTTP client of its own. */
typedef struct thread_arg {
  fx *f;
  int failures;
} thread_arg;

static void *caller(void *p) {
  thread_arg *a = p;
  cq_timeframe tf = {1, CQ_TF_HOUR};
  for (int i = 0; i < 10; i++) {
    cq_verror ve;
    cq_candles c;
    cq_candles_init(&c, 0);
    cq_time t;
    if (a->f->ops->server_time(a->f->v, &t, &ve) != 0 ||
        a->f->ops->candles(a->f->v, i % 2 ? "BTC/USDT" : "ETH/USDT", tf, 0, 0, &c, &ve) != 0 ||
        c.len == 0)
      a->failures++;
    cq_candles_release(&c);
  }
  return NULL;
}

static void test_threads(void **state) {
  fx *f = *state;
  enum { NT = 4 };
  pthread_t th[NT];
  thread_arg args[NT];
  for (int i = 0; i < NT; i++) {
    args[i] = (thread_arg){.f = f};
    assert_int_equal(pthread_create(&th[i], NULL, caller, &args[i]), 0);
  }
  for (int i = 0; i < NT; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(args[i].failures, 0);
  }
}

/* ---- orders ---------------------------------------------------------------------------- */

static cq_venue_order_req limit_req(const char *cid, cq_side side, const char *price,
                                    const char *qty) {
  cq_venue_order_req r;
  memset(&r, 0, sizeof r);
  snprintf(r.symbol, sizeof r.symbol, "BTC/USDT");
  snprintf(r.client_id, sizeof r.client_id, "%s", cid);
  r.side = side;
  r.type = CQ_ORDER_LIMIT;
  r.tif = CQ_TIF_GTC;
  assert_int_equal(cq_dec_parse_cstr(price, &r.price, NULL), 0);
  assert_int_equal(cq_dec_parse_cstr(qty, &r.qty, NULL), 0);
  return r;
}

/* A price well away from the market, on the tick grid. */
static void far_price(fx *f, bool below, char *buf, size_t n) {
  cq_l2book *b;
  assert_int_equal(cq_l2book_new(100, &b, NULL), 0);
  cq_verror ve;
  VOK(f->ops->depth(f->v, "BTC/USDT", 5, b, &ve));
  cq_dec bid, q;
  assert_true(cq_l2book_level(b, CQ_SIDE_BUY, 0, &bid, &q));
  double p = cq_dec_to_double(bid) * (below ? 0.5 : 1.5);
  snprintf(buf, n, "%.0f", p);
  cq_l2book_free(b);
}

static void test_order_lifecycle(void **state) {
  fx *f = *state;
  cq_verror ve;
  cq_balance *bal = NULL;
  size_t nbal = 0;
  VOK(f->ops->balances(f->v, &bal, &nbal, &ve));
  bool usdt = false;
  for (size_t i = 0; i < nbal; i++)
    usdt |= strcmp(bal[i].asset, "USDT") == 0 && cq_dec_sign(bal[i].free) > 0;
  free(bal);
  assert_true(usdt);

  /* a resting limit: placed, found, listed, cancelled */
  char px[64];
  far_price(f, true, px, sizeof px);
  cq_venue_order_req r = limit_req("life-1", CQ_SIDE_BUY, px, "0.01");
  cq_venue_order o;
  VOK(f->ops->place(f->v, &r, &o, &ve));
  assert_string_equal(o.client_id, "life-1");
  assert_string_equal(o.symbol, "BTC/USDT");
  assert_int_equal(o.state, CQ_OS_ACCEPTED);
  assert_true(o.venue_id[0] != '\0');
  VOK(f->ops->query(f->v, "BTC/USDT", "life-1", &o, &ve));
  assert_int_equal(o.state, CQ_OS_ACCEPTED);
  cq_venue_order *open = NULL;
  size_t nopen = 0;
  VOK(f->ops->open_orders(f->v, "BTC/USDT", &open, &nopen, &ve));
  assert_int_equal(nopen, 1);
  assert_string_equal(open[0].client_id, "life-1");
  assert_string_equal(open[0].symbol, "BTC/USDT");
  free(open);
  VOK(f->ops->cancel(f->v, "BTC/USDT", "life-1", &o, &ve));
  assert_int_equal(o.state, CQ_OS_CANCELLED);
  VOK(f->ops->query(f->v, "BTC/USDT", "life-1", &o, &ve));
  assert_int_equal(o.state, CQ_OS_CANCELLED);
  /* a second cancel: the order is gone, and the answer says so */
  assert_int_equal(f->ops->cancel(f->v, "BTC/USDT", "life-1", &o, &ve), 0);
  assert_int_equal(o.state, CQ_OS_CANCELLED);
  /* an unknown client id */
  assert_int_equal(f->ops->query(f->v, "BTC/USDT", "nosuch", &o, &ve), CQ_ENOTFOUND);
  assert_int_equal(ve.cls, CQ_VERR_NOT_FOUND);

  /* a partial fill: a buy above the best ask for more than the book holds up to its price
   * takes what there is and rests; the market is pinned so it stays put */
  cq_vsim_set_clock(f->sim, cq_vsim_now_ms(f->sim));
  cq_l2book *b;
  assert_int_equal(cq_l2book_new(1000, &b, NULL), 0);
  VOK(f->ops->depth(f->v, "BTC/USDT", 1000, b, &ve));
  cq_dec ask, askq, total = cq_dec_from_int(0);
  assert_true(cq_l2book_level(b, CQ_SIDE_SELL, 0, &ask, &askq));
  for (size_t i = 0; i < 3; i++) {
    cq_dec p, q;
    if (cq_l2book_level(b, CQ_SIDE_SELL, i, &p, &q)) {
      assert_int_equal(cq_dec_add(total, q, &total, NULL), 0);
      ask = p;
    }
  }
  cq_l2book_free(b);
  char askbuf[64], qtybuf[64];
  cq_dec_format(ask, askbuf, sizeof askbuf);
  cq_dec more;
  assert_int_equal(cq_dec_add(total, total, &more, NULL), 0);
  cq_dec lot;
  assert_int_equal(cq_dec_parse_cstr("0.00001", &lot, NULL), 0);
  assert_int_equal(cq_dec_round_step(more, lot, CQ_ROUND_DOWN, &more, NULL), 0);
  cq_dec_format(more, qtybuf, sizeof qtybuf);
  r = limit_req("life-2", CQ_SIDE_BUY, askbuf, qtybuf);
  VOK(f->ops->place(f->v, &r, &o, &ve));
  assert_int_equal(o.state, CQ_OS_PARTIAL);
  assert_true(cq_dec_sign(o.filled) > 0);
  assert_true(cq_dec_cmp(o.filled, o.qty) < 0);
  VOK(f->ops->query(f->v, "BTC/USDT", "life-2", &o, &ve));
  assert_int_equal(o.state, CQ_OS_PARTIAL);
  VOK(f->ops->cancel(f->v, "BTC/USDT", "life-2", &o, &ve));
  assert_int_equal(o.state, CQ_OS_CANCELLED);
  assert_true(cq_dec_sign(o.filled) > 0);
  cq_venue_fill *fills = NULL;
  size_t nf = 0;
  VOK(f->ops->my_trades(f->v, "BTC/USDT", 0, &fills, &nf, &ve));
  assert_true(nf >= 1);
  assert_string_equal(fills[0].symbol, "BTC/USDT");
  free(fills);
  cq_vsim_set_clock(f->sim, 0);

  /* a filled order has nothing left to cancel: the venue refuses (-2011), and the cancel
   * settles on the order's final state, as on every venue */
  r = limit_req("life-4", CQ_SIDE_BUY, "1", "0.001");
  r.type = CQ_ORDER_MARKET;
  r.price = cq_dec_from_int(0);
  VOK(f->ops->place(f->v, &r, &o, &ve));
  assert_int_equal(o.state, CQ_OS_FILLED);
  memset(&o, 0, sizeof o);
  VOK(f->ops->cancel(f->v, "BTC/USDT", "life-4", &o, &ve));
  assert_int_equal(o.state, CQ_OS_FILLED);
  assert_string_equal(o.client_id, "life-4");

  /* a final refusal: not enough money */
  r = limit_req("life-3", CQ_SIDE_BUY, askbuf, "100000");
  assert_int_not_equal(f->ops->place(f->v, &r, &o, &ve), 0);
  assert_true(ve.cls == CQ_VERR_INSUFFICIENT || ve.cls == CQ_VERR_REJECTED);
  assert_int_equal(cq_vsim_orders_with_client_id(f->sim, "life-3"), 0);
}

/* ---- faults ---------------------------------------------------------------------------- */

static void arm(fx *f, cq_vsim_fault_kind k, int64_t n, int64_t ms, const char *path) {
  cq_vsim_fault_spec s;
  memset(&s, 0, sizeof s);
  s.kind = k;
  s.n = n;
  s.ms = ms;
  s.at_ms = -1;
  if (path) snprintf(s.path, sizeof s.path, "%s", path);
  cq_error e;
  cq_error_clear(&e);
  if (cq_vsim_fault(f->sim, &s, &e) != 0) fail_msg("fault: %s", e.msg);
}

static void test_fault_429(void **state) {
  fx *f = *state;
  cq_verror ve;
  cq_time t;
  arm(f, CQ_VSIM_FAULT_429, 2, 0, NULL);
  VOK(f->ops->server_time(f->v, &t, &ve));
  cq_vsim_counters c;
  cq_vsim_counters_get(f->sim, &c);
  assert_int_equal(c.rate_limited, 2);
  assert_int_equal(c.banned, 0);
}

static void test_fault_ban(void **state) {
  fx *f = *state;
  cq_verror ve;
  cq_time t;
  arm(f, CQ_VSIM_FAULT_BAN, 0, 1500, NULL);
  assert_int_not_equal(f->ops->server_time(f->v, &t, &ve), 0);
  assert_int_equal(ve.cls, CQ_VERR_BANNED);
  assert_true(ve.retry_after_ms > 0);
  cq_vsim_counters c;
  cq_vsim_counters_get(f->sim, &c);
  uint64_t before = c.requests;
  /* during the ban: every call fails at once and nothing reaches the venue */
  cq_candles k;
  cq_candles_init(&k, 0);
  cq_timeframe tf;
  assert_int_equal(cq_timeframe_parse("1h", &tf, NULL), 0);
  assert_int_not_equal(f->ops->candles(f->v, "BTC/USDT", tf, 0, 0, &k, &ve), 0);
  assert_int_equal(ve.cls, CQ_VERR_BANNED);
  assert_non_null(strstr(ve.e.msg, "banned"));
  cq_venue_order_req r = limit_req("ban-1", CQ_SIDE_BUY, "100", "0.01");
  cq_venue_order o;
  assert_int_not_equal(f->ops->place(f->v, &r, &o, &ve), 0);
  assert_int_equal(ve.cls, CQ_VERR_BANNED);
  cq_vsim_counters_get(f->sim, &c);
  assert_int_equal(c.requests, before);
  sleep_ms(ve.retry_after_ms + 50);
  VOK(f->ops->candles(f->v, "BTC/USDT", tf, 0, 0, &k, &ve));
  assert_true(k.len > 0);
  cq_candles_release(&k);
}

static void test_fault_5xx_get(void **state) {
  fx *f = *state;
  cq_verror ve;
  arm(f, CQ_VSIM_FAULT_5XX, 2, 0, "/api/v3/depth");
  cq_l2book *b;
  assert_int_equal(cq_l2book_new(100, &b, NULL), 0);
  VOK(f->ops->depth(f->v, "BTC/USDT", 10, b, &ve));
  assert_true(cq_l2book_valid(b));
  cq_l2book_free(b);
  assert_true(cq_vsim_requests_on(f->sim, "/api/v3/depth") >= 3);
}

/* 5xx on the placement: the outcome is unknown, the order is looked up, never resent. */
static void test_fault_5xx_order(void **state) {
  fx *f = *state;
  cq_verror ve;
  char px[64];
  far_price(f, true, px, sizeof px);
  arm(f, CQ_VSIM_FAULT_5XX, 1, 0, "/api/v3/order");
  cq_venue_order_req r = limit_req("x5-1", CQ_SIDE_BUY, px, "0.01");
  cq_venue_order o;
  int rc = f->ops->place(f->v, &r, &o, &ve);
  if (rc != 0) {
    /* the venue never placed it: the caller may send it again, same client id */
    assert_int_equal(ve.cls, CQ_VERR_NOT_FOUND);
    assert_int_equal(cq_vsim_orders_with_client_id(f->sim, "x5-1"), 0);
    VOK(f->ops->place(f->v, &r, &o, &ve));
  }
  assert_int_equal(o.state, CQ_OS_ACCEPTED);
  assert_int_equal(cq_vsim_orders_with_client_id(f->sim, "x5-1"), 1);
}

/* The order was placed but its answer lost: the lookup finds it; one order exists. */
static void test_fault_lost_order(void **state) {
  fx *f = *state;
  cq_verror ve;
  char px[64];
  far_price(f, true, px, sizeof px);
  arm(f, CQ_VSIM_FAULT_LOSE_ORDER, 1, 0, NULL);
  cq_venue_order_req r = limit_req("lost-1", CQ_SIDE_BUY, px, "0.01");
  cq_venue_order o;
  VOK(f->ops->place(f->v, &r, &o, &ve));
  assert_string_equal(o.client_id, "lost-1");
  assert_int_equal(o.state, CQ_OS_ACCEPTED);
  cq_vsim_counters c;
  cq_vsim_counters_get(f->sim, &c);
  assert_int_equal(c.responses_dropped, 1);
  assert_int_equal(cq_vsim_orders_with_client_id(f->sim, "lost-1"), 1);
  assert_int_equal(cq_vsim_requests_on(f->sim, "/api/v3/order") >= 2, 1);
}

/* The venue's clock runs behind ours: a signed call is refused (-1021), the offset is
 * resynced, and the call is sent once more. */
static void test_fault_time_offset(void **state) {
  fx *f = *state;
  cq_verror ve;
  cq_time t;
  VOK(f->ops->server_time(f->v, &t, &ve)); /* offset 0 learnt */
  arm(f, CQ_VSIM_FAULT_TIME_OFFSET, 0, -20000, NULL);
  uint64_t times = cq_vsim_requests_on(f->sim, "/api/v3/time");
  cq_balance *bal = NULL;
  size_t n = 0;
  VOK(f->ops->balances(f->v, &bal, &n, &ve));
  free(bal);
  assert_int_equal(cq_vsim_requests_on(f->sim, "/api/v3/time"), times + 1);
  assert_int_equal(cq_vsim_requests_on(f->sim, "/api/v3/account"), 2);
}

/* ---- streams --------------------------------------------------------------------------- */

static bool has_market(const seen *s, const void *arg) {
  (void)arg;
  return s->kinds[CQ_VEV_TRADE] > 0 && s->kinds[CQ_VEV_QUOTE] > 0 && s->kinds[CQ_VEV_KLINE] > 0 &&
         s->status[CQ_VST_BOOK_SYNCED] > 0 && s->books > 2 && s->book_valid;
}

static bool more_trades(const seen *s, const void *arg) {
  return s->kinds[CQ_VEV_TRADE] > *(const uint64_t *)arg && s->status[CQ_VST_CONNECTED] >= 2;
}

static bool resynced(const seen *s, const void *arg) {
  const uint64_t *base = arg; /* invalid, synced before */
  return s->status[CQ_VST_BOOK_INVALID] > base[0] && s->status[CQ_VST_BOOK_SYNCED] > base[1] &&
         s->book_valid;
}

static cq_venue_stream *subscribe_market(fx *f, seen *s) {
  cq_timeframe tf;
  assert_int_equal(cq_timeframe_parse("1m", &tf, NULL), 0);
  cq_venue_sub subs[5];
  memset(subs, 0, sizeof subs);
  cq_vchan ch[5] = {CQ_VCH_TRADES, CQ_VCH_AGG_TRADES, CQ_VCH_QUOTES, CQ_VCH_KLINES, CQ_VCH_BOOK};
  for (int i = 0; i < 5; i++) {
    subs[i].channel = ch[i];
    snprintf(subs[i].symbol, sizeof subs[i].symbol, "BTC/USDT");
    subs[i].tf = tf;
  }
  cq_venue_handler h = {.ctx = s, .on_event = on_event};
  cq_venue_stream *st = NULL;
  cq_verror ve;
  if (f->ops->subscribe(f->v, subs, 5, &h, &st, &ve) != 0) fail_msg("subscribe: %s", ve.e.msg);
  if (!wait_for(s, has_market, NULL))
    fail_msg("no market events: trades %" PRIu64 " quotes %" PRIu64 " klines %" PRIu64
             " books %" PRIu64 " synced %" PRIu64,
             s->kinds[CQ_VEV_TRADE], s->kinds[CQ_VEV_QUOTE], s->kinds[CQ_VEV_KLINE], s->books,
             s->status[CQ_VST_BOOK_SYNCED]);
  return st;
}

static void test_streams(void **state) {
  fx *f = *state;
  seen s;
  seen_init(&s);
  cq_venue_stream *st = subscribe_market(f, &s);
  f->ops->unsubscribe(st);
  assert_string_equal(s.bad, "");
  seen_release(&s);
}

static void test_ws_drop_and_stall(void **state) {
  fx *f = *state;
  seen s;
  seen_init(&s);
  cq_venue_stream *st = subscribe_market(f, &s);
  cq_vsim_fault_kind kinds[2] = {CQ_VSIM_FAULT_WS_DROP, CQ_VSIM_FAULT_WS_STALL};
  for (int k = 0; k < 2; k++) {
    pthread_mutex_lock(&s.mu);
    uint64_t trades = s.kinds[CQ_VEV_TRADE] + 0;
    uint64_t base[2] = {s.status[CQ_VST_BOOK_INVALID], s.status[CQ_VST_BOOK_SYNCED]};
    s.status[CQ_VST_CONNECTED] = 1;
    pthread_mutex_unlock(&s.mu);
    arm(f, kinds[k], 3, 0, NULL);
    /* reconnected, resubscribed: trades flow again and the book is resynced */
    if (!wait_for(&s, more_trades, &trades))
      fail_msg("%s: no reconnect", cq_vsim_fault_name(kinds[k]));
    if (!wait_for(&s, resynced, base))
      fail_msg("%s: book not resynced", cq_vsim_fault_name(kinds[k]));
    pthread_mutex_lock(&s.mu);
    assert_true(s.status[CQ_VST_DISCONNECTED] >= (uint64_t)k + 1);
    trades = s.kinds[CQ_VEV_TRADE];
    pthread_mutex_unlock(&s.mu);
    assert_true(wait_for(&s, more_trades, &trades));
  }
  f->ops->unsubscribe(st);
  assert_string_equal(s.bad, "");
  seen_release(&s);
}

static bool books_past(const seen *s, const void *arg) {
  return s->book_valid && s->books > *(const uint64_t *)arg;
}

static bool book_at(const seen *s, const void *arg) {
  return s->book_valid && cq_l2book_seq(s->book) >= cq_l2book_seq(arg);
}

/* Depth updates lost, repeated or swapped: the book is marked invalid where it must be,
 * resynced, and in the end equals the simulator's. */
static void test_depth_faults(void **state) {
  fx *f = *state;
  seen s;
  seen_init(&s);
  cq_venue_stream *st = subscribe_market(f, &s);
  cq_vsim_fault_kind kinds[3] = {CQ_VSIM_FAULT_DEPTH_DROP, CQ_VSIM_FAULT_DEPTH_REORDER,
                                 CQ_VSIM_FAULT_DEPTH_DUP};
  for (int k = 0; k < 3; k++) {
    pthread_mutex_lock(&s.mu);
    uint64_t base[2] = {s.status[CQ_VST_BOOK_INVALID], s.status[CQ_VST_BOOK_SYNCED]};
    uint64_t books = s.books;
    pthread_mutex_unlock(&s.mu);
    arm(f, kinds[k], 1, 0, NULL);
    if (kinds[k] != CQ_VSIM_FAULT_DEPTH_DUP) {
      if (!wait_for(&s, resynced, base))
        fail_msg("%s: book not invalidated and resynced", cq_vsim_fault_name(kinds[k]));
    } else {
      /* a repeated update is stale: dropped, the book stays right and moves on */
      uint64_t want = books + 5;
      if (!wait_for(&s, books_past, &want)) fail_msg("depth_dup: the book stopped");
    }
  }
  /* freeze the market, and compare with the simulator's own book */
  cq_vsim_set_clock(f->sim, cq_vsim_now_ms(f->sim));
  cq_l2book *ref;
  assert_int_equal(cq_l2book_new(5000, &ref, NULL), 0);
  cq_verror ve;
  VOK(f->ops->depth(f->v, "BTC/USDT", 5000, ref, &ve));
  if (!wait_for(&s, book_at, ref))
    fail_msg("the local book did not reach the snapshot's update id %" PRIu64, cq_l2book_seq(ref));
  pthread_mutex_lock(&s.mu);
  bool eq = cq_l2book_equal(s.book, ref);
  uint64_t seq = cq_l2book_seq(s.book);
  pthread_mutex_unlock(&s.mu);
  if (!eq)
    fail_msg("local book (seq %" PRIu64 ") differs from the simulator's (seq %" PRIu64 ")", seq,
             cq_l2book_seq(ref));
  cq_vsim_set_clock(f->sim, 0);
  cq_l2book_free(ref);
  f->ops->unsubscribe(st);
  assert_string_equal(s.bad, "");
  seen_release(&s);
}

static bool told_banned(const seen *s, const void *arg) {
  (void)arg;
  return strstr(s->last_invalid, "banned") != NULL;
}

static bool synced(const seen *s, const void *arg) {
  (void)arg;
  return s->status[CQ_VST_BOOK_SYNCED] > 0 && s->book_valid;
}

/* A book asked for during a ban: the stream says why it is not coming, and syncs once the
 * ban is over. */
static void test_book_during_ban(void **state) {
  fx *f = *state;
  cq_verror ve;
  cq_time t;
  arm(f, CQ_VSIM_FAULT_BAN, 0, 1500, NULL);
  assert_int_not_equal(f->ops->server_time(f->v, &t, &ve), 0);
  assert_int_equal(ve.cls, CQ_VERR_BANNED);
  seen s;
  seen_init(&s);
  cq_venue_sub sub;
  memset(&sub, 0, sizeof sub);
  sub.channel = CQ_VCH_BOOK;
  snprintf(sub.symbol, sizeof sub.symbol, "BTC/USDT");
  cq_venue_handler h = {.ctx = &s, .on_event = on_event};
  cq_venue_stream *st = NULL;
  VOK(f->ops->subscribe(f->v, &sub, 1, &h, &st, &ve));
  if (!wait_for(&s, told_banned, NULL)) fail_msg("no word of the ban: \"%s\"", s.last_invalid);
  if (!wait_for(&s, synced, NULL)) fail_msg("the book did not sync after the ban");
  f->ops->unsubscribe(st);
  assert_string_equal(s.bad, "");
  seen_release(&s);
}

static bool order_seen(const seen *s, const void *arg) {
  return strcmp(s->last_order_client, arg) == 0 && s->balances > 0;
}

static bool cancel_seen(const seen *s, const void *arg) {
  return strcmp(s->last_order_client, arg) == 0 && s->last_order_state == CQ_OS_CANCELLED;
}

static void test_user_stream(void **state) {
  fx *f = *state;
  seen s;
  seen_init(&s);
  cq_venue_sub sub;
  memset(&sub, 0, sizeof sub);
  sub.channel = CQ_VCH_USER;
  cq_venue_handler h = {.ctx = &s, .on_event = on_event};
  cq_venue_stream *st = NULL;
  cq_verror ve;
  VOK(f->ops->subscribe(f->v, &sub, 1, &h, &st, &ve));
  int64_t end = mono_ms() + WAIT_MS;
  while (mono_ms() < end) {
    pthread_mutex_lock(&s.mu);
    bool up = s.status[CQ_VST_CONNECTED] > 0;
    pthread_mutex_unlock(&s.mu);
    if (up) break;
    sleep_ms(20);
  }
  char px[64];
  far_price(f, true, px, sizeof px);
  cq_venue_order_req r = limit_req("user-1", CQ_SIDE_BUY, px, "0.01");
  cq_venue_order o;
  VOK(f->ops->place(f->v, &r, &o, &ve));
  if (!wait_for(&s, order_seen, "user-1")) fail_msg("no order / balance event");
  VOK(f->ops->cancel(f->v, "BTC/USDT", "user-1", &o, &ve));
  if (!wait_for(&s, cancel_seen, "user-1")) fail_msg("no cancel event");
  /* the listen key is kept alive (every 300 ms here) */
  uint64_t n0 = cq_vsim_requests_on(f->sim, "/api/v3/userDataStream");
  end = mono_ms() + WAIT_MS;
  while (cq_vsim_requests_on(f->sim, "/api/v3/userDataStream") < n0 + 2 && mono_ms() < end)
    sleep_ms(50);
  assert_true(cq_vsim_requests_on(f->sim, "/api/v3/userDataStream") >= n0 + 2);

  /* the key goes away at the venue: a new one is made, the user stream reopened on it, and
   * orders are reported again */
  cq_srv_response sr;
  cq_vsim_handle(f->sim, "POST", "/api/v3/userDataStream", "", "", KEY, &sr);
  assert_int_equal(sr.status == 0 ? 200 : sr.status, 200);
  char *k = strstr(sr.body, "\"listenKey\":\"");
  assert_non_null(k);
  k += strlen("\"listenKey\":\"");
  char q[160];
  snprintf(q, sizeof q, "listenKey=%.*s", (int)strcspn(k, "\""), k);
  free(sr.body);
  free(sr.headers);
  cq_vsim_handle(f->sim, "DELETE", "/api/v3/userDataStream", q, "", KEY, &sr);
  assert_int_equal(sr.status == 0 ? 200 : sr.status, 200);
  free(sr.body);
  free(sr.headers);
  pthread_mutex_lock(&s.mu);
  uint64_t connected = s.status[CQ_VST_CONNECTED];
  pthread_mutex_unlock(&s.mu);
  end = mono_ms() + WAIT_MS;
  bool again = false;
  while (!again && mono_ms() < end) {
    sleep_ms(20);
    pthread_mutex_lock(&s.mu);
    again = s.status[CQ_VST_CONNECTED] > connected;
    pthread_mutex_unlock(&s.mu);
  }
  assert_true(again); /* the user connection was reopened on the new key */
  r = limit_req("user-2", CQ_SIDE_BUY, px, "0.01");
  VOK(f->ops->place(f->v, &r, &o, &ve));
  if (!wait_for(&s, order_seen, "user-2")) fail_msg("no order event after a new listen key");
  f->ops->unsubscribe(st);
  assert_string_equal(s.bad, "");
  seen_release(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry),
      cmocka_unit_test_setup_teardown(test_public_rest, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_candle_pages, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_threads, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_order_lifecycle, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_fault_429, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_fault_ban, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_fault_5xx_get, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_fault_5xx_order, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_fault_lost_order, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_fault_time_offset, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_streams, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_ws_drop_and_stall, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_depth_faults, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_book_during_ban, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_user_stream, fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
