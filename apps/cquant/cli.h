/* The cquant command line: one cmd_<name>.c per subcommand, dispatched from a table. */
#ifndef CQUANT_APP_CLI_H
#define CQUANT_APP_CLI_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "cquant/core.h"

/* Exit statuses shared by every subcommand. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* What every subcommand receives: global options already applied. */
typedef struct cli_ctx {
  const char *prog;
  bool json;      /* --json: machine-readable output on stdout */
  bool tty;       /* stderr is a terminal and CI is not set: animate progress, colours */
  bool done;      /* a global option (--help, --version) already did the whole job */
  FILE *out;      /* stdout */
  FILE *err;      /* stderr */
  cq_clock clock; /* the wall clock */
  cq_config *cfg; /* effective configuration: defaults < file < CQUANT_* env < flags */
  cq_log *log;
  const char *command; /* the subcommand's name */
  int argc;            /* the subcommand's own arguments, global options removed */
  char **argv;
  char *config_path; /* --config or CQUANT_CONFIG, NULL when none */
} cli_ctx;

typedef int (*cli_fn)(cli_ctx *ctx, int argc, char **argv);

typedef struct cli_command {
  const char *name;
  cli_fn run;
  const char *summary; /* one line for `cquant --help` */
  const char *usage;   /* the whole `cquant <name> --help` text */
  bool own_help;       /* the command has subcommands and answers --help itself */
} cli_command;

/* Parses global options, loads the configuration and opens the log. CLI_OK, or the exit
 * status to end with (the message already printed). */
int cli_ctx_init(cli_ctx *ctx, int argc, char **argv);
void cli_ctx_release(cli_ctx *ctx);

const cli_command *cli_find(const char *name);
/* The command closest to a mistyped name, or NULL when none is close. */
const char *cli_closest(const char *name);
int cli_unknown_command(cli_ctx *ctx, const char *name);
void cli_print_usage(FILE *f);
/* True when argv holds -h or --help (before any "--"). */
bool cli_wants_help(int argc, char **argv);
/* JSON string literal of s, escaped, on f. */
void cli_json_string(FILE *f, const char *s);
/* Prints "cquant <cmd>: <formatted error>" on stderr (and a JSON object on stdout with --json). */
void cli_report_error(cli_ctx *ctx, const char *cmd, const cq_error *e);

/* A subcommand of a command that has them (`cquant data import`). */
typedef struct cli_subcommand {
  const char *name;
  cli_fn run;
  const char *usage;
} cli_subcommand;

/* Runs the subcommand argv[0] of `command` from subs, answering `--help` with its usage.
 * No subcommand prints `usage`; an unknown one names the choices (and the closest); both
 * return CLI_USAGE. */
int cli_dispatch(cli_ctx *ctx, const char *command, const char *usage, const cli_subcommand *subs,
                 size_t n, int argc, char **argv);

/* A number for CSV or JSON output: its shortest exact form; NaN and infinities (no value)
 * are an empty CSV cell or JSON null. */
void cli_put_number(FILE *f, double v, bool json);

/* Where a command writes its result: stdout, or a file that is replaced only when the whole
 * result was written (written beside it as FILE.partial, then renamed). */
typedef struct cli_output {
  FILE *f;
  const char *path; /* NULL: stdout */
  char tmp[4096];
} cli_output;

/* CLI_OK, or CLI_FAIL with the reason printed. */
int cli_output_open(cli_ctx *ctx, const char *cmd, const char *path, cli_output *o);
/* Ends the output: with rc == 0 the file is closed and moved into place (errors set err
 * and return CQ_EIO); with rc != 0 the partial file is removed and rc returned. */
int cli_output_close(cli_output *o, int rc, cq_error *err);

/* ---- option parsing for subcommands ---------------------------------------------------- */

typedef enum cli_opt_kind { CLI_FLAG, CLI_STR, CLI_SIZE, CLI_DOUBLE, CLI_LIST } cli_opt_kind;

/* The values of a repeatable option (CLI_LIST), in the order given. */
enum { CLI_LIST_MAX = 64 };
typedef struct cli_list {
  const char *v[CLI_LIST_MAX];
  int n;
} cli_list;

typedef struct cli_opt {
  const char *name;  /* "--venue" */
  const char *alias; /* "--since", or NULL */
  cli_opt_kind kind;
  void *dest; /* bool *, const char **, size_t *, double *, cli_list * */
} cli_opt;

/* Parses argv against opts; the rest are positional arguments, stored in pos (at most
 * maxpos). Unknown options and bad values print a message naming the option (and the
 * closest known one) and return CLI_USAGE. */
int cli_parse(cli_ctx *ctx, const char *cmd, int argc, char **argv, const cli_opt *opts,
              size_t nopts, const char **pos, int maxpos, int *npos);

/* A --from / --to value (ISO date or time, epoch ms, "now", or a duration back from now). */
int cli_parse_time(cli_ctx *ctx, const char *cmd, const char *flag, const char *value,
                   cq_time *out);

/* The store URI: --store, else config `store` (CQUANT_STORE), else the default. */
const char *cli_store_uri(cli_ctx *ctx, const char *flag_value);

/* Progress options for a job: animated on a terminal, plain lines otherwise. */
void cli_progress_opts(cli_ctx *ctx, cq_progress_opts *o, const char *label, const char *unit,
                       uint64_t total);

int cmd_version(cli_ctx *ctx, int argc, char **argv);
int cmd_config(cli_ctx *ctx, int argc, char **argv);
int cmd_help(cli_ctx *ctx, int argc, char **argv);
int cmd_data(cli_ctx *ctx, int argc, char **argv);
int cmd_demo(cli_ctx *ctx, int argc, char **argv);
int cmd_features(cli_ctx *ctx, int argc, char **argv);
int cmd_indicators(cli_ctx *ctx, int argc, char **argv);
int cmd_backtest(cli_ctx *ctx, int argc, char **argv);
int cmd_optimize(cli_ctx *ctx, int argc, char **argv);
int cmd_walkforward(cli_ctx *ctx, int argc, char **argv);
int cmd_evaluate(cli_ctx *ctx, int argc, char **argv);
int cmd_compare(cli_ctx *ctx, int argc, char **argv);
int cmd_backfill(cli_ctx *ctx, int argc, char **argv);
int cmd_stream(cli_ctx *ctx, int argc, char **argv);
int cmd_venue_sim(cli_ctx *ctx, int argc, char **argv);
extern const char cmd_version_usage[];
extern const char cmd_config_usage[];
extern const char cmd_help_usage[];
extern const char cmd_data_usage[];
extern const char cmd_demo_usage[];
extern const char cmd_backfill_usage[];
extern const char cmd_stream_usage[];
extern const char cmd_features_usage[];
extern const char cmd_indicators_usage[];
extern const char cmd_backtest_usage[];
extern const char cmd_optimize_usage[];
extern const char cmd_walkforward_usage[];
extern const char cmd_evaluate_usage[];
extern const char cmd_compare_usage[];
extern const char cmd_venue_sim_usage[];


/* ---- long-running commands (cli_run.c) ------------------------------------------------- */

/* Splits "a,b,c" into list (pointers into buf, a copy of v): at most max values, at least
 * one; otherwise a message naming cmd and flag, and CLI_USAGE. */
int cli_split_list(cli_ctx *ctx, const char *cmd, const char *flag, const char *v, char *buf,
                   size_t n, const char **list, int max, int *count);

/* SIGINT and SIGTERM blocked in the calling thread (and the threads it starts afterwards)
 * and watched by a thread that raises *cancel. */
typedef struct cli_sig_watch {
  sigset_t set;
  _Atomic int *cancel;
  _Atomic int done;
  pthread_t tid;
  bool started;
} cli_sig_watch;
void cli_sig_watch_start(cli_sig_watch *w, _Atomic int *cancel);
void cli_sig_watch_stop(cli_sig_watch *w);

#endif
