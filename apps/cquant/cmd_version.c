#include "cli.h"

#include "cquant/version_gen.h"

const char cmd_version_usage[] =
    "usage: cquant version [--json]\n"
    "\n"
    "Prints the version, the git commit it was built from, the build type and the\n"
    "backends compiled in.\n";

int cmd_version(cli_ctx *ctx, int argc, char **argv) {
  (void)argc;
  (void)argv;
  if (ctx->json) {
    fprintf(ctx->out,
            "{\"version\":\"%s\",\"commit\":\"%s\",\"build_type\":\"%s\",\"backends\":{"
            "\"store\":[],\"bus\":[],\"venue\":[]}}\n",
            CQ_VERSION, CQ_GIT_COMMIT, CQ_BUILD_TYPE);
  } else {
    fprintf(ctx->out, "cquant %s\ncommit:     %s\nbuild type: %s\nbackends:   (none yet)\n",
            CQ_VERSION, CQ_GIT_COMMIT, CQ_BUILD_TYPE);
  }
  return CLI_OK;
}
