/* Request weights of the Binance spot REST endpoints (from the API documentation's
 * "Weight" of each endpoint; checked against exchangeInfo's REQUEST_WEIGHT of 6000 a
 * minute). A weight that depends on a parameter is computed here. */
#include <string.h>

#include "binance.h"

typedef struct bn_route {
  const char *method, *path;
  int weight;     /* with one symbol (or none needed) */
  int weight_all; /* without a symbol; 0: same as weight */
  int orders;     /* counts against the ORDERS windows */
} bn_route;

static const bn_route routes[] = {
    {"GET", "/api/v3/ping", 1, 0, 0},
    {"GET", "/api/v3/time", 1, 0, 0},
    {"GET", "/api/v3/exchangeInfo", 20, 0, 0},
    {"GET", "/api/v3/trades", 25, 0, 0},
    {"GET", "/api/v3/historicalTrades", 25, 0, 0},
    {"GET", "/api/v3/aggTrades", 2, 0, 0},
    {"GET", "/api/v3/klines", 2, 0, 0},
    {"GET", "/api/v3/uiKlines", 2, 0, 0},
    {"GET", "/api/v3/avgPrice", 2, 0, 0},
    {"GET", "/api/v3/ticker/24hr", 2, 80, 0},
    {"GET", "/api/v3/ticker/price", 2, 4, 0},
    {"GET", "/api/v3/ticker/bookTicker", 2, 4, 0},
    {"POST", "/api/v3/order", 1, 0, 1},
    {"POST", "/api/v3/order/test", 1, 0, 0},
    {"GET", "/api/v3/order", 4, 0, 0},
    {"DELETE", "/api/v3/order", 1, 0, 0},
    {"POST", "/api/v3/order/cancelReplace", 1, 0, 1},
    {"GET", "/api/v3/openOrders", 6, 80, 0},
    {"DELETE", "/api/v3/openOrders", 1, 0, 0},
    {"GET", "/api/v3/allOrders", 20, 0, 0},
    {"GET", "/api/v3/account", 20, 0, 0},
    {"GET", "/api/v3/myTrades", 20, 0, 0},
    {"GET", "/api/v3/rateLimit/order", 40, 0, 0},
    {"POST", "/api/v3/userDataStream", 2, 0, 0},
    {"PUT", "/api/v3/userDataStream", 2, 0, 0},
    {"DELETE", "/api/v3/userDataStream", 2, 0, 0},
};

static int depth_weight(int limit) {
  if (limit <= 0) limit = 100; /* Binance's default */
  if (limit <= 100) return 5;
  if (limit <= 500) return 25;
  if (limit <= 1000) return 50;
  return 250;
}

bool cq_bn_endpoint_weight(const char *method, const char *path, int limit, bool has_symbol,
                           int *weight, int *orders) {
  int w = 1, o = 0;
  bool known = false;
  if (method && path) {
    if (strcmp(method, "GET") == 0 && strcmp(path, "/api/v3/depth") == 0) {
      w = depth_weight(limit);
      known = true;
    } else {
      for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp(routes[i].method, method) == 0 && strcmp(routes[i].path, path) == 0) {
          w = !has_symbol && routes[i].weight_all ? routes[i].weight_all : routes[i].weight;
          o = routes[i].orders;
          known = true;
          break;
        }
    }
  }
  if (weight) *weight = w;
  if (orders) *orders = o;
  return known;
}
