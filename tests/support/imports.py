"""What a Python source imports, read with ``ast`` (every import, lazy ones included): the
layering rule of the package and the suite's own rule (no test module imports another) are
both checked with it."""

from __future__ import annotations

import ast
from pathlib import Path


def module_name(path: Path, root: Path) -> str:
    """``root/hwcheck/spec/load.py`` → ``hwcheck.spec.load`` (a package's ``__init__`` is
    the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(source: str, package: str) -> list[tuple[str, int]]:
    """Every module that ``source`` imports, absolute, with its line. ``from X import y``
    counts as X and as X.y (y may be a submodule); relative imports are resolved against
    ``package``, the package the source is in; ``__import__("x")`` and
    ``importlib.import_module("x")`` with a literal name count too."""
    found = []
    for node in ast.walk(ast.parse(source)):
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
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and (getattr(node.func, "id", None) == "__import__"
                     or getattr(node.func, "attr", None) == "import_module"):
            found.append((str(node.args[0].value), node.lineno))
    return found


def imports(path: Path, root: Path) -> list[tuple[str, int]]:
    """``imported`` for a file under ``root``."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return imported(path.read_text(encoding="utf-8"), package)
