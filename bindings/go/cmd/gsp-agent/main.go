// Command gsp-agent is a minimal monitoring agent on the gsp Go binding: it runs the scripts
// given as arguments every period and prints their records, one per line.
//
//	gsp-agent [-once] [-timeout 30s] 'SCRIPT [ARGS]'...
//
// With -once it exits after every script has delivered its first data run (or failed), with
// status 1 if -timeout passes first.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	gsp "github.com/gsp-project/gsp/bindings/go"
)

func main() {
	once := flag.Bool("once", false, "exit after each script's first data run")
	timeout := flag.Duration("timeout", 0, "give up after this long (0: never)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [-once] [-timeout D] 'SCRIPT [ARGS]'...\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Args(), *once, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "gsp-agent:", err)
		os.Exit(1)
	}
}

func run(scripts []string, once bool, timeout time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	rt, err := gsp.New(gsp.Options{})
	if err != nil {
		return err
	}
	defer rt.Close()
	// Scripts still waiting for their first data run (or failure), for -once.
	waiting := map[uint64]bool{}
	configured := map[uint64]bool{}
	for _, s := range scripts {
		id, err := rt.AddScript(s)
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		waiting[id] = true
	}
	for {
		if err := rt.Tick(time.Now()); err != nil {
			return err
		}
		// Tick about once a second; Wait returns early when records arrive.
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := rt.Wait(wctx)
		cancel()
		if ctx.Err() != nil {
			if once {
				return fmt.Errorf("%d script(s) had no data run: %w", len(waiting), ctx.Err())
			}
			return nil
		}
		if err != nil && wctx.Err() == nil {
			return err
		}
		// A run's records are queued together, so one Drain sees all of them.
		_, err = rt.Drain(func(r gsp.Record) error {
			fmt.Println(format(r))
			id := r.Script()
			switch r := r.(type) {
			case *gsp.ScriptConfig:
				configured[id] = true
			case *gsp.Diagnostic:
				if r.Severity == gsp.SeverityError || configured[id] {
					delete(waiting, id)
				}
			default:
				delete(waiting, id)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if once && len(waiting) == 0 {
			return nil
		}
	}
}

func format(r gsp.Record) string {
	switch r := r.(type) {
	case *gsp.ScriptConfig:
		return fmt.Sprintf("CONFIG script=%d period=%v maxruntime=%v metrics=%d events=%d",
			r.ScriptID, r.Period, r.MaxRuntime, len(r.Metrics), len(r.Events))
	case *gsp.MetricSample:
		dims := make([]string, len(r.Dimensions))
		for i, d := range r.Dimensions {
			dims[i] = d.Name + "=" + d.Value
		}
		return strings.TrimSpace(fmt.Sprintf("METRIC script=%d id=%d name=%q value=%g %s",
			r.ScriptID, r.MetricID, r.Name, r.Value, strings.Join(dims, " ")))
	case *gsp.Event:
		return fmt.Sprintf("EVENT script=%d id=%d name=%q message=%q attributes=%s",
			r.ScriptID, r.EventID, r.Name, r.Message, r.AttributesJSON)
	case *gsp.Diagnostic:
		return fmt.Sprintf("DIAGNOSTIC script=%d %s", r.ScriptID, r)
	}
	return fmt.Sprintf("%T", r)
}
