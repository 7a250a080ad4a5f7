/* Bars the benchmarks share. Header-only. */
#ifndef CQ_BENCH_BARS_H
#define CQ_BENCH_BARS_H

#include <math.h>

#include "bench_util.h"
#include "cquant/model.h"

/* n one-minute bars from 2024-01-01: a seeded random walk on the 0.01 grid, each bar opening
 * at the previous close (the bars the backtest and optimize benchmarks share). */
static inline int bench_walk_bars(size_t n, cq_candles *c) {
  cq_candles_init(c, 0);
  if (cq_candles_reserve(c, n)) return -1;
  rng r = {.s = 20240601};
  double close = 20000.0;
  cq_time t0 = INT64_C(1704067200000000000);
  for (size_t i = 0; i < n; i++) {
    double o = close;
    close = round(o * (1.0 + (unit(&r) - 0.5) * 0.004) * 100) / 100;
    double hi = o > close ? o : close, lo = o < close ? o : close;
    cq_candle k = {.open_time = t0 + (int64_t)i * CQ_NS_PER_MIN,
                   .open = o,
                   .high = round(hi * (1.0 + unit(&r) * 0.001) * 100) / 100,
                   .low = round(lo * (1.0 - unit(&r) * 0.001) * 100) / 100,
                   .close = close,
                   .volume = 1.0 + unit(&r) * 100.0,
                   .quote_volume = NAN,
                   .trades = -1,
                   .closed = true};
    if (cq_candles_push(c, &k)) return -1;
  }
  return 0;
}

#endif
