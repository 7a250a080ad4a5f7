#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_command commands[] = {
    {"version", cmd_version, "print version, commit, build type and backends", cmd_version_usage},
};

bool cli_wants_help(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return true;
  return false;
}

int main(int argc, char **argv) {
  cli_ctx ctx = {.prog = "cquant", .out = stdout, .err = stderr};
  if (argc < 2) {
    fprintf(stderr, "usage: cquant <command>\n");
    return CLI_USAGE;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(argv[1], commands[i].name)) return commands[i].run(&ctx, argc - 2, argv + 2);
  fprintf(stderr, "cquant: unknown command '%s'\n", argv[1]);
  return CLI_USAGE;
}
