//! Every LaTeX formula in the snapshots is accepted by real engines: pdflatex (with only
//! amsmath and amssymb) and KaTeX (with `throwOnError`). `.ci/run` installs both (Debian's
//! texlive-latex-base, and the katex npm package under `target/katex`); where they are
//! missing outside CI, the test says so and checks nothing, and in CI it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::root;

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

fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether the engines are present; in CI they must be.
fn engines_present(what: &str, present: bool) -> bool {
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
        let f = &body;
        let tex = gauge::latex::standalone(&body);
        let file = dir.join(format!("f{k}.tex"));
        std::fs::write(&file, tex).unwrap();
        let out = Command::new("pdflatex")
            .args([
                "-interaction=nonstopmode",
                "-halt-on-error",
                "-no-shell-escape",
            ])
            .arg(file.file_name().unwrap())
            .current_dir(&dir)
            .output()
            .expect("pdflatex runs");
        assert!(
            out.status.success(),
            "pdflatex rejects {f}:\n{}",
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| l.starts_with('!') || l.starts_with("l."))
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert!(Path::new(&dir.join(format!("f{k}.pdf"))).exists());
    }
}

#[test]
fn katex_renders_every_formula() {
    let formulas = formulas();
    let katex = katex_dir();
    if !engines_present(
        "node with KaTeX",
        available("node") && katex.join("package.json").exists(),
    ) {
        return;
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
        let all: Vec<String> = formulas.iter().cloned().chain(documents()).collect();
        let json = serde_json::to_string(&all).unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(json.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "KaTeX rejects:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let count = formulas.len() + documents().len();
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{count} rendered")));
}
