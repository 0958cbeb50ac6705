/*
 * Event records as collectd notifications: severity WARNING, type "gsp_event", the event's
 * snake_case name as type instance, its message and attributes JSON as the message, and the
 * event's fields as meta data.
 */
#include "gsp_plugin.h"

#include "utils/common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void dispatch_event(script_t *s, const gsp_event *e) {
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
