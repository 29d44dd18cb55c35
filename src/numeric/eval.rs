//! Evaluation for a workspace, as `gauge eval` does it: the point is checked against the
//! kinds and shapes of the names, then the expression runs on the tape.
//!
//! The checks come first and in a fixed order, so that a bad point is reported the same
//! way whatever the expression: a value beyond `f64`, a value of the wrong kind, linked
//! axes of different lengths, and then the names the expression uses but the point does
//! not give. A domain error names the subexpression that failed, the point (the names
//! the expression uses, in the order given), and the call it happened in.

use rustc_hash::FxHashMap;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::kind::Kind;
use crate::expr::node::{ExprId, Node, Symbol};
use crate::expr::pool::Pool;
use crate::lower::workspace::Workspace;
use crate::numeric::tape::{Fault, Tape};
use crate::numeric::value::{Bindings, Value, format_number, format_value};
use crate::print::text::to_text;
use crate::syntax::parse::Grammar;

/// Numbers for a session: evaluating its expressions and reading `--at` points.
///
/// Lowering knows nothing of values; this trait gives a [`Workspace`] the two operations
/// that need them, so call sites read `session.eval(id, &at)`.
pub trait Evaluate {
    /// Parses `--at` bindings such as `z=[2.1, 1.8], y=0`, or a point as a JSON object
    /// (`{"z": [2.1, 1.8], "y": 0}`).
    fn parse_bindings(&mut self, text: &str) -> Result<Bindings> {
        self.parse_bindings_named("<bindings>", text)
    }
    /// Parses bindings as [`Evaluate::parse_bindings`] does, from a text shown in
    /// diagnostics under `name` (a file's path).
    fn parse_bindings_named(&mut self, name: &str, text: &str) -> Result<Bindings>;
    /// Evaluates an expression at a point, in `f64`. To evaluate one expression at many
    /// points, compile it once with [`Compiled::new`].
    fn eval(&mut self, id: ExprId, at: &Bindings) -> Result<f64>;
}

impl Evaluate for Workspace {
    fn parse_bindings_named(&mut self, name: &str, text: &str) -> Result<Bindings> {
        let id = self.sources.add(name, text);
        // No `--at` text starts with a bracket, so a point that does is JSON.
        if text.trim_start().starts_with(['{', '[']) {
            return Bindings::from_json(self, id, text);
        }
        let parsed = Grammar::new(text, id).parse_bindings()?;
        Bindings::from_syntax(self, &parsed)
    }

    fn eval(&mut self, id: ExprId, at: &Bindings) -> Result<f64> {
        Compiled::new(self, id).eval(self, at)
    }
}

/// An expression compiled once, to evaluate at many points with the checks and messages
/// of [`Evaluate::eval`].
#[derive(Clone, Debug)]
pub struct Compiled {
    id: ExprId,
    /// The names the expression uses, definitions' globals included.
    used: Vec<Symbol>,
    /// The tape, or why it could not be built: reported only after the point's own
    /// checks, so that a bad point is reported first, as for any expression.
    tape: std::result::Result<Tape, Error>,
}

impl Compiled {
    /// Compiles `id` for evaluation.
    pub fn new(session: &mut Workspace, id: ExprId) -> Compiled {
        let used = session.names_used(id);
        let tape = Tape::compile(&mut session.pool, id);
        Compiled { id, used, tape }
    }

    /// Checks the point as [`Compiled::eval`] does (kinds, linked lengths, labels,
    /// names), without evaluating, for a caller that evaluates in another number type.
    pub fn check(&self, session: &Workspace, at: &Bindings) -> Result<()> {
        self.check_held(session, at, &[])
    }

    /// [`Compiled::check`] of a point whose large tensors are `held` by shape alone:
    /// a dump's weights, read in place from its file, whose elements were checked to
    /// be finite as they were read. They are checked against their names' kinds, and
    /// their lengths against the axes they are linked to.
    pub fn check_held(
        &self,
        session: &Workspace,
        at: &Bindings,
        held: &[(Symbol, Vec<usize>)],
    ) -> Result<()> {
        check_point(session, at, held)?;
        let missing: Vec<Symbol> = self
            .used
            .iter()
            .copied()
            .filter(|s| !held.iter().any(|h| h.0 == *s))
            .collect();
        check_names(session, at, &missing)?;
        Ok(())
    }

    /// The value at `at`, in `f64`.
    pub fn eval(&self, session: &mut Workspace, at: &Bindings) -> Result<f64> {
        let given = check_point(session, at, &[])?;
        check_names(session, at, &self.used)?;
        let tape = self.tape.as_ref().map_err(Clone::clone)?;
        let inputs = tape.inputs(&session.pool, at)?;
        tape.eval_fault(&inputs).map_err(|fault| {
            // The point shows the names the expression uses, in the order given.
            let point = given
                .iter()
                .filter(|(s, _)| self.used.contains(s))
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            explain(session, self.id, at, &fault, &point)
        })
    }
}

/// Checks every given value against the kind of its name (whatever the expression
/// uses), and linked axes against each other; returns each binding as `name = value`.
fn check_point(
    session: &Workspace,
    at: &Bindings,
    held: &[(Symbol, Vec<usize>)],
) -> Result<Vec<(Symbol, String)>> {
    let mut given = Vec::new();
    for (name, shape) in held {
        let mismatch = |kind: Kind| {
            Error::new(
                ErrorKind::Binding,
                format!(
                    "`{}` is {}, but its value is a tensor with {} axes",
                    session.pool.name(*name),
                    kind.describe(),
                    shape.len()
                ),
            )
        };
        match session.kind_of(*name) {
            Some(k @ Kind::Tensor(r)) if shape.len() != r as usize => return Err(mismatch(k)),
            Some(k @ (Kind::Scalar | Kind::Index)) => return Err(mismatch(k)),
            _ => {}
        }
    }
    for name in at.names() {
        let Some(value) = at.get(name) else {
            continue;
        };
        let text = session.pool.name(name).to_string();
        given.push((name, format!("{text} = {}", format_value(value))));
        let span = at.span(name);
        let labelled = |e: Error| match span {
            Some(sp) => e.with_label(sp, "given here"),
            None => e,
        };
        let finite = match value {
            Value::Scalar(x) => x.is_finite(),
            Value::Tensor(t) => t.data.iter().all(|x| x.is_finite()),
        };
        if !finite {
            return Err(labelled(Error::new(
                ErrorKind::Binding,
                format!("the value of `{text}` is beyond the range of f64 (about 1.8e308)"),
            )));
        }
        let kind = session.kind_of(name);
        let mismatch = |what: &str, kind: Kind| {
            labelled(Error::new(
                ErrorKind::Binding,
                format!("`{text}` is {}, but its value is {what}", kind.describe()),
            ))
        };
        match (value, kind) {
            (Value::Scalar(x), Some(Kind::Index)) => {
                if *x < 0.0 || x.fract() != 0.0 || *x > u32::MAX as f64 {
                    return Err(
                        mismatch("not a whole number from 0 to 4294967295", Kind::Index)
                            .with_hint("indices count from 0, as in NumPy and PyTorch"),
                    );
                }
            }
            (Value::Scalar(_), Some(k @ Kind::Tensor(_))) => {
                return Err(
                    mismatch("a number", k).with_hint("give a tensor as a list: `z=[1, 2, 3]`")
                );
            }
            (Value::Scalar(_), _) => {}
            (Value::Tensor(t), Some(k @ Kind::Tensor(r))) if t.shape.len() != r as usize => {
                return Err(mismatch(
                    &format!("a tensor with {} axes", t.shape.len()),
                    k,
                ));
            }
            (Value::Tensor(t), Some(k @ (Kind::Scalar | Kind::Index))) => {
                return Err(mismatch(
                    &format!("a tensor with {} axes", t.shape.len()),
                    k,
                ));
            }
            (Value::Tensor(_), _) => {}
        }
    }
    check_lengths(session, at, held)?;
    check_labels(session, at, held)?;
    Ok(given)
}

/// Checks that the labels given stay below the length of the axis they index
/// (`lab` in `Z[n, lab[n]]`, or passed to a definition that uses it so), where that
/// length is given too: a label past it is an error, and not a 0 from a delta that
/// never matches, as `onehot` would give.
fn check_labels(session: &Workspace, at: &Bindings, held: &[(Symbol, Vec<usize>)]) -> Result<()> {
    for name in at.names() {
        let Some(Value::Tensor(t)) = at.get(name) else {
            continue;
        };
        if !session.pool.is_label(name) {
            continue;
        }
        let whole = |x: f64| x >= 0.0 && x.fract() == 0.0 && x <= u32::MAX as f64;
        if let Some(k) = t.data.iter().position(|&x| !whole(x)) {
            let e = Error::new(
                ErrorKind::Binding,
                format!(
                    "`{}[{}]` is {}, but `{}` holds labels, which must be whole numbers from 0",
                    session.pool.name(name),
                    position_text(&t.shape, k),
                    t.data[k],
                    session.pool.name(name),
                ),
            )
            .with_hint("labels are class numbers counted from 0, as in PyTorch's targets");
            return Err(match at.span(name) {
                Some(sp) => e.with_label(sp, "given here"),
                None => e,
            });
        }
        let Some(range) = session.pool.label_range(name) else {
            continue;
        };
        let below = match session.pool.node(range) {
            Node::Len(s, axis) => {
                shape_of(at, held, *s).and_then(|x| x.get(*axis as usize).copied())
            }
            Node::Num(r) if r.is_integer() => r.to_integer().try_into().ok(),
            _ => None,
        };
        let Some(below) = below else { continue };
        let Some(k) = t.data.iter().position(|&x| x >= below as f64) else {
            continue;
        };
        let text = session.pool.name(name);
        let which = match session.pool.node(range) {
            Node::Num(_) => String::new(),
            _ => format!(" ({})", to_text(&session.pool, range)),
        };
        let e = Error::new(
            ErrorKind::Binding,
            format!(
                "`{text}[{}]` is {}, but the labels `{text}` index an axis of length {below}{which}",
                position_text(&t.shape, k),
                t.data[k],
            ),
        )
        .with_hint("labels are class numbers from 0 below the number of classes");
        return Err(match at.span(name) {
            Some(sp) => e.with_label(sp, "given here"),
            None => e,
        });
    }
    Ok(())
}

/// The shape of the tensor `s` at a point, given or held.
fn shape_of<'a>(
    at: &'a Bindings,
    held: &'a [(Symbol, Vec<usize>)],
    s: Symbol,
) -> Option<&'a [usize]> {
    match at.get(s) {
        Some(Value::Tensor(t)) => Some(&t.shape),
        _ => held.iter().find(|h| h.0 == s).map(|h| h.1.as_slice()),
    }
}

/// Checks that axes linked by a shared index have equal lengths in the given values.
fn check_lengths(session: &Workspace, at: &Bindings, held: &[(Symbol, Vec<usize>)]) -> Result<()> {
    let len = |id: ExprId| match session.pool.node(id) {
        Node::Len(s, axis) => shape_of(at, held, *s).and_then(|x| x.get(*axis as usize).copied()),
        _ => None,
    };
    for &(a, b, span) in &session.equal_lengths {
        let (Some(la), Some(lb)) = (len(a), len(b)) else {
            continue;
        };
        if la != lb {
            let pa = to_text(&session.pool, a);
            let pb = to_text(&session.pool, b);
            return Err(Error::new(
                ErrorKind::Binding,
                format!("{pa} is {la} but {pb} is {lb}; they must be equal"),
            )
            .with_label(span, "this index links the two axes"));
        }
    }
    Ok(())
}

/// The position of the `k`th element (last axis fastest) of a tensor of `shape`, as
/// indices: `1, 0`.
fn position_text(shape: &[usize], k: usize) -> String {
    let mut position = Vec::with_capacity(shape.len());
    let mut rest = k;
    for &n in shape.iter().rev() {
        position.push(rest % n.max(1));
        rest /= n.max(1);
    }
    position.reverse();
    let texts: Vec<String> = position.iter().map(|p| p.to_string()).collect();
    texts.join(", ")
}

/// Checks that every name the expression uses has a value, naming all that do not.
fn check_names(session: &Workspace, at: &Bindings, used: &[Symbol]) -> Result<()> {
    let mut missing: Vec<(String, Kind)> = used
        .iter()
        .filter_map(|&s| {
            let kind = session.kind_of(s)?;
            at.get(s)
                .is_none()
                .then(|| (session.pool.name(s).to_string(), kind))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    missing.sort_by(|a, b| crate::expr::order::cmp_names(&a.0, &b.0));
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

/// A fault as the user's message: the failing node printed from the pool, the point, and
/// the innermost call the node belongs to with its local values, as a frame of the
/// definition would hold them (parameters, result indices, and the indices of the sums
/// inside its body that were running).
#[cold]
#[inline(never)]
fn explain(
    session: &mut Workspace,
    root: ExprId,
    at: &Bindings,
    fault: &Fault,
    point: &str,
) -> Error {
    let pool = &mut session.pool;
    let quoted = fault.nodes();
    let sums: Vec<ExprId> = fault.loops.iter().map(|l| l.0).collect();
    let targets: Vec<ExprId> = quoted.iter().chain(&sums).copied().collect();
    let found = calls_of(pool, root, &targets);
    // The calls the failing node is inside, outermost first, as compiled (each in the
    // names of the top level, since the tape expands them).
    let chain = found.get(&fault.node).cloned().unwrap_or_default();
    let call = chain.last().copied();
    // The point with the running sums' indices bound, innermost last so that it wins,
    // to evaluate arguments that mention them.
    let mut local_at = at.clone();
    for &(sum, v) in fault.loops.iter().rev() {
        if let Node::Sum { index, .. } = pool.node(sum) {
            local_at.insert(*index, Value::Scalar(v as f64));
        }
    }
    // Inside a call, the nodes a message quotes are printed as the definition states
    // them, in its parameters' names (`1/v`, not the argument's `1/y`).
    let mut stated: FxHashMap<ExprId, ExprId> = FxHashMap::default();
    if let Some(call) = call {
        // The failing node first, then its operand inside it: with `eml(x, x)`, the
        // operand `x` of `ln(y)` is the body's `y`.
        let mut within = None;
        for &id in &quoted {
            let b = within
                .and_then(|w| body_node(pool, call, id, Some(w)))
                .or_else(|| body_node(pool, call, id, None));
            if let Some(b) = b {
                stated.insert(id, b);
                within = within.or(Some(b));
            }
        }
    }
    let mut inside = String::new();
    if let (Some(call), Some((&first, rest))) = (call, chain.split_first()) {
        // The innermost call is shown as its enclosing body writes it (`f(u, u)` in
        // `h`, not the expanded `f(x, x)`), with its arguments valued in the frame of
        // that body, as the interpreter that evaluated definitions frame by frame did.
        let (written, frame) = enclosing_frame(pool, first, rest, &fault.loops, &found, &local_at);
        let mut locals = locals(pool, written, &frame);
        for &(sum, v) in &fault.loops {
            if innermost(&found, sum) != Some(call) {
                continue;
            }
            let b = body_node(pool, call, sum, None).unwrap_or(sum);
            if let Node::Sum { index, .. } = pool.node(b) {
                locals.push(format!("{} = {v}", pool.name(*index)));
            }
        }
        locals.sort();
        locals.dedup();
        inside = format!(", inside `{}`", to_text(pool, written));
        if !locals.is_empty() {
            inside.push_str(&format!(" where {}", locals.join(", ")));
        }
    }
    let pool = &session.pool;
    let text = |id: ExprId| to_text(pool, stated.get(&id).copied().unwrap_or(id));
    let name = |s: Symbol| match stated.get(&fault.node).map(|&b| pool.node(b)) {
        // A tensor read inside a call is named as the definition names it.
        Some(Node::Elem(t, _)) => pool.name(*t).to_string(),
        _ => pool.name(s).to_string(),
    };
    fault.to_error(&text, &name, point, &inside)
}

/// The calls each target node is compiled in, outermost first (empty outside every
/// call), found by walking `root` the way the tape's compilation does: a call's arguments in
/// the caller, then its expanded body. The first place found is where the tape computes
/// the node first.
fn calls_of(pool: &mut Pool, root: ExprId, targets: &[ExprId]) -> FxHashMap<ExprId, Vec<ExprId>> {
    struct Walk<'t> {
        targets: &'t [ExprId],
        seen: rustc_hash::FxHashSet<ExprId>,
        calls: Vec<ExprId>,
        found: FxHashMap<ExprId, Vec<ExprId>>,
    }
    fn walk(pool: &mut Pool, id: ExprId, w: &mut Walk<'_>) {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || walk(pool, id, w));
        }
        if !w.seen.insert(id) {
            return;
        }
        if w.targets.contains(&id) {
            w.found.entry(id).or_insert_with(|| w.calls.clone());
        }
        match pool.node(id).clone() {
            Node::Call { args, .. } => {
                for &a in args.iter() {
                    walk(pool, a, w);
                }
                if let Some(body) = pool.expand_call(id).filter(|&b| b != id) {
                    w.calls.push(id);
                    walk(pool, body, w);
                    w.calls.pop();
                }
            }
            Node::Diff { .. } => {}
            other => {
                for c in crate::expr::node::children(&other) {
                    walk(pool, c, w);
                }
            }
        }
    }
    let mut w = Walk {
        targets,
        seen: rustc_hash::FxHashSet::default(),
        calls: Vec::new(),
        found: FxHashMap::default(),
    };
    walk(pool, root, &mut w);
    w.found
}

/// The innermost call a node is compiled in, if any.
fn innermost(found: &FxHashMap<ExprId, Vec<ExprId>>, id: ExprId) -> Option<ExprId> {
    found.get(&id).and_then(|c| c.last().copied())
}

/// The innermost of the calls `first` and then `rest` (as compiled, outermost first),
/// as its enclosing body writes it, and the frame that body runs in: the point, with the enclosing
/// definition's parameters, result indices and running sums' indices bound to their
/// values. Each level's arguments are valued in the frame of the level around it.
fn enclosing_frame(
    pool: &mut Pool,
    first: ExprId,
    rest: &[ExprId],
    loops: &[(ExprId, usize)],
    found: &FxHashMap<ExprId, Vec<ExprId>>,
    at: &Bindings,
) -> (ExprId, Bindings) {
    let mut written = first;
    let mut frame = at.clone();
    let mut outer = first;
    for &call in rest {
        // The frame of `outer`'s body: its parameters from the arguments as written
        // around it, then the sums running inside it, innermost last so that it wins.
        let mut inner = frame_of(pool, written, &frame, at);
        let mut running = Vec::new();
        for &(sum, v) in loops.iter().rev() {
            if innermost(found, sum) != Some(outer) {
                continue;
            }
            if let Some(b) = written_node(pool, outer, sum)
                && let Node::Sum { index, .. } = pool.node(b.0)
            {
                inner.insert(*index, Value::Scalar(v as f64));
                running.push(*index);
            }
        }
        // Without a node of the body that expands to it, the expanded call is the best
        // text there is; its arguments are then in the top level's names.
        (written, frame) = match written_node(pool, outer, call) {
            Some((b, sums)) => {
                // A sum around the call that the fault did not stop inside was hoisted
                // out of it: the interpreter met the fault on its first pass, at 0.
                for s in sums {
                    if !running.contains(&s) {
                        inner.insert(s, Value::Scalar(0.0));
                    }
                }
                (b, inner)
            }
            None => (call, at.clone()),
        };
        outer = call;
    }
    (written, frame)
}

/// The frame a call's body runs in: `globals` (the point, for the names definitions
/// use without parameters) with the call's parameters and result indices bound to the
/// values of its arguments in `at`.
fn frame_of(pool: &mut Pool, call: ExprId, at: &Bindings, globals: &Bindings) -> Bindings {
    let mut frame = globals.clone();
    let Node::Call { def, args, indices } = pool.node(call).clone() else {
        return frame;
    };
    let d = pool.definition(def).clone();
    for (p, &a) in d.params.iter().zip(args.iter()) {
        let value = match p.kind {
            Kind::Scalar => scalar_value(pool, a, at).map(Value::Scalar),
            Kind::Index => index_number(pool, a, at).map(Value::Scalar),
            Kind::Tensor(_) => match pool.node(a) {
                Node::Tensor(s) => at.get(*s).cloned(),
                _ => None,
            },
        };
        if let Some(v) = value {
            frame.insert(p.name, v);
        }
    }
    for (&s, &i) in d.indices.iter().zip(indices.iter()) {
        if let Some(v) = index_number(pool, i, at) {
            frame.insert(s, Value::Scalar(v));
        }
    }
    frame
}

/// The value of a scalar expression at `at`, if it has one.
fn scalar_value(pool: &mut Pool, a: ExprId, at: &Bindings) -> Option<f64> {
    Tape::compile(pool, a)
        .ok()
        .and_then(|t| t.inputs(pool, at).ok().and_then(|i| t.eval(&i).ok()))
}

/// The value of an index expression (a whole number or an index name) at `at`.
fn index_number(pool: &Pool, a: ExprId, at: &Bindings) -> Option<f64> {
    match pool.node(a) {
        Node::Num(r) => r.to_integer().try_into().ok().map(|v: usize| v as f64),
        Node::Index(s) => match at.get(*s) {
            Some(Value::Scalar(x)) => Some(*x),
            _ => None,
        },
        _ => None,
    }
}

/// The node of a call's definition body that becomes `target` in the call's expansion,
/// with the indices of the body's sums around it (innermost last). Unlike
/// [`body_node`], it follows the expansion into sums, whose indices the expansion may
/// rename, so it also finds nodes that mention a sum's index.
fn written_node(pool: &mut Pool, call: ExprId, target: ExprId) -> Option<(ExprId, Vec<Symbol>)> {
    if let Some(b) = body_node(pool, call, target, None) {
        let sums = sums_around(pool, call, b);
        return Some((b, sums));
    }
    let (body, subst) = pool.call_subst(call)?;
    let mut seen = rustc_hash::FxHashSet::default();
    let mut todo = vec![(body, subst, Vec::new())];
    while let Some((b, subst, sums)) = todo.pop() {
        if !seen.insert(b) {
            continue;
        }
        let e = pool.substitute(b, &subst);
        if e == target {
            return Some((b, sums));
        }
        let (mut subst, mut sums) = (subst, sums);
        if let (Node::Sum { index: i, .. }, Node::Sum { index: j, .. }) =
            (pool.node(b).clone(), pool.node(e).clone())
        {
            sums.push(i);
            if i != j {
                let renamed = pool.index(j);
                subst.indices.insert(i, renamed);
            }
        }
        for c in crate::expr::node::children(pool.node(b)) {
            todo.push((c, subst.clone(), sums.clone()));
        }
    }
    None
}

/// The indices of the sums of a call's definition body around its node `node`.
fn sums_around(pool: &Pool, call: ExprId, node: ExprId) -> Vec<Symbol> {
    fn path(pool: &Pool, at: ExprId, node: ExprId, sums: &mut Vec<Symbol>) -> bool {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || path(pool, at, node, sums));
        }
        if at == node {
            return true;
        }
        let index = match pool.node(at) {
            Node::Sum { index, .. } => Some(*index),
            _ => None,
        };
        sums.extend(index);
        for c in crate::expr::node::children(pool.node(at)) {
            if path(pool, c, node, sums) {
                return true;
            }
        }
        if index.is_some() {
            sums.pop();
        }
        false
    }
    let Node::Call { def, .. } = pool.node(call) else {
        return Vec::new();
    };
    let mut sums = Vec::new();
    path(pool, pool.definition(*def).body, node, &mut sums);
    sums
}

/// The node of a call's definition body that becomes `target` once the call's
/// arguments replace its parameters, if there is one; searched among the proper
/// subexpressions of `within` when given, else in the whole body.
fn body_node(
    pool: &mut Pool,
    call: ExprId,
    target: ExprId,
    within: Option<ExprId>,
) -> Option<ExprId> {
    let (body, subst) = pool.call_subst(call)?;
    // Several nodes may become the target (`exp(x) - ln(y)` and `exp(x)` when y is 1):
    // the last found, which no later node is inside, is the one the body computes it by.
    let mut seen = rustc_hash::FxHashSet::default();
    let mut todo = match within {
        Some(w) => crate::expr::node::children(pool.node(w)),
        None => vec![body],
    };
    let mut found = None;
    while let Some(b) = todo.pop() {
        if !seen.insert(b) {
            continue;
        }
        if pool.substitute(b, &subst) == target {
            found = Some(b);
        }
        todo.extend(crate::expr::node::children(pool.node(b)));
    }
    found
}

/// The values of a call's scalar and index parameters and of its result indices, as
/// `name = value` text; `at` binds the running sums' indices too, so that arguments that
/// mention them have values.
fn locals(pool: &mut Pool, call: ExprId, at: &Bindings) -> Vec<String> {
    let Node::Call { def, args, indices } = pool.node(call).clone() else {
        return Vec::new();
    };
    let d = pool.definition(def).clone();
    let mut out = Vec::new();
    let index_value = |pool: &Pool, a: ExprId| match pool.node(a) {
        Node::Num(r) => r.to_integer().try_into().ok().map(|v: usize| v.to_string()),
        Node::Index(s) => match at.get(*s) {
            Some(Value::Scalar(x)) => Some(format_number(*x)),
            _ => None,
        },
        _ => None,
    };
    for (p, &a) in d.params.iter().zip(args.iter()) {
        let value = match p.kind {
            Kind::Scalar => Tape::compile(pool, a)
                .ok()
                .and_then(|t| t.inputs(pool, at).ok().and_then(|i| t.eval(&i).ok()))
                .map(format_number),
            Kind::Index => index_value(pool, a),
            Kind::Tensor(_) => None,
        };
        if let Some(v) = value {
            out.push(format!("{} = {v}", pool.name(p.name)));
        }
    }
    for (&s, &i) in d.indices.iter().zip(indices.iter()) {
        if let Some(v) = index_value(pool, i) {
            out.push(format!("{} = {v}", pool.name(s)));
        }
    }
    out
}
