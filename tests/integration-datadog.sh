#!/usr/bin/env bash
# Datadog (issue 14, item 3): the gsp_scripts Agent check (integrations/datadog, an AgentCheck
# over the Python binding) under the check toolkit's aggregator stub, as Datadog's integrations
# are tested: real scripts through libgsp, gauges/counts/monotonic counts with dimension tags,
# events, service checks from diagnostics, cancel() killing a running script; mypy --strict.
# The venv lives outside the repository ($HOME/.cache/gsp-datadog, keyed by the requirements)
# so a second run installs nothing. Usage: bash tests/integration-datadog.sh
set -euo pipefail
source "$(dirname "$0")/common/agents.sh"
need_gsp_build
dd=$root/integrations/datadog
key=$(cat "$dd/requirements-test.txt" | sha256sum | cut -c1-12)
venv=${GSP_DATADOG_VENV:-$HOME/.cache/gsp-datadog/venv-$key}
if [ ! -x "$venv/bin/pytest" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$dd/requirements-test.txt"
fi
# The binding as it is in this checkout.
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --force-reinstall "$root/bindings/python"
export GSP_LIBRARY=$root/target/release/libgsp.so
cd "$dd"
"$venv/bin/mypy" --strict --ignore-missing-imports --cache-dir=/dev/null gsp_scripts.py
# The toolkit's stubs have no annotations: the tests may call them untyped.
"$venv/bin/mypy" --strict --ignore-missing-imports --allow-untyped-calls --follow-imports=silent --cache-dir=/dev/null tests
work=$(mktemp -d /tmp/gsp-datadog.XXXXXX)
trap 'rm -rf "$work"' EXIT
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$dd "$venv/bin/python" -m pytest -q -p no:cacheprovider --basetemp "$work/pytest" tests
no_process_left "$work" || fail "processes left behind"
echo "integration-datadog: the Agent check passed under the aggregator stub"
