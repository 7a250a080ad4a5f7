/* Live candles over real-looking trades: the venue simulator's aggTrades for BTC/USDT over
 * 40 minutes, fed one by one, give for 1m, 5m and 15m the candles cq_aggregate_trades builds
 * from the same trades. (The simulator's klines under an hour are those aggregates too:
 * tests/unit/vsim/test_vsim_exact.c holds them to it.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "binance.h"
#include "cquant/ingest.h"
#include "cquant/vsim.h"

#define T0_MS INT64_C(1735732800000) /* 2025-01-01T12:00:00Z */
enum { MINUTES = 45 };               /* a whole number of 15m bars, all closed by the final tick */

/* The simulator's trades of [T0, T0 + MINUTES) paged by fromId. */
static void fetch_trades(cq_vsim *s, cq_trades *out) {
  const int64_t end_ms = T0_MS + (int64_t)MINUTES * 60000;
  char q[160];
  snprintf(q, sizeof q, "symbol=BTCUSDT&startTime=%lld&endTime=%lld&limit=1000", (long long)T0_MS,
           (long long)(T0_MS + 3599999));
  for (int page = 0; page < 100; page++) {
    cq_srv_response r = {0};
    cq_vsim_handle(s, "GET", "/api/v3/aggTrades", q, "", NULL, &r);
    assert_int_equal(r.status == 0 ? 200 : r.status, 200);
    cq_trades pg;
    cq_trades_init(&pg, 0);
    cq_error err = {0};
    if (cq_bn_parse_agg_trades(r.body, r.body_len, &pg, &err)) fail_msg("%s", err.msg);
    free(r.body);
    free(r.headers);
    bool done = pg.len == 0;
    for (size_t i = 0; i < pg.len; i++) {
      cq_trade t;
      cq_trades_get(&pg, i, &t);
      if (t.time >= end_ms * CQ_NS_PER_MS) {
        done = true;
        break;
      }
      assert_int_equal(cq_trades_push(out, &t), 0);
    }
    if (!done) {
      cq_trade last;
      cq_trades_get(&pg, pg.len - 1, &last);
      snprintf(q, sizeof q, "symbol=BTCUSDT&fromId=%lld&limit=1000",
               strtoll(last.id, NULL, 10) + 1);
    }
    cq_trades_release(&pg);
    if (done) return;
  }
  fail_msg("too many pages");
}

typedef struct sink {
  cq_timeframe tfs[3];
  cq_candles closed[3];
} sink;

static void on_candle(void *ctx, cq_timeframe tf, const cq_candle *c) {
  sink *s = ctx;
  if (!c->closed) return;
  for (int i = 0; i < 3; i++)
    if (s->tfs[i].n == tf.n && s->tfs[i].unit == tf.unit)
      assert_int_equal(cq_candles_push(&s->closed[i], c), 0);
}

static void test_vsim_trades(void **state) {
  (void)state;
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  cq_vsim *s = NULL;
  cq_error err = {0};
  if (cq_vsim_new(&o, &s, &err)) fail_msg("%s", err.msg);
  cq_vsim_set_clock(s, T0_MS + INT64_C(7200000));
  cq_trades tr;
  cq_trades_init(&tr, 0);
  fetch_trades(s, &tr);
  cq_vsim_free(s);
  assert_true(tr.len > (size_t)MINUTES * 60);

  sink k = {0};
  static const char *const names[] = {"1m", "5m", "15m"};
  for (int i = 0; i < 3; i++) {
    assert_int_equal(cq_timeframe_parse(names[i], &k.tfs[i], NULL), 0);
    cq_candles_init(&k.closed[i], 0);
  }
  cq_live_candles *lc;
  assert_int_equal(
      cq_live_candles_open("binance", "BTC/USDT", k.tfs, 3, on_candle, NULL, &k, &lc, NULL), 0);
  for (size_t i = 0; i < tr.len; i++) {
    cq_trade t;
    cq_trades_get(&tr, i, &t);
    bool late;
    assert_int_equal(cq_live_candles_add(lc, &t, &late, NULL), 0);
    assert_false(late);
  }
  cq_time end = (T0_MS + (int64_t)MINUTES * 60000) * CQ_NS_PER_MS;
  cq_live_candles_tick(lc, end);
  for (int i = 0; i < 3; i++) {
    cq_candles want;
    cq_candles_init(&want, 0);
    assert_int_equal(cq_aggregate_trades(&tr, k.tfs[i], end, &want, NULL), 0);
    assert_int_equal(k.closed[i].len, want.len);
    assert_int_equal(want.len, MINUTES / (int)k.tfs[i].n); /* the market trades every minute */
    for (size_t j = 0; j < want.len; j++) {
      cq_candle a, b;
      cq_candles_get(&k.closed[i], j, &a);
      cq_candles_get(&want, j, &b);
      assert_true(a.closed && b.closed);
      assert_true(memcmp(&a, &b, offsetof(cq_candle, closed)) == 0);
    }
    cq_candles_release(&want);
    cq_candles_release(&k.closed[i]);
  }
  cq_live_candles_close(lc);
  cq_trades_release(&tr);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_vsim_trades)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
