/* Streams of the OKX and Bybit adapters: the WebSocket connections of one subscription set
 * (public market data, OKX's "business" candles, private user data), their subscription
 * and login requests, the local books, and the status events; each venue decodes its own
 * messages (vfeed_dialect.on_message) and hands events back through vf_emit.
 *
 * Threads: every callback runs on the network thread, which decodes, keeps the books and
 * calls the handler; nothing here blocks. Subscriptions are requests sent on each
 * (re)connection, so a reconnect subscribes again, and the venue sends each book's snapshot
 * afresh: every book starts over (invalid until that snapshot). */
#ifndef CQ_VENUE_VFEED_H
#define CQ_VENUE_VFEED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "cquant/venue.h"
#include "vcodec.h"

enum { VF_PUBLIC = 0, VF_BUSINESS, VF_PRIVATE, VF_ROLES, VF_SUBS_MAX = 100 };

typedef struct vfeed vfeed;

/* One connection of the set: its subscriptions and, for VF_PRIVATE, its login. */
typedef struct vf_conn {
  vfeed *f;
  int role;
  cq_ws_client *handle; /* the opener's, for closing */
  cq_ws_client *ws;     /* the network thread's: set in each callback, sends use it */
  cq_venue_sub subs[VF_SUBS_MAX];
  char natives[VF_SUBS_MAX][CQ_SYMBOL_MAX];
  size_t nsubs;
  bool logged_in;
} vf_conn;

/* One CQ_VCH_BOOK subscription and its synchronizer (the venue's). */
typedef struct vf_book {
  char native[CQ_SYMBOL_MAX];
  char unified[CQ_SYMBOL_MAX];
  void *sync;
  bool announced; /* BOOK_SYNCED sent and no BOOK_INVALID since */
} vf_book;

typedef struct vfeed_dialect {
  const char *name;      /* "okx" */
  const char *text_ping; /* the keep-alive text */
  /* the role a channel's subscription goes to */
  int (*role_of)(cq_vchan ch);
  /* the path of a role, appended to ws_url */
  const char *paths[VF_ROLES];
  int (*sub_msg)(const char *op, const cq_venue_sub *subs, const char *const *natives, size_t n,
                 char *buf, size_t cap, cq_error *err);
  /* the private connection's login request (NULL: none) */
  int (*login_msg)(void *venue, char *buf, size_t cap, cq_error *err);
  /* a book's synchronizer */
  void *(*book_new)(cq_error *err);
  void (*book_free)(void *sync);
  void (*book_reset)(void *sync);
  /* the venue's decode buffer for one connection */
  void *(*msg_new)(void);
  void (*msg_free)(void *msg);
  /* one whole message of connection c (network thread) */
  void (*on_message)(vf_conn *c, void *msg, const char *data, size_t len);
} vfeed_dialect;

struct vfeed {
  const vfeed_dialect *d;
  void *venue; /* the adapter's handle, for login_msg and symbol maps */
  cq_venue_handler h;
  cq_log *log;
  vf_conn conns[VF_ROLES];
  void *msgs[VF_ROLES];
  vf_book *books;
  size_t nbooks;
  atomic_bool closing;
};

/* Opens the connections of subs (natives[i] the venue symbol of subs[i]). ws is the
 * template (url is set here), base_url the venue's stream base. */
CQ_NODISCARD int cq__vf_open(const vfeed_dialect *d, void *venue, cq_net_loop *loop,
                             const cq_ws_options *ws, const char *base_url,
                             const cq_venue_sub *subs, const char (*natives)[CQ_SYMBOL_MAX],
                             size_t n, const cq_venue_handler *h, cq_log *log, vfeed **out,
                             cq_error *err);
void cq__vf_close(vfeed *f);

/* Calls the handler with ev (venue and recv_time filled when empty). */
void cq__vf_emit(vfeed *f, cq_venue_event *ev);
/* A CQ_VEV_STATUS event. */
void cq__vf_status(vfeed *f, const char *symbol, cq_vstatus st, const char *detail);
/* Sends the (private) subscriptions of c, after a login. */
void cq__vf_subscribe(vf_conn *c);
/* The book of native, NULL when not subscribed. */
vf_book *cq__vf_book(vfeed *f, const char *native);
/* A book broke (gap, checksum): invalid until a new snapshot, asked for by subscribing to
 * it again. */
void cq__vf_book_broken(vf_conn *c, vf_book *b, const char *why);
/* The result of the venue's synchronizer on one book message: events for the handler. */
void cq__vf_book_result(vf_conn *c, vf_book *b, cq_vsync_result r, const cq_l2book *book,
                        cq_time event_time);

#endif
