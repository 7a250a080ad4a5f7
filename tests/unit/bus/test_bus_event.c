/* Bus events: the binary encoding round-trips every kind exactly; decoding refuses a short
 * buffer, an unknown version and bad field values with CQ_EPARSE naming the field; every
 * truncation and every byte flip of a valid encoding gives an error or a valid event, never
 * a crash; the JSON form names the kind and the fields. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "book.h"
#include "cquant/bus.h"

static void head(cq_bus_event *e, cq_vev_kind k) {
  memset(e, 0, sizeof *e);
  e->kind = k;
  snprintf(e->venue, sizeof e->venue, "binance");
  snprintf(e->symbol, sizeof e->symbol, "BTC/USDT");
  e->id = 0xfedcba9876543210ull;
  e->event_time = 1700000000123000000;
  e->recv_time = 1700000000124500000;
  e->publish_time = -5;
}

static void sample(cq_bus_event *e, cq_vev_kind k) {
  head(e, k);
  switch (k) {
    case CQ_VEV_TRADE:
      e->u.trade.time = 1700000000123000000;
      e->u.trade.price = CQ_DEC(4321012, 2);
      e->u.trade.qty = CQ_DEC(-15, 18);
      e->u.trade.taker_side = CQ_SIDE_SELL;
      snprintf(e->u.trade.id, sizeof e->u.trade.id, "123456789012");
      break;
    case CQ_VEV_QUOTE:
      e->u.quote.bid = CQ_DEC(100, 1);
      e->u.quote.bid_qty = CQ_DEC(INT64_MAX, 0);
      e->u.quote.ask = CQ_DEC(INT64_MIN, 3);
      e->u.quote.ask_qty = CQ_DEC(7, 0);
      e->u.quote.update_id = UINT64_MAX;
      break;
    case CQ_VEV_KLINE:
      e->u.kline.tf = (cq_timeframe){15, CQ_TF_MINUTE};
      e->u.kline.candle = (cq_candle){.open_time = 1700000000000000000,
                                      .open = 1.5,
                                      .high = 2.25,
                                      .low = -0.0,
                                      .close = 1e300,
                                      .volume = 5e-324,
                                      .quote_volume = NAN,
                                      .trades = -1,
                                      .closed = true};
      break;
    case CQ_VEV_BOOK:
      e->u.book.seq = 99;
      e->u.book.nbids = CQ_BUS_BOOK_LEVELS;
      e->u.book.nasks = 3;
      for (int i = 0; i < CQ_BUS_BOOK_LEVELS; i++) {
        e->u.book.bid_px[i] = CQ_DEC(1000 - i, 1);
        e->u.book.bid_qty[i] = CQ_DEC(i + 1, 3);
      }
      for (int i = 0; i < 3; i++) {
        e->u.book.ask_px[i] = CQ_DEC(1001 + i, 1);
        e->u.book.ask_qty[i] = CQ_DEC(i + 7, 2);
      }
      break;
    case CQ_VEV_ORDER: {
      cq_venue_order *o = &e->u.order.order;
      snprintf(o->symbol, sizeof o->symbol, "BTC/USDT");
      snprintf(o->client_id, sizeof o->client_id, "strat-42");
      snprintf(o->venue_id, sizeof o->venue_id, "8888");
      o->side = CQ_SIDE_BUY;
      o->type = CQ_ORDER_STOP_LIMIT;
      o->tif = CQ_TIF_POST_ONLY;
      o->state = CQ_OS_PARTIAL;
      o->qty = CQ_DEC(5, 1);
      o->price = CQ_DEC(43000, 0);
      o->stop = CQ_DEC(42900, 0);
      o->filled = CQ_DEC(2, 1);
      o->filled_quote = CQ_DEC(86000, 1);
      o->created = 1;
      o->updated = 2;
      /* the longest reason the field holds */
      memset(o->reason, 'r', sizeof o->reason - 1);
      e->u.order.has_fill = true;
      cq_venue_fill *f = &e->u.order.fill;
      snprintf(f->symbol, sizeof f->symbol, "BTC/USDT");
      snprintf(f->trade_id, sizeof f->trade_id, "t-1");
      snprintf(f->venue_order_id, sizeof f->venue_order_id, "8888");
      f->side = CQ_SIDE_BUY;
      f->price = CQ_DEC(43000, 0);
      f->qty = CQ_DEC(2, 1);
      f->fee = CQ_DEC(1, 5);
      snprintf(f->fee_asset, sizeof f->fee_asset, "BNB");
      f->liquidity = CQ_LIQ_MAKER;
      f->time = 3;
      break;
    }
    case CQ_VEV_BALANCE:
      snprintf(e->u.balance.asset, sizeof e->u.balance.asset, "USDT");
      e->u.balance.free = CQ_DEC(123456, 2);
      e->u.balance.locked = CQ_DEC(0, 0);
      break;
    case CQ_VEV_STATUS:
      e->u.status.status = CQ_VST_BOOK_INVALID;
      snprintf(e->u.status.detail, sizeof e->u.status.detail, "gap 10..12 \"quoted\"");
      break;
    case CQ_VEV_TICKER:
      e->u.ticker.last = CQ_DEC(5, 0);
      e->u.ticker.vwap = CQ_DEC(51, 1);
      e->u.ticker.ask_qty = CQ_DEC(9, 9);
      e->u.ticker.open_time = 10;
      e->u.ticker.close_time = 20;
      e->u.ticker.trades = 77;
      break;
  }
}

static void test_roundtrip_every_kind(void **state) {
  (void)state;
  for (int k = CQ_VEV_TRADE; k <= CQ_VEV_TICKER; k++) {
    cq_bus_event e, d;
    sample(&e, (cq_vev_kind)k);
    uint8_t buf[CQ_BUS_ENCODED_MAX], buf2[CQ_BUS_ENCODED_MAX];
    size_t n = 0, n2 = 0;
    cq_error err;
    cq_error_clear(&err);
    assert_int_equal(cq_bus_encode(&e, buf, sizeof buf, &n, &err), 0);
    assert_int_equal(buf[0], CQ_BUS_VERSION);
    memset(&d, 0x5a, sizeof d);
    assert_int_equal(cq_bus_decode(buf, n, &d, &err), 0);
    assert_int_equal(d.kind, k);
    assert_string_equal(d.venue, "binance");
    assert_string_equal(d.symbol, "BTC/USDT");
    assert_true(d.id == e.id);
    assert_true(d.event_time == e.event_time && d.recv_time == e.recv_time);
    assert_true(d.publish_time == -5);
    /* every field: the decoded event encodes to the same bytes (struct padding makes a
     * byte compare of the structs meaningless) */
    assert_int_equal(cq_bus_encode(&d, buf2, sizeof buf2, &n2, &err), 0);
    assert_int_equal(n, n2);
    assert_memory_equal(buf, buf2, n);
    /* one byte short of the room it needs */
    assert_int_equal(cq_bus_encode(&e, buf2, n - 1, &n2, &err), CQ_ELIMIT);
  }
}

static void test_kline_doubles_exact(void **state) {
  (void)state;
  cq_bus_event e, d;
  sample(&e, CQ_VEV_KLINE);
  uint8_t buf[CQ_BUS_ENCODED_MAX];
  size_t n;
  assert_int_equal(cq_bus_encode(&e, buf, sizeof buf, &n, NULL), 0);
  assert_int_equal(cq_bus_decode(buf, n, &d, NULL), 0);
  assert_true(isnan(d.u.kline.candle.quote_volume));
  assert_true(signbit(d.u.kline.candle.low));
  assert_true(d.u.kline.candle.volume == 5e-324);
  assert_true(d.u.kline.candle.closed);
  assert_int_equal(d.u.kline.tf.n, 15);
}

static void test_order_without_fill(void **state) {
  (void)state;
  cq_bus_event e, d;
  sample(&e, CQ_VEV_ORDER);
  e.u.order.has_fill = false;
  memset(&e.u.order.fill, 0, sizeof e.u.order.fill);
  uint8_t buf[CQ_BUS_ENCODED_MAX];
  size_t n;
  assert_int_equal(cq_bus_encode(&e, buf, sizeof buf, &n, NULL), 0);
  assert_int_equal(cq_bus_decode(buf, n, &d, NULL), 0);
  assert_false(d.u.order.has_fill);
  assert_string_equal(d.u.order.order.reason, e.u.order.order.reason);
  assert_true(d.u.order.order.filled_quote.m == 86000 && d.u.order.order.filled_quote.scale == 1);
}

static void test_decode_errors(void **state) {
  (void)state;
  cq_bus_event e, d;
  sample(&e, CQ_VEV_TRADE);
  uint8_t buf[CQ_BUS_ENCODED_MAX];
  size_t n;
  cq_error err;
  assert_int_equal(cq_bus_encode(&e, buf, sizeof buf, &n, NULL), 0);

  buf[0] = 2;
  cq_error_clear(&err);
  assert_int_equal(cq_bus_decode(buf, n, &d, &err), CQ_EPARSE);
  assert_string_equal(err.field, "version");
  assert_non_null(strstr(err.msg, "unknown version 2"));
  buf[0] = CQ_BUS_VERSION;

  buf[1] = 8; /* kind */
  cq_error_clear(&err);
  assert_int_equal(cq_bus_decode(buf, n, &d, &err), CQ_EPARSE);
  assert_string_equal(err.field, "kind");
  buf[1] = CQ_VEV_TRADE;

  cq_error_clear(&err);
  assert_int_equal(cq_bus_decode(buf, 20, &d, &err), CQ_EPARSE);
  assert_non_null(strstr(err.msg, "buffer ends in field"));
  assert_true(err.field[0] != '\0');

  cq_error_clear(&err);
  assert_int_equal(cq_bus_decode(buf, 0, &d, &err), CQ_EPARSE);
  assert_string_equal(err.field, "version");

  /* trailing garbage */
  uint8_t big[CQ_BUS_ENCODED_MAX + 1];
  memcpy(big, buf, n);
  big[n] = 0;
  cq_error_clear(&err);
  assert_int_equal(cq_bus_decode(big, n + 1, &d, &err), CQ_EPARSE);
  assert_string_equal(err.field, "payload");

  /* a decimal scale over 18 */
  cq_bus_event bad = e;
  bad.u.trade.price.scale = 19;
  assert_int_equal(cq_bus_encode(&bad, buf, sizeof buf, &n, &err), CQ_EINVAL);
  assert_non_null(strstr(err.msg, "trade.price"));
  /* a string without its NUL */
  bad = e;
  memset(bad.venue, 'x', sizeof bad.venue);
  assert_int_equal(cq_bus_encode(&bad, buf, sizeof buf, &n, &err), CQ_EINVAL);
  assert_non_null(strstr(err.msg, "venue"));
  /* a bar length nothing else accepts, both ways */
  sample(&bad, CQ_VEV_KLINE);
  bad.u.kline.tf.n = 0;
  assert_int_equal(cq_bus_encode(&bad, buf, sizeof buf, &n, &err), CQ_EINVAL);
  bad.u.kline.tf.n = 15;
  assert_int_equal(cq_bus_encode(&bad, buf, sizeof buf, &n, &err), 0);
  /* tf.n sits right after the 8-byte publish_time of the header */
  size_t at = 2 + 1 + strlen(bad.venue) + 1 + strlen(bad.symbol) + sizeof(uint64_t) * 4;
  assert_int_equal(buf[at], 15);
  buf[at] = 13;
  buf[at + 4] = CQ_TF_MONTH;
  cq_error_clear(&err);
  assert_int_equal(cq_bus_decode(buf, n, &d, &err), CQ_EPARSE);
  assert_string_equal(err.field, "kline.tf.n");
  bad = e;
  bad.kind = (cq_vev_kind)42;
  assert_int_equal(cq_bus_encode(&bad, buf, sizeof buf, &n, &err), CQ_EINVAL);
}

/* Every truncation fails; every flip of one byte (all bits, and the low bit) fails cleanly
 * or decodes to an event that encodes again. */
static void test_fuzz_truncation_and_flips(void **state) {
  (void)state;
  for (int k = CQ_VEV_TRADE; k <= CQ_VEV_TICKER; k++) {
    cq_bus_event e, d;
    sample(&e, (cq_vev_kind)k);
    uint8_t buf[CQ_BUS_ENCODED_MAX], re[CQ_BUS_ENCODED_MAX];
    size_t n, rn;
    assert_int_equal(cq_bus_encode(&e, buf, sizeof buf, &n, NULL), 0);
    for (size_t len = 0; len < n; len++) {
      uint8_t *copy = malloc(len ? len : 1); /* exact size: asan sees any over-read */
      assert_non_null(copy);
      memcpy(copy, buf, len);
      cq_error err;
      cq_error_clear(&err);
      assert_int_equal(cq_bus_decode(copy, len, &d, &err), CQ_EPARSE);
      assert_true(err.field[0] != '\0');
      free(copy);
    }
    for (size_t i = 0; i < n; i++) {
      for (int m = 0; m < 2; m++) {
        uint8_t *copy = malloc(n);
        assert_non_null(copy);
        memcpy(copy, buf, n);
        copy[i] ^= m ? 0x01 : 0xff;
        int rc = cq_bus_decode(copy, n, &d, NULL);
        assert_true(rc == 0 || rc == CQ_EPARSE);
        if (rc == 0) assert_int_equal(cq_bus_encode(&d, re, sizeof re, &rn, NULL), 0);
        free(copy);
      }
    }
  }
}

static void test_json(void **state) {
  (void)state;
  for (int k = CQ_VEV_TRADE; k <= CQ_VEV_TICKER; k++) {
    cq_bus_event e;
    sample(&e, (cq_vev_kind)k);
    char *js = NULL;
    size_t n = 0;
    assert_int_equal(cq_bus_event_json(&e, &js, &n, NULL), 0);
    char want[64];
    snprintf(want, sizeof want, "\"kind\":\"%s\"", cq_bus_kind_name((cq_vev_kind)k));
    assert_non_null(strstr(js, want));
    assert_non_null(strstr(js, "\"id\":\"18364758544493064720\""));
    assert_true(n > 0 && js[n - 1] == '\n');
    if (k == CQ_VEV_TRADE) {
      assert_non_null(strstr(js, "\"price\":43210.12,"));
      assert_non_null(strstr(js, "\"taker_side\":\"sell\""));
    }
    if (k == CQ_VEV_STATUS) assert_non_null(strstr(js, "\\\"quoted\\\""));
    free(js);
  }
}

static void test_topic(void **state) {
  (void)state;
  char t[CQ_BUS_TOPIC_MAX];
  assert_int_equal(cq_bus_topic(t, sizeof t, "binance", "BTC/USDT", "trades", NULL), 0);
  assert_string_equal(t, "md.binance.BTC/USDT.trades");
  char small[8];
  cq_error err;
  assert_int_equal(cq_bus_topic(small, sizeof small, "binance", "BTC/USDT", "trades", &err),
                   CQ_ELIMIT);
}

static void test_from_venue(void **state) {
  (void)state;
  cq_venue_event ve;
  memset(&ve, 0, sizeof ve);
  ve.kind = CQ_VEV_TRADE;
  snprintf(ve.venue, sizeof ve.venue, "okx");
  snprintf(ve.symbol, sizeof ve.symbol, "ETH/USDT");
  ve.event_time = 5;
  ve.recv_time = 6;
  ve.u.trade.price = CQ_DEC(31005, 1);
  ve.u.trade.taker_side = CQ_SIDE_BUY;
  snprintf(ve.u.trade.id, sizeof ve.u.trade.id, "77");
  cq_bus_event e;
  cq_error err;
  assert_int_equal(cq_bus_event_from_venue(&ve, 0, &e, &err), CQ_EINVAL);
  assert_int_equal(cq_bus_event_from_venue(&ve, 9, &e, &err), 0);
  assert_int_equal(e.kind, CQ_VEV_TRADE);
  assert_string_equal(e.venue, "okx");
  assert_string_equal(e.symbol, "ETH/USDT");
  assert_true(e.id == 9 && e.event_time == 5 && e.recv_time == 6 && e.publish_time == 0);
  assert_true(e.u.trade.price.m == 31005);
  assert_string_equal(e.u.trade.id, "77");

  /* a book deeper than the event carries: the best 20 bids, all 3 asks */
  cq_l2book *b = NULL;
  assert_int_equal(cq_l2book_new(100, &b, &err), 0);
  for (int i = 0; i < 25; i++)
    assert_int_equal(cq_l2book_set(b, CQ_SIDE_BUY, CQ_DEC(3000 - i, 0), CQ_DEC(i + 1, 1), &err), 0);
  for (int i = 0; i < 3; i++)
    assert_int_equal(cq_l2book_set(b, CQ_SIDE_SELL, CQ_DEC(3001 + i, 0), CQ_DEC(2, 0), &err), 0);
  cq_l2book_set_seq(b, 1234);
  ve.kind = CQ_VEV_BOOK;
  ve.u.book = NULL;
  assert_int_equal(cq_bus_event_from_venue(&ve, 10, &e, &err), CQ_EINVAL);
  ve.u.book = b;
  assert_int_equal(cq_bus_event_from_venue(&ve, 10, &e, &err), 0);
  assert_int_equal(e.u.book.nbids, CQ_BUS_BOOK_LEVELS);
  assert_int_equal(e.u.book.nasks, 3);
  assert_true(e.u.book.seq == 1234);
  assert_true(e.u.book.bid_px[0].m == 3000 && e.u.book.bid_px[19].m == 2981);
  assert_true(e.u.book.ask_px[0].m == 3001 && e.u.book.ask_qty[2].m == 2);
  /* and it encodes */
  uint8_t buf[CQ_BUS_ENCODED_MAX];
  size_t n;
  assert_int_equal(cq_bus_encode(&e, buf, sizeof buf, &n, &err), 0);
  cq_l2book_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_every_kind),
      cmocka_unit_test(test_kline_doubles_exact),
      cmocka_unit_test(test_order_without_fill),
      cmocka_unit_test(test_decode_errors),
      cmocka_unit_test(test_fuzz_truncation_and_flips),
      cmocka_unit_test(test_json),
      cmocka_unit_test(test_topic),
      cmocka_unit_test(test_from_venue),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
