"""Indexing in a formula (``x[i+u-1, j+v-1]``): a vectorised gather, with every index
checked to be a whole number inside its dimension, except where a sum's mask leaves it out;
a read outside the array is an ``IndexOutOfRange`` that names the first place it happens."""

from __future__ import annotations

import ast

import numpy as np

from hwcheck.errors import FormulaError
from hwcheck.formula.limits import MAX_INT
from hwcheck.formula.values import WHOLE, Value, budget, expand, union


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


class Subscripts:
    """Mixin for the evaluator (indexing): needs ``expr``, ``fail``, ``text``, ``label``,
    ``f``, ``order``, ``extent``, ``start``, ``masked_any`` and ``first_bad``."""

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
