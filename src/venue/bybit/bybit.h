/* Bybit (API v5, spot), the pieces under the adapter: symbols and interval names, the
 * codec (REST answers and WebSocket messages in, order bodies and query strings out),
 * signing, and the local order-book synchronizer.
 *
 * Conventions are Binance's (binance.h): decoders write into caller-owned values; arrays
 * they return are malloc'd and freed with free(); malformed input is CQ_EPARSE with
 * err->field set to the JSON path ("result.list[0].price"); structs with _init/_release are
 * reused message after message.
 *
 * REST answers come in Bybit's envelope {"retCode":0,"retMsg":"OK","result":{..}}; a
 * retCode other than 0 is CQ_EREJECTED naming it: decode it with cq_bybit_decode_error.
 *
 * Products: cquant trades spot. Payloads of category "spot" and "linear" (USDT contracts,
 * whose quantities are in the base coin as spot's are) decode; "inverse" and "option",
 * positions, funding, sub-accounts and API-key management are CQ_EUNSUPPORTED naming them.
 * Instruments decode for spot only (a contract is not a spot pair).
 *
 * Symbols: Bybit's "BTCUSDT" does not say where the base ends, so decoders translate with a
 * symbol map built from the instruments: binance.h's cq_bn_symbols, which is venue-neutral
 * (it maps each instrument's native and unified names). With NULL, or for a symbol not in
 * the map, the native symbol is kept.
 */
#ifndef CQ_VENUE_BYBIT_H
#define CQ_VENUE_BYBIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binance.h"
#include "book.h"
#include "cquant/core.h"
#include "cquant/model.h"
#include "cquant/venue.h"
#include "vcodec.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CQ_BYBIT_BODY_MAX = 1024 /* an encoded order body or query string */ };

/* How long Bybit keeps an IP over its limit out (HTTP 403): at least 10 minutes. */
#define CQ_BYBIT_BAN_MS ((int64_t)10 * 60 * 1000)
/* The keep-alive the streams expect every 20 s. */
#define CQ_BYBIT_PING "{\"op\":\"ping\"}"

/* ---- symbols and intervals ---------------------------------------------------------------- */

/* "BTC/USDT" -> "BTCUSDT"; CQ_EINVAL for anything that is not a unified symbol. */
CQ_NODISCARD int cq_bybit_to_native(const char *unified, char out[CQ_SYMBOL_MAX], cq_error *err);
/* Bybit's interval of tf: "1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D",
 * "W", "M"; NULL when Bybit has no such interval. */
const char *cq_bybit_interval_name(cq_timeframe tf);
/* The other way; CQ_EUNSUPPORTED for a name Bybit does not list. */
CQ_NODISCARD int cq_bybit_interval_parse(const char *s, cq_timeframe *out, cq_error *err);

/* ---- errors ------------------------------------------------------------------------------- */

/* The class of a Bybit retCode (10002 timestamp, 10006 / 10018 rate limit, 10003 / 10004 /
 * 10005 auth, 170131 / 110007 insufficient, 110001 / 170213 not found, ...). */
cq_verr cq_bybit_error_class(int code);

/* An answer with an error into ve: retCode and retMsg, and the HTTP status. Without a
 * readable body the class comes from the status (403: Bybit's IP rate limit, BANNED with
 * retry_after_ms CQ_BYBIT_BAN_MS; 429 rate limited; 401 auth; 5xx unknown outcome).
 * Returns the negative code of ve->e (as cq_bn_decode_error). */
int cq_bybit_decode_error(int http_status, const char *body, size_t len, cq_verror *ve);

/* A payload of a product or service cquant does not trade (inverse, option, positions,
 * funding, sub-accounts, API keys, account settings): CQ_EUNSUPPORTED naming it; 0 for
 * everything else; CQ_EPARSE when it is not JSON. */
CQ_NODISCARD int cq_bybit_check_product(const char *s, size_t n, cq_error *err);

/* ---- REST decoders ------------------------------------------------------------------------ */

/* market/instruments-info?category=spot: venue "bybit", tick priceFilter.tickSize, lot
 * lotSizeFilter.basePrecision, min qty minOrderQty, min notional minOrderAmt; status
 * Trading -> TRADING, Closed / Delivering -> DELISTED, else HALTED. Contracts and options
 * are CQ_EUNSUPPORTED. */
CQ_NODISCARD int cq_bybit_parse_instruments(const char *s, size_t n, cq_instrument **out,
                                            size_t *count, cq_error *err);
/* market/kline rows [start,o,h,l,c,volume,turnover], newest first on the wire, appended
 * oldest first; a row is closed when start + tf <= now. */
CQ_NODISCARD int cq_bybit_parse_klines(const char *s, size_t n, cq_timeframe tf, cq_time now,
                                       cq_candles *out, cq_error *err);
/* market/recent-trade, appended oldest first. */
CQ_NODISCARD int cq_bybit_parse_trades(const char *s, size_t n, cq_trades *out, cq_error *err);
/* market/orderbook into book (cleared; seq u; time ts; valid when not crossed). */
CQ_NODISCARD int cq_bybit_parse_book(const char *s, size_t n, cq_l2book *book, cq_error *err);
/* market/tickers: the first of result.list; native may be NULL.
 * change_pct is price24hPcnt x 100. */
CQ_NODISCARD int cq_bybit_parse_ticker(const char *s, size_t n, char native[CQ_SYMBOL_MAX],
                                       cq_ticker *out, cq_error *err);
/* account/wallet-balance: every coin of every account: locked `locked` (0 when absent),
 * free walletBalance - locked (0 when locked exceeds it). */
CQ_NODISCARD int cq_bybit_parse_balances(const char *s, size_t n, cq_balance **out, size_t *count,
                                         cq_error *err);
/* order/realtime and order/history: orderStatus New, Created, Untriggered, Triggered ->
 * ACCEPTED, PartiallyFilled -> PARTIAL, Filled, Cancelled / PartiallyFilledCanceled /
 * Deactivated -> CANCELLED (EXPIRED for IOC / FOK), Rejected; orderType Market / Limit, a
 * STOP / STOP_LIMIT when stopOrderType is set (stop = triggerPrice); timeInForce GTC, IOC,
 * FOK, PostOnly. filled cumExecQty, filled_quote cumExecValue. */
CQ_NODISCARD int cq_bybit_parse_orders(const char *s, size_t n, const cq_bn_symbols *syms,
                                       cq_venue_order **out, size_t *count, cq_error *err);
/* execution/list: trades (execType Trade; other execTypes such as AdlTrade, BustTrade,
 * Funding or Settle are derivatives events: CQ_EUNSUPPORTED). fee execFee (paid is
 * positive), fee asset feeCurrency ("" when absent), isMaker. */
CQ_NODISCARD int cq_bybit_parse_fills(const char *s, size_t n, const cq_bn_symbols *syms,
                                      cq_venue_fill **out, size_t *count, cq_error *err);
/* account/fee-rate: the rates of native (the first when NULL); CQ_ENOTFOUND when absent. */
CQ_NODISCARD int cq_bybit_parse_fee_rates(const char *s, size_t n, const char *native,
                                          cq_dec *maker, cq_dec *taker, cq_error *err);

/* order/create, order/cancel (and the stream's order.create reply): result.orderId and
 * orderLinkId. A retCode other than 0 fills ve and returns its negative code. */
typedef struct cq_bybit_ack {
  char venue_id[CQ_TRADE_ID_MAX];
  char client_id[CQ_CLIENT_ID_MAX];
} cq_bybit_ack;
int cq_bybit_parse_ack(const char *s, size_t n, cq_bybit_ack *out, cq_verror *ve);

/* ---- encoders ----------------------------------------------------------------------------- */

/* The JSON body of order/create: category "spot", symbol, side Buy / Sell, orderType Market
 * / Limit, qty, price (limits), timeInForce GTC / IOC / FOK / PostOnly, orderLinkId, and
 * for STOP / STOP_LIMIT triggerPrice with orderFilter "StopOrder"; a market order's qty is
 * in base (marketUnit baseCoin). Returns the length; CQ_EINVAL for a bad request, CQ_ELIMIT
 * when buf is too small. */
int cq_bybit_encode_order(const cq_venue_order_req *req, const char *native, char *buf, size_t n,
                          cq_error *err);
/* The query of market/kline: category=spot, symbol, interval, start and end (ms; 0 none),
 * limit (0 none; Bybit's maximum is 1000). Pages go backwards: the next page's end is the
 * oldest start minus 1 ms. Returns the length. */
int cq_bybit_kline_query(const char *native, cq_timeframe tf, int64_t start_ms, int64_t end_ms,
                         int limit, char *buf, size_t n, cq_error *err);

/* market/recent-trade query "category=spot&symbol=..[&limit=n]" (Bybit spot: at most 60;
 * there is no older history by id). */
int cq_bybit_trades_query(const char *native, int limit, char *buf, size_t n, cq_error *err);
/* market/orderbook query "category=spot&symbol=..[&limit=n]" (Bybit spot: 1 to 200). */
int cq_bybit_book_query(const char *native, int limit, char *buf, size_t n, cq_error *err);
/* order/cancel body {"category":"spot","symbol":..,"orderLinkId":..}. Returns the length. */
int cq_bybit_encode_cancel(const char *native, const char *client_id, char *buf, size_t n,
                           cq_error *err);
/* order/realtime query: "category=spot&symbol=..[&orderLinkId=..]" (client_id NULL: the
 * symbol's open orders). Returns the length. */
int cq_bybit_order_query(const char *native, const char *client_id, char *buf, size_t n,
                         cq_error *err);

/* A stream request {"op":op,"args":[topics]}, op "subscribe" or "unsubscribe": TRADES
 * "publicTrade.S", QUOTES "orderbook.1.S", BOOK "orderbook.<book_depth>.S" (spot: 1, 50,
 * 200; 0 means 200), KLINES "kline.<interval>.S" with S natives[i]; USER "order",
 * "execution" and "wallet" (natives[i] unused, may be NULL). AGG_TRADES is
 * CQ_EUNSUPPORTED. Public topics go to the public spot stream, USER to the private one: the
 * caller sends each request where it belongs. Returns the length. */
int cq_bybit_subscribe_msg(const char *op, const cq_venue_sub *subs, const char *const *natives,
                           size_t nsubs, int book_depth, char *buf, size_t n, cq_error *err);
/* The private stream's auth: {"op":"auth","args":[api_key, expires_ms, sign]} with
 * cq_bybit_sign_ws. Returns the length. */
int cq_bybit_auth_msg(const char *api_key, const char *secret, int64_t expires_ms, char *buf,
                      size_t n, cq_error *err);

/* ---- signing ------------------------------------------------------------------------------ */

/* X-BAPI-SIGN: hex(HMAC-SHA256(secret, timestamp + api_key + recv_window + payload)), where
 * payload is the query string of a GET or the JSON body of a POST (may be NULL). */
CQ_NODISCARD int cq_bybit_sign(const char *secret, int64_t timestamp_ms, const char *api_key,
                               int recv_window_ms, const char *payload, char hex[65],
                               cq_error *err);
/* The stream's auth: hex(HMAC-SHA256(secret, "GET/realtime" + expires_ms)). */
CQ_NODISCARD int cq_bybit_sign_ws(const char *secret, int64_t expires_ms, char hex[65],
                                  cq_error *err);

/* ---- stream messages ---------------------------------------------------------------------- */

typedef enum cq_bybit_msg_kind {
  CQ_BYBIT_MSG_PONG = 0, /* {"op":"pong"} or the public streams' {"ret_msg":"pong"} */
  CQ_BYBIT_MSG_ACK,      /* a reply to auth, subscribe or an order.* request */
  CQ_BYBIT_MSG_BOOK,     /* orderbook.N.SYMBOL: book */
  CQ_BYBIT_MSG_EVENTS,   /* publicTrade, kline, tickers, order, wallet: events */
  CQ_BYBIT_MSG_FILLS     /* execution, execution.fast: fills (an execution does not carry its
                            order's state: the order topic's event does) */
} cq_bybit_msg_kind;

typedef struct cq_bybit_msg {
  cq_bybit_msg_kind kind;
  char topic[64];
  /* ACK */
  char op[32];
  bool success;
  int ret_code;
  char ret_msg[CQ_REASON_MAX];
  char req_id[64];
  cq_bybit_ack ack; /* order.* replies */
  cq_vbook_msg book;
  cq_vevents events;    /* venue "bybit", symbols unified through the map */
  cq_venue_fill *fills; /* FILLS; owned, at most CQ_V_MAX_EVENTS */
  size_t nfills, cap_fills;
} cq_bybit_msg;

void cq_bybit_msg_init(cq_bybit_msg *m);
void cq_bybit_msg_release(cq_bybit_msg *m);

/* Decodes one stream message. Topics of other products (position, option tickers, ticker
 * deltas, inverse and option orders) are CQ_EUNSUPPORTED naming them; malformed input is
 * CQ_EPARSE with the path. */
CQ_NODISCARD int cq_bybit_parse_ws(const char *s, size_t n, const cq_bn_symbols *syms,
                                   cq_time recv_time, cq_bybit_msg *out, cq_error *err);

/* ---- local order book --------------------------------------------------------------------- */

/* Bybit's procedure: a snapshot (or any message with u == 1: the service restarted) replaces
 * the book; a delta needs u == previous u + 1. A break or a crossed book makes the book
 * invalid until the next snapshot (resubscribe). */
typedef struct cq_bybit_book_sync cq_bybit_book_sync;

CQ_NODISCARD int cq_bybit_book_sync_new(size_t max_levels, cq_bybit_book_sync **out, cq_error *err);
void cq_bybit_book_sync_free(cq_bybit_book_sync *s);
CQ_NODISCARD int cq_bybit_book_sync_apply(cq_bybit_book_sync *s, const cq_vbook_msg *m,
                                          cq_vsync_result *res, cq_error *err);
void cq_bybit_book_sync_reset(cq_bybit_book_sync *s);
bool cq_bybit_book_sync_needs_snapshot(const cq_bybit_book_sync *s);
const cq_l2book *cq_bybit_book_sync_book(const cq_bybit_book_sync *s);

#ifdef __cplusplus
}
#endif
#endif
