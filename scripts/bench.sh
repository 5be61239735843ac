#!/usr/bin/env bash
# make bench: the Go benchmarks, then a bounded load run against a
# started server on 127.0.0.1, each endpoint beside the trivial /healthz
# of the same server in the same run. Prints the ratios and the server's
# peak memory. Nothing leaves this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
DURATION=${BENCH_DURATION:-10s}
MIXED_SECONDS=${MIXED_SECONDS:-60}
MIXED_DURATION="${MIXED_SECONDS}s"
CONNS=${BENCH_CONNS:-64}

if [ -z "${BENCH_SKIP_GO:-}" ]; then
  echo "== Go benchmarks"
  $GO test -run '^$' -bench . -benchmem -count "${BENCH_COUNT:-3}" ./... | grep -E '^(Benchmark|ok|FAIL|goos|goarch|cpu)'
fi

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
echo
echo "== Identity clients (no Accept-Encoding, as curl and many bots), beside /healthz in the same run"
"$tmp/loadgen" -encoding identity -base "http://127.0.0.1:$port" -c "$CONNS" -d "$DURATION" \
  /healthz /pairs/hanoi-milan /api/v1/cities
echo
echo "== Brotli clients"
"$tmp/loadgen" -encoding br -base "http://127.0.0.1:$port" -c "$CONNS" -d "$DURATION" \
  /healthz /pairs/hanoi-milan
echo "server RSS after the run: $(rss) kB; peak (VmHWM): $(awk '/VmHWM/ {print $2}' "/proc/$server/status") kB"

echo
echo "== Mixed run: ${MIXED_DURATION:-60s} of pages, API and downloads, with one publish and one rollback in the middle"
# Synthetic values under a source named as such, in this throw-away
# database only.
printf 'bench-password-123\n' | "$tmp/twinmetrics" user add --email bench@example.org --role editor -db "$tmp/bench.db" >/dev/null
token=$("$tmp/twinmetrics" token create --email bench@example.org --name bench -db "$tmp/bench.db" 2>/dev/null)
{
  echo "city,indicator,year,value,unit,source,flags,note,source_title,source_publisher,source_url"
  for y in 2001 2002 2003; do
    for c in hanoi milan ho-chi-minh-city kosice; do
      echo "$c,no2_annual_mean,$y,4$((y % 10)),µg/m3,bench_synthetic,,synthetic benchmark value,Synthetic benchmark values (not real),twinmetrics bench,https://example.org/bench"
    done
  done
} > "$tmp/bench-upload.csv"
api() { curl -fsS -H "Authorization: Bearer $token" "$@"; }
heap() { curl -fsS "http://127.0.0.1:$port/metrics" | awk '/^go_memstats_heap_inuse_bytes/ {printf "%.1f MB", $2/1e6}'; }
rss_before=$(rss)
heap_before=$(heap)
mixed_status=0
"$tmp/loadgen" -mixed -base "http://127.0.0.1:$port" -c "$CONNS" -d "${MIXED_DURATION:-60s}" \
  /pairs/hanoi-milan /vi/pairs/ho-chi-minh-city-kosice /cities/milan /indicators/no2_annual_mean / \
  "/api/v1/observations?city=hanoi,milan" "/data/download?format=csv&pair=hanoi-milan" "/data/download?format=json&city=kosice" &
load=$!
sleep "$(( ${MIXED_SECONDS:-60} / 3 ))"
publish=$(api -F "file=@$tmp/bench-upload.csv" "http://127.0.0.1:$port/api/v1/uploads" | sed -n 's/.*"publish_url":"\([^"]*\)".*/\1/p')
upload=$(api -X POST -d confirm_warnings=1 "http://127.0.0.1:$port$publish" | sed -n 's/.*"upload_id":\([0-9]*\).*/\1/p')
echo "published upload #$upload"
sleep "$(( ${MIXED_SECONDS:-60} / 3 ))"
api -X POST "http://127.0.0.1:$port/api/v1/uploads/$upload/rollback" >/dev/null && echo "rolled back upload #$upload"
wait "$load" || mixed_status=$?
sleep 2
echo "server RSS before the mixed run: $rss_before kB; after: $(rss) kB; peak (VmHWM): $(awk '/VmHWM/ {print $2}' "/proc/$server/status") kB"
echo "Go heap in use before the mixed run: $heap_before; after: $(heap)"
exit "$mixed_status"
