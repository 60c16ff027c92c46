"""``hwcheck solve``: the worked key as a person reads it.

Text from a spec (statement, names, rubric points) goes to rich as ``Text``, never as a
markup string: ``s[d, e]`` and ``[y, 1 - y]`` print as written, not as style tags.
"""

from __future__ import annotations

import numpy as np
from rich import box
from rich.table import Table
from rich.text import Text

from hwcheck.report.precision import precision_text
from hwcheck.report.textsafe import clean
from hwcheck.report.numbers import fmt_number

SPARK = "▁▂▃▄▅▆▇█"


def matrix(value, digits: int = 5) -> str:
    arr = np.asarray(value)
    if arr.dtype == object or arr.ndim == 0:
        return fmt_number(arr.item(), digits) if arr.ndim == 0 else str(value)
    return np.array2string(arr, precision=digits, suppress_small=True, max_line_width=70,
                           threshold=200)


def render(solved_list, console) -> None:
    for solved in solved_list:
        _one(solved, console)


def _one(solved, console) -> None:
    spec, sol = solved.spec, solved.solution
    console.rule(Text(f"{spec.id}: {spec.title}", style="bold"), align="left")
    meta = f"{spec.kind}, {spec.points:g} points"
    if solved.instance.sizes:
        meta += ", " + ", ".join(f"{k}={v}" for k, v in solved.instance.sizes.items())
    if solved.student is not None:
        meta += f", student {clean(solved.student)} (seed {solved.instance.student_seed})"
    console.print(Text(meta, style="dim"))
    if spec.statement:
        console.print(Text(spec.statement))
    if solved.view == "layers":
        console.print(layer_table(solved.summary))
    elif sol.given:
        console.print(_values("Given", sol.given.items()))
    if solved.view == "norms":
        console.print(norm_chart(solved.norms))
    elif sol.steps:
        console.print(_values("Steps", ((s.name, s.value) for s in sol.steps)))
    if solved.view == "rubric":
        console.print(_rubric(spec))
    else:
        console.print(_values("Answer key", ((p.name, sol.parts[p.name]) for p in spec.parts
                                             if p.answer != "text")))
        for line in _precisions(spec):
            console.print(Text(line, style="dim"))
        if any(p.answer == "text" for p in spec.parts):
            console.print(_rubric(spec))
    console.print()


def _precisions(spec) -> list[str]:
    """What precision each numeric part is graded to, said before anyone is graded."""
    by_text: dict[str, list[str]] = {}
    for p in spec.parts:
        if p.answer not in ("formula", "text"):
            by_text.setdefault(precision_text(p.tolerance or spec.tolerance), []).append(p.name)
    return [f"{', '.join(names)}: graded to {text}" for text, names in by_text.items()]


def _values(title: str, items) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left", show_header=False)
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("value")
    for name, value in items:
        if isinstance(value, dict):
            value = "\n".join(f"{k}:\n{matrix(v)}" for k, v in value.items())
        else:
            value = matrix(value)
        table.add_row(Text(str(name)), Text(value))
    return table


def layer_table(summary) -> Table:
    """torchinfo's table: layer, output shape, params, mult-adds, then the totals."""
    table = Table(box=box.SIMPLE_HEAD, show_footer=True)
    table.add_column("Layer (type)", footer="Total", no_wrap=True)
    table.add_column("Output shape", footer=f"{list(summary.output_shape)}", no_wrap=True)
    table.add_column("Params", justify="right", footer=f"{summary.total_params:,}")
    table.add_column("Mult-adds", justify="right", footer=f"{summary.total_mult_adds:,}")
    for s in summary.layers:
        indent = "  " * s.depth
        table.add_row(Text(f"{indent}{s.name} ({s.kind})"), str(list(s.output_shape)),
                      f"{s.params:,}" if s.params else "--",
                      f"{s.mult_adds:,}" if s.mult_adds else "--")
    return table


def sparkline(values) -> str:
    """log-scale bars: vanishing falls to ▁, exploding climbs to █."""
    logs = np.log10(np.maximum(np.asarray(values, dtype=float), 1e-300))
    lo, hi = -6.0, 6.0
    idx = np.clip(((logs - lo) / (hi - lo) * (len(SPARK) - 1)).round().astype(int), 0,
                  len(SPARK) - 1)
    return "".join(SPARK[i] for i in idx)


def norm_chart(norms: dict) -> Table:
    table = Table(box=box.SIMPLE_HEAD,
                  title="‖∂h_T/∂h_(T-l)‖ over lags l = 1..T (log scale, 1e-6 … 1e6)",
                  title_justify="left")
    table.add_column("setting", style="bold")
    table.add_column("lag 1", justify="right")
    table.add_column("trend", no_wrap=True)
    table.add_column("lag T", justify="right")
    for name, n in norms.items():
        style = "red" if n[-1] > 1 else "blue"
        table.add_row(Text(str(name)), f"{n[0]:.3g}", Text(sparkline(n), style=style),
                      f"{n[-1]:.3g}")
    return table


def _rubric(spec) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="Rubric (text parts are reviewed by a person)",
                  title_justify="left")
    table.add_column("part", style="bold", no_wrap=True)
    table.add_column("key point", overflow="fold")
    table.add_column("pts", justify="right")
    for part in spec.parts:
        for r in part.rubric:
            table.add_row(Text(part.name), Text(r.point), f"{r.points:g}")
    return table
