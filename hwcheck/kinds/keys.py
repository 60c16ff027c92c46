"""Answer keys: a spec and an instance in, a worked ``Solution`` out.

This module translates a spec's sections into the plain arrays the solvers take, then names
the solvers' quantities by the spec's symbols, steps and parts.
"""

from __future__ import annotations

import difflib
import zlib
from dataclasses import dataclass

import numpy as np

from hwcheck.errors import HwcheckError, SpecError
from hwcheck.spec.instance import Instance, draw, make_instance, shape_of, size
from hwcheck.spec.network import parse_network
from hwcheck.engine.network import walk
from hwcheck.engine.solvers import Solution, Step
from hwcheck.spec.load import Spec


@dataclass(frozen=True)
class Solved:
    spec: Spec
    instance: Instance
    solution: Solution
    student: str | None = None


def solve_spec(spec: Spec, student: str | None = None, number: int = 0,
               variants: frozenset = frozenset()) -> Solved:
    """Solve instance ``number`` of ``spec`` (0 = the spec's own), for ``student``."""
    inst = make_instance(spec, number, student)
    try:
        solution = _KINDS[spec.kind](spec, inst, variants)
    except HwcheckError as exc:
        raise exc.located(file=spec.file) from None
    except ValueError as exc:  # the pure solvers refuse impossible inputs this way
        raise SpecError(f"cannot solve {spec.id}: {exc}", file=spec.file) from None
    return Solved(spec, inst, solution, student if spec.variants else None)


_NETWORKS: dict = {}


def _network(spec: Spec, inst: Instance):
    """The network at these sizes, parsed once: a class shares the few size sets it needs."""
    key = (spec.file, spec.id, tuple(sorted(inst.sizes.items())))
    if key not in _NETWORKS:
        _NETWORKS[key] = parse_network(_required(spec, "network"), inst.sizes)
    return _NETWORKS[key]


def _param_count(spec: Spec, inst: Instance, variants) -> Solution:
    from hwcheck.engine.solvers import param_count

    net = _network(spec, inst)
    sol = param_count.solve(net.summary())
    return _named(spec, inst, dict(sol.parts), sol.extra, base_steps=sol.steps)


def _network_problem(spec: Spec, inst: Instance, variants) -> Solution:
    from hwcheck.engine.solvers import gradient, sgd_step

    net = _network(spec, inst)
    summary = net.summary()
    params = _parameters(net, summary, inst)
    x = draw(_required(spec, "input"), net.input_shape, inst, "input")
    loss = _loss(spec)
    target = None
    if loss is not None:
        target = draw(_required(spec, "target"), summary.output_shape, inst, "target")
    if spec.kind == "sgd_step":
        if loss is None:
            raise spec.node.error("an sgd_step problem needs `loss:`", cls=SpecError)
        values = sgd_step.solve(net.layers, params, x, target, loss=loss,
                                variants=variants, **_optimizer(spec))
    else:
        up, at = None, None
        if loss is None:
            node = _required(spec, "upstream")
            at = _text(node.value.get("at"), node, "upstream.at")
            shape = _layer_shape(summary, at, node)
            up = draw(_required_in(node, "value"), shape, inst, "upstream")
        values = gradient.solve(net.layers, params, x, loss=loss, target=target,
                                upstream=up, upstream_at=at, variants=variants)
    return _named(spec, inst, values, {"summary": summary})


def _rnn(spec: Spec, inst: Instance, variants) -> Solution:
    from hwcheck.engine.solvers import rnn_jacobian

    node = _required(spec, "rnn")
    x = draw(_required_in(node, "x"), None, inst, "x")
    h0 = draw(_required_in(node, "h0"), None, inst, "h0")
    wi = draw(_required_in(node, "Wi"), None, inst, "Wi")
    settings_node = _required_in(node, "settings")
    settings = {name: draw(v, None, inst, f"Wh ({name})") for name, v in settings_node.items()}
    at = _required_in(node, "at")
    setting = _text(at.value.get("setting"), at, "at.setting")
    step_node = _required_in(at, "step")
    step = size(step_node, inst)
    if setting not in settings:
        raise at.error(f"unknown setting '{setting}'", cls=SpecError,
                       hint="settings: " + ", ".join(settings))
    if not 1 <= step <= len(x):
        raise step_node.error(f"step {step} is outside 1..{len(x)}", cls=SpecError)
    values = rnn_jacobian.solve(x, h0, wi, settings, at_setting=setting, at_step=step)
    norms = {name: s["norms"] for name, s in values["settings"].items()}
    steps = tuple(Step(f"‖∏J‖ {name}", n, "spectral norm of the product over lags 1..T")
                  for name, n in norms.items())
    sol = _named(spec, inst, values, {"norms": norms, "at": (setting, step)}, base_steps=steps)
    given = dict(sol.given)
    given["Wh"] = {name: s["Wh"] for name, s in values["settings"].items()}
    return Solution(given, sol.steps, sol.parts, sol.env, sol.extra)


def _concept(spec: Spec, inst: Instance, variants) -> Solution:
    parts = {p.name: [r.point for r in p.rubric] for p in spec.parts}
    return Solution(given={}, steps=(), parts=parts, env={}, extra={"rubric": True})


_KINDS = {"param_count": _param_count, "gradient": _network_problem,
          "sgd_step": _network_problem, "rnn_jacobian": _rnn, "concept": _concept}


# --- naming quantities by the spec's symbols, steps and parts ------------------------------

def _named(spec: Spec, inst: Instance, values: dict, extra: dict,
           base_steps: tuple = ()) -> Solution:
    env = {}
    for name, node in _section_items(spec, "symbols"):
        q = _text(node.value.get("quantity") if node.kind == "map" else node, node, name)
        shape = shape_of(node.value.get("shape"), inst) if node.kind == "map" else None
        env[name] = _quantity(values, q, shape, node)
    env.update({k: v for k, v in inst.sizes.items()})
    given_node = spec.section("given")
    if given_node is not None:
        given = {}
        for name, sym in given_node.items():
            if sym.value not in env:
                raise sym.error(f"`given` names unknown symbol {sym.value!r}", cls=SpecError,
                                hint="symbols: " + ", ".join(sorted(env)))
            given[name] = env[sym.value]
    else:
        given = {k: v for k, v in env.items() if k not in inst.sizes}
    steps = list(base_steps)
    for name, node in _section_items(spec, "steps"):
        if node.kind == "map":  # {quantity: C, shape: [2n, 2m]}: shown as the homework writes it
            q = _text(node.value.get("quantity"), node, f"steps.{name}.quantity")
            steps.append(Step(name, _quantity(values, q, shape_of(node.value.get("shape"), inst),
                                              node)))
        else:
            steps.append(Step(name, _quantity(values, _text(node, node, name), None, node)))
    parts = {}
    for part in spec.parts:
        if part.answer == "text":
            parts[part.name] = [r.point for r in part.rubric]
            continue
        node = spec.section("parts").value[part.name]
        shape = shape_of(node.value.get("shape"), inst) if node.kind == "map" else None
        parts[part.name] = _quantity(values, part.quantity or part.name, shape, node)
    return Solution(given=given, steps=tuple(steps), parts=parts, env=env, extra=extra)


def _quantity(values: dict, name: str, shape, node):
    if name not in values:
        close = difflib.get_close_matches(name, [str(k) for k in values], n=1)
        raise node.error(f"unknown quantity '{name}'", cls=SpecError,
                         hint=f"did you mean '{close[0]}'?" if close
                         else "quantities: " + ", ".join(sorted(map(str, values))[:12]))
    value = values[name]
    if shape is not None:
        arr = np.asarray(value, dtype=float)
        if arr.size != int(np.prod(shape)):
            raise node.error(f"quantity '{name}' has shape {arr.shape}, not {tuple(shape)}",
                             cls=SpecError)
        return arr.reshape(shape)
    return value


def _parameters(net, summary, inst: Instance) -> dict:
    """Given weights, or a seeded draw scaled by 1/√fan_in (PyTorch's init scale)."""
    params = {}
    shapes = {s.name: s.param_shapes for s in summary.layers}
    for layer, _ in walk(net.layers):
        for pname, shape in shapes.get(layer.name, {}).items():
            if pname.startswith("running_"):
                continue
            node = layer.given.get(pname)
            if node is not None:
                params[f"{layer.name}.{pname}"] = draw(node, shape, inst, f"{layer.name}.{pname}")
            elif layer.kind.startswith("batchnorm"):
                params[f"{layer.name}.{pname}"] = np.ones(shape) if pname == "weight" \
                    else np.zeros(shape)
            else:
                fan_in = int(np.prod(shapes[layer.name]["weight"][1:]))
                rng = inst.rng(zlib.crc32(f"{layer.name}.{pname}".encode()))
                params[f"{layer.name}.{pname}"] = rng.standard_normal(shape) / np.sqrt(fan_in)
    return params


def _layer_shape(summary, name: str, node) -> tuple:
    for s in summary.layers:
        if s.name == name:
            return s.output_shape
    raise node.error(f"no layer named '{name}'", cls=SpecError,
                     hint="layers: " + ", ".join(s.name for s in summary.layers))


def _loss(spec: Spec) -> str | None:
    from hwcheck.engine.solvers.gradient import LOSSES

    node = spec.section("loss")
    if node is None:
        return None
    name = _text(node, node, "loss")
    if name not in LOSSES:
        raise node.error(f"unknown loss '{name}'", cls=SpecError, hint="losses: " + ", ".join(LOSSES))
    return name


def _optimizer(spec: Spec) -> dict:
    node = _required(spec, "optimizer")
    sgd = _required_in(node, "sgd")
    opts = {"lr": 0.01, "momentum": 0.0, "weight_decay": 0.0, "steps": 1}
    for key, val in sgd.items():
        if key not in opts:
            raise sgd.error(f"unknown sgd option '{key}'", cls=SpecError,
                            hint="options: " + ", ".join(opts))
        if isinstance(val.value, bool) or not isinstance(val.value, (int, float)):
            raise val.error(f"sgd {key} must be a number", cls=SpecError)
        if key == "steps" and (val.value != int(val.value) or val.value < 1):
            raise val.error(f"sgd steps must be a whole number of at least 1; got {val.value}",
                            cls=SpecError)
        if key in ("lr", "momentum", "weight_decay") and val.value < 0:
            raise val.error(f"sgd {key} must not be negative; got {val.value}", cls=SpecError)
        opts[key] = int(val.value) if key == "steps" else float(val.value)
    return opts


def _section_items(spec: Spec, key: str):
    node = spec.section(key)
    if node is None:
        return ()
    if node.kind != "map":
        raise node.error(f"`{key}` must be a mapping", cls=SpecError)
    return node.items()


def _required(spec: Spec, key: str):
    node = spec.section(key)
    if node is None:
        raise spec.node.error(f"a {spec.kind} problem needs `{key}:`", cls=SpecError,
                              hint="see `hwcheck schema problem`")
    return node


def _required_in(node, key: str):
    if node.kind != "map" or key not in node.value:
        raise node.error(f"missing `{key}:`", cls=SpecError)
    return node.value[key]


def _text(node, parent, what: str) -> str:
    if node is None or node.kind != "scalar" or not isinstance(node.value, str):
        raise (node or parent).error(f"{what} must be a name", cls=SpecError)
    return node.value
