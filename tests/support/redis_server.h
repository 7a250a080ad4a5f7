/* A redis-server for a test or a benchmark: started on 127.0.0.1 on a free port in a
 * temporary folder, with no persistence, and stopped at the end. */
#ifndef CQ_TEST_REDIS_SERVER_H
#define CQ_TEST_REDIS_SERVER_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cquant/bus.h"

typedef struct test_redis {
  pid_t pid;
  int port;
  char dir[64];
  char bin[512];
} test_redis;

/* The path of program `name` on PATH into path; false when there is none. */
static bool test_find_bin(const char *name, char *path, size_t n) {
  const char *p = getenv("PATH");
  if (!p) p = "/usr/bin:/bin";
  while (*p) {
    const char *e = strchr(p, ':');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    snprintf(path, n, "%.*s/%s", (int)len, p, name);
    if (access(path, X_OK) == 0) return true;
    p += len + (e ? 1 : 0);
  }
  return false;
}

static int test_redis_free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

/* Waits until the server answers (up to 10 s). */
static bool test_redis_ready(const test_redis *s) {
  for (int i = 0; i < 200; i++) {
    cq_bus_redis_options o;
    cq_bus_redis_options_default(&o);
    o.port = s->port;
    cq_bus *b = NULL;
    if (cq_bus_redis_open(&o, &b, NULL) == 0) {
      cq_bus_close(b);
      return true;
    }
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
  }
  return false;
}

/* Starts the server process of s (its port and folder set); the pid, or -1. */
static pid_t test_redis_spawn(const test_redis *s) {
  char port[16];
  snprintf(port, sizeof port, "%d", s->port);
  pid_t pid = fork();
  if (pid == 0) {
    /* the server's own log lines would interleave with the test's */
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, STDOUT_FILENO);
    execl(s->bin, "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", s->dir, "--save",
          "", "--appendonly", "no", "--loglevel", "warning", (char *)NULL);
    _exit(127);
  }
  return pid;
}

/* 0: running; 1: no redis-server binary (the caller skips); -1: it did not start. */
static int test_redis_start(test_redis *s) {
  memset(s, 0, sizeof *s);
  if (!test_find_bin("redis-server", s->bin, sizeof s->bin)) return 1;
  snprintf(s->dir, sizeof s->dir, "/tmp/cq-redis-XXXXXX");
  s->port = test_redis_free_port();
  if (!mkdtemp(s->dir) || s->port <= 0) return -1;
  s->pid = test_redis_spawn(s);
  if (s->pid > 0 && test_redis_ready(s)) return 0;
  if (s->pid > 0) {
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
  }
  rmdir(s->dir);
  return -1;
}

static void test_redis_stop(test_redis *s) {
  if (s->pid <= 0) return;
  kill(s->pid, SIGTERM);
  waitpid(s->pid, NULL, 0);
  s->pid = 0;
  char f[128];
  snprintf(f, sizeof f, "%s/dump.rdb", s->dir);
  unlink(f);
  rmdir(s->dir);
}

#endif
