"""Completeness of the loss table (engine/losses.py): every entry, with its options varied.

For each loss, on its own example and on random batched arrays (N = 3, and a spatial
(N, C, L) output for the class losses): the gradient against central differences, and
(when torch is installed) E and ∂E/∂out against its ``torch.nn.functional`` namesake to
1e-9. Also: the refusals name a message and a hint, and a loss has a formula and torch name.
"""

from __future__ import annotations

import numpy as np
import pytest

from hwcheck.engine.losses import LOSSES, REDUCTIONS
from hwcheck.engine.optimizers import OPTIMIZERS
from tests.support.gradcheck import numeric_vjp
from tests.support.helpers import ROOT

TOL = 1e-9

# Option values each loss is also checked with (besides its defaults).
VARIED = {
    "cross_entropy": [{"label_smoothing": 0.2}, {"reduction": "sum", "label_smoothing": 0.1}],
    "mse": [{"half": True}, {"half": True, "reduction": "sum"}],
    "smooth_l1": [{"beta": 0.5}, {"beta": 0.0}, {"beta": 2.0, "reduction": "sum"}],
    "huber": [{"delta": 0.5}, {"delta": 2.0, "reduction": "sum"}],
}


def option_sets(name):
    return [{}] + [{"reduction": r} for r in REDUCTIONS] + VARIED.get(name, [])


def cases():
    for name in LOSSES:
        for i, opts in enumerate(option_sets(name)):
            for shape in ("example", "batch", "spatial"):
                yield pytest.param(name, opts, shape, id=f"{name}-{i}-{shape}")


def arrays(name, shape, rng):
    """A batched output, its target (indices for the class losses where they allow it)."""
    d = LOSSES[name]
    if shape == "example":
        out = np.atleast_2d(np.asarray(d.example["out"], dtype=float))
        target = np.asarray(d.example["target"], dtype=float)
        return out, target.reshape(out.shape) if target.size == out.size else target
    full = (3, 4) if shape == "batch" else (3, 4, 2)
    out = rng.standard_normal(full) * 2
    if name == "bce":
        out = 1 / (1 + np.exp(-out))
    if d.index_targets != "no":
        idx = rng.integers(0, 4, (3,) + full[2:]).astype(float)
        if d.index_targets == "also" and shape == "spatial":
            p = rng.dirichlet(np.ones(4), (3,) + full[2:])
            return out, np.moveaxis(p, -1, 1)
        return out, idx
    if name in ("bce", "bce_with_logits"):
        return out, rng.uniform(0, 1, full)
    return out, rng.standard_normal(full)


@pytest.mark.parametrize("name, opts, shape", list(cases()))
def test_loss_gradient_matches_finite_differences(name, opts, shape):
    rng = np.random.default_rng(len(name) + 7 * len(opts))
    out, target = arrays(name, shape, rng)
    d = LOSSES[name]
    e, grad = d.run(out, target, opts)
    assert np.isfinite(e) and grad.shape == out.shape
    (fd,) = numeric_vjp(lambda o: d.run(o, target, opts)[0], [out], 1.0, [0])
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name, opts, shape", list(cases()))
@pytest.mark.torch
def test_loss_matches_its_torch_namesake(name, opts, shape):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(len(name) + 7 * len(opts))
    out, target = arrays(name, shape, rng)
    d = LOSSES[name]
    e, grad = d.run(out, target, opts)
    tout = torch.tensor(out, dtype=torch.float64, requires_grad=True)
    ttarget = torch.tensor(target, dtype=torch.float64)
    if target.shape != out.shape:
        ttarget = ttarget.long()
    kwargs = {o.name: opts.get(o.name, o.default) for o in d.options if o.torch}
    te = getattr(F, d.torch)(tout, ttarget, **kwargs)
    if opts.get("half"):
        te = 0.5 * te
    (tgrad,) = torch.autograd.grad(te, [tout])
    assert abs(e - float(te.detach())) <= TOL * max(1.0, abs(float(te.detach())))
    np.testing.assert_allclose(grad, tgrad.numpy(), rtol=TOL, atol=TOL)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_after_a_softmax_is_cross_entropy_on_its_probabilities(reduction):
    """The seed meaning (p4, p5): after a final softmax layer, q is that layer's output."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    z = rng.standard_normal((3, 4))
    q = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    for target in (rng.dirichlet(np.ones(4), 3), np.array([0.0, 3.0, 1.0])):
        e, grad = LOSSES["cross_entropy"].run(q, target, {"reduction": reduction}, "softmax")
        tq = torch.tensor(q, requires_grad=True)
        tt = torch.tensor(target)
        te = torch.nn.functional.nll_loss(torch.log(tq), tt.long(), reduction=reduction) \
            if target.ndim == 1 else \
            -(tt * torch.log(tq)).sum() / (3 if reduction == "mean" else 1)
        (tg,) = torch.autograd.grad(te, [tq])
        assert e == pytest.approx(float(te.detach()), rel=TOL, abs=TOL)
        np.testing.assert_allclose(grad, tg.numpy(), rtol=TOL, atol=TOL)


@pytest.mark.parametrize("name", LOSSES)
def test_every_loss_has_its_documentation(name):
    d = LOSSES[name]
    assert d.formula and d.torch and d.example
    assert d.options and d.options[0].name == "reduction" and d.options[0].default == "mean"


REFUSED = [("cross_entropy", "sigmoid", (3,)), ("cross_entropy", None, (1,)),
           ("cross_entropy", "softmax", (1,)), ("nll", "softmax", (3,)),
           ("bce", "softmax", (3,)), ("bce", "relu", (3,)), ("bce", None, (3,)),
           ("bce_with_logits", "sigmoid", (3,)), ("bce_with_logits", "softmax", (3,))]


@pytest.mark.parametrize("name, last, shape", REFUSED)
def test_a_loss_that_cannot_apply_is_refused_with_a_hint(name, last, shape):
    message, hint = LOSSES[name].refuse(last, shape)
    assert name in message and hint


@pytest.mark.parametrize("name, last, shape", [
    ("cross_entropy", "softmax", (3,)), ("cross_entropy", "linear", (3,)),
    ("bce", "sigmoid", (1,)), ("bce_with_logits", "linear", (1,)), ("nll", None, (2,)),
    ("mse", "sigmoid", (1,)), ("cross_entropy", "softmax", (1, 3, 3))])
def test_a_loss_that_applies_is_accepted(name, last, shape):
    assert LOSSES[name].refuse(last, shape) is None


def test_the_readme_states_each_formula_and_rule():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for d in LOSSES.values():
        assert f"| `{d.name}` | `{d.torch}` | {d.formula.replace('|', chr(92) + '|')} |" \
            in readme, d.name
    for d in OPTIMIZERS.values():
        assert f"| `{d.name}` | `{d.torch}` | {d.rule} |" in readme, d.name
