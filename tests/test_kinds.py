"""The problem-kind registry: every kind is complete, and its sections are checked at load.

A new kind is one module in ``hwcheck/kinds``; these tests then ask for a shipped spec that
passes ``hwcheck validate``, for its sections in the JSON Schema, and that no other module
tells kinds apart by name.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hwcheck.kinds import KINDS, SECTIONS, VIEWS, ProblemKind, instances
from hwcheck.spec.jsonschema import problem_schema
from hwcheck.spec.yamlio import load_file
from tests.support.helpers import ROOT
from tests.support.runners import run

SHIPPED = sorted((ROOT / "problems").glob("*.yaml")) + sorted((ROOT / "examples").rglob("*.yaml"))


def shipped_specs(kind: str) -> list[Path]:
    """The shipped problems and examples of ``kind`` (answers files have no `kind:`)."""
    found = []
    for path in SHIPPED:
        root = load_file(path)
        kind_node = root.value.get("kind") if root.kind == "map" else None
        if kind_node is not None and kind_node.value == kind:
            found.append(path)
    return found


def assert_shipped_and_valid(kind: str) -> None:
    paths = shipped_specs(kind)
    assert paths, f"kind {kind!r} has no spec in problems/ or examples/: add one with tests:"
    result = run("validate", paths[0])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "0 failing" in result.stdout


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_shipped_spec_that_passes_validate(kind):
    assert_shipped_and_valid(kind)


def test_a_kind_without_a_shipped_spec_fails_the_completeness_check(monkeypatch):
    template = KINDS["concept"]
    monkeypatch.setitem(KINDS, "adam_step", ProblemKind(
        "adam_step", requires=(), accepts=(), solve=template.solve, check=template.check))
    with pytest.raises(AssertionError, match="adam_step"):
        assert_shipped_and_valid("adam_step")


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_section_is_in_the_generated_schema(kind):
    schema = problem_schema()
    entry = KINDS[kind]
    for section in entry.requires + entry.accepts:
        assert schema["properties"][section.name] == section.schema
    rule = next(r["then"] for r in schema["allOf"]
                if r["if"]["properties"]["kind"]["const"] == kind)
    rules = rule.get("allOf", [rule])
    assert rules[0].get("required", []) == [s.name for s in entry.requires]
    others = {name for name, allowed in rules[0]["properties"].items() if allowed is False}
    assert others == set(SECTIONS) - set(entry.sections)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_declares_what_the_grader_and_solve_read(kind):
    entry = KINDS[kind]
    assert entry.name == kind and entry.view in VIEWS
    assert {s.variant for s in entry.slips} <= set(entry.variants)
    assert entry.random_instances >= 0
    assert len(set(entry.sections)) == len(entry.sections)


def test_a_section_two_kinds_read_is_one_declaration():
    for entry in KINDS.values():
        for section in entry.requires + entry.accepts:
            assert SECTIONS[section.name] is section, section.name


def test_formulas_are_graded_on_random_instances_where_the_kind_or_sizes_ask():
    from hwcheck.spec.catalog import load_catalog

    specs = load_catalog(ROOT / "problems").specs
    assert instances(specs["p1"]) == 3      # gradient, sizes vary
    assert instances(specs["p6"]) == 3      # rnn_jacobian redraws its weights
    assert instances(specs["p5"]) == 1      # sgd_step, nothing varies


PROBLEM_KIND_TEST = re.compile(r"\bkind\s*(==|!=|\bin\b|\bnot in\b)\s*\(?\s*[\"']("
                               + "|".join(KINDS) + r")[\"']|spec\.kind\s*(==|!=|\bin\b)")


def test_no_module_outside_the_registry_tells_problem_kinds_apart():
    bad = []
    for path in sorted((ROOT / "hwcheck").rglob("*.py")):
        if path.parent.name == "kinds":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if PROBLEM_KIND_TEST.search(line):
                bad.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not bad, "\n".join(bad)
    assert PROBLEM_KIND_TEST.search('if spec.kind == "sgd_step":')


# --- load time: `list` refuses what `solve` refuses, at the offending line --------------------

def _edit(name: str, old: str, new: str) -> str:
    text = (ROOT / "problems" / name).read_text()
    assert old in text, old
    return text.replace(old, new, 1)


# (shipped spec, text to replace, replacement, expected message fragment)
BROKEN = {
    "sgd_step-without-optimizer": ("p5.yaml", "optimizer: {sgd: {lr: 0.02}}\n", "",
                                   "`kind: sgd_step` needs `optimizer:`"),
    "misspelt-sgd-option": ("p5.yaml", "{sgd: {lr: 0.02}}", "{sgd: {lr: 0.02, dampning: 0}}",
                            "unknown sgd option 'dampning'"),
    "misspelt-top-key": ("p5.yaml", "optimizer:", "optimiser:",
                         "unknown spec key 'optimiser' (hint: did you mean 'optimizer'?)"),
    "section-another-kind-reads": ("p3.yaml", "parts:", "loss: mse\nparts:",
                                   "`kind: param_count` does not read `loss:`"),
    "concept-with-a-network": ("p2.yaml", "parts:", "network: {input: [2], layers: [relu]}\n"
                               "parts:", "`kind: concept` does not read `network:`"),
    "loss-and-upstream": ("p4.yaml", "loss: cross_entropy", "loss: cross_entropy\n"
                          "upstream: {at: q, value: [1, 1, 1, 1]}",
                          "give `loss:` and `target:`, or `upstream:`, not both"),
    "upstream-at-no-layer": ("p1.yaml", "upstream: {at: P,", "upstream: {at: Q,",
                             "no layer named 'Q'"),
    "unknown-upstream-key": ("p1.yaml", "upstream: {at: P,", "upstream: {scale: 2, at: P,",
                             "unknown upstream key 'scale'"),
    "rnn-unknown-setting": ("p6.yaml", "at: {setting: vanishing", "at: {setting: vanish",
                            "unknown setting 'vanish' (hint: did you mean 'vanishing'?)"),
    "rnn-step-outside": ("p6.yaml", "step: T}", "step: T+1}", "step 13 is outside 1..12"),
    "unknown-symbol-key": ("p6.yaml", "h: {quantity: h, shape: [H]}",
                           "h: {quantity: h, shap: [H]}", "unknown key of symbols.h 'shap'"),
    "given-unknown-symbol": ("p6.yaml", "given: {Wh: Wh,", "given: {Wh: W,",
                             "`given` names unknown symbol 'W'"),
    "bad-draw-distribution": ("p4.yaml", "{random: normal, seed: 401}",
                              "{random: gauss, seed: 401}", "unknown distribution 'gauss'"),
    "target-shape": ("p5.yaml", "target: [0.3, 0.7]", "target: [0.3, 0.7, 0]",
                     "target has shape (3,); the network needs (2,)"),
    "unknown-solver-variant": ("p5.yaml", "variant: softmax-diagonal", "variant: softmax",
                               "unknown solver variant 'softmax'"),
    # only the solver knows its quantities: `list` solves each spec's own instance for it
    "misspelt-function": ("p1.yaml", "functions: {f: sigmoid}", "functions: {f: sigmod}",
                          "unknown function 'sigmod' (hint: did you mean 'sigmoid'?)"),
    "misspelt-quantity": ("p5.yaml", "quantity: new.c.weight", "quantity: new.c.weigth",
                          "unknown quantity 'new.c.weigth'"),
}


@pytest.fixture()
def broken(tmp_path, request):
    name, old, new, fragment = BROKEN[request.param]
    folder = tmp_path / "problems"
    folder.mkdir()
    path = folder / name
    path.write_text(_edit(name, old, new))
    return folder, path, fragment


@pytest.mark.parametrize("broken", BROKEN, indirect=True)
@pytest.mark.parametrize("command", ["list", "validate", "solve"])
def test_a_broken_section_is_refused_by_every_command(broken, command):
    folder, path, fragment = broken
    args = {"list": ("list", "--problems", folder), "validate": ("validate", path),
            "solve": ("solve", path)}[command]
    result = run(*args)
    assert result.exit_code == 2, result.stdout + result.stderr
    out = result.stdout if command == "validate" else result.stderr
    assert fragment in out
    line = next(ln for ln in out.splitlines() if fragment in ln)
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: ", line), line
