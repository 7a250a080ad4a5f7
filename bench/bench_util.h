/* What every benchmark shares: a seeded generator (splitmix64) and a monotonic clock.
 * Header-only; each benchmark is its own executable. */
#ifndef CQ_BENCH_UTIL_H
#define CQ_BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

typedef struct rng {
  uint64_t s;
} rng;

static inline uint64_t next(rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double unit(rng *r) {
  return (double)(next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n), n > 0 (modulo bias is irrelevant here). */
static inline uint64_t below(rng *r, uint64_t n) {
  return next(r) % n;
}

/* Seconds on the monotonic clock. */
static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
