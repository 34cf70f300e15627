#!/usr/bin/env bash
# Plays a preset in the window under a virtual X server and saves a screenshot:
#   scripts/screenshot.sh [PRESET.toml] [OUT.png] [SECONDS]
# (defaults: the embedded digits DCGAN, screenshot.png, 30 s of training).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-}
out=${2:-screenshot.png}
seconds=${3:-30}
display=:$((90 + RANDOM % 9))
command -v Xvfb >/dev/null || { echo "Xvfb is missing: run scripts/install-gui-deps.sh" >&2; exit 1; }
cargo build -q
Xvfb "$display" -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $app $xvfb 2>/dev/null || true' EXIT
sleep 2
bin="${CARGO_TARGET_DIR:-target}/debug/ganvas"
DISPLAY=$display "$bin" gui --play ${preset:+--preset "$preset"} &
app=$!
sleep "$seconds"
DISPLAY=$display import -window root "$out"
echo "wrote $out"
