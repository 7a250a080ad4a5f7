/* Query strings: percent-encoding and lookup. */
#include <stdio.h>
#include <string.h>

#include "cquant/net.h"

static int unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int cq_url_encode(const char *s, char *buf, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    size_t need = unreserved(*p) ? 1 : 3;
    if (o + need >= n) return CQ_ELIMIT;
    if (need == 1) {
      buf[o++] = (char)*p;
    } else {
      buf[o++] = '%';
      buf[o++] = hex[*p >> 4];
      buf[o++] = hex[*p & 15];
    }
  }
  if (n == 0) return CQ_ELIMIT;
  buf[o] = '\0';
  return (int)o;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const char *cq_query_get(const char *query, const char *key, char *buf, size_t n) {
  if (!query || !key || n == 0) return NULL;
  size_t klen = strlen(key);
  const char *p = query;
  while (*p) {
    const char *amp = strchr(p, '&');
    const char *end = amp ? amp : p + strlen(p);
    if ((size_t)(end - p) >= klen && strncmp(p, key, klen) == 0 &&
        (p + klen == end || p[klen] == '=')) {
      const char *v = p + klen == end ? end : p + klen + 1;
      size_t o = 0;
      while (v < end && o + 1 < n) {
        if (*v == '%' && v + 2 < end + 1 && hexval(v[1]) >= 0 && hexval(v[2]) >= 0) {
          buf[o++] = (char)(hexval(v[1]) * 16 + hexval(v[2]));
          v += 3;
        } else if (*v == '+') {
          buf[o++] = ' ';
          v++;
        } else {
          buf[o++] = *v++;
        }
      }
      buf[o] = '\0';
      return buf;
    }
    if (!amp) break;
    p = amp + 1;
  }
  return NULL;
}
