/* The feature pipeline: building a feature set over 1,000,000 one-minute candles and storing
 * the frame (SQLite in a temporary folder), in feature values per second, beside a baseline
 * measured in the same run: computing the same indicators straight through the typed
 * functions, with no parsing, no store and no frame. Target: >= 1,000,000 values/s per core
 * including storage. Prints figures; asserts nothing about time; exits non-zero only when a
 * step fails or a value differs from the baseline. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "cquant/features.h"
#include "cquant/ta.h"

enum { N = 1000000, REPS = 3 };

/* Bit-for-bit equality of two double arrays (NaN payloads and the sign of zero included),
 * which is what the feature path must reproduce; == would treat NaN and -0.0 differently. */
static bool same_bits(const double *a, const double *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint64_t x, y;
    memcpy(&x, &a[i], sizeof x);
    memcpy(&y, &b[i], sizeof y);
    if (x != y) return false;
  }
  return true;
}

static const char set_text[] =
    "name: bench\n"
    "features:\n"
    "  ema_fast: ema:12\n"
    "  ema_slow: ema:26\n"
    "  sma50: sma:50\n"
    "  gap: {diff: [ema_fast, ema_slow]}\n"
    "  rel: {ratio: [close, sma50]}\n"
    "  gap_prev: {lag: gap, periods: 1}\n"
    "  gap_z: {zscore: gap, window: 100}\n"
    "  gap_smooth: {ind: \"ema:9\", input: gap}\n";

static int fail(const char *what, const cq_error *e) {
  fprintf(stderr, "bench_features: %s: %s\n", what, e->msg);
  return 1;
}

int main(void) {
  char dir[] = "/tmp/cq_bench_features_XXXXXX";
  if (!mkdtemp(dir)) return 1;
  char db[128], uri[160];
  snprintf(db, sizeof db, "%s/store.db", dir);
  snprintf(uri, sizeof uri, "sqlite:%s", db);
  cq_error e;
  cq_store *s = NULL;
  cq_feature_set *fs = NULL;
  cq_candles c;
  cq_candles_init(&c, 0);
  int rc = 1;
  double *col[8] = {0};
  if (cq_store_open(uri, &s, &e)) {
    fail("open", &e);
    goto done;
  }
  cq_series_key key;
  if (cq_series_key_set(&key, "bench", "BTC/USDT", "1m", &e)) goto done;
  uint64_t x = 42;
  double p = 20000;
  cq_time t0 = INT64_C(1672531200) * CQ_NS_PER_SEC;
  for (size_t i = 0; i < N; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    double q = p * exp(((double)(x >> 11) * 0x1.0p-53 - 0.5) * 0.002);
    cq_candle k = {.open_time = t0 + (int64_t)i * CQ_NS_PER_MIN,
                   .open = p,
                   .high = fmax(p, q),
                   .low = fmin(p, q),
                   .close = q,
                   .volume = 1,
                   .quote_volume = NAN,
                   .trades = -1,
                   .closed = true};
    if (cq_candles_push(&c, &k)) goto done;
    p = q;
  }
  if (cq_store_put_candles(s, &key, &c, 0, c.len, NULL, &e)) {
    fail("store candles", &e);
    goto done;
  }
  if (cq_feature_set_parse(set_text, strlen(set_text), "bench.yaml", &fs, &e)) {
    fail("parse", &e);
    goto done;
  }
  int nf = cq_feature_set_count(fs);
  double values = (double)N * nf;

  /* baseline: the same indicators through the typed functions, plus the arithmetic */
  for (int k = 0; k < 8; k++)
    if (!(col[k] = malloc(N * sizeof(double)))) goto done;
  double base = INFINITY;
  for (int r = 0; r < REPS; r++) {
    double a = now_s();
    if (cq_ta_ema(c.close, N, 12, col[0], &e) || cq_ta_ema(c.close, N, 26, col[1], &e) ||
        cq_ta_sma(c.close, N, 50, col[2], &e))
      goto done;
    for (size_t i = 0; i < N; i++) {
      col[3][i] = col[0][i] - col[1][i];
      col[4][i] = col[2][i] == 0 ? NAN : c.close[i] / col[2][i];
      col[5][i] = i ? col[3][i - 1] : NAN;
    }
    double b = now_s() - a;
    if (b < base) base = b;
  }

  double compute = INFINITY, build = INFINITY;
  for (int r = 0; r < REPS; r++) {
    cq_feature_frame f;
    double a = now_s();
    if (cq_feature_set_compute(fs, &c, &f, &e)) {
      fail("compute", &e);
      goto done;
    }
    double b = now_s() - a;
    if (b < compute) compute = b;
    for (int k = 0; k < 3; k++)
      if (!same_bits(f.values[k], col[k], N)) {
        fprintf(stderr, "bench_features: feature %s differs from the typed function\n", f.names[k]);
        cq_feature_frame_release(&f);
        goto done;
      }
    cq_feature_frame_release(&f);
    cq_features_report rep;
    a = now_s();
    if (cq_features_build(s, fs, &key, INT64_MIN, INT64_MAX, true, t0, &rep, &e)) {
      fail("build", &e);
      goto done;
    }
    b = now_s() - a;
    if (b < build) build = b;
  }
  cq_features_report rep;
  double a = now_s();
  if (cq_features_build(s, fs, &key, INT64_MIN, INT64_MAX, false, t0, &rep, &e)) goto done;
  double noop = now_s() - a;

  printf("feature pipeline: %d features over %d one-minute candles (%.0f values), best of %d\n", nf,
         N, values, REPS);
  printf("  %-46s %9.1f ms  %6.2f M values/s\n", "baseline: the indicators by typed calls",
         base * 1e3, (double)N * 6 / base / 1e6);
  printf("  %-46s %9.1f ms  %6.2f M values/s  %.2fx baseline time\n",
         "compute the set (parse-free, no store)", compute * 1e3, values / compute / 1e6,
         compute / base);
  printf("  %-46s %9.1f ms  %6.2f M values/s  (target >= 1.00)\n",
         "build: read candles + compute + store (sqlite)", build * 1e3, values / build / 1e6);
  printf("  %-46s %9.1f ms  %s\n", "rebuild when up to date", noop * 1e3,
         rep.up_to_date ? "(no-op)" : "(NOT a no-op)");
  rc = rep.up_to_date ? 0 : 1;
done:
  for (int k = 0; k < 8; k++) free(col[k]);
  cq_feature_set_free(fs);
  cq_candles_release(&c);
  cq_store_close(s);
  char f[200];
  unlink(db);
  snprintf(f, sizeof f, "%s-wal", db);
  unlink(f);
  snprintf(f, sizeof f, "%s-shm", db);
  unlink(f);
  rmdir(dir);
  return rc;
}
