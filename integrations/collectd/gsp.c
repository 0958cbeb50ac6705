/*
 * gsp.so: a collectd plugin that runs generic scripts with libgsp.
 *
 *   <Plugin gsp>
 *     Script "/opt/gsp/disk.sh"
 *     Script "python3 /opt/gsp/netdev.py" "netdev"    # optional second value: plugin instance
 *   </Plugin>
 *
 * init creates the runtime and registers the scripts; each read ticks it with collectd's clock
 * and dispatches what finished runs produced: metric values (types gauge/derive), events as
 * notifications, diagnostics to collectd's log. shutdown frees the runtime, which kills and
 * reaps any script still running. The naming rule is the one of `gsp run --format collectd`
 * (cli/src/collectd.rs); README.md describes it.
 *
 * This file is the lifecycle; gsp_plugin.h lists the other parts.
 */
#include "gsp_plugin.h"

#include "utils/common/common.h"

#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

static gsp_runtime *runtime;

/* gsp_drain's callback: each record to the part that maps it. */
static void on_record(void *user_data, const gsp_record *r) {
  (void)user_data;
  if (r->kind == GSP_RECORD_DIAGNOSTIC) {
    log_diagnostic(r->script_id, r->diagnostic);
    return;
  }
  script_t *s = script_by_id(r->script_id);
  if (s == NULL)
    return;
  if (r->kind == GSP_RECORD_CONFIG)
    configure(s, r->config);
  else if (r->kind == GSP_RECORD_METRIC)
    dispatch_metric(s, r->metric);
  else if (r->kind == GSP_RECORD_EVENT)
    dispatch_event(s, r->event);
}

/* ---- callbacks ---------------------------------------------------------------------------- */

static int init_plugin(void) {
  if (runtime != NULL)
    return 0;
  if (script_count == 0) {
    ERROR(PLUGIN " plugin: no Script in <Plugin gsp>; add Script \"/path/to/script\" lines");
    return -1;
  }
  options_defaults();
  /* collectd sets SIGCHLD to SIG_IGN, so the kernel discards every child's exit status and gsp
   * could not tell a failed run from a good one. The default disposition changes nothing else
   * for collectd: its exec plugin waits for its children by pid. */
  struct sigaction sa;
  if (restore_sigchld && sigaction(SIGCHLD, NULL, &sa) == 0 &&
      (sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDWAIT))) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    if (sigaction(SIGCHLD, &dfl, NULL) == 0)
      INFO(PLUGIN " plugin: collectd ignores SIGCHLD, which discards scripts' exit statuses; "
                  "restored its default disposition (RestoreSIGCHLD false keeps collectd's)");
  }
  options.extra_env = (const char *const *)env;
  options.run_as_user = run_as_user;
  options.run_as_group = run_as_group;
  options.working_dir = working_dir;
  options.cgroup_dir = cgroup_dir;
  gsp_status st = gsp_runtime_new(&options, &runtime);
  if (st != GSP_STATUS_OK) {
    ERROR(PLUGIN " plugin: cannot create the gsp runtime: %s (check the options in <Plugin gsp>)",
          gsp_status_str(st));
    return -1;
  }
  for (size_t i = 0; i < script_count; i++) {
    st = gsp_script_add(runtime, scripts[i].command, &scripts[i].id);
    if (st != GSP_STATUS_OK) {
      ERROR(PLUGIN " plugin: Script \"%s\": %s (quote words with spaces inside the command line)",
            scripts[i].command, gsp_status_str(st));
      return -1;
    }
  }
  if (period_override_s > 0 && period_override_s < 60)
    WARNING(PLUGIN " plugin: Period %" PRIu32 " is below the protocol's 60 s minimum; scripts "
                   "written for it may not expect to run that often",
            period_override_s);
  INFO(PLUGIN " plugin: libgsp %s, %zu scripts", gsp_version(), script_count);
  return 0;
}

static int read_plugin(user_data_t *ud) {
  (void)ud;
  if (runtime == NULL)
    return -1;
  int64_t now_ms = (int64_t)CDTIME_T_TO_MS(cdtime());
  if (period_override_s > 0) {
    for (size_t i = 0; i < script_count; i++) {
      script_t *s = &scripts[i];
      uint32_t scheduled = 0;
      if (now_ms >= s->next_due_ms &&
          gsp_script_run_now(runtime, s->id, &scheduled) == GSP_STATUS_OK && scheduled)
        s->next_due_ms = now_ms + (int64_t)period_override_s * 1000;
    }
  }
  gsp_tick(runtime, now_ms);
  gsp_status st = gsp_drain(runtime, on_record, NULL, 0, NULL);
  if (st != GSP_STATUS_OK) {
    ERROR(PLUGIN " plugin: draining records failed: %s", gsp_status_str(st));
    return -1;
  }
  return 0;
}

static int shutdown_plugin(void) {
  if (runtime != NULL) {
    /* Records of runs that ended since the last read still reach collectd. */
    gsp_drain(runtime, on_record, NULL, 0, NULL);
    gsp_runtime_free(runtime); /* kills and reaps any script still running */
    runtime = NULL;
  }
  if (values_dropped_total() > 0)
    WARNING(PLUGIN " plugin: %" PRIu64 " values were dropped in all (see the warnings above)",
            values_dropped_total());
  config_free();
  return 0;
}

__attribute__((visibility("default"))) void module_register(void);

void module_register(void) {
  plugin_register_complex_config(PLUGIN, config_plugin);
  plugin_register_init(PLUGIN, init_plugin);
  plugin_register_complex_read(NULL, PLUGIN, read_plugin, 0, NULL);
  plugin_register_shutdown(PLUGIN, shutdown_plugin);
}
