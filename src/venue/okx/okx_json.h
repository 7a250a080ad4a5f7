/* The OKX codec's internal helpers, shared by the REST and stream decoders. */
#ifndef CQ_VENUE_OKX_JSON_H
#define CQ_VENUE_OKX_JSON_H

#include "okx.h"
#include "vjson.h"

#define OKX "okx"
/* The items' path when the answer was one bare item. */
#define BARE "(item)"

/* The items of an answer: the envelope's data, a bare array, or one bare item wrapped in an
 * array (*items is a new reference; *path "data", "" or BARE). A non-zero envelope
 * code is CQ_EREJECTED. */
int cq__okx_items(const char *s, size_t n, json_t **doc, json_t **items, const char **path,
                  cq_error *err);
/* The path of item i of base ("data[0]"; "" for a bare item). */
void cq__okx_ipath(char *out, const char *base, size_t i);
/* CQ_EUNSUPPORTED when item has an instType other than SPOT. */
int cq__okx_spot_only(json_t *item, const char *path, cq_error *err);
int cq__okx_side(const char *s, const char *p, cq_side *out, cq_error *err);
int cq__okx_candle_row(json_t *row, const char *p, cq_candle *k, cq_error *err);
int cq__okx_trade(json_t *o, const char *p, cq_trade *t, char inst_id[CQ_SYMBOL_MAX],
                  cq_error *err);
int cq__okx_levels(json_t *o, const char *p, const char *key, cq_side side, cq_vbook_msg *m,
                   cq_error *err);
int cq__okx_book_item(json_t *o, const char *p, cq_vbook_msg *m, cq_error *err);
int cq__okx_ticker(json_t *o, const char *p, char native[CQ_SYMBOL_MAX], cq_ticker *t,
                   cq_error *err);
int cq__okx_balance(json_t *o, const char *p, cq_balance *b, cq_error *err);
int cq__okx_balances_of(json_t *items, const char *base, cq_balance **out, size_t *count,
                        cq_error *err);
int cq__okx_ord_type(const char *s, const char *p, cq_order_type *type, cq_tif *tif, cq_error *err);
int cq__okx_state(const char *s, const char *p, cq_tif tif, bool part_unfilled, cq_order_state *out,
                  cq_error *err);
int cq__okx_order(json_t *o, const char *p, cq_venue_order *ord, cq_error *err);
int cq__okx_fee(json_t *o, const char *p, const char *key, cq_dec *fee, cq_error *err);
int cq__okx_fill(json_t *o, const char *p, cq_venue_fill *f, cq_error *err);

#endif
