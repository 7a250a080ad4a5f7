/* Stream capture: venue events into bus events, live candles, feed health, and the repair
 * of holes over REST. Threads: venue callbacks run on the network thread; a housekeeping
 * thread closes quiet bars and checks health; a repair thread makes the REST calls. Each
 * (venue, symbol) has its own mutex over its live candles and hole bookkeeping; each topic
 * has its own mutex over its id counter, held across the publish so ids reach the bus in
 * order. */
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cquant/capture.h"

enum {
  MAX_TFS = CQ_LIVE_TF_MAX,
  MAX_HOLES = 16,      /* taint ranges remembered per symbol */
  MAX_JOBS = 256,      /* repairs waiting */
  TRADE_PAGE = 1000,   /* trades asked per REST page */
  STATUS_REPAIRS = 100 /* holes listed in the status JSON, the latest */
};

/* A quiet market's bar is closed this long after its end (a trade on its way still lands). */
#define CLOSE_GRACE_NS (INT64_C(1000) * CQ_NS_PER_MS)

static const char *const chan_names[] = {"trades", "book", "ticker", "candles"};

int cq_capture_channels_parse(const char *list, unsigned *out, cq_error *err) {
  if (!list || !out) return cq_error_set(err, CQ_EINVAL, "channels: none given");
  unsigned bits = 0;
  const char *p = list;
  while (*p) {
    while (*p == ',' || *p == ' ') p++;
    if (!*p) break;
    size_t len = strcspn(p, ", ");
    unsigned bit = 0;
    for (unsigned i = 0; i < 4; i++)
      if (strlen(chan_names[i]) == len && !strncmp(p, chan_names[i], len)) bit = 1u << i;
    if (!bit)
      return cq_error_set(err, CQ_EINVAL,
                          "channels: unknown channel '%.*s' (trades, book, ticker, candles)",
                          (int)(len > 32 ? 32 : len), p);
    bits |= bit;
    p += len;
  }
  if (!bits) return cq_error_set(err, CQ_EINVAL, "channels: none given");
  *out = bits;
  return CQ_OK;
}

static const cq_timeframe *default_tfs(size_t *n) {
  static const cq_timeframe tfs[] = {{.unit = CQ_TF_MINUTE, .n = 1},
                                     {.unit = CQ_TF_MINUTE, .n = 5},
                                     {.unit = CQ_TF_MINUTE, .n = 15}};
  *n = 3;
  return tfs;
}

static int candle_channel(cq_timeframe tf, char *buf, size_t n) {
  char t[CQ_TF_STRMAX];
  cq_timeframe_format(tf, t, sizeof t);
  return snprintf(buf, n, "candles.%s", t);
}

int cq_capture_topics(const char *const *venues, size_t nvenues, const char *const *symbols,
                      size_t nsymbols, unsigned channels, const cq_timeframe *tfs, size_t ntfs,
                      bool stored_only, cq_topic_name **out, size_t *n, cq_error *err) {
  if (!out || !n) return cq_error_set(err, CQ_EINVAL, "capture topics: no output");
  *out = NULL;
  *n = 0;
  if (!channels) channels = CQ_CAP_ALL;
  if (!tfs) tfs = default_tfs(&ntfs);
  size_t per = 3 + ntfs, cap = nvenues * (nsymbols * per + 1);
  cq_topic_name *t = calloc(cap ? cap : 1, sizeof *t);
  if (!t) return cq_error_set(err, CQ_ENOMEM, "capture topics: out of memory");
  size_t k = 0;
  int rc = CQ_OK;
  for (size_t v = 0; v < nvenues && !rc; v++) {
    for (size_t s = 0; s < nsymbols && !rc; s++) {
      if (channels & CQ_CAP_TRADES)
        rc = cq_bus_topic(t[k++], CQ_BUS_TOPIC_MAX, venues[v], symbols[s], "trades", err);
      if (!rc && (channels & CQ_CAP_BOOK) && !stored_only)
        rc = cq_bus_topic(t[k++], CQ_BUS_TOPIC_MAX, venues[v], symbols[s], "book", err);
      if (!rc && (channels & CQ_CAP_TICKER) && !stored_only)
        rc = cq_bus_topic(t[k++], CQ_BUS_TOPIC_MAX, venues[v], symbols[s], "ticker", err);
      for (size_t i = 0; !rc && (channels & CQ_CAP_CANDLES) && i < ntfs; i++) {
        char ch[32];
        candle_channel(tfs[i], ch, sizeof ch);
        rc = cq_bus_topic(t[k++], CQ_BUS_TOPIC_MAX, venues[v], symbols[s], ch, err);
      }
    }
    if (!rc && !stored_only) {
      int w = snprintf(t[k], CQ_BUS_TOPIC_MAX, "md.%s.status", venues[v]);
      if (w < 0 || w >= CQ_BUS_TOPIC_MAX)
        rc = cq_error_set(err, CQ_ELIMIT, "capture topics: venue name '%s' too long", venues[v]);
      k++;
    }
  }
  if (rc) {
    free(t);
    return rc;
  }
  *out = t;
  *n = k;
  return CQ_OK;
}

/* ---- state ------------------------------------------------------------------------------ */

typedef struct cap_topic {
  cq_topic_name name;
  pthread_mutex_t mu;
  uint64_t last_id, published;
} cap_topic;

typedef struct cap_venue cap_venue;

typedef struct cap_sym {
  cap_venue *v;
  char symbol[CQ_SYMBOL_MAX];
  pthread_mutex_t mu; /* everything below */
  cq_live_candles *lc;
  int feed_trades, feed_book, feed_ticker;
  cap_topic *t_trades, *t_book, *t_ticker, *t_candles[MAX_TFS];
  bool have_trade;
  cq_time last_time;
  char last_id[CQ_TRADE_ID_MAX];
  /* a hole: open from a disconnect (or the start) until the first trade after it */
  bool hole_open, hole_has_from;
  cq_time hole_from;
  char hole_from_id[CQ_TRADE_ID_MAX];
  struct {
    cq_time from, to;
  } holes[MAX_HOLES]; /* trades of [from, to] may be missing: bars touching it are tainted */
  size_t nholes, hole_next;
  _Atomic cq_time seen; /* the latest trade time: the venue's clock as the stream shows it */
  int book_state;       /* 0 never synced, 1 valid, 2 invalid */
  cq_time book_last;
} cap_sym;

struct cap_venue {
  cq_capture *c;
  char name[CQ_VENUE_MAX];
  cq_venue *venue;
  cq_venue_stream *stream;
  cap_topic *t_status;
  cap_sym *syms; /* nsymbols */
};

typedef struct repair_job {
  cap_sym *s;
  cq_time from, to;
  bool has_from;
  char from_id[CQ_TRADE_ID_MAX], to_id[CQ_TRADE_ID_MAX];
  bool trades_done;
  cq_time next[MAX_TFS]; /* per timeframe: the first bar not yet published from the venue */
  cq_time retry;         /* wall clock: not tried again before this */
  size_t rec;            /* index into the repair records */
} repair_job;

struct cq_capture {
  cq_capture_opts o;
  cq_clock wall;
  cq_timeframe tfs[MAX_TFS];
  size_t ntfs;
  int64_t max_tf_ns;
  cap_venue *venues;
  size_t nvenues, nsymbols;
  cap_topic *topics;
  size_t ntopics;
  cq_health *health;
  cq_health_alert_fn user_alert;
  void *user_ctx;

  pthread_mutex_t mu; /* jobs, records, stop */
  pthread_cond_t cv;
  repair_job jobs[MAX_JOBS];
  size_t njobs;
  cq_capture_repair *recs;
  size_t nrecs, caprecs;
  bool stopping, started;
  bool draining; /* stop in progress: repairs are tried without waiting for their due time */
  pthread_t house, repair;
  bool house_on, repair_on;

  _Atomic int unsubscribing;
  _Atomic uint64_t events, published, publish_errors, trades, books, tickers, candle_updates,
      candle_closes, tainted, late, reconnects, holes, repairs_done, repaired_trades,
      repaired_candles, alerts;
};

static cq_time now_of(const cq_capture *c) {
  return cq_clock_now(c->o.clock ? c->o.clock : &c->wall);
}

static void logf_(cq_capture *c, cq_log_level lv, const char *fmt, ...) CQ_PRINTF(3, 4);
static void logf_(cq_capture *c, cq_log_level lv, const char *fmt, ...) {
  if (!c->o.log || !cq_log_enabled(c->o.log, lv)) return;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  cq_logf(c->o.log, lv, "%s", buf);
}

static cap_topic *topic_find(cq_capture *c, const char *name) {
  for (size_t i = 0; i < c->ntopics; i++)
    if (!strcmp(c->topics[i].name, name)) return &c->topics[i];
  return NULL;
}

/* Publishes ev on t with the topic's next id: above the last, and at least the receive time
 * in ns, so ids keep increasing across restarts of the capture. */
static void publish(cq_capture *c, cap_topic *t, cq_bus_event *ev) {
  if (!t) return;
  pthread_mutex_lock(&t->mu);
  uint64_t id = t->last_id + 1, wall = (uint64_t)cq_clock_now(&c->wall);
  if (wall > id) id = wall;
  ev->id = id;
  cq_error e;
  if (cq_bus_publish(c->o.bus, t->name, ev, &e) == CQ_OK) {
    t->last_id = id;
    t->published++;
    atomic_fetch_add(&c->published, 1);
  } else {
    atomic_fetch_add(&c->publish_errors, 1);
    pthread_mutex_unlock(&t->mu);
    logf_(c, CQ_LOG_ERROR, "capture: publishing on %s: %s", t->name, e.msg);
    return;
  }
  pthread_mutex_unlock(&t->mu);
}

static void set_names(cq_bus_event *ev, const cap_venue *v, const char *symbol) {
  snprintf(ev->venue, sizeof ev->venue, "%s", v->name);
  snprintf(ev->symbol, sizeof ev->symbol, "%s", symbol ? symbol : "");
}

/* ---- holes ------------------------------------------------------------------------------ */

static bool tainted(const cap_sym *s, cq_timeframe tf, cq_time open) {
  cq_time end = open + cq_timeframe_ns(tf);
  for (size_t i = 0; i < s->nholes; i++)
    if (open <= s->holes[i].to && end > s->holes[i].from) return true;
  return false;
}

static void add_hole(cap_sym *s, cq_time from, cq_time to) {
  size_t i = s->nholes < MAX_HOLES ? s->nholes++ : s->hole_next;
  s->hole_next = (i + 1) % MAX_HOLES;
  s->holes[i].from = from;
  s->holes[i].to = to;
}

/* Called with s->mu held: the first trade after a hole closes it and queues its repair. */
static void close_hole(cq_capture *c, cap_sym *s, const cq_trade *t) {
  s->hole_open = false;
  /* without a trade before the hole (the start), the bars of the first trade after it are
   * the ones missing trades: the hole is that instant */
  if (!s->hole_has_from) s->hole_from = t->time;
  add_hole(s, s->hole_from, t->time);
  atomic_fetch_add(&c->holes, 1);
  pthread_mutex_lock(&c->mu);
  if (c->njobs == MAX_JOBS) {
    pthread_mutex_unlock(&c->mu);
    logf_(c, CQ_LOG_ERROR, "capture: %s %s: too many repairs waiting; a hole stays unrepaired",
          s->v->name, s->symbol);
    return;
  }
  if (c->nrecs == c->caprecs) {
    size_t nc = c->caprecs ? c->caprecs * 2 : 16;
    cq_capture_repair *r = realloc(c->recs, nc * sizeof *r);
    if (!r) {
      pthread_mutex_unlock(&c->mu);
      logf_(c, CQ_LOG_ERROR, "capture: out of memory recording a repair");
      return;
    }
    c->recs = r;
    c->caprecs = nc;
  }
  cq_capture_repair *rec = &c->recs[c->nrecs];
  memset(rec, 0, sizeof *rec);
  snprintf(rec->venue, sizeof rec->venue, "%s", s->v->name);
  snprintf(rec->symbol, sizeof rec->symbol, "%s", s->symbol);
  rec->from = s->hole_from;
  rec->to = t->time;
  repair_job *j = &c->jobs[c->njobs++];
  memset(j, 0, sizeof *j);
  j->s = s;
  j->from = s->hole_from;
  j->to = t->time;
  j->has_from = s->hole_has_from;
  snprintf(j->from_id, sizeof j->from_id, "%s", s->hole_from_id);
  snprintf(j->to_id, sizeof j->to_id, "%s", t->id);
  j->trades_done = !j->has_from || !(c->o.channels & CQ_CAP_TRADES);
  for (size_t i = 0; i < c->ntfs; i++) j->next[i] = cq_timeframe_floor(c->tfs[i], j->from);
  j->rec = c->nrecs++;
  rec->trades_complete = j->trades_done;
  pthread_cond_signal(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

static void open_hole(cap_sym *s, cq_time now) {
  if (s->hole_open) return;
  s->hole_open = true;
  s->hole_has_from = s->have_trade;
  s->hole_from = s->have_trade ? s->last_time : now;
  snprintf(s->hole_from_id, sizeof s->hole_from_id, "%s", s->have_trade ? s->last_id : "");
}

/* ---- live candles ----------------------------------------------------------------------- */

static void on_candle(void *ctx, cq_timeframe tf, const cq_candle *k) {
  cap_sym *s = ctx;
  cq_capture *c = s->v->c;
  size_t i = 0;
  while (i < c->ntfs && cq_timeframe_ns(c->tfs[i]) != cq_timeframe_ns(tf)) i++;
  if (i == c->ntfs) return;
  if (k->closed && tainted(s, tf, k->open_time)) {
    atomic_fetch_add(&c->tainted, 1); /* the venue's own candle comes from the repair */
    return;
  }
  cq_bus_event ev;
  cq_error e;
  if (cq_live_candles_event(s->lc, tf, k, 1, cq_clock_now(&c->wall), &ev, &e)) return;
  set_names(&ev, s->v, s->symbol);
  publish(c, s->t_candles[i], &ev);
  atomic_fetch_add(k->closed ? &c->candle_closes : &c->candle_updates, 1);
}

static void on_late(void *ctx, const cq_trade *t) {
  (void)t;
  cap_sym *s = ctx;
  atomic_fetch_add(&s->v->c->late, 1);
}

/* ---- venue events ----------------------------------------------------------------------- */

static cap_sym *sym_of(cap_venue *v, const char *symbol) {
  for (size_t i = 0; i < v->c->nsymbols; i++)
    if (!strcmp(v->syms[i].symbol, symbol)) return &v->syms[i];
  return NULL;
}

static void feed_all(cq_capture *c, cap_venue *v, void (*fn)(cq_health *, int)) {
  for (size_t i = 0; i < c->nsymbols; i++) {
    cap_sym *s = &v->syms[i];
    if (s->feed_trades >= 0) fn(c->health, s->feed_trades);
    if (s->feed_book >= 0) fn(c->health, s->feed_book);
    if (s->feed_ticker >= 0) fn(c->health, s->feed_ticker);
  }
}

static void on_trade(cq_capture *c, cap_venue *v, const cq_venue_event *ve) {
  cap_sym *s = sym_of(v, ve->symbol);
  if (!s) return;
  atomic_fetch_add(&c->trades, 1);
  cq_health_on_message(c->health, s->feed_trades, ve->event_time, ve->recv_time);
  pthread_mutex_lock(&s->mu);
  if (s->have_trade && ve->u.trade.time < s->last_time)
    cq_health_on_out_of_order(c->health, s->feed_trades);
  if (s->hole_open) close_hole(c, s, &ve->u.trade);
  s->have_trade = true;
  s->last_time = ve->u.trade.time;
  if (ve->u.trade.time > atomic_load(&s->seen)) atomic_store(&s->seen, ve->u.trade.time);
  snprintf(s->last_id, sizeof s->last_id, "%s", ve->u.trade.id);
  if (c->o.channels & CQ_CAP_TRADES) {
    cq_bus_event ev;
    cq_error e;
    if (cq_bus_event_from_venue(ve, 1, &ev, &e) == CQ_OK) {
      set_names(&ev, v, s->symbol);
      publish(c, s->t_trades, &ev);
    }
  }
  if (s->lc) {
    bool late = false;
    cq_error e;
    if (cq_live_candles_add(s->lc, &ve->u.trade, &late, &e))
      logf_(c, CQ_LOG_WARN, "capture: %s %s: trade %s refused by the live candles: %s", v->name,
            s->symbol, ve->u.trade.id, e.msg);
  }
  pthread_mutex_unlock(&s->mu);
}

static void on_book(cq_capture *c, cap_venue *v, const cq_venue_event *ve) {
  cap_sym *s = sym_of(v, ve->symbol);
  if (!s) return;
  cq_health_on_message(c->health, s->feed_book, ve->event_time, ve->recv_time);
  int64_t iv = (int64_t)(c->o.book_interval_ms ? c->o.book_interval_ms : 100) * CQ_NS_PER_MS;
  if (s->book_last && ve->recv_time - s->book_last < iv) return;
  cq_bus_event ev;
  cq_error e;
  if (cq_bus_event_from_venue(ve, 1, &ev, &e)) return;
  s->book_last = ve->recv_time; /* network thread only */
  set_names(&ev, v, s->symbol);
  publish(c, s->t_book, &ev);
  atomic_fetch_add(&c->books, 1);
}

static void on_simple(cq_capture *c, cap_venue *v, const cq_venue_event *ve) {
  cap_sym *s = sym_of(v, ve->symbol);
  if (!s) return;
  cq_health_on_message(c->health, s->feed_ticker, ve->event_time, ve->recv_time);
  cq_bus_event ev;
  cq_error e;
  if (cq_bus_event_from_venue(ve, 1, &ev, &e)) return;
  set_names(&ev, v, s->symbol);
  publish(c, s->t_ticker, &ev);
  atomic_fetch_add(&c->tickers, 1);
}

static void on_status(cq_capture *c, cap_venue *v, const cq_venue_event *ve) {
  cq_vstatus st = ve->u.status.status;
  const char *detail = ve->u.status.detail;
  cap_sym *s = ve->symbol[0] ? sym_of(v, ve->symbol) : NULL;
  if (st == CQ_VST_DISCONNECTED || st == CQ_VST_STOPPED) {
    logf_(c, CQ_LOG_WARN, "capture: %s stream %s: %s", v->name,
          st == CQ_VST_STOPPED ? "stopped" : "disconnected", detail);
    cq_time now = now_of(c);
    for (size_t i = 0; i < c->nsymbols; i++) {
      cap_sym *y = &v->syms[i];
      pthread_mutex_lock(&y->mu);
      bool was = y->hole_open;
      open_hole(y, now);
      pthread_mutex_unlock(&y->mu);
      if (!was && y->feed_trades >= 0) cq_health_on_gap(c->health, y->feed_trades);
    }
  } else if (st == CQ_VST_CONNECTED) {
    if (strstr(detail, "reconnected")) {
      atomic_fetch_add(&c->reconnects, 1);
      feed_all(c, v, cq_health_on_reconnect);
      logf_(c, CQ_LOG_INFO, "capture: %s stream reconnected", v->name);
    }
  } else if (st == CQ_VST_BOOK_INVALID && s) {
    if (s->book_state != 2 && s->feed_book >= 0) {
      cq_health_on_gap(c->health, s->feed_book);
      cq_health_on_book_invalid(c->health, s->feed_book);
    }
    s->book_state = 2;
  } else if (st == CQ_VST_BOOK_SYNCED && s) {
    if (s->feed_book >= 0) {
      if (s->book_state == 2) cq_health_on_resync(c->health, s->feed_book);
      cq_health_on_book_valid(c->health, s->feed_book);
    }
    s->book_state = 1;
  }
  cq_bus_event ev;
  cq_error e;
  if (cq_bus_event_from_venue(ve, 1, &ev, &e)) return;
  set_names(&ev, v, ve->symbol);
  publish(c, v->t_status, &ev);
}

static void on_event(void *ctx, const cq_venue_event *ve) {
  cap_venue *v = ctx;
  cq_capture *c = v->c;
  if (ve->kind == CQ_VEV_STATUS && atomic_load(&c->unsubscribing)) return;
  atomic_fetch_add(&c->events, 1);
  switch (ve->kind) {
    case CQ_VEV_TRADE:
      on_trade(c, v, ve);
      break;
    case CQ_VEV_BOOK:
      on_book(c, v, ve);
      break;
    case CQ_VEV_TICKER:
      on_simple(c, v, ve);
      break;
    case CQ_VEV_STATUS:
      on_status(c, v, ve);
      break;
    default:
      break;
  }
}

/* ---- health alerts ---------------------------------------------------------------------- */

static void on_alert(void *ctx, const cq_health_alert *a) {
  cq_capture *c = ctx;
  atomic_fetch_add(&c->alerts, 1);
  logf_(c, a->raised ? CQ_LOG_WARN : CQ_LOG_INFO, "feed %s %s: %s alert %s: %s", a->venue,
        a->stream, cq_health_alert_name(a->kind), a->raised ? "raised" : "cleared", a->detail);
  for (size_t i = 0; i < c->nvenues; i++)
    if (!strcmp(c->venues[i].name, a->venue)) {
      cq_bus_event ev;
      cq_error e;
      if (cq_health_alert_event(a, 1, &ev, &e) == CQ_OK) publish(c, c->venues[i].t_status, &ev);
    }
  if (c->user_alert) c->user_alert(c->user_ctx, a);
}

/* ---- repair ----------------------------------------------------------------------------- */

static bool numeric_id(const char *s, uint64_t *out) {
  if (!*s) return false;
  uint64_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  *out = v;
  return true;
}

/* Whether trade t lies strictly inside the hole (after the last trade before it, before the
 * first after it): by id when the venue's ids are numbers, else by time. */
static bool in_hole(const repair_job *j, const cq_trade *t, bool by_id, uint64_t a, uint64_t b) {
  uint64_t id;
  if (by_id && numeric_id(t->id, &id)) return id > a && id < b;
  return t->time > j->from && t->time < j->to;
}

static void publish_trade(cq_capture *c, cap_sym *s, const cq_trade *t) {
  cq_bus_event ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = CQ_VEV_TRADE;
  set_names(&ev, s->v, s->symbol);
  ev.event_time = t->time;
  ev.recv_time = cq_clock_now(&c->wall);
  ev.u.trade = *t;
  publish(c, s->t_trades, &ev);
}

/* The trades of the hole, from the venue's recent trades, else (a longer hole) from its
 * trade history by id. Returns whether every trade of the hole was found. */
static bool repair_trades(cq_capture *c, repair_job *j, uint64_t *count) {
  cap_sym *s = j->s;
  const cq_venue_ops *ops = s->v->venue->ops;
  uint64_t a = 0, b = 0;
  bool by_id = numeric_id(j->from_id, &a) && numeric_id(j->to_id, &b);
  cq_trades tr;
  cq_trades_init(&tr, 100000);
  cq_verror ve;
  cq_verror_clear(&ve);
  bool complete = false;
  *count = 0;
  if (ops->trades(s->v->venue, s->symbol, -1, TRADE_PAGE, &tr, &ve) == CQ_OK && tr.len) {
    cq_trade first;
    cq_trades_get(&tr, 0, &first);
    uint64_t fid;
    complete = by_id && numeric_id(first.id, &fid) ? fid <= a + 1 : first.time <= j->from;
    if (complete)
      for (size_t i = 0; i < tr.len; i++) {
        cq_trade t;
        cq_trades_get(&tr, i, &t);
        if (!in_hole(j, &t, by_id, a, b)) continue;
        publish_trade(c, s, &t);
        (*count)++;
      }
  }
  if (!complete && by_id && (ops->caps & CQ_VCAP_TRADES_HISTORY)) {
    /* a longer hole: page through the history from the trade after the last one seen */
    uint64_t next = a + 1;
    complete = true;
    while (next < b && next <= INT64_MAX) {
      cq_trades_clear(&tr);
      cq_verror_clear(&ve);
      if (ops->trades(s->v->venue, s->symbol, (int64_t)next, TRADE_PAGE, &tr, &ve) || !tr.len) {
        complete = false;
        break;
      }
      uint64_t last = next;
      for (size_t i = 0; i < tr.len; i++) {
        cq_trade t;
        cq_trades_get(&tr, i, &t);
        uint64_t id;
        if (!numeric_id(t.id, &id)) continue;
        if (id > last) last = id;
        if (id < next || id >= b) continue;
        publish_trade(c, s, &t);
        (*count)++;
      }
      next = last + 1;
    }
  }
  if (!complete && ve.e.code)
    logf_(c, CQ_LOG_WARN, "capture: %s %s: trades of the hole: %s", s->v->name, s->symbol,
          ve.e.msg);
  cq_trades_release(&tr);
  return complete;
}

/* When every bar the hole touches has closed at the venue (plus the delay). */
static cq_time candles_due(const cq_capture *c, const repair_job *j) {
  cq_time due = 0;
  for (size_t i = 0; i < c->ntfs; i++) {
    cq_time end = cq_timeframe_floor(c->tfs[i], j->to) + cq_timeframe_ns(c->tfs[i]);
    if (end > due) due = end;
  }
  int d = c->o.repair_delay_ms ? c->o.repair_delay_ms : 2000;
  return due + (int64_t)d * CQ_NS_PER_MS;
}

/* The venue's time as far as we know: the wall clock, or the symbol's latest trade when the
 * venue's clock runs ahead (a simulator at speed). */
static cq_time venue_now(const repair_job *j, cq_time now) {
  cq_time seen = atomic_load(&j->s->seen);
  return seen > now ? seen : now;
}

/* The venue's closed candles of the bars the hole touches, from where the job got to, in
 * order: each published closed, stopping at the first the venue has not closed yet.
 * *published: how many; returns 1 when every bar is done, 0 when some are still forming,
 * -1 when the venue did not answer. */
static int repair_candles(cq_capture *c, repair_job *j, uint64_t *published) {
  cap_sym *s = j->s;
  const cq_venue_ops *ops = s->v->venue->ops;
  int64_t delay = (int64_t)(c->o.repair_delay_ms ? c->o.repair_delay_ms : 2000) * CQ_NS_PER_MS;
  int all = 1;
  for (size_t i = 0; i < c->ntfs; i++) {
    cq_timeframe tf = c->tfs[i];
    int64_t len = cq_timeframe_ns(tf);
    cq_time to = cq_timeframe_floor(tf, j->to);
    while (j->next[i] <= to) {
      cq_candles k;
      cq_candles_init(&k, 100000);
      cq_verror ve;
      cq_verror_clear(&ve);
      if (ops->candles(s->v->venue, s->symbol, tf, j->next[i], to + len, &k, &ve)) {
        logf_(c, CQ_LOG_WARN, "capture: %s %s: candles of the hole: %s", s->v->name, s->symbol,
              ve.e.msg);
        cq_candles_release(&k);
        return -1;
      }
      bool forming = false;
      size_t got = 0;
      for (size_t r = 0; r < k.len && !forming; r++) {
        cq_candle kk;
        cq_candles_get(&k, r, &kk);
        if (kk.open_time < j->next[i] || kk.open_time > to) continue;
        /* closed by the adapter's estimate of the venue's clock, or by the stream itself: a
         * trade after the bar's end (plus the delay) means the venue has moved past it */
        if (!kk.closed && kk.open_time + len + delay > atomic_load(&s->seen)) {
          forming = true;
          break;
        }
        kk.closed = true;
        cq_bus_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = CQ_VEV_KLINE;
        set_names(&ev, s->v, s->symbol);
        ev.event_time = kk.open_time;
        ev.recv_time = cq_clock_now(&c->wall);
        ev.u.kline.tf = tf;
        ev.u.kline.candle = kk;
        publish(c, s->t_candles[i], &ev);
        (*published)++;
        got++;
        j->next[i] = kk.open_time + len;
      }
      cq_candles_release(&k);
      if (forming) {
        all = 0;
        break;
      }
      if (!got) {
        /* nothing closed from next on: a venue gap, or bars the venue has not opened yet */
        cq_time vnow = 0;
        cq_verror_clear(&ve);
        if (ops->server_time(s->v->venue, &vnow, &ve) == CQ_OK && vnow >= to + len)
          j->next[i] = to + len; /* the venue has none there */
        else
          all = 0;
        break;
      }
    }
  }
  return all;
}

static void *repair_thread(void *arg) {
  cq_capture *c = arg;
  pthread_mutex_lock(&c->mu);
  /* stopping ends the work at once: the time for last repairs was the draining before it */
  while (!c->stopping) {
    cq_time now = now_of(c);
    repair_job *j = NULL;
    cq_time wake = 0;
    for (size_t i = 0; i < c->njobs && !j; i++) {
      repair_job *q = &c->jobs[i];
      cq_time due = candles_due(c, q), vnow = venue_now(q, now);
      if (!q->trades_done) {
        j = q;
        break;
      }
      cq_time at = due <= vnow || c->draining ? now : now + (due - vnow);
      if (q->retry > at) at = q->retry;
      if (at <= now)
        j = q;
      else if (!wake || at < wake)
        wake = at;
    }
    if (!j) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      int64_t wait_ns = wake ? wake - now : 500 * CQ_NS_PER_MS;
      if (wait_ns > 500 * CQ_NS_PER_MS) wait_ns = 500 * CQ_NS_PER_MS;
      if (wait_ns < CQ_NS_PER_MS) wait_ns = CQ_NS_PER_MS;
      ts.tv_sec += wait_ns / CQ_NS_PER_SEC;
      ts.tv_nsec += wait_ns % CQ_NS_PER_SEC;
      if (ts.tv_nsec >= CQ_NS_PER_SEC) {
        ts.tv_sec++;
        ts.tv_nsec -= CQ_NS_PER_SEC;
      }
      pthread_cond_timedwait(&c->cv, &c->mu, &ts);
      continue;
    }
    /* the job is worked on outside the lock; only this thread changes or removes jobs */
    size_t idx = (size_t)(j - c->jobs);
    repair_job job = *j;
    pthread_mutex_unlock(&c->mu);
    bool trades_now = !job.trades_done;
    uint64_t got = 0, candles = 0;
    bool complete = trades_now ? repair_trades(c, &job, &got) : true;
    int done = trades_now ? 0 : repair_candles(c, &job, &candles);
    pthread_mutex_lock(&c->mu);
    cq_capture_repair *rec = &c->recs[job.rec];
    if (trades_now) {
      c->jobs[idx].trades_done = true;
      rec->trades = got;
      rec->trades_complete = complete;
      atomic_fetch_add(&c->repaired_trades, got);
      continue;
    }
    memcpy(c->jobs[idx].next, job.next, sizeof job.next);
    rec->candles += candles;
    atomic_fetch_add(&c->repaired_candles, candles);
    if (done != 1) {
      /* bars still forming at the venue: again soon; no answer: again in a while */
      c->jobs[idx].retry = now_of(c) + (done < 0 ? 5000 : 500) * CQ_NS_PER_MS;
      continue;
    }
    rec->done = true;
    atomic_fetch_add(&c->repairs_done, 1);
    c->jobs[idx] = c->jobs[--c->njobs];
    cq_capture_repair fin = *rec;
    pthread_mutex_unlock(&c->mu);
    if (job.has_from && job.s->feed_trades >= 0) cq_health_on_resync(c->health, job.s->feed_trades);
    char a[40], b[40];
    cq_time_format_iso(fin.from, 3, a, sizeof a);
    cq_time_format_iso(fin.to, 3, b, sizeof b);
    logf_(c, CQ_LOG_INFO,
          "capture: repaired %s %s from %s to %s: %" PRIu64 " trades%s, %" PRIu64 " candles",
          fin.venue, fin.symbol, a, b, fin.trades,
          fin.trades_complete ? "" : " (trades incomplete: the venue no longer has them all)",
          fin.candles);
    pthread_mutex_lock(&c->mu);
  }
  for (size_t i = 0; i < c->njobs; i++) {
    char a[40];
    cq_time_format_iso(c->jobs[i].from, 3, a, sizeof a);
    logf_(c, CQ_LOG_WARN,
          "capture: %s %s: the hole from %s was not repaired: its bars had not closed when the "
          "capture stopped",
          c->jobs[i].s->v->name, c->jobs[i].s->symbol, a);
  }
  pthread_mutex_unlock(&c->mu);
  return NULL;
}

/* ---- housekeeping ----------------------------------------------------------------------- */

static void tick_all(cq_capture *c) {
  cq_time now = now_of(c);
  for (size_t v = 0; v < c->nvenues; v++)
    for (size_t i = 0; i < c->nsymbols; i++) {
      cap_sym *s = &c->venues[v].syms[i];
      if (!s->lc) continue;
      pthread_mutex_lock(&s->mu);
      /* no quiet close while a hole is open: its trades may still come from the repair */
      if (!s->hole_open) cq_live_candles_tick(s->lc, now - CLOSE_GRACE_NS);
      pthread_mutex_unlock(&s->mu);
    }
  cq_health_check(c->health, now);
}

static void *house_thread(void *arg) {
  cq_capture *c = arg;
  int ms = c->o.tick_ms ? c->o.tick_ms : 250;
  pthread_mutex_lock(&c->mu);
  while (!c->stopping) {
    pthread_mutex_unlock(&c->mu);
    tick_all(c);
    pthread_mutex_lock(&c->mu);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    if (!c->stopping) pthread_cond_timedwait(&c->cv, &c->mu, &ts);
  }
  pthread_mutex_unlock(&c->mu);
  return NULL;
}

/* ---- open / start / stop ---------------------------------------------------------------- */

static int feed(cq_capture *c, const char *venue, const char *symbol, const char *what, int *id,
                cq_error *err) {
  char name[CQ_HEALTH_STREAM_MAX];
  int n = snprintf(name, sizeof name, "%s %s", symbol, what);
  if (n < 0 || (size_t)n >= sizeof name)
    return cq_error_set(err, CQ_EINVAL, "capture: feed name '%s %s' too long", symbol, what);
  return cq_health_feed(c->health, venue, name, id, err);
}

int cq_capture_open(const cq_capture_opts *o, cq_capture **out, cq_error *err) {
  if (!o || !out) return cq_error_set(err, CQ_EINVAL, "capture: no options");
  *out = NULL;
  if (!o->venues || o->nvenues == 0 || o->nvenues > CQ_CAPTURE_VENUES_MAX)
    return cq_error_set(err, CQ_EINVAL, "capture: 1..%d venues", CQ_CAPTURE_VENUES_MAX);
  if (!o->symbols || o->nsymbols == 0 || o->nsymbols > CQ_CAPTURE_SYMBOLS_MAX)
    return cq_error_set(err, CQ_EINVAL, "capture: 1..%d symbols", CQ_CAPTURE_SYMBOLS_MAX);
  if (!o->bus) return cq_error_set(err, CQ_EINVAL, "capture: no bus");
  if (o->ntfs > MAX_TFS)
    return cq_error_set(err, CQ_EINVAL, "capture: at most %d timeframes", MAX_TFS);
  for (size_t i = 0; i < o->nvenues; i++) {
    if (!o->venues[i].venue || !o->venues[i].name || !o->venues[i].name[0] ||
        strlen(o->venues[i].name) >= CQ_VENUE_MAX)
      return cq_error_set(err, CQ_EINVAL, "capture: venue %zu has no adapter or a bad name", i);
    for (size_t k = 0; k < i; k++)
      if (!strcmp(o->venues[k].name, o->venues[i].name))
        return cq_error_set(err, CQ_EINVAL, "capture: venue '%s' given twice", o->venues[i].name);
  }
  for (size_t i = 0; i < o->nsymbols; i++) {
    char base[CQ_ASSET_MAX], quote[CQ_ASSET_MAX];
    int rc = cq_symbol_parse(o->symbols[i], base, quote, err);
    if (rc) return rc;
    for (size_t k = 0; k < i; k++)
      if (!strcmp(o->symbols[k], o->symbols[i]))
        return cq_error_set(err, CQ_EINVAL, "capture: symbol '%s' given twice", o->symbols[i]);
  }
  cq_capture *c = calloc(1, sizeof *c);
  if (!c) return cq_error_set(err, CQ_ENOMEM, "capture: out of memory");
  c->o = *o;
  if (!c->o.channels) c->o.channels = CQ_CAP_ALL;
  cq_clock_wall_init(&c->wall);
  const cq_timeframe *tfs = o->tfs;
  size_t ntfs = o->ntfs;
  if (!tfs || !ntfs) tfs = default_tfs(&ntfs);
  memcpy(c->tfs, tfs, ntfs * sizeof *tfs);
  c->ntfs = ntfs;
  for (size_t i = 0; i < ntfs; i++)
    if (cq_timeframe_ns(tfs[i]) > c->max_tf_ns) c->max_tf_ns = cq_timeframe_ns(tfs[i]);
  c->nvenues = o->nvenues;
  c->nsymbols = o->nsymbols;
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  int rc = CQ_OK;
  const char *names[CQ_CAPTURE_VENUES_MAX];
  for (size_t i = 0; i < o->nvenues; i++) names[i] = o->venues[i].name;
  cq_topic_name *tn = NULL;
  size_t ntn = 0;
  rc = cq_capture_topics(names, o->nvenues, o->symbols, o->nsymbols, c->o.channels, c->tfs, c->ntfs,
                         false, &tn, &ntn, err);
  if (!rc) {
    c->topics = calloc(ntn ? ntn : 1, sizeof *c->topics);
    c->venues = calloc(o->nvenues, sizeof *c->venues);
    if (!c->topics || !c->venues) {
      free(tn);
      cq_capture_close(c);
      return cq_error_set(err, CQ_ENOMEM, "capture: out of memory");
    }
    for (size_t i = 0; tn && i < ntn; i++) {
      memcpy(c->topics[i].name, tn[i], sizeof tn[i]);
      pthread_mutex_init(&c->topics[i].mu, NULL);
    }
    c->ntopics = ntn;
  }
  free(tn);
  if (!rc) {
    cq_health_opts ho = o->health;
    c->user_alert = ho.alert_fn;
    c->user_ctx = ho.ctx;
    ho.alert_fn = on_alert;
    ho.ctx = c;
    rc = cq_health_open(&ho, &c->health, err);
  }
  for (size_t v = 0; !rc && v < o->nvenues; v++) {
    cap_venue *cv = &c->venues[v];
    cv->c = c;
    cv->venue = o->venues[v].venue;
    snprintf(cv->name, sizeof cv->name, "%s", o->venues[v].name);
    char st[CQ_BUS_TOPIC_MAX];
    snprintf(st, sizeof st, "md.%s.status", cv->name);
    cv->t_status = topic_find(c, st);
    cv->syms = calloc(o->nsymbols, sizeof *cv->syms);
    if (!cv->syms) {
      rc = cq_error_set(err, CQ_ENOMEM, "capture: out of memory");
      break;
    }
    for (size_t i = 0; !rc && i < o->nsymbols; i++) {
      cap_sym *s = &cv->syms[i];
      s->v = cv;
      char base[CQ_ASSET_MAX], quote[CQ_ASSET_MAX];
      if (cq_symbol_parse(o->symbols[i], base, quote, NULL) == CQ_OK) /* checked above */
        snprintf(s->symbol, sizeof s->symbol, "%s/%s", base, quote);
      pthread_mutex_init(&s->mu, NULL);
      s->feed_trades = s->feed_book = s->feed_ticker = -1;
      char t[CQ_BUS_TOPIC_MAX];
      bool want_trades = c->o.channels & (CQ_CAP_TRADES | CQ_CAP_CANDLES);
      if (want_trades) rc = feed(c, cv->name, s->symbol, "trades", &s->feed_trades, err);
      if (!rc && (c->o.channels & CQ_CAP_BOOK))
        rc = feed(c, cv->name, s->symbol, "book", &s->feed_book, err);
      if (!rc && (c->o.channels & CQ_CAP_TICKER))
        rc = feed(c, cv->name, s->symbol, "ticker", &s->feed_ticker, err);
      if (rc) break;
      if (cq_bus_topic(t, sizeof t, cv->name, s->symbol, "trades", NULL) == CQ_OK)
        s->t_trades = topic_find(c, t);
      if (cq_bus_topic(t, sizeof t, cv->name, s->symbol, "book", NULL) == CQ_OK)
        s->t_book = topic_find(c, t);
      if (cq_bus_topic(t, sizeof t, cv->name, s->symbol, "ticker", NULL) == CQ_OK)
        s->t_ticker = topic_find(c, t);
      for (size_t k = 0; k < c->ntfs; k++) {
        char ch[32];
        candle_channel(c->tfs[k], ch, sizeof ch);
        if (cq_bus_topic(t, sizeof t, cv->name, s->symbol, ch, NULL) == CQ_OK)
          s->t_candles[k] = topic_find(c, t);
      }
      if (c->o.channels & CQ_CAP_CANDLES)
        rc = cq_live_candles_open(cv->name, s->symbol, c->tfs, c->ntfs, on_candle, on_late, s,
                                  &s->lc, err);
    }
  }
  if (rc) {
    cq_capture_close(c);
    return rc;
  }
  *out = c;
  return CQ_OK;
}

int cq_capture_start(cq_capture *c, cq_error *err) {
  if (!c || c->started) return cq_error_set(err, CQ_ESTATE, "capture: already started");
  cq_time now = now_of(c);
  /* the bars the capture starts in miss the trades before it: a hole from now */
  for (size_t v = 0; v < c->nvenues; v++)
    for (size_t i = 0; i < c->nsymbols; i++) open_hole(&c->venues[v].syms[i], now);
  cq_venue_sub *subs = calloc(c->nsymbols * 3 + 1, sizeof *subs);
  if (!subs) return cq_error_set(err, CQ_ENOMEM, "capture: out of memory");
  int rc = CQ_OK;
  size_t v = 0;
  for (; v < c->nvenues && !rc; v++) {
    cap_venue *cv = &c->venues[v];
    size_t n = 0;
    for (size_t i = 0; i < c->nsymbols; i++) {
      if (c->o.channels & (CQ_CAP_TRADES | CQ_CAP_CANDLES))
        subs[n++] = (cq_venue_sub){.channel = CQ_VCH_TRADES};
      if (c->o.channels & CQ_CAP_BOOK) subs[n++] = (cq_venue_sub){.channel = CQ_VCH_BOOK};
      if (c->o.channels & CQ_CAP_TICKER) subs[n++] = (cq_venue_sub){.channel = CQ_VCH_TICKER};
      for (size_t k = n; k > 0 && !subs[k - 1].symbol[0]; k--)
        snprintf(subs[k - 1].symbol, sizeof subs[k - 1].symbol, "%s", cv->syms[i].symbol);
    }
    cq_venue_handler h = {.ctx = cv, .on_event = on_event};
    cq_verror ve;
    cq_verror_clear(&ve);
    if (cv->venue->ops->subscribe(cv->venue, subs, n, &h, &cv->stream, &ve)) {
      cv->stream = NULL;
      *err = ve.e;
      cq_error_prefix(err, "capture: subscribing %s: ", cv->name);
      rc = ve.e.code ? ve.e.code : CQ_ENET;
    }
  }
  free(subs);
  if (!rc) {
    c->house_on = pthread_create(&c->house, NULL, house_thread, c) == 0;
    c->repair_on = c->house_on && pthread_create(&c->repair, NULL, repair_thread, c) == 0;
    if (!c->repair_on) rc = cq_error_set(err, CQ_ENOMEM, "capture: cannot start its threads");
  }
  if (rc) {
    c->started = true;
    cq_capture_stop(c, 0);
    c->started = false;
    return rc;
  }
  c->started = true;
  logf_(c, CQ_LOG_INFO, "capture: %zu venues, %zu symbols, %zu topics", c->nvenues, c->nsymbols,
        c->ntopics);
  return CQ_OK;
}

void cq_capture_stop(cq_capture *c, int64_t wait_ms) {
  if (!c || !c->started) return;
  /* the last repairs first, while the streams still show the venue's clock moving on: a
   * repair finishes once the bars of its hole have closed at the venue */
  cq_time deadline = now_of(c) + wait_ms * CQ_NS_PER_MS;
  pthread_mutex_lock(&c->mu);
  c->draining = true;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
  while (c->repair_on && now_of(c) < deadline) {
    pthread_mutex_lock(&c->mu);
    size_t left = c->njobs;
    pthread_mutex_unlock(&c->mu);
    if (!left) break;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 50000000L};
    nanosleep(&ts, NULL);
  }
  atomic_store(&c->unsubscribing, 1); /* the streams' own goodbyes are not feed trouble */
  for (size_t v = 0; v < c->nvenues; v++)
    if (c->venues[v].stream) {
      c->venues[v].venue->ops->unsubscribe(c->venues[v].stream);
      c->venues[v].stream = NULL;
    }
  pthread_mutex_lock(&c->mu);
  c->stopping = true;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
  if (c->house_on) pthread_join(c->house, NULL);
  if (c->repair_on) pthread_join(c->repair, NULL);
  c->house_on = c->repair_on = false;
  c->started = false;
}

void cq_capture_close(cq_capture *c) {
  if (!c) return;
  cq_capture_stop(c, 0);
  for (size_t v = 0; c->venues && v < c->nvenues; v++) {
    cap_venue *cv = &c->venues[v];
    for (size_t i = 0; cv->syms && i < c->nsymbols; i++) {
      cq_live_candles_close(cv->syms[i].lc);
      pthread_mutex_destroy(&cv->syms[i].mu);
    }
    free(cv->syms);
  }
  for (size_t i = 0; i < c->ntopics; i++) pthread_mutex_destroy(&c->topics[i].mu);
  free(c->venues);
  free(c->topics);
  free(c->recs);
  cq_health_close(c->health);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cv);
  free(c);
}

/* ---- reading ---------------------------------------------------------------------------- */

void cq_capture_stats_get(cq_capture *c, cq_capture_stats *o) {
  memset(o, 0, sizeof *o);
  o->events = atomic_load(&c->events);
  o->published = atomic_load(&c->published);
  o->publish_errors = atomic_load(&c->publish_errors);
  o->trades = atomic_load(&c->trades);
  o->books = atomic_load(&c->books);
  o->tickers = atomic_load(&c->tickers);
  o->candle_updates = atomic_load(&c->candle_updates);
  o->candle_closes = atomic_load(&c->candle_closes);
  o->tainted = atomic_load(&c->tainted);
  o->late = atomic_load(&c->late);
  o->reconnects = atomic_load(&c->reconnects);
  o->holes = atomic_load(&c->holes);
  o->repairs_done = atomic_load(&c->repairs_done);
  o->repaired_trades = atomic_load(&c->repaired_trades);
  o->repaired_candles = atomic_load(&c->repaired_candles);
  o->alerts = atomic_load(&c->alerts);
}

const cq_health *cq_capture_health(const cq_capture *c) {
  return c->health;
}

int cq_capture_topic_stats_get(cq_capture *c, cq_capture_topic_stats **out, size_t *n,
                               cq_error *err) {
  *out = NULL;
  *n = 0;
  cq_capture_topic_stats *t = calloc(c->ntopics ? c->ntopics : 1, sizeof *t);
  if (!t) return cq_error_set(err, CQ_ENOMEM, "capture: out of memory");
  for (size_t i = 0; i < c->ntopics; i++) {
    pthread_mutex_lock(&c->topics[i].mu);
    memcpy(t[i].topic, c->topics[i].name, sizeof t[i].topic);
    t[i].published = c->topics[i].published;
    t[i].last_id = c->topics[i].last_id;
    pthread_mutex_unlock(&c->topics[i].mu);
  }
  *out = t;
  *n = c->ntopics;
  return CQ_OK;
}

int cq_capture_repairs_get(cq_capture *c, cq_capture_repair **out, size_t *n, cq_error *err) {
  *out = NULL;
  *n = 0;
  pthread_mutex_lock(&c->mu);
  cq_capture_repair *r = malloc((c->nrecs ? c->nrecs : 1) * sizeof *r);
  if (!r) {
    pthread_mutex_unlock(&c->mu);
    return cq_error_set(err, CQ_ENOMEM, "capture: out of memory");
  }
  if (c->nrecs) memcpy(r, c->recs, c->nrecs * sizeof *r);
  *n = c->nrecs;
  pthread_mutex_unlock(&c->mu);
  *out = r;
  return CQ_OK;
}

static json_t *num_or_null(double v) {
  return v == v ? json_real(v) : json_null();
}

int cq_capture_status_json(cq_capture *c, cq_time now, char **out, cq_error *err) {
  *out = NULL;
  json_t *root = json_object(), *feeds = json_array(), *topics = json_array(),
         *repairs = json_array(), *cnt = json_object();
  int rc = CQ_OK;
  if (!root || !feeds || !topics || !repairs || !cnt) {
    rc = cq_error_set(err, CQ_ENOMEM, "capture: out of memory");
    goto done;
  }
  json_object_set_new(root, "time", json_integer(now));
  size_t nf = cq_health_count(c->health);
  for (size_t i = 0; i < nf; i++) {
    cq_health_stats st;
    if (cq_health_get(c->health, (int)i, now, &st, NULL)) continue;
    json_t *f = json_object(), *al = json_array();
    if (!f || !al) {
      json_decref(f);
      json_decref(al);
      rc = cq_error_set(err, CQ_ENOMEM, "capture: out of memory");
      goto done;
    }
    for (int k = 0; k < CQ_HA_COUNT; k++)
      if (st.alert[k]) json_array_append_new(al, json_string(cq_health_alert_name(k)));
    json_object_set_new(f, "venue", json_string(st.venue));
    json_object_set_new(f, "stream", json_string(st.stream));
    json_object_set_new(f, "messages", json_integer((json_int_t)st.messages));
    json_object_set_new(f, "rate", json_real(st.rate));
    json_object_set_new(f, "p50_ms", num_or_null(st.p50_ms));
    json_object_set_new(f, "p99_ms", num_or_null(st.p99_ms));
    json_object_set_new(f, "since_last_s", num_or_null(st.since_last_s));
    json_object_set_new(f, "reconnects", json_integer((json_int_t)st.reconnects));
    json_object_set_new(f, "gaps", json_integer((json_int_t)st.gaps));
    json_object_set_new(f, "resyncs", json_integer((json_int_t)st.resyncs));
    json_object_set_new(f, "out_of_order", json_integer((json_int_t)st.out_of_order));
    json_object_set_new(f, "book_invalid", json_boolean(st.book_invalid));
    json_object_set_new(f, "gap_open", json_boolean(st.gap_open));
    json_object_set_new(f, "alerts", al);
    json_array_append_new(feeds, f);
  }
  for (size_t i = 0; i < c->ntopics; i++) {
    pthread_mutex_lock(&c->topics[i].mu);
    json_t *t =
        json_pack("{s:s,s:I,s:I}", "topic", c->topics[i].name, "published",
                  (json_int_t)c->topics[i].published, "last_id", (json_int_t)c->topics[i].last_id);
    pthread_mutex_unlock(&c->topics[i].mu);
    if (t) json_array_append_new(topics, t);
  }
  cq_capture_repair *r = NULL;
  size_t nr = 0;
  if (cq_capture_repairs_get(c, &r, &nr, NULL) == CQ_OK) {
    /* the latest holes: a capture that runs for months keeps its status file small */
    for (size_t i = nr > STATUS_REPAIRS ? nr - STATUS_REPAIRS : 0; i < nr; i++) {
      json_t *o =
          json_pack("{s:s,s:s,s:I,s:I,s:I,s:b,s:I,s:b}", "venue", r[i].venue, "symbol", r[i].symbol,
                    "from", (json_int_t)r[i].from, "to", (json_int_t)r[i].to, "trades",
                    (json_int_t)r[i].trades, "trades_complete", r[i].trades_complete, "candles",
                    (json_int_t)r[i].candles, "done", r[i].done);
      if (o) json_array_append_new(repairs, o);
    }
    free(r);
  }
  cq_capture_stats s;
  cq_capture_stats_get(c, &s);
  json_object_set_new(cnt, "events", json_integer((json_int_t)s.events));
  json_object_set_new(cnt, "published", json_integer((json_int_t)s.published));
  json_object_set_new(cnt, "publish_errors", json_integer((json_int_t)s.publish_errors));
  json_object_set_new(cnt, "trades", json_integer((json_int_t)s.trades));
  json_object_set_new(cnt, "books", json_integer((json_int_t)s.books));
  json_object_set_new(cnt, "tickers", json_integer((json_int_t)s.tickers));
  json_object_set_new(cnt, "candle_updates", json_integer((json_int_t)s.candle_updates));
  json_object_set_new(cnt, "candle_closes", json_integer((json_int_t)s.candle_closes));
  json_object_set_new(cnt, "tainted", json_integer((json_int_t)s.tainted));
  json_object_set_new(cnt, "late", json_integer((json_int_t)s.late));
  json_object_set_new(cnt, "reconnects", json_integer((json_int_t)s.reconnects));
  json_object_set_new(cnt, "holes", json_integer((json_int_t)s.holes));
  json_object_set_new(cnt, "repairs_done", json_integer((json_int_t)s.repairs_done));
  json_object_set_new(cnt, "repaired_trades", json_integer((json_int_t)s.repaired_trades));
  json_object_set_new(cnt, "repaired_candles", json_integer((json_int_t)s.repaired_candles));
  json_object_set_new(cnt, "alerts", json_integer((json_int_t)s.alerts));
  json_object_set(root, "feeds", feeds);
  json_object_set(root, "topics", topics);
  json_object_set(root, "repairs", repairs);
  json_object_set(root, "counters", cnt);
  *out = json_dumps(root, JSON_COMPACT);
  if (!*out) rc = cq_error_set(err, CQ_ENOMEM, "capture: out of memory");
done:
  json_decref(feeds);
  json_decref(topics);
  json_decref(repairs);
  json_decref(cnt);
  json_decref(root);
  return rc;
}
