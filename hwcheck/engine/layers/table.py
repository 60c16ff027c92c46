""":data:`LAYERS`: one entry per layer type, in PyTorch's vocabulary and with its defaults.

Adding a layer: write its op pair in ``engine/ops/`` (with a gradcheck-able backward), add an
entry here with a torch namesake and an ``example``, and regenerate the JSON Schema
(``hwcheck schema problem``). The completeness tests in tests/test_layer_table.py then run
it through finite differences, the shape rule and, with torch installed, its namesake.
"""

from __future__ import annotations

from hwcheck.engine.ops import activations as act
from hwcheck.engine.ops import batchnorm as bn

from . import rules
from .base import REQUIRED, LayerDef, Option, Param, fan_in_normal, ones, zeros

SOFTMAX_DIAGONAL = "softmax-diagonal"   # a known slip: softmax Jacobian without cross terms


def _renamed(**names: str):
    """torch_kwargs for options that torch spells differently (``out`` → ``out_channels``)."""
    return lambda options: {names.get(k, k): v for k, v in options.items()}


def _pair_opt(name: str, default, help: str) -> Option:
    return Option(name, "pair0" if name == "padding" else "pair", default, help)


_KERNEL = _pair_opt("kernel", REQUIRED, "kernel size: one size, or [h, w]")
_STRIDE_1 = _pair_opt("stride", 1, "stride: one size, or [h, w]")
_POOL_STRIDE = _pair_opt("stride", None, "stride: one size, or [h, w]")
_PADDING = _pair_opt("padding", 0, "zero padding on each side: one size, or [h, w]")
_CONV_PADDING = _pair_opt("padding", 0, "padding on each side (zeros, or as padding_mode "
                                        "says): one size, or [h, w]")
_DILATION = _pair_opt("dilation", 1, "spacing between kernel taps: one size, or [h, w]")
_CEIL = Option("ceil_mode", "bool", False, "round the output size up instead of down")
_BIAS = Option("bias", "bool", True, "false drops the bias; an array or random draw gives its "
                                     "values")

_FAN_IN = fan_in_normal("weight")
_WEIGHT = Param("weight", _FAN_IN, "the weight's values: an array or a seeded random draw")
_FAN_BIAS = Param("bias", _FAN_IN, "the bias's values: an array or a seeded random draw")

_NORM_OPTIONS = (Option("eps", "positive", 1e-5, "added to the variance for numerical stability"),
                 Option("momentum", "prob", 0.1, "running-statistics momentum"),
                 Option("affine", "bool", True, "learnable weight and bias; false drops both"))
_NORM_PARAMS = (
    Param("weight", ones, "the weight's (gamma's) values: an array or a seeded random draw"),
    Param("bias", zeros, "the bias's (beta's) values: an array or a seeded random draw"),
    Param("running_mean", zeros, "the running mean's values: an array or a seeded random draw",
          buffer=True),
    Param("running_var", ones, "the running variance's values: an array or a seeded random "
                               "draw", buffer=True))

_relu = rules.elementwise(act.relu_forward, act.relu_backward)
_leakyrelu = rules.elementwise(act.leakyrelu_forward, act.leakyrelu_backward, "negative_slope")
_sigmoid = rules.elementwise(act.sigmoid_forward, act.sigmoid_backward)
_tanh = rules.elementwise(act.tanh_forward, act.tanh_backward)
_bn2d = rules.batchnorm(bn.batchnorm2d_forward, bn.batchnorm2d_backward)
_bn1d = rules.batchnorm(bn.batchnorm1d_forward, bn.batchnorm1d_backward)

LAYERS: dict[str, LayerDef] = {
    "conv2d": LayerDef(
        options=(Option("out", "count", help="output channels"), _KERNEL, _STRIDE_1,
                 _CONV_PADDING,
                 _DILATION, Option("groups", "count", 1, "blocked connections; must divide "
                                                         "the input channels and `out`"),
                 _BIAS, rules.PADDING_MODE),
        params=(_WEIGHT, _FAN_BIAS), shape=rules.conv2d_shape,
        forward=rules.conv2d_forward, backward=rules.conv2d_backward,
        torch="LazyConv2d", torch_kwargs=_renamed(out="out_channels", kernel="kernel_size"),
        example=((4, 6, 5), {"out": 4, "kernel": (3, 2), "stride": (2, 1), "padding": 1,
                             "groups": 2})),
    "maxpool2d": LayerDef(
        options=(_KERNEL, _POOL_STRIDE, _PADDING, _CEIL, _DILATION),
        shape=rules.pool_shape, forward=rules.maxpool2d_forward,
        backward=rules.maxpool2d_backward,
        torch="MaxPool2d", torch_kwargs=_renamed(kernel="kernel_size"),
        example=((2, 5, 6), {"kernel": 2, "stride": (2, 1), "padding": 1, "ceil_mode": True})),
    "avgpool2d": LayerDef(
        options=(_KERNEL, _POOL_STRIDE, _PADDING, _CEIL,
                 Option("count_include_pad", "bool", True, "average over the padding too")),
        shape=rules.pool_shape, forward=rules.avgpool2d_forward,
        backward=rules.avgpool2d_backward,
        torch="AvgPool2d", torch_kwargs=_renamed(kernel="kernel_size"),
        example=((2, 5, 6), {"kernel": 3, "stride": 2, "padding": 1,
                             "count_include_pad": False})),
    "adaptiveavgpool2d": LayerDef(
        options=(Option("output_size", "pair", help="output H and W: one size, or [h, w]"),),
        shape=rules.adaptive_shape, forward=rules.adaptive_forward,
        backward=rules.avgpool2d_backward,
        torch="AdaptiveAvgPool2d", example=((2, 4, 6), {"output_size": (2, 3)})),
    "batchnorm2d": LayerDef(
        options=_NORM_OPTIONS, params=_NORM_PARAMS, shape=rules.batchnorm_shape,
        forward=_bn2d[0], backward=_bn2d[1],
        torch="LazyBatchNorm2d", example=((3, 2, 3), {})),
    "batchnorm1d": LayerDef(
        options=_NORM_OPTIONS, params=_NORM_PARAMS, shape=rules.batchnorm_shape,
        forward=_bn1d[0], backward=_bn1d[1],
        torch="LazyBatchNorm1d", example=((3, 4), {"eps": 1e-3})),
    "dropout": LayerDef(
        options=(Option("p", "prob", 0.5, "probability of zeroing an element (identity at "
                                          "evaluation)"),),
        forward=rules.identity_forward, backward=rules.identity_backward,
        torch="Dropout", torch_mode="eval", example=((3, 4), {})),
    "flatten": LayerDef(
        options=(), shape=rules.flatten_shape, forward=rules.flatten_forward,
        backward=rules.flatten_backward, torch="Flatten", example=((2, 3, 2), {})),
    "linear": LayerDef(
        options=(Option("out", "count", help="output features"), _BIAS),
        params=(_WEIGHT, _FAN_BIAS), shape=rules.linear_shape,
        forward=rules.linear_forward, backward=rules.linear_backward,
        torch="LazyLinear", torch_kwargs=_renamed(out="out_features"),
        example=((2, 5), {"out": 3})),
    "relu": LayerDef(options=(), forward=_relu[0], backward=_relu[1], torch="ReLU",
                     example=((2, 3), {})),
    "leakyrelu": LayerDef(
        options=(Option("negative_slope", "number", 0.01, "slope for negative inputs"),),
        forward=_leakyrelu[0], backward=_leakyrelu[1], torch="LeakyReLU",
        example=((2, 3), {"negative_slope": 0.2})),
    "sigmoid": LayerDef(options=(), forward=_sigmoid[0], backward=_sigmoid[1], torch="Sigmoid",
                        example=((2, 3), {})),
    "tanh": LayerDef(options=(), forward=_tanh[0], backward=_tanh[1], torch="Tanh",
                     example=((2, 3), {})),
    "softmax": LayerDef(
        options=(Option("dim", "int", -1, "dimension that sums to 1, counted without the "
                                          "batch; -1 is the last"),),
        shape=rules.softmax_shape, forward=rules.softmax_forward,
        backward=rules.softmax_backward,
        torch="Softmax", torch_kwargs=lambda o: {"dim": rules.batched_dim(o["dim"])},
        variants={SOFTMAX_DIAGONAL: rules.softmax_diagonal_backward},
        example=((2, 3), {"dim": 0})),
}

from .more import MORE  # noqa: E402  (issue 12's layers, in their own module)
from .recurrent import RECURRENT  # noqa: E402  (rnn, lstm, gru: their own module)

LAYERS.update(MORE)
LAYERS.update(RECURRENT)
