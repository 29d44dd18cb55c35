//! The LaTeX printer.
//!
//! It writes the math a paper would: fractions as `\frac`, `e^{x}` for short exponents
//! and `\exp(...)` for long ones, `\sigma` for the logistic function, subscripted
//! elements (`z_{i}`, `W_{ik}`), `\delta_{iy}`, `\sum_{j}` with its body in parentheses
//! when it has more than one term, and `\frac{\partial}{\partial z_{i}}` for derivatives.
//! Elements may be written with brackets instead (`z[i]`, `W[i, k]`), as the pool's
//! [`IndexStyle`] says; a delta, a sum's index and a name's suffix keep their subscripts,
//! since they are symbols and not elements.
//! Multi-letter names are set upright (`\mathrm{loss}`, `\operatorname{softmax}`), never
//! as a product of italic letters, and Greek names become Greek letters. A bound index
//! never takes the name of a free one (the text printer's renaming, shared).

use num_rational::BigRational;
use num_traits::{One, Signed};

use std::cell::RefCell;

use crate::expr::node::{Constant, ExprId, Func, Node, Symbol};
use crate::expr::pool::Pool;
use crate::print::text::BinderNames;
use crate::syntax::tree::IndexStyle;

mod form;
mod lines;

pub use lines::{break_lines, break_lines_plainly, display_width, to_latex_lines};

/// Prints an expression as LaTeX math (without surrounding `$`).
pub fn to_latex(pool: &Pool, id: ExprId) -> String {
    let mut out = String::new();
    Latex::new(pool, id).expr(id, Level::Sum, &mut out);
    out
}

/// A call written as a name: the definition, its arguments, and the name as text.
pub type CallName = (crate::expr::node::DefId, Vec<ExprId>, String);

/// Prints an expression as LaTeX with the calls in `calls` written as their names
/// (`softmax(z)[y]` as `p_y` when `softmax(z)` is named `p`).
pub fn to_latex_calls(pool: &Pool, id: ExprId, calls: &[CallName]) -> String {
    let mut out = String::new();
    let mut printer = Latex::new(pool, id);
    printer.calls = calls;
    printer.expr(id, Level::Sum, &mut out);
    out
}

/// Prints several expressions as LaTeX with some subexpressions written as names (as
/// common subexpression elimination does: `named` maps each such node to its name, as
/// text, `s1`, printed `s_{1}`). One printer serves all of `ids`, so the names they
/// share are gathered once.
pub fn to_latex_named(
    pool: &Pool,
    ids: &[ExprId],
    named: &rustc_hash::FxHashMap<ExprId, String>,
) -> Vec<String> {
    let mut printer = Latex::over(pool, ids);
    printer.named = Some(named);
    ids.iter()
        .map(|&id| {
            let mut out = String::new();
            printer.bare_unnamed(id, &mut out);
            out
        })
        .collect()
}

/// Wraps LaTeX math lines in a complete document that needs only amsmath and amssymb;
/// a derivation longer than a page may break between its rows, and a line of text
/// (a claim's heading, whose long name in `\\texttt` cannot be hyphenated) may be
/// loose rather than run into a narrow column's margin (`\\sloppy`).
pub fn standalone(body: &str) -> String {
    format!(
        "\\documentclass{{article}}\n\\usepackage{{amsmath}}\n\\usepackage{{amssymb}}\n\\allowdisplaybreaks\n\\sloppy\n\\begin{{document}}\n{body}\n\\end{{document}}\n"
    )
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Sum,
    Product,
    Power,
}

struct Latex<'p> {
    pool: &'p Pool,
    scope: RefCell<Vec<Symbol>>,
    renames: RefCell<Vec<(Symbol, String)>>,
    /// The printed names of the tensors the expression indexes: a scalar `x2` next to
    /// an element `x[2]` must not print as the same `x_{2}`.
    tensors: Vec<String>,
    /// How elements are written: subscripts or brackets.
    style: IndexStyle,
    /// Subexpressions printed as names, if any.
    named: Option<&'p rustc_hash::FxHashMap<ExprId, String>>,
    /// Calls written as a name (`softmax(z)` as `p`, so `softmax(z)[y]` is `p_y`): the
    /// definition, the arguments and the name as text.
    calls: &'p [CallName],
    /// While an anonymous definition's form prints, the LaTeX of the call's argument
    /// for each of its parameters, innermost call last.
    params: RefCell<Vec<(Symbol, String)>>,
    /// Alongside `params`, the LaTeX of each axis length of a tensor parameter's
    /// argument, so that `len(%p0, 1)` in a form prints in the caller's names.
    param_lens: RefCell<Vec<(Symbol, u32, String)>>,
}

/// Greek letters, by character and by name (`α` and `alpha` are both `\alpha`). Capitals
/// that look like Latin letters are upright Latin letters.
const GREEK: [(char, &str, &str); 41] = [
    ('α', "alpha", "\\alpha"),
    ('β', "beta", "\\beta"),
    ('γ', "gamma", "\\gamma"),
    ('δ', "delta", "\\delta"),
    ('ε', "epsilon", "\\varepsilon"),
    ('ϵ', "", "\\epsilon"),
    ('ζ', "zeta", "\\zeta"),
    ('η', "eta", "\\eta"),
    ('θ', "theta", "\\theta"),
    ('ϑ', "", "\\vartheta"),
    ('ι', "iota", "\\iota"),
    ('κ', "kappa", "\\kappa"),
    ('λ', "lambda", "\\lambda"),
    ('μ', "mu", "\\mu"),
    ('ν', "nu", "\\nu"),
    ('ξ', "xi", "\\xi"),
    ('ο', "omicron", "o"),
    ('π', "", "\\pi"),
    ('ρ', "rho", "\\rho"),
    ('σ', "sigma", "\\sigma"),
    ('ς', "", "\\varsigma"),
    ('τ', "tau", "\\tau"),
    ('υ', "upsilon", "\\upsilon"),
    ('φ', "phi", "\\varphi"),
    ('ϕ', "", "\\phi"),
    ('χ', "chi", "\\chi"),
    ('ψ', "psi", "\\psi"),
    ('ω', "omega", "\\omega"),
    ('Γ', "Gamma", "\\Gamma"),
    ('Δ', "Delta", "\\Delta"),
    ('Θ', "Theta", "\\Theta"),
    ('Λ', "Lambda", "\\Lambda"),
    ('Ξ', "Xi", "\\Xi"),
    ('Π', "Pi", "\\Pi"),
    ('Σ', "Sigma", "\\Sigma"),
    ('Υ', "Upsilon", "\\Upsilon"),
    ('Φ', "Phi", "\\Phi"),
    ('Ψ', "Psi", "\\Psi"),
    ('Ω', "Omega", "\\Omega"),
    ('Α', "", "\\mathrm{A}"),
    ('Β', "", "\\mathrm{B}"),
];

/// Greek capitals that are Latin letters in shape, set upright.
const LATIN_LOOKING: [(char, char); 12] = [
    ('Ε', 'E'),
    ('Ζ', 'Z'),
    ('Η', 'H'),
    ('Ι', 'I'),
    ('Κ', 'K'),
    ('Μ', 'M'),
    ('Ν', 'N'),
    ('Ο', 'O'),
    ('Ρ', 'P'),
    ('Τ', 'T'),
    ('Χ', 'X'),
    ('Υ', 'Y'),
];

/// One character as LaTeX math: ASCII as it is, Greek as its command, anything else
/// as its code point, which every engine can set.
fn character(c: char) -> String {
    if c.is_ascii_alphanumeric() {
        return c.to_string();
    }
    if c == '_' {
        return "\\_".to_string();
    }
    if let Some(g) = GREEK.iter().find(|g| g.0 == c) {
        return g.2.to_string();
    }
    if let Some(l) = LATIN_LOOKING.iter().find(|l| l.0 == c) {
        return format!("\\mathrm{{{}}}", l.1);
    }
    format!("\\mathrm{{U{{+}}{:04X}}}", c as u32)
}

/// A name without its subscript: one character, a Greek letter's name (`alpha`), or a
/// longer name set upright.
fn base_name(text: &str) -> String {
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return character(c);
    }
    if let Some(g) = GREEK.iter().find(|g| !g.1.is_empty() && g.1 == text) {
        return g.2.to_string();
    }
    // A command inside \mathrm needs a space before a letter that follows it.
    let mut inner = String::new();
    let mut after_command = false;
    for c in text.chars() {
        let piece = character(c);
        if after_command && piece.starts_with(|p: char| p.is_ascii_alphabetic()) {
            inner.push(' ');
        }
        after_command =
            piece.starts_with('\\') && piece.ends_with(|p: char| p.is_ascii_alphabetic());
        inner.push_str(&piece);
    }
    format!("\\mathrm{{{inner}}}")
}

/// A name as LaTeX: Greek letters by character or by name, single letters as they are,
/// a name with a numeric or underscored suffix as a subscript (`W2` and `W_2` are `W_{2}`,
/// `x_out` is `x_{\mathrm{out}}`), longer names upright.
pub fn name(text: &str) -> String {
    let (base, suffix) = match text.split_once('_') {
        Some((b, s)) if !b.is_empty() && !s.is_empty() => (b, Some(s)),
        _ => {
            let digits = text.len() - text.trim_end_matches(|c: char| c.is_ascii_digit()).len();
            if digits > 0 && digits < text.len() {
                let (b, s) = text.split_at(text.len() - digits);
                (b, Some(s))
            } else {
                (text, None)
            }
        }
    };
    let base_tex = base_name(base);
    match suffix {
        None => base_tex,
        Some(s) if s.chars().all(|c| c.is_ascii_digit()) => format!("{base_tex}{}", sub(s)),
        Some(s) => format!("{base_tex}{}", sub(&base_name(s))),
    }
}

/// A subscript: `_i` for one letter or digit, `_{ik}` otherwise, as people write them.
fn sub(s: &str) -> String {
    script('_', s)
}

/// A superscript, braced only when it is more than one letter or digit.
fn sup(s: &str) -> String {
    script('^', s)
}

fn script(mark: char, s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphanumeric() => format!("{mark}{c}"),
        _ => format!("{mark}{{{s}}}"),
    }
}

/// Whether LaTeX math is taller than a line of text (a fraction, a big operator, a
/// root, a bracket that grows), so that brackets around it must grow too; around
/// anything else, plain `(` and `)` read better than `\left(` and `\right)`.
fn tall(tex: &str) -> bool {
    [
        "\\frac",
        "\\sum",
        "\\prod",
        "\\sqrt",
        "\\left",
        "\\max_",
        "\\min_",
        "\\operatorname*",
    ]
    .iter()
    .any(|t| tex.contains(t))
}

/// `inner` in round brackets, grown to its height when it is tall.
fn parens(inner: &str, out: &mut String) {
    if tall(inner) {
        out.push_str("\\left(");
        out.push_str(inner);
        out.push_str("\\right)");
    } else {
        out.push('(');
        out.push_str(inner);
        out.push(')');
    }
}

fn rational(r: &BigRational) -> String {
    if r.is_integer() {
        r.numer().to_string()
    } else {
        let sign = if r.is_negative() { "-" } else { "" };
        format!("{sign}\\frac{{{}}}{{{}}}", r.numer().abs(), r.denom())
    }
}

impl<'p> Latex<'p> {
    /// Whether a number prints as a decimal (see [`crate::print::number`]).
    fn decimal(&self, r: &BigRational) -> bool {
        matches!(
            crate::print::number::form(self.pool, r),
            crate::print::number::NumberForm::Decimal(_)
        )
    }

    /// A number as LaTeX: a decimal as written (`0.044715`, `10^{-3}`), else an
    /// integer or `\frac{n}{d}`, signed.
    fn number(&self, r: &BigRational) -> String {
        match crate::print::number::form(self.pool, r) {
            crate::print::number::NumberForm::Decimal(text) => {
                let sign = if r.is_negative() { "-" } else { "" };
                format!("{sign}{}", crate::print::number::decimal_latex(&text))
            }
            _ => rational(r),
        }
    }

    /// The name a call of `def` with `args` is written as, if any.
    fn call_name(&self, def: crate::expr::node::DefId, args: &[ExprId]) -> Option<&str> {
        self.calls
            .iter()
            .find(|(d, a, _)| *d == def && a.as_slice() == args)
            .map(|(_, _, n)| n.as_str())
    }

    /// A printer for `id`, whose free names bound indices must not take.
    fn new(pool: &'p Pool, id: ExprId) -> Latex<'p> {
        Latex::over(pool, &[id])
    }

    /// A printer for several expressions at once, none of whose free names a bound
    /// index may take.
    fn over(pool: &'p Pool, ids: &[ExprId]) -> Latex<'p> {
        let mut tensors = Vec::new();
        let mut seen = rustc_hash::FxHashSet::default();
        // Only an expression with elements in it has tensors to keep apart from scalars.
        let mut todo = if ids.iter().all(|&id| pool.features(id).is_plain()) {
            Vec::new()
        } else {
            ids.to_vec()
        };
        while let Some(x) = todo.pop() {
            if !seen.insert(x) {
                continue;
            }
            let n = pool.node(x);
            if let Node::Elem(t, _) = n {
                let printed = name(pool.name(*t));
                if !tensors.contains(&printed) {
                    tensors.push(printed);
                }
            }
            todo.extend(crate::expr::node::children(n));
        }
        // The free names are the scope a bound index must not take, and only a sum binds
        // one; gathering them for a sum of many terms with no sum inside costs a tenth
        // of the time to print it.
        let mut scope: Vec<Symbol> = Vec::new();
        let mut seen = rustc_hash::FxHashSet::default();
        let binds = ids.iter().any(|&id| pool.features(id).has_sum());
        for &id in ids.iter().filter(|_| binds) {
            for &s in pool.free_symbols(id).iter() {
                if seen.insert(s) {
                    scope.push(s);
                }
            }
        }
        Latex {
            pool,
            scope: RefCell::new(scope),
            renames: RefCell::new(Vec::new()),
            tensors,
            style: pool.index_style(),
            named: None,
            calls: &[],
            params: RefCell::new(Vec::new()),
            param_lens: RefCell::new(Vec::new()),
        }
    }

    /// A scalar's name; set upright whole (`\mathrm{x2}`) when its subscripted form
    /// would read as an element of a tensor the expression also indexes.
    fn scalar_name(&self, s: Symbol) -> String {
        if let Some(tex) = self.pool.notation(s) {
            return tex.to_string();
        }
        let text = self.pool.name(s);
        let printed = name(text);
        // With brackets, `x_{2}` and the element `x[2]` differ already.
        let clash = self.style == IndexStyle::Subscript;
        match printed.split_once('_') {
            Some((base, _)) if clash && self.tensors.iter().any(|t| t == base) => {
                format!("\\mathrm{{{}}}", text.replace('_', "\\_"))
            }
            _ => printed,
        }
    }

    /// A reduction: `\max_{j} \left(z_{j} - c\right)` over a vector written by its
    /// element, `\max\left(z\right)` over a tensor named whole.
    fn reduction(&self, def: crate::expr::node::DefId, args: &[ExprId], out: &mut String) {
        use crate::expr::definition::Reduce;
        out.push_str(match self.pool.reduction_of(def) {
            Some(Reduce::Max) | None => "\\max",
            Some(Reduce::Min) => "\\min",
            Some(Reduce::ArgMax) => "\\operatorname*{arg\\,max}",
            Some(Reduce::ArgMin) => "\\operatorname*{arg\\,min}",
        });
        let by_element = args.first().is_some_and(|&a| match self.node(a) {
            Node::Call { def, indices, .. } => {
                indices.is_empty()
                    && matches!(
                        self.pool.definition(*def).form,
                        Some(crate::expr::form::Form::Indexed(_))
                    )
            }
            _ => false,
        });
        match args.first() {
            Some(&a) if by_element => self.expr(a, Level::Power, out),
            _ => self.args(args, out),
        }
    }

    fn binders(&self) -> BinderNames<'_> {
        BinderNames {
            scope: &self.scope,
            renames: &self.renames,
        }
    }

    fn node(&self, id: ExprId) -> &Node {
        self.pool.node(id)
    }

    /// Whether the node prints as a binding's name.
    fn is_named(&self, id: ExprId) -> bool {
        self.named.is_some_and(|m| m.contains_key(&id))
    }

    fn level(&self, id: ExprId) -> Level {
        if self.is_named(id) {
            return Level::Power;
        }
        match self.node(id) {
            Node::Add(_) => Level::Sum,
            Node::Mul(_) => Level::Product,
            Node::Num(r) if r.is_negative() => Level::Product,
            Node::Num(r) if !r.is_integer() && !self.decimal(r) => Level::Product,
            Node::Pow(_, e) if self.pool.as_num(*e).is_some_and(|r| r.is_negative()) => {
                Level::Product
            }
            _ => Level::Power,
        }
    }

    fn expr(&self, id: ExprId, min: Level, out: &mut String) {
        if let Some(bound) = self.named.and_then(|m| m.get(&id)) {
            out.push_str(&name(bound));
            return;
        }
        if self.level(id) < min {
            let mut inner = String::new();
            self.bare(id, &mut inner);
            parens(&inner, out);
        } else {
            self.bare(id, out);
        }
    }

    /// An element's indices after its tensor: a subscript (`_{ik}`) or in brackets
    /// (`[i, k]`), as the style says.
    fn element_indices(&self, idx: &[ExprId]) -> String {
        match self.style {
            IndexStyle::Subscript => sub(&self.indices(idx)),
            IndexStyle::Brackets => {
                let parts: Vec<String> = idx
                    .iter()
                    .map(|&i| {
                        let mut s = String::new();
                        self.bare(i, &mut s);
                        s
                    })
                    .collect();
                format!("[{}]", parts.join(", "))
            }
        }
    }

    /// The head of an element, `head` followed by [`Latex::element_indices`]: braced
    /// when it has a script of its own (`{W_{1}}_{ik}`, `{\hat{x}}_{i}`) and the
    /// indices are a subscript, which would otherwise be a second one; brackets follow
    /// any head as it is.
    fn element_head(&self, head: &str, out: &mut String) {
        if self.style == IndexStyle::Subscript && head.contains(['_', '^']) {
            out.push_str(&format!("{{{head}}}"));
        } else {
            out.push_str(head);
        }
    }

    fn indices(&self, idx: &[ExprId]) -> String {
        let parts: Vec<String> = idx
            .iter()
            .map(|&i| {
                let mut s = String::new();
                self.bare(i, &mut s);
                s
            })
            .collect();
        if parts.iter().all(|p| p.chars().count() == 1) {
            parts.concat()
        } else {
            parts.join(",")
        }
    }

    fn args(&self, args: &[ExprId], out: &mut String) {
        let mut inner = String::new();
        for (k, &a) in args.iter().enumerate() {
            if k > 0 {
                inner.push_str(", ");
            }
            self.expr(a, Level::Sum, &mut inner);
        }
        parens(&inner, out);
    }

    /// The LaTeX of a name: its `notation` when it has one, else as [`name`] sets it.
    fn sym_tex(&self, s: Symbol) -> String {
        match self.pool.notation(s) {
            Some(tex) => tex.to_string(),
            None => name(self.pool.name(s)),
        }
    }

    fn bare(&self, id: ExprId, out: &mut String) {
        if let Some(bound) = self.named.and_then(|m| m.get(&id)) {
            out.push_str(&name(bound));
            return;
        }
        self.bare_unnamed(id, out);
    }

    /// The node itself, even when it has a name: the body of its own binding.
    fn bare_unnamed(&self, id: ExprId, out: &mut String) {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.bare_unnamed(id, out));
        }
        match self.node(id) {
            Node::Num(r) => out.push_str(&self.number(r)),
            Node::Const(Constant::Pi) => out.push_str("\\pi"),
            Node::Const(Constant::E) => out.push('e'),
            Node::Index(s) | Node::Sym(s) | Node::Tensor(s) if self.param_tex(*s).is_some() => {
                out.push_str(&self.param_tex(*s).unwrap_or_default());
            }
            Node::Elem(s, idx) if self.param_tex(*s).is_some() => {
                let head = self.param_tex(*s).unwrap_or_default();
                if self.style == IndexStyle::Subscript {
                    out.push_str(&format!("{{{head}}}_{{{}}}", self.indices(idx)));
                } else {
                    out.push_str(&head);
                    out.push_str(&self.element_indices(idx));
                }
            }
            Node::Call { def, args, indices } if self.pool.definition(*def).form.is_some() => {
                self.anonymous_call(*def, args, indices, out);
            }
            Node::Index(s) => out.push_str(&name(&self.binders().index_name(self.pool, *s))),
            Node::Sym(s) => out.push_str(&self.scalar_name(*s)),
            Node::Tensor(s) => out.push_str(&self.sym_tex(*s)),
            Node::Elem(s, idx) => {
                self.element_head(&self.sym_tex(*s), out);
                out.push_str(&self.element_indices(idx));
            }
            Node::Len(s, axis) if self.param_len(*s, *axis).is_some() => {
                out.push_str(&self.param_len(*s, *axis).unwrap_or_default());
            }
            Node::Len(_, _) if self.pool.length_name(id).is_some() => {
                let n = self.pool.length_name(id).map(|n| self.sym_tex(n));
                out.push_str(&n.unwrap_or_default());
            }
            Node::Len(s, axis) => {
                out.push_str("\\operatorname{len}(");
                out.push_str(&self.sym_tex(*s));
                if *axis != 0 {
                    out.push_str(&format!(", {axis}"));
                }
                out.push(')');
            }
            Node::Add(terms) => self.sum(terms, out),
            Node::Mul(_) => self.product(id, false, out),
            Node::Pow(b, e) => match self.pool.as_num(*e) {
                Some(r) if r.is_negative() => self.product(id, false, out),
                Some(r) if r.numer().is_one() && r.denom() == &2.into() => {
                    out.push_str("\\sqrt{");
                    self.expr(*b, Level::Sum, out);
                    out.push('}');
                }
                _ => {
                    self.power_base(*b, out);
                    let mut exponent = String::new();
                    self.expr(*e, Level::Sum, &mut exponent);
                    out.push_str(&sup(&exponent));
                }
            },
            Node::Func(f, a) => self.function(*f, *a, out),
            Node::Delta(a, b) => {
                out.push_str("\\delta");
                out.push_str(&sub(&self.indices(&[*a, *b])));
            }
            Node::Sum { .. } => {
                let (scope_len, renames_len) =
                    (self.scope.borrow().len(), self.renames.borrow().len());
                let mut cur = id;
                while let Node::Sum { index, body, range } = self.node(cur) {
                    let n = name(&self.binders().name(self.pool, *index, *body));
                    out.push_str(&format!("\\sum{}", self.bounds(&n, *range)));
                    out.push(' ');
                    cur = *body;
                }
                self.expr(cur, Level::Product, out);
                self.scope.borrow_mut().truncate(scope_len);
                self.renames.borrow_mut().truncate(renames_len);
            }
            Node::Call { def, args, .. } if self.pool.reduction_of(*def).is_some() => {
                self.reduction(*def, args, out);
            }
            Node::Call { def, args, indices } if self.call_name(*def, args).is_some() => {
                let n = name(self.call_name(*def, args).unwrap_or_default());
                if indices.is_empty() {
                    out.push_str(&n);
                } else {
                    self.element_head(&n, out);
                    out.push_str(&self.element_indices(indices));
                }
            }
            Node::Call { def, args, indices } => {
                let d = self.pool.definition(*def);
                let n = self.pool.name(d.name);
                // A function is an operator, set upright by `\operatorname` however
                // long its name; a named value (`let h[i] = ...`, no parameters) is a
                // quantity, named as a variable would be.
                let head = match self.pool.notation(d.name) {
                    Some(tex) => tex.to_string(),
                    None if d.params.is_empty() || n.chars().count() == 1 => name(n),
                    None => format!("\\operatorname{{{}}}", n.replace('_', "\\_")),
                };
                let call = !d.params.is_empty();
                if !call && !indices.is_empty() {
                    self.element_head(&head, out);
                } else {
                    out.push_str(&head);
                }
                if call {
                    self.args(args, out);
                }
                if !indices.is_empty() {
                    out.push_str(&self.element_indices(indices));
                }
            }
            Node::Diff { expr, var, order } => {
                let start = out.len();
                let mut v = String::new();
                self.bare(*var, &mut v);
                if *order == 1 {
                    out.push_str(&format!("\\frac{{\\partial}}{{\\partial {v}}}"));
                } else {
                    out.push_str(&format!(
                        "\\frac{{\\partial^{{{order}}}}}{{\\partial {v}^{{{order}}}}}"
                    ));
                }
                let mut body = String::new();
                self.expr(*expr, Level::Sum, &mut body);
                // The derivative of a name reads `\\frac{\\partial f}{\\partial x}`, as
                // in print; of anything longer, the operator applied to it.
                let atomic = match self.node(*expr) {
                    Node::Sym(_) | Node::Elem(..) | Node::Tensor(_) => true,
                    Node::Call { def, args, .. } => {
                        self.pool.definition(*def).params.is_empty()
                            || self.call_name(*def, args).is_some()
                    }
                    _ => false,
                };
                if atomic {
                    let head = out.split_off(start);
                    out.push_str(&head.replacen("\\partial}", &format!("\\partial {body}}}"), 1));
                } else {
                    parens(&body, out);
                }
            }
        }
    }

    /// A sum's bounds after `\sum`: `_{j=0}^{n-1}` when the index's range has a
    /// name or is a number, else `_j`.
    fn bounds(&self, index: &str, range: ExprId) -> String {
        let upper = match self.node(range) {
            Node::Num(r) if r.is_integer() => Some((r - BigRational::one()).to_string()),
            Node::Len(..) => self.pool.length_name(range).map(|n| {
                let n = self.sym_tex(n);
                format!("{n}-1")
            }),
            Node::Sym(_) => {
                let mut n = String::new();
                self.bare(range, &mut n);
                Some(format!("{n}-1"))
            }
            _ => None,
        };
        match upper {
            Some(u) => format!("_{{{index}=0}}{}", sup(&u)),
            None => sub(index),
        }
    }

    /// The base of a power: parenthesized unless it is a plain name, number, element or
    /// call, since a base with its own superscript (`x^{a}`, `e^{x}`) would make a double
    /// superscript and a sum or product would leave the power's reach unclear.
    fn power_base(&self, b: ExprId, out: &mut String) {
        let plain = self.is_named(b)
            || match self.node(b) {
                Node::Num(r) => r.is_integer() && !r.is_negative(),
                Node::Const(_)
                | Node::Sym(_)
                | Node::Index(_)
                | Node::Tensor(_)
                | Node::Elem(_, _)
                | Node::Len(_, _)
                | Node::Delta(_, _)
                | Node::Call { .. } => true,
                Node::Func(Func::Exp, a) => crate::expr::size::tree_size(self.pool, *a) > 4,
                Node::Func(Func::Abs, _) => true,
                Node::Func(_, _) => true,
                Node::Pow(_, e) => self
                    .pool
                    .as_num(*e)
                    .is_some_and(|r| r.numer().is_one() && r.denom() == &2.into()),
                Node::Add(_) | Node::Mul(_) | Node::Sum { .. } | Node::Diff { .. } => false,
            };
        if plain {
            self.bare(b, out);
        } else {
            let mut inner = String::new();
            self.bare(b, &mut inner);
            parens(&inner, out);
        }
    }

    fn function(&self, f: Func, a: ExprId, out: &mut String) {
        let named = |cmd: &str, out: &mut String| {
            out.push_str(cmd);
            let mut inner = String::new();
            self.expr(a, Level::Sum, &mut inner);
            parens(&inner, out);
        };
        match f {
            Func::Exp => {
                // e^{x} for short exponents, \exp(...) for long ones.
                if crate::expr::size::tree_size_at_most(self.pool, a, 4) {
                    let mut exponent = String::new();
                    self.expr(a, Level::Sum, &mut exponent);
                    out.push('e');
                    out.push_str(&sup(&exponent));
                } else {
                    named("\\exp", out);
                }
            }
            Func::Ln => named("\\ln", out),
            Func::Sin => named("\\sin", out),
            Func::Cos => named("\\cos", out),
            Func::Tan => named("\\tan", out),
            Func::Sinh => named("\\sinh", out),
            Func::Cosh => named("\\cosh", out),
            Func::Tanh => named("\\tanh", out),
            Func::Asin => named("\\arcsin", out),
            Func::Acos => named("\\arccos", out),
            Func::Atan => named("\\arctan", out),
            Func::Erf => named("\\operatorname{erf}", out),
            Func::Sigmoid => named("\\sigma", out),
            Func::Softplus => named("\\operatorname{softplus}", out),
            Func::Abs => {
                let mut inner = String::new();
                self.expr(a, Level::Sum, &mut inner);
                if tall(&inner) {
                    out.push_str(&format!("\\left|{inner}\\right|"));
                } else {
                    out.push_str(&format!("\\lvert {inner}\\rvert"));
                }
            }
        }
    }

    /// A sum, as [`Latex::sum_pieces`] joined by spaces, printed straight into `out`.
    fn sum(&self, terms: &[ExprId], out: &mut String) {
        let neg = |t: ExprId| self.pool.coefficient(t).is_negative();
        let first = terms.iter().position(|&t| !neg(t)).unwrap_or(0);
        self.term(terms[first], false, out);
        for (k, &t) in terms.iter().enumerate() {
            if k != first {
                out.push_str(if neg(t) { " - " } else { " + " });
                self.term(t, neg(t), out);
            }
        }
    }

    fn term(&self, id: ExprId, negate: bool, out: &mut String) {
        if self.is_named(id) {
            return self.expr(id, Level::Product, out);
        }
        match self.node(id) {
            Node::Num(r) => {
                let r = if negate { -r.clone() } else { r.clone() };
                out.push_str(&self.number(&r));
            }
            Node::Mul(_) => self.product(id, negate, out),
            _ => self.expr(id, Level::Product, out),
        }
    }

    /// A product as `c \frac{num}{den}`, or factors side by side.
    ///
    /// Each factor is printed once, straight into `out`: where a product holds a
    /// product (in an exponent, a function's argument), copying each factor's text into
    /// a list and the list into `out` would copy a deep expression once per level.
    fn product(&self, id: ExprId, negate: bool, out: &mut String) {
        let factors: &[ExprId] = match self.node(id) {
            Node::Mul(fs) => fs,
            _ => std::slice::from_ref(&id),
        };
        // Where each factor goes, before anything is printed.
        let mut coeff = BigRational::one();
        let mut numer: Vec<ExprId> = Vec::new();
        let mut denom: Vec<(ExprId, BigRational)> = Vec::new();
        for &f in factors {
            match self.node(f) {
                Node::Num(r) => coeff = r.clone(),
                Node::Pow(b, e) if self.pool.as_num(*e).is_some_and(|r| r.is_negative()) => {
                    denom.push((*b, -self.pool.as_num(*e).cloned().unwrap_or_default()));
                }
                _ => numer.push(f),
            }
        }
        // Derivatives go last: `\frac{\partial}{\partial x}(f) (a + b)` would seem to
        // differentiate the product. A sum or a derivative that still has a factor after
        // it is bracketed, or it would seem to take that factor into its body.
        let derivative = |f: &ExprId| matches!(self.node(*f), Node::Diff { .. });
        let (mut numer, derivatives): (Vec<ExprId>, Vec<ExprId>) =
            numer.into_iter().partition(|f| !derivative(f));
        // Over a denominator, derivatives follow the fraction, as written by hand:
        // `-\frac{1}{p_y} \frac{\partial p_y}{\partial z_i}`, not a fraction with a
        // fraction on top.
        let over = !coeff.denom().is_one() || !denom.is_empty();
        let trailing = if over && !self.decimal(&coeff) {
            derivatives
        } else {
            numer.extend(derivatives);
            Vec::new()
        };
        if negate {
            coeff = -coeff;
        }
        if coeff.is_negative() {
            out.push('-');
            coeff = -coeff;
        }
        // A coefficient written as a decimal leads the product as written, outside
        // any fraction.
        let mut decimal = None;
        if let crate::print::number::NumberForm::Decimal(text) =
            crate::print::number::form(self.pool, &coeff)
        {
            decimal = Some(crate::print::number::decimal_latex(&text));
            coeff = BigRational::one();
        }
        let coeff_numer = decimal.is_none()
            && (!coeff.numer().is_one() || (numer.is_empty() && denom.is_empty()));
        let coeff_denom = !coeff.denom().is_one();
        let fraction = coeff_denom || !denom.is_empty();
        // The base of a lone reciprocal is unbracketed: as a fraction's whole
        // denominator, `1 + y` needs no parentheses.
        let lone = !coeff_denom && denom.len() == 1 && denom[0].1.is_one();
        if fraction {
            out.push_str("\\frac{");
        }
        let mut row = Row::default();
        if let Some(d) = &decimal {
            row.piece(out, |o| o.push_str(d));
        }
        if coeff_numer {
            row.piece(out, |o| o.push_str(&coeff.numer().to_string()));
        }
        for (k, &f) in numer.iter().enumerate() {
            let last = k + 1 == numer.len();
            row.piece(out, |o| match self.node(f) {
                Node::Diff { .. } if !last => {
                    o.push_str("\\left[");
                    self.expr(f, Level::Power, o);
                    o.push_str("\\right]");
                }
                Node::Sum { .. } if !last => {
                    let mut inner = String::new();
                    self.expr(f, Level::Power, &mut inner);
                    parens(&inner, o);
                }
                // A fraction's whole numerator needs no brackets: the bar groups it.
                _ if fraction && numer.len() == 1 && !coeff_numer && decimal.is_none() => {
                    self.expr(f, Level::Sum, o)
                }
                _ => self.expr(f, Level::Power, o),
            });
        }
        if !fraction {
            return;
        }
        if row.is_empty() {
            out.push('1');
        }
        out.push_str("}{");
        let mut row = Row::default();
        if coeff_denom {
            row.piece(out, |o| o.push_str(&coeff.denom().to_string()));
        }
        for (b, r) in &denom {
            row.piece(out, |o| {
                if lone {
                    self.bare(*b, o);
                } else if r.is_one() {
                    self.expr(*b, Level::Power, o);
                } else if r.numer().is_one() && r.denom() == &2.into() {
                    o.push_str("\\sqrt{");
                    self.expr(*b, Level::Sum, o);
                    o.push('}');
                } else {
                    self.power_base(*b, o);
                    o.push_str(&sup(&rational(r)));
                }
            });
        }
        out.push('}');
        for (k, &f) in trailing.iter().enumerate() {
            out.push(' ');
            if k + 1 < trailing.len() {
                out.push_str("\\left[");
                self.expr(f, Level::Power, out);
                out.push_str("\\right]");
            } else {
                self.expr(f, Level::Power, out);
            }
        }
    }
}

/// Factors written side by side into a text, each printed in place. A number after
/// another factor needs a `\cdot` (`2 \cdot 3^{x}`, `\sqrt{2} \cdot 3^{x}`), and so
/// does a bracket after a lone `\sigma`, which would otherwise read as the logistic
/// function applied to it; which one it is shows only once the factor is printed, so
/// the space written before it becomes a `\cdot` then (moving that one factor).
#[derive(Default)]
struct Row {
    /// Where the previous factor is in the text.
    previous: Option<(usize, usize)>,
}

impl Row {
    fn is_empty(&self) -> bool {
        self.previous.is_none()
    }

    fn piece(&mut self, out: &mut String, write: impl FnOnce(&mut String)) {
        let gap = out.len();
        if self.previous.is_some() {
            out.push(' ');
        }
        let mut start = out.len();
        write(out);
        if let Some((a, b)) = self.previous {
            let next = &out[start..];
            let next_digit = next.starts_with(|c: char| c.is_ascii_digit());
            let sigma_call =
                &out[a..b] == "\\sigma" && (next.starts_with("\\left(") || next.starts_with('('));
            if next_digit || sigma_call {
                out.replace_range(gap..gap + 1, " \\cdot ");
                start += " \\cdot ".len() - 1;
            }
        }
        self.previous = Some((start, out.len()));
    }
}
