"""Hypothesis strategies shared by the test modules.

- Random layer stacks (``image_nets``, ``sequence_nets``, ``vector_nets``, ``any_nets``,
  ``small_nets``, ``recurrent_nets``) for the solver tests and their torch cross-checks. The layer kinds are
  listed by hand here: a new layer is drawn only once it is added below.
- Shapes and options of conv and pooling ops (``conv_cases``, ``pool_cases``) for the op
  tests and their torch cross-checks.
"""

from __future__ import annotations

import dataclasses

from hypothesis import strategies as st

from hwcheck.engine import network
from hwcheck.engine.layers import LAYERS
from hwcheck.engine.layers.base import same_shape
from hwcheck.engine.network import NetworkError, layer
from tests.support.nets import Net

seeds = st.integers(0, 2**32 - 1)


# ---- random networks ------------------------------------------------------------------------

#: Shape-keeping layers without parameters (the activations, dropout), read from the layer
#: table so that a new activation is drawn without being listed here.
ELEMENTWISE = sorted(k for k, d in LAYERS.items() if d.shape is same_shape and not d.params)


def _elementwise(draw, name: str):
    """One of ELEMENTWISE, with torch's default options or with its table example's."""
    kind = draw(st.sampled_from(ELEMENTWISE))
    return layer(kind, name, **draw(st.sampled_from([{}, dict(LAYERS[kind].example[1])])))


def _fits(shape, layers) -> bool:
    try:
        network.summarize(shape, layers)
    except NetworkError:
        return False
    return True


def _out_shape(shape, layers):
    return network.summarize(shape, layers).output_shape


class _Names:
    def __init__(self):
        self.n = 0

    def __call__(self, kind):
        self.n += 1
        return f"{kind}{self.n}"


def _pair(draw, low, high):
    if draw(st.booleans()):
        return draw(st.integers(low, high))
    return [draw(st.integers(low, high)), draw(st.integers(low, high))]


def _conv(draw, name, c):
    divisors = [g for g in range(1, c + 1) if c % g == 0]
    groups = draw(st.sampled_from(divisors))
    out = groups * draw(st.integers(1, max(1, 4 // groups)))
    return layer("conv2d", name, out=out, kernel=_pair(draw, 1, 3), stride=_pair(draw, 1, 2),
                 padding=_pair(draw, 0, 1), dilation=_pair(draw, 1, 2), groups=groups,
                 bias=draw(st.booleans()))


def _pool(draw, name):
    kernel = draw(st.integers(1, 3))
    opts = dict(kernel=kernel, stride=draw(st.sampled_from([None, 1, 2])),
                padding=draw(st.integers(0, kernel // 2)), ceil_mode=draw(st.booleans()))
    if draw(st.booleans()):
        return layer("maxpool2d", name, dilation=draw(st.integers(1, 2)), **opts)
    return layer("avgpool2d", name, count_include_pad=draw(st.booleans()), **opts)


def _residual(draw, names, shape):
    """body: conv (3x3, pad 1, stride s) [→ batchnorm] → act [→ conv 1x1];
    shortcut: identity when the shape is kept, else a 1x1 conv with the same stride."""
    c = shape[0]
    stride = draw(st.integers(1, 2))
    out = draw(st.integers(1, 3))
    body = [layer("conv2d", names("conv"), out=out, kernel=3, padding=1, stride=stride,
                  bias=draw(st.booleans()))]
    side = [(n - 1) // stride + 1 for n in shape[1:]]
    if side[0] * side[1] > 1 and draw(st.booleans()):    # batch statistics need 2+ values
        body.append(layer("batchnorm2d", names("bn"), affine=draw(st.booleans())))
    body.append(_elementwise(draw, names("act")))
    if draw(st.booleans()):
        body.append(layer("conv2d", names("conv"), out=out, kernel=1))
    shortcut = None
    if stride != 1 or out != c or draw(st.booleans()):
        shortcut = (layer("conv2d", names("proj"), out=out, kernel=1, stride=stride,
                          bias=draw(st.booleans())),)
    return dataclasses.replace(layer("residual", names("res")), body=tuple(body),
                               shortcut=shortcut)


@st.composite
def image_nets(draw, max_side=7):
    """(C, H, W) input → conv / pool / activation / batchnorm / residual / softmax blocks,
    then either a flatten → linear head or the image itself as the output."""
    names = _Names()
    shape = (draw(st.integers(1, 3)), draw(st.integers(3, max_side)),
             draw(st.integers(3, max_side)))
    layers: list = []
    for _ in range(draw(st.integers(1, 4))):
        cur = _out_shape(shape, layers)
        what = draw(st.sampled_from(["conv", "conv", "pool", "act", "bn", "res", "softmax"]))
        if what == "conv":
            new = _conv(draw, names("conv"), cur[0])
        elif what == "pool":
            new = _pool(draw, names("pool"))
        elif what == "act":
            new = _elementwise(draw, names("act"))
        elif what == "bn":
            if cur[1] * cur[2] < 2:
                continue
            new = layer("batchnorm2d", names("bn"), affine=draw(st.booleans()))
        elif what == "res":
            new = _residual(draw, names, cur)
        else:
            new = layer("softmax", names("softmax"), dim=draw(st.integers(-3, 2)))
        if _fits(shape, layers + [new]):
            layers.append(new)
    if draw(st.booleans()):
        layers.append(layer("flatten", names("flatten")))
        layers.append(layer("linear", names("fc"), out=draw(st.integers(2, 4)),
                            bias=draw(st.booleans())))
        if draw(st.booleans()):
            layers.append(_elementwise(draw, names("act")))
            layers.append(layer("linear", names("fc"), out=draw(st.integers(2, 4))))
    if draw(st.booleans()):
        layers.append(layer("softmax", names("softmax")))
    return Net(shape, tuple(layers))


@st.composite
def sequence_nets(draw):
    """(C, L) input: linear on the last axis, batchnorm1d over channels, activations, softmax
    along either axis, then flatten → linear, optionally softmax."""
    names = _Names()
    shape = (draw(st.integers(1, 3)), draw(st.integers(2, 5)))
    layers: list = []
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(["linear", "bn", "act", "softmax", "dropout"]))
        if what == "linear":
            new = layer("linear", names("lin"), out=draw(st.integers(2, 4)),
                        bias=draw(st.booleans()))
        elif what == "bn":
            new = layer("batchnorm1d", names("bn"), affine=draw(st.booleans()))
        elif what == "act":
            new = _elementwise(draw, names("act"))
        elif what == "dropout":
            new = layer("dropout", names("drop"), p=0.5)
        else:
            new = layer("softmax", names("softmax"), dim=draw(st.integers(-2, 1)))
        layers.append(new)
    if draw(st.booleans()):
        layers += [layer("flatten", names("flatten")),
                   layer("linear", names("fc"), out=draw(st.integers(2, 4)))]
        if draw(st.booleans()):
            layers.append(layer("softmax", names("softmax")))
    return Net(shape, tuple(layers))


def vector_nets():
    """A (F,) input through linear layers and activations, ending in softmax or logits."""
    @st.composite
    def build(draw):
        names = _Names()
        layers = []
        for _ in range(draw(st.integers(1, 3))):
            layers.append(layer("linear", names("fc"), out=draw(st.integers(2, 4)),
                                bias=draw(st.booleans())))
            layers.append(_elementwise(draw, names("act")))
        layers.append(layer("linear", names("fc"), out=draw(st.integers(2, 4))))
        if draw(st.booleans()):
            layers.append(layer("softmax", names("softmax")))
        return Net((draw(st.integers(1, 4)),), tuple(layers))
    return build()


@st.composite
def recurrent_nets(draw):
    """(T, F) input through one or two of rnn / lstm / gru (random options), with linear
    layers and activations between, optionally a softmax at the end. Kept apart from
    ``any_nets``, whose derandomised draws the other tests' examples depend on."""
    names = _Names()
    shape = (draw(st.integers(1, 4)), draw(st.integers(1, 3)))
    layers: list = []
    for _ in range(draw(st.integers(1, 2))):
        if draw(st.booleans()):
            layers.append(layer("linear", names("fc"), out=draw(st.integers(1, 3))))
        kind = draw(st.sampled_from(["rnn", "lstm", "gru"]))
        hidden = draw(st.integers(1, 3))
        opts = dict(hidden_size=hidden, num_layers=draw(st.integers(1, 2)),
                    bidirectional=draw(st.booleans()), bias=draw(st.booleans()))
        if kind == "rnn":
            opts["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
        if kind == "lstm" and hidden > 1 and draw(st.booleans()):
            opts["proj_size"] = draw(st.integers(1, hidden - 1))
        layers.append(layer(kind, names(kind), **opts))
        if draw(st.booleans()):
            layers.append(_elementwise(draw, names("act")))
    if draw(st.booleans()):
        layers.append(layer("softmax", names("softmax")))
    return Net(shape, tuple(layers))


def any_nets():
    return st.one_of(image_nets(), sequence_nets(), vector_nets())


@st.composite
def small_nets(draw):
    """Sequential networks small enough for full finite differences at every step."""
    return draw(st.one_of(vector_nets(), image_nets(max_side=5), sequence_nets()))


# ---- conv and pooling ops -------------------------------------------------------------------

@st.composite
def conv_cases(draw):
    groups = draw(st.integers(1, 2))
    cin_g, cout_g = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    hw = [draw(st.integers(max(1, d[a] * (k[a] - 1) + 1 - 2 * p[a]), d[a] * (k[a] - 1) + 4))
          for a in (0, 1)]
    n = draw(st.integers(1, 2))
    bias = draw(st.booleans())
    as_int = draw(st.booleans())  # also exercise the int spelling of stride/padding/dilation
    opts = dict(stride=s[0] if as_int else s, padding=p[0] if as_int else p,
                dilation=d[0] if as_int else d, groups=groups)
    if as_int:
        s, p, d = (s[0],) * 2, (p[0],) * 2, (d[0],) * 2
        hw = [max(h, d[0] * (k[a] - 1) + 1 - 2 * p[0]) for a, h in enumerate(hw)]
    return (n, groups * cin_g, *hw), (groups * cout_g, cin_g, *k), bias, opts, (s, p, d), draw(seeds)


@st.composite
def pool_cases(draw, with_dilation):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if with_dilation else (1, 1)
    hw = [draw(st.integers(max(1, d[a] * (k[a] - 1) + 1 - 2 * p[a]), d[a] * (k[a] - 1) + 5))
          for a in (0, 1)]
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *hw)
    return shape, k, s, p, d, draw(st.booleans()), draw(seeds)
