//! The search's targets: the calculator's primitives at the search's sample points.

use crate::eml::complex::C64;
use crate::eml::float::Value;
use crate::eml::search::{Space, Target};

// The primitives are written with methods, so that a table entry reads left to
// right; the arithmetic itself is `C64`'s, the reference's own.
type C = C64;

trait Ops {
    fn add(self, o: C) -> C;
    fn sub(self, o: C) -> C;
    fn mul(self, o: C) -> C;
    fn div(self, o: C) -> C;
}

impl Ops for C64 {
    fn add(self, o: C) -> C {
        self + o
    }
    fn sub(self, o: C) -> C {
        self - o
    }
    fn mul(self, o: C) -> C {
        self * o
    }
    fn div(self, o: C) -> C {
        self / o
    }
}

fn r(x: f64) -> C {
    C64::new(x, 0.0)
}

const I: C = C64::I;

/// The primitives as functions of their arguments.
fn unary(name: &str) -> Option<fn(C) -> C> {
    Some(match name {
        "x" => |x| x,
        "-x" => |x| r(0.0).sub(x),
        "1/x" => |x| r(1.0).div(x),
        "x-1" => |x| x.sub(r(1.0)),
        "x+1" => |x| x.add(r(1.0)),
        "x/2" => |x| x.mul(r(0.5)),
        "2x" => |x| x.mul(r(2.0)),
        "x^2" => |x| x.mul(x),
        "sqrt(x)" => |x| x.sqrt(),
        "exp(x)" => |x| x.exp(),
        "ln(x)" => |x| x.ln(),
        "sinh(x)" => |x| x.exp().sub(r(0.0).sub(x).exp()).mul(r(0.5)),
        "cosh(x)" => |x| x.exp().add(r(0.0).sub(x).exp()).mul(r(0.5)),
        "tanh(x)" => |x| {
            let (a, b) = (x.exp(), r(0.0).sub(x).exp());
            a.sub(b).div(a.add(b))
        },
        "sin(x)" => |x| {
            I.mul(x)
                .exp()
                .sub(r(0.0).sub(I.mul(x)).exp())
                .div(C64::new(0.0, 2.0))
        },
        "cos(x)" => |x| I.mul(x).exp().add(r(0.0).sub(I.mul(x)).exp()).mul(r(0.5)),
        "sigmoid(x)" => |x| r(1.0).div(r(1.0).add(r(0.0).sub(x).exp())),
        "exp(exp(x))" => |x| x.exp().exp(),
        "x*e" => |x| x.mul(r(std::f64::consts::E)),
        "1-x" => |x| r(1.0).sub(x),
        "e-x" => |x| r(std::f64::consts::E).sub(x),
        "x-e" => |x| x.sub(r(std::f64::consts::E)),
        "ln(x)+1" => |x| x.ln().add(r(1.0)),
        "1/(1+x)" => |x| r(1.0).div(r(1.0).add(x)),
        "x/(1+x)" => |x| x.div(r(1.0).add(x)),
        "(x-1)/(x+1)" => |x| x.sub(r(1.0)).div(x.add(r(1.0))),
        "2/(x+1)" => |x| r(2.0).div(x.add(r(1.0))),
        "1-2/(x+1)" => |x| r(1.0).sub(r(2.0).div(x.add(r(1.0)))),
        "x^3" => |x| x.mul(x).mul(x),
        "-ln(x)" => |x| r(0.0).sub(x.ln()),
        "ln(-x)" => |x| r(0.0).sub(x).ln(),
        "exp(-x)" => |x| r(0.0).sub(x).exp(),
        "exp(x)-1" => |x| x.exp().sub(r(1.0)),
        "exp(x)+1" => |x| x.exp().add(r(1.0)),
        "ln(1+x)" => |x| r(1.0).add(x).ln(),
        "ln(1+exp(x))" => |x| r(1.0).add(x.exp()).ln(),
        "i*x" => |x| I.mul(x),
        "-i*x" => |x| r(0.0).sub(I.mul(x)),
        "exp(i*x)" => |x| I.mul(x).exp(),
        "x*pi" => |x| x.mul(r(std::f64::consts::PI)),
        _ => return None,
    })
}

fn binary(name: &str) -> Option<fn(C, C) -> C> {
    Some(match name {
        "x+y" => |x, y| x.add(y),
        "x-y" => |x, y| x.sub(y),
        "x*y" => |x, y| x.mul(y),
        "x/y" => |x, y| x.div(y),
        "x^y" => |x, y| x.pow(y),
        "log_x(y)" => |x, y| y.ln().div(x.ln()),
        "(x+y)/2" => |x, y| x.add(y).mul(r(0.5)),
        "hypot(x,y)" => |x, y| x.mul(x).add(y.mul(y)).sqrt(),
        "exp(x)*y" => |x, y| x.exp().mul(y),
        "x*exp(y)" => |x, y| x.mul(y.exp()),
        "x-ln(y)" => |x, y| x.sub(y.ln()),
        "exp(x)-y" => |x, y| x.exp().sub(y),
        "exp(x)+y" => |x, y| x.exp().add(y),
        "x+ln(y)" => |x, y| x.add(y.ln()),
        "ln(x)+ln(y)" => |x, y| x.ln().add(y.ln()),
        "ln(x)-ln(y)" => |x, y| x.ln().sub(y.ln()),
        "y/x" => |x, y| y.div(x),
        "x*y^2" => |x, y| x.mul(y).mul(y),
        _ => return None,
    })
}

/// Every target name the search knows for a space with this many variables.
pub fn names(arity: usize) -> Vec<&'static str> {
    match arity {
        0 => vec![
            "0", "-1", "2", "1/2", "2/3", "i", "-i", "pi", "i*pi", "-i*pi", "phi", "3", "1/3", "e",
            "e-1", "-2", "1/e", "sqrt(2)", "ln(2)", "i/2", "pi/2", "2*pi", "-pi", "pi*i/2",
        ],
        1 => vec![
            "x",
            "-x",
            "1/x",
            "x-1",
            "x+1",
            "x/2",
            "2x",
            "x^2",
            "sqrt(x)",
            "exp(x)",
            "ln(x)",
            "sinh(x)",
            "cosh(x)",
            "tanh(x)",
            "sin(x)",
            "cos(x)",
            "sigmoid(x)",
            "1-x",
            "e-x",
            "x-e",
            "1/(1+x)",
            "x/(1+x)",
            "(x-1)/(x+1)",
            "2/(x+1)",
            "1-2/(x+1)",
            "x^3",
            "-ln(x)",
            "ln(-x)",
            "exp(-x)",
            "exp(x)-1",
            "exp(x)+1",
            "ln(1+x)",
            "ln(1+exp(x))",
            "i*x",
            "-i*x",
            "exp(i*x)",
            "x*pi",
        ],
        _ => vec![
            "x+y",
            "x-y",
            "x*y",
            "x/y",
            "x^y",
            "log_x(y)",
            "(x+y)/2",
            "hypot(x,y)",
            "exp(x)*y",
            "x*exp(y)",
            "x-ln(y)",
            "exp(x)-y",
            "exp(x)+y",
            "x+ln(y)",
            "ln(x)+ln(y)",
            "ln(x)-ln(y)",
            "y/x",
            "x*y^2",
        ],
    }
}

fn constant(name: &str) -> Option<C> {
    use std::f64::consts::{E, PI};
    Some(match name {
        "0" => r(0.0),
        "-1" => r(-1.0),
        "2" => r(2.0),
        "1/2" => r(0.5),
        "2/3" => r(2.0 / 3.0),
        "i" => I,
        "-i" => C64::new(0.0, -1.0),
        "pi" => r(PI),
        "i*pi" => C64::new(0.0, PI),
        "-i*pi" => C64::new(0.0, -PI),
        "phi" => r((1.0 + 5f64.sqrt()) / 2.0),
        "3" => r(3.0),
        "1/3" => r(1.0 / 3.0),
        "e" => r(E),
        "e-1" => r(E - 1.0),
        "-2" => r(-2.0),
        "1/e" => r(1.0 / E),
        "sqrt(2)" => r(2f64.sqrt()),
        "ln(2)" => r(2f64.ln()),
        "i/2" => C64::new(0.0, 0.5),
        "pi/2" => r(PI / 2.0),
        "2*pi" => r(2.0 * PI),
        "-pi" => r(-PI),
        "pi*i/2" => C64::new(0.0, PI / 2.0),
        _ => return None,
    })
}

/// The named targets at the space's points.
pub fn targets(space: &Space, names: &[&str]) -> Vec<Target> {
    let at = |v: &Value| C64::new(v.re, v.im);
    names
        .iter()
        .filter_map(|&n| {
            let values: Vec<Option<(f64, f64)>> = match space.vars.len() {
                0 => {
                    let c = constant(n)?;
                    vec![Some((c.re, c.im))]
                }
                1 => {
                    let f = unary(n)?;
                    space
                        .points
                        .iter()
                        .map(|p| Some(f(at(&p[0]))))
                        .map(|c| c.map(|c| (c.re, c.im)))
                        .collect()
                }
                _ => {
                    let f = binary(n)?;
                    space
                        .points
                        .iter()
                        .map(|p| Some(f(at(&p[0]), at(&p[1]))))
                        .map(|c| c.map(|c| (c.re, c.im)))
                        .collect()
                }
            };
            let values = values
                .into_iter()
                .map(|v| v.filter(|(a, b)| a.is_finite() && b.is_finite()))
                .collect();
            Some(Target {
                name: n.to_string(),
                values,
            })
        })
        .collect()
}
