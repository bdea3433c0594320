#!/usr/bin/env bash
# Regenerates screenshots/*.png from the running demo: tokentop in a 120x40 tmux, driven with
# send-keys, captured with colours (capture-pane -e) and rendered by scripts/render_ansi.py.
# Run it whenever the UI changes, then open every PNG and look at it.
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=C.UTF-8 LC_ALL=C.UTF-8
need=()
/usr/bin/python3 -c "import pyte" 2>/dev/null || need+=(python3-pyte)
/usr/bin/python3 -c "import PIL" 2>/dev/null || need+=(python3-pil)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"; fi

swift build -c release --product tokentop >/dev/null
bin=$(swift build -c release --show-bin-path)/tokentop
sock="tokentop-shots-$$"
cols=120 rows=40
t() { tmux -L "$sock" "$@"; }
cleanup() { t kill-server 2>/dev/null || true; }
trap cleanup EXIT

t -f /dev/null new-session -d -s s -x $cols -y $rows
t set-option -s escape-time 10
t set-option -t s status off
t send-keys -t s "$bin demo" Enter

# Poll for a condition on the screen text (no fixed sleeps for state we can observe).
wait_for() {
  local pattern=$1 deadline=$((SECONDS + 30))
  until t capture-pane -t s -p | grep -q -- "$pattern"; do
    [ $SECONDS -lt $deadline ] || { echo "timed out waiting for: $pattern" >&2; t capture-pane -t s -p >&2; exit 1; }
    sleep 0.1
  done
}
shot() {
  local name=$1
  t capture-pane -t s -p -e > "/tmp/$sock-$name.txt"
  /usr/bin/python3 scripts/render_ansi.py "/tmp/$sock-$name.txt" "screenshots/$name.png" $cols $rows
  rm -f "/tmp/$sock-$name.txt"
  echo "screenshots/$name.png"
}

mkdir -p screenshots
# Main table once the hanging token endpoint has timed out (every scenario has an outcome).
wait_for "failed .*/demo/hang "
shot main
# Detail pane of the first row: healthy credentials, a decoded JWT.
t send-keys -t s g Enter
wait_for "JWT"
shot detail-jwt
t send-keys -t s Escape
# A failed token's error: the wrong-secret row (5th).
t send-keys -t s g j j j j Enter
wait_for "Last error"
shot error
t send-keys -t s Escape
# Help overlay.
t send-keys -t s '?'
wait_for "this help"
shot help
t send-keys -t s Escape
# A test call of the healthy backend: the response pane with the JSON body.
t send-keys -t s g t
wait_for "200 OK"
shot test-call
t send-keys -t s Escape q
