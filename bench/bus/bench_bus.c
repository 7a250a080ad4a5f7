/* The event bus: in-process events/s (one producer, one consumer, back-pressure) and the
 * publish-to-consume latency (p50/p99/p999, a paced producer and a polling consumer), each
 * beside a baseline measured in the same run: a mutex + condition variable queue moving the
 * same events the same way.
 *
 * Then Redis Streams, when a redis-server binary is there (started on 127.0.0.1, a free port,
 * no persistence): pipelined publish and consume events/s, beside redis-benchmark's own XADD
 * figure when that tool is there.
 *
 *   bench_bus [events]   (default 5,000,000 for throughput, 200,000 for latency)
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "cquant/bus.h"

enum { RING = 8192, BATCH = 256 };

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
} mq;

static int mq_init(mq *q, size_t cap) {
  q->slots = malloc(sizeof *q->slots * cap);
  if (!q->slots) return -1;
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->not_empty, NULL);
  pthread_cond_init(&q->not_full, NULL);
  q->head = q->tail = 0;
  q->cap = cap;
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
  while (q->head - q->tail == q->cap) pthread_cond_wait(&q->not_full, &q->mu);
  memcpy(&q->slots[q->head % q->cap], e, cq_bus_event_size(e));
  q->head++;
  pthread_cond_signal(&q->not_empty);
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

typedef struct run {
  cq_bus *bus; /* NULL: the baseline queue */
  mq *q;
  uint64_t n;
  int64_t pace_ns; /* 0: as fast as possible */
  bool sleep;      /* latency: the consumer sleeps in poll instead of polling */
  _Atomic int failed;
} run;

static void *produce(void *arg) {
  run *r = arg;
  cq_bus_event e;
  trade(&e, 0);
  int64_t next = now_ns();
  for (uint64_t i = 1; i <= r->n; i++) {
    e.id = i;
    if (r->pace_ns) {
      while (now_ns() < next)
        ;
      next += r->pace_ns;
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
  }
  return NULL;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Consumes n events; lat (n entries) gets each latency when pacing. Returns seconds. */
static double consume(run *r, cq_bus_consumer *c, int64_t *lat) {
  cq_bus_event *evs = malloc(sizeof *evs * BATCH);
  if (!evs) return -1;
  pthread_t th;
  double t0 = now_s();
  if (pthread_create(&th, NULL, produce, r) != 0) {
    free(evs);
    return -1;
  }
  uint64_t got = 0, expect = 1;
  while (got < r->n && !atomic_load(&r->failed)) {
    size_t k = 0;
    if (c) { /* the bus (its consumer is set exactly when r->bus is) */
      /* latency: poll without sleeping (a hot consumer); throughput: sleep when empty */
      if (cq_bus_poll(c, evs, NULL, BATCH, &k, lat && !r->sleep ? 0 : 100, NULL) != 0) break;
    } else {
      k = mq_pop(r->q, evs, BATCH, lat == NULL || r->sleep);
    }
    int64_t t = lat ? now_ns() : 0;
    for (size_t i = 0; i < k; i++) {
      if (evs[i].id != expect) {
        fprintf(stderr, "bench_bus: event %llu arrived where %llu was due\n",
                (unsigned long long)evs[i].id, (unsigned long long)expect);
        atomic_store(&r->failed, 1);
      }
      expect++;
      if (lat) lat[got + i] = t - evs[i].publish_time;
    }
    got += k;
  }
  double dt = now_s() - t0;
  pthread_join(th, NULL);
  free(evs);
  return atomic_load(&r->failed) ? -1 : dt;
}

static void report_lat(const char *name, int64_t *lat, uint64_t n) {
  qsort(lat, n, sizeof *lat, cmp_i64);
  uint64_t i50 = n / 2, i99 = n * 99 / 100, i999 = n * 999 / 1000;
  double p50 = (double)lat[i50], p99 = (double)lat[i99], p999 = (double)lat[i999];
  printf("  %-36s p50 %7.2f us  p99 %7.2f us  p99.9 %7.2f us\n", name, p50 / 1e3, p99 / 1e3,
         p999 / 1e3);
}

/* ---- Redis Streams --------------------------------------------------------------------- */

static bool find_bin(const char *name, char *path, size_t n) {
  const char *p = getenv("PATH");
  if (!p) p = "/usr/bin:/bin";
  while (*p) {
    const char *e = strchr(p, ':');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    snprintf(path, n, "%.*s/%s", (int)len, p, name);
    if (access(path, X_OK) == 0) return true;
    p += len + (e ? 1 : 0);
  }
  return false;
}

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

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
  char bin[512], tool[512];
#ifndef CQ_HAVE_REDIS
  printf("  redis streams: skipped (built without hiredis)\n");
  return 0;
#endif
  if (!find_bin("redis-server", bin, sizeof bin)) {
    printf("  redis streams: skipped (no redis-server binary)\n");
    return 0;
  }
  char dir[] = "/tmp/cq-bench-redis-XXXXXX";
  int port = free_port();
  if (!mkdtemp(dir) || port <= 0) return 1;
  char ports[16];
  snprintf(ports, sizeof ports, "%d", port);
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, STDOUT_FILENO);
    execl(bin, "redis-server", "--port", ports, "--bind", "127.0.0.1", "--dir", dir, "--save", "",
          "--appendonly", "no", "--loglevel", "warning", (char *)NULL);
    _exit(127);
  }
  int rc = redis_run(port, n);
  if (rc == 0 && find_bin("redis-benchmark", tool, sizeof tool)) {
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
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  char f[128];
  snprintf(f, sizeof f, "%s/dump.rdb", dir);
  unlink(f);
  rmdir(dir);
  return rc;
}

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 5000000;
  uint64_t nlat = n / 25 > 1000 ? n / 25 : 1000;
  cq_bus_options o;
  cq_bus_options_default(&o);
  o.ring_size = RING;
  o.on_full = CQ_BUS_FULL_BLOCK;
  cq_error err;
  printf("bus: event size %zu bytes (a trade copies %zu), ring %d, batch %d\n",
         sizeof(cq_bus_event), offsetof(cq_bus_event, u) + sizeof(cq_trade), RING, BATCH);

  /* throughput */
  for (int base = 0; base < 2; base++) {
    run r = {.n = n};
    cq_bus_consumer *c = NULL;
    mq q;
    if (base) {
      if (mq_init(&q, RING) != 0) return 1;
      r.q = &q;
    } else {
      if (cq_bus_inproc_open(&o, &r.bus, &err) != 0 ||
          cq_bus_subscribe(r.bus, "md.binance.BTC/USDT.trades", "g", "c", &c, &err) != 0) {
        fprintf(stderr, "bench_bus: %s\n", err.msg);
        return 1;
      }
    }
    double dt = consume(&r, c, NULL);
    if (dt < 0) return 1;
    printf("  %-36s %10.2f M events/s (%llu events, %.3f s)%s\n",
           base ? "mutex+condvar queue" : "in-process bus", (double)n / dt / 1e6,
           (unsigned long long)n, dt, base ? "" : "  target >= 10 M/s");
    if (base)
      mq_free(&q);
    else
      cq_bus_close(r.bus);
  }

  /* latency: one event every 2 us, well under the capacity, so the figure is the hand-over
   * and not the queueing; with a polling consumer (the hot path), then with one that sleeps
   * when it finds nothing (the futex or the condition variable) */
  int64_t *lat = malloc(sizeof *lat * nlat);
  if (!lat) return 1;
  for (int mode = 0; mode < 4; mode++) {
    int base = mode & 1;
    run r = {.n = nlat, .pace_ns = 2000, .sleep = mode >= 2};
    cq_bus_consumer *c = NULL;
    mq q;
    if (base) {
      if (mq_init(&q, RING) != 0) goto fail;
      r.q = &q;
    } else {
      if (cq_bus_inproc_open(&o, &r.bus, &err) != 0 ||
          cq_bus_subscribe(r.bus, "md.binance.BTC/USDT.trades", "g", "c", &c, &err) != 0) {
        fprintf(stderr, "bench_bus: %s\n", err.msg);
        goto fail;
      }
    }
    if (consume(&r, c, lat) < 0) goto fail;
    static const char *const names[] = {"in-process bus (target p99 < 10 us)",
                                        "mutex+condvar queue", "in-process bus, consumer sleeps",
                                        "mutex+condvar, consumer sleeps"};
    report_lat(names[mode], lat, nlat);
    if (base)
      mq_free(&q);
    else
      cq_bus_close(r.bus);
  }
  free(lat);
  return bench_redis(n / 10 > 1000 ? n / 10 : 1000);
fail:
  free(lat);
  return 1;
}
