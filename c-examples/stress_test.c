/*
 * Host-side misuse and concurrency through the C ABI, run under AddressSanitizer: 8 threads add,
 * remove, reconfigure, tick, drain and read stats for a few seconds while callbacks re-enter;
 * then the runtime is freed while another thread is blocked in gsp_wait. Nothing may crash,
 * deadlock or leak, and every call returns a documented status.
 *
 *   stress_test SCRIPTS_DIR [SECONDS]
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gsp.h"

static gsp_runtime *rt;
static char script[4096];
static atomic_int stop;
static atomic_long records, busy, bad_status;
static int64_t host_clock = 1700000000000;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void expect(gsp_status st, gsp_status a, gsp_status b) {
  if (st != a && st != b) {
    fprintf(stderr, "unexpected status %u (%s)\n", (unsigned)st, gsp_status_str(st));
    atomic_fetch_add(&bad_status, 1);
  }
}

static void on_record(void *user, const gsp_record *r) {
  (void)user;
  atomic_fetch_add(&records, 1);
  /* Re-entry: drain is refused, everything else works from inside the callback. */
  if (gsp_drain(rt, on_record, NULL, 0, NULL) == GSP_STATUS_BUSY)
    atomic_fetch_add(&busy, 1);
  expect(gsp_tick(rt, host_clock), GSP_STATUS_OK, GSP_STATUS_OK);
  gsp_stats st;
  st.struct_size = sizeof st;
  expect(gsp_stats_get(rt, &st), GSP_STATUS_OK, GSP_STATUS_OK);
  if (r->kind == GSP_RECORD_METRIC && r->metric->dimension_count > 0)
    (void)strlen(r->metric->dimensions[0].value); /* ASan checks the borrowed strings */
}

static void *worker(void *arg) {
  unsigned seed = (unsigned)(uintptr_t)arg;
  uint64_t mine[16];
  size_t n = 0;
  while (!atomic_load(&stop)) {
    switch (rand_r(&seed) % 7) {
    case 0:
      if (n < 16) {
        uint64_t id;
        expect(gsp_script_add(rt, script, &id), GSP_STATUS_OK, GSP_STATUS_OK);
        mine[n++] = id;
      }
      break;
    case 1:
      if (n > 0)
        expect(gsp_script_remove(rt, mine[--n]), GSP_STATUS_OK, GSP_STATUS_OK);
      expect(gsp_script_remove(rt, 1u << 30), GSP_STATUS_NOT_FOUND, GSP_STATUS_NOT_FOUND);
      break;
    case 2:
      if (n > 0)
        expect(gsp_script_reconfigure(rt, mine[rand_r(&seed) % n]), GSP_STATUS_OK, GSP_STATUS_OK);
      break;
    case 3:
      expect(gsp_tick(rt, host_clock + (int64_t)(rand_r(&seed) % 600000)), GSP_STATUS_OK,
             GSP_STATUS_OK);
      break;
    case 4:
      expect(gsp_drain(rt, on_record, NULL, (size_t)(rand_r(&seed) % 50), NULL), GSP_STATUS_OK,
             GSP_STATUS_OK);
      break;
    case 5: {
      gsp_stats st;
      st.struct_size = sizeof st;
      expect(gsp_stats_get(rt, &st), GSP_STATUS_OK, GSP_STATUS_OK);
      gsp_script_stats ss;
      ss.struct_size = sizeof ss;
      if (n > 0)
        expect(gsp_script_stats_get(rt, mine[0], &ss), GSP_STATUS_OK, GSP_STATUS_OK);
      break;
    }
    default: {
      size_t pending;
      expect(gsp_wait(rt, 5, &pending), GSP_STATUS_OK, GSP_STATUS_OK);
      /* Misuse that must be refused, never crash. */
      expect(gsp_script_add(rt, NULL, NULL), GSP_STATUS_NULL_ARGUMENT, GSP_STATUS_NULL_ARGUMENT);
      expect(gsp_script_add(rt, "\"unclosed", &(uint64_t){0}), GSP_STATUS_INVALID_ARGUMENT,
             GSP_STATUS_INVALID_ARGUMENT);
      expect(gsp_stats_get(rt, NULL), GSP_STATUS_NULL_ARGUMENT, GSP_STATUS_NULL_ARGUMENT);
      break;
    }
    }
  }
  return NULL;
}

static void *waiter(void *arg) {
  double *returned_after = arg;
  double t0 = now_s();
  size_t pending = 0;
  gsp_wait(rt, 20000, &pending); /* the runtime is freed meanwhile */
  *returned_after = now_s() - t0;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    printf("usage: %s SCRIPTS_DIR [SECONDS]\n"
           "Runs the concurrency stress test of the C ABI;\n"
           "SCRIPTS_DIR is the repository's tests/scripts. Exit status 0 when it passes.\n",
           argv[0]);
    return 0;
  }
  if (argc < 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: %s SCRIPTS_DIR [SECONDS]   (see --help)\n", argv[0]);
    return 2;
  }
  double seconds = argc > 2 ? atof(argv[2]) : 4;
  snprintf(script, sizeof script, "'%s/basic.sh'", argv[1]);
  if (gsp_runtime_new(NULL, &rt) != GSP_STATUS_OK)
    return 1;

  pthread_t threads[8];
  for (uintptr_t i = 0; i < 8; i++)
    pthread_create(&threads[i], NULL, worker, (void *)(i + 1));
  double t0 = now_s();
  while (now_s() - t0 < seconds) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    host_clock += 1000;
  }
  atomic_store(&stop, 1);
  for (int i = 0; i < 8; i++)
    pthread_join(threads[i], NULL);
  gsp_drain(rt, on_record, NULL, 0, NULL);
  gsp_runtime_free(rt);

  /* Free while another thread waits (on a runtime with nothing to deliver): the waiter must
     return promptly, without a crash. */
  if (gsp_runtime_new(NULL, &rt) != GSP_STATUS_OK)
    return 1;
  double returned_after = -1;
  pthread_t w;
  pthread_create(&w, NULL, waiter, &returned_after);
  struct timespec ts = {0, 300 * 1000 * 1000};
  nanosleep(&ts, NULL);
  double f0 = now_s();
  gsp_runtime_free(rt);
  double free_took = now_s() - f0;
  pthread_join(w, NULL);

  printf("records=%ld nested_busy=%ld bad_status=%ld free=%.2fs waiter_returned_after=%.2fs\n",
         atomic_load(&records), atomic_load(&busy), atomic_load(&bad_status), free_took,
         returned_after);
  int ok = atomic_load(&bad_status) == 0 && atomic_load(&records) > 0 &&
           atomic_load(&busy) == atomic_load(&records) && free_took < 5 && returned_after >= 0.25 &&
           returned_after < 5;
  printf("stress_test: %s\n", ok ? "all checks passed" : "FAILED");
  return ok ? 0 : 1;
}
