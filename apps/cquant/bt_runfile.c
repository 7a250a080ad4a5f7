/* YAML run files for `cquant backtest`: the same settings as the long options.
 *
 *   strategy: sma_cross
 *   symbols: [BTC/USDT, ETH/USDT]     # or symbol: BTC/USDT
 *   tf: 1h
 *   params: {fast: 10, slow: 30}
 *   fee: 0.001
 *   slippage: bps:2
 */
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_backtest.h"

void bt_opts_release(bt_opts *o) {
  for (int i = 0; i < o->n_owned; i++) free(o->owned[i]);
  o->n_owned = 0;
}

static const char *keep(bt_opts *o, const char *s, size_t n) {
  if (o->n_owned >= (int)(sizeof o->owned / sizeof o->owned[0])) return NULL;
  char *c = malloc(n + 1);
  if (!c) return NULL;
  memcpy(c, s, n);
  c[n] = '\0';
  o->owned[o->n_owned++] = c;
  return c;
}

static int fail(cli_ctx *ctx, const char *cmd, const char *path, struct fy_node *n,
                const char *what, const char *key) {
  const struct fy_mark *m = NULL;
  struct fy_token *t = n && fy_node_get_type(n) == FYNT_SCALAR ? fy_node_get_scalar_token(n) : NULL;
  if (t) m = fy_token_start_mark(t);
  if (m)
    fprintf(ctx->err, "cquant %s: %s:%d:%d: %s%s%s\n", cmd, path, m->line + 1, m->column + 1,
            key ? key : "", key ? ": " : "", what);
  else
    fprintf(ctx->err, "cquant %s: %s: %s%s%s\n", cmd, path, key ? key : "", key ? ": " : "", what);
  return CLI_USAGE;
}

static const char *scalar_of(bt_opts *o, struct fy_node *n) {
  if (!n || fy_node_get_type(n) != FYNT_SCALAR) return NULL;
  size_t len = 0;
  const char *s = fy_node_get_scalar(n, &len);
  return s ? keep(o, s, len) : NULL;
}

typedef struct key_map {
  const char *key;
  const char **str;
  bool *flag;
} key_map;

static int load_root(cli_ctx *ctx, const char *cmd, const char *path, struct fy_node *root,
                     bt_opts *o) {
  const key_map keys[] = {
      {"strategy", &o->strategy, NULL},
      {"venue", &o->venue, NULL},
      {"tf", &o->tf, NULL},
      {"from", &o->from, NULL},
      {"to", &o->to, NULL},
      {"store", &o->store, NULL},
      {"engine", &o->engine, NULL},
      {"fee", &o->fee, NULL},
      {"maker_fee", &o->maker_fee, NULL},
      {"taker_fee", &o->taker_fee, NULL},
      {"slippage", &o->slippage, NULL},
      {"latency", &o->latency, NULL},
      {"fill_latency", &o->fill_latency, NULL},
      {"fill", &o->fill, NULL},
      {"size", &o->size, NULL},
      {"cash", &o->cash, NULL},
      {"quote", &o->quote, NULL},
      {"volume_share", &o->volume_share, NULL},
      {"report", &o->report, NULL},
      {"output", &o->output, NULL},
      {"touch_fill", NULL, &o->touch_fill},
      {"allow_gaps", NULL, &o->allow_gaps},
      {"ticks", NULL, &o->ticks},
  };
  if (!root || fy_node_get_type(root) != FYNT_MAPPING)
    return fail(ctx, cmd, path, root, "a run file is a mapping of settings (strategy: ...)", NULL);
  void *it = NULL;
  struct fy_node_pair *pair;
  while ((pair = fy_node_mapping_iterate(root, &it))) {
    struct fy_node *kn = fy_node_pair_key(pair), *vn = fy_node_pair_value(pair);
    char key[64];
    size_t kl = 0;
    const char *ks = kn && fy_node_get_type(kn) == FYNT_SCALAR ? fy_node_get_scalar(kn, &kl) : NULL;
    if (!ks || kl >= sizeof key) return fail(ctx, cmd, path, kn, "expected a setting name", NULL);
    memcpy(key, ks, kl);
    key[kl] = '\0';
    for (char *p = key; *p; p++)
      if (*p == '-') *p = '_';
    if (!strcmp(key, "symbol") || !strcmp(key, "symbols")) {
      if (fy_node_get_type(vn) == FYNT_SEQUENCE) {
        void *si = NULL;
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate(vn, &si))) {
          const char *v = scalar_of(o, item);
          if (!v || o->symbols.n >= CLI_LIST_MAX)
            return fail(ctx, cmd, path, item, "expected a symbol such as BTC/USDT", key);
          o->symbols.v[o->symbols.n++] = v;
        }
      } else {
        const char *v = scalar_of(o, vn);
        if (!v) return fail(ctx, cmd, path, vn, "expected a symbol or a list of them", key);
        o->symbols.v[o->symbols.n++] = v;
      }
      continue;
    }
    if (!strcmp(key, "params")) {
      if (fy_node_get_type(vn) != FYNT_MAPPING)
        return fail(ctx, cmd, path, vn, "expected a mapping of parameter: value", key);
      void *pi = NULL;
      struct fy_node_pair *pp;
      while ((pp = fy_node_mapping_iterate(vn, &pi))) {
        struct fy_node *pk = fy_node_pair_key(pp), *pv = fy_node_pair_value(pp);
        size_t nl = 0, vl = 0;
        const char *ns =
            pk && fy_node_get_type(pk) == FYNT_SCALAR ? fy_node_get_scalar(pk, &nl) : NULL;
        const char *vs =
            pv && fy_node_get_type(pv) == FYNT_SCALAR ? fy_node_get_scalar(pv, &vl) : NULL;
        if (!ns || !vs) return fail(ctx, cmd, path, pv ? pv : pk, "expected name: value", key);
        char buf[160];
        int w = snprintf(buf, sizeof buf, "%.*s=%.*s", (int)nl, ns, (int)vl, vs);
        const char *a = w > 0 && (size_t)w < sizeof buf ? keep(o, buf, (size_t)w) : NULL;
        if (!a || o->params.n >= CLI_LIST_MAX)
          return fail(ctx, cmd, path, pv, "parameter too long or too many", key);
        o->params.v[o->params.n++] = a;
      }
      continue;
    }
    size_t i = 0, nk = sizeof keys / sizeof keys[0];
    while (i < nk && strcmp(keys[i].key, key)) i++;
    if (i == nk) {
      char what[256] = "unknown setting; known: symbols, params";
      for (size_t k = 0; k < nk; k++) {
        size_t used = strlen(what);
        snprintf(what + used, sizeof what - used, ", %s", keys[k].key);
      }
      return fail(ctx, cmd, path, kn, what, key);
    }
    const char *v = scalar_of(o, vn);
    if (!v) return fail(ctx, cmd, path, vn, "expected a single value", key);
    if (keys[i].str) {
      *keys[i].str = v;
    } else if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1")) {
      *keys[i].flag = true;
    } else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0")) {
      *keys[i].flag = false;
    } else {
      return fail(ctx, cmd, path, vn, "expected true or false", key);
    }
  }
  return CLI_OK;
}

int bt_runfile_load(cli_ctx *ctx, const char *cmd, const char *path, bt_opts *o) {
  struct fy_parse_cfg pc = {.flags = FYPCF_QUIET};
  struct fy_document *doc = fy_document_build_from_file(&pc, path);
  if (!doc) {
    FILE *f = fopen(path, "r");
    if (!f) {
      fprintf(ctx->err, "cquant %s: cannot read run file %s\n", cmd, path);
      return CLI_FAIL;
    }
    fclose(f);
    fprintf(ctx->err, "cquant %s: %s: not valid YAML\n", cmd, path);
    return CLI_USAGE;
  }
  int rc = load_root(ctx, cmd, path, fy_document_root(doc), o);
  fy_document_destroy(doc);
  return rc;
}
