/* Helpers shared by the backtest tests: candles from rows, a test instrument, a config.
 * Header-only: every test is its own executable. */
#ifndef CQ_BT_TEST_UTIL_H
#define CQ_BT_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cquant/backtest.h"

/* 2024-01-01 00:00 UTC, on every grid up to a day */
#define T0 INT64_C(1704067200000000000)

/* One bar: open, high, low, close (volume 1000). */
typedef struct row {
  double o, h, l, c;
} row;

/* Candles at T0 + idx[i] minutes (idx NULL: 0, 1, 2, ...). */
static inline void make_candles(cq_candles *c, const row *rows, const int *idx, size_t n) {
  cq_candles_init(c, 0);
  for (size_t i = 0; i < n; i++) {
    cq_candle k = {.open_time = T0 + (idx ? idx[i] : (int)i) * CQ_NS_PER_MIN,
                   .open = rows[i].o,
                   .high = rows[i].h,
                   .low = rows[i].l,
                   .close = rows[i].c,
                   .volume = 1000,
                   .quote_volume = NAN,
                   .trades = -1,
                   .closed = true};
    if (cq_candles_push(c, &k)) abort();
  }
}

/* tick 0.01, lot 0.001, min notional 5 USDT */
static inline cq_instrument test_instrument(const char *symbol) {
  cq_instrument ins;
  memset(&ins, 0, sizeof ins);
  snprintf(ins.venue, sizeof ins.venue, "test");
  snprintf(ins.symbol, sizeof ins.symbol, "%s", symbol);
  snprintf(ins.quote, sizeof ins.quote, "USDT");
  snprintf(ins.base, sizeof ins.base, "%.*s", (int)strcspn(symbol, "/"), symbol);
  ins.tick = CQ_DEC(1, 2);
  ins.lot = CQ_DEC(1, 3);
  ins.min_notional = CQ_DEC(5, 0);
  return ins;
}

/* 1m bars, 1000 USDT, all-in, 0.1 % fees, next-open, symbols AAA/USDT, BBB/USDT ... */
static inline void test_config(cq_bt_config *cfg, int n_symbols) {
  cq_bt_config_default(cfg);
  cfg->engine = CQ_BT_VECTOR;
  cfg->initial_cash = CQ_DEC(1000, 0);
  cfg->tf = (cq_timeframe){.n = 1, .unit = CQ_TF_MINUTE};
  cfg->n_symbols = n_symbols;
  for (int k = 0; k < n_symbols; k++) {
    snprintf(cfg->symbols[k], sizeof cfg->symbols[k], "%c%c%c/USDT", 'A' + k, 'A' + k, 'A' + k);
    cfg->instruments[k] = test_instrument(cfg->symbols[k]);
  }
}

/* |got - want| within 1e-9 relative (or absolute below 1) */
#define assert_near(got, want)                                                         \
  do {                                                                                 \
    double g_ = (got), w_ = (want);                                                    \
    double tol_ = 1e-9 * (fabs(w_) > 1 ? fabs(w_) : 1);                                \
    if (!(fabs(g_ - w_) <= tol_)) fail_msg("%s: got %.17g, want %.17g", #got, g_, w_); \
  } while (0)

#endif
