#!/usr/bin/env bash
# Times a new user's first contact with gauge: a fresh clone, then the README's two
# commands (the main job on a shipped example, then the tests), each from a cold
# build with an empty target directory. The registry cache is left warm, as it is
# after any earlier cargo use; pass --cold-registry to point CARGO_HOME at an empty
# directory as well (that also times the downloads).
#
# Usage: scripts/first-contact.sh [--cold-registry]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ "${1:-}" = "--cold-registry" ]; then
    export CARGO_HOME="$work/cargo-home"
fi
git clone --quiet "$repo" "$work/gauge"
cd "$work/gauge"
# The two commands exactly as the README gives them.
run_cmd="$(grep -A1 '^```sh$' README.md | grep '^cargo run' | head -1)"
test_cmd="$(grep -A1 '^```sh$' README.md | grep '^cargo test' | head -1)"
echo "run:  $run_cmd"
echo "test: $test_cmd"
start=$(date +%s)
bash -c "$run_cmd" >/dev/null
mid=$(date +%s)
bash -c "$test_cmd" >/dev/null 2>&1 || { echo "the test command failed"; exit 1; }
end=$(date +%s)
echo "run command:  $((mid - start)) s"
echo "test command: $((end - mid)) s"
echo "together:     $((end - start)) s on $(nproc) cores, $(date -u +%Y-%m-%d)"
