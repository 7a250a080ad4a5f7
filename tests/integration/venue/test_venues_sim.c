/* One suite, three venues: every test here runs unchanged against the Binance, OKX and
 * Bybit adapters, each against the simulator speaking its dialect, in-process on loopback.
 * The same cquant behaviour is expected of all three: unified symbols, candles oldest first
 * and closed by the venue's clock, pages that join without a gap, the same order states and
 * error classes, and an order whose answer was lost found by its client id, never sent
 * twice. What a venue lacks shows in its capability bits, which the tests read.
 *
 * Waits have deadlines but nothing asserts a duration. */
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

#include "cquant/ingest.h"
#include "cquant/store.h"
#include "cquant/venue.h"
#include "cquant/vsim.h"

#define KEY "testkey0123456789"
#define SECRET "testsecret0123456789abcdef"
#define PASSPHRASE "testpass1"
enum { WAIT_MS = 15000, LONG_WAIT_MS = 2 * WAIT_MS };

static void sleep_ms(int64_t ms) {
  struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- what a stream handler saw ----------------------------------------------------------- */

enum { LOG_MAX = 64, LATENCY_MAX_S = 60 };

/* One status event, and how many trades had come before it. */
typedef struct status_rec {
  cq_vstatus status;
  char symbol[CQ_SYMBOL_MAX];
  char detail[CQ_REASON_MAX];
  uint64_t trades_before;
} status_rec;

typedef struct seen {
  pthread_mutex_t mu;
  const char *venue;
  uint64_t kinds[8];
  uint64_t status[8];
  uint64_t books;
  uint64_t timed_books; /* book events with the venue's event time */
  bool book_valid;
  char last_order_client[CQ_CLIENT_ID_MAX];
  cq_order_state last_order_state;
  cq_trades trades; /* the trade stream, as delivered */
  cq_venue_event ticker;
  status_rec log[LOG_MAX];
  size_t nlog;
  char bad[160]; /* the first wrong event */
} seen;

static void seen_init(seen *s, const char *venue) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->mu, NULL);
  s->venue = venue;
  cq_trades_init(&s->trades, 0);
}

static void seen_release(seen *s) {
  cq_trades_release(&s->trades);
  pthread_mutex_destroy(&s->mu);
}

/* A market event's times: the venue's event time (required on trades and tickers, where
 * every venue gives one) near our receive time, both on the wall clock. */
static void check_times(seen *s, const cq_venue_event *ev, bool required) {
  if (*s->bad) return;
  if (ev->recv_time <= 0) {
    snprintf(s->bad, sizeof s->bad, "event kind %d without a receive time", (int)ev->kind);
    return;
  }
  if (!ev->event_time) {
    if (required)
      snprintf(s->bad, sizeof s->bad, "event kind %d without the venue's time", (int)ev->kind);
    return;
  }
  if (llabs(ev->recv_time - ev->event_time) > LATENCY_MAX_S * CQ_NS_PER_SEC)
    snprintf(s->bad, sizeof s->bad, "event kind %d: event time %lld is not the venue's now",
             (int)ev->kind, (long long)ev->event_time);
}

static void on_event(void *ctx, const cq_venue_event *ev) {
  seen *s = ctx;
  pthread_mutex_lock(&s->mu);
  if ((unsigned)ev->kind < 8) s->kinds[ev->kind]++;
  if (strcmp(ev->venue, s->venue) != 0 && !*s->bad)
    snprintf(s->bad, sizeof s->bad, "venue \"%s\"", ev->venue);
  switch (ev->kind) {
    case CQ_VEV_TRADE:
    case CQ_VEV_QUOTE:
    case CQ_VEV_KLINE:
    case CQ_VEV_TICKER:
      if (strcmp(ev->symbol, "BTC/USDT") != 0 && !*s->bad)
        snprintf(s->bad, sizeof s->bad, "market event for \"%s\"", ev->symbol);
      if (ev->kind == CQ_VEV_TRADE) {
        check_times(s, ev, true);
        if (cq_trades_push(&s->trades, &ev->u.trade) != 0 && !*s->bad)
          snprintf(s->bad, sizeof s->bad, "out of memory");
      }
      if (ev->kind == CQ_VEV_TICKER) {
        check_times(s, ev, true);
        s->ticker = *ev;
      }
      break;
    case CQ_VEV_BOOK: {
      s->books++;
      check_times(s, ev, false);
      if (ev->event_time) s->timed_books++;
      if (strcmp(ev->symbol, "BTC/USDT") != 0 && !*s->bad)
        snprintf(s->bad, sizeof s->bad, "book event for \"%s\"", ev->symbol);
      s->book_valid = cq_l2book_valid(ev->u.book);
      cq_dec bid, ask, q;
      if (cq_l2book_level(ev->u.book, CQ_SIDE_BUY, 0, &bid, &q) &&
          cq_l2book_level(ev->u.book, CQ_SIDE_SELL, 0, &ask, &q) && cq_dec_cmp(bid, ask) >= 0 &&
          !*s->bad)
        snprintf(s->bad, sizeof s->bad, "a crossed book shown as valid");
      break;
    }
    case CQ_VEV_ORDER:
      snprintf(s->last_order_client, sizeof s->last_order_client, "%s",
               ev->u.order.order.client_id);
      s->last_order_state = ev->u.order.order.state;
      if (strcmp(ev->u.order.order.symbol, "BTC/USDT") != 0 && !*s->bad)
        snprintf(s->bad, sizeof s->bad, "order event for \"%s\"", ev->u.order.order.symbol);
      break;
    case CQ_VEV_STATUS:
      if ((unsigned)ev->u.status.status < 8) s->status[ev->u.status.status]++;
      if (ev->u.status.status == CQ_VST_BOOK_INVALID) s->book_valid = false;
      if (s->nlog < LOG_MAX) {
        status_rec *r = &s->log[s->nlog++];
        r->status = ev->u.status.status;
        snprintf(r->symbol, sizeof r->symbol, "%s", ev->symbol);
        snprintf(r->detail, sizeof r->detail, "%s", ev->u.status.detail);
        r->trades_before = s->kinds[CQ_VEV_TRADE];
      }
      break;
    default:
      break;
  }
  pthread_mutex_unlock(&s->mu);
}

typedef bool (*seen_pred)(const seen *s, const void *arg);

static bool wait_for(seen *s, seen_pred pred, const void *arg, int64_t ms) {
  int64_t end = mono_ms() + ms;
  for (;;) {
    pthread_mutex_lock(&s->mu);
    bool ok = pred(s, arg);
    pthread_mutex_unlock(&s->mu);
    if (ok) return true;
    if (mono_ms() > end) return false;
    sleep_ms(20);
  }
}

typedef struct fx {
  const char *name; /* the venue and the simulator's dialect */
  cq_net_loop *loop;
  cq_vsim *sim;
  cq_venue *v;
  const cq_venue_ops *ops;
} fx;

/* state holds the venue's name on entry (the prestate) and the fixture after. */
static int fx_setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  assert_non_null(f);
  f->name = *state;
  cq_error e;
  cq_error_clear(&e);
  assert_int_equal(cq_net_loop_new(NULL, &f->loop, &e), 0);
  cq_vsim_options so;
  cq_vsim_options_default(&so);
  so.dialect = f->name;
  so.market = "synthetic:7";
  so.passphrase = PASSPHRASE;
  static const cq_vsim_account acc[] = {
      {.api_key = KEY, .api_secret = SECRET, .balances = "USDT=1000000,BTC=10,ETH=100"}};
  so.accounts = acc;
  so.naccounts = 1;
  if (cq_vsim_new(&so, &f->sim, &e) != 0) fail_msg("vsim %s: %s", f->name, e.msg);
  if (cq_vsim_start(f->sim, f->loop, NULL, 0, &e) != 0) fail_msg("vsim start: %s", e.msg);
  assert_int_equal(cq_venue_find(f->name, &f->ops, &e), 0);
  cq_venue_config c;
  cq_venue_config_default(&c);
  c.rest_url = cq_vsim_rest_url(f->sim);
  c.ws_url = cq_vsim_ws_url(f->sim);
  c.api_key = KEY;
  c.api_secret = SECRET;
  c.passphrase = PASSPHRASE;
  c.loop = f->loop;
  c.ws.idle_timeout_ms = 3000;
  c.ws.ping_interval_ms = 500;
  c.ws.reconnect_min_ms = 50;
  c.ws.reconnect_max_ms = 500;
  c.keepalive_ms = 300;
  c.http.backoff_base_ms = 10;
  c.http.backoff_max_ms = 50;
  cq_verror ve;
  if (f->ops->open(&c, &f->v, &ve) != 0) fail_msg("open %s: %s", f->name, ve.e.msg);
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

#define VOK(call)                                                                                 \
  do {                                                                                            \
    cq_verror_clear(&ve);                                                                         \
    if ((call) != 0) fail_msg("%s: %s: %s (%s)", f->name, #call, ve.e.msg, cq_verr_name(ve.cls)); \
  } while (0)

/* ---- market data ----------------------------------------------------------------------- */

static void test_instruments_and_time(void **state) {
  fx *f = *state;
  cq_verror ve;
  cq_time t;
  VOK(f->ops->server_time(f->v, &t, &ve));
  assert_true(llabs(t / CQ_NS_PER_MS - cq_vsim_now_ms(f->sim)) < 5000);
  cq_instrument *ins = NULL;
  size_t n = 0;
  VOK(f->ops->instruments(f->v, &ins, &n, &ve));
  bool btc = false, eth = false;
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(ins[i].venue, f->name);
    btc |= strcmp(ins[i].symbol, "BTC/USDT") == 0;
    eth |= strcmp(ins[i].symbol, "ETH/USDT") == 0;
    assert_true(cq_dec_sign(ins[i].tick) > 0);
    assert_true(cq_dec_sign(ins[i].lot) > 0);
  }
  free(ins);
  assert_true(btc && eth);
  /* a symbol that is not a unified one is refused before anything is sent */
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_timeframe tf = {1, CQ_TF_MINUTE};
  assert_int_not_equal(f->ops->candles(f->v, "BTCUSDT", tf, t - CQ_NS_PER_HOUR, 0, &c, &ve), 0);
  assert_int_equal(ve.cls, CQ_VERR_BAD_REQUEST);
  cq_candles_release(&c);
}

static void test_candles(void **state) {
  fx *f = *state;
  cq_verror ve;
  cq_time t;
  VOK(f->ops->server_time(f->v, &t, &ve));
  cq_timeframe tf = {1, CQ_TF_MINUTE};
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
    assert_true(c.high[i] >= c.low[i]);
    if (c.open_time[i] + CQ_NS_PER_MIN <= t) assert_true(c.closed[i]);
    if (c.open_time[i] + CQ_NS_PER_MIN > t2) assert_false(c.closed[i]);
  }
  /* the end is exclusive */
  cq_candles_clear(&c);
  VOK(f->ops->candles(f->v, "BTC/USDT", tf, from, from + 10 * CQ_NS_PER_MIN, &c, &ve));
  assert_int_equal(c.len, 10);
  cq_candles_release(&c);
}

/* Pages through a few thousand minutes, the way the backfill asks: each page starts where
 * the last one ended; together they hold every minute once. */
static void test_candle_pages(void **state) {
  fx *f = *state;
  cq_verror ve;
  cq_time now;
  VOK(f->ops->server_time(f->v, &now, &ve));
  cq_timeframe tf = {1, CQ_TF_MINUTE};
  cq_time from = cq_timeframe_floor(tf, now) - 2500 * CQ_NS_PER_MIN;
  cq_time to = from + 2400 * CQ_NS_PER_MIN;
  cq_time expect = from;
  int pages = 0;
  while (expect < to && pages < 100) {
    cq_candles c;
    cq_candles_init(&c, 0);
    VOK(f->ops->candles(f->v, "ETH/USDT", tf, expect, to, &c, &ve));
    pages++;
    assert_true(c.len > 0);
    assert_true(c.len <= (size_t)f->ops->max_klines);
    for (size_t i = 0; i < c.len; i++) {
      assert_int_equal(c.open_time[i], expect);
      assert_true(c.closed[i]);
      expect += CQ_NS_PER_MIN;
    }
    cq_candles_release(&c);
  }
  assert_int_equal(expect, to);
}

/* The backfill over the adapter: two days of minutes into a store, every bar once, no gap;
 * a rerun stores nothing new. */
static void test_backfill(void **state) {
  fx *f = *state;
  char dir[64] = "/tmp/cq-venues-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char uri[128];
  snprintf(uri, sizeof uri, "sqlite:%s/s.db", dir);
  cq_error e;
  cq_error_clear(&e);
  cq_store *store = NULL;
  if (cq_store_open(uri, &store, &e) != 0) fail_msg("store: %s", e.msg);
  cq_clock clock;
  cq_clock_wall_init(&clock);
  cq_timeframe tf = {1, CQ_TF_MINUTE};
  cq_time until = cq_timeframe_floor(tf, cq_vsim_now_ms(f->sim) * CQ_NS_PER_MS) - CQ_NS_PER_MIN;
  for (int pass = 0; pass < 2; pass++) {
    cq_backfill_job j;
    memset(&j, 0, sizeof j);
    snprintf(j.symbol, sizeof j.symbol, "BTC/USDT");
    j.tf = tf;
    j.until = until;
    j.since = until - 2880 * CQ_NS_PER_MIN;
    cq_backfill_opts o = {
        .venue = f->v, .venue_name = f->name, .store = store, .threads = 1, .clock = &clock};
    cq_error_clear(&e);
    if (cq_backfill_run(&o, &j, 1, &e) != 0) fail_msg("%s: backfill: %s", f->name, e.msg);
    assert_int_equal(atomic_load(&j.state), CQ_BF_DONE);
    assert_int_equal(atomic_load(&j.gap_bars), 0);
    if (pass == 0) {
      assert_int_equal(atomic_load(&j.candles), 2880);
      assert_int_equal(atomic_load(&j.inserted), 2880);
    } else {
      assert_int_equal(atomic_load(&j.inserted), 0);
    }
  }
  cq_store_close(store);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_trades_and_book(void **state) {
  fx *f = *state;
  cq_verror ve;
  cq_trades tr;
  cq_trades_init(&tr, 0);
  VOK(f->ops->trades(f->v, "BTC/USDT", -1, 20, &tr, &ve));
  assert_true(tr.len > 0 && tr.len <= 20);
  for (size_t i = 1; i < tr.len; i++) assert_true(tr.time[i] >= tr.time[i - 1]);
  cq_trades_release(&tr);
  /* history by id: only where the venue has it */
  cq_trades_init(&tr, 0);
  int rc = f->ops->trades(f->v, "BTC/USDT", 1, 5, &tr, &ve);
  if (f->ops->caps & CQ_VCAP_TRADES_HISTORY)
    assert_int_equal(rc, 0);
  else
    assert_int_equal(ve.cls, CQ_VERR_UNSUPPORTED);
  cq_trades_release(&tr);
  cq_l2book *b;
  assert_int_equal(cq_l2book_new(1000, &b, NULL), 0);
  VOK(f->ops->depth(f->v, "BTC/USDT", 50, b, &ve));
  assert_true(cq_l2book_valid(b));
  assert_true(cq_l2book_depth(b, CQ_SIDE_BUY) > 0);
  cq_dec bid, ask, q;
  assert_true(cq_l2book_level(b, CQ_SIDE_BUY, 0, &bid, &q));
  assert_true(cq_l2book_level(b, CQ_SIDE_SELL, 0, &ask, &q));
  assert_true(cq_dec_cmp(bid, ask) < 0);
  cq_l2book_free(b);
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

static void far_price(fx *f, char *buf, size_t n) {
  cq_l2book *b;
  assert_int_equal(cq_l2book_new(100, &b, NULL), 0);
  cq_verror ve;
  VOK(f->ops->depth(f->v, "BTC/USDT", 5, b, &ve));
  cq_dec bid, q;
  assert_true(cq_l2book_level(b, CQ_SIDE_BUY, 0, &bid, &q));
  snprintf(buf, n, "%.0f", cq_dec_to_double(bid) * 0.5);
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

  /* client ids of letters and digits: the strictest venue's rule (OKX) */
  char px[64];
  far_price(f, px, sizeof px);
  cq_venue_order_req r = limit_req("life1", CQ_SIDE_BUY, px, "0.01");
  cq_venue_order o;
  VOK(f->ops->place(f->v, &r, &o, &ve));
  assert_string_equal(o.client_id, "life1");
  assert_string_equal(o.symbol, "BTC/USDT");
  assert_int_equal(o.state, CQ_OS_ACCEPTED);
  assert_true(o.venue_id[0] != '\0');
  VOK(f->ops->query(f->v, "BTC/USDT", "life1", &o, &ve));
  assert_int_equal(o.state, CQ_OS_ACCEPTED);
  assert_true(cq_dec_eq(o.qty, r.qty));
  cq_venue_order *open = NULL;
  size_t nopen = 0;
  VOK(f->ops->open_orders(f->v, "BTC/USDT", &open, &nopen, &ve));
  assert_int_equal(nopen, 1);
  assert_string_equal(open[0].client_id, "life1");
  assert_string_equal(open[0].symbol, "BTC/USDT");
  free(open);
  VOK(f->ops->cancel(f->v, "BTC/USDT", "life1", &o, &ve));
  assert_int_equal(o.state, CQ_OS_CANCELLED);
  VOK(f->ops->query(f->v, "BTC/USDT", "life1", &o, &ve));
  assert_int_equal(o.state, CQ_OS_CANCELLED);
  /* a second cancel answers with the final state */
  VOK(f->ops->cancel(f->v, "BTC/USDT", "life1", &o, &ve));
  assert_int_equal(o.state, CQ_OS_CANCELLED);
  assert_int_equal(f->ops->query(f->v, "BTC/USDT", "nosuch", &o, &ve), CQ_ENOTFOUND);
  assert_int_equal(ve.cls, CQ_VERR_NOT_FOUND);

  /* a partial fill: a buy at the third ask for twice what the first three hold */
  cq_vsim_set_clock(f->sim, cq_vsim_now_ms(f->sim));
  cq_l2book *b;
  assert_int_equal(cq_l2book_new(1000, &b, NULL), 0);
  VOK(f->ops->depth(f->v, "BTC/USDT", 50, b, &ve));
  cq_dec ask = cq_dec_from_int(0), total = cq_dec_from_int(0);
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
  cq_dec more, lot;
  assert_int_equal(cq_dec_add(total, total, &more, NULL), 0);
  assert_int_equal(cq_dec_parse_cstr("0.00001", &lot, NULL), 0);
  assert_int_equal(cq_dec_round_step(more, lot, CQ_ROUND_DOWN, &more, NULL), 0);
  cq_dec_format(more, qtybuf, sizeof qtybuf);
  r = limit_req("life2", CQ_SIDE_BUY, askbuf, qtybuf);
  VOK(f->ops->place(f->v, &r, &o, &ve));
  /* took what the book held and rests; where the venue's answer is a later query (OKX,
   * Bybit), the simulated market may have filled the rest by then */
  assert_true(cq_dec_sign(o.filled) > 0);
  if (o.state == CQ_OS_PARTIAL)
    assert_true(cq_dec_cmp(o.filled, o.qty) < 0);
  else if (o.state == CQ_OS_FILLED)
    assert_true(cq_dec_eq(o.filled, o.qty));
  else
    fail_msg("%s: a partly filled order in state %d", f->name, (int)o.state);
  /* the rest works at the market's price: the simulated market may fill it meanwhile */
  VOK(f->ops->query(f->v, "BTC/USDT", "life2", &o, &ve));
  assert_true(o.state == CQ_OS_PARTIAL || o.state == CQ_OS_FILLED);
  VOK(f->ops->cancel(f->v, "BTC/USDT", "life2", &o, &ve));
  assert_true(o.state == CQ_OS_CANCELLED || o.state == CQ_OS_FILLED);
  assert_true(cq_dec_sign(o.filled) > 0);
  cq_vsim_set_clock(f->sim, 0);

  /* a final refusal: not enough money, and nothing at the venue */
  r = limit_req("life3", CQ_SIDE_BUY, askbuf, "100000");
  assert_int_not_equal(f->ops->place(f->v, &r, &o, &ve), 0);
  assert_true(ve.cls == CQ_VERR_INSUFFICIENT || ve.cls == CQ_VERR_REJECTED);
  assert_int_equal(cq_vsim_orders_with_client_id(f->sim, "life3"), 0);
}

/* ---- faults ---------------------------------------------------------------------------- */

static void arm(fx *f, cq_vsim_fault_kind k, int64_t n, int64_t ms) {
  cq_vsim_fault_spec s;
  memset(&s, 0, sizeof s);
  s.kind = k;
  s.n = n;
  s.ms = ms;
  s.at_ms = -1;
  cq_error e;
  cq_error_clear(&e);
  if (cq_vsim_fault(f->sim, &s, &e) != 0) fail_msg("fault: %s", e.msg);
}

/* The placement's answer is lost: the order is found by its client id; one order exists. */
static void test_lost_order(void **state) {
  fx *f = *state;
  cq_verror ve;
  char px[64];
  far_price(f, px, sizeof px);
  arm(f, CQ_VSIM_FAULT_LOSE_ORDER, 1, 0);
  cq_venue_order_req r = limit_req("lost1", CQ_SIDE_BUY, px, "0.01");
  cq_venue_order o;
  VOK(f->ops->place(f->v, &r, &o, &ve));
  assert_string_equal(o.client_id, "lost1");
  assert_int_equal(o.state, CQ_OS_ACCEPTED);
  cq_vsim_counters c;
  cq_vsim_counters_get(f->sim, &c);
  assert_int_equal(c.responses_dropped, 1);
  assert_int_equal(cq_vsim_orders_with_client_id(f->sim, "lost1"), 1);
}

/* Over the limit a few times: a safe request waits and goes through. */
static void test_rate_limited(void **state) {
  fx *f = *state;
  cq_verror ve;
  cq_time t;
  arm(f, CQ_VSIM_FAULT_429, 2, 0);
  VOK(f->ops->server_time(f->v, &t, &ve));
  cq_vsim_counters c;
  cq_vsim_counters_get(f->sim, &c);
  assert_int_equal(c.rate_limited, 2);
}

/* A 5xx on a read is retried; on a placement it is an unknown outcome, resolved by a query:
 * the order is never sent twice. */
static void test_5xx(void **state) {
  fx *f = *state;
  cq_verror ve;
  cq_instrument *ins = NULL;
  size_t n = 0;
  arm(f, CQ_VSIM_FAULT_5XX, 1, 0);
  VOK(f->ops->instruments(f->v, &ins, &n, &ve));
  free(ins);
  assert_true(n > 0);
}

/* The venue's clock runs behind ours: a signed call is refused for its time, the clock is
 * resynced, and the call goes through. */
static void test_time_offset(void **state) {
  fx *f = *state;
  cq_verror ve;
  cq_time t;
  VOK(f->ops->server_time(f->v, &t, &ve));
  arm(f, CQ_VSIM_FAULT_TIME_OFFSET, 0, -40000);
  cq_balance *bal = NULL;
  size_t n = 0;
  VOK(f->ops->balances(f->v, &bal, &n, &ve));
  free(bal);
  assert_true(n > 0);
}

/* ---- streams ----------------------------------------------------------------------------- */

static bool has_market(const seen *s, const void *arg) {
  (void)arg;
  return s->kinds[CQ_VEV_TRADE] > 0 && s->kinds[CQ_VEV_QUOTE] > 0 && s->kinds[CQ_VEV_KLINE] > 0 &&
         s->status[CQ_VST_BOOK_SYNCED] > 0 && s->books > 2 && s->book_valid;
}

static bool resynced(const seen *s, const void *arg) {
  const uint64_t *base = arg; /* invalid, synced before */
  return s->status[CQ_VST_BOOK_INVALID] > base[0] && s->status[CQ_VST_BOOK_SYNCED] > base[1] &&
         s->book_valid;
}

/* Trades, quotes, candles and a synchronized book; a dropped book update makes the book
 * invalid, and it is synchronized again from a new snapshot. */
static void test_market_streams(void **state) {
  fx *f = *state;
  seen s;
  seen_init(&s, f->name);
  cq_venue_sub subs[4];
  memset(subs, 0, sizeof subs);
  cq_vchan ch[4] = {CQ_VCH_TRADES, CQ_VCH_QUOTES, CQ_VCH_KLINES, CQ_VCH_BOOK};
  for (int i = 0; i < 4; i++) {
    subs[i].channel = ch[i];
    snprintf(subs[i].symbol, sizeof subs[i].symbol, "BTC/USDT");
    subs[i].tf = (cq_timeframe){1, CQ_TF_MINUTE};
  }
  cq_venue_handler h = {.ctx = &s, .on_event = on_event};
  cq_venue_stream *st = NULL;
  cq_verror ve;
  VOK(f->ops->subscribe(f->v, subs, 4, &h, &st, &ve));
  if (!wait_for(&s, has_market, NULL, WAIT_MS))
    fail_msg("%s: no market events: trades %" PRIu64 " quotes %" PRIu64 " klines %" PRIu64
             " books %" PRIu64 " synced %" PRIu64,
             f->name, s.kinds[CQ_VEV_TRADE], s.kinds[CQ_VEV_QUOTE], s.kinds[CQ_VEV_KLINE], s.books,
             s.status[CQ_VST_BOOK_SYNCED]);
  uint64_t base[2];
  pthread_mutex_lock(&s.mu);
  base[0] = s.status[CQ_VST_BOOK_INVALID];
  base[1] = s.status[CQ_VST_BOOK_SYNCED];
  pthread_mutex_unlock(&s.mu);
  arm(f, CQ_VSIM_FAULT_DEPTH_DROP, 1, 0);
  if (!wait_for(&s, resynced, base, WAIT_MS))
    fail_msg("%s: the book did not break and resync: invalid %" PRIu64 " synced %" PRIu64, f->name,
             s.status[CQ_VST_BOOK_INVALID], s.status[CQ_VST_BOOK_SYNCED]);
  f->ops->unsubscribe(st);
  assert_string_equal(s.bad, "");
  seen_release(&s);
}

static bool order_seen(const seen *s, const void *arg) {
  return strcmp(s->last_order_client, arg) == 0;
}

static bool balance_seen(const seen *s, const void *arg) {
  (void)arg;
  return s->kinds[CQ_VEV_BALANCE] > 0;
}

static bool cancel_seen(const seen *s, const void *arg) {
  return strcmp(s->last_order_client, arg) == 0 && s->last_order_state == CQ_OS_CANCELLED;
}

/* Orders placed and cancelled through REST show on the user stream. The stream's own
 * subscription may follow a login, so the first orders may come before it: a few are
 * tried, each cancelled. */
static void test_user_stream(void **state) {
  fx *f = *state;
  seen s;
  seen_init(&s, f->name);
  cq_venue_sub sub;
  memset(&sub, 0, sizeof sub);
  sub.channel = CQ_VCH_USER;
  cq_venue_handler h = {.ctx = &s, .on_event = on_event};
  cq_venue_stream *st = NULL;
  cq_verror ve;
  VOK(f->ops->subscribe(f->v, &sub, 1, &h, &st, &ve));
  char px[64];
  far_price(f, px, sizeof px);
  bool got = false;
  char cid[32] = "";
  for (int k = 0; k < 10 && !got; k++) {
    snprintf(cid, sizeof cid, "user%d", k);
    cq_venue_order_req r = limit_req(cid, CQ_SIDE_BUY, px, "0.01");
    cq_venue_order o;
    VOK(f->ops->place(f->v, &r, &o, &ve));
    got = wait_for(&s, order_seen, cid, 1500);
    VOK(f->ops->cancel(f->v, "BTC/USDT", cid, &o, &ve));
  }
  if (!got) fail_msg("%s: no order event on the user stream", f->name);
  if (!wait_for(&s, cancel_seen, cid, WAIT_MS)) fail_msg("%s: no cancel event", f->name);
  if (!wait_for(&s, balance_seen, NULL, WAIT_MS)) fail_msg("%s: no balance event", f->name);
  f->ops->unsubscribe(st);
  assert_string_equal(s.bad, "");
  seen_release(&s);
}

/* ---- the stream capture's needs ---------------------------------------------------------- */

static cq_venue_stream *subscribe_btc(fx *f, seen *s, const cq_vchan *ch, size_t n) {
  cq_venue_sub subs[4];
  memset(subs, 0, sizeof subs);
  assert_true(n <= 4);
  for (size_t i = 0; i < n; i++) {
    subs[i].channel = ch[i];
    snprintf(subs[i].symbol, sizeof subs[i].symbol, "BTC/USDT");
    subs[i].tf = (cq_timeframe){1, CQ_TF_MINUTE};
  }
  cq_venue_handler h = {.ctx = s, .on_event = on_event};
  cq_venue_stream *st = NULL;
  cq_verror ve;
  VOK(f->ops->subscribe(f->v, subs, n, &h, &st, &ve));
  return st;
}

static bool connected(const seen *s, const void *arg) {
  (void)arg;
  return s->status[CQ_VST_CONNECTED] > 0;
}

static bool has_ticker(const seen *s, const void *arg) {
  (void)arg;
  return s->kinds[CQ_VEV_TICKER] > 0;
}

/* The ticker channel: rolling 24 h statistics of the symbol, timed by the venue. */
static void test_ticker_stream(void **state) {
  fx *f = *state;
  seen s;
  seen_init(&s, f->name);
  cq_vchan ch = CQ_VCH_TICKER;
  cq_venue_stream *st = subscribe_btc(f, &s, &ch, 1);
  /* a Binance simulator without the @ticker stream refuses the connection outright */
  if (strcmp(f->name, "binance") == 0 && !wait_for(&s, connected, NULL, 3000)) {
    f->ops->unsubscribe(st);
    seen_release(&s);
    print_message("skipped: the simulator's binance dialect has no @ticker stream\n");
    skip();
    return;
  }
  if (!wait_for(&s, has_ticker, NULL, WAIT_MS)) fail_msg("%s: no ticker event", f->name);
  f->ops->unsubscribe(st);
  assert_string_equal(s.bad, "");
  const cq_ticker *t = &s.ticker.u.ticker;
  assert_string_equal(s.ticker.symbol, "BTC/USDT");
  assert_true(cq_dec_sign(t->last) > 0);
  assert_true(cq_dec_sign(t->low) > 0);
  assert_true(cq_dec_cmp(t->high, t->low) >= 0);
  assert_true(cq_dec_cmp(t->last, t->high) <= 0 && cq_dec_cmp(t->last, t->low) >= 0);
  assert_true(cq_dec_sign(t->volume) >= 0);
  seen_release(&s);
}

static bool trades_at_least(const seen *s, const void *arg) {
  return s->trades.len >= *(const size_t *)arg;
}

static bool trade_seen(const seen *s, const void *arg) {
  for (size_t i = s->trades.len; i-- > 0;)
    if (strcmp(s->trades.id[i], arg) == 0) return true;
  return false;
}

/* The most a venue answers to one recent-trades request. */
static size_t venue_trades_max(const char *venue) {
  if (strcmp(venue, "binance") == 0) return 1000;
  if (strcmp(venue, "okx") == 0) return 500;
  return 60; /* bybit spot */
}

/* What the gap repair relies on: the venue's recent trades, asked for after the stream,
 * are the trades the stream delivered (ids, prices, quantities, sides, times), oldest
 * first, the most recent `limit` of them. */
static void test_recent_trades_match_stream(void **state) {
  fx *f = *state;
  seen s;
  seen_init(&s, f->name);
  cq_vchan ch = CQ_VCH_TRADES;
  cq_venue_stream *st = subscribe_btc(f, &s, &ch, 1);
  size_t want = 4;
  if (!wait_for(&s, trades_at_least, &want, LONG_WAIT_MS))
    fail_msg("%s: %zu trades streamed", f->name, s.trades.len);
  /* the market stops here: the stream and the answer end at the same trade */
  cq_vsim_set_clock(f->sim, cq_vsim_now_ms(f->sim));
  cq_verror ve;
  cq_trades r;
  cq_trades_init(&r, 0);
  VOK(f->ops->trades(f->v, "BTC/USDT", -1, 100000, &r, &ve)); /* capped, not refused */
  assert_true(r.len > 0 && r.len <= venue_trades_max(f->name));
  if (!wait_for(&s, trade_seen, r.id[r.len - 1], WAIT_MS))
    fail_msg("%s: the newest recent trade %s never came on the stream", f->name, r.id[r.len - 1]);
  pthread_mutex_lock(&s.mu);
  size_t k = s.trades.len;
  while (k-- > 0 && strcmp(s.trades.id[k], r.id[r.len - 1]) != 0) {
  }
  /* nothing after it on the stream either */
  assert_int_equal(k, s.trades.len - 1);
  size_t i = r.len, j = k + 1, matched = 0;
  while (i > 0 && j > 0) {
    i--, j--;
    if (strcmp(r.id[i], s.trades.id[j]) != 0 || !cq_dec_eq(r.price[i], s.trades.price[j]) ||
        !cq_dec_eq(r.qty[i], s.trades.qty[j]) || r.taker_side[i] != s.trades.taker_side[j] ||
        r.time[i] != s.trades.time[j])
      fail_msg("%s: recent trade %zu (%s) differs from streamed trade %zu (%s)", f->name, i,
               r.id[i], j, s.trades.id[j]);
    matched++;
  }
  pthread_mutex_unlock(&s.mu);
  /* every streamed trade the answer reaches back to */
  assert_true(matched >= (r.len < want ? r.len : want));
  for (size_t x = 1; x < r.len; x++) assert_true(r.time[x] >= r.time[x - 1]);
  /* a smaller limit: the newest of the same trades */
  cq_trades few;
  cq_trades_init(&few, 0);
  VOK(f->ops->trades(f->v, "BTC/USDT", -1, 3, &few, &ve));
  assert_int_equal(few.len, r.len < 3 ? r.len : 3);
  for (size_t x = 0; x < few.len; x++) assert_string_equal(few.id[x], r.id[r.len - few.len + x]);
  /* where the venue keeps its history by id: from the first streamed trade on, the same */
  if (f->ops->caps & CQ_VCAP_TRADES_HISTORY) {
    cq_trades h;
    cq_trades_init(&h, 0);
    pthread_mutex_lock(&s.mu);
    size_t n = k + 1;
    char first[CQ_TRADE_ID_MAX];
    snprintf(first, sizeof first, "%s", s.trades.id[0]);
    pthread_mutex_unlock(&s.mu);
    VOK(f->ops->trades(f->v, "BTC/USDT", strtoll(first, NULL, 10), n, &h, &ve));
    assert_int_equal(h.len, n);
    pthread_mutex_lock(&s.mu);
    for (size_t x = 0; x < n; x++)
      if (strcmp(h.id[x], s.trades.id[x]) != 0 || !cq_dec_eq(h.price[x], s.trades.price[x]) ||
          !cq_dec_eq(h.qty[x], s.trades.qty[x]) || h.taker_side[x] != s.trades.taker_side[x] ||
          h.time[x] != s.trades.time[x])
        fail_msg("%s: historical trade %zu (%s) differs from streamed %s", f->name, x, h.id[x],
                 s.trades.id[x]);
    pthread_mutex_unlock(&s.mu);
    cq_trades_release(&h);
  }
  cq_vsim_set_clock(f->sim, 0);
  cq_trades_release(&few);
  cq_trades_release(&r);
  f->ops->unsubscribe(st);
  assert_string_equal(s.bad, "");
  seen_release(&s);
}

static bool streaming(const seen *s, const void *arg) {
  (void)arg;
  return s->kinds[CQ_VEV_TRADE] > 0 && s->status[CQ_VST_BOOK_SYNCED] > 0 && s->book_valid &&
         s->timed_books > 0;
}

/* The reconnect, in status events from log[from] on: the book invalid (its symbol said),
 * DISCONNECTED, CONNECTED "reconnected", the book synced again, and trades after it. */
typedef struct reconnect_seen {
  size_t from;
  long invalid, down, up, synced; /* indices in log, -1 until seen in that order */
} reconnect_seen;

static void scan_reconnect(const seen *s, reconnect_seen *r) {
  r->invalid = r->down = r->up = r->synced = -1;
  for (size_t i = r->from; i < s->nlog; i++) {
    const status_rec *x = &s->log[i];
    if (r->down < 0 && x->status == CQ_VST_BOOK_INVALID && strcmp(x->symbol, "BTC/USDT") == 0)
      r->invalid = (long)i;
    else if (r->down < 0 && x->status == CQ_VST_DISCONNECTED)
      r->down = (long)i;
    else if (r->down >= 0 && r->up < 0 && x->status == CQ_VST_CONNECTED &&
             strcmp(x->detail, "reconnected") == 0)
      r->up = (long)i;
    else if (r->up >= 0 && r->synced < 0 && x->status == CQ_VST_BOOK_SYNCED &&
             strcmp(x->symbol, "BTC/USDT") == 0)
      r->synced = (long)i;
  }
}

static bool reconnected(const seen *s, const void *arg) {
  reconnect_seen r = *(const reconnect_seen *)arg;
  scan_reconnect(s, &r);
  return r.synced >= 0 && s->kinds[CQ_VEV_TRADE] > s->log[r.up].trades_before && s->book_valid;
}

/* The connection drops: the capture is told (DISCONNECTED, then CONNECTED "reconnected"),
 * the book is invalid in between and synced after, and the trades go on. */
static void test_reconnect_status(void **state) {
  fx *f = *state;
  seen s;
  seen_init(&s, f->name);
  cq_vchan ch[2] = {CQ_VCH_TRADES, CQ_VCH_BOOK};
  cq_venue_stream *st = subscribe_btc(f, &s, ch, 2);
  if (!wait_for(&s, streaming, NULL, WAIT_MS))
    fail_msg("%s: no trades and synced book: trades %" PRIu64 " synced %" PRIu64, f->name,
             s.kinds[CQ_VEV_TRADE], s.status[CQ_VST_BOOK_SYNCED]);
  reconnect_seen r;
  memset(&r, 0, sizeof r);
  pthread_mutex_lock(&s.mu);
  r.from = s.nlog;
  assert_true(s.nlog > 0 && s.log[0].status == CQ_VST_CONNECTED);
  assert_string_equal(s.log[0].detail, "connected");
  pthread_mutex_unlock(&s.mu);
  arm(f, CQ_VSIM_FAULT_WS_DROP, 3, 0);
  if (!wait_for(&s, reconnected, &r, LONG_WAIT_MS)) {
    pthread_mutex_lock(&s.mu);
    scan_reconnect(&s, &r);
    pthread_mutex_unlock(&s.mu);
    fail_msg(
        "%s: reconnect not seen: book invalid at %ld, disconnected at %ld, reconnected at "
        "%ld, synced at %ld",
        f->name, r.invalid, r.down, r.up, r.synced);
  }
  pthread_mutex_lock(&s.mu);
  scan_reconnect(&s, &r);
  assert_true(r.invalid >= 0 && r.invalid < r.down);
  pthread_mutex_unlock(&s.mu);
  f->ops->unsubscribe(st);
  assert_string_equal(s.bad, "");
  seen_release(&s);
}

#define T(fn, v) cmocka_unit_test_prestate_setup_teardown(fn, fx_setup, fx_teardown, v)
/* REST: market data, orders and their faults */
#define REST_TESTS(v)                                                              \
  T(test_instruments_and_time, v), T(test_candles, v), T(test_candle_pages, v),    \
      T(test_backfill, v), T(test_trades_and_book, v), T(test_order_lifecycle, v), \
      T(test_lost_order, v), T(test_rate_limited, v), T(test_5xx, v), T(test_time_offset, v)
/* streams, and what the stream capture relies on */
#define STREAM_TESTS(v)                                                        \
  T(test_market_streams, v), T(test_user_stream, v), T(test_ticker_stream, v), \
      T(test_recent_trades_match_stream, v), T(test_reconnect_status, v)

/* argv[1] "rest" or "streams" runs that half (two test executables, each within the time
 * one test may take); none runs both. */
int main(int argc, char **argv) {
  const char *part = argc > 1 ? argv[1] : "";
  bool rest = strcmp(part, "streams") != 0, streams = strcmp(part, "rest") != 0;
  const struct CMUnitTest rest_b[] = {REST_TESTS((void *)"binance")};
  const struct CMUnitTest rest_o[] = {REST_TESTS((void *)"okx")};
  const struct CMUnitTest rest_y[] = {REST_TESTS((void *)"bybit")};
  const struct CMUnitTest str_b[] = {STREAM_TESTS((void *)"binance")};
  const struct CMUnitTest str_o[] = {STREAM_TESTS((void *)"okx")};
  const struct CMUnitTest str_y[] = {STREAM_TESTS((void *)"bybit")};
  int failed = 0;
  if (rest) {
    failed += cmocka_run_group_tests_name("binance", rest_b, NULL, NULL);
    failed += cmocka_run_group_tests_name("okx", rest_o, NULL, NULL);
    failed += cmocka_run_group_tests_name("bybit", rest_y, NULL, NULL);
  }
  if (streams) {
    failed += cmocka_run_group_tests_name("binance streams", str_b, NULL, NULL);
    failed += cmocka_run_group_tests_name("okx streams", str_o, NULL, NULL);
    failed += cmocka_run_group_tests_name("bybit streams", str_y, NULL, NULL);
  }
  return failed;
}
