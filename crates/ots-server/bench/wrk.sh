#!/usr/bin/env bash
# Create + reveal pairs against a release ots-server with wrk, and the server's peak RSS.
# Usage: crates/ots-server/bench/wrk.sh [seconds] [extra ots-server flags...]
#   BIN=path/to/ots-server (default target-server/release/ots-server)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
secs=${1:-20}
shift || true
bin=${BIN:-$root/target-server/release/ots-server}
port=${PORT:-18471}
data=$(mktemp -d)
"$bin" --listen 127.0.0.1:$port --data-dir "$data" --dist "$data" \
  --rate-limit-creates 0 --rate-limit-reveals 0 "$@" >"$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/status" && break
  sleep 0.05
done
wrk -t2 -c64 -d"${secs}s" --latency -s "$here/pairs.lua" "http://127.0.0.1:$port" | tail -n 2
grep -E 'VmHWM|VmRSS' /proc/$pid/status | tr -s ' \t' ' ' | paste -sd, -
du -sh "$data" | cut -f1 | sed 's/^/data dir /'
