/* The Binance spot adapter's private state, shared by its REST (rest.c, orders.c), market
 * stream (feed.c) and user-data stream parts. */
#ifndef CQ_VENUE_BINANCE_ADAPTER_H
#define CQ_VENUE_BINANCE_ADAPTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cquant/venue.h"
#include "ratelimit.h"

enum {
  BN_URL_MAX = 256,
  BN_KEY_MAX = 128,
  BN_QUERY_MAX = 2048,
  BN_POOL_MAX = 16,      /* idle HTTP clients kept; more threads make (and free) their own */
  BN_SYMBOLS_MAX = 8192, /* native <-> unified pairs kept */
};

/* One native symbol and its unified name. */
typedef struct bn_symbol {
  char native[CQ_SYMBOL_MAX];
  char unified[CQ_SYMBOL_MAX];
} bn_symbol;

typedef struct bn_venue {
  cq_venue base;
  char rest_url[BN_URL_MAX];
  char ws_url[BN_URL_MAX];
  char api_key[BN_KEY_MAX];
  char api_secret[BN_KEY_MAX];
  bool has_keys;
  int recv_window_ms;
  double weight_share;
  cq_http_options http;
  cq_ws_options ws; /* template for stream connections */
  int64_t keepalive_ms;
  cq_net_loop *loop;
  cq_log *log;
  cq_clock clock;

  pthread_mutex_t mu; /* guards everything below */
  cq_http_client *pool[BN_POOL_MAX];
  size_t npool;
  int64_t offset_ms; /* server time - our time */
  bool offset_known;
  char ban_reason[CQ_REASON_MAX]; /* what the venue said when it banned us */
  cq_ratelimit *rl;               /* thread-safe on its own */
  struct cq_bn_symbols *syms;     /* from exchange info, set once, then read-only */
  bn_symbol *symbols;
  size_t nsymbols, capsymbols;
} bn_venue;

/* One REST call. */
typedef struct bn_req {
  const char *method; /* "GET", ... */
  const char *path;   /* "/api/v3/klines" */
  const char *query;  /* without timestamp/signature; "" or NULL for none */
  int limit;          /* its limit parameter (0: none): the weight depends on it */
  bool has_symbol;    /* it names one symbol: the weight depends on it */
  bool key;           /* send the API key header */
  bool sign;          /* add timestamp, recvWindow and signature */
  bool safe;          /* may be sent again (reads, cancels by client id) */
  bool order;         /* an order placement: no answer means the outcome is unknown */
} bn_req;

/* Our wall-clock time in ms, and the venue's estimate of it. */
int64_t cq__bn_now_ms(bn_venue *v);
int64_t cq__bn_server_now_ms(bn_venue *v);

/* Sends r (waiting for weight, honouring a ban or a 429 pause, resyncing the time once on
 * -1021). 0 with resp holding a 2xx answer (the caller releases it); otherwise a negative
 * code with ve filled (resp released). */
CQ_NODISCARD int cq__bn_call(bn_venue *v, const bn_req *r, cq_http_response *resp, cq_verror *ve);

/* Fills ve (class, code, message) and returns the cquant error code of the class. */
int cq__bn_fail(cq_verror *ve, cq_verr cls, int venue_code, int http_status, const char *fmt, ...)
    CQ_PRINTF(5, 6);

/* GET /api/v3/time: sets the server-time offset. */
CQ_NODISCARD int cq__bn_time_sync(bn_venue *v, cq_verror *ve);

/* "BTC/USDT" -> "BTCUSDT" (recording the pair). */
CQ_NODISCARD int cq__bn_native(bn_venue *v, const char *unified, char native[CQ_SYMBOL_MAX],
                               cq_verror *ve);
/* "BTCUSDT" -> "BTC/USDT" from the pairs known; false when unknown. */
bool cq__bn_unified(bn_venue *v, const char *native, char unified[CQ_SYMBOL_MAX]);
/* The exchange-info map (NULL until instruments were read once); it lives as long as v. */
const struct cq_bn_symbols *cq__bn_syms(bn_venue *v);
/* Reads exchange info once, to know every symbol (user-data events name native symbols). */
CQ_NODISCARD int cq__bn_load_symbols(bn_venue *v, cq_verror *ve);

/* Sleeps ms milliseconds (a network wait, never on the network thread). */
void cq__bn_sleep_ms(int64_t ms);

/* Records a native symbol and its unified name. */
int cq__bn_symbol_add(bn_venue *v, const char *native, const char *unified);

/* The operations (rest.c, orders.c). */
int cq__bn_server_time(cq_venue *v, cq_time *out, cq_verror *ve);
int cq__bn_instruments(cq_venue *v, cq_instrument **out, size_t *n, cq_verror *ve);
int cq__bn_candles(cq_venue *v, const char *symbol, cq_timeframe tf, cq_time from, cq_time to,
                   cq_candles *out, cq_verror *ve);
int cq__bn_trades(cq_venue *v, const char *symbol, int64_t from_id, size_t limit, cq_trades *out,
                  cq_verror *ve);
int cq__bn_depth(cq_venue *v, const char *symbol, int limit, cq_l2book *out, cq_verror *ve);
int cq__bn_place(cq_venue *v, const cq_venue_order_req *req, cq_venue_order *out, cq_verror *ve);
int cq__bn_cancel(cq_venue *v, const char *symbol, const char *client_id, cq_venue_order *out,
                  cq_verror *ve);
int cq__bn_query(cq_venue *v, const char *symbol, const char *client_id, cq_venue_order *out,
                 cq_verror *ve);
int cq__bn_open_orders(cq_venue *v, const char *symbol, cq_venue_order **out, size_t *n,
                       cq_verror *ve);
int cq__bn_balances(cq_venue *v, cq_balance **out, size_t *n, cq_verror *ve);
int cq__bn_my_trades(cq_venue *v, const char *symbol, cq_time from, cq_venue_fill **out, size_t *n,
                     cq_verror *ve);

/* feed.c */
int cq__bn_subscribe(cq_venue *v, const cq_venue_sub *subs, size_t n, const cq_venue_handler *h,
                     cq_venue_stream **out, cq_verror *ve);
void cq__bn_unsubscribe(cq_venue_stream *s);

#endif
