/* The recorder: trades and closed candles from the bus into the store, one transaction per
 * batch with the offsets of the topics it advanced, acknowledged after the commit. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cquant/capture.h"

enum { POLL_MAX = 512 };

typedef enum topic_kind { TK_TRADES, TK_CANDLES } topic_kind;

typedef struct rec_topic {
  cq_topic_name name;
  topic_kind kind;
  cq_timeframe tf;
  cq_bus_consumer *cons;
  uint64_t last_id, applied;        /* committed */
  uint64_t pend_last, pend_applied; /* in the open batch */
  bool dirty;                       /* the batch advanced this topic */
  char venue[CQ_VENUE_MAX], symbol[CQ_SYMBOL_MAX];
  cq_trades trades; /* batch rows */
  cq_candles candles;
  cq_bus_tag *tags; /* polled, to acknowledge after the commit */
  size_t ntags, captags;
} rec_topic;

struct cq_recorder {
  cq_recorder_opts o;
  char group[CQ_BUS_NAME_MAX], consumer[CQ_BUS_NAME_MAX];
  rec_topic *t;
  size_t nt;
  cq_bus_event *evs;
  cq_bus_tag *tags;
  size_t pending;   /* events in the open batch (applied or duplicate) */
  int64_t first_ms; /* when the open batch got its first event (monotonic) */
  cq_recorder_stats st;
};

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "md.V.S.trades" or "md.V.S.candles.TF". */
static int topic_parse(rec_topic *t, cq_error *err) {
  const char *p = strrchr(t->name, '.');
  if (p && !strcmp(p, ".trades")) {
    t->kind = TK_TRADES;
    return CQ_OK;
  }
  const char *c = strstr(t->name, ".candles.");
  if (c && !strchr(c + 9, '.')) {
    t->kind = TK_CANDLES;
    return cq_timeframe_parse(c + 9, &t->tf, err);
  }
  return cq_error_set(err, CQ_EINVAL,
                      "recorder: topic '%s' is neither a trades nor a candles topic", t->name);
}

int cq_recorder_open(const cq_recorder_opts *o, cq_recorder **out, cq_error *err) {
  if (!o || !out || !o->bus || !o->store)
    return cq_error_set(err, CQ_EINVAL, "recorder: a bus and a store are required");
  *out = NULL;
  if (!o->topics || !o->ntopics) return cq_error_set(err, CQ_EINVAL, "recorder: no topics");
  cq_recorder *r = calloc(1, sizeof *r);
  if (!r) return cq_error_set(err, CQ_ENOMEM, "recorder: out of memory");
  r->o = *o;
  if (!r->o.batch_max) r->o.batch_max = 5000;
  if (!r->o.batch_ms) r->o.batch_ms = 200;
  snprintf(r->group, sizeof r->group, "%s", o->group ? o->group : "recorder");
  snprintf(r->consumer, sizeof r->consumer, "%s", o->consumer ? o->consumer : "recorder-1");
  r->t = calloc(o->ntopics, sizeof *r->t);
  r->evs = calloc(POLL_MAX, sizeof *r->evs);
  r->tags = calloc(POLL_MAX, sizeof *r->tags);
  if (!r->t || !r->evs || !r->tags) {
    cq_recorder_close(r);
    return cq_error_set(err, CQ_ENOMEM, "recorder: out of memory");
  }
  int rc = CQ_OK;
  for (size_t i = 0; !rc && i < o->ntopics; i++) {
    rec_topic *t = &r->t[i];
    memcpy(t->name, o->topics[i], sizeof t->name);
    t->name[sizeof t->name - 1] = 0;
    cq_trades_init(&t->trades, 0);
    cq_candles_init(&t->candles, 0);
    r->nt = i + 1;
    rc = topic_parse(t, err);
  }
  cq_stream_offset *off = NULL;
  size_t noff = 0;
  if (!rc) rc = cq_store_get_offsets(o->store, r->consumer, &off, &noff, err);
  for (size_t i = 0; !rc && i < noff; i++)
    for (size_t k = 0; k < r->nt; k++)
      if (!strcmp(off[i].topic, r->t[k].name)) {
        r->t[k].last_id = off[i].last_id;
        r->t[k].applied = off[i].applied;
      }
  free(off);
  for (size_t i = 0; !rc && i < r->nt; i++) {
    rec_topic *t = &r->t[i];
    t->pend_last = t->last_id;
    rc = cq_bus_subscribe(o->bus, t->name, r->group, r->consumer, &t->cons, err);
  }
  if (rc) {
    cq_recorder_close(r);
    return rc;
  }
  *out = r;
  return CQ_OK;
}

static int keep_tag(rec_topic *t, const cq_bus_tag *tag, cq_error *err) {
  if (t->ntags == t->captags) {
    size_t nc = t->captags ? t->captags * 2 : 256;
    cq_bus_tag *n = realloc(t->tags, nc * sizeof *n);
    if (!n) return cq_error_set(err, CQ_ENOMEM, "recorder: out of memory");
    t->tags = n;
    t->captags = nc;
  }
  t->tags[t->ntags++] = *tag;
  return CQ_OK;
}

/* One polled event into the open batch: applied (its row kept) or a duplicate (only its
 * tag kept). */
static int take(cq_recorder *r, rec_topic *t, const cq_bus_event *ev, const cq_bus_tag *tag,
                cq_error *err) {
  int rc = keep_tag(t, tag, err);
  if (rc) return rc;
  r->pending++;
  if (ev->id <= t->pend_last) {
    r->st.duplicates++;
    return CQ_OK;
  }
  if (t->kind == TK_TRADES && ev->kind == CQ_VEV_TRADE) {
    rc = cq_trades_push(&t->trades, &ev->u.trade);
  } else if (t->kind == TK_CANDLES && ev->kind == CQ_VEV_KLINE) {
    if (ev->u.kline.candle.closed) rc = cq_candles_push(&t->candles, &ev->u.kline.candle);
  } /* other kinds on these topics are not stored, but still applied */
  if (rc) return cq_error_set(err, rc, "recorder: out of memory");
  if (!t->venue[0]) {
    snprintf(t->venue, sizeof t->venue, "%s", ev->venue);
    snprintf(t->symbol, sizeof t->symbol, "%s", ev->symbol);
  }
  t->pend_last = ev->id;
  t->pend_applied++;
  t->dirty = true;
  return CQ_OK;
}

static void batch_reset(cq_recorder *r) {
  for (size_t i = 0; i < r->nt; i++) {
    rec_topic *t = &r->t[i];
    cq_trades_clear(&t->trades);
    cq_candles_clear(&t->candles);
    t->ntags = 0;
    t->pend_last = t->last_id;
    t->pend_applied = 0;
    t->dirty = false;
  }
  r->pending = 0;
}

/* Writes the batch in one transaction, then acknowledges it. */
static int commit(cq_recorder *r, cq_error *err) {
  if (!r->pending) return CQ_OK;
  cq_store *s = r->o.store;
  cq_stream_offset *off = calloc(r->nt, sizeof *off);
  if (!off) return cq_error_set(err, CQ_ENOMEM, "recorder: out of memory");
  size_t noff = 0;
  uint64_t trades = 0, candles = 0;
  int rc = cq_store_begin(s, err);
  for (size_t i = 0; !rc && i < r->nt; i++) {
    rec_topic *t = &r->t[i];
    if (!t->dirty) continue;
    if (t->trades.len) {
      rc = cq_store_put_trades(s, t->venue, t->symbol, &t->trades, NULL, err);
      trades += t->trades.len;
    }
    if (!rc && t->candles.len) {
      cq_series_key key;
      memset(&key, 0, sizeof key);
      snprintf(key.venue, sizeof key.venue, "%s", t->venue);
      snprintf(key.symbol, sizeof key.symbol, "%s", t->symbol);
      key.tf = t->tf;
      rc = cq_store_put_candles(s, &key, &t->candles, 0, t->candles.len, NULL, err);
      candles += t->candles.len;
    }
    memcpy(off[noff].topic, t->name, sizeof off[noff].topic);
    off[noff].last_id = t->pend_last;
    off[noff].applied = t->applied + t->pend_applied;
    noff++;
  }
  if (!rc && noff) rc = cq_store_put_offsets(s, r->consumer, off, noff, err);
  if (!rc) rc = cq_store_commit(s, err);
  free(off);
  if (rc) {
    cq_error ignore;
    (void)cq_store_rollback(s, &ignore);
    batch_reset(r);
    return rc;
  }
  r->st.batches++;
  r->st.trades += trades;
  r->st.candles += candles;
  r->st.last_commit = (cq_time)mono_ms() * CQ_NS_PER_MS;
  for (size_t i = 0; i < r->nt; i++) {
    rec_topic *t = &r->t[i];
    r->st.applied += t->pend_applied;
    t->last_id = t->pend_last;
    t->applied += t->pend_applied;
    /* acknowledged after the commit: a crash before this redelivers events the offsets
     * already cover, which are then skipped */
    if (t->ntags && (rc = cq_bus_ack(t->cons, t->tags, t->ntags, err))) break;
  }
  batch_reset(r);
  return rc;
}

int cq_recorder_step(cq_recorder *r, int timeout_ms, size_t *got, cq_error *err) {
  size_t total = 0;
  for (size_t i = 0; i < r->nt; i++) {
    rec_topic *t = &r->t[i];
    size_t n = 0;
    int rc = cq_bus_poll(t->cons, r->evs, r->tags, POLL_MAX, &n, 0, err);
    if (rc) return rc;
    if (n && !r->pending) r->first_ms = mono_ms();
    for (size_t k = 0; k < n; k++)
      if ((rc = take(r, t, &r->evs[k], &r->tags[k], err))) return rc;
    total += n;
    r->st.polled += n;
    if (r->pending >= r->o.batch_max && (rc = commit(r, err))) return rc;
  }
  if (got) *got = total;
  if (r->pending && mono_ms() - r->first_ms >= r->o.batch_ms) {
    int rc = commit(r, err);
    if (rc) return rc;
  }
  if (!total && timeout_ms > 0) {
    int64_t ms = timeout_ms < 5 ? timeout_ms : 5;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000L};
    nanosleep(&ts, NULL);
  }
  return CQ_OK;
}

int cq_recorder_flush(cq_recorder *r, cq_error *err) {
  return commit(r, err);
}

void cq_recorder_stats_get(const cq_recorder *r, cq_recorder_stats *out) {
  *out = r->st;
}

void cq_recorder_close(cq_recorder *r) {
  if (!r) return;
  for (size_t i = 0; r->t && i < r->nt; i++) {
    rec_topic *t = &r->t[i];
    if (t->cons) cq_bus_consumer_close(t->cons);
    cq_trades_release(&t->trades);
    cq_candles_release(&t->candles);
    free(t->tags);
  }
  free(r->t);
  free(r->evs);
  free(r->tags);
  free(r);
}
