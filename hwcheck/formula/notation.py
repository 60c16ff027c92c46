"""The homework's ASCII notation, front end: ``A..B`` ranges and implicit ``2n`` products.

Shared by formulas (``formula.py``) and by size expressions in specs (``2n+k-1``).
"""

from __future__ import annotations

import ast
import functools
import re

from hwcheck.errors import FormulaError

MAX_LENGTH = 500

# `2n` → `2*n`, `2(n+1)` → `2*(n+1)`; leaves `1e3`, `1.5e-2` and `x2` alone.
_IMPLICIT = re.compile(r"(?<![A-Za-z_0-9.])(\d+(?:\.\d*)?)(?=[A-Za-z_(])(?![eE][-+]?\d)")
# `for i in 1..2n` → `for i in __range__(1, 2n)`; a range runs to the next `for`, `)` or `]`
# at the same bracket depth, so it is rewritten by a small scanner rather than a regex.
_FOR_IN = re.compile(r"\bin\b")


def check_text(text: str, *, what: str = "formula", limit: int = MAX_LENGTH) -> None:
    """Length cap and ASCII only; the error column points at the first bad character."""
    if len(text) > limit:
        raise FormulaError(f"{what} is {len(text)} characters; the limit is {limit}",
                           hint="split it into simpler parts")
    for i, ch in enumerate(text):
        if ord(ch) >= 127 or (ord(ch) < 32 and ch not in "\t\n"):
            raise FormulaError(f"non-ASCII character {ch!r} (U+{ord(ch):04X}) at column {i + 1}",
                               col=i + 1, hint="type the formula in plain ASCII, e.g. `*` not `·`")


def rewrite(text: str) -> str:
    """Turn notation into plain Python syntax: ranges become ``__range__(A, B)``."""
    return _IMPLICIT.sub(r"\1*", _rewrite_ranges(text))


def _rewrite_ranges(text: str) -> str:
    out = []
    i = 0
    while True:
        j = text.find("..", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        start = _range_start(text, j)
        end = _range_end(text, j + 2)
        out.append(text[i:start])
        out.append(f" __range__({text[start:j].strip()}, {text[j + 2:end].strip()})")
        if end < len(text) and not text[end].isspace():
            out.append(" ")
        i = end


def _range_start(text: str, dots: int) -> int:
    """The range's left end begins after the nearest `in` before the dots."""
    m = None
    for m in _FOR_IN.finditer(text, 0, dots):
        pass
    if m is None:
        raise FormulaError("a range `A..B` must follow `for VAR in`", col=dots + 1,
                           hint="write `sum(EXPR for i in 1..n)`")
    return m.end()


def _range_end(text: str, pos: int) -> int:
    depth = 0
    k = pos
    while k < len(text):
        ch = text[k]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            if depth == 0:
                return k
            depth -= 1
        elif depth == 0 and (text.startswith("for", k) and _word_at(text, k, "for")
                             or text.startswith("if", k) and _word_at(text, k, "if")):
            return k
        k += 1
    return k


def _word_at(text: str, k: int, word: str) -> bool:
    before = text[k - 1] if k else " "
    after = text[k + len(word)] if k + len(word) < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


def int_expr(text: str | int, sizes: dict[str, int]) -> int:
    """Evaluate an integer size expression such as ``2n+k-1`` with the given sizes.

    Only integers, names from ``sizes``, ``+ - *`` and ``//`` and parentheses are allowed.
    """
    if isinstance(text, bool):
        raise FormulaError(f"expected a whole number, got {text!r}")
    if isinstance(text, int):
        return text
    return _int_node(_size_tree(str(text)), sizes, str(text))


@functools.lru_cache(maxsize=1024)
def _size_tree(text: str) -> ast.AST:
    """Parsed once per text: a class of specs re-evaluates the same few expressions."""
    check_text(text, what="size expression")
    try:
        return ast.parse(rewrite(text), mode="eval").body
    except SyntaxError:
        raise FormulaError(f"cannot read size expression {text!r}",
                           hint="use whole numbers, size names, + - * and parentheses") from None


def _int_node(node: ast.AST, sizes: dict[str, int], text: str) -> int:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in sizes:
            known = ", ".join(sorted(sizes)) or "none"
            raise FormulaError(f"unknown size {node.id!r} in {text!r}", hint=f"sizes: {known}")
        return sizes[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _int_node(node.operand, sizes, text)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult,
                                                            ast.FloorDiv)):
        a, b = _int_node(node.left, sizes, text), _int_node(node.right, sizes, text)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            if abs(a) > 1 << 31 or abs(b) > 1 << 31:
                raise FormulaError(f"size expression {text!r} is too large")
            return a * b
        if b == 0:
            raise FormulaError(f"division by zero in {text!r}")
        return a // b
    raise FormulaError(f"size expression {text!r} may use only whole numbers, size names, "
                       "+ - * // and parentheses")
