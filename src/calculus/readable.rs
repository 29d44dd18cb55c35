//! Derivations at the level a textbook writes them (`--detail brief|normal|full`).
//!
//! At `full` a derivation is [`derive_with_steps`]'s: every definition written out
//! first, then one rule per round. At `normal` and `brief` a definition is written out
//! one level at a time, and a call of a function inside it (`softmax(z)[y]` inside the
//! cross-entropy) is not written out at all: its derivative is taken in one step, "the
//! derivative of softmax", as a textbook quotes a known result. That step is a
//! `differentiate` instance, which the step checker re-derives on its own.
//!
//! Presentation is kept apart from the steps, which stay whole for the checker and the
//! JSON: [`Readable::groups`] says which consecutive steps a row shows and how the row is
//! labelled ("chain rule", "derivative of softmax", "simplify"), and
//! [`Readable::names`] names the calls that recur (`p = softmax(z)`, printed `p_y`).

use rustc_hash::FxHashMap;

use crate::calculus::adjoint::Adjoint;
use crate::calculus::derivation::{Derivation, contains_diff, derive_with_steps, shown};
use crate::calculus::derivative::Differentiator;
use crate::diag::error::Result;
use crate::expr::node::{DefId, ExprId, Node};
use crate::expr::pool::Pool;
use crate::simplify::simplifier::Simplifier;
use crate::trace::{Rewrite, Rule, Step};

pub use crate::print::Detail;

/// How a derivation is shown at `brief` or `normal` detail.
#[derive(Clone, Debug, Default)]
pub struct Readable {
    /// The rows: each ends after the step at `end` (exclusive) and carries its label.
    pub groups: Vec<Group>,
    /// Recurring calls with a name: the call's definition and arguments (any indices),
    /// and the name (`p`).
    pub names: Vec<Named>,
}

/// One row of a readable derivation.
#[derive(Clone, Debug)]
pub struct Group {
    /// One past the last step the row shows.
    pub end: usize,
    /// What the row says it did: "chain rule", "derivative of softmax".
    pub label: String,
}

/// A call named in a derivation: `softmax(z)` as `p`, so that `softmax(z)[y]` is `p_y`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    /// The definition called.
    pub def: DefId,
    /// Its arguments.
    pub args: Vec<ExprId>,
    /// The name, as text (`p`).
    pub name: String,
}

/// `diff(expr, var, order)` as a derivation at `detail` (see the module docs).
pub fn derive_readable(
    pool: &mut Pool,
    expr: ExprId,
    var: ExprId,
    order: u32,
    defs: &[DefId],
    facts: &[crate::lower::workspace::Fact],
    detail: Detail,
) -> Result<Derivation> {
    // By a named intermediate, and for higher derivatives, the derivation is the
    // full one, grouped.
    let opaque = detail != Detail::Full && order == 1 && Adjoint::new(pool, expr, var)?.is_none();
    let mut d = if opaque {
        opaque_steps(pool, expr, var, defs, facts)?
    } else {
        derive_with_steps(pool, expr, var, order, defs, facts)?
    };
    if detail != Detail::Full {
        d.readable = Some(readable(pool, &d, detail));
    }
    Ok(d)
}

/// The derivation with definitions written out one level at a time and calls of
/// functions differentiated whole.
fn opaque_steps(
    pool: &mut Pool,
    expr: ExprId,
    var: ExprId,
    defs: &[DefId],
    facts: &[crate::lower::workspace::Fact],
) -> Result<Derivation> {
    let start = pool.diff(expr, var, 1);
    let mut steps = Vec::new();
    let mut conditions = Vec::new();
    // The outermost call, written out one level, as often as the result is a call.
    let mut cur = expr;
    for _ in 0..16 {
        if !is_function_call(pool, cur) {
            break;
        }
        let Some(body) = pool.expand_call(cur).filter(|&b| b != cur) else {
            break;
        };
        let before = pool.diff(cur, var, 1);
        let after = pool.diff(body, var, 1);
        steps.push(Step::whole(Rule::ExpandDefinition, before, after));
        cur = body;
    }
    let mut pending = pool.diff(cur, var, 1);
    let mut known = Vec::new();
    {
        let mut d = Differentiator::new(pool, var)?;
        let mut found = Vec::new();
        pending = crate::calculus::derivation::rounds(
            &mut d,
            pending,
            var,
            1,
            &mut steps,
            |d, id, (used, rewrites), last| {
                let mut memo = FxHashMap::default();
                round_of(
                    d,
                    id,
                    var,
                    (defs, facts),
                    &mut Log {
                        used,
                        rewrites,
                        memo: &mut memo,
                        conditions: &mut found,
                    },
                    last,
                )
            },
        )?;
        conditions.append(&mut found);
        conditions.append(&mut d.conditions);
        known.extend(d.known_ranges());
    }
    let mut simp = Simplifier::new(pool, defs.to_vec())
        .with_facts(facts.to_vec())
        .with_known_ranges(known);
    let result = simp.simplify(pending);
    steps.extend(simp.steps);
    let shown = shown(pool, &steps, defs);
    Ok(Derivation {
        start,
        steps,
        result,
        conditions,
        shown,
        readable: None,
    })
}

/// Whether `e` calls a function (a definition with parameters), not a reduction.
fn is_function_call(pool: &Pool, e: ExprId) -> bool {
    match pool.node(e) {
        Node::Call { def, .. } => {
            !pool.definition(*def).params.is_empty() && pool.as_reduction(e).is_none()
        }
        _ => false,
    }
}

/// What a round records.
struct Log<'a> {
    used: &'a mut Vec<Rule>,
    rewrites: &'a mut Vec<Rewrite>,
    memo: &'a mut FxHashMap<ExprId, ExprId>,
    conditions: &'a mut Vec<crate::calculus::derivative::Condition>,
}

/// One round: each outstanding `diff(e, var)` moves one rule down, except that the
/// derivative of a function's call is taken whole and simplified (a `differentiate`
/// instance).
fn round_of(
    d: &mut Differentiator<'_>,
    id: ExprId,
    var: ExprId,
    context: (&[DefId], &[crate::lower::workspace::Fact]),
    log: &mut Log<'_>,
    last: bool,
) -> Result<ExprId> {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || round_of(d, id, var, context, log, last));
    }
    if let Some(&r) = log.memo.get(&id) {
        return Ok(r);
    }
    let node = d.pool().node(id).clone();
    let out = match node {
        Node::Diff {
            expr,
            var: v,
            order: 1,
        } if v == var => {
            if last || is_function_call(d.pool(), expr) {
                let (raw, mut c) = crate::calculus::derivative::derive_n(d.pool(), expr, var, 1)?;
                log.conditions.append(&mut c);
                let (defs, facts) = context;
                let mut simp = Simplifier::new(d.pool(), defs.to_vec()).with_facts(facts.to_vec());
                let r = simp.simplify(raw);
                log.used.push(Rule::Differentiate);
                log.rewrites.push(Rewrite::new(Rule::Differentiate, id, r));
                r
            } else {
                let (rule, r) = d.rule(expr, &mut |this, child| this.pool().diff(child, var, 1));
                log.used.push(rule);
                log.rewrites.push(Rewrite::new(rule, id, r));
                r
            }
        }
        other => {
            let mut kids = Vec::new();
            for c in crate::expr::node::children(&other) {
                kids.push(round_of(d, c, var, context, log, last)?);
            }
            d.pool().rebuild(id, &kids)
        }
    };
    log.memo.insert(id, out);
    Ok(out)
}

/// The rows and names of a derivation at `detail` (see [`Readable`]).
fn readable(pool: &Pool, d: &Derivation, detail: Detail) -> Readable {
    let kinds: Vec<Kind> = d.steps.iter().map(|st| kind(pool, st)).collect();
    let labels: Vec<Vec<String>> = d.steps.iter().map(|st| labels(pool, st, false)).collect();
    let mut groups: Vec<Group> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    for (k, kind) in kinds.iter().enumerate() {
        let next = kinds.get(k + 1);
        pending.extend(labels[k].iter().cloned());
        // At `brief`, a row ends where a textbook's line would: after the definitions,
        // after each round that applies a rule worth naming (the trivial rounds before
        // it join it), and after all of the simplification.
        let ends = match detail {
            Detail::Brief => match (kind, next) {
                (_, None) => true,
                (Kind::Expand, Some(Kind::Expand)) => false,
                (Kind::Trivial, Some(Kind::Trivial | Kind::Rule)) => false,
                (Kind::Simplify, Some(Kind::Simplify)) => false,
                _ => true,
            },
            _ => true,
        };
        if ends {
            groups.push(Group {
                end: k + 1,
                label: join_labels(&pending),
            });
            pending.clear();
        }
    }
    // At `brief`, a row of trivial rounds alone (the last derivatives of variables)
    // joins the row of rules before it.
    if detail == Detail::Brief {
        let mut merged: Vec<Group> = Vec::with_capacity(groups.len());
        let mut from = 0;
        for g in groups {
            let trivial = kinds[from..g.end].iter().all(|k| *k == Kind::Trivial);
            let after_rule = from > 0 && matches!(kinds[from - 1], Kind::Rule | Kind::Trivial);
            let end = g.end;
            match merged.last_mut() {
                Some(last) if trivial && after_rule => last.end = end,
                _ => merged.push(g),
            }
            from = end;
        }
        groups = merged;
    }
    let names = names(pool, d, &groups);
    Readable { groups, names }
}

/// A readable derivation carried on to `steps`, the steps of a proof's left half: the
/// derivation's own steps, cut short where the half meets the other side, or followed
/// by more (multiplied out, over a common denominator). `shown` has each step's
/// expression as shown. The rows cut short end where the half does; the steps added
/// are one row at `brief` and a row each otherwise.
pub fn carried_on(
    pool: &Pool,
    shown: &mut Vec<ExprId>,
    r: &mut Readable,
    steps: &[Step],
    detail: Detail,
) {
    let n = steps.len();
    let had = shown.len();
    if n <= had {
        shown.truncate(n);
        r.groups.retain(|g| g.end <= n);
        let from = r.groups.last().map_or(0, |g| g.end);
        if from < n {
            r.groups.push(Group {
                end: n,
                label: rows_label(pool, &steps[from..n]),
            });
        }
        return;
    }
    shown.extend(steps[had..].iter().map(|st| st.after));
    if detail == Detail::Brief {
        r.groups.push(Group {
            end: n,
            label: rows_label(pool, &steps[had..]),
        });
    } else {
        for (k, st) in steps.iter().enumerate().skip(had) {
            r.groups.push(Group {
                end: k + 1,
                label: rows_label(pool, std::slice::from_ref(st)),
            });
        }
    }
}

/// The rows of a proof's right half, read backwards from where the halves meet to the
/// right side: each row is the expression a step started from, labelled by the step;
/// at `brief` the half is one row, the right side itself.
pub fn backwards(pool: &Pool, steps: &[Step], detail: Detail) -> Vec<(ExprId, String)> {
    if detail == Detail::Brief {
        return steps
            .first()
            .map(|st| (st.before, backwards_label(pool, steps)))
            .into_iter()
            .collect();
    }
    steps
        .iter()
        .rev()
        .map(|st| (st.before, backwards_label(pool, std::slice::from_ref(st))))
        .collect()
}

/// One row's label for `steps`.
fn rows_label(pool: &Pool, steps: &[Step]) -> String {
    let all: Vec<String> = steps
        .iter()
        .flat_map(|st| labels(pool, st, false))
        .collect();
    join_labels(&all)
}

/// One row's label for `steps` read backwards, from the expression they reach to the
/// one they start from (see [`labels`]).
fn backwards_label(pool: &Pool, steps: &[Step]) -> String {
    let all: Vec<String> = steps.iter().flat_map(|st| labels(pool, st, true)).collect();
    join_labels(&all)
}

/// What a step does, for grouping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Writes a definition out.
    Expand,
    /// A round of derivative rules that only pass through sums and constant factors.
    Trivial,
    /// A round of derivative rules with one worth naming (chain, product, a known
    /// derivative).
    Rule,
    /// Simplification.
    Simplify,
}

fn kind(pool: &Pool, st: &Step) -> Kind {
    let derivative = |r: &Rule| {
        matches!(
            r,
            Rule::Constant
                | Rule::Variable
                | Rule::Element
                | Rule::Linearity
                | Rule::ConstantMultiple
                | Rule::ProductRule
                | Rule::PowerRule
                | Rule::ExponentialRule
                | Rule::GeneralPowerRule
                | Rule::Chain(_)
                | Rule::SumRule
                | Rule::ReductionElement
                | Rule::InnerDerivative
                | Rule::Lemma(_)
                | Rule::LemmaChain
        ) || (*r == Rule::Differentiate && contains_diff(pool, st.before, None))
    };
    if st.rules == [Rule::ExpandDefinition] {
        return Kind::Expand;
    }
    if !st.rules.is_empty() && st.rules.iter().all(derivative) {
        let trivial = st.rules.iter().all(|r| {
            matches!(
                r,
                Rule::Constant
                    | Rule::Variable
                    | Rule::Element
                    | Rule::Linearity
                    | Rule::ConstantMultiple
            )
        });
        return if trivial { Kind::Trivial } else { Kind::Rule };
    }
    Kind::Simplify
}

/// The name of the definition a call node calls, if it is one.
fn called(pool: &Pool, e: ExprId) -> Option<String> {
    match pool.node(e) {
        Node::Diff { expr, .. } => called(pool, *expr),
        // An anonymous definition (a whole-tensor expression) has no name to quote.
        Node::Call { def, .. } => {
            Some(pool.name(pool.definition(*def).name).to_string()).filter(|n| !n.starts_with('%'))
        }
        _ => None,
    }
}

/// What a step did, in a textbook's words; `backwards` when the step is read from
/// the expression it reaches to the one it starts from, as a proof's right half is:
/// multiplying out read backwards collects, and writing a definition out read
/// backwards folds into it.
fn labels(pool: &Pool, st: &Step, backwards: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for rw in &st.rewrites {
        // Read backwards, the rules that undo each other trade places.
        let rule = match (rw.rule, backwards) {
            (Rule::Distribute | Rule::SumLinearity, true) => Rule::FactorCommon,
            (Rule::FactorCommon, true) => Rule::Distribute,
            (Rule::FoldDefinition, true) => Rule::ExpandDefinition,
            (Rule::ExpandDefinition, true) => Rule::FoldDefinition,
            (r, _) => r,
        };
        let (before, after) = if backwards {
            (rw.after, rw.before)
        } else {
            (rw.before, rw.after)
        };
        let label = match rule {
            Rule::ExpandDefinition => match called(pool, before) {
                Some(f) => format!("definition of {f}"),
                None => "definitions".to_string(),
            },
            Rule::Differentiate => match called(pool, before) {
                Some(f) => format!("derivative of {f}"),
                None => "differentiate".to_string(),
            },
            Rule::Chain(_) | Rule::LemmaChain => "chain rule".to_string(),
            Rule::ProductRule => "product rule".to_string(),
            Rule::PowerRule | Rule::GeneralPowerRule | Rule::ExponentialRule => {
                "power rule".to_string()
            }
            Rule::SumRule => "sum rule".to_string(),
            Rule::Linearity => "linearity".to_string(),
            Rule::ConstantMultiple => "constant factor".to_string(),
            Rule::Constant | Rule::Variable | Rule::Element => "derivative of a variable".into(),
            Rule::SumDeltaContract => "contract deltas".to_string(),
            Rule::Distribute | Rule::SumLinearity => "expand".to_string(),
            Rule::FactorCommon => "collect".to_string(),
            Rule::FoldDefinition => match called(pool, after) {
                Some(f) => format!("fold into {f}"),
                None => "fold definitions".to_string(),
            },
            Rule::CanonicalForm => "simplify".to_string(),
            Rule::ClearDenominators => "common denominator".to_string(),
            other => other.name(),
        };
        if !out.contains(&label) {
            out.push(label);
        }
    }
    if out.is_empty() {
        for r in &st.rules {
            let label = r.name();
            if !out.contains(&label) {
                out.push(label);
            }
        }
    }
    out
}

/// Labels joined for one row; "derivative of a variable" and "linearity" only when
/// nothing else happened in it.
fn join_labels(labels: &[String]) -> String {
    let minor = ["derivative of a variable", "linearity", "constant factor"];
    let major: Vec<&String> = labels
        .iter()
        .filter(|l| !minor.contains(&l.as_str()))
        .collect();
    if major.is_empty() {
        // One trivial rule is named; several are what "differentiate" says.
        return match labels {
            [one] => one.clone(),
            _ => "differentiate".to_string(),
        };
    }
    let mut unique: Vec<&String> = Vec::new();
    for l in major {
        if !unique.contains(&l) {
            unique.push(l);
        }
    }
    unique
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The calls of tensor-valued functions (`softmax(z)[y]`) that recur in the rows shown,
/// each named once: `p` for the probabilities of a softmax, as every textbook writes
/// them, otherwise the function's initial when nothing else uses it.
fn names(pool: &Pool, d: &Derivation, groups: &[Group]) -> Vec<Named> {
    let rows: Vec<ExprId> = groups
        .iter()
        .filter_map(|g| d.shown.get(g.end - 1).copied())
        .collect();
    let mut counts: Vec<((DefId, Vec<ExprId>), usize)> = Vec::new();
    let mut used_names: Vec<String> = Vec::new();
    for &row in std::iter::once(&d.start).chain(rows.iter()) {
        let mut seen: Vec<(DefId, Vec<ExprId>)> = Vec::new();
        let mut todo = vec![row];
        let mut visited = rustc_hash::FxHashSet::default();
        while let Some(x) = todo.pop() {
            if !visited.insert(x) {
                continue;
            }
            let n = pool.node(x);
            match n {
                Node::Call { def, args, indices }
                    if !indices.is_empty() && !pool.definition(*def).params.is_empty() =>
                {
                    let key = (*def, args.to_vec());
                    if !seen.contains(&key) {
                        seen.push(key);
                    }
                }
                Node::Sym(s) | Node::Tensor(s) | Node::Elem(s, _) | Node::Index(s) => {
                    let name = pool.name(*s).to_string();
                    if !used_names.contains(&name) {
                        used_names.push(name);
                    }
                }
                _ => {}
            }
            todo.extend(crate::expr::node::children(n));
        }
        for key in seen {
            match counts.iter_mut().find(|(k, _)| *k == key) {
                Some((_, c)) => *c += 1,
                None => counts.push((key, 1)),
            }
        }
    }
    let mut out: Vec<Named> = Vec::new();
    for ((def, args), count) in counts {
        if count < 2 {
            continue;
        }
        let function = pool.name(pool.definition(def).name).to_string();
        let preferred = if function == "softmax" {
            "p".to_string()
        } else {
            function.chars().take(1).collect()
        };
        let taken = used_names.contains(&preferred) || out.iter().any(|n| n.name == preferred);
        if preferred.is_empty() || taken {
            continue;
        }
        out.push(Named {
            def,
            args,
            name: preferred,
        });
    }
    out
}
