"""Sums (and min/max) over index ranges, with masks for ranges and `if` conditions.

Each sum variable is a new broadcast axis over the widest range its ends allow. When an end
depends on another variable, or an `if` filters, a boolean mask marks the elements that
count; the evaluator consults it so that masked-out reads are neither checked nor counted.
"""

from __future__ import annotations

import ast

import numpy as np

from hwcheck.formula.limits import MAX_INT
from hwcheck.formula.values import (WHOLE, Value, budget, check_same_dims, combine, describe,
                                    expand, union)

CMP = {ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater,
        ast.GtE: np.greater_equal, ast.Eq: np.equal, ast.NotEq: np.not_equal}


class Sums:
    """Mixin for the evaluator (sums, and the comparisons of an indicator): needs ``expr``,
    ``axis``, ``fail``, ``text``, ``label``, ``f``, ``env``,
    ``outputs``, ``order``, ``extent``, ``open``, ``close`` and ``mask``."""

    def reduce(self, node: ast.Call, kind: str) -> Value:
        gen = node.args[0]
        opened: list[str] = []
        outer_mask = self.mask
        inner: Value | None = None  # the part of the mask this sum adds
        try:
            for comp in gen.generators:
                var = comp.target.id
                what = "an index variable" if var in self.outputs else "a symbol"
                if var in self.outputs or var in self.env:
                    raise self.fail(comp.target, f"sum variable '{var}' shadows {what}",
                                    hint="choose another letter for the sum variable")
                lo_v, hi_v = (self.expr(end) for end in comp.iter.args)
                lo = self.bound(comp.iter.args[0], lo_v, lowest=True)
                hi = self.bound(comp.iter.args[1], hi_v, lowest=False)
                extent = max(0, hi - lo + 1) if lo is not None and hi is not None else 0
                budget([*self.extent.values(), extent], f"`for {var} in ...`")
                self.open(var, lo or 0, extent)
                opened.append(var)
                if lo_v.axes or hi_v.axes:
                    v = self.axis(var)
                    ok = combine(self.order, (v, lo_v, hi_v),
                                 lambda x, a, b: (x >= a) & (x <= b), "a range")
                    inner = self.conjoin(inner, ok)
                for cond in comp.ifs:
                    inner = self.conjoin(inner, self.condition(cond))
            body = self.expr(gen.elt)
            return self.total(node, kind, body, opened, inner)
        finally:
            self.mask = outer_mask
            for var in reversed(opened):
                self.close(var)

    def conjoin(self, inner: Value | None, part: Value) -> Value:
        inner = part if inner is None else combine(self.order, (inner, part), np.logical_and,
                                                   "a condition")
        self.mask = inner if self.mask is None else combine(
            self.order, (self.mask, part), np.logical_and, "a condition")
        return inner

    def bound(self, node: ast.AST, v: Value, lowest: bool) -> int | None:
        """The smallest (or largest) value of a range end where the sum counts."""
        if v.dims:
            raise self.fail(node, f"a range end must be a number, but {self.text(node)} is "
                                  f"{describe(v.dims)}")
        if 0 in self.extent.values():
            return None  # inside an empty range nothing is computed, so nothing is checked
        data = v.data
        if v.axes and self.mask is not None:
            mask = combine(self.order, (Value(np.ones(data.shape, bool), v.axes), self.mask),
                           np.logical_and, "a range")
            data = np.broadcast_to(expand(v, mask.axes), mask.data.shape)[mask.data]
        if data.size == 0:
            return None  # no element counts, so the range is empty
        if not np.all(np.abs(data - np.rint(data)) <= WHOLE):
            raise self.fail(node, f"range end {self.text(node)} is not a whole number",
                            hint="a range end must be a whole number: round it with "
                                 "ceil(…) or floor(…) where that is what you mean")
        value = float(np.min(data) if lowest else np.max(data))
        if abs(value) > MAX_INT:
            raise self.fail(node, f"range end {self.text(node)} is too large")
        return int(round(value))

    def condition(self, node: ast.AST) -> Value:
        if isinstance(node, ast.BoolOp):
            fn = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            parts = [self.condition(v) for v in node.values]
            return combine(self.order, parts, lambda *xs: fold(fn, xs), "a condition")
        if isinstance(node, ast.UnaryOp):
            v = self.condition(node.operand)
            return Value(~v.data, v.axes)
        parts = [self.expr(p) for p in (node.left, *node.comparators)]
        for p, v in zip((node.left, *node.comparators), parts):
            if v.dims:
                raise self.fail(p, f"a condition compares numbers, but {self.text(p)} is "
                                   f"{describe(v.dims)}", hint="index the array")
        result: Value | None = None
        for op, a, b in zip(node.ops, parts, parts[1:]):
            c = combine(self.order, (a, b), CMP[type(op)], "a condition")
            result = c if result is None else combine(self.order, (result, c), np.logical_and,
                                                      "a condition")
        return result

    def truth(self, node: ast.AST) -> Value:
        """A comparison (or and/or/not of them) as booleans; whole arrays compare
        elementwise, as `[z > 0]` for the mask of a vector z."""
        if isinstance(node, ast.BoolOp):
            fn = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            parts = [self.truth(v) for v in node.values]
            for a, v in zip(parts[1:], node.values[1:]):
                check_same_dims(parts[0], a, "and/or", self.label(node.values[0]),
                                self.label(v))
            return combine(self.order, parts, lambda *xs: fold(fn, xs), "a condition")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            v = self.truth(node.operand)
            return Value(~v.data, v.axes)
        if not isinstance(node, ast.Compare):
            raise self.fail(node, "an indicator [..] holds a comparison, e.g. [z[i] > 0]")
        sides = (node.left, *node.comparators)
        parts = [self.expr(p) for p in sides]
        result: Value | None = None
        for op, a, b, ta, tb in zip(node.ops, parts, parts[1:], sides, sides[1:]):
            check_same_dims(a, b, "comparison", self.label(ta), self.label(tb))
            c = combine(self.order, (a, b), CMP[type(op)], "a comparison")
            result = c if result is None else combine(self.order, (result, c), np.logical_and,
                                                      "a comparison")
        return result

    def total(self, node: ast.Call, kind: str, body: Value, opened: list[str],
              inner: Value | None) -> Value:
        if body.dims and kind != "sum":
            raise self.fail(node, f"{kind}(... for ...) needs numbers, but the body is "
                                  f"{describe(body.dims)}")
        parts = (body, *(self.axis(v) for v in opened),
                 *(() if inner is None else (inner,)))
        axes = union(self.order, *parts)
        ndims = len(body.dims)
        shape = [self.extent[a] for a in axes] + list(body.dims)
        budget(shape, self.label(node, 40))
        data = np.broadcast_to(expand(body, axes, ndims), shape)
        fill = {"sum": 0.0, "max": -np.inf, "min": np.inf, "argmax": -np.inf}[kind]
        if inner is not None:
            data = np.where(expand(inner, axes, ndims), data, fill)
        where = tuple(i for i, a in enumerate(axes) if a in opened)
        if kind == "argmax":
            return self.argmax_over(node, data, axes, opened)
        if kind == "sum":
            out = data.sum(axis=where)
        else:
            out = (np.max if kind == "max" else np.min)(data, axis=where, initial=fill)
        return Value(np.asarray(out, dtype=np.float64),
                     tuple(a for a in axes if a not in opened))

    def argmax_over(self, node: ast.Call, data: np.ndarray, axes: tuple,
                    opened: list[str]) -> Value:
        """The value of the one sum variable where the body is largest (the first such,
        as torch's max-pool picks); NaN where no element counts, so nothing matches it."""
        if len(opened) != 1:
            raise self.fail(node, "argmax(... for ...) takes exactly one variable",
                            hint="e.g. argmax(x[a] for a in 1..n)")
        var = opened[0]
        at = axes.index(var)
        rest = tuple(a for a in axes if a != var)
        if data.shape[at] == 0:
            return Value(np.full(tuple(self.extent[a] for a in rest), np.nan), rest)
        best = np.argmax(data, axis=at).astype(np.float64) + self.start[var]
        empty = np.all(data == -np.inf, axis=at)
        return Value(np.where(empty, np.nan, best), rest)


def fold(fn, xs):
    """Apply a binary ``fn`` across ``xs`` from the left."""
    out = xs[0]
    for x in xs[1:]:
        out = fn(out, x)
    return out
