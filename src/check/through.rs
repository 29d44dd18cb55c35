//! Naming a wrong term inside a network: the program's gradient fitted against the
//! terms of the adjoint of an intermediate (`d loss / d A[a, b]` for `let A = ...`).
//!
//! A layer's backward bug (a dropped LayerNorm term, a forgotten `- onehot`) lives in
//! the adjoint of some intermediate, and reaches a parameter through the layers in
//! between, which the program gets right. So for each intermediate `v` that the
//! parameter feeds, gauge expands `v`'s adjoint into its terms `T_k` (short, because
//! it is written with the downstream intermediates' names), evaluates each term at
//! the dump's values, and carries it to the parameter through `v`'s Jacobian: the
//! column `C_k = d/dp sum_m T_k[m] * v[m]`, with `T_k` held fixed. When `v` lies on
//! every path from the parameter to the loss, the columns add up to the correct
//! gradient (which is checked), and the program's gradient is fitted as a combination
//! of them, as the parameter's own terms are. The explanation names the intermediate,
//! the terms of its adjoint that are absent or flipped, and their sum, the residual.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`, `trace`, `simplify`, `calculus`.

use crate::check::explain::{Explanation, fit};
use crate::check::values::{Dump, ParamCheck};
use crate::diag::error::Result;
use crate::expr::kind::Kind;
use crate::expr::node::{DefId, ExprId, Node, Symbol};
use crate::lower::workspace::Workspace;
use crate::numeric::tape::{Elementwise, Tape};
use crate::numeric::value::{Tensor, Value};
use crate::simplify::simplifier::Simplifier;

/// At most this many intermediates are tried for one parameter.
const MAX_INTERMEDIATES: usize = 12;

/// The work budget of one intermediate's fit (nodes built): an adjoint that multiplies
/// out past it is not fitted, and the rest of the check keeps its own budget.
const FIT_BUDGET: usize = 200_000;

/// At most this many segments (an intermediate, and where its adjoint is written to)
/// are fitted for one parameter.
const MAX_SEGMENTS: usize = 40;

/// The intermediates a parameter feeds: definitions without parameters whose value
/// depends on it, nearest the loss first (the order of the definitions, reversed).
fn intermediates(ws: &mut Workspace, param: Symbol) -> Vec<DefId> {
    let mut out = Vec::new();
    for d in ws.definitions_in_order().into_iter().rev() {
        let def = ws.pool.definition(d).clone();
        if !def.params.is_empty()
            || def.builtin.is_some()
            || def.reduce.is_some()
            || matches!(ws.pool.node(def.body), Node::Len(..))
        {
            continue;
        }
        let idx: Vec<ExprId> = (0..def.indices.len()).map(|_| ws.pool.int(0)).collect();
        let call = ws.pool.call(d, Vec::new(), idx);
        if ws.pool.free_variables(call).contains(&param) {
            out.push(d);
        }
        if out.len() == MAX_INTERMEDIATES {
            break;
        }
    }
    out
}

/// The best explanation through an intermediate: the one that changes the fewest
/// terms (then the shortest residual); `None` when no intermediate gives one.
///
/// Each intermediate `u` the parameter feeds is tried with the whole rest of the
/// network (its adjoint in closed form), and with each later intermediate `v` as the
/// end of a segment: `u`'s adjoint written with `v`'s adjoint as a tensor of its own,
/// `d<v>`, so that a layer's backward reads as the textbook writes it (LayerNorm's
/// three terms in `dxhat`).
pub fn explain_through(
    ws: &mut Workspace,
    loss: ExprId,
    param: Symbol,
    over: &[Symbol],
    dump: &Dump,
    p: &ParamCheck,
) -> Result<Option<Explanation>> {
    let mut best: Option<(usize, usize, Explanation)> = None;
    let mut made = Made::default();
    // The loss itself, when it is a definition, is no intermediate: its adjoint is 1.
    let fed: Vec<DefId> = intermediates(ws, param)
        .into_iter()
        .filter(|&d| {
            let name = ws.pool.definition(d).name;
            let call = ws.pool.call(d, Vec::new(), Vec::new());
            call != loss && !ws.pool.name(name).starts_with('%')
        })
        .collect();
    // Each intermediate with the rest of the network first, then the segments, the
    // shortest first. `fed` runs from the loss towards the parameter: the ones before
    // `u` are later in the network, and end a segment when they depend on it.
    let mut segments: Vec<(DefId, Option<DefId>)> = fed.iter().map(|&u| (u, None)).collect();
    for gap in 1..fed.len() {
        for k in gap..fed.len() {
            let (u, v) = (fed[k], fed[k - gap]);
            if depends_on(ws, v, u) {
                segments.push((u, Some(v)));
            }
        }
    }
    for (u, v) in segments.into_iter().take(MAX_SEGMENTS) {
        let left = ws.pool.budget_left();
        ws.pool
            .set_budget(Some(left.map_or(FIT_BUDGET, |l| l.min(FIT_BUDGET))));
        let found = through(ws, &mut made, (loss, param, over), dump, p, u, v);
        let exhausted = ws.pool.over_budget();
        ws.pool.set_budget(left);
        let Some(e) = found? else {
            continue;
        };
        if exhausted {
            continue;
        }
        let changed = match &e {
            Explanation::Terms { changes, .. } => changes.len(),
            _ => usize::MAX,
        };
        // Fewest terms changed; on a tie, the first found (nearest the loss).
        if best.as_ref().is_none_or(|b| changed < b.0) {
            best = Some((changed, 0, e));
        }
    }
    // The tensors made here are this fit's own: their names are free again for the
    // next parameter's.
    for s in made.upstream.values().chain(made.weights.values()) {
        ws.scope.kinds.remove(s);
    }
    Ok(best.map(|b| b.2))
}

/// The tensors made for the fits, kept for every segment of one parameter: the
/// downstream adjoints (`dxhat`), by intermediate, and the weights, by rank.
#[derive(Default)]
struct Made {
    upstream: rustc_hash::FxHashMap<DefId, Symbol>,
    weights: rustc_hash::FxHashMap<usize, Symbol>,
}

/// Whether the intermediate `v`'s value depends on the intermediate `u`'s.
fn depends_on(ws: &mut Workspace, v: DefId, u: DefId) -> bool {
    let rank = ws.pool.definition(v).indices.len();
    let idx: Vec<ExprId> = (0..rank).map(|_| ws.pool.int(0)).collect();
    let call = ws.pool.call(v, Vec::new(), idx);
    let urank = ws.pool.definition(u).indices.len();
    let uidx: Vec<ExprId> = (0..urank).map(|_| ws.pool.int(0)).collect();
    let ucall = ws.pool.call(u, Vec::new(), uidx);
    matches!(
        crate::calculus::adjoint::Adjoint::new(&mut ws.pool, call, ucall),
        Ok(Some(a)) if a.expr != call
    )
}

/// The shape of an intermediate at the dump's values.
fn shape_of(ws: &mut Workspace, v: DefId, dump: &Dump) -> Result<Option<Vec<usize>>> {
    let def = ws.pool.definition(v).clone();
    let mut shape = Vec::with_capacity(def.indices.len());
    for &r in &def.index_ranges {
        let len = ws.pool.instantiate_len(v, &[], r);
        let tape = Tape::compile(&mut ws.pool, len)?;
        let inputs = tape.inputs(&ws.pool, dump.point())?;
        let n = tape.eval(&inputs)?;
        if !(n >= 1.0 && n.fract() == 0.0) {
            return Ok(None);
        }
        shape.push(n as usize);
    }
    Ok(Some(shape))
}

/// `sum_m w[m] * v[m]` over the intermediate `v`'s positions (`w * v` for a scalar),
/// with fresh index names.
fn paired(ws: &mut Workspace, w: Symbol, v: DefId, avoid: &[Symbol]) -> Option<ExprId> {
    let def = ws.pool.definition(v).clone();
    let rank = def.indices.len();
    let names = crate::check::request::fresh_indices(ws, rank, avoid);
    if names.len() != rank {
        return None;
    }
    let idx: Vec<ExprId> = names.iter().map(|&i| ws.pool.index(i)).collect();
    let call = ws.pool.call(v, Vec::new(), idx.clone());
    if rank == 0 {
        let w = ws.pool.sym(w);
        return Some(ws.pool.mul(vec![w, call]));
    }
    let w = ws.pool.elem(w, idx);
    let mut body = ws.pool.mul(vec![w, call]);
    for (&i, &r) in names.iter().zip(&def.index_ranges).rev() {
        let range = ws.pool.instantiate_len(v, &[], r);
        body = ws.pool.sum(i, range, body);
    }
    Some(body)
}

/// A tensor (or scalar) symbol of the given rank, not otherwise used, named after
/// `base` (primes added until it is free).
fn fresh_tensor(
    ws: &mut Workspace,
    base: &str,
    rank: usize,
    span: crate::diag::source::Span,
) -> Symbol {
    let mut name = base.to_string();
    loop {
        let s = ws.pool.symbol(&name);
        if ws.kind_of(s).is_none() && !ws.scope.defs.contains_key(&name) {
            let kind = if rank == 0 {
                Kind::Scalar
            } else {
                Kind::Tensor(rank as u32)
            };
            ws.scope.kinds.insert(s, (kind, span));
            return s;
        }
        name.push('\'');
    }
}

/// The values of `e` at every position of `shape` over the indices `over`, or `None`
/// where one is undefined.
fn values_at(
    ws: &mut Workspace,
    e: ExprId,
    over: &[Symbol],
    shape: &[usize],
    at: &crate::numeric::value::Bindings,
) -> Result<Option<Value>> {
    if over.is_empty() {
        let tape = Tape::compile(&mut ws.pool, e)?;
        let inputs = tape.inputs(&ws.pool, at)?;
        return Ok(tape
            .eval(&inputs)
            .ok()
            .filter(|x| x.is_finite())
            .map(Value::Scalar));
    }
    let tape = Elementwise::compile(&mut ws.pool, e, over)?;
    let inputs = tape.inputs(&ws.pool, at)?;
    let data: Option<Vec<f64>> = tape
        .run::<f64>(&inputs, shape)
        .into_iter()
        .map(|x| x.filter(|x| x.is_finite()))
        .collect();
    Ok(data.map(|data| {
        Value::Tensor(std::rc::Rc::new(Tensor {
            shape: shape.to_vec(),
            data,
        }))
    }))
}

/// The fit through the intermediate `u`: its adjoint, of the whole loss or (with `v`)
/// of the segment up to `v`, in terms of `v`'s adjoint.
fn through(
    ws: &mut Workspace,
    made: &mut Made,
    (loss, param, over): (ExprId, Symbol, &[Symbol]),
    dump: &Dump,
    p: &ParamCheck,
    u: DefId,
    v: Option<DefId>,
) -> Result<Option<Explanation>> {
    let def = ws.pool.definition(u).clone();
    let rank = def.indices.len();
    let avoid: Vec<Symbol> = ws
        .pool
        .free_indices(loss)
        .into_iter()
        .chain(over.iter().copied())
        .collect();
    let u_over = crate::check::request::fresh_indices(ws, rank, &avoid);
    if u_over.len() != rank {
        return Ok(None);
    }
    let u_idx: Vec<ExprId> = u_over.iter().map(|&i| ws.pool.index(i)).collect();
    let u_call = ws.pool.call(u, Vec::new(), u_idx);
    let defs = ws.definitions_in_order();
    let facts = ws.facts.clone();
    // What `u`'s adjoint is taken of: the loss, or `sum(d<v> * v)` with `d<v>` bound
    // to `v`'s adjoint at the dump.
    let mut at = dump.point().clone();
    let mut upstream = None;
    let of = match v {
        None => loss,
        Some(v) => {
            let vdef = ws.pool.definition(v).clone();
            let vname = ws.pool.name(vdef.name).to_string();
            let Some(vshape) = shape_of(ws, v, dump)? else {
                return Ok(None);
            };
            let v_over = crate::check::request::fresh_indices(ws, vdef.indices.len(), &avoid);
            let v_idx: Vec<ExprId> = v_over.iter().map(|&i| ws.pool.index(i)).collect();
            let v_call = ws.pool.call(v, Vec::new(), v_idx);
            let adjoint = crate::calculus::derivation::derive_with_steps(
                &mut ws.pool,
                loss,
                v_call,
                1,
                &defs,
                &facts,
            )?
            .result;
            let Some(value) = values_at(ws, adjoint, &v_over, &vshape, &at)? else {
                return Ok(None);
            };
            let g = match made.upstream.get(&v) {
                Some(&g) => g,
                None => {
                    let g = fresh_tensor(ws, &format!("d{vname}"), vdef.indices.len(), vdef.span);
                    made.upstream.insert(v, g);
                    g
                }
            };
            at.insert(g, value);
            upstream = Some((ws.pool.name(g).to_string(), vname));
            let Some(pair) = paired(ws, g, v, &avoid) else {
                return Ok(None);
            };
            pair
        }
    };
    let adjoint =
        crate::calculus::derivation::derive_with_steps(&mut ws.pool, of, u_call, 1, &defs, &facts)?
            .result;
    let expanded = Simplifier::new(&mut ws.pool, defs.clone())
        .with_facts(facts.clone())
        .expand(adjoint, 4 * crate::check::explain::MAX_TERMS);
    let terms: Vec<ExprId> = match ws.pool.node(expanded) {
        Node::Add(ts) if ts.len() <= crate::check::explain::MAX_TERMS => ts.to_vec(),
        _ => return Ok(None),
    };
    let Some(shape) = shape_of(ws, u, dump)? else {
        return Ok(None);
    };
    // The columns: each term carried to the parameter through `u`'s Jacobian, as the
    // derivative of `sum_m V[m] * u[m]` with `V` bound to the term's values.
    let weight = match made.weights.get(&rank) {
        Some(&w) => w,
        None => {
            let w = fresh_tensor(ws, "%adjoint-term", rank, def.span);
            made.weights.insert(rank, w);
            w
        }
    };
    let Some(carrying) = paired(ws, weight, u, &avoid) else {
        return Ok(None);
    };
    let idx: Vec<ExprId> = over.iter().map(|&i| ws.pool.index(i)).collect();
    let var = if over.is_empty() {
        ws.pool.sym(param)
    } else {
        ws.pool.elem(param, idx)
    };
    let carried = crate::calculus::derivation::derive_with_steps(
        &mut ws.pool,
        carrying,
        var,
        1,
        &defs,
        &facts,
    )?
    .result;
    let carry = Elementwise::compile(&mut ws.pool, carried, over)?;
    let mut columns = Vec::with_capacity(terms.len());
    for &t in &terms {
        let Some(value) = values_at(ws, t, &u_over, &shape, &at)? else {
            return Ok(None);
        };
        let mut bound = at.clone();
        bound.insert(weight, value);
        let inputs = carry.inputs(&ws.pool, &bound)?;
        let column: Vec<f64> = carry
            .run::<f64>(&inputs, &p.shape)
            .into_iter()
            .map(|x| x.unwrap_or(f64::NAN))
            .collect();
        columns.push(column);
    }
    // The intermediate must carry the whole gradient: its columns add up to it.
    let cs = &p.components;
    let whole = cs.iter().enumerate().all(|(k, c)| {
        if c.kink.is_some() || !c.want.is_finite() {
            return true;
        }
        let sum: f64 = columns.iter().map(|col| col[k]).sum();
        (sum - c.want).abs() <= 2.0 * c.bound
    });
    if !whole {
        return Ok(None);
    }
    let name = ws.pool.name(def.name).to_string();
    let element = if rank == 0 {
        name
    } else {
        let names: Vec<&str> = u_over.iter().map(|&i| ws.pool.name(i)).collect();
        format!("{name}[{}]", names.join(", "))
    };
    let mut shown = format!("the adjoint of {element} (d loss/d {element})");
    if let Some((g, vname)) = upstream {
        shown = format!("{shown} written with {g} = d loss/d {vname}");
    }
    fit(ws, &terms, &columns, p, Some(shown))
}
