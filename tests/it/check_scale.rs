//! `gauge check` on a network's parameters: thousands of components, a point of
//! thousands of numbers read from a JSON file, a report that stays short; and the
//! command line's conveniences: `--wrt` omitted, `--at @FILE`, `--len`.

use std::path::PathBuf;

use crate::common::{gauge, gauge_with_stdin, stderr, stdout};

/// A 64 → 16 → 32 → 10 tanh network with cross-entropy, as in the issue.
const MLP: &str = "\
let h1[i] = tanh(sum(j, W1[i, j]*x[j]) + b1[i])
let h2[i] = tanh(sum(j, W2[i, j]*h1[j]) + b2[i])
let z[i] = sum(j, W3[i, j]*h2[j]) + b3[i]
";

/// A directory of its own for one test's files.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("gauge-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Values in [-0.5, 0.5) from a simple generator.
fn values(state: &mut u64, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            *state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            format!("{:?}", ((*state >> 11) as f64 / (1u64 << 53) as f64) - 0.5)
        })
        .collect()
}

/// The network's definitions and a point for it, as files in `d`.
fn network(d: &std::path::Path) -> (String, String) {
    let mut state = 1u64;
    let mut vector = |n: usize| format!("[{}]", values(&mut state, n).join(", "));
    let x = vector(64);
    let mut rows = |r: usize, c: usize| {
        let rows: Vec<String> = (0..r).map(|_| vector(c)).collect();
        format!("[{}]", rows.join(", "))
    };
    let (w1, w2, w3) = (rows(16, 64), rows(32, 16), rows(10, 32));
    let (b1, b2, b3) = (rows(1, 16), rows(1, 32), rows(1, 10));
    let inner = |m: String| m[1..m.len() - 1].to_string();
    let point = format!(
        "{{\"x\": {x},\n \"W1\": {w1},\n \"b1\": {},\n \"W2\": {w2},\n \"b2\": {},\n \"W3\": {w3},\n \"b3\": {},\n \"y\": 3}}\n",
        inner(b1),
        inner(b2),
        inner(b3)
    );
    let defs = d.join("mlp.gauge");
    let at = d.join("point.json");
    std::fs::write(&defs, MLP).unwrap();
    std::fs::write(&at, point).unwrap();
    (
        defs.to_string_lossy().into_owned(),
        format!("@{}", at.to_string_lossy()),
    )
}

const VARS: &str = "W1,b1,W2,b2,W3,b3";

/// `gauge [global] check 'cross_entropy(z, y)' --defs mlp.gauge --at @point.json [args]`.
fn check_network(test: &str, global: &[&str], args: &[&str]) -> std::process::Output {
    let d = dir(test);
    let (defs, at) = network(&d);
    let mut all: Vec<&str> = global.to_vec();
    all.extend(["check", "cross_entropy(z, y)", "--defs", &defs, "--at", &at]);
    all.extend(args);
    gauge(&all)
}

#[test]
fn a_network_checks_at_a_json_point_in_a_short_report() {
    let out = check_network("network", &[], &["--wrt", VARS]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.len() < 10_000, "{} bytes:\n{text}", text.len());
    assert!(text.contains("1914 component(s)"), "{text}");
    // The table: one row per variable, with its components.
    let header = text
        .lines()
        .position(|l| l.trim_start().starts_with("variable"))
        .expect("a table of the variables");
    let rows: Vec<&str> = text.lines().skip(header + 1).take(6).collect();
    for (row, (name, n)) in rows.iter().zip([
        ("W1", 1024),
        ("b1", 16),
        ("W2", 512),
        ("b2", 32),
        ("W3", 320),
        ("b3", 10),
    ]) {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[0], name, "{row}");
        assert_eq!(cells[1], n.to_string(), "{row}");
        assert!(cells[2].starts_with(&format!("{name}[")), "{row}");
        assert!(row.ends_with("agrees"), "{row}");
    }
    // The point is shown once, abbreviated, with each tensor's shape.
    assert_eq!(text.matches("W1 = ").count(), 1, "{text}");
    assert!(text.contains("(16×64)") && text.contains("y = 3"), "{text}");
    assert!(text.ends_with("passed: the claim agrees with every trusted reference\n"));
}

#[test]
fn json_has_every_component_and_the_point_in_full() {
    let out = check_network("network-json", &["--format", "json"], &["--wrt", "W3,b3"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let point = &v["points"][0];
    let components = point["components"].as_array().unwrap();
    assert_eq!(components.len(), 330);
    assert_eq!(components[0]["variable"], "W3");
    assert_eq!(components[329]["component"], "b3[9]");
    for c in components {
        assert_eq!(c["readings"].as_array().unwrap().len(), 3, "{c}");
    }
    let w1 = point["values"]["W1"].as_array().unwrap();
    assert_eq!((w1.len(), w1[15].as_array().unwrap().len()), (16, 64));
    assert_eq!(point["values"]["y"], 3.0);
    let vars = v["variables"].as_array().unwrap();
    assert_eq!(vars[0]["name"], "W3");
    assert_eq!(vars[0]["components"], 320);
    assert_eq!(vars[1]["worst"]["oracle"], "finite differences");
    // The fields that were there before stay.
    for key in [
        "claim_is",
        "claims",
        "function",
        "max_errors",
        "passed",
        "points",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
}

#[test]
fn a_wrong_tensor_derivative_is_refuted_and_the_table_names_it() {
    // The derivative by W3 without its `- delta(i, y)` term is wrong in row y = 3
    // only; by b3 the claim is right.
    let wrong = "h2[k]*softmax(z)[i], softmax(z)[i] - delta(i, y)";
    let out = check_network("network-wrong", &[], &["--wrt", "W3,b3", "--grad", wrong]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.len() < 10_000, "{} bytes", text.len());
    let row = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{text}"))
            .to_string()
    };
    let w3 = row("W3");
    assert!(w3.ends_with("DISAGREES at 32 of 320"), "{w3}");
    assert!(w3.contains(" W3[3, "), "{w3}");
    assert!(row("b3").ends_with("agrees"), "{text}");
    // The failing components are listed, up to a cap, and the worst is named.
    assert!(text.contains("and 22 more"), "{text}");
    assert!(text.contains("worst: component W3[3, "), "{text}");
    assert!(text.starts_with("checking the derivatives of cross_entropy(z, y)\n"));
    assert!(text.contains("FAILED at 1 of 1 point(s)"), "{text}");
}

#[test]
fn an_omitted_wrt_means_every_variable_in_order() {
    let omitted = check_network("network-wrt", &[], &[]);
    let listed = check_network("network-wrt", &[], &["--wrt", "b3,W3,b2,W2,b1,W1,x"]);
    assert_eq!(omitted.status.code(), Some(0), "{}", stderr(&omitted));
    assert_eq!(stdout(&omitted), stdout(&listed));
    // The other commands: every variable, or the only one.
    for (omitted, named) in [
        (vec!["diff", "sin(x)*x"], vec!["--wrt", "x"]),
        (vec!["diff", "cross_entropy(z, y)"], vec!["--wrt", "z[i]"]),
        (vec!["grad", "eml(x, y)"], vec!["--wrt", "x,y"]),
        (vec!["grad", "logsumexp(z)"], vec!["--wrt", "z"]),
        (vec!["hessian", "logsumexp(z)"], vec!["--wrt", "z"]),
        // In the order of the canonical form, `tanh(b + w*x)^2`.
        (
            vec!["check", "tanh(w*x + b)^2", "--points", "3"],
            vec!["--wrt", "b,w,x"],
        ),
    ] {
        let a = gauge(&omitted);
        let mut with = omitted.clone();
        with.extend(named);
        let b = gauge(&with);
        assert_eq!(a.status.code(), Some(0), "{omitted:?}: {}", stderr(&a));
        assert_eq!(stdout(&a), stdout(&b), "{omitted:?}");
    }
    // One variable is asked for, and there are several, or none.
    for (args, wanted) in [
        (
            ["diff", "x^2*y"],
            "`x^2*y` has 2 variables, x and y; which one is meant?",
        ),
        (
            ["grad", "sum(j, z[j])*w"],
            "has the tensor `z` among its variables",
        ),
        (["check", "2 + 3"], "`2 + 3` has no variable"),
    ] {
        let out = gauge(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(wanted), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_point_file_that_is_not_a_point_is_a_clear_error() {
    let d = dir("points");
    for (json, wanted) in [
        (
            "{\"W\": [[1, 2],\n [3]]}",
            "`W` is not rectangular: `W[1]` has 1 elements, but `W[0]` has 2",
        ),
        (
            "{\"z\": [1, [2]]}",
            "`z` mixes numbers and lists: `z[0]` is a number and `z[1]` a list",
        ),
        (
            "{\"z\": [1, NaN]}",
            "`NaN` is not a number in JSON, and a point's values must be finite",
        ),
        (
            "{\"z\": [1, \"2\"]}",
            "`z[1]` is the string \"2\"; a value is a number or a list of numbers",
        ),
        ("{\"z\": [1, 2]", "the point is not valid JSON"),
        ("[1, 2]", "the point is not a JSON object"),
        ("{\"z\": []}", "`z` is an empty list"),
        ("{\"z\": 1, \"z\": 2}", "`z` is given a value twice"),
    ] {
        let path = d.join("p.json");
        std::fs::write(&path, json).unwrap();
        let at = format!("@{}", path.to_string_lossy());
        for args in [
            vec!["eval", "z[0]", "--at", &at],
            vec!["check", "sum(j, z[j]^2)", "--at", &at],
        ] {
            let out = gauge(&args);
            assert_eq!(out.status.code(), Some(2), "{json}");
            let err = stderr(&out);
            assert!(err.contains(wanted), "{json}: {err}");
            // The message points into the file.
            assert!(err.contains("p.json:"), "{json}: {err}");
        }
    }
    let out = gauge(&["eval", "z[0]", "--at", "@/no/such/point.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read `/no/such/point.json`"));
    // Standard input, and JSON written inline.
    let out = gauge_with_stdin(
        &["eval", "W[1, 0]*x", "--at", "@-"],
        Some("{\"W\": [[1], [2]], \"x\": 3}"),
    );
    assert_eq!(stdout(&out).trim(), "6.0", "{}", stderr(&out));
    let out = gauge_with_stdin(&["eval", "-", "--at", "@-"], Some("x"));
    assert_eq!(out.status.code(), Some(2));
    let out = gauge(&["eval", "x + y", "--at", "{\"x\": 1, \"y\": 2}"]);
    assert_eq!(stdout(&out).trim(), "3.0");
}

#[test]
fn len_fixes_the_shapes_of_random_points() {
    let d = dir("network-len");
    let (defs, _) = network(&d);
    let out = gauge(&[
        "--format",
        "json",
        "check",
        "cross_entropy(z, y)",
        "--defs",
        &defs,
        "--wrt",
        "W1,W3",
        "--len",
        "W1=3x5",
        "--len",
        "W2=4x3",
        "--points",
        "3",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let shape = |p: &serde_json::Value, name: &str| {
        let rows = p["values"][name].as_array().unwrap();
        match rows[0].as_array() {
            Some(r) => vec![rows.len(), r.len()],
            None => vec![rows.len()],
        }
    };
    for p in v["points"].as_array().unwrap() {
        assert_eq!(shape(p, "W1"), [3, 5]);
        // Axes linked to a fixed one, through the definitions, follow it.
        assert_eq!(shape(p, "x"), [5]);
        assert_eq!(shape(p, "b1"), [3]);
        assert_eq!(shape(p, "b2"), [4]);
        assert_eq!(shape(p, "W3")[1], 4);
    }
    // A free index's axis.
    let out = gauge(&[
        "--format",
        "json",
        "check",
        "softmax(z)[i]",
        "--len",
        "i=6",
        "--points",
        "2",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["points"][1]["values"]["z"].as_array().unwrap().len(), 6);
    for (lens, wanted) in [
        (&["h1=3"][..], "`h1` is a definition"),
        (
            &["q=3"],
            "`q` is not a tensor or a free index of the function",
        ),
        (&["W1=3"], "`W1` has 2 axes, and `W1=3` gives 1 length(s)"),
        (&["W1=0x3"], "`0` in `W1=0x3` is not an axis length"),
        (&["W1"], "`W1` gives no length"),
        (&["W1=4x4", "b1=3"], "--len makes len(W1) 4 and len(b1) 3"),
    ] {
        let mut args = vec!["check", "cross_entropy(z, y)", "--defs", &defs];
        for l in lens {
            args.extend(["--len", l]);
        }
        let out = gauge(&args);
        assert_eq!(out.status.code(), Some(2), "{lens:?}");
        assert!(stderr(&out).contains(wanted), "{lens:?}: {}", stderr(&out));
    }
}
