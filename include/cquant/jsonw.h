/* A small streaming JSON writer into one growing buffer, for documents too large for a
 * jansson tree (a run of a million bars is five million numbers). Keys come in the order the
 * caller writes them and doubles in their shortest round-trip text, so the same data always
 * gives the same bytes. Out of memory is remembered and reported once, by the caller
 * checking `oom` at the end. */
#ifndef CQUANT_JSONW_H
#define CQUANT_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CQ_JW_MAX_DEPTH = 16 };

typedef struct cq_jw {
  char *buf;
  size_t len, cap;
  bool oom;
  int depth;
  bool comma[CQ_JW_MAX_DEPTH]; /* the next item at this depth needs a ',' before it */
  bool after_key;              /* a value follows a key: no ',' */
} cq_jw;

void cq_jw_raw(cq_jw *w, const char *s, size_t n);
void cq_jw_put(cq_jw *w, const char *s);
void cq_jw_null(cq_jw *w);
void cq_jw_open(cq_jw *w, char c);  /* '{' or '[' */
void cq_jw_close(cq_jw *w, char c); /* '}' or ']' */
/* A string: escaped; bytes that are not UTF-8 become U+FFFD so the document always parses. */
void cq_jw_str(cq_jw *w, const char *s);
void cq_jw_key(cq_jw *w, const char *k);
/* A double in its shortest round-trip text; NaN and infinities: null. */
void cq_jw_num(cq_jw *w, double v);
void cq_jw_int(cq_jw *w, int64_t v);
void cq_jw_bool(cq_jw *w, bool v);
void cq_jw_dec(cq_jw *w, cq_dec d);   /* exactly ("0.001") */
void cq_jw_time(cq_jw *w, cq_time t); /* ISO-8601 UTC, fraction digits as needed */
void cq_jw_key_str(cq_jw *w, const char *k, const char *v);
void cq_jw_key_num(cq_jw *w, const char *k, double v);
void cq_jw_key_int(cq_jw *w, const char *k, int64_t v);

/* Ends a document: a final newline, the text NUL-terminated and handed to *out (the caller
 * frees it; *len without the NUL when len is not NULL). Out of memory anywhere before frees
 * the buffer and is CQ_ENOMEM naming `what` ("study JSON"). */
CQ_NODISCARD int cq_jw_finish(cq_jw *w, const char *what, char **out, size_t *len, cq_error *err);

/* The text cq_format_double gives (shortest round-trip, plain notation where it uses it),
 * in one pass of integer arithmetic for the common range. */
size_t cq_format_double_fast(double v, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
