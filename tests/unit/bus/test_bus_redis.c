/* The Redis Streams bus against a redis-server the test starts on 127.0.0.1 (a free port, a
 * temporary folder, no persistence): events round-trip, a pipelined batch arrives in order,
 * a consumer restarted under its name gets its pending entries back, and a consumer that
 * dies mid-stream (stops acking) has its entries claimed by another: nothing lost, nothing
 * applied twice (with cq_bus_dedup). Skipped when there is no redis-server binary. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "cquant/bus.h"
#include "redis_server.h"

typedef test_redis server;

static int setup(void **state) {
  server *s = calloc(1, sizeof *s);
  if (!s) return -1;
  int rc = test_redis_start(s);
  if (rc == 1) {
    printf("skipped: no redis-server binary\n");
    free(s);
    *state = NULL;
    return 0;
  }
  if (rc) {
    free(s);
    return -1;
  }
  *state = s;
  return 0;
}

static int teardown(void **state) {
  server *s = *state;
  if (!s) return 0;
  test_redis_stop(s);
  free(s);
  return 0;
}

static cq_bus *open_bus(const server *s, int64_t idle_ms) {
  cq_bus_redis_options o;
  cq_bus_redis_options_default(&o);
  o.port = s->port;
  o.maxlen = 100000;
  o.claim_min_idle_ms = idle_ms;
  cq_bus *b = NULL;
  cq_error err;
  if (cq_bus_redis_open(&o, &b, &err) != 0) fail_msg("%s", err.msg);
  assert_string_equal(b->ops->name, "redis");
  return b;
}

static void trade(cq_bus_event *e, uint64_t id) {
  memset(e, 0, sizeof *e);
  e->kind = CQ_VEV_TRADE;
  snprintf(e->venue, sizeof e->venue, "binance");
  snprintf(e->symbol, sizeof e->symbol, "BTC/USDT");
  e->id = id;
  e->u.trade.price = CQ_DEC((int64_t)id, 2);
  e->u.trade.qty = CQ_DEC(1, 0);
  snprintf(e->u.trade.id, sizeof e->u.trade.id, "%llu", (unsigned long long)id);
}

#define SKIP_IF_NO_SERVER() \
  do {                      \
    if (!*state) {          \
      skip();               \
      return;               \
    }                       \
  } while (0)

static void test_roundtrip(void **state) {
  SKIP_IF_NO_SERVER();
  cq_bus *b = open_bus(*state, 30000);
  cq_bus_consumer *c = NULL;
  cq_error err;
  assert_int_equal(cq_bus_subscribe(b, "md.binance.BTC/USDT.trades", "g", "c1", &c, &err), 0);
  cq_bus_event e, got[8];
  cq_bus_tag tags[8];
  trade(&e, 42);
  assert_int_equal(cq_bus_publish(b, "md.binance.BTC/USDT.trades", &e, &err), 0);
  e.kind = CQ_VEV_STATUS;
  e.id = 43;
  memset(&e.u, 0, sizeof e.u);
  e.u.status.status = CQ_VST_BOOK_SYNCED;
  snprintf(e.u.status.detail, sizeof e.u.status.detail, "snapshot 7");
  assert_int_equal(cq_bus_publish(b, "md.binance.BTC/USDT.trades", &e, &err), 0);
  size_t n = 0, total = 0;
  for (int i = 0; i < 20 && total < 2; i++) {
    assert_int_equal(cq_bus_poll(c, got + total, tags + total, 8 - total, &n, 200, &err), 0);
    total += n;
  }
  assert_int_equal(total, 2);
  assert_true(got[0].id == 42 && got[0].kind == CQ_VEV_TRADE);
  assert_string_equal(got[0].u.trade.id, "42");
  assert_true(got[0].publish_time > 0);
  assert_true(got[1].id == 43 && got[1].kind == CQ_VEV_STATUS);
  assert_string_equal(got[1].u.status.detail, "snapshot 7");
  assert_true(tags[0].ms > 0);
  assert_int_equal(cq_bus_ack(c, tags, 2, &err), 0);
  assert_int_equal(cq_bus_poll(c, got, tags, 8, &n, 0, &err), 0);
  assert_int_equal(n, 0);
  cq_bus_consumer_close(c);
  cq_bus_close(b);
}

static void test_batch_in_order(void **state) {
  SKIP_IF_NO_SERVER();
  enum { N = 1500 };
  cq_bus *b = open_bus(*state, 30000);
  cq_bus_consumer *c = NULL;
  cq_error err;
  assert_int_equal(cq_bus_subscribe(b, "md.x.A/B.trades", "g", "c", &c, &err), 0);
  cq_bus_event *evs = calloc(N, sizeof *evs);
  assert_non_null(evs);
  for (uint64_t i = 0; i < N; i++) trade(&evs[i], i + 1);
  assert_int_equal(cq_bus_publish_batch(b, "md.x.A/B.trades", evs, N, &err), 0);
  cq_bus_tag *tags = calloc(N, sizeof *tags);
  assert_non_null(tags);
  size_t total = 0;
  for (int i = 0; i < 1000 && total < N; i++) {
    size_t n = 0;
    assert_int_equal(cq_bus_poll(c, evs + total, tags + total, 100, &n, 200, &err), 0);
    total += n;
  }
  assert_int_equal(total, N);
  for (uint64_t i = 0; i < N; i++) assert_true(evs[i].id == i + 1);
  assert_int_equal(cq_bus_ack(c, tags, N, &err), 0);
  cq_bus_stats st;
  cq_bus_stats_get(b, &st);
  assert_int_equal(st.published, N);
  assert_int_equal(st.delivered, N);
  free(tags);
  free(evs);
  cq_bus_consumer_close(c);
  cq_bus_close(b);
}

/* A consumer that stops without acking gets the same entries back under its own name. */
static void test_restart_same_name(void **state) {
  SKIP_IF_NO_SERVER();
  cq_bus *b = open_bus(*state, -1);
  cq_bus_consumer *c = NULL;
  cq_error err;
  assert_int_equal(cq_bus_subscribe(b, "t.restart", "g", "c", &c, &err), 0);
  cq_bus_event evs[10];
  cq_bus_tag tags[10];
  for (uint64_t i = 0; i < 10; i++) trade(&evs[i], i + 1);
  assert_int_equal(cq_bus_publish_batch(b, "t.restart", evs, 10, &err), 0);
  size_t n = 0;
  assert_int_equal(cq_bus_poll(c, evs, tags, 4, &n, 1000, &err), 0);
  assert_int_equal(n, 4);
  assert_int_equal(cq_bus_ack(c, tags, 2, &err), 0); /* 1 and 2 done; 3 and 4 not */
  cq_bus_consumer_close(c);
  assert_int_equal(cq_bus_subscribe(b, "t.restart", "g", "c", &c, &err), 0);
  /* the pending list in small reads: 3, then 4, then the new entries 5.. */
  assert_int_equal(cq_bus_poll(c, evs, tags, 1, &n, 1000, &err), 0);
  assert_int_equal(n, 1);
  assert_true(evs[0].id == 3);
  assert_int_equal(cq_bus_poll(c, evs, tags, 1, &n, 1000, &err), 0);
  assert_int_equal(n, 1);
  assert_true(evs[0].id == 4);
  assert_int_equal(cq_bus_poll(c, evs, tags, 10, &n, 1000, &err), 0);
  assert_true(n >= 1 && evs[0].id == 5);
  cq_bus_consumer_close(c);
  cq_bus_close(b);
}

/* Consumer A applies part of the stream, then dies holding unacked entries (some applied,
 * some not); consumer B of the same group takes over. The applied state (the dedup helper)
 * outlives A, as a store would: every id is applied exactly once. */
static void test_dead_consumer_claimed(void **state) {
  SKIP_IF_NO_SERVER();
  enum { N = 2000 };
  cq_bus *b = open_bus(*state, 100);
  cq_bus_consumer *a = NULL, *bc = NULL;
  cq_error err;
  assert_int_equal(cq_bus_subscribe(b, "t.claim", "workers", "A", &a, &err), 0);
  assert_int_equal(cq_bus_subscribe(b, "t.claim", "workers", "B", &bc, &err), 0);
  cq_bus_event *evs = calloc(N, sizeof *evs);
  cq_bus_tag *tags = calloc(N, sizeof *tags);
  unsigned char *applied = calloc(N + 1, 1);
  assert_non_null(evs);
  assert_non_null(tags);
  assert_non_null(applied);
  for (uint64_t i = 0; i < N; i++) trade(&evs[i], i + 1);
  assert_int_equal(cq_bus_publish_batch(b, "t.claim", evs, N, &err), 0);
  cq_bus_dedup d;
  assert_int_equal(cq_bus_dedup_init(&d, 4096, &err), 0);
  size_t done = 0, dup = 0, n = 0;
  /* A: 600 applied and acked */
  while (done < 600) {
    assert_int_equal(cq_bus_poll(a, evs, tags, 100, &n, 1000, &err), 0);
    for (size_t i = 0; i < n; i++)
      if (cq_bus_dedup_mark(&d, evs[i].id)) applied[evs[i].id]++, done++;
    assert_int_equal(cq_bus_ack(a, tags, n, &err), 0);
  }
  /* A takes 100 more, applies 50 of them, and dies before acking any */
  assert_int_equal(cq_bus_poll(a, evs, tags, 100, &n, 1000, &err), 0);
  assert_int_equal(n, 100);
  for (size_t i = 0; i < 50; i++)
    if (cq_bus_dedup_mark(&d, evs[i].id)) applied[evs[i].id]++, done++;
  cq_bus_consumer_close(a);
  /* B: the rest of the stream, and A's 100 once they have been idle long enough */
  for (int round = 0; round < 2000 && done < N; round++) {
    assert_int_equal(cq_bus_poll(bc, evs, tags, 128, &n, 50, &err), 0);
    for (size_t i = 0; i < n; i++) {
      if (cq_bus_dedup_mark(&d, evs[i].id))
        applied[evs[i].id]++, done++;
      else
        dup++;
    }
    assert_int_equal(cq_bus_ack(bc, tags, n, &err), 0);
  }
  assert_int_equal(done, N);
  for (uint64_t id = 1; id <= N; id++) assert_int_equal(applied[id], 1);
  assert_int_equal(dup, 50); /* what A applied without acking came back once */
  assert_int_equal(d.watermark, N);
  /* nothing pending any more: after another idle period B finds nothing to claim */
  struct timespec ts = {0, 250000000};
  nanosleep(&ts, NULL);
  assert_int_equal(cq_bus_poll(bc, evs, tags, 128, &n, 0, &err), 0);
  assert_int_equal(n, 0);
  cq_bus_dedup_free(&d);
  free(applied);
  free(tags);
  free(evs);
  cq_bus_consumer_close(bc);
  cq_bus_close(b);
}

/* An entry written by someone else that is not a bus event is acknowledged, counted and
 * stepped over. */
static void test_foreign_entry_skipped(void **state) {
  SKIP_IF_NO_SERVER();
  const server *s = *state;
  cq_bus *b = open_bus(s, -1);
  cq_bus_consumer *c = NULL;
  cq_error err;
  assert_int_equal(cq_bus_subscribe(b, "t.foreign", "g", "c", &c, &err), 0);
  redisContext *rc = redisConnect("127.0.0.1", s->port);
  assert_non_null(rc);
  assert_int_equal(rc->err, 0);
  redisReply *r = redisCommand(rc, "XADD t.foreign * e %b", "\x01\x00garbage", (size_t)9);
  assert_non_null(r);
  freeReplyObject(r);
  r = redisCommand(rc, "XADD t.foreign * other field");
  assert_non_null(r);
  freeReplyObject(r);
  cq_bus_event e, got[4];
  cq_bus_tag tags[4];
  trade(&e, 5);
  assert_int_equal(cq_bus_publish(b, "t.foreign", &e, &err), 0);
  size_t n = 0, total = 0;
  for (int i = 0; i < 20 && total == 0; i++) {
    assert_int_equal(cq_bus_poll(c, got, tags, 4, &n, 200, &err), 0);
    total += n;
  }
  assert_int_equal(total, 1);
  assert_true(got[0].id == 5);
  assert_int_equal(cq_bus_ack(c, tags, 1, &err), 0);
  cq_bus_stats st;
  cq_bus_stats_get(b, &st);
  assert_int_equal(st.dropped, 2);
  r = redisCommand(rc, "XPENDING t.foreign g");
  assert_non_null(r);
  assert_int_equal(r->type, REDIS_REPLY_ARRAY);
  assert_int_equal(r->element[0]->integer, 0); /* nothing left pending */
  freeReplyObject(r);
  redisFree(rc);
  cq_bus_consumer_close(c);
  cq_bus_close(b);
}

/* The server goes away and comes back (empty: no persistence): the call in flight fails
 * with CQ_ENET, the next one reconnects. */
static void test_reconnect(void **state) {
  SKIP_IF_NO_SERVER();
  server *s = *state;
  cq_bus *b = open_bus(s, -1);
  cq_error err;
  cq_bus_event e;
  trade(&e, 1);
  assert_int_equal(cq_bus_publish(b, "t.reconnect", &e, &err), 0);
  kill(s->pid, SIGTERM);
  waitpid(s->pid, NULL, 0);
  s->pid = test_redis_spawn(s);
  assert_true(s->pid > 0);
  assert_true(test_redis_ready(s));
  int rc = 0;
  /* the first call may still go out on the dead connection */
  for (int i = 0; i < 3; i++) {
    rc = cq_bus_publish(b, "t.reconnect", &e, &err);
    if (rc == 0) break;
    assert_int_equal(rc, CQ_ENET);
  }
  assert_int_equal(rc, 0);
  cq_bus_consumer *c = NULL;
  assert_int_equal(cq_bus_subscribe(b, "t.reconnect", "g", "c", &c, &err), 0);
  cq_bus_consumer_close(c);
  cq_bus_close(b);
}

static void test_no_server(void **state) {
  (void)state;
  cq_bus_redis_options o;
  cq_bus_redis_options_default(&o);
  o.port = test_redis_free_port();
  cq_bus *b = NULL;
  cq_error err;
  assert_int_equal(cq_bus_redis_open(&o, &b, &err), CQ_ENET);
  assert_non_null(strstr(err.msg, "cannot connect"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_batch_in_order),
      cmocka_unit_test(test_restart_same_name),
      cmocka_unit_test(test_dead_consumer_claimed),
      cmocka_unit_test(test_foreign_entry_skipped),
      cmocka_unit_test(test_reconnect),
      cmocka_unit_test(test_no_server),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
