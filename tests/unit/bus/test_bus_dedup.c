/* The idempotency helper: in-order ids, redelivery of every id, reordering within the
 * window, and ids far ahead that move the window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cquant/bus.h"

static void test_in_order_and_redelivery(void **state) {
  (void)state;
  cq_bus_dedup d;
  assert_int_equal(cq_bus_dedup_init(&d, 100, NULL), 0);
  assert_int_equal(d.window, 128);
  assert_true(cq_bus_dedup_seen(&d, 0));
  for (uint64_t id = 1; id <= 1000; id++) {
    assert_false(cq_bus_dedup_seen(&d, id));
    assert_true(cq_bus_dedup_mark(&d, id));
    assert_false(cq_bus_dedup_mark(&d, id));
  }
  assert_int_equal(d.watermark, 1000);
  for (uint64_t id = 1; id <= 1000; id++) assert_false(cq_bus_dedup_mark(&d, id));
  assert_int_equal(d.skipped, 0);
  cq_bus_dedup_free(&d);
}

/* A stream delivered in shuffled blocks (each id displaced by less than the window), with a
 * random half redelivered: every id applied exactly once. */
static void test_reordering(void **state) {
  (void)state;
  enum { N = 20000, BLOCK = 64 };
  cq_bus_dedup d;
  assert_int_equal(cq_bus_dedup_init(&d, 256, NULL), 0);
  unsigned char *applied = calloc(N + 1, 1);
  assert_non_null(applied);
  uint64_t rng = 88172645463325252ull;
  uint64_t ids[BLOCK];
  for (uint64_t base = 1; base <= N; base += BLOCK) {
    for (int i = 0; i < BLOCK; i++) ids[i] = base + (uint64_t)i;
    for (int i = BLOCK - 1; i > 0; i--) {
      rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
      int j = (int)(rng % (uint64_t)(i + 1));
      uint64_t t = ids[i];
      ids[i] = ids[j];
      ids[j] = t;
    }
    for (int i = 0; i < BLOCK; i++) {
      uint64_t id = ids[i];
      if (id > N) continue;
      for (int rep = 0; rep < 2; rep++) {
        if (cq_bus_dedup_mark(&d, id)) applied[id]++;
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        if (rng & 1) break;
      }
      /* a late redelivery of an id from the previous block */
      if (base > BLOCK && cq_bus_dedup_mark(&d, id - BLOCK)) applied[id - BLOCK]++;
    }
  }
  for (uint64_t id = 1; id <= N; id++) assert_int_equal(applied[id], 1);
  assert_int_equal(d.watermark, N);
  assert_int_equal(d.skipped, 0);
  free(applied);
  cq_bus_dedup_free(&d);
}

static void test_jump_ahead(void **state) {
  (void)state;
  cq_bus_dedup d;
  assert_int_equal(cq_bus_dedup_init(&d, 64, NULL), 0);
  assert_true(cq_bus_dedup_mark(&d, 1));
  assert_true(cq_bus_dedup_mark(&d, 3));
  /* 100 is beyond 1 + 64: the window moves to end at 100 */
  assert_true(cq_bus_dedup_mark(&d, 100));
  assert_int_equal(d.watermark, 36);
  assert_int_equal(d.skipped, 34); /* 2 and 4..36 */
  assert_true(cq_bus_dedup_seen(&d, 2));
  assert_false(cq_bus_dedup_seen(&d, 37));
  assert_true(cq_bus_dedup_mark(&d, 37));
  /* far ahead: the whole window is passed over */
  assert_true(cq_bus_dedup_mark(&d, 100000));
  assert_int_equal(d.watermark, 100000 - 64);
  assert_true(cq_bus_dedup_seen(&d, 100));
  assert_false(cq_bus_dedup_seen(&d, 99999));
  assert_true(cq_bus_dedup_mark(&d, 99999));
  assert_false(cq_bus_dedup_mark(&d, 99999));
  assert_int_equal(d.skipped, 34 + (100000 - 64 - 37) - 1);
  cq_bus_dedup_free(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_in_order_and_redelivery),
      cmocka_unit_test(test_reordering),
      cmocka_unit_test(test_jump_ahead),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
