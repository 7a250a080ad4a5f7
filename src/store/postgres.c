/* PostgreSQL backend: libpq, binary COPY in, binary results out, all of a write in one
 * transaction. Behaves like the SQLite backend through the API (same rows, same reports).
 *
 * Layout (chosen once, by migration 1, and kept in store_meta 'layout'):
 *   timescaledb  the extension could be created: candles and trades are hypertables with
 *                compression (see migrate_timescale);
 *   partitions   otherwise: native range partitions by month (candles_y2024m01, ...),
 *                created on demand by cq_ensure_partitions() before each write.
 * Times are timestamptz (microseconds). Candles open on a grid of whole seconds, so their
 * open times are exact; trades keep the nanoseconds below the microsecond in time_ns so a
 * cq_time round-trips exactly. Candle values are float8 sent and received in binary, so
 * doubles round-trip bit for bit. Trade prices and quantities are exact numeric.
 */
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/core/strutil.h"
#include "cquant/store.h"
#include "postgres_schema.h"
#include "store_internal.h"

/* Type OIDs (stable since PostgreSQL 7; catalog/pg_type_d.h is a server header). */
enum {
  OID_BOOL = 16,
  OID_BYTEA = 17,
  OID_INT8 = 20,
  OID_INT2 = 21,
  OID_INT4 = 23,
  OID_TEXT = 25,
  OID_FLOAT8 = 701,
  OID_TEXT_ARRAY = 1009,
  OID_INT8_ARRAY = 1016,
  OID_TIMESTAMPTZ = 1184
};

/* Microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01. */
#define PG_EPOCH_US INT64_C(946684800000000)

enum { COPY_CHUNK = 1 << 20, MAX_PARAMS = 16 };

typedef struct pg_store {
  cq_store base;
  PGconn *conn;
  bool timescale;  /* layout: hypertables (true) or monthly partitions */
  char where[200]; /* "host:port/db", for messages */
} pg_store;

/* ---- errors -------------------------------------------------------------------------- */

/* Copies libpq's message on one line, without the trailing newline. */
static void one_line(char *dst, size_t n, const char *src) {
  size_t k = 0;
  bool space = false;
  for (const char *p = src ? src : ""; *p && k + 1 < n; p++) {
    if (*p == '\n' || *p == '\t' || *p == '\r') {
      space = k > 0;
      continue;
    }
    if (space && k + 2 < n) dst[k++] = ' ';
    space = false;
    dst[k++] = *p;
  }
  dst[k] = '\0';
}

static int code_for_state(const char *state, ConnStatusType cs) {
  if (cs == CONNECTION_BAD) return CQ_ENET;
  if (!state) return CQ_EIO;
  if (!strncmp(state, "08", 2)) return CQ_ENET;    /* connection exception */
  if (!strncmp(state, "23", 2)) return CQ_EINVAL;  /* integrity constraint */
  if (!strncmp(state, "22", 2)) return CQ_EINVAL;  /* data exception */
  if (!strcmp(state, "42501")) return CQ_EPERM;    /* insufficient privilege */
  if (!strcmp(state, "53200")) return CQ_ENOMEM;   /* out of memory */
  if (!strcmp(state, "57014")) return CQ_ETIMEOUT; /* statement timeout / cancel */
  return CQ_EIO;
}

/* Fills err from a failed result (or the connection when r is NULL), clears r, and returns
 * the code: "postgres host:port/db: doing: message (SQLSTATE 23505)". */
static int pg_fail(pg_store *s, PGresult *r, cq_error *err, const char *doing) {
  const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  char text[256];
  one_line(text, sizeof text, msg ? msg : PQerrorMessage(s->conn));
  int code = code_for_state(state, PQstatus(s->conn));
  if (state)
    cq_error_set(err, code, "postgres %s: %s: %s (SQLSTATE %s)", s->where, doing, text, state);
  else
    cq_error_set(err, code, "postgres %s: %s: %s", s->where, doing, text[0] ? text : "failed");
  PQclear(r);
  return code;
}

/* Runs SQL without parameters (several statements allowed); 0 or an error. */
static int pg_exec(pg_store *s, const char *sql, cq_error *err, const char *doing) {
  PGresult *r = PQexec(s->conn, sql);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return pg_fail(s, r, err, doing);
  PQclear(r);
  return CQ_OK;
}

/* ---- parameters and binary values ------------------------------------------------------ */

typedef struct params {
  int n;
  Oid types[MAX_PARAMS];
  const char *vals[MAX_PARAMS];
  int lens[MAX_PARAMS];
  int fmts[MAX_PARAMS];
  char bin[MAX_PARAMS][8];
} params;

static void p_text(params *p, const char *v) {
  p->types[p->n] = OID_TEXT;
  p->vals[p->n] = v;
  p->lens[p->n] = 0;
  p->fmts[p->n] = 0;
  p->n++;
}

static void p_bin64(params *p, Oid type, int64_t v) {
  uint64_t be = htobe64((uint64_t)v);
  memcpy(p->bin[p->n], &be, 8);
  p->types[p->n] = type;
  p->vals[p->n] = p->bin[p->n];
  p->lens[p->n] = 8;
  p->fmts[p->n] = 1;
  p->n++;
}

static void p_int2(params *p, int16_t v) {
  uint16_t be = htobe16((uint16_t)v);
  memcpy(p->bin[p->n], &be, 2);
  p->types[p->n] = OID_INT2;
  p->vals[p->n] = p->bin[p->n];
  p->lens[p->n] = 2;
  p->fmts[p->n] = 1;
  p->n++;
}

/* A binary value that stays the caller's until the statement has run. */
static void p_blob(params *p, const void *v, size_t len) {
  p->types[p->n] = OID_BYTEA;
  p->vals[p->n] = len ? v : "";
  p->lens[p->n] = (int)len;
  p->fmts[p->n] = 1;
  p->n++;
}

static PGresult *run(pg_store *s, const char *sql, const params *p, int result_binary) {
  return PQexecParams(s->conn, sql, p ? p->n : 0, p ? p->types : NULL, p ? p->vals : NULL,
                      p ? p->lens : NULL, p ? p->fmts : NULL, result_binary);
}

static int64_t get64(const char *v) {
  uint64_t be;
  memcpy(&be, v, 8);
  return (int64_t)be64toh(be);
}

static double getf8(const char *v) {
  uint64_t u = (uint64_t)get64(v);
  double d;
  memcpy(&d, &u, 8);
  return d;
}

static int16_t get16(const char *v) {
  uint16_t be;
  memcpy(&be, v, 2);
  return (int16_t)be16toh(be);
}

/* cq_time (ns since 1970) ↔ timestamptz (µs since 2000) and the ns below the µs. */
static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t ceil_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) == (b < 0)) ? q + 1 : q;
}

static int64_t ts_of(cq_time t) {
  return floor_div(t, CQ_NS_PER_US) - PG_EPOCH_US;
}

static int16_t ns_of(cq_time t) {
  int64_t r = t % CQ_NS_PER_US;
  return (int16_t)(r < 0 ? r + CQ_NS_PER_US : r);
}

/* 0, or CQ_EOVERFLOW when the stored time is outside cq_time's years (1678..2261). */
static int time_of(int64_t ts, int16_t ns, cq_time *out) {
  int64_t us, t;
  if (__builtin_add_overflow(ts, PG_EPOCH_US, &us) ||
      __builtin_mul_overflow(us, CQ_NS_PER_US, &t) || __builtin_add_overflow(t, ns, &t))
    return CQ_EOVERFLOW;
  *out = t;
  return CQ_OK;
}

/* ---- binary COPY ----------------------------------------------------------------------- */

/* A bounded buffer that streams COPY data to the server when full. */
typedef struct copybuf {
  pg_store *s;
  char *p;
  size_t len;
  int failed; /* libpq refused data: the connection is gone or the COPY failed */
} copybuf;

static int cb_flush(copybuf *b) {
  if (b->len && !b->failed && PQputCopyData(b->s->conn, b->p, (int)b->len) != 1) b->failed = 1;
  b->len = 0;
  return b->failed;
}

static char *cb_room(copybuf *b, size_t need) {
  if (b->len + need > COPY_CHUNK) cb_flush(b);
  char *at = b->p + b->len;
  b->len += need;
  return at;
}

static void put16(char *at, int16_t v) {
  uint16_t be = htobe16((uint16_t)v);
  memcpy(at, &be, 2);
}

static void put32(char *at, int32_t v) {
  uint32_t be = htobe32((uint32_t)v);
  memcpy(at, &be, 4);
}

static void put64(char *at, int64_t v) {
  uint64_t be = htobe64((uint64_t)v);
  memcpy(at, &be, 8);
}

/* A field: length then bytes; NULL is length -1. */
static char *f_i64(char *at, int64_t v) {
  put32(at, 8);
  put64(at + 4, v);
  return at + 12;
}

static char *f_f8(char *at, double v, bool null_if_nan) {
  if (null_if_nan && isnan(v)) {
    put32(at, -1);
    return at + 4;
  }
  uint64_t u;
  memcpy(&u, &v, 8);
  return f_i64(at, (int64_t)u);
}

static char *f_i16(char *at, int16_t v) {
  put32(at, 2);
  put16(at + 4, v);
  return at + 6;
}

static char *f_text(char *at, const char *v, size_t n) {
  put32(at, (int32_t)n);
  memcpy(at + 4, v, n);
  return at + 4 + n;
}

static const char copy_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

/* Starts "COPY ... FROM STDIN (FORMAT binary)" and writes the header. */
static int copy_begin(pg_store *s, copybuf *b, const char *sql, cq_error *err, const char *doing) {
  memset(b, 0, sizeof *b);
  b->s = s;
  b->p = malloc(COPY_CHUNK);
  if (!b->p) return cq_error_set(err, CQ_ENOMEM, "postgres %s: %s", s->where, doing);
  PGresult *r = PQexec(s->conn, sql);
  if (PQresultStatus(r) != PGRES_COPY_IN) {
    free(b->p);
    b->p = NULL;
    return pg_fail(s, r, err, doing);
  }
  PQclear(r);
  memcpy(cb_room(b, sizeof copy_header), copy_header, sizeof copy_header);
  return CQ_OK;
}

/* Ends the COPY; 0 or an error. */
static int copy_end(copybuf *b, cq_error *err, const char *doing) {
  pg_store *s = b->s;
  put16(cb_room(b, 2), -1); /* trailer */
  cb_flush(b);
  free(b->p);
  b->p = NULL;
  int rc = CQ_OK;
  if (PQputCopyEnd(s->conn, NULL) != 1) rc = pg_fail(s, NULL, err, doing);
  PGresult *r;
  while ((r = PQgetResult(s->conn)) != NULL) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == CQ_OK)
      rc = pg_fail(s, r, err, doing);
    else
      PQclear(r);
  }
  return rc;
}

/* ---- transactions ---------------------------------------------------------------------- */

static int pg_begin(cq_store *base, cq_error *err) {
  pg_store *s = (pg_store *)base;
  if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
    return cq_error_set(err, CQ_EIO, "postgres %s: begin: a transaction is already open", s->where);
  return pg_exec(s, "BEGIN", err, "begin");
}

static int pg_commit(cq_store *base, cq_error *err) {
  pg_store *s = (pg_store *)base;
  PGTransactionStatusType ts = PQtransactionStatus(s->conn);
  if (ts == PQTRANS_IDLE)
    return cq_error_set(err, CQ_EIO, "postgres %s: commit: no transaction is open", s->where);
  if (ts == PQTRANS_INERROR) {
    /* PostgreSQL would answer COMMIT with ROLLBACK: say so instead of reporting success */
    (void)pg_exec(s, "ROLLBACK", NULL, "rollback");
    return cq_error_set(err, CQ_ESTATE,
                        "postgres %s: commit: an earlier error aborted the transaction; "
                        "nothing since begin was written",
                        s->where);
  }
  return pg_exec(s, "COMMIT", err, "commit");
}

static int pg_rollback(cq_store *base, cq_error *err) {
  pg_store *s = (pg_store *)base;
  if (PQtransactionStatus(s->conn) == PQTRANS_IDLE) return CQ_OK; /* nothing open */
  return pg_exec(s, "ROLLBACK", err, "rollback");
}

/* A write runs in the caller's transaction, or in one of its own. */
static int write_begin(pg_store *s, bool *own, cq_error *err, const char *doing) {
  *own = false; /* set on every path: callers read it even after an error */
  switch (PQtransactionStatus(s->conn)) {
    case PQTRANS_IDLE:
      *own = true;
      return pg_exec(s, "BEGIN", err, doing);
    case PQTRANS_INTRANS:
      return CQ_OK;
    case PQTRANS_INERROR:
      return cq_error_set(err, CQ_ESTATE,
                          "postgres %s: %s: an earlier error aborted the transaction; roll it "
                          "back first",
                          s->where, doing);
    default:
      return pg_fail(s, NULL, err, doing);
  }
}

static int write_end(pg_store *s, bool own, int rc, cq_error *err, const char *doing) {
  if (!own) return rc;
  if (rc) {
    (void)pg_exec(s, "ROLLBACK", NULL, "rollback");
    return rc;
  }
  return pg_exec(s, "COMMIT", err, doing);
}

/* ---- open, migrate, close ------------------------------------------------------------- */

static void no_notices(void *arg, const char *msg) {
  (void)arg;
  (void)msg; /* the library never prints */
}

static void pg_close(cq_store *base) {
  pg_store *s = (pg_store *)base;
  if (!s) return;
  PQfinish(s->conn);
  free(s);
}

static int pg_schema_version(cq_store *base, int *out, cq_error *err) {
  pg_store *s = (pg_store *)base;
  PGresult *r = PQexec(s->conn, "SELECT coalesce(max(version), 0) FROM schema_version");
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "reading the schema version");
  const char *text = PQgetvalue(r, 0, 0);
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  bool ok = end != text && !*end && !errno && v >= 0 && v <= INT_MAX;
  PQclear(r);
  if (!ok)
    return cq_error_set(err, CQ_EIO, "postgres %s: reading the schema version: not a version",
                        s->where);
  *out = (int)v;
  return CQ_OK;
}

static int read_layout(pg_store *s, cq_error *err) {
  PGresult *r = PQexec(s->conn, "SELECT value FROM store_meta WHERE key = 'layout'");
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "reading the layout");
  s->timescale = PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "timescaledb");
  PQclear(r);
  return CQ_OK;
}

/* Applies the pending migrations in one transaction, under an advisory lock so that two
 * processes opening the same new database one after the other's migration. */
static int migrate(pg_store *s, cq_error *err) {
  int rc = pg_exec(s,
                   "BEGIN;"
                   " SELECT pg_advisory_xact_lock(hashtext('cquant.migrate'),"
                   "  hashtext(current_schema()));"
                   " CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY,"
                   "  applied_at timestamptz NOT NULL DEFAULT now())",
                   err, "starting the migration");
  if (rc) goto fail;
  int v = 0;
  if ((rc = pg_schema_version(&s->base, &v, err))) goto fail;
  if (v > CQ_PG_SCHEMA_VERSION) {
    rc = cq_error_set(err, CQ_EUNSUPPORTED,
                      "postgres %s: the database has schema version %d, newer than this "
                      "cquant knows (%d); upgrade cquant",
                      s->where, v, CQ_PG_SCHEMA_VERSION);
    goto fail;
  }
  for (int i = v; i < CQ_PG_SCHEMA_VERSION; i++) {
    char doing[64], ins[96];
    snprintf(doing, sizeof doing, "applying migration %d", i + 1);
    snprintf(ins, sizeof ins, "INSERT INTO schema_version (version) VALUES (%d)", i + 1);
    if ((rc = cq__pg_migration(s->conn, i + 1, s->where, err)) ||
        (rc = pg_exec(s, ins, err, doing)))
      goto fail;
  }
  return pg_exec(s, "COMMIT", err, "committing the migration");
fail:
  (void)pg_exec(s, "ROLLBACK", NULL, "rollback");
  return rc;
}

static int pg_open(const char *uri, cq_store **out, cq_error *err) {
  char *perr = NULL;
  PQconninfoOption *opts = PQconninfoParse(uri, &perr);
  if (!opts) {
    char text[200];
    one_line(text, sizeof text, perr ? perr : "out of memory");
    PQfreemem(perr);
    return cq_error_set(err, perr ? CQ_EINVAL : CQ_ENOMEM, "postgres store URI: %s", text);
  }
  PQconninfoFree(opts);
  pg_store *s = calloc(1, sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "opening a postgres store");
  s->base.ops = &cq_store_postgres_ops;
  s->conn = PQconnectdb(uri);
  if (!s->conn) {
    free(s);
    return cq_error_set(err, CQ_ENOMEM, "opening a postgres store");
  }
  const char *host = PQhost(s->conn), *port = PQport(s->conn), *db = PQdb(s->conn);
  snprintf(s->where, sizeof s->where, "%s:%s/%s", host && *host ? host : "localhost",
           port && *port ? port : "5432", db && *db ? db : "?");
  int rc;
  if (PQstatus(s->conn) != CONNECTION_OK) {
    char text[256];
    one_line(text, sizeof text, PQerrorMessage(s->conn));
    rc = cq_error_set(err, CQ_ENET, "postgres %s: cannot connect: %s", s->where, text);
    pg_close(&s->base);
    return rc;
  }
  PQsetNoticeProcessor(s->conn, no_notices, NULL);
  /* generic plans: a range read is planned once per connection (planning a query over a
   * partitioned table costs more than reading a year of hourly candles); partitions are
   * pruned when it runs */
  if ((rc = pg_exec(s,
                    "SET client_min_messages = warning;"
                    " SET plan_cache_mode = force_generic_plan",
                    err, "setting up")) ||
      (rc = migrate(s, err)) || (rc = read_layout(s, err))) {
    pg_close(&s->base);
    return rc;
  }
  *out = &s->base;
  return CQ_OK;
}

static const char *pg_layout(const cq_store *base) {
  return ((const pg_store *)base)->timescale ? "timescaledb" : "partitions";
}

/* ---- series and partitions ------------------------------------------------------------ */

static int series_id(pg_store *s, const cq_series_key *key, int64_t *id, cq_error *err) {
  *id = 0; /* set on every path, as the analyzer cannot see that errors are nonzero */
  char tf[CQ_TF_STRMAX];
  cq_timeframe_format(key->tf, tf, sizeof tf);
  params p = {0};
  p_text(&p, key->venue);
  p_text(&p, key->symbol);
  p_text(&p, tf);
  /* Writers of one series take turns (an advisory lock held to the end of the
   * transaction), so what a write finds stored is still so when it writes: reports are
   * exact and the COPY of new ground cannot collide. Looked up before inserting: an INSERT
   * that conflicts would still use up an identity value. */
  static const char *const sql[3] = {
      "SELECT (SELECT id FROM series WHERE venue = $1 AND symbol = $2 AND timeframe = $3),"
      " pg_advisory_xact_lock(hashtext('cquant.series'), hashtext($1 || ' ' || $2 || ' ' || $3))",
      "INSERT INTO series (venue, symbol, timeframe) VALUES ($1, $2, $3)"
      " ON CONFLICT (venue, symbol, timeframe) DO NOTHING RETURNING id",
      "SELECT id FROM series WHERE venue = $1 AND symbol = $2 AND timeframe = $3"};
  for (int step = 0; step < 3; step++) {
    PGresult *r = run(s, sql[step], &p, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "adding a series");
    if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
      *id = get64(PQgetvalue(r, 0, 0));
      PQclear(r);
      return CQ_OK;
    }
    PQclear(r);
  }
  return cq_error_set(err, CQ_EINTERNAL, "postgres %s: series %s %s %s neither found nor added",
                      s->where, key->venue, key->symbol, tf);
}

/* Asks the server for the partitions of these months (index year * 12 + month - 1). */
static int partitions_for(pg_store *s, const char *parent, const int64_t *months, size_t nm,
                          cq_error *err) {
  char arr[64 * 9 + 4];
  size_t k = 0;
  arr[k++] = '{';
  for (size_t j = 0; j < nm && k + 12 < sizeof arr; j++)
    k += (size_t)snprintf(arr + k, sizeof arr - k, "%s%04lld-%02lld", j ? "," : "",
                          (long long)(months[j] / 12), (long long)(months[j] % 12 + 1));
  arr[k++] = '}';
  arr[k] = '\0';
  params p = {0};
  p_text(&p, parent);
  p_text(&p, arr);
  PGresult *r = run(s, "SELECT cq_ensure_partitions($1, $2::text[])", &p, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "creating partitions");
  PQclear(r);
  return CQ_OK;
}

/* Creates the monthly partitions of `parent` that the times need (partition layout only):
 * one round trip with the distinct months ('2024-01'); the server skips those that exist. */
static int ensure_partitions(pg_store *s, const char *parent, const cq_time *t, size_t n,
                             cq_error *err) {
  if (s->timescale || n == 0) return CQ_OK;
  enum { MAX_MONTHS = 64 };
  int64_t months[MAX_MONTHS] = {0};
  size_t nm = 0;
  int rc;
  cq_time lo = 0, hi = 0; /* the month of the row before: most rows fall in it */
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && t[i] >= lo && t[i] < hi) continue;
    cq_civil c;
    cq_time_to_civil(t[i], &c);
    int64_t m = (int64_t)c.year * 12 + (c.month - 1);
    lo = cq_days_from_civil(c.year, (unsigned)c.month, 1) * CQ_NS_PER_DAY;
    hi = (c.month == 12 ? cq_days_from_civil(c.year + 1, 1, 1)
                        : cq_days_from_civil(c.year, (unsigned)c.month + 1, 1)) *
         CQ_NS_PER_DAY;
    bool seen = false;
    for (size_t j = 0; j < nm && !seen; j++) seen = months[j] == m;
    if (seen) continue;
    if (nm == MAX_MONTHS) {
      if ((rc = partitions_for(s, parent, months, nm, err))) return rc;
      nm = 0;
    }
    months[nm++] = m;
  }
  return partitions_for(s, parent, months, nm, err);
}

/* Rows that repeat an earlier key of the same batch must be written after it, as SQLite
 * writes row by row. gen[i] = how many earlier rows share row i's key; returns the largest
 * (0: all keys distinct). */
typedef struct keyed {
  cq_time t;
  const char *id;
  size_t i;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  if (x->id) {
    int c = strcmp(x->id, y->id);
    if (c) return c;
  } else if (x->t != y->t) {
    return x->t < y->t ? -1 : 1;
  }
  return (x->i > y->i) - (x->i < y->i);
}

static int generations(const cq_time *t, const char (*id)[CQ_TRADE_ID_MAX], size_t first, size_t n,
                       uint32_t **gen_out, uint32_t *max_out) {
  *gen_out = NULL;
  *max_out = 0;
  if (!id) {
    assert(t); /* keys are the times when there are no ids */
    bool increasing = true;
    for (size_t i = first + 1; i < first + n && increasing; i++) increasing = t[i] > t[i - 1];
    if (increasing) return CQ_OK;
  }
  keyed *k = malloc(n * sizeof *k);
  uint32_t *gen = calloc(n, sizeof *gen);
  if (!k || !gen) {
    free(k);
    free(gen);
    return CQ_ENOMEM;
  }
  for (size_t i = 0; i < n; i++)
    k[i] = (keyed){.t = t ? t[first + i] : 0, .id = id ? id[first + i] : NULL, .i = i};
  qsort(k, n, sizeof *k, cmp_keyed);
  uint32_t max = 0;
  for (size_t j = 1; j < n; j++) {
    bool same = id ? !strcmp(k[j].id, k[j - 1].id) : k[j].t == k[j - 1].t;
    if (!same) continue;
    gen[k[j].i] = gen[k[j - 1].i] + 1;
    if (gen[k[j].i] > max) max = gen[k[j].i];
  }
  free(k);
  if (max == 0) {
    free(gen);
    return CQ_OK;
  }
  *gen_out = gen;
  *max_out = max;
  return CQ_OK;
}

/* ---- candles --------------------------------------------------------------------------- */

/* Streams rows [first, first + n) whose generation is g (all when gen is NULL) as binary
 * COPY rows shaped like candles. */
static void copy_candles(copybuf *b, int64_t sid, const cq_candles *c, size_t first, size_t n,
                         const uint32_t *gen, uint32_t g) {
  for (size_t j = 0; j < n; j++) {
    if (gen && gen[j] != g) continue;
    size_t i = first + j;
    const size_t most = 2 + (size_t)9 * 12 + 5; /* count, 9 x (length + 8 bytes), closed */
    char *at = cb_room(b, most);
    char *p = at;
    put16(p, 10);
    p = f_i64(p + 2, sid);
    p = f_i64(p, ts_of(c->open_time[i]));
    /* NaN in a NOT NULL column goes as NULL and is refused, as SQLite refuses it */
    p = f_f8(p, c->open[i], true);
    p = f_f8(p, c->high[i], true);
    p = f_f8(p, c->low[i], true);
    p = f_f8(p, c->close[i], true);
    p = f_f8(p, c->volume[i], true);
    p = f_f8(p, c->quote_volume[i], true);
    if (c->trades[i] < 0) {
      put32(p, -1);
      p += 4;
    } else {
      p = f_i64(p, c->trades[i]);
    }
    put32(p, 1);
    p[4] = c->closed[i] ? 1 : 0;
    p += 5;
    b->len -= (size_t)((at + most) - p); /* give back what NULLs did not use */
  }
}

static const char candle_cols[] =
    "series_id, open_time, open, high, low, close, volume, quote_volume, trades, closed";

/* One pass through the staging table: insert the new rows, update those that differ. */
static int upsert_candles(pg_store *s, int64_t sid, const cq_candles *c, size_t first, size_t n,
                          const uint32_t *gen, uint32_t g, cq_time lo, cq_time hi,
                          cq_write_report *rep, cq_error *err) {
  const char *doing = "writing candles";
  int rc = pg_exec(s,
                   "CREATE TEMP TABLE IF NOT EXISTS cq_stage_candles (series_id bigint NOT NULL,"
                   " open_time timestamptz NOT NULL, open float8 NOT NULL, high float8 NOT NULL,"
                   " low float8 NOT NULL, close float8 NOT NULL, volume float8 NOT NULL,"
                   " quote_volume float8, trades bigint, closed boolean NOT NULL);"
                   " TRUNCATE cq_stage_candles",
                   err, doing);
  if (rc) return rc;
  copybuf b;
  char sql[512];
  snprintf(sql, sizeof sql, "COPY cq_stage_candles (%s) FROM STDIN (FORMAT binary)", candle_cols);
  if ((rc = copy_begin(s, &b, sql, err, doing))) return rc;
  copy_candles(&b, sid, c, first, n, gen, g);
  if ((rc = copy_end(&b, err, doing))) return rc;
  /* new rows first (DO NOTHING neither locks nor writes the rows that exist), then the rows
   * that differ; a row another writer adds in between is then revised to ours */
  snprintf(sql, sizeof sql,
           "INSERT INTO candles (%s) SELECT %s FROM cq_stage_candles ORDER BY open_time"
           " ON CONFLICT (series_id, open_time) DO NOTHING",
           candle_cols, candle_cols);
  PGresult *r = PQexec(s->conn, sql);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) return pg_fail(s, r, err, doing);
  uint64_t ins = strtoull(PQcmdTuples(r), NULL, 10);
  PQclear(r);
  params p = {0};
  p_bin64(&p, OID_INT8, sid);
  p_bin64(&p, OID_TIMESTAMPTZ, ts_of(lo));
  p_bin64(&p, OID_TIMESTAMPTZ, ts_of(hi));
  r = run(s,
          "UPDATE candles c SET open = x.open, high = x.high, low = x.low, close = x.close,"
          " volume = x.volume, quote_volume = x.quote_volume, trades = x.trades,"
          " closed = x.closed FROM cq_stage_candles x WHERE c.series_id = $1"
          " AND c.open_time >= $2 AND c.open_time <= $3 AND c.open_time = x.open_time"
          " AND (c.open, c.high, c.low, c.close, c.volume, c.quote_volume, c.trades, c.closed)"
          " IS DISTINCT FROM (x.open, x.high, x.low, x.close, x.volume, x.quote_volume,"
          " x.trades, x.closed)",
          &p, 0);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) return pg_fail(s, r, err, doing);
  uint64_t revised = strtoull(PQcmdTuples(r), NULL, 10);
  PQclear(r);
  uint64_t rows = n;
  if (gen) {
    rows = 0;
    for (size_t j = 0; j < n; j++) rows += gen[j] == g;
  }
  if (rep) {
    rep->inserted += ins;
    rep->revised += revised;
    rep->unchanged += rows - ins - revised;
  }
  return CQ_OK;
}

static int put_candles_tx(pg_store *s, const cq_series_key *key, const cq_candles *c, size_t first,
                          size_t n, cq_write_report *rep, cq_error *err) {
  const char *doing = "writing candles";
  int64_t sid;
  int rc = series_id(s, key, &sid, err);
  if (rc) return rc;
  cq_time lo = c->open_time[first], hi = lo;
  for (size_t i = first; i < first + n; i++) {
    if (c->open_time[i] < lo) lo = c->open_time[i];
    if (c->open_time[i] > hi) hi = c->open_time[i];
  }
  if ((rc = ensure_partitions(s, "candles", c->open_time + first, n, err))) return rc;
  uint32_t *gen, maxgen;
  if ((rc = generations(c->open_time, NULL, first, n, &gen, &maxgen)))
    return cq_error_set(err, rc, "postgres %s: %s: out of memory", s->where, doing);
  if (!gen) {
    /* new ground (nothing stored in [lo, hi]): COPY straight into candles */
    params p = {0};
    p_bin64(&p, OID_INT8, sid);
    p_bin64(&p, OID_TIMESTAMPTZ, ts_of(lo));
    p_bin64(&p, OID_TIMESTAMPTZ, ts_of(hi));
    PGresult *r = run(s,
                      "SELECT EXISTS (SELECT 1 FROM candles WHERE series_id = $1"
                      " AND open_time >= $2 AND open_time <= $3)",
                      &p, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, doing);
    bool any = PQgetvalue(r, 0, 0)[0] != 0;
    PQclear(r);
    if (!any) {
      copybuf b;
      char sql[256];
      snprintf(sql, sizeof sql, "COPY candles (%s) FROM STDIN (FORMAT binary)", candle_cols);
      if ((rc = copy_begin(s, &b, sql, err, doing))) return rc;
      copy_candles(&b, sid, c, first, n, NULL, 0);
      if ((rc = copy_end(&b, err, doing))) return rc;
      if (rep) rep->inserted += n;
      return CQ_OK;
    }
  }
  for (uint32_t g = 0; g <= maxgen && !rc; g++)
    rc = upsert_candles(s, sid, c, first, n, gen, g, lo, hi, rep, err);
  free(gen);
  return rc;
}

static int pg_put_candles(cq_store *base, const cq_series_key *key, const cq_candles *c,
                          size_t first, size_t n, cq_write_report *rep, cq_error *err) {
  pg_store *s = (pg_store *)base;
  if (n == 0) return CQ_OK;
  bool own = false;
  cq_write_report r = {0};
  int rc = write_begin(s, &own, err, "writing candles");
  if (rc) return rc;
  rc = put_candles_tx(s, key, c, first, n, &r, err);
  rc = write_end(s, own, rc, err, "committing candles");
  if (!rc && rep) {
    rep->inserted += r.inserted;
    rep->revised += r.revised;
    rep->unchanged += r.unchanged;
  }
  return rc;
}

/* Reads one field of a binary COPY tuple: its length (-1 for NULL) and bytes. */
static bool copy_field(const char **at, const char *end, int32_t *len, const char **val) {
  if (end - *at < 4) return false;
  uint32_t be;
  memcpy(&be, *at, 4);
  *len = (int32_t)be32toh(be);
  *at += 4;
  *val = *at;
  if (*len < 0) return *len == -1;
  if (end - *at < *len) return false;
  *at += *len;
  return true;
}

/* One candle from a binary COPY tuple of (open_time, open, high, low, close, volume,
 * quote_volume, trades, closed) into row i. */
static bool copy_candle(const char *at, const char *end, cq_candles *out, size_t i) {
  uint16_t nf_be;
  if (end - at < 2) return false;
  memcpy(&nf_be, at, 2);
  if (be16toh(nf_be) != 9) return false;
  at += 2;
  int32_t len[9];
  const char *v[9];
  for (int k = 0; k < 9; k++)
    if (!copy_field(&at, end, &len[k], &v[k])) return false;
  for (int k = 0; k < 9; k++)
    if (len[k] != (k == 8 ? 1 : 8) && !(len[k] == -1 && (k == 6 || k == 7))) return false;
  if (time_of(get64(v[0]), 0, &out->open_time[i])) return false;
  out->open[i] = getf8(v[1]);
  out->high[i] = getf8(v[2]);
  out->low[i] = getf8(v[3]);
  out->close[i] = getf8(v[4]);
  out->volume[i] = getf8(v[5]);
  out->quote_volume[i] = len[6] < 0 ? NAN : getf8(v[6]);
  out->trades[i] = len[7] < 0 ? -1 : get64(v[7]);
  out->closed[i] = (uint8_t)(v[8][0] != 0);
  return true;
}

/* A range read is a binary COPY of the query: no result set is built, the rows stream
 * straight into the columns. COPY takes no parameters, so the series id and the bounds go
 * in as numbers this code formats (no text from outside reaches the statement). */
static int pg_get_candles(cq_store *base, const cq_series_key *key, cq_time from, cq_time to,
                          cq_candles *out, cq_error *err) {
  pg_store *s = (pg_store *)base;
  const char *doing = "reading candles";
  char tf[CQ_TF_STRMAX];
  cq_timeframe_format(key->tf, tf, sizeof tf);
  params p = {0};
  p_text(&p, key->venue);
  p_text(&p, key->symbol);
  p_text(&p, tf);
  PGresult *r =
      run(s, "SELECT id FROM series WHERE venue = $1 AND symbol = $2 AND timeframe = $3", &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, doing);
  if (PQntuples(r) == 0) {
    PQclear(r);
    return CQ_OK; /* no such series: no rows */
  }
  int64_t sid = get64(PQgetvalue(r, 0, 0));
  PQclear(r);
  /* [from, to) in ns → [ceil(from), ceil(to)) in µs since 1970: every cq_time (years 1677
   * to 2262) is inside timestamptz's range */
  int64_t lo = ceil_div(from, CQ_NS_PER_US), hi = ceil_div(to, CQ_NS_PER_US);
  if (lo >= hi) return CQ_OK;
  char sql[512];
  snprintf(sql, sizeof sql,
           "COPY (SELECT open_time, open, high, low, close, volume, quote_volume, trades, closed"
           " FROM candles WHERE series_id = %lld"
           " AND open_time >= TIMESTAMPTZ 'epoch' + %lld * INTERVAL '1 microsecond'"
           " AND open_time < TIMESTAMPTZ 'epoch' + %lld * INTERVAL '1 microsecond'"
           " ORDER BY open_time) TO STDOUT (FORMAT binary)",
           (long long)sid, (long long)lo, (long long)hi);
  r = PQexec(s->conn, sql);
  if (PQresultStatus(r) != PGRES_COPY_OUT) return pg_fail(s, r, err, doing);
  PQclear(r);
  size_t at = out->len;
  bool header = false, bad = false, ended = false;
  int rc = CQ_OK;
  char *buf;
  int n;
  while ((n = PQgetCopyData(s->conn, &buf, 0)) > 0) {
    const char *c = buf, *end = buf + n;
    if (!header) {
      /* signature, flags, header extension length and extension */
      if (n < 19 || memcmp(c, copy_header, 11)) bad = true;
      uint32_t ext_be = 0;
      if (!bad) memcpy(&ext_be, c + 15, 4);
      if (!bad && be32toh(ext_be) > (uint32_t)(n - 19)) bad = true;
      if (!bad) c += 19 + be32toh(ext_be);
      header = true;
    }
    if (!bad && !ended && c < end) {
      if (end - c == 2 && (uint8_t)c[0] == 0xff && (uint8_t)c[1] == 0xff) {
        ended = true; /* the trailer */
      } else {
        if (at == out->cap && !rc) {
          out->len = at; /* growing keeps the rows up to len */
          rc = cq_candles_reserve(out, out->max_rows ? at + 1 : at < 1024 ? 1024 : at * 2);
        }
        if (!rc && !copy_candle(c, end, out, at)) bad = true;
        if (!rc && !bad) at++;
      }
    }
    PQfreemem(buf);
  }
  r = PQgetResult(s->conn);
  int st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK) {
    out->len = at;
    return pg_fail(s, r, err, doing);
  }
  PQclear(r);
  while ((r = PQgetResult(s->conn))) PQclear(r);
  out->len = at;
  if (n == -2) return pg_fail(s, NULL, err, doing);
  if (rc) return cq_error_set(err, rc, "postgres %s: %s: %s", s->where, doing, cq_strerror(rc));
  if (bad)
    return cq_error_set(err, CQ_EIO, "postgres %s: %s: unexpected data from the server", s->where,
                        doing);
  return CQ_OK;
}

/* ---- coverage ------------------------------------------------------------------------- */

/* Coverage of one series: in SQL for fixed-length timeframes; months fetch the open times
 * and count in C. */
static int series_coverage(pg_store *s, int64_t sid, cq_series_info *info, cq_error *err) {
  params p = {0};
  p_bin64(&p, OID_INT8, sid);
  int64_t len_ns = cq_timeframe_ns(info->key.tf);
  PGresult *r;
  if (len_ns) {
    p_bin64(&p, OID_INT8, len_ns / CQ_NS_PER_US);
    r = run(s,
            "SELECT count(*)::int8, min(open_time), max(open_time),"
            " coalesce(sum((extract(epoch FROM d) * 1000000)::int8 / $2 - 1)"
            "  FILTER (WHERE d > make_interval(secs => $2 / 1000000.0)), 0)::int8,"
            " count(*) FILTER (WHERE d > make_interval(secs => $2 / 1000000.0))::int8"
            " FROM (SELECT open_time, open_time - lag(open_time) OVER (ORDER BY open_time) AS d"
            "  FROM candles WHERE series_id = $1) x",
            &p, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "listing series");
    info->rows = (uint64_t)get64(PQgetvalue(r, 0, 0));
    int bad = info->rows && (time_of(get64(PQgetvalue(r, 0, 1)), 0, &info->first) ||
                             time_of(get64(PQgetvalue(r, 0, 2)), 0, &info->last));
    info->missing = (uint64_t)get64(PQgetvalue(r, 0, 3));
    info->gaps = (uint64_t)get64(PQgetvalue(r, 0, 4));
    PQclear(r);
    if (bad)
      return cq_error_set(err, CQ_EOVERFLOW, "postgres %s: listing series: time out of range",
                          s->where);
    return CQ_OK;
  }
  r = run(s, "SELECT open_time FROM candles WHERE series_id = $1 ORDER BY open_time", &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "listing series");
  size_t k = (size_t)PQntuples(r);
  cq_time *t = calloc(k ? k : 1, sizeof *t);
  if (!t) {
    PQclear(r);
    return cq_error_set(err, CQ_ENOMEM, "listing series");
  }
  for (size_t i = 0; i < k; i++) {
    if (time_of(get64(PQgetvalue(r, (int)i, 0)), 0, &t[i])) {
      free(t);
      PQclear(r);
      return cq_error_set(err, CQ_EOVERFLOW, "postgres %s: listing series: time out of range",
                          s->where);
    }
  }
  PQclear(r);
  info->rows = k;
  info->first = k ? t[0] : 0;
  info->last = k ? t[k - 1] : 0;
  cq__store_count_gaps(info->key.tf, t, k, &info->missing, &info->gaps);
  free(t);
  return CQ_OK;
}

/* ---- venue gaps and series bounds ------------------------------------------------------ */

static int pg_series_bounds(cq_store *base, const cq_series_key *key, cq_time from, cq_time to,
                            cq_time *first, cq_time *last, cq_error *err) {
  pg_store *s = (pg_store *)base;
  const char *doing = "reading series bounds";
  char tf[CQ_TF_STRMAX];
  cq_timeframe_format(key->tf, tf, sizeof tf);
  params p = {0};
  p_text(&p, key->venue);
  p_text(&p, key->symbol);
  p_text(&p, tf);
  p_bin64(&p, OID_INT8, ceil_div(from, CQ_NS_PER_US));
  p_bin64(&p, OID_INT8, ceil_div(to, CQ_NS_PER_US));
  PGresult *r = run(s,
                    "SELECT min(c.open_time), max(c.open_time) FROM candles c JOIN series s"
                    " ON s.id = c.series_id WHERE s.venue = $1 AND s.symbol = $2"
                    " AND s.timeframe = $3"
                    " AND c.open_time >= TIMESTAMPTZ 'epoch' + $4 * INTERVAL '1 microsecond'"
                    " AND c.open_time < TIMESTAMPTZ 'epoch' + $5 * INTERVAL '1 microsecond'",
                    &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, doing);
  if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
    PQclear(r);
    return CQ_ENOTFOUND;
  }
  int bad = time_of(get64(PQgetvalue(r, 0, 0)), 0, first) ||
            time_of(get64(PQgetvalue(r, 0, 1)), 0, last);
  PQclear(r);
  if (bad)
    return cq_error_set(err, CQ_EOVERFLOW, "postgres %s: %s: time out of range", s->where, doing);
  return CQ_OK;
}

/* "{1,2,3}": an int8[] literal for a text parameter. */
static char *int8_array(const cq_gap *g, size_t n, int which) {
  size_t cap = 2 + n * 21, at = 0;
  char *buf = malloc(cap);
  if (!buf) return NULL;
  buf[at++] = '{';
  for (size_t i = 0; i < n; i++) {
    int64_t v = which == 0 ? g[i].from : which == 1 ? g[i].to : g[i].recorded_at;
    at += (size_t)snprintf(buf + at, cap - at, "%s%lld", i ? "," : "", (long long)v);
  }
  snprintf(buf + at, cap - at, "}");
  return buf;
}

static int pg_put_gaps(cq_store *base, const cq_series_key *key, const cq_gap *g, size_t n,
                       cq_error *err) {
  pg_store *s = (pg_store *)base;
  const char *doing = "recording venue gaps";
  char tf[CQ_TF_STRMAX];
  cq_timeframe_format(key->tf, tf, sizeof tf);
  char *arr[3] = {int8_array(g, n, 0), int8_array(g, n, 1), int8_array(g, n, 2)};
  int rc = CQ_OK;
  if (!arr[0] || !arr[1] || !arr[2]) {
    rc = cq_error_set(err, CQ_ENOMEM, "postgres %s: %s: out of memory", s->where, doing);
  } else {
    params p = {0};
    p_text(&p, key->venue);
    p_text(&p, key->symbol);
    p_text(&p, tf);
    for (int i = 0; i < 3; i++) {
      p_text(&p, arr[i]);
      p.types[p.n - 1] = OID_INT8_ARRAY;
    }
    /* one statement: all of the gaps or none, inside or outside the caller's transaction */
    PGresult *r = run(s,
                      "INSERT INTO candle_gaps (venue, symbol, timeframe, gap_from, gap_to,"
                      " recorded_at) SELECT $1, $2, $3, f, t, r FROM unnest($4::int8[],"
                      " $5::int8[], $6::int8[]) AS x (f, t, r)"
                      " ON CONFLICT (venue, symbol, timeframe, gap_from) DO UPDATE SET"
                      " gap_to = greatest(candle_gaps.gap_to, excluded.gap_to),"
                      " recorded_at = excluded.recorded_at",
                      &p, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      rc = pg_fail(s, r, err, doing);
    else
      PQclear(r);
  }
  for (int i = 0; i < 3; i++) free(arr[i]);
  return rc;
}

static int pg_get_gaps(cq_store *base, const cq_series_key *key, cq_time from, cq_time to,
                       cq_gap **out, size_t *n, cq_error *err) {
  pg_store *s = (pg_store *)base;
  const char *doing = "reading venue gaps";
  char tf[CQ_TF_STRMAX];
  cq_timeframe_format(key->tf, tf, sizeof tf);
  params p = {0};
  p_text(&p, key->venue);
  p_text(&p, key->symbol);
  p_text(&p, tf);
  p_bin64(&p, OID_INT8, from);
  p_bin64(&p, OID_INT8, to);
  PGresult *r = run(s,
                    "SELECT gap_from, gap_to, recorded_at FROM candle_gaps WHERE venue = $1"
                    " AND symbol = $2 AND timeframe = $3 AND gap_to > $4 AND gap_from < $5"
                    " ORDER BY gap_from",
                    &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, doing);
  size_t k = (size_t)PQntuples(r);
  cq_gap *v = calloc(k ? k : 1, sizeof *v);
  if (!v) {
    PQclear(r);
    return cq_error_set(err, CQ_ENOMEM, "postgres %s: %s: out of memory", s->where, doing);
  }
  for (size_t i = 0; i < k; i++) {
    v[i].from = get64(PQgetvalue(r, (int)i, 0));
    v[i].to = get64(PQgetvalue(r, (int)i, 1));
    v[i].recorded_at = get64(PQgetvalue(r, (int)i, 2));
  }
  PQclear(r);
  *out = v;
  *n = k;
  return CQ_OK;
}

static int pg_list_series(cq_store *base, cq_series_info **out, size_t *n, cq_error *err) {
  pg_store *s = (pg_store *)base;
  PGresult *r = PQexecParams(s->conn,
                             "SELECT s.id, s.venue, s.symbol, s.timeframe FROM series s"
                             " WHERE EXISTS (SELECT 1 FROM candles c WHERE c.series_id = s.id)"
                             " ORDER BY s.venue, s.symbol, s.timeframe",
                             0, NULL, NULL, NULL, NULL, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "listing series");
  size_t len = (size_t)PQntuples(r);
  cq_series_info *list = calloc(len ? len : 1, sizeof *list);
  if (!list) {
    PQclear(r);
    return cq_error_set(err, CQ_ENOMEM, "listing series");
  }
  int rc = CQ_OK;
  for (size_t i = 0; i < len && !rc; i++) {
    int row = (int)i;
    rc = cq_series_key_set(&list[i].key, PQgetvalue(r, row, 1), PQgetvalue(r, row, 2),
                           PQgetvalue(r, row, 3), err);
    if (!rc) rc = series_coverage(s, get64(PQgetvalue(r, row, 0)), &list[i], err);
  }
  PQclear(r);
  if (rc) {
    free(list);
    return rc;
  }
  *out = list;
  *n = len;
  return CQ_OK;
}

/* ---- trades ---------------------------------------------------------------------------- */

static int upsert_trades(pg_store *s, const char *venue, const char *symbol, const cq_trades *t,
                         const uint32_t *gen, uint32_t g, cq_write_report *rep, cq_error *err) {
  const char *doing = "writing trades";
  int rc = pg_exec(s,
                   "CREATE TEMP TABLE IF NOT EXISTS cq_stage_trades (trade_id text COLLATE \"C\""
                   " NOT NULL, time timestamptz NOT NULL, time_ns smallint NOT NULL,"
                   " price text NOT NULL, qty text NOT NULL, side smallint NOT NULL);"
                   " TRUNCATE cq_stage_trades",
                   err, doing);
  if (rc) return rc;
  copybuf b;
  if ((rc = copy_begin(s, &b,
                       "COPY cq_stage_trades (trade_id, time, time_ns, price, qty, side)"
                       " FROM STDIN (FORMAT binary)",
                       err, doing)))
    return rc;
  uint64_t rows = 0;
  for (size_t i = 0; i < t->len; i++) {
    if (gen && gen[i] != g) continue;
    rows++;
    char px[CQ_DEC_STRMAX], qty[CQ_DEC_STRMAX];
    size_t npx = cq_dec_format(t->price[i], px, sizeof px);
    size_t nqty = cq_dec_format(t->qty[i], qty, sizeof qty);
    size_t nid = strnlen(t->id[i], CQ_TRADE_ID_MAX);
    char *at = cb_room(&b, 2 + 4 + nid + 12 + 6 + 4 + npx + 4 + nqty + 6);
    put16(at, 6);
    at = f_text(at + 2, t->id[i], nid);
    at = f_i64(at, ts_of(t->time[i]));
    at = f_i16(at, ns_of(t->time[i]));
    at = f_text(at, px, npx);
    at = f_text(at, qty, nqty);
    f_i16(at, (int16_t)t->taker_side[i]);
  }
  if ((rc = copy_end(&b, err, doing))) return rc;
  params p = {0};
  p_text(&p, venue);
  p_text(&p, symbol);
  /* a trade stored with other values is replaced (its time, hence its partition, may move) */
  PGresult *r = run(s,
                    "WITH d AS (DELETE FROM trades t USING cq_stage_trades x"
                    " WHERE t.venue = $1 AND t.symbol = $2 AND t.trade_id = x.trade_id"
                    " AND (t.time, t.time_ns, t.price, t.qty, t.side) IS DISTINCT FROM"
                    " (x.time, x.time_ns, x.price::numeric, x.qty::numeric, x.side) RETURNING 1)"
                    " SELECT count(*) FROM d",
                    &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, doing);
  uint64_t revised = (uint64_t)get64(PQgetvalue(r, 0, 0));
  PQclear(r);
  r = run(s,
          "WITH i AS (INSERT INTO trades (venue, symbol, trade_id, time, time_ns, price, qty, side)"
          " SELECT $1, $2, x.trade_id, x.time, x.time_ns, x.price::numeric, x.qty::numeric, x.side"
          " FROM cq_stage_trades x WHERE NOT EXISTS (SELECT 1 FROM trades t WHERE t.venue = $1"
          " AND t.symbol = $2 AND t.trade_id = x.trade_id) ORDER BY x.time RETURNING 1)"
          " SELECT count(*) FROM i",
          &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, doing);
  uint64_t written = (uint64_t)get64(PQgetvalue(r, 0, 0));
  PQclear(r);
  if (rep) {
    rep->inserted += written - revised;
    rep->revised += revised;
    rep->unchanged += rows - written;
  }
  return CQ_OK;
}

static int pg_put_trades(cq_store *base, const char *venue, const char *symbol, const cq_trades *t,
                         cq_write_report *rep, cq_error *err) {
  pg_store *s = (pg_store *)base;
  if (t->len == 0) return CQ_OK;
  bool own = false;
  cq_write_report w = {0};
  int rc = write_begin(s, &own, err, "writing trades");
  if (rc) return rc;
  uint32_t *gen = NULL, maxgen = 0;
  /* writers of one symbol's trades take turns (see series_id) */
  params p = {0};
  p_text(&p, venue);
  p_text(&p, symbol);
  PGresult *r = run(s,
                    "SELECT pg_advisory_xact_lock(hashtext('cquant.trades'),"
                    " hashtext($1 || ' ' || $2))",
                    &p, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK)
    rc = pg_fail(s, r, err, "writing trades");
  else
    PQclear(r);
  if (!rc) rc = ensure_partitions(s, "trades", t->time, t->len, err);
  if (!rc && generations(NULL, t->id, 0, t->len, &gen, &maxgen))
    rc = cq_error_set(err, CQ_ENOMEM, "postgres %s: writing trades: out of memory", s->where);
  for (uint32_t g = 0; g <= maxgen && !rc; g++)
    rc = upsert_trades(s, venue, symbol, t, gen, g, &w, err);
  free(gen);
  rc = write_end(s, own, rc, err, "committing trades");
  if (!rc && rep) {
    rep->inserted += w.inserted;
    rep->revised += w.revised;
    rep->unchanged += w.unchanged;
  }
  return rc;
}

static int pg_get_trades(cq_store *base, const char *venue, const char *symbol, cq_time from,
                         cq_time to, cq_trades *out, cq_error *err) {
  pg_store *s = (pg_store *)base;
  params p = {0};
  p_text(&p, venue);
  p_text(&p, symbol);
  p_bin64(&p, OID_TIMESTAMPTZ, ts_of(from));
  p_int2(&p, ns_of(from));
  p_bin64(&p, OID_TIMESTAMPTZ, ts_of(to));
  p_int2(&p, ns_of(to));
  PGresult *r = run(s,
                    "SELECT time, time_ns, price::text, qty::text, side, trade_id FROM trades"
                    " WHERE venue = $1 AND symbol = $2 AND time >= $3 AND time <= $5"
                    " AND (time, time_ns) >= ($3, $4) AND (time, time_ns) < ($5, $6)"
                    " ORDER BY time, time_ns, trade_id",
                    &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "reading trades");
  size_t rows = (size_t)PQntuples(r);
  int rc = cq_trades_reserve(out, out->len + rows);
  if (rc) {
    PQclear(r);
    return cq_error_set(err, rc, "reading trades: %s", cq_strerror(rc));
  }
  for (size_t k = 0; k < rows && !rc; k++) {
    int row = (int)k;
    cq_trade tr;
    memset(&tr, 0, sizeof tr);
    if (time_of(get64(PQgetvalue(r, row, 0)), get16(PQgetvalue(r, row, 1)), &tr.time)) {
      rc =
          cq_error_set(err, CQ_EOVERFLOW, "postgres %s: stored trade: time out of range", s->where);
      break;
    }
    if ((rc =
             cq_dec_parse(PQgetvalue(r, row, 2), (size_t)PQgetlength(r, row, 2), &tr.price, err)) ||
        (rc = cq_dec_parse(PQgetvalue(r, row, 3), (size_t)PQgetlength(r, row, 3), &tr.qty, err))) {
      cq_error_prefix(err, "postgres %s: stored trade: ", s->where);
      break;
    }
    tr.taker_side = (cq_side)get16(PQgetvalue(r, row, 4));
    snprintf(tr.id, sizeof tr.id, "%s", PQgetvalue(r, row, 5));
    rc = cq_trades_push(out, &tr);
    if (rc) rc = cq_error_set(err, rc, "reading trades: %s", cq_strerror(rc));
  }
  PQclear(r);
  return rc;
}

/* ---- instruments ---------------------------------------------------------------------- */

static int pg_put_instruments(cq_store *base, const cq_instrument *ins, size_t n,
                              cq_write_report *rep, cq_error *err) {
  pg_store *s = (pg_store *)base;
  bool own = false;
  cq_write_report w = {0};
  int rc = write_begin(s, &own, err, "writing instruments");
  if (rc) return rc;
  for (size_t i = 0; i < n && !rc; i++) {
    const cq_instrument *x = &ins[i];
    char d[4][CQ_DEC_STRMAX];
    cq_dec_format(x->tick, d[0], sizeof d[0]);
    cq_dec_format(x->lot, d[1], sizeof d[1]);
    cq_dec_format(x->min_qty, d[2], sizeof d[2]);
    cq_dec_format(x->min_notional, d[3], sizeof d[3]);
    const char *vals[10] = {
        x->venue, x->symbol, x->native, x->base, x->quote,
        d[0],     d[1],      d[2],      d[3],    cq_instrument_status_name(x->status)};
    /* xmax = 0 tells a fresh insert from an update; no row back means nothing differed */
    PGresult *r = PQexecParams(
        s->conn,
        "INSERT INTO instruments (venue, symbol, native, base, quote, tick, lot, min_qty,"
        " min_notional, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (venue, symbol) DO UPDATE SET native = EXCLUDED.native,"
        " base = EXCLUDED.base, quote = EXCLUDED.quote, tick = EXCLUDED.tick,"
        " lot = EXCLUDED.lot, min_qty = EXCLUDED.min_qty, min_notional = EXCLUDED.min_notional,"
        " status = EXCLUDED.status WHERE (instruments.native, instruments.base,"
        " instruments.quote, instruments.tick, instruments.lot, instruments.min_qty,"
        " instruments.min_notional, instruments.status) IS DISTINCT FROM (EXCLUDED.native,"
        " EXCLUDED.base, EXCLUDED.quote, EXCLUDED.tick, EXCLUDED.lot, EXCLUDED.min_qty,"
        " EXCLUDED.min_notional, EXCLUDED.status) RETURNING (xmax = 0)",
        10, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      rc = pg_fail(s, r, err, "writing instruments");
      break;
    }
    if (PQntuples(r) == 0)
      w.unchanged++;
    else if (PQgetvalue(r, 0, 0)[0] == 't')
      w.inserted++;
    else
      w.revised++;
    PQclear(r);
  }
  rc = write_end(s, own, rc, err, "committing instruments");
  if (!rc && rep) {
    rep->inserted += w.inserted;
    rep->revised += w.revised;
    rep->unchanged += w.unchanged;
  }
  return rc;
}

static int pg_get_instrument(cq_store *base, const char *venue, const char *symbol,
                             cq_instrument *out, cq_error *err) {
  pg_store *s = (pg_store *)base;
  const char *vals[2] = {venue, symbol};
  PGresult *r = PQexecParams(s->conn,
                             "SELECT native, base, quote, tick::text, lot::text, min_qty::text,"
                             " min_notional::text, status FROM instruments"
                             " WHERE venue = $1 AND symbol = $2",
                             2, NULL, vals, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "reading instruments");
  if (PQntuples(r) == 0) {
    PQclear(r);
    return cq_error_set(err, CQ_ENOTFOUND, "no instrument %s on %s in postgres %s", symbol, venue,
                        s->where);
  }
  cq_instrument x;
  memset(&x, 0, sizeof x);
  snprintf(x.venue, sizeof x.venue, "%s", venue);
  snprintf(x.symbol, sizeof x.symbol, "%s", symbol);
  snprintf(x.native, sizeof x.native, "%s", PQgetvalue(r, 0, 0));
  snprintf(x.base, sizeof x.base, "%s", PQgetvalue(r, 0, 1));
  snprintf(x.quote, sizeof x.quote, "%s", PQgetvalue(r, 0, 2));
  cq_dec *decs[] = {&x.tick, &x.lot, &x.min_qty, &x.min_notional};
  int rc = CQ_OK;
  for (int i = 0; i < 4 && !rc; i++) rc = cq_dec_parse_cstr(PQgetvalue(r, 0, 3 + i), decs[i], err);
  if (!rc) rc = cq_instrument_status_parse(PQgetvalue(r, 0, 7), &x.status, err);
  PQclear(r);
  if (rc) {
    cq_error_prefix(err, "postgres %s: stored instrument %s %s: ", s->where, venue, symbol);
    return CQ_EPARSE;
  }
  *out = x;
  return CQ_OK;
}

/* ---- retention ---------------------------------------------------------------------------
 * TimescaleDB's retention policy (add_retention_policy / remove_retention_policy, from its
 * documentation): a background job drops chunks whose data is all older than the interval. */
static int pg_set_retention(cq_store *base, int64_t keep_ns, cq_error *err) {
  pg_store *s = (pg_store *)base;
  if (!s->timescale)
    return cq_error_set(err, CQ_EUNSUPPORTED,
                        "postgres %s: retention policies need TimescaleDB; this database keeps "
                        "candles in monthly partitions (drop old months with DROP TABLE "
                        "candles_yYYYYmMM)",
                        s->where);
  char sql[400];
  int64_t secs = keep_ns / CQ_NS_PER_SEC;
  if (keep_ns && secs < 3600)
    return cq_error_set(err, CQ_EINVAL, "retention: keep at least 1h, not %lld s", (long long)secs);
  int n = snprintf(sql, sizeof sql,
                   "SELECT remove_retention_policy('candles', if_exists => true);"
                   " SELECT remove_retention_policy('trades', if_exists => true)");
  if (keep_ns)
    snprintf(sql + n, sizeof sql - (size_t)n,
             "; SELECT add_retention_policy('candles', INTERVAL '%lld seconds');"
             " SELECT add_retention_policy('trades', INTERVAL '%lld seconds')",
             (long long)secs, (long long)secs);
  bool own;
  int rc = write_begin(s, &own, err, "setting retention");
  if (rc) return rc;
  return write_end(s, own, pg_exec(s, sql, err, "setting retention"), err, "setting retention");
}

/* ---- feature frames -------------------------------------------------------------------- */

static int put_features_tx(pg_store *s, const cq_feature_frame *f, cq_error *err) {
  const char *doing = "writing features";
  int64_t sid;
  int rc = series_id(s, &f->key, &sid, err);
  if (rc) return rc;
  size_t bytes = f->rows * sizeof(double);
  if (bytes >= (size_t)1 << 30)
    return cq_error_set(err, CQ_ELIMIT, "postgres %s: %s: %zu rows is too many for one frame",
                        s->where, doing, f->rows);
  params p = {0};
  p_text(&p, f->set);
  p_text(&p, f->version);
  p_bin64(&p, OID_INT8, sid);
  PGresult *r = run(s,
                    "DELETE FROM feature_frames WHERE set_name = $1 AND version = $2"
                    " AND series_id = $3",
                    &p, 0);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) return pg_fail(s, r, err, doing);
  PQclear(r);
  params h = p;
  p_text(&h, f->source);
  p_text(&h, f->definition ? f->definition : "");
  p_bin64(&h, OID_INT8, f->built_at);
  p_bin64(&h, OID_INT8, (int64_t)f->rows);
  p_bin64(&h, OID_INT8, f->n_features);
  r = run(s,
          "INSERT INTO feature_frames (set_name, version, series_id, source, definition,"
          " built_at, rows, n_features, time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ''::bytea)",
          &h, 0);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) return pg_fail(s, r, err, doing);
  PQclear(r);
  /* the time column on its own: MAX_PARAMS bounds one statement's parameters */
  params t = p;
  p_blob(&t, f->time, bytes);
  r = run(s,
          "UPDATE feature_frames SET time = $4 WHERE set_name = $1 AND version = $2"
          " AND series_id = $3",
          &t, 0);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) return pg_fail(s, r, err, doing);
  PQclear(r);
  for (int k = 0; k < f->n_features; k++) {
    params c = p;
    p_bin64(&c, OID_INT8, k);
    p_text(&c, f->names[k]);
    p_blob(&c, f->values[k], bytes);
    r = run(s,
            "INSERT INTO features (set_name, version, series_id, position, name, vals)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            &c, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) return pg_fail(s, r, err, doing);
    PQclear(r);
  }
  return CQ_OK;
}

static int pg_put_features(cq_store *base, const cq_feature_frame *f, cq_error *err) {
  pg_store *s = (pg_store *)base;
  bool own;
  int rc = write_begin(s, &own, err, "writing features");
  if (rc) return rc;
  return write_end(s, own, put_features_tx(s, f, err), err, "writing features");
}

/* Copies a binary bytea value of rows 8-byte values. */
static int blob_of(pg_store *s, const PGresult *r, int row, int col, size_t rows, void *dst,
                   cq_error *err) {
  size_t len = (size_t)PQgetlength(r, row, col);
  if (len != rows * 8)
    return cq_error_set(err, CQ_EIO, "postgres %s: a stored column has %zu bytes, expected %zu",
                        s->where, len, rows * 8);
  if (!len) return CQ_OK;
  const char *v = PQgetvalue(r, row, col);
  if (!v || !dst)
    return cq_error_set(err, CQ_EIO, "postgres %s: a stored column is missing", s->where);
  memcpy(dst, v, len);
  return CQ_OK;
}

static int pg_get_features(cq_store *base, const char *set, const char *version,
                           const cq_series_key *key, bool data, cq_feature_frame *out,
                           cq_error *err) {
  pg_store *s = (pg_store *)base;
  const char *doing = "reading features";
  char tf[CQ_TF_STRMAX];
  cq_timeframe_format(key->tf, tf, sizeof tf);
  params p = {0};
  p_text(&p, set);
  p_text(&p, key->venue);
  p_text(&p, key->symbol);
  p_text(&p, tf);
  if (version) p_text(&p, version);
  char sql[600];
  snprintf(sql, sizeof sql,
           "SELECT f.version, f.source, f.definition, f.built_at, f.rows, f.n_features::bigint, %s,"
           " f.series_id FROM feature_frames f JOIN series s ON s.id = f.series_id"
           " WHERE f.set_name = $1 AND s.venue = $2 AND s.symbol = $3 AND s.timeframe = $4%s"
           " ORDER BY f.built_at DESC, f.version LIMIT 1",
           data ? "f.time" : "NULL::bytea", version ? " AND f.version = $5" : "");
  PGresult *r = run(s, sql, &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, doing);
  if (PQntuples(r) == 0) {
    PQclear(r);
    return cq_error_set(err, CQ_ENOTFOUND, "no features of set %s%s%s for this series", set,
                        version ? " version " : "", version ? version : "");
  }
  cq_strlcpy(out->set, set, sizeof out->set);
  cq_strlcpy(out->version, PQgetvalue(r, 0, 0), sizeof out->version);
  cq_strlcpy(out->source, PQgetvalue(r, 0, 1), sizeof out->source);
  out->key = *key;
  out->definition = strdup(PQgetvalue(r, 0, 2));
  out->built_at = get64(PQgetvalue(r, 0, 3));
  size_t rows = (size_t)get64(PQgetvalue(r, 0, 4));
  int nf = (int)get64(PQgetvalue(r, 0, 5));
  int64_t sid = get64(PQgetvalue(r, 0, 7));
  int rc = CQ_OK;
  if (!out->definition) rc = cq_error_set(err, CQ_ENOMEM, "%s: out of memory", doing);
  if (!rc && !data) {
    out->rows = rows;
    out->n_features = nf;
  }
  if (!rc && data && !(rc = cq_feature_frame_alloc(out, rows, nf, err)))
    rc = blob_of(s, r, 0, 6, rows, out->time, err);
  PQclear(r);
  if (rc || !data) return rc;
  params q = {0};
  p_text(&q, set);
  p_text(&q, out->version);
  p_bin64(&q, OID_INT8, sid);
  r = run(s,
          "SELECT position, name, vals FROM features WHERE set_name = $1 AND version = $2"
          " AND series_id = $3 ORDER BY position",
          &q, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, doing);
  if (PQntuples(r) != nf)
    rc = cq_error_set(err, CQ_EIO, "postgres %s: feature frame %s %s has %d of %d columns",
                      s->where, set, out->version, PQntuples(r), nf);
  for (int k = 0; !rc && k < nf; k++) {
    cq_strlcpy(out->names[k], PQgetvalue(r, k, 1), sizeof out->names[k]);
    rc = blob_of(s, r, k, 2, rows, out->values[k], err);
  }
  PQclear(r);
  return rc;
}

static int pg_list_features(cq_store *base, cq_feature_info **out, size_t *n, cq_error *err) {
  pg_store *s = (pg_store *)base;
  PGresult *r = run(s,
                    "SELECT f.set_name, f.version, s.venue, s.symbol, s.timeframe, f.built_at,"
                    " f.rows, f.n_features::bigint FROM feature_frames f"
                    " JOIN series s ON s.id = f.series_id"
                    " ORDER BY f.set_name, s.venue, s.symbol, s.timeframe, f.built_at, f.version",
                    NULL, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "listing features");
  size_t len = (size_t)PQntuples(r);
  cq_feature_info *list = calloc(len ? len : 1, sizeof *list);
  if (!list) {
    PQclear(r);
    return cq_error_set(err, CQ_ENOMEM, "listing features: out of memory");
  }
  int rc = CQ_OK;
  for (size_t i = 0; i < len && !rc; i++) {
    int row = (int)i;
    cq_feature_info *x = &list[i];
    cq_strlcpy(x->set, PQgetvalue(r, row, 0), sizeof x->set);
    cq_strlcpy(x->version, PQgetvalue(r, row, 1), sizeof x->version);
    rc = cq_series_key_set(&x->key, PQgetvalue(r, row, 2), PQgetvalue(r, row, 3),
                           PQgetvalue(r, row, 4), err);
    x->built_at = get64(PQgetvalue(r, row, 5));
    x->rows = (uint64_t)get64(PQgetvalue(r, row, 6));
    x->n_features = (int)get64(PQgetvalue(r, row, 7));
  }
  PQclear(r);
  if (rc) {
    free(list);
    return rc;
  }
  *out = list;
  *n = len;
  return CQ_OK;
}

/* ---- backtest runs --------------------------------------------------------------------- */

static void p_f8(params *p, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  p_bin64(p, OID_FLOAT8, (int64_t)u);
}

/* A binary float8 column, NaN when NULL. */
static double getf8_or_nan(const PGresult *r, int row, int col) {
  return PQgetisnull(r, row, col) ? NAN : getf8(PQgetvalue(r, row, col));
}

static int put_run_info(pg_store *s, cq_run *rn, cq_error *err) {
  const cq_run_info *x = &rn->info;
  params p = {0};
  p_bin64(&p, OID_INT8, x->created_at);
  p_text(&p, x->strategy);
  p_text(&p, x->engine);
  p_text(&p, x->venue);
  p_text(&p, x->symbols);
  p_text(&p, x->timeframe);
  p_bin64(&p, OID_INT8, x->from);
  p_bin64(&p, OID_INT8, x->to);
  p_f8(&p, x->total_return);
  p_f8(&p, x->sharpe);
  p_f8(&p, x->max_drawdown);
  p_bin64(&p, OID_INT8, x->n_trades);
  p_text(&p, rn->document ? rn->document : "");
  PGresult *r = run(s,
                    "INSERT INTO backtest_runs (created_at, strategy, engine, venue, symbols,"
                    " timeframe, from_time, to_time, total_return, sharpe, max_drawdown,"
                    " n_trades, document) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
                    " $12, $13) RETURNING id",
                    &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "writing a backtest run");
  rn->info.id = get64(PQgetvalue(r, 0, 0));
  PQclear(r);
  return CQ_OK;
}

/* The trades in one binary COPY; a bad row (a repeated seq, an empty symbol) fails it all. */
static int put_run_trades(pg_store *s, const cq_run *rn, cq_error *err) {
  const char *doing = "writing backtest trades";
  if (!rn->ntrades) return CQ_OK;
  copybuf b;
  int rc = copy_begin(s, &b,
                      "COPY backtest_trades (run_id, seq, symbol, entry_time, exit_time, qty,"
                      " entry_price, exit_price, fees, pnl, ret) FROM STDIN (FORMAT binary)",
                      err, doing);
  if (rc) return rc;
  for (size_t i = 0; i < rn->ntrades; i++) {
    const cq_run_trade *t = &rn->trades[i];
    size_t sl = strnlen(t->symbol, sizeof t->symbol);
    char *p = cb_room(&b, 2 + (size_t)10 * 12 + 4 + sl);
    put16(p, 11);
    p = f_i64(p + 2, rn->info.id);
    p = f_i64(p, t->seq);
    p = f_text(p, t->symbol, sl);
    p = f_i64(p, t->entry_time);
    p = f_i64(p, t->exit_time);
    const double v[6] = {t->qty, t->entry_price, t->exit_price, t->fees, t->pnl, t->ret};
    for (int k = 0; k < 6; k++) p = f_f8(p, v[k], false);
  }
  return copy_end(&b, err, doing);
}

static int put_run_equity(pg_store *s, const cq_run *rn, cq_error *err) {
  size_t bytes = rn->npoints * 8;
  if (bytes >= (size_t)1 << 30)
    return cq_error_set(err, CQ_ELIMIT, "postgres %s: %zu equity points is too many", s->where,
                        rn->npoints);
  params p = {0};
  p_bin64(&p, OID_INT8, rn->info.id);
  p_bin64(&p, OID_INT8, (int64_t)rn->npoints);
  p_blob(&p, rn->time, bytes);
  p_blob(&p, rn->equity, bytes);
  PGresult *r = run(s,
                    "INSERT INTO backtest_equity (run_id, points, time, equity)"
                    " VALUES ($1, $2, $3, $4)",
                    &p, 0);
  if (PQresultStatus(r) != PGRES_COMMAND_OK)
    return pg_fail(s, r, err, "writing a backtest equity curve");
  PQclear(r);
  return CQ_OK;
}

static int pg_put_run(cq_store *base, cq_run *rn, cq_error *err) {
  pg_store *s = (pg_store *)base;
  bool own;
  int rc = write_begin(s, &own, err, "writing a backtest run");
  if (rc) return rc;
  if (!(rc = put_run_info(s, rn, err)) && !(rc = put_run_trades(s, rn, err)))
    rc = put_run_equity(s, rn, err);
  return write_end(s, own, rc, err, "writing a backtest run");
}

static const char run_cols[] =
    "id, created_at, strategy, engine, venue, symbols, timeframe, from_time, to_time,"
    " total_return, sharpe, max_drawdown, n_trades";

/* Reads the run_cols of a binary result row into x. */
static void run_info_row(const PGresult *r, int row, cq_run_info *x) {
  *x = (cq_run_info){0};
  x->id = get64(PQgetvalue(r, row, 0));
  x->created_at = get64(PQgetvalue(r, row, 1));
  cq_strlcpy(x->strategy, PQgetvalue(r, row, 2), sizeof x->strategy);
  cq_strlcpy(x->engine, PQgetvalue(r, row, 3), sizeof x->engine);
  cq_strlcpy(x->venue, PQgetvalue(r, row, 4), sizeof x->venue);
  cq_strlcpy(x->symbols, PQgetvalue(r, row, 5), sizeof x->symbols);
  cq_strlcpy(x->timeframe, PQgetvalue(r, row, 6), sizeof x->timeframe);
  x->from = get64(PQgetvalue(r, row, 7));
  x->to = get64(PQgetvalue(r, row, 8));
  x->total_return = getf8_or_nan(r, row, 9);
  x->sharpe = getf8_or_nan(r, row, 10);
  x->max_drawdown = getf8_or_nan(r, row, 11);
  x->n_trades = get64(PQgetvalue(r, row, 12));
}

static int get_run_data(pg_store *s, int64_t id, cq_run *out, cq_error *err) {
  params p = {0};
  p_bin64(&p, OID_INT8, id);
  PGresult *r = run(s,
                    "SELECT seq, symbol, entry_time, exit_time, qty, entry_price, exit_price,"
                    " fees, pnl, ret FROM backtest_trades WHERE run_id = $1 ORDER BY seq",
                    &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "reading backtest trades");
  size_t n = (size_t)PQntuples(r);
  out->trades = calloc(n ? n : 1, sizeof *out->trades);
  if (!out->trades) {
    PQclear(r);
    return cq_error_set(err, CQ_ENOMEM, "reading backtest trades: out of memory");
  }
  for (int row = 0; row < (int)n; row++) {
    cq_run_trade *t = &out->trades[row];
    t->seq = get64(PQgetvalue(r, row, 0));
    cq_strlcpy(t->symbol, PQgetvalue(r, row, 1), sizeof t->symbol);
    t->entry_time = get64(PQgetvalue(r, row, 2));
    t->exit_time = get64(PQgetvalue(r, row, 3));
    double *v[6] = {&t->qty, &t->entry_price, &t->exit_price, &t->fees, &t->pnl, &t->ret};
    for (int c = 0; c < 6; c++) *v[c] = getf8_or_nan(r, row, 4 + c);
  }
  out->ntrades = n;
  PQclear(r);
  r = run(s, "SELECT points, time, equity FROM backtest_equity WHERE run_id = $1", &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK)
    return pg_fail(s, r, err, "reading a backtest equity curve");
  int rc = CQ_OK;
  if (PQntuples(r) == 1) {
    size_t pts = (size_t)get64(PQgetvalue(r, 0, 0));
    out->time = malloc(pts ? pts * sizeof *out->time : 1);
    out->equity = malloc(pts ? pts * sizeof *out->equity : 1);
    if (!out->time || !out->equity)
      rc = cq_error_set(err, CQ_ENOMEM, "reading a backtest equity curve: out of memory");
    if (!rc) rc = blob_of(s, r, 0, 1, pts, out->time, err);
    if (!rc) rc = blob_of(s, r, 0, 2, pts, out->equity, err);
    if (!rc) out->npoints = pts;
  }
  PQclear(r);
  return rc;
}

static int pg_get_run(cq_store *base, int64_t id, bool data, cq_run *out, cq_error *err) {
  pg_store *s = (pg_store *)base;
  char sql[400];
  snprintf(sql, sizeof sql, "SELECT %s, document FROM backtest_runs WHERE id = $1", run_cols);
  params p = {0};
  p_bin64(&p, OID_INT8, id);
  PGresult *r = run(s, sql, &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "reading a backtest run");
  if (PQntuples(r) == 0) {
    PQclear(r);
    return cq_error_set(err, CQ_ENOTFOUND, "no backtest run %lld in postgres %s", (long long)id,
                        s->where);
  }
  run_info_row(r, 0, &out->info);
  out->document = strdup(PQgetvalue(r, 0, 13));
  PQclear(r);
  if (!out->document) return cq_error_set(err, CQ_ENOMEM, "reading a backtest run: out of memory");
  return data ? get_run_data(s, id, out, err) : CQ_OK;
}

static int pg_list_runs(cq_store *base, cq_run_info **out, size_t *n, cq_error *err) {
  pg_store *s = (pg_store *)base;
  char sql[400];
  snprintf(sql, sizeof sql, "SELECT %s FROM backtest_runs ORDER BY id DESC", run_cols);
  PGresult *r = run(s, sql, NULL, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "listing backtest runs");
  size_t len = (size_t)PQntuples(r);
  cq_run_info *list = calloc(len ? len : 1, sizeof *list);
  if (!list) {
    PQclear(r);
    return cq_error_set(err, CQ_ENOMEM, "listing backtest runs: out of memory");
  }
  for (size_t i = 0; i < len; i++) run_info_row(r, (int)i, &list[i]);
  PQclear(r);
  *out = list;
  *n = len;
  return CQ_OK;
}

static int pg_delete_run(cq_store *base, int64_t id, cq_error *err) {
  pg_store *s = (pg_store *)base;
  params p = {0};
  p_bin64(&p, OID_INT8, id);
  /* trades and equity go with it (ON DELETE CASCADE) */
  PGresult *r = run(s, "DELETE FROM backtest_runs WHERE id = $1", &p, 0);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) return pg_fail(s, r, err, "deleting a backtest run");
  bool none = !strcmp(PQcmdTuples(r), "0");
  PQclear(r);
  if (none)
    return cq_error_set(err, CQ_ENOTFOUND, "no backtest run %lld in postgres %s", (long long)id,
                        s->where);
  return CQ_OK;
}

/* ---- binary arrays --------------------------------------------------------------------- */

/* A one-dimensional binary array of n elements without NULLs, each taking at most elem_max
 * bytes with its length: *arr is allocated (the caller frees it) with the header written,
 * and *at is where the first element goes. */
static int array_begin(pg_store *s, Oid elem, size_t n, size_t elem_max, char **arr, char **at,
                       cq_error *err, const char *doing) {
  *arr = NULL;
  *at = NULL;
  /* the codes are returned as constants: the analyzer cannot see cq_error_set return them */
  if (n > (size_t)(INT32_MAX - 20) / elem_max) {
    cq_error_set(err, CQ_ELIMIT, "postgres %s: %s: %zu rows in one statement is too many",
                 s->where, doing, n);
    return CQ_ELIMIT;
  }
  char *a = malloc(20 + elem_max * n);
  if (!a) {
    cq_error_set(err, CQ_ENOMEM, "postgres %s: %s: %zu rows: out of memory", s->where, doing, n);
    return CQ_ENOMEM;
  }
  put32(a, 1);                 /* dimensions */
  put32(a + 4, 0);             /* no NULLs */
  put32(a + 8, (int32_t)elem); /* element type */
  put32(a + 12, (int32_t)n);   /* length */
  put32(a + 16, 1);            /* lower bound */
  *arr = a;
  *at = a + 20;
  return CQ_OK;
}

/* An array from array_begin, filled up to end, as a binary parameter. */
static void p_array(params *p, Oid type, const char *arr, const char *end) {
  p_blob(p, arr, (size_t)(end - arr));
  p->types[p->n - 1] = type;
}

/* ---- optimization studies -------------------------------------------------------------- */

static int32_t get32(const char *v) {
  uint32_t be;
  memcpy(&be, v, 4);
  return (int32_t)be32toh(be);
}

static char *f_i32(char *at, int32_t v) {
  put32(at, 4);
  put32(at + 4, v);
  return at + 8;
}

/* Appends len bytes, in pieces when they do not fit the buffer at once (a trial's values
 * may be larger than COPY_CHUNK). */
static void cb_write(copybuf *b, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    if (b->len == COPY_CHUNK) cb_flush(b);
    size_t k = COPY_CHUNK - b->len;
    if (k > len) k = len;
    memcpy(b->p + b->len, p, k);
    b->len += k;
    p += k;
    len -= k;
  }
}

static const char study_cols[] =
    "id, created_at, updated_at, kind, strategy, sampler, objective, venue, symbols, timeframe,"
    " from_time, to_time, status, n_trials, best_trial, best_value";

/* Reads the study_cols of a binary result row into x. */
static void study_info_row(const PGresult *r, int row, cq_study_info *x) {
  *x = (cq_study_info){0};
  x->id = get64(PQgetvalue(r, row, 0));
  x->created_at = get64(PQgetvalue(r, row, 1));
  x->updated_at = get64(PQgetvalue(r, row, 2));
  cq_strlcpy(x->kind, PQgetvalue(r, row, 3), sizeof x->kind);
  cq_strlcpy(x->strategy, PQgetvalue(r, row, 4), sizeof x->strategy);
  cq_strlcpy(x->sampler, PQgetvalue(r, row, 5), sizeof x->sampler);
  cq_strlcpy(x->objective, PQgetvalue(r, row, 6), sizeof x->objective);
  cq_strlcpy(x->venue, PQgetvalue(r, row, 7), sizeof x->venue);
  cq_strlcpy(x->symbols, PQgetvalue(r, row, 8), sizeof x->symbols);
  cq_strlcpy(x->timeframe, PQgetvalue(r, row, 9), sizeof x->timeframe);
  x->from = get64(PQgetvalue(r, row, 10));
  x->to = get64(PQgetvalue(r, row, 11));
  cq_strlcpy(x->status, PQgetvalue(r, row, 12), sizeof x->status);
  x->n_trials = get64(PQgetvalue(r, row, 13));
  x->best_trial = get64(PQgetvalue(r, row, 14));
  x->best_value = getf8_or_nan(r, row, 15);
}

static int put_study_tx(pg_store *s, cq_study_info *info, const char *spec, cq_error *err) {
  const cq_study_info *x = info;
  bool create = x->id == 0;
  const char *doing = create ? "writing a study" : "updating a study";
  params p = {0};
  /* the same parameters in both: $1 is created_at for a new study, the id for an update */
  p_bin64(&p, OID_INT8, create ? x->created_at : x->id);
  p_bin64(&p, OID_INT8, x->updated_at);
  p_text(&p, x->kind);
  p_text(&p, x->strategy);
  p_text(&p, x->sampler);
  p_text(&p, x->objective);
  p_text(&p, x->venue);
  p_text(&p, x->symbols);
  p_text(&p, x->timeframe);
  p_bin64(&p, OID_INT8, x->from);
  p_bin64(&p, OID_INT8, x->to);
  p_text(&p, x->status);
  p_bin64(&p, OID_INT8, x->best_trial);
  p_f8(&p, x->best_value);
  p_text(&p, spec ? spec : create ? "" : NULL); /* NULL: keep the stored spec */
  PGresult *r = run(s,
                    create ? "INSERT INTO studies (created_at, updated_at, kind, strategy, sampler,"
                             " objective, venue, symbols, timeframe, from_time, to_time, status,"
                             " best_trial, best_value, spec) VALUES ($1, $2, $3, $4, $5, $6, $7,"
                             " $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id"
                           : "UPDATE studies SET updated_at = $2, kind = $3, strategy = $4,"
                             " sampler = $5, objective = $6, venue = $7, symbols = $8,"
                             " timeframe = $9, from_time = $10, to_time = $11, status = $12,"
                             " best_trial = $13, best_value = $14, spec = coalesce($15, spec)"
                             " WHERE id = $1 RETURNING id",
                    &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, doing);
  bool none = PQntuples(r) == 0;
  if (!none && create) info->id = get64(PQgetvalue(r, 0, 0));
  PQclear(r);
  if (none)
    return cq_error_set(err, CQ_ENOTFOUND, "no study %lld in postgres %s", (long long)x->id,
                        s->where);
  return CQ_OK;
}

static int pg_put_study(cq_store *base, cq_study_info *info, const char *spec, cq_error *err) {
  pg_store *s = (pg_store *)base;
  bool own;
  int rc = write_begin(s, &own, err, "writing a study");
  if (rc) return rc;
  return write_end(s, own, put_study_tx(s, info, spec, err), err, "writing a study");
}

/* The smallest of the batch's numbers that the study already has, or -1: one query with the
 * numbers as a binary int8[] (so a refusal aborts nothing of the caller's transaction). */
static int stored_number(pg_store *s, int64_t study, const cq_study_trial *t, size_t n,
                         int64_t *found, cq_error *err, const char *doing) {
  *found = -1;
  char *arr, *at;
  int rc = array_begin(s, OID_INT8, n, 12, &arr, &at, err, doing);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) at = f_i64(at, t[i].number);
  params p = {0};
  p_bin64(&p, OID_INT8, study);
  p_array(&p, OID_INT8_ARRAY, arr, at);
  PGresult *r = run(s,
                    "SELECT min(number) FROM study_trials WHERE study_id = $1"
                    " AND number = ANY ($2)",
                    &p, 1);
  free(arr);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, doing);
  if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) *found = get64(PQgetvalue(r, 0, 0));
  PQclear(r);
  return CQ_OK;
}

/* Locks the study row (writers of one study's trials take turns, so the check for stored
 * numbers stays true until commit), checks, then one binary COPY and the count. Nothing is
 * written before every check has passed. */
static int put_trials_tx(pg_store *s, int64_t study, const cq_study_trial *t, size_t n,
                         cq_error *err) {
  const char *doing = "writing study trials";
  params p = {0};
  p_bin64(&p, OID_INT8, study);
  PGresult *r = run(s, "SELECT 1 FROM studies WHERE id = $1 FOR UPDATE", &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, doing);
  bool none = PQntuples(r) == 0;
  PQclear(r);
  if (none)
    return cq_error_set(err, CQ_ENOTFOUND, "no study %lld in postgres %s", (long long)study,
                        s->where);
  if (n == 0) return CQ_OK;
  int64_t dup;
  int rc = stored_number(s, study, t, n, &dup, err, doing);
  if (rc) return rc;
  if (dup >= 0)
    return cq_error_set(err, CQ_EEXIST, "study %lld: trial %lld is already stored",
                        (long long)study, (long long)dup);
  copybuf b;
  if ((rc = copy_begin(s, &b,
                       "COPY study_trials (study_id, number, state, value, value2, params, vals)"
                       " FROM STDIN (FORMAT binary)",
                       err, doing)))
    return rc;
  for (size_t i = 0; i < n; i++) {
    const cq_study_trial *x = &t[i];
    size_t pb = (size_t)x->n_params * 8, vb = x->n_values * 8;
    char *at = cb_room(&b, 2 + 12 + 12 + 8 + 12 + 12 + 4 + pb + 4);
    put16(at, 7);
    at = f_i64(at + 2, study);
    at = f_i64(at, x->number);
    at = f_i32(at, x->state);
    at = f_f8(at, x->value, false);
    at = f_f8(at, x->value2, false);
    put32(at, (int32_t)pb);
    if (pb) memcpy(at + 4, x->params, pb);
    put32(at + 4 + pb, (int32_t)vb);
    if (vb) cb_write(&b, x->values, vb);
  }
  if ((rc = copy_end(&b, err, doing))) return rc;
  params c = p;
  p_bin64(&c, OID_INT8, (int64_t)n);
  r = run(s, "UPDATE studies SET n_trials = n_trials + $2 WHERE id = $1", &c, 0);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) return pg_fail(s, r, err, doing);
  PQclear(r);
  return CQ_OK;
}

static int pg_put_trials(cq_store *base, int64_t study, const cq_study_trial *t, size_t n,
                         cq_error *err) {
  pg_store *s = (pg_store *)base;
  bool own;
  int rc = write_begin(s, &own, err, "writing study trials");
  if (rc) return rc;
  return write_end(s, own, put_trials_tx(s, study, t, n, err), err, "writing study trials");
}

/* Every trial of a study into one trials array and one pool, sized from the result. */
static int get_study_trials(pg_store *s, int64_t id, cq_study *out, cq_error *err) {
  const char *doing = "reading study trials";
  params p = {0};
  p_bin64(&p, OID_INT8, id);
  PGresult *r = run(s,
                    "SELECT number, state, value, value2, params, vals FROM study_trials"
                    " WHERE study_id = $1 ORDER BY number",
                    &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, doing);
  int rows = PQntuples(r);
  size_t pool = 0;
  int rc = CQ_OK;
  for (int row = 0; row < rows && !rc; row++) {
    size_t pb = (size_t)PQgetlength(r, row, 4), vb = (size_t)PQgetlength(r, row, 5);
    if (PQgetlength(r, row, 1) != 4 || pb % 8 || pb > sizeof out->trials[0].params || vb % 8)
      rc = cq_error_set(err, CQ_EIO, "postgres %s: study %lld: stored trial %lld is malformed",
                        s->where, (long long)id, (long long)get64(PQgetvalue(r, row, 0)));
    pool += vb / 8;
  }
  if (rc) {
    PQclear(r);
    return rc;
  }
  size_t nrows = rows > 0 ? (size_t)rows : 0;
  cq_study_trial *trials = calloc(nrows ? nrows : 1, sizeof *trials);
  double *values = malloc(pool ? pool * sizeof *values : 1);
  out->trials = trials; /* freed by the caller's cq_study_release, also on error */
  out->pool = values;
  if (!trials || !values) {
    PQclear(r);
    return cq_error_set(err, CQ_ENOMEM, "%s: %d trials of study %lld: out of memory", doing, rows,
                        (long long)id);
  }
  size_t used = 0;
  for (int row = 0; row < rows; row++) {
    cq_study_trial *x = &trials[row];
    x->number = get64(PQgetvalue(r, row, 0));
    x->state = get32(PQgetvalue(r, row, 1));
    x->value = getf8_or_nan(r, row, 2);
    x->value2 = getf8_or_nan(r, row, 3);
    size_t pb = (size_t)PQgetlength(r, row, 4), vb = (size_t)PQgetlength(r, row, 5);
    x->n_params = (int)(pb / 8);
    if (pb) memcpy(x->params, PQgetvalue(r, row, 4), pb);
    x->n_values = vb / 8;
    if (vb) {
      x->values = values + used;
      memcpy(x->values, PQgetvalue(r, row, 5), vb);
      used += x->n_values;
    }
  }
  out->ntrials = (size_t)rows;
  PQclear(r);
  return CQ_OK;
}

static int get_study_tx(pg_store *s, int64_t id, bool trials, cq_study *out, cq_error *err) {
  char sql[400];
  snprintf(sql, sizeof sql, "SELECT %s, spec FROM studies WHERE id = $1", study_cols);
  params p = {0};
  p_bin64(&p, OID_INT8, id);
  PGresult *r = run(s, sql, &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "reading a study");
  if (PQntuples(r) == 0) {
    PQclear(r);
    return cq_error_set(err, CQ_ENOTFOUND, "no study %lld in postgres %s", (long long)id, s->where);
  }
  study_info_row(r, 0, &out->info);
  out->spec = strdup(PQgetvalue(r, 0, 16));
  PQclear(r);
  if (!out->spec) return cq_error_set(err, CQ_ENOMEM, "reading a study: out of memory");
  return trials ? get_study_trials(s, id, out, err) : CQ_OK;
}

static int pg_get_study(cq_store *base, int64_t id, bool trials, cq_study *out, cq_error *err) {
  pg_store *s = (pg_store *)base;
  /* the info and the trials from one snapshot: a read-only transaction of its own, or the
   * caller's (the info alone is one statement) */
  bool own = trials && PQtransactionStatus(s->conn) == PQTRANS_IDLE;
  int rc;
  if (own &&
      (rc = pg_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, "reading a study")))
    return rc;
  rc = get_study_tx(s, id, trials, out, err);
  if (!own) return rc;
  if (rc) {
    (void)pg_exec(s, "ROLLBACK", NULL, "rollback");
    return rc;
  }
  return pg_exec(s, "COMMIT", err, "reading a study");
}

static int pg_list_studies(cq_store *base, cq_study_info **out, size_t *n, cq_error *err) {
  pg_store *s = (pg_store *)base;
  char sql[400];
  snprintf(sql, sizeof sql, "SELECT %s FROM studies ORDER BY id DESC", study_cols);
  PGresult *r = run(s, sql, NULL, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, "listing studies");
  size_t len = (size_t)PQntuples(r);
  cq_study_info *list = calloc(len ? len : 1, sizeof *list);
  if (!list) {
    PQclear(r);
    return cq_error_set(err, CQ_ENOMEM, "listing studies: out of memory");
  }
  for (size_t i = 0; i < len; i++) study_info_row(r, (int)i, &list[i]);
  PQclear(r);
  *out = list;
  *n = len;
  return CQ_OK;
}

static int pg_delete_study(cq_store *base, int64_t id, cq_error *err) {
  pg_store *s = (pg_store *)base;
  params p = {0};
  p_bin64(&p, OID_INT8, id);
  /* its trials go with it (ON DELETE CASCADE) */
  PGresult *r = run(s, "DELETE FROM studies WHERE id = $1", &p, 0);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) return pg_fail(s, r, err, "deleting a study");
  bool none = !strcmp(PQcmdTuples(r), "0");
  PQclear(r);
  if (none)
    return cq_error_set(err, CQ_ENOTFOUND, "no study %lld in postgres %s", (long long)id, s->where);
  return CQ_OK;
}

/* ---- stream consumer offsets ----------------------------------------------------------- */

/* numeric(20) columns hold the uint64 as it is; the statements move its bits as int8. */
#define U64_OF_INT8(x) "CASE WHEN " x " < 0 THEN " x " + 18446744073709551616 ELSE " x " END"
#define INT8_OF_U64(x) \
  "(CASE WHEN " x " > 9223372036854775807 THEN " x " - 18446744073709551616 ELSE " x " END)::int8"

/* One statement: all of the rows or none. */
static int put_offsets_tx(pg_store *s, const char *consumer, const cq_stream_offset *o, size_t n,
                          cq_time now, cq_error *err, const char *doing) {
  char *arr[3] = {NULL, NULL, NULL}, *at[3];
  int rc = array_begin(s, OID_TEXT, n, 4 + CQ_STORE_TOPIC_MAX, &arr[0], &at[0], err, doing);
  for (int k = 1; k < 3 && !rc; k++)
    rc = array_begin(s, OID_INT8, n, 12, &arr[k], &at[k], err, doing);
  if (!rc) {
    for (size_t i = 0; i < n; i++) {
      size_t len = strlen(o[i].topic); /* < CQ_STORE_TOPIC_MAX: checked by store.c */
      put32(at[0], (int32_t)len);
      memcpy(at[0] + 4, o[i].topic, len);
      at[0] += 4 + len;
      at[1] = f_i64(at[1], (int64_t)o[i].last_id);
      at[2] = f_i64(at[2], (int64_t)o[i].applied);
    }
    params p = {0};
    p_text(&p, consumer);
    p_array(&p, OID_TEXT_ARRAY, arr[0], at[0]);
    p_array(&p, OID_INT8_ARRAY, arr[1], at[1]);
    p_array(&p, OID_INT8_ARRAY, arr[2], at[2]);
    p_bin64(&p, OID_INT8, now);
    PGresult *r = run(s,
                      "INSERT INTO stream_offsets (consumer, topic, last_id, applied, updated)"
                      " SELECT $1, t, " U64_OF_INT8("l") ", " U64_OF_INT8("a") ", $5"
                      " FROM unnest($2::text[], $3::int8[], $4::int8[]) AS x (t, l, a)"
                      " ON CONFLICT (consumer, topic) DO UPDATE SET last_id = excluded.last_id,"
                      " applied = excluded.applied, updated = excluded.updated",
                      &p, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      rc = pg_fail(s, r, err, doing);
    else
      PQclear(r);
  }
  for (int k = 0; k < 3; k++) free(arr[k]);
  return rc;
}

/* In the caller's transaction or one of its own; a transaction an earlier error aborted is
 * refused plainly, as every write does. */
static int pg_put_offsets(cq_store *base, const char *consumer, const cq_stream_offset *o, size_t n,
                          cq_time now, cq_error *err) {
  pg_store *s = (pg_store *)base;
  const char *doing = "writing stream offsets";
  bool own;
  int rc = write_begin(s, &own, err, doing);
  if (rc) return rc;
  return write_end(s, own, put_offsets_tx(s, consumer, o, n, now, err, doing), err, doing);
}

static int pg_get_offsets(cq_store *base, const char *consumer, cq_stream_offset **out, size_t *n,
                          cq_error *err) {
  pg_store *s = (pg_store *)base;
  const char *doing = "reading stream offsets";
  params p = {0};
  p_text(&p, consumer);
  PGresult *r = run(s,
                    "SELECT topic, " INT8_OF_U64("last_id") ", " INT8_OF_U64("applied") ","
                    " updated FROM stream_offsets WHERE consumer = $1 ORDER BY topic",
                    &p, 1);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return pg_fail(s, r, err, doing);
  size_t k = (size_t)PQntuples(r);
  cq_stream_offset *v = calloc(k ? k : 1, sizeof *v);
  if (!v) {
    PQclear(r);
    return cq_error_set(err, CQ_ENOMEM, "postgres %s: %s of %s: out of memory", s->where, doing,
                        consumer);
  }
  for (size_t i = 0; i < k; i++) {
    int row = (int)i, len = PQgetlength(r, row, 0);
    if (len < 1 || len >= CQ_STORE_TOPIC_MAX || PQgetlength(r, row, 1) != 8 ||
        PQgetlength(r, row, 2) != 8 || PQgetlength(r, row, 3) != 8) {
      PQclear(r);
      free(v);
      return cq_error_set(err, CQ_EIO, "postgres %s: %s of %s: row %zu is not an offset", s->where,
                          doing, consumer, i);
    }
    memcpy(v[i].topic, PQgetvalue(r, row, 0), (size_t)len); /* calloc'd: terminated */
    v[i].last_id = (uint64_t)get64(PQgetvalue(r, row, 1));
    v[i].applied = (uint64_t)get64(PQgetvalue(r, row, 2));
    v[i].updated = get64(PQgetvalue(r, row, 3));
  }
  PQclear(r);
  *out = v;
  *n = k;
  return CQ_OK;
}

const cq_store_ops cq_store_postgres_ops = {
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .schema_version = pg_schema_version,
    .put_instruments = pg_put_instruments,
    .get_instrument = pg_get_instrument,
    .put_candles = pg_put_candles,
    .get_candles = pg_get_candles,
    .list_series = pg_list_series,
    .series_bounds = pg_series_bounds,
    .put_gaps = pg_put_gaps,
    .get_gaps = pg_get_gaps,
    .put_trades = pg_put_trades,
    .get_trades = pg_get_trades,
    .layout = pg_layout,
    .put_features = pg_put_features,
    .get_features = pg_get_features,
    .list_features = pg_list_features,
    .set_retention = pg_set_retention,
    .put_run = pg_put_run,
    .get_run = pg_get_run,
    .list_runs = pg_list_runs,
    .delete_run = pg_delete_run,
    .put_study = pg_put_study,
    .put_trials = pg_put_trials,
    .get_study = pg_get_study,
    .list_studies = pg_list_studies,
    .delete_study = pg_delete_study,
    .put_offsets = pg_put_offsets,
    .get_offsets = pg_get_offsets,
};
