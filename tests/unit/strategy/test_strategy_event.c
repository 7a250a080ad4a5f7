/* The registry (lookup with the closest name, every definition sane, the cross rules), and
 * the event forms driven through a stand-in context (fake_ctx.h): on a seeded random walk
 * each signal strategy's event form places its orders on exactly the bars, and its stops at
 * exactly the levels, that its vector form's signals give under the position rules; the
 * grid on a few bars worked by hand. */
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
#include "fake_ctx.h"

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

/* ---- event form against vector form ------------------------------------------------------ */

enum { NB = 400 };

typedef struct walk {
  cq_candles c;
  cq_time t[NB];
  double o[NB], h[NB], l[NB], x[NB], v[NB], qv[NB];
  int64_t trades[NB];
  uint8_t closed[NB];
} walk;

/* A seeded random walk around 100 with wicks (a local LCG: the same bars every run). */
static void walk_make(walk *w, uint64_t seed) {
  memset(w, 0, sizeof *w);
  uint64_t s = seed;
  double px = 100;
  for (size_t i = 0; i < NB; i++) {
    double u[3];
    for (int k = 0; k < 3; k++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      u[k] = (double)(s >> 11) / 9007199254740992.0;
    }
    double open = px;
    px = fmax(20, px + (u[0] - 0.5) * 4);
    w->t[i] = (cq_time)i * 3600 * (cq_time)1000000000;
    w->o[i] = open;
    w->x[i] = px;
    w->h[i] = fmax(open, px) + u[1];
    w->l[i] = fmin(open, px) - u[2];
    w->v[i] = 10;
    w->qv[i] = NAN;
    w->trades[i] = -1;
    w->closed[i] = 1;
  }
  w->c = (cq_candles){.len = NB,
                      .cap = NB,
                      .open_time = w->t,
                      .open = w->o,
                      .high = w->h,
                      .low = w->l,
                      .close = w->x,
                      .volume = w->v,
                      .quote_volume = w->qv,
                      .trades = w->trades,
                      .closed = w->closed};
}

/* One order placed: the bar at whose close, side, type, and its stop or limit level. */
typedef struct act {
  size_t bar;
  cq_side side;
  cq_order_type type;
  double level;
} act;

static double on_tick(double level) {
  cq_dec tick, d;
  assert_int_equal(cq_dec_parse_cstr("0.01", &tick, NULL), 0);
  assert_int_equal(cq_price_on_tick(level, tick, CQ_ROUND_HALF_EVEN, &d, NULL), 0);
  return cq_dec_to_double(d);
}

/* The orders the position rules of engine.h (cq_signals) place from the signal arrays, under
 * the fake's fills: market orders at the next open; then the stop (low reaching it) before
 * the take (high above it), both working from the bar after the entry's fill. */
static size_t reference(const cq_signals *sg, const cq_candles *c, act *a) {
  size_t n = 0, sigbar = 0, from = 0;
  bool pos = false, buy = false, sell = false;
  double stop = NAN, take = NAN;
  for (size_t t = 0; t < c->len; t++) {
    if (buy) {
      buy = false;
      pos = true;
      from = t + 1;
      stop = sg->stop && isfinite(sg->stop[sigbar]) && sg->stop[sigbar] > 0
                 ? on_tick(sg->stop[sigbar])
                 : NAN;
      take = sg->take && isfinite(sg->take[sigbar]) && sg->take[sigbar] > 0
                 ? on_tick(sg->take[sigbar])
                 : NAN;
      if (!isnan(stop)) a[n++] = (act){t, CQ_SIDE_SELL, CQ_ORDER_STOP, stop};
      if (!isnan(take)) a[n++] = (act){t, CQ_SIDE_SELL, CQ_ORDER_LIMIT, take};
    }
    if (sell) {
      sell = false;
      pos = false;
    }
    if (pos && t >= from && (c->low[t] <= stop || c->high[t] > take)) {
      pos = false;
      stop = take = NAN;
    }
    if (!pos && !buy && sg->entry[t]) {
      buy = true;
      sigbar = t;
      a[n++] = (act){t, CQ_SIDE_BUY, CQ_ORDER_MARKET, 0};
    } else if (pos && !sell && sg->exit[t]) {
      sell = true;
      stop = take = NAN;
      a[n++] = (act){t, CQ_SIDE_SELL, CQ_ORDER_MARKET, 0};
    }
  }
  return n;
}

static void agree(const char *name, const double *params, uint64_t seed) {
  static walk w;
  walk_make(&w, seed);
  const cq_strategy_def *d = cq_strategy_find(name);
  assert_non_null(d);
  uint8_t *entry = calloc(NB, 1), *exit = calloc(NB, 1);
  double *stop = malloc(NB * sizeof *stop), *take = malloc(NB * sizeof *take);
  act *want = calloc((size_t)NB * 3, sizeof *want);
  static cq_ctx ctx;
  assert_true(entry && exit && stop && take && want);
  for (size_t i = 0; i < NB; i++) stop[i] = take[i] = NAN;
  cq_signals sg = {.n = NB, .entry = entry, .exit = exit, .stop = stop, .take = take};
  cq_error e = {0};
  if (d->signals(params, &w.c, &sg, &e)) fail_msg("%s signals: %s", name, e.msg);
  size_t nw = reference(&sg, &w.c, want), buys = 0;
  if (fake_run(&ctx, d, params, &w.c, &e)) fail_msg("%s on_start: %s", name, e.msg);
  assert_int_equal(ctx.warnings, 0);
  for (size_t i = 0; i < nw && i < ctx.n_orders; i++) {
    const cq_order *o = &ctx.orders[i];
    double level = o->type == CQ_ORDER_STOP    ? cq_dec_to_double(o->stop)
                   : o->type == CQ_ORDER_LIMIT ? cq_dec_to_double(o->price)
                                               : 0;
    if (ctx.placed_bar[i] != want[i].bar || o->side != want[i].side || o->type != want[i].type ||
        level != want[i].level)
      fail_msg("%s: order %zu: event form bar %zu %s %s %.10g, vector form bar %zu %s %s %.10g",
               name, i + 1, ctx.placed_bar[i], cq_side_name(o->side), cq_order_type_name(o->type),
               level, want[i].bar, cq_side_name(want[i].side), cq_order_type_name(want[i].type),
               want[i].level);
    buys += want[i].side == CQ_SIDE_BUY;
  }
  if (ctx.n_orders != nw)
    fail_msg("%s: the event form placed %zu orders, the vector form %zu", name, ctx.n_orders, nw);
  /* the series must exercise the rules: several round trips */
  if (buys < 3) fail_msg("%s: only %zu entries on the walk: a weak test", name, buys);
  fake_release(&ctx);
  free(entry);
  free(exit);
  free(stop);
  free(take);
  free(want);
}

static void test_agree_sma_cross(void **state) {
  (void)state;
  agree("sma_cross", (const double[]){5, 20}, 1);
  agree("sma_cross", (const double[]){10, 30}, 2);
}
static void test_agree_ema_cross(void **state) {
  (void)state;
  agree("ema_cross", (const double[]){5, 20}, 3);
}
static void test_agree_rsi_reversion(void **state) {
  (void)state;
  agree("rsi_reversion", (const double[]){7, 35, 65}, 4);
}
static void test_agree_bbands_breakout(void **state) {
  (void)state;
  agree("bbands_breakout", (const double[]){10, 1.5}, 5);
}
static void test_agree_macd(void **state) {
  (void)state;
  agree("macd", (const double[]){6, 13, 5}, 6);
}
static void test_agree_donchian(void **state) {
  (void)state;
  agree("donchian", (const double[]){10, 5, 7, 1.5}, 7);
  agree("donchian", (const double[]){20, 10, 20, 0.5}, 8); /* tight stops: many stop-outs */
}

/* ---- grid ------------------------------------------------------------------------------ */

static void test_grid(void **state) {
  (void)state;
  /* levels 3, spacing 1 %, equity 3000: 1000 a level.
   *  bar 0 close 100: buys at 99, 98, 97.
   *  bar 1 low 98.5: the 99 buy fills (1000 / 99 units): a sell of them at 99 * 1.01 = 99.99.
   *  bar 2 high 100.2: the sell fills: the 99 buy again.
   *  bar 3 close 101.2, flat, above 99.99 * 1.01 = 100.9899: cancel all, re-center on
   *        101.2: buys at 100.188, 99.176, 98.164. */
  const double o[] = {100, 100, 99.5, 100}, h[] = {100, 100.5, 100.2, 101.5},
               l[] = {100, 98.5, 99.2, 99.8}, x[] = {100, 99.5, 100, 101.2};
  cq_time t[4] = {0, 1, 2, 3};
  double v[4] = {1, 1, 1, 1}, qv[4] = {NAN, NAN, NAN, NAN};
  int64_t tr[4] = {-1, -1, -1, -1};
  uint8_t cl[4] = {1, 1, 1, 1};
  cq_candles c = {.len = 4,
                  .cap = 4,
                  .open_time = t,
                  .open = (double *)o,
                  .high = (double *)h,
                  .low = (double *)l,
                  .close = (double *)x,
                  .volume = v,
                  .quote_volume = qv,
                  .trades = tr,
                  .closed = cl};
  static cq_ctx ctx;
  cq_error e = {0};
  assert_int_equal(fake_run(&ctx, cq_strategy_find("grid"), (const double[]){3, 0.01}, &c, &e), 0);
  struct {
    size_t bar;
    double price;
    cq_side side;
    cq_order_state state;
  } want[] = {
      {0, 99, CQ_SIDE_BUY, CQ_OS_FILLED},       {0, 98, CQ_SIDE_BUY, CQ_OS_CANCELLED},
      {0, 97, CQ_SIDE_BUY, CQ_OS_CANCELLED},    {1, 99.99, CQ_SIDE_SELL, CQ_OS_FILLED},
      {2, 99, CQ_SIDE_BUY, CQ_OS_CANCELLED},    {3, 100.188, CQ_SIDE_BUY, CQ_OS_ACCEPTED},
      {3, 99.176, CQ_SIDE_BUY, CQ_OS_ACCEPTED}, {3, 98.164, CQ_SIDE_BUY, CQ_OS_ACCEPTED},
  };
  assert_int_equal(ctx.n_orders, 8);
  for (size_t i = 0; i < 8; i++) {
    const cq_order *q = &ctx.orders[i];
    if (ctx.placed_bar[i] != want[i].bar || q->side != want[i].side ||
        fabs(cq_dec_to_double(q->price) - want[i].price) > 1e-6 || q->state != want[i].state)
      fail_msg("grid order %zu: bar %zu %s %.8g %s; want bar %zu %s %.8g %s", i + 1,
               ctx.placed_bar[i], cq_side_name(q->side), cq_dec_to_double(q->price),
               cq_order_state_name(q->state), want[i].bar, cq_side_name(want[i].side),
               want[i].price, cq_order_state_name(want[i].state));
    assert_int_equal(q->type, CQ_ORDER_LIMIT);
    assert_int_equal(q->tif, CQ_TIF_GTC);
  }
  /* buys for a notional of 1000; the sell for exactly what the buy got */
  assert_int_equal(ctx.orders[0].size.kind, CQ_SIZE_NOTIONAL);
  assert_true(ctx.orders[0].size.value == 1000);
  assert_int_equal(ctx.orders[3].size.kind, CQ_SIZE_QTY);
  assert_true(fabs(ctx.orders[3].size.value - 1000.0 / 99) < 1e-7);
  assert_int_equal(ctx.warnings, 0);
  fake_release(&ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry),
      cmocka_unit_test(test_definitions),
      cmocka_unit_test(test_agree_sma_cross),
      cmocka_unit_test(test_agree_ema_cross),
      cmocka_unit_test(test_agree_rsi_reversion),
      cmocka_unit_test(test_agree_bbands_breakout),
      cmocka_unit_test(test_agree_macd),
      cmocka_unit_test(test_agree_donchian),
      cmocka_unit_test(test_grid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
