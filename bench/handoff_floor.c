/*
 * The spawn floor with one hand-off between threads: what any runtime that starts runs on a
 * thread of its own pays at least. The main thread asks a worker thread for each run through an
 * eventfd and blocks on another until it is done; the worker does the floor's run
 * (floor_run.h). Prints runs, wall seconds and the process's CPU seconds (both threads, children
 * excluded).
 *
 *   handoff_floor N SCRIPT
 */
#include "floor_run.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>

static int request_fd, done_fd;
static char *script;
static long runs;

static double seconds(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

static void *worker(void *arg) {
  (void)arg;
  for (long i = 0; i < runs; i++) {
    uint64_t v;
    if (read(request_fd, &v, sizeof v) != sizeof v || floor_run(script) < 0)
      exit(1);
    v = 1;
    if (write(done_fd, &v, sizeof v) != sizeof v)
      exit(1);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  runs = strtol(argv[1], NULL, 10);
  script = argv[2];
  request_fd = eventfd(0, EFD_CLOEXEC);
  done_fd = eventfd(0, EFD_CLOEXEC);
  pthread_t thread;
  if (request_fd < 0 || done_fd < 0 || pthread_create(&thread, NULL, worker, NULL) != 0)
    return 1;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < runs; i++) {
    uint64_t v = 1;
    if (write(request_fd, &v, sizeof v) != sizeof v || read(done_fd, &v, sizeof v) != sizeof v)
      return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  pthread_join(thread, NULL);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"runs\": %ld, \"wall_s\": %.6f, \"cpu_s\": %.6f}\n", runs,
         (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
         seconds(ru.ru_utime) + seconds(ru.ru_stime));
  return 0;
}
