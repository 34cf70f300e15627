#!/usr/bin/env bash
# A long training run with its memory and speed sampled every minute, to show that neither
# drifts:
#   scripts/soak.sh cli|window [MINUTES] [PRESET.toml]
# (defaults: 60 minutes, the embedded digits DCGAN's file). `cli` trains headless with
# autosaves; `window` plays the preset in the window under Xvfb (--perf-log). Prints one row a
# minute: minute, RSS in MiB, steps/s over that minute, step reached; and a summary (RSS growth
# from minute 5 to the end, steps/s spread).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?cli or window}
minutes=${2:-60}
preset=${3:-presets/digits-dcgan.toml}
bin=${GANVAS_BIN:-${CARGO_TARGET_DIR:-target}/debug/ganvas}
[ -x "$bin" ] || cargo build -q
work=$(mktemp -d)
log=$work/log
cleanup() { kill ${app:-} ${xvfb:-} 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
case $mode in
  cli)
    "$bin" train --preset "$preset" --steps 100000000 --backend cpu --out "$work/run" 2>"$log" >/dev/null &
    app=$!
    # Non-interactive, train prints "step N/M (… steps/s) …" at every evaluation.
    step_now() { grep -o '^step [0-9]*' "$log" | tail -n 1 | awk '{print $2 + 0}'; }
    ;;
  window)
    command -v Xvfb >/dev/null || { echo "Xvfb is missing: run scripts/install-gui-deps.sh" >&2; exit 1; }
    display=:$((60 + RANDOM % 9))
    Xvfb "$display" -screen 0 1280x800x24 >/dev/null 2>&1 &
    xvfb=$!
    sleep 2
    DISPLAY=$display XDG_DATA_HOME=$work GANVAS_CACHE_DIR=$work \
      "$bin" gui --play --perf-log --backend cpu --preset "$preset" 2>"$log" &
    app=$!
    # --perf-log prints the steps/s of every 5 s; the step is their running sum.
    step_now() { grep '^perf:' "$log" | sed -E 's/.* ([0-9.]+) steps\/s.*/\1/' | awk '{s += 5 * $1} END {printf "%d", s}'; }
    ;;
  *) echo "mode: cli or window" >&2; exit 2 ;;
esac
echo "minute,rss_mib,steps_per_s,step"
last=0
rows=()
for minute in $(seq 1 "$minutes"); do
  sleep 60
  kill -0 "$app" 2>/dev/null || { echo "the run ended early:" >&2; tail -n 5 "$log" >&2; exit 1; }
  rss=$(awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$app/status")
  step=$(step_now); step=${step:-0}
  rate=$(awk -v a="$step" -v b="$last" 'BEGIN {printf "%.1f", (a - b) / 60}')
  last=$step
  echo "$minute,$rss,$rate,$step"
  rows+=("$minute $rss $rate")
done
printf '%s\n' "${rows[@]}" | awk -v m="$minutes" '
  $1 == 5 || (m < 5 && $1 == 1) { base = $2 }
  $1 >= 2 { n += 1; s += $3; ss += $3 * $3; if (min == "" || $3 < min) min = $3; if ($3 > max) max = $3 }
  { end = $2 }
  END {
    mean = s / n; sd = sqrt(ss / n - mean * mean)
    printf "RSS %d MiB at minute %d, %d MiB at the end: %+.1f %%; steps/s from minute 2: mean %.1f, sd %.1f, min %.1f, max %.1f\n",
      base, (m < 5 ? 1 : 5), end, 100 * (end - base) / base, mean, sd, min, max
  }'
