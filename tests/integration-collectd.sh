#!/usr/bin/env bash
# collectd (issue 14, items 1 and 5): the real collectd daemon with
#  - the native plugin integrations/collectd/gsp.so (libgsp linked in), and
#  - the exec plugin running `gsp run --format collectd`,
# both writing through the csv plugin. Asserts the values, the Difference delta, the derive
# type, the event notifications, a broken script's diagnostics in collectd's log with their
# severity, and that stopping collectd leaves no script running.
# Installs collectd-core and collectd-dev when missing. Usage: bash tests/integration-collectd.sh
set -euo pipefail
source "$(dirname "$0")/common/agents.sh"
need_apt collectd-core collectd-dev
need_gsp_build
make -s -C "$root/integrations/collectd" >/dev/null

work=$(mktemp -d /tmp/gsp-collectd.XXXXXX)
trap 'stop_all; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
chmod 755 "$work" # the exec plugin runs gsp as nobody
mkdir -p "$work/plugins" "$work/state" "$work/exec-state" "$work/csv"
chmod 777 "$work/exec-state"
# collectd loads plugins from one directory and refuses symbolic links.
for p in logfile csv exec; do cp /usr/lib/collectd/$p.so "$work/plugins/"; done
cp "$root/integrations/collectd/gsp.so" "$work/plugins/"
cp "$root/tests/scripts/cli/formats.sh" "$work/exec_formats.sh"
cp "$root/tests/scripts/agents/names.sh" "$work/exec_names.sh"
cp "$root/tests/scripts/agents/long_run.sh" "$work/exec_long_run.sh"
# The exec plugin runs gsp as nobody, who may not reach the repository (e.g. under /root).
cp "$gsp_bin" "$work/gsp"
scripts=$root/tests/scripts

cat > "$work/collectd.conf" <<CONF
Hostname "gsp-test-host"
FQDNLookup false
Interval 1
BaseDir "$work"
PIDFile "$work/collectd.pid"
PluginDir "$work/plugins"
TypesDB "/usr/share/collectd/types.db"
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "$work/collectd.log"
  PrintSeverity true
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir "$work/csv"
  StoreRates false
</Plugin>
<LoadPlugin gsp>
  Interval 1
</LoadPlugin>
<Plugin gsp>
  Script "$scripts/cli/formats.sh $work/state"
  Script "$root/examples/scripts/load.sh"
  Script "$scripts/bad_config.sh"
  Script "$scripts/agents/long_run.sh $work/long_run.pid"
  Script "$scripts/agents/names.sh"
  Period 1
</Plugin>
LoadPlugin exec
<Plugin exec>
  Exec "nobody" "$work/gsp" "run" "--format" "collectd" "--period-override" "1" "--allow-short-period" "$work/exec_formats.sh $work/exec-state" "$work/exec_names.sh" "$work/exec_long_run.sh $work/exec-state/long_run.pid"
</Plugin>
CONF

start_group "$work/collectd.out" collectd -C "$work/collectd.conf" -f
collectd_pid=$started
csv=$work/csv/gsp-test-host
# Difference needs a second run: the delta's file has a value once it ran twice.
has_values() { [ "$(cat "$csv/$1/$2"-* 2>/dev/null | wc -l)" -ge $((1 + ${3:-1})) ]; }
wait_for 30 "the native plugin's Difference value" has_values gsp-formats gauge-bytes_received-eth0
wait_for 30 "the exec plugin's Difference value" has_values gsp-exec_formats gauge-bytes_received-eth0
wait_for 10 "the long run to start" test -s "$work/long_run.pid"
wait_for 10 "the exec plugin's long run to start" test -s "$work/exec-state/long_run.pid"
long_pid=$(cat "$work/long_run.pid")
exec_long_pid=$(cat "$work/exec-state/long_run.pid")
kill -0 "$long_pid" || fail "long_run.sh is not running"
kill -0 "$exec_long_pid" || fail "long_run.sh under the exec plugin is not running"
stop_group "$collectd_pid" 15 || fail "collectd did not stop"
cat "$work/collectd.log"

# Values: the last line of each CSV file is "epoch,value".
last() { tail -n 1 "$csv/$1/$2"-* | cut -d, -f2; }
check() { # check DIR FILE EXPECTED
  local got
  got=$(last "$1" "$2")
  awk -v g="$got" -v e="$3" 'BEGIN { d = g - e; exit !(d < 1e-6 && d > -1e-6) }' || fail "$1/$2: $got, expected $3"
}
for inst in gsp-formats gsp-exec_formats; do
  check $inst gauge-disk_used-_ 42.5
  check $inst "gauge-disk_used-_var_log dir" 7
  check $inst derive-requests 17   # COUNTER delivered as printed: collectd's derive
  check $inst gauge-requests 3
  check $inst gauge-bytes_received-eth0 100   # Difference: +100 per run
  check $inst "gauge-odd_labels-say _hi_, a=b c_d-C:_" 0   # csv prints 6 decimals
done
load=$(last gsp-load gauge-load_average_1m)
awk -v g="$load" -v e="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN { exit !(g >= 0 && g < 1000) }' \
  || fail "load average $load"
# CSV epochs are the runs' times: within the last minute.
epoch=$(tail -n 1 "$csv"/gsp-formats/gauge-requests-* | cut -d, -f1)
now=$(date +%s)
awk -v t="$epoch" -v n="$now" 'BEGIN { exit !(t > n - 60 && t <= n + 1) }' || fail "epoch $epoch"

# Hard names: the C plugin and gsp run --format collectd name them alike, within 127 bytes.
series() { (cd "$csv/$1" && ls | sed 's/-[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]$//' | sort); }
native=$(series gsp-names)
[ "$(wc -l <<<"$native")" -eq 4 ] || fail "expected 4 series of names.sh: $native"
[ "$native" = "$(series gsp-exec_names)" ] || fail "native and exec names differ: $native / $(series gsp-exec_names)"
while read -r s; do
  ti=${s#gauge-}
  [ "$(printf %s "$ti" | wc -c)" -le 127 ] || fail "type instance over 127 bytes: $ti"
done <<<"$native"
grep -q '^gauge-temp_rature-é*~[0-9a-f]\{8\}$' <<<"$native" || fail "the long value is not cut with a hash: $native"
grep -qx 'gauge-temp_rature-tab_here_cr' <<<"$native" || fail "control characters not replaced: $native"

log=$work/collectd.log
grep -q '\[info\] gsp plugin: `.*formats.sh .*` (instance formats) configured: 5 metrics, 1 events, every 1 s' "$log" \
  || fail "no configuration line in collectd's log"
grep -q '\[error\] gsp plugin: `.*bad_config.sh` (invalid configuration): .*configuration is not valid JSON at line 1' "$log" \
  || fail "the broken script's diagnostic is not in collectd's log as an error"
grep -q "collectd ignores SIGCHLD" "$log" || fail "SIGCHLD disposition not restored"
grep -q 'sets SIGCHLD to SIG_IGN' "$log" && fail "gsp saw SIGCHLD ignored"
# The exec plugin, loaded in the same collectd, reaps every child with waitpid(-1): gsp says so.
grep -q 'is lost: another waiter in the host took it' "$log" || fail "the exec plugin's reaper went unreported"
# Events: notifications (logged by collectd), from both plugins.
for inst in formats exec_formats; do
  grep -q "Notification: severity = WARNING, host = gsp-test-host, plugin = gsp, plugin_instance = $inst, type = gsp_event, type_instance = disk_full, message = Disk \"/\" is full {\"Used\":95,\"Path\":\"/\"}" "$log" \
    || fail "no event notification from $inst"
done
# gsp run's diagnostics reach collectd's log through the exec plugin (which logs stderr as
# errors): the long run overruns its 1 s period; nothing else is wrong.
grep -q 'exec plugin: exec_read_one: error = gsp: warning: script 3 `.*exec_long_run.sh .*` (overrun)' "$log" ||
  fail "gsp run's diagnostics do not reach collectd's log"
grep 'exec plugin: exec_read_one: error' "$log" | grep -v '(overrun)' >/dev/null && fail "unexpected diagnostics from gsp run"

# COLLECTD_INTERVAL above the scripts' periods slows them down, and PUTVAL says so.
putval=$(COLLECTD_INTERVAL=120.000 COLLECTD_HOSTNAME=exec-host "$gsp_bin" run --once --format collectd "$root/examples/scripts/load.sh" 2>"$work/interval.err")
grep -qE '^PUTVAL "exec-host/gsp-load/gauge-load_average_1m" interval=120 [0-9]+\.[0-9]{3}:[0-9.]+$' <<<"$putval" ||
  fail "COLLECTD_INTERVAL/COLLECTD_HOSTNAME not honoured: $putval"
grep -q 'raised to 120 s' "$work/interval.err" || fail "no note that the period was raised"

# Stopping collectd killed the script run still going, and nothing else is left.
kill -0 "$long_pid" 2>/dev/null && fail "long_run.sh (pid $long_pid) survived collectd's shutdown"
kill -0 "$exec_long_pid" 2>/dev/null && fail "long_run.sh under gsp run (pid $exec_long_pid) survived collectd's shutdown"
no_process_left "$work" || fail "processes left behind"

# The plugin under valgrind memcheck: no invalid access, no leak from its gsp*.c or libgsp (collectd
# itself leaks its dlopen bookkeeping). Same plugin and scripts, native plugin only.
need_apt valgrind
mkdir -p "$work/vg/state" "$work/vg/csv"
sed -e '/^LoadPlugin exec/,/^<\/Plugin>/d' -e "s|$work/state|$work/vg/state|; s|$work/csv|$work/vg/csv|" \
  -e "s|$work/collectd.log|$work/vg/collectd.log|; s|$work/long_run.pid|$work/vg/long_run.pid|" \
  -e "s|$work/collectd.pid|$work/vg/collectd.pid|" "$work/collectd.conf" > "$work/vg/collectd.conf"
start_group "$work/vg/out" valgrind --error-exitcode=9 --leak-check=full --show-leak-kinds=definite \
  --errors-for-leak-kinds=none --log-file="$work/vg/valgrind.log" collectd -C "$work/vg/collectd.conf" -f
vg_pid=$started
vg_delta() { [ "$(cat "$work/vg/csv/gsp-test-host/gsp-formats/gauge-bytes_received-eth0"-* 2>/dev/null | wc -l)" -ge 2 ]; }
wait_for 60 "values from collectd under valgrind" vg_delta
wait_for 20 "the long run under valgrind" test -s "$work/vg/long_run.pid"
kill -TERM "$vg_pid"
status=0
wait "$vg_pid" || status=$?
[ "$status" -eq 0 ] || { cat "$work/vg/valgrind.log"; fail "valgrind found errors (exit $status)"; }
if grep -A30 'definitely lost in loss record' "$work/vg/valgrind.log" | grep -e 'gsp[_a-z]*\.c' -e 'libgsp' -e '/gsp\.so' >/dev/null; then
  cat "$work/vg/valgrind.log"
  fail "the plugin leaks"
fi
kill -0 "$(cat "$work/vg/long_run.pid")" 2>/dev/null && fail "long_run.sh survived collectd under valgrind"
no_process_left "$work" || fail "processes left behind"
echo "integration-collectd: native plugin and exec plugin values, events, diagnostics and shutdown checked"
