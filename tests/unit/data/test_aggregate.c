/* Trade bars: exact decimal sums, bucket boundaries, watermarks, the streaming builder's
 * flush and error rules, and streaming == batch for many chunkings, with every sum checked
 * against an exact reference computed here in 128-bit integers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/data.h"
#include "data_test_util.h"

__extension__ typedef __int128 i128;

static cq_dec dec(const char *s) {
  cq_dec d;
  cq_error e;
  if (cq_dec_parse_cstr(s, &d, &e)) fail_msg("bad decimal %s: %s", s, e.msg);
  return d;
}

static cq_trade trade(cq_time t, const char *price, const char *qty) {
  cq_trade x = {.time = t, .price = dec(price), .qty = dec(qty), .taker_side = CQ_SIDE_BUY};
  return x;
}

static void push_trade(cq_trades *t, cq_trade x) {
  assert_int_equal(cq_trades_push(t, &x), 0);
}

static void aggregate(const cq_trades *t, const char *tf, cq_time watermark, cq_candles *out) {
  cq_error e;
  int rc = cq_aggregate_trades(t, tf_of(tf), watermark, out, &e);
  if (rc) fail_msg("aggregate: %s", e.msg);
}

static void test_exact_sums(void **state) {
  (void)state;
  cq_trades t;
  cq_trades_init(&t, 0);
  cq_candles out;
  cq_candles_init(&out, 0);
  cq_time t0 = iso("2024-01-01T00:00Z");
  /* 0.1 + 0.2 in doubles is 0.30000000000000004; in decimal it is 0.3 */
  push_trade(&t, trade(t0 + 1, "0.1", "0.1"));
  push_trade(&t, trade(t0 + 2, "0.2", "0.2"));
  /* ten times 0.1: 1 exactly (the naive double sum is 0.9999999999999999) */
  for (int i = 0; i < 10; i++)
    push_trade(&t, trade(t0 + CQ_NS_PER_MIN + i, "43251.17000000", "0.10000000"));
  /* mixed scales */
  push_trade(&t, trade(t0 + 2 * CQ_NS_PER_MIN, "0.00162008", "108.14853839"));
  push_trade(&t, trade(t0 + 2 * CQ_NS_PER_MIN + 1, "0.0016", "3"));
  push_trade(&t, trade(t0 + 2 * CQ_NS_PER_MIN + 2, "0.001620080000", "0.25"));
  aggregate(&t, "1m", t0 + 3 * CQ_NS_PER_MIN, &out);
  assert_int_equal(out.len, 3);
  assert_true(out.volume[0] == 0.3);
  assert_true(out.quote_volume[0] == 0.05);
  assert_int_equal(out.trades[0], 2);
  assert_true(out.volume[1] == 1.0);
  assert_true(out.quote_volume[1] == 43251.17);
  assert_true(out.open[1] == 43251.17 && out.close[1] == 43251.17);
  /* 108.14853839 + 3 + 0.25 = 111.39853839;
   * 0.00162008 * 108.14853839 + 0.0016 * 3 + 0.00162008 * 0.25
   *   = 0.1752092840748712 + 0.0048 + 0.00040502 = 0.1804143040748712 (Python's decimal) */
  assert_true(out.volume[2] == 111.39853839);
  assert_true(out.quote_volume[2] == 0.1804143040748712);
  assert_true(out.open[2] == 0.00162008 && out.low[2] == 0.0016 && out.close[2] == 0.00162008);
  for (size_t i = 0; i < 3; i++) assert_true(out.closed[i]);
  cq_trades_release(&t);
  cq_candles_release(&out);
}

static void test_ohlc_and_boundaries(void **state) {
  (void)state;
  cq_trades t;
  cq_trades_init(&t, 0);
  cq_candles out;
  cq_candles_init(&out, 0);
  cq_time t0 = iso("2024-01-01T00:00Z"), m = CQ_NS_PER_MIN;
  push_trade(&t, trade(t0, "10", "1")); /* exactly at the bucket start */
  push_trade(&t, trade(t0 + 10, "12.5", "1"));
  push_trade(&t, trade(t0 + 10, "9.75", "1"));  /* same time: fine */
  push_trade(&t, trade(t0 + m - 1, "11", "2")); /* the last nanosecond of the bar */
  push_trade(&t, trade(t0 + m, "11.5", "1"));   /* exactly the next bucket's start */
  push_trade(&t, trade(t0 + 3 * m + 30 * CQ_NS_PER_SEC, "13", "1")); /* 00:02 has no trade */
  aggregate(&t, "1m", t0 + 10 * m, &out);
  assert_int_equal(out.len, 3);
  assert_int_equal(out.open_time[0], t0);
  assert_true(out.open[0] == 10 && out.high[0] == 12.5 && out.low[0] == 9.75 && out.close[0] == 11);
  assert_true(out.volume[0] == 5 && out.quote_volume[0] == 10 + 12.5 + 9.75 + 22);
  assert_int_equal(out.trades[0], 4);
  assert_int_equal(out.open_time[1], t0 + m);
  assert_true(out.open[1] == 11.5 && out.close[1] == 11.5 && out.volume[1] == 1);
  assert_int_equal(out.trades[1], 1);
  assert_int_equal(out.open_time[2], t0 + 3 * m);

  /* no trades: no bars; a watermark of 0 leaves the one bar open */
  cq_trades_clear(&t);
  cq_candles_clear(&out);
  aggregate(&t, "1m", t0, &out);
  assert_int_equal(out.len, 0);
  push_trade(&t, trade(t0 + 5, "1", "1"));
  aggregate(&t, "1m", 0, &out);
  assert_int_equal(out.len, 1);
  assert_false(out.closed[0]);
  cq_trades_release(&t);
  cq_candles_release(&out);
}

static void test_watermark(void **state) {
  (void)state;
  cq_trades t;
  cq_trades_init(&t, 0);
  cq_candles out;
  cq_candles_init(&out, 0);
  cq_time t0 = iso("2024-01-01T00:00Z"), h = CQ_NS_PER_HOUR;
  push_trade(&t, trade(t0 + 5, "1", "1"));
  push_trade(&t, trade(t0 + h + 5, "2", "1"));
  aggregate(&t, "1h", t0 + 2 * h, &out); /* the last bar ends at the watermark: closed */
  assert_int_equal(out.len, 2);
  assert_true(out.closed[0] && out.closed[1]);
  cq_candles_clear(&out);
  aggregate(&t, "1h", t0 + 2 * h - 1, &out); /* one nanosecond short: still open */
  assert_true(out.closed[0]);
  assert_false(out.closed[1]);
  cq_trades_release(&t);
  cq_candles_release(&out);
}

static void test_builder_flush(void **state) {
  (void)state;
  cq_bar_builder b;
  cq_error e;
  cq_candle k;
  bool em;
  cq_time t0 = iso("2024-01-01T00:00Z"), m = CQ_NS_PER_MIN;
  assert_int_equal(cq_bar_builder_init(&b, tf_of("1m"), &e), 0);
  cq_bar_builder_flush(&b, t0, &k, &em); /* nothing forming */
  assert_false(em);
  cq_trade x = trade(t0 + 1, "100", "1");
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), 0);
  assert_false(em);
  /* a snapshot: not closed, the bar keeps forming */
  cq_bar_builder_flush(&b, t0 + 30 * CQ_NS_PER_SEC, &k, &em);
  assert_true(em);
  assert_false(k.closed);
  assert_true(k.volume == 1 && k.close == 100);
  x = trade(t0 + 40 * CQ_NS_PER_SEC, "101", "2");
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), 0);
  assert_false(em);
  /* the watermark passes the bar's end: closed, and the builder starts afresh */
  cq_bar_builder_flush(&b, t0 + m, &k, &em);
  assert_true(em);
  assert_true(k.closed);
  assert_true(k.volume == 3 && k.open == 100 && k.close == 101 && k.quote_volume == 302);
  assert_int_equal(k.trades, 2);
  cq_bar_builder_flush(&b, t0 + 2 * m, &k, &em);
  assert_false(em);
  /* a late trade in the bar already closed is refused */
  x = trade(t0 + 50 * CQ_NS_PER_SEC, "99", "1");
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "already emitted closed"));
  assert_false(em);
  x = trade(t0 + m, "98", "1");
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), 0);
  assert_false(em);
  x = trade(t0 + 2 * m, "97", "1");
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), 0);
  assert_true(em);
  assert_true(k.closed);
  assert_int_equal(k.open_time, t0 + m);
  assert_true(k.open == 98);
}

static void test_errors(void **state) {
  (void)state;
  cq_bar_builder b;
  cq_error e;
  cq_candle k;
  bool em = true;
  cq_time t0 = iso("2024-01-01T00:00Z");
  assert_int_equal(cq_bar_builder_init(&b, (cq_timeframe){0, CQ_TF_MINUTE}, &e), CQ_EINVAL);
  assert_int_equal(cq_bar_builder_init(&b, (cq_timeframe){1, (cq_tf_unit)7}, &e), CQ_EINVAL);
  assert_int_equal(cq_bar_builder_init(&b, tf_of("1m"), &e), 0);
  cq_trade x = trade(t0 + 100, "10", "1");
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), 0);
  cq_bar_builder saved = b;

  x = trade(t0 + 99, "10", "1");
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "time order"));
  x = trade(t0 + 200, "0", "1");
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "price 0 is not positive"));
  x = trade(t0 + 200, "10", "-0.5");
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "quantity -0.5"));
  x = trade(t0 + 200, "10", "1");
  x.qty.scale = 19;
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "scale 19"));
  assert_false(em);
  assert_memory_equal(&b, &saved, sizeof b); /* refused trades change nothing */
  assert_int_equal(cq_bar_builder_add(NULL, &x, &k, &em, &e), CQ_EINVAL);

  /* the batch names the trade and leaves out as it was */
  cq_trades t;
  cq_trades_init(&t, 0);
  cq_candles out;
  cq_candles_init(&out, 0);
  push(&out, bar(0, 1, 1, 1, 1, 1));
  push_trade(&t, trade(t0, "1", "1"));
  push_trade(&t, trade(t0 + CQ_NS_PER_MIN, "1", "1"));
  push_trade(&t, trade(t0 + 5, "1", "1"));
  assert_int_equal(cq_aggregate_trades(&t, tf_of("1m"), t0, &out, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "trade 2"));
  assert_int_equal(out.len, 1);
  cq_candles capped;
  cq_candles_init(&capped, 1);
  cq_trades_clear(&t);
  for (int i = 0; i < 3; i++) push_trade(&t, trade(t0 + i * CQ_NS_PER_MIN, "1", "1"));
  assert_int_equal(cq_aggregate_trades(&t, tf_of("1m"), t0, &capped, &e), CQ_ELIMIT);
  assert_int_equal(capped.len, 0);
  cq_candles_release(&capped);
  cq_trades_release(&t);
  cq_candles_release(&out);
}

static void test_overflow(void **state) {
  (void)state;
  cq_bar_builder b;
  cq_error e;
  cq_candle k;
  bool em;
  cq_time t0 = iso("2024-01-01T00:00Z");
  /* price x qty at scale 36 is about 8.3e37 of 1.7e38: two fit, three do not */
  assert_int_equal(cq_bar_builder_init(&b, tf_of("1h"), &e), 0);
  cq_trade x = trade(t0, "9.123456789123456789", "9.123456789123456789");
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), 0);
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), 0);
  cq_bar_builder saved = b;
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), CQ_EOVERFLOW);
  assert_false(em);
  assert_memory_equal(&b, &saved, sizeof b);
  cq_bar_builder_flush(&b, t0, &k, &em);
  assert_true(em);
  /* 2 * 9.123456789123456789^2 = 166.474927566005791761031245241500381042 exactly */
  assert_true(k.quote_volume == 166.474927566005791761031245241500381042);
  assert_true(k.volume == 18.246913578246913578);

  /* a finer scale arriving late must rescale the sum: 1e36 at scale 0 fits 128 bits at
   * scale 2 (1e38) but not at scale 3 */
  assert_int_equal(cq_bar_builder_init(&b, tf_of("1h"), &e), 0);
  x = trade(t0, "1000000000000000000", "1000000000000000000");
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), 0);
  x = trade(t0 + 1, "0.01", "1");
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), 0);
  x = trade(t0 + 2, "0.001", "1");
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), CQ_EOVERFLOW);
  x = trade(t0 + 3, "7", "1");
  assert_int_equal(cq_bar_builder_add(&b, &x, &k, &em, &e), 0);
  cq_bar_builder_flush(&b, t0, &k, &em);
  assert_true(k.quote_volume == 1e36); /* 1e36 + 7.01: far below a double's spacing there */
  assert_true(k.volume == 1e18);       /* 1e18 + 2: the spacing of doubles there is 128 */
  assert_int_equal(k.trades, 3);
  assert_true(k.low == 0.01 && k.high == 1e18 && k.close == 7);
}

static void test_timeframes(void **state) {
  (void)state;
  cq_trades t;
  cq_trades_init(&t, 0);
  cq_candles out;
  cq_candles_init(&out, 0);
  cq_time sun = iso("2024-01-07T23:59:59.5Z"), mon = iso("2024-01-08T00:00Z");
  push_trade(&t, trade(iso("2024-02-29T12:00Z"), "5", "1"));
  aggregate(&t, "1M", 0, &out);
  assert_int_equal(out.open_time[0], iso("2024-02-01"));
  cq_candles_clear(&out);
  aggregate(&t, "1d", 0, &out);
  assert_int_equal(out.open_time[0], iso("2024-02-29"));
  cq_trades_clear(&t);
  cq_candles_clear(&out);
  push_trade(&t, trade(sun, "5", "1"));
  push_trade(&t, trade(mon, "6", "1"));
  aggregate(&t, "1w", 0, &out);
  assert_int_equal(out.len, 2);
  assert_int_equal(out.open_time[0], iso("2024-01-01")); /* Monday */
  assert_int_equal(out.open_time[1], mon);
  cq_candles_clear(&out);
  aggregate(&t, "1s", 0, &out);
  assert_int_equal(out.open_time[0], iso("2024-01-07T23:59:59Z"));
  cq_candles_clear(&out);
  aggregate(&t, "3m", 0, &out);
  assert_int_equal(out.open_time[0], iso("2024-01-07T23:57Z"));
  cq_trades_release(&t);
  cq_candles_release(&out);
}

/* ---- streaming == batch, and both exact ------------------------------------------------- */

static cq_dec rand_price(rng *r) {
  unsigned s = 2 + (unsigned)rng_below(r, 7);
  int64_t m = 1 + (int64_t)rng_below(r, 10000000);
  unsigned zmax = 16 - s < 11 ? 16 - s : 11; /* m * 10^z stays below 2^63 */
  unsigned z = (unsigned)rng_below(r, 3) == 0 ? (unsigned)rng_below(r, zmax + 1) : 0;
  for (unsigned i = 0; i < z; i++) m *= 10; /* trailing zeros, as venues send them */
  return CQ_DEC(m, (uint8_t)(s + z));
}

static cq_dec rand_qty(rng *r) {
  if (rng_below(r, 10) == 0) return CQ_DEC(1 + (int64_t)rng_below(r, 100), 0);
  return CQ_DEC(1 + (int64_t)rng_below(r, 1000000), (uint8_t)(2 + rng_below(r, 7)));
}

static i128 p10(unsigned k) {
  i128 p = 1;
  while (k--) p *= 10;
  return p;
}

/* The double nearest m * 10^-scale, from its exact text. */
static double exact_to_double(i128 m, unsigned scale) {
  char digits[64], buf[80];
  size_t n = 0;
  __extension__ unsigned __int128 u = m < 0 ? -(unsigned __int128)m : (unsigned __int128)m;
  do {
    digits[n++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u);
  size_t p = 0;
  if (m < 0) buf[p++] = '-';
  while (n) buf[p++] = digits[--n];
  snprintf(buf + p, sizeof buf - p, "e-%u", scale);
  return strtod(buf, NULL);
}

static void same_candle(const cq_candles *a, size_t i, const cq_candles *b, size_t j) {
  assert_int_equal(a->open_time[i], b->open_time[j]);
  assert_true(a->open[i] == b->open[j] && a->high[i] == b->high[j] && a->low[i] == b->low[j] &&
              a->close[i] == b->close[j]);
  assert_true(a->volume[i] == b->volume[j]);
  assert_true(a->quote_volume[i] == b->quote_volume[j]);
  assert_int_equal(a->trades[i], b->trades[j]);
  assert_int_equal(a->closed[i], b->closed[j]);
}

static void test_streaming_equals_batch(void **state) {
  (void)state;
  rng r = {31337};
  const char *tfs[] = {"1s", "1m", "15m", "1h", "1d"};
  cq_trades t;
  cq_trades_init(&t, 0);
  cq_candles batch, stream;
  cq_candles_init(&batch, 0);
  cq_candles_init(&stream, 0);
  for (int iter = 0; iter < 25; iter++) {
    cq_timeframe tf = tf_of(tfs[iter % 5]);
    int64_t step = cq_timeframe_ns(tf) / (1 + (int64_t)rng_below(&r, 40));
    cq_trades_clear(&t);
    cq_time x = iso("2024-03-30T22:00Z") + (int64_t)rng_below(&r, 1000000);
    size_t n = 200 + rng_below(&r, 3000);
    for (size_t i = 0; i < n; i++) {
      uint64_t g = rng_below(&r, 100);
      if (g >= 10) x += (int64_t)rng_below(&r, (uint64_t)step * 2); /* else: same time */
      if (g == 99) x += cq_timeframe_ns(tf) * 5;                    /* empty buckets */
      cq_trade tr = {.time = x, .price = rand_price(&r), .qty = rand_qty(&r)};
      assert_int_equal(cq_trades_push(&t, &tr), 0);
    }
    cq_time watermark = iter % 2 ? x : cq_timeframe_next(tf, x);
    cq_candles_clear(&batch);
    aggregate(&t, tfs[iter % 5], watermark, &batch);

    /* exact reference per bar: Σ qty at scale 8, Σ price × qty at scale 24 */
    size_t bi = 0;
    for (size_t i = 0; i < t.len;) {
      cq_time b0 = cq_timeframe_floor(tf, t.time[i]);
      i128 vol = 0, quote = 0;
      size_t j = i;
      for (; j < t.len && cq_timeframe_floor(tf, t.time[j]) == b0; j++) {
        vol += (i128)t.qty[j].m * p10(8u - t.qty[j].scale);
        quote += (i128)t.price[j].m * t.qty[j].m * p10(24u - t.price[j].scale - t.qty[j].scale);
      }
      assert_true(bi < batch.len);
      assert_int_equal(batch.open_time[bi], b0);
      assert_true(batch.volume[bi] == exact_to_double(vol, 8));
      assert_true(batch.quote_volume[bi] == exact_to_double(quote, 24));
      assert_int_equal(batch.trades[bi], (int64_t)(j - i));
      assert_true(batch.open[bi] == cq_dec_to_double(t.price[i]));
      assert_true(batch.close[bi] == cq_dec_to_double(t.price[j - 1]));
      bi++;
      i = j;
    }
    assert_int_equal(bi, batch.len);

    /* the builder fed in chunks, flushed between them with what is known so far */
    size_t chunks[] = {1, 2, 3, 7, 64, 1000, n, 0};
    for (size_t ci = 0; ci < sizeof chunks / sizeof chunks[0]; ci++) {
      cq_bar_builder b;
      assert_int_equal(cq_bar_builder_init(&b, tf, NULL), 0);
      cq_candles_clear(&stream);
      cq_candle k;
      bool em;
      size_t i = 0;
      while (i < t.len) {
        size_t len = chunks[ci] ? chunks[ci] : 1 + rng_below(&r, 50);
        for (size_t end = i + len; i < end && i < t.len; i++) {
          cq_trade tr;
          cq_trades_get(&t, i, &tr);
          assert_int_equal(cq_bar_builder_add(&b, &tr, &k, &em, NULL), 0);
          if (em) push(&stream, k);
        }
        /* everything before the next trade is known (or only up to the last one) */
        cq_time wm = i < t.len ? (rng_below(&r, 2) ? t.time[i] : t.time[i - 1]) : watermark;
        if (i >= t.len) break;
        cq_bar_builder_flush(&b, wm, &k, &em);
        if (em && k.closed) push(&stream, k); /* snapshots are updates, not bars */
      }
      cq_bar_builder_flush(&b, watermark, &k, &em);
      if (em) push(&stream, k);
      assert_int_equal(stream.len, batch.len);
      for (size_t q = 0; q < batch.len; q++) same_candle(&stream, q, &batch, q);
    }
  }
  cq_trades_release(&t);
  cq_candles_release(&batch);
  cq_candles_release(&stream);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact_sums), cmocka_unit_test(test_ohlc_and_boundaries),
      cmocka_unit_test(test_watermark),  cmocka_unit_test(test_builder_flush),
      cmocka_unit_test(test_errors),     cmocka_unit_test(test_overflow),
      cmocka_unit_test(test_timeframes), cmocka_unit_test(test_streaming_equals_batch),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
