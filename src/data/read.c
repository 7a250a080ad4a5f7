/* Candle file readers: our CSV, Binance public-data kline CSV, Binance REST kline JSON. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cquant/data.h"

static const char *const format_names[] = {"auto", "csv", "binance-csv", "binance-json"};

const char *cq_candle_format_name(cq_candle_format f) {
  return (unsigned)f < 4 ? format_names[f] : "unknown";
}

void cq_read_report_release(cq_read_report *r) {
  free(r->listed);
  r->listed = NULL;
  r->nlisted = 0;
}

/* State shared by the readers while they go through one input. */
typedef struct reader {
  const char *name;
  const cq_read_opts *o;
  cq_candles *out;
  cq_read_report *rep;
  size_t max_listed;
  cq_time prev_time;
  bool have_prev;
} reader;

/* Records a bad row: an error when not skipping; listed and counted when skipping.
 * `e` holds the message and column. Returns 0 to go on, or the error code to stop. */
static int bad_row(reader *r, uint64_t line, cq_error *e, cq_error *err) {
  if (!r->o->skip_bad) {
    if (err) {
      *err = *e;
      cq_error_at(err, r->name, (int)line, e->column);
    }
    return e->code;
  }
  r->rep->bad++;
  if (r->rep->nlisted < r->max_listed) {
    if (!r->rep->listed) {
      r->rep->listed = calloc(r->max_listed, sizeof *r->rep->listed);
      if (!r->rep->listed) return cq_error_set(err, CQ_ENOMEM, "listing bad rows");
    }
    cq_bad_row *b = &r->rep->listed[r->rep->nlisted++];
    b->line = line;
    b->column = e->column;
    char full[CQ_ERROR_MSG_MAX + CQ_ERROR_FIELD_MAX + 4];
    snprintf(full, sizeof full, "%s%s%s", e->field, e->field[0] ? ": " : "", e->msg);
    size_t n = strnlen(full, sizeof b->msg - 1);
    memcpy(b->msg, full, n);
    b->msg[n] = '\0';
  }
  return CQ_OK;
}

/* Parses one decimal field into a double: exact decimal parse, then one correctly rounded
 * division (the mantissa fits 53 bits for every venue string we see; strtod otherwise). */
static int field_number(const char *f, size_t len, const char *what, double *out, cq_error *e) {
  cq_dec d;
  int rc = cq_dec_parse(f, len, &d, e);
  if (rc == CQ_OK && (d.m < (INT64_C(1) << 53) && d.m > -(INT64_C(1) << 53))) {
    *out = cq_dec_to_double(d);
    return CQ_OK;
  }
  if (rc == CQ_OK || rc == CQ_EOVERFLOW || rc == CQ_EINEXACT) {
    char tmp[64];
    if (len < sizeof tmp) {
      memcpy(tmp, f, len);
      tmp[len] = '\0';
      char *end;
      double v = strtod(tmp, &end);
      if (end == tmp + len && isfinite(v)) {
        *out = v;
        return CQ_OK;
      }
    }
  }
  cq_error_set(e, CQ_EPARSE, "expected a decimal number, got \"%.*s\"", (int)(len > 40 ? 40 : len),
               f);
  cq_error_field(e, what);
  return CQ_EPARSE;
}

static int field_int(const char *f, size_t len, const char *what, int64_t *out, cq_error *e) {
  int64_t v = 0;
  size_t i = 0;
  bool neg = len > 0 && f[0] == '-';
  if (neg) i = 1;
  if (i == len) goto bad;
  for (; i < len; i++) {
    if (f[i] < '0' || f[i] > '9') goto bad;
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, f[i] - '0', &v)) goto bad;
  }
  *out = neg ? -v : v;
  return CQ_OK;
bad:
  cq_error_set(e, CQ_EPARSE, "expected an integer, got \"%.*s\"", (int)(len > 40 ? 40 : len), f);
  cq_error_field(e, what);
  return CQ_EPARSE;
}

/* Checks a parsed candle and appends it. 0, or an error in e (with its column). */
static int accept(reader *r, const cq_candle *k, int time_col, cq_error *e) {
  char t[CQ_TIME_STRMAX];
  if (r->o->lenient) {
    int rc = cq_candles_push(r->out, k);
    if (rc) return cq_error_set(e, rc, "storing the candle: %s", cq_strerror(rc));
    r->rep->rows++;
    return CQ_OK;
  }
  if (!cq_timeframe_is_aligned(r->o->tf, k->open_time)) {
    char tf[CQ_TF_STRMAX];
    cq_time_format_iso(k->open_time, 3, t, sizeof t);
    cq_timeframe_format(r->o->tf, tf, sizeof tf);
    cq_error_set(e, CQ_EINVAL, "open time %s is not on the %s grid", t, tf);
    cq_error_field(e, "open_time");
    e->column = time_col;
    return CQ_EINVAL;
  }
  const char *bad = NULL;
  if (!(k->open > 0) || !(k->high > 0) || !(k->low > 0) || !(k->close > 0) ||
      !isfinite(k->open) || !isfinite(k->high) || !isfinite(k->low) || !isfinite(k->close))
    bad = "prices must be positive";
  else if (!(k->volume >= 0) || !isfinite(k->volume))
    bad = "volume must be zero or more";
  else if (k->high < k->low || k->high < k->open || k->high < k->close)
    bad = "high must be at least open, close and low";
  else if (k->low > k->open || k->low > k->close)
    bad = "low must be at most open and close";
  if (bad) {
    cq_error_set(e, CQ_EINVAL, "%s (open %.17g high %.17g low %.17g close %.17g volume %.17g)",
                 bad, k->open, k->high, k->low, k->close, k->volume);
    e->column = 1;
    return CQ_EINVAL;
  }
  if (r->have_prev && k->open_time <= r->prev_time) {
    size_t last = r->out->len - 1;
    if (k->open_time == r->prev_time) {
      cq_candle p;
      cq_candles_get(r->out, last, &p);
      bool same = p.open == k->open && p.high == k->high && p.low == k->low &&
                  p.close == k->close && p.volume == k->volume &&
                  (p.quote_volume == k->quote_volume ||
                   (isnan(p.quote_volume) && isnan(k->quote_volume))) &&
                  p.trades == k->trades;
      if (same) {
        r->rep->duplicates++;
        return CQ_OK;
      }
      cq_time_format_iso(k->open_time, 3, t, sizeof t);
      cq_error_set(e, CQ_EINVAL, "open time %s repeats the row before with other values", t);
    } else {
      cq_time_format_iso(k->open_time, 3, t, sizeof t);
      cq_error_set(e, CQ_EINVAL, "open time %s is earlier than the row before (rows must be in time order)", t);
    }
    cq_error_field(e, "open_time");
    e->column = time_col;
    return CQ_EINVAL;
  }
  int rc = cq_candles_push(r->out, k);
  if (rc) return cq_error_set(e, rc, "storing the candle: %s", cq_strerror(rc));
  r->prev_time = k->open_time;
  r->have_prev = true;
  r->rep->rows++;
  return CQ_OK;
}

/* ---- CSV ----------------------------------------------------------------------------- */

enum { MAX_FIELDS = 16 };

typedef struct fields {
  const char *p[MAX_FIELDS];
  size_t len[MAX_FIELDS];
  int col[MAX_FIELDS]; /* 1-based column of each field */
  int n;
} fields;

static void split(const char *line, size_t len, fields *f) {
  f->n = 0;
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i == len || line[i] == ',') {
      if (f->n < MAX_FIELDS) {
        size_t a = start, b = i;
        while (a < b && (line[a] == ' ' || line[a] == '\t')) a++;
        while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t')) b--;
        if (b - a >= 2 && line[a] == '"' && line[b - 1] == '"') {
          a++;
          b--;
        }
        f->p[f->n] = line + a;
        f->len[f->n] = b - a;
        f->col[f->n] = (int)a + 1;
      }
      f->n++;
      start = i + 1;
    }
  }
}

static bool has_letter(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (isalpha((unsigned char)s[i]) && s[i] != 'e' && s[i] != 'E') return true;
  return false;
}

static const char *const csv_names[] = {"open_time", "open", "high", "low", "close", "volume"};
static const char *const binance_names[] = {"open_time", "open", "high", "low", "close", "volume",
                                            "close_time", "quote_volume", "trades",
                                            "taker_buy_volume", "taker_buy_quote_volume",
                                            "ignore"};

/* One data row of either CSV flavour into k; 0 or an error in e. */
static int parse_csv_row(reader *r, const fields *f, cq_candle_format fmt, cq_candle *k,
                         cq_error *e) {
  int want = fmt == CQ_FMT_CSV ? 6 : 12;
  if (f->n != want) {
    cq_error_set(e, CQ_EPARSE, "expected %d comma-separated columns (%s), got %d", want,
                 fmt == CQ_FMT_CSV ? "open_time_ms,open,high,low,close,volume"
                                   : "Binance kline CSV",
                 f->n);
    e->column = 1;
    return CQ_EPARSE;
  }
  const char *const *names = fmt == CQ_FMT_CSV ? csv_names : binance_names;
  int64_t t;
  int rc;
  if ((rc = field_int(f->p[0], f->len[0], names[0], &t, e))) goto at;
  if (fmt == CQ_FMT_BINANCE_CSV && t >= INT64_C(1000000000000000)) {
    r->rep->micros = true;
    k->open_time = t * CQ_NS_PER_US;
  } else {
    if (t > INT64_MAX / CQ_NS_PER_MS || t < INT64_MIN / CQ_NS_PER_MS) {
      rc = cq_error_set(e, CQ_EPARSE, "open time %lld ms is out of range", (long long)t);
      cq_error_field(e, names[0]);
      goto at0;
    }
    k->open_time = t * CQ_NS_PER_MS;
  }
  double *dst[5] = {&k->open, &k->high, &k->low, &k->close, &k->volume};
  for (int i = 1; i <= 5; i++) {
    if ((rc = field_number(f->p[i], f->len[i], names[i], dst[i - 1], e))) {
      e->column = f->col[i];
      return rc;
    }
  }
  k->quote_volume = NAN;
  k->trades = -1;
  k->closed = true;
  if (fmt == CQ_FMT_BINANCE_CSV) {
    if ((rc = field_number(f->p[7], f->len[7], names[7], &k->quote_volume, e))) {
      e->column = f->col[7];
      return rc;
    }
    if ((rc = field_int(f->p[8], f->len[8], names[8], &k->trades, e))) {
      e->column = f->col[8];
      return rc;
    }
  }
  return CQ_OK;
at:
  e->column = f->col[0];
  return rc;
at0:
  e->column = f->col[0];
  return rc;
}

static int read_csv(reader *r, const char *buf, size_t len, cq_candle_format fmt, cq_error *err) {
  size_t pos = 0;
  uint64_t line = 0;
  bool first = true;
  fields f;
  cq_error e;
  uint64_t since_progress = 0;
  if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) pos = 3; /* UTF-8 byte order mark */
  while (pos < len) {
    const char *start = buf + pos;
    const char *nl = memchr(start, '\n', len - pos);
    size_t ll = nl ? (size_t)(nl - start) : len - pos;
    pos += ll + (nl ? 1 : 0);
    line++;
    if (ll && start[ll - 1] == '\r') ll--;
    size_t blank = 0;
    while (blank < ll && isspace((unsigned char)start[blank])) blank++;
    if (blank == ll) continue; /* empty line */
    split(start, ll, &f);
    if (first) {
      first = false;
      if (has_letter(start, ll)) {
        /* a header: check it names what we expect */
        if (fmt == CQ_FMT_AUTO) fmt = f.n == 12 ? CQ_FMT_BINANCE_CSV : CQ_FMT_CSV;
        int want = fmt == CQ_FMT_CSV ? 6 : 12;
        if (f.n != want) {
          cq_error_set(&e, CQ_EPARSE,
                       "header has %d columns; expected %s", f.n,
                       fmt == CQ_FMT_CSV ? "open_time_ms,open,high,low,close,volume"
                                         : "the 12 columns of a Binance kline CSV");
          e.column = 1;
          if (err) *err = e;
          cq_error_at(err, r->name, (int)line, 1);
          return CQ_EPARSE;
        }
        r->rep->format = fmt;
        continue;
      }
      if (fmt == CQ_FMT_AUTO) {
        if (f.n == 6)
          fmt = CQ_FMT_CSV;
        else if (f.n == 12)
          fmt = CQ_FMT_BINANCE_CSV;
        else {
          cq_error_set(err, CQ_EPARSE,
                       "cannot tell the format: %d columns (expected 6 for "
                       "open_time_ms,open,high,low,close,volume or 12 for a Binance kline CSV)",
                       f.n);
          cq_error_at(err, r->name, (int)line, 1);
          return CQ_EPARSE;
        }
      }
      r->rep->format = fmt;
    }
    cq_candle k;
    int rc = parse_csv_row(r, &f, fmt, &k, &e);
    if (rc == CQ_OK) rc = accept(r, &k, f.col[0], &e);
    if (rc && (rc = bad_row(r, line, &e, err))) return rc;
    if (r->o->progress && ++since_progress == 65536) {
      since_progress = 0;
      cq_progress_set(r->o->progress, pos);
    }
  }
  if (first) r->rep->format = fmt == CQ_FMT_AUTO ? CQ_FMT_CSV : fmt;
  return CQ_OK;
}

/* ---- Binance REST JSON --------------------------------------------------------------- */

static int json_number_field(json_t *v, const char *what, double *out, cq_error *e) {
  if (json_is_string(v)) return field_number(json_string_value(v), json_string_length(v), what, out, e);
  if (json_is_number(v)) {
    *out = json_number_value(v);
    return CQ_OK;
  }
  cq_error_set(e, CQ_EPARSE, "expected a decimal string");
  cq_error_field(e, what);
  return CQ_EPARSE;
}

static int read_binance_json(reader *r, const char *buf, size_t len, cq_error *err) {
  json_error_t je;
  json_t *root = json_loadb(buf, len, JSON_DECODE_INT_AS_REAL * 0, &je);
  if (!root) {
    cq_error_set(err, CQ_EPARSE, "invalid JSON: %s", je.text);
    cq_error_at(err, r->name, je.line, je.column);
    return CQ_EPARSE;
  }
  int rc = CQ_OK;
  if (!json_is_array(root)) {
    rc = cq_error_set(err, CQ_EPARSE,
                      "expected a JSON array of klines ([[open_time, \"open\", ...], ...])");
    cq_error_at(err, r->name, 1, 1);
    goto done;
  }
  r->rep->format = CQ_FMT_BINANCE_JSON;
  size_t i;
  json_t *row;
  json_array_foreach(root, i, row) {
    cq_error e;
    cq_error_clear(&e);
    char where[32];
    snprintf(where, sizeof where, "[%zu]", i);
    cq_candle k = {.quote_volume = NAN, .trades = -1, .closed = true};
    int r2 = CQ_OK;
    if (!json_is_array(row) || json_array_size(row) < 6) {
      r2 = cq_error_set(&e, CQ_EPARSE, "kline %zu: expected an array of 12 values", i);
    } else if (!json_is_integer(json_array_get(row, 0))) {
      r2 = cq_error_set(&e, CQ_EPARSE, "kline %zu: open time must be an integer (ms)", i);
    } else {
      json_int_t t = json_integer_value(json_array_get(row, 0));
      k.open_time = (cq_time)t * CQ_NS_PER_MS;
      double *dst[5] = {&k.open, &k.high, &k.low, &k.close, &k.volume};
      for (size_t j = 1; j <= 5 && !r2; j++)
        r2 = json_number_field(json_array_get(row, j), binance_names[j], dst[j - 1], &e);
      if (!r2 && json_array_size(row) > 7)
        r2 = json_number_field(json_array_get(row, 7), binance_names[7], &k.quote_volume, &e);
      if (!r2 && json_array_size(row) > 8) {
        json_t *n = json_array_get(row, 8);
        if (json_is_integer(n))
          k.trades = json_integer_value(n);
        else
          r2 = cq_error_set(&e, CQ_EPARSE, "kline %zu: trade count must be an integer", i);
      }
      if (r2 && e.field[0] && !strstr(e.msg, "kline")) cq_error_prefix(&e, "kline %zu: ", i);
    }
    if (!r2) r2 = accept(r, &k, 0, &e);
    if (r2) {
      e.column = 0;
      cq_error_field(&e, where);
      if ((rc = bad_row(r, (uint64_t)i + 1, &e, err))) {
        if (err) err->line = 0; /* JSON: the element index is in the field */
        goto done;
      }
    }
  }
done:
  json_decref(root);
  return rc;
}

/* ---- entry points -------------------------------------------------------------------- */

int cq_read_candles_buf(const char *name, const char *buf, size_t len, const cq_read_opts *opts,
                        cq_candles *out, cq_read_report *rep, cq_error *err) {
  reader r = {.name = name, .o = opts, .out = out, .rep = rep,
              .max_listed = opts->max_listed ? opts->max_listed : 100};
  memset(rep, 0, sizeof *rep);
  size_t keep = out->len;
  if (keep) {
    r.prev_time = out->open_time[keep - 1];
    r.have_prev = true;
  }
  cq_candle_format fmt = opts->format;
  if (fmt == CQ_FMT_AUTO) {
    size_t i = 0;
    if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) i = 3;
    while (i < len && isspace((unsigned char)buf[i])) i++;
    if (i < len && buf[i] == '[') fmt = CQ_FMT_BINANCE_JSON;
  }
  int rc = fmt == CQ_FMT_BINANCE_JSON ? read_binance_json(&r, buf, len, err)
                                      : read_csv(&r, buf, len, fmt, err);
  if (rc) {
    out->len = keep; /* nothing half-read */
    cq_read_report_release(rep);
  } else if (opts->progress) {
    cq_progress_set(opts->progress, len);
  }
  return rc;
}

int cq_read_candles_file(const char *path, const cq_read_opts *opts, cq_candles *out,
                         cq_read_report *rep, cq_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return cq_error_set(err, CQ_EIO, "cannot open %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return cq_error_set(err, CQ_EIO, "%s is not a regular file", path);
  }
  size_t len = (size_t)st.st_size;
  const char *buf = "";
  void *map = NULL;
  if (len) {
    map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      close(fd);
      return cq_error_set(err, CQ_EIO, "cannot read %s: %s", path, strerror(errno));
    }
    madvise(map, len, MADV_SEQUENTIAL);
    buf = map;
  }
  close(fd);
  int rc = cq_read_candles_buf(path, buf, len, opts, out, rep, err);
  if (map) munmap(map, len);
  return rc;
}
