/* Order state changes in the kernel: a refused transition is returned and logged with the
 * order's client id, type and state, and leaves the order as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/kernel.h"

static void test_refused_and_logged(void **state) {
  (void)state;
  char *buf = NULL;
  size_t len = 0;
  FILE *sink = open_memstream(&buf, &len);
  assert_non_null(sink);
  cq_log_opts lo = {.level = CQ_LOG_INFO, .format = CQ_LOG_TEXT, .sink = sink};
  cq_log *log;
  cq_error err;
  assert_int_equal(cq_log_new(&lo, &log, &err), CQ_OK);
  cq_order o;
  memset(&o, 0, sizeof o);
  strcpy(o.client_id, "sma_cross-7");
  o.type = CQ_ORDER_LIMIT;
  o.state = CQ_OS_FILLED;
  assert_int_equal(cq_order_apply(&o, CQ_OE_CANCEL, log, &err), CQ_EBADTRANSITION);
  assert_int_equal(o.state, CQ_OS_FILLED);
  assert_non_null(strstr(err.msg, "sma_cross-7"));
  /* allowed: SUBMITTED -> ACCEPTED, nothing logged */
  o.state = CQ_OS_SUBMITTED;
  assert_int_equal(cq_order_apply(&o, CQ_OE_ACCEPT, log, &err), CQ_OK);
  assert_int_equal(o.state, CQ_OS_ACCEPTED);
  cq_log_free(log);
  fclose(sink);
  assert_non_null(strstr(buf, "sma_cross-7"));
  assert_non_null(strstr(buf, "limit"));
  assert_non_null(strstr(buf, "filled"));
  assert_non_null(strstr(buf, "cancel"));
  assert_null(strstr(buf, "accept")); /* the allowed change is not an error */
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refused_and_logged),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
