//! Building a [`CheckRequest`] from text: the variables by name, the claimed
//! derivatives as formulas, their free index names, and a point.

use crate::calculus::adjoint::Adjoint;
use crate::check::{CheckRequest, CheckVar, Intermediate, Lengths};
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
    // Index names written with a variable (`h[j]`), which name its claim's free
    // indices as `--index` does.
    let mut written: Vec<Option<Vec<String>>> = Vec::new();
    for item in t.wrt {
        let (n, idx) = split_element(item);
        written.push(idx);
        let n = n.as_str();
        if let Some(m) = intermediate(session, id, n)? {
            vars.push(CheckVar::Intermediate(m));
            continue;
        }
        let kind = session
            .pool
            .lookup_symbol(n)
            .and_then(|s| session.kind_of(s).map(|k| (s, k)));
        if written.last().is_some_and(|w| w.is_some())
            && !matches!(kind, Some((_, Kind::Tensor(_))))
        {
            return Err(Error::new(
                ErrorKind::Shape,
                format!(
                    "`{item}` selects an element, but `{n}` is not a tensor or a named intermediate"
                ),
            )
            .with_hint(format!("write `--wrt {n}`")));
        }
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
        let (name, r) = match v {
            CheckVar::Tensor(tensor, r) => (session.pool.name(*tensor).to_string(), *r),
            CheckVar::Intermediate(m) if m.rank > 0 => {
                (v.name(&session.pool).to_string(), m.rank as u32)
            }
            _ => {
                indices.push(Vec::new());
                continue;
            }
        };
        let names: Vec<Symbol> = match (&claims, &given, &written[k]) {
            (_, _, Some(w)) => w.iter().map(|n| session.pool.symbol(n)).collect(),
            (_, Some(g), None) => g.iter().map(|n| session.pool.symbol(n)).collect(),
            (Some(c), None, None) => session
                .pool
                .free_indices(c[k])
                .into_iter()
                .filter(|s| !f_indices.contains(s))
                .collect(),
            (None, None, None) => fresh_indices(session, r as usize, &f_indices),
        };
        if names.len() != r as usize {
            return Err(Error::new(
                ErrorKind::Shape,
                format!(
                    "the derivative by `{name}` needs {r} free index name(s), found {}",
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
    if at.is_some() && !t.lengths.is_empty() {
        return Err(Error::new(
            ErrorKind::Binding,
            "--len fixes the axis lengths of random points, and --at gives the point itself",
        )
        .with_hint("drop --len: the point's tensors have the shapes they are given"));
    }
    let mut exprs = vec![id];
    exprs.extend(claims.iter().flatten().copied());
    let mut lengths = Lengths::linked(&mut session.pool, &exprs);
    for text in t.lengths {
        lengths.fixed.extend(fixed_length(session, id, text)?);
    }
    Ok(CheckRequest {
        expr: id,
        vars,
        claims,
        indices,
        at,
        lengths,
        points: t.points,
        seed: t.seed,
        dtype: t.dtype,
        tolerances: Tolerances::for_dtype(t.dtype),
    })
}

/// A variable as `--wrt` writes it: a name, or an element whose indices name the
/// claim's free indices (`h[j]`, `W[a, b]`).
fn split_element(item: &str) -> (String, Option<Vec<String>>) {
    let item = item.trim();
    match item.split_once('[') {
        Some((name, rest)) if rest.ends_with(']') => {
            let inside = &rest[..rest.len() - 1];
            (name.trim().to_string(), Some(split_list(inside)))
        }
        _ => (item.to_string(), None),
    }
}

/// The named intermediate `name` as a check's variable (see
/// [`crate::calculus::adjoint`]): a definition without parameters, which the
/// function `id` is written with as an input; `None` when `name` is not a definition.
fn intermediate(session: &mut Workspace, id: ExprId, name: &str) -> Result<Option<Intermediate>> {
    let Some(&def) = session.scope.defs.get(name) else {
        return Ok(None);
    };
    let d = session.pool.definition(def);
    if d.builtin.is_some() || !d.params.is_empty() {
        return Err(Error::new(
            ErrorKind::Shape,
            format!("cannot differentiate with respect to `{name}`: it is a function, not a variable or an intermediate value"),
        )
        .with_hint("--wrt takes the function's inputs, or definitions without parameters (`let h[i] = ...`)"));
    }
    let rank = d.indices.len();
    // Any indices do: the function written with the stand-in does not depend on them.
    let idx: Vec<ExprId> = (0..rank).map(|_| session.pool.int(0)).collect();
    let var = session.pool.call(def, Vec::new(), idx);
    let Some(adj) = Adjoint::new(&mut session.pool, id, var)? else {
        return Ok(None);
    };
    Ok(Some(Intermediate {
        def,
        stand_in: adj.stand_in,
        rank,
        function: adj.expr,
    }))
}

/// The axes one `--len` fixes (`W1=16x64`: a tensor's shape; `i=8`: the axis a free
/// index of the function `id` runs over), each with its length.
fn fixed_length(session: &mut Workspace, id: ExprId, text: &str) -> Result<Vec<(ExprId, usize)>> {
    let usage =
        "--len takes a tensor's shape, as in `W1=16x64`, or a free index's length, as in `i=8`";
    let Some((name, value)) = text.split_once('=') else {
        return Err(
            Error::new(ErrorKind::Binding, format!("`{text}` gives no length")).with_hint(usage),
        );
    };
    let name = name.trim();
    let mut lengths = Vec::new();
    for part in value.split(['x', '×', ',']) {
        match part.trim().parse::<usize>() {
            Ok(n) if n > 0 => lengths.push(n),
            _ => {
                return Err(Error::new(
                    ErrorKind::Binding,
                    format!("`{}` in `{text}` is not an axis length", part.trim()),
                )
                .with_hint("an axis length is a whole number from 1, as in `W1=16x64`"));
            }
        }
    }
    let symbol = session.pool.lookup_symbol(name);
    let used = session.names_used(id);
    let kind = symbol.and_then(|s| session.kind_of(s).map(|k| (s, k)));
    match kind {
        Some((s, Kind::Tensor(r))) if used.contains(&s) => {
            if lengths.len() != r as usize {
                let example = vec!["8"; r as usize].join("x");
                let axes = if r == 1 {
                    "1 axis".to_string()
                } else {
                    format!("{r} axes")
                };
                return Err(Error::new(
                    ErrorKind::Shape,
                    format!(
                        "`{name}` has {axes}, and `{text}` gives {} length(s)",
                        lengths.len()
                    ),
                )
                .with_hint(format!(
                    "give one length per axis, as in `{name}={example}`"
                )));
            }
            Ok((0..r)
                .zip(lengths)
                .map(|(a, n)| (session.pool.len_of(s, a), n))
                .collect())
        }
        Some((s, Kind::Index)) if session.pool.free_indices(id).contains(&s) => {
            let [n] = lengths[..] else {
                return Err(Error::new(
                    ErrorKind::Shape,
                    format!(
                        "the index `{name}` runs over one axis, and `{text}` gives {} lengths",
                        lengths.len()
                    ),
                )
                .with_hint(format!("write `{name}=8`")));
            };
            match session.pool.axis_of(s, id) {
                Some(axis) => Ok(vec![(axis, n)]),
                None => Err(Error::new(
                    ErrorKind::Binding,
                    format!(
                        "the index `{name}` selects no tensor's axis, so it has no length to fix"
                    ),
                )),
            }
        }
        _ => {
            let what = match kind {
                _ if session.scope.defs.contains_key(name) => {
                    "a definition, whose lengths follow from the tensors it reads".to_string()
                }
                Some((_, Kind::Scalar)) => "a scalar, which has no axes".to_string(),
                Some((_, Kind::Index)) => "an index that is not free in the function (a sum's index is renamed; fix the tensor it runs over instead)".to_string(),
                _ => "not a tensor or a free index of the function".to_string(),
            };
            Err(Error::new(ErrorKind::Name, format!("`{name}` is {what}")).with_hint(usage))
        }
    }
}
