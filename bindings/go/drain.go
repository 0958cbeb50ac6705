package gsp

/*
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
	"runtime/cgo"
	"time"
)

// drainBatch bounds how many records one gsp_drain call copies into Go memory; records copied
// out but not yet passed to a callback (after a callback error) wait in the stash.
const drainBatch = 256

// waitSlice bounds one gsp_wait call, so Wait notices a cancelled context and Close never waits
// long for a Wait in progress.
const waitSlice = 100 * time.Millisecond

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
	var n C.size_t
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if err := r.do("wait", func(c *C.gsp_runtime) C.gsp_status { return C.gsp_wait(c, C.uint32_t(ms), &n) }); err != nil {
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
	st := &drainState{records: make([]Record, 0, 16)}
	h := cgo.NewHandle(st)
	defer h.Delete()
	var delivered C.size_t
	err := r.do("drain", func(c *C.gsp_runtime) C.gsp_status {
		return C.gsp_go_drain(c, C.uintptr_t(h), drainBatch, &delivered)
	})
	r.stash = st.records
	if st.err != nil {
		return st.err
	}
	return err
}
