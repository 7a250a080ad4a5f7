/* Venue stream events into bus events. */
#include <string.h>

#include "cquant/bus.h"

int cq_bus_event_from_venue(const cq_venue_event *ve, uint64_t id, cq_bus_event *out,
                            cq_error *err) {
  if (id == 0) return cq_error_set(err, CQ_EINVAL, "bus event: id 0 (ids start at 1)");
  if ((unsigned)ve->kind > (unsigned)CQ_VEV_TICKER)
    return cq_error_set(err, CQ_EINVAL, "bus event: unknown venue event kind %d", (int)ve->kind);
  if (ve->kind == CQ_VEV_BOOK && !ve->u.book)
    return cq_error_set(err, CQ_EINVAL, "bus event: a %s book event without its book", ve->venue);
  cq_bus_event e;
  memset(&e, 0, offsetof(cq_bus_event, u));
  e.kind = ve->kind;
  memcpy(e.venue, ve->venue, sizeof e.venue);
  e.venue[sizeof e.venue - 1] = '\0';
  memcpy(e.symbol, ve->symbol, sizeof e.symbol);
  e.symbol[sizeof e.symbol - 1] = '\0';
  e.id = id;
  e.event_time = ve->event_time;
  e.recv_time = ve->recv_time;
  switch (ve->kind) {
    case CQ_VEV_TRADE:
      e.u.trade = ve->u.trade;
      break;
    case CQ_VEV_QUOTE:
      e.u.quote = ve->u.quote;
      break;
    case CQ_VEV_KLINE:
      e.u.kline.tf = ve->u.kline.tf;
      e.u.kline.candle = ve->u.kline.candle;
      break;
    case CQ_VEV_BOOK: {
      const cq_l2book *b = ve->u.book;
      cq_bus_book *o = &e.u.book;
      memset(o, 0, sizeof *o);
      o->seq = cq_l2book_seq(b);
      uint32_t i = 0;
      while (i < CQ_BUS_BOOK_LEVELS &&
             cq_l2book_level(b, CQ_SIDE_BUY, i, &o->bid_px[i], &o->bid_qty[i]))
        i++;
      o->nbids = i;
      i = 0;
      while (i < CQ_BUS_BOOK_LEVELS &&
             cq_l2book_level(b, CQ_SIDE_SELL, i, &o->ask_px[i], &o->ask_qty[i]))
        i++;
      o->nasks = i;
      break;
    }
    case CQ_VEV_ORDER:
      e.u.order.order = ve->u.order.order;
      e.u.order.has_fill = ve->u.order.has_fill;
      if (ve->u.order.has_fill)
        e.u.order.fill = ve->u.order.fill;
      else
        memset(&e.u.order.fill, 0, sizeof e.u.order.fill);
      break;
    case CQ_VEV_BALANCE:
      e.u.balance = ve->u.balance;
      break;
    case CQ_VEV_STATUS:
      e.u.status.status = ve->u.status.status;
      memcpy(e.u.status.detail, ve->u.status.detail, sizeof e.u.status.detail);
      e.u.status.detail[sizeof e.u.status.detail - 1] = '\0';
      break;
    case CQ_VEV_TICKER:
      e.u.ticker = ve->u.ticker;
      break;
  }
  memcpy(out, &e, cq_bus_event_size(&e));
  return 0;
}
