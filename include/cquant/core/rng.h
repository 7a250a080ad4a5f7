/* A seeded pseudo-random generator: xoshiro256** seeded by splitmix64. The same seed gives
 * the same stream on every platform; draws use only integer arithmetic and + - * / sqrt log,
 * which IEEE 754 and the C library give exactly. One per user: no hidden shared state. */
#ifndef CQUANT_CORE_RNG_H
#define CQUANT_CORE_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cq_rng {
  uint64_t s[4];
} cq_rng;

void cq_rng_seed(cq_rng *r, uint64_t seed);
/* A seed for stream `k` of a master seed (trial k of a study, resample k of a bootstrap):
 * independent streams that do not depend on the order they are drawn in. */
uint64_t cq_rng_derive(uint64_t seed, uint64_t k);
uint64_t cq_rng_next(cq_rng *r);
double cq_rng_uniform(cq_rng *r);             /* [0, 1) */
double cq_rng_open01(cq_rng *r);              /* (0, 1): never 0, so log() is finite */
double cq_rng_normal(cq_rng *r);              /* standard normal (Marsaglia's polar method) */
uint64_t cq_rng_below(cq_rng *r, uint64_t n); /* [0, n), unbiased; n > 0 */

#ifdef __cplusplus
}
#endif
#endif
