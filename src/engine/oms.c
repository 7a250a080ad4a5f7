/* The order book of a run: creation with stable ids and client ids, and every state change
 * through the one transition table, refusals logged. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/core/log.h"
#include "engine_internal.h"

enum { PAGE = 256 };

int cq_order_apply(cq_order *o, cq_order_event ev, cq_log *log, cq_error *err) {
  cq_order_state next;
  cq_error local;
  int rc = cq_order_transition(o->state, ev, &next, &local);
  if (rc) {
    if (log)
      CQ_LOG(log, CQ_LOG_ERROR, "order transition refused", CQ_F_STR("client_id", o->client_id),
             CQ_F_STR("type", cq_order_type_name(o->type)),
             CQ_F_STR("state", cq_order_state_name(o->state)),
             CQ_F_STR("event", cq_order_event_name(ev)));
    return cq_error_set(err, rc, "order %s (%s, %s): %s", o->client_id, cq_order_type_name(o->type),
                        cq_order_state_name(o->state), local.msg);
  }
  o->state = next;
  return CQ_OK;
}

void cq__oms_release(cq__oms *oms) {
  for (size_t i = 0; i < oms->n_pages; i++) free(oms->pages[i]);
  free(oms->pages);
  memset(oms, 0, sizeof *oms);
}

cq_order *cq__oms_get(const cq__oms *oms, uint64_t id) {
  if (id == 0 || id > oms->n) return NULL;
  return &oms->pages[(id - 1) / PAGE][(id - 1) % PAGE];
}

static int add_page(cq__oms *oms, cq_error *err) {
  if (oms->n_pages == oms->cap_pages) {
    size_t cap = oms->cap_pages ? oms->cap_pages * 2 : 8;
    cq_order **p = realloc(oms->pages, cap * sizeof(cq_order *));
    if (!p) return cq_error_set(err, CQ_ENOMEM, "orders: no memory for the page table");
    oms->pages = p;
    oms->cap_pages = cap;
  }
  cq_order *page = calloc(PAGE, sizeof *page);
  if (!page) return cq_error_set(err, CQ_ENOMEM, "orders: no memory for %d orders", PAGE);
  oms->pages[oms->n_pages++] = page;
  return CQ_OK;
}

int cq__oms_create(cq__oms *oms, const char *strategy_name, int strategy, cq_order **out,
                   cq_error *err) {
  if (oms->n == (uint64_t)oms->n_pages * PAGE) {
    int rc = add_page(oms, err);
    if (rc) return rc;
  }
  uint64_t id = ++oms->n;
  cq_order *o = cq__oms_get(oms, id);
  memset(o, 0, sizeof *o);
  o->id = id;
  o->strategy = strategy;
  o->state = CQ_OS_NEW;
  int w = snprintf(o->client_id, sizeof o->client_id, "%s-%" PRIu64, strategy_name, id);
  if (w < 0 || (size_t)w >= sizeof o->client_id) {
    oms->n--;
    return cq_error_set(err, CQ_ELIMIT, "orders: client id for strategy %s is too long",
                        strategy_name);
  }
  if (oms->first_open == 0) oms->first_open = 1;
  *out = o;
  return CQ_OK;
}

void cq__oms_advance(cq__oms *oms) {
  while (oms->first_open && oms->first_open <= oms->n &&
         cq_order_state_terminal(cq__oms_get(oms, oms->first_open)->state))
    oms->first_open++;
}
