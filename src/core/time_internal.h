#ifndef CQUANT_CORE_TIME_INTERNAL_H
#define CQUANT_CORE_TIME_INTERNAL_H

#include <stdint.h>

/* Floor division for b > 0 (rounds towards minus infinity). */
int64_t cq__floordiv(int64_t a, int64_t b);

#endif
