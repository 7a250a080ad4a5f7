#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cquant/core/config.h"
#include "cquant/core/strutil.h"
#include "cquant/core/time.h"

static const char *const formats[] = {"text", "json", "auto", NULL};
static const cq_config_key keys[] = {
    {"log.level", CQ_CFG_STRING, "info", "log level", NULL, 0, 0},
    {"log.format", CQ_CFG_ENUM, "auto", "log format", formats, 0, 0},
    {"risk.max_order_notional", CQ_CFG_NUMBER, "1000", "largest order", NULL, 0, 0},
    {"risk.max_orders", CQ_CFG_INT, "10", "open orders", NULL, 1, 1000},
    {"risk.kill_switch", CQ_CFG_BOOL, "false", "halt all", NULL, 0, 0},
    {"venue.timeout", CQ_CFG_DURATION, "5s", "request timeout", NULL, 0, 0},
    {"venue.symbols", CQ_CFG_LIST, "BTC/USDT", "symbols", NULL, 0, 0},
    {"venue.api_key", CQ_CFG_STRING, NULL, "key", NULL, 0, 0},
};

typedef struct fx {
  cq_config *cfg;
  char dir[64];
  char path[128];
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f) return -1;
  snprintf(f->dir, sizeof f->dir, "/tmp/cq_cfg_XXXXXX");
  if (!mkdtemp(f->dir)) {
    free(f);
    return -1;
  }
  snprintf(f->path, sizeof f->path, "%s/config.yaml", f->dir);
  cq_error e;
  if (cq_config_new(&f->cfg, &e) ||
      cq_config_declare(f->cfg, keys, sizeof keys / sizeof keys[0], &e)) {
    cq_config_free(f->cfg);
    rmdir(f->dir);
    free(f);
    return -1;
  }
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  cq_config_free(f->cfg);
  unlink(f->path);
  rmdir(f->dir);
  free(f);
  return 0;
}

static void write_file(fx *f, const char *text) {
  FILE *fp = fopen(f->path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

static const char *formatted(const cq_error *e) {
  static _Thread_local char buf[1024];
  cq_error_format(e, buf, sizeof buf);
  return buf;
}

static void test_defaults_and_getters(void **state) {
  fx *f = *state;
  const char *s;
  double d;
  int64_t i;
  bool b;
  assert_int_equal(cq_config_get_str(f->cfg, "log.level", &s), 0);
  assert_string_equal(s, "info");
  assert_int_equal(cq_config_get_str(f->cfg, "log.format", &s), 0); /* enums read as strings */
  assert_string_equal(s, "auto");
  assert_int_equal(cq_config_get_double(f->cfg, "risk.max_order_notional", &d), 0);
  assert_true(d == 1000);
  assert_int_equal(cq_config_get_int(f->cfg, "risk.max_orders", &i), 0);
  assert_int_equal(i, 10);
  assert_int_equal(cq_config_get_bool(f->cfg, "risk.kill_switch", &b), 0);
  assert_false(b);
  assert_int_equal(cq_config_get_duration(f->cfg, "venue.timeout", &i), 0);
  assert_int_equal(i, 5 * CQ_NS_PER_SEC);
  assert_int_equal(cq_config_get_str(f->cfg, "venue.api_key", &s), CQ_ENOTFOUND); /* unset */
  assert_int_equal(cq_config_get_str(f->cfg, "nope", &s), CQ_ENOTFOUND);
  assert_int_equal(cq_config_get_int(f->cfg, "log.level", &i), CQ_ETYPE);
  const char *where;
  assert_int_equal(cq_config_origin_of(f->cfg, "log.level", &where), CQ_ORIGIN_DEFAULT);
  assert_string_equal(where, "default");
  cq_error e;
  assert_int_equal(cq_config_declare(f->cfg, keys, 1, &e), CQ_EEXIST);
}

static void test_file_values_and_origins(void **state) {
  fx *f = *state;
  write_file(f,
             "# a comment\n"
             "log:\n"
             "  level: debug\n"
             "risk:\n"
             "  max_order_notional: 2500.5\n"
             "  kill_switch: yes\n"
             "venue:\n"
             "  timeout: 1m30s\n"
             "  symbols:\n"
             "    - BTC/USDT\n"
             "    - ETH/USDT\n");
  cq_error e;
  int rc = cq_config_load_file(f->cfg, f->path, &e);
  if (rc) fail_msg("%s", formatted(&e));
  const char *s, *where;
  double d;
  bool b;
  int64_t ns;
  assert_int_equal(cq_config_get_str(f->cfg, "log.level", &s), 0);
  assert_string_equal(s, "debug");
  assert_int_equal(cq_config_get_double(f->cfg, "risk.max_order_notional", &d), 0);
  assert_true(d == 2500.5);
  assert_int_equal(cq_config_get_bool(f->cfg, "risk.kill_switch", &b), 0);
  assert_true(b);
  assert_int_equal(cq_config_get_duration(f->cfg, "venue.timeout", &ns), 0);
  assert_int_equal(ns, 90 * CQ_NS_PER_SEC);
  const char *const *items;
  size_t n;
  assert_int_equal(cq_config_get_list(f->cfg, "venue.symbols", &items, &n), 0);
  assert_int_equal(n, 2);
  assert_string_equal(items[1], "ETH/USDT");
  assert_int_equal(cq_config_origin_of(f->cfg, "log.level", &where), CQ_ORIGIN_FILE);
  char want[256];
  snprintf(want, sizeof want, "%s:3:10", f->path);
  assert_string_equal(where, want);

  /* environment beats the file, flags beat the environment */
  char *env[] = {"PATH=/bin", "CQUANT_LOG_LEVEL=warn", "CQUANT_VENUE_SYMBOLS=SOL/USDT, XRP/USDT",
                 "CQUANT_UNRELATED=1", NULL};
  assert_int_equal(cq_config_load_env(f->cfg, env, false, &e), 0);
  assert_int_equal(cq_config_get_str(f->cfg, "log.level", &s), 0);
  assert_string_equal(s, "warn");
  assert_int_equal(cq_config_origin_of(f->cfg, "log.level", &where), CQ_ORIGIN_ENV);
  assert_string_equal(where, "CQUANT_LOG_LEVEL");
  assert_int_equal(cq_config_get_list(f->cfg, "venue.symbols", &items, &n), 0);
  assert_int_equal(n, 2);
  assert_string_equal(items[0], "SOL/USDT");
  assert_int_equal(cq_config_load_env(f->cfg, env, true, &e), CQ_ECONFIG);
  assert_non_null(strstr(e.msg, "CQUANT_UNRELATED"));
  assert_int_equal(cq_config_set(f->cfg, "log.level", "error", "--log-level", &e), 0);
  assert_int_equal(cq_config_get_str(f->cfg, "log.level", &s), 0);
  assert_string_equal(s, "error");
  assert_int_equal(cq_config_origin_of(f->cfg, "log.level", &where), CQ_ORIGIN_FLAG);
  assert_string_equal(where, "--log-level");

  /* dump: every key with its origin; secrets hidden */
  assert_int_equal(cq_config_set(f->cfg, "venue.api_key", "sk-live-123456", "--set", &e), 0);
  char *text = NULL;
  size_t len = 0;
  FILE *mf = open_memstream(&text, &len);
  cq_config_dump(f->cfg, mf, true);
  fclose(mf);
  assert_non_null(strstr(text, "\"log.level\":{\"value\":\"error\",\"origin\":\"--log-level\"}"));
  assert_non_null(strstr(text, "\"venue.api_key\":{\"value\":\"***\""));
  assert_null(strstr(text, "sk-live"));
  free(text);
}

static void test_wrong_type_names_key_and_place(void **state) {
  fx *f = *state;
  write_file(f,
             "log:\n"
             "  level: info\n"
             "risk:\n"
             "  max_orders: 5\n"
             "  max_order_notional: ten\n");
  cq_error e;
  assert_int_equal(cq_config_load_file(f->cfg, f->path, &e), CQ_ETYPE);
  char want[256];
  snprintf(want, sizeof want, "%s:5:23: risk.max_order_notional: expected a number, got \"ten\"",
           f->path);
  assert_string_equal(formatted(&e), want);
  /* all or nothing: max_orders from the same file was not applied */
  int64_t i;
  assert_int_equal(cq_config_get_int(f->cfg, "risk.max_orders", &i), 0);
  assert_int_equal(i, 10);

  write_file(f, "risk:\n  max_orders: 5000\n");
  assert_int_equal(cq_config_load_file(f->cfg, f->path, &e), CQ_EOVERFLOW);
  assert_non_null(strstr(formatted(&e), ":2:15: risk.max_orders: 5000 is outside 1..1000"));
  write_file(f, "log:\n  format: xml\n");
  assert_int_equal(cq_config_load_file(f->cfg, f->path, &e), CQ_ETYPE);
  assert_non_null(strstr(formatted(&e), "log.format: expected one of text, json, auto, got \"xml\""));
  write_file(f, "risk:\n  kill_switch: [a, b]\n");
  assert_int_equal(cq_config_load_file(f->cfg, f->path, &e), CQ_ETYPE);
  assert_non_null(strstr(formatted(&e), ":2:16: risk.kill_switch: expected true or false, got a list"));
  write_file(f, "log: debug\n");
  assert_int_equal(cq_config_load_file(f->cfg, f->path, &e), CQ_ECONFIG);
  assert_non_null(strstr(formatted(&e), ":1:1: log: unknown key"));
  write_file(f, "venue:\n  timeout: soon\n");
  assert_int_equal(cq_config_load_file(f->cfg, f->path, &e), CQ_ETYPE);
  assert_non_null(strstr(formatted(&e), "venue.timeout: expected a duration"));
  write_file(f, "risk:\n  max_order_notional:\n");
  assert_int_equal(cq_config_load_file(f->cfg, f->path, &e), CQ_ETYPE);
  assert_non_null(strstr(formatted(&e), "got nothing"));
}

static void test_unknown_key_suggests(void **state) {
  fx *f = *state;
  write_file(f, "risk:\n  max_ordr_notional: 5\n");
  cq_error e;
  assert_int_equal(cq_config_load_file(f->cfg, f->path, &e), CQ_ECONFIG);
  char want[256];
  snprintf(want, sizeof want,
           "%s:2:3: risk.max_ordr_notional: unknown key; did you mean risk.max_order_notional?",
           f->path);
  assert_string_equal(formatted(&e), want);
  assert_int_equal(cq_config_set(f->cfg, "log.levle", "x", "--set", &e), CQ_ECONFIG);
  assert_non_null(strstr(formatted(&e), "log.levle: unknown key; did you mean log.level?"));
  assert_int_equal(cq_config_set(f->cfg, "risk.max_orders", "many", "--set", &e), CQ_ETYPE);
  assert_string_equal(formatted(&e), "risk.max_orders: --set: expected a whole number, got \"many\"");
}

static void test_malformed_yaml_has_position(void **state) {
  fx *f = *state;
  write_file(f, "log:\n  level: info\n  format: \"json\nrisk:\n  max_orders: 3\n");
  cq_error e;
  assert_int_equal(cq_config_load_file(f->cfg, f->path, &e), CQ_EPARSE);
  const char *msg = formatted(&e);
  char prefix[200];
  snprintf(prefix, sizeof prefix, "%s:", f->path);
  assert_true(!strncmp(msg, prefix, strlen(prefix)));
  assert_true(e.line >= 3 && e.line <= 5);
  assert_true(e.column >= 1);
  assert_non_null(strstr(msg, "malformed YAML"));

  write_file(f, "log:\n\tlevel: info\n");
  assert_int_equal(cq_config_load_file(f->cfg, f->path, &e), CQ_EPARSE);
  assert_int_equal(e.line, 2);

  write_file(f, "- a\n- b\n");
  assert_int_equal(cq_config_load_file(f->cfg, f->path, &e), CQ_EPARSE);
  assert_non_null(strstr(e.msg, "expected a mapping"));

  write_file(f, "");
  assert_int_equal(cq_config_load_file(f->cfg, f->path, &e), 0); /* empty: nothing set */

  assert_int_equal(cq_config_load_file(f->cfg, "/nonexistent/cquant.yaml", &e), CQ_EIO);
  assert_non_null(strstr(e.msg, "/nonexistent/cquant.yaml"));
  const char *s;
  assert_int_equal(cq_config_get_str(f->cfg, "log.level", &s), 0);
  assert_string_equal(s, "info");
}

static void test_edit_distance(void **state) {
  (void)state;
  assert_int_equal(cq_edit_distance("", ""), 0);
  assert_int_equal(cq_edit_distance("abc", ""), 3);
  assert_int_equal(cq_edit_distance("", "abc"), 3);
  assert_int_equal(cq_edit_distance("version", "version"), 0);
  assert_int_equal(cq_edit_distance("verison", "version"), 1); /* one swap */
  assert_int_equal(cq_edit_distance("kitten", "sitting"), 3);
  assert_int_equal(cq_edit_distance("ca", "abc"), 3);          /* OSA, not unrestricted */
  assert_int_equal(cq_edit_distance("data", "date"), 1);
  const char *names[] = {"version", "config", "data", "help"};
  assert_string_equal(cq_closest("confg", names, 4, 2), "config");
  assert_null(cq_closest("frobnicate", names, 4, 3));
  char buf[4];
  assert_int_equal(cq_strlcpy(buf, "abcdef", sizeof buf), 6);
  assert_string_equal(buf, "abc");
  assert_true(cq_key_is_secret("venue.API_KEY"));
  assert_true(cq_key_is_secret("X-MBX-SIGNATURE"));
  assert_false(cq_key_is_secret("symbol"));
  assert_string_equal(cq_strcasestr("Hello World", "WORLD"), "World");
  assert_null(cq_strcasestr("Hello", "xyz"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_defaults_and_getters, setup, teardown),
      cmocka_unit_test_setup_teardown(test_file_values_and_origins, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_type_names_key_and_place, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_key_suggests, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_yaml_has_position, setup, teardown),
      cmocka_unit_test(test_edit_distance),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
