//! Lemmas: a claim cites proved claims with `by`, and its proof may use them.
//!
//! [`decide_all`] decides a file's claims in an order where every cited claim comes
//! before the claims citing it (otherwise in file order), refuses citations that form
//! a cycle or name no claim, and records each named claim it proves as a lemma
//! ([`Workspace::add_lemma`]). A cited claim is used only if it was proved (and, when
//! the step checker ran, passed it): a citing claim whose lemma ended confirmed,
//! refuted or in error is decided without it, and its report says why.
//!
//! [`proof`] is the prover's first attempt for a claim with usable lemmas: its
//! derivatives taken one rule at a time with the derivative lemmas first, the
//! equality lemmas rewritten, then simplified (see [`crate::calculus::lemma`]). A
//! proof that uses no lemma is left to the prover's other attempts.

use crate::calculus::lemma::{self, LemmaRule};
use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::node::ExprId;
use crate::lower::workspace::{Claim, Lemma, Workspace};
use crate::prove::{ClaimReport, Outcome};
use crate::simplify::simplifier::Simplifier;
use crate::trace::Step;

/// Decides `claims` (a file's, in file order) with `decide`, in the order their
/// citations need; the reports come back in file order. See the module docs.
pub fn decide_all(
    ws: &mut Workspace,
    claims: &[Claim],
    mut decide: impl FnMut(&mut Workspace, &Claim) -> ClaimReport,
) -> Vec<ClaimReport> {
    let graph = Graph::new(ws, claims);
    let mut reports: Vec<Option<ClaimReport>> = vec![None; claims.len()];
    for (k, claim) in claims.iter().enumerate() {
        if let Some(e) = graph.error(claims, k) {
            reports[k] = Some(ClaimReport::failed(claim, e));
        }
    }
    for k in graph.order(&reports) {
        let mut claim = claims[k].clone();
        for (c, target) in claim.by.iter_mut().zip(&graph.edges[k]) {
            c.unusable = match target {
                Target::Claim(t) => match reports[*t].as_ref().map(|r| &r.verdict) {
                    Some(Outcome::Proved { .. }) => None,
                    Some(Outcome::Failed(_)) => Some("it ended in an error, not proved".into()),
                    Some(other) => Some(format!("it is {}, not proved", other.name())),
                    None => Some("it was not decided".into()),
                },
                Target::Lemma => None,
                Target::Unknown | Target::Ambiguous => Some("it names no single claim".into()),
            };
            // A proved lemma of a form that cannot rewrite is refused with its reason.
            if c.unusable.is_none()
                && let Some(l) = ws.lemma(&c.name).cloned()
            {
                c.unusable = lemma::unusable(ws, &l);
            }
        }
        let report = decide(ws, &claim);
        if let (Outcome::Proved { .. }, Some(name)) = (&report.verdict, &claim.name) {
            ws.add_lemma(Lemma {
                name: name.clone(),
                lhs: claim.lhs,
                rhs: claim.rhs,
                line: claim.line,
            });
        }
        reports[k] = Some(report);
    }
    reports.into_iter().flatten().collect()
}

/// What a citation names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// The claim of the file at this position.
    Claim(usize),
    /// A lemma proved before the file was loaded.
    Lemma,
    /// No claim.
    Unknown,
    /// Two claims of the file.
    Ambiguous,
}

/// The citations of a file's claims.
struct Graph {
    /// For each claim, what each of its citations names, in order.
    edges: Vec<Vec<Target>>,
    /// The names that can be cited, for the hint of an unknown one.
    names: Vec<String>,
}

impl Graph {
    fn new(ws: &Workspace, claims: &[Claim]) -> Graph {
        let mut names: Vec<String> = claims.iter().filter_map(|c| c.name.clone()).collect();
        let edges = claims
            .iter()
            .map(|c| {
                c.by.iter()
                    .map(|b| {
                        let mut found = claims
                            .iter()
                            .enumerate()
                            .filter(|(_, o)| o.name.as_deref() == Some(b.name.as_str()));
                        match (found.next(), found.next()) {
                            (Some((t, _)), None) => Target::Claim(t),
                            (Some(_), Some(_)) => Target::Ambiguous,
                            (None, _) if ws.lemma(&b.name).is_some() => Target::Lemma,
                            (None, _) => Target::Unknown,
                        }
                    })
                    .collect()
            })
            .collect();
        for l in &ws.lemmas {
            if !names.contains(&l.name) {
                names.push(l.name.clone());
            }
        }
        Graph { edges, names }
    }

    /// Why claim `k` cannot be decided: a citation of no claim or of two, or a cycle of
    /// citations through it.
    fn error(&self, claims: &[Claim], k: usize) -> Option<Error> {
        let by = &claims[k].by;
        for (c, target) in by.iter().zip(&self.edges[k]) {
            match target {
                Target::Unknown => {
                    // A claim cannot cite itself, so its own name is no suggestion.
                    let names: Vec<&str> = self
                        .names
                        .iter()
                        .map(String::as_str)
                        .filter(|n| Some(*n) != claims[k].name.as_deref())
                        .collect();
                    let hint = if names.is_empty() {
                        "no claim can be cited: name one with `claim name: lhs = rhs`".to_string()
                    } else {
                        format!("the claims that can be cited are: {}", names.join(", "))
                    };
                    return Some(
                        Error::at(
                            ErrorKind::Name,
                            c.span,
                            format!("`{}` names no claim", c.name),
                        )
                        .with_hint(hint),
                    );
                }
                Target::Ambiguous => {
                    return Some(
                        Error::at(
                            ErrorKind::Name,
                            c.span,
                            format!("`{}` names more than one claim", c.name),
                        )
                        .with_hint("give each claim that is cited a name of its own"),
                    );
                }
                Target::Claim(_) | Target::Lemma => {}
            }
        }
        let (citation, cycle) = self.cycle(k)?;
        let path: Vec<&str> = cycle
            .iter()
            .map(|&t| claims[t].name.as_deref().unwrap_or("?"))
            .collect();
        Some(
            Error::at(
                ErrorKind::Recursion,
                by[citation].span,
                format!("the citations form a cycle: {}", path.join(" -> ")),
            )
            .with_hint(
                "a lemma must be proved before a claim can use it: remove a citation of the cycle",
            ),
        )
    }

    /// The shortest cycle of citations from claim `k` back to it, if any: the position
    /// of the citation it starts with, and the claims along it, `k` first and last.
    fn cycle(&self, k: usize) -> Option<(usize, Vec<usize>)> {
        // Breadth first from each of k's citations, keeping each claim's predecessor.
        let n = self.edges.len();
        let mut best: Option<(usize, Vec<usize>)> = None;
        for (pos, first) in self.edges[k].iter().enumerate() {
            let Target::Claim(first) = *first else {
                continue;
            };
            let mut before = vec![usize::MAX; n];
            let mut queue = std::collections::VecDeque::from([first]);
            before[first] = first;
            while let Some(at) = queue.pop_front() {
                if at == k {
                    let mut path = vec![k];
                    let mut cur = k;
                    while cur != first {
                        cur = before[cur];
                        path.push(cur);
                    }
                    path.push(k);
                    path.reverse();
                    if best.as_ref().is_none_or(|(_, b)| path.len() < b.len()) {
                        best = Some((pos, path));
                    }
                    break;
                }
                for t in &self.edges[at] {
                    if let Target::Claim(t) = *t
                        && before[t] == usize::MAX
                    {
                        before[t] = at;
                        queue.push_back(t);
                    }
                }
            }
        }
        best
    }

    /// The claims still to decide (those without a report), each after the claims it
    /// cites, and otherwise in file order.
    fn order(&self, reports: &[Option<ClaimReport>]) -> Vec<usize> {
        let n = self.edges.len();
        let mut done: Vec<bool> = reports.iter().map(Option::is_some).collect();
        let mut out = Vec::new();
        // Each pass takes the first claim whose cited claims are all decided; the
        // claims on cycles were decided (as errors) already, so every pass finds one.
        while out.len() + reports.iter().filter(|r| r.is_some()).count() < n {
            let ready = (0..n).find(|&k| {
                !done[k]
                    && self.edges[k]
                        .iter()
                        .all(|t| !matches!(t, Target::Claim(c) if !done[*c]))
            });
            match ready {
                Some(k) => {
                    done[k] = true;
                    out.push(k);
                }
                None => break,
            }
        }
        out
    }
}

/// The lemmas `claim` cites that it may use, as rules: those proved, by the names in
/// its `by` clause.
pub fn active(ws: &mut Workspace, claim: &Claim) -> Vec<LemmaRule> {
    let cited: Vec<Lemma> = claim
        .by
        .iter()
        .filter(|c| c.unusable.is_none())
        .filter_map(|c| ws.lemma(&c.name).cloned())
        .collect();
    if cited.is_empty() {
        return Vec::new();
    }
    lemma::rules(ws, &cited)
}

/// A proof of `claim` that uses its lemmas: the steps from `lhs - rhs` to 0, or `None`
/// when no lemma applies or this attempt does not reach 0.
pub fn proof(
    session: &mut Workspace,
    claim: &Claim,
    rules: &[LemmaRule],
) -> Result<Option<Vec<Step>>> {
    let difference = session.pool.sub(claim.lhs, claim.rhs);
    let (simplified, mut steps, used) = lemma_side(session, difference, rules)?;
    if !used {
        return Ok(None);
    }
    if session.pool.is_int(simplified, 0) {
        return Ok(Some(steps));
    }
    // The user's definitions written out (not the builtins, which the lemmas are
    // about): a side stated through `p(w)` meets a derivative in `sigmoid(...)` so.
    let written = session.pool.expand_definitions(simplified, &[]);
    let simplified = if written == simplified {
        simplified
    } else {
        steps.push(Step::whole(
            crate::trace::Rule::ExpandDefinition,
            simplified,
            written,
        ));
        let facts = session.facts.clone();
        let mut simp = Simplifier::new(&mut session.pool, Vec::new()).with_facts(facts);
        let out = simp.simplify(written);
        steps.append(&mut simp.steps);
        if session.pool.is_int(out, 0) {
            return Ok(Some(steps));
        }
        out
    };
    let defs = session.definitions_in_order();
    let again = super::expanded_and_simplified(session, simplified, defs, 256, &mut steps);
    if session.pool.is_int(again, 0) {
        return Ok(Some(steps));
    }
    if let Some(mut cleared) = super::clear_denominators(session, again) {
        steps.append(&mut cleared);
        return Ok(Some(steps));
    }
    Ok(None)
}

/// `e` with its derivatives taken (by the derivative lemmas first), its equality
/// lemmas' instances rewritten and simplified, with the steps, and whether a lemma
/// was used.
pub fn lemma_side(
    session: &mut Workspace,
    e: ExprId,
    rules: &[LemmaRule],
) -> Result<(ExprId, Vec<Step>, bool)> {
    let mut steps = Vec::new();
    let mut known = Vec::new();
    let mut used = false;
    // The derivatives of higher order that a lemma states first: what is left is
    // of lower order, or no derivative at all.
    let e = match lemma::rewrite_higher_orders(&mut session.pool, e, rules) {
        Some(step) => {
            let after = step.after;
            steps.push(step);
            used = true;
            after
        }
        None => e,
    };
    let taken = match lemma::differentiate_with_lemmas(&mut session.pool, e, rules)? {
        Some(t) => {
            steps.extend(t.steps);
            known = t.known;
            used = true;
            t.result
        }
        None => {
            let (taken, _, step) =
                crate::calculus::derivation::differentiate_step(&mut session.pool, e)?;
            steps.extend(step);
            taken
        }
    };
    let mut cur = taken;
    // The equality lemmas first where the claim states their instances, then where
    // simplifying brings them out.
    for round in 0..2 {
        if let Some(step) = lemma::rewrite_equalities(&mut session.pool, cur, rules) {
            cur = step.after;
            steps.push(step);
            used = true;
        }
        let defs = session.definitions_in_order();
        let facts = session.facts.clone();
        let mut simp = Simplifier::new(&mut session.pool, defs)
            .with_facts(facts)
            .with_known_ranges(known.clone());
        let out = simp.simplify(cur);
        steps.append(&mut simp.steps);
        let done = out == cur || session.pool.is_int(out, 0);
        cur = out;
        if done || round == 1 {
            break;
        }
    }
    Ok((cur, steps, used))
}
