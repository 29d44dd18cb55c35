#!/usr/bin/env bash
# The whole loop of README.md in one run: every dump the examples write, and the gauge
# check of each against its specification. Each command is printed before it runs, so
# the output reads as the README's transcripts. A check that finds a planted bug exits 1,
# which is what it should do; the script goes on to the next one.
#
#   bash examples/training/loop.sh            # from the repository's root
#   GAUGE=path/to/gauge OUT=/some/dir bash examples/training/loop.sh
#
# The dumps go to $OUT, /tmp by default, under the names the README uses, so that the
# output can be pasted into it as it stands.
set -u
cd "$(dirname "$0")/../.."
GAUGE=${GAUGE:-target/release/gauge}
OUT=${OUT:-/tmp}
T=examples/training

run() {
    echo "\$ $*"
    "$@"
    echo "(exit $?)"
    echo
}

# The correct script: the loss and every gradient agree, in float64 and in float32.
run python3 $T/train.py --dump "$OUT/ok.npz"
run "$GAUGE" check $T/mlp.gauge --values "$OUT/ok.npz"
run python3 $T/train.py --dtype float32 --dump "$OUT/ok32.npz"
run "$GAUGE" check $T/mlp.gauge --values "$OUT/ok32.npz"
run python3 $T/train.py --model softmax --dump "$OUT/softmax.npz"
run "$GAUGE" check $T/softmax_regression.gauge --values "$OUT/softmax.npz"

# The planted bugs, one at a time.
for bug in missing_mean forgot_onehot layernorm_term; do
    run python3 $T/train_buggy.py --bug $bug --dump "$OUT/$bug.npz"
    run "$GAUGE" check $T/mlp.gauge --values "$OUT/$bug.npz"
done
# A second batch size tells a missing 1/N from a stray factor that happens to equal N.
run python3 $T/train_buggy.py --bug missing_mean --batch 32 --dump "$OUT/missing_mean_32.npz"
run "$GAUGE" check $T/mlp.gauge --values "$OUT/missing_mean_32.npz"
# The forward pass computes another function, and the backward pass agrees with it.
run python3 $T/train_buggy.py --loss-bug sum --dump "$OUT/sum.npz"
run "$GAUGE" check $T/mlp.gauge --values "$OUT/sum.npz"

# The Rust program's safetensors dump, with gradients in bfloat16 and in float32.
run cargo run --release --locked --quiet --example safetensors_dump -- "$OUT/sm.safetensors"
run "$GAUGE" check $T/softmax_regression.gauge --values "$OUT/sm.safetensors"
run cargo run --release --locked --quiet --example safetensors_dump -- "$OUT/sm32.safetensors" --dtype f32
run "$GAUGE" check $T/softmax_regression.gauge --values "$OUT/sm32.safetensors"
run cargo run --release --locked --quiet --example safetensors_dump -- "$OUT/bad.safetensors" --bug missing-mean
run "$GAUGE" check $T/softmax_regression.gauge --values "$OUT/bad.safetensors"
