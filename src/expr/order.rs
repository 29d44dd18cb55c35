//! The structural order that sorts the terms of sums and the factors of products.
//!
//! The order depends only on the structure of expressions and on the text of names,
//! never on handles (which reflect allocation order), so canonical forms and printed
//! output are the same on every run. It is chosen to read like hand-written math:
//! numbers first (`2*x`, `1 - tanh(x)^2`), then plain names in natural order (`x2`
//! before `x10`), then elements, deltas, calls and functions, and sums last in a
//! product (`2*x*(a + b)`). A power sorts next to its base (`x`, `x^2`, `y`).
//!
//! Comparing two distinct nodes descends into at most one pair of unequal children
//! per level (equal children are equal handles), so a comparison costs time linear in
//! depth even on heavily shared DAGs.

use std::cmp::Ordering;

use crate::expr::node::{ExprId, Node};
use crate::expr::pool::Pool;

/// Compares two names in natural order: runs of digits compare as numbers.
pub fn cmp_names(a: &str, b: &str) -> Ordering {
    let (mut ai, mut bi) = (a.char_indices().peekable(), b.char_indices().peekable());
    loop {
        match (ai.peek().copied(), bi.peek().copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some((pa, ca)), Some((pb, cb))) => {
                if ca.is_ascii_digit() && cb.is_ascii_digit() {
                    let ea = a[pa..]
                        .find(|c: char| !c.is_ascii_digit())
                        .map_or(a.len(), |e| pa + e);
                    let eb = b[pb..]
                        .find(|c: char| !c.is_ascii_digit())
                        .map_or(b.len(), |e| pb + e);
                    let (da, db) = (
                        a[pa..ea].trim_start_matches('0'),
                        b[pb..eb].trim_start_matches('0'),
                    );
                    let c = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
                    if c != Ordering::Equal {
                        return c;
                    }
                    while ai.peek().is_some_and(|&(p, _)| p < ea) {
                        ai.next();
                    }
                    while bi.peek().is_some_and(|&(p, _)| p < eb) {
                        bi.next();
                    }
                } else {
                    let c = ca.cmp(&cb);
                    if c != Ordering::Equal {
                        return c;
                    }
                    ai.next();
                    bi.next();
                }
            }
        }
    }
}

/// The rank of a node kind when two bases of different kinds meet.
fn kind_rank(node: &Node) -> u8 {
    match node {
        Node::Num(_) => 0,
        Node::Const(_) => 1,
        Node::Sym(_) => 2,
        Node::Len(_, _) => 3,
        Node::Index(_) => 4,
        Node::Tensor(_) => 5,
        Node::Elem(_, _) => 6,
        Node::Delta(_, _) => 7,
        Node::Call { .. } => 8,
        Node::Func(_, _) => 9,
        Node::Sum { .. } => 10,
        Node::Diff { .. } => 11,
        Node::Pow(_, _) => 12,
        Node::Mul(_) => 13,
        Node::Add(_) => 14,
    }
}

impl Pool {
    /// The total structural order on expressions (see the module docs).
    pub fn cmp(&self, a: ExprId, b: ExprId) -> Ordering {
        if a == b {
            return Ordering::Equal;
        }
        // Numbers come first and compare by value.
        match (self.node(a), self.node(b)) {
            (Node::Num(x), Node::Num(y)) => return x.cmp(y),
            (Node::Num(_), _) => return Ordering::Less,
            (_, Node::Num(_)) => return Ordering::Greater,
            _ => {}
        }
        // Terms compare by their non-numeric factors, then by coefficient.
        let fa = self.monomial(&a);
        let fb = self.monomial(&b);
        for (x, y) in fa.iter().zip(fb.iter()) {
            let c = self.cmp_factor(*x, *y);
            if c != Ordering::Equal {
                return c;
            }
        }
        fa.len()
            .cmp(&fb.len())
            .then_with(|| self.coefficient(a).cmp(&self.coefficient(b)))
    }

    /// The non-numeric factors of a term: a product's factors after its coefficient, or
    /// the term itself.
    fn monomial<'a>(&'a self, id: &'a ExprId) -> &'a [ExprId] {
        match self.node(*id) {
            Node::Mul(fs) => match self.node(fs[0]) {
                Node::Num(_) => &fs[1..],
                _ => fs,
            },
            _ => std::slice::from_ref(id),
        }
    }

    /// Compares two factors by base, then by exponent.
    fn cmp_factor(&self, a: ExprId, b: ExprId) -> Ordering {
        if a == b {
            return Ordering::Equal;
        }
        let (ba, ea) = self.base_exp(a);
        let (bb, eb) = self.base_exp(b);
        let c = self.cmp_base(ba, bb);
        if c != Ordering::Equal {
            return c;
        }
        match (ea, eb) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => self.cmp(x, y),
        }
    }

    fn base_exp(&self, id: ExprId) -> (ExprId, Option<ExprId>) {
        match self.node(id) {
            Node::Pow(b, e) => (*b, Some(*e)),
            _ => (id, None),
        }
    }

    fn cmp_list(&self, xs: &[ExprId], ys: &[ExprId]) -> Ordering {
        for (x, y) in xs.iter().zip(ys.iter()) {
            let c = self.cmp(*x, *y);
            if c != Ordering::Equal {
                return c;
            }
        }
        xs.len().cmp(&ys.len())
    }

    /// Compares two bases: by kind, then by content.
    fn cmp_base(&self, a: ExprId, b: ExprId) -> Ordering {
        if a == b {
            return Ordering::Equal;
        }
        let (na, nb) = (self.node(a), self.node(b));
        let r = kind_rank(na).cmp(&kind_rank(nb));
        if r != Ordering::Equal {
            return r;
        }
        // Between compound nodes of one kind, the shallower comes first: this settles
        // most comparisons of deep, nearly equal expressions (a chain of nested
        // functions) without walking down them, which keeps sorting fast.
        if !na.is_leaf()
            && !matches!(na, Node::Func(f, _) if !matches!(nb, Node::Func(g, _) if g == f))
        {
            let h = self.height(a).cmp(&self.height(b));
            if h != Ordering::Equal {
                return h;
            }
        }
        // Only the comparisons of content recurse, down both expressions at once.
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.cmp_base(a, b));
        }
        match (na, nb) {
            (Node::Num(x), Node::Num(y)) => x.cmp(y),
            (Node::Const(x), Node::Const(y)) => x.cmp(y),
            (Node::Sym(x), Node::Sym(y))
            | (Node::Index(x), Node::Index(y))
            | (Node::Tensor(x), Node::Tensor(y)) => cmp_names(self.name(*x), self.name(*y)),
            (Node::Len(x, i), Node::Len(y, k)) => {
                cmp_names(self.name(*x), self.name(*y)).then(i.cmp(k))
            }
            (Node::Elem(x, xs), Node::Elem(y, ys)) => {
                cmp_names(self.name(*x), self.name(*y)).then_with(|| self.cmp_list(xs, ys))
            }
            (Node::Delta(a1, a2), Node::Delta(b1, b2)) => {
                self.cmp(*a1, *b1).then_with(|| self.cmp(*a2, *b2))
            }
            (
                Node::Call {
                    def: d1,
                    args: a1,
                    indices: i1,
                },
                Node::Call {
                    def: d2,
                    args: a2,
                    indices: i2,
                },
            ) => {
                let n1 = self.name(self.definition(*d1).name);
                let n2 = self.name(self.definition(*d2).name);
                cmp_names(n1, n2)
                    .then_with(|| self.cmp_list(a1, a2))
                    .then_with(|| self.cmp_list(i1, i2))
                    // Two definitions of one name (a shadowed one and its successor).
                    .then_with(|| d1.cmp(d2))
            }
            (Node::Func(f, x), Node::Func(g, y)) => f.cmp(g).then_with(|| self.cmp(*x, *y)),
            (
                Node::Sum {
                    index: i1,
                    range: r1,
                    body: b1,
                },
                Node::Sum {
                    index: i2,
                    range: r2,
                    body: b2,
                },
            ) => self
                .cmp(*b1, *b2)
                .then_with(|| self.cmp(*r1, *r2))
                .then_with(|| cmp_names(self.name(*i1), self.name(*i2))),
            (
                Node::Diff {
                    expr: e1,
                    var: v1,
                    order: o1,
                },
                Node::Diff {
                    expr: e2,
                    var: v2,
                    order: o2,
                },
            ) => self
                .cmp(*e1, *e2)
                .then_with(|| self.cmp(*v1, *v2))
                .then(o1.cmp(o2)),
            (Node::Pow(b1, e1), Node::Pow(b2, e2)) => {
                self.cmp(*b1, *b2).then_with(|| self.cmp(*e1, *e2))
            }
            (Node::Mul(xs), Node::Mul(ys)) | (Node::Add(xs), Node::Add(ys)) => {
                self.cmp_list(xs, ys)
            }
            // Equal ranks imply equal kinds, so the remaining pairs cannot occur; order
            // them by rank anyway to keep the order total.
            _ => kind_rank(na).cmp(&kind_rank(nb)),
        }
    }
}
