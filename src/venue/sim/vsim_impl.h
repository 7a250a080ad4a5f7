/* The simulator object's layout, shared by its building half (vsim.c) and its serving half
 * (vsim_server.c). */
#ifndef CQ_VSIM_IMPL_H
#define CQ_VSIM_IMPL_H

#include "internal.h"

enum { MAX_CONNS = 256, MAX_SUBS = 64, MAX_TICK_TRADES = 4096 };

typedef enum vs_sub_kind {
  SUB_TRADE = 0,
  SUB_AGG,
  SUB_BOOK_TICKER,
  SUB_KLINE,
  SUB_DEPTH,
  SUB_DEPTH100,
  /* OKX and Bybit */
  SUB_TICKER,  /* tickers */
  SUB_BOOK,    /* OKX books, Bybit orderbook.N: a snapshot, then updates */
  SUB_BBO,     /* OKX bbo-tbt: the top of the book, whole each time */
  SUB_ORDERS,  /* OKX orders, Bybit order */
  SUB_FILLS,   /* Bybit execution */
  SUB_ACCOUNT, /* OKX account, Bybit wallet */
  SUB_KIND_COUNT_
} vs_sub_kind;

typedef struct vs_sub {
  vs_sub_kind kind;
  int sym;
  int64_t len;       /* kline */
  char interval[8];  /* kline */
  int64_t last_open; /* kline: the candle last sent */
  char name[64];
  /* OKX and Bybit */
  int64_t off;   /* kline: where its bars open (OKX's Hong Kong days) */
  int depth;     /* Bybit orderbook.N */
  bool snap;     /* book: its snapshot was sent */
  int64_t seq;   /* Bybit book: u of the last message */
  int64_t ticks; /* tickers: the second last sent */
} vs_sub;

typedef struct vs_conn {
  uint64_t id;
  bool used;
  bool combined;
  int account; /* user-data stream: the listen key's account; -1 none */
  char listen_key[72];
  int64_t opened_ms; /* market time of the upgrade */
  vs_sub subs[MAX_SUBS];
  size_t nsubs;
  int64_t countdown; /* a WebSocket fault after this many more messages; -1 none */
  cq_ws_end how;
  bool ended;
  char *held; /* depth reorder: a message held back */
  int chan;   /* OKX, Bybit: the URL's stream (VS_CHAN_*) */
} vs_conn;

enum { VS_CHAN_PUBLIC = 0, VS_CHAN_PRIVATE, VS_CHAN_BUSINESS };

/* The book last streamed of a symbol, for the diffs. */
typedef struct sym_state {
  vm_level bids[VM_BOOK_LEVELS], asks[VM_BOOK_LEVELS];
  int64_t step;
  vm_level bids1[VM_BOOK_LEVELS], asks1[VM_BOOK_LEVELS]; /* the 1000 ms stream's */
  int64_t step1;
  vm_level top_bid, top_ask;
  vm_level vb[VM_BOOK_LEVELS], va[VM_BOOK_LEVELS]; /* OKX, Bybit: the book last streamed */
  int64_t vstep;                                   /* its step; 0 none */
} sym_state;

typedef struct vs_v5_scratch vs_v5_scratch;

/* A dialect: its REST handler and, unless it is Binance's (whose streams, listen keys and
 * combined URLs the server routes itself), its stream halves: which URL paths are its
 * streams (VS_CHAN_*, -1 none), a client message, and one market step (s->mu held). */
typedef struct vs_dialect_ops {
  const char *name;
  void (*http)(vd_binance *b, const vd_request *req, int64_t now, vd_response *resp);
  int (*ws_path)(const char *path);
  void (*ws_message)(cq_vsim *s, vs_conn *c, const char *data, size_t len, int64_t now);
  void (*tick)(cq_vsim *s, int64_t from, int64_t now, const vx_event *ev, size_t nev,
               const vs_v5_scratch *sc);
} vs_dialect_ops;

struct cq_vsim {
  pthread_mutex_t mu; /* counters, connections, clock */
  const vs_dialect_ops *ops;
  vm_market mkt;
  vx_exchange *ex;
  vf_state faults;
  vd_binance bin;
  cq_vsim_counters counters;
  cq_vsim_options opt;
  int64_t pinned_ms;
  int64_t wall0_ms; /* replay: the wall clock when the replay started */
  cq_server *srv;
  int port;
  char rest_url[64], ws_url[64];
  vs_conn conns[MAX_CONNS];
  sym_state *ss;
  pthread_t thread;
  bool thread_on;
  pthread_mutex_t run_mu;
  pthread_cond_t run_cv;
  bool stopping;
  bool wake; /* user events are waiting: the market thread runs a step now */
  int64_t last_tick_ms;
  int64_t trades_to_ms;          /* trades before this were streamed (the clock may step back) */
  void (*stop_hook)(cq_vsim *s); /* set by cq_vsim_start */
  /* owned copies of accounts read from a file */
  cq_vsim_account *accs;
  char **acc_strs;
  size_t nacc_strs;
};

/* Sends msg on c (wrapped for a combined Binance connection when stream is given), counting
 * down a WebSocket fault. s->mu held. */
void vs_ws_send(cq_vsim *s, vs_conn *c, const char *stream, const char *msg);

/* Pages of the trades of sym with time in [from, now), in id order: each call fills tr (at
 * most max) with the trades after *after_id (-1 at first) and moves *after_id on; 0 when
 * none are left. However late a step runs, every trade goes out once. */
size_t vs_trades_page(const cq_vsim *s, int sym, int64_t from, int64_t now, int64_t *after_id,
                      vm_trade *tr, size_t max);

/* Buffers the market thread lends the OKX and Bybit stream halves (VM_BOOK_LEVELS each for
 * bids and asks, 2 * VM_BOOK_LEVELS for db and da). */
struct vs_v5_scratch {
  vm_level *bids, *asks, *db, *da;
  int64_t trades_from; /* the step's trades: time in [trades_from, now) */
};

/* OKX streams (dialect_okx_ws.c): the URL's stream (VS_CHAN_*, -1 unknown), one client
 * message, and one market step (trades, tickers, candles, books, the users' events); s->mu
 * held. */
int vs_okx_ws_path(const char *path);
void vs_okx_ws_message(cq_vsim *s, vs_conn *c, const char *data, size_t len, int64_t now);
void vs_okx_tick(cq_vsim *s, int64_t from, int64_t now, const vx_event *ev, size_t nev,
                 const vs_v5_scratch *sc);
/* Bybit streams (dialect_bybit_ws.c), the same. */
int vs_bybit_ws_path(const char *path);
void vs_bybit_ws_message(cq_vsim *s, vs_conn *c, const char *data, size_t len, int64_t now);
void vs_bybit_tick(cq_vsim *s, int64_t from, int64_t now, const vx_event *ev, size_t nev,
                   const vs_v5_scratch *sc);
/* The changes from old to cur (n levels each, best first; price 0 ends a side early): levels
 * gone (quantity 0), new or changed, into out (2n at most); the count. */
size_t vs_book_diff(const vm_level *old, const vm_level *cur, size_t n, vm_level *out);

#endif
