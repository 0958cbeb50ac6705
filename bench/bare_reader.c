/*
 * The W3 floor: the least a host can do to get the records. Spawns `cat FILE` with its stdout
 * on a pipe, reads it to EOF into one buffer, waits for it, then parses every
 * `M<id> "<id>:<value>,..." <value>` line in place (NUL-terminating each field), as a bare
 * reader that knows the format would. Prints bytes, lines and MB/s.
 *
 *   bare_reader FILE
 */
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  double start = now_s();
  int fds[2];
  if (pipe(fds) != 0)
    return 1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  posix_spawn_file_actions_addclose(&fa, fds[1]);
  char *args[] = {"cat", argv[1], NULL};
  pid_t pid;
  if (posix_spawnp(&pid, "cat", &fa, NULL, args, environ) != 0)
    return 1;
  close(fds[1]);
  size_t cap = 1 << 20, len = 0;
  char *buf = malloc(cap);
  ssize_t r;
  for (;;) {
    if (cap - len < 65536) {
      cap *= 2;
      buf = realloc(buf, cap);
    }
    r = read(fds[0], buf + len, cap - len);
    if (r <= 0)
      break;
    len += (size_t)r;
  }
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  uint64_t lines = 0, dims = 0, seen = 0;
  double sum = 0;
  char *p = buf, *end = buf + len;
  while (p < end) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
      nl = end;
    *nl = '\0';
    if (*p == 'M') {
      char *q = p + 1;
      strtol(q, &q, 10);
      while (*q == ' ')
        q++;
      if (*q == '"') {
        char *close = strrchr(q + 1, '"');
        if (close) {
          *close = '\0';
          for (char *d = q + 1; d && *d;) {
            char *comma = strchr(d, ',');
            if (comma)
              *comma = '\0';
            char *colon = strchr(d, ':');
            if (colon) {
              *colon = '\0';
              seen += strlen(colon + 1);
              dims++;
            }
            d = comma ? comma + 1 : NULL;
          }
          q = close + 1;
        }
      }
      sum += strtod(q, NULL);
      lines++;
    }
    p = nl + 1;
  }
  double wall = now_s() - start;
  printf("{\"bytes\": %zu, \"lines\": %llu, \"wall_s\": %.6f, \"mb_per_s\": %.3f, \"sum\": %.1f, \"dims\": %llu, \"seen\": %llu}\n",
         len, (unsigned long long)lines, wall, len / 1e6 / wall, sum, (unsigned long long)dims,
         (unsigned long long)seen);
  free(buf);
  return 0;
}
