//! Meeting in the middle: the forward reading of a proved claim whose two sides, each
//! simplified on its own, are still two expressions.
//!
//! The prover decides a claim on the difference `lhs - rhs`, and a reader would rather
//! see `lhs = ... = m = ... = rhs`. So each side is taken on by itself along the paths
//! the prover's own attempts follow ([`paths`]): multiplied out; with the user's
//! definitions written out; in primitive terms; rewritten by one of the prover's
//! rewriting passes. Every form a path passes through is a place the sides may meet,
//! and the meeting with the fewest steps in all is kept. When no two forms are equal,
//! both sides of a pair of final forms are put over one common denominator, the
//! product of the denominators their difference has, and meet when their numerators,
//! multiplied out and simplified, are one expression.
//!
//! Every step is one the simplifier or a rewriting pass made on that side alone, so
//! the halves are checked by [`crate::verify`] like any other steps; nothing here
//! decides a claim, it only reads a proof that was already found.
//!
//! May import what its parent [`crate::prove`] may; it uses the parent's passes.

use crate::expr::node::{DefId, ExprId};
use crate::lower::workspace::Workspace;
use crate::simplify::simplifier::Simplifier;
use crate::trace::{Rule, Step};

use super::{Chain, Pass, denominators, expanded_and_simplified, one_length, over_denominator};

/// One way of taking a side on: the steps from the side itself, and each form the
/// steps pass through with how many steps reach it.
struct Path {
    steps: Vec<Step>,
    forms: Vec<(ExprId, usize)>,
}

impl Path {
    /// A path that has reached `e` by `steps`; every expression a step reaches is on
    /// it.
    fn new(e: ExprId, steps: Vec<Step>) -> Path {
        let mut path = Path {
            steps: Vec::new(),
            forms: steps
                .first()
                .map_or(vec![(e, 0)], |st| vec![(st.before, 0)]),
        };
        for st in steps {
            path.step(st);
        }
        path
    }

    /// Takes one step. A step back to a form the path has passed erases the loop: the
    /// rows would only go away and come back.
    fn step(&mut self, st: Step) {
        let after = st.after;
        if let Some(k) = self.forms.iter().position(|&(f, _)| f == after) {
            let n = self.forms[k].1;
            self.steps.truncate(n);
            self.forms.truncate(k + 1);
            return;
        }
        self.steps.push(st);
        self.forms.push((after, self.steps.len()));
    }

    /// The form the path has reached.
    fn last(&self) -> ExprId {
        // A path is made with one form at least and only ever grows.
        self.forms[self.forms.len() - 1].0
    }

    /// Goes on by `steps`, which start at the path's last form; every expression a
    /// step reaches is on the path.
    fn go(&mut self, steps: Vec<Step>) {
        for st in steps {
            self.step(st);
        }
    }

    /// A copy to go on from in another way.
    fn branch(&self) -> Path {
        Path {
            steps: self.steps.clone(),
            forms: self.forms.clone(),
        }
    }
}

/// The chain `lhs = ... = m = ... = rhs`, if the sides meet on the prover's paths.
/// `starts` are the left side's readings in order of preference (through the lemmas
/// the claim cites, derived rule by rule, simplified), each with its steps from the
/// left side; `right` is the right side simplified, with its steps.
///
/// A meeting over a common denominator is kept only when the step checker passes its
/// steps that clear denominators (`whole` is the claim's difference, which bounds the
/// indices the checker samples, and `seed` its points). Such a step is sound by
/// construction, but it is one whole rearrangement of a side, and one the checker
/// cannot confirm (of a large expression with fractional powers, say) would make a
/// derivation that `--verify` rejects; the difference it came from is then the better
/// reading. Every other step is a rewrite of the simplifier's, as in the proof itself.
pub(super) fn meet(
    session: &mut Workspace,
    starts: Vec<(ExprId, Vec<Step>)>,
    right: (ExprId, Vec<Step>),
    whole: ExprId,
    seed: u64,
) -> Option<Chain> {
    let rights = paths(session, right.0, right.1);
    for (l, steps) in starts {
        if session.pool.over_budget() {
            return None;
        }
        let lefts = paths(session, l, steps);
        let met = nearest(&lefts, &rights).or_else(|| {
            over_one_denominator(session, &lefts, &rights)
                .filter(|c| checked(session, c, whole, seed))
        });
        if met.is_some() {
            return met;
        }
    }
    None
}

/// Whether the step checker passes the steps of `chain` that clear denominators.
fn checked(session: &mut Workspace, chain: &Chain, whole: ExprId, seed: u64) -> bool {
    let clearing: Vec<Step> = chain
        .left
        .iter()
        .chain(&chain.right)
        .filter(|st| st.rules.contains(&Rule::ClearDenominators))
        .cloned()
        .collect();
    // Each on its own: the checker holds consecutive steps to meet end to start.
    clearing.iter().all(|st| {
        crate::verify::check_steps_within(session, std::slice::from_ref(st), whole, seed).is_ok()
    })
}

/// `chain` cut short where its halves first meet: two sides that each simplify to one
/// expression may both pass through an earlier one (`a b + a c`, before each is
/// collected into `a (b + c)`), and the rows past it only go there and back.
pub(super) fn shortest(chain: Chain) -> Chain {
    let end = |steps: &[Step]| steps.last().map(|st| st.after);
    let (Some(l), Some(r)) = (end(&chain.left), end(&chain.right)) else {
        return chain;
    };
    let left = Path::new(l, chain.left.clone());
    let right = Path::new(r, chain.right.clone());
    match nearest(&[left], &[right]) {
        Some(mut short) => {
            short.readable = chain.readable;
            short
        }
        None => chain,
    }
}

/// The prover's paths from a side `e` that `steps` reached: multiplied out, then in
/// primitive terms; with the user's definitions written out, then multiplied out; and
/// rewritten by each rewriting pass. Each path begins with `steps`. There is always one
/// path of each kind, in this order, even where a kind changes nothing, so that the
/// two sides' paths pair up by position (see [`over_one_denominator`]).
fn paths(session: &mut Workspace, e: ExprId, steps: Vec<Step>) -> Vec<Path> {
    let defs = session.definitions_in_order();
    let mut base = Path::new(e, steps);
    // Lengths the workspace records equal are written as one first, as the prover's
    // difference has them.
    if let Some(one) = one_length(session, e) {
        let mut s = vec![Step::whole(Rule::EqualLengths, e, one)];
        simplified(session, one, defs.clone(), &mut s);
        base.go(s);
    }
    let start = base.last();
    let mut out = Vec::new();

    let mut expanded = base.branch();
    let mut s = Vec::new();
    expanded_and_simplified(session, start, defs.clone(), 256, &mut s);
    expanded.go(s);
    let again = expanded.last();
    let builtins = session.builtin_definitions();
    let primitive = session.pool.expand_definitions(again, &builtins);
    if primitive != again && !session.pool.over_budget() {
        let mut s = vec![Step::whole(Rule::ExpandDefinition, again, primitive)];
        expanded_and_simplified(session, primitive, Vec::new(), 4096, &mut s);
        expanded.go(s);
    }
    out.push(expanded);

    let written = session.pool.expand_definitions(start, &[]);
    let mut path = base.branch();
    if written != start && !session.pool.over_budget() {
        let mut s = vec![Step::whole(Rule::ExpandDefinition, start, written)];
        simplified(session, written, Vec::new(), &mut s);
        path.go(s);
        let mut s = Vec::new();
        let from = path.last();
        expanded_and_simplified(session, from, Vec::new(), 256, &mut s);
        path.go(s);
    }
    out.push(path);

    for pass in PASSES {
        let mut path = base.branch();
        if !session.pool.over_budget() {
            rewritten(session, &mut path, pass, &defs);
        }
        out.push(path);
    }
    out
}

/// The prover's rewriting passes, as in its last attempts: negated arguments in one
/// form, sines and cosines of sums expanded, logarithms' contents taken out, and
/// powers of one exponent merged.
const PASSES: [Pass; 4] = [
    crate::simplify::negated::negated_arguments,
    crate::simplify::angles::angle_sums,
    crate::simplify::content::logarithm_contents,
    crate::simplify::merge_powers::merged_powers,
];

/// Takes `path` on by `pass`, as the prover's `rewritten_and_simplified` does: the
/// pass, then simplified; the calls written out and the pass again; then multiplied
/// out.
fn rewritten(session: &mut Workspace, path: &mut Path, pass: Pass, defs: &[DefId]) {
    let at = path.forms.len();
    let from = path.last();
    let (one, rewrites) = pass(&mut session.pool, from);
    if one != from {
        let mut s = vec![Step::from_rewrites(from, one, rewrites)];
        simplified(session, one, defs.to_vec(), &mut s);
        path.go(s);
    }
    let from = path.last();
    let written = session.pool.expand_definitions(from, &[]);
    if written != from {
        let mut s = vec![Step::whole(Rule::ExpandDefinition, from, written)];
        let (again, rewrites) = pass(&mut session.pool, written);
        if again != written {
            s.push(Step::from_rewrites(written, again, rewrites));
        }
        simplified(session, again, Vec::new(), &mut s);
        path.go(s);
    }
    if path.forms.len() > at {
        let from = path.last();
        let mut s = Vec::new();
        expanded_and_simplified(session, from, defs.to_vec(), 256, &mut s);
        path.go(s);
    }
}

/// `e` simplified with `defs` available for folding; the steps are appended to `steps`.
fn simplified(
    session: &mut Workspace,
    e: ExprId,
    defs: Vec<DefId>,
    steps: &mut Vec<Step>,
) -> ExprId {
    let facts = session.facts.clone();
    let mut simp = Simplifier::new(&mut session.pool, defs).with_facts(facts);
    let out = simp.simplify(e);
    steps.append(&mut simp.steps);
    out
}

/// The meeting of a left and a right path with the fewest steps in all, if any form
/// is on both.
fn nearest(lefts: &[Path], rights: &[Path]) -> Option<Chain> {
    let mut best: Option<(usize, &Path, usize, &Path, usize)> = None;
    for lp in lefts {
        for &(a, na) in &lp.forms {
            for rp in rights {
                for &(b, nb) in &rp.forms {
                    if a == b && best.is_none_or(|(cost, ..)| na + nb < cost) {
                        best = Some((na + nb, lp, na, rp, nb));
                    }
                }
            }
        }
    }
    best.map(|(_, lp, na, rp, nb)| Chain {
        left: lp.steps[..na].to_vec(),
        right: rp.steps[..nb].to_vec(),
        readable: None,
    })
}

/// Both sides over one denominator: for the last forms of each pair of paths taken
/// alike, the product `m` of the denominators of their difference, and each side as
/// its numerator over `m`; they meet when the numerators are one expression.
fn over_one_denominator(session: &mut Workspace, lefts: &[Path], rights: &[Path]) -> Option<Chain> {
    for (lp, rp) in lefts.iter().zip(rights) {
        if session.pool.over_budget() {
            return None;
        }
        let (a, b) = (lp.last(), rp.last());
        let ta = expanded(session, a);
        let tb = expanded(session, b);
        let minus = session.pool.neg(tb);
        let difference = session.pool.add(vec![ta, minus]);
        let m = denominators(&mut session.pool, difference);
        if session.pool.is_int(m, 1) {
            continue;
        }
        let (qa, sa) = over(session, a, m);
        let (qb, sb) = over(session, b, m);
        if qa == qb {
            // The quotient may be a form one path already passed (the right side
            // itself, say, when it is written over that denominator): the nearest
            // meeting on the two paths carried on to it is kept.
            let mut left = lp.branch();
            left.go(sa);
            let mut right = rp.branch();
            right.go(sb);
            return nearest(&[left], &[right]);
        }
    }
    None
}

/// `e` multiplied out, as the prover's common denominators take it.
fn expanded(session: &mut Workspace, e: ExprId) -> ExprId {
    let facts = session.facts.clone();
    let mut simp = Simplifier::new(&mut session.pool, Vec::new()).with_facts(facts);
    simp.expand(e, 4096)
}

/// `e` as `N / m`, with `N` the numerator `e * m` multiplied out and simplified, and
/// the steps to it (see the prover's `over_denominator`). A side that is already that
/// quotient takes no step.
fn over(session: &mut Workspace, e: ExprId, m: ExprId) -> (ExprId, Vec<Step>) {
    let terms = expanded(session, e);
    let (n, steps) = over_denominator(session, e, terms, m);
    let minus_one = session.pool.int(-1);
    let inverse = session.pool.pow(m, minus_one);
    let result = session.pool.mul(vec![n, inverse]);
    if result == e {
        return (e, Vec::new());
    }
    (result, steps)
}
