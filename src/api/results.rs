//! What the [`Session`](crate::Session) methods return besides expressions: derivations
//! with their steps, gradients, values, loaded statements, claims' outcomes and numeric
//! checks. Each renders as text, JSON or LaTeX, exactly as the command line prints it.

use std::fmt;
use std::path::Path;

use crate::api::error::{Error, Result};
use crate::api::expr::{Expr, Shared};
use crate::expr::node::ExprId;
use crate::lower::workspace::Statement;
use crate::prove::Verdict;
use crate::report::Output;

/// Renders with the shared workspace, which is free whenever no session call runs, in
/// the index style `out` asks for (see [`crate::api::expr::rendering`]).
fn render(
    ws: &Shared,
    out: &Output,
    f: impl FnOnce(&crate::lower::workspace::Workspace) -> String,
) -> String {
    crate::api::expr::rendering(ws, out, f).unwrap_or_default()
}

/// A derived result with the derivation that reached it: a derivative, a gradient or
/// Hessian in index form, or a simplification.
///
/// `Display` and [`Derivation::latex`] print the result, as for an [`Expr`].
///
/// ```
/// use gauge::{Format, options::{DiffOptions, Output}};
///
/// let mut s = gauge::Session::new();
/// let d = s.diff_with("eml(x, y)", "y", &DiffOptions::new())?;
/// assert_eq!(d.to_string(), "-1/y");
/// assert_eq!(d.steps().last().map(|st| st.expr().to_string()), Some("-1/y".into()));
/// let shown = d.render(&Output::new(Format::Text).with_steps(true));
/// assert!(shown.starts_with("  diff(eml(x, y), y)\n= diff(exp(x) - ln(y), y)"));
/// # Ok::<(), gauge::Error>(())
/// ```
#[derive(Clone)]
pub struct Derivation {
    pub(crate) ws: Shared,
    pub(crate) inner: crate::calculus::derivation::Derivation,
}

/// One step of a derivation: the rules applied, and the expression reached.
#[derive(Clone, Debug)]
pub struct Step {
    rules: Vec<String>,
    expr: Expr,
}

impl Step {
    /// The rules applied, by their kebab-case names (`chain-rule-ln`, `sum-delta-contract`).
    pub fn rules(&self) -> &[String] {
        &self.rules
    }

    /// The expression the step reached.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }
}

impl Derivation {
    /// The result.
    pub fn result(&self) -> Expr {
        Expr::new(&self.ws, self.inner.result)
    }

    /// What was derived, such as `diff(eml(x, y), y)`.
    pub fn start(&self) -> Expr {
        Expr::new(&self.ws, self.inner.start)
    }

    /// The steps from [`Derivation::start`] to the result, in order.
    pub fn steps(&self) -> Vec<Step> {
        self.inner
            .steps
            .iter()
            .map(|st| Step {
                rules: st.rules.iter().map(|r| r.name()).collect(),
                expr: Expr::new(&self.ws, st.after),
            })
            .collect()
    }

    /// Where the result does not hold: the expressions that must not be 0 (`abs(x)` has
    /// a derivative only where `x != 0`).
    pub fn conditions(&self) -> Vec<Expr> {
        self.inner
            .conditions
            .iter()
            .map(|c| Expr::new(&self.ws, c.nonzero))
            .collect()
    }

    /// The result as LaTeX math.
    pub fn latex(&self) -> String {
        self.result().latex()
    }

    /// The result, or with [`Output::with_steps`] the derivation, as `gauge diff` prints
    /// it.
    pub fn render(&self, out: &Output) -> String {
        render(&self.ws, out, |ws| {
            crate::report::derivation::derivation(ws, &self.inner, out)
        })
    }
}

impl fmt::Display for Derivation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.result().fmt(f)
    }
}

impl fmt::Debug for Derivation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Derivation({} = {})", self.start(), self.result())
    }
}

/// A gradient: by a tensor, one derivation in index form; by scalars, one partial
/// derivative per variable, taken in one reverse sweep.
///
/// ```
/// use gauge::options::GradOptions;
///
/// let mut s = gauge::Session::new();
/// let g = s.grad_with("eml(x, y)", &["x", "y"], &GradOptions::new())?;
/// let parts: Vec<String> = g.parts().iter().map(|p| p.to_string()).collect();
/// assert_eq!(parts, ["exp(x)", "-1/y"]);
/// # Ok::<(), gauge::Error>(())
/// ```
#[derive(Clone)]
pub struct Gradient {
    pub(crate) shape: GradientShape,
}

#[derive(Clone)]
pub(crate) enum GradientShape {
    /// By a tensor, in index form.
    Index(Derivation),
    /// By scalars.
    Scalars {
        ws: Shared,
        input: ExprId,
        names: Vec<String>,
        parts: Vec<ExprId>,
    },
}

impl Gradient {
    /// The partial derivatives, one per variable; by a tensor, the one derivative in
    /// index form.
    pub fn parts(&self) -> Vec<Expr> {
        match &self.shape {
            GradientShape::Index(d) => vec![d.result()],
            GradientShape::Scalars { ws, parts, .. } => {
                parts.iter().map(|&p| Expr::new(ws, p)).collect()
            }
        }
    }

    /// The derivation, for a gradient by a tensor.
    pub fn derivation(&self) -> Option<&Derivation> {
        match &self.shape {
            GradientShape::Index(d) => Some(d),
            GradientShape::Scalars { .. } => None,
        }
    }

    /// The gradient as `gauge grad` prints it: by scalars, `name: derivative` lines.
    pub fn render(&self, out: &Output) -> String {
        match &self.shape {
            GradientShape::Index(d) => d.render(out),
            GradientShape::Scalars {
                ws,
                input,
                names,
                parts,
            } => render(ws, out, |ws| {
                crate::report::shared::scalar_gradient(ws, *input, names, parts, out)
            }),
        }
    }
}

impl fmt::Debug for Gradient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.parts()).finish()
    }
}

/// A Hessian: in index form by a vector, or every second partial derivative by a list
/// of scalars.
///
/// ```
/// let mut s = gauge::Session::new();
/// let h = s.hessian_of("x^2*y", &["x", "y"], &gauge::options::GradOptions::new())?;
/// let entries: Vec<String> = h.entries().iter().map(|e| e.to_string()).collect();
/// assert_eq!(entries, ["2*y", "2*x", "0"]);
/// # Ok::<(), gauge::Error>(())
/// ```
#[derive(Clone)]
pub struct Hessian {
    pub(crate) shape: HessianShape,
}

#[derive(Clone)]
pub(crate) enum HessianShape {
    /// By a vector, in index form.
    Index(Derivation),
    /// By scalars: `rows[i][k]` is by the i-th variable and then the (i + k)-th.
    Scalars {
        ws: Shared,
        input: ExprId,
        names: Vec<String>,
        rows: Vec<Vec<ExprId>>,
        /// The first partials the entries are written in terms of: each a name (a
        /// scalar node) and its body.
        products: Vec<(ExprId, ExprId)>,
        /// The matrix as a diagonal plus an outer product, when it is one.
        outer: Option<(
            crate::simplify::outer::Outer,
            crate::simplify::outer::Written,
        )>,
    },
}

impl Hessian {
    /// The entries: by scalars, the upper triangle row by row (by the first variable
    /// and each from the first on, then by the second and each from the second on, and
    /// so on); by a vector, the one entry in index form.
    pub fn entries(&self) -> Vec<Expr> {
        match &self.shape {
            HessianShape::Index(d) => vec![d.result()],
            HessianShape::Scalars { ws, rows, .. } => {
                rows.iter().flatten().map(|&e| Expr::new(ws, e)).collect()
            }
        }
    }

    /// By scalars, the matrix as a diagonal plus an outer product,
    /// `H = diag(d) + c u uᵀ`, when it is one (three variables or more): `(d, c, u)`,
    /// in terms of the first partials as [`Hessian::entries`] are. A diagonal matrix
    /// has `c = 0` and no `u`.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// let h = s.hessian_of("(x + 2*y + 3*z)^2", &["x", "y", "z"], &Default::default())?;
    /// let (d, c, u) = h.outer().expect("a square of a sum is an outer product");
    /// assert_eq!(c.to_string(), "2");
    /// assert_eq!(u.iter().map(|e| e.to_string()).collect::<Vec<_>>(), ["1", "2", "3"]);
    /// assert!(d.iter().all(|e| e.to_string() == "0"));
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn outer(&self) -> Option<(Vec<Expr>, Expr, Vec<Expr>)> {
        match &self.shape {
            HessianShape::Index(_) => None,
            HessianShape::Scalars { ws, outer, .. } => outer.as_ref().map(|(o, _)| {
                let each = |v: &[ExprId]| v.iter().map(|&e| Expr::new(ws, e)).collect();
                (each(&o.diagonal), Expr::new(ws, o.scale), each(&o.vector))
            }),
        }
    }

    /// The derivation, for a Hessian by a vector.
    pub fn derivation(&self) -> Option<&Derivation> {
        match &self.shape {
            HessianShape::Index(d) => Some(d),
            HessianShape::Scalars { .. } => None,
        }
    }

    /// The Hessian as `gauge hessian` prints it: by scalars, `x, y: derivative` lines
    /// for the upper triangle after the shared `let` bindings, or the vectors and one
    /// entry in index form when it is a diagonal plus an outer product.
    pub fn render(&self, out: &Output) -> String {
        match &self.shape {
            HessianShape::Index(d) => d.render(out),
            HessianShape::Scalars {
                ws,
                input,
                names,
                rows,
                products,
                outer,
            } => render(ws, out, |ws| {
                let written = outer.as_ref().map(|o| &o.1);
                crate::report::shared::scalar_hessian(
                    ws, *input, names, rows, products, written, out,
                )
            }),
        }
    }
}

impl fmt::Debug for Hessian {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.entries()).finish()
    }
}

/// A value, with the expression it is the value of.
///
/// ```
/// let mut s = gauge::Session::new();
/// let v = s.eval_at("cross_entropy(z, y)", "z=[2.1, 1.8, 0.2, -1.5], y=0")?;
/// assert!((v.value() - 0.6511320591048929).abs() < 1e-15);
/// # Ok::<(), gauge::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub(crate) expr: Expr,
    pub(crate) id: ExprId,
    pub(crate) ws: Shared,
    pub(crate) value: f64,
}

impl Evaluation {
    /// The value, in double precision.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The expression evaluated, in canonical form.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// The value as `gauge eval` prints it: in full precision; JSON adds the canonical
    /// expression and, for a number, its exact value.
    pub fn render(&self, out: &Output) -> String {
        render(&self.ws, out, |ws| {
            crate::report::value::value(ws, self.id, self.value, out)
        })
    }
}

/// The statements of a loaded text, in file order.
///
/// ```
/// let mut s = gauge::Session::new();
/// let loaded = s.load("let f(x) = x*x\nassume p > 0")?;
/// assert_eq!(loaded.texts(), ["let f(x) = x^2", "assume p > 0"]);
/// # Ok::<(), gauge::Error>(())
/// ```
#[derive(Clone)]
pub struct Loaded {
    pub(crate) ws: Shared,
    pub(crate) name: String,
    pub(crate) statements: Vec<Statement>,
}

impl Loaded {
    /// Each statement in canonical form.
    pub fn texts(&self) -> Vec<String> {
        render_each(&self.ws, &self.statements)
    }

    /// How many statements were loaded.
    pub fn len(&self) -> usize {
        self.statements.len()
    }

    /// Whether the text held no statement.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The statements as `gauge parse -f` prints them: one per line, or JSON with each
    /// statement's kind.
    pub fn render(&self, out: &Output) -> String {
        render(&self.ws, out, |ws| {
            crate::report::value::statements(ws, &self.name, &self.statements, out)
        })
    }
}

fn render_each(ws: &Shared, statements: &[Statement]) -> Vec<String> {
    ws.try_borrow()
        .map(|ws| statements.iter().map(|s| ws.print_statement(s)).collect())
        .unwrap_or_default()
}

impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.texts()).finish()
    }
}

/// A claim's outcome: its [`Verdict`], with the evidence.
///
/// ```
/// use gauge::Verdict;
///
/// let mut s = gauge::Session::new();
/// assert_eq!(s.prove("diff(eml(x, y), x) = exp(x)")?.verdict(), Verdict::Proved);
/// assert_eq!(s.prove("x = x + 1")?.verdict(), Verdict::Refuted);
/// # Ok::<(), gauge::Error>(())
/// ```
#[derive(Clone)]
pub struct ClaimReport {
    pub(crate) ws: Shared,
    pub(crate) inner: crate::prove::ClaimReport,
}

impl ClaimReport {
    /// The verdict.
    pub fn verdict(&self) -> Verdict {
        self.inner.verdict.verdict()
    }

    /// The claim's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.inner.claim.name.as_deref()
    }

    /// The line the claim starts on, from 1.
    pub fn line(&self) -> usize {
        self.inner.claim.line
    }

    /// The left side.
    pub fn lhs(&self) -> Expr {
        Expr::new(&self.ws, self.inner.claim.lhs)
    }

    /// The right side.
    pub fn rhs(&self) -> Expr {
        Expr::new(&self.ws, self.inner.claim.rhs)
    }

    /// Why the claim could not be decided, for the verdict [`Verdict::Error`].
    pub fn error(&self) -> Option<&str> {
        match &self.inner.verdict {
            crate::prove::Outcome::Failed(e) => Some(&e.message),
            _ => None,
        }
    }

    /// Why a proof failed the independent step checker (with
    /// [`ProveOptions::with_verify`](crate::options::ProveOptions::with_verify)), after
    /// which the verdict fell back to numeric evidence: a bug in gauge, unless the
    /// checker gave up (see [`ClaimReport::checker_gave_up`]).
    pub fn checker_failure(&self) -> Option<String> {
        self.inner.checker_failure.as_ref().map(|f| f.to_string())
    }

    /// Whether the step checker gave up on the proof at one of its limits (its work
    /// budget, or the size of what it multiplies out) instead of finding a step wrong.
    pub fn checker_gave_up(&self) -> bool {
        self.inner
            .checker_failure
            .as_ref()
            .is_some_and(|f| f.gave_up())
    }

    /// The outcome as `gauge prove` prints a file of this one claim.
    pub fn render(&self, out: &Output) -> String {
        render(&self.ws, out, |ws| {
            crate::report::prove::claims(ws, std::slice::from_ref(&self.inner), out)
        })
    }

    /// The derivation of a proved claim as a reader follows it: the first expression,
    /// then one step per row. It reads `lhs = ... = rhs` when the two sides simplify to
    /// one expression, and otherwise takes the difference `lhs - rhs` down to 0.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// let c = s.prove("diff(x^2, x) = 2*x")?;
    /// let (first, steps) = c.proof().expect("proved");
    /// assert_eq!(first.to_string(), "diff(x^2, x)");
    /// assert_eq!(steps.last().map(|st| st.expr().to_string()), Some("2*x".into()));
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn proof(&self) -> Option<(Expr, Vec<Step>)> {
        let (first, rows) = self.inner.proof()?;
        let steps = rows
            .into_iter()
            .map(|(after, rules)| Step {
                rules: rules.iter().map(|r| r.name()).collect(),
                expr: Expr::new(&self.ws, after),
            })
            .collect();
        Some((Expr::new(&self.ws, first), steps))
    }

    /// The point where a refuted claim's two sides differ, with their values there.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// let c = s.prove("x = x + 1")?;
    /// let at = c.counterexample().expect("refuted");
    /// assert_eq!(at.point[0].0, "x");
    /// assert_eq!(at.difference, Some(-1.0));
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn counterexample(&self) -> Option<Counterexample> {
        match &self.inner.verdict {
            crate::prove::Outcome::Refuted {
                point,
                lhs,
                rhs,
                certificate,
            } => Some(Counterexample {
                point: point.clone(),
                lhs: *lhs,
                rhs: *rhs,
                difference: certificate.difference,
                bits: certificate.bits,
            }),
            _ => None,
        }
    }
}

/// Where a refuted claim's two sides differ, as certified in interval arithmetic.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Counterexample {
    /// The point: each name with its value, written to read back exactly.
    pub point: Vec<(String, String)>,
    /// The left side's value there (the midpoint of its certified enclosure).
    pub lhs: f64,
    /// The right side's value there, or `None` where it is undefined.
    pub rhs: Option<f64>,
    /// `lhs - rhs`, where both sides are defined.
    pub difference: Option<f64>,
    /// The precision, in bits, of the interval arithmetic that certified it.
    pub bits: usize,
}

impl fmt::Debug for ClaimReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ClaimReport({} = {}: {})",
            self.lhs(),
            self.rhs(),
            self.verdict()
        )
    }
}

/// The outcomes of every claim loaded into a session, in order.
#[derive(Clone)]
pub struct Proofs {
    pub(crate) ws: Shared,
    pub(crate) claims: Vec<ClaimReport>,
}

impl fmt::Debug for Proofs {
    /// The claims' outcomes only: the shared workspace (pool, prelude) is no part of
    /// what a reader of `{:?}` wants to see.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.claims).finish()
    }
}

impl Proofs {
    /// Each claim's outcome.
    pub fn claims(&self) -> &[ClaimReport] {
        &self.claims
    }

    /// Whether some claim ended with this verdict.
    pub fn any(&self, verdict: Verdict) -> bool {
        self.claims.iter().any(|c| c.verdict() == verdict)
    }

    /// The outcomes as `gauge prove` prints them: a table of verdicts with the
    /// evidence for each claim not proved, JSON, or LaTeX derivations.
    pub fn render(&self, out: &Output) -> String {
        let inner: Vec<crate::prove::ClaimReport> =
            self.claims.iter().map(|c| c.inner.clone()).collect();
        render(&self.ws, out, |ws| {
            crate::report::prove::claims(ws, &inner, out)
        })
    }
}

/// The outcome of a numeric check of derivatives: whether every component agrees with
/// every trusted reference, and the errors.
///
/// ```
/// use gauge::options::CheckOptions;
///
/// let mut s = gauge::Session::new();
/// let wrong = CheckOptions::new().with_grad("exp(x), 1/y");
/// assert!(!s.check_with("eml(x, y)", &["x", "y"], &wrong)?.passed());
/// # Ok::<(), gauge::Error>(())
/// ```
#[derive(Clone)]
pub struct CheckReport {
    pub(crate) ws: Shared,
    pub(crate) request: crate::check::CheckRequest,
    pub(crate) inner: crate::check::CheckReport,
}

impl CheckReport {
    /// Whether every component passed.
    pub fn passed(&self) -> bool {
        self.inner.passed
    }

    /// The claimed derivatives, as text, one per variable.
    pub fn claims(&self) -> &[String] {
        &self.inner.claims
    }

    /// How many points were checked.
    pub fn points(&self) -> usize {
        self.inner.points.len()
    }

    /// The report as `gauge check` prints it.
    pub fn render(&self, out: &Output) -> String {
        render(&self.ws, out, |ws| {
            crate::report::check::check(ws, &self.request, &self.inner, out)
        })
    }

    /// Draws the finite-difference error against the step, for the worst component, as
    /// an SVG file.
    pub fn plot(&self, path: &Path) -> Result<()> {
        let mut ws = self.ws.try_borrow_mut().map_err(|_| Error::busy())?;
        crate::check::plot_worst(&mut ws, &self.request, &self.inner, path)
            .map_err(|e| Error::resolve(&ws.sources, e))
    }
}

impl fmt::Debug for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed() { "passed" } else { "failed" };
        write!(f, "CheckReport({verdict} at {} point(s))", self.points())
    }
}
