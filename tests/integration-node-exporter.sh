#!/usr/bin/env bash
# node_exporter (issue 14, item 4): two `gsp run --textfile` processes write one directory and
# the real node_exporter (Debian's prometheus-node-exporter) serves it on 127.0.0.1. Checks the
# values, a Difference delta, node_textfile_scrape_error 0, and that a metric both processes
# declare with different descriptions is neither dropped nor served twice inconsistently (the
# later file renames its family and gsp says so), and that hostile output adds no sample and
# makes no parse error in node_exporter (Go's expfmt parser; issue 11, item 18).
# Usage: bash tests/integration-node-exporter.sh
set -euo pipefail
source "$(dirname "$0")/common/agents.sh"
need_apt prometheus-node-exporter curl
need_gsp_build

work=$(mktemp -d /tmp/gsp-node-exporter.XXXXXX)
trap 'stop_all; rm -rf "$work"' EXIT
mkdir -p "$work/textfile" "$work/state"
scripts=$root/tests/scripts/cli
formats="$scripts/formats.sh $work/state"
good="$scripts/good.sh"
hostile="$scripts/hostile.sh"
load="$root/examples/scripts/load.sh"

# Two processes, as two teams would run them; 1 s periods so Difference reports quickly.
start_group "$work/gsp-a.log" "$gsp_bin" run --textfile "$work/textfile" --period-override 1 \
  --allow-short-period "$formats" "$load"
gsp_a=$started
# A collision is resolved by the file that sorts later, at its next write after the earlier file
# exists: start the second process once the first has written, as the test wants no transient.
first_written() { compgen -G "$work/textfile/*formats.sh*.prom"; }
wait_for 10 "the first process's textfile" first_written
start_group "$work/gsp-b.log" "$gsp_bin" run --textfile "$work/textfile" --period-override 1 \
  --allow-short-period "$good" "$hostile"
gsp_b=$started

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_group "$work/node_exporter.log" prometheus-node-exporter --web.listen-address="127.0.0.1:$port" \
  --collector.disable-defaults --collector.textfile --collector.textfile.directory="$work/textfile"
exporter=$started
scrape() { curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" > "$work/metrics.txt"; }
# Difference: the delta appears from the second run on.
has_delta() { scrape && grep -q '^gsp_bytes_received{' "$work/metrics.txt"; }
wait_for 30 "node_exporter to serve the Difference value" has_delta
sleep 2 # a few more runs of both processes, each rewriting its file
scrape
m=$work/metrics.txt

expect() { grep -qxF -- "$1" "$m" || fail "node_exporter does not serve: $1"; }
expect 'node_textfile_scrape_error 0'
expect "gsp_disk_used_percent{mount_point=\"/\",script=\"$formats\"} 42.5"
expect "gsp_disk_used_percent{mount_point=\"/var/log dir\",script=\"$formats\"} 7"
expect "gsp_bytes_received{interface=\"eth0\",script=\"$formats\"} 100"
expect "gsp_requests_2_total{script=\"$formats\"} 17"
expect "gsp_script_success{script=\"$formats\"} 1"
expect "gsp_script_success{script=\"$good\"} 1"
grep -qE "^gsp_load_average_1m\{script=\"$load\"\} [0-9.e+]+$" "$m" || fail "no load average"
# good.sh declares "Disk used" with another description: its family is renamed, not dropped.
grep -qE "^gsp_disk_used_f[0-9a-f]{8}_percent\{mount=\"/\",script=\"$good\"\} 42.5$" "$m" ||
  grep -qE "^gsp_disk_used_percent_f[0-9a-f]{8}\{mount=\"/\",script=\"$good\"\} 42.5$" "$m" ||
  fail "good.sh's Disk used is missing (dropped by node_exporter?)"
grep -q 'gsp: --textfile: gsp_disk_used_percent is already in gsp_.*formats.sh.*.prom with another HELP or TYPE' "$work/gsp-b.log" ||
  fail "gsp did not report the collision"
[ "$(grep -c 'is already in' "$work/gsp-b.log")" -eq 1 ] || fail "the collision is reported more than once"
# Hostile output: its samples are there, with no line of its own.
for where in "cr gsp_injected 666 " "vt gsp_injected 666 ff" "tab nul end" "nel gsp_injected 666 ls"; do
  grep -qF "gsp_hostile{script=\"$hostile\",where=\"$where\"}" "$m" || fail "hostile sample '$where' missing"
done
grep -q '^gsp_injected' "$m" && fail "a script's output added a sample"
grep -q 'level=error' "$work/node_exporter.log" && { cat "$work/node_exporter.log"; fail "node_exporter logged errors"; }

for pid in "$gsp_a" "$gsp_b" "$exporter"; do
  stop_group "$pid" 10 || fail "process $pid did not stop"
done
no_process_left "$work" || fail "processes left behind"
echo "integration-node-exporter: textfile values, collisions and hostile output checked against node_exporter"
