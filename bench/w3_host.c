/*
 * W3 through the C ABI: a C host drives one gsp data run of `SCRIPT FILE` and drains every
 * record, reading each metric's value, name and dimensions as a host would. Prints bytes, lines
 * and MB/s from the tick to the last record drained.
 *
 *   w3_host FILE SCRIPT LINES
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gsp.h"

struct tally {
  uint64_t metrics, configs, bytes_seen;
  double sum;
};

static void on_record(void *user, const gsp_record *r) {
  struct tally *t = user;
  if (r->kind == GSP_RECORD_CONFIG) {
    t->configs++;
  } else if (r->kind == GSP_RECORD_METRIC) {
    const gsp_metric *m = r->metric;
    t->metrics++;
    t->sum += m->value;
    t->bytes_seen += (uint64_t)strlen(m->name);
    for (size_t i = 0; i < m->dimension_count; i++)
      t->bytes_seen += (uint64_t)strlen(m->dimensions[i].name) + strlen(m->dimensions[i].value);
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  uint64_t lines = strtoull(argv[3], NULL, 10);
  struct stat st;
  if (stat(argv[1], &st) != 0)
    return 1;
  gsp_options o;
  gsp_options_init(&o, sizeof o);
  o.max_stdout_bytes = 256u << 20;
  o.queue_capacity = 8u << 20;
  o.max_runtime_ms = 50000;
  gsp_runtime *rt;
  if (gsp_runtime_new(&o, &rt) != GSP_STATUS_OK)
    return 1;
  char command[4096];
  snprintf(command, sizeof command, "%s %s", argv[2], argv[1]);
  uint64_t id;
  if (gsp_script_add(rt, command, &id) != GSP_STATUS_OK)
    return 1;
  struct tally t = {0};
  const int64_t t0 = 1000000;
  gsp_tick(rt, t0);
  while (t.configs == 0) {
    gsp_wait(rt, 50, NULL);
    gsp_drain(rt, on_record, &t, SIZE_MAX, NULL);
  }
  double start = now_s();
  gsp_tick(rt, t0 + 1);
  while (t.metrics < lines) {
    if (now_s() - start > 120)
      return 1;
    gsp_wait(rt, 20, NULL);
    gsp_drain(rt, on_record, &t, SIZE_MAX, NULL);
  }
  double wall = now_s() - start;
  gsp_runtime_free(rt);
  printf("{\"bytes\": %lld, \"lines\": %llu, \"wall_s\": %.6f, \"mb_per_s\": %.3f, \"sum\": %.1f, \"seen\": %llu}\n",
         (long long)st.st_size, (unsigned long long)t.metrics, wall, st.st_size / 1e6 / wall, t.sum,
         (unsigned long long)t.bytes_seen);
  return 0;
}
