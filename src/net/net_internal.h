/* What the files of the network layer share: the loop, its command queue, and the hooks
 * by which the loop reaches servers and WebSocket clients. Everything that touches lws runs
 * on the loop's network thread. */
#ifndef CQ_NET_INTERNAL_H
#define CQ_NET_INTERNAL_H

#include <libwebsockets.h>
#include <pthread.h>
#include <stdbool.h>

#include "cquant/net.h"

typedef enum net_cmd_kind {
  NET_CMD_STOP = 1,     /* the loop: leave the service loop */
  NET_CMD_SERVER_START, /* obj: cq_server */
  NET_CMD_SERVER_STOP,  /* obj: cq_server; done once its vhost is gone */
  NET_CMD_WS_OPEN,      /* obj: cq_ws_client */
  NET_CMD_WS_CLOSE,     /* obj: cq_ws_client; done once every connection is gone */
} net_cmd_kind;

/* A command posted to the network thread. It lives on the poster's stack; the poster
 * waits until `done`. */
typedef struct net_cmd {
  net_cmd_kind kind;
  void *obj;
  int rc;
  cq_error *err; /* the poster's, written on the network thread while the poster waits */
  bool done;
  struct net_cmd *next;
} net_cmd;

/* An outbound WebSocket message, LWS_PRE bytes of room before the payload. */
typedef struct net_msg {
  struct net_msg *next;
  size_t len;
  unsigned char buf[]; /* LWS_PRE + len */
} net_msg;

typedef struct net_msgq {
  net_msg *head, *tail;
  size_t n;
} net_msgq;

struct cq_net_loop {
  struct lws_context *ctx;
  struct lws_vhost *client_vh;     /* ws:// clients */
  struct lws_vhost *client_tls_vh; /* wss:// clients, made on first use (loop thread) */
  cq_log *log;
  pthread_t thread;
  bool thread_started;
  pthread_mutex_t mu; /* guards the command queue and every `done` */
  pthread_cond_t cv;
  net_cmd *head, *tail;
  bool dead; /* the network thread has left its loop: nothing posted will run */
  /* Network thread only. */
  bool stop;
  bool destroying; /* the context is being destroyed: no user callback runs any more */
  cq_server *servers;
  cq_ws_client *clients;
  cq_clock clock;
  uint64_t seq;
};

/* Runs cmd on the network thread (directly when already there) and waits until done. */
int cq__net_exec(cq_net_loop *l, net_cmd *cmd);
/* Marks cmd done and wakes its poster (network thread). */
void cq__net_complete(cq_net_loop *l, net_cmd *cmd, int rc);
/* Wakes the network thread so it services queued output (any thread). */
void cq__net_wake(cq_net_loop *l);
bool cq__net_on_thread(const cq_net_loop *l);
int64_t cq__net_now_ns(const cq_net_loop *l);
/* Every protocol callback forwards LWS_CALLBACK_EVENT_WAIT_CANCELLED here. */
void cq__net_drain(cq_net_loop *l);

net_msg *cq__net_msg_new(const char *data, size_t len);
void cq__net_msgq_push(net_msgq *q, net_msg *m);
net_msg *cq__net_msgq_pop(net_msgq *q);
void cq__net_msgq_clear(net_msgq *q);

/* Server side (server.c), network thread. */
void cq__srv_cmd(cq_net_loop *l, net_cmd *cmd);
void cq__srv_service_all(cq_net_loop *l);
void cq__srv_free_all(cq_net_loop *l);
extern const struct lws_protocols cq__srv_protocols[];

/* WebSocket client side (ws_client.c), network thread. */
void cq__ws_cmd(cq_net_loop *l, net_cmd *cmd);
void cq__ws_service_all(cq_net_loop *l);
void cq__ws_free_all(cq_net_loop *l);
extern const struct lws_protocols cq__ws_protocols[];

/* The client vhost for a plain or a TLS connection (loop thread; NULL when it cannot be
 * made). */
struct lws_vhost *cq__net_client_vhost(cq_net_loop *l, bool tls);

#endif
