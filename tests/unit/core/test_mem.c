#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cquant/core/mem.h"

/* An allocator that fails the n-th allocation (counting from 1) and counts live blocks. */
typedef struct failing {
  int calls;
  int fail_at; /* 0: never */
  int live;
} failing;

static void *failing_fn(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)osize;
  failing *f = ud;
  if (nsize == 0) {
    if (ptr) f->live--;
    free(ptr);
    return NULL;
  }
  f->calls++;
  if (f->fail_at && f->calls == f->fail_at) return NULL;
  void *p = realloc(ptr, nsize);
  if (p && !ptr) f->live++;
  return p;
}

static void test_arena_alignment_and_reuse(void **state) {
  (void)state;
  failing f = {0};
  cq_allocator al = {failing_fn, &f};
  cq_arena a;
  cq_arena_init(&a, 1024, 0, &al);
  for (size_t align = 1; align <= 64; align *= 2) {
    unsigned char *p = cq_arena_alloc(&a, 3, align);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % align, 0);
    memset(p, 0xab, 3);
  }
  assert_null(cq_arena_alloc(&a, 8, 3));   /* not a power of two */
  assert_null(cq_arena_alloc(&a, 8, 128)); /* over the maximum */
  /* a large allocation gets a block of its own */
  void *big = cq_arena_alloc(&a, 10000, 8);
  assert_non_null(big);
  memset(big, 1, 10000);
  char *s = cq_arena_strndup(&a, "hello world", 5);
  assert_string_equal(s, "hello");
  int blocks = f.live;
  assert_true(blocks >= 2);
  /* after reset, the same pattern allocates nothing new */
  for (int round = 0; round < 5; round++) {
    cq_arena_reset(&a);
    assert_int_equal(a.used, 0);
    assert_non_null(cq_arena_alloc(&a, 10000, 8));
    for (int i = 0; i < 100; i++) assert_non_null(cq_arena_alloc(&a, 8, 8));
    assert_int_equal(f.live, blocks);
  }
  cq_arena_release(&a);
  assert_int_equal(f.live, 0);
}

static void test_arena_cap_and_oom(void **state) {
  (void)state;
  cq_arena a;
  cq_arena_init(&a, 4096, 10000, NULL);
  assert_non_null(cq_arena_alloc(&a, 4000, 8));
  assert_non_null(cq_arena_alloc(&a, 4000, 8));
  assert_null(cq_arena_alloc(&a, 4000, 8)); /* a third block would pass the cap */
  assert_null(cq_arena_alloc(&a, SIZE_MAX - 8, 8));
  cq_arena_release(&a);

  failing f = {.fail_at = 2};
  cq_allocator al = {failing_fn, &f};
  cq_arena_init(&a, 64, 0, &al);
  assert_non_null(cq_arena_alloc(&a, 60, 1));
  assert_null(cq_arena_alloc(&a, 60, 1)); /* the allocator says no */
  assert_non_null(cq_arena_alloc(&a, 60, 1)); /* and later yes again */
  cq_arena_release(&a);
  assert_int_equal(f.live, 0);
}

static void test_buf_growth_and_cap(void **state) {
  (void)state;
  cq_buf b;
  cq_buf_init(&b, 100, NULL);
  assert_string_equal(cq_buf_str(&b), "");
  assert_int_equal(cq_buf_puts(&b, "abc"), 0);
  assert_int_equal(cq_buf_putc(&b, 'd'), 0);
  assert_int_equal(cq_buf_printf(&b, "-%d-%s", 42, "x"), 0);
  assert_string_equal(cq_buf_str(&b), "abcd-42-x");
  char big[200];
  memset(big, 'z', sizeof big);
  assert_int_equal(cq_buf_append(&b, big, 91), 0); /* exactly 100 bytes */
  assert_int_equal(b.len, 100);
  assert_int_equal(cq_buf_putc(&b, '!'), CQ_ELIMIT);
  assert_int_equal(b.len, 100); /* unchanged */
  assert_int_equal(cq_buf_printf(&b, "%s", "more"), CQ_ELIMIT);
  assert_int_equal(strlen(cq_buf_str(&b)), 100);
  cq_buf_reset(&b);
  assert_int_equal(cq_buf_printf(&b, "%0300d", 7), CQ_ELIMIT);
  assert_int_equal(cq_buf_printf(&b, "%090d", 7), 0); /* fits under the cap */
  assert_int_equal(b.len, 90);
  cq_buf_release(&b);

  cq_buf_init(&b, 1 << 20, NULL);
  assert_int_equal(cq_buf_printf(&b, "%0600d", 1), 0); /* long formatted output */
  assert_int_equal(b.len, 600);
  assert_int_equal(cq_buf_str(&b)[599], '1');
  size_t cap = 0;
  char *taken = cq_buf_take(&b, &cap);
  assert_non_null(taken);
  assert_true(cap >= 601);
  assert_int_equal(b.len, 0);
  assert_null(b.data);
  free(taken);
  cq_buf_release(&b);
}

static void test_buf_oom_leaves_content(void **state) {
  (void)state;
  failing f = {.fail_at = 2};
  cq_allocator al = {failing_fn, &f};
  cq_buf b;
  cq_buf_init(&b, 1 << 20, &al);
  assert_int_equal(cq_buf_puts(&b, "keep"), 0);
  char big[1000];
  memset(big, 'q', sizeof big);
  assert_int_equal(cq_buf_append(&b, big, sizeof big), CQ_ENOMEM);
  assert_string_equal(cq_buf_str(&b), "keep");
  assert_int_equal(cq_buf_append(&b, big, sizeof big), 0);
  assert_int_equal(b.len, 1004);
  cq_buf_release(&b);
  assert_int_equal(f.live, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_arena_alignment_and_reuse),
      cmocka_unit_test(test_arena_cap_and_oom),
      cmocka_unit_test(test_buf_growth_and_cap),
      cmocka_unit_test(test_buf_oom_leaves_content),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
