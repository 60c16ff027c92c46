"""``hwcheck template``: an answers skeleton with a comment per part (YAML here; the
documents in ``template_docs``, one row each in ``TEMPLATES``)."""

from __future__ import annotations

import textwrap

import numpy as np

from hwcheck.kinds import solve_spec
from hwcheck.report.precision import precision_text


#: ``hwcheck template --format``: each format's module and function (specs → text)
TEMPLATES = {"yaml": ("template", "skeleton"), "ipynb": ("template_docs", "notebook"),
             "tex": ("template_docs", "latex"), "md": ("template_docs", "markdown")}


def render_template(fmt: str, specs) -> str:
    import importlib

    module, function = TEMPLATES[fmt]
    return getattr(importlib.import_module(f"hwcheck.report.{module}"), function)(specs)


def skeleton(specs) -> str:
    lines = ["# Answers for hwcheck. Fill in every part, then run:  hwcheck grade THIS_FILE",
             "# Numbers and nested lists are numeric answers; quoted text is a formula",
             "# (index notation, e.g. \"g[ceil(d/2), ceil(e/2)] / 4\") or free text.",
             "student: your-id", ""]
    for spec in specs:
        lines.append(f"{spec.id}:  # {spec.title} ({spec.points:g} points)")
        for part in spec.parts:
            for i, chunk in enumerate(textwrap.wrap(f"{part.name}: {describe(spec, part)}",
                                                    74)):
                lines.append(("  # " if i == 0 else "  #   ") + chunk)
            lines.append(f"  {_key(part.name)}: {_blank(part)}")
        lines.append("")
    return "\n".join(lines)


def describe(spec, part) -> str:
    """What shape or kind of answer a part wants, in words."""
    shape = _shape(spec, part)
    size = None
    if shape:
        size = f"vector of {shape[0]} numbers" if len(shape) == 1 else \
            " x ".join(map(str, shape)) + " matrix of numbers"
    if part.answer == "text":
        return f"free text ({part.points:g} points, reviewed by staff)"
    if part.answer == "integer":
        return f"a whole number ({precision_text(part.tolerance or spec.tolerance)})"
    if part.answer in ("formula", "either"):
        names = [n for n, _ in (spec.section("symbols").items()
                                if spec.section("symbols") is not None else ())]
        symbols = ", ".join(names + list(spec.sizes))
        idx = ", ".join(part.index)
        text = f"a formula in {symbols}"
        if idx:
            text += f", indexed by {idx}"
        if size:
            text += f"; or the {size} for the spec's own instance"
        return text
    what = f"a {size}" if size else "a number"
    return f"{what}, to {precision_text(part.tolerance or spec.tolerance)}"


def _shape(spec, part):
    """The key's own shape on the spec's instance."""
    if part.answer == "text":
        return None
    value = solve_spec(spec).solution.parts[part.name]
    return tuple(np.shape(value))


def _key(name: str) -> str:
    return name if name.replace("_", "").isalnum() else f'"{name}"' if ":" in name else name


def _blank(part) -> str:
    return '""' if part.answer in ("formula", "text") else "null"
