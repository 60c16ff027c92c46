"""Formula front end: notation text → a checked ``ast`` tree, or a FormulaError naming the
refused construct. Nothing here runs the formula; the whitelist is enforced node by node.
"""

from __future__ import annotations

import ast
import difflib
import re
import warnings
from dataclasses import field
from functools import lru_cache

from hwcheck.errors import FormulaError
from hwcheck.formula.check import FUNCTIONS, HINT, Checker
from hwcheck.formula.limits import MAX_DEPTH, MAX_LENGTH, MAX_NODES
from hwcheck.formula.notation import check_text, rewrite
from hwcheck.frozen import frozen

__all__ = ["FUNCTIONS", "Formula", "parse"]

_DUNDER = re.compile(r"(?<![A-Za-z0-9_])__[A-Za-z0-9_]*")
_IN = re.compile(r"\bin\b")


@frozen
class Formula:
    """A parsed, checked formula. ``names``: the free names (symbols, sizes, index variables)."""

    text: str
    names: frozenset[str]
    tree: ast.Expression = field(compare=False, repr=False)
    rewritten: str = field(compare=False, repr=False, default="")
    nodes: int = field(compare=False, default=0)

    def col(self, node: ast.AST) -> int:
        """1-based column of ``node`` in the original text (approximate after a rewrite)."""
        return _to_original(self.text, self.rewritten, _offset(self.rewritten, node)) + 1

    def segment(self, node: ast.AST) -> str:
        """The original text of ``node``, e.g. ``2n`` rather than ``2*n``."""
        start = _offset(self.rewritten, node)
        end = _offset(self.rewritten, node, end=True)
        a = _to_original(self.text, self.rewritten, start)
        b = _to_original(self.text, self.rewritten, end)
        text = " ".join(self.text[a:b].split())
        if not text or "__" in text or text.count("(") != text.count(")") \
                or text.count("[") != text.count("]"):
            return ast.unparse(node)
        return text


def parse(text: str, *, max_length: int = MAX_LENGTH) -> Formula:
    """Parse and check a formula; FormulaError (with ``col``) names anything refused.

    ``max_length`` is raised only for text a reader wrote from a capped input: `\\frac14`
    becomes longer canonical text without becoming more work than the node limits allow."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text, not {type(text).__name__}")
    return _parse(text, max_length)


@lru_cache(maxsize=2048)
def _parse(text: str, max_length: int = MAX_LENGTH) -> Formula:
    check_text(text, limit=max_length)
    if "\x7f" in text:  # notation.check_text lets DEL through
        col = text.index("\x7f") + 1
        raise FormulaError(f"control character U+007F at column {col}", col=col)
    if not text.strip():
        raise FormulaError("the formula is empty", hint="write an expression such as `q - p`")
    m = _DUNDER.search(text)
    if m:
        raise FormulaError(f"names starting with `__` are not allowed: `{m.group()}`",
                           col=m.start() + 1, hint=HINT)
    _check_ranges(text)
    rewritten = rewrite(text)
    tree = _ast_parse(text, rewritten)
    nodes = _check_size(tree)
    f = Formula(text, frozenset(), tree, rewritten, nodes)
    names: set[str] = set()
    Checker(f, names).expr(tree.body, frozenset())
    return Formula(text, frozenset(names), tree, rewritten, nodes)


def _check_ranges(text: str) -> None:
    """Each `A..B` needs its own `in`. notation.rewrite pairs a second `..` with the `in`
    of an earlier range and garbles the text, so refuse that case first, clearly."""
    used = -1
    for dots in re.finditer(r"\.\.", text):
        last = None
        for last in _IN.finditer(text, 0, dots.start()):
            pass
        if last is None or last.start() <= used:
            raise FormulaError("a range `A..B` must follow `for VAR in`", col=dots.start() + 1,
                               hint="write `sum(EXPR for i in 1..n)`; index with x[i], not x[1..3]")
        used = last.start()


def _ast_parse(text: str, rewritten: str) -> ast.Expression:
    try:
        with warnings.catch_warnings():  # `"a"(1)` and friends warn on stderr otherwise
            warnings.simplefilter("ignore")
            return ast.parse(rewritten, mode="eval")
    except SyntaxError as e:
        if "too many nested" in (e.msg or ""):
            raise FormulaError("the formula nests brackets too deeply",
                               hint="simplify it; real formulas need a few levels") from None
        col = 0
        if e.lineno and e.offset:
            lines = rewritten.split("\n")
            pos = sum(len(s) + 1 for s in lines[:e.lineno - 1]) + e.offset - 1
            col = _to_original(text, rewritten, max(0, min(pos, len(rewritten)))) + 1
        where = f" at column {col}" if col else ""
        msg = (e.msg or "invalid syntax").split(". Perhaps")[0]
        raise FormulaError(f"cannot read the formula{where}: {msg}", col=col,
                           hint="check brackets and commas; write products with `*`") from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError("the formula is too deeply nested to read",
                           hint="simplify it") from None


def _check_size(tree: ast.Expression) -> int:
    """Node count and depth, walked without recursion so hostile depth cannot crash us."""
    count = 0
    stack = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (ast.expr, ast.comprehension)):
            count += 1
            if count > MAX_NODES:
                raise FormulaError(f"the formula has more than {MAX_NODES} parts; "
                                   f"the limit is {MAX_NODES}", hint="split it into simpler parts")
        if depth > MAX_DEPTH:
            raise FormulaError(f"the formula is nested more than {MAX_DEPTH} levels deep; "
                               f"the limit is {MAX_DEPTH}", hint="simplify it")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return count


def _offset(text: str, node: ast.AST, end: bool = False) -> int:
    """Absolute character offset of a node in ``text`` (ASCII, so bytes == characters)."""
    line = (node.end_lineno if end else node.lineno) or 1
    col = (node.end_col_offset if end else node.col_offset) or 0
    before = text.split("\n")[:line - 1]
    return min(len(text), sum(len(s) + 1 for s in before) + col)


@lru_cache(maxsize=256)
def _position_map(original: str, rewritten: str) -> tuple[int, ...]:
    """For each offset in the rewritten text, the matching offset in the original."""
    out = [0] * (len(rewritten) + 1)
    matcher = difflib.SequenceMatcher(None, rewritten, original, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for i in range(i1, i2):
            out[i] = j1 + (i - i1) if tag == "equal" else j1
    out[len(rewritten)] = len(original)
    return tuple(out)


def _to_original(original: str, rewritten: str, pos: int) -> int:
    if original == rewritten:
        return pos
    return _position_map(original, rewritten)[max(0, min(pos, len(rewritten)))]
