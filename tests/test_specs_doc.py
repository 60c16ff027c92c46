"""docs/specs.md is generated from the registries and shipped current (deliverable 8)."""

from __future__ import annotations

import subprocess
import sys

from hwcheck.engine.losses import LOSSES
from hwcheck.engine.optimizers import OPTIMIZERS
from hwcheck.engine.layers import LAYERS
from hwcheck.formula.check import ARITY
from hwcheck.kinds import KINDS, SECTIONS
from hwcheck.report import specs_doc
from tests.support.helpers import ROOT

DOC = ROOT / "docs" / "specs.md"


def test_shipped_reference_is_current():
    assert DOC.read_text() == specs_doc.generate(), (
        "docs/specs.md is stale: run `python -m hwcheck.report.specs_doc > docs/specs.md`")


def test_every_registry_entry_is_in_the_reference():
    text = specs_doc.generate()
    for name, d in LAYERS.items():
        assert f"### `{name}` (torch.nn.{d.torch})" in text
        for option in d.options:
            assert f"`{option.name}` ({option.type}," in text
    for name in KINDS:
        assert f"| `{name}` |" in text
    for name in SECTIONS:
        assert f"- `{name}`:" in text
    for name, d in LOSSES.items():
        assert f"### `{name}` (torch.nn.functional.{d.torch})\n\n{specs_doc._cell(d.formula)}" \
            in text, name
        for option in d.options:
            assert f"- `{option.name}` (default" in text
    for name, d in OPTIMIZERS.items():
        assert f"### `{name}` (torch.optim.{d.torch})\n\n{specs_doc._cell(d.rule)}" in text, name
    for name in ARITY:
        assert f"| `{name}` |" in text
    for quantity in ("total_params", "conv_mult_adds", "receptive_field", "jacobian(of, wrt)",
                     "grad.Q", "NAME.output_shape"):
        assert quantity in text


def test_a_new_registry_entry_appears_without_editing_the_generator(monkeypatch):
    from hwcheck.engine.layers.base import LayerDef, Option
    monkeypatch.setitem(LAYERS, "madeup", LayerDef(
        options=(Option("width", "count", 3, "how wide"),), forward=None, backward=None,
        torch="MadeUp", example=((2,), {})))
    assert "### `madeup` (torch.nn.MadeUp)\n\n- `width` (count, `3`): how wide" \
        in specs_doc.generate()


def test_the_module_entry_prints_the_reference():
    out = subprocess.run([sys.executable, "-m", "hwcheck.report.specs_doc"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert out == specs_doc.generate()
