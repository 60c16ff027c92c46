"""Seeded random draws for keys: a small stand-in for ``numpy.random.Generator``.

Every value hwcheck draws is a small seeded array, and ``numpy.random`` (its extension
modules, and ``secrets`` → ``hmac`` → OpenSSL) costs ~9 ms of a student's ~190 ms
``hwcheck grade``. :class:`Draws` takes its bits from the standard library's
``random.Random`` (MT19937) in bulk and shapes them with numpy, never a Python loop per
number. Only the methods hwcheck calls exist, with ``Generator``'s signatures.

The stream is part of every key: changing how bits are taken or transformed changes every
drawn value (and the goldens). ``tests/test_draws.py`` pins the first values of one seed,
so a Python release that changed ``Random``'s bit stream would be caught.
"""

from __future__ import annotations

import math
from random import Random

import numpy as np

_TWO_53 = 2.0 ** -53


def _seed_int(words) -> int:
    """One non-negative int for a tuple of non-negative ints, injectively (so different
    seed words give different MT19937 keys): each word as its 32-bit limbs, least
    significant first, behind a limb holding their count (at least 1, so no group is all
    zero bits and the decoding, from the low end, knows where the int ends)."""
    out, shift = 0, 0
    for w in words:
        w = int(w)
        if w < 0:
            raise ValueError(f"seed words must be non-negative, got {w}")
        limbs = max(1, (w.bit_length() + 31) // 32)
        out |= (limbs | (w << 32)) << shift
        shift += 32 * (limbs + 1)
    return out


def _shape(shape) -> tuple[int, ...]:
    if shape is None:
        return ()
    if isinstance(shape, tuple):
        return shape
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)


class Draws:
    """A deterministic stream of draws for the seed words ``seed`` (a non-negative int or
    a sequence of them, as ``np.random.default_rng([a, b, c])`` takes). Shapes are an int,
    a tuple (``()`` is one value as a 0-d array) or None (= ``()``); results are float64
    except :meth:`integers` (int64) and :meth:`choice` (the values' own type)."""

    def __init__(self, seed) -> None:
        words = (seed,) if isinstance(seed, int) or np.ndim(seed) == 0 else tuple(seed)
        self._random = Random(_seed_int(words))

    def _words(self, n: int) -> np.ndarray:
        """``n`` raw 64-bit words, (n,) uint64, from one ``randbytes`` call."""
        return np.frombuffer(self._random.randbytes(8 * n), "<u8")

    def _unit(self, n: int, open_low: bool = False) -> np.ndarray:
        """(n,) uniform doubles: ``(w >> 11) · 2⁻⁵³`` in [0, 1), or, with ``open_low``,
        ``((w >> 11) + ½) · 2⁻⁵³`` in (0, 1) (safe under a logarithm)."""
        top = (self._words(n) >> 11).astype(np.float64)
        if open_low:
            top += 0.5
        top *= _TWO_53
        return top

    def random(self, shape=None) -> np.ndarray:
        """Uniform on [0, 1), ``shape``."""
        shape = _shape(shape)
        return self._unit(math.prod(shape)).reshape(shape)

    def uniform(self, low=0.0, high=1.0, shape=None) -> np.ndarray:
        """``low + (high − low)·u``, u uniform on [0, 1), ``shape``."""
        return low + (high - low) * self.random(shape)

    def standard_normal(self, shape=None) -> np.ndarray:
        """N(0, 1), ``shape``, by Box–Muller: from u₁ ∈ (0, 1), u₂ ∈ [0, 1), both
        ``√(−2 ln u₁)·cos 2πu₂`` and ``√(−2 ln u₁)·sin 2πu₂`` are independent normals."""
        shape = _shape(shape)
        n = math.prod(shape)
        half = (n + 1) // 2
        r = np.sqrt(-2.0 * np.log(self._unit(half, open_low=True)))
        theta = 2.0 * np.pi * self._unit(half)
        return np.concatenate([r * np.cos(theta), r * np.sin(theta)])[:n].reshape(shape)

    def integers(self, low: int, high: int, shape=None) -> np.ndarray:
        """Integers uniform on [low, high) (``high`` excluded), int64, ``shape``. Exact:
        the low ``k`` bits of each word, k = bit length of high − low − 1, kept when below
        the span (each round keeps over half; the rest are redrawn)."""
        low, high = int(low), int(high)
        span = high - low
        if span < 1:
            raise ValueError(f"integers: high ({high}) must be above low ({low})")
        if low < -2 ** 63 or high - 1 >= 2 ** 63 or span > 2 ** 63:
            raise ValueError("integers: bounds outside 64-bit integers")
        shape = _shape(shape)
        n = math.prod(shape)
        mask = np.uint64((1 << (span - 1).bit_length()) - 1)
        kept = np.empty(0, np.uint64)
        while kept.size < n:
            cand = self._words(2 * (n - kept.size)) & mask
            kept = np.concatenate([kept, cand[cand < np.uint64(span)]])
        # offset < span ≤ 2⁶³ fits int64, and low + offset < high does too
        return (kept[:n].astype(np.int64) + np.int64(low)).reshape(shape)

    def dirichlet(self, alpha, size=None) -> np.ndarray:
        """The flat Dirichlet (every ``alpha`` = 1; the only one hwcheck draws): rows of
        k = len(alpha) independent Exp(1) draws ``−ln u``, u ∈ (0, 1), divided by their
        sum, so each row is positive and sums to 1. Shape ``size + (k,)``."""
        alpha = np.asarray(alpha, dtype=float)
        if alpha.ndim != 1 or np.any(alpha != 1.0):
            raise ValueError("dirichlet: only alpha = ones(k) is supported")
        shape = _shape(size) + (alpha.size,)
        e = -np.log(self._unit(math.prod(shape), open_low=True)).reshape(shape)
        return e / e.sum(axis=-1, keepdims=True)

    def choice(self, a, size=None, replace: bool = True):
        """Elements of ``a`` (a sequence or array; an int n means ``arange(n)``): one
        element for ``size=None``, else an array of ``size``. With ``replace=False`` no
        element is taken twice: the first ``count`` of a random permutation (an argsort of
        fresh 64-bit keys)."""
        a = np.arange(a) if np.ndim(a) == 0 else np.asarray(a)
        if a.ndim != 1 or not a.size:
            raise ValueError("choice: a must be a non-empty 1-d sequence")
        shape = _shape(size)
        count = math.prod(shape)
        if replace:
            picked = a[self.integers(0, a.size, shape)]
        else:
            if count > a.size:
                raise ValueError(f"choice: {count} distinct values asked of {a.size}")
            picked = a[np.argsort(self._words(a.size), kind="stable")[:count]].reshape(shape)
        return picked[()] if size is None else picked
