/* A grid of 100 (fast, slow) pairs of the built-in sma_cross (fast 5..50 step 5, slow
 * 60..150 step 10), long only, all-in, 0.1 % fees, on 1,000,000 one-minute bars, through the
 * study runner (vector engine, overfitting statistics after it): the wall time, trials/s and
 * bar-trials/s on 1 thread and on every core, the speed-up between them, and the peak
 * resident memory over the input arrays. The baseline in the same run: the same 100
 * backtests called one after another with no study around them.
 *
 * Prints its figures; asserts nothing about time. Exits non-zero only when a run fails or
 * the thread counts disagree.
 *
 * usage: bench_optimize [--bars N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_bars.h"
#include "cquant/optimize.h"
#include "cquant/strategy.h"

static long maxrss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static int study_of(cq_opt_study *st, int threads) {
  const cq_strategy_def *def = NULL;
  cq_error e;
  cq_opt_study_init(st);
  if (cq_strategy_lookup("sma_cross", &def, &e) || cq_opt_space_init(&st->space, def, &e) ||
      cq_opt_space_set(&st->space, "fast=5:50:5", &e) ||
      cq_opt_space_set(&st->space, "slow=60:150:10", &e)) {
    fprintf(stderr, "bench_optimize: %s\n", e.msg);
    return -1;
  }
  st->config.sampler = CQ_SAMPLER_GRID;
  st->config.trials = 0;
  st->config.threads = threads;
  cq_bt_config *b = &st->bt;
  snprintf(b->strategy, sizeof b->strategy, "sma_cross");
  b->engine = CQ_BT_VECTOR;
  snprintf(b->venue, sizeof b->venue, "bench");
  b->n_symbols = 1;
  snprintf(b->symbols[0], sizeof b->symbols[0], "BTC/USDT");
  b->instruments[0] = (cq_instrument){.tick = CQ_DEC(1, 2), .lot = CQ_DEC(1, 5)};
  snprintf(b->instruments[0].symbol, sizeof b->instruments[0].symbol, "BTC/USDT");
  b->tf = (cq_timeframe){.n = 1, .unit = CQ_TF_MINUTE};
  b->match.taker_fee = b->match.maker_fee = CQ_DEC(1, 3);
  b->from = INT64_MIN;
  b->to = INT64_MAX;
  return 0;
}

/* One study; its wall time, its first trial's value (to compare thread counts). */
static int run_study(const cq_bt_data *d, int threads, double *secs, double *check,
                     size_t *trials) {
  cq_opt_study st;
  if (study_of(&st, threads)) return -1;
  cq_error e;
  double t0 = now_s();
  int rc = cq_opt_run(&st, d, NULL, NULL, &e);
  cq_opt_stats stats;
  if (!rc) rc = cq_opt_stats_compute(&st, &stats, &e);
  *secs = now_s() - t0;
  if (rc) {
    fprintf(stderr, "bench_optimize: %s\n", e.msg);
    cq_opt_study_release(&st);
    return -1;
  }
  double sum = 0;
  for (size_t i = 0; i < st.n_trials; i++) sum += st.trials[i].value * (double)(i + 1);
  *check = sum;
  *trials = st.n_trials;
  cq_opt_stats_release(&stats);
  cq_opt_study_release(&st);
  return 0;
}

/* The baseline: the same backtests one after another, no study. */
static int run_plain(const cq_bt_data *d, double *secs) {
  cq_opt_study st;
  if (study_of(&st, 1)) return -1;
  cq_error e;
  double t0 = now_s();
  for (int f = 5; f <= 50; f += 5)
    for (int s = 60; s <= 150; s += 10) {
      cq_bt_config cfg = st.bt;
      cfg.params = (cq_param_values){.n = 2, .v = {f, s}};
      cq_bt_result r;
      if (cq_bt_run_vector_def(st.space.def, &cfg, d, &r, &e)) {
        fprintf(stderr, "bench_optimize: %s\n", e.msg);
        return -1;
      }
      cq_bt_result_release(&r);
    }
  *secs = now_s() - t0;
  cq_opt_study_release(&st);
  return 0;
}

int main(int argc, char **argv) {
  size_t n = 1000000;
  if (argc == 3 && !strcmp(argv[1], "--bars")) n = (size_t)strtoull(argv[2], NULL, 10);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (cores < 1) cores = 1;
  cq_candles c;
  if (bench_walk_bars(n, &c)) {
    fprintf(stderr, "bench_optimize: no memory for %zu bars\n", n);
    return 1;
  }
  cq_bt_data d = {.n_symbols = 1};
  d.candles[0] = &c;
  double input_mb = (double)n * (8 * 6 + 8 + 1) / 1e6; /* the candle columns */
  long rss0 = maxrss_kb();
  double plain = 0, one = 0, all = 0, check1 = 0, checkn = 0;
  size_t trials = 0;
  if (run_plain(&d, &plain) || run_study(&d, 1, &one, &check1, &trials) ||
      run_study(&d, (int)cores, &all, &checkn, &trials)) {
    cq_candles_release(&c);
    return 1;
  }
  long rss1 = maxrss_kb();
  printf(
      "grid of %zu sma_cross pairs (fast 5..50/5, slow 60..150/10) on %zu 1m bars, vector "
      "engine, statistics included\n",
      trials, n);
  double bt = (double)trials * (double)n;
  printf("  1 thread:   %7.3f s  %7.1f trials/s  %7.1f M bar-trials/s\n", one, trials / one,
         bt / one / 1e6);
  printf(
      "  %ld threads: %7.3f s  %7.1f trials/s  %7.1f M bar-trials/s  (speed-up %.2fx; target "
      "under 3 s on 2 cores: %s)\n",
      cores, all, trials / all, bt / all / 1e6, one / all, all < 3.0 ? "met" : "NOT met");
  printf(
      "  baseline, the same %zu backtests in a plain loop: %.3f s (study on 1 thread / loop: "
      "%.2fx)\n",
      trials, plain, one / plain);
  printf(
      "  peak resident memory %.0f MB (input arrays %.0f MB, before the runs %.0f MB; target "
      "under 300 MB: %s)\n",
      rss1 / 1024.0, input_mb, rss0 / 1024.0, rss1 / 1024.0 < 300 ? "met" : "NOT met");
  cq_candles_release(&c);
  if (check1 != checkn) {
    fprintf(stderr, "bench_optimize: 1 and %ld threads gave different trials\n", cores);
    return 1;
  }
  return 0;
}
