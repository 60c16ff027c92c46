"""The expression grammar shared by the LaTeX, Unicode and everyday readers.

A recursive-descent parser over ``lexer`` tokens that writes canonical notation directly:
each rule returns the canonical text with its precedence and rank (0 scalar, 1 vector, 2
matrix), so a product can be decided as elementwise or matrix from what its sides are.
Names and subscripts are resolved in ``names``, functions in ``functions``. Recursion is capped at
``MAX_DEPTH`` and the output at ``MAX_OUTPUT`` characters, so no input costs more than a
bounded amount of work; the result still goes through the canonical parser and its limits.
"""

from __future__ import annotations

from hwcheck.errors import FormulaError
from hwcheck.formula.limits import MAX_DEPTH
from hwcheck.formula.readers.context import Context
from hwcheck.formula.readers.lexer import CMD, END, NAME, NUM, OP, Token
from hwcheck.formula.readers.refusals import REFUSED_CMDS, refuse_command, trailing
from hwcheck.formula.readers import masks
from hwcheck.formula.readers.tables import (ADD, ATOM, ATOM_CMDS, DOT_LIKE, ELEMENTWISE,
                                            MAX_OUTPUT, MUL, NEG, V, wrap)

class Parser:
    def __init__(self, tokens: list[Token], ctx: Context, latex: bool) -> None:
        self.toks = tokens
        self.i = 0
        self.ctx = ctx
        self.latex = latex
        self.notes: list[str] = []
        self.bound: list[str] = []
        self.depth = 0
        from hwcheck.formula.readers.names import Names  # it builds on this module's V
        self.names = Names(self)

    # --- plumbing -------------------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def at(self, kind: str, text: str | None = None, k: int = 0) -> bool:
        t = self.peek(k) if k else self.tok
        return t.kind == kind and (text is None or t.text == text)

    def take(self) -> Token:
        t = self.tok
        if t.kind != END:
            self.i += 1
        return t

    def expect(self, text: str, what: str) -> Token:
        if not self.at(OP, text):
            self.fail(f"expected `{text}` {what}, found {self.describe(self.tok)}",
                      hint=f"add the missing `{text}`")
        return self.take()

    def describe(self, t: Token) -> str:
        if t.kind == END:
            return "the end of the formula"
        return f"`\\{t.text}`" if t.kind == CMD else f"`{t.text}`"

    def fail(self, message: str, tok: Token | None = None, hint: str | None = None):
        t = tok or self.tok
        raise FormulaError(message, col=t.pos + 1, hint=hint)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"the formula is nested more than {MAX_DEPTH} levels deep; the limit is "
                      f"{MAX_DEPTH}", hint="simplify it")

    def make(self, text: str, prec: int, rank: int, **kw) -> V:
        if len(text) > MAX_OUTPUT:
            self.fail(f"the formula grows beyond {MAX_OUTPUT} characters when read",
                      hint="split it into simpler parts")
        return V(text, prec, rank, **kw)

    # --- grammar --------------------------------------------------------------------------

    def formula(self) -> V:
        v = self.expr()
        if not self.at(END):
            trailing(self)
        return v

    def expr(self) -> V:
        self.enter()
        v = self.term()
        while self.at(OP, "+") or self.at(OP, "-"):
            op = self.take().text
            w = self.term()
            v = self.make(f"{wrap(v, ADD)} {op} {wrap(w, ADD + 1)}", ADD, max(v.rank, w.rank))
        self.depth -= 1
        return v

    def term(self) -> V:
        v = self.unary()
        while True:
            t = self.tok
            if t.kind == OP and t.text in ("*", ".*", "/", "@") or \
                    t.kind == CMD and t.text in ELEMENTWISE | DOT_LIKE | {"div"}:
                self.take()
                w = self.unary()
                op = t.text
                if op in ELEMENTWISE:
                    v = self.product(v, w, "*")
                elif op in DOT_LIKE:
                    v = self.product(v, w, "dot")
                elif op in ("/", "div"):
                    v = self.make(f"{wrap(v, MUL)} / {wrap(w, MUL + 1)}", MUL,
                                  max(v.rank, w.rank))
                else:
                    v = self.product(v, w, "@")
            elif self.starts_atom():
                v = self.product(v, self.unary(implicit=True), "dot")
            else:
                return v

    def product(self, a: V, b: V, how: str) -> V:
        if how == "dot" and a.rank == 2 and b.rank >= 1:
            how = "@"
        elif how == "dot" and a.rank == 1 and b.rank == 2:
            self.note(f"read the vector {a.text} written before the matrix {b.text} as "
                      f"diag({a.text}) @ {b.text}, which scales the rows of {b.text}; write "
                      "the product with @ to mean another one")
            return self.make(f"diag({a.text}) @ {wrap(b, MUL + 1)}", MUL, 2)
        if how == "@":
            rank = max(0, a.rank + b.rank - 2) if a.rank and b.rank else max(a.rank, b.rank)
            return self.make(f"{wrap(a, MUL)} @ {wrap(b, MUL + 1)}", MUL, rank)
        return self.make(f"{wrap(a, MUL)} * {wrap(b, MUL + 1)}", MUL, max(a.rank, b.rank))

    def starts_atom(self) -> bool:
        t = self.tok
        if t.kind == NUM:
            return True
        if t.kind == NAME:
            return t.text not in ("for", "in", "if", "and", "or", "not", "where")
        if t.kind == OP:
            return t.text in ("(", "[") or (t.text == "{" and self.latex) or \
                (t.text == "|" and self.latex)
        if t.kind == CMD:
            return t.text in ATOM_CMDS or t.text in REFUSED_CMDS or self.names.is_name_cmd(t)
        return False

    def unary(self, implicit: bool = False) -> V:
        if self.at(OP, "-") or self.at(OP, "+"):
            op = self.take().text
            self.enter()
            v = self.unary()
            self.depth -= 1
            return v if op == "+" else self.make(f"-{wrap(v, NEG)}", NEG, v.rank)
        return self.power()

    def power(self) -> V:
        v = self.names.postfix(self.atom())
        while self.at(OP, "^") or self.at(OP, "**"):  # `Wᵀᵀ`, `{W^h}^T`
            v = self.names.superscript(v, self.take())
        return v

    def exponent(self, tok: Token) -> V:
        """The right side of `^` or `**`: a braced group, a bracketed one, or one signed
        factor (`x^2y` is x²·y, `x**-1` is 1/x)."""
        if tok.text == "^" and self.at(OP, "{"):
            return self.group("{", "}")
        self.enter()
        if self.at(OP, "-") or self.at(OP, "+"):
            op = self.take().text
            v = self.exponent(Token(OP, "**", tok.pos))
            v = v if op == "+" else self.make(f"-{wrap(v, NEG)}", NEG, v.rank)
        else:
            v = self.power()
        self.depth -= 1
        return v

    def group(self, open_: str, close: str) -> V:
        start = self.expect(open_, "to open a group")
        self.enter()
        if self.at(OP, close):
            self.fail(f"empty brackets `{open_}{close}`", start, hint="put an expression inside")
        v = self.expr()
        if masks.at_compare(self):  # `[z_i > 0]` is an indicator, `(z_i > 0)` 0 or 1 too
            text, rank = masks.comparison(self, v)
            self.expect(close, "to close the condition")
            self.depth -= 1
            mark = "[]" if open_ == "[" else "()"
            return self.make(f"{mark[0]}{text}{mark[1]}", ATOM, rank)
        if not self.at(OP, close):
            if self.at(END):
                self.fail(f"`{open_}` is never closed", start,
                          hint=f"add `{close}`")
            trailing(self) if not self.at(OP, ",") else self.fail(
                "a comma inside brackets that are not an index", hint="index with x[i, j]")
        self.take()
        self.depth -= 1
        return V(v.text, v.prec, v.rank, v.name, v.gen)

    def atom(self) -> V:
        t = self.tok
        if t.kind == NUM:
            return self.number(self.take())
        if t.kind == OP and t.text == "(":
            return self.group("(", ")")
        if t.kind == OP and t.text == "{":
            return self.group("{", "}")
        if t.kind == OP and t.text == "[":  # `1/4 [g_{…}]`: brackets that do not index
            return self.group("[", "]")
        if t.kind == OP and t.text == "|":
            self.take()
            self.enter()
            v = self.expr()
            self.expect("|", "to close an absolute value |…|")
            self.depth -= 1
            return self.make(f"abs({v.text})", ATOM, v.rank)
        if t.kind == NAME:
            return self.names.name(self.take())
        if t.kind == CMD:
            return self.command(t)
        if t.kind == END:
            self.fail("the formula ends where a value is expected",
                      hint="finish the expression, e.g. `1 - s[d, e]`")
        self.fail(f"{self.describe(t)} where a value is expected",
                  hint="check for a doubled operator or a missing operand")

    def number(self, t: Token) -> V:
        return self.make(t.text, ATOM, 0)

    def command(self, t: Token) -> V:
        name = t.text
        if name in REFUSED_CMDS:
            refuse_command(self, t)
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            self.take()
            a, b = self.latex_arg(), self.latex_arg()
            return self.make(f"{wrap(a, MUL)} / {wrap(b, MUL + 1)}", MUL, max(a.rank, b.rank))
        if name == "sqrt":
            self.take()
            if self.at(OP, "["):
                self.fail("a root with an index `\\sqrt[n]{…}` is not supported",
                          hint="write x**(1/n)")
            a = self.latex_arg()
            return self.make(f"sqrt({a.text})", ATOM, a.rank)
        if name in ("lceil", "lfloor"):
            self.take()
            self.enter()
            v = self.expr()
            close = "rceil" if name == "lceil" else "rfloor"
            if not self.at(CMD, close):
                self.fail(f"`\\{name}` is not closed by `\\{close}`", t,
                          hint=f"write \\{name} … \\{close}")
            self.take()
            self.depth -= 1
            return self.make(f"{name[1:]}({v.text})", ATOM, v.rank)
        if name == "sum":
            from hwcheck.formula.readers.sums import latex_sum  # it builds on this module
            return latex_sum(self, self.take())
        if name == "indicator":
            return masks.indicator(self, t)
        if name == "pi":
            self.take()
            return self.make("3.141592653589793", ATOM, 0)
        return self.names.command_name(t)

    def latex_arg(self) -> V:
        """A LaTeX argument: `{…}`, or one character, as in `\\frac14` or `\\frac ab`."""
        if self.at(OP, "{"):
            return self.group("{", "}")
        t = self.tok
        if t.kind in (NUM, NAME) and len(t.text) > 1:
            first = Token(t.kind, t.text[0], t.pos)
            rest = Token(t.kind, t.text[1:], t.pos + 1)
            if t.kind == NUM and not rest.text[0].isdigit():  # `\frac1.5`
                self.fail(f"`{t.text}` after a LaTeX command is ambiguous", t,
                          hint="write \\frac{a}{b} with braces")
            self.toks[self.i:self.i + 1] = [first, rest]
        if self.at(CMD):
            self.enter()  # `\frac\frac\frac…` nests without brackets
            v = self.command(self.tok)
            self.depth -= 1
            return v
        if self.at(NUM):
            return self.number(self.take())
        if self.at(NAME):
            return self.names.name(self.take())
        self.fail(f"expected an argument in braces, found {self.describe(self.tok)}",
                  hint="write \\frac{a}{b}")
