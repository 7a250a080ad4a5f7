/* cli_split_list and cli_sig_watch: helpers of the long-running commands. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Splits "a,b,c" into list (pointers into buf). */
int cli_split_list(cli_ctx *ctx, const char *cmd, const char *flag, const char *v, char *buf,
                   size_t n, const char **list, int max, int *count) {
  snprintf(buf, n, "%s", v);
  *count = 0;
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    while (*t == ' ') t++;
    if (!*t) continue;
    if (*count == max) {
      fprintf(ctx->err, "cquant %s: %s: at most %d values\n", cmd, flag, max);
      return CLI_USAGE;
    }
    list[(*count)++] = t;
  }
  if (!*count) {
    fprintf(ctx->err, "cquant %s: %s: no value given\n", cmd, flag);
    return CLI_USAGE;
  }
  return CLI_OK;
}

/* ---- Ctrl-C: a thread that waits for the signal and raises the cancel flag ------------ */

static void *sig_thread(void *arg) {
  cli_sig_watch *w = arg;
  for (;;) {
    int sig = 0;
    if (sigwait(&w->set, &sig) != 0) continue;
    if (atomic_load(&w->done)) return NULL;
    if (sig == SIGINT || sig == SIGTERM) atomic_store(w->cancel, 1);
  }
}

/* Blocks SIGINT and SIGTERM in this thread (and the threads it starts) and watches them. */
void cli_sig_watch_start(cli_sig_watch *w, _Atomic int *cancel) {
  memset(w, 0, sizeof *w);
  w->cancel = cancel;
  sigemptyset(&w->set);
  sigaddset(&w->set, SIGINT);
  sigaddset(&w->set, SIGTERM);
  sigaddset(&w->set, SIGUSR1);
  if (pthread_sigmask(SIG_BLOCK, &w->set, NULL) == 0)
    w->started = pthread_create(&w->tid, NULL, sig_thread, w) == 0;
}

void cli_sig_watch_stop(cli_sig_watch *w) {
  if (w->started) {
    atomic_store(&w->done, 1);
    pthread_kill(w->tid, SIGUSR1);
    pthread_join(w->tid, NULL);
  }
  pthread_sigmask(SIG_UNBLOCK, &w->set, NULL);
}
