/*
 * One run as issue 13 defines the spawn floor: posix_spawn the script with one mode flag, its
 * stdout on a pipe, stdin from /dev/null, in a process group of its own, every other descriptor
 * closed (closefrom, done in the child); read its stdout to EOF; waitpid. Shared by floor.c and
 * handoff_floor.c, which differ only in which thread runs it.
 */
#ifndef FLOOR_RUN_H
#define FLOOR_RUN_H

/* posix_spawn_file_actions_addclosefrom_np (glibc >= 2.34) is a GNU extension. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Runs `script -d` once; returns the bytes it printed, or -1 if it could not be started. */
static long floor_run(char *script) {
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
  long bytes = 0;
  ssize_t r;
  while ((r = read(fds[0], buf, sizeof buf)) > 0)
    bytes += r;
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  return bytes;
}

#endif
