/* The event-driven kernel and the vectorized engine agree: for every built-in strategy with
 * a vector form, on real candles, the same fills (time, side, price, quantity, fee) and the
 * same equity at every bar, under next-open fills with fees, again with slippage and a bar
 * of latency, filling at the decision bar's close with half of equity, and with a latency in
 * seconds (rounded up to bars on candle data). Also: the same run twice gives byte-identical JSON.
 *
 * Runs on the bundled 300-bar samples always, and on the whole real files of the shared data
 * folder when it is present. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cquant/backtest.h"
#include "cquant/data.h"
#include "cquant/strategy.h"

typedef struct market {
  const char *file, *symbol, *tf;
  cq_dec tick, lot, min_notional, cash;
} market;

static const market markets[] = {
    {"binance_BTC_USDT-5m", "BTC/USDT", "5m", CQ_DEC(1, 1), CQ_DEC(1, 5), CQ_DEC(5, 0),
     CQ_DEC(10000, 0)},
    {"binance_ALT_BTC-1m", "ALT/BTC", "1m", CQ_DEC(1, 8), CQ_DEC(1, 0), CQ_DEC(1, 4), CQ_DEC(1, 0)},
};

static bool load(const market *m, bool full, cq_candles *c) {
  char path[1024];
  if (full)
    snprintf(path, sizeof path, "%s/market/%s.csv", CQ_SHARED_DATA, m->file);
  else
    snprintf(path, sizeof path, "%s/%s.head300.csv", CQ_TEST_DATA, m->file);
  if (access(path, R_OK)) return false;
  cq_read_opts o = {0};
  assert_int_equal(cq_timeframe_parse(m->tf, &o.tf, NULL), 0);
  cq_read_report rep;
  cq_error e;
  cq_candles_init(c, 0);
  int rc = cq_read_candles_file(path, &o, c, &rep, &e);
  cq_read_report_release(&rep);
  if (rc) fail_msg("%s: %s", path, e.msg);
  return true;
}

static void config(cq_bt_config *cfg, const market *m, const cq_strategy_def *d,
                   cq_bt_engine engine) {
  cq_bt_config_default(cfg);
  snprintf(cfg->strategy, sizeof cfg->strategy, "%s", d->name);
  cq_error e;
  if (cq_params_resolve(d, NULL, 0, &cfg->params, &e)) fail_msg("%s: %s", d->name, e.msg);
  cfg->engine = engine;
  snprintf(cfg->venue, sizeof cfg->venue, "binance");
  cfg->n_symbols = 1;
  snprintf(cfg->symbols[0], sizeof cfg->symbols[0], "%s", m->symbol);
  cq_instrument *ins = &cfg->instruments[0];
  memset(ins, 0, sizeof *ins);
  snprintf(ins->venue, sizeof ins->venue, "binance");
  snprintf(ins->symbol, sizeof ins->symbol, "%s", m->symbol);
  assert_int_equal(cq_symbol_parse(m->symbol, ins->base, ins->quote, NULL), 0);
  snprintf(cfg->quote, sizeof cfg->quote, "%s", ins->quote);
  ins->tick = m->tick;
  ins->lot = m->lot;
  ins->min_notional = m->min_notional;
  assert_int_equal(cq_timeframe_parse(m->tf, &cfg->tf, NULL), 0);
  cfg->from = INT64_MIN;
  cfg->to = INT64_MAX;
  cfg->initial_cash = m->cash;
}

static void run(const cq_bt_config *cfg, const cq_candles *c, cq_bt_result *r) {
  cq_bt_data data = {.n_symbols = 1, .candles = {c}};
  cq_error e;
  cq_bt_result_init(r);
  if (cq_bt_run(cfg, &data, NULL, r, &e))
    fail_msg("%s (%s): %s", cfg->strategy, cq_bt_engine_name(cfg->engine), e.msg);
}

/* Every fill equal, every equity point equal to 1e-9 relative. */
static size_t compare(const char *what, const cq_bt_result *a, const cq_bt_result *b) {
  if (a->n_fills != b->n_fills)
    fail_msg("%s: event %zu fills, vector %zu", what, a->n_fills, b->n_fills);
  for (size_t i = 0; i < a->n_fills; i++) {
    const cq_bt_fill *x = &a->fills[i], *y = &b->fills[i];
    if (x->time != y->time || x->side != y->side || x->price != y->price || x->qty != y->qty ||
        x->fee != y->fee)
      fail_msg(
          "%s: fill %zu differs: event t=%lld %s %.10g @ %.10g fee %.10g, vector t=%lld "
          "%s %.10g @ %.10g fee %.10g",
          what, i, (long long)x->time, cq_side_name(x->side), x->qty, x->price, x->fee,
          (long long)y->time, cq_side_name(y->side), y->qty, y->price, y->fee);
  }
  assert_int_equal(a->n_bars, b->n_bars);
  for (size_t i = 0; i < a->n_bars; i++) {
    double d = a->equity[i] - b->equity[i], s = a->equity[i] > 0 ? a->equity[i] : 1;
    if (d < 0) d = -d;
    if (d / s > 1e-9)
      fail_msg("%s: equity at bar %zu: event %.12g, vector %.12g", what, i, a->equity[i],
               b->equity[i]);
  }
  assert_int_equal(a->n_trades, b->n_trades);
  return a->n_fills;
}

static void agree_on(bool full) {
  size_t fills = 0, datasets = 0;
  for (size_t k = 0; k < sizeof markets / sizeof markets[0]; k++) {
    cq_candles c;
    if (!load(&markets[k], full, &c)) continue;
    datasets++;
    for (size_t i = 0; cq_strategy_at(i); i++) {
      const cq_strategy_def *d = cq_strategy_at(i);
      if (!d->signals) continue;
      for (int variant = 0; variant < 5; variant++) {
        cq_bt_config ce, cv;
        config(&ce, &markets[k], d, CQ_BT_EVENT);
        config(&cv, &markets[k], d, CQ_BT_VECTOR);
        if (variant == 1) {
          cq_slippage s = {.kind = CQ_SLIP_BPS, .value = 2};
          cq_latency l = {.bars = 1};
          ce.match.slippage = cv.match.slippage = s;
          ce.match.order_latency = cv.match.order_latency = l;
        } else if (variant == 2) {
          ce.match.market_fill = cv.match.market_fill = CQ_FILL_THIS_CLOSE;
          cq_size half = {.kind = CQ_SIZE_PERCENT, .value = 0.5};
          ce.size = cv.size = half;
        } else if (variant == 3) {
          /* 90 s: the kernel waits for the first bar opening after it, the vector engine
           * counts ceil(90 s / tf) bars: the same bar */
          cq_latency l = {.ns = 90 * CQ_NS_PER_SEC};
          ce.match.order_latency = cv.match.order_latency = l;
        } else if (variant == 4) {
          /* the first third warms up: indicators fill, nothing trades */
          ce.trade_from = cv.trade_from = c.open_time[c.len / 3];
        }
        cq_bt_result re, rv;
        run(&ce, &c, &re);
        run(&cv, &c, &rv);
        char what[160];
        snprintf(what, sizeof what, "%s on %s%s%s", d->name, markets[k].file,
                 full ? "" : " (sample)",
                 variant == 1   ? " with slippage and latency"
                 : variant == 2 ? " filling at the close, half of equity"
                 : variant == 3 ? " with 90 s latency"
                 : variant == 4 ? " warming up on the first third"
                                : "");
        fills += compare(what, &re, &rv);
        if (variant == 4)
          for (size_t f = 0; f < re.n_fills; f++)
            if (re.fills[f].time < ce.trade_from) fail_msg("%s: a fill during warm-up", what);
        cq_bt_result_release(&re);
        cq_bt_result_release(&rv);
      }
    }
    cq_candles_release(&c);
  }
  if (full && !datasets) {
    print_message("skipped: no shared data (%s)\n", CQ_SHARED_DATA);
    skip();
  }
  /* the comparison means something only if the strategies traded */
  assert_true(datasets == 0 || fills > 20);
}

static void agree_samples(void **state) {
  (void)state;
  agree_on(false);
}

static void agree_real(void **state) {
  (void)state;
  agree_on(true);
}

/* The same run twice: the same JSON bytes. */
static void deterministic(void **state) {
  (void)state;
  cq_candles c;
  assert_true(load(&markets[0], false, &c));
  const cq_strategy_def *d = cq_strategy_find("sma_cross");
  assert_non_null(d);
  char *docs[2];
  size_t lens[2];
  for (int k = 0; k < 2; k++) {
    cq_bt_config cfg;
    config(&cfg, &markets[0], d, CQ_BT_EVENT);
    cq_bt_result r;
    run(&cfg, &c, &r);
    cq_bt_data data = {.n_symbols = 1, .candles = {&c}};
    cq_error e;
    assert_int_equal(cq_bt_to_json(&r, &data, &docs[k], &lens[k], &e), 0);
    cq_bt_result_release(&r);
  }
  assert_int_equal(lens[0], lens[1]);
  assert_memory_equal(docs[0], docs[1], lens[0]);
  free(docs[0]);
  free(docs[1]);
  cq_candles_release(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(agree_samples),
      cmocka_unit_test(agree_real),
      cmocka_unit_test(deterministic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
