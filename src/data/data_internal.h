/* Helpers shared by the files of the data module. */
#ifndef CQUANT_DATA_INTERNAL_H
#define CQUANT_DATA_INTERNAL_H

#include <math.h>

#include "cquant/data.h"

/* 0 when tf is a timeframe the core functions accept (1..CQ_TF_MAX_N units, 1..12
 * months); CQ_EINVAL naming `what` otherwise. */
static inline int cq__tf_check(cq_timeframe tf, const char *what, cq_error *err) {
  if ((unsigned)tf.unit > (unsigned)CQ_TF_MONTH || tf.n == 0 || tf.n > CQ_TF_MAX_N ||
      (tf.unit == CQ_TF_MONTH && tf.n > 12))
    return cq_error_set(err, CQ_EINVAL, "%s timeframe is out of range (n %u, unit %d)", what, tf.n,
                        (int)tf.unit);
  return CQ_OK;
}

/* Neumaier's compensated sum: s + c holds the running sum with about twice the precision of
 * a double, so the result is within about one rounding of the exact sum of the terms. */
typedef struct cq__ksum {
  double s, c;
} cq__ksum;

static inline void cq__ksum_add(cq__ksum *k, double x) {
  double t = k->s + x;
  if ((k->s < 0 ? -k->s : k->s) >= (x < 0 ? -x : x))
    k->c += (k->s - t) + x;
  else
    k->c += (x - t) + k->s;
  k->s = t;
}

/* An infinite or NaN term leaves the compensation NaN; the plain sum then says it all. */
static inline double cq__ksum_value(const cq__ksum *k) {
  return isfinite(k->s) ? k->s + k->c : k->s;
}

#endif
