/* The kernel driven directly: two strategies on one account with attribution and stable
 * client ids, a bracket (stop and take, one cancelling the other) placed from on_fill, the
 * fill latency, indicators and timers. Numbers worked by hand on the bars of stepper.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/kernel.h"
#include "stepper.h"

static cq_dec D(const char *s) {
  cq_dec d;
  assert_int_equal(cq_dec_parse_cstr(s, &d, NULL), CQ_OK);
  return d;
}

static void assert_dec(cq_dec got, const char *want) {
  if (!cq_dec_eq(got, D(want))) {
    char s[CQ_DEC_STRMAX];
    cq_dec_format(got, s, sizeof s);
    fail_msg("got %s, want %s", s, want);
  }
}

static cq_kernel *kernel(const cq_instrument *ins, cq_match_config *mc) {
  cq_kernel_config kc = {.tf = {1, CQ_TF_HOUR},
                         .n_instruments = 1,
                         .instruments = ins,
                         .quote = "USDT",
                         .initial_cash = CQ_DEC(10000, 0),
                         .size = {CQ_SIZE_ALL_IN, 0},
                         .start = T0};
  cq_match_config_default(&kc.match);
  if (mc) kc.match = *mc;
  cq_kernel *k;
  cq_error err;
  assert_int_equal(cq_kernel_new(&kc, &k, &err), CQ_OK);
  return k;
}

static void run(cq_kernel *k, int n) {
  cq_error err;
  assert_int_equal(cq_kernel_start(k, &err), CQ_OK);
  for (int i = 0; i < n; i++) {
    cq_candle b = test_bar(i);
    const cq_candle *bars[1] = {&b};
    int rc = cq_kernel_bar(k, b.open_time, bars, &err);
    if (rc) fail_msg("bar %d: %s", i, err.msg);
  }
  assert_int_equal(cq_kernel_stop(k, &err), CQ_OK);
}

/* S0 buys 10 at bar 0's close (fills at bar 1's open, 102, fee 1.02) and sells at bar 2's
 * close (bar 3 open, 110, fee 1.1); S1 buys 5 at bar 1's close (bar 2 open, 104, fee 0.52).
 * S0: flat, realized 80, fees 2.12. S1: 5 at a cost of 520. Cash 10000 - 1021.02 - 520.52
 * + 1098.9 = 9557.36; equity at bar 4's close 9557.36 + 5 x 108 = 10097.36. Orders by
 * sequence: stepper-1 (S0 buy), stepper-2 (S1 buy), stepper-3 (S0 sell). */
static void test_two_strategies(void **state) {
  (void)state;
  cq_instrument ins = test_instrument();
  cq_kernel *k = kernel(&ins, NULL);
  cq_param_values p0 = {3, {0, 2, 10}}, p1 = {3, {1, -1, 5}};
  int i0, i1;
  cq_error err;
  assert_int_equal(cq_kernel_add_strategy(k, &stepper_def, &p0, &i0, &err), CQ_OK);
  assert_int_equal(cq_kernel_add_strategy(k, &stepper_def, &p1, &i1, &err), CQ_OK);
  run(k, 5);
  const cq_portfolio *pf = cq_kernel_portfolio(k);
  const cq_pf_position *s0 = cq_portfolio_position(pf, i0, 0),
                       *s1 = cq_portfolio_position(pf, i1, 0);
  assert_dec(s0->qty, "0");
  assert_dec(s0->realized, "80");
  assert_dec(s0->fees, "2.12");
  assert_dec(s1->qty, "5");
  assert_dec(s1->cost, "520");
  assert_dec(s1->fees, "0.52");
  assert_dec(cq_portfolio_position(pf, -1, 0)->realized, "80");
  assert_dec(cq_portfolio_balance(pf, "binance", "USDT"), "9557.36");
  assert_float_equal(cq_kernel_equity(k), 10097.36, 1e-9);
  assert_int_equal(cq_kernel_order_count(k), 3);
  assert_string_equal(cq_kernel_order(k, 1)->client_id, "stepper-1");
  assert_int_equal(cq_kernel_order(k, 2)->strategy, i1);
  assert_dec(cq_kernel_order(k, 2)->price, "0");
  assert_dec(cq_kernel_order(k, 2)->filled_quote, "520");
  assert_int_equal(cq_kernel_order(k, 3)->state, CQ_OS_FILLED);
  assert_int_equal(cq_kernel_order(k, 3)->side, CQ_SIDE_SELL);
  cq_kernel_free(k);
}

/* With no fill latency the buy filled at bar 1's open is heard before bar 1's on_candle
 * (1 bar seen); with a fill latency of 1 bar, before bar 2's (2 bars seen). */
static void test_fill_latency(void **state) {
  (void)state;
  cq_instrument ins = test_instrument();
  for (int lat = 0; lat <= 1; lat++) {
    cq_match_config mc;
    cq_match_config_default(&mc);
    mc.fill_latency.bars = lat;
    cq_kernel *k = kernel(&ins, &mc);
    cq_param_values p = {3, {0, -1, 1}};
    cq_error err;
    assert_int_equal(cq_kernel_add_strategy(k, &stepper_def, &p, NULL, &err), CQ_OK);
    assert_int_equal(cq_kernel_start(k, &err), CQ_OK);
    for (int i = 0; i < 4; i++) {
      cq_candle b = test_bar(i);
      const cq_candle *bars[1] = {&b};
      assert_int_equal(cq_kernel_bar(k, b.open_time, bars, &err), CQ_OK);
    }
    const stepper *st = cq_kernel_strategy_state(k, 0);
    assert_int_equal(st->n_heard, 1);
    assert_int_equal(st->heard[0], 1 + lat);
    assert_int_equal(cq_kernel_stop(k, &err), CQ_OK);
    cq_kernel_free(k);
  }
}

/* bracket: buys 1 at bar 0's close; when the buy fills (bar 1 open, 102), places a stop
 * at 100 and a take-profit limit at 108, one cancelling the other, working from bar 2.
 * Bar 2 (104-106/103) touches neither. Bar 3 opens at 110, above the resting take: it
 * fills at 108 as a maker (fee 0.108) and the stop is cancelled. Cash 10000 - 102.102
 * + 107.892 = 10005.79. */
typedef struct bracket {
  int n, cancelled, fills;
  uint64_t stop, take;
  cq_time stop_active;
} bracket;

static void bracket_candle(cq_ctx *ctx, void *st, int symbol, const cq_candle *bar) {
  bracket *b = st;
  uint64_t id;
  (void)symbol;
  (void)bar;
  if (b->n++ == 0)
    assert_int_equal(cq_ctx_buy(ctx, 0, (cq_size){CQ_SIZE_QTY, 1}, &id, NULL), CQ_OK);
}

static void bracket_fill(cq_ctx *ctx, void *st, const cq_fill *f) {
  bracket *b = st;
  b->fills++;
  if (f->side != CQ_SIDE_BUY) return;
  cq_order_req stop = {.symbol = 0,
                       .side = CQ_SIDE_SELL,
                       .type = CQ_ORDER_STOP,
                       .size = {CQ_SIZE_ALL_IN, 0},
                       .stop = 100};
  cq_error err;
  assert_int_equal(cq_ctx_submit(ctx, &stop, &b->stop, &err), CQ_OK);
  cq_order_req take = {.symbol = 0,
                       .side = CQ_SIDE_SELL,
                       .type = CQ_ORDER_LIMIT,
                       .size = {CQ_SIZE_ALL_IN, 0},
                       .price = 108,
                       .oco = b->stop};
  assert_int_equal(cq_ctx_submit(ctx, &take, &b->take, &err), CQ_OK);
  b->stop_active = cq_ctx_order(ctx, b->stop)->active_at;
  const cq_order *open[4];
  assert_int_equal(cq_ctx_open_orders(ctx, 0, open, 4), 2);
}

static void bracket_order(cq_ctx *ctx, void *st, const cq_order *o) {
  bracket *b = st;
  (void)ctx;
  if (o->state == CQ_OS_CANCELLED) b->cancelled++;
}

static void test_bracket_oco(void **state) {
  (void)state;
  cq_instrument ins = test_instrument();
  cq_kernel *k = kernel(&ins, NULL);
  const cq_strategy_def def = {.name = "bracket",
                               .state_size = sizeof(bracket),
                               .on_candle = bracket_candle,
                               .on_fill = bracket_fill,
                               .on_order = bracket_order};
  cq_error err;
  assert_int_equal(cq_kernel_add_strategy(k, &def, NULL, NULL, &err), CQ_OK);
  run(k, 5);
  const cq_order *stop = cq_kernel_order(k, 2), *take = cq_kernel_order(k, 3);
  assert_int_equal(stop->type, CQ_ORDER_STOP);
  assert_int_equal(stop->state, CQ_OS_CANCELLED);
  assert_int_equal(stop->oco, 3); /* linked both ways */
  assert_int_equal(stop->active_at, T0 + 2 * HOUR);
  assert_int_equal(take->state, CQ_OS_FILLED);
  assert_dec(take->filled_quote, "108");
  assert_dec(take->fees, "0.108");
  assert_dec(cq_portfolio_balance(cq_kernel_portfolio(k), "binance", "USDT"), "10005.79");
  assert_float_equal(cq_kernel_equity(k), 10005.79, 1e-9);
  cq_kernel_free(k);
}

/* clock: a timer set in on_start for 01:30 fires inside bar 1, after its matching and
 * before it closes, with the clock at 01:30; on_candle sees the bar's close time; a trade fed after
 * the bars moves the clock to its time and marks the position. */
typedef struct clocked {
  cq_time fired_at, candle_now[3];
  uint64_t timer;
  int n;
  double last;
} clocked;

static int clocked_start(cq_ctx *ctx, void *st, cq_error *err) {
  (void)st;
  return cq_ctx_timer(ctx, T0 + 90 * CQ_NS_PER_MIN, 7, err);
}

static void clocked_candle(cq_ctx *ctx, void *st, int symbol, const cq_candle *bar) {
  clocked *c = st;
  (void)symbol;
  (void)bar;
  if (c->n < 3) c->candle_now[c->n] = cq_ctx_now(ctx);
  c->n++;
}

static void clocked_timer(cq_ctx *ctx, void *st, uint64_t timer, cq_time now) {
  clocked *c = st;
  c->timer = timer;
  c->fired_at = now;
  assert_int_equal(cq_ctx_now(ctx), now);
  assert_int_equal(c->n, 1); /* at 01:30 bar 0 has closed, bar 1 (01:00-02:00) not yet */
}

static void clocked_trade(cq_ctx *ctx, void *st, int symbol, const cq_trade *t) {
  clocked *c = st;
  (void)t;
  c->last = cq_ctx_last_price(ctx, symbol);
}

static void test_timers_and_trades(void **state) {
  (void)state;
  cq_instrument ins = test_instrument();
  cq_kernel *k = kernel(&ins, NULL);
  const cq_strategy_def def = {.name = "clocked",
                               .state_size = sizeof(clocked),
                               .on_start = clocked_start,
                               .on_candle = clocked_candle,
                               .on_timer = clocked_timer,
                               .on_trade = clocked_trade};
  cq_error err;
  assert_int_equal(cq_kernel_add_strategy(k, &def, NULL, NULL, &err), CQ_OK);
  assert_int_equal(cq_kernel_start(k, &err), CQ_OK);
  for (int i = 0; i < 3; i++) {
    cq_candle b = test_bar(i);
    const cq_candle *bars[1] = {&b};
    assert_int_equal(cq_kernel_bar(k, b.open_time, bars, &err), CQ_OK);
  }
  cq_trade t = {.time = T0 + 3 * HOUR + 5 * CQ_NS_PER_SEC,
                .price = CQ_DEC(10625, 2),
                .qty = CQ_DEC(1, 0),
                .taker_side = CQ_SIDE_BUY};
  assert_int_equal(cq_kernel_trade(k, 0, &t, &err), CQ_OK);
  const clocked *c = cq_kernel_strategy_state(k, 0);
  assert_int_equal(c->timer, 7);
  assert_int_equal(c->fired_at, T0 + 90 * CQ_NS_PER_MIN);
  assert_int_equal(c->candle_now[0], T0 + HOUR);
  assert_int_equal(c->candle_now[2], T0 + 3 * HOUR);
  assert_float_equal(c->last, 106.25, 0);
  assert_int_equal(cq_kernel_now(k), t.time);
  /* time never goes back */
  assert_int_equal(cq_kernel_bar(k, T0, (const cq_candle *const[]){NULL}, &err), CQ_EINVAL);
  assert_int_equal(cq_kernel_stop(k, &err), CQ_OK);
  assert_int_equal(cq_kernel_stop(k, &err), CQ_ESTATE);
  cq_kernel_free(k);
}

/* exiter, with one bar of order latency: buys 1 at bar 0's close (reaches the book at bar
 * 2's open, fills at 104, fee 0.104); when it hears of the fill (bar 2) places a take at
 * 107, then at bar 2's close cancels it and sells everything. The cancel and the sell both
 * reach the book at bar 4's open: the cancel first, so the take (which bar 4's open of 108
 * would fill) is cancelled unfilled and the market sell fills at 108 (fee 0.108). Cash
 * 10000 - 104.104 + 107.892 = 10003.788. */
typedef struct exiter {
  int n;
  uint64_t take;
} exiter;

static void exiter_candle(cq_ctx *ctx, void *st, int symbol, const cq_candle *bar) {
  exiter *x = st;
  uint64_t id;
  cq_error err;
  (void)symbol;
  (void)bar;
  if (x->n == 0) assert_int_equal(cq_ctx_buy(ctx, 0, (cq_size){CQ_SIZE_QTY, 1}, &id, &err), CQ_OK);
  if (x->n == 2) {
    assert_int_not_equal(x->take, 0);
    assert_int_equal(cq_ctx_cancel(ctx, x->take, &err), CQ_OK);
    assert_int_equal(cq_ctx_close(ctx, 0, &id, &err), CQ_OK);
    assert_int_not_equal(id, 0);
  }
  x->n++;
}

static void exiter_fill(cq_ctx *ctx, void *st, const cq_fill *f) {
  exiter *x = st;
  if (f->side != CQ_SIDE_BUY) return;
  cq_order_req take = {.symbol = 0,
                       .side = CQ_SIDE_SELL,
                       .type = CQ_ORDER_LIMIT,
                       .size = {CQ_SIZE_ALL_IN, 0},
                       .price = 107};
  cq_error err;
  assert_int_equal(cq_ctx_submit(ctx, &take, &x->take, &err), CQ_OK);
}

static void test_cancel_latency(void **state) {
  (void)state;
  cq_instrument ins = test_instrument();
  cq_match_config mc;
  cq_match_config_default(&mc);
  mc.order_latency.bars = 1;
  cq_kernel *k = kernel(&ins, &mc);
  const cq_strategy_def def = {.name = "exiter",
                               .state_size = sizeof(exiter),
                               .on_candle = exiter_candle,
                               .on_fill = exiter_fill};
  cq_error err;
  assert_int_equal(cq_kernel_add_strategy(k, &def, NULL, NULL, &err), CQ_OK);
  run(k, 5);
  const cq_order *buy = cq_kernel_order(k, 1), *take = cq_kernel_order(k, 2),
                 *sell = cq_kernel_order(k, 3);
  assert_dec(buy->filled_quote, "104");
  assert_int_equal(take->state, CQ_OS_CANCELLED);
  assert_int_equal(take->updated, T0 + 4 * HOUR);
  assert_string_equal(take->reason, "cancelled by strategy");
  assert_dec(take->filled, "0");
  assert_int_equal(sell->state, CQ_OS_FILLED);
  assert_dec(sell->filled_quote, "108");
  assert_int_equal(sell->updated, T0 + 4 * HOUR);
  assert_dec(cq_portfolio_balance(cq_kernel_portfolio(k), "binance", "USDT"), "10003.788");
  cq_kernel_free(k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_strategies), cmocka_unit_test(test_fill_latency),
      cmocka_unit_test(test_bracket_oco),    cmocka_unit_test(test_timers_and_trades),
      cmocka_unit_test(test_cancel_latency),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
