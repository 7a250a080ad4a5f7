/* Rolling highest / lowest windows (ta_minmax), shared by Donchian and Ichimoku. */
#include "ta_internal.h"

int ta_minmax_init(ta_minmax *m, int period, cq_error *err) {
  *m = (ta_minmax){.period = period, .last_nan = INT64_MIN / 2};
  m->val = malloc((size_t)period * sizeof(double));
  m->qhi = malloc((size_t)period * sizeof(int64_t));
  m->qlo = malloc((size_t)period * sizeof(int64_t));
  if (!m->val || !m->qhi || !m->qlo) {
    ta_minmax_release(m);
    return cq_error_set(err, CQ_ENOMEM, "window of %d values: out of memory", period);
  }
  return CQ_OK;
}

void ta_minmax_release(ta_minmax *m) {
  free(m->val);
  free(m->qhi);
  free(m->qlo);
  m->val = NULL;
  m->qhi = m->qlo = NULL;
}
