//! A check's report in brief: for each variable, how many components were checked,
//! the worst of them, and what the comparison concluded; so that a check of thousands
//! of components reads in a few lines and the components that need a look stand out.

use crate::check::{CheckReport, PointCheck};
use crate::numeric::oracle::{Agreement, ComponentCheck, Oracle};

/// How far one component's claim is from its references: the largest relative error
/// against a trusted oracle, and that oracle (`None` where the claim is undefined, so
/// the error is infinite).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Error {
    /// The relative error (infinite where the claim or a trusted reference has no
    /// value).
    pub rel_error: f64,
    /// The oracle it was measured against.
    pub oracle: Option<Oracle>,
}

/// The error of a component, or `None` where nothing could be measured: at a kink
/// (the derivative does not exist), or where no oracle was trusted and the claim is
/// defined.
pub fn error(c: &ComponentCheck) -> Option<Error> {
    if let Agreement::Kink { .. } = c.verdict {
        return None;
    }
    if c.claim.is_none() {
        return Some(Error {
            rel_error: f64::INFINITY,
            oracle: None,
        });
    }
    c.readings
        .iter()
        .filter(|r| r.trusted)
        .map(|r| Error {
            rel_error: if r.rel_error.is_finite() {
                r.rel_error
            } else {
                f64::INFINITY
            },
            oracle: Some(r.oracle),
        })
        .reduce(|a, b| if b.rel_error > a.rel_error { b } else { a })
}

/// Where a component is: the number of its point and its position there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    /// The point, counted from 0.
    pub point: usize,
    /// The component's position among the point's components.
    pub component: usize,
}

/// One variable's components over every point.
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    /// The variable's name.
    pub name: String,
    /// How many components were checked, over every point.
    pub components: usize,
    /// How many disagree with a trusted reference (or have an undefined claim).
    pub failing: usize,
    /// How many sit on a kink.
    pub kinks: usize,
    /// How many had no reference that could be trusted.
    pub inconclusive: usize,
    /// The worst component: a failing one before any that passes, then the largest
    /// error; a kink or an inconclusive component only where nothing was measured.
    pub worst: Option<(At, Option<Error>)>,
}

impl Variable {
    /// Whether every component passes.
    pub fn passed(&self) -> bool {
        self.failing == 0
    }
}

/// The rank of a component for being shown as the worst: failing first, then by error.
fn rank(c: &ComponentCheck) -> (bool, bool, f64) {
    let e = error(c);
    (!c.passes(), e.is_some(), e.map_or(0.0, |e| e.rel_error))
}

/// The summary of each variable.
pub fn variables(report: &CheckReport) -> Vec<Variable> {
    let mut out: Vec<Variable> = report
        .variables
        .iter()
        .map(|name| Variable {
            name: name.clone(),
            components: 0,
            failing: 0,
            kinks: 0,
            inconclusive: 0,
            worst: None,
        })
        .collect();
    for (pi, p) in report.points.iter().enumerate() {
        for (v, span) in out.iter_mut().zip(&p.spans) {
            for ci in span.clone() {
                let c = &p.components[ci];
                v.components += 1;
                v.failing += usize::from(!c.passes());
                match c.verdict {
                    Agreement::Kink { .. } => v.kinks += 1,
                    Agreement::Inconclusive => v.inconclusive += 1,
                    Agreement::Agrees | Agreement::Disagrees => {}
                }
                let better = match v.worst {
                    None => true,
                    Some((at, _)) => {
                        rank(c) > rank(&report.points[at.point].components[at.component])
                    }
                };
                if better {
                    let at = At {
                        point: pi,
                        component: ci,
                    };
                    v.worst = Some((at, error(c)));
                }
            }
        }
    }
    out
}

/// The components that need a look: those that fail (the largest errors first), then
/// those that sit on a kink or could not be judged, each group in the order checked.
pub fn notable(report: &CheckReport) -> Vec<(&PointCheck, &ComponentCheck)> {
    let mut out: Vec<(&PointCheck, &ComponentCheck)> = report
        .points
        .iter()
        .flat_map(|p| p.components.iter().map(move |c| (p, c)))
        .filter(|(_, c)| !c.passes() || !matches!(c.verdict, Agreement::Agrees))
        .collect();
    // A stable sort keeps the order checked among equals.
    out.sort_by(|a, b| {
        let (ra, rb) = (rank(a.1), rank(b.1));
        (rb.0, rb.2)
            .partial_cmp(&(ra.0, ra.2))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    out
}
