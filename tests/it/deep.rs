//! Deep nesting: every shape of nested text parses up to the parser's limit and goes
//! through the commands, on any thread (the library grows its stack as it recurses),
//! and past the limit the answer is a clean error, never a stack overflow.
//!
//! The facade's tests run on 2 MiB threads, the size of a thread a program spawns, and
//! a quarter of a main thread's 8 MiB: at a few kilobytes of stack per level, 10,000
//! levels would overflow either without the library's stack guard.

use gauge::syntax::parse::MAX_DEPTH;
use gauge::{ErrorKind, Session};

use crate::common::{gauge_with_stdin, stderr, stdout};

/// The W3 chain: `x`, then exp, sin, ln and squaring in turn, `depth` times, as nested
/// text (`(ln(sin(exp(x))))^2` at depth 4). Built from its prefixes and suffixes, so
/// that building it is linear in its length.
fn w3(depth: usize) -> String {
    let mut prefix = Vec::with_capacity(depth);
    let mut suffix = String::with_capacity(3 * depth);
    for k in 0..depth {
        let (open, close) = match k % 4 {
            0 => ("exp(", ")"),
            1 => ("sin(", ")"),
            2 => ("ln(", ")"),
            _ => ("(", ")^2"),
        };
        prefix.push(open);
        suffix.push_str(close);
    }
    prefix.reverse();
    format!("{}x{suffix}", prefix.concat())
}

/// The W3 chain's value and derivative at `x`, computed directly in f64 (forward mode).
fn w3_at(depth: usize, x: f64) -> (f64, f64) {
    let (mut v, mut d) = (x, 1.0);
    for k in 0..depth {
        (v, d) = match k % 4 {
            0 => (v.exp(), v.exp() * d),
            1 => (v.sin(), v.cos() * d),
            2 => (v.ln(), d / v),
            _ => (v * v, 2.0 * v * d),
        };
    }
    (v, d)
}

/// Deep text of each shape: nested parentheses, unary minus, right-nested powers,
/// nested builtin calls, nested calls of a definition, the W3 chain, nested indices and
/// nested sums.
fn shape(name: &str, depth: usize) -> String {
    let nest = |open: &str, inner: &str, close: &str| {
        format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
    };
    match name {
        "parens" => nest("(", "x", ")"),
        "minus" => format!("{}x", "- ".repeat(depth)),
        "powers" => format!("x{}", "^x".repeat(depth)),
        "calls" => nest("sin(", "x", ")"),
        "definitions" => nest("f(", "x", ")"),
        "w3" => w3(depth),
        "indices" => nest("z[", "0", "]"),
        "sums" => {
            // sum(i0, sum(i1, ... z[i0]*z[i1]*...)): a product body. (A body that is a
            // sum of the indexed terms costs time exponential in the nesting, in the
            // pool's canonical renaming of bound indices: not tested here.)
            let mut text = String::new();
            for k in 0..depth {
                text.push_str(&format!("sum(i{k}, "));
            }
            let factors: Vec<String> = (0..depth).map(|k| format!("z[i{k}]")).collect();
            text.push_str(&factors.join("*"));
            text.push_str(&")".repeat(depth));
            text
        }
        other => panic!("unknown shape {other}"),
    }
}

/// The shapes that lower to expressions at any depth. (`indices` nests `z[z[0]]`, which
/// parses, and then is refused: an index must be a name or an integer.)
const SHAPES: [&str; 6] = ["parens", "minus", "powers", "calls", "definitions", "w3"];

/// A session with the definition the `definitions` shape calls.
fn session() -> Session {
    let mut s = Session::new();
    s.load("let f(u) = sin(u) + u")
        .expect("the definition loads");
    s
}

/// Runs `f` on a thread with a 2 MiB stack, as a library user's spawned thread has.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("a thread starts")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// The failure text of a run of the binary that must have ended cleanly.
fn assert_no_crash(out: &std::process::Output) {
    let err = stderr(out);
    for word in ["overflow", "panicked", "internal error"] {
        assert!(!err.contains(word), "{word}: {err}");
    }
}

#[test]
fn every_shape_parses_and_round_trips_at_ten_thousand_levels() {
    on_small_stack(|| {
        let mut s = session();
        for name in SHAPES {
            let text = shape(name, 10_000);
            let e = s
                .parse(&text)
                .unwrap_or_else(|err| panic!("{name}: {}", err.message()));
            let printed = e.to_string();
            let again = s.parse(&printed).expect("the printed form parses");
            assert_eq!(
                again, e,
                "{name}: the printed form reads back as the same node"
            );
            assert_eq!(again.to_string(), printed, "{name}");
            assert!(!e.latex().is_empty(), "{name}");
        }
        // Nested sums, at 1,000 levels: the product of the sums.
        let sums = s.parse(&shape("sums", 1_000)).expect("nested sums");
        assert_eq!(sums.to_string(), "sum(j, z[j])^1000");
        // Nested indices parse, and lowering refuses a label whose index is a label.
        let e = s.parse(&shape("indices", 10_000)).unwrap_err();
        assert!(
            e.message().contains("an index must be a name"),
            "{}",
            e.message()
        );
        // What the shapes fold to where it is short.
        assert_eq!(s.parse(&shape("parens", 10_000)).unwrap().to_string(), "x");
        assert_eq!(s.parse(&shape("minus", 10_000)).unwrap().to_string(), "x");
        assert_eq!(s.parse(&shape("minus", 10_001)).unwrap().to_string(), "-x");
        let powers = s.parse(&shape("powers", 10_000)).unwrap().to_string();
        assert_eq!(powers, format!("x{}", "^x".repeat(10_000)));
    });
}

#[test]
fn the_limit_itself_parses_and_one_more_level_is_a_clean_error() {
    on_small_stack(|| {
        let mut s = session();
        for name in ["parens", "minus", "powers", "calls", "indices"] {
            match s.parse(&shape(name, MAX_DEPTH)) {
                Ok(_) => {}
                Err(e) if name == "indices" => assert_eq!(e.kind(), ErrorKind::Shape),
                Err(e) => panic!("{name} at the limit: {}", e.message()),
            }
            let e = s
                .parse(&shape(name, MAX_DEPTH + 1))
                .expect_err("one level past the limit");
            assert_eq!(e.kind(), ErrorKind::Limit, "{name}");
            assert_eq!(
                e.message(),
                format!("the input nests deeper than the limit of {MAX_DEPTH} levels")
            );
            assert!(e.hint().is_some_and(|h| h.contains("let")), "{name}");
            // The label points into the text, at the level that is one too many.
            let label = &e.labels()[0];
            assert_eq!(label.line(), 1, "{name}");
            assert!(label.column() > MAX_DEPTH / 2, "{name}: {}", label.column());
        }
        // Far past the limit, the parser stops at the limit: no deeper descent.
        let e = s.parse(&shape("parens", 1_000_000)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Limit);
        // Values given with `--at` nest under the same limit.
        let deep_list = format!(
            "z={}1{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        let e = s.eval_at("z[0]", &deep_list).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Limit);
    });
}

#[test]
fn past_the_limit_the_binary_reports_the_limit_and_exits_2() {
    let text = shape("calls", MAX_DEPTH + 1);
    for args in [
        &["parse", "-"][..],
        &["diff", "-", "--wrt", "x"],
        &["parse", "-", "--format", "json"],
    ] {
        let out = gauge_with_stdin(args, Some(&text));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_no_crash(&out);
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "nests deeper than the limit of {MAX_DEPTH} levels"
            )),
            "{err}"
        );
        assert!(
            err.contains("<input>:1:"),
            "the diagnostic has a location: {err}"
        );
        if args.contains(&"json") {
            let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
            assert_eq!(v["error"]["kind"], "limit");
        }
    }
}

#[test]
fn the_w3_chain_evaluates_to_its_value_at_every_depth() {
    on_small_stack(|| {
        let mut s = Session::new();
        for depth in [1_000, 10_000, MAX_DEPTH] {
            let v = s
                .eval(&w3(depth), &[("x", 0.5)])
                .expect("the chain evaluates");
            let (want, _) = w3_at(depth, 0.5);
            assert!(
                ((v - want) / want).abs() < 1e-12,
                "depth {depth}: {v} against {want}"
            );
        }
    });
}

#[test]
fn the_w3_chain_differentiates_on_a_small_stack_to_the_right_number() {
    on_small_stack(|| {
        let mut s = Session::new();
        let d = s.diff(&w3(1_000), "x").expect("the chain differentiates");
        // The derivative, printed, read back and evaluated, against forward mode.
        let v = s.eval(&d.to_string(), &[("x", 0.5)]).expect("it evaluates");
        let (_, want) = w3_at(1_000, 0.5);
        assert!(((v - want) / want).abs() < 1e-9, "{v} against {want}");
        // The reverse sweep gives the same expression.
        let g = s.grad(&w3(1_000), &["x"]).expect("the gradient");
        assert_eq!(g[0], d);
        // At 10,000 levels, by the reverse sweep (linear in the depth).
        let g = s
            .grad(&w3(10_000), &["x"])
            .expect("the gradient at 10,000 levels");
        assert_ne!(g[0], s.parse("0").unwrap());
    });
}

#[test]
fn every_command_takes_the_w3_chain_on_a_small_stack() {
    on_small_stack(|| {
        let mut s = Session::new();
        let text = w3(10_000);
        let simplified = s.simplify(&text).expect("simplify");
        assert_eq!(simplified, s.parse(&text).unwrap());
        let steps = s.simplify_with_steps(&text).expect("simplify with steps");
        assert!(!steps.latex().is_empty());
        let claim = format!("sin({text})^2 + cos({text})^2 = 1");
        let proved = s.prove_with(
            &claim,
            &gauge::options::ProveOptions::new().with_verify(true),
        );
        let proved = proved.expect("the claim is decided");
        assert_eq!(proved.verdict(), gauge::Verdict::Proved);
        assert_eq!(proved.checker_failure(), None);
        // The derivative checked against the oracles, at 1,000 levels.
        let report = s.check(&w3(1_000), &["x"]).expect("check");
        assert!(report.passed());
    });
}

#[test]
fn the_w3_chain_goes_through_the_binary() {
    let text = w3(1_000);
    for args in [
        &["diff", "-", "--wrt", "x"][..],
        &["diff", "-", "--wrt", "x", "--format", "json"],
        &["diff", "-", "--wrt", "x", "--format", "latex"],
        &["diff", "-", "--wrt", "x", "--steps"],
        &["diff", "-", "--wrt", "x", "--cse"],
        &["grad", "-", "--wrt", "x"],
        &["check", "-", "--wrt", "x"],
        &["simplify", "-", "--steps"],
        &["latex", "-"],
        &["eval", "-", "--at", "x=0.5", "--format", "json"],
    ] {
        let out = gauge_with_stdin(args, Some(&text));
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_no_crash(&out);
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn the_w3_chain_at_ten_thousand_levels_goes_through_the_binary() {
    // The value, and the derivative by the reverse sweep (200 MB of text written out as
    // a tree: the derivative of a 10,000-level chain holds the chain below each of its
    // factors; with the chain's levels printed once as `let` bindings, 300 KB).
    let text = w3(10_000);
    let out = gauge_with_stdin(&["eval", "-", "--at", "x=0.5"], Some(&text));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: f64 = stdout(&out).trim().parse().expect("a number");
    let (want, _) = w3_at(10_000, 0.5);
    assert!(((v - want) / want).abs() < 1e-12, "{v} against {want}");
    let out = gauge_with_stdin(&["grad", "-", "--wrt", "x"], Some(&text));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_no_crash(&out);
    // Its coefficient is the product of the 2,500 squarings' factors of 2.
    let two = num_bigint::BigInt::from(2).pow(2_500);
    let text = stdout(&out);
    assert!(text.len() < 1_000_000, "{} bytes", text.len());
    let line = text
        .lines()
        .find(|l| l.starts_with("x: "))
        .expect("the partial");
    assert!(line.starts_with(&format!("x: {two}*")), "{}", &line[..80]);
}
