"""Sums as students write them: `\\sum_{i=1}^{2n}` (nested, with a condition such as
`i \\neq x`) and the canonical `sum(E for i in A..B if C)`, with min, max and argmax
alike (`\\arg\\max_{a=1}^{n} x_a`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hwcheck.formula.readers.lexer import CMD, END, NAME, OP, Token
from hwcheck.formula.readers.tables import ATOM, COMPARE, V

if TYPE_CHECKING:
    from hwcheck.formula.readers.grammar import Parser

_AND = {"and", "land", "wedge"}
_OR = {"or", "lor", "vee"}
_NOT = {"not", "neg", "lnot"}


_LATEX = {"sum": "\\sum", "max": "\\max", "min": "\\min", "argmax": "\\arg\\max"}


def latex_sum(p: Parser, t: Token, fn: str = "sum") -> V:
    """`\\sum_{i=1}^{n} E`, and `\\max`, `\\min`, `\\arg\\max` written the same way."""
    what = "a sum" if fn == "sum" else f"{_LATEX[fn]}_…"
    example = f"{_LATEX[fn]}_{{i=1}}^{{n}}"
    if not p.at(OP, "_"):
        p.fail(f"{what} needs its range", t, hint=f"write {example} or {fn}(EXPR for i in 1..n)")
    p.take()
    if not p.at(OP, "{") or not p.at(NAME, k=1) or not (p.at(OP, "=", k=2)
                                                        or p.at(CMD, "in", k=2)):
        if fn == "sum":
            p.fail("a sum needs its variable and both ends of its range", t,
                   hint=f"write {example}")
        # `\arg\max_a x_a`: the range of `a` is nowhere in the formula, and is not guessed
        var = p.toks[p.i + (p.at(OP, "{") and 1)]
        v = var.text if var.kind == NAME else "i"
        p.fail(f"`{_LATEX[fn]}_{v}` needs the range of {v}" if var.kind == NAME else
               f"{_LATEX[fn]}_… needs its variable and both ends of its range", t,
               hint=f"write {_LATEX[fn]}_{{{v}=1}}^{{n}} … or {fn}(… for {v} in 1..n)")
    p.take()
    var = p.take()
    _check_free(p, var)
    p.take()
    lo = p.expr()
    p.bound.append(var.text)
    conds = []
    while p.at(OP, ","):
        p.take()
        conds.append(condition(p))
    p.expect("}", "to close the sum's range")
    if not p.at(OP, "^"):
        p.fail(f"the sum over {var.text} has no upper end", t, hint=f"write {example}")
    p.take()
    p.bound.pop()
    hi = p.latex_arg()
    p.bound.append(var.text)
    p.enter()
    body = p.term()
    p.depth -= 1
    p.bound.pop()
    return _render(p, fn, body, [(var.text, lo.text, hi.text)], [c for c in conds])


def reducer(p: Parser, fn: str, t: Token) -> V:
    """`sum(E for i in A..B ...)`, `max(a, b)`, `sum(x)`: variables are bound before the
    body is read, since the body names them first."""
    start = p.take()
    names = _generator_names(p)
    for name in names:
        _check_free(p, name)
    p.bound.extend(n.text for n in names)
    p.enter()
    body = p.expr()
    if p.at(NAME, "for"):
        clauses, conds = [], []
        while p.at(NAME, "for"):
            p.take()
            var = p.take()
            if not (p.at(NAME, "in") or p.at(OP, "=")):
                p.fail(f"`for {var.text}` must be followed by `in A..B`", var,
                       hint="write sum(EXPR for i in 1..n)")
            p.take()
            lo = p.expr()
            p.expect("..", "between the ends of the range")
            hi = p.expr()
            clauses.append((var.text, lo.text, hi.text))
        while p.at(NAME, "if"):
            p.take()
            conds.append(condition(p))
        p.expect(")", f"to close {fn}(…)")
        v = _render(p, fn, body, clauses, conds)
    else:
        args = [body]
        while p.at(OP, ","):
            p.take()
            args.append(p.expr())
        if not p.at(OP, ")"):
            p.fail(f"`{fn}(` is not closed", start,
                   hint=f"close it with `)`; a sum reads {fn}(EXPR for i in 1..n)")
        p.take()
        rank = 0 if fn == "sum" else max(a.rank for a in args)
        v = p.make(f"{fn}({', '.join(a.text for a in args)})", ATOM, rank)
    p.depth -= 1
    del p.bound[len(p.bound) - len(names):]
    return v


def condition(p: Parser) -> str:
    p.enter()
    parts = [_conjunction(p)]
    while p.at(NAME, "or") or p.at(CMD) and p.tok.text in _OR:
        p.take()
        parts.append(_conjunction(p))
    p.depth -= 1
    return " or ".join(parts) if len(parts) == 1 else "(" + " or ".join(parts) + ")"


def _conjunction(p: Parser) -> str:
    parts = [_negation(p)]
    while p.at(NAME, "and") or p.at(CMD) and p.tok.text in _AND:
        p.take()
        parts.append(_negation(p))
    return " and ".join(parts)


def _negation(p: Parser) -> str:
    if p.at(NAME, "not") or p.at(CMD) and p.tok.text in _NOT:
        p.take()
        p.enter()
        inner = _negation(p)
        p.depth -= 1
        return f"not ({inner})"
    left = p.expr()
    out = left.text
    if not (p.tok.kind in (OP, CMD) and p.tok.text in COMPARE):
        p.fail(f"a condition needs a comparison, found {p.describe(p.tok)}",
               hint="e.g. `i != x` or \\sum_{i=1, i \\neq x}^{N}")
    while p.tok.kind in (OP, CMD) and p.tok.text in COMPARE:
        op = COMPARE[p.take().text]
        out += f" {op} {p.expr().text}"
    return out


def _generator_names(p: Parser) -> list[Token]:
    depth, k, out = 0, p.i, []
    toks = p.toks
    while toks[k].kind != END:
        t = toks[k]
        if t.kind == OP and t.text in "([{":
            depth += 1
        elif t.kind == OP and t.text in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and t.kind == NAME and t.text == "for" and toks[k + 1].kind == NAME:
            out.append(toks[k + 1])
        k += 1
    return out


def _check_free(p: Parser, var: Token) -> None:
    if var.kind != NAME:
        p.fail(f"a sum variable must be a name, not {p.describe(var)}", var)
    if var.text in p.bound or var.text in p.ctx.indices:
        p.fail(f"sum variable '{var.text}' is already in use", var,
               hint="give each nested sum its own variable, different from the part's "
                    "index variables")
    if var.text in p.ctx.symbols or var.text in p.ctx.sizes:
        p.fail(f"sum variable '{var.text}' is a symbol of the problem", var,
               hint="use another letter for the sum")


def _render(p: Parser, fn: str, body: V, clauses: list, conds: list) -> V:
    if body.gen and body.gen[0] == fn:  # \sum_i \sum_j x → one sum over i and j
        _, inner_body, inner_clauses, inner_conds = body.gen
        body_text, clauses, conds = inner_body, clauses + inner_clauses, conds + inner_conds
    else:
        body_text = body.text
    text = f"{fn}({body_text} " + " ".join(f"for {v} in {lo}..{hi}" for v, lo, hi in clauses)
    if conds:
        text += " if " + " and ".join(conds)
    return p.make(text + ")", ATOM, body.rank, gen=(fn, body_text, clauses, conds))
