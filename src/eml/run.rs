//! `gauge eml`: a formula, or its derivative, compiled, audited and chosen.
//!
//! The caller (the facade) gives the source formula and the equivalent forms of it
//! worth compiling (its simplified form, say), and for `--diff` the symbolic
//! derivative as the source and the formula whose EML-native derivative to take. Every
//! candidate is compiled and audited against the one source; the shortest verified
//! one wins, and when none verifies, the shortest is returned with its audit, which
//! says what is wrong.

use crate::eml::audit::{self, Audit};
use crate::eml::compile::{self, Compiled, Options, Unsupported};
use crate::eml::dag::Measure;
use crate::eml::derive;
use crate::eml::table::Table;
use crate::expr::node::ExprId;
use crate::expr::pool::Pool;

/// What to compile.
#[derive(Clone, Debug)]
pub struct Request {
    /// What the result must equal: the formula, or its derivative.
    pub source: ExprId,
    /// Other forms of the source to compile (a simplified form), each checked against
    /// `source`.
    pub alternatives: Vec<ExprId>,
    /// For a derivative: the variable, and the formula whose EML form is
    /// differentiated natively.
    pub native: Option<(String, ExprId)>,
    /// Compilation options.
    pub options: Options,
}

/// How a candidate was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The formula as written.
    Written,
    /// Another form of it (simplified, or the symbolic derivative's).
    Alternative,
    /// The EML-native derivative of the formula's form.
    Native,
}

/// One compiled candidate, audited.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// How it was made.
    pub origin: Origin,
    /// The compiled DAG and its conditions.
    pub compiled: Compiled,
    /// Its sizes.
    pub measure: Measure,
    /// Its audit against the source.
    pub audit: Audit,
}

/// The outcome of `gauge eml`.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The source's variables, in order.
    pub vars: Vec<String>,
    /// The chosen candidate.
    pub chosen: Candidate,
    /// Every candidate, the chosen one included.
    pub candidates: Vec<Candidate>,
}

/// Compiles and audits every candidate of `req`, and chooses.
pub fn run(pool: &mut Pool, req: &Request) -> Result<Outcome, Unsupported> {
    let table = Table::committed();
    let vars: Vec<String> = pool
        .free_variables(req.source)
        .into_iter()
        .map(|s| pool.name(s).to_string())
        .collect();
    let mut candidates = Vec::new();
    let mut first_error = None;
    let mut sources = vec![(Origin::Written, req.source)];
    sources.extend(req.alternatives.iter().map(|&a| (Origin::Alternative, a)));
    for (origin, src) in sources {
        match compile::compile_with(pool, src, req.options, table) {
            Ok(c) => candidates.push(candidate(pool, req.source, &vars, origin, c)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some((var, of)) = &req.native {
        match compile::compile_with(pool, *of, req.options, table) {
            Ok(mut c) => match derive::derivative(&mut c.dag, c.root, var, table) {
                Ok(d) => {
                    let root = match d {
                        Some(r) => r,
                        None => zero(&mut c.dag, table),
                    };
                    // The native derivative's conditions are the function's: the rule
                    // itself holds wherever the function's form does.
                    c.root = root;
                    candidates.push(candidate(pool, req.source, &vars, Origin::Native, c));
                }
                Err(e) => {
                    first_error.get_or_insert(Unsupported {
                        what: var.clone(),
                        why: e.0,
                    });
                }
            },
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let best = candidates
        .iter()
        .enumerate()
        .min_by_key(|(_, c)| (!c.audit.verified(), c.measure.k.clone(), c.measure.distinct))
        .map(|(n, _)| n);
    let Some(best) = best else {
        return Err(first_error.unwrap_or(Unsupported {
            what: String::new(),
            why: "nothing to compile".into(),
        }));
    };
    Ok(Outcome {
        vars,
        chosen: candidates[best].clone(),
        candidates,
    })
}

fn candidate(
    pool: &mut Pool,
    source: ExprId,
    vars: &[String],
    origin: Origin,
    compiled: Compiled,
) -> Candidate {
    let measure = compiled.dag.measure(compiled.root);
    let audit = audit::audit(
        pool,
        source,
        vars,
        &compiled.dag,
        compiled.root,
        &compiled.conditions,
    );
    Candidate {
        origin,
        compiled,
        measure,
        audit,
    }
}

/// The table's `0` in `dag`, for a derivative that is identically zero.
fn zero(dag: &mut crate::eml::dag::Dag, table: &Table) -> crate::eml::dag::Id {
    match table.best("0", crate::eml::domain::Region::Complex) {
        Some(f) => f.build(dag, &[]),
        None => {
            // eml(1, eml(eml(1, 1), 1)) = e - ln(e^e) = 0.
            let one = dag.one();
            let e = dag.eml(one, one);
            let ee = dag.eml(e, one);
            dag.eml(one, ee)
        }
    }
}
