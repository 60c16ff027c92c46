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
from hwcheck.formula.limits import MAX_EXPONENT, MAX_INT
from hwcheck.formula.syntax import FUNCTIONS, Formula, parse
from hwcheck.formula.sums import Sums, fold
from hwcheck.formula.values import (UNARY, WHOLE, WORK, Value, argmax, budget, check_same_dims,
                                    combine, diag, expand, line_sum, matmul, outer, softmax,
                                    transpose, union)

_ARITH = {ast.Add: ("+", np.add), ast.Sub: ("-", np.subtract), ast.Mult: ("*", np.multiply),
          ast.Div: ("/", np.true_divide), ast.Pow: ("**", np.power)}


class IndexOutOfRange(FormulaError):
    """A formula reads outside an array. Indices and bounds are 1-based, as in the notation."""

    def __init__(self, message: str, *, array: str, expression: str, index: tuple[int, ...],
                 bounds: tuple[int, ...], assignment: dict[str, int], col: int = 0,
                 hint: str | None = None, ranges: tuple = ()) -> None:
        super().__init__(message, col=col, hint=hint)
        self.ranges = ranges   # (lowest, highest) index read along each dimension
        self.array = array
        self.expression = expression
        self.index = index
        self.bounds = bounds
        self.assignment = assignment

    @property
    def off_by_one(self) -> bool:
        """The classic off-by-one: no read goes more than one past an edge (index 0 or
        n + 1), and every dimension read in range is read whole. Swapped indices into an
        n x (n+1) array also land one past an edge, but leave the other dimension short."""
        if not self.ranges:
            return False
        out = [lo < 1 or hi > n for (lo, hi), n in zip(self.ranges, self.bounds)]
        return any(out) and all(
            (lo >= 0 and hi <= n + 1) if o else (lo == 1 and hi == n)
            for o, (lo, hi), n in zip(out, self.ranges, self.bounds))


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


class _Evaluator(Sums):
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

    # --- indexing ----------------------------------------------------------------------

    def subscript(self, node: ast.Subscript) -> Value:
        base = self.expr(node.value)
        array = self.label(node.value)
        if base.axes:
            raise self.fail(node, f"{array} already depends on {', '.join(base.axes)}; "
                                  "only a whole array can be indexed")
        if not base.dims:
            raise self.fail(node, f"{array} is a number, not an array, so it cannot be indexed",
                            hint=f"write {array}*(...) for a product")
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if len(parts) != len(base.dims):
            given = f"{len(parts)} {'index was' if len(parts) == 1 else 'indices were'}"
            raise self.fail(node, f"{array} has {len(base.dims)} dimension"
                                  f"{'s' * (len(base.dims) != 1)} but {given} given",
                            hint=f"{array} has shape {base.dims}")
        values = [self.expr(p) for p in parts]
        for p, v in zip(parts, values):
            if v.dims:
                raise self.fail(p, f"index {self.text(p)} of {array} is a whole array",
                                hint="an index must be a number or an index variable")
        axes = union(self.order, *values)
        lead = [self.extent[a] for a in axes]
        budget(lead, self.label(node, 40))
        fast = self._gather_if_clean(base, values, axes)
        if fast is not None:
            return fast
        idx = [np.broadcast_to(expand(v, axes), lead) for v in values]
        rounded = [np.rint(i) for i in idx]
        invalid = np.zeros(lead, dtype=bool)  # elements to clamp: bad but masked out
        for p, i, r in zip(parts, idx, rounded):
            bad = ~(np.abs(i - r) <= WHOLE)
            invalid |= bad
            if np.any(bad) and self.masked_any(Value(bad, axes)):
                at = self.first_bad(Value(bad, axes))
                where = ", ".join(f"{k}={v}" for k, v in at.items())
                t = self.text(p)
                raise self.fail(p, f"index {t} of {array} is not a whole number"
                                   + (f" (at {where})" if where else ""),
                                hint="an index must be a whole number: round it with "
                                     "ceil(…) or floor(…) where that is what you mean")
        bad = np.zeros(lead, dtype=bool)
        for r, n in zip(rounded, base.dims):
            bad |= (r < 1) | (r > n)
        if np.any(bad):
            bad_value = Value(bad, axes)
            if self.masked_any(bad_value):
                self.out_of_range(node, array, base.dims, rounded, bad_value)
        invalid |= bad
        ints = [np.where(invalid, 0, r - 1).astype(np.intp) for r in rounded]
        return Value(base.data[tuple(ints)], axes)

    @staticmethod
    def _gather_if_clean(base: Value, values: list, axes: tuple) -> Value | None:
        """The common case, checked cheaply: every index is a whole number in range, so
        each index is checked at its own (small) shape and numpy broadcasts the gather.
        Anything else takes the careful path, which knows about masks and messages."""
        ints = []
        for v, n in zip(values, base.dims):
            i = expand(v, axes)
            r = np.rint(i)
            if not (np.all(np.abs(i - r) <= WHOLE) and np.all((r >= 1) & (r <= n))):
                return None
            ints.append((r - 1).astype(np.intp))
        return Value(base.data[tuple(ints)], axes)

    def out_of_range(self, node: ast.Subscript, array: object, dims: tuple[int, ...],
                     rounded: list[np.ndarray], bad: Value) -> None:
        at = self.first_bad(bad)
        pos = tuple(at[a] - self.start[a] for a in bad.axes)
        index = tuple(int(r[pos]) if abs(r[pos]) <= MAX_INT else float(r[pos]) for r in rounded)
        size = "×".join(map(str, dims)) if len(dims) > 1 else f"length {dims[0]}"
        verb = "is" if len(dims) > 1 else "has"
        where = ", ".join(f"{k}={v}" for k, v in at.items())
        expression, array = self.text(node), str(array)
        read = f"{array}[{', '.join(map(str, index))}]"
        reads = f"{expression} reads {read}" if read != expression else f"{expression} is read"
        message = (f"{reads} but {array} {verb} {size}" + (f" (first at {where})" if where else ""))
        ranges = tuple((float(np.min(r)), float(np.max(r))) for r in rounded)
        raise IndexOutOfRange(message, array=array, expression=expression, index=index,
                              bounds=dims, assignment=at, col=self.f.col(node),
                              hint="indices run from 1 to the size of each dimension",
                              ranges=ranges)

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
