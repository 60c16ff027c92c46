"""JSON Schema (draft 2020-12) for problem specs and answers files (``hwcheck schema``).

The loaders (``spec/load.py`` with the kind registry, ``spec/network.py``,
``spec/instance.py``, ``grading/answers.py``) are the truth; these schemas describe the same
formats for editors and CI. Key sets, enums, each kind's sections and the layer vocabulary
are imported from them, so the two cannot drift apart silently.
Checks that need the whole instance (shapes that collapse, formulas, the quantities a
solver names) stay with ``hwcheck validate``.
"""

from __future__ import annotations

import copy
from typing import Any

from hwcheck.kinds import KINDS, SECTIONS, all_variants
from hwcheck.formula.values import UNARY
from hwcheck.spec.load import ANSWER_KINDS, STATUSES
from hwcheck.spec.schema_defs import network_defs, ref, value_defs

DRAFT = "https://json-schema.org/draft/2020-12/schema"
PROBLEM_ID = "urn:hwcheck:schema:problem"
ANSWERS_ID = "urn:hwcheck:schema:answers"


def _kind_rule(kind) -> dict:
    """What a spec of ``kind`` must have, and the other kinds' sections it must not."""
    then: dict[str, Any] = {"properties": {name: False for name in SECTIONS
                                           if name not in kind.sections}}
    if kind.requires:
        then["required"] = [s.name for s in kind.requires]
    if kind.schema:
        then = {"allOf": [then, kind.schema]}
    return {"if": {"properties": {"kind": {"const": kind.name}}, "required": ["kind"]},
            "then": then}


def problem_schema() -> dict:
    """The schema of a problem spec (``problems/*.yaml``), generic over every kind."""
    text = {"type": "string"}
    top = {
        "$schema": {"type": "string", "description": "the schema this file follows"},
        "id": {**text, "minLength": 1,
               "description": "the problem id: the key of its answers, e.g. p5"},
        "title": {**text, "description": "a one-line title"},
        "points": {"type": "number", "minimum": 0,
                   "description": "the problem's points; must equal the sum of its parts' "
                                  "points (the default)"},
        "statement": {**text, "description": "the problem as the students read it"},
        "kind": {"enum": list(KINDS), "description": "which solver computes the key"},
        "sizes": {"type": "object", "additionalProperties": {"type": "integer"},
                  "description": "the spec's own instance of its symbolic sizes, "
                                 "e.g. {n: 2, m: 3}"},
        "vary": {"type": "object",
                 "additionalProperties": {"type": "array", "items": {"type": "integer"},
                                          "minItems": 2, "maxItems": 2},
                 "description": "size → [low, high], the range of the random instances "
                                "that formulas are graded on"},
        "variants": {"type": "boolean", "default": False,
                     "description": "per-student instances: the student id seeds every "
                                    "random draw"},
        "functions": {"type": "object",
                      "additionalProperties": {"enum": sorted(UNARY)},
                      "description": "names the homework gives a function, e.g. {f: sigmoid}, "
                                     "so that answers may write f(c) and f'(c)"},
        **{name: copy.deepcopy(section.schema) for name, section in SECTIONS.items()},
        "parts": {"type": "object", "minProperties": 1, "additionalProperties": ref("part"),
                  "description": "part name (the key in answers files) → its settings"},
        "tests": {"type": "array", "items": ref("test"),
                  "description": "answers and the status each must get (hwcheck validate)"},
        "tolerance": {**ref("tolerance"), "description": "default tolerance of every part"},
    }
    return {
        "$schema": DRAFT, "$id": PROBLEM_ID,
        "title": "hwcheck problem spec",
        "description": "One homework problem: its kind, the network or values the key is "
                       "solved from, and the parts that students answer.",
        "type": "object", "required": ["id", "kind", "parts"],
        "properties": top, "additionalProperties": False,
        "allOf": [_kind_rule(kind) for kind in KINDS.values()],
        "$defs": {**value_defs(), **network_defs(), **_part_defs(), "answer": _answer_value()},
    }


def answers_schema(specs: dict | None = None) -> dict:
    """The schema of an answers file; with ``specs`` (id → Spec), one property per problem
    with its part names, so a typo such as ``p55:`` or ``dL/ds:`` is flagged."""
    student = {"type": ["string", "number"],
               "description": "the student's id; seeds per-student variants"}
    generic = {"anyOf": [ref("answer"), {"type": "object", "additionalProperties":
                                         ref("answer")}],
               "description": "an answer, or part name → answer"}
    schema: dict[str, Any] = {
        "$schema": DRAFT, "$id": ANSWERS_ID,
        "title": "hwcheck answers file",
        "description": "A student's answers: problem id → answer (one-part problems) or "
                       "part name → answer. Numbers and nested lists are numeric answers; "
                       "text is a formula in index notation, or free text.",
        "type": "object",
        "properties": {"student": student,
                       "indexing": {"enum": [0, 1], "default": 1,
                                    "description": "0: every index in this file counts "
                                                   "from zero"}},
        "additionalProperties": generic,
        "$defs": {"answer": _answer_value(),
                  "matrix": value_defs()["matrix"]},
    }
    if specs is not None:
        for pid, spec in specs.items():
            schema["properties"][pid] = _problem_answers(spec)
        schema["additionalProperties"] = False
    return schema


def _problem_answers(spec) -> dict:
    parts = {p.name: _part_answer(p) for p in spec.parts}
    title = f"{spec.title} ({spec.points:g} points)" if spec.title else f"{spec.points:g} points"
    by_part = {"type": "object", "properties": parts, "additionalProperties": False}
    if len(spec.parts) == 1:
        only = spec.parts[0]
        return {"anyOf": [_part_answer(only), by_part],
                "description": f"{title}; answer {only.name} directly or under its name"}
    return {**by_part, "description": title}


def _part_answer(part) -> dict:
    what = {"text": "free text, reviewed by staff",
            "formula": "a formula in index notation",
            "either": "a formula in index notation, or the numbers for the spec's instance",
            "integer": "a whole number",
            "numeric": "a number or a nested list of numbers"}[part.answer]
    about = part.description or part.quantity or part.name
    out = {**ref("answer"), "description": f"{about} ({what}; {part.points:g} points)"}
    if part.answer == "text":
        out = {"type": ["string", "null"], "description": out["description"]}
    return out


def _answer_value() -> dict:
    return {"anyOf": [{"type": ["number", "string", "null"]}, ref("matrix")],
            "description": "a number, a nested list of numbers, text (a formula or free "
                           "text), or empty (missing)"}


def _part_defs() -> dict:
    formula = {"type": "string", "minLength": 1}
    return {
        "part": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "quantity": {"type": "string", "description": "the solver quantity this part "
                                                              "asks for (default: its name)"},
                "points": {"type": "number", "minimum": 0, "default": 1},
                "answer": {"enum": list(ANSWER_KINDS),
                           "description": "default: formula with a `reference`, text with "
                                          "a `rubric`, numeric otherwise"},
                "shape": {**ref("shape"), "description": "reshape the quantity to this"},
                "index": {"type": "array", "items": {"type": "string"},
                          "description": "the free indices of a formula answer, e.g. [d, e]"},
                "reference": {**formula, "description": "the answer as a formula; "
                                                        "validate checks it against the key"},
                "tolerance": ref("tolerance"),
                "mistakes": {"type": "array", "items": ref("mistake")},
                "carry_forward": ref("carry_forward"),
                "rubric": {"type": "array", "items": ref("rubric_point")},
                "partial_credit": {"type": "boolean", "default": False,
                                   "description": "credit for the share of right entries"},
                "description": {"type": "string", "description": "shown in templates"},
            }},
        "tolerance": {
            "type": "object", "additionalProperties": False,
            "description": "|got − want| ≤ atol + rtol·|want|, or agreement to sigfigs "
                           "significant figures or decimals decimal places",
            "properties": {"rtol": {"type": "number", "minimum": 0, "default": 1e-3},
                           "atol": {"type": "number", "minimum": 0, "default": 1e-8},
                           "sigfigs": {"type": "integer", "minimum": 1},
                           "decimals": {"type": "integer"}},
            # the loader lets sigfigs win over decimals over rtol/atol; mixing them is a slip
            "oneOf": [{"required": ["sigfigs"], "properties": _absent("decimals", "rtol",
                                                                      "atol")},
                      {"required": ["decimals"], "properties": _absent("sigfigs", "rtol",
                                                                       "atol")},
                      {"properties": _absent("sigfigs", "decimals")}]},
        "mistake": {
            "type": "object", "additionalProperties": False,
            "description": "a known wrong answer, given by exactly one of formula, value or "
                           "variant, and what to tell the student",
            "properties": {"name": {"type": "string", "default": "known-mistake",
                                    "description": "the diagnosis reported"},
                           "feedback": {"type": "string"},
                           "formula": formula,
                           "value": ref("array"),
                           "variant": {"enum": list(all_variants()),
                                       "description": "re-solve the key with this slip"}},
            "oneOf": [{"required": [k]} for k in ("formula", "value", "variant")]},
        "carry_forward": {
            "type": "object", "additionalProperties": False,
            "required": ["from", "as", "formula"],
            "description": "credit for a part that is right given the student's own wrong "
                           "earlier part",
            "properties": {"from": {"type": "string", "description": "the earlier part"},
                           "as": {"type": "string", "description": "its symbol in `formula`"},
                           "formula": formula,
                           "credit": {"type": "number", "minimum": 0, "maximum": 1,
                                      "default": 0.5, "description": "share of the points"}}},
        "rubric_point": {
            "type": "object", "additionalProperties": False,
            "properties": {"point": {"type": "string"},
                           "points": {"type": "number", "minimum": 0, "default": 1},
                           "synonyms": {"type": "array", "items": {"type": ["string",
                                                                            "number"]},
                                        "description": "any of these earns the point, "
                                                       "unless negated nearby"}}},
        "test": {
            "type": "object", "additionalProperties": False, "required": ["answer", "status"],
            "description": "an answer and the status it must get; `part` may be left out "
                           "when the problem has one part",
            "properties": {"part": {"type": "string"},
                           "answer": ref("answer"),
                           "status": {"enum": list(STATUSES)},
                           "diagnosis": {"type": "string"}}},
    }


def _absent(*keys: str) -> dict:
    return {k: False for k in keys}
