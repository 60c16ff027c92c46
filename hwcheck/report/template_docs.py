"""``hwcheck template --format ipynb|tex|md``: a starting document with a tagged, empty
place per part and a note of what it wants (its shape and precision), in the marks that
``grading.sources`` reads. The YAML skeleton is ``report.template``.
"""

from __future__ import annotations

import json
import re
import textwrap

from hwcheck.report.template import describe

GRADE = "hwcheck grade THIS_FILE"


def _parts(specs):
    for spec in specs:
        yield spec, None
        for part in spec.parts:
            yield spec, part


def _wrap(text: str, prefix: str = "") -> str:
    return "\n".join(textwrap.wrap(text, 78, initial_indent=prefix, subsequent_indent=prefix,
                                    break_on_hyphens=False, break_long_words=False))


def _tag(spec, part) -> str:
    return f"{spec.id}.{part.name}"


def _heading(spec) -> str:
    return f"{spec.id}: {spec.title} ({spec.points:g} points)"


def notebook(specs) -> str:
    """A notebook: one cell per answer, tagged ``hwcheck:p5.W`` and marked on its first
    line too (Colab and some editors drop cell tags). Numbers go in code cells (a literal,
    or code whose saved output is the answer); formulas and text in Markdown cells."""
    cells = [_cell("markdown", "# Answers for hwcheck\n\n" + _wrap(
        "Write each answer in the cell under its description, below the first line "
        "(`# hwcheck: …` or `<!-- hwcheck: … -->`), which tells hwcheck which part it is. "
        "A code cell holds a literal (`W = [[1, 0], [0, 1]]`) or code whose saved output "
        "is the answer: hwcheck reads the saved output and never runs the notebook. Save, "
        f"then run:  `{GRADE}`")),
        _cell("raw", "your-id", "student")]
    for spec, part in _parts(specs):
        if part is None:
            cells.append(_cell("markdown", f"## {_heading(spec)}"))
            continue
        cells.append(_cell("markdown", _wrap(f"**{part.name}**: {describe(spec, part)}")))
        if part.answer in ("formula", "text"):
            cells.append(_cell("markdown", f"<!-- hwcheck: {_tag(spec, part)} -->\n",
                               _tag(spec, part)))
        else:
            cells.append(_cell("code", f"# hwcheck: {_tag(spec, part)}\n", _tag(spec, part)))
    for i, cell in enumerate(cells):
        cell["id"] = f"hwcheck-{i}"
    doc = {"cells": cells, "metadata": {"kernelspec": {
        "display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=1, ensure_ascii=False)


def _cell(kind: str, source: str, tag: str | None = None) -> dict:
    cell = {"cell_type": kind, "metadata": {"tags": [f"hwcheck:{tag}"]} if tag else {},
            "source": source.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


_TEX_SPECIAL = re.compile(r"[\\{}$&#^_%~]")


def _tex(text: str) -> str:
    """Text typeset as written: LaTeX's special characters escaped."""
    return _TEX_SPECIAL.sub(lambda m: {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}",
                                       "^": r"\textasciicircum{}"}.get(m.group(),
                                                                      "\\" + m.group()), text)


#: the macros of examples/latex/hwcheck.sty (a test keeps the two the same), so that a
#: template compiles without the .sty beside it
STY_DEFINITIONS = (r"\providecommand{\hwcheckanswer}[2]{#2}",
                   r"\providecommand{\answer}[2]{\hwcheckanswer{#1}{#2}}",
                   r"\providecommand{\hwcheckstudent}[1]{}",
                   r"\providecommand{\hwcheckindexing}[1]{}")


def latex(specs) -> str:
    """A LaTeX document using examples/latex/hwcheck.sty: ``\\answer{TAG}{}`` per part."""
    lines = ["% Answers for hwcheck. Write each answer inside the second braces of its",
             "% \\answer{PROBLEM.PART}{...}; hwcheck.sty typesets it unchanged. Then run:",
             f"%   {GRADE}",
             "% (hwcheck reads this source; it never runs LaTeX.)",
             r"\documentclass{article}", r"\usepackage{amsmath}",
             "% hwcheck's marks, as in examples/latex/hwcheck.sty (or \\usepackage{hwcheck}):",
             *STY_DEFINITIONS, "", r"\hwcheckstudent{your-id}", "", r"\begin{document}"]
    for spec, part in _parts(specs):
        if part is None:
            head = f"\\section*{{{_tex(_heading(spec))}}}"
            lines += ["", head] if len(head) <= 80 else \
                ["", "\\section*{%", f"  {_tex(_heading(spec))}}}"]
            continue
        lines += ["", *_wrap(f"{part.name}: {describe(spec, part)}", "% ").split("\n"),
                  f"\\paragraph{{{_tex(part.name)}}}", f"\\answer{{{_tag(spec, part)}}}{{}}"]
    return "\n".join(lines + ["", r"\end{document}"])


def markdown(specs) -> str:
    """A Markdown document: a marker per part; the answer goes on the line after it."""
    lines = ["---", "student: your-id", "---", "# Answers for hwcheck", "", _wrap(
        "Write each answer on the line right after its `<!-- hwcheck: … -->` marker "
        "(which renders as nothing): a number, a list such as `[[1, 0], [0, 1]]`, "
        f"a `$$ … $$` math block, a formula or a paragraph. Then run:  `{GRADE}`")]
    for spec, part in _parts(specs):
        if part is None:
            lines += ["", f"## {_heading(spec)}"]
            continue
        lines += ["", _wrap(f"**{part.name}**: {describe(spec, part)}"), "",
                  f"<!-- hwcheck: {_tag(spec, part)} -->", ""]
    return "\n".join(lines)
