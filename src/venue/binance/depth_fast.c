/* The diff-depth stream's hot path: a depthUpdate message read in place, without building a
 * JSON tree (jansson allocates a node per value; a busy book sends thousands of these a
 * second). It reads exactly the JSON grammar for the parts it uses and skips any other
 * value by structure; anything it does not expect is CQ_EPARSE naming the path. */
#include <stdio.h>
#include <string.h>

#include "binance.h"

typedef struct scan {
  const char *p, *end;
  cq_error *err;
  const char *base; /* "" or "data" */
} scan;

static int fail(scan *s, const char *field, const char *what) {
  char path[96];
  if (*s->base && *field)
    snprintf(path, sizeof path, "%s.%s", s->base, field);
  else if (*s->base)
    snprintf(path, sizeof path, "%s", s->base);
  else
    snprintf(path, sizeof path, "%s", *field ? field : "(document)");
  cq_error_set(s->err, CQ_EPARSE, "binance: %s: %s", path, what);
  cq_error_field(s->err, path);
  return CQ_EPARSE;
}

static inline void ws(scan *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t')) s->p++;
}

static inline bool eat(scan *s, char c) {
  ws(s);
  if (s->p < s->end && *s->p == c) {
    s->p++;
    return true;
  }
  return false;
}

/* A string's bytes (escapes are left as they are: no field read here needs them). */
static int str(scan *s, const char *field, const char **b, size_t *n) {
  ws(s);
  if (s->p >= s->end || *s->p != '"') return fail(s, field, "expected a string");
  const char *q = ++s->p;
  while (s->p < s->end && *s->p != '"') {
    if (*s->p == '\\') s->p++;
    s->p++;
  }
  if (s->p >= s->end) return fail(s, field, "unterminated string");
  *b = q;
  *n = (size_t)(s->p - q);
  s->p++;
  return 0;
}

static int u64(scan *s, const char *field, uint64_t *out) {
  ws(s);
  const char *q = s->p;
  uint64_t v = 0;
  while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
    unsigned dg = (unsigned)(*s->p - '0');
    if (v > (UINT64_MAX - dg) / 10) return fail(s, field, "integer out of range");
    v = v * 10 + dg;
    s->p++;
  }
  if (s->p == q) return fail(s, field, "expected a non-negative integer");
  if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E'))
    return fail(s, field, "expected an integer, found a real");
  *out = v;
  return 0;
}

/* Skips one value of any type. depth bounds nesting. */
static int skip(scan *s, const char *field, int depth) {
  ws(s);
  if (s->p >= s->end) return fail(s, field, "value missing");
  if (depth > 32) return fail(s, field, "nested too deep");
  char c = *s->p;
  if (c == '"') {
    const char *b;
    size_t n;
    return str(s, field, &b, &n);
  }
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    s->p++;
    if (eat(s, close)) return 0;
    for (;;) {
      if (c == '{') {
        const char *b;
        size_t n;
        if (str(s, field, &b, &n) < 0) return CQ_EPARSE;
        if (!eat(s, ':')) return fail(s, field, "expected ':'");
      }
      if (skip(s, field, depth + 1) < 0) return CQ_EPARSE;
      if (eat(s, ',')) continue;
      if (eat(s, close)) return 0;
      return fail(s, field, "expected ',' or a closing bracket");
    }
  }
  const char *q = s->p;
  while (s->p < s->end &&
         (*s->p == '-' || *s->p == '+' || *s->p == '.' || (*s->p >= '0' && *s->p <= '9') ||
          (*s->p >= 'a' && *s->p <= 'z') || *s->p == 'E'))
    s->p++;
  size_t n = (size_t)(s->p - q);
  if (n == 0) return fail(s, field, "unexpected character");
  if ((*q >= 'a' && *q <= 'z') &&
      !((n == 4 && memcmp(q, "true", 4) == 0) || (n == 5 && memcmp(q, "false", 5) == 0) ||
        (n == 4 && memcmp(q, "null", 4) == 0)))
    return fail(s, field, "unexpected word");
  return 0;
}

/* The path of level i of key (sub: -1 the level, 0 its price, 1 its quantity), made only
 * when it is needed, for an error. */
static int fail_lv(scan *s, const char *key, size_t i, int sub, const char *what) {
  char field[48];
  if (sub < 0)
    snprintf(field, sizeof field, "%s[%zu]", key, i);
  else
    snprintf(field, sizeof field, "%s[%zu][%d]", key, i, sub);
  return fail(s, field, what);
}

static int level_str(scan *s, const char *key, size_t i, int sub, cq_dec *out) {
  ws(s);
  if (s->p >= s->end || *s->p != '"') return fail_lv(s, key, i, sub, "expected a string");
  const char *q = ++s->p;
  while (s->p < s->end && *s->p != '"' && *s->p != '\\') s->p++;
  if (s->p >= s->end || *s->p != '"') return fail_lv(s, key, i, sub, "bad decimal string");
  size_t n = (size_t)(s->p - q);
  s->p++;
  if (cq_dec_parse(q, n, out, NULL) < 0) return fail_lv(s, key, i, sub, "bad decimal");
  return 0;
}

static int levels(scan *s, const char *key, cq_side side, cq_bn_depth_diff *d) {
  if (!eat(s, '[')) return fail(s, key, "expected an array of levels");
  if (eat(s, ']')) return 0;
  for (size_t i = 0;; i++) {
    cq_dec px = CQ_DEC(0, 0), qty = CQ_DEC(0, 0);
    if (!eat(s, '[')) return fail_lv(s, key, i, -1, "expected a level [price, qty]");
    if (level_str(s, key, i, 0, &px) < 0) return CQ_EPARSE;
    if (!eat(s, ',')) return fail_lv(s, key, i, -1, "a level needs [price, qty]");
    if (level_str(s, key, i, 1, &qty) < 0) return CQ_EPARSE;
    if (px.m <= 0 || qty.m < 0) return fail_lv(s, key, i, -1, "price must be > 0 and qty >= 0");
    /* Venues may add fields to a level: skip them. */
    while (eat(s, ','))
      if (skip(s, key, 1) < 0) return CQ_EPARSE;
    if (!eat(s, ']')) return fail_lv(s, key, i, -1, "expected ']'");
    int rc = cq_bn_depth_diff_push(d, side, px, qty, s->err);
    if (rc < 0) return rc;
    if (eat(s, ',')) continue;
    if (eat(s, ']')) return 0;
    return fail(s, key, "expected ',' or ']'");
  }
}

enum { F_E = 1, F_EV = 2, F_S = 4, F_U = 8, F_UU = 16, F_B = 32, F_A = 64 };

static int object(scan *s, cq_bn_depth_diff *d, bool top) {
  if (!eat(s, '{')) return fail(s, "", "expected an object");
  unsigned seen = 0;
  bool wrapped = false;
  if (!eat(s, '}')) {
    for (;;) {
      const char *k;
      size_t kn;
      if (str(s, "", &k, &kn) < 0) return CQ_EPARSE;
      if (!eat(s, ':')) return fail(s, "", "expected ':' after a key");
      char key[16];
      size_t kl = kn < sizeof key - 1 ? kn : sizeof key - 1;
      memcpy(key, k, kl);
      key[kl] = '\0';
      int rc = 0;
      if (kn == 1 && *k == 'e') {
        const char *b;
        size_t n;
        rc = str(s, "e", &b, &n);
        if (rc == 0 && !(n == 11 && memcmp(b, "depthUpdate", 11) == 0))
          return cq_error_set(s->err, CQ_EUNSUPPORTED, "binance: event '%.*s' is not a depthUpdate",
                              (int)(n < 40 ? n : 40), b);
        seen |= F_EV;
      } else if (kn == 1 && *k == 'E') {
        uint64_t v = 0;
        rc = u64(s, "E", &v);
        if (rc == 0 && v > 9223372036854ULL) rc = fail(s, "E", "time out of range");
        d->event_time = (cq_time)v * CQ_NS_PER_MS;
        seen |= F_E;
      } else if (kn == 1 && *k == 's') {
        const char *b;
        size_t n;
        rc = str(s, "s", &b, &n);
        if (rc == 0 && n >= sizeof d->symbol) rc = fail(s, "s", "symbol too long");
        if (rc == 0) {
          memcpy(d->symbol, b, n);
          d->symbol[n] = '\0';
        }
        seen |= F_S;
      } else if (kn == 1 && *k == 'U') {
        rc = u64(s, "U", &d->first_id);
        seen |= F_U;
      } else if (kn == 1 && *k == 'u') {
        rc = u64(s, "u", &d->final_id);
        seen |= F_UU;
      } else if (kn == 2 && k[0] == 'p' && k[1] == 'u') {
        /* futures: -1 on the first event after a reset */
        ws(s);
        if (s->p < s->end && *s->p == '-') {
          rc = skip(s, "pu", 0);
          d->prev_id = 0;
        } else {
          rc = u64(s, "pu", &d->prev_id);
        }
        d->has_prev = true;
      } else if (kn == 1 && *k == 'b') {
        rc = levels(s, "b", CQ_SIDE_BUY, d);
        seen |= F_B;
      } else if (kn == 1 && *k == 'a') {
        rc = levels(s, "a", CQ_SIDE_SELL, d);
        seen |= F_A;
      } else if (top && kn == 4 && memcmp(k, "data", 4) == 0) {
        s->base = "data";
        rc = object(s, d, false);
        wrapped = true;
      } else {
        rc = skip(s, key, 0);
      }
      if (rc < 0) return rc;
      if (eat(s, ',')) continue;
      if (eat(s, '}')) break;
      return fail(s, key, "expected ',' or '}'");
    }
  }
  if (wrapped) return 0;
  static const struct {
    unsigned bit;
    const char *name;
  } req[] = {{F_EV, "e"}, {F_E, "E"}, {F_S, "s"}, {F_U, "U"}, {F_UU, "u"}, {F_B, "b"}, {F_A, "a"}};
  for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
    if (!(seen & req[i].bit)) {
      if (req[i].bit == F_EV)
        return cq_error_set(s->err, CQ_EUNSUPPORTED, "binance: not a depthUpdate (no event name)");
      return fail(s, req[i].name, "missing");
    }
  if (d->final_id < d->first_id) return fail(s, "U", "U is greater than u");
  return 0;
}

int cq_bn_parse_depth_update(const char *s, size_t n, cq_bn_depth_diff *out, cq_error *err) {
  if (!s || !out) return cq_error_set(err, CQ_EINVAL, "binance: depth update: NULL argument");
  scan sc = {s, s + n, err, ""};
  out->nbids = out->nasks = 0;
  out->has_prev = false;
  out->prev_id = 0;
  out->symbol[0] = '\0';
  int rc = object(&sc, out, true);
  if (rc == 0) {
    ws(&sc);
    if (sc.p != sc.end) rc = fail(&sc, "", "text after the message");
  }
  if (rc < 0) out->nbids = out->nasks = 0;
  return rc;
}
