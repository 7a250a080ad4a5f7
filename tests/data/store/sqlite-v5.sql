-- A version-5 SQLite store (before stream offsets), as `sqlite3 FILE .dump` printed it:
-- made by the store code of schema version 5 with three 1h candles of binance BTC/USDT
-- and one venue gap. Loaded by test_store_conformance to check that opening it migrates.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));
INSERT INTO schema_version VALUES(1,'2026-12-07T03:32:35Z');
INSERT INTO schema_version VALUES(2,'2026-12-07T03:32:35Z');
INSERT INTO schema_version VALUES(3,'2026-12-07T03:32:35Z');
INSERT INTO schema_version VALUES(4,'2026-12-07T03:32:35Z');
INSERT INTO schema_version VALUES(5,'2026-12-07T03:32:35Z');
CREATE TABLE instruments (  venue TEXT NOT NULL, symbol TEXT NOT NULL, native TEXT NOT NULL,  base TEXT NOT NULL, quote TEXT NOT NULL, tick TEXT NOT NULL, lot TEXT NOT NULL,  min_qty TEXT NOT NULL, min_notional TEXT NOT NULL, status TEXT NOT NULL,  PRIMARY KEY (venue, symbol)) WITHOUT ROWID;
CREATE TABLE series (  id INTEGER PRIMARY KEY, venue TEXT NOT NULL, symbol TEXT NOT NULL,  timeframe TEXT NOT NULL, UNIQUE (venue, symbol, timeframe));
INSERT INTO series VALUES(1,'binance','BTC/USDT','1h');
CREATE TABLE candles (  series_id INTEGER NOT NULL REFERENCES series(id), open_time INTEGER NOT NULL,  open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,  volume REAL NOT NULL, quote_volume REAL, trades INTEGER, closed INTEGER NOT NULL,  PRIMARY KEY (series_id, open_time)) WITHOUT ROWID;
INSERT INTO candles VALUES(1,1704067200000,100.0,101.0,99.0,100.49999999999999999,10.0,1000.0,5,1);
INSERT INTO candles VALUES(1,1704070800000,101.0,102.0,100.0,101.49999999999999999,11.0,1001.0,6,1);
INSERT INTO candles VALUES(1,1704074400000,102.0,103.0,101.0,102.49999999999999999,12.0,1002.0,7,1);
CREATE TABLE trades (  venue TEXT NOT NULL, symbol TEXT NOT NULL, trade_id TEXT NOT NULL,  time INTEGER NOT NULL, price TEXT NOT NULL, qty TEXT NOT NULL, side INTEGER NOT NULL,  PRIMARY KEY (venue, symbol, trade_id)) WITHOUT ROWID;
CREATE TABLE feature_frames (  set_name TEXT NOT NULL, version TEXT NOT NULL,  series_id INTEGER NOT NULL REFERENCES series(id), source TEXT NOT NULL,  definition TEXT NOT NULL, built_at INTEGER NOT NULL, rows INTEGER NOT NULL,  n_features INTEGER NOT NULL, time BLOB NOT NULL,  PRIMARY KEY (set_name, version, series_id)) WITHOUT ROWID;
CREATE TABLE features (  set_name TEXT NOT NULL, version TEXT NOT NULL, series_id INTEGER NOT NULL,  position INTEGER NOT NULL, name TEXT NOT NULL, vals BLOB NOT NULL,  PRIMARY KEY (set_name, version, series_id, position),  FOREIGN KEY (set_name, version, series_id) REFERENCES feature_frames  ON DELETE CASCADE) WITHOUT ROWID;
CREATE TABLE backtest_runs (  id INTEGER PRIMARY KEY AUTOINCREMENT, created_at INTEGER NOT NULL,  strategy TEXT NOT NULL, engine TEXT NOT NULL, venue TEXT NOT NULL,  symbols TEXT NOT NULL, timeframe TEXT NOT NULL, from_time INTEGER NOT NULL,  to_time INTEGER NOT NULL, total_return REAL, sharpe REAL, max_drawdown REAL,  n_trades INTEGER NOT NULL, document TEXT NOT NULL);
CREATE TABLE backtest_trades (  run_id INTEGER NOT NULL REFERENCES backtest_runs (id) ON DELETE CASCADE,  seq INTEGER NOT NULL, symbol TEXT NOT NULL CHECK (symbol <> ''),  entry_time INTEGER NOT NULL, exit_time INTEGER NOT NULL, qty REAL, entry_price REAL,  exit_price REAL, fees REAL, pnl REAL, ret REAL,  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
CREATE TABLE backtest_equity (  run_id INTEGER PRIMARY KEY REFERENCES backtest_runs (id) ON DELETE CASCADE,  points INTEGER NOT NULL, time BLOB NOT NULL, equity BLOB NOT NULL);
CREATE TABLE studies (  id INTEGER PRIMARY KEY AUTOINCREMENT, created_at INTEGER NOT NULL,  updated_at INTEGER NOT NULL, kind TEXT NOT NULL CHECK (kind <> ''),  strategy TEXT NOT NULL CHECK (strategy <> ''), sampler TEXT NOT NULL,  objective TEXT NOT NULL, venue TEXT NOT NULL, symbols TEXT NOT NULL,  timeframe TEXT NOT NULL, from_time INTEGER NOT NULL, to_time INTEGER NOT NULL,  status TEXT NOT NULL, n_trials INTEGER NOT NULL DEFAULT 0,  best_trial INTEGER NOT NULL, best_value NOT NULL, spec TEXT NOT NULL);
CREATE TABLE study_trials (  study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,  number INTEGER NOT NULL CHECK (number >= 0), state INTEGER NOT NULL,  value NOT NULL, value2 NOT NULL, params BLOB NOT NULL, vals BLOB NOT NULL,  PRIMARY KEY (study_id, number)) WITHOUT ROWID;
CREATE TABLE candle_gaps (  venue TEXT NOT NULL, symbol TEXT NOT NULL, timeframe TEXT NOT NULL,  gap_from INTEGER NOT NULL, gap_to INTEGER NOT NULL CHECK (gap_to > gap_from),  recorded_at INTEGER NOT NULL,  PRIMARY KEY (venue, symbol, timeframe, gap_from)) WITHOUT ROWID;
INSERT INTO candle_gaps VALUES('binance','BTC/USDT','1h',1704085200000000000,1704092400000000000,1704096000000000000);
DELETE FROM sqlite_sequence;
CREATE VIEW candles_v AS SELECT s.venue, s.symbol, s.timeframe, c.open_time, c.open,  c.high, c.low, c.close, c.volume, c.quote_volume, c.trades, c.closed  FROM candles c JOIN series s ON s.id = c.series_id;
CREATE INDEX trades_by_time ON trades (venue, symbol, time);
CREATE INDEX backtest_trades_by_symbol ON backtest_trades (symbol, entry_time);
COMMIT;
