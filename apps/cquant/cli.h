/* The cquant command line: one cmd_<name>.c per subcommand, dispatched from a table. */
#ifndef CQUANT_APP_CLI_H
#define CQUANT_APP_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "cquant/core.h"

/* Exit statuses shared by every subcommand. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* What every subcommand receives: global options already applied. */
typedef struct cli_ctx {
  const char *prog;
  bool json;   /* --json: machine-readable output on stdout */
  FILE *out;   /* stdout */
  FILE *err;   /* stderr */
} cli_ctx;

typedef int (*cli_fn)(cli_ctx *ctx, int argc, char **argv);

typedef struct cli_command {
  const char *name;
  cli_fn run;
  const char *summary; /* one line for `cquant --help` */
  const char *usage;   /* the whole `cquant <name> --help` text */
} cli_command;

int cmd_version(cli_ctx *ctx, int argc, char **argv);
extern const char cmd_version_usage[];

/* True when argv holds -h or --help. */
bool cli_wants_help(int argc, char **argv);

#endif
