/* Binance spot, the pieces under the adapter: symbol map, codec (JSON in, query strings
 * out), signing, the endpoint weight table and the local order-book synchronizer.
 *
 * Ownership: decoders write into caller-owned values; arrays they return (*out, *n) are
 * malloc'd and freed by the caller with free(). Structs with _init/_release own their
 * buffers and are meant to be reused message after message, so the stream path does not
 * allocate after warm-up.
 *
 * Errors: malformed input is CQ_EPARSE with err->field set to the JSON path of the field
 * at fault ("symbols[0].filters[1].tickSize", "b[3][0]") and a message saying what was
 * expected. A venue error body is decoded into a cq_verror (cq_bn_decode_error).
 *
 * Symbols: where a decoder takes a cq_bn_symbols, native symbols are translated to unified
 * ones ("BTCUSDT" -> "BTC/USDT"); with NULL, or for a symbol not in the map, the native
 * symbol is kept as it is.
 */
#ifndef CQ_VENUE_BINANCE_H
#define CQ_VENUE_BINANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "book.h"
#include "cquant/core.h"
#include "cquant/model.h"
#include "cquant/venue.h"
#include "ratelimit.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Caps on what outside input may make us hold. */
enum {
  CQ_BN_MAX_LEVELS = 5000,    /* levels per side of one depth message (REST limit max) */
  CQ_BN_MAX_ROWS = 100000,    /* rows of one REST array (klines, trades, orders) */
  CQ_BN_MAX_BALANCES = 10000, /* balances in one account answer or position event */
  CQ_BN_MAX_SYMBOLS = 100000, /* instruments in exchange info */
  CQ_BN_QUERY_MAX = 1024      /* an encoded order query string */
};

/* ---- symbols ----------------------------------------------------------------------------- */

typedef struct cq_bn_symbols cq_bn_symbols;

/* A map over the instruments (their `symbol` unified, `native` Binance's), both ways. */
CQ_NODISCARD int cq_bn_symbols_new(const cq_instrument *ins, size_t n, cq_bn_symbols **out,
                                   cq_error *err);
void cq_bn_symbols_free(cq_bn_symbols *s);
size_t cq_bn_symbols_count(const cq_bn_symbols *s);
/* "BTC/USDT" -> "BTCUSDT"; NULL when unknown (or s NULL). Case-sensitive. */
const char *cq_bn_to_native(const cq_bn_symbols *s, const char *unified);
/* "BTCUSDT" -> "BTC/USDT"; NULL when unknown (or s NULL). */
const char *cq_bn_to_unified(const cq_bn_symbols *s, const char *native);
/* The instrument of a native or unified symbol; NULL when unknown. */
const cq_instrument *cq_bn_instrument(const cq_bn_symbols *s, const char *symbol);

/* ---- intervals -------------------------------------------------------------------------- */

/* Binance's interval name of tf ("1m", "1h", "1M"); NULL when Binance has no such interval. */
const char *cq_bn_interval_name(cq_timeframe tf);
/* "1s".."1M" -> tf; CQ_EUNSUPPORTED for a name Binance does not list. */
CQ_NODISCARD int cq_bn_interval_parse(const char *s, cq_timeframe *out, cq_error *err);

/* ---- errors ----------------------------------------------------------------------------- */

/* The class of a Binance error code (msg decides -2010 between insufficient balance and
 * rejected; it may be NULL). */
cq_verr cq_bn_error_class(int code, const char *msg);

/* An answer with an error: the body {"code":..,"msg":..} (or anything else) and the HTTP
 * status into ve (class, venue code, status, message "binance: -2010 Account has
 * insufficient balance..."). Without a readable body the class comes from the status (429
 * rate limited, 418 banned, 5xx unknown outcome, 401/403 auth, else protocol). Returns the
 * negative code set in ve->e.code: CQ_ELIMIT (rate limited, banned), CQ_EPERM (auth),
 * CQ_EREJECTED (insufficient, rejected), CQ_ENOTFOUND, CQ_EINVAL (bad request,
 * timestamp), CQ_ENET (unknown outcome), CQ_EPARSE (protocol). retry_after_ms is left for
 * the caller (it comes from a header). */
int cq_bn_decode_error(int http_status, const char *body, size_t len, cq_verror *ve);

/* ---- REST decoders ----------------------------------------------------------------------- */

CQ_NODISCARD int cq_bn_parse_server_time(const char *s, size_t n, cq_time *out, cq_error *err);

typedef struct cq_bn_exchange_info {
  cq_time server_time;
  cq_instrument *instruments; /* malloc'd */
  size_t ninstruments;
  cq_rl_window limits[CQ_RL_MAX_WINDOWS]; /* REQUEST_WEIGHT and ORDERS windows */
  size_t nlimits;
} cq_bn_exchange_info;

/* Instruments (venue "binance", unified BASE/QUOTE, tick from PRICE_FILTER, lot and min qty
 * from LOT_SIZE, min notional from MIN_NOTIONAL or NOTIONAL; a filter that is absent leaves
 * the value 0; status TRADING, else HALTED, END_TRADING as DELISTED) and the rateLimits.
 * RAW_REQUESTS windows are skipped. */
CQ_NODISCARD int cq_bn_parse_exchange_info(const char *s, size_t n, cq_bn_exchange_info *out,
                                           cq_error *err);
void cq_bn_exchange_info_release(cq_bn_exchange_info *x);

/* Kline rows appended to out; a row is closed when its close time is before now. */
CQ_NODISCARD int cq_bn_parse_klines(const char *s, size_t n, cq_time now, cq_candles *out,
                                    cq_error *err);

/* A depth snapshot {"lastUpdateId":..,"bids":..,"asks":..} into book: cleared first, seq =
 * lastUpdateId, marked valid when not crossed. */
CQ_NODISCARD int cq_bn_parse_depth(const char *s, size_t n, cq_l2book *book, cq_error *err);

/* Recent or historical trades ([{id, price, qty, time, isBuyerMaker}]) appended to out. */
CQ_NODISCARD int cq_bn_parse_trades(const char *s, size_t n, cq_trades *out, cq_error *err);
/* aggTrades ([{a, p, q, f, l, T, m}]) appended to out; the id is the aggregate id. */
CQ_NODISCARD int cq_bn_parse_agg_trades(const char *s, size_t n, cq_trades *out, cq_error *err);

/* Book ticker of one symbol; native (may be NULL) receives the symbol. */
CQ_NODISCARD int cq_bn_parse_book_ticker(const char *s, size_t n, char native[CQ_SYMBOL_MAX],
                                         cq_quote *out, cq_error *err);
/* 24 h ticker of one symbol. */
CQ_NODISCARD int cq_bn_parse_ticker_24h(const char *s, size_t n, char native[CQ_SYMBOL_MAX],
                                        cq_ticker *out, cq_error *err);
/* avgPrice: the price, and its closeTime (0 when absent; may be NULL). */
CQ_NODISCARD int cq_bn_parse_avg_price(const char *s, size_t n, cq_dec *price, cq_time *close_time,
                                       cq_error *err);
/* ticker/price of one symbol. */
CQ_NODISCARD int cq_bn_parse_price(const char *s, size_t n, char native[CQ_SYMBOL_MAX],
                                   cq_dec *price, cq_error *err);

/* Account balances (every asset listed, zeros included). */
CQ_NODISCARD int cq_bn_parse_account(const char *s, size_t n, cq_balance **out, size_t *count,
                                     cq_error *err);
/* myTrades -> fills (client id empty: Binance does not give it here). */
CQ_NODISCARD int cq_bn_parse_my_trades(const char *s, size_t n, const cq_bn_symbols *syms,
                                       cq_venue_fill **out, size_t *count, cq_error *err);

/* One order: a new-order answer (FULL, RESULT or ACK), a query or a cancel answer. For a
 * cancel, client_id is origClientOrderId (the order's id, not the cancel request's). An
 * ACK says nothing of the state: ACCEPTED. fills (may be NULL) receives the FULL answer's
 * fills (malloc'd; NULL and 0 when none), with the order's side, symbol and client id,
 * transactTime as time and taker liquidity (they happened on arrival). */
CQ_NODISCARD int cq_bn_parse_order(const char *s, size_t n, const cq_bn_symbols *syms,
                                   cq_venue_order *out, cq_venue_fill **fills, size_t *nfills,
                                   cq_error *err);
/* An array of orders: open orders, all orders, cancel-all (whose order lists contribute
 * their orderReports). */
CQ_NODISCARD int cq_bn_parse_orders(const char *s, size_t n, const cq_bn_symbols *syms,
                                    cq_venue_order **out, size_t *count, cq_error *err);

/* Binance names -> cquant. CQ_EUNSUPPORTED for an unknown name. */
CQ_NODISCARD int cq_bn_order_status(const char *s, cq_order_state *out, cq_error *err);
/* LIMIT_MAKER is a LIMIT with tif POST_ONLY; STOP_LOSS / TAKE_PROFIT are STOP, their _LIMIT
 * forms STOP_LIMIT. tif may be NULL. */
CQ_NODISCARD int cq_bn_order_type(const char *s, cq_order_type *out, cq_tif *tif, cq_error *err);

/* ---- encoders ---------------------------------------------------------------------------- */

/* The query string of a new order for `native`: symbol, side, type, timeInForce, quantity,
 * price, stopPrice, newClientOrderId, newOrderRespType=FULL (in this order, values
 * percent-encoded, decimals in their shortest exact form). POST_ONLY is type LIMIT_MAKER;
 * STOP is STOP_LOSS, STOP_LIMIT STOP_LOSS_LIMIT. The caller appends recvWindow, timestamp
 * and the signature. Returns the length, or CQ_EINVAL (missing price / stop / client id,
 * qty <= 0, a tif the type does not take) or CQ_ELIMIT (buf too small). */
int cq_bn_encode_order(const cq_venue_order_req *req, const char *native, char *buf, size_t n,
                       cq_error *err);

/* ---- signing ----------------------------------------------------------------------------- */

/* hex(HMAC-SHA256(secret, msg)) into hex (64 chars + NUL). */
CQ_NODISCARD int cq_bn_sign(const char *secret, const char *msg, size_t len, char hex[65],
                            cq_error *err);
/* Equal strings, in time independent of where they differ (signature checks). */
bool cq_bn_ct_equal(const char *a, const char *b);

/* ---- endpoint weights -------------------------------------------------------------------- */

/* Request weight and order count of a Binance spot REST call. limit is the request's limit
 * parameter (0 when none); has_symbol whether it names one symbol. Unknown endpoints weigh
 * 1 (and return false). */
bool cq_bn_endpoint_weight(const char *method, const char *path, int limit, bool has_symbol,
                           int *weight, int *orders);

/* ---- stream messages --------------------------------------------------------------------- */

typedef struct cq_bn_level {
  cq_dec price, qty;
} cq_bn_level;

/* A diff-depth event: U, u and (futures) pu, with its levels. The arrays are owned and
 * reused; each side holds at most CQ_BN_MAX_LEVELS. */
typedef struct cq_bn_depth_diff {
  char symbol[CQ_SYMBOL_MAX]; /* as the stream names it (native) */
  cq_time event_time;
  uint64_t first_id; /* U */
  uint64_t final_id; /* u */
  uint64_t prev_id;  /* pu (futures); 0 when absent */
  bool has_prev;
  cq_bn_level *bids, *asks;
  size_t nbids, nasks, cap_bids, cap_asks;
} cq_bn_depth_diff;

void cq_bn_depth_diff_init(cq_bn_depth_diff *d);
void cq_bn_depth_diff_release(cq_bn_depth_diff *d);
/* Appends one level (CQ_ELIMIT past CQ_BN_MAX_LEVELS). */
CQ_NODISCARD int cq_bn_depth_diff_push(cq_bn_depth_diff *d, cq_side side, cq_dec price, cq_dec qty,
                                       cq_error *err);

typedef enum cq_bn_msg_kind {
  CQ_BN_MSG_TRADE = 0,      /* ev: CQ_VEV_TRADE */
  CQ_BN_MSG_AGG_TRADE,      /* ev: CQ_VEV_TRADE, the id is the aggregate id */
  CQ_BN_MSG_BOOK_TICKER,    /* ev: CQ_VEV_QUOTE */
  CQ_BN_MSG_KLINE,          /* ev: CQ_VEV_KLINE */
  CQ_BN_MSG_DEPTH,          /* depth */
  CQ_BN_MSG_TICKER,         /* ev: CQ_VEV_TICKER */
  CQ_BN_MSG_EXECUTION,      /* ev: CQ_VEV_ORDER (with a fill when x is TRADE) */
  CQ_BN_MSG_ACCOUNT,        /* outboundAccountPosition: balances */
  CQ_BN_MSG_BALANCE_UPDATE, /* balanceUpdate: delta (no event: a delta is not a balance) */
  CQ_BN_MSG_LIST_STATUS,    /* listStatus: list (no event: its orders report themselves) */
  CQ_BN_MSG_RESULT,         /* a reply to a request {"result":..,"id":..} */
  CQ_BN_MSG_STREAM_END      /* listenKeyExpired, eventStreamTerminated, serverShutdown */
} cq_bn_msg_kind;

/* One decoded stream message. Reused: init once, decode many, release once. */
typedef struct cq_bn_msg {
  cq_bn_msg_kind kind;
  char stream[64];   /* the combined stream's name ({"stream":..,"data":..}); "" otherwise */
  char event[32];    /* "e" */
  bool has_event;    /* ev is filled */
  cq_venue_event ev; /* venue "binance", symbol unified when the map knows it */
  cq_bn_depth_diff depth;
  cq_balance *balances; /* ACCOUNT; owned, capped at CQ_BN_MAX_BALANCES */
  size_t nbalances, cap_balances;
  struct {
    char asset[CQ_ASSET_MAX];
    cq_dec delta;
    cq_time time;
  } balance_update;
  struct {
    char symbol[CQ_SYMBOL_MAX];
    int64_t list_id;
    char contingency[16];  /* "OCO" */
    char status[24];       /* listStatusType: RESPONSE, EXEC_STARTED, ALL_DONE */
    char order_status[24]; /* listOrderStatus: EXECUTING, ALL_DONE, REJECT */
    char client_id[CQ_CLIENT_ID_MAX];
    cq_time time;
    size_t norders;
  } list;
  int64_t request_id; /* RESULT */
} cq_bn_msg;

void cq_bn_msg_init(cq_bn_msg *m);
void cq_bn_msg_release(cq_bn_msg *m);

/* Decodes one stream message: raw, wrapped {"stream":..,"data":..} or the WebSocket API's
 * {"subscriptionId":..,"event":..}. recv_time goes into ev.recv_time. Futures-only events
 * (markPriceUpdate, forceOrder, ...) and unknown ones are CQ_EUNSUPPORTED naming the event;
 * malformed input is CQ_EPARSE with the path. */
CQ_NODISCARD int cq_bn_parse_stream(const char *s, size_t n, const cq_bn_symbols *syms,
                                    cq_time recv_time, cq_bn_msg *out, cq_error *err);

/* A depthUpdate message alone (raw or wrapped), without jansson: the stream's hot path.
 * CQ_EUNSUPPORTED when the message is not a depthUpdate. */
CQ_NODISCARD int cq_bn_parse_depth_update(const char *s, size_t n, cq_bn_depth_diff *out,
                                          cq_error *err);

/* ---- local order-book synchronizer ------------------------------------------------------- */

/* Binance's documented procedure: buffer diffs until a snapshot; drop those with
 * u <= lastUpdateId; the first applied needs U <= lastUpdateId + 1 <= u; then each needs U ==
 * previous u + 1 (futures streams: pu == previous u, with use_prev). Anything else, a
 * crossed book, or a full buffer makes the book invalid and asks for a new snapshot; a diff
 * is never applied out of order. */
typedef struct cq_bn_book_sync cq_bn_book_sync;

typedef enum cq_bn_sync_result {
  CQ_BN_SYNC_BUFFERED = 0, /* kept until a snapshot arrives */
  CQ_BN_SYNC_APPLIED,      /* applied: the book is valid and changed */
  CQ_BN_SYNC_STALE,        /* older than the book: dropped */
  CQ_BN_SYNC_GAP           /* a break: the book is now invalid, a snapshot is needed */
} cq_bn_sync_result;

CQ_NODISCARD int cq_bn_book_sync_new(size_t max_levels, size_t max_buffered, bool use_prev,
                                     cq_bn_book_sync **out, cq_error *err);
void cq_bn_book_sync_free(cq_bn_book_sync *s);

/* One diff. Errors only for bad levels or memory (the book is then invalid too). */
CQ_NODISCARD int cq_bn_book_sync_diff(cq_bn_book_sync *s, const cq_bn_depth_diff *d,
                                      cq_bn_sync_result *res, cq_error *err);
/* A snapshot (seq = lastUpdateId): replaces the book, then applies the buffered diffs that
 * follow it. *res: APPLIED when the book is valid afterwards (also when no diff was
 * buffered), GAP when the buffer does not join it (a newer snapshot is needed). */
CQ_NODISCARD int cq_bn_book_sync_snapshot(cq_bn_book_sync *s, const cq_l2book *snap,
                                          cq_bn_sync_result *res, cq_error *err);
/* Throws away the book and the buffer (a reconnection): wait for diffs, then a snapshot. */
void cq_bn_book_sync_reset(cq_bn_book_sync *s);
bool cq_bn_book_sync_needs_snapshot(const cq_bn_book_sync *s);
const cq_l2book *cq_bn_book_sync_book(const cq_bn_book_sync *s);
size_t cq_bn_book_sync_buffered(const cq_bn_book_sync *s);

#ifdef __cplusplus
}
#endif
#endif
