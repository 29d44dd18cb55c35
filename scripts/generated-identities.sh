#!/bin/sh
# Issue 14's "Must show": 200 random true identities and 200 false ones made by
# perturbing them, decided by the prover, with the table of counts per class and
# verdict and every unsound verdict listed (tests/it/generated.rs). The test that
# requires 0 false claims confirmed is ignored until the prover samples where those
# perturbations show; this runs it anyway. Exit status 0 means every verdict was sound.
set -eu
cd "$(dirname "$0")/.."
exec cargo test --release --test it -- generated:: --include-ignored --nocapture --test-threads 1
