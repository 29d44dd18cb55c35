//! Building a [`CheckRequest`] from text: the variables by name, the claimed
//! derivatives as formulas, their free index names, and a point.

use crate::check::{CheckRequest, CheckVar};
use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::kind::Kind;
use crate::expr::node::{ExprId, Symbol};
use crate::lower::workspace::Workspace;
use crate::numeric::Evaluate;
use crate::numeric::oracle::{Dtype, Tolerances};

/// Splits a list at the commas outside brackets, trimming each item, so that a list of
/// formulas (`exp(x), -1/y`) or of index names reads as written.
pub fn split_list(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in text.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

/// `n` index names for a tensor's element (`i`, `k`, `l`, ...), each a name that is
/// not a scalar or a tensor and not among `avoid` (the free indices of the function).
pub fn fresh_indices(session: &mut Workspace, n: usize, avoid: &[Symbol]) -> Vec<Symbol> {
    let mut out = Vec::new();
    for cand in ["i", "k", "l", "m", "p", "q"] {
        if out.len() == n {
            break;
        }
        let s = session.pool.symbol(cand);
        let kind = session.kind_of(s);
        if kind.is_none() || (kind == Some(Kind::Index) && !avoid.contains(&s)) {
            out.push(s);
        }
    }
    out
}

/// What a check is asked in text, before it is read into a [`CheckRequest`].
#[derive(Clone, Debug)]
pub struct CheckText<'a> {
    /// The variables, by name: scalars, or tensors (every element).
    pub wrt: &'a [String],
    /// The claimed derivatives, one formula per variable, separated by commas; `None`
    /// checks gauge's own derivative.
    pub grad: Option<&'a str>,
    /// The free index names of a tensor's claim, separated by commas.
    pub index: Option<&'a str>,
    /// A point, as `--at` bindings or JSON; `None` draws random points.
    pub at: Option<&'a str>,
    /// The name the point's text is shown under in diagnostics.
    pub at_name: &'a str,
    /// Fixed axis lengths of random points, as `--len` gives them (`W=16x64`, `i=8`).
    pub lengths: &'a [String],
    /// How many random points.
    pub points: usize,
    /// The random seed.
    pub seed: u64,
    /// The precision of the claim and the finite differences.
    pub dtype: Dtype,
}

/// Reads a check of the function `id` from text.
pub fn request(session: &mut Workspace, id: ExprId, t: &CheckText<'_>) -> Result<CheckRequest> {
    let mut vars = Vec::new();
    for n in t.wrt {
        let kind = session
            .pool
            .lookup_symbol(n)
            .and_then(|s| session.kind_of(s).map(|k| (s, k)));
        match kind {
            Some((s, Kind::Scalar)) => vars.push(CheckVar::Scalar(s)),
            Some((s, Kind::Tensor(r))) => vars.push(CheckVar::Tensor(s, r)),
            Some((_, Kind::Index)) => {
                return Err(Error::new(
                    ErrorKind::Shape,
                    format!("`{n}` is an index; derivatives are taken by scalars and tensors"),
                ));
            }
            None => {
                return Err(Error::new(
                    ErrorKind::Name,
                    format!("`{n}` does not occur in the expression"),
                )
                .with_hint("--wrt takes names that the expression uses, separated by commas"));
            }
        }
    }
    let f_indices = session.pool.free_indices(id);
    let claims = match t.grad {
        None => None,
        Some(g) => {
            let parts = split_list(g);
            if parts.len() != vars.len() {
                return Err(Error::new(
                    ErrorKind::Arity,
                    format!(
                        "--grad has {} formulas for {} variables",
                        parts.len(),
                        vars.len()
                    ),
                )
                .with_hint("give one formula per variable of --wrt, separated by commas"));
            }
            let mut ids = Vec::new();
            for p in parts {
                ids.push(session.parse_expression_named("<grad>", &p)?);
            }
            Some(ids)
        }
    };
    // The free indices of each tensor's claim.
    let given: Option<Vec<String>> = t.index.map(split_list);
    let mut indices = Vec::new();
    for (k, v) in vars.iter().enumerate() {
        let CheckVar::Tensor(tensor, r) = v else {
            indices.push(Vec::new());
            continue;
        };
        let names: Vec<Symbol> = match (&claims, &given) {
            (_, Some(g)) => g.iter().map(|n| session.pool.symbol(n)).collect(),
            (Some(c), None) => session
                .pool
                .free_indices(c[k])
                .into_iter()
                .filter(|s| !f_indices.contains(s))
                .collect(),
            (None, None) => fresh_indices(session, *r as usize, &f_indices),
        };
        if names.len() != *r as usize {
            return Err(Error::new(
                ErrorKind::Shape,
                format!(
                    "the derivative by `{}` needs {r} free index name(s), found {}",
                    session.pool.name(*tensor),
                    names.len()
                ),
            )
            .with_hint("write the formula with a free index, as in `softmax(z)[i] - delta(i, y)`, or name it with --index"));
        }
        indices.push(names);
    }
    let at = match t.at {
        Some(a) => Some(session.parse_bindings_named(t.at_name, a)?),
        None => None,
    };
    Ok(CheckRequest {
        expr: id,
        vars,
        claims,
        indices,
        at,
        points: t.points,
        seed: t.seed,
        dtype: t.dtype,
        tolerances: Tolerances::for_dtype(t.dtype),
    })
}
