/* Feed health on a simulated clock: rates, latency percentiles against sorted samples,
 * stale detection and clearing, edge-triggered alerts, the table, and concurrent feeding and
 * reading. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/ingest.h"

static const cq_time T0 = INT64_C(1704067200) * CQ_NS_PER_SEC;
#define S CQ_NS_PER_SEC
#define MS CQ_NS_PER_MS

typedef struct alerts {
  int n;
  cq_health_alert a[64];
} alerts;

static void on_alert(void *ctx, const cq_health_alert *a) {
  alerts *l = ctx;
  if (l->n < 64) l->a[l->n] = *a;
  l->n++;
}

static void test_rate(void **state) {
  (void)state;
  cq_health_opts o = {.window_s = 10};
  cq_health *h;
  assert_int_equal(cq_health_open(&o, &h, NULL), 0);
  int id, id2;
  assert_int_equal(cq_health_feed(h, "binance", "trades", &id, NULL), 0);
  assert_int_equal(cq_health_feed(h, "binance", "book", &id2, NULL), 0);
  assert_int_equal(cq_health_feed(h, "binance", "trades", &id2, NULL), 0);
  assert_int_equal(id2, id);
  assert_int_equal(cq_health_count(h), 2);
  /* 20 messages a second for 30 s */
  for (int s = 0; s < 30; s++)
    for (int k = 0; k < 20; k++) cq_health_on_message(h, id, 0, T0 + s * S + (int64_t)k * 50 * MS);
  cq_health_stats st;
  assert_int_equal(cq_health_get(h, id, T0 + 29 * S + 999 * MS, &st, NULL), 0);
  assert_true(fabs(st.rate - 20.0) < 1e-9);
  assert_int_equal(st.messages, 600);
  /* a receive time gone a window back counts as a message, not in the rate */
  cq_health_on_message(h, id, 0, T0 + 5 * S);
  assert_int_equal(cq_health_get(h, id, T0 + 29 * S + 999 * MS, &st, NULL), 0);
  assert_true(fabs(st.rate - 20.0) < 1e-9);
  assert_int_equal(st.messages, 601);
  assert_true(isnan(st.p50_ms));
  assert_int_equal(st.samples, 0);
  /* 5 s later half the window is quiet */
  assert_int_equal(cq_health_get(h, id, T0 + 34 * S + 999 * MS, &st, NULL), 0);
  assert_true(fabs(st.rate - 10.0) < 1e-9);
  assert_true(fabs(st.since_last_s - (34.999 - 29.95)) < 1e-6);
  assert_int_equal(cq_health_get(h, id, T0 + 100 * S, &st, NULL), 0);
  assert_true(st.rate == 0);
  cq_error err = {0};
  assert_int_equal(cq_health_get(h, 99, T0, &st, &err), CQ_EINVAL);
  assert_int_equal(cq_health_feed(h, "", "x", &id2, &err), CQ_EINVAL);
  cq_health_close(h);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static void test_percentiles(void **state) {
  (void)state;
  cq_health_opts o = {.window_s = 60};
  cq_health *h;
  assert_int_equal(cq_health_open(&o, &h, NULL), 0);
  int id;
  assert_int_equal(cq_health_feed(h, "okx", "trades", &id, NULL), 0);
  enum { N = 5000 };
  static int64_t lat[N];
  uint64_t x = 88172645463325252u;
  for (int i = 0; i < N; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    /* log-uniform from 20 us to ~1 s */
    lat[i] = (int64_t)(20000.0 * exp((double)(x % 1000000) / 1000000.0 * 10.8));
    cq_time recv = T0 + (cq_time)i * 10 * MS; /* 50 s */
    cq_health_on_message(h, id, recv - lat[i], recv);
  }
  qsort(lat, N, sizeof lat[0], cmp_i64);
  cq_health_stats st;
  assert_int_equal(cq_health_get(h, id, T0 + 50 * S, &st, NULL), 0);
  assert_int_equal(st.samples, N);
  size_t i50 = N / 2 - 1, i99 = (N * 99 + 99) / 100 - 1;
  double p50 = (double)lat[i50] / 1e6, p99 = (double)lat[i99] / 1e6;
  /* stated error: within 1/32 of a sample in the same bucket; allow 1/16 for the rank */
  assert_true(fabs(st.p50_ms - p50) <= p50 / 16);
  assert_true(fabs(st.p99_ms - p99) <= p99 / 16);
  /* two windows later the samples have aged out */
  assert_int_equal(cq_health_get(h, id, T0 + 200 * S, &st, NULL), 0);
  assert_int_equal(st.samples, 0);
  cq_health_close(h);
}

static void test_stale_and_edges(void **state) {
  (void)state;
  alerts l = {0};
  cq_health_opts o = {.window_s = 10,
                      .stale_s = 5,
                      .p99_max_ms = 100,
                      .min_samples = 10,
                      .alert_fn = on_alert,
                      .ctx = &l};
  cq_health *h;
  assert_int_equal(cq_health_open(&o, &h, NULL), 0);
  int id;
  assert_int_equal(cq_health_feed(h, "bybit", "book", &id, NULL), 0);
  assert_int_equal(cq_health_check(h, T0), 0); /* registration: the stale clock starts */
  assert_int_equal(cq_health_check(h, T0 + 5 * S), 1);
  assert_int_equal(l.a[0].kind, CQ_HA_STALE);
  assert_true(l.a[0].raised);
  assert_int_equal(cq_health_check(h, T0 + 6 * S), 0); /* raised once */
  cq_health_on_message(h, id, T0 + 6 * S, T0 + 6 * S + MS);
  assert_int_equal(cq_health_check(h, T0 + 7 * S), 1);
  assert_int_equal(l.a[1].kind, CQ_HA_STALE);
  assert_false(l.a[1].raised);
  assert_int_equal(cq_health_check(h, T0 + 8 * S), 0); /* cleared once */
  /* slow messages: latency alert once enough samples */
  for (int i = 0; i < 10; i++)
    cq_health_on_message(h, id, T0 + 8 * S, T0 + 8 * S + 500 * MS + i * MS);
  assert_int_equal(cq_health_check(h, T0 + 9 * S), 1);
  assert_int_equal(l.a[2].kind, CQ_HA_LATENCY);
  assert_true(l.a[2].raised);
  /* gap until resync; book invalid until valid */
  cq_health_on_gap(h, id);
  cq_health_on_book_invalid(h, id);
  assert_int_equal(cq_health_check(h, T0 + 9 * S), 2);
  assert_int_equal(cq_health_check(h, T0 + 9 * S), 0);
  cq_health_stats st;
  assert_int_equal(cq_health_get(h, id, T0 + 9 * S, &st, NULL), 0);
  assert_true(st.alert[CQ_HA_GAP] && st.alert[CQ_HA_BOOK] && st.alert[CQ_HA_LATENCY]);
  assert_int_equal(st.gaps, 1);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_int_equal(cq_health_format(h, T0 + 9 * S, f, NULL), 0);
  fclose(f);
  assert_non_null(strstr(buf, "VENUE"));
  assert_non_null(strstr(buf, "bybit"));
  assert_non_null(strstr(buf, "book-invalid"));
  free(buf);
  cq_health_on_resync(h, id);
  cq_health_on_book_valid(h, id);
  cq_health_on_reconnect(h, id);
  cq_health_on_out_of_order(h, id);
  /* 30 s later: latency samples aged out, feed stale again */
  int before = l.n;
  assert_int_equal(cq_health_check(h, T0 + 40 * S), 4);
  bool seen[CQ_HA_COUNT] = {0};
  for (int i = before; i < l.n; i++) {
    seen[l.a[i].kind] = true;
    assert_true(l.a[i].raised == (l.a[i].kind == CQ_HA_STALE));
  }
  assert_true(seen[CQ_HA_STALE] && seen[CQ_HA_LATENCY] && seen[CQ_HA_GAP] && seen[CQ_HA_BOOK]);
  assert_int_equal(cq_health_get(h, id, T0 + 40 * S, &st, NULL), 0);
  assert_int_equal(st.reconnects, 1);
  assert_int_equal(st.resyncs, 1);
  assert_int_equal(st.out_of_order, 1);
  /* the bus form */
  cq_bus_event ev;
  assert_int_equal(cq_health_alert_event(&l.a[before], 3, &ev, NULL), 0);
  assert_int_equal(ev.kind, CQ_VEV_STATUS);
  assert_string_equal(ev.venue, "bybit");
  assert_non_null(strstr(ev.u.status.detail, "book"));
  uint8_t enc[CQ_BUS_ENCODED_MAX];
  size_t elen;
  cq_bus_event back;
  assert_int_equal(cq_bus_encode(&ev, enc, sizeof enc, &elen, NULL), 0);
  assert_int_equal(cq_bus_decode(enc, elen, &back, NULL), 0);
  assert_int_equal(back.kind, CQ_VEV_STATUS);
  assert_string_equal(back.u.status.detail, ev.u.status.detail);
  cq_health_close(h);
}

typedef struct shared {
  cq_health *h;
  int id;
  _Atomic int done;
} shared;

enum { FEED_N = 200000 };

static void *feeder(void *arg) {
  shared *s = arg;
  for (int i = 0; i < FEED_N; i++) {
    if (i % 1000 == 0) cq_health_on_gap(s->h, s->id);
    cq_health_on_message(s->h, s->id, T0 + i * MS, T0 + i * MS + 2 * MS);
  }
  s->done = 1;
  return NULL;
}

static void test_concurrent(void **state) {
  (void)state;
  cq_health *h;
  cq_health_opts o = {.window_s = 5};
  assert_int_equal(cq_health_open(&o, &h, NULL), 0);
  shared s = {.h = h};
  assert_int_equal(cq_health_feed(h, "binance", "trades", &s.id, NULL), 0);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, feeder, &s), 0);
  uint64_t prev = 0;
  int reads = 0;
  FILE *devnull = fopen("/dev/null", "w");
  assert_non_null(devnull);
  while (!s.done || reads < 10) {
    cq_health_stats st;
    assert_int_equal(cq_health_get(h, s.id, T0 + FEED_N * MS, &st, NULL), 0);
    /* one record read whole: the gap count matches the message count it came with (the gap
     * of message i % 1000 == 0 is recorded just before it) */
    assert_true(st.messages >= prev);
    uint64_t want = (st.messages + 999) / 1000;
    assert_true(st.gaps == want || (st.gaps == want + 1 && st.messages % 1000 == 0));
    prev = st.messages;
    assert_int_equal(cq_health_format(h, T0, devnull, NULL), 0);
    (void)cq_health_check(h, T0 + FEED_N * MS);
    reads++;
  }
  fclose(devnull);
  pthread_join(th, NULL);
  cq_health_stats st;
  assert_int_equal(cq_health_get(h, s.id, T0 + FEED_N * MS, &st, NULL), 0);
  assert_int_equal(st.messages, FEED_N);
  assert_true(fabs(st.p50_ms - 2.0) <= 2.0 / 32);
  cq_health_close(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rate),
      cmocka_unit_test(test_percentiles),
      cmocka_unit_test(test_stale_and_edges),
      cmocka_unit_test(test_concurrent),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
