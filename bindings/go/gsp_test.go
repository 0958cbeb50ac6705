package gsp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// script returns the command line of a fixture in testdata, quoted for gsp's word splitting.
func script(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return "'" + p + "'"
}

// newRuntime creates a runtime closed at the end of the test. The configuration timeout is
// raised from 1 s so that a loaded machine (cargo building beside the tests) cannot fail them.
func newRuntime(t *testing.T, opts Options) *Runtime {
	t.Helper()
	if opts.ConfigTimeout == 0 {
		opts.ConfigTimeout = 10 * time.Second
	}
	rt, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

// host drives a runtime the way an agent does, with a fake clock that advances 1 s per tick.
type host struct {
	t       *testing.T
	rt      *Runtime
	now     time.Time
	records []Record
}

func newHost(t *testing.T, rt *Runtime) *host {
	return &host{t: t, rt: rt, now: time.Unix(1_700_000_000, 0)}
}

// step ticks, waits up to 100 ms for records and drains them.
func (h *host) step() {
	h.t.Helper()
	if err := h.rt.Tick(h.now); err != nil {
		h.t.Fatalf("Tick: %v", err)
	}
	h.now = h.now.Add(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := h.rt.Wait(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		h.t.Fatalf("Wait: %v", err)
	}
	recs, err := h.rt.DrainAll()
	if err != nil {
		h.t.Fatalf("DrainAll: %v", err)
	}
	h.records = append(h.records, recs...)
}

// until steps until cond holds for the records so far, failing after limit.
func (h *host) until(limit time.Duration, what string, cond func([]Record) bool) {
	h.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond(h.records) {
		if time.Now().After(deadline) {
			h.t.Fatalf("no %s within %v; records: %s", what, limit, dump(h.records))
		}
		h.step()
	}
}

func dump(recs []Record) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "\n  %T %+v", r, r)
	}
	return b.String()
}

func metrics(recs []Record, id int64) []*MetricSample {
	var out []*MetricSample
	for _, r := range recs {
		if m, ok := r.(*MetricSample); ok && m.MetricID == id {
			out = append(out, m)
		}
	}
	return out
}

func diagnostics(recs []Record, kind DiagnosticKind) []*Diagnostic {
	var out []*Diagnostic
	for _, r := range recs {
		if d, ok := r.(*Diagnostic); ok && d.Kind == kind {
			out = append(out, d)
		}
	}
	return out
}

func hasMetric(id int64) func([]Record) bool {
	return func(recs []Record) bool { return len(metrics(recs, id)) > 0 }
}

func hasDiagnostic(kind DiagnosticKind) func([]Record) bool {
	return func(recs []Record) bool { return len(diagnostics(recs, kind)) > 0 }
}

func TestConfigMetricsDimensionsEvents(t *testing.T) {
	rt := newRuntime(t, Options{})
	id, err := rt.AddScript(script(t, "dims.sh"))
	if err != nil {
		t.Fatal(err)
	}
	h := newHost(t, rt)
	h.until(10*time.Second, "event", func(recs []Record) bool {
		for _, r := range recs {
			if _, ok := r.(*Event); ok {
				return true
			}
		}
		return false
	})

	cfg, ok := h.records[0].(*ScriptConfig)
	if !ok {
		t.Fatalf("first record is %T, want *ScriptConfig", h.records[0])
	}
	if cfg.ScriptID != id || cfg.Period != time.Minute || cfg.MaxRuntime != 5*time.Second {
		t.Errorf("config = %+v", cfg)
	}
	if len(cfg.Metrics) != 2 || len(cfg.Events) != 1 {
		t.Fatalf("config declares %d metrics, %d events", len(cfg.Metrics), len(cfg.Events))
	}
	m := cfg.Metrics[0]
	if m.ID != 1 || m.Name != "Speed" || m.Description != "Link speed" || m.Groups != "Net" ||
		m.Unit != "Gb/s" || m.Tags != "NET" || m.Datatype != DatatypeGauge ||
		m.DatatypeName != "GAUGE" || m.Calctype != CalctypeInstant ||
		len(m.Dimensions) != 1 || m.Dimensions[0] != (DimensionDef{ID: 1, Name: "iface"}) {
		t.Errorf("metric def = %+v", m)
	}
	if cfg.Metrics[1].Datatype != DatatypeLong || len(cfg.Metrics[1].Dimensions) != 0 {
		t.Errorf("second metric def = %+v", cfg.Metrics[1])
	}
	e := cfg.Events[0]
	if e.ID != 1 || e.Name != "Crash" || len(e.Attributes) != 1 ||
		e.Attributes[0] != (AttributeDef{Name: "Exit code", Type: "integer"}) {
		t.Errorf("event def = %+v", e)
	}
	if !strings.Contains(cfg.JSON, `"Speed"`) {
		t.Errorf("config JSON = %s", cfg.JSON)
	}

	speed, sessions := metrics(h.records, 1), metrics(h.records, 2)
	if len(speed) != 1 || len(sessions) != 1 {
		t.Fatalf("records: %s", dump(h.records))
	}
	if s := speed[0]; s.ScriptID != id || s.Name != "Speed" || s.Value != 8.5 ||
		len(s.Dimensions) != 1 || s.Dimensions[0] != (Dimension{ID: 1, Name: "iface", Value: "eth0"}) {
		t.Errorf("speed = %+v", s)
	}
	// The data run started at the tick after the configuration arrived, by the fake clock.
	if ts := speed[0].Time; ts.Before(time.Unix(1_700_000_000, 0)) || !ts.Before(h.now) {
		t.Errorf("metric time %v outside the fake clock's range", ts)
	}
	if s := sessions[0]; s.Value != 12 || len(s.Dimensions) != 0 {
		t.Errorf("sessions = %+v", s)
	}
	var ev *Event
	for _, r := range h.records {
		if x, ok := r.(*Event); ok {
			ev = x
		}
	}
	// Start and end 0 mean the run's time (whole seconds of the tick).
	if ev.EventID != 1 || ev.Name != "Crash" || ev.Message != "worker died" ||
		ev.AttributesJSON != `{"Exit code":137}` || ev.Scope != ScopeServer ||
		!ev.Start.Equal(speed[0].Time.Truncate(time.Second)) || !ev.End.Equal(ev.Start) {
		t.Errorf("event = %+v", ev)
	}
	// The undeclared metric on line 4 is a warning; the other lines were still delivered.
	h.until(5*time.Second, "unknown metric diagnostic", hasDiagnostic(DiagUnknownMetric))
	d := diagnostics(h.records, DiagUnknownMetric)[0]
	if d.Line != 4 || d.Severity != SeverityWarning || d.ExitCode != nil || !strings.Contains(d.Message, "M7 3") {
		t.Errorf("diagnostic = %+v", d)
	}

	st, err := rt.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Scripts != 1 || st.RunsSucceeded != 2 || st.LinesParsed != 3 || st.LinesRejected != 1 {
		t.Errorf("stats = %+v", st)
	}
	ss, err := rt.ScriptStats(id)
	if err != nil {
		t.Fatal(err)
	}
	if ss.ConfigRuns != 1 || ss.DataRuns != 1 || !ss.Configured || ss.Running ||
		ss.LastDuration <= 0 || ss.TotalDuration < ss.LastDuration || ss.PeakRSSKiB == 0 {
		t.Errorf("script stats = %+v", ss)
	}
	if _, err := rt.ScriptStats(id + 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("ScriptStats(unknown) = %v, want ErrNotFound", err)
	}
}

func TestDifferenceNeedsTwoRuns(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	rt := newRuntime(t, Options{ExtraEnv: map[string]string{"GSP_TEST_STATE": state}})
	if _, err := rt.AddScript(script(t, "counter.sh")); err != nil {
		t.Fatal(err)
	}
	h := newHost(t, rt)
	h.until(10*time.Second, "first run", hasMetric(2))
	if got := metrics(h.records, 1); len(got) != 0 {
		t.Fatalf("Difference emitted on the first run: %+v", got[0])
	}
	// The period is 60 s by the host's clock: jump the fake clock instead of sleeping.
	h.now = h.now.Add(time.Minute)
	h.until(10*time.Second, "second run", func(recs []Record) bool { return len(metrics(recs, 2)) == 2 })
	h.until(5*time.Second, "difference", hasMetric(1))
	got := metrics(h.records, 1)
	if len(got) != 1 || got[0].Value != 5 || got[0].Dimensions[0].Value != "eth0" {
		t.Errorf("difference samples: %s", dump(h.records))
	}
}

func TestSpawnFailure(t *testing.T) {
	rt := newRuntime(t, Options{})
	id, err := rt.AddScript("/nonexistent/gsp-go-test-script --flag")
	if err != nil {
		t.Fatal(err)
	}
	h := newHost(t, rt)
	h.until(10*time.Second, "spawn failure", hasDiagnostic(DiagSpawnFailed))
	d := diagnostics(h.records, DiagSpawnFailed)[0]
	if d.ScriptID != id || d.Severity != SeverityError || d.Message == "" {
		t.Errorf("diagnostic = %+v", d)
	}
}

func TestExitStatus(t *testing.T) {
	rt := newRuntime(t, Options{})
	if _, err := rt.AddScript(script(t, "exit3.sh")); err != nil {
		t.Fatal(err)
	}
	h := newHost(t, rt)
	h.until(10*time.Second, "exit status", hasDiagnostic(DiagExitStatus))
	d := diagnostics(h.records, DiagExitStatus)[0]
	if d.ExitCode == nil || *d.ExitCode != 3 || d.Signal != 0 || d.Severity != SeverityError ||
		!strings.Contains(d.Message, "backend unreachable") {
		t.Errorf("diagnostic = %+v (exit code %v)", d, d.ExitCode)
	}
	// Output of a failed run is not parsed.
	if m := metrics(h.records, 1); len(m) != 0 {
		t.Errorf("metrics from a failed run: %+v", m)
	}
}

func TestTimeout(t *testing.T) {
	rt := newRuntime(t, Options{})
	if _, err := rt.AddScript(script(t, "slow.sh")); err != nil {
		t.Fatal(err)
	}
	h := newHost(t, rt)
	start := time.Now()
	h.until(20*time.Second, "timeout", hasDiagnostic(DiagTimeout))
	if d := diagnostics(h.records, DiagTimeout)[0]; d.Severity != SeverityError {
		t.Errorf("diagnostic = %+v", d)
	}
	if elapsed := time.Since(start); elapsed > 15*time.Second {
		t.Errorf("a 300 ms maxruntime took %v to enforce", elapsed)
	}
	if st, err := rt.Stats(); err != nil || st.RunsTimedOut != 1 {
		t.Errorf("stats = %+v, %v", st, err)
	}
}

// startHanging adds slow.sh with a long maxruntime and steps until its data run has written its
// pid.
func startHanging(t *testing.T) (*Runtime, *host, uint64, int) {
	t.Helper()
	pidfile := filepath.Join(t.TempDir(), "pid")
	rt := newRuntime(t, Options{ExtraEnv: map[string]string{
		"GSP_TEST_PIDFILE": pidfile, "GSP_TEST_MAXRUNTIME": "20000"}})
	id, err := rt.AddScript(script(t, "slow.sh"))
	if err != nil {
		t.Fatal(err)
	}
	h := newHost(t, rt)
	pid := 0
	h.until(10*time.Second, "pid file", func([]Record) bool {
		b, err := os.ReadFile(pidfile)
		if err == nil {
			pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		return err == nil
	})
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("script pid %d not running: %v", pid, err)
	}
	return rt, h, id, pid
}

func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s within %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitGone waits until pid no longer exists (killed and reaped).
func waitGone(t *testing.T, pid int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("script pid %d still exists after %v", pid, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRemoveKillsRun(t *testing.T) {
	rt, h, id, pid := startHanging(t)
	if err := rt.RemoveScript(id); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid, 5*time.Second)
	eventually(t, 5*time.Second, "removed run counted as killed", func() bool {
		st, err := rt.Stats()
		return err == nil && st.Scripts == 0 && st.RunsKilled == 1 && st.RunsInFlight == 0
	})
	h.step()
	if err := rt.RemoveScript(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("second RemoveScript = %v, want ErrNotFound", err)
	}
	if err := rt.Reconfigure(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("Reconfigure of removed script = %v, want ErrNotFound", err)
	}
}

func TestCloseWithRunInFlight(t *testing.T) {
	rt, _, _, pid := startHanging(t)
	start := time.Now()
	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Close took %v", elapsed)
	}
	// Close kills and reaps: the pid is gone at once, not even a zombie.
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("script pid %d survived Close", pid)
	}
}

// A Runtime dropped without Close is closed by its finalizer, killing its scripts.
func TestFinalizerClosesLeakedRuntime(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "pid")
	cmd := script(t, "slow.sh")
	func() {
		rt, err := New(Options{ConfigTimeout: 10 * time.Second, ExtraEnv: map[string]string{
			"GSP_TEST_PIDFILE": pidfile, "GSP_TEST_MAXRUNTIME": "20000"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rt.AddScript(cmd); err != nil {
			t.Fatal(err)
		}
		h := newHost(t, rt)
		h.until(10*time.Second, "pid file", func([]Record) bool {
			_, err := os.Stat(pidfile)
			return err == nil
		})
	}()
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "finalized", func() bool {
		runtime.GC()
		return syscall.Kill(pid, 0) != nil
	})
}

func TestCloseIdempotentAndErrClosed(t *testing.T) {
	rt, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := rt.AddScript(script(t, "dims.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := rt.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	_, errAdd := rt.AddScript(script(t, "dims.sh"))
	_, errWait := rt.Wait(context.Background())
	_, errDrain := rt.DrainAll()
	_, errStats := rt.Stats()
	_, errScriptStats := rt.ScriptStats(id)
	for name, err := range map[string]error{
		"AddScript": errAdd, "RemoveScript": rt.RemoveScript(id), "Reconfigure": rt.Reconfigure(id),
		"Tick": rt.Tick(time.Now()), "Wait": errWait, "Drain": errDrain, "Stats": errStats, "ScriptStats": errScriptStats,
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}

func TestCloseRacingCalls(t *testing.T) {
	rt, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.AddScript(script(t, "dims.sh")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(0); ; i++ {
				err := rt.Tick(time.UnixMilli(i * 1000))
				if err == nil {
					_, err = rt.Wait(context.Background()) // returns on records or Close
				}
				if err == nil {
					_, err = rt.DrainAll()
				}
				if err == nil {
					_, err = rt.Stats()
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	closed := make(chan struct{})
	go func() { rt.Close(); close(closed) }()
	rt.Close() // concurrently with the other Close
	<-closed
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("call racing Close: %v", err)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	rt := newRuntime(t, Options{})
	cmd := script(t, "dims.sh")
	var clock atomic.Int64
	clock.Store(1_700_000_000_000)
	var samples, configs atomic.Int64
	// About 2 s, longer only if a slow machine has not produced a sample yet.
	start := time.Now()
	running := func() bool {
		elapsed := time.Since(start)
		return elapsed < 2*time.Second || samples.Load() == 0 && elapsed < 20*time.Second
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var ids []uint64
			for i := 0; running(); i++ {
				if i%10 == 0 {
					id, err := rt.AddScript(cmd)
					if err != nil {
						t.Errorf("AddScript: %v", err)
						return
					}
					ids = append(ids, id)
				}
				if g%2 == 1 && len(ids) > 2 {
					if err := rt.RemoveScript(ids[0]); err != nil {
						t.Errorf("RemoveScript: %v", err)
					}
					ids = ids[1:]
				}
				if g == 0 && i%25 == 0 {
					if err := rt.Reconfigure(ids[len(ids)-1]); err != nil {
						t.Errorf("Reconfigure: %v", err)
					}
				}
				if err := rt.Tick(time.UnixMilli(clock.Add(1000))); err != nil {
					t.Errorf("Tick: %v", err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				rt.Wait(ctx)
				cancel()
				_, err := rt.Drain(func(r Record) error {
					switch r.(type) {
					case *MetricSample:
						samples.Add(1)
					case *ScriptConfig:
						configs.Add(1)
					}
					return nil
				})
				if err != nil {
					t.Errorf("Drain: %v", err)
				}
				if _, err := rt.Stats(); err != nil {
					t.Errorf("Stats: %v", err)
				}
				if _, err := rt.ScriptStats(ids[len(ids)-1]); err != nil {
					t.Errorf("ScriptStats: %v", err)
				}
			}
		}(g)
	}
	wg.Wait()
	st, err := rt.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if configs.Load() == 0 || samples.Load() == 0 || st.Scripts == 0 || st.RecordsDropped != 0 {
		t.Errorf("configs %d, samples %d, stats %+v", configs.Load(), samples.Load(), st)
	}
}

// waitPending ticks without draining until at least n records are pending. It sleeps between
// ticks: once records are pending Wait returns at once, and a fake clock racing ahead of the
// scripts would make runs due again while they are still going.
func (h *host) waitPending(n int) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := h.rt.Tick(h.now); err != nil {
			h.t.Fatal(err)
		}
		h.now = h.now.Add(time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		got, _ := h.rt.Wait(ctx)
		cancel()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%d records pending, want %d", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dims.sh yields a configuration, two metrics, an event and a diagnostic.
const dimsRecords = 5

func TestDrainCallbackPanic(t *testing.T) {
	rt := newRuntime(t, Options{})
	if _, err := rt.AddScript(script(t, "dims.sh")); err != nil {
		t.Fatal(err)
	}
	h := newHost(t, rt)
	h.waitPending(dimsRecords)
	var seen []Record
	n, err := rt.Drain(func(r Record) error {
		seen = append(seen, r)
		panic("boom")
	})
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "boom" || n != 1 || len(seen) != 1 {
		t.Fatalf("Drain = %d, %v; want 1 and a PanicError", n, err)
	}
	// Records gsp handed over in the same batch are kept for the next Drain, in order.
	rest, err := rt.DrainAll()
	if err != nil {
		t.Fatal(err)
	}
	all := append(seen, rest...)
	kinds := make([]string, len(all))
	for i, r := range all {
		kinds[i] = fmt.Sprintf("%T", r)
	}
	want := "[*gsp.ScriptConfig *gsp.MetricSample *gsp.MetricSample *gsp.Event *gsp.Diagnostic]"
	if got := fmt.Sprint(kinds); got != want {
		t.Errorf("records after a panic: %s, want %s%s", got, want, dump(all))
	}
}

func TestDrainCallbackError(t *testing.T) {
	rt := newRuntime(t, Options{})
	if _, err := rt.AddScript(script(t, "dims.sh")); err != nil {
		t.Fatal(err)
	}
	h := newHost(t, rt)
	h.waitPending(dimsRecords)
	stop := errors.New("stop")
	calls := 0
	n, err := rt.Drain(func(Record) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 || calls != 2 {
		t.Fatalf("Drain = %d, %v after %d calls; want 2, stop", n, err, calls)
	}
	if pending, err := rt.pending(0); err != nil || pending != dimsRecords-2 {
		t.Errorf("pending after the error = %d, %v", pending, err)
	}
	rest, err := rt.DrainAll()
	if err != nil || len(rest) != dimsRecords-2 {
		t.Errorf("DrainAll = %d records, %v", len(rest), err)
	}
}

// The callback may call back into the runtime: nested Drain, Reconfigure and Close.
func TestDrainCallbackReentry(t *testing.T) {
	rt := newRuntime(t, Options{})
	id, err := rt.AddScript(script(t, "dims.sh"))
	if err != nil {
		t.Fatal(err)
	}
	h := newHost(t, rt)
	h.waitPending(dimsRecords)
	var outer, inner int
	_, err = rt.Drain(func(Record) error {
		outer++
		if outer == 1 {
			n, err := rt.Drain(func(Record) error { inner++; return nil })
			if err != nil || n != dimsRecords-1 {
				t.Errorf("nested Drain = %d, %v", n, err)
			}
			return rt.Reconfigure(id)
		}
		return nil
	})
	if err != nil || outer != 1 || inner != dimsRecords-1 {
		t.Fatalf("Drain: %v; outer %d, inner %d", err, outer, inner)
	}
	// The reconfiguration runs at the next tick.
	h.until(10*time.Second, "new config", func(recs []Record) bool { return len(recs) > 0 })
	if _, ok := h.records[0].(*ScriptConfig); !ok {
		t.Fatalf("after Reconfigure: %s", dump(h.records))
	}

	h.waitPending(1)
	n, err := rt.Drain(func(Record) error { return rt.Close() })
	if n != 1 || err != nil {
		t.Errorf("Drain closing the runtime = %d, %v", n, err)
	}
	if err := rt.Tick(time.Now()); !errors.Is(err, ErrClosed) {
		t.Errorf("Tick after Close from a callback = %v", err)
	}
}

func TestArgumentErrors(t *testing.T) {
	for name, opts := range map[string]Options{
		"negative":     {QueueCapacity: -1},
		"too many":     {WorkerThreads: 1000}, // gsp allows 1..64
		"env key":      {ExtraEnv: map[string]string{"A=B": "c"}},
		"env NUL":      {ExtraEnv: map[string]string{"A": "b\x00"}},
		"huge timeout": {ConfigTimeout: 1 << 62},
	} {
		if rt, err := New(opts); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("New(%s) = %v, want ErrInvalidArgument", name, err)
			if rt != nil {
				rt.Close()
			}
		}
	}
	rt := newRuntime(t, Options{WorkerThreads: 1, MinPeriod: time.Minute, KillGrace: time.Millisecond})
	for _, cmd := range []string{"", "   ", "'unclosed", "a\x00b"} {
		if _, err := rt.AddScript(cmd); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("AddScript(%q) = %v, want ErrInvalidArgument", cmd, err)
		}
	}
	if err := rt.RemoveScript(12345); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "NOT_FOUND") {
		t.Errorf("RemoveScript(unknown) = %v", err)
	}
	if _, err := rt.Drain(nil); !errors.Is(err, ErrNullArgument) {
		t.Errorf("Drain(nil) = %v", err)
	}
	if Version() == "" {
		t.Error("empty Version")
	}
}

func TestEnumStrings(t *testing.T) {
	for got, want := range map[fmt.Stringer]string{
		DiagTimeout: "TIMEOUT", DiagStderr: "STDERR", DiagnosticKind(99): "DiagnosticKind(99)",
		SeverityWarning: "WARNING", CalctypeDifference: "Difference", DatatypeCounter: "COUNTER",
		ScopeApplication: "APPLICATION",
	} {
		if got.String() != want {
			t.Errorf("%#v.String() = %q, want %q", got, got.String(), want)
		}
	}
}

func TestContainmentOptions(t *testing.T) {
	t.Setenv("GSP_GO_ALLOWED", "yes")
	t.Setenv("GSP_GO_HIDDEN", "yes")
	dir := t.TempDir()
	rt := newRuntime(t, Options{
		EnvMode:    EnvAllowlist,
		EnvAllow:   []string{"GSP_GO_ALLOWED", "PATH"},
		WorkingDir: dir,
		Nice:       5,
		Splay:      false,
	})
	if _, err := rt.AddScript(script(t, "probe.sh")); err != nil {
		t.Fatal(err)
	}
	h := newHost(t, rt)
	h.until(20*time.Second, "probe values", func(recs []Record) bool { return len(metrics(recs, 1)) >= 4 })
	got := map[string]string{}
	for _, m := range metrics(h.records, 1) {
		got[m.Dimensions[0].Value] = m.Dimensions[1].Value
	}
	want := map[string]string{"cwd": dir, "allowed": "yes", "hidden": "unset", "nice": "5"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if _, err := New(Options{WorkingDir: "/nonexistent/gsp-go"}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("a missing working directory: got %v, want ErrInvalidArgument", err)
	} else if !strings.Contains(err.Error(), "`/nonexistent/gsp-go` is not a directory") {
		t.Errorf("the error does not say why (gsp_last_error_message): %v", err)
	}
}

func TestRunNow(t *testing.T) {
	rt := newRuntime(t, Options{})
	id, err := rt.AddScript(script(t, "probe.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := rt.RunNow(id); ok || err != nil {
		t.Fatalf("RunNow before configuration = %v, %v; want false, nil", ok, err)
	}
	h := newHost(t, rt)
	h.until(20*time.Second, "a first data run", hasMetric(1))
	first := len(metrics(h.records, 1))
	if ok, err := rt.RunNow(id); !ok || err != nil {
		t.Fatalf("RunNow = %v, %v; want true, nil", ok, err)
	}
	// Only RunNow can make this run due before the 60 s period has passed on the host clock.
	before := h.now
	h.until(20*time.Second, "a second data run", func(recs []Record) bool { return len(metrics(recs, 1)) > first })
	if elapsed := h.now.Sub(before); elapsed >= 60*time.Second {
		t.Errorf("the second run came %v of host time later: the period, not RunNow, started it", elapsed)
	}
	if _, err := rt.RunNow(999); !errors.Is(err, ErrNotFound) {
		t.Errorf("RunNow(999) = %v, want ErrNotFound", err)
	}
}

// drainFresh drains on a new goroutine, below depth frames of recursion. Its stack starts small
// and grows when a call needs more; Go's stack copier then checks every pointer in the frames
// being copied. Varying depth moves that growth across the record-copying code, so some drain
// grows the stack while a C array pointer is live in a frame.
func drainFresh(t *testing.T, rt *Runtime, depth int) []Record {
	t.Helper()
	var recs []Record
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		atDepth(depth, func() { recs, err = rt.DrainAll() })
	}()
	<-done
	if err != nil {
		t.Fatalf("DrainAll: %v", err)
	}
	return recs
}

// atDepth calls f below n frames of recursion.
//
//go:noinline
func atDepth(n int, f func()) {
	if n == 0 {
		f()
		return
	}
	atDepth(n-1, f)
}

// Empty arrays cross the C ABI as NULL with count 0. A dangling non-NULL pointer (0x8 from an
// empty Rust Vec) crashed the Go runtime with "bad pointer in frame" when a drain on a fresh
// goroutine grew its stack while copying it. For every stack depth in a range that moves the
// goroutine's 8, 16 and 32 KiB limits across the copying code, a drain on a fresh goroutine
// copies configurations without events and with metrics without dimensions, then a drain at
// the same depth copies their data: samples without dimensions, an event without attributes.
func TestEmptyArraysOnFreshGoroutines(t *testing.T) {
	rt := newRuntime(t, Options{})
	empty, err := rt.AddScript(script(t, "empty_arrays.sh"))
	if err != nil {
		t.Fatal(err)
	}
	noAttrs, err := rt.AddScript(script(t, "no_attributes.sh"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0) // constant: data runs follow each configuration only
	// collect ticks and drains at depth until want(records) holds.
	collect := func(depth int, what string, want func([]Record) bool) []Record {
		var recs []Record
		deadline := time.Now().Add(30 * time.Second)
		if err := rt.Tick(now); err != nil {
			t.Fatal(err)
		}
		for !want(recs) {
			if time.Now().After(deadline) {
				t.Fatalf("depth %d: no %s within 30 s: %s", depth, what, dump(recs))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			_, _ = rt.Wait(ctx)
			cancel()
			recs = append(recs, drainFresh(t, rt, depth)...)
		}
		return recs
	}
	count := func(recs []Record, match func(Record) bool) int {
		n := 0
		for _, r := range recs {
			if match(r) {
				n++
			}
		}
		return n
	}
	isConfig := func(r Record) bool { _, ok := r.(*ScriptConfig); return ok }
	isData := func(r Record) bool {
		switch r.(type) {
		case *MetricSample, *Event:
			return true
		}
		return false
	}
	for depth := 0; depth < 1100; depth++ {
		if depth > 0 {
			for _, id := range []uint64{empty, noAttrs} {
				if err := rt.Reconfigure(id); err != nil {
					t.Fatal(err)
				}
			}
		}
		recs := collect(depth, "configurations", func(r []Record) bool { return count(r, isConfig) == 2 })
		recs = append(recs, collect(depth, "data", func(r []Record) bool { return count(r, isData) == 22 })...)
		for _, r := range recs {
			switch r := r.(type) {
			case *ScriptConfig:
				for _, m := range r.Metrics {
					if m.Dimensions != nil {
						t.Fatalf("metric %d declares no dimensions, got %+v", m.ID, m.Dimensions)
					}
				}
				for _, e := range r.Events {
					if e.Attributes != nil {
						t.Fatalf("event %d declares no attributes, got %+v", e.ID, e.Attributes)
					}
				}
				if r.ScriptID == empty && (len(r.Metrics) != 20 || r.Events != nil) {
					t.Fatalf("empty_arrays.sh: got %d metrics, events %+v", len(r.Metrics), r.Events)
				}
			case *MetricSample:
				if r.Dimensions != nil {
					t.Fatalf("sample of metric %d has no dimension values, got %+v", r.MetricID, r.Dimensions)
				}
			case *Event:
				if r.AttributesJSON != "{}" {
					t.Fatalf("event attributes: got %q, want {}", r.AttributesJSON)
				}
			case *Diagnostic:
				t.Fatalf("unexpected diagnostic: %v", r)
			}
		}
	}
}

// The package example (the README's) run many times, each time on a fresh goroutine: its
// configuration has no events, which crashed 4 runs in 5 while empty arrays were 0x8.
func TestExampleManyTimes(t *testing.T) {
	for i := 0; i < 20; i++ {
		rt := newRuntime(t, Options{})
		if _, err := rt.AddScript(script(t, "example.sh")); err != nil {
			t.Fatal(err)
		}
		h := newHost(t, rt)
		deadline := time.Now().Add(time.Minute)
		for len(metrics(h.records, 1)) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("run %d: no metric within a minute: %s", i, dump(h.records))
			}
			if err := rt.Tick(h.now); err != nil {
				t.Fatal(err)
			}
			h.now = h.now.Add(time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			_, _ = rt.Wait(ctx)
			cancel()
			h.records = append(h.records, drainFresh(t, rt, 13*i%256)...)
		}
		if got := metrics(h.records, 1)[0]; got.Value != 42.5 || len(got.Dimensions) != 1 {
			t.Fatalf("run %d: got %+v", i, got)
		}
		rt.Close()
	}
}
