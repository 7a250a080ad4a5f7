/* One conformance suite for every store backend. The store under test is named by the
 * environment variable CQ_TEST_STORE (a store URI); without it, a fresh SQLite file in a
 * temporary folder. Each test starts from an empty store: SQLite gets a new file, PostgreSQL a
 * new database on the server CQ_TEST_STORE names (with_postgres.sh starts one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cquant/store.h"
#include "store_test_util.h"

static cq_time iso(const char *s) {
  cq_time t = 0;
  if (cq_time_parse_iso(s, &t, NULL)) fail_msg("bad time %s", s);
  return t;
}

static cq_series_key key_of(const char *venue, const char *symbol, const char *tf) {
  cq_series_key k;
  cq_error e;
  if (cq_series_key_set(&k, venue, symbol, tf, &e)) fail_msg("%s", e.msg);
  return k;
}

static void fill(cq_candles *c, cq_time start, int64_t step, size_t n, double base) {
  for (size_t i = 0; i < n; i++) {
    double px = base + (double)i * 0.25;
    cq_candle k = {.open_time = start + (int64_t)i * step,
                   .open = px,
                   .high = px + 1,
                   .low = px - 1,
                   .close = px + 0.5,
                   .volume = 10 + (double)i,
                   .quote_volume = (10 + (double)i) * px,
                   .trades = (int64_t)i,
                   .closed = true};
    assert_int_equal(cq_candles_push(c, &k), 0);
  }
}

static void test_migrated_schema(void **state) {
  cq_store *s = STORE(state);
  int v = 0;
  cq_error e;
  assert_int_equal(cq_store_schema_version(s, &v, &e), 0);
  assert_int_equal(v, 6); /* 6: stream consumer offsets */
}

static void test_write_read_roundtrip(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_series_key k = key_of("binance", "BTC/USDT", "1m");
  cq_candles c, r;
  cq_candles_init(&c, 0);
  cq_candles_init(&r, 0);
  fill(&c, iso("2024-01-01"), CQ_NS_PER_MIN, 5000, 42000.125);
  c.quote_volume[3] = NAN; /* unknown quote volume */
  c.trades[4] = -1;        /* unknown trade count */
  c.closed[4999] = 0;      /* still forming */
  cq_write_report rep = {0};
  assert_int_equal(cq_store_begin(s, &e), 0);
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, c.len, &rep, &e), 0);
  assert_int_equal(cq_store_commit(s, &e), 0);
  assert_int_equal(rep.inserted, 5000);
  assert_int_equal(rep.revised + rep.unchanged, 0);

  assert_int_equal(cq_store_get_candles(s, &k, INT64_MIN, INT64_MAX, &r, &e), 0);
  assert_int_equal(r.len, 5000);
  for (size_t i = 0; i < r.len; i++) {
    assert_int_equal(r.open_time[i], c.open_time[i]);
    assert_true(r.open[i] == c.open[i] && r.high[i] == c.high[i] && r.low[i] == c.low[i] &&
                r.close[i] == c.close[i] && r.volume[i] == c.volume[i]);
    assert_int_equal(r.trades[i], c.trades[i]);
    assert_int_equal(r.closed[i], c.closed[i]);
    if (i == 3)
      assert_true(isnan(r.quote_volume[i]));
    else
      assert_true(r.quote_volume[i] == c.quote_volume[i]);
  }
  /* a half-open range [from, to) */
  cq_candles_clear(&r);
  assert_int_equal(cq_store_get_candles(s, &k, iso("2024-01-01T00:10:00Z"),
                                        iso("2024-01-01T00:20:00Z"), &r, &e),
                   0);
  assert_int_equal(r.len, 10);
  assert_int_equal(r.open_time[0], iso("2024-01-01T00:10:00Z"));
  /* from inside a bar: the bar that opened before `from` is not included */
  cq_candles_clear(&r);
  assert_int_equal(cq_store_get_candles(s, &k, iso("2024-01-01T00:10:00.5Z"),
                                        iso("2024-01-01T00:12:00Z"), &r, &e),
                   0);
  assert_int_equal(r.len, 1);
  /* another series of the same symbol is separate */
  cq_candles_clear(&r);
  cq_series_key k5 = key_of("binance", "BTC/USDT", "5m");
  assert_int_equal(cq_store_get_candles(s, &k5, INT64_MIN, INT64_MAX, &r, &e), 0);
  assert_int_equal(r.len, 0);
  cq_candles_release(&c);
  cq_candles_release(&r);
}

static void test_reimport_and_revisions(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_series_key k = key_of("okx", "ETH/USDT", "1h");
  cq_candles c;
  cq_candles_init(&c, 0);
  fill(&c, iso("2023-06-01"), CQ_NS_PER_HOUR, 100, 1800);
  cq_write_report rep = {0};
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, c.len, &rep, &e), 0);
  assert_int_equal(rep.inserted, 100);
  /* the same data again changes nothing */
  memset(&rep, 0, sizeof rep);
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, c.len, &rep, &e), 0);
  assert_int_equal(rep.inserted, 0);
  assert_int_equal(rep.revised, 0);
  assert_int_equal(rep.unchanged, 100);
  /* the venue revises two candles and adds one */
  c.close[10] += 1;
  c.volume[99] = 0.5;
  cq_candle extra = {.open_time = iso("2023-06-01") + 100 * CQ_NS_PER_HOUR, .open = 1, .high = 2,
                     .low = 0.5, .close = 1.5, .volume = 3, .quote_volume = NAN, .trades = -1,
                     .closed = true};
  assert_int_equal(cq_candles_push(&c, &extra), 0);
  memset(&rep, 0, sizeof rep);
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, c.len, &rep, &e), 0);
  assert_int_equal(rep.inserted, 1);
  assert_int_equal(rep.revised, 2);
  assert_int_equal(rep.unchanged, 98);
  cq_candles r;
  cq_candles_init(&r, 0);
  assert_int_equal(cq_store_get_candles(s, &k, INT64_MIN, INT64_MAX, &r, &e), 0);
  assert_int_equal(r.len, 101);
  assert_true(r.close[10] == c.close[10]);
  assert_true(r.volume[99] == 0.5);
  cq_candles_release(&c);
  cq_candles_release(&r);
}

static void test_rollback_leaves_nothing(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_series_key k = key_of("bybit", "SOL/USDT", "5m");
  cq_candles c;
  cq_candles_init(&c, 0);
  fill(&c, iso("2024-02-01"), 5 * CQ_NS_PER_MIN, 50, 100);
  assert_int_equal(cq_store_begin(s, &e), 0);
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, c.len, NULL, &e), 0);
  assert_int_equal(cq_store_rollback(s, &e), 0);
  cq_candles r;
  cq_candles_init(&r, 0);
  assert_int_equal(cq_store_get_candles(s, &k, INT64_MIN, INT64_MAX, &r, &e), 0);
  assert_int_equal(r.len, 0);
  /* a misaligned open time is refused, naming the row, and writes nothing */
  c.open_time[7] += CQ_NS_PER_SEC;
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, c.len, NULL, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "candle 7"));
  assert_int_equal(cq_store_get_candles(s, &k, INT64_MIN, INT64_MAX, &r, &e), 0);
  assert_int_equal(r.len, 0);
  cq_candles_release(&c);
  cq_candles_release(&r);
}

/* Rows that repeat an open time within one batch are written in order, as if one by one:
 * the first inserts, a repeat with the same values is unchanged, with others a revision. */
static void test_batch_repeats(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_series_key k = key_of("binance", "ETH/BTC", "1h");
  cq_time t0 = iso("2024-05-01");
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_candle a = {.open_time = t0 + CQ_NS_PER_HOUR, .open = 1, .high = 2, .low = 0.5,
                 .close = 1.5, .volume = 3, .quote_volume = NAN, .trades = -1, .closed = true};
  cq_candle b = a, x = a;
  b.close = 1.75;
  x.open_time = t0;
  assert_int_equal(cq_candles_push(&c, &a), 0); /* inserted */
  assert_int_equal(cq_candles_push(&c, &x), 0); /* inserted, earlier than the row before */
  assert_int_equal(cq_candles_push(&c, &a), 0); /* unchanged */
  assert_int_equal(cq_candles_push(&c, &b), 0); /* revised */
  cq_write_report rep = {0};
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, c.len, &rep, &e), 0);
  assert_int_equal(rep.inserted, 2);
  assert_int_equal(rep.unchanged, 1);
  assert_int_equal(rep.revised, 1);
  cq_candles r;
  cq_candles_init(&r, 0);
  assert_int_equal(cq_store_get_candles(s, &k, INT64_MIN, INT64_MAX, &r, &e), 0);
  assert_int_equal(r.len, 2);
  assert_int_equal(r.open_time[0], t0);
  assert_true(r.close[1] == 1.75);
  /* the same batch again: every row meets a stored one */
  memset(&rep, 0, sizeof rep);
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, c.len, &rep, &e), 0);
  assert_int_equal(rep.inserted, 0);
  assert_int_equal(rep.revised, 2); /* a over b, then b over a */
  assert_int_equal(rep.unchanged, 2);
  cq_candles_release(&c);
  cq_candles_release(&r);
}

/* A write outside begin/commit is all or nothing: a bad row leaves the store as it was. */
static void test_put_is_atomic(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_series_key k = key_of("okx", "BTC/USDT", "1m");
  cq_candles c;
  cq_candles_init(&c, 0);
  fill(&c, iso("2024-01-31T23:55:00Z"), CQ_NS_PER_MIN, 10, 100);
  double keep = c.open[7];
  c.open[7] = NAN; /* no price: refused like a missing value */
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, c.len, NULL, &e), CQ_EINVAL);
  cq_candles r;
  cq_candles_init(&r, 0);
  assert_int_equal(cq_store_get_candles(s, &k, INT64_MIN, INT64_MAX, &r, &e), 0);
  assert_int_equal(r.len, 0);
  c.open[7] = keep;
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, c.len, NULL, &e), 0);
  /* over stored rows too */
  c.close[2] += 1;
  c.volume[9] = NAN;
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, c.len, NULL, &e), CQ_EINVAL);
  assert_int_equal(cq_store_get_candles(s, &k, INT64_MIN, INT64_MAX, &r, &e), 0);
  assert_int_equal(r.len, 10);
  assert_true(r.close[2] == c.close[2] - 1);
  cq_candles_release(&c);
  cq_candles_release(&r);
}

static void test_list_series_coverage(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_series_key k1 = key_of("binance", "ALT/BTC", "1m");
  cq_candles c;
  cq_candles_init(&c, 0);
  fill(&c, iso("2017-11-05T03:00:00Z"), CQ_NS_PER_MIN, 30, 0.0021);
  /* drop bars 12..19 (8 missing, one gap) and 25 (one more gap) */
  cq_candles d;
  cq_candles_init(&d, 0);
  for (size_t i = 0; i < c.len; i++) {
    if ((i >= 12 && i < 20) || i == 25) continue;
    cq_candle k;
    cq_candles_get(&c, i, &k);
    assert_int_equal(cq_candles_push(&d, &k), 0);
  }
  assert_int_equal(cq_store_put_candles(s, &k1, &d, 0, d.len, NULL, &e), 0);
  cq_series_key k2 = key_of("binance", "BTC/USDT", "1M");
  cq_candles m;
  cq_candles_init(&m, 0);
  const char *months[] = {"2023-01-01", "2023-02-01", "2023-05-01"};
  for (int i = 0; i < 3; i++) {
    cq_candle k = {.open_time = iso(months[i]), .open = 1, .high = 1, .low = 1, .close = 1,
                   .volume = 1, .quote_volume = NAN, .trades = -1, .closed = true};
    assert_int_equal(cq_candles_push(&m, &k), 0);
  }
  assert_int_equal(cq_store_put_candles(s, &k2, &m, 0, m.len, NULL, &e), 0);

  cq_series_info *list = NULL;
  size_t n = 0;
  assert_int_equal(cq_store_list_series(s, &list, &n, &e), 0);
  assert_int_equal(n, 2);
  assert_string_equal(list[0].key.symbol, "ALT/BTC");
  assert_int_equal(list[0].rows, 21);
  assert_int_equal(list[0].first, iso("2017-11-05T03:00:00Z"));
  assert_int_equal(list[0].last, iso("2017-11-05T03:29:00Z"));
  assert_int_equal(list[0].missing, 9);
  assert_int_equal(list[0].gaps, 2);
  assert_string_equal(list[1].key.symbol, "BTC/USDT");
  assert_int_equal(list[1].key.tf.unit, CQ_TF_MONTH);
  assert_int_equal(list[1].rows, 3);
  assert_int_equal(list[1].missing, 2);
  assert_int_equal(list[1].gaps, 1);
  free(list);
  cq_candles_release(&c);
  cq_candles_release(&d);
  cq_candles_release(&m);
}

static cq_dec dec(const char *s) {
  cq_dec d;
  if (cq_dec_parse_cstr(s, &d, NULL)) fail_msg("bad decimal %s", s);
  return d;
}

/* Venue gaps and series bounds, as a backfill uses them to resume. */
static void test_gaps_and_bounds(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_series_key k = key_of("binance", "BTC/USDT", "1h");
  const int64_t h = CQ_NS_PER_HOUR;
  cq_time t0 = iso("2024-01-01T00:00:00Z"), f, l;
  assert_int_equal(cq_store_series_bounds(s, &k, t0, t0 + 100 * h, &f, &l, &e), CQ_ENOTFOUND);
  cq_candles c;
  cq_candles_init(&c, 0);
  fill(&c, t0 + 5 * h, h, 10, 100);
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, c.len, NULL, &e), 0);
  assert_int_equal(cq_store_series_bounds(s, &k, t0, t0 + 100 * h, &f, &l, &e), 0);
  assert_true(f == t0 + 5 * h && l == t0 + 14 * h);
  assert_int_equal(cq_store_series_bounds(s, &k, t0 + 6 * h, t0 + 9 * h, &f, &l, &e), 0);
  assert_true(f == t0 + 6 * h && l == t0 + 8 * h);
  assert_int_equal(cq_store_series_bounds(s, &k, t0 + 20 * h, t0 + 30 * h, &f, &l, &e),
                   CQ_ENOTFOUND);
  cq_candles_release(&c);

  cq_gap g[2] = {{t0 + 15 * h, t0 + 18 * h, t0}, {t0 + 30 * h, t0 + 31 * h, t0}};
  assert_int_equal(cq_store_put_gaps(s, &k, g, 2, &e), 0);
  g[0].to = t0 + 20 * h; /* a later record of the same start keeps the longer end */
  assert_int_equal(cq_store_put_gaps(s, &k, g, 1, &e), 0);
  g[0].to = t0 + 16 * h;
  assert_int_equal(cq_store_put_gaps(s, &k, g, 1, &e), 0);
  cq_gap *out = NULL;
  size_t n = 0;
  assert_int_equal(cq_store_get_gaps(s, &k, t0, t0 + 100 * h, &out, &n, &e), 0);
  assert_int_equal(n, 2);
  assert_true(out[0].from == t0 + 15 * h && out[0].to == t0 + 20 * h);
  assert_true(out[1].from == t0 + 30 * h && out[1].to == t0 + 31 * h);
  free(out);
  /* overlap, not containment: a window inside the first gap finds it */
  assert_int_equal(cq_store_get_gaps(s, &k, t0 + 16 * h, t0 + 17 * h, &out, &n, &e), 0);
  assert_int_equal(n, 1);
  free(out);
  assert_int_equal(cq_store_get_gaps(s, &k, t0 + 20 * h, t0 + 30 * h, &out, &n, &e), 0);
  assert_int_equal(n, 0);
  free(out);
  /* other series see none */
  cq_series_key k2 = key_of("binance", "ETH/USDT", "1h");
  assert_int_equal(cq_store_get_gaps(s, &k2, t0, t0 + 100 * h, &out, &n, &e), 0);
  assert_int_equal(n, 0);
  free(out);
  /* refused: empty, or off the grid; nothing written */
  cq_gap bad[2] = {{t0 + 40 * h, t0 + 41 * h, t0}, {t0 + 50 * h + 1, t0 + 51 * h, t0}};
  assert_int_equal(cq_store_put_gaps(s, &k, bad, 2, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "gap 1"));
  assert_int_equal(cq_store_get_gaps(s, &k, t0 + 40 * h, t0 + 60 * h, &out, &n, &e), 0);
  assert_int_equal(n, 0);
  free(out);
}

static void test_instruments(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_instrument a = {.venue = "binance", .symbol = "BTC/USDT", .native = "BTCUSDT",
                     .base = "BTC", .quote = "USDT", .status = CQ_INSTRUMENT_TRADING};
  a.tick = dec("0.01");
  a.lot = dec("0.00001000");
  a.min_qty = dec("0.00001");
  a.min_notional = dec("5");
  cq_write_report rep = {0};
  assert_int_equal(cq_store_put_instruments(s, &a, 1, &rep, &e), 0);
  assert_int_equal(rep.inserted, 1);
  assert_int_equal(cq_store_put_instruments(s, &a, 1, &rep, &e), 0);
  assert_int_equal(rep.unchanged, 1);
  a.status = CQ_INSTRUMENT_HALTED;
  assert_int_equal(cq_store_put_instruments(s, &a, 1, &rep, &e), 0);
  assert_int_equal(rep.revised, 1);
  cq_instrument b;
  assert_int_equal(cq_store_get_instrument(s, "binance", "BTC/USDT", &b, &e), 0);
  assert_string_equal(b.native, "BTCUSDT");
  assert_int_equal(cq_dec_cmp(b.tick, a.tick), 0);
  assert_int_equal(cq_dec_cmp(b.lot, dec("0.00001")), 0);
  assert_int_equal(b.status, CQ_INSTRUMENT_HALTED);
  assert_int_equal(cq_store_get_instrument(s, "binance", "ETH/USDT", &b, &e), CQ_ENOTFOUND);
}

static void test_trades(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_trades t, r;
  cq_trades_init(&t, 0);
  cq_trades_init(&r, 0);
  for (int i = 0; i < 200; i++) {
    cq_trade tr = {.time = iso("2024-03-01") + (int64_t)i * 250 * CQ_NS_PER_MS,
                   .taker_side = i % 2 ? CQ_SIDE_BUY : CQ_SIDE_SELL};
    tr.price = CQ_DEC(6200012 + i, 2);
    tr.qty = CQ_DEC(1000 + i, 8);
    snprintf(tr.id, sizeof tr.id, "%d", 3000000 + i);
    assert_int_equal(cq_trades_push(&t, &tr), 0);
  }
  cq_write_report rep = {0};
  assert_int_equal(cq_store_put_trades(s, "binance", "BTC/USDT", &t, &rep, &e), 0);
  assert_int_equal(rep.inserted, 200);
  memset(&rep, 0, sizeof rep);
  t.qty[5] = CQ_DEC(1, 0);
  assert_int_equal(cq_store_put_trades(s, "binance", "BTC/USDT", &t, &rep, &e), 0);
  assert_int_equal(rep.unchanged, 199);
  assert_int_equal(rep.revised, 1);
  assert_int_equal(cq_store_get_trades(s, "binance", "BTC/USDT", iso("2024-03-01"),
                                       iso("2024-03-01T00:00:10Z"), &r, &e),
                   0);
  assert_int_equal(r.len, 40);
  for (size_t i = 0; i < r.len; i++) {
    assert_int_equal(r.time[i], t.time[i]);
    assert_int_equal(cq_dec_cmp(r.price[i], t.price[i]), 0);
    assert_int_equal(cq_dec_cmp(r.qty[i], t.qty[i]), 0);
    assert_string_equal(r.id[i], t.id[i]);
    assert_int_equal(r.taker_side[i], t.taker_side[i]);
  }
  cq_trades_release(&t);
  cq_trades_release(&r);
}

/* A trade id repeated within a batch is written in order; a revision may move its time. */
static void test_trade_repeats(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_trades t, r;
  cq_trades_init(&t, 0);
  cq_trades_init(&r, 0);
  cq_time t0 = iso("2024-04-30T23:59:59.999999999Z");
  cq_trade a = {.time = t0, .price = CQ_DEC(1234, 1), .qty = CQ_DEC(5, 3),
                .taker_side = CQ_SIDE_BUY, .id = "77"};
  cq_trade b = a;
  b.time = t0 + 1; /* next month, one nanosecond later */
  cq_trade c = a;
  snprintf(c.id, sizeof c.id, "78");
  assert_int_equal(cq_trades_push(&t, &a), 0); /* inserted */
  assert_int_equal(cq_trades_push(&t, &a), 0); /* unchanged */
  assert_int_equal(cq_trades_push(&t, &c), 0); /* inserted */
  assert_int_equal(cq_trades_push(&t, &b), 0); /* revised */
  cq_write_report rep = {0};
  assert_int_equal(cq_store_put_trades(s, "okx", "ETH/USDT", &t, &rep, &e), 0);
  assert_int_equal(rep.inserted, 2);
  assert_int_equal(rep.unchanged, 1);
  assert_int_equal(rep.revised, 1);
  assert_int_equal(cq_store_get_trades(s, "okx", "ETH/USDT", INT64_MIN, INT64_MAX, &r, &e), 0);
  assert_int_equal(r.len, 2);
  assert_string_equal(r.id[0], "78");
  assert_int_equal(r.time[0], t0);
  assert_string_equal(r.id[1], "77");
  assert_int_equal(r.time[1], t0 + 1); /* nanoseconds kept */
  /* [from, to) to the nanosecond */
  cq_trades_clear(&r);
  assert_int_equal(cq_store_get_trades(s, "okx", "ETH/USDT", t0 + 1, t0 + 2, &r, &e), 0);
  assert_int_equal(r.len, 1);
  assert_string_equal(r.id[0], "77");
  cq_trades_clear(&r);
  assert_int_equal(cq_store_get_trades(s, "okx", "ETH/USDT", t0, t0 + 1, &r, &e), 0);
  assert_int_equal(r.len, 1);
  assert_string_equal(r.id[0], "78");
  cq_trades_release(&t);
  cq_trades_release(&r);
}

/* Feature frames: stored whole, replaced by (set, version, series), other versions kept,
 * NaN and every double bit for bit, the latest by build time, headers without data. */
static void test_feature_frames(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_error_clear(&e);
  cq_series_key k = key_of("binance", "BTC/USDT", "1h");
  cq_feature_frame f = {0};
  assert_int_equal(cq_feature_frame_alloc(&f, 1000, 3, &e), 0);
  snprintf(f.set, sizeof f.set, "momentum");
  snprintf(f.version, sizeof f.version, "00000000000000a1");
  snprintf(f.source, sizeof f.source, "fp1");
  f.key = k;
  f.built_at = iso("2024-05-01T00:00:00Z");
  f.definition = strdup("rsi14=rsi(period=14)");
  assert_non_null(f.definition);
  for (int j = 0; j < 3; j++) snprintf(f.names[j], sizeof f.names[j], "f%d", j);
  for (size_t i = 0; i < f.rows; i++) {
    f.time[i] = iso("2024-01-01T00:00:00Z") + (cq_time)i * CQ_NS_PER_HOUR;
    f.values[0][i] = i < 14 ? NAN : (double)i / 7.0;
    f.values[1][i] = -0.0;
    f.values[2][i] = i % 2 ? 1e308 : 4.9e-324;
  }
  assert_int_equal(cq_store_put_features(s, &f, &e), 0);
  /* a frame for a series without candles: the series exists now, not its candles */
  cq_feature_frame g;
  assert_int_equal(cq_store_get_features(s, "momentum", NULL, &k, true, &g, &e), 0);
  assert_string_equal(g.version, f.version);
  assert_string_equal(g.source, "fp1");
  assert_string_equal(g.definition, f.definition);
  assert_int_equal(g.built_at, f.built_at);
  assert_int_equal(g.rows, f.rows);
  assert_int_equal(g.n_features, 3);
  for (int j = 0; j < 3; j++) {
    assert_string_equal(g.names[j], f.names[j]);
    assert_memory_equal(g.values[j], f.values[j], f.rows * sizeof(double));
  }
  assert_memory_equal(g.time, f.time, f.rows * sizeof(cq_time));
  cq_feature_frame_release(&g);

  /* same version again: replaced, not doubled */
  f.values[1][5] = 42;
  snprintf(f.source, sizeof f.source, "fp2");
  assert_int_equal(cq_store_put_features(s, &f, &e), 0);
  /* a newer version: both stay, the latest is the default */
  snprintf(f.version, sizeof f.version, "00000000000000b2");
  f.built_at += CQ_NS_PER_HOUR;
  assert_int_equal(cq_store_put_features(s, &f, &e), 0);
  cq_feature_info *list = NULL;
  size_t n = 0;
  assert_int_equal(cq_store_list_features(s, &list, &n, &e), 0);
  assert_int_equal(n, 2);
  assert_string_equal(list[0].version, "00000000000000a1");
  assert_string_equal(list[1].version, "00000000000000b2");
  assert_int_equal(list[0].rows, 1000);
  assert_int_equal(list[1].n_features, 3);
  assert_string_equal(list[0].key.symbol, "BTC/USDT");
  free(list);
  assert_int_equal(cq_store_get_features(s, "momentum", "", &k, false, &g, &e), 0);
  assert_string_equal(g.version, "00000000000000b2");
  assert_null(g.values);
  assert_int_equal(g.rows, 1000);
  cq_feature_frame_release(&g);
  assert_int_equal(cq_store_get_features(s, "momentum", "00000000000000a1", &k, true, &g, &e), 0);
  assert_string_equal(g.source, "fp2");
  assert_true(g.values[1][5] == 42);
  cq_feature_frame_release(&g);

  /* absent things */
  assert_int_equal(cq_store_get_features(s, "momentum", "ffff", &k, true, &g, &e), CQ_ENOTFOUND);
  assert_int_equal(cq_store_get_features(s, "other", NULL, &k, true, &g, &e), CQ_ENOTFOUND);
  cq_series_key k2 = key_of("okx", "ETH/USDT", "1h");
  assert_int_equal(cq_store_get_features(s, "momentum", NULL, &k2, true, &g, &e), CQ_ENOTFOUND);

  /* bad frames are refused before anything is written */
  snprintf(f.names[2], sizeof f.names[2], "f0");
  assert_int_equal(cq_store_put_features(s, &f, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "f0"));
  snprintf(f.names[2], sizeof f.names[2], "f2");
  f.time[10] = f.time[9];
  assert_int_equal(cq_store_put_features(s, &f, &e), CQ_EINVAL);
  cq_feature_frame_release(&f);
}

/* --- backtest runs ---------------------------------------------------------------------- */

static bool same_bits(double a, double b) {
  uint64_t x, y; /* exact, NaN included */
  memcpy(&x, &a, sizeof x);
  memcpy(&y, &b, sizeof y);
  return x == y;
}

static void assert_same_info(const cq_run_info *a, const cq_run_info *b) {
  assert_int_equal(a->id, b->id);
  assert_int_equal(a->created_at, b->created_at);
  assert_string_equal(a->strategy, b->strategy);
  assert_string_equal(a->engine, b->engine);
  assert_string_equal(a->venue, b->venue);
  assert_string_equal(a->symbols, b->symbols);
  assert_string_equal(a->timeframe, b->timeframe);
  assert_int_equal(a->from, b->from);
  assert_int_equal(a->to, b->to);
  assert_true(same_bits(a->total_return, b->total_return));
  assert_true(same_bits(a->sharpe, b->sharpe));
  assert_true(same_bits(a->max_drawdown, b->max_drawdown));
  assert_int_equal(a->n_trades, b->n_trades);
}

/* A run of three trades over two symbols and five hourly equity points. The values are
 * ones a double cannot hold exactly in decimal (0.1, 1/3), a NaN and a subnormal, so a store
 * that goes through text or rounds would show. (Not -0.0: SQLite keeps it as 0.) */
static void make_run(cq_run *r, const char *strategy) {
  cq_error e;
  *r = (cq_run){0};
  assert_int_equal(cq_run_alloc(r, 3, 5, &e), 0);
  cq_run_info *x = &r->info;
  x->created_at = iso("2026-11-25T10:00:00.123456789Z");
  snprintf(x->strategy, sizeof x->strategy, "%s", strategy);
  snprintf(x->engine, sizeof x->engine, "event");
  snprintf(x->venue, sizeof x->venue, "binance");
  snprintf(x->symbols, sizeof x->symbols, "BTC/USDT,ETH/USDT");
  snprintf(x->timeframe, sizeof x->timeframe, "1h");
  x->from = iso("2024-01-01T00:00:00Z");
  x->to = iso("2024-01-01T05:00:00Z");
  x->total_return = 0.1;
  x->sharpe = NAN;
  x->max_drawdown = 1.0 / 3.0;
  x->n_trades = 3;
  r->document = strdup("{\"strategy\":\"caf\xc3\xa9\",\"trades\":[1,2,3]}");
  assert_non_null(r->document);
  const char *sym[3] = {"BTC/USDT", "ETH/USDT", "BTC/USDT"};
  for (int i = 0; i < 3; i++) {
    cq_run_trade *t = &r->trades[i];
    t->seq = i + 1;
    snprintf(t->symbol, sizeof t->symbol, "%s", sym[i]);
    t->entry_time = x->from + (int64_t)i * CQ_NS_PER_SEC * 3600;
    t->exit_time = t->entry_time + CQ_NS_PER_SEC * 1800 + 7; /* ns survive */
    t->qty = 0.00123 * (i + 1);
    t->entry_price = 42000.01 + i;
    t->exit_price = 42100.5 - i;
    t->fees = 0.1 / 3;
    t->pnl = i == 1 ? -7.25 : 12.345678901234567;
    t->ret = i == 2 ? NAN : -4.9e-324;
  }
  for (int i = 0; i < 5; i++) {
    r->time[i] = x->from + (int64_t)i * CQ_NS_PER_SEC * 3600;
    r->equity[i] = 10000.0 + i * 0.1;
  }
}

static void assert_same_run(const cq_run *a, const cq_run *b) {
  assert_same_info(&a->info, &b->info);
  assert_string_equal(a->document, b->document);
  assert_int_equal(a->ntrades, b->ntrades);
  for (size_t i = 0; i < a->ntrades; i++) {
    const cq_run_trade *p = &a->trades[i], *q = &b->trades[i];
    assert_int_equal(p->seq, q->seq);
    assert_string_equal(p->symbol, q->symbol);
    assert_int_equal(p->entry_time, q->entry_time);
    assert_int_equal(p->exit_time, q->exit_time);
    assert_true(same_bits(p->qty, q->qty));
    assert_true(same_bits(p->entry_price, q->entry_price));
    assert_true(same_bits(p->exit_price, q->exit_price));
    assert_true(same_bits(p->fees, q->fees));
    assert_true(same_bits(p->pnl, q->pnl));
    assert_true(same_bits(p->ret, q->ret));
  }
  assert_int_equal(a->npoints, b->npoints);
  for (size_t i = 0; i < a->npoints; i++) {
    assert_int_equal(a->time[i], b->time[i]);
    assert_true(same_bits(a->equity[i], b->equity[i]));
  }
}

static size_t count_runs(cq_store *s) {
  cq_run_info *list = NULL;
  size_t n = 99;
  cq_error e;
  assert_int_equal(cq_store_list_runs(s, &list, &n, &e), 0);
  free(list);
  return n;
}

static void test_backtest_runs(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  assert_int_equal(count_runs(s), 0);
  cq_run a, b, got;
  make_run(&a, "sma_cross");
  make_run(&b, "rsi_revert");
  b.info.sharpe = 1.5;
  assert_int_equal(cq_store_put_run(s, &a, &e), 0);
  assert_true(a.info.id > 0);
  assert_int_equal(cq_store_put_run(s, &b, &e), 0);
  assert_true(b.info.id > a.info.id);

  /* round trip, bit for bit */
  assert_int_equal(cq_store_get_run(s, a.info.id, true, &got, &e), 0);
  assert_same_run(&a, &got);
  cq_run_release(&got);
  /* info and document only */
  assert_int_equal(cq_store_get_run(s, b.info.id, false, &got, &e), 0);
  assert_same_info(&b.info, &got.info);
  assert_string_equal(got.document, b.document);
  assert_int_equal(got.ntrades, 0);
  assert_int_equal(got.npoints, 0);
  cq_run_release(&got);

  /* newest first */
  cq_run_info *list = NULL;
  size_t n = 0;
  assert_int_equal(cq_store_list_runs(s, &list, &n, &e), 0);
  assert_int_equal(n, 2);
  assert_same_info(&list[0], &b.info);
  assert_same_info(&list[1], &a.info);
  free(list);

  /* unknown id */
  assert_int_equal(cq_store_get_run(s, 987654, true, &got, &e), CQ_ENOTFOUND);
  assert_non_null(strstr(e.msg, "no backtest run 987654"));
  assert_null(got.trades);

  /* delete: gone, and its id is not given again */
  int64_t gone = a.info.id;
  assert_int_equal(cq_store_delete_run(s, gone, &e), 0);
  assert_int_equal(cq_store_get_run(s, gone, false, &got, &e), CQ_ENOTFOUND);
  assert_int_equal(cq_store_delete_run(s, gone, &e), CQ_ENOTFOUND);
  assert_non_null(strstr(e.msg, "no backtest run"));
  assert_int_equal(count_runs(s), 1);
  a.info.id = 0;
  assert_int_equal(cq_store_put_run(s, &a, &e), 0);
  assert_true(a.info.id > b.info.id);
  assert_int_equal(count_runs(s), 2);

  /* a run with no trades and no equity points */
  cq_run empty = {0};
  snprintf(empty.info.strategy, sizeof empty.info.strategy, "idle");
  snprintf(empty.info.engine, sizeof empty.info.engine, "vector");
  empty.info.total_return = NAN;
  assert_int_equal(cq_store_put_run(s, &empty, &e), 0);
  assert_int_equal(cq_store_get_run(s, empty.info.id, true, &got, &e), 0);
  assert_int_equal(got.ntrades, 0);
  assert_int_equal(got.npoints, 0);
  assert_string_equal(got.document, "");
  assert_true(isnan(got.info.total_return));
  cq_run_release(&got);
  cq_run_release(&b);
  cq_run_release(&a);
}

/* A put that fails part-way (the run row is written first, then a trade is refused by the
 * database) leaves nothing behind and does not hand out an id. */
static void test_backtest_run_put_is_atomic(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_run r;
  make_run(&r, "sma_cross");
  r.trades[2].seq = r.trades[0].seq; /* two trades with seq 1 */
  assert_int_not_equal(cq_store_put_run(s, &r, &e), 0);
  assert_int_equal(r.info.id, 0);
  assert_int_equal(count_runs(s), 0);
  r.trades[2].seq = 3;
  r.trades[1].symbol[0] = '\0'; /* the store refuses a trade without a symbol */
  assert_int_not_equal(cq_store_put_run(s, &r, &e), 0);
  assert_int_equal(r.info.id, 0);
  assert_int_equal(count_runs(s), 0);
  /* inside the caller's transaction, rolled back: nothing either */
  snprintf(r.trades[1].symbol, sizeof r.trades[1].symbol, "ETH/USDT");
  assert_int_equal(cq_store_begin(s, &e), 0);
  assert_int_equal(cq_store_put_run(s, &r, &e), 0);
  assert_int_equal(cq_store_rollback(s, &e), 0);
  assert_int_equal(count_runs(s), 0);
  /* and a good put still works afterwards */
  r.info.id = 0;
  assert_int_equal(cq_store_put_run(s, &r, &e), 0);
  assert_int_equal(count_runs(s), 1);
  /* checked before the store is touched */
  r.info.engine[0] = '\0';
  assert_int_equal(cq_store_put_run(s, &r, &e), CQ_EINVAL);
  snprintf(r.info.engine, sizeof r.info.engine, "event");
  r.time[3] = r.time[2];
  assert_int_equal(cq_store_put_run(s, &r, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "not increasing at point 3"));
  assert_int_equal(count_runs(s), 1);
  cq_run_release(&r);
}

/* --- optimization studies --------------------------------------------------------------- */

static void make_study(cq_study_info *x, const char *strategy) {
  *x = (cq_study_info){0};
  x->created_at = iso("2026-12-01T08:00:00.000000001Z");
  x->updated_at = x->created_at;
  snprintf(x->kind, sizeof x->kind, "optimize");
  snprintf(x->strategy, sizeof x->strategy, "%s", strategy);
  snprintf(x->sampler, sizeof x->sampler, "tpe");
  snprintf(x->objective, sizeof x->objective, "sharpe");
  snprintf(x->venue, sizeof x->venue, "binance");
  snprintf(x->symbols, sizeof x->symbols, "BTC/USDT,ETH/USDT");
  snprintf(x->timeframe, sizeof x->timeframe, "4h");
  x->from = iso("2022-01-01T00:00:00Z");
  x->to = iso("2024-01-01T00:00:00Z");
  snprintf(x->status, sizeof x->status, "running");
  x->best_trial = -1;
  x->best_value = NAN;
}

static void assert_same_study(const cq_study_info *a, const cq_study_info *b) {
  assert_int_equal(a->id, b->id);
  assert_int_equal(a->created_at, b->created_at);
  assert_int_equal(a->updated_at, b->updated_at);
  assert_string_equal(a->kind, b->kind);
  assert_string_equal(a->strategy, b->strategy);
  assert_string_equal(a->sampler, b->sampler);
  assert_string_equal(a->objective, b->objective);
  assert_string_equal(a->venue, b->venue);
  assert_string_equal(a->symbols, b->symbols);
  assert_string_equal(a->timeframe, b->timeframe);
  assert_int_equal(a->from, b->from);
  assert_int_equal(a->to, b->to);
  assert_string_equal(a->status, b->status);
  assert_int_equal(a->n_trials, b->n_trials);
  assert_int_equal(a->best_trial, b->best_trial);
  assert_true(same_bits(a->best_value, b->best_value));
}

/* Doubles a store that rounds, goes through text, drops the sign of zero or turns a NaN into
 * another NaN would change: a negative NaN with a payload, -0.0, subnormals, integers (which
 * SQLite likes to store as integers), the extremes. */
static double odd_double(size_t i) {
  static const uint64_t nan_bits = UINT64_C(0xfff8000000000123); /* -NaN, payload 0x123 */
  double nan;
  memcpy(&nan, &nan_bits, sizeof nan);
  switch (i % 9) {
    case 0:
      return nan;
    case 1:
      return -0.0;
    case 2:
      return 4.9e-324;
    case 3:
      return 1.0 / 3.0;
    case 4:
      return 3.0;
    case 5:
      return -1e308;
    case 6:
      return INFINITY;
    case 7:
      return NAN;
    default:
      return (double)i * 0.1;
  }
}

/* n trials numbered first, first + 1, ...; trial i has i % 4 parameters and i % 5 values,
 * all in one pool. */
static cq_study_trial *make_trials(int64_t first, size_t n, double **pool) {
  cq_study_trial *t = calloc(n ? n : 1, sizeof *t);
  *pool = calloc(n * 4 + 1, sizeof **pool);
  assert_non_null(t);
  assert_non_null(*pool);
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    cq_study_trial *x = &t[i];
    x->number = first + (int64_t)i;
    x->state = (int)(i % 3);
    x->value = odd_double(i);
    x->value2 = odd_double(i + 4);
    x->n_params = (int)(i % 4);
    for (int k = 0; k < x->n_params; k++) x->params[k] = odd_double(i + (size_t)k + 1);
    x->n_values = i % 5;
    x->values = x->n_values ? *pool + used : NULL;
    for (size_t k = 0; k < x->n_values; k++) x->values[k] = odd_double(i * 7 + k);
    used += x->n_values;
  }
  return t;
}

static void assert_same_trial(const cq_study_trial *a, const cq_study_trial *b) {
  assert_int_equal(a->number, b->number);
  assert_int_equal(a->state, b->state);
  assert_true(same_bits(a->value, b->value));
  assert_true(same_bits(a->value2, b->value2));
  assert_int_equal(a->n_params, b->n_params);
  for (int k = 0; k < a->n_params; k++) assert_true(same_bits(a->params[k], b->params[k]));
  assert_int_equal(a->n_values, b->n_values);
  for (size_t k = 0; k < a->n_values; k++) assert_true(same_bits(a->values[k], b->values[k]));
}

static size_t count_studies(cq_store *s) {
  cq_study_info *list = NULL;
  size_t n = 99;
  cq_error e;
  assert_int_equal(cq_store_list_studies(s, &list, &n, &e), 0);
  free(list);
  return n;
}

static int64_t stored_trials(cq_store *s, int64_t id) {
  cq_study st;
  cq_error e;
  assert_int_equal(cq_store_get_study(s, id, true, &st, &e), 0);
  assert_int_equal(st.info.n_trials, (int64_t)st.ntrials); /* one snapshot */
  int64_t n = (int64_t)st.ntrials;
  cq_study_release(&st);
  return n;
}

/* Create, read back, update, list newest first, delete, ids never given twice. */
static void test_studies(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  assert_int_equal(count_studies(s), 0);
  cq_study_info a, b;
  make_study(&a, "sma_cross");
  make_study(&b, "rsi_revert");
  a.n_trials = 77; /* ignored: a new study has none */
  const char *spec = "{\"params\":{\"fast\":[5,50]},\"note\":\"caf\xc3\xa9\"}";
  assert_int_equal(cq_store_put_study(s, &a, spec, &e), 0);
  assert_true(a.id > 0);
  assert_int_equal(a.n_trials, 0);
  assert_int_equal(cq_store_put_study(s, &b, NULL, &e), 0);
  assert_true(b.id > a.id);

  cq_study got;
  assert_int_equal(cq_store_get_study(s, a.id, true, &got, &e), 0);
  assert_same_study(&a, &got.info);
  assert_string_equal(got.spec, spec);
  assert_int_equal(got.ntrials, 0);
  cq_study_release(&got);
  assert_null(got.spec);
  assert_int_equal(cq_store_get_study(s, b.id, false, &got, &e), 0);
  assert_string_equal(got.spec, ""); /* NULL on create */
  assert_null(got.trials);
  cq_study_release(&got);

  /* update: every column but id, created_at and n_trials; spec kept when NULL */
  cq_study_info u = a;
  u.created_at = 1;
  u.n_trials = 5;
  u.updated_at += CQ_NS_PER_HOUR;
  snprintf(u.status, sizeof u.status, "done");
  snprintf(u.sampler, sizeof u.sampler, "grid");
  u.best_trial = 12;
  u.best_value = -0.0;
  u.to += CQ_NS_PER_HOUR;
  assert_int_equal(cq_store_put_study(s, &u, NULL, &e), 0);
  assert_int_equal(u.id, a.id);
  assert_int_equal(cq_store_get_study(s, a.id, false, &got, &e), 0);
  u.created_at = a.created_at;
  u.n_trials = 0;
  assert_same_study(&u, &got.info);
  assert_true(signbit(got.info.best_value));
  assert_string_equal(got.spec, spec);
  cq_study_release(&got);
  /* and replaced when given */
  assert_int_equal(cq_store_put_study(s, &u, "{}", &e), 0);
  assert_int_equal(cq_store_get_study(s, a.id, false, &got, &e), 0);
  assert_string_equal(got.spec, "{}");
  cq_study_release(&got);
  a = u;

  /* newest first */
  cq_study_info *list = NULL;
  size_t n = 0;
  assert_int_equal(cq_store_list_studies(s, &list, &n, &e), 0);
  assert_int_equal(n, 2);
  assert_same_study(&list[0], &b);
  assert_same_study(&list[1], &a);
  free(list);

  /* unknown ids, named */
  cq_study_info v = a;
  v.id = 987654;
  assert_int_equal(cq_store_put_study(s, &v, "{}", &e), CQ_ENOTFOUND);
  assert_non_null(strstr(e.msg, "no study 987654"));
  assert_int_equal(count_studies(s), 2);
  assert_int_equal(cq_store_get_study(s, 987654, true, &got, &e), CQ_ENOTFOUND);
  assert_non_null(strstr(e.msg, "no study 987654"));
  assert_null(got.spec);
  assert_int_equal(cq_store_delete_study(s, 987654, &e), CQ_ENOTFOUND);
  assert_non_null(strstr(e.msg, "no study 987654"));
  double *pool;
  cq_study_trial *t = make_trials(0, 3, &pool);
  assert_int_equal(cq_store_put_trials(s, 987654, t, 3, &e), CQ_ENOTFOUND);
  assert_non_null(strstr(e.msg, "no study 987654"));
  assert_int_equal(cq_store_put_trials(s, 987654, NULL, 0, &e), CQ_ENOTFOUND);

  /* checked before the store is touched */
  v = a;
  v.id = 0;
  v.kind[0] = '\0';
  assert_int_equal(cq_store_put_study(s, &v, NULL, &e), CQ_EINVAL);
  assert_int_equal(v.id, 0);
  v = a;
  v.strategy[0] = '\0';
  assert_int_equal(cq_store_put_study(s, &v, NULL, &e), CQ_EINVAL);

  /* delete takes the trials along; the id is not given again */
  assert_int_equal(cq_store_put_trials(s, a.id, t, 3, &e), 0);
  assert_int_equal(cq_store_delete_study(s, a.id, &e), 0);
  assert_int_equal(cq_store_get_study(s, a.id, true, &got, &e), CQ_ENOTFOUND);
  assert_int_equal(cq_store_delete_study(s, a.id, &e), CQ_ENOTFOUND);
  assert_int_equal(count_studies(s), 1);
  int64_t gone = a.id;
  a.id = 0;
  assert_int_equal(cq_store_put_study(s, &a, NULL, &e), 0);
  assert_true(a.id > b.id && a.id != gone);
  assert_int_equal(stored_trials(s, a.id), 0); /* none of the deleted study's */
  free(t);
  free(pool);
}

/* Trials appended in batches, read back by number with every double bit for bit. */
static void test_study_trials(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_study_info a;
  make_study(&a, "sma_cross");
  assert_int_equal(cq_store_put_study(s, &a, "{}", &e), 0);
  double *pool1, *pool2;
  cq_study_trial *t1 = make_trials(0, 20, &pool1);
  cq_study_trial *t2 = make_trials(20, 7, &pool2);
  /* the second batch out of order: stored by number all the same */
  cq_study_trial tmp = t2[0];
  t2[0] = t2[6];
  t2[6] = tmp;
  assert_int_equal(cq_store_put_trials(s, a.id, t1, 20, &e), 0);
  assert_int_equal(cq_store_put_trials(s, a.id, t2, 7, &e), 0);
  assert_int_equal(cq_store_put_trials(s, a.id, t1, 0, &e), 0); /* nothing */
  cq_study got;
  assert_int_equal(cq_store_get_study(s, a.id, true, &got, &e), 0);
  assert_int_equal(got.info.n_trials, 27);
  assert_int_equal(got.ntrials, 27);
  for (size_t i = 0; i < 20; i++) assert_same_trial(&t1[i], &got.trials[i]);
  assert_same_trial(&t2[6], &got.trials[20]);
  assert_same_trial(&t2[0], &got.trials[26]);
  for (size_t i = 1; i < 6; i++) assert_same_trial(&t2[i], &got.trials[20 + i]);
  /* the values sit in the one pool */
  for (size_t i = 0; i < got.ntrials; i++)
    if (got.trials[i].n_values) {
      assert_true(got.trials[i].values >= got.pool);
    } else {
      assert_null(got.trials[i].values);
    }
  cq_study_release(&got);
  assert_null(got.trials);
  assert_null(got.pool);
  /* without trials: the count only */
  assert_int_equal(cq_store_get_study(s, a.id, false, &got, &e), 0);
  assert_int_equal(got.info.n_trials, 27);
  assert_int_equal(got.ntrials, 0);
  assert_null(got.trials);
  cq_study_release(&got);
  /* an update of the study leaves its count alone */
  a.n_trials = 0;
  assert_int_equal(cq_store_put_study(s, &a, NULL, &e), 0);
  assert_int_equal(stored_trials(s, a.id), 27);
  /* another study's trials are its own: the same numbers are fine there */
  cq_study_info b;
  make_study(&b, "other");
  assert_int_equal(cq_store_put_study(s, &b, NULL, &e), 0);
  assert_int_equal(cq_store_put_trials(s, b.id, t1, 5, &e), 0);
  assert_int_equal(stored_trials(s, b.id), 5);
  assert_int_equal(stored_trials(s, a.id), 27);
  free(t1);
  free(t2);
  free(pool1);
  free(pool2);
}

/* A refused put writes nothing: the count stays, no row is half there, also inside the
 * caller's transaction (which stays usable). */
static void test_study_trials_refused(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_study_info a;
  make_study(&a, "sma_cross");
  assert_int_equal(cq_store_put_study(s, &a, NULL, &e), 0);
  double *pool;
  cq_study_trial *t = make_trials(0, 10, &pool);
  assert_int_equal(cq_store_put_trials(s, a.id, t, 5, &e), 0);
  /* 5..9 are new, 4 is stored: the one at the end of the batch */
  char want[96];
  snprintf(want, sizeof want, "study %lld: trial 4 ", (long long)a.id);
  assert_int_equal(cq_store_put_trials(s, a.id, t + 4, 6, &e), CQ_EEXIST);
  assert_non_null(strstr(e.msg, want));
  assert_int_equal(stored_trials(s, a.id), 5);
  /* twice in one batch */
  cq_study_trial twice[3] = {t[7], t[8], t[7]};
  assert_int_equal(cq_store_put_trials(s, a.id, twice, 3, &e), CQ_EEXIST);
  snprintf(want, sizeof want, "study %lld: trial 7 ", (long long)a.id);
  assert_non_null(strstr(e.msg, want));
  assert_int_equal(stored_trials(s, a.id), 5);
  /* malformed trials */
  cq_study_trial bad = t[6];
  bad.n_params = CQ_STUDY_MAX_PARAMS + 1;
  assert_int_equal(cq_store_put_trials(s, a.id, &bad, 1, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "trial 6"));
  bad.n_params = -1;
  assert_int_equal(cq_store_put_trials(s, a.id, &bad, 1, &e), CQ_EINVAL);
  bad = t[6];
  bad.number = -3;
  assert_int_equal(cq_store_put_trials(s, a.id, &bad, 1, &e), CQ_EINVAL);
  bad = t[6];
  bad.n_values = 2;
  bad.values = NULL;
  assert_int_equal(cq_store_put_trials(s, a.id, &bad, 1, &e), CQ_EINVAL);
  bad.n_values = (size_t)CQ_STUDY_MAX_VALUES + 1;
  bad.values = pool;
  assert_int_equal(cq_store_put_trials(s, a.id, &bad, 1, &e), CQ_EINVAL);
  assert_int_equal(stored_trials(s, a.id), 5);

  /* inside a transaction: the refused put is undone alone, the rest commits */
  assert_int_equal(cq_store_begin(s, &e), 0);
  assert_int_equal(cq_store_put_trials(s, a.id, t + 5, 2, &e), 0);         /* 5, 6 */
  assert_int_equal(cq_store_put_trials(s, a.id, t + 6, 3, &e), CQ_EEXIST); /* 6 stored */
  assert_int_equal(cq_store_put_trials(s, 987654, t + 7, 1, &e), CQ_ENOTFOUND);
  assert_int_equal(cq_store_commit(s, &e), 0);
  assert_int_equal(stored_trials(s, a.id), 7);
  /* and rolled back: nothing of it */
  assert_int_equal(cq_store_begin(s, &e), 0);
  assert_int_equal(cq_store_put_trials(s, a.id, t + 7, 3, &e), 0);
  a.best_trial = 9;
  assert_int_equal(cq_store_put_study(s, &a, "{\"x\":1}", &e), 0);
  assert_int_equal(cq_store_rollback(s, &e), 0);
  cq_study got;
  assert_int_equal(cq_store_get_study(s, a.id, true, &got, &e), 0);
  assert_int_equal(got.ntrials, 7);
  assert_int_equal(got.info.n_trials, 7);
  assert_int_equal(got.info.best_trial, -1);
  assert_string_equal(got.spec, "");
  for (size_t i = 0; i < 7; i++) assert_same_trial(&t[i], &got.trials[i]);
  cq_study_release(&got);
  free(t);
  free(pool);
}

/* Ten thousand trials in one put, read back in one get, in a time an optimizer does not
 * notice (not asserted: timings are not tests). */
static void test_study_many_trials(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_study_info a;
  make_study(&a, "grid_big");
  assert_int_equal(cq_store_put_study(s, &a, NULL, &e), 0);
  enum { N = 10000 };
  double *pool;
  cq_study_trial *t = make_trials(0, N, &pool);
  assert_int_equal(cq_store_put_trials(s, a.id, t, N, &e), 0);
  /* a repeat at the very end of a large batch: all of it refused */
  double *pool2;
  cq_study_trial *more = make_trials(N, N, &pool2);
  more[N - 1].number = N / 2;
  assert_int_equal(cq_store_put_trials(s, a.id, more, N, &e), CQ_EEXIST);
  cq_study got;
  assert_int_equal(cq_store_get_study(s, a.id, true, &got, &e), 0);
  assert_int_equal(got.ntrials, N);
  assert_int_equal(got.info.n_trials, N);
  for (size_t i = 0; i < N; i++) assert_same_trial(&t[i], &got.trials[i]);
  cq_study_release(&got);
  more[N - 1].number = 2 * N - 1;
  assert_int_equal(cq_store_put_trials(s, a.id, more, N, &e), 0);
  assert_int_equal(stored_trials(s, a.id), 2 * N);
  /* one trial larger than a write buffer: 2.4 MB of values between two small ones */
  enum { BIG = 300000 };
  double *big = malloc(BIG * sizeof *big);
  assert_non_null(big);
  for (size_t i = 0; i < BIG; i++) big[i] = odd_double(i);
  cq_study_trial three[3] = {t[1], t[2], t[3]};
  for (int i = 0; i < 3; i++) three[i].number = 2 * N + i;
  three[1].n_values = BIG;
  three[1].values = big;
  assert_int_equal(cq_store_put_trials(s, a.id, three, 3, &e), 0);
  assert_int_equal(cq_store_get_study(s, a.id, true, &got, &e), 0);
  assert_int_equal(got.ntrials, 2 * N + 3);
  for (int i = 0; i < 3; i++) assert_same_trial(&three[i], &got.trials[2 * N + i]);
  cq_study_release(&got);
  free(big);
  free(t);
  free(pool);
  free(more);
  free(pool2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_migrated_schema, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_write_read_roundtrip, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_reimport_and_revisions, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_list_series_coverage, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_instruments, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_gaps_and_bounds, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_trades, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_batch_repeats, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_put_is_atomic, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_trade_repeats, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_feature_frames, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_backtest_runs, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_backtest_run_put_is_atomic, store_setup,
                                      store_teardown),
      cmocka_unit_test_setup_teardown(test_studies, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_study_trials, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_study_trials_refused, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_study_many_trials, store_setup, store_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
