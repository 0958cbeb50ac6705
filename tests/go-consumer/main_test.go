// The consumer module of tests/bindings-go.sh: built outside the repository against
// github.com/gsp-project/gsp/bindings/go from the module cache, next to the README's example
// (main.go, copied from bindings/go/README.md by the test).
package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	gsp "github.com/gsp-project/gsp/bindings/go"
)

// A configuration without events and with 20 metrics without dimensions; samples without them.
const emptyArrays = `#!/bin/sh
if [ "$1" = "-c" ]; then
  printf '{"period": 60, "maxruntime": 5000, "metrics": ['
  for i in $(seq 1 19); do printf '{"id": %d, "name": "M%d", "datatype": "GAUGE"}, ' "$i" "$i"; done
  printf '{"id": 20, "name": "M20", "datatype": "GAUGE", "dimensions": []}]}\n'
  exit 0
fi
for i in $(seq 1 20); do echo "M$i $i"; done
`

//go:noinline
func atDepth(n int, f func()) {
	if n == 0 {
		f()
		return
	}
	atDepth(n-1, f)
}

// Each drain runs on a fresh goroutine below depth frames, so that its stack grows somewhere in
// the copying code (two sweeps of depths); a non-NULL empty array (issue 11) then crashes the process.
func TestEmptyArraysOnFreshGoroutines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.sh")
	if err := os.WriteFile(path, []byte(emptyArrays), 0o755); err != nil {
		t.Fatal(err)
	}
	rt, err := gsp.New(gsp.Options{ConfigTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	id, err := rt.AddScript(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := 0; i < 2200; i++ {
		depth := i % 1100
		if i > 0 {
			if err := rt.Reconfigure(id); err != nil {
				t.Fatal(err)
			}
		}
		configs, samples := 0, 0
		deadline := time.Now().Add(30 * time.Second)
		for configs == 0 || samples < 20 {
			if time.Now().After(deadline) {
				t.Fatalf("depth %d: %d configurations and %d samples after 30 s", depth, configs, samples)
			}
			if err := rt.Tick(now); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			_, _ = rt.Wait(ctx)
			cancel()
			var recs []gsp.Record
			done := make(chan struct{})
			go func() {
				defer close(done)
				atDepth(depth, func() { recs, err = rt.DrainAll() })
			}()
			<-done
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				switch r := r.(type) {
				case *gsp.ScriptConfig:
					configs++
					if len(r.Metrics) != 20 || r.Events != nil || r.Metrics[0].Dimensions != nil {
						t.Fatalf("configuration: %+v", r)
					}
				case *gsp.MetricSample:
					samples++
					if r.Dimensions != nil {
						t.Fatalf("sample: %+v", r)
					}
				case *gsp.Diagnostic:
					t.Fatalf("diagnostic: %v", r)
				}
			}
		}
	}
}
