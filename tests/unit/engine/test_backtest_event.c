/* The event-driven backtest on the five bars of stepper.h, worked by hand: market orders
 * at the next open, at the close, with one bar of order latency, all-in and percent sizes
 * with the fee, a rejection, and the recorded equity, cash, exposure, fills and trades.
 * Cash 10000 USDT, fees 0.1 %, tick 0.01, lot 0.001, min notional 5. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/backtest.h"
#include "stepper.h"

typedef struct run {
  cq_candles c;
  cq_bt_config cfg;
  cq_bt_data data;
  cq_bt_result r;
} run;

static void setup_run(run *x, double buy_bar, double sell_bar, double qty) {
  memset(x, 0, sizeof *x);
  cq_candles_init(&x->c, 0);
  for (int i = 0; i < 5; i++) {
    cq_candle b = test_bar(i);
    assert_int_equal(cq_candles_push(&x->c, &b), CQ_OK);
  }
  cq_bt_config_default(&x->cfg);
  strcpy(x->cfg.strategy, "stepper");
  x->cfg.params = (cq_param_values){3, {buy_bar, sell_bar, qty}};
  strcpy(x->cfg.venue, "binance");
  x->cfg.n_symbols = 1;
  strcpy(x->cfg.symbols[0], "BTC/USDT");
  x->cfg.instruments[0] = test_instrument();
  x->cfg.tf = (cq_timeframe){1, CQ_TF_HOUR};
  x->cfg.initial_cash = CQ_DEC(10000, 0);
  x->data.n_symbols = 1;
  x->data.candles[0] = &x->c;
}

static void go(run *x) {
  cq_error err;
  int rc = cq_bt_run_event_def(&x->cfg, &stepper_def, &x->data, NULL, &x->r, &err);
  if (rc) fail_msg("%s", err.msg);
  assert_int_equal(x->r.n_bars, 5);
}

static void done(run *x) {
  cq_bt_result_release(&x->r);
  cq_candles_release(&x->c);
}

#define NEAR(a, b) assert_float_equal((a), (b), 1e-9)

/* All-in buy at bar 0's close fills at bar 1's open, 102: the most lots with the fee,
 * 10000 / (102 x 1.001) = 97.9412... -> 97.941; cost 9989.982, fee 9.989982, cash left
 * 0.028018. The sell at bar 2's close fills at bar 3's open, 110: 10773.51, fee 10.77351,
 * cash 10762.764508. Equity: 10000; 0.028018 + 97.941 x 102 = 9990.010018;
 * 0.028018 + 97.941 x 105 = 10283.833018; 10762.764508 twice. One round trip:
 * 10773.51 - 9989.982 - 9.989982 - 10.77351 = 762.764508. */
static void test_next_open_all_in(void **state) {
  (void)state;
  run x;
  setup_run(&x, 0, 2, 0);
  go(&x);
  const double eq[5] = {10000, 9990.010018, 10283.833018, 10762.764508, 10762.764508};
  for (int i = 0; i < 5; i++) NEAR(x.r.equity[i], eq[i]);
  NEAR(x.r.cash[1], 0.028018);
  NEAR(x.r.exposure[1], 9989.982 / 9990.010018);
  NEAR(x.r.exposure[3], 0);
  assert_int_equal(x.r.n_fills, 2);
  assert_int_equal(x.r.fills[0].time, T0 + HOUR);
  assert_int_equal(x.r.fills[0].side, CQ_SIDE_BUY);
  NEAR(x.r.fills[0].price, 102);
  NEAR(x.r.fills[0].qty, 97.941);
  NEAR(x.r.fills[0].fee, 9.989982);
  assert_int_equal(x.r.fills[0].liquidity, CQ_LIQ_TAKER);
  NEAR(x.r.fills[1].price, 110);
  NEAR(x.r.fills[1].fee, 10.77351);
  assert_int_equal(x.r.orders, 2);
  assert_int_equal(x.r.rejected, 0);
  assert_int_equal(x.r.n_trades, 1);
  assert_int_equal(x.r.trades[0].entry_bar, 1);
  assert_int_equal(x.r.trades[0].exit_bar, 3);
  NEAR(x.r.trades[0].pnl, 762.764508);
  assert_false(x.r.trades[0].open);
  done(&x);
}

/* At the close: the buy at bar 0 fills at 100 when it closes: 10000 / 100.1 = 99.9000... -> 99.9, cost
 * 9990, fee 9.99, cash 0.01; the sell at bar 2 fills at 105: 10489.5, fee 10.4895, cash
 * 10479.0205. Equity 0.01 + 9990 = 9990.01; 0.01 + 99.9 x 102 = 10189.81; 10479.0205. */
static void test_close_fills(void **state) {
  (void)state;
  run x;
  setup_run(&x, 0, 2, 0);
  x.cfg.match.market_fill = CQ_FILL_THIS_CLOSE;
  go(&x);
  assert_int_equal(x.r.n_fills, 2);
  NEAR(x.r.fills[0].price, 100);
  NEAR(x.r.fills[0].qty, 99.9);
  assert_int_equal(x.r.fills[0].time, T0 + HOUR); /* at bar 0's close */
  NEAR(x.r.equity[0], 9990.01);
  NEAR(x.r.equity[1], 10189.81);
  NEAR(x.r.equity[2], 10479.0205);
  NEAR(x.r.cash[4], 10479.0205);
  done(&x);
}

/* One bar of order latency: the buy at bar 0's close reaches the book at bar 2's open,
 * 104: 10000 / 104.104 = 96.0577... -> 96.057, cost 9989.928, fee 9.989928, cash
 * 0.082072. The sell at bar 2's close fills at bar 4's open, 108: 10374.156, fee
 * 10.374156, cash 10363.863916. Equity at bar 1 is untouched, 10000; at bar 3
 * 0.082072 + 96.057 x 109 = 10470.295072. */
static void test_latency_one_bar(void **state) {
  (void)state;
  run x;
  setup_run(&x, 0, 2, 0);
  x.cfg.match.order_latency.bars = 1;
  go(&x);
  assert_int_equal(x.r.n_fills, 2);
  assert_int_equal(x.r.fills[0].time, T0 + 2 * HOUR);
  NEAR(x.r.fills[0].qty, 96.057);
  NEAR(x.r.fills[0].fee, 9.989928);
  NEAR(x.r.equity[1], 10000);
  NEAR(x.r.equity[3], 10470.295072);
  assert_int_equal(x.r.fills[1].time, T0 + 4 * HOUR);
  NEAR(x.r.cash[4], 10363.863916);
  done(&x);
}

/* Half the equity: at bar 1's open (102) the budget is 5000, 5000 / 102.102 = 48.9706...
 * -> 48.970, cost 4994.94, fee 4.99494, cash 5000.06506, equity 9995.00506. Never sold:
 * an open trade marked at the last close, 108: pnl 48.97 x 108 - 4994.94 - 4.99494
 * = 288.82506. */
static void test_percent_size(void **state) {
  (void)state;
  run x;
  setup_run(&x, 0, -1, 0);
  x.cfg.size = (cq_size){CQ_SIZE_PERCENT, 0.5};
  go(&x);
  assert_int_equal(x.r.n_fills, 1);
  NEAR(x.r.fills[0].qty, 48.97);
  NEAR(x.r.fills[0].fee, 4.99494);
  NEAR(x.r.cash[1], 5000.06506);
  NEAR(x.r.equity[1], 9995.00506);
  assert_int_equal(x.r.n_trades, 1);
  assert_true(x.r.trades[0].open);
  NEAR(x.r.trades[0].pnl, 288.82506);
  done(&x);
}

/* 0.01 BTC at 102 is 1.02 USDT, below the minimum of 5: rejected, nothing fills. */
static void test_rejection_counted(void **state) {
  (void)state;
  run x;
  setup_run(&x, 0, -1, 0.01);
  go(&x);
  assert_int_equal(x.r.orders, 1);
  assert_int_equal(x.r.rejected, 1);
  assert_int_equal(x.r.n_fills, 0);
  for (int i = 0; i < 5; i++) NEAR(x.r.equity[i], 10000);
  done(&x);
}

/* The benchmark holds equal weights from the first close: 10000 x close / 100. */
static void test_benchmark(void **state) {
  (void)state;
  run x;
  setup_run(&x, -1, -1, 0);
  go(&x);
  for (int i = 0; i < 5; i++) NEAR(x.r.benchmark[i], 100.0 * BARS[i][3]);
  assert_int_equal(x.r.orders, 0);
  done(&x);
}

/* Two symbols, the second without a bar at 02:00: the axis is the union (5 bars), the
 * stepper trades symbol 0 as before (same fills as test_next_open_all_in), and the
 * benchmark puts 5000 in each from its first close, holding the second's last close over
 * its gap. Second symbol closes: 50, 55, -, 60, 45 -> 5000 x close / 50. */
static void test_two_symbols_with_a_gap(void **state) {
  (void)state;
  run x;
  setup_run(&x, 0, 2, 0);
  cq_candles c2;
  cq_candles_init(&c2, 0);
  const double closes[5] = {50, 55, 0, 60, 45};
  for (int i = 0; i < 5; i++) {
    if (i == 2) continue;
    cq_candle b = {.open_time = T0 + i * HOUR,
                   .open = closes[i],
                   .high = closes[i] + 1,
                   .low = closes[i] - 1,
                   .close = closes[i],
                   .volume = 100,
                   .trades = -1,
                   .closed = true};
    assert_int_equal(cq_candles_push(&c2, &b), CQ_OK);
  }
  x.cfg.n_symbols = 2;
  strcpy(x.cfg.symbols[1], "ETH/USDT");
  x.cfg.instruments[1] = test_instrument();
  strcpy(x.cfg.instruments[1].symbol, "ETH/USDT");
  strcpy(x.cfg.instruments[1].base, "ETH");
  x.data.n_symbols = 2;
  x.data.candles[1] = &c2;
  go(&x);
  assert_int_equal(x.r.n_fills, 2);
  NEAR(x.r.fills[1].price, 110);
  NEAR(x.r.equity[2], 10283.833018);
  const double second[5] = {50, 55, 55, 60, 45};
  for (int i = 0; i < 5; i++)
    NEAR(x.r.benchmark[i], 5000.0 * BARS[i][3] / 100 + 5000.0 * second[i] / 50);
  cq_candles_release(&c2);
  done(&x);
}

/* Instruments given only their grid: symbol, base, quote and venue come from the config;
 * the run is the one of test_next_open_all_in. */
static void test_instrument_from_config(void **state) {
  (void)state;
  run x;
  setup_run(&x, 0, 2, 0);
  cq_instrument *in = &x.cfg.instruments[0];
  in->symbol[0] = in->base[0] = in->quote[0] = in->venue[0] = '\0';
  go(&x);
  assert_int_equal(x.r.n_fills, 2);
  NEAR(x.r.cash[4], 10762.764508);
  done(&x);
}

/* Tick data, through the kernel and the matcher: 1h bars aggregated from these trades
 * (minutes after T0: price x quantity):
 *   bar 0: 10: 100 x 1, 30: 101 x 2            -> O 100 H 101 L 100 C 101
 *   bar 1: 70: 102 x 0.3, 80: 103 x 5, 100: 101 x 1 -> O 102 H 103 L 101 C 101
 *   bar 2: 130: 100 x 2, 150: 99 x 2            -> O 100 H 100 L 99 C 99
 * The buy of 1 at bar 0's close fills at the next trades, at most what each trades: 0.3 at
 * 102 (fee 0.0306), then 0.7 at 103 (fee 0.0721). The sell at bar 1's close fills at the
 * 130-minute trade: 1 at 100 (fee 0.1). Cash 10000 - 30.6 - 0.0306 - 72.1 - 0.0721 =
 * 9897.1973, then + 100 - 0.1 = 9997.0973. Equity: 10000; 9897.1973 + 101 = 9998.1973;
 * 9997.0973. The round trip: entry 102.7 average, pnl -2.9027. */
static void test_tick_data(void **state) {
  (void)state;
  run x;
  setup_run(&x, 0, 1, 1);
  cq_candles_clear(&x.c);
  const double bars[3][5] = {{100, 101, 100, 101, 3}, {102, 103, 101, 101, 6.3},
                             {100, 100, 99, 99, 4}};
  for (int i = 0; i < 3; i++) {
    cq_candle b = {.open_time = T0 + i * HOUR, .open = bars[i][0], .high = bars[i][1],
                   .low = bars[i][2], .close = bars[i][3], .volume = bars[i][4],
                   .quote_volume = 0, .trades = -1, .closed = true};
    assert_int_equal(cq_candles_push(&x.c, &b), CQ_OK);
  }
  const struct {
    int minute;
    cq_dec price, qty;
  } tape[] = {{10, CQ_DEC(100, 0), CQ_DEC(1, 0)},  {30, CQ_DEC(101, 0), CQ_DEC(2, 0)},
              {70, CQ_DEC(102, 0), CQ_DEC(3, 1)},  {80, CQ_DEC(103, 0), CQ_DEC(5, 0)},
              {100, CQ_DEC(101, 0), CQ_DEC(1, 0)}, {130, CQ_DEC(100, 0), CQ_DEC(2, 0)},
              {150, CQ_DEC(99, 0), CQ_DEC(2, 0)}};
  cq_trades t;
  cq_trades_init(&t, 0);
  for (size_t i = 0; i < sizeof tape / sizeof tape[0]; i++) {
    cq_trade tr = {.time = T0 + (int64_t)tape[i].minute * 60 * CQ_NS_PER_SEC, .price = tape[i].price,
                   .qty = tape[i].qty, .taker_side = CQ_SIDE_BUY};
    assert_int_equal(cq_trades_push(&t, &tr), CQ_OK);
  }
  x.data.trades[0] = &t;
  cq_error err;
  if (cq_bt_run_event_def(&x.cfg, &stepper_def, &x.data, NULL, &x.r, &err)) fail_msg("%s", err.msg);
  assert_int_equal(x.r.n_bars, 3);
  assert_int_equal(x.r.n_fills, 3);
  const double want[3][4] = {{70, 102, 0.3, 0.0306}, {80, 103, 0.7, 0.0721}, {130, 100, 1, 0.1}};
  for (int i = 0; i < 3; i++) {
    assert_true(x.r.fills[i].time == T0 + (int64_t)want[i][0] * 60 * CQ_NS_PER_SEC);
    NEAR(x.r.fills[i].price, want[i][1]);
    NEAR(x.r.fills[i].qty, want[i][2]);
    NEAR(x.r.fills[i].fee, want[i][3]);
    assert_int_equal(x.r.fills[i].liquidity, CQ_LIQ_TAKER);
  }
  NEAR(x.r.equity[0], 10000);
  NEAR(x.r.equity[1], 9998.1973);
  NEAR(x.r.equity[2], 9997.0973);
  assert_int_equal(x.r.n_trades, 1);
  NEAR(x.r.trades[0].entry_price, 102.7);
  NEAR(x.r.trades[0].pnl, -2.9027);
  cq_bt_result_release(&x.r);

  /* the vector engine and close fills refuse tick data, naming why */
  x.cfg.match.market_fill = CQ_FILL_THIS_CLOSE;
  assert_int_equal(cq_bt_run_event_def(&x.cfg, &stepper_def, &x.data, NULL, &x.r, &err),
                   CQ_EUNSUPPORTED);
  assert_non_null(strstr(err.msg, "next trade"));
  cq_trades_release(&t);
  cq_candles_release(&x.c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_next_open_all_in),       cmocka_unit_test(test_close_fills),
      cmocka_unit_test(test_latency_one_bar),        cmocka_unit_test(test_percent_size),
      cmocka_unit_test(test_rejection_counted),      cmocka_unit_test(test_benchmark),
      cmocka_unit_test(test_two_symbols_with_a_gap), cmocka_unit_test(test_instrument_from_config),
      cmocka_unit_test(test_tick_data),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
