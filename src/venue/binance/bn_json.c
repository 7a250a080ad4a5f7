/* Typed, path-naming field getters over jansson values. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bn_json.h"

int cq__bn_perr(cq_error *err, const char *path, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cq_error_set(err, CQ_EPARSE, "binance: %s: %s", path && *path ? path : "(document)", msg);
  cq_error_field(err, path && *path ? path : "(document)");
  return CQ_EPARSE;
}

void cq__bn_path(char *out, const char *base, const char *key) {
  if (base && *base)
    snprintf(out, CQ__BN_PATH_MAX, "%s.%s", base, key);
  else
    snprintf(out, CQ__BN_PATH_MAX, "%s", key);
}

void cq__bn_pathi(char *out, const char *base, size_t i) {
  snprintf(out, CQ__BN_PATH_MAX, "%s[%zu]", base ? base : "", i);
}

int cq__bn_load(const char *s, size_t n, json_t **out, cq_error *err) {
  json_error_t je;
  if (!s) return cq_error_set(err, CQ_EINVAL, "binance: no document");
  json_t *j = json_loadb(s, n, JSON_DECODE_ANY, &je);
  if (!j) {
    cq_error_set(err, CQ_EPARSE, "binance: not JSON: %s", je.text);
    cq_error_at(err, NULL, je.line > 0 ? je.line : 0, je.column > 0 ? je.column : 0);
    return CQ_EPARSE;
  }
  *out = j;
  return 0;
}

static const char *type_name(const json_t *v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT:
      return "an object";
    case JSON_ARRAY:
      return "an array";
    case JSON_STRING:
      return "a string";
    case JSON_INTEGER:
      return "an integer";
    case JSON_REAL:
      return "a real";
    case JSON_TRUE:
    case JSON_FALSE:
      return "a boolean";
    case JSON_NULL:
      return "null";
  }
  return "?";
}

int cq__bn_obj(json_t *j, const char *path, cq_error *err) {
  if (!j) return cq__bn_perr(err, path, "missing (expected an object)");
  if (!json_is_object(j))
    return cq__bn_perr(err, path, "expected an object, found %s", type_name(j));
  return 0;
}

int cq__bn_arr(json_t *j, const char *path, cq_error *err) {
  if (!j) return cq__bn_perr(err, path, "missing (expected an array)");
  if (!json_is_array(j)) return cq__bn_perr(err, path, "expected an array, found %s", type_name(j));
  return 0;
}

int cq__bn_dec_v(json_t *v, const char *path, cq_dec *out, cq_error *err) {
  if (!v) return cq__bn_perr(err, path, "missing (expected a decimal string)");
  if (!json_is_string(v))
    return cq__bn_perr(err, path, "expected a decimal string, found %s", type_name(v));
  cq_error de;
  cq_error_clear(&de);
  if (cq_dec_parse(json_string_value(v), json_string_length(v), out, &de) < 0)
    return cq__bn_perr(err, path, "bad decimal \"%.40s\": %s", json_string_value(v), de.msg);
  return 0;
}

int cq__bn_dec(json_t *obj, const char *base, const char *key, cq_dec *out, cq_error *err) {
  char p[CQ__BN_PATH_MAX];
  cq__bn_path(p, base, key);
  return cq__bn_dec_v(json_object_get(obj, key), p, out, err);
}

int cq__bn_i64_v(json_t *v, const char *path, int64_t *out, cq_error *err) {
  if (!v) return cq__bn_perr(err, path, "missing (expected an integer)");
  if (!json_is_integer(v))
    return cq__bn_perr(err, path, "expected an integer, found %s", type_name(v));
  *out = (int64_t)json_integer_value(v);
  return 0;
}

int cq__bn_i64(json_t *obj, const char *base, const char *key, int64_t *out, cq_error *err) {
  char p[CQ__BN_PATH_MAX];
  cq__bn_path(p, base, key);
  return cq__bn_i64_v(json_object_get(obj, key), p, out, err);
}

int cq__bn_ms_to_time(int64_t ms, const char *path, cq_time *out, cq_error *err) {
  /* cq_time covers years 1678..2261. */
  if (ms < -9223372036854LL || ms > 9223372036854LL)
    return cq__bn_perr(err, path, "time %lld ms is out of range", (long long)ms);
  *out = ms * CQ_NS_PER_MS;
  return 0;
}

int cq__bn_time(json_t *obj, const char *base, const char *key, cq_time *out, cq_error *err) {
  char p[CQ__BN_PATH_MAX];
  int64_t ms = 0;
  cq__bn_path(p, base, key);
  int rc = cq__bn_i64_v(json_object_get(obj, key), p, &ms, err);
  if (rc < 0) return rc;
  return cq__bn_ms_to_time(ms, p, out, err);
}

int cq__bn_bool(json_t *obj, const char *base, const char *key, bool *out, cq_error *err) {
  char p[CQ__BN_PATH_MAX];
  cq__bn_path(p, base, key);
  json_t *v = json_object_get(obj, key);
  if (!v) return cq__bn_perr(err, p, "missing (expected a boolean)");
  if (!json_is_boolean(v)) return cq__bn_perr(err, p, "expected a boolean, found %s", type_name(v));
  *out = json_is_true(v);
  return 0;
}

static int str_v(json_t *v, const char *p, char *buf, size_t cap, cq_error *err) {
  if (!json_is_string(v)) return cq__bn_perr(err, p, "expected a string, found %s", type_name(v));
  size_t len = json_string_length(v);
  if (len >= cap) return cq__bn_perr(err, p, "string of %zu bytes is over %zu", len, cap - 1);
  memcpy(buf, json_string_value(v), len);
  buf[len] = '\0';
  return 0;
}

int cq__bn_str(json_t *obj, const char *base, const char *key, char *buf, size_t cap,
               cq_error *err) {
  char p[CQ__BN_PATH_MAX];
  cq__bn_path(p, base, key);
  json_t *v = json_object_get(obj, key);
  if (!v) return cq__bn_perr(err, p, "missing (expected a string)");
  return str_v(v, p, buf, cap, err);
}

int cq__bn_dec_opt(json_t *obj, const char *base, const char *key, cq_dec *out, cq_error *err) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  char p[CQ__BN_PATH_MAX];
  cq__bn_path(p, base, key);
  return cq__bn_dec_v(v, p, out, err);
}

int cq__bn_i64_opt(json_t *obj, const char *base, const char *key, int64_t *out, cq_error *err) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  char p[CQ__BN_PATH_MAX];
  cq__bn_path(p, base, key);
  return cq__bn_i64_v(v, p, out, err);
}

int cq__bn_str_opt(json_t *obj, const char *base, const char *key, char *buf, size_t cap,
                   cq_error *err) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  char p[CQ__BN_PATH_MAX];
  cq__bn_path(p, base, key);
  return str_v(v, p, buf, cap, err);
}

int cq__bn_id(json_t *obj, const char *base, const char *key, char *buf, size_t cap,
              cq_error *err) {
  char p[CQ__BN_PATH_MAX];
  cq__bn_path(p, base, key);
  json_t *v = json_object_get(obj, key);
  if (!v) return cq__bn_perr(err, p, "missing (expected an id)");
  if (json_is_integer(v)) {
    snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
    return 0;
  }
  if (json_is_string(v)) return str_v(v, p, buf, cap, err);
  return cq__bn_perr(err, p, "expected an integer id, found %s", type_name(v));
}

void cq__bn_unify(const cq_bn_symbols *syms, const char *native, char out[CQ_SYMBOL_MAX]) {
  const char *u = cq_bn_to_unified(syms, native);
  cq_strlcpy(out, u ? u : native, CQ_SYMBOL_MAX);
}
