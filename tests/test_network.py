"""network.py: shapes, parameter counts and mult-adds against closed-form formulas."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcheck.spec import network as netspec, yamlio
from hwcheck.engine.network import NetworkError
from hwcheck.engine.network import Layer, layer, normalise, output_size, summarize, walk
from tests.support.profiles import examples

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "networks"


def conv(out, kernel, **kw):
    return layer("conv2d", out=out, kernel=kernel, **kw)


# ---- output_size ------------------------------------------------------------------------------

@given(n=st.integers(1, 40), k=st.integers(1, 6), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_floor_mode_counts_the_windows_that_fit(n, k, s, p, d):
    """Floor mode: one output per window start that keeps the dilated window inside."""
    span, padded = d * (k - 1) + 1, n + 2 * p
    fits = [i for i in range(padded) if i * s + span <= padded]
    got = output_size(n, k, s, p, d)
    assert got == len(fits) if fits else got < 1


@given(n=st.integers(1, 40), k=st.integers(1, 6), s=st.integers(1, 4), d=st.integers(1, 3),
       data=st.data())
def test_ceil_mode_adds_a_partial_window_that_starts_inside(n, k, s, d, data):
    """Ceil mode: windows may hang over the right edge, even over a too-small input, but must
    start in the input or the left padding (pools keep padding <= kernel // 2, as torch does)."""
    p = data.draw(st.integers(0, k // 2))
    span, padded = d * (k - 1) + 1, n + 2 * p
    starts = [i * s for i in range(padded + 1) if i * s < padded - span + s and i * s < n + p]
    ceil, floor = (max(output_size(n, k, s, p, d, c), 0) for c in (True, False))
    assert ceil == len(starts)
    assert floor <= ceil <= floor + 1


def test_output_size_known_values():
    assert output_size(32, 5, 1, 2) == 32
    assert output_size(224, 11, 4, 2) == 55
    assert output_size(5, 2, 2, 0, ceil_mode=True) == 3
    assert output_size(4, 2, 2, 1, ceil_mode=True) == 3   # last window starts in the input
    assert output_size(3, 2, 2, 1, ceil_mode=True) == 2   # it would start in right padding
    with pytest.raises(ValueError):
        output_size(8, 0, 1, 0)


# ---- single layers ----------------------------------------------------------------------------

@given(c=st.integers(1, 8), h=st.integers(1, 30), w=st.integers(1, 30), g=st.integers(1, 4),
       m=st.integers(1, 4), kh=st.integers(1, 5), kw=st.integers(1, 5), s=st.integers(1, 3),
       p=st.integers(0, 2), d=st.integers(1, 2), bias=st.booleans())
def test_conv2d_shape_params_and_mult_adds(c, h, w, g, m, kh, kw, s, p, d, bias):
    c, out = c * g, m * g
    lay = conv(out, [kh, kw], stride=s, padding=p, dilation=d, groups=g, bias=bias)
    oh = (h + 2 * p - d * (kh - 1) - 1) // s + 1
    ow = (w + 2 * p - d * (kw - 1) - 1) // s + 1
    if oh < 1 or ow < 1:
        with pytest.raises(NetworkError, match="collapses"):
            summarize((c, h, w), [lay])
        return
    row = summarize((c, h, w), [lay]).layers[0]
    assert row.output_shape == (out, oh, ow)
    assert row.param_shapes["weight"] == (out, c // g, kh, kw)
    assert row.params == out * (c // g * kh * kw + bias)
    assert row.mult_adds == oh * ow * out * (c // g * kh * kw + bias)


@given(dims=st.lists(st.integers(1, 6), min_size=1, max_size=3), out=st.integers(1, 9),
       bias=st.booleans())
def test_linear_acts_on_the_last_dimension(dims, out, bias):
    s = summarize(tuple(dims), [layer("linear", out=out, bias=bias)])
    rows = 1
    for d in dims[:-1]:
        rows *= d
    assert s.output_shape == (*dims[:-1], out)
    assert s.total_params == out * (dims[-1] + bias)
    assert s.total_mult_adds == rows * s.total_params


def test_shape_keeping_layers_and_flatten():
    layers = [layer("batchnorm2d"), layer("relu"), layer("dropout", p=0.1), layer("sigmoid"),
              layer("tanh"), layer("softmax", dim=0), layer("flatten"), layer("batchnorm1d")]
    s = summarize((3, 4, 5), layers)
    assert [r.output_shape for r in s.layers] == [(3, 4, 5)] * 6 + [(60,)] * 2
    assert [r.params for r in s.layers] == [6, 0, 0, 0, 0, 0, 0, 120]
    assert s.layers[0].param_shapes == {"weight": (3,), "bias": (3,)}
    assert s.total_mult_adds == 126  # torchinfo counts batchnorm's parameters once
    assert summarize((3, 4, 5), [layer("batchnorm2d", affine=False)]).total_params == 0


def test_pools_default_stride_to_kernel_and_adaptive_pool_sets_the_size():
    s = summarize((2, 7, 9), [layer("maxpool2d", kernel=2), layer("avgpool2d", kernel=[1, 2]),
                              layer("adaptiveavgpool2d", output_size=[5, 1])])
    assert [r.output_shape for r in s.layers] == [(2, 3, 4), (2, 3, 2), (2, 5, 1)]
    assert s.total_params == 0


# ---- sequences and residuals ------------------------------------------------------------------

@settings(max_examples=examples(50))
@given(c0=st.integers(1, 4), widths=st.lists(st.integers(1, 16), min_size=1, max_size=6),
       k=st.sampled_from([1, 3, 5]), size=st.integers(1, 12))
def test_same_padding_stack_matches_closed_form(c0, widths, k, size):
    """Σ (c_{i-1}·k² + 1)·c_i, and 'same' padding keeps the spatial size."""
    s = summarize((c0, size, size), [conv(w, k, padding=k // 2) for w in widths])
    chans = [c0, *widths]
    assert s.total_params == sum((a * k * k + 1) * b for a, b in zip(chans, chans[1:]))
    assert s.output_shape == (widths[-1], size, size)


def test_residual_rows_come_in_execution_order_with_depth():
    block = Layer("residual", "r", {}, 7, 5,
                  body=(conv(8, 3, stride=2, padding=1), layer("relu")),
                  shortcut=(conv(8, 1, stride=2, bias=False),))
    s = summarize((4, 9, 9), [block, layer("flatten")])
    assert [(r.name, r.depth) for r in s.layers] == [
        ("r", 0), ("conv2d", 1), ("relu", 1), ("conv2d", 1), ("flatten", 0)]
    assert s.layers[0].output_shape == (8, 5, 5) and s.layers[0].params == 0
    assert s.total_params == (4 * 9 + 1) * 8 + 4 * 8
    assert [lay.name for lay, _ in walk([block])] == ["r", "conv2d", "relu", "conv2d"]


def test_identity_residual_needs_a_shape_keeping_body():
    ok = Layer("residual", "r", {}, body=(conv(3, 3, padding=1),))
    assert summarize((3, 5, 5), [ok]).output_shape == (3, 5, 5)
    bad = Layer("residual", "r", {}, 4, 7, body=(conv(6, 3, padding=1),))
    with pytest.raises(NetworkError, match=r"body gives \(6, 5, 5\) but the identity") as err:
        summarize((3, 5, 5), [bad])
    assert (err.value.line, err.value.col) == (4, 7)


# ---- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, lay, fragment", [
    ((3, 8, 8), conv(4, 3, groups=2), "groups=2 must divide both the input channels (3)"),
    ((4, 8, 8), conv(3, 3, groups=2), "and out (3)"),
    ((12,), conv(4, 3), "needs a (C, H, W) input, got (12,)"),
    ((3, 4, 4), conv(4, 5), "shrinks its input (3, 4, 4) to (4, 0, 0)"),
    ((3, 4, 4), layer("maxpool2d", kernel=2, padding=2), "more than half the kernel"),
    ((3, 4, 4), layer("batchnorm1d"), "use batchnorm2d"),
    ((3,), layer("softmax", dim=1), "dim=1 is out of range"),
])
def test_layer_errors_name_the_layer_and_its_position(shape, lay, fragment):
    lay = Layer(lay.kind, "mine", lay.options, line=12, col=7)
    with pytest.raises(NetworkError) as err:
        summarize(shape, [lay])
    assert fragment in err.value.message + (err.value.hint or "") and "'mine'" in err.value.message
    assert (err.value.line, err.value.col) == (12, 7)
    assert "\n" not in err.value.message


@pytest.mark.parametrize("shape", [(), (0, 3), (3, -1)])
def test_bad_input_shapes(shape):
    with pytest.raises(NetworkError, match="input shape"):
        summarize(shape, [layer("relu")])


def test_normalise_fills_torch_defaults_and_is_idempotent():
    opts = normalise("maxpool2d", {"kernel": 3})
    assert opts == {"kernel": (3, 3), "stride": (3, 3), "padding": (0, 0), "ceil_mode": False,
                    "dilation": (1, 1)}
    assert normalise("maxpool2d", opts) == opts
    assert normalise("conv2d", {"out": 2, "kernel": [1, 3]})["groups"] == 1
    with pytest.raises(NetworkError, match="needs `kernel:`"):
        normalise("conv2d", {"out": 2})
    with pytest.raises(NetworkError, match="no option 'kernal'"):
        normalise("conv2d", {"out": 2, "kernal": 3})


# ---- the example networks ---------------------------------------------------------------------

@pytest.mark.parametrize("name, params, mult_adds", [
    ("lenet5", 61_706, 423_038),
    # torchinfo reports 714.68 M, 15.48 G and 1.81 G mult-adds for these three
    ("alexnet", 61_100_840, 714_682_664),
    ("vgg16", 138_357_544, 15_483_821_032),
    ("resnet18", 11_689_512, 1_814_083_944),
])
def test_example_networks_totals(name, params, mult_adds):
    root = yamlio.load_file(EXAMPLES / f"{name}.yaml")
    s = netspec.parse_network(root.value["network"]).summary()
    assert (s.total_params, s.total_mult_adds) == (params, mult_adds)
    assert s.output_shape == ((10,) if name == "lenet5" else (1000,))
    assert s.total_params == sum(r.params for r in s.layers)
