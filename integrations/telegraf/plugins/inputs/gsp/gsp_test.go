package gsp

import (
	"testing"

	gspapi "github.com/gsp-project/gsp/bindings/go"
)

func TestNamesMatchTheExecdBridge(t *testing.T) {
	c := &gspapi.ScriptConfig{Metrics: []gspapi.MetricDef{
		{ID: 1, Name: "Disk used", Datatype: gspapi.DatatypeGauge,
			Dimensions: []gspapi.DimensionDef{{ID: 1, Name: "Mount point"}, {ID: 2, Name: "script"}}},
		{ID: 2, Name: "Requests", Datatype: gspapi.DatatypeCounter},
		{ID: 3, Name: "Requests", Datatype: gspapi.DatatypeCounter, Calctype: gspapi.CalctypeDifference},
		{ID: -4, Name: "%%", Dimensions: []gspapi.DimensionDef{{ID: 1, Name: ""}, {ID: 2, Name: "1st"}}},
	}}
	n := names(c)
	check := func(id int64, measurement string, counter bool, tags map[int64]string) {
		t.Helper()
		got := n[id]
		if got.measurement != measurement || got.counter != counter || len(got.tags) != len(tags) {
			t.Fatalf("metric %d: got %+v, want %s counter=%v tags=%v", id, got, measurement, counter, tags)
		}
		for k, v := range tags {
			if got.tags[k] != v {
				t.Fatalf("metric %d dimension %d: tag %q, want %q", id, k, got.tags[k], v)
			}
		}
	}
	check(1, "gsp_disk_used", false, map[int64]string{1: "mount_point", 2: "script_2"})
	check(2, "gsp_requests_2", true, nil)
	check(3, "gsp_requests_3", false, nil)
	check(-4, "gsp_metric_n4", false, map[int64]string{1: "dim_1", 2: "dim_1st"})
	if s := snake("bytesIn/s (eth0) Température"); s != "bytes_in_s_eth0_temp_rature" {
		t.Fatalf("snake: %q", s)
	}
}
