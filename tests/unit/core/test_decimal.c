/* Hand cases for cq_dec: every parse form and rejection, formatting, every rounding mode
 * through every operation that rounds, scale alignment, and the overflow edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cquant/core/decimal.h"

#define DOWN CQ_ROUND_DOWN
#define UP CQ_ROUND_UP
#define FLOOR CQ_ROUND_FLOOR
#define CEIL CQ_ROUND_CEIL
#define HUP CQ_ROUND_HALF_UP
#define HEVEN CQ_ROUND_HALF_EVEN
#define EXACT CQ_ROUND_UNNECESSARY

/* ---- helpers ----------------------------------------------------------------------- */

static cq_dec P(const char *s) {
  cq_dec d = CQ_DEC(0, 0);
  cq_error e;
  cq_error_clear(&e);
  int rc = cq_dec_parse_cstr(s, &d, &e);
  if (rc != 0) fail_msg("parse \"%s\" failed: %s", s, e.msg);
  return d;
}

static const char *F(cq_dec d) {
  static char buf[4][CQ_DEC_STRMAX];
  static int i;
  i = (i + 1) % 4;
  size_t n = cq_dec_format(d, buf[i], sizeof buf[i]);
  assert_int_equal(n, strlen(buf[i]));
  return buf[i];
}

static void parse_ok(const char *s, int64_t m, unsigned scale) {
  cq_dec d = CQ_DEC(-77, 7);
  cq_error e;
  cq_error_clear(&e);
  e.code = 12345; /* must stay untouched on success */
  int rc = cq_dec_parse(s, strlen(s), &d, &e);
  if (rc != 0) fail_msg("parse \"%s\": rc %s (%s)", s, cq_errname(rc), e.msg);
  if (d.m != m || d.scale != scale)
    fail_msg("parse \"%s\": got {%lld, %u}, want {%lld, %u}", s, (long long)d.m, d.scale,
             (long long)m, scale);
  assert_int_equal(e.code, 12345);
}

static void parse_bad_n(const char *s, size_t len, int code, int column) {
  cq_dec d = CQ_DEC(-77, 7);
  cq_error e;
  cq_error_clear(&e);
  int rc = cq_dec_parse(s, len, &d, &e);
  if (rc != code)
    fail_msg("parse \"%.*s\": rc %s, want %s (%s)", (int)len, s, cq_errname(rc), cq_errname(code),
             e.msg);
  assert_int_equal(e.code, code);
  if (e.column != column)
    fail_msg("parse \"%.*s\": column %d, want %d (%s)", (int)len, s, e.column, column, e.msg);
  if (code == CQ_EPARSE) {
    char want[32];
    snprintf(want, sizeof want, "column %d", column);
    if (!strstr(e.msg, want)) fail_msg("message lacks \"%s\": %s", want, e.msg);
  }
  assert_true(e.msg[0] != '\0');
  /* out untouched on failure */
  assert_int_equal(d.m, -77);
  assert_int_equal(d.scale, 7);
  /* a NULL error is fine too */
  assert_int_equal(cq_dec_parse(s, len, &d, NULL), code);
}

static void parse_bad(const char *s, int code, int column) {
  parse_bad_n(s, strlen(s), code, column);
}

static void fmt_is(cq_dec d, const char *want) {
  assert_string_equal(F(d), want);
}

static void dec_is(cq_dec got, int64_t m, unsigned scale) {
  if (got.m != m || got.scale != scale)
    fail_msg("got {%lld, %u}, want {%lld, %u}", (long long)got.m, got.scale, (long long)m, scale);
}

/* ---- parsing ----------------------------------------------------------------------- */

static void test_parse_forms(void **state) {
  (void)state;
  parse_ok("0.00001000", 1000, 8);
  parse_ok("1e-8", 1, 8);
  parse_ok("1E-8", 1, 8);
  parse_ok("-12.5", -125, 1);
  parse_ok("+3", 3, 0);
  parse_ok(".5", 5, 1);
  parse_ok("-.5", -5, 1);
  parse_ok("5.", 5, 0);
  parse_ok("5.e2", 500, 0);
  parse_ok("1.5e3", 1500, 0);
  parse_ok("1.5E+3", 1500, 0);
  parse_ok("1.5e-3", 15, 4);
  parse_ok("1.50e1", 150, 1);
  parse_ok("1e3", 1000, 0);
  parse_ok("1e0", 1, 0);
  parse_ok("0", 0, 0);
  parse_ok("-0", 0, 0);
  parse_ok("+0", 0, 0);
  parse_ok("-0.00", 0, 2);
  parse_ok("0e100", 0, 0);
  parse_ok("0e-100", 0, 18);
  parse_ok("0.000000000000000000000000", 0, 18);
  parse_ok("43251.17000000", 4325117000000, 8);
  parse_ok("00012.3400", 123400, 4);
  parse_ok("0000000000000000000000000001.5", 15, 1);
  parse_ok("0.000000000000000001", 1, 18);
  parse_ok("5e-18", 5, 18);
  parse_ok("50e-19", 5, 18);
  parse_ok("123456789012345678.9", 1234567890123456789, 1);
  parse_ok("9223372036854775807", INT64_MAX, 0);
  parse_ok("-9223372036854775808", INT64_MIN, 0);
  parse_ok("9.223372036854775807", INT64_MAX, 18);
  parse_ok("-9.223372036854775808", INT64_MIN, 18);
  parse_ok("922337203685477580.7e1", INT64_MAX, 0);
  /* beyond scale 18 or beyond the mantissa, trailing zeros go, as few as possible */
  parse_ok("1.0000000000000000000000", 1000000000000000000, 18);
  parse_ok("10.000000000000000000", 1000000000000000000, 17);
  parse_ok("1000000000000000000.0", 1000000000000000000, 0);
  parse_ok("9223372036854775807.000000000000000000000", INT64_MAX, 0);
  parse_ok("0.10000000000000000000000000000000000000000000000000", 100000000000000000, 18);
  parse_ok("1e18", 1000000000000000000, 0);
  parse_ok("922337203685477580.0000000000000000000000", 9223372036854775800, 1);
  parse_ok("-922337203685477580.80000", INT64_MIN, 1);
  /* exactly len bytes are read: no NUL needed */
  cq_dec d;
  assert_int_equal(cq_dec_parse("12.5xyz", 4, &d, NULL), 0);
  dec_is(d, 125, 1);
}

static void test_parse_rejects(void **state) {
  (void)state;
  parse_bad("", CQ_EPARSE, 1);
  parse_bad("-", CQ_EPARSE, 2);
  parse_bad("+", CQ_EPARSE, 2);
  parse_bad(".", CQ_EPARSE, 2);
  parse_bad("-.", CQ_EPARSE, 3);
  parse_bad("1.2.3", CQ_EPARSE, 4);
  parse_bad("..5", CQ_EPARSE, 2);
  parse_bad("abc", CQ_EPARSE, 1);
  parse_bad("12a", CQ_EPARSE, 3);
  parse_bad("1x5", CQ_EPARSE, 2);
  parse_bad("nan", CQ_EPARSE, 1);
  parse_bad("NaN", CQ_EPARSE, 1);
  parse_bad("-nan", CQ_EPARSE, 2);
  parse_bad("inf", CQ_EPARSE, 1);
  parse_bad("-inf", CQ_EPARSE, 2);
  parse_bad("+Infinity", CQ_EPARSE, 2);
  parse_bad(" 1", CQ_EPARSE, 1);
  parse_bad("1 ", CQ_EPARSE, 2);
  parse_bad("1 2", CQ_EPARSE, 2);
  parse_bad("\t1", CQ_EPARSE, 1);
  parse_bad("1\n", CQ_EPARSE, 2);
  parse_bad("- 1", CQ_EPARSE, 2);
  parse_bad("1.5x", CQ_EPARSE, 4);
  parse_bad("1e5x", CQ_EPARSE, 4);
  parse_bad("1.5e3.2", CQ_EPARSE, 6);
  parse_bad("1e", CQ_EPARSE, 3);
  parse_bad("1e+", CQ_EPARSE, 4);
  parse_bad("1E-", CQ_EPARSE, 4);
  parse_bad("1ex", CQ_EPARSE, 3);
  parse_bad("1e 5", CQ_EPARSE, 3);
  parse_bad("e5", CQ_EPARSE, 1);
  parse_bad(".e5", CQ_EPARSE, 2);
  parse_bad("--1", CQ_EPARSE, 2);
  parse_bad("+-1", CQ_EPARSE, 2);
  parse_bad("0x10", CQ_EPARSE, 2);
  parse_bad("1,000", CQ_EPARSE, 2);
  parse_bad("1_000", CQ_EPARSE, 2);
  parse_bad("12345678901234567890123.5z", CQ_EPARSE, 26);
  parse_bad_n("1\0", 2, CQ_EPARSE, 2);
  parse_bad("\xff", CQ_EPARSE, 1);

  /* representable or not: never rounded */
  parse_bad("9223372036854775808", CQ_EOVERFLOW, 0);
  parse_bad("-9223372036854775809", CQ_EOVERFLOW, 0);
  parse_bad("92233720368547758.08", CQ_EOVERFLOW, 0);
  parse_bad("922337203685477580.80000", CQ_EOVERFLOW, 0);
  parse_bad("1e19", CQ_EOVERFLOW, 0);
  parse_bad("10000000000000000000", CQ_EOVERFLOW, 0);
  parse_bad("123456789012345678901234567890", CQ_EOVERFLOW, 0);
  parse_bad("1e999999999999999999999", CQ_EOVERFLOW, 0);
  parse_bad("0.0000000000000000001", CQ_EINEXACT, 0);
  parse_bad("1e-19", CQ_EINEXACT, 0);
  parse_bad("1.0000000000000000001", CQ_EINEXACT, 0);
  parse_bad("0.1234567890123456789", CQ_EINEXACT, 0);
  parse_bad("1e-99999999999", CQ_EINEXACT, 0);
  parse_bad("123456789012345678901234567890.1234567890123456789", CQ_EINEXACT, 0);

  cq_dec d;
  cq_error e;
  assert_int_equal(cq_dec_parse(NULL, 3, &d, &e), CQ_EINVAL);
  assert_int_equal(cq_dec_parse("1", 1, NULL, &e), CQ_EINVAL);
  assert_int_equal(cq_dec_parse_cstr(NULL, &d, &e), CQ_EINVAL);
  assert_int_equal(cq_dec_parse(NULL, 0, &d, &e), CQ_EPARSE);
  assert_int_equal(e.column, 1);
}

static void test_parse_messages(void **state) {
  (void)state;
  cq_dec d;
  cq_error e;
  assert_int_equal(cq_dec_parse_cstr("12a", &d, &e), CQ_EPARSE);
  assert_string_equal(e.msg,
                      "invalid decimal \"12a\": expected the end of the number, got 'a' "
                      "at column 3");
  assert_int_equal(cq_dec_parse_cstr("1.2.3", &d, &e), CQ_EPARSE);
  assert_non_null(strstr(e.msg, "second decimal point"));
  assert_int_equal(cq_dec_parse_cstr("-inf", &d, &e), CQ_EPARSE);
  assert_non_null(strstr(e.msg, "NaN and infinity"));
  assert_int_equal(cq_dec_parse_cstr("1e", &d, &e), CQ_EPARSE);
  assert_non_null(strstr(e.msg, "exponent, got end of input"));
  assert_int_equal(cq_dec_parse_cstr("", &d, &e), CQ_EPARSE);
  assert_non_null(strstr(e.msg, "expected a digit, got end of input"));
  assert_int_equal(cq_dec_parse_cstr("1e-19", &d, &e), CQ_EINEXACT);
  assert_non_null(strstr(e.msg, "beyond 18 fraction digits"));
  assert_int_equal(cq_dec_parse_cstr("1e19", &d, &e), CQ_EOVERFLOW);
  assert_non_null(strstr(e.msg, "out of range"));
  assert_int_equal(cq_dec_parse_cstr("1\x01", &d, &e), CQ_EPARSE);
  assert_non_null(strstr(e.msg, "\"1\\x01\""));
  assert_non_null(strstr(e.msg, "byte 0x01"));
  /* long input is shown shortened */
  char big[200];
  memset(big, '7', sizeof big - 2);
  big[sizeof big - 2] = 'z';
  big[sizeof big - 1] = '\0';
  assert_int_equal(cq_dec_parse_cstr(big, &d, &e), CQ_EPARSE);
  assert_int_equal(e.column, 199);
  assert_non_null(strstr(e.msg, "...\""));
  /* unprintable bytes are escaped, four characters each */
  memset(big, 0x01, sizeof big - 1);
  assert_int_equal(cq_dec_parse(big, sizeof big - 1, &d, &e), CQ_EPARSE);
  assert_int_equal(e.column, 1);
  assert_non_null(strstr(e.msg, "\\x01\\x01"));
  assert_non_null(strstr(e.msg, "...\""));
}

/* ---- formatting -------------------------------------------------------------------- */

static void test_format(void **state) {
  (void)state;
  fmt_is(CQ_DEC(0, 0), "0");
  fmt_is(CQ_DEC(0, 5), "0");
  fmt_is(CQ_DEC(-5, 1), "-0.5");
  fmt_is(CQ_DEC(1000, 8), "0.00001");
  fmt_is(CQ_DEC(12, 0), "12");
  fmt_is(CQ_DEC(1200, 2), "12");
  fmt_is(CQ_DEC(-1200, 2), "-12");
  fmt_is(CQ_DEC(123, 1), "12.3");
  fmt_is(CQ_DEC(4325117000000, 8), "43251.17");
  fmt_is(CQ_DEC(INT64_MIN, 0), "-9223372036854775808");
  fmt_is(CQ_DEC(INT64_MAX, 0), "9223372036854775807");
  fmt_is(CQ_DEC(INT64_MIN, 18), "-9.223372036854775808");
  fmt_is(CQ_DEC(INT64_MAX, 18), "9.223372036854775807");
  fmt_is(CQ_DEC(-1, 18), "-0.000000000000000001");
  fmt_is(CQ_DEC(1000000000000000000, 18), "1");
  fmt_is(CQ_DEC(INT64_MIN, 3), "-9223372036854775.808");
  assert_int_equal(strlen("-0.000000000000000001") + 1 <= CQ_DEC_STRMAX, 1);

  /* snprintf-like truncation */
  char small[4];
  assert_int_equal(cq_dec_format(CQ_DEC(-125, 1), small, sizeof small), 5);
  assert_string_equal(small, "-12");
  assert_int_equal(cq_dec_format(CQ_DEC(-125, 1), NULL, 0), 5);
  /* invalid scale: empty */
  char buf[CQ_DEC_STRMAX];
  assert_int_equal(cq_dec_format(CQ_DEC(1, 19), buf, sizeof buf), 0);
  assert_string_equal(buf, "");
}

static void fixed_is(cq_dec d, unsigned scale, const char *want) {
  char buf[CQ_DEC_STRMAX];
  cq_error e;
  int n = cq_dec_format_fixed(d, scale, buf, sizeof buf, &e);
  if (n < 0) fail_msg("format_fixed: %s", e.msg);
  assert_string_equal(buf, want);
  assert_int_equal(n, strlen(want));
}

static void test_format_fixed(void **state) {
  (void)state;
  fixed_is(CQ_DEC(4325117, 2), 8, "43251.17000000");
  fixed_is(CQ_DEC(4325117000000, 8), 2, "43251.17");
  fixed_is(CQ_DEC(5, 0), 2, "5.00");
  fixed_is(CQ_DEC(-5, 1), 3, "-0.500");
  fixed_is(CQ_DEC(1000, 8), 5, "0.00001");
  fixed_is(CQ_DEC(1000, 8), 8, "0.00001000");
  fixed_is(CQ_DEC(1200, 2), 0, "12");
  fixed_is(CQ_DEC(0, 3), 0, "0");
  fixed_is(CQ_DEC(0, 0), 4, "0.0000");
  fixed_is(CQ_DEC(INT64_MIN, 0), 18, "-9223372036854775808.000000000000000000");
  fixed_is(CQ_DEC(INT64_MIN, 18), 18, "-9.223372036854775808");

  char buf[CQ_DEC_STRMAX];
  cq_error e;
  assert_int_equal(cq_dec_format_fixed(CQ_DEC(1001, 8), 5, buf, sizeof buf, &e), CQ_EINEXACT);
  assert_string_equal(buf, "");
  assert_non_null(strstr(e.msg, "0.00001001"));
  assert_int_equal(cq_dec_format_fixed(CQ_DEC(1, 0), 19, buf, sizeof buf, &e), CQ_EINVAL);
  assert_int_equal(cq_dec_format_fixed(CQ_DEC(1, 20), 2, buf, sizeof buf, &e), CQ_EINVAL);
  assert_int_equal(cq_dec_format_fixed(CQ_DEC(125, 1), 2, buf, 5, &e), CQ_ELIMIT);
  assert_string_equal(buf, "");
  assert_int_equal(cq_dec_format_fixed(CQ_DEC(125, 1), 2, buf, 6, &e), 5);
  assert_string_equal(buf, "12.50");
  assert_int_equal(cq_dec_format_fixed(CQ_DEC(125, 1), 2, NULL, 0, &e), CQ_EINVAL);
}

/* ---- comparison, normalize, neg ------------------------------------------------------ */

static void test_cmp_normalize(void **state) {
  (void)state;
  assert_int_equal(cq_dec_cmp(P("1.5"), P("1.50000")), 0);
  assert_true(cq_dec_eq(P("1.5"), P("15e-1")));
  assert_int_equal(cq_dec_cmp(P("1.5"), P("1.500001")), -1);
  assert_int_equal(cq_dec_cmp(P("-1.5"), P("-1.500001")), 1);
  assert_int_equal(cq_dec_cmp(CQ_DEC(INT64_MAX, 0), CQ_DEC(INT64_MAX, 18)), 1);
  assert_int_equal(cq_dec_cmp(CQ_DEC(INT64_MIN, 0), CQ_DEC(INT64_MIN, 18)), -1);
  assert_int_equal(cq_dec_cmp(CQ_DEC(INT64_MIN, 18), CQ_DEC(INT64_MIN, 0)), 1);
  assert_int_equal(cq_dec_cmp(CQ_DEC(0, 0), CQ_DEC(0, 18)), 0);
  assert_int_equal(cq_dec_cmp(CQ_DEC(1, 18), CQ_DEC(0, 0)), 1);
  assert_int_equal(cq_dec_cmp(CQ_DEC(-1, 18), CQ_DEC(0, 0)), -1);
  /* 9223372036854775807e-18 vs 9.223372036854775806 */
  assert_int_equal(cq_dec_cmp(CQ_DEC(INT64_MAX, 18), CQ_DEC(9223372036854775806, 18)), 1);
  assert_true(cq_dec_is_zero(P("-0.000")));
  assert_int_equal(cq_dec_sign(P("-0.001")), -1);
  assert_int_equal(cq_dec_sign(P("0")), 0);
  assert_int_equal(cq_dec_sign(P("3")), 1);
  assert_true(cq_dec_valid(CQ_DEC(1, 18)));
  assert_false(cq_dec_valid(CQ_DEC(1, 19)));

  dec_is(cq_dec_normalize(P("0.00001000")), 1, 5);
  dec_is(cq_dec_normalize(P("-12.500")), -125, 1);
  dec_is(cq_dec_normalize(P("1200")), 1200, 0);
  dec_is(cq_dec_normalize(P("0.000")), 0, 0);
  dec_is(cq_dec_normalize(CQ_DEC(INT64_MIN, 18)), INT64_MIN, 18);
  dec_is(cq_dec_from_int(-42), -42, 0);

  assert_true(cq_dec_to_double(P("0.1")) == 0.1);
  assert_true(cq_dec_to_double(P("-43251.17")) == -43251.17);
  assert_true(cq_dec_to_double(P("1e-8")) == 1e-8);

  cq_dec r;
  cq_error e;
  assert_int_equal(cq_dec_neg(P("1.50"), &r, &e), 0);
  dec_is(r, -150, 2);
  assert_int_equal(cq_dec_neg(CQ_DEC(0, 3), &r, &e), 0);
  dec_is(r, 0, 3);
  assert_int_equal(cq_dec_neg(CQ_DEC(INT64_MAX, 2), &r, &e), 0);
  dec_is(r, -INT64_MAX, 2);
  assert_int_equal(cq_dec_neg(CQ_DEC(INT64_MIN, 2), &r, &e), CQ_EOVERFLOW);
  assert_non_null(strstr(e.msg, "cq_dec_neg(-92233720368547758.08)"));
  assert_int_equal(cq_dec_abs(CQ_DEC(-5, 1), &r, &e), 0);
  dec_is(r, 5, 1);
  assert_int_equal(cq_dec_abs(CQ_DEC(INT64_MIN, 0), &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_neg(CQ_DEC(1, 19), &r, &e), CQ_EINVAL);
  assert_int_equal(cq_dec_neg(CQ_DEC(1, 1), NULL, &e), CQ_EINVAL);
  assert_string_equal(cq_round_name(CQ_ROUND_HALF_EVEN), "half_even");
  assert_string_equal(cq_round_name((cq_round)99), "?");
}

/* ---- rounding: one table, every operation that rounds ---------------------------------- */

typedef struct round_case {
  const char *x;
  unsigned scale;
  const char *want[CQ_ROUND_COUNT]; /* NULL: CQ_EINEXACT */
} round_case;

static const round_case ROUND_CASES[] = {
    /*        x          scale  down    up      floor   ceil    half_up half_even unnecessary */
    {"2.5", 0, {"2", "3", "2", "3", "3", "2", NULL}},
    {"-2.5", 0, {"-2", "-3", "-3", "-2", "-3", "-2", NULL}},
    {"3.5", 0, {"3", "4", "3", "4", "4", "4", NULL}},
    {"-3.5", 0, {"-3", "-4", "-4", "-3", "-4", "-4", NULL}},
    {"2.4999", 0, {"2", "3", "2", "3", "2", "2", NULL}},
    {"-2.4999", 0, {"-2", "-3", "-3", "-2", "-2", "-2", NULL}},
    {"2.5001", 0, {"2", "3", "2", "3", "3", "3", NULL}},
    {"-2.5001", 0, {"-2", "-3", "-3", "-2", "-3", "-3", NULL}},
    {"0.4", 0, {"0", "1", "0", "1", "0", "0", NULL}},
    {"-0.4", 0, {"0", "-1", "-1", "0", "0", "0", NULL}},
    {"-0.5", 0, {"0", "-1", "-1", "0", "-1", "0", NULL}},
    {"2.000", 0, {"2", "2", "2", "2", "2", "2", "2"}},
    {"-2.000", 0, {"-2", "-2", "-2", "-2", "-2", "-2", "-2"}},
    {"1.05", 1, {"1", "1.1", "1", "1.1", "1.1", "1", NULL}},
    {"-1.05", 1, {"-1", "-1.1", "-1.1", "-1", "-1.1", "-1", NULL}},
    {"1.15", 1, {"1.1", "1.2", "1.1", "1.2", "1.2", "1.2", NULL}},
    {"-1.15", 1, {"-1.1", "-1.2", "-1.2", "-1.1", "-1.2", "-1.2", NULL}},
    {"0.125", 2, {"0.12", "0.13", "0.12", "0.13", "0.13", "0.12", NULL}},
    {"0.135", 2, {"0.13", "0.14", "0.13", "0.14", "0.14", "0.14", NULL}},
    {"43251.17499999",
     2,
     {"43251.17", "43251.18", "43251.17", "43251.18", "43251.17", "43251.17", NULL}},
    {"-922337203685477.5805",
     3,
     {"-922337203685477.58", "-922337203685477.581", "-922337203685477.581", "-922337203685477.58",
      "-922337203685477.581", "-922337203685477.58", NULL}},
    {"922337203685477.5807",
     3,
     {"922337203685477.58", "922337203685477.581", "922337203685477.58", "922337203685477.581",
      "922337203685477.581", "922337203685477.581", NULL}},
};

static void expect_round(const char *what, const round_case *c, int mode, int rc, cq_dec r,
                         const cq_error *e) {
  const char *want = c->want[mode];
  if (!want) {
    if (rc != CQ_EINEXACT)
      fail_msg("%s(%s, scale %u, %s): rc %s, want EINEXACT", what, c->x, c->scale,
               cq_round_name((cq_round)mode), cq_errname(rc));
    return;
  }
  if (rc != 0)
    fail_msg("%s(%s, scale %u, %s): %s", what, c->x, c->scale, cq_round_name((cq_round)mode),
             e->msg);
  if (strcmp(F(r), want) != 0)
    fail_msg("%s(%s, scale %u, %s) = %s, want %s", what, c->x, c->scale,
             cq_round_name((cq_round)mode), F(r), want);
}

static void test_rounding_modes(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof ROUND_CASES / sizeof ROUND_CASES[0]; i++) {
    const round_case *c = &ROUND_CASES[i];
    cq_dec x = P(c->x);
    cq_dec one = CQ_DEC(1, 0), one_s = CQ_DEC(10000, 4);
    cq_dec step = CQ_DEC(1, (uint8_t)c->scale);
    for (int mode = 0; mode < CQ_ROUND_COUNT; mode++) {
      cq_dec r = CQ_DEC(0, 0);
      cq_error e;
      int rc = cq_dec_rescale(x, c->scale, (cq_round)mode, &r, &e);
      expect_round("rescale", c, mode, rc, r, &e);
      if (rc == 0) assert_int_equal(r.scale, c->scale);
      rc = cq_dec_mul(x, one, c->scale, (cq_round)mode, &r, &e);
      expect_round("mul", c, mode, rc, r, &e);
      rc = cq_dec_mul(one_s, x, c->scale, (cq_round)mode, &r, &e);
      expect_round("mul", c, mode, rc, r, &e);
      rc = cq_dec_div(x, one, c->scale, (cq_round)mode, &r, &e);
      expect_round("div", c, mode, rc, r, &e);
      rc = cq_dec_div(x, one_s, c->scale, (cq_round)mode, &r, &e);
      expect_round("div", c, mode, rc, r, &e);
      rc = cq_dec_round_step(x, step, (cq_round)mode, &r, &e);
      expect_round("round_step", c, mode, rc, r, &e);
      if (rc == 0) assert_int_equal(r.scale, c->scale);
    }
  }
}

/* ---- add / sub ----------------------------------------------------------------------- */

static void add_is(const char *a, const char *b, int64_t m, unsigned scale) {
  cq_dec r;
  cq_error e;
  if (cq_dec_add(P(a), P(b), &r, &e) != 0) fail_msg("%s + %s: %s", a, b, e.msg);
  dec_is(r, m, scale);
  /* a + b - b == a, same scale as the sum */
  cq_dec back;
  assert_int_equal(cq_dec_sub(r, P(b), &back, &e), 0);
  assert_int_equal(cq_dec_cmp(back, P(a)), 0);
}

static void test_add_sub(void **state) {
  (void)state;
  add_is("1.5", "0.25", 175, 2);
  add_is("1", "0.001", 1001, 3);
  add_is("0.001", "1", 1001, 3);
  add_is("0.1", "0.2", 3, 1);
  add_is("-0.1", "0.1", 0, 1);
  add_is("43251.17000000", "-0.01", 4325116000000, 8);
  add_is("1e-18", "-1", -999999999999999999, 18);

  cq_dec r;
  cq_error e;
  assert_int_equal(cq_dec_sub(P("0.3"), P("0.1"), &r, &e), 0);
  dec_is(r, 2, 1);
  assert_int_equal(cq_dec_sub(P("1"), P("0.00000001"), &r, &e), 0);
  dec_is(r, 99999999, 8);
  assert_int_equal(cq_dec_add(CQ_DEC(INT64_MAX, 0), CQ_DEC(INT64_MIN, 0), &r, &e), 0);
  dec_is(r, -1, 0);
  assert_int_equal(cq_dec_add(CQ_DEC(INT64_MIN, 3), CQ_DEC(0, 3), &r, &e), 0);
  dec_is(r, INT64_MIN, 3);

  /* overflow, never wrap */
  assert_int_equal(cq_dec_add(CQ_DEC(INT64_MAX, 0), CQ_DEC(1, 0), &r, &e), CQ_EOVERFLOW);
  assert_non_null(strstr(e.msg, "cq_dec_add(9223372036854775807, 1)"));
  assert_int_equal(cq_dec_add(CQ_DEC(INT64_MIN, 2), CQ_DEC(-1, 2), &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_sub(CQ_DEC(INT64_MIN, 0), CQ_DEC(1, 0), &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_sub(CQ_DEC(0, 0), CQ_DEC(INT64_MIN, 0), &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_sub(CQ_DEC(-1, 0), CQ_DEC(INT64_MIN, 0), &r, &e), 0);
  dec_is(r, INT64_MAX, 0);
  /* alignment overflows: INT64_MAX at scale 0 cannot be written at scale 1 */
  assert_int_equal(cq_dec_add(CQ_DEC(INT64_MAX, 0), CQ_DEC(0, 1), &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_sub(CQ_DEC(1, 18), CQ_DEC(INT64_MIN, 0), &r, &e), CQ_EOVERFLOW);
  /* but alignment that cancels back into range is fine */
  assert_int_equal(cq_dec_add(CQ_DEC(10, 0), CQ_DEC(-2000000000000000000, 18), &r, &e), 0);
  dec_is(r, 8000000000000000000, 18);
  assert_int_equal(cq_dec_add(CQ_DEC(10, 0), CQ_DEC(-1, 18), &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_add(CQ_DEC(1, 19), CQ_DEC(0, 0), &r, &e), CQ_EINVAL);
  assert_int_equal(cq_dec_add(CQ_DEC(1, 0), CQ_DEC(0, 0), NULL, &e), CQ_EINVAL);
}

/* ---- mul / div ----------------------------------------------------------------------- */

static void test_mul(void **state) {
  (void)state;
  cq_dec r;
  cq_error e;
  assert_int_equal(cq_dec_mul(P("43251.17"), P("0.00123"), 8, EXACT, &r, &e), 0);
  fmt_is(r, "53.1989391");
  assert_int_equal(r.scale, 8);
  assert_int_equal(cq_dec_mul(P("43251.17"), P("0.00123"), 2, HEVEN, &r, &e), 0);
  dec_is(r, 5320, 2);
  assert_int_equal(cq_dec_mul(P("43251.17"), P("0.00123"), 2, EXACT, &r, &e), CQ_EINEXACT);
  assert_non_null(strstr(e.msg, "cq_dec_mul(43251.17, 0.00123, scale 2, unnecessary)"));
  assert_int_equal(cq_dec_mul(P("-2"), P("0.5"), 18, EXACT, &r, &e), 0);
  dec_is(r, -1000000000000000000, 18);
  assert_int_equal(cq_dec_mul(P("0"), CQ_DEC(INT64_MIN, 0), 0, EXACT, &r, &e), 0);
  dec_is(r, 0, 0);
  /* the exact product needs 126 bits and is rounded once */
  assert_int_equal(cq_dec_mul(CQ_DEC(INT64_MAX, 18), CQ_DEC(INT64_MAX, 18), 0, DOWN, &r, &e), 0);
  dec_is(r, 85, 0);
  assert_int_equal(cq_dec_mul(CQ_DEC(INT64_MAX, 18), CQ_DEC(INT64_MAX, 18), 16, HUP, &r, &e), 0);
  dec_is(r, 850705917302346158, 16);
  assert_int_equal(cq_dec_mul(CQ_DEC(INT64_MIN, 18), CQ_DEC(INT64_MAX, 18), 16, FLOOR, &r, &e), 0);
  dec_is(r, -850705917302346159, 16);
  assert_int_equal(cq_dec_mul(CQ_DEC(INT64_MIN, 18), CQ_DEC(INT64_MIN, 18), 0, DOWN, &r, &e), 0);
  dec_is(r, 85, 0);
  assert_int_equal(cq_dec_mul(CQ_DEC(INT64_MIN, 0), CQ_DEC(1, 0), 0, EXACT, &r, &e), 0);
  dec_is(r, INT64_MIN, 0);

  assert_int_equal(cq_dec_mul(CQ_DEC(INT64_MAX, 0), CQ_DEC(2, 0), 0, DOWN, &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_mul(CQ_DEC(INT64_MIN, 0), CQ_DEC(-1, 0), 0, DOWN, &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_mul(CQ_DEC(INT64_MAX, 0), CQ_DEC(1, 0), 1, DOWN, &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_mul(CQ_DEC(INT64_MIN, 18), CQ_DEC(INT64_MIN, 18), 18, DOWN, &r, &e),
                   CQ_EOVERFLOW);
  /* rounding up past INT64_MAX is overflow, not a wrap */
  assert_int_equal(cq_dec_mul(CQ_DEC(INT64_MAX, 1), CQ_DEC(10, 1), 1, EXACT, &r, &e), 0);
  dec_is(r, INT64_MAX, 1);
  assert_int_equal(cq_dec_mul(CQ_DEC(INT64_MAX, 0), CQ_DEC(11, 1), 0, DOWN, &r, &e), CQ_EOVERFLOW);
  /* with UNNECESSARY, out of range beats inexact */
  assert_int_equal(cq_dec_mul(CQ_DEC(INT64_MAX, 0), CQ_DEC(15, 1), 0, EXACT, &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_mul(CQ_DEC(1, 0), CQ_DEC(1, 0), 19, DOWN, &r, &e), CQ_EINVAL);
  assert_int_equal(cq_dec_mul(CQ_DEC(1, 0), CQ_DEC(1, 0), 0, (cq_round)7, &r, &e), CQ_EINVAL);
  assert_int_equal(cq_dec_mul(CQ_DEC(1, 0), CQ_DEC(1, 0), 0, (cq_round)-1, &r, &e), CQ_EINVAL);
}

static void div_is(const char *a, const char *b, unsigned scale, cq_round mode, const char *want) {
  cq_dec r;
  cq_error e;
  if (cq_dec_div(P(a), P(b), scale, mode, &r, &e) != 0) fail_msg("%s / %s: %s", a, b, e.msg);
  assert_string_equal(F(r), want);
  assert_int_equal(r.scale, scale);
}

static void test_div(void **state) {
  (void)state;
  div_is("1", "3", 8, DOWN, "0.33333333");
  div_is("1", "3", 8, HEVEN, "0.33333333");
  div_is("1", "3", 8, UP, "0.33333334");
  div_is("-1", "3", 8, FLOOR, "-0.33333334");
  div_is("-1", "3", 8, CEIL, "-0.33333333");
  div_is("2", "3", 8, HUP, "0.66666667");
  div_is("-2", "-3", 8, HUP, "0.66666667");
  div_is("2", "-3", 8, HUP, "-0.66666667");
  div_is("10", "4", 0, HEVEN, "2");
  div_is("10", "4", 0, HUP, "3");
  div_is("1", "8", 3, EXACT, "0.125");
  div_is("100000", "43251.17", 8, HEVEN, "2.31207618");
  div_is("53.1989391", "0.00123", 2, EXACT, "43251.17");
  div_is("0.000000000000000001", "1000000000", 18, UP, "0.000000000000000001");
  div_is("9.223372036854775807", "0.000000000000000001", 0, EXACT, "9223372036854775807");
  div_is("-9223372036854775808", "1", 0, EXACT, "-9223372036854775808");
  div_is("-9223372036854775808", "-9223372036854775808", 18, EXACT, "1");

  cq_dec r;
  cq_error e;
  assert_int_equal(cq_dec_div(P("1"), P("3"), 8, EXACT, &r, &e), CQ_EINEXACT);
  assert_int_equal(cq_dec_div(P("1"), P("0.000"), 8, HEVEN, &r, &e), CQ_EDIVZERO);
  assert_non_null(strstr(e.msg, "division by zero"));
  assert_int_equal(cq_dec_div(P("0"), P("0"), 0, HEVEN, &r, &e), CQ_EDIVZERO);
  assert_int_equal(cq_dec_div(CQ_DEC(INT64_MAX, 0), P("0.5"), 0, DOWN, &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_div(CQ_DEC(INT64_MIN, 0), P("-1"), 0, DOWN, &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_div(P("1"), CQ_DEC(1, 18), 18, DOWN, &r, &e), CQ_EOVERFLOW);
  /* a.m * 10^36 needs more than 128 bits: reported as overflow, never wrapped */
  assert_int_equal(cq_dec_div(CQ_DEC(INT64_MAX, 0), CQ_DEC(1, 18), 18, DOWN, &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_div(CQ_DEC(INT64_MIN, 0), CQ_DEC(INT64_MIN, 18), 18, EXACT, &r, &e),
                   CQ_EOVERFLOW);
  assert_int_equal(cq_dec_div(CQ_DEC(INT64_MAX, 0), CQ_DEC(INT64_MAX, 18), 18, EXACT, &r, &e),
                   CQ_EOVERFLOW);
  assert_int_equal(cq_dec_div(CQ_DEC(INT64_MAX, 0), CQ_DEC(INT64_MAX, 18), 0, EXACT, &r, &e), 0);
  dec_is(r, 1000000000000000000, 0);
  /* a.m * 10^36 within 128 bits: computed exactly */
  assert_int_equal(cq_dec_div(CQ_DEC(1, 0), CQ_DEC(INT64_MAX, 18), 18, HEVEN, &r, &e), 0);
  dec_is(r, 108420217248550443, 18);
  assert_int_equal(cq_dec_div(CQ_DEC(-1, 0), CQ_DEC(INT64_MAX, 18), 18, FLOOR, &r, &e), 0);
  dec_is(r, -108420217248550444, 18);
}

/* ---- rescale ------------------------------------------------------------------------- */

static void test_rescale(void **state) {
  (void)state;
  cq_dec r;
  cq_error e;
  assert_int_equal(cq_dec_rescale(P("1.5"), 8, EXACT, &r, &e), 0);
  dec_is(r, 150000000, 8);
  assert_int_equal(cq_dec_rescale(P("1"), 18, EXACT, &r, &e), 0);
  dec_is(r, 1000000000000000000, 18);
  assert_int_equal(cq_dec_rescale(P("10"), 18, EXACT, &r, &e), CQ_EOVERFLOW);
  assert_non_null(strstr(e.msg, "cq_dec_rescale(10, scale 18, unnecessary)"));
  assert_int_equal(cq_dec_rescale(CQ_DEC(INT64_MAX, 0), 1, DOWN, &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_rescale(CQ_DEC(INT64_MIN, 0), 1, DOWN, &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_rescale(CQ_DEC(INT64_MIN, 5), 5, EXACT, &r, &e), 0);
  dec_is(r, INT64_MIN, 5);
  assert_int_equal(cq_dec_rescale(CQ_DEC(INT64_MIN, 1), 0, UP, &r, &e), 0);
  dec_is(r, -922337203685477581, 0);
  assert_int_equal(cq_dec_rescale(CQ_DEC(-922337203685477580, 0), 1, EXACT, &r, &e), 0);
  dec_is(r, -9223372036854775800, 1);
  assert_int_equal(cq_dec_rescale(CQ_DEC(INT64_MAX, 18), 0, HEVEN, &r, &e), 0);
  dec_is(r, 9, 0);
  assert_int_equal(cq_dec_rescale(CQ_DEC(5, 18), 0, UP, &r, &e), 0);
  dec_is(r, 1, 0);
  assert_int_equal(cq_dec_rescale(CQ_DEC(1, 0), 19, DOWN, &r, &e), CQ_EINVAL);
  assert_int_equal(cq_dec_rescale(CQ_DEC(1, 0), 2, (cq_round)99, &r, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "rounding mode 99"));
}

/* ---- round_step ---------------------------------------------------------------------- */

static void step_is(const char *x, const char *step, cq_round mode, const char *want_fixed) {
  cq_dec r;
  cq_error e;
  cq_dec s = P(step);
  if (cq_dec_round_step(P(x), s, mode, &r, &e) != 0) fail_msg("%s step %s: %s", x, step, e.msg);
  assert_int_equal(r.scale, s.scale);
  char buf[CQ_DEC_STRMAX];
  assert_true(cq_dec_format_fixed(r, s.scale, buf, sizeof buf, &e) >= 0);
  if (strcmp(buf, want_fixed) != 0)
    fail_msg("round_step(%s, %s, %s) = %s, want %s", x, step, cq_round_name(mode), buf, want_fixed);
}

static void test_round_step(void **state) {
  (void)state;
  step_is("43251.176", "0.01", HUP, "43251.18");
  step_is("43251.176", "0.01", DOWN, "43251.17");
  step_is("-43251.176", "0.01", FLOOR, "-43251.18");
  step_is("-43251.176", "0.01", CEIL, "-43251.17");
  step_is("43251.17", "0.01", EXACT, "43251.17");
  step_is("43251", "0.01", EXACT, "43251.00");
  step_is("2.26", "0.5", HUP, "2.5");
  step_is("2.26", "0.5", DOWN, "2.0");
  step_is("2.25", "0.5", HEVEN, "2.0");
  step_is("2.75", "0.5", HEVEN, "3.0");
  step_is("2.25", "0.5", HUP, "2.5");
  step_is("-2.25", "0.5", HUP, "-2.5");
  step_is("12", "5", HUP, "10");
  step_is("12.5", "5", HEVEN, "10");
  step_is("17.5", "5", HEVEN, "20");
  step_is("12.5", "5", HUP, "15");
  step_is("12.5", "5", CEIL, "15");
  step_is("-12.5", "5", FLOOR, "-15");
  step_is("-12.5", "5", DOWN, "-10");
  step_is("2", "5", DOWN, "0");
  step_is("-2", "5", UP, "-5");
  step_is("0.123456789", "0.00000100", DOWN, "0.12345600");
  step_is("0.123456789", "0.00000100", HUP, "0.12345700");
  step_is("0.123456500", "0.00000100", HEVEN, "0.12345600");
  step_is("0.123457500", "0.00000100", HEVEN, "0.12345800");
  step_is("0.00000099", "0.00000100", DOWN, "0.00000000");
  step_is("1e-18", "0.00000100", CEIL, "0.00000100");
  step_is("9223372036854775807", "1", EXACT, "9223372036854775807");
  step_is("9223372036854775807", "3", DOWN, "9223372036854775806");

  cq_dec r;
  cq_error e;
  assert_int_equal(cq_dec_round_step(P("1.23"), P("0.00"), HUP, &r, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "step 0 is not positive"));
  assert_int_equal(cq_dec_round_step(P("1.23"), P("-0.01"), HUP, &r, &e), CQ_EINVAL);
  assert_int_equal(cq_dec_round_step(P("1.234"), P("0.01"), EXACT, &r, &e), CQ_EINEXACT);
  assert_int_equal(cq_dec_round_step(CQ_DEC(INT64_MAX, 0), P("10"), CEIL, &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_round_step(CQ_DEC(INT64_MIN, 0), P("10"), FLOOR, &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_round_step(CQ_DEC(INT64_MIN, 0), P("2"), FLOOR, &r, &e), 0);
  dec_is(r, INT64_MIN, 0);
  /* the result lives at the step's scale, which may not hold a large x */
  assert_int_equal(cq_dec_round_step(CQ_DEC(INT64_MAX, 0), P("0.01"), DOWN, &r, &e), CQ_EOVERFLOW);
  assert_int_equal(cq_dec_round_step(CQ_DEC(INT64_MAX, 0), CQ_DEC(INT64_MAX, 18), DOWN, &r, &e),
                   CQ_EOVERFLOW);
  assert_int_equal(cq_dec_round_step(CQ_DEC(1, 0), CQ_DEC(1, 19), DOWN, &r, &e), CQ_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_forms),
      cmocka_unit_test(test_parse_rejects),
      cmocka_unit_test(test_parse_messages),
      cmocka_unit_test(test_format),
      cmocka_unit_test(test_format_fixed),
      cmocka_unit_test(test_cmp_normalize),
      cmocka_unit_test(test_rounding_modes),
      cmocka_unit_test(test_add_sub),
      cmocka_unit_test(test_mul),
      cmocka_unit_test(test_div),
      cmocka_unit_test(test_rescale),
      cmocka_unit_test(test_round_step),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
