/* Venues: one interface over every exchange adapter (Binance now; OKX and Bybit next), so
 * the kernel, the backfill and the stream capture never branch on the venue.
 *
 * Everything here speaks cquant's unified model: symbols "BTC/USDT", candles and trades of
 * model.h, order states of model.h, and one set of error classes. An adapter maps its
 * venue's wire format onto these both ways; what a venue lacks shows in its capability
 * bits, never as a failure at run time.
 *
 * Threads: a cq_venue may be used from several threads at once (its REST calls serialize on
 * a per-thread HTTP handle; its rate limiter is shared). Stream callbacks run on the
 * network thread and must not block.
 */
#ifndef CQUANT_VENUE_H
#define CQUANT_VENUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core.h"
#include "cquant/model.h"
#include "cquant/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---------------------------------------------------------------------------- */

/* What a failed venue call means to the caller, whatever the venue's own code. */
typedef enum cq_verr {
  CQ_VERR_NONE = 0,
  CQ_VERR_RATE_LIMITED,    /* over a limit (Binance 429 / -1003): wait retry_after_ms */
  CQ_VERR_BANNED,          /* the venue stopped us (Binance 418): nothing is sent until
                              retry_after_ms has passed */
  CQ_VERR_TIMESTAMP,       /* our clock is off (Binance -1021): resync the offset */
  CQ_VERR_AUTH,            /* key, signature or permission refused */
  CQ_VERR_INSUFFICIENT,    /* insufficient balance */
  CQ_VERR_REJECTED,        /* any other final refusal of an order (filters, post-only would
                              take, duplicate client id) */
  CQ_VERR_NOT_FOUND,       /* no such order (unknown client id) */
  CQ_VERR_BAD_REQUEST,     /* the venue says our request is malformed */
  CQ_VERR_UNKNOWN_OUTCOME, /* an order request whose result we do not know (5xx, -1007, no
                              answer): query by client id before anything else */
  CQ_VERR_UNAVAILABLE,     /* no answer to a safe request after the retries */
  CQ_VERR_PROTOCOL,        /* an answer we cannot read */
  CQ_VERR_UNSUPPORTED      /* the venue or product has no such thing */
} cq_verr;

const char *cq_verr_name(cq_verr c); /* "rate_limited", ... */
/* The cquant error code of a class (every venue maps the same way): rate limited and banned
 * CQ_ELIMIT, auth CQ_EPERM, insufficient and rejected CQ_EREJECTED, not found CQ_ENOTFOUND,
 * bad request and timestamp CQ_EINVAL, unknown outcome and unavailable CQ_ENET, unsupported
 * CQ_EUNSUPPORTED, protocol (and none: a failure nobody classed) CQ_EPARSE. */
int cq_verr_code(cq_verr c);

/* Error detail of a venue call: the cquant error (code and message, the venue's code and
 * text included), plus its class and what the venue said. */
typedef struct cq_verror {
  cq_error e;
  cq_verr cls;
  int venue_code;         /* the venue's own error code (Binance -2010), 0 when none */
  int http_status;        /* 0 when no response */
  int64_t retry_after_ms; /* RATE_LIMITED / BANNED: how long to wait */
} cq_verror;

void cq_verror_clear(cq_verror *ve);

/* ---- orders, fills, balances ----------------------------------------------------------- */

typedef struct cq_venue_order_req {
  char symbol[CQ_SYMBOL_MAX];       /* unified */
  char client_id[CQ_CLIENT_ID_MAX]; /* idempotency key, required */
  cq_side side;
  cq_order_type type;
  cq_tif tif;
  cq_dec qty;   /* base quantity on the lot grid */
  cq_dec price; /* LIMIT, STOP_LIMIT */
  cq_dec stop;  /* STOP, STOP_LIMIT */
} cq_venue_order_req;

typedef struct cq_venue_order {
  char symbol[CQ_SYMBOL_MAX];
  char client_id[CQ_CLIENT_ID_MAX];
  char venue_id[CQ_TRADE_ID_MAX]; /* the venue's order id, as text */
  cq_side side;
  cq_order_type type;
  cq_tif tif;
  cq_order_state state; /* ACCEPTED, PARTIAL, FILLED, CANCELLED, REJECTED, EXPIRED */
  cq_dec qty, price, stop;
  cq_dec filled;       /* base filled so far */
  cq_dec filled_quote; /* quote amount of those fills */
  cq_time created, updated;
  char reason[CQ_REASON_MAX];
} cq_venue_order;

typedef struct cq_venue_fill {
  char symbol[CQ_SYMBOL_MAX];
  char client_id[CQ_CLIENT_ID_MAX]; /* empty when the venue does not say (my trades) */
  char venue_order_id[CQ_TRADE_ID_MAX];
  char trade_id[CQ_TRADE_ID_MAX];
  cq_side side;
  cq_dec price, qty, fee;
  char fee_asset[CQ_ASSET_MAX];
  cq_liquidity liquidity;
  cq_time time;
} cq_venue_fill;

typedef struct cq_balance {
  char asset[CQ_ASSET_MAX];
  cq_dec free, locked;
} cq_balance;

/* ---- stream events --------------------------------------------------------------------- */

typedef enum cq_vev_kind {
  CQ_VEV_TRADE = 0, /* one trade (trade or aggTrade stream) */
  CQ_VEV_QUOTE,     /* best bid / ask */
  CQ_VEV_KLINE,     /* a candle update (closed or still forming) */
  CQ_VEV_BOOK,      /* the local book changed (a synchronized book: see cq_l2book) */
  CQ_VEV_ORDER,     /* an order update from the user-data stream, with a fill when one */
  CQ_VEV_BALANCE,   /* a balance changed */
  CQ_VEV_STATUS,    /* the feed itself: connected, reconnected, book invalid, resynced,
                       stream stopped */
  CQ_VEV_TICKER     /* rolling 24 h statistics of a symbol */
} cq_vev_kind;

typedef enum cq_vstatus {
  CQ_VST_CONNECTED = 0,
  CQ_VST_DISCONNECTED,
  CQ_VST_BOOK_INVALID, /* a sequence gap or a crossed book: the book is not to be used */
  CQ_VST_BOOK_SYNCED,  /* a new snapshot was applied and the diffs follow it */
  CQ_VST_STOPPED       /* the venue stopped this stream (ban, auth); detail says why */
} cq_vstatus;

typedef struct cq_quote {
  cq_dec bid, bid_qty, ask, ask_qty;
  uint64_t update_id;
} cq_quote;

/* Rolling 24 h statistics (Binance 24hrTicker). Fields a venue does not give are 0. */
typedef struct cq_ticker {
  cq_dec last, last_qty, open, high, low;
  cq_dec volume, quote_volume; /* base and quote asset */
  cq_dec change, change_pct, vwap;
  cq_dec bid, bid_qty, ask, ask_qty;
  cq_time open_time, close_time;
  int64_t trades; /* -1 when unknown */
} cq_ticker;

typedef struct cq_l2book cq_l2book;

typedef struct cq_venue_event {
  cq_vev_kind kind;
  char venue[CQ_VENUE_MAX];
  char symbol[CQ_SYMBOL_MAX]; /* unified; empty for account events */
  cq_time event_time;         /* the venue's time of the event, as its message says (0 when
                                 it gives none): latency is recv_time - event_time */
  cq_time recv_time;          /* when we received it (our wall clock) */
  union {
    cq_trade trade;
    cq_quote quote;
    struct {
      cq_timeframe tf;
      cq_candle candle;
    } kline;
    const cq_l2book *book; /* valid during the callback only */
    struct {
      cq_venue_order order;
      bool has_fill;
      cq_venue_fill fill;
    } order;
    cq_balance balance;
    struct {
      cq_vstatus status;
      char detail[CQ_REASON_MAX];
    } status;
    cq_ticker ticker;
  } u;
} cq_venue_event;

/* ---- the local order book -------------------------------------------------------------- */

/* A full-depth L2 book kept from a snapshot plus diffs, with its validity: a book is valid
 * only between a snapshot and the first break in the diff sequence. Price levels are exact
 * decimals; a quantity of 0 removes a level. */
CQ_NODISCARD int cq_l2book_new(size_t max_levels, cq_l2book **out, cq_error *err);
void cq_l2book_free(cq_l2book *b);
bool cq_l2book_valid(const cq_l2book *b);
uint64_t cq_l2book_seq(const cq_l2book *b); /* last update id applied */
size_t cq_l2book_depth(const cq_l2book *b, cq_side side);
/* Level i (0 best) of a side; false past the depth. */
bool cq_l2book_level(const cq_l2book *b, cq_side side, size_t i, cq_dec *price, cq_dec *qty);
/* The top n levels into a snapshot (prices and quantities as doubles). */
void cq_l2book_top(const cq_l2book *b, cq_book_snapshot *out);

/* ---- subscriptions --------------------------------------------------------------------- */

typedef enum cq_vchan {
  CQ_VCH_TRADES = 0, /* every trade */
  CQ_VCH_AGG_TRADES, /* aggregated trades (Binance aggTrade) */
  CQ_VCH_QUOTES,     /* best bid / ask */
  CQ_VCH_KLINES,     /* candles of tf */
  CQ_VCH_BOOK,       /* a synchronized local book (diffs + snapshots) */
  CQ_VCH_USER,       /* orders, fills, balances (needs keys) */
  CQ_VCH_TICKER      /* rolling 24 h statistics (CQ_VEV_TICKER): Binance <sym>@ticker, OKX
                        tickers, Bybit tickers.<SYM> */
} cq_vchan;

typedef struct cq_venue_sub {
  cq_vchan channel;
  char symbol[CQ_SYMBOL_MAX]; /* unified; unused for CQ_VCH_USER */
  cq_timeframe tf;            /* CQ_VCH_KLINES */
} cq_venue_sub;

typedef struct cq_venue_handler {
  void *ctx;
  /* network thread; ev is valid during the call only */
  void (*on_event)(void *ctx, const cq_venue_event *ev);
} cq_venue_handler;

/* ---- the adapter interface ------------------------------------------------------------- */

enum {
  CQ_VCAP_KLINES = 1u << 0,
  CQ_VCAP_TRADES_HISTORY = 1u << 1, /* historical trades by id */
  CQ_VCAP_AGG_TRADES = 1u << 2,
  CQ_VCAP_BOOK = 1u << 3,
  CQ_VCAP_USER_STREAM = 1u << 4,
  CQ_VCAP_STOP_ORDERS = 1u << 5,
  CQ_VCAP_POST_ONLY = 1u << 6
};

typedef struct cq_venue_config {
  const char *rest_url;   /* NULL: the venue's public base URL */
  const char *ws_url;     /* NULL: the venue's public stream URL */
  const char *api_key;    /* NULL: public endpoints only */
  const char *api_secret;
  const char *passphrase; /* OKX */
  int recv_window_ms;     /* 0: 5000 */
  double weight_share;    /* fraction of the published request-weight limit we allow
                             ourselves (0: 0.8) */
  cq_http_options http;   /* timeouts, retries, proxy, faults */
  cq_ws_options ws;       /* stream connections (idle timeout, reconnect backoff, rotation);
                             url is the adapter's; zeroed fields take the net defaults */
  int64_t keepalive_ms;   /* user-data stream keep-alive period (Binance listen key); 0: the
                             venue's own (30 min) */
  cq_net_loop *loop;      /* for streams; NULL: streams unavailable */
  cq_log *log;            /* may be NULL */
} cq_venue_config;

void cq_venue_config_default(cq_venue_config *c);

typedef struct cq_venue cq_venue;
typedef struct cq_venue_stream cq_venue_stream;

typedef struct cq_venue_ops {
  const char *name; /* "binance" */
  unsigned caps;    /* CQ_VCAP_... */
  int max_klines;   /* most candles one page returns */
  int (*open)(const cq_venue_config *cfg, cq_venue **out, cq_verror *ve);
  void (*close)(cq_venue *v);
  int (*server_time)(cq_venue *v, cq_time *out, cq_verror *ve);
  int (*instruments)(cq_venue *v, cq_instrument **out, size_t *n, cq_verror *ve);
  /* One page (at most max_klines) of candles with from <= open_time < to (to 0: no end),
   * oldest first, appended to out; closed only when open_time + tf <= the venue's now. */
  int (*candles)(cq_venue *v, const char *symbol, cq_timeframe tf, cq_time from, cq_time to,
                 cq_candles *out, cq_verror *ve);
  /* Trades from id from_id on (from_id < 0: the most recent), at most limit, appended oldest
   * first with their ids and times. limit is capped at the venue's own maximum for one
   * request (Binance 1000, OKX 500, Bybit 60; 0: the venue's default); from_id >= 0 needs
   * CQ_VCAP_TRADES_HISTORY. The gap repair after a reconnect asks for the most recent. */
  int (*trades)(cq_venue *v, const char *symbol, int64_t from_id, size_t limit, cq_trades *out,
                cq_verror *ve);
  int (*depth)(cq_venue *v, const char *symbol, int limit, cq_l2book *out, cq_verror *ve);
  int (*place)(cq_venue *v, const cq_venue_order_req *req, cq_venue_order *out, cq_verror *ve);
  /* Cancels by client id; the order in out. An order already finished (filled, cancelled,
   * expired) is no failure: out holds its final state. */
  int (*cancel)(cq_venue *v, const char *symbol, const char *client_id, cq_venue_order *out,
                cq_verror *ve);
  int (*query)(cq_venue *v, const char *symbol, const char *client_id, cq_venue_order *out,
               cq_verror *ve);
  int (*open_orders)(cq_venue *v, const char *symbol, cq_venue_order **out, size_t *n,
                     cq_verror *ve);
  int (*balances)(cq_venue *v, cq_balance **out, size_t *n, cq_verror *ve);
  int (*my_trades)(cq_venue *v, const char *symbol, cq_time from, cq_venue_fill **out, size_t *n,
                   cq_verror *ve);
  int (*subscribe)(cq_venue *v, const cq_venue_sub *subs, size_t n, const cq_venue_handler *h,
                   cq_venue_stream **out, cq_verror *ve);
  void (*unsubscribe)(cq_venue_stream *s);
} cq_venue_ops;

/* Every adapter's handle starts with this. */
struct cq_venue {
  const cq_venue_ops *ops;
};

extern const cq_venue_ops cq_venue_binance_ops;
extern const cq_venue_ops cq_venue_okx_ops;
extern const cq_venue_ops cq_venue_bybit_ops;

/* The adapter named ("binance"); CQ_ENOTFOUND with the names known. */
CQ_NODISCARD int cq_venue_find(const char *name, const cq_venue_ops **out, cq_error *err);
/* Names of the adapters, NULL-terminated. */
const char *const *cq_venue_names(void);

#ifdef __cplusplus
}
#endif
#endif
