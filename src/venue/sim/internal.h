/* The venue simulator's parts, inside the module: the market (a pure function of the seed),
 * the exchange core (instruments, accounts, orders, balances), faults, and the dialects
 * that speak a venue's wire format over them.
 *
 * Layering: market <- exchange <- dialect. The exchange core and the market know nothing of
 * any venue's wire format: a dialect (Binance, OKX, Bybit) turns requests into
 * core calls and core results into its venue's JSON. Every time is passed in as epoch
 * milliseconds, so every part is testable without a clock or a socket. */
#ifndef CQ_VSIM_INTERNAL_H
#define CQ_VSIM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cquant/core.h"
#include "cquant/model.h"
#include "cquant/vsim.h"

/* ---- market ------------------------------------------------------------------------------ */

/* Market time starts here: trade ids count from it. 2017-01-01T00:00:00Z. */
#define VM_EPOCH_MS INT64_C(1483228800000)
/* Trades per second per symbol at most, by default (cq_vsim_options.trade_rate) and at the
 * most. */
#define VM_TRADES_PER_SEC 4
#define VM_MAX_TRADE_RATE VSIM_MAX_TRADE_RATE
/* Synthetic trade ids: (second - VM_EPOCH_MS / 1000) * VM_IDS_PER_SEC + k, k the trade's place
 * in its second, so ids increase with time whatever the rate. */
#define VM_IDS_PER_SEC 1000
/* Candles shorter than this are the exact aggregates of the synthetic trades; longer ones
 * sample the price path (a year of hourly bars must stay cheap). */
#define VM_AGG_MAX_LEN_MS INT64_C(3600000)
/* The book moves in steps of this many milliseconds; its update id is the step number. */
#define VM_BOOK_STEP_MS 100
/* Noise octaves of the synthetic log price (one second to sixty days). */
#define VM_OCTAVES 9
/* Levels of synthetic liquidity per side. */
#define VM_BOOK_LEVELS 200

typedef struct vm_symbol {
  cq_instrument ins;
  double price;      /* the level the market wanders around */
  double annual_vol; /* of the log price */
  double amp[VM_OCTAVES]; /* each noise octave's amplitude, from annual_vol */
  uint64_t key;      /* seed and symbol mixed */
  double tick;       /* ins.tick as a double */
  double lot;
  /* exact values: prices are mantissas at pscale, quantities at qscale (synthetic: the
   * tick's and the lot's scales; replayed trades: the largest scale stored) */
  uint8_t pscale, qscale;
  /* replay: the stored candles the price follows */
  bool replay;
  cq_candles hist;
  int64_t tf_ms;
  /* replay of trades: the stored trades are the market's (ids: their index + 1) */
  bool replay_trades;
  cq_trades htr;
} vm_symbol;

typedef struct vm_gap {
  int64_t from_ms, to_ms; /* [from, to): the venue had no market (maintenance) */
} vm_gap;

typedef struct vm_market {
  uint64_t seed;
  vm_symbol *syms;
  size_t nsyms;
  vm_gap gaps[VSIM_MAX_GAPS];
  size_t ngaps;
  int trade_rate;   /* synthetic trades per second per symbol at most */
  bool replay;      /* a replayed store series instead of the synthetic market */
  int64_t data0_ms; /* replay: the first stored open time (where the clock starts) */
} vm_market;

int vm_init(vm_market *m, const cq_vsim_options *o, cq_error *err);
void vm_release(vm_market *m);
/* The symbol by unified ("BTC/USDT") or native ("BTCUSDT") name; -1 when none. */
int vm_find(const vm_market *m, const char *name);
bool vm_in_gap(const vm_market *m, int64_t t_ms);
/* The market price of symbol s at t (on the tick). */
double vm_price(const vm_market *m, int s, int64_t t_ms);

__extension__ typedef __int128 vm_i128;

/* A candle's exact decimals, when it is the aggregate of trades: OHLC, the volume and the
 * taker buys' volume (at qscale), the quote volumes (Σ price × qty, at pscale + qscale). */
typedef struct vm_kx {
  bool exact;
  cq_dec open, high, low, close;
  vm_i128 vol, buy_vol;
  vm_i128 quote, buy_quote;
  uint8_t qscale, quote_scale;
} vm_kx;

/* One candle [open, open + len): pure. Returns false when the candle falls in a gap (or,
 * replaying trades, lies outside the stored ones). Synthetic candles shorter than
 * VM_AGG_MAX_LEN_MS, and every candle of replayed trades, aggregate the trades before
 * min(open + len, now) exactly; a bucket with no trade is a candle of zero volume at the
 * last price. x (may be NULL) gets the exact decimals (x->exact false for a sampled
 * candle). */
bool vm_candle(const vm_market *m, int s, int64_t open_ms, int64_t len_ms, int64_t now_ms,
               cq_candle *out);
bool vm_candle_x(const vm_market *m, int s, int64_t open_ms, int64_t len_ms, int64_t now_ms,
                 cq_candle *out, vm_kx *x);
/* v * 10^-scale as decimal text, exact, with min_frac fraction digits at least: trailing
 * zeros are dropped down to it, or added up to it. */
void vm_i128_text(vm_i128 v, unsigned scale, unsigned min_frac, char *buf, size_t n);

typedef struct vm_trade {
  int64_t id;
  int64_t time_ms;
  double price, qty;
  int64_t px_m, qty_m; /* exact: mantissas at the symbol's pscale and qscale */
  bool buyer_maker;
} vm_trade;

/* Trades with time in [from_ms, to_ms) and id > after_id, up to max, in id order: a caller
 * pages through a window of any size by passing the last id it got. */
size_t vm_trades_after(const vm_market *m, int s, int64_t from_ms, int64_t to_ms, int64_t after_id,
                       vm_trade *out, size_t max);
/* Up to max trades with id >= from_id and time < now_ms, in id order; the count. */
size_t vm_trades_from_id(const vm_market *m, int s, int64_t from_id, int64_t now_ms, vm_trade *out,
                         size_t max);
/* Up to max trades with time in [from_ms, to_ms), in order. */
size_t vm_trades_range(const vm_market *m, int s, int64_t from_ms, int64_t to_ms, vm_trade *out,
                       size_t max);
/* The last max trades before now_ms, oldest first. */
size_t vm_trades_recent(const vm_market *m, int s, int64_t now_ms, vm_trade *out, size_t max);
/* The last max trades with id < before_id and time < now_ms, oldest first. */
size_t vm_trades_before_id(const vm_market *m, int s, int64_t before_id, int64_t now_ms,
                           vm_trade *out, size_t max);

typedef struct vm_level {
  double price, qty;
} vm_level;

/* The synthetic book of book step `step` (VM_BOOK_STEP_MS each): nlev levels per side,
 * bids best first, asks best first. */
void vm_book(const vm_market *m, int s, int64_t step, vm_level *bids, vm_level *asks, size_t nlev);

/* ---- exchange core ------------------------------------------------------------------------- */

typedef enum vx_reject {
  VX_OK = 0,
  VX_BAD_SYMBOL,
  VX_BAD_PARAM,    /* msg says which */
  VX_FILTER,       /* price, lot or notional rule; msg says which */
  VX_INSUFFICIENT, /* balance */
  VX_WOULD_TAKE,   /* post-only would take */
  VX_DUPLICATE,    /* client id already on an open order */
  VX_NO_ORDER,     /* unknown order */
  VX_NO_LIQUIDITY  /* a market order with nothing to fill it */
} vx_reject;

typedef struct vx_result {
  vx_reject why;
  char msg[160];
  char filter[32]; /* VX_FILTER: "PRICE_FILTER", "LOT_SIZE", "NOTIONAL" */
} vx_result;

typedef struct vx_balance {
  char asset[CQ_ASSET_MAX];
  cq_dec free, locked;
} vx_balance;

typedef struct vx_account {
  char key[96];
  char secret[128];
  vx_balance *bal;
  size_t nbal, capbal;
  int64_t update_ms;
} vx_account;

typedef struct vx_fill {
  int64_t trade_id;
  cq_dec price, qty, quote, fee;
  char fee_asset[CQ_ASSET_MAX];
  bool maker;
  int64_t time_ms;
} vx_fill;

typedef struct vx_order {
  int64_t id;
  int account;
  int sym;
  char client_id[CQ_CLIENT_ID_MAX];
  cq_side side;
  cq_order_type type;
  cq_tif tif;
  cq_dec qty, price, stop;
  cq_dec filled, quote;
  cq_order_state state;
  bool triggered; /* a stop whose price traded */
  bool working;   /* on the book (Binance isWorking) */
  int64_t time_ms, update_ms, working_ms;
  cq_dec locked; /* what it holds of its account (quote for buys, base for sells) */
  char reason[64];
} vx_order;

typedef struct vx_mytrade {
  int64_t id;
  int64_t order_id;
  int account;
  int sym;
  cq_side side;
  vx_fill f;
} vx_mytrade;

typedef enum vx_event_kind { VX_EV_ORDER = 0, VX_EV_BALANCE } vx_event_kind;

/* One user event, for the user-data stream of its account. */
typedef struct vx_event {
  vx_event_kind kind;
  int account;
  int nbal;
  bool has_fill;
  int64_t time_ms;
  char exec_type[16]; /* NEW, TRADE, CANCELED, EXPIRED, REJECTED */
  vx_order order;     /* VX_EV_ORDER: the order after the change */
  vx_fill fill;       /* the last fill, when has_fill */
  vx_balance bal[4];  /* VX_EV_BALANCE: the balances that changed (nbal), after the change */
} vx_event;

typedef struct vx_exchange {
  pthread_mutex_t mu;
  vm_market *mkt;
  cq_dec maker_fee, taker_fee;
  vx_account *acc;
  size_t nacc;
  vx_order *ord; /* every order, in id order (never removed: queries of old orders) */
  size_t nord, capord, max_orders;
  vx_mytrade *tr;
  size_t ntr, captr;
  vx_event *ev; /* a ring */
  size_t evhead, evlen, evcap;
  uint64_t ev_dropped;
  int64_t next_order_id, next_trade_id;
  int64_t last_step; /* book step of the last market pass */
} vx_exchange;

int vx_new(vm_market *mkt, const cq_vsim_options *o, vx_exchange **out, cq_error *err);
void vx_free(vx_exchange *x);
/* The account holding api key; -1 when none. */
int vx_account_by_key(vx_exchange *x, const char *key);

typedef struct vx_new_order {
  int account;
  int sym;
  const char *client_id; /* NULL or "": one is made */
  cq_side side;
  cq_order_type type;
  cq_tif tif;
  cq_dec qty;
  cq_dec quote_qty; /* MARKET by quote amount (quoteOrderQty); zero: unused */
  cq_dec price, stop;
  bool dry; /* validate only (order/test): nothing is placed */
} vx_new_order;

/* Places an order at now_ms; on success *out is the order after its immediate matching
 * and fills[0..*nfills) (at most max_fills kept) its fills. Locks x. */
int vx_place(vx_exchange *x, const vx_new_order *req, int64_t now_ms, vx_order *out, vx_fill *fills,
             size_t max_fills, size_t *nfills, vx_result *res);
/* Cancel by order id (> 0) or client id. */
int vx_cancel(vx_exchange *x, int account, int sym, int64_t order_id, const char *client_id,
              int64_t now_ms, vx_order *out, vx_result *res);
int vx_query(vx_exchange *x, int account, int sym, int64_t order_id, const char *client_id,
             vx_order *out, vx_result *res);
/* Orders of account on sym (any state) with id >= from_id, or created in [from, to] when
 * from_id <= 0 (0: open bound), at most limit, oldest first; malloc'd copies. */
int vx_all_orders(vx_exchange *x, int account, int sym, int64_t from_id, int64_t from_ms,
                  int64_t to_ms, size_t limit, vx_order **out, size_t *n, cq_error *err);
/* Open orders of account (sym -1: all), malloc'd copies. */
int vx_open_orders(vx_exchange *x, int account, int sym, vx_order **out, size_t *n, cq_error *err);
/* Balances of account, malloc'd copy. */
int vx_balances(vx_exchange *x, int account, vx_balance **out, size_t *n, int64_t *update_ms,
                cq_error *err);
/* My trades of account on sym (of order_id when > 0) with id >= from_id, or time in
 * [from, to] (0: open bound); without a start the newest `limit`; oldest first. */
int vx_my_trades(vx_exchange *x, int account, int sym, int64_t order_id, int64_t from_id,
                 int64_t from_ms, int64_t to_ms, size_t limit, vx_mytrade **out, size_t *n,
                 cq_error *err);
/* The market moves to now_ms: resting limits that the market crossed fill (as makers, up to
 * the synthetic liquidity that crossed them), stops whose price traded trigger. */
int vx_market_step(vx_exchange *x, int64_t now_ms, cq_error *err);
/* Takes up to max user events (oldest first); the count. */
size_t vx_events_take(vx_exchange *x, vx_event *out, size_t max);
/* Adds the users' resting orders of sym to the levels of a synthetic book (one tick apart
 * from the best, n a side). Locks x. */
void vx_add_resting(vx_exchange *x, int sym, vm_level *bids, vm_level *asks, size_t n);

/* ---- faults -------------------------------------------------------------------------------- */

typedef struct vf_state {
  pthread_mutex_t mu;
  cq_vsim_fault_spec pending[VSIM_MAX_FAULTS]; /* armed, by kind */
  size_t npending;
  int64_t time_offset_ms;
  int latency_ms;
  int64_t ban_until_ms;
  uint64_t requests; /* seen, for "after N requests" */
  uint64_t answered; /* requests answered by a fault (418, 429, 5xx) */
  /* scripted steps not yet fired */
  cq_vsim_fault_spec *script;
  size_t nscript, script_next;
  int64_t start_ms;
} vf_state;

int vf_init(vf_state *f, cq_error *err);
void vf_release(vf_state *f);
void vf_add(vf_state *f, const cq_vsim_fault_spec *fault, int64_t now_ms);

/* What a request should suffer. */
typedef struct vf_verdict {
  int delay_ms;
  int status; /* a 5xx to answer instead, or 429/418; 0 none */
  int64_t retry_after_ms;
  bool drop_if_order; /* lose the response of an accepted order */
} vf_verdict;

/* Counts a request on path at now_ms and decides its fault. */
void vf_on_request(vf_state *f, const char *path, int64_t now_ms, vf_verdict *v);
/* An accepted order's answer was lost: one fewer to lose. */
void vf_order_lost(vf_state *f);
/* Depth fault for the next update of a stream: 0 none, else the kind. */
cq_vsim_fault_kind vf_depth_fault(vf_state *f);
/* WebSocket fault: after how many more messages a connection ends (-1: none) and how. */
bool vf_ws_fault(vf_state *f, cq_vsim_fault_spec *out);
int64_t vf_time_offset(vf_state *f);
int vf_script_load(vf_state *f, const char *path, cq_error *err);
/* Fires scripted steps due (by request count or seconds since start). */
void vf_script_tick(vf_state *f, int64_t now_ms);

/* ---- a dialect's view of a request --------------------------------------------------------- */

typedef struct vd_request {
  const char *method;
  const char *path;
  const char *query;   /* raw */
  const char *body;    /* raw form body */
  const char *api_key; /* X-MBX-APIKEY or NULL */
  const char *remote;
  const char *headers; /* "Name: value\r\n" lines of the headers a dialect reads, or NULL */
} vd_request;

/* A header of req by name (case-insensitive) into buf; NULL when absent or too long. */
const char *vd_header(const vd_request *req, const char *name, char *buf, size_t n);

typedef struct vd_response {
  int status;
  char *body; /* malloc'd */
  size_t body_len;
  char *headers; /* malloc'd "Name: value\r\n" lines */
  bool drop;     /* the order was placed; lose the answer */
  int delay_ms;
} vd_response;

void vd_response_release(vd_response *r);

/* Rate limits of one simulated venue. */
typedef struct vd_limits {
  pthread_mutex_t mu;
  int weight_limit; /* per minute */
  int orders_10s, orders_day;
  int64_t minute; /* the window of used */
  int used;
  int64_t sec10, day;
  int orders_used_10s, orders_used_day;
  bool limited; /* a 429 was sent in this minute */
  int64_t ban_until_ms;
  int ban_ms;
} vd_limits;

/* Listen keys of the user-data stream. */
typedef struct vd_listen {
  char key[72];
  int account;
  int64_t expires_ms;
} vd_listen;

/* What a dialect works on: the market, the exchange, the faults, its rate limits and counters
 * (and Binance's listen keys, which the other dialects leave empty). */
typedef struct vd_binance {
  vm_market *mkt;
  vx_exchange *ex;
  vf_state *faults;
  vd_limits lim;
  cq_vsim_counters *counters; /* may be NULL */
  pthread_mutex_t lk_mu;
  vd_listen listen[VSIM_MAX_LISTEN];
  size_t nlisten;
  uint64_t listen_seq;
  const char *passphrase; /* OKX: the one OK-ACCESS-PASSPHRASE taken; NULL or "": any */
} vd_binance;

int vd_binance_init(vd_binance *b, vm_market *mkt, vx_exchange *ex, vf_state *faults,
                    const cq_vsim_options *o, cq_vsim_counters *counters, cq_error *err);
void vd_binance_release(vd_binance *b);
/* One REST request at now_ms (server time). */
void vd_binance_http(vd_binance *b, const vd_request *req, int64_t now_ms, vd_response *resp);
/* The account of a live listen key; -1 when none. */
int vd_binance_listen_account(vd_binance *b, const char *key, int64_t now_ms);

/* The OKX and Bybit dialects over the same state (dialect_okx.c, dialect_bybit.c). */
void vd_okx_http(vd_binance *b, const vd_request *req, int64_t now, vd_response *resp);
void vd_bybit_http(vd_binance *b, const vd_request *req, int64_t now, vd_response *resp);

/* OKX pieces the streams share with REST. */
int64_t vd_okx_parse_iso(const char *s);
int vd_okx_sym(const vm_market *m, const char *inst_id);
void vd_okx_inst_id(const vm_market *m, int s, char out[CQ_SYMBOL_MAX]);
/* An OKX bar name: its length and the offset its bars open at. */
bool vd_okx_bar(const char *s, int64_t *len, int64_t *off);
json_t *vd_okx_candle_row(const vm_market *m, int s, const cq_candle *k, const vm_kx *kx);
json_t *vd_okx_trade_obj(const vm_market *m, int s, const vm_trade *t);
json_t *vd_okx_levels(const vm_symbol *y, const vm_level *lv, size_t n);
json_t *vd_okx_ticker_obj(vd_binance *b, int s, int64_t now);
json_t *vd_okx_order_obj(const vm_market *m, const vx_order *o, const vx_fill *f);
json_t *vd_okx_balance_detail(const vx_balance *b, int64_t upd);

/* Bybit pieces the streams share with REST. */
int vd_bybit_sym(const vm_market *m, const char *native);
/* A Bybit interval name ("1".."720", "D", "W"): its length and offset. */
bool vd_bybit_interval(const char *s, int64_t *len, int64_t *off);
json_t *vd_bybit_order_obj(const vm_market *m, const vx_order *o);
json_t *vd_bybit_levels(const vm_symbol *y, const vm_level *lv, size_t n);
json_t *vd_bybit_coin(const vx_balance *b);

/* Helpers the OKX and Bybit dialects share (dialect_util.c). */
void vd_add_header(vd_response *r, const char *fmt, ...) CQ_PRINTF(2, 3);
/* Sets the body to the text of j (taking it) with status; 500 when j is NULL. */
void vd_respond(vd_response *r, int status, json_t *j);
/* v on step (a price on the tick, a quantity on the lot) written with step's decimals, as
 * OKX and Bybit write them ("40000.1", "0.00012"). */
void vd_step_text(double v, cq_dec step, char *buf, size_t n);
json_t *vd_jstep(double v, cq_dec step);
/* A decimal as text with its own digits ("0.5", "10000"). */
json_t *vd_jdec(cq_dec d);
/* A number as a JSON string of up to 8 decimals, trailing zeros dropped. */
json_t *vd_jnum(double v);
/* A trade's price, quantity or quote amount (price x quantity), exact, as a dialect writes
 * it (Binance: 8 fraction digits at least; OKX, Bybit: the step's). */
enum { VD_TRADE_PRICE = 0, VD_TRADE_QTY, VD_TRADE_QUOTE };
json_t *vd_jtrade(const vm_symbol *y, const vm_trade *t, int what, bool binance);
/* A candle's decimals as a dialect writes them: exact when x says so (x may be NULL),
 * else the sampled doubles on the steps (the taker buying half). Binance writes 8 fraction
 * digits (more when an exact value has them); OKX and Bybit the steps' digits. */
typedef struct vd_ktext {
  char open[64], high[64], low[64], close[64];
  char vol[64], buy_vol[64], quote[64], buy_quote[64];
} vd_ktext;
void vd_kline_text(const vm_symbol *y, const cq_candle *k, const vm_kx *x, bool binance,
                   vd_ktext *t);
/* OKX's and Bybit's kline row after the time: open, high, low, close, volume, quote volume,
 * appended to row. */
void vd_kline_row(json_t *row, const vm_symbol *y, const cq_candle *k, const vm_kx *x);
/* Counts the request on "METHOD path". */
void vd_count_path(cq_vsim_counters *k, const char *method, const char *path);
/* One request against the per-minute limit (weight_limit requests) and, for an order, the
 * 10-second order limit: VD_LIMIT_OK, VD_LIMIT_LIMITED (*wait_ms to the next window) or, for
 * a request sent while limited or banned, VD_LIMIT_BANNED (*wait_ms: the ban left). */
enum { VD_LIMIT_OK = 0, VD_LIMIT_LIMITED, VD_LIMIT_BANNED };
int vd_limit_take(vd_limits *l, int64_t now, bool order, int64_t *wait_ms);
/* base64 of HMAC-SHA256(key, data) (45 bytes with the NUL). */
void vd_hmac_b64(const char *key, const char *data, size_t len, char out[48]);
/* The interval of a candle open floor with an offset (OKX's Hong Kong bars). */
int64_t vd_floor_off(int64_t t, int64_t len, int64_t off);

/* HMAC-SHA256 of data with key as lower-case hex (65 bytes). */
void vd_hmac_hex(const char *key, const char *data, size_t len, char out[65]);

/* Stream messages (malloc'd JSON text; NULL on out of memory). */
char *vd_binance_trade_msg(const vm_market *m, int s, const vm_trade *t, int64_t event_ms,
                           bool agg);
char *vd_binance_book_ticker_msg(const vm_market *m, int s, int64_t step, const vm_level *bid,
                                 const vm_level *ask);
/* The <symbol>@ticker event (24hrTicker) at now: the fields of /api/v3/ticker/24hr. */
char *vd_binance_ticker_msg(vd_binance *b, int s, int64_t now);
char *vd_binance_kline_msg(const vm_market *m, int s, const char *interval, int64_t len_ms,
                           int64_t open_ms, int64_t now_ms);
/* The open time of the interval holding t (weeks open on Monday, as Binance). */
int64_t vd_interval_floor(int64_t t_ms, int64_t len_ms);
char *vd_binance_depth_msg(const vm_market *m, int s, int64_t first_id, int64_t last_id,
                           int64_t event_ms, const vm_level *bids, size_t nb, const vm_level *asks,
                           size_t na);
char *vd_binance_user_msg(const vd_binance *b, const vx_event *ev);

/* An interval name ("1m", "1h", "1d", "1w", "1M") and its length (1M: 30 days, for the
 * kline grid only where needed); 0 for an unknown name. */
int64_t vd_interval_ms(const char *s);

#endif
