package gsp

/*
#include "gsp.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
)

// Status is a gsp_status value other than GSP_STATUS_OK. Errors returned by this package wrap
// a Status (or are ErrClosed), so errors.Is(err, ErrNotFound) works.
type Status uint32

// Error returns gsp's static description of the status.
func (s Status) Error() string { return C.GoString(C.gsp_status_str(C.uint32_t(s))) }

// The statuses gsp functions return, as errors.
var (
	ErrNullArgument    error = Status(C.GSP_STATUS_NULL_ARGUMENT)
	ErrInvalidArgument error = Status(C.GSP_STATUS_INVALID_ARGUMENT)
	ErrNotFound        error = Status(C.GSP_STATUS_NOT_FOUND)
	ErrBusy            error = Status(C.GSP_STATUS_BUSY)
	ErrInternal        error = Status(C.GSP_STATUS_INTERNAL)
)

// ErrClosed is returned by every method called on a Runtime after Close.
var ErrClosed = errors.New("gsp: runtime is closed")

// cCall makes the C call f and turns its gsp_status into nil or an error naming the operation
// and, from gsp_last_error_message, why it failed. The message is per OS thread, so the
// goroutine stays on its thread from the call to the read.
func cCall(op string, f func() C.gsp_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st := f()
	if st == C.GSP_STATUS_OK {
		return nil
	}
	if why := C.GoString(C.gsp_last_error_message()); why != "" {
		return fmt.Errorf("gsp: %s: %s: %w", op, why, Status(st))
	}
	return fmt.Errorf("gsp: %s: %w", op, Status(st))
}

// invalid reports a bad argument caught on the Go side, before it reaches C.
func invalid(op, why string) error {
	return fmt.Errorf("gsp: %s: %s: %w", op, why, ErrInvalidArgument)
}
