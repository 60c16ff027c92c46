"""PyTorch's side of the torch cross-checks, built from the tables (one place per fact):
each layer from its LayerDef's torch namesake, the loss from its LossDef, the optimizer
from its OptimizerDef; and the comparison with a worst-case record.

Arrays here carry torch's batch dimension: an unbatched problem gets a batch of 1. A
network's input is one tensor, or a mapping of named inputs (``network.input: {Q: …}``).

Shared by tests/test_solvers_torch.py and the example and quantity checks; import it only
where torch is installed (``pytest.importorskip("torch")`` first).
"""

from __future__ import annotations

import functools
import warnings
from typing import Mapping

import numpy as np
import torch

from hwcheck.engine.graph import states as state_keys
from hwcheck.engine.layers import LAYERS
from hwcheck.engine.losses import LOSSES
from hwcheck.engine.optimizers import OPTIMIZERS
from tests.support.nets import all_layers

F = torch.nn.functional

TOL = 1e-9
WORST: dict = {}     # largest |hwcheck − torch| per check, for the report
EXTRA = ("h_n", "c_n")   # a recurrent module's second result, as the table's ``outputs``


def T(value) -> "torch.Tensor":
    return torch.tensor(np.asarray(value, dtype=float), dtype=torch.float64)


def close(got, want, what: str, tol: float = TOL) -> None:
    got = np.asarray(got, dtype=float)
    want = want.detach().numpy() if isinstance(want, torch.Tensor) else np.asarray(want, float)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, torch {want.shape}"
    diff = float(np.abs(got - want).max(initial=0.0))
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    WORST[what.split("[")[0]] = max(WORST.get(what.split("[")[0], 0.0), diff)
    assert diff <= tol * scale, f"{what}: max |hwcheck − torch| = {diff:.3g}"


def namesake(name: str):
    """A LayerDef's ``torch`` under torch.nn, else under torch (``functional.x``, ``add``)."""
    try:
        return functools.reduce(getattr, name.split("."), torch.nn)
    except AttributeError:
        return functools.reduce(getattr, name.split("."), torch)


def torch_forward(layers, params: dict, x, outs: dict, modules: dict | None = None):
    """Batched x through ``layers``, each built from its table entry; every output (and a
    recurrent layer's ``NAME.h_n``) into ``outs``; into ``modules`` each layer's built
    module with its call, inputs and states (for ``mult_adds``).

    ``x`` is one tensor (the quantity ``input``) or a mapping of named inputs, the first
    of which feeds a first layer that names no ``inputs``, as in engine/graph.py.
    """
    values = dict(x) if isinstance(x, Mapping) else {"input": x}
    last = _run(layers, next(iter(values)), params, values, outs,
                {} if modules is None else modules)
    return values[last]


def _run(layers, src: str, params, values: dict, outs: dict, modules: dict) -> str:
    for lay in layers:
        srcs = lay.inputs or (src,)
        if lay.kind == "residual":
            body = _run(lay.body, srcs[0], params, values, outs, modules)
            short = _run(lay.shortcut, srcs[0], params, values, outs, modules) \
                if lay.shortcut else srcs[0]
            y = values[body] + values[short]
        else:
            y = _layer(lay, params, tuple(values[s] for s in srcs), outs, modules)
        if any(y is v for v in values.values()):    # identity, dropout: a layer of its own
            y = y.clone()
        if y.requires_grad:
            y.retain_grad()
        outs[lay.name] = values[lay.name] = y
        src = lay.name
    return src


def _layer(lay, params: dict, args: tuple, outs: dict, modules: dict):
    """One layer through its namesake: a module with our parameter tensors swapped in
    (``functional_call``, so their gradients reach ``params``), or a function."""
    d = LAYERS[lay.kind]
    if d.indices:                        # integer indices (embedding): no gradient
        args = tuple(a.detach().long() for a in args)
    kwargs = d.torch_kwargs(dict(lay.options))
    made = namesake(d.torch)
    if not isinstance(made, type):
        return made(*args, **kwargs)
    if d.torch_input:                    # not Lazy: torch is told the input size
        kwargs[d.torch_input] = args[0].shape[-1]
    prefix = f"{lay.name}."
    own = {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}
    kinds = {k: d.param_for(k) for k in own}
    states = {k: v for k, v in own.items() if kinds[k].state}
    weights = {k: v if not kinds[k].buffer else v.detach().clone()
               for k, v in own.items() if k not in states}
    module = made(**kwargs).double().train(d.torch_mode == "train")
    call = d.torch_call or (lambda m, a, s: m(*a))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lazy modules warn that they are new
        call(module, args, states)       # materialises a Lazy module's parameters
    modules[lay.name] = (module, call, args, states)
    swapped = _Swapped(module, weights)
    y = call(swapped, args, states)
    if d.outputs and isinstance(swapped.result, tuple):
        second = swapped.result[1]
        for name, t in zip(EXTRA, second if isinstance(second, tuple) else (second,)):
            t = outs[f"{lay.name}.{name}"] = t.movedim(1, 0)  # (D·L, N, H) → batch first
            if t.requires_grad:
                t.retain_grad()
    return y


class _Swapped:
    """Calls ``module`` with ``weights`` in place of its own parameters; keeps the result."""

    def __init__(self, module, weights):
        self.module, self.weights, self.result = module, weights, None

    def __call__(self, *args, **kwargs):
        self.result = torch.func.functional_call(self.module, self.weights, args, kwargs)
        return self.result


def torch_loss(kind, out, target, softmax_last, options: dict | None = None):
    """The loss table's ``torch.nn.functional`` namesake with its torch options (``half``
    is ours: ½ of mse). A class-index target (the output's shape without axis 1) is passed
    as integers. cross_entropy after a final softmax is −Σ p ln q on its probabilities,
    the mean over the positions (the softmax's own axis may not be torch's class axis 1).
    """
    d = LOSSES[kind]
    o = {**d.defaults(), **(options or {})}
    kwargs = {opt.name: o[opt.name] for opt in d.options if opt.torch}
    index = target.shape != out.shape
    if kind == "cross_entropy" and softmax_last:
        p = F.one_hot(target.long(), out.shape[1]).movedim(-1, 1).double() if index \
            else target
        eps = o["label_smoothing"]
        p = (1 - eps) * p + eps / out.shape[1]
        e = -(p * torch.log(out)).sum()
        return e / (out.numel() // out.shape[1]) if o["reduction"] == "mean" else e
    e = getattr(F, d.torch)(out, target.long() if index else target, **kwargs)
    return 0.5 * e if o.get("half") else e


def _batch(x, batched: bool):
    """Tensors that require grad, with a batch of 1 added unless ``batched``."""
    if isinstance(x, Mapping):
        return {k: _batch(v, batched) for k, v in x.items()}
    t = T(x)
    return (t if batched else t[None]).requires_grad_()


def torch_case(net, params, x, batched: bool = False):
    tp = {k: T(v).requires_grad_() for k, v in params.items()}
    tx = _batch(x, batched)
    outs: dict = {}
    out = torch_forward(net.layers, tp, tx, outs)
    return tp, tx, outs, out


def quantities(tp, tx, outs, batched: bool = False) -> dict:
    """torch's run named as the solvers name it: ``input`` (or each named input), each
    output, each parameter, and ``grad.Q`` where torch has a gradient (detached copies)."""
    ub = (lambda t: t) if batched else (lambda t: t[0])
    named = tx if isinstance(tx, Mapping) else {"input": tx}
    found = {}
    for group, strip in ((named, ub), (outs, ub), (tp, lambda t: t)):
        for name, t in group.items():
            found[name] = strip(t).detach().clone()
            if t.grad is not None:
                found[f"grad.{name}"] = strip(t.grad).clone()
    return found


def compare_all(values, net, tp, tx, outs, missing_ok=False, batched: bool = False):
    """Every layer output, every gradient torch has, against the solver's ``values``."""
    theirs = quantities(tp, tx, outs, batched)
    names = [lay.name for lay in all_layers(net.layers)]
    named = list(tx) if isinstance(tx, Mapping) else ["input"]
    for name in names:
        close(values[name], theirs[name], f"output {_kind(net, name)}")
    for name in names + named + list(tp):
        what = f"grad {_kind(net, name) or name.rpartition('.')[2]}"
        if f"grad.{name}" not in values:    # no path to the loss, or integer indices
            grad = theirs.get(f"grad.{name}")
            assert missing_ok or name in named, name
            assert grad is None or not grad.abs().max() > 0, name
            continue
        close(values[f"grad.{name}"], theirs[f"grad.{name}"], what)


def _kind(net, name: str) -> str | None:
    return next((lay.kind for lay in all_layers(net.layers) if lay.name == name), None)


def torch_steps(net, params, x, target, *, loss, optimizer, steps, options=None,
                loss_options=None, softmax_last=False, batched=False) -> dict:
    """``steps`` steps of torch.optim.<OptimizerDef.torch>, named as sgd_step names them:
    ``stepK.Q`` (that step's forward and backward), ``stepK.new.P``, ``stepK.BUF.P`` (the
    optimizer's own state keys), then the first step's values unprefixed and ``new.P``."""
    d = OPTIMIZERS[optimizer]
    o = d.resolve(dict(options or {}))
    kwargs = {opt.name: o[opt.name] for opt in d.options if opt.torch}
    fixed = state_keys(net.layers, params)          # h0: an input, not learned
    tp = {k: T(v).requires_grad_() for k, v in params.items()}
    opt = getattr(torch.optim, d.torch)([p for k, p in tp.items() if k not in fixed], **kwargs)
    found: dict = {}
    for k in range(1, steps + 1):
        for p in tp.values():
            p.grad = None
        tx, outs = _batch(x, batched), {}
        out = torch_forward(net.layers, tp, tx, outs)
        E = torch_loss(loss, out, T(target) if batched else T(target)[None], softmax_last,
                       loss_options)
        E.backward()
        now = {**quantities(tp, tx, outs, batched), "loss": E.detach().clone()}
        if k == 1:
            first = now   # unprefixed below, as sgd_step names the first step
        found.update({f"step{k}.{q}": v for q, v in now.items()})
        opt.step()
        for name, p in tp.items():
            if name in fixed:
                continue
            found[f"step{k}.new.{name}"] = p.detach().clone()
            for buf, v in opt.state[p].items():
                if buf in d.state and torch.is_tensor(v) and v.ndim:
                    found[f"step{k}.{buf}.{name}"] = v.clone()
    found.update(first)
    found["lr"] = float(o["lr"])
    found.update({f"new.{n}": p.detach().clone() for n, p in tp.items() if n not in fixed})
    return found


def mult_adds(module, call, args, states) -> int:
    """torchinfo's mult-adds for the module's own row (its first), as it ran here."""
    import torchinfo

    class Wrapped(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = module

        def forward(self, *xs):
            return call(self.inner, xs, states)

    stats = torchinfo.summary(Wrapped(), input_data=list(args), verbose=0)
    return stats.summary_list[1].macs
