#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/core/log.h"

typedef struct sink {
  char *text;
  size_t len;
  FILE *f;
  cq_clock clock;
} sink;

static cq_log *open_log(sink *s, cq_log_format fmt, cq_log_level level) {
  s->text = NULL;
  s->len = 0;
  s->f = open_memstream(&s->text, &s->len);
  assert_non_null(s->f);
  cq_time t0 = 0;
  assert_int_equal(cq_time_parse_iso("2026-01-02T03:04:05.678Z", &t0, NULL), 0);
  cq_clock_sim_init(&s->clock, t0);
  cq_log *log;
  cq_error e;
  cq_log_opts o = {.level = level, .format = fmt, .sink = s->f, .clock = &s->clock};
  assert_int_equal(cq_log_new(&o, &log, &e), 0);
  return log;
}

static void close_log(sink *s, cq_log *log) {
  cq_log_free(log);
  fclose(s->f);
}

static void test_json_lines(void **state) {
  (void)state;
  sink s;
  cq_log *log = open_log(&s, CQ_LOG_JSON, CQ_LOG_INFO);
  CQ_LOG(log, CQ_LOG_INFO, "order \"sent\"", CQ_F_STR("symbol", "BTC/USDT"), CQ_F_I64("qty", 3),
         CQ_F_F64("px", 42000.5), CQ_F_BOOL("post_only", true));
  CQ_LOG(log, CQ_LOG_DEBUG, "not shown", CQ_F_I64("x", 1));
  cq_logf(log, CQ_LOG_ERROR, "failed %d times", 2);
  close_log(&s, log);
  assert_string_equal(s.text,
                      "{\"ts\":\"2026-01-02T03:04:05.678Z\",\"level\":\"info\",\"msg\":\"order "
                      "\\\"sent\\\"\",\"symbol\":\"BTC/USDT\",\"qty\":3,\"px\":42000.5,"
                      "\"post_only\":true}\n"
                      "{\"ts\":\"2026-01-02T03:04:05.678Z\",\"level\":\"error\",\"msg\":\"failed 2 "
                      "times\"}\n");
  free(s.text);
}

static void test_text_lines_and_levels(void **state) {
  (void)state;
  sink s;
  cq_log *log = open_log(&s, CQ_LOG_TEXT, CQ_LOG_WARN);
  assert_false(cq_log_enabled(log, CQ_LOG_INFO));
  assert_true(cq_log_enabled(log, CQ_LOG_ERROR));
  CQ_LOG(log, CQ_LOG_WARN, "slow venue", CQ_F_STR("venue", "binance"), CQ_F_STR("note", "two words"));
  cq_log_set_level(log, CQ_LOG_OFF);
  cq_logf(log, CQ_LOG_ERROR, "hidden");
  close_log(&s, log);
  assert_string_equal(s.text,
                      "2026-01-02T03:04:05.678Z warn  slow venue venue=binance note=\"two words\"\n");
  free(s.text);
  cq_log_level l;
  cq_error e;
  assert_int_equal(cq_log_level_parse("DEBUG", &l, &e), 0);
  assert_int_equal(l, CQ_LOG_DEBUG);
  assert_int_equal(cq_log_level_parse("warning", &l, &e), 0);
  assert_int_equal(l, CQ_LOG_WARN);
  assert_int_equal(cq_log_level_parse("loud", &l, &e), CQ_EPARSE);
  assert_non_null(strstr(e.msg, "loud"));
}

static void test_secrets_never_reach_the_line(void **state) {
  (void)state;
  const char *secret = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
  for (int fmt = 0; fmt < 2; fmt++) {
    sink s;
    cq_log *log = open_log(&s, (cq_log_format)fmt, CQ_LOG_TRACE);
    cq_error e;
    assert_int_equal(cq_log_add_secret(log, secret, &e), 0);
    assert_int_equal(cq_log_add_secret(log, "abc", &e), CQ_EINVAL);
    cq_logf(log, CQ_LOG_INFO, "connecting with key %s now", secret);
    CQ_LOG(log, CQ_LOG_INFO, "request", CQ_F_STR("url", "https://x/api/v3/order?symbol=BTCUSDT&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71&recvWindow=5000"),
           CQ_F_STR("header", secret), CQ_F_STR("api_key", "short"), CQ_F_STR("Password", "hunter2"),
           CQ_F_STR("note", "prefix-vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A-suffix"));
    cq_logf(log, CQ_LOG_INFO, "apiKey=%s&token=t", "plainvalue");
    close_log(&s, log);
    assert_null(strstr(s.text, secret));
    assert_null(strstr(s.text, "c8db56825ae71d6d"));
    assert_null(strstr(s.text, "hunter2"));
    assert_null(strstr(s.text, "short"));
    assert_null(strstr(s.text, "plainvalue"));
    assert_non_null(strstr(s.text, "signature=***&recvWindow=5000"));
    assert_non_null(strstr(s.text, "prefix-***-suffix"));
    free(s.text);
  }
}

static void upper_hook(void *ctx, char *line, size_t len) {
  (void)ctx;
  for (size_t i = 0; i < len; i++)
    if (line[i] == 'x') line[i] = 'X';
}

static void test_truncation_and_hook(void **state) {
  (void)state;
  sink s;
  s.f = open_memstream(&s.text, &s.len);
  cq_clock_sim_init(&s.clock, 0);
  cq_log *log;
  cq_error e;
  cq_log_opts o = {.level = CQ_LOG_INFO, .format = CQ_LOG_TEXT, .sink = s.f, .clock = &s.clock,
                   .redact = upper_hook};
  assert_int_equal(cq_log_new(&o, &log, &e), 0);
  char *big = malloc(20000);
  memset(big, 'x', 19999);
  big[19999] = '\0';
  CQ_LOG(log, CQ_LOG_INFO, "big", CQ_F_STR("blob", big));
  /* a line that fills the buffer with short query secrets cannot overflow it */
  memset(big, 0, 20000);
  for (size_t i = 0; i + 8 < 19990; i += 8) memcpy(big + i, "token=a&", 8);
  CQ_LOG(log, CQ_LOG_INFO, "many", CQ_F_STR("q", big));
  close_log(&s, log);
  char *nl = strchr(s.text, '\n');
  assert_non_null(nl);
  assert_true((size_t)(nl - s.text) < CQ_LOG_LINE_MAX);
  assert_non_null(strstr(s.text, "XXXX...[truncated]\n"));
  assert_null(strstr(s.text, "token=a"));
  free(big);
  free(s.text);
  assert_int_equal(cq_log_new(&(cq_log_opts){.path = "/nonexistent/dir/log"}, &log, &e), CQ_EIO);
  assert_non_null(strstr(e.msg, "/nonexistent/dir/log"));
}

typedef struct worker {
  cq_log *log;
  int id;
} worker;

static void *writer(void *arg) {
  worker *w = arg;
  for (int i = 0; i < 2000; i++)
    CQ_LOG(w->log, CQ_LOG_INFO, "tick", CQ_F_I64("thread", w->id), CQ_F_I64("i", i),
           CQ_F_STR("pad", "................................................................"));
  return NULL;
}

static void test_threads_never_interleave(void **state) {
  (void)state;
  sink s;
  cq_log *log = open_log(&s, CQ_LOG_JSON, CQ_LOG_INFO);
  pthread_t th[4];
  worker w[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (worker){log, i};
    assert_int_equal(pthread_create(&th[i], NULL, writer, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  close_log(&s, log);
  int lines = 0;
  for (char *p = s.text, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
    assert_true(p[0] == '{' && nl[-1] == '}');
    assert_non_null(strstr(p, "\"msg\":\"tick\""));
    lines++;
  }
  assert_int_equal(lines, 8000);
  free(s.text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_lines),
      cmocka_unit_test(test_text_lines_and_levels),
      cmocka_unit_test(test_secrets_never_reach_the_line),
      cmocka_unit_test(test_truncation_and_hook),
      cmocka_unit_test(test_threads_never_interleave),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
