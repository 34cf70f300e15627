#!/usr/bin/env bash
# Everything a change should pass before it is committed: formatting, clippy with warnings as
# errors (with and without the GUI feature), and the tests (CI runs fmt and the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo clippy --all-targets --no-default-features -- -D warnings
cargo test
