#!/usr/bin/env bash
# Builds and runs the facade example of the architecture issue from a separate crate
# that depends on gauge by path, as a user's project would: it proves that the public
# API alone is enough, with no hidden stage module. `.ci/run` runs it.
#
# It shares the repository's target directory and release profile, so that the
# dependencies and gauge itself, already built by the tests, are not built again.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
cat > "$work/Cargo.toml" <<TOML
[package]
name = "gauge-facade-user"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
gauge = { path = "$repo" }

[profile.release]
overflow-checks = true

[workspace]
TOML
cat > "$work/src/main.rs" <<'RUST'
use gauge::{Session, Verdict};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut s = Session::new();
    s.load("let f(x) = x^3\nassume p > 0")?;            // statements: let, assume
    let d = s.diff("cross_entropy(z, y)", "z[i]")?;     // an Expr; Display prints canonical text
    println!("{d}  {}", d.latex());                      // softmax(z)[i] - delta(i, y)
    let g = s.grad("eml(x, y)", &["x", "y"])?;          // one Expr per variable
    let h = s.hessian("logsumexp(z)", "z")?;            // index form
    let e = s.simplify("ln(exp(x))")?;
    let v = s.eval("eml(1, 1)", &[])?;                  // f64 value at bindings
    let c = s.prove("diff(eml(x, y), y) = -1/y")?;      // a claim's outcome
    assert_eq!(c.verdict(), Verdict::Proved);
    let r = s.check("cross_entropy(z, y)", &["z"])?;    // a CheckReport
    assert!(r.passed());
    assert_eq!(d.to_string(), "softmax(z)[i] - delta(i, y)");
    assert_eq!(g.len(), 2);
    println!("grad: {}, {}", g[0], g[1]);
    println!("hessian: {h}");
    println!("simplify: {e}");
    println!("eval: {v}");
    Ok(())
}
RUST
CARGO_TARGET_DIR="$repo/target" cargo run --quiet --release --manifest-path "$work/Cargo.toml"
