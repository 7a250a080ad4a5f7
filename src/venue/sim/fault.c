/* Faults: what the simulator does wrong on purpose, armed by the CLI, a scripted scenario
 * (YAML: steps "after N requests / at T seconds -> fault") or the C API. */
#include <errno.h>
#include <inttypes.h>
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const fault_names[CQ_VSIM_FAULT_KIND_COUNT_] = {
    "none", "latency",    "ws_drop",       "ws_stall",   "429",       "ban",
    "5xx",  "lose_order", "depth_reorder", "depth_drop", "depth_dup", "time_offset"};

const char *cq_vsim_fault_name(cq_vsim_fault_kind k) {
  return k > 0 && k < CQ_VSIM_FAULT_KIND_COUNT_ ? fault_names[k] : "none";
}

static int parse_i64(const char *s, int64_t *out) {
  if (!s || !*s) return -1;
  errno = 0;
  char *end = NULL;
  long long v = strtoll(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

int cq_vsim_fault_parse(const char *s, cq_vsim_fault_spec *out, cq_error *err) {
  cq_vsim_fault_spec f;
  memset(&f, 0, sizeof f);
  f.at_ms = -1;
  f.after_requests = -1;
  char buf[160];
  if (!s || strlen(s) >= sizeof buf)
    return cq_error_set(err, CQ_EINVAL, "fault: expected kind[:arg[:path]]");
  snprintf(buf, sizeof buf, "%s", s);
  char *arg = strchr(buf, ':'), *path = NULL;
  if (arg) {
    *arg++ = 0;
    path = strchr(arg, ':');
    if (path) *path++ = 0;
  }
  for (int k = 1; k < CQ_VSIM_FAULT_KIND_COUNT_; k++)
    if (!strcmp(buf, fault_names[k])) f.kind = (cq_vsim_fault_kind)k;
  if (f.kind == CQ_VSIM_FAULT_NONE)
    return cq_error_set(err, CQ_EINVAL,
                        "fault '%s': unknown kind (latency, ws_drop, ws_stall, 429, ban, 5xx, "
                        "lose_order, depth_reorder, depth_drop, depth_dup, time_offset)",
                        s);
  int64_t v = 1;
  if (arg && parse_i64(arg, &v))
    return cq_error_set(err, CQ_EINVAL, "fault '%s': '%s' is not a whole number", s, arg);
  bool signed_ok = f.kind == CQ_VSIM_FAULT_TIME_OFFSET;
  if (!arg && (f.kind == CQ_VSIM_FAULT_LATENCY || f.kind == CQ_VSIM_FAULT_BAN ||
               f.kind == CQ_VSIM_FAULT_TIME_OFFSET))
    return cq_error_set(err, CQ_EINVAL, "fault '%s': needs milliseconds (%s:MS)", s, buf);
  if ((!signed_ok && v < 0) || v > INT64_C(86400000) * 7 || v < -INT64_C(86400000) * 7)
    return cq_error_set(err, CQ_EINVAL, "fault '%s': %" PRId64 " is out of range", s, v);
  if (f.kind == CQ_VSIM_FAULT_LATENCY || f.kind == CQ_VSIM_FAULT_BAN ||
      f.kind == CQ_VSIM_FAULT_TIME_OFFSET)
    f.ms = v;
  else
    f.n = v;
  if (path) {
    if (f.kind != CQ_VSIM_FAULT_5XX || *path != '/' || strlen(path) >= sizeof f.path)
      return cq_error_set(err, CQ_EINVAL, "fault '%s': only 5xx takes a path (/api/v3/...)", s);
    snprintf(f.path, sizeof f.path, "%s", path);
  }
  *out = f;
  return CQ_OK;
}

int vf_init(vf_state *f, cq_error *err) {
  memset(f, 0, sizeof *f);
  if (pthread_mutex_init(&f->mu, NULL)) return cq_error_set(err, CQ_EINTERNAL, "faults: no mutex");
  return CQ_OK;
}

void vf_release(vf_state *f) {
  free(f->script);
  f->script = NULL;
  pthread_mutex_destroy(&f->mu);
}

static void add_locked(vf_state *f, const cq_vsim_fault_spec *x, int64_t now) {
  switch (x->kind) {
    case CQ_VSIM_FAULT_LATENCY:
      f->latency_ms = (int)x->ms;
      return;
    case CQ_VSIM_FAULT_TIME_OFFSET:
      f->time_offset_ms = x->ms;
      return;
    case CQ_VSIM_FAULT_BAN:
      f->ban_until_ms = now + x->ms;
      return;
    default:
      break;
  }
  if (f->npending == VSIM_MAX_FAULTS) return; /* a full table: the newest is not armed */
  f->pending[f->npending++] = *x;
}

void vf_add(vf_state *f, const cq_vsim_fault_spec *x, int64_t now) {
  pthread_mutex_lock(&f->mu);
  add_locked(f, x, now);
  pthread_mutex_unlock(&f->mu);
}

static void drop_pending(vf_state *f, size_t i) {
  memmove(&f->pending[i], &f->pending[i + 1], (f->npending - i - 1) * sizeof f->pending[0]);
  f->npending--;
}

static void script_locked(vf_state *f, int64_t now) {
  if (!f->start_ms) f->start_ms = now;
  while (f->script_next < f->nscript) {
    const cq_vsim_fault_spec *s = &f->script[f->script_next];
    bool due = (s->after_requests >= 0 && f->requests >= (uint64_t)s->after_requests) ||
               (s->at_ms >= 0 && now - f->start_ms >= s->at_ms) ||
               (s->after_requests < 0 && s->at_ms < 0);
    if (!due) break; /* steps fire in their order */
    add_locked(f, s, now);
    f->script_next++;
  }
}

void vf_script_tick(vf_state *f, int64_t now) {
  pthread_mutex_lock(&f->mu);
  script_locked(f, now);
  pthread_mutex_unlock(&f->mu);
}

void vf_on_request(vf_state *f, const char *path, int64_t now, vf_verdict *v) {
  memset(v, 0, sizeof *v);
  pthread_mutex_lock(&f->mu);
  f->requests++;
  script_locked(f, now);
  v->delay_ms = f->latency_ms;
  if (f->ban_until_ms > now) {
    v->status = 418;
    v->retry_after_ms = f->ban_until_ms - now;
    goto done;
  }
  for (size_t i = 0; i < f->npending; i++) {
    cq_vsim_fault_spec *x = &f->pending[i];
    if (x->kind == CQ_VSIM_FAULT_429) {
      v->status = 429;
      v->retry_after_ms = 1000;
    } else if (x->kind == CQ_VSIM_FAULT_5XX && (!x->path[0] || !strcmp(x->path, path))) {
      v->status = x->status ? x->status : 503;
    } else if (x->kind == CQ_VSIM_FAULT_LOSE_ORDER &&
               (!strcmp(path, "/api/v3/order") || !strcmp(path, "/api/v5/trade/order") ||
                !strcmp(path, "/v5/order/create"))) { /* each dialect's order placement */
      v->drop_if_order = true; /* counted down by the dialect when an order is accepted */
      continue;
    } else {
      continue;
    }
    if (--x->n <= 0) drop_pending(f, i);
    break;
  }
done:
  if (v->status) f->answered++;
  pthread_mutex_unlock(&f->mu);
}

/* The dialect accepted an order whose answer is to be lost: one fewer to lose. */
static void consume(vf_state *f, cq_vsim_fault_kind kind) {
  for (size_t i = 0; i < f->npending; i++)
    if (f->pending[i].kind == kind) {
      if (--f->pending[i].n <= 0) drop_pending(f, i);
      return;
    }
}

void vf_order_lost(vf_state *f) {
  pthread_mutex_lock(&f->mu);
  consume(f, CQ_VSIM_FAULT_LOSE_ORDER);
  pthread_mutex_unlock(&f->mu);
}

cq_vsim_fault_kind vf_depth_fault(vf_state *f) {
  cq_vsim_fault_kind k = CQ_VSIM_FAULT_NONE;
  pthread_mutex_lock(&f->mu);
  for (size_t i = 0; i < f->npending; i++) {
    cq_vsim_fault_kind x = f->pending[i].kind;
    if (x == CQ_VSIM_FAULT_DEPTH_DROP || x == CQ_VSIM_FAULT_DEPTH_DUP ||
        x == CQ_VSIM_FAULT_DEPTH_REORDER) {
      k = x;
      consume(f, x);
      break;
    }
  }
  pthread_mutex_unlock(&f->mu);
  return k;
}

bool vf_ws_fault(vf_state *f, cq_vsim_fault_spec *out) {
  bool got = false;
  pthread_mutex_lock(&f->mu);
  for (size_t i = 0; i < f->npending; i++) {
    cq_vsim_fault_kind x = f->pending[i].kind;
    if (x == CQ_VSIM_FAULT_WS_DROP || x == CQ_VSIM_FAULT_WS_STALL) {
      *out = f->pending[i];
      drop_pending(f, i);
      got = true;
      break;
    }
  }
  pthread_mutex_unlock(&f->mu);
  return got;
}

int64_t vf_time_offset(vf_state *f) {
  pthread_mutex_lock(&f->mu);
  int64_t v = f->time_offset_ms;
  pthread_mutex_unlock(&f->mu);
  return v;
}

/* ---- the scenario file ---------------------------------------------------------------------
 *
 *   - after_requests: 10      # or at_s: 5 (seconds after start); neither: at start
 *     fault: "5xx:3:/api/v3/order"
 */

static const char *scalar_of(struct fy_node *map, const char *key, char *buf, size_t n) {
  struct fy_node *v = fy_node_mapping_lookup_by_string(map, key, FY_NT);
  if (!v || !fy_node_is_scalar(v)) return NULL;
  size_t len = 0;
  const char *s = fy_node_get_scalar(v, &len);
  if (!s || len >= n) return NULL;
  memcpy(buf, s, len);
  buf[len] = 0;
  return buf;
}

int vf_script_load(vf_state *f, const char *path, cq_error *err) {
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
  cq_vsim_fault_spec *steps = NULL;
  size_t n = 0;
  if (!doc) {
    rc = cq_error_set(err, CQ_EPARSE, "faults file %s: cannot read it as YAML", path);
    goto done;
  }
  struct fy_node *root = fy_document_root(doc);
  if (!root || !fy_node_is_sequence(root)) {
    rc = cq_error_set(err, CQ_EPARSE, "faults file %s: expected a list of steps", path);
    goto done;
  }
  int count = fy_node_sequence_item_count(root);
  if (count > VSIM_MAX_FAULTS) {
    rc = cq_error_set(err, CQ_ELIMIT, "faults file %s: at most %d steps", path, VSIM_MAX_FAULTS);
    goto done;
  }
  steps = calloc(count > 0 ? (size_t)count : 1, sizeof *steps);
  if (!steps) {
    rc = cq_error_set(err, CQ_ENOMEM, "faults file %s: out of memory", path);
    goto done;
  }
  void *it = NULL;
  struct fy_node *item;
  while ((item = fy_node_sequence_iterate(root, &it)) != NULL) {
    char buf[160];
    if (!fy_node_is_mapping(item) || !scalar_of(item, "fault", buf, sizeof buf)) {
      rc = cq_error_set(err, CQ_EPARSE, "faults file %s: step %zu: expected a mapping with 'fault'",
                        path, n + 1);
      goto done;
    }
    cq_vsim_fault_spec x;
    rc = cq_vsim_fault_parse(buf, &x, err);
    if (rc) {
      char msg[CQ_ERROR_MSG_MAX];
      snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
      rc = cq_error_set(err, rc, "faults file %s: step %zu: %s", path, n + 1, msg);
      goto done;
    }
    int64_t v;
    if (scalar_of(item, "after_requests", buf, sizeof buf)) {
      if (parse_i64(buf, &v) || v < 0) {
        rc = cq_error_set(err, CQ_EPARSE, "faults file %s: step %zu: after_requests '%s'", path,
                          n + 1, buf);
        goto done;
      }
      x.after_requests = v;
    }
    if (scalar_of(item, "at_s", buf, sizeof buf)) {
      if (parse_i64(buf, &v) || v < 0 || v > INT64_C(86400) * 30) {
        rc = cq_error_set(err, CQ_EPARSE, "faults file %s: step %zu: at_s '%s'", path, n + 1, buf);
        goto done;
      }
      x.at_ms = v * 1000;
    }
    steps[n++] = x;
  }
  pthread_mutex_lock(&f->mu);
  free(f->script);
  f->script = steps;
  f->nscript = n;
  f->script_next = 0;
  steps = NULL;
  pthread_mutex_unlock(&f->mu);
done:
  free(steps);
  if (doc) fy_document_destroy(doc);
  fy_diag_destroy(diag);
  return rc;
}
