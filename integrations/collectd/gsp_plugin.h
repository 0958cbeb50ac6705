/*
 * What the parts of gsp.so share: the scripts and options read from <Plugin gsp>, and the
 * functions each part offers the others. Every symbol here is hidden (-fvisibility=hidden):
 * collectd sees only module_register.
 *
 *   gsp.c          lifecycle: module_register, init, read, shutdown, the drain callback
 *   gsp_config.c   the <Plugin gsp> block: scripts, Env and gsp_options
 *   gsp_names.c    collectd names: plugin instances, snake_case stems, 127-byte parts
 *   gsp_values.c   a script's configuration and its metric records as collectd values
 *   gsp_events.c   event records as collectd notifications
 *   gsp_log.c      diagnostic records in collectd's log
 */
#ifndef GSP_COLLECTD_PLUGIN_H
#define GSP_COLLECTD_PLUGIN_H

#include "collectd.h"
#include "plugin.h"

#include <gsp.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLUGIN "gsp"
/* collectd's name buffers hold 127 bytes and a NUL. */
#define MAX_PART (DATA_MAX_NAME_LEN - 1)

typedef struct {
  int64_t id;
  const char *type; /* "gauge" or "derive" */
  char *stem;       /* the name in snake_case, uncut */
} metric_name_t;

typedef struct {
  char *command;
  char instance[DATA_MAX_NAME_LEN];
  uint64_t id;
  int64_t next_due_ms;
  uint32_t period_s; /* the configuration's, or the Period option */
  metric_name_t *metrics;
  size_t metric_count;
} script_t;

/* ---- gsp_config.c: what <Plugin gsp> set ---- */
extern script_t *scripts;
extern size_t script_count;
extern gsp_options options;
extern uint32_t period_override_s; /* Period: run every N s instead of each script's period */
extern char **env;                 /* Env "NAME=VALUE" lines, NULL-terminated */
extern char *run_as_user, *run_as_group, *working_dir, *cgroup_dir;
extern bool restore_sigchld;

int config_plugin(oconfig_item_t *ci);
/* Sets options to libgsp's defaults, once: before the first option is read, or at init. */
void options_defaults(void);
script_t *script_by_id(uint64_t id);
/* Frees what configuration and the scripts' configurations allocated. */
void config_free(void);

/* ---- gsp_names.c (keep in step with cli/src/collectd.rs) ---- */
/* Bytes of the character at s that no name part may hold (0 if it may be kept). */
size_t breaking_len(const unsigned char *s);
/* One identifier part into out[DATA_MAX_NAME_LEN], cleaned and cut to 127 bytes. */
void part(char *out, const char *text);
/* The name in snake_case, or "<fallback>_<id>" when that is empty; the caller frees it. */
char *stem(const char *name, const char *fallback, int64_t id);
/* The plugin instance a command line gets when its Script names none. */
void default_instance(char *out, const char *command);

/* ---- gsp_values.c ---- */
void configure(script_t *s, const gsp_config *c);
void free_names(metric_name_t *names, size_t count);
void dispatch_metric(script_t *s, const gsp_metric *m);
/* Values collectd could not store since the plugin was loaded. */
uint64_t values_dropped_total(void);

/* ---- gsp_events.c ---- */
void dispatch_event(script_t *s, const gsp_event *e);

/* ---- gsp_log.c ---- */
void log_diagnostic(uint64_t script_id, const gsp_diagnostic *d);

#endif
