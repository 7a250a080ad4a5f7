/* The indicators on 10,000,000 bars (a random walk of OHLCV from a fixed seed, built once):
 * batch ns/bar through cq_ta_run (best and median of 5) beside a memory-bound baseline
 * measured in the same run (a plain sum over the close array), the ratio to it and the
 * issue's target; then streaming ns per cq_ta_stream_update. Everything goes through the
 * registry: an indicator not registered prints "n/a (not registered)".
 *
 * Prints a table; asserts nothing about time. Exits non-zero only when a result is wrong:
 * a run fails, or streaming over all the bars ends on other values than batch.
 *
 * usage: bench_ta [--bars N] [--tsv FILE]   (FILE: our figures for scripts/bench.sh) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "cquant/ta.h"

enum { REPS = 5 };

typedef struct bench_case {
  const char *name, *params, *label;
  double target_ns; /* the batch target, ns/bar */
} bench_case;

static const bench_case cases[] = {
    {"sma", "20", "SMA(20)", 0.97},
    {"ema", "20", "EMA(20)", 1.92},
    {"rsi", "14", "RSI(14)", 4.95},
    {"macd", "12,26,9", "MACD(12,26,9)", 2.23},
    {"bbands", "20,2", "BBANDS(20,2)", 2.15},
    {"atr", "14", "ATR(14)", 1.96},
    {"stoch", "14,3,0,3,0", "STOCH(14,3,3)", 10.1},
};
enum { NCASES = sizeof cases / sizeof cases[0] };
static const double stream_target_ns = 20.0;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* A random walk: each bar opens at the previous close; high and low reach past both. */
static void make_bars(size_t n, double *const col[CQ_TA_FIELD_COUNT_]) {
  rng r = {.s = 20240601};
  double c = 20000.0;
  for (size_t i = 0; i < n; i++) {
    double o = c;
    c = o * (1.0 + (unit(&r) - 0.5) * 0.004);
    double hi = o > c ? o : c, lo = o < c ? o : c;
    col[CQ_TA_OPEN][i] = o;
    col[CQ_TA_HIGH][i] = hi * (1.0 + unit(&r) * 0.001);
    col[CQ_TA_LOW][i] = lo * (1.0 - unit(&r) * 0.001);
    col[CQ_TA_CLOSE][i] = c;
    col[CQ_TA_VOLUME][i] = 1.0 + unit(&r) * 100.0;
  }
}

/* The baseline: one pass over the close array, as little work per value as there can be. */
static volatile double sink; /* keeps the sums from being optimised away */
static double baseline_ns(const double *close, size_t n) {
  double best = INFINITY;
  for (int rep = 0; rep < REPS; rep++) {
    double t0 = now_s();
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += close[i];
    double dt = now_s() - t0;
    sink = s;
    if (dt < best) best = dt;
  }
  return best * 1e9 / (double)n;
}

/* Bit for bit (any NaN equals any NaN). */
static bool same(double a, double b) {
  uint64_t x, y;
  memcpy(&x, &a, sizeof x);
  memcpy(&y, &b, sizeof y);
  return (isnan(a) && isnan(b)) || x == y;
}

int main(int argc, char **argv) {
  size_t n = 10000000;
  const char *tsv_path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--bars") && i + 1 < argc) {
      n = strtoull(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--tsv") && i + 1 < argc) {
      tsv_path = argv[++i];
    } else {
      fprintf(stderr, "usage: bench_ta [--bars N] [--tsv FILE]\n");
      return 2;
    }
  }
  if (n < 100) n = 100;
  double *col[CQ_TA_FIELD_COUNT_] = {0}, *out[CQ_TA_MAX_OUTPUTS] = {0};
  int status = 0;
  FILE *tsv = NULL;
  for (int k = 0; k < CQ_TA_FIELD_COUNT_; k++)
    if (!(col[k] = malloc(n * sizeof(double)))) goto oom;
  for (int k = 0; k < CQ_TA_MAX_OUTPUTS; k++)
    if (!(out[k] = malloc(n * sizeof(double)))) goto oom;
  make_bars(n, col);
  if (tsv_path && !(tsv = fopen(tsv_path, "w"))) {
    perror(tsv_path);
    status = 1;
    goto done;
  }
  if (tsv) fputs("indicator\tbatch_best_ns\tbatch_median_ns\tbaseline_ns\tstream_ns\n", tsv);

  printf("bench_ta: %zu bars (random-walk OHLCV), batch best and median of %d runs\n", n, REPS);
  printf("%-14s %10s %10s %10s %7s %8s   %11s %8s\n", "indicator", "best ns/bar", "median",
         "baseline", "ratio", "target", "stream ns/up", "target");
  for (int c = 0; c < NCASES; c++) {
    const bench_case *bc = &cases[c];
    const cq_ta_def *d = cq_ta_find(bc->name);
    if (!d) {
      printf("%-14s n/a (not registered)\n", bc->label);
      continue;
    }
    double p[CQ_TA_MAX_PARAMS];
    cq_error e;
    cq_error_clear(&e);
    if (cq_ta_params_parse(d, bc->params, p, &e)) {
      printf("%-14s wrong: parameters \"%s\": %s\n", bc->label, bc->params, e.msg);
      status = 1;
      continue;
    }
    cq_ta_in in = {.n = n};
    for (int k = 0; k < d->n_inputs; k++) in.v[k] = col[d->inputs[k]];
    /* the baseline beside each indicator: the machine's state changes within a run */
    double base = baseline_ns(col[CQ_TA_CLOSE], n);
    double t[REPS];
    for (int rep = 0; rep < REPS; rep++) {
      double t0 = now_s();
      int rc = cq_ta_run(d, p, &in, out, &e);
      t[rep] = (now_s() - t0) * 1e9 / (double)n;
      if (rc) {
        printf("%-14s wrong: %s\n", bc->label, e.msg);
        status = 1;
        goto next;
      }
    }
    qsort(t, REPS, sizeof t[0], cmp_double);
    double best = t[0], median = t[REPS / 2];

    /* streaming over every bar; it must end where batch ends */
    cq_ta_stream *s;
    if (cq_ta_stream_new(d, p, &s, &e)) {
      printf("%-14s wrong: stream: %s\n", bc->label, e.msg);
      status = 1;
      continue;
    }
    double bar[CQ_TA_MAX_INPUTS], last[CQ_TA_MAX_OUTPUTS];
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
      for (int k = 0; k < d->n_inputs; k++) bar[k] = in.v[k][i];
      cq_ta_stream_update(s, 0, bar, last);
    }
    double stream = (now_s() - t0) * 1e9 / (double)n;
    cq_ta_stream_free(s);
    printf("%-14s %10.2f %10.2f %10.2f %7.1f %8.2f   %11.2f %6s%.0f\n", bc->label, best, median,
           base, best / base, bc->target_ns, stream, "< ", stream_target_ns);
    for (int k = 0; k < d->n_outputs; k++) {
      if (!same(last[k], out[k][n - 1])) {
        printf("%-14s wrong: output %s: stream ends on %.17g, batch on %.17g\n", bc->label,
               d->outputs[k], last[k], out[k][n - 1]);
        status = 1;
      }
    }
    if (tsv) fprintf(tsv, "%s\t%.4f\t%.4f\t%.4f\t%.4f\n", bc->name, best, median, base, stream);
  next:;
  }
  printf(
      "(baseline: a plain sum over the close array, ns/bar, best of %d, measured before each\n"
      " indicator; ratio = best / baseline; targets from the issue, never asserted)\n",
      REPS);
  goto done;
oom:
  fprintf(stderr, "bench_ta: out of memory for %zu bars\n", n);
  status = 1;
done:
  if (tsv && fclose(tsv)) status = 1;
  for (int k = 0; k < CQ_TA_FIELD_COUNT_; k++) free(col[k]);
  for (int k = 0; k < CQ_TA_MAX_OUTPUTS; k++) free(out[k]);
  return status;
}
