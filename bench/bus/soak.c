/* The streaming soak: three venue simulators (binance, okx, bybit) at ten times a busy real
 * feed's message rate on loopback for --seconds (default one hour), through the system under
 * test; every --interval seconds it prints the resident memory (/proc/self/statm), events/s
 * by channel and the trades' latency p50 / p99 of that interval; at the end the memory growth
 * after the warm-up and the overall percentiles. Not run by `make bench` nor by CI.
 *
 * The assumed busy feed, per symbol (Binance BTCUSDT at a busy hour): about 30 trades/s
 * (trades stream in real time), 10 depth updates/s (the diff-depth stream at its 100 ms
 * speed) and 1 ticker/s (the ticker streams' 1000 ms speed): ten times that is 300 trades,
 * 100 depth updates and 10 tickers a second per symbol. The simulators get there by running
 * a busy market (trade_rate 60: 30 trades a market second on average) at 10 times the wall
 * clock, ticking every 10 ms: the 100 ms depth stream and the 1 s ticker then come ten times
 * as often too. Two symbols per venue. The figures printed are the measured rates.
 *
 * The system under test is a `soak_target`: today the in-process pipeline of pipeline.h
 * (adapters -> bus -> consumers with live candles); the full `cquant stream` capture is meant
 * to be another target, started and sampled the same way.
 *
 *   soak_stream [--seconds N (3600)] [--interval S (10)] [--warmup S (60)] [--speed X (10)]
 *               [--trade-rate N (60)] [--tick-ms MS (10)]
 *
 * Ctrl-C ends the run early with the summary. Exits non-zero when the target fails to start
 * or reports errors.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "pipeline.h"

/* ---- the system under test ------------------------------------------------------------- */

typedef struct soak_config {
  double speed;
  int tick_ms;    /* the simulators' step */
  int trade_rate; /* the simulators' trade_rate */
  int64_t spin_ns;
} soak_config;

/* What a target reports at each sample: counters since its start and the latency since the
 * previous sample. */
typedef struct soak_sample {
  pl_counts counts;
  pl_latency lat;
} soak_sample;

typedef struct soak_target {
  const char *name;
  int (*start)(const soak_config *c, void **state, cq_error *err);
  void (*sample)(void *state, soak_sample *out); /* out->lat cleared by the caller */
  void (*stop)(void *state);
} soak_target;

static int pipeline_start(const soak_config *c, void **state, cq_error *err) {
  pl_options o = {.venues = {"binance", "okx", "bybit"},
                  .symbols = {"BTC/USDT", "ETH/USDT"},
                  .book = true,
                  .ticker = true,
                  .speed = c->speed,
                  .trade_rate = c->trade_rate,
                  .stream_interval_ms = c->tick_ms,
                  .spin_ns = c->spin_ns};
  pl *p = NULL;
  int rc = pl_start(&o, &p, err);
  if (rc == 0) rc = pl_wait_flowing(p, 30000, err);
  if (rc) {
    pl_stop(p);
    return rc;
  }
  *state = p;
  return 0;
}

static void pipeline_sample(void *state, soak_sample *out) {
  pl_counts_get(state, &out->counts);
  pl_latency_take(state, &out->lat);
}

static void pipeline_stop(void *state) {
  pl_stop(state);
}

static const soak_target pipeline_target = {
    .name = "in-process pipeline (adapters -> bus -> live candles)",
    .start = pipeline_start,
    .sample = pipeline_sample,
    .stop = pipeline_stop,
};

/* ---- the harness ----------------------------------------------------------------------- */

/* Set by SIGINT: the run ends at the next second with its summary. */
static volatile sig_atomic_t g_interrupted;

static void on_sigint(int sig) {
  (void)sig;
  g_interrupted = 1;
}

static double rss_mib(void) {
  /* the second field: resident pages */
  return file_number("/proc/self/statm", 1) * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

static double ms(const lathist *h, double q) {
  return lh_quantile(h, q) / 1e6;
}

static uint64_t total_events(const pl_counts *c) {
  return c->consumed[PL_CH_TRADES] + c->consumed[PL_CH_BOOK] + c->consumed[PL_CH_TICKER];
}

typedef struct soak_args {
  int seconds, interval, warmup, tick_ms, trade_rate;
  double speed;
} soak_args;

static int parse_args(int argc, char **argv, soak_args *a) {
  *a = (soak_args){
      .seconds = 3600, .interval = 10, .warmup = 60, .tick_ms = 10, .trade_rate = 60, .speed = 10};
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    long n = 0;
    if (!strcmp(k, "--speed")) {
      if (!arg_double(v, &a->speed)) return -1;
      continue;
    }
    if (!arg_long(v, &n) || n < 0 || n > 100000000) return -1;
    if (!strcmp(k, "--seconds"))
      a->seconds = (int)n;
    else if (!strcmp(k, "--interval"))
      a->interval = (int)n;
    else if (!strcmp(k, "--warmup"))
      a->warmup = (int)n;
    else if (!strcmp(k, "--tick-ms"))
      a->tick_ms = (int)n;
    else if (!strcmp(k, "--trade-rate"))
      a->trade_rate = (int)n;
    else
      return -1;
  }
  if (argc % 2 == 0) return -1; /* an option without its value */
  if (a->seconds < 1 || a->interval < 1 || a->warmup < 0 || a->speed <= 0 || a->tick_ms < 1)
    return -1;
  /* a short run keeps a quarter of itself for the warm-up, a whole interval at least */
  if (a->warmup > a->seconds / 4) a->warmup = a->seconds / 4;
  a->warmup = a->warmup / a->interval * a->interval;
  if (a->warmup < a->interval && a->seconds > a->interval) a->warmup = a->interval;
  return 0;
}

int main(int argc, char **argv) {
  soak_args a;
  if (parse_args(argc, argv, &a) != 0) {
    fprintf(stderr,
            "usage: soak_stream [--seconds N] [--interval S] [--warmup S] [--speed X] "
            "[--trade-rate N] [--tick-ms MS]\n");
    return 2;
  }
  signal(SIGINT, on_sigint);
  const soak_target *t = &pipeline_target;
  soak_config cfg = {
      .speed = a.speed, .tick_ms = a.tick_ms, .trade_rate = a.trade_rate, .spin_ns = 50000};
  printf(
      "soak: %s; 3 venues x 2 symbols, trades + book + ticker; market speed %gx, trade_rate "
      "%d, tick %d ms; %d s, samples every %d s, warm-up %d s\n"
      "  target rate (10x a busy feed): 300 trades + 100 book + 10 ticker /s a symbol = "
      "2460 events/s in all\n",
      t->name, a.speed, a.trade_rate, a.tick_ms, a.seconds, a.interval, a.warmup);
  fflush(stdout);
  void *st = NULL;
  cq_error err;
  if (t->start(&cfg, &st, &err) != 0) {
    fprintf(stderr, "soak: %s\n", err.msg);
    return 1;
  }
  soak_sample *s = calloc(1, sizeof *s);
  pl_latency *all = calloc(1, sizeof *all);
  if (!s || !all) {
    t->stop(st);
    free(s);
    free(all);
    return 1;
  }
  double t0 = now_s(), last_t = t0;
  pl_counts last = {0};
  t->sample(st, s); /* the start: counters so far, latency dropped */
  last = s->counts;
  double rss_warm = 0, rss_max = 0, rss_start = rss_mib();
  int elapsed = 0;
  while (elapsed < a.seconds && !g_interrupted) {
    double due = t0 + elapsed + a.interval;
    while (now_s() < due && !g_interrupted) {
      struct timespec ts = {0, 100000000};
      nanosleep(&ts, NULL);
    }
    if (g_interrupted) break;
    elapsed += a.interval;
    memset(&s->lat, 0, sizeof s->lat);
    t->sample(st, s);
    double now = now_s(), dt = now - last_t, rss = rss_mib();
    const pl_counts *c = &s->counts;
    printf(
        "[%5d s] rss %7.1f MiB  events/s %6.0f (trades %5.0f, book %5.0f, ticker %5.0f)  "
        "trade latency p50 %6.2f p99 %7.2f ms  drops %llu\n",
        elapsed, rss, (double)(total_events(c) - total_events(&last)) / dt,
        (double)(c->consumed[PL_CH_TRADES] - last.consumed[PL_CH_TRADES]) / dt,
        (double)(c->consumed[PL_CH_BOOK] - last.consumed[PL_CH_BOOK]) / dt,
        (double)(c->consumed[PL_CH_TICKER] - last.consumed[PL_CH_TICKER]) / dt,
        ms(&s->lat.total, 0.5), ms(&s->lat.total, 0.99), (unsigned long long)c->dropped);
    fflush(stdout);
    if (elapsed == a.warmup) rss_warm = rss;
    if (elapsed > a.warmup) {
      lh_merge(&all->total, &s->lat.total);
      lh_merge(&all->wire, &s->lat.wire);
      lh_merge(&all->handler, &s->lat.handler);
      lh_merge(&all->consume, &s->lat.consume);
      if (rss > rss_max) rss_max = rss;
    }
    last = *c;
    last_t = now;
  }
  double rss_end = rss_mib(), ran = now_s() - t0;
  t->stop(st);
  const pl_counts *c = &s->counts;
  printf(
      "soak: %.0f s%s, %llu events consumed (%.0f/s), %llu simulator messages, candle reports "
      "%llu\n",
      ran, g_interrupted ? " (interrupted)" : "", (unsigned long long)total_events(c),
      (double)total_events(c) / ran, (unsigned long long)c->sim_messages,
      (unsigned long long)c->candle_reports);
  printf(
      "  rss: %.1f MiB at the start, %.1f after the warm-up, %.1f at the end (max %.1f after "
      "the warm-up): growth after the warm-up %+.1f MiB\n",
      rss_start, rss_warm, rss_end, rss_max, rss_warm > 0 ? rss_end - rss_warm : 0.0);
  if (all->total.n)
    printf(
        "  trade latency after the warm-up (%llu trades): p50 %.2f  p99 %.2f  p99.9 %.2f  max "
        "%.2f ms\n"
        "    stages p50/p99 ms: wire+decode %.3f/%.3f, handler->publish %.3f/%.3f, "
        "bus+candles %.3f/%.3f\n",
        (unsigned long long)all->total.n, ms(&all->total, 0.5), ms(&all->total, 0.99),
        ms(&all->total, 0.999), ms(&all->total, 1), ms(&all->wire, 0.5), ms(&all->wire, 0.99),
        ms(&all->handler, 0.5), ms(&all->handler, 0.99), ms(&all->consume, 0.5),
        ms(&all->consume, 0.99));
  else
    printf("  no latency samples after the warm-up\n");
  printf("  bus drops %llu, late trades %llu, unmatched %llu, errors %llu\n",
         (unsigned long long)c->dropped, (unsigned long long)c->late,
         (unsigned long long)c->unmatched, (unsigned long long)c->errors);
  int rc = c->errors != 0;
  free(s);
  free(all);
  return rc;
}
