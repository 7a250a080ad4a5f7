/* Message formats, clocks and the libcurl REST client shared by every spike backend. */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spike.h"

/* A trade event shaped like an exchange's (Binance "trade"), padded to SPIKE_PUSH_LEN.
 * Built with memcpy rather than snprintf so that formatting does not dominate the
 * throughput figure of either candidate. */
static const char push_head[] = "{\"e\":\"trade\",\"t\":";
static const char push_tail[] =
    ",\"s\":\"BTCUSDT\",\"p\":\"43251.12000000\",\"q\":\"0.01230000\",\"m\":true,\"x\":\"";
static const char push_end[] = "\"}";

static size_t u64_digits(char *out, uint64_t v) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}

size_t spike_push_msg(char *buf, uint64_t seq) {
  size_t p = 0;
  memcpy(buf, push_head, sizeof push_head - 1);
  p += sizeof push_head - 1;
  p += u64_digits(buf + p, seq);
  memcpy(buf + p, push_tail, sizeof push_tail - 1);
  p += sizeof push_tail - 1;
  size_t pad = SPIKE_PUSH_LEN - (sizeof push_end - 1) - p;
  memset(buf + p, 'x', pad);
  p += pad;
  memcpy(buf + p, push_end, sizeof push_end - 1);
  p += sizeof push_end - 1;
  return p;
}

int spike_push_check(const char *msg, size_t len, uint64_t seq, int full) {
  if (len != SPIKE_PUSH_LEN) return CQ_EPARSE;
  if (full) {
    char want[SPIKE_MAX_MSG];
    size_t n = spike_push_msg(want, seq);
    return (n == len && memcmp(want, msg, len) == 0) ? 0 : CQ_EPARSE;
  }
  if (memcmp(msg, push_head, sizeof push_head - 1) != 0) return CQ_EPARSE;
  uint64_t got = 0;
  size_t i = sizeof push_head - 1, start = i;
  while (i < len && msg[i] >= '0' && msg[i] <= '9') got = got * 10 + (uint64_t)(msg[i++] - '0');
  if (i == start || i - start > 19 || i >= len || msg[i] != ',') return CQ_EPARSE;
  return got == seq ? 0 : CQ_EPARSE;
}

size_t spike_echo_msg(char *buf, uint64_t seq) {
  static const char head[] = "{\"op\":\"echo\",\"id\":";
  static const char tail[] = ",\"pad\":\"";
  size_t p = 0;
  memcpy(buf, head, sizeof head - 1);
  p += sizeof head - 1;
  p += u64_digits(buf + p, seq);
  memcpy(buf + p, tail, sizeof tail - 1);
  p += sizeof tail - 1;
  size_t pad = SPIKE_ECHO_LEN - 2 - p;
  memset(buf + p, 'y', pad);
  p += pad;
  memcpy(buf + p, "\"}", 2);
  return p + 2;
}

size_t spike_ping_body(char *buf, size_t n, int64_t ms) {
  int w = snprintf(buf, n, "{\"ok\":true,\"ts\":%" PRId64 "}", ms);
  return (w < 0 || (size_t)w >= n) ? 0 : (size_t)w;
}

int spike_ping_check(const char *body, size_t len) {
  static const char head[] = "{\"ok\":true,\"ts\":";
  size_t h = sizeof head - 1;
  if (len < h + 2 || memcmp(body, head, h) != 0 || body[len - 1] != '}') return CQ_EPARSE;
  if (len - 1 - h > 19) return CQ_EPARSE;
  for (size_t i = h; i < len - 1; i++)
    if (body[i] < '0' || body[i] > '9') return CQ_EPARSE;
  return 0;
}

int spike_parse_push(const char *msg, size_t len, uint64_t *n) {
  if (len < 6 || len > 25 || memcmp(msg, "push ", 5) != 0) return 0;
  uint64_t v = 0;
  for (size_t i = 5; i < len; i++) {
    if (msg[i] < '0' || msg[i] > '9') return 0;
    v = v * 10 + (uint64_t)(msg[i] - '0');
  }
  if (v > UINT64_C(1000000000)) return 0; /* a cap, not a protocol feature */
  *n = v;
  return 1;
}

uint64_t spike_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

int64_t spike_wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- REST client ---------------------------------------------------------------- */

typedef struct rest_buf {
  char data[SPIKE_MAX_MSG];
  size_t len;
  int overflow;
} rest_buf;

static size_t rest_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
  rest_buf *b = userdata;
  size_t n = size * nmemb;
  if (n > sizeof b->data - b->len) {
    b->overflow = 1;
    return 0; /* makes libcurl fail the transfer: the body cap */
  }
  memcpy(b->data + b->len, ptr, n);
  b->len += n;
  return n;
}

int spike_rest_run(int port, size_t n, uint32_t *rtt_ns, int timeout_ms, spike_rest_result *res,
                   cq_error *err) {
  memset(res, 0, sizeof *res);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/api/ping", port);
  CURL *h = curl_easy_init();
  if (!h) return cq_error_set(err, CQ_ENOMEM, "curl_easy_init failed");
  rest_buf *b = calloc(1, sizeof *b);
  if (!b) {
    curl_easy_cleanup(h);
    return cq_error_set(err, CQ_ENOMEM, "rest buffer");
  }
  int rc = 0, bad = 0;
  bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
  bad |= curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK; /* loopback never via a proxy */
  bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
  bad |= curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L) != CURLE_OK;
  bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms) != CURLE_OK;
  bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, rest_write) != CURLE_OK;
  bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, b) != CURLE_OK;
  if (bad) rc = cq_error_set(err, CQ_EINTERNAL, "curl_easy_setopt failed");
  CURLcode cc;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    b->len = 0;
    uint64_t t0 = spike_now_ns();
    cc = curl_easy_perform(h);
    uint64_t t1 = spike_now_ns();
    if (cc != CURLE_OK) {
      rc = cq_error_set(err, b->overflow ? CQ_ELIMIT : CQ_ENET, "GET %s (request %zu): %s", url, i,
                        curl_easy_strerror(cc));
      break;
    }
    long code = 0, conns = 0;
    char *ctype = NULL;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
    res->connects += conns;
    if (code != 200 || !ctype || strncmp(ctype, "application/json", 16) != 0 ||
        spike_ping_check(b->data, b->len) != 0) {
      rc = cq_error_set(err, CQ_EPARSE, "GET %s (request %zu): status %ld, type %s, body %.*s", url,
                        i, code, ctype ? ctype : "(none)", (int)b->len, b->data);
      break;
    }
    if (rtt_ns) rtt_ns[i] = (uint32_t)((t1 - t0) > UINT32_MAX ? UINT32_MAX : (t1 - t0));
    res->ok++;
  }
  free(b);
  curl_easy_cleanup(h);
  return rc;
}

int spike_http_status(int port, const char *path, long *status, cq_error *err) {
  *status = 0;
  char url[256];
  int w = snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
  if (w < 0 || (size_t)w >= sizeof url) return cq_error_set(err, CQ_EINVAL, "path too long");
  CURL *h = curl_easy_init();
  rest_buf *b = calloc(1, sizeof *b);
  if (!h || !b) {
    curl_easy_cleanup(h);
    free(b);
    return cq_error_set(err, CQ_ENOMEM, "curl handle");
  }
  int bad = 0;
  bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
  bad |= curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK;
  bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
  bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L) != CURLE_OK;
  bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, rest_write) != CURLE_OK;
  bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, b) != CURLE_OK;
  int rc = 0;
  CURLcode cc = bad ? CURLE_FAILED_INIT : curl_easy_perform(h);
  if (cc != CURLE_OK)
    rc = cq_error_set(err, CQ_ENET, "GET %s: %s", url, curl_easy_strerror(cc));
  else
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
  free(b);
  curl_easy_cleanup(h);
  return rc;
}
