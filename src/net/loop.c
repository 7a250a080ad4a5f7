/* The event loop: one lws context, one network thread that services it, and a command
 * queue by which other threads ask that thread to act (lws is not thread-safe; only
 * lws_cancel_service() may be called from elsewhere). */
#include <stdlib.h>
#include <string.h>

#include "net_internal.h"

/* lws 4.1 logs through one process-wide emit function with no context argument, so the
 * log it writes to has to be reachable from a static: the one place in this module with
 * process-wide state. The latest loop created with a log receives lws's lines. */
static pthread_mutex_t lws_log_mu = PTHREAD_MUTEX_INITIALIZER;
static cq_log *lws_log_sink;

static void lws_emit(int level, const char *line) {
  pthread_mutex_lock(&lws_log_mu);
  if (lws_log_sink) {
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
    cq_logf(lws_log_sink, level == LLL_ERR ? CQ_LOG_ERROR : CQ_LOG_WARN, "lws: %.*s", (int)n, line);
  }
  pthread_mutex_unlock(&lws_log_mu);
}

static void log_route(cq_log *from, cq_log *to) {
  pthread_mutex_lock(&lws_log_mu);
  if (!from || lws_log_sink == from) lws_log_sink = to;
  pthread_mutex_unlock(&lws_log_mu);
}

/* ---- messages ---------------------------------------------------------------------- */

net_msg *cq__net_msg_new(const char *data, size_t len) {
  if (len > SIZE_MAX - sizeof(net_msg) - LWS_PRE - 1) return NULL;
  net_msg *m = malloc(sizeof *m + LWS_PRE + len + 1);
  if (!m) return NULL;
  m->next = NULL;
  m->len = len;
  if (len) memcpy(m->buf + LWS_PRE, data, len);
  m->buf[LWS_PRE + len] = 0;
  return m;
}

void cq__net_msgq_push(net_msgq *q, net_msg *m) {
  m->next = NULL;
  if (q->tail)
    q->tail->next = m;
  else
    q->head = m;
  q->tail = m;
  q->n++;
}

net_msg *cq__net_msgq_pop(net_msgq *q) {
  net_msg *m = q->head;
  if (!m) return NULL;
  q->head = m->next;
  if (!q->head) q->tail = NULL;
  q->n--;
  m->next = NULL;
  return m;
}

void cq__net_msgq_clear(net_msgq *q) {
  net_msg *m;
  while ((m = cq__net_msgq_pop(q))) free(m);
}

/* ---- commands ---------------------------------------------------------------------- */

bool cq__net_on_thread(const cq_net_loop *l) {
  return l->thread_started && pthread_equal(pthread_self(), l->thread);
}

int64_t cq__net_now_ns(const cq_net_loop *l) {
  return cq_clock_steady(&l->clock);
}

void cq__net_wake(cq_net_loop *l) {
  lws_cancel_service(l->ctx);
}

void cq__net_complete(cq_net_loop *l, net_cmd *cmd, int rc) {
  pthread_mutex_lock(&l->mu);
  cmd->rc = rc;
  cmd->done = true;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

static void run_cmd(cq_net_loop *l, net_cmd *cmd) {
  switch (cmd->kind) {
    case NET_CMD_STOP:
      l->stop = true;
      cq__net_complete(l, cmd, 0);
      break;
    case NET_CMD_SERVER_START:
    case NET_CMD_SERVER_STOP:
      cq__srv_cmd(l, cmd);
      break;
    case NET_CMD_WS_OPEN:
    case NET_CMD_WS_CLOSE:
      cq__ws_cmd(l, cmd);
      break;
  }
}

int cq__net_exec(cq_net_loop *l, net_cmd *cmd) {
  cmd->done = false;
  cmd->next = NULL;
  if (cq__net_on_thread(l)) {
    run_cmd(l, cmd);
    /* A command that finishes later (a close waiting for its sockets) cannot be waited
     * for from the network thread itself. */
    return cmd->done ? cmd->rc : 0;
  }
  pthread_mutex_lock(&l->mu);
  if (l->dead) {
    pthread_mutex_unlock(&l->mu);
    return cmd->kind == NET_CMD_STOP ? 0 : cq_error_set(cmd->err, CQ_ENET, "net loop stopped");
  }
  if (l->tail)
    l->tail->next = cmd;
  else
    l->head = cmd;
  l->tail = cmd;
  pthread_mutex_unlock(&l->mu);
  lws_cancel_service(l->ctx);
  pthread_mutex_lock(&l->mu);
  while (!cmd->done) pthread_cond_wait(&l->cv, &l->mu);
  int rc = cmd->rc;
  pthread_mutex_unlock(&l->mu);
  return rc;
}

void cq__net_drain(cq_net_loop *l) {
  for (;;) {
    pthread_mutex_lock(&l->mu);
    net_cmd *cmd = l->head;
    if (cmd) {
      l->head = cmd->next;
      if (!l->head) l->tail = NULL;
    }
    pthread_mutex_unlock(&l->mu);
    if (!cmd) break;
    run_cmd(l, cmd);
  }
  cq__srv_service_all(l);
  cq__ws_service_all(l);
}

/* ---- the thread -------------------------------------------------------------------- */

static void *loop_main(void *arg) {
  cq_net_loop *l = arg;
  while (!l->stop)
    if (lws_service(l->ctx, 0) < 0) break;
  /* If lws failed, nobody would ever run what is posted: answer it all, and what comes
     later, with an error instead of letting posters wait forever. */
  pthread_mutex_lock(&l->mu);
  l->dead = true;
  for (net_cmd *c = l->head; c; c = c->next) {
    c->rc = c->kind == NET_CMD_STOP ? 0 : CQ_ENET;
    c->done = true;
  }
  l->head = l->tail = NULL;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
  return NULL;
}

/* lws's own validity pings and hang-ups are kept out of the way: the WebSocket client
 * pings and times out on its own schedule, with counters. */
static const lws_retry_bo_t client_retry = {
    .secs_since_valid_ping = 0xffff,
    .secs_since_valid_hangup = 0xffff,
};

/* A client vhost: with TLS (the system's CA store loaded into a client TLS context) or
 * without. The TLS one costs a CA store per loop and, with several loops in one process,
 * libwebsockets 4.1 does not free it at context destruction, so it is only made when a
 * wss:// connection needs it. */
static struct lws_vhost *client_vhost(cq_net_loop *l, bool tls) {
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.options = tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
  info.vhost_name = tls ? "cq-clients-tls" : "cq-clients";
  info.protocols = cq__ws_protocols;
  info.retry_and_idle_policy = &client_retry;
  return lws_create_vhost(l->ctx, &info);
}

struct lws_vhost *cq__net_client_vhost(cq_net_loop *l, bool tls) {
  if (!tls) return l->client_vh;
  if (!l->client_tls_vh) l->client_tls_vh = client_vhost(l, true);
  return l->client_tls_vh;
}

int cq_net_loop_new(cq_log *log, cq_net_loop **out, cq_error *err) {
  *out = NULL;
  cq_net_loop *l = calloc(1, sizeof *l);
  if (!l) return cq_error_set(err, CQ_ENOMEM, "net loop");
  l->log = log;
  cq_clock_wall_init(&l->clock);
  if (pthread_mutex_init(&l->mu, NULL) != 0) {
    free(l);
    return cq_error_set(err, CQ_EINTERNAL, "net loop: mutex");
  }
  if (pthread_cond_init(&l->cv, NULL) != 0) {
    pthread_mutex_destroy(&l->mu);
    free(l);
    return cq_error_set(err, CQ_EINTERNAL, "net loop: condition variable");
  }
  if (log) log_route(NULL, log);
  lws_set_log_level(LLL_ERR | LLL_WARN, lws_emit);

  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.user = l;
  info.max_http_header_data = 8192;
  info.timeout_secs = 10;
  info.connect_timeout_secs = 10;
  l->ctx = lws_create_context(&info);
  if (!l->ctx) {
    cq_net_loop_free(l);
    return cq_error_set(err, CQ_ENET, "net loop: lws_create_context failed");
  }
  memset(&info, 0, sizeof info);
  /* plain ws:// clients; the TLS vhost (its CA store loaded) is made on the first wss:// */
  l->client_vh = client_vhost(l, false);
  if (!l->client_vh) {
    cq_net_loop_free(l);
    return cq_error_set(err, CQ_ENET, "net loop: client vhost failed");
  }
  if (pthread_create(&l->thread, NULL, loop_main, l) != 0) {
    cq_net_loop_free(l);
    return cq_error_set(err, CQ_EINTERNAL, "net loop: pthread_create failed");
  }
  l->thread_started = true;
  *out = l;
  return 0;
}

void cq_net_loop_free(cq_net_loop *l) {
  if (!l) return;
  if (l->thread_started) {
    net_cmd stop = {.kind = NET_CMD_STOP};
    (void)cq__net_exec(l, &stop);
    pthread_join(l->thread, NULL);
    l->thread_started = false;
  }
  /* Whatever is still open is torn down with the context; the callbacks this runs see
   * `destroying` and call no user code. */
  l->destroying = true;
  if (l->ctx) lws_context_destroy(l->ctx);
  l->ctx = NULL;
  cq__srv_free_all(l);
  cq__ws_free_all(l);
  if (l->log) log_route(l->log, NULL);
  pthread_cond_destroy(&l->cv);
  pthread_mutex_destroy(&l->mu);
  free(l);
}
