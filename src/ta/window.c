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

/* --- ta_extrema ----------------------------------------------------------------------- */

int ta_extrema_init(ta_extrema *m, int period, cq_error *err) {
  *m = (ta_extrema){.period = period, .nan_at = -1};
  double *v = malloc((size_t)(4 * period + 2) * sizeof(double));
  if (!v) return cq_error_set(err, CQ_ENOMEM, "window of %d bars: out of memory", period);
  m->b = v;
  m->s = v + 2 * (size_t)period;
  /* the first block has no previous one: the window is its head alone */
  for (int k = 0; k <= period; k++) {
    m->s[2 * (size_t)k] = -INFINITY;
    m->s[2 * (size_t)k + 1] = INFINITY;
  }
  return CQ_OK;
}

void ta_extrema_release(ta_extrema *m) {
  free(m->b);
  m->b = m->s = NULL;
}

void ta_extrema_block(ta_extrema *m) {
  const double *b = m->b;
  double *s = m->s;
  double hi = b[2 * (size_t)m->period - 2], lo = b[2 * (size_t)m->period - 1];
  s[2 * (size_t)m->period - 2] = hi;
  s[2 * (size_t)m->period - 1] = lo;
  for (int k = m->period - 2; k >= 0; k--) {
    const double x = b[2 * (size_t)k], y = b[2 * (size_t)k + 1];
    hi = x > hi ? x : hi;
    lo = y < lo ? y : lo;
    s[2 * (size_t)k] = hi;
    s[2 * (size_t)k + 1] = lo;
  }
}

void ta_extrema_run(ta_extrema *m, const double *high, const double *low, size_t n, double *hh,
                    double *ll) {
  /* ta_extrema_push with the state in locals, a block at a time */
  const int p = m->period;
  const double *s = m->s;
  double *b = m->b;
  double hi = m->hi, lo = m->lo;
  int64_t t = m->bar, nan_at = m->nan_at;
  int j = m->j;
  size_t i = 0;
  while (i < n) {
    if (j == 0) {
      if (t >= p) ta_extrema_block(m);
      hi = high[i];
      lo = low[i];
    }
    size_t end = i + (size_t)(p - j);
    if (end > n) end = n;
    for (; i < end; i++, j++, t++) {
      const double x = high[i], y = low[i];
      hi = x > hi ? x : hi;
      lo = y < lo ? y : lo;
      b[2 * (size_t)j] = x;
      b[2 * (size_t)j + 1] = y;
      const double sh = s[2 * (size_t)j + 2], sl = s[2 * (size_t)j + 3];
      const double h = sh > hi ? sh : hi, l = sl < lo ? sl : lo;
      if (isunordered(x, y)) nan_at = t;
      if (t - nan_at < p) {
        hh[i] = ll[i] = NAN;
      } else {
        hh[i] = h;
        ll[i] = l;
      }
    }
    if (j == p) j = 0;
  }
  m->hi = hi;
  m->lo = lo;
  m->bar = t;
  m->nan_at = nan_at;
  m->j = j;
}
