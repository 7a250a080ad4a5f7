/* Small string helpers shared across modules. */
#ifndef CQUANT_CORE_STRUTIL_H
#define CQUANT_CORE_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Optimal-string-alignment distance (Damerau–Levenshtein with adjacent transpositions):
 * the number of insertions, deletions, substitutions and swaps of neighbours that turn a
 * into b. Strings longer than 256 bytes are compared on their first 256 bytes. */
size_t cq_edit_distance(const char *a, const char *b);

/* The entry of names[0..n) (lower case) closest to s, lower-cased, within max_distance, or
 * NULL. */
const char *cq_closest(const char *s, const char *const *names, size_t n, size_t max_distance);

/* Copies src into dst[cap], cutting when needed; always NUL-terminates when cap > 0.
 * Returns strlen(src). */
size_t cq_strlcpy(char *dst, const char *src, size_t cap);

/* First occurrence of needle in haystack, ignoring ASCII case; NULL when absent. */
const char *cq_strcasestr(const char *haystack, const char *needle);

/* True for names that hold secrets and must never be shown: they contain secret, password,
 * passwd, token, api_key, apikey, api-key, signature, passphrase, private_key, privatekey,
 * authorization, cookie or credential (any case). */
bool cq_key_is_secret(const char *key);

#ifdef __cplusplus
}
#endif
#endif
