"""``gradient`` and ``sgd_step``: a network, an input, and a loss (or an upstream gradient);
the key is every gradient, or the parameters after SGD steps.

Both kinds read their sections through :func:`_inputs`, which the load-time check runs on
the spec's own instance, so a spec that loads is one whose inputs the solvers accept.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from hwcheck.engine.graph import SOFTMAX_DIAGONAL
from hwcheck.engine.layers import initial_params
from hwcheck.engine.network import walk
from hwcheck.engine.solvers import Solution
from hwcheck.engine.solvers.gradient import LOSSES
from hwcheck.engine.solvers.sgd_step import ASCENT
from hwcheck.errors import SpecError
from hwcheck.kinds import KindSlip, ProblemKind, naming
from hwcheck.kinds.sections import INPUT, NAMING, NETWORK, TARGET, Section
from hwcheck.spec import readers
from hwcheck.spec.instance import Instance, draw, make_instance
from hwcheck.spec.network import parse_network
from hwcheck.spec.schema_defs import ref
from hwcheck.spec.yamlio import Node

#: torch.optim.SGD's options and the defaults a spec gets (lr has none in torch; 0.01 here).
SGD_DEFAULTS = {"lr": 0.01, "momentum": 0.0, "weight_decay": 0.0, "steps": 1}
UPSTREAM_KEYS = ("at", "value")

WRONG_SIGN = KindSlip(ASCENT, "sgd-wrong-sign",
                      "The step went uphill: you added lr·gradient. "
                      "SGD subtracts it: θ' = θ − lr·∂E/∂θ.")


def loss_name(node: Node) -> str:
    name = readers.name(node, "loss")
    if name not in LOSSES:
        raise readers.unknown(node, name, LOSSES, "loss")
    return name


def sgd_options(node: Node) -> dict:
    """``optimizer: {sgd: {...}}`` → the keyword arguments of the SGD solver."""
    readers.no_unknown(node, ("sgd",), "optimizer")
    sgd = readers.required(node, "sgd", "optimizer")
    opts = dict(SGD_DEFAULTS)
    readers.mapping(sgd, "`optimizer.sgd`")
    readers.no_unknown(sgd, SGD_DEFAULTS, "sgd option")
    for key, val in sgd.items():
        value = readers.number(val, what=f"sgd {key}:")
        if key == "steps" and (value != int(value) or value < 1):
            raise val.error(f"sgd steps must be a whole number of at least 1; got {val.value}",
                            cls=SpecError)
        if value < 0:
            raise val.error(f"sgd {key} must not be negative; got {val.value}", cls=SpecError)
        opts[key] = int(value) if key == "steps" else value
    return opts


def _upstream_check(node: Node) -> None:
    readers.mapping(node, "`upstream`")
    readers.no_unknown(node, UPSTREAM_KEYS, "upstream key")
    readers.name(readers.required(node, "at", "upstream"), "upstream.at")
    readers.required(node, "value", "upstream")


LOSS = Section("loss", {"enum": list(LOSSES),
                        "description": "cross_entropy against a probability target, or mse"},
               loss_name, "loss: cross_entropy (or mse)")
UPSTREAM = Section("upstream", {
    "type": "object", "required": list(UPSTREAM_KEYS), "additionalProperties": False,
    "description": "without a loss: the gradient that arrives at a layer",
    "properties": {"at": {"type": "string", "description": "the layer's name"},
                   "value": ref("given_value")}}, _upstream_check)
OPTIMIZER = Section("optimizer", {
    "type": "object", "required": ["sgd"], "additionalProperties": False,
    "description": "the optimiser of an sgd_step problem",
    "properties": {"sgd": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "lr": {"type": "number", "minimum": 0, "default": SGD_DEFAULTS["lr"],
                   "description": "learning rate"},
            "momentum": {"type": "number", "minimum": 0, "default": SGD_DEFAULTS["momentum"]},
            "weight_decay": {"type": "number", "minimum": 0,
                             "default": SGD_DEFAULTS["weight_decay"]},
            "steps": {"type": "integer", "minimum": 1, "default": SGD_DEFAULTS["steps"]}}}}},
    sgd_options, "optimizer: {sgd: {lr: 0.01}}")


_NETWORKS: dict = {}
_MAX_NETWORKS = 512


def network(spec, inst: Instance):
    """The network at these sizes, parsed once: a class shares the few size sets it needs."""
    node = spec.section("network")
    key = (id(node), tuple(sorted(inst.sizes.items())))
    if key not in _NETWORKS:  # the node is kept in the value, so its id is not reused
        if len(_NETWORKS) >= _MAX_NETWORKS:  # every load adds one: a long run must not grow
            _NETWORKS.clear()
        _NETWORKS[key] = (node, parse_network(node, inst.sizes))
    return _NETWORKS[key][1]


def parameters(net, summary, inst: Instance) -> dict:
    """Given weights, or the layer table's initial values (seeded per parameter)."""
    params = {}
    shapes = {s.name: s.param_shapes for s in summary.layers}
    for layer, _ in walk(net.layers):
        own = shapes.get(layer.name, {})
        start = initial_params(
            layer, own, lambda p, n=layer.name: inst.rng(zlib.crc32(f"{n}.{p}".encode())),
            given=layer.given)
        for pname, shape in own.items():
            node = layer.given.get(pname)
            key = f"{layer.name}.{pname}"
            params[key] = start[pname] if node is None else draw(node, shape, inst, key)
    return params


@dataclass(frozen=True)
class _Inputs:
    net: object
    summary: object
    params: dict
    x: np.ndarray
    loss: str | None
    target: np.ndarray | None
    upstream: np.ndarray | None
    upstream_at: str | None


def _inputs(spec, inst: Instance) -> _Inputs:
    net = network(spec, inst)
    summary = net.summary()
    params = parameters(net, summary, inst)
    x = draw(spec.section("input"), net.input_shape, inst, "input")
    loss_node, target_node = spec.section("loss"), spec.section("target")
    upstream_node = spec.section("upstream")
    if loss_node is not None:
        if target_node is None:
            raise loss_node.error("`loss:` needs a `target:`", cls=SpecError,
                                  hint="the loss compares the network's output with it")
        if upstream_node is not None:
            raise upstream_node.error("give `loss:` and `target:`, or `upstream:`, not both",
                                      cls=SpecError)
        target = draw(target_node, summary.output_shape, inst, "target")
        return _Inputs(net, summary, params, x, loss_name(loss_node), target, None, None)
    if target_node is not None:
        raise target_node.error("`target:` is read only with a `loss:`", cls=SpecError,
                                hint="add loss: cross_entropy or loss: mse")
    if upstream_node is None:
        raise spec.node.error(f"`kind: {spec.kind}` needs `loss:` and `target:`, or "
                              "`upstream:`", cls=SpecError, hint="see `hwcheck schema problem`")
    at_node = upstream_node.value["at"]
    at = readers.name(at_node, "upstream.at")
    names = [s.name for s in summary.layers]
    if at not in names:
        raise at_node.error(f"no layer named '{at}'", cls=SpecError,
                            hint=readers.suggest(at, names, "layers"))
    shape = summary.layers[names.index(at)].output_shape
    up = draw(upstream_node.value["value"], shape, inst, "upstream")
    return _Inputs(net, summary, params, x, None, None, up, at)


def _check(spec) -> None:
    inst = make_instance(spec)
    _inputs(spec, inst)
    if spec.section("optimizer") is not None:
        sgd_options(spec.section("optimizer"))
    naming.check(spec, inst)


def _gradient(spec, inst: Instance, variants) -> Solution:
    from hwcheck.engine.solvers import gradient

    i = _inputs(spec, inst)
    values = gradient.solve(i.net.layers, i.params, i.x, loss=i.loss, target=i.target,
                            upstream=i.upstream, upstream_at=i.upstream_at, variants=variants)
    return naming.named(spec, inst, values, {"summary": i.summary},
                        inputs=naming.Run(i.net, i.params, i.x, variants))


def _sgd_step(spec, inst: Instance, variants) -> Solution:
    from hwcheck.engine.solvers import sgd_step

    i = _inputs(spec, inst)
    values = sgd_step.solve(i.net.layers, i.params, i.x, i.target, loss=i.loss,
                            variants=variants, **sgd_options(spec.section("optimizer")))
    return naming.named(spec, inst, values, {"summary": i.summary})


GRADIENT = ProblemKind(
    "gradient", requires=(NETWORK, INPUT), accepts=(LOSS, TARGET, UPSTREAM, *NAMING),
    solve=_gradient, check=_check,
    schema={"oneOf": [{"required": ["loss", "target"], "properties": {"upstream": False}},
                      {"required": ["upstream"],
                       "properties": {"loss": False, "target": False}}]},
    variants=(SOFTMAX_DIAGONAL,), random_instances=2)

SGD_STEP = ProblemKind(
    "sgd_step", requires=(NETWORK, INPUT, LOSS, TARGET, OPTIMIZER), accepts=NAMING,
    solve=_sgd_step, check=_check, variants=(SOFTMAX_DIAGONAL, ASCENT), slips=(WRONG_SIGN,))
