/* The simulator object: builds the market, the exchange and the dialect from the options,
 * wires the dialect to the server of net.h (REST on the network thread), and runs the
 * market thread that moves the exchange and feeds the WebSocket streams. */
#include <inttypes.h>
#include <jansson.h>
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vsim_impl.h"

void cq_vsim_options_default(cq_vsim_options *o) {
  memset(o, 0, sizeof *o);
  o->dialect = "binance";
  o->market = "synthetic:1";
  o->speed = 1.0;
}

static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t cq_vsim_now_ms(cq_vsim *s) {
  pthread_mutex_lock(&s->mu);
  int64_t t = s->pinned_ms ? s->pinned_ms : wall_ms();
  double speed = s->opt.speed > 0 ? s->opt.speed : 1.0;
  if (!s->pinned_ms && (s->mkt.replay || speed != 1.0)) {
    /* market time: from the replayed series' start (or from now), at speed */
    int64_t base = s->mkt.replay ? s->mkt.data0_ms : s->wall0_ms;
    t = base + (int64_t)((double)(t - s->wall0_ms) * speed);
  }
  pthread_mutex_unlock(&s->mu);
  return t + vf_time_offset(&s->faults);
}

void cq_vsim_set_clock(cq_vsim *s, int64_t t_ms) {
  pthread_mutex_lock(&s->mu);
  s->pinned_ms = t_ms;
  pthread_mutex_unlock(&s->mu);
}

/* ---- accounts file -------------------------------------------------------------------------
 *
 *   accounts:
 *     - api_key: KEY
 *       api_secret: SECRET
 *       balances: {USDT: 10000, BTC: 0.5}
 */

static char *keep_str(cq_vsim *s, const char *v, size_t len) {
  char **p = realloc(s->acc_strs, (s->nacc_strs + 1) * sizeof *p);
  if (!p) return NULL;
  s->acc_strs = p;
  char *c = malloc(len + 1);
  if (!c) return NULL;
  memcpy(c, v, len);
  c[len] = 0;
  s->acc_strs[s->nacc_strs++] = c;
  return c;
}

static const char *scalar(struct fy_node *n, size_t *len) {
  if (!n || !fy_node_is_scalar(n)) return NULL;
  return fy_node_get_scalar(n, len);
}

static int load_accounts(cq_vsim *s, const char *path, cq_error *err) {
  struct fy_diag_cfg dcfg;
  memset(&dcfg, 0, sizeof dcfg);
  dcfg.level = FYET_ERROR;
  dcfg.module_mask = ~0u;
  struct fy_diag *diag = fy_diag_create(&dcfg);
  if (!diag) return cq_error_set(err, CQ_ENOMEM, "reading %s", path);
  fy_diag_set_collect_errors(diag, true);
  struct fy_parse_cfg pcfg = {.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG, .diag = diag};
  struct fy_document *doc = fy_document_build_from_file(&pcfg, path);
  int rc = CQ_OK;
  if (!doc) {
    rc = cq_error_set(err, CQ_EPARSE, "accounts file %s: cannot read it as YAML", path);
    goto done;
  }
  struct fy_node *root = fy_document_root(doc);
  struct fy_node *list = root && fy_node_is_mapping(root)
                             ? fy_node_mapping_lookup_by_string(root, "accounts", FY_NT)
                             : NULL;
  if (!list || !fy_node_is_sequence(list)) {
    rc = cq_error_set(err, CQ_EPARSE, "accounts file %s: expected 'accounts:' with a list", path);
    goto done;
  }
  int n = fy_node_sequence_item_count(list);
  if (n > VSIM_MAX_ACCOUNTS) {
    rc = cq_error_set(err, CQ_ELIMIT, "accounts file %s: at most %d accounts", path,
                      VSIM_MAX_ACCOUNTS);
    goto done;
  }
  s->accs = calloc((size_t)n + s->opt.naccounts + 1, sizeof *s->accs);
  if (!s->accs) {
    rc = cq_error_set(err, CQ_ENOMEM, "accounts: out of memory");
    goto done;
  }
  void *it = NULL;
  struct fy_node *item;
  size_t k = 0;
  while ((item = fy_node_sequence_iterate(list, &it)) != NULL) {
    size_t kl = 0, sl = 0;
    const char *key = fy_node_is_mapping(item)
                          ? scalar(fy_node_mapping_lookup_by_string(item, "api_key", FY_NT), &kl)
                          : NULL;
    const char *sec = fy_node_is_mapping(item)
                          ? scalar(fy_node_mapping_lookup_by_string(item, "api_secret", FY_NT), &sl)
                          : NULL;
    if (!key || !sec || !kl || !sl) {
      rc = cq_error_set(err, CQ_EPARSE,
                        "accounts file %s: account %zu: needs api_key and api_secret", path, k + 1);
      goto done;
    }
    char bal[2048];
    size_t bo = 0;
    bal[0] = 0;
    struct fy_node *bm = fy_node_mapping_lookup_by_string(item, "balances", FY_NT);
    if (bm && !fy_node_is_mapping(bm)) {
      rc = cq_error_set(err, CQ_EPARSE,
                        "accounts file %s: account %zu: balances must be a mapping "
                        "(ASSET: amount)",
                        path, k + 1);
      goto done;
    }
    void *bit = NULL;
    struct fy_node_pair *pair;
    while (bm && (pair = fy_node_mapping_iterate(bm, &bit)) != NULL) {
      size_t al = 0, vl = 0;
      const char *a = scalar(fy_node_pair_key(pair), &al),
                 *v = scalar(fy_node_pair_value(pair), &vl);
      if (!a || !v) {
        rc = cq_error_set(err, CQ_EPARSE,
                          "accounts file %s: account %zu: a balance must be "
                          "ASSET: amount",
                          path, k + 1);
        goto done;
      }
      int w =
          snprintf(bal + bo, sizeof bal - bo, "%s%.*s=%.*s", bo ? "," : "", (int)al, a, (int)vl, v);
      if (w < 0 || (size_t)w >= sizeof bal - bo) {
        rc = cq_error_set(err, CQ_ELIMIT, "accounts file %s: account %zu: too many balances", path,
                          k + 1);
        goto done;
      }
      bo += (size_t)w;
    }
    s->accs[k].api_key = keep_str(s, key, kl);
    s->accs[k].api_secret = keep_str(s, sec, sl);
    s->accs[k].balances = keep_str(s, bal, bo);
    if (!s->accs[k].api_key || !s->accs[k].api_secret || !s->accs[k].balances) {
      rc = cq_error_set(err, CQ_ENOMEM, "accounts: out of memory");
      goto done;
    }
    k++;
  }
  for (size_t i = 0; i < s->opt.naccounts; i++) s->accs[k++] = s->opt.accounts[i];
  s->opt.accounts = s->accs;
  s->opt.naccounts = k;
done:
  if (doc) fy_document_destroy(doc);
  fy_diag_destroy(diag);
  return rc;
}

/* ---- building --------------------------------------------------------------------------- */

int cq_vsim_new(const cq_vsim_options *o, cq_vsim **out, cq_error *err) {
  static const vs_dialect_ops dialects[] = {
      {"binance", vd_binance_http, NULL, NULL, NULL},
      {"okx", vd_okx_http, vs_okx_ws_path, vs_okx_ws_message, vs_okx_tick},
      {"bybit", vd_bybit_http, vs_bybit_ws_path, vs_bybit_ws_message, vs_bybit_tick}};
  const vs_dialect_ops *ops = NULL;
  for (size_t i = 0; i < sizeof dialects / sizeof dialects[0]; i++)
    if (!strcmp(o->dialect ? o->dialect : "binance", dialects[i].name)) ops = &dialects[i];
  if (!ops)
    return cq_error_set(err, CQ_EUNSUPPORTED, "dialect '%s': binance, okx or bybit", o->dialect);
  cq_vsim *s = calloc(1, sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "venue simulator: out of memory");
  s->ops = ops;
  s->opt = *o;
  int rc = CQ_OK;
  bool mu = false, fl = false, bin = false, run = false;
  if (pthread_mutex_init(&s->mu, NULL)) {
    free(s);
    return cq_error_set(err, CQ_EINTERNAL, "venue simulator: no mutex");
  }
  mu = true;
  if (pthread_mutex_init(&s->run_mu, NULL) || pthread_cond_init(&s->run_cv, NULL)) {
    rc = cq_error_set(err, CQ_EINTERNAL, "venue simulator: no mutex");
    goto fail;
  }
  run = true;
  rc = vf_init(&s->faults, err);
  if (rc) goto fail;
  fl = true;
  if (o->accounts_file) {
    rc = load_accounts(s, o->accounts_file, err);
    if (rc) goto fail;
  }
  rc = vm_init(&s->mkt, &s->opt, err);
  if (rc) goto fail;
  rc = vx_new(&s->mkt, &s->opt, &s->ex, err);
  if (rc) goto fail;
  rc = vd_binance_init(&s->bin, &s->mkt, s->ex, &s->faults, &s->opt, &s->counters, err);
  if (rc) goto fail;
  bin = true;
  s->bin.passphrase = o->passphrase;
  if (o->faults_file) {
    rc = vf_script_load(&s->faults, o->faults_file, err);
    if (rc) goto fail;
  }
  s->ss = calloc(s->mkt.nsyms, sizeof *s->ss);
  if (!s->ss) {
    rc = cq_error_set(err, CQ_ENOMEM, "venue simulator: out of memory");
    goto fail;
  }
  int64_t now = wall_ms();
  s->wall0_ms = now;
  if (o->speed < 0 || o->speed > 1e6) {
    rc = cq_error_set(err, CQ_EINVAL, "speed must be 0..1000000, not %g", o->speed);
    goto fail;
  }
  for (size_t i = 0; i < o->nfaults; i++) vf_add(&s->faults, &o->faults[i], now);
  *out = s;
  return CQ_OK;
fail:
  if (bin) vd_binance_release(&s->bin);
  vx_free(s->ex);
  vm_release(&s->mkt);
  if (fl) vf_release(&s->faults);
  if (run) {
    pthread_mutex_destroy(&s->run_mu);
    pthread_cond_destroy(&s->run_cv);
  }
  if (mu) pthread_mutex_destroy(&s->mu);
  for (size_t i = 0; i < s->nacc_strs; i++) free(s->acc_strs[i]);
  free(s->acc_strs);
  free(s->accs);
  free(s->ss);
  free(s);
  return rc;
}

void cq_vsim_free(cq_vsim *s) {
  if (!s) return;
  if (s->stop_hook) s->stop_hook(s);
  vd_binance_release(&s->bin);
  vx_free(s->ex);
  vm_release(&s->mkt);
  vf_release(&s->faults);
  for (size_t i = 0; i < MAX_CONNS; i++) free(s->conns[i].held);
  pthread_mutex_destroy(&s->run_mu);
  pthread_cond_destroy(&s->run_cv);
  pthread_mutex_destroy(&s->mu);
  for (size_t i = 0; i < s->nacc_strs; i++) free(s->acc_strs[i]);
  free(s->acc_strs);
  free(s->accs);
  free(s->ss);
  free(s);
}

int cq_vsim_fault(cq_vsim *s, const cq_vsim_fault_spec *f, cq_error *err) {
  if (!f || f->kind <= CQ_VSIM_FAULT_NONE || f->kind >= CQ_VSIM_FAULT_KIND_COUNT_)
    return cq_error_set(err, CQ_EINVAL, "fault: unknown kind");
  vf_add(&s->faults, f, cq_vsim_now_ms(s));
  if (s->opt.log)
    cq_logf(s->opt.log, CQ_LOG_INFO, "venue-sim: fault %s armed (n %lld, ms %lld%s%s)",
            cq_vsim_fault_name(f->kind), (long long)f->n, (long long)f->ms,
            f->path[0] ? ", on " : "", f->path);
  return CQ_OK;
}

void cq_vsim_counters_get(cq_vsim *s, cq_vsim_counters *out) {
  pthread_mutex_lock(&s->mu);
  *out = s->counters;
  pthread_mutex_unlock(&s->mu);
  pthread_mutex_lock(&s->faults.mu);
  out->fault_answers = s->faults.answered;
  pthread_mutex_unlock(&s->faults.mu);
}

uint64_t cq_vsim_requests_on(cq_vsim *s, const char *path) {
  uint64_t n = 0;
  pthread_mutex_lock(&s->mu);
  for (size_t i = 0; i < s->counters.npaths; i++) {
    const char *p = strchr(s->counters.by_path[i].path, ' ');
    if (p && !strcmp(p + 1, path)) n += s->counters.by_path[i].n;
  }
  pthread_mutex_unlock(&s->mu);
  return n;
}

uint64_t cq_vsim_orders_with_client_id(cq_vsim *s, const char *cid) {
  uint64_t n = 0;
  pthread_mutex_lock(&s->ex->mu);
  for (size_t i = 0; i < s->ex->nord; i++)
    if (!strcmp(s->ex->ord[i].client_id, cid)) n++;
  pthread_mutex_unlock(&s->ex->mu);
  return n;
}

int cq_vsim_port(const cq_vsim *s) {
  return s->port;
}
const char *cq_vsim_rest_url(const cq_vsim *s) {
  return s->rest_url;
}
const char *cq_vsim_ws_url(const cq_vsim *s) {
  return s->ws_url;
}

/* ---- REST --------------------------------------------------------------------------------- */

static void handle(cq_vsim *s, const vd_request *rq, cq_srv_response *resp) {
  vd_response r;
  int64_t now = cq_vsim_now_ms(s);
  pthread_mutex_lock(&s->mu);
  s->ops->http(&s->bin, rq, now, &r);
  pthread_mutex_unlock(&s->mu);
  pthread_mutex_lock(&s->ex->mu);
  bool events = s->ex->evlen > 0;
  pthread_mutex_unlock(&s->ex->mu);
  if (events) { /* an order changed: its reports go out now, as a venue's do */
    pthread_mutex_lock(&s->run_mu);
    s->wake = true;
    pthread_cond_signal(&s->run_cv);
    pthread_mutex_unlock(&s->run_mu);
  }
  memset(resp, 0, sizeof *resp);
  resp->status = r.status ? r.status : 200;
  resp->body = r.body;
  resp->body_len = r.body_len;
  resp->headers = r.headers;
  resp->delay_ms = r.delay_ms;
  resp->drop = r.drop;
}

void cq_vsim_handle(cq_vsim *s, const char *method, const char *path, const char *query,
                    const char *body, const char *api_key, cq_srv_response *resp) {
  vd_request rq = {.method = method,
                   .path = path,
                   .query = query ? query : "",
                   .body = body ? body : "",
                   .api_key = api_key,
                   .remote = "127.0.0.1"};
  handle(s, &rq, resp);
}

void cq_vsim_handle_headers(cq_vsim *s, const char *method, const char *path, const char *query,
                            const char *body, const char *headers, cq_srv_response *resp) {
  vd_request rq = {.method = method,
                   .path = path,
                   .query = query ? query : "",
                   .body = body ? body : "",
                   .remote = "127.0.0.1",
                   .headers = headers};
  char key[128];
  rq.api_key = vd_header(&rq, "X-MBX-APIKEY", key, sizeof key);
  handle(s, &rq, resp);
}
