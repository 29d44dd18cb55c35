#!/usr/bin/env python3
"""User-path benchmark: the `gauge` binary as a process, against SymPy and SymEngine.

Usage:
  python3 benches/cli.py [--quick] [--only W1,W3,...] [--repeat K] [--timeout S]
                         [--memory-limit GIB] [--no-build] [--json OUT.json] [--markdown]

What is timed
-------------
gauge: the release binary (built first with `cargo build --release --locked` under
`nice`, unless --no-build) run as a subprocess, end to end: process start, parsing,
deriving, simplifying, and printing into a pipe that this script reads to the end. The
input is a file in a temporary folder, fed on standard input with `-` as the EXPR
argument, or given with --defs. Per run, `os.wait4` gives the child's CPU time
(user + sys) and peak RSS (`ru_maxrss`); since a child forked from Python starts with
a copy of its ~10 MB, whose pages ru_maxrss keeps counting after exec, a peak at that
floor is measured once more under GNU time (`Bench.own_peak`). K runs (default 5, --quick 1); the report has
the median wall time, the median CPU time, the largest peak RSS and the output bytes.

SymPy and SymEngine (benches/cli_peers.py): each measurement is a fresh Python process
(so that no cache survives from one run to the next, and so that its peak RSS is its
own), which builds the same function with the library's constructors (reported, not
the figure), then times the differentiation alone, `diff` of every requested partial
(the figure most favourable to the peer, and the one the ratio uses), then separately
`str` of every result. W1, W3 and W4 are built by benches/peers.py, so they are the
functions of the library-level benchmark (benches/gradient.rs); W6's peers parse the
very file gauge reads. A peer's peak RSS includes the interpreter and the library
(about 80 MB before any work; the JSON has the exact baseline).

Ratios are peer / gauge: the peer's diff-only median over gauge's whole-process median,
so "12x" means gauge is 12 times faster even though gauge's figure includes starting
the process, parsing and printing. A peer that timed out gives a lower bound (">12x").
Scaling exponents are least-squares slopes of log(time) against log(size) over the
sizes of a sweep that finished; gauge's time includes a process start of a few
milliseconds, which flattens its slope at the small sizes.

Every run has a timeout (default 120 s): a run past it is killed and recorded as
`timeout`; a non-zero exit is `failed` with the first line of standard error; every
child runs under an address-space limit (default 8 GiB) so that a blow-up cannot take
the machine. Runs after the first are skipped when the first took over a tenth of the
timeout, and a larger size is `skipped` when a smaller one timed out, or when it took
over a tenth of the timeout and the growth measured so far predicts a run past the
timeout. Nothing stops the run: each failure is recorded and the next measurement
goes on. The 1-minute load average is recorded at the start of each measurement.

The workloads (ids for --only; sizes, and --quick sizes in brackets)
------------------------------------------------------------------
W1  cross-entropy gradient, `-z0 + ln(exp(z0) + ... + exp(z{n-1}))`:
    `gauge grad - --wrt z0,...,z{n-1}`; n = 10, 100, 1000, 10000 [10, 100].
W2  softmax Jacobian. gauge in index form, one size-independent command:
    `gauge diff 'exp(z[i]) / sum(j, exp(z[j]))' --wrt 'z[k]'`; the peers differentiate
    the explicit n x n Jacobian, n = 10, 30, 100 [10]: the ratio compares an index-form
    result with an explicit one, and is labelled so.
W3  chain exp -> sin -> ln -> square of depth d, nested text (as benches/gradient.rs):
    `gauge diff - --wrt x`; d = 10, 30, 100, 300, 1000 [10, 30].
W4  4-h-3 tanh MLP with cross-entropy, explicit scalar parameters (benches/gradient.rs'
    names): `gauge grad - --wrt <every parameter>`; h = 4, 16, 64, 256 [4].
W5  Hessian of `ln(exp(z0) + ... + exp(z{n-1}))`: `gauge hessian - --wrt z0,...`;
    n = 5, 10, 20, 50, 100 [5]. Peers: all n^2 second partials, `diff` twice. Also
    gauge's printed nodes per Hessian entry (see `printed_nodes`).
W6  parse and print a sum of N terms `sin(x{k})*y{k}`: `gauge latex -`; N = 1000,
    10000, 100000 [1000]. Peers' timed part is parse + print: SymPy `parse_expr` +
    `latex`; SymEngine `sympify` + `str` (it has no LaTeX printer).
W7  inner loop, library level: the n = 100 cross-entropy and its gradient evaluated at
    a batch of 10,000 points, per point: gauge's compiled tape run as a batch given as
    one array of numbers (`Tape::run_rows`, by `cargo bench --bench tape -- per-point
    100`, built under `nice`, run as is) against SymEngine's `Lambdify(...,
    backend='llvm')` called on a NumPy array of the same number of points (the lambda backend if the wheel lacks LLVM; the report says
    which). The note also gives gauge's time one point at a time. Not a process
    measurement: one figure each, best of several rounds.
CHECK  `gauge check 'cross_entropy(z, y)' --defs mlp.gauge --wrt W1,b1,W2,b2,W3,b3
    --at @point.json` on a 64-16-32-10 tanh network [8-4-4-4] at seeded random values
    in [-0.5, 0.5] (y = 3). No peer.
CONV  a 30-layer stack `h1(t) = tanh(t + ln(1 + t^2))`,
    `h{k}(t) = tanh(h{k-1}(t) + h{k-1}(t + 1))`: `gauge diff 'h{L}(t)' --defs conv.gauge
    --wrt t` for L = 5, 10, 20, 30 [5], and `gauge prove conv_claim.gauge` (L = 30 [5])
    for the claim `diff(h30(t), t) = (1 - h30(t)^2)*(diff(h29(t), t) +
    diff(h29(t + 1), t))`. Peers differentiate the same stack built with memoised
    Python functions.

Interfaces as found (gauge 0.1.0 at the time of writing)
-------------------------------------------------------
- `gauge hessian` takes a vector by name (index form) and refuses a comma-separated
  scalar list, so W5 records `failed` until the scalar-list Hessian lands.
- `--at @file` is not read yet, so CHECK probes for it with a one-variable check and
  otherwise passes the same point inline (`--at 'x=[...], W1=[[...], ...], y=3'`); the
  report names the form used.
- The parser refuses nesting deeper than 256 levels, so W3 at d >= 300 records `failed`
  until the deeper parser lands.
- `gauge diff` and `gauge prove` refuse a derivative whose tree would exceed 200,000
  nodes (with or without --cse), so CONV records `failed` at L >= 20 and for the claim.
- `gauge grad` by scalars prints the subterms its partials share once, as `let` lines
  before the entries; `printed_nodes` counts each such body once.
- CHECK at full size takes minutes (about 0.2 s a checked component, 1914 of them), past
  the default timeout: pass `--only CHECK --timeout 600` for its figure.
"""
import argparse
import datetime
import json
import math
import os
import platform
import random
import re
import resource
import selectors
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GAUGE = ROOT / "target" / "release" / "gauge"
PEERS = ROOT / "benches" / "cli_peers.py"
PEER_TOOLS = ("symengine", "sympy")
GNU_TIME = "/usr/bin/time"


# ---------------------------------------------------------------------------------------
# Measuring one process


def run_process(argv, timeout, stdin_path=None, keep_stdout=False, memory_limit=None):
    """Runs `argv` to completion or to `timeout` seconds and measures it.

    Standard output is read as it comes (so a child writing a gigabyte never blocks on a
    full pipe) and only counted unless `keep_stdout`. Returns a dict: status ("ok",
    "timeout" or "failed"), detail (a failure's first non-blank stderr line; with an
    empty stderr, the first `error:` line of stdout, as `gauge prove` reports),
    wall_s (from before the fork to after the reaping), cpu_s and rss_kb of the child
    from `os.wait4`, out_bytes, and stdout (bytes, when kept).
    """

    def limit():
        if memory_limit:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=limit)
    if stdin_path:
        stdin.close()
    out_bytes, kept, head, err, timed_out = 0, [], b"", [], False
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ, "out")
        sel.register(proc.stderr, selectors.EVENT_READ, "err")
        while sel.get_map():
            left = start + timeout - time.perf_counter()
            if left <= 0:
                proc.kill()
                timed_out = True
                break
            for key, _ in sel.select(left):
                chunk = os.read(key.fd, 1 << 20)
                if not chunk:
                    sel.unregister(key.fileobj)
                elif key.data == "out":
                    out_bytes += len(chunk)
                    head = head if len(head) >= 1 << 16 else head + chunk
                    if keep_stdout:
                        kept.append(chunk)
                elif sum(map(len, err)) < 1 << 16:
                    err.append(chunk)
    # Both pipes are closed, so the child is exiting (or was killed): wait4 returns at
    # once, with the child's own resource usage.
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not reap it again
    proc.stdout.close()
    proc.stderr.close()
    result = {"status": "ok", "detail": "", "wall_s": wall,
              "cpu_s": usage.ru_utime + usage.ru_stime, "rss_kb": usage.ru_maxrss,
              "out_bytes": out_bytes}
    if keep_stdout:
        result["stdout"] = b"".join(kept)
    if timed_out:
        result.update(status="timeout", detail=f"killed after {timeout:g} s")
    elif proc.returncode != 0:
        lines = [l.strip(" ×\t") for l in b"".join(err).decode(errors="replace").splitlines()]
        said = [l.strip() for l in head.decode(errors="replace").splitlines() if "error:" in l]
        first = next((l for l in lines + said if l), "")
        if proc.returncode < 0:
            first = f"killed by {signal.Signals(-proc.returncode).name}" + (f": {first}" if first else "")
        result.update(status="failed", detail=first or f"exit code {proc.returncode}")
    return result


def median_of(runs, field):
    """The median of `field` over the runs that have it, or None."""
    values = [r[field] for r in runs if r.get(field) is not None]
    return statistics.median(values) if values else None


# ---------------------------------------------------------------------------------------
# The workloads' inputs, as gauge reads them


def cross_entropy_text(n):
    """W1: the cross-entropy over n explicit logits, and the logits."""
    z = [f"z{k}" for k in range(n)]
    return "-z0 + ln(" + " + ".join(f"exp({v})" for v in z) + ")", z


def logsumexp_text(n):
    """W5: logsumexp over n explicit variables, and the variables."""
    z = [f"z{k}" for k in range(n)]
    return "ln(" + " + ".join(f"exp({v})" for v in z) + ")", z


def chain_text(depth):
    """W3: exp, sin, ln and squaring applied in turn `depth` times to x (peers.py's
    `chain`), as nested text."""
    f = "x"
    for k in range(depth):
        f = (f"exp({f})", f"sin({f})", f"ln({f})", f"({f})^2")[k % 4]
    return f


def mlp_text(h):
    """W4: the cross-entropy of a 4-h-3 tanh network at class 0 over explicit scalar
    parameters, named as in peers.py's `mlp`, and the parameters."""
    hidden = [f"tanh({' + '.join(f'a{i}_{j}*x{j}' for j in range(4))} + c{i})" for i in range(h)]
    logits = [f"({' + '.join(f'd{k}_{i}*{hidden[i]}' for i in range(h))} + e{k})" for k in range(3)]
    text = f"-{logits[0]} + ln(exp{logits[0]} + exp{logits[1]} + exp{logits[2]})"
    params = ([f"a{i}_{j}" for i in range(h) for j in range(4)] + [f"c{i}" for i in range(h)]
              + [f"d{k}_{i}" for k in range(3) for i in range(h)] + [f"e{k}" for k in range(3)])
    return text, params


def sum_text(terms):
    """W6: `sin(x0)*y0 + sin(x1)*y1 + ...` with `terms` terms."""
    return " + ".join(f"sin(x{k})*y{k}" for k in range(terms))


def conv_defs(layers):
    """CONV: the definitions h1 ... h{layers}, one `let` a line."""
    lines = ["let h1(t) = tanh(t + ln(1 + t^2))"]
    lines += [f"let h{k}(t) = tanh(h{k - 1}(t) + h{k - 1}(t + 1))" for k in range(2, layers + 1)]
    return "\n".join(lines) + "\n"


MLP_DEFS = """\
let h1[i] = tanh(sum(j, W1[i, j]*x[j]) + b1[i])
let h2[i] = tanh(sum(j, W2[i, j]*h1[j]) + b2[i])
let z[i] = sum(j, W3[i, j]*h2[j]) + b3[i]
"""


def mlp_point(inputs, hidden1, hidden2, classes, seed=0):
    """CHECK: x, W1, b1, W2, b2, W3, b3 drawn uniformly from [-0.5, 0.5] with a fixed
    seed (six decimals, so the inline and file forms carry the same numbers), y = 3."""
    rng = random.Random(seed)

    def draw(*shape):
        if len(shape) == 1:
            return [round(rng.uniform(-0.5, 0.5), 6) for _ in range(shape[0])]
        return [draw(*shape[1:]) for _ in range(shape[0])]

    return {"x": draw(inputs), "W1": draw(hidden1, inputs), "b1": draw(hidden1),
            "W2": draw(hidden2, hidden1), "b2": draw(hidden2),
            "W3": draw(classes, hidden2), "b3": draw(classes), "y": 3}


NODE_TOKEN = re.compile(r"\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|[A-Za-z_]\w*'*|[-+*/^\[]")
BINDING_HEAD = re.compile(r"\s*(?:let\s+)?[A-Za-z_]\w*(?:\[[^\]]*\]|\([^)]*\))?\s*=(?!=)")


def printed_nodes(text):
    """The number of nodes gauge's printed output spells out.

    A leaf (a name or a number) is one node, and so is each operator: `+ - * / ^` (a
    unary minus too), a function call (`exp(`: the name counts once, as the call) and an
    indexing (`z[i]`: the `[` is the operator, `z` and `i` are leaves). Grouping
    parentheses and commas are not nodes. Each line is `where` (nothing), a binding
    `name = body` or `let name(args) = body` (the body counts once, and each use of the
    name elsewhere is one leaf), or an entry `label: expression` (the label does not
    count). So `softmax(z)[i]*(delta(i, k) - softmax(z)[k])` has 13 nodes.
    """
    total = 0
    for line in text.splitlines():
        if line.strip() == "where":
            continue
        head = BINDING_HEAD.match(line)
        if head:
            line = line[head.end():]
        elif ":" in line:
            line = line.split(":", 1)[1]
        total += len(NODE_TOKEN.findall(line))
    return total


# ---------------------------------------------------------------------------------------
# The benchmark: measurements, skipping, records


class Bench:
    """Holds the settings and every record; measures gauge and the peers."""

    def __init__(self, args, workdir):
        self.repeat = 1 if args.quick and args.repeat is None else (args.repeat or 5)
        self.timeout = args.timeout
        self.memory_limit = int(args.memory_limit * (1 << 30))
        self.workdir = Path(workdir)
        self.records = []
        self.history = {}  # (workload, variant, tool) -> [(size, wall_s, status)]

    def write(self, name, text):
        """Writes an input file into the temporary folder and returns its path."""
        path = self.workdir / name
        path.write_text(text)
        return path

    def skip_reason(self, key, size):
        """Why `size` is not worth running, given the smaller sizes of the same sweep."""
        done = self.history.get(key, [])
        if not done or not isinstance(size, int):
            return None
        last_size, last_wall, last_status = done[-1]
        if last_status == "timeout":
            return "skipped: a smaller size timed out"
        if last_wall is None or last_wall <= self.timeout / 10:
            return None
        slope = 1.0
        if len(done) > 1 and done[-2][1]:
            slope = max(slope, math.log(last_wall / done[-2][1]) / math.log(last_size / done[-2][0]))
        predicted = last_wall * (size / last_size) ** slope
        if predicted > self.timeout:
            return f"skipped: too slow (about {predicted:.0f} s predicted from smaller sizes)"
        return None

    def measure(self, workload, size, tool, argv, stdin_path=None, variant="",
                keep_stdout=False, summarize=None):
        """Runs one tool at one size up to `repeat` times and appends its record, after
        `summarize(record)` has added what the runs' output says."""
        key = (workload, variant, tool)
        record = {"workload": workload, "variant": variant, "size": size, "tool": tool,
                  "loadavg": os.getloadavg(), "runs": []}
        reason = self.skip_reason(key, size)
        if reason:
            record.update(status="skipped", detail=reason)
            self.records.append(record)
            return record
        print(f"  {workload} {variant} {size} {tool} ...", end=" ", file=sys.stderr, flush=True)
        for _ in range(self.repeat):
            run = run_process(argv, self.timeout, stdin_path, keep_stdout, self.memory_limit)
            record["runs"].append(run)
            # A failure repeats itself, and a slow run's median is not worth its cost.
            if run["status"] != "ok" or run["wall_s"] > self.timeout / 10:
                break
        first = record["runs"][0]
        ok = [r for r in record["runs"] if r["status"] == "ok"]
        record.update(status=first["status"], detail=first["detail"],
                      wall_s=median_of(ok, "wall_s"), cpu_s=median_of(ok, "cpu_s"),
                      rss_kb=max(r["rss_kb"] for r in record["runs"]),
                      out_bytes=first["out_bytes"])
        if ok:
            self.own_peak(record, argv, stdin_path)
        print(record["status"], f"{record['wall_s']:.3f} s" if ok else record["detail"],
              file=sys.stderr)
        if summarize:
            summarize(record)
        # A sweep goes on while the figure it reports finished: a peer whose diff ended
        # but whose printing timed out is still worth a larger size.
        status = record.get("timed_status", record["status"])
        self.history.setdefault(key, []).append((size, record["wall_s"], status))
        self.records.append(record)
        return record

    def own_peak(self, record, argv, stdin_path):
        """Makes the record's peak RSS the process's own where wait4's cannot tell it.

        A child forked from this Python process starts with a copy of its memory, and
        ru_maxrss counts that copy (the kernel keeps the peak across exec): about 10 to
        15 MB, measured here as the peak of `true`. Above that floor wait4's figure is
        exact; at it, the process's own peak is lower, and one more run under GNU time
        (whose own fork copies well under 1 MB) measures it. Without GNU time, or when
        the run is too slow to repeat (over a tenth of the timeout), the figure stays,
        marked as an upper bound (`rss_at_floor`).
        """
        floor = run_process(["true"], 10, memory_limit=self.memory_limit)["rss_kb"]
        record["spawn_floor_kb"] = floor
        if record["rss_kb"] > floor + 1024:
            return
        if not os.path.exists(GNU_TIME) or record["wall_s"] > self.timeout / 10:
            record["rss_at_floor"] = True
            return
        output = self.workdir / "peak.txt"
        run = run_process([GNU_TIME, "-f", "%M", "-o", str(output), *argv], self.timeout,
                          stdin_path, memory_limit=self.memory_limit)
        if run["status"] == "ok" and output.exists():
            record.update(rss_wait4_kb=record["rss_kb"], rss_by="GNU time",
                          rss_kb=int(output.read_text().split()[-1]))
        else:
            record["rss_at_floor"] = True  # the run under GNU time failed: keep the bound

    def gauge(self, workload, size, args, stdin_text=None, variant="", keep_stdout=False):
        """Measures `gauge ARGS`, with `stdin_text` (written to a file) on standard input."""
        stdin_path = None
        if stdin_text is not None:
            stdin_path = self.write(f"{workload}-{variant}-{size}.txt", stdin_text)
        record = self.measure(workload, size, "gauge", [str(GAUGE), *args], stdin_path,
                              variant, keep_stdout)
        if keep_stdout:
            # The text is needed for counting, not in the report.
            record["stdout"] = record["runs"][0].pop("stdout", b"").decode(errors="replace")
            for run in record["runs"]:
                run.pop("stdout", None)
        return record

    def peers(self, workload, size, variant="", path=None):
        """Measures SymEngine and SymPy at one size: each run a fresh cli_peers.py."""
        for tool in PEER_TOOLS:
            argv = [sys.executable, str(PEERS), tool, workload, str(size)]
            if path:
                argv.append(str(path))
            self.measure(workload, size, tool, argv, None, variant, keep_stdout=True,
                         summarize=summarize_peer)


def summarize_peer(record):
    """Reads the phases a peer's runs printed into the record: build_s, timed_s (the
    diff alone; W6: parse + print), print_s, their statuses when a run ended before
    them, the printed length and the baseline RSS after the imports."""
    phases_per_run = []
    for run in record["runs"]:
        phases = {}
        for line in run.pop("stdout", b"").decode(errors="replace").splitlines():
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue
            phases[item.pop("phase")] = item
        run["phases"] = phases
        phases_per_run.append(phases)

    def phase(name, seconds=None, needs=None):
        """The median of a phase's seconds (or of `seconds(phases)`) over the runs that
        reached it (`needs`: reached that phase), and its status: ok, or how the first
        run ended before it."""
        seconds = seconds or (lambda p: p[name]["seconds"])
        values = [seconds(p) for p in phases_per_run if (needs or name) in p]
        return (statistics.median(values) if values else None,
                "ok" if values else record["status"])

    record["build_s"], _ = phase("build")
    record["print_s"], record["print_status"] = phase("print")
    if record["workload"] == "W6":
        # W6's peer figure is parse + print, and needs both.
        record["timed_s"], record["timed_status"] = phase(
            "parse", lambda p: p["parse"]["seconds"] + p["print"]["seconds"], needs="print")
    else:
        record["timed_s"], record["timed_status"] = phase("diff")
    first = phases_per_run[0]
    record["chars"] = first.get("print", {}).get("chars")
    record["baseline_rss_kb"] = first.get("ready", {}).get("rss_kb")


# ---------------------------------------------------------------------------------------
# The workloads


def w1(bench, quick):
    """Cross-entropy gradient over n explicit logits."""
    for n in [10, 100] if quick else [10, 100, 1000, 10000]:
        text, z = cross_entropy_text(n)
        bench.gauge("W1", n, ["grad", "-", "--wrt", ",".join(z)], text)
        bench.peers("W1", n)


def w2(bench, quick):
    """The softmax Jacobian: gauge's index form once, the peers' explicit n x n."""
    bench.gauge("W2", "index", ["diff", "exp(z[i]) / sum(j, exp(z[j]))", "--wrt", "z[k]"])
    for n in [10] if quick else [10, 30, 100]:
        bench.peers("W2", n)


def w3(bench, quick):
    """A deep chain of exp, sin, ln and squaring."""
    for d in [10, 30] if quick else [10, 30, 100, 300, 1000]:
        bench.gauge("W3", d, ["diff", "-", "--wrt", "x"], chain_text(d))
        bench.peers("W3", d)


def w4(bench, quick):
    """The gradient of a 4-h-3 tanh MLP's cross-entropy over every parameter."""
    for h in [4] if quick else [4, 16, 64, 256]:
        text, params = mlp_text(h)
        bench.gauge("W4", h, ["grad", "-", "--wrt", ",".join(params)], text)
        bench.peers("W4", h)


def w5(bench, quick):
    """The Hessian of logsumexp over n scalars, and gauge's printed nodes per entry."""
    for n in [5] if quick else [5, 10, 20, 50, 100]:
        text, z = logsumexp_text(n)
        record = bench.gauge("W5", n, ["hessian", "-", "--wrt", ",".join(z)], text,
                             keep_stdout=True)
        output = record.pop("stdout", "")
        if record["status"] == "ok":
            record["nodes_per_entry"] = printed_nodes(output) / n**2
        bench.peers("W5", n)


def w6(bench, quick):
    """Parse and print (LaTeX) a sum of N terms."""
    for terms in [1000] if quick else [1000, 10000, 100000]:
        path = bench.write(f"W6-{terms}.txt", sum_text(terms))
        bench.measure("W6", terms, "gauge", [str(GAUGE), "latex", "-"], path)
        bench.peers("W6", terms, path=path)


def json_result(argv, timeout, memory_limit=None):
    """Runs `argv` and returns (the last JSON object it printed or None, the run)."""
    run = run_process(argv, timeout, keep_stdout=True, memory_limit=memory_limit)
    lines = [l for l in run.pop("stdout").decode(errors="replace").splitlines()
             if l.startswith("{")]
    if run["status"] == "ok" and not lines:
        run.update(status="failed", detail="printed no result")
    return (json.loads(lines[-1]) if lines and run["status"] == "ok" else None), run


def w7(bench, quick):
    """Evaluation of the n = 100 cross-entropy and its gradient, per point of a batch of
    10,000: gauge's tape run as a batch given as one array of numbers (benches/tape.rs,
    built under `nice`, then run as is; its `batch_*_ns` figures, from `Tape::run_rows`)
    against SymEngine's Lambdify called on an array of as many points, so that both
    tools are given the same work in one call. gauge's
    one-point-at-a-time figures (`function_ns`, `gradient_ns`) are kept in the record
    and shown in the note. `quick` changes nothing: it is cheap."""
    n = 100
    load = os.getloadavg()
    print("  W7 building and running benches/tape.rs ...", file=sys.stderr, flush=True)
    subprocess.run(["nice", "cargo", "bench", "--bench", "tape", "--locked", "--no-run"],
                   cwd=ROOT, capture_output=True)
    tape, tape_run = json_result(["cargo", "bench", "--bench", "tape", "--locked", "--",
                                  "per-point", str(n)], bench.timeout)
    lam, lam_run = json_result([sys.executable, str(PEERS), "lambdify", str(n)],
                               bench.timeout, bench.memory_limit)
    for variant in ("function", "gradient"):
        common = {"workload": "W7", "variant": variant, "size": n, "loadavg": load}
        gauge = {**common, "tool": "gauge", "status": tape_run["status"],
                 "detail": tape_run["detail"]}
        if tape:
            gauge.update(wall_s=tape[f"batch_{variant}_ns"] * 1e-9,
                         single_s=tape[f"{variant}_ns"] * 1e-9, tape=tape)
        symengine = {**common, "tool": "symengine", "status": lam_run["status"],
                     "detail": lam_run["detail"], "timed_status": lam_run["status"]}
        if lam:
            symengine.update(timed_s=lam[f"{variant}_s"], lambdify=lam)
        bench.records += [gauge, symengine]


def check(bench, quick):
    """`gauge check` of the tensor-form MLP at one point, `--at @file` if gauge reads it."""
    dims = (8, 4, 4, 4) if quick else (64, 16, 32, 10)
    point = mlp_point(*dims)
    defs = bench.write("mlp.gauge", MLP_DEFS)
    point_file = bench.write("point.json", json.dumps(point))
    probe_file = bench.write("probe.json", json.dumps({"x": 0.5}))
    probe = run_process([str(GAUGE), "check", "x^2", "--wrt", "x", "--at", f"@{probe_file}"], 30)
    if probe["status"] == "ok":
        at, form = f"@{point_file}", "--at @point.json"
    else:
        at = ", ".join(f"{name}={json.dumps(value)}" for name, value in point.items())
        form = "--at inline (gauge does not read @file yet)"
    record = bench.gauge("CHECK", "-".join(map(str, dims)),
                         ["check", "cross_entropy(z, y)", "--defs", str(defs),
                          "--wrt", "W1,b1,W2,b2,W3,b3", "--at", at])
    record["at_form"] = form


def conv(bench, quick):
    """The 30-layer stack: `diff` over a depth sweep, and `prove` of the chain claim."""
    sweep = [5] if quick else [5, 10, 20, 30]
    for layers in sweep:
        defs = bench.write(f"conv{layers}.gauge", conv_defs(layers))
        bench.gauge("CONV", layers, ["diff", f"h{layers}(t)", "--defs", str(defs), "--wrt", "t"],
                    variant="diff")
        bench.peers("CONV", layers, variant="diff")
    top = sweep[-1]
    claim = (f"claim chain: diff(h{top}(t), t) = (1 - h{top}(t)^2)*(diff(h{top - 1}(t), t)"
             f" + diff(h{top - 1}(t + 1), t))\n")
    path = bench.write("conv_claim.gauge", conv_defs(top) + claim)
    bench.gauge("CONV", top, ["prove", str(path)], variant="prove")


WORKLOADS = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5, "W6": w6, "W7": w7,
             "CHECK": check, "CONV": conv}
TITLES = {"W1": "cross-entropy grad", "W2": "softmax Jacobian", "W3": "chain diff",
          "W4": "MLP grad", "W5": "logsumexp Hessian", "W6": "parse + LaTeX",
          "W7": "tape eval per point", "CHECK": "MLP check", "CONV": "conv stack"}
SIZE_NAMES = {"W1": "n", "W2": "n", "W3": "d", "W4": "h", "W5": "n", "W6": "N", "W7": "n",
              "CONV": "L"}


# ---------------------------------------------------------------------------------------
# The report


def machine_facts(versions):
    """Date, CPU, cores, memory, Python and the peers' versions, gauge's commit."""
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem_kb = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines()
                  if l.startswith("MemTotal"))
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    # Dirty means the binary's sources differ from the commit named.
    dirty = git("status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock")
    commit = git("rev-parse", "--short", "HEAD") + (" (dirty)" if dirty else "")
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kb / (1 << 20), 1),
            "python": platform.python_version(), "sympy": versions.get("sympy"),
            "symengine": versions.get("symengine"),
            "symengine_llvm": versions.get("symengine_llvm"), "gauge_commit": commit,
            "gauge_version": subprocess.run([str(GAUGE), "--version"], capture_output=True,
                                            text=True).stdout.strip()}


def slope(points):
    """The least-squares slope of log(time) against log(size), or None under 2 points."""
    if len(points) < 2:
        return None
    xs = [math.log(s) for s, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def figure(record):
    """The time a record's ratio and exponent use: gauge's median wall, a peer's timed
    median (diff alone; W6 parse + print); None if it did not finish."""
    if record is None:
        return None
    return record.get("wall_s") if record["tool"] == "gauge" else record.get("timed_s")


def exponents(records):
    """Scaling exponents per sweep and tool: {(workload, variant): {tool: (slope, sizes)}}."""
    sweeps = {}
    for r in records:
        if isinstance(r["size"], int) and r["workload"] != "W7" and figure(r):
            sweeps.setdefault((r["workload"], r["variant"]), {}).setdefault(r["tool"], []).append(
                (r["size"], figure(r)))
    return {key: {tool: (slope(points), [s for s, _ in points]) for tool, points in tools.items()
                  if len(points) > 1}
            for key, tools in sweeps.items()}


def seconds_text(s):
    """A duration with a unit that keeps three significant digits or so."""
    if s < 1e-3:
        return f"{s * 1e6:.3g} µs"
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def bytes_text(n):
    """A size in B, kB or MB (powers of 1000)."""
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


class Table:
    """The report's one table: a row per workload, variant and size; footnotes for
    every failure, timeout and skip, numbered once per distinct text."""

    COLUMNS = ["workload", "size", "gauge wall", "gauge CPU", "gauge RSS", "gauge out",
               "SymEngine timed", "SymEngine print", "SymEngine RSS",
               "SymPy timed", "SymPy print", "SymPy RSS",
               "SymEngine/gauge", "SymPy/gauge", "load", "notes"]

    def __init__(self, records, timeout):
        self.timeout = timeout
        self.notes = {}
        self.rows = [self.row(group, records) for group in self.groups(records)]

    @staticmethod
    def groups(records):
        """The records by (workload, variant, size), in the order they were measured."""
        groups = {}
        for r in records:
            groups.setdefault((r["workload"], r["variant"], r["size"]), {})[r["tool"]] = r
        return list(groups.values())

    def note(self, text):
        """The footnote marker for `text`."""
        return f"[{self.notes.setdefault(text, len(self.notes) + 1)}]"

    def status(self, record, status):
        """A cell for a measurement that has no number."""
        if record is None:
            return ""
        if status in ("failed", "skipped"):
            return status + self.note(f"{record['tool']}: {record['detail']}")
        return status

    def time_cell(self, record, value, status):
        """A time, or why there is none."""
        return seconds_text(value) if value is not None else self.status(record, status)

    def rss_cell(self, r):
        """A peak RSS; "<=" where it is only an upper bound (see Bench.own_peak)."""
        if not r.get("rss_kb"):
            return ""
        return ("<=" if r.get("rss_at_floor") else "") + bytes_text(r["rss_kb"] * 1024)

    def gauge_cells(self, r):
        """gauge's wall, CPU, peak RSS and output bytes (W7: the per-point time only)."""
        if r is None:
            return [""] * 4
        if r.get("wall_s") is None:
            return [self.status(r, r["status"]), "", "", ""]
        return [seconds_text(r["wall_s"]),
                seconds_text(r["cpu_s"]) if r.get("cpu_s") is not None else "",
                self.rss_cell(r), bytes_text(r["out_bytes"]) if "out_bytes" in r else ""]

    def peer_cells(self, r):
        """A peer's timed part, its printing and its peak RSS."""
        if r is None:
            return [""] * 3
        return [self.time_cell(r, r.get("timed_s"), r.get("timed_status", r["status"])),
                self.time_cell(r, r.get("print_s"), r.get("print_status", "")),
                self.rss_cell(r)]

    def ratio(self, peer, gauge):
        """peer / gauge, a lower bound if the peer timed out, empty otherwise."""
        g = figure(gauge)
        if peer is None or g is None:
            return ""
        if figure(peer) is not None:
            return f"{figure(peer) / g:.3g}x"
        if peer.get("timed_status") == "timeout":
            return f">{self.timeout / g:.3g}x"
        return ""

    def row(self, tools, records):
        """One row's cells."""
        any_record = next(iter(tools.values()))
        workload, variant, size = any_record["workload"], any_record["variant"], any_record["size"]
        gauge = tools.get("gauge")
        notes = []
        if workload == "W2":
            # The peers' rows compare with gauge's one index-form measurement.
            notes.append("gauge: index form, one command" if gauge else "peers: explicit n x n")
            gauge = gauge or next((r for r in records if r["workload"] == "W2"
                                   and r["tool"] == "gauge"), None)
        named = workload in SIZE_NAMES and isinstance(size, int)
        cells = [f"{workload} {TITLES[workload]}" + (f" ({variant})" if variant else ""),
                 f"{SIZE_NAMES[workload]}={size}" if named else str(size)]
        cells += self.gauge_cells(tools.get("gauge"))
        for tool in PEER_TOOLS:
            cells += self.peer_cells(tools.get(tool))
        cells += [self.ratio(tools.get(t), gauge) for t in PEER_TOOLS]
        cells.append(f"{any_record['loadavg'][0]:.1f}")
        notes += self.row_notes(workload, tools)
        cells.append("; ".join(notes))
        return cells

    @staticmethod
    def row_notes(workload, tools):
        """What a row needs said beside its numbers."""
        gauge, se = tools.get("gauge"), tools.get("symengine")
        notes = []
        if gauge and "nodes_per_entry" in gauge:
            notes.append(f"gauge prints {gauge['nodes_per_entry']:.3g} nodes/entry")
        if gauge and "at_form" in gauge:
            notes.append(gauge["at_form"])
        if workload == "W6" and se:
            notes.append("SymEngine prints str (no LaTeX printer)")
        if workload == "W7" and gauge and gauge.get("wall_s") and se and se.get("timed_s"):
            tape, lam = gauge["tape"], se["lambdify"]
            notes.append(f"gauge/SymEngine {gauge['wall_s'] / se['timed_s']:.2f}; gauge "
                         f"gradient/function "
                         f"{tape['batch_gradient_ns'] / tape['batch_function_ns']:.2f}; "
                         f"both given {tape['batch_points']} and {lam['points']} points a "
                         f"batch, SymEngine {lam['backend']} backend; gauge one point at a "
                         f"time {seconds_text(gauge['single_s'])} (gradient/function "
                         f"{tape['gradient_ns'] / tape['function_ns']:.2f})")
        return notes

    def render(self, markdown):
        """The table as Markdown or as aligned plain text, with its footnotes."""
        rows = [self.COLUMNS] + self.rows
        if markdown:
            lines = ["| " + " | ".join(r) + " |" for r in rows]
            lines.insert(1, "|" + "|".join(" --- " for _ in self.COLUMNS) + "|")
        else:
            widths = [max(len(r[k]) for r in rows) for k in range(len(self.COLUMNS))]
            lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
            lines.insert(1, "  ".join("-" * w for w in widths))
        bullet = "- " if markdown else ""
        lines += [""] + [f"{bullet}[{k}] {text}" for text, k in self.notes.items()]
        return "\n".join(lines)


def report(results, markdown):
    """The header (what is timed, when, on what machine, the scaling exponents) and the
    table."""
    m = results["machine"]
    header = [
        f"gauge user-path benchmark, {m['date']}: gauge {m['gauge_commit']} "
        f"({m['gauge_version']}), SymPy {m['sympy']}, SymEngine {m['symengine']}, "
        f"Python {m['python']}; {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB.",
        f"gauge: the release binary as a process, end to end (start, parse, derive, simplify, "
        f"print to a pipe), median of {results['repeat']} runs; CPU and peak RSS of the child "
        f"by wait4 (a peak below the ~10 MB that a fork from Python carries is measured once "
        f"more under GNU time). Peers: a fresh Python process a run; 'timed' is diff of every partial "
        f"alone (W6: parse + print; W7: per point), 'print' is str of the results; their RSS "
        f"includes the interpreter. Ratios: peer timed / gauge wall. Timeout "
        f"{results['timeout']:g} s a run. W7 is a library-level inner-loop figure, not a "
        f"process. 'load' is the 1-minute load average at the start of the row.",
    ]
    fits = []
    for (workload, variant), tools in results["exponents"].items():
        parts = [f"{tool} {s:.2f} (sizes {', '.join(map(str, sizes))})"
                 for tool, (s, sizes) in tools.items()]
        if parts:
            fits.append(f"{workload}{' ' + variant if variant else ''}: " + "; ".join(parts))
    header.append("Scaling exponents (slope of log time on log size): " +
                  (" | ".join(fits) if fits else "none (no sweep had two sizes finish)") + ".")
    table = Table(results["records"], results["timeout"]).render(markdown)
    separator = "\n\n" if markdown else "\n"
    return separator.join(header) + "\n\n" + table


# ---------------------------------------------------------------------------------------
# Main


def parse_args():
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes, one run each")
    p.add_argument("--only", help="comma-separated workload ids: " + ",".join(WORKLOADS))
    p.add_argument("--repeat", type=int, help="runs per measurement (default 5; --quick 1)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds a run (default 120)")
    p.add_argument("--memory-limit", type=float, default=8.0,
                   help="address-space limit of every child, GiB (default 8)")
    p.add_argument("--no-build", action="store_true", help="time the binary as it is")
    p.add_argument("--json", help="write every raw number to this file")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = p.parse_args()
    chosen = [w.strip().upper() for w in args.only.split(",")] if args.only else list(WORKLOADS)
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown:
        p.error(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(WORKLOADS)}")
    args.only = chosen
    return args


def main():
    args = parse_args()
    if not args.no_build:
        print("building target/release/gauge ...", file=sys.stderr, flush=True)
        subprocess.run(["nice", "cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    if not GAUGE.exists():
        sys.exit(f"{GAUGE} is missing: build it, or drop --no-build")
    # cli_peers.py installs sympy and symengine if needed, once, before anything is timed.
    versions = json.loads(subprocess.run([sys.executable, str(PEERS), "versions"], check=True,
                                         capture_output=True, text=True).stdout)
    with tempfile.TemporaryDirectory(prefix="gauge-bench-") as workdir:
        bench = Bench(args, workdir)
        for workload in args.only:
            print(f"{workload} {TITLES[workload]} (load {os.getloadavg()[0]:.1f})",
                  file=sys.stderr, flush=True)
            WORKLOADS[workload](bench, args.quick)
    results = {"machine": machine_facts(versions), "repeat": bench.repeat,
               "timeout": args.timeout, "quick": args.quick, "records": bench.records}
    results["exponents"] = exponents(bench.records)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {**results, "exponents": [{"workload": w, "variant": v, "tool": t, "slope": s,
                                       "sizes": sizes}
                                      for (w, v), tools in results["exponents"].items()
                                      for t, (s, sizes) in tools.items()]}, indent=1))
    print(report(results, args.markdown))


if __name__ == "__main__":
    main()
