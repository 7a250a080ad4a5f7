/* The order state table: every allowed (state, event) pair, and every other one refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/model.h"

/* The life of an order as the OMS documents it, written out independently of the table. */
static const struct {
  cq_order_state from;
  cq_order_event ev;
  cq_order_state to;
} allowed[] = {
    {CQ_OS_NEW, CQ_OE_SUBMIT, CQ_OS_SUBMITTED},
    {CQ_OS_NEW, CQ_OE_REJECT, CQ_OS_REJECTED},
    {CQ_OS_SUBMITTED, CQ_OE_ACCEPT, CQ_OS_ACCEPTED},
    {CQ_OS_SUBMITTED, CQ_OE_REJECT, CQ_OS_REJECTED},
    {CQ_OS_SUBMITTED, CQ_OE_CANCEL, CQ_OS_CANCELLED},
    {CQ_OS_SUBMITTED, CQ_OE_EXPIRE, CQ_OS_EXPIRED},
    {CQ_OS_ACCEPTED, CQ_OE_PARTIAL, CQ_OS_PARTIAL},
    {CQ_OS_ACCEPTED, CQ_OE_FILL, CQ_OS_FILLED},
    {CQ_OS_ACCEPTED, CQ_OE_CANCEL, CQ_OS_CANCELLED},
    {CQ_OS_ACCEPTED, CQ_OE_EXPIRE, CQ_OS_EXPIRED},
    {CQ_OS_PARTIAL, CQ_OE_PARTIAL, CQ_OS_PARTIAL},
    {CQ_OS_PARTIAL, CQ_OE_FILL, CQ_OS_FILLED},
    {CQ_OS_PARTIAL, CQ_OE_CANCEL, CQ_OS_CANCELLED},
    {CQ_OS_PARTIAL, CQ_OE_EXPIRE, CQ_OS_EXPIRED},
};

static int expected(cq_order_state s, cq_order_event e) {
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
    if (allowed[i].from == s && allowed[i].ev == e) return (int)allowed[i].to;
  return -1;
}

static void test_every_pair(void **state) {
  (void)state;
  int n_ok = 0, n_refused = 0;
  for (int s = 0; s < CQ_OS_COUNT; s++) {
    for (int e = 0; e < CQ_OE_COUNT; e++) {
      cq_order_state next = CQ_OS_COUNT;
      cq_error err;
      int rc = cq_order_transition((cq_order_state)s, (cq_order_event)e, &next, &err);
      int want = expected((cq_order_state)s, (cq_order_event)e);
      if (want >= 0) {
        assert_int_equal(rc, CQ_OK);
        assert_int_equal(next, want);
        n_ok++;
      } else {
        assert_int_equal(rc, CQ_EBADTRANSITION);
        assert_int_equal(next, CQ_OS_COUNT); /* left as it was */
        assert_non_null(strstr(err.msg, cq_order_state_name((cq_order_state)s)));
        assert_non_null(strstr(err.msg, cq_order_event_name((cq_order_event)e)));
        n_refused++;
      }
    }
  }
  assert_int_equal(n_ok, 14);
  assert_int_equal(n_refused, CQ_OS_COUNT * CQ_OE_COUNT - 14);
}

static void test_terminal_states(void **state) {
  (void)state;
  assert_true(cq_order_state_terminal(CQ_OS_FILLED));
  assert_true(cq_order_state_terminal(CQ_OS_CANCELLED));
  assert_true(cq_order_state_terminal(CQ_OS_REJECTED));
  assert_true(cq_order_state_terminal(CQ_OS_EXPIRED));
  assert_false(cq_order_state_terminal(CQ_OS_NEW));
  assert_false(cq_order_state_terminal(CQ_OS_SUBMITTED));
  assert_false(cq_order_state_terminal(CQ_OS_ACCEPTED));
  assert_false(cq_order_state_terminal(CQ_OS_PARTIAL));
}

static void test_unknown_values(void **state) {
  (void)state;
  cq_order_state next;
  assert_int_equal(cq_order_transition(CQ_OS_COUNT, CQ_OE_SUBMIT, &next, NULL), CQ_EINVAL);
  assert_int_equal(cq_order_transition(CQ_OS_NEW, CQ_OE_COUNT, &next, NULL), CQ_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_pair),
      cmocka_unit_test(test_terminal_states),
      cmocka_unit_test(test_unknown_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
