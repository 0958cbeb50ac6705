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
*/
import "C"

import (
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Version returns the version of the linked libgsp, e.g. "0.1.0".
func Version() string { return C.GoString(C.gsp_version()) }

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
	copts, err := opts.toC()
	if err != nil {
		return nil, err
	}
	defer copts.free() // gsp_runtime_new copies every string
	var c *C.gsp_runtime
	if err := cCall("new runtime", func() C.gsp_status { return C.gsp_runtime_new(&copts.c, &c) }); err != nil {
		return nil, err
	}
	r := &Runtime{c: c, freed: make(chan struct{})}
	// A safety net only. Close blocks for up to about a second, so it runs on its own goroutine
	// rather than holding up the finalizer goroutine.
	runtime.SetFinalizer(r, func(r *Runtime) { go r.Close() })
	return r, nil
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

// do makes the C call f on the runtime, between acquire and release, and returns its error as
// cCall does (ErrClosed once Close has begun).
func (r *Runtime) do(op string, f func(c *C.gsp_runtime) C.gsp_status) error {
	c, err := r.acquire()
	if err != nil {
		return err
	}
	defer r.release()
	return cCall(op, func() C.gsp_status { return f(c) })
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
	cs := C.CString(cmdline)
	defer C.free(unsafe.Pointer(cs))
	var id C.uint64_t
	if err := r.do("add script", func(c *C.gsp_runtime) C.gsp_status { return C.gsp_script_add(c, cs, &id) }); err != nil {
		return 0, err
	}
	return uint64(id), nil
}

// RemoveScript unregisters a script and kills its running process group, if any. Records
// already queued stay queued. ErrNotFound for an unknown id.
func (r *Runtime) RemoveScript(id uint64) error {
	return r.do("remove script", func(c *C.gsp_runtime) C.gsp_status { return C.gsp_script_remove(c, C.uint64_t(id)) })
}

// Reconfigure runs the script's configuration mode again at the next Tick; data runs pause
// until it succeeds. ErrNotFound for an unknown id.
func (r *Runtime) Reconfigure(id uint64) error {
	return r.do("reconfigure script", func(c *C.gsp_runtime) C.gsp_status { return C.gsp_script_reconfigure(c, C.uint64_t(id)) })
}

// RunNow makes the script's next data run due at the next Tick, whatever its period. It reports
// false (changing nothing) while the script has no configuration or a run is in flight.
func (r *Runtime) RunNow(id uint64) (bool, error) {
	var scheduled C.uint32_t
	if err := r.do("run script now", func(c *C.gsp_runtime) C.gsp_status { return C.gsp_script_run_now(c, C.uint64_t(id), &scheduled) }); err != nil {
		return false, err
	}
	return scheduled != 0, nil
}

// Tick starts every run due at the host's time now (millisecond resolution; any clock, normally
// time.Now()). It does not block on scripts. Call it regularly, e.g. every second.
func (r *Runtime) Tick(now time.Time) error {
	return r.do("tick", func(c *C.gsp_runtime) C.gsp_status { return C.gsp_tick(c, C.int64_t(now.UnixMilli())) })
}
