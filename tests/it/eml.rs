//! The EML stage: the DAG's sizes, the branch semantics, the search, the audit, the
//! compiler and the committed table, and `gauge eml` on the command line.

use gauge::eml::audit;
use gauge::eml::dag::Dag;
use gauge::eml::float::{self, Fail, Value};
use gauge::eml::search::{Search, Space};
use gauge::eml::table::Table;
use gauge::eml::targets;
use gauge::lower::workspace::Workspace;

use crate::common::gauge;

fn parsed(text: &str) -> (Dag, gauge::eml::dag::Id) {
    let mut d = Dag::new();
    let root = d.parse(text).expect("EML text parses");
    (d, root)
}

#[test]
fn sizes_follow_the_paper() {
    // K is leaves plus eml nodes: exp x = eml(x, 1) is 3, ln x is 7.
    let (d, r) = parsed("eml(x, 1)");
    let m = d.measure(r);
    assert_eq!((m.k.to_string(), m.depth, m.distinct), ("3".into(), 1, 3));
    let (d, r) = parsed("eml(1, eml(eml(1, x), 1))");
    let m = d.measure(r);
    assert_eq!((m.k.to_string(), m.depth, m.distinct), ("7".into(), 3, 5));
    // Sharing: the tree repeats eml(x, 1), the DAG holds it once.
    let (d, r) = parsed("eml(eml(eml(x, 1), 1), eml(eml(x, 1), 1))");
    let m = d.measure(r);
    assert_eq!((m.k.to_string(), m.depth, m.distinct), ("11".into(), 3, 5));
    let (lines, result) = d.bindings(r);
    assert_eq!(lines, [("t1".to_string(), "eml(eml(x, 1), 1)".to_string())]);
    assert_eq!(result, "eml(t1, t1)");
    assert_eq!(d.text(r), "eml(eml(eml(x, 1), 1), eml(eml(x, 1), 1))");
}

#[test]
fn k_is_exact_beyond_any_machine_integer() {
    // 200 nested squarings of a tree by sharing: K = 2^201 - 1.
    let mut d = Dag::new();
    let mut t = d.var("x");
    for _ in 0..200 {
        t = d.eml(t, t);
    }
    let m = d.measure(t);
    let want = (num_bigint::BigUint::from(1u32) << 201u32) - 1u32;
    assert_eq!(m.k, want);
    assert_eq!(m.distinct, 201);
}

#[test]
fn bad_eml_text_is_located() {
    let mut d = Dag::new();
    let e = d.parse("eml(x 1)").unwrap_err();
    assert_eq!(e.offset, 6);
    assert!(e.message.contains("`,`"), "{}", e.message);
    assert!(Dag::new().parse("eml(x, 1))").is_err());
    assert!(Dag::new().parse("eml(2, x)").is_err());
}

#[test]
fn the_logarithm_takes_the_upper_edge_only_where_that_is_exact() {
    // ln(-1) from exactly real arithmetic: e - ln(-1) = e - iπ, exactly.
    let (d, r) = parsed("eml(1, x)");
    let v = float::eval(&d, r, &[Value::real(-1.0)]).unwrap();
    assert_eq!((v.re, v.im), (std::f64::consts::E, -std::f64::consts::PI));
    // The paper's ln x on the negative axis goes through exp(e - ln x - iπ), real only
    // by cancellation: its edge depends on rounding, so it has no value there.
    let (d, r) = parsed("eml(1, eml(eml(1, x), 1))");
    assert_eq!(float::eval(&d, r, &[Value::real(-2.0)]), Err(Fail::Fragile));
    let ok = float::eval(&d, r, &[Value::real(2.0)]).unwrap();
    assert!((ok.re - 2f64.ln()).abs() < 1e-15 && ok.im == 0.0);
    // The certified evaluation refuses the same point rather than guess.
    let c = gauge::eml::certify::enclose(&d, r, &[gauge::eml::complex::C64::new(-2.0, 0.0)], 128);
    assert!(
        matches!(c, Err(gauge::numeric::precise::Fail::Unsure(_))),
        "{c:?}"
    );
}

#[test]
fn the_exhaustive_search_finds_the_papers_minima() {
    let space = Space::unary();
    let t = targets::targets(&space, &["x^2", "x-1", "exp(x)", "ln(x)"]);
    let mut s = Search::new(space, t);
    while s.k() < 17 {
        s.step(usize::MAX);
    }
    let found = s.found();
    let k = |target: &str, class: &str| {
        found
            .iter()
            .find(|f| f.target == target && f.class == class)
            .map(|f| f.k)
    };
    assert_eq!(k("x^2", "complex"), Some(17));
    assert_eq!(k("x-1", "positive"), Some(11));
    assert_eq!(k("exp(x)", "complex"), Some(3));
    assert_eq!(k("ln(x)", "off-cut"), Some(7));
    // The 7-node ln is not right on the negative reals: on the reals it takes 15.
    assert_eq!(k("ln(x)", "real"), Some(15));
}

#[test]
fn meeting_in_the_middle_reaches_past_the_exhaustive_search() {
    let space = Space::constants();
    let t = targets::targets(&space, &["2", "-i*pi"]);
    let mut s = Search::new(space, t);
    while s.k() < 17 {
        s.step(usize::MAX);
    }
    assert!(s.found().iter().all(|f| f.target != "2"), "2 needs 19");
    s.build_index();
    let two = s.target_values("2").unwrap();
    let (k, text) = s
        .meet(&two, 0)
        .expect("2 = eml(a, b) with a, b of size at most 17");
    assert_eq!(k, 19);
    let (d, r) = parsed(&text);
    let v = float::eval(&d, r, &[]).unwrap();
    assert!((v.re - 2.0).abs() < 1e-14 && v.im == 0.0, "{text}");
}

fn source(text: &str) -> (Workspace, gauge::expr::node::ExprId) {
    let mut ws = Workspace::with_prelude().unwrap();
    let id = ws.parse_expression(text).unwrap();
    (ws, id)
}

#[test]
fn the_audit_certifies_a_near_miss_wrong() {
    // A tree within 4e-9 of pi, which a search at f64 tolerance would take for pi.
    let near = "eml(eml(eml(1, eml(eml(1, 1), eml(eml(1, 1), eml(1, 1)))), 1), eml(eml(eml(eml(1, eml(eml(1, eml(eml(eml(1, eml(eml(1, 1), eml(1, 1))), 1), 1)), eml(eml(eml(1, 1), 1), 1))), 1), 1), 1))";
    let (mut ws, pi) = source("pi");
    let (d, r) = parsed(near);
    let v = float::eval(&d, r, &[]).unwrap();
    assert!((v.re - std::f64::consts::PI).abs() < 1e-8);
    let a = audit::audit(&mut ws.pool, pi, &[], &d, r, &[]);
    assert_eq!(a.wrong_certified.len(), 1);
    assert!(!a.verified());
}

#[test]
fn the_audit_finds_where_a_form_is_right() {
    // The paper's 17-node x*y goes through ln x + ln y: right off the negative reals.
    let (mut ws, xy) = source("x*y");
    let (d, r) = parsed("eml(eml(1, eml(eml(eml(1, eml(eml(1, eml(1, x)), 1)), y), 1)), 1)");
    let vars = ["x".to_string(), "y".to_string()];
    let (region, a) = audit::region(&mut ws.pool, xy, &vars, &d, r).unwrap();
    assert_eq!(region, gauge::eml::domain::Region::OffCut);
    assert!(a.verified() && a.checked > 40);
    // Over every point, it is wrong (or rounding-dependent) somewhere.
    let all = audit::audit(&mut ws.pool, xy, &vars, &d, r, &[]);
    assert!(!all.verified());
}

#[test]
fn every_committed_form_is_what_the_table_says() {
    let table = Table::committed();
    assert!(table.forms().len() >= 20);
    for f in table.forms() {
        let (d, r) = parsed(&f.text);
        assert_eq!(d.k_u64(r), Some(f.k), "{} {}", f.name, f.text);
        let (src, _) = gauge::eml::build::source(&f.name).expect("a known primitive");
        let (mut ws, id) = source(src);
        let arity = gauge::eml::table::PRIMITIVES
            .iter()
            .find(|(n, _)| *n == f.name)
            .unwrap()
            .1;
        let vars: Vec<String> = ["x", "y"]
            .iter()
            .take(arity)
            .map(|s| s.to_string())
            .collect();
        let (region, a) = audit::region(&mut ws.pool, id, &vars, &d, r)
            .unwrap_or_else(|| panic!("{} {} is wrong everywhere", f.name, f.text));
        assert!(
            f.region.within(region),
            "{} claims {:?}, audited {:?}",
            f.name,
            f.region,
            region
        );
        assert!(a.verified());
    }
}

#[test]
fn formulas_compile_to_verified_forms() {
    let mut s = gauge::Session::new();
    let opts = gauge::options::EmlOptions::new();
    let r = s.eml("sin(x)^2 + cos(x)^2", &opts).unwrap();
    assert_eq!(
        (r.k(), r.nested().unwrap()),
        ("1".to_string(), "1".to_string())
    );
    let r = s.eml("eml(x, eml(y, 1))", &opts).unwrap();
    assert_eq!(r.nested().unwrap(), "eml(x, eml(y, 1))");
    assert!(r.verified() && r.domain().is_empty());
    let r = s.eml("x*y", &opts).unwrap();
    assert_eq!(r.k(), "17");
    assert_eq!(r.domain(), ["x not in (-inf, 0]", "y not in (-inf, 0]"]);
    assert!(r.verified());
    // d/dx ln x is 1/x, whose shortest tree has 17 nodes.
    let r = s.eml("ln(x)", &opts.clone().with_diff("x")).unwrap();
    assert_eq!(r.k(), "17");
    assert!(r.verified());
}

#[test]
fn the_command_line_prints_eml_as_json_and_refuses_tensors() {
    let out = gauge(&["eml", "exp(exp(x))", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["nested"], "eml(eml(x, 1), 1)");
    assert_eq!(j["k"], "5");
    assert_eq!(j["verified"], true);
    assert_eq!(j["audit"]["wrong_certified"], 0);
    let out = gauge(&["eml", "sum(j, z[j])"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tensors, indices and sums"));
}

#[test]
fn the_readme_shows_what_gauge_eml_prints() {
    let readme = std::fs::read_to_string(crate::common::root().join("README.md")).unwrap();
    for args in [
        vec!["eml", "x*y"],
        vec!["eml", "--diff", "x", "ln(x)"],
        vec!["eml", "sin(x)^2 + cos(x)^2"],
    ] {
        let out = gauge(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            readme.contains(text.as_ref()),
            "the README should show `gauge {}`:\n{text}",
            args.join(" ")
        );
    }
}
