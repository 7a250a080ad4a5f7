/* Memory: an allocator hook, an arena, and a growable buffer with a hard cap.
 *
 * Ownership: the caller owns the cq_arena / cq_buf structs; the library owns what they
 * point to until cq_arena_release / cq_buf_release (or cq_buf_take, which hands the bytes
 * to the caller, who frees them with the same allocator).
 */
#ifndef CQUANT_CORE_MEM_H
#define CQUANT_CORE_MEM_H

#include <stdarg.h>
#include <stddef.h>

#include "cquant/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One allocator function, in the manner of Lua's: realloc(ptr, nsize) when nsize > 0, free
 * when nsize == 0 (returning NULL). osize is the old size (0 for a new block). Tests pass
 * one that fails on demand to prove every allocation is checked. */
typedef struct cq_allocator {
  void *(*fn)(void *ud, void *ptr, size_t osize, size_t nsize);
  void *ud;
} cq_allocator;

/* The C library's malloc/realloc/free. Never NULL. */
const cq_allocator *cq_allocator_default(void);

/* ---- arena -------------------------------------------------------------------------- */

typedef struct cq__arena_block cq__arena_block;

/* Bump allocator over a chain of blocks. Memory is freed all at once (reset or release);
 * after reset the blocks are reused, so a steady-state loop allocates nothing new. */
typedef struct cq_arena {
  const cq_allocator *alloc;
  cq__arena_block *head;  /* block being filled */
  cq__arena_block *spare; /* blocks kept by reset, reused before new ones */
  size_t block_size;      /* default size of a new block */
  size_t cap;             /* most bytes of blocks the arena may hold */
  size_t reserved;        /* bytes of blocks held now */
  size_t used;            /* bytes handed out since the last reset */
} cq_arena;

/* block_size 0 means 64 KiB; cap is the hard limit on bytes held (0 means no limit other
 * than SIZE_MAX). alloc NULL means the default allocator. */
void cq_arena_init(cq_arena *a, size_t block_size, size_t cap, const cq_allocator *alloc);
/* Aligned memory (align a power of two, at most 64), or NULL when out of memory or over the
 * cap; size 0 returns a valid unique pointer. */
void *cq_arena_alloc(cq_arena *a, size_t size, size_t align);
/* A NUL-terminated copy of s[0..n) (n bytes or fewer at the first NUL), or NULL. */
char *cq_arena_strndup(cq_arena *a, const char *s, size_t n);
/* Forgets every allocation but keeps the blocks for reuse. */
void cq_arena_reset(cq_arena *a);
/* Frees every block. The arena may be initialised again. */
void cq_arena_release(cq_arena *a);

/* ---- growable buffer ------------------------------------------------------------------ */

/* A byte buffer that grows up to `max` bytes (content, not counting the terminating NUL
 * it always keeps). Growing past max fails with CQ_ELIMIT and leaves the content as it was. */
typedef struct cq_buf {
  char *data; /* NUL-terminated; NULL until the first append */
  size_t len;
  size_t cap;
  size_t max;
  const cq_allocator *alloc;
} cq_buf;

void cq_buf_init(cq_buf *b, size_t max, const cq_allocator *alloc);
CQ_NODISCARD int cq_buf_append(cq_buf *b, const void *p, size_t n);
CQ_NODISCARD int cq_buf_puts(cq_buf *b, const char *s);
CQ_NODISCARD int cq_buf_putc(cq_buf *b, char c);
CQ_NODISCARD int cq_buf_printf(cq_buf *b, const char *fmt, ...) CQ_PRINTF(2, 3);
CQ_NODISCARD int cq_buf_vprintf(cq_buf *b, const char *fmt, va_list ap) CQ_PRINTF(2, 0);
/* The content, "" when empty (never NULL). */
const char *cq_buf_str(const cq_buf *b);
/* Empties the buffer, keeping its memory. */
void cq_buf_reset(cq_buf *b);
/* Hands the bytes to the caller (free with b->alloc: fn(ud, p, cap, 0)); the buffer is empty
 * after. *cap_out, when non-NULL, receives the allocation size. NULL when empty. */
char *cq_buf_take(cq_buf *b, size_t *cap_out);
void cq_buf_release(cq_buf *b);

#ifdef __cplusplus
}
#endif
#endif
