/* The ledger with hand-worked numbers: average cost, realized and unrealized PnL, fees,
 * balances, equity and exposure, and per-strategy attribution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/portfolio.h"

static cq_dec D(const char *s) {
  cq_dec d;
  assert_int_equal(cq_dec_parse_cstr(s, &d, NULL), CQ_OK);
  return d;
}

static void assert_dec(cq_dec got, const char *want) {
  if (!cq_dec_eq(got, D(want))) {
    char s[CQ_DEC_STRMAX];
    cq_dec_format(got, s, sizeof s);
    fail_msg("got %s, want %s", s, want);
  }
}

static cq_instrument btc(void) {
  cq_instrument i;
  memset(&i, 0, sizeof i);
  strcpy(i.venue, "binance");
  strcpy(i.symbol, "BTC/USDT");
  strcpy(i.base, "BTC");
  strcpy(i.quote, "USDT");
  i.tick = CQ_DEC(1, 2);
  i.lot = CQ_DEC(1, 3);
  return i;
}

static cq_fill fill(int strategy, cq_side side, const char *price, const char *qty,
                    const char *fee) {
  cq_fill f;
  memset(&f, 0, sizeof f);
  strcpy(f.client_id, "s-1");
  f.strategy = strategy;
  f.instrument = 0;
  f.side = side;
  f.price = D(price);
  f.qty = D(qty);
  f.fee = D(fee);
  return f;
}

/* Cash 1000. Buy 2 @ 100 (fee 0.2), buy 1 @ 130 (fee 0.13): 3 held at a cost of 330, average
 * 110. Sell 1.5 @ 120 (fee 0.18): releases 330 x 1.5 / 3 = 165 of cost, realizes
 * 180 - 165 = 15; 1.5 left at a cost of 165. Cash 1000 - 200.2 - 130.13 + 179.82 = 849.49.
 * Marked at 140: unrealized 1.5 x 140 - 165 = 45, equity 849.49 + 210 = 1059.49, exposure
 * 210 / 1059.49. Fees 0.51 USDT. */
static void test_average_cost_and_pnl(void **state) {
  (void)state;
  cq_instrument ins = btc();
  cq_portfolio *pf;
  cq_error err;
  assert_int_equal(cq_portfolio_new(&ins, 1, 1, &pf, &err), CQ_OK);
  assert_int_equal(cq_portfolio_deposit(pf, "binance", "USDT", D("1000"), &err), CQ_OK);
  cq_fill f1 = fill(0, CQ_SIDE_BUY, "100", "2", "0.2"),
          f2 = fill(0, CQ_SIDE_BUY, "130", "1", "0.13"),
          f3 = fill(0, CQ_SIDE_SELL, "120", "1.5", "0.18");
  assert_int_equal(cq_portfolio_apply(pf, &f1, &err), CQ_OK);
  assert_int_equal(cq_portfolio_apply(pf, &f2, &err), CQ_OK);
  const cq_pf_position *p = cq_portfolio_position(pf, 0, 0);
  assert_dec(p->qty, "3");
  assert_dec(p->cost, "330");
  assert_float_equal(cq_pf_avg_price(p), 110.0, 1e-9);
  assert_int_equal(cq_portfolio_apply(pf, &f3, &err), CQ_OK);
  assert_dec(p->qty, "1.5");
  assert_dec(p->cost, "165");
  assert_dec(p->realized, "15");
  assert_dec(p->fees, "0.51");
  assert_dec(cq_portfolio_balance(pf, "binance", "USDT"), "849.49");
  assert_dec(cq_portfolio_balance(pf, "binance", "BTC"), "1.5");
  assert_dec(cq_portfolio_fees(pf, "USDT"), "0.51");
  cq_portfolio_mark(pf, 0, 140);
  assert_float_equal(cq_portfolio_unrealized(pf, 0, 0), 45.0, 1e-9);
  assert_float_equal(cq_portfolio_equity(pf, "USDT"), 1059.49, 1e-9);
  assert_float_equal(cq_portfolio_exposure(pf, "USDT"), 210.0 / 1059.49, 1e-12);
  /* the account is the sum of its one strategy */
  const cq_pf_position *a = cq_portfolio_position(pf, -1, 0);
  assert_dec(a->qty, "1.5");
  assert_dec(a->realized, "15");
  cq_portfolio_free(pf);
}

/* Two strategies on one account. Cash 10000. S0 buys 10 @ 102 (fee 1.02) and sells them
 * @ 110 (fee 1.1): realized 80, fees 2.12, flat. S1 buys 5 @ 104 (fee 0.52): 5 held at a
 * cost of 520. Account: cash 10000 - 1021.02 - 520.52 + 1098.9 = 9557.36; 5 held, cost 520,
 * realized 80, fees 2.64. Marked at 108: S1 unrealized 540 - 520 = 20, equity 10097.36. */
static void test_attribution(void **state) {
  (void)state;
  cq_instrument ins = btc();
  cq_portfolio *pf;
  cq_error err;
  assert_int_equal(cq_portfolio_new(&ins, 1, 2, &pf, &err), CQ_OK);
  assert_int_equal(cq_portfolio_deposit(pf, "binance", "USDT", D("10000"), &err), CQ_OK);
  cq_fill f[] = {fill(0, CQ_SIDE_BUY, "102", "10", "1.02"),
                 fill(1, CQ_SIDE_BUY, "104", "5", "0.52"),
                 fill(0, CQ_SIDE_SELL, "110", "10", "1.1")};
  for (int i = 0; i < 3; i++) assert_int_equal(cq_portfolio_apply(pf, &f[i], &err), CQ_OK);
  const cq_pf_position *s0 = cq_portfolio_position(pf, 0, 0), *s1 = cq_portfolio_position(pf, 1, 0),
                       *acc = cq_portfolio_position(pf, -1, 0);
  assert_dec(s0->qty, "0");
  assert_dec(s0->cost, "0");
  assert_dec(s0->realized, "80");
  assert_dec(s0->fees, "2.12");
  assert_dec(s1->qty, "5");
  assert_dec(s1->cost, "520");
  assert_dec(s1->realized, "0");
  assert_dec(s1->fees, "0.52");
  assert_dec(acc->qty, "5");
  assert_dec(acc->cost, "520");
  assert_dec(acc->realized, "80");
  assert_dec(acc->fees, "2.64");
  assert_dec(cq_portfolio_balance(pf, "binance", "USDT"), "9557.36");
  cq_portfolio_mark(pf, 0, 108);
  assert_float_equal(cq_portfolio_unrealized(pf, 1, 0), 20.0, 1e-9);
  assert_float_equal(cq_portfolio_unrealized(pf, 0, 0), 0.0, 1e-9);
  assert_float_equal(cq_portfolio_equity(pf, "USDT"), 10097.36, 1e-9);
  cq_portfolio_free(pf);
}

/* A strategy cannot sell what another holds, nor spend cash the account lacks; a refused
 * fill changes nothing. */
static void test_refused_fill_changes_nothing(void **state) {
  (void)state;
  cq_instrument ins = btc();
  cq_portfolio *pf;
  cq_error err;
  assert_int_equal(cq_portfolio_new(&ins, 1, 2, &pf, &err), CQ_OK);
  assert_int_equal(cq_portfolio_deposit(pf, "binance", "USDT", D("100"), &err), CQ_OK);
  cq_fill buy = fill(0, CQ_SIDE_BUY, "50", "1", "0.05");
  assert_int_equal(cq_portfolio_apply(pf, &buy, &err), CQ_OK);
  cq_fill sell_other = fill(1, CQ_SIDE_SELL, "50", "1", "0.05");
  assert_int_equal(cq_portfolio_apply(pf, &sell_other, &err), CQ_EINVAL);
  assert_non_null(strstr(err.msg, "strategy 1"));
  cq_fill too_big = fill(0, CQ_SIDE_BUY, "50", "1", "0.05"); /* 50.05 > 49.95 left */
  assert_int_equal(cq_portfolio_apply(pf, &too_big, &err), CQ_EINVAL);
  assert_dec(cq_portfolio_balance(pf, "binance", "USDT"), "49.95");
  assert_dec(cq_portfolio_position(pf, 0, 0)->qty, "1");
  assert_dec(cq_portfolio_position(pf, -1, 0)->qty, "1");
  assert_dec(cq_portfolio_position(pf, 1, 0)->qty, "0");
  cq_portfolio_free(pf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_average_cost_and_pnl),
      cmocka_unit_test(test_attribution),
      cmocka_unit_test(test_refused_fill_changes_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
