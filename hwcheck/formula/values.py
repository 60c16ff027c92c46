"""Values of the evaluator and the numpy operations on them.

A ``Value`` is an array whose leading axes belong to named index variables (output indices
and open sum variables) and whose trailing axes are "array dims", the shape of a whole
array such as ``Wh``. Index axes broadcast by name; array dims must match exactly (only a
plain number combines with a whole array), which is the homework's rule.
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from collections.abc import Callable, Sequence

import numpy as np

from hwcheck.errors import FormulaError
from hwcheck.formula.limits import MAX_ELEMENTS, MAX_WORK
from hwcheck.frozen import frozen

WHOLE = 1e-9  # an index or range end within this of an integer counts as whole (d/2*2 etc.)


@frozen(many=True)   # hundreds made for every formula graded
class Value:
    """An array whose leading axes are named index variables."""

    data: np.ndarray
    axes: tuple[str, ...]  # names of the leading axes, in the evaluator's axis order

    @property
    def dims(self) -> tuple[int, ...]:
        return self.data.shape[len(self.axes):]


def describe(dims: tuple[int, ...]) -> str:
    return "a number" if not dims else str(dims)


WORK: ContextVar[int] = ContextVar("formula_work", default=0)


def budget(shape: Sequence[int], what: object) -> None:
    """Refuse before numpy allocates more than MAX_ELEMENTS values in one array, or more
    than MAX_WORK over the whole evaluation (``evaluate`` resets the count)."""
    size = math.prod(int(s) for s in shape)
    if size > MAX_ELEMENTS:
        raise FormulaError(f"{what} would create {size:,} values; the limit is {MAX_ELEMENTS:,}",
                           hint="use smaller ranges or fewer nested sums")
    work = WORK.get() + size
    WORK.set(work)
    if work > MAX_WORK:
        raise FormulaError(f"the formula needs more than {MAX_WORK:,} values of work",
                           hint="use smaller ranges, fewer nested sums or fewer terms")


def union(order: dict[str, int], *values: Value) -> tuple[str, ...]:
    names = {a for v in values for a in v.axes}
    return tuple(sorted(names, key=order.__getitem__))


def expand(v: Value, axes: tuple[str, ...], ndims: int = 0) -> np.ndarray:
    """``v.data`` viewed over ``axes`` (size 1 where absent), padded to ``ndims`` array dims."""
    shape = [v.data.shape[v.axes.index(a)] if a in v.axes else 1 for a in axes]
    dims = list(v.dims) if v.dims else [1] * ndims
    return v.data.reshape(shape + dims)


def combine(order: dict[str, int], values: Sequence[Value],
            fn: Callable[..., np.ndarray], what: object) -> Value:
    """Elementwise ``fn`` over values whose array dims are equal or absent."""
    dims: tuple[int, ...] = ()
    for v in values:
        if v.dims:
            dims = v.dims
    axes = union(order, *values)
    arrays = [expand(v, axes, len(dims)) for v in values]
    budget(np.broadcast_shapes(*(a.shape for a in arrays)), what)
    return Value(fn(*arrays), axes)


def check_same_dims(a: Value, b: Value, op: str, left: object, right: object) -> None:
    if not a.dims or not b.dims or a.dims == b.dims:
        return
    # The hint shows notation with placeholder names, never this problem's arrays: a
    # concrete `diag(v) @ M` or `M @ diag(v)` would hand out an answer, right or wrong.
    hint = ("`*` is elementwise: index both arrays, as in v[a] * M[a, b], or combine whole "
            "arrays with diag(v), outer(u, v), M @ N or T(M)")
    raise FormulaError(f"elementwise {op} needs equal shapes: {left} is {a.dims} and "
                       f"{right} is {b.dims}", hint=hint)


def sigmoid(x: np.ndarray) -> np.ndarray:
    # Two branches so that neither exp overflows; both are computed, errors are silenced.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


UNARY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "exp": np.exp, "log": np.log, "ln": np.log, "sqrt": np.sqrt, "abs": np.abs,
    "sigmoid": sigmoid, "relu": lambda x: np.maximum(x, 0.0), "tanh": np.tanh,
    "floor": np.floor, "ceil": np.ceil,
    # 0 at 0, as ReLU's derivative is taken there by torch
    "step": lambda x: (x > 0).astype(np.float64),
}


def softmax(v: Value, name: object) -> Value:
    """Along the last dimension (torch's dim=-1), shifted by the maximum so exp never
    overflows."""
    if not v.dims:
        raise FormulaError(f"softmax needs a vector or a matrix, but {name} is a number",
                           hint="softmax(z)[i] is entry i of the softmax of the vector z")
    e = np.exp(v.data - np.max(v.data, axis=-1, keepdims=True))
    return Value(e / e.sum(axis=-1, keepdims=True), v.axes)


def line_sum(v: Value, name: object, rows: bool) -> Value:
    """rowsum(A)[i] = Σ_j A[i, j]; colsum(A)[j] = Σ_i A[i, j]."""
    if len(v.dims) != 2:
        fn = "rowsum" if rows else "colsum"
        raise FormulaError(f"{fn} needs a matrix, but {name} is {describe(v.dims)}",
                           hint="sum(v) adds up a whole vector")
    return Value(v.data.sum(axis=-1 if rows else -2), v.axes)


def argmax(v: Value, name: object) -> Value:
    """The 1-based position of a vector's largest entry (the first, as torch picks)."""
    if len(v.dims) != 1 or v.dims[0] == 0:
        raise FormulaError(f"argmax needs a vector, but {name} is {describe(v.dims)}",
                           hint="for a window write argmax(x[a] for a in A..B)")
    return Value(np.argmax(v.data, axis=-1).astype(np.float64) + 1, v.axes)


def diag(v: Value, name: object) -> Value:
    if len(v.dims) == 1:
        n = v.dims[0]
        lead = v.data.shape[:len(v.axes)]
        budget((*lead, n, n), f"diag({name})")
        out = np.zeros((*lead, n, n))
        ar = np.arange(n)
        out[..., ar, ar] = v.data
        return Value(out, v.axes)
    if len(v.dims) == 2:
        return Value(np.diagonal(v.data, axis1=-2, axis2=-1).copy(), v.axes)
    raise FormulaError(f"diag needs a vector or a matrix, but {name} is {describe(v.dims)}",
                       hint="diag(vector) is a diagonal matrix; diag(matrix) its diagonal")


def transpose(v: Value, name: object) -> Value:
    if len(v.dims) <= 1:
        return v  # a vector is its own transpose here: `T(h) @ Wh` means h @ Wh
    if len(v.dims) == 2:
        return Value(np.swapaxes(v.data, -1, -2), v.axes)
    raise FormulaError(f"T needs a matrix, but {name} has shape {v.dims}")


def outer(order: dict[str, int], a: Value, b: Value, names: tuple[object, object]) -> Value:
    for v, name in zip((a, b), names):
        if len(v.dims) != 1:
            raise FormulaError(f"outer needs two vectors, but {name} is {describe(v.dims)}")
    axes = union(order, a, b)
    x = expand(a, axes)[..., :, None]
    y = expand(b, axes)[..., None, :]
    budget(np.broadcast_shapes(x.shape, y.shape), f"outer({names[0]}, {names[1]})")
    return Value(x * y, axes)


def matmul(order: dict[str, int], a: Value, b: Value, names: tuple[object, object]) -> Value:
    for v, name in zip((a, b), names):
        if len(v.dims) not in (1, 2):
            raise FormulaError(f"@ needs vectors or matrices, but {name} is {describe(v.dims)}",
                               hint="use * for a product of numbers")
    inner_a, inner_b = a.dims[-1], b.dims[0]
    if inner_a != inner_b:
        raise FormulaError(f"@ needs matching inner sizes: {names[0]} is {a.dims} and "
                           f"{names[1]} is {b.dims}", hint=f"try T({names[0]}) or T({names[1]})")
    axes = union(order, a, b)
    # numpy treats a batched vector as a matrix, so make vectors explicit rows/columns.
    x = expand(a, axes)
    y = expand(b, axes)
    if len(a.dims) == 1:
        x = x[..., None, :]
    if len(b.dims) == 1:
        y = y[..., :, None]
    lead = np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    budget((*lead, x.shape[-2], y.shape[-1], max(1, inner_a)), f"{names[0]} @ {names[1]}")
    out = np.matmul(x, y)
    if len(b.dims) == 1:
        out = out[..., 0]
    if len(a.dims) == 1:
        out = out[..., 0, :] if len(b.dims) == 2 else out[..., 0]
    return Value(out, axes)
