//! [`Expr`]: an expression of a session, printable as canonical text and as LaTeX.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::expr::node::ExprId;
use crate::lower::workspace::Workspace;
use crate::report::{Output, value};

/// The workspace a session and its results share. An [`Expr`] keeps it alive, so that
/// it prints the same after later calls of the session: nodes are never removed. A later
/// `let` that defines a name again changes what calls of it mean, not how they print.
pub(crate) type Shared = Rc<RefCell<Workspace>>;

/// An expression in canonical form.
///
/// `Display` prints the canonical text, which reads back to the same expression;
/// [`Expr::latex`] prints LaTeX math. Two expressions of one session are equal exactly
/// when their canonical forms are.
///
/// ```
/// let mut s = gauge::Session::new();
/// let e = s.parse("x**2 + x*x")?;
/// assert_eq!(e.to_string(), "2*x^2");
/// assert_eq!(e.latex(), "2 x^2");
/// assert_eq!(e, s.parse("2*x^2")?);
/// # Ok::<(), gauge::Error>(())
/// ```
#[derive(Clone)]
pub struct Expr {
    ws: Shared,
    id: ExprId,
    /// The text it was read from, for renderings that show it.
    input: Option<Rc<str>>,
}

impl Expr {
    pub(crate) fn new(ws: &Shared, id: ExprId) -> Expr {
        Expr {
            ws: ws.clone(),
            id,
            input: None,
        }
    }

    pub(crate) fn read_from(mut self, input: &str) -> Expr {
        self.input = Some(Rc::from(input));
        self
    }

    /// Runs `f` on the workspace, or gives `None` in the one case where it is busy: a
    /// session call in progress, which cannot happen from safe single-threaded code.
    fn with<T>(&self, f: impl FnOnce(&Workspace) -> T) -> Option<T> {
        self.ws.try_borrow().ok().map(|ws| f(&ws))
    }

    /// The expression as LaTeX math.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// let e = s.parse("exp(z[i]) / sum(j, exp(z[j]))")?;
    /// assert_eq!(e.latex(), r"\frac{e^{z_i}}{\sum_j e^{z_j}}");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn latex(&self) -> String {
        self.with(|ws| crate::print::latex::to_latex(&ws.pool, self.id))
            .unwrap_or_default()
    }

    /// The expression rendered as `gauge parse` prints it: canonical text, LaTeX math
    /// (a whole document with [`Output::with_standalone`]), or JSON with the text it
    /// was read from.
    ///
    /// ```
    /// use gauge::{Format, options::Output};
    ///
    /// let mut s = gauge::Session::new();
    /// let e = s.parse("(a+b)*(a+b)")?;
    /// assert_eq!(e.render(&Output::new(Format::Text)), "(a + b)^2\n");
    /// assert_eq!(
    ///     e.render(&Output::new(Format::Json)),
    ///     "{\"canonical\":\"(a + b)^2\",\"input\":\"(a+b)*(a+b)\"}\n"
    /// );
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn render(&self, out: &Output) -> String {
        let show = |ws: &Workspace| {
            let canonical;
            let input = match &self.input {
                Some(i) => i,
                None => {
                    canonical = ws.print(self.id);
                    canonical.as_str()
                }
            };
            value::expression(ws, input, self.id, out)
        };
        rendering(&self.ws, out, show).unwrap_or_default()
    }
}

/// Runs `f` on the shared workspace with LaTeX elements written as `out` asks: the style
/// is the pool's display setting (which the file's `notation indices` set, and which the
/// printers read), set for this rendering and put back after it, so that the file's
/// choice holds again for the next. `None` when the workspace is busy, which cannot
/// happen from safe single-threaded code.
pub(crate) fn rendering<T>(
    ws: &Shared,
    out: &Output,
    f: impl FnOnce(&Workspace) -> T,
) -> Option<T> {
    match out.indices() {
        None => ws.try_borrow().ok().map(|ws| f(&ws)),
        Some(style) => {
            let mut ws = ws.try_borrow_mut().ok()?;
            let before = ws.pool.set_index_style(style);
            let shown = f(&ws);
            ws.pool.set_index_style(before);
            Some(shown)
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.with(|ws| ws.print(self.id)) {
            Some(text) => f.write_str(&text),
            None => f.write_str("…"),
        }
    }
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Expr({self})")
    }
}

impl PartialEq for Expr {
    /// Canonical forms are hash-consed, so equal expressions of one session share an id.
    fn eq(&self, other: &Expr) -> bool {
        Rc::ptr_eq(&self.ws, &other.ws) && self.id == other.id
    }
}

impl Eq for Expr {}
