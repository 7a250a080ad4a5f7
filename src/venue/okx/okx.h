/* OKX (API v5, spot), the pieces under the adapter: symbols and bar names, the codec (REST
 * answers and WebSocket messages in, order bodies and query strings out), signing, and the
 * local order-book synchronizer.
 *
 * Conventions are Binance's (binance.h): decoders write into caller-owned values; arrays
 * they return are malloc'd and freed with free(); malformed input is CQ_EPARSE with
 * err->field set to the JSON path ("data[0].tickSz"); structs with _init/_release are reused
 * message after message.
 *
 * REST answers come in OKX's envelope {"code":"0","msg":"","data":[...]}; the decoders also
 * take the bare data array or one bare item (as the venue's documentation shows them). An
 * envelope with a code other than "0" is CQ_EREJECTED naming the code: decode it with
 * cq_okx_decode_error.
 *
 * Products: cquant trades spot. Items of another instType (SWAP, FUTURES, OPTION, MARGIN),
 * algo and spread orders, positions and funding are CQ_EUNSUPPORTED naming the product:
 * their sizes are contracts, not base units, so reading them as spot would be wrong.
 *
 * Symbols: OKX spot instIds are "BASE-QUOTE", so unified symbols are a spelling away and no
 * map is needed ("BTC-USDT" <-> "BTC/USDT").
 */
#ifndef CQ_VENUE_OKX_H
#define CQ_VENUE_OKX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "book.h"
#include "cquant/core.h"
#include "cquant/model.h"
#include "cquant/venue.h"
#include "vcodec.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CQ_OKX_BODY_MAX = 1024 /* an encoded order body or query string */ };

/* The keep-alive text OKX expects when a stream has been quiet (it closes idle connections
 * after 30 s) and its answer. */
#define CQ_OKX_PING "ping"
#define CQ_OKX_PONG "pong"

/* ---- symbols and bars ------------------------------------------------------------------- */

/* "BTC/USDT" -> "BTC-USDT"; CQ_EINVAL for anything that is not a unified symbol. */
CQ_NODISCARD int cq_okx_to_native(const char *unified, char out[CQ_SYMBOL_MAX], cq_error *err);
/* "BTC-USDT" -> "BTC/USDT"; CQ_EUNSUPPORTED for a derivative ("BTC-USDT-SWAP",
 * "BTC-USD-240628"), CQ_EINVAL for anything else that is not BASE-QUOTE. */
CQ_NODISCARD int cq_okx_to_unified(const char *inst_id, char out[CQ_SYMBOL_MAX], cq_error *err);

/* OKX's bar of tf: "1s", "1m".."30m", "1H", "2H", "4H", and the UTC-aligned "6Hutc",
 * "12Hutc", "1Dutc", "2Dutc", "3Dutc", "1Wutc", "1Mutc", "3Mutc" (OKX's plain "1D" bars open
 * at 16:00 UTC, cquant's at 00:00); NULL when OKX has no such bar. */
const char *cq_okx_bar_name(cq_timeframe tf);
/* Any OKX bar name -> tf; *utc (may be NULL) false for the Hong-Kong-aligned names ("6H",
 * "1D", "1W", ...) whose bars do not open on cquant's boundaries. CQ_EUNSUPPORTED for a
 * name OKX does not list. */
CQ_NODISCARD int cq_okx_bar_parse(const char *s, cq_timeframe *out, bool *utc, cq_error *err);

/* ---- errors ----------------------------------------------------------------------------- */

/* The class of an OKX error code (50011 rate limit, 50102/50112 timestamp, 51008
 * insufficient, 51603 not found, ...). */
cq_verr cq_okx_error_class(int code);

/* An answer with an error into ve: the envelope's code (or, for the order endpoints'
 * code "1"/"2", the first item's sCode) and message, and the HTTP status. Without a
 * readable body the class comes from the status (429 rate limited, 401/403 auth, 5xx
 * unknown outcome). Returns the negative code of ve->e (as cq_bn_decode_error). */
int cq_okx_decode_error(int http_status, const char *body, size_t len, cq_verror *ve);

/* A payload of a product or service cquant does not trade (derivatives, algo and spread
 * orders, positions, funding, index and mark prices, position mode): CQ_EUNSUPPORTED
 * naming it. 0 for everything else (spot and product-neutral payloads); CQ_EPARSE when it
 * is not JSON. */
CQ_NODISCARD int cq_okx_check_product(const char *s, size_t n, cq_error *err);

/* ---- REST decoders ---------------------------------------------------------------------- */

/* /api/v5/public/instruments?instType=SPOT: venue "okx", tick tickSz, lot lotSz, min qty
 * minSz, min notional 0 (OKX has none), state live -> TRADING, suspend/preopen -> HALTED,
 * expired -> DELISTED. */
CQ_NODISCARD int cq_okx_parse_instruments(const char *s, size_t n, cq_instrument **out,
                                          size_t *count, cq_error *err);
/* market/candles and history-candles rows [ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm],
 * newest first on the wire (oldest first also read), appended to out oldest first; rows out
 * of time order are CQ_EPARSE. volume vol, quote volume
 * volCcyQuote (NaN when the row has only 7 columns), closed when confirm is "1". */
CQ_NODISCARD int cq_okx_parse_candles(const char *s, size_t n, cq_candles *out, cq_error *err);
/* market/trades and history-trades, appended oldest first; taker side from side. */
CQ_NODISCARD int cq_okx_parse_trades(const char *s, size_t n, cq_trades *out, cq_error *err);
/* market/books: into book (cleared; seq = seqId when given, else 0; time ts; valid when not
 * crossed). */
CQ_NODISCARD int cq_okx_parse_book(const char *s, size_t n, cq_l2book *book, cq_error *err);
/* market/ticker(s) item(s): the first item; native (may be NULL) receives its instId. */
CQ_NODISCARD int cq_okx_parse_ticker(const char *s, size_t n, char native[CQ_SYMBOL_MAX],
                                     cq_ticker *out, cq_error *err);
/* account/balance: every currency of every account's details (or bare details): free
 * availBal, locked frozenBal (0 when ""). */
CQ_NODISCARD int cq_okx_parse_balances(const char *s, size_t n, cq_balance **out, size_t *count,
                                       cq_error *err);
/* trade/order, orders-pending, orders-history: state live -> ACCEPTED, partially_filled ->
 * PARTIAL, filled, canceled / mmp_canceled -> CANCELLED (EXPIRED for ioc / fok /
 * optimal_limit_ioc with a part unfilled); ordType market, limit, post_only (LIMIT +
 * POST_ONLY), fok, ioc (LIMIT + FOK / IOC), optimal_limit_ioc (MARKET + IOC). filled
 * accFillSz, filled_quote accFillSz x avgPx. */
CQ_NODISCARD int cq_okx_parse_orders(const char *s, size_t n, cq_venue_order **out, size_t *count,
                                     cq_error *err);
/* trade/fills and fills-history (transaction details): fee is what we paid, positive (OKX
 * gives it negative; a rebate is negative here); execType M maker, T taker. */
CQ_NODISCARD int cq_okx_parse_fills(const char *s, size_t n, cq_venue_fill **out, size_t *count,
                                    cq_error *err);
/* account/trade-fee: maker and taker rates as OKX gives them (negative = we pay). */
CQ_NODISCARD int cq_okx_parse_fee_rates(const char *s, size_t n, cq_dec *maker, cq_dec *taker,
                                        cq_error *err);

/* The per-order answer of place / cancel / amend: ordId, clOrdId and sCode / sMsg. A
 * non-zero sCode fills ve (class from the code) and returns its negative code; 0 when the
 * venue accepted the request. */
typedef struct cq_okx_ack {
  char venue_id[CQ_TRADE_ID_MAX];
  char client_id[CQ_CLIENT_ID_MAX];
  int s_code;
  char s_msg[CQ_REASON_MAX];
} cq_okx_ack;
int cq_okx_parse_ack(const char *s, size_t n, cq_okx_ack *out, cq_verror *ve);

/* ---- encoders --------------------------------------------------------------------------- */

/* The JSON body of trade/order: instId, tdMode "cash", clOrdId, side, ordType (market,
 * limit, post_only, fok, ioc from type and tif), sz, px (limits only; a market order has
 * tgtCcy "base_ccy" instead, so its sz is base units as cquant's qty). clOrdId must be 1-32
 * letters and digits (OKX's rule). STOP orders are algo orders: CQ_EUNSUPPORTED. Returns
 * the length; CQ_EINVAL for a bad request, CQ_ELIMIT when buf is too small. */
int cq_okx_encode_order(const cq_venue_order_req *req, const char *inst_id, char *buf, size_t n,
                        cq_error *err);
/* The query of market/candles and market/history-candles (the same parameters): instId,
 * bar, after (rows older than, ms; 0 none: pages go back by setting it to the oldest row's
 * ts), before (rows newer than; 0 none), limit (0: none; OKX's maximum is 300 for candles,
 * 100 for history). Returns the length. */
int cq_okx_candles_query(const char *inst_id, cq_timeframe tf, int64_t after_ms, int64_t before_ms,
                         int limit, char *buf, size_t n, cq_error *err);

/* market/trades and market/history-trades query: "instId=..[&type=1&after=<tradeId>]
 * [&limit=n]": after_id >= 0 pages back from that trade id (history-trades, type 1 = by
 * trade id); limit 0 none (OKX: at most 500 for trades, 100 for history). */
int cq_okx_trades_query(const char *inst_id, int64_t after_id, int limit, char *buf, size_t n,
                        cq_error *err);
/* market/books query "instId=..&sz=n" (OKX: 1 to 400; 0 leaves sz out). */
int cq_okx_books_query(const char *inst_id, int depth, char *buf, size_t n, cq_error *err);
/* trade/cancel-order body {"instId":..,"clOrdId":..}. Returns the length. */
int cq_okx_encode_cancel(const char *inst_id, const char *client_id, char *buf, size_t n,
                         cq_error *err);
/* trade/order query by client id: "instId=..&clOrdId=..". Returns the length. */
int cq_okx_order_query(const char *inst_id, const char *client_id, char *buf, size_t n,
                       cq_error *err);

/* A stream request: {"op":op,"args":[..]} with op "subscribe" or "unsubscribe", one arg per
 * subscription: TRADES "trades", QUOTES "bbo-tbt", BOOK "books" (snapshot, then updates
 * with checksums), KLINES "candle<bar>" (UTC bars, cq_okx_bar_name), each with the instId
 * natives[i]; USER "orders" (instType SPOT) and "account" (natives[i] unused, may be
 * NULL). AGG_TRADES is CQ_EUNSUPPORTED (OKX has no aggregate trades). OKX serves candles
 * on its "business" stream URL, the rest on "public" and USER on "private": the caller
 * sends each request where it belongs. Returns the length. */
int cq_okx_subscribe_msg(const char *op, const cq_venue_sub *subs, const char *const *natives,
                         size_t nsubs, char *buf, size_t n, cq_error *err);
/* The private stream's login: {"op":"login","args":[{"apiKey","passphrase","timestamp",
 * "sign"}]}, signed with cq_okx_sign over unix_s (seconds), "GET", "/users/self/verify".
 * Returns the length. */
int cq_okx_login_msg(const char *api_key, const char *passphrase, const char *secret,
                     int64_t unix_s, char *buf, size_t n, cq_error *err);

/* ---- signing ---------------------------------------------------------------------------- */

/* OK-ACCESS-TIMESTAMP of t: "2020-12-08T09:08:57.715Z". */
void cq_okx_timestamp(cq_time t, char out[32]);
/* OK-ACCESS-SIGN: base64(HMAC-SHA256(secret, timestamp + method + request_path + body))
 * into out (44 characters + NUL). body may be NULL (GET). The stream's login signs the
 * same way with the Unix time in seconds, "GET" and "/users/self/verify". */
CQ_NODISCARD int cq_okx_sign(const char *secret, const char *timestamp, const char *method,
                             const char *request_path, const char *body, char out[45],
                             cq_error *err);

/* ---- stream messages -------------------------------------------------------------------- */

typedef enum cq_okx_msg_kind {
  CQ_OKX_MSG_PONG = 0, /* the text "pong" */
  CQ_OKX_MSG_EVENT,    /* {"event":..}: login, subscribe, unsubscribe, error, notice */
  CQ_OKX_MSG_BOOK,     /* books, books5, books50-l2-tbt, books-l2-tbt: book */
  CQ_OKX_MSG_EVENTS    /* trades, bbo-tbt, tickers, candle*, orders, account: events */
} cq_okx_msg_kind;

/* One decoded stream message. Reused: init once, decode many, release once. */
typedef struct cq_okx_msg {
  cq_okx_msg_kind kind;
  char channel[32];
  char inst_id[CQ_SYMBOL_MAX]; /* arg.instId ("" for account channels) */
  /* EVENT */
  char event[24];
  int code; /* error events; 0 otherwise */
  char msg[CQ_REASON_MAX];
  cq_vbook_msg book; /* BOOK (bids and asks as sent; snapshot for books5 and snapshots) */
  cq_vevents events; /* EVENTS: venue "okx", symbols unified; one per trade, order, currency */
} cq_okx_msg;

void cq_okx_msg_init(cq_okx_msg *m);
void cq_okx_msg_release(cq_okx_msg *m);

/* Decodes one stream message. Channels of other products (funding-rate, opt-summary,
 * orders-algo, sprd-*, positions...), orders or instruments of another instType are
 * CQ_EUNSUPPORTED naming them; malformed input is CQ_EPARSE with the path. */
CQ_NODISCARD int cq_okx_parse_ws(const char *s, size_t n, cq_time recv_time, cq_okx_msg *out,
                                 cq_error *err);

/* ---- local order book ------------------------------------------------------------------- */

/* OKX's checksum of a book: CRC-32 of "bid1px:bid1sz:ask1px:ask1sz:..." over the top 25
 * levels of each side (the longer side's extra levels alone once the shorter runs out),
 * prices and sizes as OKX wrote them, read as a signed 32-bit integer. */
int32_t cq_okx_book_checksum(const cq_l2book *b);

/* OKX's procedure: a snapshot replaces the book; each update needs prevSeqId == the
 * previous seqId (an update with seqId == prevSeqId and no levels is a heartbeat); after
 * each message, a checksum (when sent) must match the book's. A break, a mismatch or a
 * crossed book makes the book invalid until the next snapshot (resubscribe). */
typedef struct cq_okx_book_sync cq_okx_book_sync;

CQ_NODISCARD int cq_okx_book_sync_new(size_t max_levels, cq_okx_book_sync **out, cq_error *err);
void cq_okx_book_sync_free(cq_okx_book_sync *s);
/* One books message. Errors only for bad levels or memory (the book is then invalid). */
CQ_NODISCARD int cq_okx_book_sync_apply(cq_okx_book_sync *s, const cq_vbook_msg *m,
                                        cq_vsync_result *res, cq_error *err);
void cq_okx_book_sync_reset(cq_okx_book_sync *s);
bool cq_okx_book_sync_needs_snapshot(const cq_okx_book_sync *s);
const cq_l2book *cq_okx_book_sync_book(const cq_okx_book_sync *s);

#ifdef __cplusplus
}
#endif
#endif
