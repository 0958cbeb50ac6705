// Package gsp is a Telegraf input plugin that runs generic scripts with libgsp (through the Go
// binding). Each gather runs every configured script's data mode once and waits for the runs:
// Telegraf's interval replaces the scripts' periods, as with `gsp run --execd`.
package gsp

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	gspapi "github.com/gsp-project/gsp/bindings/go"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/plugins/inputs"
)

//go:embed sample.conf
var sampleConfig string

// configWait bounds how long a gather waits for configuration runs (gsp kills them at 1 s).
const configWait = 10 * time.Second

// GSP is the plugin: scripts and the runtime that runs them.
type GSP struct {
	Scripts []string          `toml:"scripts"`
	Timeout config.Duration   `toml:"timeout"`
	Env     map[string]string `toml:"env"`
	Log     telegraf.Logger   `toml:"-"`

	mu      sync.Mutex
	rt      *gspapi.Runtime
	ids     []uint64
	command map[uint64]string
	metrics map[uint64]map[int64]metricNames
}

// metricNames is how one declared metric is written.
type metricNames struct {
	measurement string
	tags        map[int64]string // dimension id -> tag key
	counter     bool             // a running total delivered as printed
}

func (*GSP) SampleConfig() string { return sampleConfig }

// Init checks the configuration.
func (g *GSP) Init() error {
	if len(g.Scripts) == 0 {
		return errors.New("no scripts: set scripts = [\"/path/to/script\", ...]")
	}
	for _, s := range g.Scripts {
		if strings.TrimSpace(s) == "" {
			return errors.New("scripts has an empty command line")
		}
	}
	if g.Timeout <= 0 {
		g.Timeout = config.Duration(55 * time.Second)
	}
	return nil
}

// Start creates the runtime and registers the scripts; their configuration runs at the first
// gather.
func (g *GSP) Start(telegraf.Accumulator) error {
	rt, err := gspapi.New(gspapi.Options{ExtraEnv: g.Env})
	if err != nil {
		return fmt.Errorf("creating the gsp runtime: %w", err)
	}
	g.command = make(map[uint64]string)
	g.metrics = make(map[uint64]map[int64]metricNames)
	for _, s := range g.Scripts {
		id, err := rt.AddScript(s)
		if err != nil {
			rt.Close()
			return fmt.Errorf("script %q: %w (quote words that hold spaces)", s, err)
		}
		g.ids = append(g.ids, id)
		g.command[id] = s
	}
	g.rt = rt
	return nil
}

// Stop kills any script still running and frees the runtime.
func (g *GSP) Stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.rt != nil {
		g.rt.Close()
		g.rt = nil
	}
}

// Gather runs every configured script not still running once and adds what the runs produce.
func (g *GSP) Gather(acc telegraf.Accumulator) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.rt == nil {
		return errors.New("the plugin is stopped")
	}
	runsBefore := make(map[uint64]uint64)
	for _, id := range g.ids {
		if st, err := g.rt.ScriptStats(id); err == nil {
			runsBefore[id] = st.DataRuns
		}
	}
	// The first gather waits for the configuration runs, which start at the first tick.
	deadline := time.Now().Add(configWait)
	for g.configuring() && time.Now().Before(deadline) {
		if err := g.step(acc); err != nil {
			return err
		}
	}
	// Every configured script runs once per gather: gsp starts a script's first data run
	// itself at the tick after its configuration, so a run that started (or even ended) while
	// waiting for the others' configurations counts.
	before := make(map[uint64]uint64)
	for _, id := range g.ids {
		st, err := g.rt.ScriptStats(id)
		if err != nil || !st.Configured || st.DataRuns > runsBefore[id] {
			continue
		}
		if st.Running {
			before[id] = st.DataRuns
		} else if ok, err := g.rt.RunNow(id); err == nil && ok {
			before[id] = st.DataRuns
		}
	}
	deadline = time.Now().Add(time.Duration(g.Timeout))
	for len(before) > 0 && time.Now().Before(deadline) {
		if err := g.step(acc); err != nil {
			return err
		}
		for id, n := range before {
			// Records are queued before the finished run is counted, so the next drain has
			// them all.
			if st, err := g.rt.ScriptStats(id); err != nil || st.DataRuns > n {
				delete(before, id)
			}
		}
	}
	if err := g.drain(acc); err != nil {
		return err
	}
	for id := range before {
		g.Log.Warnf("gsp: script %q did not finish within timeout %s; its records will come with a later gather",
			g.command[id], time.Duration(g.Timeout))
	}
	return nil
}

// configuring reports whether a script's first configuration run has not ended.
func (g *GSP) configuring() bool {
	for _, id := range g.ids {
		if st, err := g.rt.ScriptStats(id); err == nil && st.ConfigRuns == 0 {
			return true
		}
	}
	return false
}

// step ticks, waits briefly for records and adds them.
func (g *GSP) step(acc telegraf.Accumulator) error {
	if err := g.rt.Tick(time.Now()); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := g.rt.Wait(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return g.drain(acc)
}

func (g *GSP) drain(acc telegraf.Accumulator) error {
	_, err := g.rt.Drain(func(r gspapi.Record) error {
		g.add(acc, r)
		return nil
	})
	return err
}

func (g *GSP) add(acc telegraf.Accumulator, r gspapi.Record) {
	script := g.command[r.Script()]
	switch r := r.(type) {
	case *gspapi.ScriptConfig:
		g.metrics[r.ScriptID] = names(r)
		g.Log.Infof("gsp: script %q configured: %d metrics, %d events", script, len(r.Metrics), len(r.Events))
	case *gspapi.MetricSample:
		n, ok := g.metrics[r.ScriptID][r.MetricID]
		if !ok {
			g.Log.Warnf("gsp: script %q: metric %d is not in its configuration; value dropped", script, r.MetricID)
			return
		}
		tags := map[string]string{"script": script}
		for _, d := range r.Dimensions {
			if key, ok := n.tags[d.ID]; ok && d.Value != "" {
				tags[key] = d.Value
			}
		}
		fields := map[string]any{"value": r.Value}
		if n.counter {
			acc.AddCounter(n.measurement, fields, tags, r.Time)
		} else {
			acc.AddGauge(n.measurement, fields, tags, r.Time)
		}
	case *gspapi.Event:
		scope := "S"
		if r.Scope == gspapi.ScopeApplication {
			scope = "A"
		}
		tags := map[string]string{"script": script, "event": r.Name,
			"event_id": fmt.Sprint(r.EventID), "scope": scope}
		fields := map[string]any{"message": r.Message, "attributes": r.AttributesJSON,
			"end": r.End.Unix()}
		acc.AddFields("gsp_event", fields, tags, r.Start)
	case *gspapi.Diagnostic:
		prefix := "gsp: "
		if script != "" {
			prefix = fmt.Sprintf("gsp: script %q ", script)
		}
		switch r.Severity {
		case gspapi.SeverityError:
			acc.AddError(fmt.Errorf("%s(%s): %s", prefix, r.Kind, r.Message))
		case gspapi.SeverityWarning:
			g.Log.Warnf("%s(%s): %s", prefix, r.Kind, r.Message)
		default:
			g.Log.Infof("%s(%s): %s", prefix, r.Kind, r.Message)
		}
	}
}

// names gives each metric of a configuration its measurement (gsp_ + the name in snake_case,
// _<id> appended when two share it) and its dimensions' tag keys, as `gsp run --execd` does.
func names(c *gspapi.ScriptConfig) map[int64]metricNames {
	stems := make(map[int64]string)
	count := make(map[string]int)
	for _, m := range c.Metrics {
		s := snake(m.Name)
		if s == "" {
			s = "metric_" + idPart(m.ID)
		}
		stems[m.ID] = "gsp_" + s
		count[stems[m.ID]]++
	}
	out := make(map[int64]metricNames)
	for _, m := range c.Metrics {
		name := stems[m.ID]
		if count[name] > 1 {
			name += "_" + idPart(m.ID)
		}
		tags := make(map[int64]string)
		used := map[string]bool{"script": true}
		for _, d := range m.Dimensions {
			key := snake(d.Name)
			if key == "" {
				key = "dim_" + idPart(d.ID)
			} else if key[0] >= '0' && key[0] <= '9' {
				key = "dim_" + key
			}
			for used[key] {
				key += "_" + idPart(d.ID)
			}
			used[key] = true
			tags[d.ID] = key
		}
		out[m.ID] = metricNames{measurement: name, tags: tags,
			counter: m.Datatype == gspapi.DatatypeCounter && m.Calctype != gspapi.CalctypeDifference}
	}
	return out
}

// snake is the name in lowercase ASCII words joined by _ (as src/bin/gsp/names.rs).
func snake(text string) string {
	var b strings.Builder
	gap, prevLower := false, false
	for _, c := range text {
		if c > unicode.MaxASCII || !(unicode.IsLetter(c) || unicode.IsDigit(c)) {
			gap, prevLower = true, false
			continue
		}
		upper := unicode.IsUpper(c)
		if (gap || (prevLower && upper)) && b.Len() > 0 {
			b.WriteByte('_')
		}
		gap = false
		prevLower = !upper
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

func idPart(id int64) string {
	if id < 0 {
		return fmt.Sprintf("n%d", -id)
	}
	return fmt.Sprint(id)
}

func init() {
	inputs.Add("gsp", func() telegraf.Input { return &GSP{} })
}
