//! What a wrong gradient misses, in the program's own words.
//!
//! - A **ratio**: when every element of an input's gradient is the correct one times
//!   the same number, that number is reported; across instances of the named
//!   dimensions it is matched with their sizes (`N`, `1/D`, `-1`, `2*N`), which tells
//!   a missing `1/N` from a factor that equals `N` at one size.
//! - A **residual**: what the program's element lacks, `want - got`, simplified, with
//!   every node that the program named (a local variable of `forward` or `backward`,
//!   element by element) written as that name, and sums over a whole axis rolled back
//!   into `sum(j, ...)`: `-xhat[1, 2]*rstd[1]*sum(j, dxhat[1, j]*xhat[1, j])/3`.
//!
//! The residual is exact: a name stands for a node equal to it, and the simplifier's
//! rules are sound, so the text shown is `want - got` itself, only written shorter.

use rustc_hash::FxHashMap;

use crate::expr::node::{ExprId, Node, Symbol, children};
use crate::expr::pool::Pool;
use crate::simplify::simplifier::Simplifier;

use super::Trace;
use super::prove::InputResult;

/// The program's names for its values: each named array's elements, by node.
#[derive(Debug, Default)]
pub struct Names {
    /// Node -> the element of a named array that holds it (a tensor element node).
    map: FxHashMap<ExprId, ExprId>,
    /// Each named array's shape, by its tensor symbol.
    shapes: FxHashMap<Symbol, Vec<usize>>,
}

impl Names {
    /// Names for the trace's inputs (their elements become `X[0, 1]` tensor elements,
    /// so that sums over them roll up too), then for the named arrays in the order
    /// given: an earlier name wins a node two names hold.
    pub fn new(trace: &mut Trace, arrays: &[(String, Vec<usize>, Vec<ExprId>)]) -> Names {
        let mut names = Names::default();
        let inputs = trace.inputs().to_vec();
        for input in &inputs {
            names.name_array(trace, &input.name, &input.shape, &input.elements, true);
        }
        for (name, shape, elements) in arrays {
            if inputs.iter().any(|i| &i.name == name) {
                continue;
            }
            names.name_array(trace, name, shape, elements, false);
        }
        names
    }

    fn name_array(
        &mut self,
        trace: &mut Trace,
        name: &str,
        shape: &[usize],
        elements: &[ExprId],
        input: bool,
    ) {
        if elements.len() != shape.iter().product::<usize>() || !valid_name(name) {
            return;
        }
        let tensor = trace.ws.pool.symbol(name);
        if self.shapes.contains_key(&tensor) {
            return;
        }
        self.shapes.insert(tensor, shape.to_vec());
        for (k, &e) in elements.iter().enumerate() {
            // Numbers and the inputs' own elements are shown as they are; a name for
            // them would hide what they are (`onehot[0, 1]` for 1).
            let plain = matches!(trace.ws.pool.node(e), Node::Num(_) | Node::Const(_))
                || (!input && matches!(trace.ws.pool.node(e), Node::Sym(_)));
            if plain || self.map.contains_key(&e) {
                continue;
            }
            let index = super::prove::unravel(k, shape)
                .into_iter()
                .map(|i| trace.ws.pool.int(i as i64))
                .collect();
            let elem = trace.ws.pool.elem(tensor, index);
            self.map.insert(e, elem);
        }
    }

    /// `e` with every named node written as its name, outermost first.
    pub fn apply(&self, pool: &mut Pool, e: ExprId) -> ExprId {
        let mut memo = FxHashMap::default();
        self.rec(pool, e, &mut memo)
    }

    fn rec(&self, pool: &mut Pool, e: ExprId, memo: &mut FxHashMap<ExprId, ExprId>) -> ExprId {
        if let Some(&n) = self.map.get(&e) {
            return n;
        }
        if let Some(&m) = memo.get(&e) {
            return m;
        }
        let kids = children(pool.node(e));
        let out = if kids.is_empty() {
            e
        } else {
            let new: Vec<ExprId> = kids.iter().map(|&k| self.rec(pool, k, memo)).collect();
            if new == kids {
                e
            } else {
                pool.rebuild(e, &new)
            }
        };
        memo.insert(e, out);
        out
    }
}

/// Whether a program's name can be shown as a tensor's name (`xhat`, `d_W1`): not a
/// dunder or a private helper's.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with("__")
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// The number every element of the gradient is the correct one times, when there is
/// one: the elements whose correct value is not 0 all have it, to 1e-9, and those whose
/// correct value is 0 are 0 too.
pub fn constant_ratio(result: &InputResult) -> Option<f64> {
    let mut ratio: Option<f64> = None;
    for e in &result.elements {
        let (g, w) = (e.got_value, e.want_value);
        if !g.is_finite() || !w.is_finite() {
            return None;
        }
        if w.abs() < 1e-300 {
            if g.abs() > 1e-300 {
                return None;
            }
            continue;
        }
        let r = g / w;
        match ratio {
            None => ratio = Some(r),
            Some(r0) if (r - r0).abs() <= 1e-9 * r0.abs().max(1e-300) => {}
            Some(_) => return None,
        }
    }
    ratio.filter(|r| (r - 1.0).abs() > 1e-9)
}

/// `want - got` for one element, simplified, in the program's names, with sums over a
/// whole axis rolled up; the shorter of naming before and after simplifying.
pub fn residual(trace: &mut Trace, names: &Names, got: ExprId, want: ExprId) -> String {
    let defs = trace.ws.definitions_in_order();
    let pool = &mut trace.ws.pool;
    let budget = pool.budget_left();
    pool.set_budget(Some(200_000));
    let mut candidates = Vec::new();
    // Named first: the program's names are atoms, and the simplifier works on what is
    // left between them.
    let (g, w) = (names.apply(pool, got), names.apply(pool, want));
    let d = pool.sub(w, g);
    let first = Simplifier::new(pool, defs.clone()).simplify(d);
    candidates.push(first);
    // Simplified first, then named: a difference whose terms cancel only in the
    // inputs' terms.
    let raw = pool.sub(want, got);
    let simplified = Simplifier::new(pool, defs).simplify(raw);
    candidates.push(names.apply(pool, simplified));
    let mut best: Option<(usize, String)> = None;
    for c in candidates {
        if pool.over_budget() {
            break;
        }
        let rolled = super::names::roll(pool, &names.shapes, c);
        let text = crate::print::text::to_text_abridged(pool, rolled, 400);
        if best.as_ref().is_none_or(|(n, _)| text.len() < *n) {
            best = Some((text.len(), text));
        }
    }
    pool.set_budget(budget);
    best.map(|b| b.1).unwrap_or_default()
}
