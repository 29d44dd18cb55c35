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
/// that surround them. KaTeX has no `\ref` (a lemma's number is the document's to
/// give), so a margin's `Lemma~\ref{lem:name}` is given a number here, as pdflatex
/// sets it; `--format markdown` cites the lemma by name instead.
fn katex_pieces(doc: &str) -> Vec<String> {
    katex_pieces_with_refs(doc)
        .into_iter()
        .map(|p| {
            let mut out = String::new();
            let mut rest = p.as_str();
            while let Some(at) = rest.find("\\ref{") {
                out.push_str(&rest[..at]);
                out.push('1');
                let after = &rest[at..];
                rest = after.find('}').map_or("", |end| &after[end + 1..]);
            }
            out.push_str(rest);
            out
        })
        .collect()
}

/// The pieces of a document (see [`katex_pieces`]), their `\\ref`s as written.
fn katex_pieces_with_refs(doc: &str) -> Vec<String> {
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
    Some(node_rejects(&script, formulas))
}

/// What a node `script` that renders the formulas it reads as JSON on standard input
/// reports: nothing when it prints `N rendered` for all N of them, else its standard
/// error (the formulas it rejects).
pub(crate) fn node_rejects(script: &str, formulas: &[String]) -> String {
    let mut child = Command::new("node")
        .arg("-e")
        .arg(script)
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
        String::new()
    } else {
        // A script that fails before it reports says so on standard error too.
        String::from_utf8_lossy(&out.stderr).into_owned()
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
    // Elements in brackets (`--indices brackets`), as some papers write them: the
    // widest example files, and a textbook derivation.
    let bracketed: Vec<String> = ["layers", "attention"]
        .iter()
        .map(|n| {
            root()
                .join(format!("examples/{n}.gauge"))
                .to_string_lossy()
                .into_owned()
        })
        .collect();
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
    .chain(files.iter().flat_map(|f| {
        [
            vec!["prove", f.as_str(), "--detail", "brief"],
            vec!["prove", f.as_str(), "--detail", "normal"],
        ]
    }))
    .chain(bracketed.iter().flat_map(|f| {
        [
            vec!["prove", f.as_str(), "--indices", "brackets"],
            vec![
                "prove",
                f.as_str(),
                "--indices",
                "brackets",
                "--detail",
                "brief",
            ],
        ]
    }))
    .chain([vec![
        "diff",
        "cross_entropy(z, y)",
        "--wrt",
        "z[i]",
        "--detail",
        "brief",
        "--indices",
        "brackets",
    ]])
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
    // `--width` breaks to another text block: a wide one, set in the document.
    for file in ["examples/layers.gauge", "examples/norms.gauge"] {
        let out = crate::common::gauge(&[
            "prove",
            file,
            "--width",
            "500",
            "--format",
            "latex",
            "--standalone",
        ]);
        let doc = crate::common::stdout(&out).replacen(
            "\\begin{document}",
            "\\setlength{\\textwidth}{500pt}\n\\begin{document}",
            1,
        );
        let narrow = crate::common::stdout(&crate::common::gauge(&[
            "prove",
            file,
            "--format",
            "latex",
            "--standalone",
        ]));
        // The wider block takes fewer rows, though its document has one line more (the
        // width's).
        assert!(doc.lines().count() < narrow.lines().count(), "{file}");
        if let Err(e) = pdflatex(&dir, "wide", &doc, true) {
            panic!("pdflatex rejects {file} at --width 500:\n{e}");
        }
    }
    for (k, (doc, args)) in docs.iter().zip(&runs).enumerate() {
        if let Err(e) = pdflatex(&dir, &format!("d{k}"), doc, true) {
            panic!("pdflatex rejects the document of {args:?}:\n{e}");
        }
    }
    // A two-column paper's column, 240 pt: every document above, broken to it and set
    // in a block that wide, has no overfull box either.
    for (k, args) in runs.iter().enumerate() {
        let mut all = args.clone();
        all.extend(["--width", "240", "--format", "latex", "--standalone"]);
        let out = crate::common::gauge(&all);
        assert!(out.status.code().is_some_and(|c| c <= 1), "{all:?}");
        let doc = crate::common::stdout(&out).replacen(
            "\\begin{document}",
            "\\setlength{\\textwidth}{240pt}\n\\begin{document}",
            1,
        );
        if let Err(e) = pdflatex(&dir, &format!("c{k}"), &doc, true) {
            panic!("pdflatex rejects the document of {args:?} at --width 240:\n{e}");
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

/// The derivation that the README shows as an image, `docs/derivation.png`, as the
/// arguments of the `gauge` command that prints its LaTeX document.
const README_DERIVATION: &[&str] = &[
    "diff",
    "cross_entropy(z, y)",
    "--wrt",
    "z[i]",
    "--detail",
    "brief",
    "--format",
    "latex",
    "--standalone",
];

/// The README's image of a derivation is made here, from what gauge prints now:
/// `docs/derivation.tex` keeps the document it was made from, and the test fails when
/// gauge prints something else. `GAUGE_UPDATE_DOCS=1` rewrites the document and the
/// image (only when the document changed, so that the image is not rewritten for
/// nothing). Otherwise, with the engines present, the image is made again and must have
/// the committed one's size: the pipeline works, and the picture is of this document.
#[test]
fn readme_image_is_of_the_current_derivation() {
    let out = crate::common::gauge(README_DERIVATION);
    assert!(out.status.success(), "{}", crate::common::stderr(&out));
    let tex = crate::common::stdout(&out);
    let docs = root().join("docs");
    let (tex_path, png_path) = (docs.join("derivation.tex"), docs.join("derivation.png"));
    let update = std::env::var_os("GAUGE_UPDATE_DOCS").is_some_and(|v| v == "1");
    let current = std::fs::read_to_string(&tex_path).is_ok_and(|t| t == tex) && png_path.exists();
    assert!(
        current || update,
        "docs/derivation.tex is not what `gauge {}` prints now: re-run this test with \
         GAUGE_UPDATE_DOCS=1 to rewrite it and docs/derivation.png",
        README_DERIVATION
            .iter()
            .map(|a| if a.contains([' ', '[', '(']) {
                format!("'{a}'")
            } else {
                a.to_string()
            })
            .collect::<Vec<_>>()
            .join(" ")
    );
    let engines = available("pdflatex")
        && Command::new("pdftoppm")
            .arg("-v")
            .output()
            .is_ok_and(|o| o.status.success());
    if !engines_present("pdflatex and pdftoppm (poppler-utils)", engines) {
        assert!(!update, "GAUGE_UPDATE_DOCS=1 needs pdflatex and pdftoppm");
        return;
    }
    let dir = crate::common::temp_dir("readme", "png");
    let png = png_of(&dir, &tex).unwrap_or_else(|e| panic!("the README image: {e}"));
    if !current {
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::copy(&png, &png_path).unwrap();
        std::fs::write(&tex_path, &tex).unwrap();
        eprintln!("note: rewrote docs/derivation.tex and docs/derivation.png");
        return;
    }
    let (made, committed) = (png_size(&png), png_size(&png_path));
    // Another build of poppler may antialias an edge pixel differently.
    let close = |a: u32, b: u32| a.abs_diff(b) <= 2;
    assert!(
        close(made.0, committed.0) && close(made.1, committed.1),
        "docs/derivation.png is {committed:?} pixels, but the image of docs/derivation.tex \
         is {made:?}: re-run with GAUGE_UPDATE_DOCS=1 after removing docs/derivation.tex"
    );
}

/// A LaTeX document as a PNG at 150 dpi, set on one tall page and cropped to what is
/// drawn on it with a small white border: its path, or why it could not be made.
fn png_of(dir: &Path, tex: &str) -> Result<PathBuf, String> {
    // The page is made tall enough for a long derivation to be on the first page
    // whole, and has no page number, which would widen the crop to the foot of it.
    let tex = tex.replacen(
        "\\begin{document}",
        "\\setlength{\\textheight}{40in}\n\\pdfpageheight=42in\n\\pagestyle{empty}\n\\begin{document}",
        1,
    );
    pdflatex(dir, "derivation", &tex, true)?;
    let pdf = dir.join("derivation.pdf");
    let pdftoppm = |args: &[&str], stem: &str| -> Result<(), String> {
        let out = Command::new("pdftoppm")
            .args(["-r", "150", "-f", "1", "-l", "1", "-singlefile"])
            .args(args)
            .arg(&pdf)
            .arg(dir.join(stem))
            .output()
            .map_err(|e| format!("pdftoppm does not run: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    };
    // The page in grey levels first, to find the box of what is drawn; then that box
    // alone, as a PNG.
    pdftoppm(&["-gray"], "page")?;
    let (width, height, pixels) = pgm(&std::fs::read(dir.join("page.pgm")).unwrap())?;
    let inked = |x: usize, y: usize| pixels[y * width + x] < 250;
    let rows: Vec<usize> = (0..height)
        .filter(|&y| (0..width).any(|x| inked(x, y)))
        .collect();
    let cols: Vec<usize> = (0..width)
        .filter(|&x| rows.iter().any(|&y| inked(x, y)))
        .collect();
    let (Some(&top), Some(&bottom), Some(&left), Some(&right)) =
        (rows.first(), rows.last(), cols.first(), cols.last())
    else {
        return Err("the page is blank".into());
    };
    const BORDER: usize = 10;
    let x = left.saturating_sub(BORDER);
    let y = top.saturating_sub(BORDER);
    let w = (right + BORDER).min(width - 1) - x + 1;
    let h = (bottom + BORDER).min(height - 1) - y + 1;
    let crop = [x, y, w, h].map(|n| n.to_string());
    pdftoppm(
        &[
            "-png", "-x", &crop[0], "-y", &crop[1], "-W", &crop[2], "-H", &crop[3],
        ],
        "cropped",
    )?;
    Ok(dir.join("cropped.png"))
}

/// A binary PGM image (`P5`, 8-bit): its width, height and grey levels, row by row.
fn pgm(bytes: &[u8]) -> Result<(usize, usize, Vec<u8>), String> {
    // The header is four fields separated by whitespace, then one whitespace byte.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if start == at {
            return Err("a PGM header ends early".into());
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    let number = |s: &str| {
        s.parse::<usize>()
            .map_err(|e| format!("PGM header {s:?}: {e}"))
    };
    if fields[0] != "P5" || fields[3] != "255" {
        return Err(format!("not an 8-bit binary PGM: {fields:?}"));
    }
    let (width, height) = (number(&fields[1])?, number(&fields[2])?);
    let pixels = bytes.get(at + 1..at + 1 + width * height);
    let pixels = pixels.ok_or("the PGM has fewer pixels than its header says")?;
    Ok((width, height, pixels.to_vec()))
}

/// A PNG's width and height, from its header.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{}",
        path.display()
    );
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}
