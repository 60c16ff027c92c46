"""One concrete instance of a spec: its sizes, and every given value drawn or read.

Instance 0 is the spec's own (the one ``hwcheck solve`` prints). Instances 1, 2, …
vary the symbolic sizes within the spec's ``vary`` ranges, for grading formulas, and draw
fresh values in place of values the spec writes out (:func:`fresh`). A
student id mixes into every seed when the spec asks for per-student variants.
"""

from __future__ import annotations

import zlib
from random import Random

import numpy as np

from hwcheck.engine.draws import Draws
from hwcheck.errors import FormulaError, SpecError
from hwcheck.formula.notation import int_expr
from hwcheck.frozen import frozen
from hwcheck.spec import readers
from hwcheck.spec.yamlio import Node

DISTRIBUTIONS = ("normal", "uniform", "dirichlet", "integers")
DRAW_KEYS = ("random", "seed", "scale", "low", "high", "shape")
_INT64 = 2 ** 63


@frozen
class Instance:
    """One concrete instance of a spec: its sizes and seeds."""

    sizes: dict
    number: int = 0
    student_seed: int = 0

    def rng(self, seed: int) -> Draws:
        return Draws([seed, self.number, self.student_seed])


def student_seed(student: str | None) -> int:
    """A stable 32-bit seed for a student id (printed in reports, so a teacher can rerun it)."""
    if not student:
        return 0
    # Not hashlib (OpenSSL, ~3 ms of a grade). random's docs (random.seed, "Notes on
    # Reproducibility"): a str seed is turned into an int using all its bits (version 2:
    # the UTF-8 bytes followed by their SHA-512, by the builtin _sha512), and random()
    # keeps giving the same sequence for the same seed; so this is stable across runs,
    # platforms and Python versions (PYTHONHASHSEED plays no part). The top 32 of its
    # 53 bits are the seed.
    return int(Random(student).random() * 2 ** 32)


def make_instance(spec, number: int = 0, student: str | None = None) -> Instance:
    # Only the spec's own instance is the student's: the random instances that test a
    # formula's generality are shared by the class, so their keys are solved once.
    seed = student_seed(student) if spec.variants and number == 0 else 0
    sizes = dict(spec.sizes)
    if number and spec.vary:
        sizes.update(_varied_sizes(spec, number))
    return Instance(sizes, number, seed)


def _varied_sizes(spec, number: int) -> dict:
    """The sizes of random instance ``number``: each varied size differs from the spec's
    own where its range allows (a formula right only at k = 3 must meet another k), and
    no two random instances are the same while the ranges allow it."""
    rng = Draws([0x5EED, student_seed(spec.id)])
    seen: list[dict] = []
    for _ in range(number):
        for _attempt in range(32):
            sizes = {}
            for name, (low, high) in sorted(spec.vary.items()):
                values = [v for v in range(low, high + 1) if v != spec.sizes.get(name)]
                sizes[name] = int(rng.choice(values)) if values else low
            if sizes not in seen:
                break
        seen.append(sizes)
    return seen[-1]


def shape_of(node: Node | None, inst: Instance) -> tuple[int, ...] | None:
    """A shape given as a list of size expressions, e.g. ``[2n, 2m]``."""
    if node is None:
        return None
    if node.kind != "seq":
        raise node.error("a shape is a list such as [2n, 2m]", cls=SpecError)
    return tuple(size(v, inst) for v in node.value)


def size(node: Node, inst: Instance) -> int:
    try:
        value = int_expr(node.value, inst.sizes)
    except FormulaError as exc:
        raise node.error(exc.message, exc.hint, cls=SpecError) from None
    if value < 0:
        raise node.error(f"size {node.value!r} is {value}, below zero", cls=SpecError)
    return value


def draw(node: Node, shape: tuple[int, ...] | None, inst: Instance, what: str) -> np.ndarray:
    """An explicit array, a number, or ``{random: normal, seed: S, scale: …, shape: …}``."""
    if node.kind == "map":
        return _random(node, shape, inst, what)
    try:
        value = np.asarray(node.plain(), dtype=float)
    except (TypeError, ValueError):
        raise node.error(f"{what} must be numbers in a regular array", cls=SpecError) from None
    if inst.number:
        return fresh(value, shape, inst, what)
    if shape is not None and value.shape != tuple(shape):
        if value.size == int(np.prod(shape)) and value.size:
            return value.reshape(shape)
        raise node.error(f"{what} has shape {value.shape}; the network needs {tuple(shape)}",
                         cls=SpecError)
    return value


def fresh(value: np.ndarray, shape, inst: Instance, what: str) -> np.ndarray:
    """Values written out in a spec (as on a paper homework), redrawn for a random
    instance: same shape (the instance's, when sizes vary) and the same character, so a
    formula that hard-codes the printed numbers, or is a bare number, meets other values.
    Whole numbers stay whole numbers in their range (distinct ones stay distinct, the range
    widened if need be), probability rows stay probability rows, anything else becomes normal draws at the values' own scale. An array of one
    repeated whole number (a zero bias, a class index) is kept: its meaning is the value."""
    shape = tuple(shape) if shape is not None else value.shape
    v = value.ravel()
    if not v.size or not np.all(np.isfinite(v)):
        return np.broadcast_to(value, shape).copy() if value.size == 1 else value
    rng = inst.rng(zlib.crc32(what.encode()))
    if np.all(v == np.rint(v)):
        low, high = int(v.min()), int(v.max())
        if low == high:
            return np.full(shape, float(low))
        count = int(np.prod(shape))
        # No ties (a max-pool's key depends on that). Sorted neighbours, not np.unique,
        # which imports numpy.ma (~10 ms of a student's `hwcheck grade`).
        s = np.sort(v)
        if bool(np.all(s[1:] != s[:-1])) and (low, high) != (0, 1):
            span = np.arange(low, low + max(high - low + 1, count))
            return rng.choice(span, size=count, replace=False).reshape(shape).astype(float)
        return rng.integers(low, high + 1, shape).astype(float)
    if value.ndim and shape and np.all(v >= 0) and np.allclose(value.sum(axis=-1), 1):
        return rng.dirichlet(np.ones(shape[-1]), shape[:-1] or None).reshape(shape)
    scale = float(np.sqrt(np.mean(v ** 2))) or 1.0
    return scale * rng.standard_normal(shape)


def _random(node: Node, shape, inst: Instance, what: str) -> np.ndarray:
    opts = node.value
    readers.no_unknown(node, DRAW_KEYS, "key of a random draw")
    dist = opts.get("random")
    dist = dist.value if dist is not None else None
    if dist not in DISTRIBUTIONS:
        raise node.error(f"{what}: unknown distribution {dist!r}", cls=SpecError,
                         hint=readers.suggest(str(dist), DISTRIBUTIONS, "distributions"))
    if "shape" in opts:
        shape = shape_of(opts["shape"], inst)
    if shape is None:
        raise node.error(f"{what}: give a `shape:` for this random draw", cls=SpecError)
    seed = readers.integer(opts["seed"]) if "seed" in opts else 0
    if seed < 0:
        raise opts["seed"].error(f"seed {seed} is below zero", cls=SpecError,
                                 hint="a seed is a whole number 0, 1, 2, …")
    scale = readers.number(opts.get("scale"), 1.0)
    rng = inst.rng(seed)
    if dist == "normal":
        return scale * rng.standard_normal(shape)
    if dist == "uniform":
        low, high = readers.number(opts.get("low"), 0.0), readers.number(opts.get("high"), 1.0)
        _ordered(node, low, high)
        return rng.uniform(low, high, shape)
    if dist == "integers":
        low, high = readers.number(opts.get("low"), -3), readers.number(opts.get("high"), 3)
        _ordered(node, low, high)
        if not (float(low).is_integer() and float(high).is_integer()):
            raise node.error(f"integer draws need whole-number bounds, got low {low:g}, "
                             f"high {high:g}", cls=SpecError, hint="e.g. low: -3, high: 3")
        low, high = int(low), int(high)
        if not (-_INT64 <= low and high < _INT64 - 1 and high - low < _INT64):
            raise node.error(f"integer draws need `low` and `high` within ±{_INT64:.3g} and "
                             f"at most {_INT64:.3g} apart", cls=SpecError)
        return rng.integers(low, high + 1, shape).astype(float)
    # dirichlet: a probability vector along the last axis (sums to 1)
    if not shape:
        raise node.error(f"{what}: a dirichlet draw is a probability vector; give a shape "
                         "with at least one axis", cls=SpecError)
    return rng.dirichlet(np.ones(shape[-1]), shape[:-1] or None).reshape(shape)


def _ordered(node: Node, low: float, high: float) -> None:
    if not low <= high:
        raise node.error(f"`low` ({low:g}) is above `high` ({high:g})", cls=SpecError)
