/* cquant compare: stored backtest runs side by side; the top-level name of
 * `cquant backtest compare` (docs/cli/evaluate.md). */
#include "cmd_backtest.h"

const char cmd_compare_usage[] =
    "usage: cquant compare ID ID... [--store URI] [--json]\n"
    "\n"
    "Stored backtest runs side by side: one column per run, one row per metric. The same as\n"
    "cquant backtest compare; cquant backtest list shows the ids. To score strategies over\n"
    "several symbols and periods, see cquant evaluate.\n";

int cmd_compare(cli_ctx *ctx, int argc, char **argv) {
  return bt_compare_runs(ctx, "compare", argc, argv);
}
