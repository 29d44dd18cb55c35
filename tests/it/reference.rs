//! The reference evaluator: the tree interpreter gauge used before the compiled tape
//! became its one evaluator, kept here, in the tests only, as an independent account of
//! the same semantics that the tape is checked against.
//!
//! It walks the DAG with a memo, so a shared subexpression is computed once per point (a
//! value depending on a summed index is recomputed per index value). A call of a
//! definition evaluates its body in a frame that binds the parameters. Sums and sums of
//! terms use compensated (Neumaier) summation, and products divide once by the product
//! of their denominators, so results carry full `f64` precision.
//!
//! Leaving a function's domain is an error that names the subexpression and the point,
//! never a NaN: `ln(x)` at x = -1, `1/x` at 0, `sqrt` of a negative, an overflow.

use std::rc::Rc;

use num_integer::Integer;
use num_traits::{Signed, ToPrimitive};
use rustc_hash::FxHashMap;

use gauge::diag::error::{Error, ErrorKind, Result};
use gauge::expr::kind::Kind;
use gauge::expr::node::{DefId, ExprId, Func, Node, Symbol};
use gauge::lower::workspace::Workspace;
use gauge::numeric::value::{Bindings, Tensor, Value, format_number, format_value};
use gauge::print::text::to_text;
use gauge::syntax::number::rational_to_f64;

/// One activation: the values of a call's parameters, or of the user's point.
#[derive(Default)]
struct Frame {
    call: Option<ExprId>,
    scalars: FxHashMap<Symbol, f64>,
    indices: FxHashMap<Symbol, usize>,
    tensors: FxHashMap<Symbol, Rc<Tensor>>,
    bound: Vec<Symbol>,
    memo: FxHashMap<ExprId, f64>,
    materialized: FxHashMap<ExprId, Rc<Tensor>>,
}

/// Evaluates expressions of a session at one point.
pub struct Evaluator<'s> {
    session: &'s mut Workspace,
    frames: Vec<Frame>,
    /// Every binding, as `name = value` text, for messages.
    given: Vec<(Symbol, String)>,
    /// The bindings the current expression uses, as shown in messages.
    point: String,
    /// Values of calls by definition and argument values: a definition's body depends
    /// only on its arguments and on the fixed global values, so equal calls share one
    /// evaluation even when they are different nodes (`f(x)` inside `g(x)` and `h(x)`).
    calls: FxHashMap<CallKey, (f64, Vec<Rc<Tensor>>)>,
}

/// Identifies a call by its definition and the values of its arguments; tensors by
/// address, kept alive by the cache entry so that an address is never reused.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct CallKey {
    def: DefId,
    scalars: Vec<u64>,
    indices: Vec<usize>,
    tensors: Vec<usize>,
}

impl<'s> Evaluator<'s> {
    /// Prepares evaluation at `at`, checking the values against the session's shapes.
    pub fn new(session: &'s mut Workspace, at: &Bindings) -> Result<Evaluator<'s>> {
        let mut global = Frame::default();
        let mut given = Vec::new();
        for name in at.names() {
            let value = at.get(name).cloned().unwrap_or(Value::Scalar(0.0));
            let text = session.pool.name(name).to_string();
            given.push((name, format!("{text} = {}", format_value(&value))));
            let finite = match &value {
                Value::Scalar(x) => x.is_finite(),
                Value::Tensor(t) => t.data.iter().all(|x| x.is_finite()),
            };
            if !finite {
                let mut e = Error::new(
                    ErrorKind::Binding,
                    format!("the value of `{text}` is beyond the range of f64 (about 1.8e308)"),
                );
                if let Some(sp) = at.span(name) {
                    e = e.with_label(sp, "given here");
                }
                return Err(e);
            }
            let kind = session.kind_of(name);
            let span = at.span(name);
            let mismatch = |what: &str, kind: Kind| {
                let mut e = Error::new(
                    ErrorKind::Binding,
                    format!("`{text}` is {}, but its value is {what}", kind.describe()),
                );
                if let Some(sp) = span {
                    e = e.with_label(sp, "given here");
                }
                e
            };
            match (&value, kind) {
                (Value::Scalar(x), Some(Kind::Index)) => {
                    if *x < 0.0 || x.fract() != 0.0 || *x > u32::MAX as f64 {
                        return Err(mismatch(
                            "not a whole number from 0 to 4294967295",
                            Kind::Index,
                        )
                        .with_hint("indices count from 0, as in NumPy and PyTorch"));
                    }
                    global.indices.insert(name, *x as usize);
                }
                (Value::Scalar(x), _) => {
                    if let Some(Kind::Tensor(_)) = kind {
                        return Err(mismatch("a number", kind.unwrap_or(Kind::Scalar))
                            .with_hint("give a tensor as a list: `z=[1, 2, 3]`"));
                    }
                    global.scalars.insert(name, *x);
                }
                (Value::Tensor(t), Some(Kind::Tensor(r))) if t.shape.len() != r as usize => {
                    let have = format!("a tensor with {} axes", t.shape.len());
                    return Err(mismatch(&have, Kind::Tensor(r)));
                }
                (Value::Tensor(t), Some(Kind::Scalar | Kind::Index)) => {
                    let have = format!("a tensor with {} axes", t.shape.len());
                    return Err(mismatch(&have, kind.unwrap_or(Kind::Scalar)));
                }
                (Value::Tensor(t), _) => {
                    global.tensors.insert(name, t.clone());
                }
            }
        }
        let mut ev = Evaluator {
            session,
            frames: vec![global],
            given,
            point: String::new(),
            calls: FxHashMap::default(),
        };
        ev.check_lengths()?;
        Ok(ev)
    }

    /// Checks that axes linked by a shared index have equal lengths in the given values.
    fn check_lengths(&mut self) -> Result<()> {
        let eqs = self.session.equal_lengths.clone();
        for (a, b, span) in eqs {
            let (Some(la), Some(lb)) = (self.len_value(a), self.len_value(b)) else {
                continue;
            };
            if la != lb {
                let pa = to_text(&self.session.pool, a);
                let pb = to_text(&self.session.pool, b);
                return Err(Error::new(
                    ErrorKind::Binding,
                    format!("{pa} is {la} but {pb} is {lb}; they must be equal"),
                )
                .with_label(span, "this index links the two axes"));
            }
        }
        Ok(())
    }

    /// The value of a `len(...)` node over the user's tensors, if they are bound.
    fn len_value(&self, id: ExprId) -> Option<usize> {
        match self.session.pool.node(id) {
            Node::Len(s, axis) => self.frames[0]
                .tensors
                .get(s)
                .and_then(|t| t.shape.get(*axis as usize).copied()),
            _ => None,
        }
    }

    /// Evaluates an expression, checking first that every name it uses has a value.
    pub fn eval(&mut self, id: ExprId) -> Result<f64> {
        let used = self.session.names_used(id);
        self.point = self
            .given
            .iter()
            .filter(|(s, _)| used.contains(s))
            .map(|(_, t)| t.clone())
            .collect::<Vec<_>>()
            .join(", ");
        self.check_names(&used)?;
        self.value(id)
    }

    fn check_names(&mut self, used: &[Symbol]) -> Result<()> {
        let mut missing = Vec::new();
        for &s in used {
            let Some(kind) = self.session.kind_of(s) else {
                continue;
            };
            let g = &self.frames[0];
            let bound = match kind {
                Kind::Scalar => g.scalars.contains_key(&s),
                Kind::Index => g.indices.contains_key(&s),
                Kind::Tensor(_) => g.tensors.contains_key(&s),
            };
            if !bound {
                missing.push((self.session.pool.name(s).to_string(), kind));
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort_by(|a, b| gauge::expr::order::cmp_names(&a.0, &b.0));
        let names: Vec<String> = missing.iter().map(|m| format!("`{}`", m.0)).collect();
        let example: Vec<String> = missing
            .iter()
            .map(|(n, k)| match k {
                Kind::Scalar => format!("{n}=1.5"),
                Kind::Index => format!("{n}=0"),
                Kind::Tensor(1) => format!("{n}=[1, 2, 3]"),
                Kind::Tensor(_) => format!("{n}=[[1, 2], [3, 4]]"),
            })
            .collect();
        Err(Error::new(
            ErrorKind::Binding,
            format!("no value for {}", names.join(", ")),
        )
        .with_hint(format!("give values with --at '{}'", example.join(", "))))
    }

    fn frame(&mut self) -> &mut Frame {
        self.frames
            .last_mut()
            .expect("the global frame is never popped")
    }

    fn lookup_tensor(&self, s: Symbol) -> Option<Rc<Tensor>> {
        let top = self.frames.last()?;
        top.tensors
            .get(&s)
            .or_else(|| self.frames[0].tensors.get(&s))
            .cloned()
    }

    fn lookup_scalar(&self, s: Symbol) -> Option<f64> {
        let top = self.frames.last()?;
        top.scalars
            .get(&s)
            .or_else(|| self.frames[0].scalars.get(&s))
            .copied()
    }

    fn lookup_index(&self, s: Symbol) -> Option<usize> {
        let top = self.frames.last()?;
        top.indices
            .get(&s)
            .or_else(|| self.frames[0].indices.get(&s))
            .copied()
    }

    fn text(&self, id: ExprId) -> String {
        to_text(&self.session.pool, id)
    }

    /// Builds a domain error about `id`, naming the point (and the call it is inside).
    fn domain(&self, id: ExprId, detail: String, hint: Option<&str>) -> Error {
        let mut where_ = String::new();
        if !self.point.is_empty() {
            where_.push_str(&format!(" at {}", self.point));
        }
        if let Some(call) = self.frames.last().and_then(|f| f.call) {
            let f = self.frames.last().expect("checked");
            let mut locals: Vec<String> = f
                .scalars
                .iter()
                .map(|(s, v)| format!("{} = {}", self.session.pool.name(*s), format_number(*v)))
                .chain(
                    f.indices
                        .iter()
                        .map(|(s, v)| format!("{} = {v}", self.session.pool.name(*s))),
                )
                .collect();
            locals.sort();
            where_.push_str(&format!(", inside `{}`", self.text(call)));
            if !locals.is_empty() {
                where_.push_str(&format!(" where {}", locals.join(", ")));
            }
        }
        let e = Error::new(
            ErrorKind::Domain,
            format!("`{}` is undefined{where_}: {detail}", self.text(id)),
        );
        match hint {
            Some(h) => e.with_hint(h),
            None => e,
        }
    }

    fn finite(&self, id: ExprId, v: f64) -> Result<f64> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(self.domain(
                id,
                "its value overflows the range of f64 (about 1.8e308)".into(),
                None,
            ))
        }
    }

    fn value(&mut self, id: ExprId) -> Result<f64> {
        if let Some(&v) = self.frames.last().and_then(|f| f.memo.get(&id)) {
            return Ok(v);
        }
        let v = self.compute(id)?;
        let bound_free = {
            let f = self.frames.last().expect("frame");
            if f.bound.is_empty() {
                false
            } else {
                let bound = f.bound.clone();
                let free = self.session.pool.free_symbols(id);
                bound.iter().any(|b| free.contains(b))
            }
        };
        if !bound_free {
            self.frame().memo.insert(id, v);
        }
        Ok(v)
    }

    fn index_value(&mut self, id: ExprId) -> Result<usize> {
        match self.session.pool.node(id) {
            Node::Num(r) => r
                .to_usize()
                .ok_or_else(|| Error::new(ErrorKind::Binding, "an index literal is out of range")),
            Node::Index(s) => {
                let s = *s;
                self.lookup_index(s).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Binding,
                        format!("no value for the index `{}`", self.session.pool.name(s)),
                    )
                    .with_hint(format!(
                        "give it with --at '{}=0'",
                        self.session.pool.name(s)
                    ))
                })
            }
            _ => Err(Error::new(
                ErrorKind::Unsupported,
                format!("`{}` is not an index", self.text(id)),
            )),
        }
    }

    fn len_of(&mut self, s: Symbol, axis: u32) -> Result<usize> {
        let t = self.lookup_tensor(s).ok_or_else(|| {
            Error::new(
                ErrorKind::Binding,
                format!("no value for the tensor `{}`", self.session.pool.name(s)),
            )
        })?;
        t.shape.get(axis as usize).copied().ok_or_else(|| {
            Error::new(
                ErrorKind::Binding,
                format!(
                    "`{}` has {} axes, so it has no axis {axis}",
                    self.session.pool.name(s),
                    t.shape.len()
                ),
            )
        })
    }

    fn compute(&mut self, id: ExprId) -> Result<f64> {
        let node = self.session.pool.node(id).clone();
        match node {
            Node::Num(r) => {
                let v = rational_to_f64(&r);
                if v.is_finite() {
                    Ok(v)
                } else {
                    Err(Error::new(
                        ErrorKind::Domain,
                        format!(
                            "the number {} is beyond the range of f64 (about 1.8e308)",
                            gauge::syntax::number::describe_rational(&r)
                        ),
                    ))
                }
            }
            Node::Const(c) => Ok(c.value()),
            Node::Sym(s) => self.lookup_scalar(s).ok_or_else(|| {
                Error::new(
                    ErrorKind::Binding,
                    format!("no value for `{}`", self.session.pool.name(s)),
                )
                .with_hint(format!(
                    "give it with --at '{}=1.5'",
                    self.session.pool.name(s)
                ))
            }),
            Node::Index(_) => Ok(self.index_value(id)? as f64),
            Node::Tensor(s) => Err(Error::new(
                ErrorKind::Unsupported,
                format!("the tensor `{}` is not a number", self.session.pool.name(s)),
            )),
            Node::Elem(s, idx) => {
                let mut at = Vec::with_capacity(idx.len());
                for &i in idx.iter() {
                    at.push(self.index_value(i)?);
                }
                let t = self.lookup_tensor(s).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Binding,
                        format!("no value for the tensor `{}`", self.session.pool.name(s)),
                    )
                })?;
                match t.offset(&at) {
                    Some(o) => Ok(t.data[o]),
                    None => Err(Error::new(
                        ErrorKind::Binding,
                        format!(
                            "`{}` reads position {:?} of `{}`, whose shape is {:?}",
                            self.text(id),
                            at,
                            self.session.pool.name(s),
                            t.shape
                        ),
                    )
                    .with_hint("indices count from 0 and must be below the axis length")),
                }
            }
            Node::Len(s, axis) => Ok(self.len_of(s, axis)? as f64),
            Node::Add(terms) => {
                let mut values = Vec::with_capacity(terms.len());
                for &t in terms.iter() {
                    values.push(self.value(t)?);
                }
                self.finite(id, sum_of_terms(&values))
            }
            Node::Mul(factors) => {
                // The product is kept as a mantissa and a binary exponent, so that
                // intermediate products of tiny or huge factors neither underflow nor
                // overflow when the result itself is representable.
                let mut acc = ScaledProduct::one();
                for &f in factors.iter() {
                    match self.session.pool.node(f).clone() {
                        Node::Pow(b, e) if self.session.pool.is_int(e, -1) => {
                            let bv = self.value(b)?;
                            if bv == 0.0 {
                                return Err(self.domain(
                                    f,
                                    format!("it divides by `{}`, which is 0", self.text(b)),
                                    None,
                                ));
                            }
                            acc.divide(bv);
                        }
                        _ => acc.multiply(self.value(f)?),
                    }
                }
                self.finite(id, acc.value())
            }
            Node::Pow(b, e) => self.power(id, b, e),
            Node::Func(f, a) => {
                let x = self.value(a)?;
                self.func(id, f, x)
            }
            Node::Delta(a, b) => {
                let (a, b) = (self.index_value(a)?, self.index_value(b)?);
                Ok(if a == b { 1.0 } else { 0.0 })
            }
            Node::Sum { index, range, body } => {
                let n = self.range_value(range)?;
                let saved = self.frame().indices.get(&index).copied();
                // A bound index with the name of an index already set in this frame (a
                // definition's `j` and a sum's canonical `j`) changes what the memo's
                // entries for nodes that mention it mean: they are set aside during the
                // sum and restored after it.
                let stashed = saved.map(|_| {
                    let f = self.frame();
                    (
                        std::mem::take(&mut f.memo),
                        std::mem::take(&mut f.materialized),
                    )
                });
                self.frame().bound.push(index);
                let mut acc = Neumaier::default();
                let mut result = Ok(());
                for v in 0..n {
                    self.frame().indices.insert(index, v);
                    match self.value(body) {
                        Ok(x) => acc.add(x),
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                self.frame().bound.pop();
                match saved {
                    Some(v) => self.frame().indices.insert(index, v),
                    None => self.frame().indices.remove(&index),
                };
                if let Some((memo, materialized)) = stashed {
                    let f = self.frame();
                    f.memo = memo;
                    f.materialized = materialized;
                }
                result?;
                self.finite(id, acc.total())
            }
            Node::Call { def, args, indices } => {
                let frame = self.call_frame(id, def, &args, &indices)?;
                let (key, keep) = call_key(def, &frame);
                if let Some((v, _)) = self.calls.get(&key) {
                    return Ok(*v);
                }
                self.frames.push(frame);
                let body = self.session.pool.definition(def).body;
                let r = self.value(body);
                self.frames.pop();
                let v = r?;
                self.calls.insert(key, (v, keep));
                Ok(v)
            }
            Node::Diff { .. } => Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "`{}` is a derivative that has not been taken yet",
                    self.text(id)
                ),
            )
            .with_hint("take the derivative first with `gauge diff`, then evaluate the result")),
        }
    }

    fn range_value(&mut self, range: ExprId) -> Result<usize> {
        match self.session.pool.node(range).clone() {
            Node::Len(s, axis) => self.len_of(s, axis),
            _ => {
                let v = self.value(range)?;
                if v >= 0.0 && v.fract() == 0.0 {
                    Ok(v as usize)
                } else {
                    Err(Error::new(
                        ErrorKind::Domain,
                        format!("a sum's range `{}` is {v}, not a count", self.text(range)),
                    ))
                }
            }
        }
    }

    /// Builds the frame for a call: parameters bound to argument values, result indices
    /// bound to the call's index values.
    fn call_frame(
        &mut self,
        call: ExprId,
        def: DefId,
        args: &[ExprId],
        indices: &[ExprId],
    ) -> Result<Frame> {
        let d = self.session.pool.definition(def).clone();
        let mut frame = Frame {
            call: Some(call),
            ..Frame::default()
        };
        for (p, &a) in d.params.iter().zip(args) {
            match p.kind {
                Kind::Scalar => {
                    let v = self.value(a)?;
                    frame.scalars.insert(p.name, v);
                }
                Kind::Index => {
                    let v = self.index_value(a)?;
                    frame.indices.insert(p.name, v);
                }
                Kind::Tensor(_) => {
                    let t = self.tensor_value(a)?;
                    frame.tensors.insert(p.name, t);
                }
            }
        }
        for (&s, &i) in d.indices.iter().zip(indices) {
            let v = self.index_value(i)?;
            frame.indices.insert(s, v);
        }
        Ok(frame)
    }

    /// The tensor an argument denotes: a bound tensor, or a tensor-valued call computed
    /// element by element.
    fn tensor_value(&mut self, arg: ExprId) -> Result<Rc<Tensor>> {
        match self.session.pool.node(arg).clone() {
            Node::Tensor(s) => self.lookup_tensor(s).ok_or_else(|| {
                Error::new(
                    ErrorKind::Binding,
                    format!("no value for the tensor `{}`", self.session.pool.name(s)),
                )
            }),
            Node::Call { def, args, .. } => {
                // A computed tensor may be reused while the indices it depends on keep
                // their values: not across the iterations of an enclosing sum.
                let cacheable = {
                    let f = self.frames.last().expect("frame");
                    let free = self.session.pool.free_symbols(arg);
                    !f.bound.iter().any(|b| free.contains(b))
                };
                if cacheable
                    && let Some(t) = self.frames.last().and_then(|f| f.materialized.get(&arg))
                {
                    return Ok(t.clone());
                }
                let d = self.session.pool.definition(def).clone();
                // Lengths of the result's axes, evaluated in the callee's frame.
                let mut frame = self.call_frame(arg, def, &args, &[])?;
                self.frames.push(frame);
                let mut shape = Vec::new();
                let mut err = None;
                for &r in &d.index_ranges {
                    match self.range_value(r) {
                        Ok(n) => shape.push(n),
                        Err(e) => {
                            err = Some(e);
                            break;
                        }
                    }
                }
                frame = self.frames.pop().expect("pushed");
                if let Some(e) = err {
                    return Err(e);
                }
                let total: usize = shape.iter().product();
                let mut data = Vec::with_capacity(total);
                let mut idx = vec![0usize; shape.len()];
                self.frames.push(frame);
                let mut result = Ok(());
                for _ in 0..total {
                    for (k, &s) in d.indices.iter().enumerate() {
                        let f = self.frame();
                        f.indices.insert(s, idx[k]);
                        // The memos hold values for the previous index tuple.
                        f.memo.clear();
                        f.materialized.clear();
                    }
                    match self.value(d.body) {
                        Ok(v) => data.push(v),
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                    for k in (0..idx.len()).rev() {
                        idx[k] += 1;
                        if idx[k] < shape[k] {
                            break;
                        }
                        idx[k] = 0;
                    }
                }
                self.frames.pop();
                result?;
                let t = Rc::new(Tensor { shape, data });
                if cacheable {
                    self.frame().materialized.insert(arg, t.clone());
                }
                Ok(t)
            }
            _ => Err(Error::new(
                ErrorKind::Unsupported,
                format!("`{}` is not a tensor", self.text(arg)),
            )),
        }
    }

    fn power(&mut self, id: ExprId, b: ExprId, e: ExprId) -> Result<f64> {
        let bv = self.value(b)?;
        let exact = self.session.pool.as_num(e).cloned();
        if let Some(r) = &exact {
            if r.is_integer() && r.numer().to_i32().is_none() {
                // An integer exponent too large for powi: the sign comes from its
                // parity, exactly, and the magnitude from powf.
                if bv == 0.0 && r.is_negative() {
                    return Err(self.domain(
                        id,
                        format!("it divides by `{}`, which is 0", self.text(b)),
                        None,
                    ));
                }
                let magnitude = bv.abs().powf(rational_to_f64(r));
                let odd = r.numer().is_odd();
                let v = if bv < 0.0 && odd {
                    -magnitude
                } else {
                    magnitude
                };
                return self.finite(id, v);
            }
            if r.is_integer()
                && let Some(k) = r.numer().to_i32()
            {
                if bv == 0.0 && k < 0 {
                    return Err(self.domain(
                        id,
                        format!("it divides by `{}`, which is 0", self.text(b)),
                        None,
                    ));
                }
                let v = if k == -1 { 1.0 / bv } else { bv.powi(k) };
                return self.finite(id, v);
            }
            if r.numer() == &1.into() && r.denom() == &2.into() {
                if bv < 0.0 {
                    return Err(self.domain(
                        id,
                        format!(
                            "the square root needs a non-negative argument, and `{}` is {}",
                            self.text(b),
                            format_number(bv)
                        ),
                        None,
                    ));
                }
                return Ok(bv.sqrt());
            }
        }
        let ev = self.value(e)?;
        if bv < 0.0 && ev.fract() != 0.0 {
            return Err(self.domain(
                id,
                format!(
                    "a negative base ({}) has no real power {}",
                    format_number(bv),
                    format_number(ev)
                ),
                None,
            ));
        }
        if bv == 0.0 && ev < 0.0 {
            return Err(self.domain(
                id,
                format!("it divides by `{}`, which is 0", self.text(b)),
                None,
            ));
        }
        let v = if exact.as_ref().is_some_and(|r| r.is_negative()) && ev == -0.5 {
            1.0 / bv.sqrt()
        } else {
            bv.powf(ev)
        };
        self.finite(id, v)
    }

    fn func(&mut self, id: ExprId, f: Func, x: f64) -> Result<f64> {
        let arg_text = |ev: &Self| match ev.session.pool.node(id) {
            Node::Func(_, a) => ev.text(*a),
            _ => ev.text(id),
        };
        match f {
            Func::Ln if x <= 0.0 => {
                let detail = format!(
                    "the logarithm needs a positive argument, and `{}` is {}",
                    arg_text(self),
                    format_number(x)
                );
                return Err(self.domain(id, detail, None));
            }
            Func::Asin | Func::Acos if !(-1.0..=1.0).contains(&x) => {
                let detail = format!(
                    "{} needs an argument in [-1, 1], and `{}` is {}",
                    f.name(),
                    arg_text(self),
                    format_number(x)
                );
                return Err(self.domain(id, detail, None));
            }
            _ => {}
        }
        let v = f.apply(x);
        self.finite(id, v)
    }
}

/// Neumaier's compensated summation: the error of a long sum stays near one rounding.
#[derive(Default)]
struct Neumaier {
    sum: f64,
    compensation: f64,
}

impl Neumaier {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    fn total(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// A sum of terms as the library adds them: compensated, and from 16 terms on in four
/// compensated lanes (term k of each whole group of four to lane k, the rest to lane 0),
/// whose sums are then added compensated and whose compensations plainly.
fn sum_of_terms(values: &[f64]) -> f64 {
    if values.len() < 16 {
        let mut acc = Neumaier::default();
        for &x in values {
            acc.add(x);
        }
        return acc.total();
    }
    let whole = values.len() / 4 * 4;
    let mut lanes: [Neumaier; 4] = Default::default();
    for (k, &x) in values[..whole].iter().enumerate() {
        lanes[k % 4].add(x);
    }
    for &x in &values[whole..] {
        lanes[0].add(x);
    }
    let mut acc = Neumaier::default();
    let mut lost = 0.0;
    for lane in &lanes {
        acc.add(lane.sum);
        lost += lane.compensation;
    }
    acc.compensation += lost;
    acc.total()
}

/// A product held as `mantissa * 2^exponent`, immune to intermediate over- and underflow.
struct ScaledProduct {
    mantissa: f64,
    exponent: i64,
}

impl ScaledProduct {
    fn one() -> ScaledProduct {
        ScaledProduct {
            mantissa: 1.0,
            exponent: 0,
        }
    }

    fn normalize(&mut self) {
        if self.mantissa != 0.0 && self.mantissa.is_finite() {
            let (m, e) = libm::frexp(self.mantissa);
            self.mantissa = m;
            self.exponent += i64::from(e);
        }
    }

    fn multiply(&mut self, x: f64) {
        let (m, e) = libm::frexp(x);
        self.mantissa *= m;
        self.exponent += i64::from(e);
        self.normalize();
    }

    fn divide(&mut self, x: f64) {
        let (m, e) = libm::frexp(x);
        self.mantissa /= m;
        self.exponent -= i64::from(e);
        self.normalize();
    }

    fn value(&self) -> f64 {
        if self.mantissa == 0.0 || !self.mantissa.is_finite() {
            return self.mantissa;
        }
        let e = self.exponent.clamp(-2200, 2200) as i32;
        libm::scalbn(self.mantissa, e)
    }
}

/// The cache key of a call frame, and the tensors it must keep alive.
fn call_key(def: DefId, frame: &Frame) -> (CallKey, Vec<Rc<Tensor>>) {
    let mut scalars: Vec<(Symbol, u64)> = frame
        .scalars
        .iter()
        .map(|(s, v)| (*s, v.to_bits()))
        .collect();
    scalars.sort_unstable();
    let mut indices: Vec<(Symbol, usize)> = frame.indices.iter().map(|(s, v)| (*s, *v)).collect();
    indices.sort_unstable();
    let mut tensors: Vec<(Symbol, Rc<Tensor>)> =
        frame.tensors.iter().map(|(s, t)| (*s, t.clone())).collect();
    tensors.sort_unstable_by_key(|(s, _)| *s);
    let key = CallKey {
        def,
        scalars: scalars.iter().map(|p| p.1).collect(),
        indices: indices.iter().map(|p| p.1).collect(),
        tensors: tensors
            .iter()
            .map(|(_, t)| Rc::as_ptr(t) as usize)
            .collect(),
    };
    (key, tensors.into_iter().map(|(_, t)| t).collect())
}

/// Evaluates `id` at `at` with the reference interpreter.
pub fn eval(session: &mut Workspace, id: ExprId, at: &Bindings) -> Result<f64> {
    Evaluator::new(session, at)?.eval(id)
}
