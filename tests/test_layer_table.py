"""Completeness tests for the layer table, one case per ``LAYERS`` entry.

Every layer type is run, on its own ``example``, through finite differences (input and every
parameter, through ``graph.forward``/``graph.backward``), through its shape rule (output
shape, parameter shapes and count agree with what forward produces), and, with torch
installed, against its ``torch.nn`` namesake. A new entry is covered without a test of its
own; an entry that lacks a namesake or an example cannot be constructed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hwcheck.engine import graph
from hwcheck.engine.layers import LAYERS, REQUIRED, initial_params
from hwcheck.engine.network import layer, summarize

from tests.support.gradcheck import numeric_vjp

KINDS = sorted(LAYERS)
NAME = "L"


def sample(kind: str, seed: int = 0):
    """The entry's example layer, its summary row, an input, random parameters and a dy."""
    d = LAYERS[kind]
    shape, options = d.example
    lay = layer(kind, NAME, **options)
    row = summarize(shape, [lay]).layers[0]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    params = {f"{NAME}.{p}": rng.standard_normal(s) for p, s in row.param_shapes.items()}
    dy = rng.standard_normal(row.output_shape)
    return lay, row, x, params, dy


def run(lay, params, x):
    return graph.forward([lay], params, x).values[NAME][0]


@pytest.mark.parametrize("kind", KINDS)
def test_the_entry_is_complete(kind):
    d = LAYERS[kind]
    names = [o.name for o in d.options]
    assert len(set(names)) == len(names), "an option is listed twice"
    assert all(o.help for o in d.options), "every option needs help text for the schema"
    assert all(p.help for p in d.params), "every parameter needs help text for the schema"
    assert d.torch and d.torch_mode in ("train", "eval")
    assert not set(names) & {p.name for p in d.params if not p.buffer} - {"bias"}, \
        "only `bias` may be both a switch and a given value"
    required = {o.name for o in d.options if o.default is REQUIRED}
    assert required <= set(d.example[1]), "the example must give every required option"
    _, row, _, _, _ = sample(kind)
    owners = {name: d.param_for(name) for name in row.param_shapes}
    assert None not in owners.values(), "the shape rule names a parameter the entry lacks"
    learned = {p.name for p in d.params if not p.buffer}
    assert {p.name for p in owners.values()} == learned, \
        "the example must switch on every parameter, so that each one is gradchecked"


@pytest.mark.parametrize("kind", KINDS)
def test_backward_matches_finite_differences(kind):
    lay, row, x, params, dy = sample(kind)
    names = list(params)
    trace = graph.forward([lay], params, x)
    grads = graph.backward(trace, NAME, dy)

    def f(x, *values):
        return run(lay, dict(zip(names, values)), x)

    numeric = numeric_vjp(f, [x, *params.values()], dy, wrt=range(1 + len(names)))
    for key, num in zip(["input", *names], numeric):
        assert key in grads, f"no gradient for {key}"
        np.testing.assert_allclose(grads[key], num, rtol=1e-5, atol=1e-7, err_msg=key)


@pytest.mark.parametrize("kind", KINDS)
def test_shape_rule_and_parameter_count_match_forward(kind):
    lay, row, x, params, dy = sample(kind)
    y = run(lay, params, x)
    assert y.shape == row.output_shape
    counted = [a for key, a in params.items()
               if not LAYERS[kind].param_for(key.split(".", 1)[1]).state]
    assert row.params == sum(a.size for a in counted)
    assert row.params == sum(math.prod(s) for p, s in row.param_shapes.items()
                             if not LAYERS[kind].param_for(p).state)
    grads = graph.backward(graph.forward([lay], params, x), NAME, dy)
    for key, value in params.items():
        assert grads[key].shape == value.shape, key
    init = initial_params(lay, row.param_shapes, lambda p: np.random.default_rng(7))
    assert set(init) == set(row.param_shapes)
    for p, shape in row.param_shapes.items():
        assert init[p].shape == shape and np.all(np.isfinite(init[p])), p


@pytest.mark.torch
@pytest.mark.parametrize("kind", KINDS)
def test_forward_and_backward_match_the_torch_namesake(kind):
    torch = pytest.importorskip("torch")
    d = LAYERS[kind]
    lay, row, x, params, dy = sample(kind)
    kwargs = d.torch_kwargs(dict(lay.options))
    if d.torch_input:                    # not Lazy: torch is told the input size
        kwargs[d.torch_input] = x.shape[-1]
    module = getattr(torch.nn, d.torch)(**kwargs).double()
    call = d.torch_call or (lambda m, x, states: m(x))
    xt = torch.tensor(x[None], requires_grad=True)
    states = {key: torch.tensor(value, requires_grad=True) for key, value in params.items()
              if d.param_for(key.split(".", 1)[1]).state}
    with torch.no_grad():
        call(module, xt, {k.split(".", 1)[1]: v for k, v in states.items()})  # Lazy: builds
        for key, value in params.items():
            if key not in states:
                getattr(module, key.split(".", 1)[1]).copy_(torch.from_numpy(value))
    module.train(d.torch_mode == "train")
    yt = call(module, xt, {k.split(".", 1)[1]: v for k, v in states.items()})
    yt.backward(torch.from_numpy(dy[None]))
    trace = graph.forward([lay], params, x)
    grads = graph.backward(trace, NAME, dy)
    np.testing.assert_allclose(trace.values[NAME], yt.detach().numpy(), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(grads["input"], xt.grad[0].numpy(), rtol=1e-7, atol=1e-10)
    for key in params:
        theirs = (states[key] if key in states else getattr(module, key.split(".", 1)[1]))
        theirs = theirs.grad.numpy()
        np.testing.assert_allclose(grads[key], theirs, rtol=1e-7, atol=1e-10, err_msg=key)


def test_initial_values_are_pytorch_scaled_and_seeded_per_parameter():
    """conv/linear: N(0, 1)/√fan_in from each parameter's own generator; norms: ones, zeros."""
    seeds = {"weight": 11, "bias": 12}
    rng_for = lambda p: np.random.default_rng(seeds[p])  # noqa: E731
    lin = layer("linear", "fc", out=3)
    got = initial_params(lin, {"weight": (3, 8), "bias": (3,)}, rng_for)
    np.testing.assert_array_equal(got["weight"],
                                  np.random.default_rng(11).standard_normal((3, 8)) / np.sqrt(8))
    np.testing.assert_array_equal(got["bias"],
                                  np.random.default_rng(12).standard_normal(3) / np.sqrt(8))
    # a given weight is left out but still sets the bias's fan-in
    only = initial_params(lin, {"weight": (3, 8), "bias": (3,)}, rng_for, given={"weight"})
    assert set(only) == {"bias"} and np.array_equal(only["bias"], got["bias"])
    bn = layer("batchnorm2d", "bn")
    got = initial_params(bn, {"weight": (4,), "bias": (4,)}, rng_for)
    assert got["weight"].tolist() == [1.0] * 4 and got["bias"].tolist() == [0.0] * 4
