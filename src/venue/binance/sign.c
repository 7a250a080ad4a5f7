/* Request signing: hex HMAC-SHA256 of the query string, keyed with the API secret. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "binance.h"

int cq_bn_sign(const char *secret, const char *msg, size_t len, char hex[65], cq_error *err) {
  if (!secret || (!msg && len) || !hex)
    return cq_error_set(err, CQ_EINVAL, "binance: sign: secret, message or output is NULL");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int maclen = 0;
  size_t klen = strlen(secret);
  if (klen > 4096) return cq_error_set(err, CQ_EINVAL, "binance: sign: secret over 4096 bytes");
  if (!HMAC(EVP_sha256(), secret, (int)klen, (const unsigned char *)(msg ? msg : ""), len, mac,
            &maclen) ||
      maclen != 32)
    return cq_error_set(err, CQ_EINTERNAL, "binance: sign: HMAC-SHA256 failed");
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < 32; i++) {
    hex[2 * i] = digits[mac[i] >> 4];
    hex[2 * i + 1] = digits[mac[i] & 15];
  }
  hex[64] = '\0';
  return 0;
}

bool cq_bn_ct_equal(const char *a, const char *b) {
  if (!a || !b) return false;
  size_t la = strlen(a), lb = strlen(b);
  /* The length of a signature is public (64); only the content must not leak. */
  unsigned char diff = (unsigned char)(la != lb);
  size_t n = la < lb ? la : lb;
  for (size_t i = 0; i < n; i++) diff |= (unsigned char)(a[i] ^ b[i]);
  return diff == 0;
}
