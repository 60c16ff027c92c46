"""Functions as students call them: `\\exp x`, `\\sigma(c)`, `np.exp(c)`, `sigmoid'(c)` and
the problem's own `f'(c)` when it declares `f` (``Context.functions``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hwcheck.formula.check import ARITY
from hwcheck.formula.readers.lexer import CMD, NAME, NUM, OP, Token
from hwcheck.formula.readers.tables import ADD, ATOM, GREEK, MUL, V

if TYPE_CHECKING:
    from hwcheck.formula.readers.grammar import Parser

ALIASES = {"transpose": "T", "logistic": "sigmoid", "sigm": "sigmoid", "expit": "sigmoid"}
FUNCTION_CMDS = {"exp": "exp", "ln": "ln", "log": "log", "sigma": "sigmoid", "tanh": "tanh",
                 "max": "max", "min": "min"}
DERIVATIVES = {
    "sigmoid": "sigmoid({a}) * (1 - sigmoid({a}))",
    "tanh": "(1 - tanh({a})**2)",
    "exp": "exp({a})",
    "log": "1 / ({a})",
    "ln": "1 / ({a})",
}
UNSUPPORTED = {"mean": "mean is not a formula function; write sum(…) / N",
               "dot": "dot is not a formula function; write `@`",
               "inv": "a matrix inverse is not supported", "det": "det is not supported"}


class Functions:
    """Mixed into ``names.Names``; ``self.p`` is the parser, ``self.ctx`` its context."""

    p: Parser

    def function(self, name: str) -> str | None:
        if name in ARITY and (name != "T" or not self.known("T")):
            return name
        if name in self.ctx.functions:
            return self.ctx.functions[name]
        low = name.lower()
        if len(name) >= 3 and low in ARITY and low != "t":
            return low
        return ALIASES.get(low)

    def command_name(self, t: Token) -> V:
        p = self.p
        p.take()
        if self.known(t.text):
            return self.postfix(self.symbol(t.text))
        if t.text in FUNCTION_CMDS:
            return self.call(FUNCTION_CMDS[t.text], t)
        if t.text in GREEK:
            self.unknown(t)
        p.fail(f"the LaTeX command `\\{t.text}` is not supported in a formula", t,
               hint="supported: \\frac, \\cdot, \\sum_{i=1}^{n}, \\lceil\\rceil, \\lfloor\\rfloor, "
                    "\\exp, \\ln, \\sigma, subscripts and ^")

    def call(self, fn: str, t: Token) -> V:
        p = self.p
        derivative = p.at(OP, "'")
        if derivative:
            p.take()
        if fn in ("sum", "min", "max") and p.at(OP, "(") and not derivative:
            from hwcheck.formula.readers.sums import reducer
            return reducer(p, fn, t)
        if fn in ("sum", "max", "min", "argmax") and p.at(OP, "_") and not derivative:
            from hwcheck.formula.readers.sums import latex_sum   # `\arg\max_{a=1}^{n} x_a`
            return latex_sum(p, t, fn)
        if p.at(OP, "("):
            start = p.take()
            args = self.index_list(")") if not p.at(OP, ")") else \
                p.fail(f"{fn}() needs an argument", start)
        elif p.latex or t.kind == CMD:
            args = [p.power()]
        else:
            p.fail(f"{t.text} is a function; call it as {t.text}(…)", t)
        if derivative:
            return self.derivative(fn, t, args)
        text = ", ".join(a.text for a in args)
        rank = max(a.rank for a in args)
        if fn == "diag":
            rank = {1: 2, 2: 1}.get(rank, 0)
        elif fn == "outer":
            rank = 2
        elif fn in ("sum", "argmax"):
            rank = 0
        elif fn in ("rowsum", "colsum"):
            rank = 1
        return self.entry(p.make(f"{fn}({text})", ATOM, rank))

    def entry(self, v: V) -> V:
        """`softmax(z)_i`, `softmax(z)_{i}`, `rowsum(A)[i]`: an entry of a call's result."""
        p = self.p
        if not v.rank or not (p.at(OP, "_") or p.at(OP, "[")):
            return v
        mark = p.take()
        if mark.text == "[" or p.at(OP, "{"):
            if mark.text == "_":
                p.take()
            idx = self.index_list("]" if mark.text == "[" else "}")
        else:
            t = p.take()
            if t.kind not in (NAME, NUM):
                p.fail(f"expected an index after `_`, found {p.describe(t)}", t,
                       hint="write softmax(z)_{i}")
            idx = [self.symbol(t.text) if t.kind == NAME else p.number(t)]
        if self.ctx.indexing == 0:
            idx = [V(f"({i.text}) + 1", ADD) for i in idx]
        body = ", ".join(i.text for i in idx)
        return p.make(f"{v.text}[{body}]", ATOM, max(0, v.rank - len(idx)))

    def derivative(self, fn: str, t: Token, args: list[V]) -> V:
        p = self.p
        form = DERIVATIVES.get(fn)
        if form is None or len(args) != 1:
            p.fail(f"the derivative {t.text}' cannot be read: {fn}' is not one of the known "
                   "derivatives (sigmoid, tanh, exp, log)", t,
                   hint="write the derivative out as an expression")
        if t.text != fn:
            p.note(f"read {t.text}' as the derivative of {fn}")
        a = args[0]
        return p.make(form.format(a=a.text), MUL if "*" in form or "/" in form else ATOM,
                      a.rank)
