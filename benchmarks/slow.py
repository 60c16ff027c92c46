"""Slow, obviously-correct references for the fast paths: plain Python loops, no numpy."""

from __future__ import annotations

import math


def p1_dk_loop(x, g, s, n: int, m: int, k: int) -> list[list[float]]:
    """p1's ∂L/∂K, exactly as the homework writes it, one term at a time (1-based indices):

        dK[u, v] = sum(x[i+u-1, j+v-1] * g[ceil(i/2), ceil(j/2)] / 4 * s[i, j] * (1 - s[i, j])
                       for i in 1..2n for j in 1..2m)

    ``x``, ``g`` and ``s`` are nested lists (0-based storage).
    """
    out = [[0.0] * k for _ in range(k)]
    for u in range(1, k + 1):
        for v in range(1, k + 1):
            total = 0.0
            for i in range(1, 2 * n + 1):
                for j in range(1, 2 * m + 1):
                    total += (x[i + u - 2][j + v - 2] * g[math.ceil(i / 2) - 1][math.ceil(j / 2) - 1]
                              / 4 * s[i - 1][j - 1] * (1 - s[i - 1][j - 1]))
            out[u - 1][v - 1] = total
    return out


def p1_block_loop(x, kern, g):
    """p1's conv → sigmoid → 2x2 avgpool block and its gradients, pixel by pixel.

    Returns (dS, dC, dK) as nested lists. For small sizes only (it is O(pixels·k²) in
    Python).
    """
    k = len(kern)
    h, w = len(x) - k + 1, len(x[0]) - k + 1
    c = [[sum(x[r + i][q + j] * kern[i][j] for i in range(k) for j in range(k))
          for q in range(w)] for r in range(h)]
    s = [[1 / (1 + math.exp(-v)) for v in row] for row in c]
    ds = [[g[r // 2][q // 2] / 4 for q in range(w)] for r in range(h)]
    dc = [[ds[r][q] * s[r][q] * (1 - s[r][q]) for q in range(w)] for r in range(h)]
    dk = [[sum(x[r + i][q + j] * dc[r][q] for r in range(h) for q in range(w))
           for j in range(k)] for i in range(k)]
    return ds, dc, dk
