/* cquant: the one command-line tool. Global options, then a subcommand from the table. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cquant/core/strutil.h"

/* The dispatch table: one cmd_<name>.c per entry, in the order `cquant --help` lists them. */
static const cli_command commands[] = {
    {"version", cmd_version, "print version, commit, build type and compiled-in backends",
     cmd_version_usage, false},
    {"config", cmd_config, "show the effective configuration and where each value came from",
     cmd_config_usage, false},
    {"data", cmd_data, "import, export, list, check and resample market data", cmd_data_usage,
     true},
    {"indicators", cmd_indicators,
     "list the technical indicators, show one, compute them over candles", cmd_indicators_usage,
     true},
    {"features", cmd_features, "build feature sets over stored candles, export, list them",
     cmd_features_usage, true},
    {"backtest", cmd_backtest,
     "run a strategy over stored candles; list, show and compare stored runs",
     cmd_backtest_usage, true},
    {"optimize", cmd_optimize,
     "search a strategy's parameters (grid, random, TPE) in parallel; list stored studies",
     cmd_optimize_usage, true},
    {"walkforward", cmd_walkforward,
     "optimize in sample, trade out of sample, window after window; stitch the results",
     cmd_walkforward_usage, true},
    {"evaluate", cmd_evaluate,
     "score strategies over several symbols and periods into a ranked scorecard",
     cmd_evaluate_usage, false},
    {"compare", cmd_compare, "stored backtest runs side by side (as backtest compare)",
     cmd_compare_usage, false},
    {"backfill", cmd_backfill,
     "candle history from a venue into the store, resumable, within its rate limits",
     cmd_backfill_usage, false},
    {"stream", cmd_stream,
     "live capture: venue streams to the bus and the store, live candles, feed health",
     cmd_stream_usage, true},
    {"venue-sim", cmd_venue_sim,
     "a local Binance spot exchange (REST and WebSocket) on a simulated market",
     cmd_venue_sim_usage, false},
    {"demo", cmd_demo, "the main job: import, check and resample sample market data",
     cmd_demo_usage, false},
    {"help", cmd_help, "show help for cquant or one of its commands", cmd_help_usage, false},
};
static const size_t ncommands = sizeof commands / sizeof commands[0];

static const char global_usage[] =
    "usage: cquant [global options] <command> [options]\n"
    "\n"
    "cquant is a quantitative trading system for crypto markets: market data, research,\n"
    "backtests, paper and live trading, in one C code base.\n"
    "\n"
    "Global options (accepted before or after the command):\n"
    "  --config FILE       YAML configuration file (also CQUANT_CONFIG)\n"
    "  --log-level LEVEL   trace, debug, info, warn, error or off (also CQUANT_LOG_LEVEL)\n"
    "  --log-format FMT    text, json or auto (auto: text on a terminal, JSON lines otherwise)\n"
    "  --log-file PATH     append log lines to PATH instead of stderr\n"
    "  --set KEY=VALUE     set any configuration key (repeatable); wins over file and env\n"
    "  --json              machine-readable output on stdout\n"
    "  -h, --help          this help; `cquant <command> --help` for a command\n"
    "  --version           same as `cquant version`\n";

const cli_command *cli_find(const char *name) {
  for (size_t i = 0; i < ncommands; i++)
    if (!strcmp(commands[i].name, name)) return &commands[i];
  return NULL;
}

const char *cli_closest(const char *name) {
  const char *best = NULL;
  size_t best_d = (size_t)-1;
  for (size_t i = 0; i < ncommands; i++) {
    size_t d = cq_edit_distance(name, commands[i].name);
    /* a prefix ("vers") is a strong hint whatever its distance */
    if (!strncmp(commands[i].name, name, strlen(name)) && strlen(name) >= 2) d = 1;
    if (d < best_d) {
      best_d = d;
      best = commands[i].name;
    }
  }
  size_t len = strlen(name);
  size_t limit = len < 4 ? 2 : len / 2 + 1;
  return best_d <= limit ? best : NULL;
}

void cli_print_usage(FILE *f) {
  fputs(global_usage, f);
  fputs("\nCommands:\n", f);
  for (size_t i = 0; i < ncommands; i++)
    fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

bool cli_wants_help(int argc, char **argv) {
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--")) break;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return true;
  }
  return false;
}

int cmd_help(cli_ctx *ctx, int argc, char **argv) {
  if (argc == 0) {
    cli_print_usage(ctx->out);
    return CLI_OK;
  }
  const cli_command *c = cli_find(argv[0]);
  if (!c) return cli_unknown_command(ctx, argv[0]);
  fputs(c->usage, ctx->out);
  return CLI_OK;
}

const char cmd_help_usage[] =
    "usage: cquant help [COMMAND]\n"
    "\n"
    "Shows the list of commands, or the help of one command.\n";

int cli_unknown_command(cli_ctx *ctx, const char *name) {
  const char *near = cli_closest(name);
  if (near)
    fprintf(ctx->err, "cquant: '%s' is not a cquant command. Did you mean '%s'?\n", name, near);
  else
    fprintf(ctx->err, "cquant: '%s' is not a cquant command. See 'cquant --help'.\n", name);
  return CLI_USAGE;
}

int main(int argc, char **argv) {
  cli_ctx ctx;
  int rc = cli_ctx_init(&ctx, argc, argv);
  if (rc != CLI_OK || ctx.done) {
    cli_ctx_release(&ctx);
    return rc;
  }
  const cli_command *c = cli_find(ctx.command);
  if (!c) {
    rc = cli_unknown_command(&ctx, ctx.command);
  } else if (c->own_help ? ctx.argc > 0 && cli_wants_help(1, ctx.argv)
                         : cli_wants_help(ctx.argc, ctx.argv)) {
    fputs(c->usage, ctx.out);
    rc = CLI_OK;
  } else {
    rc = c->run(&ctx, ctx.argc, ctx.argv);
  }
  cli_ctx_release(&ctx);
  return rc;
}
