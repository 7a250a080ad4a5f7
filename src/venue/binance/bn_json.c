/* Binance's names for the shared venue JSON getters (vjson.h), with "binance" as the venue
 * of every message. */
#include <stdarg.h>
#include <stdio.h>

#include "bn_json.h"
#include "vjson.h"

static const char V[] = "binance";

int cq__bn_perr(cq_error *err, const char *path, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return cq__vj_perr(V, err, path, "%s", msg);
}

void cq__bn_path(char *out, const char *base, const char *key) {
  cq__vj_path(out, base, key);
}
void cq__bn_pathi(char *out, const char *base, size_t i) {
  cq__vj_pathi(out, base, i);
}
int cq__bn_load(const char *s, size_t n, json_t **out, cq_error *err) {
  return cq__vj_load(V, s, n, out, err);
}
int cq__bn_obj(json_t *j, const char *path, cq_error *err) {
  return cq__vj_obj(V, j, path, err);
}
int cq__bn_arr(json_t *j, const char *path, cq_error *err) {
  return cq__vj_arr(V, j, path, err);
}
int cq__bn_dec_v(json_t *v, const char *path, cq_dec *out, cq_error *err) {
  return cq__vj_dec_v(V, v, path, out, err);
}
int cq__bn_dec(json_t *obj, const char *base, const char *key, cq_dec *out, cq_error *err) {
  return cq__vj_dec(V, obj, base, key, out, err);
}
int cq__bn_i64_v(json_t *v, const char *path, int64_t *out, cq_error *err) {
  return cq__vj_i64_v(V, v, path, out, err);
}
int cq__bn_i64(json_t *obj, const char *base, const char *key, int64_t *out, cq_error *err) {
  return cq__vj_i64(V, obj, base, key, out, err);
}
int cq__bn_ms_to_time(int64_t ms, const char *path, cq_time *out, cq_error *err) {
  return cq__vj_ms_to_time(V, ms, path, out, err);
}
int cq__bn_time(json_t *obj, const char *base, const char *key, cq_time *out, cq_error *err) {
  return cq__vj_time(V, obj, base, key, out, err);
}
int cq__bn_bool(json_t *obj, const char *base, const char *key, bool *out, cq_error *err) {
  return cq__vj_bool(V, obj, base, key, out, err);
}
int cq__bn_str(json_t *obj, const char *base, const char *key, char *buf, size_t cap,
               cq_error *err) {
  return cq__vj_str(V, obj, base, key, buf, cap, err);
}
int cq__bn_dec_opt(json_t *obj, const char *base, const char *key, cq_dec *out, cq_error *err) {
  return cq__vj_dec_opt(V, obj, base, key, out, err);
}
int cq__bn_i64_opt(json_t *obj, const char *base, const char *key, int64_t *out, cq_error *err) {
  return cq__vj_i64_opt(V, obj, base, key, out, err);
}
int cq__bn_str_opt(json_t *obj, const char *base, const char *key, char *buf, size_t cap,
                   cq_error *err) {
  return cq__vj_str_opt(V, obj, base, key, buf, cap, err);
}
int cq__bn_id(json_t *obj, const char *base, const char *key, char *buf, size_t cap,
              cq_error *err) {
  return cq__vj_id(V, obj, base, key, buf, cap, err);
}

void cq__bn_unify(const cq_bn_symbols *syms, const char *native, char out[CQ_SYMBOL_MAX]) {
  const char *u = cq_bn_to_unified(syms, native);
  cq_strlcpy(out, u ? u : native, CQ_SYMBOL_MAX);
}
