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
  double *v = malloc(((size_t)period * 4 + 2) * sizeof(double));
  if (!v) return cq_error_set(err, CQ_ENOMEM, "window of %d bars: out of memory", period);
  m->bh = v;
  m->bl = m->bh + period;
  m->sh = m->bl + period;
  m->sl = m->sh + period + 1;
  /* the first block has no previous one: the window is its head alone */
  for (int k = 0; k <= period; k++) {
    m->sh[k] = -INFINITY;
    m->sl[k] = INFINITY;
  }
  return CQ_OK;
}

void ta_extrema_release(ta_extrema *m) {
  free(m->bh);
  m->bh = m->bl = m->sh = m->sl = NULL;
}

void ta_extrema_block(ta_extrema *m) {
  const int p = m->period;
  double a = m->bh[p - 1], b = m->bl[p - 1];
  m->sh[p - 1] = a;
  m->sl[p - 1] = b;
  for (int k = p - 2; k >= 0; k--) {
    const double x = m->bh[k], y = m->bl[k];
    a = x > a ? x : a;
    b = y < b ? y : b;
    m->sh[k] = a;
    m->sl[k] = b;
  }
}

void ta_extrema_run(ta_extrema *m, const double *high, const double *low, size_t n, double *hh,
                    double *ll) {
  /* ta_extrema_push with the state in locals, a block at a time */
  const int p = m->period;
  const double *sh = m->sh, *sl = m->sl;
  double *bh = m->bh, *bl = m->bl;
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
      bh[j] = x;
      bl[j] = y;
      const double a = sh[j + 1], b = sl[j + 1];
      const double h = a > hi ? a : hi, l = b < lo ? b : lo;
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
