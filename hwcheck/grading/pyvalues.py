"""Python values as answers (the Python API): numbers, strings, nested lists, and anything
with ``__array__`` (numpy arrays, torch tensors) become the ``Node`` an answers file gives,
so the grader reads them exactly as it reads YAML.

Torch is never imported: a tensor is read through ``__array__``, and one that refuses
(it requires grad, or lives on a GPU) through its ``detach()`` and ``cpu()``.
"""

from __future__ import annotations

import numpy as np

from hwcheck.errors import CheckError
from hwcheck.spec.yamlio import Node

MAX_ENTRIES = 1 << 16     # as many as an answers file may give one part
MAX_NESTING = 32          # as deep as an answers file may nest


def plain(value, where: str, count: list | None = None, depth: int = 0):
    """Python scalars, strings and nested lists, refused past ``MAX_ENTRIES`` entries or
    ``MAX_NESTING`` levels; ``where`` ("p5 W") starts every message."""
    count = [0] if count is None else count
    if value is None or isinstance(value, (str, bool, int, float)):
        count[0] += 1
        if count[0] > MAX_ENTRIES:
            raise CheckError(f"{where}: more than {MAX_ENTRIES} entries")
        return value
    if depth > MAX_NESTING:
        raise CheckError(f"{where}: lists nested more than {MAX_NESTING} deep")
    if hasattr(value, "__array__") or isinstance(value, np.generic):
        arr = _array(value, where)
        if arr.size > MAX_ENTRIES:
            raise CheckError(f"{where}: more than {MAX_ENTRIES} entries")
        count[0] += max(arr.size - 1, 0)
        return plain(arr.tolist(), where, count, depth + 1)
    if isinstance(value, (list, tuple)):
        return [plain(v, where, count, depth + 1) for v in value]
    raise CheckError(f"{where}: a {type(value).__name__} is not an answer",
                     hint="give a number, a list, an array or tensor, or a formula string")


def _array(value, where: str) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except Exception:   # torch refuses numpy() on a tensor that requires grad or is on GPU
        detach = getattr(value, "detach", None)
        try:
            value = detach() if callable(detach) else value
            cpu = getattr(value, "cpu", None)
            arr = np.asarray(cpu() if callable(cpu) else value)
        except Exception as exc:
            raise CheckError(f"{where}: cannot read a {type(value).__name__} as numbers "
                             f"({type(exc).__name__})") from None
    if arr.dtype.kind not in "biuf":
        raise CheckError(f"{where}: an array of {arr.dtype} is not an answer",
                         hint="give real numbers")
    return arr


def check_shape(value, key, where: str) -> None:
    """Refuse a numeric ``value`` whose shape cannot be the key's (``key()`` gives it, solved
    only when needed). Text, ragged lists and a transposed matrix are left to the grader,
    which says which cell is wrong, or names the transposition as the slip."""
    if isinstance(value, (str, type(None))):
        return
    try:
        got = np.asarray(value, dtype=float)
    except (ValueError, TypeError, OverflowError):
        return
    from hwcheck.grading.compare import fit_shape

    want = np.shape(key())
    if fit_shape(got, want) is None and got.shape != want[::-1]:
        raise CheckError(f"{where}: got {_shape(got.shape)}, but the key is "
                         f"{_shape(want)}", hint=f"give {_shape(want)}")


def _shape(shape: tuple) -> str:
    if not shape:
        return "a single number"
    return f"a vector of {shape[0]}" if len(shape) == 1 else \
        "a " + " x ".join(map(str, shape)) + " matrix"


def to_node(value, file: str) -> Node:
    """A value from ``plain`` as a YAML node without a position (line 0)."""
    if isinstance(value, list):
        return Node("seq", [to_node(v, file) for v in value], 0, 0, file)
    if isinstance(value, float):
        return Node("scalar", value, 0, 0, file, text=repr(value))
    return Node("scalar", value, 0, 0, file, quoted=isinstance(value, str))
