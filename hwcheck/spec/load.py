"""Problem specs (``problems/*.yaml``) → frozen dataclasses, validated with line numbers.

The spec keeps the raw nodes of what depends on the instance (the network, given values),
because a formula part is graded on several instances of different sizes.
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Any

from hwcheck.errors import HwcheckError, SpecError
from hwcheck.frozen import frozen
from hwcheck.spec.readers import (boolean as _bool, integer as _int, mapping as _map,
                                  no_unknown as _no_unknown, number as _number,
                                  seq as _seq, text as _text,
                                  unknown as _unknown)
from hwcheck.spec.yamlio import Node, load_file

#: ``formula`` takes a formula only (numbers hold on one instance, and `solve` prints them);
#: ``either`` also takes the numbers of the spec's own instance, under the part's tolerance
ANSWER_KINDS = ("numeric", "integer", "formula", "either", "text")
#: what grading can say of a part; a spec's self-tests name one of them
STATUSES = ("correct", "wrong", "invalid", "missing", "needs_review")
#: The keys every spec may have; the rest are its kind's sections (``hwcheck.kinds``).
GENERIC_KEYS = {"id", "title", "points", "statement", "kind", "sizes", "vary", "variants",
                "functions", "parts", "tests", "tolerance", "$schema"}
PART_KEYS = {"quantity", "points", "answer", "shape", "index", "reference", "tolerance",
             "mistakes", "carry_forward", "rubric", "partial_credit", "description"}


@frozen
class Tolerance:
    """|got − want| ≤ atol + rtol·|want|, or agreement to ``sigfigs`` / ``decimals``."""

    rtol: float = 1e-3
    atol: float = 1e-8
    sigfigs: int | None = None
    decimals: int | None = None


@frozen
class Mistake:
    """A known wrong answer: a formula or a value, and what to tell the student."""

    name: str
    feedback: str
    formula: str | None = None
    value: Any = None
    variant: str | None = None          # re-solve the key with a solver variant
    line: int = 0


@frozen
class CarryForward:
    """Rebuild this part's key from the student's answer to ``source`` (bound as ``symbol``)."""

    source: str
    symbol: str
    formula: str
    credit: float


@frozen
class RubricPoint:
    """One key point of a text answer: any synonym earns ``points``; a negation near it does not."""

    point: str
    points: float
    synonyms: tuple[str, ...]


@frozen
class Part:
    """One part of a spec: what the student answers and how it is graded."""

    name: str
    points: float
    answer: str                          # one of ANSWER_KINDS
    quantity: str | None = None
    shape: tuple[Any, ...] | None = None  # size expressions, e.g. ("2n", "2m")
    index: tuple[str, ...] = ()
    reference: str | None = None
    tolerance: Tolerance | None = None
    mistakes: tuple[Mistake, ...] = ()
    carry_forward: CarryForward | None = None
    rubric: tuple[RubricPoint, ...] = ()
    partial_credit: bool = False
    description: str = ""
    line: int = 0


@frozen
class SelfTest:
    """An answer and the status it must receive (``hwcheck validate``)."""

    part: str
    answer: Node
    status: str
    diagnosis: str | None
    line: int


@frozen
class Spec:
    """One problem spec, checked and loaded from its YAML file."""

    id: str
    title: str
    points: float
    statement: str
    kind: str
    file: str
    parts: tuple[Part, ...]
    sizes: dict = field(default_factory=dict)
    vary: dict = field(default_factory=dict)        # size → (low, high) for random instances
    variants: bool = False                          # per-student instances
    functions: dict = field(default_factory=dict)   # a student's name → formula function
    tolerance: Tolerance = Tolerance()
    tests: tuple[SelfTest, ...] = ()
    node: Node | None = None                        # the whole spec, for kind-specific sections

    def part(self, name: str) -> Part | None:
        return next((p for p in self.parts if p.name == name), None)

    def section(self, key: str) -> Node | None:
        return self.node.value.get(key) if self.node is not None else None


def load_spec(path: str | Path) -> Spec:
    """Read and validate one spec file, its kind's sections included (``hwcheck.kinds``)."""
    node = load_file(path)
    try:
        return _spec(node)
    except HwcheckError as exc:
        raise exc.located(file=node.file)


def _spec(node: Node) -> Spec:
    if node.kind != "map":
        raise node.error("a problem spec must be a mapping (id:, title:, kind:, parts:, …)",
                         cls=SpecError)
    # The kinds read the Spec this module builds, so they are imported when a spec is.
    from hwcheck.kinds import KINDS, SECTIONS, check

    _no_unknown(node, GENERIC_KEYS | set(SECTIONS), "spec key")
    for key in ("id", "kind", "parts"):
        if key not in node.value:
            raise node.error(f"missing required key '{key}'", cls=SpecError,
                             hint="see `hwcheck schema problem`")
    kind = _text(node.value["kind"])
    if kind not in KINDS:
        raise _unknown(node.value["kind"], kind, KINDS, "problem kind")
    parts = _parts(node.value["parts"])
    tol = _tolerance(node.value["tolerance"]) if "tolerance" in node.value else Tolerance()
    sizes = {k: _int(v) for k, v in _map(node.value.get("sizes")).items()}
    vary = {}
    for k, v in _map(node.value.get("vary")).items():
        if v.kind != "seq" or len(v.value) != 2:
            raise v.error("a `vary` range is [low, high]", cls=SpecError)
        vary[k] = (_int(v.value[0]), _int(v.value[1]))
    spec = Spec(id=_text(node.value["id"]), title=_text(node.value.get("title"), ""),
                points=float(sum(p.points for p in parts)) if "points" not in node.value
                else _number(node.value["points"]),
                statement=_text(node.value.get("statement"), ""), kind=kind, file=node.file,
                parts=parts, sizes=sizes, vary=vary,
                variants=_bool(node.value.get("variants")),
                functions=_functions(node.value.get("functions")), tolerance=tol,
                tests=_tests(node.value.get("tests"), {p.name for p in parts}), node=node)
    total = sum(p.points for p in parts)
    if abs(total - spec.points) > 1e-9:
        raise node.value.get("points", node).error(
            f"points is {spec.points:g} but the parts add up to {total:g}", cls=SpecError,
            hint="make the problem's points the sum of its parts' points")
    check(spec)
    return spec


def _parts(node: Node) -> tuple[Part, ...]:
    if node.kind != "map" or not node.value:
        raise node.error("`parts` must map each part name to its settings", cls=SpecError)
    parts = []
    for name, pn in node.value.items():
        opts = _map(pn)
        _no_unknown(pn, PART_KEYS, f"key of part '{name}'")
        answer = _text(opts["answer"]) if "answer" in opts else (
            "formula" if "reference" in opts else "text" if "rubric" in opts else "numeric")
        if answer not in ANSWER_KINDS:
            raise _unknown(opts["answer"], answer, ANSWER_KINDS, "answer kind")
        parts.append(Part(
            name=name, points=_number(opts["points"]) if "points" in opts else 1.0,
            answer=answer, quantity=_text(opts.get("quantity"), None),
            shape=_shape(opts["shape"]) if "shape" in opts else None,
            index=_index(opts["index"]) if "index" in opts else (),
            reference=_text(opts.get("reference"), None),
            tolerance=_tolerance(opts["tolerance"]) if "tolerance" in opts else None,
            mistakes=tuple(_mistake(m) for m in _seq(opts.get("mistakes"))),
            carry_forward=_carry(opts["carry_forward"]) if "carry_forward" in opts else None,
            rubric=tuple(_rubric(r) for r in _seq(opts.get("rubric"))),
            partial_credit=_bool(opts.get("partial_credit")),
            description=_text(opts.get("description"), ""), line=pn.line))
    return tuple(parts)


def _shape(node: Node) -> tuple:
    """A part's shape: a list of sizes or size expressions, checked where it is solved."""
    if node.kind != "seq" or any(v.kind != "scalar" or v.value is None
                                 or isinstance(v.value, bool) for v in node.value):
        raise node.error("a shape is a list such as [2n, 2m]", cls=SpecError)
    return tuple(v.value for v in node.value)


def _index(node: Node) -> tuple[str, ...]:
    """A part's free indices: a list of names, such as [x] or [i, j]."""
    if node.kind != "seq":
        raise node.error("`index` is a list of names, such as [x] or [i, j]", cls=SpecError)
    names = []
    for v in node.value:
        if v.kind != "scalar" or not isinstance(v.value, str) or not v.value.isidentifier():
            raise v.error("an index is a name, such as x or i", cls=SpecError)
        names.append(v.value)
    return tuple(names)


def _tolerance(node: Node) -> Tolerance:
    opts = _map(node)
    _no_unknown(node, {"rtol", "atol", "sigfigs", "decimals"}, "tolerance key")
    if "sigfigs" in opts:
        return Tolerance(sigfigs=_int(opts["sigfigs"]))
    if "decimals" in opts:
        return Tolerance(decimals=_int(opts["decimals"]))
    return Tolerance(rtol=_number(opts.get("rtol"), 1e-3), atol=_number(opts.get("atol"), 1e-8))


def _mistake(node: Node) -> Mistake:
    opts = _map(node)
    _no_unknown(node, {"name", "feedback", "formula", "value", "variant"}, "mistake key")
    if sum(k in opts for k in ("formula", "value", "variant")) != 1:
        raise node.error("a mistake has one of `formula`, `value` or `variant`", cls=SpecError)
    if "variant" in opts:
        from hwcheck.kinds import all_variants

        variant = _text(opts["variant"])
        if variant not in all_variants():
            raise _unknown(opts["variant"], variant, all_variants(), "solver variant")
    return Mistake(name=_text(opts.get("name"), "known-mistake"),
                   feedback=_text(opts.get("feedback"), ""),
                   formula=_text(opts.get("formula"), None),
                   value=opts["value"].plain() if "value" in opts else None,
                   variant=_text(opts.get("variant"), None), line=node.line)


def _carry(node: Node) -> CarryForward:
    opts = _map(node)
    _no_unknown(node, {"from", "as", "formula", "credit"}, "carry_forward key")
    for key in ("from", "as", "formula"):
        if key not in opts:
            raise node.error(f"carry_forward needs `{key}`", cls=SpecError)
    return CarryForward(source=_text(opts["from"]), symbol=_text(opts["as"]),
                        formula=_text(opts["formula"]), credit=_number(opts.get("credit"), 0.5))


def _rubric(node: Node) -> RubricPoint:
    opts = _map(node)
    _no_unknown(node, {"point", "points", "synonyms"}, "rubric key")
    return RubricPoint(point=_text(opts.get("point"), ""), points=_number(opts.get("points"), 1),
                       synonyms=tuple(_text(s).lower() for s in _seq(opts.get("synonyms"))))


def _functions(node: Node | None) -> dict:
    """``functions: {f: sigmoid}``: names the homework gives a function, so that a student's
    f(c) and f'(c) are read (the formula readers know each function's derivative)."""
    from hwcheck.formula.values import UNARY

    out = {}
    for name, target in _map(node, "functions").items():
        fn = _text(target)
        if fn not in UNARY:
            raise _unknown(target, fn, sorted(UNARY), "function")
        out[name] = fn
    return out


def _tests(node: Node | None, part_names: set[str]) -> tuple[SelfTest, ...]:
    tests = []
    for t in _seq(node):
        opts = _map(t)
        _no_unknown(t, {"part", "answer", "status", "diagnosis"}, "test key")
        part = _text(opts["part"]) if "part" in opts else (
            next(iter(part_names)) if len(part_names) == 1 else None)
        if part not in part_names:
            raise t.error(f"test names unknown part {part!r}", cls=SpecError,
                          hint="parts: " + ", ".join(sorted(part_names)))
        if "answer" not in opts or "status" not in opts:
            raise t.error("a test needs `answer` and `status`", cls=SpecError)
        status = _text(opts["status"])
        if status not in STATUSES:
            raise _unknown(opts["status"], status, STATUSES, "status")
        tests.append(SelfTest(part=part, answer=opts["answer"], status=status,
                              diagnosis=_text(opts.get("diagnosis"), None), line=t.line))
    return tuple(tests)
