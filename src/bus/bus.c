/* The bus interface: dispatch through the backend's operations table, topics, options. */
#include <stdio.h>
#include <string.h>

#include "cquant/bus.h"

void cq_bus_options_default(cq_bus_options *o) {
  memset(o, 0, sizeof *o);
  o->ring_size = 4096;
  o->max_subs = 64;
  o->on_full = CQ_BUS_FULL_DROP;
}

int cq_bus_publish(cq_bus *b, const char *topic, const cq_bus_event *ev, cq_error *err) {
  return b->ops->publish(b, topic, ev, err);
}

int cq_bus_publish_batch(cq_bus *b, const char *topic, const cq_bus_event *evs, size_t n,
                         cq_error *err) {
  if (b->ops->publish_batch) return b->ops->publish_batch(b, topic, evs, n, err);
  for (size_t i = 0; i < n; i++) {
    int rc = b->ops->publish(b, topic, &evs[i], err);
    if (rc) return rc;
  }
  return 0;
}

void cq_bus_redis_options_default(cq_bus_redis_options *o) {
  memset(o, 0, sizeof *o);
  o->host = "127.0.0.1";
  o->port = 6379;
  o->connect_timeout_ms = 2000;
  o->maxlen = 1000000;
  o->claim_min_idle_ms = 30000;
}

#ifndef CQ_HAVE_REDIS
int cq_bus_redis_open(const cq_bus_redis_options *o, cq_bus **out, cq_error *err) {
  (void)o;
  (void)out;
  return cq_error_set(err, CQ_EUNSUPPORTED,
                      "Redis bus: this build has no hiredis (install libhiredis-dev)");
}
#endif

int cq_bus_subscribe(cq_bus *b, const char *topic, const char *group, const char *consumer,
                     cq_bus_consumer **out, cq_error *err) {
  return b->ops->subscribe(b, topic, group, consumer, out, err);
}

int cq_bus_poll(cq_bus_consumer *c, cq_bus_event *evs, cq_bus_tag *tags, size_t max, size_t *n,
                int64_t timeout_ms, cq_error *err) {
  return c->bus->ops->poll(c, evs, tags, max, n, timeout_ms, err);
}

int cq_bus_ack(cq_bus_consumer *c, const cq_bus_tag *tags, size_t n, cq_error *err) {
  return c->bus->ops->ack(c, tags, n, err);
}

void cq_bus_consumer_close(cq_bus_consumer *c) {
  if (c) c->bus->ops->consumer_close(c);
}

void cq_bus_close(cq_bus *b) {
  if (b) b->ops->close(b);
}

void cq_bus_stats_get(cq_bus *b, cq_bus_stats *out) {
  memset(out, 0, sizeof *out);
  b->ops->stats(b, out);
}

int cq_bus_topic(char *buf, size_t n, const char *venue, const char *symbol, const char *channel,
                 cq_error *err) {
  int w = snprintf(buf, n, "md.%s.%s.%s", venue, symbol, channel);
  if (w < 0 || (size_t)w >= n)
    return cq_error_set(err, CQ_ELIMIT, "bus topic md.%s.%s.%s: longer than %zu bytes", venue,
                        symbol, channel, n ? n - 1 : 0);
  return 0;
}
