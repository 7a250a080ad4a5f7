/* Backend selection and the thin public wrappers over cq_store_ops. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/store.h"
#include "store_internal.h"

static const cq_store_ops *const backends[] = {
    &cq_store_sqlite_ops,
#ifdef CQ_HAVE_POSTGRES
    &cq_store_postgres_ops,
#endif
};

static const char *const backend_names[] = {
    "sqlite",
#ifdef CQ_HAVE_POSTGRES
    "postgres",
#endif
    NULL};

const char *const *cq_store_backends(void) {
  return backend_names;
}

static const cq_store_ops *backend_for(const char *uri) {
  if (!strncmp(uri, "sqlite:", 7)) return backends[0];
#ifdef CQ_HAVE_POSTGRES
  if (!strncmp(uri, "postgres://", 11) || !strncmp(uri, "postgresql://", 13))
    return &cq_store_postgres_ops;
#endif
  return NULL;
}

int cq_store_open(const char *uri, cq_store **out, cq_error *err) {
  if (!uri || !*uri) uri = CQ_STORE_DEFAULT_URI;
  const cq_store_ops *ops = backend_for(uri);
  if (!ops) {
#ifndef CQ_HAVE_POSTGRES
    if (!strncmp(uri, "postgres", 8))
      return cq_error_set(err, CQ_EUNSUPPORTED,
                          "store \"%s\": this build has no PostgreSQL backend", uri);
#endif
    return cq_error_set(err, CQ_EINVAL,
                        "store \"%s\": expected sqlite:PATH or postgres://user@host:port/db", uri);
  }
  return ops->open(uri, out, err);
}

void cq_store_close(cq_store *s) {
  if (s) s->ops->close(s);
}

const char *cq_store_backend(const cq_store *s) {
  return s->ops->name;
}

const char *cq_store_layout(const cq_store *s) {
  return s->ops->layout ? s->ops->layout(s) : "rows";
}

int cq_store_begin(cq_store *s, cq_error *err) {
  return s->ops->begin(s, err);
}

int cq_store_commit(cq_store *s, cq_error *err) {
  return s->ops->commit(s, err);
}

int cq_store_rollback(cq_store *s, cq_error *err) {
  return s->ops->rollback(s, err);
}

int cq_store_schema_version(cq_store *s, int *out, cq_error *err) {
  return s->ops->schema_version(s, out, err);
}

int cq_store_put_instruments(cq_store *s, const cq_instrument *ins, size_t n,
                             cq_write_report *rep, cq_error *err) {
  return s->ops->put_instruments(s, ins, n, rep, err);
}

int cq_store_get_instrument(cq_store *s, const char *venue, const char *symbol,
                            cq_instrument *out, cq_error *err) {
  return s->ops->get_instrument(s, venue, symbol, out, err);
}

int cq__store_check_aligned(const cq_series_key *key, const cq_candles *c, size_t first, size_t n,
                            cq_error *err) {
  if (first > c->len || n > c->len - first)
    return cq_error_set(err, CQ_EINVAL, "rows %zu..%zu are outside the %zu candles given", first,
                        first + n, c->len);
  for (size_t i = first; i < first + n; i++) {
    if (!cq_timeframe_is_aligned(key->tf, c->open_time[i])) {
      char t[CQ_TIME_STRMAX], tf[CQ_TF_STRMAX];
      cq_time_format_iso(c->open_time[i], 3, t, sizeof t);
      cq_timeframe_format(key->tf, tf, sizeof tf);
      return cq_error_set(err, CQ_EINVAL, "candle %zu opens at %s, not on the %s grid", i, t, tf);
    }
  }
  return CQ_OK;
}

int cq_store_put_candles(cq_store *s, const cq_series_key *key, const cq_candles *c, size_t first,
                         size_t n, cq_write_report *rep, cq_error *err) {
  int rc = cq__store_check_aligned(key, c, first, n, err);
  if (rc) return rc;
  return s->ops->put_candles(s, key, c, first, n, rep, err);
}

int cq_store_get_candles(cq_store *s, const cq_series_key *key, cq_time from, cq_time to,
                         cq_candles *out, cq_error *err) {
  return s->ops->get_candles(s, key, from, to, out, err);
}

int cq_store_list_series(cq_store *s, cq_series_info **out, size_t *n, cq_error *err) {
  return s->ops->list_series(s, out, n, err);
}

int cq_store_put_trades(cq_store *s, const char *venue, const char *symbol, const cq_trades *t,
                        cq_write_report *rep, cq_error *err) {
  return s->ops->put_trades(s, venue, symbol, t, rep, err);
}

int cq_store_get_trades(cq_store *s, const char *venue, const char *symbol, cq_time from,
                        cq_time to, cq_trades *out, cq_error *err) {
  return s->ops->get_trades(s, venue, symbol, from, to, out, err);
}

void cq__store_count_gaps(cq_timeframe tf, const cq_time *t, size_t n, uint64_t *missing,
                          uint64_t *gaps) {
  uint64_t m = 0, g = 0;
  for (size_t i = 1; i < n; i++) {
    cq_time expect = cq_timeframe_next(tf, t[i - 1]);
    if (t[i] <= expect) continue;
    g++;
    int64_t len = cq_timeframe_ns(tf);
    if (len) {
      m += (uint64_t)((t[i] - expect) / len);
    } else {
      for (cq_time x = expect; x < t[i]; x = cq_timeframe_next(tf, x)) m++;
    }
  }
  *missing = m;
  *gaps = g;
}

int cq_store_set_retention(cq_store *s, int64_t keep_ns, cq_error *err) {
  if (keep_ns < 0) return cq_error_set(err, CQ_EINVAL, "retention: a negative duration");
  if (!s->ops->set_retention)
    return cq_error_set(err, CQ_EUNSUPPORTED,
                        "%s store: retention policies need PostgreSQL with TimescaleDB",
                        s->ops->name);
  return s->ops->set_retention(s, keep_ns, err);
}

/* --- feature frames -------------------------------------------------------------------- */

/* Columns are stored as the bytes of the arrays: little-endian IEEE doubles and int64 times. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "feature frames are stored as little-endian arrays; add byte swapping for this host"
#endif

void cq_feature_frame_release(cq_feature_frame *f) {
  if (!f) return;
  if (f->values)
    for (int k = 0; k < f->n_features; k++) free(f->values[k]);
  free(f->values);
  free(f->names);
  free(f->time);
  free(f->definition);
  *f = (cq_feature_frame){0};
}

int cq_feature_frame_alloc(cq_feature_frame *f, size_t rows, int n_features, cq_error *err) {
  if (n_features < 0 || rows > SIZE_MAX / sizeof(double) / 2)
    return cq_error_set(err, CQ_EINVAL, "feature frame of %zu rows x %d features", rows,
                        n_features);
  size_t cells = rows ? rows : 1;
  f->rows = rows;
  f->n_features = n_features;
  f->names = calloc(n_features ? (size_t)n_features : 1, sizeof *f->names);
  f->time = calloc(cells, sizeof *f->time);
  f->values = calloc(n_features ? (size_t)n_features : 1, sizeof *f->values);
  bool ok = f->names && f->time && f->values;
  for (int k = 0; ok && k < n_features; k++) {
    if (!(f->values[k] = malloc(cells * sizeof(double)))) ok = false;
    else
      for (size_t i = 0; i < rows; i++) f->values[k][i] = NAN;
  }
  if (!ok) {
    cq_feature_frame_release(f);
    return cq_error_set(err, CQ_ENOMEM, "feature frame of %zu rows x %d features: out of memory",
                        rows, n_features);
  }
  return CQ_OK;
}

int cq_store_put_features(cq_store *s, const cq_feature_frame *f, cq_error *err) {
  if (!f->set[0] || !f->version[0])
    return cq_error_set(err, CQ_EINVAL, "a feature frame needs a set name and a version");
  if (f->n_features < 1)
    return cq_error_set(err, CQ_EINVAL, "feature set %s: no features to store", f->set);
  for (int k = 0; k < f->n_features; k++) {
    if (!f->names[k][0])
      return cq_error_set(err, CQ_EINVAL, "feature set %s: feature %d has no name", f->set, k + 1);
    for (int j = 0; j < k; j++)
      if (!strcmp(f->names[j], f->names[k]))
        return cq_error_set(err, CQ_EINVAL, "feature set %s: two features named %s", f->set,
                            f->names[k]);
  }
  for (size_t i = 1; i < f->rows; i++)
    if (f->time[i] <= f->time[i - 1])
      return cq_error_set(err, CQ_EINVAL, "feature set %s: times not increasing at row %zu",
                          f->set, i);
  return s->ops->put_features(s, f, err);
}

int cq_store_get_features(cq_store *s, const char *set, const char *version,
                          const cq_series_key *key, bool data, cq_feature_frame *out,
                          cq_error *err) {
  *out = (cq_feature_frame){0};
  int rc = s->ops->get_features(s, set, version && *version ? version : NULL, key, data, out, err);
  if (rc) cq_feature_frame_release(out);
  return rc;
}

int cq_store_list_features(cq_store *s, cq_feature_info **out, size_t *n, cq_error *err) {
  *out = NULL;
  *n = 0;
  return s->ops->list_features(s, out, n, err);
}

/* --- backtest runs ---------------------------------------------------------------------- */

void cq_run_release(cq_run *r) {
  if (!r) return;
  free(r->document);
  free(r->trades);
  free(r->time);
  free(r->equity);
  *r = (cq_run){0};
}

int cq_run_alloc(cq_run *r, size_t ntrades, size_t npoints, cq_error *err) {
  r->trades = calloc(ntrades ? ntrades : 1, sizeof *r->trades);
  r->time = calloc(npoints ? npoints : 1, sizeof *r->time);
  r->equity = calloc(npoints ? npoints : 1, sizeof *r->equity);
  if (!r->trades || !r->time || !r->equity) {
    free(r->trades);
    free(r->time);
    free(r->equity);
    r->trades = NULL;
    r->time = NULL;
    r->equity = NULL;
    return cq_error_set(err, CQ_ENOMEM, "backtest run of %zu trades and %zu equity points: out "
                        "of memory", ntrades, npoints);
  }
  r->ntrades = ntrades;
  r->npoints = npoints;
  return CQ_OK;
}

/* What every backend relies on; the database's own constraints (distinct seqs, non-empty
 * symbols) are left to it, so that a failing row undoes the whole put. */
static int check_run(const cq_run *r, cq_error *err) {
  const cq_run_info *x = &r->info;
  if (!x->strategy[0] || !x->engine[0])
    return cq_error_set(err, CQ_EINVAL, "a backtest run needs a strategy and an engine name");
  if (!memchr(x->strategy, 0, sizeof x->strategy) || !memchr(x->symbols, 0, sizeof x->symbols))
    return cq_error_set(err, CQ_EINVAL, "backtest run %s: a name is not terminated", x->strategy);
  if ((r->ntrades && !r->trades) || (r->npoints && (!r->time || !r->equity)))
    return cq_error_set(err, CQ_EINVAL, "backtest run %s: rows announced but not given",
                        x->strategy);
  for (size_t i = 1; i < r->npoints; i++)
    if (r->time[i] <= r->time[i - 1])
      return cq_error_set(err, CQ_EINVAL,
                          "backtest run %s: equity times not increasing at point %zu",
                          x->strategy, i);
  return CQ_OK;
}

int cq_store_put_run(cq_store *s, cq_run *run, cq_error *err) {
  int rc = check_run(run, err);
  if (rc) return rc;
  cq_run copy = *run; /* the id goes back to the caller only once all of it is stored */
  if ((rc = s->ops->put_run(s, &copy, err))) return rc;
  run->info.id = copy.info.id;
  return CQ_OK;
}

int cq_store_get_run(cq_store *s, int64_t id, bool data, cq_run *out, cq_error *err) {
  *out = (cq_run){0};
  int rc = s->ops->get_run(s, id, data, out, err);
  if (rc) cq_run_release(out);
  return rc;
}

int cq_store_list_runs(cq_store *s, cq_run_info **out, size_t *n, cq_error *err) {
  *out = NULL;
  *n = 0;
  return s->ops->list_runs(s, out, n, err);
}

int cq_store_delete_run(cq_store *s, int64_t id, cq_error *err) {
  return s->ops->delete_run(s, id, err);
}

/* --- optimization studies --------------------------------------------------------------- */

void cq_study_release(cq_study *st) {
  if (!st) return;
  free(st->spec);
  free(st->trials);
  free(st->pool);
  *st = (cq_study){0};
}

static int check_study(const cq_study_info *x, cq_error *err) {
  if (x->id < 0) return cq_error_set(err, CQ_EINVAL, "study %lld: not an id", (long long)x->id);
  if (!memchr(x->kind, 0, sizeof x->kind) || !memchr(x->strategy, 0, sizeof x->strategy) ||
      !memchr(x->sampler, 0, sizeof x->sampler) || !memchr(x->objective, 0, sizeof x->objective) ||
      !memchr(x->venue, 0, sizeof x->venue) || !memchr(x->symbols, 0, sizeof x->symbols) ||
      !memchr(x->timeframe, 0, sizeof x->timeframe) || !memchr(x->status, 0, sizeof x->status))
    return cq_error_set(err, CQ_EINVAL, "study %lld: a name is not terminated", (long long)x->id);
  if (!x->kind[0] || !x->strategy[0])
    return cq_error_set(err, CQ_EINVAL, "study %lld: a study needs a kind and a strategy name",
                        (long long)x->id);
  return CQ_OK;
}

int cq_store_put_study(cq_store *s, cq_study_info *info, const char *spec, cq_error *err) {
  int rc = check_study(info, err);
  if (rc) return rc;
  cq_study_info copy = *info; /* the id goes back to the caller only once it is stored */
  if ((rc = s->ops->put_study(s, &copy, spec, err))) return rc;
  if (!info->id) info->n_trials = 0;
  info->id = copy.id;
  return CQ_OK;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* What every backend relies on: trials well formed and their numbers distinct (a number
 * already stored is the backend's to find). */
static int check_trials(int64_t study, const cq_study_trial *t, size_t n, cq_error *err) {
  if (n && !t)
    return cq_error_set(err, CQ_EINVAL, "study %lld: %zu trials announced but not given",
                        (long long)study, n);
  bool increasing = true;
  for (size_t i = 0; i < n; i++) {
    const cq_study_trial *x = &t[i];
    if (x->number < 0)
      return cq_error_set(err, CQ_EINVAL, "study %lld: trial %zu has number %lld, below 0",
                          (long long)study, i, (long long)x->number);
    if (x->n_params < 0 || x->n_params > CQ_STUDY_MAX_PARAMS)
      return cq_error_set(err, CQ_EINVAL, "study %lld: trial %lld has %d parameters (0..%d)",
                          (long long)study, (long long)x->number, x->n_params, CQ_STUDY_MAX_PARAMS);
    if (x->n_values > CQ_STUDY_MAX_VALUES)
      return cq_error_set(err, CQ_EINVAL, "study %lld: trial %lld has %zu values (at most %d)",
                          (long long)study, (long long)x->number, x->n_values, CQ_STUDY_MAX_VALUES);
    if (x->n_values && !x->values)
      return cq_error_set(err, CQ_EINVAL, "study %lld: trial %lld: values announced but not given",
                          (long long)study, (long long)x->number);
    if (i && x->number <= t[i - 1].number) increasing = false;
  }
  if (increasing) return CQ_OK; /* the usual case: appended in order */
  int64_t *num = malloc(n * sizeof *num);
  if (!num)
    return cq_error_set(err, CQ_ENOMEM, "study %lld: checking %zu trial numbers: out of memory",
                        (long long)study, n);
  for (size_t i = 0; i < n; i++) num[i] = t[i].number;
  qsort(num, n, sizeof *num, cmp_i64);
  int rc = CQ_OK;
  for (size_t i = 1; i < n && !rc; i++)
    if (num[i] == num[i - 1])
      rc = cq_error_set(err, CQ_EEXIST, "study %lld: trial %lld is given twice", (long long)study,
                        (long long)num[i]);
  free(num);
  return rc;
}

int cq_store_put_trials(cq_store *s, int64_t study, const cq_study_trial *t, size_t n,
                        cq_error *err) {
  int rc = check_trials(study, t, n, err);
  if (rc) return rc;
  return s->ops->put_trials(s, study, t, n, err);
}

int cq_store_get_study(cq_store *s, int64_t id, bool trials, cq_study *out, cq_error *err) {
  *out = (cq_study){0};
  int rc = s->ops->get_study(s, id, trials, out, err);
  if (rc) cq_study_release(out);
  return rc;
}

int cq_store_list_studies(cq_store *s, cq_study_info **out, size_t *n, cq_error *err) {
  *out = NULL;
  *n = 0;
  return s->ops->list_studies(s, out, n, err);
}

int cq_store_delete_study(cq_store *s, int64_t id, cq_error *err) {
  return s->ops->delete_study(s, id, err);
}

int cq_store_series_bounds(cq_store *s, const cq_series_key *key, cq_time from, cq_time to,
                           cq_time *first, cq_time *last, cq_error *err) {
  *first = *last = 0;
  if (from >= to) return CQ_ENOTFOUND;
  return s->ops->series_bounds(s, key, from, to, first, last, err);
}

int cq_store_put_gaps(cq_store *s, const cq_series_key *key, const cq_gap *g, size_t n,
                      cq_error *err) {
  for (size_t i = 0; i < n; i++) {
    char a[40], b[40];
    if (g[i].from >= g[i].to || cq_timeframe_floor(key->tf, g[i].from) != g[i].from ||
        cq_timeframe_floor(key->tf, g[i].to) != g[i].to) {
      cq_time_format_iso(g[i].from, 0, a, sizeof a);
      cq_time_format_iso(g[i].to, 0, b, sizeof b);
      return cq_error_set(err, CQ_EINVAL,
                          "gap %zu of %s %s: [%s, %s) is empty or not on the timeframe's grid", i,
                          key->venue, key->symbol, a, b);
    }
  }
  if (!n) return CQ_OK;
  return s->ops->put_gaps(s, key, g, n, err);
}

int cq_store_get_gaps(cq_store *s, const cq_series_key *key, cq_time from, cq_time to,
                      cq_gap **out, size_t *n, cq_error *err) {
  *out = NULL;
  *n = 0;
  if (from >= to) return CQ_OK;
  return s->ops->get_gaps(s, key, from, to, out, n, err);
}

/* --- stream consumer offsets ------------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at p (1..4, at most left), 0 when there is none:
 * no overlong forms, no surrogates, nothing above U+10FFFF (what PostgreSQL takes as text). */
static size_t utf8_seq(const unsigned char *p, size_t left) {
  unsigned c = p[0];
  if (c < 0x80) return 1;
  size_t n = c >= 0xC2 && c <= 0xDF   ? 2
             : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4
                                      : 0;
  if (!n || n > left) return 0;
  unsigned lo = 0x80, hi = 0xBF; /* the range of the second byte */
  if (c == 0xE0) lo = 0xA0;
  if (c == 0xED) hi = 0x9F;
  if (c == 0xF0) lo = 0x90;
  if (c == 0xF4) hi = 0x8F;
  if (p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < n; i++)
    if (p[i] < 0x80 || p[i] > 0xBF) return 0;
  return n;
}

/* A consumer or topic name: 1..max-1 bytes of UTF-8 without control characters. `what`
 * says which name it is ("consumer", "topic 3 of consumer x"). */
static int check_name(const char *what, const char *name, size_t max, cq_error *err) {
  if (!name || !*name) return cq_error_set(err, CQ_EINVAL, "stream offsets: %s: empty name", what);
  size_t len = strnlen(name, max);
  if (len == max)
    return cq_error_set(err, CQ_EINVAL, "stream offsets: %s: name is longer than %zu bytes", what,
                        max - 1);
  for (size_t i = 0; i < len;) {
    const unsigned char *p = (const unsigned char *)name + i;
    size_t k = utf8_seq(p, len - i);
    if (!k || *p < 0x20 || *p == 0x7F)
      return cq_error_set(err, CQ_EINVAL, "stream offsets: %s: name has %s at byte %zu", what,
                          k ? "a control character" : "a byte that is not UTF-8", i);
    i += k;
  }
  return CQ_OK;
}

static int cmp_topic(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int check_offsets(const char *consumer, const cq_stream_offset *o, size_t n, cq_error *err) {
  int rc = check_name("consumer", consumer, CQ_STORE_CONSUMER_MAX, err);
  if (rc) return rc;
  if (n && !o)
    return cq_error_set(err, CQ_EINVAL, "stream offsets of %s: %zu announced but not given",
                        consumer, n);
  for (size_t i = 0; i < n; i++) {
    char what[64 + CQ_STORE_CONSUMER_MAX];
    snprintf(what, sizeof what, "topic %zu of consumer %s", i, consumer);
    if ((rc = check_name(what, o[i].topic, sizeof o[i].topic, err))) return rc;
  }
  if (n < 2) return CQ_OK;
  /* a topic twice would be two writes of one row: refused the same way by every backend */
  const char **t = malloc(n * sizeof *t);
  if (!t)
    return cq_error_set(err, CQ_ENOMEM, "stream offsets of %s: checking %zu topics: out of memory",
                        consumer, n);
  for (size_t i = 0; i < n; i++) t[i] = o[i].topic;
  qsort(t, n, sizeof *t, cmp_topic);
  for (size_t i = 1; i < n && !rc; i++)
    if (!strcmp(t[i], t[i - 1]))
      rc = cq_error_set(err, CQ_EINVAL, "stream offsets of %s: topic %s is given twice", consumer,
                        t[i]);
  free(t);
  return rc;
}

int cq_store_put_offsets(cq_store *s, const char *consumer, const cq_stream_offset *o, size_t n,
                         cq_error *err) {
  int rc = check_offsets(consumer, o, n, err);
  if (rc || !n) return rc;
  cq_clock wall;
  cq_clock_wall_init(&wall);
  return s->ops->put_offsets(s, consumer, o, n, cq_clock_now(&wall), err);
}

int cq_store_get_offsets(cq_store *s, const char *consumer, cq_stream_offset **out, size_t *n,
                         cq_error *err) {
  *out = NULL;
  *n = 0;
  int rc = check_name("consumer", consumer, CQ_STORE_CONSUMER_MAX, err);
  if (rc) return rc;
  if ((rc = s->ops->get_offsets(s, consumer, out, n, err))) {
    free(*out);
    *out = NULL;
    *n = 0;
    return rc;
  }
  if (!*n) {
    free(*out); /* a backend may hand back an empty allocation */
    *out = NULL;
  }
  return CQ_OK;
}
