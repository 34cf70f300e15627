#!/usr/bin/env bash
# Measures what a paused, untouched window costs: opens PRESET in the window under a virtual X
# server (not playing), waits SETTLE seconds for it to build the run, then reads the process's
# CPU time from /proc over SECONDS and prints it as a share of one core.
#   scripts/idle-cpu.sh [PRESET.toml] [SECONDS] [BINARY]
# (defaults: presets/ring8-vanilla.toml, 30 s, the debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-presets/ring8-vanilla.toml}
seconds=${2:-30}
bin=${3:-${CARGO_TARGET_DIR:-target}/debug/ganvas}
settle=${SETTLE:-15}
command -v Xvfb >/dev/null || { echo "Xvfb is missing: run scripts/install-gui-deps.sh" >&2; exit 1; }
[ -x "$bin" ] || cargo build -q
display=:$((70 + RANDOM % 9))
Xvfb "$display" -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $app $xvfb 2>/dev/null || true' EXIT
sleep 2
# A fresh settings folder and cache: no remembered window state, no crash copy to offer.
scratch=$(mktemp -d)
DISPLAY=$display XDG_DATA_HOME=$scratch GANVAS_CACHE_DIR=$scratch "$bin" gui --preset "$preset" >/dev/null 2>&1 &
app=$!
sleep "$settle"
ticks() { awk '{print $14 + $15}' "/proc/$app/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep "$seconds"
t1=$(ticks)
awk -v d=$((t1 - t0)) -v s="$seconds" -v hz="$hz" \
  'BEGIN { printf "paused window: %.2f s of CPU in %d s = %.1f %% of one core\n", d / hz, s, 100 * d / hz / s }'
rm -rf "$scratch"
