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
  cq_dec tick;         /* price step */
  cq_dec lot;          /* quantity step */
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

#ifdef __cplusplus
}
#endif
#endif
