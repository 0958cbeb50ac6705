package gsp

/*
#include "gsp.h"
*/
import "C"

import (
	"math"
	"time"
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
	var s C.gsp_script_stats
	s.struct_size = C.sizeof_gsp_script_stats
	if err := r.do("script stats", func(c *C.gsp_runtime) C.gsp_status { return C.gsp_script_stats_get(c, C.uint64_t(id), &s) }); err != nil {
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
	var s C.gsp_stats
	s.struct_size = C.sizeof_gsp_stats
	if err := r.do("stats", func(c *C.gsp_runtime) C.gsp_status { return C.gsp_stats_get(c, &s) }); err != nil {
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
