/*
 * What a host trusts gsp with, tested from C under AddressSanitizer:
 *   pointers   every pointer in every record kind is NULL or valid; empty arrays are NULL
 *   free       gsp_runtime_free inside a drain callback, then a nested gsp_drain: nothing is
 *              freed before the outermost drain returns
 *   escape     a script that leaves its process group and ignores SIGTERM: gsp_runtime_free
 *              still kills it and returns in bounded time
 *   reaper     a host that reaps every child (waitpid(-1) in a SIGCHLD handler and a thread):
 *              a script exiting 3 is never reported as having exited 0; the lost status is
 *              reported
 *
 *   trust_test SCRIPTS_DIR [TEST...]      (the repository's tests/scripts; default: all tests)
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gsp.h"

static int failures = 0;
#define CHECK(cond)                                                                      \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);           \
      failures++;                                                                        \
    }                                                                                    \
  } while (0)

static const char *scripts_dir;

static void script_path(char *out, size_t n, const char *name) {
  snprintf(out, n, "'%s/%s'", scripts_dir, name);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A pointer gsp hands out must be NULL or point to memory we can read; 0x8 and friends (what
 * an empty Rust vector's as_ptr() gives) are neither. */
static int plausible(const void *p) { return p == NULL || (uintptr_t)p >= 4096; }

static void check_string(const char *s) {
  CHECK(s != NULL && plausible(s));
  if (s != NULL)
    (void)strlen(s); /* ASan: the whole string is readable */
}

#define CHECK_ARRAY(ptr, count)                                                          \
  do {                                                                                   \
    CHECK(plausible(ptr));                                                               \
    CHECK(((ptr) == NULL) == ((count) == 0));                                            \
  } while (0)

struct pointers_seen {
  int configs, metrics, events, diagnostics, empty_arrays;
};

static void check_record(void *user, const gsp_record *r) {
  struct pointers_seen *seen = user;
  CHECK(plausible(r->config) && plausible(r->metric) && plausible(r->event) &&
        plausible(r->diagnostic));
  CHECK((r->config != NULL) + (r->metric != NULL) + (r->event != NULL) +
            (r->diagnostic != NULL) ==
        1);
  switch (r->kind) {
  case GSP_RECORD_CONFIG: {
    const gsp_config *c = r->config;
    CHECK(c != NULL);
    if (c == NULL)
      return;
    seen->configs++;
    check_string(c->json);
    CHECK_ARRAY(c->metrics, c->metric_count);
    CHECK_ARRAY(c->events, c->event_count);
    seen->empty_arrays += (c->metric_count == 0) + (c->event_count == 0);
    for (size_t i = 0; i < c->metric_count; i++) {
      const gsp_metric_def *m = &c->metrics[i];
      check_string(m->name);
      check_string(m->description);
      check_string(m->groups);
      check_string(m->unit);
      check_string(m->tags);
      check_string(m->datatype_name);
      CHECK_ARRAY(m->dimensions, m->dimension_count);
      seen->empty_arrays += m->dimension_count == 0;
      for (size_t j = 0; j < m->dimension_count; j++)
        check_string(m->dimensions[j].name);
    }
    for (size_t i = 0; i < c->event_count; i++) {
      const gsp_event_def *e = &c->events[i];
      check_string(e->name);
      check_string(e->description);
      CHECK_ARRAY(e->attributes, e->attribute_count);
      seen->empty_arrays += e->attribute_count == 0;
      for (size_t j = 0; j < e->attribute_count; j++) {
        check_string(e->attributes[j].name);
        check_string(e->attributes[j].type_name);
        check_string(e->attributes[j].unit);
      }
    }
    break;
  }
  case GSP_RECORD_METRIC: {
    const gsp_metric *m = r->metric;
    CHECK(m != NULL);
    if (m == NULL)
      return;
    seen->metrics++;
    check_string(m->name);
    CHECK_ARRAY(m->dimensions, m->dimension_count);
    seen->empty_arrays += m->dimension_count == 0;
    for (size_t j = 0; j < m->dimension_count; j++) {
      check_string(m->dimensions[j].name);
      check_string(m->dimensions[j].value);
    }
    break;
  }
  case GSP_RECORD_EVENT: {
    const gsp_event *e = r->event;
    CHECK(e != NULL);
    if (e == NULL)
      return;
    seen->events++;
    check_string(e->name);
    check_string(e->message);
    check_string(e->attributes_json);
    break;
  }
  case GSP_RECORD_DIAGNOSTIC:
    CHECK(r->diagnostic != NULL);
    if (r->diagnostic == NULL)
      return;
    seen->diagnostics++;
    check_string(r->diagnostic->message);
    break;
  default:
    CHECK(!"unknown record kind");
  }
}

static void test_pointers(void) {
  gsp_runtime *rt = NULL;
  CHECK(gsp_runtime_new(NULL, &rt) == GSP_STATUS_OK);
  const char *names[] = {"empty_arrays.sh", "events_only.sh", "basic.sh", "tiny.sh",
                         "exit3.sh", "bad_config.sh"};
  char path[4096];
  uint64_t id;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    script_path(path, sizeof path, names[i]);
    CHECK(gsp_script_add(rt, path, &id) == GSP_STATUS_OK);
  }
  struct pointers_seen seen = {0, 0, 0, 0, 0};
  int64_t now = 1700000000000;
  for (int i = 0; i < 400 && (seen.events < 2 || seen.configs < 5); i++) {
    gsp_tick(rt, now);
    now += 1000;
    gsp_wait(rt, 50, NULL);
    CHECK(gsp_drain(rt, check_record, &seen, 0, NULL) == GSP_STATUS_OK);
  }
  printf("pointers: %d configs, %d metrics, %d events, %d diagnostics, %d empty arrays\n",
         seen.configs, seen.metrics, seen.events, seen.diagnostics, seen.empty_arrays);
  CHECK(seen.configs >= 5 && seen.metrics > 0 && seen.events >= 2 && seen.diagnostics > 0);
  CHECK(seen.empty_arrays >= 5);
  gsp_runtime_free(rt);
}

struct free_state {
  gsp_runtime *rt;
  int records, nested_busy, freed, used_after_free_request;
};

static void free_then_drain(void *user, const gsp_record *r) {
  struct free_state *s = user;
  (void)r;
  s->records++;
  if (s->freed)
    return;
  gsp_runtime_free(s->rt); /* deferred: we are inside gsp_drain */
  s->freed = 1;
  /* The runtime must still be usable until the outer drain returns. */
  if (gsp_drain(s->rt, free_then_drain, s, 0, NULL) == GSP_STATUS_BUSY)
    s->nested_busy++;
  gsp_stats stats;
  stats.struct_size = sizeof stats;
  if (gsp_stats_get(s->rt, &stats) == GSP_STATUS_OK)
    s->used_after_free_request++;
}

static void test_free(void) {
  struct free_state s = {NULL, 0, 0, 0, 0};
  CHECK(gsp_runtime_new(NULL, &s.rt) == GSP_STATUS_OK);
  char path[4096];
  uint64_t id;
  script_path(path, sizeof path, "basic.sh");
  CHECK(gsp_script_add(s.rt, path, &id) == GSP_STATUS_OK);
  for (int i = 0; i < 400 && !s.freed; i++) {
    gsp_tick(s.rt, 1700000000000 + i * 1000);
    gsp_wait(s.rt, 50, NULL);
    gsp_drain(s.rt, free_then_drain, &s, 0, NULL); /* frees s.rt once a record arrives */
  }
  printf("free: %d records, nested drain busy %d, calls after the free request %d\n", s.records,
         s.nested_busy, s.used_after_free_request);
  CHECK(s.freed == 1 && s.nested_busy == 1 && s.used_after_free_request == 1);
}

/* Reads the pid a fixture wrote, waiting for it (bounded). */
static pid_t read_pid(const char *file) {
  for (int i = 0; i < 400; i++) {
    FILE *f = fopen(file, "r");
    if (f != NULL) {
      long pid = 0;
      int ok = fscanf(f, "%ld", &pid) == 1;
      fclose(f);
      if (ok && pid > 0)
        return (pid_t)pid;
    }
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  return 0;
}

static int process_alive(pid_t pid) {
  char path[64], state = 0;
  snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return 0;
  int c;
  while ((c = fgetc(f)) != EOF && c != ')') {
  }
  if (fscanf(f, " %c", &state) != 1)
    state = 0;
  fclose(f);
  return state != 0 && state != 'Z' && state != 'X';
}

static void test_escape(void) {
  char pidfile[] = "/tmp/gsp-trust-XXXXXX";
  int fd = mkstemp(pidfile);
  CHECK(fd >= 0);
  close(fd);
  unlink(pidfile);
  char env_entry[128];
  snprintf(env_entry, sizeof env_entry, "GSP_TEST_PIDFILE=%s", pidfile);
  const char *env[] = {env_entry, NULL};
  gsp_options opts;
  gsp_options_init(&opts, sizeof opts);
  opts.extra_env = env;
  gsp_runtime *rt = NULL;
  CHECK(gsp_runtime_new(&opts, &rt) == GSP_STATUS_OK);
  char path[4096];
  uint64_t id;
  script_path(path, sizeof path, "leave_group.py");
  CHECK(gsp_script_add(rt, path, &id) == GSP_STATUS_OK);
  struct pointers_seen seen = {0, 0, 0, 0, 0};
  for (int i = 0; i < 400 && seen.configs == 0; i++) {
    gsp_tick(rt, 1700000000000);
    gsp_wait(rt, 50, NULL);
    gsp_drain(rt, check_record, &seen, 0, NULL);
  }
  CHECK(seen.configs == 1);
  gsp_tick(rt, 1700000000000); /* the first data run */
  pid_t pid = read_pid(pidfile);
  CHECK(pid > 0 && process_alive(pid));
  double t0 = now_s();
  gsp_runtime_free(rt);
  double took = now_s() - t0;
  printf("escape: gsp_runtime_free took %.3f s with a run outside its process group\n", took);
  CHECK(took < 10);
  CHECK(pid > 0 && !process_alive(pid));
  unlink(pidfile);
}

static volatile sig_atomic_t reaping = 0, reaped_by_host = 0;

static void reap_everything(int sig) {
  (void)sig;
  int saved = errno, status;
  while (reaping && waitpid(-1, &status, WNOHANG) > 0)
    reaped_by_host++;
  errno = saved;
}
struct reaper_seen {
  int configs, metrics, lost, exit3, stderr_success;
};

static void count_reaper(void *user, const gsp_record *r) {
  struct reaper_seen *s = user;
  if (r->kind == GSP_RECORD_CONFIG) {
    s->configs++;
    reaping = 1; /* from now on the host takes every child's status */
  }
  if (r->kind == GSP_RECORD_METRIC)
    s->metrics++;
  if (r->kind != GSP_RECORD_DIAGNOSTIC)
    return;
  const gsp_diagnostic *d = r->diagnostic;
  if (d->kind == GSP_DIAG_SIGCHLD_IGNORED && strstr(d->message, "another waiter") != NULL)
    s->lost++;
  else if (d->kind == GSP_DIAG_EXIT_STATUS && d->exit_code == 3)
    s->exit3++;
  else if (d->kind == GSP_DIAG_STDERR)
    s->stderr_success++;
}

static volatile sig_atomic_t reaper_thread_on = 0;

/* A host thread blocked in waitpid(-1): woken by the kernel when any child exits, it usually
 * takes the status before gsp's I/O thread (woken through a pidfd) can. */
static void *reap_all_children(void *arg) {
  (void)arg;
  while (reaper_thread_on) {
    int status;
    if (waitpid(-1, &status, 0) > 0)
      reaped_by_host++;
    else {
      struct timespec pause = {0, 1000 * 1000};
      nanosleep(&pause, NULL);
    }
  }
  return NULL;
}

static void test_reaper(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = reap_everything;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
  gsp_runtime *rt = NULL;
  CHECK(gsp_runtime_new(NULL, &rt) == GSP_STATUS_OK);
  char path[4096];
  uint64_t id;
  script_path(path, sizeof path, "exit3.sh");
  CHECK(gsp_script_add(rt, path, &id) == GSP_STATUS_OK);
  struct reaper_seen seen = {0, 0, 0, 0, 0}, *s = &seen;
  /* The handler reaps once the configuration has arrived, so the data runs' statuses (exit 3)
   * are the ones at stake; each step makes a data run due. */
  int64_t now = 1700000000000;
  pthread_t reaper;
  int reaper_started = 0;
  for (int i = 0; i < 40 && (s->lost == 0 || i < 8); i++) {
    if (s->configs > 0 && !reaper_started) {
      reaper_thread_on = 1;
      reaper_started = pthread_create(&reaper, NULL, reap_all_children, NULL) == 0;
    }
    gsp_tick(rt, now);
    now += 3700 * 1000;
    for (int j = 0; j < 40; j++) {
      gsp_wait(rt, 50, NULL);
      gsp_drain(rt, count_reaper, s, 0, NULL);
      gsp_stats st;
      st.struct_size = sizeof st;
      gsp_stats_get(rt, &st);
      if (st.runs_in_flight == 0 && j > 0)
        break;
    }
  }
  reaping = 0;
  gsp_runtime_free(rt);
  if (reaper_started) {
    reaper_thread_on = 0;
    pthread_join(reaper, NULL);
  }
  signal(SIGCHLD, SIG_DFL);
  printf("reaper: host reaped %d children; %d configs, %d lost-status reports, %d exit-3 "
         "reports, %d metrics, %d stderr-with-success\n",
         (int)reaped_by_host, s->configs, s->lost, s->exit3, s->metrics, s->stderr_success);
  /* Each lost status is a lost status: reported (once for the script), never an "exit 0". */
  CHECK(s->configs >= 1 && reaped_by_host >= 1);
  CHECK(s->lost == 1);
  CHECK(s->stderr_success == 0);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s SCRIPTS_DIR [pointers|free|escape|reaper]...\n", argv[0]);
    return 2;
  }
  scripts_dir = argv[1];
  alarm(300); /* a hang is a failure, not a stuck test run */
  const char *all[] = {"pointers", "free", "escape", "reaper"};
  int n = argc > 2 ? argc - 2 : 4;
  for (int i = 0; i < n; i++) {
    const char *t = argc > 2 ? argv[i + 2] : all[i];
    if (strcmp(t, "pointers") == 0)
      test_pointers();
    else if (strcmp(t, "free") == 0)
      test_free();
    else if (strcmp(t, "escape") == 0)
      test_escape();
    else if (strcmp(t, "reaper") == 0)
      test_reaper();
    else {
      fprintf(stderr, "unknown test %s\n", t);
      return 2;
    }
  }
  if (failures) {
    fprintf(stderr, "trust_test: %d failed\n", failures);
    return 1;
  }
  printf("trust_test: all checks passed\n");
  return 0;
}
