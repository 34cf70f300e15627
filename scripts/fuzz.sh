#!/usr/bin/env bash
# Long fuzzing runs of every file parser (engine/fuzz): SECONDS per target, then the byte
# sweep of real checkpoints (every byte flipped, zeroed and set to 0xff, one at a time).
#   scripts/fuzz.sh [SECONDS] [SEED]
# Prints a table (cases, cases/s, accepted, crashes); crashing inputs go to fuzz-crashes/.
# `cargo test` runs a bounded version (tests/fuzzing.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
seed=${2:-1}
bin=${GANVAS_BIN:-${CARGO_TARGET_DIR:-target}/debug/ganvas}
[ -x "$bin" ] || cargo build -q
"$bin" fuzz --target all --seconds "$seconds" --seed "$seed" --out fuzz-crashes
"$bin" fuzz --sweep 1 --out fuzz-crashes | tail -n 1
