/* End-to-end market-data latency, in one process over loopback: for each dialect (binance,
 * okx, bybit, one at a time) the venue simulator streams the trades of a synthetic market,
 * the real adapter decodes them, its handler turns each into a bus event and publishes it on
 * the in-process bus, and a consumer thread polls the bus and feeds live candles (1m, 5m,
 * 15m). Reported per dialect: trades/s, p50 / p99 / p99.9 / max of simulator send -> candles
 * reported, and the p50 / p99 of its stages (pipeline.h says what each covers). Asserts
 * nothing about time; exits non-zero only when something fails.
 *
 * The simulator's market runs at the wall clock with a trade_rate of 600 (--trade-rate: at
 * most that many trades a second, about half of it on average: 300/s, ten times a busy
 * BTCUSDT) and ticks every 10 ms, so trades leave it a few at a time, as a busy venue sends
 * them. --speed runs the market faster than the wall clock.
 *
 *   bench_stream_e2e [--seconds N (per dialect, 6)] [--trade-rate N (600)] [--speed S (1)]
 *                    [--venue NAME]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "pipeline.h"

static void sleep_ms(int ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

static double us(const lathist *h, double q) {
  return lh_quantile(h, q) / 1e3;
}

static int run(const char *venue, int seconds, int rate, double speed) {
  pl_options o = {.venues = {venue},
                  .symbols = {"BTC/USDT"},
                  .speed = speed,
                  .trade_rate = rate,
                  .stream_interval_ms = 10,
                  .spin_ns = 50000};
  pl *p = NULL;
  cq_error err;
  if (pl_start(&o, &p, &err) != 0 || pl_wait_flowing(p, 15000, &err) != 0) {
    fprintf(stderr, "bench_stream_e2e: %s: %s\n", venue, err.msg);
    pl_stop(p);
    return 1;
  }
  /* one second of warm-up (connections, the first candles, caches) left out */
  pl_latency *lat = calloc(1, sizeof *lat);
  if (!lat) {
    pl_stop(p);
    return 1;
  }
  sleep_ms(1000);
  pl_latency_take(p, lat);
  memset(lat, 0, sizeof *lat);
  pl_counts c0, c1;
  pl_counts_get(p, &c0);
  double t0 = now_s();
  sleep_ms(seconds * 1000);
  pl_latency_take(p, lat);
  pl_counts_get(p, &c1);
  double dt = now_s() - t0;
  pl_stop(p);
  uint64_t trades = c1.consumed[PL_CH_TRADES] - c0.consumed[PL_CH_TRADES];
  printf("  %-8s %7.0f trades/s  p50 %7.1f  p99 %7.1f  p99.9 %7.1f  max %7.1f us  (%llu trades)\n",
         venue, (double)trades / dt, us(&lat->total, 0.5), us(&lat->total, 0.99),
         us(&lat->total, 0.999), us(&lat->total, 1), (unsigned long long)lat->total.n);
  printf(
      "           stages p50/p99 us: wire+decode %.1f/%.1f, handler->publish %.1f/%.1f, "
      "bus+candles %.1f/%.1f\n",
      us(&lat->wire, 0.5), us(&lat->wire, 0.99), us(&lat->handler, 0.5), us(&lat->handler, 0.99),
      us(&lat->consume, 0.5), us(&lat->consume, 0.99));
  if (c1.unmatched || c1.late || c1.dropped || c1.errors)
    printf("           unmatched %llu, late %llu, bus drops %llu, errors %llu\n",
           (unsigned long long)c1.unmatched, (unsigned long long)c1.late,
           (unsigned long long)c1.dropped, (unsigned long long)c1.errors);
  int rc = c1.errors || lat->total.n == 0;
  free(lat);
  return rc;
}

int main(int argc, char **argv) {
  int seconds = 6;
  double speed = 1;
  long rate = 600;
  const char *only = NULL;
  for (int i = 1; i < argc; i++) {
    long n = 0;
    bool ok = i + 1 < argc;
    if (ok && !strcmp(argv[i], "--seconds"))
      ok = arg_long(argv[i + 1], &n) && n >= 1 && n <= 3600;
    else if (ok && !strcmp(argv[i], "--trade-rate"))
      ok = arg_long(argv[i + 1], &rate) && rate >= 1 && rate <= 1000;
    else if (ok && !strcmp(argv[i], "--speed"))
      ok = arg_double(argv[i + 1], &speed) && speed > 0;
    else if (ok && !strcmp(argv[i], "--venue"))
      only = argv[i + 1];
    else
      ok = false;
    if (!ok) {
      fprintf(
          stderr,
          "usage: bench_stream_e2e [--seconds N] [--trade-rate N] [--speed S] [--venue NAME]\n");
      return 2;
    }
    if (!strcmp(argv[i], "--seconds")) seconds = (int)n;
    i++;
  }
  printf(
      "end to end: simulator send -> adapter -> bus event -> in-process bus -> consumer -> "
      "live candles 1m/5m/15m reported\n"
      "  (wall clock; send = the simulator handing the message to its WebSocket server; %d s "
      "per dialect, trade_rate %ld, market speed %gx; target p99 < 2 ms, bar 500 ms)\n",
      seconds, rate, speed);
  static const char *const venues[] = {"binance", "okx", "bybit"};
  int rc = 0;
  for (size_t i = 0; i < 3; i++)
    if (!only || !strcmp(only, venues[i])) rc |= run(venues[i], seconds, (int)rate, speed);
  return rc;
}
