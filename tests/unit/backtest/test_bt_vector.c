/* The vectorized engine on tiny hand-made candles with signals from a test strategy.
 * Instrument: tick 0.01, lot 0.001, min notional 5; 1000 USDT, all-in, 0.1 % fees, fills
 * at the next open unless a test says otherwise. Every expected fill, fee, cash and equity
 * is worked out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "bt_test_util.h"

#define MIN CQ_NS_PER_MIN

/* ---- the test strategy: signals from a script per scenario -------------------------- */

/* One series' signals: 'x' marks a bar; stop / take 0 for none. */
typedef struct script {
  double first_open; /* the series it is for (two-symbol scenarios) */
  const char *entry, *exit;
  double stop[8], take[8];
} script;

enum { S_BASIC, S_STOP, S_TAKE, S_OCO, S_TWO, S_COUNT };

static const script scripts[S_COUNT][2] = {
    [S_BASIC] = {{0, "x....", "..x.."}},
    /* 94.995 is half-way between ticks: half-even puts the stop at 95.00 */
    [S_STOP] = {{0, "x....", ".....", {94.995}}},
    [S_TAKE] = {{0, "x....", ".....", {0}, {105}}},
    [S_OCO] = {{0, "x....", ".....", {95}, {105}}},
    [S_TWO] = {{100, "x....", "....."}, {50, "x..", "..."}},
};

static const cq_param_def scenario_param[] = {
    {"scenario", CQ_PARAM_INT, 0, 0, S_COUNT - 1, 1, "which script"}};

static int script_signals(const double *p, const cq_candles *c, cq_signals *out, cq_error *err) {
  const script *s = &scripts[(int)p[0]][0];
  if (s[1].entry && c->len && c->open[0] == s[1].first_open) s = &s[1];
  if (!s->entry) return cq_error_set(err, CQ_EINVAL, "no script");
  for (size_t i = 0; i < c->len && i < strlen(s->entry); i++) {
    out->entry[i] = s->entry[i] == 'x';
    out->exit[i] = s->exit[i] == 'x';
    if (i < 8 && s->stop[i] > 0) out->stop[i] = s->stop[i];
    if (i < 8 && s->take[i] > 0) out->take[i] = s->take[i];
  }
  return CQ_OK;
}

static const cq_strategy_def script_def = {.name = "script",
                                           .summary = "signals from a table",
                                           .n_params = 1,
                                           .params = scenario_param,
                                           .signals = script_signals};

/* ---- helpers ------------------------------------------------------------------------ */

/* The basic candles: five 1m bars around 100. */
static const row basic[5] = {{100, 101, 99, 100},
                             {100, 102, 99, 101},
                             {101, 103, 100, 102},
                             {102, 102, 101, 101},
                             {101, 101, 100, 100}};

static void run_one(const cq_bt_config *cfg, const row *rows, size_t n, cq_bt_result *r) {
  cq_candles c;
  make_candles(&c, rows, NULL, n);
  cq_bt_data data = {.n_symbols = 1, .candles = {&c}};
  cq_error err = {0};
  int rc = cq_bt_run_vector_def(&script_def, cfg, &data, r, &err);
  if (rc) fail_msg("run: %s", err.msg);
  cq_candles_release(&c);
}

static void config(cq_bt_config *cfg, int scenario) {
  test_config(cfg, 1);
  cfg->params.n = 1;
  cfg->params.v[0] = scenario;
}

static void check_fill(const cq_bt_fill *f, int minute, cq_side side, double price, double qty,
                       double fee, cq_liquidity liq, uint64_t id) {
  assert_int_equal(f->time, T0 + minute * MIN);
  assert_int_equal(f->side, side);
  assert_near(f->price, price);
  assert_near(f->qty, qty);
  assert_near(f->fee, fee);
  assert_int_equal(f->liquidity, liq);
  assert_int_equal(f->order_id, id);
}

static void check_equity(const cq_bt_result *r, const double *want, size_t n) {
  assert_int_equal(r->n_bars, n);
  for (size_t i = 0; i < n; i++)
    if (fabs(r->equity[i] - want[i]) > 1e-9)
      fail_msg("equity[%zu]: got %.17g, want %.17g", i, r->equity[i], want[i]);
}

/* ---- the tests ---------------------------------------------------------------------- */

static void test_next_open_all_in(void **state) {
  (void)state;
  cq_bt_config cfg;
  config(&cfg, S_BASIC);
  cq_bt_result r;
  run_one(&cfg, basic, 5, &r);
  /* entry at bar 0's close, filled at bar 1's open 100: the most lots with
   * 100 q (1 + 0.001) <= 1000 is q = 9.990 (9.991 costs 999.1 + .9991 = 1000.0991);
   * notional 999, fee .999, cash 1000 - 999.999 = .001.
   * exit at bar 2's close, filled at bar 3's open 102: 9.99 x 102 = 1018.98, fee
   * 1.01898; cash .001 + 1018.98 - 1.01898 = 1017.96202 */
  assert_int_equal(r.n_fills, 2);
  check_fill(&r.fills[0], 1, CQ_SIDE_BUY, 100, 9.99, 0.999, CQ_LIQ_TAKER, 1);
  check_fill(&r.fills[1], 3, CQ_SIDE_SELL, 102, 9.99, 1.01898, CQ_LIQ_TAKER, 2);
  /* equity: 1000; .001 + 9.99 x 101; .001 + 9.99 x 102; then flat */
  const double eq[5] = {1000, 1008.991, 1018.981, 1017.96202, 1017.96202};
  check_equity(&r, eq, 5);
  assert_near(r.cash[1], 0.001);
  assert_near(r.exposure[1], 1008.99 / 1008.991);
  assert_int_equal(r.orders, 2);
  assert_int_equal(r.rejected, 0);
  /* one round trip: pnl 1018.98 - 999 - 2.01798 = 17.96202 */
  assert_int_equal(r.n_trades, 1);
  assert_near(r.trades[0].pnl, 17.96202);
  assert_near(r.trades[0].fees, 2.01798);
  assert_near(r.trades[0].ret, 17.96202 / 999);
  assert_int_equal(r.trades[0].entry_bar, 1);
  assert_int_equal(r.trades[0].exit_bar, 3);
  assert_near(r.metrics.total_return, 0.01796202);
  assert_near(r.metrics.fees, 2.01798);
  cq_bt_result_release(&r);
}

static void test_stop_gap_and_intrabar(void **state) {
  (void)state;
  cq_bt_config cfg;
  config(&cfg, S_STOP);
  /* filled at bar 1's open 100 (9.99, cash .001); the stop at 95 works from bar 2.
   * bar 2: path 100 -> 100.5 -> 96 -> 97 (high nearer): 95 not reached.
   * bar 3 opens at 93, below the stop: it fills at the open, 9.99 x 93 = 929.07, fee
   * .92907; cash .001 + 929.07 - .92907 = 928.14193 */
  const row gap[5] = {{100, 101, 99, 100},
                      {100, 101, 99, 100},
                      {100, 100.5, 96, 97},
                      {93, 94, 92, 93.5},
                      {94, 95, 93, 94}};
  cq_bt_result r;
  run_one(&cfg, gap, 5, &r);
  assert_int_equal(r.n_fills, 2);
  check_fill(&r.fills[1], 3, CQ_SIDE_SELL, 93, 9.99, 0.92907, CQ_LIQ_TAKER, 2);
  const double eq[5] = {1000, 999.001, 969.031, 928.14193, 928.14193};
  check_equity(&r, eq, 5);
  assert_int_equal(r.orders, 2);
  cq_bt_result_release(&r);

  /* bar 3 opens above: path 96 -> 96.5 -> 94 -> 95.5 reaches 95: fills at the stop,
   * 9.99 x 95 = 949.05, fee .94905; cash .001 + 949.05 - .94905 = 948.10195 */
  const row inside[5] = {{100, 101, 99, 100},
                         {100, 101, 99, 100},
                         {100, 100.5, 96, 97},
                         {96, 96.5, 94, 95.5},
                         {94, 95, 93, 94}};
  run_one(&cfg, inside, 5, &r);
  assert_int_equal(r.n_fills, 2);
  check_fill(&r.fills[1], 3, CQ_SIDE_SELL, 95, 9.99, 0.94905, CQ_LIQ_TAKER, 2);
  assert_near(r.equity[4], 948.10195);
  cq_bt_result_release(&r);
}

/* the take-profit candles: bar 2 touches 105, bar 3 trades through it */
static const row take_rows[5] = {{100, 101, 99, 100},
                                 {100, 101, 99, 100},
                                 {101, 105, 100.5, 104},
                                 {104, 106, 103, 105.5},
                                 {105, 105, 104, 104}};

static void test_take_touch_and_through(void **state) {
  (void)state;
  cq_bt_config cfg;
  config(&cfg, S_TAKE);
  cfg.match.maker_fee = CQ_DEC(5, 4); /* 0.05 % for makers */
  /* the limit at 105 works from bar 2. A touch is not a fill by default: bar 3 trades
   * through 105 and fills it at 105 as a maker: 9.99 x 105 = 1048.95, fee .524475;
   * cash .001 + 1048.95 - .524475 = 1048.426525. bar 2's equity: .001 + 9.99 x 104 */
  cq_bt_result r;
  run_one(&cfg, take_rows, 5, &r);
  assert_int_equal(r.n_fills, 2);
  check_fill(&r.fills[1], 3, CQ_SIDE_SELL, 105, 9.99, 0.524475, CQ_LIQ_MAKER, 2);
  const double eq[5] = {1000, 999.001, 1038.961, 1048.426525, 1048.426525};
  check_equity(&r, eq, 5);
  cq_bt_result_release(&r);

  /* with touch fills, bar 2's touch fills it: the same cash one bar earlier */
  cfg.match.touch_fill = true;
  run_one(&cfg, take_rows, 5, &r);
  assert_int_equal(r.n_fills, 2);
  check_fill(&r.fills[1], 2, CQ_SIDE_SELL, 105, 9.99, 0.524475, CQ_LIQ_MAKER, 2);
  const double eq2[5] = {1000, 999.001, 1048.426525, 1048.426525, 1048.426525};
  check_equity(&r, eq2, 5);
  cq_bt_result_release(&r);
}

static void test_oco(void **state) {
  (void)state;
  cq_bt_config cfg;
  config(&cfg, S_OCO);
  /* stop 95 (id 2) and take 105 (id 3) work from bar 2. bar 2 trades through 105: the take
   * fills (maker, .1 %: 1048.95 - 1.04895), the stop is cancelled at once, so bar 3's fall
   * to 90 fills nothing: cash .001 + 1048.95 - 1.04895 = 1047.90205 */
  const row rows[5] = {{100, 101, 99, 100},
                       {100, 101, 99, 100},
                       {101, 106, 100.5, 104},
                       {96, 96, 90, 91},
                       {91, 92, 90, 91}};
  cq_bt_result r;
  run_one(&cfg, rows, 5, &r);
  assert_int_equal(r.n_fills, 2);
  check_fill(&r.fills[1], 2, CQ_SIDE_SELL, 105, 9.99, 1.04895, CQ_LIQ_MAKER, 3);
  assert_near(r.equity[4], 1047.90205);
  assert_int_equal(r.orders, 3);
  cq_bt_result_release(&r);

  /* both on one bar: 100 -> 94 -> 106 -> 100 (equal distance to both extremes: low
   * first) reaches the stop first: 9.99 x 95 = 949.05, fee .94905, cash 948.10195 */
  const row both[4] = {
      {100, 101, 99, 100}, {100, 101, 99, 100}, {100, 106, 94, 100}, {100, 101, 99, 100}};
  run_one(&cfg, both, 4, &r);
  assert_int_equal(r.n_fills, 2);
  check_fill(&r.fills[1], 2, CQ_SIDE_SELL, 95, 9.99, 0.94905, CQ_LIQ_TAKER, 2);
  assert_near(r.equity[3], 948.10195);
  cq_bt_result_release(&r);
}

static void test_min_notional_rejected(void **state) {
  (void)state;
  cq_bt_config cfg;
  config(&cfg, S_BASIC);
  cfg.instruments[0].min_notional = CQ_DEC(2000, 0);
  /* the entry resolves to 9.99 x 100 = 999 USDT < 2000: rejected; nothing else happens
   * (no position, so the exit signal does nothing) */
  cq_bt_result r;
  run_one(&cfg, basic, 5, &r);
  assert_int_equal(r.n_fills, 0);
  assert_int_equal(r.orders, 1);
  assert_int_equal(r.rejected, 1);
  const double eq[5] = {1000, 1000, 1000, 1000, 1000};
  check_equity(&r, eq, 5);
  assert_int_equal(r.n_trades, 0);
  cq_bt_result_release(&r);
}

static void test_latency_one_bar(void **state) {
  (void)state;
  cq_bt_config cfg;
  config(&cfg, S_BASIC);
  cfg.match.order_latency = (cq_latency){.bars = 1};
  /* the entry from bar 0's close works from bar 2: open 101. q: 101 x 1.001 = 101.101,
   * 1000 / 101.101 = 9.8911.. -> 9.891 (998.991 + .998991 = 999.989991 <= 1000);
   * cash .010009. The exit from bar 2's close works from bar 4: open 101,
   * 998.991 - .998991: cash 998.002018 */
  cq_bt_result r;
  run_one(&cfg, basic, 5, &r);
  assert_int_equal(r.n_fills, 2);
  check_fill(&r.fills[0], 2, CQ_SIDE_BUY, 101, 9.891, 0.998991, CQ_LIQ_TAKER, 1);
  check_fill(&r.fills[1], 4, CQ_SIDE_SELL, 101, 9.891, 0.998991, CQ_LIQ_TAKER, 2);
  /* bar 2: .010009 + 9.891 x 102; bar 3: .010009 + 9.891 x 101 */
  const double eq[5] = {1000, 1000, 1008.892009, 999.001009, 998.002018};
  check_equity(&r, eq, 5);
  cq_bt_result_release(&r);
}

static void test_this_close(void **state) {
  (void)state;
  cq_bt_config cfg;
  config(&cfg, S_BASIC);
  cfg.match.market_fill = CQ_FILL_THIS_CLOSE;
  /* the entry fills at bar 0's close 100 (stamped at the close, T0 + 1m): 9.99, cash .001;
   * the exit at bar 2's close 102: cash 1017.96202 */
  cq_bt_result r;
  run_one(&cfg, basic, 5, &r);
  assert_int_equal(r.n_fills, 2);
  check_fill(&r.fills[0], 1, CQ_SIDE_BUY, 100, 9.99, 0.999, CQ_LIQ_TAKER, 1);
  check_fill(&r.fills[1], 3, CQ_SIDE_SELL, 102, 9.99, 1.01898, CQ_LIQ_TAKER, 2);
  const double eq[5] = {999.001, 1008.991, 1017.96202, 1017.96202, 1017.96202};
  check_equity(&r, eq, 5);
  cq_bt_result_release(&r);
}

static void test_slippage_bps(void **state) {
  (void)state;
  cq_bt_config cfg;
  config(&cfg, S_BASIC);
  cfg.match.slippage = (cq_slippage){.kind = CQ_SLIP_BPS, .value = 10};
  /* buy at 100 x 1.001 = 100.1 (ceil on the tick: 100.10). 1000 / (100.1 x 1.001) =
   * 9.98002 -> 9.980: 998.998 + .998998 = 999.996998; cash .003002.
   * sell at 102 x .999 = 101.898, floored to 101.89: 9.98 x 101.89 = 1016.8622, fee
   * 1.0168622; cash .003002 + 1016.8622 - 1.0168622 = 1015.8483398 */
  cq_bt_result r;
  run_one(&cfg, basic, 5, &r);
  assert_int_equal(r.n_fills, 2);
  check_fill(&r.fills[0], 1, CQ_SIDE_BUY, 100.1, 9.98, 0.998998, CQ_LIQ_TAKER, 1);
  check_fill(&r.fills[1], 3, CQ_SIDE_SELL, 101.89, 9.98, 1.0168622, CQ_LIQ_TAKER, 2);
  assert_near(r.cash[1], 0.003002);
  assert_near(r.equity[4], 1015.8483398);
  cq_bt_result_release(&r);
}

static void test_two_symbols_share_cash(void **state) {
  (void)state;
  cq_bt_config cfg;
  test_config(&cfg, 2);
  cfg.params.n = 1;
  cfg.params.v[0] = S_TWO;
  cfg.size = (cq_size){.kind = CQ_SIZE_PERCENT, .value = 0.5};
  /* A: minutes 0..4; B: minutes 1, 2, 4 (none at 3) */
  const row ra[5] = {{100, 100, 100, 100},
                     {100, 100, 89, 90},
                     {90, 96, 89, 95},
                     {95, 96, 95, 96},
                     {96, 97, 96, 97}};
  const row rb[3] = {{50, 50, 50, 50}, {50, 53, 49, 52}, {52, 55, 52, 55}};
  const int ib[3] = {1, 2, 4};
  cq_candles a, b;
  make_candles(&a, ra, NULL, 5);
  make_candles(&b, rb, ib, 3);
  cq_bt_data data = {.n_symbols = 2, .candles = {&a, &b}};
  cq_bt_result r;
  cq_error err = {0};
  if (cq_bt_run_vector_def(&script_def, &cfg, &data, &r, &err)) fail_msg("%s", err.msg);
  /* A at minute 1's open 100, half of equity 1000: 500 / 100.1 = 4.995.. -> 4.995
   * (499.5 + .4995 = 499.9995); cash 500.0005.
   * B at minute 2's open 50: equity = 500.0005 + 4.995 x 90 (A's last close) = 949.5505,
   * half 474.77525; / 50.05 = 9.486.. -> 9.486 (474.3 + .4743 = 474.7743);
   * cash 500.0005 - 474.7743 = 25.2262 */
  assert_int_equal(r.n_fills, 2);
  assert_int_equal(r.fills[0].symbol, 0);
  check_fill(&r.fills[0], 1, CQ_SIDE_BUY, 100, 4.995, 0.4995, CQ_LIQ_TAKER, 1);
  assert_int_equal(r.fills[1].symbol, 1);
  check_fill(&r.fills[1], 2, CQ_SIDE_BUY, 50, 9.486, 0.4743, CQ_LIQ_TAKER, 2);
  /* minute 1: 500.0005 + 4.995 x 90; 2: 25.2262 + 4.995 x 95 + 9.486 x 52;
   * 3: B carried at 52: 25.2262 + 4.995 x 96 + 493.272; 4: 25.2262 + 484.515 + 521.73 */
  const double eq[5] = {1000, 949.5505, 993.0232, 998.0182, 1031.4712};
  check_equity(&r, eq, 5);
  assert_near(r.cash[4], 25.2262);
  /* both still open at the end, marked at the last closes:
   * A 4.995 x 97 - 499.5 - .4995 = -15.4845; B 9.486 x 55 - 474.3 - .4743 = 46.9557 */
  assert_int_equal(r.n_trades, 2);
  assert_true(r.trades[0].open && r.trades[1].open);
  assert_near(r.trades[0].pnl, -15.4845);
  assert_near(r.trades[1].pnl, 46.9557);
  /* benchmark: 1000 x mean(A / 100, B / 50): minute 1 (.9 + 1) / 2, minute 4 (.97 + 1.1) / 2 */
  assert_near(r.benchmark[1], 950);
  assert_near(r.benchmark[4], 1035);
  cq_bt_result_release(&r);
  cq_candles_release(&a);
  cq_candles_release(&b);
}

static void expect_refused(const cq_bt_config *cfg, const char *what) {
  const row rows[2] = {{1, 1, 1, 1}, {1, 1, 1, 1}};
  cq_candles c;
  make_candles(&c, rows, NULL, 2);
  cq_bt_data data = {.n_symbols = 1, .candles = {&c}};
  cq_bt_result r;
  cq_error err = {0};
  cq_bt_result_init(&r);
  assert_int_equal(cq_bt_run_vector_def(&script_def, cfg, &data, &r, &err), CQ_EUNSUPPORTED);
  if (!strstr(err.msg, what)) fail_msg("message \"%s\" does not name %s", err.msg, what);
  assert_int_equal(r.n_bars, 0);
  cq_candles_release(&c);
}

static void test_refused(void **state) {
  (void)state;
  cq_bt_config cfg;
  config(&cfg, S_BASIC);
  cfg.match.max_volume_share = 0.1;
  expect_refused(&cfg, "max_volume_share");
  config(&cfg, S_BASIC);
  cfg.match.fill_latency = (cq_latency){.bars = 1};
  expect_refused(&cfg, "fill latency");
  config(&cfg, S_BASIC);
  cfg.match.market_fill = CQ_FILL_THIS_CLOSE;
  cfg.match.order_latency = (cq_latency){.ns = CQ_NS_PER_SEC};
  expect_refused(&cfg, "order latency");
  cq_strategy_def no_vector = script_def;
  no_vector.signals = NULL;
  config(&cfg, S_BASIC);
  const row rows[1] = {{1, 1, 1, 1}};
  cq_candles c;
  make_candles(&c, rows, NULL, 1);
  cq_bt_data data = {.n_symbols = 1, .candles = {&c}};
  cq_bt_result r;
  cq_error err = {0};
  assert_int_equal(cq_bt_run_vector_def(&no_vector, &cfg, &data, &r, &err), CQ_EUNSUPPORTED);
  assert_non_null(strstr(err.msg, "script"));
  cq_candles_release(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_next_open_all_in),
      cmocka_unit_test(test_stop_gap_and_intrabar),
      cmocka_unit_test(test_take_touch_and_through),
      cmocka_unit_test(test_oco),
      cmocka_unit_test(test_min_notional_rejected),
      cmocka_unit_test(test_latency_one_bar),
      cmocka_unit_test(test_this_close),
      cmocka_unit_test(test_slippage_bps),
      cmocka_unit_test(test_two_symbols_share_cash),
      cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
