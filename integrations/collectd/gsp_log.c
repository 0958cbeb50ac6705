/*
 * Diagnostic records in collectd's log, at the level of their severity, with the script's
 * command line and the diagnostic's kind.
 */
#include "gsp_plugin.h"

static const char *kind_name(uint32_t kind) {
  static const char *const names[] = {
      "diagnostic",   "spawn failed",     "invalid configuration", "configuration timeout",
      "exit status",  "timeout",          "output truncated",      "invalid line",
      "unknown metric", "unknown event",  "unknown dimension",     "overrun",
      "value clamped", "records dropped", "stderr",                "exit status lost",
      "series limit",  "internal error"};
  return kind < sizeof names / sizeof *names ? names[kind] : names[0];
}

void log_diagnostic(uint64_t script_id, const gsp_diagnostic *d) {
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
