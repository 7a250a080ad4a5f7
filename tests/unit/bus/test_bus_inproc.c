/* The in-process bus: topics and groups, counted drops on a full ring, back-pressure, many
 * producers into one consumer with every event delivered once and in each producer's order,
 * a blocking poll woken by a publish, the timeout of an empty poll, and the adaptive spin
 * (every event once and in order across spins, sleeps and timeouts). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/bus.h"

static void trade(cq_bus_event *e, uint64_t id) {
  memset(e, 0, sizeof *e);
  e->kind = CQ_VEV_TRADE;
  snprintf(e->venue, sizeof e->venue, "binance");
  snprintf(e->symbol, sizeof e->symbol, "BTC/USDT");
  e->id = id;
  e->u.trade.price = CQ_DEC((int64_t)id, 2);
  e->u.trade.qty = CQ_DEC(1, 0);
}

static cq_bus *open_bus(size_t ring, cq_bus_full full) {
  cq_bus_options o;
  cq_bus_options_default(&o);
  o.ring_size = ring;
  o.on_full = full;
  cq_bus *b = NULL;
  cq_error err;
  assert_int_equal(cq_bus_inproc_open(&o, &b, &err), 0);
  assert_string_equal(b->ops->name, "inproc");
  return b;
}

static void test_topics_and_groups(void **state) {
  (void)state;
  cq_bus *b = open_bus(16, CQ_BUS_FULL_DROP);
  cq_bus_consumer *a = NULL, *a2 = NULL, *c = NULL, *dup = NULL;
  cq_error err;
  assert_int_equal(cq_bus_subscribe(b, "md.binance.BTC/USDT.trades", "g1", "c1", &a, &err), 0);
  assert_int_equal(cq_bus_subscribe(b, "md.binance.BTC/USDT.trades", "g2", "c1", &a2, &err), 0);
  assert_int_equal(cq_bus_subscribe(b, "md.okx.BTC/USDT.trades", "g1", "c1", &c, &err), 0);
  assert_int_equal(cq_bus_subscribe(b, "md.binance.BTC/USDT.trades", "g1", "c2", &dup, &err),
                   CQ_EEXIST);
  assert_int_equal(cq_bus_subscribe(b, "", "g1", "c2", &dup, &err), CQ_EINVAL);
  cq_bus_event e, got[4];
  cq_bus_tag tags[4];
  trade(&e, 7);
  assert_int_equal(cq_bus_publish(b, "md.binance.BTC/USDT.trades", &e, &err), 0);
  assert_int_equal(cq_bus_publish(b, "md.nobody.X/Y.trades", &e, &err), 0);
  size_t n = 0;
  assert_int_equal(cq_bus_poll(a, got, tags, 4, &n, 0, &err), 0);
  assert_int_equal(n, 1);
  assert_true(got[0].id == 7);
  assert_true(got[0].publish_time > 0); /* stamped */
  assert_int_equal(cq_bus_ack(a, tags, n, &err), 0);
  assert_int_equal(cq_bus_poll(a2, got, NULL, 4, &n, 0, &err), 0);
  assert_int_equal(n, 1);
  assert_int_equal(cq_bus_poll(c, got, NULL, 4, &n, 0, &err), 0);
  assert_int_equal(n, 0);
  /* an empty poll with a timeout comes back empty */
  assert_int_equal(cq_bus_poll(c, got, NULL, 4, &n, 5, &err), 0);
  assert_int_equal(n, 0);
  /* a closed consumer: poll refused; the group can subscribe again */
  cq_bus_consumer_close(a);
  assert_int_equal(cq_bus_poll(a, got, NULL, 4, &n, 0, &err), CQ_ESTATE);
  assert_int_equal(cq_bus_subscribe(b, "md.binance.BTC/USDT.trades", "g1", "c2", &dup, &err), 0);
  assert_int_equal(cq_bus_publish(b, "md.binance.BTC/USDT.trades", &e, &err), 0);
  assert_int_equal(cq_bus_poll(dup, got, NULL, 4, &n, 0, &err), 0);
  assert_int_equal(n, 1);
  cq_bus_stats st;
  cq_bus_stats_get(b, &st);
  assert_int_equal(st.published, 4); /* g2 got the second one too, not polled */
  assert_int_equal(st.delivered, 3);
  assert_int_equal(st.dropped, 0);
  e.kind = (cq_vev_kind)99;
  assert_int_equal(cq_bus_publish(b, "md.binance.BTC/USDT.trades", &e, &err), CQ_EINVAL);
  cq_bus_close(b);
}

static void test_drop_when_full(void **state) {
  (void)state;
  cq_bus *b = open_bus(5, CQ_BUS_FULL_DROP); /* rounded up to 8 */
  cq_bus_consumer *c = NULL;
  assert_int_equal(cq_bus_subscribe(b, "t", "g", "c", &c, NULL), 0);
  cq_bus_event e, got[32];
  for (uint64_t id = 1; id <= 20; id++) {
    trade(&e, id);
    assert_int_equal(cq_bus_publish(b, "t", &e, NULL), 0);
  }
  size_t n = 0;
  assert_int_equal(cq_bus_poll(c, got, NULL, 32, &n, 0, NULL), 0);
  assert_int_equal(n, 8);
  for (size_t i = 0; i < n; i++) assert_true(got[i].id == i + 1);
  cq_bus_stats st;
  cq_bus_stats_get(b, &st);
  assert_int_equal(st.dropped, 12);
  assert_int_equal(st.published, 8);
  /* room again after the poll */
  trade(&e, 21);
  assert_int_equal(cq_bus_publish(b, "t", &e, NULL), 0);
  assert_int_equal(cq_bus_poll(c, got, NULL, 32, &n, 0, NULL), 0);
  assert_int_equal(n, 1);
  assert_true(got[0].id == 21);
  cq_bus_close(b);
}

enum { PRODUCERS = 4, PER_PRODUCER = 50000 };

typedef struct prod {
  cq_bus *bus;
  int index;
} prod;

static void *producer(void *arg) {
  prod *p = arg;
  cq_bus_event e;
  for (uint64_t i = 0; i < PER_PRODUCER; i++) {
    trade(&e, ((uint64_t)p->index << 32) | (i + 1));
    if (cq_bus_publish(p->bus, "md.x.A/B.trades", &e, NULL) != 0) return (void *)1;
  }
  return NULL;
}

/* Back-pressure with a small ring: every event of every producer arrives once, in order. */
static void test_many_producers_block(void **state) {
  (void)state;
  cq_bus *b = open_bus(64, CQ_BUS_FULL_BLOCK);
  cq_bus_consumer *c = NULL;
  assert_int_equal(cq_bus_subscribe(b, "md.x.A/B.trades", "g", "c", &c, NULL), 0);
  pthread_t th[PRODUCERS];
  prod ps[PRODUCERS];
  for (int i = 0; i < PRODUCERS; i++) {
    ps[i] = (prod){b, i};
    assert_int_equal(pthread_create(&th[i], NULL, producer, &ps[i]), 0);
  }
  uint64_t next[PRODUCERS] = {0};
  size_t total = 0;
  cq_bus_event *got = malloc(sizeof *got * 32);
  assert_non_null(got);
  while (total < (size_t)PRODUCERS * PER_PRODUCER) {
    size_t n = 0;
    assert_int_equal(cq_bus_poll(c, got, NULL, 32, &n, 1000, NULL), 0);
    for (size_t i = 0; i < n; i++) {
      uint64_t pi = got[i].id >> 32;
      uint64_t seq = got[i].id & 0xffffffffu;
      assert_true(pi < PRODUCERS);
      assert_true(seq == next[pi] + 1);
      assert_true(got[i].u.trade.price.m == (int64_t)got[i].id);
      next[pi] = seq;
    }
    total += n;
  }
  for (int i = 0; i < PRODUCERS; i++) {
    void *r = NULL;
    assert_int_equal(pthread_join(th[i], &r), 0);
    assert_null(r);
    assert_true(next[i] == PER_PRODUCER);
  }
  cq_bus_stats st;
  cq_bus_stats_get(b, &st);
  assert_int_equal(st.dropped, 0);
  assert_int_equal(st.delivered, (uint64_t)PRODUCERS * PER_PRODUCER);
  free(got);
  cq_bus_close(b);
}

typedef struct waiter {
  cq_bus_consumer *c;
  size_t n;
  uint64_t id;
  int rc;
} waiter;

static void *wait_one(void *arg) {
  waiter *w = arg;
  cq_bus_event e;
  w->rc = cq_bus_poll(w->c, &e, NULL, 1, &w->n, -1, NULL);
  w->id = e.id;
  return NULL;
}

/* A consumer asleep in poll without a deadline is woken by the publish. */
static void test_blocking_poll_wakes(void **state) {
  (void)state;
  cq_bus *b = open_bus(16, CQ_BUS_FULL_DROP);
  for (int round = 0; round < 50; round++) {
    cq_bus_consumer *c = NULL;
    char g[16];
    snprintf(g, sizeof g, "g%d", round);
    assert_int_equal(cq_bus_subscribe(b, "t", g, "c", &c, NULL), 0);
    waiter w = {c, 0, 0, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wait_one, &w), 0);
    if (round % 2) {
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
    cq_bus_event e;
    trade(&e, (uint64_t)round + 1);
    assert_int_equal(cq_bus_publish(b, "t", &e, NULL), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(w.rc, 0);
    assert_int_equal(w.n, 1);
    assert_true(w.id == (uint64_t)round + 1);
    cq_bus_consumer_close(c);
  }
  cq_bus_close(b);
}

typedef struct spaced {
  cq_bus *bus;
  int rc;
} spaced;

/* 3,000 events: runs back to back, then with pauses of a millisecond between short runs (the
 * consumer's spin gives up and it sleeps), then back to back again. */
static void *publish_spaced(void *arg) {
  spaced *sp = arg;
  cq_bus_event e;
  for (uint64_t i = 1; i <= 3000 && sp->rc == 0; i++) {
    if (i > 1000 && i <= 2000 && i % 20 == 0) {
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
    trade(&e, i);
    sp->rc = cq_bus_publish(sp->bus, "t", &e, NULL);
  }
  return NULL;
}

/* With spin_ns set, a consumer gets every event once and in order whether its wait ends in
 * the spin, after a sleep, or in a timeout; the option is range-checked. */
static void test_adaptive_spin(void **state) {
  (void)state;
  cq_bus_options o;
  cq_bus_options_default(&o);
  o.ring_size = 64;
  o.on_full = CQ_BUS_FULL_BLOCK;
  o.spin_ns = 200000;
  cq_bus *b = NULL;
  cq_error err;
  assert_int_equal(cq_bus_inproc_open(&o, &b, &err), 0);
  cq_bus_consumer *c = NULL;
  assert_int_equal(cq_bus_subscribe(b, "t", "g", "c", &c, NULL), 0);
  cq_bus_event evs[8];
  size_t n = 9;
  /* nothing there: the spin, then the sleep, then the timeout */
  assert_int_equal(cq_bus_poll(c, evs, NULL, 8, &n, 2, NULL), 0);
  assert_int_equal(n, 0);
  spaced sp = {b, 0};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, publish_spaced, &sp), 0);
  uint64_t expect = 1;
  int idle = 0;
  while (expect <= 3000 && idle < 1000) {
    /* alternately a bounded and an unbounded wait */
    assert_int_equal(cq_bus_poll(c, evs, NULL, 8, &n, expect % 2 ? 5 : -1, NULL), 0);
    idle = n ? 0 : idle + 1;
    for (size_t i = 0; i < n; i++) assert_true(evs[i].id == expect++);
  }
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(sp.rc, 0);
  assert_true(expect == 3001);
  assert_int_equal(cq_bus_poll(c, evs, NULL, 8, &n, 0, NULL), 0);
  assert_int_equal(n, 0);
  cq_bus_consumer_close(c);
  cq_bus_close(b);

  o.spin_ns = -1;
  assert_int_equal(cq_bus_inproc_open(&o, &b, &err), CQ_EINVAL);
  assert_non_null(strstr(err.msg, "spin_ns"));
  o.spin_ns = 20000000;
  assert_int_equal(cq_bus_inproc_open(&o, &b, &err), CQ_EINVAL);
}

typedef struct blocked {
  cq_bus *bus;
  int rc;
} blocked;

static void *publish_ten(void *arg) {
  blocked *b = arg;
  cq_bus_event e;
  for (uint64_t i = 1; i <= 10 && b->rc == 0; i++) {
    trade(&e, i);
    b->rc = cq_bus_publish(b->bus, "t", &e, NULL);
  }
  return NULL;
}

/* A publisher held back by a full ring is let go when the consumer closes. */
static void test_block_released_by_close(void **state) {
  (void)state;
  cq_bus *b = open_bus(2, CQ_BUS_FULL_BLOCK);
  cq_bus_consumer *c = NULL;
  assert_int_equal(cq_bus_subscribe(b, "t", "g", "c", &c, NULL), 0);
  blocked arg = {b, 0};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, publish_ten, &arg), 0);
  struct timespec ts = {0, 5000000};
  nanosleep(&ts, NULL);
  cq_bus_consumer_close(c);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(arg.rc, 0);
  cq_bus_stats st;
  cq_bus_stats_get(b, &st);
  /* how far it got before the close depends on the scheduler; never past the ring */
  assert_true(st.published <= 2);
  assert_true(st.published + st.dropped <= 10);
  cq_bus_close(b);
}

static void test_options(void **state) {
  (void)state;
  cq_bus_options o;
  cq_bus_options_default(&o);
  o.ring_size = (size_t)1 << 30;
  cq_bus *b = NULL;
  cq_error err;
  assert_int_equal(cq_bus_inproc_open(&o, &b, &err), CQ_EINVAL);
  assert_non_null(strstr(err.msg, "ring_size"));
  cq_bus_options_default(&o);
  o.max_subs = 1;
  assert_int_equal(cq_bus_inproc_open(&o, &b, &err), 0);
  cq_bus_consumer *c;
  assert_int_equal(cq_bus_subscribe(b, "a", "g", "c", &c, &err), 0);
  assert_int_equal(cq_bus_subscribe(b, "b", "g", "c", &c, &err), CQ_ELIMIT);
  cq_bus_close(b);
  assert_int_equal(cq_bus_inproc_open(NULL, &b, &err), 0);
  cq_bus_close(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_topics_and_groups),       cmocka_unit_test(test_drop_when_full),
      cmocka_unit_test(test_many_producers_block),    cmocka_unit_test(test_blocking_poll_wakes),
      cmocka_unit_test(test_block_released_by_close), cmocka_unit_test(test_options),
      cmocka_unit_test(test_adaptive_spin),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
