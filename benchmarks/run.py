"""hwcheck's speed claims (README, "Speed"), one command each.

    python benchmarks/run.py startup   [--quick] [--runs N]
    python benchmarks/run.py grade     [--quick] [--runs N] [--parts]
    python benchmarks/run.py batch     [--quick] [--size N] [--growth] [--baseline DIR]
    python benchmarks/run.py conv      [--quick] [--size 2N] [--k K] [--growth]
    python benchmarks/run.py formula   [--quick]
    python benchmarks/run.py html      [--quick] [--size N] [--runs N]

Every benchmark times hwcheck and its reference side by side in the same run, interleaved
where the two are separate processes, and prints medians and their ratio: on a shared
2-core machine an absolute time alone says little. ``--quick`` runs a tiny size, only to
show that the command works (the tests use it); its figures mean nothing.

The exit status is 0 whether or not a target is met (the verdict is printed); it is 1 only
when a correctness check fails (the fast path disagrees with the slow one).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:          # run from a checkout without installing hwcheck
    sys.path.insert(0, str(ROOT))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import classgen  # noqa: E402
import slow      # noqa: E402

# DESIGN §7's reference for `solve p5`: what any CLI that draws a table with rich imports.
BARE = "import numpy, yaml, typer, rich.console, rich.table"


# --- helpers -------------------------------------------------------------------------------

PYCACHE = Path(tempfile.gettempdir()) / "hwcheck-bench-pycache"


def _env(root: Path | None = None) -> dict:
    """The environment for hwcheck subprocesses: this checkout (or ``root``, another
    checkout to compare with) first on the path.

    Bytecode is cached (in a temporary folder, not the checkout), as after ``pip install``:
    where PYTHONDONTWRITEBYTECODE is set, every run would otherwise recompile hwcheck from
    source while numpy and the rest load their installed bytecode.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root or ROOT)] + [p for p in
                                         env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env.pop("HWCHECK_DEBUG", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def hwcheck_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "hwcheck", *args]


def typed_cmd(*args: str) -> tuple[list[str], str]:
    """What a student types, ``hwcheck ARGS``: the console script installed beside this
    Python (pip's wrapper imports ``hwcheck.cli`` and calls ``run``; this checkout comes
    first on its path), else ``python -m hwcheck``, which also loads ``runpy`` (~3 ms)."""
    script = Path(sys.executable).with_name("hwcheck")
    if script.is_file():
        return [str(script), *args], "the `hwcheck` console script"
    return hwcheck_cmd(*args), "`python -m hwcheck` (no console script installed here)"


def _run(cmd: list[str], *, ok=(0, 1), cwd: Path = ROOT,
         root: Path | None = None) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds) of one subprocess; its output is discarded.

    CPU time (user + system, the process and its children) is printed beside the wall
    clock: on a busy machine it moves less.
    """
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # (`python -m` puts the working folder first on the path: another checkout runs in its own)
    proc = subprocess.run(cmd, cwd=root or cwd, env=_env(root), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # A crash exits 1 as a graded-with-mistakes run does: its traceback tells them apart.
    if proc.returncode not in ok or b"Traceback (most recent call last)" in proc.stderr:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n"
                         f"{proc.stderr.decode(errors='replace')}")
    return dt, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def interleaved(cmds: dict[str, list[str]], runs: int, warmup: int = 1, **kw) -> dict:
    """Run each command ``runs`` times, alternating A B A B …; (wall, cpu) lists per command."""
    for _ in range(warmup):
        for cmd in cmds.values():
            _run(cmd, **kw)
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            wall, cpu = _run(cmd, **kw)
            times[name][0].append(wall)
            times[name][1].append(cpu)
    return times


def machine() -> str:
    """What the figures were measured on: cores, load (others' work skews wall clocks)."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"python {sys.version.split()[0]}, {os.cpu_count()} cores, "
            f"load average {load} before the run")


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms" if seconds < 10 else f"{seconds:,.2f} s"


def _verdict(ratio: float, target: float, quick: bool) -> str:
    if quick:
        return "(--quick: a smoke run, figures not meaningful)"
    return f"target ≤ {target:g}×: {'met' if ratio <= target else 'NOT met'}"


def _median_time(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


# --- 1. startup ----------------------------------------------------------------------------

# `main`, not `python -m hwcheck`: the program ends in os._exit (cli.run), before this
# probe could look; `python -m hwcheck` imports nothing besides hwcheck.cli.
HELP_PROBE = """
import sys
sys.argv = ["hwcheck", "--help"]
from hwcheck.cli import main
try:
    main()
except SystemExit:
    pass
heavy = ("numpy", "yaml", "pydantic", "rich.console")
print("LOADED", " ".join(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


def help_imports() -> list[str]:
    """The heavy modules loaded by ``hwcheck --help`` (in a fresh subprocess)."""
    proc = subprocess.run([sys.executable, "-c", HELP_PROBE], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, check=True)
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("LOADED"))
    return line.split()[1:]


def startup(args) -> int:
    runs = 2 if args.quick else args.runs
    cmds = {"hwcheck solve p5": hwcheck_cmd("solve", "p5"),
            f'python -c "{BARE}"': [sys.executable, "-c", BARE]}
    times = interleaved(cmds, runs)
    (a, (wa, ca)), (b, (wb, cb)) = times.items()
    print(f"startup: {runs} interleaved runs each (after 1 warm-up), medians")
    print(f"  {'':<45} {'wall':>10} {'cpu':>10}")
    for name, w, c in ((a, wa, ca), (b, wb, cb)):
        print(f"  {name:<45} {_ms(statistics.median(w)):>10} {_ms(statistics.median(c)):>10}")
    ratio = statistics.median(wa) / statistics.median(wb)
    cpu_ratio = statistics.median(ca) / statistics.median(cb)
    print(f"  ratio {ratio:.2f}× wall, {cpu_ratio:.2f}× cpu   {_verdict(ratio, 1.2, args.quick)}")
    loaded = help_imports()
    print(f"  `hwcheck --help` imports numpy: {'yes' if 'numpy' in loaded else 'no'}"
          f"   (heavy modules it loads: {', '.join(loaded) or 'none'})")
    return 0 if "numpy" not in loaded else 1


# --- 1b. the student loop: grade one file ---------------------------------------------------

NUMPY = "import numpy"
SEED_ANSWERS = ROOT / "examples" / "seed-answers.yaml"

# What a `grade` of one file is made of, each a fresh interpreter: shown by --parts so the
# gap to the baseline can be attributed (cumulative: each line adds to the one above).
GRADE_PARTS = {
    "+ yaml, hwcheck's grader modules":
        "import numpy, yaml; import hwcheck.grading.grader",
    "+ rich.console, rich.table (text output)":
        "import numpy, yaml; import hwcheck.grading.grader; import rich.console, rich.table",
    "+ typer (the command line)":
        "import numpy, yaml; import hwcheck.grading.grader; import rich.console, rich.table;"
        " import typer",
}


def grade(args) -> int:
    """`hwcheck grade examples/seed-answers.yaml` (text to a pipe) vs `import numpy`."""
    runs = 2 if args.quick else args.runs
    grade_cmd, how = typed_cmd("grade", str(SEED_ANSWERS.relative_to(ROOT)))
    cmds = {"hwcheck grade examples/seed-answers.yaml": grade_cmd,
            f'python -c "{NUMPY}"': [sys.executable, "-c", NUMPY]}
    if args.parts:
        cmds.update({k: [sys.executable, "-c", v] for k, v in GRADE_PARTS.items()})
    times = interleaved(cmds, runs)
    print(f"grade: {runs} interleaved runs each (after 1 warm-up), medians\n"
          f"  (hwcheck is {how})")
    print(f"  {'':<45} {'wall':>10} {'cpu':>10}")
    for name, (w, c) in times.items():
        print(f"  {name:<45} {_ms(statistics.median(w)):>10} {_ms(statistics.median(c)):>10}")
    (wa, ca), (wb, cb) = list(times.values())[:2]
    ratio = statistics.median(wa) / statistics.median(wb)
    cpu_ratio = statistics.median(ca) / statistics.median(cb)
    print(f"  ratio {ratio:.2f}× wall, {cpu_ratio:.2f}× cpu   {_verdict(ratio, 2.0, args.quick)}")
    return 0


# --- 2. batch ------------------------------------------------------------------------------

def batch(args) -> int:
    size = 12 if args.quick else args.size
    singles = 2 if args.quick else args.runs
    with tempfile.TemporaryDirectory(prefix="hwcheck-bench-") as tmp:
        tmp = Path(tmp)
        files = classgen.make_class(tmp / "class", size, corrupt_every=6 if args.quick else 100)
        one = files[0]
        out = tmp / "report.json"

        def many_cmd(name):   # (the baseline's report beside this one's, not over it)
            return hwcheck_cmd("grade", str(tmp / "class"), "--format", "json", "--output",
                               str(out if name == "this" else tmp / f"{name}.json"))
        one_cmd = hwcheck_cmd("grade", str(one), "--format", "json", "--output",
                              str(tmp / "one.json"))
        # Interleaved: the class, then single calls, and again (the class less often).
        # With --baseline, that checkout's calls run beside each of this one's.
        roots = {"this": None, **({"baseline": Path(args.baseline)} if args.baseline else {})}
        for root in roots.values():
            _run(one_cmd, root=root)
        rounds = max(1, min(3, singles))
        per = max(1, singles // rounds)
        times = {name: ([], [], [], []) for name in roots}
        for _ in range(rounds):
            for name, root in roots.items():
                w, c = _run(many_cmd(name), root=root)
                times[name][0].append(w)
                times[name][1].append(c)
            for _ in range(per):
                for name, root in roots.items():
                    w, c = _run(one_cmd, root=root)
                    times[name][2].append(w)
                    times[name][3].append(c)
        t_many, c_many, t_one, c_one = times["this"]
        import json

        report = json.loads(out.read_text())["submissions"]
        errors = sum(1 for s in report if s.get("error"))
        statuses: dict[str, int] = {}
        for s in report:
            for p in s.get("problems", ()):
                for part in p["parts"]:
                    statuses[part["status"]] = statuses.get(part["status"], 0) + 1
    m1, mn = statistics.median(t_one), statistics.median(t_many)
    ratio = mn / m1
    print(f"batch: one `hwcheck grade DIR --format json --output FILE` call on {size} "
          f"generated submissions vs one call on a single submission; medians of "
          f"{len(t_many)} and {len(t_one)} runs, interleaved")
    print(f"  {'':<30} {'wall':>10} {'cpu (all cores)':>16}")
    print(f"  {f'{size} submissions, one call':<30} {_ms(mn):>10} "
          f"{_ms(statistics.median(c_many)):>16}   ({mn / size * 1e3:.1f} ms each)")
    print(f"  {'1 submission, one call':<30} {_ms(m1):>10} {_ms(statistics.median(c_one)):>16}")
    verdict = (_verdict(ratio, 10.0, args.quick) if size == 1000 or args.quick
               else "(the target, ≤ 10, is stated for 1,000 submissions)")
    print(f"  ratio time({size}) / time(1 single call) = {ratio:.1f}   {verdict}")
    if args.baseline:
        b_many, b_cmany, b_one, _ = times["baseline"]
        bm, b1 = statistics.median(b_many), statistics.median(b_one)
        print(f"  baseline {args.baseline}, same runs: {_ms(bm)} wall, "
              f"{_ms(statistics.median(b_cmany))} cpu; one submission {_ms(b1)}; "
              f"ratio {bm / b1:.1f}")
        print(f"  this checkout / baseline: class {mn / bm:.2f}× wall, "
              f"{statistics.median(c_many) / statistics.median(b_cmany):.2f}× cpu")
    print(f"  graded: {len(report)} rows, {errors} error rows; part statuses "
          + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    if args.growth:
        batch_growth(args)
    return 0 if len(report) == size else 1


def batch_growth(args) -> None:
    sizes = [10, 100, 1000, 10000] if not args.quick else [4, 8]
    print("\nbatch growth: one call per size, wall clock (median of 3; 1 for the largest)")
    print(f"  {'submissions':>11} {'time':>12} {'per submission':>15}")
    with tempfile.TemporaryDirectory(prefix="hwcheck-bench-") as tmp:
        for n in sizes:
            folder = Path(tmp) / f"class{n}"
            classgen.make_class(folder, n)
            cmd = hwcheck_cmd("grade", str(folder), "--format", "json", "--output",
                              str(Path(tmp) / f"r{n}.json"))
            reps = 1 if n >= 10000 else 3
            t = statistics.median(_run(cmd)[0] for _ in range(reps))
            print(f"  {n:>11,} {_ms(t):>12} {t / n * 1e3:>12.2f} ms")


def html_report(args) -> int:
    """The class report page against the JSON report: the same grading, another renderer
    (and the same mining), so the ratio is what the page costs on top."""
    size = 12 if args.quick else args.size
    runs = 1 if args.quick else args.runs
    with tempfile.TemporaryDirectory(prefix="hwcheck-bench-") as tmp:
        tmp = Path(tmp)
        classgen.make_class(tmp / "class", size, corrupt_every=6 if args.quick else 100)
        page, doc = tmp / "class.html", tmp / "class.json"
        cmds = {"--format json": hwcheck_cmd("grade", str(tmp / "class"), "--format", "json",
                                             "--output", str(doc)),
                "--format html": hwcheck_cmd("grade", str(tmp / "class"), "--format", "html",
                                             "--output", str(page))}
        times = interleaved(cmds, runs)
        (wj, cj), (wh, ch) = times["--format json"], times["--format html"]
        print(f"html: `hwcheck grade DIR --format html` vs `--format json` on {size} generated "
              f"submissions; medians of {runs} interleaved runs (after 1 warm-up)")
        print(f"  {'':<16} {'wall':>10} {'cpu (all cores)':>16} {'output':>10}")
        for name, w, c, out in (("--format json", wj, cj, doc), ("--format html", wh, ch, page)):
            print(f"  {name:<16} {_ms(statistics.median(w)):>10} "
                  f"{_ms(statistics.median(c)):>16} {out.stat().st_size / 2**20:>7.2f} MB")
        ratio = statistics.median(wh) / statistics.median(wj)
        cpu = statistics.median(ch) / statistics.median(cj)
        print(f"  ratio html / json = {ratio:.2f}× wall, {cpu:.2f}× cpu   "
              f"{_verdict(ratio, 1.2, args.quick)}")
        return 0 if page.read_text().count('class="report"') == size else 1


# --- 3. conv block -------------------------------------------------------------------------

def conv_inputs(two_n: int, k: int, seed: int = 0):
    """p1's block at 2n = 2m = two_n: X, K and g = ∂L/∂P, float64."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((two_n + k - 1, two_n + k - 1))
    kern = rng.standard_normal((k, k))
    g = rng.standard_normal((two_n // 2, two_n // 2))
    return x, kern, g


def conv_hwcheck(x, kern, g) -> dict:
    """∂L/∂S, ∂L/∂C, ∂L/∂K by hwcheck's own solver, with p1's layer stack."""
    from hwcheck.engine.network import layer
    from hwcheck.engine.solvers import gradient

    k = kern.shape[0]
    layers = [layer("conv2d", "C", out=1, kernel=k, bias=False),
              layer("sigmoid", "S"), layer("avgpool2d", "P", kernel=2)]
    vals = gradient.solve(layers, {"C.weight": kern[None, None]}, x[None], upstream=g[None],
                          upstream_at="P")
    return {"dS": vals["grad.S"][0], "dC": vals["grad.C"][0], "dK": vals["grad.C.weight"][0, 0]}


def conv_torch(torch, x, kern, g) -> dict:
    """The same block in PyTorch autograd: conv2d → sigmoid → avg_pool2d, backward from g."""
    import torch.nn.functional as F

    xt = torch.from_numpy(x)[None, None]
    kt = torch.from_numpy(kern)[None, None].requires_grad_(True)
    c = F.conv2d(xt, kt)
    c.retain_grad()
    s = torch.sigmoid(c)
    s.retain_grad()
    p = F.avg_pool2d(s, 2)
    p.backward(torch.from_numpy(g)[None, None])
    return {"dS": s.grad[0, 0].numpy(), "dC": c.grad[0, 0].numpy(), "dK": kt.grad[0, 0].numpy()}


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _blas() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    rows = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
            f"threads={i.get('num_threads')}" for i in threadpool_info()]
    return "; ".join(rows) or "none found"


def conv(args) -> int:
    torch = _torch()
    two_n, k = (32, 3) if args.quick else (args.size, args.k)
    repeat = 2 if args.quick else args.repeat
    print(f"conv block: p1's conv2d(k={k}) → sigmoid → 2x2 avgpool at 2n = 2m = {two_n}, "
          f"float64; ∂L/∂S, ∂L/∂C, ∂L/∂K; medians of {repeat} interleaved runs")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if os.environ.get(var):
            print(f"  note: {var}={os.environ[var]} is set (see benchmarks/README.md)")
    print(f"  BLAS: {_blas()}")
    if torch is None:
        print("  SKIPPED the comparison: PyTorch is not installed "
              "(pip install torch==2.13.0); hwcheck alone:")
        x, kern, g = conv_inputs(two_n, k)
        t, _ = _median_time(lambda: conv_hwcheck(x, kern, g), repeat)
        print(f"  hwcheck {_ms(t)}")
        return 0
    print(f"  torch {torch.__version__}, {torch.get_num_threads()} threads")
    x, kern, g = conv_inputs(two_n, k)
    ours, theirs = conv_hwcheck(x, kern, g), conv_torch(torch, x, kern, g)  # warm-up
    worst = max(float(abs(ours[q] - theirs[q]).max()) for q in ours)
    t_ours, t_torch = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        conv_hwcheck(x, kern, g)
        t_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        conv_torch(torch, x, kern, g)
        t_torch.append(time.perf_counter() - t0)
    mo, mt = statistics.median(t_ours), statistics.median(t_torch)
    ratio = mo / mt
    print(f"  hwcheck (solvers.gradient)  {_ms(mo):>12}")
    print(f"  torch CPU autograd          {_ms(mt):>12}")
    print(f"  ratio {ratio:.2f}×   {_verdict(ratio, 1.0, args.quick)}")
    agree = worst <= 1e-9
    print(f"  max |hwcheck − torch| over ∂L/∂S, ∂L/∂C, ∂L/∂K: {worst:.2e} "
          f"({'agree' if agree else 'DISAGREE'} to 1e-9)")
    if args.growth:
        conv_growth(args, torch)
    return 0 if agree else 1


def conv_growth(args, torch) -> None:
    sizes = [64, 128, 256, 512, 1024] if not args.quick else [16, 32]
    print(f"\nconv growth (k = {args.k if not args.quick else 3}): median of 5, hwcheck vs torch")
    k = args.k if not args.quick else 3
    print(f"  {'2n':>5} {'pixels·k²':>12} {'hwcheck':>11} {'ns/(px·k²)':>11} {'torch':>11} "
          f"{'ratio':>6}")
    for two_n in sizes:
        x, kern, g = conv_inputs(two_n, k)
        work = two_n * two_n * k * k
        reps = 5
        t_o, t_t = [], []
        conv_hwcheck(x, kern, g)
        if torch is not None:
            conv_torch(torch, x, kern, g)
        for _ in range(reps):
            t0 = time.perf_counter()
            conv_hwcheck(x, kern, g)
            t_o.append(time.perf_counter() - t0)
            if torch is not None:
                t0 = time.perf_counter()
                conv_torch(torch, x, kern, g)
                t_t.append(time.perf_counter() - t0)
        mo = statistics.median(t_o)
        mt = statistics.median(t_t) if t_t else float("nan")
        print(f"  {two_n:>5} {work:>12,} {_ms(mo):>11} {mo / work * 1e9:>11.2f} {_ms(mt):>11} "
              f"{mo / mt:>6.2f}")


# --- 4. formula ----------------------------------------------------------------------------

def formula_instance(n: int, m: int, k: int, seed: int = 0) -> dict:
    """p1's symbols at sizes n, m, k: x, K, c, s and g, from hwcheck's own solver."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2 * n + k - 1, 2 * m + k - 1))
    kern = rng.standard_normal((k, k))
    g = rng.standard_normal((n, m))
    from hwcheck.engine.network import layer
    from hwcheck.engine.solvers import gradient

    layers = [layer("conv2d", "C", out=1, kernel=k, bias=False),
              layer("sigmoid", "S"), layer("avgpool2d", "P", kernel=2)]
    vals = gradient.solve(layers, {"C.weight": kern[None, None]}, x[None], upstream=g[None],
                          upstream_at="P")
    env = {"x": x, "K": kern, "c": vals["C"][0], "s": vals["S"][0], "g": g,
           "n": n, "m": m, "k": k}
    return {"env": env, "key": vals["grad.C.weight"][0, 0]}


def p1_dk_reference() -> str:
    from hwcheck.spec.catalog import load_catalog

    spec = load_catalog(ROOT / "problems").get("p1")
    return spec.part("dL/dK").reference


def formula(args) -> int:
    from hwcheck.formula import evaluate, parse

    n = m = 8 if args.quick else 32
    k = 3 if args.quick else 5
    repeat = 3 if args.quick else args.repeat
    text = " ".join(p1_dk_reference().split())
    inst = formula_instance(n, m, k)
    env, key = inst["env"], inst["key"]
    index = [("u", k), ("v", k)]

    def fast():
        return evaluate(parse(text), env, index=index, shape=(k, k))

    def loop():
        return slow.p1_dk_loop(env["x"].tolist(), env["g"].tolist(), env["s"].tolist(), n, m, k)

    fast()
    t_fast, t_loop = [], []
    got = want = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        got = fast()
        t_fast.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        want = loop()
        t_loop.append(time.perf_counter() - t0)
    import numpy as np

    worst = float(np.abs(np.asarray(got) - np.asarray(want)).max())
    vs_key = float(np.abs(np.asarray(got) - key).max())
    mf, ml = statistics.median(t_fast), statistics.median(t_loop)
    print(f"formula: p1's ∂L/∂K reference at n = m = {n}, k = {k} "
          f"({k * k * 4 * n * m:,} terms); medians of {repeat} interleaved runs")
    print(f"  {text}")
    print(f"  hwcheck.formula (parse + evaluate)  {_ms(mf):>12}")
    print(f"  plain Python loop                   {_ms(ml):>12}")
    speedup = ml / mf
    print(f"  ratio {mf / ml:.4f}× (the loop is {speedup:,.1f}× slower)   "
          + ("(--quick: a smoke run, figures not meaningful)" if args.quick else
             f"target well under 1 s and orders of magnitude faster: "
             f"{'met' if mf < 0.1 and speedup >= 100 else 'NOT met'}"))
    agree = worst <= 1e-9 and vs_key <= 1e-9
    print(f"  max |vectorised − loop| {worst:.2e}, max |vectorised − solver key| {vs_key:.2e} "
          f"({'agree' if agree else 'DISAGREE'})")
    return 0 if agree else 1


# --- main ----------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="claim", required=True)
    for name, helptext in (("startup", "hwcheck solve p5 vs bare imports"),
                           ("grade", "hwcheck grade of one file vs import numpy"),
                           ("batch", "a class of submissions in one call vs one submission"),
                           ("conv", "p1's conv-block gradients vs PyTorch autograd"),
                           ("formula", "p1's dL/dK formula vectorised vs a Python loop"),
                           ("html", "the HTML class report vs the JSON report")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--quick", action="store_true", help="a tiny size: check it runs")
        if name in ("startup", "grade"):
            p.add_argument("--runs", type=int, default=15)
        if name == "grade":
            p.add_argument("--parts", action="store_true",
                           help="also time the imports a grade is made of")
        if name == "batch":
            p.add_argument("--size", type=int, default=1000)
            p.add_argument("--runs", type=int, default=9, help="single calls timed")
            p.add_argument("--growth", action="store_true", help="also 10…10,000 submissions")
            p.add_argument("--baseline", metavar="CHECKOUT", help="another checkout (e.g. "
                           "`git worktree add /tmp/base main`) timed in the same rounds")
        if name == "conv":
            p.add_argument("--size", type=int, default=512, help="2n = 2m")
            p.add_argument("--k", type=int, default=7)
            p.add_argument("--repeat", type=int, default=7)
            p.add_argument("--growth", action="store_true", help="also 2n = 64…1024")
        if name == "formula":
            p.add_argument("--repeat", type=int, default=5)
        if name == "html":
            p.add_argument("--size", type=int, default=1000)
            p.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"[{machine()}]")
    return {"startup": startup, "grade": grade, "batch": batch, "conv": conv,
            "formula": formula, "html": html_report}[args.claim](args)


if __name__ == "__main__":
    sys.exit(main())
