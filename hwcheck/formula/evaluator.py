"""Vectorised evaluation of a parsed formula.

Every index variable (output index or sum variable) is one broadcast axis, so a whole
formula runs as a handful of numpy operations however many indices it has. A sum whose
range or `if` depends on other variables keeps a boolean mask over the largest extent:
masked-out elements are never reported as out of range and add nothing to the sum.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Mapping, Sequence

import numpy as np

from hwcheck.errors import FormulaError
from hwcheck.formula.limits import MAX_EXPONENT
from hwcheck.formula.syntax import FUNCTIONS, Formula, parse
from hwcheck.formula.subscripts import Subscripts
from hwcheck.formula.sums import Sums, fold
from hwcheck.formula.values import (UNARY, WORK, Value, argmax, check_same_dims, combine, diag,
                                    expand, line_sum, matmul, outer, softmax, transpose)

_ARITH = {ast.Add: ("+", np.add), ast.Sub: ("-", np.subtract), ast.Mult: ("*", np.multiply),
          ast.Div: ("/", np.true_divide), ast.Pow: ("**", np.power)}


def evaluate(f: Formula | str, env: Mapping[str, object], *,
             index: Sequence[tuple[str, int]] = (),
             shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Evaluate ``f`` on ``env``; see the package docstring for the shape rules."""
    if isinstance(f, str):
        f = parse(f)
    index = [(str(name), int(ext)) for name, ext in index]
    names = [name for name, _ in index]
    if len(set(names)) != len(names) or any(ext < 0 for _, ext in index):
        raise ValueError(f"index variables must be distinct with extents >= 0: {index}")
    token = WORK.set(0)
    try:
        with np.errstate(all="ignore"):
            value = _Evaluator(f, env, index).expr(f.tree.body)
            return _result(f, value, index, None if shape is None else tuple(shape))
    finally:
        WORK.reset(token)


def _result(f: Formula, v: Value, index: list[tuple[str, int]],
            shape: tuple[int, ...] | None) -> np.ndarray:
    names = tuple(name for name, _ in index)
    extents = tuple(ext for _, ext in index)
    if v.dims and v.axes:
        raise FormulaError(f"the formula mixes index variables ({', '.join(v.axes)}) with a "
                           f"whole array of shape {v.dims}",
                           hint="index every array, e.g. Wh[a, b], or write it array-level")
    if v.dims:
        want = shape if shape is not None else (extents if index else v.dims)
        if v.dims != want:
            raise FormulaError(f"the formula gives shape {v.dims} but {want} is expected",
                               hint="check for a missing T(...) or a wrong array")
        return np.array(v.data, dtype=np.float64)  # a copy: never hand out the caller's array
    out = np.broadcast_to(expand(v, names), extents)
    if shape is not None and shape != extents:
        if index:
            raise FormulaError(f"the formula is indexed by {', '.join(names)} with extents "
                               f"{extents} but shape {shape} is expected")
        out = np.broadcast_to(out, shape)
    return np.array(out, dtype=np.float64)


class _Text:
    """A node's original text, computed only when an error message is formatted."""

    __slots__ = ("f", "node", "limit")

    def __init__(self, f: Formula, node: ast.AST, limit: int = 0) -> None:
        self.f, self.node, self.limit = f, node, limit

    def __str__(self) -> str:
        text = self.f.segment(self.node)
        return text if not self.limit or len(text) <= self.limit else text[:self.limit] + "..."

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class _Evaluator(Sums, Subscripts):
    def __init__(self, f: Formula, env: Mapping[str, object],
                 index: list[tuple[str, int]]) -> None:
        self.f = f
        self.env = env
        self.outputs = {name for name, _ in index}
        self.order: dict[str, int] = {}
        self.start: dict[str, int] = {}
        self.extent: dict[str, int] = {}
        for name, ext in index:
            self.open(name, 1, ext)
        self.mask: Value | None = None  # where the current sum body counts
        self.cache: dict[str, Value] = {}

    def open(self, name: str, start: int, extent: int) -> None:
        self.order[name] = len(self.order)
        self.start[name] = start
        self.extent[name] = extent

    def close(self, name: str) -> None:
        del self.order[name], self.start[name], self.extent[name]

    def fail(self, node: ast.AST, message: str, hint: str | None = None) -> FormulaError:
        return FormulaError(message, col=self.f.col(node), hint=hint)

    def text(self, node: ast.AST) -> str:
        return self.f.segment(node)

    def label(self, node: ast.AST, limit: int = 0) -> _Text:
        return _Text(self.f, node, limit)

    # --- expressions -------------------------------------------------------------------

    def expr(self, node: ast.AST) -> Value:
        try:
            return self._expr(node)
        except FormulaError as e:
            if not e.col:  # the innermost node that failed gives the position
                e.col = self.f.col(node)
            raise

    def _expr(self, node: ast.AST) -> Value:
        if isinstance(node, ast.Constant):
            return Value(np.asarray(float(node.value)), ())
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            v = self.expr(node.operand)
            return Value(-v.data, v.axes) if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, (ast.Compare, ast.List)):
            cond = node.elts[0] if isinstance(node, ast.List) else node
            t = self.truth(cond)
            return Value(t.data.astype(np.float64), t.axes)
        raise self.fail(node, f"`{type(node).__name__}` is not allowed here")  # parse refuses

    def axis(self, name: str) -> Value:
        """An index variable's values along its own axis."""
        start = self.start[name]
        return Value(np.arange(start, start + self.extent[name], dtype=np.float64), (name,))

    def name(self, node: ast.Name) -> Value:
        name = node.id
        if name in self.extent:
            return self.axis(name)
        if name in self.cache:
            return self.cache[name]
        if name not in self.env:
            known = sorted({*self.env, *self.extent})
            lower = {k.lower(): k for k in known}
            close = difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.6)
            hint = "known names: " + (", ".join(known) or "none")
            if name in FUNCTIONS:
                raise self.fail(node, f"{name} is a function; call it as {name}(...)", hint)
            if close:
                raise self.fail(node, f"unknown name '{name}'; did you mean '{lower[close[0]]}'?",
                                hint)
            raise self.fail(node, f"unknown name '{name}'", hint)
        try:
            data = np.asarray(self.env[name], dtype=np.float64)
        except (TypeError, ValueError):
            raise self.fail(node, f"'{name}' is not a number or a numeric array") from None
        value = Value(data, ())
        self.cache[name] = value
        return value

    def binop(self, node: ast.BinOp) -> Value:
        a, b = self.expr(node.left), self.expr(node.right)
        left, right = self.label(node.left), self.label(node.right)
        if isinstance(node.op, ast.MatMult):
            return matmul(self.order, a, b, (left, right))
        symbol, fn = _ARITH[type(node.op)]
        check_same_dims(a, b, symbol, left, right)
        if symbol == "**":
            self.check_exponent(node, b)
        return combine(self.order, (a, b), fn, self.label(node, 40))

    def check_exponent(self, node: ast.BinOp, b: Value) -> None:
        big = np.abs(b.data) > MAX_EXPONENT
        if np.any(big & np.isfinite(b.data)) and self.masked_any(Value(big, b.axes)):
            raise self.fail(node, f"exponent {self.text(node.right)} exceeds {MAX_EXPONENT} in "
                                  f"size; the limit is {MAX_EXPONENT}")

    def masked_any(self, bad: Value) -> bool:
        """Whether ``bad`` (boolean, no array dims) is true anywhere the sum body counts."""
        if 0 in self.extent.values():
            return False  # an empty range is open: no element is ever computed
        if self.mask is None:
            return bool(np.any(bad.data))
        return bool(np.any(combine(self.order, (bad, self.mask), np.logical_and, "a check").data))

    def first_bad(self, bad: Value) -> dict[str, int]:
        """The variable assignment of the first (C-order) element where ``bad`` counts."""
        if self.mask is not None:
            bad = combine(self.order, (bad, self.mask), np.logical_and, "a check")
        hits = np.argwhere(bad.data.reshape(bad.data.shape[:len(bad.axes)]))
        if not len(hits):
            return {}
        coords = hits[0]
        return {a: self.start[a] + int(c) for a, c in zip(bad.axes, coords)}

    # --- calls -------------------------------------------------------------------------

    def call(self, node: ast.Call) -> Value:
        name = node.func.id
        if len(node.args) == 1 and isinstance(node.args[0], ast.GeneratorExp):
            return self.reduce(node, name)
        args = [self.expr(a) for a in node.args]
        texts = [self.label(a) for a in node.args]
        if name in UNARY:
            return Value(UNARY[name](args[0].data), args[0].axes)
        if name in ("min", "max"):
            fn = np.minimum if name == "min" else np.maximum
            for a, t in zip(args[1:], texts[1:]):
                check_same_dims(args[0], a, name, texts[0], t)
            return combine(self.order, args, lambda *xs: fold(fn, xs), f"{name}(...)")
        if name == "sum":  # sum(array): every element of a whole array
            v = args[0]
            return Value(v.data.sum(axis=tuple(range(len(v.axes), v.data.ndim))), v.axes)
        if name == "diag":
            return diag(args[0], texts[0])
        if name == "T":
            return transpose(args[0], texts[0])
        if name == "softmax":
            return softmax(args[0], texts[0])
        if name in ("rowsum", "colsum"):
            return line_sum(args[0], texts[0], rows=name == "rowsum")
        if name == "argmax":
            return argmax(args[0], texts[0])
        if name == "outer":
            return outer(self.order, args[0], args[1], (texts[0], texts[1]))
        raise self.fail(node, f"unknown function '{name}'")  # parse refuses these
