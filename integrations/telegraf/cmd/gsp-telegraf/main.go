// Command gsp-telegraf is the gsp input plugin as a Telegraf external plugin: Telegraf runs it
// with [[inputs.execd]] and it speaks line protocol through Telegraf's shim.
//
//	gsp-telegraf -config /etc/telegraf/gsp.conf -poll_interval_disabled
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	_ "github.com/gsp-project/gsp/integrations/telegraf/plugins/inputs/gsp"
	"github.com/influxdata/telegraf/logger"
	"github.com/influxdata/telegraf/plugins/common/shim"
)

// levelFirst drops the timestamp Telegraf's logger writes before the level ("2026-...Z E! ..."):
// inputs.execd logs a plugin's stderr line at the level it starts with, and every other line
// as an error.
type levelFirst struct{ w io.Writer }

func (l levelFirst) Write(b []byte) (int, error) {
	out := b
	if i := bytes.IndexByte(b, ' '); i > 0 && len(b) > i+3 && b[i+2] == '!' && b[i+3] == ' ' &&
		bytes.IndexByte([]byte("EWIDT"), b[i+1]) >= 0 {
		out = b[i+1:]
		// The shim's plugin logger carries empty attributes: "(category=,plugin=) ".
		if rest := out[3:]; bytes.HasPrefix(rest, []byte("(")) {
			if j := bytes.Index(rest, []byte(") ")); j > 0 && !bytes.ContainsAny(rest[1:j], " ()") {
				out = append(append([]byte{}, out[:3]...), rest[j+2:]...)
			}
		}
	}
	if _, err := l.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

func main() {
	configFile := flag.String("config", "", "the plugin's configuration file ([[inputs.gsp]])")
	pollInterval := flag.Duration("poll_interval", time.Second, "how often to gather without a signal")
	pollDisabled := flag.Bool("poll_interval_disabled", false,
		"gather only when Telegraf asks (execd signal = \"STDIN\")")
	flag.Parse()
	if *pollDisabled {
		*pollInterval = shim.PollIntervalDisabled
	}
	logger.RedirectLogging(levelFirst{os.Stderr})
	s := shim.New()
	if err := s.LoadConfig(configFile); err != nil {
		fmt.Fprintf(os.Stderr, "E! gsp-telegraf: loading %q: %s\n", *configFile, err)
		os.Exit(1)
	}
	if err := s.Run(*pollInterval); err != nil {
		fmt.Fprintf(os.Stderr, "E! gsp-telegraf: %s\n", err)
		os.Exit(1)
	}
}
