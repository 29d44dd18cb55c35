//! Every constant of the EML table evaluated by an independent arbitrary-precision
//! library, mpmath, at 53, 113, 256 and 512 bits: the same value at every precision,
//! and the right one. mpmath knows nothing of gauge's exact branch tracking: it is an
//! ordinary evaluator, in which the paper's compiled `i` changes sign with the
//! precision. So a form passes only if it does not depend on rounding anywhere.
//!
//! `.ci/run` installs mpmath; where it is missing outside CI the test says so and
//! checks nothing, and in CI it fails.

use std::io::Write;
use std::process::{Command, Stdio};

use gauge::eml::table::{PRIMITIVES, Table};

use crate::common::engines_present;

/// Reads lines `name<TAB>form<TAB>reference` and prints, for each, the value at each
/// precision as `name<TAB>bits<TAB>re<TAB>im<TAB>error`, the error relative to the
/// reference computed at 600 bits.
const SCRIPT: &str = r#"
import sys
try:
    import mpmath
except ImportError:
    sys.exit(77)
from mpmath import mp, mpc, mpf

def parse(text):
    # Nested eml(a, b) text over 1, read without recursion.
    stack, out, i = [], [], 0
    tokens = text.replace("(", " ( ").replace(")", " ) ").replace(",", " , ").split()
    ops = []
    for t in tokens:
        if t == "eml":
            ops.append("eml")
        elif t == "1":
            out.append("1")
        elif t == ")":
            b = out.pop(); a = out.pop(); ops.pop()
            out.append(("eml", a, b))
    return out[0]

def value(tree):
    # Post-order over the shared structure, with a memo on object identity.
    memo = {}
    todo = [(tree, False)]
    while todo:
        node, done = todo.pop()
        if node == "1":
            memo[id(node)] = mpc(1)
            continue
        if done:
            a, b = memo[id(node[1])], memo[id(node[2])]
            memo[id(node)] = mpmath.exp(a) - mpmath.log(b)
        else:
            todo.append((node, True))
            todo.append((node[2], False))
            todo.append((node[1], False))
    return memo[id(tree)]

for line in sys.stdin:
    name, form, ref = line.rstrip("\n").split("\t")
    tree = parse(form)
    mp.prec = 600
    want = mpmath.mpmathify(eval(ref, {"mp": mp, "mpmath": mpmath, "mpc": mpc, "mpf": mpf}))
    for bits in (53, 113, 256, 512):
        mp.prec = bits
        v = value(tree)
        mp.prec = 600
        err = abs(mpc(v) - want) / (1 + abs(want))
        print(f"{name}\t{bits}\t{mpmath.nstr(v.real, 20)}\t{mpmath.nstr(v.imag, 20)}\t{mpmath.nstr(err, 5)}")
"#;

/// Each constant primitive's value in mpmath's terms.
fn reference(name: &str) -> Option<&'static str> {
    Some(match name {
        "0" => "0",
        "-1" => "-1",
        "2" => "2",
        "1/2" => "mpf(1)/2",
        "2/3" => "mpf(2)/3",
        "i" => "mpc(0, 1)",
        "pi" => "mpmath.pi",
        "e" => "mpmath.e",
        "phi" => "(1 + mpmath.sqrt(5))/2",
        _ => return None,
    })
}

#[test]
fn every_constant_has_one_value_at_every_precision() {
    let table = Table::committed();
    let mut input = String::new();
    let mut names = Vec::new();
    for (name, arity) in PRIMITIVES {
        if *arity != 0 {
            continue;
        }
        for f in table.of(name) {
            let r = reference(name).expect("a reference for every constant");
            input.push_str(&format!("{name}\t{}\t{r}\n", f.text));
            names.push(name.to_string());
        }
    }
    assert!(names.len() >= 5, "the table has constants");
    let child = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(_) => {
            engines_present("python3", false);
            return;
        }
    };
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("the script reads its input");
    let out = child.wait_with_output().expect("python3 finishes");
    if out.status.code() == Some(77) {
        engines_present("mpmath", false);
        return;
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 4 * names.len(), "{text}");
    for row in &rows {
        let bits: f64 = row[1].parse().unwrap();
        let err: f64 = row[4].parse().unwrap();
        // Agreement to 70% of the bits: a tree can lose some to cancellation between
        // large intermediate values, but a value on the wrong edge of a cut is off by
        // 2π, and a near miss by far more than this.
        eprintln!("{}", row.join(" "));
        assert!(
            err < 2f64.powf(-0.7 * bits),
            "{} at {} bits: {}",
            row[0],
            row[1],
            row.join(" ")
        );
    }
}
