#!/usr/bin/env bash
# Telegraf (issue 14, item 2): a real Telegraf (built from the Go module proxy with only
# inputs.execd, outputs.file and the influx parsers; cached by version, see
# integrations/telegraf/build-telegraf.sh) runs
#  - the gsp input plugin (integrations/telegraf, Telegraf's shim over the Go binding), and
#  - the `gsp run --execd` bridge, read with Telegraf's strict line-protocol parser
#    (influx_parser_type = "upstream"), including a hostile script (issue 11, item 18),
# both through [[inputs.execd]] every second into [[outputs.file]]. Checks values, Difference
# deltas, events, diagnostics at their level in Telegraf's log, and that nothing is left running.
# Usage: bash tests/integration-telegraf.sh
set -euo pipefail
source "$(dirname "$0")/common/agents.sh"
need_gsp_build
export CGO_ENABLED=1
telegraf=$("$root/integrations/telegraf/build-telegraf.sh")
"$telegraf" --version

work=$(mktemp -d /tmp/gsp-telegraf.XXXXXX)
trap 'stop_all; rm -rf "$work"' EXIT
# The Go binding finds libgsp through pkg-config: install it into a prefix, as its README says,
# and link it statically (-tags gsp_static), so the plugin needs no libgsp.so at run time.
bash "$root/tools/install.sh" "$work/prefix" >/dev/null
export PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=gsp_static"
# Go's build cache does not key cgo packages on what pkg-config prints, only on CGO_* variables:
# name this run's prefix there, or a build cached by an earlier run links its deleted prefix.
export CGO_CFLAGS="-I$work/prefix/include"
(
  cd "$root/integrations/telegraf"
  unformatted=$(gofmt -l .)
  [ -z "$unformatted" ] || fail "not gofmt-formatted: $unformatted"
  go vet ./...
  go test -count=1 ./...
  nice -n 10 go build -o "$work/gsp-telegraf" ./cmd/gsp-telegraf
)
mkdir -p "$work/st1" "$work/st2"
scripts=$root/tests/scripts
plugin_formats="$scripts/cli/formats.sh $work/st1"
bridge_formats="$scripts/cli/formats.sh $work/st2"
hostile="$scripts/cli/hostile.sh"
load="$root/examples/scripts/load.sh"
cat > "$work/gsp.conf" <<CONF
[[inputs.gsp]]
  scripts = ["$plugin_formats", "$load", "$scripts/bad_config.sh"]
  timeout = "10s"
CONF
cat > "$work/telegraf.conf" <<CONF
[agent]
  interval = "1s"
  flush_interval = "1s"
  round_interval = false
  omit_hostname = true
[[inputs.execd]]
  command = ["$work/gsp-telegraf", "-config", "$work/gsp.conf", "-poll_interval_disabled"]
  signal = "STDIN"
  restart_delay = "10s"
  data_format = "influx"
[[inputs.execd]]
  command = ["$gsp_bin", "run", "--execd", "$bridge_formats", "$hostile"]
  signal = "STDIN"
  restart_delay = "10s"
  data_format = "influx"
  influx_parser_type = "upstream"
[[outputs.file]]
  files = ["$work/out.influx"]
  data_format = "influx"
CONF
start_group "$work/telegraf.log" "$telegraf" --config "$work/telegraf.conf"
telegraf_pid=$started
esc() { sed 's/[ ,=]/\\&/g' <<<"$1"; }
out=$work/out.influx
# has PREFIX [REGEX]: a line starts with the fixed string PREFIX and its rest matches REGEX.
# (Through the environment: awk -v would take the backslashes of the escapes as its own.)
has() {
  P=$1 R=${2:-} awk 'BEGIN { p = ENVIRON["P"]; r = ENVIRON["R"] }
    index($0, p) == 1 && substr($0, length(p) + 1) ~ r { found = 1 } END { exit !found }' "$out"
}
expect() { has "$@" || fail "Telegraf wrote no line starting with [$1] followed by /${2:-}/"; }
# Difference: the delta arrives with the second gather.
delta() { has "gsp_bytes_received,interface=eth0,script=$(esc "$1") value=100 "; }
wait_for 40 "the plugin's Difference value" delta "$plugin_formats"
wait_for 20 "the bridge's Difference value" delta "$bridge_formats"
stop_group "$telegraf_pid" 20 || fail "Telegraf did not stop"
cat "$work/telegraf.log"

ts='^[0-9]+$'  # nanoseconds (mawk has no {n} intervals)
for f in "$plugin_formats" "$bridge_formats"; do
  s=$(esc "$f")
  expect "gsp_disk_used,mount_point=/,script=$s value=42.5 " "$ts"
  expect "gsp_disk_used,mount_point=/var/log\\ dir,script=$s value=7 " "$ts"
  expect "gsp_requests_2,script=$s value=17 " "$ts"
  expect "gsp_requests_3,script=$s value=3 " "$ts"
  expect "gsp_event,event=Disk\\ full,event_id=1,scope=S,script=$s " 'message="Disk \\"/\\" is full"'
  expect "gsp_event,event=Disk\\ full,event_id=1,scope=S,script=$s " 'attributes="[{]\\"Used\\":95,\\"Path\\":\\"/\\"[}]"'
  expect "gsp_event,event=Disk\\ full,event_id=1,scope=S,script=$s " 'end=[0-9]+i'
  # The first gather has no delta: every bytes_received value is 100.
  has "gsp_bytes_received,interface=eth0,script=$s " '^value=([^1]|1[^0]|10[^0]|100[^ ])' &&
    fail "a Difference value other than 100 for $f"
done
expect "gsp_load_average_1m,script=$(esc "$load") value=" '^[0-9.e+-]+ [0-9]+$'
# Hostile output through the strict parser: each sample intact, nothing added.
hs=$(esc "$hostile")
for where in 'cr\ gsp_injected\ 666\ ' 'vt\ gsp_injected\ 666\ ff' 'tab\ nul\ end' 'nel\ gsp_injected\ 666\ ls'; do
  expect "gsp_hostile,script=$hs,where=$where value=" '^[1-4] [0-9]+$'
done
expect "gsp_event,event=Far\\ future,event_id=1,scope=S,script=$hs " 'start=99999999999i'
grep -q '^gsp_injected' "$out" && fail "a script's output became a point of its own"
log=$work/telegraf.log
grep -qi 'E!.*pars' "$log" && fail "Telegraf could not parse a line"
grep -qE '^[^ ]+ E! \[inputs.execd\] Error in plugin: gsp: script ".*bad_config.sh" \(CONFIG_INVALID\): .*not valid JSON' "$log" ||
  fail "the broken script's diagnostic is not in Telegraf's log as an error"
grep -qE "^[^ ]+ I! \[inputs.execd\] gsp: script \"$scripts/cli/formats.sh .*\" configured: 5 metrics, 1 events" "$log" ||
  fail "no configuration notice at info level"

no_process_left "$work" || fail "processes left behind"
echo "integration-telegraf: the shim plugin and gsp run --execd checked under Telegraf"
