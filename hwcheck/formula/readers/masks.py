"""Comparisons and indicators as students write them: `[z_i > 0]`, `(z_i > 0)`,
`\\mathbb{1}[z_i > 0]`, `\\mathbb{1}_{z_i > 0}`, joined by and/or, read into the canonical
Iverson bracket `[z[i] > 0]` (1 where it holds, 0 elsewhere)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hwcheck.formula.readers.lexer import CMD, END, NAME, OP, Token
from hwcheck.formula.readers.tables import ATOM, COMPARE, LOGIC, V

if TYPE_CHECKING:
    from hwcheck.formula.readers.grammar import Parser


def at_compare(p: Parser) -> bool:
    return p.tok.kind in (OP, CMD) and p.tok.text in COMPARE


def holds_comparison(p: Parser) -> bool:
    """Whether the bracket opening here holds a comparison at its own level: then
    `g_i [z_i > 0]` is a product with an indicator, not an index."""
    depth, k = 0, p.i
    while p.toks[k].kind != END:
        t = p.toks[k]
        if t.kind == OP and t.text in "([{":
            depth += 1
        elif t.kind == OP and t.text in ")]}":
            depth -= 1
            if depth == 0:
                return False
        elif depth == 1 and t.kind in (OP, CMD) and t.text in COMPARE:
            return True
        k += 1
    return False


def at_logic(p: Parser) -> bool:
    return p.tok.kind in (NAME, CMD) and p.tok.text in LOGIC


def comparison(p: Parser, v: V) -> tuple[str, int]:
    r"""`a > b`, `0 < a \le b`, joined by and/or (`\land`, `\wedge`): canonical text."""
    parts, rank = [v.text], v.rank
    while True:
        if not at_compare(p):
            p.fail(f"expected a comparison, found {p.describe(p.tok)}",
                   hint="an indicator holds comparisons, e.g. [z_i > 0 and i != j]")
        while at_compare(p):
            parts.append(COMPARE[p.take().text])
            w = p.expr()
            parts.append(w.text)
            rank = max(rank, w.rank)
        if not at_logic(p):
            return " ".join(parts), rank
        parts.append(LOGIC[p.take().text])
        w = p.expr()
        parts.append(w.text)
        rank = max(rank, w.rank)


def indicator(p: Parser, t: Token) -> V:
    r"""`\mathbb{1}[z > 0]`, `\mathbb{1}_{z > 0}`, `\mathbb{1}(z > 0)`: an Iverson
    bracket."""
    p.take()
    if p.at(OP, "_"):
        p.take()
    pairs = {"[": "]", "{": "}", "(": ")"}
    if not (p.tok.kind == OP and p.tok.text in pairs):
        p.fail("an indicator \\mathbb{1} needs its condition in brackets", t,
               hint="write \\mathbb{1}[z_i > 0] or \\mathbb{1}_{z_i > 0}")
    close = pairs[p.take().text]
    p.enter()
    text, rank = comparison(p, p.expr())
    p.expect(close, "to close the indicator's condition")
    p.depth -= 1
    return p.make(f"[{text}]", ATOM, rank)
