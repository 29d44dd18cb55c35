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
/// terms; `None` when no intermediate gives one.
pub fn explain_through(
    ws: &mut Workspace,
    loss: ExprId,
    param: Symbol,
    over: &[Symbol],
    dump: &Dump,
    p: &ParamCheck,
) -> Result<Option<Explanation>> {
    let mut best: Option<(usize, Explanation)> = None;
    for v in intermediates(ws, param) {
        let left = ws.pool.budget_left();
        ws.pool
            .set_budget(Some(left.map_or(FIT_BUDGET, |l| l.min(FIT_BUDGET))));
        let found = through(ws, loss, param, over, dump, p, v);
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
        if best.as_ref().is_none_or(|b| changed < b.0) {
            best = Some((changed, e));
        }
    }
    Ok(best.map(|b| b.1))
}

/// The fit through one intermediate.
fn through(
    ws: &mut Workspace,
    loss: ExprId,
    param: Symbol,
    over: &[Symbol],
    dump: &Dump,
    p: &ParamCheck,
    v: DefId,
) -> Result<Option<Explanation>> {
    let def = ws.pool.definition(v).clone();
    let rank = def.indices.len();
    let avoid: Vec<Symbol> = ws
        .pool
        .free_indices(loss)
        .into_iter()
        .chain(over.iter().copied())
        .collect();
    let v_over = crate::check::request::fresh_indices(ws, rank, &avoid);
    if v_over.len() != rank {
        return Ok(None);
    }
    let v_idx: Vec<ExprId> = v_over.iter().map(|&i| ws.pool.index(i)).collect();
    let v_call = ws.pool.call(v, Vec::new(), v_idx.clone());
    // The adjoint of the intermediate, in its terms.
    let defs = ws.definitions_in_order();
    let facts = ws.facts.clone();
    let adjoint = crate::calculus::derivation::derive_with_steps(
        &mut ws.pool,
        loss,
        v_call,
        1,
        &defs,
        &facts,
    )?
    .result;
    let expanded = Simplifier::new(&mut ws.pool, defs.clone())
        .with_facts(facts.clone())
        .expand(adjoint, 4 * crate::check::explain::MAX_TERMS);
    let terms: Vec<ExprId> = match ws.pool.node(expanded) {
        Node::Add(ts) if ts.len() <= crate::check::explain::MAX_TERMS => ts.to_vec(),
        _ => return Ok(None),
    };
    // The intermediate's shape at the dump.
    let mut shape = Vec::with_capacity(rank);
    for &r in &def.index_ranges {
        let len = ws.pool.instantiate_len(v, &[], r);
        let tape = Tape::compile(&mut ws.pool, len)?;
        let inputs = tape.inputs(&ws.pool, &dump.point)?;
        let n = tape.eval(&inputs)?;
        if !(n >= 1.0 && n.fract() == 0.0) {
            return Ok(None);
        }
        shape.push(n as usize);
    }
    // The columns: each term carried to the parameter through the intermediate's
    // Jacobian, as the derivative of `sum_m V[m] * v[m]` with `V` bound to the term.
    let weight = ws.pool.symbol("%adjoint-term");
    ws.scope
        .kinds
        .insert(weight, (Kind::Tensor(rank as u32), def.span));
    let paired = if rank == 0 {
        let w = ws.pool.sym(weight);
        ws.pool.mul(vec![w, v_call])
    } else {
        let w = ws.pool.elem(weight, v_idx.clone());
        let mut body = ws.pool.mul(vec![w, v_call]);
        for (&i, &r) in v_over.iter().zip(&def.index_ranges).rev() {
            let range = ws.pool.instantiate_len(v, &[], r);
            body = ws.pool.sum(i, range, body);
        }
        body
    };
    let idx: Vec<ExprId> = over.iter().map(|&i| ws.pool.index(i)).collect();
    let var = if over.is_empty() {
        ws.pool.sym(param)
    } else {
        ws.pool.elem(param, idx)
    };
    let carried = crate::calculus::derivation::derive_with_steps(
        &mut ws.pool,
        paired,
        var,
        1,
        &defs,
        &facts,
    )?
    .result;
    let carry = Elementwise::compile(&mut ws.pool, carried, over)?;
    let mut columns = Vec::with_capacity(terms.len());
    for &t in &terms {
        let values: Vec<f64> = if rank == 0 {
            let tape = Tape::compile(&mut ws.pool, t)?;
            let inputs = tape.inputs(&ws.pool, &dump.point)?;
            vec![tape.eval(&inputs).unwrap_or(f64::NAN)]
        } else {
            let tape = Elementwise::compile(&mut ws.pool, t, &v_over)?;
            let inputs = tape.inputs(&ws.pool, &dump.point)?;
            tape.run::<f64>(&inputs, &shape)
                .into_iter()
                .map(|x| x.unwrap_or(f64::NAN))
                .collect()
        };
        if values.iter().any(|x| !x.is_finite()) {
            return Ok(None);
        }
        let mut at = dump.point.clone();
        at.insert(
            weight,
            if rank == 0 {
                Value::Scalar(values[0])
            } else {
                Value::Tensor(std::rc::Rc::new(Tensor {
                    shape: shape.clone(),
                    data: values,
                }))
            },
        );
        let inputs = carry.inputs(&ws.pool, &at)?;
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
    let shown = if rank == 0 {
        name
    } else {
        let names: Vec<&str> = v_over.iter().map(|&i| ws.pool.name(i)).collect();
        format!("{name}[{}]", names.join(", "))
    };
    fit(ws, &terms, &columns, p, Some(shown))
}
