/* xoshiro256** seeded by splitmix64 (Blackman & Vigna). */
#include "cquant/core/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

void cq_rng_seed(cq_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

uint64_t cq_rng_derive(uint64_t seed, uint64_t k) {
  uint64_t x = seed ^ (k * UINT64_C(0xD1B54A32D192ED03));
  splitmix64(&x);
  return splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

uint64_t cq_rng_next(cq_rng *r) {
  uint64_t *s = r->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

double cq_rng_uniform(cq_rng *r) {
  return (double)(cq_rng_next(r) >> 11) * 0x1.0p-53;
}

double cq_rng_open01(cq_rng *r) {
  return ((double)(cq_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

/* The second variate of each accepted pair is dropped: one draw, one value, so a stream's
 * use is easy to follow. */
double cq_rng_normal(cq_rng *r) {
  for (;;) {
    double u = 2.0 * cq_rng_open01(r) - 1.0, v = 2.0 * cq_rng_open01(r) - 1.0;
    double q = u * u + v * v;
    if (q > 0.0 && q < 1.0) return u * sqrt(-2.0 * log(q) / q);
  }
}

/* Lemire's multiply-shift with rejection: no modulo bias. */
uint64_t cq_rng_below(cq_rng *r, uint64_t n) {
  for (;;) {
    unsigned __int128 m = (unsigned __int128)cq_rng_next(r) * n;
    uint64_t lo = (uint64_t)m;
    if (lo >= n || lo >= (uint64_t)(-n) % n) return (uint64_t)(m >> 64);
  }
}
