/* The feature pipeline: feature sets from YAML, computed over candles, stored as frames. */
#include <errno.h>
#include <libfyaml.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/core/strutil.h"
#include "cquant/features.h"
#include "cquant/ta.h"

enum { MAX_FEATURES = 512, MAX_SET_BYTES = 1 << 20, DEF_MAX = 1 << 20 };

typedef enum kind { K_IND, K_DIFF, K_RATIO, K_LAG } kind;

/* A reference: a feature (>= 0, its index) or a bar field (-1 - cq_ta_field). */
typedef int ref;

typedef struct feat {
  char name[CQ_FEATURE_NAME_MAX];
  kind k;
  const cq_ta_def *def;
  double params[CQ_TA_MAX_PARAMS];
  int output;
  int n_in;
  ref in[CQ_TA_MAX_INPUTS];
  int periods;       /* lag */
  bool chose_output; /* output written down (required when there are several) */
} feat;

struct cq_feature_set {
  char name[CQ_FEATURE_NAME_MAX];
  char version[CQ_FEATURE_VERSION_MAX];
  char *definition;
  int n;
  feat *f;
};

/* --- parsing ------------------------------------------------------------------------------ */

typedef struct parser {
  const char *origin;
  cq_feature_set *fs;
  cq_error *err;
} parser;

/* Records the node's position (1-based) and the feature the error is about. */
static int fail_at(parser *p, struct fy_node *node, const char *feature, int code, const char *fmt,
                   ...) CQ_PRINTF(5, 6);
static int fail_at(parser *p, struct fy_node *node, const char *feature, int code, const char *fmt,
                   ...) {
  if (!p->err) return code;
  char msg[CQ_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cq_error_set(p->err, code, "%s", msg);
  struct fy_token *t = node ? fy_node_get_scalar_token(node) : NULL;
  const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
  cq_error_at(p->err, p->origin, m ? m->line + 1 : 0, m ? m->column + 1 : 0);
  if (feature) {
    char field[CQ_FEATURE_NAME_MAX + 16];
    snprintf(field, sizeof field, "features.%s", feature);
    cq_error_field(p->err, field);
  }
  return code;
}

/* The scalar text of node as a NUL-terminated copy in buf; NULL when it is not a scalar or
 * does not fit. */
static const char *scalar(struct fy_node *node, char *buf, size_t n) {
  if (!node || fy_node_get_type(node) != FYNT_SCALAR) return NULL;
  size_t len = 0;
  const char *s = fy_node_get_scalar(node, &len);
  if (!s || len >= n) return NULL;
  memcpy(buf, s, len);
  buf[len] = '\0';
  return buf;
}

static bool valid_name(const char *s) {
  if (!*s || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
    return false;
  for (; *s; s++)
    if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9')))
      return false;
  return true;
}

/* A reference by name: a bar field or a feature defined above `upto`. */
static int resolve(parser *p, struct fy_node *node, const char *feature, int upto, ref *out) {
  char buf[CQ_FEATURE_NAME_MAX];
  const char *s = scalar(node, buf, sizeof buf);
  if (!s) return fail_at(p, node, feature, CQ_EPARSE, "expected the name of a field or feature");
  int fld = cq_ta_field_parse(s);
  if (fld >= 0) {
    *out = -1 - fld;
    return CQ_OK;
  }
  for (int i = 0; i < upto; i++)
    if (!strcmp(p->fs->f[i].name, s)) {
      *out = i;
      return CQ_OK;
    }
  const char *names[MAX_FEATURES + CQ_TA_FIELD_COUNT_];
  size_t n = 0;
  for (int i = 0; i < CQ_TA_FIELD_COUNT_; i++) names[n++] = cq_ta_field_name((cq_ta_field)i);
  for (int i = 0; i < upto; i++) names[n++] = p->fs->f[i].name;
  const char *near = cq_closest(s, names, n, 3);
  for (int i = upto + 1; i < p->fs->n; i++)
    if (!strcmp(p->fs->f[i].name, s))
      return fail_at(p, node, feature, CQ_EPARSE,
                     "input '%s' is defined below; a feature can use only those above it", s);
  return fail_at(p, node, feature, CQ_EPARSE,
                 "unknown input '%s'%s%s%s; inputs are open, high, low, close, volume and the "
                 "features above",
                 s, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
}

/* "rsi" / "rsi:14" / "bbands:20,2" into f->def and f->params (extra: params given apart). */
static int indicator(parser *p, struct fy_node *node, feat *f, const char *params_text) {
  char buf[256];
  const char *s = scalar(node, buf, sizeof buf);
  if (!s) return fail_at(p, node, f->name, CQ_EPARSE, "expected an indicator such as rsi:14");
  char name[64];
  const char *colon = strchr(s, ':');
  size_t nl = colon ? (size_t)(colon - s) : strlen(s);
  if (nl == 0 || nl >= sizeof name)
    return fail_at(p, node, f->name, CQ_EPARSE, "expected an indicator such as rsi:14, got '%s'",
                   s);
  memcpy(name, s, nl);
  name[nl] = '\0';
  cq_error e;
  cq_error_clear(&e);
  int rc = cq_ta_lookup(name, &f->def, &e);
  if (rc) return fail_at(p, node, f->name, rc, "%s", e.msg);
  if (colon && params_text)
    return fail_at(p, node, f->name, CQ_EPARSE,
                   "parameters given twice: after the ':' and under params");
  const char *text = colon ? colon + 1 : params_text ? params_text : "";
  if ((rc = cq_ta_params_parse(f->def, text, f->params, &e)))
    return fail_at(p, node, f->name, rc, "%s", e.msg);
  return CQ_OK;
}

/* params: "20,2" or {period: 20, nbdevup: 2} as the text cq_ta_params_parse reads. */
static int params_of(parser *p, struct fy_node *node, const char *feature, char *out, size_t n) {
  if (fy_node_get_type(node) == FYNT_SCALAR) {
    if (!scalar(node, out, n)) return fail_at(p, node, feature, CQ_EPARSE, "params too long");
    return CQ_OK;
  }
  if (fy_node_get_type(node) != FYNT_MAPPING)
    return fail_at(p, node, feature, CQ_EPARSE, "params: expected \"20,2\" or {period: 20}");
  out[0] = '\0';
  size_t used = 0;
  void *it = NULL;
  struct fy_node_pair *pair;
  while ((pair = fy_node_mapping_iterate(node, &it))) {
    char k[64], v[64];
    struct fy_node *kn = fy_node_pair_key(pair), *vn = fy_node_pair_value(pair);
    if (!scalar(kn, k, sizeof k) || !scalar(vn, v, sizeof v))
      return fail_at(p, kn, feature, CQ_EPARSE, "params: expected name: number pairs");
    int w = snprintf(out + used, n - used, "%s%s=%s", used ? "," : "", k, v);
    if (w < 0 || (size_t)w >= n - used)
      return fail_at(p, kn, feature, CQ_EPARSE, "params too long");
    used += (size_t)w;
  }
  return CQ_OK;
}

static int whole(parser *p, struct fy_node *node, const char *feature, const char *what, int min,
                 int max, int *out) {
  char buf[32];
  const char *s = scalar(node, buf, sizeof buf);
  char *end = NULL;
  errno = 0;
  long v = s ? strtol(s, &end, 10) : 0;
  if (!s || !*s || *end || errno || v < min || v > max)
    return fail_at(p, node, feature, CQ_EPARSE, "%s: expected a whole number %d..%d, got '%s'",
                   what, min, max, s ? s : "(not a number)");
  *out = (int)v;
  return CQ_OK;
}

/* Several outputs: the choice must be written down. */
static int output_chosen(parser *p, struct fy_node *keynode, const feat *f) {
  if (f->def->n_outputs > 1 && !f->chose_output)
    return fail_at(p, keynode, f->name, CQ_EPARSE,
                   "%s has %d outputs; choose one with {ind: ..., output: %s}", f->def->name,
                   f->def->n_outputs, f->def->outputs[0]);
  return CQ_OK;
}

static const char *const feature_keys[] = {"ind",   "params", "output",  "input",  "diff",
                                           "ratio", "lag",    "periods", "zscore", "window"};
enum { N_FEATURE_KEYS = sizeof feature_keys / sizeof feature_keys[0] };

static int feature_of(parser *p, int idx, struct fy_node *keynode, struct fy_node *val) {
  feat *f = &p->fs->f[idx];
  if (fy_node_get_type(val) == FYNT_SCALAR) {
    f->k = K_IND;
    int rc = indicator(p, val, f, NULL);
    if (rc) return rc;
    goto inputs;
  }
  if (fy_node_get_type(val) != FYNT_MAPPING)
    return fail_at(p, keynode, f->name, CQ_EPARSE,
                   "expected an indicator (rsi:14) or a mapping ({diff: [a, b]})");
  struct fy_node *by[N_FEATURE_KEYS] = {0};
  void *it = NULL;
  struct fy_node_pair *pair;
  while ((pair = fy_node_mapping_iterate(val, &it))) {
    char k[32];
    struct fy_node *kn = fy_node_pair_key(pair);
    if (!scalar(kn, k, sizeof k)) return fail_at(p, kn, f->name, CQ_EPARSE, "unexpected key");
    int which = -1;
    for (int i = 0; i < N_FEATURE_KEYS; i++)
      if (!strcmp(k, feature_keys[i])) which = i;
    if (which < 0) {
      const char *near = cq_closest(k, feature_keys, N_FEATURE_KEYS, 2);
      return fail_at(p, kn, f->name, CQ_EPARSE, "unknown key '%s'%s%s%s", k,
                     near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    }
    by[which] = fy_node_pair_value(pair);
  }
  enum { IND, PARAMS, OUTPUT, INPUT, DIFF, RATIO, LAG, PERIODS, ZSCORE, WINDOW };
  int kinds = !!by[IND] + !!by[DIFF] + !!by[RATIO] + !!by[LAG] + !!by[ZSCORE];
  if (kinds != 1)
    return fail_at(p, keynode, f->name, CQ_EPARSE,
                   "needs exactly one of ind, diff, ratio, lag, zscore (found %d)", kinds);
  int rc;
  if (by[IND]) {
    f->k = K_IND;
    char ptext[256];
    if (by[PARAMS] && (rc = params_of(p, by[PARAMS], f->name, ptext, sizeof ptext))) return rc;
    if ((rc = indicator(p, by[IND], f, by[PARAMS] ? ptext : NULL))) return rc;
    if (by[PERIODS] || by[WINDOW])
      return fail_at(p, keynode, f->name, CQ_EPARSE, "periods and window are not for indicators");
    if (by[OUTPUT]) {
      f->chose_output = true;
      char o[64];
      const char *os = scalar(by[OUTPUT], o, sizeof o);
      f->output = -1;
      for (int k = 0; os && k < f->def->n_outputs; k++)
        if (!strcmp(os, f->def->outputs[k])) f->output = k;
      if (f->output < 0) {
        char list[200] = "";
        for (int k = 0; k < f->def->n_outputs; k++) {
          size_t u = strlen(list);
          snprintf(list + u, sizeof list - u, "%s%s", k ? ", " : "", f->def->outputs[k]);
        }
        return fail_at(p, by[OUTPUT], f->name, CQ_EPARSE, "%s has no output '%s'; it has: %s",
                       f->def->name, os ? os : "", list);
      }
    }
    if (by[INPUT]) {
      if (!f->def->any_series)
        return fail_at(p, by[INPUT], f->name, CQ_EPARSE,
                       "%s reads the bar fields it needs; it takes no input", f->def->name);
      int n =
          fy_node_get_type(by[INPUT]) == FYNT_SEQUENCE ? fy_node_sequence_item_count(by[INPUT]) : 1;
      if (n != f->def->n_inputs)
        return fail_at(p, by[INPUT], f->name, CQ_EPARSE, "%s takes %d input%s, given %d",
                       f->def->name, f->def->n_inputs, f->def->n_inputs == 1 ? "" : "s", n);
      for (int k = 0; k < n; k++) {
        struct fy_node *x = fy_node_get_type(by[INPUT]) == FYNT_SEQUENCE
                                ? fy_node_sequence_get_by_index(by[INPUT], k)
                                : by[INPUT];
        if ((rc = resolve(p, x, f->name, idx, &f->in[k]))) return rc;
      }
      f->n_in = n;
      return output_chosen(p, keynode, f);
    }
    goto inputs;
  }
  if (by[PARAMS] || by[OUTPUT] || by[INPUT])
    return fail_at(p, keynode, f->name, CQ_EPARSE, "params, output and input are for ind only");
  if (by[DIFF] || by[RATIO]) {
    struct fy_node *pairn = by[DIFF] ? by[DIFF] : by[RATIO];
    f->k = by[DIFF] ? K_DIFF : K_RATIO;
    if (fy_node_get_type(pairn) != FYNT_SEQUENCE || fy_node_sequence_item_count(pairn) != 2)
      return fail_at(p, keynode, f->name, CQ_EPARSE, "%s: expected two inputs, [a, b]",
                     by[DIFF] ? "diff" : "ratio");
    f->n_in = 2;
    for (int k = 0; k < 2; k++)
      if ((rc = resolve(p, fy_node_sequence_get_by_index(pairn, k), f->name, idx, &f->in[k])))
        return rc;
    if (by[PERIODS] || by[WINDOW])
      return fail_at(p, keynode, f->name, CQ_EPARSE, "periods and window are not for %s",
                     by[DIFF] ? "diff" : "ratio");
    return CQ_OK;
  }
  f->k = K_LAG;
  f->n_in = 1;
  if ((rc = resolve(p, by[LAG] ? by[LAG] : by[ZSCORE], f->name, idx, &f->in[0]))) return rc;
  if (by[LAG]) {
    if (by[WINDOW])
      return fail_at(p, by[WINDOW], f->name, CQ_EPARSE, "lag takes periods, not window");
    f->periods = 1;
    return by[PERIODS] ? whole(p, by[PERIODS], f->name, "periods", 1, 100000, &f->periods) : CQ_OK;
  }
  if (by[PERIODS])
    return fail_at(p, by[PERIODS], f->name, CQ_EPARSE, "zscore takes window, not periods");
  /* the registry's zscore indicator over the input: one implementation of the z-score */
  int window = 20;
  if (by[WINDOW] && (rc = whole(p, by[WINDOW], f->name, "window", 2, 100000, &window))) return rc;
  f->k = K_IND;
  f->def = cq_ta_find("zscore");
  if (!f->def) return fail_at(p, keynode, f->name, CQ_EINTERNAL, "no zscore indicator");
  cq_error e;
  const double given[1] = {window};
  if ((rc = cq_ta_params(f->def, given, 1, f->params, &e)))
    return fail_at(p, by[WINDOW], f->name, rc, "%s", e.msg);
  return CQ_OK;
inputs:
  f->n_in = f->def->n_inputs;
  for (int k = 0; k < f->n_in; k++) f->in[k] = -1 - (int)f->def->inputs[k];
  return output_chosen(p, keynode, f);
}

static const char *ref_name(const cq_feature_set *fs, ref r) {
  return r >= 0 ? fs->f[r].name : cq_ta_field_name((cq_ta_field)(-1 - r));
}

/* One line per feature; what the version hashes. */
static int canonical(cq_feature_set *fs, cq_error *err) {
  cq_buf b;
  cq_buf_init(&b, DEF_MAX, NULL);
  int rc = CQ_OK;
  for (int i = 0; i < fs->n && !rc; i++) {
    const feat *f = &fs->f[i];
    static const char *const kinds[] = {"ind", "diff", "ratio", "lag"};
    rc = cq_buf_printf(&b, "%s = %s", f->name, kinds[f->k]);
    if (!rc && f->k == K_IND) {
      rc = cq_buf_printf(&b, " %s(", f->def->name);
      for (int k = 0; k < f->def->n_params && !rc; k++)
        rc = cq_buf_printf(&b, "%s%s=%.17g", k ? "," : "", f->def->params[k].name, f->params[k]);
      if (!rc) rc = cq_buf_printf(&b, ") output=%s", f->def->outputs[f->output]);
    }
    if (!rc) rc = cq_buf_puts(&b, " inputs=");
    for (int k = 0; k < f->n_in && !rc; k++)
      rc = cq_buf_printf(&b, "%s%s", k ? "," : "", ref_name(fs, f->in[k]));
    if (!rc && f->k == K_LAG) rc = cq_buf_printf(&b, " periods=%d", f->periods);
    if (!rc) rc = cq_buf_putc(&b, '\n');
  }
  if (rc) {
    cq_buf_release(&b);
    return cq_error_set(err, rc, "feature set %s: definitions too large", fs->name);
  }
  fs->definition = strdup(cq_buf_str(&b));
  cq_buf_release(&b);
  if (!fs->definition)
    return cq_error_set(err, CQ_ENOMEM, "feature set %s: out of memory", fs->name);
  /* FNV-1a, 64 bits: a version tag, not a security measure */
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char *c = (const unsigned char *)fs->definition; *c; c++) {
    h ^= *c;
    h *= 0x100000001b3ULL;
  }
  snprintf(fs->version, sizeof fs->version, "%016llx", (unsigned long long)h);
  return CQ_OK;
}

static void default_name(const char *origin, char *out, size_t n) {
  const char *base = origin ? strrchr(origin, '/') : NULL;
  base = base ? base + 1 : origin ? origin : "features";
  size_t len = strcspn(base, ".");
  if (len >= n) len = n - 1;
  memcpy(out, base, len);
  out[len] = '\0';
}

static int parse_doc(parser *p, struct fy_document *doc) {
  cq_feature_set *fs = p->fs;
  struct fy_node *root = fy_document_root(doc);
  if (!root || fy_node_get_type(root) != FYNT_MAPPING)
    return fail_at(p, root, NULL, CQ_EPARSE, "expected a mapping with name and features");
  struct fy_node *features = NULL, *featkey = NULL;
  void *it = NULL;
  struct fy_node_pair *pair;
  static const char *const top[] = {"name", "features"};
  while ((pair = fy_node_mapping_iterate(root, &it))) {
    char k[32];
    struct fy_node *kn = fy_node_pair_key(pair), *vn = fy_node_pair_value(pair);
    if (!scalar(kn, k, sizeof k)) return fail_at(p, kn, NULL, CQ_EPARSE, "unexpected key");
    if (!strcmp(k, "name")) {
      char v[CQ_FEATURE_NAME_MAX];
      if (!scalar(vn, v, sizeof v) || !*v)
        return fail_at(p, vn, NULL, CQ_EPARSE, "name: expected a name of at most %d characters",
                       CQ_FEATURE_NAME_MAX - 1);
      for (const char *c = v; *c; c++)
        if (!(*c == '_' || *c == '-' || *c == '.' || (*c >= 'a' && *c <= 'z') ||
              (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
          return fail_at(p, vn, NULL, CQ_EPARSE,
                         "name '%s': use letters, digits, '_', '-' and '.' only", v);
      cq_strlcpy(fs->name, v, sizeof fs->name);
    } else if (!strcmp(k, "features")) {
      features = vn;
      featkey = kn;
    } else {
      const char *near = cq_closest(k, top, 2, 3);
      return fail_at(p, kn, NULL, CQ_EPARSE, "unknown key '%s'%s%s%s; expected name, features", k,
                     near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    }
  }
  if (!features || fy_node_get_type(features) != FYNT_MAPPING)
    return fail_at(p, featkey ? featkey : root, NULL, CQ_EPARSE,
                   "features: expected a mapping of feature names to definitions");
  int n = fy_node_mapping_item_count(features);
  if (n < 1 || n > MAX_FEATURES)
    return fail_at(p, featkey, NULL, CQ_EPARSE, "features: expected 1..%d features, got %d",
                   MAX_FEATURES, n);
  fs->f = calloc((size_t)n, sizeof *fs->f);
  if (!fs->f) return cq_error_set(p->err, CQ_ENOMEM, "%s: out of memory", p->origin);
  /* names first, so a reference to a feature below can be told apart from a typo */
  it = NULL;
  for (int i = 0; (pair = fy_node_mapping_iterate(features, &it)); i++) {
    struct fy_node *kn = fy_node_pair_key(pair);
    char k[CQ_FEATURE_NAME_MAX];
    if (!scalar(kn, k, sizeof k) || !valid_name(k))
      return fail_at(p, kn, NULL, CQ_EPARSE,
                     "feature names are letters, digits and '_', not starting with a digit, at "
                     "most %d characters",
                     CQ_FEATURE_NAME_MAX - 1);
    if (cq_ta_field_parse(k) >= 0)
      return fail_at(p, kn, k, CQ_EPARSE, "'%s' is a bar field; give the feature another name", k);
    for (int j = 0; j < i; j++)
      if (!strcmp(fs->f[j].name, k)) return fail_at(p, kn, k, CQ_EPARSE, "defined twice");
    cq_strlcpy(fs->f[i].name, k, sizeof fs->f[i].name);
    fs->n = i + 1;
  }
  it = NULL;
  for (int i = 0; (pair = fy_node_mapping_iterate(features, &it)); i++) {
    int rc = feature_of(p, i, fy_node_pair_key(pair), fy_node_pair_value(pair));
    if (rc) return rc;
  }
  return canonical(fs, p->err);
}

int cq_feature_set_parse(const char *text, size_t len, const char *origin, cq_feature_set **out,
                         cq_error *err) {
  *out = NULL;
  if (!origin) origin = "feature set";
  if (len > MAX_SET_BYTES)
    return cq_error_set(err, CQ_ELIMIT, "%s: larger than %d bytes", origin, MAX_SET_BYTES);
  struct fy_diag_cfg dcfg;
  memset(&dcfg, 0, sizeof dcfg);
  dcfg.level = FYET_ERROR;
  dcfg.module_mask = ~0u;
  struct fy_diag *diag = fy_diag_create(&dcfg);
  cq_feature_set *fs = calloc(1, sizeof *fs);
  if (!diag || !fs) {
    fy_diag_destroy(diag);
    free(fs);
    return cq_error_set(err, CQ_ENOMEM, "%s: out of memory", origin);
  }
  fy_diag_set_collect_errors(diag, true);
  struct fy_parse_cfg pcfg = {.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG, .diag = diag};
  struct fy_document *doc = fy_document_build_from_string(&pcfg, text, len);
  int rc;
  if (!doc) {
    void *it = NULL;
    struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
    rc = cq_error_set(err, CQ_EPARSE, "malformed YAML: %s",
                      de && de->msg ? de->msg : "syntax error");
    cq_error_at(err, origin, de ? de->line : 0, de ? de->column : 0);
  } else {
    default_name(origin, fs->name, sizeof fs->name);
    parser p = {.origin = origin, .fs = fs, .err = err};
    rc = parse_doc(&p, doc);
    fy_document_destroy(doc);
  }
  fy_diag_destroy(diag);
  if (rc) {
    cq_feature_set_free(fs);
    return rc;
  }
  *out = fs;
  return CQ_OK;
}

int cq_feature_set_load(const char *path, cq_feature_set **out, cq_error *err) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return cq_error_set(err, CQ_EIO, "cannot open feature set %s: %s", path, strerror(errno));
  cq_buf b;
  cq_buf_init(&b, MAX_SET_BYTES, NULL);
  char chunk[8192];
  size_t got;
  int rc = CQ_OK;
  while (!rc && (got = fread(chunk, 1, sizeof chunk, f)) > 0) rc = cq_buf_append(&b, chunk, got);
  if (!rc && ferror(f)) rc = CQ_EIO;
  fclose(f);
  if (rc) {
    cq_buf_release(&b);
    return cq_error_set(err, rc, "reading feature set %s: %s", path,
                        rc == CQ_ELIMIT ? "larger than 1 MiB" : cq_strerror(rc));
  }
  rc = cq_feature_set_parse(cq_buf_str(&b), b.len, path, out, err);
  cq_buf_release(&b);
  return rc;
}

void cq_feature_set_free(cq_feature_set *fs) {
  if (!fs) return;
  free(fs->f);
  free(fs->definition);
  free(fs);
}

const char *cq_feature_set_name(const cq_feature_set *fs) {
  return fs->name;
}
const char *cq_feature_set_version(const cq_feature_set *fs) {
  return fs->version;
}
const char *cq_feature_set_definition(const cq_feature_set *fs) {
  return fs->definition;
}
int cq_feature_set_count(const cq_feature_set *fs) {
  return fs->n;
}
const char *cq_feature_set_feature(const cq_feature_set *fs, int i) {
  return i >= 0 && i < fs->n ? fs->f[i].name : NULL;
}

/* --- computing ----------------------------------------------------------------------------- */

static const double *column(const cq_candles *c, double *const *vals, ref r) {
  return r >= 0 ? vals[r] : cq_candles_field(c, -1 - r);
}

int cq_feature_set_compute(const cq_feature_set *fs, const cq_candles *c, cq_feature_frame *out,
                           cq_error *err) {
  *out = (cq_feature_frame){0};
  int rc = cq_feature_frame_alloc(out, c->len, fs->n, err);
  if (rc) return rc;
  cq_strlcpy(out->set, fs->name, sizeof out->set);
  cq_strlcpy(out->version, fs->version, sizeof out->version);
  if (!(out->definition = strdup(fs->definition))) {
    cq_feature_frame_release(out);
    return cq_error_set(err, CQ_ENOMEM, "feature set %s: out of memory", fs->name);
  }
  if (c->len) memcpy(out->time, c->open_time, c->len * sizeof(cq_time));
  size_t n = c->len;
  double *spare[CQ_TA_MAX_OUTPUTS] = {0};
  for (int i = 0; i < fs->n && !rc; i++) {
    const feat *f = &fs->f[i];
    strcpy(out->names[i], f->name);
    double *y = out->values[i];
    const double *a = column(c, out->values, f->in[0]);
    switch (f->k) {
      case K_IND: {
        /* an input that is itself a feature starts with its warm-up NaNs: the indicator
         * starts where every input has begun (NaN would otherwise run on in its sums) */
        size_t start = 0;
        for (int k = 0; k < f->n_in; k++) {
          const double *v = column(c, out->values, f->in[k]);
          size_t j = 0;
          while (j < n && isnan(v[j])) j++;
          if (j > start) start = j;
        }
        cq_ta_in in = {.time = c->open_time + start, .n = n - start};
        for (int k = 0; k < f->n_in; k++) in.v[k] = column(c, out->values, f->in[k]) + start;
        double *o[CQ_TA_MAX_OUTPUTS];
        for (int k = 0; k < f->def->n_outputs && !rc; k++) {
          if (k == f->output) {
            o[k] = y + start;
            continue;
          }
          if (!spare[k] && !(spare[k] = malloc((n ? n : 1) * sizeof(double))))
            rc = cq_error_set(err, CQ_ENOMEM, "feature %s: out of memory", f->name);
          o[k] = spare[k];
        }
        if (!rc && (rc = cq_ta_run(f->def, f->params, &in, o, err)))
          cq_error_prefix(err, "feature %s: ", f->name);
        for (size_t j = 0; j < start; j++) y[j] = NAN;
        break;
      }
      case K_DIFF: { /* diff and ratio always have two inputs (feature_of) */
        const double *b = column(c, out->values, f->in[1]);
        for (size_t j = 0; j < n; j++) y[j] = a[j] - b[j];
        break;
      }
      case K_RATIO: {
        const double *b = column(c, out->values, f->in[1]);
        for (size_t j = 0; j < n; j++) y[j] = b[j] == 0 ? NAN : a[j] / b[j];
        break;
      }
      case K_LAG:
        for (size_t j = 0; j < n; j++)
          y[j] = j >= (size_t)f->periods ? a[j - (size_t)f->periods] : NAN;
        break;
    }
  }
  for (int k = 0; k < CQ_TA_MAX_OUTPUTS; k++) free(spare[k]);
  if (rc) cq_feature_frame_release(out);
  return rc;
}

/* --- building ------------------------------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}

static uint64_t bits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

/* The fingerprint of all of c and of where the stored rows start (from). */
static void fingerprint(const cq_candles *c, cq_time from, char out[CQ_FEATURE_VERSION_MAX]) {
  uint64_t h = mix(0x6a09e667f3bcc909ULL, c->len);
  h = mix(h, (uint64_t)from);
  for (size_t i = 0; i < c->len; i++) {
    h = mix(h, (uint64_t)c->open_time[i]);
    h = mix(h, bits(c->open[i]) ^ (bits(c->high[i]) * 3) ^ (bits(c->low[i]) * 5) ^
                   (bits(c->close[i]) * 7) ^ (bits(c->volume[i]) * 11));
  }
  snprintf(out, CQ_FEATURE_VERSION_MAX, "%016llx", (unsigned long long)h);
}

void cq_candles_fingerprint(const cq_candles *c, char out[CQ_FEATURE_VERSION_MAX]) {
  uint64_t h = mix(0x6a09e667f3bcc909ULL, c->len);
  for (size_t i = 0; i < c->len; i++) {
    h = mix(h, (uint64_t)c->open_time[i]);
    h = mix(h, bits(c->open[i]) ^ (bits(c->high[i]) * 3) ^ (bits(c->low[i]) * 5) ^
                   (bits(c->close[i]) * 7) ^ (bits(c->volume[i]) * 11));
  }
  snprintf(out, CQ_FEATURE_VERSION_MAX, "%016llx", (unsigned long long)h);
}

int cq_features_build(cq_store *s, const cq_feature_set *fs, const cq_series_key *key, cq_time from,
                      cq_time to, bool force, cq_time now, cq_features_report *rep, cq_error *err) {
  cq_features_report r = {.features = fs->n};
  cq_strlcpy(r.version, fs->version, sizeof r.version);
  cq_candles c;
  cq_candles_init(&c, 0);
  /* every candle before `to`: indicators warm up on the history before `from` (EMA-like
   * ones depend on where they start), and only the rows from `from` on are stored */
  int rc = cq_store_get_candles(s, key, INT64_MIN, to, &c, err);
  size_t first = 0;
  while (!rc && first < c.len && c.open_time[first] < from) first++;
  if (!rc && first == c.len) {
    char tf[CQ_TF_STRMAX];
    cq_timeframe_format(key->tf, tf, sizeof tf);
    rc = cq_error_set(err, CQ_ENOTFOUND, "no candles of %s %s %s in that range to build %s on",
                      key->venue, key->symbol, tf, fs->name);
  }
  char fp[CQ_FEATURE_VERSION_MAX];
  if (!rc) {
    r.rows = c.len - first;
    fingerprint(&c, from, fp);
    cq_feature_frame old;
    int got = cq_store_get_features(s, fs->name, fs->version, key, false, &old, NULL);
    if (got == CQ_OK) {
      r.up_to_date = !force && !strcmp(old.source, fp) && old.rows == r.rows;
      cq_feature_frame_release(&old);
    }
  }
  if (!rc && !r.up_to_date) {
    cq_feature_frame f;
    if (!(rc = cq_feature_set_compute(fs, &c, &f, err))) {
      if (first) { /* keep the rows from `from` on */
        memmove(f.time, f.time + first, r.rows * sizeof *f.time);
        for (int k = 0; k < f.n_features; k++)
          memmove(f.values[k], f.values[k] + first, r.rows * sizeof(double));
        f.rows = r.rows;
      }
      f.key = *key;
      f.built_at = now;
      cq_strlcpy(f.source, fp, sizeof f.source);
      rc = cq_store_put_features(s, &f, err);
      cq_feature_frame_release(&f);
    }
  }
  cq_candles_release(&c);
  if (!rc && rep) *rep = r;
  return rc;
}
