/* Metrics on a hand-worked curve and trade list (docs/metrics.md): a 4-bar daily equity
 * curve from 100, a benchmark, four closed trades and an open one; then the NaN cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "bt_test_util.h"

#define DAY CQ_NS_PER_DAY

/* A result with n daily bars from T0, initial cash 100. */
static void day_result(cq_bt_result *r, size_t n, const double *eq, const double *bench) {
  cq_bt_result_init(r);
  test_config(&r->config, 1);
  r->config.initial_cash = CQ_DEC(100, 0);
  r->config.tf = (cq_timeframe){.n = 1, .unit = CQ_TF_DAY};
  assert_int_equal(cq_bt_result_bars(r, n, NULL), 0);
  for (size_t i = 0; i < n; i++) {
    r->time[i] = T0 + (int64_t)i * DAY;
    r->equity[i] = eq[i];
    r->cash[i] = eq[i];
    r->benchmark[i] = bench[i];
  }
}

static void add_trade(cq_bt_result *r, double pnl, double ret, int64_t days, bool open) {
  cq_bt_trade t = {
      .entry_time = T0, .exit_time = T0 + days * DAY, .pnl = pnl, .ret = ret, .open = open};
  assert_int_equal(cq_bt_result_add_trade(r, &t, NULL), 0);
}

static void test_curve(void **state) {
  (void)state;
  /* equity 100 (start) -> 110, 99, 108.9, 121: returns .1, -.1, .1, 1/9
   * mean = (.1 - .1 + .1 + 1/9) / 4 = (19/90) / 4 = 19/360
   * deviations 17/360, -55/360, 17/360, 21/360; squares sum 4044/360^2;
   * sample variance 4044 / (3 * 129600) = 4044/388800 */
  const double eq[4] = {110, 99, 108.9, 121}, bench[4] = {100, 110, 99, 108.9};
  cq_bt_result r;
  day_result(&r, 4, eq, bench);
  r.exposure[1] = r.exposure[2] = 0.5;
  assert_int_equal(cq_bt_metrics_compute(&r, NULL), 0);
  const cq_bt_metrics *m = &r.metrics;
  double mean = 19.0 / 360, sd = sqrt(4044.0 / 388800), ann = sqrt(365.0);
  assert_near(m->start_equity, 100);
  assert_near(m->end_equity, 121);
  assert_near(m->total_return, 0.21);
  /* 4 daily bars are 4/365 of a year: 1.21^(365/4) - 1 */
  assert_near(m->cagr, pow(1.21, 365.0 / 4) - 1);
  assert_near(m->volatility, sd * ann);
  assert_near(m->sharpe, mean / sd * ann);
  /* downside: only -.1: sqrt(.01 / 4) = .05 */
  assert_near(m->sortino, mean / 0.05 * ann);
  /* peak 110 at the first close, 99 is 10 % under; back above at the close of bar 3:
   * from T0 + 1d to T0 + 4d */
  assert_near(m->max_drawdown, 0.1);
  assert_int_equal(m->max_drawdown_ns, 3 * DAY);
  assert_near(m->calmar, (pow(1.21, 365.0 / 4) - 1) / 0.1);
  assert_near(m->exposure, 0.5);
  /* benchmark 100 -> 100, 110, 99, 108.9: returns 0, .1, -.1, .1 (mean .025)
   * cov = sum((r - 19/360)(rb - .025)) / 3
   *     = (17 * -.025 - 55 * .075 + 17 * -.125 + 21 * .075) / 360 / 3 = -5.1 / 1080
   * var(rb) = (.025^2 + .075^2 + .125^2 + .075^2) / 3 = .0275 / 3
   * beta = -15.3 / 29.7; alpha = (19/360 - beta * .025) * 365 */
  assert_near(m->buy_hold_return, 0.089);
  assert_near(m->beta, -15.3 / 29.7);
  assert_near(m->alpha, (19.0 / 360 + 15.3 / 29.7 * 0.025) * 365);
  cq_bt_result_release(&r);
}

static void test_trades(void **state) {
  (void)state;
  const double eq[4] = {110, 99, 108.9, 121}, bench[4] = {100, 110, 99, 108.9};
  cq_bt_result r;
  day_result(&r, 4, eq, bench);
  add_trade(&r, 10, 0.1, 1, false);
  add_trade(&r, -5, -0.05, 2, false);
  add_trade(&r, 20, 0.2, 1, false);
  add_trade(&r, -5, -0.05, 2, false);
  add_trade(&r, 1000, 9.0, 9, true); /* open at the end: left out of trade statistics */
  cq_bt_fill f1 = {.price = 100, .qty = 1, .fee = 0.1}, f2 = {.price = 50, .qty = 2, .fee = 0.2};
  assert_int_equal(cq_bt_result_add_fill(&r, &f1, NULL), 0);
  assert_int_equal(cq_bt_result_add_fill(&r, &f2, NULL), 0);
  assert_int_equal(cq_bt_metrics_compute(&r, NULL), 0);
  const cq_bt_metrics *m = &r.metrics;
  assert_int_equal(m->n_trades, 4);
  assert_near(m->win_rate, 0.5);
  assert_near(m->profit_factor, 30.0 / 10.0);
  assert_near(m->expectancy, 20.0 / 4);
  assert_near(m->avg_trade, 0.2 / 4);
  assert_near(m->best_trade, 0.2);
  assert_near(m->worst_trade, -0.05);
  assert_int_equal(m->avg_holding_ns, 3 * DAY / 2);
  /* pnl 10 -5 20 -5: mean 5, deviations 5 -10 15 -10, sample variance 450/3 = 150:
   * SQN = sqrt(4) * 5 / sqrt(150) */
  assert_near(m->sqn, 2 * 5 / sqrt(150.0));
  /* traded 100 + 100 = 200 over mean equity 438.9 / 4 */
  assert_near(m->turnover, 200 / (438.9 / 4));
  assert_near(m->fees, 0.3);
  cq_bt_result_release(&r);
}

static void test_undefined(void **state) {
  (void)state;
  /* a flat curve and no trades: every ratio without a divisor is NaN */
  const double eq[3] = {100, 100, 100}, bench[3] = {100, 100, 100};
  cq_bt_result r;
  day_result(&r, 3, eq, bench);
  assert_int_equal(cq_bt_metrics_compute(&r, NULL), 0);
  const cq_bt_metrics *m = &r.metrics;
  assert_near(m->total_return, 0);
  assert_near(m->cagr, 0);
  assert_near(m->volatility, 0);
  assert_true(isnan(m->sharpe));
  assert_true(isnan(m->sortino));
  assert_near(m->max_drawdown, 0);
  assert_true(isnan(m->calmar));
  assert_true(isnan(m->beta));
  assert_true(isnan(m->alpha));
  assert_int_equal(m->n_trades, 0);
  assert_true(isnan(m->win_rate));
  assert_true(isnan(m->profit_factor));
  assert_true(isnan(m->expectancy));
  assert_true(isnan(m->sqn));
  assert_near(m->turnover, 0);
  /* all winners: no gross loss to divide by */
  add_trade(&r, 5, 0.05, 1, false);
  assert_int_equal(cq_bt_metrics_compute(&r, NULL), 0);
  assert_true(isnan(r.metrics.profit_factor));
  assert_true(isnan(r.metrics.sqn)); /* one trade has no spread */
  assert_near(r.metrics.win_rate, 1);
  cq_bt_result_release(&r);
}

static void test_drawdown_open_at_end(void **state) {
  (void)state;
  /* 100 -> 120, 90, 96, 108: peak 120 at T0 + 1d, 25 % under at 90, never recovered:
   * under from T0 + 1d to the last close T0 + 4d */
  const double eq[4] = {120, 90, 96, 108}, bench[4] = {100, 100, 100, 100};
  cq_bt_result r;
  day_result(&r, 4, eq, bench);
  assert_int_equal(cq_bt_metrics_compute(&r, NULL), 0);
  assert_near(r.metrics.max_drawdown, 0.25);
  assert_int_equal(r.metrics.max_drawdown_ns, 3 * DAY);
  assert_true(isnan(r.metrics.beta)); /* a flat benchmark has no variance */
  cq_bt_result_release(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_curve),
      cmocka_unit_test(test_trades),
      cmocka_unit_test(test_undefined),
      cmocka_unit_test(test_drawdown_open_at_end),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
