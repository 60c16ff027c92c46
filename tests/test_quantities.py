"""Quantities as parts (issue 12, deliverable 5): counts, shapes, mult-adds, receptive
fields and full Jacobians, each checked against an independent computation."""

from __future__ import annotations


import numpy as np
import pytest

from hwcheck.engine import graph
from hwcheck.engine.network import Layer, layer
from hwcheck.engine.solvers import jacobian
from hwcheck.engine.solvers.param_count import network_quantities
from hwcheck.kinds import solve_spec
from hwcheck.kinds.network_step import network
from hwcheck.spec.catalog import resolve
from hwcheck.spec.instance import make_instance
from tests.support.gradcheck import evaluate
from tests.support.helpers import PROBLEMS
from tests.support.nets import Net, random_params


def _named(kind: str, name: str, **options) -> Layer:
    lay = layer(kind, **options)
    return Layer(lay.kind, name, lay.options)


def test_p3_counts_shapes_and_mult_adds():
    spec = resolve("p3", PROBLEMS)
    net = network(spec, make_instance(spec))
    q = network_quantities(net.summary(), net.layers)
    assert q["total_params"] == 513466
    # torchinfo at batch 1: a conv's (out·C·k² + out) parameters at each of H'·W' positions
    first = 32 * 32 * (32 * 3 * 5 * 5 + 32)
    assert q["conv2d_1.mult_adds"] == first
    convs = first + 16 * 16 * (48 * 32 * 9 + 48) + 8 * 8 * (64 * 48 * 9 + 64)
    assert q["conv_mult_adds"] == convs
    linears = (1024 * 384 + 384) + (384 * 192 + 192) + (192 * 10 + 10)
    assert q["total_mult_adds"] == convs + linears
    assert list(q["maxpool2d_3.output_shape"]) == [64, 4, 4]
    assert list(q["flatten_1.output_shape"]) == [1024]
    assert list(q["output_shape"]) == [10]
    assert q["linear_1.params"] == 1024 * 384 + 384
    # r' = r + (k − 1)·j, j' = j·s: 5, 6, 10, 12, 20, 24; it ends at flatten
    fields = [q[f"{n}.receptive_field"] for n in ("conv2d_1", "maxpool2d_1", "conv2d_2",
                                                  "maxpool2d_2", "conv2d_3", "maxpool2d_3")]
    assert fields == [5, 6, 10, 12, 20, 24]
    assert q["receptive_field"] == 24
    assert "linear_1.receptive_field" not in q


def _support(layers, shape) -> tuple[int, int]:
    """The receptive field measured: the rows and columns of the input that one central
    output element's gradient reaches (avg pools and positive weights, so nothing cancels)."""
    net = Net(shape, tuple(layers))
    params = {k: np.abs(v) + 0.1 for k, v in random_params(net, np.random.default_rng(0)).items()}
    trace = graph.forward(net.layers, params, np.ones(shape))
    out = trace.values[layers[-1].name][0]
    unit = np.zeros(out.shape)
    unit[0, out.shape[1] // 2, out.shape[2] // 2] = 1
    g = graph.backward(trace, layers[-1].name, unit)["input"]
    rows, cols = np.nonzero(np.abs(g).sum(axis=0))
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


STACKS = {
    "dilated": [_named("conv2d", "a", out=2, kernel=3, dilation=2),
                _named("conv2d", "b", out=2, kernel=3, stride=2),
                _named("avgpool2d", "c", kernel=2)],
    "rectangular": [_named("conv2d", "a", out=2, kernel=(3, 1), stride=(1, 2)),
                    _named("relu", "r"),
                    _named("conv2d", "b", out=2, kernel=(1, 3), dilation=(1, 2))],
    "pools": [_named("avgpool2d", "a", kernel=3, stride=2),
              _named("conv2d", "b", out=1, kernel=2, stride=2),
              _named("avgpool2d", "c", kernel=2, stride=1)],
}


@pytest.mark.parametrize("name", STACKS)
def test_receptive_field_is_what_a_gradient_reaches(name):
    layers = STACKS[name]
    shape = (2, 41, 41)
    q = network_quantities(Net(shape, tuple(layers)).summary, tuple(layers))
    field = q["receptive_field"]
    want = _support(layers, shape)
    assert tuple(np.broadcast_to(field, 2)) == want


# ---- Jacobians --------------------------------------------------------------------------

def _jacobian_fd(layers, params, x, of, wrt, eps=1e-6) -> np.ndarray:
    """Central differences of ``of`` along every entry of ``wrt``: the input, a parameter,
    or a layer's output (perturbed where the layer hands it on)."""
    def run(d):
        if wrt in params:
            return evaluate(layers, {**params, wrt: params[wrt] + d}, x)[1][of]
        return evaluate(layers, params, x, perturb={wrt: d})[1][of]

    base = params[wrt] if wrt in params else evaluate(layers, params, x)[1][wrt]
    cols = []
    for k in range(base.size):
        d = np.zeros(base.size)
        d[k] = eps
        d = d.reshape(base.shape)
        hi, lo = run(d), run(-d)
        cols.append((hi - lo) / (2 * eps))
    return np.moveaxis(np.array(cols), 0, -1).reshape(*cols[0].shape, *base.shape)


NETS = {
    "mlp": ((4,), [_named("linear", "h", out=3), _named("tanh", "a"),
                   _named("linear", "o", out=2), _named("softmax", "q")]),
    "conv": ((2, 5, 5), [_named("conv2d", "c", out=2, kernel=3, padding=1),
                         _named("sigmoid", "s"), _named("avgpool2d", "p", kernel=2),
                         _named("flatten", "f"), _named("linear", "o", out=3)]),
}
CASES = [("mlp", "q", "input"), ("mlp", "q", "h"), ("mlp", "a", "h.weight"),
         ("mlp", "o", "o.bias"), ("mlp", "h", "h"), ("conv", "o", "input"),
         ("conv", "p", "c.weight"), ("conv", "o", "s")]


def _case(net_name: str):
    shape, layers = NETS[net_name]
    net = Net(shape, tuple(layers))
    rng = np.random.default_rng(7)
    return net, random_params(net, rng), rng.standard_normal(shape)


@pytest.mark.parametrize("net_name, of, wrt", CASES, ids=lambda v: str(v))
def test_jacobian_matches_finite_differences(net_name, of, wrt):
    net, params, x = _case(net_name)
    trace = graph.forward(net.layers, params, x)
    J = jacobian.solve(trace, of, wrt, params)
    fd = _jacobian_fd(net.layers, params, x, of, wrt)
    assert J.shape == fd.shape
    np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.torch
@pytest.mark.parametrize("net_name, of, wrt", CASES[:3] + CASES[5:6], ids=lambda v: str(v))
def test_jacobian_matches_torch(net_name, of, wrt):
    torch = pytest.importorskip("torch")
    from tests.support.torch_run import torch_forward

    net, params, x = _case(net_name)
    J = jacobian.solve(graph.forward(net.layers, params, x), of, wrt, params)
    tp = {k: torch.tensor(v, dtype=torch.float64) for k, v in params.items()}

    def fn(v):
        outs: dict = {}
        if wrt == "input":
            torch_forward(net.layers, tp, v[None], outs)
        elif wrt in tp:
            torch_forward(net.layers, {**tp, wrt: v}, torch.tensor(x)[None], outs)
        else:  # a layer's output: run the rest of the network from it
            at = [lay.name for lay in net.layers].index(wrt)
            outs[wrt] = v[None]
            torch_forward(net.layers[at + 1:], tp, v[None], outs)
        return outs[of][0]

    start = torch.tensor(x) if wrt == "input" else tp[wrt] if wrt in tp else \
        torch.tensor(graph.forward(net.layers, params, x).values[wrt][0])
    want = torch.autograd.functional.jacobian(fn, start)
    np.testing.assert_allclose(J, want.numpy(), rtol=1e-9, atol=1e-12)


def test_jacobian_refuses_what_it_cannot_compute():
    net, params, x = _case("mlp")
    trace = graph.forward(net.layers, params, x)
    with pytest.raises(ValueError, match="does not depend on 'o'"):
        jacobian.solve(trace, "h", "o", params)
    with pytest.raises(ValueError, match="known: .*h.weight"):
        jacobian.solve(trace, "q", "zz", params)
    with pytest.raises(ValueError, match="needs a loss"):
        jacobian.solve(trace, "loss", "input", params)
    assert jacobian.parse_name("jacobian(q, input)") == ("q", "input")
    assert jacobian.parse_name("jacobian(q)") is None


SPEC = """\
id: jac
title: Softmax Jacobian
kind: gradient
points: 3
statement: q = softmax(z).
sizes: {{N: 4}}
network:
  input: [N]
  layers:
    - softmax: {{name: q}}
input: {{random: normal, seed: 401}}
target: {{random: dirichlet, seed: 402}}
loss: cross_entropy
symbols:
  z: {{quantity: input, shape: [N]}}
  q: {{quantity: q, shape: [N]}}
parts:
  J: {{quantity: "{quantity}", shape: [N, N], index: [a, b], points: 2}}
  size: {{quantity: q.output_shape, points: 1}}
"""


def test_a_jacobian_part_is_solved_and_graded_as_a_formula(tmp_path):
    from hwcheck.spec.load import load_spec

    path = tmp_path / "jac.yaml"
    path.write_text(SPEC.format(quantity="jacobian(q, input)"))
    solved = solve_spec(load_spec(path))
    q = solved.solution.env["q"]
    np.testing.assert_allclose(solved.solution.parts["J"], np.diag(q) - np.outer(q, q),
                               atol=1e-15)
    assert list(solved.solution.parts["size"]) == [4]


def test_an_unknown_jacobian_quantity_is_refused_at_its_line(tmp_path):
    from hwcheck.errors import SpecError
    from hwcheck.spec.load import load_spec

    path = tmp_path / "jac.yaml"
    path.write_text(SPEC.format(quantity="jacobian(qq, input)"))
    with pytest.raises(SpecError, match="no quantity 'qq'") as info:
        solve_spec(load_spec(path))
    assert info.value.line == 18
