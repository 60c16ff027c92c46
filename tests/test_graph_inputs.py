"""Layers that read named quantities (issue 12): ``inputs:`` on any layer, several named
network inputs, and gradients that add up where a quantity is read more than once."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from hwcheck.engine import graph
from hwcheck.engine.network import NetworkError, layer, summarize
from tests.support.gradcheck import numeric_vjp


def _net():
    """x → Q, K, V by three linear layers that all read x; causal attention; + V again."""
    return [layer("linear", "wq", out=4),
            replace(layer("linear", "wk", out=4), inputs=("input",)),
            replace(layer("linear", "wv", out=2), inputs=("input",)),
            replace(layer("attention", "att", causal=True), inputs=("wq", "wk", "wv")),
            replace(layer("add", "out"), inputs=("att", "wv"))]


def _params(rng):
    return {"wq.weight": rng.standard_normal((4, 4)), "wq.bias": rng.standard_normal(4),
            "wk.weight": rng.standard_normal((4, 4)), "wk.bias": rng.standard_normal(4),
            "wv.weight": rng.standard_normal((2, 4)), "wv.bias": rng.standard_normal(2)}


def test_the_summary_follows_the_named_inputs():
    s = summarize((3, 4), _net())
    assert [r.output_shape for r in s.layers] == [(3, 4), (3, 4), (3, 2), (3, 2), (3, 2)]
    assert s.output_shape == (3, 2) and s.total_params == 20 + 20 + 10
    named = summarize({"q": (2, 4), "k": (5, 4), "v": (5, 3)},
                      [replace(layer("attention", "a"), inputs=("q", "k", "v"))])
    assert named.input_shape == (2, 4) and named.output_shape == (2, 3)


def test_a_quantity_read_twice_gets_both_gradients():
    rng = np.random.default_rng(3)
    x, params, dy = rng.standard_normal((3, 4)), _params(rng), rng.standard_normal((3, 2))
    grads = graph.backward(graph.forward(_net(), params, x), "out", dy)

    def f(x, *values):
        p = dict(zip(params, values))
        return graph.forward(_net(), p, x).values["out"][0]

    numeric = numeric_vjp(f, [x, *params.values()], dy, wrt=range(1 + len(params)))
    for name, num in zip(["input", *params], numeric):
        np.testing.assert_allclose(grads[name], num, rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.torch
def test_named_quantities_match_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, params, dy = rng.standard_normal((3, 4)), _params(rng), rng.standard_normal((3, 2))
    grads = graph.backward(graph.forward(_net(), params, x), "out", dy)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in {"input": x, **params}.items()}
    lin = {n: t["input"] @ t[f"{n}.weight"].T + t[f"{n}.bias"] for n in ("wq", "wk", "wv")}
    att = torch.nn.functional.scaled_dot_product_attention(
        lin["wq"], lin["wk"], lin["wv"], is_causal=True)
    (att + lin["wv"]).backward(torch.from_numpy(dy))
    for name, tensor in t.items():
        np.testing.assert_allclose(grads[name], tensor.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def test_named_network_inputs_each_get_a_gradient():
    rng = np.random.default_rng(5)
    xs = {"q": rng.standard_normal((2, 3)), "k": rng.standard_normal((4, 3)),
          "v": rng.standard_normal((4, 2))}
    att = replace(layer("attention", "a"), inputs=("q", "k", "v"))
    grads = graph.backward(graph.forward([att], {}, xs), "a", np.ones((2, 2)))
    assert {n: grads[n].shape for n in xs} == {n: v.shape for n, v in xs.items()}


@pytest.mark.parametrize("inputs, message", [
    ((), "reads 2 inputs (a, b)"),
    (("input", "nowhere"), "reads 'nowhere', which is no input and no earlier layer"),
])
def test_a_layer_that_cannot_read_its_inputs_is_refused(inputs, message):
    with pytest.raises(NetworkError, match=message.replace("(", r"\(").replace(")", r"\)")):
        summarize((4,), [replace(layer("add", "s"), inputs=inputs)])


def test_embedding_indices_have_no_gradient():
    emb = layer("embedding", "e", num_embeddings=4, embedding_dim=2)
    w = np.arange(8.0).reshape(4, 2)
    trace = graph.forward([emb], {"e.weight": w}, np.array([1, 1, 3]))
    np.testing.assert_array_equal(trace.values["e"][0], w[[1, 1, 3]])
    grads = graph.backward(trace, "e", np.ones((3, 2)))
    assert "input" not in grads
    np.testing.assert_array_equal(grads["e.weight"], [[0, 0], [2, 2], [0, 0], [1, 1]])
    with pytest.raises(ValueError, match="whole numbers"):
        graph.forward([emb], {"e.weight": w}, np.array([0.5]))


def _attention_net():
    """Cross-attention with key and value widths of their own (kdim, vdim: separate
    q/k/v_proj_weight), reading two network inputs and a layer, then self-attention."""
    from tests.support.nets import Net
    return Net({"Q": (2, 4), "X": (3, 3)}, (
        replace(layer("linear", "enc", out=5), inputs=("X",)),
        replace(layer("multiheadattention", "xa", embed_dim=4, num_heads=2, kdim=5, vdim=3,
                      add_bias_kv=True), inputs=("Q", "enc", "X")),
        layer("multiheadattention", "sa", embed_dim=4, num_heads=1, add_zero_attn=True),
        layer("linear", "out", out=2)))


@pytest.mark.torch
@pytest.mark.parametrize("batch", [None, 3])
def test_cross_and_self_attention_networks_match_torch(batch):
    pytest.importorskip("torch")
    from hwcheck.engine.solvers import gradient
    from tests.support.nets import random_params
    from tests.support.torch_run import T, close, compare_all, torch_case, torch_loss

    net = _attention_net()
    rng = np.random.default_rng(8)
    params = random_params(net, rng)
    lead = (batch,) if batch else ()
    x = {n: rng.standard_normal((*lead, *s)) for n, s in net.input_shape.items()}
    target = rng.standard_normal((*lead, 2, 2))
    assert {"xa.k_proj_weight", "xa.bias_k", "sa.in_proj_weight"} <= set(params)
    values = gradient.solve(net.layers, params, x, loss="mse", target=target,
                            batched=bool(batch))
    tp, tx, outs, out = torch_case(net, params, x, bool(batch))
    E = torch_loss("mse", out, T(target) if batch else T(target)[None], False)
    E.backward()
    close(values["loss"], E, "attention net loss")
    compare_all(values, net, tp, tx, outs, batched=bool(batch))
    for name in x:                      # both network inputs, X read twice
        close(values[f"grad.{name}"], tx[name].grad if batch else tx[name].grad[0],
              f"grad {name}")
