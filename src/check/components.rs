//! One gradient's components as `gauge check --values` compares them: each component's
//! value, reference, bound and verdict ([`Component`]), stored by field for a whole
//! tensor ([`Components`]), and the one pass that finds the worst component, vacuity
//! and a systematic scale (`summarize`).
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`, `trace`, `simplify`, `calculus`, `codegen`.

use crate::numeric::elements::{self, Elements};

/// One component's comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Component {
    /// The program's value.
    pub got: f64,
    /// The reference (NaN where it has none: a kink with no defined derivative).
    pub want: f64,
    /// The bound the difference must stay within.
    pub bound: f64,
    /// At a kink, the one-sided derivatives (the subgradients lie between them).
    pub kink: Option<(f64, f64)>,
    /// Whether it passes.
    pub passed: bool,
}

impl Component {
    /// The relative error, against the reference's magnitude (and the bound, so that a
    /// reference of 0 does not divide).
    pub fn rel_error(&self) -> f64 {
        let want = match self.kink {
            Some((lo, hi)) if self.got >= lo.min(hi) && self.got <= lo.max(hi) => self.got,
            Some((lo, hi)) => {
                if (self.got - lo).abs() < (self.got - hi).abs() {
                    lo
                } else {
                    hi
                }
            }
            None => self.want,
        };
        let diff = (self.got - want).abs();
        if diff == 0.0 {
            0.0
        } else {
            diff / want.abs().max(f64::MIN_POSITIVE)
        }
    }
}

/// Every component of one gradient's comparison, stored by field (a layer's gradient
/// has millions): the program's values, the references, the bounds, whether each
/// passed, and the few that sit on a kink.
#[derive(Clone, Debug, Default)]
pub struct Components {
    pub(crate) got: Elements,
    pub(crate) want: Vec<f64>,
    pub(crate) bound: Vec<f64>,
    pub(crate) passed: Vec<bool>,
    /// The components at a kink, by position, with their one-sided derivatives.
    pub(crate) kinks: Vec<(usize, (f64, f64))>,
    /// For a gradient compared as it was computed (a large one that passed), the one
    /// component kept: its worst. The columns `want`, `bound` and `passed` are then
    /// empty.
    pub(crate) kept: Option<(usize, Component)>,
}

impl Components {
    /// How many components there are.
    pub fn len(&self) -> usize {
        self.got.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.got.is_empty()
    }

    /// Whether every component's reference and bound are kept. A large gradient that
    /// passed is compared block by block as it is computed, and keeps only its worst
    /// component (`gauge check --format json`, which lists every component, keeps
    /// them all).
    pub fn is_complete(&self) -> bool {
        self.kept.is_none()
    }

    /// The component at `k` (row-major position). Of a gradient that is not
    /// [complete](Components::is_complete), a component other than the worst has the
    /// program's value, no reference (NaN) and `passed` set, as every one of them did.
    pub fn get(&self, k: usize) -> Component {
        if let Some((at, c)) = self.kept {
            if at == k {
                return c;
            }
            return Component {
                got: self.got.get(k),
                want: f64::NAN,
                bound: f64::NAN,
                kink: None,
                passed: true,
            };
        }
        Component {
            got: self.got.get(k),
            want: self.want[k],
            bound: self.bound[k],
            kink: self.kink(k),
            passed: self.passed[k],
        }
    }

    /// Every component, in order.
    pub fn iter(&self) -> impl Iterator<Item = Component> + '_ {
        (0..self.len()).map(|k| self.get(k))
    }

    /// The one-sided derivatives at `k`, if it sits on a kink.
    fn kink(&self, k: usize) -> Option<(f64, f64)> {
        if self.kinks.is_empty() {
            return None;
        }
        self.kinks
            .binary_search_by_key(&k, |x| x.0)
            .ok()
            .map(|i| self.kinks[i].1)
    }

    /// Replaces the component at `k`.
    pub(crate) fn set(&mut self, k: usize, c: Component) {
        self.want[k] = c.want;
        self.bound[k] = c.bound;
        self.passed[k] = c.passed;
        match (self.kinks.binary_search_by_key(&k, |x| x.0), c.kink) {
            (Ok(i), Some(v)) => self.kinks[i].1 = v,
            (Ok(i), None) => {
                self.kinks.remove(i);
            }
            (Err(i), Some(v)) => self.kinks.insert(i, (k, v)),
            (Err(_), None) => {}
        }
    }
}

/// How far a component is beyond its bound (its error over its bound).
fn excess(c: &Component) -> f64 {
    if c.got.is_nan() || (c.want.is_nan() && c.kink.is_none()) {
        return f64::INFINITY;
    }
    let want = match c.kink {
        Some((lo, hi)) => c.got.clamp(lo.min(hi), lo.max(hi)),
        None => c.want,
    };
    (c.got - want).abs() / c.bound
}

/// What one pass over a gradient's components finds.
pub(crate) struct Summary {
    /// The failing component with the largest error over its bound, or, when none
    /// fails, the component nearest its bound.
    pub(crate) worst: Option<usize>,
    /// The systematic scale, where significant (see below).
    pub(crate) scale: Option<f64>,
    /// Whether any component fails.
    pub(crate) any_failing: bool,
    /// Whether every component is within its bound of zero.
    pub(crate) vacuous: bool,
    /// The worst component itself.
    pub(crate) worst_component: Option<Component>,
    /// Whether some component has no reference or no bound (a block's summary only).
    pub(crate) undefined: bool,
}

/// The worst component, the failing ones, vacuity and the systematic scale `c` of
/// `got ≈ c * want` over the whole tensor, in one pass.
///
/// The scale counts when it differs from 1 by more than rounding explains: the compute
/// part of the bounds may all lean one way, but the storage roundings are independent,
/// so their share shrinks as the square root of the number of components (six standard
/// deviations of it are allowed).
pub(crate) fn summarize(components: &Components, us: f64) -> Summary {
    let view = View {
        got: components.got.view(),
        want: &components.want,
        bound: &components.bound,
        passed: &components.passed,
        kinks: &components.kinks,
    };
    // A layer's gradient has millions of components: the halves are summarized on
    // two threads where the machine has them, and joined in order.
    let n = view.want.len();
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get().min(2));
    let parts: Vec<Partial> = if threads > 1 && n >= 1 << 20 {
        let mid = n / 2;
        std::thread::scope(|scope| {
            let second = scope.spawn(|| view.partial(mid..n, us));
            let first = view.partial(0..mid, us);
            vec![
                first,
                second.join().unwrap_or_else(|_| view.partial(mid..n, us)),
            ]
        })
    } else {
        vec![view.partial(0..n, us)]
    };
    merge(parts)
}

/// The summary of a gradient from the summaries of its consecutive ranges, in order.
pub(crate) fn merge(parts: Vec<Partial>) -> Summary {
    let mut total = Partial::default();
    for p in parts {
        // A later component wins a tie, as it did in one pass.
        let later = |a: Option<Worst>, b: Option<Worst>| match (a, b) {
            (Some(x), Some(y)) if x.1.total_cmp(&y.1).is_gt() => Some(x),
            (x, None) => x,
            (_, y) => y,
        };
        total.worst_failing = later(total.worst_failing, p.worst_failing);
        total.worst_any = later(total.worst_any, p.worst_any);
        total.vacuous &= p.vacuous;
        total.undefined |= p.undefined;
        total.dot += p.dot;
        total.norm += p.norm;
        total.leaning += p.leaning;
        total.storage += p.storage;
    }
    let allowed = total.leaning + 6.0 * f64::sqrt(total.storage);
    let scale =
        (total.norm != 0.0 && total.dot.abs() > allowed).then(|| 1.0 + total.dot / total.norm);
    let worst = total.worst_failing.or(total.worst_any);
    Summary {
        worst: worst.map(|w| w.0),
        worst_component: worst.map(|w| w.2),
        scale,
        any_failing: total.worst_failing.is_some(),
        vacuous: total.vacuous,
        undefined: total.undefined,
    }
}

/// A gradient's components judged block by block as they are computed: the
/// program's values, the storage roundoff `us`, and the factor of the running error
/// bound in a component's bound.
pub(crate) struct Judge<'g> {
    pub(crate) got: elements::View<'g>,
    pub(crate) us: f64,
    pub(crate) compute: f64,
}

impl Judge<'_> {
    /// The summary of the components from `start` on, whose references and error
    /// bounds are `want` and `error`. A component without either is only marked
    /// (`undefined`): the caller then compares the gradient whole, kinks and all.
    pub(crate) fn block(&self, start: usize, want: &[f64], error: &[f64]) -> Partial {
        // A block whose every component passes (as in a gradient that passes) is summed
        // in one tight pass; a layer's gradient is tens of millions of components.
        let mut got = Vec::with_capacity(want.len());
        self.got.read_into(start..start + want.len(), &mut got);
        if let Some(p) = self.all_passing(start, want, error, &got) {
            return p;
        }
        // Otherwise, one component at a time, as `summarize` takes them.
        let mut p = Partial::default();
        for (i, ((&w, &e), &g)) in want.iter().zip(error).zip(&got).enumerate() {
            if !w.is_finite() || !e.is_finite() {
                p.undefined = true;
                continue;
            }
            let bound = self.bound(w, e);
            let c = Component {
                got: g,
                want: w,
                bound,
                kink: None,
                passed: g.is_finite() && (g - w).abs() <= bound,
            };
            p.add(start + i, c, self.us);
        }
        p
    }
}

impl Judge<'_> {
    /// The bound of a component whose reference is `w` and its error bound `e`: the
    /// storage rounding, the computation's, and the smallest positive number (so that
    /// a reference of 0 bounds something).
    fn bound(&self, w: f64, e: f64) -> f64 {
        let b = self.us * w.abs() + self.compute * e + f64::MIN_POSITIVE;
        if b.is_finite() { b } else { f64::MAX }
    }

    /// [`Judge::block`] where every component is defined, finite and within its
    /// bound, as in a gradient that passes: the sums run in four lanes, without a
    /// branch, so that they compile to vector code; `None` when some component is
    /// not so (the caller then takes the exact path).
    fn all_passing(
        &self,
        start: usize,
        want: &[f64],
        error: &[f64],
        got: &[f64],
    ) -> Option<Partial> {
        let us = self.us;
        let bound = |w: f64, e: f64| self.bound(w, e);
        let mut ok = [true; 4];
        let mut vacuous = [true; 4];
        let mut most = [0.0f64; 4];
        let mut at = [0usize; 4];
        let mut sums = [[0.0f64; 4]; 4];
        let mut step = |l: usize, i: usize, w: f64, e: f64, g: f64| {
            let stored = us * w.abs();
            let b = bound(w, e);
            let diff = (g - w).abs();
            ok[l] &= w.is_finite() & e.is_finite() & g.is_finite() & b.is_finite() & (diff <= b);
            let x = diff / b;
            // A later component wins a tie, as in one pass.
            if x >= most[l] {
                (most[l], at[l]) = (x, i);
            }
            vacuous[l] &= w.abs() <= b;
            sums[0][l] += w * (g - w);
            sums[1][l] += w * w;
            sums[2][l] += w.abs() * (b - stored).max(0.0);
            sums[3][l] += (w * stored) * (w * stored);
        };
        let (mut wc, mut ec, mut gc) = (
            want.chunks_exact(4),
            error.chunks_exact(4),
            got.chunks_exact(4),
        );
        for (k, ((w4, e4), g4)) in wc.by_ref().zip(ec.by_ref()).zip(gc.by_ref()).enumerate() {
            for l in 0..4 {
                step(l, 4 * k + l, w4[l], e4[l], g4[l]);
            }
        }
        let tail = want.len() - wc.remainder().len();
        for (j, ((&w, &e), &g)) in wc
            .remainder()
            .iter()
            .zip(ec.remainder())
            .zip(gc.remainder())
            .enumerate()
        {
            step(0, tail + j, w, e, g);
        }
        let ok = ok.iter().all(|&x| x);
        let vacuous = vacuous.iter().all(|&x| x);
        // The largest excess, and of its components the last.
        let (most, i) = (0..4).fold((0.0f64, 0usize), |(m, i), l| {
            if most[l] > m || (most[l] == m && at[l] >= i) {
                (most[l], at[l])
            } else {
                (m, i)
            }
        });
        if !ok {
            return None;
        }
        let c = Component {
            got: got[i],
            want: want[i],
            bound: bound(want[i], error[i]),
            kink: None,
            passed: true,
        };
        let total = |k: usize| sums[k].iter().sum::<f64>();
        Some(Partial {
            worst_any: Some((start + i, most, c)),
            vacuous,
            dot: total(0),
            norm: total(1),
            leaning: total(2),
            storage: total(3) / 3.0,
            ..Partial::default()
        })
    }
}

/// The columns of [`Components`] as plain slices, which threads can share.
struct View<'c> {
    got: elements::View<'c>,
    want: &'c [f64],
    bound: &'c [f64],
    passed: &'c [bool],
    kinks: &'c [(usize, (f64, f64))],
}

/// A component by position, with its error over its bound.
type Worst = (usize, f64, Component);

/// What [`summarize`] finds in a range of components.
pub(crate) struct Partial {
    worst_failing: Option<Worst>,
    worst_any: Option<Worst>,
    vacuous: bool,
    undefined: bool,
    dot: f64,
    norm: f64,
    leaning: f64,
    storage: f64,
}

impl Default for Partial {
    fn default() -> Partial {
        Partial {
            worst_failing: None,
            worst_any: None,
            vacuous: true,
            undefined: false,
            dot: 0.0,
            norm: 0.0,
            leaning: 0.0,
            storage: 0.0,
        }
    }
}

impl View<'_> {
    /// The summary of the components in `range`.
    fn partial(&self, range: std::ops::Range<usize>, us: f64) -> Partial {
        let mut p = Partial::default();
        for k in range {
            let kink = if self.kinks.is_empty() {
                None
            } else {
                self.kinks
                    .binary_search_by_key(&k, |x| x.0)
                    .ok()
                    .map(|i| self.kinks[i].1)
            };
            let c = Component {
                got: self.got.get(k),
                want: self.want[k],
                bound: self.bound[k],
                kink,
                passed: self.passed[k],
            };
            p.add(k, c, us);
        }
        p
    }
}

impl Partial {
    /// Takes component `c`, at position `k`, into the summary.
    fn add(&mut self, k: usize, c: Component, us: f64) {
        let e = excess(&c);
        if self.worst_any.is_none_or(|w| e.total_cmp(&w.1).is_ge()) {
            self.worst_any = Some((k, e, c));
        }
        if !c.passed && self.worst_failing.is_none_or(|w| e.total_cmp(&w.1).is_ge()) {
            self.worst_failing = Some((k, e, c));
        }
        self.vacuous &= c.kink.is_none() && c.want.is_finite() && c.want.abs() <= c.bound;
        if c.kink.is_some() || !c.want.is_finite() || !c.got.is_finite() {
            return;
        }
        self.dot += c.want * (c.got - c.want);
        self.norm += c.want * c.want;
        let stored = us * c.want.abs();
        self.leaning += c.want.abs() * (c.bound - stored).max(0.0);
        self.storage += (c.want * stored).powi(2) / 3.0;
    }
}
