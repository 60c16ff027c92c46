"""Every spec in examples/problems/ (issue 12, deliverable 9): it passes `hwcheck validate`
with its own `tests:`; its right answers file grades all correct and its wrong one grades no
part correct, each through `hwcheck grade --problems SPEC`; its `tests:` show each part
right and wrong; and, with torch installed, every key its network computes agrees with
torch (tests/support/torch_run.py builds the network, loss and optimizer from the tables).

A spec NAME.yaml comes with examples/problems/answers/NAME.right.yaml and NAME.wrong.yaml.
"""

from __future__ import annotations

import json
import math

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


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_every_part_has_a_right_and_a_wrong_test(path):
    """An example shows, part by part, an answer it accepts and one it rejects."""
    spec = next(iter(load_catalog(path).specs.values()))
    for part in spec.parts:
        statuses = {t.status for t in spec.tests if t.part == part.name}
        assert {"correct", "wrong"} <= statuses, (part.name, statuses)


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
    """A network run (gradient, sgd_step), built in torch from the layer, loss and
    optimizer tables: for a gradient every layer output and every gradient against
    autograd; then every part and step key that torch's run names too. Every part must be
    one of them: a part torch cannot name is not checked here, and that is refused."""
    from hwcheck.engine.solvers import gradient, sgd_step
    from hwcheck.kinds.network_step import _inputs
    from hwcheck.kinds.training import read_optimizer
    from tests.support.nets import ends_in_softmax
    from tests.support.torch_run import (T, close, compare_all, quantities, torch_case,
                                         torch_loss, torch_steps)

    i = _inputs(spec, make_instance(spec))
    last = ends_in_softmax(i.net.layers)
    if spec.section("optimizer") is not None:
        name, options, steps = read_optimizer(spec.section("optimizer"))
        theirs = torch_steps(i.net, i.params, i.x, i.target, loss=i.loss, optimizer=name,
                             steps=steps, options=options, loss_options=i.loss_options,
                             softmax_last=last, batched=i.batched)
        values = sgd_step.solve(i.net.layers, i.params, i.x, i.target, loss=i.loss,
                                optimizer=name, steps=steps, loss_options=i.loss_options,
                                batched=i.batched, **options)
        for q in sorted(set(values) & set(theirs)):   # every step's values and state
            close(values[q], theirs[q], f"{spec.id} {q}")
        assert f"step{steps}.new.{next(iter(i.params))}" in theirs
    else:
        values = gradient.solve(i.net.layers, i.params, i.x, loss=i.loss, target=i.target,
                                upstream=i.upstream, upstream_at=i.upstream_at,
                                loss_options=i.loss_options, batched=i.batched)
        tp, tx, outs, out = torch_case(i.net, i.params, i.x, i.batched)
        lead = (lambda t: t) if i.batched else (lambda t: t[None])
        if i.loss is not None:
            E = torch_loss(i.loss, out, lead(T(i.target)), last, i.loss_options)
            E.backward()
        else:
            outs[i.upstream_at].backward(lead(T(i.upstream)))
        compare_all(values, i.net, tp, tx, outs, missing_ok=i.loss is None,
                    batched=i.batched)
        theirs = quantities(tp, tx, outs, i.batched)
        if i.loss is not None:
            theirs["loss"] = E
    _compare_named(spec, theirs, close)


def _compare_named(spec, theirs: dict, close) -> None:
    keys = _named_keys(spec)
    compared = {q for q in keys if q in theirs}
    for quantity in sorted(compared):
        key = keys[quantity]
        want = theirs[quantity]
        want = want.detach().reshape(np.shape(key)) if hasattr(want, "detach") else want
        close(key, want, f"{spec.id} {quantity}")
    parts = {p.quantity or p.name for p in spec.parts if p.answer != "text"}
    assert parts <= compared, f"torch names no {sorted(parts - compared)}"


def _check_counts(spec) -> None:
    """A network without an input (param_count): each layer's namesake, built from the
    layer table and run on zeros, gives its output shape, its parameter count (torch's
    own parameters, not ours) and torchinfo's mult-adds; the keys that name them too."""
    import torch

    from hwcheck.engine.network import walk
    from hwcheck.kinds.network_step import network, parameters
    from tests.support.torch_run import T, mult_adds, torch_forward

    inst = make_instance(spec)
    net = network(spec, inst)
    summary = net.summary()
    rows = {r.name: r for r in summary.layers}
    params = {k: T(v) for k, v in parameters(net, summary, inst).items()}
    shapes = net.inputs or {"input": net.input_shape}
    x = {n: torch.zeros(1, *s, dtype=torch.float64) for n, s in shapes.items()}
    outs: dict = {}
    modules: dict = {}
    with torch.no_grad():
        out = torch_forward(net.layers, params, x, outs, modules)
    theirs: dict = {"output_shape": list(out.shape[1:])}
    for lay, _ in walk(net.layers):
        built = modules.get(lay.name)     # None: a function (add) or a residual
        count = sum(p.numel() for p in built[0].parameters()) if built else 0
        theirs[f"{lay.name}.output_shape"] = list(outs[lay.name].shape[1:])
        theirs[f"{lay.name}.params"] = count
        macs = mult_adds(*built) if built else 0
        if lay.kind == "linear":   # torchinfo counts the batch only, not the other rows
            macs *= math.prod(outs[lay.name].shape[1:-1])
        theirs[f"{lay.name}.mult_adds"] = macs
        row = rows[lay.name]
        assert list(row.output_shape) == theirs[f"{lay.name}.output_shape"], lay.name
        assert row.params == count, lay.name
        assert row.mult_adds == theirs[f"{lay.name}.mult_adds"], lay.name
    for total in ("params", "mult_adds"):
        theirs[f"total_{total}"] = sum(v for k, v in theirs.items()
                                       if k.endswith(f".{total}"))
    theirs["conv_mult_adds"] = sum(theirs[f"{lay.name}.mult_adds"]
                                   for lay, _ in walk(net.layers) if lay.kind.startswith("conv"))

    def equal(got, want, what):
        assert np.array_equal(np.asarray(got), np.asarray(want)), what
    _compare_named(spec, theirs, equal)
