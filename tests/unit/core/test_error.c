#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "cquant/core/error.h"

static void test_strerror_table(void **state) {
  (void)state;
  assert_string_equal(cq_strerror(CQ_OK), "success");
  assert_string_equal(cq_strerror(CQ_ENOMEM), "out of memory");
  assert_string_equal(cq_errname(CQ_EPARSE), "EPARSE");
  assert_string_equal(cq_strerror(-9999), "unknown error");
  assert_string_equal(cq_errname(12345), "EUNKNOWN");
}

static void test_set_returns_code_and_formats(void **state) {
  (void)state;
  cq_error e;
  cq_error_clear(&e);
  assert_int_equal(cq_error_set(&e, CQ_ETYPE, "expected a number, got \"%s\"", "ten"), CQ_ETYPE);
  cq_error_at(&e, "config.yaml", 12, 5);
  cq_error_field(&e, "risk.max_order_notional");
  char buf[256];
  cq_error_format(&e, buf, sizeof buf);
  assert_string_equal(buf,
                      "config.yaml:12:5: risk.max_order_notional: expected a number, got \"ten\"");
  /* a new set clears the old location */
  cq_error_set(&e, CQ_EIO, NULL);
  cq_error_format(&e, buf, sizeof buf);
  assert_string_equal(buf, "input/output error");
  /* NULL error is allowed everywhere */
  assert_int_equal(cq_error_set(NULL, CQ_EINVAL, "x"), CQ_EINVAL);
  cq_error_at(NULL, "f", 1, 1);
  cq_error_field(NULL, "k");
}

static void test_format_truncates_safely(void **state) {
  (void)state;
  cq_error e;
  cq_error_set(&e, CQ_EPARSE, "%s", "a long message that will not fit");
  cq_error_at(&e, "data.csv", 7, 0);
  char small[12];
  size_t want = cq_error_format(&e, small, sizeof small);
  assert_true(want > sizeof small);
  assert_int_equal(strlen(small), sizeof small - 1);
  char buf[128];
  cq_error_format(&e, buf, sizeof buf);
  assert_string_equal(buf, "data.csv:7: a long message that will not fit");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strerror_table),
      cmocka_unit_test(test_set_returns_code_and_formats),
      cmocka_unit_test(test_format_truncates_safely),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
