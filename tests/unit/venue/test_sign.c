/* Request signing: the worked example of Binance's documentation, and the constant-time
 * comparison used to check signatures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "binance.h"

static void test_documented_vector(void **state) {
  (void)state;
  const char *secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
  const char *q =
      "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&"
      "recvWindow=5000&timestamp=1499827319559";
  char hex[65];
  assert_int_equal(cq_bn_sign(secret, q, strlen(q), hex, NULL), 0);
  assert_string_equal(hex, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
  assert_true(
      cq_bn_ct_equal(hex, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"));
  /* One byte more or less of the message changes the signature. */
  char other[65];
  assert_int_equal(cq_bn_sign(secret, q, strlen(q) - 1, other, NULL), 0);
  assert_false(cq_bn_ct_equal(hex, other));
}

static void test_encoder_then_sign(void **state) {
  (void)state;
  /* The encoder's query, with the adapter's tail, signs like the documented one. */
  cq_venue_order_req r;
  memset(&r, 0, sizeof r);
  strcpy(r.client_id, "x");
  r.side = CQ_SIDE_BUY;
  r.type = CQ_ORDER_LIMIT;
  r.tif = CQ_TIF_GTC;
  r.qty = CQ_DEC(1, 0);
  r.price = CQ_DEC(1, 1);
  char q[CQ_BN_QUERY_MAX];
  int n = cq_bn_encode_order(&r, "LTCBTC", q, sizeof q, NULL);
  assert_true(n > 0);
  assert_int_equal(
      strncmp(q, "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1", 70), 0);
}

static void test_ct_equal(void **state) {
  (void)state;
  assert_true(cq_bn_ct_equal("", ""));
  assert_true(cq_bn_ct_equal("abc", "abc"));
  assert_false(cq_bn_ct_equal("abc", "abd"));
  assert_false(cq_bn_ct_equal("abc", "ab"));
  assert_false(cq_bn_ct_equal("ab", "abc"));
  assert_false(cq_bn_ct_equal(NULL, "abc"));
  assert_false(cq_bn_ct_equal("abc", NULL));
}

static void test_bad_args(void **state) {
  (void)state;
  char hex[65];
  cq_error e;
  assert_int_equal(cq_bn_sign(NULL, "a", 1, hex, &e), CQ_EINVAL);
  assert_int_equal(cq_bn_sign("k", NULL, 1, hex, &e), CQ_EINVAL);
  /* An empty message is fine (HMAC of nothing). */
  assert_int_equal(cq_bn_sign("k", "", 0, hex, NULL), 0);
  assert_int_equal(strlen(hex), 64);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_documented_vector),
      cmocka_unit_test(test_encoder_then_sign),
      cmocka_unit_test(test_ct_equal),
      cmocka_unit_test(test_bad_args),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
