//! Reports: every result rendered as text, JSON or LaTeX, exactly as the command line
//! prints it, and as Markdown made from the LaTeX (see [`markdown`]).
//!
//! Each function here takes a result of a stage below (a derivation, a check, the
//! claims' outcomes) and returns the whole text to print, so that the command line
//! only writes it out, and the library facade gives the same renderings to its users.
//! JSON is built from serde structs; see [`json`] for how key order stays stable.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`, `trace`, `simplify`, `calculus`, `verify`, `check`, `prove`, `backward`, `eml`.

pub mod backward;
pub mod check;
pub mod derivation;
pub mod eml;
pub mod json;
pub mod layout;
pub mod markdown;
pub mod prove;
pub mod roll;
pub mod shared;
pub mod value;
pub mod values;

/// An output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON object.
    Json,
    /// LaTeX math (derivations as an `align*` environment); results without a formula
    /// to show are rendered as text.
    Latex,
}

/// How a result is rendered: the format, and what to show.
///
/// ```
/// use gauge::Format;
/// use gauge::options::Output;
///
/// let out = Output::new(Format::Latex).with_steps(true).with_standalone(true);
/// assert_eq!(out.format(), Format::Latex);
/// assert!(out.steps() && out.standalone() && !out.cse());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Output {
    format: Format,
    standalone: bool,
    steps: bool,
    cse: bool,
    width: Option<u32>,
    indices: Option<crate::syntax::tree::IndexStyle>,
}

impl Output {
    /// Output in this format, showing results only, as bare math for LaTeX.
    pub fn new(format: Format) -> Output {
        Output {
            format,
            ..Output::default()
        }
    }

    /// With LaTeX, a complete document (amsmath and amssymb only) that pdflatex
    /// compiles as it stands, instead of bare math.
    pub fn with_standalone(mut self, standalone: bool) -> Output {
        self.standalone = standalone;
        self
    }

    /// Shows a derivation one step per line, with the rules of each step.
    pub fn with_steps(mut self, steps: bool) -> Output {
        self.steps = steps;
        self
    }

    /// Prints repeated subexpressions once, as `where` bindings.
    pub fn with_cse(mut self, cse: bool) -> Output {
        self.cse = cse;
        self
    }

    /// The width of the text block LaTeX derivations are broken to, in points (the
    /// default, 345, is an article's at 10 pt; a two-column paper's column is about
    /// 240).
    pub fn with_width(mut self, points: u32) -> Output {
        self.width = Some(points);
        self
    }

    /// Writes LaTeX tensor elements as `z_{i}` or `z[i]`, whatever the file's
    /// `notation indices` says (without this, the file's choice holds, else
    /// subscripts).
    ///
    /// ```
    /// use gauge::{Format, Session};
    /// use gauge::options::{IndexStyle, Output};
    ///
    /// let mut s = Session::new();
    /// let e = s.parse("softmax(z)[i] - delta(i, y)")?;
    /// let out = Output::new(Format::Latex).with_indices(IndexStyle::Brackets);
    /// assert_eq!(e.render(&out), "\\operatorname{softmax}(z)[i] - \\delta_{iy}\n");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn with_indices(mut self, style: crate::syntax::tree::IndexStyle) -> Output {
        self.indices = Some(style);
        self
    }

    /// How LaTeX writes tensor elements, if the caller chose (see
    /// [`Output::with_indices`]).
    pub fn indices(&self) -> Option<crate::syntax::tree::IndexStyle> {
        self.indices
    }

    /// The width LaTeX derivations are broken to, in points.
    pub fn width(&self) -> f64 {
        f64::from(self.width.unwrap_or(345))
    }

    /// The format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether LaTeX is a complete document.
    pub fn standalone(&self) -> bool {
        self.standalone
    }

    /// Whether derivations show their steps.
    pub fn steps(&self) -> bool {
        self.steps
    }

    /// Whether repeated subexpressions are named.
    pub fn cse(&self) -> bool {
        self.cse
    }

    /// `rendered`, a result rendered with these options, as Markdown for GitHub and
    /// Jupyter (both render math with MathJax). LaTeX becomes text with `$$` display
    /// math, each `align*` derivation an `aligned` block; render it with
    /// `with_standalone(true)` for the claims' headings and a `$$` around every
    /// formula (the document's preamble is dropped). Text and JSON become a fenced
    /// code block. Markdown is made from the LaTeX, and not rendered on its own, so
    /// that the two always say the same.
    ///
    /// ```
    /// use gauge::{Format, Session};
    /// use gauge::options::{DiffOptions, Output};
    ///
    /// let mut s = Session::new();
    /// let d = s.diff_with("eml(x, y)", "y", &DiffOptions::new())?;
    /// let out = Output::new(Format::Latex).with_steps(true).with_standalone(true);
    /// let md = out.markdown(&d.render(&out));
    /// assert!(md.starts_with("$$\n\\begin{aligned}\n"));
    /// assert!(md.ends_with("\\end{aligned}\n$$\n"));
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn markdown(&self, rendered: &str) -> String {
        match self.format {
            Format::Latex => markdown::from_latex(rendered),
            Format::Text => markdown::code_block(rendered, "text"),
            Format::Json => markdown::code_block(rendered, "json"),
        }
    }
}

/// A formula as display math in a standalone document, or as it is otherwise.
pub fn display(tex: &str, standalone: bool) -> String {
    if standalone {
        format!("\\[\n{tex}\n\\]")
    } else {
        tex.to_string()
    }
}

/// LaTeX output as printed: the body with one final newline, or wrapped in a complete
/// document.
pub fn latex_output(body: &str, standalone: bool) -> String {
    let body = body.trim_end();
    if standalone {
        crate::print::latex::standalone(body)
    } else {
        format!("{body}\n")
    }
}
