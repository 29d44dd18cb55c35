//! [`Session`]: the library's front door.

use std::cell::RefCell;
use std::rc::Rc;

use crate::api::error::{Error, Result};
use crate::api::expr::{Expr, Shared};
use crate::api::options::{CheckOptions, Detail, DiffOptions, GradOptions};
use crate::api::results::{
    CheckReport, Derivation, Evaluation, Gradient, GradientShape, Hessian, HessianShape, Loaded,
};
use crate::calculus::derivation::{Derivation as Steps, derive_with_steps, differentiate_step};
use crate::diag::error::{Error as Inner, ErrorKind};
use crate::expr::kind::Kind;
use crate::expr::node::{ExprId, MAX_DIFF_ORDER, Node};
use crate::lower::workspace::Workspace;
use crate::numeric::Evaluate;
use crate::numeric::json::is_name;
use crate::numeric::value::Bindings;
use crate::simplify::simplifier::Simplifier;

/// A session: the definitions, assumptions and claims loaded so far, starting with
/// gauge's prelude (`softmax`, `cross_entropy`, `eml`, `logsumexp`, ...).
///
/// Every method takes formulas as text in gauge's language and returns an [`Expr`] or
/// a report; errors point into that text. Results stay valid and printable after later
/// calls. What [`Session::load`] and [`Session::assume`] state persists; the names of a
/// query (`diff`, `eval`, `prove`, ...) are its own, so `y` may be an index in one query
/// and a scalar in the next. A session is single-threaded (it is neither `Send` nor
/// `Sync`).
///
/// ```
/// use gauge::{Session, Verdict};
///
/// let mut s = Session::new();
/// s.load("let f(x) = x^3\nassume p > 0")?;
/// let d = s.diff("cross_entropy(z, y)", "z[i]")?;
/// assert_eq!(d.to_string(), "softmax(z)[i] - delta(i, y)");
/// assert_eq!(s.diff("f(p)", "p")?.to_string(), "3*p^2");
/// assert_eq!(s.prove("diff(eml(x, y), y) = -1/y")?.verdict(), Verdict::Proved);
/// # Ok::<(), gauge::Error>(())
/// ```
pub struct Session {
    pub(crate) ws: Shared,
    /// The work each call may do building expressions before its searches give up.
    budget: Option<usize>,
}

impl Default for Session {
    fn default() -> Session {
        Session::new()
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Session")
    }
}

impl Session {
    /// A session with the prelude loaded.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// assert_eq!(s.simplify("exp(z[i]) / sum(j, exp(z[j]))")?.to_string(), "softmax(z)[i]");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn new() -> Session {
        // The prelude is gauge's own text, compiled into the library and loaded by
        // every test; its failing to load is a bug in gauge, not something a user's
        // input can cause.
        Session::try_new().expect("gauge's prelude loads")
    }

    /// A session with the prelude loaded, or the error that stopped the prelude from
    /// loading (a bug in gauge), for callers that must not panic even then.
    ///
    /// ```
    /// assert!(gauge::Session::try_new().is_ok());
    /// ```
    pub fn try_new() -> Result<Session> {
        match Workspace::with_prelude() {
            Ok(ws) => Ok(Session {
                ws: Rc::new(RefCell::new(ws)),
                budget: Some(crate::expr::pool::DEFAULT_BUDGET),
            }),
            Err(e) => Err(Error::new(e.kind, e.message)),
        }
    }

    /// Sets the work budget: how much one call may build (one unit for each new
    /// expression node and one for each of its children) before its searches
    /// (simplification, the prover's expansions, repeated differentiation) give up and
    /// return what they have, with a warning, or fail when they have nothing right to
    /// return; `None` lifts it. The default,
    /// [`DEFAULT_BUDGET`](crate::options::DEFAULT_BUDGET), keeps a call to about 100 MB.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// s.set_budget(Some(20));
    /// let e = s.diff("tanh(sin(x)*cos(x)*exp(x))", "x").unwrap_err();
    /// assert_eq!(e.kind(), gauge::ErrorKind::Limit);
    /// s.set_budget(None);
    /// assert!(s.diff("tanh(sin(x)*cos(x)*exp(x))", "x").is_ok());
    /// ```
    pub fn set_budget(&mut self, new_expressions: Option<usize>) {
        self.budget = new_expressions;
    }

    /// Runs `f` on the workspace within the work budget, resolving its error's spans.
    /// A call that ran out of budget still returns its (correct, less simplified)
    /// result, with a warning that says so.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Workspace) -> Result<T, Inner>) -> Result<T> {
        let mut ws = self.ws.try_borrow_mut().map_err(|_| Error::busy())?;
        ws.pool.set_budget(self.budget);
        let result = f(&mut ws);
        // A call that failed at the budget says so in its error already.
        if ws.pool.over_budget() && result.is_ok() {
            let limit = self.budget.unwrap_or(0);
            ws.warnings.push(
                Inner::new(
                    ErrorKind::Limit,
                    format!(
                        "gave up: the work budget ({limit}) ran out, so the \
                         result is not fully simplified (it is still right)"
                    ),
                )
                .with_hint("raise it with --budget, for example --budget 10000000"),
            );
        }
        ws.pool.set_budget(None);
        result.map_err(|e| Error::resolve(&ws.sources, e))
    }

    /// Runs a query on the workspace: the names it uses are its own, so that `y` may be
    /// an index in one query and a scalar in the next, as in separate runs of the
    /// command line. What lowering learns about names (kinds, axis lengths, index
    /// ranges) is put back as it was; the expressions made stay valid.
    pub(crate) fn query<T>(&self, f: impl FnOnce(&mut Workspace) -> Result<T, Inner>) -> Result<T> {
        self.with(|ws| {
            let kinds = ws.scope.kinds.clone();
            let equal_lengths = ws.equal_lengths.clone();
            let index_ranges = ws.index_ranges.clone();
            let result = f(ws);
            ws.scope.kinds = kinds;
            ws.equal_lengths = equal_lengths;
            ws.index_ranges = index_ranges;
            result
        })
    }

    /// Loads statements (`let`, `assume`, `claim`), one per line, shown in diagnostics
    /// as `<input>`.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// s.load("let sq(x) = x*x\nassume p > 0")?;
    /// assert_eq!(s.diff("sq(x)", "x")?.to_string(), "2*x");
    /// assert_eq!(s.simplify("ln(p^2)")?.to_string(), "2*ln(p)");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn load(&mut self, text: &str) -> Result<Loaded> {
        self.load_named("<input>", text)
    }

    /// Loads statements from a text shown in diagnostics under `name`, such as a file's
    /// path.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// let e = s.load_named("model.gauge", "let f(x) = x +").unwrap_err();
    /// assert_eq!(e.labels()[0].file(), "model.gauge");
    /// ```
    pub fn load_named(&mut self, name: &str, text: &str) -> Result<Loaded> {
        let statements = self.with(|ws| ws.load_file(name, text))?;
        Ok(Loaded {
            ws: self.ws.clone(),
            name: name.to_string(),
            statements,
        })
    }

    /// States a domain fact, as an `assume` statement does (`x > 0`, `0 < p < 1`).
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// s.assume("x > 0")?;
    /// assert_eq!(s.simplify("sqrt(x^2)")?.to_string(), "x");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn assume(&mut self, fact: &str) -> Result<()> {
        self.with(|ws| ws.load_file("<assume>", &format!("assume {fact}")))
            .map(|_| ())
    }

    /// Reads an expression into canonical form.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// assert_eq!(s.parse("x**2 + x*x - 2*x^2")?.to_string(), "0");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn parse(&mut self, text: &str) -> Result<Expr> {
        let id = self.query(|ws| ws.parse_expression(text))?;
        Ok(Expr::new(&self.ws, id).read_from(text))
    }

    /// Evaluates an expression in double precision, with scalar values for its free
    /// names. Tensors take values through [`Session::eval_at`].
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// assert_eq!(s.eval("eml(1, 1)", &[])?, std::f64::consts::E);
    /// assert_eq!(s.eval("x^2 + y", &[("x", 3.0), ("y", -1.0)])?, 8.0);
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn eval(&mut self, expr: &str, at: &[(&str, f64)]) -> Result<f64> {
        // The values go through the text form of `--at`, so that they are checked as a
        // command line's are; a value without one is refused here.
        if let Some((name, _)) = at.iter().find(|(_, v)| !v.is_finite()) {
            return Err(Error::new(
                ErrorKind::Binding,
                format!("`{name}` is given a value that is not a finite number"),
            ));
        }
        // A name is pasted into that text, so it must be one name and nothing more:
        // `"x=5, y"` would otherwise bind two.
        if let Some((name, _)) = at.iter().find(|(n, _)| !is_name(n)) {
            return Err(
                Error::new(ErrorKind::Binding, format!("`{name}` is not a name"))
                    .with_hint("a name is a letter or `_` followed by letters, digits or `_`"),
            );
        }
        let at: Vec<String> = at.iter().map(|(n, v)| format!("{n}={v:?}")).collect();
        Ok(self.eval_at(expr, &at.join(", "))?.value())
    }

    /// Evaluates an expression at a point written as `gauge eval --at` takes it:
    /// scalars, indices (from 0) and nested lists (`z=[2.1, 1.8], y=0`). A value for a
    /// name the expression does not use is a warning (see [`Session::take_warnings`]).
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// let v = s.eval_at("sum(i, k, W[i, k]*x[k])", "W=[[1, 2], [3, 4]], x=[0.5, -1]")?;
    /// assert_eq!(v.value(), -4.0);
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn eval_at(&mut self, expr: &str, at: &str) -> Result<Evaluation> {
        self.eval_at_named(expr, "<bindings>", at)
    }

    /// Evaluates an expression at a point read from a text shown in diagnostics under
    /// `name` (a file's path): `--at` bindings, or a JSON object of names to numbers and
    /// nested lists, as `gauge eval --at @point.json` reads it.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// let v = s.eval_at_named("sum(i, k, W[i, k]*x[k])", "point.json",
    ///     r#"{"W": [[1, 2], [3, 4]], "x": [0.5, -1]}"#)?;
    /// assert_eq!(v.value(), -4.0);
    /// let e = s.eval_at_named("x[0]", "point.json", r#"{"x": [[1, 2], [3]]}"#).unwrap_err();
    /// assert_eq!(e.message(), "`x` is not rectangular: `x[1]` has 1 elements, but `x[0]` has 2");
    /// assert_eq!(e.labels()[0].file(), "point.json");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn eval_at_named(&mut self, expr: &str, name: &str, at: &str) -> Result<Evaluation> {
        let (id, value) = self.query(|ws| {
            let id = ws.parse_expression(expr)?;
            let bindings = if at.trim().is_empty() {
                Bindings::new()
            } else {
                ws.parse_bindings_named(name, at)?
            };
            warn_unused(ws, id, &bindings);
            Ok((id, ws.eval(id, &bindings)?))
        })?;
        Ok(Evaluation {
            expr: Expr::new(&self.ws, id).read_from(expr),
            id,
            ws: self.ws.clone(),
            value,
        })
    }

    /// The derivative of `expr` with respect to a scalar (`x`), a tensor element
    /// (`z[i]`, `W[a, b]`) or a named intermediate (`h[j]`, `s`: a definition without
    /// parameters, taken as an input, which gives its adjoint), simplified.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// let d = s.diff("cross_entropy(z, y)", "z[i]")?;
    /// assert_eq!(d.to_string(), "softmax(z)[i] - delta(i, y)");
    /// assert_eq!(d.latex(), r"\operatorname{softmax}(z)_i - \delta_{iy}");
    /// s.load("let u[i] = sum(k, W[i, k]*x[k])")?;
    /// let adjoint = s.diff("cross_entropy(u, y)", "u[j]")?;
    /// assert_eq!(adjoint.to_string(), "softmax(u)[j] - delta(j, y)");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn diff(&mut self, expr: &str, wrt: &str) -> Result<Expr> {
        Ok(self.diff_with(expr, wrt, &DiffOptions::new())?.result())
    }

    /// The derivative with its derivation, of the order the options give.
    ///
    /// ```
    /// use gauge::options::DiffOptions;
    ///
    /// let mut s = gauge::Session::new();
    /// let d = s.diff_with("sin(x)*x", "x", &DiffOptions::new().with_order(2))?;
    /// assert_eq!(d.to_string(), "2*cos(x) - x*sin(x)");
    /// assert!(!d.steps().is_empty());
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn diff_with(&mut self, expr: &str, wrt: &str, opts: &DiffOptions) -> Result<Derivation> {
        let inner = self.query(|ws| {
            let id = ws.parse_expression(expr)?;
            if opts.order == 0 || opts.order > MAX_DIFF_ORDER {
                return Err(Inner::new(
                    ErrorKind::Limit,
                    format!("--order must be from 1 to {MAX_DIFF_ORDER}"),
                )
                .with_hint("write `--order 2` for the second derivative"));
            }
            let wrt = element_text(ws, id, wrt);
            let var = ws.parse_variable(&wrt)?;
            derive_by(ws, id, &[(var, opts.order)], opts.detail)
        })?;
        Ok(self.derivation(inner))
    }

    /// The gradient of a scalar expression: one partial derivative per scalar
    /// variable, or for one tensor the derivative in index form (by `z[i]`).
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// let g = s.grad("eml(x, y)", &["x", "y"])?;
    /// assert_eq!(g[0].to_string(), "exp(x)");
    /// assert_eq!(g[1].to_string(), "-1/y");
    /// assert_eq!(s.grad("logsumexp(z)", &["z"])?[0].to_string(), "softmax(z)[i]");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn grad(&mut self, expr: &str, wrt: &[&str]) -> Result<Vec<Expr>> {
        Ok(self.grad_with(expr, wrt, &GradOptions::new())?.parts())
    }

    /// The gradient with its derivation (by a tensor) and the index names the options
    /// give (by default `i`).
    ///
    /// ```
    /// use gauge::options::GradOptions;
    ///
    /// let mut s = gauge::Session::new();
    /// let by_w = GradOptions::new().with_index(&["a", "b"]);
    /// let g = s.grad_with("sum(i, k, W[i, k]*x[k])", &["W"], &by_w)?;
    /// assert_eq!(g.parts()[0].to_string(), "x[b]");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn grad_with(&mut self, expr: &str, wrt: &[&str], opts: &GradOptions) -> Result<Gradient> {
        no_variables(wrt)?;
        let shared = self.ws.clone();
        let shape = self.query(|ws| {
            let id = ws.parse_expression(expr)?;
            let tensor = matches!(wrt, [name] if crate::api::adjoint::is_indexed(ws, name));
            if tensor {
                let names = index_names(opts, &["i"]);
                let var = ws.parse_variable(&format!("{}[{}]", wrt[0], names.join(", ")))?;
                let steps = derive_by(ws, id, &[(var, 1)], Detail::Full)?;
                return Ok(GradientShape::Index(Derivation {
                    ws: shared.clone(),
                    inner: steps,
                }));
            }
            let mut vars = Vec::new();
            for n in wrt {
                vars.push(ws.parse_variable(n)?);
            }
            let parts = crate::calculus::gradient::gradient(&mut ws.pool, id, &vars)?;
            let defs = ws.definitions_in_order();
            let facts = ws.facts.clone();
            let mut simp = Simplifier::new(&mut ws.pool, defs)
                .with_facts(facts)
                .remembering();
            let parts = parts.into_iter().map(|p| simp.simplify(p)).collect();
            Ok(GradientShape::Scalars {
                ws: shared.clone(),
                input: id,
                names: wrt.iter().map(|n| n.to_string()).collect(),
                parts,
            })
        })?;
        Ok(Gradient { shape })
    }

    /// The Hessian of a scalar expression with respect to a vector, in index form (by
    /// `z[i]` and `z[k]`).
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// let h = s.hessian("logsumexp(z)", "z")?;
    /// assert_eq!(h.to_string(), "softmax(z)[i]*(delta(i, k) - softmax(z)[k])");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn hessian(&mut self, expr: &str, wrt: &str) -> Result<Expr> {
        Ok(self.hessian_with(expr, wrt, &GradOptions::new())?.result())
    }

    /// The Hessian with its derivation, and the two index names the options give (by
    /// default `i` and `k`).
    ///
    /// ```
    /// use gauge::options::GradOptions;
    ///
    /// let mut s = gauge::Session::new();
    /// let h = s.hessian_with("sum(j, z[j]^2)", "z", &GradOptions::new().with_index(&["a", "b"]))?;
    /// assert_eq!(h.to_string(), "2*delta(a, b)");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn hessian_with(
        &mut self,
        expr: &str,
        wrt: &str,
        opts: &GradOptions,
    ) -> Result<Derivation> {
        let inner = self.query(|ws| {
            let id = ws.parse_expression(expr)?;
            hessian_by_vector(ws, id, wrt, opts)
        })?;
        Ok(self.derivation(inner))
    }

    /// The Hessian by a vector (one name, in index form, as [`Session::hessian_with`])
    /// or by a list of scalar variables: every second partial derivative, the upper
    /// triangle of the symmetric matrix.
    ///
    /// ```
    /// use gauge::options::GradOptions;
    ///
    /// let mut s = gauge::Session::new();
    /// let h = s.hessian_of("ln(exp(a) + exp(b))", &["a", "b"], &GradOptions::new())?;
    /// assert_eq!(h.entries().len(), 3);
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn hessian_of(&mut self, expr: &str, wrt: &[&str], opts: &GradOptions) -> Result<Hessian> {
        no_variables(wrt)?;
        let shared = self.ws.clone();
        let shape = self.query(|ws| {
            let id = ws.parse_expression(expr)?;
            if let [name] = wrt
                && crate::api::adjoint::is_indexed(ws, name)
            {
                let steps = hessian_by_vector(ws, id, name, opts)?;
                return Ok(HessianShape::Index(Derivation {
                    ws: shared.clone(),
                    inner: steps,
                }));
            }
            let mut vars = Vec::new();
            for n in wrt {
                vars.push(ws.parse_variable(n)?);
            }
            let defs = ws.definitions_in_order();
            let facts = ws.facts.clone();
            let (first, rows) =
                crate::calculus::gradient::hessian(&mut ws.pool, id, &vars, &defs, &facts)?;
            // The entries are written in terms of the first partials where they hold
            // them (`-p1*p2`), as a reader of a Hessian expects.
            // A first partial's constant terms do not reach the second partials, so
            // they are left out of what is looked for (`softmax - onehot` is looked
            // for as the softmax).
            let first: Vec<ExprId> = first
                .into_iter()
                .map(|p| without_constant_terms(&mut ws.pool, p, &vars))
                .collect();
            let flat: Vec<ExprId> = rows.iter().flatten().copied().collect();
            let (flat, products) =
                crate::simplify::cse::abstract_products(&mut ws.pool, &flat, &first);
            // Common factors out again where that is smaller, now that names stand for
            // products.
            let mut simp = Simplifier::new(&mut ws.pool, Vec::new()).remembering();
            let factored: Vec<ExprId> = flat.into_iter().map(|e| simp.factor(e)).collect();
            let mut flat = factored.into_iter();
            let derived = rows;
            let rows: Vec<Vec<ExprId>> = derived
                .iter()
                .map(|row| flat.by_ref().take(row.len()).collect())
                .collect();
            // A Hessian that is a diagonal plus an outer product (that of any function
            // of a sum) prints as two vectors instead of n^2 entries.
            // The entries in terms of the first partials show the structure best
            // (`u = p`); where the partials do not all divide them, the entries as
            // derived may still show it.
            let outer = crate::simplify::outer::diagonal_plus_outer(&mut simp, &rows)
                .or_else(|| crate::simplify::outer::diagonal_plus_outer(&mut simp, &derived))
                .map(|o| {
                    let w = o.written(&mut simp, &products);
                    (o, w)
                });
            Ok(HessianShape::Scalars {
                ws: shared.clone(),
                input: id,
                names: wrt.iter().map(|n| n.to_string()).collect(),
                rows,
                products,
                outer,
            })
        })?;
        Ok(Hessian { shape })
    }

    /// Simplifies an expression, taking any derivatives in it.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// assert_eq!(s.simplify("ln(exp(x))")?.to_string(), "x");
    /// assert_eq!(s.simplify("diff(x^3, x)")?.to_string(), "3*x^2");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn simplify(&mut self, expr: &str) -> Result<Expr> {
        Ok(self.simplify_with_steps(expr)?.result())
    }

    /// Simplifies an expression, with the derivation.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// let d = s.simplify_with_steps("ln(exp(x))")?;
    /// assert_eq!(d.steps()[0].rules(), ["ln-of-exp"]);
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn simplify_with_steps(&mut self, expr: &str) -> Result<Derivation> {
        let inner = self.query(|ws| {
            let id = ws.parse_expression(expr)?;
            let (taken, conditions, step) = differentiate_step(&mut ws.pool, id)?;
            let defs = ws.definitions_in_order();
            let facts = ws.facts.clone();
            let mut simp = Simplifier::new(&mut ws.pool, defs).with_facts(facts);
            let result = simp.simplify(taken);
            let mut steps: Vec<crate::trace::Step> = step.into_iter().collect();
            steps.extend(simp.steps);
            let defs = ws.definitions_in_order();
            let shown = crate::calculus::derivation::shown(&mut ws.pool, &steps, &defs);
            Ok(Steps {
                start: id,
                steps,
                result,
                conditions,
                shown,
                readable: None,
            })
        })?;
        Ok(self.derivation(inner))
    }

    /// Checks gauge's derivatives of `expr` by the variables `wrt` (scalars, or tensors:
    /// every element; or named intermediates, `h` or `h[j]`, whose references perturb
    /// an input put in the intermediate's place at its value) against finite
    /// differences, the complex step and dual numbers, at random points.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// let r = s.check("cross_entropy(z, y)", &["z"])?;
    /// assert!(r.passed());
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn check(&mut self, expr: &str, wrt: &[&str]) -> Result<CheckReport> {
        self.check_with(expr, wrt, &CheckOptions::new())
    }

    /// Checks derivatives with options: claimed formulas instead of gauge's own, a
    /// point, the number of points, the seed and the precision.
    ///
    /// ```
    /// use gauge::options::CheckOptions;
    ///
    /// let mut s = gauge::Session::new();
    /// let at_kink = CheckOptions::new().with_at("x=0");
    /// assert!(s.check_with("abs(x)", &["x"], &at_kink)?.passed());
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn check_with(
        &mut self,
        expr: &str,
        wrt: &[&str],
        opts: &CheckOptions,
    ) -> Result<CheckReport> {
        // With no variable nothing would be checked, and a report that passed would
        // promise what was never looked at.
        no_variables(wrt)?;
        let wrt: Vec<String> = wrt.iter().map(|n| n.to_string()).collect();
        let (request, inner) = self.query(|ws| {
            let id = ws.parse_expression(expr)?;
            let text = crate::check::request::CheckText {
                wrt: &wrt,
                grad: opts.grad.as_deref(),
                index: opts.index.as_deref(),
                at: opts.at.as_deref(),
                at_name: opts.at_name.as_deref().unwrap_or("<bindings>"),
                lengths: &opts.lengths,
                points: opts.points,
                seed: opts.seed,
                dtype: opts.dtype,
            };
            let request = crate::check::request::request(ws, id, &text)?;
            let report = crate::check::run_check(ws, &request)?;
            Ok((request, report))
        })?;
        Ok(CheckReport {
            ws: self.ws.clone(),
            request,
            inner,
        })
    }

    /// The variables of an expression, in the order it first mentions them once every
    /// definition is expanded in place: its scalars and tensors. An index, a name a sum
    /// binds, or a definition is not a variable (a definition's body's inputs are).
    /// This is what the command line differentiates and checks by when `--wrt` is
    /// omitted; an expression without a variable is an error.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// assert_eq!(s.variables("eml(x, y) + sum(j, w[j])")?, ["x", "y", "w"]);
    /// assert_eq!(s.variables("cross_entropy(z, y)")?, ["z"]); // `y` is an index here
    /// s.load("let h[i] = tanh(sum(j, W[i, j]*x[j]))")?;
    /// assert_eq!(s.variables("sum(i, h[i])")?, ["W", "x"]);
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn variables(&mut self, expr: &str) -> Result<Vec<String>> {
        let names = self.query(|ws| {
            let id = ws.parse_expression(expr)?;
            Ok(variable_names(ws, id))
        })?;
        if names.is_empty() {
            return Err(Error::new(
                ErrorKind::Name,
                format!("`{expr}` has no variable to differentiate by"),
            ));
        }
        Ok(names)
    }

    /// The one variable of an expression (see [`Session::variables`]): what the command
    /// line's `diff` and `hessian` differentiate by when `--wrt` is omitted. An error
    /// lists the variables when there is not exactly one.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// assert_eq!(s.variable("cross_entropy(z, y)")?, "z");
    /// let e = s.variable("x^2*y").unwrap_err();
    /// assert_eq!(e.message(), "`x^2*y` has 2 variables, x and y; which one is meant?");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn variable(&mut self, expr: &str) -> Result<String> {
        let mut names = self.variables(expr)?;
        let Some(last) = names.pop() else {
            return Err(Error::new(ErrorKind::Name, "no variable"));
        };
        if names.is_empty() {
            return Ok(last);
        }
        Err(Error::new(
            ErrorKind::Name,
            format!(
                "`{expr}` has {} variables, {} and {last}; which one is meant?",
                names.len() + 1,
                names.join(", ")
            ),
        )
        .with_hint(format!("name it with --wrt, as in `--wrt {}`", names[0])))
    }

    /// The variables a gradient is by when none are named (see [`Session::variables`]):
    /// one tensor, or every scalar. An expression with a tensor among several variables
    /// has no such gradient, and the error says so.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// assert_eq!(s.gradient_variables("eml(x, y)")?, ["x", "y"]);
    /// assert!(s.gradient_variables("sum(j, z[j])*w").is_err());
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn gradient_variables(&mut self, expr: &str) -> Result<Vec<String>> {
        let (names, tensors) = self.query(|ws| {
            let id = ws.parse_expression(expr)?;
            let names = variable_names(ws, id);
            let tensors: Vec<String> = names
                .iter()
                .filter(|n| {
                    let kind = ws.pool.lookup_symbol(n).and_then(|s| ws.kind_of(s));
                    matches!(kind, Some(Kind::Tensor(_)))
                })
                .cloned()
                .collect();
            Ok((names, tensors))
        })?;
        if names.is_empty() {
            return self.variables(expr);
        }
        if names.len() > 1 && !tensors.is_empty() {
            return Err(Error::new(
                ErrorKind::Name,
                format!(
                    "`{expr}` has the tensor `{}` among its variables ({}); a gradient is by one tensor or by scalars",
                    tensors[0],
                    names.join(", ")
                ),
            )
            .with_hint(format!(
                "name them with --wrt: `--wrt {}` for the tensor alone",
                tensors[0]
            )));
        }
        Ok(names)
    }

    /// The warnings raised since the last call (a definition shadowing the prelude's, a
    /// value for a name an expression does not use), oldest first.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// s.eval_at("z[0]", "z=[1, 2], q=2")?;
    /// let w = s.take_warnings();
    /// assert_eq!(w[0].message(), "`q` is given a value, but the expression does not use it");
    /// assert!(s.take_warnings().is_empty());
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn take_warnings(&mut self) -> Vec<Error> {
        match self.ws.try_borrow_mut() {
            Ok(mut ws) => {
                let warnings = std::mem::take(&mut ws.warnings);
                warnings
                    .into_iter()
                    .map(|w| Error::resolve(&ws.sources, w))
                    .collect()
            }
            Err(_) => Vec::new(),
        }
    }

    fn derivation(&self, inner: Steps) -> Derivation {
        Derivation {
            ws: self.ws.clone(),
            inner,
        }
    }
}

/// The index names the options give, or the defaults.
/// Whether `name` is a tensor the workspace knows (from the expression just parsed, or
/// from loaded definitions).
pub(crate) fn is_tensor(ws: &Workspace, name: &str) -> bool {
    ws.pool
        .lookup_symbol(name)
        .and_then(|s| ws.kind_of(s))
        .is_some_and(|k| matches!(k, Kind::Tensor(_)))
}

/// The Hessian of `id` by the vector `wrt`, in index form, by the two index names the
/// options give (by default `i` and `k`).
fn hessian_by_vector(
    ws: &mut Workspace,
    id: ExprId,
    wrt: &str,
    opts: &GradOptions,
) -> Result<Steps, Inner> {
    let names = index_names(opts, &["i", "k"]);
    if names.len() != 2 {
        return Err(Inner::new(
            ErrorKind::Arity,
            "--index takes two index names for a Hessian",
        )
        .with_hint("write `--index i,k`"));
    }
    let v1 = ws.parse_variable(&format!("{wrt}[{}]", names[0]))?;
    let v2 = ws.parse_variable(&format!("{wrt}[{}]", names[1]))?;
    if crate::api::adjoint::intermediate_rank(ws, wrt).is_some() {
        // By an intermediate, the first derivative is not simplified before the second
        // is taken: simplifying could fold a formula into a call of the intermediate
        // (or write one out), which would change what the second derivative treats as
        // the intermediate.
        let first = ws.pool.diff(id, v1, 1);
        return derive_by(ws, first, &[(v2, 1)], Detail::Full);
    }
    derive_by(ws, id, &[(v1, 1), (v2, 1)], Detail::Full)
}

fn index_names(opts: &GradOptions, defaults: &[&str]) -> Vec<String> {
    match &opts.index {
        Some(names) => names.clone(),
        None => defaults.iter().map(|n| n.to_string()).collect(),
    }
}

/// Differentiates `id` by each variable in turn, `order` times each, as one derivation.
fn derive_by(
    ws: &mut Workspace,
    id: ExprId,
    vars: &[(ExprId, u32)],
    detail: Detail,
) -> Result<Steps, Inner> {
    let defs = ws.definitions_in_order();
    let mut all = Steps {
        start: id,
        steps: Vec::new(),
        result: id,
        conditions: Vec::new(),
        shown: Vec::new(),
        readable: None,
    };
    for (k, &(var, order)) in vars.iter().enumerate() {
        let facts = ws.facts.clone();
        let d = if vars.len() == 1 {
            crate::calculus::readable::derive_readable(
                &mut ws.pool,
                all.result,
                var,
                order,
                &defs,
                &facts,
                detail,
            )?
        } else {
            derive_with_steps(&mut ws.pool, all.result, var, order, &defs, &facts)?
        };
        if k == 0 {
            all.readable = d.readable.clone();
            all.start = d.start;
        }
        all.steps.extend(d.steps);
        all.shown.extend(d.shown);
        all.conditions.extend(d.conditions);
        all.result = d.result;
    }
    Ok(all)
}

/// Warns about each value given for a name that the expression does not use, which is
/// likely a typo.
fn warn_unused(ws: &mut Workspace, id: ExprId, bindings: &Bindings) {
    let used = ws.names_used(id);
    for name in bindings.names() {
        if !used.contains(&name) {
            let text = ws.pool.name(name).to_string();
            let mut w = Inner::new(
                ErrorKind::Binding,
                format!("`{text}` is given a value, but the expression does not use it"),
            );
            if let Some(span) = bindings.span(name) {
                w = w.with_label(span, "unused");
            }
            ws.warnings.push(w);
        }
    }
}

/// The names of the variables of `id`, in order (see [`Session::variables`]).
fn variable_names(ws: &mut Workspace, id: ExprId) -> Vec<String> {
    let found = ws.pool.free_variables(id);
    found
        .into_iter()
        .filter(|&s| matches!(ws.kind_of(s), Some(Kind::Scalar | Kind::Tensor(_))))
        .map(|s| ws.pool.name(s).to_string())
        .collect()
}

/// A variable as `diff` reads it: a tensor or a named intermediate named alone (`z`,
/// `h`) means its element, with index names that `id` does not use free (`z[i]`,
/// `W[i, k]`); anything else as it is.
fn element_text(ws: &mut Workspace, id: ExprId, wrt: &str) -> String {
    let rank = match ws
        .pool
        .lookup_symbol(wrt.trim())
        .and_then(|s| ws.kind_of(s))
    {
        Some(Kind::Tensor(r)) => r as usize,
        _ => match crate::api::adjoint::intermediate_rank(ws, wrt) {
            Some(r) if r > 0 => r,
            _ => return wrt.to_string(),
        },
    };
    let avoid = ws.pool.free_indices(id);
    let names = crate::check::request::fresh_indices(ws, rank, &avoid);
    if names.len() != rank {
        return wrt.to_string();
    }
    let names: Vec<&str> = names.iter().map(|&s| ws.pool.name(s)).collect();
    format!("{}[{}]", wrt.trim(), names.join(", "))
}

/// An error for an empty list of variables: a gradient or a check by nothing.
fn no_variables(wrt: &[&str]) -> Result<()> {
    if wrt.is_empty() {
        return Err(Error::new(ErrorKind::Name, "no variable is given")
            .with_hint("name the variables to differentiate by, such as `&[\"x\", \"y\"]`"));
    }
    Ok(())
}

/// `expr` without the terms of its sum that hold none of `vars` (scalar nodes).
fn without_constant_terms(
    pool: &mut crate::expr::pool::Pool,
    expr: ExprId,
    vars: &[ExprId],
) -> ExprId {
    let Node::Add(terms) = pool.node(expr) else {
        return expr;
    };
    let terms = terms.to_vec();
    let symbols: Vec<_> = vars
        .iter()
        .filter_map(|&v| match pool.node(v) {
            Node::Sym(s) => Some(*s),
            _ => None,
        })
        .collect();
    let kept: Vec<ExprId> = terms
        .into_iter()
        .filter(|&t| pool.free_symbols(t).iter().any(|s| symbols.contains(s)))
        .collect();
    pool.add(kept)
}
