/* Strategy parameters: defaults, assignments, types, ranges, the check rule, unknown names
 * with the closest declared one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/engine.h"

static const cq_param_def params[] = {
    {"fast", CQ_PARAM_INT, 10, 2, 100, 1, "fast period"},
    {"slow", CQ_PARAM_INT, 30, 5, 400, 1, "slow period"},
    {"band", CQ_PARAM_FLOAT, 0.5, 0, 5, 0.1, "band width"},
    {"long_only", CQ_PARAM_BOOL, 1, 0, 1, 1, "long only"},
};

static int fast_below_slow(const double *p, cq_error *err) {
  if (p[0] >= p[1])
    return cq_error_set(err, CQ_EINVAL, "fast (%g) must be below slow (%g)", p[0], p[1]);
  return CQ_OK;
}

static const cq_strategy_def def = {
    .name = "cross", .n_params = 4, .params = params, .check = fast_below_slow};

static void test_defaults_and_assignments(void **state) {
  (void)state;
  cq_param_values v;
  cq_error err;
  assert_int_equal(cq_params_resolve(&def, NULL, 0, &v, &err), CQ_OK);
  assert_int_equal(v.n, 4);
  assert_float_equal(v.v[0], 10, 0);
  assert_float_equal(v.v[1], 30, 0);
  const char *a[] = {"slow=50", "band=1.5", "long_only=false", "FAST=12"};
  assert_int_equal(cq_params_resolve(&def, a, 4, &v, &err), CQ_OK);
  assert_float_equal(v.v[0], 12, 0);
  assert_float_equal(v.v[1], 50, 0);
  assert_float_equal(v.v[2], 1.5, 0);
  assert_float_equal(v.v[3], 0, 0);
  assert_int_equal(cq_param_index(&def, "band"), 2);
  assert_int_equal(cq_param_index(&def, "nope"), -1);
}

static void test_errors(void **state) {
  (void)state;
  cq_param_values v;
  cq_error err;
  const char *unknown[] = {"slwo=3"};
  assert_int_equal(cq_params_resolve(&def, unknown, 1, &v, &err), CQ_ENOTFOUND);
  assert_non_null(strstr(err.msg, "did you mean slow"));
  const char *range[] = {"slow=500"};
  assert_int_equal(cq_params_resolve(&def, range, 1, &v, &err), CQ_EINVAL);
  assert_non_null(strstr(err.msg, "[5, 400]"));
  const char *whole[] = {"fast=2.5"};
  assert_int_equal(cq_params_resolve(&def, whole, 1, &v, &err), CQ_EPARSE);
  assert_non_null(strstr(err.msg, "whole number"));
  const char *boolean[] = {"long_only=maybe"};
  assert_int_equal(cq_params_resolve(&def, boolean, 1, &v, &err), CQ_EPARSE);
  const char *cross[] = {"fast=40", "slow=30"};
  assert_int_equal(cq_params_resolve(&def, cross, 2, &v, &err), CQ_EINVAL);
  assert_non_null(strstr(err.msg, "strategy cross: fast (40) must be below slow"));
  const char *noeq[] = {"fast"};
  assert_int_equal(cq_params_resolve(&def, noeq, 1, &v, &err), CQ_EPARSE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults_and_assignments),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
