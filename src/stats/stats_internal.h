/* Shared by the files of src/stats. */
#ifndef CQUANT_STATS_INTERNAL_H
#define CQUANT_STATS_INTERNAL_H

#include "cquant/stats.h"

/* An ok statistic with value v. */
cq_stat cq__stat_value(double v);
/* A statistic that could not be computed: ok false, value NaN, why formatted. */
cq_stat cq__stat_fail(const char *fmt, ...) CQ_PRINTF(1, 2);

#endif
