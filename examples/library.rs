//! gauge as a library: derive, simplify, evaluate, prove and check, from Rust.
//!
//! Run it with `cargo run --example library`.

use gauge::options::{CheckOptions, DiffOptions, Output};
use gauge::{Format, Session, Verdict};

fn main() -> Result<(), gauge::Error> {
    let mut s = Session::new();
    s.load("let f(x) = x^3\nassume p > 0")?; // statements: let, assume

    // The headline result: the gradient of cross-entropy by its logits.
    let d = s.diff("cross_entropy(z, y)", "z[i]")?;
    println!("d cross_entropy(z, y) / d z[i] = {d}");
    println!("  as LaTeX: {}", d.latex());

    let g = s.grad("eml(x, y)", &["x", "y"])?; // one Expr per variable
    println!("grad eml(x, y) = [{}, {}]", g[0], g[1]);
    let h = s.hessian("logsumexp(z)", "z")?; // index form
    println!("hessian logsumexp(z) = {h}");
    println!("ln(exp(x)) = {}", s.simplify("ln(exp(x))")?);
    println!("f'(p) = {}", s.diff("f(p)", "p")?);
    println!("eml(1, 1) = {}", s.eval("eml(1, 1)", &[])?);
    let v = s.eval_at("cross_entropy(z, y)", "z=[2.1, 1.8, 0.2, -1.5], y=0")?;
    println!("cross_entropy at the seed's logits = {}", v.value());

    // Claims: proved by sound rewrites, or refuted with a counterexample.
    let c = s.prove("diff(eml(x, y), y) = -1/y")?;
    assert_eq!(c.verdict(), Verdict::Proved);
    println!("diff(eml(x, y), y) = -1/y is {}", c.verdict());
    let wrong = s.prove("diff(eml(x, y), y) = 1/y")?;
    println!("diff(eml(x, y), y) = 1/y is {}", wrong.verdict());

    // Derivatives against finite differences, the complex step and dual numbers.
    let r = s.check("cross_entropy(z, y)", &["z"])?;
    assert!(r.passed());
    println!(
        "gauge's gradient of cross_entropy passes at {} points",
        r.points()
    );
    let hand = CheckOptions::new().with_grad("exp(x), 1/y"); // a sign slip
    let r = s.check_with("eml(x, y)", &["x", "y"], &hand)?;
    println!(
        "a hand-derived gradient with a sign slip passes: {}",
        r.passed()
    );

    // A derivation, rendered as the command line prints it.
    let second = s.diff_with("sin(x)*x", "x", &DiffOptions::new().with_order(2))?;
    print!(
        "{}",
        second.render(&Output::new(Format::Text).with_steps(true))
    );

    // Errors carry the spans the command line shows.
    if let Err(e) = s.diff("cross_entropy(z, y", "z[i]") {
        let at = &e.labels()[0];
        println!("error at {}:{}:{}: {e}", at.file(), at.line(), at.column());
    }
    Ok(())
}
