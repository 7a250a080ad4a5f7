/* The Bybit spot adapter's private state, shared by its REST part (adapter.c) and its
 * streams (feed.c). */
#ifndef CQ_VENUE_BYBIT_ADAPTER_H
#define CQ_VENUE_BYBIT_ADAPTER_H

#include <pthread.h>

#include "binance.h"
#include "cquant/venue.h"
#include "vrest.h"

typedef struct bybit_venue {
  cq_venue base;
  vr_core core;
  char ws_url[VR_URL_MAX]; /* /v5/public/spot and /v5/private are appended */
  cq_ws_options ws;        /* template for stream connections */
  cq_net_loop *loop;       /* NULL: no streams */
  pthread_mutex_t mu;      /* guards syms */
  cq_bn_symbols *syms;     /* set once, then read-only */
} bybit_venue;

/* The symbol map (NULL until the instruments were read). */
const cq_bn_symbols *cq__bybit_syms(bybit_venue *v);
/* Reads the instruments once, for the symbol map. */
CQ_NODISCARD int cq__bybit_load_symbols(bybit_venue *v, cq_verror *ve);

int cq__bybit_subscribe(cq_venue *v, const cq_venue_sub *subs, size_t n, const cq_venue_handler *h,
                        cq_venue_stream **out, cq_verror *ve);
void cq__bybit_unsubscribe(cq_venue_stream *s);

#endif
