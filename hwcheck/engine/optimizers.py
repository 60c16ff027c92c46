"""The optimizer table: one :class:`OptimizerDef` per ``torch.optim`` optimizer.

Each entry holds its options with torch's defaults, its update rule as text (the README
prints it) and as a pure function, and the names of its per-parameter state, which are
torch's own ``optimizer.state[p]`` keys. ``engine/solvers/sgd_step.py`` runs any entry over
any number of steps and names every step's values (``step2.exp_avg.c.weight``).

A rule is ``update(theta, grad, state, t, o) -> (delta, state, scalars)`` with step t
counted from 1: the new parameter is θ − delta; ``state`` the new per-parameter buffers;
``scalars`` the step's shared numbers (bias corrections, the decayed learning rate).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from hwcheck.frozen import frozen


@frozen
class OptOption:
    """One option of an optimizer, keyed as torch.optim's keyword."""

    name: str
    default: Any
    help: str
    torch: bool = True          # passed to the torch.optim namesake under the same name

    @property
    def type(self) -> str:
        if isinstance(self.default, bool):
            return "boolean"
        if isinstance(self.default, tuple):
            return "pair"
        return "integer" if isinstance(self.default, int) else "number"


@frozen
class OptimizerDef:
    """One optimizer: its update rule, options and per-parameter state."""

    name: str
    torch: str                  # the torch.optim class
    rule: str                   # the update, as the README states it
    update: Callable
    options: tuple
    state: tuple                # per-parameter buffers, torch's state keys
    scalars: tuple = ()         # per-step numbers named ``stepK.NAME``
    check: Callable = lambda o: None   # raises ValueError as torch's constructor does

    def resolve(self, given: dict) -> dict:
        """torch's defaults overridden by ``given``; refuses what torch refuses."""
        names = [o.name for o in self.options]
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise ValueError(f"unknown {self.name} option {unknown[0]!r}")
        o = {opt.name: opt.default for opt in self.options}
        o.update(given)
        for k, v in o.items():
            if k in ("lr", "eps", "weight_decay", "momentum", "lr_decay", "alpha",
                     "dampening", "initial_accumulator_value") and v < 0:
                raise ValueError(f"{self.name} {k} must not be negative; got {v}")
        if isinstance(o.get("betas"), (list, tuple)):
            o["betas"] = tuple(float(b) for b in o["betas"])
            if len(o["betas"]) != 2 or not all(0 <= b < 1 for b in o["betas"]):
                raise ValueError(f"betas must be two numbers in [0, 1); got {o['betas']}")
        self.check(o)
        return o


def _decayed(theta, grad, o):
    return grad + o["weight_decay"] * theta if o["weight_decay"] else grad


def _sgd(theta, grad, state, t, o):
    g = _decayed(theta, grad, o)
    new = {}
    if o["momentum"]:
        buf = g.copy() if t == 1 else \
            o["momentum"] * state["momentum_buffer"] + (1 - o["dampening"]) * g
        new["momentum_buffer"] = buf
        g = g + o["momentum"] * buf if o["nesterov"] else buf
    return o["lr"] * g, new, {}


def _sgd_check(o):
    if o["nesterov"] and (o["momentum"] <= 0 or o["dampening"] != 0):
        raise ValueError("nesterov needs a momentum and zero dampening (as torch.optim.SGD)")


def _adam(decoupled):
    def update(theta, grad, state, t, o):
        b1, b2 = o["betas"]
        if decoupled:
            g, shrink = grad, o["lr"] * o["weight_decay"] * theta
        else:
            g, shrink = _decayed(theta, grad, o), 0.0
        m = b1 * state["exp_avg"] + (1 - b1) * g if t > 1 else (1 - b1) * g
        v = b2 * state["exp_avg_sq"] + (1 - b2) * g * g if t > 1 else (1 - b2) * g * g
        new = {"exp_avg": m, "exp_avg_sq": v}
        if o["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v) if t > 1 else v
            new["max_exp_avg_sq"] = v
        bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
        denom = np.sqrt(v) / np.sqrt(bc2) + o["eps"]
        return shrink + o["lr"] / bc1 * m / denom, new, \
            {"bias_correction1": bc1, "bias_correction2": bc2}
    return update


def _rmsprop(theta, grad, state, t, o):
    g = _decayed(theta, grad, o)
    a = o["alpha"]
    sq = a * state["square_avg"] + (1 - a) * g * g if t > 1 else (1 - a) * g * g
    new = {"square_avg": sq}
    if o["centered"]:
        ga = a * state["grad_avg"] + (1 - a) * g if t > 1 else (1 - a) * g
        new["grad_avg"] = ga
        avg = np.sqrt(sq - ga * ga) + o["eps"]
    else:
        avg = np.sqrt(sq) + o["eps"]
    if o["momentum"] > 0:
        buf = o["momentum"] * state["momentum_buffer"] + g / avg if t > 1 else g / avg
        new["momentum_buffer"] = buf
        return o["lr"] * buf, new, {}
    return o["lr"] * g / avg, new, {}


def _adagrad(theta, grad, state, t, o):
    g = _decayed(theta, grad, o)
    clr = o["lr"] / (1 + (t - 1) * o["lr_decay"])
    start = state["sum"] if t > 1 else np.full_like(theta, o["initial_accumulator_value"])
    total = start + g * g
    return clr * g / (np.sqrt(total) + o["eps"]), {"sum": total}, {"clr": clr}


def _opt(name, help_, default):
    return OptOption(name, default, help_)


_LR, _WD, _EPS = "learning rate", "L2 penalty added to the gradient", "added to the denominator"
_ADAM = ("θ ← θ − lr·m̂/(√v̂ + eps), m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², "
         "m̂ = m/(1−β1^t), v̂ = v/(1−β2^t)")

_TABLE = (
    OptimizerDef(
        "sgd", "SGD",
        "g ← g + wd·θ; b ← g (step 1) else μ·b + (1−dampening)·g; g ← g + μ·b (nesterov) "
        "else b; θ ← θ − lr·g",
        _sgd, (_opt("lr", _LR, 0.001), _opt("momentum", "μ", 0.0),
               _opt("dampening", "damps the momentum's new gradient", 0.0),
               _opt("weight_decay", _WD, 0.0), _opt("nesterov", "Nesterov momentum", False)),
        ("momentum_buffer",), check=_sgd_check),
    OptimizerDef(
        "adam", "Adam", "g ← g + wd·θ; " + _ADAM + " (amsgrad: v̂ from the running max of v)",
        _adam(False), (_opt("lr", _LR, 0.001), _opt("betas", "(β1, β2)", (0.9, 0.999)),
                       _opt("eps", _EPS, 1e-8), _opt("weight_decay", _WD, 0.0),
                       _opt("amsgrad", "use the maximum of the second moments", False)),
        ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"), ("bias_correction1", "bias_correction2")),
    OptimizerDef(
        "adamw", "AdamW", "θ ← θ − lr·wd·θ (decoupled), then " + _ADAM,
        _adam(True), (_opt("lr", _LR, 0.001), _opt("betas", "(β1, β2)", (0.9, 0.999)),
                      _opt("eps", _EPS, 1e-8),
                      _opt("weight_decay", "decoupled decay: θ shrinks by lr·wd·θ", 0.01),
                      _opt("amsgrad", "use the maximum of the second moments", False)),
        ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"), ("bias_correction1", "bias_correction2")),
    OptimizerDef(
        "rmsprop", "RMSprop",
        "g ← g + wd·θ; s = α·s + (1−α)·g²; centered: a = α·a + (1−α)·g, d = √(s − a²) + eps, "
        "else d = √s + eps; b = μ·b + g/d, θ ← θ − lr·b (momentum) else θ ← θ − lr·g/d",
        _rmsprop, (_opt("lr", _LR, 0.01), _opt("alpha", "smoothing constant α", 0.99),
                   _opt("eps", _EPS, 1e-8), _opt("weight_decay", _WD, 0.0),
                   _opt("momentum", "μ", 0.0),
                   _opt("centered", "divide by the centred second moment", False)),
        ("square_avg", "grad_avg", "momentum_buffer")),
    OptimizerDef(
        "adagrad", "Adagrad",
        "g ← g + wd·θ; clr = lr/(1 + (t−1)·lr_decay); sum = sum + g² (starting at "
        "initial_accumulator_value); θ ← θ − clr·g/(√sum + eps)",
        _adagrad, (_opt("lr", _LR, 0.01), _opt("lr_decay", "learning-rate decay", 0.0),
                   _opt("weight_decay", _WD, 0.0),
                   _opt("initial_accumulator_value", "the sum's start", 0.0),
                   _opt("eps", _EPS, 1e-10)),
        ("sum",), ("clr",)),
)

OPTIMIZERS: dict[str, OptimizerDef] = {d.name: d for d in _TABLE}
