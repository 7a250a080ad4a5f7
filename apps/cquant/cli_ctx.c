/* Global options, configuration and logging for every subcommand. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cquant/store.h"
#include "cquant/version_gen.h"

extern char **environ;

static const char *const log_levels[] = {"trace", "debug", "info", "warn", "error", "off", NULL};
static const char *const log_formats[] = {"auto", "text", "json", NULL};
static const char *const colors[] = {"auto", "always", "never", NULL};

/* The application's own configuration keys. */
static const cq_config_key app_keys[] = {
    {"log.level", CQ_CFG_ENUM, "info", "least severe level written", log_levels, 0, 0},
    {"log.format", CQ_CFG_ENUM, "auto", "text, json, or auto (text on a terminal)", log_formats, 0,
     0},
    {"log.file", CQ_CFG_STRING, NULL, "append log lines to this file instead of stderr", NULL, 0,
     0},
    {"log.color", CQ_CFG_ENUM, "auto", "colours in text logs", colors, 0, 0},
    {"store", CQ_CFG_STRING, CQ_STORE_DEFAULT_URI, "market-data store: sqlite:PATH or postgres://",
     NULL, 0, 0},
};

/* Global flags that take a value, and the configuration key each sets (NULL: handled here). */
static const struct {
  const char *flag;
  const char *key;
} value_flags[] = {
    {"--config", NULL},           {"--set", NULL},
    {"--log-level", "log.level"}, {"--log-format", "log.format"},
    {"--log-file", "log.file"},
};

static bool truthy_env(const char *name) {
  const char *v = getenv(name);
  return v && *v && strcmp(v, "0") && strcasecmp(v, "false");
}

static int usage_error(cli_ctx *ctx, const cq_error *e) {
  char msg[1024];
  cq_error_format(e, msg, sizeof msg);
  fprintf(ctx->err, "cquant: %s\n", msg);
  return CLI_USAGE;
}

/* Applies one global flag with a value to the configuration. */
static int apply_flag(cli_ctx *ctx, const char *flag, const char *value) {
  cq_error e;
  if (!strcmp(flag, "--config")) {
    free(ctx->config_path);
    ctx->config_path = strdup(value);
    return ctx->config_path ? CLI_OK : CLI_FAIL;
  }
  if (!strcmp(flag, "--set")) {
    const char *eq = strchr(value, '=');
    if (!eq || eq == value) {
      fprintf(ctx->err, "cquant: --set: expected KEY=VALUE, got \"%s\"\n", value);
      return CLI_USAGE;
    }
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)(eq - value), value);
    if (cq_config_set(ctx->cfg, key, eq + 1, "--set", &e)) return usage_error(ctx, &e);
    return CLI_OK;
  }
  for (size_t i = 0; i < sizeof value_flags / sizeof value_flags[0]; i++) {
    if (strcmp(flag, value_flags[i].flag) || !value_flags[i].key) continue;
    if (cq_config_set(ctx->cfg, value_flags[i].key, value, flag, &e)) return usage_error(ctx, &e);
    return CLI_OK;
  }
  return CLI_USAGE;
}

static bool is_value_flag(const char *a, size_t len) {
  for (size_t i = 0; i < sizeof value_flags / sizeof value_flags[0]; i++)
    if (strlen(value_flags[i].flag) == len && !strncmp(a, value_flags[i].flag, len)) return true;
  return false;
}

static int open_log(cli_ctx *ctx) {
  const char *level_s, *format_s, *color_s, *file = NULL;
  cq_error e;
  if (cq_config_get_str(ctx->cfg, "log.level", &level_s) ||
      cq_config_get_str(ctx->cfg, "log.format", &format_s) ||
      cq_config_get_str(ctx->cfg, "log.color", &color_s))
    return CLI_FAIL;
  if (cq_config_get_str(ctx->cfg, "log.file", &file)) file = NULL;
  cq_log_opts o = {.sink = ctx->err, .path = file, .clock = &ctx->clock};
  if (cq_log_level_parse(level_s, &o.level, &e)) return usage_error(ctx, &e);
  bool term = isatty(fileno(ctx->err)) && !file;
  o.format = !strcmp(format_s, "json")   ? CQ_LOG_JSON
             : !strcmp(format_s, "text") ? CQ_LOG_TEXT
             : term                      ? CQ_LOG_TEXT
                                         : CQ_LOG_JSON;
  o.color = !strcmp(color_s, "always") ||
            (!strcmp(color_s, "auto") && term && !getenv("NO_COLOR") && !truthy_env("CI"));
  if (cq_log_new(&o, &ctx->log, &e)) {
    char msg[1024];
    cq_error_format(&e, msg, sizeof msg);
    fprintf(ctx->err, "cquant: %s\n", msg);
    return CLI_FAIL;
  }
  return CLI_OK;
}

int cli_ctx_init(cli_ctx *ctx, int argc, char **argv) {
  memset(ctx, 0, sizeof *ctx);
  ctx->prog = "cquant";
  ctx->out = stdout;
  ctx->err = stderr;
  cq_clock_wall_init(&ctx->clock);
  ctx->tty = isatty(fileno(stderr)) && !truthy_env("CI");
  cq_error e;
  if (cq_config_new(&ctx->cfg, &e) ||
      cq_config_declare(ctx->cfg, app_keys, sizeof app_keys / sizeof app_keys[0], &e)) {
    fprintf(ctx->err, "cquant: %s\n", e.msg);
    return CLI_FAIL;
  }
  ctx->argv = calloc((size_t)argc + 1, sizeof *ctx->argv);
  /* flags with values are applied after the file and the environment: remember them */
  const char **pending = calloc((size_t)argc + 1, sizeof *pending);
  if (!ctx->argv || !pending) {
    free(pending);
    fprintf(ctx->err, "cquant: out of memory\n");
    return CLI_FAIL;
  }
  int npending = 0, rc = CLI_OK;
  bool help = false, version = false, rest = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (rest) {
      ctx->argv[ctx->argc++] = argv[i];
      continue;
    }
    if (!strcmp(a, "--")) {
      rest = true;
      ctx->argv[ctx->argc++] = argv[i];
      continue;
    }
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    if (!strcmp(a, "--json")) {
      ctx->json = true;
    } else if (!ctx->command && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
      help = true;
    } else if (!ctx->command && !strcmp(a, "--version")) {
      version = true;
    } else if (a[0] == '-' && is_value_flag(a, len)) {
      if (!eq && i + 1 >= argc) {
        fprintf(ctx->err, "cquant: %s needs a value\n", a);
        rc = CLI_USAGE;
        goto done;
      }
      pending[npending++] = a;
      pending[npending++] = eq ? eq + 1 : argv[++i];
    } else if (!ctx->command && a[0] == '-') {
      fprintf(ctx->err, "cquant: unknown global option %s (see cquant --help)\n", a);
      rc = CLI_USAGE;
      goto done;
    } else if (!ctx->command) {
      ctx->command = a;
    } else {
      ctx->argv[ctx->argc++] = argv[i];
    }
  }
  /* --config first (it names the file), then file < environment < flags */
  for (int i = 0; i < npending; i += 2) {
    char flag[32];
    snprintf(flag, sizeof flag, "%.*s", (int)strcspn(pending[i], "="), pending[i]);
    if (!strcmp(flag, "--config") && (rc = apply_flag(ctx, flag, pending[i + 1]))) goto done;
  }
  const char *env_config = getenv("CQUANT_CONFIG");
  if (!ctx->config_path && env_config && *env_config) {
    ctx->config_path = strdup(env_config);
    if (!ctx->config_path) {
      rc = CLI_FAIL;
      goto done;
    }
  }
  if (ctx->config_path && cq_config_load_file(ctx->cfg, ctx->config_path, &e)) {
    rc = usage_error(ctx, &e);
    goto done;
  }
  if (cq_config_load_env(ctx->cfg, environ, false, &e)) {
    rc = usage_error(ctx, &e);
    goto done;
  }
  for (int i = 0; i < npending; i += 2) {
    char flag[32];
    snprintf(flag, sizeof flag, "%.*s", (int)strcspn(pending[i], "="), pending[i]);
    if (strcmp(flag, "--config") && (rc = apply_flag(ctx, flag, pending[i + 1]))) goto done;
  }
  if ((rc = open_log(ctx))) goto done;
  if (help) {
    cli_print_usage(ctx->out);
    ctx->done = true;
  } else if (version) {
    rc = cmd_version(ctx, 0, NULL);
    ctx->done = true;
  } else if (!ctx->command) {
    cli_print_usage(ctx->err);
    rc = CLI_USAGE;
  }
done:
  free(pending);
  return rc;
}

void cli_ctx_release(cli_ctx *ctx) {
  cq_log_free(ctx->log);
  cq_config_free(ctx->cfg);
  free(ctx->argv);
  free(ctx->config_path);
}

const char *cli_store_uri(cli_ctx *ctx, const char *flag_value) {
  const char *uri = NULL;
  if (flag_value) return flag_value;
  if (cq_config_get_str(ctx->cfg, "store", &uri) == CQ_OK) return uri;
  return CQ_STORE_DEFAULT_URI;
}
