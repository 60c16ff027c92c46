"""Numeric LaTeX matrices for numeric parts: `\\begin{bmatrix} 1 & 0 \\\\ 0 & -1 \\end{bmatrix}`.

Each cell is a constant formula (`0.0016`, `-\\frac{0.3}{e+1}`, `1 - 0.02 \\cdot 0.431`) read
by the same readers and evaluated by the same engine, so a cell obeys every formula limit.
"""

from __future__ import annotations

import re

import numpy as np

from hwcheck.errors import FormulaError
from hwcheck.formula.evaluator import evaluate
from hwcheck.formula.limits import MAX_ELEMENTS, MAX_LENGTH
from hwcheck.formula.readers import Context, parse_answer

ENVIRONMENTS = ("bmatrix", "pmatrix", "Bmatrix", "vmatrix", "matrix", "smallmatrix")
MAX_MATRIX_TEXT = 20 * MAX_LENGTH
_BEGIN = re.compile(r"\\begin\s*\{(\w+)\}")


def read_matrix(text: str) -> np.ndarray:
    """The matrix's values as float64 (a column `\\\\`-separated gives shape (n, 1)); a
    left-hand side (`W' =`) and `$` delimiters are dropped. FormulaError names a cell or a
    construct that cannot be read."""
    return read_matrix_cells(text)[0]


def read_matrix_cells(text: str) -> tuple[np.ndarray, list[list[str]]]:
    """``read_matrix``'s values, with each cell's text as written (its precision is in its
    digits)."""
    if len(text) > MAX_MATRIX_TEXT:
        raise FormulaError(f"the matrix is {len(text)} characters; the limit is "
                           f"{MAX_MATRIX_TEXT}")
    m = _BEGIN.search(text)
    if not m:
        raise FormulaError("no `\\begin{bmatrix}` found", hint="write \\begin{bmatrix} a & b "
                           "\\\\ c & d \\end{bmatrix}, or a YAML list [[a, b], [c, d]]")
    env = m.group(1)
    if env not in ENVIRONMENTS:
        raise FormulaError(f"`\\begin{{{env}}}` is not a matrix",
                           hint="use bmatrix or pmatrix")
    end = text.find(f"\\end{{{env}}}", m.end())
    if end < 0:
        raise FormulaError(f"`\\begin{{{env}}}` is never closed",
                           hint=f"close it with \\end{{{env}}}")
    before = text[:m.start()].replace("$", "").strip()
    after = text[end + len(env) + 6:].replace("$", "").strip()
    if (before and not before.endswith("=")) or after not in ("", ".", ","):
        outside = before if before and not before.endswith("=") else after
        raise FormulaError(f"text around the matrix cannot be read: `{outside[:40]}`",
                           hint="give the matrix alone; a left-hand side `W =` is fine")
    rows = [r for r in text[m.end():end].split("\\\\")]
    if rows and not rows[-1].strip():
        rows.pop()
    cells = [[c for c in row.split("&")] for row in rows]
    if not cells:
        raise FormulaError("the matrix is empty")
    width = len(cells[0])
    if any(len(row) != width for row in cells):
        raise FormulaError("the matrix's rows have different lengths",
                           hint="give every row the same number of `&`-separated entries")
    if len(cells) * width > MAX_ELEMENTS:
        raise FormulaError("the matrix is too large")
    values = [[_cell(c, i + 1, j + 1) for j, c in enumerate(row)]
              for i, row in enumerate(cells)]
    return np.asarray(values, dtype=np.float64), cells


def _cell(text: str, row: int, col: int) -> float:
    if any(d in text for d in ("\\dots", "\\cdots", "\\vdots", "\\ddots", "\\ldots")):
        raise FormulaError(f"entry ({row}, {col}) is dots: every entry needs its value")
    if not text.strip():
        raise FormulaError(f"entry ({row}, {col}) is empty")
    try:
        formula, _ = parse_answer(text, Context(), keep_canonical=False)
        with np.errstate(all="ignore"):
            value = evaluate(formula, {}, index=[])
    except FormulaError as exc:
        hint = "an entry is a number or arithmetic on numbers, e.g. 1 - 0.02 \\cdot 0.4" \
            if exc.message.startswith("unknown name") else exc.hint
        raise FormulaError(f"entry ({row}, {col}) `{text.strip()[:40]}`: {exc.message}",
                           hint=hint) from None
    return float(np.asarray(value).reshape(()))
