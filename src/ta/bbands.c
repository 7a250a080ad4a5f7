/* BBANDS, Bollinger bands: a moving average of any type, and above and below it the
 * population standard deviation over the same period times nbdevup / nbdevdn. As TA-Lib: for
 * the SMA the deviation is taken around the SMA itself (running sum of squares); for other
 * types it is the plain variance (TA_INT_VAR), started where the average starts. A variance
 * below 1e-14 counts as 0. */
#include "ta_internal.h"

static inline double sd_of(double var) {
  return !TA_IS_ZERO_OR_NEG(var) ? sqrt(var) : 0.0;
}

static int bbands_lookback(const double *p) {
  return ta_ma_lookback((int)p[3], (int)p[0]);
}
static int bbands_check(const double *p, cq_error *err) {
  if ((int)p[3] != CQ_TA_MA_MAMA) return CQ_OK;
  cq_error_set(err, CQ_EUNSUPPORTED, "bbands: matype = 7 (MAMA) is not provided; use 0..6 or 8");
  cq_error_field(err, "matype");
  return CQ_EUNSUPPORTED;
}

static int bbands_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  const double *x = in->v[0];
  double *up = out[0], *mid = out[1], *lo = out[2];
  size_t n = in->n;
  int period = (int)p[0], type = (int)p[3];
  double kup = p[1], kdn = p[2], dp = (double)period;
  int rc = ta_ma_batch(type, x, n, period, mid, err);
  if (rc) return rc;
  size_t lb = (size_t)ta_ma_lookback(type, period), start = lb - (size_t)(period - 1);
  ta_nan(up, 0, lb < n ? lb : n);
  ta_nan(lo, 0, lb < n ? lb : n);
  if (n <= lb) return CQ_OK;
  if (type == CQ_TA_MA_SMA) {
    double s2 = 0.0;
    for (size_t i = start; i < lb; i++) s2 += x[i] * x[i];
    for (size_t i = lb; i < n; i++) {
      s2 += x[i] * x[i];
      double m2 = s2 / dp, old = x[i - (size_t)(period - 1)];
      s2 -= old * old;
      m2 -= mid[i] * mid[i];
      double sd = sd_of(m2);
      up[i] = mid[i] + sd * kup;
      lo[i] = mid[i] - sd * kdn;
    }
  } else {
    ta_var_kernel(x + start, n - start, period, up + start);
    for (size_t i = lb; i < n; i++) {
      double sd = sd_of(up[i]);
      up[i] = mid[i] + sd * kup;
      lo[i] = mid[i] - sd * kdn;
    }
  }
  return CQ_OK;
}

typedef struct bbands_st {
  ta_ma ma;
  ta_var_st var; /* other types */
  double *win;   /* SMA: the last period - 1 values */
  double s2, kup, kdn;
  int type, period, pos, count, start;
} bbands_st;

static void bbands_release(void *st) {
  bbands_st *s = st;
  ta_ma_release(&s->ma);
  ta_var_st_release(&s->var);
  free(s->win);
  s->win = NULL;
}

static int bbands_init(void *st, const double *p, cq_error *err) {
  bbands_st *s = st;
  int period = (int)p[0], type = (int)p[3];
  *s = (bbands_st){.kup = p[1], .kdn = p[2], .type = type, .period = period};
  s->start = ta_ma_lookback(type, period) - (period - 1);
  int rc = ta_ma_init(&s->ma, type, period, err);
  if (rc) return rc;
  if (type == CQ_TA_MA_SMA) {
    if (!(s->win = malloc((size_t)(period - 1) * sizeof(double)))) {
      bbands_release(s);
      return cq_error_set(err, CQ_ENOMEM, "bbands: window of %d values: out of memory", period);
    }
  } else if ((rc = ta_var_st_init(&s->var, period, err))) {
    bbands_release(s);
    return rc;
  }
  return CQ_OK;
}

static void bbands_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  bbands_st *s = st;
  double x = in[0], mid = ta_ma_update(&s->ma, x), var;
  if (s->type == CQ_TA_MA_SMA) {
    int lb = s->period - 1;
    s->s2 += x * x;
    if (s->count < lb) {
      s->win[s->count++] = x;
      out[0] = out[1] = out[2] = NAN;
      return;
    }
    double m2 = s->s2 / (double)s->period, old = s->win[s->pos];
    s->win[s->pos] = x;
    if (++s->pos == lb) s->pos = 0;
    s->s2 -= old * old;
    m2 -= mid * mid;
    var = m2;
  } else {
    if (s->count < s->start) {
      s->count++;
      out[0] = out[1] = out[2] = NAN;
      return;
    }
    var = ta_var_st_update(&s->var, x);
  }
  double sd = sd_of(var);
  out[0] = mid + sd * s->kup;
  out[1] = mid;
  out[2] = mid - sd * s->kdn;
}

const cq_ta_def ta_def_bbands = {
    .name = "bbands",
    .title = "Bollinger Bands",
    .group = "overlap",
    .n_inputs = 1,
    .inputs = {CQ_TA_CLOSE},
    .any_series = true,
    .n_params = 4,
    .params = {TA_PERIOD(5),
               {.name = "nbdevup",
                .help = "deviations above the average",
                .def = 2,
                .min = -1e6,
                .max = 1e6},
               {.name = "nbdevdn",
                .help = "deviations below the average",
                .def = 2,
                .min = -1e6,
                .max = 1e6},
               {.name = "matype",
                .help = "0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA, 6 KAMA, 8 T3",
                .def = 0,
                .min = 0,
                .max = 8,
                .integer = true}},
    .n_outputs = 3,
    .outputs = {"upper", "middle", "lower"},
    .check = bbands_check,
    .lookback = bbands_lookback,
    .batch = bbands_batch,
    .state_size = sizeof(bbands_st),
    .init = bbands_init,
    .update = bbands_update,
    .release = bbands_release,
};

int cq_ta_bbands_lookback(int period, double nbdevup, double nbdevdn, int matype) {
  const double p[] = {period, nbdevup, nbdevdn, matype};
  return ta_lookback_or_neg(&ta_def_bbands, p);
}
int cq_ta_bbands(const double *in, size_t n, int period, double nbdevup, double nbdevdn, int matype,
                 double *upper, double *middle, double *lower, cq_error *err) {
  const double p[] = {period, nbdevup, nbdevdn, matype};
  double *out[] = {upper, middle, lower};
  cq_ta_in x = {.v = {in}, .n = n};
  return cq_ta_run(&ta_def_bbands, p, &x, out, err);
}
