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
  --rate-limit-creates 0 --rate-limit-reveals 0 --shutdown-grace 0 "$@" >"$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/status" && break
  sleep 0.05
done
cpu() { awk '{print $14 + $15}' /proc/$pid/stat; }
before=$(cpu)
t0=$(date +%s.%N)
out=$( { /usr/bin/time -f "wrk CPU %U %S" wrk -t2 -c64 -d"${secs}s" --latency -s "$here/pairs.lua" "http://127.0.0.1:$port"; } 2>&1 | tail -n 3)
t1=$(date +%s.%N)
after=$(cpu)
echo "$out" | grep -v '^wrk CPU'
pairs=$(echo "$out" | sed -n 's/^creates [0-9]*, reveals \([0-9]*\).*/\1/p')
ticks=$(getconf CLK_TCK)
echo "$out" | awk -v p="$pairs" -v s=$(( after - before )) -v t="$ticks" -v w0="$t0" -v w1="$t1" '/^wrk CPU/ {
  printf "CPU per pair: server %.0f us, wrk %.0f us; server used %.2f cores; machine load %s\n",
    s / t * 1e6 / p, ($3 + $4) * 1e6 / p, s / t / (w1 - w0), "'"$(cut -d' ' -f1 /proc/loadavg)"'" }'
grep -E 'VmHWM|VmRSS' /proc/$pid/status | tr -s ' \t' ' ' | paste -sd, -
du -sh "$data" | cut -f1 | sed 's/^/data dir /'
