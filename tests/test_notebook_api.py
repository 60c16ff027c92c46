"""``hwcheck.check`` in a real Jupyter kernel: the example notebook runs top to bottom and
each check displays hwcheck's HTML (escaped student text included).

Needs nbclient, nbformat and ipykernel (the `test` extra); skips cleanly without them.
"""

from __future__ import annotations

import os

import pytest

from tests.support.helpers import EXAMPLES, ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = EXAMPLES / "notebook" / "check-in-notebook.ipynb"


def _run(nb, cwd, monkeypatch):
    # The kernel is a child of this interpreter's environment: this checkout first.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def _displayed(cell) -> list[dict]:
    return [o["data"] for o in cell.get("outputs", ())
            if o.get("output_type") in ("execute_result", "display_data")]


def test_example_notebook_displays_html_results(monkeypatch):
    nb = _run(nbformat.read(NOTEBOOK, as_version=4), NOTEBOOK.parent, monkeypatch)
    errors = [o for c in nb.cells for o in c.get("outputs", ()) if o["output_type"] == "error"]
    assert not errors, errors
    checks = [c for c in nb.cells if c.cell_type == "code" and "hwcheck.check(" in c.source]
    html = {c.source.split("hwcheck.check(")[1][:4]: d["text/html"]
            for c in checks for d in _displayed(c) if "text/html" in d}
    assert set(html) == {'"p5"', '"p1"'}, list(html)
    p5, p1 = html['"p5"'], html['"p1"']
    assert 'class="hwcheck-result"' in p5 and "7/7" in p5 and "✗" not in p5
    assert "✓ correct" in p1 and "✗ wrong" in p1 and "sign-flipped" in p1
    assert "read as: 1 / 4 * g[ceil(d / 2), ceil(e / 2)]" in p1
    plain = [d["text/plain"] for c in checks for d in _displayed(c)]
    assert any(t.startswith("╭─ p5") for t in plain)          # a terminal-like client
    assert "('correct', 6.0, 6.0)" in plain[-1]                 # the plain attributes


def test_student_text_is_escaped_in_the_kernel(monkeypatch, tmp_path):
    evil = "<img src=x onerror=alert(1)> <script>alert(2)</script>"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        f"import hwcheck\nhwcheck.check('p2', why_nms={evil!r})")])
    nb = _run(nb, tmp_path, monkeypatch)
    (data,) = _displayed(nb.cells[0])
    page = data["text/html"]
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
