//! EML in plain floating point at a chosen precision: what an ordinary evaluator
//! (mpmath, Mathematica's numerics) computes, rounding to nearest at every step and
//! knowing nothing exactly.
//!
//! This is the measure of a constant's robustness. The paper's `i` comes out `-i` at
//! most precisions because a value that is truly on the logarithm's cut is computed
//! with a tiny imaginary part whose sign depends on rounding. A form is robust when
//! its value here is the same, to the precision, at every precision tried. Only the
//! convention for an exactly zero imaginary part is fixed (the upper edge, `+πi`),
//! as mpmath fixes it.

use astro_float::{BigFloat, Consts, RoundingMode};

use crate::eml::complex::C64;
use crate::eml::dag::{Dag, Id, Node};

const RM: RoundingMode = RoundingMode::ToEven;

#[derive(Clone, Debug)]
struct Z {
    re: BigFloat,
    im: BigFloat,
}

/// The value of the tree `root` at `p` bits, rounded to `f64`; `None` where a
/// logarithm of 0 or a non-finite value is met.
pub fn value(dag: &Dag, root: Id, vars: &[C64], p: usize) -> Option<C64> {
    let mut cc = Consts::new().ok()?;
    let mut values: rustc_hash::FxHashMap<Id, Z> = rustc_hash::FxHashMap::default();
    let zero = BigFloat::from_word(0, p);
    for id in dag.reachable(root) {
        let v = match dag.node(id) {
            Node::One => Z {
                re: BigFloat::from_word(1, p),
                im: zero.clone(),
            },
            Node::Var(k) => {
                let z = vars.get(k as usize)?;
                Z {
                    re: BigFloat::from_f64(z.re, p),
                    im: BigFloat::from_f64(z.im, p),
                }
            }
            Node::Eml(a, b) => {
                let (x, y) = (&values[&a], &values[&b]);
                // exp(x) = e^re (cos im + i sin im).
                let r = x.re.exp(p, RM, &mut cc);
                let ex = Z {
                    re: r.mul(&x.im.cos(p, RM, &mut cc), p, RM),
                    im: r.mul(&x.im.sin(p, RM, &mut cc), p, RM),
                };
                let ly = ln(y, p, &mut cc)?;
                Z {
                    re: ex.re.sub(&ly.re, p, RM),
                    im: ex.im.sub(&ly.im, p, RM),
                }
            }
        };
        if v.re.is_nan() || v.im.is_nan() || v.re.is_inf() || v.im.is_inf() {
            return None;
        }
        values.insert(id, v);
    }
    let v = values.remove(&root)?;
    Some(C64::new(to_f64(&v.re), to_f64(&v.im)))
}

fn ln(z: &Z, p: usize, cc: &mut Consts) -> Option<Z> {
    if z.re.is_zero() && z.im.is_zero() {
        return None;
    }
    let m2 = z.re.mul(&z.re, p, RM).add(&z.im.mul(&z.im, p, RM), p, RM);
    let half = BigFloat::from_f64(0.5, p);
    let re = m2.ln(p, RM, cc).mul(&half, p, RM);
    let pi = cc.pi(p, RM);
    // The principal argument, with +π for an exactly zero imaginary part on the
    // negative axis.
    let im = if z.im.is_zero() {
        if z.re.is_negative() {
            pi
        } else {
            BigFloat::from_word(0, p)
        }
    } else if z.re.is_zero() {
        let h = pi.mul(&half, p, RM);
        if z.im.is_negative() { h.neg() } else { h }
    } else {
        let t = z.im.div(&z.re, p, RM).atan(p, RM, cc);
        if z.re.is_positive() {
            t
        } else if z.im.is_positive() {
            t.add(&pi, p, RM)
        } else {
            t.sub(&pi, p, RM)
        }
    };
    Some(Z { re, im })
}

fn to_f64(x: &BigFloat) -> f64 {
    crate::numeric::precise::interval::to_f64(x)
}
