#include "cli.h"
#include "cquant/store.h"
#include "cquant/version_gen.h"

const char cmd_version_usage[] =
    "usage: cquant version [--json]\n"
    "\n"
    "Prints the version, the git commit it was built from, the build type and the\n"
    "backends compiled in.\n";

int cmd_version(cli_ctx *ctx, int argc, char **argv) {
  (void)argv;
  if (argc > 0) {
    fprintf(ctx->err, "cquant version: takes no arguments\n");
    return CLI_USAGE;
  }
  const char *const *stores = cq_store_backends();
  if (ctx->json) {
    fprintf(ctx->out,
            "{\"version\":\"%s\",\"commit\":\"%s\",\"build_type\":\"%s\",\"backends\":{\"store\":[",
            CQ_VERSION, CQ_GIT_COMMIT, CQ_BUILD_TYPE);
    for (size_t i = 0; stores[i]; i++) fprintf(ctx->out, "%s\"%s\"", i ? "," : "", stores[i]);
    fputs("]}}\n", ctx->out);
  } else {
    fprintf(ctx->out, "cquant %s\ncommit:     %s\nbuild type: %s\nstores:    ", CQ_VERSION,
            CQ_GIT_COMMIT, CQ_BUILD_TYPE);
    for (size_t i = 0; stores[i]; i++) fprintf(ctx->out, " %s", stores[i]);
    fputc('\n', ctx->out);
  }
  return CLI_OK;
}
