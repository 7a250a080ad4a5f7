/* What only the PostgreSQL backend has: its layout (monthly partitions here, TimescaleDB
 * where the server has it), migrations applied once under concurrent openers, a newer schema
 * refused, connection errors that say where, and a failed write inside a transaction.
 * Runs under with_postgres.sh, which sets CQ_TEST_STORE; skips without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the four above, which it needs */

#include <libpq-fe.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/store.h"
#include "store_test_util.h"

static bool have_server(void) {
  const char *env = getenv("CQ_TEST_STORE");
  return env && !strncmp(env, "postgres", 8);
}

static int pg_setup(void **state) {
  if (!have_server()) {
    *state = NULL;
    return 0;
  }
  return store_setup(state);
}

static int pg_teardown(void **state) {
  if (!*state) return 0;
  return store_teardown(state);
}

#define NEED_SERVER()                                                                     \
  do {                                                                                    \
    if (!*state) {                                                                        \
      print_message("no PostgreSQL server: run through with_postgres.sh (ctest does)\n"); \
      skip();                                                                             \
      return; /* skip() longjmps out; says so to the analyzer */                          \
    }                                                                                     \
  } while (0)

static cq_time iso(const char *s) {
  cq_time t = 0;
  if (cq_time_parse_iso(s, &t, NULL)) fail_msg("bad time %s", s);
  return t;
}

/* The first column of the first row of a query, as text ("" when no row). */
static void query1(const char *uri, const char *sql, char *out, size_t n) {
  PGconn *c = PQconnectdb(uri);
  assert_int_equal(PQstatus(c), CONNECTION_OK);
  PGresult *r = PQexec(c, sql);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) fail_msg("%s: %s", sql, PQerrorMessage(c));
  snprintf(out, n, "%s", st == PGRES_TUPLES_OK && PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
  PQclear(r);
  PQfinish(c);
}

static void test_layout_and_partitions(void **state) {
  NEED_SERVER();
  store_fixture *f = *state;
  cq_store *s = f->store;
  cq_error e;
  char avail[16], meta[256], v[512];
  query1(f->uri, "SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'", avail,
         sizeof avail);
  query1(f->uri, "SELECT value FROM store_meta WHERE key = 'layout'", meta, sizeof meta);
  assert_string_equal(cq_store_layout(s), meta);
  if (!strcmp(avail, "0")) assert_string_equal(meta, "partitions");
  if (!strcmp(meta, "timescaledb")) {
    query1(f->uri,
           "SELECT string_agg(hypertable_name, ',' ORDER BY hypertable_name)"
           " FROM timescaledb_information.hypertables",
           v, sizeof v);
    assert_string_equal(v, "candles,trades");
    /* a retention policy on both hypertables, then none */
    assert_int_equal(cq_store_set_retention(s, 730 * CQ_NS_PER_DAY, &e), 0);
    query1(f->uri,
           "SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name = "
           "'policy_retention'",
           v, sizeof v);
    assert_string_equal(v, "2");
    assert_int_equal(cq_store_set_retention(s, 0, &e), 0);
    query1(f->uri,
           "SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name = "
           "'policy_retention'",
           v, sizeof v);
    assert_string_equal(v, "0");
    return;
  }
  /* why TimescaleDB was not used is kept */
  query1(f->uri, "SELECT value FROM store_meta WHERE key = 'timescaledb'", v, sizeof v);
  assert_true(strlen(v) > 0);
  /* no retention policy without TimescaleDB: refused, saying why */
  assert_int_equal(cq_store_set_retention(s, 730 * CQ_NS_PER_DAY, &e), CQ_EUNSUPPORTED);
  assert_non_null(strstr(e.msg, "TimescaleDB"));

  /* hourly candles from Jan 30 to Mar 2: three monthly partitions */
  cq_series_key k;
  assert_int_equal(cq_series_key_set(&k, "binance", "BTC/USDT", "1h", &e), 0);
  cq_candles c, r;
  cq_candles_init(&c, 0);
  cq_candles_init(&r, 0);
  for (cq_time t = iso("2024-01-30"); t < iso("2024-03-02"); t += CQ_NS_PER_HOUR) {
    cq_candle x = {.open_time = t,
                   .open = 1,
                   .high = 2,
                   .low = 0.5,
                   .close = 1.5,
                   .volume = 10,
                   .quote_volume = 15,
                   .trades = 3,
                   .closed = true};
    assert_int_equal(cq_candles_push(&c, &x), 0);
  }
  cq_write_report rep = {0};
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, c.len, &rep, &e), 0);
  assert_int_equal(rep.inserted, c.len);
  query1(f->uri,
         "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i"
         " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'candles'::regclass",
         v, sizeof v);
  assert_string_equal(v, "candles_y2024m01,candles_y2024m02,candles_y2024m03");
  /* rows are where their month says */
  query1(f->uri, "SELECT count(*) FROM candles_y2024m02", v, sizeof v);
  assert_string_equal(v, "696"); /* 29 days of 2024's February */
  /* a write that needs no new month adds none; a read spans the partitions in order */
  assert_int_equal(cq_store_put_candles(s, &k, &c, 10, 20, NULL, &e), 0);
  assert_int_equal(
      cq_store_get_candles(s, &k, iso("2024-01-31T22:00:00Z"), iso("2024-02-01T02:00:00Z"), &r, &e),
      0);
  assert_int_equal(r.len, 4);
  for (size_t i = 1; i < r.len; i++)
    assert_true(r.open_time[i] == r.open_time[i - 1] + CQ_NS_PER_HOUR);

  /* trades in January and March only */
  cq_trades t;
  cq_trades_init(&t, 0);
  cq_trade a = {.time = iso("2024-01-15T10:00:00.123456789Z"),
                .price = CQ_DEC(101, 0),
                .qty = CQ_DEC(1, 0),
                .taker_side = CQ_SIDE_SELL,
                .id = "1"};
  assert_int_equal(cq_trades_push(&t, &a), 0);
  a.time = iso("2024-03-31T23:59:59.999999999Z");
  snprintf(a.id, sizeof a.id, "2");
  assert_int_equal(cq_trades_push(&t, &a), 0);
  assert_int_equal(cq_store_put_trades(s, "binance", "BTC/USDT", &t, NULL, &e), 0);
  query1(f->uri,
         "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i"
         " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'trades'::regclass",
         v, sizeof v);
  assert_string_equal(v, "trades_y2024m01,trades_y2024m03");
  /* the partitions carry the parent's keys */
  query1(f->uri,
         "SELECT count(*) FROM pg_indexes WHERE tablename = 'candles_y2024m02'"
         " AND indexdef LIKE '%UNIQUE%(series_id, open_time)%'",
         v, sizeof v);
  assert_string_equal(v, "1");
  cq_trades_release(&t);
  cq_candles_release(&c);
  cq_candles_release(&r);
}

static void test_reopen_is_idempotent(void **state) {
  NEED_SERVER();
  store_fixture *f = *state;
  cq_error e;
  int v1 = 0, v2 = 0;
  assert_int_equal(cq_store_schema_version(f->store, &v1, &e), 0);
  cq_store *again = NULL;
  assert_int_equal(cq_store_open(f->uri, &again, &e), 0);
  assert_int_equal(cq_store_schema_version(again, &v2, &e), 0);
  assert_int_equal(v1, v2);
  assert_string_equal(cq_store_layout(again), cq_store_layout(f->store));
  cq_store_close(again);
  char n[16], nv[16];
  query1(f->uri, "SELECT count(*) FROM schema_version", n, sizeof n);
  snprintf(nv, sizeof nv, "%d", v1);
  assert_string_equal(n, nv); /* one row per migration, none applied twice */
}

typedef struct opener {
  const char *uri;
  int rc;
  char msg[CQ_ERROR_MSG_MAX];
} opener;

static void *open_one(void *arg) {
  opener *o = arg;
  cq_store *s = NULL;
  cq_error e;
  cq_error_clear(&e);
  o->rc = cq_store_open(o->uri, &s, &e);
  snprintf(o->msg, sizeof o->msg, "%s", e.msg);
  cq_store_close(s);
  return NULL;
}

/* Four processes' worth of openers on one new database: all succeed, one migrates. */
static void test_concurrent_openers(void **state) {
  NEED_SERVER();
  store_fixture *f = *state;
  char uri[512];
  assert_int_equal(store_pg_fresh_uri(uri, sizeof uri), 0);
  enum { N = 4 };
  opener o[N];
  pthread_t th[N];
  for (int i = 0; i < N; i++) {
    o[i] = (opener){.uri = uri};
    assert_int_equal(pthread_create(&th[i], NULL, open_one, &o[i]), 0);
  }
  for (int i = 0; i < N; i++) {
    assert_int_equal(pthread_join(th[i], NULL), 0);
    if (o[i].rc) fail_msg("opener %d: %s", i, o[i].msg);
  }
  char n[16];
  query1(uri, "SELECT count(*) FROM store_meta WHERE key = 'layout'", n, sizeof n);
  assert_string_equal(n, "1");
  (void)f;
}

typedef struct writer {
  const char *uri;
  const cq_candles *c;
  pthread_barrier_t *go;
  cq_write_report rep;
  int rc;
  char msg[CQ_ERROR_MSG_MAX];
} writer;

static void *write_one(void *arg) {
  writer *w = arg;
  cq_store *s = NULL;
  cq_error e;
  cq_error_clear(&e);
  cq_series_key k;
  w->rc = cq_series_key_set(&k, "okx", "BTC/USDT", "1m", &e);
  if (!w->rc) w->rc = cq_store_open(w->uri, &s, &e);
  pthread_barrier_wait(w->go); /* all connected: write at once */
  if (!w->rc) w->rc = cq_store_put_candles(s, &k, w->c, 0, w->c->len, &w->rep, &e);
  snprintf(w->msg, sizeof w->msg, "%s", e.msg);
  cq_store_close(s);
  return NULL;
}

/* Two writers of the same new candles at once: one inserts them, the other finds them
 * unchanged; neither fails on the other's rows. */
static void test_concurrent_writers(void **state) {
  NEED_SERVER();
  store_fixture *f = *state;
  cq_candles c;
  cq_candles_init(&c, 0);
  for (int i = 0; i < 3000; i++) {
    cq_candle x = {.open_time = iso("2024-07-31T12:00:00Z") + i * CQ_NS_PER_MIN,
                   .open = 1 + i,
                   .high = 2 + i,
                   .low = 0.5,
                   .close = 1.5,
                   .volume = 1,
                   .quote_volume = NAN,
                   .trades = -1,
                   .closed = true};
    assert_int_equal(cq_candles_push(&c, &x), 0);
  }
  enum { N = 3 };
  writer w[N];
  pthread_t th[N];
  pthread_barrier_t go;
  assert_int_equal(pthread_barrier_init(&go, NULL, N), 0);
  for (int i = 0; i < N; i++) {
    w[i] = (writer){.uri = f->uri, .c = &c, .go = &go};
    assert_int_equal(pthread_create(&th[i], NULL, write_one, &w[i]), 0);
  }
  uint64_t ins = 0, same = 0;
  for (int i = 0; i < N; i++) {
    assert_int_equal(pthread_join(th[i], NULL), 0);
    if (w[i].rc) fail_msg("writer %d: %s", i, w[i].msg);
    ins += w[i].rep.inserted;
    same += w[i].rep.unchanged;
    assert_int_equal(w[i].rep.revised, 0);
  }
  pthread_barrier_destroy(&go);
  assert_int_equal(ins, c.len);
  assert_int_equal(same, (N - 1) * c.len);
  cq_candles_release(&c);
}

static void test_newer_schema_refused(void **state) {
  NEED_SERVER();
  store_fixture *f = *state;
  cq_store_close(f->store);
  f->store = NULL;
  char v[16];
  query1(f->uri, "INSERT INTO schema_version (version) VALUES (999)", v, sizeof v);
  cq_store *s = NULL;
  cq_error e;
  assert_int_equal(cq_store_open(f->uri, &s, &e), CQ_EUNSUPPORTED);
  assert_null(s);
  assert_non_null(strstr(e.msg, "999"));
  assert_non_null(strstr(e.msg, "upgrade cquant"));
  assert_non_null(strstr(e.msg, "127.0.0.1:")); /* where */
  /* and nothing was changed by the refused open */
  query1(f->uri, "SELECT max(version) FROM schema_version", v, sizeof v);
  assert_string_equal(v, "999");
}

static void test_cannot_connect(void **state) {
  (void)state; /* needs no server: nothing listens on port 1 */
  cq_store *s = NULL;
  cq_error e;
  assert_int_equal(cq_store_open("postgres://cq@127.0.0.1:1/nowhere?connect_timeout=5", &s, &e),
                   CQ_ENET);
  assert_null(s);
  assert_non_null(strstr(e.msg, "127.0.0.1:1/nowhere"));
  assert_non_null(strstr(e.msg, "cannot connect"));
  assert_null(strchr(e.msg, '\n'));
  /* a URI libpq cannot parse is an argument error, before any connection */
  assert_int_equal(cq_store_open("postgresql://127.0.0.1/db?no_such_option=1", &s, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "no_such_option"));
}

/* PostgreSQL aborts a transaction at its first error: later writes and commit say so, and
 * rollback leaves nothing of it. */
static void test_failed_write_in_transaction(void **state) {
  NEED_SERVER();
  cq_store *s = STORE(state);
  cq_error e;
  cq_series_key k;
  assert_int_equal(cq_series_key_set(&k, "bybit", "SOL/USDT", "1m", &e), 0);
  cq_candles c;
  cq_candles_init(&c, 0);
  for (int i = 0; i < 3; i++) {
    cq_candle x = {.open_time = iso("2024-06-01") + i * CQ_NS_PER_MIN,
                   .open = 1,
                   .high = 1,
                   .low = 1,
                   .close = 1,
                   .volume = 1,
                   .quote_volume = NAN,
                   .trades = -1,
                   .closed = true};
    assert_int_equal(cq_candles_push(&c, &x), 0);
  }
  assert_int_equal(cq_store_begin(s, &e), 0);
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, 1, NULL, &e), 0);
  c.high[2] = NAN;
  assert_int_equal(cq_store_put_candles(s, &k, &c, 1, 2, NULL, &e), CQ_EINVAL);
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, 1, NULL, &e), CQ_ESTATE);
  assert_non_null(strstr(e.msg, "roll it back"));
  assert_int_equal(cq_store_commit(s, &e), CQ_ESTATE);
  assert_int_equal(cq_store_rollback(s, &e), 0);
  cq_candles r;
  cq_candles_init(&r, 0);
  assert_int_equal(cq_store_get_candles(s, &k, INT64_MIN, INT64_MAX, &r, &e), 0);
  assert_int_equal(r.len, 0);
  /* and the store is usable again */
  c.high[2] = 1;
  assert_int_equal(cq_store_put_candles(s, &k, &c, 0, 3, NULL, &e), 0);
  assert_int_equal(cq_store_get_candles(s, &k, INT64_MIN, INT64_MAX, &r, &e), 0);
  assert_int_equal(r.len, 3);
  /* begin twice, commit without begin: errors, as SQLite gives */
  assert_int_equal(cq_store_begin(s, &e), 0);
  assert_int_not_equal(cq_store_begin(s, &e), 0);
  assert_int_equal(cq_store_commit(s, &e), 0);
  assert_int_not_equal(cq_store_commit(s, &e), 0);
  cq_candles_release(&c);
  cq_candles_release(&r);
}

/* Offsets above INT64_MAX are the numbers themselves in SQL (numeric(20)), and a put into a
 * transaction an earlier error aborted is refused like any write. */
static void test_offsets_in_sql(void **state) {
  NEED_SERVER();
  store_fixture *f = *state;
  cq_error e;
  cq_stream_offset o = {
      .topic = "md.binance.BTC/USDT.trades", .last_id = UINT64_MAX, .applied = UINT64_C(1) << 63};
  assert_int_equal(cq_store_put_offsets(f->store, "recorder", &o, 1, &e), 0);
  char v[128];
  query1(f->uri,
         "SELECT last_id::text || ' ' || applied::text || ' ' || pg_typeof(last_id)::text"
         " FROM stream_offsets WHERE consumer = 'recorder'",
         v, sizeof v);
  assert_string_equal(v, "18446744073709551615 9223372036854775808 numeric");

  /* a candle the server refuses (NaN high) aborts the transaction; the put says so */
  cq_series_key k;
  assert_int_equal(cq_series_key_set(&k, "bybit", "SOL/USDT", "1m", &e), 0);
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_candle x = {.open_time = iso("2024-06-01"), .open = 1, .high = NAN, .low = 1, .close = 1};
  assert_int_equal(cq_candles_push(&c, &x), 0);
  assert_int_equal(cq_store_begin(f->store, &e), 0);
  o.last_id = 1;
  assert_int_equal(cq_store_put_offsets(f->store, "recorder", &o, 1, &e), 0);
  assert_int_equal(cq_store_put_candles(f->store, &k, &c, 0, 1, NULL, &e), CQ_EINVAL);
  assert_int_equal(cq_store_put_offsets(f->store, "recorder", &o, 1, &e), CQ_ESTATE);
  assert_non_null(strstr(e.msg, "roll it back"));
  assert_int_equal(cq_store_rollback(f->store, &e), 0);
  query1(f->uri, "SELECT last_id::text FROM stream_offsets", v, sizeof v);
  assert_string_equal(v, "18446744073709551615");
  cq_candles_release(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_layout_and_partitions, pg_setup, pg_teardown),
      cmocka_unit_test_setup_teardown(test_reopen_is_idempotent, pg_setup, pg_teardown),
      cmocka_unit_test_setup_teardown(test_concurrent_openers, pg_setup, pg_teardown),
      cmocka_unit_test_setup_teardown(test_concurrent_writers, pg_setup, pg_teardown),
      cmocka_unit_test_setup_teardown(test_newer_schema_refused, pg_setup, pg_teardown),
      cmocka_unit_test(test_cannot_connect),
      cmocka_unit_test_setup_teardown(test_failed_write_in_transaction, pg_setup, pg_teardown),
      cmocka_unit_test_setup_teardown(test_offsets_in_sql, pg_setup, pg_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
