/* The run JSON (cq_bt_to_json) and the HTML report and index built from it.
 *
 * The result is built by hand (a few bars, one trade, two fills) so every expected value
 * below is worked out from the inputs in the comments, not taken from the writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/backtest.h"
#include "cquant/jsonw.h"
#include "cquant/strategy.h"
#include "report_internal.h"

/* ---- a hand-made result ----------------------------------------------------------------- */

static cq_time day_time(int year, int month, int day) {
  cq_civil c = {.year = year, .month = month, .day = day};
  cq_time t = 0;
  assert_int_equal(cq_time_from_civil(&c, &t, NULL), 0);
  return t;
}

static void base_config(cq_bt_config *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->strategy, sizeof c->strategy, "%s", "no_such_strategy");
  c->params.n = 2;
  c->params.v[0] = 10;
  c->params.v[1] = 0.5;
  c->engine = CQ_BT_VECTOR;
  snprintf(c->venue, sizeof c->venue, "%s", "binance");
  c->n_symbols = 1;
  snprintf(c->symbols[0], sizeof c->symbols[0], "%s", "BTC/USDT");
  c->instruments[0].tick = (cq_dec){1, 2}; /* 0.01 */
  c->instruments[0].lot = (cq_dec){1, 5};  /* 0.00001 */
  c->tf = (cq_timeframe){1, CQ_TF_DAY};
  c->from = day_time(2024, 1, 30);
  c->to = day_time(2024, 2, 3);
  c->initial_cash = (cq_dec){1000, 0};
  snprintf(c->quote, sizeof c->quote, "%s", "USDT");
  c->size.kind = CQ_SIZE_ALL_IN;
  c->match.maker_fee = (cq_dec){1, 3}; /* 0.001 */
  c->match.taker_fee = (cq_dec){2, 3}; /* 0.002 */
  c->match.slippage = (cq_slippage){CQ_SLIP_BPS, 2};
  c->match.order_latency = (cq_latency){1, 0};
}

/* The fields the writer reads, allocated here and freed by free_result: result.c belongs to
 * another part of the module. */
static void make_result(cq_bt_result *r, size_t n) {
  memset(r, 0, sizeof *r);
  base_config(&r->config);
  r->n_bars = n;
  r->time = calloc(n, sizeof *r->time);
  r->equity = calloc(n, sizeof *r->equity);
  r->cash = calloc(n, sizeof *r->cash);
  r->exposure = calloc(n, sizeof *r->exposure);
  r->benchmark = calloc(n, sizeof *r->benchmark);
  assert_non_null(r->time);
  assert_non_null(r->equity);
  assert_non_null(r->cash);
  assert_non_null(r->exposure);
  assert_non_null(r->benchmark);
}

static void free_result(cq_bt_result *r) {
  free(r->time);
  free(r->equity);
  free(r->cash);
  free(r->exposure);
  free(r->benchmark);
  free(r->fills);
  free(r->trades);
}

/* Four daily bars, Jan 30 .. Feb 2 2024: equity 1000, 1100, 990, 1089. */
static void small_result(cq_bt_result *r) {
  make_result(r, 4);
  static const double eq[] = {1000, 1100, 990, 1089};
  static const double cash[] = {1000, 0.25, 0.25, 1000.5};
  static const double bench[] = {1000, 1050, NAN, 1010};
  for (size_t i = 0; i < 4; i++) {
    r->time[i] = day_time(2024, 1, 30) + (cq_time)i * CQ_NS_PER_DAY;
    r->equity[i] = eq[i];
    r->cash[i] = cash[i];
    r->exposure[i] = 1.0 - cash[i] / eq[i];
    r->benchmark[i] = bench[i];
  }
  r->fills = calloc(2, sizeof *r->fills);
  r->trades = calloc(1, sizeof *r->trades);
  assert_non_null(r->fills);
  assert_non_null(r->trades);
  r->n_fills = r->cap_fills = 2;
  r->fills[0] = (cq_bt_fill){.time = r->time[1],
                             .symbol = 0,
                             .side = CQ_SIDE_BUY,
                             .price = 43251.17,
                             .qty = 0.0231,
                             .fee = 0.00099910,
                             .liquidity = CQ_LIQ_TAKER,
                             .order_id = 1,
                             .strategy = 0};
  r->fills[1] = (cq_bt_fill){.time = r->time[3] + 250 * CQ_NS_PER_MS,
                             .symbol = 0,
                             .side = CQ_SIDE_SELL,
                             .price = 1e-8,
                             .qty = 0.0231,
                             .fee = 0,
                             .liquidity = CQ_LIQ_MAKER,
                             .order_id = 3,
                             .strategy = 0};
  r->n_trades = r->cap_trades = 1;
  r->trades[0] = (cq_bt_trade){.symbol = 0,
                               .entry_time = r->time[1],
                               .exit_time = r->time[3],
                               .entry_bar = 1,
                               .exit_bar = 3,
                               .qty = 0.0231,
                               .entry_price = 43251.17,
                               .exit_price = 47000,
                               .fees = 2.5,
                               .pnl = 84.1,
                               .ret = 0.084,
                               .open = false};
  r->orders = 3;
  r->rejected = 1;
  r->metrics.start_equity = 1000;
  r->metrics.end_equity = 1089;
  r->metrics.total_return = 0.089;
  r->metrics.sharpe = NAN;
  r->metrics.profit_factor = INFINITY;
  r->metrics.max_drawdown = 0.1;
  r->metrics.max_drawdown_ns = 2 * CQ_NS_PER_DAY;
  r->metrics.n_trades = 1;
}

static json_t *to_doc(const cq_bt_result *r, const cq_bt_data *d, size_t max_points, char **text) {
  cq_bt_json_options opt = {.max_points = max_points};
  size_t len = 0;
  cq_error err = {0};
  assert_int_equal(cq_bt_to_json_opts(r, d, &opt, text, &len, &err), 0);
  assert_int_equal(len, strlen(*text));
  json_error_t je;
  json_t *doc = json_loadb(*text, len, 0, &je);
  if (!doc) fail_msg("JSON does not parse: line %d: %s", je.line, je.text);
  return doc;
}

static double num_at(json_t *obj, const char *path1, const char *path2) {
  json_t *v = json_object_get(obj, path1);
  if (path2) v = json_object_get(v, path2);
  assert_true(json_is_number(v));
  return json_number_value(v);
}

static double arr_num(json_t *obj, const char *key, size_t i) {
  json_t *v = json_array_get(json_object_get(obj, key), i);
  assert_true(json_is_number(v));
  return json_number_value(v);
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void test_json_values(void **state) {
  (void)state;
  cq_bt_result r;
  small_result(&r);
  char *text = NULL;
  json_t *doc = to_doc(&r, NULL, 0, &text);

  json_t *cfg = json_object_get(doc, "config");
  assert_string_equal(json_string_value(json_object_get(cfg, "engine")), "vector");
  assert_string_equal(json_string_value(json_object_get(cfg, "tf")), "1d");
  assert_string_equal(json_string_value(json_object_get(cfg, "from")), "2024-01-30T00:00:00Z");
  assert_string_equal(json_string_value(json_object_get(cfg, "size")), "all");
  assert_string_equal(json_string_value(json_object_get(cfg, "fill_timing")), "next_open");
  assert_string_equal(json_string_value(json_object_get(cfg, "slippage")), "bps:2");
  assert_non_null(strstr(text, "\"latency\":{\"order\":\"1bar\",\"fill\":\"0ms\"}"));
  assert_non_null(strstr(text, "\"initial_cash\":1000,"));
  assert_non_null(strstr(text, "\"fees\":{\"maker\":0.001,\"taker\":0.002}"));
  assert_non_null(strstr(text, "\"tick\":0.01,\"lot\":0.00001,"));
  /* an unknown strategy: parameters by position */
  assert_true(num_at(cfg, "params", "p0") == 10);
  assert_true(num_at(cfg, "params", "p1") == 0.5);

  /* metrics: NaN and infinity have no JSON form */
  json_t *m = json_object_get(doc, "metrics");
  assert_true(json_is_null(json_object_get(m, "sharpe")));
  assert_true(json_is_null(json_object_get(m, "profit_factor")));
  assert_true(num_at(m, "total_return", NULL) == 0.089);
  assert_true(json_integer_value(json_object_get(m, "max_drawdown_ns")) == 172800000000000);
  assert_int_equal(json_object_size(m), 25); /* every field of cq_bt_metrics */

  /* fills: shortest exact text, times in ISO-8601 UTC (milliseconds when needed) */
  assert_non_null(strstr(text, "\"price\":43251.17,\"qty\":0.0231,\"fee\":0.0009991,"));
  assert_non_null(strstr(text, "\"time\":\"2024-02-02T00:00:00.250Z\""));
  json_t *f1 = json_array_get(json_object_get(doc, "fills"), 1);
  assert_true(num_at(f1, "price", NULL) == 1e-8);
  assert_string_equal(json_string_value(json_object_get(f1, "side")), "sell");
  assert_string_equal(json_string_value(json_object_get(f1, "liquidity")), "maker");

  json_t *t0 = json_array_get(json_object_get(doc, "trades"), 0);
  assert_string_equal(json_string_value(json_object_get(t0, "exit_time")), "2024-02-02T00:00:00Z");
  assert_true(num_at(t0, "pnl", NULL) == 84.1);
  assert_true(json_is_false(json_object_get(t0, "open")));

  json_t *run = json_object_get(doc, "run");
  assert_true(num_at(run, "orders", NULL) == 3);
  assert_true(num_at(run, "rejected", NULL) == 1);

  /* equity: four points; the benchmark's NaN is null */
  json_t *eq = json_object_get(doc, "equity");
  assert_int_equal(json_array_size(json_object_get(eq, "time")), 4);
  assert_true(arr_num(eq, "equity", 3) == 1089);
  assert_true(arr_num(eq, "cash", 1) == 0.25);
  assert_true(json_is_null(json_array_get(json_object_get(eq, "benchmark"), 2)));
  /* drawdown under the peak 1100: 1 - 990/1100 = 0.1, 1 - 1089/1100 = 0.01 */
  assert_true(arr_num(eq, "drawdown", 1) == 0);
  assert_true(fabs(arr_num(eq, "drawdown", 2) - 0.1) < 1e-12);
  assert_true(fabs(arr_num(eq, "drawdown", 3) - 0.01) < 1e-12);

  /* monthly: January ends at 1100 from 1000 (+10 %), February at 1089 (-1 %) */
  json_t *mo = json_object_get(doc, "monthly");
  assert_int_equal(json_array_size(mo), 2);
  assert_true(num_at(json_array_get(mo, 0), "year", NULL) == 2024);
  assert_true(num_at(json_array_get(mo, 0), "month", NULL) == 1);
  assert_true(fabs(num_at(json_array_get(mo, 0), "return", NULL) - 0.1) < 1e-12);
  assert_true(num_at(json_array_get(mo, 1), "month", NULL) == 2);
  assert_true(fabs(num_at(json_array_get(mo, 1), "return", NULL) + 0.01) < 1e-12);
  /* no candles given: no candles key */
  assert_null(json_object_get(doc, "candles"));

  json_decref(doc);
  free(text);
  free_result(&r);
}

static void test_json_deterministic(void **state) {
  (void)state;
  cq_bt_result r;
  small_result(&r);
  char *a = NULL, *b = NULL;
  size_t la = 0, lb = 0;
  assert_int_equal(cq_bt_to_json(&r, NULL, &a, &la, NULL), 0);
  assert_int_equal(cq_bt_to_json(&r, NULL, &b, &lb, NULL), 0);
  assert_int_equal(la, lb);
  assert_memory_equal(a, b, la);
  free(a);
  free(b);
  free_result(&r);
}

static void test_json_escapes(void **state) {
  (void)state;
  cq_bt_result r;
  small_result(&r);
  /* a quote, a backslash, a newline, a control character, a closing script tag and a byte
   * that is not UTF-8 */
  snprintf(r.config.strategy, sizeof r.config.strategy, "%s", "a\"b\\c\nd\x01</script>\xff");
  char *text = NULL;
  json_t *doc = to_doc(&r, NULL, 0, &text);
  assert_non_null(strstr(text, "\"strategy\":\"a\\\"b\\\\c\\nd\\u0001</script>\xEF\xBF\xBD\""));
  const char *s = json_string_value(json_object_get(json_object_get(doc, "config"), "strategy"));
  assert_string_equal(s, "a\"b\\c\nd\x01</script>\xEF\xBF\xBD");
  json_decref(doc);
  free(text);
  free_result(&r);
}

/* With a registry, a built-in strategy's parameters are keyed by their declared names. */
static void test_json_param_names(void **state) {
  (void)state;
  const cq_strategy_def *d = cq_strategy_at(0);
  if (!d) {
    skip();
    return;
  }
  cq_bt_result r;
  small_result(&r);
  snprintf(r.config.strategy, sizeof r.config.strategy, "%s", d->name);
  r.config.params.n = d->n_params;
  for (int i = 0; i < d->n_params; i++) r.config.params.v[i] = d->params[i].def;
  char *text = NULL;
  json_t *doc = to_doc(&r, NULL, 0, &text);
  json_t *p = json_object_get(json_object_get(doc, "config"), "params");
  assert_int_equal(json_object_size(p), (size_t)d->n_params);
  for (int i = 0; i < d->n_params; i++) assert_non_null(json_object_get(p, d->params[i].name));
  json_decref(doc);
  free(text);
  free_result(&r);
}

/* Ten bars, equity 1..10; candles o = i, h = i + 0.5, l = i - 0.5, c = i + 0.25, v = 1. */
static void ten_bars(cq_bt_result *r, cq_candles *c) {
  make_result(r, 10);
  cq_candles_init(c, 0);
  for (size_t i = 0; i < 10; i++) {
    r->time[i] = day_time(2024, 3, 1) + (cq_time)i * CQ_NS_PER_HOUR;
    r->equity[i] = (double)(i + 1);
    r->cash[i] = r->equity[i];
    double x = (double)(i + 1);
    cq_candle k = {.open_time = r->time[i],
                   .open = x,
                   .high = x + 0.5,
                   .low = x - 0.5,
                   .close = x + 0.25,
                   .volume = 1,
                   .quote_volume = NAN,
                   .trades = -1,
                   .closed = true};
    if (i == 4) k.high = 20; /* the high of the second bucket */
    assert_int_equal(cq_candles_push(c, &k), 0);
  }
  r->config.tf = (cq_timeframe){1, CQ_TF_HOUR};
}

static void test_json_downsample(void **state) {
  (void)state;
  cq_bt_result r;
  cq_candles c;
  ten_bars(&r, &c);
  cq_bt_data d = {.n_symbols = 1, .candles = {&c}};
  char *text = NULL;
  /* at most 4 points of 10: buckets of ceil(10 / 4) = 3 bars: [0..2] [3..5] [6..8] [9] */
  json_t *doc = to_doc(&r, &d, 4, &text);
  json_t *eq = json_object_get(doc, "equity");
  assert_int_equal(json_array_size(json_object_get(eq, "equity")), 4);
  /* the last point of each bucket: bars 2, 5, 8, 9 hold equity 3, 6, 9, 10 */
  assert_true(arr_num(eq, "equity", 0) == 3);
  assert_true(arr_num(eq, "equity", 1) == 6);
  assert_true(arr_num(eq, "equity", 2) == 9);
  assert_true(arr_num(eq, "equity", 3) == 10);
  assert_string_equal(json_string_value(json_array_get(json_object_get(eq, "time"), 1)),
                      "2024-03-01T05:00:00Z");
  json_t *cs = json_array_get(json_object_get(doc, "candles"), 0);
  assert_string_equal(json_string_value(json_object_get(cs, "symbol")), "BTC/USDT");
  assert_int_equal(json_array_size(json_object_get(cs, "o")), 4);
  /* second bucket, bars 3..5 (x = 4, 5, 6): open 4, high 20 (bar 4), low 3.5, close 6.25,
   * volume 3; its time is its first bar's open */
  assert_string_equal(json_string_value(json_array_get(json_object_get(cs, "time"), 1)),
                      "2024-03-01T03:00:00Z");
  assert_true(arr_num(cs, "o", 1) == 4);
  assert_true(arr_num(cs, "h", 1) == 20);
  assert_true(arr_num(cs, "l", 1) == 3.5);
  assert_true(arr_num(cs, "c", 1) == 6.25);
  assert_true(arr_num(cs, "v", 1) == 3);
  /* the last bucket holds bar 9 alone: x = 10 */
  assert_true(arr_num(cs, "o", 3) == 10);
  assert_true(arr_num(cs, "c", 3) == 10.25);
  json_decref(doc);
  free(text);

  /* without a limit, every bar */
  doc = to_doc(&r, &d, 0, &text);
  cs = json_array_get(json_object_get(doc, "candles"), 0);
  assert_int_equal(json_array_size(json_object_get(cs, "h")), 10);
  assert_true(arr_num(cs, "h", 4) == 20);
  assert_int_equal(json_array_size(json_object_get(json_object_get(doc, "equity"), "cash")), 10);
  json_decref(doc);
  free(text);
  cq_candles_release(&c);
  free_result(&r);
}

/* The writer's fast shortest-double text is exactly cq_format_double's: hand-picked values
 * (powers of two, ties, the ends of the plain range) and 50000 seeded random ones (and their
 * negatives) of every magnitude and of few digits. */
static uint64_t rng_next(uint64_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

static void check_same_text(double v) {
  char want[64], got[64];
  cq_format_double(v, want, sizeof want);
  cq_format_double_fast(v, got, sizeof got);
  if (strcmp(want, got) != 0) fail_msg("%.17g: cq_format_double %s, fast %s", v, want, got);
}

static void test_fast_double_text(void **state) {
  (void)state;
  static const double fixed[] = {0,
                                 -0.0,
                                 1,
                                 -1,
                                 0.5,
                                 0.1,
                                 0.2,
                                 0.3,
                                 2.5,
                                 0.125,
                                 1e-12,
                                 9.999999999999999e14,
                                 1e15,
                                 1e-13,
                                 43251.17,
                                 0.0231,
                                 0.0009991,
                                 1e-8,
                                 1024,
                                 0.0078125,
                                 123456789.123,
                                 10000.000000000002,
                                 5e-324,
                                 1.7976931348623157e308,
                                 NAN,
                                 INFINITY,
                                 -INFINITY,
                                 0.30000000000000004,
                                 1.005,
                                 2.675};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) check_same_text(fixed[i]);
  uint64_t x = 0x9E3779B97F4A7C15u;
  for (int i = 0; i < 50000; i++) {
    uint64_t r = rng_next(&x);
    double v;
    switch (i % 4) {
      case 0: /* any finite double */
        memcpy(&v, &r, sizeof v);
        if (!isfinite(v)) continue;
        break;
      case 1: /* a random mantissa across the plain range */
        v = ldexp((double)(r >> 11) / 9007199254740992.0, (int)(r % 100) - 45);
        break;
      case 2: /* prices with few decimals, as venues send them */
        v = (double)(r % 100000000) / 100.0;
        break;
      default: /* equity-like arithmetic results */
        v = 10000.0 * (1.0 + ((double)(r % 2000001) - 1000000.0) / 1e7) - 0.001 * (double)(r % 7);
        break;
    }
    check_same_text(v);
    check_same_text(-v);
  }
}

/* ---- HTML ---------------------------------------------------------------------------- */

/* Not inlined: GCC 12 at -O3 otherwise takes the memstream's buffer for a local that
 * dangles (-Wdangling-pointer false positive). */
__attribute__((noinline)) static char *html_of(const char *json, size_t len, int *rc,
                                               cq_error *err) {
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  assert_non_null(f);
  *rc = cq_bt_report_html(json, len, f, err);
  assert_int_equal(fclose(f), 0);
  return buf;
}

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

/* No network fetch: nothing of ours loads a URL (the library's own attribution link is a
 * plain link, inside its script). */
static void assert_offline(const char *html) {
  const char *lib = strstr(html, "<script id=\"cq-charts\">");
  assert_non_null(lib);
  const char *lib_end = strstr(lib, "</script>");
  assert_non_null(lib_end);
  static const char *const bad[] = {"src=\"http", "src='http", "src=http", "href=\"http",
                                    "href='http", "<link",     "@import",  "url(http",
                                    "<iframe",    "src=\"//",  "href=\"//"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    for (const char *p = strstr(html, bad[i]); p; p = strstr(p + 1, bad[i]))
      if (p < lib || p > lib_end) fail_msg("a network reference outside the library: %s", bad[i]);
  }
  assert_null(strstr(html, " src="));
}

static void test_html_report(void **state) {
  (void)state;
  cq_bt_result r;
  cq_candles c;
  ten_bars(&r, &c);
  snprintf(r.config.strategy, sizeof r.config.strategy, "%s", "x</script><b>y");
  cq_bt_data d = {.n_symbols = 1, .candles = {&c}};
  char *json = NULL;
  size_t len = 0;
  assert_int_equal(cq_bt_to_json(&r, &d, &json, &len, NULL), 0);
  int rc = 0;
  char *html = html_of(json, len, &rc, NULL);
  assert_int_equal(rc, 0);

  assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
  /* the embedded library: its global and its version */
  assert_non_null(strstr(html, "window.LightweightCharts="));
  assert_non_null(strstr(html, "Lightweight Charts"));
  /* the data block, and the title escaped as HTML */
  const char *open_tag = "<script type=\"application/json\" id=\"cq-run\">";
  const char *data = strstr(html, open_tag);
  assert_non_null(data);
  assert_non_null(strstr(html, "<title>x&lt;/script&gt;&lt;b&gt;y"));
  /* three script elements, each closed once: the strategy's "</script>" cannot close one */
  assert_int_equal(count(html, "<script"), 3);
  assert_int_equal(count(html, "</script>"), 3);
  data += strlen(open_tag);
  const char *end = strstr(data, "</script>");
  assert_non_null(end);
  assert_null(memchr(data, '<', (size_t)(end - data)));
  /* the block parses back to the run document */
  json_t *orig = json_loadb(json, len, 0, NULL),
         *embedded = json_loadb(data, (size_t)(end - data), 0, NULL);
  assert_non_null(orig);
  assert_non_null(embedded);
  assert_true(json_equal(orig, embedded));
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(embedded, "config"), "strategy")),
      "x</script><b>y");
  json_decref(orig);
  json_decref(embedded);
  assert_offline(html);
  /* our page script and its sections */
  assert_non_null(strstr(html, "id=\"equity-chart\""));
  assert_non_null(strstr(html, "id=\"monthly\""));
  assert_non_null(strstr(html, "JSON.parse(document.getElementById('cq-run').textContent)"));
  free(html);
  free(json);
  cq_candles_release(&c);
  free_result(&r);
}

static void test_html_rejects_bad_json(void **state) {
  (void)state;
  cq_error err = {0};
  int rc = 0;
  char *html = html_of("{\"config\": ", 11, &rc, &err);
  assert_int_equal(rc, CQ_EPARSE);
  assert_non_null(strstr(err.msg, "does not parse"));
  assert_string_equal(html, ""); /* nothing half-written */
  free(html);
  html = html_of("[1, 2]", 6, &rc, &err);
  assert_int_equal(rc, CQ_EINVAL);
  assert_non_null(strstr(err.msg, "not a cquant run document"));
  assert_string_equal(html, "");
  free(html);
}

static void test_html_index(void **state) {
  (void)state;
  cq_bt_result r;
  small_result(&r);
  char *a = NULL, *b = NULL;
  assert_int_equal(cq_bt_to_json(&r, NULL, &a, NULL, NULL), 0);
  r.metrics.total_return = -0.0525;
  r.metrics.sharpe = 1.5;
  assert_int_equal(cq_bt_to_json(&r, NULL, &b, NULL, NULL), 0);
  const char *titles[] = {"first <run>", "second"};
  const char *hrefs[] = {"runs/first.html", "runs/a\"b.html"};
  const char *jsons[] = {a, b};
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  assert_non_null(f);
  assert_int_equal(cq_bt_report_index(titles, hrefs, jsons, 2, f, NULL), 0);
  assert_int_equal(fclose(f), 0);
  assert_non_null(strstr(buf, "<a href=\"runs/first.html\">first &lt;run&gt;</a>"));
  assert_non_null(strstr(buf, "<a href=\"runs/a&quot;b.html\">second</a>"));
  /* total return 0.089 -> 8.90 %, -0.0525 -> -5.25 %; Sharpe null -> a dash, 1.5 -> 1.50 */
  assert_non_null(strstr(buf, ">8.90%<"));
  assert_non_null(strstr(buf, ">-5.25%<"));
  assert_non_null(strstr(buf, ">1.50<"));
  assert_non_null(strstr(buf, "data-v=\"1\">1</td>")); /* one trade, a count */
  assert_int_equal(count(buf, "<tr><td"), 2);
  assert_non_null(strstr(buf, "<td>BTC/USDT</td><td>1d</td>"));
  free(buf);

  /* a bad document: an error naming the run, nothing written */
  const char *bad[] = {a, "{}"};
  buf = NULL;
  f = open_memstream(&buf, &n);
  cq_error err = {0};
  assert_int_equal(cq_bt_report_index(titles, hrefs, bad, 2, f, &err), CQ_EINVAL);
  assert_int_equal(fclose(f), 0);
  assert_string_equal(buf, "");
  assert_non_null(strstr(err.msg, "run 2"));
  free(buf);
  free(a);
  free(b);
  free_result(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_values),     cmocka_unit_test(test_json_deterministic),
      cmocka_unit_test(test_json_escapes),    cmocka_unit_test(test_json_param_names),
      cmocka_unit_test(test_json_downsample), cmocka_unit_test(test_fast_double_text),
      cmocka_unit_test(test_html_report),     cmocka_unit_test(test_html_rejects_bad_json),
      cmocka_unit_test(test_html_index),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
