#!/usr/bin/env bash
# Soak test of the dashboard (docs/soak.md), outside `swift test`:
#
#   scripts/soak.sh MINUTES [CLIENTS]
#
# Builds release binaries, starts a DemoGateway in its own process with CLIENTS (default 200)
# credentials whose tokens live 5–30 s, runs the real dashboard on it in a detached tmux with
# --log-file, samples the dashboard's RSS and CPU from /proc, then stops both and prints a report:
# refreshes done vs expected (tokentop refreshes a token at expiry − 10 s, at most every 5 s:
# RefreshPolicy.minimumRefreshInterval), missed refreshes, failed fetches, RSS at start and end,
# CPU used. Everything stays on 127.0.0.1. Output: .build/soak/<timestamp>/ (report.txt there too).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: scripts/soak.sh MINUTES [CLIENTS]}
clients=${2:-200}
seconds=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')
out=".build/soak/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
out=$(cd "$out" && pwd)

swift build -c release --product tokentop
swift build -c release --product tokentop-soak-server
bin=$(swift build -c release --show-bin-path)

server_pid=
socket="tokentop-soak-$$"
cleanup() {
    touch "$out/stop"
    tmux -L "$socket" kill-server 2>/dev/null || true
    if [ -n "$server_pid" ]; then
        for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
        kill "$server_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

"$bin/tokentop-soak-server" --clients "$clients" --min-lifetime 5 --max-lifetime 30 \
    --config "$out/krakend.json" --stats "$out/server.tsv" --stop-file "$out/stop" > "$out/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$out/krakend.json" ] && break; sleep 0.1; done
[ -s "$out/krakend.json" ] || { echo "soak: the server did not start" >&2; cat "$out/server.out" >&2; exit 1; }

# `exec`, so the pane's process is tokentop itself and /proc/<pane_pid> is the dashboard.
tmux -L "$socket" -f /dev/null new-session -d -s soak -x 160 -y 50 \
    "exec env LANG=C.UTF-8 '$bin/tokentop' '$out/krakend.json' --log-file '$out/tokentop.log'"
pid=$(tmux -L "$socket" display-message -p -t soak '#{pane_pid}')
ticks=$(getconf CLK_TCK)
start=$(date +%s.%N)
echo "soak: $clients credentials for $minutes min; dashboard pid $pid, output in $out"

# time, RSS (KiB), CPU ticks (utime+stime) of the dashboard; the server's CPU ticks.
sample() {
    local now rss cpu scpu
    now=$(date +%s.%N)
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    cpu=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
    scpu=$(awk '{ print $14 + $15 }' "/proc/$server_pid/stat" 2>/dev/null || echo 0)
    echo "$now $rss $cpu $scpu" >> "$out/samples.txt"
}
sample
end=$(awk -v s="$start" -v d="$seconds" 'BEGIN { printf "%.3f", s + d }')
while awk -v e="$end" -v n="$(date +%s.%N)" 'BEGIN { exit !(n < e) }'; do
    sleep 5
    kill -0 "$pid" 2>/dev/null || { echo "soak: the dashboard exited early" >&2; break; }
    sample
done
tmux -L "$socket" capture-pane -p -t soak > "$out/screen-at-end.txt" || true
stop=$(date +%s.%N)
alive=yes; kill -0 "$pid" 2>/dev/null || alive=no
tmux -L "$socket" send-keys -t soak q
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
touch "$out/stop"
for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
server_pid=

python3 - "$out" "$start" "$stop" "$ticks" "$alive" "$minutes" "$clients" <<'PY' | tee "$out/report.txt"
import sys, re, datetime
out, start, stop, ticks, alive, minutes, clients = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], int(sys.argv[7])
MIN_INTERVAL, EARLY = 5.0, 10.0          # RefreshPolicy.minimumRefreshInterval, AccessToken.earlyExpiry
LATE_TOLERANCE, EXPIRED_TOLERANCE = 1.5, 1.0

samples = [tuple(map(float, l.split())) for l in open(f"{out}/samples.txt") if l.strip()]
rows = []
for line in open(f"{out}/server.tsv"):
    if line.startswith("#"): continue
    parts = line.rstrip("\n").split("\t")
    times = sorted(float(t) for t in parts[3].split()) if len(parts) > 3 and parts[3] else []
    rows.append((parts[0], int(parts[1]), int(parts[2]), [t for t in times if t <= stop]))

expected = done = late = expired = never = 0
worst_late = 0.0
for cid, life, count, times in rows:
    if not times: never += 1; continue
    interval = max(life - EARLY, MIN_INTERVAL)
    expected += int((stop - times[0]) // interval)
    done += len(times) - 1
    for a, b in zip(times, times[1:]):
        gap = b - a
        worst_late = max(worst_late, gap - interval)
        if gap > interval + LATE_TOLERANCE: late += 1
        if gap > max(life, interval) + EXPIRED_TOLERANCE: expired += 1
    # The last token: still due for a refresh well before the end?
    if stop - times[-1] > interval + LATE_TOLERANCE: late += 1

ok = failed = 0
stamps = []
for line in open(f"{out}/tokentop.log", errors="replace"):
    if re.search(r"\] ok, expires_in", line): ok += 1
    elif re.search(r"\] failed: ", line): failed += 1
first_fetch = [t for _, _, _, times in rows for t in times[:1]]

rss0 = next((s[1] for s in samples if s[0] - start >= 10), samples[0][1])
rss1 = samples[-1][1]
rssmax = max(s[1] for s in samples)
cpu = (samples[-1][2] - samples[0][2]) / ticks
scpu = (samples[-1][3] - samples[0][3]) / ticks
wall = samples[-1][0] - samples[0][0]
print(f"tokentop soak — {datetime.datetime.utcfromtimestamp(start):%Y-%m-%d %H:%M} UTC, {minutes} min, {clients} credentials, token lifetimes 5–30 s")
print(f"  dashboard ran to the end:        {alive}")
print(f"  refreshes done (server):         {done}   (+{len(first_fetch)} first fetches; {sum(r[2] for r in rows)} token requests in all)")
print(f"  refreshes expected:              {expected}   (each token every max(lifetime − 10 s, 5 s) after its first fetch)")
print(f"  done / expected:                 {done / expected * 100 if expected else 0:.1f} %")
print(f"  tokens never fetched:            {never}")
print(f"  missed refreshes:                {late}   (a refresh more than {LATE_TOLERANCE} s after it was due)")
print(f"  tokens expired before replaced:  {expired}   (next token more than {EXPIRED_TOLERANCE} s after the real expiry)")
print(f"  latest refresh:                  {worst_late:+.2f} s against its due time")
print(f"  dashboard log:                   {ok} successful fetches, {failed} failed")
print(f"  RSS:                             {rss0/1024:.1f} MiB at start (10 s in), {rss1/1024:.1f} MiB at end, {rssmax/1024:.1f} MiB max")
print(f"  CPU (dashboard):                 {cpu:.1f} s in {wall:.0f} s = {cpu / wall * 100:.2f} % of one core")
print(f"  CPU (demo server, for scale):    {scpu:.1f} s = {scpu / wall * 100:.2f} % of one core")
PY
