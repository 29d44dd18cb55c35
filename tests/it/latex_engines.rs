//! Every LaTeX formula in the snapshots is accepted by real engines: pdflatex (with only
//! amsmath and amssymb) and KaTeX (with `throwOnError`). `.ci/run` installs both (Debian's
//! texlive-latex-base, and the katex npm package under `target/katex`); where they are
//! missing outside CI, the test says so and checks nothing, and in CI it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{engines_present, root};

/// The formulas in the LaTeX snapshots: their indented lines.
fn formulas() -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("snapshots")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("latex__") || !name.ends_with(".snap") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let body = text.splitn(3, "---").nth(2).unwrap_or("");
        for line in body.lines() {
            if let Some(f) = line.strip_prefix("    ") {
                out.push(f.to_string());
            }
        }
    }
    out.sort();
    out
}

/// Whether a program runs (`PROGRAM --version` succeeds).
pub(crate) fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn katex_dir() -> PathBuf {
    std::env::var_os("GAUGE_KATEX_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/katex/node_modules/katex"))
}

/// The documents in the LaTeX snapshots (`latex_doc__*`): whole bodies, such as an
/// `align*` derivation.
fn documents() -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("snapshots")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("latex_doc__") && name.ends_with(".snap") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push(
                text.splitn(3, "---")
                    .nth(2)
                    .unwrap_or("")
                    .trim()
                    .to_string(),
            );
        }
    }
    out.sort();
    out
}

#[test]
fn pdflatex_compiles_every_formula() {
    let formulas = formulas();
    assert!(formulas.len() >= 10, "formulas found: {}", formulas.len());
    if !engines_present("pdflatex", available("pdflatex")) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("gauge-pdflatex-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // One document per formula, so that a failure names the formula; then the
    // snapshotted documents as they are.
    let docs = documents();
    assert!(!docs.is_empty(), "no latex_doc snapshots");
    let bodies = formulas
        .iter()
        .map(|f| format!("\\[\n{f}\n\\]"))
        .chain(docs.iter().cloned());
    for (k, body) in bodies.enumerate() {
        let tex = gauge::print::latex::standalone(&body);
        if let Err(e) = pdflatex(&dir, &format!("f{k}"), &tex, false) {
            panic!("pdflatex rejects {body}:\n{e}");
        }
    }
}

/// The pieces of a document that KaTeX renders one at a time: each `align*`
/// environment and each `\[ ... \]` formula, without the `%` comment lines and text
/// that surround them.
fn katex_pieces(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<&str>> = None;
    for line in doc.lines().filter(|l| !l.trim_start().starts_with('%')) {
        match (line.trim(), cur.as_mut()) {
            ("\\begin{align*}", _) => cur = Some(vec![line]),
            ("\\[", _) => cur = Some(Vec::new()),
            ("\\end{align*}", Some(c)) => {
                c.push(line);
                out.push(c.join("\n"));
                cur = None;
            }
            ("\\]", Some(c)) => {
                out.push(c.join("\n"));
                cur = None;
            }
            (_, Some(c)) => c.push(line),
            (_, None) => {}
        }
    }
    // A snapshot that is one bare formula has no delimiters.
    if out.is_empty() && !doc.trim().is_empty() {
        out.push(doc.trim().to_string());
    }
    out
}

/// The formulas KaTeX rejects, each with its message; `None` when KaTeX is missing.
pub(crate) fn katex_rejects(formulas: &[String]) -> Option<String> {
    let katex = katex_dir();
    if !engines_present(
        "node with KaTeX",
        available("node") && katex.join("package.json").exists(),
    ) {
        return None;
    }
    let script = format!(
        "const katex = require({:?});\n\
         const formulas = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n\
         let bad = [];\n\
         for (const f of formulas) {{\n\
           try {{ katex.renderToString(f, {{ throwOnError: true, displayMode: true }}); }}\n\
           catch (e) {{ bad.push(f + ' => ' + e.message); }}\n\
         }}\n\
         if (bad.length) {{ console.error(bad.join('\\n')); process.exit(1); }}\n\
         console.log(formulas.length + ' rendered');",
        katex.display().to_string()
    );
    let mut child = Command::new("node")
        .arg("-e")
        .arg(&script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node runs");
    {
        use std::io::Write;
        let json = serde_json::to_string(formulas).unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(json.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let rendered = format!("{} rendered", formulas.len());
    if out.status.success() && String::from_utf8_lossy(&out.stdout).contains(&rendered) {
        Some(String::new())
    } else {
        Some(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Compiles a complete document with pdflatex; the error lines when it fails, or the
/// overfull boxes it reports (a formula wider than the page) when `fit` is set.
pub(crate) fn pdflatex(dir: &Path, stem: &str, tex: &str, fit: bool) -> Result<(), String> {
    let file = dir.join(format!("{stem}.tex"));
    std::fs::write(&file, tex).unwrap();
    let out = Command::new("pdflatex")
        .args([
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-no-shell-escape",
        ])
        .arg(file.file_name().unwrap())
        .current_dir(dir)
        .output()
        .expect("pdflatex runs");
    if out.status.success() && dir.join(format!("{stem}.pdf")).exists() {
        if !fit {
            return Ok(());
        }
        let log = std::fs::read_to_string(dir.join(format!("{stem}.log"))).unwrap_or_default();
        let overfull: Vec<&str> = log
            .lines()
            .filter(|l| l.starts_with("Overfull \\hbox"))
            .collect();
        if log.is_empty() || !overfull.is_empty() {
            return Err(format!(
                "{} overfull boxes (or no log):\n{}",
                overfull.len(),
                overfull.join("\n")
            ));
        }
        return Ok(());
    }
    Err(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('!') || l.starts_with("l."))
        .collect::<Vec<_>>()
        .join("\n"))
}

#[test]
fn katex_renders_every_formula() {
    let all: Vec<String> = formulas()
        .into_iter()
        .chain(documents().iter().flat_map(|d| katex_pieces(d)))
        .collect();
    assert!(all.len() >= 20, "formulas found: {}", all.len());
    if let Some(bad) = katex_rejects(&all) {
        assert!(bad.is_empty(), "KaTeX rejects:\n{bad}");
    }
}

/// Whole documents as gauge prints them with `--standalone`: the claims of every example
/// file with their derivations, and derivations with their steps. pdflatex must set
/// each with no error and no overfull box: every formula fits the page.
#[test]
fn standalone_documents_compile_and_render() {
    let files: Vec<String> = crate::common::gauge_files(&root().join("examples"))
        .into_iter()
        .chain(crate::common::gauge_files(
            &root().join("examples/training"),
        ))
        // A file of definitions alone (`mlp.gauge`) has no derivation to print.
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("claim ")))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert!(files.len() >= 8, "{files:?}");
    let layernorm = root().join("examples/layernorm.gauge");
    let layernorm = layernorm.to_string_lossy();
    let runs: Vec<Vec<&str>> = vec![
        vec!["hessian", "ln(exp(a) + exp(b) + exp(c))", "--wrt", "a,b,c"],
        // Reductions: `\max_{j}`, `\operatorname*{arg\,max}` as a subscript.
        vec![
            "diff",
            "max(j, W[j, 0]*z[j]) + min(z)",
            "--wrt",
            "z[i]",
            "--steps",
        ],
        vec!["hessian", "x*y*z + sqrt(x^2 + y^2)", "--wrt", "x,y,z"],
        vec!["diff", "cross_entropy(z, y)", "--wrt", "z[i]", "--steps"],
        vec![
            "diff",
            "cross_entropy(z, y)",
            "--wrt",
            "z[i]",
            "--detail",
            "brief",
        ],
        vec![
            "diff",
            "log_softmax(z)[k]",
            "--wrt",
            "z[i]",
            "--detail",
            "normal",
        ],
        vec!["diff", "bce(w*x + b, t)", "--wrt", "w", "--detail", "brief"],
        vec![
            "diff",
            "sum(i, gl[i]*xhat[i])",
            "--wrt",
            "xl[j]",
            "--defs",
            &layernorm,
            "--steps",
        ],
    ]
    .into_iter()
    .chain(files.iter().map(|f| vec!["prove", f.as_str()]))
    .chain(
        files
            .iter()
            .map(|f| vec!["prove", f.as_str(), "--detail", "brief"]),
    )
    .collect();
    let docs: Vec<String> = runs
        .iter()
        .map(|args| {
            let mut all = args.clone();
            all.extend(["--format", "latex", "--standalone"]);
            let out = crate::common::gauge(&all);
            assert!(out.status.code().is_some_and(|c| c <= 1), "{args:?}");
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
        .collect();
    let pieces: Vec<String> = docs.iter().flat_map(|d| katex_pieces(d)).collect();
    assert!(pieces.len() > 200, "environments found: {}", pieces.len());
    if let Some(bad) = katex_rejects(&pieces) {
        assert!(bad.is_empty(), "KaTeX rejects:\n{bad}");
    }
    if !engines_present("pdflatex", available("pdflatex")) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("gauge-standalone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (k, (doc, args)) in docs.iter().zip(&runs).enumerate() {
        if let Err(e) = pdflatex(&dir, &format!("d{k}"), doc, true) {
            panic!("pdflatex rejects the document of {args:?}:\n{e}");
        }
    }
}

/// Random expressions, their derivatives, and unevaluated derivatives of them, as LaTeX:
/// every node kind in many combinations, not just the snapshots'.
#[test]
fn random_formulas_render_and_compile() {
    use proptest::strategy::{Strategy, ValueTree};
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = crate::common::scalar_expr_text();
    let mut s = gauge::lower::workspace::Workspace::with_prelude().unwrap();
    let x = s.parse_variable("x").unwrap();
    let mut formulas = Vec::new();
    while formulas.len() < 1500 {
        let text = strategy.new_tree(&mut runner).unwrap().current();
        let Ok(e) = s.parse_expression(&text) else {
            continue;
        };
        formulas.push(gauge::print::latex::to_latex(&s.pool, e));
        let d = s.pool.diff(e, x, 1);
        formulas.push(gauge::print::latex::to_latex(&s.pool, d));
        if let Ok((taken, _)) = gauge::calculus::derivation::take_derivatives(&mut s.pool, d) {
            formulas.push(gauge::print::latex::to_latex(&s.pool, taken));
        }
    }
    if let Some(bad) = katex_rejects(&formulas) {
        assert!(bad.is_empty(), "KaTeX rejects:\n{bad}");
    }
    if !engines_present("pdflatex", available("pdflatex")) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("gauge-random-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body: Vec<String> = formulas.iter().map(|f| format!("\\[\n{f}\n\\]")).collect();
    let tex = gauge::print::latex::standalone(&body.join("\n"));
    if let Err(e) = pdflatex(&dir, "random", &tex, false) {
        panic!("pdflatex rejects a random formula:\n{e}");
    }
}
