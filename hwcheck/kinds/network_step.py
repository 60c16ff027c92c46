"""``gradient`` and ``sgd_step``: a network, an input, and a loss (or an upstream gradient);
the key is every gradient, or the parameters after SGD steps.

Both kinds read their sections through :func:`_inputs`, which the load-time check runs on
the spec's own instance, so a spec that loads is one whose inputs the solvers accept.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from hwcheck.engine.graph import SOFTMAX_DIAGONAL
from hwcheck.engine.layers import initial_params
from hwcheck.engine.network import walk
from hwcheck.engine.solvers import Solution
from hwcheck.engine.solvers.sgd_step import ASCENT
from hwcheck.errors import SpecError
from hwcheck.frozen import frozen
from hwcheck.kinds import KindSlip, ProblemKind, naming
from hwcheck.kinds.sections import INPUT, NAMING, NETWORK, TARGET, Section
from hwcheck.kinds.training import (BATCH, LOSS, OPTIMIZER, batch_size, check_applies,
                                    read_loss, read_optimizer, read_target)
from hwcheck.spec import readers
from hwcheck.spec.instance import Instance, draw, make_instance
from hwcheck.spec.network import parse_network
from hwcheck.spec.schema_defs import ref
from hwcheck.spec.yamlio import Node

UPSTREAM_KEYS = ("at", "value")

WRONG_SIGN = KindSlip(ASCENT, "sgd-wrong-sign",
                      "The step went uphill: you added the update instead of subtracting "
                      "it. SGD steps down: θ' = θ − lr·∂E/∂θ (every optimizer subtracts "
                      "its update).")


def _upstream_check(node: Node) -> None:
    readers.mapping(node, "`upstream`")
    readers.no_unknown(node, UPSTREAM_KEYS, "upstream key")
    readers.name(readers.required(node, "at", "upstream"), "upstream.at")
    readers.required(node, "value", "upstream")


UPSTREAM = Section("upstream", {
    "type": "object", "required": list(UPSTREAM_KEYS), "additionalProperties": False,
    "description": "without a loss: the gradient that arrives at a layer",
    "properties": {"at": {"type": "string", "description": "the layer's name"},
                   "value": ref("given_value")}}, _upstream_check)

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


@frozen
class _Inputs:
    """Everything a network problem's instance gives the engine."""

    net: object
    summary: object
    params: dict
    x: np.ndarray
    loss: str | None
    target: np.ndarray | None
    upstream: np.ndarray | None
    upstream_at: str | None
    loss_options: dict | None = None
    batched: bool = False


def _inputs(spec, inst: Instance) -> _Inputs:
    net = network(spec, inst)
    summary = net.summary()
    params = parameters(net, summary, inst)
    batch = batch_size(spec, inst)
    lead = (batch,) if batch else ()
    x = _input_values(spec.section("input"), net, inst, lead)
    _check_indices(spec.section("input"), net, x)
    _check_batch_statistics(spec, net, summary, batch)
    loss_node, target_node = spec.section("loss"), spec.section("target")
    upstream_node = spec.section("upstream")
    if loss_node is not None:
        if target_node is None:
            raise loss_node.error("`loss:` needs a `target:`", cls=SpecError,
                                  hint="the loss compares the network's output with it")
        if upstream_node is not None:
            raise upstream_node.error("give `loss:` and `target:`, or `upstream:`, not both",
                                      cls=SpecError)
        loss, options = read_loss(loss_node)
        check_applies(loss_node, loss, net.layers, summary.output_shape)
        target = read_target(target_node, loss, summary.output_shape, batch, inst)
        return _Inputs(net, summary, params, x, loss, target, None, None, options,
                       bool(batch))
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
    up = draw(upstream_node.value["value"], lead + tuple(shape), inst, "upstream")
    return _Inputs(net, summary, params, x, None, None, up, at, None, bool(batch))


def _input_values(node: Node, net, inst: Instance, lead: tuple = ()):
    """The network's input, or with several named inputs (``network.input: {q: …, k: …}``)
    the mapping ``input: {q: VALUE, k: VALUE}``, each value an array or a seeded draw."""
    if not net.inputs:
        return draw(node, lead + tuple(net.input_shape), inst, "input")
    names = list(net.inputs)
    if node.kind != "map" or set(node.value) != set(names):
        raise node.error("the network has the named inputs " + ", ".join(names)
                         + "; `input:` gives one value for each", cls=SpecError,
                         hint="e.g. input: {" + ", ".join(f"{n}: [...]" for n in names) + "}")
    return {n: draw(node.value[n], lead + tuple(net.inputs[n]), inst, n) for n in names}


def _check_batch_statistics(spec, net, summary, batch) -> None:
    """Batchnorm in training mode (an answer key's mode: torch's) needs more than one value
    per channel: torch refuses one, and so do we, at the layer's line."""
    from hwcheck.engine.network import walk

    layers = {lay.name: lay for lay, _ in walk(net.layers)}
    for row in summary.layers:
        if row.kind.startswith("batchnorm"):
            count = (batch or 1) * math.prod(row.input_shape[1:])
            if count <= 1:
                lay = layers[row.name]
                raise SpecError(f"{row.kind} '{row.name}' sees one value per channel (input "
                                f"{list(row.input_shape)}, batch {batch or 1}): its batch "
                                "statistics are undefined, and torch refuses it in training "
                                "mode", file=spec.file, line=lay.line, col=lay.col,
                                hint="write `batch: N` with N ≥ 2 samples")


def _check_indices(node: Node, net, x) -> None:
    """A layer that takes integer indices (embedding) straight from a network input gets
    whole numbers in its range, or the spec is refused here, at the input."""
    from hwcheck.engine.layers import LAYERS
    from hwcheck.engine.ops.embedding import as_indices

    values = x if isinstance(x, dict) else {"input": x}
    first = next(iter(values))
    for i, lay in enumerate(net.layers):
        d = LAYERS.get(lay.kind)
        src = lay.inputs[0] if lay.inputs else first if i == 0 else None
        if d is None or d.indices is None or src not in values:
            continue
        bound = lay.options[d.indices]
        try:
            as_indices(values[src], bound)
        except ValueError as err:
            raise node.error(f"{lay.kind} '{lay.name}' reads {src}: {err}", cls=SpecError,
                             hint=f"give whole numbers from 0 to {bound - 1}, e.g. "
                                  f"{{random: integers, low: 0, high: {bound - 1}}}") from None


def _check(spec) -> None:
    inst = make_instance(spec)
    _inputs(spec, inst)
    if spec.section("optimizer") is not None:
        read_optimizer(spec.section("optimizer"))
    naming.check(spec, inst)


def _gradient(spec, inst: Instance, variants) -> Solution:
    from hwcheck.engine.solvers import gradient

    i = _inputs(spec, inst)
    values = gradient.solve(i.net.layers, i.params, i.x, loss=i.loss, target=i.target,
                            upstream=i.upstream, upstream_at=i.upstream_at, variants=variants,
                            loss_options=i.loss_options, batched=i.batched)
    return naming.named(spec, inst, values, {"summary": i.summary},
                        inputs=naming.Run(i.net, i.params, i.x, variants, i.batched))


def _sgd_step(spec, inst: Instance, variants) -> Solution:
    from hwcheck.engine.solvers import sgd_step

    i = _inputs(spec, inst)
    name, options, steps = read_optimizer(spec.section("optimizer"))
    values = sgd_step.solve(i.net.layers, i.params, i.x, i.target, loss=i.loss,
                            optimizer=name, steps=steps, variants=variants,
                            loss_options=i.loss_options, batched=i.batched, **options)
    return naming.named(spec, inst, values, {"summary": i.summary})


GRADIENT = ProblemKind(
    "gradient", requires=(NETWORK, INPUT), accepts=(LOSS, TARGET, UPSTREAM, BATCH, *NAMING),
    solve=_gradient, check=_check,
    schema={"oneOf": [{"required": ["loss", "target"], "properties": {"upstream": False}},
                      {"required": ["upstream"],
                       "properties": {"loss": False, "target": False}}]},
    variants=(SOFTMAX_DIAGONAL,), random_instances=2)

SGD_STEP = ProblemKind(
    "sgd_step", requires=(NETWORK, INPUT, LOSS, TARGET, OPTIMIZER), accepts=(BATCH, *NAMING),
    solve=_sgd_step, check=_check, variants=(SOFTMAX_DIAGONAL, ASCENT), slips=(WRONG_SIGN,))
