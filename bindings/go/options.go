package gsp

/*
#include <stdlib.h>
#include "gsp.h"
*/
import "C"

import (
	"math"
	"sort"
	"strings"
	"time"
	"unsafe"
)

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

// cOptions is a gsp_options for gsp_runtime_new and the C memory its pointers point to (c is
// passed to C, so it may not point to Go memory). gsp_runtime_new copies every string, so
// free may run as soon as it returns.
type cOptions struct {
	c       C.gsp_options
	strings []*C.char   // C strings, for free
	arrays  [][]*C.char // NULL-terminated C arrays, for freeArray
}

// toC returns gsp's defaults overridden by the non-zero fields of o, or the first field out of
// range. The caller frees the result.
func (o Options) toC() (*cOptions, error) {
	co := &cOptions{}
	if err := cCall("options", func() C.gsp_status { return C.gsp_options_init(&co.c, C.size_t(unsafe.Sizeof(co.c))) }); err != nil {
		return nil, err
	}
	c := &co.c
	if err := o.fillNumbers(c); err != nil {
		return nil, err
	}
	env, err := o.extraEnv()
	if err != nil {
		return nil, err
	}
	if env != nil {
		c.extra_env = co.array(env)
	}
	c.run_as_user = co.string(o.RunAsUser)
	c.run_as_group = co.string(o.RunAsGroup)
	c.working_dir = co.string(o.WorkingDir)
	c.cgroup_dir = co.string(o.CgroupDir)
	c.env_mode = C.uint32_t(o.EnvMode)
	if len(o.EnvAllow) > 0 {
		c.env_allow = co.array(o.EnvAllow)
	}
	c.rlimit_cpu_s = C.uint64_t(o.RlimitCPU)
	c.rlimit_as_bytes = C.uint64_t(o.RlimitAS)
	c.rlimit_nofile = C.uint64_t(o.RlimitNofile)
	c.rlimit_nproc = C.uint64_t(o.RlimitNproc)
	c.nice = C.int32_t(o.Nice)
	if o.RefuseRoot {
		c.refuse_root = 1
	}
	if o.Splay {
		c.splay = 1
	}
	c.max_difference_series = C.uint64_t(o.MaxDifferenceSeries)
	return co, nil
}

// string returns s as a C string freed with co (NULL for "": gsp's default).
func (co *cOptions) string(s string) *C.char {
	if s == "" {
		return nil
	}
	p := C.CString(s)
	co.strings = append(co.strings, p)
	return p
}

// array returns items as a NULL-terminated C array freed with co.
func (co *cOptions) array(items []string) **C.char {
	arr := cArray(items)
	co.arrays = append(co.arrays, arr)
	return &arr[0]
}

func (co *cOptions) free() {
	for _, p := range co.strings {
		C.free(unsafe.Pointer(p))
	}
	for _, arr := range co.arrays {
		freeArray(arr)
	}
	co.strings, co.arrays = nil, nil
}

// fillNumbers overrides the defaults in c with the non-zero counts and durations of o.
func (o Options) fillNumbers(c *C.gsp_options) error {
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
			return invalid(op, f.name+" out of range")
		}
		if f.v != 0 {
			*f.dst = C.uint32_t(f.v)
		}
	}
	if o.MaxStdoutBytes < 0 {
		return invalid(op, "MaxStdoutBytes is negative")
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
			return invalid(op, f.name+" out of range")
		}
		if n != 0 {
			*f.dst = C.uint32_t(n)
		}
	}
	return nil
}

// extraEnv returns o.ExtraEnv as NAME=VALUE entries sorted by name (nil when empty), or the
// first entry C cannot hold.
func (o Options) extraEnv() ([]string, error) {
	if len(o.ExtraEnv) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(o.ExtraEnv))
	for k, v := range o.ExtraEnv {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			return nil, invalid("new runtime", "bad ExtraEnv entry "+k)
		}
		names = append(names, k)
	}
	sort.Strings(names) // deterministic order for the scripts' environment
	entries := make([]string, len(names))
	for i, k := range names {
		entries[i] = k + "=" + o.ExtraEnv[k]
	}
	return entries, nil
}

// cArray copies strings into a NULL-terminated C array for freeArray.
func cArray(items []string) []*C.char {
	size := C.size_t(len(items)+1) * C.size_t(unsafe.Sizeof((*C.char)(nil)))
	arr := unsafe.Slice((**C.char)(C.calloc(1, size)), len(items)+1)
	for i, s := range items {
		arr[i] = C.CString(s)
	}
	return arr
}

func freeArray(arr []*C.char) {
	for _, p := range arr {
		C.free(unsafe.Pointer(p))
	}
	C.free(unsafe.Pointer(&arr[0]))
}
