"""Every grade format in ``hwcheck.report.FORMATS``: it renders the real seed report (checked
by a golden or by its structure), its ``--hide-expected`` view reveals nothing of the key,
and spec text with square brackets is printed as written, never read as rich markup."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from hwcheck import report
from hwcheck.grading.results import FAILING, Counterexample
from hwcheck.report.numbers import fmt_number
from hwcheck.spec.catalog import load_catalog
from tests.support.golden import assert_golden
from tests.support.htmlpage import parse
from tests.support.helpers import EXAMPLES, PROBLEMS, grader
from tests.support.runners import run

SEED = EXAMPLES / "seed-answers.yaml"


@pytest.fixture(scope="module")
def seed():
    return grader().grade_file(SEED, display="examples/seed-answers.yaml")


def parts_of(sub):
    return [p for pr in sub.problems for p in pr.parts]


# ---- every format renders the seed report ----------------------------------------------

def _junit(request, sub, out):
    root = ET.fromstring(out)
    cases = root.findall("testsuite/testcase")
    assert len(cases) == len(parts_of(sub))
    failing = sum(p.status in FAILING for p in parts_of(sub))
    assert len(root.findall("testsuite/testcase/failure")) == failing == int(root.get("failures"))


def _gradescope(request, sub, out):
    doc = json.loads(out)
    assert doc["score"] == sub.score
    assert [t["name"] for t in doc["tests"]] == [f"{pr.id} {p.name}" for pr in sub.problems
                                                 for p in pr.parts]


def _csv(request, sub, out):
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["file", "student", *(pr.id for pr in sub.problems), "total",
                       "max_score", "error"]
    assert rows[1][-3:] == [fmt_number(sub.score), fmt_number(sub.max_score), ""]


def _html(request, sub, out):
    page = parse(out)
    assert page.tags["script"] == 0 and not page.external, page.external
    assert "Content-Security-Policy" in out and "default-src 'none'" in out
    assert page.classes["report"] == 1 and '<details class="report" open>' in out
    assert "s-0" in page.ids
    assert page.tags["tr"] == len(parts_of(sub)) + len(sub.problems)  # rows and headers
    for pr in sub.problems:
        assert f"{pr.id}: {pr.title}" in page.plain


CHECKS = {
    "text": lambda request, sub, out: assert_golden(request, "grade_seed.txt", out),
    "json": lambda request, sub, out: assert_golden(request, "grade_seed.json", out),
    "github": lambda request, sub, out: assert_golden(request, "grade_seed.github.txt", out),
    "junit": _junit,
    "gradescope": _gradescope,
    "csv": _csv,
    "html": _html,
}


def test_every_format_has_a_check():
    assert set(CHECKS) == set(report.FORMATS), \
        "a new report format needs a golden or a structural check in CHECKS"


@pytest.mark.parametrize("fmt", sorted(report.FORMATS))
def test_format_renders_the_seed_report(request, seed, fmt):
    out = report.render(fmt, [seed])
    assert out.strip()
    CHECKS[fmt](request, seed, out)


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        report.render("pdf", [])


# ---- --hide-expected reveals no key in any format --------------------------------------

@pytest.fixture(scope="module")
def wrong_seed(tmp_path_factory):
    """The seed answers with p3 wrong too, so its key (513466) is one to hide."""
    path = tmp_path_factory.mktemp("seed") / "seed-answers.yaml"
    text = SEED.read_text(encoding="utf-8")
    assert "p3: 513466" in text
    path.write_text(text.replace("p3: 513466", "p3: 513000"), encoding="utf-8")
    return grader().grade_file(path, display="seed-answers.yaml")


def _numbers(value):
    if isinstance(value, tuple):
        for v in value:
            yield from _numbers(v)
    else:
        yield value


def key_needles(sub) -> set[str]:
    """What would give the key away: the key's numbers (as any renderer writes them), the
    counterexamples' key side, the rubric's key points and the spec's mistake feedback."""
    needles = set()
    for p in parts_of(sub):
        if p.status == "correct":
            continue    # the student's own answer is the key: it is theirs to see
        for x in _numbers(p.expected) if p.expected is not None else ():
            if x != round(x) or abs(x) > 9:    # 0 and -1 are in every report anyway
                needles |= {fmt_number(x, 5), f"{x:.6g}", repr(x)}
        needles |= {f"{d.want:.6g}" for d in p.details if isinstance(d, Counterexample)}
        needles |= {m.point for m in p.rubric}
        needles |= {f'"{m.synonym}"' for m in p.rubric if m.synonym}
        if p.feedback_reveals_key:
            needles.add(p.feedback.split(".")[0])
    return needles


def _found(needle: str, text: str) -> bool:
    # The same digits with a minus sign (a sign-flipped answer) are the student's own.
    return re.search(r"(?<![-\w.])" + re.escape(needle) + r"(?![\d])", text) is not None


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _flat(text: str) -> str:
    """Panel borders, line breaks and JSON escapes out, so wrapped sentences are whole."""
    return " ".join(text.replace("│", " ").replace('\\"', '"').split())


def test_hidden_reports_reveal_no_key(wrong_seed):
    needles = key_needles(wrong_seed)
    assert {"513466", "0.99138", "-0.0086212"} <= needles
    assert any("dE/dz_i = q_i - p_i" in n for n in needles) or any(
        "diagonal of the softmax" in n for n in needles)
    shown = {fmt: _flat(report.render(fmt, [wrong_seed])) for fmt in report.FORMATS}
    hidden = {fmt: _flat(report.render(fmt, [wrong_seed], hide_expected=True))
              for fmt in report.FORMATS}
    # The search finds what it looks for: the unhidden reports show these.
    sample = {"513466", "0.99138", "-0.0086212"} | {n for n in needles if not _number(n)}
    for needle in sorted(sample):
        assert any(_found(needle, out) for out in shown.values()), needle
    for needle in sorted(needles):
        for fmt, out in hidden.items():
            assert not _found(needle, out), (fmt, needle)


def test_hidden_reports_omit_the_key_formulas(wrong_seed):
    specs = grader().specs
    formulas = [" ".join(part.reference.split()) for spec in specs.values()
                for part in spec.parts if part.reference
                for p in parts_of(wrong_seed) if p.name == part.name and p.status != "correct"]
    assert formulas
    for fmt in report.FORMATS:
        out = _flat(report.render(fmt, [wrong_seed], hide_expected=True))
        for formula in formulas:
            assert formula not in out, (fmt, formula)


def test_hidden_view_keeps_what_the_student_needs(wrong_seed):
    out = _flat(report.render("text", [wrong_seed], hide_expected=True))
    assert "yours -0.00291281" not in out     # with sign-flipped, that would be the key
    for wanted in ("softmax-diagonal-only", "entry [1, 1]: yours 1.0016", "sign-flipped",
                   "counterexample: the spec's instance (n=2, m=3, k=3), at d=1, e=1",
                   "suggested 3 of 3", "513000"):
        assert wanted in out, wanted
    doc = json.loads(report.render("json", [wrong_seed], hide_expected=True))
    for problem in doc["problems"]:
        for part in problem["parts"]:
            assert not {"expected", "expected_value", "rubric"} & part.keys()
            assert "want" not in (part["counterexample"] or {})


# ---- spec text is printed literally ----------------------------------------------------

MARKUP = ("s[d, e]", "[y, 1 - y]", "[bold]x[/bold]")


@pytest.fixture(scope="module")
def bracket_problems(tmp_path_factory):
    """p2 and p3 with square brackets in their titles, statements and a rubric point."""
    folder = tmp_path_factory.mktemp("problems")
    for name in ("p2.yaml", "p3.yaml"):
        shutil.copy(PROBLEMS / name, folder / name)
    title = "Brackets s[d, e] and [y, 1 - y] and [bold]x[/bold]"
    for name, old_title in (("p2.yaml", "One-stage detectors and non-maximum suppression"),
                            ("p3.yaml", "Parameters of a small CNN")):
        path = folder / name
        text = path.read_text(encoding="utf-8").replace(f"title: {old_title}",
                                                        f'title: "{title}"')
        text = text.replace("statement: >-\n", "statement: >-\n  Read s[d, e] as [y, 1 - y], "
                                               "not [bold]x[/bold].\n", 1)
        text = text.replace("point: detectors output many overlapping boxes for the same object",
                            "point: \"detectors output [y, 1 - y] overlapping boxes\"")
        path.write_text(text, encoding="utf-8")
    load_catalog(folder)   # the edited specs still load
    return folder


def _literal(out: str, what: str) -> None:
    flat = _flat(out)
    for text in MARKUP:
        assert text in flat, (what, text, out)


def test_list_and_solve_print_spec_text_literally(bracket_problems):
    listed = run("list", "--problems", bracket_problems)
    assert listed.exit_code == 0, listed.output
    _literal(listed.stdout, "list")
    for pid in ("p2", "p3"):
        solved = run("solve", pid, "--problems", bracket_problems)
        assert solved.exit_code == 0, solved.output
        _literal(solved.stdout, f"solve {pid}")
    assert "[y, 1 - y] overlapping boxes" in _flat(run("solve", "p2", "--problems",
                                                       bracket_problems).stdout)


@pytest.mark.parametrize("fmt", sorted(report.FORMATS))
def test_grade_prints_spec_text_literally(bracket_problems, tmp_path, fmt):
    answers = tmp_path / "answers.yaml"
    answers.write_text("p3: 1\np2:\n  why_nms: many overlapping boxes, so NMS removes them\n",
                       encoding="utf-8")
    result = run("grade", answers, "--problems", bracket_problems, "--format", fmt)
    assert result.exit_code == 1, result.output
    out = result.stdout
    if fmt == "text":
        _literal(out, fmt)                  # the panel title
        assert "[y, 1 - y] overlapping boxes" in _flat(out)
    elif fmt == "json":
        doc = json.loads(out)
        assert {p["title"] for p in doc["problems"]} == {
            "Brackets s[d, e] and [y, 1 - y] and [bold]x[/bold]"}
    elif fmt == "html":
        assert "Brackets s[d, e] and [y, 1 - y] and [bold]x[/bold]" in parse(out).plain
    elif fmt == "junit":
        titles = ET.fromstring(out).findall("testsuite/properties/property[@name='title']")
        assert titles and all("[bold]x[/bold]" in t.get("value") for t in titles)
