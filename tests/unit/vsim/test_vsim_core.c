/* The venue simulator's exchange core and configuration: resting orders filled by the
 * market over several steps (partial fills), stops, balances kept exact, accounts and
 * fault scenarios from YAML files, gaps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cquant/data.h"
#include "cquant/store.h"
#include "cquant/vsim.h"
#include "internal.h"

#define T0 INT64_C(1735732800000) /* 2025-01-01T12:00:00Z */
#define HOUR_MS INT64_C(3600000)
#define MIN_MS INT64_C(60000)

typedef struct fixture {
  cq_vsim_options o;
  cq_vsim_account acc;
  vm_market m;
  vx_exchange *x;
} fixture;

static void setup(fixture *f, const char *balances) {
  cq_vsim_options_default(&f->o);
  f->acc = (cq_vsim_account){"k", "s", balances};
  f->o.accounts = &f->acc;
  f->o.naccounts = 1;
  f->o.market = "synthetic:3";
  assert_int_equal(vm_init(&f->m, &f->o, NULL), CQ_OK);
  assert_int_equal(vx_new(&f->m, &f->o, &f->x, NULL), CQ_OK);
}

static void teardown(fixture *f) {
  vx_free(f->x);
  vm_release(&f->m);
}

static cq_dec bal(fixture *f, const char *asset, bool locked) {
  vx_balance *b;
  size_t n;
  int64_t upd;
  assert_int_equal(vx_balances(f->x, 0, &b, &n, &upd, NULL), CQ_OK);
  cq_dec v = CQ_DEC(0, 0);
  for (size_t i = 0; i < n; i++)
    if (!strcmp(b[i].asset, asset)) v = locked ? b[i].locked : b[i].free;
  free(b);
  return v;
}

static cq_dec on_tick(double v, cq_dec tick) {
  double k = v / cq_dec_to_double(tick);
  return CQ_DEC((int64_t)(k + 0.5) * tick.m, tick.scale);
}

/* A resting buy fills only when the market comes down through it, as a maker, and over
 * several steps when it is larger than the liquidity that crosses it. */
static void test_resting_fills(void **state) {
  (void)state;
  fixture f;
  setup(&f, "USDT=1000000");
  /* find a time after T0 when the price has dropped by some ticks below the price at T0 */
  const vm_symbol *y = &f.m.syms[0];
  vm_level b0, a0;
  vm_book(&f.m, 0, T0 / VM_BOOK_STEP_MS, &b0, &a0, 1);
  int64_t t_low = 0;
  double low = b0.price;
  for (int64_t t = T0 + 100; t < T0 + 3600000; t += 100) {
    vm_level b, a;
    vm_book(&f.m, 0, t / VM_BOOK_STEP_MS, &b, &a, 1);
    if (a.price < b0.price - 20 * y->tick) {
      t_low = t;
      low = a.price;
      break;
    }
  }
  assert_true(t_low > 0);
  cq_dec price = on_tick(b0.price - 10 * y->tick, y->ins.tick);
  vx_new_order r = {.account = 0,
                    .sym = 0,
                    .client_id = "rest",
                    .side = CQ_SIDE_BUY,
                    .type = CQ_ORDER_LIMIT,
                    .tif = CQ_TIF_GTC,
                    .qty = CQ_DEC(500000, 5),
                    .price = price};
  vx_order o;
  vx_fill fills[4];
  size_t nf;
  vx_result res;
  assert_int_equal(vx_place(f.x, &r, T0, &o, fills, 4, &nf, &res), CQ_OK);
  assert_int_equal(o.state, CQ_OS_ACCEPTED);
  assert_int_equal(nf, 0);
  cq_dec locked = bal(&f, "USDT", true);
  assert_true(cq_dec_sign(locked) > 0);
  /* the market walks down: partial fills at the order's price */
  int partial_seen = 0;
  for (int64_t t = T0 + 100; t <= t_low + 60000; t += 100) {
    assert_int_equal(vx_market_step(f.x, t, NULL), CQ_OK);
    assert_int_equal(vx_query(f.x, 0, 0, o.id, NULL, &o, &res), CQ_OK);
    if (o.state == CQ_OS_PARTIAL) partial_seen++;
    if (o.state == CQ_OS_FILLED) break;
  }
  (void)low;
  assert_true(partial_seen > 0);
  vx_mytrade *tr;
  size_t n;
  assert_int_equal(vx_my_trades(f.x, 0, 0, 0, -1, 0, 0, 1000, &tr, &n, NULL), CQ_OK);
  assert_true(n >= 2);
  cq_dec sum = CQ_DEC(0, 5);
  for (size_t i = 0; i < n; i++) {
    assert_true(tr[i].f.maker);
    assert_true(cq_dec_eq(tr[i].f.price, price));
    assert_int_equal(cq_dec_add(sum, tr[i].f.qty, &sum, NULL), CQ_OK);
  }
  free(tr);
  assert_true(cq_dec_eq(sum, o.filled));
  /* base received = filled - fee */
  cq_dec fee = CQ_DEC(0, 8), got;
  assert_int_equal(vx_my_trades(f.x, 0, 0, 0, -1, 0, 0, 1000, &tr, &n, NULL), CQ_OK);
  for (size_t i = 0; i < n; i++) assert_int_equal(cq_dec_add(fee, tr[i].f.fee, &fee, NULL), CQ_OK);
  free(tr);
  assert_int_equal(cq_dec_sub(o.filled, fee, &got, NULL), CQ_OK);
  assert_true(cq_dec_eq(bal(&f, "BTC", false), got));
  /* free + locked + spent = the deposit, to the last digit */
  cq_dec total;
  assert_int_equal(cq_dec_add(bal(&f, "USDT", false), bal(&f, "USDT", true), &total, NULL), CQ_OK);
  assert_int_equal(cq_dec_add(total, o.quote, &total, NULL), CQ_OK);
  assert_true(cq_dec_eq(total, CQ_DEC(1000000, 0)));
  teardown(&f);
}

/* A sell into a quote asset the account does not hold yet, when adding it grows the
 * account's balances: the proceeds land, nothing else moves. */
static void test_new_asset(void **state) {
  (void)state;
  fixture f;
  setup(&f, "A1=1,A2=1,A3=1,A4=1,A5=1,A6=1,A7=1,BTC=1");
  vx_new_order r = {.account = 0,
                    .sym = 0,
                    .client_id = "s",
                    .side = CQ_SIDE_SELL,
                    .type = CQ_ORDER_MARKET,
                    .qty = CQ_DEC(10000, 5)};
  vx_order o;
  vx_fill fl[8];
  size_t nf;
  vx_result res;
  assert_int_equal(vx_place(f.x, &r, T0, &o, fl, 8, &nf, &res), CQ_OK);
  assert_int_equal(o.state, CQ_OS_FILLED);
  assert_true(cq_dec_eq(bal(&f, "BTC", false), CQ_DEC(90000, 5)));
  assert_true(cq_dec_eq(bal(&f, "BTC", true), CQ_DEC(0, 0)));
  cq_dec fee = CQ_DEC(0, 0), got;
  for (size_t i = 0; i < nf; i++) assert_int_equal(cq_dec_add(fee, fl[i].fee, &fee, NULL), 0);
  assert_int_equal(cq_dec_sub(o.quote, fee, &got, NULL), CQ_OK);
  assert_true(cq_dec_eq(bal(&f, "USDT", false), got));
  assert_true(cq_dec_eq(bal(&f, "A7", false), CQ_DEC(1, 0)));
  teardown(&f);
}

static void test_stop_and_cancel(void **state) {
  (void)state;
  fixture f;
  setup(&f, "USDT=100000,BTC=1");
  const vm_symbol *y = &f.m.syms[0];
  double p0 = vm_price(&f.m, 0, T0);
  /* a sell stop above the market would trigger at once: refused */
  vx_new_order r = {.account = 0,
                    .sym = 0,
                    .client_id = "stop",
                    .side = CQ_SIDE_SELL,
                    .type = CQ_ORDER_STOP,
                    .qty = CQ_DEC(10000, 5),
                    .stop = on_tick(p0 + 50 * y->tick, y->ins.tick)};
  vx_order o;
  vx_fill fl[4];
  size_t nf;
  vx_result res;
  assert_int_equal(vx_place(f.x, &r, T0, &o, fl, 4, &nf, &res), CQ_EREJECTED);
  assert_int_equal(res.why, VX_BAD_PARAM);
  /* below the market: rests until the price comes down to it */
  double lowest = p0;
  int64_t t_hit = 0;
  for (int64_t t = T0; t < T0 + 6 * HOUR_MS && !t_hit; t += 1000) {
    double p = vm_price(&f.m, 0, t);
    if (p < p0 - 30 * y->tick) t_hit = t;
    if (p < lowest) lowest = p;
  }
  assert_true(t_hit > 0);
  r.stop = on_tick(p0 - 30 * y->tick, y->ins.tick);
  assert_int_equal(vx_place(f.x, &r, T0, &o, fl, 4, &nf, &res), CQ_OK);
  assert_int_equal(o.state, CQ_OS_ACCEPTED);
  assert_false(o.working);
  assert_true(cq_dec_eq(bal(&f, "BTC", true), CQ_DEC(10000, 5)));
  for (int64_t t = T0 + 1000; t <= t_hit + 1000; t += 100)
    assert_int_equal(vx_market_step(f.x, t, NULL), CQ_OK);
  assert_int_equal(vx_query(f.x, 0, 0, 0, "stop", &o, &res), CQ_OK);
  assert_int_equal(o.state, CQ_OS_FILLED);
  assert_true(cq_dec_eq(bal(&f, "BTC", true), CQ_DEC(0, 0)));
  /* cancel of a filled order: unknown */
  assert_int_equal(vx_cancel(f.x, 0, 0, 0, "stop", t_hit, &o, &res), CQ_EREJECTED);
  assert_int_equal(res.why, VX_NO_ORDER);
  teardown(&f);
}

static void test_gap_and_candles(void **state) {
  (void)state;
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  o.gaps[0].from_ms = T0;
  o.gaps[0].to_ms = T0 + 3600000;
  o.ngaps = 1;
  vm_market m;
  assert_int_equal(vm_init(&m, &o, NULL), CQ_OK);
  cq_candle k;
  assert_false(vm_candle(&m, 0, T0, 60000, T0 + 86400000, &k));
  assert_false(vm_candle(&m, 0, T0, 3600000, T0 + 86400000, &k));
  assert_true(vm_candle(&m, 0, T0 - 3600000, 3600000, T0 + 86400000, &k));
  assert_true(k.closed && k.low <= k.open && k.high >= k.close && k.volume > 0);
  /* a day candle holding the gap is still there */
  assert_true(vm_candle(&m, 0, T0 - 12 * HOUR_MS, 86400000, T0 + 86400000, &k));
  vm_trade t[64];
  assert_int_equal(vm_trades_range(&m, 0, T0, T0 + 10000, t, 64), 0);
  /* the forming candle */
  assert_true(vm_candle(&m, 0, T0 - 3 * HOUR_MS, 3600000, T0 - 3 * HOUR_MS + 60000, &k));
  assert_false(k.closed);
  vm_release(&m);
  o.market = "replay:sqlite:x.db";
  cq_error err;
  assert_int_equal(vm_init(&m, &o, &err), CQ_EINVAL);
  o.market = "synthetic:abc";
  assert_int_equal(vm_init(&m, &o, &err), CQ_EINVAL);
}

static void test_files(void **state) {
  (void)state;
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  o.accounts_file = CQ_TEST_DATA "/vsim/accounts.yaml";
  o.faults_file = CQ_TEST_DATA "/vsim/faults.yaml";
  cq_vsim *s = NULL;
  cq_error err;
  int rc = cq_vsim_new(&o, &s, &err);
  if (rc) fail_msg("%s", err.msg);
  cq_vsim_set_clock(s, T0);
  cq_srv_response r;
  cq_vsim_handle(s, "GET", "/api/v3/ping", "", "", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.delay_ms, 5); /* the first step: latency at start */
  free(r.body);
  free(r.headers);
  cq_vsim_handle(s, "GET", "/api/v3/ping", "", "", NULL, &r);
  assert_int_equal(r.status, 503); /* after 2 requests: one 5xx */
  free(r.body);
  free(r.headers);
  cq_vsim_handle(s, "GET", "/api/v3/ping", "", "", NULL, &r);
  assert_int_equal(r.status, 200);
  free(r.body);
  free(r.headers);
  /* the accounts: bob's key is known (not signed: the listen key needs only the key) */
  cq_vsim_handle(s, "POST", "/api/v3/userDataStream", "", "", "bob", &r);
  assert_int_equal(r.status, 200);
  free(r.body);
  free(r.headers);
  cq_vsim_handle(s, "POST", "/api/v3/userDataStream", "", "", "mallory", &r);
  assert_int_equal(r.status, 401);
  free(r.body);
  free(r.headers);
  cq_vsim_free(s);
  o.faults_file = NULL;
  o.accounts_file = CQ_TEST_DATA "/vsim/accounts_bad.yaml";
  assert_int_equal(cq_vsim_new(&o, &s, &err), CQ_EPARSE);
  assert_non_null(strstr(err.msg, "account 1"));
  o.accounts_file = CQ_TEST_DATA "/vsim/missing.yaml";
  assert_int_equal(cq_vsim_new(&o, &s, &err), CQ_EPARSE);
  o.accounts_file = NULL;
  o.faults_file = CQ_TEST_DATA "/vsim/faults_bad.yaml";
  assert_int_equal(cq_vsim_new(&o, &s, &err), CQ_EINVAL);
  assert_non_null(strstr(err.msg, "step 1"));
  static const cq_vsim_account dup[] = {{"a", "b", "USDT=1"}, {"a", "c", "USDT=1"}};
  o.faults_file = NULL;
  o.accounts = dup;
  o.naccounts = 2;
  assert_int_equal(cq_vsim_new(&o, &s, &err), CQ_EINVAL);
  static const cq_vsim_account badbal[] = {{"a", "b", "USDT=-1"}};
  o.accounts = badbal;
  o.naccounts = 1;
  assert_int_equal(cq_vsim_new(&o, &s, &err), CQ_EINVAL);
  assert_non_null(strstr(err.msg, "USDT"));
}

/* replay: a stored series served as it is at its timeframe, aggregated above it */
static void test_replay(void **state) {
  (void)state;
  char dir[] = "/tmp/cq-vsim-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char uri[256], spec[400];
  snprintf(uri, sizeof uri, "sqlite:%s/r.db", dir);
  cq_store *st;
  cq_error err;
  if (cq_store_open(uri, &st, &err)) fail_msg("%s", err.msg);
  cq_synth_opts so;
  cq_synth_defaults(&so);
  so.start = T0 * CQ_NS_PER_MS;
  so.bars = 600;
  so.gap_rate = 0;
  cq_candles c;
  cq_candles_init(&c, 0);
  assert_int_equal(cq_data_synth(&so, &c, &err), CQ_OK);
  /* a hole in the store: rows 100..159 (an hour) left out */
  cq_series_key key;
  assert_int_equal(cq_series_key_set(&key, "binance", "SYN/USDT", "1m", &err), CQ_OK);
  assert_int_equal(cq_store_put_candles(st, &key, &c, 0, 100, NULL, &err), CQ_OK);
  assert_int_equal(cq_store_put_candles(st, &key, &c, 160, 440, NULL, &err), CQ_OK);
  cq_store_close(st);
  snprintf(spec, sizeof spec, "replay:%s?venue=binance&symbol=SYN/USDT&tf=1m", uri);
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  o.market = spec;
  vm_market m;
  if (vm_init(&m, &o, &err)) fail_msg("%s", err.msg);
  assert_true(m.replay);
  assert_int_equal(m.data0_ms, T0);
  int64_t end = T0 + 600 * MIN_MS;
  cq_candle k;
  assert_true(vm_candle(&m, 0, T0 + 5 * MIN_MS, 60000, end, &k));
  assert_true(k.open == c.open[5] && k.close == c.close[5] && k.high == c.high[5]);
  assert_false(vm_candle(&m, 0, T0 + 120 * MIN_MS, 60000, end, &k)); /* the hole */
  assert_true(vm_candle(&m, 0, T0, 3600000, end, &k));
  assert_true(k.open == c.open[0] && k.close == c.close[59]);
  /* the price at a candle's open is its open */
  assert_true(vm_price(&m, 0, T0 + 7 * MIN_MS) == c.open[7]);
  vm_release(&m);
  cq_candles_release(&c);
  snprintf(spec, sizeof spec, "replay:%s?venue=binance&symbol=NONE/USDT&tf=1m", uri);
  o.market = spec;
  assert_int_equal(vm_init(&m, &o, &err), CQ_ENOTFOUND);
  /* trades: three in the first second, one a minute later */
  assert_int_equal(cq_store_open(uri, &st, &err), CQ_OK);
  cq_trades tr;
  cq_trades_init(&tr, 0);
  static const struct {
    int64_t ms;
    const char *px, *q;
  } rows[] = {{0, "100.5", "1"}, {200, "101", "2"}, {900, "99.75", "0.5"}, {60000, "102", "1"}};
  for (size_t i = 0; i < 4; i++) {
    cq_trade t = {.time = (T0 + rows[i].ms) * CQ_NS_PER_MS, .taker_side = CQ_SIDE_BUY};
    assert_int_equal(cq_dec_parse_cstr(rows[i].px, &t.price, NULL), CQ_OK);
    assert_int_equal(cq_dec_parse_cstr(rows[i].q, &t.qty, NULL), CQ_OK);
    snprintf(t.id, sizeof t.id, "%zu", 1000 + i);
    assert_int_equal(cq_trades_push(&tr, &t), CQ_OK);
  }
  assert_int_equal(cq_store_put_trades(st, "binance", "SYN/USDT", &tr, NULL, &err), CQ_OK);
  cq_trades_release(&tr);
  cq_store_close(st);
  snprintf(spec, sizeof spec, "replay:%s?venue=binance&symbol=SYN/USDT&trades=1", uri);
  if (vm_init(&m, &o, &err)) fail_msg("%s", err.msg);
  assert_int_equal(m.data0_ms, T0);
  assert_true(vm_candle(&m, 0, T0, 60000, T0 + 120000, &k));
  assert_true(k.open == 100.5 && k.high == 101 && k.low == 99.75 && k.close == 99.75);
  assert_true(k.volume == 3.5 && k.trades == 3 && k.closed);
  /* exact decimals, at the largest scales stored (prices 2 digits, quantities 1) */
  vm_kx kx;
  char txt[96];
  assert_true(vm_candle_x(&m, 0, T0, 60000, T0 + 120000, &k, &kx));
  assert_true(kx.exact);
  vm_i128_text(kx.quote, kx.quote_scale, 0, txt, sizeof txt);
  assert_string_equal(txt, "352.375"); /* 100.5 + 202 + 49.875 */
  vm_i128_text(kx.vol, kx.qscale, 8, txt, sizeof txt);
  assert_string_equal(txt, "3.50000000");
  vm_i128_text(kx.low.m, kx.low.scale, 0, txt, sizeof txt);
  assert_string_equal(txt, "99.75");
  /* a bucket without trades inside the stored span: zero volume at the last price */
  assert_true(vm_candle_x(&m, 0, T0 + 30000, 30000, T0 + 240000, &k, &kx));
  assert_true(k.volume == 0 && k.trades == 0 && k.open == 99.75 && k.close == 99.75);
  assert_false(vm_candle(&m, 0, T0 + 120000, 60000, T0 + 240000, &k)); /* past the end: none */
  vm_trade vt[8];
  assert_int_equal(vm_trades_range(&m, 0, T0, T0 + 1000, vt, 8), 3);
  assert_int_equal(vt[2].id, 3);
  assert_int_equal(vm_trades_from_id(&m, 0, 3, T0 + 100000, vt, 8), 2);
  assert_int_equal(vt[1].id, 4);
  assert_int_equal(vm_trades_recent(&m, 0, T0 + 1000, vt, 2), 2);
  assert_int_equal(vt[0].id, 2);
  assert_true(vm_price(&m, 0, T0 + 30000) == 99.75);
  vm_release(&m);
  char path[300];
  static const char *const files[] = {"r.db", "r.db-wal", "r.db-shm", "r.db-journal"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    remove(path);
  }
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_resting_fills),   cmocka_unit_test(test_new_asset),
      cmocka_unit_test(test_stop_and_cancel), cmocka_unit_test(test_gap_and_candles),
      cmocka_unit_test(test_files),           cmocka_unit_test(test_replay),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
