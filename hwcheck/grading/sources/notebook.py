"""Jupyter notebooks (.ipynb, nbformat 4), read as JSON and never run.

A cell holds an answer when it carries the tag ``hwcheck:p5.W`` (cell metadata tags) or
starts with a marker line ``# hwcheck: p5.W`` / ``<!-- hwcheck: p5.W -->`` (for editors
that cannot tag). The answer is a Markdown cell's text or math; a raw or code cell's
literal (``[[1, 0], [0, -1]]``, ``W = np.array(…)``, ``"q - p"``); or, for a code cell
that is not a literal, its saved output (a printed list, a numpy ``array(…)`` or torch
``tensor(…)`` repr), read as data. Untagged cells are ignored, outputs included.

Positions: an answer's LINE is its cell's number (counting every cell from 1) and COL is 1,
and every message names the cell and its tag. A notebook that is not one (not an object,
no list of cells) is refused at the JSON value at fault. Where each tagged cell's source
starts in the JSON text (``jsonplaces``) goes with the sheet, for reports that must point
at lines of the file as stored (GitHub annotations).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import replace
from pathlib import Path

from hwcheck.errors import AnswerError
from hwcheck.grading.results import Notice
from hwcheck.grading.sources import (MAX_ANSWER, MAX_TAGGED, Tagged, check_size, data_node,
                                     read_bytes, sheet, text_node)
from hwcheck.grading.sources.jsonplaces import Outline, outline

#: the file as a whole: notebooks carry their plots, so this is far above an answer's size
MAX_NOTEBOOK = 200 * 2**20
_REPAIR = "open and save it in Jupyter to repair it"
MARKER = re.compile(r"\s*(?:#|//|%|<!--)\s*hwcheck\s*:\s*(?P<tag>[^\s>]+)\s*(?:-->)?\s*\Z")
_NUMERIC = re.compile(r"[\[\],\s0-9eE.+\-]+")
_TUPLES = str.maketrans("()", "[]")
# numpy 2 shows a scalar as its type: np.int64(513466), np.float64(0.25)
_WRAPPER = re.compile(r"(?:np\.|numpy\.|torch\.)?(?:array|asarray|tensor|Tensor)\("
                      r"|(?:np\.|numpy\.)(?:u?int|float)(?:8|16|32|64)\(", re.S)
_KWARGS = re.compile(r",\s*(?:dtype|requires_grad|grad_fn|device|size)\s*=[^\]]*\Z", re.S)
_TOKEN = re.compile(r"\[|\]|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|\.\.\.|,|\s+")


def read(path: str | Path, specs: dict, display: str | None = None):
    name = display or str(path)
    text = read_bytes(path, name, MAX_NOTEBOOK, "notebook")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswerError(f"not a notebook: malformed JSON ({exc.msg})", file=name,
                          line=exc.lineno, col=exc.colno,
                          hint=_REPAIR) from None
    except RecursionError:
        raise AnswerError("not a notebook: JSON nested too deeply", file=name, line=1, col=1,
                          hint=_REPAIR) from None
    places = outline(text)
    del text
    cells = _cells(doc, name, places)
    tagged: list[Tagged] = []
    notices: list[Notice] = []
    stored = []   # (cell, line, col) in the JSON text of each tagged cell's source
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            raise AnswerError(f"cell {number} is not a JSON object", file=name, line=number,
                              col=1, hint=_REPAIR)
        tag, marked = _tag(cell, number, name)
        if tag is None:
            continue
        stored.append((number, *places.cell(number)))
        where = f"cell {number} (hwcheck:{tag})"
        found = _answer(cell, number, name, where, marked, notices)
        if found is not None:
            tagged.append(Tagged(tag, found, where))
            if len(tagged) > MAX_TAGGED:
                break   # `sheet` refuses it; reading the rest would only cost time
    return replace(sheet(name, tagged, specs, notices), cells=tuple(stored))


_NOT_A_NOTEBOOK = "a Jupyter notebook is a JSON object with a list of `cells`"


def _cells(doc, name: str, places: Outline) -> list:
    """The list of cells; a document that is not a notebook is refused at the JSON value
    at fault (the whole document, ``worksheets`` or ``cells``)."""
    if not isinstance(doc, dict):
        raise AnswerError("not a notebook: the JSON is not an object", file=name,
                          line=places.top[0], col=places.top[1], hint=_NOT_A_NOTEBOOK)
    if "worksheets" in doc and "cells" not in doc:
        line, col = places.key("worksheets") or places.top
        raise AnswerError("notebook format 3 is not read", file=name, line=line, col=col,
                          hint="open and save it in a current Jupyter (format 4)")
    cells = doc.get("cells")
    if not isinstance(cells, list):
        at = places.key("cells")
        what = "no list of cells" if at is None else \
            f"`cells` is {_kind(cells)}, not a list"
        line, col = at or places.top
        raise AnswerError(f"not a notebook: {what}", file=name, line=line, col=col,
                          hint=_NOT_A_NOTEBOOK)
    return cells


def _kind(value) -> str:
    if value is None:
        return "null"
    return {dict: "an object", str: "a string", bool: "true or false"}.get(type(value),
                                                                           "a number")


def _tag(cell: dict, number: int, name: str) -> tuple[str | None, bool]:
    """The cell's hwcheck tag, and whether it came from a marker line."""
    meta = cell.get("metadata")
    tags = meta.get("tags") if isinstance(meta, dict) else None
    ours = [t[8:].strip() for t in tags if isinstance(t, str) and t.startswith("hwcheck:")] \
        if isinstance(tags, list) else []
    m = MARKER.match(_first_line(cell.get("source")))
    if m:
        ours.append(m.group("tag"))
    ours = [_unicode(t, name, number, f"cell {number}") for t in dict.fromkeys(ours) if t]
    if len(ours) > 1:
        shown = ", ".join(f"hwcheck:{t}" for t in ours[:3])
        raise AnswerError(f"cell {number} has several hwcheck tags ({shown})", file=name,
                          line=number, col=1, hint="one answer per cell; split the cell")
    if not ours:
        return None, False
    return ours[0], m is not None


def _first_line(source) -> str:
    if isinstance(source, list):
        source = source[0] if source and isinstance(source[0], str) else ""
    if not isinstance(source, str):
        return ""
    return source[: source.find("\n")] if "\n" in source else source[:500]


def _text(value, name: str, where: str, number: int) -> str:
    """A notebook string field (a string or a list of strings), refused when too long."""
    if isinstance(value, str):
        parts = [value]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        parts = value
    else:
        raise AnswerError(f"{where}: its text is neither a string nor a list of strings",
                          file=name, line=number, col=1, hint=_REPAIR)
    if sum(map(len, parts)) > MAX_ANSWER:
        check_size("".join(parts), name, number, 1, where)
    return _unicode("".join(parts), name, number, where)


def _unicode(text: str, name: str, number: int, where: str) -> str:
    """JSON may escape a lone surrogate (``\\ud800``), which no report can print."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AnswerError(f"{where}: text is not valid Unicode (a lone surrogate "
                          f"U+{ord(text[exc.start]):04X})", file=name, line=number, col=1,
                          hint="delete the character and save again") from None
    return text


def _answer(cell: dict, number: int, name: str, where: str, marked: bool, notices: list):
    kind = cell.get("cell_type")
    source = _text(cell.get("source", ""), name, where, number)
    if marked:
        source = source.split("\n", 1)[1] if "\n" in source else ""
    if kind == "markdown":
        return text_node(source.strip(), name, number, 1)
    if kind == "raw":
        return data_node(source, name, number, 1)
    if kind != "code":
        raise AnswerError(f"{where}: unknown cell type {str(kind)[:20]!r}", file=name,
                          line=number, col=1, hint="a cell is markdown, code or raw; "
                          + _REPAIR)
    literal = _literal(source)
    if literal is not None:
        return literal(name, number)
    output = _output(cell.get("outputs"), name, where, number)
    if output is None:
        if not _code(source):
            return text_node("", name, number, 1)   # an empty place: the part is missing
        notices.append(Notice(f"{where}: code with no saved output was not graded "
                              "(hwcheck never runs code)", number, 1,
                              "run the cell and save the notebook, or write the answer "
                              "as a literal"))
        return None
    data = _data(output)
    if data.startswith("[") and "..." in data:
        notices.append(Notice(f"{where}: the saved output elides entries with '...'; it was "
                              "not graded", number, 1, "print the whole array (numpy: "
                              "np.set_printoptions(threshold=100000)) and save again"))
        return None
    return data_node(data, name, number, 1)


def _literal(source: str):
    """A code cell that is one answer literal, perhaps assigned (``W = [[…]]``) or wrapped
    (``np.array([…])``), besides imports: parsed with ``ast``, never evaluated. None for
    any other code."""
    code = _code(source)
    try:
        body = ast.parse(code).body if code else []
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    body = [b for b in body if not isinstance(b, (ast.Import, ast.ImportFrom))]
    if len(body) != 1 or not isinstance(body[0], (ast.Expr, ast.Assign)):
        return None
    value = body[0].value
    if isinstance(value, ast.Call) and _WRAPPER.fullmatch(ast.unparse(value.func) + "(") \
            and len(value.args) == 1:
        value = value.args[0]
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return lambda name, number: text_node(value.value.strip(), name, number, 1)
    if isinstance(value, (ast.List, ast.Tuple, ast.Constant, ast.UnaryOp)):
        data = ast.get_source_segment(code, value) or ""
        if isinstance(value, ast.Tuple) and not data.startswith("("):
            data = f"({data})"   # `W = 1, 2`
        data = _data(data.translate(_TUPLES))
        if _NUMERIC.fullmatch(data):
            return lambda name, number: data_node(data, name, number, 1)
    return None


def _code(source: str) -> str:
    """The cell's code without comment lines and blank lines."""
    lines = [ln for ln in source.split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
    return "\n".join(lines).strip()   # (a comment after code is ast's to skip)


def _output(outputs, name: str, where: str, number: int) -> str | None:
    """The cell's last text result: an execute_result's text/plain, else what it printed."""
    if not isinstance(outputs, list):
        return None
    result, printed = None, []
    for out in outputs:
        if not isinstance(out, dict):
            continue
        if out.get("output_type") in ("execute_result", "display_data"):
            data = out.get("data")
            if isinstance(data, dict) and "text/plain" in data:
                result = _text(data["text/plain"], name, where, number)
        elif out.get("output_type") == "stream" and out.get("name") == "stdout":
            printed.append(_text(out.get("text", ""), name, where, number))
            check_size("".join(printed), name, number, 1, where)
    if result is not None:
        return result
    return "".join(printed) if printed else None


def _data(text: str) -> str:
    """numpy and torch reprs, and numpy's printed form (``[[1. 0.]\\n [0. 1.]]``), as a
    list with commas; any other text is returned as it was."""
    s = text.strip()
    m = _WRAPPER.match(s)
    if m and s.endswith(")"):
        s = _KWARGS.sub("", s[m.end():-1].strip()).strip()
    if not s.startswith("["):
        return s
    tokens = [t for t in _TOKEN.findall(s) if t.strip() and t != ","]
    if "".join(_TOKEN.findall(s)) != s or "..." in tokens:
        return s   # not a plain list of numbers (or numpy elided entries): graded as text
    out = []
    for i, t in enumerate(tokens):
        if i and t != "]" and tokens[i - 1] != "[":
            out.append(", ")
        out.append(t)
    return "".join(out)
