"""Completeness tests for the layer table, one case per ``LAYERS`` entry.

Every layer type is run, on its own ``example``, through finite differences (input and every
parameter, through ``graph.forward``/``graph.backward``), through its shape rule (output
shape, parameter shapes and count agree with what forward produces), and, with torch
installed, against its ``torch.nn`` namesake. A new entry is covered without a test of its
own; an entry that lacks a namesake or an example cannot be constructed.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace

import numpy as np
import pytest

from hwcheck.engine import graph
from hwcheck.engine.layers import LAYERS, REQUIRED, initial_params
from hwcheck.engine.layers.more import MORE
from hwcheck.engine.layers.recurrent import RECURRENT
from hwcheck.engine.network import layer, summarize

from tests.support.gradcheck import numeric_vjp

KINDS = sorted(LAYERS)
NAME = "L"


def sample(kind: str, seed: int = 0, example=None, batch: int | None = None):
    """The entry's example layer, its summary row, its inputs by name (one array, or one per
    name in ``inputs``), random parameters and a dy; the inputs and dy lead with ``batch``
    when given. An ``indices`` entry gets whole numbers below its bound."""
    d = LAYERS[kind]
    shape, options = example or d.example
    several = bool(d.inputs) and isinstance(shape[0], tuple)   # else one (self-attention)
    lay = replace(layer(kind, NAME, **options), inputs=d.inputs if several else ())
    shapes = dict(zip(d.inputs, shape)) if several else {"input": shape}
    row = summarize(shapes, [lay]).layers[0]
    rng = np.random.default_rng(seed)
    lead = (batch,) if batch else ()
    if d.indices:
        xs = {n: rng.integers(0, lay.options[d.indices], (*lead, *s)).astype(float)
              for n, s in shapes.items()}
    else:
        xs = {n: rng.standard_normal((*lead, *s)) for n, s in shapes.items()}
    params = {f"{NAME}.{p}": rng.standard_normal(s) for p, s in row.param_shapes.items()}
    dy = rng.standard_normal((*lead, *row.output_shape))
    return lay, row, xs, params, dy


def run(lay, params, xs, batched: bool = False):
    y = graph.forward([lay], params, xs, batched=batched).values[NAME]
    return y if batched else y[0]


def _param(module, key: str):
    """``L.out_proj.weight`` → module.out_proj.weight."""
    return functools.reduce(getattr, key.split(".")[1:], module)


@pytest.mark.parametrize("kind", KINDS)
def test_the_entry_is_complete(kind):
    d = LAYERS[kind]
    names = [o.name for o in d.options]
    assert len(set(names)) == len(names), "an option is listed twice"
    assert all(o.help for o in d.options), "every option needs help text for the schema"
    assert all(p.help for p in d.params), "every parameter needs help text for the schema"
    assert all(o.default in o.choices for o in d.options if o.type == "choice")
    assert d.torch and d.torch_mode in ("train", "eval")
    assert not set(names) & {p.name for p in d.params if not p.buffer} - {"bias"}, \
        "only `bias` may be both a switch and a given value"
    required = {o.name for o in d.options if o.default is REQUIRED}
    assert required <= set(d.example[1]), "the example must give every required option"
    assert d.indices is None or d.indices in names
    switched = set()
    for example in [d.example, *(e for k, e in MORE_EXAMPLES if k == kind)]:
        _, row, _, _, _ = sample(kind, example=example)
        owners = {name: d.param_for(name) for name in row.param_shapes}
        assert None not in owners.values(), "the shape rule names a parameter the entry lacks"
        switched |= {p.name for p in owners.values()}
    learned = {p.name for p in d.params if not p.buffer}
    assert switched == learned, "the example, or one of MORE_EXAMPLES (when the options " \
        "exclude each other), must switch on every parameter, so that each one is gradchecked"


@pytest.mark.parametrize("kind", KINDS)
def test_backward_matches_finite_differences(kind, example=None, batch=None):
    lay, row, xs, params, dy = sample(kind, example=example, batch=batch)
    names = list(params)
    trace = graph.forward([lay], params, xs, batched=bool(batch))
    grads = graph.backward(trace, NAME, dy)
    inputs = [] if LAYERS[kind].indices else list(xs)
    if LAYERS[kind].indices:            # integer indices: no gradient, none invented
        assert not set(xs) & set(grads)

    def f(*values):
        given = dict(zip(inputs + names, values))
        return run(lay, {n: given[n] for n in names},
                   {n: given.get(n, x) for n, x in xs.items()}, bool(batch))

    wrt = [*(xs[n] for n in inputs), *params.values()]
    numeric = numeric_vjp(f, wrt, dy, wrt=range(len(wrt)))
    for key, num in zip(inputs + names, numeric):
        assert key in grads, f"no gradient for {key}"
        num = _unlearned(lay, key, num, grads[key])
        np.testing.assert_allclose(grads[key], num, rtol=1e-5, atol=1e-7, err_msg=key)


def _unlearned(lay, key: str, numeric, grad):
    """torch's convention over the calculus: an embedding's ``padding_idx`` row is read but
    never learned, so its gradient is zero where finite differences see one. The row must
    be read (else the check proves nothing) and is left out of the comparison."""
    pad = lay.options.get("padding_idx") if lay.kind == "embedding" else None
    if pad is None or not key.endswith(".weight"):
        return numeric
    assert np.abs(numeric[pad]).max() > 0, "the example never reads the padding row"
    assert not np.any(grad[pad]), "the padding row got a gradient"
    numeric = numeric.copy()
    numeric[pad] = 0.0
    return numeric


@pytest.mark.parametrize("kind", KINDS)
def test_shape_rule_and_parameter_count_match_forward(kind):
    lay, row, xs, params, dy = sample(kind)
    y = run(lay, params, xs)
    assert y.shape == row.output_shape
    own = LAYERS[kind].param_for
    assert row.params == sum(a.size for key, a in params.items()
                             if not own(key.split(".", 1)[1]).state)
    assert row.params == sum(math.prod(s) for p, s in row.param_shapes.items()
                             if not own(p).state)
    grads = graph.backward(graph.forward([lay], params, xs), NAME, dy)
    for key, value in params.items():
        assert grads[key].shape == value.shape, key
    for key, value in xs.items():
        assert key not in grads or grads[key].shape == value.shape, key
    init = initial_params(lay, row.param_shapes, lambda p: np.random.default_rng(7))
    assert set(init) == set(row.param_shapes)
    for p, shape in row.param_shapes.items():
        assert init[p].shape == shape and np.all(np.isfinite(init[p])), p


def _namesake(torch, name: str):
    """``d.torch`` under torch.nn, else under torch (``functional.x``, ``add``)."""
    try:
        return functools.reduce(getattr, name.split("."), torch.nn)
    except AttributeError:
        return functools.reduce(getattr, name.split("."), torch)


#: Option settings beyond each entry's own example (the other branch of a switch or choice).
MORE_EXAMPLES = [
    ("gelu", ((2, 5), {"approximate": "none"})),
    ("layernorm", ((3, 4), {"normalized_shape": 4, "bias": False})),
    ("layernorm", ((2, 3), {"normalized_shape": 3, "elementwise_affine": False})),
    ("multiheadattention", ((4, 6), {"embed_dim": 6, "num_heads": 3, "bias": False})),
    ("multiheadattention", ((2, 4), {"embed_dim": 4, "num_heads": 1})),
    ("multiheadattention", (((3, 4), (5, 3), (5, 2)), {"embed_dim": 4, "num_heads": 2,
                                                       "kdim": 3, "vdim": 2})),
    ("multiheadattention", (((2, 6), (4, 6), (4, 5)), {"embed_dim": 6, "num_heads": 3,
                                                       "vdim": 5, "add_bias_kv": True,
                                                       "bias": False})),
    ("multiheadattention", (((3, 4), (2, 4), (2, 4)), {"embed_dim": 4, "num_heads": 2,
                                                       "kdim": 4, "add_zero_attn": True})),
    ("multiheadattention", ((3, 6), {"embed_dim": 6, "num_heads": 2, "add_zero_attn": True})),
    ("multiheadattention", ((1, 4), {"embed_dim": 4, "num_heads": 2, "add_bias_kv": True,
                                     "add_zero_attn": True, "bias": False})),
    ("attention", (((4, 3), (4, 3), (4, 5)), {})),
    ("attention", (((4, 3), (2, 3), (2, 1)), {"causal": True})),
    ("convtranspose2d", ((3, 4, 5), {"out": 2, "kernel": 3})),
    ("conv1d", ((3, 7), {"out": 2, "kernel": 4, "bias": False})),
    ("embedding", ((5,), {"num_embeddings": 3, "embedding_dim": 2})),
    ("conv2d", ((2, 4, 5), {"out": 2, "kernel": 3, "padding": (3, 2),
                            "padding_mode": "reflect"})),
    ("conv2d", ((2, 3, 4), {"out": 4, "kernel": (2, 3), "stride": 2, "padding": (4, 1),
                            "dilation": (1, 2), "groups": 2, "padding_mode": "replicate"})),
    ("conv2d", ((1, 3, 2), {"out": 2, "kernel": 2, "padding": (3, 2),
                            "padding_mode": "circular", "bias": False})),
    ("conv1d", ((2, 5), {"out": 3, "kernel": 3, "padding": 4, "padding_mode": "reflect"})),
    ("conv1d", ((2, 4), {"out": 2, "kernel": 2, "stride": 2, "padding": 3, "dilation": 2,
                         "padding_mode": "replicate"})),
    ("conv1d", ((3, 3), {"out": 3, "kernel": 2, "padding": 3, "groups": 3,
                         "padding_mode": "circular"})),
    ("embedding", ((3, 4), {"num_embeddings": 3, "embedding_dim": 2, "padding_idx": -1})),
    ("embedding", ((6,), {"num_embeddings": 5, "embedding_dim": 2, "padding_idx": 0})),
]


@pytest.mark.torch
@pytest.mark.parametrize("kind, example", MORE_EXAMPLES, ids=[k for k, _ in MORE_EXAMPLES])
def test_other_options_match_the_torch_namesake(kind, example):
    test_forward_and_backward_match_the_torch_namesake(kind, example)


@pytest.mark.parametrize("kind, example", MORE_EXAMPLES, ids=[k for k, _ in MORE_EXAMPLES])
def test_other_options_match_finite_differences(kind, example):
    test_backward_matches_finite_differences(kind, example)


#: Batched runs (N, ...): a recurrent layer shares its h0 (and c0) across the N sequences,
#: so their gradients add up; torch is given that h0 expanded over the batch. Attention's
#: bias_k and bias_v are shared by the batch the same way.
BATCHED_EXAMPLES = [
    ("rnn", 3, ((4, 2), {"hidden_size": 3, "nonlinearity": "relu"})),
    ("gru", 2, ((3, 3), {"hidden_size": 2, "num_layers": 2})),
    ("lstm", 3, ((4, 3), {"hidden_size": 3, "num_layers": 2, "bidirectional": True})),
    ("lstm", 2, ((3, 2), {"hidden_size": 3, "bidirectional": True, "proj_size": 2})),
    ("rnn", 2, ((2, 3), {"hidden_size": 2, "num_layers": 2, "bidirectional": True,
                         "bias": False})),
    ("multiheadattention", 3, ((3, 4), {"embed_dim": 4, "num_heads": 2, "add_bias_kv": True,
                                        "add_zero_attn": True})),
]
_BATCHED_IDS = [f"{k}-N{n}-{i}" for i, (k, n, _) in enumerate(BATCHED_EXAMPLES)]


@pytest.mark.torch
@pytest.mark.parametrize("kind, batch, example", BATCHED_EXAMPLES, ids=_BATCHED_IDS)
def test_a_batch_matches_the_torch_namesake(kind, batch, example):
    test_forward_and_backward_match_the_torch_namesake(kind, example, batch)


@pytest.mark.parametrize("kind, batch, example", BATCHED_EXAMPLES, ids=_BATCHED_IDS)
def test_a_batch_matches_finite_differences(kind, batch, example):
    test_backward_matches_finite_differences(kind, example, batch)


@pytest.mark.torch
@pytest.mark.parametrize("kind", KINDS)
def test_forward_and_backward_match_the_torch_namesake(kind, example=None, batch=None):
    torch = pytest.importorskip("torch")
    d = LAYERS[kind]
    lay, row, xs, params, dy = sample(kind, example=example, batch=batch)
    lead = (lambda a: a) if batch else (lambda a: a[None])
    if d.indices:
        xts = {n: torch.tensor(lead(x)).long() for n, x in xs.items()}
    else:
        xts = {n: torch.tensor(lead(x), requires_grad=True) for n, x in xs.items()}
    args = tuple(xts.values())
    namesake = _namesake(torch, d.torch)
    kwargs = d.torch_kwargs(dict(lay.options))
    states = {key.split(".", 1)[1]: torch.tensor(value, requires_grad=True)
              for key, value in params.items() if d.param_for(key.split(".", 1)[1]).state}
    if isinstance(namesake, type):
        if d.torch_input:                    # not Lazy: torch is told the input size
            kwargs[d.torch_input] = args[0].shape[-1]
        module = namesake(**kwargs).double()
        call = d.torch_call or (lambda m, a, s: m(*a))
        with torch.no_grad():
            call(module, args, states)        # materialises a Lazy module's parameters
            for key, value in params.items():
                if key.split(".", 1)[1] not in states:
                    _param(module, key).copy_(torch.from_numpy(value))
        module.train(d.torch_mode == "train")
        yt = call(module, args, states)
    else:
        assert not params, "a function namesake cannot hold parameters"
        module, yt = None, namesake(*args, **kwargs)
    yt.backward(torch.from_numpy(lead(dy)))
    trace = graph.forward([lay], params, xs, batched=bool(batch))
    grads = graph.backward(trace, NAME, dy)
    np.testing.assert_allclose(trace.values[NAME], yt.detach().numpy(), rtol=1e-9, atol=1e-11)
    for n, xt in xts.items():
        if not d.indices:
            theirs = xt.grad if batch else xt.grad[0]
            np.testing.assert_allclose(grads[n], theirs.numpy(), rtol=1e-9, atol=1e-11,
                                       err_msg=n)
    for key in params:
        short = key.split(".", 1)[1]
        theirs = (states[short] if short in states else _param(module, key)).grad.numpy()
        np.testing.assert_allclose(grads[key], theirs, rtol=1e-9, atol=1e-11, err_msg=key)


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


def test_an_embedding_starts_with_its_padding_row_zero_as_torch():
    """nn.Embedding(padding_idx=…) zeros that row at init; the others are N(0, 1) draws."""
    emb = layer("embedding", "e", num_embeddings=4, embedding_dim=3, padding_idx=-2)
    got = initial_params(emb, {"weight": (4, 3)}, lambda p: np.random.default_rng(5))
    drawn = np.random.default_rng(5).standard_normal((4, 3))
    np.testing.assert_array_equal(got["weight"][2], 0.0)
    np.testing.assert_array_equal(np.delete(got["weight"], 2, 0), np.delete(drawn, 2, 0))
    plain = layer("embedding", "e", num_embeddings=4, embedding_dim=3)
    got = initial_params(plain, {"weight": (4, 3)}, lambda p: np.random.default_rng(5))
    np.testing.assert_array_equal(got["weight"], drawn)
    assert initial_params(emb, {"weight": (4, 3)}, lambda p: None, given={"weight"}) == {}


@pytest.mark.torch
@pytest.mark.parametrize("kind", sorted(MORE) + sorted(RECURRENT))
def test_mult_adds_are_torchinfos(kind, example=None):
    """The entries of ``more.py`` count mult-adds as torchinfo's row for their namesake does
    (for multiheadattention that row's count, which torchinfo's total leaves out because the
    module has a child that never runs)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchinfo")
    from tests.support.torch_run import mult_adds

    d = LAYERS[kind]
    lay, row, xs, params, _ = sample(kind, example=example)
    namesake = _namesake(torch, d.torch)
    if not isinstance(namesake, type):
        assert row.mult_adds == 0       # a function holds no parameters for torchinfo to count
        return
    kwargs = d.torch_kwargs(dict(lay.options))
    if d.torch_input:
        kwargs[d.torch_input] = next(iter(xs.values())).shape[-1]
    module = namesake(**kwargs).double()
    states = {key.split(".", 1)[1]: torch.tensor(value) for key, value in params.items()
              if d.param_for(key.split(".", 1)[1]).state}
    args = [torch.tensor(x[None]).long() if d.indices else torch.tensor(x[None])
            for x in xs.values()]
    call = d.torch_call or (lambda m, a, s: m(*a))
    assert row.mult_adds == mult_adds(module, call, args, states)


@pytest.mark.torch
@pytest.mark.parametrize("kind, example", MORE_EXAMPLES, ids=[k for k, _ in MORE_EXAMPLES])
def test_other_options_count_mult_adds_as_torchinfo(kind, example):
    test_mult_adds_are_torchinfos(kind, example)
