/* Unified <-> native symbols, and interval names. The map holds a copy of the instruments
 * and two index arrays sorted by each name, searched by bisection. */
#include <stdlib.h>
#include <string.h>

#include "binance.h"

struct cq_bn_symbols {
  cq_instrument *ins;
  size_t n;
  size_t *by_unified, *by_native;
};

/* qsort has no context argument: the comparators see index pairs with the array beside. */
typedef struct sym_key {
  const char *name;
  size_t idx;
} sym_key;

static int key_cmp(const void *a, const void *b) {
  return strcmp(((const sym_key *)a)->name, ((const sym_key *)b)->name);
}

static int build_index(const cq_bn_symbols *s, bool native, size_t *out, cq_error *err) {
  sym_key *k = malloc((s->n ? s->n : 1) * sizeof *k);
  if (!k) return cq_error_set(err, CQ_ENOMEM, "binance: symbols: out of memory");
  for (size_t i = 0; i < s->n; i++) {
    k[i].name = native ? s->ins[i].native : s->ins[i].symbol;
    k[i].idx = i;
  }
  qsort(k, s->n, sizeof *k, key_cmp);
  for (size_t i = 0; i < s->n; i++) {
    if (i > 0 && strcmp(k[i].name, k[i - 1].name) == 0) {
      int rc = cq_error_set(err, CQ_EEXIST, "binance: symbol \"%s\" listed twice", k[i].name);
      free(k);
      return rc;
    }
    out[i] = k[i].idx;
  }
  free(k);
  return 0;
}

int cq_bn_symbols_new(const cq_instrument *ins, size_t n, cq_bn_symbols **out, cq_error *err) {
  if (!out || (!ins && n)) return cq_error_set(err, CQ_EINVAL, "binance: symbols: NULL argument");
  if (n > CQ_BN_MAX_SYMBOLS)
    return cq_error_set(err, CQ_ELIMIT, "binance: %zu symbols is over %d", n, CQ_BN_MAX_SYMBOLS);
  cq_bn_symbols *s = calloc(1, sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "binance: symbols: out of memory");
  size_t m = n ? n : 1;
  s->ins = malloc(m * sizeof *s->ins);
  s->by_unified = malloc(m * sizeof(size_t));
  s->by_native = malloc(m * sizeof(size_t));
  if (!s->ins || !s->by_unified || !s->by_native) {
    cq_bn_symbols_free(s);
    return cq_error_set(err, CQ_ENOMEM, "binance: symbols: out of memory");
  }
  if (n) memcpy(s->ins, ins, n * sizeof *ins);
  s->n = n;
  int rc = build_index(s, false, s->by_unified, err);
  if (rc == 0) rc = build_index(s, true, s->by_native, err);
  if (rc < 0) {
    cq_bn_symbols_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void cq_bn_symbols_free(cq_bn_symbols *s) {
  if (!s) return;
  free(s->ins);
  free(s->by_unified);
  free(s->by_native);
  free(s);
}

size_t cq_bn_symbols_count(const cq_bn_symbols *s) {
  return s ? s->n : 0;
}

static const cq_instrument *find(const cq_bn_symbols *s, const size_t *idx, bool native,
                                 const char *name) {
  if (!s || !name) return NULL;
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const cq_instrument *in = &s->ins[idx[mid]];
    int c = strcmp(native ? in->native : in->symbol, name);
    if (c == 0) return in;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

const char *cq_bn_to_native(const cq_bn_symbols *s, const char *unified) {
  const cq_instrument *in = find(s, s ? s->by_unified : NULL, false, unified);
  return in ? in->native : NULL;
}

const char *cq_bn_to_unified(const cq_bn_symbols *s, const char *native) {
  const cq_instrument *in = find(s, s ? s->by_native : NULL, true, native);
  return in ? in->symbol : NULL;
}

const cq_instrument *cq_bn_instrument(const cq_bn_symbols *s, const char *symbol) {
  if (!s || !symbol) return NULL;
  if (strchr(symbol, '/')) return find(s, s->by_unified, false, symbol);
  return find(s, s->by_native, true, symbol);
}

/* ---- intervals ---- */

typedef struct bn_interval {
  const char *name;
  uint32_t n;
  cq_tf_unit unit;
} bn_interval;

static const bn_interval intervals[] = {
    {"1s", 1, CQ_TF_SECOND}, {"1m", 1, CQ_TF_MINUTE},   {"3m", 3, CQ_TF_MINUTE},
    {"5m", 5, CQ_TF_MINUTE}, {"15m", 15, CQ_TF_MINUTE}, {"30m", 30, CQ_TF_MINUTE},
    {"1h", 1, CQ_TF_HOUR},   {"2h", 2, CQ_TF_HOUR},     {"4h", 4, CQ_TF_HOUR},
    {"6h", 6, CQ_TF_HOUR},   {"8h", 8, CQ_TF_HOUR},     {"12h", 12, CQ_TF_HOUR},
    {"1d", 1, CQ_TF_DAY},    {"3d", 3, CQ_TF_DAY},      {"1w", 1, CQ_TF_WEEK},
    {"1M", 1, CQ_TF_MONTH},
};

const char *cq_bn_interval_name(cq_timeframe tf) {
  for (size_t i = 0; i < sizeof intervals / sizeof intervals[0]; i++)
    if (intervals[i].n == tf.n && intervals[i].unit == tf.unit) return intervals[i].name;
  return NULL;
}

int cq_bn_interval_parse(const char *s, cq_timeframe *out, cq_error *err) {
  if (!s || !out) return cq_error_set(err, CQ_EINVAL, "binance: interval: NULL argument");
  for (size_t i = 0; i < sizeof intervals / sizeof intervals[0]; i++)
    if (strcmp(intervals[i].name, s) == 0) {
      out->n = intervals[i].n;
      out->unit = intervals[i].unit;
      return 0;
    }
  return cq_error_set(err, CQ_EUNSUPPORTED,
                      "binance: interval \"%.20s\" is not one of 1s 1m 3m 5m 15m 30m 1h 2h 4h "
                      "6h 8h 12h 1d 3d 1w 1M",
                      s);
}
