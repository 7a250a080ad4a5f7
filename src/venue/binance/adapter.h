/* The Binance spot adapter's private state, shared by its REST (rest.c, orders.c), market
 * stream (stream.c) and user-data stream (user.c) parts. */
#ifndef CQ_VENUE_BINANCE_ADAPTER_H
#define CQ_VENUE_BINANCE_ADAPTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cquant/venue.h"

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
  cq_net_loop *loop;
  cq_log *log;
  cq_clock clock;

  pthread_mutex_t mu; /* guards everything below */
  cq_http_client *pool[BN_POOL_MAX];
  size_t npool;
  int64_t offset_ms;       /* server time - our time */
  bool offset_known;
  int64_t banned_until_ms; /* our time; 0: not banned */
  char ban_reason[CQ_REASON_MAX];
  int64_t paused_until_ms; /* after a 429: nobody sends before this (our time) */
  /* the request-weight window: what the venue last said we used, and when that minute ends */
  int64_t weight_limit;  /* our share of the published per-minute limit */
  int64_t weight_used;   /* in the current minute, our count or the venue's, the larger */
  int64_t weight_minute; /* the minute (epoch ms / 60000) weight_used belongs to */
  bn_symbol *symbols;
  size_t nsymbols, capsymbols;
  bool symbols_loaded; /* the whole exchange info was read once */
} bn_venue;

/* One REST call. */
typedef struct bn_req {
  const char *method; /* "GET", ... */
  const char *path;   /* "/api/v3/klines" */
  const char *query;  /* without timestamp/signature; "" or NULL for none */
  int weight;         /* request weight, acquired before sending */
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
int cq__bn_my_trades(cq_venue *v, const char *symbol, cq_time from, cq_venue_fill **out,
                     size_t *n, cq_verror *ve);

/* stream.c */
int cq__bn_subscribe(cq_venue *v, const cq_venue_sub *subs, size_t n, const cq_venue_handler *h,
                     cq_venue_stream **out, cq_verror *ve);
void cq__bn_unsubscribe(cq_venue_stream *s);

#endif
