/* Typed, path-naming field getters over jansson values, shared by the venue codecs. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vjson.h"

int cq__vj_perr(const char *venue, cq_error *err, const char *path, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cq_error_set(err, CQ_EPARSE, "%s: %s: %s", venue, path && *path ? path : "(document)", msg);
  cq_error_field(err, path && *path ? path : "(document)");
  return CQ_EPARSE;
}

void cq__vj_path(char *out, const char *base, const char *key) {
  if (base && *base)
    snprintf(out, CQ__VJ_PATH_MAX, "%s.%s", base, key);
  else
    snprintf(out, CQ__VJ_PATH_MAX, "%s", key);
}

void cq__vj_pathi(char *out, const char *base, size_t i) {
  snprintf(out, CQ__VJ_PATH_MAX, "%s[%zu]", base ? base : "", i);
}

int cq__vj_load(const char *venue, const char *s, size_t n, json_t **out, cq_error *err) {
  json_error_t je;
  if (!s) return cq_error_set(err, CQ_EINVAL, "%s: no document", venue);
  json_t *j = json_loadb(s, n, JSON_DECODE_ANY, &je);
  if (!j) {
    cq_error_set(err, CQ_EPARSE, "%s: not JSON: %s", venue, je.text);
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

int cq__vj_obj(const char *venue, json_t *j, const char *path, cq_error *err) {
  if (!j) return cq__vj_perr(venue, err, path, "missing (expected an object)");
  if (!json_is_object(j))
    return cq__vj_perr(venue, err, path, "expected an object, found %s", type_name(j));
  return 0;
}

int cq__vj_arr(const char *venue, json_t *j, const char *path, cq_error *err) {
  if (!j) return cq__vj_perr(venue, err, path, "missing (expected an array)");
  if (!json_is_array(j))
    return cq__vj_perr(venue, err, path, "expected an array, found %s", type_name(j));
  return 0;
}

int cq__vj_dec_v(const char *venue, json_t *v, const char *path, cq_dec *out, cq_error *err) {
  if (!v) return cq__vj_perr(venue, err, path, "missing (expected a decimal string)");
  if (!json_is_string(v))
    return cq__vj_perr(venue, err, path, "expected a decimal string, found %s", type_name(v));
  cq_error de;
  cq_error_clear(&de);
  if (cq_dec_parse(json_string_value(v), json_string_length(v), out, &de) < 0)
    return cq__vj_perr(venue, err, path, "bad decimal \"%.40s\": %s", json_string_value(v), de.msg);
  return 0;
}

int cq__vj_dec(const char *venue, json_t *obj, const char *base, const char *key, cq_dec *out,
               cq_error *err) {
  char p[CQ__VJ_PATH_MAX];
  cq__vj_path(p, base, key);
  return cq__vj_dec_v(venue, json_object_get(obj, key), p, out, err);
}

int cq__vj_i64_v(const char *venue, json_t *v, const char *path, int64_t *out, cq_error *err) {
  if (!v) return cq__vj_perr(venue, err, path, "missing (expected an integer)");
  if (!json_is_integer(v))
    return cq__vj_perr(venue, err, path, "expected an integer, found %s", type_name(v));
  *out = (int64_t)json_integer_value(v);
  return 0;
}

int cq__vj_i64(const char *venue, json_t *obj, const char *base, const char *key, int64_t *out,
               cq_error *err) {
  char p[CQ__VJ_PATH_MAX];
  cq__vj_path(p, base, key);
  return cq__vj_i64_v(venue, json_object_get(obj, key), p, out, err);
}

int cq__vj_ms_to_time(const char *venue, int64_t ms, const char *path, cq_time *out,
                      cq_error *err) {
  /* cq_time covers years 1678..2261. */
  if (ms < -9223372036854LL || ms > 9223372036854LL)
    return cq__vj_perr(venue, err, path, "time %lld ms is out of range", (long long)ms);
  *out = ms * CQ_NS_PER_MS;
  return 0;
}

int cq__vj_time(const char *venue, json_t *obj, const char *base, const char *key, cq_time *out,
                cq_error *err) {
  char p[CQ__VJ_PATH_MAX];
  int64_t ms = 0;
  cq__vj_path(p, base, key);
  int rc = cq__vj_i64_v(venue, json_object_get(obj, key), p, &ms, err);
  if (rc < 0) return rc;
  return cq__vj_ms_to_time(venue, ms, p, out, err);
}

int cq__vj_bool(const char *venue, json_t *obj, const char *base, const char *key, bool *out,
                cq_error *err) {
  char p[CQ__VJ_PATH_MAX];
  cq__vj_path(p, base, key);
  json_t *v = json_object_get(obj, key);
  if (!v) return cq__vj_perr(venue, err, p, "missing (expected a boolean)");
  if (!json_is_boolean(v))
    return cq__vj_perr(venue, err, p, "expected a boolean, found %s", type_name(v));
  *out = json_is_true(v);
  return 0;
}

static int str_v(const char *venue, json_t *v, const char *p, char *buf, size_t cap,
                 cq_error *err) {
  if (!json_is_string(v))
    return cq__vj_perr(venue, err, p, "expected a string, found %s", type_name(v));
  size_t len = json_string_length(v);
  if (len >= cap)
    return cq__vj_perr(venue, err, p, "string of %zu bytes is over %zu", len, cap - 1);
  memcpy(buf, json_string_value(v), len);
  buf[len] = '\0';
  return 0;
}

int cq__vj_str(const char *venue, json_t *obj, const char *base, const char *key, char *buf,
               size_t cap, cq_error *err) {
  char p[CQ__VJ_PATH_MAX];
  cq__vj_path(p, base, key);
  json_t *v = json_object_get(obj, key);
  if (!v) return cq__vj_perr(venue, err, p, "missing (expected a string)");
  return str_v(venue, v, p, buf, cap, err);
}

int cq__vj_dec_opt(const char *venue, json_t *obj, const char *base, const char *key, cq_dec *out,
                   cq_error *err) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  char p[CQ__VJ_PATH_MAX];
  cq__vj_path(p, base, key);
  return cq__vj_dec_v(venue, v, p, out, err);
}

int cq__vj_i64_opt(const char *venue, json_t *obj, const char *base, const char *key, int64_t *out,
                   cq_error *err) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  char p[CQ__VJ_PATH_MAX];
  cq__vj_path(p, base, key);
  return cq__vj_i64_v(venue, v, p, out, err);
}

int cq__vj_str_opt(const char *venue, json_t *obj, const char *base, const char *key, char *buf,
                   size_t cap, cq_error *err) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  char p[CQ__VJ_PATH_MAX];
  cq__vj_path(p, base, key);
  return str_v(venue, v, p, buf, cap, err);
}

int cq__vj_id(const char *venue, json_t *obj, const char *base, const char *key, char *buf,
              size_t cap, cq_error *err) {
  char p[CQ__VJ_PATH_MAX];
  cq__vj_path(p, base, key);
  json_t *v = json_object_get(obj, key);
  if (!v) return cq__vj_perr(venue, err, p, "missing (expected an id)");
  if (json_is_integer(v)) {
    snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
    return 0;
  }
  if (json_is_string(v)) return str_v(venue, v, p, buf, cap, err);
  return cq__vj_perr(venue, err, p, "expected an integer id, found %s", type_name(v));
}

/* OKX and Bybit send integers as strings ("ts":"1597026383085") and leave optional fields
 * as "": these read both spellings. */
int cq__vj_i64s_v(const char *venue, json_t *v, const char *path, int64_t *out, cq_error *err) {
  if (!v) return cq__vj_perr(venue, err, path, "missing (expected an integer)");
  if (json_is_integer(v)) {
    *out = (int64_t)json_integer_value(v);
    return 0;
  }
  if (!json_is_string(v))
    return cq__vj_perr(venue, err, path, "expected an integer, found %s", type_name(v));
  const char *s = json_string_value(v);
  size_t len = json_string_length(v), i = 0;
  bool neg = false;
  if (len > 0 && s[0] == '-') neg = true, i = 1;
  if (i >= len || len - i > 18) return cq__vj_perr(venue, err, path, "bad integer \"%.40s\"", s);
  int64_t x = 0;
  for (; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return cq__vj_perr(venue, err, path, "bad integer \"%.40s\"", s);
    x = x * 10 + (s[i] - '0');
  }
  *out = neg ? -x : x;
  return 0;
}

int cq__vj_i64s(const char *venue, json_t *obj, const char *base, const char *key, int64_t *out,
                cq_error *err) {
  char p[CQ__VJ_PATH_MAX];
  cq__vj_path(p, base, key);
  return cq__vj_i64s_v(venue, json_object_get(obj, key), p, out, err);
}

static bool absent_or_empty(json_t *v) {
  return !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
}

int cq__vj_i64s_opt(const char *venue, json_t *obj, const char *base, const char *key, int64_t *out,
                    cq_error *err) {
  json_t *v = json_object_get(obj, key);
  if (absent_or_empty(v)) return 0;
  char p[CQ__VJ_PATH_MAX];
  cq__vj_path(p, base, key);
  return cq__vj_i64s_v(venue, v, p, out, err);
}

int cq__vj_times(const char *venue, json_t *obj, const char *base, const char *key, cq_time *out,
                 cq_error *err) {
  char p[CQ__VJ_PATH_MAX];
  int64_t ms = 0;
  cq__vj_path(p, base, key);
  int rc = cq__vj_i64s_v(venue, json_object_get(obj, key), p, &ms, err);
  if (rc < 0) return rc;
  return cq__vj_ms_to_time(venue, ms, p, out, err);
}

int cq__vj_times_opt(const char *venue, json_t *obj, const char *base, const char *key,
                     cq_time *out, cq_error *err) {
  if (absent_or_empty(json_object_get(obj, key))) return 0;
  return cq__vj_times(venue, obj, base, key, out, err);
}

int cq__vj_dec_oe(const char *venue, json_t *obj, const char *base, const char *key, cq_dec *out,
                  cq_error *err) {
  json_t *v = json_object_get(obj, key);
  if (absent_or_empty(v)) return 0;
  char p[CQ__VJ_PATH_MAX];
  cq__vj_path(p, base, key);
  return cq__vj_dec_v(venue, v, p, out, err);
}

int cq__vj_str_oe(const char *venue, json_t *obj, const char *base, const char *key, char *buf,
                  size_t cap, cq_error *err) {
  json_t *v = json_object_get(obj, key);
  if (absent_or_empty(v)) return 0;
  char p[CQ__VJ_PATH_MAX];
  cq__vj_path(p, base, key);
  return str_v(venue, v, p, buf, cap, err);
}
