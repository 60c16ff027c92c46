"""Compare rendered text with a golden file in tests/goldens/.

``pytest --update-goldens`` rewrites the files instead; review the diff before committing.
Trailing spaces are dropped on both sides: rich pads table lines, and editors strip them.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

GOLDENS = Path(__file__).resolve().parents[1] / "goldens"


def _normal(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def assert_golden(request, name: str, text: str) -> None:
    path = GOLDENS / name
    got = _normal(text)
    if request.config.getoption("--update-goldens"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8", newline="\n")
        return
    if not path.exists():
        pytest.fail(f"no golden file {path}; run pytest --update-goldens to create it")
    want = path.read_text(encoding="utf-8")
    if got != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                            f"goldens/{name}", "rendered"))
        pytest.fail(f"output differs from goldens/{name} "
                    f"(run pytest --update-goldens if the change is intended):\n{diff}")
