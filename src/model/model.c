#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/model.h"

static const char *const status_names[] = {"trading", "halted", "delisted"};

const char *cq_instrument_status_name(cq_instrument_status s) {
  return (unsigned)s < sizeof status_names / sizeof status_names[0] ? status_names[s] : "unknown";
}

int cq_instrument_status_parse(const char *s, cq_instrument_status *out, cq_error *err) {
  for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++) {
    if (!strcmp(s, status_names[i])) {
      *out = (cq_instrument_status)i;
      return CQ_OK;
    }
  }
  return cq_error_set(err, CQ_EPARSE,
                      "instrument status \"%s\": expected trading, halted or delisted", s);
}

static bool asset_char(char c) {
  return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

int cq_symbol_parse(const char *s, char base[CQ_ASSET_MAX], char quote[CQ_ASSET_MAX],
                    cq_error *err) {
  const char *slash = strchr(s, '/');
  if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/'))
    return cq_error_set(err, CQ_EPARSE,
                        "symbol \"%s\": expected BASE/QUOTE in unified form, such as BTC/USDT", s);
  size_t bl = (size_t)(slash - s), ql = strlen(slash + 1);
  if (bl >= CQ_ASSET_MAX || ql >= CQ_ASSET_MAX)
    return cq_error_set(err, CQ_EPARSE, "symbol \"%s\": an asset name is longer than %d characters",
                        s, CQ_ASSET_MAX - 1);
  for (size_t i = 0; s[i]; i++) {
    if (s + i == slash) continue;
    if (!asset_char(s[i])) {
      cq_error_set(err, CQ_EPARSE, "symbol \"%s\": unexpected character '%c' at %zu", s, s[i],
                   i + 1);
      cq_error_at(err, NULL, 0, (int)i + 1);
      return CQ_EPARSE;
    }
  }
  for (size_t i = 0; i < bl; i++) base[i] = (char)toupper((unsigned char)s[i]);
  base[bl] = '\0';
  for (size_t i = 0; i < ql; i++) quote[i] = (char)toupper((unsigned char)slash[1 + i]);
  quote[ql] = '\0';
  return CQ_OK;
}

int cq_series_key_set(cq_series_key *key, const char *venue, const char *symbol, const char *tf,
                      cq_error *err) {
  cq_series_key k;
  memset(&k, 0, sizeof k);
  size_t vl = strlen(venue);
  if (vl == 0 || vl >= CQ_VENUE_MAX)
    return cq_error_set(err, CQ_EINVAL, "venue \"%s\": expected 1 to %d characters", venue,
                        CQ_VENUE_MAX - 1);
  for (size_t i = 0; i < vl; i++) {
    char c = (char)tolower((unsigned char)venue[i]);
    if (!(isalnum((unsigned char)c) || c == '-' || c == '_'))
      return cq_error_set(err, CQ_EINVAL, "venue \"%s\": unexpected character '%c'", venue,
                          venue[i]);
    k.venue[i] = c;
  }
  char base[CQ_ASSET_MAX], quote[CQ_ASSET_MAX];
  int rc = cq_symbol_parse(symbol, base, quote, err);
  if (rc) return rc;
  snprintf(k.symbol, sizeof k.symbol, "%s/%s", base, quote);
  if ((rc = cq_timeframe_parse(tf, &k.tf, err))) return rc;
  *key = k;
  return CQ_OK;
}

/* ---- columnar containers --------------------------------------------------------------- */

/* Column widths of a candle row, in the order of the fields in cq_candles. */
static const size_t candle_cols[] = {sizeof(cq_time), sizeof(double),  sizeof(double),
                                     sizeof(double),  sizeof(double),  sizeof(double),
                                     sizeof(double),  sizeof(int64_t), sizeof(uint8_t)};

static size_t round_up(size_t n) {
  return (n + 63) & ~(size_t)63;
}

/* Allocates one block holding ncols columns of cap rows each (64-byte aligned), copies len
 * rows of the old columns, and points cols[] at the new ones. */
static int regrow(void **block, void **cols[], const size_t *widths, size_t ncols, size_t len,
                  size_t cap) {
  size_t total = 0;
  for (size_t i = 0; i < ncols; i++) {
    size_t bytes;
    if (__builtin_mul_overflow(widths[i], cap, &bytes)) return CQ_ENOMEM;
    total += round_up(bytes);
  }
  unsigned char *nb = aligned_alloc(64, total ? total : 64);
  if (!nb) return CQ_ENOMEM;
  size_t off = 0;
  for (size_t i = 0; i < ncols; i++) {
    if (len) memcpy(nb + off, *cols[i], widths[i] * len);
    *cols[i] = nb + off;
    off += round_up(widths[i] * cap);
  }
  free(*block);
  *block = nb;
  return CQ_OK;
}

static size_t grow_cap(size_t cap, size_t need, size_t max_rows) {
  size_t n = cap ? cap : 1024;
  while (n < need) n = n > SIZE_MAX / 2 ? need : n * 2;
  if (max_rows && n > max_rows) n = max_rows;
  return n;
}

void cq_candles_init(cq_candles *c, size_t max_rows) {
  memset(c, 0, sizeof *c);
  c->max_rows = max_rows;
}

int cq_candles_reserve(cq_candles *c, size_t n) {
  if (n <= c->cap) return CQ_OK;
  if (c->max_rows && n > c->max_rows) return CQ_ELIMIT;
  size_t cap = grow_cap(c->cap, n, c->max_rows);
  void **cols[] = {(void **)&c->open_time,    (void **)&c->open,   (void **)&c->high,
                   (void **)&c->low,          (void **)&c->close,  (void **)&c->volume,
                   (void **)&c->quote_volume, (void **)&c->trades, (void **)&c->closed};
  int rc = regrow(&c->block, cols, candle_cols, 9, c->len, cap);
  if (rc) return rc;
  c->cap = cap;
  return CQ_OK;
}

int cq_candles_push(cq_candles *c, const cq_candle *k) {
  if (c->len == c->cap) {
    int rc = cq_candles_reserve(c, c->len + 1);
    if (rc) return rc;
  }
  cq_candles_set(c, c->len++, k);
  return CQ_OK;
}

void cq_candles_set(cq_candles *c, size_t i, const cq_candle *k) {
  c->open_time[i] = k->open_time;
  c->open[i] = k->open;
  c->high[i] = k->high;
  c->low[i] = k->low;
  c->close[i] = k->close;
  c->volume[i] = k->volume;
  c->quote_volume[i] = k->quote_volume;
  c->trades[i] = k->trades;
  c->closed[i] = k->closed;
}

void cq_candles_get(const cq_candles *c, size_t i, cq_candle *out) {
  out->open_time = c->open_time[i];
  out->open = c->open[i];
  out->high = c->high[i];
  out->low = c->low[i];
  out->close = c->close[i];
  out->volume = c->volume[i];
  out->quote_volume = c->quote_volume[i];
  out->trades = c->trades[i];
  out->closed = c->closed[i] != 0;
}

void cq_candles_clear(cq_candles *c) {
  c->len = 0;
}

void cq_candles_release(cq_candles *c) {
  free(c->block);
  size_t max = c->max_rows;
  cq_candles_init(c, max);
}

static const size_t trade_cols[] = {sizeof(cq_time), sizeof(cq_dec), sizeof(cq_dec),
                                    sizeof(uint8_t), CQ_TRADE_ID_MAX};

void cq_trades_init(cq_trades *t, size_t max_rows) {
  memset(t, 0, sizeof *t);
  t->max_rows = max_rows;
}

int cq_trades_reserve(cq_trades *t, size_t n) {
  if (n <= t->cap) return CQ_OK;
  if (t->max_rows && n > t->max_rows) return CQ_ELIMIT;
  size_t cap = grow_cap(t->cap, n, t->max_rows);
  void **cols[] = {(void **)&t->time, (void **)&t->price, (void **)&t->qty, (void **)&t->taker_side,
                   (void **)&t->id};
  int rc = regrow(&t->block, cols, trade_cols, 5, t->len, cap);
  if (rc) return rc;
  t->cap = cap;
  return CQ_OK;
}

int cq_trades_push(cq_trades *t, const cq_trade *tr) {
  if (t->len == t->cap) {
    int rc = cq_trades_reserve(t, t->len + 1);
    if (rc) return rc;
  }
  size_t i = t->len++;
  t->time[i] = tr->time;
  t->price[i] = tr->price;
  t->qty[i] = tr->qty;
  t->taker_side[i] = (uint8_t)tr->taker_side;
  memcpy(t->id[i], tr->id, CQ_TRADE_ID_MAX);
  t->id[i][CQ_TRADE_ID_MAX - 1] = '\0';
  return CQ_OK;
}

void cq_trades_get(const cq_trades *t, size_t i, cq_trade *out) {
  out->time = t->time[i];
  out->price = t->price[i];
  out->qty = t->qty[i];
  out->taker_side = (cq_side)t->taker_side[i];
  memcpy(out->id, t->id[i], CQ_TRADE_ID_MAX);
}

void cq_trades_clear(cq_trades *t) {
  t->len = 0;
}

void cq_trades_release(cq_trades *t) {
  free(t->block);
  size_t max = t->max_rows;
  cq_trades_init(t, max);
}

size_t cq_format_double(double v, char *buf, size_t n) {
  char tmp[64];
  double a = fabs(v);
  bool done = false;
  if (isnan(v) || isinf(v)) {
    snprintf(tmp, sizeof tmp, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
    done = true;
  } else if (a == 0 || (a >= 1e-12 && a < 1e15)) {
    /* plain notation with the fewest decimals that parse back to the same double */
    for (int dec = 0; dec <= 20 && !done; dec++) {
      snprintf(tmp, sizeof tmp, "%.*f", dec, v);
      done = strtod(tmp, NULL) == v;
    }
  }
  for (int prec = 1; prec <= 17 && !done; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, v);
    done = strtod(tmp, NULL) == v;
  }
  if (!strcmp(tmp, "-0")) snprintf(tmp, sizeof tmp, "0");
  return cq_strlcpy(buf, tmp, n);
}

const double *cq_candles_field(const cq_candles *c, int field) {
  switch (field) {
    case 0:
      return c->open;
    case 1:
      return c->high;
    case 2:
      return c->low;
    case 3:
      return c->close;
    case 4:
      return c->volume;
    default:
      return NULL;
  }
}

size_t cq_candles_lower_bound(const cq_candles *c, cq_time t) {
  size_t lo = 0, hi = c->len;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (c->open_time[mid] < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

cq_candles cq_candles_view(const cq_candles *c, size_t first, size_t last) {
  size_t a = first, n = last > first ? last - first : 0;
  return (cq_candles){.len = n,
                      .cap = n,
                      .max_rows = n,
                      .open_time = c->open_time + a,
                      .open = c->open + a,
                      .high = c->high + a,
                      .low = c->low + a,
                      .close = c->close + a,
                      .volume = c->volume + a,
                      .quote_volume = c->quote_volume ? c->quote_volume + a : NULL,
                      .trades = c->trades ? c->trades + a : NULL,
                      .closed = c->closed ? c->closed + a : NULL};
}
