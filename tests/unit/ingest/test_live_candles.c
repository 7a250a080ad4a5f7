/* Live candles: trades fed one by one give, timeframe by timeframe, the candles
 * cq_aggregate_trades builds from the same trades; quiet buckets give no bar; a tick closes
 * the forming bar; late trades are counted, reported and merged nowhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/ingest.h"

static const cq_time T0 = INT64_C(1704067200) * CQ_NS_PER_SEC; /* 2024-01-01 */

typedef struct sink {
  cq_candles closed[CQ_LIVE_TF_MAX];
  cq_timeframe tfs[CQ_LIVE_TF_MAX];
  size_t ntf;
  cq_candle last_forming[CQ_LIVE_TF_MAX];
  uint64_t updates, late;
  cq_trade late_trade;
} sink;

static size_t tf_index(const sink *s, cq_timeframe tf) {
  for (size_t i = 0; i < s->ntf; i++)
    if (s->tfs[i].n == tf.n && s->tfs[i].unit == tf.unit) return i;
  fail_msg("unknown timeframe");
  return 0;
}

static void on_candle(void *ctx, cq_timeframe tf, const cq_candle *c) {
  sink *s = ctx;
  size_t i = tf_index(s, tf);
  if (c->closed) {
    assert_int_equal(cq_candles_push(&s->closed[i], c), 0);
  } else {
    s->last_forming[i] = *c;
    s->updates++;
  }
}

static void on_late(void *ctx, const cq_trade *t) {
  sink *s = ctx;
  s->late++;
  s->late_trade = *t;
}

static void sink_init(sink *s, const char *const *names, size_t n) {
  memset(s, 0, sizeof *s);
  s->ntf = n;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(cq_timeframe_parse(names[i], &s->tfs[i], NULL), 0);
    cq_candles_init(&s->closed[i], 0);
  }
}

static void sink_free(sink *s) {
  for (size_t i = 0; i < s->ntf; i++) cq_candles_release(&s->closed[i]);
}

static uint64_t rng(uint64_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

/* n trades from T0 with random gaps (some long, so whole buckets stay empty), prices with
 * 2 decimals and quantities with up to 8. */
static void make_trades(cq_trades *t, size_t n, uint64_t seed) {
  cq_trades_init(t, 0);
  cq_time now = T0;
  int64_t px = 4200000; /* 42000.00 */
  for (size_t i = 0; i < n; i++) {
    uint64_t r = rng(&seed);
    now += (r % 97 == 0) ? (int64_t)(r % 1800) * CQ_NS_PER_SEC : (int64_t)(r % 5000) * CQ_NS_PER_MS;
    px += (int64_t)(rng(&seed) % 201) - 100;
    cq_trade tr = {.time = now,
                   .price = CQ_DEC(px, 2),
                   .qty = CQ_DEC((int64_t)(rng(&seed) % 100000000) + 1, (uint8_t)(rng(&seed) % 9)),
                   .taker_side = CQ_SIDE_BUY};
    snprintf(tr.id, sizeof tr.id, "%zu", i);
    assert_int_equal(cq_trades_push(t, &tr), 0);
  }
}

static void assert_same_candle(const cq_candle *a, const cq_candle *b) {
  assert_int_equal(a->open_time, b->open_time);
  assert_true(a->open == b->open && a->high == b->high && a->low == b->low && a->close == b->close);
  assert_true(a->volume == b->volume);
  assert_true(a->quote_volume == b->quote_volume);
  assert_int_equal(a->trades, b->trades);
  assert_int_equal(a->closed, b->closed);
}

/* Every timeframe at once against cq_aggregate_trades, the last bars closed by a tick. */
static void test_exact_many_timeframes(void **state) {
  (void)state;
  static const char *const names[] = {"1s",  "15s", "1m", "3m", "5m",
                                      "15m", "30m", "1h", "4h", "1d"};
  enum { N = sizeof names / sizeof names[0] };
  sink s;
  sink_init(&s, names, N);
  cq_trades tr;
  make_trades(&tr, 20000, 0x9e3779b97f4a7c15u);
  cq_live_candles *lc;
  assert_int_equal(
      cq_live_candles_open("binance", "BTC/USDT", s.tfs, N, on_candle, on_late, &s, &lc, NULL), 0);
  for (size_t i = 0; i < tr.len; i++) {
    cq_trade t;
    cq_trades_get(&tr, i, &t);
    bool late = true;
    assert_int_equal(cq_live_candles_add(lc, &t, &late, NULL), 0);
    assert_false(late);
  }
  cq_time end = tr.time[tr.len - 1] + 2 * CQ_NS_PER_DAY;
  cq_live_candles_tick(lc, end);
  for (size_t k = 0; k < N; k++) {
    cq_candles want;
    cq_candles_init(&want, 0);
    assert_int_equal(cq_aggregate_trades(&tr, s.tfs[k], end, &want, NULL), 0);
    assert_int_equal(s.closed[k].len, want.len);
    for (size_t i = 0; i < want.len; i++) {
      cq_candle a, b;
      cq_candles_get(&s.closed[k], i, &a);
      cq_candles_get(&want, i, &b);
      assert_same_candle(&a, &b);
    }
    cq_candles_release(&want);
  }
  cq_live_candles_stats st;
  cq_live_candles_stats_get(lc, &st);
  assert_int_equal(st.trades, tr.len);
  assert_int_equal(st.late, 0);
  assert_int_equal(st.updates, (uint64_t)tr.len * N);
  cq_live_candles_close(lc);
  cq_trades_release(&tr);
  sink_free(&s);
}

static void add(cq_live_candles *lc, cq_time t, int64_t px, int64_t qty, bool *late) {
  cq_trade tr = {.time = t, .price = CQ_DEC(px, 0), .qty = CQ_DEC(qty, 0)};
  assert_int_equal(cq_live_candles_add(lc, &tr, late, NULL), 0);
}

/* A quiet minute gives no bar; a tick closes the forming bar exactly at its end. */
static void test_quiet_and_tick(void **state) {
  (void)state;
  static const char *const names[] = {"1m", "5m"};
  sink s;
  sink_init(&s, names, 2);
  cq_live_candles *lc;
  assert_int_equal(
      cq_live_candles_open("okx", "ETH/USDT", s.tfs, 2, on_candle, on_late, &s, &lc, NULL), 0);
  bool late;
  add(lc, T0 + 10 * CQ_NS_PER_SEC, 100, 1, &late);
  add(lc, T0 + 50 * CQ_NS_PER_SEC, 105, 2, &late);
  assert_int_equal(s.last_forming[0].close, 105);
  assert_int_equal(s.last_forming[0].trades, 2);
  /* minute 1 is quiet; a trade in minute 2 closes minute 0 only */
  add(lc, T0 + 130 * CQ_NS_PER_SEC, 101, 1, &late);
  assert_int_equal(s.closed[0].len, 1);
  assert_int_equal(s.closed[1].len, 0);
  cq_live_candles_tick(lc, T0 + 179 * CQ_NS_PER_SEC); /* before the end: nothing */
  assert_int_equal(s.closed[0].len, 1);
  cq_live_candles_tick(lc, T0 + 180 * CQ_NS_PER_SEC); /* the end: minute 2 closes */
  assert_int_equal(s.closed[0].len, 2);
  cq_candle c;
  cq_candles_get(&s.closed[0], 1, &c);
  assert_int_equal(c.open_time, T0 + 120 * CQ_NS_PER_SEC);
  assert_true(c.closed);
  assert_int_equal(s.closed[1].len, 0);
  cq_live_candles_tick(lc, T0 + 20 * CQ_NS_PER_MIN); /* quiet: 5m closes once, 1m nothing */
  assert_int_equal(s.closed[0].len, 2);
  assert_int_equal(s.closed[1].len, 1);
  cq_candles_get(&s.closed[1], 0, &c);
  assert_int_equal(c.trades, 3);
  assert_true(c.volume == 4);
  cq_live_candles_tick(lc, T0 + 40 * CQ_NS_PER_MIN);
  assert_int_equal(s.closed[1].len, 1);
  /* bus event of a closed candle */
  cq_bus_event ev;
  assert_int_equal(cq_live_candles_event(lc, s.tfs[1], &c, 7, T0, &ev, NULL), 0);
  assert_int_equal(ev.kind, CQ_VEV_KLINE);
  assert_string_equal(ev.venue, "okx");
  assert_string_equal(ev.symbol, "ETH/USDT");
  assert_int_equal(ev.u.kline.candle.trades, 3);
  assert_true(ev.u.kline.candle.closed);
  uint8_t buf[CQ_BUS_ENCODED_MAX];
  size_t len;
  cq_bus_event back;
  assert_int_equal(cq_bus_encode(&ev, buf, sizeof buf, &len, NULL), 0);
  assert_int_equal(cq_bus_decode(buf, len, &back, NULL), 0);
  assert_int_equal(back.kind, CQ_VEV_KLINE);
  assert_int_equal(back.u.kline.candle.trades, 3);
  assert_int_equal(back.u.kline.tf.n, 5);
  cq_error err = {0};
  assert_int_equal(cq_live_candles_event(lc, s.tfs[1], &c, 0, T0, &ev, &err), CQ_EINVAL);
  cq_live_candles_close(lc);
  sink_free(&s);
}

/* Out of order and behind the watermark: counted, reported, merged nowhere. */
static void test_late(void **state) {
  (void)state;
  static const char *const names[] = {"1m", "1h"};
  sink s;
  sink_init(&s, names, 2);
  cq_live_candles *lc;
  assert_int_equal(
      cq_live_candles_open("bybit", "BTC/USDT", s.tfs, 2, on_candle, on_late, &s, &lc, NULL), 0);
  bool late;
  add(lc, T0 + 30 * CQ_NS_PER_SEC, 100, 1, &late);
  add(lc, T0 + 20 * CQ_NS_PER_SEC, 999, 1, &late); /* out of order, same bar */
  assert_true(late);
  assert_int_equal(s.late, 1);
  assert_int_equal(s.late_trade.price.m, 999);
  cq_live_candles_tick(lc, T0 + 60 * CQ_NS_PER_SEC);
  add(lc, T0 + 59 * CQ_NS_PER_SEC, 50, 1, &late); /* in a bar already closed */
  assert_true(late);
  add(lc, T0 + 61 * CQ_NS_PER_SEC, 101, 1, &late);
  assert_false(late);
  cq_live_candles_tick(lc, T0 + CQ_NS_PER_HOUR);
  assert_int_equal(s.closed[0].len, 2);
  assert_int_equal(s.closed[1].len, 1);
  cq_candle c;
  cq_candles_get(&s.closed[1], 0, &c);
  assert_int_equal(c.trades, 2);
  assert_true(c.high == 101 && c.low == 100);
  cq_live_candles_stats st;
  cq_live_candles_stats_get(lc, &st);
  assert_int_equal(st.late, 2);
  assert_int_equal(st.trades, 2);
  assert_int_equal(st.closed, 3);
  /* a bad trade is an error and changes nothing */
  cq_trade bad = {.time = T0 + 2 * CQ_NS_PER_HOUR, .price = CQ_DEC(0, 0), .qty = CQ_DEC(1, 0)};
  cq_error err = {0};
  assert_int_equal(cq_live_candles_add(lc, &bad, &late, &err), CQ_EINVAL);
  cq_live_candles_stats_get(lc, &st);
  assert_int_equal(st.trades, 2);
  cq_live_candles_close(lc);
  sink_free(&s);
}

static void test_open_errors(void **state) {
  (void)state;
  cq_timeframe tf[2], mo;
  assert_int_equal(cq_timeframe_parse("1m", &tf[0], NULL), 0);
  tf[1] = tf[0];
  assert_int_equal(cq_timeframe_parse("1M", &mo, NULL), 0);
  cq_live_candles *lc = NULL;
  cq_error err = {0};
  assert_int_equal(cq_live_candles_open("v", "S", tf, 2, NULL, NULL, NULL, &lc, &err), CQ_EINVAL);
  assert_non_null(strstr(err.msg, "twice"));
  assert_int_equal(cq_live_candles_open("v", "S", &mo, 1, NULL, NULL, NULL, &lc, &err), CQ_EINVAL);
  assert_int_equal(cq_live_candles_open("v", "S", tf, 0, NULL, NULL, NULL, &lc, &err), CQ_EINVAL);
  assert_int_equal(cq_live_candles_open("", "S", tf, 1, NULL, NULL, NULL, &lc, &err), CQ_EINVAL);
  assert_null(lc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact_many_timeframes),
      cmocka_unit_test(test_quiet_and_tick),
      cmocka_unit_test(test_late),
      cmocka_unit_test(test_open_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
