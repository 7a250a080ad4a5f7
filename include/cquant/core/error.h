/* Error codes and error detail.
 *
 * Every function that can fail returns int: 0 on success, a negative CQ_E... code on
 * failure. Where the caller wants to know what and where, it passes a cq_error *; the
 * callee fills it on failure and leaves it untouched on success. A NULL cq_error * is
 * always allowed. The library never prints, exits or aborts.
 */
#ifndef CQUANT_CORE_ERROR_H
#define CQUANT_CORE_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CQ_NODISCARD __attribute__((warn_unused_result))
#define CQ_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CQ_NODISCARD
#define CQ_PRINTF(f, a)
#endif

/* The one table of error codes: X(NAME, value, message). */
#define CQ_ERROR_TABLE(X)                                                        \
  X(OK, 0, "success")                                                            \
  X(ENOMEM, -1, "out of memory")                                                 \
  X(EINVAL, -2, "invalid argument")                                              \
  X(EOVERFLOW, -3, "value out of range")                                         \
  X(EPARSE, -4, "malformed input")                                               \
  X(ETYPE, -5, "wrong type")                                                     \
  X(EIO, -6, "input/output error")                                               \
  X(ENOTFOUND, -7, "not found")                                                  \
  X(EEXIST, -8, "already exists")                                                \
  X(ELIMIT, -9, "size limit exceeded")                                           \
  X(EINEXACT, -10, "result is not exact and no rounding was allowed")            \
  X(EDIVZERO, -11, "division by zero")                                           \
  X(EBADTRANSITION, -12, "state transition not allowed")                         \
  X(ECONFIG, -13, "invalid configuration")                                       \
  X(EUNSUPPORTED, -14, "not supported")                                          \
  X(ESTATE, -15, "operation not valid in the current state")                     \
  X(ETIMEOUT, -16, "timed out")                                                  \
  X(ENET, -17, "network error")                                                  \
  X(EPERM, -18, "permission denied")                                             \
  X(EINTERNAL, -19, "internal error")                                            \
  X(EREJECTED, -20, "rejected by the venue's rules")

typedef enum cq_errcode {
#define CQ__ERR_ENUM(name, value, msg) CQ_##name = value,
  CQ_ERROR_TABLE(CQ__ERR_ENUM)
#undef CQ__ERR_ENUM
} cq_errcode;

/* Message for a code; never NULL ("unknown error" for a code not in the table). */
const char *cq_strerror(int code);
/* Symbolic name of a code ("EPARSE"); never NULL. */
const char *cq_errname(int code);

enum { CQ_ERROR_MSG_MAX = 320, CQ_ERROR_FILE_MAX = 192, CQ_ERROR_FIELD_MAX = 128 };

/* What went wrong and where. `line` and `column` are 1-based, 0 when unknown;
 * `file` and `field` are empty strings when unknown. */
typedef struct cq_error {
  int code;
  char msg[CQ_ERROR_MSG_MAX];
  char file[CQ_ERROR_FILE_MAX];
  char field[CQ_ERROR_FIELD_MAX];
  int line;
  int column;
} cq_error;

/* Resets err to "no error". NULL-safe. */
void cq_error_clear(cq_error *err);

/* Records code and a formatted message, clearing any earlier location, and returns code,
 * so a failing function can end with `return cq_error_set(err, CQ_EPARSE, "...")`.
 * NULL-safe: with err == NULL it only returns code. */
int cq_error_set(cq_error *err, int code, const char *fmt, ...) CQ_PRINTF(3, 4);

/* Adds the location (input file, line, column) to an error already set. NULL-safe;
 * file may be NULL to keep the current one. */
void cq_error_at(cq_error *err, const char *file, int line, int column);

/* Adds the field or key the error is about ("risk.max_order_notional"). NULL-safe. */
void cq_error_field(cq_error *err, const char *field);

/* Puts formatted text before the message of an error already set ("time \"x\": " +
 * message), keeping code and location. NULL-safe. */
void cq_error_prefix(cq_error *err, const char *fmt, ...) CQ_PRINTF(2, 3);

/* Formats "file:line:column: field: message" (parts that are unknown are left out)
 * into buf, always NUL-terminated when n > 0. Returns the length it wanted. */
size_t cq_error_format(const cq_error *err, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
