/* Prices on the tick grid: the exact fast path for prices already on a decimal grid and
 * the text path for the rest give the decimal of the double's shortest text, rounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/match.h"

static void check(double v, const char *tick, cq_round mode, const char *want) {
  cq_dec t, got, w;
  assert_int_equal(cq_dec_parse_cstr(tick, &t, NULL), CQ_OK);
  assert_int_equal(cq_dec_parse_cstr(want, &w, NULL), CQ_OK);
  cq_error err;
  assert_int_equal(cq_price_on_tick(v, t, mode, &got, &err), CQ_OK);
  if (!cq_dec_eq(got, w)) {
    char s[CQ_DEC_STRMAX];
    cq_dec_format(got, s, sizeof s);
    fail_msg("%.17g on %s: got %s, want %s", v, tick, s, want);
  }
}

static void test_on_grid(void **state) {
  (void)state;
  check(43251.17, "0.01", CQ_ROUND_CEIL, "43251.17");
  check(43251.17, "0.01", CQ_ROUND_FLOOR, "43251.17");
  check(100.1, "0.01", CQ_ROUND_HALF_EVEN, "100.1");
  check(0.5, "0.5", CQ_ROUND_FLOOR, "0.5");
  check(105, "5", CQ_ROUND_FLOOR, "105");
  check(107, "5", CQ_ROUND_FLOOR, "105");
  check(107, "5", CQ_ROUND_CEIL, "110");
}

static void test_off_grid(void **state) {
  (void)state;
  /* 0.1 + 0.2 is 0.30000000000000004: to the cent, 0.30 (up: 0.31) */
  check(0.1 + 0.2, "0.01", CQ_ROUND_HALF_EVEN, "0.3");
  check(0.1 + 0.2, "0.01", CQ_ROUND_CEIL, "0.31");
  check(43251.171, "0.01", CQ_ROUND_CEIL, "43251.18");
  check(43251.171, "0.01", CQ_ROUND_FLOOR, "43251.17");
  check(43251.175, "0.01", CQ_ROUND_HALF_EVEN, "43251.18"); /* text 43251.175: a tie, to even */
  check(1e-9, "0.01", CQ_ROUND_FLOOR, "0.01");              /* never zero: one tick */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_on_grid),
      cmocka_unit_test(test_off_grid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
