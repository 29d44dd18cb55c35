//! How a number prints: as the user wrote it, as an integer, as a decimal, or as a
//! fraction. Both printers ask here, so that text and LaTeX agree.
//!
//! A value the user wrote as a decimal (`0.044715`) or in scientific notation (`1e-3`)
//! prints as written ([`crate::expr::pool::Pool::written`]): the pool keeps exact
//! rationals, and without this record `0.044715` would come back as `8943/200000`. A
//! value that arises in a derivation (`3*0.044715`) prints as a decimal when the user
//! writes decimals (not only the prelude), it has a
//! terminating expansion, its denominator is at least 10,000 and the decimal is no
//! longer than the fraction: such fractions come from decimals and are unreadable,
//! while `1/2`, `3/1000` and `1/1024` stay fractions, as people write them.

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{Signed, Zero};

use crate::expr::pool::Pool;

/// The printed form of a number's magnitude.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberForm {
    /// A whole number: its digits.
    Integer,
    /// A decimal or scientific literal (`0.044715`, `2.5e-4`), unsigned, as written or
    /// as expanded.
    Decimal(String),
    /// A fraction `numerator/denominator`.
    Fraction,
}

/// The smallest denominator a value that arises in a derivation needs before it prints
/// as a decimal.
const DECIMAL_DENOMINATOR: u64 = 10_000;

/// How `|r|` prints.
pub fn form(pool: &Pool, r: &BigRational) -> NumberForm {
    if r.is_integer() {
        return NumberForm::Integer;
    }
    let magnitude = r.abs();
    if let Some(text) = pool.written(&magnitude) {
        return if text.contains('/') {
            NumberForm::Fraction
        } else {
            NumberForm::Decimal(text.to_string())
        };
    }
    if !pool.user_decimals() || magnitude.denom() < &BigInt::from(DECIMAL_DENOMINATOR) {
        return NumberForm::Fraction;
    }
    match expansion(&magnitude) {
        Some(text) if text.len() <= fraction_len(&magnitude) => NumberForm::Decimal(text),
        _ => NumberForm::Fraction,
    }
}

/// The length of `n/d` as text.
fn fraction_len(r: &BigRational) -> usize {
    r.numer().to_string().len() + 1 + r.denom().to_string().len()
}

/// The exact decimal expansion of a positive rational, when it terminates within 30
/// digits after the point: its denominator has no prime factor but 2 and 5.
fn expansion(r: &BigRational) -> Option<String> {
    let mut d = r.denom().clone();
    let (two, five) = (BigInt::from(2), BigInt::from(5));
    let mut digits = 0u32;
    let (mut twos, mut fives) = (0u32, 0u32);
    while (&d % &two).is_zero() {
        d /= &two;
        twos += 1;
    }
    while (&d % &five).is_zero() {
        d /= &five;
        fives += 1;
    }
    if d != BigInt::from(1) {
        return None;
    }
    digits = digits.max(twos).max(fives);
    if digits > 30 {
        return None;
    }
    let scale = num_traits::pow(BigInt::from(10), digits as usize);
    let scaled = r.numer() * &scale / r.denom();
    let (whole, frac) = scaled.div_rem(&scale);
    let frac = frac.to_string();
    let pad = "0".repeat(digits as usize - frac.len());
    Some(format!("{whole}.{pad}{frac}"))
}

/// A decimal or scientific literal as LaTeX: `0.044715` as it is, `1e-3` as `10^{-3}`,
/// `2.5e-4` as `2.5 \cdot 10^{-4}`.
pub fn decimal_latex(text: &str) -> String {
    let Some((mantissa, exponent)) = text.split_once(['e', 'E']) else {
        return text.to_string();
    };
    let exponent = exponent.trim_start_matches('+');
    let power = if exponent.len() == 1 {
        format!("10^{exponent}")
    } else {
        format!("10^{{{exponent}}}")
    };
    if mantissa == "1" {
        power
    } else {
        format!("{mantissa} \\cdot {power}")
    }
}
