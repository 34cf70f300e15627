#!/usr/bin/env bash
# The window's frame times and training speed beside the CLI's, on one preset:
#   scripts/window-perf.sh [PRESET.toml] [SECONDS]
# Plays the preset in the window under a virtual X server with --perf-log (frame build and
# interval percentiles, steps/s every 5 s), then trains the same preset headless for as many
# steps as the window made, and prints both speeds. BACKEND=gpu runs both on wgpu (default:
# cpu); GANVAS_BIN names a built binary (default: build one).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-presets/ring8-vanilla.toml}
seconds=${2:-40}
display=:$((80 + RANDOM % 9))
command -v Xvfb >/dev/null || { echo "Xvfb is missing: run scripts/install-gui-deps.sh" >&2; exit 1; }
if [ -z "${GANVAS_BIN:-}" ]; then
  cargo build -q
fi
bin="${GANVAS_BIN:-${CARGO_TARGET_DIR:-target}/debug/ganvas}"
log=$(mktemp)
Xvfb "$display" -screen 0 1400x900x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $app $xvfb 2>/dev/null || true; rm -f "$log"' EXIT
sleep 2
DISPLAY=$display "$bin" gui --play --perf-log --backend "${BACKEND:-cpu}" --preset "$preset" 2>"$log" &
app=$!
sleep "$seconds"
kill $app 2>/dev/null || true
wait $app 2>/dev/null || true
grep '^perf:' "$log" | tail -n 4
# Skip the first line (start-up), average the steps/s of the others.
window=$(grep '^perf:' "$log" | tail -n +2 | sed -E 's/.* ([0-9.]+) steps\/s.*/\1/' \
  | awk '{s += $1; n += 1} END {if (n) printf "%.1f", s / n; else print "0"}')
steps=$(awk -v r="$window" -v t="$seconds" 'BEGIN {n = int(r * t * 0.75); if (n < 50) n = 50; print n}')
out=$(mktemp -d)
cli=$("$bin" train --preset "$preset" --steps "$steps" --backend "${BACKEND:-cpu}" --out "$out" 2>/dev/null \
  | sed -nE 's/.*\(([0-9.]+) steps\/s\).*/\1/p')
rm -rf "$out"
echo "window: $window steps/s; CLI: $cli steps/s ($steps steps); window/CLI: $(awk -v a="$window" -v b="$cli" 'BEGIN {printf "%.2f", a / b}')"
