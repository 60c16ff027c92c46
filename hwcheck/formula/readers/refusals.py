"""Refusals that teach: each construct the reader will not read is named, with the
spelling it accepts. No hint suggests an answer; hints show notation only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hwcheck.formula.readers.lexer import CMD, NAME, OP, Token
from hwcheck.formula.readers.tables import COMPARE

if TYPE_CHECKING:
    from hwcheck.formula.readers.grammar import Parser

REFUSED_CMDS = {
    "partial": "a derivative symbol `\\partial` cannot be evaluated",
    "int": "an integral `\\int` cannot be evaluated",
    "prod": "a product `\\prod` cannot be evaluated",
    "lim": "a limit `\\lim` cannot be evaluated",
    "infty": "infinity `\\infty` is not a value a part can have",
    "dots": "dots `\\dots` stand for entries that are not written",
    "cdots": "dots `\\cdots` stand for entries that are not written",
    "ldots": "dots `\\ldots` stand for entries that are not written",
    "vdots": "dots `\\vdots` stand for entries that are not written",
    "ddots": "dots `\\ddots` stand for entries that are not written",
    "begin": "a matrix or environment `\\begin{…}` cannot be part of a formula",
    "|": "a norm `\\|…\\|` cannot be evaluated",
    "otimes": "`\\otimes` (a Kronecker or outer product) is ambiguous",
    "approx": "`\\approx` is not an equation the grader can check",
    "forall": "`\\forall` belongs to a domain clause, which goes at the end",
}


def trailing(p: Parser):
    """What is left after a whole expression was read: name it."""
    t = p.tok
    if t.kind == OP and t.text in ")]}":
        p.fail(f"unmatched `{t.text}`", hint="remove it or add the opening bracket")
    if t.kind == OP and t.text == ",":
        p.fail("a comma outside brackets", hint="index with x[i, j]; put a domain clause "
               "such as `for 1 <= d <= 2n` at the end")
    if t.kind in (OP, CMD) and t.text in COMPARE:
        p.fail(f"a comparison {p.describe(t)} in the middle of the formula",
               hint="write only the expression; a domain clause goes at the end, after `for`")
    if t.kind == NAME and t.text in ("for", "in", "if", "and", "or", "not"):
        p.fail(f"`{t.text}` can only stand inside sum(…), min(…) or max(…)",
               hint="write sum(EXPR for i in 1..n if i != j); a domain clause such as "
                    "`for 1 <= d <= 2n` goes at the end")
    if t.kind == OP and t.text == "..":
        p.fail("dots `..` outside a sum's range stand for entries that are not written",
               hint="write one general entry using "
                    + (", ".join(p.ctx.indices) or "the index variables"))
    if t.kind == OP and t.text == ";":
        p.fail("a `;` or a wide space \\quad in the middle of the formula",
               hint="write one expression; a domain clause goes at the end")
    p.fail(f"{p.describe(t)} cannot follow what comes before",
           hint="write products with `*`, indices as x[i, j]")


def refuse_command(p: Parser, t: Token):
    idx = ", ".join(p.ctx.indices) or "the index variables"
    hints = {
        "partial": "write the expression the derivative equals; a left-hand side "
                   "such as \\frac{\\partial L}{\\partial S_{d,e}} = … is dropped",
        "begin": "write one general entry using " + idx,
        "prod": "write the product out with `*`",
        "dots": "write one general entry using " + idx,
        "|": "write the expression inside the norm as its own part if it is asked for",
    }
    hint = hints.get(t.text) or hints.get("dots" if "dots" in t.text else "", None)
    p.fail(REFUSED_CMDS[t.text], t, hint=hint or "write the expression it stands for")
