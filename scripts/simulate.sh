#!/usr/bin/env bash
# A long run of the token manager's deterministic simulation (docs/simulation.md).
# Usage: scripts/simulate.sh [HISTORIES] [FIRST_SEED]
#   HISTORIES  seeded histories to run (default 50000)
#   FIRST_SEED the first seed (default: from the clock, printed so the run can be repeated)
# A failing history prints its seed and the command that replays it alone.
set -euo pipefail
cd "$(dirname "$0")/.."
histories="${1:-50000}"
seed="${2:-$(date +%s)}"
echo "simulating $histories histories from seed $seed"
swift build --build-tests >/dev/null
start=$(date +%s)
TOKENTOP_SIM_HISTORIES="$histories" TOKENTOP_SIM_SEED="$seed" \
  .build/debug/tokentop-sim histories "$histories" "$seed"
echo "wall time: $(( $(date +%s) - start )) s"
