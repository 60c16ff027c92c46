"""The whitelist: every node of a parsed formula is checked here before anything runs."""

from __future__ import annotations

import ast
import difflib
from typing import TYPE_CHECKING

import numpy as np

from hwcheck.errors import FormulaError
from hwcheck.formula.limits import MAX_EXPONENT, MAX_INT

if TYPE_CHECKING:
    from hwcheck.formula.syntax import Formula

# name → (fewest, most) positional arguments; None = no upper bound.
ARITY: dict[str, tuple[int, int | None]] = {
    **{f: (1, 1) for f in ("exp", "log", "ln", "sqrt", "abs", "sigmoid", "relu", "tanh",
                           "floor", "ceil", "diag", "T", "step", "softmax", "rowsum",
                           "colsum", "argmax")},
    "min": (1, None), "max": (1, None), "sum": (1, 1), "outer": (2, 2),
}
FUNCTIONS: frozenset[str] = frozenset(ARITY)
REDUCERS = ("sum", "min", "max", "argmax")  # the calls that may take `EXPR for i in A..B`
RANGE = "__range__"               # what notation.rewrite makes of `A..B`

HINT = ("formulas use numbers, names, + - * / ** @, indexing s[d, e], functions, sum(...) "
        "and indicators [a > b]")


_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
           ast.MatMult: "@"}
_REFUSED_BINOPS = {
    ast.BitXor: ("`^` is not allowed", "write powers with `**`, e.g. x**2"),
    ast.Mod: ("`%` is not allowed", None),
    ast.FloorDiv: ("`//` is not allowed", "use floor(a/b)"),
    ast.BitAnd: ("`&` is not allowed", None), ast.BitOr: ("`|` is not allowed", None),
    ast.LShift: ("`<<` is not allowed", None), ast.RShift: ("`>>` is not allowed", None),
}
_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_REFUSED_NODES = {
    ast.Lambda: "lambda is not allowed",
    ast.List: "list literals [..] are not allowed; brackets hold one comparison, as in "
              "the indicator [z[i] > 0]",
    ast.Tuple: "tuples (a, b) are not allowed here",
    ast.Set: "set literals {..} are not allowed",
    ast.Dict: "dict literals {..} are not allowed",
    ast.ListComp: "list comprehensions are not allowed",
    ast.SetComp: "set comprehensions are not allowed",
    ast.DictComp: "dict comprehensions are not allowed",
    ast.GeneratorExp: "`EXPR for VAR in ...` is only allowed inside sum(...), min(...), max(...)",
    ast.Starred: "starred arguments (*x) are not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.IfExp: "conditional expressions (a if c else b) are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Slice: "slices like x[1:3] are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}


class Checker:
    """Walks the tree once: refuses what is outside the whitelist, collects free names."""

    def __init__(self, f: Formula, names: set[str]) -> None:
        self.f = f
        self.names = names

    def fail(self, node: ast.AST, message: str, hint: str | None = None) -> None:
        raise FormulaError(message, col=self.f.col(node), hint=hint)

    def expr(self, node: ast.AST, bound: frozenset[str]) -> None:
        if isinstance(node, ast.Constant):
            self.constant(node)
        elif isinstance(node, ast.Name):
            if node.id == RANGE:
                self.fail(node, "a range A..B may only follow `for VAR in` inside sum(...)")
            if node.id not in bound:
                self.names.add(node.id)
        elif isinstance(node, ast.BinOp):
            self.binop(node, bound)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.UAdd, ast.USub)):
                op = "not" if isinstance(node.op, ast.Not) else "~"
                self.fail(node, f"`{op}` is not allowed here",
                          hint="`not`, `and`, `or` belong in a sum's `if` condition")
            self.expr(node.operand, bound)
        elif isinstance(node, ast.Subscript):
            self.subscript(node, bound)
        elif isinstance(node, ast.Call):
            self.call(node, bound)
        elif isinstance(node, ast.Attribute):
            self.attribute(node)
        elif isinstance(node, ast.Compare):
            self.condition(node, bound)  # a comparison is 1 where it holds and 0 elsewhere
        elif isinstance(node, ast.List) and len(node.elts) == 1:
            self.condition(node.elts[0], bound)  # an Iverson bracket [cond]
        elif isinstance(node, ast.BoolOp):
            self.fail(node, "`and`/`or` are only allowed in an indicator [..] or a sum's `if`",
                      hint="e.g. [x[i] > 0 and x[i] < 1]")
        else:
            message = _REFUSED_NODES.get(type(node), f"`{type(node).__name__}` is not allowed")
            hint = {ast.Slice: "use an index variable, e.g. sum(x[i] for i in 1..3)",
                    ast.IfExp: "use a sum's `if`, or max/min"}.get(type(node), HINT)
            self.fail(node, message, hint)

    def constant(self, node: ast.Constant) -> None:
        v = node.value
        if isinstance(v, (str, bytes)):
            self.fail(node, "strings are not allowed", hint=HINT)
        if isinstance(v, bool) or v is None or v is Ellipsis:
            self.fail(node, f"`{v!r}` is not a number", hint=HINT)
        if isinstance(v, complex):
            self.fail(node, "complex numbers are not allowed")
        if isinstance(v, int) and abs(v) > MAX_INT:
            self.fail(node, f"the number {self.f.segment(node)[:30]} is too large; "
                      f"the limit is {MAX_INT:.0e}")
        if isinstance(v, float) and not np.isfinite(v):
            self.fail(node, f"the number {self.f.segment(node)[:30]} is too large")

    def binop(self, node: ast.BinOp, bound: frozenset[str]) -> None:
        refused = _REFUSED_BINOPS.get(type(node.op))
        if refused:
            self.fail(node, refused[0], hint=refused[1] or HINT)
        self.expr(node.left, bound)
        self.expr(node.right, bound)
        if isinstance(node.op, ast.Pow):
            b = _fold(node.right)
            if b is not None and not abs(b) <= MAX_EXPONENT:
                self.fail(node, f"exponent {self.f.segment(node.right)[:30]} is too large; "
                          f"the limit is {MAX_EXPONENT}")

    def subscript(self, node: ast.Subscript, bound: frozenset[str]) -> None:
        self.expr(node.value, bound)
        idx = node.slice
        parts = idx.elts if isinstance(idx, ast.Tuple) else [idx]
        if not parts:
            self.fail(node, "an index needs at least one position, e.g. x[1]")
        for part in parts:
            self.expr(part, bound)

    def attribute(self, node: ast.Attribute) -> None:
        base = self.f.segment(node.value)
        if node.attr == "T":
            self.fail(node, f"attribute access `{base}.T` is not allowed",
                      hint=f"write T({base}) to transpose")
        self.fail(node, f"attribute access `.{node.attr}` is not allowed", hint=HINT)

    def call(self, node: ast.Call, bound: frozenset[str]) -> None:
        if not isinstance(node.func, ast.Name):
            self.fail(node, "only named functions can be called, e.g. exp(x)",
                      hint="write a product with `*`")
        name = node.func.id
        if node.keywords:
            self.fail(node.keywords[0], f"keyword arguments are not allowed in {name}(...)",
                      hint="pass arguments by position")
        if name == RANGE:
            self.fail(node, "a range A..B may only follow `for VAR in` inside sum(...)")
        if name not in ARITY:
            close = difflib.get_close_matches(name.lower(), sorted(FUNCTIONS), n=1, cutoff=0.6)
            guess = f"; did you mean '{close[0]}'?" if close and len(name) > 2 else ""
            # `n(n+1)` is usually a product written as in a textbook, not a call.
            hint = f"for a product write {name}*(...)" if len(name) <= 2 or not close else \
                "functions: " + ", ".join(sorted(FUNCTIONS))
            self.fail(node, f"unknown function '{name}'{guess}", hint=hint)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.fail(arg, "starred arguments (*x) are not allowed")
        if len(node.args) == 1 and isinstance(node.args[0], ast.GeneratorExp) \
                and name in REDUCERS:
            self.generator(node.args[0], bound)
            return
        lo, hi = ARITY[name]
        if name in ("min", "max"):
            lo = 2
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}"
            extra = " (or one `EXPR for i in A..B`)" if name in ("min", "max") else ""
            self.fail(node, f"{name} takes {want} argument{'s' * (want != '1')}{extra}, "
                            f"{n} given")
        for arg in node.args:
            self.expr(arg, bound)

    def generator(self, gen: ast.GeneratorExp, bound: frozenset[str]) -> None:
        for comp in gen.generators:
            if comp.is_async:
                self.fail(comp.target, "async comprehensions are not allowed")
            if not isinstance(comp.target, ast.Name):
                self.fail(comp.target, "a sum variable must be a single name, e.g. `for i in 1..n`")
            var = comp.target.id
            it = comp.iter
            if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name)
                    and it.func.id == RANGE):
                self.fail(it, f"`for {var} in` must be followed by a range A..B, e.g. 1..n")
            if len(it.args) != 2 or it.keywords:
                self.fail(it, "a range must have exactly two ends, A..B")
            for end in it.args:
                self.expr(end, bound)
            if var in bound:
                self.fail(comp.target, f"sum variable '{var}' is already in use",
                          hint="give each nested sum its own variable")
            bound = bound | {var}
            for cond in comp.ifs:
                self.condition(cond, bound)
        self.expr(gen.elt, bound)

    def condition(self, node: ast.AST, bound: frozenset[str]) -> None:
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self.condition(value, bound)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.condition(node.operand, bound)
        elif isinstance(node, ast.Compare):
            for op in node.ops:
                if not isinstance(op, _COMPARE):
                    self.fail(node, "only < <= > >= == != may compare in a condition")
            for part in (node.left, *node.comparators):
                self.expr(part, bound)
        else:
            self.fail(node, "a condition needs a comparison, e.g. `if i != j` or [z[i] > 0]")


def _fold(node: ast.AST) -> float | None:
    """The value of a constant subexpression (float64, never Python ints), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        v = _fold(node.operand)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS and \
            not isinstance(node.op, ast.MatMult):
        a, b = _fold(node.left), _fold(node.right)
        if a is None or b is None:
            return None
        with np.errstate(all="ignore"):
            x, y = np.float64(a), np.float64(b)
            op = type(node.op)
            r = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
                 ast.Div: np.true_divide, ast.Pow: np.power}[op](x, y)
        return float(r)
    return None
