//! [`Session::eml`]: a formula, or its derivative, as a pure EML DAG, audited.

use crate::api::error::Result;
use crate::api::session::Session;
use crate::diag::error::{Error as Inner, ErrorKind};
use crate::eml::compile::Options;
use crate::eml::run::{Request, run};
use crate::report::Output;
use crate::report::eml::Shown;
use crate::simplify::simplifier::Simplifier;

/// What [`Session::eml`] compiles: the formula or its derivative, and which forms.
///
/// ```
/// use gauge::options::EmlOptions;
///
/// let opts = EmlOptions::new().with_diff("x").with_complex_safe(true);
/// # let _ = opts;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmlOptions {
    pub(crate) complex_safe: bool,
    pub(crate) diff: Option<String>,
}

impl EmlOptions {
    /// The formula itself, with the shortest forms right wherever each primitive is
    /// real.
    pub fn new() -> EmlOptions {
        EmlOptions::default()
    }

    /// Only forms right on the whole complex plane, where the table has them.
    pub fn with_complex_safe(mut self, on: bool) -> EmlOptions {
        self.complex_safe = on;
        self
    }

    /// The derivative by `var` instead of the formula.
    pub fn with_diff(mut self, var: &str) -> EmlOptions {
        self.diff = Some(var.to_string());
        self
    }
}

/// A formula as an EML DAG: its sizes, its domain, its audit, and its renderings.
#[derive(Clone)]
pub struct EmlReport {
    shown: std::rc::Rc<Shown>,
}

impl std::fmt::Debug for EmlReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmlReport")
            .field("source", &self.shown.source)
            .field("k", &self.k())
            .finish()
    }
}

impl EmlReport {
    /// The paper's size `K`: the RPN length of the tree (leaves plus eml nodes), in
    /// decimal (it can exceed any machine integer).
    pub fn k(&self) -> String {
        self.shown.outcome.chosen.measure.k.to_string()
    }

    /// The depth in eml levels.
    pub fn depth(&self) -> u32 {
        self.shown.outcome.chosen.measure.depth
    }

    /// The distinct nodes of the DAG.
    pub fn nodes(&self) -> usize {
        self.shown.outcome.chosen.measure.distinct
    }

    /// The tree as nested `eml(...)` text, when it is at most
    /// [`NESTED_LIMIT`](crate::report::eml::NESTED_LIMIT) long.
    pub fn nested(&self) -> Option<String> {
        let c = &self.shown.outcome.chosen;
        let k = u64::try_from(c.measure.k.clone()).ok()?;
        (k <= crate::report::eml::NESTED_LIMIT).then(|| c.compiled.dag.text(c.compiled.root))
    }

    /// The DAG as `let` bindings for its shared subtrees, and the result over them.
    pub fn bindings(&self) -> (Vec<(String, String)>, String) {
        let c = &self.shown.outcome.chosen;
        c.compiled.dag.bindings(c.compiled.root)
    }

    /// Where the form is right: one condition per line, empty for everywhere.
    pub fn domain(&self) -> &[String] {
        &self.shown.domain
    }

    /// Whether the audit found no wrong value and nothing unsure.
    pub fn verified(&self) -> bool {
        self.shown.outcome.chosen.audit.verified()
    }

    /// The audit's counts: points checked, wrong in `f64`, certified wrong, unsure.
    pub fn audit_counts(&self) -> (usize, usize, usize, usize) {
        let a = &self.shown.outcome.chosen.audit;
        (
            a.checked,
            a.wrong_f64.len(),
            a.wrong_certified.len(),
            a.unsure.len(),
        )
    }

    /// The report as text, JSON or LaTeX.
    pub fn render(&self, out: &Output) -> String {
        crate::report::eml::eml(&self.shown, out)
    }
}

impl Session {
    /// Compiles a scalar formula (or, with [`EmlOptions::with_diff`], its derivative)
    /// to a pure EML DAG over `1` and its variables, and audits it against the
    /// formula in `f64` and certified arithmetic at real and complex points and on
    /// both sides of every branch cut.
    ///
    /// ```
    /// use gauge::options::EmlOptions;
    ///
    /// let mut s = gauge::Session::new();
    /// let r = s.eml("exp(x)", &EmlOptions::new())?;
    /// assert_eq!(r.nested().as_deref(), Some("eml(x, 1)"));
    /// assert_eq!((r.k(), r.depth(), r.nodes()), ("3".to_string(), 1, 3));
    /// assert!(r.verified());
    /// let one = s.eml("sin(x)^2 + cos(x)^2", &EmlOptions::new())?;
    /// assert_eq!(one.k(), "1");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn eml(&mut self, expr: &str, opts: &EmlOptions) -> Result<EmlReport> {
        let shown = self.query(|ws| {
            let id = ws.parse_expression(expr)?;
            let defs = ws.definitions_in_order();
            let facts = ws.facts.clone();
            let (source, native) = match &opts.diff {
                None => (id, None),
                Some(var) => {
                    let v = ws.parse_variable(var)?;
                    let d = crate::calculus::derivation::derive_with_steps(
                        &mut ws.pool,
                        id,
                        v,
                        1,
                        &defs,
                        &facts,
                    )?;
                    (d.result, Some((var.trim().to_string(), id)))
                }
            };
            let simplified = Simplifier::new(&mut ws.pool, defs).with_facts(facts).simplify(source);
            let mut alternatives = Vec::new();
            if simplified != source {
                alternatives.push(simplified);
            }
            let req = Request {
                source,
                alternatives,
                native,
                options: Options {
                    complex_safe: opts.complex_safe,
                },
            };
            let outcome = run(&mut ws.pool, &req).map_err(|e| {
                Inner::new(
                    ErrorKind::Unsupported,
                    format!("no EML form for `{}`: {}", e.what, e.why),
                )
                .with_hint("EML compiles scalar formulas of the calculator's functions: + - * / ^, exp, ln, sqrt, the trigonometric and hyperbolic functions and their inverses, sigmoid")
            })?;
            let domain = outcome
                .chosen
                .compiled
                .conditions
                .iter()
                .map(|c| c.region.describe(&crate::print::text::to_text(&ws.pool, c.arg)))
                .collect();
            Ok(Shown {
                of: crate::print::text::to_text(&ws.pool, id),
                source: crate::print::text::to_text(&ws.pool, source),
                diff: opts.diff.clone(),
                domain,
                outcome,
            })
        })?;
        Ok(EmlReport {
            shown: std::rc::Rc::new(shown),
        })
    }
}

/// The table of EML forms beside the paper's published sizes, each form audited
/// again (see [`eml_table`]).
#[derive(Clone, Debug)]
pub struct EmlTable {
    rows: Vec<crate::eml::paper::Row>,
    text: Option<String>,
}

impl EmlTable {
    /// The table as text (a Markdown table) or JSON.
    pub fn render(&self, out: &Output) -> String {
        crate::report::eml::table(&self.rows, out)
    }

    /// The forms, in the format of the committed `forms.txt`.
    pub fn forms_text(&self) -> Option<&str> {
        self.text.as_deref()
    }
}

/// How to rebuild the table: the search's size limits for constants, functions of
/// one variable and of two, and where the searches save their states.
#[derive(Clone, Debug)]
pub struct EmlBuild {
    /// `[constants, unary, binary]`.
    pub k: [u32; 3],
    /// The states' directory, if any.
    pub state: Option<std::path::PathBuf>,
}

/// The committed table, or with `rebuild` a new one built by the search, compared
/// with the paper. Progress of a rebuild goes to `log`.
pub fn eml_table(rebuild: Option<&EmlBuild>, log: &mut dyn FnMut(&str)) -> Result<EmlTable> {
    let (table, text) = match rebuild {
        None => (crate::eml::table::Table::committed().clone(), None),
        Some(b) => {
            let opts = crate::eml::build::BuildOptions {
                k: b.k,
                state: b.state.clone(),
                ..Default::default()
            };
            let t = crate::eml::build::build(&opts, log)
                .map_err(|e| crate::api::error::Error::new(ErrorKind::Unsupported, e))?;
            let text = crate::eml::build::table_text(&t);
            (t, Some(text))
        }
    };
    let mut rows = crate::eml::paper::compare(&table);
    // Each function of one variable and its derivative, compiled as `gauge eml`
    // compiles them.
    let mut s = Session::new();
    for row in &mut rows {
        let name = row.published.name;
        let unary = crate::eml::table::PRIMITIVES
            .iter()
            .any(|(n, a)| *n == name && *a == 1);
        let Some((src, _)) = crate::eml::build::source(name).filter(|_| unary) else {
            continue;
        };
        let (Ok(f), Ok(d)) = (
            s.eml(src, &EmlOptions::new()),
            s.eml(src, &EmlOptions::new().with_diff("x")),
        ) else {
            continue;
        };
        if f.verified() && d.verified() {
            row.derivative = Some((d.k(), d.nodes(), f.nodes()));
        }
    }
    Ok(EmlTable { rows, text })
}
