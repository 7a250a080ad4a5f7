/* Pieces shared by the `cquant data` commands. */
#ifndef CQUANT_APP_CMD_DATA_H
#define CQUANT_APP_CMD_DATA_H

#include "cli.h"
#include "cquant/data.h"
#include "cquant/store.h"

/* The series and range words every data command shares. */
typedef struct data_series_opts {
  const char *venue, *symbol, *tf, *from, *to, *store;
} data_series_opts;

#define DATA_SERIES_OPTS(o)                                                         \
  {"--venue", NULL, CLI_STR, &(o).venue}, {"--symbol", NULL, CLI_STR, &(o).symbol}, \
      {"--tf", NULL, CLI_STR, &(o).tf}, {                                           \
    "--store", NULL, CLI_STR, &(o).store                                            \
  }
#define DATA_RANGE_OPTS(o)                     \
  {"--from", "--since", CLI_STR, &(o).from}, { \
    "--to", "--until", CLI_STR, &(o).to        \
  }

int data_series_key(cli_ctx *ctx, const char *cmd, const data_series_opts *o, cq_series_key *key);
int data_time_range(cli_ctx *ctx, const char *cmd, const data_series_opts *o, cq_time *from,
                    cq_time *to);
int data_open_store(cli_ctx *ctx, const char *cmd, const char *flag, cq_store **out);

int cmd_data_import(cli_ctx *ctx, int argc, char **argv);
int cmd_data_export(cli_ctx *ctx, int argc, char **argv);
int cmd_data_list(cli_ctx *ctx, int argc, char **argv);
int cmd_data_check(cli_ctx *ctx, int argc, char **argv);
int cmd_data_resample(cli_ctx *ctx, int argc, char **argv);
int cmd_data_retention(cli_ctx *ctx, int argc, char **argv);
int cmd_data_synth(cli_ctx *ctx, int argc, char **argv);
extern const char cmd_data_import_usage[];
extern const char cmd_data_export_usage[];
extern const char cmd_data_list_usage[];
extern const char cmd_data_check_usage[];
extern const char cmd_data_resample_usage[];
extern const char cmd_data_retention_usage[];
extern const char cmd_data_synth_usage[];

#endif
