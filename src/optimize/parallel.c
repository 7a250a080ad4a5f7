/* The worker pool of studies and evaluations: the items of a batch taken by threads from one
 * shared counter; the caller's thread works too. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "opt_internal.h"

enum { MAX_THREADS = 256 };

int cq__threads(int asked) {
  if (asked > 0) return asked < MAX_THREADS ? asked : MAX_THREADS;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (n < MAX_THREADS ? (int)n : MAX_THREADS) : 1;
}

typedef struct pool {
  size_t n;
  cq__task_fn fn;
  void *user;
  atomic_size_t next;
  atomic_int failed;
  pthread_mutex_t lock;
  size_t failed_at;
  cq_error err;
} pool;

static void *work(void *arg) {
  pool *p = arg;
  for (;;) {
    size_t i = atomic_fetch_add(&p->next, 1);
    if (i >= p->n || atomic_load(&p->failed)) break;
    cq_error e;
    cq_error_clear(&e);
    if (p->fn(i, p->user, &e)) {
      pthread_mutex_lock(&p->lock);
      /* the first failing item in order, whichever thread met it first */
      if (!atomic_load(&p->failed) || i < p->failed_at) {
        p->err = e;
        p->failed_at = i;
      }
      atomic_store(&p->failed, 1);
      pthread_mutex_unlock(&p->lock);
    }
  }
  return NULL;
}

int cq__parallel_for(size_t n, int threads, cq__task_fn fn, void *user, size_t *failed_at,
                     cq_error *err) {
  pool p = {.n = n, .fn = fn, .user = user, .failed_at = 0};
  atomic_init(&p.next, 0);
  atomic_init(&p.failed, 0);
  if (pthread_mutex_init(&p.lock, NULL))
    return cq_error_set(err, CQ_EINTERNAL, "workers: no mutex");
  if ((size_t)threads > n) threads = (int)n;
  pthread_t tid[MAX_THREADS];
  int started = 0;
  for (int i = 1; i < threads && i < MAX_THREADS; i++) {
    if (pthread_create(&tid[started], NULL, work, &p)) break; /* fewer threads, same result */
    started++;
  }
  work(&p);
  for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
  pthread_mutex_destroy(&p.lock);
  if (!atomic_load(&p.failed)) return CQ_OK;
  if (failed_at) *failed_at = p.failed_at;
  if (err) *err = p.err;
  return p.err.code ? p.err.code : CQ_EINTERNAL;
}
