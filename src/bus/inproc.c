/* The in-process bus: one bounded ring per subscription (multi-producer, single-consumer),
 * fixed-size slots allocated once at subscribe, so publishing allocates nothing.
 *
 * The ring is the sequence-numbered array queue: slot i holds a sequence that says whether
 * it is free for the producer at position p (seq == p) or full for the consumer at p
 * (seq == p + 1); producers claim positions with a CAS on head, the one consumer advances
 * tail alone. Only the bytes of the event's kind are copied.
 *
 * Wake-ups: a consumer that finds its ring empty and may wait raises `sleeping` and sleeps
 * on the futex word `wake` (after a bounded look at the ring: a short fixed one, or the
 * adaptive spin of spin_ns, see spin_wait); a producer touches the futex only when
 * `sleeping` is set, and only the first one after the consumer fell asleep, so a busy
 * consumer costs the producer one load. Both sides order the flag against the ring
 * with a full fence (a store-load pair), so a wake-up is never lost. */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cquant/bus.h"

enum { CACHE_LINE = 64, SUB_FREE = 0, SUB_LIVE = 1, SUB_CLOSED = 2, SPIN_BEFORE_SLEEP = 128 };

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

typedef struct slot {
  alignas(CACHE_LINE) _Atomic size_t seq;
  cq_bus_event ev;
} slot;

/* What producers only read after subscribe. */
typedef struct sub_cold {
  cq_bus_consumer base;
  slot *slots;
  size_t mask;
  _Atomic int state;
  char topic[CQ_BUS_TOPIC_MAX];
  char group[CQ_BUS_NAME_MAX];
  char consumer[CQ_BUS_NAME_MAX];
} sub_cold;

/* Each part on cache lines of its own, with the padding spelled out: the producers' claim
 * counter, the consumer's position, and the wake-up word the consumer writes only when it
 * sleeps. */
typedef struct sub {
  sub_cold c;
  char pad0[CACHE_LINE - sizeof(sub_cold) % CACHE_LINE];
  _Atomic size_t head; /* also the count of events pushed: a position is claimed only to fill it */
  _Atomic uint64_t dropped;
  char pad1[CACHE_LINE - 2 * sizeof(uint64_t)];
  size_t tail;
  _Atomic uint64_t delivered;
  int64_t spin_budget; /* ns the next wait spins before sleeping (spin_ns > 0 only) */
  char pad2[CACHE_LINE - 3 * sizeof(uint64_t)];
  _Atomic uint32_t wake;
  _Atomic uint32_t sleeping;
  char pad3[CACHE_LINE - 2 * sizeof(uint32_t)];
} sub;

_Static_assert(offsetof(sub, head) % CACHE_LINE == 0, "head starts a cache line");
_Static_assert(offsetof(sub, tail) % CACHE_LINE == 0, "tail starts a cache line");
_Static_assert(offsetof(sub, wake) % CACHE_LINE == 0, "wake starts a cache line");
_Static_assert(sizeof(uint64_t) == sizeof(size_t), "64-bit positions");

typedef struct inproc {
  cq_bus base;
  cq_bus_options opt;
  cq_clock wall;
  pthread_mutex_t lock; /* subscribe and consumer close */
  sub **subs;           /* max_subs; entries below nsubs never change once published */
  _Atomic size_t nsubs;
} inproc;

static void futex_wake(_Atomic uint32_t *w) {
  syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void futex_wait(_Atomic uint32_t *w, uint32_t val, const struct timespec *ts) {
  syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT_PRIVATE, val, ts, NULL, 0);
}

/* ---- the ring -------------------------------------------------------------------------- */

/* false when the ring is full */
static bool ring_push(sub *s, const cq_bus_event *ev, cq_time now) {
  size_t pos = atomic_load_explicit(&s->head, memory_order_relaxed);
  slot *sl;
  for (;;) {
    sl = &s->c.slots[pos & s->c.mask];
    size_t seq = atomic_load_explicit(&sl->seq, memory_order_acquire);
    intptr_t dif = (intptr_t)seq - (intptr_t)pos;
    if (dif == 0) {
      if (atomic_compare_exchange_weak_explicit(&s->head, &pos, pos + 1, memory_order_relaxed,
                                                memory_order_relaxed))
        break;
    } else if (dif < 0) {
      return false;
    } else {
      pos = atomic_load_explicit(&s->head, memory_order_relaxed);
    }
  }
  memcpy(&sl->ev, ev, cq_bus_event_size(ev));
  if (sl->ev.publish_time == 0) sl->ev.publish_time = now;
  atomic_store_explicit(&sl->seq, pos + 1, memory_order_release);
  return true;
}

static bool ring_ready(sub *s) {
  slot *sl = &s->c.slots[s->tail & s->c.mask];
  return atomic_load_explicit(&sl->seq, memory_order_acquire) == s->tail + 1;
}

static size_t ring_pop(sub *s, cq_bus_event *evs, cq_bus_tag *tags, size_t max) {
  size_t k = 0;
  while (k < max) {
    size_t pos = s->tail;
    slot *sl = &s->c.slots[pos & s->c.mask];
    if (atomic_load_explicit(&sl->seq, memory_order_acquire) != pos + 1) break;
    memcpy(&evs[k], &sl->ev, cq_bus_event_size(&sl->ev));
    if (tags) {
      tags[k].ms = 0;
      tags[k].seq = (uint64_t)pos;
    }
    atomic_store_explicit(&sl->seq, pos + s->c.mask + 1, memory_order_release);
    s->tail = pos + 1;
    k++;
  }
  return k;
}

/* ---- the consumer's wait ---------------------------------------------------------------- */

/* Spins on the ring until an event is ready (true) or the wait begun at `since` has lasted
 * the current budget (false). The clock is read every 32 looks, not every one. */
static bool spin_wait(inproc *p, sub *s, cq_time since) {
  int64_t budget = s->spin_budget;
  if (budget <= 0) return false;
  for (;;) {
    for (int i = 0; i < 32; i++) {
      cpu_relax();
      if (ring_ready(s)) return true;
    }
    if (cq_clock_steady(&p->wall) - since >= budget) return false;
  }
}

/* The adaptive part: a wait that ended within twice spin_ns (the event came in about the
 * spin time; a sleeper's wait also holds the wake-up's own delay, hence the factor) gives
 * the next wait the full spin; a longer one, or a timeout, halves it, down to none once it
 * is under 1/64 of spin_ns. A sparse feed thus stops costing CPU after a few waits, and a
 * steady one keeps its consumer spinning. */
static void spin_learn(inproc *p, sub *s, int64_t waited) {
  int64_t max = p->opt.spin_ns;
  if (waited <= 2 * max) {
    s->spin_budget = max;
  } else {
    s->spin_budget /= 2;
    if (s->spin_budget < max / 64) s->spin_budget = 0;
  }
}

/* ---- operations ------------------------------------------------------------------------ */

static int ip_publish(cq_bus *b, const char *topic, const cq_bus_event *ev, cq_error *err) {
  inproc *p = (inproc *)b;
  if ((unsigned)ev->kind > (unsigned)CQ_VEV_TICKER)
    return cq_error_set(err, CQ_EINVAL, "bus publish on %s: unknown event kind %d", topic,
                        (int)ev->kind);
  size_t n = atomic_load_explicit(&p->nsubs, memory_order_acquire);
  cq_time now = ev->publish_time ? ev->publish_time : cq_clock_now(p->opt.clock);
  for (size_t i = 0; i < n; i++) {
    sub *s = p->subs[i];
    if (atomic_load_explicit(&s->c.state, memory_order_relaxed) != SUB_LIVE ||
        strcmp(s->c.topic, topic) != 0)
      continue;
    unsigned spins = 0;
    while (!ring_push(s, ev, now)) {
      if (p->opt.on_full == CQ_BUS_FULL_DROP ||
          atomic_load_explicit(&s->c.state, memory_order_relaxed) != SUB_LIVE) {
        atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
        goto next;
      }
      /* Back-pressure: yield first, then sleep in short steps until the consumer makes
       * room. */
      if (++spins < 64) {
        sched_yield();
      } else {
        struct timespec ts = {0, 50000};
        nanosleep(&ts, NULL);
      }
    }
    atomic_thread_fence(memory_order_seq_cst);
    /* One wake-up per sleep: the first producer to see the flag takes it down. */
    if (atomic_load_explicit(&s->sleeping, memory_order_relaxed) &&
        atomic_exchange_explicit(&s->sleeping, 0, memory_order_acq_rel)) {
      atomic_fetch_add_explicit(&s->wake, 1, memory_order_release);
      futex_wake(&s->wake);
    }
  next:;
  }
  return 0;
}

static bool name_ok(const char *s, size_t max) {
  return s && s[0] && strnlen(s, max) < max;
}

static int ip_subscribe(cq_bus *b, const char *topic, const char *group, const char *consumer,
                        cq_bus_consumer **out, cq_error *err) {
  inproc *p = (inproc *)b;
  if (!name_ok(topic, CQ_BUS_TOPIC_MAX))
    return cq_error_set(err, CQ_EINVAL, "bus subscribe: topic empty or over %d bytes",
                        CQ_BUS_TOPIC_MAX - 1);
  if (!name_ok(group, CQ_BUS_NAME_MAX) || !name_ok(consumer, CQ_BUS_NAME_MAX))
    return cq_error_set(err, CQ_EINVAL,
                        "bus subscribe to %s: group and consumer names must be 1..%d bytes", topic,
                        CQ_BUS_NAME_MAX - 1);
  int rc = 0;
  pthread_mutex_lock(&p->lock);
  size_t n = atomic_load_explicit(&p->nsubs, memory_order_relaxed);
  sub *s = NULL;
  for (size_t i = 0; i < n; i++) {
    sub *t = p->subs[i];
    if (strcmp(t->c.topic, topic) != 0 || strcmp(t->c.group, group) != 0) continue;
    if (atomic_load(&t->c.state) == SUB_LIVE) {
      rc = cq_error_set(err, CQ_EEXIST,
                        "bus subscribe to %s: group %s already has a consumer (%s); the "
                        "in-process bus has one consumer per group",
                        topic, group, t->c.consumer);
      goto done;
    }
    s = t; /* a closed group resumes where it stopped */
  }
  if (!s) {
    if (n >= p->opt.max_subs) {
      rc = cq_error_set(err, CQ_ELIMIT, "bus subscribe to %s: all %zu subscriptions in use", topic,
                        p->opt.max_subs);
      goto done;
    }
    s = aligned_alloc(CACHE_LINE, sizeof *s);
    slot *slots = s ? aligned_alloc(CACHE_LINE, sizeof(slot) * p->opt.ring_size) : NULL;
    if (!slots) {
      free(s);
      rc = cq_error_set(err, CQ_ENOMEM, "bus subscribe to %s: ring of %zu events", topic,
                        p->opt.ring_size);
      goto done;
    }
    memset(s, 0, sizeof *s);
    s->c.base.bus = b;
    s->c.slots = slots;
    s->c.mask = p->opt.ring_size - 1;
    for (size_t i = 0; i < p->opt.ring_size; i++) atomic_init(&slots[i].seq, i);
    s->spin_budget = p->opt.spin_ns;
    snprintf(s->c.topic, sizeof s->c.topic, "%s", topic);
    snprintf(s->c.group, sizeof s->c.group, "%s", group);
    p->subs[n] = s;
    atomic_store_explicit(&p->nsubs, n + 1, memory_order_release);
  }
  snprintf(s->c.consumer, sizeof s->c.consumer, "%s", consumer);
  atomic_store(&s->c.state, SUB_LIVE);
  *out = &s->c.base;
done:
  pthread_mutex_unlock(&p->lock);
  return rc;
}

static int ip_poll(cq_bus_consumer *c, cq_bus_event *evs, cq_bus_tag *tags, size_t max, size_t *n,
                   int64_t timeout_ms, cq_error *err) {
  sub *s = (sub *)c;
  inproc *p = (inproc *)c->bus;
  *n = 0;
  if (atomic_load(&s->c.state) != SUB_LIVE)
    return cq_error_set(err, CQ_ESTATE, "bus poll on %s: the consumer is closed", s->c.topic);
  if (max == 0) return 0;
  cq_time deadline = 0;
  if (timeout_ms > 0) deadline = cq_clock_steady(&p->wall) + timeout_ms * 1000000;
  bool adaptive = p->opt.spin_ns > 0;
  cq_time empty_since = 0; /* adaptive: when this poll first found the ring empty */
  for (;;) {
    size_t k = ring_pop(s, evs, tags, max);
    if (k) {
      if (empty_since) spin_learn(p, s, cq_clock_steady(&p->wall) - empty_since);
      atomic_fetch_add_explicit(&s->delivered, k, memory_order_relaxed);
      *n = k;
      return 0;
    }
    if (timeout_ms == 0) return 0;
    if (adaptive) {
      if (!empty_since) empty_since = cq_clock_steady(&p->wall);
      if (spin_wait(p, s, empty_since)) continue;
    } else {
      /* A short look before sleeping: under a steady flow the next event is usually a few
       * hundred nanoseconds away, much less than a futex round trip. */
      bool ready = false;
      for (int i = 0; i < SPIN_BEFORE_SLEEP && !ready; i++) {
        cpu_relax();
        ready = ring_ready(s);
      }
      if (ready) continue;
    }
    uint32_t w = atomic_load_explicit(&s->wake, memory_order_acquire);
    atomic_store_explicit(&s->sleeping, 1, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    if (ring_ready(s)) {
      atomic_store_explicit(&s->sleeping, 0, memory_order_relaxed);
      continue;
    }
    struct timespec ts, *tsp = NULL;
    if (timeout_ms > 0) {
      cq_time left = deadline - cq_clock_steady(&p->wall);
      if (left <= 0) {
        atomic_store_explicit(&s->sleeping, 0, memory_order_relaxed);
        if (empty_since) spin_learn(p, s, INT64_MAX);
        return 0;
      }
      ts.tv_sec = (time_t)(left / 1000000000);
      ts.tv_nsec = (long)(left % 1000000000);
      tsp = &ts;
    }
    futex_wait(&s->wake, w, tsp);
    atomic_store_explicit(&s->sleeping, 0, memory_order_relaxed);
  }
}

/* In process an event is delivered exactly once (it leaves the ring when polled), so there
 * is nothing to acknowledge. */
static int ip_ack(cq_bus_consumer *c, const cq_bus_tag *tags, size_t n, cq_error *err) {
  (void)c;
  (void)tags;
  (void)n;
  (void)err;
  return 0;
}

static void ip_consumer_close(cq_bus_consumer *c) {
  sub *s = (sub *)c;
  inproc *p = (inproc *)c->bus;
  pthread_mutex_lock(&p->lock);
  atomic_store(&s->c.state, SUB_CLOSED);
  pthread_mutex_unlock(&p->lock);
}

static void ip_stats(cq_bus *b, cq_bus_stats *out) {
  inproc *p = (inproc *)b;
  size_t n = atomic_load_explicit(&p->nsubs, memory_order_acquire);
  for (size_t i = 0; i < n; i++) {
    sub *s = p->subs[i];
    out->published += atomic_load_explicit(&s->head, memory_order_relaxed);
    out->delivered += atomic_load_explicit(&s->delivered, memory_order_relaxed);
    out->dropped += atomic_load_explicit(&s->dropped, memory_order_relaxed);
  }
}

static void ip_close(cq_bus *b) {
  inproc *p = (inproc *)b;
  size_t n = atomic_load(&p->nsubs);
  for (size_t i = 0; i < n; i++) {
    free(p->subs[i]->c.slots);
    free(p->subs[i]);
  }
  free(p->subs);
  pthread_mutex_destroy(&p->lock);
  free(p);
}

static const cq_bus_ops inproc_ops = {
    .name = "inproc",
    .close = ip_close,
    .publish = ip_publish,
    .subscribe = ip_subscribe,
    .poll = ip_poll,
    .ack = ip_ack,
    .consumer_close = ip_consumer_close,
    .stats = ip_stats,
};

int cq_bus_inproc_open(const cq_bus_options *o, cq_bus **out, cq_error *err) {
  cq_bus_options opt;
  if (o)
    opt = *o;
  else
    cq_bus_options_default(&opt);
  if (opt.ring_size == 0) opt.ring_size = 4096;
  if (opt.max_subs == 0) opt.max_subs = 64;
  if (opt.ring_size > ((size_t)1 << 24))
    return cq_error_set(err, CQ_EINVAL, "in-process bus: ring_size %zu over the 2^24 cap",
                        opt.ring_size);
  if (opt.spin_ns < 0 || opt.spin_ns > 10000000)
    return cq_error_set(err, CQ_EINVAL, "in-process bus: spin_ns %lld outside 0..10,000,000",
                        (long long)opt.spin_ns);
  if (opt.max_subs > 4096)
    return cq_error_set(err, CQ_EINVAL, "in-process bus: max_subs %zu over the 4096 cap",
                        opt.max_subs);
  if (opt.on_full != CQ_BUS_FULL_DROP && opt.on_full != CQ_BUS_FULL_BLOCK)
    return cq_error_set(err, CQ_EINVAL, "in-process bus: unknown on_full %d", (int)opt.on_full);
  size_t r = 2;
  while (r < opt.ring_size) r <<= 1;
  opt.ring_size = r;
  inproc *p = calloc(1, sizeof *p);
  sub **subs = p ? calloc(opt.max_subs, sizeof(sub *)) : NULL;
  if (!subs) {
    free(p);
    return cq_error_set(err, CQ_ENOMEM, "in-process bus");
  }
  if (pthread_mutex_init(&p->lock, NULL) != 0) {
    free(subs);
    free(p);
    return cq_error_set(err, CQ_ENOMEM, "in-process bus: mutex");
  }
  p->base.ops = &inproc_ops;
  cq_clock_wall_init(&p->wall);
  p->opt = opt;
  if (!p->opt.clock) p->opt.clock = &p->wall;
  p->subs = subs;
  atomic_init(&p->nsubs, 0);
  *out = &p->base;
  return 0;
}
