/* Storage of market data behind one interface, with two backends that behave the same:
 * SQLite (the embedded default, one file) and PostgreSQL (TimescaleDB hypertables when the
 * extension is available, native monthly range partitions otherwise).
 *
 * A store is opened from a URI:
 *   sqlite:PATH            (sqlite:./var/cquant.db; the folder is created)
 *   sqlite::memory:        (a private in-memory database, for tests)
 *   postgres://user@host:port/db?...   or  postgresql://...  (libpq connection URI)
 * Opening applies the versioned migrations (never destructive; all of a step or none).
 *
 * Writes: candles are unique on (venue, symbol, timeframe, open time). Writing a candle that
 * is already stored with the same values changes nothing; with other values it is a
 * revision: the row is updated and counted. A batch of writes is atomic between
 * cq_store_begin and cq_store_commit; cq_store_rollback undoes all of it.
 */
#ifndef CQUANT_STORE_H
#define CQUANT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core.h"
#include "cquant/model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CQ_STORE_DEFAULT_URI "sqlite:./var/cquant.db"

typedef struct cq_store cq_store;

/* What a write did, row by row. */
typedef struct cq_write_report {
  uint64_t inserted;  /* new rows */
  uint64_t revised;   /* rows that existed with other values, now updated */
  uint64_t unchanged; /* rows that existed with the same values */
} cq_write_report;

/* Coverage of one candle series. */
typedef struct cq_series_info {
  cq_series_key key;
  cq_time first, last; /* open times of the first and last stored candles */
  uint64_t rows;
  uint64_t missing; /* bars missing from the timeframe grid between first and last */
  uint64_t gaps;    /* runs of consecutive missing bars */
} cq_series_info;

/* A stretch of a series the venue itself has no candles for (maintenance, a listing gap):
 * open times from <= t < to. Recorded by a backfill so it is not asked for again. */
typedef struct cq_gap {
  cq_time from, to;
  cq_time recorded_at;
} cq_gap;

/* --- feature frames ----------------------------------------------------------------------
 * The stored result of building a feature set over one candle series: a time column and one
 * value column per feature, in the set's order. Keyed by (set, version, series): building a
 * set again with the same version replaces that frame; other versions stay readable. */
enum { CQ_FEATURE_NAME_MAX = 64, CQ_FEATURE_VERSION_MAX = 24 };

typedef struct cq_feature_frame {
  char set[CQ_FEATURE_NAME_MAX];        /* the feature set's name */
  char version[CQ_FEATURE_VERSION_MAX]; /* hash of its definitions */
  char source[CQ_FEATURE_VERSION_MAX];  /* fingerprint of the candles it was built from */
  cq_series_key key;
  cq_time built_at;
  char *definition; /* canonical text of the definitions */
  size_t rows;
  int n_features;
  char (*names)[CQ_FEATURE_NAME_MAX]; /* n_features names */
  cq_time *time;                      /* rows open times */
  double **values;                    /* n_features columns of rows values */
} cq_feature_frame;

/* What is stored, per frame. */
typedef struct cq_feature_info {
  char set[CQ_FEATURE_NAME_MAX];
  char version[CQ_FEATURE_VERSION_MAX];
  cq_series_key key;
  cq_time built_at;
  uint64_t rows;
  int n_features;
} cq_feature_info;

/* Frees what cq_store_get_features (or cq_feature_frame_alloc) allocated; zeroes f. */
void cq_feature_frame_release(cq_feature_frame *f);
/* Allocates names, time and values for rows x n_features (values NaN, times 0). */
CQ_NODISCARD int cq_feature_frame_alloc(cq_feature_frame *f, size_t rows, int n_features,
                                        cq_error *err);

/* --- backtest runs -----------------------------------------------------------------------
 * A finished backtest as the store keeps it: the headline facts in columns (to list and
 * compare runs), every closed or open trade as a row (to query), the equity curve as two
 * little-endian columns, and the whole run document as JSON text. Plain store-level records:
 * the backtest layer fills them. Ids are assigned by the store, increasing, never reused. */
enum { CQ_RUN_NAME_MAX = 64, CQ_RUN_SYMBOLS_MAX = 512 };

typedef struct cq_run_info {
  int64_t id;         /* assigned by cq_store_put_run */
  cq_time created_at; /* when the run was made (the caller's clock) */
  char strategy[CQ_RUN_NAME_MAX];
  char engine[CQ_RUN_NAME_MAX]; /* "event", "vector" */
  char venue[CQ_VENUE_MAX];
  char symbols[CQ_RUN_SYMBOLS_MAX]; /* comma-joined: "BTC/USDT,ETH/USDT" */
  char timeframe[CQ_TF_STRMAX];
  cq_time from, to;                          /* the run's time range */
  double total_return, sharpe, max_drawdown; /* NaN when undefined */
  int64_t n_trades;                          /* trades the run counted */
} cq_run_info;

/* One trade of a run; the exit of a trade still open at the end is the last close. Values
 * round-trip exactly, NaN included. */
typedef struct cq_run_trade {
  int64_t seq; /* unique within the run */
  char symbol[CQ_SYMBOL_MAX];
  cq_time entry_time, exit_time;
  double qty, entry_price, exit_price, fees, pnl, ret;
} cq_run_trade;

typedef struct cq_run {
  cq_run_info info;
  char *document;       /* the run as JSON text (malloc'd; may be NULL when put: stored "") */
  cq_run_trade *trades; /* ntrades rows */
  size_t ntrades;
  cq_time *time;  /* npoints bar times of the equity curve */
  double *equity; /* npoints values */
  size_t npoints;
} cq_run;

/* Frees what cq_store_get_run (or cq_run_alloc) allocated; zeroes r. */
void cq_run_release(cq_run *r);
/* Allocates zeroed trades and equity arrays of the given sizes (document untouched). */
CQ_NODISCARD int cq_run_alloc(cq_run *r, size_t ntrades, size_t npoints, cq_error *err);

/* --- optimization studies ----------------------------------------------------------------
 * A study (an optimization, a walk-forward, an evaluation) as the store keeps it, so it can
 * be listed, shown and resumed: the headline facts in columns, the full specification as JSON
 * text (what a resume needs to rebuild the search), and every finished trial as a row with
 * its parameter values and a packed vector of doubles the optimizer defines (metrics, block
 * statistics); doubles round-trip bit for bit, NaN and -0.0 included. Ids are assigned by
 * the store, increasing, never reused. */
enum {
  CQ_STUDY_MAX_PARAMS = 12,
  CQ_STUDY_STATUS_MAX = 16,
  CQ_STUDY_MAX_VALUES = 1 << 20 /* doubles in one trial's values (8 MiB) */
};

typedef struct cq_study_info {
  int64_t id;         /* assigned by cq_store_put_study when 0 */
  cq_time created_at; /* the caller's clock */
  cq_time updated_at;
  char kind[CQ_RUN_NAME_MAX]; /* "optimize", "walkforward", "evaluate" */
  char strategy[CQ_RUN_NAME_MAX];
  char sampler[CQ_RUN_NAME_MAX];   /* "grid", "random", "tpe" */
  char objective[CQ_RUN_NAME_MAX]; /* "sharpe" */
  char venue[CQ_VENUE_MAX];
  char symbols[CQ_RUN_SYMBOLS_MAX]; /* comma-joined */
  char timeframe[CQ_TF_STRMAX];
  cq_time from, to;
  char status[CQ_STUDY_STATUS_MAX]; /* "running", "done", "stopped" */
  int64_t n_trials;                 /* trials stored (kept up to date by put_trials) */
  int64_t best_trial;               /* -1: none */
  double best_value;                /* NaN: none */
} cq_study_info;

typedef struct cq_study_trial {
  int64_t number; /* unique within the study, >= 0; 0, 1, 2, ... */
  int state;      /* the optimizer's code (complete, infeasible, failed) */
  double value, value2;
  int n_params; /* 0..CQ_STUDY_MAX_PARAMS */
  double params[CQ_STUDY_MAX_PARAMS];
  size_t n_values; /* 0..CQ_STUDY_MAX_VALUES */
  double *values;  /* n_values doubles (may be NULL when n_values is 0) */
} cq_study_trial;

typedef struct cq_study {
  cq_study_info info;
  char *spec;             /* JSON text (malloc'd; may be NULL when put: stored "") */
  cq_study_trial *trials; /* ntrials, by number ascending */
  size_t ntrials;
  double *pool; /* behind every trial's values (one allocation) */
} cq_study;

/* Frees what cq_store_get_study allocated (spec, trials, pool); zeroes st. */
void cq_study_release(cq_study *st);

/* --- stream consumer offsets --------------------------------------------------------------
 * Where a consumer of bus streams stands, per topic: the last event id it applied and how
 * many events it applied in total. A consumer that writes its offsets in the same
 * transaction as what it applied resumes exactly once after a crash. Ids are full uint64
 * (stored so that every value round-trips; see docs/internals/store.md). */
enum { CQ_STORE_TOPIC_MAX = 128, CQ_STORE_CONSUMER_MAX = 128 };

typedef struct cq_stream_offset {
  char topic[CQ_STORE_TOPIC_MAX];
  uint64_t last_id; /* the last event id applied (ids increase per topic) */
  uint64_t applied; /* events applied on this topic in total */
  cq_time updated;  /* wall clock of the write (set by put) */
} cq_stream_offset;

/* One backend: a const table of functions, one file (or folder) per backend. */
typedef struct cq_store_ops {
  const char *name; /* "sqlite", "postgres" */
  int (*open)(const char *uri, cq_store **out, cq_error *err);
  void (*close)(cq_store *s);
  int (*begin)(cq_store *s, cq_error *err);
  int (*commit)(cq_store *s, cq_error *err);
  int (*rollback)(cq_store *s, cq_error *err);
  int (*schema_version)(cq_store *s, int *out, cq_error *err);
  int (*put_instruments)(cq_store *s, const cq_instrument *ins, size_t n, cq_write_report *rep,
                         cq_error *err);
  int (*get_instrument)(cq_store *s, const char *venue, const char *symbol, cq_instrument *out,
                        cq_error *err);
  int (*put_candles)(cq_store *s, const cq_series_key *key, const cq_candles *c, size_t first,
                     size_t n, cq_write_report *rep, cq_error *err);
  int (*get_candles)(cq_store *s, const cq_series_key *key, cq_time from, cq_time to,
                     cq_candles *out, cq_error *err);
  int (*list_series)(cq_store *s, cq_series_info **out, size_t *n, cq_error *err);
  int (*put_trades)(cq_store *s, const char *venue, const char *symbol, const cq_trades *t,
                    cq_write_report *rep, cq_error *err);
  int (*get_trades)(cq_store *s, const char *venue, const char *symbol, cq_time from, cq_time to,
                    cq_trades *out, cq_error *err);
  const char *(*layout)(const cq_store *s);
  /* venue gaps and series bounds (backfill) */
  int (*put_gaps)(cq_store *s, const cq_series_key *key, const cq_gap *g, size_t n, cq_error *err);
  int (*get_gaps)(cq_store *s, const cq_series_key *key, cq_time from, cq_time to, cq_gap **out,
                  size_t *n, cq_error *err);
  int (*series_bounds)(cq_store *s, const cq_series_key *key, cq_time from, cq_time to,
                       cq_time *first, cq_time *last, cq_error *err);
  /* feature frames, values as little-endian blobs (see store.c) */
  int (*put_features)(cq_store *s, const cq_feature_frame *f, cq_error *err);
  int (*get_features)(cq_store *s, const char *set, const char *version, const cq_series_key *key,
                      bool data, cq_feature_frame *out, cq_error *err);
  int (*list_features)(cq_store *s, cq_feature_info **out, size_t *n, cq_error *err);
  /* NULL when the backend has no retention policies */
  int (*set_retention)(cq_store *s, int64_t keep_ns, cq_error *err);
  /* backtest runs */
  int (*put_run)(cq_store *s, cq_run *run, cq_error *err);
  int (*get_run)(cq_store *s, int64_t id, bool data, cq_run *out, cq_error *err);
  int (*list_runs)(cq_store *s, cq_run_info **out, size_t *n, cq_error *err);
  int (*delete_run)(cq_store *s, int64_t id, cq_error *err);
  /* optimization studies */
  int (*put_study)(cq_store *s, cq_study_info *info, const char *spec, cq_error *err);
  int (*put_trials)(cq_store *s, int64_t study, const cq_study_trial *t, size_t n, cq_error *err);
  int (*get_study)(cq_store *s, int64_t id, bool trials, cq_study *out, cq_error *err);
  int (*list_studies)(cq_store *s, cq_study_info **out, size_t *n, cq_error *err);
  int (*delete_study)(cq_store *s, int64_t id, cq_error *err);
  /* stream consumer offsets; names checked by store.c, now is the wall clock of the put */
  int (*put_offsets)(cq_store *s, const char *consumer, const cq_stream_offset *o, size_t n,
                     cq_time now, cq_error *err);
  int (*get_offsets)(cq_store *s, const char *consumer, cq_stream_offset **out, size_t *n,
                     cq_error *err);
} cq_store_ops;

/* Every backend's handle starts with this. */
struct cq_store {
  const cq_store_ops *ops;
};

extern const cq_store_ops cq_store_sqlite_ops;
#ifdef CQ_HAVE_POSTGRES
extern const cq_store_ops cq_store_postgres_ops;
#endif

/* Names of the backends compiled in, NULL-terminated. */
const char *const *cq_store_backends(void);

/* Opens (creating and migrating as needed) the store a URI names. */
CQ_NODISCARD int cq_store_open(const char *uri, cq_store **out, cq_error *err);
void cq_store_close(cq_store *s);
const char *cq_store_backend(const cq_store *s);
/* How candles and trades are laid out: "rows" (SQLite: one table each), "partitions"
 * (PostgreSQL: native range partitions by month), "timescaledb" (PostgreSQL: hypertables
 * with compression). Chosen when the store was created; never NULL. */
const char *cq_store_layout(const cq_store *s);

CQ_NODISCARD int cq_store_begin(cq_store *s, cq_error *err);
CQ_NODISCARD int cq_store_commit(cq_store *s, cq_error *err);
/* Undoes everything since begin. Safe to call after a failed write. */
int cq_store_rollback(cq_store *s, cq_error *err);
CQ_NODISCARD int cq_store_schema_version(cq_store *s, int *out, cq_error *err);

/* Upserts instruments by (venue, symbol). */
CQ_NODISCARD int cq_store_put_instruments(cq_store *s, const cq_instrument *ins, size_t n,
                                          cq_write_report *rep, cq_error *err);
/* CQ_ENOTFOUND when absent. */
CQ_NODISCARD int cq_store_get_instrument(cq_store *s, const char *venue, const char *symbol,
                                         cq_instrument *out, cq_error *err);

/* Writes rows [first, first + n) of c. rep (may be NULL) is added to, not reset. Open times
 * must be aligned to the series' timeframe (CQ_EINVAL otherwise, naming the row). */
CQ_NODISCARD int cq_store_put_candles(cq_store *s, const cq_series_key *key, const cq_candles *c,
                                      size_t first, size_t n, cq_write_report *rep, cq_error *err);
/* Appends the candles with from <= open_time < to, in time order, to out. */
CQ_NODISCARD int cq_store_get_candles(cq_store *s, const cq_series_key *key, cq_time from,
                                      cq_time to, cq_candles *out, cq_error *err);
/* Coverage of every series, sorted by venue, symbol, timeframe. *out is allocated with
 * malloc; the caller frees it. */
CQ_NODISCARD int cq_store_list_series(cq_store *s, cq_series_info **out, size_t *n, cq_error *err);

/* Open times of the first and last stored candles with from <= open_time < to; CQ_ENOTFOUND
 * when there is none (no message set: an empty range is not a failure to report). */
CQ_NODISCARD int cq_store_series_bounds(cq_store *s, const cq_series_key *key, cq_time from,
                                        cq_time to, cq_time *first, cq_time *last, cq_error *err);
/* Records gaps of a series (upsert on the gap's start: a later record of the same start keeps
 * the longer end). Each must have from < to, both aligned to the timeframe (CQ_EINVAL). */
CQ_NODISCARD int cq_store_put_gaps(cq_store *s, const cq_series_key *key, const cq_gap *g,
                                   size_t n, cq_error *err);
/* The recorded gaps overlapping [from, to), by start. *out is malloc'd; caller frees. */
CQ_NODISCARD int cq_store_get_gaps(cq_store *s, const cq_series_key *key, cq_time from, cq_time to,
                                   cq_gap **out, size_t *n, cq_error *err);

/* Trades are unique on (venue, symbol, venue trade id). */
CQ_NODISCARD int cq_store_put_trades(cq_store *s, const char *venue, const char *symbol,
                                     const cq_trades *t, cq_write_report *rep, cq_error *err);
CQ_NODISCARD int cq_store_get_trades(cq_store *s, const char *venue, const char *symbol,
                                     cq_time from, cq_time to, cq_trades *out, cq_error *err);

/* Retention: candles and trades older than keep_ns are dropped by the database on its own
 * schedule (TimescaleDB's retention policy, whole chunks at a time); keep_ns 0 removes the
 * policy. CQ_EUNSUPPORTED, saying why, on a store without TimescaleDB (SQLite, or PostgreSQL
 * with monthly partitions, where old months are dropped by hand). */
CQ_NODISCARD int cq_store_set_retention(cq_store *s, int64_t keep_ns, cq_error *err);

/* Stores a frame, replacing the one with the same (set, version, series), in one
 * transaction. Names must be distinct and non-empty. */
CQ_NODISCARD int cq_store_put_features(cq_store *s, const cq_feature_frame *f, cq_error *err);
/* Reads the frame of (set, version, series); version NULL or "" means the latest built.
 * With data false only the header (no names, times or values; definition included).
 * CQ_ENOTFOUND when there is none. out is released by cq_feature_frame_release. */
CQ_NODISCARD int cq_store_get_features(cq_store *s, const char *set, const char *version,
                                       const cq_series_key *key, bool data, cq_feature_frame *out,
                                       cq_error *err);
/* Every stored frame, sorted by set, series, build time. *out is malloc'd; caller frees. */
CQ_NODISCARD int cq_store_list_features(cq_store *s, cq_feature_info **out, size_t *n,
                                        cq_error *err);

/* Stores a run (info, document, trades, equity) in one transaction: all of it or nothing.
 * The store assigns run->info.id (larger than any before). Trade seqs must be distinct;
 * symbols, strategy and engine non-empty; equity times increasing. */
CQ_NODISCARD int cq_store_put_run(cq_store *s, cq_run *run, cq_error *err);
/* Reads run `id`; with data false only info and document (no trades, no equity).
 * CQ_ENOTFOUND, naming the id, when there is none. out is released by cq_run_release. */
CQ_NODISCARD int cq_store_get_run(cq_store *s, int64_t id, bool data, cq_run *out, cq_error *err);
/* The info of every run, newest (largest id) first. *out is malloc'd; caller frees. */
CQ_NODISCARD int cq_store_list_runs(cq_store *s, cq_run_info **out, size_t *n, cq_error *err);
/* Deletes a run with its trades and equity. CQ_ENOTFOUND when there is none. */
CQ_NODISCARD int cq_store_delete_run(cq_store *s, int64_t id, cq_error *err);

/* Creates a study when info->id is 0 (the store assigns info->id, larger than any before,
 * never reused, and sets info->n_trials to 0) or updates the one with that id (every column
 * but id, created_at and n_trials; spec replaced unless NULL; NULL on create is stored "").
 * CQ_ENOTFOUND, naming the id, for an unknown id. kind, strategy non-empty (CQ_EINVAL).
 * info is changed only on success. */
CQ_NODISCARD int cq_store_put_study(cq_store *s, cq_study_info *info, const char *spec,
                                    cq_error *err);
/* Appends finished trials to a study in one transaction (or as one step of the caller's
 * begin/commit): all of them or none, and the study's n_trials grows by n. A number already
 * stored, or given twice, is CQ_EEXIST naming the study and the number; a number below 0,
 * n_params outside 0..CQ_STUDY_MAX_PARAMS or n_values above CQ_STUDY_MAX_VALUES is
 * CQ_EINVAL; an unknown study is CQ_ENOTFOUND (also when n is 0). These refusals leave the
 * caller's transaction usable. */
CQ_NODISCARD int cq_store_put_trials(cq_store *s, int64_t study, const cq_study_trial *t, size_t n,
                                     cq_error *err);
/* Reads study `id` (spec included); with trials true every trial too, by number ascending,
 * info and trials from one snapshot (info.n_trials == ntrials). CQ_ENOTFOUND, naming the
 * id, when there is none. out is released by cq_study_release (also after an error). */
CQ_NODISCARD int cq_store_get_study(cq_store *s, int64_t id, bool trials, cq_study *out,
                                    cq_error *err);
/* The info of every study, newest (largest id) first. *out is malloc'd; caller frees. */
CQ_NODISCARD int cq_store_list_studies(cq_store *s, cq_study_info **out, size_t *n, cq_error *err);
/* Deletes a study with its trials. CQ_ENOTFOUND, naming the id, when there is none. */
CQ_NODISCARD int cq_store_delete_study(cq_store *s, int64_t id, cq_error *err);

/* Sets (upserts) the offsets of consumer's topics, updated set to the wall clock, inside or
 * outside the caller's transaction: all rows or none. CQ_EINVAL (nothing written) for a
 * consumer or topic that is empty, not shorter than its maximum, not UTF-8 or holding a
 * control character, or a topic given twice. */
CQ_NODISCARD int cq_store_put_offsets(cq_store *s, const char *consumer, const cq_stream_offset *o,
                                      size_t n, cq_error *err);
/* Every offset of consumer, by topic (bytewise). *out is malloc'd, the caller frees it;
 * *n is 0 and *out NULL when there is none. CQ_EINVAL for a bad consumer name. */
CQ_NODISCARD int cq_store_get_offsets(cq_store *s, const char *consumer, cq_stream_offset **out,
                                      size_t *n, cq_error *err);

#ifdef __cplusplus
}
#endif
#endif
