/* The market-data pipeline of the end-to-end bench and the soak (pipeline.h). */
#include "pipeline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cquant/bus.h"
#include "cquant/ingest.h"
#include "cquant/net.h"
#include "cquant/venue.h"
#include "cquant/vsim.h"

/* ---- the histogram --------------------------------------------------------------------- */

static int lh_index(int64_t v) {
  if (v < LH_SUB) return v < 0 ? 0 : (int)v;
  int msb = 63 - __builtin_clzll((unsigned long long)v); /* >= 6 */
  int shift = msb - 6;
  int i = (msb - 5) * LH_SUB + (int)((v >> shift) & (LH_SUB - 1));
  return i < LH_BUCKETS ? i : LH_BUCKETS - 1;
}

/* The middle of bucket i. */
static double lh_value(int i) {
  if (i < LH_SUB) return i;
  int msb = i / LH_SUB + 5, shift = msb - 6;
  double lo = (double)(((int64_t)1 << msb) | ((int64_t)(i % LH_SUB) << shift));
  return lo + (double)((int64_t)1 << shift) / 2;
}

void lh_clear(lathist *h) {
  memset(h, 0, sizeof *h);
}

void lh_add(lathist *h, int64_t v) {
  if (v < 0) v = 0;
  h->b[lh_index(v)]++;
  h->n++;
  if (v > h->max) h->max = v;
}

void lh_merge(lathist *into, const lathist *h) {
  for (int i = 0; i < LH_BUCKETS; i++) into->b[i] += h->b[i];
  into->n += h->n;
  if (h->max > into->max) into->max = h->max;
}

double lh_quantile(const lathist *h, double q) {
  if (h->n == 0) return 0;
  if (q >= 1) return (double)h->max;
  uint64_t rank = (uint64_t)(q * (double)(h->n - 1)), seen = 0;
  for (int i = 0; i < LH_BUCKETS; i++) {
    seen += h->b[i];
    if (seen > rank) {
      double v = lh_value(i);
      return v > (double)h->max ? (double)h->max : v;
    }
  }
  return (double)h->max;
}

/* ---- send times ------------------------------------------------------------------------
 * The simulators' WebSocket sends, hooked at link time (-Wl,--wrap=cq_server_ws_send): each
 * trade message's (venue, symbol, trade id) is hashed into a table with the send instant.
 * The table has a fixed number of slots indexed by the hash: a later trade may take the slot
 * of one not yet consumed (that one then counts as unmatched), and memory never grows. */

enum { SEND_SLOTS = 1 << 18 };

typedef struct send_slot {
  _Atomic uint64_t key; /* 0: empty */
  _Atomic int64_t at;
} send_slot;

typedef struct send_log {
  send_slot slot[SEND_SLOTS];
  _Atomic uint64_t messages;
} send_log;

/* The hook has no context: the one pipeline running publishes its log here. */
static _Atomic(send_log *) g_send_log;

static cq_time wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (cq_time)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t fnv(uint64_t h, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* The key of (venue index, symbol with its separators left out, trade id text). */
static uint64_t trade_key(int venue, const char *sym, size_t symlen, const char *id, size_t idlen) {
  char v = (char)('0' + venue);
  uint64_t h = fnv(0xcbf29ce484222325ULL, &v, 1);
  for (size_t i = 0; i < symlen; i++)
    if (sym[i] != '/' && sym[i] != '-') h = fnv(h, &sym[i], 1);
  h = fnv(h, "|", 1);
  h = fnv(h, id, idlen);
  return h ? h : 1;
}

static const char *find(const char *s, const char *end, const char *pat) {
  size_t n = strlen(pat);
  for (const char *p = s; p + n <= end; p++)
    if (*p == *pat && memcmp(p, pat, n) == 0) return p;
  return NULL;
}

/* The text after pat: its digits (digits) or up to the closing quote; its length, 0 when pat
 * is not there. */
static size_t field(const char *s, const char *end, const char *pat, bool digits,
                    const char **out) {
  const char *p = find(s, end, pat);
  if (!p) return 0;
  p += strlen(pat);
  const char *q = p;
  while (q < end && (digits ? (*q >= '0' && *q <= '9') : *q != '"')) q++;
  *out = p;
  return (size_t)(q - p);
}

static void note(send_log *l, int venue, const char *sym, size_t symlen, const char *id,
                 size_t idlen, cq_time at) {
  uint64_t k = trade_key(venue, sym, symlen, id, idlen);
  send_slot *s = &l->slot[k & (SEND_SLOTS - 1)];
  atomic_store_explicit(&s->key, 0, memory_order_relaxed);
  atomic_store_explicit(&s->at, at, memory_order_relaxed);
  atomic_store_explicit(&s->key, k, memory_order_release);
}

/* The trades of one simulator message, by the dialect its shape gives away. Venue indices
 * are those of venue_index(). */
static void note_message(send_log *l, const char *d, size_t len, cq_time at) {
  const char *end = d + len, *sym, *id;
  /* what tells the kind sits in the first bytes of each dialect's message; a book message
   * (the bulk of the bytes) is not scanned through */
  const char *head = d + (len < 96 ? len : 96);
  size_t ns, ni;
  if (find(d, head, "\"e\":\"trade\"")) { /* binance: one trade */
    if ((ns = field(d, end, "\"s\":\"", false, &sym)) && (ni = field(d, end, "\"t\":", true, &id)))
      note(l, 0, sym, ns, id, ni, at);
  } else if (find(d, head, "\"channel\":\"trades\"")) { /* okx: trades in data[] */
    if (!(ns = field(d, end, "\"instId\":\"", false, &sym))) return;
    for (const char *p = d; (ni = field(p, end, "\"tradeId\":\"", false, &id)); p = id + ni)
      note(l, 1, sym, ns, id, ni, at);
  } else if (find(d, head, "\"topic\":\"publicTrade.")) { /* bybit: trades in data[] */
    if (!(ns = field(d, end, "\"topic\":\"publicTrade.", false, &sym))) return;
    for (const char *p = d; (ni = field(p, end, "\"i\":\"", false, &id)); p = id + ni)
      note(l, 2, sym, ns, id, ni, at);
  }
}

/* Declared here: the linker's names for the hook and the function it wraps. */
int __real_cq_server_ws_send(cq_server *s, uint64_t conn, const char *data, size_t len,
                             cq_error *err);
int __wrap_cq_server_ws_send(cq_server *s, uint64_t conn, const char *data, size_t len,
                             cq_error *err);

int __wrap_cq_server_ws_send(cq_server *s, uint64_t conn, const char *data, size_t len,
                             cq_error *err) {
  /* noted before the send, or the consumer could look before the note is there; the
   * instant is taken first, so the figure holds the noting too (about a microsecond) */
  cq_time at = wall_now();
  send_log *l = atomic_load_explicit(&g_send_log, memory_order_acquire);
  if (l) note_message(l, data, len, at);
  int rc = __real_cq_server_ws_send(s, conn, data, len, err);
  if (l && rc == 0) atomic_fetch_add_explicit(&l->messages, 1, memory_order_relaxed);
  return rc;
}

static bool send_time(send_log *l, int venue, const char *sym, const char *id, cq_time *at) {
  uint64_t k = trade_key(venue, sym, strlen(sym), id, strlen(id));
  send_slot *s = &l->slot[k & (SEND_SLOTS - 1)];
  if (atomic_load_explicit(&s->key, memory_order_acquire) != k) return false;
  *at = atomic_load_explicit(&s->at, memory_order_relaxed);
  return atomic_load_explicit(&s->key, memory_order_acquire) == k;
}

/* ---- the pipeline ---------------------------------------------------------------------- */

static const char *const venue_names[PL_MAX_VENUES] = {"binance", "okx", "bybit"};
static const char *const channel_names[PL_CHANNELS] = {"trades", "book", "ticker"};

static int venue_index(const char *name) {
  for (int i = 0; i < PL_MAX_VENUES; i++)
    if (!strcmp(name, venue_names[i])) return i;
  return -1;
}

typedef struct pl_sub {
  struct pl *p;
  int venue, symbol, channel;
  char topic[CQ_BUS_TOPIC_MAX];
  cq_bus_consumer *c;
  cq_live_candles *lc; /* trades only */
  pthread_t th;
  bool started;
  _Atomic uint64_t consumed, reports, late, unmatched, errors;
  pthread_mutex_t mu; /* lat */
  pl_latency lat;
} pl_sub;

/* One venue: its simulator, adapter and the streams' ids (atomic: an adapter may emit from
 * another thread than the client loop's, a book resynchronized from a REST snapshot). */
typedef struct pl_venue {
  struct pl *p;
  int index; /* in venue_names */
  int pos;   /* in the pipeline's venues and subs */
  cq_net_loop *sim_loop;
  cq_vsim *sim;
  const cq_venue_ops *ops;
  cq_venue *v;
  cq_venue_stream *st;
  _Atomic uint64_t next_id[PL_MAX_SYMBOLS][PL_CHANNELS];
  _Atomic uint64_t published[PL_CHANNELS], errors;
  _Atomic bool flowing; /* a first trade arrived */
} pl_venue;

struct pl {
  pl_options o;
  size_t nvenues, nsymbols;
  const char *symbols[PL_MAX_SYMBOLS];
  send_log *log;
  cq_bus *bus;
  cq_net_loop *client_loop;
  pl_venue venues[PL_MAX_VENUES];
  pl_sub subs[PL_MAX_VENUES][PL_MAX_SYMBOLS][PL_CHANNELS];
  _Atomic bool stop;
};

static int symbol_index(const pl *p, const char *sym) {
  for (size_t i = 0; i < p->nsymbols; i++)
    if (!strcmp(sym, p->symbols[i])) return (int)i;
  return -1;
}

static bool channel_on(const pl *p, int ch) {
  return ch == PL_CH_TRADES || (ch == PL_CH_BOOK && p->o.book) ||
         (ch == PL_CH_TICKER && p->o.ticker);
}

static void on_event(void *ctx, const cq_venue_event *ev) {
  pl_venue *v = ctx;
  pl *p = v->p;
  int ch = ev->kind == CQ_VEV_TRADE    ? PL_CH_TRADES
           : ev->kind == CQ_VEV_BOOK   ? PL_CH_BOOK
           : ev->kind == CQ_VEV_TICKER ? PL_CH_TICKER
                                       : -1;
  int sy = ch >= 0 ? symbol_index(p, ev->symbol) : -1;
  if (sy < 0) return; /* status events and the like: not measured here */
  pl_sub *s = &p->subs[v->pos][sy][ch];
  cq_bus_event be;
  cq_error e;
  uint64_t id = atomic_fetch_add_explicit(&v->next_id[sy][ch], 1, memory_order_relaxed) + 1;
  if (cq_bus_event_from_venue(ev, id, &be, &e) != 0) {
    atomic_fetch_add(&v->errors, 1);
    return;
  }
  be.publish_time = wall_now();
  if (cq_bus_publish(p->bus, s->topic, &be, &e) != 0) {
    atomic_fetch_add(&v->errors, 1);
    return;
  }
  atomic_fetch_add_explicit(&v->published[ch], 1, memory_order_relaxed);
  if (ch == PL_CH_TRADES) atomic_store_explicit(&v->flowing, true, memory_order_relaxed);
}

static void on_candle(void *ctx, cq_timeframe tf, const cq_candle *c) {
  (void)tf;
  (void)c;
  pl_sub *s = ctx;
  atomic_fetch_add_explicit(&s->reports, 1, memory_order_relaxed);
}

static void trade_in(pl_sub *s, const cq_bus_event *ev) {
  cq_error e;
  bool late = false;
  if (cq_live_candles_add(s->lc, &ev->u.trade, &late, &e) != 0) {
    atomic_fetch_add(&s->errors, 1);
    return;
  }
  cq_time done = wall_now();
  if (late) atomic_fetch_add_explicit(&s->late, 1, memory_order_relaxed);
  cq_time sent;
  if (!send_time(s->p->log, s->venue, ev->symbol, ev->u.trade.id, &sent)) {
    atomic_fetch_add_explicit(&s->unmatched, 1, memory_order_relaxed);
    return;
  }
  pthread_mutex_lock(&s->mu);
  lh_add(&s->lat.total, done - sent);
  lh_add(&s->lat.wire, ev->recv_time - sent);
  lh_add(&s->lat.handler, ev->publish_time - ev->recv_time);
  lh_add(&s->lat.consume, done - ev->publish_time);
  pthread_mutex_unlock(&s->mu);
}

enum { POLL_MAX = 32 };

static void *consume(void *arg) {
  pl_sub *s = arg;
  cq_bus_event *evs = malloc(sizeof *evs * POLL_MAX);
  if (!evs) {
    atomic_fetch_add(&s->errors, 1);
    return NULL;
  }
  while (!atomic_load_explicit(&s->p->stop, memory_order_relaxed)) {
    size_t n = 0;
    if (cq_bus_poll(s->c, evs, NULL, POLL_MAX, &n, 100, NULL) != 0) {
      atomic_fetch_add(&s->errors, 1);
      break;
    }
    for (size_t i = 0; i < n; i++)
      if (evs[i].kind == CQ_VEV_TRADE && s->lc) trade_in(s, &evs[i]);
    atomic_fetch_add_explicit(&s->consumed, n, memory_order_relaxed);
  }
  free(evs);
  return NULL;
}

static int start_venue(pl *p, pl_venue *v, cq_error *err) {
  const char *name = venue_names[v->index];
  cq_vsim_symbol syms[PL_MAX_SYMBOLS];
  memset(syms, 0, sizeof syms);
  for (size_t i = 0; i < p->nsymbols; i++) syms[i].symbol = p->symbols[i];
  char market[48];
  snprintf(market, sizeof market, "synthetic:%llu", (unsigned long long)p->o.seed);
  cq_vsim_options so;
  cq_vsim_options_default(&so);
  so.dialect = name;
  so.market = market;
  so.symbols = syms;
  so.nsymbols = p->nsymbols;
  so.speed = p->o.speed;
  so.stream_interval_ms = p->o.stream_interval_ms;
  so.trade_rate = p->o.trade_rate;
  int rc = cq_net_loop_new(NULL, &v->sim_loop, err);
  if (rc == 0) rc = cq_vsim_new(&so, &v->sim, err);
  if (rc == 0) rc = cq_vsim_start(v->sim, v->sim_loop, NULL, 0, err);
  if (rc == 0) rc = cq_venue_find(name, &v->ops, err);
  if (rc) return rc;
  cq_venue_config c;
  cq_venue_config_default(&c);
  c.rest_url = cq_vsim_rest_url(v->sim);
  c.ws_url = cq_vsim_ws_url(v->sim);
  c.loop = p->client_loop;
  cq_verror ve;
  if (v->ops->open(&c, &v->v, &ve) != 0) {
    *err = ve.e;
    return ve.e.code;
  }
  cq_venue_sub subs[PL_MAX_SYMBOLS * PL_CHANNELS];
  size_t n = 0;
  static const cq_vchan chans[PL_CHANNELS] = {CQ_VCH_TRADES, CQ_VCH_BOOK, CQ_VCH_TICKER};
  for (size_t y = 0; y < p->nsymbols; y++)
    for (int ch = 0; ch < PL_CHANNELS; ch++) {
      if (!channel_on(p, ch)) continue;
      memset(&subs[n], 0, sizeof subs[n]);
      subs[n].channel = chans[ch];
      snprintf(subs[n].symbol, sizeof subs[n].symbol, "%s", p->symbols[y]);
      n++;
    }
  cq_venue_handler h = {.ctx = v, .on_event = on_event};
  if (v->ops->subscribe(v->v, subs, n, &h, &v->st, &ve) != 0) {
    *err = ve.e;
    return ve.e.code;
  }
  return 0;
}

static int start_sub(pl *p, pl_sub *s, cq_error *err) {
  pthread_mutex_init(&s->mu, NULL);
  int rc = cq_bus_topic(s->topic, sizeof s->topic, venue_names[s->venue], p->symbols[s->symbol],
                        channel_names[s->channel], err);
  if (rc == 0) rc = cq_bus_subscribe(p->bus, s->topic, "bench", "c", &s->c, err);
  if (rc == 0 && s->channel == PL_CH_TRADES) {
    static const cq_timeframe tfs[] = {{1, CQ_TF_MINUTE}, {5, CQ_TF_MINUTE}, {15, CQ_TF_MINUTE}};
    rc = cq_live_candles_open(venue_names[s->venue], p->symbols[s->symbol], tfs, 3, on_candle, NULL,
                              s, &s->lc, err);
  }
  if (rc) return rc;
  if (pthread_create(&s->th, NULL, consume, s) != 0)
    return cq_error_set(err, CQ_EINTERNAL, "pipeline: cannot start the consumer of %s", s->topic);
  s->started = true;
  return 0;
}

int pl_start(const pl_options *o, pl **out, cq_error *err) {
  *out = NULL;
  pl *p = calloc(1, sizeof *p);
  send_log *l = calloc(1, sizeof *l);
  if (!p || !l) {
    free(p);
    free(l);
    return cq_error_set(err, CQ_ENOMEM, "pipeline");
  }
  send_log *none = NULL;
  if (!atomic_compare_exchange_strong(&g_send_log, &none, l)) {
    free(p);
    free(l);
    return cq_error_set(err, CQ_ESTATE, "pipeline: one runs already");
  }
  p->log = l;
  p->o = *o;
  if (p->o.seed == 0) p->o.seed = 1;
  while (p->nsymbols < PL_MAX_SYMBOLS && o->symbols[p->nsymbols])
    p->symbols[p->nsymbols] = o->symbols[p->nsymbols], p->nsymbols++;
  if (p->nsymbols == 0) p->symbols[p->nsymbols++] = "BTC/USDT";
  int idx[PL_MAX_VENUES] = {0};
  for (; p->nvenues < PL_MAX_VENUES && o->venues[p->nvenues]; p->nvenues++)
    if ((idx[p->nvenues] = venue_index(o->venues[p->nvenues])) < 0) {
      int rc = cq_error_set(err, CQ_EINVAL, "pipeline: unknown venue %s", o->venues[p->nvenues]);
      pl_stop(p);
      return rc;
    }
  cq_bus_options bo;
  cq_bus_options_default(&bo);
  bo.ring_size = o->ring_size ? o->ring_size : 1024;
  bo.spin_ns = o->spin_ns;
  int rc = cq_bus_inproc_open(&bo, &p->bus, err);
  if (rc == 0) rc = cq_net_loop_new(NULL, &p->client_loop, err);
  for (size_t i = 0; rc == 0 && i < p->nvenues; i++)
    for (size_t y = 0; rc == 0 && y < p->nsymbols; y++)
      for (int ch = 0; rc == 0 && ch < PL_CHANNELS; ch++) {
        if (!channel_on(p, ch)) continue;
        pl_sub *s = &p->subs[i][y][ch];
        s->p = p;
        s->venue = idx[i];
        s->symbol = (int)y;
        s->channel = ch;
        rc = start_sub(p, s, err);
      }
  for (size_t i = 0; rc == 0 && i < p->nvenues; i++) {
    p->venues[i].p = p;
    p->venues[i].index = idx[i];
    p->venues[i].pos = (int)i;
    rc = start_venue(p, &p->venues[i], err);
  }
  if (rc) {
    pl_stop(p);
    return rc;
  }
  *out = p;
  return 0;
}

int pl_wait_flowing(pl *p, int timeout_ms, cq_error *err) {
  for (int waited = 0;; waited += 10) {
    size_t ok = 0;
    for (size_t i = 0; i < p->nvenues; i++) ok += atomic_load(&p->venues[i].flowing);
    if (ok == p->nvenues) return 0;
    if (waited >= timeout_ms)
      return cq_error_set(err, CQ_ETIMEOUT, "pipeline: %zu of %zu venues sent trades in %d ms", ok,
                          p->nvenues, timeout_ms);
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
}

void pl_counts_get(pl *p, pl_counts *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < p->nvenues; i++) {
    const pl_venue *v = &p->venues[i];
    for (int ch = 0; ch < PL_CHANNELS; ch++) out->published[ch] += atomic_load(&v->published[ch]);
    out->errors += atomic_load(&v->errors);
    for (size_t y = 0; y < p->nsymbols; y++)
      for (int ch = 0; ch < PL_CHANNELS; ch++) {
        pl_sub *s = &p->subs[i][y][ch];
        out->consumed[ch] += atomic_load(&s->consumed);
        out->candle_reports += atomic_load(&s->reports);
        out->late += atomic_load(&s->late);
        out->unmatched += atomic_load(&s->unmatched);
        out->errors += atomic_load(&s->errors);
      }
  }
  cq_bus_stats bs = {0};
  if (p->bus) cq_bus_stats_get(p->bus, &bs);
  out->dropped = bs.dropped;
  out->sim_messages = atomic_load(&p->log->messages);
}

void pl_latency_take(pl *p, pl_latency *out) {
  for (size_t i = 0; i < p->nvenues; i++)
    for (size_t y = 0; y < p->nsymbols; y++) {
      pl_sub *s = &p->subs[i][y][PL_CH_TRADES];
      pthread_mutex_lock(&s->mu);
      lh_merge(&out->total, &s->lat.total);
      lh_merge(&out->wire, &s->lat.wire);
      lh_merge(&out->handler, &s->lat.handler);
      lh_merge(&out->consume, &s->lat.consume);
      lh_clear(&s->lat.total);
      lh_clear(&s->lat.wire);
      lh_clear(&s->lat.handler);
      lh_clear(&s->lat.consume);
      pthread_mutex_unlock(&s->mu);
    }
}

void pl_stop(pl *p) {
  if (!p) return;
  /* the sources first: nothing publishes once the adapters and simulators are gone */
  for (size_t i = 0; i < PL_MAX_VENUES; i++) {
    pl_venue *v = &p->venues[i];
    if (v->st) v->ops->unsubscribe(v->st);
    if (v->v) v->ops->close(v->v);
    cq_vsim_stop(v->sim);
  }
  cq_net_loop_free(p->client_loop);
  atomic_store(&p->stop, true);
  for (size_t i = 0; i < PL_MAX_VENUES; i++) {
    pl_venue *v = &p->venues[i];
    cq_net_loop_free(v->sim_loop);
    cq_vsim_free(v->sim);
    for (size_t y = 0; y < PL_MAX_SYMBOLS; y++)
      for (int ch = 0; ch < PL_CHANNELS; ch++) {
        pl_sub *s = &p->subs[i][y][ch];
        if (!s->p) continue;
        if (s->started) pthread_join(s->th, NULL);
        if (s->c) cq_bus_consumer_close(s->c);
        cq_live_candles_close(s->lc);
        pthread_mutex_destroy(&s->mu);
      }
  }
  if (p->bus) cq_bus_close(p->bus);
  send_log *mine = p->log;
  if (mine) atomic_compare_exchange_strong(&g_send_log, &mine, NULL);
  free(p->log);
  free(p);
}
