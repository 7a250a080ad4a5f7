/* The market-data pipeline the end-to-end bench and the soak drive, all in one process:
 *
 *   venue simulators (one per dialect, each on its own network loop, streaming a seeded
 *   synthetic market) -> the real venue adapters (one client loop), subscribed to trades and
 *   optionally the book and the ticker -> a handler that turns each venue event into a bus event
 *   (cq_bus_event_from_venue) and publishes it on the in-process bus under
 *   md.<venue>.<symbol>.<channel> -> one consumer thread per topic; the trades consumers feed
 *   live candles (cq_live_candles) of every (venue, symbol).
 *
 * Latency of a trade: from the instant the simulator hands the message that carries it to
 * its WebSocket server (cq_server_ws_send, hooked at link time: the simulator's tick time is
 * in ms and a tick sends many messages) to the instant the consumer's cq_live_candles_add has
 * reported the trade's candles, all on the wall clock (the adapters stamp recv_time on it),
 * with three stages: send -> the adapter's recv_time (loopback, WebSocket, decoding),
 * recv_time -> publish (the handler), publish -> candles reported (bus hand-over, consumer
 * wake-up, live candles).
 *
 * Bench code: the send-time hook has no context argument, so one pipeline runs at a time
 * (pl_start says CQ_ESTATE for a second).
 */
#ifndef CQ_BENCH_PIPELINE_H
#define CQ_BENCH_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core.h"

/* ---- a log-linear latency histogram (ns) --------------------------------------------- */

enum { LH_SUB = 64, LH_OCTAVES = 42, LH_BUCKETS = LH_SUB * LH_OCTAVES };

/* Values v < LH_SUB exactly; above, 64 buckets per power of two (under 1.6 % wide). */
typedef struct lathist {
  uint64_t n;
  int64_t max;
  uint64_t b[LH_BUCKETS];
} lathist;

void lh_clear(lathist *h);
void lh_add(lathist *h, int64_t v); /* negative values count as 0 */
void lh_merge(lathist *into, const lathist *h);
/* The value at quantile q in [0, 1] (the middle of its bucket; the max for q = 1); 0 when
 * empty. */
double lh_quantile(const lathist *h, double q);

/* ---- the pipeline ---------------------------------------------------------------------- */

enum { PL_MAX_VENUES = 3, PL_MAX_SYMBOLS = 4, PL_CHANNELS = 3 };

/* Channels: trades always; book and ticker when asked. */
enum { PL_CH_TRADES = 0, PL_CH_BOOK = 1, PL_CH_TICKER = 2 };

typedef struct pl_options {
  const char *venues[PL_MAX_VENUES];   /* "binance", "okx", "bybit"; NULL ends the list */
  const char *symbols[PL_MAX_SYMBOLS]; /* NULL ends; none: BTC/USDT */
  bool book, ticker;                   /* subscribe these too */
  double speed;                        /* simulator market time per wall time (0: 1) */
  int trade_rate;                      /* the simulator's trade_rate: at most this many trades
                                          a market second, half of it on average (0: 4) */
  int stream_interval_ms;              /* simulator tick (0: its default, 100) */
  int64_t spin_ns;                     /* the bus consumers' adaptive spin (0: none) */
  size_t ring_size;                    /* events per topic's ring (0: 1024) */
  uint64_t seed;                       /* synthetic market seed (0: 1) */
} pl_options;

/* Counters since the start (monotonic; a reader takes differences). */
typedef struct pl_counts {
  uint64_t published[PL_CHANNELS]; /* events published on the bus by channel */
  uint64_t consumed[PL_CHANNELS];  /* events polled by the consumers */
  uint64_t dropped;                /* bus drops (full rings) */
  uint64_t candle_reports;         /* live-candle reports (forming and closed) */
  uint64_t late;                   /* trades refused as late by live candles */
  uint64_t unmatched;              /* trades whose send time was not found */
  uint64_t errors;                 /* conversion, publish or candle errors */
  uint64_t sim_messages;           /* WebSocket messages the simulators sent */
} pl_counts;

/* Latency of trades (ns): the whole way and its three stages. */
typedef struct pl_latency {
  lathist total, wire, handler, consume;
} pl_latency;

typedef struct pl pl;

CQ_NODISCARD int pl_start(const pl_options *o, pl **out, cq_error *err);
/* Waits until every adapter stream delivered a first trade, or timeout_ms; CQ_ETIMEOUT. */
CQ_NODISCARD int pl_wait_flowing(pl *p, int timeout_ms, cq_error *err);
void pl_counts_get(pl *p, pl_counts *out);
/* Adds the latency since the last take into *out (which the caller clears) and starts a new
 * interval. */
void pl_latency_take(pl *p, pl_latency *out);
/* Stops adapters, simulators and consumers; frees. NULL-safe. */
void pl_stop(pl *p);

#endif
