/*
 * A minimal host agent over the gsp C API: registers the script command lines given as
 * arguments, ticks once a second with the wall clock, and prints every record as one line.
 *
 *   host [--ticks N] [--] SCRIPT...     (N = 0, the default, runs until interrupted)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gsp.h"

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *severity_name(gsp_severity s) {
  switch (s) {
  case GSP_SEVERITY_INFO: return "info";
  case GSP_SEVERITY_WARNING: return "warning";
  case GSP_SEVERITY_ERROR: return "error";
  }
  return "?";
}

struct host {
  gsp_runtime *rt;
  unsigned long records;
};

static void on_record(void *user_data, const gsp_record *r) {
  struct host *h = user_data;
  h->records++;
  switch (r->kind) {
  case GSP_RECORD_CONFIG: {
    const gsp_config *c = r->config;
    printf("CONFIG script=%" PRIu64 " period=%u maxruntime=%u metrics=%zu events=%zu\n",
           r->script_id, c->period_s, c->max_runtime_ms, c->metric_count, c->event_count);
    for (size_t i = 0; i < c->metric_count; i++) {
      const gsp_metric_def *m = &c->metrics[i];
      printf("  METRIC_DEF id=%" PRId64 " name=\"%s\" datatype=%s calctype=%u dimensions=%zu\n",
             m->id, m->name, m->datatype_name, (unsigned)m->calctype, m->dimension_count);
    }
    break;
  }
  case GSP_RECORD_METRIC: {
    const gsp_metric *m = r->metric;
    printf("METRIC script=%" PRIu64 " id=%" PRId64 " name=\"%s\" value=%.17g time_ms=%" PRId64,
           r->script_id, m->metric_id, m->name, m->value, m->time_ms);
    for (size_t i = 0; i < m->dimension_count; i++)
      printf(" %s=\"%s\"", m->dimensions[i].name, m->dimensions[i].value);
    printf("\n");
    break;
  }
  case GSP_RECORD_EVENT: {
    const gsp_event *e = r->event;
    printf("EVENT script=%" PRIu64 " id=%" PRId64 " start=%" PRId64 " end=%" PRId64
           " scope=%c message=\"%s\" attributes=%s\n",
           r->script_id, e->event_id, e->start_s, e->end_s,
           e->scope == GSP_SCOPE_APPLICATION ? 'A' : 'S', e->message, e->attributes_json);
    break;
  }
  case GSP_RECORD_DIAGNOSTIC: {
    const gsp_diagnostic *d = r->diagnostic;
    printf("DIAG script=%" PRIu64 " severity=%s kind=%u exit=%d signal=%d line=%" PRIu64
           " message=\"%s\"\n",
           r->script_id, severity_name(d->severity), (unsigned)d->kind, d->exit_code, d->signal,
           d->line, d->message);
    break;
  }
  }
  /* Re-entrancy is refused with a status, never a deadlock. */
  if (gsp_drain(h->rt, on_record, h, 0, NULL) != GSP_STATUS_BUSY) {
    fprintf(stderr, "host: nested gsp_drain was not refused\n");
    exit(3);
  }
}

static void usage(FILE *out, const char *argv0) {
  fprintf(out,
          "usage: %s [--ticks N] [--] SCRIPT...\n"
          "Runs each SCRIPT (a command line, split like shell words) with libgsp, ticking once a\n"
          "second, and prints every record as one line.\n"
          "  --ticks N   stop after N ticks (default 0: run until interrupted)\n"
          "  -h, --help  show this help\n",
          argv0);
}

int main(int argc, char **argv) {
  long ticks = 0;
  int first = 1;
  /* Options come first; "--" ends them, so a script whose name starts with '-' still runs. */
  while (first < argc && argv[first][0] == '-') {
    const char *arg = argv[first];
    if (strcmp(arg, "--") == 0) {
      first++;
      break;
    } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      usage(stdout, argv[0]);
      return 0;
    } else if (strcmp(arg, "--ticks") == 0 && first + 1 < argc) {
      char *end;
      ticks = strtol(argv[first + 1], &end, 10);
      if (*argv[first + 1] == '\0' || *end != '\0' || ticks < 0) {
        fprintf(stderr, "%s: --ticks needs a whole number >= 0, not '%s'\n", argv[0], argv[first + 1]);
        return 2;
      }
      first += 2;
    } else {
      fprintf(stderr, "%s: unknown option '%s' (see --help; use -- before a script named -...)\n",
              argv[0], arg);
      return 2;
    }
  }
  if (first >= argc) {
    usage(stderr, argv[0]);
    return 2;
  }
  printf("gsp %s\n", gsp_version());

  gsp_options opts;
  gsp_options_init(&opts, sizeof opts);
  struct host h = {NULL, 0};
  gsp_status st = gsp_runtime_new(&opts, &h.rt);
  if (st != GSP_STATUS_OK) {
    fprintf(stderr, "gsp_runtime_new: %s\n", gsp_status_str(st));
    return 1;
  }
  for (int i = first; i < argc; i++) {
    uint64_t id;
    st = gsp_script_add(h.rt, argv[i], &id);
    if (st != GSP_STATUS_OK) {
      fprintf(stderr, "gsp_script_add(%s): %s\n", argv[i], gsp_status_str(st));
      gsp_runtime_free(h.rt);
      return 1;
    }
    printf("ADDED script=%" PRIu64 " command=\"%s\"\n", id, argv[i]);
  }
  for (long t = 0; ticks == 0 || t < ticks; t++) {
    gsp_tick(h.rt, now_ms());
    /* Wait up to a second for records, then drain whatever is there. */
    int64_t until = now_ms() + 1000;
    for (int64_t left = 1000; left > 0; left = until - now_ms()) {
      size_t pending = 0;
      gsp_wait(h.rt, (uint32_t)left, &pending);
      if (pending > 0)
        gsp_drain(h.rt, on_record, &h, 0, NULL);
    }
    fflush(stdout);
  }
  gsp_stats stats;
  stats.struct_size = sizeof stats;
  if (gsp_stats_get(h.rt, &stats) == GSP_STATUS_OK)
    printf("STATS started=%" PRIu64 " succeeded=%" PRIu64 " failed=%" PRIu64 " records=%lu\n",
           stats.runs_started, stats.runs_succeeded, stats.runs_failed, h.records);
  gsp_runtime_free(h.rt);
  return 0;
}
