/* Feed health: fixed-size records per feed under one mutex. Nothing is allocated per
 * message: the rate is a ring of per-second counters and the latency two log-linear
 * histograms (the current window period and the one before), swapped as time moves on. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/ingest.h"

/* Latency histogram: microseconds; values below 16 exact, then 16 sub-buckets per power of
 * two up to 2^40 us (about 12 days), the last bucket holding everything above. */
enum { H_SUB = 16, H_EXP_MAX = 40, H_BUCKETS = H_SUB + (H_EXP_MAX - 4 + 1) * H_SUB };

typedef struct hist {
  uint64_t n;
  uint32_t c[H_BUCKETS];
} hist;

typedef struct feed {
  char venue[CQ_VENUE_MAX];
  char stream[CQ_HEALTH_STREAM_MAX];
  uint64_t messages, reconnects, gaps, resyncs, out_of_order;
  cq_time last_recv; /* INT64_MIN: none */
  cq_time first_check;
  bool book_invalid, gap_open;
  bool alert[CQ_HA_COUNT];
  /* rate: counts of the seconds sec[i] (slot i = second mod window) */
  int64_t sec[CQ_HEALTH_WINDOW_MAX];
  uint32_t cnt[CQ_HEALTH_WINDOW_MAX];
  /* latency: cur covers [period, period + window), prev the period before */
  int64_t period; /* in seconds; INT64_MIN: none yet */
  hist cur, prev;
} feed;

struct cq_health {
  pthread_mutex_t mu;
  cq_health_opts o;
  size_t n;
  feed f[CQ_HEALTH_FEEDS_MAX];
};

static int h_index(uint64_t us) {
  if (us < H_SUB) return (int)us;
  int e = 63 - __builtin_clzll(us);
  if (e > H_EXP_MAX) return H_BUCKETS - 1;
  return H_SUB + (e - 4) * H_SUB + (int)((us >> (e - 4)) & (H_SUB - 1));
}

/* The middle of bucket i, in microseconds. */
static double h_value(int i) {
  if (i < H_SUB) return i;
  int e = (i - H_SUB) / H_SUB + 4, sub = (i - H_SUB) % H_SUB;
  double lo = ldexp((double)(H_SUB + sub), e - 4), w = ldexp(1.0, e - 4);
  return lo + w / 2;
}

/* The q-quantile (0..1) of a + b, in ms; NaN when empty. */
static double h_quantile(const hist *a, const hist *b, double q) {
  uint64_t n = a->n + b->n;
  if (n == 0) return NAN;
  uint64_t rank = (uint64_t)ceil(q * (double)n);
  if (rank < 1) rank = 1;
  uint64_t acc = 0;
  for (int i = 0; i < H_BUCKETS; i++) {
    acc += (uint64_t)a->c[i] + b->c[i];
    if (acc >= rank) return h_value(i) / 1000.0;
  }
  return h_value(H_BUCKETS - 1) / 1000.0;
}

const char *cq_health_alert_name(cq_health_alert_kind k) {
  switch (k) {
    case CQ_HA_STALE:
      return "stale";
    case CQ_HA_LATENCY:
      return "latency";
    case CQ_HA_GAP:
      return "gap";
    case CQ_HA_BOOK:
      return "book";
    default:
      return "?";
  }
}

int cq_health_open(const cq_health_opts *o, cq_health **out, cq_error *err) {
  if (!out) return cq_error_set(err, CQ_EINVAL, "health: no output");
  *out = NULL;
  cq_health_opts d = {0};
  if (o) d = *o;
  if (d.window_s == 0) d.window_s = 10;
  if (d.stale_s == 0) d.stale_s = 30;
  if (d.p99_max_ms == 0) d.p99_max_ms = 1000;
  if (d.min_samples == 0) d.min_samples = 20;
  if (d.window_s < 1 || d.window_s > CQ_HEALTH_WINDOW_MAX)
    return cq_error_set(err, CQ_EINVAL, "health: window_s %d out of 1..%d", d.window_s,
                        (int)CQ_HEALTH_WINDOW_MAX);
  if (!(d.stale_s > 0) || !(d.p99_max_ms > 0))
    return cq_error_set(err, CQ_EINVAL, "health: stale_s and p99_max_ms must be > 0");
  cq_health *h = calloc(1, sizeof *h);
  if (!h) return cq_error_set(err, CQ_ENOMEM, "health: out of memory");
  if (pthread_mutex_init(&h->mu, NULL)) {
    free(h);
    return cq_error_set(err, CQ_ENOMEM, "health: cannot create a mutex");
  }
  h->o = d;
  *out = h;
  return CQ_OK;
}

void cq_health_close(cq_health *h) {
  if (!h) return;
  pthread_mutex_destroy(&h->mu);
  free(h);
}

int cq_health_feed(cq_health *h, const char *venue, const char *stream, int *id, cq_error *err) {
  size_t lv = venue ? strlen(venue) : 0, ls = stream ? strlen(stream) : 0;
  if (!h || !id || lv == 0 || lv >= CQ_VENUE_MAX || ls == 0 || ls >= CQ_HEALTH_STREAM_MAX)
    return cq_error_set(err, CQ_EINVAL, "health: venue must be 1..%d and stream 1..%d characters",
                        (int)CQ_VENUE_MAX - 1, (int)CQ_HEALTH_STREAM_MAX - 1);
  int rc = CQ_OK;
  pthread_mutex_lock(&h->mu);
  size_t i = 0;
  while (i < h->n && (strcmp(h->f[i].venue, venue) || strcmp(h->f[i].stream, stream))) i++;
  if (i == h->n) {
    if (h->n == CQ_HEALTH_FEEDS_MAX) {
      rc = cq_error_set(err, CQ_ELIMIT, "health: more than %d feeds", (int)CQ_HEALTH_FEEDS_MAX);
    } else {
      feed *f = &h->f[h->n++];
      memset(f, 0, sizeof *f);
      memcpy(f->venue, venue, lv + 1);
      memcpy(f->stream, stream, ls + 1);
      f->last_recv = f->first_check = f->period = INT64_MIN;
      for (int k = 0; k < CQ_HEALTH_WINDOW_MAX; k++) f->sec[k] = INT64_MIN;
    }
  }
  if (!rc) *id = (int)i;
  pthread_mutex_unlock(&h->mu);
  return rc;
}

static feed *lock_feed(cq_health *h, int id) {
  if (!h) return NULL;
  pthread_mutex_lock(&h->mu);
  if (id < 0 || (size_t)id >= h->n) {
    pthread_mutex_unlock(&h->mu);
    return NULL;
  }
  return &h->f[id];
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Moves the latency periods on to the one holding second s. */
static void rotate(feed *f, int64_t s, int window) {
  int64_t p = floor_div(s, window) * window;
  if (f->period == INT64_MIN) {
    f->period = p;
    return;
  }
  if (p <= f->period) return;
  if (p == f->period + window)
    f->prev = f->cur;
  else
    memset(&f->prev, 0, sizeof f->prev);
  memset(&f->cur, 0, sizeof f->cur);
  f->period = p;
}

void cq_health_on_message(cq_health *h, int id, cq_time event_time, cq_time recv_time) {
  feed *f = lock_feed(h, id);
  if (!f) return;
  int w = h->o.window_s;
  f->messages++;
  if (f->last_recv == INT64_MIN || recv_time > f->last_recv) f->last_recv = recv_time;
  int64_t s = floor_div(recv_time, CQ_NS_PER_SEC);
  size_t slot = (size_t)(s - floor_div(s, w) * w);
  /* A receive time a whole window behind the latest would evict a newer second: not counted
   * in the rate. */
  if (f->sec[slot] == INT64_MIN || s >= f->sec[slot]) {
    if (f->sec[slot] != s) {
      f->sec[slot] = s;
      f->cnt[slot] = 0;
    }
    if (f->cnt[slot] < UINT32_MAX) f->cnt[slot]++;
  }
  if (event_time != 0) {
    rotate(f, s, w);
    if (s >= f->period) { /* a receive time gone back before the period is not sampled */
      int64_t lat = recv_time - event_time;
      uint64_t us = lat > 0 ? (uint64_t)lat / 1000u : 0;
      int b = h_index(us);
      if (f->cur.c[b] < UINT32_MAX) {
        f->cur.c[b]++;
        f->cur.n++;
      }
    }
  }
  pthread_mutex_unlock(&h->mu);
}

#define COUNTER(name, field, extra)                \
  void cq_health_on_##name(cq_health *h, int id) { \
    feed *f = lock_feed(h, id);                    \
    if (!f) return;                                \
    field;                                         \
    extra;                                         \
    pthread_mutex_unlock(&h->mu);                  \
  }
COUNTER(reconnect, f->reconnects++, (void)0)
COUNTER(gap, f->gaps++, f->gap_open = true)
COUNTER(resync, f->resyncs++, f->gap_open = false)
COUNTER(out_of_order, f->out_of_order++, (void)0)
COUNTER(book_invalid, f->book_invalid = true, (void)0)
COUNTER(book_valid, f->book_invalid = false, (void)0)
#undef COUNTER

/* Figures of f at now; the caller holds the mutex. */
static void stats_of(const cq_health *h, const feed *f, cq_time now, cq_health_stats *o) {
  memset(o, 0, sizeof *o);
  memcpy(o->venue, f->venue, sizeof o->venue);
  memcpy(o->stream, f->stream, sizeof o->stream);
  o->messages = f->messages;
  o->reconnects = f->reconnects;
  o->gaps = f->gaps;
  o->resyncs = f->resyncs;
  o->out_of_order = f->out_of_order;
  o->book_invalid = f->book_invalid;
  o->gap_open = f->gap_open;
  memcpy(o->alert, f->alert, sizeof o->alert);
  int w = h->o.window_s;
  int64_t s = floor_div(now, CQ_NS_PER_SEC);
  uint64_t n = 0;
  for (int k = 0; k < w; k++)
    if (f->sec[k] != INT64_MIN && f->sec[k] <= s && f->sec[k] > s - w) n += f->cnt[k];
  o->rate = (double)n / w;
  /* The periods as of now: a period that ended more than a window ago holds nothing. */
  int64_t p = floor_div(s, w) * w;
  const hist *cur = &f->cur, *prev = &f->prev;
  static const hist empty;
  if (f->period == INT64_MIN || p >= f->period + 2 * (int64_t)w) {
    cur = prev = &empty;
  } else if (p == f->period + w) {
    prev = &f->cur;
    cur = &empty;
  }
  o->samples = cur->n + prev->n;
  o->p50_ms = h_quantile(cur, prev, 0.50);
  o->p99_ms = h_quantile(cur, prev, 0.99);
  o->since_last_s = f->last_recv == INT64_MIN ? NAN : (double)(now - f->last_recv) / 1e9;
}

size_t cq_health_count(const cq_health *h) {
  cq_health *m = (cq_health *)h; /* the mutex is not part of the logical state */
  pthread_mutex_lock(&m->mu);
  size_t n = m->n;
  pthread_mutex_unlock(&m->mu);
  return n;
}

int cq_health_get(const cq_health *h, int id, cq_time now, cq_health_stats *out, cq_error *err) {
  if (!h || !out) return cq_error_set(err, CQ_EINVAL, "health: no output");
  cq_health *m = (cq_health *)h;
  pthread_mutex_lock(&m->mu);
  int rc = CQ_OK;
  if (id < 0 || (size_t)id >= m->n)
    rc = cq_error_set(err, CQ_EINVAL, "health: no feed %d", id);
  else
    stats_of(m, &m->f[id], now, out);
  pthread_mutex_unlock(&m->mu);
  return rc;
}

int cq_health_check(cq_health *h, cq_time now) {
  if (!h) return 0;
  enum { EDGES_MAX = 64 };
  cq_health_alert edges[EDGES_MAX];
  int total = 0;
  size_t start = 0;
  /* Edges are collected under the lock and reported outside it, in chunks, so an alert
   * callback may call back into the monitor. */
  for (;;) {
    size_t ne = 0, i;
    pthread_mutex_lock(&h->mu);
    for (i = start; i < h->n && ne + CQ_HA_COUNT <= EDGES_MAX; i++) {
      feed *f = &h->f[i];
      if (f->first_check == INT64_MIN) f->first_check = now;
      cq_health_stats st;
      stats_of(h, f, now, &st);
      cq_time since = f->last_recv == INT64_MIN ? f->first_check : f->last_recv;
      double quiet = (double)(now - since) / 1e9;
      bool cond[CQ_HA_COUNT] = {
          [CQ_HA_STALE] = quiet >= h->o.stale_s,
          [CQ_HA_LATENCY] = st.samples >= h->o.min_samples && st.p99_ms > h->o.p99_max_ms,
          [CQ_HA_GAP] = f->gap_open,
          [CQ_HA_BOOK] = f->book_invalid,
      };
      for (int k = 0; k < CQ_HA_COUNT; k++) {
        if (cond[k] == f->alert[k]) continue;
        f->alert[k] = cond[k];
        cq_health_alert *a = &edges[ne++];
        memset(a, 0, sizeof *a);
        memcpy(a->venue, f->venue, sizeof a->venue);
        memcpy(a->stream, f->stream, sizeof a->stream);
        a->kind = (cq_health_alert_kind)k;
        a->raised = cond[k];
        a->time = now;
        switch (k) {
          case CQ_HA_STALE:
            snprintf(a->detail, sizeof a->detail, "no message for %.1f s", quiet);
            break;
          case CQ_HA_LATENCY:
            snprintf(a->detail, sizeof a->detail, "p99 %.3f ms (limit %.3f ms, %llu samples)",
                     st.p99_ms, h->o.p99_max_ms, (unsigned long long)st.samples);
            break;
          case CQ_HA_GAP:
            snprintf(a->detail, sizeof a->detail, "%llu gaps, %llu resyncs",
                     (unsigned long long)f->gaps, (unsigned long long)f->resyncs);
            break;
          default:
            snprintf(a->detail, sizeof a->detail, "%s", cond[k] ? "book invalid" : "book valid");
            break;
        }
      }
    }
    pthread_mutex_unlock(&h->mu);
    for (size_t k = 0; k < ne; k++)
      if (h->o.alert_fn) h->o.alert_fn(h->o.ctx, &edges[k]);
    total += (int)ne;
    start = i;
    pthread_mutex_lock(&h->mu);
    bool more = start < h->n;
    pthread_mutex_unlock(&h->mu);
    if (!more) break;
  }
  return total;
}

static const char *state_of(const cq_health_stats *s) {
  if (s->alert[CQ_HA_STALE]) return "stale";
  if (s->alert[CQ_HA_BOOK]) return "book-invalid";
  if (s->alert[CQ_HA_GAP]) return "gap";
  if (s->alert[CQ_HA_LATENCY]) return "slow";
  return "ok";
}

static void fmt_num(char *buf, size_t n, double v, const char *unit) {
  if (isnan(v))
    snprintf(buf, n, "-");
  else
    snprintf(buf, n, "%.1f%s", v, unit);
}

int cq_health_format(const cq_health *h, cq_time now, FILE *f, cq_error *err) {
  if (!h || !f) return cq_error_set(err, CQ_EINVAL, "health: no monitor or no file");
  cq_health *m = (cq_health *)h;
  int rc = CQ_OK;
  if (fprintf(f, "%-12s %-16s %9s %9s %9s %9s %6s %6s %6s %s\n", "VENUE", "STREAM", "RATE/s", "P50",
              "P99", "LAST", "RECONN", "GAPS", "RESYNC", "STATE") < 0)
    rc = cq_error_set(err, CQ_EIO, "health: cannot write the table");
  for (size_t i = 0; !rc; i++) {
    cq_health_stats s;
    pthread_mutex_lock(&m->mu);
    bool have = i < m->n;
    if (have) stats_of(m, &m->f[i], now, &s);
    pthread_mutex_unlock(&m->mu);
    if (!have) break;
    char p50[24], p99[24], last[24];
    fmt_num(p50, sizeof p50, s.p50_ms, "ms");
    fmt_num(p99, sizeof p99, s.p99_ms, "ms");
    fmt_num(last, sizeof last, s.since_last_s, "s");
    if (fprintf(f, "%-12s %-16s %9.1f %9s %9s %9s %6llu %6llu %6llu %s\n", s.venue, s.stream,
                s.rate, p50, p99, last, (unsigned long long)s.reconnects,
                (unsigned long long)s.gaps, (unsigned long long)s.resyncs, state_of(&s)) < 0)
      rc = cq_error_set(err, CQ_EIO, "health: cannot write the table");
  }
  return rc;
}

int cq_health_alert_event(const cq_health_alert *a, uint64_t id, cq_bus_event *out, cq_error *err) {
  if (!a || !out || id == 0)
    return cq_error_set(err, CQ_EINVAL, "health: alert event needs an alert and an id > 0");
  memset(out, 0, sizeof *out);
  out->kind = CQ_VEV_STATUS;
  memcpy(out->venue, a->venue, sizeof out->venue);
  out->id = id;
  out->event_time = a->time;
  out->recv_time = a->time;
  if (a->kind == CQ_HA_BOOK)
    out->u.status.status = a->raised ? CQ_VST_BOOK_INVALID : CQ_VST_BOOK_SYNCED;
  else
    out->u.status.status = a->raised ? CQ_VST_DISCONNECTED : CQ_VST_CONNECTED;
  snprintf(out->u.status.detail, sizeof out->u.status.detail, "%s %s %s: %.100s", a->stream,
           cq_health_alert_name(a->kind), a->raised ? "raised" : "cleared", a->detail);
  return CQ_OK;
}
