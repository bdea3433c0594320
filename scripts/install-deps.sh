#!/usr/bin/env bash
# Installs the system packages tokentop needs and a fresh Debian machine with Swift may lack:
# ncursesw headers (build), tmux (end-to-end tests), jq (benchmarks' reference), curl, and
# prometheus (its server and promtool: the tests of `tokentop serve` and of the alert rules).
# Screenshot rendering needs more; see scripts/screenshots.sh.
set -euo pipefail
need=()
dpkg -s libncurses-dev >/dev/null 2>&1 || need+=(libncurses-dev)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v curl >/dev/null 2>&1 || need+=(curl)
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
