"""A generated class of answers files for the batch benchmark (deterministic, seeded).

Mixed right and wrong answers: the seed student's formulas and equivalent or slipped
variants of them, numeric p5 answers with noise, invalid answers (text where a number
belongs, wrong shapes, formulas that do not parse), and a few corrupt files (broken YAML,
binary bytes, an empty file, an unknown problem id).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

P1_DS = [
    "g[ceil(d/2), ceil(e/2)] / 4",                       # the key
    "g[floor((d+1)/2), floor((e+1)/2)] / 4",             # the same, written differently
    "0.25 * g[ceil(d/2), ceil(e/2)]",
    "g[ceil(d/2), ceil(e/2)]",                           # missing 1/4
    "g[ceil(e/2), ceil(d/2)] / 4",                       # transposed
    "g[d/2, e/2] / 4",                                   # not a whole index: invalid
]
P1_DC = [
    "g[ceil(d/2), ceil(e/2)] / 4 * s[d, e] * (1 - s[d, e])",
    "g[ceil(d/2), ceil(e/2)] / 4 * (-s[d, e] * (1 - s[d, e]))",      # the seed's sign slip
    "g[ceil(d/2), ceil(e/2)] / 4 * sigmoid(c[d, e]) * (1 - sigmoid(c[d, e]))",
    "g[ceil(d/2), ceil(e/2)] * s[d, e] * (1 - s[d, e])",
    "g[ceil(d/2), ceil(e/2)] / 4 * s[d, e] * (1 - s[d, e]",          # unbalanced: invalid
]
P1_DK = [
    "sum(x[i+u-1, j+v-1] * g[ceil(i/2), ceil(j/2)] / 4 * s[i, j] * (1 - s[i, j]) "
    "for i in 1..2n for j in 1..2m)",
    # the seed's: f'(c) at the shifted position, which reads outside S
    "sum(x[i+u-1, j+v-1] * g[ceil(i/2), ceil(j/2)] / 4 * s[i+u-1, j+v-1] "
    "* (1 - s[i+u-1, j+v-1]) for i in 1..2n for j in 1..2m)",
    "sum(x[i+v-1, j+u-1] * g[ceil(i/2), ceil(j/2)] / 4 * s[i, j] * (1 - s[i, j]) "
    "for i in 1..2n for j in 1..2m)",
    "sum(x[i+u-1, j+v-1] * g[ceil(i/2), ceil(j/2)] / 4 * sigmoid(c[i, j]) "
    "* (1 - sigmoid(c[i, j])) for i in 1..2n for j in 1..2m)",
    # consistent with the seed's wrong dL/dC: carry-forward credit
    "sum(x[i+u-1, j+v-1] * g[ceil(i/2), ceil(j/2)] / 4 * (-s[i, j] * (1 - s[i, j])) "
    "for i in 1..2n for j in 1..2m)",
]
P2 = {
    "one_stage_advantages": "One-stage detectors are faster at inference, a single pass, and "
                            "simpler to train end-to-end.",
    "why_nms": "Many overlapping boxes for one object; NMS keeps the most confident box and "
               "suppresses the others with high IoU.",
}
P4 = ["q - p", "q[x] - p[x]", "p - q", "-p[x] * (1 - q[x])",
      "exp(z[x]) / sum(exp(z[j]) for j in 1..N) - p[x]"]
P5_RIGHT = ([[0.99138, -0.00862], [0, -1]], [-0.00862, 0])
P5_SEED = ([[1.0016, 0.0016], [0, -1]], [0.0016, 0])
P6 = ["diag(h * (1 - h)) @ Wh", "h[a] * (1 - h[a]) * Wh[a, b]", "Wh @ diag(h * (1 - h))",
      "diag(h*(1-h)) @ Wh"]
P6_TEXT = ("The gradient is a product of the Jacobians over the time lags; with a norm below "
           "1 it shrinks exponentially, above 1 it grows.")

CORRUPT = [
    b"p1:\n  dL/dS: [unclosed\n",
    b"\x00\x01\x02\xff\xfe binary junk\n",
    b"",
    b"p55: 3\np3: 513466\n",
    b"- just\n- a\n- list\n",
]


def _q(text: str) -> str:
    return json.dumps(text)   # a JSON string is a valid YAML double-quoted scalar


def _noisy(rng: random.Random, value, scale: float):
    if isinstance(value, list):
        return [_noisy(rng, v, scale) for v in value]
    return round(value + rng.gauss(0, scale), 6)


def submission(rng: random.Random, number: int) -> str:
    """One student's answers file as YAML text (never corrupt)."""
    lines = [f"student: s{number:05d}"]
    lines += ["p1:", f"  dL/dS: {_q(rng.choice(P1_DS))}", f"  dL/dC: {_q(rng.choice(P1_DC))}"]
    if rng.random() < 0.9:
        lines.append(f"  dL/dK: {_q(rng.choice(P1_DK))}")
    lines += ["p2:"] + [f"  {k}: {_q(v)}" for k, v in P2.items()]
    p3 = rng.choice([513466, 513466, 513466, 512000, 513456, "yes"])
    lines.append(f"p3: {p3}")
    lines += ["p4:", f"  dE/dz: {_q(rng.choice(P4))}"]
    w, b = rng.choice([P5_RIGHT, P5_RIGHT, P5_SEED])
    kind = rng.random()
    if kind < 0.7:     # small noise: mostly within tolerance
        w, b = _noisy(rng, w, 2e-6), _noisy(rng, b, 2e-6)
    elif kind < 0.9:   # larger noise: wrong
        w, b = _noisy(rng, w, 1e-2), _noisy(rng, b, 1e-2)
    elif kind < 0.95:  # wrong shape
        b = [b[0]]
    else:              # text where a number belongs
        w = "[[one, zero], [0, -1]]"
    lines += ["p5:", f"  W: {json.dumps(w) if not isinstance(w, str) else w}",
              f"  B: {json.dumps(b)}"]
    lines += ["p6:", f"  jacobian: {_q(rng.choice(P6))}", f"  explanation: {_q(P6_TEXT)}"]
    return "\n".join(lines) + "\n"


def make_class(folder: Path, count: int, seed: int = 7, corrupt_every: int = 100) -> list[Path]:
    """Write ``count`` answers files into ``folder``; every ``corrupt_every``-th is corrupt."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"s{i:05d}.yaml"
        if corrupt_every and i % corrupt_every == corrupt_every - 1:
            path.write_bytes(CORRUPT[(i // corrupt_every) % len(CORRUPT)])
        else:
            path.write_text(submission(rng, i))
        paths.append(path)
    return paths
