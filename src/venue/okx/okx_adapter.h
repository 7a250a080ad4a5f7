/* The OKX spot adapter's private state, shared by its REST part (adapter.c) and its
 * streams (feed.c). */
#ifndef CQ_VENUE_OKX_ADAPTER_H
#define CQ_VENUE_OKX_ADAPTER_H

#include "cquant/venue.h"
#include "vrest.h"

typedef struct okx_venue {
  cq_venue base;
  vr_core core;
  char ws_url[VR_URL_MAX]; /* /ws/v5/public, /business, /private are appended */
  cq_ws_options ws;        /* template for stream connections */
  cq_net_loop *loop;       /* NULL: no streams */
} okx_venue;

int cq__okx_subscribe(cq_venue *v, const cq_venue_sub *subs, size_t n, const cq_venue_handler *h,
                      cq_venue_stream **out, cq_verror *ve);
void cq__okx_unsubscribe(cq_venue_stream *s);

#endif
