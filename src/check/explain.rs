//! Naming the mistake in a program's gradient, by fitting it against the parts of the
//! correct one.
//!
//! Three explanations are tried in turn:
//! - a **constant ratio**: `got = c * want` everywhere, with `c` matched to the named
//!   lengths of the data and small constants (`got/want = 4 = N: missing 1/N`); a
//!   match must hold at every component within its bound, not just on average;
//! - **additive terms**: the correct gradient multiplied out into its terms, and the
//!   program's gradient fitted as a combination of them by least squares; each
//!   coefficient is rounded to 0 (the term is absent), -1 (its sign is flipped), 2 or
//!   1/2, and the combination must again hold at every component. The terms that
//!   differ are printed in the spec's notation, and their sum, the residual
//!   `want - got`, as one formula;
//! - otherwise the report says that no simple explanation fits.
//!
//! With several dumps (another batch size), a ratio's explanation is kept only when
//! it holds in each: `N = 2` and the constant `2` are told apart that way.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`, `trace`, `simplify`, `calculus`.

use crate::check::values::{Component, Components, Dump, DumpReport, ParamCheck};
use crate::diag::error::Result;
use crate::expr::node::{ExprId, Node, Symbol};
use crate::lower::workspace::Workspace;
use crate::numeric::tape::{Elementwise, Tape};
use crate::simplify::simplifier::Simplifier;

/// Past this many terms, the multiplied-out gradient is not fitted term by term.
pub const MAX_TERMS: usize = 48;

/// A gradient whose formula is larger than this (as a tree) is not multiplied out
/// whole: its terms are sought through the intermediates instead.
const MAX_EXPANDED: u64 = 400;

/// The named lengths of the spec (`N` in `tensor X[N, D]`), as formulas.
#[derive(Clone, Debug, Default)]
pub struct Lengths {
    named: Vec<(String, ExprId)>,
}

/// The named lengths' values in one dump.
#[derive(Clone, Debug, Default)]
pub struct AtLengths {
    values: Vec<(String, usize)>,
}

impl Lengths {
    /// Every length name a `tensor` declaration gave.
    pub fn named(ws: &Workspace) -> Lengths {
        let mut named = Vec::new();
        for d in ws.definitions_in_order() {
            let def = ws.pool.definition(d);
            if def.params.is_empty()
                && def.indices.is_empty()
                && matches!(ws.pool.node(def.body), Node::Len(..))
            {
                named.push((ws.pool.name(def.name).to_string(), def.body));
            }
        }
        Lengths { named }
    }

    /// Their values at a point (those it gives a tensor for).
    pub fn values(&self, ws: &Workspace, shape_of: impl Fn(Symbol) -> Vec<usize>) -> AtLengths {
        let mut values = Vec::new();
        for (name, len) in &self.named {
            if let Node::Len(s, axis) = ws.pool.node(*len)
                && let Some(&n) = shape_of(*s).get(*axis as usize)
            {
                values.push((name.clone(), n));
            }
        }
        AtLengths { values }
    }
}

impl AtLengths {
    /// The lengths, for the report.
    pub fn shown(&self) -> Vec<(String, usize)> {
        self.values.clone()
    }

    /// Every factor a ratio is matched with: each length of at least 2, the small
    /// constants, and the products of two lengths; each with its inverse.
    fn factors(&self) -> Vec<Factor> {
        let mut base: Vec<(String, f64, bool)> = Vec::new();
        for (name, n) in &self.values {
            if *n >= 2 && !base.iter().any(|b| b.0 == *name) {
                base.push((name.clone(), *n as f64, true));
            }
        }
        let lengths = base.clone();
        for (i, a) in lengths.iter().enumerate() {
            for b in &lengths[i..] {
                base.push((format!("{}*{}", a.0, b.0), a.1 * b.1, true));
            }
        }
        for k in [2.0, 3.0, 4.0, 8.0] {
            base.push((format!("{k}"), k, false));
        }
        let mut out = Vec::new();
        for (text, v, length) in base {
            for sign in [1.0, -1.0] {
                for inverse in [false, true] {
                    out.push(Factor {
                        text: text.clone(),
                        value: if inverse { sign / v } else { sign * v },
                        inverse,
                        negative: sign < 0.0,
                        length,
                    });
                }
            }
        }
        out.push(Factor {
            text: "1".into(),
            value: -1.0,
            inverse: false,
            negative: true,
            length: false,
        });
        out
    }
}

/// A factor a ratio matches: `±text` or `±1/text`.
#[derive(Clone, Debug, PartialEq)]
pub struct Factor {
    /// The length's name or the constant.
    pub text: String,
    /// Its signed value (inverted where `inverse`).
    pub value: f64,
    /// Whether the ratio is one over it.
    pub inverse: bool,
    /// Whether the ratio is negative.
    pub negative: bool,
    /// Whether it is made of lengths of the data (else a constant).
    pub length: bool,
}

impl Factor {
    /// The ratio as a formula: `N`, `-1/N`, `2`.
    pub fn formula(&self) -> String {
        let sign = if self.negative { "-" } else { "" };
        match (self.inverse, self.text.as_str()) {
            (_, "1") => format!("{sign}1"),
            (true, t) if t.contains('*') => format!("{sign}1/({t})"),
            (true, t) => format!("{sign}1/{t}"),
            (false, t) => format!("{sign}{t}"),
        }
    }

    /// What the program got wrong, if its value is this factor times the spec's.
    pub fn meaning(&self) -> String {
        let t = if self.text.contains('*') {
            format!("({})", self.text)
        } else {
            self.text.clone()
        };
        let sign = if self.negative {
            "the sign is flipped"
        } else {
            ""
        };
        let scale = match (self.text.as_str(), self.inverse, self.length) {
            ("1", _, _) => String::new(),
            (_, false, true) => format!("missing 1/{t}"),
            (_, true, true) => format!("an extra 1/{t}"),
            (_, false, false) => format!("a factor {t} too many"),
            (_, true, false) => format!("missing a factor {t}"),
        };
        match (sign.is_empty(), scale.is_empty()) {
            (true, _) => scale,
            (false, true) => sign.to_string(),
            (false, false) => format!("{sign} and {scale}"),
        }
    }
}

/// One additive term whose coefficient in the program's gradient is not 1.
#[derive(Clone, Debug, PartialEq)]
pub struct TermChange {
    /// The term, as the spec's derivative writes it.
    pub term: String,
    /// Its coefficient in the program's gradient: 0 absent, -1 sign flipped, 2, 1/2.
    pub coefficient: f64,
}

/// What a failing gradient (or loss value) got wrong.
#[derive(Clone, Debug, PartialEq)]
pub enum Explanation {
    /// `got = ratio * want` everywhere.
    Ratio {
        /// The fitted ratio.
        ratio: f64,
        /// The factors it matches (several when a length equals a constant).
        matches: Vec<Factor>,
    },
    /// Additive terms of the correct gradient absent, flipped or scaled.
    Terms {
        /// The adjoint the terms are of, described (`the adjoint of A[i, k] (d loss/d
        /// A[i, k])`); `None` for the parameter's own gradient.
        through: Option<String>,
        /// The terms that differ.
        changes: Vec<TermChange>,
        /// `want - got`, as a formula.
        residual: String,
    },
    /// No simple explanation fits.
    Unexplained {
        /// Why, in a sentence.
        note: String,
    },
}

impl Explanation {
    /// The explanation in a line or two.
    pub fn describe(&self) -> String {
        match self {
            Explanation::Ratio { ratio, matches } if ratio.is_nan() => match matches.as_slice() {
                [] => "no one length or constant is the ratio in every dump".to_string(),
                ms => ms
                    .iter()
                    .map(|m| format!("got/want = {} in every dump: {}", m.formula(), m.meaning()))
                    .collect::<Vec<_>>()
                    .join("; or "),
            },
            Explanation::Ratio { ratio, matches } => {
                let r = crate::numeric::value::format_short(*ratio);
                match matches.as_slice() {
                    [] => format!(
                        "got/want = {r} everywhere, which is no length of the data nor a small constant"
                    ),
                    [m] if m.formula() == r => {
                        format!("got/want = {r} everywhere: {}", m.meaning())
                    }
                    [m] => format!(
                        "got/want = {r} = {} everywhere: {}",
                        m.formula(),
                        m.meaning()
                    ),
                    ms => {
                        let alts: Vec<String> = ms
                            .iter()
                            .map(|m| format!("{} ({})", m.formula(), m.meaning()))
                            .collect();
                        format!(
                            "got/want = {r} everywhere, which is {}; a dump at another batch size (a second --values) tells them apart",
                            alts.join(" or ")
                        )
                    }
                }
            }
            Explanation::Terms {
                through,
                changes,
                residual,
            } => {
                let mut parts: Vec<String> = changes
                    .iter()
                    .map(|c| {
                        let how = if c.coefficient == 0.0 {
                            "absent".to_string()
                        } else if c.coefficient == -1.0 {
                            "with its sign flipped".to_string()
                        } else if c.coefficient == 2.0 {
                            "counted twice".to_string()
                        } else {
                            format!(
                                "scaled by {}",
                                crate::numeric::value::format_short(c.coefficient)
                            )
                        };
                        format!("term {} {how}", c.term)
                    })
                    .collect();
                match through {
                    None => {
                        parts.push(format!("want - got = {residual}"));
                        parts.join("; ")
                    }
                    Some(v) => format!(
                        "in {v}: {}; the residual, want - got of that adjoint, is {residual}",
                        parts.join("; ")
                    ),
                }
            }
            Explanation::Unexplained { note } => note.clone(),
        }
    }
}

/// A loss value's ratio to the spec's, matched with the lengths: a sum where the spec
/// has a mean shows as `N`.
pub fn ratio_only(got: f64, want: f64, lengths: &AtLengths) -> Option<Explanation> {
    if want == 0.0 || !got.is_finite() {
        return None;
    }
    let ratio = got / want;
    let matches = simplest(
        lengths
            .factors()
            .into_iter()
            .filter(|f| (ratio / f.value - 1.0).abs() <= 1e-6)
            .collect(),
    );
    Some(Explanation::Ratio { ratio, matches })
}

/// The simplest of the matching factors: a product of two lengths only where no
/// single length or constant matches (`N = 16` is more likely than `C*C = 16`).
fn simplest(matches: Vec<Factor>) -> Vec<Factor> {
    let single: Vec<Factor> = matches
        .iter()
        .filter(|f| !f.text.contains('*'))
        .cloned()
        .collect();
    if single.is_empty() { matches } else { single }
}

/// Whether `got ≈ pred` at every component, within its bound (scaled by `scale`).
fn holds(components: &Components, pred: impl Fn(usize) -> f64, scale: f64) -> bool {
    components.iter().enumerate().all(|(k, c)| {
        if c.kink.is_some() || !c.want.is_finite() {
            return true;
        }
        (c.got - pred(k)).abs() <= c.bound * scale
    })
}

/// Explains a failing parameter's gradient in one dump.
#[allow(clippy::too_many_arguments)]
pub fn explain(
    ws: &mut Workspace,
    loss: ExprId,
    param: Symbol,
    expr: ExprId,
    over: &[Symbol],
    dump: &Dump,
    p: &ParamCheck,
    lengths: &AtLengths,
) -> Result<Explanation> {
    let cs = &p.components;
    let usable = |c: &Component| c.kink.is_none() && c.want.is_finite() && c.got.is_finite();
    let (mut dot, mut norm) = (0.0, 0.0);
    for c in cs.iter().filter(|c| usable(c)) {
        dot += c.got * c.want;
        norm += c.want * c.want;
    }
    if norm > 0.0 {
        let ratio = dot / norm;
        if holds(cs, |k| ratio * cs.get(k).want, 1.0 + ratio.abs()) {
            let matches = simplest(
                lengths
                    .factors()
                    .into_iter()
                    .filter(|f| holds(cs, |k| f.value * cs.get(k).want, 1.0 + f.value.abs()))
                    .collect(),
            );
            return Ok(Explanation::Ratio { ratio, matches });
        }
    }
    if crate::expr::size::tree_size_at_most(&ws.pool, expr, MAX_EXPANDED) {
        let left = ws.pool.budget_left();
        ws.pool.set_budget(Some(
            left.map_or(4 * MAX_EXPANDED as usize * MAX_TERMS, |l| {
                l.min(4 * MAX_EXPANDED as usize * MAX_TERMS)
            }),
        ));
        let found = fit_terms(ws, expr, over, dump, p);
        let exhausted = ws.pool.over_budget();
        ws.pool.set_budget(left);
        if let Some(e) = found?
            && !exhausted
        {
            return Ok(e);
        }
    }
    if let Some(e) = crate::check::through::explain_through(ws, loss, param, over, dump, p)? {
        return Ok(e);
    }
    let bad = cs.iter().filter(|c| !c.passed).count();
    Ok(Explanation::Unexplained {
        note: format!(
            "no simple explanation fits: not a constant ratio, and no term of the correct gradient absent, flipped or doubled ({bad} of {} components beyond their bounds)",
            cs.len()
        ),
    })
}

/// The terms fit: the program's gradient as a combination of the correct one's terms.
fn fit_terms(
    ws: &mut Workspace,
    expr: ExprId,
    over: &[Symbol],
    dump: &Dump,
    p: &ParamCheck,
) -> Result<Option<Explanation>> {
    let defs = ws.definitions_in_order();
    let facts = ws.facts.clone();
    let expanded = Simplifier::new(&mut ws.pool, defs)
        .with_facts(facts)
        .expand(expr, 4 * MAX_TERMS);
    let terms: Vec<ExprId> = match ws.pool.node(expanded) {
        Node::Add(ts) => ts.to_vec(),
        _ => return Ok(None),
    };
    if terms.len() > MAX_TERMS {
        return Ok(None);
    }
    let mut columns = Vec::with_capacity(terms.len());
    for &t in &terms {
        let values = if over.is_empty() {
            let tape = Tape::compile(&mut ws.pool, t)?;
            let inputs = tape.inputs(&ws.pool, dump.point())?;
            vec![tape.eval(&inputs).ok()]
        } else {
            let tape = Elementwise::compile(&mut ws.pool, t, over)?;
            let inputs = tape.inputs(&ws.pool, dump.point())?;
            tape.run::<f64>(&inputs, &p.shape)
        };
        columns.push(
            values
                .into_iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect::<Vec<f64>>(),
        );
    }
    fit(ws, &terms, &columns, p, None)
}

/// Fits the program's gradient as a combination of `columns`, the values of `terms` (or
/// what they carry to the parameter), each coefficient rounded to 0, -1, 2 or 1/2 and
/// the whole checked at every component; the terms whose coefficient is not 1 are the
/// explanation, `through` the intermediate they are terms of.
pub fn fit(
    ws: &mut Workspace,
    terms: &[ExprId],
    columns: &[Vec<f64>],
    p: &ParamCheck,
    through: Option<String>,
) -> Result<Option<Explanation>> {
    let cs = &p.components;
    let rows: Vec<usize> = (0..cs.len())
        .filter(|&k| {
            cs.get(k).kink.is_none()
                && cs.get(k).got.is_finite()
                && columns.iter().all(|col| col[k].is_finite())
        })
        .collect();
    let Some(coefficients) = least_squares(columns, &rows, |k| cs.get(k).got) else {
        return Ok(None);
    };
    let simple = [1.0, 0.0, -1.0, 2.0, 0.5];
    let mut rounded = Vec::with_capacity(coefficients.len());
    for c in coefficients {
        match simple.iter().find(|&&s| (c - s).abs() <= 0.05) {
            Some(&s) => rounded.push(s),
            None => return Ok(None),
        }
    }
    if rounded.iter().all(|&c| c == 1.0) {
        return Ok(None);
    }
    let predicted =
        |k: usize| -> f64 { rounded.iter().zip(columns).map(|(c, col)| c * col[k]).sum() };
    if !rows
        .iter()
        .all(|&k| (cs.get(k).got - predicted(k)).abs() <= 2.0 * cs.get(k).bound)
    {
        return Ok(None);
    }
    let mut changes = Vec::new();
    let mut residual = Vec::new();
    for (&t, &c) in terms.iter().zip(&rounded) {
        if c == 1.0 {
            continue;
        }
        changes.push(TermChange {
            term: ws.print(t),
            coefficient: c,
        });
        let missing = ws.pool.rational((2.0 * (1.0 - c)).round() as i64, 2);
        residual.push(ws.pool.mul(vec![missing, t]));
    }
    let sum = ws.pool.add(residual);
    let defs = ws.definitions_in_order();
    let facts = ws.facts.clone();
    let simplified = Simplifier::new(&mut ws.pool, defs)
        .with_facts(facts)
        .simplify(sum);
    Ok(Some(Explanation::Terms {
        through,
        changes,
        residual: ws.print(simplified),
    }))
}

/// The least-squares coefficients of `target ≈ sum_j c_j * columns[j]` over `rows`,
/// by the normal equations on columns scaled to unit norm. A column that the others
/// already span (its pivot vanishes) keeps the coefficient 1, as the correct gradient
/// has it, and the others are fitted to what is left.
fn least_squares(
    columns: &[Vec<f64>],
    rows: &[usize],
    target: impl Fn(usize) -> f64,
) -> Option<Vec<f64>> {
    let m = columns.len();
    if m == 0 || rows.len() < m {
        return None;
    }
    let norms: Vec<f64> = columns
        .iter()
        .map(|col| rows.iter().map(|&k| col[k] * col[k]).sum::<f64>().sqrt())
        .collect();
    let mut kept: Vec<usize> = (0..m).filter(|&j| norms[j] > 0.0).collect();
    loop {
        let fixed: Vec<usize> = (0..m).filter(|j| !kept.contains(j)).collect();
        let rest = |k: usize| target(k) - fixed.iter().map(|&j| columns[j][k]).sum::<f64>();
        match solve(columns, &norms, &kept, rows, rest) {
            Ok(c) => {
                let mut out = vec![1.0; m];
                for (&j, v) in kept.iter().zip(c) {
                    out[j] = v;
                }
                return Some(out);
            }
            Err(dependent) => {
                kept.retain(|&j| j != dependent);
            }
        }
    }
}

/// Solves the normal equations for the columns `kept`; `Err(j)` names a column whose
/// pivot vanishes.
fn solve(
    columns: &[Vec<f64>],
    norms: &[f64],
    kept: &[usize],
    rows: &[usize],
    target: impl Fn(usize) -> f64,
) -> Result<Vec<f64>, usize> {
    let m = kept.len();
    let mut a = vec![vec![0.0; m + 1]; m];
    for (i, &ci) in kept.iter().enumerate() {
        for (j, &cj) in kept.iter().enumerate() {
            a[i][j] = rows
                .iter()
                .map(|&k| columns[ci][k] * columns[cj][k])
                .sum::<f64>()
                / (norms[ci] * norms[cj]);
        }
        a[i][m] = rows
            .iter()
            .map(|&k| columns[ci][k] * target(k))
            .sum::<f64>()
            / norms[ci];
    }
    // Gauss-Jordan elimination with partial pivoting.
    for col in 0..m {
        let best = (col..m)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .unwrap_or(col);
        if a[best][col].abs() < 1e-9 {
            return Err(kept[col]);
        }
        a.swap(col, best);
        let pivot = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r == col {
                continue;
            }
            let f = row[col] / pivot[col];
            if f != 0.0 {
                for (x, p) in row.iter_mut().zip(&pivot).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    Ok((0..m).map(|i| a[i][m] / a[i][i] / norms[kept[i]]).collect())
}

/// The explanations of each parameter that hold in every dump that explains it: a
/// ratio keeps the factors every dump matched.
pub fn across(dumps: &[DumpReport]) -> Vec<(String, Explanation)> {
    let mut out: Vec<(String, Explanation)> = Vec::new();
    for d in dumps {
        for p in &d.params {
            let Some(e) = &p.explanation else { continue };
            match out.iter_mut().find(|(n, _)| *n == p.name) {
                None => out.push((p.name.clone(), e.clone())),
                Some((_, Explanation::Ratio { ratio, matches })) => {
                    // Over several dumps, the ratio is the matched formula, whose
                    // value differs from dump to dump.
                    *ratio = f64::NAN;
                    if let Explanation::Ratio { matches: here, .. } = e {
                        matches.retain(|m| {
                            here.iter().any(|h| {
                                h.text == m.text
                                    && h.inverse == m.inverse
                                    && h.negative == m.negative
                            })
                        });
                    }
                }
                Some(_) => {}
            }
        }
    }
    out
}
