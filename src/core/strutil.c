#include "cquant/core/strutil.h"

#include <ctype.h>
#include <string.h>

enum { EDIT_MAX = 256 };

size_t cq_edit_distance(const char *a, const char *b) {
  size_t la = strnlen(a, EDIT_MAX), lb = strnlen(b, EDIT_MAX);
  /* three rows of the dynamic programme: i-2, i-1, i */
  size_t rows[3][EDIT_MAX + 1];
  for (size_t j = 0; j <= lb; j++) rows[1][j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t *cur = rows[(i + 1) % 3], *prev = rows[i % 3], *prev2 = rows[(i + 2) % 3];
    cur[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t best = prev[j] + 1;                          /* deletion */
      if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;   /* insertion */
      if (prev[j - 1] + cost < best) best = prev[j - 1] + cost; /* substitution */
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          prev2[j - 2] + 1 < best)
        best = prev2[j - 2] + 1; /* transposition */
      cur[j] = best;
    }
  }
  return la == 0 ? lb : rows[(la + 1) % 3][lb];
}

const char *cq_closest(const char *s, const char *const *names, size_t n, size_t max_distance) {
  const char *best = NULL;
  size_t bd = max_distance + 1;
  /* names are lower case: compare the lower-cased request ("SMA_Cros" -> "sma_cross") */
  char lower[257] = "";
  size_t k = 0;
  for (; s && s[k] && k + 1 < sizeof lower; k++) lower[k] = (char)tolower((unsigned char)s[k]);
  lower[k] = '\0';
  for (size_t i = 0; i < n; i++) {
    size_t d = cq_edit_distance(lower, names[i]);
    if (d < bd) {
      bd = d;
      best = names[i];
    }
  }
  return best;
}

size_t cq_strlcpy(char *dst, const char *src, size_t cap) {
  size_t n = strlen(src);
  if (cap) {
    size_t c = n < cap - 1 ? n : cap - 1;
    memcpy(dst, src, c);
    dst[c] = '\0';
  }
  return n;
}

const char *cq_strcasestr(const char *haystack, const char *needle) {
  size_t n = strlen(needle);
  if (n == 0) return haystack;
  for (const char *p = haystack; *p; p++) {
    size_t i = 0;
    while (i < n && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i])) i++;
    if (i == n) return p;
  }
  return NULL;
}

bool cq_key_is_secret(const char *key) {
  static const char *const words[] = {"secret",     "password",  "passwd",        "token",
                                      "api_key",    "apikey",    "api-key",       "signature",
                                      "passphrase", "private_key", "privatekey",  "authorization",
                                      "cookie",     "credential"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (cq_strcasestr(key, words[i])) return true;
  return false;
}
