#!/usr/bin/env bash
# Everything a change should pass before it is committed: formatting, clippy with warnings as
# errors (with and without the GUI feature), the tests, and a check that the engine builds for
# aarch64 (CI runs fmt and the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo clippy --all-targets --no-default-features -- -D warnings
cargo test
# The engine and CLI still build for a non-x86 processor (issue 19). Needs the target
# (`rustup target add aarch64-unknown-linux-gnu`) and a C cross compiler for mimalloc
# (`apt-get install gcc-aarch64-linux-gnu`); said and skipped when either is missing.
if rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu &&
  command -v aarch64-linux-gnu-gcc >/dev/null; then
  cargo check --target aarch64-unknown-linux-gnu --no-default-features
else
  echo "skipping the aarch64 check: add the target and gcc-aarch64-linux-gnu to run it" >&2
fi
