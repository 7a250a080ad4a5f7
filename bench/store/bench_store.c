/* Store throughput: importing a candle file, and reading a year of candles into columns.
 *
 * Import: 1,000,000 one-minute candles in our CSV, imported with cq_import_candles_file
 *   - into a new SQLite store, beside the sqlite3 shell's `.import` of the same file into a
 *     plain table (no key, no checks);
 *   - into a new PostgreSQL store, beside psql's `\copy ... (FORMAT csv)` into a plain table
 *     (no key, no checks), when CQ_BENCH_PG names a server (scripts/bench.sh starts one).
 * Our import does more than the baselines: it parses and checks every row (grid, prices,
 * order), keeps a primary key, and tells inserted from revised from unchanged rows.
 *
 * Reads: a year of 1h candles (8,760 rows) and of 1m candles (525,600 rows) into a new
 * cq_candles each time, p50 and p99 over repeated runs, against the targets.
 *
 * Prints figures and ratios; asserts nothing about time. Exits non-zero only when a result
 * is wrong (row counts) or a step fails. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "cquant/data.h"
#include "cquant/store.h"

#ifdef CQ_HAVE_POSTGRES
#include <libpq-fe.h>
#endif

enum { N_ROWS = 1000000, IMPORT_REPS = 3, RUNS_1H = 50, RUNS_1M = 15 };

#define T0_MS INT64_C(1672531200000) /* 2023-01-01T00:00:00Z */

/* Uniform in [0, n) as a signed value. */
static int64_t below_i(rng *r, int64_t n) {
  return (int64_t)below(r, (uint64_t)n);
}

/* A random walk around 30,000 in cents; volumes in units of 1e-8. */
static int write_csv(const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "bench_store: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  setvbuf(f, NULL, _IOFBF, 1 << 20); /* stdio allocates the buffer */
  rng r = {0x5eed5};
  int64_t close = 3000000;
  fputs("open_time_ms,open,high,low,close,volume\n", f);
  for (int64_t i = 0; i < N_ROWS; i++) {
    int64_t open = close;
    close = open + below_i(&r, 2001) - 1000;
    if (close < 100000) close = 100000 + below_i(&r, 1000);
    int64_t hi = (open > close ? open : close) + below_i(&r, 500);
    int64_t lo = (open < close ? open : close) - below_i(&r, 500);
    int64_t vol = below_i(&r, 5000000000) + 1;
    fprintf(f,
            "%" PRId64 ",%" PRId64 ".%02" PRId64 ",%" PRId64 ".%02" PRId64 ",%" PRId64 ".%02" PRId64
            ",%" PRId64 ".%02" PRId64 ",%" PRId64 ".%08" PRId64 "\n",
            T0_MS + i * 60000, open / 100, open % 100, hi / 100, hi % 100, lo / 100, lo % 100,
            close / 100, close % 100, vol / 100000000, vol % 100000000);
  }
  if (fclose(f) != 0) {
    fprintf(stderr, "bench_store: writing %s failed\n", path);
    return -1;
  }
  return 0;
}

/* Runs argv with `input` on its stdin and its stdout in out (may be NULL); wall seconds, or
 * a negative value when it could not run or failed. */
static double run_tool(char *const argv[], const char *input, char *out, size_t nout) {
  int in[2], res[2];
  if (pipe(in) || pipe(res)) return -1;
  double t0 = now_s();
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(res[1], 1);
    close(in[0]);
    close(in[1]);
    close(res[0]);
    close(res[1]);
    execvp(argv[0], argv);
    _exit(127);
  }
  close(in[0]);
  close(res[1]);
  size_t len = strlen(input);
  if (len && write(in[1], input, len) != (ssize_t)len) {
    close(in[1]);
    close(res[0]);
    waitpid(pid, NULL, 0);
    return -1;
  }
  close(in[1]);
  size_t got = 0;
  char tmp[4096];
  ssize_t k;
  while ((k = read(res[0], tmp, sizeof tmp)) > 0) {
    if (out && got + 1 < nout) {
      size_t c = (size_t)k < nout - 1 - got ? (size_t)k : nout - 1 - got;
      memcpy(out + got, tmp, c);
      got += c;
    }
  }
  if (out && nout) out[got] = '\0';
  close(res[0]);
  int status;
  if (waitpid(pid, &status, 0) < 0) return -1;
  double dt = now_s() - t0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return dt;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return v[n / 2];
}

/* p in [0, 1], nearest rank. */
static double pct(double *v, int n, double p) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  int i = (int)ceil(p * n) - 1;
  if (i < 0) i = 0;
  if (i >= n) i = n - 1;
  return v[i];
}

/* The row count a tool printed ("525600\n"); -1 when it is not a number. */
static long parse_count(const char *s) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || errno) return -1;
  while (*end == '\n' || *end == '\r' || *end == ' ' || *end == '\t') end++;
  return *end ? -1 : v;
}

static cq_series_key key_of(const char *symbol, const char *tf) {
  cq_series_key k;
  if (cq_series_key_set(&k, "bench", symbol, tf, NULL)) abort();
  return k;
}

/* Imports the CSV into the store at uri; seconds, or negative on failure. */
static double import_ours(const char *uri, const char *csv) {
  cq_store *s;
  cq_error e;
  if (cq_store_open(uri, &s, &e)) {
    fprintf(stderr, "bench_store: %s\n", e.msg);
    return -1;
  }
  cq_series_key k = key_of("BTC/USDT", "1m");
  cq_read_opts o = {.format = CQ_FMT_CSV};
  cq_import_report rep;
  double t0 = now_s();
  int rc = cq_import_candles_file(s, &k, csv, &o, &rep, &e);
  double dt = now_s() - t0;
  cq_read_report_release(&rep.read);
  cq_store_close(s);
  if (rc) {
    fprintf(stderr, "bench_store: import: %s\n", e.msg);
    return -1;
  }
  if (rep.write.inserted != N_ROWS) {
    fprintf(stderr, "bench_store: import wrote %" PRIu64 " rows, expected %d\n", rep.write.inserted,
            N_ROWS);
    return -1;
  }
  return dt;
}

static void print_ours(const char *who, double ours) {
  printf("  %-8s ours (cq_import_candles_file) %9.0f rows/s  %5.2f s\n", who, N_ROWS / ours, ours);
}

static void print_base(const char *name, double ours, double base) {
  if (base > 0)
    printf("           %-30s %9.0f rows/s  %5.2f s   ours/baseline %.2f\n", name, N_ROWS / base,
           base, base / ours);
  else
    printf("           %-30s not measured\n", name);
}

/* ---- reads ---------------------------------------------------------------------------- */

static int fill_year(cq_store *s, const char *symbol, const char *tf, int64_t step_ns,
                     size_t rows) {
  cq_candles c;
  cq_candles_init(&c, 0);
  rng r = {rows};
  double px = 30000;
  cq_error e;
  int rc = cq_candles_reserve(&c, rows);
  for (size_t i = 0; i < rows && !rc; i++) {
    double o = px;
    px = round((px + (double)(below_i(&r, 2001) - 1000) / 100) * 100) / 100;
    cq_candle k = {.open_time = T0_MS * CQ_NS_PER_MS + (int64_t)i * step_ns,
                   .open = o,
                   .high = fmax(o, px) + 1,
                   .low = fmin(o, px) - 1,
                   .close = px,
                   .volume = (double)below_i(&r, 100000) / 1000,
                   .quote_volume = NAN,
                   .trades = -1,
                   .closed = true};
    rc = cq_candles_push(&c, &k);
  }
  cq_series_key k = key_of(symbol, tf);
  if (!rc && !(rc = cq_store_begin(s, &e))) {
    for (size_t i = 0; i < rows && !rc; i += 50000)
      rc = cq_store_put_candles(s, &k, &c, i, rows - i < 50000 ? rows - i : 50000, NULL, &e);
    if (rc)
      (void)cq_store_rollback(s, NULL);
    else
      rc = cq_store_commit(s, &e);
  }
  if (rc) fprintf(stderr, "bench_store: filling %s %s: %s\n", symbol, tf, e.msg);
  cq_candles_release(&c);
  return rc;
}

static int time_reads(cq_store *s, const char *symbol, const char *tf, size_t rows, int runs,
                      double target_ms) {
  cq_series_key k = key_of(symbol, tf);
  cq_time from = T0_MS * CQ_NS_PER_MS, to = from + 365 * CQ_NS_PER_DAY;
  double t[64];
  if (runs < 1 || runs > (int)(sizeof t / sizeof *t)) {
    fprintf(stderr, "bench_store: %d runs; 1 to %zu\n", runs, sizeof t / sizeof *t);
    return -1;
  }
  cq_error e;
  for (int i = 0; i < runs + 1; i++) {
    cq_candles c;
    cq_candles_init(&c, 0);
    double t0 = now_s();
    int rc = cq_store_get_candles(s, &k, from, to, &c, &e);
    double dt = now_s() - t0;
    size_t got = c.len;
    cq_candles_release(&c);
    if (rc) {
      fprintf(stderr, "bench_store: reading: %s\n", e.msg);
      return -1;
    }
    if (got != rows) {
      fprintf(stderr, "bench_store: read %zu rows, expected %zu\n", got, rows);
      return -1;
    }
    if (i > 0) t[i - 1] = dt * 1e3; /* the first run warms caches */
  }
  double p50 = pct(t, runs, 0.5), p99 = pct(t, runs, 0.99);
  printf(
      "    1y of %-3s %7zu rows: p50 %7.2f ms  p99 %7.2f ms  (%d runs; target p50 < %g ms: %s)\n",
      tf, rows, p50, p99, runs, target_ms, p50 < target_ms ? "met" : "NOT met");
  return 0;
}

static int reads(const char *name, const char *uri) {
  cq_store *s;
  cq_error e;
  if (cq_store_open(uri, &s, &e)) {
    fprintf(stderr, "bench_store: %s\n", e.msg);
    return -1;
  }
  int rc = fill_year(s, "ETH/USDT", "1h", CQ_NS_PER_HOUR, 8760) ||
           fill_year(s, "BTC/USDT", "1m", CQ_NS_PER_MIN, 525600);
  if (!rc) {
    printf("  %s (layout: %s), into a new cq_candles each run:\n", name, cq_store_layout(s));
    rc = time_reads(s, "ETH/USDT", "1h", 8760, RUNS_1H, 2) ||
         time_reads(s, "BTC/USDT", "1m", 525600, RUNS_1M, 100);
  }
  cq_store_close(s);
  return rc ? -1 : 0;
}

/* ---- PostgreSQL helpers ------------------------------------------------------------------ */

#ifdef CQ_HAVE_POSTGRES
static void quiet(void *arg, const char *msg) {
  (void)arg;
  (void)msg;
}

/* Runs SQL on the server of `admin` (CREATE/DROP DATABASE). */
static int pg_admin(const char *admin, const char *sql) {
  PGconn *c = PQconnectdb(admin);
  int ok = PQstatus(c) == CONNECTION_OK;
  if (ok) PQsetNoticeProcessor(c, quiet, NULL);
  if (ok) {
    PGresult *r = PQexec(c, sql);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
  }
  if (!ok) fprintf(stderr, "bench_store: %s: %s", sql, PQerrorMessage(c));
  PQfinish(c);
  return ok ? 0 : -1;
}

/* admin's URI with another database name. */
static void pg_uri(const char *admin, const char *db, char *buf, size_t n) {
  const char *sep = strstr(admin, "://");
  const char *slash = sep ? strchr(sep + 3, '/') : NULL;
  const char *query = strchr(admin, '?');
  int len = slash ? (int)(slash - admin) : query ? (int)(query - admin) : (int)strlen(admin);
  snprintf(buf, n, "%.*s/%s%s", len, admin, db, query ? query : "");
}

static int pg_part(const char *admin, const char *csv) {
  char uri[512], sql[256];
  double ours[IMPORT_REPS], base[IMPORT_REPS];
  int rc = 0;
  for (int i = 0; i < IMPORT_REPS && !rc; i++) {
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS cq_bench_import");
    if ((rc = pg_admin(admin, sql)) || (rc = pg_admin(admin, "CREATE DATABASE cq_bench_import")))
      break;
    pg_uri(admin, "cq_bench_import", uri, sizeof uri);
    ours[i] = import_ours(uri, csv);
    if (ours[i] < 0) rc = -1;
  }
  if (rc) {
    (void)pg_admin(admin, "DROP DATABASE IF EXISTS cq_bench_import");
    return rc;
  }
  /* psql \copy into a plain table (the baseline), and into one with a key (for reference) */
  static const char *const tables[2] = {
      "CREATE TABLE plain (open_time bigint, open float8, high float8, low float8,"
      " close float8, volume float8)",
      "CREATE TABLE plain (open_time bigint PRIMARY KEY, open float8 NOT NULL,"
      " high float8 NOT NULL, low float8 NOT NULL, close float8 NOT NULL,"
      " volume float8 NOT NULL)"};
  double med[2] = {-1, -1};
  for (int t = 0; t < 2 && !rc; t++) {
    for (int i = 0; i < IMPORT_REPS && !rc; i++) {
      if ((rc = pg_admin(admin, "DROP DATABASE IF EXISTS cq_bench_plain")) ||
          (rc = pg_admin(admin, "CREATE DATABASE cq_bench_plain")))
        break;
      pg_uri(admin, "cq_bench_plain", uri, sizeof uri);
      char *mk[] = {"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c", (char *)tables[t],
                    NULL};
      if (run_tool(mk, "", NULL, 0) < 0) {
        printf("  postgres: psql not found or failed; no baseline\n");
        t = 2;
        break;
      }
      char copy[1024];
      snprintf(copy, sizeof copy, "\\copy plain FROM '%s' WITH (FORMAT csv, HEADER)", csv);
      char *cp[] = {"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c", copy, NULL};
      base[i] = run_tool(cp, "", NULL, 0);
      char count[64] = "";
      char *cnt[] = {"psql", "-X", "-A", "-t", "-d", uri, "-c", "SELECT count(*) FROM plain", NULL};
      if (base[i] < 0 || run_tool(cnt, "", count, sizeof count) < 0 ||
          parse_count(count) != N_ROWS) {
        fprintf(stderr, "bench_store: psql \\copy failed or loaded %s rows\n", count);
        rc = -1;
      }
      if (i == IMPORT_REPS - 1) med[t] = median(base, IMPORT_REPS);
    }
  }
  if (!rc) {
    double o = median(ours, IMPORT_REPS);
    print_ours("postgres", o);
    print_base("psql \\copy, plain table", o, med[0]);
    print_base("psql \\copy, keyed table (ref.)", o, med[1]);
  }
  (void)pg_admin(admin, "DROP DATABASE IF EXISTS cq_bench_import");
  (void)pg_admin(admin, "DROP DATABASE IF EXISTS cq_bench_plain");
  return rc;
}

static int pg_reads(const char *admin) {
  char uri[512];
  if (pg_admin(admin, "DROP DATABASE IF EXISTS cq_bench_reads") ||
      pg_admin(admin, "CREATE DATABASE cq_bench_reads"))
    return -1;
  pg_uri(admin, "cq_bench_reads", uri, sizeof uri);
  int rc = reads("postgres", uri);
  (void)pg_admin(admin, "DROP DATABASE IF EXISTS cq_bench_reads");
  return rc;
}
#endif

/* ---- SQLite ------------------------------------------------------------------------------ */

static int sqlite_part(const char *dir, const char *csv) {
  char uri[700], db[600], cmd[1400];
  double ours[IMPORT_REPS], base[IMPORT_REPS];
  bool have_shell = true;
  for (int i = 0; i < IMPORT_REPS; i++) {
    snprintf(db, sizeof db, "%s/ours.db", dir);
    unlink(db);
    snprintf(cmd, sizeof cmd, "%s-wal", db);
    unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s-shm", db);
    unlink(cmd);
    snprintf(uri, sizeof uri, "sqlite:%s", db);
    if ((ours[i] = import_ours(uri, csv)) < 0) return -1;
  }
  /* the sqlite3 shell's .import into a plain table (the baseline), and into one with our
   * key (for reference) */
  static const char *const tables[2] = {
      "CREATE TABLE plain (open_time INTEGER, open REAL, high REAL, low REAL, close REAL,"
      " volume REAL);",
      "CREATE TABLE plain (open_time INTEGER PRIMARY KEY, open REAL NOT NULL,"
      " high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL, volume REAL NOT NULL)"
      " WITHOUT ROWID;"};
  double med[2] = {-1, -1};
  for (int t = 0; t < 2 && have_shell; t++) {
    for (int i = 0; i < IMPORT_REPS && have_shell; i++) {
      snprintf(db, sizeof db, "%s/plain.db", dir);
      unlink(db);
      snprintf(cmd, sizeof cmd, "%s\n.mode csv\n.import --skip 1 '%s' plain\n", tables[t], csv);
      char *argv[] = {"sqlite3", "-bail", db, NULL};
      base[i] = run_tool(argv, cmd, NULL, 0);
      char count[64] = "";
      char *cnt[] = {"sqlite3", db, "SELECT count(*) FROM plain", NULL};
      if (base[i] < 0 || run_tool(cnt, "", count, sizeof count) < 0) {
        printf("  sqlite: the sqlite3 shell is missing or failed; no baseline\n");
        have_shell = false;
      } else if (parse_count(count) != N_ROWS) {
        fprintf(stderr, "bench_store: sqlite3 .import loaded %s rows\n", count);
        return -1;
      }
      if (have_shell && i == IMPORT_REPS - 1) med[t] = median(base, IMPORT_REPS);
    }
  }
  double o = median(ours, IMPORT_REPS);
  print_ours("sqlite", o);
  print_base("sqlite3 .import, plain table", o, med[0]);
  print_base("sqlite3 .import, keyed (ref.)", o, med[1]);
  return 0;
}

int main(void) {
  char dir[] = "/tmp/cq_bench_store_XXXXXX";
  if (!mkdtemp(dir)) {
    fprintf(stderr, "bench_store: cannot make a temporary folder: %s\n", strerror(errno));
    return 1;
  }
  char csv[128], cmd[160];
  snprintf(csv, sizeof csv, "%s/candles.csv", dir);
  int rc = write_csv(csv);
  const char *pg = getenv("CQ_BENCH_PG");
  if (!rc) {
    printf("import of %d one-minute candles (CSV, median of %d):\n", N_ROWS, IMPORT_REPS);
    rc = sqlite_part(dir, csv);
  }
#ifdef CQ_HAVE_POSTGRES
  if (!rc && pg && *pg) rc = pg_part(pg, csv);
#endif
  if (!rc && !(pg && *pg))
    printf("  postgres: skipped (set CQ_BENCH_PG or run through with_postgres.sh)\n");
  if (!rc) {
    printf("range reads:\n");
    char uri[160];
    snprintf(uri, sizeof uri, "sqlite:%s/reads.db", dir);
    rc = reads("sqlite", uri);
  }
#ifdef CQ_HAVE_POSTGRES
  if (!rc && pg && *pg) rc = pg_reads(pg);
#else
  if (!rc && pg && *pg) printf("  postgres: this build has no PostgreSQL backend\n");
#endif
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "bench_store: could not remove %s\n", dir);
  return rc ? 1 : 0;
}
