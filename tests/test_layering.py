"""DESIGN §5's architecture rule, checked on the source with ``ast``.

- ``hwcheck/engine/ops/``, ``hwcheck/engine/solvers/``, ``hwcheck/engine/layers/`` (the layer
  table) and ``hwcheck/engine/graph.py`` import nothing but numpy, the standard library and
  other ``hwcheck.engine`` modules: no YAML, files, printing or rich;
- no module under ``hwcheck`` imports torch (it is an optional cross-check for the tests);
- nothing imports upward: ops never import solvers, and solvers never import the grading,
  report, CLI, key or spec layers.

Every import counts, including those inside functions (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hwcheck"
STDLIB = set(sys.stdlib_module_names)

PURE_ALLOWED = ("numpy", "hwcheck.engine")
UPWARD_FROM_SOLVERS = ("hwcheck.grading.grader", "hwcheck.report", "hwcheck.cli", "hwcheck.kinds",
                       "hwcheck.spec.load", "hwcheck.spec.yamlio")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[str, int]]:
    """Every module that ``path`` imports, absolute, with its line. ``from X import y``
    counts as X and as X.y (y may be a submodule); relative imports are resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod == "__future__":
                continue
            found.append((mod, node.lineno))
            found += [(f"{mod}.{alias.name}", node.lineno) for alias in node.names
                      if alias.name != "*"]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__" \
                and node.args and isinstance(node.args[0], ast.Constant):
            found.append((str(node.args[0].value), node.lineno))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module" \
                and node.args and isinstance(node.args[0], ast.Constant):
            found.append((str(node.args[0].value), node.lineno))
    return found


def _under(mod: str, prefixes) -> bool:
    return any(mod == p or mod.startswith(p + ".") for p in prefixes)


def _sources(sub: str) -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py"))


PURE = _sources("engine/ops") + _sources("engine/solvers") + _sources("engine/layers") \
    + [PACKAGE / "engine" / "graph.py"]
ALL = sorted(PACKAGE.rglob("*.py"))


def _where(path, line):
    return f"{path.relative_to(ROOT)}:{line}"


def _pure_violations(path: Path) -> list[str]:
    bad = []
    for mod, line in imports(path):
        top = mod.partition(".")[0]
        if top in STDLIB or _under(mod, PURE_ALLOWED):
            continue
        if top == "hwcheck" and _under(mod.rpartition(".")[0], PURE_ALLOWED):
            continue   # `from hwcheck.engine.ops import conv` also lists hwcheck.engine.ops.conv
        bad.append(f"{_where(path, line)} imports {mod}")
    return bad


def test_the_rule_sees_the_modules_it_is_about():
    names = {module_name(p) for p in PURE}
    assert {"hwcheck.engine.ops.conv", "hwcheck.engine.ops.pool", "hwcheck.engine.graph",
            "hwcheck.engine.solvers.gradient", "hwcheck.engine.solvers.sgd_step",
            "hwcheck.engine.solvers.rnn_jacobian", "hwcheck.engine.layers.table"} <= names
    # and the import reader resolves the forms the package uses
    assert any(m == "hwcheck.engine.ops.activations" for m, _ in imports(PACKAGE / "engine" / "ops" / "losses.py"))
    assert any(m == "numpy" for m, _ in imports(PACKAGE / "engine" / "solvers" / "gradient.py"))


@pytest.mark.parametrize("path", PURE, ids=lambda p: module_name(p))
def test_ops_and_solvers_import_only_numpy_the_stdlib_and_their_own_layer(path):
    bad = _pure_violations(path)
    assert not bad, "\n".join(bad)


def test_network_the_one_module_solvers_may_import_imports_nothing_above_it():
    bad = [f"{_where(PACKAGE / 'engine' / 'network.py', line)} imports {mod}"
           for mod, line in imports(PACKAGE / "engine" / "network.py")
           if mod.partition(".")[0] not in STDLIB
           and not _under(mod, ("numpy", "hwcheck.errors", "hwcheck.engine.layers"))]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("path", ALL, ids=lambda p: module_name(p))
def test_nothing_in_the_package_imports_torch(path):
    bad = [f"{_where(path, line)} imports {mod}" for mod, line in imports(path)
           if mod.partition(".")[0] == "torch"]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("path", _sources("engine/ops"), ids=lambda p: module_name(p))
def test_ops_do_not_import_solvers_or_the_network(path):
    bad = [f"{_where(path, line)} imports {mod}" for mod, line in imports(path)
           if mod.startswith("hwcheck") and not _under(mod, ("hwcheck.engine.ops",))]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("path", _sources("engine/solvers") + [PACKAGE / "engine" / "graph.py"], ids=lambda p: module_name(p))
def test_solvers_do_not_import_upward(path):
    bad = [f"{_where(path, line)} imports {mod}" for mod, line in imports(path)
           if _under(mod, UPWARD_FROM_SOLVERS)]
    assert not bad, "\n".join(bad)


def test_the_reader_catches_a_violation(tmp_path, monkeypatch):
    """The checks are not vacuous: an upward, a YAML and a lazy torch import are all seen."""
    pkg = tmp_path / "hwcheck" / "solvers"
    pkg.mkdir(parents=True)
    bad = pkg / "bad.py"
    bad.write_text("import numpy as np\nfrom hwcheck.report import solve_text\n"
                   "def f():\n    import torch\n    import yaml\n    from ..keys import x\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = {m for m, _ in imports(bad)}
    assert {"hwcheck.report", "torch", "yaml", "hwcheck.keys"} <= found
    assert len(_pure_violations(bad)) >= 4


@pytest.mark.parametrize("path", _sources("grading"), ids=lambda p: module_name(p))
def test_grading_does_not_import_the_report_layer(path):
    """Results carry numbers and structured details; only hwcheck.report formats them."""
    bad = [f"{_where(path, line)} imports {mod}" for mod, line in imports(path)
           if _under(mod, ("hwcheck.report", "hwcheck.cli", "rich"))]
    assert not bad, "\n".join(bad)
