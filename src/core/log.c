#include "cquant/core/log.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cquant/core/strutil.h"

struct cq_log {
  cq_log_opts o;
  FILE *file; /* opened from o.path, or NULL */
  FILE *out;
  cq_clock wall;
  const cq_clock *clock;
  pthread_mutex_t mu;
  char *secrets[CQ_LOG_MAX_SECRETS];
  size_t nsecrets;
};

static const char *const level_names[] = {"trace", "debug", "info", "warn", "error", "off"};

const char *cq_log_level_name(cq_log_level l) {
  return (unsigned)l <= CQ_LOG_OFF ? level_names[l] : "?";
}

int cq_log_level_parse(const char *s, cq_log_level *out, cq_error *err) {
  for (unsigned i = 0; i <= CQ_LOG_OFF; i++) {
    if (!strcasecmp(s, level_names[i])) {
      *out = (cq_log_level)i;
      return CQ_OK;
    }
  }
  if (!strcasecmp(s, "warning")) {
    *out = CQ_LOG_WARN;
    return CQ_OK;
  }
  return cq_error_set(err, CQ_EPARSE,
                      "log level \"%s\": expected trace, debug, info, warn, error or off", s);
}

int cq_log_new(const cq_log_opts *opts, cq_log **out, cq_error *err) {
  cq_log *log = calloc(1, sizeof *log);
  if (!log) return cq_error_set(err, CQ_ENOMEM, "creating the logger");
  log->o = *opts;
  if (opts->path) {
    log->file = fopen(opts->path, "a");
    if (!log->file) {
      int e = errno;
      free(log);
      return cq_error_set(err, CQ_EIO, "cannot open log file %s: %s", opts->path, strerror(e));
    }
    log->o.color = false;
  }
  log->o.path = NULL;
  log->out = log->file ? log->file : opts->sink ? opts->sink : stderr;
  cq_clock_wall_init(&log->wall);
  log->clock = opts->clock ? opts->clock : &log->wall;
  pthread_mutex_init(&log->mu, NULL);
  *out = log;
  return CQ_OK;
}

void cq_log_free(cq_log *log) {
  if (!log) return;
  for (size_t i = 0; i < log->nsecrets; i++) {
    memset(log->secrets[i], 0, strlen(log->secrets[i]));
    free(log->secrets[i]);
  }
  if (log->file) fclose(log->file);
  pthread_mutex_destroy(&log->mu);
  free(log);
}

void cq_log_set_level(cq_log *log, cq_log_level level) {
  log->o.level = level;
}

cq_log_level cq_log_get_level(const cq_log *log) {
  return log->o.level;
}

int cq_log_add_secret(cq_log *log, const char *secret, cq_error *err) {
  if (strlen(secret) < 4)
    return cq_error_set(err, CQ_EINVAL, "a secret shorter than 4 characters cannot be redacted");
  if (log->nsecrets == CQ_LOG_MAX_SECRETS)
    return cq_error_set(err, CQ_ELIMIT, "at most %d secrets can be registered",
                        CQ_LOG_MAX_SECRETS);
  char *copy = strdup(secret);
  if (!copy) return cq_error_set(err, CQ_ENOMEM, "registering a secret");
  pthread_mutex_lock(&log->mu);
  log->secrets[log->nsecrets++] = copy;
  pthread_mutex_unlock(&log->mu);
  return CQ_OK;
}

bool cq_log_enabled(const cq_log *log, cq_log_level level) {
  return log && level >= log->o.level && level < CQ_LOG_OFF;
}

/* ---- line building --------------------------------------------------------------------- */

/* The buffer keeps room for the truncation mark and the newline. */
typedef struct line {
  char buf[CQ_LOG_LINE_MAX];
  size_t len;
  bool cut;
} line;

static void put(line *l, const char *s, size_t n) {
  size_t room = sizeof l->buf - 2 - l->len;
  if (n > room) {
    n = room;
    l->cut = true;
  }
  memcpy(l->buf + l->len, s, n);
  l->len += n;
}

static void puts_(line *l, const char *s) {
  put(l, s, strlen(s));
}

static void printf_(line *l, const char *fmt, ...) CQ_PRINTF(2, 3);
static void printf_(line *l, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) put(l, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void put_json_str(line *l, const char *s) {
  put(l, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    char esc[8];
    switch (*p) {
      case '"': put(l, "\\\"", 2); break;
      case '\\': put(l, "\\\\", 2); break;
      case '\n': put(l, "\\n", 2); break;
      case '\r': put(l, "\\r", 2); break;
      case '\t': put(l, "\\t", 2); break;
      default:
        if (*p < 0x20) {
          snprintf(esc, sizeof esc, "\\u%04x", *p);
          put(l, esc, 6);
        } else {
          put(l, (const char *)p, 1);
        }
    }
  }
  put(l, "\"", 1);
}

/* Text values with spaces, quotes or '=' are quoted so key=value stays parseable. */
static void put_text_value(line *l, const char *s) {
  bool plain = *s != '\0';
  for (const char *p = s; *p && plain; p++)
    if (isspace((unsigned char)*p) || *p == '"' || *p == '=') plain = false;
  if (plain)
    puts_(l, s);
  else
    put_json_str(l, s);
}

static void put_field_value(line *l, const cq_field *f, bool json) {
  if (cq_key_is_secret(f->key)) {
    json ? put_json_str(l, "***") : puts_(l, "***");
    return;
  }
  switch (f->type) {
    case CQ_FIELD_STR:
      if (!f->v.s)
        puts_(l, "null");
      else if (json)
        put_json_str(l, f->v.s);
      else
        put_text_value(l, f->v.s);
      break;
    case CQ_FIELD_I64:
      printf_(l, "%lld", (long long)f->v.i);
      break;
    case CQ_FIELD_F64:
      if (isfinite(f->v.f))
        printf_(l, "%.17g", f->v.f);
      else
        json ? puts_(l, "null") : printf_(l, "%g", f->v.f);
      break;
    case CQ_FIELD_BOOL:
      puts_(l, f->v.b ? "true" : "false");
      break;
  }
}

/* Replaces every occurrence of needle with "***" in place. */
static void scrub(line *l, const char *needle) {
  size_t nl = strlen(needle);
  char *p = l->buf;
  while ((p = strstr(p, needle)) != NULL) {
    memmove(p + 3, p + nl, l->len - (size_t)(p - l->buf) - nl + 1);
    memcpy(p, "***", 3);
    l->len = l->len - nl + 3;
    p += 3;
  }
}

/* Masks the values of query-string style secrets ("signature=abc&", "apiKey=..."). */
static void mask_params(line *l) {
  static const char *const params[] = {"signature=", "apikey=", "api_key=", "token=",
                                       "password=", "secret=", "passphrase="};
  for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
    size_t pl = strlen(params[i]);
    char *p = l->buf;
    while ((p = (char *)cq_strcasestr(p, params[i])) != NULL) {
      char *v = p + pl;
      char *end = v;
      while (*end && *end != '&' && *end != ' ' && *end != '"' && *end != '\'' && *end != ',' &&
             *end != '\n')
        end++;
      if (end - v == 3 && !memcmp(v, "***", 3)) {
        p = end;
        continue;
      }
      size_t vlen = (size_t)(end - v);
      if (vlen < 3 && l->len + (3 - vlen) >= sizeof l->buf - 1) {
        /* no room to grow: cut the line here rather than let a secret through */
        memcpy(v, "***", 3);
        l->len = (size_t)(v - l->buf) + 3;
        l->buf[l->len] = '\0';
        l->cut = true;
        return;
      }
      memmove(v + 3, end, l->len - (size_t)(end - l->buf) + 1);
      memcpy(v, "***", 3);
      l->len = l->len - vlen + 3;
      p = v + 3;
    }
  }
}

static const char *const level_colors[] = {"\033[90m", "\033[36m", "\033[32m",
                                           "\033[33m", "\033[31m", ""};

void cq_log_write(cq_log *log, cq_log_level level, const char *msg, const cq_field *fields,
                  size_t nfields) {
  if (!cq_log_enabled(log, level)) return;
  line *l = malloc(sizeof *l);
  if (!l) return; /* nowhere to report it; dropping one line beats crashing */
  l->len = 0;
  l->cut = false;
  char ts[CQ_TIME_STRMAX];
  cq_time_format_iso(cq_clock_now(log->clock), 3, ts, sizeof ts);
  bool json = log->o.format == CQ_LOG_JSON;
  if (json) {
    printf_(l, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, level_names[level]);
    put_json_str(l, msg ? msg : "");
    for (size_t i = 0; i < nfields; i++) {
      put(l, ",", 1);
      put_json_str(l, fields[i].key);
      put(l, ":", 1);
      put_field_value(l, &fields[i], true);
    }
    put(l, "}", 1);
  } else {
    if (log->o.color)
      printf_(l, "%s %s%-5s\033[0m ", ts, level_colors[level], level_names[level]);
    else
      printf_(l, "%s %-5s ", ts, level_names[level]);
    puts_(l, msg ? msg : "");
    for (size_t i = 0; i < nfields; i++) {
      put(l, " ", 1);
      puts_(l, fields[i].key);
      put(l, "=", 1);
      put_field_value(l, &fields[i], false);
    }
  }
  l->buf[l->len] = '\0';
  pthread_mutex_lock(&log->mu);
  for (size_t i = 0; i < log->nsecrets; i++) scrub(l, log->secrets[i]);
  mask_params(l);
  if (l->cut) {
    static const char mark[] = "...[truncated]";
    size_t at = sizeof l->buf - sizeof mark - 1;
    if (l->len > at) l->len = at;
    memcpy(l->buf + l->len, mark, sizeof mark - 1);
    l->len += sizeof mark - 1;
    l->buf[l->len] = '\0';
  }
  if (log->o.redact) {
    log->o.redact(log->o.redact_ctx, l->buf, l->len);
    l->len = strlen(l->buf);
  }
  l->buf[l->len++] = '\n';
  fwrite(l->buf, 1, l->len, log->out);
  fflush(log->out);
  pthread_mutex_unlock(&log->mu);
  free(l);
}

void cq_logf(cq_log *log, cq_log_level level, const char *fmt, ...) {
  if (!cq_log_enabled(log, level)) return;
  char msg[CQ_LOG_LINE_MAX / 2];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cq_log_write(log, level, msg, NULL, 0);
}
