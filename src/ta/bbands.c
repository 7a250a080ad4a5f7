/* BBANDS, Bollinger bands: a moving average of any type, and above and below it the
 * population standard deviation over the same period times nbdevup / nbdevdn. As TA-Lib: for
 * the SMA the deviation is taken around the SMA itself (running sum of squares); for other
 * types it is the plain variance (TA_INT_VAR), started where the average starts. A variance
 * below 1e-14 counts as 0.
 *
 * The SMA path: TA-Lib keeps a running sum of squares s2 (add the new square, divide by period,
 * subtract the oldest square: two operations a bar on the loop-carried chain). We carry the sum
 * of squares exactly as the SMA carries its sum (ta_sma_st_update): two bars at a time, one
 * addition per pair on the chain, with t2 the sum of the last period - 1 squares and
 * q(x) = x * x - (the square leaving the window),
 *   m2(a) = (t2 + a * a) * inv,  m2(b) = ((t2 + q(a)) + b * b) * inv
 *   t2    = t2 + (q(a) + q(b))
 * with inv = 1 / period (a multiplication instead of a division); var = m2 - mid * mid. Batch
 * runs in blocks: the chains for a block of bars (the middle band and m2, kept in the upper
 * band's array), then the square roots and bands over the block, a loop without a carried
 * dependency that the compiler vectorises. bb_sma_step (streaming) does the same operations on
 * the same pairs, so streaming equals batch bit for bit, and the middle band is the SMA's. */
#include "ta_internal.h"

static inline double sd_of(double var) {
  return !TA_IS_ZERO_OR_NEG(var) ? sqrt(var) : 0.0;
}

/* The bands from the middle band, m2 (the mean of the squares) and the factors. */
static inline void bb_bands(double mid, double m2, double kup, double kdn, double *up, double *lo) {
  const double sd = sd_of(m2 - mid * mid);
  *up = mid + sd * kup;
  *lo = mid - sd * kdn;
}

/* The bands of a block: m2 in up on entry. A loop without a carried dependency; its speed is
 * the square roots', so on x86-64 it also comes in an AVX version picked at load time (4 square
 * roots an instruction instead of 2). Square roots, products and sums are correctly rounded in
 * either version (no fused multiply-add: AVX, not FMA), so the values are the same bits as the
 * scalar streaming step's. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__)
__attribute__((target_clones("avx", "default")))
#endif
static void bb_bands_block(const double *mid, double *up, double *lo, size_t n, double kup,
                           double kdn) {
  for (size_t j = 0; j < n; j++) bb_bands(mid[j], up[j], kup, kdn, &up[j], &lo[j]);
}

enum { BB_BLOCK = 256 }; /* bars a block (even: pairs never straddle blocks) */

/* The SMA path over x[0..n) (n > period - 1), outputs from bar period - 1 on. */
static void bb_sma_kernel(const double *x, size_t n, int period, double kup, double kdn,
                          double *up, double *mid, double *lo) {
  const size_t lb = (size_t)period - 1;
  const double inv = ta_sma_inv(period);
  double t = 0.0, t2 = 0.0;
  for (size_t i = 0; i < lb; i++) {
    t += x[i];
    t2 += x[i] * x[i];
  }
  for (size_t i0 = lb; i0 < n; i0 += BB_BLOCK) {
    const size_t i1 = n - i0 > BB_BLOCK ? i0 + BB_BLOCK : n;
    size_t i = i0;
    for (; i + 1 < i1; i += 2) {
      const double a = x[i], b = x[i + 1], oa = x[i - lb], ob = x[i + 1 - lb];
      const double da = a - oa, db = b - ob;
      const double qa = a * a - oa * oa, qb = b * b - ob * ob;
      mid[i] = (t + a) * inv;
      mid[i + 1] = ((t + da) + b) * inv;
      t = t + (da + db);
      up[i] = (t2 + a * a) * inv;
      up[i + 1] = ((t2 + qa) + b * b) * inv;
      t2 = t2 + (qa + qb);
    }
    if (i < i1) { /* the last bar, alone */
      mid[i] = (t + x[i]) * inv;
      up[i] = (t2 + x[i] * x[i]) * inv;
    }
    bb_bands_block(mid + i0, up + i0, lo + i0, i1 - i0, kup, kdn);
  }
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
  double kup = p[1], kdn = p[2];
  size_t lb = (size_t)ta_ma_lookback(type, period), start = lb - (size_t)(period - 1);
  ta_nan(up, 0, lb < n ? lb : n);
  ta_nan(lo, 0, lb < n ? lb : n);
  if (type == CQ_TA_MA_SMA) {
    ta_nan(mid, 0, lb < n ? lb : n);
    if (n > lb) bb_sma_kernel(x, n, period, kup, kdn, up, mid, lo);
    return CQ_OK;
  }
  int rc = ta_ma_batch(type, x, n, period, mid, err);
  if (rc) return rc;
  if (n <= lb) return CQ_OK;
  ta_var_kernel(x + start, n - start, period, up + start);
  for (size_t i = lb; i < n; i++) {
    double sd = sd_of(up[i]);
    up[i] = mid[i] + sd * kup;
    lo[i] = mid[i] - sd * kdn;
  }
  return CQ_OK;
}

/* SMA: the SMA's state (its window also gives the square leaving), t2 and the first bar's
 * q while a pair is open; other types: any moving average and the variance. */
typedef struct bbands_st {
  ta_sma_st sma;
  ta_ma ma;
  ta_var_st var;
  double t2, q_a, kup, kdn, inv; /* inv = 1 / period */
  int type, period, count, start;
} bbands_st;

static void bbands_release(void *st) {
  bbands_st *s = st;
  ta_sma_st_release(&s->sma);
  ta_ma_release(&s->ma);
  ta_var_st_release(&s->var);
}

static int bbands_init(void *st, const double *p, cq_error *err) {
  bbands_st *s = st;
  int period = (int)p[0], type = (int)p[3];
  *s = (bbands_st){
      .kup = p[1], .kdn = p[2], .inv = ta_sma_inv(period), .type = type, .period = period};
  s->start = ta_ma_lookback(type, period) - (period - 1);
  int rc;
  if (type == CQ_TA_MA_SMA) {
    rc = ta_sma_st_init(&s->sma, period, err);
  } else if (!(rc = ta_ma_init(&s->ma, type, period, err))) {
    rc = ta_var_st_init(&s->var, period, err);
  }
  if (rc) bbands_release(s);
  return rc;
}

/* The SMA path's step (bb_sma_kernel's operations): the SMA, then m2 on the same pairs. */
static inline void bb_sma_step(bbands_st *s, double x, double *out) {
  ta_sma_st *m = &s->sma;
  const int lb = s->period - 1; /* >= 1 */
  if (m->count < lb) {
    s->t2 += x * x;
    ta_sma_st_update(m, x);
    out[0] = out[1] = out[2] = NAN;
    return;
  }
  const double old = m->win[m->pos]; /* the value leaving the window */
  const bool second = m->odd;        /* x closes a pair */
  const double mid = ta_sma_st_update(m, x);
  const double q = x * x - old * old, inv = s->inv;
  double m2;
  if (!second) {
    m2 = (s->t2 + x * x) * inv;
    s->q_a = q;
  } else {
    m2 = ((s->t2 + s->q_a) + x * x) * inv;
    s->t2 = s->t2 + (s->q_a + q);
  }
  bb_bands(mid, m2, s->kup, s->kdn, &out[0], &out[2]);
  out[1] = mid;
}

static void bbands_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  bbands_st *s = st;
  const double x = in[0];
  if (s->type == CQ_TA_MA_SMA) {
    bb_sma_step(s, x, out);
    return;
  }
  const double mid = ta_ma_update(&s->ma, x);
  if (s->count < s->start) {
    s->count++;
    out[0] = out[1] = out[2] = NAN;
    return;
  }
  const double sd = sd_of(ta_var_st_update(&s->var, x));
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
