//! EML-native derivatives: the derivative of an EML DAG as an EML DAG, by the rule
//! `d eml(f, g) = exp(f) f' - g'/g`.
//!
//! The derivative is taken node by node over the DAG, each node once, and pruned as
//! it goes: a subtree without the variable has derivative 0 and drops out, and a
//! derivative of exactly 1 (the variable itself) is not multiplied by. So
//! `eml(f, 1)` has derivative `exp(f) f'`, `eml(c, g)` with `c` constant has `-g'/g`,
//! and the full rule is used only where both sides vary. The products, quotients and
//! differences the rule needs are the table's forms that hold on the whole complex
//! plane, because the values inside an EML tree are complex wherever the tree
//! computes a negative number or `i`.

use rustc_hash::FxHashMap;

use crate::eml::dag::{Dag, Id, Node};
use crate::eml::domain::Region;
use crate::eml::table::Table;

/// A derivative: zero, exactly one, or a subtree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum D {
    Zero,
    One,
    Of(Id),
}

/// Why the native derivative could not be taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoForm(pub String);

/// The derivative of the tree `root` of `dag` by the variable `var`, built in
/// `dag`; `None` when it is identically 0 (the tree does not contain `var`).
pub fn derivative(dag: &mut Dag, root: Id, var: &str, table: &Table) -> Result<Option<Id>, NoForm> {
    let mut memo: FxHashMap<Id, D> = FxHashMap::default();
    let var_id = dag.vars().iter().position(|v| v == var);
    let order = dag.reachable(root);
    let form = |name: &str| -> Result<&crate::eml::table::Form, NoForm> {
        table
            .best(name, Region::Complex)
            .or_else(|| table.of(name).into_iter().next())
            .ok_or_else(|| NoForm(format!("the table has no form of `{name}`")))
    };
    let (times, divide, subtract) = (form("times")?, form("divide")?, form("subtract")?);
    let (minus, inv) = (form("minus")?, form("inv")?);
    for id in order {
        let d = match dag.node(id) {
            Node::One => D::Zero,
            Node::Var(k) => {
                if Some(k as usize) == var_id {
                    D::One
                } else {
                    D::Zero
                }
            }
            Node::Eml(f, g) => {
                let (df, dg) = (memo[&f], memo[&g]);
                // exp(f) f'
                let left = match df {
                    D::Zero => None,
                    D::One => Some(dag.exp(f)),
                    D::Of(d) => {
                        let e = dag.exp(f);
                        Some(times.build(dag, &[e, d]))
                    }
                };
                // g'/g
                let right = match dg {
                    D::Zero => None,
                    D::One => Some(inv.build(dag, &[g])),
                    D::Of(d) => Some(divide.build(dag, &[d, g])),
                };
                match (left, right) {
                    (None, None) => D::Zero,
                    (Some(l), None) => D::Of(l),
                    (None, Some(r)) => D::Of(minus.build(dag, &[r])),
                    (Some(l), Some(r)) => D::Of(subtract.build(dag, &[l, r])),
                }
            }
        };
        memo.insert(id, d);
    }
    Ok(match memo[&root] {
        D::Zero => None,
        D::One => Some(dag.var(var)),
        D::Of(d) => Some(d),
    })
}
