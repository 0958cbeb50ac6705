/*
 * The spawn floor: the least a runner can do per run. posix_spawn the script with one mode flag,
 * its stdout on a pipe, stdin from /dev/null, in a process group of its own, every other
 * descriptor closed (closefrom); read its stdout to EOF, waitpid. Prints runs, wall seconds and
 * this process's own CPU seconds (children excluded).
 *
 *   floor N SCRIPT
 */
/* posix_spawn_file_actions_addclosefrom_np (glibc >= 2.34) is a GNU extension. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double seconds(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  long n = strtol(argv[1], NULL, 10);
  char *args[] = {argv[2], "-d", NULL};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  static char buf[65536];
  long bytes = 0;
  for (long i = 0; i < n; i++) {
    int fds[2];
    if (pipe(fds) != 0)
      return 1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    pid_t pid;
    if (posix_spawn(&pid, argv[2], &fa, &attr, args, environ) != 0)
      return 1;
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    ssize_t r;
    while ((r = read(fds[0], buf, sizeof buf)) > 0)
      bytes += r;
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"runs\": %ld, \"wall_s\": %.6f, \"cpu_s\": %.6f, \"bytes\": %ld}\n", n,
         (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
         seconds(ru.ru_utime) + seconds(ru.ru_stime), bytes);
  return 0;
}
