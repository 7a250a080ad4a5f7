/* Rolling highest-high / lowest-low windows (ta_hilo), shared by Donchian and Ichimoku. */
#include "ta_internal.h"

int ta_hilo_init(ta_hilo *m, int period, cq_error *err) {
  *m = (ta_hilo){.period = period, .last_nan = INT64_MIN / 2};
  m->vhi = malloc((size_t)period * sizeof(double));
  m->vlo = malloc((size_t)period * sizeof(double));
  m->qhi = malloc((size_t)period * sizeof(int64_t));
  m->qlo = malloc((size_t)period * sizeof(int64_t));
  if (!m->vhi || !m->vlo || !m->qhi || !m->qlo) {
    ta_hilo_release(m);
    return cq_error_set(err, CQ_ENOMEM, "window of %d bars: out of memory", period);
  }
  return CQ_OK;
}

void ta_hilo_release(ta_hilo *m) {
  free(m->vhi);
  free(m->vlo);
  free(m->qhi);
  free(m->qlo);
  m->vhi = m->vlo = NULL;
  m->qhi = m->qlo = NULL;
}
