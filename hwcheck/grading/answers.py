"""Answers files → frozen dataclasses, read through ``yamlio`` with every answer's line kept.

A file-level problem (not a mapping, not YAML) is an AnswerError. An unknown problem or part
is a Notice and the rest is still graded. A bad value only makes its own part invalid; that
is decided when the part is graded (``to_array``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from hwcheck.errors import AnswerError
from hwcheck.frozen import frozen
from hwcheck.grading.numeric_text import half_unit, read_cell
from hwcheck.grading.results import Notice
from hwcheck.spec import readers
from hwcheck.spec.yamlio import Node, load_file

META_KEYS = ("student", "indexing")
#: notices listed per file; the rest are counted in one more notice (a file of 50,000
#: unknown keys must not make 50,000 suggestions, or a report of that size)
MAX_NOTICES = 5
#: YAML 1.1 read these as booleans; YAML 1.2 reads them as text, which a student may not expect
YAML11_WORDS = ("yes", "no", "on", "off", "y", "n")


@frozen
class AnswerSheet:
    """One student's answers, as read from any answers format, with where each sits."""

    file: str
    student: str | None
    answers: dict          # (problem id, part name) → Node
    problem_lines: dict    # problem id → line of its key
    notices: tuple
    indexing: int = 1      # `indexing: 0` at the top: this student counts from zero
    student_at: tuple = (0, 0)   # line, col of `student:` (a cross-check, see identity.py)
    # A notebook: the answers' lines are cell numbers; (cell, line, col) of each tagged
    # cell's source in the JSON text (0, 0 unknown). None: lines are the file's own.
    cells: tuple | None = None


class InvalidAnswer(Exception):
    """A value that cannot be graded; the part becomes ``invalid`` with this message."""

    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


def read_answers(path: str | Path, specs: dict, display: str | None = None) -> AnswerSheet:
    """Read one answers file against the known specs (id → Spec)."""
    root = load_file(path, display=display, follow_links=False)   # a student's file
    if root.kind != "map":
        raise root.error("an answers file must be a mapping of problem ids to answers",
                         hint="e.g. `p3: 513466`", cls=AnswerError)
    notices = _Notices()
    answers: dict = {}
    lines: dict = {}
    student, indexing, student_at = None, 1, (0, 0)
    for key, node in root.items():
        line, col = root.key_mark(key)
        if key == "indexing":
            if node.value not in (0, 1) or isinstance(node.value, bool):
                raise node.error("`indexing:` is 0 (indices count from zero) or 1 (the default)",
                                 cls=AnswerError)
            indexing = int(node.value)
            continue
        if key in META_KEYS:
            if node.kind != "scalar" or node.value is None or isinstance(node.value, bool):
                raise node.error("`student:` must be a name or an id", cls=AnswerError)
            student, student_at = str(node.value), (node.line, node.col)
            continue
        spec = specs.get(key)
        if spec is None:
            notices.add(lambda: _unknown(key, list(specs) + list(META_KEYS), "problem",
                                         line, col))
            continue
        lines[key] = line
        _problem(spec, node, answers, notices, line, col)
    return AnswerSheet(root.file, student, answers, lines, _capped(notices), indexing,
                       student_at)


class _Notices(list):
    """Keeps the first MAX_NOTICES notices and counts the others, without making them."""

    dropped = 0

    def add(self, make) -> None:
        if len(self) < MAX_NOTICES:
            self.append(make())
        else:
            self.dropped += 1


def _capped(notices: "_Notices") -> tuple:
    if not notices.dropped:
        return tuple(notices)
    return (*notices, Notice(f"{notices.dropped:,} more notices like these were not listed",
                             0, 0, "fix the ones above first"))


def _problem(spec, node: Node, answers: dict, notices: "_Notices", line: int,
             col: int) -> None:
    names = [p.name for p in spec.parts]
    if node.kind != "map" or (len(names) == 1 and names[0] not in node.value):
        if len(names) == 1:
            answers[(spec.id, names[0])] = node
            return
        notices.add(lambda: Notice(f"{spec.id} has parts {', '.join(names)}; give each its "
                                   "own key", node.line, node.col,
                                   f"e.g. {spec.id}:\\n  {names[0]}: …"))
        return
    for part, value in node.items():
        if part in names:
            answers[(spec.id, part)] = value
        else:
            pl, pc = node.key_mark(part)
            notices.add(lambda: _unknown(part, names, f"part of {spec.id}", pl, pc))


def _unknown(key: str, known: list, what: str, line: int, col: int) -> Notice:
    return Notice(f"unknown {what} '{key}'; it was not graded", line, col,
                  readers.suggest(key, known))


def is_blank(node: Node) -> bool:
    return node.kind == "scalar" and (node.value is None or
                                      (isinstance(node.value, str) and not node.value.strip()))


def to_array(node: Node, shape: tuple[int, ...] | None) -> np.ndarray:
    """A number or nested list as float64, checked cell by cell before numpy sees it.

    Refuses (InvalidAnswer naming the cell): text that is not a number (a quoted number or
    arithmetic is read), booleans, NaN and infinities, ragged rows, and more entries than
    the key has.
    """
    limit = int(np.prod(shape)) if shape is not None else 1 << 16
    rows = _regular(node, (), limit)
    arr = np.array(rows, dtype=float)
    return arr


def written_precision(node: Node) -> np.ndarray:
    """Half a unit in the last decimal the student wrote, per entry (0.0016 → 5e-5, 0 → 0.5):
    how far each value may be from what they computed and still be "the same number,
    rounded". Call it after ``to_array`` accepted the node, so the nesting is regular."""
    def one(n: Node):
        if n.kind == "seq":
            return [one(item) for item in n.value]
        v = n.value
        if isinstance(v, str):
            cell = read_cell(v)
            return cell[1] if cell is not None else 0.0
        if isinstance(v, float) and math.isfinite(v):
            return half_unit(n.text or repr(v))
        return 0.5   # an integer: exact to its ones place
    return np.array(one(node), dtype=float)


def _regular(node: Node, where: tuple, limit: int):
    if node.kind == "scalar":
        return _number(node, where)
    if node.kind == "map":
        raise InvalidAnswer(f"{_cell(where)} is a mapping, not a number or a list",
                            node.line, node.col)
    items = node.value
    if _leaves(node, limit) > limit:
        raise InvalidAnswer(f"the answer has more than {limit} entries; the key has {limit}",
                            node.line, node.col)
    if not items:
        raise InvalidAnswer(f"{_cell(where)} is an empty list", node.line, node.col)
    out = [_regular(item, where + (i + 1,), limit) for i, item in enumerate(items)]
    first = np.shape(out[0])
    for i, item in enumerate(out[1:], start=2):
        if np.shape(item) != first:
            raise InvalidAnswer(f"ragged rows: {_cell(where + (i,))} has shape "
                                f"{_fmt(np.shape(item))} but {_cell(where + (1,))} has "
                                f"{_fmt(first)}", items[i - 1].line, items[i - 1].col)
    return out


def _leaves(node: Node, limit: int) -> int:
    count, stack = 0, [node]
    while stack and count <= limit:
        n = stack.pop()
        if n.kind == "seq":
            stack.extend(n.value)
        else:
            count += 1
    return count


def _number(node: Node, where: tuple) -> float:
    v = node.value
    if isinstance(v, bool):
        raise InvalidAnswer(f"{_cell(where)} is {str(v).lower()}, not a number",
                            node.line, node.col)
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v) or \
                isinstance(v, int) and abs(v) > 1e300:
            raise InvalidAnswer(f"{_cell(where)} is not a finite number", node.line, node.col)
        return float(v)
    if v is None:
        raise InvalidAnswer(f"{_cell(where)} is empty", node.line, node.col)
    cell = read_cell(v) if where and str(v).lower() not in YAML11_WORDS else None
    if cell is not None:   # "−0.00862" or "1 - 0.02*0.431" inside a list
        return cell[0]
    shown = str(v) if len(str(v)) <= 30 else str(v)[:29] + "…"
    hint = " (YAML 1.2 reads yes/no/on/off as text)" if str(v).lower() in YAML11_WORDS else ""
    raise InvalidAnswer(f"{_cell(where)} is the text '{shown}', not a number{hint}",
                        node.line, node.col)


def _cell(where: tuple) -> str:
    return "the answer" if not where else "cell [" + ", ".join(map(str, where)) + "]"


def _fmt(shape: tuple) -> str:
    return "a number" if not shape else " x ".join(map(str, shape))
