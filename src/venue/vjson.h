/* Reading venue JSON with jansson: typed field getters that name the path of the field at
 * fault, shared by the venue codecs (Binance, OKX, Bybit). venue ("okx") prefixes every
 * message. */
#ifndef CQ_VENUE_VJSON_H
#define CQ_VENUE_VJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cquant/core.h"

enum { CQ__VJ_PATH_MAX = 96 };

/* CQ_EPARSE at path ("<venue>: <path>: <message>"), err->field = path. */
int cq__vj_perr(const char *venue, cq_error *err, const char *path, const char *fmt, ...)
    CQ_PRINTF(4, 5);
/* path of key inside base ("base.key", or "key" when base is ""). */
void cq__vj_path(char *out, const char *base, const char *key);
/* path of element i inside base ("base[i]"). */
void cq__vj_pathi(char *out, const char *base, size_t i);

/* The document; CQ_EPARSE with line and column when it is not JSON. */
int cq__vj_load(const char *venue, const char *s, size_t n, json_t **out, cq_error *err);

/* Required fields of obj (at path base). */
int cq__vj_obj(const char *venue, json_t *j, const char *path, cq_error *err);
int cq__vj_arr(const char *venue, json_t *j, const char *path, cq_error *err);
int cq__vj_dec(const char *venue, json_t *obj, const char *base, const char *key, cq_dec *out,
               cq_error *err);
int cq__vj_dec_v(const char *venue, json_t *v, const char *path, cq_dec *out, cq_error *err);
int cq__vj_i64(const char *venue, json_t *obj, const char *base, const char *key, int64_t *out,
               cq_error *err);
int cq__vj_i64_v(const char *venue, json_t *v, const char *path, int64_t *out, cq_error *err);
int cq__vj_time(const char *venue, json_t *obj, const char *base, const char *key, cq_time *out,
                cq_error *err);
int cq__vj_ms_to_time(const char *venue, int64_t ms, const char *path, cq_time *out, cq_error *err);
int cq__vj_bool(const char *venue, json_t *obj, const char *base, const char *key, bool *out,
                cq_error *err);
int cq__vj_str(const char *venue, json_t *obj, const char *base, const char *key, char *buf,
               size_t cap, cq_error *err);
/* The same, absent (or null) allowed: the value is left as it was. */
int cq__vj_dec_opt(const char *venue, json_t *obj, const char *base, const char *key, cq_dec *out,
                   cq_error *err);
int cq__vj_i64_opt(const char *venue, json_t *obj, const char *base, const char *key, int64_t *out,
                   cq_error *err);
int cq__vj_str_opt(const char *venue, json_t *obj, const char *base, const char *key, char *buf,
                   size_t cap, cq_error *err);
/* An integer id (or a string) as text. */
int cq__vj_id(const char *venue, json_t *obj, const char *base, const char *key, char *buf,
              size_t cap, cq_error *err);

/* Integers given as JSON integers or as decimal strings ("1597026383085"). */
int cq__vj_i64s_v(const char *venue, json_t *v, const char *path, int64_t *out, cq_error *err);
int cq__vj_i64s(const char *venue, json_t *obj, const char *base, const char *key, int64_t *out,
                cq_error *err);
/* Milliseconds since the epoch, integer or string. */
int cq__vj_times(const char *venue, json_t *obj, const char *base, const char *key, cq_time *out,
                 cq_error *err);
/* Optional forms where "" also means absent (OKX and Bybit leave unused fields ""). */
int cq__vj_i64s_opt(const char *venue, json_t *obj, const char *base, const char *key, int64_t *out,
                    cq_error *err);
int cq__vj_times_opt(const char *venue, json_t *obj, const char *base, const char *key,
                     cq_time *out, cq_error *err);
int cq__vj_dec_oe(const char *venue, json_t *obj, const char *base, const char *key, cq_dec *out,
                  cq_error *err);
int cq__vj_str_oe(const char *venue, json_t *obj, const char *base, const char *key, char *buf,
                  size_t cap, cq_error *err);

#endif
