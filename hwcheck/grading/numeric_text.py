"""Numbers that students write as text.

``513,466`` and ``513 466`` (thousands separators, for a single number), ``−0.5`` (U+2212),
``[[0.99, -0.0086], [0, -1]]`` or ``[1 2; 3 4]`` (a matrix in a string), and LaTeX's
``\\begin{bmatrix} 1 & 0 \\\\ 0 & -1 \\end{bmatrix}`` (also pmatrix and matrix, in ``$…$``,
cells may be arithmetic such as ``\\frac{1}{4}``), ``513{,}466`` and ``513466 parameters``.
Arithmetic on numbers alone (``1 - 0.02*0.431``, ``e/(e+1)``) goes through the formula
readers and their limits. Each reader returns the value with each entry's written precision
(half a unit in its last decimal, 0 for arithmetic), or None when the text is not numeric,
so that the caller can read it as a formula instead.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from hwcheck.errors import FormulaError


MAX_TEXT = 20_000      # a numeric answer written as text; longer text is not read as numbers
MAX_ENTRIES = 1 << 16
MINUSES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-", "\ufe63": "-",
                         "\uff0d": "-"})
_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?"
NUMBER = re.compile(_NUM + r"\Z")
UNIT = re.compile(r"(.*\d)\s+(?:trainable\s+)?(?:parameters|params|weights)\Z", re.I)
THOUSANDS = re.compile(r"([+-]?\d{1,3})((?:([,\u00a0\u202f\u2009 ])\d{3})(?:\3\d{3})*)"
                       r"(\.\d+)?\Z")


def read_numeric_text(text: str, constant=None,
                      max_entries: int = MAX_ENTRIES) -> tuple[np.ndarray, np.ndarray] | None:
    """(value, written precision per entry), or None if ``text`` is not a numeric form; a
    LaTeX matrix that cannot be read raises FormulaError naming the cell.
    ``constant(cell)`` may read a matrix cell that is arithmetic (``1 - 0.02*0.431``) as an
    exact number, or return None. A text with clearly more entries than ``max_entries`` (the
    key's) is refused before any cell is read: FormulaError."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return None
    s = _unwrap(text.translate(MINUSES).strip())
    if not s:
        return None
    cell = _cell(s, None)
    if cell is not None:
        return np.array(cell[0]), np.array(cell[1])
    estimate = max(len(re.findall(r"[,;&]|\\\\", s)) + 1, len(s.split()) // 2)
    if estimate > 2 * max_entries + 8:
        raise FormulaError(f"the answer has about {estimate} entries; the key has "
                           f"{max_entries}", hint="give one entry per entry of the key")
    if "\\begin" in s:   # a LaTeX matrix, read by the formula readers (a bad cell is named)
        from hwcheck.formula.readers.matrix import read_matrix_cells

        values, cells = read_matrix_cells(s)
        return values, np.array([[_written(c) for c in row] for row in cells], dtype=float)
    if s.startswith("[") and s.endswith("]"):
        return _bracketed(s, constant)
    return None


def _unwrap(s: str) -> str:
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
            return s[len(left):len(s) - len(right)].strip()
    return s


# LaTeX's thin and medium spaces between digit groups (513\,466), as a typesetter writes
# a thousands separator: a space, which THOUSANDS then checks group by group.
_TEX_SPACE = re.compile(r"(?<=\d)(?:\\[,;:]|\\thinspace\s*|~|\\ )(?=\d)")


def _cell(s: str, constant) -> tuple[float, float] | None:
    s = _TEX_SPACE.sub(" ", s.strip().replace("{,}", ","))
    if NUMBER.match(s):
        return float(s), half_unit(s)
    unit = UNIT.match(s)
    if unit and (NUMBER.match(unit.group(1)) or THOUSANDS.match(unit.group(1))):
        return _cell(unit.group(1), None)
    m = THOUSANDS.match(s)
    if m:
        plain = m.group(1) + re.sub(r"\D", "", m.group(2)) + (m.group(4) or "")
        return float(plain), half_unit(plain)
    value = constant(s) if constant is not None and s else None
    return (value, 0.0) if value is not None else None


def half_unit(number: str) -> float:
    """Half a unit in the last decimal written: ``0.0016`` → 5e-5, ``5.13e5`` → 500, ``7`` →
    0.5. The exponent is clamped, so ``0e400`` or a 5,000-digit exponent cannot overflow."""
    mant, _, exp = number.lower().partition("e")
    exp = exp.lstrip("+")
    power = int(exp) if exp.lstrip("-").isdigit() and len(exp) <= 5 else 0
    decimals = max(-300, min(300, len(mant.partition(".")[2]) - power))
    return 0.5 * 10.0 ** -decimals


def _written(cell: str) -> float:
    """A cell's written precision: half a unit in its last decimal; 0 for arithmetic."""
    plain = cell.strip().translate(MINUSES)
    return half_unit(plain) if NUMBER.match(plain) else 0.0


def _bracketed(s: str, constant):
    if not (s.startswith("[") and s.endswith("]")) or not _balanced(s):
        return None
    inner = s[1:-1].strip()
    if "[" not in inner:            # one level: [1, 2, 3], [1 2; 3 4] or [1; 2]
        rows = [r for r in inner.split(";")]
        if "," in inner:
            cells = [[c for c in r.split(",")] for r in rows]
            if any(not c.strip() for row in cells for c in row):
                return None         # [1,,2]: an empty cell is not a number
        else:
            cells = [r.split() for r in rows]
        table = [[_cell(c, constant) for c in row] for row in cells]
        return _regular(table if ";" in inner else table[0])
    depth, items, start = 0, [], 0   # nested: split the top level at commas
    for i, ch in enumerate(inner):
        if ch == "[":
            depth += 1
            if depth > 4:
                return None
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(inner[start:i])
            start = i + 1
    items.append(inner[start:])
    parts = [_bracketed(item.strip(), constant) for item in items]
    if any(p is None for p in parts) or len({p[0].shape for p in parts}) != 1:
        return None
    return np.stack([p[0] for p in parts]), np.stack([p[1] for p in parts])


def _balanced(s: str) -> bool:
    """Every bracket closes, and the outer pair encloses the whole text."""
    depth = 0
    for i, ch in enumerate(s):
        depth += (ch == "[") - (ch == "]")
        if depth < 0 or (depth == 0 and i < len(s) - 1):
            return False
    return depth == 0


def _regular(table):
    """A list (or list of rows) of parsed cells as arrays, or None if any cell failed or
    the rows are ragged."""
    flat = table if not table or not isinstance(table[0], list) else \
        [c for row in table for c in row]
    if not flat or len(flat) > MAX_ENTRIES or any(c is None for c in flat):
        return None
    if isinstance(table[0], list) and len({len(r) for r in table}) != 1:
        return None
    values = np.array([[c[0] for c in r] for r in table] if isinstance(table[0], list)
                      else [c[0] for c in table], dtype=float)
    precision = np.array([[c[1] for c in r] for r in table] if isinstance(table[0], list)
                         else [c[1] for c in table], dtype=float)
    if not np.all(np.isfinite(values)):
        return None
    return values, precision


def read_numbers(text: str, max_entries: int = MAX_ENTRIES):
    """A numeric part answered in text, as (value, precision), or None when it names
    symbols (then it is graded as a formula)."""
    written = read_numeric_text(text, constant, max_entries)
    if written is not None:
        return written
    value = constant(text)
    return None if value is None else (np.asarray(value), np.asarray(0.0))


@functools.lru_cache(maxsize=1024)   # read for its value, then again for its precision
def read_cell(text: str) -> tuple[float, float] | None:
    """One cell of a YAML list written as text (``"−0.00862"``, ``"1 - 0.02*0.431"``)."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return None
    return _cell(_unwrap(text.translate(MINUSES).strip()), constant)


def constant(text: str) -> float | None:
    """Arithmetic on numbers alone, read like any answer (``e`` is Euler's number here,
    since no symbol is in scope); None when it is anything else."""
    from hwcheck.formula import evaluate
    from hwcheck.formula.readers import Context, parse_answer

    try:
        f, _ = parse_answer(text, Context())
        value = np.asarray(evaluate(f, {}), dtype=float) if not f.names else None
    except FormulaError:
        return None
    return float(value) if value is not None and value.ndim == 0 \
        and np.isfinite(value) else None
