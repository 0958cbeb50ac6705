# Helpers for tests/integration-*.sh (sourced): installing agents, starting them in their own
# process groups, waiting with deadlines, and checking that nothing is left running.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
gsp_bin=$root/target/release/gsp

# Installs Debian packages that are missing (CI machines start with only toolchains).
need_apt() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    if [ ! -e /tmp/.gsp-apt-updated ]; then
      apt-get update -qq && touch /tmp/.gsp-apt-updated
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# pgrep and pkill-free cleanup need procps; a minimal machine may lack it.
command -v pgrep >/dev/null || need_apt procps

# The release build the tests drive (tests/run-all.sh builds it first; alone, build it here).
need_gsp_build() {
  if [ ! -x "$gsp_bin" ] || [ ! -f "$root/target/release/libgsp.a" ]; then
    (cd "$root" && nice -n 10 cargo build --release)
  fi
}

# Process groups started with start_group, killed by stop_all.
groups=()

# start_group LOG CMD...: runs CMD in a new session (its own process group) with output to LOG;
# sets $started to its pid (= its process group id).
start_group() {
  local log=$1
  shift
  setsid "$@" >"$log" 2>&1 </dev/null &
  started=$!
  groups+=("$started")
}

# stop_group PID [SECONDS]: SIGTERM to the process group's leader, as a service manager stops
# an agent, then waits for the leader to exit; SIGKILL to the whole group after SECONDS (10).
stop_group() {
  local pid=$1 limit=${2:-10} i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < limit * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  echo "process $pid did not exit within $limit s of SIGTERM" >&2
  kill -KILL -- "-$pid" 2>/dev/null || true
  return 1
}

stop_all() {
  for g in "${groups[@]}"; do
    kill -KILL -- "-$g" 2>/dev/null || true
  done
}

# wait_for SECONDS DESCRIPTION CMD...: polls CMD every 0.2 s until it succeeds.
wait_for() {
  local limit=$1 what=$2 i
  shift 2
  for ((i = 0; i < limit * 5; i++)); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  echo "timed out after $limit s waiting for $what" >&2
  return 1
}

# no_process_left PATTERN: fails when a process whose command line matches PATTERN runs.
no_process_left() {
  local left
  left=$(pgrep -af -- "$1" | grep -v -e pgrep || true)
  if [ -n "$left" ]; then
    printf 'processes left behind:\n%s\n' "$left" >&2
    return 1
  fi
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
