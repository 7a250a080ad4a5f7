/* What every benchmark shares: a seeded generator (splitmix64) and a monotonic clock.
 * Header-only; each benchmark is its own executable. */
#ifndef CQ_BENCH_UTIL_H
#define CQ_BENCH_UTIL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* A whole command-line number; false for anything else (empty, trailing text, out of
 * range). */
static inline bool arg_long(const char *s, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end != '\0' || v == LONG_MAX || v == LONG_MIN) return false;
  *out = v;
  return true;
}

static inline bool arg_double(const char *s, double *out) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end != '\0') return false;
  *out = v;
  return true;
}

/* The first number of a small text file (/proc/loadavg), or 0. */
static inline double file_number(const char *path, int field) {
  char buf[256];
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *p = buf;
  for (int i = 0; i < field; i++) { /* skip field numbers */
    while (*p && *p != ' ') p++;
    while (*p == ' ') p++;
  }
  return strtod(p, NULL);
}

#endif
