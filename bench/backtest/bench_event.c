/* The event-driven backtest on N one-minute bars (a random walk from a fixed seed): an
 * SMA(10)/SMA(30) crossover through the whole kernel (indicators, matching, ledger,
 * recording), in ns per bar and bars per second, beside a baseline measured in the same
 * run: the same crossover as a bare loop over the close array with no orders at all.
 * Best of 3. Prints figures; asserts nothing about time.
 *
 * usage: bench_event [--bars N]   (default 1,000,000) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "cquant/backtest.h"

enum { REPS = 3 };

typedef struct cross {
  cq_indicator *fast, *slow;
  double pf, ps;
} cross;

static int cross_start(cq_ctx *ctx, void *st, cq_error *err) {
  cross *c = st;
  int rc = cq_ctx_indicator(ctx, "sma", "10", 0, &c->fast, err);
  if (!rc) rc = cq_ctx_indicator(ctx, "sma", "30", 0, &c->slow, err);
  c->pf = c->ps = NAN;
  return rc;
}

static void cross_candle(cq_ctx *ctx, void *st, int symbol, const cq_candle *bar) {
  cross *c = st;
  (void)bar;
  if (symbol != 0 || !cq_ind_ready(c->slow)) return;
  double f = cq_ind_value(c->fast, 0), s = cq_ind_value(c->slow, 0);
  uint64_t id;
  if (c->pf <= c->ps && f > s && cq_ctx_position(ctx, 0).m == 0 &&
      cq_ctx_buy(ctx, 0, cq_ctx_default_size(ctx), &id, NULL) != CQ_OK)
    return;
  if (c->pf >= c->ps && f < s && cq_ctx_close(ctx, 0, &id, NULL) != CQ_OK) return;
  c->pf = f;
  c->ps = s;
}

static const cq_strategy_def cross_def = {.name = "bench_cross",
                                          .state_size = sizeof(cross),
                                          .on_start = cross_start,
                                          .on_candle = cross_candle};

/* The same indicators, never an order: the floor of the loop itself. */
static void idle_candle(cq_ctx *ctx, void *st, int symbol, const cq_candle *bar) {
  cross *c = st;
  (void)ctx;
  (void)symbol;
  (void)bar;
  c->pf = cq_ind_value(c->fast, 0);
}

static const cq_strategy_def idle_def = {.name = "bench_idle",
                                         .state_size = sizeof(cross),
                                         .on_start = cross_start,
                                         .on_candle = idle_candle};

static double time_run(const cq_bt_config *cfg, const cq_strategy_def *def, const cq_bt_data *data,
                       size_t *fills, int64_t *rejected) {
  cq_bt_result r;
  cq_error err;
  double t = now_s();
  int rc = cq_bt_run_event_def(cfg, def, data, NULL, &r, &err);
  double dt = now_s() - t;
  if (rc) {
    fprintf(stderr, "bench_event: %s\n", err.msg);
    return -1;
  }
  *fills = r.n_fills;
  *rejected = r.rejected;
  cq_bt_result_release(&r);
  return dt;
}

static double cents(double v) {
  return round(v * 100) / 100;
}

static int make_candles(cq_candles *c, size_t n) {
  rng r = {42};
  cq_candles_init(c, 0);
  if (cq_candles_reserve(c, n)) return -1;
  double px = 40000;
  cq_time t0 = INT64_C(1704067200000000000);
  for (size_t i = 0; i < n; i++) {
    /* prices on a cent grid, as a venue's candles are */
    double o = px, cl = cents(o * (1 + (unit(&r) - 0.5) * 0.004));
    double hi = cents(fmax(o, cl) * (1 + unit(&r) * 0.001));
    double lo = cents(fmin(o, cl) * (1 - unit(&r) * 0.001));
    cq_candle k = {.open_time = t0 + (cq_time)i * CQ_NS_PER_MIN,
                   .open = o,
                   .high = hi,
                   .low = lo,
                   .close = cl,
                   .volume = 1 + unit(&r) * 10,
                   .quote_volume = NAN,
                   .trades = -1,
                   .closed = true};
    if (cq_candles_push(c, &k)) return -1;
    px = cl;
  }
  return 0;
}

/* The same crossover as a bare loop: rolling sums, no orders. */
static double baseline(const cq_candles *c, size_t *crosses) {
  double sf = 0, ss = 0, pf = NAN, ps = NAN;
  size_t n = 0;
  for (size_t i = 0; i < c->len; i++) {
    sf += c->close[i] - (i >= 10 ? c->close[i - 10] : 0);
    ss += c->close[i] - (i >= 30 ? c->close[i - 30] : 0);
    if (i + 1 < 30) continue;
    double f = sf / 10, s = ss / 30;
    n += (pf <= ps && f > s) || (pf >= ps && f < s);
    pf = f;
    ps = s;
  }
  *crosses = n;
  return sf + ss;
}

int main(int argc, char **argv) {
  size_t n = 1000000;
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--bars")) n = (size_t)strtoull(argv[i + 1], NULL, 10);
  cq_candles c;
  if (make_candles(&c, n)) {
    fprintf(stderr, "bench_event: no memory for %zu bars\n", n);
    return 1;
  }
  cq_bt_config cfg;
  cq_bt_config_default(&cfg);
  strcpy(cfg.strategy, cross_def.name);
  cfg.n_symbols = 1;
  strcpy(cfg.symbols[0], "BTC/USDT");
  cq_instrument *ins = &cfg.instruments[0];
  strcpy(ins->venue, "binance");
  strcpy(ins->symbol, "BTC/USDT");
  strcpy(ins->base, "BTC");
  strcpy(ins->quote, "USDT");
  ins->tick = CQ_DEC(1, 2);
  ins->lot = CQ_DEC(1, 5);
  ins->min_notional = CQ_DEC(5, 0);
  cfg.tf = (cq_timeframe){1, CQ_TF_MINUTE};
  cq_bt_data data = {.n_symbols = 1, .candles = {&c}};
  double best = INFINITY, idle_best = INFINITY, base_best = INFINITY, sink = 0;
  size_t fills = 0, idle_fills = 0, crosses = 0;
  int64_t rejected = 0, rejected_idle = 0;
  for (int rep = 0; rep < REPS; rep++) {
    double t = now_s();
    sink += baseline(&c, &crosses);
    base_best = fmin(base_best, now_s() - t);
    double dt = time_run(&cfg, &cross_def, &data, &fills, &rejected);
    double di = time_run(&cfg, &idle_def, &data, &idle_fills, &rejected_idle);
    if (dt < 0 || di < 0) {
      cq_candles_release(&c);
      return 1;
    }
    best = fmin(best, dt);
    idle_best = fmin(idle_best, di);
  }
  printf(
      "event backtest, SMA(10)/SMA(30) cross, %zu 1m bars, %zu fills, %lld rejected "
      "(%zu crosses)\n",
      n, fills, (long long)rejected, crosses);
  printf("  kernel:   %8.1f ns/bar  %6.2f M bars/s   (target >= 10 M bars/s)\n",
         best * 1e9 / (double)n, (double)n / best / 1e6);
  printf("  no orders:%8.1f ns/bar  (same indicators, the loop and recording alone)\n",
         idle_best * 1e9 / (double)n);
  printf("  baseline: %8.1f ns/bar  (bare crossover loop)   ratio %.1fx   [%g]\n",
         base_best * 1e9 / (double)n, best / base_best, sink > 0 ? 0.0 : 1.0);
  cq_candles_release(&c);
  return 0;
}
