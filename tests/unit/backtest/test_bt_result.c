/* The result: the shared time axis (union of the symbols' open times), round trips from
 * fills (scale-in, partial exit, one still open at the end) and the benchmark. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "bt_test_util.h"

#define MIN CQ_NS_PER_MIN

static void test_time_axis_union(void **state) {
  (void)state;
  /* minutes {0, 2, 3}, {1, 2, 5}, {3}: union {0, 1, 2, 3, 5} */
  const row r3[3] = {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}};
  const int ia[3] = {0, 2, 3}, ib[3] = {1, 2, 5}, ic[1] = {3};
  cq_candles a, b, c;
  make_candles(&a, r3, ia, 3);
  make_candles(&b, r3, ib, 3);
  make_candles(&c, r3, ic, 1);
  cq_bt_data data = {.n_symbols = 3, .candles = {&a, &b, &c}};
  cq_bt_result r;
  cq_bt_result_init(&r);
  assert_int_equal(cq_bt_time_axis(&data, &r, NULL), 0);
  assert_int_equal(r.n_bars, 5);
  const int64_t want[5] = {0, 1, 2, 3, 5};
  for (size_t i = 0; i < 5; i++) assert_int_equal(r.time[i], T0 + want[i] * MIN);
  cq_bt_result_release(&r);

  /* not ascending: refused, saying where */
  cq_error err = {0};
  b.open_time[2] = b.open_time[1];
  cq_bt_result_init(&r);
  assert_int_equal(cq_bt_time_axis(&data, &r, &err), CQ_EINVAL);
  assert_non_null(strstr(err.msg, "symbol 1"));
  assert_non_null(strstr(err.msg, "bar 2"));
  cq_bt_result_release(&r);

  /* no candles at all */
  cq_candles e;
  cq_candles_init(&e, 0);
  cq_bt_data none = {.n_symbols = 1, .candles = {&e}};
  assert_int_equal(cq_bt_time_axis(&none, &r, &err), CQ_EINVAL);
  cq_bt_result_release(&r);
  cq_candles_release(&a);
  cq_candles_release(&b);
  cq_candles_release(&c);
}

static void add_fill(cq_bt_result *r, int minute, cq_side side, double price, double qty,
                     double fee) {
  cq_bt_fill f = {
      .time = T0 + minute * MIN, .symbol = 0, .side = side, .price = price, .qty = qty, .fee = fee};
  assert_int_equal(cq_bt_result_add_fill(r, &f, NULL), 0);
}

static void test_round_trips(void **state) {
  (void)state;
  /* closes 100 .. 104 over 6 bars; the last close is 104 */
  const row rows[6] = {{100, 100, 100, 100}, {100, 100, 100, 100}, {110, 110, 110, 110},
                       {120, 120, 120, 120}, {130, 130, 130, 130}, {100, 104, 100, 104}};
  cq_candles c;
  make_candles(&c, rows, NULL, 6);
  cq_bt_data data = {.n_symbols = 1, .candles = {&c}};
  cq_bt_result r;
  cq_bt_result_init(&r);
  test_config(&r.config, 1);
  assert_int_equal(cq_bt_time_axis(&data, &r, NULL), 0);
  for (size_t i = 0; i < 6; i++) r.equity[i] = 1000;
  /* scale in: 1 @ 100, 1 @ 110; scale out: 1 @ 120, 1 @ 130 (0.1 % fees) */
  add_fill(&r, 1, CQ_SIDE_BUY, 100, 1, 0.1);
  add_fill(&r, 2, CQ_SIDE_BUY, 110, 1, 0.11);
  add_fill(&r, 3, CQ_SIDE_SELL, 120, 1, 0.12);
  add_fill(&r, 4, CQ_SIDE_SELL, 130, 1, 0.13);
  /* a new position of 0.5 @ 100 still open at the end */
  add_fill(&r, 5, CQ_SIDE_BUY, 100, 0.5, 0.05);
  assert_int_equal(cq_bt_finish(&r, &data, NULL), 0);
  assert_int_equal(r.n_trades, 2);
  const cq_bt_trade *t = &r.trades[0];
  /* largest position 2; average entry (100 + 110) / 2 = 105, exit (120 + 130) / 2 = 125;
   * fees .46; pnl = 250 - 210 - .46 = 39.54; ret = 39.54 / 210 */
  assert_false(t->open);
  assert_near(t->qty, 2);
  assert_near(t->entry_price, 105);
  assert_near(t->exit_price, 125);
  assert_near(t->fees, 0.46);
  assert_near(t->pnl, 39.54);
  assert_near(t->ret, 39.54 / 210);
  assert_int_equal(t->entry_bar, 1);
  assert_int_equal(t->exit_bar, 4);
  assert_int_equal(t->entry_time, T0 + 1 * MIN);
  assert_int_equal(t->exit_time, T0 + 4 * MIN);
  /* open: 0.5 @ 100 marked at 104: pnl = 52 - 50 - .05 = 1.95, ret 1.95 / 50 */
  t = &r.trades[1];
  assert_true(t->open);
  assert_near(t->qty, 0.5);
  assert_near(t->entry_price, 100);
  assert_near(t->exit_price, 104);
  assert_near(t->pnl, 1.95);
  assert_near(t->ret, 0.039);
  assert_int_equal(t->entry_bar, 5);
  assert_int_equal(t->exit_bar, 5);
  /* benchmark: 1000 x close / 100 */
  assert_near(r.benchmark[0], 1000);
  assert_near(r.benchmark[4], 1300);
  assert_near(r.benchmark[5], 1040);
  assert_int_equal(r.metrics.n_trades, 1);
  cq_bt_result_release(&r);
  cq_candles_release(&c);
}

static void test_partial_exit_tenths(void **state) {
  (void)state;
  /* 0.3 bought, sold 0.1 then 0.2: flat exactly (decimals, not 0.3 - 0.1 - 0.2 in binary) */
  const row rows[3] = {{10, 10, 10, 10}, {10, 10, 10, 10}, {10, 10, 10, 10}};
  cq_candles c;
  make_candles(&c, rows, NULL, 3);
  cq_bt_data data = {.n_symbols = 1, .candles = {&c}};
  cq_bt_result r;
  cq_bt_result_init(&r);
  test_config(&r.config, 1);
  assert_int_equal(cq_bt_time_axis(&data, &r, NULL), 0);
  for (size_t i = 0; i < 3; i++) r.equity[i] = 1000;
  add_fill(&r, 0, CQ_SIDE_BUY, 10, 0.3, 0);
  add_fill(&r, 1, CQ_SIDE_SELL, 11, 0.1, 0);
  add_fill(&r, 2, CQ_SIDE_SELL, 12, 0.2, 0);
  assert_int_equal(cq_bt_finish(&r, &data, NULL), 0);
  assert_int_equal(r.n_trades, 1);
  assert_false(r.trades[0].open);
  /* exit average (1.1 + 2.4) / 0.3 = 11.666..; pnl 3.5 - 3 = .5 */
  assert_near(r.trades[0].exit_price, 3.5 / 0.3);
  assert_near(r.trades[0].pnl, 0.5);
  cq_bt_result_release(&r);
  cq_candles_release(&c);
}

static void test_benchmark_two_symbols(void **state) {
  (void)state;
  /* A at minutes 0..3 closes 100, 110, 120, 90; B at 1 and 3 closes 50, 75.
   * mean of A/100 and B/50 (1 before B starts, B carried at minute 2):
   * (1 + 1) / 2, (1.1 + 1) / 2, (1.2 + 1) / 2, (.9 + 1.5) / 2 */
  const row ra[4] = {
      {100, 100, 100, 100}, {110, 110, 110, 110}, {120, 120, 120, 120}, {90, 90, 90, 90}};
  const row rb[2] = {{50, 50, 50, 50}, {75, 75, 75, 75}};
  const int ib[2] = {1, 3};
  cq_candles a, b;
  make_candles(&a, ra, NULL, 4);
  make_candles(&b, rb, ib, 2);
  cq_bt_data data = {.n_symbols = 2, .candles = {&a, &b}};
  cq_bt_result r;
  cq_bt_result_init(&r);
  test_config(&r.config, 2);
  assert_int_equal(cq_bt_time_axis(&data, &r, NULL), 0);
  for (size_t i = 0; i < 4; i++) r.equity[i] = 1000;
  assert_int_equal(cq_bt_finish(&r, &data, NULL), 0);
  assert_near(r.benchmark[0], 1000);
  assert_near(r.benchmark[1], 1050);
  assert_near(r.benchmark[2], 1100);
  assert_near(r.benchmark[3], 1200);
  assert_near(r.metrics.buy_hold_return, 0.2);
  cq_bt_result_release(&r);
  cq_candles_release(&a);
  cq_candles_release(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_time_axis_union),
      cmocka_unit_test(test_round_trips),
      cmocka_unit_test(test_partial_exit_tenths),
      cmocka_unit_test(test_benchmark_two_symbols),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
