/* The Bybit codec's internal helpers, shared by the REST and stream decoders. */
#ifndef CQ_VENUE_BY_JSON_H
#define CQ_VENUE_BY_JSON_H

#include "bybit.h"
#include "vjson.h"

#define BYBIT "bybit"

/* CQ_EUNSUPPORTED when o's category is inverse or option. */
int cq__by_category(json_t *o, const char *path, cq_error *err);
int cq__by_side(json_t *o, const char *p, const char *key, cq_side *out, cq_error *err);
void cq__by_unify(const cq_bn_symbols *syms, const char *native, char out[CQ_SYMBOL_MAX]);
int cq__by_levels(json_t *o, const char *p, const char *key, cq_side side, cq_vbook_msg *m,
                  cq_error *err);
int cq__by_ticker(json_t *o, const char *p, char native[CQ_SYMBOL_MAX], cq_ticker *t,
                  cq_error *err);
int cq__by_coins(json_t *list, const char *base, cq_balance **out, size_t *count, cq_error *err);
int cq__by_order(json_t *o, const char *p, const cq_bn_symbols *syms, cq_venue_order *ord,
                 cq_error *err);
int cq__by_fill(json_t *o, const char *p, const cq_bn_symbols *syms, cq_venue_fill *f,
                cq_error *err);

#endif
