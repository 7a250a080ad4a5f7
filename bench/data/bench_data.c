/* Quality checks, resampling and trade bars over a million rows. Prints figures and a ratio
 * against a baseline measured in the same run (one qsort of the closes, the price of a full
 * sort that the median selection avoids); asserts nothing about time. Exits non-zero only
 * if a call fails (a correctness bug, not a performance one). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "cquant/data.h"

enum { N = 1000000, REPS = 5 };

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int fail(const char *what, const cq_error *e) {
  fprintf(stderr, "bench_data: %s: %s\n", what, e->msg);
  return 1;
}

int main(void) {
  rng r = {1};
  cq_candles c, out;
  cq_candles_init(&c, 0);
  cq_candles_init(&out, 0);
  cq_error e;
  double p = 20000;
  cq_time t0 = INT64_C(1672531200) * CQ_NS_PER_SEC; /* 2023-01-01 */
  for (size_t i = 0; i < N; i++) {
    double q = p * exp((unit(&r) - 0.5) * 0.002);
    cq_candle k = {.open_time = t0 + (int64_t)i * CQ_NS_PER_MIN,
                   .open = p,
                   .high = fmax(p, q) * 1.0002,
                   .low = fmin(p, q) * 0.9998,
                   .close = q,
                   .volume = unit(&r) * 10,
                   .quote_volume = NAN,
                   .trades = -1,
                   .closed = true};
    if (cq_candles_push(&c, &k)) return fail("push", &e);
    p = q;
  }
  cq_timeframe m1 = {1, CQ_TF_MINUTE}, h1 = {1, CQ_TF_HOUR}, d1 = {1, CQ_TF_DAY};

  double best_check = 1e9, best_sort = 1e9, best_h = 1e9, best_d = 1e9, best_agg = 1e9;
  double *copy = malloc(N * sizeof *copy);
  if (!copy) return 1;
  cq_check_report rep;
  for (int k = 0; k < REPS; k++) {
    cq_check_opts o = {.tf = m1};
    double a = now_s();
    if (cq_check_candles(&c, &o, &rep, &e)) return fail("check", &e);
    double b = now_s();
    if (k == 0)
      printf("check: %llu issues in %llu rows\n", (unsigned long long)cq_check_report_total(&rep),
             (unsigned long long)rep.rows);
    cq_check_report_release(&rep);
    best_check = fmin(best_check, b - a);

    memcpy(copy, c.close, N * sizeof *copy);
    a = now_s();
    qsort(copy, N, sizeof *copy, cmp_double);
    best_sort = fmin(best_sort, now_s() - a);

    cq_resample_report rr;
    cq_candles_clear(&out);
    a = now_s();
    if (cq_resample(&c, m1, h1, false, &out, &rr, &e)) return fail("resample 1h", &e);
    best_h = fmin(best_h, now_s() - a);
    cq_candles_clear(&out);
    a = now_s();
    if (cq_resample(&c, m1, d1, false, &out, &rr, &e)) return fail("resample 1d", &e);
    best_d = fmin(best_d, now_s() - a);
  }

  cq_trades t;
  cq_trades_init(&t, 0);
  cq_time x = t0;
  for (size_t i = 0; i < N; i++) {
    x += (int64_t)(next(&r) % (200 * CQ_NS_PER_MS));
    cq_trade tr = {.time = x,
                   .price = CQ_DEC((int64_t)(2000000 + next(&r) % 100000), 2),
                   .qty = CQ_DEC((int64_t)(1 + next(&r) % 1000000), 8)};
    if (cq_trades_push(&t, &tr)) return 1;
  }
  for (int k = 0; k < REPS; k++) {
    cq_candles_clear(&out);
    double a = now_s();
    if (cq_aggregate_trades(&t, m1, x, &out, &e)) return fail("aggregate", &e);
    best_agg = fmin(best_agg, now_s() - a);
  }

  printf(
      "check_candles   %7.1f ms  for %d candles (%.0f ns/row); one qsort of the closes "
      "%.1f ms (ratio %.2f)\n",
      best_check * 1e3, N, best_check * 1e9 / N, best_sort * 1e3, best_check / best_sort);
  printf("resample 1m->1h %7.1f ms  (%.1f ns/row)\n", best_h * 1e3, best_h * 1e9 / N);
  printf("resample 1m->1d %7.1f ms  (%.1f ns/row)\n", best_d * 1e3, best_d * 1e9 / N);
  printf("aggregate 1m    %7.1f ms  for %d trades (%.1f ns/trade)\n", best_agg * 1e3, N,
         best_agg * 1e9 / N);
  free(copy);
  cq_trades_release(&t);
  cq_candles_release(&c);
  cq_candles_release(&out);
  return 0;
}
