/* The backtest engines on 1,000,000 one-minute bars (a seeded random walk on a 0.01 tick):
 * an SMA(10) / SMA(30) crossover, long only, all-in, 0.1 % fees. The vector engine's
 * bars/s (the signals with their batch indicators included), best and median of 5, beside
 * a trivial loop over the same close array measured in the same run, and the ratio to it;
 * its peak memory: the input arrays and what the run adds (peak resident growth over the
 * first run, and what the result keeps). With CQ_BENCH_EVENT (set when the event engine is
 * in the tree) also the event engine on the built-in sma_cross, which must give the same
 * fills as the vector engine does on the same strategy.
 *
 * Prints its figures; asserts nothing about time. Exits non-zero only when a run fails or
 * the engines disagree.
 *
 * usage: bench_backtest [--bars N] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_bars.h"
#include "cquant/backtest.h"
#include "cquant/ta.h"
#ifdef CQ_BENCH_EVENT
#include "cquant/strategy.h"
#endif

enum { REPS = 5, FAST = 10, SLOW = 30 };
static const double target_bars_s = 50e6;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* ---- measuring ----------------------------------------------------------------------- */

static long maxrss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* The trivial loop: one pass over the close array with a compare per bar. */
static volatile double sink;
static double baseline_s(const double *close, size_t n) {
  double best = INFINITY;
  for (int rep = 0; rep < REPS; rep++) {
    double t0 = now_s(), s = 0;
    for (size_t i = 1; i < n; i++) s += close[i] * (close[i] > close[i - 1]);
    double dt = now_s() - t0;
    sink = s;
    if (dt < best) best = dt;
  }
  return best;
}

static void config(cq_bt_config *cfg, cq_bt_engine engine) {
  cq_bt_config_default(cfg);
  snprintf(cfg->strategy, sizeof cfg->strategy, "sma_cross");
  cfg->engine = engine;
  cfg->params = (cq_param_values){.n = 2, .v = {FAST, SLOW}};
  cfg->n_symbols = 1;
  snprintf(cfg->symbols[0], sizeof cfg->symbols[0], "BTC/USDT");
  cq_instrument *ins = &cfg->instruments[0];
  snprintf(ins->venue, sizeof ins->venue, "bench");
  snprintf(ins->symbol, sizeof ins->symbol, "BTC/USDT");
  snprintf(ins->base, sizeof ins->base, "BTC");
  snprintf(ins->quote, sizeof ins->quote, "USDT");
  ins->tick = CQ_DEC(1, 2);
  ins->lot = CQ_DEC(1, 5);
  ins->min_notional = CQ_DEC(5, 0);
  cfg->initial_cash = CQ_DEC(10000, 0);
  cfg->size = (cq_size){.kind = CQ_SIZE_ALL_IN};
}

/* Runs the vector engine REPS times; times[] in seconds, sorted. The first run's peak
 * resident growth goes to *rss_kb. The last result stays in *r. */
static int time_vector(const cq_strategy_def *def, const cq_bt_config *cfg, const cq_bt_data *data,
                       cq_bt_result *r, double *times, long *rss_kb) {
  cq_error e = {0};
  for (int rep = 0; rep < REPS; rep++) {
    if (rep) cq_bt_result_release(r);
    long before = maxrss_kb();
    double t0 = now_s();
    int rc = cq_bt_run_vector_def(def, cfg, data, r, &e);
    times[rep] = now_s() - t0;
    if (!rep) *rss_kb = maxrss_kb() - before;
    if (rc) {
      printf("vector: wrong: %s\n", e.msg);
      return rc;
    }
  }
  qsort(times, REPS, sizeof times[0], cmp_double);
  return 0;
}

#ifdef CQ_BENCH_EVENT
/* The event engine on the built-in sma_cross, against the vector engine on the same. */
static int bench_event(const cq_bt_data *data, size_t n) {
  const cq_strategy_def *def = cq_strategy_find("sma_cross");
  if (!def) {
    printf("event: n/a (sma_cross not built in)\n");
    return 0;
  }
  cq_bt_config cfg;
  config(&cfg, CQ_BT_EVENT);
  cq_bt_result ev, ve;
  cq_bt_result_init(&ev);
  cq_bt_result_init(&ve);
  cq_error e = {0};
  double t0 = now_s();
  int rc = cq_bt_run_event(&cfg, data, NULL, &ev, &e);
  double dt = now_s() - t0;
  if (!rc) rc = cq_bt_run_vector_def(def, &cfg, data, &ve, &e);
  if (rc) {
    printf("event: wrong: %s\n", e.msg);
    return 1;
  }
  printf("event engine: %.2f M bars/s (%.1f ms)\n", (double)n / dt / 1e6, dt * 1e3);
  int status = 0;
  if (ev.n_fills != ve.n_fills) {
    printf("event: wrong: %zu fills, the vector engine %zu\n", ev.n_fills, ve.n_fills);
    status = 1;
  }
  for (size_t i = 0; !status && i < ev.n_fills; i++) {
    const cq_bt_fill *a = &ev.fills[i], *b = &ve.fills[i];
    if (a->time != b->time || a->price != b->price || a->qty != b->qty || a->fee != b->fee) {
      printf("event: wrong: fill %zu differs from the vector engine's\n", i);
      status = 1;
    }
  }
  if (!status) printf("event and vector engines: the same %zu fills\n", ev.n_fills);
  cq_bt_result_release(&ev);
  cq_bt_result_release(&ve);
  return status;
}
#endif

/* The bars for the peers (bench/backtest/peer_backtest.py): n, then open, high, low, close,
 * volume as little-endian doubles, so they run on exactly our data. */
static int dump_bars(const char *path, const cq_candles *c) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  uint64_t n = c->len;
  const double *cols[5] = {c->open, c->high, c->low, c->close, c->volume};
  bool ok = fwrite(&n, sizeof n, 1, f) == 1;
  for (int k = 0; k < 5 && ok; k++) ok = fwrite(cols[k], sizeof(double), c->len, f) == c->len;
  return fclose(f) == 0 && ok ? 0 : -1;
}

int main(int argc, char **argv) {
  size_t n = 1000000;
  const char *dump = NULL, *tsv = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--bars") && i + 1 < argc) {
      n = strtoull(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--dump") && i + 1 < argc) {
      dump = argv[++i];
    } else if (!strcmp(argv[i], "--tsv") && i + 1 < argc) {
      tsv = argv[++i];
    } else {
      fprintf(stderr, "usage: bench_backtest [--bars N] [--dump BARS.bin] [--tsv OURS.tsv]\n");
      return 2;
    }
  }
  if (n < 100) n = 100;
  cq_candles c;
  if (bench_walk_bars(n, &c)) {
    fprintf(stderr, "bench_backtest: no memory for %zu bars\n", n);
    return 1;
  }
  if (dump && dump_bars(dump, &c)) {
    fprintf(stderr, "bench_backtest: cannot write %s\n", dump);
    return 1;
  }
  cq_bt_data data = {.n_symbols = 1, .candles = {&c}};
  cq_bt_config cfg;
  config(&cfg, CQ_BT_VECTOR);
  cq_bt_result r;
  cq_bt_result_init(&r);
  double t[REPS];
  long rss_kb = 0;
  const cq_strategy_def *sma = cq_strategy_find("sma_cross");
  if (!sma) {
    fprintf(stderr, "bench_backtest: sma_cross is not built in\n");
    return 1;
  }
  int status = time_vector(sma, &cfg, &data, &r, t, &rss_kb);
  if (status) return 1;
  double base = baseline_s(c.close, n);
  /* open_time, open, high, low, close, volume, quote_volume, trades, closed */
  double input_mb = (double)n * (8 * 8 + 1) / 1e6;
  double kept_mb = ((double)r.n_bars * 5 * 8 + (double)r.cap_fills * sizeof(cq_bt_fill) +
                    (double)r.cap_trades * sizeof(cq_bt_trade)) /
                   1e6;

  printf("bench_backtest: %zu 1m bars, SMA(%d)/SMA(%d) cross, long only, all-in, 0.1 %% fee\n", n,
         FAST, SLOW);
  printf("vector engine: %.1f M bars/s best (%.2f ms), median %.1f M bars/s; target %.0f M\n",
         (double)n / t[0] / 1e6, t[0] * 1e3, (double)n / t[REPS / 2] / 1e6, target_bars_s / 1e6);
  printf("trivial loop over close: %.1f M bars/s (%.2f ms); vector / loop time: %.1fx\n",
         (double)n / base / 1e6, base * 1e3, t[0] / base);
  printf("fills %zu, round trips %zu, end equity %.2f, total return %.4f\n", r.n_fills, r.n_trades,
         r.metrics.end_equity, r.metrics.total_return);
  printf(
      "memory: input arrays %.1f MB; run adds %.1f MB peak resident (%.2fx input), "
      "result keeps %.1f MB; target < 3x\n",
      input_mb, (double)rss_kb / 1e3, (double)rss_kb * 1e3 / (input_mb * 1e6), kept_mb);
  if (tsv) {
    FILE *f = fopen(tsv, "w");
    if (f) {
      fprintf(f, "vector\t%.6f\t%zu\t%zu\n", t[0], r.n_fills, n);
      fclose(f);
    }
  }
  cq_bt_result_release(&r);
#ifdef CQ_BENCH_EVENT
  status |= bench_event(&data, n);
#else
  printf("event engine: n/a (not in this build)\n");
#endif
  cq_candles_release(&c);
  return status;
}
