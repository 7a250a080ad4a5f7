/* The result type every statistic shares. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "stats_internal.h"

cq_stat cq__stat_value(double v) {
  cq_stat s = {.ok = true, .value = v, .why = ""};
  return s;
}

cq_stat cq__stat_fail(const char *fmt, ...) {
  cq_stat s = {.ok = false, .value = NAN, .why = ""};
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s.why, sizeof s.why, fmt, ap);
  va_end(ap);
  return s;
}
