/* The registry (lookup with the closest name, every definition sane, the cross rules), and
 * the grid through the real kernel on a few bars worked by hand. The signal strategies'
 * event forms are checked against their vector forms by test_bt_agreement. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/match.h"
#include "cquant/strategy.h"
#include "cquant/backtest.h"

/* ---- registry --------------------------------------------------------------------------- */

static void test_registry(void **state) {
  (void)state;
  static const char *const names[] = {"sma_cross", "ema_cross", "rsi_reversion", "bbands_breakout",
                                      "macd",      "donchian",  "grid"};
  assert_int_equal(cq_strategy_count(), 7);
  for (size_t i = 0; i < 7; i++) {
    assert_non_null(cq_strategy_at(i));
    assert_string_equal(cq_strategy_at(i)->name, names[i]);
    assert_ptr_equal(cq_strategy_find(names[i]), cq_strategy_at(i));
  }
  assert_null(cq_strategy_at(7));
  assert_ptr_equal(cq_strategy_find("SMA_Cross"), cq_strategy_at(0));
  assert_null(cq_strategy_find("sma"));
  assert_null(cq_strategy_find(NULL));

  const cq_strategy_def *d = NULL;
  assert_int_equal(cq_strategy_lookup("Donchian", &d, NULL), 0);
  assert_string_equal(d->name, "donchian");
  cq_error e = {0};
  assert_int_equal(cq_strategy_lookup("donchain", &d, &e), CQ_ENOTFOUND);
  assert_null(d);
  assert_string_equal(e.msg, "unknown strategy 'donchain'; did you mean 'donchian'?");
  assert_int_equal(cq_strategy_lookup("EMA_CROS", &d, &e), CQ_ENOTFOUND);
  assert_string_equal(e.msg, "unknown strategy 'EMA_CROS'; did you mean 'ema_cross'?");
  assert_int_equal(cq_strategy_lookup("buy_and_hold_forever", &d, &e), CQ_ENOTFOUND);
  assert_non_null(strstr(e.msg, "built-in: sma_cross"));
}

static void test_definitions(void **state) {
  (void)state;
  const cq_strategy_def *d;
  for (size_t i = 0; (d = cq_strategy_at(i)); i++) {
    assert_non_null(d->summary);
    assert_true(d->n_params > 0 && d->n_params <= CQ_MAX_PARAMS);
    assert_true(d->state_size > 0);
    assert_non_null(d->on_start);
    assert_non_null(d->on_candle);
    assert_non_null(d->on_order);
    /* grid alone is event-only */
    assert_true((d->signals == NULL) == (strcmp(d->name, "grid") == 0));
    double v[CQ_MAX_PARAMS];
    for (int k = 0; k < d->n_params; k++) {
      const cq_param_def *p = &d->params[k];
      if (!(p->min <= p->def && p->def <= p->max && p->step > 0))
        fail_msg("%s.%s: default %g outside %g..%g", d->name, p->name, p->def, p->min, p->max);
      v[k] = p->def;
    }
    if (d->check && d->check(v, NULL)) fail_msg("%s: the defaults break its rule", d->name);
  }
  cq_error e = {0};
  d = cq_strategy_find("sma_cross");
  assert_int_equal(d->check((const double[]){50, 20}, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "fast (50) must be less than slow (20)"));
  d = cq_strategy_find("macd");
  assert_int_equal(d->check((const double[]){26, 26, 9}, &e), CQ_EINVAL);
  d = cq_strategy_find("grid");
  /* 100 levels 1 % apart reach zero; 10 levels 2 % apart do not */
  assert_int_equal(d->check((const double[]){100, 0.01}, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "levels (100) x spacing (0.01)"));
  assert_int_equal(d->check((const double[]){10, 0.02}, NULL), 0);
}

/* ---- grid ------------------------------------------------------------------------------ */

static void test_grid(void **state) {
  (void)state;
  /* Through the real kernel and matching engine. levels 3, spacing 1 %, cash 3000: 1000 a
   * level; tick 0.001, lot 0.001, fee 0.1 %.
   *  bar 0 close 100: buys at 99, 98, 97 (working from bar 1).
   *  bar 1: path 100 -> 100.5 -> 98.5: the 99 buy trades through: 1000 / 99 = 10.101 (lot
   *         0.001, down) at 99, maker: notional 999.999, fee 0.999999. At the close: a sell of
   *         10.101 at 99 * 1.01 = 99.99.
   *  bar 2: path 99.5 -> 99.2 -> 100.2: the sell trades through at 99.99: notional
   *         1009.99899, fee 1.00999899 (rounded up at 8 digits: exact). The 99 buy again.
   *  bar 3: close 101.2, flat, above 99.99 * 1.01 = 100.9899: cancel all, re-center on 101.2:
   *         buys at 100.188, 99.176, 98.164, which expire at the end of the run.
   *  cash: 3000 - 999.999 - 0.999999 + 1009.99899 - 1.00999899 = 3007.98999201. */
  const double o[] = {100, 100, 99.5, 100}, h[] = {100, 100.5, 100.2, 101.5},
               l[] = {100, 98.5, 99.2, 99.8}, x[] = {100, 99.5, 100, 101.2};
  cq_candles c;
  cq_candles_init(&c, 0);
  for (int i = 0; i < 4; i++) {
    cq_candle k = {.open_time = i * CQ_NS_PER_HOUR, .open = o[i], .high = h[i], .low = l[i],
                   .close = x[i], .volume = 1000, .quote_volume = NAN, .trades = -1,
                   .closed = true};
    assert_int_equal(cq_candles_push(&c, &k), 0);
  }
  cq_bt_config cfg;
  cq_bt_config_default(&cfg);
  snprintf(cfg.strategy, sizeof cfg.strategy, "grid");
  cfg.params.n = 2;
  cfg.params.v[0] = 3;
  cfg.params.v[1] = 0.01;
  snprintf(cfg.venue, sizeof cfg.venue, "test");
  cfg.n_symbols = 1;
  snprintf(cfg.symbols[0], sizeof cfg.symbols[0], "SYN/USDT");
  cq_instrument *ins = &cfg.instruments[0];
  snprintf(ins->venue, sizeof ins->venue, "test");
  snprintf(ins->symbol, sizeof ins->symbol, "SYN/USDT");
  snprintf(ins->base, sizeof ins->base, "SYN");
  snprintf(ins->quote, sizeof ins->quote, "USDT");
  ins->tick = CQ_DEC(1, 3);
  ins->lot = CQ_DEC(1, 3);
  snprintf(cfg.quote, sizeof cfg.quote, "USDT");
  assert_int_equal(cq_timeframe_parse("1h", &cfg.tf, NULL), 0);
  cfg.from = INT64_MIN;
  cfg.to = INT64_MAX;
  cfg.initial_cash = CQ_DEC(3000, 0);
  cq_bt_data data = {.n_symbols = 1, .candles = {&c}};
  cq_bt_result r;
  cq_bt_result_init(&r);
  cq_error e = {0};
  if (cq_bt_run_event(&cfg, &data, NULL, &r, &e)) fail_msg("grid: %s", e.msg);
  assert_int_equal(r.n_fills, 2);
  assert_int_equal(r.fills[0].side, CQ_SIDE_BUY);
  assert_true(r.fills[0].time == 1 * CQ_NS_PER_HOUR);
  assert_true(r.fills[0].price == 99 && r.fills[0].qty == 10.101);
  assert_true(r.fills[0].fee == 0.999999);
  assert_int_equal(r.fills[0].liquidity, CQ_LIQ_MAKER);
  assert_int_equal(r.fills[1].side, CQ_SIDE_SELL);
  assert_true(r.fills[1].time == 2 * CQ_NS_PER_HOUR);
  assert_true(r.fills[1].price == 99.99 && r.fills[1].qty == 10.101);
  assert_true(r.fills[1].fee == 1.00999899);
  assert_int_equal(r.orders, 8); /* 3 + the sell + the buy again + 3 re-centred */
  assert_int_equal(r.rejected, 0);
  assert_true(fabs(r.equity[3] - 3007.98999201) < 1e-9);
  assert_true(fabs(r.cash[3] - 3007.98999201) < 1e-9);
  cq_bt_result_release(&r);
  cq_candles_release(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry),
      cmocka_unit_test(test_definitions),
      cmocka_unit_test(test_grid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
