//! Derivative lemmas in derivatives of higher order: `diff(F, x, m) = R` applied to
//! `diff(F[x := v], v, n)` with `n >= m`, which becomes `diff(R[x := v], v, n - m)`.
//!
//! The n-th derivative is the (n - m)-th derivative of the m-th; the lemma says that
//! the m-th derivative of `F` equals `R` for every value of `x`, so as functions of
//! `v` they are equal and so are their derivatives. `x` is only renamed to the
//! derivative's own variable (`v` may be a scalar or an element): with an inner
//! expression, the chain rule of higher order would be needed, which this does not
//! apply. `F` must not depend on `v` otherwise than through `x`. May import what
//! [`crate::calculus`] may.

use crate::expr::node::{ExprId, Node};
use crate::expr::pool::Pool;
use crate::expr::subst::Subst;
use crate::trace::Step;

use super::{Form, LemmaRule};

/// `e` with every derivative of order 2 or more that a derivative lemma covers
/// rewritten by it, outermost first, and the step that does it; `None` when no lemma
/// has an instance. A first derivative is left to the derivation taken one rule at a
/// time, where the chain rule may take part.
pub fn rewrite_higher_orders(pool: &mut Pool, e: ExprId, rules: &[LemmaRule]) -> Option<Step> {
    if !rules
        .iter()
        .any(|r| matches!(r.form, Form::Derivative { .. }))
    {
        return None;
    }
    super::rewrite_outermost(pool, e, true, &mut |pool, x| {
        let Node::Diff { expr, var, order } = *pool.node(x) else {
            return None;
        };
        if order < 2 {
            return None;
        }
        rules.iter().find_map(|rule| {
            instance(pool, rule, expr, var, order)
                .filter(|&r| r != x)
                .map(|r| (rule.rule, r))
        })
    })
}

/// What `diff(g, v, n)` becomes by the lemma, or `None` when it is no instance.
fn instance(pool: &mut Pool, rule: &LemmaRule, g: ExprId, v: ExprId, n: u32) -> Option<ExprId> {
    let Form::Derivative {
        function,
        var: x,
        order: m,
        derivative,
        substitutable,
        ref others,
    } = rule.form
    else {
        return None;
    };
    let v_name = match pool.node(v) {
        Node::Sym(s) | Node::Elem(s, _) => *s,
        _ => return None,
    };
    if m > n || others.contains(&v_name) {
        return None;
    }
    let x_node = pool.sym(x);
    if v != x_node && !substitutable {
        return None;
    }
    let mut s = Subst::default();
    s.scalars.insert(x, v);
    if pool.substitute(function, &s) != g {
        return None;
    }
    let r = pool.substitute(derivative, &s);
    Some(pool.diff(r, v, n - m))
}
