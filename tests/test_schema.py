"""`hwcheck schema`: the JSON Schemas agree with the loaders and with every shipped file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from hwcheck.grading.answers import read_answers
from hwcheck.spec.catalog import load_catalog
from hwcheck.errors import HwcheckError
from hwcheck.spec.network import parse_network
from hwcheck.engine.layers import LAYERS
from hwcheck.engine.network import GIVEN, OPTIONS
from hwcheck.spec.jsonschema import answers_schema, problem_schema
from hwcheck.kinds import SECTIONS
from hwcheck.spec.load import GENERIC_KEYS, PART_KEYS, load_spec
from hwcheck.engine.optimizers import OPTIMIZERS
from hwcheck.spec.yamlio import load_file, load_text

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
CORPUS = Path(__file__).parent / "corpus" / "specs"
SHIPPED_SPECS = sorted(PROBLEMS.glob("*.yaml")) + sorted((ROOT / "examples" / "networks")
                                                         .glob("*.yaml"))
SHIPPED_ANSWERS = [p for p in (ROOT / "examples" / "seed-answers.yaml",
                               ROOT / "examples" / "correct-answers.yaml") if p.exists()]

# Corpus specs that are well-formed and fail only when the network is propagated or its
# sizes evaluated: no JSON Schema can see these, `hwcheck validate` does.
SEMANTIC = {"batchnorm2d_on_vector.yaml", "collapse_after_pools.yaml", "collapse_conv.yaml",
            "conv_after_flatten.yaml", "duplicate_name.yaml", "groups.yaml",
            "pool_padding.yaml", "residual_identity_mismatch.yaml",
            "residual_shortcut_mismatch.yaml", "softmax_dim.yaml", "unknown_size.yaml",
            "zero_kernel_from_sizes.yaml", "lstm_reverse_of_one_way.yaml",
            "lstm_on_vector.yaml"}

NET = {"input": [2], "layers": ["relu"]}
RNN = {"x": [[1.0]], "h0": [0.5], "Wi": [[1.0]], "settings": {"a": [[0.5]]},
       "at": {"setting": "a", "step": 1}}
BASE = {"id": "t1", "kind": "concept", "title": "A test problem",
        "parts": {"why": {"answer": "text", "points": 2,
                          "rubric": [{"point": "x", "points": 2, "synonyms": ["a"]}]}}}


@pytest.fixture(scope="module")
def problem():
    return Draft202012Validator(problem_schema())


@pytest.fixture(scope="module")
def specs():
    return load_catalog(PROBLEMS).specs


@pytest.fixture(scope="module")
def answers(specs):
    return Draft202012Validator(answers_schema(specs))


def errors(validator, doc) -> list[str]:
    return [e.message for e in validator.iter_errors(doc)]


def with_(**changes) -> dict:
    doc = copy.deepcopy(BASE)
    doc.update(changes)
    return doc


def with_part(**changes) -> dict:
    doc = copy.deepcopy(BASE)
    doc["parts"]["why"].update(changes)
    return doc


def loader_refuses(doc: dict, tmp_path: Path) -> bool:
    path = tmp_path / "spec.yaml"
    path.write_text(json.dumps(doc))     # JSON is YAML: the hardened reader takes it as is
    try:
        load_spec(path)
    except HwcheckError:
        return True
    return False


# --- the schemas themselves ---------------------------------------------------------------

@pytest.mark.parametrize("schema", [problem_schema(), answers_schema(),
                                    answers_schema(load_catalog(PROBLEMS).specs)],
                         ids=["problem", "answers", "answers-with-specs"])
def test_schema_is_valid_draft_2020_12(schema):
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"] and schema["description"]
    json.dumps(schema)      # `hwcheck schema` prints it: no tuples, sentinels or sets


def test_schema_keys_follow_the_loader():
    schema = problem_schema()
    assert set(schema["properties"]) == GENERIC_KEYS | set(SECTIONS)
    assert set(schema["$defs"]["part"]["properties"]) == PART_KEYS
    assert schema["additionalProperties"] is False


_NONE = type("NoLayer", (), {"params": ()})     # residual: structural, no table entry


def test_layers_come_from_the_options_table():
    bodies = problem_schema()["$defs"]["layer"]["else"]["properties"]
    assert set(bodies) == set(OPTIONS)
    for kind, options in OPTIONS.items():
        body = bodies[kind]
        body = next((b for b in body.get("anyOf", [body]) if b.get("type") == "object"))
        expected = {"name", "inputs", *(o.name for o in options), *GIVEN.get(kind, ())}
        if kind == "residual":
            expected |= {"layers", "shortcut"}
        assert set(body["properties"]) == expected, kind
        patterns = {f"^{p.pattern}$" for p in LAYERS.get(kind, _NONE).params if p.pattern}
        assert set(body.get("patternProperties", {})) == patterns, kind


def test_schemas_are_fresh_copies():
    a = problem_schema()
    a["properties"].clear()
    assert problem_schema()["properties"]


# --- shipped files ------------------------------------------------------------------------

@pytest.mark.parametrize("path", SHIPPED_SPECS, ids=lambda p: p.name)
def test_shipped_spec_validates(problem, path):
    assert errors(problem, load_file(path).plain()) == []


@pytest.mark.parametrize("path", SHIPPED_ANSWERS, ids=lambda p: p.name)
def test_shipped_answers_validate(answers, path):
    assert errors(answers, load_file(path).plain()) == []


@pytest.mark.parametrize("path", SHIPPED_ANSWERS, ids=lambda p: p.name)
def test_shipped_answers_validate_without_specs(path):
    assert errors(Draft202012Validator(answers_schema()), load_file(path).plain()) == []


def test_malformed_network_corpus():
    """Every malformed network that is not a SEMANTIC case is refused by the schema too."""
    schema = problem_schema()
    network = Draft202012Validator({"$ref": "#/$defs/network", "$defs": schema["$defs"]})
    files = sorted(CORPUS.glob("*.yaml"))
    assert SEMANTIC <= {p.name for p in files}
    for path in files:
        doc = load_file(path).plain()
        refused = bool(errors(network, doc.get("network")))
        assert refused == (path.name not in SEMANTIC), path.name


# --- problem specs: the schema refuses what the loader refuses ----------------------------

REFUSED = {
    "unknown top-level key": with_(titel="x"),
    "bad kind": with_(kind="gradiant"),
    "missing id": {k: v for k, v in BASE.items() if k != "id"},
    "no parts": with_(parts={}),
    "bad answer kind": with_part(answer="essay"),
    "unknown part key": with_part(referense="q - p"),
    "mistake with formula and value": with_part(mistakes=[
        {"name": "m", "feedback": "f", "formula": "q", "value": [1, 2]}]),
    "mistake with nothing": with_part(mistakes=[{"name": "m", "feedback": "f"}]),
    "unknown mistake key": with_part(mistakes=[{"name": "m", "formula": "q", "hint": "h"}]),
    "unknown tolerance key": with_(tolerance={"rtol": 0.1, "reltol": 0.1}),
    "carry_forward without as": with_part(carry_forward={"from": "a", "formula": "x"}),
    "unknown carry_forward key": with_part(carry_forward={"from": "a", "as": "b",
                                                          "formula": "b", "credits": 1}),
    "unknown rubric key": with_part(rubric=[{"point": "x", "synonym": ["a"]}]),
    "unknown test key": with_(tests=[{"part": "why", "answer": "a", "status": "wrong",
                                      "diagnose": "x"}]),
    "test without status": with_(tests=[{"part": "why", "answer": "a"}]),
    "vary is not a pair": with_(vary={"n": [1, 2, 3]}),
    "size is not whole": with_(sizes={"n": 2.5}),
    # Each kind's sections, checked at load time through the kind registry.
    "param_count without network": with_(kind="param_count"),
    "sgd_step without optimizer": with_(kind="sgd_step", network=NET, input=[1, 1],
                                        loss="mse", target=[0, 0]),
    "gradient loss without target": with_(kind="gradient", network=NET, input=[1, 1],
                                          loss="mse"),
    "gradient loss and upstream": with_(kind="gradient", network=NET, input=[1, 1],
                                        loss="mse", target=[0, 0],
                                        upstream={"at": "relu_1", "value": [1, 1]}),
    "section another kind reads": with_(network=NET),
    "unknown sgd option": with_(kind="sgd_step", network=NET, input=[1, 1], loss="mse",
                                target=[0, 0], optimizer={"sgd": {"lr": 0.1, "nesterov": 1}}),
    "unknown optimizer": with_(kind="sgd_step", network=NET, input=[1, 1], loss="mse",
                               target=[0, 0], optimizer={"adamax": {}}),
    "unknown upstream key": with_(kind="gradient", network=NET, input=[1, 1],
                                  upstream={"at": "relu_1", "value": [1, 1], "scale": 2}),
    "unknown loss": with_(kind="gradient", network=NET, input=[1, 1], loss="nnl",
                          target=[0, 0]),
    "unknown loss option": with_(kind="gradient", network=NET, input=[1, 1],
                                 loss={"mse": {"reduce": "sum"}}, target=[0, 0]),
    "unknown reduction": with_(kind="gradient", network=NET, input=[1, 1],
                               loss={"l1": {"reduction": "none"}}, target=[0, 0]),
    "two losses": with_(kind="gradient", network=NET, input=[1, 1],
                        loss={"l1": {}, "mse": {}}, target=[0, 0]),
    "betas of three": with_(kind="sgd_step", network=NET, input=[1, 1], loss="mse",
                            target=[0, 0], optimizer={"adam": {"betas": [0.9, 0.9, 0.9]}}),
    "batch of zero": with_(kind="gradient", network=NET, input=[1, 1], batch=0, loss="mse",
                           target=[0, 0]),
    "unknown rnn key": with_(kind="rnn_jacobian", rnn=dict(RNN, Wh=[[1]])),
    "unknown rnn.at key": with_(kind="rnn_jacobian", rnn=dict(RNN, at={
        "setting": "a", "step": 1, "lag": 2})),
    "unknown symbol key": with_(kind="param_count", network=NET,
                                symbols={"n": {"quantity": "total_params", "shap": [1]}}),
    "unknown step key": with_(kind="param_count", network=NET,
                              steps={"n": {"quantity": "total_params", "shap": [1]}}),
    "unknown solver variant": with_part(mistakes=[{"name": "m", "variant": "softmax-diag"}]),
}

ACCEPTED = {
    "minimal": BASE,
    "per-part sigfigs": with_part(tolerance={"sigfigs": 3}),
    "decimals": with_(tolerance={"decimals": 2}),
    "rtol and atol": with_(tolerance={"rtol": 0, "atol": 0}),
    "mistake by value": with_part(mistakes=[{"name": "m", "feedback": "f", "value": 3}]),
    "mistake by variant": with_part(mistakes=[{"name": "m", "variant": "softmax-diagonal"}]),
    "sizes and vary": with_(sizes={"n": 2}, vary={"n": [1, 4]}, variants=True),
    "$schema key": with_(**{"$schema": "../schemas/problem.schema.json"}),
    "one-part test without part": with_(tests=[{"answer": "a", "status": "needs_review"}]),
    "gradient with upstream": with_(kind="gradient", network=NET, input=[1, 1],
                                    upstream={"at": "relu_1", "value": [1, 1]}),
    "sgd_step with defaults": with_(kind="sgd_step", network=NET, input=[1, 1], loss="mse",
                                    target=[0, 0], optimizer={"sgd": {}}),
    "rnn_jacobian": with_(kind="rnn_jacobian", rnn=RNN),
    "loss with options": with_(kind="gradient", network=NET, input=[1, 1],
                               loss={"mse": {"reduction": "sum", "half": True}}, target=[0, 0]),
    "class-index target, batch": with_(kind="gradient", network=NET, input=[[1, 1], [0, 1]],
                                       batch=2, loss={"cross_entropy": {
                                           "label_smoothing": 0.1}}, target=[1, 0]),
    "huber with delta": with_(kind="gradient", network=NET, input=[1, 1],
                              loss={"huber": {"delta": 0.5}}, target=[0, 0]),
    **{f"{name} with defaults": with_(kind="sgd_step", network=NET, input=[1, 1], loss="l1",
                                      target=[0, 0], optimizer={name: {"steps": 2}})
       for name in OPTIMIZERS},
    "adam with options": with_(kind="sgd_step", network=NET, input=[1, 1], loss="mse",
                               target=[0, 0], optimizer={"adam": {
                                   "lr": 0.1, "betas": [0.8, 0.9], "amsgrad": True}}),
}


@pytest.mark.parametrize("name", REFUSED)
def test_schema_and_loader_both_refuse(problem, tmp_path, name):
    doc = REFUSED[name]
    assert errors(problem, doc), "the schema accepted it"
    assert loader_refuses(doc, tmp_path), "the loader accepted it"


@pytest.mark.parametrize("name", ACCEPTED)
def test_schema_and_loader_both_accept(problem, tmp_path, name):
    doc = ACCEPTED[name]
    assert errors(problem, doc) == []
    assert not loader_refuses(doc, tmp_path)


@pytest.mark.parametrize("doc", [
    # The loader lets sigfigs win and ignores rtol: almost certainly a slip.
    with_(tolerance={"sigfigs": 3, "rtol": 0.1}),
    with_part(carry_forward={"from": "a", "as": "b", "formula": "b", "credit": 1.5}),
], ids=["sigfigs-and-rtol", "credit-above-1"])
def test_schema_is_stricter_than_the_loader_where_it_helps(problem, doc):
    assert errors(problem, doc)


# (network, schema accepts, parser accepts). Given values are checked when they are drawn,
# at solve time, so the parser lets a bad random draw through; the schema catches it early.
NETWORKS = {
    "size-expressions": ({"input": [1, "2n+k-1", "2m+k-1"],
                          "layers": [{"conv2d": {"out": 1, "kernel": "k"}}]}, True, True),
    "given-values": ({"input": [2], "layers": [{"linear": {
        "out": 2, "weight": {"random": "normal", "seed": 1}, "bias": [0, 0]}}]}, True, True),
    "bias-switch": ({"input": [2], "layers": [{"linear": {"out": 2, "bias": False}}]},
                    True, True),
    "relu-with-null-body": ({"input": [3, 8, 8], "layers": [{"relu": None}, "flatten"]},
                            True, True),
    "null-option": ({"input": [3, 8, 8], "layers": [{"maxpool2d": {"kernel": [2, 3],
                                                                   "stride": None}}]},
                    False, False),
    "bare-layer-needs-options": ({"input": [2], "layers": ["linear"]}, False, False),
    "bad-distribution": ({"input": [2], "layers": [{"linear": {
        "out": 2, "weight": {"random": "gauss"}}}]}, False, True),
    "unknown-draw-key": ({"input": [2], "layers": [{"linear": {
        "out": 2, "weight": {"random": "normal", "sd": 1}}}]}, False, True),
}


@pytest.mark.parametrize("name", NETWORKS)
def test_network_details(problem, name):
    network, schema_ok, parser_ok = NETWORKS[name]
    sizes = {"n": 2, "m": 3, "k": 3}
    assert (errors(problem, with_(kind="param_count", network=network, sizes=sizes))
            == []) is schema_ok
    try:
        parse_network(load_text(json.dumps(network)), sizes)
        parsed = True
    except HwcheckError:
        parsed = False
    assert parsed is parser_ok


# --- answers files ------------------------------------------------------------------------

def test_answers_unknown_part_is_refused_and_reported(answers, specs, tmp_path):
    doc = {"student": "ada", "p5": {"W": [[1, 0], [0, -1]], "b": [0, 0]}}
    assert errors(answers, doc)
    path = tmp_path / "a.yaml"
    path.write_text(json.dumps(doc))
    assert any("unknown part of p5 'b'" in n.message for n in read_answers(path, specs).notices)


@pytest.mark.parametrize("doc", [
    {"p55": 1},                                 # unknown problem
    {"p1": {"dL/ds": "g"}},                     # a case slip in a part name
    {"p5": [[1, 0], [0, -1]]},                  # two parts need their own keys
    {"p3": {"total": 513466}},                  # a one-part problem's mapping must name it
    {"p2": {"why_nms": 3}},                     # text parts take text
    {"p5": {"W": [[1, True], [0, -1]]}},        # yes/no and true/false are not numbers
    {"student": True},
], ids=["unknown-problem", "part-case", "multi-part-direct", "one-part-wrong-key",
        "text-part-number", "boolean-entry", "student-bool"])
def test_answers_refused(answers, doc):
    assert errors(answers, doc)


@pytest.mark.parametrize("doc", [
    {},
    {"student": 12345, "p3": 513466},
    {"p3": {"params": 513466.0}},
    {"p3": "32*3*25 + 32"},
    {"p4": {"dE/dz": "q - p"}, "p5": {"W": None, "B": [0.1, 0]}},
    {"p1": {"dL/dS": [[0.1, 0.2], [0.3, 0.4]]}},
], ids=["empty", "student-number", "one-part-by-name", "one-part-formula", "blank-part",
        "formula-part-as-numbers"])
def test_answers_accepted(answers, doc):
    assert errors(answers, doc) == []


def test_generic_answers_schema_takes_any_problem_id():
    generic = Draft202012Validator(answers_schema())
    assert errors(generic, {"p55": {"anything": [1, 2]}, "q9": "x"}) == []
    assert errors(generic, {"p1": {"a": {"nested": 1}}})
    assert errors(generic, {"p1": [1, "two"]})


def test_answers_descriptions_come_from_the_specs(specs):
    props = answers_schema(specs)["properties"]
    assert set(props) == {"student", "indexing", *specs}
    p5 = props["p5"]
    assert set(p5["properties"]) == {"W", "B"} and p5["additionalProperties"] is False
    assert p5["properties"]["W"]["description"].startswith("W after one step")
    assert specs["p5"].title in p5["description"]
