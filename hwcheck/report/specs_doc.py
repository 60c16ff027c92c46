"""``docs/specs.md``: the spec reference, generated from the registries.

Every layer (its options with torch's defaults, its parameters), every loss, every
optimizer and its rule, every quantity a part may name, every problem kind and its
sections, and every formula function. Nothing here is written by hand per entry: an entry
added to a registry appears on the next run, and ``tests/test_specs_doc.py`` fails while
the shipped file is stale. Regenerate with::

    python -m hwcheck.report.specs_doc > docs/specs.md
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys

from hwcheck.engine import graph
from hwcheck.engine import solvers as solvers_pkg
from hwcheck.engine.layers import LAYERS, REQUIRED
from hwcheck.formula.check import ARITY
from hwcheck.kinds import KINDS, SECTIONS

_HEADER = """# Spec reference

Generated from hwcheck's registries by `python -m hwcheck.report.specs_doc > docs/specs.md`;
`tests/test_specs_doc.py` fails when it is out of date. The README explains how a spec is
written; this page lists everything a spec may name.
"""


def generate() -> str:
    parts = [_HEADER, _kinds(), _layers(), _losses(), _optimizers(), _quantities(),
             _functions()]
    return "\n".join(p.rstrip() + "\n" for p in parts)


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _default(value) -> str:
    if value is REQUIRED:
        return "required"
    if value is None:
        return "(its own rule)"
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


def _kinds() -> str:
    lines = ["## Problem kinds", "", "| kind | requires | accepts | shows |", "|---|---|---|---|"]
    for k in KINDS.values():
        need = ", ".join(f"`{s.name}`" for s in k.requires) or "—"
        may = ", ".join(f"`{s.name}`" for s in k.accepts) or "—"
        lines.append(f"| `{k.name}` | {need} | {may} | {k.view} |")
    lines += ["", "### Kind sections", ""]
    for name, s in sorted(SECTIONS.items()):
        desc = s.schema.get("description") or ""
        lines.append(f"- `{name}`: {_cell(desc) or 'see the JSON Schema'}"
                     + (f" (e.g. `{_cell(s.example)}`)" if s.example else ""))
        lines += _schema_options(s.schema, "  ")
    return "\n".join(lines)


def _schema_options(schema: dict, indent: str) -> list[str]:
    """Nested ``properties`` with their defaults and descriptions (an optimizer's options)."""
    out = []
    for key, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        bits = [f"`{key}`"]
        if "default" in sub:
            bits.append(f"default {_default(sub['default'])}")
        if "enum" in sub:
            bits.append("one of " + ", ".join(f"`{v}`" for v in sub["enum"]))
        if sub.get("description"):
            bits.append(_cell(sub["description"]))
        out.append(f"{indent}- " + ": ".join([bits[0], ", ".join(bits[1:])]) if len(bits) > 1
                   else f"{indent}- {bits[0]}")
        out += _schema_options(sub, indent + "  ")
    return out


def _layers() -> str:
    lines = ["## Layers", "",
             "Each is its `torch.nn` namesake applied to a batch of one. Options with their "
             "defaults; parameters (buffers are given, never learned or counted).", ""]
    for name, d in LAYERS.items():
        lines.append(f"### `{name}` (torch.nn.{d.torch})")
        lines.append("")
        for o in d.options:
            default = "`null`" if o.type == "optional" and o.default is None \
                else _default(o.default)
            lines.append(f"- `{o.name}` ({o.type}, {default}): {_cell(o.help)}")
        if not d.options:
            lines.append("- no options")
        for p in d.params:
            what = "buffer" if p.buffer else "parameter"
            lines.append(f"- {what} `{p.name}`: {_cell(p.help)}")
        if d.variants:
            lines.append("- slips a part's `mistakes` may name: "
                         + ", ".join(f"`{v}`" for v in d.variants))
        lines.append("")
    lines.append("`residual: {body: [...], shortcut: [...]}` adds its body's output to its "
                 "shortcut's (the identity when absent).")
    return "\n".join(lines)


def _option_line(o) -> str:
    return f"- `{o.name}` (default `{o.default!r}`): {_cell(o.help)}"


def _losses() -> str:
    from hwcheck.engine.losses import LOSSES

    lines = ["## Losses", "", "`loss: NAME`, or `loss: {NAME: {option: value}}`, with a "
             "`target:`.", ""]
    for name, d in LOSSES.items():
        lines += [f"### `{name}` (torch.nn.functional.{d.torch})", "", _cell(d.formula)]
        lines += [_option_line(o) for o in d.options]
        lines.append("")
    return "\n".join(lines)


def _optimizers() -> str:
    from hwcheck.engine.optimizers import OPTIMIZERS

    lines = ["## Optimizers", "", "`optimizer: {NAME: {option: value, steps: K}}` in an "
             "`sgd_step` problem. Every step's values are quantities: `stepK.Q` for the "
             "step's run, `stepK.new.P`, `stepK.STATE.P` for each state below, and "
             "`stepK.SCALAR`.", ""]
    for name, d in OPTIMIZERS.items():
        lines += [f"### `{name}` (torch.optim.{d.torch})", "", _cell(d.rule)]
        lines += [_option_line(o) for o in d.options]
        if d.state:
            lines.append("- state: " + ", ".join(f"`{b}`" for b in d.state))
        if d.scalars:
            lines.append("- per-step numbers: " + ", ".join(f"`{b}`" for b in d.scalars))
        lines.append("")
    return "\n".join(lines)


def _quantities() -> str:
    lines = ["## Quantities", "",
             "What `quantity:` (in a part, a symbol or a step) may name. A network's run "
             "(`gradient`, `sgd_step`):", "", _doc_section(graph, "Quantity names"), "",
             "Every solver, with what it names:", ""]
    for info in pkgutil.iter_modules(solvers_pkg.__path__, solvers_pkg.__name__ + "."):
        module = importlib.import_module(info.name)
        doc = inspect.getdoc(module) or ""
        lines.append(f"### `{info.name.rsplit('.', 1)[1]}`")
        lines.append("")
        lines.append(doc)
        for fn_name in ("network_quantities", "solve"):
            fn = getattr(module, fn_name, None)
            if fn is not None and inspect.getmodule(fn) is module and inspect.getdoc(fn):
                lines += ["", f"`{fn_name}`: " + inspect.getdoc(fn)]
        lines.append("")
    return "\n".join(lines)


def _doc_section(module, title: str) -> str:
    doc = inspect.getdoc(module) or ""
    at = doc.find(title)
    return doc[at:].split("\n\n")[0] if at >= 0 else doc


def _functions() -> str:
    lines = ["## Formula functions", "", "| function | arguments |", "|---|---|"]
    for name, (lo, hi) in sorted(ARITY.items()):
        count = str(lo) if lo == hi else f"{lo} or more" if hi is None else f"{lo} to {hi}"
        lines.append(f"| `{name}` | {count} |")
    lines += ["", "`sum`, `min`, `max` and `argmax` also take `EXPR for i in A..B` "
              "(with `if` conditions); `[cond]` and a bare comparison are 1 where they "
              "hold and 0 elsewhere. See the README's \"Formula notation\"."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    sys.stdout.write(generate())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
