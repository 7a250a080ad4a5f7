/* Pieces shared by the `cquant backtest` commands. */
#ifndef CQUANT_APP_CMD_BACKTEST_H
#define CQUANT_APP_CMD_BACKTEST_H

#include "cli.h"
#include "cquant/backtest.h"
#include "cquant/store.h"

/* Every setting of a run as text: from a YAML run file, then the command line over it. */
typedef struct bt_opts {
  const char *strategy, *venue, *tf, *from, *to, *store, *engine;
  const char *fee, *maker_fee, *taker_fee, *slippage, *latency, *fill_latency, *fill;
  const char *size, *cash, *quote, *volume_share, *report, *output;
  cli_list symbols, params;
  bool touch_fill, allow_gaps, no_store, quiet, ticks;
  /* text owned by a run file, released with bt_opts_release */
  char *owned[96];
  int n_owned;
} bt_opts;

/* The options that shape a run and its output (--param, --symbol, --tf, --fee, --slippage,
 * --report, --store, ...), bound to o: written to out[0 .. BT_RUN_OPTS). The backtest,
 * optimize, walkforward and evaluate commands add their own to them. */
enum { BT_RUN_OPTS = 24 };
size_t bt_run_opts(bt_opts *o, cli_opt *out);

/* Reads a YAML run file into o (keys as the long options without dashes: strategy, venue,
 * symbols (a list or one), tf, from, to, params (a mapping), fee, ...). Errors name the file,
 * line and key. */
int bt_runfile_load(cli_ctx *ctx, const char *cmd, const char *path, bt_opts *o);
void bt_opts_release(bt_opts *o);

/* The run configuration from the options (flags over a run file): strategy, params, symbols,
 * timeframe, range, engine, money and the fill model. Prints what is wrong. */
int bt_config_of(cli_ctx *ctx, const char *cmd, const bt_opts *o, cq_bt_config *cfg,
                 const cq_strategy_def **def);
/* Loads each symbol's candles (and trades when trades is not NULL) from the store into
 * candles[s] (initialised by the caller), checking gaps and instruments; fills data. The venue
 * is --venue or the one store series of the first symbol. */
int bt_load_data(cli_ctx *ctx, const char *cmd, const bt_opts *o, cq_store *store,
                 cq_bt_config *cfg, cq_candles *candles, cq_trades *trades, cq_bt_data *data);

/* Prints the metrics of a run document as a table. */
void bt_print_metrics_json(FILE *f, const char *title, const char *json, size_t len);
/* Keeps a run in the store (one transaction); writes its id. */
int bt_store_run(cli_ctx *ctx, const char *cmd, cq_store *store, const cq_bt_result *r,
                 const char *json, size_t len, int64_t *id);

/* Stored runs side by side (ID ID... [--store URI]; --json: one object per run); what both
 * `cquant backtest compare` and `cquant compare` run, cmd naming the command in messages. */
int bt_compare_runs(cli_ctx *ctx, const char *cmd, int argc, char **argv);

int cmd_backtest_list(cli_ctx *ctx, int argc, char **argv);
int cmd_backtest_show(cli_ctx *ctx, int argc, char **argv);
int cmd_backtest_compare(cli_ctx *ctx, int argc, char **argv);
int cmd_backtest_strategies(cli_ctx *ctx, int argc, char **argv);
extern const char cmd_backtest_list_usage[];
extern const char cmd_backtest_show_usage[];
extern const char cmd_backtest_compare_usage[];
extern const char cmd_backtest_strategies_usage[];

#endif
