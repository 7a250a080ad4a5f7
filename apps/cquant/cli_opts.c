/* Option parsing shared by every subcommand. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cquant/core/strutil.h"
#include "cquant/model.h"

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
        fprintf(ctx->err, "cquant %s: unexpected argument \"%s\" (see cquant %s --help)\n", cmd, a,
                cmd);
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
        fprintf(ctx->err, "cquant %s: unknown option %s (see cquant %s --help)\n", cmd, name, cmd);
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
      case '"':
        fputs("\\\"", f);
        break;
      case '\\':
        fputs("\\\\", f);
        break;
      case '\n':
        fputs("\\n", f);
        break;
      case '\r':
        fputs("\\r", f);
        break;
      case '\t':
        fputs("\\t", f);
        break;
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

int cli_dispatch(cli_ctx *ctx, const char *command, const char *usage, const cli_subcommand *subs,
                 size_t n, int argc, char **argv) {
  if (argc == 0) {
    fputs(usage, ctx->err);
    return CLI_USAGE;
  }
  const char *names[32];
  char list[256] = "";
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    if (!strcmp(argv[0], subs[i].name)) {
      if (cli_wants_help(argc - 1, argv + 1)) {
        fputs(subs[i].usage, ctx->out);
        return CLI_OK;
      }
      return subs[i].run(ctx, argc - 1, argv + 1);
    }
    if (i < sizeof names / sizeof names[0]) names[i] = subs[i].name;
    int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", subs[i].name);
    if (w > 0 && (size_t)w < sizeof list - used) used += (size_t)w;
  }
  size_t nn = n < sizeof names / sizeof names[0] ? n : sizeof names / sizeof names[0];
  const char *near = cq_closest(argv[0], names, nn, 2);
  if (near)
    fprintf(ctx->err, "cquant %s: unknown command '%s'; did you mean '%s'? (%s)\n", command,
            argv[0], near, list);
  else
    fprintf(ctx->err, "cquant %s: unknown command '%s' (%s)\n", command, argv[0], list);
  return CLI_USAGE;
}

void cli_put_number(FILE *f, double v, bool json) {
  if (isnan(v) || isinf(v)) {
    if (json) fputs("null", f);
    return;
  }
  char buf[40];
  cq_format_double(v, buf, sizeof buf);
  fputs(buf, f);
}

int cli_output_open(cli_ctx *ctx, const char *cmd, const char *path, cli_output *o) {
  *o = (cli_output){.f = ctx->out, .path = path};
  if (!path) return CLI_OK;
  int n = snprintf(o->tmp, sizeof o->tmp, "%s.partial", path);
  if (n < 0 || (size_t)n >= sizeof o->tmp) {
    fprintf(ctx->err, "cquant %s: --output: path too long\n", cmd);
    return CLI_FAIL;
  }
  if (!(o->f = fopen(o->tmp, "w"))) {
    fprintf(ctx->err, "cquant %s: cannot write %s: %s\n", cmd, o->tmp, strerror(errno));
    return CLI_FAIL;
  }
  return CLI_OK;
}

int cli_output_close(cli_output *o, int rc, cq_error *err) {
  if (!o->path) {
    if (!rc && (fflush(o->f) != 0 || ferror(o->f)))
      rc = cq_error_set(err, CQ_EIO, "writing to stdout failed: %s", strerror(errno));
    return rc;
  }
  if (fclose(o->f) != 0 && !rc)
    rc = cq_error_set(err, CQ_EIO, "writing %s: %s", o->tmp, strerror(errno));
  if (!rc && rename(o->tmp, o->path) != 0)
    rc = cq_error_set(err, CQ_EIO, "renaming %s to %s: %s", o->tmp, o->path, strerror(errno));
  if (rc) remove(o->tmp);
  o->f = NULL;
  return rc;
}
