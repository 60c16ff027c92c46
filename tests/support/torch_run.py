"""PyTorch's side of the torch cross-checks: a layer stack run with torch.nn.functional
(every layer the table has), the losses, and the comparison with a worst-case record.

Shared by tests/test_solvers_torch.py and the example and quantity checks; import it only
where torch is installed (``pytest.importorskip("torch")`` first).
"""

from __future__ import annotations

import numpy as np
import torch

from hwcheck.engine.layers import LAYERS
from tests.support.nets import all_layers
from tests.support.strategies import ELEMENTWISE

F = torch.nn.functional

TOL = 1e-9
WORST: dict = {}     # largest |hwcheck − torch| per check, for the report


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


def torch_forward(layers, params: dict, x: "torch.Tensor", outs: dict) -> "torch.Tensor":
    """Batched x (1, ...) through ``layers`` as torch.nn.functional; outputs into ``outs``."""
    for lay in layers:
        o, k = lay.options, lay.kind
        w, b = params.get(f"{lay.name}.weight"), params.get(f"{lay.name}.bias")
        if k == "residual":
            body = torch_forward(lay.body, params, x, outs)
            short = torch_forward(lay.shortcut, params, x, outs) if lay.shortcut else x
            y = body + short
        elif k == "conv2d":
            y = F.conv2d(x, w, b, o["stride"], o["padding"], o["dilation"], o["groups"])
        elif k == "linear":
            y = F.linear(x, w, b)
        elif k == "maxpool2d":
            y = F.max_pool2d(x, o["kernel"], o["stride"], o["padding"], o["dilation"],
                             o["ceil_mode"])
        elif k == "avgpool2d":
            y = F.avg_pool2d(x, o["kernel"], o["stride"], o["padding"], o["ceil_mode"],
                             o["count_include_pad"])
        elif k == "adaptiveavgpool2d":
            y = F.adaptive_avg_pool2d(x, o["output_size"])
        elif k == "flatten":
            y = torch.flatten(x, 1)
        elif k in ELEMENTWISE:       # activations and dropout: the table's namesake module
            d = LAYERS[k]
            y = getattr(torch.nn, d.torch)(**d.torch_kwargs(dict(o))).train(
                d.torch_mode == "train")(x)
        elif k == "softmax":
            dim = o["dim"]
            y = torch.softmax(x, dim + 1 if dim >= 0 else dim)
        elif k in ("batchnorm2d", "batchnorm1d"):
            y = F.batch_norm(x, None, None, w, b, training=True, eps=o["eps"])
        elif LAYERS.get(k) is not None and LAYERS[k].torch_call is not None:
            y = _table_module(lay, params, x)
        else:
            raise AssertionError(f"no torch forward for {k}")
        if y is x:          # dropout (eval mode), or flatten of a flat input: a layer of its own
            y = x.clone()
        if y.requires_grad:
            y.retain_grad()
        outs[lay.name] = y
        x = y
    return x


def _table_module(lay, params: dict, x):
    """A layer whose namesake the table calls itself (rnn, lstm, gru), with our parameter
    tensors swapped in (``functional_call``) so that their gradients reach ``params``."""
    d = LAYERS[lay.kind]
    kwargs = d.torch_kwargs(dict(lay.options))
    if d.torch_input:
        kwargs[d.torch_input] = x.shape[-1]
    module = getattr(torch.nn, d.torch)(**kwargs).double().train(d.torch_mode == "train")
    prefix = f"{lay.name}."
    own = {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}
    states = {k: v for k, v in own.items() if d.param_for(k).state}
    weights = {k: v for k, v in own.items() if k not in states}
    return d.torch_call(_Swapped(module, weights), (x,), states)


class _Swapped:
    """Calls ``module`` with ``weights`` in place of its own parameters."""

    def __init__(self, module, weights):
        self.module, self.weights = module, weights

    def __call__(self, *args):
        return torch.func.functional_call(self.module, self.weights, args)


def torch_loss(kind, out, target, softmax_last):
    """cross_entropy: torch's cross_entropy with a probability target and its default
    'mean' over the positions (after a softmax, on log q); mse: MSELoss (mean)."""
    if kind == "mse":
        return F.mse_loss(out, target)
    if softmax_last:    # the softmax's own axis may not be torch's class axis 1
        return -(target * torch.log(out)).sum() / (out.numel() // out.shape[1])
    return F.cross_entropy(out, target)


def torch_case(net, params, x):
    tp = {k: T(v).requires_grad_() for k, v in params.items()}
    tx = T(x)[None].requires_grad_()
    outs: dict = {}
    out = torch_forward(net.layers, tp, tx, outs)
    return tp, tx, outs, out


def compare_all(values, net, tp, tx, outs, missing_ok=False):
    for lay in all_layers(net.layers):
        close(values[lay.name], outs[lay.name][0], f"output {lay.kind}")
        grad = outs[lay.name].grad
        if f"grad.{lay.name}" not in values:
            assert missing_ok and (grad is None or not grad.abs().max() > 0), lay.name
            continue
        close(values[f"grad.{lay.name}"], grad[0], f"grad {lay.kind}")
    close(values["grad.input"], tx.grad[0], "grad input")
    for name, p in tp.items():
        if f"grad.{name}" not in values:
            assert missing_ok and (p.grad is None or not p.grad.abs().max() > 0), name
            continue
        close(values[f"grad.{name}"], p.grad, f"grad {name.rpartition('.')[2]}")
