/* Prices on the tick grid: the fast paths (prices already on a decimal grid; FLOOR and CEIL
 * by the double grid of ticks) and the text path all give the decimal of the double's
 * shortest text, rounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
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

static uint64_t mix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* The definition, by text: the decimal of the double's shortest text, rounded to the tick. */
static cq_dec by_text(double v, cq_dec tick, cq_round mode) {
  char text[40];
  size_t n = cq_format_double(v, text, sizeof text);
  cq_dec d, out;
  assert_int_equal(cq_dec_parse(text, n, &d, NULL), CQ_OK);
  assert_int_equal(cq_dec_round_step(d, tick, mode, &out, NULL), CQ_OK);
  return out;
}

/* The fast paths against the definition on 100k seeded prices, on, next to and off grids. */
static void test_fast_paths(void **state) {
  (void)state;
  const cq_dec ticks[] = {CQ_DEC(1, 2), CQ_DEC(5, 1),  CQ_DEC(1, 5), CQ_DEC(1, 0),
                          CQ_DEC(5, 2), CQ_DEC(25, 3), CQ_DEC(1, 8)};
  uint64_t seed = 42;
  for (int i = 0; i < 100000; i++) {
    cq_dec tick = ticks[mix(&seed) % (sizeof ticks / sizeof ticks[0])];
    double u = (double)(mix(&seed) >> 11) * 0x1.0p-53, v = pow(10.0, u * 6.0);
    switch (mix(&seed) % 4) {
      case 0: /* on the grid */
        v = (double)(int64_t)(v * 1e2) / 1e2;
        break;
      case 1: /* a neighbour of a grid value */
        v = nextafter((double)(int64_t)(v * 1e2) / 1e2, (mix(&seed) & 1) ? 1e300 : 0);
        break;
      default:
        break;
    }
    if (v < 1) v = 1;
    for (int m = 0; m < 2; m++) {
      cq_round mode = m ? CQ_ROUND_CEIL : CQ_ROUND_FLOOR;
      cq_dec a, b;
      assert_int_equal(cq_price_on_tick(v, tick, mode, &a, NULL), 0);
      b = by_text(v, tick, mode);
      if (!cq_dec_eq(a, b) || a.scale != b.scale)
        fail_msg("%.17g on %g, %s: fast %lld e-%d, text %lld e-%d", v, cq_dec_to_double(tick),
                 cq_round_name(mode), (long long)a.m, a.scale, (long long)b.m, b.scale);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_on_grid),
      cmocka_unit_test(test_off_grid),
      cmocka_unit_test(test_fast_paths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
