#ifndef CQUANT_STORE_INTERNAL_H
#define CQUANT_STORE_INTERNAL_H

#include "cquant/store.h"

/* Rows [first, first + n) exist and open on the series' grid. */
int cq__store_check_aligned(const cq_series_key *key, const cq_candles *c, size_t first, size_t n,
                            cq_error *err);

/* Missing bars and runs of them in sorted, distinct open times. */
void cq__store_count_gaps(cq_timeframe tf, const cq_time *t, size_t n, uint64_t *missing,
                          uint64_t *gaps);

#endif
