/* The event bus, in process: events/s with back-pressure from one and from two producers
 * into one consumer, and the publish-to-consume latency (p50/p99/p99.9) at a realistic 100 k
 * events/s, paced (one event every 10 us) and in bursts (64 back to back every 640 us), for
 * a consumer that polls hot, one that spins adaptively before sleeping (spin_ns), and one
 * that sleeps at once; each beside a baseline measured the same way in the same run: a mutex +
 * condition variable queue moving the same events.
 *
 * Latency is taken at a rate well under the capacity so that it is the hand-over and not the
 * queueing of a saturated ring; the producer stamps each event on the monotonic clock just
 * before publishing it and the consumer reads the clock once per poll that returns events.
 *
 * Then Redis Streams, when a redis-server binary is there (started on 127.0.0.1, a free port,
 * no persistence): pipelined publish and consume events/s, beside redis-benchmark's own XADD
 * figure when that tool is there.
 *
 *   bench_bus [events]   (default 5,000,000 for throughput; latency runs take 1/50 of it)
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "cquant/bus.h"
#include "redis_server.h"

enum { RING = 8192, BATCH = 256 };

static inline void cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void trade(cq_bus_event *e, uint64_t id) {
  memset(e, 0, sizeof *e);
  e->kind = CQ_VEV_TRADE;
  snprintf(e->venue, sizeof e->venue, "binance");
  snprintf(e->symbol, sizeof e->symbol, "BTC/USDT");
  e->id = id;
  e->u.trade.price = CQ_DEC(4321012 + (int64_t)(id % 100), 2);
  e->u.trade.qty = CQ_DEC(15, 3);
  e->u.trade.taker_side = CQ_SIDE_BUY;
}

/* ---- the baseline: a bounded queue under one mutex ------------------------------------- */

typedef struct mq {
  pthread_mutex_t mu;
  pthread_cond_t not_empty, not_full;
  cq_bus_event *slots;
  size_t head, tail, cap;
  bool closed; /* the consumer gave up: pushes return at once */
} mq;

static int mq_init(mq *q, size_t cap) {
  q->slots = malloc(sizeof *q->slots * cap);
  if (!q->slots) return -1;
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->not_empty, NULL);
  pthread_cond_init(&q->not_full, NULL);
  q->head = q->tail = 0;
  q->cap = cap;
  q->closed = false;
  return 0;
}

static void mq_free(mq *q) {
  free(q->slots);
  pthread_mutex_destroy(&q->mu);
  pthread_cond_destroy(&q->not_empty);
  pthread_cond_destroy(&q->not_full);
}

static void mq_push(mq *q, const cq_bus_event *e) {
  pthread_mutex_lock(&q->mu);
  while (q->head - q->tail == q->cap && !q->closed) pthread_cond_wait(&q->not_full, &q->mu);
  if (q->closed) {
    pthread_mutex_unlock(&q->mu);
    return;
  }
  memcpy(&q->slots[q->head % q->cap], e, cq_bus_event_size(e));
  q->head++;
  pthread_cond_signal(&q->not_empty);
  pthread_mutex_unlock(&q->mu);
}

static void mq_close(mq *q) {
  pthread_mutex_lock(&q->mu);
  q->closed = true;
  pthread_cond_broadcast(&q->not_full);
  pthread_mutex_unlock(&q->mu);
}

/* Up to max; wait: block until one comes. */
static size_t mq_pop(mq *q, cq_bus_event *out, size_t max, bool wait) {
  pthread_mutex_lock(&q->mu);
  while (wait && q->head == q->tail) pthread_cond_wait(&q->not_empty, &q->mu);
  size_t k = 0;
  while (k < max && q->tail != q->head) {
    const cq_bus_event *e = &q->slots[q->tail % q->cap];
    memcpy(&out[k++], e, cq_bus_event_size(e));
    q->tail++;
  }
  if (k) pthread_cond_broadcast(&q->not_full);
  pthread_mutex_unlock(&q->mu);
  return k;
}

/* ---- the runs -------------------------------------------------------------------------- */

enum { MAX_PROD = 2, PROD_SHIFT = 40 };

typedef enum wait_mode {
  WAIT_HOT,   /* the consumer polls without waiting, in a loop (a core of its own) */
  WAIT_SPIN,  /* bus: poll with a timeout and the adaptive spin (spin_ns); mq: n/a */
  WAIT_SLEEP, /* poll with a timeout: the short look, then the futex (bus) / condvar (mq) */
} wait_mode;

typedef struct run {
  cq_bus *bus; /* NULL: the baseline queue */
  mq *q;
  uint64_t n;      /* events per producer */
  int nprod;       /* producers */
  int64_t pace_ns; /* latency: one event (or one burst) every pace_ns; 0: as fast as possible */
  int burst;       /* latency: events published back to back at each pace step (>= 1) */
  wait_mode wait;
  _Atomic int failed;
} run;

typedef struct producer {
  run *r;
  int index;
} producer;

/* Waits until the monotonic instant `at` the way a network thread waits for its next
 * message: asleep (timer slack 1 ns, so a 10 us sleep is not stretched to the default 50
 * us), spinning only over the last 2 us. A producer spinning all along would hold a core
 * the consumer and the rest of the machine need, and put the scheduler's time slices into
 * every figure. Returns the clock when done. */
static int64_t pace_until(int64_t at) {
  int64_t t = now_ns();
  if (at - t > 2000) {
    int64_t wake = at - 2000;
    struct timespec ts = {.tv_sec = (time_t)(wake / 1000000000),
                          .tv_nsec = (long)(wake % 1000000000)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    t = now_ns();
  }
  while (t < at) {
    cpu_pause();
    t = now_ns();
  }
  return t;
}

static void *produce(void *arg) {
  const producer *pr = arg;
  if (pr->r->pace_ns) prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  run *r = pr->r;
  cq_bus_event e;
  trade(&e, 0);
  uint64_t base = (uint64_t)pr->index << PROD_SHIFT;
  int64_t next = now_ns();
  int burst = r->burst > 0 ? r->burst : 1;
  for (uint64_t i = 1; i <= r->n; i++) {
    e.id = base | i;
    if (r->pace_ns) {
      if ((i - 1) % (uint64_t)burst == 0) {
        int64_t t = pace_until(next);
        /* a producer that fell behind (preempted) starts afresh instead of catching up in a
         * burst of its own making */
        next = (t - next > r->pace_ns ? t : next) + r->pace_ns;
      }
      e.publish_time = now_ns(); /* steady clock: the consumer measures against it */
    } else {
      e.publish_time = 1;
    }
    if (r->bus) {
      if (cq_bus_publish(r->bus, "md.binance.BTC/USDT.trades", &e, NULL) != 0) {
        atomic_store(&r->failed, 1);
        return NULL;
      }
    } else {
      mq_push(r->q, &e);
    }
    if (atomic_load_explicit(&r->failed, memory_order_relaxed)) return NULL;
  }
  return NULL;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Consumes every producer's events, checking each producer's order; lat (r->n entries, one
 * producer) gets each latency when pacing. Returns seconds, < 0 on a failure. */
static double consume(run *r, cq_bus_consumer *c, int64_t *lat) {
  cq_bus_event *evs = malloc(sizeof *evs * BATCH);
  if (!evs) return -1;
  pthread_t th[MAX_PROD];
  producer pr[MAX_PROD];
  int started = 0;
  double t0 = now_s();
  for (; started < r->nprod; started++) {
    pr[started] = (producer){r, started};
    if (pthread_create(&th[started], NULL, produce, &pr[started]) != 0) {
      atomic_store(&r->failed, 1);
      break;
    }
  }
  uint64_t total = r->n * (uint64_t)r->nprod, got = 0, expect[MAX_PROD] = {1, 1};
  while (got < total && !atomic_load(&r->failed)) {
    size_t k = 0;
    if (c) { /* the bus (its consumer is set exactly when r->bus is) */
      if (cq_bus_poll(c, evs, NULL, BATCH, &k, r->wait == WAIT_HOT ? 0 : 100, NULL) != 0) break;
    } else {
      k = mq_pop(r->q, evs, BATCH, r->wait != WAIT_HOT);
    }
    int64_t t = lat ? now_ns() : 0;
    for (size_t i = 0; i < k; i++) {
      uint64_t p = evs[i].id >> PROD_SHIFT, seq = evs[i].id & ((UINT64_C(1) << PROD_SHIFT) - 1);
      if (p >= (uint64_t)r->nprod || seq != expect[p]) {
        fprintf(stderr, "bench_bus: event %llu of producer %llu arrived out of order\n",
                (unsigned long long)seq, (unsigned long long)p);
        atomic_store(&r->failed, 1);
        break;
      }
      expect[p]++;
      if (lat) lat[got + i] = t - evs[i].publish_time;
    }
    got += k;
  }
  double dt = now_s() - t0;
  if (atomic_load(&r->failed)) { /* release producers held back by a full queue */
    if (c)
      cq_bus_consumer_close(c);
    else
      mq_close(r->q);
  }
  for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
  free(evs);
  return atomic_load(&r->failed) ? -1 : dt;
}

static double pct(const int64_t *sorted, uint64_t n, uint64_t per_mille) {
  uint64_t i = n * per_mille / 1000;
  return (double)sorted[i] * 1e-3;
}

/* p50 / p99 / p99.9 in us of all rounds' samples (sorted here), and the best round's p99. */
static void report_lat(const char *mode, const char *name, int64_t *lat, uint64_t n,
                       double best_p99) {
  qsort(lat, n, sizeof *lat, cmp_i64);
  printf("  %-5s %-32s p50 %6.2f  p99 %8.2f  p99.9 %8.2f  (best round's p99 %7.2f) us\n", mode,
         name, pct(lat, n, 500), pct(lat, n, 990), pct(lat, n, 999), best_p99);
}

/* One bus or baseline queue for a run; *c the bus's consumer. */
static int open_run(run *r, mq *q, bool base, int64_t spin_ns, cq_bus_consumer **c) {
  *c = NULL;
  if (base) {
    if (mq_init(q, RING) != 0) return -1;
    r->q = q;
    return 0;
  }
  cq_bus_options o;
  cq_bus_options_default(&o);
  o.ring_size = RING;
  o.on_full = CQ_BUS_FULL_BLOCK;
  o.spin_ns = spin_ns;
  cq_error err;
  if (cq_bus_inproc_open(&o, &r->bus, &err) != 0) {
    fprintf(stderr, "bench_bus: %s\n", err.msg);
    return -1;
  }
  if (cq_bus_subscribe(r->bus, "md.binance.BTC/USDT.trades", "g", "c", c, &err) != 0) {
    fprintf(stderr, "bench_bus: %s\n", err.msg);
    cq_bus_close(r->bus);
    return -1;
  }
  return 0;
}

static void close_run(run *r) {
  if (r->q)
    mq_free(r->q);
  else if (r->bus)
    cq_bus_close(r->bus);
}

/* events/s with back-pressure, nprod producers, bus then baseline */
static int bench_throughput(uint64_t n, int nprod) {
  for (int base = 0; base < 2; base++) {
    run r = {.n = n / (uint64_t)nprod, .nprod = nprod, .wait = WAIT_SLEEP};
    mq q;
    cq_bus_consumer *c;
    if (open_run(&r, &q, base, 0, &c) != 0) return -1;
    double dt = consume(&r, c, NULL);
    close_run(&r);
    if (dt < 0) return -1;
    uint64_t total = r.n * (uint64_t)nprod;
    char name[64];
    snprintf(name, sizeof name, "%s, %d producer%s",
             base ? "mutex+condvar queue" : "in-process bus", nprod, nprod > 1 ? "s" : "");
    printf("  %-43s %8.2f M events/s (%llu events, %.3f s)%s\n", name, (double)total / dt / 1e6,
           (unsigned long long)total, dt, base ? "" : "  target >= 10 M/s");
  }
  return 0;
}

enum { ROUNDS = 3, NMODES = 5 };

/* Publish-to-consume latency at 100 k events/s: paced (one event every 10 us) or in bursts
 * (64 back to back every 640 us), for each way of waiting. The modes take turns, ROUNDS
 * rounds of n / ROUNDS events each, so a burst of load from elsewhere does not fall on one
 * mode alone; the first 2 % of a round (warm-up) is left out. lat: NMODES arrays of n. */
static int bench_latency(uint64_t n, int64_t *const *lat, int burst) {
  static const struct {
    bool base;
    wait_mode wait;
    int64_t spin_ns;
    const char *name;
  } modes[NMODES] = {
      {false, WAIT_HOT, 0, "in-process bus, polls hot"},
      {false, WAIT_SPIN, 50000, "in-process bus, spins <= 50 us"},
      {false, WAIT_SLEEP, 0, "in-process bus, sleeps (futex)"},
      {true, WAIT_HOT, 0, "mutex+condvar queue, polls hot"},
      {true, WAIT_SLEEP, 0, "mutex+condvar queue, sleeps"},
  };
  uint64_t per = n / ROUNDS, skip = per / 50, kept = 0;
  double best[NMODES];
  int64_t *tmp = malloc(sizeof *tmp * per);
  if (!tmp) return -1;
  for (int m = 0; m < NMODES; m++) best[m] = 1e300;
  for (int round = 0; round < ROUNDS; round++) {
    for (int m = 0; m < NMODES; m++) {
      run r = {.n = per,
               .nprod = 1,
               .pace_ns = 10000 * (int64_t)burst,
               .burst = burst,
               .wait = modes[m].wait};
      mq q;
      cq_bus_consumer *c;
      if (open_run(&r, &q, modes[m].base, modes[m].spin_ns, &c) != 0) goto fail;
      double dt = consume(&r, c, tmp);
      close_run(&r);
      if (dt < 0) goto fail;
      memcpy(lat[m] + kept, tmp + skip, sizeof *tmp * (per - skip));
      qsort(tmp + skip, per - skip, sizeof *tmp, cmp_i64);
      double p99 = pct(tmp + skip, per - skip, 990);
      if (p99 < best[m]) best[m] = p99;
    }
    kept += per - skip;
  }
  for (int m = 0; m < NMODES; m++)
    report_lat(burst > 1 ? "burst" : "paced", modes[m].name, lat[m], kept, best[m]);
  free(tmp);
  return 0;
fail:
  free(tmp);
  return -1;
}

/* How much a thread that only reads the clock loses the CPU on this machine now: the
 * floor under every tail figure above. */
static void print_noise(void) {
  int64_t t0 = now_ns(), prev = t0, longest = 0;
  uint64_t over = 0;
  for (int64_t t = t0; t - t0 < 500000000; t = now_ns()) {
    if (t - prev > 20000) over++;
    if (t - prev > longest) longest = t - prev;
    prev = t;
  }
  printf(
      "  noise: a thread spinning on the clock for 0.5 s lost the CPU %llu times for over "
      "20 us, at most %.0f us\n",
      (unsigned long long)over, (double)longest / 1e3);
}

/* ---- Redis Streams --------------------------------------------------------------------- */

static int redis_run(int port, uint64_t n) {
  cq_bus_redis_options o;
  cq_bus_redis_options_default(&o);
  o.port = port;
  o.maxlen = (int64_t)n + 1000;
  cq_bus *b = NULL;
  cq_error err;
  for (int i = 0; i < 200 && cq_bus_redis_open(&o, &b, &err) != 0; i++) {
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
  }
  if (!b) {
    fprintf(stderr, "bench_bus: %s\n", err.msg);
    return 1;
  }
  cq_bus_consumer *c = NULL;
  if (cq_bus_subscribe(b, "md.binance.BTC/USDT.trades", "g", "c", &c, &err) != 0) {
    fprintf(stderr, "bench_bus: %s\n", err.msg);
    cq_bus_close(b);
    return 1;
  }
  cq_bus_event *evs = malloc(sizeof *evs * BATCH);
  cq_bus_tag *tags = malloc(sizeof *tags * BATCH);
  int rc = 1;
  if (!evs || !tags) goto out;
  for (int i = 0; i < BATCH; i++) trade(&evs[i], 0);
  double t0 = now_s();
  for (uint64_t done = 0; done < n;) {
    size_t k = n - done < BATCH ? (size_t)(n - done) : BATCH;
    for (size_t i = 0; i < k; i++) evs[i].id = done + i + 1;
    if (cq_bus_publish_batch(b, "md.binance.BTC/USDT.trades", evs, k, &err) != 0) {
      fprintf(stderr, "bench_bus: %s\n", err.msg);
      goto out;
    }
    done += k;
  }
  double dt = now_s() - t0;
  printf("  %-36s %10.3f M events/s (%llu events, pipelined by %d)\n", "redis publish (XADD)",
         (double)n / dt / 1e6, (unsigned long long)n, BATCH);
  t0 = now_s();
  uint64_t got = 0;
  while (got < n) {
    size_t k = 0;
    if (cq_bus_poll(c, evs, tags, BATCH, &k, 1000, &err) != 0 ||
        cq_bus_ack(c, tags, k, &err) != 0) {
      fprintf(stderr, "bench_bus: %s\n", err.msg);
      goto out;
    }
    if (k == 0) {
      fprintf(stderr, "bench_bus: redis: %llu of %llu events came back\n", (unsigned long long)got,
              (unsigned long long)n);
      goto out;
    }
    got += k;
  }
  dt = now_s() - t0;
  printf("  %-36s %10.3f M events/s (XREADGROUP + XACK, %d a read)\n", "redis consume",
         (double)n / dt / 1e6, BATCH);
  rc = 0;
out:
  free(evs);
  free(tags);
  cq_bus_consumer_close(c);
  cq_bus_close(b);
  return rc;
}

static int bench_redis(uint64_t n) {
  char tool[512];
#ifndef CQ_HAVE_REDIS
  printf("  redis streams: skipped (built without hiredis)\n");
  return 0;
#endif
  test_redis srv;
  int started = test_redis_start(&srv);
  if (started == 1) {
    printf("  redis streams: skipped (no redis-server binary)\n");
    return 0;
  }
  if (started) return 1;
  int port = srv.port;
  int rc = redis_run(port, n);
  if (rc == 0 && test_find_bin("redis-benchmark", tool, sizeof tool)) {
    /* the server's own figure for the same command, same pipelining depth */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s -h 127.0.0.1 -p %d -q -n %llu -P %d XADD rb MAXLEN '~' %llu '*' e "
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
             "xxxxxxxxxxxxxxxxxx 2>/dev/null",
             tool, port, (unsigned long long)n, BATCH, (unsigned long long)n);
    FILE *f = popen(cmd, "r");
    char out[4096];
    size_t len = f ? fread(out, 1, sizeof out - 1, f) : 0;
    out[len] = '\0';
    /* progress lines end in '\r'; the figure is the segment with "requests per second" */
    char *hit = strstr(out, "requests per second");
    if (hit) {
      char *start = hit;
      while (start > out && start[-1] != '\r' && start[-1] != '\n') start--;
      char *end = strpbrk(hit, "\r\n");
      if (end) *end = '\0';
      char *colon = strstr(start, ": ");
      /* the text after the command (its payload is long) */
      while (colon && strstr(colon + 2, ": ")) colon = strstr(colon + 2, ": ");
      printf("  %-36s %s\n", "redis-benchmark XADD", colon ? colon + 2 : start);
    }
    if (f) pclose(f);
  }
  test_redis_stop(&srv);
  return rc;
}

/* The machine the figures come from: cores and load (a loaded machine's tail is the
 * scheduler's). */
static void print_context(void) {
  double l1 = file_number("/proc/loadavg", 0);
  printf(
      "bus: event size %zu bytes (a trade copies %zu), ring %d, batch %d; %ld cores, load %.2f\n",
      sizeof(cq_bus_event), offsetof(cq_bus_event, u) + sizeof(cq_trade), RING, BATCH,
      sysconf(_SC_NPROCESSORS_ONLN), l1);
}

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 5000000;
  if (n < 1000) n = 1000;
  uint64_t nlat = n / 50 > 1000 ? n / 50 : 1000; /* 100,000 by default: one second a run */
  print_context();
  printf("throughput (one consumer, back-pressure, polls of %d):\n", BATCH);
  if (bench_throughput(n, 1) != 0 || bench_throughput(n, 2) != 0) return 1;
  printf("publish-to-consume latency at 100 k events/s, %llu events a run (target p99 < 10 us):\n",
         (unsigned long long)nlat);
  int64_t *lat[NMODES] = {0};
  int rc = 0;
  for (int m = 0; m < NMODES && rc == 0; m++)
    if (!(lat[m] = malloc(sizeof *lat[m] * nlat))) rc = 1;
  if (rc == 0) {
    print_noise();
    rc = bench_latency(nlat, lat, 1) != 0 || bench_latency(nlat, lat, 64) != 0;
  }
  for (int m = 0; m < NMODES; m++) free(lat[m]);
  if (rc) return 1;
  printf("redis streams:\n");
  return bench_redis(n / 10 > 1000 ? n / 10 : 1000);
}
