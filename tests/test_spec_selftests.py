"""Every shipped spec passes its own self-test (`hwcheck validate`'s check_spec).

check_spec solves the key, grades each part's `reference` formula against the solver (it
must come out correct) and runs each entry of the spec's `tests:` list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hwcheck.spec.load import load_spec
from hwcheck.grading.validate import check_spec

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
NETWORKS = sorted((ROOT / "examples" / "networks").glob("*.yaml"))


def test_the_seed_problems_and_example_networks_are_all_there():
    assert [p.stem for p in PROBLEMS] == [f"p{i}" for i in range(1, 7)]
    assert {p.stem for p in NETWORKS} >= {"alexnet", "lenet5", "resnet18", "vgg16"}


def _assert_all_ok(path: Path) -> None:
    checks = check_spec(load_spec(path))
    failed = [f"{c.file}:{c.line}: {c.message}" for c in checks if not c.ok]
    assert not failed, "\n".join(failed)
    assert checks[0].message.endswith("key solved")


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_shipped_problem_passes_its_self_test(path):
    _assert_all_ok(path)


@pytest.mark.parametrize("path", NETWORKS, ids=lambda p: p.stem)
def test_example_network_passes_its_self_test(path):
    _assert_all_ok(path)


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_every_formula_part_has_a_reference_and_it_is_checked(path):
    spec = load_spec(path)
    checks = check_spec(spec)
    formula_parts = [p.name for p in spec.parts if p.answer == "formula"]
    assert all(p.reference for p in spec.parts if p.answer == "formula"), \
        "every formula part carries a reference formula (issue 3)"
    for name in formula_parts:
        assert any(f"{name}: reference formula matches the solver" in c.message
                   for c in checks), name
    assert len(checks) == 1 + len(formula_parts) + len(spec.tests)
