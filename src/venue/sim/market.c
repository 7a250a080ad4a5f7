/* The synthetic market: prices, candles, trades and a book, each a pure function of
 * (seed, symbol, time), so any range of history is served instantly and identically every
 * time and the live streams agree with the REST history to the last digit.
 *
 * The log price is a sum of value-noise octaves (random values at the knots of a grid of
 * period s, linearly interpolated) from one second to sixty days, each with the amplitude a
 * random walk of the symbol's volatility would have over its period. No state is carried
 * from one time to the next: the price at t needs only t. Trades are drawn per second (ids
 * increase with time, at most the trade rate a second); candles shorter than an hour are
 * the exact aggregates of those trades, longer ones sample the path (open, close and up to
 * 60 points inside for the extremes); the book is a ladder of levels one tick apart around
 * the price, whose quantities change level by level every few seconds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/data.h"
#include "cquant/match.h"
#include "cquant/net.h"
#include "cquant/store.h"
#include "internal.h"

#define YEAR_MS (365.0 * 86400000.0)
#define QUOTE_PER_TRADE 150.0
#define LEVEL_QUOTE 4000.0

static uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t h3(uint64_t key, uint64_t a, uint64_t b) {
  return mix64(key ^ mix64(a ^ mix64(b + 0x51ed270b27b4a3c5ULL)));
}

/* [0, 1) */
static double u01(uint64_t h) {
  return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t str_hash(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static const int64_t octave_ms[] = {
    1000, 10000, 60000, 300000, 1800000, 10800000, 86400000, 604800000, INT64_C(5184000000)};
#define NOCT (sizeof octave_ms / sizeof octave_ms[0])
_Static_assert(NOCT == VM_OCTAVES, "one amplitude an octave");

/* Each octave's amplitude: a random walk's at the symbol's volatility over its period. */
static void set_amps(vm_symbol *y) {
  for (size_t i = 0; i < NOCT; i++)
    y->amp[i] = y->annual_vol * sqrt((double)octave_ms[i] / YEAR_MS);
}

static double default_price(const char *base) {
  if (!strcmp(base, "BTC")) return 40000.0;
  if (!strcmp(base, "ETH")) return 2000.0;
  return 100.0;
}

/* Rows a replayed series may hold (about 19 years of 1m candles). */
#define REPLAY_MAX_ROWS 10000000

/* Trades a replayed trade series may hold. */
#define REPLAY_MAX_TRADES 2000000

/* The scales the exact sums of replayed trades work at: the largest of the stored prices'
 * and quantities'; every stored value must fit at it. */
static int trade_scales(vm_symbol *y, const char *q, cq_error *err) {
  uint8_t ps = 0, qs = 0;
  for (size_t i = 0; i < y->htr.len; i++) {
    if (y->htr.price[i].scale > ps) ps = y->htr.price[i].scale;
    if (y->htr.qty[i].scale > qs) qs = y->htr.qty[i].scale;
  }
  if (ps > CQ_DEC_MAX_SCALE || qs > CQ_DEC_MAX_SCALE)
    return cq_error_set(err, CQ_EINVAL, "market 'replay:%s': a stored trade has too many digits",
                        q);
  for (size_t i = 0; i < y->htr.len; i++) {
    cq_dec p, v;
    if (y->htr.price[i].m <= 0 || y->htr.qty[i].m <= 0 ||
        cq_dec_rescale(y->htr.price[i], ps, CQ_ROUND_UNNECESSARY, &p, NULL) ||
        cq_dec_rescale(y->htr.qty[i], qs, CQ_ROUND_UNNECESSARY, &v, NULL))
      return cq_error_set(err, CQ_EINVAL,
                          "market 'replay:%s': stored trade %zu: price or quantity out of range", q,
                          i + 1);
  }
  y->pscale = ps;
  y->qscale = qs;
  return CQ_OK;
}

/* replay:STORE?venue=V&symbol=S&trades=1: the stored trades, read whole at start. */
static int replay_trades_init(vm_market *m, const char *q, const char *uri, const char *venue,
                              const char *symbol, cq_error *err) {
  char base[CQ_ASSET_MAX], quote[CQ_ASSET_MAX], sym[CQ_SYMBOL_MAX];
  int rc = cq_symbol_parse(symbol, base, quote, err);
  if (rc) return rc;
  snprintf(sym, sizeof sym, "%s/%s", base, quote);
  m->syms = calloc(1, sizeof *m->syms);
  if (!m->syms) return cq_error_set(err, CQ_ENOMEM, "market: out of memory");
  vm_symbol *y = &m->syms[0];
  cq_trades_init(&y->htr, REPLAY_MAX_TRADES);
  cq_candles_init(&y->hist, 1);
  m->nsyms = 1;
  cq_store *st = NULL;
  rc = cq_store_open(uri, &st, err);
  if (!rc) rc = cq_store_get_trades(st, venue, sym, INT64_MIN, INT64_MAX, &y->htr, err);
  cq_instrument ins;
  bool have_ins = !rc && cq_store_get_instrument(st, venue, sym, &ins, NULL) == CQ_OK;
  cq_store_close(st);
  if (!rc && y->htr.len == 0)
    rc = cq_error_set(err, CQ_ENOTFOUND, "market 'replay:%s': the store holds no %s %s trades", q,
                      venue, sym);
  if (rc) {
    vm_release(m);
    return rc;
  }
  cq_synth_opts so;
  cq_synth_defaults(&so);
  so.price = cq_dec_to_double(y->htr.price[0]);
  if (!(so.price >= 1e-6 && so.price <= 1e9)) so.price = 100.0;
  rc = cq_synth_instrument(&so, "binance", sym, &y->ins, err);
  if (rc) {
    vm_release(m);
    return rc;
  }
  if (have_ins && cq_dec_sign(ins.tick) > 0 && cq_dec_sign(ins.lot) > 0) {
    y->ins.tick = ins.tick;
    y->ins.lot = ins.lot;
    if (cq_dec_sign(ins.min_qty) > 0) y->ins.min_qty = ins.min_qty;
    y->ins.min_notional = ins.min_notional;
  }
  rc = trade_scales(y, q, err);
  if (rc) {
    vm_release(m);
    return rc;
  }
  y->replay = y->replay_trades = true;
  y->tf_ms = 1000;
  y->price = so.price;
  y->annual_vol = 0.6;
  set_amps(y);
  y->key = mix64(str_hash(y->ins.symbol));
  y->tick = cq_dec_to_double(y->ins.tick);
  y->lot = cq_dec_to_double(y->ins.lot);
  m->replay = true;
  m->data0_ms = y->htr.time[0] / CQ_NS_PER_MS;
  return CQ_OK;
}

/* replay:STORE_URI?venue=V&symbol=S&tf=TF: the series is read whole at start. */
static int replay_init(vm_market *m, const char *q, cq_error *err) {
  const char *qm = strrchr(q, '?');
  if (!qm)
    return cq_error_set(err, CQ_EINVAL,
                        "market 'replay:%s': expected replay:STORE?venue=V&symbol=S&tf=TF", q);
  char uri[512], venue[CQ_VENUE_MAX], symbol[CQ_SYMBOL_MAX], tf[CQ_TF_STRMAX];
  size_t ul = (size_t)(qm - q);
  if (ul == 0 || ul >= sizeof uri)
    return cq_error_set(err, CQ_EINVAL, "market 'replay:%s': the store URI is empty or too long",
                        q);
  memcpy(uri, q, ul);
  uri[ul] = 0;
  char flag[8];
  if (cq_query_get(qm + 1, "trades", flag, sizeof flag) && !strcmp(flag, "1")) {
    if (!cq_query_get(qm + 1, "venue", venue, sizeof venue) ||
        !cq_query_get(qm + 1, "symbol", symbol, sizeof symbol))
      return cq_error_set(err, CQ_EINVAL, "market 'replay:%s': venue and symbol are required", q);
    return replay_trades_init(m, q, uri, venue, symbol, err);
  }
  if (!cq_query_get(qm + 1, "venue", venue, sizeof venue) ||
      !cq_query_get(qm + 1, "symbol", symbol, sizeof symbol) ||
      !cq_query_get(qm + 1, "tf", tf, sizeof tf))
    return cq_error_set(err, CQ_EINVAL, "market 'replay:%s': venue, symbol and tf are required", q);
  cq_series_key key;
  int rc = cq_series_key_set(&key, venue, symbol, tf, err);
  if (rc) return rc;
  int64_t tf_ms = cq_timeframe_ns(key.tf) / CQ_NS_PER_MS;
  if (tf_ms <= 0)
    return cq_error_set(err, CQ_EINVAL, "market 'replay:%s': timeframe %s has no fixed length", q,
                        tf);
  m->syms = calloc(1, sizeof *m->syms);
  if (!m->syms) return cq_error_set(err, CQ_ENOMEM, "market: out of memory");
  vm_symbol *y = &m->syms[0];
  cq_candles_init(&y->hist, REPLAY_MAX_ROWS);
  m->nsyms = 1;
  cq_store *st = NULL;
  rc = cq_store_open(uri, &st, err);
  if (!rc) rc = cq_store_get_candles(st, &key, INT64_MIN, INT64_MAX, &y->hist, err);
  cq_instrument ins;
  bool have_ins = !rc && cq_store_get_instrument(st, key.venue, key.symbol, &ins, NULL) == CQ_OK;
  cq_store_close(st);
  if (!rc && y->hist.len == 0)
    rc = cq_error_set(err, CQ_ENOTFOUND, "market 'replay:%s': the store holds no %s %s %s candles",
                      q, key.venue, key.symbol, tf);
  if (rc) {
    vm_release(m);
    return rc;
  }
  cq_synth_opts so;
  cq_synth_defaults(&so);
  so.price = y->hist.open[0];
  if (!(so.price >= 1e-6 && so.price <= 1e9)) so.price = 100.0;
  rc = cq_synth_instrument(&so, "binance", key.symbol, &y->ins, err);
  if (rc) {
    vm_release(m);
    return rc;
  }
  if (have_ins && cq_dec_sign(ins.tick) > 0 && cq_dec_sign(ins.lot) > 0) {
    y->ins.tick = ins.tick;
    y->ins.lot = ins.lot;
    if (cq_dec_sign(ins.min_qty) > 0) y->ins.min_qty = ins.min_qty;
    y->ins.min_notional = ins.min_notional;
  }
  y->replay = true;
  y->tf_ms = tf_ms;
  y->price = so.price;
  y->annual_vol = 0.6;
  set_amps(y);
  y->key = mix64(str_hash(y->ins.symbol)); /* the trades drawn around the replayed price */
  y->tick = cq_dec_to_double(y->ins.tick);
  y->lot = cq_dec_to_double(y->ins.lot);
  y->pscale = y->ins.tick.scale;
  y->qscale = y->ins.lot.scale;
  m->replay = true;
  m->data0_ms = y->hist.open_time[0] / CQ_NS_PER_MS;
  return CQ_OK;
}

int vm_init(vm_market *m, const cq_vsim_options *o, cq_error *err) {
  memset(m, 0, sizeof *m);
  if (o->trade_rate < 0 || o->trade_rate > VM_MAX_TRADE_RATE)
    return cq_error_set(err, CQ_EINVAL, "trade rate: 0..%d trades a second, not %d",
                        VM_MAX_TRADE_RATE, o->trade_rate);
  m->trade_rate = o->trade_rate ? o->trade_rate : VM_TRADES_PER_SEC;
  const char *spec = o->market ? o->market : "synthetic:1";
  if (!strncmp(spec, "replay:", 7)) return replay_init(m, spec + 7, err);
  if (strncmp(spec, "synthetic:", 10) != 0)
    return cq_error_set(err, CQ_EINVAL, "market '%s': expected synthetic:SEED or replay:QUERY",
                        spec);
  char *end = NULL;
  unsigned long long seed = strtoull(spec + 10, &end, 10);
  if (!spec[10] || *end)
    return cq_error_set(err, CQ_EINVAL, "market '%s': the seed must be a whole number", spec);
  m->seed = seed;
  static const cq_vsim_symbol defaults[] = {{"BTC/USDT", 0, 0}, {"ETH/USDT", 0, 0}};
  const cq_vsim_symbol *syms = o->symbols ? o->symbols : defaults;
  size_t n = o->symbols ? o->nsymbols : 2;
  if (n == 0 || n > VSIM_MAX_SYMBOLS)
    return cq_error_set(err, CQ_EINVAL, "symbols: 1..%d, not %zu", VSIM_MAX_SYMBOLS, n);
  m->syms = calloc(n, sizeof *m->syms);
  if (!m->syms) return cq_error_set(err, CQ_ENOMEM, "market: out of memory");
  for (size_t i = 0; i < n; i++) {
    vm_symbol *s = &m->syms[i];
    char base[CQ_ASSET_MAX], quote[CQ_ASSET_MAX];
    int rc = cq_symbol_parse(syms[i].symbol ? syms[i].symbol : "", base, quote, err);
    if (rc) {
      vm_release(m);
      return rc;
    }
    cq_synth_opts so;
    cq_synth_defaults(&so);
    so.price = syms[i].price > 0 ? syms[i].price : default_price(base);
    if (!(so.price >= 1e-6 && so.price <= 1e9)) {
      vm_release(m);
      return cq_error_set(err, CQ_EINVAL, "symbol %s: price must be 0.000001..1e9", syms[i].symbol);
    }
    char sym[CQ_SYMBOL_MAX];
    snprintf(sym, sizeof sym, "%s/%s", base, quote);
    rc = cq_synth_instrument(&so, "binance", sym, &s->ins, err);
    if (rc) {
      vm_release(m);
      return rc;
    }
    for (size_t j = 0; j < i; j++)
      if (!strcmp(m->syms[j].ins.symbol, s->ins.symbol)) {
        vm_release(m);
        return cq_error_set(err, CQ_EINVAL, "symbol %s given twice", s->ins.symbol);
      }
    s->price = so.price;
    s->annual_vol = syms[i].annual_vol > 0 ? syms[i].annual_vol : 0.6;
    set_amps(s);
    s->key = mix64(seed ^ str_hash(s->ins.symbol));
    s->tick = cq_dec_to_double(s->ins.tick);
    s->lot = cq_dec_to_double(s->ins.lot);
    s->pscale = s->ins.tick.scale;
    s->qscale = s->ins.lot.scale;
    m->nsyms = i + 1;
  }
  if (o->ngaps > VSIM_MAX_GAPS) {
    vm_release(m);
    return cq_error_set(err, CQ_EINVAL, "at most %d venue gaps", VSIM_MAX_GAPS);
  }
  for (size_t i = 0; i < o->ngaps; i++) {
    if (o->gaps[i].to_ms <= o->gaps[i].from_ms) {
      vm_release(m);
      return cq_error_set(err, CQ_EINVAL, "venue gap %zu: it must end after it starts", i + 1);
    }
    m->gaps[i].from_ms = o->gaps[i].from_ms;
    m->gaps[i].to_ms = o->gaps[i].to_ms;
  }
  m->ngaps = o->ngaps;
  return CQ_OK;
}

void vm_release(vm_market *m) {
  for (size_t i = 0; m->syms && i < m->nsyms; i++) {
    cq_candles_release(&m->syms[i].hist);
    cq_trades_release(&m->syms[i].htr);
  }
  free(m->syms);
  m->syms = NULL;
  m->nsyms = 0;
}

int vm_find(const vm_market *m, const char *name) {
  for (size_t i = 0; i < m->nsyms; i++)
    if (!strcmp(m->syms[i].ins.symbol, name) || !strcmp(m->syms[i].ins.native, name)) return (int)i;
  return -1;
}

bool vm_in_gap(const vm_market *m, int64_t t) {
  for (size_t i = 0; i < m->ngaps; i++)
    if (t >= m->gaps[i].from_ms && t < m->gaps[i].to_ms) return true;
  return false;
}

static double log_price(const vm_symbol *s, int64_t t) {
  double x = log(s->price);
  for (size_t i = 0; i < NOCT; i++) {
    int64_t p = octave_ms[i];
    int64_t k = t / p, r = t % p;
    double a = 2.0 * u01(h3(s->key, (uint64_t)i, (uint64_t)k)) - 1.0;
    double b = 2.0 * u01(h3(s->key, (uint64_t)i, (uint64_t)k + 1)) - 1.0;
    double f = (double)r / (double)p;
    x += s->amp[i] * (a + (b - a) * f);
  }
  return x;
}

/* Replay: the price along the stored candle holding t, through open, the nearer extreme,
 * the farther one and close (cq_bar_path) at a third of the candle each; held flat past the
 * ends and across missing candles. */
static double replay_price(const vm_symbol *s, int64_t t) {
  const cq_candles *h = &s->hist;
  size_t i = cq_candles_lower_bound(h, t * CQ_NS_PER_MS + 1);
  if (i == 0) return h->open[0];
  i--;
  cq_candle k;
  cq_candles_get(h, i, &k);
  int64_t open = k.open_time / CQ_NS_PER_MS;
  if (t >= open + s->tf_ms) return k.close;
  double path[4];
  cq_bar_path(&k, path);
  double u = (double)(t - open) / (double)s->tf_ms * 3.0;
  int seg = (int)u;
  if (seg > 2) seg = 2;
  double f = u - seg;
  return path[seg] + (path[seg + 1] - path[seg]) * f;
}

/* The first stored trade at or after t (ms); len when none. */
static size_t trade_lower_bound(const cq_trades *tr, int64_t t_ms) {
  size_t lo = 0, hi = tr->len;
  cq_time t = t_ms * CQ_NS_PER_MS;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (tr->time[mid] < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* A stored decimal's mantissa at scale sc (at least its own; that it fits is checked when
 * the trades are loaded). */
static int64_t at_scale(cq_dec d, uint8_t sc) {
  cq_dec r;
  return cq_dec_rescale(d, sc, CQ_ROUND_UNNECESSARY, &r, NULL) ? 0 : r.m;
}

/* Replayed trades: the price of the last trade at or before t (the first one before it). */
static double replay_trade_price(const vm_symbol *s, int64_t t) {
  size_t i = trade_lower_bound(&s->htr, t + 1);
  return cq_dec_to_double(s->htr.price[i ? i - 1 : 0]);
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Every octave's knots lie on whole seconds, so within a second the log price is the
 * straight line between its values at the second's two ends: a second's trades need only
 * those two, and consecutive seconds share one. */
typedef struct sec_path {
  int64_t sec; /* INT64_MIN: none yet */
  double l0, l1;
} sec_path;

static void path_at(const vm_symbol *y, int64_t sec, sec_path *p) {
  if (p->sec == sec) return;
  double l0 = p->sec == sec - 1 ? p->l1 : log_price(y, sec * 1000);
  double l1 = p->sec == sec + 1 ? p->l0 : log_price(y, sec * 1000 + 1000);
  p->l0 = l0;
  p->l1 = l1;
  p->sec = sec;
}

/* The synthetic price at ms `off` into the path's second. */
static double path_price(const sec_path *p, int64_t off) {
  return exp(p->l0 + (p->l1 - p->l0) * ((double)off / 1000.0));
}

static double raw_price(const vm_symbol *s, int64_t t) {
  if (s->replay_trades) return replay_trade_price(s, t);
  if (s->replay) return replay_price(s, t);
  int64_t sec = floor_div(t, 1000);
  if (t == sec * 1000) return exp(log_price(s, t)); /* what path_price gives there */
  sec_path p = {.sec = INT64_MIN};
  path_at(s, sec, &p);
  return path_price(&p, t - sec * 1000);
}

static int64_t to_ticks(const vm_symbol *s, double px) {
  double ticks = round(px / s->tick);
  return ticks < 1.0 ? 1 : (int64_t)ticks;
}

static int64_t price_ticks(const vm_symbol *s, int64_t t) {
  return to_ticks(s, raw_price(s, t));
}

double vm_price(const vm_market *m, int s, int64_t t) {
  const vm_symbol *y = &m->syms[s];
  return (double)price_ticks(y, t) * y->tick;
}

static bool interval_in_gap(const vm_market *m, int64_t from, int64_t to) {
  for (size_t i = 0; i < m->ngaps; i++)
    if (from >= m->gaps[i].from_ms && to <= m->gaps[i].to_ms) return true;
  return false;
}

/* Replay at a multiple of the stored timeframe: the stored candles of [open, open + len)
 * that closed by now, aggregated; none: no candle (the store's own gap). */
static int replay_candle(const vm_symbol *y, int64_t open, int64_t len, int64_t now,
                         cq_candle *out) {
  if (now < open + len) return -1; /* forming: sampled from the path like any other */
  const cq_candles *h = &y->hist;
  size_t i = cq_candles_lower_bound(h, open * CQ_NS_PER_MS);
  bool any = false;
  cq_candle acc;
  memset(&acc, 0, sizeof acc);
  for (; i < h->len && h->open_time[i] < (open + len) * CQ_NS_PER_MS; i++) {
    cq_candle k;
    cq_candles_get(h, i, &k);
    if (k.open_time / CQ_NS_PER_MS + y->tf_ms > now) break; /* not closed yet at now */
    if (!any) {
      acc = k;
      acc.open_time = open * CQ_NS_PER_MS;
      if (!(acc.trades >= 0)) acc.trades = 0;
      if (acc.quote_volume != acc.quote_volume) acc.quote_volume = 0;
      any = true;
      continue;
    }
    if (k.high > acc.high) acc.high = k.high;
    if (k.low < acc.low) acc.low = k.low;
    acc.close = k.close;
    acc.volume += k.volume;
    if (k.quote_volume == k.quote_volume) acc.quote_volume += k.quote_volume;
    if (k.trades > 0) acc.trades += k.trades;
  }
  if (!any) return 0;
  acc.closed = true;
  *out = acc;
  return 1;
}

/* ---- trades ------------------------------------------------------------------------------ */

/* How many trades second sec has: none before the market's start or in a venue gap. */
static int sec_count(const vm_market *m, const vm_symbol *y, int64_t sec) {
  if (sec * 1000 < VM_EPOCH_MS || vm_in_gap(m, sec * 1000)) return 0;
  return (int)(h3(y->key, 202, (uint64_t)sec) % (uint64_t)(m->trade_rate + 1));
}

/* Trade j of the n of second sec: its time in the j-th n-th of the second (so a second's
 * trades come sorted without sorting), its price on the path, a quantity worth about
 * QUOTE_PER_TRADE. */
static void sec_trade(const vm_symbol *y, int64_t sec, int n, int j, sec_path *p, vm_trade *out) {
  uint64_t b = (uint64_t)sec * 1024u + (uint64_t)j;
  int64_t off = ((int64_t)j * 1000 + (int64_t)(h3(y->key, 203, b) % 1000)) / n;
  int64_t t = sec * 1000 + off;
  double raw;
  if (y->replay) {
    raw = replay_price(y, t);
  } else {
    path_at(y, sec, p);
    raw = path_price(p, off);
  }
  int64_t ticks = to_ticks(y, raw);
  uint64_t q = h3(y->key, 210, b);
  double px = (double)ticks * y->tick;
  double lots = floor(QUOTE_PER_TRADE * (0.1 + 2.0 * u01(q)) / px / y->lot);
  int64_t nl = lots < 1.0 ? 1 : (int64_t)lots;
  *out = (vm_trade){.id = (sec - VM_EPOCH_MS / 1000) * VM_IDS_PER_SEC + j,
                    .time_ms = t,
                    .price = px,
                    .qty = (double)nl * y->lot,
                    .px_m = ticks * y->ins.tick.m,
                    .qty_m = nl * y->ins.lot.m,
                    .buyer_maker = (q >> 63) != 0};
}

static vm_trade stored_trade(const vm_symbol *y, size_t i) {
  cq_dec p = y->htr.price[i], q = y->htr.qty[i];
  return (vm_trade){.id = (int64_t)i + 1,
                    .time_ms = y->htr.time[i] / CQ_NS_PER_MS,
                    .price = cq_dec_to_double(p),
                    .qty = cq_dec_to_double(q),
                    .px_m = at_scale(p, y->pscale),
                    .qty_m = at_scale(q, y->qscale),
                    .buyer_maker = y->htr.taker_side[i] == CQ_SIDE_SELL};
}

/* Seconds searched at most for trades (a long venue gap must not spin forever). */
#define MAX_SCAN_SEC (INT64_C(7) * 86400)

/* The start of the venue gap holding t (t itself when none). */
static int64_t gap_start(const vm_market *m, int64_t t) {
  for (size_t i = 0; i < m->ngaps; i++)
    if (t >= m->gaps[i].from_ms && t < m->gaps[i].to_ms) return m->gaps[i].from_ms;
  return t;
}

/* The price mantissa of the last trade before t; false when there is none. */
static bool last_px_before(const vm_market *m, const vm_symbol *y, int64_t t, int64_t *px) {
  if (y->replay_trades) {
    size_t i = trade_lower_bound(&y->htr, t);
    if (i == 0) return false;
    *px = at_scale(y->htr.price[i - 1], y->pscale);
    return true;
  }
  sec_path p = {.sec = INT64_MIN};
  int64_t sec = floor_div(t - 1, 1000);
  for (int64_t scanned = 0; scanned < MAX_SCAN_SEC && sec * 1000 >= VM_EPOCH_MS; scanned++, sec--) {
    int64_t g = gap_start(m, sec * 1000);
    if (g < sec * 1000) sec = floor_div(g, 1000); /* across the gap at once */
    int n = sec_count(m, y, sec);
    for (int j = n - 1; j >= 0; j--) {
      vm_trade tr;
      sec_trade(y, sec, n, j, &p, &tr);
      if (tr.time_ms < t) {
        *px = tr.px_m;
        return true;
      }
    }
  }
  return false;
}

/* The exact aggregate of a candle's trades. */
typedef struct kagg {
  int64_t n;
  int64_t o, h, l, c;
  vm_i128 vol, bvol, q, bq;
} kagg;

static void kagg_add(kagg *a, const vm_trade *t) {
  if (!a->n) {
    a->o = a->h = a->l = t->px_m;
  } else {
    if (t->px_m > a->h) a->h = t->px_m;
    if (t->px_m < a->l) a->l = t->px_m;
  }
  a->c = t->px_m;
  a->n++;
  vm_i128 qq = (vm_i128)t->px_m * t->qty_m;
  a->vol += t->qty_m;
  a->q += qq;
  if (!t->buyer_maker) { /* the taker bought */
    a->bvol += t->qty_m;
    a->bq += qq;
  }
}

void vm_i128_text(vm_i128 v, unsigned scale, unsigned min_frac, char *buf, size_t n) {
  char dig[48]; /* least significant first */
  size_t nd = 0;
  bool neg = v < 0;
  unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1u : (unsigned __int128)v;
  do {
    dig[nd++] = (char)('0' + (int)(u % 10u));
    u /= 10u;
  } while (u && nd < sizeof dig);
  if (scale > 40) scale = 40;
  if (min_frac > 40) min_frac = 40;
  char out[96];
  size_t k = 0;
  if (neg) out[k++] = '-';
  if (nd <= scale) out[k++] = '0';
  for (size_t i = nd; i-- > scale;) out[k++] = dig[i]; /* the integer digits */
  unsigned frac = scale; /* fraction digits kept: trailing zeros go, down to min_frac */
  while (frac > min_frac && (scale - frac >= nd || dig[scale - frac] == '0')) frac--;
  if (frac || min_frac) out[k++] = '.';
  for (unsigned f = 0; f < frac; f++) { /* the digit at 10^-(f+1) */
    size_t pos = scale - 1 - f;
    out[k++] = pos < nd ? dig[pos] : '0';
  }
  for (unsigned f = frac; f < min_frac; f++) out[k++] = '0';
  out[k] = 0;
  snprintf(buf, n, "%s", out);
}

static double i128_double(vm_i128 v, unsigned scale) {
  char t[96];
  vm_i128_text(v, scale, 0, t, sizeof t);
  return strtod(t, NULL);
}

/* The candle of an aggregate (no trade: zero volume at price px). */
static void kagg_candle(const vm_symbol *y, kagg *a, int64_t px, int64_t open, bool closed,
                        cq_candle *out, vm_kx *x) {
  if (!a->n) a->o = a->h = a->l = a->c = px;
  unsigned ps = y->pscale, qs = y->qscale;
  vm_kx e = {.exact = true,
             .open = CQ_DEC(a->o, ps),
             .high = CQ_DEC(a->h, ps),
             .low = CQ_DEC(a->l, ps),
             .close = CQ_DEC(a->c, ps),
             .vol = a->vol,
             .buy_vol = a->bvol,
             .quote = a->q,
             .buy_quote = a->bq,
             .qscale = (uint8_t)qs,
             .quote_scale = (uint8_t)(ps + qs)};
  *out = (cq_candle){.open_time = open * CQ_NS_PER_MS,
                     .open = cq_dec_to_double(e.open),
                     .high = cq_dec_to_double(e.high),
                     .low = cq_dec_to_double(e.low),
                     .close = cq_dec_to_double(e.close),
                     .volume = i128_double(a->vol, qs),
                     .quote_volume = i128_double(a->q, ps + qs),
                     .trades = a->n,
                     .closed = closed};
  if (x) *x = e;
}

/* Synthetic: the trades of [open, min(open + len, now)), aggregated. */
static bool synth_trades_candle(const vm_market *m, const vm_symbol *y, int64_t open, int64_t len,
                                int64_t now, cq_candle *out, vm_kx *x) {
  int64_t end = open + len < now ? open + len : now;
  kagg a;
  memset(&a, 0, sizeof a);
  sec_path p = {.sec = INT64_MIN};
  for (int64_t sec = floor_div(open, 1000); sec * 1000 < end; sec++) {
    int n = sec_count(m, y, sec);
    for (int j = 0; j < n; j++) {
      vm_trade t;
      sec_trade(y, sec, n, j, &p, &t);
      if (t.time_ms < open) continue;
      if (t.time_ms >= end) break;
      kagg_add(&a, &t);
    }
  }
  int64_t px = 0;
  if (!a.n && !last_px_before(m, y, open, &px)) px = price_ticks(y, open) * y->ins.tick.m;
  kagg_candle(y, &a, px, open, now >= open + len, out, x);
  return true;
}

/* Replayed trades: the candle of the trades in [open, min(open + len, now)); a bucket with
 * none is one of zero volume inside the stored span and none outside it. */
static bool stored_trades_candle(const vm_symbol *y, int64_t open, int64_t len, int64_t now,
                                 cq_candle *out, vm_kx *x) {
  int64_t end = open + len < now ? open + len : now;
  size_t i = trade_lower_bound(&y->htr, open), j = end > open ? trade_lower_bound(&y->htr, end) : i;
  kagg a;
  memset(&a, 0, sizeof a);
  for (size_t k = i; k < j; k++) {
    vm_trade t = stored_trade(y, k);
    kagg_add(&a, &t);
  }
  int64_t px = 0;
  if (!a.n) {
    if (i == 0 || i >= y->htr.len) return false;
    px = at_scale(y->htr.price[i - 1], y->pscale);
  }
  kagg_candle(y, &a, px, open, now >= open + len, out, x);
  return true;
}

bool vm_candle(const vm_market *m, int s, int64_t open, int64_t len, int64_t now, cq_candle *out) {
  return vm_candle_x(m, s, open, len, now, out, NULL);
}

bool vm_candle_x(const vm_market *m, int s, int64_t open, int64_t len, int64_t now, cq_candle *out,
                 vm_kx *x) {
  const vm_symbol *y = &m->syms[s];
  if (x) x->exact = false;
  if (interval_in_gap(m, open, open + len)) return false;
  if (y->replay_trades) return stored_trades_candle(y, open, len, now, out, x);
  if (!y->replay && len < VM_AGG_MAX_LEN_MS)
    return synth_trades_candle(m, y, open, len, now, out, x);
  if (y->replay && len % y->tf_ms == 0) {
    int r = replay_candle(y, open, len, now, out);
    if (r >= 0) return r == 1;
    /* forming: a replayed candle exists once its first stored bar does */
    size_t i = cq_candles_lower_bound(&y->hist, open * CQ_NS_PER_MS);
    if (i >= y->hist.len || y->hist.open_time[i] >= (open + len) * CQ_NS_PER_MS) return false;
  }
  int64_t end = open + len;
  bool closed = now >= end;
  int64_t last = closed ? end : now;
  if (last < open) last = open;
  int64_t o = price_ticks(y, open), c = price_ticks(y, last), hi = o > c ? o : c,
          lo = o < c ? o : c;
  int64_t n = len / 1000;
  if (n > 60) n = 60;
  for (int64_t i = 1; i < n; i++) {
    int64_t t = open + len * i / n;
    if (t > last) break;
    int64_t p = price_ticks(y, t);
    if (p > hi) hi = p;
    if (p < lo) lo = p;
  }
  /* about what the trades would add up to: half the rate a second on average */
  double per_sec = 0.5 * (double)m->trade_rate * QUOTE_PER_TRADE * 1.1;
  double mid = 0.25 * (double)(o + hi + lo + c) * y->tick;
  double frac = (double)(last - open) / (double)len;
  double quote =
      per_sec * ((double)len / 1000.0) * frac * (0.5 + u01(h3(y->key, 101, (uint64_t)open)));
  double vol = round(quote / mid / y->lot) * y->lot;
  *out = (cq_candle){.open_time = open * CQ_NS_PER_MS,
                     .open = (double)o * y->tick,
                     .high = (double)hi * y->tick,
                     .low = (double)lo * y->tick,
                     .close = (double)c * y->tick,
                     .volume = vol,
                     .quote_volume = vol * mid,
                     .trades = (int64_t)(quote / (QUOTE_PER_TRADE * 1.1)),
                     .closed = closed};
  return true;
}

size_t vm_trades_after(const vm_market *m, int s, int64_t from, int64_t to, int64_t after_id,
                       vm_trade *out, size_t max) {
  const vm_symbol *y = &m->syms[s];
  size_t k = 0;
  if (y->replay_trades) {
    size_t i = trade_lower_bound(&y->htr, from);
    if (after_id > 0 && (uint64_t)after_id > i) i = (size_t)after_id; /* ids: index + 1 */
    for (; i < y->htr.len && k < max && y->htr.time[i] / CQ_NS_PER_MS < to; i++)
      out[k++] = stored_trade(y, i);
    return k;
  }
  int64_t sec = floor_div(from, 1000), after_sec = INT64_MIN;
  if (after_id >= 0) {
    after_sec = VM_EPOCH_MS / 1000 + after_id / VM_IDS_PER_SEC;
    if (after_sec > sec) sec = after_sec;
  }
  sec_path p = {.sec = INT64_MIN};
  for (; k < max && sec * 1000 < to; sec++) {
    int n = sec_count(m, y, sec);
    /* a page that ends inside a second resumes after its last trade; a window that starts
     * inside one skips the trades of the n-ths before it (trade j lies in the j-th) */
    int j0 = sec == after_sec ? (int)(after_id % VM_IDS_PER_SEC) + 1 : 0;
    int64_t f = from - sec * 1000;
    if (f > 0 && f < 1000 && (int)(f * n / 1000) > j0) j0 = (int)(f * n / 1000);
    for (int j = j0; j < n && k < max; j++) {
      vm_trade t;
      sec_trade(y, sec, n, j, &p, &t);
      if (t.time_ms >= to) break;
      if (t.id > after_id && t.time_ms >= from) out[k++] = t;
    }
  }
  return k;
}

size_t vm_trades_from_id(const vm_market *m, int s, int64_t from_id, int64_t now, vm_trade *out,
                         size_t max) {
  const vm_symbol *y = &m->syms[s];
  if (y->replay_trades) {
    size_t k = 0;
    for (size_t i = from_id > 1 ? (size_t)(from_id - 1) : 0;
         i < y->htr.len && k < max && y->htr.time[i] / CQ_NS_PER_MS < now; i++)
      out[k++] = stored_trade(y, i);
    return k;
  }
  if (from_id < 0) from_id = 0;
  int64_t sec = VM_EPOCH_MS / 1000 + from_id / VM_IDS_PER_SEC;
  size_t k = 0;
  sec_path p = {.sec = INT64_MIN};
  for (int64_t scanned = 0; k < max && sec * 1000 < now && scanned < MAX_SCAN_SEC;
       sec++, scanned++) {
    int n = sec_count(m, y, sec);
    for (int j = 0; j < n && k < max; j++) {
      vm_trade t;
      sec_trade(y, sec, n, j, &p, &t);
      if (t.time_ms >= now) break;
      if (t.id >= from_id) out[k++] = t;
    }
    if (n) scanned = 0;
  }
  return k;
}

size_t vm_trades_range(const vm_market *m, int s, int64_t from, int64_t to, vm_trade *out,
                       size_t max) {
  return vm_trades_after(m, s, from, to, -1, out, max);
}

size_t vm_trades_recent(const vm_market *m, int s, int64_t now, vm_trade *out, size_t max) {
  return vm_trades_before_id(m, s, INT64_MAX, now, out, max);
}

size_t vm_trades_before_id(const vm_market *m, int s, int64_t before_id, int64_t now, vm_trade *out,
                           size_t max) {
  const vm_symbol *y = &m->syms[s];
  if (y->replay_trades) {
    size_t j = trade_lower_bound(&y->htr, now), k = 0;
    if (before_id <= 0) return 0;
    if ((uint64_t)before_id - 1 < j) j = (size_t)(before_id - 1); /* ids: index + 1 */
    for (size_t i = j > max ? j - max : 0; i < j; i++) out[k++] = stored_trade(y, i);
    return k;
  }
  size_t k = 0;
  int64_t sec = floor_div(now, 1000);
  if (before_id < INT64_MAX) {
    int64_t s2 = VM_EPOCH_MS / 1000 + floor_div(before_id, VM_IDS_PER_SEC);
    if (s2 < sec) sec = s2;
  }
  sec_path p = {.sec = INT64_MIN};
  for (int64_t scanned = 0; k < max && scanned < MAX_SCAN_SEC; sec--, scanned++) {
    if (sec * 1000 < VM_EPOCH_MS) break;
    int n = sec_count(m, y, sec);
    for (int j = n - 1; j >= 0 && k < max; j--) {
      vm_trade t;
      sec_trade(y, sec, n, j, &p, &t);
      if (t.time_ms < now && t.id < before_id) out[k++] = t;
    }
    if (n) scanned = 0;
  }
  for (size_t i = 0; i < k / 2; i++) { /* newest first -> oldest first */
    vm_trade x = out[i];
    out[i] = out[k - 1 - i];
    out[k - 1 - i] = x;
  }
  return k;
}

static double level_qty(const vm_symbol *y, int64_t ticks, int64_t step, int side) {
  /* each level changes about every 5 s, the levels out of phase */
  int64_t phase = (ticks * 7919) % 50;
  int64_t bucket = (step + phase) / 50;
  uint64_t h = h3(y->key ^ (uint64_t)side, (uint64_t)ticks, (uint64_t)bucket);
  double px = (double)ticks * y->tick;
  double q = floor(LEVEL_QUOTE * (0.05 + 1.5 * u01(h)) / px / y->lot) * y->lot;
  return q < y->lot ? y->lot : q;
}

void vm_book(const vm_market *m, int s, int64_t step, vm_level *bids, vm_level *asks, size_t nlev) {
  const vm_symbol *y = &m->syms[s];
  double mid = raw_price(y, step * VM_BOOK_STEP_MS) / y->tick;
  int64_t bid = (int64_t)floor(mid);
  if (bid < 2) bid = 2;
  int64_t ask = bid + 1;
  for (size_t i = 0; i < nlev; i++) {
    int64_t b = bid - (int64_t)i, a = ask + (int64_t)i;
    bids[i].price = b > 0 ? (double)b * y->tick : 0.0;
    bids[i].qty = b > 0 ? level_qty(y, b, step, 1) : 0.0;
    asks[i].price = (double)a * y->tick;
    asks[i].qty = level_qty(y, a, step, 2);
  }
}
