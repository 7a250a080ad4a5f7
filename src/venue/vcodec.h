/* Pieces shared by the OKX and Bybit codecs: price levels of a book message, the list of
 * events one stream message carries, and the CRC32 OKX checks its books with. */
#ifndef CQ_VENUE_VCODEC_H
#define CQ_VENUE_VCODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core.h"
#include "cquant/venue.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
  CQ_V_MAX_LEVELS = 5000, /* levels per side of one book message */
  CQ_V_MAX_EVENTS = 1000, /* events of one stream message (trades, orders, balances) */
  CQ_V_MAX_ROWS = 100000  /* rows of one REST array */
};

typedef struct cq_vlevel {
  cq_dec price, qty;
} cq_vlevel;

/* One book message of a stream (snapshot or update) with its levels. Owned arrays, reused
 * message after message; each side holds at most CQ_V_MAX_LEVELS. */
typedef struct cq_vbook_msg {
  char native[CQ_SYMBOL_MAX];
  bool snapshot;     /* replaces the book */
  int64_t seq;       /* OKX seqId, Bybit u */
  int64_t prev_seq;  /* OKX prevSeqId (-1 on a snapshot); Bybit: unused (0) */
  int64_t cross_seq; /* Bybit seq (cross sequence); OKX: 0 */
  bool has_checksum; /* OKX checksum */
  int32_t checksum;
  cq_time time;
  cq_vlevel *bids, *asks;
  size_t nbids, nasks, cap_bids, cap_asks;
} cq_vbook_msg;

void cq_vbook_msg_init(cq_vbook_msg *m);
void cq_vbook_msg_release(cq_vbook_msg *m);
/* Empties the levels and the header (arrays kept). */
void cq_vbook_msg_clear(cq_vbook_msg *m);
/* Appends one level; CQ_ELIMIT past CQ_V_MAX_LEVELS. */
CQ_NODISCARD int cq_vbook_msg_push(cq_vbook_msg *m, cq_side side, cq_dec price, cq_dec qty,
                                   cq_error *err);
/* The levels into b: cleared first when the message is a snapshot. Sets seq and time; does
 * not touch validity. */
CQ_NODISCARD int cq_vbook_msg_apply(const cq_vbook_msg *m, cq_l2book *b, cq_error *err);

/* What a stream book synchronizer (OKX, Bybit) did with one message. */
typedef enum cq_vsync_result {
  CQ_VSYNC_APPLIED = 0, /* the book is valid and up to date */
  CQ_VSYNC_WAITING,     /* no snapshot yet: the update is dropped */
  CQ_VSYNC_GAP,         /* a sequence break or crossed book: invalid, resubscribe */
  CQ_VSYNC_CHECKSUM     /* the checksum does not match: invalid, resubscribe */
} cq_vsync_result;

/* The events of one stream message. Owned, reused; at most CQ_V_MAX_EVENTS. */
typedef struct cq_vevents {
  cq_venue_event *ev;
  size_t n, cap;
} cq_vevents;

void cq_vevents_init(cq_vevents *e);
void cq_vevents_release(cq_vevents *e);
/* A zeroed event of kind with venue, recv_time set, appended; NULL and CQ_ELIMIT or
 * CQ_ENOMEM in err when it cannot be. */
cq_venue_event *cq_vevents_push(cq_vevents *e, cq_vev_kind kind, const char *venue,
                                cq_time recv_time, cq_error *err);

/* A bounded text builder for request bodies: appends stop at the capacity and set
 * overflow, so a too-small buffer is one check at the end. */
typedef struct cq_vbuf {
  char *p;
  size_t cap, len;
  bool overflow;
} cq_vbuf;

void cq_vbuf_init(cq_vbuf *b, char *buf, size_t cap);
void cq_vbuf_add(cq_vbuf *b, const char *fmt, ...) CQ_PRINTF(2, 3);
/* True when s can go into a JSON string or a query as it is: printable ASCII without '"',
 * '\\', '&', '=', '?', '#', '%', spaces or controls, 1 to max bytes. */
bool cq_v_plain(const char *s, size_t max);

/* qty x price exactly when it fits 18 fraction digits, else rounded half-even there; 0
 * when either is 0 or the product overflows (a quote amount is informative). */
void cq__v_notional(cq_dec qty, cq_dec price, cq_dec *out);

/* CRC-32 (IEEE 802.3, zlib's crc32) of len bytes, continuing from crc (0 to start). */
uint32_t cq_crc32(uint32_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
