/* A streaming JSON writer into one growing buffer (cquant/jsonw.h). */
#include "cquant/jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/model.h"

static bool cq_jw_grow(cq_jw *w, size_t more) {
  if (w->oom) return false;
  if (w->len + more + 1 <= w->cap) return true;
  size_t cap = w->cap ? w->cap : 4096;
  while (cap < w->len + more + 1) {
    if (cap > SIZE_MAX / 2) return !(w->oom = true);
    cap *= 2;
  }
  char *p = realloc(w->buf, cap);
  if (!p) return !(w->oom = true);
  w->buf = p;
  w->cap = cap;
  return true;
}

void cq_jw_raw(cq_jw *w, const char *s, size_t n) {
  if (!cq_jw_grow(w, n)) return;
  memcpy(w->buf + w->len, s, n);
  w->len += n;
}

void cq_jw_put(cq_jw *w, const char *s) {
  cq_jw_raw(w, s, strlen(s));
}

/* Before any value or key: the separator its container needs. */
static void cq_jw_item(cq_jw *w) {
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  if (w->depth > 0 && w->comma[w->depth - 1]) cq_jw_raw(w, ",", 1);
  if (w->depth > 0) w->comma[w->depth - 1] = true;
}

void cq_jw_null(cq_jw *w) {
  cq_jw_item(w);
  cq_jw_put(w, "null");
}

void cq_jw_open(cq_jw *w, char c) {
  cq_jw_item(w);
  cq_jw_raw(w, &c, 1);
  /* the document's nesting is fixed by this file and never deeper than a few levels */
  if (w->depth < CQ_JW_MAX_DEPTH) w->comma[w->depth++] = false;
}

void cq_jw_close(cq_jw *w, char c) {
  if (w->depth > 0) w->depth--;
  cq_jw_raw(w, &c, 1);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (c >= 0xF5 || len == 0 || len > n) return 0;
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xC0) != 0x80) return 0;
  /* overlong forms, surrogates and code points past U+10FFFF */
  if (c == 0xE0 && s[1] < 0xA0) return 0;
  if (c == 0xED && s[1] >= 0xA0) return 0;
  if (c == 0xF0 && s[1] < 0x90) return 0;
  if (c == 0xF4 && s[1] >= 0x90) return 0;
  return len;
}

/* A JSON string: quotes, backslashes and control characters escaped; bytes that are not
 * UTF-8 become U+FFFD so the document always parses. */
void cq_jw_str(cq_jw *w, const char *s) {
  cq_jw_item(w);
  cq_jw_raw(w, "\"", 1);
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s);
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    const char *esc = c == '"'    ? "\\\""
                      : c == '\\' ? "\\\\"
                      : c == '\n' ? "\\n"
                      : c == '\r' ? "\\r"
                      : c == '\t' ? "\\t"
                      : c == '\b' ? "\\b"
                      : c == '\f' ? "\\f"
                                  : NULL;
    if (esc) {
      cq_jw_put(w, esc);
      i++;
    } else if (c < 0x20) {
      char u[8];
      snprintf(u, sizeof u, "\\u%04x", c);
      cq_jw_put(w, u);
      i++;
    } else if (c < 0x80) {
      cq_jw_raw(w, (const char *)p + i, 1);
      i++;
    } else {
      size_t len = utf8_len(p + i, n - i);
      cq_jw_raw(w, len ? (const char *)p + i : "\xEF\xBF\xBD", len ? len : 3);
      i += len ? len : 1;
    }
  }
  cq_jw_raw(w, "\"", 1);
}

void cq_jw_key(cq_jw *w, const char *k) {
  cq_jw_str(w, k);
  cq_jw_raw(w, ":", 1);
  w->after_key = true;
}

/* ---- shortest doubles, fast ---------------------------------------------------------------
 *
 * cq_format_double tries "%.*f" with 0, 1, 2... decimals until the text parses back to the
 * same double: up to 20 printf and strtod calls a number, too slow for millions of points.
 * This gives the same text with one pass of integer arithmetic. v = m * 2^-s exactly; a
 * decimal parses back to v when it lies inside v's rounding interval, (2m +- 1) * 2^-(s+1)
 * (ends included when m is even: ties go to the even mantissa). The fewest decimals d with
 * a multiple of 10^-d inside that interval is the d cq_format_double stops at, because the
 * nearest multiple, which "%.*f" prints, is then inside too. That holds while the interval
 * is symmetric, so powers of two (whose lower neighbour is nearer) and values outside the
 * plain-notation range go to cq_format_double itself. */

typedef unsigned __int128 u128;

/* The digits of n with d of them after the point ("1234", 2 -> "12.34"; 5, 3 -> "0.005"). */
static size_t put_fixed(u128 n, int d, bool neg, char *buf) {
  char digits[48];
  int len = 0;
  while (n > UINT64_MAX) { /* 128-bit division is slow: only for the digits past 2^64 */
    digits[len++] = (char)('0' + (int)(n % 10));
    n /= 10;
  }
  uint64_t n64 = (uint64_t)n;
  do {
    digits[len++] = (char)('0' + (int)(n64 % 10));
    n64 /= 10;
  } while (n64 > 0);
  while (len <= d) digits[len++] = '0'; /* at least one digit before the point */
  size_t k = 0;
  if (neg) buf[k++] = '-';
  for (int i = len - 1; i >= 0; i--) {
    buf[k++] = digits[i];
    if (i == d && d > 0) buf[k++] = '.';
  }
  buf[k] = '\0';
  return k;
}

size_t cq_format_double_fast(double v, char *buf, size_t n) {
  double a = fabs(v);
  if (n < 48 || !(a >= 1e-12 && a < 1e15)) return cq_format_double(v, buf, n);
  int exp2 = 0;
  uint64_t m = (uint64_t)ldexp(frexp(a, &exp2), 53); /* a = m * 2^(exp2 - 53) exactly */
  int s = 53 - exp2;                                 /* 3 <= s <= 93 in this range */
  if (m == UINT64_C(1) << 52) return cq_format_double(v, buf, n);
  bool even = (m & 1) == 0;
  u128 lo = 2 * (u128)m - 1, hi = 2 * (u128)m + 1, unit = (u128)1 << (s + 1);
  u128 pow10 = 1;
  for (int d = 0; d <= 20; d++, lo *= 10, hi *= 10, pow10 *= 10) {
    /* the first multiple of 10^-d at or above the interval's low end, scaled by 10^d */
    u128 k = (lo >> (s + 1)) + 1;
    if (even && (lo & (unit - 1)) == 0) k--;
    bool inside = even ? k * unit <= hi : k * unit < hi;
    if (!inside) continue;
    /* what "%.*f" prints: a * 10^d rounded to the nearest integer, ties to even */
    u128 scaled = (u128)m * pow10, half = (u128)1 << (s - 1);
    u128 q = scaled >> s, rem = scaled & (((u128)1 << s) - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    return put_fixed(q, d, v < 0, buf);
  }
  return cq_format_double(v, buf, n);
}

/* A double in its shortest round-trip text; NaN and infinities have no JSON form: null. */
void cq_jw_num(cq_jw *w, double v) {
  cq_jw_item(w);
  if (!isfinite(v)) {
    cq_jw_put(w, "null");
    return;
  }
  char t[48];
  size_t n = cq_format_double_fast(v, t, sizeof t);
  cq_jw_raw(w, t, n);
}

void cq_jw_int(cq_jw *w, int64_t v) {
  cq_jw_item(w);
  char t[24];
  int n = snprintf(t, sizeof t, "%" PRId64, v);
  cq_jw_raw(w, t, (size_t)n);
}

void cq_jw_bool(cq_jw *w, bool v) {
  cq_jw_item(w);
  cq_jw_put(w, v ? "true" : "false");
}

/* A decimal as a JSON number, exactly ("0.001", "10000"). */
void cq_jw_dec(cq_jw *w, cq_dec d) {
  cq_jw_item(w);
  char t[CQ_DEC_STRMAX];
  cq_dec_format(d, t, sizeof t);
  cq_jw_put(w, t[0] ? t : "null");
}

/* ISO-8601 UTC with as many fraction digits as the time needs (none for whole seconds). */
void cq_jw_time(cq_jw *w, cq_time t) {
  int frac = t % CQ_NS_PER_SEC == 0 ? 0 : t % CQ_NS_PER_MS == 0 ? 3 : 9;
  char s[CQ_TIME_STRMAX];
  cq_time_format_iso(t, frac, s, sizeof s);
  cq_jw_str(w, s);
}

void cq_jw_key_str(cq_jw *w, const char *k, const char *v) {
  cq_jw_key(w, k);
  cq_jw_str(w, v);
}

void cq_jw_key_num(cq_jw *w, const char *k, double v) {
  cq_jw_key(w, k);
  cq_jw_num(w, v);
}

void cq_jw_key_int(cq_jw *w, const char *k, int64_t v) {
  cq_jw_key(w, k);
  cq_jw_int(w, v);
}

int cq_jw_finish(cq_jw *w, const char *what, char **out, size_t *len, cq_error *err) {
  cq_jw_raw(w, "\n", 1);
  if (w->oom) {
    free(w->buf);
    w->buf = NULL;
    return cq_error_set(err, CQ_ENOMEM, "%s: out of memory at %zu bytes", what, w->len);
  }
  w->buf[w->len] = '\0'; /* the writer keeps a byte of room past len */
  *out = w->buf;
  if (len) *len = w->len;
  return CQ_OK;
}
