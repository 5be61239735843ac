#!/usr/bin/env bash
# make bench: the Go benchmarks, then a bounded load run against a
# started server on 127.0.0.1, each endpoint beside the trivial /healthz
# of the same server in the same run. Prints the ratios and the server's
# peak memory. Nothing leaves this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNS:-64}

echo "== Go benchmarks"
$GO test -run '^$' -bench . -benchmem -count "${BENCH_COUNT:-3}" ./... | grep -E '^(Benchmark|ok|FAIL|goos|goarch|cpu)'

echo
echo "== Load run: $CONNS connections, $DURATION per endpoint, 127.0.0.1 only"
tmp=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$tmp"' EXIT
$GO build -o "$tmp/twinmetrics" ./cmd/twinmetrics
$GO build -o "$tmp/loadgen" ./cmd/loadgen
port=$((20000 + RANDOM % 20000))
TWINMETRICS_DB="$tmp/bench.db" TWINMETRICS_ADDR="127.0.0.1:$port" "$tmp/twinmetrics" serve 2>"$tmp/server.log" &
server=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
echo "server RSS before the run: $(rss) kB"
"$tmp/loadgen" -base "http://127.0.0.1:$port" -c "$CONNS" -d "$DURATION" \
  /healthz /pairs/hanoi-milan /vi/pairs/hanoi-milan /cities/hanoi /indicators/pm25_annual_mean /
echo "server RSS after the run: $(rss) kB; peak (VmHWM): $(awk '/VmHWM/ {print $2}' "/proc/$server/status") kB"
