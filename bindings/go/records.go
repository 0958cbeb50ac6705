package gsp

/*
#include "gsp.h"
*/
import "C"

import (
	"fmt"
	"time"
	"unsafe"
)

// Datatype is a metric's declared datatype (gsp_datatype).
type Datatype uint32

// Datatype values, as in gsp.h.
const (
	DatatypeUnknown   Datatype = 0
	DatatypeDouble    Datatype = 1
	DatatypeGauge     Datatype = 2
	DatatypeCount     Datatype = 3
	DatatypeCounter   Datatype = 4
	DatatypeLong      Datatype = 5
	DatatypeHistogram Datatype = 6
	DatatypeBinary    Datatype = 7
)

var datatypeNames = []string{"UNKNOWN", "DOUBLE", "GAUGE", "COUNT", "COUNTER", "LONG", "HISTOGRAM", "BINARY"}

func (d Datatype) String() string { return enumName(datatypeNames, uint32(d), "Datatype") }

// Calctype is a metric's calculation (gsp_calctype).
type Calctype uint32

// Calctype values, as in gsp.h.
const (
	CalctypeInstant    Calctype = 0
	CalctypeDifference Calctype = 1
	CalctypeAverage    Calctype = 2
)

var calctypeNames = []string{"Instant", "Difference", "Average"}

func (c Calctype) String() string { return enumName(calctypeNames, uint32(c), "Calctype") }

// Scope says where an event belongs (gsp_scope).
type Scope uint32

// Scope values, as in gsp.h.
const (
	ScopeServer      Scope = 0
	ScopeApplication Scope = 1
)

var scopeNames = []string{"SERVER", "APPLICATION"}

func (s Scope) String() string { return enumName(scopeNames, uint32(s), "Scope") }

// Severity says how serious a diagnostic is (gsp_severity).
type Severity uint32

// Severity values, as in gsp.h.
const (
	SeverityInfo    Severity = 0
	SeverityWarning Severity = 1
	SeverityError   Severity = 2
)

var severityNames = []string{"INFO", "WARNING", "ERROR"}

func (s Severity) String() string { return enumName(severityNames, uint32(s), "Severity") }

// DiagnosticKind says what a diagnostic is about (gsp_diagnostic_kind).
type DiagnosticKind uint32

// DiagnosticKind values, as in gsp.h; see there for what each means.
const (
	DiagSpawnFailed      DiagnosticKind = 1
	DiagConfigInvalid    DiagnosticKind = 2
	DiagConfigTimeout    DiagnosticKind = 3
	DiagExitStatus       DiagnosticKind = 4
	DiagTimeout          DiagnosticKind = 5
	DiagOutputTruncated  DiagnosticKind = 6
	DiagLineInvalid      DiagnosticKind = 7
	DiagUnknownMetric    DiagnosticKind = 8
	DiagUnknownEvent     DiagnosticKind = 9
	DiagUnknownDimension DiagnosticKind = 10
	DiagOverrun          DiagnosticKind = 11
	DiagValueClamped     DiagnosticKind = 12
	DiagRecordsDropped   DiagnosticKind = 13
	DiagStderr           DiagnosticKind = 14
	DiagSigchldIgnored   DiagnosticKind = 15
	DiagSeriesLimit      DiagnosticKind = 16
	DiagInternal         DiagnosticKind = 17
)

var diagnosticKindNames = []string{"", "SPAWN_FAILED", "CONFIG_INVALID", "CONFIG_TIMEOUT",
	"EXIT_STATUS", "TIMEOUT", "OUTPUT_TRUNCATED", "LINE_INVALID", "UNKNOWN_METRIC",
	"UNKNOWN_EVENT", "UNKNOWN_DIMENSION", "OVERRUN", "VALUE_CLAMPED", "RECORDS_DROPPED", "STDERR",
	"SIGCHLD_IGNORED", "SERIES_LIMIT", "INTERNAL"}

func (k DiagnosticKind) String() string {
	return enumName(diagnosticKindNames, uint32(k), "DiagnosticKind")
}

func enumName(names []string, v uint32, typ string) string {
	if int64(v) < int64(len(names)) && names[v] != "" {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, v)
}

// Record is one item drained from a runtime: a *ScriptConfig, *MetricSample, *Event or
// *Diagnostic. Use a type switch.
type Record interface {
	// Script is the id of the script the record is about (0 for runtime-wide diagnostics).
	Script() uint64
	isRecord()
}

// DimensionDef is a dimension a metric declares.
type DimensionDef struct {
	ID   int64
	Name string
}

// MetricDef is a metric a script's configuration declares.
type MetricDef struct {
	ID           int64
	Name         string
	Description  string
	Groups       string // comma-separated
	Unit         string
	Tags         string
	Datatype     Datatype
	DatatypeName string // as the script printed it ("" when missing)
	Calctype     Calctype
	Dimensions   []DimensionDef
}

// AttributeDef is an attribute an event declares.
type AttributeDef struct {
	Name string
	Type string // as declared: "integer", "string", ...
	Unit string
}

// EventDef is an event a script's configuration declares.
type EventDef struct {
	ID          int64
	Name        string
	Description string
	Attributes  []AttributeDef
}

// ScriptConfig is a script's effective configuration, delivered after each successful
// configuration run.
type ScriptConfig struct {
	ScriptID   uint64
	Period     time.Duration // at least Options.MinPeriod
	MaxRuntime time.Duration // at most Options.MaxRuntime
	Metrics    []MetricDef
	Events     []EventDef
	JSON       string // the normalized configuration as compact JSON
}

// Dimension is one dimension value on a metric sample.
type Dimension struct {
	ID    int64
	Name  string // declared name
	Value string // as printed
}

// MetricSample is one metric value.
type MetricSample struct {
	ScriptID   uint64
	MetricID   int64
	Name       string
	Time       time.Time // the host time passed to the Tick that started the run
	Value      float64   // after the calctype
	Dimensions []Dimension
}

// Event is one event.
type Event struct {
	ScriptID       uint64
	EventID        int64
	Name           string
	Start, End     time.Time // whole seconds
	Message        string
	AttributesJSON string // a compact JSON object ("{}" when none)
	Scope          Scope
}

// Diagnostic is a problem or notice about a script (or the runtime, with ScriptID 0).
type Diagnostic struct {
	ScriptID uint64
	Severity Severity
	Kind     DiagnosticKind
	ExitCode *int   // the script's exit code, nil when none applies
	Signal   int    // the signal that killed the script, 0 when none applies
	Line     uint64 // 1-based output line at fault, 0 when none applies
	Message  string
}

func (r *ScriptConfig) Script() uint64 { return r.ScriptID }
func (r *MetricSample) Script() uint64 { return r.ScriptID }
func (r *Event) Script() uint64        { return r.ScriptID }
func (r *Diagnostic) Script() uint64   { return r.ScriptID }
func (*ScriptConfig) isRecord()        {}
func (*MetricSample) isRecord()        {}
func (*Event) isRecord()               {}
func (*Diagnostic) isRecord()          {}

func (d *Diagnostic) String() string {
	return fmt.Sprintf("%s %s: %s", d.Severity, d.Kind, d.Message)
}

// cSlice views a C array; nil for an empty one.
func cSlice[T any](p *T, n C.size_t) []T {
	if p == nil || n == 0 {
		return nil
	}
	return unsafe.Slice(p, int(n))
}

// copyRecord copies a C record into Go memory. Everything rec points to is valid only during
// the drain callback, so nothing here may keep a C pointer. Unknown kinds give nil.
func copyRecord(rec *C.gsp_record) Record {
	id := uint64(rec.script_id)
	switch rec.kind {
	case C.GSP_RECORD_CONFIG:
		return copyConfig(id, rec.config)
	case C.GSP_RECORD_METRIC:
		m := rec.metric
		out := &MetricSample{
			ScriptID: id,
			MetricID: int64(m.metric_id),
			Name:     C.GoString(m.name),
			Time:     time.UnixMilli(int64(m.time_ms)),
			Value:    float64(m.value),
		}
		for _, d := range cSlice(m.dimensions, m.dimension_count) {
			out.Dimensions = append(out.Dimensions,
				Dimension{ID: int64(d.id), Name: C.GoString(d.name), Value: C.GoString(d.value)})
		}
		return out
	case C.GSP_RECORD_EVENT:
		e := rec.event
		return &Event{
			ScriptID:       id,
			EventID:        int64(e.event_id),
			Name:           C.GoString(e.name),
			Start:          time.Unix(int64(e.start_s), 0),
			End:            time.Unix(int64(e.end_s), 0),
			Message:        C.GoString(e.message),
			AttributesJSON: C.GoString(e.attributes_json),
			Scope:          Scope(e.scope),
		}
	case C.GSP_RECORD_DIAGNOSTIC:
		d := rec.diagnostic
		out := &Diagnostic{
			ScriptID: id,
			Severity: Severity(d.severity),
			Kind:     DiagnosticKind(d.kind),
			Signal:   int(d.signal),
			Line:     uint64(d.line),
			Message:  C.GoString(d.message),
		}
		if d.exit_code >= 0 {
			code := int(d.exit_code)
			out.ExitCode = &code
		}
		return out
	}
	return nil
}

func copyConfig(id uint64, c *C.gsp_config) *ScriptConfig {
	out := &ScriptConfig{
		ScriptID:   id,
		Period:     time.Duration(c.period_s) * time.Second,
		MaxRuntime: time.Duration(c.max_runtime_ms) * time.Millisecond,
		JSON:       C.GoString(c.json),
	}
	for _, m := range cSlice(c.metrics, c.metric_count) {
		def := MetricDef{
			ID:           int64(m.id),
			Name:         C.GoString(m.name),
			Description:  C.GoString(m.description),
			Groups:       C.GoString(m.groups),
			Unit:         C.GoString(m.unit),
			Tags:         C.GoString(m.tags),
			Datatype:     Datatype(m.datatype),
			DatatypeName: C.GoString(m.datatype_name),
			Calctype:     Calctype(m.calctype),
		}
		for _, d := range cSlice(m.dimensions, m.dimension_count) {
			def.Dimensions = append(def.Dimensions, DimensionDef{ID: int64(d.id), Name: C.GoString(d.name)})
		}
		out.Metrics = append(out.Metrics, def)
	}
	for _, e := range cSlice(c.events, c.event_count) {
		def := EventDef{ID: int64(e.id), Name: C.GoString(e.name), Description: C.GoString(e.description)}
		for _, a := range cSlice(e.attributes, e.attribute_count) {
			def.Attributes = append(def.Attributes,
				AttributeDef{Name: C.GoString(a.name), Type: C.GoString(a.type_name), Unit: C.GoString(a.unit)})
		}
		out.Events = append(out.Events, def)
	}
	return out
}
