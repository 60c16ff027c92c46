"""The ``loss``, ``optimizer`` and ``batch`` sections of the network kinds.

Each reads its registry (``engine/losses.LOSSES``, ``engine/optimizers.OPTIMIZERS``), so a
new loss or optimizer is one table entry: its options, defaults and schema come from it.

    loss: cross_entropy                              # torch's defaults
    loss: {mse: {reduction: sum, half: true}}        # with options
    optimizer: {adam: {lr: 0.01, betas: [0.9, 0.99], steps: 3}}
    batch: 3                                         # input (3, ...), target (3, ...)
"""

from __future__ import annotations

import numpy as np

from hwcheck.engine.losses import LOSSES, REDUCTIONS
from hwcheck.engine.ops.losses import one_hot
from hwcheck.engine.optimizers import OPTIMIZERS
from hwcheck.errors import SpecError
from hwcheck.kinds.sections import Section
from hwcheck.spec import readers
from hwcheck.spec.instance import Instance, draw, size
from hwcheck.spec.yamlio import Node

STEPS_DEFAULT = 1
MAX_BATCH = 1024      # a homework's batch is a handful; this keeps a typo from eating memory
MAX_STEPS = 1000


def _one_key(node: Node, known, what: str) -> tuple[str, Node | None]:
    """``name`` or ``{name: {options}}`` (one key); the name checked against ``known``."""
    if node.kind == "scalar":
        got = readers.name(node, what)
        if got not in known:
            raise readers.unknown(node, got, known, what)
        return got, None
    items = readers.mapping(node, f"`{what}`")
    if len(items) != 1:
        raise node.error(f"`{what}` names one {what}, as {{NAME: {{options}}}}",
                         cls=SpecError, hint=f"{what}s: " + ", ".join(known))
    got, opts = next(iter(items.items()))
    if got not in known:
        line, col = node.key_mark(got)
        raise SpecError(f"unknown {what} '{got}'", file=node.file, line=line, col=col,
                        hint=readers.suggest(got, known, f"{what}s"))
    if opts.kind == "scalar" and opts.value is None:
        return got, None
    return got, opts


def _option(node: Node, opt, owner: str):
    what = f"{owner} {opt.name}:"
    if opt.type == "boolean":
        return readers.boolean(node)
    if opt.type == "string":
        value = readers.name(node, what)
        if value not in REDUCTIONS:
            raise readers.unknown(node, value, REDUCTIONS, "reduction")
        return value
    if opt.type == "pair":
        items = readers.seq(node, what)
        if len(items) != 2:
            raise node.error(f"{what} is two numbers, as [0.9, 0.999]", cls=SpecError)
        return tuple(readers.number(i, what=what) for i in items)
    value = readers.number(node, what=what)
    if value < 0:
        raise node.error(f"{what} must not be negative; got {node.value}", cls=SpecError)
    return value


def _options(node: Node | None, table_options, owner: str, extra=()) -> dict:
    if node is None:
        return {}
    readers.mapping(node, f"`{owner}` options")
    by_name = {o.name: o for o in table_options}
    readers.no_unknown(node, [*by_name, *extra], f"{owner} option")
    return {k: _option(v, by_name[k], owner) for k, v in node.value.items() if k in by_name}


def read_loss(node: Node) -> tuple[str, dict]:
    """``loss:`` → (name, options)."""
    name, opts = _one_key(node, list(LOSSES), "loss")
    options = _options(opts, LOSSES[name].options, name)
    d = LOSSES[name]
    try:   # the option values torch itself refuses (label_smoothing > 1, huber delta 0)
        d.forward(np.full((1, 2), 0.5), np.full((1, 2), 0.5),
                  {**d.defaults(), **options, "last": None})
    except ValueError as exc:
        raise node.error(f"loss {name}: {exc}", cls=SpecError) from None
    return name, options


def read_optimizer(node: Node) -> tuple[str, dict, int]:
    """``optimizer:`` → (name, options, steps)."""
    name, opts = _one_key(node, list(OPTIMIZERS), "optimizer")
    d = OPTIMIZERS[name]
    options = _options(opts, d.options, name, extra=("steps",))
    steps = STEPS_DEFAULT
    if opts is not None and "steps" in opts.value:
        val = opts.value["steps"]
        steps = readers.number(val, what=f"{name} steps:")
        if steps != int(steps) or not 1 <= steps <= MAX_STEPS:
            raise val.error(f"{name} steps must be a whole number from 1 to {MAX_STEPS:,}; "
                            f"got {val.value}", cls=SpecError)
    try:
        d.resolve(options)
    except ValueError as exc:
        raise node.error(str(exc), cls=SpecError,
                         hint=f"torch.optim.{d.torch} refuses it too; see `hwcheck schema "
                         "problem`") from None
    return name, options, int(steps)


#: layers that leave their input's values as they are (dropout: eval mode)
PASS_THROUGH = ("dropout", "flatten")


def check_applies(node: Node, name: str, layers, out_shape: tuple) -> None:
    """Refuse a loss that cannot apply to the network's output, at the ``loss:`` line.

    The output's maker is the last layer that changes values (a sigmoid then a flatten
    still ends in a sigmoid).
    """
    kinds = [layer.kind for layer in layers if layer.kind not in PASS_THROUGH]
    last = kinds[-1] if kinds else None
    refusal = LOSSES[name].refuse(last, tuple(out_shape))
    if refusal is not None:
        message, hint = refusal
        raise node.error(message, cls=SpecError, hint=hint)


def batch_size(spec, inst: Instance) -> int | None:
    node = spec.section("batch")
    if node is None:
        return None
    n = size(node, inst)
    if not 1 <= n <= MAX_BATCH:
        raise node.error(f"batch must be from 1 to {MAX_BATCH:,}; got {n:,}", cls=SpecError)
    return n


def read_target(node: Node, name: str, out_shape: tuple, batch: int | None,
                inst: Instance) -> np.ndarray:
    """The target: the output's shape, or (class losses) class indices without its class
    axis, with the batch dimension first in a batched problem."""
    full = ((batch,) if batch else ()) + tuple(out_shape)
    d = LOSSES[name]
    if d.index_targets == "no" or node.kind == "map" and "shape" not in node.value:
        if d.index_targets == "only":
            raise node.error(f"{name} takes class indices; give the random draw a shape",
                             cls=SpecError, hint="e.g. target: {random: integers, low: 0, "
                             "high: 2, shape: [3]} for 3 classes")
        return draw(node, full, inst, "target")
    target = draw(node, None, inst, "target")
    if target.shape == full and d.index_targets == "also":
        return target
    cls = 1 if batch else 0
    want = full[:cls] + full[cls + 1:]
    if target.shape != want and d.index_targets == "also" and target.size == np.prod(full):
        return target.reshape(full)     # probabilities written flat, as draw() allows
    if target.shape != want:
        raise node.error(f"target has shape {target.shape}; the network needs {full}"
                         if d.index_targets == "also" else
                         f"target has shape {target.shape}; {name} needs {want}",
                         cls=SpecError, hint=f"{name} takes class indices of shape {want}"
                         + (f" or probabilities of shape {full}"
                            if d.index_targets == "also" else ""))
    like = np.zeros(full if batch else (1, *full))
    try:
        one_hot(target if batch else target[None], like)
    except ValueError as exc:
        raise node.error(f"target: {exc}", cls=SpecError) from None
    return target


def _loss_schema() -> dict:
    per = {}
    for d in LOSSES.values():
        props = {}
        for o in d.options:
            s = {"enum": list(REDUCTIONS)} if o.type == "string" else {"type": o.type}
            if o.type == "number":
                s["minimum"] = 0
            props[o.name] = {**s, "default": o.default, "description": o.help}
        per[d.name] = {"type": ["object", "null"], "additionalProperties": False,
                       "properties": props, "description": f"{d.formula} (torch: "
                       f"torch.nn.functional.{d.torch})"}
    return {"anyOf": [{"enum": list(LOSSES)},
                      {"type": "object", "minProperties": 1, "maxProperties": 1,
                       "additionalProperties": False, "properties": per}],
            "description": "a loss name (torch's defaults), or {NAME: {options}}"}


def _optimizer_schema() -> dict:
    per = {}
    for d in OPTIMIZERS.values():
        props = {"steps": {"type": "integer", "minimum": 1, "maximum": MAX_STEPS,
                           "default": STEPS_DEFAULT,
                           "description": "how many steps to take"}}
        for o in d.options:
            if o.type == "pair":
                s = {"type": "array", "items": {"type": "number", "minimum": 0,
                                                "exclusiveMaximum": 1},
                     "minItems": 2, "maxItems": 2, "default": list(o.default)}
            elif o.type == "boolean":
                s = {"type": "boolean", "default": o.default}
            else:
                s = {"type": "number", "minimum": 0, "default": o.default}
            props[o.name] = {**s, "description": o.help}
        per[d.name] = {"type": ["object", "null"], "additionalProperties": False,
                       "properties": props,
                       "description": f"torch.optim.{d.torch}: {d.rule}"}
    return {"type": "object", "minProperties": 1, "maxProperties": 1,
            "additionalProperties": False, "properties": per,
            "description": "the optimizer of an sgd_step problem, {NAME: {options}}"}


LOSS = Section("loss", _loss_schema(), read_loss, "loss: cross_entropy (or mse, bce, …)")
OPTIMIZER = Section("optimizer", _optimizer_schema(), read_optimizer,
                    "optimizer: {sgd: {lr: 0.01}}")
BATCH = Section("batch", {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_BATCH},
                                    {"type": "string"}],
                          "description": "N samples: the input is (N, …) and the target "
                                         "(N, …); the loss reduces over them as torch"},
                example="batch: 3")
