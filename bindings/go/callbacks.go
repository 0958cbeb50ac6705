package gsp

/*
#include "gsp.h"
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
)

// gspGoRecord is the gsp_record_fn (through gsp_go_record in drain.go) for every drain. It only
// copies the record into the drainState the handle names: user code never runs inside a C
// callback, and no panic may unwind through C frames, so one is recovered and reported by
// fill after gsp_drain returns.
//
//export gspGoRecord
func gspGoRecord(handle C.uintptr_t, rec *C.gsp_record) {
	st := cgo.Handle(handle).Value().(*drainState)
	if st.err != nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			st.err = fmt.Errorf("gsp: copying a record: %v: %w", p, ErrInternal)
		}
	}()
	if r := copyRecord(rec); r != nil {
		st.records = append(st.records, r)
	}
}
