/* cquant demo: the main job until the server exists. Imports every candle file of a folder
 * into the store, then checks quality, resamples and builds a feature set over each series,
 * and lists coverage; then the venue loop (a venue simulator in this process, two years of
 * candles backfilled from it through the Binance adapter), and the research job: every
 * built-in strategy backtested, an index of the HTML reports, a search and a walk-forward. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd_backtest.h"
#include "cmd_data.h"
#include "cquant/net.h"
#include "cquant/strategy.h"
#include "cquant/vsim.h"

const char cmd_demo_usage[] =
    "usage: cquant demo [--data DIR] [--features SET.yaml] [--reports DIR] [--store URI]\n"
    "                   [--venue binance]\n"
    "\n"
    "Runs the market-data loop on the candle files of DIR (make run passes the shared data\n"
    "folder if present, else the bundled samples): import into the store, check quality,\n"
    "resample each series to 1h and 1d, build the feature set (when given) over each series,\n"
    "and list coverage.\n"
    "Then the venue loop, offline: a venue simulator started in this process on loopback\n"
    "(Binance's REST dialect over a seeded synthetic market), and two years of 1h candles for\n"
    "BTC/USDT and ETH/USDT backfilled from it through the Binance adapter into the store\n"
    "(resumable: a second demo asks only for the newest bars). With --venue binance the\n"
    "backfill asks the real exchange instead (needs the network).\n"
    "Then the research job: every built-in strategy backtested on BTC/USDT, sma_cross also\n"
    "vectorized and on both symbols; an HTML report per run and an index page in the reports\n"
    "folder (default ./var/reports); then sma_cross searched by TPE (200 trials, stored) and\n"
    "walked forward (180-day in-sample, 60-day out-of-sample windows), each with its report\n"
    "in the same folder.\n"
    "Then the live loop, offline: Binance, OKX and Bybit simulators in this process (their\n"
    "market at 20 times the wall clock) captured for 8 seconds by `cquant stream` (trades,\n"
    "books, tickers, live 1m/5m/15m candles, feed health, recorded into the store), and\n"
    "`cquant stream status`.\n"
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

static int market_data(cli_ctx *ctx, const char *dir, char *store_arg, const char *features);
static int research(cli_ctx *ctx, char *store_arg, const char *reports, const char *venue);
static int live_market(cli_ctx *ctx, char *store_arg);

int cmd_demo(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "demo";
  const char *dir = NULL, *store = NULL, *features = NULL, *reports = NULL, *venue = NULL;
  const cli_opt opts[] = {{"--data", NULL, CLI_STR, &dir},
                          {"--store", NULL, CLI_STR, &store},
                          {"--features", NULL, CLI_STR, &features},
                          {"--reports", NULL, CLI_STR, &reports},
                          {"--venue", NULL, CLI_STR, &venue}};
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, 5, pos, 0, &npos))) return rc;
  if (venue && strcmp(venue, "binance")) {
    fprintf(ctx->err, "cquant demo: --venue: only binance is supported, got \"%s\"\n", venue);
    return CLI_USAGE;
  }
  char store_arg[1024];
  snprintf(store_arg, sizeof store_arg, "%s", cli_store_uri(ctx, store));
  if (dir && (rc = market_data(ctx, dir, store_arg, features))) return rc;
  if ((rc = research(ctx, store_arg, reports ? reports : "var/reports", venue))) return rc;
  return venue ? CLI_OK : live_market(ctx, store_arg);
}

static int market_data(cli_ctx *ctx, const char *dir, char *store_arg, const char *features) {
  int rc;
  struct dirent **list;
  int n = scandir(dir, &list, select_csv, by_name);
  if (n < 0) {
    fprintf(ctx->err, "cquant demo: cannot read folder %s\n", dir);
    return CLI_FAIL;
  }
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

/* ---- the research job ----------------------------------------------------------------- */

/* The demo's market: two symbols, two years of 1h candles, stored as binance-sim when they
 * come from the simulator (never mixed with real binance candles) and binance when real. */
#define DEMO_SIM_VENUE "binance-sim"
#define DEMO_SYMBOL "BTC/USDT"
#define DEMO_SYMBOLS "BTC/USDT,ETH/USDT"

/* Backfills the demo's candles through the Binance adapter: from a venue simulator started
 * here on loopback (real: false), or from the exchange itself. */
static int fetch_market(cli_ctx *ctx, char *store_arg, bool real) {
  cq_net_loop *loop = NULL;
  cq_vsim *sim = NULL;
  char url[256] = "";
  cq_error e;
  cq_error_clear(&e);
  if (!real) {
    cq_vsim_options o;
    cq_vsim_options_default(&o);
    o.market = "synthetic:1";
    o.log = ctx->log;
    if (cq_net_loop_new(ctx->log, &loop, &e) || cq_vsim_new(&o, &sim, &e) ||
        cq_vsim_start(sim, loop, NULL, 0, &e)) {
      cli_report_error(ctx, "demo", &e);
      cq_vsim_free(sim);
      cq_net_loop_free(loop);
      return CLI_FAIL;
    }
    snprintf(url, sizeof url, "%s", cq_vsim_rest_url(sim));
    fprintf(ctx->out, "\nvenue simulator: Binance dialect, synthetic market, at %s\n", url);
  }
  char *argv[] = {"--venue", "binance", "--symbol", DEMO_SYMBOLS, "--tf", "1h",   "--since",
                  "2y",      "--store", store_arg,  "--rest-url", url,    "--as", DEMO_SIM_VENUE};
  int argc = (int)(sizeof argv / sizeof argv[0]) - (real ? 4 : 0);
  int rc = run_cmd(ctx, "backfill", cmd_backfill, argv, argc);
  cq_vsim_free(sim);
  cq_net_loop_free(loop);
  return rc;
}

/* The live loop, offline: three simulators (Binance, OKX and Bybit dialects) in this process,
 * their market at 20 times the wall clock, captured by `cquant stream` for a few seconds into
 * the store, then its status. */
static int live_market(cli_ctx *ctx, char *store_arg) {
  static const char *const dialects[3] = {"binance", "okx", "bybit"};
  cq_net_loop *loops[3] = {NULL};
  cq_vsim *sims[3] = {NULL};
  char urls[3 * 64] = "";
  cq_error e;
  cq_error_clear(&e);
  int rc = CLI_OK;
  for (int i = 0; i < 3 && !rc; i++) {
    cq_vsim_options o;
    cq_vsim_options_default(&o);
    o.dialect = dialects[i];
    o.market = "synthetic:1";
    o.speed = 20;
    o.log = ctx->log;
    /* one loop per simulator: each serves its own port */
    if (cq_net_loop_new(ctx->log, &loops[i], &e) || cq_vsim_new(&o, &sims[i], &e) ||
        cq_vsim_start(sims[i], loops[i], NULL, 0, &e)) {
      cli_report_error(ctx, "demo", &e);
      rc = CLI_FAIL;
      break;
    }
    size_t l = strlen(urls);
    snprintf(urls + l, sizeof urls - l, "%s%s", i ? "," : "", cq_vsim_rest_url(sims[i]));
  }
  if (!rc) {
    fprintf(ctx->out,
            "\nlive: Binance, OKX and Bybit simulators (market at 20x), captured for 8 s by "
            "`cquant stream`\n");
    fflush(ctx->out);
    char as[] = DEMO_SIM_VENUE ",okx-sim,bybit-sim";
    char *argv[] = {"--venue",       "binance,okx,bybit",
                    "--rest-url",    urls,
                    "--as",          as,
                    "--symbol",      DEMO_SYMBOLS,
                    "--duration",    "8",
                    "--repair-wait", "3",
                    "--store",       store_arg};
    rc = run_cmd(ctx, "stream", cmd_stream, argv, (int)(sizeof argv / sizeof argv[0]));
    char *sargv[] = {"status"};
    if (!rc) rc = run_cmd(ctx, "stream", cmd_stream, sargv, 1);
  }
  for (int i = 0; i < 3; i++) {
    cq_vsim_free(sims[i]);
    cq_net_loop_free(loops[i]);
  }
  return rc;
}

static int mkdirs(const char *path) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0755) && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(buf, 0755) && errno != EEXIST ? -1 : 0;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n + 65536 > cap) {
      size_t ncap = cap ? cap * 2 : 1 << 20;
      char *nb = realloc(buf, ncap);
      if (!nb) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = nb;
      cap = ncap;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
  }
  fclose(f);
  buf[n] = '\0';
  *len = n;
  return buf;
}

enum { DEMO_RUNS = 16 };

typedef struct demo_run {
  char title[96], html[160], json[1024];
} demo_run;

static int backtest(cli_ctx *ctx, char *store_arg, const char *reports, demo_run *r, char *venue,
                    const char *strategy, const char *symbols, const char *engine,
                    const char *name) {
  char html[1024], json[1024];
  snprintf(r->title, sizeof r->title, "%s %s (%s)", strategy, symbols, engine);
  snprintf(r->html, sizeof r->html, "%s.html", name);
  snprintf(html, sizeof html, "%s/%s.html", reports, name);
  snprintf(json, sizeof json, "%s/%s.json", reports, name);
  snprintf(r->json, sizeof r->json, "%s", json);
  char *argv[] = {
      "--strategy",    (char *)strategy, "--venue",  venue,   "--from",   "2y",         "--symbol",
      (char *)symbols, "--tf",           "1h",       "--fee", "0.001",    "--slippage", "bps:2",
      "--engine",      (char *)engine,   "--report", html,    "--output", json,         "--store",
      store_arg,       "--quiet"};
  return run_cmd(ctx, "backtest", cmd_backtest, argv, (int)(sizeof argv / sizeof argv[0]));
}

static int write_index(cli_ctx *ctx, const char *reports, demo_run *runs, int n) {
  const char *titles[DEMO_RUNS], *hrefs[DEMO_RUNS], *jsons[DEMO_RUNS];
  char *bufs[DEMO_RUNS] = {0};
  int rc = CLI_OK;
  for (int i = 0; i < n; i++) {
    size_t len = 0;
    bufs[i] = read_file(runs[i].json, &len);
    if (!bufs[i]) {
      fprintf(ctx->err, "cquant demo: cannot read %s\n", runs[i].json);
      rc = CLI_FAIL;
      break;
    }
    titles[i] = runs[i].title;
    hrefs[i] = runs[i].html;
    jsons[i] = bufs[i];
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/index.html", reports);
  if (rc == CLI_OK) {
    cli_output o;
    if ((rc = cli_output_open(ctx, "demo", path, &o)) == CLI_OK) {
      cq_error e;
      cq_error_clear(&e);
      int irc = cq_bt_report_index(titles, hrefs, jsons, (size_t)n, o.f, &e);
      if (cli_output_close(&o, irc, NULL) || irc) {
        cli_report_error(ctx, "demo", &e);
        rc = CLI_FAIL;
      }
    }
  }
  for (int i = 0; i < n; i++) free(bufs[i]);
  if (rc == CLI_OK) fprintf(ctx->out, "\nreports: %s (%d runs)\n", path, n);
  return rc;
}

/* sma_cross searched by TPE on BTC/USDT, then walked forward: two more reports. */
static int search(cli_ctx *ctx, char *store_arg, const char *reports, char *venue) {
  char opt[1024], wf[1024];
  snprintf(opt, sizeof opt, "%s/optimize-sma_cross.html", reports);
  snprintf(wf, sizeof wf, "%s/walkforward-sma_cross.html", reports);
  char *common[] = {"--from",      "2y",       "--strategy",     "sma_cross",    "--venue",
                    venue,         "--symbol", DEMO_SYMBOL,      "--tf",         "1h",
                    "--fee",       "0.001",    "--slippage",     "bps:2",        "--param",
                    "fast=5:50:5", "--param",  "slow=20:200:10", "--constraint", "fast < slow",
                    "--store",     store_arg,  "--quiet"};
  enum { NC = sizeof common / sizeof common[0] };
  char *argv[NC + 10];
  memcpy(argv, common, sizeof common);
  char *o_extra[] = {"--sampler",    "tpe",          "--trials", "200",
                     "--objective2", "max_drawdown", "--report", opt};
  memcpy(argv + NC, o_extra, sizeof o_extra);
  fprintf(ctx->out, "\n");
  int rc = run_cmd(ctx, "optimize", cmd_optimize, argv, NC + 8);
  if (rc) return rc;
  char *w_extra[] = {"--sampler", "grid",       "--is",     "180d", "--oos",
                     "60d",       "--no-store", "--report", wf};
  memcpy(argv + NC, w_extra, sizeof w_extra);
  fprintf(ctx->out, "\n");
  return run_cmd(ctx, "walkforward", cmd_walkforward, argv, NC + 9);
}

static int research(cli_ctx *ctx, char *store_arg, const char *reports, const char *venue) {
  int rc = fetch_market(ctx, store_arg, venue != NULL);
  if (rc) return rc;
  char *mv = venue ? "binance" : DEMO_SIM_VENUE; /* the venue the candles are stored as */
  if (mkdirs(reports)) {
    fprintf(ctx->err, "cquant demo: cannot create the reports folder %s\n", reports);
    return CLI_FAIL;
  }
  demo_run runs[DEMO_RUNS];
  int nruns = 0;
  for (size_t i = 0; cq_strategy_at(i) && rc == CLI_OK && nruns < DEMO_RUNS - 2; i++) {
    const char *name = cq_strategy_at(i)->name;
    rc = backtest(ctx, store_arg, reports, &runs[nruns++], mv, name, DEMO_SYMBOL, "event", name);
  }
  if (rc == CLI_OK)
    rc = backtest(ctx, store_arg, reports, &runs[nruns++], mv, "sma_cross", DEMO_SYMBOL, "vector",
                  "sma_cross-vector");
  if (rc == CLI_OK)
    rc = backtest(ctx, store_arg, reports, &runs[nruns++], mv, "sma_cross", DEMO_SYMBOLS, "event",
                  "sma_cross-portfolio");
  if (rc) return rc;
  if ((rc = write_index(ctx, reports, runs, nruns))) return rc;
  return search(ctx, store_arg, reports, mv);
}
