#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/core/mem.h"

static void *libc_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, nsize);
}

static const cq_allocator libc_allocator = {libc_alloc, NULL};

const cq_allocator *cq_allocator_default(void) {
  return &libc_allocator;
}

/* ---- arena -------------------------------------------------------------------------- */

struct cq__arena_block {
  cq__arena_block *next;
  size_t size; /* usable bytes after the header */
  size_t used;
  _Alignas(64) unsigned char data[];
};

enum { ARENA_DEFAULT_BLOCK = 64 * 1024, ARENA_MAX_ALIGN = 64 };

void cq_arena_init(cq_arena *a, size_t block_size, size_t cap, const cq_allocator *alloc) {
  memset(a, 0, sizeof *a);
  a->alloc = alloc ? alloc : &libc_allocator;
  a->block_size = block_size ? block_size : ARENA_DEFAULT_BLOCK;
  a->cap = cap ? cap : SIZE_MAX;
}

static void *block_take(cq__arena_block *b, size_t size, size_t align) {
  size_t off = (b->used + align - 1) & ~(align - 1);
  if (off < b->used || off > b->size || b->size - off < size) return NULL;
  b->used = off + size;
  return b->data + off;
}

/* A kept block large enough for size, moved to the head; block data is 64-aligned, so an
 * empty block satisfies any allowed alignment. */
static void *take_spare(cq_arena *a, size_t size, size_t align) {
  for (cq__arena_block **pp = &a->spare; *pp; pp = &(*pp)->next) {
    cq__arena_block *b = *pp;
    if (b->size < size) continue;
    *pp = b->next;
    b->next = a->head;
    a->head = b;
    return block_take(b, size, align);
  }
  return NULL;
}

static void *take_new(cq_arena *a, size_t size, size_t align) {
  size_t want = size > a->block_size ? size : a->block_size;
  size_t total;
  if (__builtin_add_overflow(want, sizeof(cq__arena_block), &total)) return NULL;
  if (total > a->cap || a->reserved > a->cap - total) return NULL;
  cq__arena_block *b = a->alloc->fn(a->alloc->ud, NULL, 0, total);
  if (!b) return NULL;
  b->size = want;
  b->used = 0;
  b->next = a->head;
  a->head = b;
  a->reserved += total;
  return block_take(b, size, align);
}

void *cq_arena_alloc(cq_arena *a, size_t size, size_t align) {
  if (align == 0) align = 1;
  if ((align & (align - 1)) != 0 || align > ARENA_MAX_ALIGN) return NULL;
  if (size == 0) size = 1;
  void *p = a->head ? block_take(a->head, size, align) : NULL;
  if (!p) p = take_spare(a, size, align);
  if (!p) p = take_new(a, size, align);
  if (p) a->used += size;
  return p;
}

char *cq_arena_strndup(cq_arena *a, const char *s, size_t n) {
  size_t len = strnlen(s, n);
  char *p = cq_arena_alloc(a, len + 1, 1);
  if (!p) return NULL;
  memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

void cq_arena_reset(cq_arena *a) {
  while (a->head) {
    cq__arena_block *b = a->head;
    a->head = b->next;
    b->used = 0;
    b->next = a->spare;
    a->spare = b;
  }
  a->used = 0;
}

static void free_chain(cq_arena *a, cq__arena_block *b) {
  while (b) {
    cq__arena_block *next = b->next;
    a->alloc->fn(a->alloc->ud, b, b->size + sizeof *b, 0);
    b = next;
  }
}

void cq_arena_release(cq_arena *a) {
  free_chain(a, a->head);
  free_chain(a, a->spare);
  a->head = a->spare = NULL;
  a->reserved = a->used = 0;
}

/* ---- growable buffer ------------------------------------------------------------------ */

void cq_buf_init(cq_buf *b, size_t max, const cq_allocator *alloc) {
  memset(b, 0, sizeof *b);
  b->max = max;
  b->alloc = alloc ? alloc : &libc_allocator;
}

static int buf_reserve(cq_buf *b, size_t extra) {
  size_t need;
  if (__builtin_add_overflow(b->len, extra, &need) || need > b->max) return CQ_ELIMIT;
  if (need + 1 <= b->cap) return CQ_OK;
  size_t ncap = b->cap ? b->cap : 64;
  while (ncap < need + 1) {
    if (ncap > SIZE_MAX / 2) {
      ncap = need + 1;
      break;
    }
    ncap *= 2;
  }
  if (ncap > b->max + 1) ncap = b->max + 1;
  char *p = b->alloc->fn(b->alloc->ud, b->data, b->cap, ncap);
  if (!p) return CQ_ENOMEM;
  b->data = p;
  b->cap = ncap;
  return CQ_OK;
}

int cq_buf_append(cq_buf *b, const void *p, size_t n) {
  int rc = buf_reserve(b, n);
  if (rc) return rc;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return CQ_OK;
}

int cq_buf_puts(cq_buf *b, const char *s) {
  return cq_buf_append(b, s, strlen(s));
}

int cq_buf_putc(cq_buf *b, char c) {
  return cq_buf_append(b, &c, 1);
}

int cq_buf_vprintf(cq_buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap2);
  va_end(ap2);
  if (n < 0) return CQ_EINVAL;
  if ((size_t)n < sizeof small) return cq_buf_append(b, small, (size_t)n);
  int rc = buf_reserve(b, (size_t)n);
  if (rc) return rc;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return CQ_OK;
}

int cq_buf_printf(cq_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = cq_buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

const char *cq_buf_str(const cq_buf *b) {
  return b->data ? b->data : "";
}

void cq_buf_reset(cq_buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

char *cq_buf_take(cq_buf *b, size_t *cap_out) {
  char *p = b->data;
  if (cap_out) *cap_out = b->cap;
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}

void cq_buf_release(cq_buf *b) {
  if (b->data) b->alloc->fn(b->alloc->ud, b->data, b->cap, 0);
  b->data = NULL;
  b->len = b->cap = 0;
}
