/* Moving averages as building blocks (any type by number: SMA and EMA here, the others
 * through ta_ma_kind_*), and the MA indicator. */
#include <string.h>

#include "ta_internal.h"

/* --- SMA ------------------------------------------------------------------------------ */

/* The arithmetic is explained at ta_sma_st_update (ta_internal.h). */
void ta_sma_kernel(const double *in, size_t n, int period, double *out) {
  size_t lb = (size_t)period - 1;
  double t = 0.0;
  size_t i = 0;
  for (; i < lb && i < n; i++) {
    t += in[i];
    out[i] = NAN;
  }
  const double inv = ta_sma_inv(period);
  for (; i + 1 < n; i += 2) {
    const double a = in[i], b = in[i + 1];
    const double da = a - in[i - lb], db = b - in[i + 1 - lb];
    out[i] = (t + a) * inv;
    out[i + 1] = ((t + da) + b) * inv;
    t = t + (da + db);
  }
  if (i < n) out[i] = (t + in[i]) * inv;
}

int ta_sma_st_init(ta_sma_st *s, int period, cq_error *err) {
  *s = (ta_sma_st){.period = period};
  if (period > 1 && !(s->win = malloc((size_t)(period - 1) * sizeof(double))))
    return cq_error_set(err, CQ_ENOMEM, "sma: window of %d values: out of memory", period);
  return CQ_OK;
}

void ta_sma_st_release(ta_sma_st *s) {
  free(s->win);
  s->win = NULL;
}

/* --- EMA ------------------------------------------------------------------------------ */

void ta_ema_kernel(const double *in, size_t n, int period, double k, double *out) {
  size_t lb = (size_t)period - 1;
  double seed = 0.0;
  size_t i = 0;
  for (; i < lb && i < n; i++) {
    seed += in[i];
    out[i] = NAN;
  }
  if (i >= n) return;
  seed += in[i];
  double c = seed / period;
  out[i++] = c;
  const ta_ema_f f = ta_ema_factors(k);
  for (; i + 1 < n; i += 2) {
    const double a = in[i], b = in[i + 1];
    out[i] = c * f.keep + a * f.k;
    c = c * f.keep2 + (a * f.kk + b * f.k);
    out[i + 1] = c;
  }
  if (i < n) out[i] = c * f.keep + in[i] * f.k;
}

int ta_ema_st_init(ta_ema_st *s, int period, double k) {
  *s = (ta_ema_st){.k = k, .period = period};
  return CQ_OK;
}

/* --- ta_ma_fast ----------------------------------------------------------------------- */

int ta_ma_fast_init(ta_ma_fast *m, int type, int period, cq_error *err) {
  *m = (ta_ma_fast){.kind = TA_MAF_OTHER};
  if (ta_ma_lookback(type, period) >= 0) {
    if (period == 1) {
      m->kind = TA_MAF_COPY;
      return CQ_OK;
    }
    if (type == CQ_TA_MA_SMA) {
      m->kind = TA_MAF_SMA;
      return ta_sma_st_init(&m->u.sma, period, err);
    }
    if (type == CQ_TA_MA_EMA) {
      m->kind = TA_MAF_EMA;
      return ta_ema_st_init(&m->u.ema, period, ta_ema_k(period));
    }
  }
  return ta_ma_init(&m->u.any, type, period, err); /* and its errors */
}

void ta_ma_fast_release(ta_ma_fast *m) {
  if (m->kind == TA_MAF_SMA) ta_sma_st_release(&m->u.sma);
  if (m->kind == TA_MAF_OTHER) ta_ma_release(&m->u.any);
}

/* --- any type ------------------------------------------------------------------------- */

static double sma_upd(void *st, double x) {
  return ta_sma_st_update(st, x);
}
static void sma_rel(void *st) {
  ta_sma_st_release(st);
}
static double ema_upd(void *st, double x) {
  return ta_ema_st_update(st, x);
}
static double copy_upd(void *st, double x) {
  (void)st;
  return x;
}

int ta_ma_lookback(int type, int period) {
  if (period < 1 || period > 100000) return -1;
  if (period == 1) return type >= 0 && type <= CQ_TA_MA_T3 && type != CQ_TA_MA_MAMA ? 0 : -1;
  switch (type) {
    case CQ_TA_MA_SMA:
    case CQ_TA_MA_EMA:
      return period - 1;
    default:
      return ta_ma_kind_lookback(type, period);
  }
}

static int bad_type(int type, cq_error *err) {
  if (type == CQ_TA_MA_MAMA)
    return cq_error_set(err, CQ_EUNSUPPORTED, "matype = 7 (MAMA) is not provided; use 0..6 or 8");
  return cq_error_set(err, CQ_EINVAL,
                      "matype = %d is out of range; valid: 0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA,"
                      " 5 TRIMA, 6 KAMA, 8 T3",
                      type);
}

int ta_ma_batch(int type, const double *in, size_t n, int period, double *out, cq_error *err) {
  if (ta_ma_lookback(type, period) < 0) {
    if (period < 1 || period > 100000)
      return cq_error_set(err, CQ_EINVAL, "period = %d is out of range; valid: 1..100000", period);
    return bad_type(type, err);
  }
  if (period == 1) {
    if (out != in) memmove(out, in, n * sizeof(double));
    return CQ_OK;
  }
  switch (type) {
    case CQ_TA_MA_SMA:
      ta_sma_kernel(in, n, period, out);
      return CQ_OK;
    case CQ_TA_MA_EMA:
      ta_ema_kernel(in, n, period, ta_ema_k(period), out);
      return CQ_OK;
    default:
      return ta_ma_kind_batch(type, in, n, period, out, err);
  }
}

int ta_ma_init(ta_ma *m, int type, int period, cq_error *err) {
  *m = (ta_ma){0};
  if (ta_ma_lookback(type, period) < 0) {
    if (period < 1 || period > 100000)
      return cq_error_set(err, CQ_EINVAL, "period = %d is out of range; valid: 1..100000", period);
    return bad_type(type, err);
  }
  if (period == 1) {
    m->update = copy_upd;
    return CQ_OK;
  }
  int rc;
  switch (type) {
    case CQ_TA_MA_SMA: {
      ta_sma_st *s = malloc(sizeof *s);
      if (!s) return cq_error_set(err, CQ_ENOMEM, "sma: out of memory");
      if ((rc = ta_sma_st_init(s, period, err))) {
        free(s);
        return rc;
      }
      *m = (ta_ma){.update = sma_upd, .release = sma_rel, .st = s};
      return CQ_OK;
    }
    case CQ_TA_MA_EMA: {
      ta_ema_st *s = malloc(sizeof *s);
      if (!s) return cq_error_set(err, CQ_ENOMEM, "ema: out of memory");
      ta_ema_st_init(s, period, ta_ema_k(period));
      *m = (ta_ma){.update = ema_upd, .st = s};
      return CQ_OK;
    }
    default:
      return ta_ma_kind_init(m, type, period, err);
  }
}

void ta_ma_release(ta_ma *m) {
  if (m->release) m->release(m->st);
  free(m->st);
  *m = (ta_ma){0};
}

static int ma_lookback(const double *p) {
  return ta_ma_lookback((int)p[1], (int)p[0]);
}
static int ma_check(const double *p, cq_error *err) {
  return (int)p[1] == CQ_TA_MA_MAMA ? bad_type(CQ_TA_MA_MAMA, err) : CQ_OK;
}
static int ma_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  return ta_ma_batch((int)p[1], in->v[0], in->n, (int)p[0], out[0], err);
}
static int ma_init(void *st, const double *p, cq_error *err) {
  return ta_ma_init(st, (int)p[1], (int)p[0], err);
}
static void ma_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = ta_ma_update(st, in[0]);
}
static void ma_release(void *st) {
  ta_ma_release(st);
}

const cq_ta_def ta_def_ma = {
    .name = "ma",
    .title = "Moving Average of any type",
    .group = "overlap",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 2,
    .params = {{.name = "period",
                .help = "bars in the window",
                .def = 30,
                .min = 1,
                .max = 100000,
                .integer = true},
               {.name = "matype",
                .help = "0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA, 6 KAMA, 8 T3",
                .def = 0,
                .min = 0,
                .max = 8,
                .integer = true}},
    .n_outputs = 1,
    .outputs = {"value"},
    .check = ma_check,
    .lookback = ma_lookback,
    .batch = ma_batch,
    .state_size = sizeof(ta_ma),
    .init = ma_init,
    .update = ma_update,
    .release = ma_release,
};

int cq_ta_ma_lookback(int period, int matype) {
  const double p[] = {period, matype};
  return ta_lookback_or_neg(&ta_def_ma, p);
}
int cq_ta_ma(const double *in, size_t n, int period, int matype, double *out, cq_error *err) {
  const double p[] = {period, matype};
  return ta_call1(&ta_def_ma, p, in, n, out, err);
}
