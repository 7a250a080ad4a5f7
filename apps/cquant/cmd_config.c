#include <string.h>

#include "cli.h"

const char cmd_config_usage[] =
    "usage: cquant config [show] [--json]\n"
    "       cquant config check FILE\n"
    "\n"
    "show (the default) prints every configuration key with its effective value and where it\n"
    "came from: the default, a YAML file (file:line:column), a CQUANT_* environment variable,\n"
    "or a flag. Later sources win: defaults < --config FILE (or CQUANT_CONFIG) < environment\n"
    "< --log-level, --log-format, --log-file and --set KEY=VALUE.\n"
    "\n"
    "check FILE validates a configuration file and exits 0 when it is good, 2 otherwise, with\n"
    "file:line:column and key for each problem. Values of secret keys are never shown.\n"
    "\n"
    "Environment variable names are the key upper-cased with '.' as '_':\n"
    "log.level is CQUANT_LOG_LEVEL, store is CQUANT_STORE.\n";

int cmd_config(cli_ctx *ctx, int argc, char **argv) {
  if (argc == 0 || !strcmp(argv[0], "show")) {
    if (argc > 1) {
      fprintf(ctx->err, "cquant config show: unexpected argument \"%s\"\n", argv[1]);
      return CLI_USAGE;
    }
    cq_config_dump(ctx->cfg, ctx->out, ctx->json);
    return CLI_OK;
  }
  if (!strcmp(argv[0], "check")) {
    if (argc != 2) {
      fprintf(ctx->err, "usage: cquant config check FILE\n");
      return CLI_USAGE;
    }
    cq_error e;
    if (cq_config_load_file(ctx->cfg, argv[1], &e)) {
      char msg[1024];
      cq_error_format(&e, msg, sizeof msg);
      fprintf(ctx->err, "cquant config check: %s\n", msg);
      return CLI_USAGE;
    }
    fprintf(ctx->out, "%s: ok\n", argv[1]);
    return CLI_OK;
  }
  fprintf(ctx->err, "cquant config: unknown command '%s' (show, check)\n", argv[0]);
  return CLI_USAGE;
}
