"""Fuzzing the untrusted-input path: the YAML reader, the answers reader and the grader.

Only ``HwcheckError`` (and its subclasses) may escape ``hwcheck.spec.yamlio.load_text`` /
``load_bytes`` and ``hwcheck.grading.answers.read_answers``; ``Grader.grade_sheet`` and the
renderers must not raise at all on a sheet that was read. Whatever a sheet holds, no score
leaves [0, points], no points value changes, and the GitHub report stays one hwcheck
command per line.

Formulas reach the grader here as strings inside answers files, so they are graded on the
spec's instances (and random ones) with diagnosis and carry-forward. The formula parser's
own fuzzer is tests/test_formula_property.py.

The default run tries a couple of hundred inputs per property; ``-m slow`` tries 10,000.
"""

from __future__ import annotations

import io
import json
import math
import re
import warnings
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from hwcheck.grading.answers import read_answers
from hwcheck.spec.catalog import load_catalog
from hwcheck.errors import HwcheckError
from hwcheck.grading.grader import Grader
from hwcheck.report import csv_report, github, grade_json, grade_text
from hwcheck.spec.load import STATUSES
from hwcheck.spec.yamlio import MAX_DEPTH, Node, load_bytes, load_text
from tests.support.checks import CONTROL
from tests.support.profiles import examples

ROOT = Path(__file__).resolve().parent.parent
SPECS = load_catalog(ROOT / "problems").specs
GRADER = Grader(SPECS)                         # shared: keys are solved once for every example
TOTAL = sum(float(s.points) for s in SPECS.values())

FAST = settings(max_examples=examples(200))
SLOW = settings(max_examples=10_000)          # the `slow` marker's own count
_GITHUB = re.compile(r"::(error|warning|notice)( [^:]*)?::.*")


# ---- strategies: YAML text and bytes --------------------------------------------------------

YAML_TOKENS = [
    "[", "]", "{", "}", ":", ": ", ",", ", ", "-", "- ", "? ", "&a ", "*a", "&b", "*b", "!",
    "!!str ", "!!python/object/apply:os.system ", "!t ", "|", "|-\n", ">", "'", '"', "\\", "#",
    "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "@", "`", "\n", "\n  ", "\n    ", "\t", " ", "  ",
    "---\n", "...\n", "<<: ", "p3", "p5", "W", "B", "student", "1", "-2", "1e3", "1.0e+999",
    "9" * 450, ".nan", "-.inf", "0x1F", "0o17", "yes", "no", "on", "~", "null", "true",
    "2024-01-01", "1:30", "\x00", "\ufeff", "\x85", "\u2028", "\x1b[2J", "é", "\U0001f600",
    "\r\n", "\r", "\x7f",
]
YAML_TEXT = st.one_of(
    st.lists(st.sampled_from(YAML_TOKENS), max_size=40).map("".join),
    st.text(alphabet=st.sampled_from(sorted(set("[]{}:,-?&*!|>'\"#%@` \n\t\r~.0123456789"
                                                "abcxyzpW\x00\x85\u2028\ufeff"))),
            max_size=120),
    st.text(max_size=80),
)
DEEP = st.integers(MAX_DEPTH - 2, MAX_DEPTH + 3).flatmap(lambda d: st.sampled_from([
    "[" * d + "1" + "]" * d,
    "{a: " * d + "1" + "}" * d,
    "".join("  " * i + f"k{i}:\n" for i in range(d)) + "  " * d + "1\n",
]))
YAML_BYTES = st.one_of(
    st.binary(max_size=200),
    st.lists(st.sampled_from(YAML_TOKENS), max_size=30).map(
        lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
    st.tuples(st.lists(st.sampled_from(YAML_TOKENS), max_size=20).map("".join),
              st.binary(max_size=8)).map(lambda t: t[0].encode() + t[1]),
)


# ---- strategies: formulas written the homework's way ----------------------------------------

NAMES = sorted({n for s in SPECS.values() for n in GRADER.key(s).solution.env}
               | {"d", "e", "u", "v", "x", "a", "b", "i", "j", "y", "zz", "Wh", "s"})
UNARY = ["exp", "log", "ln", "sqrt", "abs", "sigmoid", "relu", "tanh", "floor", "ceil",
         "diag", "T", "sum", "min", "max", "print", "eval", "__import__"]
BINARY = ["min", "max", "outer"]
BOUNDS = ["0", "1", "2", "3", "n", "m", "k", "N", "2n", "2m", "2n-1", "n+k-1", "d", "H", "-1",
          "100", "1e3", "0.5"]


def _grow(inner):
    name = st.sampled_from(NAMES)
    var = st.sampled_from(["i", "j", "t", "d", "n"])
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "@", "%", "//", "<", "=="]),
                  inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(UNARY), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(BINARY), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(name, inner, inner).map(lambda t: f"{t[0]}[{t[1]}, {t[2]}]"),
        st.tuples(name, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(st.sampled_from(["sum", "min", "max"]), inner, var,
                  st.sampled_from(BOUNDS), st.sampled_from(BOUNDS)).map(
            lambda t: f"{t[0]}({t[1]} for {t[2]} in {t[3]}..{t[4]})"),
        st.tuples(inner, var, st.sampled_from(BOUNDS), var, st.sampled_from(BOUNDS)).map(
            lambda t: f"sum({t[0]} for {t[1]} in 1..{t[2]} for {t[3]} in 1..{t[4]})"),
        inner.map(lambda a: f"-{a}"),
        inner.map(lambda a: f"{a}.T"),
        inner.map(lambda a: f"2({a})"),
    )


FORMULA_LEAF = st.one_of(
    st.sampled_from(NAMES),
    st.integers(0, 12).map(str),
    st.sampled_from(["0.5", "1e-3", "2n", "4", "1/4", "10**15", "9**9**9", "1e308", "True",
                     "None", "'s'", "[1, 2]", "{}", "lambda: 1", "x.__class__", "q − p"]),
)
FORMULAS = st.one_of(
    st.recursive(FORMULA_LEAF, _grow, max_leaves=12),
    st.lists(st.sampled_from(NAMES + UNARY + ["(", ")", "[", "]", ",", " for ", " in ", "..",
                                              "+", "*", "/", "**", "@", "1", "2n", " if ",
                                              ">", "-"]),
             max_size=25).map("".join),
    st.sampled_from([
        "g[ceil(d/2), ceil(e/2)] / 4",
        "g[ceil(d/2), ceil(e/2)] / 4 * s[d, e] * (1 - s[d, e])",
        "sum(x[i+u-1, j+v-1] * g[ceil(i/2), ceil(j/2)]/4 * s[i,j]*(1-s[i,j]) "
        "for i in 1..2n for j in 1..2m)",
        "q - p", "p - q", "q[x] - p[x]", "diag(h * (1 - h)) @ Wh", "h*(1-h)*Wh",
        "sum(exp(z[i]) for i in 1..N)", "-p[x]*(1-q[x])",
    ]),
)


# ---- strategies: whole answers files ----------------------------------------------------------

SPECIAL_TEXT = st.sampled_from([
    "yes", "no", "On", "1:30", "2024-01-01", ".nan", "1e999", "0x1F", "~", "",
    "::error file=x,line=1::forged", "##[error]forged", "\x1b[2J\x1b]0;t\x07", "\u202eabc",
    "overlap of boxes; NMS keeps the highest score", "a" * 600,
])
NUMBERS = st.one_of(
    st.integers(-10**6, 10**6),
    st.integers(10**299, 10**330),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-2, 2),
    st.sampled_from([513466, 512064, 0.99138, -0.00862, 0, -1, 1e-300, 5e-324]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, FORMULAS, SPECIAL_TEXT,
                    st.text(max_size=20))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.text(max_size=6), inner, max_size=3),
        # matrices of roughly the keys' shapes (2x2, 2, 4, 4x6, 3x3 and near misses)
        st.integers(0, 7).flatmap(lambda r: st.integers(0, 7).flatmap(
            lambda c: st.lists(st.lists(NUMBERS, min_size=c, max_size=c),
                               min_size=r, max_size=r))),
    ),
    max_leaves=40,
)


def _problem_answer(pid: str):
    spec = SPECS[pid]
    names = [p.name for p in spec.parts]
    part_keys = st.one_of(st.sampled_from(names), st.sampled_from(
        [n.lower() for n in names] + [n + "x" for n in names] + ["points", "score", "tolerance",
                                                                  "max_score", "status"]))
    return st.one_of(
        VALUES,
        st.dictionaries(part_keys, VALUES, max_size=len(names) + 2),
        st.fixed_dictionaries({}, optional={n: st.one_of(FORMULAS, VALUES) for n in names}),
    )


SHEETS = st.tuples(
    st.fixed_dictionaries({}, optional={
        **{pid: _problem_answer(pid) for pid in SPECS},
        "student": st.one_of(st.text(max_size=12), st.integers(), st.none(), VALUES),
        "points": VALUES, "score": VALUES, "tolerance": VALUES, "p55": VALUES,
    }),
    st.dictionaries(st.text(max_size=8), VALUES, max_size=2),
    st.booleans(),                                   # flow style or block style
    st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(YAML_TOKENS)), max_size=2),
)


def _sheet_text(sheet) -> str:
    known, extra, flow, edits = sheet
    doc = {**extra, **known}
    text = yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True, sort_keys=False,
                          width=10_000)
    for pos, token in edits:                         # a few syntax slips on top
        pos %= len(text) + 1
        text = text[:pos] + token + text[pos:]
    return text


# ---- the properties --------------------------------------------------------------------------

def _check_node(node: Node, depth: int = 0) -> None:
    assert node.line >= 1 and node.col >= 1, node
    assert depth <= MAX_DEPTH + 1
    if node.kind == "map":
        for key, child in node.items():
            assert isinstance(key, str)
            _check_node(child, depth + 1)
    elif node.kind == "seq":
        for child in node.value:
            _check_node(child, depth + 1)
    else:
        assert node.kind == "scalar"
        assert node.value is None or isinstance(node.value, (str, int, float, bool)), node


def _check_error(exc: HwcheckError, name: str, text: str | None = None) -> None:
    rendered = exc.render()
    assert "\n" not in rendered and rendered.startswith(name), rendered
    assert exc.line >= 0 and exc.col >= 0
    if text is not None and exc.line:
        assert exc.line <= len(re.split(r"\r\n|\r|\n|\x85|\u2028|\u2029", text)) + 1, rendered


def check_yaml_text(text: str) -> None:
    try:
        node = load_text(text, "fuzz.yaml")
    except HwcheckError as exc:
        _check_error(exc, "fuzz.yaml", text)
        return
    _check_node(node)
    node.plain()


def check_yaml_bytes(data: bytes) -> None:
    try:
        node = load_bytes(data, "fuzz.yaml")
    except HwcheckError as exc:
        _check_error(exc, "fuzz.yaml")
        return
    _check_node(node)


def check_sheet(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        sheet = read_answers(path, SPECS)
    except HwcheckError as exc:
        _check_error(exc, str(path), text)
        return
    # A warning is two more lines on the CLI's stderr: numpy must not warn either (see
    # test_no_numpy_warning_reaches_stderr for the case the fuzzer found).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sub = GRADER.grade_sheet(sheet)             # nothing may escape from here on
        _check_scores(sub)
        _check_reports(sub)


def _check_scores(sub) -> None:
    assert sub.error is None
    assert sub.max_score == TOTAL, "an answers file changed the points"
    assert [p.id for p in sub.problems] == list(SPECS)
    for problem in sub.problems:
        spec = SPECS[problem.id]
        assert problem.max_score == float(spec.points)
        assert [p.name for p in problem.parts] == [p.name for p in spec.parts]
        for part, spec_part in zip(problem.parts, spec.parts):
            assert part.status in STATUSES, part
            assert part.max_score == float(spec_part.points), part
            assert math.isfinite(part.score) and 0.0 <= part.score <= part.max_score, part
            if part.status in ("invalid", "missing"):
                assert part.score == 0.0, part
            if part.status == "correct":
                assert part.score == part.max_score, part
        assert math.isclose(problem.score, sum(p.score for p in problem.parts))
    assert 0.0 <= sub.score <= sub.max_score


def _check_reports(sub) -> None:
    """Every format renders; none lets student text start a workflow command."""
    as_json = grade_json.render([sub])
    assert json.loads(as_json)["max_score"] == TOTAL
    as_github = github.render([sub])
    for line in as_github.splitlines():
        assert _GITHUB.fullmatch(line), line
    buf = io.StringIO()
    grade_text.render([sub], Console(file=buf, width=80, color_system=None))
    as_text = buf.getvalue()
    as_csv = csv_report.render([sub])
    for name, out in [("json", as_json), ("github", as_github), ("text", as_text),
                      ("csv", as_csv)]:
        assert not CONTROL.search(out), f"{name}: a control character"
        assert "##[" not in out, f"{name}: a legacy workflow command"
        if name != "github":
            assert not any(ln.lstrip().startswith("::") for ln in out.splitlines()), name
    assert "::" not in as_text and "::" not in as_csv


# ---- the tests: a fast default and a slow 10,000-example variant of each -------------------

@pytest.fixture(scope="module")
def sheet_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "answers.yaml"


@FAST
@given(st.one_of(YAML_TEXT, DEEP))
def test_yaml_text(text):
    check_yaml_text(text)


@FAST
@given(YAML_BYTES)
def test_yaml_bytes(data):
    check_yaml_bytes(data)


@FAST
@given(SHEETS)
def test_answers_sheet_is_read_and_graded(sheet_path, sheet):
    check_sheet(sheet_path, _sheet_text(sheet))


FORMULA_SHEETS = st.tuples(st.sets(st.sampled_from(["p1", "p4", "p6"]), min_size=1),
                           FORMULAS, FORMULAS)


def _formula_sheet(sheet) -> str:
    """Every formula part of the chosen problems, alternating the two formulas."""
    problems, first, second = sheet
    doc = {}
    for pid in sorted(problems):
        names = [p.name for p in SPECS[pid].parts if p.answer == "formula"]
        doc[pid] = {name: (first if i % 2 == 0 else second) for i, name in enumerate(names)}
    return yaml.safe_dump(doc, allow_unicode=True, width=10_000)


@FAST
@given(FORMULA_SHEETS)
def test_formulas_in_answers_are_graded(sheet_path, sheet):
    check_sheet(sheet_path, _formula_sheet(sheet))


@pytest.mark.slow
@SLOW
@given(st.one_of(YAML_TEXT, DEEP))
def test_yaml_text_slow(text):
    check_yaml_text(text)


@pytest.mark.slow
@SLOW
@given(YAML_BYTES)
def test_yaml_bytes_slow(data):
    check_yaml_bytes(data)


@pytest.mark.slow
@SLOW
@given(SHEETS)
def test_answers_sheet_is_read_and_graded_slow(sheet_path, sheet):
    check_sheet(sheet_path, _sheet_text(sheet))


@pytest.mark.slow
@SLOW
@given(FORMULA_SHEETS)
def test_formulas_in_answers_are_graded_slow(sheet_path, sheet):
    check_sheet(sheet_path, _formula_sheet(sheet))


# ---- seeds the fuzzers found worth keeping -----------------------------------------------------

@pytest.mark.parametrize("text", [
    "p3: " + "9" * 450, "a: " + "[" * 40, "\ufeffp3: 1", "p3: 1\x85p4: 2", "? a\n", "- - - -",
    "p3: !!str 1", "%YAML 1.1\n---\np3: 1", "p3: 1\n...\n", "{a: 1, a: 2}", "[a, b]: 1",
])
def test_yaml_seeds(text):
    check_yaml_text(text)


@pytest.mark.parametrize("char", ["\x1b", "\x07", "\x7f", "\x9b", "\uffff"])
def test_control_characters_are_located_errors(char):
    text = f'p3: 513466\np2:\n  why_nms: "overlap {char}[31m"\n'
    with pytest.raises(HwcheckError) as err:
        load_text(text, "f.yaml")
    assert err.value.render().startswith("f.yaml:3:21: "), err.value.render()


@pytest.mark.parametrize("prefix, col", [("\u00e9" * 6 + " ", 20), ("\U0001f600" * 2 + " ", 16)])
def test_control_character_after_non_ascii_text_is_located_in_characters(prefix, col):
    text = f'p2:\n  why_nms: "{prefix}\x1b[31m"\n'
    with pytest.raises(HwcheckError) as err:
        load_text(text, "f.yaml")
    assert err.value.render().startswith(f"f.yaml:2:{col}: "), err.value.render()


def test_a_lone_surrogate_is_a_hwcheck_error():
    with pytest.raises(HwcheckError):
        load_text('p2:\n  why_nms: "a\ud800b"\n', "f.yaml")


def test_no_numpy_warning_reaches_stderr(sheet_path):
    sheet_path.write_text("p1:\n  dL/dC: 'abs(1e308)'\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GRADER.grade_sheet(read_answers(sheet_path, SPECS))
