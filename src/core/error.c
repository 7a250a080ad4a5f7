#include "cquant/core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *cq_strerror(int code) {
  switch (code) {
#define CQ__ERR_MSG(name, value, msg) \
  case value:                         \
    return msg;
    CQ_ERROR_TABLE(CQ__ERR_MSG)
#undef CQ__ERR_MSG
  }
  return "unknown error";
}

const char *cq_errname(int code) {
  switch (code) {
#define CQ__ERR_NAME(name, value, msg) \
  case value:                          \
    return #name;
    CQ_ERROR_TABLE(CQ__ERR_NAME)
#undef CQ__ERR_NAME
  }
  return "EUNKNOWN";
}

void cq_error_clear(cq_error *err) {
  if (!err) return;
  memset(err, 0, sizeof *err);
}

static void copy_str(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

int cq_error_set(cq_error *err, int code, const char *fmt, ...) {
  if (!err) return code;
  cq_error_clear(err);
  err->code = code;
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  } else {
    copy_str(err->msg, sizeof err->msg, cq_strerror(code));
  }
  return code;
}

void cq_error_at(cq_error *err, const char *file, int line, int column) {
  if (!err) return;
  if (file) copy_str(err->file, sizeof err->file, file);
  err->line = line;
  err->column = column;
}

void cq_error_field(cq_error *err, const char *field) {
  if (!err || !field) return;
  copy_str(err->field, sizeof err->field, field);
}

void cq_error_prefix(cq_error *err, const char *fmt, ...) {
  if (!err) return;
  char tmp[2 * CQ_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  int r = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (r < 0) return;
  size_t used = (size_t)r < sizeof tmp ? (size_t)r : sizeof tmp - 1;
  size_t mlen = strnlen(err->msg, sizeof err->msg);
  if (used + mlen >= sizeof tmp) mlen = sizeof tmp - 1 - used;
  memcpy(tmp + used, err->msg, mlen);
  tmp[used + mlen] = '\0';
  copy_str(err->msg, sizeof err->msg, tmp);
}

size_t cq_error_format(const cq_error *err, char *buf, size_t n) {
  char where[CQ_ERROR_FILE_MAX + 32] = "";
  size_t w = 0;
  if (err->file[0]) {
    w = (size_t)snprintf(where, sizeof where, "%s:", err->file);
    if (err->line > 0 && w < sizeof where)
      w += (size_t)snprintf(where + w, sizeof where - w, "%d:", err->line);
    if (err->line > 0 && err->column > 0 && w < sizeof where)
      snprintf(where + w, sizeof where - w, "%d:", err->column);
  } else if (err->line > 0) {
    w = (size_t)snprintf(where, sizeof where, "line %d:", err->line);
    if (err->column > 0 && w < sizeof where)
      snprintf(where + w, sizeof where - w, "%d:", err->column);
  }
  const char *msg = err->msg[0] ? err->msg : cq_strerror(err->code);
  int r = snprintf(buf, n, "%s%s%s%s%s", where, where[0] ? " " : "", err->field,
                   err->field[0] ? ": " : "", msg);
  return r < 0 ? 0 : (size_t)r;
}
