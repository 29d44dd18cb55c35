//! Helpers shared by the integration tests.

#![allow(dead_code)]

use proptest::prelude::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `gauge` binary from the repository root, without colour, stdin closed.
pub fn gauge(args: &[&str]) -> Output {
    gauge_with_stdin(args, None)
}

/// Runs the `gauge` binary with `stdin` as standard input.
pub fn gauge_with_stdin(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gauge"));
    cmd.args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .stdin(if stdin.is_some() {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        });
    let mut child = cmd.spawn().expect("the gauge binary runs");
    if let Some(text) = stdin {
        // gauge may stop before it reads its input (an error in an option is found
        // first), and then the pipe is closed: that is not the test's failure.
        let written = child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(text.as_bytes());
        if let Err(e) = written {
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe,
                "stdin accepts the input: {e}"
            );
        }
    }
    child.wait_with_output().expect("the gauge binary finishes")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Whether an outside engine a test runs (pdflatex, KaTeX, JAX) is present. In CI it
/// must be, since `.ci/run` installs it, so its absence fails the test there; elsewhere
/// the test says on stderr that it checks nothing, rather than passing in silence.
pub fn engines_present(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} is missing in CI: .ci/run installs it"
    );
    eprintln!("note: {what} is not installed, so this check is not run here (.ci/run installs it)");
    false
}

/// The `.gauge` files in a directory, sorted by name.
pub fn gauge_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the fixture directory exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "gauge"))
        .collect();
    files.sort();
    files
}

/// Runs `f` with insta writing snapshots to `snapshots/` at the repository root.
pub fn with_snapshots(f: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(f);
}

/// Scalar expressions in x and y (and a vector z summed over), with every builtin.
pub fn scalar_expr_text() -> impl Strategy<Value = String> {
    let leaf = proptest::prop_oneof![
        (1u32..9).prop_map(|n| n.to_string()),
        (1u32..20).prop_map(|n| format!("{n}/7")),
        proptest::strategy::Just("x".to_string()),
        proptest::strategy::Just("x".to_string()),
        proptest::strategy::Just("y".to_string()),
        proptest::strategy::Just("pi".to_string()),
    ];
    leaf.prop_recursive(5, 32, 3, |inner| {
        // Every builtin function, and the forms that lower to powers and logarithms.
        let mut names: Vec<&'static str> = gauge::expr::node::Func::ALL
            .iter()
            .map(|f| f.name())
            .collect();
        names.extend(["sqrt"]);
        let funcs = prop::sample::select(names);
        proptest::prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) + ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) - ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a})*({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a})/({b})")),
            (inner.clone(), -3i32..4).prop_map(|(a, n)| format!("({a})^{n}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a})^({b})")),
            (funcs, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            inner.clone().prop_map(|a| format!("sum(j, z[j]*({a}))")),
            inner.clone().prop_map(|a| format!("logsumexp(z)*({a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("eml({a}, {b})")),
            inner.clone().prop_map(|a| format!("softmax(z)[1]*({a})")),
        ]
    })
}

/// The result of checking one rewrite of `before` into `after` by `rule` with the step
/// checker, with the statements `facts` loaded first: `Err` holds the rule the checker
/// blamed.
pub fn check_one(
    facts: &str,
    rule: gauge::trace::Rule,
    before: &str,
    after: &str,
) -> Result<(), Option<gauge::trace::Rule>> {
    use gauge::trace::{Rewrite, Step};
    let mut s = gauge::lower::workspace::Workspace::with_prelude().unwrap();
    s.load_file("facts", facts).unwrap();
    let b = s.parse_expression(before).unwrap();
    let a = s.parse_expression(after).unwrap();
    let steps = vec![Step::from_rewrites(b, a, vec![Rewrite::new(rule, b, a)])];
    gauge::verify::check_steps(&mut s, &steps, 3)
        .map(|_| ())
        .map_err(|f| f.rule)
}

/// The verdict of each claim of the file `text`, proved with the step checker on; a
/// proof the checker refuses fails the test.
pub fn verdicts(text: &str) -> Vec<String> {
    let mut s = gauge::lower::workspace::Workspace::with_prelude().expect("the prelude loads");
    s.load_file("claims.gauge", text).expect("the file loads");
    let claims = s.claims.clone();
    claims
        .iter()
        .map(|c| {
            let r = gauge::prove::prove_with(&mut s, c, 5, true);
            assert!(r.checker_failure.is_none(), "{:?}", r.checker_failure);
            r.verdict.name().to_string()
        })
        .collect()
}

/// A fresh directory under the system's temporary one, for a test's files.
pub fn temp_dir(prefix: &str, tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gauge-{prefix}-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// Whether python3 imports NumPy (in CI, its absence fails the test).
pub fn numpy_present() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import numpy"])
        .status()
        .is_ok_and(|s| s.success());
    engines_present("numpy", ok)
}
