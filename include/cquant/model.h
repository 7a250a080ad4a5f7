/* Market-data model: instruments, candles, trades, L2 book snapshots, and columnar
 * containers for history.
 *
 * Money that reaches a venue or a ledger (tick size, lot step, minimum notional) is cq_dec.
 * Candle and trade values are double: they feed analytics (indicators, backtests), and a
 * double holds every venue price and quantity string we see to its shortest round-trip form.
 * Trades also keep their exact decimals for exact aggregation.
 */
#ifndef CQUANT_MODEL_H
#define CQUANT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
  CQ_VENUE_MAX = 24,  /* "binance" */
  CQ_SYMBOL_MAX = 40, /* "BTC/USDT" unified, or a venue-native symbol */
  CQ_ASSET_MAX = 20,  /* "BTC" */
  CQ_TRADE_ID_MAX = 48,
  CQ_BOOK_MAX_LEVELS = 50
};

/* ---- instruments ---------------------------------------------------------------------- */

typedef enum cq_instrument_status {
  CQ_INSTRUMENT_TRADING = 0,
  CQ_INSTRUMENT_HALTED,
  CQ_INSTRUMENT_DELISTED
} cq_instrument_status;

typedef struct cq_instrument {
  char venue[CQ_VENUE_MAX];
  char symbol[CQ_SYMBOL_MAX]; /* unified: BASE/QUOTE */
  char native[CQ_SYMBOL_MAX]; /* as the venue spells it: BTCUSDT, BTC-USDT */
  char base[CQ_ASSET_MAX];
  char quote[CQ_ASSET_MAX];
  cq_dec tick; /* price step */
  cq_dec lot;  /* quantity step */
  cq_dec min_qty;
  cq_dec min_notional; /* price × quantity at least this */
  cq_instrument_status status;
} cq_instrument;

const char *cq_instrument_status_name(cq_instrument_status s);
CQ_NODISCARD int cq_instrument_status_parse(const char *s, cq_instrument_status *out,
                                            cq_error *err);

/* A unified symbol: "BTC/USDT" (also accepts "btc/usdt", upper-cased). Splits into base
 * and quote; CQ_EPARSE for anything else ("BTCUSDT", "BTC/", "BTC/USDT/X"). */
CQ_NODISCARD int cq_symbol_parse(const char *s, char base[CQ_ASSET_MAX], char quote[CQ_ASSET_MAX],
                                 cq_error *err);

/* ---- candles, trades, books ------------------------------------------------------------ */

typedef struct cq_candle {
  cq_time open_time;
  double open, high, low, close;
  double volume;       /* base asset */
  double quote_volume; /* quote asset; NaN when the source does not give it */
  int64_t trades;      /* trade count; -1 when unknown */
  bool closed;         /* false while the bar is still forming */
} cq_candle;

typedef enum cq_side { CQ_SIDE_UNKNOWN = 0, CQ_SIDE_BUY = 1, CQ_SIDE_SELL = 2 } cq_side;

typedef struct cq_trade {
  cq_time time;
  cq_dec price;
  cq_dec qty;
  cq_side taker_side;
  char id[CQ_TRADE_ID_MAX]; /* venue trade id, as text */
} cq_trade;

typedef struct cq_book_level {
  double price;
  double qty;
} cq_book_level;

/* Top-N L2 snapshot: bids best (highest) first, asks best (lowest) first. */
typedef struct cq_book_snapshot {
  cq_time time;
  uint64_t seq; /* venue update id, 0 when none */
  uint32_t nbids, nasks;
  cq_book_level bids[CQ_BOOK_MAX_LEVELS];
  cq_book_level asks[CQ_BOOK_MAX_LEVELS];
} cq_book_snapshot;

/* A series of candles: which venue, symbol and timeframe. */
typedef struct cq_series_key {
  char venue[CQ_VENUE_MAX];
  char symbol[CQ_SYMBOL_MAX];
  cq_timeframe tf;
} cq_series_key;

/* Fills key from text, validating each part (lower-cased venue, unified symbol, timeframe). */
CQ_NODISCARD int cq_series_key_set(cq_series_key *key, const char *venue, const char *symbol,
                                   const char *tf, cq_error *err);

/* ---- columnar history ------------------------------------------------------------------ */

/* Candles held column by column, one array per field, in one allocation, so code can run over
 * millions of bars without per-row allocations. Owned by the caller; release frees the arrays.
 * `max_rows` caps growth (0: no cap other than memory). */
typedef struct cq_candles {
  size_t len, cap, max_rows;
  cq_time *open_time;
  double *open, *high, *low, *close, *volume, *quote_volume;
  int64_t *trades;
  uint8_t *closed;
  void *block; /* the one allocation behind the columns */
} cq_candles;

void cq_candles_init(cq_candles *c, size_t max_rows);
/* Room for at least n rows; CQ_ELIMIT past max_rows, CQ_ENOMEM. Content kept. */
CQ_NODISCARD int cq_candles_reserve(cq_candles *c, size_t n);
CQ_NODISCARD int cq_candles_push(cq_candles *c, const cq_candle *k);
void cq_candles_get(const cq_candles *c, size_t i, cq_candle *out);
void cq_candles_set(cq_candles *c, size_t i, const cq_candle *k);
void cq_candles_clear(cq_candles *c);
void cq_candles_release(cq_candles *c);
/* The first row with open_time >= t (len when none): candles are in time order. */
size_t cq_candles_lower_bound(const cq_candles *c, cq_time t);
/* Rows [first, last) of c as a read-only view: no copy, never released (c owns the rows). */
cq_candles cq_candles_view(const cq_candles *c, size_t first, size_t last);
/* The price or volume column by number: 0 open, 1 high, 2 low, 3 close, 4 volume (the order
 * of cq_ta_field, so indicator inputs map straight onto columns); NULL for anything else. */
const double *cq_candles_field(const cq_candles *c, int field);

/* Trades in columns. Price and quantity stay exact (cq_dec) so candles built from trades
 * are exact. */
typedef struct cq_trades {
  size_t len, cap, max_rows;
  cq_time *time;
  cq_dec *price, *qty;
  uint8_t *taker_side;
  char (*id)[CQ_TRADE_ID_MAX];
  void *block;
} cq_trades;

void cq_trades_init(cq_trades *t, size_t max_rows);
CQ_NODISCARD int cq_trades_reserve(cq_trades *t, size_t n);
CQ_NODISCARD int cq_trades_push(cq_trades *t, const cq_trade *tr);
void cq_trades_get(const cq_trades *t, size_t i, cq_trade *out);
void cq_trades_clear(cq_trades *t);
void cq_trades_release(cq_trades *t);

/* Shortest text that parses back to the same double ("0.00123", "43251.17", "1e-08"); for
 * exports. */
size_t cq_format_double(double v, char *buf, size_t n);

/* ---- orders and fills ---------------------------------------------------------------- */

enum { CQ_CLIENT_ID_MAX = 40, CQ_REASON_MAX = 160 };

typedef enum cq_order_type {
  CQ_ORDER_MARKET = 0,
  CQ_ORDER_LIMIT,
  CQ_ORDER_STOP,       /* stop-market: a market order once the stop price trades */
  CQ_ORDER_STOP_LIMIT, /* a limit order at `price` once `stop` trades */
  CQ_ORDER_TYPE_COUNT
} cq_order_type;

typedef enum cq_tif {
  CQ_TIF_GTC = 0,   /* good till cancelled */
  CQ_TIF_IOC,       /* fill what can be filled now, cancel the rest */
  CQ_TIF_FOK,       /* fill all now or nothing */
  CQ_TIF_POST_ONLY, /* rests as maker; rejected if it would take liquidity on arrival */
  CQ_TIF_COUNT
} cq_tif;

/* The life of an order. Terminal: FILLED, CANCELLED, REJECTED, EXPIRED. */
typedef enum cq_order_state {
  CQ_OS_NEW = 0,   /* created by a strategy, not yet sent */
  CQ_OS_SUBMITTED, /* sent, not yet acknowledged */
  CQ_OS_ACCEPTED,  /* resting (or being matched) at the venue */
  CQ_OS_PARTIAL,   /* partially filled, the rest still working */
  CQ_OS_FILLED,
  CQ_OS_CANCELLED,
  CQ_OS_REJECTED,
  CQ_OS_EXPIRED, /* IOC/FOK remainder, or end of the run */
  CQ_OS_COUNT
} cq_order_state;

/* What happens to an order. */
typedef enum cq_order_event {
  CQ_OE_SUBMIT = 0, /* NEW -> SUBMITTED */
  CQ_OE_ACCEPT,     /* SUBMITTED -> ACCEPTED */
  CQ_OE_REJECT,     /* NEW or SUBMITTED -> REJECTED */
  CQ_OE_PARTIAL,    /* ACCEPTED or PARTIAL -> PARTIAL */
  CQ_OE_FILL,       /* ACCEPTED or PARTIAL -> FILLED */
  CQ_OE_CANCEL,     /* SUBMITTED, ACCEPTED or PARTIAL -> CANCELLED */
  CQ_OE_EXPIRE,     /* SUBMITTED, ACCEPTED or PARTIAL -> EXPIRED */
  CQ_OE_COUNT
} cq_order_event;

const char *cq_order_type_name(cq_order_type t); /* "market", "limit", "stop", "stop_limit" */
const char *cq_tif_name(cq_tif t);               /* "gtc", "ioc", "fok", "post_only" */
const char *cq_order_state_name(cq_order_state s);
const char *cq_order_event_name(cq_order_event e);
const char *cq_side_name(cq_side s); /* "buy", "sell", "unknown" */
CQ_NODISCARD int cq_order_type_parse(const char *s, cq_order_type *out, cq_error *err);
CQ_NODISCARD int cq_tif_parse(const char *s, cq_tif *out, cq_error *err);
bool cq_order_state_terminal(cq_order_state s);

/* The one [state][event] transition table. Writes the next state and returns 0, or returns
 * CQ_EBADTRANSITION (err says "order state: <event> is not allowed in <state>") and leaves *next.
 */
CQ_NODISCARD int cq_order_transition(cq_order_state from, cq_order_event ev, cq_order_state *next,
                                     cq_error *err);

/* How much an order is for. Percent and all-in sizes resolve at fill time from the fill
 * price (see match.h: cq_fill_qty). */
typedef enum cq_size_kind {
  CQ_SIZE_QTY = 0,  /* value: base quantity */
  CQ_SIZE_NOTIONAL, /* value: quote amount */
  CQ_SIZE_PERCENT,  /* value: fraction of equity, 0 < v <= 1 */
  CQ_SIZE_ALL_IN,   /* buy: all free quote cash, fee included; sell: the whole position */
  CQ_SIZE_COUNT
} cq_size_kind;

typedef struct cq_size {
  cq_size_kind kind;
  double value; /* ignored for CQ_SIZE_ALL_IN */
} cq_size;

/* "qty:0.5", "notional:1000", "percent:50" (or "50%"), "all" / "all-in". */
CQ_NODISCARD int cq_size_parse(const char *s, cq_size *out, cq_error *err);
size_t cq_size_format(cq_size s, char *buf, size_t n);

typedef enum cq_liquidity { CQ_LIQ_TAKER = 0, CQ_LIQ_MAKER = 1 } cq_liquidity;

/* One order as the kernel, the matching engine and later the OMS see it. Prices and
 * quantities are exact: on the instrument's tick and lot grid. */
typedef struct cq_order {
  uint64_t id;                      /* kernel sequence, 1.. */
  char client_id[CQ_CLIENT_ID_MAX]; /* unique and stable: "<strategy>-<id>" */
  int strategy;                     /* index of the strategy that placed it */
  int instrument;                   /* index of the instrument in the run */
  cq_side side;
  cq_order_type type;
  cq_tif tif;
  cq_size size;        /* as asked */
  cq_dec qty;          /* resolved base quantity (0 until resolved for percent/all-in) */
  cq_dec price;        /* limit price (LIMIT, STOP_LIMIT) */
  cq_dec stop;         /* trigger price (STOP, STOP_LIMIT) */
  cq_dec filled;       /* base quantity filled so far */
  cq_dec filled_quote; /* sum of price * qty of the fills (average = filled_quote / filled) */
  cq_dec fees;         /* in the quote asset */
  cq_order_state state;
  bool triggered;    /* stop orders: the stop has traded */
  cq_time created;   /* when the strategy placed it */
  cq_time active_at; /* when it reaches the book (created + latency) */
  cq_time updated;
  uint64_t oco;               /* id of an order cancelled when this one fills (0: none) */
  char reason[CQ_REASON_MAX]; /* why it was rejected / expired / cancelled */
} cq_order;

typedef struct cq_fill {
  uint64_t order_id;
  char client_id[CQ_CLIENT_ID_MAX];
  int strategy;
  int instrument;
  cq_side side;
  cq_dec price;
  cq_dec qty;
  cq_dec fee; /* in the quote asset */
  cq_liquidity liquidity;
  cq_time time;
} cq_fill;

#ifdef __cplusplus
}
#endif
#endif
