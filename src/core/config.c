/* Schema-driven configuration: YAML (libfyaml), CQUANT_* environment, flags. */
#include "cquant/core/config.h"

#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cquant/core/strutil.h"
#include "cquant/core/time.h"

enum { WHERE_MAX = 256, PATH_MAX_ = 256, DEPTH_MAX = 16, LIST_MAX = 1024 };

typedef struct value {
  char *text; /* canonical text for dump; LIST: items joined with ", " */
  union {
    int64_t i;
    double d;
    bool b;
  } v;
  char **items;
  size_t nitems;
} value;

typedef struct entry {
  const cq_config_key *def;
  cq_config_origin origin;
  char where[WHERE_MAX];
  value val;
} entry;

struct cq_config {
  entry *e;
  size_t n, cap;
};

static void value_free(value *v) {
  free(v->text);
  for (size_t i = 0; i < v->nitems; i++) free(v->items[i]);
  free(v->items);
  memset(v, 0, sizeof *v);
}

int cq_config_new(cq_config **out, cq_error *err) {
  cq_config *c = calloc(1, sizeof *c);
  if (!c) return cq_error_set(err, CQ_ENOMEM, "creating the configuration");
  *out = c;
  return CQ_OK;
}

void cq_config_free(cq_config *cfg) {
  if (!cfg) return;
  for (size_t i = 0; i < cfg->n; i++) value_free(&cfg->e[i].val);
  free(cfg->e);
  free(cfg);
}

static entry *find(const cq_config *cfg, const char *key) {
  for (size_t i = 0; i < cfg->n; i++)
    if (!strcmp(cfg->e[i].def->key, key)) return &cfg->e[i];
  return NULL;
}

static const char *closest_key(const cq_config *cfg, const char *key) {
  const char *best = NULL;
  size_t bd = (size_t)-1;
  for (size_t i = 0; i < cfg->n; i++) {
    size_t d = cq_edit_distance(key, cfg->e[i].def->key);
    if (d < bd) {
      bd = d;
      best = cfg->e[i].def->key;
    }
  }
  size_t len = strlen(key);
  return best && bd <= (len < 8 ? 2 : len / 4 + 1) ? best : NULL;
}

static const char *type_name(const cq_config_key *k) {
  switch (k->type) {
    case CQ_CFG_STRING: return "a string";
    case CQ_CFG_INT: return "a whole number";
    case CQ_CFG_NUMBER: return "a number";
    case CQ_CFG_BOOL: return "true or false";
    case CQ_CFG_DURATION: return "a duration such as 500ms, 5s, 2m or 1h";
    case CQ_CFG_ENUM: return "one of the listed choices";
    case CQ_CFG_LIST: return "a list";
  }
  return "a value";
}

static char *dup_n(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

/* Splits "a, b,c" into trimmed items. */
static int split_list(const char *s, value *v) {
  const char *p = s;
  while (*p) {
    while (*p == ' ' || *p == '\t') p++;
    const char *end = strchr(p, ',');
    if (!end) end = p + strlen(p);
    const char *e = end;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t')) e--;
    if (e > p) {
      if (v->nitems == LIST_MAX) return CQ_ELIMIT;
      char **ni = realloc(v->items, (v->nitems + 1) * sizeof *ni);
      if (!ni) return CQ_ENOMEM;
      v->items = ni;
      if (!(v->items[v->nitems] = dup_n(p, (size_t)(e - p)))) return CQ_ENOMEM;
      v->nitems++;
    }
    p = *end ? end + 1 : end;
  }
  return CQ_OK;
}

static int join_list(value *v) {
  size_t len = 1;
  for (size_t i = 0; i < v->nitems; i++) len += strlen(v->items[i]) + 2;
  free(v->text);
  v->text = malloc(len);
  if (!v->text) return CQ_ENOMEM;
  v->text[0] = '\0';
  for (size_t i = 0; i < v->nitems; i++) {
    if (i) strcat(v->text, ", ");
    strcat(v->text, v->items[i]);
  }
  return CQ_OK;
}

/* Parses text as the key's type into v (which the caller frees). CQ_ETYPE with "expected X,
 * got "text"" on a mismatch. */
static int parse_value(const cq_config_key *k, const char *text, value *v, cq_error *err) {
  memset(v, 0, sizeof *v);
  char *end;
  switch (k->type) {
    case CQ_CFG_STRING:
      break;
    case CQ_CFG_INT: {
      errno = 0;
      long long x = strtoll(text, &end, 10);
      if (errno || end == text || *end) goto type;
      if (k->min < k->max && ((double)x < k->min || (double)x > k->max))
        return cq_error_set(err, CQ_EOVERFLOW, "%lld is outside %.17g..%.17g", x, k->min, k->max);
      v->v.i = x;
      break;
    }
    case CQ_CFG_NUMBER: {
      errno = 0;
      double x = strtod(text, &end);
      if (errno || end == text || *end || !isfinite(x)) goto type;
      if (k->min < k->max && (x < k->min || x > k->max))
        return cq_error_set(err, CQ_EOVERFLOW, "%s is outside %.17g..%.17g", text, k->min, k->max);
      v->v.d = x;
      break;
    }
    case CQ_CFG_BOOL: {
      static const char *const yes[] = {"true", "yes", "on", "1"};
      static const char *const no[] = {"false", "no", "off", "0"};
      bool found = false;
      for (size_t i = 0; i < 4 && !found; i++) {
        if (!strcasecmp(text, yes[i])) v->v.b = found = true;
        if (!strcasecmp(text, no[i])) {
          v->v.b = false;
          found = true;
        }
      }
      if (!found) goto type;
      break;
    }
    case CQ_CFG_DURATION: {
      cq_error e2;
      int64_t ns;
      if (cq_duration_parse(text, &ns, &e2)) goto type;
      v->v.i = ns;
      break;
    }
    case CQ_CFG_ENUM: {
      bool found = false;
      for (const char *const *c = k->choices; c && *c && !found; c++) found = !strcmp(*c, text);
      if (!found) {
        char list[256] = "";
        for (const char *const *c = k->choices; c && *c; c++) {
          if (list[0]) strncat(list, ", ", sizeof list - strlen(list) - 1);
          strncat(list, *c, sizeof list - strlen(list) - 1);
        }
        return cq_error_set(err, CQ_ETYPE, "expected one of %s, got \"%s\"", list, text);
      }
      break;
    }
    case CQ_CFG_LIST: {
      int rc = split_list(text, v);
      if (rc) return cq_error_set(err, rc, "list too long or out of memory");
      rc = join_list(v);
      if (rc) return cq_error_set(err, rc, "out of memory");
      return CQ_OK;
    }
  }
  v->text = strdup(text);
  if (!v->text) return cq_error_set(err, CQ_ENOMEM, "out of memory");
  return CQ_OK;
type:
  return cq_error_set(err, CQ_ETYPE, "expected %s, got \"%s\"", type_name(k), text);
}

int cq_config_declare(cq_config *cfg, const cq_config_key *keys, size_t n, cq_error *err) {
  for (size_t i = 0; i < n; i++)
    if (find(cfg, keys[i].key))
      return cq_error_set(err, CQ_EEXIST, "configuration key %s declared twice", keys[i].key);
  if (cfg->n + n > cfg->cap) {
    size_t ncap = (cfg->n + n) * 2;
    entry *ne = realloc(cfg->e, ncap * sizeof *ne);
    if (!ne) return cq_error_set(err, CQ_ENOMEM, "declaring configuration keys");
    cfg->e = ne;
    cfg->cap = ncap;
  }
  size_t start = cfg->n;
  for (size_t i = 0; i < n; i++) {
    entry *e = &cfg->e[cfg->n++];
    memset(e, 0, sizeof *e);
    e->def = &keys[i];
    if (keys[i].default_value) {
      int rc = parse_value(&keys[i], keys[i].default_value, &e->val, err);
      if (rc) {
        cq_error_prefix(err, "default of %s: ", keys[i].key);
        for (size_t j = start; j < cfg->n; j++) value_free(&cfg->e[j].val);
        cfg->n = start;
        return rc;
      }
      e->origin = CQ_ORIGIN_DEFAULT;
      snprintf(e->where, sizeof e->where, "default");
    }
  }
  return CQ_OK;
}

/* ---- staged changes: validated first, applied all at once ----------------------------- */

typedef struct change {
  entry *e;
  value val;
  cq_config_origin origin;
  char where[WHERE_MAX];
} change;

typedef struct changes {
  change *c;
  size_t n, cap;
} changes;

static void changes_free(changes *cs) {
  for (size_t i = 0; i < cs->n; i++) value_free(&cs->c[i].val);
  free(cs->c);
}

static change *changes_add(changes *cs) {
  if (cs->n == cs->cap) {
    size_t ncap = cs->cap ? cs->cap * 2 : 16;
    change *nc = realloc(cs->c, ncap * sizeof *nc);
    if (!nc) return NULL;
    cs->c = nc;
    cs->cap = ncap;
  }
  change *c = &cs->c[cs->n++];
  memset(c, 0, sizeof *c);
  return c;
}

static void changes_apply(changes *cs) {
  for (size_t i = 0; i < cs->n; i++) {
    change *c = &cs->c[i];
    value_free(&c->e->val);
    c->e->val = c->val;
    memset(&c->val, 0, sizeof c->val);
    c->e->origin = c->origin;
    memcpy(c->e->where, c->where, sizeof c->where);
  }
}

/* ---- YAML ------------------------------------------------------------------------------- */

typedef struct frame {
  bool seq;           /* sequence (a LIST value) or mapping */
  size_t path_len;    /* length of the dotted path of this mapping */
  char key[PATH_MAX_];/* pending key (mappings) */
  bool have_key;
  int key_line, key_col;
  change *list;       /* sequences: the change being filled */
} frame;

typedef struct yaml_ctx {
  cq_config *cfg;
  const char *name;
  changes cs;
  char path[PATH_MAX_];
  frame st[DEPTH_MAX];
  int depth;
} yaml_ctx;

static int at(yaml_ctx *y, cq_error *err, int line, int col, const char *key) {
  cq_error_at(err, y->name, line, col);
  if (key) cq_error_field(err, key);
  return err ? err->code : CQ_EPARSE;
}

static int full_key(yaml_ctx *y, const char *key, char *out, size_t n) {
  size_t pl = y->st[y->depth - 1].path_len;
  int r = snprintf(out, n, "%.*s%s%s", (int)pl, y->path, pl ? "." : "", key);
  return r < 0 || (size_t)r >= n ? -1 : 0;
}

static entry *known_key(yaml_ctx *y, const char *key, int line, int col, cq_error *err) {
  entry *e = find(y->cfg, key);
  if (e) return e;
  const char *near = closest_key(y->cfg, key);
  if (near)
    cq_error_set(err, CQ_ECONFIG, "unknown key; did you mean %s?", near);
  else
    cq_error_set(err, CQ_ECONFIG, "unknown key");
  at(y, err, line, col, key);
  return NULL;
}

static int on_scalar(yaml_ctx *y, const char *s, size_t len, int line, int col, cq_error *err) {
  frame *f = &y->st[y->depth - 1];
  if (f->seq) {
    value *v = &f->list->val;
    if (v->nitems == LIST_MAX) {
      cq_error_set(err, CQ_ELIMIT, "a list holds at most %d items", LIST_MAX);
      return at(y, err, line, col, NULL);
    }
    char **ni = realloc(v->items, (v->nitems + 1) * sizeof *ni);
    if (!ni) return cq_error_set(err, CQ_ENOMEM, "reading %s", y->name);
    v->items = ni;
    if (!(v->items[v->nitems] = dup_n(s, len))) return cq_error_set(err, CQ_ENOMEM, "reading");
    v->nitems++;
    return CQ_OK;
  }
  if (!f->have_key) {
    if (len == 0 || len >= sizeof f->key) {
      cq_error_set(err, CQ_EPARSE, "expected a key name");
      return at(y, err, line, col, NULL);
    }
    memcpy(f->key, s, len);
    f->key[len] = '\0';
    f->have_key = true;
    f->key_line = line;
    f->key_col = col;
    return CQ_OK;
  }
  f->have_key = false;
  char key[PATH_MAX_];
  if (full_key(y, f->key, key, sizeof key)) {
    cq_error_set(err, CQ_EPARSE, "key path too long");
    return at(y, err, line, col, NULL);
  }
  entry *e = known_key(y, key, f->key_line, f->key_col, err);
  if (!e) return CQ_ECONFIG;
  char *text = dup_n(s, len);
  if (!text) return cq_error_set(err, CQ_ENOMEM, "reading %s", y->name);
  if (len == 0) {
    free(text);
    cq_error_set(err, CQ_ETYPE, "expected %s, got nothing", type_name(e->def));
    return at(y, err, line, col, key);
  }
  change *c = changes_add(&y->cs);
  if (!c) {
    free(text);
    return cq_error_set(err, CQ_ENOMEM, "reading %s", y->name);
  }
  int rc = parse_value(e->def, text, &c->val, err);
  free(text);
  if (rc) return at(y, err, line, col, key);
  c->e = e;
  c->origin = CQ_ORIGIN_FILE;
  snprintf(c->where, sizeof c->where, "%s:%d:%d", y->name, line, col);
  return CQ_OK;
}

static int on_collection_start(yaml_ctx *y, bool seq, int line, int col, cq_error *err) {
  if (y->depth == DEPTH_MAX) {
    cq_error_set(err, CQ_ELIMIT, "nested deeper than %d levels", DEPTH_MAX);
    return at(y, err, line, col, NULL);
  }
  frame *nf = &y->st[y->depth];
  memset(nf, 0, sizeof *nf);
  nf->seq = seq;
  if (y->depth == 0) {
    if (seq) {
      cq_error_set(err, CQ_EPARSE, "expected a mapping of keys at the top, got a list");
      return at(y, err, line, col, NULL);
    }
    y->depth = 1;
    return CQ_OK;
  }
  frame *f = &y->st[y->depth - 1];
  if (f->seq) {
    cq_error_set(err, CQ_ETYPE, "a list holds plain values, not %s", seq ? "lists" : "mappings");
    return at(y, err, line, col, NULL);
  }
  if (!f->have_key) {
    cq_error_set(err, CQ_EPARSE, "a key must be a plain value");
    return at(y, err, line, col, NULL);
  }
  char key[PATH_MAX_];
  if (full_key(y, f->key, key, sizeof key)) {
    cq_error_set(err, CQ_EPARSE, "key path too long");
    return at(y, err, line, col, NULL);
  }
  if (seq) {
    entry *e = known_key(y, key, f->key_line, f->key_col, err);
    if (!e) return CQ_ECONFIG;
    if (e->def->type != CQ_CFG_LIST) {
      cq_error_set(err, CQ_ETYPE, "expected %s, got a list", type_name(e->def));
      return at(y, err, line, col, key);
    }
    change *c = changes_add(&y->cs);
    if (!c) return cq_error_set(err, CQ_ENOMEM, "reading %s", y->name);
    c->e = e;
    c->origin = CQ_ORIGIN_FILE;
    snprintf(c->where, sizeof c->where, "%s:%d:%d", y->name, line, col);
    nf->list = c;
  } else {
    /* a mapping under a key that is itself a value is a type error, not a section */
    entry *e = find(y->cfg, key);
    if (e) {
      cq_error_set(err, CQ_ETYPE, "expected %s, got a mapping", type_name(e->def));
      return at(y, err, line, col, key);
    }
    size_t kl = strlen(key);
    memcpy(y->path, key, kl + 1);
    nf->path_len = kl;
  }
  y->depth++;
  return CQ_OK;
}

static int on_collection_end(yaml_ctx *y, cq_error *err) {
  frame *f = &y->st[y->depth - 1];
  if (f->seq) {
    int rc = join_list(&f->list->val);
    if (rc) return cq_error_set(err, rc, "reading %s", y->name);
  }
  y->depth--;
  if (y->depth > 0) y->st[y->depth - 1].have_key = false;
  return CQ_OK;
}

static int parse_yaml(yaml_ctx *y, struct fy_parser *fyp, struct fy_diag *diag, cq_error *err) {
  int rc = CQ_OK;
  int docs = 0;
  struct fy_event *ev;
  while (rc == CQ_OK && (ev = fy_parser_parse(fyp)) != NULL) {
    const struct fy_mark *m = fy_event_start_mark(ev);
    int line = m ? m->line + 1 : 0, col = m ? m->column + 1 : 0;
    switch (ev->type) {
      case FYET_DOCUMENT_START:
        if (++docs > 1) {
          cq_error_set(err, CQ_EPARSE, "expected one YAML document, found more");
          rc = at(y, err, line, col, NULL);
        }
        break;
      case FYET_MAPPING_START:
        rc = on_collection_start(y, false, line, col, err);
        break;
      case FYET_SEQUENCE_START:
        rc = on_collection_start(y, true, line, col, err);
        break;
      case FYET_MAPPING_END:
      case FYET_SEQUENCE_END:
        rc = on_collection_end(y, err);
        break;
      case FYET_SCALAR: {
        if (y->depth == 0) {
          cq_error_set(err, CQ_EPARSE, "expected a mapping of keys at the top, got a plain value");
          rc = at(y, err, line, col, NULL);
          break;
        }
        size_t len = 0;
        const char *s = fy_token_get_text(ev->scalar.value, &len);
        rc = on_scalar(y, s ? s : "", s ? len : 0, line, col, err);
        break;
      }
      case FYET_ALIAS:
        cq_error_set(err, CQ_EPARSE, "aliases (*name) are not supported in configuration");
        rc = at(y, err, line, col, NULL);
        break;
      default:
        break;
    }
    fy_parser_event_free(fyp, ev);
  }
  if (rc == CQ_OK && fy_parser_get_stream_error(fyp)) {
    void *it = NULL;
    struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
    cq_error_set(err, CQ_EPARSE, "malformed YAML: %s", de && de->msg ? de->msg : "syntax error");
    /* libfyaml reports diagnostics 1-based, unlike event marks */
    rc = at(y, err, de ? de->line : 0, de ? de->column : 0, NULL);
  }
  return rc;
}

static int load_yaml(cq_config *cfg, const char *name, const char *path, const char *text,
                     size_t len, cq_error *err) {
  struct fy_diag_cfg dcfg;
  memset(&dcfg, 0, sizeof dcfg);
  dcfg.fp = NULL;
  dcfg.level = FYET_ERROR;
  dcfg.module_mask = ~0u;
  struct fy_diag *diag = fy_diag_create(&dcfg);
  if (!diag) return cq_error_set(err, CQ_ENOMEM, "reading %s", name);
  fy_diag_set_collect_errors(diag, true);
  struct fy_parse_cfg pcfg = {.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG, .diag = diag};
  struct fy_parser *fyp = fy_parser_create(&pcfg);
  yaml_ctx *y = calloc(1, sizeof *y);
  int rc = CQ_OK;
  if (!fyp || !y) {
    rc = cq_error_set(err, CQ_ENOMEM, "reading %s", name);
    goto done;
  }
  y->cfg = cfg;
  y->name = name;
  if (path ? fy_parser_set_input_file(fyp, path) : fy_parser_set_string(fyp, text, len)) {
    rc = cq_error_set(err, CQ_EIO, "cannot read %s", name);
    goto done;
  }
  rc = parse_yaml(y, fyp, diag, err);
  if (rc == CQ_OK) changes_apply(&y->cs);
done:
  if (y) changes_free(&y->cs);
  free(y);
  if (fyp) fy_parser_destroy(fyp);
  fy_diag_destroy(diag);
  return rc;
}

int cq_config_load_file(cq_config *cfg, const char *path, cq_error *err) {
  FILE *f = fopen(path, "r");
  if (!f) return cq_error_set(err, CQ_EIO, "cannot open %s: %s", path, strerror(errno));
  fclose(f);
  return load_yaml(cfg, path, path, NULL, 0, err);
}

int cq_config_load_string(cq_config *cfg, const char *name, const char *text, size_t len,
                          cq_error *err) {
  return load_yaml(cfg, name, NULL, text, len, err);
}

/* ---- environment and flags ------------------------------------------------------------- */

static void env_name(const char *key, char *out, size_t n) {
  size_t j = cq_strlcpy(out, "CQUANT_", n);
  for (const char *p = key; *p && j + 1 < n; p++, j++)
    out[j] = *p == '.' || *p == '-' ? '_' : (char)toupper((unsigned char)*p);
  out[j < n ? j : n - 1] = '\0';
}

int cq_config_load_env(cq_config *cfg, char *const *envp, bool strict, cq_error *err) {
  changes cs = {0};
  int rc = CQ_OK;
  for (char *const *ep = envp; ep && *ep && rc == CQ_OK; ep++) {
    if (strncmp(*ep, "CQUANT_", 7)) continue;
    const char *eq = strchr(*ep, '=');
    if (!eq) continue;
    size_t nl = (size_t)(eq - *ep);
    entry *e = NULL;
    char name[PATH_MAX_ + 8];
    for (size_t i = 0; i < cfg->n && !e; i++) {
      env_name(cfg->e[i].def->key, name, sizeof name);
      if (strlen(name) == nl && !strncmp(name, *ep, nl)) e = &cfg->e[i];
    }
    if (!e) {
      if (strict) {
        rc = cq_error_set(err, CQ_ECONFIG, "%.*s matches no configuration key", (int)nl, *ep);
      }
      continue;
    }
    change *c = changes_add(&cs);
    if (!c) {
      rc = cq_error_set(err, CQ_ENOMEM, "reading the environment");
      break;
    }
    if ((rc = parse_value(e->def, eq + 1, &c->val, err))) {
      snprintf(name, sizeof name, "%.*s", (int)nl, *ep);
      cq_error_prefix(err, "environment variable %s: ", name);
      cq_error_field(err, e->def->key);
      break;
    }
    c->e = e;
    c->origin = CQ_ORIGIN_ENV;
    snprintf(c->where, sizeof c->where, "%.*s", (int)nl, *ep);
  }
  if (rc == CQ_OK) changes_apply(&cs);
  changes_free(&cs);
  return rc;
}

int cq_config_set(cq_config *cfg, const char *key, const char *value_text, const char *origin,
                  cq_error *err) {
  entry *e = find(cfg, key);
  if (!e) {
    const char *near = closest_key(cfg, key);
    if (near)
      cq_error_set(err, CQ_ECONFIG, "unknown key; did you mean %s?", near);
    else
      cq_error_set(err, CQ_ECONFIG, "unknown key");
    cq_error_field(err, key);
    return CQ_ECONFIG;
  }
  value v;
  int rc = parse_value(e->def, value_text, &v, err);
  if (rc) {
    if (origin) cq_error_prefix(err, "%s: ", origin);
    cq_error_field(err, key);
    value_free(&v);
    return rc;
  }
  value_free(&e->val);
  e->val = v;
  e->origin = CQ_ORIGIN_FLAG;
  snprintf(e->where, sizeof e->where, "%s", origin ? origin : "flag");
  return CQ_OK;
}

/* ---- getters ------------------------------------------------------------------------- */

static int get(const cq_config *cfg, const char *key, cq_config_type t, const entry **out) {
  const entry *e = find(cfg, key);
  if (!e) return CQ_ENOTFOUND;
  if (e->def->type != t && !(t == CQ_CFG_STRING && e->def->type == CQ_CFG_ENUM)) return CQ_ETYPE;
  if (e->origin == CQ_ORIGIN_UNSET) return CQ_ENOTFOUND;
  *out = e;
  return CQ_OK;
}

int cq_config_get_str(const cq_config *cfg, const char *key, const char **out) {
  const entry *e;
  int rc = get(cfg, key, CQ_CFG_STRING, &e);
  if (!rc) *out = e->val.text;
  return rc;
}

int cq_config_get_int(const cq_config *cfg, const char *key, int64_t *out) {
  const entry *e;
  int rc = get(cfg, key, CQ_CFG_INT, &e);
  if (!rc) *out = e->val.v.i;
  return rc;
}

int cq_config_get_double(const cq_config *cfg, const char *key, double *out) {
  const entry *e;
  int rc = get(cfg, key, CQ_CFG_NUMBER, &e);
  if (!rc) *out = e->val.v.d;
  return rc;
}

int cq_config_get_bool(const cq_config *cfg, const char *key, bool *out) {
  const entry *e;
  int rc = get(cfg, key, CQ_CFG_BOOL, &e);
  if (!rc) *out = e->val.v.b;
  return rc;
}

int cq_config_get_duration(const cq_config *cfg, const char *key, int64_t *out_ns) {
  const entry *e;
  int rc = get(cfg, key, CQ_CFG_DURATION, &e);
  if (!rc) *out_ns = e->val.v.i;
  return rc;
}

int cq_config_get_list(const cq_config *cfg, const char *key, const char *const **items,
                       size_t *n) {
  const entry *e;
  int rc = get(cfg, key, CQ_CFG_LIST, &e);
  if (!rc) {
    *items = (const char *const *)e->val.items;
    *n = e->val.nitems;
  }
  return rc;
}

cq_config_origin cq_config_origin_of(const cq_config *cfg, const char *key, const char **where) {
  const entry *e = find(cfg, key);
  if (!e) return CQ_ORIGIN_UNSET;
  if (where) *where = e->origin ? e->where : "unset";
  return e->origin;
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if (*p < 0x20)
      fprintf(f, "\\u%04x", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

void cq_config_dump(const cq_config *cfg, FILE *f, bool json) {
  size_t w = 0;
  for (size_t i = 0; i < cfg->n; i++)
    if (strlen(cfg->e[i].def->key) > w) w = strlen(cfg->e[i].def->key);
  if (json) fputc('{', f);
  for (size_t i = 0; i < cfg->n; i++) {
    const entry *e = &cfg->e[i];
    const char *val = e->origin == CQ_ORIGIN_UNSET ? NULL
                      : cq_key_is_secret(e->def->key)     ? "***"
                                                    : e->val.text;
    const char *where = e->origin ? e->where : "unset";
    if (json) {
      fprintf(f, "%s", i ? "," : "");
      json_str(f, e->def->key);
      fputs(":{\"value\":", f);
      if (val)
        json_str(f, val);
      else
        fputs("null", f);
      fputs(",\"origin\":", f);
      json_str(f, where);
      fputc('}', f);
    } else {
      fprintf(f, "%-*s = %-24s # %s\n", (int)w, e->def->key, val ? val : "(unset)", where);
    }
  }
  if (json) fputs("}\n", f);
}
