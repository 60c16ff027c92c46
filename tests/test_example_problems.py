"""Every spec in examples/problems/ (issue 12, deliverable 9): it passes `hwcheck validate`
with its own `tests:`; its right answers file grades all correct and its wrong one grades no
part correct, each through `hwcheck grade --problems SPEC`; and, with torch installed, every
key its network computes agrees with torch.

A spec NAME.yaml comes with examples/problems/answers/NAME.right.yaml and NAME.wrong.yaml.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from hwcheck.grading.validate import validate
from hwcheck.kinds import solve_spec
from hwcheck.spec.catalog import load_catalog
from hwcheck.spec.instance import make_instance
from tests.support.helpers import EXAMPLES
from tests.support.runners import run

FOLDER = EXAMPLES / "problems"
SPECS = sorted(FOLDER.glob("*.yaml"))
IDS = [p.stem for p in SPECS]


def test_the_examples_are_there():
    assert {"maxpool-backward", "relu-weight-gradient"} <= set(IDS)


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_spec_passes_its_own_tests(path):
    catalog = load_catalog(path)
    checks = validate([path], catalog.specs)
    failing = [c for c in checks if not c.ok]
    assert not failing, failing
    spec = next(iter(catalog.specs.values()))
    assert spec.tests, "an example carries `tests:` of its own"


def _grade(path, which: str) -> list[tuple[str, str]]:
    answers = FOLDER / "answers" / f"{path.stem}.{which}.yaml"
    assert answers.is_file(), f"{path.stem} needs {answers.relative_to(EXAMPLES.parent)}"
    result = run("grade", answers, "--problems", path, "--format", "json")
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    doc = json.loads(result.stdout)
    sub = doc["submissions"][0] if "submissions" in doc else doc
    assert not sub.get("notices"), sub["notices"]  # every answer reached its part
    return [(p["name"], p["status"]) for pr in sub["problems"] for p in pr["parts"]]


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_right_answers_are_all_correct(path):
    statuses = _grade(path, "right")
    assert statuses and all(s == "correct" for _, s in statuses), statuses


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_wrong_answers_get_no_part_correct(path):
    statuses = _grade(path, "wrong")
    assert statuses and not any(s == "correct" for _, s in statuses), statuses


# ---- torch ------------------------------------------------------------------------------

@pytest.mark.torch
@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_network_keys_agree_with_torch(path):
    pytest.importorskip("torch")
    spec = next(iter(load_catalog(path).specs.values()))
    if spec.section("network") is None:
        pytest.skip("no network: nothing torch computes")
    if spec.section("input") is None:
        _check_counts(spec)
    else:
        _check_run(spec)


@pytest.mark.torch
@pytest.mark.parametrize("problem", ["p3", "p1", "p4"])
def test_the_torch_checks_run_on_the_shipped_problems(problem):
    """The two paths above, on specs that exist today whatever examples are added."""
    pytest.importorskip("torch")
    from hwcheck.spec.catalog import resolve
    from tests.support.helpers import PROBLEMS

    spec = resolve(problem, PROBLEMS)
    _check_counts(spec) if spec.section("input") is None else _check_run(spec)


def _named_keys(spec) -> dict:
    """Each part's and step's key by the quantity it names."""
    solution = solve_spec(spec).solution
    out = {}
    for part in spec.parts:
        if part.answer != "text":
            out[part.quantity or part.name] = solution.parts[part.name]
    node = spec.section("steps")
    for step in solution.steps:
        entry = node.value.get(step.name) if node is not None else None
        if entry is not None:
            q = entry.value.get("quantity") if entry.kind == "map" else entry
            out[q.value] = step.value
    return out


def _check_run(spec) -> None:
    """A network run (gradient, sgd_step): every layer output and every gradient, then each
    named key that torch's run names too, against autograd."""
    import torch

    from hwcheck.engine.solvers import gradient
    from hwcheck.kinds.network_step import _inputs
    from tests.support.nets import ends_in_softmax
    from tests.support.torch_run import T, close, compare_all, torch_case, torch_loss

    i = _inputs(spec, make_instance(spec))
    values = gradient.solve(i.net.layers, i.params, i.x, loss=i.loss, target=i.target,
                            upstream=i.upstream, upstream_at=i.upstream_at)
    tp, tx, outs, out = torch_case(i.net, i.params, i.x)
    if i.loss is not None:
        E = torch_loss(i.loss, out, T(i.target)[None], ends_in_softmax(i.net.layers))
        E.backward()
        theirs = {"loss": E}
    else:
        outs[i.upstream_at].backward(T(i.upstream)[None])
        theirs = {}
    compare_all(values, i.net, tp, tx, outs, missing_ok=i.loss is None)
    theirs.update({"input": tx[0], "grad.input": tx.grad[0]})
    for name, t in outs.items():
        theirs[name] = t[0]
        if t.grad is not None:
            theirs[f"grad.{name}"] = t.grad[0]
    for name, p in tp.items():
        theirs[name] = p
        if p.grad is not None:
            theirs[f"grad.{name}"] = p.grad
    for quantity, key in _named_keys(spec).items():
        if quantity in theirs:
            want = theirs[quantity].detach().reshape(np.shape(key))
            close(key, want, f"{spec.id} {quantity}")


def _check_counts(spec) -> None:
    """A network without an input (param_count): each layer's output shape and parameter
    count from its torch.nn namesake, and the keys that name them."""
    import torch

    from hwcheck.engine.layers import LAYERS
    from hwcheck.engine.network import walk
    from hwcheck.kinds.network_step import network

    net = network(spec, make_instance(spec))
    rows = {r.name: r for r in net.summary().layers}
    theirs: dict = {}

    def run_layers(layers, x):
        for lay in layers:
            if lay.kind == "residual":
                body = run_layers(lay.body, x)
                y = body + (run_layers(lay.shortcut, x) if lay.shortcut else x)
                count = 0
            else:
                d = LAYERS[lay.kind]
                module = getattr(torch.nn, d.torch)(**d.torch_kwargs(dict(lay.options)))
                module = module.double().train(d.torch_mode == "train")
                y = module(x)
                count = sum(p.numel() for p in module.parameters())
            theirs[f"{lay.name}.output_shape"] = list(y.shape[1:])
            theirs[f"{lay.name}.params"] = count
            x = y
        return x

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # lazy modules warn that they are new
        out = run_layers(net.layers, torch.randn(2, *net.input_shape, dtype=torch.float64))
    theirs["output_shape"] = list(out.shape[1:])
    theirs["total_params"] = sum(v for k, v in theirs.items() if k.endswith(".params"))
    for lay, _ in walk(net.layers):
        assert list(rows[lay.name].output_shape) == theirs[f"{lay.name}.output_shape"]
        assert rows[lay.name].params == theirs[f"{lay.name}.params"], lay.name
    for quantity, key in _named_keys(spec).items():
        if quantity in theirs:
            assert np.array_equal(np.asarray(key), np.asarray(theirs[quantity])), quantity
