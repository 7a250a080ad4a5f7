/* Option parsing shared by every subcommand. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cquant/core/strutil.h"

static const cli_opt *find_opt(const cli_opt *opts, size_t n, const char *name, size_t len) {
  for (size_t i = 0; i < n; i++) {
    if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len)) return &opts[i];
    if (opts[i].alias && strlen(opts[i].alias) == len && !strncmp(opts[i].alias, name, len))
      return &opts[i];
  }
  return NULL;
}

static int set_value(cli_ctx *ctx, const char *cmd, const cli_opt *o, const char *v) {
  char *end;
  switch (o->kind) {
    case CLI_FLAG:
      *(bool *)o->dest = true;
      return CLI_OK;
    case CLI_STR:
      *(const char **)o->dest = v;
      return CLI_OK;
    case CLI_SIZE: {
      errno = 0;
      unsigned long long x = strtoull(v, &end, 10);
      if (errno || end == v || *end || v[0] == '-') {
        fprintf(ctx->err, "cquant %s: %s: expected a whole number, got \"%s\"\n", cmd, o->name, v);
        return CLI_USAGE;
      }
      *(size_t *)o->dest = (size_t)x;
      return CLI_OK;
    }
    case CLI_DOUBLE: {
      errno = 0;
      double x = strtod(v, &end);
      if (errno || end == v || *end) {
        fprintf(ctx->err, "cquant %s: %s: expected a number, got \"%s\"\n", cmd, o->name, v);
        return CLI_USAGE;
      }
      *(double *)o->dest = x;
      return CLI_OK;
    }
    case CLI_LIST: {
      cli_list *l = o->dest;
      if (l->n >= CLI_LIST_MAX) {
        fprintf(ctx->err, "cquant %s: %s: at most %d times\n", cmd, o->name, CLI_LIST_MAX);
        return CLI_USAGE;
      }
      l->v[l->n++] = v;
      return CLI_OK;
    }
  }
  return CLI_USAGE;
}

int cli_parse(cli_ctx *ctx, const char *cmd, int argc, char **argv, const cli_opt *opts,
              size_t nopts, const char **pos, int maxpos, int *npos) {
  *npos = 0;
  bool only_pos = false;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!only_pos && !strcmp(a, "--")) {
      only_pos = true;
      continue;
    }
    if (only_pos || a[0] != '-' || !a[1]) {
      if (*npos >= maxpos) {
        fprintf(ctx->err, "cquant %s: unexpected argument \"%s\" (see cquant %s --help)\n", cmd,
                a, cmd);
        return CLI_USAGE;
      }
      pos[(*npos)++] = a;
      continue;
    }
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    const cli_opt *o = find_opt(opts, nopts, a, len);
    if (!o) {
      const char *best = NULL;
      size_t bd = (size_t)-1;
      char name[64];
      snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), a);
      for (size_t k = 0; k < nopts; k++) {
        size_t d = cq_edit_distance(name, opts[k].name);
        if (d < bd) {
          bd = d;
          best = opts[k].name;
        }
      }
      if (best && bd <= 3)
        fprintf(ctx->err, "cquant %s: unknown option %s; did you mean %s?\n", cmd, name, best);
      else
        fprintf(ctx->err, "cquant %s: unknown option %s (see cquant %s --help)\n", cmd, name,
                cmd);
      return CLI_USAGE;
    }
    const char *v = NULL;
    if (o->kind == CLI_FLAG) {
      if (eq) {
        fprintf(ctx->err, "cquant %s: %s takes no value\n", cmd, o->name);
        return CLI_USAGE;
      }
    } else if (eq) {
      v = eq + 1;
    } else if (i + 1 < argc) {
      v = argv[++i];
    } else {
      fprintf(ctx->err, "cquant %s: %s needs a value\n", cmd, o->name);
      return CLI_USAGE;
    }
    int rc = set_value(ctx, cmd, o, v);
    if (rc) return rc;
  }
  return CLI_OK;
}

int cli_parse_time(cli_ctx *ctx, const char *cmd, const char *flag, const char *value,
                   cq_time *out) {
  cq_error e;
  if (cq_time_parse_point(value, cq_clock_now(&ctx->clock), out, &e)) {
    fprintf(ctx->err, "cquant %s: %s: %s\n", cmd, flag, e.msg);
    return CLI_USAGE;
  }
  return CLI_OK;
}

void cli_progress_opts(cli_ctx *ctx, cq_progress_opts *o, const char *label, const char *unit,
                       uint64_t total) {
  memset(o, 0, sizeof *o);
  o->out = ctx->json && !ctx->tty ? NULL : ctx->err;
  o->animate = ctx->tty;
  o->clock = &ctx->clock;
  o->label = label;
  o->unit = unit;
  o->total = total;
}

void cli_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': fputs("\\\"", f); break;
      case '\\': fputs("\\\\", f); break;
      case '\n': fputs("\\n", f); break;
      case '\r': fputs("\\r", f); break;
      case '\t': fputs("\\t", f); break;
      default:
        if (*p < 0x20)
          fprintf(f, "\\u%04x", *p);
        else
          fputc(*p, f);
    }
  }
  fputc('"', f);
}

void cli_report_error(cli_ctx *ctx, const char *cmd, const cq_error *e) {
  char msg[1024];
  cq_error_format(e, msg, sizeof msg);
  if (ctx->json) {
    fputs("{\"error\":", ctx->out);
    cli_json_string(ctx->out, msg);
    fprintf(ctx->out, ",\"code\":\"%s\"}\n", cq_errname(e->code));
  }
  fprintf(ctx->err, "cquant %s: %s\n", cmd, msg);
}
