/* Percentile bootstrap with circular blocks (Politis & Romano, 1992). Each resample has its
 * own generator, seeded from (seed, k), so the interval does not depend on the order in which
 * resamples are drawn. */
#include <math.h>
#include <stdlib.h>

#include "stats_internal.h"

enum { BOOT_MIN_VALUES = 10, BOOT_MAX_RESAMPLES = 10000000 };

static int check_args(const double *x, size_t n, cq_stat_fn f, int resamples, double level,
                      cq_error *err) {
  if (!x || !f) return cq_error_set(err, CQ_EINVAL, "bootstrap: no data or no statistic");
  if (resamples < 1 || resamples > BOOT_MAX_RESAMPLES)
    return cq_error_set(err, CQ_EINVAL, "bootstrap: resamples must be 1..%d (got %d)",
                        BOOT_MAX_RESAMPLES, resamples);
  if (!(level > 0.0 && level < 1.0))
    return cq_error_set(err, CQ_EINVAL, "bootstrap: level must be in (0, 1) (got %g)", level);
  for (size_t i = 0; i < n; i++)
    if (isnan(x[i]))
      return cq_error_set(err, CQ_EINVAL, "bootstrap: x[%zu] is NaN; drop missing values first", i);
  return CQ_OK;
}

/* n values in blocks of block_len consecutive values from random starts, wrapping round. */
static void resample(const double *x, size_t n, size_t block_len, uint64_t seed, double *out) {
  cq_rng rng;
  cq_rng_seed(&rng, seed);
  for (size_t filled = 0; filled < n;) {
    size_t start = (size_t)cq_rng_below(&rng, n);
    for (size_t j = 0; j < block_len && filled < n; j++) out[filled++] = x[(start + j) % n];
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Hyndman & Fan type 7: h = (m - 1) p, linear between the order statistics around h. */
static double quantile7(const double *sorted, size_t m, double p) {
  double h = (double)(m - 1) * p, fl = floor(h);
  size_t j = (size_t)fl;
  double lo = sorted[j], frac = h - fl;
  if (j + 1 >= m || frac == 0.0) return lo;
  double hi = sorted[j + 1];
  if (lo == hi) return lo;
  if (isfinite(lo) && isfinite(hi)) return lo + frac * (hi - lo);
  return (1.0 - frac) * lo + frac * hi; /* an infinite end stays infinite */
}

/* The resampled statistics, NaN left out; returns how many were kept. */
static size_t draw_stats(const double *x, size_t n, cq_stat_fn f, void *user, int resamples,
                         size_t block_len, uint64_t seed, double *buf, double *stats) {
  size_t kept = 0;
  for (int k = 0; k < resamples; k++) {
    resample(x, n, block_len, cq_rng_derive(seed, (uint64_t)k), buf);
    double v = f(buf, n, user);
    if (!isnan(v)) stats[kept++] = v;
  }
  return kept;
}

static int interval(const double *x, size_t n, cq_stat_fn f, void *user, int resamples,
                    size_t block_len, uint64_t seed, cq_interval *out, cq_error *err) {
  double *buf = malloc(n * sizeof *buf);
  double *stats = malloc((size_t)resamples * sizeof *stats);
  if (!buf || !stats) {
    free(buf);
    free(stats);
    return cq_error_set(err, CQ_ENOMEM, "bootstrap: out of memory for %d resamples of %zu values",
                        resamples, n);
  }
  size_t kept = draw_stats(x, n, f, user, resamples, block_len, seed, buf, stats);
  out->resamples = (int64_t)kept;
  if (kept == 0) {
    out->point = cq__stat_fail("the statistic is NaN on every resample");
  } else {
    qsort(stats, kept, sizeof *stats, cmp_double);
    out->lo = quantile7(stats, kept, (1.0 - out->level) / 2.0);
    out->hi = quantile7(stats, kept, (1.0 + out->level) / 2.0);
  }
  free(buf);
  free(stats);
  return CQ_OK;
}

int cq_bootstrap(const double *x, size_t n, cq_stat_fn f, void *user, int resamples,
                 size_t block_len, double level, uint64_t seed, cq_interval *out, cq_error *err) {
  if (!out) return cq_error_set(err, CQ_EINVAL, "bootstrap: no result to fill");
  *out = (cq_interval){.lo = NAN, .hi = NAN, .level = level, .resamples = 0};
  out->point = cq__stat_fail("not computed");
  int rc = check_args(x, n, f, resamples, level, err);
  if (rc) return rc;
  if (n < BOOT_MIN_VALUES) {
    out->point = cq__stat_fail("needs at least %d values (got %zu)", BOOT_MIN_VALUES, n);
    return CQ_OK;
  }
  if (block_len < 1 || block_len > n)
    return cq_error_set(err, CQ_EINVAL, "bootstrap: block length must be 1..%zu (got %zu)", n,
                        block_len);
  double point = f(x, n, user);
  if (!isfinite(point)) {
    out->point = cq__stat_fail("the statistic is not finite on the data (%g)", point);
    return CQ_OK;
  }
  out->point = cq__stat_value(point);
  return interval(x, n, f, user, resamples, block_len, seed, out, err);
}
