/* What the OKX and Bybit dialects share: headers, JSON answers, numbers written as those
 * venues write them, a request counter per path, a per-minute request limit and HMAC. */
#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vsim_impl.h"

const char *vd_header(const vd_request *req, const char *name, char *buf, size_t n) {
  const char *p = req->headers;
  size_t nl = strlen(name);
  while (p && *p) {
    const char *eol = strstr(p, "\r\n");
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    if (len > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
      const char *v = p + nl + 1;
      while (*v == ' ') v++;
      size_t vl = len - (size_t)(v - p);
      if (vl >= n) return NULL;
      memcpy(buf, v, vl);
      buf[vl] = 0;
      return buf;
    }
    p = eol ? eol + 2 : NULL;
  }
  return NULL;
}

void vd_add_header(vd_response *r, const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof line - 2) return;
  size_t old = r->headers ? strlen(r->headers) : 0;
  char *p = realloc(r->headers, old + (size_t)n + 3);
  if (!p) return;
  memcpy(p + old, line, (size_t)n);
  memcpy(p + old + n, "\r\n", 3);
  r->headers = p;
}

void vd_respond(vd_response *r, int status, json_t *j) {
  free(r->body);
  r->status = status;
  if (!j) {
    r->status = 500;
    r->body = strdup("{\"error\":\"out of memory\"}");
  } else {
    r->body = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
  }
  r->body_len = r->body ? strlen(r->body) : 0;
}

/* A decimal text padded with zeros to 8 fraction digits, as Binance writes ("1.5" ->
 * "1.50000000"); one with more digits stays as it is. */
static void binance_fix(char *buf, size_t n) {
  char *dot = strchr(buf, '.');
  size_t len = strlen(buf);
  size_t frac = dot ? len - (size_t)(dot - buf) - 1 : 0;
  if (!dot && len + 1 < n) {
    buf[len++] = '.';
    buf[len] = 0;
  }
  while (frac < 8 && len + 1 < n) {
    buf[len++] = '0';
    buf[len] = 0;
    frac++;
  }
}

void vd_step_text(double v, cq_dec step, char *buf, size_t n) {
  double st = cq_dec_to_double(step);
  double k = st > 0 ? round(v / st) : 0;
  if (cq_dec_format_fixed(CQ_DEC((int64_t)k * step.m, step.scale), step.scale, buf, n, NULL) < 0)
    snprintf(buf, n, "0");
}

json_t *vd_jstep(double v, cq_dec step) {
  char buf[CQ_DEC_STRMAX];
  vd_step_text(v, step, buf, sizeof buf);
  return json_string(buf);
}

json_t *vd_jdec(cq_dec d) {
  char buf[CQ_DEC_STRMAX];
  cq_dec_format(d, buf, sizeof buf);
  if (!buf[0]) snprintf(buf, sizeof buf, "0");
  return json_string(buf);
}

static void num_text(double v, char *buf, size_t size) {
  snprintf(buf, size, "%.8f", v);
  size_t n = strlen(buf);
  while (n > 1 && buf[n - 1] == '0') buf[--n] = 0;
  if (n > 1 && buf[n - 1] == '.') buf[--n] = 0;
  if (!strcmp(buf, "-0")) snprintf(buf, size, "0");
}

json_t *vd_jnum(double v) {
  char buf[64];
  num_text(v, buf, sizeof buf);
  return json_string(buf);
}

/* Binance writes every decimal with 8 digits; OKX and Bybit prices and quantities with the
 * step's, quote amounts with their own. */
static void kx_text(cq_dec d, unsigned min_frac, char *buf, size_t n) {
  vm_i128_text(d.m, d.scale, min_frac, buf, n);
}

void vd_kline_row(json_t *row, const vm_symbol *y, const cq_candle *k, const vm_kx *x) {
  vd_ktext t;
  vd_kline_text(y, k, x, false, &t);
  const char *const v[] = {t.open, t.high, t.low, t.close, t.vol, t.quote};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) json_array_append_new(row, json_string(v[i]));
}

json_t *vd_jtrade(const vm_symbol *y, const vm_trade *t, int what, bool binance) {
  char buf[96];
  if (what == VD_TRADE_PRICE)
    vm_i128_text(t->px_m, y->pscale, binance ? 8 : y->ins.tick.scale, buf, sizeof buf);
  else if (what == VD_TRADE_QTY)
    vm_i128_text(t->qty_m, y->qscale, binance ? 8 : y->ins.lot.scale, buf, sizeof buf);
  else
    vm_i128_text((vm_i128)t->px_m * t->qty_m, (unsigned)y->pscale + y->qscale, binance ? 8 : 0, buf,
                 sizeof buf);
  return json_string(buf);
}

void vd_kline_text(const vm_symbol *y, const cq_candle *k, const vm_kx *x, bool binance,
                   vd_ktext *t) {
  unsigned pf = binance ? 8 : y->ins.tick.scale, vf = binance ? 8 : y->ins.lot.scale,
           qf = binance ? 8 : 0;
  if (x && x->exact) {
    kx_text(x->open, pf, t->open, sizeof t->open);
    kx_text(x->high, pf, t->high, sizeof t->high);
    kx_text(x->low, pf, t->low, sizeof t->low);
    kx_text(x->close, pf, t->close, sizeof t->close);
    vm_i128_text(x->vol, x->qscale, vf, t->vol, sizeof t->vol);
    vm_i128_text(x->buy_vol, x->qscale, vf, t->buy_vol, sizeof t->buy_vol);
    vm_i128_text(x->quote, x->quote_scale, qf, t->quote, sizeof t->quote);
    vm_i128_text(x->buy_quote, x->quote_scale, qf, t->buy_quote, sizeof t->buy_quote);
    return;
  }
  /* sampled: on the steps, the taker buys half the volume */
  double half = floor(k->volume * 0.5 / y->lot) * y->lot;
  const double px[4] = {k->open, k->high, k->low, k->close};
  char *pt[4] = {t->open, t->high, t->low, t->close};
  for (int i = 0; i < 4; i++) {
    vd_step_text(px[i], y->ins.tick, pt[i], sizeof t->open);
    if (binance) binance_fix(pt[i], sizeof t->open);
  }
  vd_step_text(k->volume, y->ins.lot, t->vol, sizeof t->vol);
  vd_step_text(half, y->ins.lot, t->buy_vol, sizeof t->buy_vol);
  if (binance) {
    binance_fix(t->vol, sizeof t->vol);
    binance_fix(t->buy_vol, sizeof t->buy_vol);
    snprintf(t->quote, sizeof t->quote, "%.8f", k->quote_volume);
    snprintf(t->buy_quote, sizeof t->buy_quote, "%.8f", k->quote_volume * 0.5);
  } else {
    num_text(k->quote_volume, t->quote, sizeof t->quote);
    num_text(k->quote_volume * 0.5, t->buy_quote, sizeof t->buy_quote);
  }
}

void vd_count_path(cq_vsim_counters *k, const char *method, const char *path) {
  if (!k) return;
  k->requests++;
  char key[64];
  snprintf(key, sizeof key, "%s %s", method, path);
  for (size_t i = 0; i < k->npaths; i++)
    if (!strcmp(k->by_path[i].path, key)) {
      k->by_path[i].n++;
      return;
    }
  if (k->npaths < VSIM_MAX_PATHS) {
    snprintf(k->by_path[k->npaths].path, sizeof k->by_path[0].path, "%s", key);
    k->by_path[k->npaths++].n = 1;
  }
}

int vd_limit_take(vd_limits *l, int64_t now, bool order, int64_t *wait_ms) {
  int rc = VD_LIMIT_OK;
  pthread_mutex_lock(&l->mu);
  int64_t minute = now / 60000;
  if (minute != l->minute) {
    l->minute = minute;
    l->used = 0;
    l->limited = false;
  }
  if (l->ban_until_ms > now) {
    *wait_ms = l->ban_until_ms - now;
    rc = VD_LIMIT_BANNED;
    goto done;
  }
  l->used++;
  if (l->used > l->weight_limit) {
    if (l->limited) { /* still sending after being told: banned */
      l->ban_until_ms = now + l->ban_ms;
      *wait_ms = l->ban_ms;
      rc = VD_LIMIT_BANNED;
    } else {
      l->limited = true;
      *wait_ms = (minute + 1) * 60000 - now;
      rc = VD_LIMIT_LIMITED;
    }
    goto done;
  }
  if (order) {
    if (now / 10000 != l->sec10) {
      l->sec10 = now / 10000;
      l->orders_used_10s = 0;
    }
    if (++l->orders_used_10s > l->orders_10s) {
      *wait_ms = (l->sec10 + 1) * 10000 - now;
      rc = VD_LIMIT_LIMITED;
    }
  }
done:
  pthread_mutex_unlock(&l->mu);
  return rc;
}

void vd_hmac_b64(const char *key, const char *data, size_t len, char out[48]) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)data, len, mac, &n)) n = 0;
  int w = EVP_EncodeBlock((unsigned char *)out, mac, (int)n);
  out[w > 0 ? w : 0] = 0;
}

int64_t vd_floor_off(int64_t t, int64_t len, int64_t off) {
  int64_t k = (t - off) / len;
  if ((t - off) % len < 0) k--;
  return k * len + off;
}

size_t vs_book_diff(const vm_level *old, const vm_level *cur, size_t n, vm_level *out) {
  size_t k = 0;
  for (size_t i = 0; i < n && old[i].price > 0; i++) {
    bool kept = false;
    for (size_t j = 0; j < n && cur[j].price > 0 && !kept; j++) kept = cur[j].price == old[i].price;
    if (!kept) out[k++] = (vm_level){old[i].price, 0.0};
  }
  for (size_t j = 0; j < n && cur[j].price > 0; j++) {
    bool same = false;
    for (size_t i = 0; i < n && old[i].price > 0 && !same; i++)
      same = old[i].price == cur[j].price && old[i].qty == cur[j].qty;
    if (!same) out[k++] = cur[j];
  }
  return k;
}
