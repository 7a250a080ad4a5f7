/* Fixed-point decimals: money is exact.
 *
 * A cq_dec is a plain value, { m, scale }, worth m * 10^-scale. It is passed and returned
 * by value, owns nothing and needs no init or release; nothing here allocates or keeps
 * state, so every function is safe to call from any thread.
 *
 * Representation
 *   m      int64 mantissa, the whole int64 range (INT64_MIN included).
 *   scale  number of fraction digits, 0..CQ_DEC_MAX_SCALE (18). A scale above 18 makes the
 *          value invalid: functions that return int reject it with CQ_EINVAL; the others
 *          (cmp, eq, sign, is_zero, normalize, to_double, format) require valid input and
 *          treat a larger scale as 18 (defined, but not a meaningful answer).
 *   The same number has many representations (1.5 is {15,1} and {1500,3}); the scale is
 *   kept on purpose, since venues say "0.00100000" to mean a step at 8 digits. cq_dec_cmp
 *   and cq_dec_eq compare values across scales; cq_dec_normalize gives the shortest form.
 *
 * Errors
 *   Functions that can fail return int: 0 on success or a negative CQ_E... code; they
 *   write *out only on success and fill the optional cq_error (NULL is fine) only on
 *   failure. Nothing ever wraps or rounds silently:
 *     CQ_EOVERFLOW   the exact or rounded result does not fit the int64 mantissa at the
 *                    requested scale;
 *     CQ_EINEXACT    the result needs rounding and the mode is CQ_ROUND_UNNECESSARY, or a
 *                    parsed string has non-zero digits beyond 18 fraction digits;
 *     CQ_EDIVZERO    division by zero;
 *     CQ_EPARSE      malformed text (err->column is the 1-based position of the offending
 *                    character, or length + 1 when the text ended too soon);
 *     CQ_EINVAL      a bad argument: scale > 18, unknown rounding mode, NULL out, step <= 0.
 *     CQ_ELIMIT      cq_dec_format_fixed only: the caller's buffer is too small.
 *   In arithmetic (rescale, mul, div, round_step) with CQ_ROUND_UNNECESSARY, a result
 *   that is both inexact and out of range is CQ_EOVERFLOW when the result truncated
 *   toward zero is already out of range, and CQ_EINEXACT otherwise.
 *
 * Doubles are for analytics only (cq_dec_to_double); there is deliberately no
 * conversion from double. See docs/internals/core-decimal.md.
 */
#ifndef CQUANT_CORE_DECIMAL_H
#define CQUANT_CORE_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CQ_DEC_MAX_SCALE 18

/* Enough for any cq_dec in either format, NUL included. cq_dec_format needs at most 21
 * characters ("-0.000000000000000001"); cq_dec_format_fixed at most 39
 * ("-9223372036854775808.000000000000000000"). */
#define CQ_DEC_STRMAX 48

typedef struct cq_dec {
  int64_t m;     /* mantissa */
  uint8_t scale; /* fraction digits, 0..CQ_DEC_MAX_SCALE */
} cq_dec;

/* A constant: CQ_DEC(15, 1) is 1.5. */
#define CQ_DEC(mantissa, sc) ((cq_dec){.m = (mantissa), .scale = (sc)})

/* How a result that falls between two representable values is rounded. "Away from zero"
 * and "toward zero" are about magnitude; FLOOR and CEIL about the number line. */
typedef enum cq_round {
  CQ_ROUND_DOWN = 0,    /* toward zero (truncate): 2.59 -> 2.5, -2.59 -> -2.5 */
  CQ_ROUND_UP,          /* away from zero: 2.51 -> 2.6, -2.51 -> -2.6 */
  CQ_ROUND_FLOOR,       /* toward -infinity: -2.51 -> -2.6 */
  CQ_ROUND_CEIL,        /* toward +infinity: -2.59 -> -2.5 */
  CQ_ROUND_HALF_UP,     /* nearest, ties away from zero: 2.25 -> 2.3, -2.25 -> -2.3 */
  CQ_ROUND_HALF_EVEN,   /* nearest, ties to even (banker's): 2.25 -> 2.2, 2.35 -> 2.4 */
  CQ_ROUND_UNNECESSARY, /* no rounding allowed: CQ_EINEXACT if it would be needed */
  CQ_ROUND_COUNT        /* number of modes; not a mode */
} cq_round;

/* Name of a mode ("half_even"); "?" for an unknown value. Never NULL. */
const char *cq_round_name(cq_round mode);

/* ---- construction and inspection ------------------------------------------------ */

/* v at scale 0. */
static inline cq_dec cq_dec_from_int(int64_t v) {
  return CQ_DEC(v, 0);
}

/* True when scale <= CQ_DEC_MAX_SCALE. */
static inline bool cq_dec_valid(cq_dec d) {
  return d.scale <= CQ_DEC_MAX_SCALE;
}

static inline bool cq_dec_is_zero(cq_dec d) {
  return d.m == 0;
}

/* -1, 0 or 1. */
static inline int cq_dec_sign(cq_dec d) {
  return (d.m > 0) - (d.m < 0);
}

/* Exact comparison across scales (no rounding, no overflow): -1, 0 or 1. */
int cq_dec_cmp(cq_dec a, cq_dec b);

/* Same value, whatever the scales: cq_dec_eq({15,1}, {150,2}) is true. */
bool cq_dec_eq(cq_dec a, cq_dec b);

/* Shortest form: trailing fraction zeros removed; zero becomes {0, 0}. Never fails. */
cq_dec cq_dec_normalize(cq_dec d);

/* Nearest double, for analytics only. Exact-then-one-rounding when |m| <= 2^53;
 * otherwise off by at most a couple of ulps. Never use the result for money. */
double cq_dec_to_double(cq_dec d);

/* ---- text ------------------------------------------------------------------------- */

/* Parses exactly the decimal text venues send:
 *   [+|-] digits [. [digits]] [(e|E) [+|-] digits]      "5.", "-12.5", "1.5e3", "-0"
 *   [+|-] . digits [(e|E) [+|-] digits]                  ".5", "1e-8", "1E-8"
 * No spaces, no "nan"/"inf", no hex, no digit separators; s need not be NUL-terminated
 * (exactly len bytes are read; s may be NULL when len is 0).
 *
 * The result keeps the scale the text implies: "0.00001000" is {1000, 8}, "-0.00" is
 * {0, 2}, "1e-8" is {1, 8}; an exponent that makes the scale negative is multiplied out
 * ("1.5e3" is {1500, 0}). Only when that scale cannot hold the value are trailing zeros
 * given up, as few as possible: "1.0000000000000000000000" (22 fraction digits) is
 * {10^18, 18}. So parsing succeeds exactly when the value is representable:
 *   CQ_EPARSE     malformed; err->column is the 1-based position of the offending byte
 *                 (len + 1 when the text ends too soon: "-", "1e"); the message says what
 *                 was expected and what was found;
 *   CQ_EINEXACT   a non-zero digit beyond 18 fraction digits ("1e-19", "0.1234567890123456789");
 *                 this wins over CQ_EOVERFLOW when both apply;
 *   CQ_EOVERFLOW  |value| too large for the mantissa ("1e19", "9223372036854775808");
 *   CQ_EINVAL     out NULL, or s NULL with len > 0.
 * For CQ_EINEXACT and CQ_EOVERFLOW the whole number is at fault and err->column is 0.
 * Overlong input is fine: digits past the 19th only cost a slower path.
 */
CQ_NODISCARD int cq_dec_parse(const char *s, size_t len, cq_dec *out, cq_error *err);

/* cq_dec_parse on a NUL-terminated string. s NULL is CQ_EINVAL. */
CQ_NODISCARD int cq_dec_parse_cstr(const char *s, cq_dec *out, cq_error *err);

/* Shortest exact text: no exponent, trailing fraction zeros removed, never "-0":
 * "12", "-0.5", "0.00001". Writes at most n bytes, always NUL-terminated when n > 0
 * (buf may be NULL when n is 0), and returns the length the whole text needs, like
 * snprintf; with n >= CQ_DEC_STRMAX it always fits. An invalid scale formats as "". */
size_t cq_dec_format(cq_dec d, char *buf, size_t n);

/* Exactly `scale` fraction digits (none and no '.' for 0): the value at a venue's tick or
 * lot precision, "43251.17000000". Pads with zeros when scale >= d.scale; when it is
 * smaller, the dropped digits must be zeros. It never rounds: round first with
 * cq_dec_round_step or cq_dec_rescale. Returns the length written (>= 0, NUL not
 * counted) or a negative code: CQ_EINEXACT (non-zero digits would be dropped), CQ_EINVAL
 * (scale > 18, invalid d, buf NULL), CQ_ELIMIT (n too small; CQ_DEC_STRMAX always does).
 * On failure buf holds "" when n > 0. */
CQ_NODISCARD int cq_dec_format_fixed(cq_dec d, unsigned scale, char *buf, size_t n, cq_error *err);

/* ---- scale and sign --------------------------------------------------------------- */

/* d at `scale`: a larger scale multiplies the mantissa (CQ_EOVERFLOW if it does not fit),
 * a smaller one rounds with `mode`. */
CQ_NODISCARD int cq_dec_rescale(cq_dec d, unsigned scale, cq_round mode, cq_dec *out,
                                cq_error *err);

/* -d at the same scale; -INT64_MIN is CQ_EOVERFLOW. */
CQ_NODISCARD int cq_dec_neg(cq_dec d, cq_dec *out, cq_error *err);

/* |d| at the same scale; |INT64_MIN| is CQ_EOVERFLOW. */
CQ_NODISCARD int cq_dec_abs(cq_dec d, cq_dec *out, cq_error *err);

/* ---- arithmetic --------------------------------------------------------------------- */

/* a + b and a - b, exact, at max(a.scale, b.scale); CQ_EOVERFLOW if the mantissa does not
 * fit there (even when a smaller scale could hold it: the scale is part of the answer). */
CQ_NODISCARD int cq_dec_add(cq_dec a, cq_dec b, cq_dec *out, cq_error *err);
CQ_NODISCARD int cq_dec_sub(cq_dec a, cq_dec b, cq_dec *out, cq_error *err);

/* a * b rounded once, from the exact 128-bit product, to `scale` with `mode`
 * (notional = price * qty at the quote asset's precision). */
CQ_NODISCARD int cq_dec_mul(cq_dec a, cq_dec b, unsigned scale, cq_round mode, cq_dec *out,
                            cq_error *err);

/* a / b at `scale`, rounded with `mode` from the exact remainder (correctly rounded for
 * every mode). CQ_EDIVZERO when b is zero. CQ_EOVERFLOW when the quotient does not fit;
 * this is also the answer when a.m * 10^(scale - a.scale + b.scale) exceeds 128 bits,
 * which implies a quotient of at least 2^64. */
CQ_NODISCARD int cq_dec_div(cq_dec a, cq_dec b, unsigned scale, cq_round mode, cq_dec *out,
                            cq_error *err);

/* x rounded with `mode` to a multiple of step (a tick size or lot step: 0.01, 0.00100000,
 * 0.5, 5). The result is k * step at step.scale: a price rounded to a tick of 0.01 has
 * scale 2, ready for cq_dec_format_fixed. CQ_EINVAL when step <= 0, CQ_EOVERFLOW when
 * k * step.m does not fit. */
CQ_NODISCARD int cq_dec_round_step(cq_dec x, cq_dec step, cq_round mode, cq_dec *out,
                                   cq_error *err);

#ifdef __cplusplus
}
#endif
#endif
