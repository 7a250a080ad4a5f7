/* Shared between the kernel's files. */
#ifndef CQ_ENGINE_INTERNAL_H
#define CQ_ENGINE_INTERNAL_H

#include "cquant/kernel.h"

/* The orders of a run, ids 1..n, in pages so an order never moves while it works. */
typedef struct cq__oms {
  cq_order **pages;
  size_t n_pages, cap_pages;
  uint64_t n;          /* orders created */
  uint64_t first_open; /* no order below this id is still working */
} cq__oms;

void cq__oms_release(cq__oms *oms);
/* A new order in state NEW with the next id and client id "<strategy name>-<id>". */
CQ_NODISCARD int cq__oms_create(cq__oms *oms, const char *strategy_name, int strategy,
                                cq_order **out, cq_error *err);
cq_order *cq__oms_get(const cq__oms *oms, uint64_t id);
/* Moves first_open past finished orders. */
void cq__oms_advance(cq__oms *oms);

#endif
