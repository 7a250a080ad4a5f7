/* cquant data: import, export, list, check, resample, retention, synth. */
#include <string.h>

#include "cli.h"
#include "cmd_data.h"

const char cmd_data_usage[] =
    "usage: cquant data <import|export|list|check|resample|retention|synth> [options]\n"
    "\n"
    "Market data in the store: import candle files, export them, list what is stored,\n"
    "check quality, and resample to a higher timeframe.\n"
    "\n"
    "  import FILE...   read candle files into the store (one transaction per file)\n"
    "  export           write stored candles as CSV or JSON\n"
    "  list             coverage per venue, symbol and timeframe: first, last, rows, gaps\n"
    "  check [FILE]     quality checks on a file or on stored candles\n"
    "  resample         aggregate stored candles into a higher timeframe (--into 4h)\n"
    "  retention        how long the store keeps data (PostgreSQL with TimescaleDB)\n"
    "  synth            make a synthetic market: seeded, realistic candles and venue rules\n"
    "\n"
    "`cquant data <command> --help` shows the options of each. See docs/cli/data.md.\n";

static const cli_subcommand data_commands[] = {
    {"import", cmd_data_import, cmd_data_import_usage},
    {"export", cmd_data_export, cmd_data_export_usage},
    {"list", cmd_data_list, cmd_data_list_usage},
    {"check", cmd_data_check, cmd_data_check_usage},
    {"resample", cmd_data_resample, cmd_data_resample_usage},
    {"retention", cmd_data_retention, cmd_data_retention_usage},
    {"synth", cmd_data_synth, cmd_data_synth_usage},
};

int cmd_data(cli_ctx *ctx, int argc, char **argv) {
  return cli_dispatch(ctx, "data", cmd_data_usage, data_commands,
                      sizeof data_commands / sizeof data_commands[0], argc, argv);
}

int data_series_key(cli_ctx *ctx, const char *cmd, const data_series_opts *o, cq_series_key *key) {
  if (!o->venue || !o->symbol || !o->tf) {
    fprintf(ctx->err, "cquant %s: --venue, --symbol and --tf are required\n", cmd);
    return CLI_USAGE;
  }
  cq_error e;
  if (cq_series_key_set(key, o->venue, o->symbol, o->tf, &e)) {
    fprintf(ctx->err, "cquant %s: %s\n", cmd, e.msg);
    return CLI_USAGE;
  }
  return CLI_OK;
}

int data_time_range(cli_ctx *ctx, const char *cmd, const data_series_opts *o, cq_time *from,
                    cq_time *to) {
  *from = INT64_MIN;
  *to = INT64_MAX;
  int rc;
  if (o->from && (rc = cli_parse_time(ctx, cmd, "--from", o->from, from))) return rc;
  if (o->to && (rc = cli_parse_time(ctx, cmd, "--to", o->to, to))) return rc;
  if (*from >= *to) {
    fprintf(ctx->err, "cquant %s: --from must be before --to\n", cmd);
    return CLI_USAGE;
  }
  return CLI_OK;
}

int data_open_store(cli_ctx *ctx, const char *cmd, const char *flag, cq_store **out) {
  cq_error e;
  const char *uri = cli_store_uri(ctx, flag);
  if (cq_store_open(uri, out, &e)) {
    cli_report_error(ctx, cmd, &e);
    return CLI_FAIL;
  }
  return CLI_OK;
}
