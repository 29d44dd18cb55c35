#!/usr/bin/env bash
# Runs gauge's cargo-fuzz targets (fuzz/) for a set time each, one after the other, and
# prints per target: executions per second, the corpus's size (files and bytes) and the
# crashes found (panics, timeouts and out-of-memory inputs). Exits 1 when any target
# found one, 2 on a usage or build error.
#
#   scripts/fuzz.sh [SECONDS-PER-TARGET] [TARGET...]      default: 600 s, every target
#
# A crash does not stop a target's run: its reproducer is kept (see FUZZ_ARTIFACTS) and
# the target starts again on its corpus until its time is up.
#
# Environment:
#   FUZZ_SCRATCH=1     fuzz copies of the corpora and keep reproducers in a temporary
#                      directory, so that no tracked file changes (CI's smoke pass);
#                      otherwise new inputs go into fuzz/corpus/TARGET and reproducers
#                      into fuzz/artifacts/TARGET/ (not tracked by git)
#   FUZZ_MINIMIZE=1    afterwards, minimize each corpus in place (as `cargo fuzz cmin`)
#   FUZZ_TIMEOUT       seconds one input may take before it counts as a hang (10)
#   FUZZ_RSS_MB        memory limit in MB (2048)
#   FUZZ_SANITIZER     none (default: the library is safe Rust, and none runs ~2x
#                      faster on a small machine) or address
#   CARGO_TARGET_DIR   where the targets are built (default fuzz/target)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${1:-600}
[ $# -gt 0 ] && shift
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "usage: scripts/fuzz.sh [SECONDS-PER-TARGET] [TARGET...]" >&2
    exit 2
fi
all_targets=(parse_lower simplify diff prove)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
    if [ ! -f "fuzz/fuzz_targets/$t.rs" ]; then
        echo "fuzz.sh: no target $t (targets: ${all_targets[*]})" >&2
        exit 2
    fi
done

timeout_s=${FUZZ_TIMEOUT:-10}
rss_mb=${FUZZ_RSS_MB:-2048}
sanitizer=${FUZZ_SANITIZER:-none}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/fuzz/target}

# cargo-fuzz builds with a nightly toolchain; install both when this machine lacks them.
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "== installing the nightly toolchain"
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

work=$(mktemp -d)
if [ "${FUZZ_SCRATCH:-0}" = 1 ]; then
    # cargo-fuzz has no --locked: when the main crate's dependencies moved on, the
    # build rewrites fuzz/Cargo.lock. A scratch run leaves the tree as it found it.
    cp fuzz/Cargo.lock "$work/Cargo.lock"
    trap 'cp "$work/Cargo.lock" fuzz/Cargo.lock; rm -rf "$work"' EXIT
else
    trap 'rm -rf "$work"' EXIT
fi

echo "== building the fuzz targets (sanitizer: $sanitizer)"
(cd fuzz && nice cargo +nightly fuzz build -O --sanitizer "$sanitizer") || exit 2
host=$(rustc -vV | sed -n 's/^host: //p')
bin_dir=$CARGO_TARGET_DIR/$host/release

# The longest input a target reads: a file for parse_lower; the expression generator
# of the others uses a few dozen bytes at most.
max_len() {
    case $1 in
        parse_lower) echo 4096 ;;
        *) echo 256 ;;
    esac
}

count_files() { find "$1" -type f | wc -l | tr -d ' '; }
count_bytes() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }

summary=()
failed=0
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    if [ "${FUZZ_SCRATCH:-0}" = 1 ]; then
        corpus=$work/corpus/$t
        artifacts=$work/artifacts/$t
        mkdir -p "$corpus"
        cp -R "fuzz/corpus/$t/." "$corpus/"
    else
        corpus=$root/fuzz/corpus/$t
        artifacts=$root/fuzz/artifacts/$t
    fi
    mkdir -p "$artifacts"
    stamp=$work/$t.stamp
    touch "$stamp"
    quick=0
    echo "== fuzzing $t for $seconds s (corpus $(count_files "$corpus") files)"
    start=$(date +%s)
    execs=0
    runs=0
    # libFuzzer stops at its first crash; start it again on the corpus until the time
    # is up, so that one bug does not end the run.
    while :; do
        left=$((seconds - ($(date +%s) - start)))
        [ "$left" -le 0 ] && break
        runs=$((runs + 1))
        log=$work/$t.$runs.log
        status=0
        nice "$bin_dir/$t" "$corpus" \
            -max_total_time="$left" -timeout="$timeout_s" -rss_limit_mb="$rss_mb" \
            -max_len="$(max_len "$t")" -jobs=1 -workers=1 -print_final_stats=1 \
            -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
        # The executions of this run: the final statistics, or the last status line
        # when the run ended on a crash before printing them.
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        if [ -z "$n" ]; then
            n=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
        fi
        execs=$((execs + ${n:-0}))
        if [ "$status" -ne 0 ]; then
            echo "-- $t: libFuzzer exited with $status after $(($(date +%s) - start)) s:"
            # `|| true`: under pipefail, a grep that finds nothing (a timeout has no
            # panic message) would end the whole script instead of restarting.
            grep -E "panicked at|UNSOUND|ERROR: libFuzzer|SUMMARY|Test unit written|timeout after|out-of-memory" "$log" | head -20 | sed 's/^/   /' || true
            grep -A3 "panicked at" "$log" | head -8 | sed 's/^/   /' || true
            cp "$log" "$artifacts/log-$(date +%s)-$runs.txt"
            # An input of the corpus that crashes (one added before the library
            # changed) would end every restart as it loads: libFuzzer names both the
            # corpus file and the reproducer by the input's SHA-1, so move it aside.
            sha=$(grep -oE 'Test unit written to .*-[0-9a-f]{40}' "$log" | grep -oE '[0-9a-f]{40}$' | tail -1 || true)
            if [ -n "$sha" ] && [ -f "$corpus/$sha" ]; then
                echo "-- $t: the corpus input $sha crashes; moved to $artifacts/corpus-$sha"
                mv "$corpus/$sha" "$artifacts/corpus-$sha"
            fi
            # A crash at start-up (on an input of the corpus itself) would only
            # repeat: after five runs in a row that end before their first status lines, stop.
            if [ "$(grep -c '^#[0-9]' "$log")" -le 3 ]; then
                quick=$((quick + 1))
            else
                quick=0
            fi
            if [ "$quick" -ge 5 ]; then
                echo "-- $t: crashes as soon as it starts, giving up on it"
                break
            fi
        fi
    done
    elapsed=$(($(date +%s) - start))
    [ "$elapsed" -eq 0 ] && elapsed=1
    # The reproducers this run wrote (the logs kept next to them are not).
    crashes=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) -newer "$stamp" | wc -l | tr -d ' ')
    if [ "${FUZZ_MINIMIZE:-0}" = 1 ]; then
        echo "== minimizing the $t corpus"
        merged=$work/merged/$t
        mkdir -p "$merged"
        nice "$bin_dir/$t" -merge=1 -timeout="$timeout_s" -rss_limit_mb="$rss_mb" \
            -max_len="$(max_len "$t")" "$merged" "$corpus" >"$work/$t.merge.log" 2>&1
        find "$corpus" -type f -delete
        cp -R "$merged/." "$corpus/"
    fi
    line=$(printf '%-12s %6d s %10d execs %8d execs/s  corpus %5d files %9d bytes  crashes %d' \
        "$t" "$elapsed" "$execs" "$((execs / elapsed))" \
        "$(count_files "$corpus")" "$(count_bytes "$corpus")" "$crashes")
    echo "$line"
    summary+=("$line")
    [ "$crashes" -gt 0 ] && failed=1
done

echo "== summary"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "fuzz.sh: crashes found; reproducers are in the artifact directories above" >&2
    exit 1
fi
