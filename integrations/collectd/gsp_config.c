/*
 * The <Plugin gsp> block: Script and Env lines, the Period override, and the gsp_options fields
 * (README.md lists them). collectd calls config_plugin before init; shutdown calls config_free.
 */
#include "gsp_plugin.h"

#include "utils/common/common.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

script_t *scripts;
size_t script_count;
gsp_options options;
uint32_t period_override_s;
char **env;
static size_t env_count;
char *run_as_user, *run_as_group, *working_dir, *cgroup_dir;
bool restore_sigchld = true;
static bool options_ready;

void options_defaults(void) {
  if (!options_ready) {
    gsp_options_init(&options, sizeof options);
    options_ready = true;
  }
}

static int config_error(oconfig_item_t *ci, const char *what) {
  ERROR(PLUGIN " plugin: `%s` %s", ci->key, what);
  return -1;
}

static int get_u64(oconfig_item_t *ci, uint64_t *out) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER ||
      ci->values[0].value.number < 0)
    return config_error(ci, "needs one number, 0 or more");
  *out = (uint64_t)ci->values[0].value.number;
  return 0;
}

static int get_u32(oconfig_item_t *ci, uint32_t *out) {
  uint64_t v;
  if (get_u64(ci, &v) != 0)
    return -1;
  if (v > UINT32_MAX)
    return config_error(ci, "is too large");
  *out = (uint32_t)v;
  return 0;
}

static int add_script(oconfig_item_t *ci) {
  if (ci->values_num < 1 || ci->values_num > 2 || ci->values[0].type != OCONFIG_TYPE_STRING ||
      (ci->values_num == 2 && ci->values[1].type != OCONFIG_TYPE_STRING))
    return config_error(ci, "needs a quoted command line and, optionally, a quoted plugin "
                            "instance: Script \"python3 /opt/gsp/netdev.py\" \"netdev\"");
  script_t *grown = realloc(scripts, (script_count + 1) * sizeof *scripts);
  if (grown == NULL)
    return config_error(ci, "cannot be stored: out of memory");
  scripts = grown;
  script_t *s = &scripts[script_count];
  memset(s, 0, sizeof *s);
  s->command = strdup(ci->values[0].value.string);
  if (s->command == NULL)
    return config_error(ci, "cannot be stored: out of memory");
  if (ci->values_num == 2)
    part(s->instance, ci->values[1].value.string);
  else
    default_instance(s->instance, s->command);
  /* Two scripts with one instance would mix their series: the later gets _<position>. */
  for (size_t i = 0; i < script_count; i++) {
    if (strcmp(scripts[i].instance, s->instance) == 0) {
      char name[DATA_MAX_NAME_LEN + 24];
      snprintf(name, sizeof name, "%s_%zu", s->instance, script_count + 1);
      part(s->instance, name);
      break;
    }
  }
  script_count++;
  return 0;
}

static int add_env(oconfig_item_t *ci) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING ||
      strchr(ci->values[0].value.string, '=') == NULL)
    return config_error(ci, "needs one quoted NAME=VALUE");
  char **grown = realloc(env, (env_count + 2) * sizeof *env);
  if (grown == NULL)
    return config_error(ci, "cannot be stored: out of memory");
  env = grown;
  env[env_count] = strdup(ci->values[0].value.string);
  if (env[env_count] == NULL)
    return config_error(ci, "cannot be stored: out of memory");
  env[++env_count] = NULL;
  return 0;
}

int config_plugin(oconfig_item_t *ci) {
  options_defaults();
  int status = 0;
  for (int i = 0; i < ci->children_num && status == 0; i++) {
    oconfig_item_t *c = ci->children + i;
    const char *k = c->key;
    bool flag;
    if (strcasecmp(k, "Script") == 0)
      status = add_script(c);
    else if (strcasecmp(k, "Env") == 0)
      status = add_env(c);
    else if (strcasecmp(k, "Period") == 0)
      status = get_u32(c, &period_override_s);
    else if (strcasecmp(k, "WorkerThreads") == 0)
      status = get_u32(c, &options.worker_threads);
    else if (strcasecmp(k, "MaxConcurrentRuns") == 0)
      status = get_u32(c, &options.max_concurrent_runs);
    else if (strcasecmp(k, "MaxStdoutBytes") == 0)
      status = get_u64(c, &options.max_stdout_bytes);
    else if (strcasecmp(k, "StderrTailBytes") == 0)
      status = get_u32(c, &options.stderr_tail_bytes);
    else if (strcasecmp(k, "QueueCapacity") == 0)
      status = get_u32(c, &options.queue_capacity);
    else if (strcasecmp(k, "ConfigTimeoutMs") == 0)
      status = get_u32(c, &options.config_timeout_ms);
    else if (strcasecmp(k, "MaxRuntimeMs") == 0)
      status = get_u32(c, &options.max_runtime_ms);
    else if (strcasecmp(k, "MinPeriod") == 0)
      status = get_u32(c, &options.min_period_s);
    else if (strcasecmp(k, "KillGraceMs") == 0)
      status = get_u32(c, &options.kill_grace_ms);
    else if (strcasecmp(k, "RlimitCPU") == 0)
      status = get_u64(c, &options.rlimit_cpu_s);
    else if (strcasecmp(k, "RlimitAS") == 0)
      status = get_u64(c, &options.rlimit_as_bytes);
    else if (strcasecmp(k, "RlimitNofile") == 0)
      status = get_u64(c, &options.rlimit_nofile);
    else if (strcasecmp(k, "RlimitNproc") == 0)
      status = get_u64(c, &options.rlimit_nproc);
    else if (strcasecmp(k, "Nice") == 0) {
      int nice_level;
      status = cf_util_get_int(c, &nice_level);
      options.nice = nice_level;
    } else if (strcasecmp(k, "Splay") == 0) {
      status = cf_util_get_boolean(c, &flag);
      options.splay = flag;
    } else if (strcasecmp(k, "RestoreSIGCHLD") == 0) {
      status = cf_util_get_boolean(c, &restore_sigchld);
    } else if (strcasecmp(k, "RefuseRoot") == 0) {
      status = cf_util_get_boolean(c, &flag);
      options.refuse_root = flag;
    } else if (strcasecmp(k, "RunAsUser") == 0)
      status = cf_util_get_string(c, &run_as_user);
    else if (strcasecmp(k, "RunAsGroup") == 0)
      status = cf_util_get_string(c, &run_as_group);
    else if (strcasecmp(k, "WorkingDir") == 0)
      status = cf_util_get_string(c, &working_dir);
    else if (strcasecmp(k, "CgroupDir") == 0)
      status = cf_util_get_string(c, &cgroup_dir);
    else
      status = config_error(c, "is not an option of <Plugin gsp> (see its README: Script, Period, "
                               "Env, WorkerThreads, MaxRuntimeMs, RunAsUser, ...)");
  }
  return status;
}

script_t *script_by_id(uint64_t id) {
  for (size_t i = 0; i < script_count; i++)
    if (scripts[i].id == id)
      return &scripts[i];
  return NULL;
}

void config_free(void) {
  for (size_t i = 0; i < script_count; i++) {
    free(scripts[i].command);
    free_names(scripts[i].metrics, scripts[i].metric_count);
  }
  free(scripts);
  scripts = NULL;
  script_count = 0;
  for (size_t i = 0; i < env_count; i++)
    free(env[i]);
  free(env);
  env = NULL;
  env_count = 0;
  free(run_as_user);
  free(run_as_group);
  free(working_dir);
  free(cgroup_dir);
  run_as_user = run_as_group = working_dir = cgroup_dir = NULL;
}
