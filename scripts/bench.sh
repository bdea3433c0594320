#!/usr/bin/env bash
# tokentop's benchmark suite, one command: builds tokentop and the Benchmarks/ package in release
# mode, then runs every benchmark and prints the table (metric | tokentop | reference | ratio |
# target | met?). Results: bench-out/results.md (the table) and bench-out/results.json. See
# BENCHMARKS.md for what each figure measures and how.
#
#   scripts/bench.sh                      the whole suite (about 10 minutes on 2 cores, builds aside)
#   BENCH_ROUNDS=3 scripts/bench.sh       fewer repetitions per comparison (default 5)
#   BENCH_ONLY=load,render scripts/bench.sh   a subset: load,render,frame,idle,fetch,single,memory
#   BENCH_SKIP_ORDO=1 ...                 reuse the in-process figures of the previous run
#
# Needs: Swift, python3, and (installed here with apt when missing) jq, tmux, curl, htop, time.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench-out
export LANG=C.UTF-8 LC_ALL=C.UTF-8

bash scripts/install-deps.sh
need=()
for tool in curl htop python3; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

mkdir -p "$OUT"
echo "building tokentop (release)…"
swift build -c release --product tokentop 2>&1 | tail -n 3
echo "building Benchmarks/ (release)…"
(cd Benchmarks && swift build -c release --product tt-bench 2>&1 | tail -n 3)

TOKENTOP=$(swift build -c release --show-bin-path)/tokentop
TT_BENCH=$(cd Benchmarks && swift build -c release --show-bin-path)/tt-bench

args=(--tokentop "$TOKENTOP" --tt-bench "$TT_BENCH" --out "$OUT" --rounds "${BENCH_ROUNDS:-5}"
      --idle-seconds "${BENCH_IDLE_SECONDS:-30}" --command "scripts/bench.sh")
[ -n "${BENCH_ONLY:-}" ] && args+=(--only "$BENCH_ONLY")
[ -n "${BENCH_SKIP_ORDO:-}" ] && args+=(--skip-ordo)
python3 Benchmarks/tools/suite.py "${args[@]}"
