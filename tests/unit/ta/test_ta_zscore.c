/* ZSCORE on small series worked by hand: the population standard deviation, the lookback, a
 * flat window (0, even where the mean is not exact in binary), a NaN that enters and leaves
 * the window, in-place runs, streaming through the registry, and bad parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ta_test_util.h"

/* Same value (or both NaN) within 1e-12. */
static void near(const double *got, const double *want, size_t n, const char *what) {
  for (size_t i = 0; i < n; i++) {
    if (isnan(want[i]) && isnan(got[i])) continue;
    if (isnan(want[i]) || isnan(got[i]) || fabs(got[i] - want[i]) > 1e-12)
      fail_msg("%s: bar %zu: got %.17g, want %.17g", what, i, got[i], want[i]);
  }
}

/* The classic sample 2 4 4 4 5 5 7 9: mean 5, population stddev 2. */
static const double X[8] = {2, 4, 4, 4, 5, 5, 7, 9};

static void test_zscore_period8(void **state) {
  (void)state;
  double out[8];
  assert_int_equal(cq_ta_zscore(X, 8, 8, out, NULL), 0);
  /* (9 - 5) / 2 = 2 at the only full window */
  const double want[8] = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, 2.0};
  near(out, want, 8, "period 8");
  assert_int_equal(cq_ta_zscore_lookback(8), 7);
  assert_int_equal(cq_ta_zscore_lookback(20), 19);
}

static void test_zscore_period4(void **state) {
  (void)state;
  double out[8];
  assert_int_equal(cq_ta_zscore(X, 8, 4, out, NULL), 0);
  /* [2 4 4 4]: mean 3.5, squares 2.25 .25 .25 .25 = 3, var .75: z = .5 / sqrt(.75)
   * [4 4 4 5]: mean 4.25, squares .0625 * 3 + .5625 = .75, var .1875: z = .75 / sqrt(.1875)
   * [4 4 5 5]: mean 4.5, var .25, sd .5: z = .5 / .5 = 1
   * [4 5 5 7]: mean 5.25, squares 1.5625 .0625 .0625 3.0625 = 4.75: z = 1.75 / sqrt(1.1875)
   * [5 5 7 9]: mean 6.5, squares 2.25 2.25 .25 6.25 = 11, var 2.75: z = 2.5 / sqrt(2.75) */
  const double want[8] = {NAN,
                          NAN,
                          NAN,
                          0.5 / sqrt(0.75),
                          0.75 / sqrt(0.1875),
                          1.0,
                          1.75 / sqrt(1.1875),
                          2.5 / sqrt(2.75)};
  near(out, want, 8, "period 4");
}

static void test_zscore_flat(void **state) {
  (void)state;
  /* 0.1 * 3 / 3 is not 0.1 in binary: the deviations are tiny but not zero; still 0 */
  const double x[5] = {0.1, 0.1, 0.1, 7, 7};
  double out[5];
  assert_int_equal(cq_ta_zscore(x, 5, 3, out, NULL), 0);
  assert_true(isnan(out[0]) && isnan(out[1]));
  assert_true(out[2] == 0.0);
  /* [0.1 0.1 7]: mean 2.4, deviations -2.3 -2.3 4.6, squares sum 31.74, var 10.58;
   * [0.1 7 7]: mean 4.7, deviations -4.6 2.3 2.3, the same squares */
  near(out + 3, (const double[]){4.6 / sqrt(10.58), 2.3 / sqrt(10.58)}, 2, "after flat");
  const double zeros[4] = {0, 0, 0, 0};
  assert_int_equal(cq_ta_zscore(zeros, 4, 2, out, NULL), 0);
  assert_true(out[1] == 0.0 && out[2] == 0.0 && out[3] == 0.0);
}

static void test_zscore_nan(void **state) {
  (void)state;
  double x[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  x[3] = NAN;
  double out[10];
  assert_int_equal(cq_ta_zscore(x, 10, 3, out, NULL), 0);
  /* the NaN at bar 3 is in the windows ending at bars 3, 4, 5 only; after it every window is
   * three consecutive numbers: mean the middle one, sd sqrt(2/3), z = 1 / sqrt(2/3) */
  for (int i = 3; i <= 5; i++) assert_true(isnan(out[i]));
  const double z = 1.0 / sqrt(2.0 / 3.0);
  near(out + 6, (const double[]){z, z, z, z}, 4, "after NaN");
  near(out + 2, (const double[]){z}, 1, "before NaN");
}

static void test_zscore_in_place_and_stream(void **state) {
  (void)state;
  double a[8];
  memcpy(a, X, sizeof a);
  double want[8];
  assert_int_equal(cq_ta_zscore(X, 8, 4, want, NULL), 0);
  assert_int_equal(cq_ta_zscore(a, 8, 4, a, NULL), 0);
  near(a, want, 8, "in place");

  const cq_ta_def *d = cq_ta_find("ZScore");
  assert_non_null(d);
  assert_string_equal(d->group, "statistic");
  double p[1];
  assert_int_equal(cq_ta_params_parse(d, "4", p, NULL), 0);
  cq_ta_stream *s;
  assert_int_equal(cq_ta_stream_new(d, p, &s, NULL), 0);
  for (int i = 0; i < 8; i++) {
    double o;
    cq_ta_stream_update(s, 0, &X[i], &o);
    if (isnan(want[i]))
      assert_true(isnan(o));
    else
      assert_memory_equal(&o, &want[i], sizeof o); /* bit for bit */
  }
  cq_ta_stream_free(s);
}

static void test_zscore_bad_params(void **state) {
  (void)state;
  double out[8];
  cq_error e;
  cq_error_clear(&e);
  assert_int_equal(cq_ta_zscore(X, 8, 1, out, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "zscore: period = 1 is out of range"));
  assert_string_equal(e.field, "period");
  assert_int_equal(cq_ta_zscore_lookback(1), -1);
  const cq_ta_def *d = cq_ta_find("zscore");
  double p[1];
  assert_int_equal(cq_ta_params_parse(d, "", p, NULL), 0);
  assert_true(p[0] == 20);
  assert_int_equal(cq_ta_params_parse(d, "2.5", p, NULL), CQ_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_zscore_period8),
      cmocka_unit_test(test_zscore_period4),
      cmocka_unit_test(test_zscore_flat),
      cmocka_unit_test(test_zscore_nan),
      cmocka_unit_test(test_zscore_in_place_and_stream),
      cmocka_unit_test(test_zscore_bad_params),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
