//! EML in certified arithmetic: the enclosure of a DAG's value at a point, under
//! the semantics of [`exact`](super::exact), or why there is none.
//!
//! Each node's value is a [`Ball`] together with what is known of it exactly. Where
//! the imaginary part is exactly `k·π/2`, it is enclosed as exactly that (the point 0
//! for a real value), so the logarithm's branch is decided on exact knowledge, and
//! `exp(a + πi)` is the exactly real `-e^a`, not a rectangle straddling the cut. A
//! logarithm whose argument is on the cut only through such cancellation is
//! *fragile* (its edge depends on rounding in every ordinary evaluator) and fails
//! as unsure, like a rectangle that straddles the cut.

use num_rational::BigRational;

use crate::eml::ball::{Ball, BallArith};
use crate::eml::complex::C64;
use crate::eml::dag::{Dag, Id, Node};
use crate::eml::exact::{Exact, LnFail, Sign};
use crate::numeric::precise::{Fail, Interval};

/// The enclosure of the tree `root` at the point `vars` (one value per variable of
/// the DAG, by number), with `bits`-bit bounds.
pub fn enclose(dag: &Dag, root: Id, vars: &[C64], bits: usize) -> Result<Ball, Fail> {
    let mut arith = BallArith::new(bits, crate::numeric::precise::eval::BUDGET)?;
    let mut values: rustc_hash::FxHashMap<Id, (Ball, Exact)> = rustc_hash::FxHashMap::default();
    for id in dag.reachable(root) {
        let v = match dag.node(id) {
            Node::One => (arith.int(1)?, Exact::REAL),
            Node::Var(k) => {
                let z = vars
                    .get(k as usize)
                    .copied()
                    .ok_or_else(|| Fail::unsure("a variable without a value"))?;
                let exact = if z.im == 0.0 {
                    Exact::REAL
                } else {
                    Exact::UNKNOWN
                };
                (arith.from_c64(z)?, exact)
            }
            Node::Eml(a, b) => {
                let (x, ex) = values[&a].clone();
                let (y, ey) = values[&b].clone();
                let (e, ee) = exp(&mut arith, &x, ex)?;
                let (l, el) = ln(&mut arith, &y, ey)?;
                let exact = ee.minus(el);
                let d = arith.sub(&e, &l)?;
                (pinned(&mut arith, d, exact)?, exact)
            }
        };
        values.insert(id, v);
    }
    values
        .remove(&root)
        .map(|v| v.0)
        .ok_or_else(|| Fail::unsure("an empty DAG"))
}

/// `k·π/2`, enclosed.
fn half_pi(arith: &mut BallArith, k: i8) -> Result<Interval, Fail> {
    let a = arith.arith();
    if k == 0 {
        return a.from_int(0);
    }
    let pi = a.pi()?;
    let r = a.from_rational(&BigRational::new(i64::from(k).into(), 2.into()))?;
    a.mul(&pi, &r)
}

/// The ball with its exactly known parts written exactly.
fn pinned(arith: &mut BallArith, mut b: Ball, exact: Exact) -> Result<Ball, Fail> {
    if let Some(k) = exact.half_pi {
        b.im = half_pi(arith, k)?;
    }
    if exact.re_zero {
        b.re = arith.arith().from_int(0)?;
    }
    Ok(b)
}

fn exp(arith: &mut BallArith, z: &Ball, ez: Exact) -> Result<(Ball, Exact), Fail> {
    let exact = ez.exp();
    let Some(k) = ez.half_pi else {
        return Ok((arith.exp(z)?, exact));
    };
    let r = arith.arith().exp(&z.re)?;
    let zero = arith.arith().from_int(0)?;
    let neg = arith.arith().neg(&r);
    let b = match k.rem_euclid(4) {
        0 => Ball { re: r, im: zero },
        1 => Ball { re: zero, im: r },
        2 => Ball { re: neg, im: zero },
        _ => Ball { re: zero, im: neg },
    };
    Ok((b, exact))
}

fn sign(x: &Interval) -> Sign {
    if x.is_zero() {
        Sign::Zero
    } else if x.is_positive() {
        Sign::Positive
    } else if x.is_negative() {
        Sign::Negative
    } else {
        Sign::Unknown
    }
}

fn ln(arith: &mut BallArith, z: &Ball, ez: Exact) -> Result<(Ball, Exact), Fail> {
    let exact = ez.ln(sign(&z.re), sign(&z.im)).map_err(|f| match f {
        LnFail::Zero => Fail::undefined("ln 0 (defined only in the extended reals)"),
        LnFail::Fragile => Fail::unsure(
            "a logarithm on its branch cut whose edge depends on rounding in ordinary arithmetic",
        ),
        LnFail::Unsure => Fail::unsure("a logarithm of a real whose sign is not decided"),
    })?;
    let b = match exact.half_pi {
        // The argument is exactly real or exactly imaginary: the modulus is its
        // nonzero part's absolute value, and the imaginary part is pinned.
        Some(k) if ez.is_real() || ez.re_zero => {
            let part = if ez.re_zero { &z.im } else { &z.re };
            let m = arith.arith().abs(part)?;
            let re = arith.arith().ln(&m)?;
            Ball {
                re,
                im: half_pi(arith, k)?,
            }
        }
        _ => arith.ln(z)?,
    };
    Ok((b, exact))
}
