//! `--format markdown`: the LaTeX output as Markdown with `$$` display math. The
//! Markdown of real outputs (claims with lemmas, refutations, derivations, Hessians)
//! is well formed, every `$$` block renders with MathJax (the engine of GitHub and
//! Jupyter) and KaTeX, and its formulas are the LaTeX output's, row for row. `.ci/run`
//! installs both engines (npm's mathjax-full under `target/mathjax`, katex under
//! `target/katex`); where one is missing outside CI, its check says so and is not run,
//! and in CI it fails.

use std::path::PathBuf;

use gauge::options::Output;
use gauge::{Format, Session};

use crate::common::{engines_present, gauge, root, stderr, stdout, with_snapshots};
use crate::latex_engines::{available, katex_rejects, node_rejects};

/// The commands whose Markdown the tests render: claims proved with lemmas, claims
/// refuted, derivations with their steps, and results of several formulas.
const RUNS: &[&[&str]] = &[
    &["prove", "examples/seed.gauge"],
    &["prove", "examples/lemmas.gauge"],
    &["prove", "examples/mistakes.gauge"],
    &["prove", "examples/lemmas.gauge", "--detail", "brief"],
    &["diff", "cross_entropy(z, y)", "--wrt", "z[i]", "--steps"],
    &[
        "diff",
        "cross_entropy(z, y)",
        "--wrt",
        "z[i]",
        "--detail",
        "brief",
    ],
    &["diff", "bce(v, t)", "--wrt", "v", "--detail", "normal"],
    &["hessian", "ln(exp(a) + exp(b) + exp(c))", "--wrt", "a,b,c"],
    &["hessian", "x^2*y + exp(x*y)", "--wrt", "x,y"],
    &["grad", "eml(x, y)"],
    &["simplify", "diff(x^3, x) + 1/(1 + exp(-x))", "--steps"],
    &["diff", "-x*y - ln(x)", "--wrt", "x"],
    &["diff", "abs(x)", "--wrt", "x"],
    &["latex", "exp(z[i]) / sum(j, exp(z[j]))"],
];

/// What gauge prints for `args` with `--format FORMAT`; the command must not fail
/// (exit code 1 is a refuted claim).
fn run(args: &[&str], format: &str) -> String {
    let mut all = args.to_vec();
    all.extend(["--format", format]);
    let out = gauge(&all);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{all:?}: {}",
        stderr(&out)
    );
    stdout(&out)
}

/// The `$$` blocks of a Markdown text, each as the TeX between its delimiters.
fn math_blocks(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<&str>> = None;
    for line in md.lines() {
        match (line, cur.as_mut()) {
            ("$$", None) => cur = Some(Vec::new()),
            ("$$", Some(rows)) => {
                out.push(rows.join("\n"));
                cur = None;
            }
            (_, Some(rows)) => rows.push(line),
            (_, None) => {}
        }
    }
    assert!(cur.is_none(), "a `$$` block is not closed:\n{md}");
    out
}

/// The shape every Markdown output keeps: `$$` on lines of their own with a blank line
/// before and after; inside, no blank line, and each row indented by four spaces (so
/// that no Markdown renderer reads it as a list item, heading or quote) or an
/// `aligned` delimiter; outside, text with no LaTeX left in it.
fn assert_well_formed(md: &str, what: &str) {
    let lines: Vec<&str> = md.lines().collect();
    let mut inside = false;
    for (k, &line) in lines.iter().enumerate() {
        let before = k.checked_sub(1).map(|j| lines[j]);
        let after = lines.get(k + 1).copied();
        if line == "$$" {
            let outer = if inside { after } else { before };
            assert!(
                outer.is_none_or(str::is_empty),
                "{what}: `$$` on line {} is not set off by a blank line",
                k + 1
            );
            inside = !inside;
        } else if inside {
            assert!(
                line.starts_with("    ") && !line.trim().is_empty()
                    || line == "\\begin{aligned}"
                    || line == "\\end{aligned}",
                "{what}: line {} inside `$$` is not an indented row: {line:?}",
                k + 1
            );
            for gone in ["align*", "\\ref", "\\label", "~"] {
                assert!(!line.contains(gone), "{what}: {gone} left in {line:?}");
            }
        } else {
            assert!(
                !line.starts_with(['%', '\\']) && !line.contains("\\begin{"),
                "{what}: LaTeX left in the text, line {}: {line:?}",
                k + 1
            );
        }
    }
    assert!(!inside, "{what}: the last `$$` block is not closed");
    assert!(
        md.ends_with("$$\n") || md.ends_with(".\n"),
        "{what}: {md:?}"
    );
}

fn mathjax_dir() -> PathBuf {
    std::env::var_os("GAUGE_MATHJAX_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/mathjax/node_modules/mathjax-full"))
}

/// The formulas MathJax 3 does not render, each with what it made of it; `None` when
/// MathJax is missing. MathJax reports an error in the formula as an `merror` node
/// rather than by throwing, sets the text of `\text{...}` as it stands (so a macro left
/// in text mode, `\_`, shows as a backslash, and `~` as a tilde, in an `mtext`), and
/// sets a `\ref` it cannot resolve as `???`: each of these fails.
/// Only the `base` and `ams` packages are loaded, which GitHub and Jupyter both have.
fn mathjax_rejects(formulas: &[String]) -> Option<String> {
    let dir = mathjax_dir();
    if !engines_present(
        "node with MathJax (mathjax-full)",
        available("node") && dir.join("package.json").exists(),
    ) {
        return None;
    }
    let script = format!(
        "const dir = {:?};\n\
         const {{mathjax}} = require(dir + '/js/mathjax.js');\n\
         const {{TeX}} = require(dir + '/js/input/tex.js');\n\
         const {{liteAdaptor}} = require(dir + '/js/adaptors/liteAdaptor.js');\n\
         const {{RegisterHTMLHandler}} = require(dir + '/js/handlers/html.js');\n\
         const {{SerializedMmlVisitor}} = require(dir + '/js/core/MmlTree/SerializedMmlVisitor.js');\n\
         const {{STATE}} = require(dir + '/js/core/MathItem.js');\n\
         require(dir + '/js/input/tex/base/BaseConfiguration.js');\n\
         require(dir + '/js/input/tex/ams/AmsConfiguration.js');\n\
         RegisterHTMLHandler(liteAdaptor());\n\
         const doc = mathjax.document('', {{InputJax: new TeX({{packages: ['base', 'ams']}})}});\n\
         const visitor = new SerializedMmlVisitor();\n\
         const formulas = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n\
         let bad = [];\n\
         for (const f of formulas) {{\n\
           let mml;\n\
           try {{ mml = visitor.visitTree(doc.convert(f, {{display: true, end: STATE.CONVERT}})); }}\n\
           catch (e) {{ bad.push(f + ' => ' + e.message); continue; }}\n\
           if (/<merror|MathJax_ref/.test(mml) || /<mtext[^>]*>[^<]*[\\\\~][^<]*<\\/mtext>/.test(mml)) {{\n\
             bad.push(f + ' => ' + mml.replace(/\\s+/g, ' '));\n\
           }}\n\
         }}\n\
         if (bad.length) {{ console.error(bad.join('\\n')); process.exit(1); }}\n\
         console.log(formulas.length + ' rendered');",
        dir.display().to_string()
    );
    Some(node_rejects(&script, formulas))
}

#[test]
fn every_block_renders_with_mathjax_and_katex() {
    let mut blocks = Vec::new();
    for args in RUNS {
        let md = run(args, "markdown");
        assert_well_formed(&md, &args.join(" "));
        blocks.extend(math_blocks(&md));
    }
    assert!(blocks.len() > 40, "blocks found: {}", blocks.len());
    if let Some(bad) = mathjax_rejects(&blocks) {
        assert!(bad.is_empty(), "MathJax rejects:\n{bad}");
    }
    if let Some(bad) = katex_rejects(&blocks) {
        assert!(bad.is_empty(), "KaTeX rejects:\n{bad}");
    }
}

/// The renderers catch what they should: a block with an unknown macro, and one with a
/// macro left in text mode, fail in MathJax.
#[test]
fn mathjax_check_fails_on_a_bad_block() {
    for bad in [
        "\\frac{1}{x} \\unknownmacro",
        "x \\text{Lemma~\\ref{lem:f}}",
    ] {
        if let Some(found) = mathjax_rejects(&[bad.to_string()]) {
            assert!(found.contains(bad), "MathJax accepts {bad:?}");
        }
    }
}

/// The formulas are the LaTeX output's, row for row: every row of the `--format latex
/// --standalone` document is a row of the Markdown (the margins' lemma citations
/// aside), in the same order.
#[test]
fn markdown_rows_are_the_latex_rows() {
    let runs: [&[&str]; 4] = [
        &["prove", "examples/seed.gauge"],
        &["prove", "examples/mistakes.gauge"],
        &["prove", "examples/lemmas.gauge", "--detail", "brief"],
        &["diff", "cross_entropy(z, y)", "--wrt", "z[i]", "--steps"],
    ];
    for args in runs {
        let mut standalone = args.to_vec();
        standalone.push("--standalone");
        let latex = run(&standalone, "latex");
        let md = run(args, "markdown");
        let latex_rows: Vec<&str> = latex
            .lines()
            .filter(|l| l.trim_start().starts_with('&') || l.starts_with("  \\"))
            .filter(|l| !l.contains("\\ref{"))
            .map(str::trim)
            .collect();
        let md_rows: Vec<&str> = md
            .lines()
            .filter(|l| l.starts_with("    "))
            .map(str::trim)
            .collect();
        assert!(latex_rows.len() > 10, "{args:?}");
        // The rows of the Markdown include the lemma statements; the LaTeX rows, in
        // order, are a subsequence of them.
        let mut md_rows = md_rows.into_iter();
        for row in &latex_rows {
            assert!(
                md_rows.any(|m| m == *row),
                "{args:?}: the LaTeX row {row:?} is not in the Markdown, in order"
            );
        }
    }
}

/// Claims' headings, lemmas and proofs read as Markdown text; a margin cites a lemma
/// by name.
#[test]
fn claims_and_lemmas_read_as_text() {
    let seed = run(&["prove", "examples/seed.gauge"], "markdown");
    assert_eq!(
        seed.matches("**ce_grad** (line 16): proved.").count(),
        1,
        "{seed}"
    );
    let lemmas = run(&["prove", "examples/lemmas.gauge"], "markdown");
    for said in [
        "\n**Lemma (sigmoid_prime).**\n\n$$\n    \\frac{\\partial}{\\partial u}(\\sigma(u)) = \\sigma(u) (1 - \\sigma(u))\n$$\n\n*Proof.*\n\n$$\n\\begin{aligned}\n",
        "&& \\text{Lemma sigmoid}\\_\\text{prime,} \\\\\n",
        "**lr_grad** (line 11): proved.\n\n$$\n",
    ] {
        assert!(lemmas.contains(said), "{said:?} not in:\n{lemmas}");
    }
    let mistakes = run(&["prove", "examples/mistakes.gauge"], "markdown");
    assert!(
        mistakes.contains("\n\n**eml_sign** (line 11): refuted.\n\nCounterexample: y = "),
        "{mistakes}"
    );
}

#[test]
fn markdown_snapshot_of_a_derivation() {
    let md = run(
        &["diff", "cross_entropy(z, y)", "--wrt", "z[i]", "--steps"],
        "markdown",
    );
    with_snapshots(|| insta::assert_snapshot!("markdown__cross_entropy_steps", md));
}

/// Rows that Markdown would read as a block of its own (a list item, a heading, a
/// quote, a rule, a numbered item) are indented past where such blocks may start.
#[test]
fn rows_markdown_would_read_as_blocks_stay_math() {
    let latex =
        "\\begin{align*}\n- x\n+ y \\\\\n# z\n> w\n--- \\\\\n1. v\n\\end{align*}\n\\[\n* u\n\\]\n";
    let md = Output::new(Format::Latex).markdown(latex);
    assert_eq!(
        md,
        "$$\n\\begin{aligned}\n    - x\n    + y \\\\\n    # z\n    > w\n    --- \\\\\n    1. v\n\\end{aligned}\n$$\n\n$$\n    * u\n$$\n"
    );
}

/// Without `--standalone`, LaTeX is bare: each formula is a block, and each comment a
/// sentence, its Markdown escaped.
#[test]
fn bare_latex_and_comments() {
    let mut s = Session::new();
    let d = s.diff_with("abs(x)", "x", &Default::default()).unwrap();
    let out = Output::new(Format::Latex);
    assert_eq!(
        out.markdown(&d.render(&out)),
        "$$\n    \\frac{x}{\\lvert x\\rvert}\n$$\n\nValid where x != 0.\n"
    );
    let latex = "% using assume a*b = c_d `e`\n% counterexample: z = [1, 2]\n";
    assert_eq!(
        out.markdown(latex),
        "Using assume a\\*b = c_d \\`e\\`.\n\nCounterexample: z = [1, 2].\n"
    );
}

#[test]
fn text_results_are_code_blocks_and_standalone_is_refused() {
    let eval = gauge(&["eval", "eml(1, 1)", "--format", "markdown"]);
    assert_eq!(stdout(&eval), "```text\n2.718281828459045\n```\n");
    let latex = run(&["latex", "x^2"], "markdown");
    assert_eq!(latex, "$$\n    x^2\n$$\n");
    let both = gauge(&["diff", "x^2", "--format", "markdown", "--standalone"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(stdout(&both).is_empty());
    assert!(
        stderr(&both).contains("Markdown output is already a whole document"),
        "{}",
        stderr(&both)
    );
}

/// A traced program's verdicts, a `tabular` in LaTeX, are a Markdown table: its
/// `\texttt` cells code (a `|` in them escaped, as a table needs), an empty cell kept.
#[test]
fn a_tabular_is_a_table() {
    let latex = "\\begin{tabular}{lll}\n\\hline\ngradient & verdict & note \\\\\n\\hline\n\
                 \\texttt{dx} & correct &  \\\\\n\\texttt{dW\\_1} & wrong & \\texttt{a|b \\& c} \\\\\n\
                 \\hline\n\\end{tabular}\n";
    assert_eq!(
        Output::new(Format::Latex).markdown(latex),
        "| gradient | verdict | note |\n| --- | --- | --- |\n| `dx` | correct |  |\n\
         | `dW_1` | wrong | `a\\|b & c` |\n"
    );
}
