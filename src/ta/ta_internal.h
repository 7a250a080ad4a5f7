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
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* SMA. TA-Lib adds the new value to the running sum, divides by period, then drops the
 * oldest: two additions and a division a bar on the loop-carried chain. We keep t, the sum of
 * the last period - 1 values, and move it two bars at a time from the first output: for a
 * pair of bars (a, b), with d(x) = x - the value leaving the window,
 *   out(a) = (t + a) * inv,  out(b) = ((t + d(a)) + b) * inv   (off the chain)
 *   t      = t + (d(a) + d(b))                                (one addition for two bars)
 * where inv = 1 / period. The same sums rounded differently: within 1e-14 of TA-Lib on real
 * candles (the reference test allows 1e-9). ta_sma_st_update does the same operations on the
 * same pairs, so streaming equals batch bit for bit. */
void ta_sma_kernel(const double *in, size_t n, int period, double *out);

static inline double ta_sma_inv(int period) {
  return 1.0 / (double)period;
}

/* The last period - 1 values in a ring (none for period 1); sum is t above, d_a the first
 * bar's d while its pair is open. */
typedef struct ta_sma_st {
  double *win;
  double sum, d_a;
  int period, count, pos;
  bool odd;
} ta_sma_st;

int ta_sma_st_init(ta_sma_st *s, int period, cq_error *err);
void ta_sma_st_release(ta_sma_st *s);
static inline double ta_sma_st_update(ta_sma_st *s, double x) {
  int lb = s->period - 1;
  if (s->count < lb) {
    s->sum += x;
    s->win[s->count++] = x;
    return NAN;
  }
  double old = x;
  if (lb > 0) {
    old = s->win[s->pos];
    s->win[s->pos] = x;
    if (++s->pos == lb) s->pos = 0;
  }
  const double inv = ta_sma_inv(s->period);
  const double d = x - old;
  double v;
  if (!s->odd) {
    v = (s->sum + x) * inv;
    s->d_a = d;
  } else {
    v = ((s->sum + s->d_a) + x) * inv;
    s->sum = s->sum + (s->d_a + d);
  }
  s->odd = !s->odd;
  return v;
}

/* The EMA's chain runs two bars at a time (see ta_ema_kernel); odd_x is the first bar of a
 * pair, waiting for the second. */
typedef struct ta_ema_st {
  double k, value, seed, chain, odd_x;
  int period, count;
  bool odd;
} ta_ema_st;

static inline double ta_ema_k(int period) {
  return 2.0 / ((double)period + 1.0);
}

/* The factors of an EMA step from k: keep = 1 - k, and for two bars at once
 * keep2 = keep * keep and kk = k * keep. */
typedef struct ta_ema_f {
  double k, keep, keep2, kk;
} ta_ema_f;
static inline ta_ema_f ta_ema_factors(double k) {
  const double keep = 1.0 - k;
  return (ta_ema_f){.k = k, .keep = keep, .keep2 = keep * keep, .kk = k * keep};
}

/* EMA over in[0..n) with factor k, seeded by the mean of the first period values: the
 * kernel behind EMA, MACD (its own k), DEMA, TEMA, TRIX.
 *
 * TA-Lib computes v = ((x - v) * k) + v: three operations a bar on the loop-carried chain.
 * We carry the chain two bars at a time from the seed: for a pair (a, b),
 *   out(a) = c * keep + a * k                        (off the chain)
 *   c      = c * keep2 + (a * kk + b * k) = out(b)   (one multiply, one add for two bars)
 * which is the same EMA rounded differently: within a few ulps of TA-Lib, the error decaying
 * by keep each bar (3.1 -> ~1.4 ns a bar on 10M bars). ta_ema_st_update does the same
 * operations on the same pairs, so streaming equals batch bit for bit. */
void ta_ema_kernel(const double *in, size_t n, int period, double k, double *out);
int ta_ema_st_init(ta_ema_st *s, int period, double k);
static inline double ta_ema_st_update(ta_ema_st *s, double x) {
  if (s->count >= s->period) {
    const ta_ema_f f = ta_ema_factors(s->k);
    if (!s->odd) {
      s->odd_x = x;
      s->value = s->chain * f.keep + x * f.k;
    } else {
      s->chain = s->chain * f.keep2 + (s->odd_x * f.kk + x * f.k);
      s->value = s->chain;
    }
    s->odd = !s->odd;
    return s->value;
  }
  s->seed += x;
  if (++s->count < s->period) return NAN;
  s->value = s->chain = s->seed / s->period;
  return s->value;
}

/* A streaming moving average of any type with the common ones inline: period 1, SMA and EMA
 * keep their state in place and update without an indirect call (what indicators that smooth
 * every bar want), any other type goes through ta_ma. The values are ta_ma's, so ta_ma_batch's:
 * the same steps. */
typedef enum ta_ma_fast_kind { TA_MAF_COPY, TA_MAF_SMA, TA_MAF_EMA, TA_MAF_OTHER } ta_ma_fast_kind;
typedef struct ta_ma_fast {
  ta_ma_fast_kind kind;
  union {
    ta_sma_st sma;
    ta_ema_st ema;
    ta_ma any;
  } u;
} ta_ma_fast;

int ta_ma_fast_init(ta_ma_fast *m, int type, int period, cq_error *err);
void ta_ma_fast_release(ta_ma_fast *m);
static inline double ta_ma_fast_update(ta_ma_fast *m, double x) {
  switch (m->kind) {
    case TA_MAF_SMA:
      return ta_sma_st_update(&m->u.sma, x);
    case TA_MAF_EMA:
      return ta_ema_st_update(&m->u.ema, x);
    case TA_MAF_COPY:
      return x;
    default:
      return ta_ma_update(&m->u.any, x);
  }
}

/* --- accumulation/distribution (volume group: AD, ADOSC) ------------------------------ */

/* One bar of the A/D line in TA-Lib's arithmetic: a bar with high - low <= 0 adds nothing. */
static inline double ta_ad_step(double ad, double high, double low, double close, double volume) {
  double range = high - low;
  if (range > 0.0) ad += (close - low - (high - close)) / range * volume;
  return ad;
}

/* --- true range and ATR (volatility group; Keltner and SuperTrend build on them) ------ */

/* TA-Lib's True Range of a bar given the previous close, in its order: high - low first,
 * then replaced by the distance from the previous close to the high, then to the low,
 * whichever is greater (a NaN stays where the comparisons leave it). */
static inline double ta_true_range(double high, double low, double prev_close) {
  double g = high - low;
  double v2 = fabs(prev_close - high);
  if (v2 > g) g = v2;
  double v3 = fabs(prev_close - low);
  if (v3 > g) g = v3;
  return g;
}

/* ATR with TA-Lib's seeding: no value at bar 0 (no previous close); the true ranges of bars
 * 1..period summed from 0.0 in order and divided by period give the value at bar period;
 * then Wilder's smoothing. TA-Lib smooths as atr = (atr * (period - 1) + tr) / period; we
 * compute atr * ((period - 1) / period) + tr * (1 / period) with the two factors computed
 * once: the division leaves the loop-carried chain (2.6 instead of 6.6 ns a bar on 10M bars)
 * and the result stays within a few ulps of TA-Lib's (measured <= 2e-15 relative on random
 * walks; the reference test allows 1e-9). Period 1 is the true range itself.
 * ta_atr_kernel does the same arithmetic over arrays, so batch and streaming are bit for bit
 * equal. */
typedef struct ta_atr_st {
  double prev_close, sum, atr, keep, add; /* keep = (period - 1) / period, add = 1 / period */
  int period, seen;                       /* seen: bars so far, capped at period + 1 */
} ta_atr_st;

static inline double ta_atr_keep(int period) {
  return (double)(period - 1) / (double)period;
}
static inline double ta_atr_add(int period) {
  return 1.0 / (double)period;
}
static inline void ta_atr_st_init(ta_atr_st *s, int period) {
  *s = (ta_atr_st){.period = period, .keep = ta_atr_keep(period), .add = ta_atr_add(period)};
}
static inline double ta_atr_st_update(ta_atr_st *s, double high, double low, double close) {
  if (s->seen == 0) {
    s->seen = 1;
    s->prev_close = close;
    return NAN;
  }
  double tr = ta_true_range(high, low, s->prev_close);
  s->prev_close = close;
  if (s->period == 1) return tr;
  if (s->seen > s->period) {
    s->atr = s->atr * s->keep + tr * s->add;
    return s->atr;
  }
  s->sum += tr;
  if (s->seen++ < s->period) return NAN;
  s->atr = s->sum / s->period;
  return s->atr;
}
/* ATR over arrays (distinct from out); NaN before bar period. */
void ta_atr_kernel(const double *high, const double *low, const double *close, size_t n, int period,
                   double *out);

/* TA-Lib's TA_IS_ZERO: |v| < 1e-8 (NATR outputs 0 for such a close). */
static inline int ta_is_zero(double v) {
  return -0.00000001 < v && v < 0.00000001;
}

/* --- rolling highest high and lowest low over a window (Donchian, Ichimoku) ---------- */

/* The highest of the last `period` highs and the lowest of the last `period` lows, O(1)
 * amortised per bar (monotonic queues of bar numbers). A NaN high or low in the window makes
 * both NaN; fewer than period bars so far gives NaN. */
typedef struct ta_hilo {
  int64_t *qhi, *qlo; /* rings of bar numbers: highs decreasing, lows increasing */
  double *vhi, *vlo;  /* the high / low of the bar at the same place in qhi / qlo */
  int64_t bar, last_nan;
  int period, hi_head, hi_len, lo_head, lo_len;
} ta_hilo;

int ta_hilo_init(ta_hilo *m, int period, cq_error *err);
void ta_hilo_release(ta_hilo *m);
/* Adds a bar; *hh and *ll receive the window's highest high and lowest low. */
static inline void ta_hilo_push(ta_hilo *m, double high, double low, double *hh, double *ll) {
  const int p = m->period;
  const int64_t t = m->bar++;
  /* the bar t - period leaves the window: it can only be at the front */
  if (m->hi_len && m->qhi[m->hi_head] <= t - p) {
    if (++m->hi_head == p) m->hi_head = 0;
    m->hi_len--;
  }
  if (m->lo_len && m->qlo[m->lo_head] <= t - p) {
    if (++m->lo_head == p) m->lo_head = 0;
    m->lo_len--;
  }
  if (isnan(high) || isnan(low)) {
    m->last_nan = t;
  } else {
    /* values at the back not above the new one can never be the highest again */
    int e = m->hi_head + m->hi_len;
    if (e >= p) e -= p;
    while (m->hi_len) {
      int b = (e == 0 ? p : e) - 1;
      if (m->vhi[b] > high) break;
      m->hi_len--;
      e = b;
    }
    m->qhi[e] = t;
    m->vhi[e] = high;
    m->hi_len++;
    e = m->lo_head + m->lo_len;
    if (e >= p) e -= p;
    while (m->lo_len) {
      int b = (e == 0 ? p : e) - 1;
      if (m->vlo[b] < low) break;
      m->lo_len--;
      e = b;
    }
    m->qlo[e] = t;
    m->vlo[e] = low;
    m->lo_len++;
  }
  if (t < p - 1 || t - m->last_nan < p) {
    *hh = *ll = NAN;
    return;
  }
  *hh = m->vhi[m->hi_head];
  *ll = m->vlo[m->lo_head];
}

/* The same window (same NaN rule, same values) by van Herk / Gil-Werman's blocks, for short
 * and long periods alike: the bars are cut into blocks of `period` from the first bar on; the
 * window ending at a bar is the tail of the previous block (from the same position + 1) and the
 * head of this block up to the bar, so its extreme is max(suffix max of the previous block,
 * running max of this block). Three comparisons a bar and side and no data-dependent branch,
 * whatever the period: for a period of 14 on bench_ta's random walk, 3-5 ns a bar against
 * 30-50 for ta_hilo's monotonic queues, 10-20 for TA-Lib's rescan when the extreme leaves the
 * window and 6-15 for a plain scan of the window (all mispredict or grow with the period).
 * The extremes are exact, so the values are TA-Lib's whatever its tie rule (a tie only picks
 * between equal values; at most the sign of a zero could differ). ta_extrema_run over arrays
 * and ta_extrema_push bar by bar perform the same operations, so batch equals streaming bit
 * for bit. */
/* Highs and lows are kept in separate arrays and hi, lo apart: stored side by side, the
 * compiler pairs them into 16-byte loads and stores (of the caller's bar too), which cannot
 * forward from or to the 8-byte accesses around them, a stall on every streaming update. */
typedef struct ta_extrema {
  double *bh, *bl; /* this block's highs and lows (period values) */
  double *sh, *sl; /* the previous block's suffix extremes; [period] is -inf / +inf */
  double hi;       /* this block's running highest high */
  int64_t bar;     /* bars so far */
  double lo;       /* this block's running lowest low */
  int64_t nan_at;  /* the last bar with a NaN; -1 at first (no value before bar period - 1) */
  int period, j;   /* j: position of the next bar in its block */
} ta_extrema;

int ta_extrema_init(ta_extrema *m, int period, cq_error *err);
void ta_extrema_release(ta_extrema *m);
/* The suffix extremes of the block just completed (once every period bars). */
void ta_extrema_block(ta_extrema *m);
/* Adds a bar; *hh and *ll receive the window's highest high and lowest low (NaN while fewer
 * than period bars, or with a NaN high or low in the window). */
static inline void ta_extrema_push(ta_extrema *m, double high, double low, double *hh, double *ll) {
  const int j = m->j;
  if (j == 0) {
    if (m->bar >= m->period) ta_extrema_block(m);
    m->hi = high;
    m->lo = low;
  } else {
    m->hi = high > m->hi ? high : m->hi;
    m->lo = low < m->lo ? low : m->lo;
  }
  m->bh[j] = high;
  m->bl[j] = low;
  const double a = m->sh[j + 1], b = m->sl[j + 1];
  const double h = a > m->hi ? a : m->hi, l = b < m->lo ? b : m->lo;
  m->j = j + 1 == m->period ? 0 : j + 1;
  const int64_t t = m->bar++;
  if (isunordered(high, low)) m->nan_at = t;
  if (t - m->nan_at < m->period) {
    *hh = *ll = NAN;
    return;
  }
  *hh = h;
  *ll = l;
}
/* ta_extrema_push over high[0..n) and low[0..n) into hh and ll (distinct arrays). */
void ta_extrema_run(ta_extrema *m, const double *high, const double *low, size_t n, double *hh,
                    double *ll);

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
/* DEMA (depth 2) and TEMA (depth 3), both in dema.c: EMAs of one period stacked, each over
 * the one before once it has values. */
typedef struct ta_xema_st {
  ta_ema_st e[3];
  int depth;
} ta_xema_st;
void ta_xema_init(ta_xema_st *s, int depth, int period);
void ta_xema_kernel(int depth, const double *in, size_t n, int period, double *out);
void ta_xema_update(void *st, cq_time t, const double *in, double *out);
int ta_xema_ma_init(ta_ma *m, int depth, int period, cq_error *err);
int ta_trima_kernel(const double *in, size_t n, int period, double *out, cq_error *err);
int ta_kama_kernel(const double *in, size_t n, int period, double *out, cq_error *err);
void ta_t3_kernel(const double *in, size_t n, int period, double vfactor, double *out);
int ta_wma_ma_init(ta_ma *m, int period, cq_error *err);
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

/* --- momentum group: Wilder's gain/loss (RSI, CMO, STOCHRSI) and directional movement (PLUS_DI,
 * MINUS_DI, DX, ADX, ADXR) in TA-Lib's seeding and order of operations ---------------- */

/* Average gain and loss: the first period changes summed (a loss as its negation, a NaN
 * change as a gain, as TA-Lib's `if (d < 0) ... else ...`) and divided by period, as TA-Lib.
 * Then Wilder's smoothing, which TA-Lib computes as avg = (avg * (period - 1) + change) /
 * period, a multiplication, an addition and a division a bar on each loop-carried chain, and a
 * branch on the sign of the change. We split each change into its gain and its loss without a
 * branch (ta_gl_up, ta_gl_dn: one of them is 0), smooth by precomputed factors as ATR does,
 * keep = (period - 1) / period and add = 1 / period, and carry each chain two bars at a time
 * as the EMA does: for a pair of changes (a, b),
 *   avg(a) = c * keep + a * add                      (off the chain)
 *   c      = c * keep2 + (a * kk + b * add) = avg(b) (one multiply, one add for two bars)
 * with keep2 = keep * keep, kk = add * keep. The gain and loss chains are independent. The
 * same averages rounded differently: within a few ulps of TA-Lib, the error decaying by keep
 * each bar. ta_gl_update (streaming) and ta_gl_kernel (batch) do the same operations on the
 * same pairs, so streaming equals batch bit for bit. */
typedef struct ta_gl_st {
  double prev, gain, loss;        /* gain, loss: the averages after the last bar */
  double cg, cl, ga, la;          /* chains at the last pair's end; an open pair's first bar */
  double p, keep, add, keep2, kk; /* factors */
  int period, seen;               /* seen: bars so far, capped at period + 1 */
  bool odd;                       /* a pair is open (its first bar is in ga, la) */
} ta_gl_st;

/* The gain and the loss of a change: TA-Lib's `if (d < 0) loss -= d; else gain += d;` as
 * d < 0 ? 0 : d and d < 0 ? -d : 0 (a NaN change is a gain), computed with a mask instead
 * of a branch (a branch on the sign of a price change is mispredicted half the time). */
static inline double ta_mask_bits(double v, uint64_t mask) {
  uint64_t b;
  memcpy(&b, &v, sizeof b);
  b &= mask;
  memcpy(&v, &b, sizeof v);
  return v;
}
static inline double ta_gl_up(double d) {
  return ta_mask_bits(d, (uint64_t)(d < 0) - 1u);
}
static inline double ta_gl_dn(double d) {
  return ta_mask_bits(-d, -(uint64_t)(d < 0));
}

static inline void ta_gl_init(ta_gl_st *s, int period) {
  const double keep = (double)(period - 1) / (double)period, add = 1.0 / (double)period;
  *s = (ta_gl_st){.period = period,
                  .p = period,
                  .keep = keep,
                  .add = add,
                  .keep2 = keep * keep,
                  .kk = add * keep};
}
/* Adds a bar; 1 when gain and loss hold the averages (from bar period on). */
static inline int ta_gl_update(ta_gl_st *s, double x) {
  if (s->seen == 0) {
    s->prev = x;
    s->seen = 1;
    return 0;
  }
  double d = x - s->prev;
  s->prev = x;
  if (s->seen > s->period) {
    const double g = ta_gl_up(d), l = ta_gl_dn(d);
    if (!s->odd) {
      s->gain = s->cg * s->keep + g * s->add;
      s->loss = s->cl * s->keep + l * s->add;
      s->ga = g;
      s->la = l;
    } else {
      s->gain = s->cg = s->cg * s->keep2 + (s->ga * s->kk + g * s->add);
      s->loss = s->cl = s->cl * s->keep2 + (s->la * s->kk + l * s->add);
    }
    s->odd = !s->odd;
    return 1;
  }
  if (d < 0)
    s->loss -= d;
  else
    s->gain += d;
  if (s->seen++ < s->period) return 0;
  s->cl = s->loss /= s->p;
  s->cg = s->gain /= s->p;
  return 1;
}
/* RSI from the averages: 100 * gain / (gain + loss), 0 when the sum is zero. */
static inline double ta_rsi_value(double gain, double loss) {
  double t = gain + loss;
  return ta_is_zero(t) ? 0.0 : 100.0 * (gain / t);
}
/* CMO from the averages: 100 * (gain - loss) / (gain + loss), 0 when the sum is zero. */
static inline double ta_cmo_value(double gain, double loss) {
  double t = gain + loss;
  return ta_is_zero(t) ? 0.0 : 100.0 * ((gain - loss) / t);
}

/* Batch over in[0..n) into out (distinct): RSI (cmo = 0) or CMO (cmo = 1) of the averages;
 * NaN before bar period (rsi.c). */
void ta_gl_kernel(const double *in, size_t n, int period, int cmo, double *out);

/* RSI over in[0..n) into out (distinct); NaN before bar period (rsi.c). */
void ta_rsi_kernel(const double *in, size_t n, int period, double *out);

/* Wilder's +DM, -DM and TR: bars 1..period-1 summed, then from bar period on
 * x = x - x / period (+ today's value). */
typedef struct ta_dm_st {
  double ph, pl, pc, pdm, mdm, tr, p;
  int period, seen; /* seen: bars so far, capped at period */
} ta_dm_st;

static inline void ta_dm_init(ta_dm_st *s, int period) {
  *s = (ta_dm_st){.period = period, .p = period};
}
/* Adds a bar; 1 when pdm, mdm and tr hold the smoothed values (from bar period on). */
static inline int ta_dm_update(ta_dm_st *s, double h, double l, double c) {
  if (s->seen == 0) {
    s->ph = h, s->pl = l, s->pc = c;
    s->seen = 1;
    return 0;
  }
  double dp = h - s->ph, dm = s->pl - l;
  s->ph = h, s->pl = l;
  double tr = ta_true_range(h, l, s->pc);
  s->pc = c;
  if (s->seen < s->period) {
    if (dm > 0 && dp < dm)
      s->mdm += dm;
    else if (dp > 0 && dp > dm)
      s->pdm += dp;
    s->tr += tr;
    s->seen++;
    return 0;
  }
  s->mdm -= s->mdm / s->p;
  s->pdm -= s->pdm / s->p;
  if (dm > 0 && dp < dm)
    s->mdm += dm;
  else if (dp > 0 && dp > dm)
    s->pdm += dp;
  s->tr = s->tr - s->tr / s->p + tr;
  return 1;
}
/* DX from the smoothed values; 0 (first value) or *keep (later) when TR or the DI sum is
 * zero, as TA-Lib. Returns 1 when a DX was computed. */
static inline int ta_dx_value(const ta_dm_st *s, double *dx) {
  if (ta_is_zero(s->tr)) return 0;
  double mdi = 100.0 * (s->mdm / s->tr), pdi = 100.0 * (s->pdm / s->tr);
  double t = mdi + pdi;
  if (ta_is_zero(t)) return 0;
  *dx = 100.0 * (fabs(mdi - pdi) / t);
  return 1;
}

/* +DI (plus) or -DI from bar period on: 100 * DM / TR, 0 for a zero TR; period 1 is
 * TA-Lib's unsmoothed DM1 / TR1 (not scaled), from bar 1 on. */
static inline double ta_di_update(ta_dm_st *s, double h, double l, double c, int plus) {
  if (s->period > 1) {
    if (!ta_dm_update(s, h, l, c)) return NAN;
    if (ta_is_zero(s->tr)) return 0.0;
    return 100.0 * ((plus ? s->pdm : s->mdm) / s->tr);
  }
  if (s->seen == 0) {
    s->ph = h, s->pl = l, s->pc = c;
    s->seen = 1;
    return NAN;
  }
  double dp = h - s->ph, dm = s->pl - l;
  s->ph = h, s->pl = l;
  double tr = ta_true_range(h, l, s->pc), v = 0.0;
  s->pc = c;
  if (plus ? (dp > 0 && dp > dm) : (dm > 0 && dp < dm))
    v = ta_is_zero(tr) ? 0.0 : (plus ? dp : dm) / tr;
  return v;
}

/* Average directional index: the mean of the first period DX (bars period..2 period - 1, a
 * zero-sum DX counting as 0), then (adx * (period - 1) + dx) / period, unchanged on a zero
 * sum. */
typedef struct ta_adx_st {
  ta_dm_st dm;
  double sum, adx;
  int n; /* DX seen, capped at period */
} ta_adx_st;

static inline void ta_adx_init(ta_adx_st *s, int period) {
  *s = (ta_adx_st){0};
  ta_dm_init(&s->dm, period);
}
static inline double ta_adx_update(ta_adx_st *s, double h, double l, double c) {
  if (!ta_dm_update(&s->dm, h, l, c)) return NAN;
  double dx;
  int ok = ta_dx_value(&s->dm, &dx);
  if (s->n < s->dm.period) {
    if (ok) s->sum += dx;
    if (++s->n < s->dm.period) return NAN;
    s->adx = s->sum / s->dm.p;
    return s->adx;
  }
  if (ok) s->adx = ((s->adx * (s->dm.p - 1)) + dx) / s->dm.p;
  return s->adx;
}

/* Pushes x into a full-size window of `period` values; 1 with *old = the value period bars
 * back once there is one (MOM, ROC, ROCP). */
static inline int ta_lag_push(ta_ring *r, double x, double *old) {
  int full = r->len == r->cap;
  *old = ta_ring_push(r, x);
  return full;
}

/* MOM, ROC and ROCP (mom.c): a function of the value now and the value period bars back;
 * the kind picks which, once per call, outside the loop. */
typedef enum ta_lag_kind { TA_LAG_MOM, TA_LAG_ROC, TA_LAG_ROCP } ta_lag_kind;
typedef struct ta_lag_st {
  ta_ring r;
  ta_lag_kind kind;
} ta_lag_st;
int ta_lag_batch(ta_lag_kind kind, const cq_ta_in *in, const double *p, double *const *out);
int ta_lag_init(ta_lag_st *s, ta_lag_kind kind, const double *p, cq_error *err);
void ta_lag_update(void *st, cq_time t, const double *in, double *out);
void ta_lag_release(void *st);
int ta_lag_lookback(const double *p);

/* A matype parameter (TA-Lib's TA_MAType; 7, MAMA, is refused by ta_check_matype). */
#define TA_MATYPE(nm)                                                                             \
  {                                                                                               \
    .name = (nm), .help = "0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA, 6 KAMA, 8 T3", .def = 0, \
    .min = 0, .max = 8, .integer = true                                                           \
  }
/* CQ_EUNSUPPORTED naming the parameter when it is 7 (MAMA). */
int ta_check_matype(const char *ind, const char *param, double v, cq_error *err);

/* APO and PPO (apo.c): MA(fast) and MA(slow) of one matype; params fastperiod, slowperiod,
 * matype; pct: PPO's percentage of the slow MA instead of the difference. */
#define TA_PO_PARAMS                    \
  {                                     \
    {.name = "fastperiod",              \
     .help = "bars in the fast MA",     \
     .def = 12,                         \
     .min = 2,                          \
     .max = 100000,                     \
     .integer = true},                  \
        {.name = "slowperiod",          \
         .help = "bars in the slow MA", \
         .def = 26,                     \
         .min = 2,                      \
         .max = 100000,                 \
         .integer = true},              \
        TA_MATYPE("matype")             \
  }
typedef struct ta_po_st {
  ta_ma fast, slow;
  int64_t bar;
  int lb, pct;
} ta_po_st;
int ta_po_check(const char *ind, const double *p, cq_error *err);
int ta_po_lookback(const double *p);
int ta_po_batch(const cq_ta_in *in, const double *p, double *const *out, int pct, cq_error *err);
int ta_po_init(ta_po_st *s, const double *p, int pct, cq_error *err);
/* The streaming update and release of APO and PPO, as their defs take them. */
void ta_po_update(void *st, cq_time t, const double *in, double *out);
void ta_po_release(void *st);

/* The stochastic core (stoch.c), shared by STOCH, STOCHF and STOCHRSI: raw %K =
 * (close - lowest low) / ((highest high - lowest low) / 100) over fk bars (0 for a flat
 * window; NaN while a NaN high or low is in the window), then one or two moving averages of
 * it. With two (STOCH) the outputs are the two MAs; with one (STOCHF, p2 = 0) the raw %K and
 * its MA. Outputs start at the lookback. The window is ta_extrema's; the MAs are
 * ta_ma_batch's in batch and ta_ma_fast in streaming. */
typedef struct ta_stoch_st {
  ta_extrema hl;
  ta_ma_fast m1, m2;
  int64_t bar;
  int fk, lb1, lb, two;
} ta_stoch_st;
/* The divisor of a value that is 0 where d is 0 (TA-Lib's `d != 0 ? x / d : 0`): d, or 1 for a
 * zero d, whose quotient is then dropped. Written without a branch, so the quotient can be
 * computed unconditionally and the loops that use it vectorise. */
static inline double ta_div_or_1(double d) {
  return d + (double)(d == 0.0);
}
/* TA-Lib's raw %K from the window's extremes: 0 for a flat window. The batch kernel (stoch.c)
 * does the same operations, a chunk at a time. */
static inline double ta_stoch_raw(double hh, double ll, double c) {
  const double diff = (hh - ll) / 100.0;
  const double q = (c - ll) / ta_div_or_1(diff);
  return diff != 0.0 ? q : 0.0;
}
int ta_stoch_lookback(int fk, int p1, int t1, int p2, int t2);
int ta_stoch_init(ta_stoch_st *s, int fk, int p1, int t1, int p2, int t2, cq_error *err);
void ta_stoch_release(ta_stoch_st *s);
void ta_stoch_update(ta_stoch_st *s, double h, double l, double c, double *o1, double *o2);
/* Batch over arrays distinct from o1 and o2, except that with one MA (p2 = 0) h, l and c may
 * be o2 itself: they are all read before o2 is written (STOCHRSI passes its RSI so). */
int ta_stoch_batch(const double *h, const double *l, const double *c, size_t n, int fk, int p1,
                   int t1, int p2, int t2, double *o1, double *o2, cq_error *err);
/* The fastk / slowk parameter of the stochastics. */
#define TA_STOCH_P(nm, dflt, hlp) \
  { .name = (nm), .help = (hlp), .def = (dflt), .min = 1, .max = 100000, .integer = true }

/* Aroon's core (aroon.c), shared by AROON and AROONOSC: the bar numbers of the highest high
 * and the lowest low of the last period + 1 bars, the latest one winning ties, found as TA-Lib
 * does (rescanning the window only when the extreme leaves it). */
typedef struct ta_aroon_st {
  double *hi, *lo; /* the last period + 1 highs and lows, slot bar % (period + 1) */
  double highest, lowest;
  int64_t bar, hi_idx, lo_idx;
  int period;
} ta_aroon_st;
int ta_aroon_init(ta_aroon_st *s, int period, cq_error *err);
void ta_aroon_release(ta_aroon_st *s);
/* Adds a bar; 1 from bar period on, with s->hi_idx and s->lo_idx set for this bar. */
int ta_aroon_push(ta_aroon_st *s, double high, double low);

#endif
