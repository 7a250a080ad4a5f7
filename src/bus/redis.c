/* The Redis Streams bus: a topic is a stream, a group a consumer group, an event one entry
 * with its binary encoding in field "e". Delivery is at least once: an entry polled and not
 * acknowledged stays pending in the group and comes back, to the same consumer after a
 * restart (reading its pending list from "0") or to another one that claims it after
 * claim_min_idle_ms (XAUTOCLAIM). Consumers make that idempotent with cq_bus_dedup. */
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "cquant/bus.h"

enum { ID_MAX = 48, ACK_CHUNK = 256 };

typedef struct rbus {
  cq_bus base;
  cq_bus_redis_options opt;
  char host[256];
  cq_clock wall;
  pthread_mutex_t lock; /* the publishing connection */
  redisContext *pub;
  uint8_t *scratch; /* encodings of a pipelined batch */
  _Atomic uint64_t published, delivered, dropped;
} rbus;

typedef struct rcons {
  cq_bus_consumer base;
  redisContext *ctx;
  char topic[CQ_BUS_TOPIC_MAX];
  char group[CQ_BUS_NAME_MAX];
  char consumer[CQ_BUS_NAME_MAX];
  bool own_pending;        /* still reading this consumer's own pending entries */
  char own_cursor[ID_MAX]; /* the last of them read */
  cq_time last_claim;      /* steady time of the last XAUTOCLAIM */
  char claim_cursor[ID_MAX];
} rcons;

static int connect_to(rbus *b, redisContext **out, cq_error *err) {
  struct timeval tv = {b->opt.connect_timeout_ms / 1000,
                       (long)(b->opt.connect_timeout_ms % 1000) * 1000};
  redisContext *c = redisConnectWithTimeout(b->host, b->opt.port, tv);
  if (!c)
    return cq_error_set(err, CQ_ENOMEM, "Redis bus: connection to %s:%d", b->host, b->opt.port);
  if (c->err) {
    int rc = cq_error_set(err, CQ_ENET, "Redis bus: cannot connect to %s:%d: %s", b->host,
                          b->opt.port, c->errstr);
    redisFree(c);
    return rc;
  }
  *out = c;
  return 0;
}

/* A connection hiredis has marked broken is replaced before the next command; what was in
 * flight on it is the caller's error already. */
static int ensure_connected(rbus *b, redisContext **c, cq_error *err) {
  if (*c && !(*c)->err) return 0;
  redisContext *fresh = NULL;
  int rc = connect_to(b, &fresh, err);
  if (rc) return rc;
  if (*c) redisFree(*c);
  *c = fresh;
  return 0;
}

/* A reply that is not an error; CQ_ENET for a broken connection, CQ_EIO for an error reply. */
static int check_reply(redisContext *c, redisReply *r, const char *what, const char *topic,
                       cq_error *err) {
  if (!r)
    return cq_error_set(err, CQ_ENET, "Redis bus: %s on %s: %s", what, topic,
                        c->err ? c->errstr : "no reply");
  if (r->type == REDIS_REPLY_ERROR) {
    int rc = cq_error_set(err, CQ_EIO, "Redis bus: %s on %s: %s", what, topic, r->str);
    freeReplyObject(r);
    return rc;
  }
  return 0;
}

/* ---- publish --------------------------------------------------------------------------- */

static void xadd_args(rbus *b, const char *topic, const uint8_t *enc, size_t len, char *maxlen,
                      size_t maxlen_n, const char **argv, size_t *argvlen) {
  snprintf(maxlen, maxlen_n, "%" PRId64, b->opt.maxlen);
  const char *a[] = {"XADD", topic, "MAXLEN", "~", maxlen, "*", "e"};
  for (int i = 0; i < 7; i++) {
    argv[i] = a[i];
    argvlen[i] = strlen(a[i]);
  }
  argv[7] = (const char *)enc;
  argvlen[7] = len;
}

static int stamp_encode(rbus *b, const cq_bus_event *ev, uint8_t *buf, size_t *len, cq_error *err) {
  if (ev->publish_time) return cq_bus_encode(ev, buf, CQ_BUS_ENCODED_MAX, len, err);
  cq_bus_event e;
  memcpy(&e, ev, cq_bus_event_size(ev));
  e.publish_time = cq_clock_now(&b->wall);
  return cq_bus_encode(&e, buf, CQ_BUS_ENCODED_MAX, len, err);
}

static int rd_publish_batch(cq_bus *bb, const char *topic, const cq_bus_event *evs, size_t n,
                            cq_error *err) {
  rbus *b = (rbus *)bb;
  if (!topic || !topic[0] || strnlen(topic, CQ_BUS_TOPIC_MAX) >= CQ_BUS_TOPIC_MAX)
    return cq_error_set(err, CQ_EINVAL, "Redis bus: topic empty or over %d bytes",
                        CQ_BUS_TOPIC_MAX - 1);
  pthread_mutex_lock(&b->lock);
  int rc = ensure_connected(b, &b->pub, err);
  size_t sent = 0;
  /* In chunks that fit the scratch buffer: appended, then the replies read in order. */
  while (sent < n && rc == 0) {
    size_t k = n - sent < ACK_CHUNK ? n - sent : ACK_CHUNK;
    size_t appended = 0;
    for (size_t i = 0; i < k; i++) {
      uint8_t *enc = b->scratch + i * CQ_BUS_ENCODED_MAX;
      size_t len = 0;
      rc = stamp_encode(b, &evs[sent + i], enc, &len, err);
      if (rc) break;
      char maxlen[24];
      const char *argv[8];
      size_t argvlen[8];
      xadd_args(b, topic, enc, len, maxlen, sizeof maxlen, argv, argvlen);
      if (redisAppendCommandArgv(b->pub, 8, argv, argvlen) != REDIS_OK) {
        rc = cq_error_set(err, CQ_ENOMEM, "Redis bus: XADD on %s", topic);
        break;
      }
      appended++;
    }
    /* the replies of what was appended are read even after a failure, so the connection
     * stays in step */
    for (size_t i = 0; i < appended; i++) {
      redisReply *r = NULL;
      if (redisGetReply(b->pub, (void **)&r) != REDIS_OK) r = NULL;
      bool broken = r == NULL; /* no more replies will come on this connection */
      int rr = check_reply(b->pub, r, "XADD", topic, rc ? NULL : err);
      if (rr) {
        if (!rc) rc = rr;
        if (broken) break;
        continue;
      }
      freeReplyObject(r);
      atomic_fetch_add_explicit(&b->published, 1, memory_order_relaxed);
    }
    sent += k;
  }
  pthread_mutex_unlock(&b->lock);
  return rc;
}

static int rd_publish(cq_bus *bb, const char *topic, const cq_bus_event *ev, cq_error *err) {
  return rd_publish_batch(bb, topic, ev, 1, err);
}

/* ---- subscribe ------------------------------------------------------------------------- */

static bool name_ok(const char *s, size_t max) {
  return s && s[0] && strnlen(s, max) < max;
}

static int rd_subscribe(cq_bus *bb, const char *topic, const char *group, const char *consumer,
                        cq_bus_consumer **out, cq_error *err) {
  rbus *b = (rbus *)bb;
  if (!name_ok(topic, CQ_BUS_TOPIC_MAX))
    return cq_error_set(err, CQ_EINVAL, "Redis bus subscribe: topic empty or over %d bytes",
                        CQ_BUS_TOPIC_MAX - 1);
  if (!name_ok(group, CQ_BUS_NAME_MAX) || !name_ok(consumer, CQ_BUS_NAME_MAX))
    return cq_error_set(err, CQ_EINVAL,
                        "Redis bus subscribe to %s: group and consumer names must be 1..%d bytes",
                        topic, CQ_BUS_NAME_MAX - 1);
  rcons *c = calloc(1, sizeof *c);
  if (!c) return cq_error_set(err, CQ_ENOMEM, "Redis bus consumer of %s", topic);
  c->base.bus = bb;
  snprintf(c->topic, sizeof c->topic, "%s", topic);
  snprintf(c->group, sizeof c->group, "%s", group);
  snprintf(c->consumer, sizeof c->consumer, "%s", consumer);
  c->own_pending = true;
  snprintf(c->own_cursor, sizeof c->own_cursor, "0");
  snprintf(c->claim_cursor, sizeof c->claim_cursor, "0-0");
  int rc = connect_to(b, &c->ctx, err);
  if (rc) {
    free(c);
    return rc;
  }
  const char *argv[] = {"XGROUP", "CREATE", topic, group, "$", "MKSTREAM"};
  redisReply *r = redisCommandArgv(c->ctx, 6, argv, NULL);
  if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) == 0) {
    freeReplyObject(r); /* the group is there already */
  } else {
    rc = check_reply(c->ctx, r, "XGROUP CREATE", topic, err);
    if (rc) {
      redisFree(c->ctx);
      free(c);
      return rc;
    }
    freeReplyObject(r);
  }
  *out = &c->base;
  return 0;
}

/* ---- poll ------------------------------------------------------------------------------ */

static bool parse_id(const char *s, size_t n, cq_bus_tag *t) {
  uint64_t ms = 0, seq = 0;
  size_t i = 0;
  if (n == 0) return false;
  for (; i < n && s[i] != '-'; i++) {
    if (s[i] < '0' || s[i] > '9' || ms > (UINT64_MAX - 9) / 10) return false;
    ms = ms * 10 + (uint64_t)(s[i] - '0');
  }
  if (i == n || i == 0) return false;
  for (i++; i < n; i++) {
    if (s[i] < '0' || s[i] > '9' || seq > (UINT64_MAX - 9) / 10) return false;
    seq = seq * 10 + (uint64_t)(s[i] - '0');
  }
  t->ms = ms;
  t->seq = seq;
  return true;
}

static int ack_tags(rcons *c, const cq_bus_tag *tags, size_t n, cq_error *err);

/* Entries ([id, [field, value, ...]] each) into evs from *k on. Entries that are gone (nil
 * fields: trimmed by the length cap) or do not decode are acknowledged and counted. */
static int take_entries(rcons *c, const redisReply *arr, cq_bus_event *evs, cq_bus_tag *tags,
                        size_t max, size_t *k, cq_error *err) {
  rbus *b = (rbus *)c->base.bus;
  if (!arr || arr->type != REDIS_REPLY_ARRAY) return 0;
  for (size_t i = 0; i < arr->elements && *k < max; i++) {
    const redisReply *e = arr->element[i];
    cq_bus_tag tag;
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
        e->element[0]->type != REDIS_REPLY_STRING ||
        !parse_id(e->element[0]->str, e->element[0]->len, &tag))
      return cq_error_set(err, CQ_EPARSE, "Redis bus: an entry of %s without an id", c->topic);
    const redisReply *f = e->element[1];
    const redisReply *val = NULL;
    if (f->type == REDIS_REPLY_ARRAY)
      for (size_t j = 0; j + 1 < f->elements; j += 2)
        if (f->element[j]->type == REDIS_REPLY_STRING && f->element[j]->len == 1 &&
            f->element[j]->str[0] == 'e' && f->element[j + 1]->type == REDIS_REPLY_STRING)
          val = f->element[j + 1];
    if (!val || cq_bus_decode((const uint8_t *)val->str, val->len, &evs[*k], NULL) != 0) {
      int rc = ack_tags(c, &tag, 1, err);
      if (rc) return rc;
      atomic_fetch_add_explicit(&b->dropped, 1, memory_order_relaxed);
      continue;
    }
    if (tags) tags[*k] = tag;
    (*k)++;
  }
  return 0;
}

static int read_group(rcons *c, const char *from, int64_t block_ms, cq_bus_event *evs,
                      cq_bus_tag *tags, size_t max, size_t *k, size_t *entries, cq_error *err) {
  char count[24], block[24];
  snprintf(count, sizeof count, "%zu", max);
  const char *argv[12];
  int argc = 0;
  argv[argc++] = "XREADGROUP";
  argv[argc++] = "GROUP";
  argv[argc++] = c->group;
  argv[argc++] = c->consumer;
  argv[argc++] = "COUNT";
  argv[argc++] = count;
  if (block_ms >= 0) {
    snprintf(block, sizeof block, "%" PRId64, block_ms);
    argv[argc++] = "BLOCK";
    argv[argc++] = block;
  }
  argv[argc++] = "STREAMS";
  argv[argc++] = c->topic;
  argv[argc++] = from;
  redisReply *r = redisCommandArgv(c->ctx, argc, argv, NULL);
  int rc = check_reply(c->ctx, r, "XREADGROUP", c->topic, err);
  if (rc) return rc;
  *entries = 0;
  /* [[stream, [entries]]] or nil on timeout */
  if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 && r->element[0]->type == REDIS_REPLY_ARRAY &&
      r->element[0]->elements == 2) {
    const redisReply *arr = r->element[0]->element[1];
    if (arr->type == REDIS_REPLY_ARRAY) *entries = arr->elements;
    rc = take_entries(c, arr, evs, tags, max, k, err);
    if (from == c->own_cursor && *entries > 0) {
      const redisReply *last = arr->element[*entries - 1];
      if (last->type == REDIS_REPLY_ARRAY && last->elements > 0 &&
          last->element[0]->type == REDIS_REPLY_STRING)
        snprintf(c->own_cursor, sizeof c->own_cursor, "%.*s", (int)last->element[0]->len,
                 last->element[0]->str);
    }
  }
  freeReplyObject(r);
  return rc;
}

static int autoclaim(rcons *c, cq_bus_event *evs, cq_bus_tag *tags, size_t max, size_t *k,
                     cq_error *err) {
  rbus *b = (rbus *)c->base.bus;
  char idle[24], count[24];
  snprintf(idle, sizeof idle, "%" PRId64, b->opt.claim_min_idle_ms);
  snprintf(count, sizeof count, "%zu", max);
  const char *argv[] = {"XAUTOCLAIM", c->topic,        c->group, c->consumer,
                        idle,         c->claim_cursor, "COUNT",  count};
  redisReply *r = redisCommandArgv(c->ctx, 8, argv, NULL);
  int rc = check_reply(c->ctx, r, "XAUTOCLAIM", c->topic, err);
  if (rc) return rc;
  /* [next cursor, [entries], [deleted ids]] */
  if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
      r->element[0]->type == REDIS_REPLY_STRING) {
    snprintf(c->claim_cursor, sizeof c->claim_cursor, "%.*s", (int)r->element[0]->len,
             r->element[0]->str);
    rc = take_entries(c, r->element[1], evs, tags, max, k, err);
  }
  freeReplyObject(r);
  return rc;
}

static int rd_poll(cq_bus_consumer *cc, cq_bus_event *evs, cq_bus_tag *tags, size_t max, size_t *n,
                   int64_t timeout_ms, cq_error *err) {
  rcons *c = (rcons *)cc;
  rbus *b = (rbus *)cc->bus;
  *n = 0;
  if (max == 0) return 0;
  size_t k = 0, entries = 0;
  int rc = ensure_connected(b, &c->ctx, err);
  if (rc) return rc;
  /* 1. what this consumer had taken before (a restart under the same name), from where the
   * last read of that list stopped */
  while (c->own_pending && k == 0) {
    rc = read_group(c, c->own_cursor, -1, evs, tags, max, &k, &entries, err);
    if (rc) return rc;
    if (entries == 0) c->own_pending = false;
  }
  cq_time deadline = timeout_ms > 0 ? cq_clock_steady(&b->wall) + timeout_ms * 1000000 : 0;
  while (k == 0) {
    /* 2. entries another consumer took and left idle: claimed at most every half idle time,
     * the whole pending list swept before the cursor starts again */
    cq_time now = cq_clock_steady(&b->wall);
    if (b->opt.claim_min_idle_ms >= 0) {
      int64_t every = b->opt.claim_min_idle_ms / 2 * 1000000;
      if (strcmp(c->claim_cursor, "0-0") != 0 || now - c->last_claim >= every) {
        c->last_claim = now;
        rc = autoclaim(c, evs, tags, max, &k, err);
        if (rc) return rc;
        if (k) break;
      }
    }
    /* 3. new entries, waiting for them as asked but waking in time for the next claim */
    int64_t block = -1;            /* no BLOCK: do not wait */
    if (timeout_ms < 0) block = 0; /* BLOCK 0: until one comes */
    if (timeout_ms > 0) {
      block = (deadline - now) / 1000000;
      if (block < 1) block = 1;
    }
    if (block >= 0 && b->opt.claim_min_idle_ms >= 0) {
      int64_t cap = b->opt.claim_min_idle_ms / 2 > 1 ? b->opt.claim_min_idle_ms / 2 : 1;
      if (block == 0 || block > cap) block = cap;
    }
    rc = read_group(c, ">", block, evs, tags, max, &k, &entries, err);
    if (rc) return rc;
    if (timeout_ms == 0 || (timeout_ms > 0 && cq_clock_steady(&b->wall) >= deadline)) break;
  }
  atomic_fetch_add_explicit(&b->delivered, k, memory_order_relaxed);
  *n = k;
  return 0;
}

/* ---- ack, close ------------------------------------------------------------------------ */

static int ack_tags(rcons *c, const cq_bus_tag *tags, size_t n, cq_error *err) {
  size_t done = 0;
  while (done < n) {
    size_t k = n - done < ACK_CHUNK ? n - done : ACK_CHUNK;
    const char *argv[3 + ACK_CHUNK];
    char ids[ACK_CHUNK][ID_MAX];
    argv[0] = "XACK";
    argv[1] = c->topic;
    argv[2] = c->group;
    for (size_t i = 0; i < k; i++) {
      snprintf(ids[i], ID_MAX, "%" PRIu64 "-%" PRIu64, tags[done + i].ms, tags[done + i].seq);
      argv[3 + i] = ids[i];
    }
    redisReply *r = redisCommandArgv(c->ctx, (int)(3 + k), argv, NULL);
    int rc = check_reply(c->ctx, r, "XACK", c->topic, err);
    if (rc) return rc;
    freeReplyObject(r);
    done += k;
  }
  return 0;
}

static int rd_ack(cq_bus_consumer *cc, const cq_bus_tag *tags, size_t n, cq_error *err) {
  rcons *c = (rcons *)cc;
  int rc = ensure_connected((rbus *)cc->bus, &c->ctx, err);
  if (rc) return rc;
  return ack_tags(c, tags, n, err);
}

static void rd_consumer_close(cq_bus_consumer *cc) {
  rcons *c = (rcons *)cc;
  redisFree(c->ctx);
  free(c);
}

static void rd_stats(cq_bus *bb, cq_bus_stats *out) {
  rbus *b = (rbus *)bb;
  out->published = atomic_load(&b->published);
  out->delivered = atomic_load(&b->delivered);
  out->dropped = atomic_load(&b->dropped);
}

static void rd_close(cq_bus *bb) {
  rbus *b = (rbus *)bb;
  redisFree(b->pub);
  pthread_mutex_destroy(&b->lock);
  free(b->scratch);
  free(b);
}

static const cq_bus_ops redis_ops = {
    .name = "redis",
    .close = rd_close,
    .publish = rd_publish,
    .subscribe = rd_subscribe,
    .poll = rd_poll,
    .ack = rd_ack,
    .consumer_close = rd_consumer_close,
    .stats = rd_stats,
    .publish_batch = rd_publish_batch,
};

int cq_bus_redis_open(const cq_bus_redis_options *o, cq_bus **out, cq_error *err) {
  cq_bus_redis_options opt;
  cq_bus_redis_options_default(&opt);
  if (o) {
    if (o->host && o->host[0]) opt.host = o->host;
    if (o->port) opt.port = o->port;
    if (o->connect_timeout_ms > 0) opt.connect_timeout_ms = o->connect_timeout_ms;
    if (o->maxlen) opt.maxlen = o->maxlen;
    if (o->claim_min_idle_ms) opt.claim_min_idle_ms = o->claim_min_idle_ms;
  }
  if (opt.port < 1 || opt.port > 65535)
    return cq_error_set(err, CQ_EINVAL, "Redis bus: port %d out of 1..65535", opt.port);
  if (opt.maxlen < 1)
    return cq_error_set(err, CQ_EINVAL, "Redis bus: maxlen %" PRId64 " under 1", opt.maxlen);
  if (strlen(opt.host) >= 256)
    return cq_error_set(err, CQ_EINVAL, "Redis bus: host name over 255 bytes");
  rbus *b = calloc(1, sizeof *b);
  uint8_t *scratch = b ? malloc((size_t)ACK_CHUNK * CQ_BUS_ENCODED_MAX) : NULL;
  if (!scratch) {
    free(b);
    return cq_error_set(err, CQ_ENOMEM, "Redis bus");
  }
  if (pthread_mutex_init(&b->lock, NULL) != 0) {
    free(scratch);
    free(b);
    return cq_error_set(err, CQ_ENOMEM, "Redis bus: mutex");
  }
  b->base.ops = &redis_ops;
  b->scratch = scratch;
  b->opt = opt;
  snprintf(b->host, sizeof b->host, "%s", opt.host);
  b->opt.host = b->host;
  cq_clock_wall_init(&b->wall);
  int rc = connect_to(b, &b->pub, err);
  if (rc) {
    pthread_mutex_destroy(&b->lock);
    free(scratch);
    free(b);
    return rc;
  }
  *out = &b->base;
  return 0;
}
