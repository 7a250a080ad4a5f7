/* A recording stand-in for the server functions of net.h, for the simulator's stream tests:
 * what the simulator sends to a connection is kept in memory, in order, so its WebSocket
 * routing and stream messages are checked without a socket. Defines the functions (the test's
 * own definitions win over the library's at link time, see CMakeLists.txt): include it in
 * exactly one file of a test. Needs MAX_MSGS defined first. */
#ifndef CQ_TEST_VSIM_RECORDING_SERVER_H
#define CQ_TEST_VSIM_RECORDING_SERVER_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/net.h"

typedef struct rec_msg {
  uint64_t conn;
  char *text;
} rec_msg;

struct cq_server {
  cq_srv_callbacks cb;
  pthread_mutex_t mu;
  rec_msg msgs[MAX_MSGS];
  int n;
  uint64_t ended_conn;
  cq_ws_end ended_how;
  int ends;
};

int cq_server_start(cq_net_loop *l, const cq_server_options *o, const cq_srv_callbacks *cb,
                    cq_server **out, cq_error *err) {
  (void)l;
  (void)o;
  (void)err;
  cq_server *s = calloc(1, sizeof *s);
  if (!s) return CQ_ENOMEM;
  s->cb = *cb;
  pthread_mutex_init(&s->mu, NULL);
  *out = s;
  return CQ_OK;
}

int cq_server_port(const cq_server *s) {
  (void)s;
  return 12345;
}

void cq_server_stop(cq_server *s) {
  if (!s) return;
  for (int i = 0; i < s->n; i++) free(s->msgs[i].text);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

int cq_server_ws_send(cq_server *s, uint64_t conn, const char *data, size_t len, cq_error *err) {
  (void)err;
  pthread_mutex_lock(&s->mu);
  if (s->n < MAX_MSGS) s->msgs[s->n++] = (rec_msg){conn, strndup(data, len)};
  pthread_mutex_unlock(&s->mu);
  return CQ_OK;
}

int cq_server_ws_end(cq_server *s, uint64_t conn, cq_ws_end how, int code, cq_error *err) {
  (void)code;
  (void)err;
  pthread_mutex_lock(&s->mu);
  s->ended_conn = conn;
  s->ended_how = how;
  s->ends++;
  pthread_mutex_unlock(&s->mu);
  return CQ_OK;
}

const char *cq_srv_header(const cq_srv_request *r, const char *name, char *buf, size_t n) {
  if (strcmp(name, "X-MBX-APIKEY") != 0 || !r->impl) return NULL;
  snprintf(buf, n, "%s", (const char *)r->impl);
  return buf;
}

#endif
