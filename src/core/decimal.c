/* Fixed-point decimals. See include/cquant/core/decimal.h for the contract and
 * docs/internals/core-decimal.md for the design.
 *
 * Every rounding goes through one place, div_round(): the exact value is held as an
 * unsigned 128-bit numerator and denominator plus a sign, so the remainder decides the
 * rounding and nothing is ever approximated. Magnitudes are unsigned so that INT64_MIN
 * (magnitude 2^63) needs no special case. */
#include "cquant/core/decimal.h"

#include <stdio.h>
#include <string.h>

#if defined(__GNUC__)
#define CQ__COLD __attribute__((cold, noinline))
#else
#define CQ__COLD
#endif

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

static const uint64_t POW10[20] = {
    1ULL,
    10ULL,
    100ULL,
    1000ULL,
    10000ULL,
    100000ULL,
    1000000ULL,
    10000000ULL,
    100000000ULL,
    1000000000ULL,
    10000000000ULL,
    100000000000ULL,
    1000000000000ULL,
    10000000000000ULL,
    100000000000000ULL,
    1000000000000000ULL,
    10000000000000000ULL,
    100000000000000000ULL,
    1000000000000000000ULL,
    10000000000000000000ULL,
};

/* 10^k for k <= 38 (10^38 < 2^128). */
static u128 pow10_u128(unsigned k) {
  if (k < 20) return POW10[k];
  return (u128)POW10[19] * POW10[k - 19];
}

static unsigned clamp_scale(uint8_t s) {
  return s > CQ_DEC_MAX_SCALE ? CQ_DEC_MAX_SCALE : s;
}

static uint64_t mag64(int64_t m) {
  return m < 0 ? 0u - (uint64_t)m : (uint64_t)m;
}

/* Largest magnitude a result of this sign may have: 2^63 - 1, or 2^63 when negative. */
static uint64_t limit(bool neg) {
  return (uint64_t)INT64_MAX + (neg ? 1u : 0u);
}

/* The int64 with this sign and magnitude; the caller has checked mag <= limit(neg). */
static int64_t from_mag(uint64_t mag, bool neg) {
  if (!neg) return (int64_t)mag;
  if (mag == 0) return 0;
  return -(int64_t)(mag - 1) - 1;
}

static bool mode_ok(cq_round mode) {
  return (unsigned)mode < (unsigned)CQ_ROUND_COUNT;
}

const char *cq_round_name(cq_round mode) {
  switch (mode) {
    case CQ_ROUND_DOWN:
      return "down";
    case CQ_ROUND_UP:
      return "up";
    case CQ_ROUND_FLOOR:
      return "floor";
    case CQ_ROUND_CEIL:
      return "ceil";
    case CQ_ROUND_HALF_UP:
      return "half_up";
    case CQ_ROUND_HALF_EVEN:
      return "half_even";
    case CQ_ROUND_UNNECESSARY:
      return "unnecessary";
    case CQ_ROUND_COUNT:
      break;
  }
  return "?";
}

/* Magnitude of (n / d) rounded with mode, where d > 0 and neg is the sign of the exact
 * quotient. With CQ_ROUND_UNNECESSARY and a remainder, stores the truncated quotient and
 * returns CQ_EINEXACT (so the caller can still tell an out-of-range result). */
static int div_round(u128 n, u128 d, bool neg, cq_round mode, u128 *q) {
  u128 qq, r;
  if (((n | d) >> 64) == 0) {
    uint64_t n64 = (uint64_t)n, d64 = (uint64_t)d;
    qq = n64 / d64;
    r = n64 % d64;
  } else {
    qq = n / d;
    r = n % d;
  }
  *q = qq;
  if (r == 0) return 0;
  bool away;
  u128 rest = d - r; /* distance to the next multiple; r vs rest is the half test */
  switch (mode) {
    case CQ_ROUND_DOWN:
      away = false;
      break;
    case CQ_ROUND_UP:
      away = true;
      break;
    case CQ_ROUND_FLOOR:
      away = neg;
      break;
    case CQ_ROUND_CEIL:
      away = !neg;
      break;
    case CQ_ROUND_HALF_UP:
      away = r >= rest;
      break;
    case CQ_ROUND_HALF_EVEN:
      away = r > rest || (r == rest && (qq & 1u));
      break;
    default:
      return CQ_EINEXACT;
  }
  *q = qq + (away ? 1u : 0u);
  return 0;
}

/* Rounds n / d at `scale` into *out: CQ_EOVERFLOW beats CQ_EINEXACT (see the header). */
static int finish(u128 n, u128 d, bool neg, unsigned scale, cq_round mode, cq_dec *out) {
  u128 q;
  int rc = div_round(n, d, neg, mode, &q);
  if (q > limit(neg)) return CQ_EOVERFLOW;
  if (rc) return rc;
  out->m = from_mag((uint64_t)q, neg);
  out->scale = (uint8_t)scale;
  return 0;
}

/* ---- error messages ------------------------------------------------------------------ */

static void show(char *buf, size_t n, const cq_dec *d) {
  if (cq_dec_valid(*d)) {
    (void)cq_dec_format(*d, buf, n);
  } else {
    snprintf(buf, n, "{%lld, scale %u}", (long long)d->m, (unsigned)d->scale);
  }
}

/* "cq_dec_mul(9223372036854775807, 2, scale 0, half_even): value out of range" */
CQ__COLD static int op_fail(cq_error *err, int code, const char *op, const cq_dec *a,
                            const cq_dec *b, int scale, int mode) {
  if (!err) return code;
  char sa[CQ_DEC_STRMAX + 32], sb[CQ_DEC_STRMAX + 34] = "", ss[32] = "", sm[32] = "";
  show(sa, sizeof sa, a);
  if (b) {
    sb[0] = ',';
    sb[1] = ' ';
    show(sb + 2, sizeof sb - 2, b);
  }
  if (scale >= 0) snprintf(ss, sizeof ss, ", scale %d", scale);
  if (mode >= 0) snprintf(sm, sizeof sm, ", %s", cq_round_name((cq_round)mode));
  const char *why = cq_strerror(code);
  if (code == CQ_EOVERFLOW) why = "value out of range (the mantissa must fit int64)";
  if (code == CQ_EINEXACT) why = "result is not exact and the mode is unnecessary";
  return cq_error_set(err, code, "%s(%s%s%s%s): %s", op, sa, sb, ss, sm, why);
}

/* Checks shared by the arithmetic functions; 0 or a code with err filled. */
static int check(cq_error *err, const char *op, const cq_dec *a, const cq_dec *b, unsigned scale,
                 bool has_scale, cq_round mode, bool has_mode, const cq_dec *out) {
  if (!out) return cq_error_set(err, CQ_EINVAL, "%s: out is NULL", op);
  if (!cq_dec_valid(*a) || (b && !cq_dec_valid(*b)))
    return cq_error_set(err, CQ_EINVAL, "%s: operand scale above the maximum %d", op,
                        CQ_DEC_MAX_SCALE);
  if (has_scale && scale > CQ_DEC_MAX_SCALE)
    return cq_error_set(err, CQ_EINVAL, "%s: scale %u is above the maximum %d", op, scale,
                        CQ_DEC_MAX_SCALE);
  if (has_mode && !mode_ok(mode))
    return cq_error_set(err, CQ_EINVAL, "%s: unknown rounding mode %d", op, (int)mode);
  return 0;
}

/* ---- comparison ---------------------------------------------------------------------- */

int cq_dec_cmp(cq_dec a, cq_dec b) {
  unsigned sa = clamp_scale(a.scale), sb = clamp_scale(b.scale);
  if (sa == sb) return (a.m > b.m) - (a.m < b.m);
  /* 2^63 * 10^18 < 2^127: the scaled mantissa always fits. */
  i128 x = a.m, y = b.m;
  if (sa < sb) {
    x *= (i128)POW10[sb - sa];
  } else {
    y *= (i128)POW10[sa - sb];
  }
  return (x > y) - (x < y);
}

bool cq_dec_eq(cq_dec a, cq_dec b) {
  return cq_dec_cmp(a, b) == 0;
}

cq_dec cq_dec_normalize(cq_dec d) {
  unsigned s = clamp_scale(d.scale);
  int64_t m = d.m;
  if (m == 0) return CQ_DEC(0, 0);
  while (s > 0 && m % 10 == 0) {
    m /= 10;
    s--;
  }
  return CQ_DEC(m, (uint8_t)s);
}

double cq_dec_to_double(cq_dec d) {
  static const double P[19] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                               1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
  return (double)d.m / P[clamp_scale(d.scale)];
}

/* ---- parsing ------------------------------------------------------------------------- */

/* Digits past the first 19: D = acc * 10^zeros, with the zeros after the last non-zero
 * digit kept as a count, so long runs of trailing zeros ("1.0000000000000000000000")
 * cost nothing and only significant digits can overflow. */
typedef struct sig {
  uint64_t acc;
  uint64_t zeros;
  bool ovf; /* the significant digits passed 2^64: the value cannot fit */
} sig;

CQ__COLD static const unsigned char *more_digits(const unsigned char *p, const unsigned char *end,
                                                 sig *g) {
  unsigned d;
  while (p < end && (d = (unsigned)*p - '0') <= 9) {
    if (d == 0) {
      if (g->acc || g->ovf) g->zeros++;
    } else if (g->ovf) {
      g->zeros = 0;
    } else {
      uint64_t t;
      if (g->zeros >= 19 || __builtin_mul_overflow(g->acc, POW10[g->zeros + 1], &t) ||
          __builtin_add_overflow(t, (uint64_t)d, &g->acc))
        g->ovf = true;
      g->zeros = 0;
    }
    p++;
  }
  return p;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CQ__DEC_SWAR 1
/* The leading digits of the 8 bytes at p (little-endian: p[0] is the low byte): returns
 * how many (0..8) and stores their value. x = bytes ^ '0' maps a digit to 0..9; a byte is
 * a non-digit when x >= 10, seen as the high bit of x + 0x76 or of x. A carry out of a
 * non-digit byte can only spoil later bytes, and only the first non-digit counts. The
 * digits are then moved to the top, zeros below, and combined pairwise (fast_float's
 * eight-digit reduction). */
static inline unsigned swar_digits(const unsigned char *p, uint64_t *val) {
  uint64_t x;
  memcpy(&x, p, 8);
  x ^= 0x3030303030303030ULL;
  uint64_t bad = ((x + 0x7676767676767676ULL) | x) & 0x8080808080808080ULL;
  unsigned k = bad ? (unsigned)__builtin_ctzll(bad) >> 3 : 8;
  if (k == 0) {
    *val = 0;
    return 0;
  }
  x <<= 8 * (8 - k);
  x = x * 10 + (x >> 8);
  x = (((x & 0x000000FF000000FFULL) * 0x000F424000000064ULL) +
       (((x >> 16) & 0x000000FF000000FFULL) * 0x0000271000000001ULL)) >>
      32;
  *val = (uint32_t)x;
  return k;
}
#else
#define CQ__DEC_SWAR 0
#endif

/* Reads at most *budget digits into *acc (acc * 10 + d each); the caller keeps the total
 * at 19 so that nothing overflows. Stops at the first non-digit. */
static inline const unsigned char *fast_digits(const unsigned char *p, const unsigned char *end,
                                               uint64_t *acc, unsigned *budget) {
#if CQ__DEC_SWAR
  /* Eight bytes at a time while eight are left in the input (never past s + len). */
  while (*budget >= 8 && end - p >= 8) {
    uint64_t v;
    unsigned k = swar_digits(p, &v);
    *acc = *acc * POW10[k] + v;
    p += k;
    *budget -= k;
    if (k < 8) return p;
  }
#endif
  const unsigned char *start = p;
  const unsigned char *lim = (size_t)(end - p) > *budget ? p + *budget : end;
  unsigned d;
  while (p < lim && (d = (unsigned)*p - '0') <= 9) {
    *acc = *acc * 10 + d;
    p++;
  }
  *budget -= (unsigned)(p - start);
  return p;
}

CQ__COLD static int parse_fail(cq_error *err, const char *s, size_t len, size_t pos,
                               const char *what) {
  if (!err) return CQ_EPARSE;
  char shown[4 * 40 + 4]; /* each byte at most "\xNN", then "..." */
  size_t w = 0;
  for (size_t i = 0; i < len && i < 40; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      shown[w++] = (char)c;
    } else {
      w += (size_t)snprintf(shown + w, sizeof shown - w, "\\x%02x", c);
    }
  }
  if (len > 40) {
    memcpy(shown + w, "...", 3);
    w += 3;
  }
  shown[w] = '\0';
  char got[32];
  if (pos >= len) {
    snprintf(got, sizeof got, "end of input");
  } else {
    unsigned char c = (unsigned char)s[pos];
    if (c >= 0x20 && c < 0x7f) {
      snprintf(got, sizeof got, "'%c'", c);
    } else {
      snprintf(got, sizeof got, "byte 0x%02x", c);
    }
  }
  int col = pos + 1 > (size_t)INT32_MAX ? INT32_MAX : (int)(pos + 1);
  cq_error_set(err, CQ_EPARSE, "invalid decimal \"%s\": %s, got %s at column %d", shown, what, got,
               col);
  cq_error_at(err, NULL, 0, col);
  return CQ_EPARSE;
}

static bool word_at(const unsigned char *p, const unsigned char *end, const char *w) {
  for (; *w; w++, p++)
    if (p >= end || (*p | 0x20) != (unsigned char)*w) return false;
  return true;
}

CQ__COLD static int value_fail(cq_error *err, int code, const char *s, size_t len) {
  int n = len > 64 ? 64 : (int)len;
  return cq_error_set(err, code,
                      code == CQ_EINEXACT
                          ? "decimal \"%.*s%s\" has non-zero digits beyond %d fraction digits"
                          : "decimal \"%.*s%s\" is out of range (the mantissa must fit "
                            "int64 at scale <= %d)",
                      n, s, len > 64 ? "..." : "", CQ_DEC_MAX_SCALE);
}

/* The rare cases: more than 19 digits, trailing zeros beyond scale 18, a scale made
 * negative by the exponent, or a mantissa that only fits at a smaller scale. The value is
 * acc * 10^(zeros - S). */
CQ__COLD static int parse_finish(sig g, bool neg, int64_t S, const char *s, size_t len, cq_dec *out,
                                 cq_error *err) {
  uint64_t acc = g.acc;
  int64_t z = (int64_t)g.zeros; /* <= len */
  if (!g.ovf && acc == 0) {
    out->m = 0;
    out->scale = (uint8_t)(S < 0 ? 0 : S > CQ_DEC_MAX_SCALE ? CQ_DEC_MAX_SCALE : S);
    return 0;
  }
  if (!g.ovf) {
    while (acc % 10 == 0) {
      acc /= 10;
      z++;
    }
  }
  int64_t min_scale = S - z; /* the smallest scale at which the value is exact */
  if (min_scale > CQ_DEC_MAX_SCALE) return value_fail(err, CQ_EINEXACT, s, len);
  if (g.ovf) return value_fail(err, CQ_EOVERFLOW, s, len);
  int64_t lo = min_scale < 0 ? 0 : min_scale;
  int64_t hi = S < 0 ? 0 : S > CQ_DEC_MAX_SCALE ? CQ_DEC_MAX_SCALE : S;
  uint64_t lim = limit(neg), m;
  int64_t k = lo - min_scale;
  if (k >= 19 || __builtin_mul_overflow(acc, POW10[k], &m) || m > lim)
    return value_fail(err, CQ_EOVERFLOW, s, len);
  int64_t sc = lo;
  while (sc < hi && m <= lim / 10) { /* keep as much of the written scale as fits */
    m *= 10;
    sc++;
  }
  out->m = from_mag(m, neg);
  out->scale = (uint8_t)sc;
  return 0;
}

int cq_dec_parse(const char *s, size_t len, cq_dec *out, cq_error *err) {
  if ((!s && len) || !out)
    return cq_error_set(err, CQ_EINVAL, "cq_dec_parse: %s is NULL", out ? "s" : "out");
  const unsigned char *const p0 = (const unsigned char *)s;
  const unsigned char *p = p0, *const end = p0 + len;
  bool neg = false;
  if (p < end && (*p == '-' || *p == '+')) {
    neg = *p == '-';
    p++;
  }

  /* Up to 19 digits cannot overflow a uint64: the fast loops take those, the rest (rare)
   * goes to more_digits. */
  sig g = {0, 0, false};
  unsigned budget = 19;
  const unsigned char *int_start = p;
  p = fast_digits(p, end, &g.acc, &budget);
  if (p < end && (unsigned)*p - '0' <= 9) p = more_digits(p, end, &g);
  size_t nint = (size_t)(p - int_start), nfrac = 0;

  bool dot = p < end && *p == '.';
  if (dot) {
    p++;
    const unsigned char *frac_start = p;
    p = fast_digits(p, end, &g.acc, &budget);
    if (p < end && (unsigned)*p - '0' <= 9) p = more_digits(p, end, &g);
    nfrac = (size_t)(p - frac_start);
  }

  if (nint + nfrac == 0) {
    if (p == int_start && (word_at(p, end, "nan") || word_at(p, end, "inf")))
      return parse_fail(err, s, len, (size_t)(p - p0), "NaN and infinity are not decimals");
    return parse_fail(err, s, len, (size_t)(p - p0), "expected a digit");
  }

  int64_t exp = 0;
  unsigned d;
  bool has_exp = p < end && (*p | 0x20) == 'e';
  if (has_exp) {
    p++;
    bool eneg = false;
    if (p < end && (*p == '-' || *p == '+')) {
      eneg = *p == '-';
      p++;
    }
    if (p == end || (unsigned)*p - '0' > 9)
      return parse_fail(err, s, len, (size_t)(p - p0), "expected a digit in the exponent");
    while (p < end && (d = (unsigned)*p - '0') <= 9) {
      /* saturate far beyond any representable value and any input length */
      if (exp < 100000000000000000) exp = exp * 10 + d;
      p++;
    }
    if (eneg) exp = -exp;
  }

  if (p != end) {
    const char *what = (*p == '.' && dot && !has_exp) ? "a second decimal point is not allowed"
                       : (*p == '.')                  ? "a decimal point is not allowed here"
                                                      : "expected the end of the number";
    return parse_fail(err, s, len, (size_t)(p - p0), what);
  }

  int64_t S = (int64_t)nfrac - exp; /* the scale the text implies */
  if (!g.ovf && g.zeros == 0 && (uint64_t)S <= CQ_DEC_MAX_SCALE && g.acc <= limit(neg)) {
    out->m = from_mag(g.acc, neg);
    out->scale = (uint8_t)S;
    return 0;
  }
  return parse_finish(g, neg, S, s, len, out, err);
}

int cq_dec_parse_cstr(const char *s, cq_dec *out, cq_error *err) {
  if (!s) return cq_error_set(err, CQ_EINVAL, "cq_dec_parse_cstr: s is NULL");
  return cq_dec_parse(s, strlen(s), out, err);
}

/* ---- formatting ---------------------------------------------------------------------- */

/* mag * 10^-fd with fd fraction digits, then pad more zeros; returns the length. out must
 * hold CQ_DEC_STRMAX bytes. */
static size_t render(uint64_t mag, bool neg, unsigned fd, unsigned pad, char *out) {
  char dig[20];
  unsigned nd = 0;
  do {
    dig[nd++] = (char)('0' + mag % 10);
    mag /= 10;
  } while (mag);
  size_t p = 0;
  if (neg) out[p++] = '-';
  if (nd <= fd) {
    out[p++] = '0';
  } else {
    for (unsigned i = nd; i-- > fd;) out[p++] = dig[i];
  }
  if (fd + pad > 0) {
    out[p++] = '.';
    for (unsigned i = fd; i-- > 0;) out[p++] = i < nd ? dig[i] : '0';
    memset(out + p, '0', pad);
    p += pad;
  }
  out[p] = '\0';
  return p;
}

size_t cq_dec_format(cq_dec d, char *buf, size_t n) {
  char tmp[CQ_DEC_STRMAX];
  size_t len = 0;
  tmp[0] = '\0';
  if (cq_dec_valid(d)) {
    d = cq_dec_normalize(d);
    len = render(mag64(d.m), d.m < 0, d.scale, 0, tmp);
  }
  if (n > 0) {
    size_t c = len < n ? len : n - 1;
    memcpy(buf, tmp, c);
    buf[c] = '\0';
  }
  return len;
}

int cq_dec_format_fixed(cq_dec d, unsigned scale, char *buf, size_t n, cq_error *err) {
  if (!buf || n == 0) return cq_error_set(err, CQ_EINVAL, "cq_dec_format_fixed: no buffer");
  buf[0] = '\0';
  if (!cq_dec_valid(d) || scale > CQ_DEC_MAX_SCALE)
    return cq_error_set(err, CQ_EINVAL, "cq_dec_format_fixed: scale %u/%u above the maximum %d",
                        (unsigned)d.scale, scale, CQ_DEC_MAX_SCALE);
  uint64_t mag = mag64(d.m);
  unsigned fd = d.scale, pad = 0;
  if (scale >= fd) {
    pad = scale - fd;
  } else {
    uint64_t p = POW10[fd - scale];
    if (mag % p != 0) {
      char v[CQ_DEC_STRMAX];
      (void)cq_dec_format(d, v, sizeof v);
      return cq_error_set(err, CQ_EINEXACT,
                          "cq_dec_format_fixed: %s has more than %u fraction digits; round it "
                          "to the tick or lot step first",
                          v, scale);
    }
    mag /= p;
    fd = scale;
  }
  char tmp[CQ_DEC_STRMAX];
  size_t len = render(mag, d.m < 0, fd, pad, tmp);
  if (len >= n)
    return cq_error_set(err, CQ_ELIMIT, "cq_dec_format_fixed: needs %zu bytes, buffer has %zu",
                        len + 1, n);
  memcpy(buf, tmp, len + 1);
  return (int)len;
}

/* ---- scale and sign ------------------------------------------------------------------ */

int cq_dec_rescale(cq_dec d, unsigned scale, cq_round mode, cq_dec *out, cq_error *err) {
  int rc = check(err, "cq_dec_rescale", &d, NULL, scale, true, mode, true, out);
  if (rc) return rc;
  bool neg = d.m < 0;
  uint64_t mag = mag64(d.m);
  if (scale >= d.scale) {
    uint64_t m;
    if (__builtin_mul_overflow(mag, POW10[scale - d.scale], &m) || m > limit(neg))
      return op_fail(err, CQ_EOVERFLOW, "cq_dec_rescale", &d, NULL, (int)scale, (int)mode);
    out->m = from_mag(m, neg);
    out->scale = (uint8_t)scale;
    return 0;
  }
  rc = finish(mag, POW10[d.scale - scale], neg, scale, mode, out);
  if (rc) return op_fail(err, rc, "cq_dec_rescale", &d, NULL, (int)scale, (int)mode);
  return 0;
}

int cq_dec_neg(cq_dec d, cq_dec *out, cq_error *err) {
  int rc = check(err, "cq_dec_neg", &d, NULL, 0, false, CQ_ROUND_DOWN, false, out);
  if (rc) return rc;
  if (d.m == INT64_MIN) return op_fail(err, CQ_EOVERFLOW, "cq_dec_neg", &d, NULL, -1, -1);
  out->m = -d.m;
  out->scale = d.scale;
  return 0;
}

int cq_dec_abs(cq_dec d, cq_dec *out, cq_error *err) {
  int rc = check(err, "cq_dec_abs", &d, NULL, 0, false, CQ_ROUND_DOWN, false, out);
  if (rc) return rc;
  if (d.m == INT64_MIN) return op_fail(err, CQ_EOVERFLOW, "cq_dec_abs", &d, NULL, -1, -1);
  out->m = d.m < 0 ? -d.m : d.m;
  out->scale = d.scale;
  return 0;
}

/* ---- arithmetic ---------------------------------------------------------------------- */

static int add_sub(cq_dec a, cq_dec b, bool sub, cq_dec *out, cq_error *err) {
  const char *op = sub ? "cq_dec_sub" : "cq_dec_add";
  int rc = check(err, op, &a, &b, 0, false, CQ_ROUND_DOWN, false, out);
  if (rc) return rc;
  int64_t m;
  if (a.scale == b.scale) {
    bool o = sub ? __builtin_sub_overflow(a.m, b.m, &m) : __builtin_add_overflow(a.m, b.m, &m);
    if (o) return op_fail(err, CQ_EOVERFLOW, op, &a, &b, -1, -1);
    out->m = m;
    out->scale = a.scale;
    return 0;
  }
  /* Align in 128 bits: |m| * 10^18 < 2^123, and the sum of two such fits easily. */
  unsigned s = a.scale > b.scale ? a.scale : b.scale;
  i128 x = (i128)a.m * (i128)POW10[s - a.scale];
  i128 y = (i128)b.m * (i128)POW10[s - b.scale];
  i128 r = sub ? x - y : x + y;
  if (r > INT64_MAX || r < INT64_MIN) return op_fail(err, CQ_EOVERFLOW, op, &a, &b, -1, -1);
  out->m = (int64_t)r;
  out->scale = (uint8_t)s;
  return 0;
}

int cq_dec_add(cq_dec a, cq_dec b, cq_dec *out, cq_error *err) {
  return add_sub(a, b, false, out, err);
}

int cq_dec_sub(cq_dec a, cq_dec b, cq_dec *out, cq_error *err) {
  return add_sub(a, b, true, out, err);
}

int cq_dec_mul(cq_dec a, cq_dec b, unsigned scale, cq_round mode, cq_dec *out, cq_error *err) {
  int rc = check(err, "cq_dec_mul", &a, &b, scale, true, mode, true, out);
  if (rc) return rc;
  bool neg = (a.m < 0) != (b.m < 0);
  u128 p = (u128)mag64(a.m) * mag64(b.m); /* exact: < 2^126 + 1 */
  unsigned ps = (unsigned)a.scale + b.scale;
  if (scale >= ps) {
    /* Scaling up by 10^k (k <= 18) only grows |p|; a p past int64 cannot come back. */
    if (p > limit(neg)) goto overflow;
    p *= POW10[scale - ps];
    if (p > limit(neg)) goto overflow;
    out->m = from_mag((uint64_t)p, neg);
    out->scale = (uint8_t)scale;
    return 0;
  }
  rc = finish(p, pow10_u128(ps - scale), neg, scale, mode, out);
  if (rc) return op_fail(err, rc, "cq_dec_mul", &a, &b, (int)scale, (int)mode);
  return 0;
overflow:
  return op_fail(err, CQ_EOVERFLOW, "cq_dec_mul", &a, &b, (int)scale, (int)mode);
}

int cq_dec_div(cq_dec a, cq_dec b, unsigned scale, cq_round mode, cq_dec *out, cq_error *err) {
  int rc = check(err, "cq_dec_div", &a, &b, scale, true, mode, true, out);
  if (rc) return rc;
  if (b.m == 0) return op_fail(err, CQ_EDIVZERO, "cq_dec_div", &a, &b, (int)scale, (int)mode);
  bool neg = (a.m < 0) != (b.m < 0);
  /* q = a.m * 10^e / b.m with e = scale - a.scale + b.scale, in -18..36. */
  int e = (int)scale - (int)a.scale + (int)b.scale;
  u128 n = mag64(a.m), d = mag64(b.m);
  if (e >= 0) {
    /* n >= 2^128 with d <= 2^63 means a quotient >= 2^65: out of range for certain. */
    if (__builtin_mul_overflow(n, pow10_u128((unsigned)e), &n))
      return op_fail(err, CQ_EOVERFLOW, "cq_dec_div", &a, &b, (int)scale, (int)mode);
  } else {
    d *= POW10[-e]; /* <= 2^63 * 10^18 < 2^123 */
  }
  rc = finish(n, d, neg, scale, mode, out);
  if (rc) return op_fail(err, rc, "cq_dec_div", &a, &b, (int)scale, (int)mode);
  return 0;
}

int cq_dec_round_step(cq_dec x, cq_dec step, cq_round mode, cq_dec *out, cq_error *err) {
  int rc = check(err, "cq_dec_round_step", &x, &step, 0, false, mode, true, out);
  if (rc) return rc;
  if (step.m <= 0) {
    char v[CQ_DEC_STRMAX];
    (void)cq_dec_format(step, v, sizeof v);
    return cq_error_set(err, CQ_EINVAL, "cq_dec_round_step: step %s is not positive", v);
  }
  bool neg = x.m < 0;
  unsigned s = x.scale > step.scale ? x.scale : step.scale;
  u128 n = (u128)mag64(x.m) * POW10[s - x.scale];
  u128 d = (u128)(uint64_t)step.m * POW10[s - step.scale];
  u128 k;
  int rk = div_round(n, d, neg, mode, &k); /* k steps, magnitude */
  /* k * step.m: k < 2^64 keeps the product below 2^127; beyond that it cannot fit. */
  u128 mag = k >> 64 ? (u128)1 << 127 : k * (uint64_t)step.m;
  if (mag > limit(neg))
    rc = CQ_EOVERFLOW;
  else
    rc = rk;
  if (rc) return op_fail(err, rc, "cq_dec_round_step", &x, &step, -1, (int)mode);
  out->m = from_mag((uint64_t)mag, neg);
  out->scale = step.scale;
  return 0;
}
