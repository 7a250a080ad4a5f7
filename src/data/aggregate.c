/* Time bars from trades: a streaming builder that keeps exact decimal sums, and the batch
 * over a cq_trades built on it, so live and historical bars are the same numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/data.h"
#include "data_internal.h"

typedef cq__i128 i128;
__extension__ typedef unsigned __int128 u128;

static const int64_t POW10[19] = {INT64_C(1),
                                  INT64_C(10),
                                  INT64_C(100),
                                  INT64_C(1000),
                                  INT64_C(10000),
                                  INT64_C(100000),
                                  INT64_C(1000000),
                                  INT64_C(10000000),
                                  INT64_C(100000000),
                                  INT64_C(1000000000),
                                  INT64_C(10000000000),
                                  INT64_C(100000000000),
                                  INT64_C(1000000000000),
                                  INT64_C(10000000000000),
                                  INT64_C(100000000000000),
                                  INT64_C(1000000000000000),
                                  INT64_C(10000000000000000),
                                  INT64_C(100000000000000000),
                                  INT64_C(1000000000000000000)};

/* x * 10^k exactly; false when it does not fit. */
static bool scale_up(i128 x, unsigned k, i128 *out) {
  while (k > 0) {
    unsigned s = k > 18 ? 18 : k;
    if (__builtin_mul_overflow(x, (i128)POW10[s], &x)) return false;
    k -= s;
  }
  *out = x;
  return true;
}

/* sum (at scale ss) + term (at scale ts), exactly, at the larger scale; false on overflow. */
static bool add_scaled(i128 sum, unsigned ss, i128 term, unsigned ts, i128 *out, unsigned *os) {
  unsigned s = ss > ts ? ss : ts;
  if (!scale_up(sum, s - ss, &sum) || !scale_up(term, s - ts, &term)) return false;
  if (__builtin_add_overflow(sum, term, out)) return false;
  *os = s;
  return true;
}

/* The double nearest m * 10^-scale. One correctly rounded division when both operands are
 * exact doubles; otherwise the exact decimal text, rounded once by strtod (correctly rounded
 * in glibc). Only called when a bar is emitted, so the slow path costs little. */
static double i128_to_double(i128 m, unsigned scale) {
  static const double P[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const i128 exact = (i128)1 << 53;
  if (m > -exact && m < exact && scale <= 22) return (double)(int64_t)m / P[scale];
  char digits[48], buf[64];
  size_t nd = 0;
  u128 u = m < 0 ? -(u128)m : (u128)m;
  do {
    digits[nd++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u);
  size_t p = 0;
  if (m < 0) buf[p++] = '-';
  while (nd) buf[p++] = digits[--nd];
  snprintf(buf + p, sizeof buf - p, "e-%u", scale);
  return strtod(buf, NULL);
}

int cq_bar_builder_init(cq_bar_builder *b, cq_timeframe tf, cq_error *err) {
  if (!b) return cq_error_set(err, CQ_EINVAL, "bar builder: NULL");
  int rc = cq__tf_check(tf, "bar builder:", err);
  if (rc) return rc;
  memset(b, 0, sizeof *b);
  b->tf = tf;
  b->last = INT64_MIN;
  b->min_time = INT64_MIN;
  return CQ_OK;
}

static void emit(const cq_bar_builder *b, cq_candle *out) {
  out->open_time = b->start;
  out->open = cq_dec_to_double(b->open);
  out->high = cq_dec_to_double(b->high);
  out->low = cq_dec_to_double(b->low);
  out->close = cq_dec_to_double(b->close);
  out->volume = i128_to_double(b->vol, b->vol_scale);
  out->quote_volume = i128_to_double(b->quote, b->quote_scale);
  out->trades = b->trades;
  out->closed = true;
}

/* A price or quantity the builder refuses: not positive, or an invalid scale. */
static int bad_trade(cq_time time, const char *what, cq_dec a, cq_error *err) {
  char ts[CQ_TIME_STRMAX], v[CQ_DEC_STRMAX];
  cq_time_format_iso(time, 9, ts, sizeof ts);
  if (!cq_dec_valid(a))
    return cq_error_set(err, CQ_EINVAL, "trade at %s: %s has scale %u (at most %d)", ts, what,
                        (unsigned)a.scale, CQ_DEC_MAX_SCALE);
  cq_dec_format(a, v, sizeof v);
  return cq_error_set(err, CQ_EINVAL, "trade at %s: %s %s is not positive", ts, what, v);
}

/* The body of cq_bar_builder_add, on the fields the batch reads straight from columns.
 * Everything that can fail is checked before the builder changes. */
static int add_one(cq_bar_builder *b, cq_time time, cq_dec price, cq_dec qty, cq_candle *out,
                   bool *emitted, cq_error *err) {
  *emitted = false;
  if (!cq_dec_valid(price) || price.m <= 0) return bad_trade(time, "price", price, err);
  if (!cq_dec_valid(qty) || qty.m <= 0) return bad_trade(time, "quantity", qty, err);
  if (time < b->last || time < b->min_time) {
    char ts[CQ_TIME_STRMAX], prev[CQ_TIME_STRMAX];
    cq_time_format_iso(time, 9, ts, sizeof ts);
    if (time < b->last) {
      cq_time_format_iso(b->last, 9, prev, sizeof prev);
      return cq_error_set(err, CQ_EINVAL,
                          "trade at %s is earlier than the trade before it (%s): trades must be "
                          "in time order",
                          ts, prev);
    }
    cq_time_format_iso(b->min_time, 9, prev, sizeof prev);
    return cq_error_set(err, CQ_EINVAL,
                        "trade at %s falls in a bar already emitted closed (bars up to %s)", ts,
                        prev);
  }
  /* trailing zeros ("43251.17000000") would only raise the common scale toward overflow */
  price = cq_dec_normalize(price);
  qty = cq_dec_normalize(qty);
  i128 pq = (i128)price.m * (i128)qty.m;
  unsigned pqs = (unsigned)price.scale + qty.scale;

  if (b->forming && time < b->end) {
    i128 vol, quote;
    unsigned vs, qs;
    if (!add_scaled(b->vol, b->vol_scale, qty.m, qty.scale, &vol, &vs) ||
        !add_scaled(b->quote, b->quote_scale, pq, pqs, &quote, &qs)) {
      char ts[CQ_TIME_STRMAX];
      cq_time_format_iso(time, 9, ts, sizeof ts);
      return cq_error_set(err, CQ_EOVERFLOW,
                          "trade at %s: the bar's exact volume or quote volume no longer fits "
                          "128 bits at its scale",
                          ts);
    }
    b->vol = vol;
    b->vol_scale = (uint8_t)vs;
    b->quote = quote;
    b->quote_scale = (uint8_t)qs;
    if (cq_dec_cmp(price, b->high) > 0) b->high = price;
    if (cq_dec_cmp(price, b->low) < 0) b->low = price;
    b->close = price;
    b->trades++;
    b->last = time;
    return CQ_OK;
  }
  if (b->forming) { /* a later bucket: the forming bar has all its trades */
    emit(b, out);
    *emitted = true;
  }
  b->forming = true;
  b->start = cq_timeframe_floor(b->tf, time);
  b->end = cq_timeframe_next(b->tf, b->start);
  b->open = b->high = b->low = b->close = price;
  b->vol = qty.m;
  b->vol_scale = qty.scale;
  b->quote = pq; /* |price.m * qty.m| < 2^126, scale <= 36: always fits */
  b->quote_scale = (uint8_t)pqs;
  b->trades = 1;
  b->last = time;
  return CQ_OK;
}

int cq_bar_builder_add(cq_bar_builder *b, const cq_trade *t, cq_candle *closed_out, bool *emitted,
                       cq_error *err) {
  if (!b || !t || !closed_out || !emitted) {
    if (emitted) *emitted = false;
    return cq_error_set(err, CQ_EINVAL, "bar builder: NULL argument");
  }
  return add_one(b, t->time, t->price, t->qty, closed_out, emitted, err);
}

void cq_bar_builder_flush(cq_bar_builder *b, cq_time watermark, cq_candle *out, bool *emitted) {
  *emitted = false;
  if (!b->forming) return;
  emit(b, out);
  out->closed = b->end <= watermark;
  *emitted = true;
  if (out->closed) {
    b->forming = false;
    b->min_time = b->end;
  }
}

int cq_aggregate_trades(const cq_trades *t, cq_timeframe tf, cq_time watermark, cq_candles *out,
                        cq_error *err) {
  if (!t || !out) return cq_error_set(err, CQ_EINVAL, "aggregate: no trades or no output");
  cq_bar_builder b;
  int rc = cq_bar_builder_init(&b, tf, err);
  if (rc) return rc;
  size_t keep = out->len;
  cq_candle k;
  bool emitted;
  for (size_t i = 0; i < t->len; i++) {
    if ((rc = add_one(&b, t->time[i], t->price[i], t->qty[i], &k, &emitted, err))) {
      cq_error_prefix(err, "aggregate: trade %zu: ", i);
      goto fail;
    }
    if (emitted && (rc = cq_candles_push(out, &k))) goto push_failed;
  }
  cq_bar_builder_flush(&b, watermark, &k, &emitted);
  if (emitted && (rc = cq_candles_push(out, &k))) goto push_failed;
  return CQ_OK;
push_failed:
  cq_error_set(err, rc, "aggregate: storing bar %zu: %s", out->len - keep, cq_strerror(rc));
fail:
  out->len = keep;
  return rc;
}
