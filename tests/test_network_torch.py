"""PyTorch parity: random networks get the same shapes, parameter shapes and counts as torch.

The torch side is built from the same plain spec (not from our parsed layers) with lazy
modules, so torch infers every input size itself. A network that we reject must fail in
torch too, and the other way round.
"""

from __future__ import annotations

import json
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcheck.spec import network as netspec, yamlio
from hwcheck.errors import SpecError
from tests.support.profiles import examples

torch = pytest.importorskip("torch")
nn = torch.nn
pytestmark = pytest.mark.torch

SETTINGS = settings(max_examples=examples(60))


# ---- spec → torch ---------------------------------------------------------------------------

def _module(kind: str, o: dict, device: str):
    pair = lambda v: tuple(v) if isinstance(v, list) else v  # noqa: E731
    if kind == "conv2d":
        return nn.LazyConv2d(o["out"], pair(o["kernel"]), stride=pair(o.get("stride", 1)),
                             padding=pair(o.get("padding", 0)),
                             dilation=pair(o.get("dilation", 1)), groups=o.get("groups", 1),
                             bias=o.get("bias", True), device=device)
    if kind == "maxpool2d":
        return nn.MaxPool2d(pair(o["kernel"]), pair(o.get("stride")), pair(o.get("padding", 0)),
                            pair(o.get("dilation", 1)), ceil_mode=o.get("ceil_mode", False))
    if kind == "avgpool2d":
        return nn.AvgPool2d(pair(o["kernel"]), pair(o.get("stride")), pair(o.get("padding", 0)),
                            ceil_mode=o.get("ceil_mode", False),
                            count_include_pad=o.get("count_include_pad", True))
    if kind == "adaptiveavgpool2d":
        return nn.AdaptiveAvgPool2d(pair(o["output_size"]))
    if kind in ("batchnorm2d", "batchnorm1d"):
        cls = nn.LazyBatchNorm2d if kind == "batchnorm2d" else nn.LazyBatchNorm1d
        return cls(affine=o.get("affine", True), device=device)
    if kind == "linear":
        return nn.LazyLinear(o["out"], bias=o.get("bias", True), device=device)
    if kind == "softmax":
        dim = o.get("dim", -1)
        return nn.Softmax(dim + 1 if dim >= 0 else dim)  # +1: torch sees a batch dimension
    return {"flatten": nn.Flatten, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
            "dropout": lambda: nn.Dropout(o.get("p", 0.5))}[kind]()


def _split(item) -> tuple[str, dict]:
    if isinstance(item, str):
        return item, {}
    (kind, opts), = item.items()
    return kind, dict(opts or {})


def _torch_run(items, x, rows: list):
    """Run ``x`` through the spec's layers; ``rows`` gets (output shape, module) per layer."""
    for item in items:
        kind, opts = _split(item)
        if kind == "residual":
            at = len(rows)
            rows.append(None)
            body = _torch_run(opts["layers"], x, rows)
            short = _torch_run(opts.get("shortcut") or [], x, rows)
            if body.shape != short.shape:  # torch would broadcast; a residual never does
                raise RuntimeError("residual branches disagree")
            x = body + short
            rows[at] = (tuple(x.shape[1:]), None)
            continue
        module = _module(kind, opts, x.device).eval()
        x = module(x)
        rows.append((tuple(x.shape[1:]), module))
    return x


def torch_summary(spec: dict, device: str = "cpu"):
    """[(output shape, module)] per layer in execution order, or the exception torch raised.

    On the "meta" device torch infers shapes without computing, which keeps big nets fast.
    """
    rows: list = []
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # lazy modules warn that they are new
        try:
            _torch_run(spec["layers"], torch.zeros(1, *spec["input"], device=device), rows)
        except (RuntimeError, ValueError) as exc:
            return exc
    return rows


def our_summary(spec: dict):
    node = yamlio.load_text(json.dumps({"network": spec}))  # JSON is YAML, with no anchors
    try:
        return netspec.parse_network(node.value["network"]).summary()
    except SpecError as exc:
        return exc


def assert_same(spec: dict, device: str = "cpu") -> None:
    ours, theirs = our_summary(spec), torch_summary(spec, device)
    if isinstance(ours, SpecError) or isinstance(theirs, Exception):
        assert isinstance(ours, SpecError) and isinstance(theirs, Exception), (ours, theirs)
        return
    assert len(ours.layers) == len(theirs)
    for row, (shape, module) in zip(ours.layers, theirs):
        assert row.output_shape == shape, (row, shape)
        params = dict(module.named_parameters()) if module is not None else {}
        assert dict(row.param_shapes) == {k: tuple(p.shape) for k, p in params.items()}, row
        count = sum(p.numel() for p in params.values())
        assert row.params == count
        if row.kind == "conv2d":  # torchinfo: parameters × output positions
            assert row.mult_adds == count * shape[1] * shape[2]
        elif row.kind == "linear":
            assert row.mult_adds == count * (torch.Size(shape[:-1]).numel())
    total = sum(p.numel() for _, m in theirs if m is not None for p in m.parameters())
    assert ours.total_params == total
    assert ours.output_shape == theirs[-1][0] if theirs else spec["input"]


# ---- random networks --------------------------------------------------------------------------

sizes = st.integers(1, 4)
pairs = st.one_of(sizes, st.lists(sizes, min_size=2, max_size=2))


@st.composite
def conv2d(draw, channels: int):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    out = groups * draw(st.integers(1, 3))
    return {"conv2d": {"out": out, "kernel": draw(pairs), "stride": draw(st.integers(1, 3)),
                       "padding": draw(st.one_of(st.integers(0, 2), st.lists(st.integers(0, 2),
                                                                              min_size=2,
                                                                              max_size=2))),
                       "dilation": draw(st.integers(1, 2)), "groups": groups,
                       "bias": draw(st.booleans())}}


@st.composite
def pool(draw):
    kind = draw(st.sampled_from(["maxpool2d", "avgpool2d"]))
    opts = {"kernel": draw(pairs), "padding": draw(st.integers(0, 1)),
            "ceil_mode": draw(st.booleans())}
    if draw(st.booleans()):
        opts["stride"] = draw(pairs)
    if kind == "maxpool2d":
        opts["dilation"] = draw(st.integers(1, 2))
    else:
        opts["count_include_pad"] = draw(st.booleans())
    return {kind: opts}


@st.composite
def residual(draw):
    """A BasicBlock-like residual whose branches agree: odd kernels with half padding."""
    out, stride = draw(st.integers(1, 4)), draw(st.integers(1, 2))
    k = draw(st.sampled_from([1, 3]))
    body = [{"conv2d": {"out": out, "kernel": k, "stride": stride, "padding": k // 2}},
            "batchnorm2d", "relu", {"conv2d": {"out": out, "kernel": 3, "padding": 1}}]
    block = {"layers": body}
    if draw(st.booleans()) or stride != 1:
        block["shortcut"] = [{"conv2d": {"out": out, "kernel": 1, "stride": stride}}]
    else:  # identity: the body must keep the channels
        body.insert(0, {"conv2d": {"out": out, "kernel": 1}})
    return {"residual": block}


@st.composite
def networks(draw):
    channels = draw(st.integers(1, 4))
    image = st.one_of(conv2d(channels), pool(), residual(), st.just("batchnorm2d"),
                      st.just("relu"), st.just({"dropout": {"p": 0.25}}),
                      st.builds(lambda n: {"adaptiveavgpool2d": {"output_size": n}}, pairs))
    layers = draw(st.lists(image, min_size=1, max_size=5))
    if draw(st.booleans()):
        layers.append("flatten")
        tail = st.one_of(st.builds(lambda n, b: {"linear": {"out": n, "bias": b}},
                                   st.integers(1, 8), st.booleans()),
                         st.just("batchnorm1d"), st.just("tanh"), st.just("sigmoid"),
                         st.just({"softmax": {"dim": 0}}))
        layers += draw(st.lists(tail, max_size=3))
    elif draw(st.booleans()):
        layers.append({"linear": {"out": draw(st.integers(1, 5))}})  # acts on the last dim
    return {"input": [channels, draw(st.integers(1, 20)), draw(st.integers(1, 20))],
            "layers": layers}


@SETTINGS
@given(networks())
def test_random_networks_match_torch(spec):
    assert_same(spec)


@SETTINGS
@given(channels=st.integers(1, 6), size=st.integers(1, 12), data=st.data())
def test_single_pool_and_conv_layers_match_torch(channels, size, data):
    """Dense coverage of ceil_mode, padding and dilation corner cases, one layer at a time."""
    layer = data.draw(st.one_of(pool(), conv2d(channels)))
    assert_same({"input": [channels, size, size + data.draw(st.integers(0, 3))],
                 "layers": [layer]})


@pytest.mark.parametrize("name", ["lenet5", "alexnet", "vgg16", "resnet18"])
def test_example_networks_match_torch(name, examples):
    assert_same(yamlio.load_file(examples / f"{name}.yaml").plain()["network"], device="meta")


@pytest.fixture
def examples():
    from pathlib import Path

    return Path(__file__).resolve().parents[1] / "examples" / "networks"
