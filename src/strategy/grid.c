/* grid (event form only): a ladder of buy limits below a center price, each bought level
 * sold one spacing higher and bought again once sold.
 *
 * Per symbol:
 *   - at its first bar's close: center = close; level k (1..levels) is a GTC buy limit at
 *     center * (1 - k * spacing) for a notional of equity / (levels * symbols), the equity
 *     taken then;
 *   - a level's buy filled completely: a GTC sell limit of the filled quantity at the
 *     level's price * (1 + spacing);
 *   - a level's sell filled completely: the level's buy again (same price and notional);
 *   - a level whose order is rejected, cancelled or expired stays idle until the next
 *     re-center;
 *   - at a bar's close, holding nothing and the close more than one spacing above the top
 *     sell (level 1's sell price) or below the lowest buy: cancel every order of the
 *     symbol and center again on that close.
 * The cross rule keeps the lowest level above zero: levels * spacing < 1. */
#include <string.h>

#include "strategy_internal.h"

enum { GRID_MAX_LEVELS = 100 };

static const cq_param_def grid_params[] = {
    {"levels", CQ_PARAM_INT, 10, 2, GRID_MAX_LEVELS, 1, "buy levels below the center"},
    {"spacing", CQ_PARAM_FLOAT, 0.01, 0.001, 0.2, 0.001,
     "distance between levels as a fraction of the center (0.01 is 1 %)"},
};

typedef struct grid_level {
  double price;       /* the level's buy price; its sell is price * (1 + spacing) */
  uint64_t buy, sell; /* working order ids, 0: none */
} grid_level;

typedef struct grid_sym {
  bool started;
  double center, notional;
  grid_level level[GRID_MAX_LEVELS];
} grid_sym;

typedef struct grid_state {
  int levels;
  double spacing;
  int symbols;
  grid_sym sym[CQ__ST_MAX_SYMBOLS];
} grid_state;

static int grid_check(const double *p, cq_error *err) {
  if (p[0] * p[1] < 1) return CQ_OK;
  int rc = cq_error_set(err, CQ_EINVAL,
                        "grid: levels (%g) x spacing (%g) must be below 1, or the lowest buy "
                        "would be at or below zero",
                        p[0], p[1]);
  cq_error_field(err, "spacing");
  return rc;
}

static int grid_start(cq_ctx *ctx, void *st, cq_error *err) {
  grid_state *s = st;
  int n = cq_ctx_symbols(ctx);
  if (n > CQ__ST_MAX_SYMBOLS)
    return cq_error_set(err, CQ_ELIMIT, "grid: %d symbols; a built-in strategy runs at most %d", n,
                        (int)CQ__ST_MAX_SYMBOLS);
  const double *p = cq_ctx_params(ctx);
  memset(s, 0, sizeof *s);
  s->levels = (int)p[0];
  s->spacing = p[1];
  s->symbols = n > 0 ? n : 1;
  return CQ_OK;
}

static uint64_t grid_order(cq_ctx *ctx, int symbol, cq_side side, double price, cq_size size) {
  cq_order_req r = {.symbol = symbol,
                    .side = side,
                    .type = CQ_ORDER_LIMIT,
                    .tif = CQ_TIF_GTC,
                    .size = size,
                    .price = price};
  uint64_t id = 0;
  cq_error e = {0};
  if (cq_ctx_submit(ctx, &r, &id, &e)) {
    cq_ctx_log(ctx, CQ_LOG_WARN, "grid: %s limit at %.10g: %s", cq_side_name(side), price, e.msg);
    return 0;
  }
  return id;
}

static void grid_buy(cq_ctx *ctx, const grid_sym *g, grid_level *l, int symbol) {
  l->buy = grid_order(ctx, symbol, CQ_SIDE_BUY, l->price,
                      (cq_size){.kind = CQ_SIZE_NOTIONAL, .value = g->notional});
}

static void grid_center(cq_ctx *ctx, grid_state *s, int symbol, double close) {
  grid_sym *g = &s->sym[symbol];
  g->started = true;
  g->center = close;
  g->notional = cq_ctx_equity(ctx) / (s->levels * s->symbols);
  for (int k = 0; k < s->levels; k++) {
    grid_level *l = &g->level[k];
    l->price = close * (1 - (k + 1) * s->spacing);
    l->sell = 0;
    grid_buy(ctx, g, l, symbol);
  }
}

static void grid_candle(cq_ctx *ctx, void *st, int symbol, const cq_candle *bar) {
  grid_state *s = st;
  if (symbol < 0 || symbol >= CQ__ST_MAX_SYMBOLS) return;
  grid_sym *g = &s->sym[symbol];
  if (cq_ctx_warming_up(ctx)) return; /* the grid centres on the first close it trades from */
  if (!g->started) {
    grid_center(ctx, s, symbol, bar->close);
    return;
  }
  if (!cq_dec_is_zero(cq_ctx_position(ctx, symbol))) return;
  double top_sell = g->level[0].price * (1 + s->spacing);
  double lowest_buy = g->level[s->levels - 1].price;
  if (bar->close > top_sell * (1 + s->spacing) || bar->close < lowest_buy * (1 - s->spacing)) {
    cq_ctx_cancel_all(ctx, symbol);
    grid_center(ctx, s, symbol, bar->close);
  }
}

static void grid_on_order(cq_ctx *ctx, void *st, const cq_order *o) {
  grid_state *s = st;
  if (o->instrument < 0 || o->instrument >= CQ__ST_MAX_SYMBOLS) return;
  grid_sym *g = &s->sym[o->instrument];
  bool filled = o->state == CQ_OS_FILLED;
  if (!filled && !cq_order_state_terminal(o->state)) return;
  for (int k = 0; k < s->levels; k++) {
    grid_level *l = &g->level[k];
    if (o->id == l->buy) {
      l->buy = 0;
      if (filled) {
        cq_size q = {.kind = CQ_SIZE_QTY, .value = cq_dec_to_double(o->filled)};
        l->sell = grid_order(ctx, o->instrument, CQ_SIDE_SELL, l->price * (1 + s->spacing), q);
      }
      return;
    }
    if (o->id == l->sell) {
      l->sell = 0;
      if (filled) grid_buy(ctx, g, l, o->instrument);
      return;
    }
  }
}

const cq_strategy_def cq__def_grid = {
    .name = "grid",
    .summary =
        "A ladder of buy limits below the price, each sold one spacing higher and "
        "bought again",
    .n_params = (int)(sizeof grid_params / sizeof grid_params[0]),
    .params = grid_params,
    .check = grid_check,
    .state_size = sizeof(grid_state),
    .on_start = grid_start,
    .on_candle = grid_candle,
    .on_order = grid_on_order,
};
