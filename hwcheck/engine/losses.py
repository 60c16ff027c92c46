"""The loss table: one :class:`LossDef` per loss, with torch's defaults.

Each entry holds its options (defaults as ``torch.nn.functional``), its formula, its torch
namesake, the op pair that computes it (``ops/losses.py``), which targets it takes, the
outputs it refuses (a loss that cannot apply, or is identically zero) and an example. The
spec reader, the JSON Schema, the README and the completeness tests read this table.

Arrays reaching ``run`` are batched: the output is (N, C, ...) with classes on axis 1, as
torch lays them out. 'mean' divides by the samples for the class losses (cross_entropy, nll)
and by every element for the others, exactly as torch.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, Callable

import numpy as np

from hwcheck.engine.ops import losses as ops
from hwcheck.frozen import frozen

REDUCTIONS = ("mean", "sum")


@frozen
class LossOption:
    """One option of a loss, keyed as its torch namesake's keyword."""

    name: str
    default: Any
    help: str
    torch: bool = True              # passed to the torch namesake under the same name

    @property
    def type(self) -> str:
        if isinstance(self.default, bool):
            return "boolean"
        return "string" if isinstance(self.default, str) else "number"


@frozen
class LossDef:
    """One loss: its forward beside its backward, its formula and options."""

    name: str
    torch: str                      # the torch.nn.functional namesake
    formula: str                    # the README's formula (per sample, then the reduction)
    forward: Callable               # (out, target, opts) -> (E, cache); target as out
    backward: Callable              # (cache) -> dE/dout
    options: tuple = ()
    index_targets: str = "no"       # "no", "also" (indices or probabilities) or "only"
    refuse: Callable = lambda last, shape: None   # -> (message, hint) or None
    example: dict = field(default_factory=dict)   # {"out": …, "target": …, "options": …}

    def defaults(self) -> dict:
        return {o.name: o.default for o in self.options}

    def run(self, out, target, opts: dict | None = None, last: str | None = None):
        """E and ∂E/∂out for a batched output and its batched target.

        A class-index target has the output's shape without the class axis; ``last`` is
        the kind of the network's last layer (cross_entropy after a softmax takes its
        probabilities).
        """
        out = np.asarray(out, dtype=float)
        target = np.asarray(target, dtype=float)
        o = {**self.defaults(), **(opts or {}), "last": last}
        if target.shape != out.shape:
            if self.index_targets == "no":
                raise ValueError(f"{self.name}: the target has shape {target.shape[1:]}; "
                                 f"the output has {out.shape[1:]}")
            target = ops.one_hot(target, out)
        elif self.index_targets == "only":
            raise ValueError(f"{self.name} takes class indices: the target has the output's "
                             "shape without its class axis")
        e, cache = self.forward(out, target, o)
        return e, self.backward(cache)


def _reduction(help_: str = "mean over the samples, or sum") -> LossOption:
    return LossOption("reduction", "mean", help_)


_ELEMENTS = "mean over every element, or sum"


def _smooth(p, eps):
    if eps < 0 or eps > 1:
        raise ValueError(f"label_smoothing must lie in [0, 1]; got {eps}")
    classes = p.shape[1]
    return (1 - eps) * p + eps / classes if eps else p


def _ce_forward(out, p, o):
    p = _smooth(p, o["label_smoothing"])
    if o["last"] == "softmax":
        e, cache = ops.cross_entropy_forward(out, p, o["reduction"])
        return e, (False, cache)
    e, cache = ops.cross_entropy_logits_forward(out, p, o["reduction"])
    return e, (True, cache)


def _ce_backward(cache):
    logits, c = cache
    back = ops.cross_entropy_logits_backward if logits else ops.cross_entropy_backward
    return back(1.0, c)[0]


def _mse_forward(out, t, o):
    e, cache = ops.mse_forward(out, t, o["reduction"])
    half = 0.5 if o["half"] else 1.0
    return half * e, (half, cache)


def _classes(shape, name, last=None):
    if not shape:
        return f"{name} needs a class axis; the output is a single number", \
            "give the last layer one output per class"
    # a softmax over another axis (dim: -1 on a (1, H, W) output) is not identically 1
    if shape[0] == 1 and (last != "softmax" or len(shape) == 1):
        return (f"{name} over one class is identically zero: the softmax of one value is 1",
                "for one output per sample use bce_with_logits, or bce after a sigmoid")
    return None


def _refuse_ce(last, shape):
    if last == "sigmoid":
        return ("cross_entropy cannot follow a sigmoid: it applies softmax to its input",
                "use bce after a sigmoid, or drop the sigmoid: cross_entropy takes logits")
    return _classes(shape, "cross_entropy", last)


def _refuse_nll(last, shape):
    if last in ("softmax", "sigmoid"):
        return (f"nll takes log-probabilities, not the output of a {last}",
                "use cross_entropy (it takes logits, or probabilities after a softmax)")
    if not shape:
        return "nll needs a class axis; the output is a single number", \
            "give the last layer one output per class"
    return None


def _refuse_bce(last, shape):
    if last == "softmax":
        return ("bce cannot follow a softmax: it scores each output as its own probability",
                "use cross_entropy after a softmax, or a sigmoid output with bce")
    if last != "sigmoid":
        return ("bce takes probabilities: the network must end in a sigmoid",
                "add a sigmoid layer, or use bce_with_logits on the logits")
    return None


def _refuse_bce_logits(last, shape):
    if last in ("softmax", "sigmoid"):
        return (f"bce_with_logits takes logits, not the output of a {last}",
                "use bce after a sigmoid, cross_entropy after a softmax, or drop the layer")
    return None


def _simple(op_forward, op_backward, *extra):
    def forward(out, t, o):
        return op_forward(out, t, o["reduction"], *(o[k] for k in extra))

    def backward(cache):
        return op_backward(1.0, cache)[0]
    return forward, backward


def _huber(out, t, o):
    return ops.smooth_l1_forward(out, t, o["reduction"], o["delta"], huber=True)


_SL1 = _simple(ops.smooth_l1_forward, ops.smooth_l1_backward, "beta")
_VEC = {"out": [0.5, -1.0, 2.0], "target": [1.0, 0.0, 0.5]}

_TABLE = (
    LossDef(
        "cross_entropy", "cross_entropy",
        "E = −Σ_c p_c ln q_c with q = softmax(z); after a final softmax layer q is that "
        "layer's output (cross-entropy on probabilities). A class index y stands for the "
        "one-hot p; label_smoothing ε uses p' = (1−ε)p + ε/C",
        _ce_forward, _ce_backward,
        (_reduction(), LossOption("label_smoothing", 0.0, "ε in [0, 1]")),
        index_targets="also", refuse=_refuse_ce,
        example={"out": [[1.0, -0.5, 0.2], [0.1, 0.3, -1.2]], "target": [2, 0]}),
    LossDef(
        "nll", "nll_loss", "E = −x_y: the log-probability x of the target class y",
        *_simple(ops.nll_forward, ops.nll_backward), (_reduction(),),
        index_targets="only", refuse=_refuse_nll,
        example={"out": [[-1.2, -0.4, -2.0], [-0.3, -1.5, -2.2]], "target": [1, 0]}),
    LossDef(
        "mse", "mse_loss", "E = (y − t)², or ½(y − t)² with half: true",
        _mse_forward, lambda cache: cache[0] * ops.mse_backward(1.0, cache[1])[0],
        (_reduction(_ELEMENTS),
         LossOption("half", False, "multiply by ½ (the ½Σ(y−t)² of many textbooks)",
                    torch=False)),
        example=_VEC),
    LossDef(
        "bce", "binary_cross_entropy", "E = −[t ln y + (1 − t) ln(1 − y)], y in [0, 1]",
        *_simple(ops.bce_forward, ops.bce_backward), (_reduction(_ELEMENTS),),
        refuse=_refuse_bce,
        example={"out": [0.2, 0.7, 0.9], "target": [0.0, 1.0, 1.0]}),
    LossDef(
        "bce_with_logits", "binary_cross_entropy_with_logits",
        "E = −[t ln σ(z) + (1 − t) ln(1 − σ(z))], σ the sigmoid",
        *_simple(ops.bce_logits_forward, ops.bce_logits_backward), (_reduction(_ELEMENTS),),
        refuse=_refuse_bce_logits, example={"out": [0.5, -1.0, 2.0], "target": [0, 1, 0.3]}),
    LossDef(
        "l1", "l1_loss", "E = |y − t|",
        *_simple(ops.l1_forward, ops.l1_backward), (_reduction(_ELEMENTS),), example=_VEC),
    LossDef(
        "smooth_l1", "smooth_l1_loss",
        "d = y − t: E = d²/(2β) where |d| < β, else |d| − β/2",
        *_SL1, (_reduction(_ELEMENTS), LossOption("beta", 1.0, "β ≥ 0; 0 gives l1")),
        example={**_VEC, "options": {"beta": 0.8}}),
    LossDef(
        "huber", "huber_loss", "d = y − t: E = d²/2 where |d| < δ, else δ(|d| − δ/2)",
        _huber, _SL1[1], (_reduction(_ELEMENTS), LossOption("delta", 1.0, "δ > 0")),
        example={**_VEC, "options": {"delta": 0.8}}),
)

LOSSES: dict[str, LossDef] = {d.name: d for d in _TABLE}
