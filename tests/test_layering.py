"""The architecture rule, checked on the source with ``ast``: each folder of ``hwcheck``
imports only from the folders below it (ARCHITECTURE.md, "Layers").

    cli, __main__, api          anything
    report/                     grading.results (data), kinds, spec, formula, engine, errors; rich
    grading/                    kinds, spec, formula, engine, errors; never report or cli
    kinds/, spec/               each other, formula, engine, errors; yaml (one layer: the
                                loader checks each kind's sections through the kind
                                registry, and the kinds read the Spec model)
    formula/                    errors; numpy
    engine/                     numpy only: no YAML, files, printing, rich or hwcheck.errors
    errors.py                   nothing: every layer raises its family
    frozen.py                   nothing: every layer's data classes are @frozen

Every import counts, including those inside functions (a lazy import is still a dependency),
and every module of the package falls under exactly one rule. No module imports torch.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support import imports as support_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hwcheck"
STDLIB = set(sys.stdlib_module_names)

_BELOW_SPEC = ("hwcheck.formula", "hwcheck.engine", "hwcheck.errors", "hwcheck.frozen")
#: folder → (hwcheck modules it may import, third-party packages it may import)
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "errors": ((), ()),
    "frozen": ((), ()),
    "engine": (("hwcheck.engine", "hwcheck.frozen"), ("numpy",)),
    "formula": (("hwcheck.formula", "hwcheck.errors", "hwcheck.frozen"), ("numpy",)),
    "spec": (("hwcheck.spec", "hwcheck.kinds") + _BELOW_SPEC, ("numpy", "yaml")),
    "kinds": (("hwcheck.kinds", "hwcheck.spec") + _BELOW_SPEC, ("numpy",)),
    "grading": (("hwcheck.grading", "hwcheck.kinds", "hwcheck.spec") + _BELOW_SPEC,
                ("numpy", "yaml")),
    "report": (("hwcheck.report", "hwcheck.grading.results", "hwcheck.kinds", "hwcheck.spec")
               + _BELOW_SPEC, ("numpy", "rich")),
}
TOP = {"cli", "__main__", "__init__", "api"}   # the entry points: may import any layer


def module_name(path: Path) -> str:
    return support_imports.module_name(path, ROOT)


def imports(path: Path) -> list[tuple[str, int]]:
    return support_imports.imports(path, ROOT)


def _under(mod: str, prefixes) -> bool:
    return any(mod == p or mod.startswith(p + ".") for p in prefixes)


def folder_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE).parts
    return rel[0] if len(rel) > 1 else Path(rel[0]).stem


ALL = sorted(PACKAGE.rglob("*.py"))


def _where(path, line):
    return f"{path.relative_to(ROOT)}:{line}"


def violations(path: Path) -> list[str]:
    """The imports of ``path`` that its folder's rule does not allow."""
    folder = folder_of(path)
    if folder in TOP:
        return []
    internal, third_party = RULES[folder]
    bad = []
    for mod, line in imports(path):
        top = mod.partition(".")[0]
        if top in STDLIB and top != "hwcheck":
            continue
        if top == "hwcheck":
            # `from hwcheck.engine import ops` also lists hwcheck.engine.ops; the package
            # itself (`from hwcheck import __version__`) is allowed everywhere
            if mod == "hwcheck.__version__" or _under(mod, internal) \
                    or _under(mod.rpartition(".")[0], internal):
                continue
        elif top in third_party:
            continue
        bad.append(f"{_where(path, line)} imports {mod}")
    return bad


def test_every_module_falls_under_one_rule():
    folders = {folder_of(p) for p in ALL}
    assert folders <= set(RULES) | TOP, folders - set(RULES) - TOP
    # and the rule is about the modules it names
    names = {module_name(p) for p in ALL}
    assert {"hwcheck.engine.graph", "hwcheck.engine.ops.conv", "hwcheck.spec.load",
            "hwcheck.grading.grader", "hwcheck.report.grade_text"} <= names


@pytest.mark.parametrize("path", ALL, ids=module_name)
def test_each_module_imports_only_from_its_own_folder_and_below(path):
    bad = violations(path)
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("path", ALL, ids=module_name)
def test_nothing_in_the_package_imports_torch(path):
    bad = [f"{_where(path, line)} imports {mod}" for mod, line in imports(path)
           if mod.partition(".")[0] == "torch"]
    assert not bad, "\n".join(bad)


def test_the_reader_catches_a_violation(tmp_path, monkeypatch):
    """The checks are not vacuous: an upward, a YAML, a rich and a lazy torch import in the
    engine are all seen, and so is a report import from grading."""
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "hwcheck")
    eng = tmp_path / "hwcheck" / "engine" / "solvers"
    eng.mkdir(parents=True)
    bad = eng / "bad.py"
    bad.write_text("import numpy as np\nfrom hwcheck.report import solve_text\nimport rich\n"
                   "def f():\n    import torch\n    import yaml\n    from ...kinds import keys\n"
                   "    from hwcheck.errors import SpecError\n")
    found = {m for m, _ in imports(bad)}
    assert {"hwcheck.report", "torch", "yaml", "hwcheck.kinds", "hwcheck.errors"} <= found
    assert len(violations(bad)) >= 6
    grading = tmp_path / "hwcheck" / "grading"
    grading.mkdir()
    (grading / "g.py").write_text("from hwcheck.report.numbers import fmt_array\n")
    assert violations(grading / "g.py") == [
        "hwcheck/grading/g.py:1 imports hwcheck.report.numbers",
        "hwcheck/grading/g.py:1 imports hwcheck.report.numbers.fmt_array"]
