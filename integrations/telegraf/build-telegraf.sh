#!/usr/bin/env bash
# Builds a Telegraf with only the plugins the tests use (inputs.execd, outputs.file and the influx
# parser/serializer) from the Go module proxy, and caches it by version: a second call prints the
# cached binary's path at once. Prints the path of the binary on stdout.
# Usage: integrations/telegraf/build-telegraf.sh [VERSION]      (cache: $GSP_TELEGRAF_CACHE,
#        default $HOME/.cache/gsp-telegraf)
set -euo pipefail
version=${1:-v1.37.2}
cache=${GSP_TELEGRAF_CACHE:-$HOME/.cache/gsp-telegraf}/$version
bin=$cache/telegraf
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  # Telegraf's custom builds: with the `custom` tag only plugins named by a tag are compiled in.
  tags=custom,inputs.execd,outputs.file,parsers.influx,serializers.influx
  echo "building Telegraf $version (tags $tags) into $cache" >&2
  GOBIN=$cache.tmp nice -n 10 go install -tags "$tags" -ldflags "-s -w" \
    "github.com/influxdata/telegraf/cmd/telegraf@$version" >&2
  mv "$cache.tmp/telegraf" "$bin"
  rmdir "$cache.tmp"
fi
echo "$bin"
