#!/usr/bin/env bash
# Validates `gsp run`'s output formats with real parsers instead of string comparison:
# prometheus_client's text-format parser for --format prometheus and --textfile, and the
# line-protocol-parser package (an InfluxDB line protocol parser from PyPI) for --format influx
# and --execd. Installs both into a fresh venv in a temporary directory.
# Needs python3 with venv and pip; assumes `cargo build --release` already ran.
# Usage: bash tests/cli-formats.sh        (from anywhere)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
gsp="$here/../target/release/gsp"
if [ ! -x "$gsp" ]; then
  echo "cli-formats: $gsp is missing; run cargo build --release first" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check prometheus_client line-protocol-parser

mkdir "$work/state" "$work/state2" "$work/textfile"
# Command lines as gsp takes them (quoted words); the same strings are the `script` label/tag.
export FORMATS="'$here/scripts/cli/formats.sh' '$work/state'"
export FORMATS2="'$here/scripts/cli/formats.sh' '$work/state2'"
export GOOD="'$here/scripts/cli/good.sh'"

"$gsp" run --once --format prometheus "$FORMATS" "$GOOD" > "$work/prometheus.txt"
"$gsp" run --once --textfile "$work/textfile" "$FORMATS" "$GOOD"
"$gsp" run --once --format influx "$FORMATS" "$GOOD" > "$work/influx.txt"
# Output that tries to start lines of its own (issue 11, item 18).
export HOSTILE="'$here/scripts/cli/hostile.sh'"
mkdir "$work/textfile-hostile"
"$gsp" run --once --format prometheus "$HOSTILE" > "$work/hostile.prom"
"$gsp" run --once --textfile "$work/textfile-hostile" "$HOSTILE"
"$gsp" run --once --format influx "$HOSTILE" > "$work/hostile.influx"
printf '\n' | "$gsp" run --execd "$HOSTILE" > "$work/hostile.execd"
# Telegraf execd: two gathers asked on stdin, then EOF.
printf '\n\n' | "$gsp" run --execd "$FORMATS2" "$GOOD" > "$work/execd.txt"

cat > "$work/validate.py" <<'PY'
import os
import sys
import time

from line_protocol_parser import parse_line
from prometheus_client.parser import text_string_to_metric_families

work = sys.argv[1]
FORMATS, FORMATS2, GOOD = os.environ["FORMATS"], os.environ["FORMATS2"], os.environ["GOOD"]
now = time.time()


def read(name):
    with open(os.path.join(work, name), encoding="utf-8") as f:
        return f.read()


def parse_prometheus(text, what):
    """Families by name, checking what the lenient parser lets through."""
    families = list(text_string_to_metric_families(text))
    names = [f.name for f in families]
    assert len(names) == len(set(names)), f"{what}: a family appears twice: {names}"
    for f in families:
        keys = [(s.name, tuple(sorted(s.labels.items()))) for s in f.samples]
        assert len(keys) == len(set(keys)), f"{what}: duplicate series in {f.name}"
        assert all(s.timestamp is None for s in f.samples), f"{what}: timestamps in {f.name}"
    for line in text.splitlines():
        assert line == "" or line.startswith("# HELP ") or line.startswith("# TYPE ") \
            or line.startswith("gsp_"), f"{what}: unexpected line {line!r}"
    return {f.name: f for f in families}


def sample(families, family, sample_name=None, **labels):
    f = families[family]
    for s in f.samples:
        if s.name == (sample_name or family) and s.labels == labels:
            return s.value
    raise AssertionError(f"no {family} sample with {labels}: {f.samples}")


def check_formats_prometheus(fam, what):
    assert fam["gsp_disk_used_percent"].type == "gauge"
    assert fam["gsp_disk_used_percent"].documentation == "Disk used: Used space [%]"
    assert sample(fam, "gsp_disk_used_percent", script=FORMATS, mount_point="/") == 42.5
    assert sample(fam, "gsp_disk_used_percent", script=FORMATS, mount_point="/var/log dir") == 7
    # Two metrics named "Requests": told apart by id; the COUNTER keeps _total.
    assert fam["gsp_requests_2"].type == "counter"
    assert sample(fam, "gsp_requests_2", "gsp_requests_2_total", script=FORMATS) == 17
    assert fam["gsp_requests_3"].type == "gauge"
    assert sample(fam, "gsp_requests_3", script=FORMATS) == 3
    # A dimension named "script" does not clash with the script label; values keep their
    # quotes, commas, equals signs, spaces and backslashes.
    assert fam["gsp_odd_labels"].documentation == 'Odd labels: Awkward "dimension" values \\ here'
    assert sample(fam, "gsp_odd_labels", script=FORMATS, script_1='say "hi", a=b c\\d',
                  path="C:\\") == -1.5e-7
    # Difference: nothing on the first run.
    assert "gsp_bytes_received" not in fam, what
    ev = {"script": FORMATS, "event": "Disk full", "event_id": "1",
          "message": 'Disk "/" is full', "attributes": '{"Used":95,"Path":"/"}', "scope": "S"}
    start = sample(fam, "gsp_event_timestamp_seconds", **ev)
    assert abs(start - (now - 60)) < 600, start
    assert sample(fam, "gsp_script_success", script=FORMATS) == 1
    assert 0 <= sample(fam, "gsp_script_duration_seconds", script=FORMATS) < 30


# --format prometheus --once: one document for both scripts.
prom = parse_prometheus(read("prometheus.txt"), "prometheus")
check_formats_prometheus(prom, "prometheus")
# good.sh's "Disk used" has another description, so another family (node_exporter refuses a
# family whose HELP differs between files).
assert prom["gsp_disk_used_s2_percent"].documentation == "Disk used: Used space per mount point [%]"
assert sample(prom, "gsp_disk_used_s2_percent", script=GOOD, mount="/") == 42.5
assert sample(prom, "gsp_script_success", script=GOOD) == 1
assert sample(prom, "gsp_event_timestamp_seconds", script=GOOD, event="Heartbeat",
              event_id="1", message="still alive", attributes='{"Run":1}', scope="S") > 0

# --textfile: one .prom file per script, nothing else left in the directory.
files = sorted(os.listdir(os.path.join(work, "textfile")))
assert len(files) == 2 and all(f.endswith(".prom") for f in files), files
texts = {f: read(os.path.join("textfile", f)) for f in files}
parsed = {f: parse_prometheus(t, f) for f, t in texts.items()}
formats_file = next(f for f in files if "formats.sh" in f)
good_file = next(f for f in files if "good.sh" in f)
check_formats_prometheus(parsed[formats_file], formats_file)
good = parsed[good_file]
assert sample(good, "gsp_disk_used_s2_percent", script=GOOD, mount="/") == 42.5
for f, fams in parsed.items():
    for fam in fams.values():
        for s in fam.samples:
            assert s.labels["script"] == (FORMATS if f == formats_file else GOOD), (f, s)
# Families in both files agree on HELP and TYPE, as node_exporter requires.
for name in set(parsed[formats_file]) & set(good):
    a, b = parsed[formats_file][name], good[name]
    assert (a.documentation, a.type) == (b.documentation, b.type), name


def parse_influx(text, what):
    points = [parse_line(line) for line in text.splitlines()]
    assert points, f"{what}: no lines"
    return points


def find(points, measurement, **tags):
    found = [p for p in points if p["measurement"] == measurement and p["tags"] == tags]
    assert found, f"no {measurement} point with tags {tags}: {points}"
    return found


# --format influx --once
points = parse_influx(read("influx.txt"), "influx")
(p,) = find(points, "gsp_disk_used", script=FORMATS, mount_point="/")
assert p["fields"] == {"value": 42.5}
assert abs(p["time"] / 1e9 - now) < 600
assert find(points, "gsp_disk_used", script=FORMATS, mount_point="/var/log dir")[0]["fields"]["value"] == 7.0
assert find(points, "gsp_requests_2", script=FORMATS)[0]["fields"] == {"value": 17.0}
assert find(points, "gsp_requests_3", script=FORMATS)[0]["fields"] == {"value": 3.0}
# Line protocol cannot escape a backslash before a separator: the trailing one becomes "/".
odd = find(points, "gsp_odd_labels", script=FORMATS, script_1='say "hi", a=b c\\d', path="C:/")
assert odd[0]["fields"] == {"value": -1.5e-7}
assert find(points, "gsp_disk_used", script=GOOD, mount="/")[0]["fields"] == {"value": 42.5}
(ev,) = find(points, "gsp_event", script=FORMATS, event="Disk full", event_id="1", scope="S")
assert ev["fields"]["message"] == 'Disk "/" is full'
assert ev["fields"]["attributes"] == '{"Used":95,"Path":"/"}'
assert ev["fields"]["end"] * 10**9 - ev["time"] == 60 * 10**9, ev
assert not [x for x in points if x["measurement"] == "gsp_bytes_received"]
for script in (FORMATS, GOOD):
    times = {x["time"] for x in points if x["measurement"] != "gsp_event" and x["tags"]["script"] == script}
    assert len(times) == 1, (script, times)

# --execd, two gathers then EOF.
points = parse_influx(read("execd.txt"), "execd")
runs = sorted({x["time"] for x in points if x["measurement"] == "gsp_requests_3"})
assert len(runs) == 2, runs
(delta,) = find(points, "gsp_bytes_received", script=FORMATS2, interface="eth0")
assert delta["fields"] == {"value": 100.0} and delta["time"] == runs[1], delta
assert len(find(points, "gsp_event", script=FORMATS2, event="Disk full", event_id="1", scope="S")) == 2
good_runs = sorted({x["time"] for x in find(points, "gsp_disk_used", script=GOOD, mount="/")})
assert len(good_runs) == 2 and good_runs == runs, (good_runs, runs)
assert len(find(points, "gsp_uptime_ticks", script=GOOD)) == 1


# Hostile output (issue 11, item 18): every line parses, readers that split lines at CR, VT,
# FF, NEL or U+2028 (universal newlines, str.splitlines) see the same lines, and nothing the
# script printed becomes a sample or a field of its own.
HOSTILE = os.environ["HOSTILE"]
WHERE = {1: "cr gsp_injected 666 ", 2: "vt gsp_injected 666 ff", 3: "tab nul end",
         4: "nel gsp_injected 666 ls"}
textfiles = os.listdir(os.path.join(work, "textfile-hostile"))
assert len(textfiles) == 1, textfiles
for name in ("hostile.prom", os.path.join("textfile-hostile", textfiles[0])):
    raw = read(name)
    assert raw.splitlines() == raw.split("\n")[:-1], f"{name}: a reader would split a line"
    with open(os.path.join(work, name), encoding="utf-8", newline=None) as f:
        assert f.read() == raw, f"{name}: universal newlines change the text"
    fam = parse_prometheus(raw, name)
    assert not [s for f in fam.values() for s in f.samples if "injected" in s.name], name
    assert fam["gsp_hostile"].documentation == "Hostile: cr gsp_injected 666 vt ff nel ls tab nul"
    for value, where in WHERE.items():
        assert sample(fam, "gsp_hostile", script=HOSTILE, where=where) == value, (name, where)
    assert sample(fam, "gsp_event_timestamp_seconds", script=HOSTILE, event="Far future",
                  event_id="1", message="msg gsp_injected 666 x", attributes="{}",
                  scope="S") == 99999999999
for name in ("hostile.influx", "hostile.execd"):
    raw = read(name)
    assert raw.splitlines() == raw.split("\n")[:-1], f"{name}: a reader would split a line"
    points = parse_influx(raw, name)
    assert len(points) == 5, points
    for value, where in WHERE.items():
        (p,) = find(points, "gsp_hostile", script=HOSTILE, where=where)
        assert p["fields"] == {"value": float(value)}, p
    # A start past 2262 cannot be a nanosecond timestamp: no timestamp, the start as a field.
    (ev,) = find(points, "gsp_event", script=HOSTILE, event="Far future", event_id="1", scope="S")
    assert ev["fields"] == {"message": "msg gsp_injected 666 x", "attributes": "{}",
                            "end": 99999999999, "start": 99999999999}, ev
    assert "99999999999 " not in raw and not raw.rstrip("\n").endswith("000000000"), raw

print("cli-formats: prometheus, textfile, influx and execd output parsed and checked")
PY
"$work/venv/bin/python" "$work/validate.py" "$work"
