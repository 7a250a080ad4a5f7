/* Test strategies shared by the kernel and backtest tests, and the five hand-made bars
 * they run on. */
#ifndef TEST_STEPPER_H
#define TEST_STEPPER_H

#include <string.h>

#include "cquant/engine.h"

#define HOUR CQ_NS_PER_HOUR
#define T0 INT64_C(1704067200000000000) /* 2024-01-01T00:00Z */

/* 1h bars:      open  high  low  close
 *   0 00:00      100   101    99   100
 *   1 01:00      102   103   101   102
 *   2 02:00      104   106   103   105
 *   3 03:00      110   111   108   109
 *   4 04:00      108   109   107   108      volume 1000 each */
static const double BARS[5][4] = {{100, 101, 99, 100},
                                  {102, 103, 101, 102},
                                  {104, 106, 103, 105},
                                  {110, 111, 108, 109},
                                  {108, 109, 107, 108}};

static inline cq_candle test_bar(int i) {
  return (cq_candle){.open_time = T0 + i * HOUR,
                     .open = BARS[i][0],
                     .high = BARS[i][1],
                     .low = BARS[i][2],
                     .close = BARS[i][3],
                     .volume = 1000,
                     .quote_volume = 0,
                     .trades = -1,
                     .closed = true};
}

static inline cq_instrument test_instrument(void) {
  cq_instrument i;
  memset(&i, 0, sizeof i);
  strcpy(i.venue, "binance");
  strcpy(i.symbol, "BTC/USDT");
  strcpy(i.base, "BTC");
  strcpy(i.quote, "USDT");
  i.tick = CQ_DEC(1, 2);
  i.lot = CQ_DEC(1, 3);
  i.min_notional = CQ_DEC(5, 0);
  return i;
}

/* stepper: a market buy at the close of bar buy_bar (qty, or the run's size when 0), a
 * sell of the whole position at the close of sell_bar; remembers when it heard of fills. */
typedef struct stepper {
  int n;        /* bars seen */
  int heard[4]; /* bar count when on_fill ran */
  int n_heard;
  int cancelled; /* orders seen cancelled */
  int rejected;
} stepper;

static const cq_param_def stepper_params[] = {
    {"buy_bar", CQ_PARAM_INT, 0, -1, 1000, 1, "bar to buy at"},
    {"sell_bar", CQ_PARAM_INT, -1, -1, 1000, 1, "bar to sell at"},
    {"qty", CQ_PARAM_FLOAT, 0, 0, 1e9, 0, "quantity (0: the run's size)"},
};

static inline void stepper_candle(cq_ctx *ctx, void *st, int symbol, const cq_candle *bar) {
  stepper *s = st;
  const double *p = cq_ctx_params(ctx);
  uint64_t id;
  (void)bar;
  if (symbol != 0) return;
  if (s->n == (int)p[0]) {
    cq_size size = p[2] > 0 ? (cq_size){CQ_SIZE_QTY, p[2]} : cq_ctx_default_size(ctx);
    if (cq_ctx_buy(ctx, 0, size, &id, NULL)) s->rejected++;
  }
  if (s->n == (int)p[1] && cq_ctx_close(ctx, 0, &id, NULL)) s->rejected++;
  s->n++;
}

static inline void stepper_fill(cq_ctx *ctx, void *st, const cq_fill *f) {
  stepper *s = st;
  (void)ctx;
  (void)f;
  if (s->n_heard < 4) s->heard[s->n_heard++] = s->n;
}

static inline void stepper_order(cq_ctx *ctx, void *st, const cq_order *o) {
  stepper *s = st;
  (void)ctx;
  if (o->state == CQ_OS_CANCELLED) s->cancelled++;
  if (o->state == CQ_OS_REJECTED) s->rejected++;
}

static const cq_strategy_def stepper_def = {.name = "stepper",
                                            .summary = "buys and sells at given bars",
                                            .n_params = 3,
                                            .params = stepper_params,
                                            .state_size = sizeof(stepper),
                                            .on_candle = stepper_candle,
                                            .on_fill = stepper_fill,
                                            .on_order = stepper_order};

#endif
