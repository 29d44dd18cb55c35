//! The checks of the rules of index calculus that the normal form does not decide on
//! its own: powers and products of deltas, a sum multiplied out so that a delta
//! contracts, and a sum whose definitions are written out.
//!
//! A delta is 0 or 1, so `delta-power` needs only the shape of its instance. A product
//! of deltas is 1 exactly when every index its deltas link is equal to every other, so
//! `delta-product` holds when both sides link the same indices: each delta of one side
//! joins indices that the other side's deltas connect too. The two sum rules are
//! identities of sums over their terms, decided by the normal form (with the
//! definitions written out for `expand-in-sum`), which contracts a delta only where its
//! partner provably ranges over the sum's axis.

use crate::expr::node::{ExprId, Node};
use crate::trace::Rule;

use super::rules::{Kernel, no_match};

impl Kernel<'_> {
    /// `delta(a, b)^n = delta(a, b)` for a whole `n >= 1`.
    pub(super) fn check_delta_power(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Pow(base, n) = self.pool.node(b).clone() else {
            return no_match(Rule::DeltaPower);
        };
        if !matches!(self.pool.node(base), Node::Delta(..)) {
            return no_match(Rule::DeltaPower);
        }
        let one = num_rational::BigRational::from_integer(1.into());
        let whole = self
            .pool
            .as_num(n)
            .is_some_and(|r| r.is_integer() && *r >= one);
        self.condition(whole, "exponent a whole number >= 1")?;
        if a == base {
            Ok(())
        } else {
            Err("the result is not the delta itself".into())
        }
    }

    /// A product of deltas rewritten so that its deltas link the same indices, and the
    /// rest of the product unchanged; or 0, when its deltas link two different numbers.
    pub(super) fn check_delta_product(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Mul(_) = self.pool.node(b) else {
            return no_match(Rule::DeltaProduct);
        };
        let (links_b, rest_b) = self.deltas_of(b);
        if links_b.len() < 2 {
            return no_match(Rule::DeltaProduct);
        }
        if self.pool.is_int(a, 0) {
            return if links_two_numbers(self.pool, &links_b) {
                Ok(())
            } else {
                Err("the product is 0 only when its deltas link two different numbers".into())
            };
        }
        let (links_a, rest_a) = self.deltas_of(a);
        if rest_a != rest_b {
            return Err("it changes more than the product's deltas".into());
        }
        let same = links_b.iter().all(|&(x, y)| connected(&links_a, x, y))
            && links_a.iter().all(|&(x, y)| connected(&links_b, x, y));
        if same {
            Ok(())
        } else {
            Err("the deltas of the result do not link the same indices".into())
        }
    }

    /// `sum(k, f*(d + r))` multiplied out so that the delta `d` contracts: an identity
    /// of sums, decided by the normal form, on a sum whose body holds a delta of its
    /// index.
    pub(super) fn check_sum_distribute_delta(
        &mut self,
        b: ExprId,
        a: ExprId,
    ) -> Result<(), String> {
        let Node::Sum { index, body, .. } = self.pool.node(b).clone() else {
            return no_match(Rule::SumDistributeDelta);
        };
        if !holds_delta_of(self.pool, body, index) {
            return no_match(Rule::SumDistributeDelta);
        }
        self.expect_same(b, a, "the sum multiplied out with its deltas contracted")
    }

    /// A sum with its definitions written out and simplified: both sides agree once
    /// every call is replaced by its definition's body.
    pub(super) fn check_expand_in_sum(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        if !matches!(self.pool.node(b), Node::Sum { .. }) {
            return no_match(Rule::ExpandInSum);
        }
        let builtins = self.equality.builtins().to_vec();
        let eb = self.pool.expand_definitions(b, &builtins);
        let ea = self.pool.expand_definitions(a, &builtins);
        self.expect_same(eb, ea, "the sum with its definitions written out")
    }

    /// The deltas among a product's factors as pairs of linked indices, and the product
    /// of its other factors.
    fn deltas_of(&mut self, e: ExprId) -> (Vec<(ExprId, ExprId)>, ExprId) {
        let factors: Vec<ExprId> = match self.pool.node(e) {
            Node::Mul(fs) => fs.to_vec(),
            _ => vec![e],
        };
        let mut links = Vec::new();
        let mut rest = Vec::new();
        for f in factors {
            match self.pool.node(f) {
                Node::Delta(x, y) => links.push((*x, *y)),
                _ => rest.push(f),
            }
        }
        (links, self.pool.mul(rest))
    }
}

/// Whether `x` and `y` are one index, or joined by a path of `links`.
fn connected(links: &[(ExprId, ExprId)], x: ExprId, y: ExprId) -> bool {
    let mut reached = vec![x];
    let mut grew = true;
    while grew {
        grew = false;
        for &(p, q) in links {
            for (from, to) in [(p, q), (q, p)] {
                if reached.contains(&from) && !reached.contains(&to) {
                    reached.push(to);
                    grew = true;
                }
            }
        }
    }
    reached.contains(&y)
}

/// Whether `links` join two different numbers, which no index value can equal at once.
fn links_two_numbers(pool: &crate::expr::pool::Pool, links: &[(ExprId, ExprId)]) -> bool {
    let numbers: Vec<ExprId> = links
        .iter()
        .flat_map(|&(x, y)| [x, y])
        .filter(|&x| pool.as_num(x).is_some())
        .collect();
    numbers.iter().any(|&m| {
        numbers
            .iter()
            .any(|&n| pool.as_num(m) != pool.as_num(n) && connected(links, m, n))
    })
}

/// Whether `e` holds a delta with the index `index` on one side.
fn holds_delta_of(
    pool: &crate::expr::pool::Pool,
    e: ExprId,
    index: crate::expr::node::Symbol,
) -> bool {
    let mut todo = vec![e];
    let mut seen = rustc_hash::FxHashSet::default();
    while let Some(x) = todo.pop() {
        if !seen.insert(x) {
            continue;
        }
        let n = pool.node(x);
        if let Node::Delta(p, q) = n
            && [*p, *q]
                .iter()
                .any(|&s| matches!(pool.node(s), Node::Index(i) if *i == index))
        {
            return true;
        }
        todo.extend(crate::expr::node::children(n));
    }
    false
}
