"""rnn, lstm and gru beyond their table examples: each option combination through finite
differences and, with torch installed, against nn.RNN/LSTM/GRU (output, h_n, c_n, every
gradient, parameter count); the ops on a batch; the spec side (given values keyed as torch
keys them, families refused when the options do not create them).
"""

from __future__ import annotations

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from hwcheck.engine import graph
from hwcheck.engine.layers import LAYERS, initial_params
from hwcheck.engine.network import layer, summarize
from hwcheck.engine.ops import recurrent as rec
from hwcheck.errors import SpecError
from hwcheck.spec import network as netspec, yamlio
from hwcheck.spec.jsonschema import problem_schema
from hwcheck.spec.yamlio import load_file

from tests.support.gradcheck import numeric_vjp
from tests.support.helpers import ROOT
from tests.support.runners import run

CASES = [
    ("rnn", (4, 3), {"hidden_size": 3}),
    ("rnn", (3, 2), {"hidden_size": 2, "nonlinearity": "relu", "num_layers": 2}),
    ("rnn", (3, 3), {"hidden_size": 2, "bias": False, "bidirectional": True}),
    ("lstm", (4, 3), {"hidden_size": 3}),
    ("lstm", (3, 2), {"hidden_size": 2, "num_layers": 3, "bias": False}),
    ("lstm", (2, 3), {"hidden_size": 2, "bidirectional": True, "batch_first": True}),
    ("lstm", (3, 2), {"hidden_size": 3, "proj_size": 1}),
    ("lstm", (3, 2), {"hidden_size": 3, "proj_size": 2, "num_layers": 2,
                      "bidirectional": True, "bias": False}),
    ("gru", (4, 3), {"hidden_size": 3}),
    ("gru", (3, 2), {"hidden_size": 2, "bidirectional": True, "bias": False}),
    ("gru", (3, 2), {"hidden_size": 2, "num_layers": 2, "dropout": 0.3}),
]
IDS = [f"{k}-{i}" for i, (k, _, _) in enumerate(CASES)]


def case(kind, shape, options, seed=1):
    lay = layer(kind, "R", **options)
    row = summarize(shape, [lay]).layers[0]
    rng = np.random.default_rng(seed)
    params = {f"R.{p}": 0.6 * rng.standard_normal(s) for p, s in row.param_shapes.items()}
    return lay, row, rng.standard_normal(shape), params, rng.standard_normal(row.output_shape)


@pytest.mark.parametrize("kind, shape, options", CASES, ids=IDS)
def test_every_gradient_matches_finite_differences(kind, shape, options):
    lay, row, x, params, dy = case(kind, shape, options)
    names = list(params)
    grads = graph.backward(graph.forward([lay], params, x), "R", dy)

    def f(x, *values):
        return graph.forward([lay], dict(zip(names, values)), x).values["R"][0]

    numeric = numeric_vjp(f, [x, *params.values()], dy, wrt=range(1 + len(names)))
    for key, num in zip(["input", *names], numeric):
        np.testing.assert_allclose(grads[key], num, rtol=1e-5, atol=1e-7, err_msg=key)


@pytest.mark.torch
@pytest.mark.parametrize("kind, shape, options", CASES, ids=IDS)
def test_output_final_states_gradients_and_count_match_torch(kind, shape, options):
    torch = pytest.importorskip("torch")
    lay, row, x, params, dy = case(kind, shape, options)
    module = getattr(torch.nn, kind.upper())(input_size=shape[1], **options).double().eval()
    with torch.no_grad():
        for key, value in params.items():
            if hasattr(module, key[2:]):
                getattr(module, key[2:]).copy_(torch.from_numpy(value))
    assert row.params == sum(p.numel() for p in module.parameters())
    assert row.mult_adds == row.params * shape[0]       # torchinfo: params × N·T, N = 1
    assert [n for n in row.param_shapes if n not in ("h0", "c0")] == \
        [n for n, _ in module.named_parameters()]          # torch's names, torch's order
    xt = torch.tensor(x, requires_grad=True)               # torch's unbatched: one sequence
    h0 = torch.tensor(params["R.h0"], requires_grad=True)
    states = [h0]
    if kind == "lstm":
        states.append(torch.tensor(params["R.c0"], requires_grad=True))
    yt, final = module(xt, tuple(states) if kind == "lstm" else h0)
    yt.backward(torch.from_numpy(dy))
    trace = graph.forward([lay], params, x)
    grads = graph.backward(trace, "R", dy)
    close = dict(rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(trace.values["R"][0], yt.detach().numpy(), **close)
    h_n = final[0] if kind == "lstm" else final
    np.testing.assert_allclose(trace.values["R.h_n"][0], h_n.detach().numpy(), **close)
    if kind == "lstm":
        np.testing.assert_allclose(trace.values["R.c_n"][0], final[1].detach().numpy(),
                                   **close)
    np.testing.assert_allclose(grads["input"], xt.grad.numpy(), **close)
    for key in params:
        own = key[2:]
        theirs = getattr(module, own) if hasattr(module, own) else \
            states[("h0", "c0").index(own)]
        np.testing.assert_allclose(grads[key], theirs.grad.numpy(), err_msg=key, **close)


@pytest.mark.torch
@pytest.mark.parametrize("cell", sorted(rec.CELLS))
def test_the_ops_run_a_batch_as_torch_does(cell):
    torch = pytest.importorskip("torch")
    kind = "rnn" if cell.startswith("rnn") else cell
    extra = {"nonlinearity": cell[4:]} if kind == "rnn" else {}
    module = getattr(torch.nn, kind.upper())(3, 2, num_layers=2, bidirectional=True,
                                              batch_first=True, **extra).double()
    rng = np.random.default_rng(3)
    x, h0, c0 = rng.standard_normal((4, 5, 3)), rng.standard_normal((4, 4, 2)), None
    weights = [tuple(getattr(module, f"{w}{s}").detach().numpy()
                     for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
               for s in ("_l0", "_l0_reverse", "_l1", "_l1_reverse")]
    states = torch.tensor(h0.transpose(1, 0, 2).copy())
    if kind == "lstm":
        c0 = rng.standard_normal((4, 4, 2))
        states = (states, torch.tensor(c0.transpose(1, 0, 2).copy()))
    y, h_n, c_n, cache = rec.recurrent_forward(cell, x, h0, c0, weights, 2, True)
    yt, final = module(torch.tensor(x), states)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-9, atol=1e-12)
    h_t = final[0] if kind == "lstm" else final
    np.testing.assert_allclose(h_n, h_t.detach().numpy().transpose(1, 0, 2), rtol=1e-9,
                               atol=1e-12)
    assert (c_n is None) == (kind != "lstm")


def test_initial_values_are_torch_scaled_and_states_start_at_zero():
    lay = layer("lstm", "R", hidden_size=16, num_layers=2)
    row = summarize((5, 3), [lay]).layers[0]
    init = initial_params(lay, row.param_shapes, lambda p: np.random.default_rng(len(p)))
    assert set(init) == set(row.param_shapes)
    assert init["h0"].shape == (2, 16) and not init["h0"].any() and not init["c0"].any()
    # N(0, 1) at torch's scale 1/√hidden_size: the sample's standard deviation near 1/4
    assert abs(init["weight_hh_l1"].std() - 0.25) < 0.03
    # two layers: W_ih and W_hh, then two bias vectors each
    assert row.params == 4 * 16 * (3 + 16) + 4 * 16 * (16 + 16) + 2 * 2 * 4 * 16


def parse(text: str):
    return netspec.parse_network(yamlio.load_text(text, "spec.yaml").value["network"])


def test_a_spec_gives_values_keyed_as_torch_keys_them():
    net = parse("""\
network:
  input: [2, 1]
  layers:
    - gru:
        hidden_size: 1
        bidirectional: true
        weight_hh_l0_reverse: [[0.5], [0.2], [0.1]]
        h0: [[1.0], [2.0]]
        bias: false
""")
    (gru,) = net.layers
    assert set(gru.given) == {"weight_hh_l0_reverse", "h0"}
    assert not gru.options["bias"] and gru.options["bidirectional"]


@pytest.mark.parametrize("text, message, line", [
    ("- lstm: {hidden_size: 2, weight_ih_l1: [[1]]}", "has no `weight_ih_l1` with these", 4),
    ("- gru: {hidden_size: 2, weight_hh_l0_reverse: 1}", "no `weight_hh_l0_reverse`", 4),
    ("- gru: {hidden_size: 2, c0: [[1, 2]]}", "gru has no option 'c0'", 4),
    ("- rnn: {hidden_size: 2, nonlinearity: sigmoid}", "must be one of tanh, relu", 4),
    ("- rnn: {nonlinearity: relu}", "rnn needs `hidden_size:`", 4),
    ("- lstm: {hidden_size: 2, proj_size: 2}", "must be smaller than hidden_size=2", 4),
    ("- gru: {hidden_size: 2, proj_size: 1}", "gru has no option 'proj_size'", 4),
    ("- lstm: {hidden_size: 2, weight_hr_l0: [[1, 2]]}", "no `weight_hr_l0` with these", 4),
])
def test_a_spec_that_does_not_fit_the_options_is_refused_at_its_line(text, message, line):
    with pytest.raises(SpecError) as err:
        parse(f"network:\n  input: [3, 2]\n  layers:\n    {text}\n")
    assert message in err.value.message and err.value.line == line


def test_a_sequence_must_be_two_dimensional():
    with pytest.raises(SpecError, match=r"needs one sequence \(T, input_size\)"):
        parse("network:\n  input: [3, 2, 2]\n  layers:\n    - lstm: {hidden_size: 2}\n")


def test_every_recurrent_entry_names_its_torch_class():
    assert {k: LAYERS[k].torch for k in ("rnn", "lstm", "gru")} == \
        {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


EXAMPLES = [ROOT / "examples" / "problems" / f"{n}.yaml"
            for n in ("lstm-param-count", "gru-gate-gradient", "bilstm-batch-gradient")]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_examples_validate_and_fit_the_json_schema(path):
    validator = Draft202012Validator(problem_schema())
    assert [e.message for e in validator.iter_errors(load_file(path).plain())] == []
    result = run("validate", str(path))
    assert result.exit_code == 0 and "0 failing" in result.stdout, result.stdout


def test_the_schema_knows_torch_parameter_names_and_no_others():
    validator = Draft202012Validator(problem_schema())
    spec = load_file(EXAMPLES[1]).plain()
    gru = spec["network"]["layers"][0]["gru"]
    gru["weight_hh_l1_reverse"] = [[1.0]]
    assert not list(validator.iter_errors(spec))     # the family; the loader checks options
    gru["weight_hh_lx"] = [[1.0]]
    assert list(validator.iter_errors(spec))


@pytest.mark.torch
def test_sgd_learns_the_weights_and_leaves_h0_alone_as_torch_does():
    torch = pytest.importorskip("torch")
    from hwcheck.engine.solvers import sgd_step

    lay, row, x, params, _ = case("lstm", (3, 2), {"hidden_size": 2, "num_layers": 2})
    target = np.random.default_rng(5).standard_normal(row.output_shape)
    got = sgd_step.solve([lay], params, x, target, loss="mse", lr=0.1, momentum=0.9,
                         steps=3)
    module = torch.nn.LSTM(2, 2, num_layers=2).double()
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.from_numpy(params[f"R.{name}"]))
    opt = torch.optim.SGD(module.parameters(), lr=0.1, momentum=0.9)
    states = (torch.tensor(params["R.h0"]), torch.tensor(params["R.c0"]))
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.mse_loss(module(torch.tensor(x), states)[0],
                                     torch.tensor(target)).backward()
        opt.step()
    for name, p in module.named_parameters():
        np.testing.assert_allclose(got[f"new.R.{name}"], p.detach().numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)
    assert "new.R.h0" not in got and "new.R.c0" not in got


@pytest.mark.parametrize("cell", sorted(rec.CELLS))
def test_the_ops_backward_on_a_batch_matches_finite_differences(cell):
    gates = rec.CELLS[cell][0]
    rng = np.random.default_rng(9)
    n, t, i, h = 2, 3, 2, 2
    x, h0 = rng.standard_normal((n, t, i)), rng.standard_normal((n, 4, h))
    c0 = rng.standard_normal((n, 4, h)) if cell == "lstm" else None
    flat = []
    for k in range(2):
        for _ in range(2):
            width = i if k == 0 else 2 * h
            flat += [0.7 * rng.standard_normal(s) for s in
                     ((gates * h, width), (gates * h, h), (gates * h,), (gates * h,))]

    def f(x, h0, c0, *ws):
        weights = [tuple(ws[j:j + 4]) for j in range(0, len(ws), 4)]
        return rec.recurrent_forward(cell, x, h0, c0, weights, 2, True)[0]

    y, _, _, cache = rec.recurrent_forward(
        cell, x, h0, c0, [tuple(flat[j:j + 4]) for j in range(0, 16, 4)], 2, True)
    dy = rng.standard_normal(y.shape)
    dx, dh0, dc0, grads = rec.recurrent_backward(dy, cache)
    wrt = [0, 1, *([2] if c0 is not None else []), *range(3, 19)]
    numeric = numeric_vjp(f, [x, h0, c0, *flat], dy, wrt=wrt)
    ours = [dx, dh0, *([dc0] if c0 is not None else []), *[g for gs in grads for g in gs]]
    for k, (a, b) in enumerate(zip(ours, numeric)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7, err_msg=str(wrt[k]))
