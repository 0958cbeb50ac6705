/*
 * The spawn floor: the least a runner can do per run (floor_run.h), in a loop on one thread.
 * Prints runs, wall seconds and this process's own CPU seconds (children excluded).
 *
 *   floor N SCRIPT
 */
#include "floor_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double seconds(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  long n = strtol(argv[1], NULL, 10);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long bytes = 0;
  for (long i = 0; i < n; i++) {
    long b = floor_run(argv[2]);
    if (b < 0)
      return 1;
    bytes += b;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"runs\": %ld, \"wall_s\": %.6f, \"cpu_s\": %.6f, \"bytes\": %ld}\n", n,
         (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
         seconds(ru.ru_utime) + seconds(ru.ru_stime), bytes);
  return 0;
}
