/* cquant demo: the main job until the server exists. Imports every candle file of a folder
 * into the store, then checks quality, resamples and builds a feature set over each series,
 * and lists coverage. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_data.h"

const char cmd_demo_usage[] =
    "usage: cquant demo --data DIR [--features SET.yaml] [--store URI]\n"
    "\n"
    "Runs the whole market-data loop on the candle files of DIR (make run passes the shared\n"
    "data folder if present, else the bundled samples): import into the store, check\n"
    "quality, resample each series to 1h and 1d, build the feature set (when given) over\n"
    "each series, and list coverage.\n"
    "File names say what they hold: <venue>_<BASE>_<QUOTE>-<tf>[.anything].csv, for example\n"
    "binance_BTC_USDT-5m.csv.\n";

/* Splits "binance_BTC_USDT-5m.head300.csv" into venue, symbol and timeframe. */
static bool parse_name(const char *name, char *venue, char *symbol, char *tf) {
  size_t n = strlen(name);
  if (n < 5 || strcmp(name + n - 4, ".csv")) return false;
  const char *u1 = strchr(name, '_');
  const char *u2 = u1 ? strchr(u1 + 1, '_') : NULL;
  const char *dash = u2 ? strchr(u2 + 1, '-') : NULL;
  if (!u1 || !u2 || !dash) return false;
  size_t tl = strcspn(dash + 1, ".");
  if ((size_t)(u1 - name) >= CQ_VENUE_MAX || tl == 0 || tl >= CQ_TF_STRMAX ||
      (size_t)(dash - u1) >= CQ_SYMBOL_MAX)
    return false;
  snprintf(venue, CQ_VENUE_MAX, "%.*s", (int)(u1 - name), name);
  snprintf(symbol, CQ_SYMBOL_MAX, "%.*s/%.*s", (int)(u2 - u1 - 1), u1 + 1, (int)(dash - u2 - 1),
           u2 + 1);
  snprintf(tf, CQ_TF_STRMAX, "%.*s", (int)tl, dash + 1);
  return true;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

static int select_csv(const struct dirent *d) {
  size_t n = strlen(d->d_name);
  return n > 4 && !strcmp(d->d_name + n - 4, ".csv");
}

/* Runs `cquant <name> <argv...>` in this process, as a person would type it. */
static int run_cmd(cli_ctx *ctx, const char *name, cli_fn fn, char **argv, int argc) {
  fflush(ctx->out);
  fprintf(ctx->err, "\n$ cquant %s", name);
  for (int i = 0; i < argc; i++) fprintf(ctx->err, " %s", argv[i]);
  fputc('\n', ctx->err);
  fflush(ctx->err);
  int rc = fn(ctx, argc, argv);
  fflush(ctx->out);
  return rc;
}

static int run(cli_ctx *ctx, char **argv, int argc) {
  return run_cmd(ctx, "data", cmd_data, argv, argc);
}

int cmd_demo(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "demo";
  const char *dir = NULL, *store = NULL, *features = NULL;
  const cli_opt opts[] = {{"--data", NULL, CLI_STR, &dir},
                          {"--store", NULL, CLI_STR, &store},
                          {"--features", NULL, CLI_STR, &features}};
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, 3, pos, 0, &npos))) return rc;
  if (!dir) {
    fprintf(ctx->err, "cquant demo: --data DIR is required (a folder of candle CSV files)\n");
    return CLI_USAGE;
  }
  struct dirent **list;
  int n = scandir(dir, &list, select_csv, by_name);
  if (n < 0) {
    fprintf(ctx->err, "cquant demo: cannot read folder %s\n", dir);
    return CLI_FAIL;
  }
  char store_arg[1024];
  snprintf(store_arg, sizeof store_arg, "%s", cli_store_uri(ctx, store));
  int imported = 0;
  rc = CLI_OK;
  for (int i = 0; i < n && rc == CLI_OK; i++) {
    char venue[CQ_VENUE_MAX], symbol[CQ_SYMBOL_MAX], tf[CQ_TF_STRMAX], path[2048];
    if (!parse_name(list[i]->d_name, venue, symbol, tf)) {
      fprintf(ctx->err, "cquant demo: skipping %s (not named venue_BASE_QUOTE-tf.csv)\n",
              list[i]->d_name);
      continue;
    }
    snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
    char *imp[] = {"import", path,   "--venue", venue,     "--symbol",
                   symbol,   "--tf", tf,        "--store", store_arg};
    if ((rc = run(ctx, imp, 10))) break;
    char *chk[] = {"check", "--venue",      venue, "--symbol", symbol,   "--tf",
                   tf,      "--max-issues", "5",   "--store",  store_arg};
    if ((rc = run(ctx, chk, 11))) break;
    const char *targets[] = {"1h", "1d"};
    for (int t = 0; t < 2 && rc == CLI_OK; t++) {
      cq_timeframe a, b;
      if (cq_timeframe_parse(tf, &a, NULL) || cq_timeframe_parse(targets[t], &b, NULL) ||
          !cq_timeframe_divides(a, b) || cq_timeframe_ns(a) == cq_timeframe_ns(b))
        continue;
      char *res[] = {"resample", "--venue",          venue,     "--symbol", symbol, "--tf", tf,
                     "--into",   (char *)targets[t], "--store", store_arg};
      rc = run(ctx, res, 11);
    }
    if (rc == CLI_OK && features) {
      char *fb[] = {"build", (char *)features, "--venue", venue,     "--symbol",
                    symbol,  "--tf",           tf,        "--store", store_arg};
      rc = run_cmd(ctx, "features", cmd_features, fb, 10);
    }
    imported++;
  }
  for (int i = 0; i < n; i++) free(list[i]);
  free(list);
  if (rc) return rc;
  if (!imported) {
    fprintf(ctx->err, "cquant demo: no candle files in %s\n", dir);
    return CLI_FAIL;
  }
  char *lst[] = {"list", "--store", store_arg};
  return run(ctx, lst, 3);
}
