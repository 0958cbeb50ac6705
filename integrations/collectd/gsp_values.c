/*
 * Metric records as collectd values. A script's configuration record names its metrics once
 * (type and snake_case stem per metric id); each metric record then becomes one value list of
 * plugin "gsp", the script's instance, that type and a type instance of the stem and the
 * dimension values.
 */
#include "gsp_plugin.h"

#include "utils/common/common.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t values_dropped; /* values collectd cannot store (see dispatch_metric) */

uint64_t values_dropped_total(void) { return values_dropped; }

void free_names(metric_name_t *names, size_t count) {
  for (size_t i = 0; names != NULL && i < count; i++)
    free(names[i].stem);
  free(names);
}

void configure(script_t *s, const gsp_config *c) {
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

void dispatch_metric(script_t *s, const gsp_metric *m) {
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
