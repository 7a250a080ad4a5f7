/* The feature pipeline: parsing and its errors, versions, computing (against the indicator
 * library and hand-worked cases), and building into a store (no-op rebuilds, new versions
 * beside old ones, rebuilds when candles change). */
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

#include "cquant/data.h"
#include "cquant/features.h"
#include "cquant/ta.h"
#include "data_test_util.h"

static const char set_text[] =
    "# a set with every kind of feature\n"
    "name: trend\n"
    "features:\n"
    "  rsi14: rsi:14\n"
    "  bb_up: {ind: \"bbands:20,2\", output: upper}\n"
    "  ema_fast: ema:12\n"
    "  ema_slow: {ind: ema, params: {period: 26}}\n"
    "  gap: {diff: [ema_fast, ema_slow]}\n"
    "  rel: {ratio: [close, ema_slow]}\n"
    "  rsi_prev: {lag: rsi14, periods: 2}\n"
    "  rsi_z: {zscore: rsi14, window: 10}\n"
    "  rsi_smooth: {ind: \"sma:5\", input: rsi14}\n";

static cq_feature_set *parse(const char *text) {
  cq_feature_set *fs = NULL;
  cq_error e;
  cq_error_clear(&e);
  if (cq_feature_set_parse(text, strlen(text), "sets/trend.yaml", &fs, &e))
    fail_msg("parse: %s (line %d col %d)", e.msg, e.line, e.column);
  return fs;
}

/* Parsing must fail with this code, message part, line and field. */
static void bad(const char *text, const char *msg_part, int line, const char *field) {
  cq_feature_set *fs = NULL;
  cq_error e;
  cq_error_clear(&e);
  int rc = cq_feature_set_parse(text, strlen(text), "sets/x.yaml", &fs, &e);
  if (rc == 0) fail_msg("accepted: %s", text);
  assert_null(fs);
  if (!strstr(e.msg, msg_part)) fail_msg("message '%s' lacks '%s'", e.msg, msg_part);
  assert_string_equal(e.file, "sets/x.yaml");
  if (line && e.line != line) fail_msg("'%s': line %d, expected %d", e.msg, e.line, line);
  if (field) assert_string_equal(e.field, field);
}

static void test_parse_and_version(void **state) {
  (void)state;
  cq_feature_set *fs = parse(set_text);
  assert_string_equal(cq_feature_set_name(fs), "trend");
  assert_int_equal(cq_feature_set_count(fs), 9);
  assert_string_equal(cq_feature_set_feature(fs, 0), "rsi14");
  assert_string_equal(cq_feature_set_feature(fs, 8), "rsi_smooth");
  assert_int_equal(strlen(cq_feature_set_version(fs)), 16);
  assert_non_null(strstr(cq_feature_set_definition(fs), "ema_slow = ind ema(period=26)"));
  /* same definitions, other spelling: same version */
  cq_feature_set *same = parse(
      "features:\n"
      "  rsi14: {ind: rsi, params: \"period=14\"}   # spelled out\n"
      "  bb_up: {ind: bbands, params: {period: 20, nbdevup: 2, nbdevdn: 2, matype: 0}, output: "
      "upper}\n"
      "  ema_fast: {ind: EMA, params: 12}\n"
      "  ema_slow: ema:26\n"
      "  gap: {diff: [ema_fast, ema_slow]}\n"
      "  rel: {ratio: [close, ema_slow]}\n"
      "  rsi_prev: {lag: rsi14, periods: 2}\n"
      "  rsi_z: {zscore: rsi14, window: 10}\n"
      "  rsi_smooth: {ind: sma, params: 5, input: rsi14}\n");
  assert_string_equal(cq_feature_set_name(same), "trend"); /* from the file name */
  assert_string_equal(cq_feature_set_version(same), cq_feature_set_version(fs));
  /* one parameter changed: another version */
  cq_feature_set *other = parse("features:\n  rsi14: rsi:15\n");
  cq_feature_set *first = parse("features:\n  rsi14: rsi:14\n");
  assert_string_not_equal(cq_feature_set_version(other), cq_feature_set_version(first));
  cq_feature_set_free(other);
  cq_feature_set_free(first);
  cq_feature_set_free(same);
  cq_feature_set_free(fs);
}

static void test_parse_errors(void **state) {
  (void)state;
  bad("features:\n  a: rsii:14\n", "did you mean 'rsi'", 2, "features.a");
  bad("features:\n  a: rsi:0\n", "period", 2, "features.a");
  bad("features:\n  a: {ind: rsi, params: {perid: 3}}\n", "perid", 2, "features.a");
  bad("features:\n  a: bbands:20\n", "choose one", 2, "features.a");
  bad("features:\n  a: {ind: bbands, output: top}\n", "no output 'top'", 2, "features.a");
  bad("features:\n  a: rsi:14\n  b: {diff: [a, c]}\n", "unknown input 'c'", 3, "features.b");
  bad("features:\n  a: {lag: b}\n  b: rsi:14\n", "defined below", 2, "features.a");
  bad("features:\n  a: rsi:14\n  b: {lag: a, window: 3}\n", "periods", 3, "features.b");
  bad("features:\n  a: rsi:14\n  b: {zscore: a, window: 1}\n", "window", 3, "features.b");
  bad("features:\n  a: rsi:14\n  b: {difff: [a, a]}\n", "did you mean 'diff'", 3, "features.b");
  bad("features:\n  a: rsi:14\n  a: rsi:15\n", "", 0, NULL); /* duplicate key */
  bad("features:\n  close: rsi:14\n", "bar field", 2, "features.close");
  bad("features:\n  1x: rsi:14\n", "feature names", 2, NULL);
  bad("features:\n  a: {ind: atr, input: close}\n", "takes no input", 2, "features.a");
  bad("features:\n  a: {ind: rsi, diff: [close, open]}\n", "exactly one", 2, "features.a");
  bad("featurs:\n  a: rsi:14\n", "did you mean 'features'", 1, NULL);
  bad("name: trend\n", "features", 0, NULL);
  bad("features: [a, b\n", "malformed YAML", 0, NULL);
  bad("name: \"a b\"\nfeatures:\n  a: rsi:14\n", "letters", 1, NULL);
}

static void test_compute(void **state) {
  (void)state;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_time t0 = iso("2024-01-01T00:00:00Z");
  /* a path with a flat stretch, so zscore's constant window shows */
  static const double closes[] = {10, 11, 12, 11, 13, 14, 13, 15, 16, 15, 17, 18, 18, 18,
                                  18, 18, 18, 18, 18, 18, 18, 18, 19, 20, 21, 20, 22, 23,
                                  22, 24, 25, 24, 26, 27, 26, 28, 29, 28, 30, 31};
  size_t n = sizeof closes / sizeof closes[0];
  for (size_t i = 0; i < n; i++)
    push(&c, bar(t0 + (cq_time)i * CQ_NS_PER_HOUR, closes[i], closes[i] + 1, closes[i] - 1,
                 closes[i], 100 + (double)i));
  cq_feature_set *fs = parse(
      "features:\n"
      "  r: rsi:5\n"
      "  e: ema:3\n"
      "  d: {diff: [close, e]}\n"
      "  q: {ratio: [d, open]}\n"
      "  l: {lag: close, periods: 3}\n"
      "  z: {zscore: close, window: 4}\n"
      "  s: {ind: sma:2, input: l}\n");
  cq_feature_frame f;
  cq_error e;
  assert_int_equal(cq_feature_set_compute(fs, &c, &f, &e), 0);
  assert_int_equal(f.rows, n);
  assert_int_equal(f.n_features, 7);
  assert_string_equal(f.names[6], "s");
  assert_memory_equal(f.time, c.open_time, n * sizeof(cq_time));
  double *want = malloc(n * sizeof(double));
  assert_non_null(want);
  assert_int_equal(cq_ta_ema(c.close, n, 3, want, &e), 0);
  for (size_t i = 0; i < n; i++) {
    assert_true(isnan(want[i]) ? isnan(f.values[1][i]) : f.values[1][i] == want[i]);
    double d = c.close[i] - want[i];
    assert_true(isnan(d) ? isnan(f.values[2][i]) : f.values[2][i] == d);
    assert_true(isnan(d) ? isnan(f.values[3][i]) : f.values[3][i] == d / c.open[i]);
    if (i < 3)
      assert_true(isnan(f.values[4][i]));
    else
      assert_true(f.values[4][i] == closes[i - 3]);
  }
  /* zscore over 4: bars 0..2 NaN; bar 3: window 10,11,12,11 mean 11, var 0.5, z = 0 */
  for (int i = 0; i < 3; i++) assert_true(isnan(f.values[5][i]));
  assert_true(fabs(f.values[5][3] - 0.0) < 1e-12);
  /* bar 4: 11,12,11,13 mean 11.75, var (0.5625+0.0625+0.5625+1.5625)/4 = 0.6875 */
  assert_true(fabs(f.values[5][4] - (13 - 11.75) / sqrt(0.6875)) < 1e-12);
  /* bars 14..21 sit in a run of 18s: constant windows give 0 */
  assert_true(f.values[5][16] == 0.0);
  /* sma:2 over the lag: NaN until bar 4, then the mean of two lagged closes */
  assert_true(isnan(f.values[6][3]));
  assert_true(f.values[6][4] == (closes[0] + closes[1]) / 2);
  assert_int_equal(cq_ta_rsi_lookback(5), 5);
  free(want);
  cq_feature_frame_release(&f);
  cq_feature_set_free(fs);
  cq_candles_release(&c);
}

static void test_build_in_store(void **state) {
  (void)state;
  char dir[] = "/tmp/cq_features_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char uri[128], db[100];
  snprintf(db, sizeof db, "%s/store.db", dir);
  snprintf(uri, sizeof uri, "sqlite:%s", db);
  cq_store *s = NULL;
  cq_error e;
  assert_int_equal(cq_store_open(uri, &s, &e), 0);
  cq_series_key k;
  assert_int_equal(cq_series_key_set(&k, "binance", "BTC/USDT", "5m", &e), 0);
  cq_import_report ir = {0};
  cq_read_opts ro = {0};
  if (cq_import_candles_file(s, &k, CQ_TEST_DATA "/binance_BTC_USDT-5m.head300.csv", &ro, &ir, &e))
    fail_msg("import: %s", e.msg);
  cq_read_report_release(&ir.read);
  cq_feature_set *fs = parse(set_text);
  cq_features_report rep;
  cq_time now = iso("2024-06-01T00:00:00Z");
  assert_int_equal(cq_features_build(s, fs, &k, INT64_MIN, INT64_MAX, false, now, &rep, &e), 0);
  assert_false(rep.up_to_date);
  assert_int_equal(rep.rows, 300);
  assert_int_equal(rep.features, 9);
  /* again: nothing to do */
  assert_int_equal(cq_features_build(s, fs, &k, INT64_MIN, INT64_MAX, false, now + 1, &rep, &e), 0);
  assert_true(rep.up_to_date);
  cq_feature_frame f;
  assert_int_equal(cq_store_get_features(s, "trend", NULL, &k, true, &f, &e), 0);
  assert_int_equal(f.built_at, now); /* the no-op did not touch it */
  assert_int_equal(f.rows, 300);
  /* the stored rsi equals the library's */
  cq_candles c;
  cq_candles_init(&c, 0);
  assert_int_equal(cq_store_get_candles(s, &k, INT64_MIN, INT64_MAX, &c, &e), 0);
  double want[300];
  assert_int_equal(cq_ta_rsi(c.close, c.len, 14, want, &e), 0);
  for (size_t i = 0; i < c.len; i++)
    assert_true(isnan(want[i]) ? isnan(f.values[0][i]) : want[i] == f.values[0][i]);
  cq_feature_frame_release(&f);
  /* a revised candle: rebuilt under the same version */
  c.close[299] += 1;
  assert_int_equal(cq_store_put_candles(s, &k, &c, 299, 1, NULL, &e), 0);
  assert_int_equal(cq_features_build(s, fs, &k, INT64_MIN, INT64_MAX, false, now + 2, &rep, &e), 0);
  assert_false(rep.up_to_date);
  /* a range keeps the values the whole history gives (the indicators warm up before it) */
  cq_feature_frame full, part;
  assert_int_equal(cq_store_get_features(s, "trend", NULL, &k, true, &full, &e), 0);
  assert_int_equal(
      cq_features_build(s, fs, &k, c.open_time[200], INT64_MAX, false, now + 3, &rep, &e), 0);
  assert_false(rep.up_to_date);
  assert_int_equal(rep.rows, 100);
  assert_int_equal(cq_store_get_features(s, "trend", NULL, &k, true, &part, &e), 0);
  assert_int_equal(part.rows, 100);
  assert_int_equal(part.time[0], c.open_time[200]);
  for (int j = 0; j < part.n_features; j++)
    for (size_t i = 0; i < part.rows; i++) {
      double a = part.values[j][i], b = full.values[j][200 + i];
      assert_true(isnan(a) ? isnan(b) : a == b);
    }
  cq_feature_frame_release(&full);
  cq_feature_frame_release(&part);
  /* a changed definition: a new version beside the old one */
  cq_feature_set *fs2 = parse("name: trend\nfeatures:\n  rsi14: rsi:21\n");
  assert_int_equal(cq_features_build(s, fs2, &k, INT64_MIN, INT64_MAX, false, now + 4, &rep, &e),
                   0);
  assert_string_equal(rep.version, cq_feature_set_version(fs2));
  cq_feature_info *list = NULL;
  size_t n = 0;
  assert_int_equal(cq_store_list_features(s, &list, &n, &e), 0);
  assert_int_equal(n, 2);
  free(list);
  assert_int_equal(cq_store_get_features(s, "trend", NULL, &k, false, &f, &e), 0);
  assert_string_equal(f.version, cq_feature_set_version(fs2)); /* latest */
  cq_feature_frame_release(&f);
  assert_int_equal(cq_store_get_features(s, "trend", cq_feature_set_version(fs), &k, true, &f, &e),
                   0);
  assert_int_equal(f.n_features, 9); /* the old version is still readable */
  cq_feature_frame_release(&f);
  /* no candles in range: a clear error, nothing stored */
  assert_int_equal(cq_features_build(s, fs, &k, 0, 1, false, now, &rep, &e), CQ_ENOTFOUND);
  assert_non_null(strstr(e.msg, "no candles"));
  cq_candles_release(&c);
  cq_feature_set_free(fs2);
  cq_feature_set_free(fs);
  cq_store_close(s);
  unlink(db);
  char wal[120];
  snprintf(wal, sizeof wal, "%s-wal", db);
  unlink(wal);
  snprintf(wal, sizeof wal, "%s-shm", db);
  unlink(wal);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_and_version),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_compute),
      cmocka_unit_test(test_build_in_store),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
