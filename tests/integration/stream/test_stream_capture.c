/* The stream capture against three venue simulators (Binance, OKX and Bybit dialects) in this
 * process, over loopback, with the market running at 20 times the wall clock so minutes pass
 * in seconds:
 *
 *   - three venues at once through the in-process bus into a store: every stored candle equals
 *     the venue's own REST candle (live candles are exact), every trade published is stored
 *     once, every feed is healthy;
 *   - faults from the simulators (a dropped connection, a stalled stream, a gap in the depth
 *     sequence): detected, alerted, repaired over REST, and the stored candles and trades
 *     equal those of a fault-free capture of the same market run beside it;
 *   - the Redis Streams bus (a redis-server started here): the recorder dies mid-stream
 *     without committing or acknowledging its batch and a new one takes over under its name:
 *     nothing lost, nothing applied twice. Skipped without a redis-server binary. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cquant/capture.h"
#include "cquant/vsim.h"
#include "redis_server.h"

#define SPEED 20.0
#define SEED "synthetic:11"

static const char *const dialects[3] = {"binance", "okx", "bybit"};
static const char *const names[3] = {"binance-sim", "okx-sim", "bybit-sim"};
static const char *const symbols[2] = {"BTC/USDT", "ETH/USDT"};
static const cq_timeframe tfs[2] = {{.n = 1, .unit = CQ_TF_MINUTE}, {.n = 5, .unit = CQ_TF_MINUTE}};

static cq_time wall_now(void) {
  cq_clock c;
  cq_clock_wall_init(&c);
  return cq_clock_now(&c);
}

static void sleep_ms(int ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* One capture of the three simulators into its own store. */
typedef struct rig {
  cq_net_loop *sim_loop[3];
  cq_vsim *sim[3];
  cq_net_loop *loop;
  cq_venue *v[3];
  cq_bus *bus;
  char db[64];
  cq_store *store;
  cq_capture *cap;
  cq_recorder *rec;
  pthread_t rt;
  _Atomic int rec_stop;
  int rec_rc;
  cq_error rec_err;
  _Atomic int alerts[CQ_HA_COUNT];
  cq_log *log;
} rig;

static void on_alert(void *ctx, const cq_health_alert *a) {
  rig *r = ctx;
  if (a->raised) atomic_fetch_add(&r->alerts[a->kind], 1);
}

static void rig_sims(rig *r) {
  cq_error e;
  for (int i = 0; i < 3; i++) {
    /* each simulator on its own loop: one server per loop */
    assert_int_equal(cq_net_loop_new(NULL, &r->sim_loop[i], &e), 0);
    cq_vsim_options so;
    cq_vsim_options_default(&so);
    so.dialect = dialects[i];
    so.market = SEED;
    so.speed = SPEED;
    if (cq_vsim_new(&so, &r->sim[i], &e)) fail_msg("vsim %s: %s", dialects[i], e.msg);
    if (cq_vsim_start(r->sim[i], r->sim_loop[i], NULL, 0, &e)) fail_msg("vsim start: %s", e.msg);
  }
}

static void rig_open(rig *r, cq_bus *bus, bool recorder) {
  cq_error e;
  r->bus = bus;
  assert_int_equal(cq_net_loop_new(NULL, &r->loop, &e), 0);
  for (int i = 0; i < 3; i++) {
    const cq_venue_ops *ops = NULL;
    assert_int_equal(cq_venue_find(dialects[i], &ops, &e), 0);
    cq_venue_config c;
    cq_venue_config_default(&c);
    c.rest_url = cq_vsim_rest_url(r->sim[i]);
    c.ws_url = cq_vsim_ws_url(r->sim[i]);
    c.loop = r->loop;
    c.ws.idle_timeout_ms = 2000; /* a stalled stream is noticed quickly */
    c.ws.reconnect_min_ms = 100;
    c.ws.reconnect_max_ms = 500;
    cq_verror ve;
    cq_verror_clear(&ve);
    if (ops->open(&c, &r->v[i], &ve)) fail_msg("open %s: %s", dialects[i], ve.e.msg);
  }
  snprintf(r->db, sizeof r->db, "/tmp/cq-stream-XXXXXX");
  int fd = mkstemp(r->db);
  assert_true(fd >= 0);
  close(fd);
  char uri[128];
  snprintf(uri, sizeof uri, "sqlite:%s", r->db);
  if (cq_store_open(uri, &r->store, &e)) fail_msg("store: %s", e.msg);
  cq_log_opts lo = {.level = CQ_LOG_INFO, .format = CQ_LOG_TEXT, .sink = stderr};
  if (cq_log_new(&lo, &r->log, &e)) fail_msg("log: %s", e.msg);
  if (recorder) {
    cq_topic_name *t = NULL;
    size_t nt = 0;
    assert_int_equal(cq_capture_topics(names, 3, symbols, 2, CQ_CAP_ALL, tfs, 2, true, &t, &nt, &e),
                     0);
    cq_recorder_opts ro = {
        .bus = bus, .store = r->store, .topics = t, .ntopics = nt, .batch_ms = 100};
    if (cq_recorder_open(&ro, &r->rec, &e)) fail_msg("recorder: %s", e.msg);
    free(t);
  }
  cq_capture_venue cv[3];
  for (int i = 0; i < 3; i++) cv[i] = (cq_capture_venue){.venue = r->v[i], .name = names[i]};
  cq_capture_opts co = {.venues = cv,
                        .nvenues = 3,
                        .symbols = symbols,
                        .nsymbols = 2,
                        .tfs = tfs,
                        .ntfs = 2,
                        .bus = bus,
                        .health = {.stale_s = 1.5, .alert_fn = on_alert, .ctx = r},
                        .repair_delay_ms = 300,
                        .tick_ms = 100,
                        .log = r->log};
  if (cq_capture_open(&co, &r->cap, &e)) fail_msg("capture: %s", e.msg);
}

static void *rec_thread(void *arg) {
  rig *r = arg;
  while (!atomic_load(&r->rec_stop)) {
    int rc = cq_recorder_step(r->rec, 5, NULL, &r->rec_err);
    if (rc) {
      r->rec_rc = rc;
      return NULL;
    }
  }
  return NULL;
}

static void rec_start(rig *r) {
  atomic_store(&r->rec_stop, 0);
  assert_int_equal(pthread_create(&r->rt, NULL, rec_thread, r), 0);
}

static void rec_join(rig *r) {
  atomic_store(&r->rec_stop, 1);
  pthread_join(r->rt, NULL);
  if (r->rec_rc) fail_msg("recorder: %s", r->rec_err.msg);
}

/* Stops the capture (repairs finished), then drains the recorder into the store. */
static void rig_finish(rig *r) {
  cq_capture_stop(r->cap, 15000);
  rec_join(r);
  cq_error e;
  for (int quiet = 0; quiet < 300;) {
    size_t got = 0;
    if (cq_recorder_step(r->rec, 10, &got, &e)) fail_msg("recorder: %s", e.msg);
    quiet = got ? 0 : quiet + 10;
  }
  if (cq_recorder_flush(r->rec, &e)) fail_msg("recorder flush: %s", e.msg);
}

static void rig_close(rig *r, bool sims) {
  cq_capture_close(r->cap);
  cq_recorder_close(r->rec);
  for (int i = 0; i < 3; i++)
    if (r->v[i]) r->v[i]->ops->close(r->v[i]);
  cq_net_loop_free(r->loop);
  cq_log_free(r->log);
  if (r->store) cq_store_close(r->store);
  unlink(r->db);
  for (int i = 0; sims && i < 3; i++) {
    cq_vsim_stop(r->sim[i]);
    cq_net_loop_free(r->sim_loop[i]);
    cq_vsim_free(r->sim[i]);
  }
}

static void key_of(cq_series_key *k, int v, int s, cq_timeframe tf) {
  memset(k, 0, sizeof *k);
  snprintf(k->venue, sizeof k->venue, "%s", names[v]);
  snprintf(k->symbol, sizeof k->symbol, "%s", symbols[s]);
  k->tf = tf;
}

static bool same(double a, double b) {
  return a == b || fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

static void candle_equal(const char *what, const cq_candle *a, const cq_candle *b) {
  if (a->open_time != b->open_time || !same(a->open, b->open) || !same(a->high, b->high) ||
      !same(a->low, b->low) || !same(a->close, b->close) || !same(a->volume, b->volume))
    fail_msg(
        "%s: candle at %lld differs: %.8f %.8f %.8f %.8f %.8f vs %lld %.8f %.8f %.8f %.8f "
        "%.8f",
        what, (long long)a->open_time, a->open, a->high, a->low, a->close, a->volume,
        (long long)b->open_time, b->open, b->high, b->low, b->close, b->volume);
}

/* Every stored candle of (v, s, tf) equals the venue's REST candle; returns how many. */
static size_t check_against_venue(rig *r, int v, int s, cq_timeframe tf) {
  cq_series_key k;
  key_of(&k, v, s, tf);
  cq_candles st;
  cq_candles_init(&st, 0);
  cq_error e;
  if (cq_store_get_candles(r->store, &k, INT64_MIN, INT64_MAX, &st, &e))
    fail_msg("get candles: %s", e.msg);
  size_t n = st.len;
  if (n) {
    cq_candles rest;
    cq_candles_init(&rest, 0);
    cq_verror ve;
    cq_verror_clear(&ve);
    cq_time from = st.open_time[0], to = st.open_time[n - 1] + cq_timeframe_ns(tf);
    if (r->v[v]->ops->candles(r->v[v], symbols[s], tf, from, to, &rest, &ve))
      fail_msg("rest candles: %s", ve.e.msg);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
      cq_candle a, b;
      cq_candles_get(&st, i, &a);
      while (j < rest.len && rest.open_time[j] < a.open_time) j++;
      if (j == rest.len)
        fail_msg("%s %s: stored candle %zu not at the venue", names[v], symbols[s], i);
      cq_candles_get(&rest, j, &b);
      candle_equal(names[v], &a, &b);
    }
    cq_candles_release(&rest);
  }
  cq_candles_release(&st);
  return n;
}

static uint64_t topic_published(rig *r, const char *topic) {
  cq_capture_topic_stats *t = NULL;
  size_t n = 0;
  cq_error e;
  assert_int_equal(cq_capture_topic_stats_get(r->cap, &t, &n, &e), 0);
  uint64_t p = 0;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(t[i].topic, topic)) p = t[i].published;
  free(t);
  return p;
}

/* Every stored topic: the recorder applied exactly what the capture published. */
static void check_exactly_once(rig *r) {
  cq_stream_offset *off = NULL;
  size_t n = 0;
  cq_error e;
  assert_int_equal(cq_store_get_offsets(r->store, "recorder-1", &off, &n, &e), 0);
  assert_int_equal(n, 3 * 2 * 3); /* trades, 1m, 5m per venue and symbol */
  for (size_t i = 0; i < n; i++) {
    uint64_t pub = topic_published(r, off[i].topic);
    if (off[i].applied != pub)
      fail_msg("%s: published %llu, applied %llu", off[i].topic, (unsigned long long)pub,
               (unsigned long long)off[i].applied);
  }
  free(off);
  /* and each trade is stored once: as many rows as trade events published (ids unique) */
  for (int v = 0; v < 3; v++)
    for (int s = 0; s < 2; s++) {
      cq_trades t;
      cq_trades_init(&t, 0);
      assert_int_equal(
          cq_store_get_trades(r->store, names[v], symbols[s], INT64_MIN, INT64_MAX, &t, &e), 0);
      char topic[CQ_BUS_TOPIC_MAX];
      assert_int_equal(cq_bus_topic(topic, sizeof topic, names[v], symbols[s], "trades", &e), 0);
      assert_true(t.len > 20);
      assert_int_equal(t.len, topic_published(r, topic));
      cq_trades_release(&t);
    }
}

/* ---- three venues, in-process bus ----------------------------------------------------- */

static void test_three_venues_inproc(void **state) {
  (void)state;
  rig r;
  memset(&r, 0, sizeof r);
  rig_sims(&r);
  cq_bus_options bo;
  cq_bus_options_default(&bo);
  bo.ring_size = 4096;
  bo.on_full = CQ_BUS_FULL_BLOCK;
  cq_bus *bus = NULL;
  cq_error e;
  assert_int_equal(cq_bus_inproc_open(&bo, &bus, &e), 0);
  rig_open(&r, bus, true);
  rec_start(&r);
  if (cq_capture_start(r.cap, &e)) fail_msg("start: %s", e.msg);
  sleep_ms(20000); /* about 6 market minutes */
  rig_finish(&r);

  cq_capture_stats cs;
  cq_capture_stats_get(r.cap, &cs);
  printf("captured %llu events: %llu trades, %llu books, %llu tickers, %llu live bars closed\n",
         (unsigned long long)cs.events, (unsigned long long)cs.trades, (unsigned long long)cs.books,
         (unsigned long long)cs.tickers, (unsigned long long)cs.candle_closes);
  assert_true(cs.tickers > 0);
  assert_true(cs.candle_closes > 0); /* live-built bars were stored, not only repaired ones */
  assert_int_equal(cs.publish_errors, 0);
  for (int v = 0; v < 3; v++)
    for (int s = 0; s < 2; s++) {
      size_t n = check_against_venue(&r, v, s, tfs[0]);
      if (n < 3) fail_msg("%s %s: %zu 1m candles stored", names[v], symbols[s], n);
      size_t n5 = check_against_venue(&r, v, s, tfs[1]);
      printf("%s %s: %zu 1m and %zu 5m candles equal the venue's\n", names[v], symbols[s], n, n5);
    }
  check_exactly_once(&r);

  /* every feed had messages; the books are valid */
  const cq_health *h = cq_capture_health(r.cap);
  size_t nf = cq_health_count(h);
  assert_int_equal(nf, 3 * 2 * 3);
  for (size_t i = 0; i < nf; i++) {
    cq_health_stats st;
    assert_int_equal(cq_health_get(h, (int)i, wall_now(), &st, &e), 0);
    if (!st.messages) fail_msg("%s %s: no message", st.venue, st.stream);
    if (strstr(st.stream, "book")) assert_false(st.book_invalid);
  }
  char *json = NULL;
  assert_int_equal(cq_capture_status_json(r.cap, wall_now(), &json, &e), 0);
  assert_non_null(strstr(json, "\"feeds\""));
  free(json);
  rig_close(&r, true);
  cq_bus_close(bus);
}

/* ---- faults: detected, alerted, repaired; stored data equals a fault-free run ---------- */

static void arm(cq_vsim *s, cq_vsim_fault_kind k, int64_t n) {
  cq_vsim_fault_spec f;
  memset(&f, 0, sizeof f);
  f.kind = k;
  f.n = n;
  f.at_ms = -1;
  cq_error e;
  if (cq_vsim_fault(s, &f, &e)) fail_msg("fault: %s", e.msg);
}

/* Stored candles of a and b agree over the range both cover; returns how many compared. */
static size_t compare_candles(rig *a, rig *b, int v, int s, cq_timeframe tf) {
  cq_series_key k;
  key_of(&k, v, s, tf);
  cq_candles x, y;
  cq_candles_init(&x, 0);
  cq_candles_init(&y, 0);
  cq_error e;
  assert_int_equal(cq_store_get_candles(a->store, &k, INT64_MIN, INT64_MAX, &x, &e), 0);
  assert_int_equal(cq_store_get_candles(b->store, &k, INT64_MIN, INT64_MAX, &y, &e), 0);
  size_t n = 0;
  if (x.len && y.len) {
    cq_time lo = x.open_time[0] > y.open_time[0] ? x.open_time[0] : y.open_time[0];
    cq_time hi = x.open_time[x.len - 1] < y.open_time[y.len - 1] ? x.open_time[x.len - 1]
                                                                 : y.open_time[y.len - 1];
    size_t i = 0, j = 0;
    while (i < x.len && x.open_time[i] < lo) i++;
    while (j < y.len && y.open_time[j] < lo) j++;
    for (; i < x.len && x.open_time[i] <= hi; i++, j++, n++) {
      if (j >= y.len) fail_msg("%s %s: the faulty run lacks bars", names[v], symbols[s]);
      cq_candle p, q;
      cq_candles_get(&x, i, &p);
      cq_candles_get(&y, j, &q);
      candle_equal(names[v], &p, &q); /* a hole in either shows as different open times */
    }
  }
  cq_candles_release(&x);
  cq_candles_release(&y);
  return n;
}

static bool in_incomplete_hole(const cq_capture_repair *rep, size_t nrep, int v, int s, cq_time t) {
  for (size_t i = 0; i < nrep; i++)
    if (!rep[i].trades_complete && !strcmp(rep[i].venue, names[v]) &&
        !strcmp(rep[i].symbol, symbols[s]) && t > rep[i].from && t < rep[i].to)
      return true;
  return false;
}

/* Stored trades of a (fault-free) and b (faulty) agree over the time both cover: b has no
 * trade a lacks, and each trade of a is in b unless it lies in a hole whose repair b reported
 * incomplete (the venue's recent trades no longer reached back to it). Returns how many
 * trades of a were found in b; *missing those that were not. */
static size_t compare_trades(rig *a, rig *b, int v, int s, size_t *missing) {
  cq_trades x, y;
  cq_trades_init(&x, 0);
  cq_trades_init(&y, 0);
  cq_error e;
  assert_int_equal(
      cq_store_get_trades(a->store, names[v], symbols[s], INT64_MIN, INT64_MAX, &x, &e), 0);
  assert_int_equal(
      cq_store_get_trades(b->store, names[v], symbols[s], INT64_MIN, INT64_MAX, &y, &e), 0);
  cq_capture_repair *rep = NULL;
  size_t nrep = 0;
  assert_int_equal(cq_capture_repairs_get(b->cap, &rep, &nrep, &e), 0);
  size_t n = 0;
  *missing = 0;
  if (x.len && y.len) {
    cq_time lo = x.time[0] > y.time[0] ? x.time[0] : y.time[0];
    cq_time hi = x.time[x.len - 1] < y.time[y.len - 1] ? x.time[x.len - 1] : y.time[y.len - 1];
    cq_trades p, q;
    cq_trades_init(&p, 0);
    cq_trades_init(&q, 0);
    assert_int_equal(cq_store_get_trades(a->store, names[v], symbols[s], lo, hi + 1, &p, &e), 0);
    assert_int_equal(cq_store_get_trades(b->store, names[v], symbols[s], lo, hi + 1, &q, &e), 0);
    size_t j = 0;
    for (size_t i = 0; i < p.len; i++) {
      size_t k = j;
      while (k < q.len && strcmp(p.id[i], q.id[k]) && q.time[k] <= p.time[i]) k++;
      if (k < q.len && !strcmp(p.id[i], q.id[k])) {
        if (p.time[i] != q.time[k] || cq_dec_cmp(p.price[i], q.price[k]) ||
            cq_dec_cmp(p.qty[i], q.qty[k]))
          fail_msg("%s %s: trade %s differs", names[v], symbols[s], p.id[i]);
        if (k != j)
          fail_msg("%s %s: the faulty run has trades the other lacks before %s", names[v],
                   symbols[s], p.id[i]);
        j = k + 1;
        n++;
        continue;
      }
      if (!in_incomplete_hole(rep, nrep, v, s, p.time[i]))
        fail_msg(
            "%s %s: trade %s at %lld is missing from the faulty run, outside any hole "
            "reported incomplete",
            names[v], symbols[s], p.id[i], (long long)p.time[i]);
      (*missing)++;
    }
    if (j != q.len)
      fail_msg("%s %s: the faulty run has %zu trades the other lacks", names[v], symbols[s],
               q.len - j);
    cq_trades_release(&p);
    cq_trades_release(&q);
  }
  free(rep);
  cq_trades_release(&x);
  cq_trades_release(&y);
  return n;
}

static void test_faults_repaired(void **state) {
  (void)state;
  rig clean, faulty;
  memset(&clean, 0, sizeof clean);
  memset(&faulty, 0, sizeof faulty);
  rig_sims(&clean);
  rig_sims(&faulty);
  cq_bus_options bo;
  cq_bus_options_default(&bo);
  bo.ring_size = 4096;
  bo.on_full = CQ_BUS_FULL_BLOCK;
  cq_bus *b1 = NULL, *b2 = NULL;
  cq_error e;
  assert_int_equal(cq_bus_inproc_open(&bo, &b1, &e), 0);
  assert_int_equal(cq_bus_inproc_open(&bo, &b2, &e), 0);
  rig_open(&clean, b1, true);
  rig_open(&faulty, b2, true);
  rec_start(&clean);
  rec_start(&faulty);
  if (cq_capture_start(clean.cap, &e) || cq_capture_start(faulty.cap, &e))
    fail_msg("start: %s", e.msg);
  sleep_ms(6000);
  arm(faulty.sim[0], CQ_VSIM_FAULT_WS_DROP, 5);    /* Binance: the connection drops */
  arm(faulty.sim[1], CQ_VSIM_FAULT_WS_STALL, 5);   /* OKX: the stream goes silent */
  arm(faulty.sim[2], CQ_VSIM_FAULT_DEPTH_DROP, 1); /* Bybit: a depth update is lost */
  sleep_ms(6000);
  arm(faulty.sim[2], CQ_VSIM_FAULT_WS_DROP, 5); /* and Bybit drops too */
  sleep_ms(8000);
  rig_finish(&clean);
  rig_finish(&faulty);

  cq_capture_stats cs;
  cq_capture_stats_get(faulty.cap, &cs);
  printf(
      "faulty run: %llu reconnects, %llu holes, %llu repaired (%llu trades, %llu candles), "
      "%llu live bars withheld; alerts gap %d book %d stale %d\n",
      (unsigned long long)cs.reconnects, (unsigned long long)cs.holes,
      (unsigned long long)cs.repairs_done, (unsigned long long)cs.repaired_trades,
      (unsigned long long)cs.repaired_candles, (unsigned long long)cs.tainted,
      atomic_load(&faulty.alerts[CQ_HA_GAP]), atomic_load(&faulty.alerts[CQ_HA_BOOK]),
      atomic_load(&faulty.alerts[CQ_HA_STALE]));
  /* detected */
  assert_true(cs.reconnects >= 3);
  const cq_health *h = cq_capture_health(faulty.cap);
  uint64_t book_gaps = 0, book_resyncs = 0, trade_gaps = 0;
  for (size_t i = 0; i < cq_health_count(h); i++) {
    cq_health_stats st;
    assert_int_equal(cq_health_get(h, (int)i, wall_now(), &st, &e), 0);
    if (strstr(st.stream, "book")) {
      book_gaps += st.gaps;
      book_resyncs += st.resyncs;
    } else if (strstr(st.stream, "trades")) {
      trade_gaps += st.gaps;
    }
  }
  assert_true(book_gaps >= 1);
  assert_true(book_resyncs >= 1);
  assert_true(trade_gaps >= 3);
  /* alerted */
  assert_true(atomic_load(&faulty.alerts[CQ_HA_GAP]) >= 1);
  assert_true(atomic_load(&faulty.alerts[CQ_HA_BOOK]) >= 1);
  assert_true(atomic_load(&faulty.alerts[CQ_HA_STALE]) >= 1); /* the stalled OKX stream */
  /* repaired */
  assert_true(cs.holes >= 6 + 3 * 2);
  assert_true(cs.repaired_trades > 0);
  assert_true(cs.repaired_candles > 0);
  cq_capture_repair *rep = NULL;
  size_t nrep = 0;
  assert_int_equal(cq_capture_repairs_get(faulty.cap, &rep, &nrep, &e), 0);
  for (size_t i = 0; i < nrep; i++) /* only Bybit's 60 recent trades can fall short */
    if (!rep[i].trades_complete && strcmp(rep[i].venue, "bybit-sim"))
      fail_msg("%s %s: trades of a hole not recovered", rep[i].venue, rep[i].symbol);
  free(rep);
  /* and the stored data equals the fault-free run's */
  for (int v = 0; v < 3; v++)
    for (int s = 0; s < 2; s++) {
      size_t n = compare_candles(&clean, &faulty, v, s, tfs[0]);
      if (n < 3) fail_msg("%s %s: only %zu 1m candles in common", names[v], symbols[s], n);
      (void)compare_candles(&clean, &faulty, v, s, tfs[1]);
      (void)check_against_venue(&faulty, v, s, tfs[0]);
      size_t miss = 0, nt = compare_trades(&clean, &faulty, v, s, &miss);
      if (nt < 50) fail_msg("%s %s: too few trades in common", names[v], symbols[s]);
      printf(
          "%s %s: %zu 1m candles and %zu trades equal the fault-free run's (%zu in holes "
          "reported incomplete)\n",
          names[v], symbols[s], n, nt, miss);
    }
  check_exactly_once(&faulty);
  rig_close(&clean, true);
  rig_close(&faulty, true);
  cq_bus_close(b1);
  cq_bus_close(b2);
}

/* ---- Redis: the recorder dies and another takes over ---------------------------------- */

static void test_redis_recorder_restart(void **state) {
  (void)state;
  test_redis srv;
  int rc = test_redis_start(&srv);
  if (rc == 1) {
    printf("skipped: no redis-server binary\n");
    return;
  }
  assert_int_equal(rc, 0);
  cq_bus_redis_options ro;
  cq_bus_redis_options_default(&ro);
  ro.port = srv.port;
  ro.claim_min_idle_ms = 1000;
  cq_bus *bus = NULL;
  cq_error e;
  if (cq_bus_redis_open(&ro, &bus, &e)) fail_msg("redis: %s", e.msg);
  rig r;
  memset(&r, 0, sizeof r);
  rig_sims(&r);
  rig_open(&r, bus, true); /* subscribes the recorder's groups before anything is published */
  rec_start(&r);
  if (cq_capture_start(r.cap, &e)) fail_msg("start: %s", e.msg);
  sleep_ms(5000);
  /* the recorder dies: its open batch is neither committed nor acknowledged */
  rec_join(&r);
  cq_recorder_stats before;
  cq_recorder_stats_get(r.rec, &before);
  cq_recorder_close(r.rec);
  r.rec = NULL;
  sleep_ms(2000); /* the capture goes on publishing */
  cq_topic_name *t = NULL;
  size_t nt = 0;
  assert_int_equal(cq_capture_topics(names, 3, symbols, 2, CQ_CAP_ALL, tfs, 2, true, &t, &nt, &e),
                   0);
  cq_recorder_opts o = {.bus = bus, .store = r.store, .topics = t, .ntopics = nt, .batch_ms = 100};
  if (cq_recorder_open(&o, &r.rec, &e)) fail_msg("recorder: %s", e.msg);
  free(t);
  rec_start(&r);
  sleep_ms(5000);
  rig_finish(&r);
  cq_recorder_stats after;
  cq_recorder_stats_get(r.rec, &after);
  printf(
      "recorder 1 applied %llu events, recorder 2 applied %llu and skipped %llu "
      "duplicates\n",
      (unsigned long long)before.applied, (unsigned long long)after.applied,
      (unsigned long long)after.duplicates);
  assert_true(before.applied > 0);
  assert_true(after.applied > 0);
  check_exactly_once(&r);
  rig_close(&r, true);
  cq_bus_close(bus);
  test_redis_stop(&srv);
}

/* An argument runs only the tests whose names match it (cmocka's filter: "*redis*"). */
int main(int argc, char **argv) {
  if (argc > 1) cmocka_set_test_filter(argv[1]);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_three_venues_inproc),
      cmocka_unit_test(test_faults_repaired),
      cmocka_unit_test(test_redis_recorder_restart),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
