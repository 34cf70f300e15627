#!/usr/bin/env bash
# The GPU figures, in one run on a machine with a GPU (issue 19), in under 8 minutes once
# built. Writes one report file (Markdown, format in BENCHMARKS.md) and prints it:
#   scripts/gpu-check.sh [REPORT.md]          (default: gpu-check-report.md)
# Environment: GANVAS_BIN (a built ganvas; default: cargo build), PYTHON (an interpreter
# with torch for the CUDA reference; default: python3), SECONDS_WINDOW (default 40).
# Exit status: 0 when every part ran; 2 when there is no GPU (the report says why, nothing
# else runs); 1 when a part failed (the report says which).
set -uo pipefail
cd "$(dirname "$0")/.."
report=${1:-gpu-check-report.md}
python=${PYTHON:-python3}
window_secs=${SECONDS_WINDOW:-40}
bin=${GANVAS_BIN:-}
if [ -z "$bin" ]; then
  cargo build -q || { echo "gpu-check: the build failed" >&2; exit 1; }
  bin="${CARGO_TARGET_DIR:-target}/debug/ganvas"
fi
failed=0
section() { printf '\n## %s\n\n' "$1" >>"$report"; }
fenced() { { echo '```'; cat; echo '```'; } >>"$report"; }

{
  echo "# ganvas GPU check"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- gpu (nvidia-smi): $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'not available')"
} >"$report"

section "adapter"
if ! probe=$("$bin" bench --probe-gpu 2>&1); then
  echo "$probe" | fenced
  echo "status: no GPU" >>"$report"
  echo "gpu-check: no GPU figure can be taken here: ${probe##*error: }" >&2
  echo "gpu-check: report in $report" >&2
  exit 2
fi
echo "$probe" | fenced

section "wgpu tests on the real adapter"
start=$(date +%s)
GANVAS_REQUIRE_GPU=1 cargo test -q --test tests wgpu_backend 2>&1 | tail -n 5 | fenced
[ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
echo "seconds: $(( $(date +%s) - start ))" >>"$report"

section "bench: DCGAN b128 on wgpu beside PyTorch CUDA"
if ! "$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "note: $python has no CUDA torch; the PyTorch column says so" >>"$report"
fi
"$bin" bench --dcgan-batch 128 --ring-steps 300 --dcgan-steps 50 --cycle-steps 20 \
  --repeat 3 --python "$python" 2>&1 | fenced
[ "${PIPESTATUS[0]}" -eq 0 ] || failed=1

section "window on wgpu: frame times, steps/s beside the CLI"
if command -v Xvfb >/dev/null; then
  for preset in presets/digits-dcgan.toml presets/ring8-vanilla.toml; do
    echo "preset: $preset" >>"$report"
    BACKEND=gpu GANVAS_BIN="$bin" scripts/window-perf.sh "$preset" "$window_secs" 2>&1 | fenced
    [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
  done
else
  echo "skipped: Xvfb is missing (scripts/install-gui-deps.sh)" >>"$report"
  failed=1
fi

section "status"
if [ "$failed" -eq 0 ]; then echo "status: complete" >>"$report"; else echo "status: a part failed (above)" >>"$report"; fi
cat "$report"
exit "$failed"
