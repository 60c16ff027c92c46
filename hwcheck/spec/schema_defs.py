"""JSON Schema ``$defs`` shared by the problem and answers schemas: sizes, arrays, seeded
random draws and the ``network:`` layer vocabulary.

The layer definitions are generated from :data:`hwcheck.engine.network.OPTIONS` and
:data:`hwcheck.engine.network.GIVEN`, so a new layer type or option reaches the schema without
being typed twice. Only the descriptions below are written by hand.
"""

from __future__ import annotations

from typing import Any

from hwcheck.spec.instance import DISTRIBUTIONS
from hwcheck.spec.network import _MAX_SIZE, _NAME, _RESIDUAL_KEYS
from hwcheck.engine.network import GIVEN, OPTIONS, REQUIRED, Option

# What the netspec parser does with each option, for editor hovers. An option missing here
# still gets a schema; it only lacks the sentence.
_OPTION_HELP = {
    "out": "output channels (conv2d) or output features (linear)",
    "kernel": "kernel size: one size, or [h, w]",
    "stride": "stride: one size, or [h, w]",
    "padding": "zero padding on each side: one size, or [h, w]",
    "dilation": "spacing between kernel taps: one size, or [h, w]",
    "groups": "blocked connections; must divide the input channels and `out`",
    "bias": "false drops the bias; an array or random draw gives its values",
    "ceil_mode": "round the output size up instead of down",
    "count_include_pad": "average over the padding too",
    "output_size": "output H and W: one size, or [h, w]",
    "eps": "added to the variance for numerical stability",
    "momentum": "running-statistics momentum",
    "affine": "learnable weight and bias; false drops both",
    "p": "probability of zeroing an element (identity at evaluation)",
    "dim": "dimension that sums to 1, counted without the batch; -1 is the last",
    "weight": "the weight's values: an array or a seeded random draw",
    "running_mean": "the running mean's values: an array or a seeded random draw",
    "running_var": "the running variance's values: an array or a seeded random draw",
}
_STRIDE_DEFAULT = "defaults to the kernel size"


def ref(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


def value_defs() -> dict[str, Any]:
    """Sizes, shapes, numeric arrays and random draws."""
    expr = {"type": "string", "minLength": 1, "pattern": r"^[A-Za-z0-9_+\-*/() ]+$",
            "description": "an integer size expression in the spec's `sizes`, e.g. 2n+k-1 "
                           "(whole numbers, size names, + - * // and parentheses)",
            "examples": ["2n+k-1", "k"]}
    return {
        "size_expression": expr,
        "count": _int_or_expr(1, "a whole number ≥ 1, or a size expression"),
        "size": _int_or_expr(0, "a whole number ≥ 0, or a size expression"),
        "integer": _int_or_expr(None, "a whole number, or a size expression"),
        "shape": {"type": "array", "items": ref("size"),
                  "description": "a list of sizes, e.g. [2n, 2m]"},
        "matrix": {"type": "array", "minItems": 1,
                   "items": {"anyOf": [{"type": "number"}, ref("matrix")]},
                   "description": "a regular nested list of numbers (a vector, a matrix, …)"},
        "array": {"anyOf": [{"type": "number"}, ref("matrix")],
                  "description": "a number or a nested list of numbers"},
        "random": {
            "type": "object", "required": ["random"], "additionalProperties": False,
            "description": "a seeded random draw; its shape comes from `shape:` or, for "
                           "network inputs and parameters, from the network",
            "properties": {
                "random": {"enum": list(DISTRIBUTIONS),
                           "description": "normal: scale·N(0, 1); uniform: U(low, high); "
                                          "integers: whole numbers in [low, high]; "
                                          "dirichlet: probability vectors along the last "
                                          "axis"},
                "seed": {"type": "integer", "default": 0,
                         "description": "mixed with the instance number (and the student "
                                        "for per-student variants)"},
                "scale": {"type": "number", "default": 1.0,
                          "description": "standard deviation of a normal draw"},
                "low": {"type": "number",
                        "description": "lower bound (uniform: 0, integers: -3)"},
                "high": {"type": "number",
                         "description": "upper bound (uniform: 1, integers: 3)"},
                "shape": ref("shape"),
            }},
        "given_value": {"anyOf": [ref("array"), ref("random")],
                        "description": "explicit numbers or a seeded random draw"},
    }


def network_defs() -> dict[str, Any]:
    """``network``, ``layers`` and one ``layer`` per type in OPTIONS."""
    bare = [kind for kind, opts in OPTIONS.items()
            if kind != "residual" and not any(o.default is REQUIRED for o in opts)]
    bodies = {kind: _layer_body(kind) for kind in OPTIONS}
    return {
        "network": {
            "type": "object", "required": ["input", "layers"], "additionalProperties": False,
            "description": "a network in PyTorch's vocabulary, without the batch dimension",
            "properties": {
                "input": {"anyOf": [ref("count"), {"type": "array", "items": ref("count"),
                                                   "minItems": 1, "maxItems": 3}],
                          "description": "input shape: (C, H, W) for images, (F,) for "
                                         "vectors; no batch dimension",
                          "examples": [[3, 32, 32], [2]]},
                "layers": ref("layers"),
            }},
        "layers": {"type": "array", "minItems": 1, "items": ref("layer"),
                   "description": "layers in execution order, one per `- ` item"},
        "layer": {
            "description": "a layer: a bare type such as `relu`, or a mapping with one key, "
                           "its type, holding its options, e.g. `conv2d: {out: 8, kernel: 3}`",
            # if/then/else rather than anyOf, so an error names the option, not the branch
            "type": ["string", "object"],
            "if": {"type": "string"}, "then": {"enum": bare},
            "else": {"minProperties": 1, "maxProperties": 1, "additionalProperties": False,
                     "properties": bodies}},
        "layer_name": {"type": "string", "pattern": "^" + _NAME.pattern.replace(r"\Z", "$"),
                       "description": "a plain identifier; unnamed layers are called "
                                      "<type>_<n>, e.g. conv2d_1"},
    }


def _layer_body(kind: str) -> dict:
    props: dict[str, Any] = {"name": ref("layer_name")}
    for opt in OPTIONS[kind]:
        props[opt.name] = _option(opt)
    for key in GIVEN.get(kind, ()):
        given = {**ref("given_value"), "description": _OPTION_HELP.get(key, key)}
        if key in props:            # `bias: false` switch, or the bias's values
            props[key] = {"anyOf": [props[key], ref("given_value")],
                          "description": props[key]["description"]}
        else:
            props[key] = given
    required = [o.name for o in OPTIONS[kind] if o.default is REQUIRED]
    if kind == "residual":
        props[_RESIDUAL_KEYS[0]] = {**ref("layers"), "description": "the residual body"}
        props[_RESIDUAL_KEYS[1]] = {
            "anyOf": [{"type": "array", "items": ref("layer")}, {"type": "null"}],
            "description": "layers on the skip path (e.g. a 1x1 conv); identity when absent"}
        required.append(_RESIDUAL_KEYS[0])
    body = {"type": "object", "properties": props, "additionalProperties": False,
            "description": f"{kind} options"}
    if required:
        body["required"] = required
        return body
    # `- relu:` with nothing after it is read as relu without options
    return {"anyOf": [body, {"type": "null"}], "description": body["description"]}


def _option(opt: Option) -> dict:
    single = {"pair": "count", "pair0": "size"}.get(opt.type)
    if single:
        out: dict[str, Any] = {"anyOf": [ref(single), {"type": "array", "items": ref(single),
                                                       "minItems": 2, "maxItems": 2}]}
    else:
        out = {"count": ref("count"), "size": ref("size"), "int": ref("integer"),
               "bool": {"type": "boolean"},
               "prob": {"type": "number", "minimum": 0, "maximum": 1},
               "positive": {"type": "number", "exclusiveMinimum": 0}}[opt.type]
        out = dict(out)
    help_text = _OPTION_HELP.get(opt.name, opt.name)
    if opt.default is REQUIRED:
        help_text += " (required)"
    elif opt.default is None:
        help_text += f" ({_STRIDE_DEFAULT})"
    else:
        out["default"] = opt.default
    out["description"] = help_text
    return out


def _int_or_expr(low: int | None, description: str) -> dict:
    whole: dict[str, Any] = {"type": "integer", "maximum": _MAX_SIZE}
    whole["minimum"] = -_MAX_SIZE if low is None else low
    return {"anyOf": [whole, ref("size_expression")], "description": description}
