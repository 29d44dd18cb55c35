//! The structure of a symmetric matrix of expressions: a diagonal plus a scaled outer
//! product of one vector with itself, `H = diag(d) + c u uᵀ`.
//!
//! This is the shape of the Hessian of every function of a sum, `g(Σ h(z_i))`, plus
//! terms in one variable each: logsumexp (`diag(p) - p pᵀ`), a norm
//! (`I/r - z zᵀ/r³`), a log-partition, a softplus of a sum. Printed entry by entry, its
//! n² entries cost n² lines; written as `delta(i, j)*d[i] + c*u[i]*u[j]` with the two
//! vectors, it costs 2n. A diagonal matrix (a sum of one-variable terms) is the case
//! `c = 0`.
//!
//! The decomposition is found by factoring each entry above the diagonal into a
//! coefficient and powers of bases, and is *verified*: every such entry's factors must
//! be exactly those of `c·u_i·u_j`, so the structure is the same matrix, never a guess.
//! The diagonal is then `d_i = H_ii - c·u_i²`, simplified.
//!
//! May import: `expr` and the rest of `simplify`.

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Zero};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::expr::node::ExprId;
use crate::expr::pool::Pool;
use crate::simplify::cse::power_factors;
use crate::simplify::simplifier::Simplifier;

/// `H = diag(diagonal) + scale · vector vectorᵀ`, for a symmetric matrix.
#[derive(Clone, Debug)]
pub struct Outer {
    /// `d_i`: what the diagonal holds beyond the outer product.
    pub diagonal: Vec<ExprId>,
    /// `c`: the outer product's scale; the number 0 when the matrix is diagonal.
    pub scale: ExprId,
    /// `u`: the vector of the outer product; empty when the matrix is diagonal.
    pub vector: Vec<ExprId>,
}

/// A factored entry: its coefficient and the integer powers of its bases.
type Factored = (BigRational, FxHashMap<ExprId, i64>);

/// The structure of the symmetric matrix whose upper triangle is `rows` (`rows[i][k]`
/// the entry at row i, column i + k), when it is diagonal plus a scaled outer product
/// and has at least three rows; `None` otherwise (then the entries are printed one by
/// one). The diagonal is simplified with `simp`.
pub fn diagonal_plus_outer(simp: &mut Simplifier, rows: &[Vec<ExprId>]) -> Option<Outer> {
    let n = rows.len();
    if n < 3 || rows.iter().enumerate().any(|(i, r)| r.len() != n - i) {
        return None;
    }
    let entry = |i: usize, j: usize| {
        let (a, b) = if i < j { (i, j) } else { (j, i) };
        rows[a][b - a]
    };
    let zero = simp.pool().int(0);
    let off: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .collect();
    let zeros = off.iter().filter(|&&(i, j)| entry(i, j) == zero).count();
    if zeros == off.len() {
        let diagonal = (0..n).map(|i| entry(i, i)).collect();
        return Some(Outer {
            diagonal,
            scale: zero,
            vector: Vec::new(),
        });
    }
    if zeros > 0 {
        return None;
    }
    // Factor every entry off the diagonal: (i, j) is at `pair(i, j)`.
    let pair = |i: usize, j: usize| {
        let (a, b) = if i < j { (i, j) } else { (j, i) };
        a * n - a * (a + 1) / 2 + (b - a - 1)
    };
    let factored: Vec<Factored> = off
        .iter()
        .map(|&(i, j)| {
            let (c, fs) = power_factors(simp.pool(), entry(i, j));
            let mut m: FxHashMap<ExprId, i64> = FxHashMap::default();
            for (b, e) in fs {
                *m.entry(b).or_insert(0) += e;
            }
            m.retain(|_, e| *e != 0);
            (c, m)
        })
        .collect();
    // The common part: each base at its lowest power over all entries (an entry
    // without it has it at power 0).
    let common = lowest_powers(factored.iter().map(|f| &f.1));
    let rest: Vec<FxHashMap<ExprId, i64>> =
        factored.iter().map(|(_, m)| subtract(m, &common)).collect();
    // Each row's own part: what all its entries off the diagonal share beyond the
    // common part.
    let own: Vec<FxHashMap<ExprId, i64>> = (0..n)
        .map(|i| lowest_powers((0..n).filter(|&j| j != i).map(|j| &rest[pair(i, j)])))
        .collect();
    for &(i, j) in &off {
        let mut both = own[i].clone();
        for (b, e) in &own[j] {
            *both.entry(*b).or_insert(0) += e;
        }
        both.retain(|_, e| *e != 0);
        if both != rest[pair(i, j)] {
            return None;
        }
    }
    // The coefficients: c·a_i·a_j with a_0 = 1, so c = c01·c02/c12 and a_j = c0j/c.
    let coeff = |i: usize, j: usize| &factored[pair(i, j)].0;
    let scale_num = coeff(0, 1) * coeff(0, 2) / coeff(1, 2);
    if scale_num.is_zero() {
        return None;
    }
    let mut alpha: Vec<BigRational> = vec![BigRational::one()];
    alpha.extend((1..n).map(|j| coeff(0, j) / &scale_num));
    if off
        .iter()
        .any(|&(i, j)| &scale_num * &alpha[i] * &alpha[j] != *coeff(i, j))
    {
        return None;
    }
    // Whole numbers read best: u = (2, 3, 1) with c = 2, not u = (1, 3/2, 1/2) with
    // c = 8. Scaling u by k and c by 1/k^2 is the same matrix.
    let lcm = alpha.iter().fold(BigInt::one(), |l, a| l.lcm(a.denom()));
    let gcd = alpha.iter().fold(BigInt::zero(), |g, a| {
        g.gcd(&(a.numer() * &lcm / a.denom()))
    });
    let k = BigRational::new(lcm, gcd);
    let scale_num = &scale_num / (&k * &k);
    let alpha: Vec<BigRational> = alpha.iter().map(|a| a * &k).collect();
    let pool = simp.pool();
    let vector: Vec<ExprId> = (0..n).map(|i| product(pool, &alpha[i], &own[i])).collect();
    let scale = product(pool, &scale_num, &common);
    let diagonal = (0..n)
        .map(|i| {
            let pool = simp.pool();
            let two = pool.int(2);
            let square = pool.pow(vector[i], two);
            let outer = pool.mul(vec![scale, square]);
            let d = pool.sub(entry(i, i), outer);
            simp.simplify(d)
        })
        .collect();
    Some(Outer {
        diagonal,
        scale,
        vector,
    })
}

/// Each base at its lowest power over `maps`, a map without it counting as power 0;
/// bases at power 0 are left out.
fn lowest_powers<'a>(
    maps: impl Iterator<Item = &'a FxHashMap<ExprId, i64>>,
) -> FxHashMap<ExprId, i64> {
    let mut lowest: FxHashMap<ExprId, (i64, usize)> = FxHashMap::default();
    let mut count = 0;
    for m in maps {
        count += 1;
        for (&b, &e) in m {
            let slot = lowest.entry(b).or_insert((e, 0));
            slot.0 = slot.0.min(e);
            slot.1 += 1;
        }
    }
    lowest
        .into_iter()
        .map(|(b, (e, seen))| (b, if seen < count { e.min(0) } else { e }))
        .filter(|&(_, e)| e != 0)
        .collect()
}

/// `m / by`, power by power, without the bases left at power 0.
fn subtract(m: &FxHashMap<ExprId, i64>, by: &FxHashMap<ExprId, i64>) -> FxHashMap<ExprId, i64> {
    let mut out = m.clone();
    for (b, e) in by {
        *out.entry(*b).or_insert(0) -= e;
    }
    out.retain(|_, e| *e != 0);
    out
}

/// `coeff · Π b^e` as a node.
fn product(pool: &mut Pool, coeff: &BigRational, powers: &FxHashMap<ExprId, i64>) -> ExprId {
    let mut factors = vec![pool.num(coeff.clone())];
    // The canonical product orders its factors; the map's order does not matter.
    for (&b, &e) in powers {
        let k = pool.int(e);
        factors.push(pool.pow(b, k));
    }
    pool.mul(factors)
}

/// An [`Outer`] ready to print: one entry in index form over the variables, and the
/// vectors it indexes.
#[derive(Clone, Debug)]
pub struct Written {
    /// The row and column index names.
    pub indices: [String; 2],
    /// The entry at row i, column j: `delta(i, j)*d[i] + c*u[i]*u[j]`, where a vector
    /// whose elements are all equal is written as that element, and `d` is `u` when
    /// they agree.
    pub entry: ExprId,
    /// The vectors the entry indexes, by name.
    pub vectors: Vec<(String, Vec<ExprId>)>,
}

impl Outer {
    /// The structure written out, with each name in `names` (a name node and its body)
    /// replaced by its body in the vectors and the entry. New names (the indices and
    /// the vectors) are chosen so as not to read as any name the vectors and the scale
    /// hold. Common factors of the entry are taken out where that is shorter:
    /// `u[i]*(delta(i, j) - u[j])`.
    pub fn written(&self, simp: &mut Simplifier, names: &[(ExprId, ExprId)]) -> Written {
        let pool = simp.pool();
        let mut subst = crate::expr::subst::Subst::default();
        for &(name, body) in names {
            if let crate::expr::node::Node::Sym(s) = pool.node(name) {
                subst.scalars.insert(*s, body);
            }
        }
        let back = |pool: &mut Pool, v: &[ExprId]| -> Vec<ExprId> {
            v.iter().map(|&e| pool.substitute(e, &subst)).collect()
        };
        let vector = back(pool, &self.vector);
        let diagonal = back(pool, &self.diagonal);
        let scale = pool.substitute(self.scale, &subst);
        let mut taken: FxHashSet<String> = FxHashSet::default();
        for &e in vector.iter().chain(&diagonal).chain([&scale]) {
            for &s in pool.free_symbols(e).iter() {
                taken.insert(pool.name(s).to_string());
            }
        }
        let [i, j] = index_pair(&taken);
        let (si, sj) = (pool.symbol(&i), pool.symbol(&j));
        let (ii, jj) = (pool.index(si), pool.index(sj));
        let mut vectors = Vec::new();
        let mut terms = Vec::new();
        let all_equal = |v: &[ExprId]| v.windows(2).all(|w| w[0] == w[1]);
        let zero = pool.int(0);
        let outer_is_scalar = all_equal(&vector);
        let mut u_name = None;
        if scale != zero && !vector.is_empty() {
            if outer_is_scalar {
                let two = pool.int(2);
                let sq = pool.pow(vector[0], two);
                terms.push(pool.mul(vec![scale, sq]));
            } else {
                let name = fresh(&taken, "u");
                let s = pool.symbol(&name);
                let (ui, uj) = (pool.elem(s, vec![ii]), pool.elem(s, vec![jj]));
                terms.push(pool.mul(vec![scale, ui, uj]));
                u_name = Some(s);
                vectors.push((name, vector.clone()));
            }
        }
        if !diagonal.iter().all(|&d| d == zero) {
            let delta = pool.delta(ii, jj);
            let d = if all_equal(&diagonal) {
                diagonal[0]
            } else if let Some(s) = u_name.filter(|_| diagonal == vector) {
                pool.elem(s, vec![ii])
            } else {
                let name = fresh(&taken, "d");
                let s = pool.symbol(&name);
                vectors.insert(0, (name, diagonal.clone()));
                pool.elem(s, vec![ii])
            };
            terms.insert(0, pool.mul(vec![delta, d]));
        }
        let entry = pool.add(terms);
        let entry = simp.factor(entry);
        Written {
            indices: [i, j],
            entry,
            vectors,
        }
    }
}

/// Two index names that are not `taken`.
fn index_pair(taken: &FxHashSet<String>) -> [String; 2] {
    let free = |n: &str| !taken.contains(n);
    [("i", "j"), ("k", "l"), ("m", "n"), ("p", "q"), ("r", "s")]
        .iter()
        .find(|(a, b)| free(a) && free(b))
        .map(|(a, b)| [a.to_string(), b.to_string()])
        .unwrap_or_else(|| [fresh(taken, "i"), fresh(taken, "j")])
}

/// `base`, or `base1`, `base2`, ... : the first that is not `taken`.
fn fresh(taken: &FxHashSet<String>, base: &str) -> String {
    std::iter::once(base.to_string())
        .chain((1..).map(|k| format!("{base}{k}")))
        .find(|n| !taken.contains(n))
        .unwrap_or_default()
}
