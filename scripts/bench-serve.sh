#!/usr/bin/env bash
# `tokentop serve` at scale (BENCHMARKS.md "serve"): a generated config of N backends (default
# 10,000; half protected, 3N/8 distinct credentials) against the demo token server, release build.
# Prints: time to ready, the scrape time (median and worst of ROUNDS curl fetches of /metrics), the
# body size and series count, the same body fetched as a static file from python3's http.server
# (the reference: what moving these bytes over loopback costs, measured in the same run) and the
# ratio, and the resident memory every INTERVAL seconds for MINUTES minutes (is it flat?).
#
#   scripts/bench-serve.sh                       10,000 backends, 20 scrapes, 10 minutes of memory
#   N=1000 MINUTES=1 scripts/bench-serve.sh      smaller and shorter
#   TOKENTOP=.build-release/release/tokentop scripts/bench-serve.sh   an already built binary
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}; ROUNDS=${ROUNDS:-20}; MINUTES=${MINUTES:-10}; INTERVAL=${INTERVAL:-30}
if [ -z "${TOKENTOP:-}" ]; then
  swift build -c release --product tokentop 2>&1 | tail -n 1
  TOKENTOP=$(swift build -c release --show-bin-path)/tokentop
fi
W=$(mktemp -d /tmp/tt-bench-serve-XXXX)
cleanup() { kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$W"; }
PIDS=(); trap cleanup EXIT

# The demo token server with exactly the generated config's clients (1 h tokens).
"$TOKENTOP" demo --serve --clients $((N * 3 / 8 + 1)) > "$W/demo.out" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do grep -q listening "$W/demo.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(awk '/listening/{print $2}' "$W/demo.out")
python3 scripts/gen-config.py "$N" --token-url "http://127.0.0.1:$PORT/oauth/token" -o "$W/krakend.json" 2>"$W/gen.txt"
cat "$W/gen.txt"

start=$(date +%s.%N)
"$TOKENTOP" serve "$W/krakend.json" --listen 127.0.0.1:0 2> "$W/serve.log" & SERVE=$!; PIDS+=($SERVE)
for _ in $(seq 600); do grep -q '"serving token health"' "$W/serve.log" 2>/dev/null && break; sleep 0.1; done
LISTEN=$(grep '"serving token health"' "$W/serve.log" | sed -E 's/.*"listen":"([^"]+)".*/\1/')
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$LISTEN/readyz")" = 200 ]; do sleep 0.1; done
ready=$(echo "$(date +%s.%N) - $start" | bc)
echo "ready (every token fetched once) after ${ready} s"

scrapes() {  # URL → one time_total per line
  for _ in $(seq "$ROUNDS"); do curl -s -o /dev/null -w '%{time_total}\n' "$1"; done | sort -n
}
curl -s "http://$LISTEN/metrics" > "$W/metrics.txt"
bytes=$(wc -c < "$W/metrics.txt"); series=$(grep -vc '^#' "$W/metrics.txt")
(cd "$W" && python3 -m http.server 0 --bind 127.0.0.1 > "$W/http.out" 2>&1) & PIDS+=($!)
for _ in $(seq 100); do grep -q 'Serving HTTP' "$W/http.out" 2>/dev/null && break; sleep 0.1; done
SPORT=$(sed -nE 's/.*port ([0-9]+).*/\1/p' "$W/http.out" | head -1)

# Alternated, so both see the same machine.
: > "$W/tt.txt"; : > "$W/ref.txt"
for _ in $(seq "$ROUNDS"); do
  curl -s -o /dev/null -w '%{time_total}\n' "http://$LISTEN/metrics" >> "$W/tt.txt"
  curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$SPORT/metrics.txt" >> "$W/ref.txt"
done
med() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
max() { sort -n "$1" | tail -1; }
tt=$(med "$W/tt.txt"); ref=$(med "$W/ref.txt")
printf 'scrape of /metrics: median %.1f ms, worst %.1f ms (%d rounds)\n' "$(echo "$tt*1000" | bc)" "$(echo "$(max "$W/tt.txt")*1000" | bc)" "$ROUNDS"
printf 'reference, the same bytes as a static file (python3 http.server): median %.1f ms\n' "$(echo "$ref*1000" | bc)"
printf 'ratio: %.2f\n' "$(echo "$tt / $ref" | bc -l)"
echo "body: $bytes bytes, $series series"
promtool check metrics < "$W/metrics.txt" >/dev/null 2>&1 && echo "promtool check metrics: ok" || echo "promtool check metrics: FAILED"

echo "resident memory (scraped every 5 s meanwhile), every ${INTERVAL} s for ${MINUTES} min:"
end=$(( $(date +%s) + MINUTES * 60 )); next=0
while [ "$(date +%s)" -lt "$end" ]; do
  now=$(date +%s)
  if [ "$now" -ge "$next" ]; then
    printf '  t=%4ds rss=%s kB\n' $(( now - ${start%.*} )) "$(awk '/VmRSS/{print $2}' /proc/$SERVE/status)"
    next=$(( now + INTERVAL ))
  fi
  curl -s -o /dev/null "http://$LISTEN/metrics"; sleep 5
done
