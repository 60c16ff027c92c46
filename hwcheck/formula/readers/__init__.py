"""Readers: what a student wrote → the canonical notation the grader evaluates, with notes.

    reading = read(r"\\frac14 g_{\\lceil d/2\\rceil,\\lceil e/2\\rceil}", ctx)
    reading.canonical   # '1 / 4 * g[ceil(d / 2), ceil(e / 2)]'
    formula, reading = parse_answer(text, ctx)   # the canonical text, parsed and checked

Text already in canonical notation (naming only known names) is kept exactly as written.
Anything else (LaTeX, Unicode math, everyday ASCII such as `1/4 g[i][j]` or `x^2`) is
read in steps: ``unicode`` rewrites math characters as LaTeX, ``lexer`` makes tokens, a
left-hand side and a domain clause are dropped here, and ``grammar`` (with ``names``,
``functions``, ``sums`` and ``refusals``) writes canonical text. That text is parsed by
``syntax.parse`` like any other, so every limit of the formula engine still applies; the
raw input is capped at ``MAX_LENGTH`` characters before any reading starts. The readers
are hand-written (no parsing library): a tokenizer and a recursive-descent parser are
short, have no dependency to load, and their work is easy to bound.
"""

from __future__ import annotations

import ast

from hwcheck.errors import FormulaError
from hwcheck.formula.limits import MAX_LENGTH
from hwcheck.formula.readers.context import Context, Reading
from hwcheck.formula.readers.grammar import Parser
from hwcheck.formula.readers.lexer import CMD, END, NAME, OP, Token, tokenize
from hwcheck.formula.readers.tables import COMPARE, MAX_OUTPUT
from hwcheck.formula.readers.unicode import is_unicode, to_latex_mapped
from hwcheck.formula.syntax import Formula, parse

__all__ = ["Context", "Reading", "read", "parse_answer"]

_SEPARATORS = {",", ";"}


def parse_answer(text: str, ctx: Context | None = None, *,
                 keep_canonical: bool = True) -> tuple[Formula, Reading]:
    """Read and parse a student's formula; FormulaError names anything refused."""
    reading = read(text, ctx, keep_canonical=keep_canonical)
    if reading.canonical == text:
        return parse(text), reading
    return parse(reading.canonical, max_length=MAX_OUTPUT), reading


def read(text: str, ctx: Context | None = None, *, keep_canonical: bool = True) -> Reading:
    """``keep_canonical``: text that the canonical parser accepts is kept as written (the
    reader is tried only for names the context does not know); False reads everything."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula is {len(text)} characters; the limit is {MAX_LENGTH}",
                           hint="split it into simpler parts")
    known = None if ctx is None else ctx.names  # without a context every name is known
    ctx = ctx or Context()
    plain = text.isascii() and "\\" not in text and "$" not in text
    if plain and ctx.indexing == 1 and keep_canonical:
        try:
            f = parse(text)
        except FormulaError:
            f = None
        if f is not None and _indexes_names_only(f):
            if known is None or f.names <= known:
                return Reading(text, text)
            try:  # unknown names: maybe `W_h` for Wh; else keep today's reading
                return _read(text, ctx)
            except FormulaError:
                return Reading(text, text)
    return _read(text, ctx)


def _indexes_names_only(f: Formula) -> bool:
    """`1/4 [g[i]]` parses as indexing the number 4; it is a product, read it as one."""
    return all(isinstance(node.value, (ast.Name, ast.Call))
               and not isinstance(node.slice, ast.Compare)  # `g [z > 0]`: a product
               for node in ast.walk(f.tree) if isinstance(node, ast.Subscript))


def _read(text: str, ctx: Context) -> Reading:
    body, latex = _undelimit(text)
    origin = None
    if is_unicode(body):
        body, origin = to_latex_mapped(body)
    try:
        tokens = tokenize(body)
        tokens, notes = _surroundings(body, tokens)
        parser = Parser(tokens, ctx, latex or "\\" in text)
        if parser.at(END) and any(n.startswith("dropped the left") for n in notes):
            raise FormulaError("nothing follows the last `=`",
                               hint="write the expression after the `=`")
        if parser.at(END):
            raise FormulaError("the formula is empty", hint="write an expression such as "
                               "`q - p`")
        value = parser.formula()
    except FormulaError as exc:
        if exc.col and origin is not None:
            exc.col = origin[min(exc.col - 1, len(origin) - 1)] + 1 if origin else 0
        raise
    except RecursionError:
        raise FormulaError("the formula is too deeply nested to read",
                           hint="simplify it") from None
    if ctx.indexing == 0:
        notes.append("read with indices counted from 0")
    return Reading(text, value.text, tuple(notes) + tuple(parser.notes))


def _undelimit(text: str) -> tuple[str, bool]:
    """Math delimiters become spaces of the same width, so columns still point into what
    the student wrote; `$a$ for $1 \\le d$` mixes math and words and reads as one."""
    if not any(d in text for d in ("$", "\\(", "\\[")):
        return text, False
    body = text.replace("$", " ")
    for mark in ("\\(", "\\)", "\\[", "\\]"):
        body = body.replace(mark, "  ")
    return body, True


def _surroundings(body: str, tokens: list[Token]) -> tuple[list[Token], list[str]]:
    """Drop a left-hand side (`dL/dS[d,e] =`) and a trailing domain clause
    (`for 1 <= d <= 2n`, `, 1 \\le d \\le 2n`); say what was dropped."""
    notes: list[str] = []
    depth, last_eq, cut = 0, -1, -1
    for k, t in enumerate(tokens):
        if t.kind == OP and t.text in "([{":
            depth += 1
        elif t.kind == OP and t.text in ")]}":
            depth -= 1
        elif depth == 0 and t.kind == OP and t.text == "=" and cut < 0:
            last_eq = k
        elif depth == 0 and cut < 0 and k > last_eq + 1 and _separator(t) \
                and _has_comparison(tokens[k + 1:]):
            cut = k
    end = len(tokens) - 1
    if cut >= 0:
        clause = " ".join(body[tokens[cut].pos:].split())
        notes.append(f"dropped the domain clause `{_short(clause)}`")
        end = cut
    while end > 0 and tokens[end - 1].kind == OP and tokens[end - 1].text in (".", ",", ";"):
        end -= 1
    start = 0
    if last_eq >= 0 and last_eq < end:
        lhs = " ".join(body[tokens[0].pos:tokens[last_eq].pos].split())
        if lhs:
            notes.append(f"dropped the left-hand side `{_short(lhs)} =`")
        start = last_eq + 1
    return tokens[start:end] + [Token(END, "", tokens[end].pos)], notes


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _separator(t: Token) -> bool:
    return (t.kind == OP and t.text in _SEPARATORS) or \
        (t.kind == NAME and t.text in ("for", "where", "with")) or \
        (t.kind == CMD and t.text in ("forall", "quad", "qquad"))


def _has_comparison(tokens: list[Token]) -> bool:
    return any(t.kind in (OP, CMD) and t.text in COMPARE and t.text not in ("=", "==")
               or t.kind == CMD and t.text == "in" for t in tokens)
