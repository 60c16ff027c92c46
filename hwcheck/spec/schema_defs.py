"""JSON Schema ``$defs`` shared by the problem and answers schemas: sizes, arrays, seeded
random draws and the ``network:`` layer vocabulary.

The layer definitions, help text included, are generated from the layer table
(:data:`hwcheck.engine.layers.LAYERS`), so a new layer type or option reaches the schema
without being typed twice.
"""

from __future__ import annotations

from typing import Any

from hwcheck.spec.instance import DISTRIBUTIONS
from hwcheck.spec.network import _NAME, _RESIDUAL_KEYS
from hwcheck.spec.option_values import MAX_SIZE
from hwcheck.engine.layers import LAYERS, REQUIRED, Option

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
    """``network``, ``layers`` and one ``layer`` per type in LAYERS, plus ``residual``."""
    bare = [kind for kind, d in LAYERS.items()
            if not any(o.default is REQUIRED for o in d.options)]
    bodies = {kind: _layer_body(kind) for kind in (*LAYERS, "residual")}
    return {
        "network": {
            "type": "object", "required": ["input", "layers"], "additionalProperties": False,
            "description": "a network in PyTorch's vocabulary, without the batch dimension",
            "properties": {
                "input": {"anyOf": [ref("input_shape"), {
                    "type": "object", "minProperties": 1,
                    "propertyNames": ref("layer_name"),
                    "additionalProperties": ref("input_shape")}],
                          "description": "input shape: (C, H, W) for images, (F,) for "
                                         "vectors; no batch dimension. Or several named "
                                         "inputs, name → shape, read by layers' `inputs:`",
                          "examples": [[3, 32, 32], [2], {"q": [3, 4], "k": [5, 4]}]},
                "layers": ref("layers"),
            }},
        "input_shape": {"anyOf": [ref("count"), {"type": "array", "items": ref("count"),
                                                 "minItems": 1, "maxItems": 3}]},
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
    d = LAYERS.get(kind)
    options, params = (d.options, d.params) if d is not None else ((), ())
    props: dict[str, Any] = {"name": ref("layer_name"), "inputs": {
        "anyOf": [ref("layer_name"), {"type": "array", "items": ref("layer_name"),
                                      "minItems": 1}],
        "description": "the quantities it reads (named network inputs or earlier layers); "
                       "default: the previous layer's output" + (
                           f". Needs {len(d.inputs)}: " + ", ".join(d.inputs)
                           + (", or one for all" if d.self_inputs else "")
                           if d is not None and d.inputs else "")}}
    for opt in options:
        props[opt.name] = _option(opt)
    patterns = {f"^{p.pattern}$": {**ref("given_value"), "description": p.help}
                for p in params if p.pattern is not None}
    params = [p for p in params if p.pattern is None]
    for param in params:
        if param.name in props:     # `bias: false` switch, or the bias's values
            props[param.name] = {"anyOf": [props[param.name], ref("given_value")],
                                 "description": props[param.name]["description"]}
        else:
            props[param.name] = {**ref("given_value"), "description": param.help or param.name}
    required = [o.name for o in options if o.default is REQUIRED]
    if kind == "residual":
        props[_RESIDUAL_KEYS[0]] = {**ref("layers"), "description": "the residual body"}
        props[_RESIDUAL_KEYS[1]] = {
            "anyOf": [{"type": "array", "items": ref("layer")}, {"type": "null"}],
            "description": "layers on the skip path (e.g. a 1x1 conv); identity when absent"}
        required.append(_RESIDUAL_KEYS[0])
    body = {"type": "object", "properties": props, "additionalProperties": False,
            "description": f"{kind} options"}
    if patterns:       # families of names such as weight_ih_l0, weight_ih_l1_reverse
        body["patternProperties"] = patterns
    if required:
        body["required"] = required
        return body
    # `- relu:` with nothing after it is read as relu without options
    return {"anyOf": [body, {"type": "null"}], "description": body["description"]}


def _option(opt: Option) -> dict:
    single = {"pair": "count", "pair0": "size"}.get(opt.type)
    if opt.type == "shape":
        out: dict[str, Any] = {"anyOf": [ref("count"), {"type": "array", "items": ref("count"),
                                                        "minItems": 1}]}
    elif opt.type == "choice":
        out = {"enum": list(opt.choices)}
    elif single:
        out = {"anyOf": [ref(single), {"type": "array", "items": ref(single),
                                                       "minItems": 2, "maxItems": 2}]}
    else:
        out = {"count": ref("count"), "size": ref("size"), "int": ref("integer"),
               "optional": ref("integer"),
               "bool": {"type": "boolean"},
               "prob": {"type": "number", "minimum": 0, "maximum": 1},
               "positive": {"type": "number", "exclusiveMinimum": 0},
               "number": {"type": "number"},
               "choice": {"enum": list(opt.choices)}}[opt.type]
        out = dict(out)
    help_text = opt.help or opt.name
    if opt.default is REQUIRED:
        help_text += " (required)"
    elif opt.type == "optional":
        out = {"anyOf": [out, {"type": "null"}], "default": None}
    elif opt.default is None:
        help_text += f" ({_STRIDE_DEFAULT})"
    else:
        out["default"] = opt.default
    out["description"] = help_text
    return out


def _int_or_expr(low: int | None, description: str) -> dict:
    whole: dict[str, Any] = {"type": "integer", "maximum": MAX_SIZE}
    whole["minimum"] = -MAX_SIZE if low is None else low
    return {"anyOf": [whole, ref("size_expression")], "description": description}
