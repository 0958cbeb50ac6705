// Package gsp runs generic monitoring scripts through libgsp, the generic script plugin runtime.
//
// An agent creates a Runtime, registers script command lines with AddScript, calls Tick with its
// own clock (e.g. once a second) and collects records with Drain, optionally blocking in Wait
// first. gsp runs the scripts on its own threads; Tick never blocks on a script.
//
// Every method may be called from any goroutine at once, Close included: Close waits for calls
// in progress on other goroutines, and calls after it return ErrClosed. Drain hands records to
// its callback after copying them out of gsp, outside any C call, so the callback may call any
// method of the runtime, including Drain and Close.
package gsp

/*
#include <stdlib.h>
#include "gsp.h"

// Defined by the //export in callbacks.go.
extern void gspGoRecord(uintptr_t handle, gsp_record *record);

// Adapts gspGoRecord to gsp_record_fn. The cgo.Handle travels as user_data; passing it as an
// integer keeps Go pointers out of C.
static void gsp_go_record(void *user_data, const gsp_record *record) {
	gspGoRecord((uintptr_t)user_data, (gsp_record *)record);
}

static gsp_status gsp_go_drain(gsp_runtime *rt, uintptr_t handle, size_t max, size_t *delivered) {
	return gsp_drain(rt, gsp_go_record, (void *)handle, max, delivered);
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/cgo"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Version returns the version of the linked libgsp, e.g. "0.1.0".
func Version() string { return C.GoString(C.gsp_version()) }

// Options configure a Runtime. The zero value of each field means gsp's default.
type Options struct {
	WorkerThreads     int               // threads that spawn runs and parse output (default 2, 1..64)
	MaxConcurrentRuns int               // runs in flight at once (default 256)
	MaxStdoutBytes    int64             // stdout cap per run; a run over it is killed (default 4 MiB)
	StderrTailBytes   int               // stderr kept per run for diagnostics (default 4096)
	QueueCapacity     int               // records held until drained (default 65536)
	ConfigTimeout     time.Duration     // configuration runs are killed after this (default 1 s)
	MaxRuntime        time.Duration     // cap for, and default of, a script's maxruntime (default 50 s)
	MinPeriod         time.Duration     // lowest period a script may ask for (default 60 s)
	KillGrace         time.Duration     // between SIGTERM and SIGKILL (default 500 ms)
	ExtraEnv          map[string]string // added to the scripts' environment

	// Containment (see SECURITY.md). Zero values leave the host's settings.
	EnvMode      EnvMode  // which host variables scripts get (default EnvInherit)
	EnvAllow     []string // with EnvAllowlist: the names passed through
	WorkingDir   string   // the scripts' working directory
	RunAsUser    string   // run scripts as this user (name or uid); the host must be root
	RunAsGroup   string   // and this group (name or gid; default: the user's primary group)
	RefuseRoot   bool     // refuse to run scripts as root
	CgroupDir    string   // a writable cgroup v2 directory: one cgroup per run
	RlimitCPU    uint64   // RLIMIT_CPU per run, in seconds
	RlimitAS     uint64   // RLIMIT_AS per run, in bytes
	RlimitNofile uint64   // RLIMIT_NOFILE per run
	RlimitNproc  uint64   // RLIMIT_NPROC for the scripts' user
	Nice         int      // nice level for scripts, -20..19 (0: the host's)
	Splay        bool     // offset each script's first data run within its period

	// MaxDifferenceSeries caps the Difference series remembered per script (0: the default,
	// 20000); beyond it the series unseen longest are forgotten, with a DiagSeriesLimit.
	MaxDifferenceSeries uint64
}

// EnvMode says which of the host's environment variables scripts get (gsp_env_mode).
type EnvMode uint32

// The environment modes.
const (
	EnvInherit   EnvMode = 0 // the host's environment (as of New) plus ExtraEnv
	EnvClear     EnvMode = 1 // only ExtraEnv
	EnvAllowlist EnvMode = 2 // the variables named in EnvAllow, plus ExtraEnv
)

// Stats are counters since the runtime was created (gsp_stats).
type Stats struct {
	RunsStarted    uint64 // processes spawned
	RunsSucceeded  uint64 // runs that exited 0 with usable output
	RunsFailed     uint64 // spawn failures, non-zero exits, invalid configurations
	RunsTimedOut   uint64 // runs killed at their deadline
	RunsKilled     uint64 // runs killed for other reasons (output cap, removal)
	LinesParsed    uint64 // data lines delivered
	LinesRejected  uint64 // data lines rejected
	RecordsQueued  uint64 // records ever queued
	RecordsDropped uint64 // records dropped because the queue was full
	RunsInFlight   uint64 // runs started and not yet finished
	Scripts        uint64 // scripts registered now
}

// drainBatch bounds how many records one gsp_drain call copies into Go memory; records copied
// out but not yet passed to a callback (after a callback error) wait in the stash.
const drainBatch = 256

// waitSlice bounds one gsp_wait call, so Wait notices a cancelled context and Close never waits
// long for a Wait in progress.
const waitSlice = 100 * time.Millisecond

// Runtime is a gsp runtime. Create it with New and release it with Close; a finalizer closes a
// Runtime that becomes unreachable, but the scripts it runs are only killed when that happens,
// so call Close.
type Runtime struct {
	mu     sync.Mutex
	c      *C.gsp_runtime // nil once freed
	calls  int            // C calls on c in progress
	closed bool
	idle   chan struct{} // set by Close while calls > 0; closed by the last call to finish
	freed  chan struct{} // closed once c has been freed

	// drainMu serializes taking records; it is never held while a Drain callback runs.
	drainMu sync.Mutex
	stash   []Record // copied out of gsp, not yet handed to a callback
}

// New creates a runtime and starts its threads. The process environment is captured now; the
// scripts get it plus opts.ExtraEnv.
func New(opts Options) (*Runtime, error) {
	var copts C.gsp_options
	if err := cCall("options", func() C.gsp_status { return C.gsp_options_init(&copts, C.size_t(unsafe.Sizeof(copts))) }); err != nil {
		return nil, err
	}
	env, err := opts.fill(&copts)
	if err != nil {
		return nil, err
	}
	if env != nil {
		defer freeEnv(env)
		copts.extra_env = &env[0]
	}
	// gsp_runtime_new copies every string, so the C copies live only until it returns.
	var cstrings []*C.char
	defer func() {
		for _, p := range cstrings {
			C.free(unsafe.Pointer(p))
		}
	}()
	cstr := func(s string) *C.char {
		if s == "" {
			return nil
		}
		p := C.CString(s)
		cstrings = append(cstrings, p)
		return p
	}
	copts.run_as_user = cstr(opts.RunAsUser)
	copts.run_as_group = cstr(opts.RunAsGroup)
	copts.working_dir = cstr(opts.WorkingDir)
	copts.cgroup_dir = cstr(opts.CgroupDir)
	copts.env_mode = C.uint32_t(opts.EnvMode)
	if len(opts.EnvAllow) > 0 {
		allow := cArray(opts.EnvAllow)
		defer freeEnv(allow)
		copts.env_allow = &allow[0]
	}
	copts.rlimit_cpu_s = C.uint64_t(opts.RlimitCPU)
	copts.rlimit_as_bytes = C.uint64_t(opts.RlimitAS)
	copts.rlimit_nofile = C.uint64_t(opts.RlimitNofile)
	copts.rlimit_nproc = C.uint64_t(opts.RlimitNproc)
	copts.nice = C.int32_t(opts.Nice)
	if opts.RefuseRoot {
		copts.refuse_root = 1
	}
	if opts.Splay {
		copts.splay = 1
	}
	copts.max_difference_series = C.uint64_t(opts.MaxDifferenceSeries)
	var c *C.gsp_runtime
	if err := cCall("new runtime", func() C.gsp_status { return C.gsp_runtime_new(&copts, &c) }); err != nil {
		return nil, err
	}
	r := &Runtime{c: c, freed: make(chan struct{})}
	// A safety net only. Close blocks for up to about a second, so it runs on its own goroutine
	// rather than holding up the finalizer goroutine.
	runtime.SetFinalizer(r, func(r *Runtime) { go r.Close() })
	return r, nil
}

// fill overrides the defaults in c with the non-zero fields of o. The returned NULL-terminated
// environment array (nil when empty) is C memory for freeEnv: c is passed to C, so it may not
// point to Go memory.
func (o Options) fill(c *C.gsp_options) ([]*C.char, error) {
	const op = "new runtime"
	counts := []struct {
		name string
		v    int64
		dst  *C.uint32_t
	}{
		{"WorkerThreads", int64(o.WorkerThreads), &c.worker_threads},
		{"MaxConcurrentRuns", int64(o.MaxConcurrentRuns), &c.max_concurrent_runs},
		{"StderrTailBytes", int64(o.StderrTailBytes), &c.stderr_tail_bytes},
		{"QueueCapacity", int64(o.QueueCapacity), &c.queue_capacity},
	}
	for _, f := range counts {
		if f.v < 0 || f.v > math.MaxUint32 {
			return nil, invalid(op, f.name+" out of range")
		}
		if f.v != 0 {
			*f.dst = C.uint32_t(f.v)
		}
	}
	if o.MaxStdoutBytes < 0 {
		return nil, invalid(op, "MaxStdoutBytes is negative")
	} else if o.MaxStdoutBytes != 0 {
		c.max_stdout_bytes = C.uint64_t(o.MaxStdoutBytes)
	}
	durations := []struct {
		name string
		v    time.Duration
		unit time.Duration
		dst  *C.uint32_t
	}{
		{"ConfigTimeout", o.ConfigTimeout, time.Millisecond, &c.config_timeout_ms},
		{"MaxRuntime", o.MaxRuntime, time.Millisecond, &c.max_runtime_ms},
		{"MinPeriod", o.MinPeriod, time.Second, &c.min_period_s},
		{"KillGrace", o.KillGrace, time.Millisecond, &c.kill_grace_ms},
	}
	for _, f := range durations {
		// Round up, so that a small non-zero duration never becomes 0 in C.
		n := (f.v + f.unit - 1) / f.unit
		if f.v < 0 || n > math.MaxUint32 {
			return nil, invalid(op, f.name+" out of range")
		}
		if n != 0 {
			*f.dst = C.uint32_t(n)
		}
	}
	if len(o.ExtraEnv) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(o.ExtraEnv))
	for k, v := range o.ExtraEnv {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			return nil, invalid(op, "bad ExtraEnv entry "+k)
		}
		names = append(names, k)
	}
	sort.Strings(names) // deterministic order for the scripts' environment
	size := C.size_t(len(names)+1) * C.size_t(unsafe.Sizeof((*C.char)(nil)))
	env := unsafe.Slice((**C.char)(C.calloc(1, size)), len(names)+1)
	for i, k := range names {
		env[i] = C.CString(k + "=" + o.ExtraEnv[k])
	}
	return env, nil
}

// cArray copies strings into a NULL-terminated C array for freeEnv.
func cArray(items []string) []*C.char {
	size := C.size_t(len(items)+1) * C.size_t(unsafe.Sizeof((*C.char)(nil)))
	arr := unsafe.Slice((**C.char)(C.calloc(1, size)), len(items)+1)
	for i, s := range items {
		arr[i] = C.CString(s)
	}
	return arr
}

func freeEnv(env []*C.char) {
	for _, p := range env {
		C.free(unsafe.Pointer(p))
	}
	C.free(unsafe.Pointer(&env[0]))
}

// acquire returns the C runtime for one C call, or ErrClosed. Every acquire is paired with a
// release; Close frees the C runtime only when no call holds it.
func (r *Runtime) acquire() (*C.gsp_runtime, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	r.calls++
	return r.c, nil
}

func (r *Runtime) release() {
	r.mu.Lock()
	r.calls--
	if r.calls == 0 && r.idle != nil {
		close(r.idle)
		r.idle = nil
	}
	r.mu.Unlock()
	// The C call that preceded release used memory the finalizer would free.
	runtime.KeepAlive(r)
}

// Close kills and reaps every running script, stops gsp's threads and frees the runtime. It
// waits for C calls other goroutines have in progress (at most a Wait slice of 100 ms, since
// none blocks longer), returns within about a second after that, and may be called any number
// of times from any goroutine, including from a Drain callback.
func (r *Runtime) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		<-r.freed // a concurrent Close may still be freeing
		return nil
	}
	r.closed = true
	var idle chan struct{}
	if r.calls > 0 {
		idle = make(chan struct{})
		r.idle = idle
	}
	r.mu.Unlock()
	if idle != nil {
		<-idle
	}
	// No call is in progress and none can start, so freeing cannot race with one.
	C.gsp_runtime_free(r.c)
	r.mu.Lock()
	r.c = nil
	r.mu.Unlock()
	r.drainMu.Lock()
	r.stash = nil
	r.drainMu.Unlock()
	runtime.SetFinalizer(r, nil)
	close(r.freed)
	return nil
}

// AddScript registers a script command line, split like POSIX shell words (no shell runs;
// "-c" or "-d" is appended). Its configuration runs at the next Tick. Returns the script's id,
// never reused.
func (r *Runtime) AddScript(cmdline string) (uint64, error) {
	if strings.IndexByte(cmdline, 0) >= 0 {
		return 0, invalid("add script", "command line contains NUL")
	}
	c, err := r.acquire()
	if err != nil {
		return 0, err
	}
	defer r.release()
	cs := C.CString(cmdline)
	defer C.free(unsafe.Pointer(cs))
	var id C.uint64_t
	if err := cCall("add script", func() C.gsp_status { return C.gsp_script_add(c, cs, &id) }); err != nil {
		return 0, err
	}
	return uint64(id), nil
}

// RemoveScript unregisters a script and kills its running process group, if any. Records
// already queued stay queued. ErrNotFound for an unknown id.
func (r *Runtime) RemoveScript(id uint64) error {
	c, err := r.acquire()
	if err != nil {
		return err
	}
	defer r.release()
	return cCall("remove script", func() C.gsp_status { return C.gsp_script_remove(c, C.uint64_t(id)) })
}

// Reconfigure runs the script's configuration mode again at the next Tick; data runs pause
// until it succeeds. ErrNotFound for an unknown id.
func (r *Runtime) Reconfigure(id uint64) error {
	c, err := r.acquire()
	if err != nil {
		return err
	}
	defer r.release()
	return cCall("reconfigure script", func() C.gsp_status { return C.gsp_script_reconfigure(c, C.uint64_t(id)) })
}

// RunNow makes the script's next data run due at the next Tick, whatever its period. It reports
// false (changing nothing) while the script has no configuration or a run is in flight.
func (r *Runtime) RunNow(id uint64) (bool, error) {
	c, err := r.acquire()
	if err != nil {
		return false, err
	}
	defer r.release()
	var scheduled C.uint32_t
	if err := cCall("run script now", func() C.gsp_status { return C.gsp_script_run_now(c, C.uint64_t(id), &scheduled) }); err != nil {
		return false, err
	}
	return scheduled != 0, nil
}

// Tick starts every run due at the host's time now (millisecond resolution; any clock, normally
// time.Now()). It does not block on scripts. Call it regularly, e.g. every second.
func (r *Runtime) Tick(now time.Time) error {
	c, err := r.acquire()
	if err != nil {
		return err
	}
	defer r.release()
	return cCall("tick", func() C.gsp_status { return C.gsp_tick(c, C.int64_t(now.UnixMilli())) })
}

// Wait blocks until records are pending or ctx is done, and returns how many are pending. When
// ctx ends first it returns 0 and ctx.Err().
func (r *Runtime) Wait(ctx context.Context) (int, error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		slice := waitSlice
		if deadline, ok := ctx.Deadline(); ok {
			slice = min(slice, max(time.Until(deadline), 0))
		}
		n, err := r.pending(slice)
		if err != nil || n > 0 {
			return n, err
		}
	}
}

// pending blocks in gsp_wait for at most d and returns the records pending, stash included.
func (r *Runtime) pending(d time.Duration) (int, error) {
	r.drainMu.Lock()
	stashed := len(r.stash)
	r.drainMu.Unlock()
	if stashed > 0 {
		d = 0
	}
	c, err := r.acquire()
	if err != nil {
		return 0, err
	}
	defer r.release()
	var n C.size_t
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if err := cCall("wait", func() C.gsp_status { return C.gsp_wait(c, C.uint32_t(ms), &n) }); err != nil {
		return 0, err
	}
	return stashed + int(n), nil
}

// Drain calls fn with the records pending when it starts, in order per script, on the calling
// goroutine, and returns how many it passed to fn. Records are copied out of gsp before fn sees
// them, so fn may keep them and may call any method of r. Concurrent Drains share the records
// between them.
//
// The first error fn returns, or a panic in fn (recovered as a *PanicError), ends the Drain and
// is returned; records not yet passed to fn stay queued for the next Drain. A Drain on a closed
// runtime returns ErrClosed; one during which the runtime is closed just stops.
func (r *Runtime) Drain(fn func(Record) error) (int, error) {
	if fn == nil {
		return 0, fmt.Errorf("gsp: drain: nil callback: %w", ErrNullArgument)
	}
	// Bounded by what is pending now, so a busy producer cannot keep Drain going forever.
	limit, err := r.pending(0)
	if err != nil {
		return 0, err
	}
	n := 0
	for n < limit {
		rec, err := r.next()
		if errors.Is(err, ErrClosed) {
			return n, nil // closed during this Drain (perhaps by fn): nothing more to deliver
		}
		if err != nil || rec == nil {
			return n, err
		}
		n++
		if err := call(fn, rec); err != nil {
			return n, err
		}
	}
	return n, nil
}

// DrainAll returns the records pending now.
func (r *Runtime) DrainAll() ([]Record, error) {
	var out []Record
	_, err := r.Drain(func(rec Record) error {
		out = append(out, rec)
		return nil
	})
	return out, err
}

func call(fn func(Record) error, rec Record) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p}
		}
	}()
	return fn(rec)
}

// PanicError is returned by Drain when its callback panicked.
type PanicError struct {
	Value any // what the callback panicked with
}

func (e *PanicError) Error() string {
	return fmt.Sprint("gsp: drain callback panicked: ", e.Value)
}

// Unwrap returns the panic value when it is an error, for errors.Is and errors.As.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// next returns the next record, copying a batch out of gsp when the stash is empty; nil when
// nothing is pending.
func (r *Runtime) next() (Record, error) {
	r.drainMu.Lock()
	defer r.drainMu.Unlock()
	if len(r.stash) == 0 {
		if err := r.fill(); err != nil {
			return nil, err
		}
		if len(r.stash) == 0 {
			return nil, nil
		}
	}
	rec := r.stash[0]
	r.stash[0] = nil
	r.stash = r.stash[1:]
	return rec, nil
}

// drainState is what the C callback appends to, found through a cgo.Handle.
type drainState struct {
	records []Record
	err     error // a panic while copying; the rest of the batch is skipped
}

// fill copies up to drainBatch records out of gsp into the stash. drainMu is held.
func (r *Runtime) fill() error {
	c, err := r.acquire()
	if err != nil {
		return err
	}
	defer r.release()
	st := &drainState{records: make([]Record, 0, 16)}
	h := cgo.NewHandle(st)
	defer h.Delete()
	var delivered C.size_t
	err = cCall("drain", func() C.gsp_status {
		return C.gsp_go_drain(c, C.uintptr_t(h), drainBatch, &delivered)
	})
	r.stash = st.records
	if st.err != nil {
		return st.err
	}
	return err
}

// ScriptStats are one script's progress and cost (gsp_script_stats).
type ScriptStats struct {
	ConfigRuns    uint64        // configuration runs finished (any outcome)
	DataRuns      uint64        // data runs finished (any outcome)
	LastDuration  time.Duration // wall time of the last finished run (0 before any)
	LastCPU       time.Duration // user plus system CPU time of the last finished run
	LastMaxRSSKiB uint64        // peak resident set size of the last finished run
	TotalCPU      time.Duration // CPU time of all finished runs
	TotalDuration time.Duration // wall time of all finished runs
	PeakRSSKiB    uint64        // the highest peak RSS of any run
	Running       bool          // a run is in flight
	Configured    bool          // a configuration is in force
}

// ScriptStats returns one script's progress and cost. ErrNotFound for an unknown id.
func (r *Runtime) ScriptStats(id uint64) (ScriptStats, error) {
	c, err := r.acquire()
	if err != nil {
		return ScriptStats{}, err
	}
	defer r.release()
	var s C.gsp_script_stats
	s.struct_size = C.sizeof_gsp_script_stats
	if err := cCall("script stats", func() C.gsp_status { return C.gsp_script_stats_get(c, C.uint64_t(id), &s) }); err != nil {
		return ScriptStats{}, err
	}
	us := func(v C.uint64_t) time.Duration {
		return time.Duration(min(uint64(v), math.MaxInt64/1000)) * time.Microsecond
	}
	return ScriptStats{
		ConfigRuns:    uint64(s.config_runs),
		DataRuns:      uint64(s.data_runs),
		LastDuration:  us(s.last_duration_us),
		LastCPU:       us(s.last_cpu_us),
		LastMaxRSSKiB: uint64(s.last_max_rss_kib),
		TotalCPU:      us(s.total_cpu_us),
		TotalDuration: us(s.total_duration_us),
		PeakRSSKiB:    uint64(s.peak_rss_kib),
		Running:       s.running != 0,
		Configured:    s.configured != 0,
	}, nil
}

// Stats returns the runtime's counters.
func (r *Runtime) Stats() (Stats, error) {
	c, err := r.acquire()
	if err != nil {
		return Stats{}, err
	}
	defer r.release()
	var s C.gsp_stats
	s.struct_size = C.sizeof_gsp_stats
	if err := cCall("stats", func() C.gsp_status { return C.gsp_stats_get(c, &s) }); err != nil {
		return Stats{}, err
	}
	return Stats{
		RunsStarted:    uint64(s.runs_started),
		RunsSucceeded:  uint64(s.runs_succeeded),
		RunsFailed:     uint64(s.runs_failed),
		RunsTimedOut:   uint64(s.runs_timed_out),
		RunsKilled:     uint64(s.runs_killed),
		LinesParsed:    uint64(s.lines_parsed),
		LinesRejected:  uint64(s.lines_rejected),
		RecordsQueued:  uint64(s.records_queued),
		RecordsDropped: uint64(s.records_dropped),
		RunsInFlight:   uint64(s.runs_in_flight),
		Scripts:        uint64(s.scripts),
	}, nil
}
