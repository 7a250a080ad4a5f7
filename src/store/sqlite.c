/* SQLite backend: one file, WAL, prepared statements, batched transactions. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cquant/core/strutil.h"
#include "cquant/store.h"
#include "store_internal.h"

/* Migrations: each step runs once, all pending steps in one transaction. Never edit a step
 * that has shipped; add a new one. */
static const char *const migrations[] = {
    /* 1: market data */
    "CREATE TABLE instruments ("
    "  venue TEXT NOT NULL, symbol TEXT NOT NULL, native TEXT NOT NULL,"
    "  base TEXT NOT NULL, quote TEXT NOT NULL, tick TEXT NOT NULL, lot TEXT NOT NULL,"
    "  min_qty TEXT NOT NULL, min_notional TEXT NOT NULL, status TEXT NOT NULL,"
    "  PRIMARY KEY (venue, symbol)) WITHOUT ROWID;"
    "CREATE TABLE series ("
    "  id INTEGER PRIMARY KEY, venue TEXT NOT NULL, symbol TEXT NOT NULL,"
    "  timeframe TEXT NOT NULL, UNIQUE (venue, symbol, timeframe));"
    "CREATE TABLE candles ("
    "  series_id INTEGER NOT NULL REFERENCES series(id), open_time INTEGER NOT NULL,"
    "  open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,"
    "  volume REAL NOT NULL, quote_volume REAL, trades INTEGER, closed INTEGER NOT NULL,"
    "  PRIMARY KEY (series_id, open_time)) WITHOUT ROWID;"
    "CREATE VIEW candles_v AS SELECT s.venue, s.symbol, s.timeframe, c.open_time, c.open,"
    "  c.high, c.low, c.close, c.volume, c.quote_volume, c.trades, c.closed"
    "  FROM candles c JOIN series s ON s.id = c.series_id;"
    "CREATE TABLE trades ("
    "  venue TEXT NOT NULL, symbol TEXT NOT NULL, trade_id TEXT NOT NULL,"
    "  time INTEGER NOT NULL, price TEXT NOT NULL, qty TEXT NOT NULL, side INTEGER NOT NULL,"
    "  PRIMARY KEY (venue, symbol, trade_id)) WITHOUT ROWID;"
    "CREATE INDEX trades_by_time ON trades (venue, symbol, time);",
    /* 2: feature frames: one row per (set, version, series), one per feature column; the
     * columns are blobs of little-endian doubles (times: int64 ns) */
    "CREATE TABLE feature_frames ("
    "  set_name TEXT NOT NULL, version TEXT NOT NULL,"
    "  series_id INTEGER NOT NULL REFERENCES series(id), source TEXT NOT NULL,"
    "  definition TEXT NOT NULL, built_at INTEGER NOT NULL, rows INTEGER NOT NULL,"
    "  n_features INTEGER NOT NULL, time BLOB NOT NULL,"
    "  PRIMARY KEY (set_name, version, series_id)) WITHOUT ROWID;"
    "CREATE TABLE features ("
    "  set_name TEXT NOT NULL, version TEXT NOT NULL, series_id INTEGER NOT NULL,"
    "  position INTEGER NOT NULL, name TEXT NOT NULL, vals BLOB NOT NULL,"
    "  PRIMARY KEY (set_name, version, series_id, position),"
    "  FOREIGN KEY (set_name, version, series_id) REFERENCES feature_frames"
    "  ON DELETE CASCADE) WITHOUT ROWID;",
    /* 3: backtest runs: headline facts in columns, one row per trade, the equity curve as
     * blobs of little-endian values (times: int64 ns); times are ns, NULL metrics are NaN;
     * AUTOINCREMENT: an id is never given twice, even after a delete */
    "CREATE TABLE backtest_runs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, created_at INTEGER NOT NULL,"
    "  strategy TEXT NOT NULL, engine TEXT NOT NULL, venue TEXT NOT NULL,"
    "  symbols TEXT NOT NULL, timeframe TEXT NOT NULL, from_time INTEGER NOT NULL,"
    "  to_time INTEGER NOT NULL, total_return REAL, sharpe REAL, max_drawdown REAL,"
    "  n_trades INTEGER NOT NULL, document TEXT NOT NULL);"
    "CREATE TABLE backtest_trades ("
    "  run_id INTEGER NOT NULL REFERENCES backtest_runs (id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL, symbol TEXT NOT NULL CHECK (symbol <> ''),"
    "  entry_time INTEGER NOT NULL, exit_time INTEGER NOT NULL, qty REAL, entry_price REAL,"
    "  exit_price REAL, fees REAL, pnl REAL, ret REAL,"
    "  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
    "CREATE INDEX backtest_trades_by_symbol ON backtest_trades (symbol, entry_time);"
    "CREATE TABLE backtest_equity ("
    "  run_id INTEGER PRIMARY KEY REFERENCES backtest_runs (id) ON DELETE CASCADE,"
    "  points INTEGER NOT NULL, time BLOB NOT NULL, equity BLOB NOT NULL);",
    /* 4: optimization studies: headline facts in columns, the spec as JSON text, one row per
     * trial with its parameters and values as blobs of little-endian doubles. value, value2
     * and best_value are declared without a type: no REAL affinity, which would store -0.0
     * as the integer 0; a double is kept as a REAL bit for bit, and a NaN (which a REAL
     * cannot hold) as its 8 bytes (see bind_exact). AUTOINCREMENT: an id is never given
     * twice, even after a delete */
    "CREATE TABLE studies ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL, kind TEXT NOT NULL CHECK (kind <> ''),"
    "  strategy TEXT NOT NULL CHECK (strategy <> ''), sampler TEXT NOT NULL,"
    "  objective TEXT NOT NULL, venue TEXT NOT NULL, symbols TEXT NOT NULL,"
    "  timeframe TEXT NOT NULL, from_time INTEGER NOT NULL, to_time INTEGER NOT NULL,"
    "  status TEXT NOT NULL, n_trials INTEGER NOT NULL DEFAULT 0,"
    "  best_trial INTEGER NOT NULL, best_value NOT NULL, spec TEXT NOT NULL);"
    "CREATE TABLE study_trials ("
    "  study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,"
    "  number INTEGER NOT NULL CHECK (number >= 0), state INTEGER NOT NULL,"
    "  value NOT NULL, value2 NOT NULL, params BLOB NOT NULL, vals BLOB NOT NULL,"
    "  PRIMARY KEY (study_id, number)) WITHOUT ROWID;",
    /* 5: stretches a venue has no candles for, recorded by backfills (times in ns) */
    "CREATE TABLE candle_gaps ("
    "  venue TEXT NOT NULL, symbol TEXT NOT NULL, timeframe TEXT NOT NULL,"
    "  gap_from INTEGER NOT NULL, gap_to INTEGER NOT NULL CHECK (gap_to > gap_from),"
    "  recorded_at INTEGER NOT NULL,"
    "  PRIMARY KEY (venue, symbol, timeframe, gap_from)) WITHOUT ROWID;",
    /* 6: where each stream consumer stands per topic; last_id and applied are uint64 kept
     * as the INTEGER (signed 64-bit) with the same bits, so values above INT64_MAX read as
     * negative in SQL; updated in ns */
    "CREATE TABLE stream_offsets ("
    "  consumer TEXT NOT NULL CHECK (consumer <> ''), topic TEXT NOT NULL CHECK (topic <> ''),"
    "  last_id INTEGER NOT NULL, applied INTEGER NOT NULL, updated INTEGER NOT NULL,"
    "  PRIMARY KEY (consumer, topic)) WITHOUT ROWID;",
};
enum { SCHEMA_VERSION = (int)(sizeof migrations / sizeof migrations[0]) };

enum {
  ST_SERIES_GET,
  ST_SERIES_ADD,
  ST_CANDLE_UPSERT,
  ST_CANDLE_COUNT,
  ST_CANDLE_RANGE,
  ST_CANDLE_BOUNDS,
  ST_TRADE_INSERT,
  ST_TRADE_UPDATE,
  ST_TRADE_RANGE,
  ST_INS_UPSERT,
  ST_INS_GET,
  ST_COUNT_
};

static const char *const stmt_sql[ST_COUNT_] = {
    [ST_SERIES_GET] = "SELECT id FROM series WHERE venue = ?1 AND symbol = ?2 AND timeframe = ?3",
    [ST_SERIES_ADD] = "INSERT INTO series (venue, symbol, timeframe) VALUES (?1, ?2, ?3)",
    [ST_CANDLE_UPSERT] =
        "INSERT INTO candles (series_id, open_time, open, high, low, close, volume,"
        " quote_volume, trades, closed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT (series_id, open_time) DO UPDATE SET open = excluded.open,"
        " high = excluded.high, low = excluded.low, close = excluded.close,"
        " volume = excluded.volume, quote_volume = excluded.quote_volume,"
        " trades = excluded.trades, closed = excluded.closed"
        " WHERE open IS NOT excluded.open OR high IS NOT excluded.high"
        " OR low IS NOT excluded.low OR close IS NOT excluded.close"
        " OR volume IS NOT excluded.volume OR quote_volume IS NOT excluded.quote_volume"
        " OR trades IS NOT excluded.trades OR closed IS NOT excluded.closed",
    [ST_CANDLE_COUNT] =
        "SELECT count(*) FROM candles WHERE series_id = ?1"
        " AND open_time >= ?2 AND open_time <= ?3",
    [ST_CANDLE_RANGE] =
        "SELECT open_time, open, high, low, close, volume, quote_volume, trades,"
        " closed FROM candles WHERE series_id = ?1 AND open_time >= ?2"
        " AND open_time < ?3 ORDER BY open_time",
    /* two subqueries: SQLite answers a lone min() or max() from the index */
    [ST_CANDLE_BOUNDS] =
        "SELECT (SELECT min(open_time) FROM candles WHERE series_id = ?1"
        " AND open_time >= ?2 AND open_time < ?3), (SELECT max(open_time)"
        " FROM candles WHERE series_id = ?1 AND open_time >= ?2"
        " AND open_time < ?3)",
    [ST_TRADE_INSERT] =
        "INSERT OR IGNORE INTO trades (venue, symbol, trade_id, time, price, qty,"
        " side) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_TRADE_UPDATE] =
        "UPDATE trades SET time = ?4, price = ?5, qty = ?6, side = ?7"
        " WHERE venue = ?1 AND symbol = ?2 AND trade_id = ?3 AND (time IS NOT ?4"
        " OR price IS NOT ?5 OR qty IS NOT ?6 OR side IS NOT ?7)",
    [ST_TRADE_RANGE] =
        "SELECT time, price, qty, side, trade_id FROM trades WHERE venue = ?1"
        " AND symbol = ?2 AND time >= ?3 AND time < ?4 ORDER BY time, trade_id",
    [ST_INS_UPSERT] =
        "INSERT INTO instruments (venue, symbol, native, base, quote, tick, lot, min_qty,"
        " min_notional, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT (venue, symbol) DO UPDATE SET native = excluded.native,"
        " base = excluded.base, quote = excluded.quote, tick = excluded.tick,"
        " lot = excluded.lot, min_qty = excluded.min_qty, min_notional = excluded.min_notional,"
        " status = excluded.status WHERE native IS NOT excluded.native"
        " OR base IS NOT excluded.base OR quote IS NOT excluded.quote OR tick IS NOT excluded.tick"
        " OR lot IS NOT excluded.lot OR min_qty IS NOT excluded.min_qty"
        " OR min_notional IS NOT excluded.min_notional OR status IS NOT excluded.status",
    [ST_INS_GET] =
        "SELECT native, base, quote, tick, lot, min_qty, min_notional, status"
        " FROM instruments WHERE venue = ?1 AND symbol = ?2",
};

enum { UPSERT_ROWS = 32 }; /* rows per multi-row upsert: less VM work per row */

typedef struct sq_store {
  cq_store base;
  sqlite3 *db;
  sqlite3_stmt *st[ST_COUNT_];
  sqlite3_stmt *upsert_many; /* UPSERT_ROWS rows at once; prepared on first use */
  char path[512];
} sq_store;

static int db_error(sq_store *s, cq_error *err, const char *doing) {
  int code = sqlite3_errcode(s->db);
  int cq = code == SQLITE_FULL || code == SQLITE_IOERR ? CQ_EIO
           : code == SQLITE_NOMEM                      ? CQ_ENOMEM
           : code == SQLITE_CONSTRAINT                 ? CQ_EINVAL
                                                       : CQ_EIO;
  cq_error_set(err, cq, "sqlite %s: %s: %s", s->path, doing, sqlite3_errmsg(s->db));
  return cq;
}

static int exec(sq_store *s, const char *sql, cq_error *err, const char *doing) {
  char *msg = NULL;
  if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    cq_error_set(err, CQ_EIO, "sqlite %s: %s: %s", s->path, doing,
                 msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return CQ_EIO;
  }
  return CQ_OK;
}

static int mkdir_parents(const char *path, cq_error *err) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return CQ_OK;
  *slash = '\0';
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
      return cq_error_set(err, CQ_EIO, "cannot create folder %s: %s", dir, strerror(errno));
    *p = '/';
  }
  if (mkdir(dir, 0755) != 0 && errno != EEXIST)
    return cq_error_set(err, CQ_EIO, "cannot create folder %s: %s", dir, strerror(errno));
  return CQ_OK;
}

static int current_version(sq_store *s, int *out, cq_error *err) {
  sqlite3_stmt *st;
  const char *sql = "SELECT coalesce(max(version), 0) FROM schema_version";
  if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE name = 'schema_version'", -1,
                         &st, NULL) != SQLITE_OK)
    return db_error(s, err, "reading the schema");
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) {
    *out = 0;
    return CQ_OK;
  }
  if (rc != SQLITE_ROW) return db_error(s, err, "reading the schema");
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
    return db_error(s, err, "reading the schema version");
  rc = sqlite3_step(st);
  *out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? CQ_OK : db_error(s, err, "reading the schema version");
}

static int migrate(sq_store *s, cq_error *err) {
  int rc = exec(s, "BEGIN IMMEDIATE", err, "starting the migration");
  if (rc) return rc;
  int v = 0;
  if ((rc = exec(s,
                 "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                 " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))",
                 err, "creating schema_version")) ||
      (rc = current_version(s, &v, err)))
    goto fail;
  if (v > SCHEMA_VERSION) {
    rc = cq_error_set(err, CQ_EUNSUPPORTED,
                      "sqlite %s: the database has schema version %d, newer than this cquant "
                      "knows (%d); upgrade cquant",
                      s->path, v, SCHEMA_VERSION);
    goto fail;
  }
  for (int i = v; i < SCHEMA_VERSION; i++) {
    char doing[64], ins[96];
    snprintf(doing, sizeof doing, "applying migration %d", i + 1);
    snprintf(ins, sizeof ins, "INSERT INTO schema_version (version) VALUES (%d)", i + 1);
    if ((rc = exec(s, migrations[i], err, doing)) || (rc = exec(s, ins, err, doing))) goto fail;
  }
  return exec(s, "COMMIT", err, "committing the migration");
fail:
  sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

static void sq_close(cq_store *base) {
  sq_store *s = (sq_store *)base;
  for (int i = 0; i < ST_COUNT_; i++) sqlite3_finalize(s->st[i]);
  sqlite3_finalize(s->upsert_many);
  sqlite3_close(s->db);
  free(s);
}

static int sq_open(const char *uri, cq_store **out, cq_error *err) {
  const char *path = uri + strlen("sqlite:");
  if (!*path) return cq_error_set(err, CQ_EINVAL, "store \"%s\": no file after sqlite:", uri);
  if (strlen(path) >= 500) return cq_error_set(err, CQ_EINVAL, "store path is too long");
  sq_store *s = calloc(1, sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "opening %s", uri);
  s->base.ops = &cq_store_sqlite_ops;
  snprintf(s->path, sizeof s->path, "%s", path);
  int rc;
  if (strcmp(path, ":memory:") && (rc = mkdir_parents(path, err))) {
    free(s);
    return rc;
  }
  /* NOMUTEX: a handle is used by one thread at a time, so SQLite need not lock around every
   * call (10% of a large read) */
  if (sqlite3_open_v2(path, &s->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      NULL) != SQLITE_OK) {
    rc = db_error(s, err, "opening");
    sq_close(&s->base);
    return rc;
  }
  sqlite3_extended_result_codes(s->db, 0);
  if ((rc = exec(s,
                 "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;"
                 " PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
                 " PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;"
                 " PRAGMA mmap_size = 268435456",
                 err, "setting up")) ||
      (rc = migrate(s, err))) {
    sq_close(&s->base);
    return rc;
  }
  for (int i = 0; i < ST_COUNT_; i++) {
    if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) !=
        SQLITE_OK) {
      rc = db_error(s, err, "preparing statements");
      sq_close(&s->base);
      return rc;
    }
  }
  *out = &s->base;
  return CQ_OK;
}

static int sq_begin(cq_store *base, cq_error *err) {
  return exec((sq_store *)base, "BEGIN IMMEDIATE", err, "begin");
}

static int sq_commit(cq_store *base, cq_error *err) {
  return exec((sq_store *)base, "COMMIT", err, "commit");
}

static int sq_rollback(cq_store *base, cq_error *err) {
  sq_store *s = (sq_store *)base;
  if (sqlite3_get_autocommit(s->db)) return CQ_OK; /* nothing open */
  return exec(s, "ROLLBACK", err, "rollback");
}

static int sq_schema_version(cq_store *base, int *out, cq_error *err) {
  return current_version((sq_store *)base, out, err);
}

/* Steps a statement that returns no rows, then resets it. */
static int step_done(sq_store *s, sqlite3_stmt *st, cq_error *err, const char *doing) {
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    rc = db_error(s, err, doing);
    sqlite3_reset(st);
    return rc;
  }
  sqlite3_reset(st);
  return CQ_OK;
}

static int series_id(sq_store *s, const cq_series_key *key, bool create, sqlite3_int64 *id,
                     cq_error *err) {
  char tf[CQ_TF_STRMAX];
  cq_timeframe_format(key->tf, tf, sizeof tf);
  sqlite3_stmt *st = s->st[ST_SERIES_GET];
  sqlite3_bind_text(st, 1, key->venue, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, key->symbol, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, tf, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return CQ_OK;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return db_error(s, err, "looking up a series");
  if (!create) return CQ_ENOTFOUND;
  st = s->st[ST_SERIES_ADD];
  sqlite3_bind_text(st, 1, key->venue, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, key->symbol, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, tf, -1, SQLITE_TRANSIENT);
  if ((rc = step_done(s, st, err, "adding a series"))) return rc;
  *id = sqlite3_last_insert_rowid(s->db);
  return CQ_OK;
}

static sqlite3_int64 to_ms(cq_time t) {
  return (sqlite3_int64)(t / CQ_NS_PER_MS);
}

static int count_range(sq_store *s, sqlite3_int64 sid, sqlite3_int64 lo, sqlite3_int64 hi,
                       sqlite3_int64 *out, cq_error *err) {
  sqlite3_stmt *st = s->st[ST_CANDLE_COUNT];
  sqlite3_bind_int64(st, 1, sid);
  sqlite3_bind_int64(st, 2, lo);
  sqlite3_bind_int64(st, 3, hi);
  int rc = sqlite3_step(st);
  *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? CQ_OK : db_error(s, err, "counting candles");
}

/* Binds candle i to parameters base + 1 .. base + 10 of st. */
static void bind_candle(sqlite3_stmt *st, int base, sqlite3_int64 sid, const cq_candles *c,
                        size_t i) {
  sqlite3_bind_int64(st, base + 1, sid);
  sqlite3_bind_int64(st, base + 2, to_ms(c->open_time[i]));
  sqlite3_bind_double(st, base + 3, c->open[i]);
  sqlite3_bind_double(st, base + 4, c->high[i]);
  sqlite3_bind_double(st, base + 5, c->low[i]);
  sqlite3_bind_double(st, base + 6, c->close[i]);
  sqlite3_bind_double(st, base + 7, c->volume[i]);
  if (isnan(c->quote_volume[i]))
    sqlite3_bind_null(st, base + 8);
  else
    sqlite3_bind_double(st, base + 8, c->quote_volume[i]);
  if (c->trades[i] < 0)
    sqlite3_bind_null(st, base + 9);
  else
    sqlite3_bind_int64(st, base + 9, c->trades[i]);
  sqlite3_bind_int(st, base + 10, c->closed[i] ? 1 : 0);
}

/* The single-row upsert with UPSERT_ROWS rows in its VALUES: rows of one statement are
 * applied in order, so a key repeated inside it behaves as in separate statements. */
static int prepare_upsert_many(sq_store *s, cq_error *err) {
  const char *one = stmt_sql[ST_CANDLE_UPSERT];
  const char *values = strstr(one, " VALUES (");
  const char *tail = strstr(one, " ON CONFLICT");
  char sql[12288];
  size_t len = (size_t)(values - one);
  memcpy(sql, one, len);
  len += (size_t)snprintf(sql + len, sizeof sql - len, " VALUES ");
  for (int r = 0; r < UPSERT_ROWS; r++) {
    int b = r * 10;
    len += (size_t)snprintf(sql + len, sizeof sql - len,
                            "%s(?%d,?%d,?%d,?%d,?%d,?%d,?%d,?%d,?%d,?%d)", r ? "," : "", b + 1,
                            b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10);
  }
  snprintf(sql + len, sizeof sql - len, "%s", tail);
  if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->upsert_many, NULL) !=
      SQLITE_OK)
    return db_error(s, err, "preparing the candle upsert");
  return CQ_OK;
}

static int put_candles_body(cq_store *base, const cq_series_key *key, const cq_candles *c,
                            size_t first, size_t n, cq_write_report *rep, cq_error *err) {
  sq_store *s = (sq_store *)base;
  if (n == 0) return CQ_OK;
  sqlite3_int64 sid, before, after;
  int rc = series_id(s, key, true, &sid, err);
  if (rc) return rc;
  cq_time lo = c->open_time[first], hi = lo;
  for (size_t i = first; i < first + n; i++) {
    if (c->open_time[i] < lo) lo = c->open_time[i];
    if (c->open_time[i] > hi) hi = c->open_time[i];
  }
  if ((rc = count_range(s, sid, to_ms(lo), to_ms(hi), &before, err))) return rc;
  sqlite3_int64 changes0 = sqlite3_total_changes64(s->db);
  size_t i = first, end = first + n;
  if (n >= UPSERT_ROWS && !s->upsert_many && (rc = prepare_upsert_many(s, err))) return rc;
  for (; end - i >= UPSERT_ROWS; i += UPSERT_ROWS) {
    for (int r = 0; r < UPSERT_ROWS; r++)
      bind_candle(s->upsert_many, r * 10, sid, c, i + (size_t)r);
    if ((rc = step_done(s, s->upsert_many, err, "writing candles"))) return rc;
  }
  for (; i < end; i++) {
    bind_candle(s->st[ST_CANDLE_UPSERT], 0, sid, c, i);
    if ((rc = step_done(s, s->st[ST_CANDLE_UPSERT], err, "writing candles"))) return rc;
  }
  sqlite3_int64 changed = sqlite3_total_changes64(s->db) - changes0;
  if ((rc = count_range(s, sid, to_ms(lo), to_ms(hi), &after, err))) return rc;
  if (rep) {
    uint64_t ins = (uint64_t)(after - before);
    rep->inserted += ins;
    rep->revised += (uint64_t)changed - ins;
    rep->unchanged += n - (uint64_t)changed;
  }
  return CQ_OK;
}

/* Makes room once for the rows a range can hold at most: the grid between the first and
 * last stored open times in it (two index probes), so a large read does not grow the
 * columns step by step. Capped; rows past the estimate still fit by growing. */
static int reserve_range(sq_store *s, cq_timeframe tf, sqlite3_int64 sid, sqlite3_int64 lo,
                         sqlite3_int64 hi, cq_candles *out, cq_error *err) {
  enum { RESERVE_CAP = 1 << 22 };
  sqlite3_stmt *st = s->st[ST_CANDLE_BOUNDS];
  sqlite3_bind_int64(st, 1, sid);
  sqlite3_bind_int64(st, 2, lo);
  sqlite3_bind_int64(st, 3, hi);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    return db_error(s, err, "reading candles");
  }
  uint64_t rows = 0;
  if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
    uint64_t span = (uint64_t)sqlite3_column_int64(st, 1) - (uint64_t)sqlite3_column_int64(st, 0);
    int64_t len = cq_timeframe_ns(tf) / CQ_NS_PER_MS;
    if (len <= 0) len = INT64_C(28) * 24 * 3600 * 1000; /* months: the shortest */
    rows = span / (uint64_t)len + 1;
  }
  sqlite3_reset(st);
  if (rows > RESERVE_CAP) rows = RESERVE_CAP;
  if (out->max_rows && rows > out->max_rows - out->len) rows = out->max_rows - out->len;
  if (rows && (rc = cq_candles_reserve(out, out->len + rows)))
    return cq_error_set(err, rc, "reading candles: %s", cq_strerror(rc));
  return CQ_OK;
}

static int sq_get_candles(cq_store *base, const cq_series_key *key, cq_time from, cq_time to,
                          cq_candles *out, cq_error *err) {
  sq_store *s = (sq_store *)base;
  sqlite3_int64 sid;
  int rc = series_id(s, key, false, &sid, err);
  if (rc == CQ_ENOTFOUND) return CQ_OK; /* no such series: no rows */
  if (rc) return rc;
  /* [from, to) in ns → [ceil(from), ceil(to)) in ms */
  sqlite3_int64 lo = from <= INT64_MIN + CQ_NS_PER_MS ? INT64_MIN : -((-from) / CQ_NS_PER_MS);
  sqlite3_int64 hi = to >= INT64_MAX - CQ_NS_PER_MS ? INT64_MAX : -((-to) / CQ_NS_PER_MS);
  if ((rc = reserve_range(s, key->tf, sid, lo, hi, out, err))) return rc;
  sqlite3_stmt *st = s->st[ST_CANDLE_RANGE];
  sqlite3_bind_int64(st, 1, sid);
  sqlite3_bind_int64(st, 2, lo);
  sqlite3_bind_int64(st, 3, hi);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (out->len == out->cap && (rc = cq_candles_reserve(out, out->len + 1))) {
      sqlite3_reset(st);
      return cq_error_set(err, rc, "reading candles: %s", cq_strerror(rc));
    }
    size_t i = out->len++;
    out->open_time[i] = sqlite3_column_int64(st, 0) * CQ_NS_PER_MS;
    out->open[i] = sqlite3_column_double(st, 1);
    out->high[i] = sqlite3_column_double(st, 2);
    out->low[i] = sqlite3_column_double(st, 3);
    out->close[i] = sqlite3_column_double(st, 4);
    out->volume[i] = sqlite3_column_double(st, 5);
    out->quote_volume[i] =
        sqlite3_column_type(st, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 6);
    out->trades[i] = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 7);
    out->closed[i] = (uint8_t)sqlite3_column_int(st, 8);
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? CQ_OK : db_error(s, err, "reading candles");
}

static int sq_list_series(cq_store *base, cq_series_info **out, size_t *n, cq_error *err) {
  sq_store *s = (sq_store *)base;
  sqlite3_stmt *st = NULL, *times = NULL;
  cq_series_info *list = NULL;
  size_t len = 0, cap = 0;
  cq_time *t = NULL;
  size_t tcap = 0;
  int rc = CQ_OK;
  if (sqlite3_prepare_v2(s->db,
                         "SELECT s.id, s.venue, s.symbol, s.timeframe, count(*) FROM series s"
                         " JOIN candles c ON c.series_id = s.id GROUP BY s.id"
                         " ORDER BY s.venue, s.symbol, s.timeframe",
                         -1, &st, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(s->db,
                         "SELECT open_time FROM candles WHERE series_id = ?1 ORDER BY open_time",
                         -1, &times, NULL) != SQLITE_OK) {
    rc = db_error(s, err, "listing series");
    goto done;
  }
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (len == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      cq_series_info *nl = realloc(list, ncap * sizeof *nl);
      if (!nl) {
        rc = cq_error_set(err, CQ_ENOMEM, "listing series");
        goto done;
      }
      list = nl;
      cap = ncap;
    }
    cq_series_info *info = &list[len];
    memset(info, 0, sizeof *info);
    rc = cq_series_key_set(&info->key, (const char *)sqlite3_column_text(st, 1),
                           (const char *)sqlite3_column_text(st, 2),
                           (const char *)sqlite3_column_text(st, 3), err);
    if (rc) goto done;
    size_t rows = (size_t)sqlite3_column_int64(st, 4);
    if (rows > tcap) {
      cq_time *nt = realloc(t, rows * sizeof *nt);
      if (!nt) {
        rc = cq_error_set(err, CQ_ENOMEM, "listing series");
        goto done;
      }
      t = nt;
      tcap = rows;
    }
    sqlite3_bind_int64(times, 1, sqlite3_column_int64(st, 0));
    size_t k = 0;
    while (k < rows && sqlite3_step(times) == SQLITE_ROW)
      t[k++] = sqlite3_column_int64(times, 0) * CQ_NS_PER_MS;
    sqlite3_reset(times);
    info->rows = k;
    info->first = k ? t[0] : 0;
    info->last = k ? t[k - 1] : 0;
    cq__store_count_gaps(info->key.tf, t, k, &info->missing, &info->gaps);
    len++;
  }
  if (step != SQLITE_DONE) rc = db_error(s, err, "listing series");
done:
  sqlite3_finalize(st);
  sqlite3_finalize(times);
  free(t);
  if (rc) {
    free(list);
    return rc;
  }
  *out = list;
  *n = len;
  return CQ_OK;
}

static void bind_trade(sqlite3_stmt *st, const char *venue, const char *symbol, const cq_trades *t,
                       size_t i, const char *px, const char *qty) {
  sqlite3_bind_text(st, 1, venue, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, symbol, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, t->id[i], -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, t->time[i]);
  sqlite3_bind_text(st, 5, px, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, qty, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 7, t->taker_side[i]);
}

static int put_trades_body(cq_store *base, const char *venue, const char *symbol,
                           const cq_trades *t, cq_write_report *rep, cq_error *err) {
  sq_store *s = (sq_store *)base;
  for (size_t i = 0; i < t->len; i++) {
    char px[CQ_DEC_STRMAX], qty[CQ_DEC_STRMAX];
    cq_dec_format(t->price[i], px, sizeof px);
    cq_dec_format(t->qty[i], qty, sizeof qty);
    /* insert if new; otherwise update only when something differs */
    bind_trade(s->st[ST_TRADE_INSERT], venue, symbol, t, i, px, qty);
    int rc = step_done(s, s->st[ST_TRADE_INSERT], err, "writing trades");
    if (rc) return rc;
    if (sqlite3_changes64(s->db) == 1) {
      if (rep) rep->inserted++;
      continue;
    }
    bind_trade(s->st[ST_TRADE_UPDATE], venue, symbol, t, i, px, qty);
    if ((rc = step_done(s, s->st[ST_TRADE_UPDATE], err, "writing trades"))) return rc;
    if (rep) {
      if (sqlite3_changes64(s->db) == 1)
        rep->revised++;
      else
        rep->unchanged++;
    }
  }
  return CQ_OK;
}

static int sq_get_trades(cq_store *base, const char *venue, const char *symbol, cq_time from,
                         cq_time to, cq_trades *out, cq_error *err) {
  sq_store *s = (sq_store *)base;
  sqlite3_stmt *st = s->st[ST_TRADE_RANGE];
  sqlite3_bind_text(st, 1, venue, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, symbol, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, from);
  sqlite3_bind_int64(st, 4, to);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    cq_trade tr;
    memset(&tr, 0, sizeof tr);
    tr.time = sqlite3_column_int64(st, 0);
    if ((rc = cq_dec_parse_cstr((const char *)sqlite3_column_text(st, 1), &tr.price, err)) ||
        (rc = cq_dec_parse_cstr((const char *)sqlite3_column_text(st, 2), &tr.qty, err))) {
      sqlite3_reset(st);
      cq_error_prefix(err, "sqlite %s: stored trade: ", s->path);
      return rc;
    }
    tr.taker_side = (cq_side)sqlite3_column_int(st, 3);
    snprintf(tr.id, sizeof tr.id, "%s", (const char *)sqlite3_column_text(st, 4));
    if ((rc = cq_trades_push(out, &tr))) {
      sqlite3_reset(st);
      return cq_error_set(err, rc, "reading trades: %s", cq_strerror(rc));
    }
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? CQ_OK : db_error(s, err, "reading trades");
}

/* 1 and the row when found, 0 when absent, a negative code on error. */
static int sq_get_instrument_row(sq_store *s, const char *venue, const char *symbol,
                                 cq_instrument *out, cq_error *err) {
  sqlite3_stmt *st = s->st[ST_INS_GET];
  sqlite3_bind_text(st, 1, venue, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, symbol, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    sqlite3_reset(st);
    return 0;
  }
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    return db_error(s, err, "reading instruments");
  }
  cq_instrument x;
  memset(&x, 0, sizeof x);
  snprintf(x.venue, sizeof x.venue, "%s", venue);
  snprintf(x.symbol, sizeof x.symbol, "%s", symbol);
  snprintf(x.native, sizeof x.native, "%s", (const char *)sqlite3_column_text(st, 0));
  snprintf(x.base, sizeof x.base, "%s", (const char *)sqlite3_column_text(st, 1));
  snprintf(x.quote, sizeof x.quote, "%s", (const char *)sqlite3_column_text(st, 2));
  cq_dec *decs[] = {&x.tick, &x.lot, &x.min_qty, &x.min_notional};
  for (int i = 0; i < 4 && rc == SQLITE_ROW; i++)
    if (cq_dec_parse_cstr((const char *)sqlite3_column_text(st, 3 + i), decs[i], err)) rc = -1;
  if (rc == SQLITE_ROW &&
      cq_instrument_status_parse((const char *)sqlite3_column_text(st, 7), &x.status, err))
    rc = -1;
  sqlite3_reset(st);
  if (rc != SQLITE_ROW) {
    cq_error_prefix(err, "sqlite %s: stored instrument %s %s: ", s->path, venue, symbol);
    return CQ_EPARSE;
  }
  *out = x;
  return 1;
}

static void bind_dec(sqlite3_stmt *st, int col, cq_dec d) {
  char buf[CQ_DEC_STRMAX];
  cq_dec_format(d, buf, sizeof buf);
  sqlite3_bind_text(st, col, buf, -1, SQLITE_TRANSIENT);
}

static int put_instruments_body(cq_store *base, const cq_instrument *ins, size_t n,
                                cq_write_report *rep, cq_error *err) {
  sq_store *s = (sq_store *)base;
  sqlite3_stmt *st = s->st[ST_INS_UPSERT];
  for (size_t i = 0; i < n; i++) {
    const cq_instrument *x = &ins[i];
    sqlite3_int64 before = sqlite3_total_changes64(s->db);
    cq_instrument old;
    int exists = sq_get_instrument_row(s, x->venue, x->symbol, &old, err);
    if (exists < 0) return exists;
    sqlite3_bind_text(st, 1, x->venue, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, x->symbol, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, x->native, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, x->base, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, x->quote, -1, SQLITE_STATIC);
    bind_dec(st, 6, x->tick);
    bind_dec(st, 7, x->lot);
    bind_dec(st, 8, x->min_qty);
    bind_dec(st, 9, x->min_notional);
    sqlite3_bind_text(st, 10, cq_instrument_status_name(x->status), -1, SQLITE_STATIC);
    int rc = step_done(s, st, err, "writing instruments");
    if (rc) return rc;
    if (rep) {
      bool changed = sqlite3_total_changes64(s->db) != before;
      if (!exists)
        rep->inserted++;
      else if (changed)
        rep->revised++;
      else
        rep->unchanged++;
    }
  }
  return CQ_OK;
}

/* Each write is all or nothing, inside or outside begin/commit: a savepoint around it (which
 * also makes a write outside begin/commit one transaction instead of one per row). */
static int atomic_begin(sq_store *s, cq_error *err) {
  return exec(s, "SAVEPOINT cq_write", err, "starting a write");
}

static int atomic_end(sq_store *s, int rc, cq_error *err) {
  if (rc) {
    sqlite3_exec(s->db, "ROLLBACK TO cq_write; RELEASE cq_write", NULL, NULL, NULL);
    return rc;
  }
  return exec(s, "RELEASE cq_write", err, "finishing a write");
}

static int sq_put_candles(cq_store *base, const cq_series_key *key, const cq_candles *c,
                          size_t first, size_t n, cq_write_report *rep, cq_error *err) {
  sq_store *s = (sq_store *)base;
  if (n == 0) return CQ_OK;
  cq_write_report w = {0};
  int rc = atomic_begin(s, err);
  if (rc) return rc;
  rc = atomic_end(s, put_candles_body(base, key, c, first, n, &w, err), err);
  if (!rc && rep) {
    rep->inserted += w.inserted;
    rep->revised += w.revised;
    rep->unchanged += w.unchanged;
  }
  return rc;
}

static int sq_put_trades(cq_store *base, const char *venue, const char *symbol, const cq_trades *t,
                         cq_write_report *rep, cq_error *err) {
  sq_store *s = (sq_store *)base;
  cq_write_report w = {0};
  int rc = atomic_begin(s, err);
  if (rc) return rc;
  rc = atomic_end(s, put_trades_body(base, venue, symbol, t, &w, err), err);
  if (!rc && rep) {
    rep->inserted += w.inserted;
    rep->revised += w.revised;
    rep->unchanged += w.unchanged;
  }
  return rc;
}

static int sq_put_instruments(cq_store *base, const cq_instrument *ins, size_t n,
                              cq_write_report *rep, cq_error *err) {
  sq_store *s = (sq_store *)base;
  cq_write_report w = {0};
  int rc = atomic_begin(s, err);
  if (rc) return rc;
  rc = atomic_end(s, put_instruments_body(base, ins, n, &w, err), err);
  if (!rc && rep) {
    rep->inserted += w.inserted;
    rep->revised += w.revised;
    rep->unchanged += w.unchanged;
  }
  return rc;
}

static int sq_get_instrument(cq_store *base, const char *venue, const char *symbol,
                             cq_instrument *out, cq_error *err) {
  sq_store *s = (sq_store *)base;
  int rc = sq_get_instrument_row(s, venue, symbol, out, err);
  if (rc < 0) return rc;
  if (rc == 0)
    return cq_error_set(err, CQ_ENOTFOUND, "no instrument %s on %s in %s", symbol, venue, s->path);
  return CQ_OK;
}

static const char *sq_layout(const cq_store *base) {
  (void)base;
  return "rows";
}

/* --- feature frames ---------------------------------------------------------------------- */

static int prep(sq_store *s, const char *sql, sqlite3_stmt **st, cq_error *err, const char *doing) {
  if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) return db_error(s, err, doing);
  return CQ_OK;
}

static int put_features_body(sq_store *s, const cq_feature_frame *f, cq_error *err) {
  const char *doing = "writing features";
  sqlite3_int64 sid;
  int rc = series_id(s, &f->key, true, &sid, err);
  if (rc) return rc;
  sqlite3_stmt *st = NULL;
  /* the frame's feature rows go with it (ON DELETE CASCADE) */
  if ((rc = prep(s,
                 "DELETE FROM feature_frames WHERE set_name = ?1 AND version = ?2"
                 " AND series_id = ?3",
                 &st, err, doing)))
    return rc;
  sqlite3_bind_text(st, 1, f->set, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, f->version, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, sid);
  rc = step_done(s, st, err, doing);
  sqlite3_finalize(st);
  if (rc) return rc;
  size_t bytes = f->rows * sizeof(double);
  if (bytes > INT_MAX)
    return cq_error_set(err, CQ_ELIMIT, "sqlite %s: %s: %zu rows is too many for one frame",
                        s->path, doing, f->rows);
  if ((rc = prep(s,
                 "INSERT INTO feature_frames (set_name, version, series_id, source, definition,"
                 " built_at, rows, n_features, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                 &st, err, doing)))
    return rc;
  sqlite3_bind_text(st, 1, f->set, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, f->version, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, sid);
  sqlite3_bind_text(st, 4, f->source, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, f->definition ? f->definition : "", -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, f->built_at);
  sqlite3_bind_int64(st, 7, (sqlite3_int64)f->rows);
  sqlite3_bind_int(st, 8, f->n_features);
  sqlite3_bind_blob(st, 9, f->rows ? (const void *)f->time : "", (int)bytes, SQLITE_STATIC);
  rc = step_done(s, st, err, doing);
  sqlite3_finalize(st);
  if (rc) return rc;
  if ((rc = prep(s,
                 "INSERT INTO features (set_name, version, series_id, position, name, vals)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                 &st, err, doing)))
    return rc;
  for (int k = 0; k < f->n_features && !rc; k++) {
    sqlite3_bind_text(st, 1, f->set, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, f->version, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, sid);
    sqlite3_bind_int(st, 4, k);
    sqlite3_bind_text(st, 5, f->names[k], -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 6, f->rows ? (const void *)f->values[k] : "", (int)bytes, SQLITE_STATIC);
    rc = step_done(s, st, err, doing);
  }
  sqlite3_finalize(st);
  return rc;
}

static int sq_put_features(cq_store *base, const cq_feature_frame *f, cq_error *err) {
  sq_store *s = (sq_store *)base;
  int rc = atomic_begin(s, err);
  if (rc) return rc;
  return atomic_end(s, put_features_body(s, f, err), err);
}

/* Copies a blob column of rows 8-byte values; CQ_EIO when its size is not that. */
static int blob_column(sq_store *s, sqlite3_stmt *st, int col, size_t rows, void *dst,
                       cq_error *err) {
  const void *b = sqlite3_column_blob(st, col);
  size_t len = (size_t)sqlite3_column_bytes(st, col);
  if (len != rows * 8)
    return cq_error_set(err, CQ_EIO, "sqlite %s: a stored column has %zu bytes, expected %zu",
                        s->path, len, rows * 8);
  if (!len) return CQ_OK;
  if (!b || !dst)
    return cq_error_set(err, CQ_EIO, "sqlite %s: a stored column is missing", s->path);
  memcpy(dst, b, len);
  return CQ_OK;
}

static int sq_get_features(cq_store *base, const char *set, const char *version,
                           const cq_series_key *key, bool data, cq_feature_frame *out,
                           cq_error *err) {
  sq_store *s = (sq_store *)base;
  const char *doing = "reading features";
  sqlite3_int64 sid;
  int rc = series_id(s, key, false, &sid, err);
  if (rc == CQ_ENOTFOUND) goto absent;
  if (rc) return rc;
  sqlite3_stmt *st = NULL;
  if ((rc = prep(s,
                 "SELECT version, source, definition, built_at, rows, n_features, time"
                 " FROM feature_frames WHERE set_name = ?1 AND series_id = ?2"
                 " AND (?3 IS NULL OR version = ?3) ORDER BY built_at DESC, version LIMIT 1",
                 &st, err, doing)))
    return rc;
  sqlite3_bind_text(st, 1, set, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, sid);
  if (version) sqlite3_bind_text(st, 3, version, -1, SQLITE_STATIC);
  int step = sqlite3_step(st);
  if (step == SQLITE_DONE) {
    sqlite3_finalize(st);
    goto absent;
  }
  if (step != SQLITE_ROW) {
    rc = db_error(s, err, doing);
    sqlite3_finalize(st);
    return rc;
  }
  cq_strlcpy(out->set, set, sizeof out->set);
  cq_strlcpy(out->version, (const char *)sqlite3_column_text(st, 0), sizeof out->version);
  cq_strlcpy(out->source, (const char *)sqlite3_column_text(st, 1), sizeof out->source);
  out->key = *key;
  out->definition = strdup((const char *)sqlite3_column_text(st, 2));
  out->built_at = sqlite3_column_int64(st, 3);
  size_t rows = (size_t)sqlite3_column_int64(st, 4);
  int nf = sqlite3_column_int(st, 5);
  if (!out->definition) rc = cq_error_set(err, CQ_ENOMEM, "%s: out of memory", doing);
  if (!rc && !data) {
    out->rows = rows;
    out->n_features = nf;
  }
  if (!rc && data && !(rc = cq_feature_frame_alloc(out, rows, nf, err)))
    rc = blob_column(s, st, 6, rows, out->time, err);
  sqlite3_finalize(st);
  if (rc || !data) return rc;
  if ((rc = prep(s,
                 "SELECT position, name, vals FROM features WHERE set_name = ?1 AND version = ?2"
                 " AND series_id = ?3 ORDER BY position",
                 &st, err, doing)))
    return rc;
  sqlite3_bind_text(st, 1, set, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, out->version, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, sid);
  int k = 0;
  while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
    if (k >= nf || sqlite3_column_int(st, 0) != k) {
      rc = cq_error_set(err, CQ_EIO, "sqlite %s: feature frame %s %s is inconsistent", s->path, set,
                        out->version);
      break;
    }
    cq_strlcpy(out->names[k], (const char *)sqlite3_column_text(st, 1), sizeof out->names[k]);
    rc = blob_column(s, st, 2, rows, out->values[k], err);
    k++;
  }
  if (!rc && step != SQLITE_DONE) rc = db_error(s, err, doing);
  if (!rc && k != nf)
    rc = cq_error_set(err, CQ_EIO, "sqlite %s: feature frame %s %s has %d of %d columns", s->path,
                      set, out->version, k, nf);
  sqlite3_finalize(st);
  return rc;
absent:
  return cq_error_set(err, CQ_ENOTFOUND, "no features of set %s%s%s for this series", set,
                      version ? " version " : "", version ? version : "");
}

static int sq_list_features(cq_store *base, cq_feature_info **out, size_t *n, cq_error *err) {
  sq_store *s = (sq_store *)base;
  const char *doing = "listing features";
  sqlite3_stmt *st = NULL;
  int rc = prep(s,
                "SELECT f.set_name, f.version, s.venue, s.symbol, s.timeframe, f.built_at,"
                " f.rows, f.n_features FROM feature_frames f JOIN series s ON s.id = f.series_id"
                " ORDER BY f.set_name, s.venue, s.symbol, s.timeframe, f.built_at, f.version",
                &st, err, doing);
  if (rc) return rc;
  cq_feature_info *list = NULL;
  size_t len = 0, cap = 0;
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (len == cap) {
      size_t ncap = cap ? cap * 2 : 8;
      cq_feature_info *nl = realloc(list, ncap * sizeof *nl);
      if (!nl) {
        rc = cq_error_set(err, CQ_ENOMEM, "%s: out of memory", doing);
        break;
      }
      list = nl;
      cap = ncap;
    }
    cq_feature_info *x = &list[len];
    *x = (cq_feature_info){0};
    cq_strlcpy(x->set, (const char *)sqlite3_column_text(st, 0), sizeof x->set);
    cq_strlcpy(x->version, (const char *)sqlite3_column_text(st, 1), sizeof x->version);
    if ((rc = cq_series_key_set(&x->key, (const char *)sqlite3_column_text(st, 2),
                                (const char *)sqlite3_column_text(st, 3),
                                (const char *)sqlite3_column_text(st, 4), err)))
      break;
    x->built_at = sqlite3_column_int64(st, 5);
    x->rows = (uint64_t)sqlite3_column_int64(st, 6);
    x->n_features = sqlite3_column_int(st, 7);
    len++;
  }
  if (!rc && step != SQLITE_DONE) rc = db_error(s, err, doing);
  sqlite3_finalize(st);
  if (rc) {
    free(list);
    return rc;
  }
  *out = list;
  *n = len;
  return CQ_OK;
}

/* --- backtest runs ----------------------------------------------------------------------- */

/* NaN goes in as NULL (SQLite stores no NaN) and comes back as NaN. */
static void bind_real(sqlite3_stmt *st, int col, double v) {
  if (isnan(v))
    sqlite3_bind_null(st, col);
  else
    sqlite3_bind_double(st, col, v);
}

static double column_real(sqlite3_stmt *st, int col) {
  return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

static int put_run_info(sq_store *s, cq_run *r, cq_error *err) {
  const char *doing = "writing a backtest run";
  const cq_run_info *x = &r->info;
  sqlite3_stmt *st = NULL;
  int rc = prep(s,
                "INSERT INTO backtest_runs (created_at, strategy, engine, venue, symbols,"
                " timeframe, from_time, to_time, total_return, sharpe, max_drawdown, n_trades,"
                " document) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                &st, err, doing);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, x->created_at);
  sqlite3_bind_text(st, 2, x->strategy, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, x->engine, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, x->venue, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, x->symbols, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, x->timeframe, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 7, x->from);
  sqlite3_bind_int64(st, 8, x->to);
  bind_real(st, 9, x->total_return);
  bind_real(st, 10, x->sharpe);
  bind_real(st, 11, x->max_drawdown);
  sqlite3_bind_int64(st, 12, x->n_trades);
  sqlite3_bind_text(st, 13, r->document ? r->document : "", -1, SQLITE_STATIC);
  rc = step_done(s, st, err, doing);
  sqlite3_finalize(st);
  if (!rc) r->info.id = sqlite3_last_insert_rowid(s->db);
  return rc;
}

static int put_run_trades(sq_store *s, const cq_run *r, cq_error *err) {
  const char *doing = "writing backtest trades";
  sqlite3_stmt *st = NULL;
  int rc = prep(s,
                "INSERT INTO backtest_trades (run_id, seq, symbol, entry_time, exit_time, qty,"
                " entry_price, exit_price, fees, pnl, ret)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                &st, err, doing);
  for (size_t i = 0; i < r->ntrades && !rc; i++) {
    const cq_run_trade *t = &r->trades[i];
    sqlite3_bind_int64(st, 1, r->info.id);
    sqlite3_bind_int64(st, 2, t->seq);
    sqlite3_bind_text(st, 3, t->symbol, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, t->entry_time);
    sqlite3_bind_int64(st, 5, t->exit_time);
    const double v[6] = {t->qty, t->entry_price, t->exit_price, t->fees, t->pnl, t->ret};
    for (int k = 0; k < 6; k++) bind_real(st, 6 + k, v[k]);
    if ((rc = step_done(s, st, err, doing)))
      cq_error_prefix(err, "trade %zu (seq %lld): ", i, (long long)t->seq);
  }
  sqlite3_finalize(st);
  return rc;
}

static int put_run_equity(sq_store *s, const cq_run *r, cq_error *err) {
  const char *doing = "writing a backtest equity curve";
  size_t bytes = r->npoints * 8;
  if (r->npoints > INT_MAX / 8)
    return cq_error_set(err, CQ_ELIMIT, "sqlite %s: %s: %zu points is too many", s->path, doing,
                        r->npoints);
  sqlite3_stmt *st = NULL;
  int rc = prep(s,
                "INSERT INTO backtest_equity (run_id, points, time, equity)"
                " VALUES (?1, ?2, ?3, ?4)",
                &st, err, doing);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, r->info.id);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)r->npoints);
  sqlite3_bind_blob(st, 3, r->npoints ? (const void *)r->time : "", (int)bytes, SQLITE_STATIC);
  sqlite3_bind_blob(st, 4, r->npoints ? (const void *)r->equity : "", (int)bytes, SQLITE_STATIC);
  rc = step_done(s, st, err, doing);
  sqlite3_finalize(st);
  return rc;
}

static int sq_put_run(cq_store *base, cq_run *run, cq_error *err) {
  sq_store *s = (sq_store *)base;
  int rc = atomic_begin(s, err);
  if (rc) return rc;
  if (!(rc = put_run_info(s, run, err)) && !(rc = put_run_trades(s, run, err)))
    rc = put_run_equity(s, run, err);
  return atomic_end(s, rc, err);
}

static const char run_cols[] =
    "id, created_at, strategy, engine, venue, symbols, timeframe, from_time, to_time,"
    " total_return, sharpe, max_drawdown, n_trades";

/* Reads the run_cols of the current row into x. */
static void run_info_row(sqlite3_stmt *st, cq_run_info *x) {
  *x = (cq_run_info){0};
  x->id = sqlite3_column_int64(st, 0);
  x->created_at = sqlite3_column_int64(st, 1);
  cq_strlcpy(x->strategy, (const char *)sqlite3_column_text(st, 2), sizeof x->strategy);
  cq_strlcpy(x->engine, (const char *)sqlite3_column_text(st, 3), sizeof x->engine);
  cq_strlcpy(x->venue, (const char *)sqlite3_column_text(st, 4), sizeof x->venue);
  cq_strlcpy(x->symbols, (const char *)sqlite3_column_text(st, 5), sizeof x->symbols);
  cq_strlcpy(x->timeframe, (const char *)sqlite3_column_text(st, 6), sizeof x->timeframe);
  x->from = sqlite3_column_int64(st, 7);
  x->to = sqlite3_column_int64(st, 8);
  x->total_return = column_real(st, 9);
  x->sharpe = column_real(st, 10);
  x->max_drawdown = column_real(st, 11);
  x->n_trades = sqlite3_column_int64(st, 12);
}

static int get_run_trades(sq_store *s, int64_t id, cq_run *out, cq_error *err) {
  const char *doing = "reading backtest trades";
  sqlite3_stmt *st = NULL;
  int rc = prep(s, "SELECT count(*) FROM backtest_trades WHERE run_id = ?1", &st, err, doing);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  int step = sqlite3_step(st);
  size_t n = step == SQLITE_ROW ? (size_t)sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  if (step != SQLITE_ROW) return db_error(s, err, doing);
  if ((rc = prep(s,
                 "SELECT seq, symbol, entry_time, exit_time, qty, entry_price, exit_price, fees,"
                 " pnl, ret FROM backtest_trades WHERE run_id = ?1 ORDER BY seq",
                 &st, err, doing)))
    return rc;
  sqlite3_bind_int64(st, 1, id);
  out->trades = calloc(n ? n : 1, sizeof *out->trades);
  if (!out->trades) rc = cq_error_set(err, CQ_ENOMEM, "%s: out of memory", doing);
  size_t k = 0;
  while (!rc && out->trades && (step = sqlite3_step(st)) == SQLITE_ROW && k < n) {
    cq_run_trade *t = &out->trades[k++];
    t->seq = sqlite3_column_int64(st, 0);
    cq_strlcpy(t->symbol, (const char *)sqlite3_column_text(st, 1), sizeof t->symbol);
    t->entry_time = sqlite3_column_int64(st, 2);
    t->exit_time = sqlite3_column_int64(st, 3);
    double *v[6] = {&t->qty, &t->entry_price, &t->exit_price, &t->fees, &t->pnl, &t->ret};
    for (int c = 0; c < 6; c++) *v[c] = column_real(st, 4 + c);
  }
  if (!rc && step != SQLITE_DONE && step != SQLITE_ROW) rc = db_error(s, err, doing);
  sqlite3_finalize(st);
  out->ntrades = k;
  return rc;
}

static int get_run_equity(sq_store *s, int64_t id, cq_run *out, cq_error *err) {
  const char *doing = "reading a backtest equity curve";
  sqlite3_stmt *st = NULL;
  int rc = prep(s, "SELECT points, time, equity FROM backtest_equity WHERE run_id = ?1", &st, err,
                doing);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    size_t n = (size_t)sqlite3_column_int64(st, 0);
    out->time = malloc(n ? n * sizeof *out->time : 1);
    out->equity = malloc(n ? n * sizeof *out->equity : 1);
    if (!out->time || !out->equity) rc = cq_error_set(err, CQ_ENOMEM, "%s: out of memory", doing);
    if (!rc) rc = blob_column(s, st, 1, n, out->time, err);
    if (!rc) rc = blob_column(s, st, 2, n, out->equity, err);
    if (!rc) out->npoints = n;
  } else if (step != SQLITE_DONE) {
    rc = db_error(s, err, doing);
  }
  sqlite3_finalize(st);
  return rc;
}

static int sq_get_run(cq_store *base, int64_t id, bool data, cq_run *out, cq_error *err) {
  sq_store *s = (sq_store *)base;
  const char *doing = "reading a backtest run";
  char sql[400];
  snprintf(sql, sizeof sql, "SELECT %s, document FROM backtest_runs WHERE id = ?1", run_cols);
  sqlite3_stmt *st = NULL;
  int rc = prep(s, sql, &st, err, doing);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    run_info_row(st, &out->info);
    if (!(out->document = strdup((const char *)sqlite3_column_text(st, 13))))
      rc = cq_error_set(err, CQ_ENOMEM, "%s: out of memory", doing);
  } else {
    rc = step == SQLITE_DONE
             ? cq_error_set(err, CQ_ENOTFOUND, "no backtest run %lld in %s", (long long)id, s->path)
             : db_error(s, err, doing);
  }
  sqlite3_finalize(st);
  if (rc || !data) return rc;
  if ((rc = get_run_trades(s, id, out, err))) return rc;
  return get_run_equity(s, id, out, err);
}

static int sq_list_runs(cq_store *base, cq_run_info **out, size_t *n, cq_error *err) {
  sq_store *s = (sq_store *)base;
  const char *doing = "listing backtest runs";
  char sql[400];
  snprintf(sql, sizeof sql, "SELECT %s FROM backtest_runs ORDER BY id DESC", run_cols);
  sqlite3_stmt *st = NULL;
  int rc = prep(s, sql, &st, err, doing);
  if (rc) return rc;
  cq_run_info *list = NULL;
  size_t len = 0, cap = 0;
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (len == cap) {
      size_t ncap = cap ? cap * 2 : 8;
      cq_run_info *nl = realloc(list, ncap * sizeof *nl);
      if (!nl) {
        rc = cq_error_set(err, CQ_ENOMEM, "%s: out of memory", doing);
        break;
      }
      list = nl;
      cap = ncap;
    }
    run_info_row(st, &list[len++]);
  }
  if (!rc && step != SQLITE_DONE) rc = db_error(s, err, doing);
  sqlite3_finalize(st);
  if (rc) {
    free(list);
    return rc;
  }
  *out = list;
  *n = len;
  return CQ_OK;
}

static int sq_delete_run(cq_store *base, int64_t id, cq_error *err) {
  sq_store *s = (sq_store *)base;
  sqlite3_stmt *st = NULL;
  /* trades and equity go with it (ON DELETE CASCADE) */
  int rc = prep(s, "DELETE FROM backtest_runs WHERE id = ?1", &st, err, "deleting a backtest run");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  rc = step_done(s, st, err, "deleting a backtest run");
  sqlite3_finalize(st);
  if (!rc && sqlite3_changes(s->db) == 0)
    rc = cq_error_set(err, CQ_ENOTFOUND, "no backtest run %lld in %s", (long long)id, s->path);
  return rc;
}

/* --- optimization studies ---------------------------------------------------------------- */

/* A double bit for bit in a column without affinity: a REAL, or its 8 bytes when it is a NaN
 * (SQLite would bind a NaN as NULL). */
static void bind_exact(sqlite3_stmt *st, int col, double v) {
  if (isnan(v))
    sqlite3_bind_blob(st, col, &v, (int)sizeof v, SQLITE_TRANSIENT);
  else
    sqlite3_bind_double(st, col, v);
}

static double column_exact(sqlite3_stmt *st, int col) {
  switch (sqlite3_column_type(st, col)) {
    case SQLITE_BLOB: {
      const void *b = sqlite3_column_blob(st, col);
      double v = NAN;
      if (b && sqlite3_column_bytes(st, col) == (int)sizeof v) memcpy(&v, b, sizeof v);
      return v;
    }
    case SQLITE_NULL:
      return NAN;
    default:
      return sqlite3_column_double(st, col);
  }
}

static const char study_cols[] =
    "id, created_at, updated_at, kind, strategy, sampler, objective, venue, symbols, timeframe,"
    " from_time, to_time, status, n_trials, best_trial, best_value";

/* Reads the study_cols of the current row into x. */
static void study_info_row(sqlite3_stmt *st, cq_study_info *x) {
  *x = (cq_study_info){0};
  x->id = sqlite3_column_int64(st, 0);
  x->created_at = sqlite3_column_int64(st, 1);
  x->updated_at = sqlite3_column_int64(st, 2);
  cq_strlcpy(x->kind, (const char *)sqlite3_column_text(st, 3), sizeof x->kind);
  cq_strlcpy(x->strategy, (const char *)sqlite3_column_text(st, 4), sizeof x->strategy);
  cq_strlcpy(x->sampler, (const char *)sqlite3_column_text(st, 5), sizeof x->sampler);
  cq_strlcpy(x->objective, (const char *)sqlite3_column_text(st, 6), sizeof x->objective);
  cq_strlcpy(x->venue, (const char *)sqlite3_column_text(st, 7), sizeof x->venue);
  cq_strlcpy(x->symbols, (const char *)sqlite3_column_text(st, 8), sizeof x->symbols);
  cq_strlcpy(x->timeframe, (const char *)sqlite3_column_text(st, 9), sizeof x->timeframe);
  x->from = sqlite3_column_int64(st, 10);
  x->to = sqlite3_column_int64(st, 11);
  cq_strlcpy(x->status, (const char *)sqlite3_column_text(st, 12), sizeof x->status);
  x->n_trials = sqlite3_column_int64(st, 13);
  x->best_trial = sqlite3_column_int64(st, 14);
  x->best_value = column_exact(st, 15);
}

static int sq_put_study(cq_store *base, cq_study_info *info, const char *spec, cq_error *err) {
  sq_store *s = (sq_store *)base;
  const cq_study_info *x = info;
  bool create = x->id == 0;
  const char *doing = create ? "writing a study" : "updating a study";
  sqlite3_stmt *st = NULL;
  /* the same parameters in both: ?1 is created_at for a new study, the id for an update */
  int rc = prep(s,
                create ? "INSERT INTO studies (created_at, updated_at, kind, strategy, sampler,"
                         " objective, venue, symbols, timeframe, from_time, to_time, status,"
                         " best_trial, best_value, spec) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                         " ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
                       : "UPDATE studies SET updated_at = ?2, kind = ?3, strategy = ?4,"
                         " sampler = ?5, objective = ?6, venue = ?7, symbols = ?8,"
                         " timeframe = ?9, from_time = ?10, to_time = ?11, status = ?12,"
                         " best_trial = ?13, best_value = ?14, spec = coalesce(?15, spec)"
                         " WHERE id = ?1",
                &st, err, doing);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, create ? x->created_at : x->id);
  sqlite3_bind_int64(st, 2, x->updated_at);
  sqlite3_bind_text(st, 3, x->kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, x->strategy, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, x->sampler, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, x->objective, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, x->venue, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 8, x->symbols, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 9, x->timeframe, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 10, x->from);
  sqlite3_bind_int64(st, 11, x->to);
  sqlite3_bind_text(st, 12, x->status, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 13, x->best_trial);
  bind_exact(st, 14, x->best_value);
  if (spec || create)
    sqlite3_bind_text(st, 15, spec ? spec : "", -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, 15); /* keep the stored spec */
  rc = step_done(s, st, err, doing);
  sqlite3_finalize(st);
  if (rc) return rc;
  if (create)
    info->id = sqlite3_last_insert_rowid(s->db);
  else if (sqlite3_changes(s->db) == 0)
    return cq_error_set(err, CQ_ENOTFOUND, "no study %lld in %s", (long long)x->id, s->path);
  return CQ_OK;
}

/* 1 when study `id` is stored, 0 when not, or an error. */
static int study_exists(sq_store *s, int64_t id, cq_error *err, const char *doing) {
  sqlite3_stmt *st = NULL;
  int rc = prep(s, "SELECT 1 FROM studies WHERE id = ?1", &st, err, doing);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  int step = sqlite3_step(st);
  rc = step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : db_error(s, err, doing);
  sqlite3_finalize(st);
  return rc;
}

/* One prepared insert, stepped per trial inside the caller's savepoint: a repeated number
 * is found by the primary key, on the row that repeats it. */
static int put_trials_body(sq_store *s, int64_t study, const cq_study_trial *t, size_t n,
                           cq_error *err) {
  const char *doing = "writing study trials";
  int rc = study_exists(s, study, err, doing);
  if (rc < 0) return rc;
  if (rc == 0)
    return cq_error_set(err, CQ_ENOTFOUND, "no study %lld in %s", (long long)study, s->path);
  if (n == 0) return CQ_OK;
  sqlite3_stmt *st = NULL;
  if ((rc = prep(s,
                 "INSERT INTO study_trials (study_id, number, state, value, value2, params, vals)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                 &st, err, doing)))
    return rc;
  for (size_t i = 0; i < n && !rc; i++) {
    const cq_study_trial *x = &t[i];
    sqlite3_bind_int64(st, 1, study);
    sqlite3_bind_int64(st, 2, x->number);
    sqlite3_bind_int(st, 3, x->state);
    bind_exact(st, 4, x->value);
    bind_exact(st, 5, x->value2);
    /* never a NULL pointer: SQLite would bind NULL, not an empty blob */
    sqlite3_bind_blob(st, 6, x->n_params ? (const void *)x->params : "", x->n_params * 8,
                      SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, x->n_values ? (const void *)x->values : "", (int)(x->n_values * 8),
                      SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
      if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
        rc = cq_error_set(err, CQ_EEXIST, "study %lld: trial %lld is already stored",
                          (long long)study, (long long)x->number);
      else {
        rc = db_error(s, err, doing);
        cq_error_prefix(err, "study %lld, trial %lld: ", (long long)study, (long long)x->number);
      }
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  if (rc) return rc;
  if ((rc = prep(s, "UPDATE studies SET n_trials = n_trials + ?2 WHERE id = ?1", &st, err, doing)))
    return rc;
  sqlite3_bind_int64(st, 1, study);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)n);
  rc = step_done(s, st, err, doing);
  sqlite3_finalize(st);
  return rc;
}

static int sq_put_trials(cq_store *base, int64_t study, const cq_study_trial *t, size_t n,
                         cq_error *err) {
  sq_store *s = (sq_store *)base;
  int rc = atomic_begin(s, err);
  if (rc) return rc;
  return atomic_end(s, put_trials_body(s, study, t, n, err), err);
}

/* Every trial of a study into one trials array and one pool, sized by a first query that
 * sees the same snapshot (the caller reads inside a savepoint). */
static int get_study_trials(sq_store *s, int64_t id, cq_study *out, cq_error *err) {
  const char *doing = "reading study trials";
  sqlite3_stmt *st = NULL;
  int rc = prep(s,
                "SELECT count(*), coalesce(sum(length(vals)), 0) FROM study_trials"
                " WHERE study_id = ?1",
                &st, err, doing);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  int step = sqlite3_step(st);
  sqlite3_int64 rows = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_int64 bytes = step == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
  sqlite3_finalize(st);
  if (step != SQLITE_ROW) return db_error(s, err, doing);
  if (rows < 0 || bytes < 0 || bytes % 8 || (uint64_t)rows > SIZE_MAX / sizeof *out->trials ||
      (uint64_t)bytes > SIZE_MAX)
    return cq_error_set(err, CQ_EIO, "sqlite %s: study %lld: stored trials are malformed", s->path,
                        (long long)id);
  size_t n = (size_t)rows, pool = (size_t)bytes / 8;
  out->trials = calloc(n ? n : 1, sizeof *out->trials);
  out->pool = malloc(pool ? pool * sizeof *out->pool : 1);
  if (!out->trials || !out->pool)
    return cq_error_set(err, CQ_ENOMEM, "%s: %zu trials of study %lld: out of memory", doing, n,
                        (long long)id);
  if ((rc = prep(s,
                 "SELECT number, state, value, value2, params, vals FROM study_trials"
                 " WHERE study_id = ?1 ORDER BY number",
                 &st, err, doing)))
    return rc;
  sqlite3_bind_int64(st, 1, id);
  size_t k = 0, used = 0;
  while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
    const void *pb = sqlite3_column_blob(st, 4);
    size_t pbytes = (size_t)sqlite3_column_bytes(st, 4);
    const void *vb = sqlite3_column_blob(st, 5);
    size_t vbytes = (size_t)sqlite3_column_bytes(st, 5);
    size_t nv = vbytes / 8;
    if (k >= n || pbytes % 8 || pbytes > sizeof out->trials[k].params || vbytes % 8 ||
        nv > pool - used || (pbytes && !pb) || (vbytes && !vb)) {
      rc = cq_error_set(err, CQ_EIO, "sqlite %s: study %lld: stored trial %lld is malformed",
                        s->path, (long long)id, (long long)sqlite3_column_int64(st, 0));
      break;
    }
    cq_study_trial *x = &out->trials[k++];
    x->number = sqlite3_column_int64(st, 0);
    x->state = sqlite3_column_int(st, 1);
    x->value = column_exact(st, 2);
    x->value2 = column_exact(st, 3);
    x->n_params = (int)(pbytes / 8);
    if (pbytes) memcpy(x->params, pb, pbytes);
    x->n_values = nv;
    if (nv) {
      x->values = out->pool + used;
      memcpy(x->values, vb, vbytes);
      used += nv;
    }
  }
  if (!rc && step != SQLITE_DONE) rc = db_error(s, err, doing);
  sqlite3_finalize(st);
  if (!rc && k != n)
    rc = cq_error_set(err, CQ_EIO, "sqlite %s: study %lld: read %zu of %zu trials", s->path,
                      (long long)id, k, n);
  out->ntrials = k;
  return rc;
}

static int get_study_body(sq_store *s, int64_t id, bool trials, cq_study *out, cq_error *err) {
  const char *doing = "reading a study";
  char sql[400];
  snprintf(sql, sizeof sql, "SELECT %s, spec FROM studies WHERE id = ?1", study_cols);
  sqlite3_stmt *st = NULL;
  int rc = prep(s, sql, &st, err, doing);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    study_info_row(st, &out->info);
    if (!(out->spec = strdup((const char *)sqlite3_column_text(st, 16))))
      rc = cq_error_set(err, CQ_ENOMEM, "%s: out of memory", doing);
  } else {
    rc = step == SQLITE_DONE
             ? cq_error_set(err, CQ_ENOTFOUND, "no study %lld in %s", (long long)id, s->path)
             : db_error(s, err, doing);
  }
  sqlite3_finalize(st);
  if (rc || !trials) return rc;
  return get_study_trials(s, id, out, err);
}

static int sq_get_study(cq_store *base, int64_t id, bool trials, cq_study *out, cq_error *err) {
  sq_store *s = (sq_store *)base;
  /* one read transaction (or the caller's): the info and the trials from one snapshot */
  int rc = exec(s, "SAVEPOINT cq_read", err, "reading a study");
  if (rc) return rc;
  rc = get_study_body(s, id, trials, out, err);
  if (rc) {
    sqlite3_exec(s->db, "RELEASE cq_read", NULL, NULL, NULL);
    return rc;
  }
  return exec(s, "RELEASE cq_read", err, "reading a study");
}

static int sq_list_studies(cq_store *base, cq_study_info **out, size_t *n, cq_error *err) {
  sq_store *s = (sq_store *)base;
  const char *doing = "listing studies";
  char sql[400];
  snprintf(sql, sizeof sql, "SELECT %s FROM studies ORDER BY id DESC", study_cols);
  sqlite3_stmt *st = NULL;
  int rc = prep(s, sql, &st, err, doing);
  if (rc) return rc;
  cq_study_info *list = NULL;
  size_t len = 0, cap = 0;
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (len == cap) {
      size_t ncap = cap ? cap * 2 : 8;
      cq_study_info *nl = realloc(list, ncap * sizeof *nl);
      if (!nl) {
        rc = cq_error_set(err, CQ_ENOMEM, "%s: out of memory", doing);
        break;
      }
      list = nl;
      cap = ncap;
    }
    study_info_row(st, &list[len++]);
  }
  if (!rc && step != SQLITE_DONE) rc = db_error(s, err, doing);
  sqlite3_finalize(st);
  if (rc) {
    free(list);
    return rc;
  }
  *out = list;
  *n = len;
  return CQ_OK;
}

static int sq_delete_study(cq_store *base, int64_t id, cq_error *err) {
  sq_store *s = (sq_store *)base;
  const char *doing = "deleting a study";
  sqlite3_stmt *st = NULL;
  /* its trials go with it (ON DELETE CASCADE) */
  int rc = prep(s, "DELETE FROM studies WHERE id = ?1", &st, err, doing);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  rc = step_done(s, st, err, doing);
  sqlite3_finalize(st);
  if (!rc && sqlite3_changes(s->db) == 0)
    rc = cq_error_set(err, CQ_ENOTFOUND, "no study %lld in %s", (long long)id, s->path);
  return rc;
}

/* --- venue gaps and series bounds ------------------------------------------------------- */

static int sq_series_bounds(cq_store *base, const cq_series_key *key, cq_time from, cq_time to,
                            cq_time *first, cq_time *last, cq_error *err) {
  sq_store *s = (sq_store *)base;
  sqlite3_int64 sid;
  int rc = series_id(s, key, false, &sid, err);
  if (rc) return rc; /* CQ_ENOTFOUND: no such series, so no candle */
  /* candles are keyed by whole milliseconds: [from, to) in ns -> [ceil, ceil) in ms */
  sqlite3_int64 lo = (sqlite3_int64)((from + CQ_NS_PER_MS - 1) / CQ_NS_PER_MS);
  sqlite3_int64 hi = (sqlite3_int64)((to + CQ_NS_PER_MS - 1) / CQ_NS_PER_MS);
  if (from < 0) lo = (sqlite3_int64)(from / CQ_NS_PER_MS);
  if (to < 0) hi = (sqlite3_int64)(to / CQ_NS_PER_MS);
  sqlite3_stmt *st = s->st[ST_CANDLE_BOUNDS];
  sqlite3_bind_int64(st, 1, sid);
  sqlite3_bind_int64(st, 2, lo);
  sqlite3_bind_int64(st, 3, hi);
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    return db_error(s, err, "reading series bounds");
  }
  bool none = sqlite3_column_type(st, 0) == SQLITE_NULL;
  if (!none) {
    *first = (cq_time)sqlite3_column_int64(st, 0) * CQ_NS_PER_MS;
    *last = (cq_time)sqlite3_column_int64(st, 1) * CQ_NS_PER_MS;
  }
  sqlite3_reset(st);
  return none ? CQ_ENOTFOUND : CQ_OK;
}

static int sq_put_gaps(cq_store *base, const cq_series_key *key, const cq_gap *g, size_t n,
                       cq_error *err) {
  sq_store *s = (sq_store *)base;
  const char *doing = "recording venue gaps";
  char tf[CQ_TF_STRMAX];
  cq_timeframe_format(key->tf, tf, sizeof tf);
  sqlite3_stmt *st = NULL;
  int rc = prep(s,
                "INSERT INTO candle_gaps (venue, symbol, timeframe, gap_from, gap_to, recorded_at)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (venue, symbol, timeframe, gap_from)"
                " DO UPDATE SET gap_to = max(gap_to, excluded.gap_to),"
                " recorded_at = excluded.recorded_at",
                &st, err, doing);
  if (rc) return rc;
  if ((rc = atomic_begin(s, err))) {
    sqlite3_finalize(st);
    return rc;
  }
  for (size_t i = 0; i < n && !rc; i++) {
    sqlite3_bind_text(st, 1, key->venue, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key->symbol, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, tf, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, g[i].from);
    sqlite3_bind_int64(st, 5, g[i].to);
    sqlite3_bind_int64(st, 6, g[i].recorded_at);
    rc = step_done(s, st, err, doing);
  }
  sqlite3_finalize(st);
  rc = atomic_end(s, rc, err);
  return rc;
}

static int sq_get_gaps(cq_store *base, const cq_series_key *key, cq_time from, cq_time to,
                       cq_gap **out, size_t *n, cq_error *err) {
  sq_store *s = (sq_store *)base;
  const char *doing = "reading venue gaps";
  char tf[CQ_TF_STRMAX];
  cq_timeframe_format(key->tf, tf, sizeof tf);
  sqlite3_stmt *st = NULL;
  int rc = prep(s,
                "SELECT gap_from, gap_to, recorded_at FROM candle_gaps WHERE venue = ?1"
                " AND symbol = ?2 AND timeframe = ?3 AND gap_to > ?4 AND gap_from < ?5"
                " ORDER BY gap_from",
                &st, err, doing);
  if (rc) return rc;
  sqlite3_bind_text(st, 1, key->venue, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, key->symbol, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, tf, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, from);
  sqlite3_bind_int64(st, 5, to);
  cq_gap *v = NULL;
  size_t len = 0, cap = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (len == cap) {
      size_t nc = cap ? cap * 2 : 16;
      cq_gap *nv = realloc(v, nc * sizeof *nv);
      if (!nv) {
        free(v);
        sqlite3_finalize(st);
        return cq_error_set(err, CQ_ENOMEM, "%s: out of memory", doing);
      }
      v = nv;
      cap = nc;
    }
    v[len].from = sqlite3_column_int64(st, 0);
    v[len].to = sqlite3_column_int64(st, 1);
    v[len].recorded_at = sqlite3_column_int64(st, 2);
    len++;
  }
  if (rc != SQLITE_DONE) {
    free(v);
    rc = db_error(s, err, doing);
    sqlite3_finalize(st);
    return rc;
  }
  sqlite3_finalize(st);
  *out = v;
  *n = len;
  return CQ_OK;
}

/* --- stream consumer offsets ----------------------------------------------------------- */

static int sq_put_offsets(cq_store *base, const char *consumer, const cq_stream_offset *o, size_t n,
                          cq_time now, cq_error *err) {
  sq_store *s = (sq_store *)base;
  const char *doing = "writing stream offsets";
  sqlite3_stmt *st = NULL;
  int rc = prep(s,
                "INSERT INTO stream_offsets (consumer, topic, last_id, applied, updated)"
                " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (consumer, topic) DO UPDATE SET"
                " last_id = excluded.last_id, applied = excluded.applied,"
                " updated = excluded.updated",
                &st, err, doing);
  if (rc) return rc;
  if ((rc = atomic_begin(s, err))) {
    sqlite3_finalize(st);
    return rc;
  }
  for (size_t i = 0; i < n && !rc; i++) {
    sqlite3_bind_text(st, 1, consumer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, o[i].topic, -1, SQLITE_STATIC);
    /* the uint64's bits as a signed 64-bit INTEGER (converted back on read) */
    sqlite3_bind_int64(st, 3, (sqlite3_int64)o[i].last_id);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)o[i].applied);
    sqlite3_bind_int64(st, 5, now);
    rc = step_done(s, st, err, doing);
  }
  sqlite3_finalize(st);
  return atomic_end(s, rc, err);
}

static int sq_get_offsets(cq_store *base, const char *consumer, cq_stream_offset **out, size_t *n,
                          cq_error *err) {
  sq_store *s = (sq_store *)base;
  const char *doing = "reading stream offsets";
  sqlite3_stmt *st = NULL;
  int rc = prep(s,
                "SELECT topic, last_id, applied, updated FROM stream_offsets"
                " WHERE consumer = ?1 ORDER BY topic",
                &st, err, doing);
  if (rc) return rc;
  sqlite3_bind_text(st, 1, consumer, -1, SQLITE_STATIC);
  cq_stream_offset *v = NULL;
  size_t len = 0, cap = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (len == cap) {
      size_t nc = cap ? cap * 2 : 16;
      cq_stream_offset *nv = realloc(v, nc * sizeof *nv);
      if (!nv) {
        free(v);
        sqlite3_finalize(st);
        return cq_error_set(err, CQ_ENOMEM, "%s of %s: out of memory", doing, consumer);
      }
      v = nv;
      cap = nc;
    }
    cq_stream_offset *x = &v[len++];
    const char *topic = (const char *)sqlite3_column_text(st, 0);
    cq_strlcpy(x->topic, topic ? topic : "", sizeof x->topic);
    x->last_id = (uint64_t)sqlite3_column_int64(st, 1);
    x->applied = (uint64_t)sqlite3_column_int64(st, 2);
    x->updated = sqlite3_column_int64(st, 3);
  }
  if (rc != SQLITE_DONE) {
    free(v);
    rc = db_error(s, err, doing);
    sqlite3_finalize(st);
    return rc;
  }
  sqlite3_finalize(st);
  *out = v;
  *n = len;
  return CQ_OK;
}

const cq_store_ops cq_store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .schema_version = sq_schema_version,
    .put_instruments = sq_put_instruments,
    .get_instrument = sq_get_instrument,
    .put_candles = sq_put_candles,
    .get_candles = sq_get_candles,
    .list_series = sq_list_series,
    .series_bounds = sq_series_bounds,
    .put_gaps = sq_put_gaps,
    .get_gaps = sq_get_gaps,
    .put_trades = sq_put_trades,
    .get_trades = sq_get_trades,
    .layout = sq_layout,
    .put_features = sq_put_features,
    .get_features = sq_get_features,
    .list_features = sq_list_features,
    .put_run = sq_put_run,
    .get_run = sq_get_run,
    .list_runs = sq_list_runs,
    .delete_run = sq_delete_run,
    .put_study = sq_put_study,
    .put_trials = sq_put_trials,
    .get_study = sq_get_study,
    .list_studies = sq_list_studies,
    .delete_study = sq_delete_study,
    .put_offsets = sq_put_offsets,
    .get_offsets = sq_get_offsets,
};
