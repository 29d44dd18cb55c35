//! Common subexpressions printed once, as `where` bindings (`--cse`) and as the `let`
//! lines of gradients and Hessians by scalars: the bindings, evaluated in order, and
//! then the result give the value of the result printed whole, and no binding takes an
//! index out of the sum that binds it.

use std::collections::BTreeSet;

use gauge::expr::kind::Kind;
use gauge::expr::node::ExprId;
use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;
use gauge::numeric::sample::{Lengths, Rng, sample_with};
use gauge::numeric::value::{Bindings, Value};
use gauge::options::{DiffOptions, GradOptions, Output};
use gauge::{Format, Session};
use serde_json::Value as Json;

use crate::common::{gauge, stderr, stdout};

/// One printed result: whole, and as its bindings and the result in their names.
#[derive(Debug)]
struct Printed {
    /// What was asked, for messages.
    label: String,
    whole: String,
    bindings: Vec<(String, String)>,
    named: String,
}

/// What to derive from a function.
#[derive(Clone, Copy, Debug)]
enum Op {
    Simplify,
    /// A derivative by a scalar or an element (`z[i]`).
    Diff(&'static str),
    /// A gradient by a tensor (with its free indices) or by scalars (no indices).
    Grad(&'static str, &'static str),
    /// A Hessian by a vector (with its two free indices) or by scalars (no indices).
    Hessian(&'static str, &'static str),
}

fn json_cse() -> Output {
    Output::new(Format::Json).with_cse(true)
}

fn text_cse() -> Output {
    Output::new(Format::Text).with_cse(true)
}

/// The bindings of a JSON array of `{"name", "value"}` objects.
fn json_bindings(v: &Json) -> Vec<(String, String)> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|b| {
                    let text = |k: &str| b[k].as_str().unwrap().to_string();
                    (text("name"), text("value"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A derivation's text with `--cse`: the result, then `where` and one `name = body`
/// line each (a `(where u != 0)` line of conditions is not a binding).
fn text_bindings(text: &str) -> (String, Vec<(String, String)>) {
    let (result, rest) = text.split_once("\nwhere\n").unwrap_or((text, ""));
    let result = result.lines().next().unwrap_or_default().to_string();
    let bindings = rest
        .lines()
        .filter(|l| !l.trim_start().starts_with('('))
        .map(|l| {
            let (name, body) = l.trim().split_once(" = ").expect("a `name = body` line");
            (name.to_string(), body.to_string())
        })
        .collect();
    (result, bindings)
}

/// A derived result of an index form (a derivative, a simplification, a gradient or a
/// Hessian by a tensor), from its JSON with `--cse`; its text with `--cse` must say the
/// same.
fn derivation(label: String, json: &str, text: &str) -> Printed {
    let v: Json = serde_json::from_str(json).unwrap();
    let whole = v["result"].as_str().unwrap().to_string();
    let (bindings, named) = match v.get("cse") {
        Some(c) => (
            json_bindings(&c["bindings"]),
            c["result"].as_str().unwrap().into(),
        ),
        None => (Vec::new(), whole.clone()),
    };
    assert_eq!(
        text_bindings(text),
        (named.clone(), bindings.clone()),
        "{label}: text and JSON"
    );
    Printed {
        label,
        whole,
        bindings,
        named,
    }
}

/// The names of a comma-separated list.
fn list(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

/// The printed results of `op` on `f`, after `defs`.
fn printed(defs: &str, f: &str, op: Op) -> Vec<Printed> {
    let mut s = Session::new();
    s.load(defs).unwrap();
    let label = format!("{op:?} of {f}");
    match op {
        Op::Simplify => {
            let d = s.simplify_with_steps(f).unwrap();
            vec![derivation(
                label,
                &d.render(&json_cse()),
                &d.render(&text_cse()),
            )]
        }
        Op::Diff(wrt) => {
            let d = s.diff_with(f, wrt, &DiffOptions::new()).unwrap();
            vec![derivation(
                label,
                &d.render(&json_cse()),
                &d.render(&text_cse()),
            )]
        }
        Op::Grad(wrt, index) if !index.is_empty() => {
            let opts = GradOptions::new().with_index(&list(index));
            let g = s.grad_with(f, &[wrt], &opts).unwrap();
            vec![derivation(
                label,
                &g.render(&json_cse()),
                &g.render(&text_cse()),
            )]
        }
        Op::Grad(wrt, _) => {
            let vars = list(wrt);
            let g = s.grad_with(f, &vars, &GradOptions::new()).unwrap();
            let v: Json = serde_json::from_str(&g.render(&json_cse())).unwrap();
            let lets = json_bindings(&v["let"]);
            vars.iter()
                .zip(g.parts())
                .map(|(var, part)| Printed {
                    label: format!("{label}: by {var}"),
                    whole: part.to_string(),
                    bindings: lets.clone(),
                    named: v["gradient"][*var].as_str().unwrap().to_string(),
                })
                .collect()
        }
        Op::Hessian(wrt, index) if !index.is_empty() => {
            let opts = GradOptions::new().with_index(&list(index));
            let h = s.hessian_of(f, &[wrt], &opts).unwrap();
            vec![derivation(
                label,
                &h.render(&json_cse()),
                &h.render(&text_cse()),
            )]
        }
        Op::Hessian(wrt, _) => {
            // The entries against differentiating twice, which names nothing.
            let vars = list(wrt);
            let h = s.hessian_of(f, &vars, &GradOptions::new()).unwrap();
            let v: Json = serde_json::from_str(&h.render(&json_cse())).unwrap();
            let lets = json_bindings(&v["let"]);
            let mut out = Vec::new();
            for (a, x) in vars.iter().enumerate() {
                for (b, y) in vars.iter().enumerate() {
                    let twice = format!("diff(diff({f}, {x}), {y})");
                    out.push(Printed {
                        label: format!("{label}: by {x}, {y}"),
                        whole: s.simplify(&twice).unwrap().to_string(),
                        bindings: lets.clone(),
                        named: v["hessian"][a][b].as_str().unwrap().to_string(),
                    });
                }
            }
            out
        }
    }
}

/// The names a text uses free (not a function's, and not bound by a `sum` in the text),
/// and each use of a name with the indices the sums around it bind.
#[derive(Default)]
struct Scan {
    free: BTreeSet<String>,
    uses: Vec<(String, Vec<String>)>,
}

/// The tokens of a printed expression: names, numbers and single characters.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            let mut t = c.to_string();
            while let Some(&d) = chars.peek() {
                if d.is_alphanumeric() || d == '_' || (c.is_ascii_digit() && d == '.') {
                    t.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(t);
        } else if !c.is_whitespace() {
            out.push(c.to_string());
        }
    }
    out
}

fn is_name(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Scans tokens with the indices `bound` around them.
fn scan(toks: &[String], bound: &[String], out: &mut Scan) {
    let mut k = 0;
    while k < toks.len() {
        let t = &toks[k];
        if is_name(t) && toks.get(k + 1).is_some_and(|n| n == "(") {
            // A call: its arguments end at the matching parenthesis.
            let (mut depth, mut end, mut args, mut start) = (0usize, k + 1, Vec::new(), k + 2);
            while end < toks.len() {
                match toks[end].as_str() {
                    "(" | "[" => depth += 1,
                    ")" | "]" => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    "," if depth == 1 => {
                        args.push(&toks[start..end]);
                        start = end + 1;
                    }
                    _ => {}
                }
                end += 1;
            }
            args.push(&toks[start..end.min(toks.len())]);
            if t == "sum" {
                let (body, binders) = args.split_last().unwrap();
                let mut inner = bound.to_vec();
                inner.extend(binders.iter().map(|b| b.concat()));
                scan(body, &inner, out);
            } else {
                for a in args {
                    scan(a, bound, out);
                }
            }
            k = end + 1;
        } else {
            if is_name(t) {
                out.uses.push((t.clone(), bound.to_vec()));
                if !bound.contains(t) {
                    out.free.insert(t.clone());
                }
            }
            k += 1;
        }
    }
}

fn scanned(text: &str) -> Scan {
    let mut out = Scan::default();
    scan(&tokens(text), &[], &mut out);
    out
}

/// No binding uses an index free that a sum around one of the binding's uses binds:
/// the binding, which stands outside every sum, would take the index out of its sum.
fn assert_no_index_escapes(p: &Printed) {
    let names: Vec<&str> = p.bindings.iter().map(|b| b.0.as_str()).collect();
    // Each binding's free names, through the bindings it uses.
    let mut free: Vec<BTreeSet<String>> = Vec::new();
    for (_, body) in &p.bindings {
        let s = scanned(body);
        let mut f: BTreeSet<String> = BTreeSet::new();
        for n in &s.free {
            match names.iter().position(|m| m == n) {
                Some(k) if k < free.len() => f.extend(free[k].iter().cloned()),
                _ => {
                    f.insert(n.clone());
                }
            }
        }
        free.push(f);
    }
    let texts = p
        .bindings
        .iter()
        .map(|b| b.1.as_str())
        .chain([p.named.as_str()]);
    for text in texts {
        for (name, around) in scanned(text).uses {
            let Some(k) = names.iter().position(|m| *m == name) else {
                continue;
            };
            let escaped: Vec<&String> = around.iter().filter(|i| free[k].contains(*i)).collect();
            assert!(
                escaped.is_empty(),
                "{}: `{name} = {}` uses {escaped:?} free, but in `{text}` a sum around `{name}` binds it\n{p:#?}",
                p.label,
                p.bindings[k].1,
            );
        }
    }
}

/// A random point for `exprs`, every axis of every tensor `len` long.
fn point(ws: &mut Workspace, exprs: &[ExprId], len: usize, rng: &mut Rng) -> Bindings {
    let mut lengths = Lengths::linked(&mut ws.pool, exprs);
    for &e in exprs {
        for s in ws.names_used(e) {
            if let Some(Kind::Tensor(r)) = ws.kind_of(s) {
                for a in 0..r {
                    let l = ws.pool.len_of(s, a);
                    lengths.fixed.push((l, len));
                }
            }
        }
    }
    sample_with(ws, exprs, rng, &lengths).unwrap()
}

/// The value of the named form at `at`: each binding evaluated in order, bound to its
/// name, then the result.
fn substituted(ws: &mut Workspace, p: &Printed, at: &Bindings) -> Result<f64, String> {
    let mut at = at.clone();
    let parse = |ws: &mut Workspace, text: &str| {
        ws.parse_expression(text)
            .unwrap_or_else(|e| panic!("{}: `{text}` does not parse: {e:?}", p.label))
    };
    for (name, body) in &p.bindings {
        let id = parse(ws, body);
        let v = ws
            .eval(id, &at)
            .map_err(|e| format!("`{name} = {body}`: {}", e.message))?;
        let s = ws.pool.symbol(name);
        at.insert(s, Value::Scalar(v));
    }
    let id = parse(ws, &p.named);
    ws.eval(id, &at)
        .map_err(|e| format!("`{}`: {}", p.named, e.message))
}

/// Checks `op` on each function: the bindings substituted back give the whole result at
/// random points with axes 1, 2 and 5 long, and no index escapes its sum. Returns how
/// many results named something.
fn check(defs: &str, functions: &[&str], ops: &[Op]) -> usize {
    let mut named = 0;
    for f in functions {
        for &op in ops {
            let results = printed(defs, f, op);
            let mut ws = Workspace::with_prelude().unwrap();
            ws.load_file("defs", defs).unwrap();
            let mut exprs = vec![ws.parse_expression(f).unwrap()];
            for p in &results {
                exprs.push(ws.parse_expression(&p.whole).unwrap());
            }
            for (k, p) in results.iter().enumerate() {
                named += usize::from(!p.bindings.is_empty());
                assert_no_index_escapes(p);
                let mut compared = 0;
                for (len, seed) in [1, 2, 5]
                    .into_iter()
                    .flat_map(|l| (1..=3).map(move |s| (l, s)))
                {
                    let mut rng = Rng(seed * 7919 + len as u64);
                    let at = point(&mut ws, &exprs, len, &mut rng);
                    // Where the result is undefined (an index past an axis of length 1)
                    // there is nothing to compare.
                    let Ok(want) = ws.eval(exprs[k + 1], &at) else {
                        continue;
                    };
                    let got = substituted(&mut ws, p, &at)
                        .unwrap_or_else(|e| panic!("{}: {e}\n{p:#?}", p.label));
                    let scale = want.abs().max(got.abs()).max(1.0);
                    assert!(
                        (want - got).abs() <= 1e-9 * scale,
                        "{}: {got} with the bindings, {want} whole, axes {len} long\n{p:#?}",
                        p.label
                    );
                    compared += 1;
                }
                assert!(compared > 0, "{}: no point to compare at\n{p:#?}", p.label);
            }
        }
    }
    named
}

#[test]
fn the_tables_functions_and_their_derivatives_with_bindings_substituted_back() {
    let ops = [
        Op::Simplify,
        Op::Grad("x", "i"),
        Op::Grad("b1", "i"),
        Op::Grad("b2", "i"),
        Op::Grad("b3", "i"),
        Op::Grad("W1", "i, k"),
        Op::Grad("W2", "i, k"),
        Op::Grad("W3", "i, k"),
        Op::Grad("Q", "i, k"),
        Op::Grad("c", ""),
        Op::Hessian("x", "i, k"),
        Op::Hessian("b3", "i, k"),
    ];
    let named = check(crate::tables::DEFS, &crate::tables::FUNCTIONS, &ops);
    assert!(
        named > 10,
        "the derivatives of a network share subterms: {named}"
    );
}

#[test]
fn gradients_and_hessians_with_sums_with_bindings_substituted_back() {
    let cases: &[(&str, &[Op])] = &[
        (
            "logsumexp(z)^2",
            &[Op::Diff("z[i]"), Op::Hessian("z", "i, k")],
        ),
        (
            "cross_entropy(z, y)",
            &[Op::Grad("z", "i"), Op::Hessian("z", "i, k")],
        ),
        ("logsumexp(z)", &[Op::Hessian("z", "i, k")]),
        (
            "sum(j, sin(x*z[j])^2)",
            &[Op::Diff("x"), Op::Hessian("x", "")],
        ),
        (
            "sum(j, sin(x*z[j])*cos(x*z[j]) + sin(x*z[j])^3)",
            &[Op::Simplify],
        ),
        (
            "sum(j, tanh(w*z[j])^3)",
            &[Op::Diff("w"), Op::Grad("z", "i")],
        ),
        (
            "sum(j, tanh(w*z[j]) + x*tanh(w*z[j]))",
            &[Op::Hessian("w, x", "")],
        ),
        (
            "sum(j, ln(1 + exp(w*z[j]))*exp(w*z[j])) + w*b",
            &[Op::Grad("w, b", "")],
        ),
        (
            "sum(j, exp(z[j])*sin(exp(z[j])))",
            &[Op::Grad("z", "i"), Op::Hessian("z", "i, k")],
        ),
        ("sum(j, exp(x*z[j])^2*sin(x*z[j]))", &[Op::Diff("x")]),
        // The same `exp(x*z[j])` free, and bound by the sum.
        (
            "sum(j, exp(x*z[j]))*exp(x*z[j])",
            &[Op::Diff("x"), Op::Diff("z[j]")],
        ),
        (
            "sum(i, sigmoid(sum(j, W[i, j]*x[j]))^2)",
            &[Op::Diff("x[k]"), Op::Grad("W", "a, b")],
        ),
        (
            "sum(i, tanh(sum(j, W[i, j]*x[j])))^2",
            &[Op::Grad("x", "i"), Op::Hessian("x", "i, k")],
        ),
        (
            "sum(i, sum(j, A[i, j]*tanh(u[i]*v[j]))^2)",
            &[Op::Grad("u", "i"), Op::Grad("v", "i")],
        ),
        (
            "sigmoid(w*x + b)",
            &[Op::Diff("w"), Op::Hessian("w, x, b", "")],
        ),
        ("x^2*y + exp(x*y)", &[Op::Hessian("x, y", "")]),
        (
            "-z0 + ln(exp(z0) + exp(z1) + exp(z2))",
            &[Op::Grad("z0, z1, z2", ""), Op::Hessian("z0, z1, z2", "")],
        ),
    ];
    let mut named = 0;
    for (f, ops) in cases {
        named += check("", &[f], ops);
    }
    assert!(named > 10, "{named} results named something");
}

#[test]
fn a_term_that_uses_a_bound_index_is_not_named_outside_its_sum() {
    // `x*z[j]` repeats, but is a different number for each `j`.
    let out = gauge(&["diff", "sum(j, sin(x*z[j])^2)", "--wrt", "x", "--cse"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "2*sum(j, z[j]*sin(x*z[j])*cos(x*z[j]))\n");
    // A term without the bound index is still named, inside the sum too.
    let out = gauge(&[
        "diff",
        "sum(j, tanh(z[j] + sigmoid(w*x)))",
        "--wrt",
        "w",
        "--cse",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "x*s1*(1 - s1)*(len(z) - sum(j, tanh(z[j] + s1)^2))\nwhere\n  s1 = sigmoid(w*x)\n"
    );
}

#[test]
fn the_scanner_sees_bound_indices() {
    let s = scanned("sum(j, k, W[j, k]*s1) + s2*exp(z[i])");
    assert_eq!(
        s.free.into_iter().collect::<Vec<_>>(),
        ["W", "i", "s1", "s2", "z"]
    );
    let around = |n: &str| s.uses.iter().find(|u| u.0 == n).unwrap().1.clone();
    assert_eq!(around("s1"), ["j", "k"]);
    assert!(around("s2").is_empty());
}
