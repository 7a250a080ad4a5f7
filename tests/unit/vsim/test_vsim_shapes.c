/* The simulator's JSON has the shapes of Binance's own: every answer and message compared,
 * key by key and type by type, with a recorded Binance payload (tests/data/vsim/binance,
 * copies of the shared exchange payloads). Keys only futures have are left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cquant/vsim.h"
#include "internal.h"

static double num(const char *s) {
  return strtod(s, NULL);
}

#define KEY "shape"
#define SECRET "shape-secret"
#define T0 INT64_C(1735732800000)
#define DIR CQ_TEST_DATA "/vsim/binance/"

static bool same_kind(json_t *a, json_t *b) {
  if (!a || !b) return false;
  if (json_is_null(a) || json_is_null(b)) return true;
  if (json_is_boolean(a)) return json_is_boolean(b);
  if (json_is_number(a)) return json_is_number(b);
  return json_typeof(a) == json_typeof(b);
}

static bool excluded(const char *k, const char *const *skip) {
  for (; skip && *skip; skip++)
    if (!strcmp(*skip, k)) return true;
  return false;
}

/* sample and ours have the same keys (both ways, unless one_way: sample's in ours) and kinds. */
static void shape(json_t *sample, json_t *ours, const char *where, const char *const *skip,
                  bool one_way) {
  if (!sample || !ours) {
    fail_msg("%s: nothing to compare", where);
    return;
  }
  if (!same_kind(sample, ours))
    fail_msg("%s: Binance has a %d, the simulator a %d", where, json_typeof(sample),
             json_typeof(ours));
  char sub[256];
  if (json_is_object(sample)) {
    const char *k;
    json_t *v;
    json_object_foreach(sample, k, v) {
      if (excluded(k, skip)) continue;
      json_t *o = json_object_get(ours, k);
      snprintf(sub, sizeof sub, "%s.%s", where, k);
      if (!o) fail_msg("%s: missing in the simulator's answer", sub);
      shape(v, o, sub, skip, one_way);
    }
    if (!one_way) json_object_foreach(ours, k, v) {
        snprintf(sub, sizeof sub, "%s.%s", where, k);
        if (!json_object_get(sample, k)) fail_msg("%s: not in Binance's answer", sub);
      }
  } else if (json_is_array(sample) && json_array_size(sample) && json_array_size(ours)) {
    /* rows (klines) have a fixed length; lists of names (permission sets) do not */
    json_t *s0 = json_array_get(sample, 0), *o0 = json_array_get(ours, 0);
    bool row = false;
    for (size_t i = 0; json_is_array(s0) && i < json_array_size(s0); i++)
      if (!json_is_string(json_array_get(s0, i))) row = true;
    if (row && json_array_size(s0) != json_array_size(o0))
      fail_msg("%s[0]: %zu items, the simulator %zu", where, json_array_size(s0),
               json_array_size(o0));
    snprintf(sub, sizeof sub, "%s[0]", where);
    shape(json_array_get(sample, 0), json_array_get(ours, 0), sub, skip, one_way);
  }
}

static json_t *load(const char *name) {
  char path[512];
  snprintf(path, sizeof path, DIR "%s", name);
  json_error_t je;
  json_t *j = json_load_file(path, 0, &je);
  if (!j) fail_msg("%s: %s", path, je.text);
  return j;
}

static json_t *answer(cq_vsim *s, const char *method, const char *path, const char *params,
                      bool sign) {
  char q[1024];
  if (sign) {
    char sig[65];
    snprintf(q, sizeof q, "%s%stimestamp=%lld", params, *params ? "&" : "",
             (long long)cq_vsim_now_ms(s));
    vd_hmac_hex(SECRET, q, strlen(q), sig);
    size_t n = strlen(q);
    snprintf(q + n, sizeof q - n, "&signature=%s", sig);
  } else {
    snprintf(q, sizeof q, "%s", params);
  }
  cq_srv_response r;
  cq_vsim_handle(s, method, path, q, "", KEY, &r);
  if (r.status != 200) fail_msg("%s %s: %d %s", method, path, r.status, r.body);
  json_t *j = json_loads(r.body, 0, NULL);
  free(r.body);
  free(r.headers);
  return j;
}

static void check(cq_vsim *s, const char *file, const char *method, const char *path,
                  const char *params, bool sign, const char *const *skip, bool one_way) {
  json_t *sample = load(file), *ours = answer(s, method, path, params, sign);
  shape(sample, ours, file, skip, one_way);
  json_decref(sample);
  json_decref(ours);
}

static void test_rest_shapes(void **state) {
  (void)state;
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  static const cq_vsim_account acc[] = {{KEY, SECRET, "USDT=100000,BTC=5"}};
  o.accounts = acc;
  o.naccounts = 1;
  cq_vsim *s;
  assert_int_equal(cq_vsim_new(&o, &s, NULL), CQ_OK);
  cq_vsim_set_clock(s, T0);
  check(s, "ping_response.json", "GET", "/api/v3/ping", "", false, NULL, false);
  check(s, "server_time_response.json", "GET", "/api/v3/time", "", false, NULL, false);
  /* the sample lists order types and permission flags of newer API versions; the
     simulator offers what it simulates */
  static const char *const info_skip[] = {"sors", "opoAllowed", "pegInstructionsAllowed", NULL};
  check(s, "exchange_info_response.json", "GET", "/api/v3/exchangeInfo", "", false, info_skip,
        false);
  check(s, "klines_response.json", "GET", "/api/v3/klines", "symbol=BTCUSDT&interval=1m&limit=2",
        false, NULL, false);
  check(s, "depth_response.json", "GET", "/api/v3/depth", "symbol=BTCUSDT&limit=5", false, NULL,
        false);
  check(s, "trades_response.json", "GET", "/api/v3/trades", "symbol=BTCUSDT&limit=3", false, NULL,
        false);
  check(s, "book_ticker_response.json", "GET", "/api/v3/ticker/bookTicker", "symbol=BTCUSDT", false,
        NULL, false);
  check(s, "ticker_24hr_response.json", "GET", "/api/v3/ticker/24hr", "symbol=BTCUSDT", false, NULL,
        false);
  check(s, "new_order_full_response.json", "POST", "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.10000&newClientOrderId=sh-1", true, NULL,
        false);
  check(s, "account_response.json", "GET", "/api/v3/account", "", true, NULL, false);
  check(s, "account_trades_response.json", "GET", "/api/v3/myTrades", "symbol=BTCUSDT", true, NULL,
        false);
  check(s, "all_orders_response.json", "GET", "/api/v3/allOrders", "symbol=BTCUSDT", true, NULL,
        false);
  check(s, "avg_price_response.json", "GET", "/api/v3/avgPrice", "symbol=BTCUSDT", false, NULL,
        false);
  check(s, "ticker_price_response.json", "GET", "/api/v3/ticker/price", "symbol=BTCUSDT", false,
        NULL, false);
  check(s, "order_response.json", "GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=sh-1",
        true, NULL, false);
  json_t *t = answer(s, "GET", "/api/v3/ticker/bookTicker", "symbol=BTCUSDT", false);
  double bid = num(json_string_value(json_object_get(t, "bidPrice")));
  json_decref(t);
  char p[256];
  for (int i = 0; i < 2; i++) {
    snprintf(p, sizeof p,
             "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=%.2f&"
             "newClientOrderId=sh-rest-%d",
             bid * 0.95, i);
    json_decref(answer(s, "POST", "/api/v3/order", p, true));
  }
  check(s, "open_orders_response.json", "GET", "/api/v3/openOrders", "symbol=BTCUSDT", true, NULL,
        false);
  check(s, "cancel_order_response.json", "DELETE", "/api/v3/order",
        "symbol=BTCUSDT&origClientOrderId=sh-rest-0", true, NULL, false);
  /* the sample's list also holds an OCO list (not simulated): the orders only */
  json_t *sample = load("cancel_open_orders_response.json");
  json_t *ours = answer(s, "DELETE", "/api/v3/openOrders", "symbol=BTCUSDT", true);
  shape(json_array_get(sample, 0), json_array_get(ours, 0), "cancel_open_orders[0]", NULL, false);
  json_decref(sample);
  json_decref(ours);
  cq_vsim_free(s);
}

static void test_stream_shapes(void **state) {
  (void)state;
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  static const cq_vsim_account acc[] = {{KEY, SECRET, "USDT=100000"}};
  o.accounts = acc;
  o.naccounts = 1;
  vm_market m;
  assert_int_equal(vm_init(&m, &o, NULL), CQ_OK);
  vx_exchange *x;
  assert_int_equal(vx_new(&m, &o, &x, NULL), CQ_OK);
  vx_new_order r = {.account = 0,
                    .sym = 0,
                    .client_id = "st-1",
                    .side = CQ_SIDE_BUY,
                    .type = CQ_ORDER_MARKET,
                    .qty = CQ_DEC(1000, 5)};
  vx_order ord;
  vx_fill fl[4];
  size_t nf;
  vx_result res;
  assert_int_equal(vx_place(x, &r, T0, &ord, fl, 4, &nf, &res), CQ_OK);
  vx_event ev[16];
  size_t n = vx_events_take(x, ev, 16);
  vd_binance b;
  memset(&b, 0, sizeof b);
  b.mkt = &m;
  json_t *sample = load("execution_report_trade.json"), *ours = NULL;
  for (size_t i = 0; i < n && !ours; i++)
    if (ev[i].kind == VX_EV_ORDER && ev[i].has_fill) {
      char *msg = vd_binance_user_msg(&b, &ev[i]);
      ours = json_loads(msg, 0, NULL);
      free(msg);
    }
  assert_non_null(ours);
  shape(sample, ours, "executionReport", NULL, true);
  json_decref(sample);
  json_decref(ours);
  char *msg = vd_binance_user_msg(&b, &ev[n - 1]);
  ours = json_loads(msg, 0, NULL);
  free(msg);
  sample = load("account_position.json");
  shape(sample, ours, "outboundAccountPosition", NULL, false);
  json_decref(sample);
  json_decref(ours);
  /* market streams: the futures payloads, without what only futures have */
  static const char *const fut[] = {"st", "ps", "pu", "T", NULL};
  static const char *const fut_trade[] = {"st", NULL};
  vm_trade t[64];
  size_t nt = vm_trades_range(&m, 0, T0, T0 + 20000, t, 64);
  assert_true(nt > 0);
  msg = vd_binance_trade_msg(&m, 0, &t[0], T0 + 20000, false);
  ours = json_loads(msg, 0, NULL);
  free(msg);
  sample = load("trade_stream.json");
  shape(sample, ours, "trade", fut_trade, true);
  json_decref(sample);
  json_decref(ours);
  msg = vd_binance_trade_msg(&m, 0, &t[0], T0 + 20000, true);
  ours = json_loads(msg, 0, NULL);
  free(msg);
  sample = load("agg_trade_stream.json");
  shape(sample, ours, "aggTrade", fut_trade, true);
  json_decref(sample);
  json_decref(ours);
  vm_level bids[4], asks[4];
  vm_book(&m, 0, T0 / 100, bids, asks, 4);
  static const char *const fut_bt[] = {"st", "ps", "T", "e", "E", NULL}; /* spot: no e, E */
  msg = vd_binance_book_ticker_msg(&m, 0, T0 / 100, &bids[0], &asks[0]);
  ours = json_loads(msg, 0, NULL);
  free(msg);
  sample = load("book_ticker_stream.json");
  shape(sample, ours, "bookTicker", fut_bt, true);
  json_decref(sample);
  json_decref(ours);
  msg = vd_binance_depth_msg(&m, 0, 5, 9, T0, bids, 4, asks, 4);
  ours = json_loads(msg, 0, NULL);
  free(msg);
  sample = load("depth_update_stream.json");
  shape(sample, ours, "depthUpdate", fut, true);
  json_decref(sample);
  json_decref(ours);
  msg = vd_binance_kline_msg(&m, 0, "1m", 60000, T0, T0 + 30000);
  ours = json_loads(msg, 0, NULL);
  free(msg);
  sample = load("kline_stream_open.json");
  shape(sample, ours, "kline", NULL, false);
  json_decref(sample);
  json_decref(ours);
  vx_free(x);
  vm_release(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rest_shapes),
      cmocka_unit_test(test_stream_shapes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
