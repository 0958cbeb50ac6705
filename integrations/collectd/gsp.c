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
 * (src/bin/gsp/collectd.rs); README.md describes it.
 */
#include "collectd.h"
#include "plugin.h"
#include "utils/common/common.h"

#include <gsp.h>

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static script_t *scripts;
static size_t script_count;
static gsp_runtime *runtime;
static gsp_options options;
static bool options_ready;
static uint32_t period_override_s; /* Period: run every N s instead of each script's period */
static char **env; /* Env "NAME=VALUE" lines, NULL-terminated */
static size_t env_count;
static char *run_as_user, *run_as_group, *working_dir, *cgroup_dir;
static uint64_t values_dropped; /* values collectd cannot store (see dispatch_metric) */
static bool restore_sigchld = true;

/* ---- names (keep in step with src/bin/gsp/collectd.rs) ---------------------------------- */

static uint32_t fnv1a(const char *s) {
  uint32_t h = 0x811c9dc5u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 0x01000193u;
  return h;
}

/* Bytes of the character at s that no name part may hold (0 if it may be kept): '/', '\\',
 * '"', control characters (C0, DEL, C1) and U+2028/U+2029. */
static size_t breaking_len(const unsigned char *s) {
  if (*s == '/' || *s == '\\' || *s == '"' || *s < 0x20 || *s == 0x7f)
    return 1;
  if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
    return 2;
  if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))
    return 3;
  return 0;
}

/* One identifier part into out[DATA_MAX_NAME_LEN]: forbidden characters become '_'; a part
 * longer than 127 bytes keeps its first 118 (at a character boundary) plus "~" and a hash. */
static void part(char *out, const char *text) {
  size_t n = strlen(text);
  char *clean = malloc(n + 1);
  if (clean == NULL) {
    sstrncpy(out, "out_of_memory", DATA_MAX_NAME_LEN);
    return;
  }
  size_t j = 0;
  for (const unsigned char *p = (const unsigned char *)text; *p;) {
    size_t bad = breaking_len(p);
    if (bad) {
      clean[j++] = '_';
      p += bad;
    } else {
      clean[j++] = (char)*p++;
    }
  }
  clean[j] = '\0';
  if (j <= MAX_PART) {
    memcpy(out, clean, j + 1);
  } else {
    size_t cut = MAX_PART - 9;
    while (cut > 0 && ((unsigned char)clean[cut] & 0xc0) == 0x80)
      cut--;
    snprintf(out, DATA_MAX_NAME_LEN, "%.*s~%08x", (int)cut, clean, fnv1a(clean));
  }
  free(clean);
}

static bool ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The metric (or event) name in snake_case, or "<fallback>_<id>" when that is empty; the caller
 * frees it. Not cut here: part() cuts the whole type instance, as gsp run --format collectd. */
static char *stem(const char *name, const char *fallback, int64_t id) {
  size_t cap = 2 * strlen(name) + strlen(fallback) + 24;
  char *out = malloc(cap);
  if (out == NULL)
    return NULL;
  size_t j = 0;
  bool gap = false, prev_lower = false;
  for (const char *p = name; *p; p++) {
    char c = *p;
    if (!ascii_alnum(c)) {
      gap = true;
      prev_lower = false;
      continue;
    }
    bool upper = c >= 'A' && c <= 'Z';
    if ((gap || (prev_lower && upper)) && j > 0)
      out[j++] = '_';
    gap = false;
    prev_lower = !upper;
    out[j++] = upper ? (char)(c - 'A' + 'a') : c;
  }
  out[j] = '\0';
  if (j == 0)
    snprintf(out, cap, "%s_%" PRId64, fallback, id);
  return out;
}

/* Splits a command line into words like a POSIX shell (quotes and backslashes, no expansion).
 * Returns the word count; words[i] point into buf, which must hold strlen(line) + 1 bytes. */
static size_t split_words(const char *line, char *buf, char **words, size_t max) {
  size_t n = 0;
  char *o = buf;
  const char *p = line;
  while (*p && n < max) {
    while (*p == ' ' || *p == '\t' || *p == '\n')
      p++;
    if (!*p)
      break;
    words[n++] = o;
    char quote = 0;
    for (; *p && (quote || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
      if (quote == '\'' && *p == '\'')
        quote = 0;
      else if (quote == '"' && *p == '"')
        quote = 0;
      else if (!quote && (*p == '\'' || *p == '"'))
        quote = *p;
      else if (*p == '\\' && quote != '\'' && p[1])
        *o++ = *++p;
      else
        *o++ = *p;
    }
    *o++ = '\0';
  }
  return n;
}

/* The default plugin instance: the base name, without extension, of the command line's first
 * word that is neither an interpreter nor an option ("python3 /opt/netdev.py -v" -> netdev). */
static void default_instance(char *out, const char *command) {
  static const char *const interpreters[] = {
      "sh", "bash", "dash", "ksh", "zsh", "env", "python", "python2", "python3", "perl",
      "ruby", "php", "node", "nodejs", "lua", NULL};
  char *buf = strdup(command);
  char *words[64];
  if (buf == NULL) {
    sstrncpy(out, "script", DATA_MAX_NAME_LEN);
    return;
  }
  size_t n = split_words(command, buf, words, 64);
  const char *pick = NULL;
  for (size_t i = 0; i < n && pick == NULL; i++) {
    const char *slash = strrchr(words[i], '/');
    const char *base = slash ? slash + 1 : words[i];
    bool skip = *base == '\0' || *base == '-';
    for (size_t k = 0; !skip && interpreters[k]; k++)
      skip = strcmp(base, interpreters[k]) == 0;
    if (!skip)
      pick = base;
  }
  if (pick == NULL && n > 0) {
    const char *slash = strrchr(words[0], '/');
    pick = slash ? slash + 1 : words[0];
  }
  char name[DATA_MAX_NAME_LEN * 4];
  snprintf(name, sizeof name, "%s", pick ? pick : "");
  char *dot = strrchr(name, '.');
  if (dot != NULL && dot != name)
    *dot = '\0';
  part(out, name);
  if (*out == '\0')
    sstrncpy(out, "script", DATA_MAX_NAME_LEN);
  free(buf);
}

/* ---- configuration ------------------------------------------------------------------------ */

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

static int config_plugin(oconfig_item_t *ci) {
  if (!options_ready) {
    gsp_options_init(&options, sizeof options);
    options_ready = true;
  }
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

/* ---- records ------------------------------------------------------------------------------ */

static script_t *script_by_id(uint64_t id) {
  for (size_t i = 0; i < script_count; i++)
    if (scripts[i].id == id)
      return &scripts[i];
  return NULL;
}

static void free_names(metric_name_t *names, size_t count) {
  for (size_t i = 0; names != NULL && i < count; i++)
    free(names[i].stem);
  free(names);
}

static void configure(script_t *s, const gsp_config *c) {
  metric_name_t *names = calloc(c->metric_count ? c->metric_count : 1, sizeof *names);
  if (names == NULL) {
    ERROR(PLUGIN " plugin: `%s`: out of memory for its configuration", s->command);
    return;
  }
  for (size_t i = 0; i < c->metric_count; i++) {
    const gsp_metric_def *m = &c->metrics[i];
    names[i].id = m->id;
    /* A running total delivered as printed is a derive: collectd computes its rate. */
    names[i].type = m->datatype == GSP_DATATYPE_COUNTER && m->calctype != GSP_CALCTYPE_DIFFERENCE
                        ? "derive"
                        : "gauge";
    names[i].stem = stem(m->name, "metric", m->id);
    if (names[i].stem == NULL) {
      ERROR(PLUGIN " plugin: `%s`: out of memory for its configuration", s->command);
      free_names(names, i);
      return;
    }
  }
  free_names(s->metrics, s->metric_count);
  s->metrics = names;
  s->metric_count = c->metric_count;
  s->period_s = period_override_s ? period_override_s : c->period_s;
  INFO(PLUGIN " plugin: `%s` (instance %s) configured: %zu metrics, %zu events, every %" PRIu32
              " s",
       s->command, s->instance, c->metric_count, c->event_count, s->period_s);
}

static void drop_value(const script_t *s, const gsp_metric *m, const char *why) {
  values_dropped++;
  WARNING(PLUGIN " plugin: `%s` metric %" PRId64 " value %g dropped: %s (%" PRIu64
                 " values dropped so far)",
          s->command, m->metric_id, m->value, why, values_dropped);
}

static void dispatch_metric(script_t *s, const gsp_metric *m) {
  const metric_name_t *name = NULL;
  for (size_t i = 0; i < s->metric_count && name == NULL; i++)
    if (s->metrics[i].id == m->metric_id)
      name = &s->metrics[i];
  if (name == NULL) {
    drop_value(s, m, "no configuration declares it");
    return;
  }
  value_t value;
  if (strcmp(name->type, "derive") == 0) {
    double v = round(m->value);
    if (!isfinite(v) || fabs(v) >= 9.2e18) {
      drop_value(s, m, "not an integer a derive can hold");
      return;
    }
    value.derive = (derive_t)v;
  } else {
    value.gauge = m->value;
  }
  /* type instance: the metric's stem, then "-<value>" for each non-empty dimension value. */
  size_t len = strlen(name->stem) + 1;
  for (size_t i = 0; i < m->dimension_count; i++)
    len += strlen(m->dimensions[i].value) + 1;
  char *ti = malloc(len);
  if (ti == NULL) {
    drop_value(s, m, "out of memory");
    return;
  }
  char *o = ti;
  o += sprintf(o, "%s", name->stem);
  for (size_t i = 0; i < m->dimension_count; i++)
    if (*m->dimensions[i].value)
      o += sprintf(o, "-%s", m->dimensions[i].value);

  value_list_t vl = VALUE_LIST_INIT;
  vl.values = &value;
  vl.values_len = 1;
  vl.time = MS_TO_CDTIME_T(m->time_ms);
  vl.interval = TIME_T_TO_CDTIME_T(s->period_s ? s->period_s : 60);
  sstrncpy(vl.plugin, PLUGIN, sizeof vl.plugin);
  sstrncpy(vl.plugin_instance, s->instance, sizeof vl.plugin_instance);
  sstrncpy(vl.type, name->type, sizeof vl.type);
  part(vl.type_instance, ti);
  free(ti);
  if (plugin_dispatch_values(&vl) != 0)
    drop_value(s, m, "collectd refused it (see above)");
}

/* Control characters in a message become spaces: log and write plugins print it on a line. */
static void clean_message(char *msg) {
  for (unsigned char *p = (unsigned char *)msg; *p; p++) {
    size_t bad = (*p == '/' || *p == '\\' || *p == '"') ? 0 : breaking_len(p);
    for (size_t i = 0; i < bad; i++)
      p[i] = ' ';
    if (bad)
      p += bad - 1;
  }
}

static void dispatch_event(script_t *s, const gsp_event *e) {
  notification_t n = {.severity = NOTIF_WARNING, .time = TIME_T_TO_CDTIME_T(e->start_s)};
  sstrncpy(n.host, hostname_g, sizeof n.host);
  sstrncpy(n.plugin, PLUGIN, sizeof n.plugin);
  sstrncpy(n.plugin_instance, s->instance, sizeof n.plugin_instance);
  sstrncpy(n.type, "gsp_event", sizeof n.type);
  char *name = stem(e->name, "event", e->event_id);
  part(n.type_instance, name ? name : "event");
  free(name);
  if (strcmp(e->attributes_json, "{}") == 0)
    snprintf(n.message, sizeof n.message, "%s", e->message);
  else
    snprintf(n.message, sizeof n.message, "%s %s", e->message, e->attributes_json);
  /* snprintf may have cut a UTF-8 sequence at the end: drop its remains. */
  size_t len = strlen(n.message);
  if (len == sizeof n.message - 1) {
    size_t cut = len;
    while (cut > 0 && ((unsigned char)n.message[cut - 1] & 0xc0) == 0x80)
      cut--;
    if (cut > 0 && ((unsigned char)n.message[cut - 1] & 0xc0) == 0xc0)
      n.message[cut - 1] = '\0';
  }
  clean_message(n.message);
  plugin_notification_meta_add_signed_int(&n, "event_id", e->event_id);
  plugin_notification_meta_add_signed_int(&n, "end", e->end_s);
  plugin_notification_meta_add_string(&n, "scope",
                                      e->scope == GSP_SCOPE_APPLICATION ? "A" : "S");
  plugin_notification_meta_add_string(&n, "attributes", e->attributes_json);
  plugin_notification_meta_add_string(&n, "script", s->command);
  plugin_dispatch_notification(&n);
  plugin_notification_meta_free(n.meta);
}

static const char *kind_name(uint32_t kind) {
  static const char *const names[] = {
      "diagnostic",   "spawn failed",     "invalid configuration", "configuration timeout",
      "exit status",  "timeout",          "output truncated",      "invalid line",
      "unknown metric", "unknown event",  "unknown dimension",     "overrun",
      "value clamped", "records dropped", "stderr",                "exit status lost",
      "series limit",  "internal error"};
  return kind < sizeof names / sizeof *names ? names[kind] : names[0];
}

static void log_diagnostic(uint64_t script_id, const gsp_diagnostic *d) {
  int level = d->severity == GSP_SEVERITY_ERROR     ? LOG_ERR
              : d->severity == GSP_SEVERITY_WARNING ? LOG_WARNING
                                                    : LOG_INFO;
  const script_t *s = script_by_id(script_id);
  if (s != NULL)
    plugin_log(level, PLUGIN " plugin: `%s` (%s): %s", s->command, kind_name(d->kind),
               d->message);
  else
    plugin_log(level, PLUGIN " plugin: (%s): %s", kind_name(d->kind), d->message);
}

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
  if (!options_ready) {
    gsp_options_init(&options, sizeof options);
    options_ready = true;
  }
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
  if (values_dropped > 0)
    WARNING(PLUGIN " plugin: %" PRIu64 " values were dropped in all (see the warnings above)",
            values_dropped);
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
  return 0;
}

__attribute__((visibility("default"))) void module_register(void);

void module_register(void) {
  plugin_register_complex_config(PLUGIN, config_plugin);
  plugin_register_init(PLUGIN, init_plugin);
  plugin_register_complex_read(NULL, PLUGIN, read_plugin, 0, NULL);
  plugin_register_shutdown(PLUGIN, shutdown_plugin);
}
