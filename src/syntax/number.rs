//! Exact numbers: reading decimal literals as rationals and printing rationals.
//!
//! gauge keeps every literal exact. `2.1` is 21/10 and `1e-3` is 1/1000, so that the
//! pool can fold constants without rounding. The exponent of a literal is bounded
//! ([`MAX_LITERAL_EXPONENT`]) so that `1e999999999` is an error instead of a number
//! with a billion digits.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

/// The largest decimal exponent a literal may carry (`1e4000` is allowed, `1e4001` is not).
pub const MAX_LITERAL_EXPONENT: i64 = 4000;

/// Why a literal could not be read as a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiteralError {
    /// The exponent's magnitude exceeds [`MAX_LITERAL_EXPONENT`].
    ExponentTooLarge,
    /// The text is not a decimal literal (a bug in the caller: the grammar checks this).
    Malformed,
}

/// Reads a decimal literal such as `2`, `2.1`, `.5`, `1e-3` or `6.02E23` exactly.
pub fn parse_decimal(text: &str) -> Result<BigRational, LiteralError> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(p) => (&text[..p], Some(&text[p + 1..])),
        None => (text, None),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(p) => (&mantissa[..p], &mantissa[p + 1..]),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(LiteralError::Malformed);
    }
    let digits: String = format!("{int_part}{frac_part}");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LiteralError::Malformed);
    }
    let mut exp10: i64 = -(frac_part.len() as i64);
    // Zero is zero whatever its exponent (`0.0e-5000`), provided the exponent is a number.
    if digits.bytes().all(|b| b == b'0') {
        let valid = exponent.is_none_or(|e| {
            let body = e.trim_start_matches(['+', '-']);
            !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit())
        });
        return if valid {
            Ok(BigRational::zero())
        } else {
            Err(LiteralError::Malformed)
        };
    }
    if let Some(e) = exponent {
        let value: i64 = match e.strip_prefix('+').unwrap_or(e).parse::<i64>() {
            Ok(v) => v,
            Err(_) => {
                // A digit string too long for i64 is certainly too large an exponent.
                let body = e.trim_start_matches(['+', '-']);
                if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(LiteralError::ExponentTooLarge);
                }
                return Err(LiteralError::Malformed);
            }
        };
        if value.abs() > MAX_LITERAL_EXPONENT {
            return Err(LiteralError::ExponentTooLarge);
        }
        exp10 += value;
    }
    let mantissa: BigInt = digits.parse().map_err(|_| LiteralError::Malformed)?;
    if mantissa.is_zero() {
        return Ok(BigRational::zero());
    }
    // The fractional digits can push the exponent past the bound too (`0.000…1`).
    if exp10.abs() > MAX_LITERAL_EXPONENT + digits.len() as i64 {
        return Err(LiteralError::ExponentTooLarge);
    }
    let scale = num_traits::pow(BigInt::from(10), exp10.unsigned_abs() as usize);
    Ok(if exp10 >= 0 {
        BigRational::from_integer(mantissa * scale)
    } else {
        BigRational::new(mantissa, scale)
    })
}

/// Prints a rational the way the language reads it back: `3`, `-3`, `21/10`.
pub fn format_rational(r: &BigRational) -> String {
    // Machine-sized parts, by far the most common (the `2` of every square), skip the
    // general conversion of big integers, which is several times slower.
    let part = |n: &BigInt| match n.to_i64() {
        Some(v) => v.to_string(),
        None => n.to_string(),
    };
    if r.is_integer() {
        part(r.numer())
    } else {
        format!("{}/{}", part(r.numer()), part(r.denom()))
    }
}

/// A rational for messages: exact when short, else its leading digits and magnitude
/// (`1.000e400`), so that a huge literal does not flood a diagnostic.
pub fn describe_rational(r: &BigRational) -> String {
    let exact = format_rational(r);
    if exact.len() <= 40 {
        return exact;
    }
    let sign = if r.is_negative() { "-" } else { "" };
    let n = r.numer().abs().to_string();
    let d = r.denom().to_string();
    // Leading digits of n and d, each scaled into [1, 10), and the decimal exponent
    // from the digit counts.
    let leading = |digits: &str| {
        let lead: String = digits.chars().take(6).collect();
        lead.parse::<f64>().unwrap_or(1.0) / 10f64.powi(lead.len() as i32 - 1)
    };
    let mut exponent = (n.len() as i64 - 1) - (d.len() as i64 - 1);
    let mut mantissa = leading(&n) / leading(&d);
    if mantissa < 1.0 {
        mantissa *= 10.0;
        exponent -= 1;
    }
    format!("{sign}{mantissa:.3}e{exponent}")
}

/// The nearest `f64` to a rational (ties to even), computed without overflow for huge
/// numerators and denominators.
///
/// Both parts exact below 2^53 divide exactly rounded in hardware. Otherwise the
/// quotient is taken in integers to 65 significant bits, with a sticky bit for a
/// non-zero remainder, so that converting it to `f64` rounds once, correctly; scaling
/// by the power of two after that is exact for every normal result.
pub fn rational_to_f64(r: &BigRational) -> f64 {
    use num_integer::Integer;
    use num_traits::{ToPrimitive, Zero};
    if let (Some(n), Some(d)) = (r.numer().to_f64(), r.denom().to_f64())
        && n.is_finite()
        && d.is_finite()
        && n.abs() < 9.007_199_254_740_992e15
        && d < 9.007_199_254_740_992e15
    {
        return n / d;
    }
    if r.is_zero() {
        return 0.0;
    }
    let negative = r.is_negative();
    let n = r.numer().abs();
    let d = r.denom().clone();
    // n * 2^s / d has 65 or 66 bits before the point.
    let s = 65 - (n.bits() as i64 - d.bits() as i64);
    let (num, den) = if s >= 0 {
        (n << (s as usize), d)
    } else {
        (n, d << ((-s) as usize))
    };
    let (q, rem) = num.div_rem(&den);
    let mut q = q.to_u128().unwrap_or(u128::MAX);
    if !rem.is_zero() {
        q |= 1;
    }
    // `q as f64` rounds to nearest, ties to even; the sticky bit keeps a remainder
    // from looking like a tie.
    let mut value = q as f64;
    // Scale by 2^-s in steps that stay within range; exact while the value is normal.
    let mut e = -s;
    while e > 0 {
        let step = e.min(1000);
        value *= 2f64.powi(step as i32);
        e -= step;
    }
    while e < 0 {
        let step = (-e).min(1000);
        value /= 2f64.powi(step as i32);
        e += step;
    }
    if negative { -value } else { value }
}

/// Whether a rational is a (small enough) integer, returning it.
pub fn to_small_int(r: &BigRational) -> Option<i64> {
    if r.is_integer() {
        r.numer().to_i64()
    } else {
        None
    }
}

/// The exact `k`-th root of a non-negative integer, if it has one.
pub fn exact_root(n: &BigInt, k: u32) -> Option<BigInt> {
    if n.is_negative() || k == 0 {
        return None;
    }
    if n.is_zero() || n.is_one() {
        return Some(n.clone());
    }
    let root = n.nth_root(k);
    if num_traits::pow(root.clone(), k as usize) == *n {
        Some(root)
    } else {
        None
    }
}
