/* Helpers of the venue payload tests: read a file, compare decoded values with the JSON read
 * on its own with jansson, run a checker over every payload of a folder. */
#ifndef CQ_TEST_PAYLOAD_CHECK_H
#define CQ_TEST_PAYLOAD_CHECK_H

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/core.h"

static inline char *pc_slurp(const char *path, size_t *n) {
  *n = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)len + 1);
  assert_non_null(b);
  assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
  b[len] = '\0';
  fclose(f);
  *n = (size_t)len;
  return b;
}

static inline json_t *pc_load(const char *s, size_t n) {
  json_error_t je;
  json_t *j = json_loadb(s, n, JSON_DECODE_ANY, &je);
  assert_non_null(j);
  return j;
}

/* d equals the decimal string v by value ("" counts as 0 when empty_zero). */
static inline void pc_dec_is(cq_dec d, json_t *v, bool empty_zero) {
  if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
    if (!empty_zero) fail_msg("expected a decimal string");
    assert_true(cq_dec_is_zero(d));
    return;
  }
  assert_true(json_is_string(v));
  cq_dec e = CQ_DEC(0, 0);
  assert_int_equal(cq_dec_parse_cstr(json_string_value(v), &e, NULL), 0);
  if (!cq_dec_eq(d, e)) {
    char b[CQ_DEC_STRMAX];
    cq_dec_format(d, b, sizeof b);
    fail_msg("decimal %s != %s", b, json_string_value(v));
  }
}
#define DEC(d, obj, key) pc_dec_is((d), json_object_get((obj), (key)), false)
#define DEC0(d, obj, key) pc_dec_is((d), json_object_get((obj), (key)), true)

static inline void pc_dbl_is(double d, json_t *v) {
  assert_true(json_is_string(v));
  if (d != strtod(json_string_value(v), NULL)) fail_msg("%.17g != %s", d, json_string_value(v));
}

static inline const char *pc_str(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  if (!json_is_string(v)) fail_msg("%s is not a string", k);
  return json_string_value(v);
}

/* Milliseconds given as a string or an integer. */
static inline cq_time pc_ms(json_t *v) {
  if (json_is_integer(v)) return (cq_time)json_integer_value(v) * CQ_NS_PER_MS;
  assert_true(json_is_string(v));
  return (cq_time)strtoll(json_string_value(v), NULL, 10) * CQ_NS_PER_MS;
}
#define MSOF(obj, key) pc_ms(json_object_get((obj), (key)))

/* s with every `from` replaced by `to` (malloc'd). */
static inline char *pc_replace(const char *s, const char *from, const char *to) {
  size_t lf = strlen(from), lt = strlen(to), cnt = 0;
  for (const char *p = strstr(s, from); p; p = strstr(p + lf, from)) cnt++;
  char *out = malloc(strlen(s) + cnt * (lt > lf ? lt - lf : 0) + 1);
  assert_non_null(out);
  char *w = out;
  const char *r = s;
  for (const char *p = strstr(r, from); p; p = strstr(r, from)) {
    memcpy(w, r, (size_t)(p - r));
    w += p - r;
    memcpy(w, to, lt);
    w += lt;
    r = p + lf;
  }
  strcpy(w, r);
  return out;
}

typedef void (*pc_checker)(const char *s, size_t n, json_t *j);

typedef struct pc_entry {
  const char *file;
  pc_checker fn;
  bool unsupported; /* another product's payload */
} pc_entry;

/* Every .json of dir has an entry, passes its checker, and the product check says 0 for the
 * supported ones and CQ_EUNSUPPORTED for the others. Returns the count, -1 without dir. */
static inline int pc_run_dir(const char *dir, const pc_entry *table, size_t ntable,
                             int (*check)(const char *, size_t, cq_error *)) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int count = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t l = strlen(de->d_name);
    if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0) continue;
    const pc_entry *e = NULL;
    for (size_t i = 0; i < ntable; i++)
      if (strcmp(table[i].file, de->d_name) == 0) e = &table[i];
    if (!e) fail_msg("no checker for %s: every payload must be decoded", de->d_name);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    size_t n;
    char *s = pc_slurp(path, &n);
    assert_non_null(s);
    json_t *j = pc_load(s, n);
    cq_error err;
    cq_error_clear(&err);
    int rc = check(s, n, &err);
    if (rc != (e->unsupported ? CQ_EUNSUPPORTED : 0))
      fail_msg("%s: product check %d (%s)", de->d_name, rc, err.msg);
    e->fn(s, n, j);
    json_decref(j);
    free(s);
    count++;
  }
  closedir(d);
  return count;
}

/* fn over every prefix of every .json of dir (lengths 0, step, 2 step, ..., the whole),
 * and over each file with one byte flipped at those places: decoders must fail cleanly or
 * succeed, never read past the length, leak or crash. Returns the files seen. */
static inline int pc_mangle_dir(const char *dir, void (*fn)(const char *s, size_t n)) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int count = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t l = strlen(de->d_name);
    if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    size_t n;
    char *s = pc_slurp(path, &n);
    assert_non_null(s);
    size_t step = n / 24 + 1;
    for (size_t len = 0; len <= n; len += step) {
      /* An exact-size copy, so reading past len is caught. */
      char *c = malloc(len ? len : 1);
      assert_non_null(c);
      memcpy(c, s, len);
      fn(c, len);
      if (len < n) {
        memcpy(c, s, len);
        char *f = malloc(n);
        assert_non_null(f);
        memcpy(f, s, n);
        f[len] = (char)(f[len] == '"' ? '1' : '"');
        fn(f, n);
        free(f);
      }
      free(c);
    }
    fn(s, n);
    free(s);
    count++;
  }
  closedir(d);
  return count;
}

#endif
