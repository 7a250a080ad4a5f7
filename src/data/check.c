/* Quality checks over a candle series: grid gaps, duplicates, order, alignment, OHLC
 * invariants, prices, volumes, zero-volume runs and return outliers.
 *
 * Each check is its own pass over the columns, so each stays simple and reads memory in
 * order. The passes find issues in different orders (gaps and duplicates in time order,
 * the rest in row order); a bounded max-heap keeps the first max_issues in row order
 * whatever order they arrive in, while the counts see every issue. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/data.h"
#include "data_internal.h"

enum { DEFAULT_MIN_ZERO_RUN = 10, DEFAULT_MAX_ISSUES = 1000, SELECT_SMALL = 16 };
#define DEFAULT_OUTLIER_Z 12.0
/* MAD / 0.6745 estimates the standard deviation of normal data (0.6745 = Φ⁻¹(0.75)); so
 * does the mean absolute deviation × √(π/2) = 1.2533, the fallback when MAD is 0
 * (Iglewicz & Hoaglin's modified z-score, as SPSS and others do it). */
#define MAD_K 0.6745
#define MEANAD_K 1.2533141373155003

static const char *const issue_names[CQ_ISSUE_KIND_COUNT_] = {
    "gap",         "duplicate",       "unordered",       "misaligned", "ohlc",
    "nonpositive", "negative_volume", "zero_volume_run", "outlier"};

const char *cq_issue_kind_name(cq_issue_kind k) {
  return (unsigned)k < CQ_ISSUE_KIND_COUNT_ ? issue_names[k] : "unknown";
}

uint64_t cq_check_report_total(const cq_check_report *rep) {
  uint64_t n = 0;
  for (int k = 0; k < CQ_ISSUE_KIND_COUNT_; k++) n += rep->counts[k];
  return n;
}

void cq_check_report_release(cq_check_report *rep) {
  free(rep->issues);
  rep->issues = NULL;
  rep->nissues = 0;
}

/* ---- the issues kept ------------------------------------------------------------------ */

typedef struct keeper {
  cq_check_report *rep;
  cq_issue *heap; /* max-heap on (index, kind): the root is the one to drop first */
  size_t len, cap, max;
} keeper;

/* (index, kind) is unique: every check reports at most one issue per row. */
static bool later(const cq_issue *a, const cq_issue *b) {
  return a->index != b->index ? a->index > b->index : a->kind > b->kind;
}

static void sift_up(cq_issue *h, size_t i) {
  cq_issue x = h[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!later(&x, &h[p])) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = x;
}

static void sift_down(cq_issue *h, size_t n, size_t i) {
  cq_issue x = h[i];
  for (;;) {
    size_t ch = 2 * i + 1;
    if (ch >= n) break;
    if (ch + 1 < n && later(&h[ch + 1], &h[ch])) ch++;
    if (!later(&h[ch], &x)) break;
    h[i] = h[ch];
    i = ch;
  }
  h[i] = x;
}

static int keep(keeper *k, cq_issue_kind kind, size_t index, cq_time t, cq_time t2, uint64_t count,
                double value, cq_error *err) {
  cq_issue is = {
      .kind = kind, .index = index, .time = t, .time2 = t2, .count = count, .value = value};
  k->rep->counts[kind]++;
  if (k->len == k->max) {
    k->rep->truncated = true;
    if (later(&is, &k->heap[0])) return CQ_OK;
    k->heap[0] = is;
    sift_down(k->heap, k->len, 0);
    return CQ_OK;
  }
  if (k->len == k->cap) {
    size_t cap = k->cap ? k->cap * 2 : 64;
    if (cap > k->max) cap = k->max;
    if (cap > SIZE_MAX / sizeof(cq_issue))
      return cq_error_set(err, CQ_ENOMEM, "listing %zu issues", cap);
    cq_issue *h = realloc(k->heap, cap * sizeof *h);
    if (!h) return cq_error_set(err, CQ_ENOMEM, "listing %zu issues", cap);
    k->heap = h;
    k->cap = cap;
  }
  k->heap[k->len] = is;
  sift_up(k->heap, k->len++);
  return CQ_OK;
}

static int cmp_issue(const void *a, const void *b) {
  const cq_issue *x = a, *y = b;
  return later(x, y) - later(y, x);
}

/* ---- grid arithmetic ------------------------------------------------------------------ */

static int64_t month_index(cq_time t) {
  cq_civil c;
  cq_time_to_civil(t, &c);
  return (int64_t)c.year * 12 + (c.month - 1);
}

static cq_time month_start(int64_t idx) {
  int64_t y = idx >= 0 ? idx / 12 : -((-idx + 11) / 12);
  return cq_days_from_civil(y, (unsigned)(idx - y * 12 + 1), 1) * CQ_NS_PER_DAY;
}

/* Buckets of tf in [a, b), both bucket starts, a < b. */
static uint64_t buckets_between(cq_timeframe tf, cq_time a, cq_time b) {
  if (tf.unit == CQ_TF_MONTH) return (uint64_t)(month_index(b) - month_index(a)) / tf.n;
  return ((uint64_t)b - (uint64_t)a) / (uint64_t)cq_timeframe_ns(tf);
}

/* Start of the bucket before the one starting at b. */
static cq_time bucket_before(cq_timeframe tf, cq_time b) {
  if (tf.unit == CQ_TF_MONTH) return month_start(month_index(b) - tf.n);
  return b - cq_timeframe_ns(tf);
}

/* ---- the checks ----------------------------------------------------------------------- */

/* Row order: rows earlier than the row before. Sets *sorted when there are none. */
static int check_order(keeper *k, const cq_candles *c, bool *sorted, cq_error *err) {
  const cq_time *t = c->open_time;
  *sorted = true;
  for (size_t i = 1; i < c->len; i++) {
    if (t[i] < t[i - 1]) {
      *sorted = false;
      int rc = keep(k, CQ_ISSUE_UNORDERED, i, t[i], t[i], 1, 0, err);
      if (rc) return rc;
    }
  }
  return CQ_OK;
}

static int check_aligned(keeper *k, const cq_candles *c, cq_timeframe tf, cq_error *err) {
  const cq_time *t = c->open_time;
  for (size_t i = 0; i < c->len; i++) {
    if (!cq_timeframe_is_aligned(tf, t[i])) {
      int rc = keep(k, CQ_ISSUE_MISALIGNED, i, t[i], t[i], 1, 0, err);
      if (rc) return rc;
    }
  }
  return CQ_OK;
}

typedef struct tpos {
  cq_time t;
  size_t row;
} tpos;

static int cmp_tpos(const void *a, const void *b) {
  const tpos *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return (x->row > y->row) - (x->row < y->row);
}

/* Gaps and duplicates, walking the open times in time order: the rows themselves when
 * sorted, otherwise `ord`, the (time, row) pairs sorted. */
static int check_grid(keeper *k, const cq_candles *c, cq_timeframe tf, const tpos *ord,
                      cq_error *err) {
  const cq_time *t = c->open_time;
  size_t n = c->len;
#define T_AT(j) (ord ? ord[j].t : t[j])
#define ROW_AT(j) (ord ? ord[j].row : (j))
  int rc;
  cq_time bucket = cq_timeframe_floor(tf, T_AT(0));
  size_t same = 0; /* first position of the current run of equal times */
  for (size_t j = 1; j <= n; j++) {
    if (j == n || T_AT(j) != T_AT(same)) {
      if (j - same > 1 && (rc = keep(k, CQ_ISSUE_DUPLICATE, ROW_AT(same + 1), T_AT(same),
                                     T_AT(same), j - same, 0, err)))
        return rc;
      same = j;
    }
    if (j == n) break;
    if (T_AT(j) == T_AT(j - 1)) continue;
    cq_time b = cq_timeframe_floor(tf, T_AT(j));
    if (b == bucket) continue; /* a misaligned time in the same bucket */
    cq_time first = cq_timeframe_next(tf, bucket);
    if (first < b) {
      uint64_t missing = buckets_between(tf, first, b);
      if ((rc = keep(k, CQ_ISSUE_GAP, ROW_AT(j), first, bucket_before(tf, b), missing, 0, err)))
        return rc;
      k->rep->missing += missing;
    }
    bucket = b;
  }
#undef T_AT
#undef ROW_AT
  return CQ_OK;
}

static int check_values(keeper *k, const cq_candles *c, cq_error *err) {
  int rc;
  for (size_t i = 0; i < c->len; i++) {
    double o = c->open[i], h = c->high[i], l = c->low[i], cl = c->close[i], v = c->volume[i];
    bool finite = isfinite(o) && isfinite(h) && isfinite(l) && isfinite(cl);
    cq_time t = c->open_time[i];
    if (finite && !(h >= o && h >= cl && l <= o && l <= cl && h >= l) &&
        (rc = keep(k, CQ_ISSUE_OHLC, i, t, t, 1, 0, err)))
      return rc;
    if (!(finite && o > 0 && h > 0 && l > 0 && cl > 0) &&
        (rc = keep(k, CQ_ISSUE_NONPOSITIVE, i, t, t, 1, 0, err)))
      return rc;
    if (!(v >= 0 && isfinite(v)) && (rc = keep(k, CQ_ISSUE_NEGATIVE_VOLUME, i, t, t, 1, 0, err)))
      return rc;
  }
  return CQ_OK;
}

static int check_zero_runs(keeper *k, const cq_candles *c, size_t min_run, cq_error *err) {
  const double *v = c->volume;
  size_t i = 0, n = c->len;
  while (i < n) {
    if (v[i] != 0) {
      i++;
      continue;
    }
    size_t s = i;
    while (i < n && v[i] == 0) i++;
    if (i - s >= min_run) {
      int rc =
          keep(k, CQ_ISSUE_ZERO_VOLUME_RUN, s, c->open_time[s], c->open_time[i - 1], i - s, 0, err);
      if (rc) return rc;
    }
  }
  return CQ_OK;
}

/* ---- robust statistics ---------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median3(double a, double b, double c) {
  if (a > b) {
    double s = a;
    a = b;
    b = s;
  }
  return c < a ? a : c > b ? b : c;
}

/* The k-th smallest of a[0..n) (no NaN), leaving every element before k no greater than
 * it: quickselect with a median-of-three pivot and a three-way partition, so the runs of
 * equal values common in quiet markets (many returns exactly 0) cost one pass. If an
 * adversarial order defeats the pivots (more than 4·log2(n) rounds), the rest is sorted:
 * O(n) expected, O(n log n) at worst. */
static double select_kth(double *a, size_t n, size_t k) {
  size_t lo = 0, hi = n;
  unsigned rounds = 8;
  for (size_t m = n; m > 1; m >>= 1) rounds += 4;
  while (hi - lo > SELECT_SMALL) {
    if (rounds-- == 0) {
      qsort(a + lo, hi - lo, sizeof *a, cmp_double);
      return a[k];
    }
    double p = median3(a[lo], a[lo + (hi - lo) / 2], a[hi - 1]);
    size_t lt = lo, i = lo, gt = hi;
    while (i < gt) {
      double x = a[i];
      if (x < p) {
        a[i++] = a[lt];
        a[lt++] = x;
      } else if (x > p) {
        a[i] = a[--gt];
        a[gt] = x;
      } else {
        i++;
      }
    }
    if (k < lt)
      hi = lt;
    else if (k >= gt)
      lo = gt;
    else
      return p;
  }
  for (size_t i = lo + 1; i < hi; i++) { /* insertion sort of the last few */
    double x = a[i];
    size_t j = i;
    while (j > lo && a[j - 1] > x) {
      a[j] = a[j - 1];
      j--;
    }
    a[j] = x;
  }
  return a[k];
}

/* Median of a[0..n), n > 0, reordering a; the mean of the two middle values for even n. */
static double median(double *a, size_t n) {
  size_t k = n / 2;
  double hi = select_kth(a, n, k);
  if (n % 2) return hi;
  double lo = a[0];
  for (size_t i = 1; i < k; i++)
    if (a[i] > lo) lo = a[i];
  return lo + (hi - lo) / 2;
}

/* Log return of row i over row i-1 when they are adjacent bars with usable closes; NaN
 * otherwise. */
static double log_return(const cq_candles *c, cq_timeframe tf, size_t i) {
  double a = c->close[i - 1], b = c->close[i];
  const cq_time *t = c->open_time;
  if (!(a > 0 && b > 0 && isfinite(a) && isfinite(b))) return NAN;
  if (t[i] <= t[i - 1] || cq_timeframe_next(tf, t[i - 1]) != t[i]) return NAN;
  double q = b / a;
  /* b / a can overflow or underflow for absurd prices; the difference of logs cannot */
  return isfinite(q) && q > 0 ? log(q) : log(b) - log(a);
}

static int check_outliers(keeper *k, const cq_candles *c, cq_timeframe tf, double zmax,
                          cq_error *err) {
  size_t n = c->len;
  if (n < 2) return CQ_OK;
  if (n > SIZE_MAX / (2 * sizeof(double)))
    return cq_error_set(err, CQ_ENOMEM, "returns of %zu rows", n);
  double *r = malloc(2 * n * sizeof *r);
  if (!r) return cq_error_set(err, CQ_ENOMEM, "returns of %zu rows", n);
  double *w = r + n; /* the defined returns, reordered by the selections */
  size_t m = 0;
  r[0] = NAN;
  for (size_t i = 1; i < n; i++) {
    r[i] = log_return(c, tf, i);
    if (!isnan(r[i])) w[m++] = r[i];
  }
  int rc = CQ_OK;
  if (m == 0) goto done;
  double med = median(w, m);
  for (size_t j = 0; j < m; j++) w[j] = fabs(w[j] - med);
  double mad = median(w, m), meanad = 0;
  if (!(mad > 0)) {
    cq__ksum s = {0, 0};
    for (size_t j = 0; j < m; j++) cq__ksum_add(&s, w[j]);
    meanad = cq__ksum_value(&s) / (double)m;
    if (!(meanad > 0)) goto done; /* every return the same: nothing stands out */
  }
  for (size_t i = 1; i < n; i++) {
    if (isnan(r[i])) continue;
    double d = fabs(r[i] - med);
    double z = mad > 0 ? MAD_K * d / mad : d / (MEANAD_K * meanad);
    if (z > zmax &&
        (rc = keep(k, CQ_ISSUE_OUTLIER, i, c->open_time[i], c->open_time[i], 1, z, err)))
      goto done;
  }
done:
  free(r);
  return rc;
}

/* ---- entry point ---------------------------------------------------------------------- */

int cq_check_candles(const cq_candles *c, const cq_check_opts *opts, cq_check_report *rep,
                     cq_error *err) {
  if (!rep) return cq_error_set(err, CQ_EINVAL, "check: no report to fill");
  memset(rep, 0, sizeof *rep);
  if (!c || !opts) return cq_error_set(err, CQ_EINVAL, "check: no candles or no options");
  int rc = cq__tf_check(opts->tf, "check:", err);
  if (rc) return rc;
  if (isnan(opts->outlier_z))
    return cq_error_set(err, CQ_EINVAL, "check: outlier_z is NaN (0 for the default 12)");
  double zmax = opts->outlier_z == 0 ? DEFAULT_OUTLIER_Z : opts->outlier_z;
  size_t min_run = opts->min_zero_run ? opts->min_zero_run : DEFAULT_MIN_ZERO_RUN;
  keeper k = {.rep = rep, .max = opts->max_issues ? opts->max_issues : DEFAULT_MAX_ISSUES};
  rep->rows = c->len;
  if (c->len == 0) return CQ_OK;

  bool sorted;
  tpos *ord = NULL;
  if ((rc = check_order(&k, c, &sorted, err))) goto fail;
  if (!sorted) {
    if (c->len > SIZE_MAX / sizeof *ord) {
      rc = cq_error_set(err, CQ_ENOMEM, "sorting %zu open times", c->len);
      goto fail;
    }
    ord = malloc(c->len * sizeof *ord);
    if (!ord) {
      rc = cq_error_set(err, CQ_ENOMEM, "sorting %zu open times", c->len);
      goto fail;
    }
    for (size_t i = 0; i < c->len; i++) ord[i] = (tpos){c->open_time[i], i};
    qsort(ord, c->len, sizeof *ord, cmp_tpos);
  }
  rc = check_grid(&k, c, opts->tf, ord, err);
  free(ord);
  if (rc) goto fail;
  if ((rc = check_aligned(&k, c, opts->tf, err))) goto fail;
  if ((rc = check_values(&k, c, err))) goto fail;
  if ((rc = check_zero_runs(&k, c, min_run, err))) goto fail;
  if (zmax >= 0 && (rc = check_outliers(&k, c, opts->tf, zmax, err))) goto fail;

  if (k.len) qsort(k.heap, k.len, sizeof *k.heap, cmp_issue);
  rep->issues = k.heap;
  rep->nissues = k.len;
  return CQ_OK;
fail:
  free(k.heap);
  memset(rep, 0, sizeof *rep);
  return rc;
}
