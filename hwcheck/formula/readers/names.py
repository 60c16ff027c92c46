"""Names, subscripts and superscripts: the part of reading that needs the problem's context
(which names are arrays and of what rank, which are indices or sizes). Functions are in
``functions``, sums in ``sums``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hwcheck.formula.check import ARITY
from hwcheck.formula.readers import masks
from hwcheck.formula.readers.functions import FUNCTION_CMDS, UNSUPPORTED, Functions
from hwcheck.formula.readers.lexer import CMD, END, NAME, NUM, OP, Token
from hwcheck.formula.readers.tables import ADD, ATOM, GREEK, NEG, POW, V, wrap

if TYPE_CHECKING:
    from hwcheck.formula.readers.grammar import Parser

PREFIXES = {"np", "numpy", "math", "torch", "F", "scipy", "special", "jnp", "tf", "nn"}
KEYWORDS = {"for", "in", "if", "and", "or", "not", "where"}


class Names(Functions):
    def __init__(self, parser: Parser) -> None:
        self.p = parser
        self.ctx = parser.ctx

    def known(self, name: str) -> bool:
        return name in self.ctx.names or name in self.p.bound

    def rank(self, name: str) -> int:
        return 0 if name in self.p.bound else self.ctx.symbols.get(name, 0)

    def is_name_cmd(self, t: Token) -> bool:
        return t.text in GREEK or t.text in FUNCTION_CMDS

    # --- names ----------------------------------------------------------------------------

    def name(self, t: Token) -> V:
        p, text = self.p, t.text
        if text in PREFIXES and p.at(OP, ".") and p.at(NAME, k=1) and not self.known(text):
            p.take()
            inner = p.take()
            fn = self.function(inner.text)
            if fn is None:
                p.fail(f"`{text}.{inner.text}` is not a formula function", inner,
                       hint="functions: " + ", ".join(sorted(ARITY)))
            return self.call(fn, inner)
        if text in KEYWORDS and not self.known(text):
            p.fail(f"`{text}` cannot stand here", t,
                   hint="a sum reads sum(EXPR for i in 1..n); a domain clause goes at the end")
        if text == "e" and (p.at(OP, "^") or p.at(OP, "**")) and text not in self.ctx.symbols:
            return self.euler(t)
        if text == "T" and p.at(OP, "(") and self.ctx.symbols.get("T", 0) == 0:
            return self.call("T", t)  # T(…) transposes even where T is also a size
        if self.known(text):
            return self.symbol(text)
        fn = self.function(text)
        if fn is not None:
            return self.call(fn, t)
        if text in UNSUPPORTED:
            p.fail(UNSUPPORTED[text], t)
        if text == "e":
            p.note("read e as Euler's number, exp(1)")
            return V("exp(1)", ATOM, 0)
        if text == "pi":
            return V("3.141592653589793", ATOM, 0)
        merged = self.merged(text)
        if merged:
            return self.symbol(merged)
        folded = self.folded(text)
        if folded:
            p.note(f"read {text} as the symbol {folded}")
            return self.symbol(folded)
        parts = self.split(text)
        if parts:
            p.note(f"read {text} as the product {' * '.join(parts)}")
            v = self.symbol(parts[0])
            for part in parts[1:]:
                v = p.product(v, self.symbol(part), "dot")
            return v
        self.unknown(t)

    def unknown(self, t: Token):
        if self.p.at(OP, "(") or self.p.at(OP, "'"):
            self.p.fail(f"`{t.text}(…)` is not a function this problem knows", t,
                        hint="functions: " + ", ".join(sorted(ARITY)) + "; a problem may "
                        "declare others (such as f) under `functions:`")
        symbols = ", ".join(sorted(self.ctx.symbols)) or "none"
        idx = ", ".join(self.ctx.indices)
        hint = f"this problem's symbols: {symbols}" + (f"; index variables: {idx}" if idx else "")
        if self.ctx.sizes:
            hint += "; sizes: " + ", ".join(sorted(self.ctx.sizes))
        self.p.fail(f"unknown name `{t.text}`", t, hint=hint)

    def merged(self, text: str) -> str | None:
        """`W^h`, `W_h`, `W^{h}` for the symbol Wh: the mark is part of the name."""
        p = self.p
        if not (p.at(OP, "_") or p.at(OP, "^")):
            return None
        braced = p.at(OP, "{", k=1)
        t = p.peek(2) if braced else p.peek(1)
        if t.kind not in (NAME, NUM) or braced and not p.at(OP, "}", k=3):
            return None
        for name in (text + t.text, f"{text}_{t.text}"):
            if name in self.ctx.symbols:
                p.i += 4 if braced else 2
                return name
        return None

    def folded(self, text: str) -> str | None:
        for other in (text.lower(), text.upper()):
            if other != text and other in self.ctx.symbols:
                return other
        return None

    def split(self, text: str) -> list[str] | None:
        """`xy` → x, y when both are known names; longer names first, in a fixed order so
        that a reading never depends on hashing; bounded by the length."""
        names = sorted((n for n in self.ctx.names | set(self.p.bound) if n.isalnum()),
                       key=lambda n: (-len(n), n))
        if not names or len(text) > 12:
            return None
        best: dict[int, list[str]] = {0: []}
        for i in range(len(text)):
            if i not in best:
                continue
            for n in names:
                if text.startswith(n, i) and i + len(n) not in best:
                    best[i + len(n)] = best[i] + [n]
        return best.get(len(text))

    def symbol(self, name: str) -> V:
        if name in self.ctx.indices and self.ctx.indexing == 0 and name not in self.p.bound:
            return V(f"{name} - 1", ADD, 0, name=name)
        return V(name, ATOM, self.rank(name), name=name)

    def euler(self, t: Token) -> V:
        p = self.p
        op = p.take()
        x = p.exponent(op)
        if self.known("e"):
            p.note(f"read e^… as Euler's number, exp({x.text}); for the index e to a power "
                   "write (e)**…")
        return p.make(f"exp({x.text})", ATOM, x.rank)

    # --- postfix: subscripts, brackets, calls ---------------------------------------------

    def postfix(self, v: V) -> V:
        p = self.p
        while True:
            if p.at(OP, "_"):
                v = self.subscript(v, p.take())
            elif p.at(OP, "[") and v.name and self.rank(v.name) and not masks.holds_comparison(p):
                v = self.brackets(v)
            elif p.at(OP, "(") and v.name and self.rank(v.name) and self.call_is_index(v):
                start, base = p.take(), v.name
                v = self.index(v, self.index_list(")"), start)
                p.note(f"read {base}(…) as indexing {v.text}")
            elif p.at(OP, "(") and v.name and v.text == v.name and self.rank(v.name) == 2:
                return self.idiom(v)
            elif p.at(OP, "'"):
                p.fail(f"a prime after {v.text} cannot be read", hint="a derivative f'(c) needs "
                       "a function the problem declares; otherwise write the derivative out")
            else:
                return v

    def idiom(self, v: V) -> V:
        """`s(1-s)` with s a matrix: the sigmoid-derivative idiom, elementwise, although
        juxtaposed matrices otherwise multiply as matrices (`diag(…) W^h`)."""
        p = self.p
        w = p.group("(", ")")
        if w.rank != 2:
            return p.product(v, w, "dot")
        p.note(f"read {v.text}({w.text}) as the elementwise product {v.text} * ({w.text}); "
               "write @ for a matrix product")
        return p.product(v, w, "*")

    def brackets(self, v: V) -> V:
        p = self.p
        start = p.take()
        idx = self.index_list("]")
        while p.at(OP, "[") and not masks.holds_comparison(p):  # g[i][j] is g[i, j]
            p.take()
            idx += self.index_list("]")
        return self.index(v, idx, start)

    def call_is_index(self, v: V) -> bool:
        """`g(i, j)` indexes; `h(1-h)` multiplies; `q(x)` indexes when x is an index."""
        p = self.p
        depth, commas, k = 0, 0, p.i
        while p.toks[k].kind != END:
            text = p.toks[k].text if p.toks[k].kind == OP else ""
            if text in ("(", "[", "{"):
                depth += 1
            elif text in (")", "]", "}"):
                depth -= 1
                if depth == 0:
                    break
            elif text == "," and depth == 1:
                commas += 1
            k += 1
        if commas:
            return True
        inner = p.toks[p.i + 1:k]
        return len(inner) == 1 and inner[0].kind == NAME and \
            (inner[0].text in self.ctx.indices or inner[0].text in p.bound)

    def index_list(self, close: str) -> list[V]:
        p = self.p
        out = [p.expr()]
        while p.at(OP, ","):
            p.take()
            out.append(p.expr())
        p.expect(close, "to close the index")
        return out

    def index(self, v: V, idx: list[V], start: Token) -> V:
        p = self.p
        if not v.name or v.text != v.name:
            p.fail(f"only a symbol can be indexed, not {v.text}", start,
                   hint="index the symbol itself, e.g. x[i, j]")
        if self.ctx.indexing == 0:
            idx = [V(str(int(i.text) + 1)) if i.text.isdigit() and len(i.text) < 15
                   else V(f"{i.text} + 1", ADD) for i in idx]
        body = ", ".join(i.text for i in idx)
        return p.make(f"{v.name}[{body}]", ATOM, max(0, self.rank(v.name) - len(idx)))

    def subscript(self, v: V, mark: Token) -> V:
        p = self.p
        braced = p.at(OP, "{")
        single = p.peek(1) if braced else p.tok
        is_single = single.kind in (NAME, NUM) and (not braced or p.at(OP, "}", k=2))
        base = v.name if v.name and v.text in (v.name, f"{v.name} - 1") else None
        if base is None:
            p.fail(f"a subscript after {v.text} cannot be read", mark,
                   hint="subscripts index a symbol, as in g_{i,j}")
        if is_single:
            raw = single.text
            if p.latex and not braced and len(raw) > 1:  # `q_xy` is q_x y in LaTeX
                raw = raw[0]
                p.toks[p.i:p.i + 1] = [Token(single.kind, raw, single.pos),
                                       Token(single.kind, single.text[1:], single.pos + 1)]
            for merged in (base + raw, f"{base}_{raw}"):
                if merged in self.ctx.symbols and not self.known(raw) or \
                        merged in self.ctx.symbols and raw.isdigit():
                    p.i += 3 if braced else 1
                    return self.symbol(merged)
            if single.kind == NAME and not self.known(raw) and self.function(raw) is None \
                    and self.rank(base):
                p.i += 3 if braced else 1
                p.note(f"read {base}_{raw} as {base}: {raw} is not an index here")
                return self.symbol(base)
        if not self.rank(base):
            what = "an index variable" if base in self.ctx.indices or base in p.bound \
                else "a size" if base in self.ctx.sizes else "not an array"
            p.fail(f"`{base}` is {what}, so `{base}_…` cannot index it", mark,
                   hint="subscripts index an array symbol, as in g_{i,j}")
        if braced:
            start = p.take()
            return self.index(v, self.index_list("}"), start)
        t = p.take()
        if t.kind not in (NAME, NUM):
            p.fail(f"expected an index after `_`, found {p.describe(t)}", t,
                   hint="write g_{i,j} with braces")
        arg = self.symbol(t.text) if t.kind == NAME and self.known(t.text) else \
            self.name(t) if t.kind == NAME else p.number(t)
        return self.index(v, [arg], mark)

    def superscript(self, v: V, op: Token) -> V:
        p = self.p
        braced = op.text == "^" and p.at(OP, "{")
        inner = p.peek(1) if braced else p.tok
        closes = not braced or p.at(OP, "}", k=2)
        if op.text == "^" and closes and (inner.kind == NAME and inner.text == "T" or
                                          inner.kind == CMD and inner.text in ("top",
                                                                             "intercal")):
            if v.rank >= 1 or not self.known("T") or inner.kind == CMD:
                if v.rank == 1:   # u vᵀ and uᵀ v mean different things; guessing either is wrong
                    p.fail(f"a transposed vector ({v.text})ᵀ: vectors have no row or column "
                           "orientation here", op, hint="write outer(u, v) for u vᵀ, "
                           "sum(u[i] * v[i] for i in 1..n) for uᵀ v")
                p.i += 3 if braced else 1
                return p.names.postfix(p.make(f"T({v.text})", ATOM, v.rank))
        if op.text == "^" and closes and inner.kind == NAME and v.name and v.text == v.name:
            merged = v.name + inner.text
            if merged in self.ctx.symbols and not self.known(inner.text):
                p.i += 3 if braced else 1
                return self.postfix(self.symbol(merged))
        x = p.exponent(op)
        if v.rank == 2 and x.text in ("-1", "(-1)"):
            p.fail("a matrix inverse W^{-1} is not supported", op)
        return p.make(f"{wrap(v, POW + 1)}**{wrap(x, NEG)}", POW, v.rank)
