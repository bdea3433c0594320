#!/usr/bin/env bash
# The request budget at full time scale: for each breakage (connection refused, 500, 503 with
# Retry-After 30, 401 invalid_client, a hang) and for 5 s and 11 s tokens, one credential whose
# token server breaks right after a successful fetch; requests counted by the server, per minute.
# Usage: scripts/request-budget.sh [MINUTES]   (default 5; all cases run at once: MINUTES wall time)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-5}"
swift build --build-tests >/dev/null
TOKENTOP_BUDGET_SCALE=1 TOKENTOP_BUDGET_MINUTES="$minutes" \
  swift test --skip-build --filter RequestBudgetTests 2>&1 | grep -E "request budget|✘|passed|failed"
