/* Structured logging: levels, human text or JSON lines, to a FILE * or a file, with
 * redaction so API keys, secrets and tokens never reach a log line.
 *
 * The logger is a handle (no global state). Lines are built in a fixed buffer and written
 * with one fwrite under a mutex, so lines from threads never interleave; a line longer than
 * CQ_LOG_LINE_MAX is cut and marked "…[truncated]".
 */
#ifndef CQUANT_CORE_LOG_H
#define CQUANT_CORE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cquant/core/error.h"
#include "cquant/core/time.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cq_log_level {
  CQ_LOG_TRACE = 0,
  CQ_LOG_DEBUG,
  CQ_LOG_INFO,
  CQ_LOG_WARN,
  CQ_LOG_ERROR,
  CQ_LOG_OFF
} cq_log_level;

typedef enum cq_log_format { CQ_LOG_TEXT = 0, CQ_LOG_JSON } cq_log_format;

enum { CQ_LOG_LINE_MAX = 8192, CQ_LOG_MAX_SECRETS = 64 };

const char *cq_log_level_name(cq_log_level l);
/* "trace", "debug", "info", "warn" (or "warning"), "error", "off"; CQ_EPARSE otherwise. */
CQ_NODISCARD int cq_log_level_parse(const char *s, cq_log_level *out, cq_error *err);

typedef enum cq_field_type { CQ_FIELD_STR, CQ_FIELD_I64, CQ_FIELD_F64, CQ_FIELD_BOOL } cq_field_type;

/* A key and a value. Keys that look secret (secret, password, token, api_key, signature,
 * passphrase, private_key, authorization, cookie...) always print as "***". */
typedef struct cq_field {
  const char *key;
  cq_field_type type;
  union {
    const char *s;
    int64_t i;
    double f;
    bool b;
  } v;
} cq_field;

#define CQ_F_STR(k, x) ((cq_field){.key = (k), .type = CQ_FIELD_STR, .v.s = (x)})
#define CQ_F_I64(k, x) ((cq_field){.key = (k), .type = CQ_FIELD_I64, .v.i = (int64_t)(x)})
#define CQ_F_F64(k, x) ((cq_field){.key = (k), .type = CQ_FIELD_F64, .v.f = (double)(x)})
#define CQ_F_BOOL(k, x) ((cq_field){.key = (k), .type = CQ_FIELD_BOOL, .v.b = (x)})

typedef struct cq_log_opts {
  cq_log_level level;
  cq_log_format format;
  FILE *sink;          /* where to write (not closed by the logger); used when path is NULL */
  const char *path;    /* a file to append to (opened and closed by the logger) */
  bool color;          /* ANSI colours in text lines; the caller decides (terminal, NO_COLOR) */
  const cq_clock *clock; /* timestamps; NULL: the wall clock */
  /* Last-chance hook over the finished line (NUL-terminated, len bytes) before writing. */
  void (*redact)(void *ctx, char *line, size_t len);
  void *redact_ctx;
} cq_log_opts;

typedef struct cq_log cq_log;

CQ_NODISCARD int cq_log_new(const cq_log_opts *opts, cq_log **out, cq_error *err);
void cq_log_free(cq_log *log);
void cq_log_set_level(cq_log *log, cq_log_level level);
cq_log_level cq_log_get_level(const cq_log *log);

/* Registers a secret value (copied) that is replaced by "***" wherever it appears in a
 * line. CQ_EINVAL for values shorter than 4 characters (they would scrub ordinary text),
 * CQ_ELIMIT past CQ_LOG_MAX_SECRETS. */
CQ_NODISCARD int cq_log_add_secret(cq_log *log, const char *secret, cq_error *err);

/* True when a line of this level would be written: check before costly formatting. */
bool cq_log_enabled(const cq_log *log, cq_log_level level);

void cq_log_write(cq_log *log, cq_log_level level, const char *msg, const cq_field *fields,
                  size_t nfields);
void cq_logf(cq_log *log, cq_log_level level, const char *fmt, ...) CQ_PRINTF(3, 4);

/* CQ_LOG(log, CQ_LOG_INFO, "order sent", CQ_F_STR("symbol", s), CQ_F_I64("qty", q)):
 * at least one field; for none, use cq_logf. Fields are not evaluated when the level is
 * off. */
#define CQ_LOG(log, level, msg, ...)                                         \
  do {                                                                       \
    if (cq_log_enabled((log), (level))) {                                    \
      const cq_field cq__f[] = {__VA_ARGS__};                                \
      cq_log_write((log), (level), (msg), cq__f, sizeof cq__f / sizeof cq__f[0]); \
    }                                                                        \
  } while (0)

#ifdef __cplusplus
}
#endif
#endif
