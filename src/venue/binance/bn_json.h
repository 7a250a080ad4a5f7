/* Reading Binance JSON with jansson: typed field getters that name the path of the field
 * at fault, shared by the REST and stream decoders. They are the venue-neutral getters of
 * vjson.h under Binance's names, with "binance" as the venue of every message. */
#ifndef CQ_VENUE_BN_JSON_H
#define CQ_VENUE_BN_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "binance.h"
#include "vjson.h"

enum { CQ__BN_PATH_MAX = CQ__VJ_PATH_MAX };

/* CQ_EPARSE at path ("binance: <path>: <message>"), err->field = path. */
int cq__bn_perr(cq_error *err, const char *path, const char *fmt, ...) CQ_PRINTF(3, 4);
/* path of key inside base ("base.key", or "key" when base is ""). */
void cq__bn_path(char *out, const char *base, const char *key);
/* path of element i inside base ("base[i]"). */
void cq__bn_pathi(char *out, const char *base, size_t i);

/* The document; CQ_EPARSE with line and column when it is not JSON. */
int cq__bn_load(const char *s, size_t n, json_t **out, cq_error *err);

/* Required fields of obj (at path base). */
int cq__bn_obj(json_t *j, const char *path, cq_error *err);
int cq__bn_arr(json_t *j, const char *path, cq_error *err);
int cq__bn_dec(json_t *obj, const char *base, const char *key, cq_dec *out, cq_error *err);
int cq__bn_dec_v(json_t *v, const char *path, cq_dec *out, cq_error *err);
int cq__bn_i64(json_t *obj, const char *base, const char *key, int64_t *out, cq_error *err);
int cq__bn_i64_v(json_t *v, const char *path, int64_t *out, cq_error *err);
int cq__bn_time(json_t *obj, const char *base, const char *key, cq_time *out, cq_error *err);
int cq__bn_ms_to_time(int64_t ms, const char *path, cq_time *out, cq_error *err);
int cq__bn_bool(json_t *obj, const char *base, const char *key, bool *out, cq_error *err);
int cq__bn_str(json_t *obj, const char *base, const char *key, char *buf, size_t cap,
               cq_error *err);
/* The same, absent (or null) allowed: the value is left as it was and *present is false. */
int cq__bn_dec_opt(json_t *obj, const char *base, const char *key, cq_dec *out, cq_error *err);
int cq__bn_i64_opt(json_t *obj, const char *base, const char *key, int64_t *out, cq_error *err);
int cq__bn_str_opt(json_t *obj, const char *base, const char *key, char *buf, size_t cap,
                   cq_error *err);
/* An integer id (or a string) as text. */
int cq__bn_id(json_t *obj, const char *base, const char *key, char *buf, size_t cap, cq_error *err);

/* Unified symbol of native (kept as is when unknown). */
void cq__bn_unify(const cq_bn_symbols *syms, const char *native, char out[CQ_SYMBOL_MAX]);

/* Fills o from a Binance order object (REST and execution reports share the meaning,
 * not the names: REST only). */
int cq__bn_order_obj(json_t *o, const char *path, const cq_bn_symbols *syms, cq_venue_order *out,
                     cq_error *err);

#endif
