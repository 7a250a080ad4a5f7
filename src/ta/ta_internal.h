/* What the indicator files share: group tables, parameter checks, in-place safety,
 * windows, and moving averages of any type as building blocks.
 *
 * Writing an indicator (docs/indicators.md has the walk-through):
 *   - a batch kernel over arrays, written so that the streaming update does the same
 *     floating-point operations in the same order: streaming must equal batch bit for bit;
 *   - the typed public functions (cq_ta_<name>, cq_ta_<name>_lookback) that check their
 *     parameters through the def (ta_check) and call the kernel;
 *   - a streaming state with init / update / release;
 *   - a static const cq_ta_def, listed in its group's table.
 * Outputs before the lookback are NaN. Inputs that alias an output are copied first
 * (ta_unalias), so every kernel may assume its inputs and outputs are distinct. */
#ifndef CQ_TA_INTERNAL_H
#define CQ_TA_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "cquant/ta.h"

/* The groups, each a NULL-terminated table (one per source file). */
extern const cq_ta_def *const ta_group_overlap[];
extern const cq_ta_def *const ta_group_momentum[];
extern const cq_ta_def *const ta_group_volume[];
extern const cq_ta_def *const ta_group_volatility[];
extern const cq_ta_def *const ta_group_statistic[];
extern const cq_ta_def *const ta_group_price[];
extern const cq_ta_def *const ta_group_crypto[];

/* Checks params[def->n_params] (all given) as cq_ta_params does. */
int ta_check(const cq_ta_def *def, const double *params, cq_error *err);
/* Lookback for params, or -1 when they are invalid. */
int ta_lookback_or_neg(const cq_ta_def *def, const double *params);

/* The usual "period" parameter, 2..100000 as in TA-Lib. */
#define TA_PERIOD(dflt)                                                                     \
  {                                                                                         \
    .name = "period", .help = "bars in the window", .def = (dflt), .min = 2, .max = 100000, \
    .integer = true                                                                         \
  }

/* Lookback period - 1 (params[0] is the period). */
int ta_lookback_period_minus_1(const double *p);

/* A typed single-input, single-output entry point: checks params, makes an in-place run
 * safe and runs the definition's kernel (as cq_ta_run). */
int ta_call1(const cq_ta_def *def, const double *p, const double *in, size_t n, double *out,
             cq_error *err);

/* Fills out[from, to) with NaN. */
static inline void ta_nan(double *out, size_t from, size_t to) {
  for (size_t i = from; i < to; i++) out[i] = NAN;
}

/* In-place safety: every in[k] (n values) that overlaps an out[j] (n values) is replaced by
 * a copy; *scratch holds the copies (NULL when none were needed) and is freed by the caller
 * with free(). */
int ta_unalias(const double **in, int n_in, double *const *out, int n_out, size_t n,
               double **scratch, cq_error *err);

/* --- a fixed-size window of the last values (streaming) ------------------------------ */

typedef struct ta_ring {
  double *v;
  int cap, head, len; /* head: index of the oldest value */
} ta_ring;

int ta_ring_init(ta_ring *r, int cap, cq_error *err);
void ta_ring_release(ta_ring *r);
/* Appends x; when full, drops and returns the oldest (NaN when nothing was dropped). */
static inline double ta_ring_push(ta_ring *r, double x) {
  double old = NAN;
  int tail = r->head + r->len;
  if (tail >= r->cap) tail -= r->cap;
  if (r->len == r->cap) {
    old = r->v[r->head];
    if (++r->head == r->cap) r->head = 0;
  } else {
    r->len++;
  }
  r->v[tail] = x;
  return old;
}
/* The value k places back from the newest (0: newest); k < len. */
static inline double ta_ring_back(const ta_ring *r, int k) {
  int i = r->head + r->len - 1 - k;
  if (i >= r->cap) i -= r->cap;
  if (i < 0) i += r->cap;
  return r->v[i];
}

/* --- moving averages of any type as building blocks ---------------------------------- */

/* Lookback of a moving average, -1 when type or period is invalid (period 1..100000). */
int ta_ma_lookback(int type, int period);
/* Batch over in[0..n) into out (distinct arrays); NaN before the lookback. */
int ta_ma_batch(int type, const double *in, size_t n, int period, double *out, cq_error *err);

/* Streaming moving average of one series: NaN until ready, then the batch values. */
typedef struct ta_ma {
  double (*update)(void *st, double x);
  void (*release)(void *st);
  void *st;
} ta_ma;

int ta_ma_init(ta_ma *m, int type, int period, cq_error *err);
static inline double ta_ma_update(ta_ma *m, double x) {
  return m->update(m->st, x);
}
void ta_ma_release(ta_ma *m);

/* The other types (WMA, DEMA, TEMA, TRIMA, KAMA, T3; period >= 2), in overlap.c. */
int ta_ma_kind_lookback(int type, int period);
int ta_ma_kind_batch(int type, const double *in, size_t n, int period, double *out, cq_error *err);
int ta_ma_kind_init(ta_ma *m, int type, int period, cq_error *err);

/* The SMA, EMA and MA definitions (ma.c), listed in the overlap group. */
extern const cq_ta_def ta_def_sma, ta_def_ema, ta_def_ma;

/* SMA and EMA kernels and steps, shared by batch and streaming so both do the same
 * arithmetic, and by every indicator built on them. */

/* SMA in TA-Lib's order of operations: add the new value, take the mean, drop the oldest. */
void ta_sma_kernel(const double *in, size_t n, int period, double *out);

/* The last period - 1 values in a ring (none for period 1). */
typedef struct ta_sma_st {
  double *win;
  double sum;
  int period, count, pos;
} ta_sma_st;

int ta_sma_st_init(ta_sma_st *s, int period, cq_error *err);
void ta_sma_st_release(ta_sma_st *s);
static inline double ta_sma_st_update(ta_sma_st *s, double x) {
  int lb = s->period - 1;
  s->sum += x;
  if (s->count < lb) {
    s->win[s->count++] = x;
    return NAN;
  }
  double t = s->sum;
  if (lb > 0) {
    s->sum -= s->win[s->pos];
    s->win[s->pos] = x;
    if (++s->pos == lb) s->pos = 0;
  } else {
    s->sum -= x;
  }
  return t / (double)s->period;
}

typedef struct ta_ema_st {
  double k, value, seed;
  int period, count;
} ta_ema_st;

static inline double ta_ema_k(int period) {
  return 2.0 / ((double)period + 1.0);
}

/* EMA over in[0..n) with factor k, seeded by the mean of the first period values: the
 * kernel behind EMA, MACD (its own k), DEMA, TEMA, TRIX. */
void ta_ema_kernel(const double *in, size_t n, int period, double k, double *out);
int ta_ema_st_init(ta_ema_st *s, int period, double k);
static inline double ta_ema_st_update(ta_ema_st *s, double x) {
  if (s->count >= s->period) {
    s->value = ((x - s->value) * s->k) + s->value;
    return s->value;
  }
  s->seed += x;
  if (++s->count < s->period) return NAN;
  s->value = s->seed / s->period;
  return s->value;
}

/* --- overlap and statistic building blocks (wma.c, dema.c, ..., var.c) ---------------- */

extern const cq_ta_def ta_def_wma, ta_def_dema, ta_def_tema, ta_def_trima, ta_def_kama, ta_def_t3,
    ta_def_midpoint, ta_def_midprice, ta_def_sar, ta_def_bbands;
extern const cq_ta_def ta_def_stddev, ta_def_var, ta_def_linearreg, ta_def_linearreg_slope,
    ta_def_linearreg_intercept, ta_def_linearreg_angle, ta_def_tsf, ta_def_correl, ta_def_beta;
extern const cq_ta_def ta_def_hma;

/* TA-Lib 0.6's tests for zero (ta_utility.h, TA_EPSILON): within 1e-14 of zero; below
 * 1e-14. (Older TA-Lib used 1e-8, which zeroes BETA on 5-minute returns.) */
#define TA_EPSILON 1e-14
#define TA_IS_ZERO(v) (-TA_EPSILON < (v) && (v) < TA_EPSILON)
#define TA_IS_ZERO_OR_NEG(v) ((v) < TA_EPSILON)

/* WMA in TA-Lib's order of operations: a running weighted sum and a running plain sum; each
 * bar adds period * x to the weighted sum, takes the mean, then drops the plain sum. Period 1
 * copies the input. Shared by WMA, the WMA moving-average type and HMA. */
void ta_wma_kernel(const double *in, size_t n, int period, double *out);

typedef struct ta_wma_st {
  double *win; /* the last period - 1 values (ring) */
  double sum, sub, trail, divider;
  int period, count, pos;
} ta_wma_st;

int ta_wma_st_init(ta_wma_st *s, int period, cq_error *err);
void ta_wma_st_release(ta_wma_st *s);
static inline double ta_wma_st_update(ta_wma_st *s, double x) {
  int lb = s->period - 1;
  if (lb == 0) return x;
  if (s->count < lb) {
    s->sub += x;
    s->sum += x * (double)(s->count + 1);
    s->win[s->count++] = x;
    return NAN;
  }
  s->sub += x;
  s->sub -= s->trail;
  s->sum += x * (double)s->period;
  s->trail = s->win[s->pos]; /* the oldest value of the window that ends at x */
  s->win[s->pos] = x;
  if (++s->pos == lb) s->pos = 0;
  double v = s->sum / s->divider;
  s->sum -= s->sub;
  return v;
}

/* The other moving-average types as batch kernels (distinct arrays, NaN before the
 * lookback; those that keep a window may fail with CQ_ENOMEM) and as streaming ta_ma. */
void ta_dema_kernel(const double *in, size_t n, int period, double *out);
void ta_tema_kernel(const double *in, size_t n, int period, double *out);
int ta_trima_kernel(const double *in, size_t n, int period, double *out, cq_error *err);
int ta_kama_kernel(const double *in, size_t n, int period, double *out, cq_error *err);
void ta_t3_kernel(const double *in, size_t n, int period, double vfactor, double *out);
int ta_wma_ma_init(ta_ma *m, int period, cq_error *err);
int ta_dema_ma_init(ta_ma *m, int period, cq_error *err);
int ta_tema_ma_init(ta_ma *m, int period, cq_error *err);
int ta_trima_ma_init(ta_ma *m, int period, cq_error *err);
int ta_kama_ma_init(ta_ma *m, int period, cq_error *err);
int ta_t3_ma_init(ta_ma *m, int period, double vfactor, cq_error *err);

/* TA-Lib's variance (TA_INT_VAR): running sums of x and x*x over the window, each bar adds
 * the new value, takes both means, then drops the oldest; mean(x*x) - mean(x)^2. */
typedef struct ta_var_st {
  double *win; /* the last period - 1 values (ring) */
  double s1, s2;
  int period, count, pos;
} ta_var_st;

int ta_var_st_init(ta_var_st *s, int period, cq_error *err);
void ta_var_st_release(ta_var_st *s);
static inline double ta_var_st_update(ta_var_st *s, double x) {
  int lb = s->period - 1;
  s->s1 += x;
  s->s2 += x * x;
  if (s->count < lb) {
    s->win[s->count++] = x;
    return NAN;
  }
  double m1 = s->s1 / (double)s->period, m2 = s->s2 / (double)s->period;
  double old = x;
  if (lb > 0) {
    old = s->win[s->pos];
    s->win[s->pos] = x;
    if (++s->pos == lb) s->pos = 0;
  }
  s->s1 -= old;
  s->s2 -= old * old;
  return m2 - m1 * m1;
}
/* The variance kernel over in[0..n) (distinct arrays). */
void ta_var_kernel(const double *in, size_t n, int period, double *out);

/* The last cap values as one contiguous array, oldest first, for kernels that scan a
 * window: every value is kept twice (at pos and pos + cap). */
typedef struct ta_span {
  double *v; /* 2 * cap values */
  int cap, pos, len;
} ta_span;

int ta_span_init(ta_span *s, int cap, cq_error *err);
void ta_span_release(ta_span *s);
/* Appends x; returns the window of the last cap values (oldest first), or NULL while fewer
 * than cap values have been seen. */
static inline const double *ta_span_push(ta_span *s, double x) {
  s->v[s->pos] = x;
  s->v[s->pos + s->cap] = x;
  if (++s->pos == s->cap) s->pos = 0;
  if (s->len < s->cap) {
    if (++s->len < s->cap) return NULL;
  }
  return s->v + s->pos;
}

/* Linear regression over the last period values (TA-Lib's LINEARREG family): x = 0 for
 * the newest value up to period - 1 for the oldest, sums taken oldest first. */
typedef struct ta_linreg {
  double m, b;
} ta_linreg;
static inline ta_linreg ta_linreg_fit(const double *w, int period, double sum_x, double divisor) {
  /* w: the window, oldest first */
  double sum_xy = 0.0, sum_y = 0.0;
  for (int i = period; i-- != 0;) {
    double y = w[period - 1 - i];
    sum_y += y;
    sum_xy += (double)i * y;
  }
  double m = ((double)period * sum_xy - sum_x * sum_y) / divisor;
  double b = (sum_y - m * sum_x) / (double)period;
  return (ta_linreg){m, b};
}

/* What the LINEARREG family outputs from the fit (linearreg.c). */
typedef enum ta_linreg_kind {
  TA_LR_VALUE,     /* LINEARREG: the line at the newest bar */
  TA_LR_SLOPE,     /* LINEARREG_SLOPE */
  TA_LR_INTERCEPT, /* LINEARREG_INTERCEPT: the line at the oldest bar */
  TA_LR_ANGLE,     /* LINEARREG_ANGLE: atan(slope) in degrees */
  TA_LR_TSF        /* TSF: the line one bar after the newest */
} ta_linreg_kind;

typedef struct ta_linreg_st {
  ta_span w;
  double sum_x, divisor;
  int period;
  ta_linreg_kind kind;
} ta_linreg_st;

int ta_linreg_batch(ta_linreg_kind kind, const cq_ta_in *in, const double *p, double *const *out,
                    cq_error *err);
int ta_linreg_st_init(ta_linreg_st *s, ta_linreg_kind kind, int period, cq_error *err);
void ta_linreg_update(void *st, cq_time t, const double *in, double *out);
void ta_linreg_release(void *st);

#endif
