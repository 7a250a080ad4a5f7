/* Property tests for cq_dec against references written here, independently of the
 * library: a formatter built on snprintf, rounding built on floor division in __int128
 * with an explicit half comparison, and glibc's printf("%.*f") as a source of exact
 * decimal text. Fixed seeds: every run checks the same values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cquant/core/decimal.h"

__extension__ typedef __int128 i128;

enum {
  N_ROUNDTRIP = 1000000,
  N_PRINTF = 200000,
  N_ARITH = 150000,
};

/* ---- a local PRNG (splitmix64) --------------------------------------------------------- */

typedef struct rng {
  uint64_t s;
} rng;

static uint64_t next(rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t below(rng *r, uint64_t n) {
  return next(r) % n;
}

static i128 p10(unsigned k) {
  i128 p = 1;
  while (k--) p *= 10;
  return p;
}

static int64_t rand_mantissa(rng *r) {
  static const int64_t EDGE[] = {INT64_MAX,
                                 INT64_MIN,
                                 INT64_MAX - 1,
                                 INT64_MIN + 1,
                                 0,
                                 1,
                                 -1,
                                 1000000000000000000,
                                 -1000000000000000000,
                                 999999999999999999,
                                 -999999999999999999,
                                 922337203685477580,
                                 -922337203685477580,
                                 5,
                                 -5};
  bool neg = next(r) & 1;
  switch (below(r, 10)) {
    case 0:
      return (int64_t)next(r); /* the whole range */
    case 1:
      return EDGE[below(r, sizeof EDGE / sizeof EDGE[0])];
    case 2: { /* next to the ends */
      int64_t off = (int64_t)below(r, 1000);
      return neg ? INT64_MIN + off : INT64_MAX - off;
    }
    case 3: { /* powers of ten, give or take one */
      int64_t v = (int64_t)p10((unsigned)below(r, 19)) + (int64_t)below(r, 3) - 1;
      return neg ? -v : v;
    }
    case 4: { /* trailing zeros */
      int64_t v = (int64_t)below(r, 100000) * (int64_t)p10((unsigned)below(r, 14));
      return neg ? -v : v;
    }
    case 5: { /* halves at some digit: ...5000 */
      int64_t v = ((int64_t)below(r, 1000000) * 10 + 5) * (int64_t)p10((unsigned)below(r, 12));
      return neg ? -v : v;
    }
    default: { /* every magnitude, evenly by bit length */
      unsigned bits = (unsigned)below(r, 64);
      int64_t v = bits ? (int64_t)(next(r) >> (64 - bits)) : 0;
      return neg ? -v : v;
    }
  }
}

static cq_dec rand_dec(rng *r) {
  cq_dec d = {rand_mantissa(r), (uint8_t)below(r, CQ_DEC_MAX_SCALE + 1)};
  return d;
}

/* ---- reference formatter ----------------------------------------------------------------- */

static void ref_format(cq_dec d, char *out, size_t n) {
  uint64_t mag = d.m < 0 ? 0 - (uint64_t)d.m : (uint64_t)d.m;
  uint64_t p = (uint64_t)p10(d.scale);
  char ip[32], frac[32];
  snprintf(ip, sizeof ip, "%s%llu", d.m < 0 ? "-" : "", (unsigned long long)(mag / p));
  snprintf(frac, sizeof frac, "%0*llu", (int)(d.scale % 20), (unsigned long long)(mag % p));
  size_t f = d.scale;
  while (f > 0 && frac[f - 1] == '0') f--;
  frac[f] = '\0';
  size_t il = strlen(ip);
  assert_true(il + 1 + f < n);
  memcpy(out, ip, il);
  if (f) {
    out[il] = '.';
    memcpy(out + il + 1, frac, f);
    il += 1 + f;
  }
  out[il] = '\0';
}

/* ---- format -> parse round trips --------------------------------------------------------- */

static void test_roundtrip(void **state) {
  (void)state;
  rng r = {0x5eed0001};
  char buf[CQ_DEC_STRMAX], buf2[CQ_DEC_STRMAX], ref[64], fixed[CQ_DEC_STRMAX], ex[80];
  for (long i = 0; i < N_ROUNDTRIP; i++) {
    cq_dec x = rand_dec(&r), y, z;
    size_t n = cq_dec_format(x, buf, sizeof buf);
    ref_format(x, ref, sizeof ref);
    if (strcmp(buf, ref) != 0)
      fail_msg("format {%lld, %u} = %s, reference %s", (long long)x.m, x.scale, buf, ref);
    assert_int_equal(n, strlen(buf));

    cq_error e;
    int rc = cq_dec_parse(buf, n, &y, &e);
    if (rc != 0) fail_msg("parse(format {%lld, %u}) = %s: %s", (long long)x.m, x.scale, buf, e.msg);
    assert_int_equal(cq_dec_cmp(x, y), 0);
    cq_dec nx = cq_dec_normalize(x);
    if (nx.m != y.m || nx.scale != y.scale)
      fail_msg("parse(%s) = {%lld, %u}, normalized {%lld, %u}", buf, (long long)y.m, y.scale,
               (long long)nx.m, nx.scale);
    cq_dec_format(y, buf2, sizeof buf2);
    assert_string_equal(buf, buf2);

    /* fixed at the own scale gives back the very same representation */
    int fn = cq_dec_format_fixed(x, x.scale, fixed, sizeof fixed, NULL);
    assert_true(fn > 0);
    assert_int_equal(cq_dec_parse(fixed, (size_t)fn, &z, NULL), 0);
    if (z.m != x.m || z.scale != x.scale)
      fail_msg("parse(%s) = {%lld, %u}, want {%lld, %u}", fixed, (long long)z.m, z.scale,
               (long long)x.m, x.scale);

    /* the same digits as mantissa and exponent: "-12.345" -> "-12345E-0003" */
    size_t w = 0;
    unsigned nfrac = 0;
    bool in_frac = false;
    for (size_t k = 0; k < n; k++) {
      if (buf[k] == '.') {
        in_frac = true;
        continue;
      }
      ex[w++] = buf[k];
      nfrac += in_frac;
    }
    snprintf(ex + w, sizeof ex - w, (i & 1) ? "E-%04u" : "e-%u", nfrac);
    assert_int_equal(cq_dec_parse_cstr(ex, &z, NULL), 0);
    if (z.m != nx.m || z.scale != nx.scale) fail_msg("parse(%s) != %s", ex, buf);
  }
}

/* ---- printf("%.*f") text against the exact binary value ------------------------------------ */

/* x = m2 * 2^e exactly; the reference is round_half_even(m2 * 2^e * 10^prec). */
static i128 ref_printf_mantissa(uint64_t m2, int e, unsigned prec, bool neg) {
  i128 n = (i128)m2 * p10(prec); /* < 2^53 * 10^18 < 2^113 */
  if (e >= 0) {
    n <<= e;
  } else {
    unsigned sh = (unsigned)-e;
    i128 q = n >> sh, rem = n - (q << sh), half = (i128)1 << (sh - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    n = q;
  }
  return neg ? -n : n;
}

static void test_printf_strings(void **state) {
  (void)state;
  rng r = {0x5eed0002};
  char buf[128];
  long fitted = 0, reduced = 0, overflowed = 0;
  for (long i = 0; i < N_PRINTF; i++) {
    uint64_t m2 = (next(&r) >> 11) | 1; /* 53 bits, odd: x has exactly this mantissa */
    int e = (int)below(&r, 100) - 90;   /* about 1e-12 .. 1e19 */
    unsigned prec = (unsigned)below(&r, CQ_DEC_MAX_SCALE + 1);
    bool neg = next(&r) & 1;
    double x = ldexp((double)m2, e);
    if (neg) x = -x;
    int n = snprintf(buf, sizeof buf, "%.*f", (int)prec, x);
    i128 want = ref_printf_mantissa(m2, e, prec, neg);

    /* where the reference fits at all: strip zeros down to the smallest exact scale */
    i128 w = want;
    unsigned min_scale = prec;
    while (min_scale > 0 && w % 10 == 0) {
      w /= 10;
      min_scale--;
    }
    bool fits = w >= INT64_MIN && w <= INT64_MAX;

    cq_dec d;
    cq_error err;
    int rc = cq_dec_parse(buf, (size_t)n, &d, &err);
    if (!fits) {
      if (rc != CQ_EOVERFLOW) fail_msg("parse(%s): rc %s, want EOVERFLOW", buf, cq_errname(rc));
      overflowed++;
      continue;
    }
    if (rc != 0) fail_msg("parse(%s): %s", buf, err.msg);
    /* the largest scale <= prec that holds it */
    unsigned sc = min_scale;
    while (sc < prec && w * 10 >= INT64_MIN && w * 10 <= INT64_MAX) {
      w *= 10;
      sc++;
    }
    if (d.m != (int64_t)w || d.scale != sc)
      fail_msg("parse(%s) = {%lld, %u}, want {%lld, %u}", buf, (long long)d.m, d.scale,
               (long long)w, sc);
    if (sc == prec) {
      fitted++;
    } else {
      reduced++;
    }
  }
  assert_true(fitted > N_PRINTF / 2);
  assert_true(reduced > 100);
  assert_true(overflowed > 100);
}

/* ---- arithmetic against __int128 ------------------------------------------------------------ */

typedef struct stats {
  long ok, overflow, inexact, ties;
} stats;

/* N / D rounded by mode, by floor division and an explicit half comparison. For
 * UNNECESSARY the result is truncated toward zero and *inexact says whether it had to be. */
static i128 ref_round(i128 num, i128 den, cq_round mode, bool *inexact, stats *st) {
  if (den < 0) {
    num = -num;
    den = -den;
  }
  i128 fl = num / den, r = num % den;
  if (r < 0) {
    fl -= 1;
    r += den;
  }
  *inexact = r != 0;
  if (r == 0) return fl;
  i128 ce = fl + 1;
  bool pos = num > 0;
  i128 twice = 2 * r; /* r < den <= 10^36 * 2^63 / 10^18: no overflow */
  if (twice == den) st->ties++;
  switch (mode) {
    case CQ_ROUND_FLOOR:
      return fl;
    case CQ_ROUND_CEIL:
      return ce;
    case CQ_ROUND_DOWN:
      return pos ? fl : ce;
    case CQ_ROUND_UP:
      return pos ? ce : fl;
    case CQ_ROUND_HALF_UP:
      if (twice != den) return twice < den ? fl : ce;
      return pos ? ce : fl;
    case CQ_ROUND_HALF_EVEN:
      if (twice != den) return twice < den ? fl : ce;
      return fl % 2 == 0 ? fl : ce;
    case CQ_ROUND_UNNECESSARY:
      return pos ? fl : ce;
    default:
      fail_msg("bad mode");
      return 0;
  }
}

static int ref_code(i128 v, bool inexact, cq_round mode) {
  if (v > INT64_MAX || v < INT64_MIN) return CQ_EOVERFLOW;
  if (inexact && mode == CQ_ROUND_UNNECESSARY) return CQ_EINEXACT;
  return 0;
}

static void expect(const char *op, cq_dec a, cq_dec b, unsigned scale, cq_round mode, int rc,
                   cq_dec got, const cq_error *err, int want_rc, i128 want, unsigned want_scale,
                   stats *st) {
  if (rc != want_rc || (rc == 0 && (got.m != (int64_t)want || got.scale != want_scale))) {
    char sa[CQ_DEC_STRMAX], sb[CQ_DEC_STRMAX];
    cq_dec_format(a, sa, sizeof sa);
    cq_dec_format(b, sb, sizeof sb);
    fail_msg("%s(%s {%lld,%u}, %s {%lld,%u}, scale %u, %s): rc %s {%lld,%u}, want %s {%lld,%u}", op,
             sa, (long long)a.m, a.scale, sb, (long long)b.m, b.scale, scale, cq_round_name(mode),
             cq_errname(rc), (long long)got.m, got.scale, cq_errname(want_rc),
             (long long)(want_rc ? 0 : (int64_t)want), want_scale);
  }
  if (rc != 0 && err) assert_int_equal(err->code, rc);
  if (rc == 0) st->ok++;
  if (rc == CQ_EOVERFLOW) st->overflow++;
  if (rc == CQ_EINEXACT) st->inexact++;
}

static void test_arith_reference(void **state) {
  (void)state;
  rng r = {0x5eed0003};
  stats st = {0, 0, 0, 0};
  for (long i = 0; i < N_ARITH; i++) {
    cq_dec a = rand_dec(&r), b = rand_dec(&r);
    if (below(&r, 4) == 0) { /* nearby scales round more often at interesting digits */
      b.scale = (uint8_t)(a.scale / 2);
    }
    cq_error err;
    cq_error_clear(&err);
    cq_error *ep = (i % 8 == 0) ? &err : NULL;
    cq_dec out = CQ_DEC(0, 0);
    bool inexact;

    /* add / sub: exact at the larger scale */
    unsigned s = a.scale > b.scale ? a.scale : b.scale;
    i128 x = (i128)a.m * p10(s - a.scale), y = (i128)b.m * p10(s - b.scale);
    int rc = cq_dec_add(a, b, &out, ep);
    expect("add", a, b, s, CQ_ROUND_DOWN, rc, out, ep, ref_code(x + y, false, CQ_ROUND_DOWN), x + y,
           s, &st);
    rc = cq_dec_sub(a, b, &out, ep);
    expect("sub", a, b, s, CQ_ROUND_DOWN, rc, out, ep, ref_code(x - y, false, CQ_ROUND_DOWN), x - y,
           s, &st);

    for (int mi = 0; mi < CQ_ROUND_COUNT; mi++) {
      cq_round mode = (cq_round)mi;
      /* mostly near the natural scale of the result, sometimes anywhere */
      unsigned ms =
          (unsigned)(below(&r, 3) == 0 ? below(&r, 19) : (a.scale + b.scale) / 2 + below(&r, 3));
      if (ms > CQ_DEC_MAX_SCALE) ms = CQ_DEC_MAX_SCALE;

      /* mul: a.m * b.m * 10^(ms - a.scale - b.scale) */
      i128 num = (i128)a.m * b.m, v;
      int ps = a.scale + b.scale, want_rc;
      if ((int)ms >= ps) {
        inexact = false;
        want_rc = __builtin_mul_overflow(num, p10(ms - (unsigned)ps), &v)
                      ? CQ_EOVERFLOW
                      : ref_code(v, false, mode);
      } else {
        v = ref_round(num, p10((unsigned)ps - ms), mode, &inexact, &st);
        want_rc = ref_code(v, inexact, mode);
      }
      rc = cq_dec_mul(a, b, ms, mode, &out, ep);
      expect("mul", a, b, ms, mode, rc, out, ep, want_rc, v, ms, &st);

      /* div: a.m * 10^(ms - a.scale + b.scale) / b.m */
      unsigned ds = (unsigned)(below(&r, 3) == 0 ? below(&r, 19) : a.scale + below(&r, 4));
      if (ds > CQ_DEC_MAX_SCALE) ds = CQ_DEC_MAX_SCALE;
      int e = (int)ds - a.scale + b.scale;
      rc = cq_dec_div(a, b, ds, mode, &out, ep);
      if (b.m == 0) {
        expect("div", a, b, ds, mode, rc, out, ep, CQ_EDIVZERO, 0, ds, &st);
      } else if (e >= 0 && __builtin_mul_overflow((i128)a.m, p10((unsigned)e), &num)) {
        /* |num| >= 2^127 and |b.m| <= 2^63: the quotient is at least 2^64 */
        expect("div", a, b, ds, mode, rc, out, ep, CQ_EOVERFLOW, 0, ds, &st);
      } else {
        i128 den = b.m;
        if (e < 0) {
          num = a.m;
          den = (i128)b.m * p10((unsigned)-e);
        }
        v = ref_round(num, den, mode, &inexact, &st);
        expect("div", a, b, ds, mode, rc, out, ep, ref_code(v, inexact, mode), v, ds, &st);
      }

      /* rescale */
      unsigned rs = (unsigned)below(&r, 19);
      if (rs >= a.scale) {
        v = (i128)a.m * p10(rs - a.scale);
        inexact = false;
      } else {
        v = ref_round(a.m, p10(a.scale - rs), mode, &inexact, &st);
      }
      rc = cq_dec_rescale(a, rs, mode, &out, ep);
      expect("rescale", a, b, rs, mode, rc, out, ep, ref_code(v, inexact, mode), v, rs, &st);

      /* round_step with a positive step */
      cq_dec step = b;
      if (step.m == INT64_MIN || step.m == 0) step.m = 1;
      if (step.m < 0) step.m = -step.m;
      unsigned ss = a.scale > step.scale ? a.scale : step.scale;
      i128 k = ref_round((i128)a.m * p10(ss - a.scale), (i128)step.m * p10(ss - step.scale), mode,
                         &inexact, &st);
      /* |k| <= 2^63 * 10^18 + 1 and step.m < 2^63: the product may pass 2^127 */
      want_rc =
          __builtin_mul_overflow(k, (i128)step.m, &v) ? CQ_EOVERFLOW : ref_code(v, inexact, mode);
      rc = cq_dec_round_step(a, step, mode, &out, ep);
      expect("round_step", a, step, step.scale, mode, rc, out, ep, want_rc, v, step.scale, &st);
    }
  }
  print_message("arith: %ld ok, %ld overflow, %ld inexact, %ld ties\n", st.ok, st.overflow,
                st.inexact, st.ties);
  assert_true(st.ok > 1000000);
  assert_true(st.overflow > 100000);
  assert_true(st.inexact > 100000);
  assert_true(st.ties > 10000);
}

/* every rounding of every tie-prone case agrees between mul, div and rescale */
static void test_ops_agree(void **state) {
  (void)state;
  rng r = {0x5eed0004};
  for (long i = 0; i < 100000; i++) {
    cq_dec a = rand_dec(&r);
    unsigned to = (unsigned)below(&r, 19);
    for (int mi = 0; mi < CQ_ROUND_COUNT; mi++) {
      cq_dec r1 = CQ_DEC(1, 0), r2 = CQ_DEC(2, 0), r3 = CQ_DEC(3, 0);
      int c1 = cq_dec_rescale(a, to, (cq_round)mi, &r1, NULL);
      int c2 = cq_dec_mul(a, CQ_DEC(1, 0), to, (cq_round)mi, &r2, NULL);
      int c3 = cq_dec_div(a, CQ_DEC(1, 0), to, (cq_round)mi, &r3, NULL);
      assert_int_equal(c1, c2);
      assert_int_equal(c1, c3);
      if (c1 == 0) {
        assert_true(r1.m == r2.m && r1.m == r3.m);
        assert_true(r1.scale == r2.scale && r1.scale == r3.scale);
      }
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_printf_strings),
      cmocka_unit_test(test_arith_reference),
      cmocka_unit_test(test_ops_agree),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
