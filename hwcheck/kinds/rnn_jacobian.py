"""``rnn_jacobian``: h_t = sigmoid(Wi x_t + Wh h_(t-1)); the Jacobian at one step, and the
norms of the Jacobian products that make gradients vanish or explode."""

from __future__ import annotations


import numpy as np

from hwcheck.engine.solvers import Solution, Step
from hwcheck.errors import SpecError
from hwcheck.frozen import frozen
from hwcheck.kinds import ProblemKind, naming
from hwcheck.kinds.sections import NAMING, Section
from hwcheck.spec import readers
from hwcheck.spec.instance import Instance, draw, make_instance, size
from hwcheck.spec.schema_defs import ref
from hwcheck.spec.yamlio import Node

RNN_KEYS = ("x", "h0", "Wi", "settings", "at")
AT_KEYS = ("setting", "step")


def _shape(node: Node) -> None:
    readers.mapping(node, "`rnn`")
    readers.no_unknown(node, RNN_KEYS, "rnn key")
    for key in RNN_KEYS:
        readers.required(node, key, "rnn:")
    if not readers.mapping(node.value["settings"], "`rnn.settings`"):
        raise node.value["settings"].error("`rnn.settings` names no recurrent weight",
                                           cls=SpecError, hint="e.g. settings: {a: [[0.5]]}")
    at = node.value["at"]
    readers.mapping(at, "`rnn.at`")
    readers.no_unknown(at, AT_KEYS, "rnn.at key")
    for key in AT_KEYS:
        readers.required(at, key, "rnn.at:")


def _schema() -> dict:
    given = ref("given_value")
    return {"type": "object", "required": list(RNN_KEYS), "additionalProperties": False,
            "description": "h_t = sigmoid(Wi x_t + Wh h_(t-1)) over the rows of x",
            "properties": {
                "x": {**given, "description": "inputs, T x D"},
                "h0": {**given, "description": "initial hidden state, H"},
                "Wi": {**given, "description": "input weights, H x D"},
                "settings": {"type": "object", "minProperties": 1,
                             "additionalProperties": given,
                             "description": "name → a recurrent weight Wh (H x H)"},
                "at": {"type": "object", "required": list(AT_KEYS),
                       "additionalProperties": False,
                       "description": "where the parts are evaluated",
                       "properties": {"setting": {"type": "string"},
                                      "step": {**ref("count"), "description": "1..T"}}}}}


RNN = Section("rnn", _schema(), _shape, "rnn: {x: …, h0: …, Wi: …, settings: {…}, at: {…}}")


@frozen
class _Inputs:
    """Everything an RNN-Jacobian problem's instance gives the engine."""

    x: np.ndarray
    h0: np.ndarray
    wi: np.ndarray
    settings: dict
    setting: str
    step: int


def _inputs(spec, inst: Instance) -> _Inputs:
    node = spec.section("rnn")
    x = draw(node.value["x"], None, inst, "x")
    if x.ndim == 0 or not len(x):
        raise node.value["x"].error("rnn.x is the input sequence: a list of one value or "
                                    "vector per step", cls=SpecError)
    h0 = draw(node.value["h0"], None, inst, "h0")
    wi = draw(node.value["Wi"], None, inst, "Wi")
    settings = {name: draw(v, None, inst, f"Wh ({name})")
                for name, v in node.value["settings"].items()}
    at = node.value["at"]
    setting = readers.name(at.value["setting"], "rnn.at.setting")
    if setting not in settings:
        raise at.value["setting"].error(f"unknown setting '{setting}'", cls=SpecError,
                                        hint=readers.suggest(setting, settings, "settings"))
    step_node = at.value["step"]
    step = size(step_node, inst)
    if not 1 <= step <= len(x):
        raise step_node.error(f"step {step} is outside 1..{len(x)}", cls=SpecError)
    return _Inputs(x, h0, wi, settings, setting, step)


def _check(spec) -> None:
    inst = make_instance(spec)
    _inputs(spec, inst)
    naming.check(spec, inst)


def _solve(spec, inst: Instance, variants) -> Solution:
    from hwcheck.engine.solvers import rnn_jacobian

    i = _inputs(spec, inst)
    values = rnn_jacobian.solve(i.x, i.h0, i.wi, i.settings, at_setting=i.setting,
                                at_step=i.step)
    norms = {name: s["norms"] for name, s in values["settings"].items()}
    steps = tuple(Step(f"‖∏J‖ {name}", n, "spectral norm of the product over lags 1..T")
                  for name, n in norms.items())
    sol = naming.named(spec, inst, values, {"norms": norms, "at": (i.setting, i.step)},
                       base_steps=steps)
    given = dict(sol.given)
    given["Wh"] = {name: s["Wh"] for name, s in values["settings"].items()}
    return Solution(given, sol.steps, sol.parts, sol.env, sol.extra)


KIND = ProblemKind("rnn_jacobian", requires=(RNN,), accepts=NAMING, solve=_solve,
                   check=_check, random_instances=2, view="norms")
