/* Stream consumer offsets (migration 6), on every backend like test_store_conformance.c: the
 * store under test is named by CQ_TEST_STORE (a store URI), a fresh SQLite file without it.
 * Round trips, upserts, transactions, consumers kept apart, names refused, full uint64 ids,
 * and a version-5 store migrated on open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/store.h"
#include "store_test_util.h"

static cq_stream_offset offset(const char *topic, uint64_t last_id, uint64_t applied) {
  cq_stream_offset o = {.last_id = last_id, .applied = applied, .updated = -1};
  snprintf(o.topic, sizeof o.topic, "%s", topic);
  return o;
}

/* The offsets of consumer; asserts the empty case's contract (NULL, 0). */
static cq_stream_offset *get(cq_store *s, const char *consumer, size_t *n) {
  cq_stream_offset *out = (cq_stream_offset *)1;
  cq_error e;
  *n = 99;
  int rc = cq_store_get_offsets(s, consumer, &out, n, &e);
  if (rc) fail_msg("get_offsets %s: %s", consumer, e.msg);
  if (*n == 0) assert_null(out);
  return out;
}

static void assert_offset(const cq_stream_offset *got, const cq_stream_offset *want) {
  assert_string_equal(got->topic, want->topic);
  assert_true(got->last_id == want->last_id);
  assert_true(got->applied == want->applied);
}

static cq_time wall_now(void) {
  cq_clock c;
  cq_clock_wall_init(&c);
  return cq_clock_now(&c);
}

static void test_schema_version(void **state) {
  int v = 0;
  cq_error e;
  assert_int_equal(cq_store_schema_version(STORE(state), &v, &e), 0);
  assert_int_equal(v, 6); /* 6: stream offsets */
}

static void test_roundtrip_and_upsert(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  size_t n;
  assert_null(get(s, "recorder", &n));
  assert_int_equal(n, 0);
  /* given out of order, read back by topic */
  cq_stream_offset o[3] = {offset("md.okx.ETH/USDT.trades", 70, 7),
                           offset("md.binance.BTC/USDT.trades", 1234, 1000),
                           offset("md.bybit.BTC/USDT.candles.1m", 5, 5)};
  cq_time before = wall_now();
  assert_int_equal(cq_store_put_offsets(s, "recorder", o, 3, &e), 0);
  cq_time after = wall_now();
  cq_stream_offset *got = get(s, "recorder", &n);
  assert_int_equal(n, 3);
  assert_offset(&got[0], &o[1]);
  assert_offset(&got[1], &o[2]);
  assert_offset(&got[2], &o[0]);
  for (size_t i = 0; i < n; i++) /* set by put from the wall clock, not taken from the caller */
    assert_true(got[i].updated >= before && got[i].updated <= after);
  free(got);
  /* upsert: a known topic is overwritten (also downwards: the caller says where it stands),
   * a new one added, the others kept */
  cq_stream_offset more[2] = {offset("md.binance.BTC/USDT.trades", 1300, 1066),
                              offset("md.okx.BTC/USDT.book", 9, 9)};
  assert_int_equal(cq_store_put_offsets(s, "recorder", more, 2, &e), 0);
  more[0].last_id = 1299;
  assert_int_equal(cq_store_put_offsets(s, "recorder", more, 1, &e), 0);
  got = get(s, "recorder", &n);
  assert_int_equal(n, 4);
  assert_offset(&got[0], &more[0]);
  assert_offset(&got[1], &o[2]);
  assert_offset(&got[2], &more[1]);
  assert_offset(&got[3], &o[0]);
  free(got);
  /* nothing to put is no write */
  assert_int_equal(cq_store_put_offsets(s, "recorder", NULL, 0, &e), 0);
  got = get(s, "recorder", &n);
  assert_int_equal(n, 4);
  free(got);
}

/* Names at their limits, beyond ASCII, and many topics in one put. */
static void test_names_and_batches(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  char longest[CQ_STORE_TOPIC_MAX];
  memset(longest, 't', sizeof longest - 1);
  longest[sizeof longest - 1] = '\0';
  cq_stream_offset o[2] = {offset(longest, 1, 1), offset("md.é.€.𝄞", 2, 2)};
  assert_int_equal(cq_store_put_offsets(s, longest, o, 2, &e), 0);
  size_t n;
  cq_stream_offset *got = get(s, longest, &n);
  assert_int_equal(n, 2);
  assert_offset(&got[0], &o[1]); /* bytewise: 'm' < 't' */
  assert_offset(&got[1], &o[0]);
  free(got);

  enum { N = 2000 };
  cq_stream_offset *many = calloc(N, sizeof *many);
  assert_non_null(many);
  for (size_t i = 0; i < N; i++) {
    snprintf(many[i].topic, sizeof many[i].topic, "md.sim.T%05zu/USDT.trades", N - 1 - i);
    many[i].last_id = i * 3 + 1;
    many[i].applied = i;
  }
  assert_int_equal(cq_store_put_offsets(s, "bulk", many, N, &e), 0);
  got = get(s, "bulk", &n);
  assert_int_equal(n, N);
  for (size_t i = 0; i < N; i++) assert_offset(&got[i], &many[N - 1 - i]);
  free(got);
  free(many);
}

/* Written in the caller's transaction with the batch: rolled back with it, committed with it. */
static void test_transactions(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_stream_offset o = offset("md.binance.BTC/USDT.trades", 10, 10);
  assert_int_equal(cq_store_begin(s, &e), 0);
  assert_int_equal(cq_store_put_offsets(s, "recorder", &o, 1, &e), 0);
  size_t n;
  cq_stream_offset *got = get(s, "recorder", &n); /* seen inside the transaction */
  assert_int_equal(n, 1);
  free(got);
  assert_int_equal(cq_store_rollback(s, &e), 0);
  assert_null(get(s, "recorder", &n));
  assert_int_equal(n, 0);

  /* with the trades of the batch; a refused put in between leaves the transaction usable */
  cq_trades t;
  cq_trades_init(&t, 0);
  cq_trade tr = {.time = INT64_C(1704067200000000000), .taker_side = CQ_SIDE_BUY};
  snprintf(tr.id, sizeof tr.id, "42");
  tr.price = CQ_DEC(420005, 1);
  tr.qty = CQ_DEC(1, 2);
  assert_int_equal(cq_trades_push(&t, &tr), 0);
  assert_int_equal(cq_store_begin(s, &e), 0);
  assert_int_equal(cq_store_put_trades(s, "binance", "BTC/USDT", &t, NULL, &e), 0);
  cq_stream_offset bad[2] = {offset("md.binance.ETH/USDT.trades", 1, 1), offset("", 1, 1)};
  assert_int_equal(cq_store_put_offsets(s, "recorder", bad, 2, &e), CQ_EINVAL);
  assert_int_equal(cq_store_put_offsets(s, "recorder", &o, 1, &e), 0);
  assert_int_equal(cq_store_commit(s, &e), 0);
  got = get(s, "recorder", &n);
  assert_int_equal(n, 1);
  assert_offset(&got[0], &o);
  free(got);
  cq_trades back;
  cq_trades_init(&back, 0);
  assert_int_equal(cq_store_get_trades(s, "binance", "BTC/USDT", 0, INT64_MAX, &back, &e), 0);
  assert_int_equal(back.len, 1);
  cq_trades_release(&back);
  cq_trades_release(&t);
}

static void test_consumers_apart(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_stream_offset a = offset("md.binance.BTC/USDT.trades", 100, 100);
  cq_stream_offset b = offset("md.binance.BTC/USDT.trades", 7, 3);
  assert_int_equal(cq_store_put_offsets(s, "recorder", &a, 1, &e), 0);
  assert_int_equal(cq_store_put_offsets(s, "candles", &b, 1, &e), 0);
  size_t n;
  cq_stream_offset *got = get(s, "recorder", &n);
  assert_int_equal(n, 1);
  assert_offset(&got[0], &a);
  free(got);
  got = get(s, "candles", &n);
  assert_int_equal(n, 1);
  assert_offset(&got[0], &b);
  free(got);
  assert_null(get(s, "Recorder", &n)); /* names are exact */
  assert_int_equal(n, 0);
  assert_null(get(s, "recorder ", &n));
  assert_int_equal(n, 0);
}

/* A bad name anywhere in a batch refuses the whole batch, saying which name. */
static void test_bad_names_refused(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  cq_stream_offset ok = offset("md.binance.BTC/USDT.trades", 1, 1);
  char too_long[CQ_STORE_CONSUMER_MAX + 1];
  memset(too_long, 'c', sizeof too_long - 1);
  too_long[sizeof too_long - 1] = '\0';
  const char *consumers[] = {
      "", too_long, "rec\norder", "rec\x7Forder", "rec\xFForder", "rec\xC0\xAF", "rec\xED\xA0\x80"};
  for (size_t i = 0; i < sizeof consumers / sizeof *consumers; i++) {
    assert_int_equal(cq_store_put_offsets(s, consumers[i], &ok, 1, &e), CQ_EINVAL);
    assert_non_null(strstr(e.msg, "consumer"));
    cq_stream_offset *out = (cq_stream_offset *)1;
    size_t n = 99;
    assert_int_equal(cq_store_get_offsets(s, consumers[i], &out, &n, &e), CQ_EINVAL);
    assert_null(out);
    assert_int_equal(n, 0);
  }
  assert_int_equal(cq_store_put_offsets(s, NULL, &ok, 1, &e), CQ_EINVAL);
  assert_int_equal(cq_store_put_offsets(s, "recorder", NULL, 1, &e), CQ_EINVAL);

  cq_stream_offset batch[3] = {ok, offset("md.okx.BTC/USDT.trades", 2, 2), ok};
  const char *topics[] = {"", "md.\tokx", "md.\xE2\x82", "md.binance.BTC/USDT.trades"};
  for (size_t i = 0; i < sizeof topics / sizeof *topics; i++) {
    snprintf(batch[2].topic, sizeof batch[2].topic, "%s", topics[i]);
    assert_int_equal(cq_store_put_offsets(s, "recorder", batch, 3, &e), CQ_EINVAL);
    assert_non_null(strstr(e.msg, i == 3 ? "given twice" : "topic 2"));
  }
  memset(batch[2].topic, 'x', sizeof batch[2].topic); /* not terminated */
  assert_int_equal(cq_store_put_offsets(s, "recorder", batch, 3, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "longer than 127 bytes"));
  size_t n;
  assert_null(get(s, "recorder", &n));
  assert_int_equal(n, 0);
}

/* Ids and counts are full uint64: those above INT64_MAX come back as they went in. */
static void test_full_uint64(void **state) {
  cq_store *s = STORE(state);
  cq_error e;
  const uint64_t big = UINT64_C(1) << 63;
  cq_stream_offset o[5] = {offset("a", 0, 0), offset("b", (uint64_t)INT64_MAX, 1),
                           offset("c", big, big + 1), offset("d", UINT64_MAX - 1, UINT64_MAX),
                           offset("e", UINT64_MAX, (uint64_t)INT64_MAX)};
  assert_int_equal(cq_store_put_offsets(s, "recorder", o, 5, &e), 0);
  size_t n;
  cq_stream_offset *got = get(s, "recorder", &n);
  assert_int_equal(n, 5);
  for (size_t i = 0; i < n; i++) assert_offset(&got[i], &o[i]);
  free(got);
  o[3].last_id = UINT64_MAX; /* and upserted */
  assert_int_equal(cq_store_put_offsets(s, "recorder", &o[3], 1, &e), 0);
  got = get(s, "recorder", &n);
  assert_int_equal(n, 5);
  assert_offset(&got[3], &o[3]);
  free(got);
}

/* Where the stored schema of a version-5 store comes from: SQLite, the dump of one made by
 * the version-5 code (tests/data/store); PostgreSQL, a new store taken back to version 5
 * (migrations 1 to 5 never change, so that is the schema a version-5 store has). */
static int make_v5(store_fixture *f, char *uri, size_t nuri) {
  if (strncmp(f->uri, "sqlite:", 7) != 0) {
    snprintf(uri, nuri, "%s", f->uri);
    cq_store_close(f->store);
    f->store = NULL;
    return store_exec(uri,
                      "DROP TABLE stream_offsets; DELETE FROM schema_version"
                      " WHERE version = 6");
  }
  snprintf(uri, nuri, "sqlite:%s/v5.db", f->dir);
  FILE *fp = fopen(CQ_TEST_DATA "/store/sqlite-v5.sql", "rb");
  if (!fp) return -1;
  enum { CAP = 1 << 20 };
  char *sql = malloc(CAP);
  size_t len = sql ? fread(sql, 1, CAP - 1, fp) : 0;
  fclose(fp);
  if (!sql || len == 0 || len == CAP - 1) {
    free(sql);
    return -1;
  }
  sql[len] = '\0';
  int rc = store_exec(uri, sql);
  free(sql);
  return rc;
}

static void test_migrates_v5(void **state) {
  store_fixture *f = *state;
  char uri[sizeof f->uri + 16];
  assert_int_equal(make_v5(f, uri, sizeof uri), 0);
  cq_store *s = NULL;
  cq_error e;
  if (cq_store_open(uri, &s, &e)) fail_msg("open %s: %s", uri, e.msg);
  int v = 0;
  assert_int_equal(cq_store_schema_version(s, &v, &e), 0);
  assert_int_equal(v, 6);
  cq_stream_offset o = offset("md.binance.BTC/USDT.trades", UINT64_MAX, 3);
  assert_int_equal(cq_store_put_offsets(s, "recorder", &o, 1, &e), 0);
  size_t n;
  cq_stream_offset *got = get(s, "recorder", &n);
  assert_int_equal(n, 1);
  assert_offset(&got[0], &o);
  free(got);
  if (f->dir[0]) { /* what the old SQLite store held is still there */
    cq_series_key k;
    assert_int_equal(cq_series_key_set(&k, "binance", "BTC/USDT", "1h", &e), 0);
    cq_candles c;
    cq_candles_init(&c, 0);
    assert_int_equal(cq_store_get_candles(s, &k, 0, INT64_MAX, &c, &e), 0);
    assert_int_equal(c.len, 3);
    cq_candles_release(&c);
    cq_gap *g = NULL;
    assert_int_equal(cq_store_get_gaps(s, &k, 0, INT64_MAX, &g, &n, &e), 0);
    assert_int_equal(n, 1);
    free(g);
  }
  cq_store_close(s);
  /* opened again: nothing left to apply, the offsets kept */
  assert_int_equal(cq_store_open(uri, &s, &e), 0);
  assert_int_equal(cq_store_schema_version(s, &v, &e), 0);
  assert_int_equal(v, 6);
  got = get(s, "recorder", &n);
  assert_int_equal(n, 1);
  free(got);
  cq_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_schema_version, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_roundtrip_and_upsert, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_names_and_batches, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_transactions, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_consumers_apart, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_bad_names_refused, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_full_uint64, store_setup, store_teardown),
      cmocka_unit_test_setup_teardown(test_migrates_v5, store_setup, store_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
