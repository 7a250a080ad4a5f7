/* The simulator serves klines and trades from the same trades: on every dialect, the REST
 * klines of a recent window (1m, 5m, 15m, the forming bar included) equal, decimal for
 * decimal, the candles built from the trades a client polls from the recent-trades endpoint
 * at the venue's own limit. Also: the trade rate is honoured, trade ids are unique and
 * increase with time, and the Binance <symbol>@ticker event decodes with the venue codec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "binance.h"
#include "cquant/data.h"
#include "cquant/vsim.h"
#include "vsim_impl.h"

#define T0_MS INT64_C(1735732800000) /* 2025-01-01T12:00:00Z */
#define POLL_MS INT64_C(10000)       /* at most 40 trades at 4 a second: under Bybit's 60 */
enum { MINUTES = 45 };

typedef struct dialect {
  const char *name;
  const char *trades_path, *trades_query; /* the query takes the symbol */
  const char *klines_path;
} dialect;

static const dialect dialects[] = {
    {"binance", "/api/v3/trades", "symbol=BTCUSDT&limit=100", "/api/v3/klines"},
    {"okx", "/api/v5/market/trades", "instId=BTC-USDT&limit=100", "/api/v5/market/candles"},
    {"bybit", "/v5/market/recent-trade", "category=spot&symbol=BTCUSDT&limit=60",
     "/v5/market/kline"},
};

static json_t *get(cq_vsim *s, const char *path, const char *query) {
  cq_srv_response r = {0};
  cq_vsim_handle_headers(s, "GET", path, query, "", NULL, &r);
  assert_int_equal(r.status == 0 ? 200 : r.status, 200);
  json_error_t je;
  json_t *j = json_loadb(r.body, r.body_len, 0, &je);
  if (!j) fail_msg("%s?%s: %s", path, query, je.text);
  free(r.body);
  free(r.headers);
  return j;
}

static cq_dec dec_of(json_t *v) {
  cq_dec d = {0};
  cq_error err = {0};
  if (!json_is_string(v) || cq_dec_parse_cstr(json_string_value(v), &d, &err))
    fail_msg("not a decimal string: %s", err.msg);
  return d;
}

static int64_t i64_of(json_t *v) {
  if (json_is_integer(v)) return (int64_t)json_integer_value(v);
  assert_true(json_is_string(v));
  return strtoll(json_string_value(v), NULL, 10);
}

/* The trades of one answer, oldest first, into t (unified fields). */
static void answer_trades(const dialect *d, json_t *j, cq_trades *t) {
  json_t *list = j;
  bool newest_first = false;
  const char *id = "id", *px = "price", *qty = "qty", *tm = "time";
  if (!strcmp(d->name, "okx")) {
    list = json_object_get(j, "data");
    newest_first = true;
    id = "tradeId", px = "px", qty = "sz", tm = "ts";
  } else if (!strcmp(d->name, "bybit")) {
    list = json_object_get(json_object_get(j, "result"), "list");
    newest_first = true;
    id = "execId", qty = "size";
  }
  assert_true(json_is_array(list));
  size_t n = json_array_size(list);
  for (size_t k = 0; k < n; k++) {
    json_t *o = json_array_get(list, newest_first ? n - 1 - k : k);
    cq_trade tr = {.taker_side = CQ_SIDE_BUY};
    tr.time = i64_of(json_object_get(o, tm)) * CQ_NS_PER_MS;
    tr.price = dec_of(json_object_get(o, px));
    tr.qty = dec_of(json_object_get(o, qty));
    snprintf(tr.id, sizeof tr.id, "%lld", (long long)i64_of(json_object_get(o, id)));
    assert_int_equal(cq_trades_push(t, &tr), 0);
  }
}

/* Polls recent trades every POLL_MS of simulator time from T0 to end, keeping each trade
 * once; every answer must reach back to the last trade already held (no hole). */
static void poll_trades(cq_vsim *s, const dialect *d, int64_t end, cq_trades *out) {
  int64_t last_id = -1;
  for (int64_t now = T0_MS + POLL_MS;; now += POLL_MS) {
    if (now > end) now = end;
    cq_vsim_set_clock(s, now);
    json_t *j = get(s, d->trades_path, d->trades_query);
    cq_trades a;
    cq_trades_init(&a, 0);
    answer_trades(d, j, &a);
    json_decref(j);
    assert_true(a.len > 0);
    bool overlap = last_id < 0;
    for (size_t k = 0; k < a.len; k++) {
      cq_trade t;
      cq_trades_get(&a, k, &t);
      int64_t id = strtoll(t.id, NULL, 10);
      assert_true(t.time < now * CQ_NS_PER_MS);
      if (id <= last_id) {
        overlap = true;
        continue;
      }
      if (k > 0) { /* in id order, ids growing with time */
        cq_trade p;
        cq_trades_get(&a, k - 1, &p);
        assert_true(strtoll(p.id, NULL, 10) < id && p.time <= t.time);
      }
      last_id = id;
      if (t.time >= T0_MS * CQ_NS_PER_MS) assert_int_equal(cq_trades_push(out, &t), 0);
    }
    assert_true(overlap);
    cq_trades_release(&a);
    if (now == end) break;
  }
}

/* The klines of [T0, end) of len minutes, oldest first: rows of open time, OHLC, volume and
 * quote volume. */
typedef struct kl {
  int64_t open;
  cq_dec o, h, l, c, v, q;
  int64_t n; /* trades; -1 when the venue does not say */
} kl;

static size_t get_klines(cq_vsim *s, const dialect *d, int minutes, int64_t end, kl *out,
                         size_t max) {
  char q[200];
  json_t *j, *rows;
  bool newest_first = true;
  if (!strcmp(d->name, "binance")) {
    snprintf(q, sizeof q, "symbol=BTCUSDT&interval=%dm&startTime=%lld&limit=1000", minutes,
             (long long)T0_MS);
    j = get(s, d->klines_path, q);
    rows = j;
    newest_first = false;
  } else if (!strcmp(d->name, "okx")) {
    snprintf(q, sizeof q, "instId=BTC-USDT&bar=%dm&limit=300", minutes);
    j = get(s, d->klines_path, q);
    rows = json_object_get(j, "data");
  } else {
    snprintf(q, sizeof q, "category=spot&symbol=BTCUSDT&interval=%d&start=%lld&limit=1000", minutes,
             (long long)T0_MS);
    j = get(s, d->klines_path, q);
    rows = json_object_get(json_object_get(j, "result"), "list");
  }
  assert_true(json_is_array(rows));
  size_t n = 0, all = json_array_size(rows);
  for (size_t k = 0; k < all; k++) {
    json_t *r = json_array_get(rows, newest_first ? all - 1 - k : k);
    int64_t open = i64_of(json_array_get(r, 0));
    if (open < T0_MS || open >= end) continue;
    assert_true(n < max);
    kl *x = &out[n++];
    x->open = open;
    x->o = dec_of(json_array_get(r, 1));
    x->h = dec_of(json_array_get(r, 2));
    x->l = dec_of(json_array_get(r, 3));
    x->c = dec_of(json_array_get(r, 4));
    x->v = dec_of(json_array_get(r, 5));
    x->q = dec_of(json_array_get(r, !strcmp(d->name, "binance") ? 7 : 6));
    x->n = !strcmp(d->name, "binance") ? i64_of(json_array_get(r, 8)) : -1;
  }
  json_decref(j);
  return n;
}

/* Σ qty and Σ price × qty of the trades in [from, to), in decimals. */
static void sums(const cq_trades *t, int64_t from, int64_t to, cq_dec *vol, cq_dec *quote,
                 int64_t *count) {
  *vol = CQ_DEC(0, 0);
  *quote = CQ_DEC(0, 0);
  *count = 0;
  cq_error err = {0};
  for (size_t k = 0; k < t->len; k++) {
    if (t->time[k] < from * CQ_NS_PER_MS || t->time[k] >= to * CQ_NS_PER_MS) continue;
    /* Binance pads to 8 digits: the sums work at the digits the values have */
    cq_dec p = cq_dec_normalize(t->price[k]), q = cq_dec_normalize(t->qty[k]);
    cq_dec pq = {0}, nq = {0}, nv = {0};
    if (cq_dec_mul(p, q, (unsigned)p.scale + q.scale, CQ_ROUND_UNNECESSARY, &pq, &err) ||
        cq_dec_add(*quote, pq, &nq, &err) || cq_dec_add(*vol, q, &nv, &err))
      fail_msg("%s", err.msg);
    *quote = nq;
    *vol = nv;
    (*count)++;
  }
}

static void check_dialect(const dialect *d) {
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  o.dialect = d->name;
  cq_vsim *s = NULL;
  cq_error err = {0};
  if (cq_vsim_new(&o, &s, &err)) fail_msg("%s", err.msg);
  /* the end lies inside a minute: the last 1m bar is still forming */
  const int64_t end = T0_MS + (int64_t)MINUTES * 60000 + 25000;
  cq_trades tr;
  cq_trades_init(&tr, 0);
  poll_trades(s, d, end, &tr);
  assert_true(tr.len > (size_t)MINUTES * 60);
  static const int mins[] = {1, 5, 15};
  for (size_t m = 0; m < 3; m++) {
    int64_t len = (int64_t)mins[m] * 60000;
    cq_candles agg;
    cq_candles_init(&agg, 0);
    cq_timeframe tf = {.n = (uint32_t)mins[m], .unit = CQ_TF_MINUTE};
    if (cq_aggregate_trades(&tr, tf, end * CQ_NS_PER_MS, &agg, &err)) fail_msg("%s", err.msg);
    kl k[64] = {{0}};
    size_t nk = get_klines(s, d, mins[m], end, k, 64);
    /* every bucket of the window, the forming one too */
    assert_int_equal(nk, (size_t)((end - T0_MS + len - 1) / len));
    assert_int_equal(agg.len, nk); /* every bucket here has trades */
    for (size_t i = 0; i < nk; i++) {
      cq_candle c;
      cq_candles_get(&agg, i, &c);
      assert_int_equal(k[i].open, c.open_time / CQ_NS_PER_MS);
      assert_int_equal(k[i].open, T0_MS + (int64_t)i * len);
      cq_dec vol = {0}, quote = {0};
      int64_t count = 0;
      sums(&tr, k[i].open, k[i].open + len < end ? k[i].open + len : end, &vol, &quote, &count);
      if (!cq_dec_eq(k[i].v, vol) || !cq_dec_eq(k[i].q, quote)) {
        char a[CQ_DEC_STRMAX], b[CQ_DEC_STRMAX], e[CQ_DEC_STRMAX], f[CQ_DEC_STRMAX];
        cq_dec_format(k[i].v, a, sizeof a);
        cq_dec_format(vol, b, sizeof b);
        cq_dec_format(k[i].q, e, sizeof e);
        cq_dec_format(quote, f, sizeof f);
        fail_msg("%s %dm bar %zu: volume %s vs %s, quote %s vs %s", d->name, mins[m], i, a, b, e,
                 f);
      }
      if (k[i].n >= 0) assert_int_equal(k[i].n, count);
      assert_int_equal(c.trades, count);
      /* the doubles a client's live candles hold are the klines' decimals parsed */
      assert_true(c.open == cq_dec_to_double(k[i].o) && c.high == cq_dec_to_double(k[i].h) &&
                  c.low == cq_dec_to_double(k[i].l) && c.close == cq_dec_to_double(k[i].c));
      assert_true(c.volume == cq_dec_to_double(k[i].v));
      assert_true(c.quote_volume == cq_dec_to_double(k[i].q));
    }
    cq_candles_release(&agg);
  }
  cq_trades_release(&tr);
  cq_vsim_free(s);
}

static void test_binance_klines_are_trades(void **state) {
  (void)state;
  check_dialect(&dialects[0]);
}

static void test_okx_klines_are_trades(void **state) {
  (void)state;
  check_dialect(&dialects[1]);
}

static void test_bybit_klines_are_trades(void **state) {
  (void)state;
  check_dialect(&dialects[2]);
}

static void test_trade_rate(void **state) {
  (void)state;
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  cq_error err = {0};
  vm_market m;
  o.trade_rate = VSIM_MAX_TRADE_RATE + 1;
  assert_int_equal(vm_init(&m, &o, &err), CQ_EINVAL);
  assert_non_null(strstr(err.msg, "trade rate"));
  o.trade_rate = 50;
  if (vm_init(&m, &o, &err)) fail_msg("%s", err.msg);
  enum { SECS = 120, MAX = 50 * SECS };
  vm_trade *t = malloc((size_t)MAX * sizeof *t);
  assert_non_null(t);
  size_t n = vm_trades_range(&m, 0, T0_MS, T0_MS + (int64_t)SECS * 1000, t, MAX);
  int per[SECS] = {0}, top = 0;
  for (size_t i = 0; i < n; i++) {
    int64_t sec = (t[i].time_ms - T0_MS) / 1000;
    assert_true(sec >= 0 && sec < SECS);
    if (++per[sec] > top) top = per[sec];
    if (i) assert_true(t[i].id > t[i - 1].id && t[i].time_ms >= t[i - 1].time_ms);
  }
  assert_true(top <= 50);
  assert_true(top > VM_TRADES_PER_SEC); /* the rate is more than the default */
  /* a page that ends inside a second resumes after its last trade */
  vm_trade pg[7];
  size_t got = 0;
  int64_t after = -1;
  for (size_t k;
       (k = vm_trades_after(&m, 0, T0_MS, T0_MS + (int64_t)SECS * 1000, after, pg, 7)) > 0;) {
    for (size_t i = 0; i < k; i++) assert_int_equal(pg[i].id, t[got + i].id);
    got += k;
    after = pg[k - 1].id;
  }
  assert_int_equal(got, n);
  /* a window opening inside a second: the trades from its start on */
  size_t first = 0;
  while (first < n && t[first].time_ms < T0_MS + 1333) first++;
  assert_int_equal(vm_trades_after(&m, 0, T0_MS + 1333, T0_MS + 2000, -1, pg, 1), 1);
  assert_int_equal(pg[0].id, t[first].id);
  /* the 1m candle is their sum */
  cq_candle c;
  assert_true(vm_candle(&m, 0, T0_MS, 60000, T0_MS + 60000, &c));
  int64_t cnt = 0;
  for (size_t i = 0; i < n; i++) cnt += t[i].time_ms < T0_MS + 60000;
  assert_int_equal(c.trades, cnt);
  free(t);
  vm_release(&m);
}

/* A minute with no trade at all (a gap covers its trades but not the minute): zero volume at
 * the last price. */
static void test_empty_bucket(void **state) {
  (void)state;
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  o.ngaps = 1;
  o.gaps[0].from_ms = T0_MS - 1000; /* the minute from T0 - 1 s to T0 + 59 s: no trades */
  o.gaps[0].to_ms = T0_MS + 59500;  /* the minute is not all gap: it has a candle */
  cq_error err = {0};
  vm_market m;
  if (vm_init(&m, &o, &err)) fail_msg("%s", err.msg);
  cq_candle c, before;
  vm_kx x;
  assert_true(vm_candle_x(&m, 0, T0_MS, 60000, T0_MS + 120000, &c, &x));
  assert_true(x.exact);
  assert_true(c.volume == 0 && c.trades == 0 && c.open == c.close && c.high == c.low);
  assert_true(vm_candle(&m, 0, T0_MS - 60000, 60000, T0_MS + 120000, &before));
  assert_true(before.trades > 0 && c.open == before.close);
  vm_release(&m);
}

static void test_binance_ticker_stream(void **state) {
  (void)state;
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  cq_vsim *s = NULL;
  cq_error err = {0};
  if (cq_vsim_new(&o, &s, &err)) fail_msg("%s", err.msg);
  int64_t now = T0_MS + 12345;
  cq_vsim_set_clock(s, now);
  char *msg = vd_binance_ticker_msg(&s->bin, 0, now);
  assert_non_null(msg);
  cq_bn_symbols *syms = NULL;
  if (cq_bn_symbols_new(&s->mkt.syms[0].ins, 1, &syms, &err)) fail_msg("%s", err.msg);
  cq_bn_msg m;
  cq_bn_msg_init(&m);
  if (cq_bn_parse_stream(msg, strlen(msg), syms, now * CQ_NS_PER_MS, &m, &err))
    fail_msg("%s: %s", msg, err.msg);
  assert_int_equal(m.kind, CQ_BN_MSG_TICKER);
  assert_string_equal(m.ev.symbol, "BTC/USDT");
  const cq_ticker *t = &m.ev.u.ticker;
  assert_true(cq_dec_sign(t->last) > 0 && cq_dec_sign(t->volume) > 0);
  assert_true(cq_dec_cmp(t->low, t->high) <= 0);
  assert_int_equal(t->close_time, now * CQ_NS_PER_MS);
  /* the same fields as the REST ticker */
  json_t *rest = get(s, "/api/v3/ticker/24hr", "symbol=BTCUSDT"), *ev = json_loads(msg, 0, NULL);
  assert_non_null(ev);
  assert_string_equal(json_string_value(json_object_get(rest, "lastPrice")),
                      json_string_value(json_object_get(ev, "c")));
  assert_string_equal(json_string_value(json_object_get(rest, "volume")),
                      json_string_value(json_object_get(ev, "v")));
  json_decref(rest);
  json_decref(ev);
  cq_bn_msg_release(&m);
  cq_bn_symbols_free(syms);
  free(msg);
  cq_vsim_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_binance_klines_are_trades),
      cmocka_unit_test(test_okx_klines_are_trades),
      cmocka_unit_test(test_bybit_klines_are_trades),
      cmocka_unit_test(test_trade_rate),
      cmocka_unit_test(test_empty_bucket),
      cmocka_unit_test(test_binance_ticker_stream),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
