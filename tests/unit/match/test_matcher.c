/* The matching engine against hand-worked bars and trades: gaps through stops, limits at
 * the high, volume caps across bars, venue rules, post-only, IOC/FOK, stop-limit, OCO and
 * trade data. Instrument: tick 0.01, lot 0.001, min notional 5 USDT; fees 0.1 % taker,
 * 0.05 % maker unless a test says otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/match.h"

#define HOUR CQ_NS_PER_HOUR
#define T0 INT64_C(1704067200000000000) /* 2024-01-01T00:00Z */

/* A one-instrument account: quote cash and base position, with every fill and event kept. */
typedef struct account {
  cq_dec cash, pos;
  cq_fill fills[16];
  int n_fills;
  cq_order_event events[32];
  int n_events;
} account;

static void acc_basis(void *ctx, const cq_order *o, double price, cq_size_basis *out) {
  account *a = ctx;
  (void)o;
  out->cash = a->cash;
  out->position = a->pos;
  out->equity = cq_dec_to_double(a->cash) + cq_dec_to_double(a->pos) * price;
}

static int acc_fill(void *ctx, cq_order *o, const cq_fill *f, cq_error *err) {
  account *a = ctx;
  (void)o;
  cq_dec notional;
  int rc = cq_fill_notional(f->price, f->qty, &notional, err);
  if (rc) return rc;
  if (f->side == CQ_SIDE_BUY) {
    rc = cq_dec_sub(a->cash, notional, &a->cash, err);
    if (!rc) rc = cq_dec_sub(a->cash, f->fee, &a->cash, err);
    if (!rc) rc = cq_dec_add(a->pos, f->qty, &a->pos, err);
  } else {
    rc = cq_dec_add(a->cash, notional, &a->cash, err);
    if (!rc) rc = cq_dec_sub(a->cash, f->fee, &a->cash, err);
    if (!rc) rc = cq_dec_sub(a->pos, f->qty, &a->pos, err);
  }
  a->fills[a->n_fills++] = *f;
  return rc;
}

static int acc_event(void *ctx, cq_order *o, cq_order_event ev, cq_error *err) {
  account *a = ctx;
  a->events[a->n_events++] = ev;
  return cq_order_transition(o->state, ev, &o->state, err);
}

typedef struct fixture {
  account acc;
  cq_instrument ins;
  cq_match_config cfg;
  cq_matcher *m;
} fixture;

static void setup_fx(fixture *fx, const char *cash, const char *pos) {
  memset(fx, 0, sizeof *fx);
  strcpy(fx->ins.venue, "binance");
  strcpy(fx->ins.symbol, "BTC/USDT");
  strcpy(fx->ins.base, "BTC");
  strcpy(fx->ins.quote, "USDT");
  fx->ins.tick = CQ_DEC(1, 2);
  fx->ins.lot = CQ_DEC(1, 3);
  fx->ins.min_notional = CQ_DEC(5, 0);
  cq_match_config_default(&fx->cfg);
  fx->cfg.maker_fee = CQ_DEC(5, 4);
  assert_int_equal(cq_dec_parse_cstr(cash, &fx->acc.cash, NULL), CQ_OK);
  assert_int_equal(cq_dec_parse_cstr(pos, &fx->acc.pos, NULL), CQ_OK);
}

static void start(fixture *fx) {
  cq_match_hooks h = {.ctx = &fx->acc, .basis = acc_basis, .fill = acc_fill, .event = acc_event};
  cq_error err;
  assert_int_equal(cq_matcher_new(&fx->cfg, &fx->ins, 1, &h, &fx->m, &err), CQ_OK);
}

static cq_dec D(const char *s) {
  cq_dec d;
  assert_int_equal(cq_dec_parse_cstr(s, &d, NULL), CQ_OK);
  return d;
}

static void order(cq_order *o, uint64_t id, cq_side side, cq_order_type type, cq_tif tif,
                  const char *qty, const char *price, const char *stop) {
  memset(o, 0, sizeof *o);
  o->id = id;
  snprintf(o->client_id, sizeof o->client_id, "t-%d", (int)id);
  o->side = side;
  o->type = type;
  o->tif = tif;
  o->size = (cq_size){.kind = CQ_SIZE_QTY, .value = 0};
  o->qty = D(qty);
  o->filled = CQ_DEC(0, 0);
  if (price) o->price = D(price);
  if (stop) o->stop = D(stop);
  o->state = CQ_OS_SUBMITTED;
  o->active_at = T0;
}

static cq_candle bar(int i, double o, double h, double l, double c, double v) {
  return (cq_candle){.open_time = T0 + i * HOUR,
                     .open = o,
                     .high = h,
                     .low = l,
                     .close = c,
                     .volume = v,
                     .closed = true};
}

static void add(fixture *fx, cq_order *o) {
  cq_error err;
  assert_int_equal(cq_matcher_add(fx->m, o, &err), CQ_OK);
}

static void run_bar(fixture *fx, const cq_candle *b) {
  cq_error err;
  int rc = cq_matcher_bar(fx->m, 0, b, &err);
  if (rc) fail_msg("%s", err.msg);
}

static void assert_dec(cq_dec got, const char *want) {
  if (!cq_dec_eq(got, D(want))) {
    char s[CQ_DEC_STRMAX];
    cq_dec_format(got, s, sizeof s);
    fail_msg("got %s, want %s", s, want);
  }
}

/* ---- stops -------------------------------------------------------------------------- */

/* Sell stop 95 on 1 BTC; the bar opens at 90, below it: fills at the open, 90, as a
 * taker. Fee 90 x 1 x 0.001 = 0.09. Cash 0 + 90 - 0.09 = 89.91. */
static void test_gap_through_stop(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "0", "1");
  start(&fx);
  cq_order o;
  order(&o, 1, CQ_SIDE_SELL, CQ_ORDER_STOP, CQ_TIF_GTC, "1", NULL, "95");
  add(&fx, &o);
  cq_candle b = bar(0, 90, 92, 88, 91, 100);
  run_bar(&fx, &b);
  assert_int_equal(o.state, CQ_OS_FILLED);
  assert_int_equal(fx.acc.n_fills, 1);
  assert_dec(fx.acc.fills[0].price, "90");
  assert_dec(fx.acc.fills[0].fee, "0.09");
  assert_int_equal(fx.acc.fills[0].liquidity, CQ_LIQ_TAKER);
  assert_dec(fx.acc.cash, "89.91");
  cq_matcher_free(fx.m);
}

/* Without a gap: O 100 H 101 L 94 C 96. The high is nearer (1 < 6): path 100, 101, 94, 96;
 * the stop at 95 is reached on the way down and fills at 95 (fee 0.095). */
static void test_stop_on_the_path(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "0", "1");
  start(&fx);
  cq_order o;
  order(&o, 1, CQ_SIDE_SELL, CQ_ORDER_STOP, CQ_TIF_GTC, "1", NULL, "95");
  add(&fx, &o);
  cq_candle b = bar(0, 100, 101, 94, 96, 100);
  run_bar(&fx, &b);
  assert_int_equal(o.state, CQ_OS_FILLED);
  assert_dec(fx.acc.fills[0].price, "95");
  assert_dec(fx.acc.fills[0].fee, "0.095");
  cq_matcher_free(fx.m);
}

/* ---- limits ------------------------------------------------------------------------- */

/* Sell limit 105, bar O 100 H 105 L 99 C 104: the high only touches it, no fill; the
 * order rests (ACCEPTED). With touch_fill it fills at 105 as a maker:
 * fee 105 x 1 x 0.0005 = 0.0525. */
static void test_limit_at_the_high(void **state) {
  (void)state;
  for (int touch = 0; touch <= 1; touch++) {
    fixture fx;
    setup_fx(&fx, "0", "1");
    fx.cfg.touch_fill = touch;
    start(&fx);
    cq_order o;
    order(&o, 1, CQ_SIDE_SELL, CQ_ORDER_LIMIT, CQ_TIF_GTC, "1", "105", NULL);
    add(&fx, &o);
    cq_candle b = bar(0, 100, 105, 99, 104, 100);
    run_bar(&fx, &b);
    if (!touch) {
      assert_int_equal(o.state, CQ_OS_ACCEPTED);
      assert_int_equal(fx.acc.n_fills, 0);
      assert_int_equal(cq_matcher_open(fx.m, 0), 1);
    } else {
      assert_int_equal(o.state, CQ_OS_FILLED);
      assert_dec(fx.acc.fills[0].price, "105");
      assert_dec(fx.acc.fills[0].fee, "0.0525");
      assert_int_equal(fx.acc.fills[0].liquidity, CQ_LIQ_MAKER);
      assert_dec(fx.acc.cash, "104.9475");
    }
    cq_matcher_free(fx.m);
  }
}

/* Market buy of 3 with a cap of 10 % of the volume; every bar trades 10, so each bar fills
 * 1: at 100, 102, 101 (opens). Cash 10000 - 100.1 - 102.102 - 101.101 = 9696.697. */
static void test_volume_cap_across_bars(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "10000", "0");
  fx.cfg.max_volume_share = 0.1;
  start(&fx);
  cq_order o;
  order(&o, 1, CQ_SIDE_BUY, CQ_ORDER_MARKET, CQ_TIF_GTC, "3", NULL, NULL);
  add(&fx, &o);
  cq_candle b0 = bar(0, 100, 101, 99, 100, 10), b1 = bar(1, 102, 103, 101, 102, 10),
            b2 = bar(2, 101, 102, 100, 101, 10);
  run_bar(&fx, &b0);
  assert_int_equal(o.state, CQ_OS_PARTIAL);
  assert_dec(o.filled, "1");
  run_bar(&fx, &b1);
  assert_int_equal(o.state, CQ_OS_PARTIAL);
  run_bar(&fx, &b2);
  assert_int_equal(o.state, CQ_OS_FILLED);
  assert_int_equal(fx.acc.n_fills, 3);
  assert_dec(fx.acc.fills[1].price, "102");
  assert_dec(fx.acc.fills[2].price, "101");
  assert_dec(fx.acc.cash, "9696.697");
  assert_dec(fx.acc.pos, "3");
  assert_dec(o.filled_quote, "303");
  cq_matcher_free(fx.m);
}

/* Market buy of 0.04 at 100: notional 4 < 5, rejected with the venue's words. */
static void test_min_notional_rejected(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "10000", "0");
  start(&fx);
  cq_order o;
  order(&o, 1, CQ_SIDE_BUY, CQ_ORDER_MARKET, CQ_TIF_GTC, "0.04", NULL, NULL);
  add(&fx, &o);
  cq_candle b = bar(0, 100, 101, 99, 100, 10);
  run_bar(&fx, &b);
  assert_int_equal(o.state, CQ_OS_REJECTED);
  assert_non_null(strstr(o.reason, "min notional"));
  assert_int_equal(fx.acc.n_fills, 0);
  assert_dec(fx.acc.cash, "10000");
  assert_int_equal(cq_matcher_open(fx.m, 0), 0);
  cq_matcher_free(fx.m);
}

/* Post-only buy at 101 arriving on a bar that opens at 100 would take: rejected. */
static void test_post_only_would_cross(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "10000", "0");
  start(&fx);
  cq_order o;
  order(&o, 1, CQ_SIDE_BUY, CQ_ORDER_LIMIT, CQ_TIF_POST_ONLY, "1", "101", NULL);
  add(&fx, &o);
  cq_candle b = bar(0, 100, 102, 99, 100, 10);
  run_bar(&fx, &b);
  assert_int_equal(o.state, CQ_OS_REJECTED);
  assert_string_equal(o.reason, "post-only order would cross");
  assert_int_equal(fx.acc.n_fills, 0);
  cq_matcher_free(fx.m);
}

/* Buy limit 101 for 3, marketable at the open 100, cap 10 % of volume 10 = 1:
 * IOC fills 1 at 100 (taker, fee 0.1) and the rest expires; FOK fills nothing. */
static void test_ioc_fok_remainders(void **state) {
  (void)state;
  for (int fok = 0; fok <= 1; fok++) {
    fixture fx;
    setup_fx(&fx, "10000", "0");
    fx.cfg.max_volume_share = 0.1;
    start(&fx);
    cq_order o;
    order(&o, 1, CQ_SIDE_BUY, CQ_ORDER_LIMIT, fok ? CQ_TIF_FOK : CQ_TIF_IOC, "3", "101", NULL);
    add(&fx, &o);
    cq_candle b = bar(0, 100, 102, 99, 100, 10);
    run_bar(&fx, &b);
    assert_int_equal(o.state, CQ_OS_EXPIRED);
    if (!fok) {
      assert_int_equal(fx.acc.n_fills, 1);
      assert_dec(fx.acc.fills[0].price, "100");
      assert_dec(fx.acc.fills[0].fee, "0.1");
      assert_dec(o.filled, "1");
      assert_dec(fx.acc.cash, "9899.9");
    } else {
      assert_int_equal(fx.acc.n_fills, 0);
      assert_dec(fx.acc.cash, "10000");
    }
    cq_matcher_free(fx.m);
  }
}

/* IOC buy limit 99 on a bar opening at 100 is not marketable on arrival: expires unfilled
 * even though the bar later trades down to 98. */
static void test_ioc_not_marketable(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "10000", "0");
  start(&fx);
  cq_order o;
  order(&o, 1, CQ_SIDE_BUY, CQ_ORDER_LIMIT, CQ_TIF_IOC, "1", "99", NULL);
  add(&fx, &o);
  cq_candle b = bar(0, 100, 101, 98, 100, 10);
  run_bar(&fx, &b);
  assert_int_equal(o.state, CQ_OS_EXPIRED);
  assert_int_equal(fx.acc.n_fills, 0);
  cq_matcher_free(fx.m);
}

/* Sell stop-limit, stop 95, limit 96. Bar 1 O 100 H 101 L 90 C 92 (path 100, 101, 90, 92):
 * triggers at 95; a sell limit at 96 is not marketable at 95, it rests; the price never
 * comes back above 96 in this bar. Bar 2 O 93 H 97 L 92 C 96: low nearer (1 < 4), path
 * 93, 92, 97, 96: above 96 on the way up, fills at 96 as a maker (fee 0.048). */
static void test_stop_limit(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "0", "1");
  start(&fx);
  cq_order o;
  order(&o, 1, CQ_SIDE_SELL, CQ_ORDER_STOP_LIMIT, CQ_TIF_GTC, "1", "96", "95");
  add(&fx, &o);
  cq_candle b1 = bar(0, 100, 101, 90, 92, 10), b2 = bar(1, 93, 97, 92, 96, 10);
  run_bar(&fx, &b1);
  assert_true(o.triggered);
  assert_int_equal(o.state, CQ_OS_ACCEPTED);
  assert_int_equal(fx.acc.n_fills, 0);
  run_bar(&fx, &b2);
  assert_int_equal(o.state, CQ_OS_FILLED);
  assert_dec(fx.acc.fills[0].price, "96");
  assert_dec(fx.acc.fills[0].fee, "0.048");
  assert_int_equal(fx.acc.fills[0].liquidity, CQ_LIQ_MAKER);
  cq_matcher_free(fx.m);
}

/* Stop 95 and take 105 on 1 BTC, one cancelling the other. O 100 H 106 L 99 C 104: low
 * nearer, path 100, 99, 106, 104: the take fills at 105 (maker, fee 0.0525), the stop is
 * cancelled at once. */
static void test_oco(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "0", "1");
  start(&fx);
  cq_order stop, take;
  order(&stop, 1, CQ_SIDE_SELL, CQ_ORDER_STOP, CQ_TIF_GTC, "1", NULL, "95");
  order(&take, 2, CQ_SIDE_SELL, CQ_ORDER_LIMIT, CQ_TIF_GTC, "1", "105", NULL);
  stop.oco = 2;
  take.oco = 1;
  add(&fx, &stop);
  add(&fx, &take);
  cq_candle b = bar(0, 100, 106, 99, 104, 10);
  run_bar(&fx, &b);
  assert_int_equal(take.state, CQ_OS_FILLED);
  assert_int_equal(stop.state, CQ_OS_CANCELLED);
  assert_non_null(strstr(stop.reason, "oco"));
  assert_int_equal(fx.acc.n_fills, 1);
  assert_dec(fx.acc.cash, "104.9475");
  assert_int_equal(cq_matcher_open(fx.m, -1), 0);
  cq_matcher_free(fx.m);
}

/* A cancel due at bar 1's open takes effect before bar 1 matches: the limit that bar 1
 * would fill stays unfilled. */
static void test_cancel_before_matching(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "10000", "0");
  start(&fx);
  cq_order o;
  order(&o, 1, CQ_SIDE_BUY, CQ_ORDER_LIMIT, CQ_TIF_GTC, "1", "95", NULL);
  add(&fx, &o);
  cq_candle b0 = bar(0, 100, 101, 99, 100, 10), b1 = bar(1, 100, 101, 90, 95, 10);
  run_bar(&fx, &b0);
  cq_error err;
  assert_int_equal(cq_matcher_cancel(fx.m, 1, T0 + HOUR, "test", &err), CQ_OK);
  run_bar(&fx, &b1);
  assert_int_equal(o.state, CQ_OS_CANCELLED);
  assert_int_equal(fx.acc.n_fills, 0);
  assert_int_equal(cq_matcher_cancel(fx.m, 1, T0 + HOUR, "again", &err), CQ_ENOTFOUND);
  cq_matcher_free(fx.m);
}

/* A sell of everything held with nothing held expires ("nothing to sell"). */
static void test_all_in_sell_nothing_held(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "100", "0");
  start(&fx);
  cq_order o;
  order(&o, 1, CQ_SIDE_SELL, CQ_ORDER_MARKET, CQ_TIF_GTC, "0", NULL, NULL);
  o.size = (cq_size){.kind = CQ_SIZE_ALL_IN};
  add(&fx, &o);
  cq_candle b = bar(0, 100, 101, 99, 100, 10);
  run_bar(&fx, &b);
  assert_int_equal(o.state, CQ_OS_EXPIRED);
  assert_string_equal(o.reason, "nothing to sell");
  cq_matcher_free(fx.m);
}

/* An all-in buy with 0.05 USDT at 100: 0.05 / 100.1 is under one lot (0.001): rejected,
 * not left working. */
static void test_all_in_buy_below_a_lot(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "0.05", "0");
  start(&fx);
  cq_order o;
  order(&o, 1, CQ_SIDE_BUY, CQ_ORDER_MARKET, CQ_TIF_GTC, "0", NULL, NULL);
  o.size = (cq_size){.kind = CQ_SIZE_ALL_IN};
  add(&fx, &o);
  cq_candle b = bar(0, 100, 101, 99, 100, 10);
  run_bar(&fx, &b);
  assert_int_equal(o.state, CQ_OS_REJECTED);
  assert_non_null(strstr(o.reason, "quantity"));
  assert_int_equal(cq_matcher_open(fx.m, 0), 0);
  cq_matcher_free(fx.m);
}

/* Two sell stops at 95 for 1 each with 1.5 held, reached at the same point: the lower id
 * fills first (1 at 95); the second then finds 0.5 held and expires with the venue's
 * words (it was accepted when it arrived, so not a reject). */
static void test_equal_trigger_id_order(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "0", "1.5");
  start(&fx);
  cq_order a, b;
  order(&a, 1, CQ_SIDE_SELL, CQ_ORDER_STOP, CQ_TIF_GTC, "1", NULL, "95");
  order(&b, 2, CQ_SIDE_SELL, CQ_ORDER_STOP, CQ_TIF_GTC, "1", NULL, "95");
  add(&fx, &b); /* added out of order: the book still goes by id at equal points */
  add(&fx, &a);
  cq_candle k = bar(0, 100, 101, 94, 96, 100);
  run_bar(&fx, &k);
  assert_int_equal(fx.acc.n_fills, 1);
  assert_int_equal(fx.acc.fills[0].order_id, 1);
  assert_int_equal(a.state, CQ_OS_FILLED);
  assert_int_equal(b.state, CQ_OS_EXPIRED);
  assert_non_null(strstr(b.reason, "insufficient balance"));
  assert_dec(fx.acc.pos, "0.5");
  cq_matcher_free(fx.m);
}

/* Slippage against the taker, then the tick grid against the taker: open 100.01 with
 * 25 bps, a buy pays 100.01 x 1.0025 = 100.260025 -> 100.27 (up), a sell gets
 * 100.01 x 0.9975 = 99.759975 -> 99.75 (down). */
static void test_bps_slippage(void **state) {
  (void)state;
  for (int sell = 0; sell <= 1; sell++) {
    fixture fx;
    setup_fx(&fx, "1000", "1");
    fx.cfg.slippage = (cq_slippage){CQ_SLIP_BPS, 25};
    start(&fx);
    cq_order o;
    order(&o, 1, sell ? CQ_SIDE_SELL : CQ_SIDE_BUY, CQ_ORDER_MARKET, CQ_TIF_GTC, "1", NULL, NULL);
    add(&fx, &o);
    cq_candle k = bar(0, 100.01, 101, 99, 100, 100);
    run_bar(&fx, &k);
    assert_int_equal(o.state, CQ_OS_FILLED);
    assert_dec(fx.acc.fills[0].price, sell ? "99.75" : "100.27");
    cq_matcher_free(fx.m);
  }
}

/* Square-root law, Y = 1: O 100 H 110 L 90, sigma = 20 / 100 = 0.2; a buy of 4 in a bar of
 * 100 takes sqrt(0.04) = 0.2 of it: 100 x (1 + 0.2 x 0.2) = 104. Fee 0.416. */
static void test_sqrt_slippage(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "1000", "0");
  fx.cfg.slippage = (cq_slippage){CQ_SLIP_SQRT, 1};
  start(&fx);
  cq_order o;
  order(&o, 1, CQ_SIDE_BUY, CQ_ORDER_MARKET, CQ_TIF_GTC, "4", NULL, NULL);
  add(&fx, &o);
  cq_candle k = bar(0, 100, 110, 90, 100, 100);
  run_bar(&fx, &k);
  assert_dec(fx.acc.fills[0].price, "104");
  assert_dec(fx.acc.fills[0].fee, "0.416");
  cq_matcher_free(fx.m);
}

/* A limit that reaches the book at 01:00 ignores bar 0 even though bar 0 trades through
 * it, and is still SUBMITTED; on bar 1 (O 100, L 94) it arrives, rests and fills at 95. */
static void test_not_active_before_its_time(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "1000", "0");
  start(&fx);
  cq_order o;
  order(&o, 1, CQ_SIDE_BUY, CQ_ORDER_LIMIT, CQ_TIF_GTC, "1", "95", NULL);
  o.active_at = T0 + HOUR;
  add(&fx, &o);
  cq_candle b0 = bar(0, 100, 101, 90, 96, 10), b1 = bar(1, 100, 101, 94, 96, 10);
  run_bar(&fx, &b0);
  assert_int_equal(o.state, CQ_OS_SUBMITTED);
  assert_int_equal(fx.acc.n_fills, 0);
  run_bar(&fx, &b1);
  assert_int_equal(o.state, CQ_OS_FILLED);
  assert_dec(fx.acc.fills[0].price, "95");
  assert_int_equal(fx.acc.fills[0].liquidity, CQ_LIQ_MAKER);
  cq_matcher_free(fx.m);
}

/* ---- trades ------------------------------------------------------------------------- */

static cq_trade trade(int sec, const char *price, const char *qty) {
  cq_trade t = {.time = T0 + sec * CQ_NS_PER_SEC,
                .price = D(price),
                .qty = D(qty),
                .taker_side = CQ_SIDE_SELL};
  return t;
}

/* A resting buy limit at 100 for 2: a print at 100.5 does nothing, one at exactly 100
 * does nothing either (no touch fill), 99.9 for 0.5 fills 0.5 at 100, 99.8 for 3 fills the
 * remaining 1.5 at 100. Maker fees: 0.025 and 0.075. */
static void test_trades_limited_by_quantity(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "1000", "0");
  start(&fx);
  cq_order o;
  order(&o, 1, CQ_SIDE_BUY, CQ_ORDER_LIMIT, CQ_TIF_GTC, "2", "100", NULL);
  add(&fx, &o);
  const char *px[] = {"101", "100.5", "100", "99.9", "99.8"};
  const char *qty[] = {"1", "5", "5", "0.5", "3"};
  cq_error err;
  for (int i = 0; i < 5; i++) {
    cq_trade t = trade(i, px[i], qty[i]);
    assert_int_equal(cq_matcher_trade(fx.m, 0, &t, &err), CQ_OK);
    if (i == 3) assert_int_equal(o.state, CQ_OS_PARTIAL);
  }
  assert_int_equal(o.state, CQ_OS_FILLED);
  assert_int_equal(fx.acc.n_fills, 2);
  assert_dec(fx.acc.fills[0].qty, "0.5");
  assert_dec(fx.acc.fills[0].price, "100");
  assert_dec(fx.acc.fills[0].fee, "0.025");
  assert_dec(fx.acc.fills[1].qty, "1.5");
  assert_dec(fx.acc.fills[1].fee, "0.075");
  /* 1000 - 50.025 - 150.075 */
  assert_dec(fx.acc.cash, "799.9");
  cq_matcher_free(fx.m);
}

/* A market buy of 2 on trade data: the first print is 0.8 at 100 (fills 0.8, taker, fee
 * 0.08), the next 5 at 101 fills the remaining 1.2 (fee 0.1212). */
static void test_market_on_trades(void **state) {
  (void)state;
  fixture fx;
  setup_fx(&fx, "1000", "0");
  start(&fx);
  cq_order o;
  order(&o, 1, CQ_SIDE_BUY, CQ_ORDER_MARKET, CQ_TIF_GTC, "2", NULL, NULL);
  add(&fx, &o);
  cq_trade t1 = trade(1, "100", "0.8"), t2 = trade(2, "101", "5");
  cq_error err;
  assert_int_equal(cq_matcher_trade(fx.m, 0, &t1, &err), CQ_OK);
  assert_int_equal(o.state, CQ_OS_PARTIAL);
  assert_int_equal(cq_matcher_trade(fx.m, 0, &t2, &err), CQ_OK);
  assert_int_equal(o.state, CQ_OS_FILLED);
  assert_dec(fx.acc.fills[0].fee, "0.08");
  assert_dec(fx.acc.fills[1].qty, "1.2");
  assert_dec(fx.acc.fills[1].fee, "0.1212");
  /* 1000 - 80.08 - 121.3212 */
  assert_dec(fx.acc.cash, "798.5988");
  cq_matcher_free(fx.m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gap_through_stop),
      cmocka_unit_test(test_stop_on_the_path),
      cmocka_unit_test(test_limit_at_the_high),
      cmocka_unit_test(test_volume_cap_across_bars),
      cmocka_unit_test(test_min_notional_rejected),
      cmocka_unit_test(test_post_only_would_cross),
      cmocka_unit_test(test_ioc_fok_remainders),
      cmocka_unit_test(test_ioc_not_marketable),
      cmocka_unit_test(test_stop_limit),
      cmocka_unit_test(test_oco),
      cmocka_unit_test(test_cancel_before_matching),
      cmocka_unit_test(test_all_in_sell_nothing_held),
      cmocka_unit_test(test_all_in_buy_below_a_lot),
      cmocka_unit_test(test_equal_trigger_id_order),
      cmocka_unit_test(test_bps_slippage),
      cmocka_unit_test(test_sqrt_slippage),
      cmocka_unit_test(test_not_active_before_its_time),
      cmocka_unit_test(test_trades_limited_by_quantity),
      cmocka_unit_test(test_market_on_trades),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
