/* The network-stack spikes (bench/net) for small counts: REST bodies, every echo, every
 * pushed message in order and byte for byte, the inbound message cap, and a clean stop
 * (no thread left, port closed). Correctness only; bench_netstack measures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the four above, which it needs */

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "spike.h"

enum { REST_N = 300, ECHO_N = 500, PUSH_N = 20000, TIMEOUT_MS = 10000 };

typedef struct variant {
  const spike_ops *ops;
  spike_opts opts;
} variant;

static int thread_count(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  int n = -1;
  static const char key[] = "Threads:";
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, sizeof key - 1)) continue;
    char *end;
    errno = 0;
    long v = strtol(line + sizeof key - 1, &end, 10);
    if (end == line + sizeof key - 1 || errno || v < INT_MIN || v > INT_MAX) continue;
    n = (int)v;
    break;
  }
  fclose(f);
  return n;
}

/* 1 when nothing listens on 127.0.0.1:port any more. */
static int port_closed(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int r = connect(fd, (struct sockaddr *)&a, sizeof a);
  int e = errno;
  close(fd);
  return r != 0 && e == ECONNREFUSED;
}

static void fail_with(const char *what, const cq_error *err) {
  char msg[512];
  cq_error_format(err, msg, sizeof msg);
  fail_msg("%s: %s", what, msg);
}

static void run_variant(const variant *v) {
  int threads_before = thread_count();
  cq_error err;
  cq_error_clear(&err);
  spike_server *srv = NULL;
  if (v->ops->server_start(&srv, &v->opts, &err) != 0) fail_with(v->ops->name, &err);
  int port = v->ops->server_port(srv);
  assert_true(port > 0 && port < 65536);

  /* REST: every body right, and all over one kept-alive connection */
  spike_rest_result rr;
  if (spike_rest_run(port, REST_N, NULL, TIMEOUT_MS, &rr, &err) != 0) fail_with("rest", &err);
  assert_int_equal(rr.ok, REST_N);
  assert_int_equal(rr.connects, 1);
  long status = 0;
  if (spike_http_status(port, "/api/nope", &status, &err) != 0) fail_with("404", &err);
  assert_int_equal(status, 404);

  /* echo then push on one connection, every byte compared */
  uint32_t *rtt = calloc(ECHO_N, sizeof *rtt);
  assert_non_null(rtt);
  spike_client_plan plan = {.echo_n = ECHO_N,
                            .echo_rtt_ns = rtt,
                            .push_n = PUSH_N,
                            .verify_full = 1,
                            .timeout_ms = TIMEOUT_MS};
  spike_client_result res;
  if (v->ops->client_run(port, &v->opts, &plan, &res, &err) != 0) fail_with("ws", &err);
  assert_int_equal(res.echo_ok, ECHO_N);
  assert_int_equal(res.push_received, PUSH_N);
  assert_int_equal(res.push_bytes, (uint64_t)PUSH_N * SPIKE_PUSH_LEN);
  for (size_t i = 0; i < ECHO_N; i++) assert_true(rtt[i] > 0);
  free(rtt);

  /* a second connection to the same server: push only */
  spike_client_plan again = {.push_n = 1000, .timeout_ms = TIMEOUT_MS};
  if (v->ops->client_run(port, &v->opts, &again, &res, &err) != 0) fail_with("ws 2", &err);
  assert_int_equal(res.echo_ok, 0);
  assert_int_equal(res.push_received, 1000);

  /* a message over the cap closes the connection instead of being echoed */
  spike_client_plan big = {.oversize = 1, .timeout_ms = TIMEOUT_MS};
  if (v->ops->client_run(port, &v->opts, &big, &res, &err) != 0) fail_with("oversize", &err);
  assert_true(res.closed_by_server);
  assert_int_equal(res.echo_ok, 0);

  v->ops->server_stop(srv);
  assert_true(port_closed(port));
  assert_int_equal(thread_count(), threads_before);

  /* a client of a server that is gone fails cleanly, and leaves no thread behind */
  spike_client_plan none = {.echo_n = 1, .timeout_ms = TIMEOUT_MS};
  assert_int_not_equal(v->ops->client_run(port, &v->opts, &none, &res, &err), 0);
  assert_int_equal(err.code, CQ_ENET);
  assert_int_equal(thread_count(), threads_before);
}

static void test_lws(void **state) {
  (void)state;
  variant v = {&spike_lws_ops, {0, 0}};
  run_variant(&v);
}

static void test_lws_libuv(void **state) {
  (void)state;
  variant v = {&spike_lws_ops, {.libuv = 1}};
  run_variant(&v);
}

static void test_lws_deflate(void **state) {
  (void)state;
  variant v = {&spike_lws_ops, {.deflate = 1}};
  run_variant(&v);
}

static void test_civetweb(void **state) {
  (void)state;
  variant v = {&spike_civet_ops, {0, 0}};
  run_variant(&v);
}

static void test_civetweb_refuses_lws_only_options(void **state) {
  (void)state;
  spike_server *srv = NULL;
  spike_opts o = {.deflate = 1};
  assert_int_equal(spike_civet_ops.server_start(&srv, &o, NULL), CQ_EUNSUPPORTED);
  assert_null(srv);
}

static void test_message_formats(void **state) {
  (void)state;
  char buf[SPIKE_MAX_MSG];
  for (uint64_t seq = 0; seq < 100000; seq += 997) {
    size_t n = spike_push_msg(buf, seq);
    assert_int_equal(n, SPIKE_PUSH_LEN);
    assert_int_equal(spike_push_check(buf, n, seq, 1), 0);
    assert_int_equal(spike_push_check(buf, n, seq, 0), 0);
    assert_int_not_equal(spike_push_check(buf, n, seq + 1, 0), 0);
    assert_int_not_equal(spike_push_check(buf, n, seq + 1, 1), 0);
  }
  assert_int_equal(spike_echo_msg(buf, 123456), SPIKE_ECHO_LEN);
  uint64_t n = 0;
  assert_true(spike_parse_push("push 500000", 11, &n));
  assert_int_equal(n, 500000);
  assert_false(spike_parse_push("push ", 5, &n));
  assert_false(spike_parse_push("push 12x", 8, &n));
  assert_false(spike_parse_push(buf, SPIKE_ECHO_LEN, &n));
  size_t l = spike_ping_body(buf, sizeof buf, 1700000000123);
  assert_string_equal(buf, "{\"ok\":true,\"ts\":1700000000123}");
  assert_int_equal(spike_ping_check(buf, l), 0);
  assert_int_not_equal(spike_ping_check("{\"ok\":true,\"ts\":}", 17), 0);
}

int main(void) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_message_formats),
      cmocka_unit_test(test_lws),
      cmocka_unit_test(test_lws_libuv),
      cmocka_unit_test(test_lws_deflate),
      cmocka_unit_test(test_civetweb),
      cmocka_unit_test(test_civetweb_refuses_lws_only_options),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
