/* Shared inside src/optimize. */
#ifndef CQ_OPT_INTERNAL_H
#define CQ_OPT_INTERNAL_H

#include "cquant/core/rng.h"
#include "cquant/optimize.h"

/* Point `index` of the grid (last dimension fastest) into x[n_dims]. */
void cq__opt_grid_point(const cq_opt_space *s, int64_t index, double *x);
/* A point drawn uniformly from the space (no constraints). */
void cq__opt_sample_uniform(const cq_opt_space *s, cq_rng *r, double *x);

/* The sampler of a running study: grid points (feasible, in order) prepared once. */
typedef struct cq__sampler {
  int64_t *grid; /* feasible grid indices */
  int64_t n_grid;
} cq__sampler;

CQ_NODISCARD int cq__sampler_init(cq__sampler *sm, const cq_opt_study *st, cq_error *err);
void cq__sampler_release(cq__sampler *sm);
/* Trial `number`'s point, from the trials before `history` (those of earlier batches).
 * false: nothing left (grid exhausted). */
CQ_NODISCARD int cq__sampler_propose(const cq__sampler *sm, const cq_opt_study *st, size_t history,
                                     int64_t number, double *x, bool *done, cq_error *err);

/* The objective oriented so that larger is better; -inf for anything not complete or NaN. */
double cq__opt_score(const cq_opt_study *st, const cq_opt_trial *t);

/* A statistic in a document: {"ok", "value" (null unless ok), "why" (null when ok)}, and an
 * interval: {"point", "lo", "hi", "level", "resamples"}; never a bare NaN. */
struct cq_jw;
void cq__opt_put_stat(struct cq_jw *w, const char *key, const cq_stat *s);
void cq__opt_put_interval(struct cq_jw *w, const char *key, const cq_interval *iv);

/* Worker threads: `asked` when > 0, else every online core (at most 256). */
int cq__threads(int asked);

/* Runs fn(i, user, err) once for each i in [0, n) on up to `threads` threads, the calling
 * thread included. On failure, the error of the smallest failing i (whichever thread met
 * it first), its index in *failed_at; items not started yet are skipped. */
typedef int (*cq__task_fn)(size_t i, void *user, cq_error *err);
CQ_NODISCARD int cq__parallel_for(size_t n, int threads, cq__task_fn fn, void *user,
                                  size_t *failed_at, cq_error *err);

#endif
