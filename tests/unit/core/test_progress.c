#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/core/progress.h"

static int count_lines(const char *s) {
  int n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

static void test_plain_lines_at_intervals(void **state) {
  (void)state;
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  assert_non_null(out);
  cq_clock clk;
  cq_clock_sim_init(&clk, 0);
  cq_progress p;
  cq_progress_init(&p, &(cq_progress_opts){.out = out, .animate = false, .clock = &clk,
                                            .label = "import", .unit = "rows", .total = 1000000});
  cq_error e;
  for (int i = 1; i <= 100; i++) {
    assert_int_equal(cq_clock_sim_advance(&clk, CQ_NS_PER_SEC / 10, &e), 0); /* 10 s in all */
    cq_progress_add(&p, 10000);
  }
  cq_progress_set(&p, 5); /* never goes back */
  assert_int_equal(p.done, 1000000);
  cq_progress_finish(&p);
  fclose(out);
  /* one line each 5 s: at 5 s and 10 s, then the final line */
  assert_int_equal(count_lines(text), 3);
  assert_null(strchr(text, '\r'));
  assert_null(strchr(text, '\033'));
  assert_non_null(strstr(text, "import: 50.0% 500k/1.00M rows, 100k rows/s, ETA 5.0s\n"));
  assert_non_null(strstr(text, "import: 1.00M rows in 10.0s (100k rows/s)\n"));
  free(text);
}

static void test_animated_bar(void **state) {
  (void)state;
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  cq_clock clk;
  cq_clock_sim_init(&clk, 0);
  cq_progress p;
  cq_progress_init(&p, &(cq_progress_opts){.out = out, .animate = true, .clock = &clk,
                                            .label = "backfill", .total = 200, .width = 10});
  cq_error e;
  assert_int_equal(cq_clock_sim_advance(&clk, CQ_NS_PER_SEC, &e), 0);
  cq_progress_set(&p, 50);
  cq_progress_set(&p, 60); /* no time passed: no redraw */
  cq_progress_finish(&p);
  fclose(out);
  assert_non_null(strstr(text, "\r\033[Kbackfill [##........]  25.0% 50/200 items 50 items/s ETA 3.0s"));
  assert_int_equal(count_lines(text), 1);
  assert_non_null(strstr(text, "backfill: 60 items in 1.0s (60 items/s)\n"));
  free(text);
}

static void test_unknown_total_and_silent(void **state) {
  (void)state;
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  cq_clock clk;
  cq_clock_sim_init(&clk, 0);
  cq_progress p;
  cq_progress_init(&p, &(cq_progress_opts){.out = out, .clock = &clk, .label = "stream"});
  cq_error e;
  assert_int_equal(cq_clock_sim_advance(&clk, 6 * CQ_NS_PER_SEC, &e), 0);
  cq_progress_set(&p, 1234567);
  fclose(out);
  assert_string_equal(text, "stream: 1.23M items, 206k items/s, 6.0s elapsed\n");
  free(text);

  cq_progress q;
  cq_progress_init(&q, &(cq_progress_opts){.out = NULL, .clock = &clk});
  cq_progress_add(&q, 3);
  cq_progress_finish(&q);
  assert_int_equal(q.done, 3);

  char buf[16];
  cq_human_count(999, buf, sizeof buf);
  assert_string_equal(buf, "999");
  cq_human_count(1000, buf, sizeof buf);
  assert_string_equal(buf, "1.00k");
  cq_human_count(45678, buf, sizeof buf);
  assert_string_equal(buf, "45.7k");
  cq_human_count(3.2e12, buf, sizeof buf);
  assert_string_equal(buf, "3.20T");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_lines_at_intervals),
      cmocka_unit_test(test_animated_bar),
      cmocka_unit_test(test_unknown_total_and_silent),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
