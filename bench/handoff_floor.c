/*
 * The spawn floor with one hand-off between threads: what any runtime that starts runs on a
 * thread of its own pays at least. The main thread asks a worker thread for each run through an
 * eventfd and blocks on another until it is done; the worker does what floor.c does (posix_spawn
 * with stdout on a pipe, stdin from /dev/null, its own process group, closefrom; read to EOF;
 * waitpid). Prints runs, wall seconds and the process's CPU seconds (both threads, children
 * excluded).
 *
 *   handoff_floor N SCRIPT
 */
/* posix_spawn_file_actions_addclosefrom_np (glibc >= 2.34) is a GNU extension. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int request_fd, done_fd;
static char *script;
static long runs;

static double seconds(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

static int one_run(void) {
  static char buf[65536];
  char *args[] = {script, "-d", NULL};
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid;
  int failed = posix_spawn(&pid, script, &fa, &attr, args, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (failed) {
    close(fds[0]);
    return -1;
  }
  while (read(fds[0], buf, sizeof buf) > 0) {
  }
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  return 0;
}

static void *worker(void *arg) {
  (void)arg;
  for (long i = 0; i < runs; i++) {
    uint64_t v;
    if (read(request_fd, &v, sizeof v) != sizeof v || one_run() != 0)
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
