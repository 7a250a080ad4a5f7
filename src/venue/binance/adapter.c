/* The Binance spot adapter: open and close, the symbol map, and the operations table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "binance.h"

static const char BN_REST_DEFAULT[] = "https://api.binance.com";
static const char BN_WS_DEFAULT[] = "wss://stream.binance.com:9443";

/* Copies a URL without its trailing slashes; false when it does not fit or is empty. */
static bool copy_url(char *dst, size_t n, const char *src) {
  size_t len = strlen(src);
  while (len > 0 && src[len - 1] == '/') len--;
  if (len == 0 || len >= n) return false;
  memcpy(dst, src, len);
  dst[len] = '\0';
  return true;
}

/* A configuration refused: CQ_ECONFIG (CQ_ENOMEM for memory), class bad_request. */
static int open_fail(cq_verror *ve, int code, const char *what) {
  cq__bn_fail(ve, code == CQ_ENOMEM ? CQ_VERR_UNAVAILABLE : CQ_VERR_BAD_REQUEST, 0, 0, "open: %s",
              what);
  if (ve) ve->e.code = code;
  return code;
}

static int bn_open(const cq_venue_config *cfg, cq_venue **out, cq_verror *ve) {
  cq_verror_clear(ve);
  if (!cfg || !out) return open_fail(ve, CQ_EINVAL, "no configuration");
  bn_venue *v = calloc(1, sizeof *v);
  if (!v) return open_fail(ve, CQ_ENOMEM, "out of memory");
  v->base.ops = &cq_venue_binance_ops;
  const char *rest = cfg->rest_url ? cfg->rest_url : BN_REST_DEFAULT;
  const char *ws = cfg->ws_url ? cfg->ws_url : BN_WS_DEFAULT;
  if (!copy_url(v->rest_url, sizeof v->rest_url, rest) ||
      !copy_url(v->ws_url, sizeof v->ws_url, ws)) {
    free(v);
    return open_fail(ve, CQ_ECONFIG, "rest_url or ws_url is empty or too long");
  }
  if (cfg->api_key || cfg->api_secret) {
    if (!cfg->api_key || !cfg->api_secret || !*cfg->api_key || !*cfg->api_secret ||
        strlen(cfg->api_key) >= sizeof v->api_key ||
        strlen(cfg->api_secret) >= sizeof v->api_secret) {
      free(v);
      return open_fail(ve, CQ_ECONFIG,
                       "api_key and api_secret go together, each 1 to 127 characters");
    }
    snprintf(v->api_key, sizeof v->api_key, "%s", cfg->api_key);
    snprintf(v->api_secret, sizeof v->api_secret, "%s", cfg->api_secret);
    v->has_keys = true;
  }
  v->recv_window_ms = cfg->recv_window_ms > 0 ? cfg->recv_window_ms : 5000;
  if (v->recv_window_ms > 60000) v->recv_window_ms = 60000;
  v->weight_share = cfg->weight_share > 0 && cfg->weight_share <= 1 ? cfg->weight_share : 0.8;
  v->http = cfg->http;
  v->ws = cfg->ws;
  v->ws.url = NULL;
  v->keepalive_ms = cfg->keepalive_ms;
  v->loop = cfg->loop;
  v->log = cfg->log;
  cq_clock_wall_init(&v->clock);
  /* Binance spot's published limits until exchange info says otherwise */
  static const cq_rl_window windows[] = {
      {CQ_RL_WEIGHT, 60 * CQ_NS_PER_SEC, 6000},
      {CQ_RL_ORDERS, 10 * CQ_NS_PER_SEC, 100},
      {CQ_RL_ORDERS, CQ_NS_PER_DAY, 200000},
  };
  cq_error e;
  cq_error_clear(&e);
  if (cq_rl_new(windows, sizeof windows / sizeof windows[0], v->weight_share, NULL, &v->rl, &e) <
      0) {
    free(v);
    return open_fail(ve, e.code, e.msg);
  }
  if (pthread_mutex_init(&v->mu, NULL) != 0) {
    cq_rl_free(v->rl);
    free(v);
    return open_fail(ve, CQ_ENOMEM, "no mutex");
  }
  *out = &v->base;
  return 0;
}

static void bn_close(cq_venue *base) {
  if (!base) return;
  bn_venue *v = (bn_venue *)base;
  for (size_t i = 0; i < v->npool; i++) cq_http_client_free(v->pool[i]);
  free(v->symbols);
  cq_bn_symbols_free(v->syms);
  cq_rl_free(v->rl);
  pthread_mutex_destroy(&v->mu);
  /* the secret does not outlive the handle in freed memory */
  memset(v->api_secret, 0, sizeof v->api_secret);
  free(v);
}

/* ---- symbols --------------------------------------------------------------------------- */

static bn_symbol *symbol_find_native(bn_venue *v, const char *native) {
  for (size_t i = 0; i < v->nsymbols; i++)
    if (strcmp(v->symbols[i].native, native) == 0) return &v->symbols[i];
  return NULL;
}

/* Records native <-> unified (under v->mu). */
static int symbol_add(bn_venue *v, const char *native, const char *unified) {
  bn_symbol *s = symbol_find_native(v, native);
  if (s) {
    snprintf(s->unified, sizeof s->unified, "%s", unified);
    return 0;
  }
  if (v->nsymbols == v->capsymbols) {
    if (v->capsymbols >= BN_SYMBOLS_MAX) return CQ_ELIMIT;
    size_t cap = v->capsymbols ? v->capsymbols * 2 : 64;
    bn_symbol *p = realloc(v->symbols, cap * sizeof *p);
    if (!p) return CQ_ENOMEM;
    v->symbols = p;
    v->capsymbols = cap;
  }
  s = &v->symbols[v->nsymbols++];
  snprintf(s->native, sizeof s->native, "%s", native);
  snprintf(s->unified, sizeof s->unified, "%s", unified);
  return 0;
}

int cq__bn_symbol_add(bn_venue *v, const char *native, const char *unified) {
  pthread_mutex_lock(&v->mu);
  int rc = symbol_add(v, native, unified);
  pthread_mutex_unlock(&v->mu);
  return rc;
}

int cq__bn_native(bn_venue *v, const char *unified, char native[CQ_SYMBOL_MAX], cq_verror *ve) {
  char base[CQ_ASSET_MAX], quote[CQ_ASSET_MAX];
  cq_error e;
  cq_error_clear(&e);
  if (!unified || cq_symbol_parse(unified, base, quote, &e) < 0)
    return cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0, "symbol \"%s\": %s",
                       unified ? unified : "(null)", e.msg);
  snprintf(native, CQ_SYMBOL_MAX, "%s%s", base, quote);
  char uni[CQ_SYMBOL_MAX];
  snprintf(uni, sizeof uni, "%s/%s", base, quote);
  /* keeping the pair lets stream and order answers, which name BTCUSDT, say BTC/USDT */
  if (cq__bn_symbol_add(v, native, uni) < 0 && v->log)
    cq_logf(v->log, CQ_LOG_WARN, "binance: symbol map full, %s not kept", uni);
  return 0;
}

bool cq__bn_unified(bn_venue *v, const char *native, char unified[CQ_SYMBOL_MAX]) {
  pthread_mutex_lock(&v->mu);
  const char *u = cq_bn_to_unified(v->syms, native);
  if (!u) {
    bn_symbol *s = symbol_find_native(v, native);
    u = s ? s->unified : NULL;
  }
  if (u) snprintf(unified, CQ_SYMBOL_MAX, "%s", u);
  pthread_mutex_unlock(&v->mu);
  return u != NULL;
}

const struct cq_bn_symbols *cq__bn_syms(bn_venue *v) {
  pthread_mutex_lock(&v->mu);
  const struct cq_bn_symbols *s = v->syms;
  pthread_mutex_unlock(&v->mu);
  return s;
}

int cq__bn_load_symbols(bn_venue *v, cq_verror *ve) {
  if (cq__bn_syms(v)) return 0;
  cq_instrument *ins = NULL;
  size_t n = 0;
  int rc = cq__bn_instruments(&v->base, &ins, &n, ve);
  free(ins);
  return rc < 0 ? rc : 0;
}

const cq_venue_ops cq_venue_binance_ops = {
    .name = "binance",
    .caps = CQ_VCAP_KLINES | CQ_VCAP_TRADES_HISTORY | CQ_VCAP_AGG_TRADES | CQ_VCAP_BOOK |
            CQ_VCAP_USER_STREAM | CQ_VCAP_STOP_ORDERS | CQ_VCAP_POST_ONLY,
    .max_klines = 1000,
    .open = bn_open,
    .close = bn_close,
    .server_time = cq__bn_server_time,
    .instruments = cq__bn_instruments,
    .candles = cq__bn_candles,
    .trades = cq__bn_trades,
    .depth = cq__bn_depth,
    .place = cq__bn_place,
    .cancel = cq__bn_cancel,
    .query = cq__bn_query,
    .open_orders = cq__bn_open_orders,
    .balances = cq__bn_balances,
    .my_trades = cq__bn_my_trades,
    .subscribe = cq__bn_subscribe,
    .unsubscribe = cq__bn_unsubscribe,
};
