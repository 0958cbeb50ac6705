/*
 * C API test: argument checks, statuses, options versions, a real script end to end, re-entrant
 * drain refused, free deferred from inside a callback. Run under AddressSanitizer by the tests.
 *
 *   api_test SCRIPTS_DIR      (the repository's tests/scripts)
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gsp.h"

static int failures = 0;
#define CHECK(cond)                                                                      \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);           \
      failures++;                                                                        \
    }                                                                                    \
  } while (0)

struct seen {
  gsp_runtime *rt;
  int configs, metrics, diagnostics, nested_busy, free_in_callback, freed;
  double value;
  char dim_name[64], dim_value[64];
};

static void on_record(void *user_data, const gsp_record *r) {
  struct seen *s = user_data;
  if (gsp_drain(s->rt, on_record, s, 0, NULL) == GSP_STATUS_BUSY)
    s->nested_busy++;
  switch (r->kind) {
  case GSP_RECORD_CONFIG:
    s->configs++;
    CHECK(r->config != NULL && r->metric == NULL);
    CHECK(r->config->metric_count == 1);
    CHECK(strcmp(r->config->metrics[0].name, "From env") == 0);
    CHECK(r->config->metrics[0].datatype == GSP_DATATYPE_DOUBLE);
    CHECK(r->config->metrics[0].dimension_count == 1);
    CHECK(r->config->period_s == 60 && r->config->max_runtime_ms == 5000);
    CHECK(strstr(r->config->json, "\"From env\"") != NULL);
    break;
  case GSP_RECORD_METRIC:
    s->metrics++;
    CHECK(r->metric != NULL && r->config == NULL);
    s->value = r->metric->value;
    CHECK(r->metric->dimension_count == 1);
    if (r->metric->dimension_count == 1) {
      snprintf(s->dim_name, sizeof s->dim_name, "%s", r->metric->dimensions[0].name);
      snprintf(s->dim_value, sizeof s->dim_value, "%s", r->metric->dimensions[0].value);
    }
    break;
  case GSP_RECORD_DIAGNOSTIC:
    s->diagnostics++;
    fprintf(stderr, "diagnostic: %s\n", r->diagnostic->message);
    break;
  default:
    break;
  }
  if (s->free_in_callback) {
    gsp_runtime_free(s->rt); /* deferred until gsp_drain returns */
    s->free_in_callback = 0;
    s->freed = 1;
  }
}

struct waiter_arg {
  gsp_runtime *rt;
  double *waited;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *waiter(void *arg) {
  struct waiter_arg *wa = arg;
  double t0 = now_s();
  gsp_wait(wa->rt, 20000, NULL);
  *wa->waited = now_s() - t0;
  return NULL;
}

static void drain_until(struct seen *s, int metrics, int64_t *now) {
  for (int i = 0; i < 200 && s->metrics < metrics; i++) {
    gsp_tick(s->rt, *now);
    *now += 1000;
    gsp_wait(s->rt, 100, NULL);
    gsp_drain(s->rt, on_record, s, 0, NULL);
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    printf("usage: %s SCRIPTS_DIR\n"
           "Runs the C API test (argument checks, statuses, a real script end to end);\n"
           "SCRIPTS_DIR is the repository's tests/scripts. Exit status 0 when it passes.\n",
           argv[0]);
    return 0;
  }
  if (argc != 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: %s SCRIPTS_DIR   (see --help)\n", argv[0]);
    return 2;
  }
  char script[4096];
  snprintf(script, sizeof script, "'%s/env_metric.sh'", argv[1]);

  /* Version and statuses. */
  CHECK(strcmp(gsp_version(), GSP_VERSION_STRING) == 0);
  CHECK(strncmp(gsp_status_str(GSP_STATUS_BUSY), "GSP_STATUS_BUSY", 15) == 0);
  CHECK(strncmp(gsp_status_str(12345), "GSP_STATUS_UNKNOWN", 18) == 0);

  /* NULL arguments. */
  gsp_runtime *rt = NULL;
  uint64_t id = 0;
  CHECK(gsp_options_init(NULL, sizeof(gsp_options)) == GSP_STATUS_NULL_ARGUMENT);
  CHECK(gsp_runtime_new(NULL, NULL) == GSP_STATUS_NULL_ARGUMENT);
  CHECK(gsp_script_add(NULL, "x", &id) == GSP_STATUS_NULL_ARGUMENT);
  CHECK(gsp_script_remove(NULL, 1) == GSP_STATUS_NULL_ARGUMENT);
  CHECK(gsp_tick(NULL, 0) == GSP_STATUS_NULL_ARGUMENT);
  CHECK(gsp_wait(NULL, 0, NULL) == GSP_STATUS_NULL_ARGUMENT);
  CHECK(gsp_drain(NULL, on_record, NULL, 0, NULL) == GSP_STATUS_NULL_ARGUMENT);
  gsp_runtime_free(NULL);
  /* Why the last failing call on this thread failed. */
  CHECK(strstr(gsp_last_error_message(), "`rt` is NULL") != NULL);
  CHECK(gsp_runtime_new(NULL, NULL) == GSP_STATUS_NULL_ARGUMENT);
  CHECK(strstr(gsp_last_error_message(), "`out` is NULL") != NULL);

  /* Options: an older header's shorter struct is accepted, a size inside a field is not. */
  gsp_options opts;
  CHECK(gsp_options_init(&opts, sizeof opts) == GSP_STATUS_OK);
  CHECK(opts.struct_size == sizeof opts && opts.config_timeout_ms == 1000 &&
        opts.max_runtime_ms == 50000 && opts.min_period_s == 60 &&
        opts.max_stdout_bytes == 4u * 1024 * 1024);
  /* A host built against an older header: gsp writes only the bytes it was given. */
  unsigned char older[sizeof(gsp_options) + 16];
  memset(older, 0xAB, sizeof older);
  size_t older_size = offsetof(gsp_options, run_as_user);
  CHECK(gsp_options_init((gsp_options *)(void *)older, older_size) == GSP_STATUS_OK);
  CHECK(((gsp_options *)(void *)older)->struct_size == older_size);
  for (size_t i = older_size; i < sizeof older; i++)
    CHECK(older[i] == 0xAB);
  CHECK(gsp_options_init(&opts, 13) == GSP_STATUS_INVALID_ARGUMENT);
  CHECK(gsp_runtime_new((gsp_options *)(void *)older, &rt) == GSP_STATUS_OK);
  gsp_runtime_free(rt);
  rt = NULL;
  gsp_options_init(&opts, sizeof opts);
  opts.struct_size = offsetof(gsp_options, extra_env);
  CHECK(gsp_runtime_new(&opts, &rt) == GSP_STATUS_OK);
  gsp_runtime_free(rt);
  rt = NULL;
  opts.struct_size = 13;
  CHECK(gsp_runtime_new(&opts, &rt) == GSP_STATUS_INVALID_ARGUMENT && rt == NULL);
  gsp_options_init(&opts, sizeof opts);
  opts.worker_threads = 0;
  CHECK(gsp_runtime_new(&opts, &rt) == GSP_STATUS_INVALID_ARGUMENT && rt == NULL);
  CHECK(strstr(gsp_last_error_message(), "worker_threads must be between 1 and 64") != NULL);
  gsp_options_init(&opts, sizeof opts);
  opts.env_mode = 7;
  CHECK(gsp_runtime_new(&opts, &rt) == GSP_STATUS_INVALID_ARGUMENT && rt == NULL);
  CHECK(strstr(gsp_last_error_message(), "env_mode 7") != NULL);
  gsp_options_init(&opts, sizeof opts);
  opts.working_dir = "/nonexistent/gsp-dir";
  CHECK(gsp_runtime_new(&opts, &rt) == GSP_STATUS_INVALID_ARGUMENT && rt == NULL);
  gsp_options_init(&opts, sizeof opts);
  opts.run_as_user = "\xff";
  CHECK(gsp_runtime_new(&opts, &rt) == GSP_STATUS_INVALID_ARGUMENT && rt == NULL);

  /* A real script, with an extra environment variable. */
  const char *env[] = {"GSP_TEST_VALUE=42.5", NULL};
  gsp_options_init(&opts, sizeof opts);
  opts.extra_env = env;
  struct seen s;
  memset(&s, 0, sizeof s);
  CHECK(gsp_runtime_new(&opts, &s.rt) == GSP_STATUS_OK);
  CHECK(gsp_script_add(s.rt, NULL, &id) == GSP_STATUS_NULL_ARGUMENT);
  CHECK(gsp_script_add(s.rt, "x", NULL) == GSP_STATUS_NULL_ARGUMENT);
  CHECK(gsp_script_add(s.rt, "\xff\xfe", &id) == GSP_STATUS_INVALID_ARGUMENT);
  CHECK(gsp_script_add(s.rt, "'unclosed", &id) == GSP_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(gsp_last_error_message(), "cannot split command line") != NULL);
  CHECK(gsp_script_add(s.rt, "   ", &id) == GSP_STATUS_INVALID_ARGUMENT);
  CHECK(gsp_script_remove(s.rt, 999) == GSP_STATUS_NOT_FOUND);
  CHECK(gsp_script_reconfigure(s.rt, 999) == GSP_STATUS_NOT_FOUND);
  CHECK(gsp_drain(s.rt, NULL, NULL, 0, NULL) == GSP_STATUS_NULL_ARGUMENT);
  CHECK(gsp_script_add(s.rt, script, &id) == GSP_STATUS_OK && id == 1);

  int64_t now = 1700000000000;
  drain_until(&s, 1, &now);
  CHECK(s.configs == 1);
  CHECK(s.metrics == 1);
  CHECK(s.value == 42.5);
  CHECK(strcmp(s.dim_name, "source") == 0 && strcmp(s.dim_value, "env") == 0);
  CHECK(s.nested_busy == s.configs + s.metrics + s.diagnostics);

  /* run_now: the next data run is due at once, without waiting for the period. */
  uint32_t scheduled = 7;
  CHECK(gsp_script_run_now(s.rt, 999, &scheduled) == GSP_STATUS_NOT_FOUND && scheduled == 7);
  CHECK(gsp_script_run_now(s.rt, id, &scheduled) == GSP_STATUS_OK && scheduled == 1);
  now -= 1000; /* drain_until advanced the clock; stay within the period */
  drain_until(&s, 2, &now);
  CHECK(s.metrics == 2);

  gsp_stats stats;
  stats.struct_size = 0;
  CHECK(gsp_stats_get(s.rt, &stats) == GSP_STATUS_INVALID_ARGUMENT);
  stats.struct_size = sizeof stats;
  CHECK(gsp_stats_get(s.rt, &stats) == GSP_STATUS_OK);
  CHECK(stats.runs_started == 3 && stats.runs_succeeded == 3 && stats.lines_parsed == 2);
  CHECK(stats.scripts == 1);

  gsp_script_stats ss;
  ss.struct_size = sizeof ss;
  CHECK(gsp_script_stats_get(s.rt, 999, &ss) == GSP_STATUS_NOT_FOUND);
  CHECK(gsp_script_stats_get(s.rt, id, NULL) == GSP_STATUS_NULL_ARGUMENT);
  CHECK(gsp_script_stats_get(s.rt, id, &ss) == GSP_STATUS_OK);
  CHECK(ss.config_runs == 1 && ss.data_runs == 2 && ss.configured == 1 && ss.running == 0);
  CHECK(ss.last_duration_us > 0 && ss.peak_rss_kib > 0 && ss.total_duration_us >= ss.last_duration_us);

  /* gsp_wake ends a wait early. */
  {
    pthread_t t;
    double waited = -1;
    struct waiter_arg wa = {s.rt, &waited};
    pthread_create(&t, NULL, waiter, &wa);
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    CHECK(gsp_wake(s.rt) == GSP_STATUS_OK);
    pthread_join(t, NULL);
    CHECK(waited >= 0.15 && waited < 5);
  }
  CHECK(gsp_wake(NULL) == GSP_STATUS_NULL_ARGUMENT);

  /* gsp_runtime_free from inside the callback is deferred until the drain returns. */
  CHECK(gsp_script_reconfigure(s.rt, id) == GSP_STATUS_OK);
  s.free_in_callback = 1;
  int before = s.configs;
  for (int i = 0; i < 200 && !s.freed; i++) {
    gsp_tick(s.rt, now);
    gsp_wait(s.rt, 100, NULL);
    gsp_drain(s.rt, on_record, &s, 0, NULL); /* frees s.rt once a record arrives */
  }
  CHECK(s.configs == before + 1);

  if (failures) {
    fprintf(stderr, "api_test: %d failed\n", failures);
    return 1;
  }
  printf("api_test: all checks passed\n");
  return 0;
}
