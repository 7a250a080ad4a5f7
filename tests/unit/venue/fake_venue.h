/* A scripted venue for adapter tests: a local cq_server answering each request by the first
 * rule that matches its method and path (a rule may be used a number of times, or drop the
 * connection), and recording every request with the headers the tests look at. */
#ifndef CQ_TEST_FAKE_VENUE_H
#define CQ_TEST_FAKE_VENUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/net.h"

enum { FV_RULES = 32, FV_LOG = 64, FV_TEXT = 2048, FV_HDRS = 6 };

typedef struct fv_rule {
  const char *method; /* NULL: any */
  const char *path;
  int status;       /* 0: 200 */
  const char *body; /* copied when sent */
  int times;        /* uses left; -1: forever */
  bool drop;        /* close without answering */
} fv_rule;

typedef struct fv_seen {
  char method[8];
  char path[128];
  char query[FV_TEXT];
  char body[FV_TEXT];
  char hdr[FV_HDRS][256]; /* values of the names asked for in fv.hdr_names */
} fv_seen;

enum { FV_CONNS = 16 };

typedef struct fv fv;

/* A WebSocket message from the client on conn (opened on path), network thread. */
typedef void (*fv_ws_fn)(fv *f, uint64_t conn, const char *path, const char *data, size_t len);

struct fv {
  pthread_mutex_t mu;
  cq_net_loop *loop;
  cq_server *srv;
  char url[64];
  fv_rule rules[FV_RULES];
  size_t nrules;
  fv_seen seen[FV_LOG];
  size_t nseen;
  const char *hdr_names[FV_HDRS];
  fv_ws_fn on_ws; /* NULL: messages are only counted */
  void *user;
  struct {
    uint64_t id;
    char path[64];
    char query[FV_TEXT]; /* the upgrade request's query (Binance names its streams there) */
    bool open;
  } conns[FV_CONNS];
  size_t nconns;
  size_t ws_messages;
};

static int fv_on_ws_open(void *ctx, uint64_t conn, const char *path, const char *query) {
  fv *f = ctx;
  pthread_mutex_lock(&f->mu);
  if (f->nconns < FV_CONNS) {
    f->conns[f->nconns].id = conn;
    snprintf(f->conns[f->nconns].path, sizeof f->conns[f->nconns].path, "%s", path);
    snprintf(f->conns[f->nconns].query, sizeof f->conns[f->nconns].query, "%s", query ? query : "");
    f->conns[f->nconns].open = true;
    f->nconns++;
  }
  pthread_mutex_unlock(&f->mu);
  return 0;
}

static void fv_on_ws_message(void *ctx, uint64_t conn, const char *data, size_t len) {
  fv *f = ctx;
  char path[64] = "";
  pthread_mutex_lock(&f->mu);
  f->ws_messages++;
  for (size_t i = 0; i < f->nconns; i++)
    if (f->conns[i].id == conn) snprintf(path, sizeof path, "%s", f->conns[i].path);
  fv_ws_fn fn = f->on_ws;
  pthread_mutex_unlock(&f->mu);
  if (fn) fn(f, conn, path, data, len);
}

static void fv_on_ws_close(void *ctx, uint64_t conn) {
  fv *f = ctx;
  pthread_mutex_lock(&f->mu);
  for (size_t i = 0; i < f->nconns; i++)
    if (f->conns[i].id == conn) f->conns[i].open = false;
  pthread_mutex_unlock(&f->mu);
}

/* The open connection on path; 0 when none. */
static inline uint64_t fv_conn(fv *f, const char *path) {
  pthread_mutex_lock(&f->mu);
  uint64_t id = 0;
  for (size_t i = 0; i < f->nconns; i++)
    if (f->conns[i].open && strcmp(f->conns[i].path, path) == 0) id = f->conns[i].id;
  pthread_mutex_unlock(&f->mu);
  return id;
}

/* The query of the open connection on path (a copy); false when none. */
static inline bool fv_conn_query(fv *f, const char *path, char *out, size_t n) {
  pthread_mutex_lock(&f->mu);
  bool found = false;
  for (size_t i = 0; i < f->nconns; i++)
    if (f->conns[i].open && strcmp(f->conns[i].path, path) == 0) {
      snprintf(out, n, "%s", f->conns[i].query);
      found = true;
    }
  pthread_mutex_unlock(&f->mu);
  return found;
}

static inline void fv_send(fv *f, uint64_t conn, const char *text) {
  cq_error e;
  cq_error_clear(&e);
  if (cq_server_ws_send(f->srv, conn, text, strlen(text), &e) < 0) { /* a test sees it later */
  }
}

static void fv_on_http(void *ctx, const cq_srv_request *req, cq_srv_response *resp) {
  fv *f = ctx;
  pthread_mutex_lock(&f->mu);
  if (f->nseen < FV_LOG) {
    fv_seen *s = &f->seen[f->nseen++];
    memset(s, 0, sizeof *s);
    snprintf(s->method, sizeof s->method, "%s", req->method);
    snprintf(s->path, sizeof s->path, "%s", req->path);
    snprintf(s->query, sizeof s->query, "%s", req->query);
    snprintf(s->body, sizeof s->body, "%s", req->body);
    for (size_t i = 0; i < FV_HDRS && f->hdr_names[i]; i++)
      if (!cq_srv_header(req, f->hdr_names[i], s->hdr[i], sizeof s->hdr[i])) s->hdr[i][0] = '\0';
  }
  fv_rule *r = NULL;
  for (size_t i = 0; i < f->nrules; i++) {
    fv_rule *c = &f->rules[i];
    if (c->times == 0 || strcmp(c->path, req->path) != 0) continue;
    if (c->method && strcmp(c->method, req->method) != 0) continue;
    r = c;
    break;
  }
  if (!r) {
    resp->status = 404;
    resp->body = strdup("{\"error\":\"no rule\"}");
  } else {
    if (r->times > 0) r->times--;
    resp->status = r->status ? r->status : 200;
    resp->drop = r->drop;
    resp->body = r->body ? strdup(r->body) : NULL;
  }
  resp->body_len = resp->body ? strlen(resp->body) : 0;
  pthread_mutex_unlock(&f->mu);
}

static void fv_start(fv *f) {
  memset(f, 0, sizeof *f);
  pthread_mutex_init(&f->mu, NULL);
  cq_error e;
  cq_error_clear(&e);
  if (cq_net_loop_new(NULL, &f->loop, &e) < 0) abort();
  cq_server_options o;
  memset(&o, 0, sizeof o);
  cq_srv_callbacks cb;
  memset(&cb, 0, sizeof cb);
  cb.ctx = f;
  cb.on_http = fv_on_http;
  cb.on_ws_open = fv_on_ws_open;
  cb.on_ws_message = fv_on_ws_message;
  cb.on_ws_close = fv_on_ws_close;
  if (cq_server_start(f->loop, &o, &cb, &f->srv, &e) < 0) abort();
  snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", cq_server_port(f->srv));
}

static void fv_stop(fv *f) {
  cq_server_stop(f->srv);
  cq_net_loop_free(f->loop);
  pthread_mutex_destroy(&f->mu);
}

/* Adds a rule (after the ones already there: earlier rules win). */
static void fv_add(fv *f, const char *method, const char *path, int status, const char *body,
                   int times) {
  pthread_mutex_lock(&f->mu);
  if (f->nrules < FV_RULES)
    f->rules[f->nrules++] = (fv_rule){method, path, status, body, times, false};
  pthread_mutex_unlock(&f->mu);
}

static inline void fv_add_drop(fv *f, const char *method, const char *path, int times) {
  pthread_mutex_lock(&f->mu);
  if (f->nrules < FV_RULES) f->rules[f->nrules++] = (fv_rule){method, path, 0, NULL, times, true};
  pthread_mutex_unlock(&f->mu);
}

/* Requests seen for method and path (method NULL: any). */
static inline size_t fv_count(fv *f, const char *method, const char *path) {
  pthread_mutex_lock(&f->mu);
  size_t n = 0;
  for (size_t i = 0; i < f->nseen; i++)
    if (strcmp(f->seen[i].path, path) == 0 && (!method || strcmp(f->seen[i].method, method) == 0))
      n++;
  pthread_mutex_unlock(&f->mu);
  return n;
}

/* The last request seen for path (a copy); false when none. */
static inline bool fv_last(fv *f, const char *path, fv_seen *out) {
  pthread_mutex_lock(&f->mu);
  bool found = false;
  for (size_t i = f->nseen; i-- > 0;)
    if (strcmp(f->seen[i].path, path) == 0) {
      *out = f->seen[i];
      found = true;
      break;
    }
  pthread_mutex_unlock(&f->mu);
  return found;
}

/* Reads a test data file (malloc'd, NUL-terminated); NULL when absent. */
static char *fv_slurp(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s && fread(s, 1, (size_t)n, fp) != (size_t)n) {
    free(s);
    s = NULL;
  }
  if (s) s[n] = '\0';
  fclose(fp);
  return s;
}

#endif
