package gsp_test

import (
	"context"
	"fmt"
	"log"
	"time"

	gsp "github.com/gsp-project/gsp/bindings/go"
)

// A minimal agent: register a script, tick once a second by the real clock, block in Wait and
// handle records until the first metric arrives.
func Example() {
	rt, err := gsp.New(gsp.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close()
	if _, err := rt.AddScript("testdata/example.sh"); err != nil {
		log.Fatal(err)
	}
	done := false
	for !done {
		if err := rt.Tick(time.Now()); err != nil {
			log.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		rt.Wait(ctx) // returns early when records arrive
		cancel()
		_, err := rt.Drain(func(r gsp.Record) error {
			switch r := r.(type) {
			case *gsp.ScriptConfig:
				fmt.Printf("script %d: %d metric(s) every %v\n", r.ScriptID, len(r.Metrics), r.Period)
			case *gsp.MetricSample:
				fmt.Printf("%s[%s=%s] = %g\n", r.Name, r.Dimensions[0].Name, r.Dimensions[0].Value, r.Value)
				done = true
			case *gsp.Diagnostic:
				fmt.Println("diagnostic:", r)
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// script 1: 1 metric(s) every 1m0s
	// Temperature[sensor=cpu] = 42.5
}
