/* The venue simulator: a local server speaking a venue's REST and WebSocket dialect
 * (Binance, OKX or Bybit spot), backed by a simulated exchange (instruments, accounts, orders,
 * balances, an order book of synthetic liquidity plus the users' orders) and a market
 * source (a seeded synthetic market whose history is a pure function of the seed), with
 * faults to inject. docs/venue-sim.md has the long form.
 *
 * Threads: the simulator's state is guarded by one mutex; the network thread (requests)
 * and the market thread (streams) both use it. Every function here may be called from any
 * thread but the network thread.
 */
#ifndef CQUANT_VSIM_H
#define CQUANT_VSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core.h"
#include "cquant/net.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
  VSIM_MAX_SYMBOLS = 32,
  VSIM_MAX_ACCOUNTS = 64,
  VSIM_MAX_GAPS = 32,
  VSIM_MAX_FAULTS = 64,
  VSIM_MAX_LISTEN = 64,
  VSIM_MAX_PATHS = 48,
  VSIM_MAX_TRADE_RATE = 1000 /* cq_vsim_options.trade_rate */
};

/* One account: an API key, its secret, and its balances ("USDT=10000,BTC=1"). Deposits are
 * configuration, not an endpoint. */
typedef struct cq_vsim_account {
  const char *api_key;
  const char *api_secret;
  const char *balances;
} cq_vsim_account;

/* A symbol of the synthetic market: unified name, start price, yearly volatility. Its
 * rules (tick from the price, lot 0.00001, min notional 5) are cq_synth_instrument's. */
typedef struct cq_vsim_symbol {
  const char *symbol; /* "BTC/USDT" */
  double price;       /* 0: a default by base asset (BTC 40000, ETH 2000, else 100) */
  double annual_vol;  /* 0: 0.6 */
} cq_vsim_symbol;

typedef enum cq_vsim_fault_kind {
  CQ_VSIM_FAULT_NONE = 0,
  CQ_VSIM_FAULT_LATENCY,       /* ms: added to every response */
  CQ_VSIM_FAULT_WS_DROP,       /* after n messages, WebSocket connections drop (no close) */
  CQ_VSIM_FAULT_WS_STALL,      /* after n messages, they go silent (no data, no pong) */
  CQ_VSIM_FAULT_429,           /* the next n requests: 429 -1003 with Retry-After */
  CQ_VSIM_FAULT_BAN,           /* a 418 ban for ms */
  CQ_VSIM_FAULT_5XX,           /* the next n requests (on path when given): status (503) */
  CQ_VSIM_FAULT_LOSE_ORDER,    /* the next n accepted orders: placed, answer lost */
  CQ_VSIM_FAULT_DEPTH_REORDER, /* the next n depth updates: two swapped */
  CQ_VSIM_FAULT_DEPTH_DROP,    /* the next n depth updates: skipped */
  CQ_VSIM_FAULT_DEPTH_DUP,     /* the next n depth updates: sent twice */
  CQ_VSIM_FAULT_TIME_OFFSET,   /* ms: the server's clock runs this far ahead (negative:
                                  behind) */
  CQ_VSIM_FAULT_KIND_COUNT_
} cq_vsim_fault_kind;

/* "latency", "ws_drop", ... ; "none" for anything else. */
const char *cq_vsim_fault_name(cq_vsim_fault_kind k);

typedef struct cq_vsim_fault_spec {
  cq_vsim_fault_kind kind;
  int status;    /* 5XX: 0 means 503 */
  int64_t n;     /* count: requests, messages, updates, orders */
  int64_t ms;    /* LATENCY, BAN, TIME_OFFSET */
  char path[64]; /* 5XX: only on this path ("" every path) */
  /* scripted: fires after this many requests, or at this many ms after start (-1: now) */
  int64_t after_requests;
  int64_t at_ms;
} cq_vsim_fault_spec;

/* Parses "kind[:arg[:path]]" as the CLI takes it: "latency:50", "ws_drop:100",
 * "429:5", "ban:2000", "5xx:3", "5xx:3:/api/v3/order", "lose_order:1",
 * "depth_drop:1", "depth_dup:1", "depth_reorder:1", "time_offset:-2500". */
CQ_NODISCARD int cq_vsim_fault_parse(const char *s, cq_vsim_fault_spec *out, cq_error *err);

typedef struct cq_vsim_options {
  const char *dialect;           /* "binance", "okx" or "bybit" */
  const char *market;            /* "synthetic:SEED", "replay:STORE?venue=V&symbol=S&tf=TF"
                                    or "replay:STORE?venue=V&symbol=S&trades=1" */
  const cq_vsim_symbol *symbols; /* NULL: BTC/USDT and ETH/USDT */
  size_t nsymbols;
  const char *accounts_file;       /* YAML (docs/venue-sim.md); NULL: none */
  const cq_vsim_account *accounts; /* inline accounts, added to the file's */
  size_t naccounts;
  struct {
    int64_t from_ms, to_ms;
  } gaps[VSIM_MAX_GAPS]; /* venue maintenance windows: no candles, no trades */
  size_t ngaps;
  double speed;           /* market time runs this many times the wall clock (0: 1): a synthetic
                             market from now, a replay from its first candle or trade */
  int stream_interval_ms; /* the market thread's step; 0: 100 */
  int trade_rate;         /* synthetic trades per second per symbol at most; 0: 4, at most
                             1000 (a replay of stored trades streams every one of them) */
  double maker_fee, taker_fee;      /* 0: 0.001 both */
  int weight_limit;                 /* request weight per minute; 0: 6000 */
  int orders_10s, orders_day;       /* 0: 100, 200000 */
  int ban_ms;                       /* 418 ban after continuing while limited; 0: 120000 */
  const char *faults_file;          /* scripted scenario (YAML); NULL none */
  const cq_vsim_fault_spec *faults; /* applied at start */
  size_t nfaults;
  int ws_ping_ms;         /* server pings; 0: 20000 */
  int64_t ws_lifetime_ms; /* a WebSocket connection is closed (1000) at this age, as Binance
                             does at 24 h; 0: 24 h */
  size_t max_orders;      /* orders kept; 0: 100000 */
  const char *passphrase; /* okx: the OK-ACCESS-PASSPHRASE every account takes; NULL: any */
  cq_log *log;
} cq_vsim_options;

void cq_vsim_options_default(cq_vsim_options *o);

/* What tests read: requests by path, orders created by client id, messages sent. */
typedef struct cq_vsim_counters {
  uint64_t requests;
  struct {
    char path[64];
    uint64_t n;
  } by_path[VSIM_MAX_PATHS];
  size_t npaths;
  uint64_t orders_created, orders_rejected, responses_dropped;
  uint64_t ws_messages, ws_connections;
  uint64_t ws_open; /* WebSocket connections open now */
  uint64_t rate_limited, banned;
  uint64_t fault_answers; /* requests answered by an injected fault (418, 429, 5xx) */
} cq_vsim_counters;

typedef struct cq_vsim cq_vsim;

/* Builds the simulator (market, exchange, accounts); nothing listens yet. */
CQ_NODISCARD int cq_vsim_new(const cq_vsim_options *o, cq_vsim **out, cq_error *err);
/* Listens on host:port (NULL host: 127.0.0.1; port 0: the kernel picks) on loop and starts
 * the market thread. */
CQ_NODISCARD int cq_vsim_start(cq_vsim *s, cq_net_loop *loop, const char *host, int port,
                               cq_error *err);
int cq_vsim_port(const cq_vsim *s);
/* "http://127.0.0.1:PORT" and "ws://127.0.0.1:PORT" (valid until cq_vsim_free). */
const char *cq_vsim_rest_url(const cq_vsim *s);
const char *cq_vsim_ws_url(const cq_vsim *s);
/* Arms a fault now (any thread). */
CQ_NODISCARD int cq_vsim_fault(cq_vsim *s, const cq_vsim_fault_spec *f, cq_error *err);
void cq_vsim_counters_get(cq_vsim *s, cq_vsim_counters *out);
/* Orders created so far with client id cid (a test's "never sent twice"). */
uint64_t cq_vsim_orders_with_client_id(cq_vsim *s, const char *cid);
/* Requests seen on path. */
uint64_t cq_vsim_requests_on(cq_vsim *s, const char *path);
/* Stops the server and the market thread. NULL-safe, idempotent. */
void cq_vsim_stop(cq_vsim *s);
void cq_vsim_free(cq_vsim *s);

/* The server's answer to one request without a socket (tests, and the dialect's own
 * wiring): method, path, query, body and the API key header. resp as the server's. */
void cq_vsim_handle(cq_vsim *s, const char *method, const char *path, const char *query,
                    const char *body, const char *api_key, cq_srv_response *resp);
/* The same with the request's headers as "Name: value\r\n" lines (OKX's OK-ACCESS-* and
 * Bybit's X-BAPI-* headers; X-MBX-APIKEY for Binance); headers may be NULL. */
void cq_vsim_handle_headers(cq_vsim *s, const char *method, const char *path, const char *query,
                            const char *body, const char *headers, cq_srv_response *resp);
/* The server's time, epoch ms: the market's time (the wall clock, or a replay's clock at
 * speed) plus any time-offset fault. */
int64_t cq_vsim_now_ms(cq_vsim *s);
/* Tests: pin the simulator's clock at t_ms (0: the wall clock again). */
void cq_vsim_set_clock(cq_vsim *s, int64_t t_ms);

#ifdef __cplusplus
}
#endif
#endif
