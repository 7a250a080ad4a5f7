/* Binance spot streams (placeholder until the stream part lands). */
#include "adapter.h"

int cq__bn_subscribe(cq_venue *v, const cq_venue_sub *subs, size_t n, const cq_venue_handler *h,
                     cq_venue_stream **out, cq_verror *ve) {
  (void)v;
  (void)subs;
  (void)n;
  (void)h;
  *out = NULL;
  return cq__bn_fail(ve, CQ_VERR_UNSUPPORTED, 0, 0, "streams are not available yet");
}

void cq__bn_unsubscribe(cq_venue_stream *s) { (void)s; }
