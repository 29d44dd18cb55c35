//! The audit: a compiled form against its source formula, at points chosen to find
//! branch errors, in `f64` and in certified arithmetic.
//!
//! The points are real ones of both signs; complex ones, some with `|Im| > π`
//! (where `ln(exp z) ≠ z`); points a hair (`1e-7`) above and below the real axis and
//! either side of the imaginary axis, so that both sides of every branch cut of the
//! calculator's functions are probed (`ln`, `sqrt` and `power` on the negative reals,
//! `asin`, `acos` and `atanh` beyond ±1, `acosh` below 1, `atan` and `asinh` on the
//! imaginary axis beyond ±i); and points exactly on those cuts, where the stated
//! convention decides. A point counts only where the source is defined and every
//! condition the compiled form carries holds.
//!
//! At each point the form and the source are evaluated in `f64` (agreement within
//! `1e-6` relative: a branch error is of order 1) and enclosed with certified bounds
//! (agreement means overlapping enclosures that are both narrow; disjoint ones are a
//! certified wrong value). A point where the form has no value but the source does
//! is wrong too, unless the form only needs `ln 0` there (a *singular* point,
//! reported apart: no EML form without extended reals passes through 0 of a
//! logarithm). Anything the arithmetic cannot decide is *unsure*. A form is verified
//! only with no wrong and no unsure point.

use crate::eml::certify;
use crate::eml::complex::C64;
use crate::eml::dag::{Dag, Id};
use crate::eml::domain::{Condition, Region};
use crate::eml::float::{self, Value};
use crate::eml::reference;
use crate::expr::node::ExprId;
use crate::expr::pool::Pool;
use crate::numeric::precise::Fail;

/// The precision of the certified check, in bits.
pub const BITS: usize = 256;

/// One point where the form and its source disagree, or could not be compared.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The point: each variable's value.
    pub point: Vec<(String, C64)>,
    /// What was found.
    pub what: String,
}

/// The audit's outcome.
#[derive(Clone, Debug, Default)]
pub struct Audit {
    /// Points where the source is defined and the conditions hold: the ones checked.
    pub checked: usize,
    /// Points outside the form's stated domain.
    pub outside: usize,
    /// Points where the source itself is undefined.
    pub undefined: usize,
    /// Wrong values in `f64`.
    pub wrong_f64: Vec<Finding>,
    /// Certified wrong values.
    pub wrong_certified: Vec<Finding>,
    /// Points the certified arithmetic could not decide.
    pub unsure: Vec<Finding>,
    /// Points where the form needs `ln 0`.
    pub singular: Vec<Finding>,
    /// The largest relative `f64` error among agreeing points.
    pub worst_f64: f64,
}

impl Audit {
    /// No wrong value in either arithmetic, and nothing unsure.
    pub fn verified(&self) -> bool {
        self.wrong_f64.is_empty() && self.wrong_certified.is_empty() && self.unsure.is_empty()
    }
}

/// The audit points for a formula of `n` variables.
pub fn points(n: usize) -> Vec<Vec<C64>> {
    let c = C64::new;
    if n == 0 {
        return vec![Vec::new()];
    }
    if n == 1 {
        let mut out = Vec::new();
        for r in [0.1, 0.37, 0.93, 1.7, 2.5, 4.2, 9.1] {
            out.push(c(r, 0.0));
            out.push(c(-r, 0.0));
        }
        for r in [-4.2, -1.7, -0.6, 0.6, 1.7, 4.2] {
            out.push(c(r, 1e-7));
            out.push(c(r, -1e-7));
            out.push(c(1e-7, r));
            out.push(c(-1e-7, r));
        }
        for s in [-1.7, -0.6, 0.6, 1.7] {
            out.push(c(0.0, s));
        }
        for (re, im) in [
            (0.7, 0.4),
            (-1.3, 2.2),
            (2.1, -1.9),
            (-0.4, -0.8),
            (0.3, 4.1),
            (-2.2, -5.3),
            (3.5, 7.7),
            (-0.9, 3.3),
            (1.2, -3.6),
        ] {
            out.push(c(re, im));
        }
        return out.into_iter().map(|z| vec![z]).collect();
    }
    let each = [
        c(0.37, 0.0),
        c(1.7, 0.0),
        c(4.2, 0.0),
        c(-0.93, 0.0),
        c(-2.5, 0.0),
        c(0.7, 0.4),
        c(-1.3, 2.2),
        c(0.3, 4.1),
        c(-2.2, -5.3),
        c(-1.7, 1e-7),
        c(-1.7, -1e-7),
        c(2.1, -1.9),
    ];
    if n == 2 {
        let mut out = Vec::new();
        for &x in &each {
            for &y in &each {
                out.push(vec![x, y]);
            }
        }
        return out;
    }
    (0..150)
        .map(|j| {
            (0..n)
                .map(|v| each[(j * 7 + v * 3 + j / 12) % each.len()])
                .collect()
        })
        .collect()
}

/// Audits the tree `root` of `dag` against `source` (in `pool`), over the variables
/// `vars` (the source's, in the order the points give them), counting only points
/// where every condition holds.
pub fn audit(
    pool: &mut Pool,
    source: ExprId,
    vars: &[String],
    dag: &Dag,
    root: Id,
    conditions: &[Condition],
) -> Audit {
    let mut out = Audit::default();
    for point in points(vars.len()) {
        judge(pool, source, vars, dag, root, conditions, &point, &mut out);
    }
    out
}

/// The largest region on which the form is right at every audit point whose
/// variables all lie in it (the narrowest region, [`Region::Positive`], when not
/// even there), with the audit of the points in that region.
pub fn region(
    pool: &mut Pool,
    source: ExprId,
    vars: &[String],
    dag: &Dag,
    root: Id,
) -> Option<(Region, Audit)> {
    // Each point judged once, by itself.
    let judged: Vec<(Vec<C64>, Audit)> = points(vars.len())
        .into_iter()
        .map(|p| {
            let mut a = Audit::default();
            judge(pool, source, vars, dag, root, &[], &p, &mut a);
            (p, a)
        })
        .collect();
    let order = [
        Region::Complex,
        Region::Strip,
        Region::OffCut,
        Region::Real,
        Region::Positive,
    ];
    for r in order {
        let mut total = Audit::default();
        for (p, a) in &judged {
            if p.iter().all(|z| r.contains(z.re, z.im)) {
                total.merge(a);
            }
        }
        if total.verified() && total.checked > 0 {
            return Some((r, total));
        }
    }
    None
}

impl Audit {
    fn merge(&mut self, o: &Audit) {
        self.checked += o.checked;
        self.outside += o.outside;
        self.undefined += o.undefined;
        self.wrong_f64.extend(o.wrong_f64.iter().cloned());
        self.wrong_certified
            .extend(o.wrong_certified.iter().cloned());
        self.unsure.extend(o.unsure.iter().cloned());
        self.singular.extend(o.singular.iter().cloned());
        self.worst_f64 = self.worst_f64.max(o.worst_f64);
    }
}

/// Judges one point, adding what it finds to `out`.
#[allow(clippy::too_many_arguments)]
fn judge(
    pool: &mut Pool,
    source: ExprId,
    vars: &[String],
    dag: &Dag,
    root: Id,
    conditions: &[Condition],
    point: &[C64],
    out: &mut Audit,
) {
    let named: Vec<(&str, C64)> = vars
        .iter()
        .map(String::as_str)
        .zip(point.iter().copied())
        .collect();
    let labelled =
        || -> Vec<(String, C64)> { named.iter().map(|(n, z)| (n.to_string(), *z)).collect() };
    // The conditions, evaluated on the source's subexpressions.
    let inside = conditions.iter().all(|c| {
        reference::eval_f64(pool, c.arg, &named).is_ok_and(|v| c.region.contains(v.re, v.im))
    });
    if !inside {
        out.outside += 1;
        return;
    }
    let Ok(want) = reference::eval_f64(pool, source, &named) else {
        out.undefined += 1;
        return;
    };
    out.checked += 1;
    // The DAG's variables by number, from the point.
    let dag_vars: Vec<C64> = dag
        .vars()
        .iter()
        .map(|v| {
            named
                .iter()
                .find(|(n, _)| n == v)
                .map_or(C64::new(0.0, 0.0), |p| p.1)
        })
        .collect();
    let fvals: Vec<Value> = dag_vars
        .iter()
        .map(|z| Value::complex(z.re, z.im))
        .collect();
    match float::eval(dag, root, &fvals) {
        Ok(v) => {
            let err = (v.re - want.re).hypot(v.im - want.im) / (1.0 + want.abs());
            if err <= 1e-6 {
                out.worst_f64 = out.worst_f64.max(err);
            } else {
                out.wrong_f64.push(Finding {
                    point: labelled(),
                    what: format!(
                        "f64: the form gives {}, the source {}",
                        show(v.re, v.im),
                        show(want.re, want.im)
                    ),
                });
            }
        }
        Err(float::Fail::LnZero) => out.singular.push(Finding {
            point: labelled(),
            what: "the form needs ln 0 here".into(),
        }),
        Err(float::Fail::Overflow) => {}
        Err(f) => out.wrong_f64.push(Finding {
            point: labelled(),
            what: format!(
                "f64: the form has no value ({}), the source {}",
                f.reason(),
                show(want.re, want.im)
            ),
        }),
    }
    certified(pool, source, &named, dag, root, &dag_vars, out, labelled());
}

#[allow(clippy::too_many_arguments)]
fn certified(
    pool: &mut Pool,
    source: ExprId,
    named: &[(&str, C64)],
    dag: &Dag,
    root: Id,
    dag_vars: &[C64],
    out: &mut Audit,
    point: Vec<(String, C64)>,
) {
    let want = match reference::eval_ball(pool, source, named, BITS) {
        Ok(b) => b,
        Err(f) => {
            out.unsure.push(Finding {
                point,
                what: format!("the source's enclosure: {}", f.reason()),
            });
            return;
        }
    };
    let got = match certify::enclose(dag, root, dag_vars, BITS) {
        Ok(b) => b,
        Err(Fail::Undefined(why)) if why.contains("ln 0") => {
            if !out.singular.iter().any(|s| s.point == point) {
                out.singular.push(Finding { point, what: why });
            }
            return;
        }
        Err(Fail::Undefined(why)) => {
            out.wrong_certified.push(Finding {
                point,
                what: format!("the form is undefined ({why}) where the source is defined"),
            });
            return;
        }
        Err(f) => {
            out.unsure.push(Finding {
                point,
                what: format!("the form's enclosure: {}", f.reason()),
            });
            return;
        }
    };
    let disjoint = want.re.disjoint(&got.re) || want.im.disjoint(&got.im);
    if disjoint {
        let (g, w) = (got.midpoint(), want.midpoint());
        out.wrong_certified.push(Finding {
            point,
            what: format!(
                "certified: the form's enclosure ({}) and the source's ({}) are disjoint",
                show(g.re, g.im),
                show(w.re, w.im)
            ),
        });
        return;
    }
    let scale = 1.0 + want.midpoint().abs();
    let narrow = 2f64.powi(-(BITS as i32) / 4) * scale;
    if got.width() > narrow || want.width() > narrow {
        out.unsure.push(Finding {
            point,
            what: format!(
                "the enclosures overlap but are too wide to call equal (widths {:.1e} and {:.1e})",
                got.width(),
                want.width()
            ),
        });
    }
}

/// A complex number for a message.
pub fn show(re: f64, im: f64) -> String {
    if im == 0.0 {
        format!("{re}")
    } else if im < 0.0 {
        format!("{re} - {}i", -im)
    } else {
        format!("{re} + {im}i")
    }
}
