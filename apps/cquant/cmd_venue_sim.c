#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cquant/net.h"
#include "cquant/vsim.h"

const char cmd_venue_sim_usage[] =
    "usage: cquant venue-sim [options]\n"
    "\n"
    "A local exchange that speaks Binance's (or OKX's, or Bybit's) spot REST and WebSocket API\n"
    "on loopback, backed by a simulated exchange (accounts, orders, balances, a book of\n"
    "synthetic liquidity plus your orders) and a seeded synthetic market whose history is the\n"
    "same on every run. Prints\n"
    "the REST and WebSocket base URLs to point an adapter at (Binance: REST under /api/v3,\n"
    "streams under /ws and /stream; OKX: /api/v5, /ws/v5/public, /ws/v5/business and\n"
    "/ws/v5/private; Bybit: /v5, /v5/public/spot and /v5/private), then serves until SIGINT\n"
    "or SIGTERM.\n"
    "docs/venue-sim.md lists the endpoints, streams, limits and faults.\n"
    "\n"
    "  --dialect D        the API spoken: binance (default), okx or bybit\n"
    "  --passphrase P     okx: the OK-ACCESS-PASSPHRASE every account takes (default: any)\n"
    "  --host H           address to listen on (default 127.0.0.1)\n"
    "  --port N           port (default 0: the kernel picks one; the URL printed says which)\n"
    "  --market M         synthetic:SEED (default synthetic:1), or\n"
    "                     replay:STORE?venue=V&symbol=S&tf=TF: a stored candle series, from\n"
    "                     its first candle, at --speed times the wall clock; or\n"
    "                     replay:STORE?venue=V&symbol=S&trades=1: stored trades\n"
    "  --symbols LIST     unified symbols, comma-separated (default BTC/USDT,ETH/USDT)\n"
    "  --accounts FILE    accounts as YAML: api_key, api_secret, balances (see the docs)\n"
    "  --account A        an account inline, KEY:SECRET:ASSET=AMOUNT,... (repeatable)\n"
    "  --gap FROM..TO     a venue maintenance window with no candles nor trades (ISO times or\n"
    "                     epoch ms; repeatable)\n"
    "  --speed X          market time runs X times the wall clock (default 1); a synthetic\n"
    "                     market starts at now, a replay at its first candle\n"
    "  --interval MS      the market thread's step for the streams (default 100)\n"
    "  --trade-rate N     synthetic trades per second per symbol at most (default 4, at\n"
    "                     most 1000)\n"
    "  --weight-limit N   request weight per minute (default 6000)\n"
    "  --orders-10s N     orders per 10 seconds (default 100)\n"
    "  --ban-ms MS        the 418 ban for requests sent while limited (default 120000)\n"
    "  --maker-fee R      maker fee rate (default 0.001)\n"
    "  --taker-fee R      taker fee rate (default 0.001)\n"
    "  --latency MS       added to every response\n"
    "  --ws-lifetime MS   WebSocket connections are closed at this age (default 86400000:\n"
    "                     24 hours, as Binance)\n"
    "  --fault F          a fault armed at start (repeatable): latency:MS, ws_drop:N,\n"
    "                     ws_stall:N, 429:N, ban:MS, 5xx:N[:PATH], lose_order:N,\n"
    "                     depth_drop:N, depth_dup:N, depth_reorder:N, time_offset:MS\n"
    "  --faults FILE      a scripted scenario (YAML list of steps: fault, after_requests or\n"
    "                     at_s)\n"
    "  --json             print the URLs as one JSON object\n";

static int parse_gap(cli_ctx *ctx, const char *v, cq_vsim_options *o) {
  const char *dots = strstr(v, "..");
  if (!dots || o->ngaps >= VSIM_MAX_GAPS) {
    fprintf(ctx->err, "cquant venue-sim: --gap: expected FROM..TO, got \"%s\"\n", v);
    return CLI_USAGE;
  }
  char from[64];
  size_t n = (size_t)(dots - v);
  if (n >= sizeof from) n = sizeof from - 1;
  memcpy(from, v, n);
  from[n] = 0;
  cq_time a, b;
  if (cli_parse_time(ctx, "venue-sim", "--gap", from, &a) ||
      cli_parse_time(ctx, "venue-sim", "--gap", dots + 2, &b))
    return CLI_USAGE;
  o->gaps[o->ngaps].from_ms = a / CQ_NS_PER_MS;
  o->gaps[o->ngaps].to_ms = b / CQ_NS_PER_MS;
  o->ngaps++;
  return CLI_OK;
}

static int parse_account(cli_ctx *ctx, char *v, cq_vsim_account *a) {
  char *c1 = strchr(v, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (!c1 || !c2) {
    fprintf(ctx->err, "cquant venue-sim: --account: expected KEY:SECRET:ASSET=AMOUNT,...\n");
    return CLI_USAGE;
  }
  *c1 = *c2 = 0;
  a->api_key = v;
  a->api_secret = c1 + 1;
  a->balances = c2 + 1;
  return CLI_OK;
}

int cmd_venue_sim(cli_ctx *ctx, int argc, char **argv) {
  const char *dialect = "binance", *host = "127.0.0.1", *market = "synthetic:1", *symbols = NULL,
             *accounts = NULL, *faults = NULL, *passphrase = NULL;
  size_t port = 0, interval = 0, weight = 0, orders10 = 0, ban = 0, latency = 0, lifetime = 0,
         trade_rate = 0;
  double speed = 1.0, maker = 0, taker = 0;
  cli_list gaps = {0}, accs = {0}, fl = {0};
  const cli_opt opts[] = {
      {"--dialect", NULL, CLI_STR, &dialect},
      {"--host", NULL, CLI_STR, &host},
      {"--port", NULL, CLI_SIZE, &port},
      {"--market", NULL, CLI_STR, &market},
      {"--symbols", NULL, CLI_STR, &symbols},
      {"--accounts", NULL, CLI_STR, &accounts},
      {"--account", NULL, CLI_LIST, &accs},
      {"--gap", NULL, CLI_LIST, &gaps},
      {"--speed", NULL, CLI_DOUBLE, &speed},
      {"--interval", NULL, CLI_SIZE, &interval},
      {"--trade-rate", NULL, CLI_SIZE, &trade_rate},
      {"--weight-limit", NULL, CLI_SIZE, &weight},
      {"--orders-10s", NULL, CLI_SIZE, &orders10},
      {"--ban-ms", NULL, CLI_SIZE, &ban},
      {"--maker-fee", NULL, CLI_DOUBLE, &maker},
      {"--taker-fee", NULL, CLI_DOUBLE, &taker},
      {"--latency", NULL, CLI_SIZE, &latency},
      {"--fault", NULL, CLI_LIST, &fl},
      {"--ws-lifetime", NULL, CLI_SIZE, &lifetime},
      {"--faults", NULL, CLI_STR, &faults},
      {"--passphrase", NULL, CLI_STR, &passphrase},
  };
  int npos = 0;
  int rc =
      cli_parse(ctx, "venue-sim", argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, &npos);
  if (rc) return rc;
  if (port > 65535) {
    fprintf(ctx->err, "cquant venue-sim: --port: 0..65535\n");
    return CLI_USAGE;
  }
  if (trade_rate > VSIM_MAX_TRADE_RATE) {
    fprintf(ctx->err, "cquant venue-sim: --trade-rate: at most %d trades a second\n",
            VSIM_MAX_TRADE_RATE);
    return CLI_USAGE;
  }
  cq_vsim_options o;
  cq_vsim_options_default(&o);
  o.dialect = dialect;
  o.market = market;
  o.accounts_file = accounts;
  o.faults_file = faults;
  o.passphrase = passphrase;
  o.speed = speed;
  o.stream_interval_ms = (int)(interval > 60000 ? 60000 : interval);
  o.trade_rate = (int)trade_rate;
  o.weight_limit = (int)(weight > 1000000 ? 1000000 : weight);
  o.orders_10s = (int)(orders10 > 1000000 ? 1000000 : orders10);
  o.ban_ms = (int)(ban > 86400000 ? 86400000 : ban);
  o.maker_fee = maker;
  o.taker_fee = taker;
  o.log = ctx->log;
  o.ws_lifetime_ms = (int64_t)lifetime;
  for (int i = 0; i < gaps.n; i++)
    if ((rc = parse_gap(ctx, gaps.v[i], &o))) return rc;
  cq_vsim_symbol syms[VSIM_MAX_SYMBOLS];
  char symbuf[1024];
  if (symbols) {
    snprintf(symbuf, sizeof symbuf, "%s", symbols);
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(symbuf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
      if (n == VSIM_MAX_SYMBOLS) {
        fprintf(ctx->err, "cquant venue-sim: --symbols: at most %d\n", VSIM_MAX_SYMBOLS);
        return CLI_USAGE;
      }
      syms[n++] = (cq_vsim_symbol){.symbol = t};
    }
    o.symbols = syms;
    o.nsymbols = n;
  }
  cq_vsim_account acc[CLI_LIST_MAX];
  char *accbuf[CLI_LIST_MAX] = {0};
  for (int i = 0; i < accs.n; i++) {
    accbuf[i] = strdup(accs.v[i]);
    if (!accbuf[i] || parse_account(ctx, accbuf[i], &acc[i])) {
      for (int k = 0; k <= i; k++) free(accbuf[k]);
      return accbuf[i] ? CLI_USAGE : CLI_FAIL;
    }
  }
  o.accounts = acc;
  o.naccounts = (size_t)accs.n;
  cq_vsim_fault_spec fs[CLI_LIST_MAX + 1];
  size_t nf = 0;
  cq_error err;
  cq_error_clear(&err);
  for (int i = 0; i < fl.n; i++)
    if (cq_vsim_fault_parse(fl.v[i], &fs[nf++], &err)) {
      cli_report_error(ctx, "venue-sim", &err);
      rc = CLI_USAGE;
      goto out;
    }
  if (latency)
    fs[nf++] = (cq_vsim_fault_spec){.kind = CQ_VSIM_FAULT_LATENCY,
                                    .ms = (int64_t)(latency > 60000 ? 60000 : latency),
                                    .after_requests = -1,
                                    .at_ms = -1};
  o.faults = fs;
  o.nfaults = nf;

  /* SIGINT and SIGTERM are taken with sigwait: blocked here, before any thread starts, so
   * no thread of the server or the market receives them */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  cq_vsim *sim = NULL;
  cq_net_loop *loop = NULL;
  if (cq_vsim_new(&o, &sim, &err) || cq_net_loop_new(ctx->log, &loop, &err) ||
      cq_vsim_start(sim, loop, host, (int)port, &err)) {
    cli_report_error(ctx, "venue-sim", &err);
    rc = CLI_FAIL;
    goto done;
  }
  if (ctx->json)
    fprintf(ctx->out, "{\"dialect\":\"%s\",\"rest\":\"%s\",\"ws\":\"%s\",\"port\":%d}\n", dialect,
            cq_vsim_rest_url(sim), cq_vsim_ws_url(sim), cq_vsim_port(sim));
  else
    fprintf(ctx->out, "venue-sim (%s, %s) listening\nrest: %s\nws:   %s\n", dialect, market,
            cq_vsim_rest_url(sim), cq_vsim_ws_url(sim));
  fflush(ctx->out);
  int sig = 0;
  sigwait(&set, &sig);
  cq_vsim_counters k;
  cq_vsim_counters_get(sim, &k);
  if (!ctx->json)
    fprintf(ctx->out,
            "venue-sim: stopped by signal %d after %llu requests (%llu answered by faults, %llu "
            "rate-limited, %llu banned), %llu orders\n",
            sig, (unsigned long long)k.requests, (unsigned long long)k.fault_answers,
            (unsigned long long)k.rate_limited, (unsigned long long)k.banned,
            (unsigned long long)k.orders_created);
done:
  cq_vsim_stop(sim);
  cq_net_loop_free(loop);
  cq_vsim_free(sim);
out:
  for (int i = 0; i < accs.n; i++) free(accbuf[i]);
  return rc;
}
